"""A local Clarifai-compatible gRPC server speaking the real clarifai-grpc V2 protocol.

It answers the RPCs our product and Clarifai's Python SDK use for inputs, datasets
and annotations, with the hosted API's status codes, limits and auth, so clients
cannot tell it from the real thing. Refusals are statuses in the reply; only the
fault knobs abort the call (gRPC UNAVAILABLE), the way a dropped connection would.

Status codes where status_code_pb2 has no exact one (the hosted API's own choice
is not documented):
- a whole PostInputs refused (over 128 inputs, over 128 MB, more than one video):
  CONN_INVALID_REQUEST, as for the input count before;
- an input naming a dataset that does not exist: INPUT_INVALID_ARGUMENT;
- a dataset or annotation id already taken: DATABASE_DUPLICATE_KEY (Dataset has no
  status field, so a PostDatasets naming a taken id is refused whole);
- GetDataset / ListDatasetInputs of a missing dataset: CONN_DOES_NOT_EXIST;
- an annotation on a missing input: INPUT_DOES_NOT_EXIST; a bad bounding box or
  annotation id: ANNOTATION_INVALID_ARGUMENT; a stored one: ANNOTATION_SUCCESS.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import grpc
from clarifai_grpc.grpc.api import resources_pb2, service_pb2, service_pb2_grpc
from clarifai_grpc.grpc.api.status import status_code_pb2, status_pb2
from google.protobuf.message import Message

from .downloads import OTHER_URLS, Downloads
from .hosting import HostedCopies, host_copy
from .store import FAILED, PENDING, SUCCESS, App, Conflict, InputStore, JobProgress, NewInput

MAX_INPUTS_PER_REQUEST = 128  # inputs per PostInputs call, as hosted
MAX_REQUEST_BYTES = 128 * 1024 * 1024  # serialized PostInputs request, as hosted
MAX_VIDEOS_PER_REQUEST = 1  # as hosted
MAX_MEDIA_BYTES = 20 * 1024 * 1024  # an image's (or audio's) bytes, as hosted
MISSING_DATASETS = ("create", "refuse")  # what PostInputs does with an unknown dataset id
DEFAULT_PER_PAGE = 128  # list items per page when per_page is 0, as hosted
MAX_PER_PAGE = 1000  # list items per page at most
MAX_MESSAGE_BYTES = 256 * 1024 * 1024  # gRPC's 4 MiB default would refuse big batches
WORKERS = 32  # concurrent calls served; latency_ms sleeps occupy one each
MAX_INPUT_ID_CHARS = 48  # as hosted
INPUT_ID_CHARS = re.compile(r"[A-Za-z0-9_-]+")
OTHER_ID = re.compile(r"[A-Za-z0-9_-]{1,255}")  # dataset and annotation ids
SQLITE_FILE = "sandbox.sqlite3"  # under data_dir
ME = "me"  # the hosted API's alias for the token's own user

Response = TypeVar("Response", bound=Message)


@dataclass(frozen=True)
class SandboxConfig:
    """Who may call the sandbox, and the latency, throttling and faults it adds.

    An empty token never matches, so `api_key=""` turns legacy app keys off.

    Downloads: an input is PENDING for `download_delay` seconds, then urls matching
    `fail_urls` fail, urls on loopback are fetched for real (SUCCESS on a 2xx), and
    other urls succeed, or fail when `other_urls` is "fail" (the sandbox cannot
    reach the internet; this lets demos and tests choose).

    `missing_datasets`: "create" makes a dataset an input names if it does not
    exist (lenient: Clarifai's SDK uploads to a dataset without creating it first,
    and tests/test_sdk_compat.py relies on that); "refuse" refuses such an input
    with INPUT_INVALID_ARGUMENT, for clients that must create datasets first.
    """

    pat: str = field(default="sandbox-pat", repr=False)
    user_id: str = "sandbox"
    app_id: str = "demo"
    api_key: str = field(default="sandbox-app-key", repr=False)
    read_only_pat: str | None = field(default=None, repr=False)
    inputs_only_pat: str | None = field(default=None, repr=False)  # its scopes leave out annotations
    latency_ms: float = 0.0
    throttle_rps: float = 0.0
    fail_rate: float = 0.0
    commit_fail_rate: float = 0.0
    download_delay: float = 0.2
    fail_urls: str | None = None
    seed: int | None = None
    other_urls: str = "succeed"
    missing_datasets: str = "create"

    @property
    def pats(self) -> tuple[str, ...]:
        """The personal access tokens it accepts: the full one and the scoped ones given."""
        return tuple(token for token in (self.pat, self.read_only_pat, self.inputs_only_pat) if token)

    def __post_init__(self) -> None:
        for name in ("fail_rate", "commit_fail_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {getattr(self, name)}")
        for name in ("latency_ms", "throttle_rps", "download_delay"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")
        if self.fail_urls is not None:
            re.compile(self.fail_urls)  # a bad pattern fails here, not on the first upload
        if self.other_urls not in OTHER_URLS:
            raise ValueError(f"other_urls must be one of {OTHER_URLS}, got {self.other_urls!r}")
        if self.missing_datasets not in MISSING_DATASETS:
            raise ValueError(
                f"missing_datasets must be one of {MISSING_DATASETS}, got {self.missing_datasets!r}"
            )


@dataclass(frozen=True)
class SandboxStats:
    """Counters since start or the last reset.

    `inputs_stored` counts inputs PostInputs stored (deletes do not lower it);
    `duplicate_ids` counts inputs refused INPUT_DUPLICATE, for a taken id or url;
    `peak_request_bytes` is the most request bytes the server was handling at once.
    """

    post_calls: int = 0
    throttled: int = 0
    faults: int = 0
    inputs_stored: int = 0
    duplicate_ids: int = 0
    peak_request_bytes: int = field(default=0, compare=False)  # a measure, not a count


def _status(code: int, description: str, details: str = "") -> status_pb2.Status:
    return status_pb2.Status(code=code, description=description, details=details)


class _Refusal(Exception):
    """Ends a call with this status as the whole reply."""

    def __init__(self, code: int, description: str, details: str = "") -> None:
        super().__init__(description)
        self.status = _status(code, description, details)


_OK = _status(status_code_pb2.SUCCESS, "Ok")


class _TokenBucket:
    """`rate` calls per second with a one-second burst."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(rate, 1.0)  # below 1 rps a call would never fit
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


def _rpc(
    response_type: type[Response],
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Wrap a handler: add the configured latency, turn a _Refusal into the reply."""

    def wrap(handler: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(handler)
        def call(self: _Servicer, request: Any, context: grpc.ServicerContext) -> Response:
            size = self._hold(request.ByteSize())
            try:
                if self.config.latency_ms:
                    time.sleep(self.config.latency_ms / 1000)  # no lock held: calls overlap
                return handler(self, request, context)
            except _Refusal as refusal:
                return response_type(status=refusal.status)
            finally:
                self._hold(-size)

        return call

    return wrap


def _page(page: int, per_page: int) -> tuple[int, int]:
    """(offset, limit) for hosted-style paging: page 0 and 1 are both the first page."""
    limit = min(per_page or DEFAULT_PER_PAGE, MAX_PER_PAGE)
    return (max(page, 1) - 1) * limit, limit


def _media(data: resources_pb2.Data) -> tuple[str | None, bool]:
    """The url an input is downloaded from, and whether a duplicate of it is allowed."""
    for media in (data.image, data.video, data.audio, data.text):
        if media.url:
            return media.url, media.allow_duplicate_url
    return None, False


def _has_content(data: resources_pb2.Data) -> bool:
    return bool(
        data.image.url or data.image.base64 or data.video.url or data.video.base64
        or data.audio.url or data.audio.base64 or data.text.url or data.text.raw
    )


def _is_video(message: resources_pb2.Input) -> bool:
    return bool(message.data.video.url or message.data.video.base64)


def _invalid(message: resources_pb2.Input) -> tuple[int, str] | None:
    """The status and reason with which the hosted API would refuse this input outright, or None."""
    if not 1 <= len(message.id) <= MAX_INPUT_ID_CHARS:  # the hosted API's code and words
        return status_code_pb2.INPUT_INVALID_REQUEST, f"id must be between 1 and {MAX_INPUT_ID_CHARS} characters long"
    problem = _malformed(message)
    return (status_code_pb2.INPUT_INVALID_ARGUMENT, problem) if problem else None


def _malformed(message: resources_pb2.Input) -> str | None:
    """Why the hosted API would refuse this input as INPUT_INVALID_ARGUMENT, or None."""
    if not INPUT_ID_CHARS.fullmatch(message.id):
        return f"Invalid input id {message.id!r}: use letters, digits, '_' or '-'"
    if not _has_content(message.data):
        return "Input has no data: give an image, video, audio or text url, raw text, or bytes"
    for kind, media in (("Image", message.data.image), ("Audio", message.data.audio)):
        if len(media.base64) > MAX_MEDIA_BYTES:
            return (
                f"{kind} bytes are over {MAX_MEDIA_BYTES >> 20} MB ({len(media.base64):,} bytes):"
                " send a smaller file or a url"
            )
    for dataset_id in message.dataset_ids:
        if not OTHER_ID.fullmatch(dataset_id):
            return f"Invalid dataset id {dataset_id!r}: use 1 to 255 letters, digits, '_' or '-'"
    return None


def _check_request(request: service_pb2.PostInputsRequest) -> None:
    """Refuse a whole PostInputs the hosted API would refuse: too many inputs, bytes or videos."""
    if not 1 <= len(request.inputs) <= MAX_INPUTS_PER_REQUEST:
        raise _Refusal(
            status_code_pb2.CONN_INVALID_REQUEST,
            f"A request takes 1 to {MAX_INPUTS_PER_REQUEST} inputs, "
            f"this one has {len(request.inputs)}",
        )
    size = request.ByteSize()
    if size > MAX_REQUEST_BYTES:
        raise _Refusal(
            status_code_pb2.CONN_INVALID_REQUEST,
            f"A request takes at most {MAX_REQUEST_BYTES >> 20} MB, this one has {size:,} bytes",
            "Send fewer inputs per request, or urls instead of bytes.",
        )
    videos = sum(map(_is_video, request.inputs))
    if videos > MAX_VIDEOS_PER_REQUEST:
        raise _Refusal(
            status_code_pb2.CONN_INVALID_REQUEST,
            f"At most one video per request, this one has {videos}",
            "Send each video in a request of its own.",
        )


def _region_problem(annotation: resources_pb2.Annotation) -> str | None:
    """Why a region's bounding box is not a box inside the image, or its polygon not three or more points inside
    it; or None."""
    for n, region in enumerate(annotation.data.regions):
        if region.region_info.HasField("polygon"):
            points = region.region_info.polygon.points
            if len(points) < 3:
                return f"Region {n}: a polygon needs at least 3 points, got {len(points)}"
            for point in points:
                if not (0.0 <= point.row <= 1.0 and 0.0 <= point.col <= 1.0):  # NaN fails too
                    return (f"Region {n}: polygon points must be between 0 and 1, got row {point.row:g},"
                            f" col {point.col:g}")
        if not region.region_info.HasField("bounding_box"):
            continue
        box = region.region_info.bounding_box
        corners = (box.top_row, box.left_col, box.bottom_row, box.right_col)
        if not all(0.0 <= value <= 1.0 for value in corners):  # NaN fails too
            return (
                f"Region {n}: bounding box coordinates must be between 0 and 1, got top_row"
                f" {box.top_row:g}, left_col {box.left_col:g}, bottom_row {box.bottom_row:g},"
                f" right_col {box.right_col:g}"
            )
        if not (box.top_row < box.bottom_row and box.left_col < box.right_col):
            return (
                f"Region {n}: bounding box needs top_row < bottom_row and left_col < right_col,"
                f" got top_row {box.top_row:g}, left_col {box.left_col:g},"
                f" bottom_row {box.bottom_row:g}, right_col {box.right_col:g}"
            )
    return None


def _aggregate(stored: int, total: int) -> status_pb2.Status:
    """The reply's status for a batch of which `stored` items of `total` went in."""
    if stored == total:
        return _OK
    if stored:
        return _status(status_code_pb2.MIXED_STATUS, "Mixed Success")
    return _status(status_code_pb2.FAILURE, "Failure")


def _job_message(job_id: str, progress: JobProgress) -> resources_pb2.InputsAddJob:
    job = resources_pb2.InputsAddJob(
        id=job_id,
        progress=resources_pb2.InputsAddJobProgress(
            pending_count=progress.pending,
            success_count=progress.success,
            failed_count=progress.failed,
        ),
        status=(
            _status(status_code_pb2.JOB_RUNNING, "Job is running")
            if progress.pending
            else _status(status_code_pb2.JOB_COMPLETED, "Job is completed")
        ),
    )
    job.created_at.FromMicroseconds(round(progress.created * 1e6))
    return job


class _Servicer(service_pb2_grpc.V2Servicer):
    """The V2 handlers; RPCs not defined here answer gRPC UNIMPLEMENTED."""

    def __init__(self, config: SandboxConfig, store: InputStore) -> None:
        self.config = config
        self.store = store
        self.downloads = Downloads(store, config.fail_urls, config.other_urls)
        self.downloads.fetch_pending()  # inputs a restart interrupted
        self._lock = threading.Lock()  # guards stats, buckets and the fault RNG
        self._stats = SandboxStats()
        self._held_bytes = 0  # of the requests being handled
        self._buckets: dict[App, _TokenBucket] = {}
        self._rng = random.Random(config.seed)
        self.hosted_prefix = ""  # where the copies of inputs sent as bytes are served, once they are

    def _served(self, message: resources_pb2.Input, app: App) -> resources_pb2.Input:
        """A stored input as GetInput and ListInputs answer it: bytes named by their hosted copy."""
        return host_copy(message, app, self.hosted_prefix)

    # -- bookkeeping -----------------------------------------------------------

    def stats(self) -> SandboxStats:
        with self._lock:
            return self._stats

    def reset(self) -> None:
        with self._lock:
            self._stats = SandboxStats()
            self._buckets.clear()

    def _hold(self, size: int) -> int:
        """Add (or with a negative size, release) a request's bytes; return the size."""
        with self._lock:
            self._held_bytes += size
            if self._held_bytes > self._stats.peak_request_bytes:
                self._stats = dataclasses.replace(self._stats, peak_request_bytes=self._held_bytes)
        return size

    def _count(self, **increments: int) -> None:
        with self._lock:
            self._stats = dataclasses.replace(
                self._stats,
                **{name: getattr(self._stats, name) + n for name, n in increments.items()},
            )

    def _roll(self, probability: float) -> bool:
        if probability <= 0.0:
            return False
        with self._lock:
            return self._rng.random() < probability

    def _fault(self, context: grpc.ServicerContext, when: str) -> None:
        self._count(faults=1)
        context.abort(grpc.StatusCode.UNAVAILABLE, f"sandbox: injected fault {when}")

    # -- auth and throttling ---------------------------------------------------

    def _admit(self, request: Any, context: grpc.ServicerContext, write: bool = False,
               annotations: bool = False) -> App:
        """Check the caller's token against the app it names (and its scopes against the call: a write, or
        annotations), then the rate; return the app."""
        config = self.config
        token = _token(context.invocation_metadata())
        asked = request.user_app_id
        user_id = config.user_id if asked.user_id == ME else asked.user_id
        if token and token == config.api_key:
            # A legacy app key names its app itself; a user_app_id, if sent, must agree.
            if (user_id and user_id != config.user_id) or (
                asked.app_id and asked.app_id != config.app_id
            ):
                raise _Refusal(
                    status_code_pb2.CONN_KEY_INVALID,
                    "Invalid API key or Invalid API key/application pair",
                )
        elif token and token in config.pats:
            if user_id != config.user_id:
                raise _Refusal(
                    status_code_pb2.CONN_DOES_NOT_EXIST,
                    f"User {asked.user_id!r} does not exist",
                    "A personal access token needs user_app_id with your user and app ids.",
                )
            if asked.app_id != config.app_id:
                raise _Refusal(
                    status_code_pb2.CONN_DOES_NOT_EXIST,
                    f"App {asked.app_id!r} does not exist",
                    "A personal access token needs user_app_id with your user and app ids.",
                )
            if write and token == config.read_only_pat:
                raise _Refusal(
                    status_code_pb2.CONN_INSUFFICIENT_SCOPES,
                    "API key has insufficient scopes",
                    "This token may read inputs but not add or delete them.",
                )
            if annotations and token == config.inputs_only_pat:
                raise _Refusal(
                    status_code_pb2.CONN_INSUFFICIENT_SCOPES,
                    "API key has insufficient scopes",
                    "This token may not read or add annotations.",
                )
        else:
            raise _Refusal(
                status_code_pb2.CONN_KEY_INVALID, "API key or personal access token is invalid"
            )
        app = App(config.user_id, config.app_id)
        self._throttle(app)
        return app

    def _throttle(self, app: App) -> None:
        """Refuse the call when the app is over its rate; every RPC counts, as hosted."""
        rate = self.config.throttle_rps
        if not rate:
            return
        with self._lock:
            bucket = self._buckets.setdefault(app, _TokenBucket(rate))
            allowed = bucket.take()
        if not allowed:
            self._count(throttled=1)
            raise _Refusal(
                status_code_pb2.CONN_THROTTLED, f"exceeded limit of {rate:g} requests per second"
            )

    # -- inputs ----------------------------------------------------------------

    @_rpc(service_pb2.MultiInputResponse)
    def PostInputs(
        self, request: service_pb2.PostInputsRequest, context: grpc.ServicerContext
    ) -> service_pb2.MultiInputResponse:
        """Store each valid, new input as PENDING; every input gets its own status."""
        self._count(post_calls=1)
        app = self._admit(request, context, write=True)
        _check_request(request)
        if self._roll(self.config.fail_rate):
            self._fault(context, "before storing")
        job_id = request.inputs_add_job_id or uuid.uuid4().hex
        creating = self.config.missing_datasets == "create"
        missing = set() if creating else self.store.missing_datasets(
            app, {d for sent in request.inputs for d in sent.dataset_ids}
        )
        replies, candidates = self._prepare(request.inputs, missing)
        conflicts, fetches = self.store.add(
            app, job_id, [new for _, new in candidates], create_datasets=creating
        )
        self.downloads.fetch(fetches)
        duplicates = 0
        for (reply, _), conflict in zip(candidates, conflicts):
            if conflict is None:
                reply.status.CopyFrom(_status(PENDING, "Download pending"))
                continue
            duplicates += 1
            reply.ClearField("created_at")
            if conflict is Conflict.ID:
                reply.status.CopyFrom(
                    _status(status_code_pb2.INPUT_DUPLICATE, "Input with this id already exists")
                )
            else:
                url, _ = _media(reply.data)
                reply.status.CopyFrom(
                    _status(
                        status_code_pb2.INPUT_DUPLICATE,
                        f"Duplicate URL: {url}",
                        "Set allow_duplicate_url to add the same url again.",
                    )
                )
        stored = conflicts.count(None)
        self._count(inputs_stored=stored, duplicate_ids=duplicates)
        if self._roll(self.config.commit_fail_rate):
            self._fault(context, "after storing")
        status = _aggregate(stored, len(replies))
        progress = self.store.job_progress(app, job_id)
        assert progress is not None  # store.add recorded the job
        return service_pb2.MultiInputResponse(
            status=status, inputs=replies, inputs_add_job=_job_message(job_id, progress)
        )

    def _prepare(
        self, inputs: Sequence[resources_pb2.Input], missing_datasets: set[str]
    ) -> tuple[list[resources_pb2.Input], list[tuple[resources_pb2.Input, NewInput]]]:
        """Reply messages for all inputs, and the valid ones paired with what to store."""
        # Microseconds, as hosted: the SDK's timestamp parser takes at most 6 digits.
        now_us = time.time_ns() // 1000
        replies: list[resources_pb2.Input] = []
        candidates: list[tuple[resources_pb2.Input, NewInput]] = []
        for sent in inputs:
            reply = resources_pb2.Input()
            reply.CopyFrom(sent)
            reply.ClearField("status")  # the status is the server's to say
            reply.id = reply.id or uuid.uuid4().hex
            replies.append(reply)
            refusal = _invalid(reply)
            absent = [d for d in reply.dataset_ids if d in missing_datasets]
            if absent and not refusal:
                refusal = (status_code_pb2.INPUT_INVALID_ARGUMENT,
                           f"Dataset {absent[0]!r} does not exist: create it with PostDatasets first")
            if refusal:
                reply.status.CopyFrom(_status(*refusal))
                continue
            reply.created_at.FromMicroseconds(now_us)
            stored = resources_pb2.Input()
            stored.CopyFrom(reply)
            url, allow_duplicate = _media(stored.data)
            outcome, reason = self.downloads.outcome(url)
            candidates.append((reply, NewInput(stored, url, allow_duplicate, outcome, reason)))
        return replies, candidates

    @_rpc(service_pb2.SingleInputResponse)
    def GetInput(
        self, request: service_pb2.GetInputRequest, context: grpc.ServicerContext
    ) -> service_pb2.SingleInputResponse:
        """One input with its current download status."""
        app = self._admit(request, context)
        found = self.store.get(app, request.input_id)
        if found is None:
            raise _Refusal(
                status_code_pb2.INPUT_DOES_NOT_EXIST, f"Input {request.input_id!r} does not exist"
            )
        return service_pb2.SingleInputResponse(status=_OK, input=self._served(found, app))

    @_rpc(service_pb2.MultiInputResponse)
    def ListInputs(
        self, request: service_pb2.ListInputsRequest, context: grpc.ServicerContext
    ) -> service_pb2.MultiInputResponse:
        """A page of inputs in insertion order; a page past the end has only the status."""
        app = self._admit(request, context)
        offset, limit = _page(request.page, request.per_page)
        found = self.store.find(
            app, offset, limit, ids=list(request.ids), status_code=request.status.code
        )
        return service_pb2.MultiInputResponse(status=_OK, inputs=[self._served(i, app) for i in found])

    @_rpc(service_pb2.SingleInputCountResponse)
    def GetInputCount(
        self, request: service_pb2.GetInputCountRequest, context: grpc.ServicerContext
    ) -> service_pb2.SingleInputCountResponse:
        """How many inputs are downloaded, still pending, or failed."""
        app = self._admit(request, context)
        counts = self.store.count(app)
        return service_pb2.SingleInputCountResponse(
            status=_OK,
            counts=resources_pb2.InputCount(
                processed=counts.get(SUCCESS, 0),
                to_process=counts.get(PENDING, 0),
                errors=counts.get(FAILED, 0),
            ),
        )

    @_rpc(status_pb2.BaseResponse)
    def DeleteInputs(
        self, request: service_pb2.DeleteInputsRequest, context: grpc.ServicerContext
    ) -> status_pb2.BaseResponse:
        """Delete inputs by id; ids that do not exist are ignored."""
        app = self._admit(request, context, write=True)
        self.store.delete(app, request.ids)
        return status_pb2.BaseResponse(status=_OK)

    @_rpc(status_pb2.BaseResponse)
    def DeleteInput(
        self, request: service_pb2.DeleteInputRequest, context: grpc.ServicerContext
    ) -> status_pb2.BaseResponse:
        """Delete one input; it must exist."""
        app = self._admit(request, context, write=True)
        if not self.store.delete(app, [request.input_id]):
            raise _Refusal(
                status_code_pb2.INPUT_DOES_NOT_EXIST, f"Input {request.input_id!r} does not exist"
            )
        return status_pb2.BaseResponse(status=_OK)

    @_rpc(service_pb2.SingleInputsAddJobResponse)
    def GetInputsAddJob(
        self, request: service_pb2.GetInputsAddJobRequest, context: grpc.ServicerContext
    ) -> service_pb2.SingleInputsAddJobResponse:
        """Progress counts of the inputs stored under an inputs_add_job_id."""
        app = self._admit(request, context)
        progress = self.store.job_progress(app, request.id)
        if progress is None:
            raise _Refusal(
                status_code_pb2.CONN_DOES_NOT_EXIST, f"Inputs add job {request.id!r} does not exist"
            )
        return service_pb2.SingleInputsAddJobResponse(
            status=_OK, inputs_add_job=_job_message(request.id, progress)
        )

    @_rpc(service_pb2.MultiConceptResponse)
    def ListConcepts(
        self, request: service_pb2.ListConceptsRequest, context: grpc.ServicerContext
    ) -> service_pb2.MultiConceptResponse:
        """A page of the concepts stored inputs have used."""
        app = self._admit(request, context)
        offset, limit = _page(request.page, request.per_page)
        return service_pb2.MultiConceptResponse(
            status=_OK, concepts=self.store.concepts(app, offset, limit)
        )

    # -- datasets --------------------------------------------------------------

    @_rpc(service_pb2.MultiDatasetResponse)
    def PostDatasets(
        self, request: service_pb2.PostDatasetsRequest, context: grpc.ServicerContext
    ) -> service_pb2.MultiDatasetResponse:
        """Create datasets, all or none: a taken id refuses the request."""
        app = self._admit(request, context, write=True)
        if not request.datasets:
            raise _Refusal(status_code_pb2.CONN_INVALID_REQUEST, "Give at least one dataset")
        now_us = time.time_ns() // 1000
        datasets = []
        for sent in request.datasets:
            dataset = resources_pb2.Dataset()
            dataset.CopyFrom(sent)
            dataset.id = dataset.id or uuid.uuid4().hex
            if not OTHER_ID.fullmatch(dataset.id):
                raise _Refusal(
                    status_code_pb2.CONN_INVALID_REQUEST,
                    f"Invalid dataset id {dataset.id!r}: use 1 to 255 letters, digits, '_' or '-'",
                )
            dataset.user_id, dataset.app_id = app
            dataset.created_at.FromMicroseconds(now_us)
            dataset.modified_at.FromMicroseconds(now_us)
            datasets.append(dataset)
        taken = self.store.add_datasets(app, datasets)
        if taken:
            raise _Refusal(
                status_code_pb2.DATABASE_DUPLICATE_KEY,
                f"Dataset {taken[0]!r} already exists",
                f"Taken ids: {', '.join(taken)}; nothing was created.",
            )
        return service_pb2.MultiDatasetResponse(status=_OK, datasets=datasets)

    @_rpc(service_pb2.SingleDatasetResponse)
    def GetDataset(
        self, request: service_pb2.GetDatasetRequest, context: grpc.ServicerContext
    ) -> service_pb2.SingleDatasetResponse:
        """One dataset."""
        app = self._admit(request, context)
        return service_pb2.SingleDatasetResponse(
            status=_OK, dataset=self._dataset(app, request.dataset_id)
        )

    def _dataset(self, app: App, dataset_id: str) -> resources_pb2.Dataset:
        found = self.store.dataset(app, dataset_id)
        if found is None:
            raise _Refusal(
                status_code_pb2.CONN_DOES_NOT_EXIST, f"Dataset {dataset_id!r} does not exist"
            )
        return found

    @_rpc(service_pb2.MultiDatasetResponse)
    def ListDatasets(
        self, request: service_pb2.ListDatasetsRequest, context: grpc.ServicerContext
    ) -> service_pb2.MultiDatasetResponse:
        """A page of the app's datasets, first created first."""
        app = self._admit(request, context)
        offset, limit = _page(request.page, request.per_page)
        return service_pb2.MultiDatasetResponse(
            status=_OK, datasets=self.store.datasets(app, offset, limit)
        )

    @_rpc(service_pb2.MultiDatasetInputResponse)
    def ListDatasetInputs(
        self, request: service_pb2.ListDatasetInputsRequest, context: grpc.ServicerContext
    ) -> service_pb2.MultiDatasetInputResponse:
        """A page of a dataset's inputs, in the order they joined it, with their status."""
        app = self._admit(request, context)
        self._dataset(app, request.dataset_id)
        offset, limit = _page(request.page, request.per_page)
        members = self.store.dataset_inputs(app, request.dataset_id, offset, limit)
        for member in members:
            self._served(member.input, app)
        return service_pb2.MultiDatasetInputResponse(status=_OK, dataset_inputs=members)

    # -- annotations -----------------------------------------------------------

    @_rpc(service_pb2.MultiAnnotationResponse)
    def PostAnnotations(
        self, request: service_pb2.PostAnnotationsRequest, context: grpc.ServicerContext
    ) -> service_pb2.MultiAnnotationResponse:
        """Store each valid annotation of an existing input; every one gets its own status."""
        app = self._admit(request, context, write=True, annotations=True)
        if not request.annotations:
            raise _Refusal(status_code_pb2.CONN_INVALID_REQUEST, "Give at least one annotation")
        now_us = time.time_ns() // 1000
        replies: list[resources_pb2.Annotation] = []
        valid: list[resources_pb2.Annotation] = []
        for sent in request.annotations:
            reply = resources_pb2.Annotation()
            reply.CopyFrom(sent)
            reply.ClearField("status")
            reply.id = reply.id or uuid.uuid4().hex
            replies.append(reply)
            problem = _region_problem(reply)
            if not OTHER_ID.fullmatch(reply.id):
                problem = f"Invalid annotation id {reply.id!r}: use 1 to 255 letters, digits, '_' or '-'"
            if problem:
                reply.status.CopyFrom(_status(status_code_pb2.ANNOTATION_INVALID_ARGUMENT, problem))
                continue
            for region in reply.data.regions:
                region.id = region.id or uuid.uuid4().hex
            reply.user_id = app.user_id
            reply.created_at.FromMicroseconds(now_us)
            reply.modified_at.FromMicroseconds(now_us)
            valid.append(reply)
        conflicts = self.store.add_annotations(app, valid)
        for reply, conflict in zip(valid, conflicts):
            if conflict is None:
                reply.status.CopyFrom(_status(status_code_pb2.ANNOTATION_SUCCESS, "Annotation success"))
                continue
            reply.ClearField("created_at")
            reply.ClearField("modified_at")
            if conflict is Conflict.NO_INPUT:
                reply.status.CopyFrom(_status(
                    status_code_pb2.INPUT_DOES_NOT_EXIST, f"Input {reply.input_id!r} does not exist"
                ))
            else:
                reply.status.CopyFrom(_status(
                    status_code_pb2.DATABASE_DUPLICATE_KEY, f"Annotation {reply.id!r} already exists"
                ))
        return service_pb2.MultiAnnotationResponse(
            status=_aggregate(conflicts.count(None), len(replies)), annotations=replies
        )

    @_rpc(service_pb2.MultiAnnotationResponse)
    def ListAnnotations(
        self, request: service_pb2.ListAnnotationsRequest, context: grpc.ServicerContext
    ) -> service_pb2.MultiAnnotationResponse:
        """A page of annotations in insertion order, filtered by ids and input ids."""
        app = self._admit(request, context, annotations=True)
        offset, limit = _page(request.page, request.per_page)
        return service_pb2.MultiAnnotationResponse(
            status=_OK,
            annotations=self.store.annotations(
                app, offset, limit, ids=list(request.ids), input_ids=list(request.input_ids)
            ),
        )


def _token(metadata: Sequence[tuple[str, str | bytes]] | None) -> str | None:
    """The token of an `authorization: Key <token>` header, if any."""
    for key, value in metadata or ():
        if key == "authorization" and isinstance(value, str) and value.startswith("Key "):
            return value[len("Key "):]
    return None


class Sandbox:
    """A running sandbox server; stop it (or leave its `with` block) when done."""

    def __init__(
        self,
        config: SandboxConfig,
        host: str,
        port: int,
        server: grpc.Server,
        executor: ThreadPoolExecutor,
        servicer: _Servicer,
        store: InputStore,
        hosting: HostedCopies,
    ) -> None:
        self.config = config
        self.host = host
        self.port = port
        self._server = server
        self._executor = executor
        self._servicer = servicer
        self._store = store
        self._hosting = hosting
        self._stopped = False

    @property
    def address(self) -> str:
        """host:port, as a gRPC channel target."""
        return f"{self.host}:{self.port}"

    def stop(self) -> None:
        """Stop serving and close the database; calling it again does nothing."""
        if self._stopped:
            return
        self._stopped = True
        self._server.stop(grace=1.0).wait()
        self._executor.shutdown(wait=False)
        self._servicer.downloads.close()
        self._hosting.close()
        self._store.close()

    def wait(self) -> None:
        """Block until the server stops."""
        self._server.wait_for_termination()

    def stored_inputs(self) -> list[resources_pb2.Input]:
        """Everything stored, in insertion order, each with its current status."""
        return self._store.all_inputs()

    def stats(self) -> SandboxStats:
        """Counters since start or the last reset."""
        return self._servicer.stats()

    def reset(self) -> None:
        """Delete all inputs, jobs, concepts, datasets and annotations and zero the stats."""
        self._store.clear()
        self._servicer.reset()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start(
    config: SandboxConfig = SandboxConfig(),
    host: str = "127.0.0.1",
    port: int = 0,
    data_dir: str | None = None,
) -> Sandbox:
    """Start a sandbox in the background; port 0 picks a free port (see `.port`).

    With data_dir, inputs persist in an SQLite file there; otherwise in memory.
    """
    path = None
    if data_dir:
        os.makedirs(data_dir, exist_ok=True)
        path = os.path.join(data_dir, SQLITE_FILE)
    store = InputStore(path, config.download_delay)
    servicer = _Servicer(config, store)
    executor = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="sandbox")
    server = grpc.server(
        executor,
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            # Linux lets a second server share a port by default, which would split
            # calls between two sandboxes silently: make a taken port an error.
            ("grpc.so_reuseport", 0),
        ],
    )
    service_pb2_grpc.add_V2Servicer_to_server(servicer, server)
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError:
        bound = 0  # newer grpcio raises where older ones return 0
    if not bound:
        servicer.downloads.close()
        store.close()
        executor.shutdown(wait=False)
        raise OSError(f"sandbox: cannot listen on {host}:{port} (is the port taken?)")
    hosting = HostedCopies(store, App(config.user_id, config.app_id), (*config.pats, config.api_key), host)
    servicer.hosted_prefix = hosting.prefix
    server.start()
    return Sandbox(config, host, bound, server, executor, servicer, store, hosting)


def serve(config: SandboxConfig, host: str, port: int, data_dir: str | None) -> None:
    """Run a sandbox until interrupted; prints nothing (the caller reports the address)."""
    sandbox = start(config, host, port, data_dir)
    try:
        sandbox.wait()
    finally:
        sandbox.stop()
