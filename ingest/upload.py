"""Uploading: requests -> per-row outcomes over gRPC, with deadlines, retries and pacing.

Only this module and the sandbox talk gRPC. Workers call `post_batch` and return a
`BatchResult`; they never print or touch shared state besides the `Pacer`. The API's
copies of stored inputs (`hosted_url`) are fetched here too, over HTTP(S) with the key.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import logging
import queue
import random
import re
import threading
import time
import urllib.request
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import grpc
from clarifai_grpc.channel.clarifai_channel import ClarifaiChannel
from clarifai_grpc.grpc.api import resources_pb2, service_pb2, service_pb2_grpc
from clarifai_grpc.grpc.api.status import status_code_pb2

from .build import MAX_BATCH, Batch, build_annotations, chunked
from .errors import AuthError, ConnectionFailed, MissingKey, UsageError
from .outcomes import (
    ALREADY_THERE,
    DOWNLOAD_FAILED,
    DOWNLOAD_FETCHED,
    DOWNLOAD_PENDING,
    FAILED,
    INVALID,
    UPLOADED,
    BatchResult,
    RowOutcome,
)
from .boxes import BoxRecord

HOSTED_BASE = "api.clarifai.com"
TLS_PORT = 443
INSECURE_PORT = 18080  # ClarifaiChannel's default for plaintext
DEADLINE_SECONDS = 60.0  # per call; a batch of 128 urls takes well under a second when healthy
CONNECT_SECONDS = 5.0  # to reach the server before anything is read or sent
LIST_PAGE_SIZE = 1000  # items per page of a list call
MAX_LIST_PAGES = 10_000  # pages read at most from one list call (10 million items)
DOWNLOAD_POLL_SECONDS = 0.25  # first wait before asking again whether the server fetched the urls
DOWNLOAD_POLL_MAX_SECONDS = 5.0  # the longest wait between those questions
FETCH_SECONDS = 5.0  # to fetch one image: a hosted copy, or an input's own url
FETCH_WORKERS = 8  # images fetched at a time
DELETE_WORKERS = 4  # DeleteInputs calls in flight when an upload is undone
MAX_FETCHED_BYTES = 20 * 1024 * 1024  # of one fetched image: the API's limit for an image

log = logging.getLogger("ingest")

_UNREACHABLE_HINT = ("Check the address and your network; for a local sandbox, check that it is running "
                     "and that the connection is set to plaintext (insecure).")
_OFFLINE_HINT = ("Check this computer's internet connection (a firewall or proxy may block api.clarifai.com), then "
                 "try again; the practice server works without one.")

ADD_INPUTS, READ_INPUTS = "add inputs to this app", "read this app's inputs"  # what a refused call was to do
AUTH_PROBLEMS = {
    status_code_pb2.CONN_KEY_INVALID: (
        "The server refused the key: it is not a valid personal access token or app key.",
        "Copy the key again from Clarifai (Settings > Secrets) and check that nothing is missing.",
    ),
    status_code_pb2.CONN_KEY_NOT_FOUND: (
        "The server does not know this key: it may have been deleted.",
        "Create a new personal access token in Clarifai (Settings > Secrets) and use it.",
    ),
    status_code_pb2.CONN_INSUFFICIENT_SCOPES: (
        "The key works but is not allowed to {what}.",
        "Use a personal access token, or an app key with the scopes this needs (Inputs, Annotations and "
        "Datasets: add and get; Inputs: delete, to undo an upload).",
    ),
    status_code_pb2.CONN_DOES_NOT_EXIST: (
        "The user or app named does not exist for this key.",
        "Check the user id and app id: they are the two parts of the app's address, clarifai.com/USER/APP.",
    ),
}
RETRYABLE_STATUS = {status_code_pb2.CONN_THROTTLED}
RETRYABLE_GRPC = {
    grpc.StatusCode.UNAVAILABLE,  # ClarifaiChannel's service config already retried it up to 5 times
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
}
STORED_CODES = {
    status_code_pb2.SUCCESS,
    status_code_pb2.INPUT_DOWNLOAD_PENDING,
    status_code_pb2.INPUT_DOWNLOAD_SUCCESS,
    status_code_pb2.INPUT_DOWNLOAD_IN_PROGRESS,
}
BATCH_ANSWERED = {status_code_pb2.SUCCESS, status_code_pb2.MIXED_STATUS, status_code_pb2.FAILURE}


@dataclass(frozen=True)
class Target:
    """Where inputs go and with which credentials; `repr` never shows a key."""

    base: str = HOSTED_BASE
    insecure: bool = False
    pat: str = field(default="", repr=False)
    user_id: str = ""
    app_id: str = ""
    api_key: str = field(default="", repr=False)

    def check(self) -> None:
        """Raise `UsageError` unless the credentials are complete, the ids are ids (not addresses), and the key can
        be sent (a gRPC header holds printable ASCII only: a key pasted with an invisible character would read as
        the server failing)."""
        for kind, value in (("user id", self.user_id), ("app id", self.app_id)):
            if "/" in value:
                raise UsageError(f"The {kind} {value!r} holds a '/', which no id has.",
                                 "Give the app's whole address (clarifai.com/USER/APP), or the user id and the app "
                                 "id, each alone.")
        if self.pat and not (self.user_id and self.app_id):
            raise MissingKey(
                "A personal access token needs a user id and an app id.",
                "Give --user-id and --app-id (or CLARIFAI_USER_ID and CLARIFAI_APP_ID).",
            )
        if not (self.pat or self.api_key):
            raise MissingKey(
                "No key was given.",
                "Give a personal access token with --pat, --user-id and --app-id "
                "(or CLARIFAI_PAT, CLARIFAI_USER_ID, CLARIFAI_APP_ID), or an app key with --api-key.",
            )
        key = self.pat or self.api_key
        if not all(" " < character < "\x7f" for character in key):
            kind = "personal access token" if self.pat else "app key"
            raise UsageError(f"The {kind} holds a character no key has (a space, an invisible character or a letter "
                             "outside A-Z).", "Copy the key again from Clarifai, and paste only the key.")

    @property
    def address(self) -> str:
        host, port = self.host_port
        return f"{host}:{port}"

    @property
    def host_port(self) -> tuple[str, int]:
        base = self.base.strip().removeprefix("https://").removeprefix("http://").rstrip("/")
        host, _, port = base.rpartition(":") if ":" in base else (base, "", "")
        default = INSECURE_PORT if self.insecure else TLS_PORT
        if port and not port.isdigit():
            raise UsageError(f"The server address {self.base!r} has no valid port.", "Write it as HOST or HOST:PORT.")
        return host, int(port) if port else default

    @property
    def user_app_id(self) -> tuple[str, str] | None:
        """(user, app) for a personal access token; a legacy app key names its app itself."""
        return (self.user_id, self.app_id) if self.pat else None

    @property
    def identity(self) -> str:
        """Names the destination for the resume journal: address, user and app, never the key.

        A legacy app key names its app only through itself, so a one-way tag of it stands in.
        """
        if self.pat:
            return f"{self.address}/{self.user_id}/{self.app_id}"
        tag = hashlib.blake2b(self.api_key.encode(), digest_size=8, person=b"ingest-app-key").hexdigest()
        return f"{self.address}/app-key-{tag}"

    @property
    def label(self) -> str:
        """Where uploads go, in words, without the key."""
        app = f"{self.user_id}/{self.app_id}" if self.pat else "the app of the app key"
        return f"{app} at {self.address}"

    @classmethod
    def from_env(cls, env: Mapping[str, str], **given: str | bool | None) -> Target:
        """Address and credentials from CLARIFAI_* variables; values in `given` (not None) win.

        A key given directly replaces the other kind from the environment, and an
        'http://' address means plaintext, as in Clarifai's SDK.
        """
        values: dict = {
            "base": env.get("CLARIFAI_GRPC_BASE") or HOSTED_BASE,
            "insecure": env.get("CLARIFAI_GRPC_INSECURE", "").strip().lower() in ("1", "true", "yes"),
            "pat": env.get("CLARIFAI_PAT", ""),
            "user_id": env.get("CLARIFAI_USER_ID", ""),
            "app_id": env.get("CLARIFAI_APP_ID", ""),
            "api_key": env.get("CLARIFAI_API_KEY", ""),
        }
        given = {name: value for name, value in given.items() if value is not None}
        if given.get("api_key") and not given.get("pat"):
            values["pat"] = ""
        if given.get("pat") and not given.get("api_key"):
            values["api_key"] = ""
        values.update(given)
        values["insecure"] = bool(values["insecure"]) or str(values["base"]).strip().startswith("http://")
        for name in ("pat", "user_id", "app_id", "api_key"):  # a value read from a file may end in a line break
            values[name] = str(values[name] or "").strip()
        values["user_id"], values["app_id"] = _user_and_app(values["user_id"], values["app_id"])
        return cls(**values)


def _app_in_address(text: str) -> tuple[str, str] | None:
    """(user id, app id) from an app's address as the browser shows it (clarifai.com/USER/APP/...), else None."""
    match = _APP_ADDRESS.fullmatch(text.strip())
    return (match["user"], match["app"]) if match else None


_APP_ADDRESS = re.compile(  # also the older Portal's form, clarifai.com/users/USER/apps/APP
    r"(?:https?://)?(?:[\w-]+\.)*clarifai\.com/(?:users/)?(?P<user>[^/?#\s]+)/(?:apps/)?(?P<app>[^/?#\s]+)"
    r"(?:[/?#]\S*)?", re.IGNORECASE)


def _user_and_app(user_id: str, app_id: str) -> tuple[str, str]:
    """The ids, with an app's address pasted as either one read as both (the other may be empty or agree)."""
    for pasted, other in ((user_id, app_id), (app_id, user_id)):
        ids = _app_in_address(pasted)
        if ids is None:
            continue
        if other not in ("", *ids, pasted):
            raise UsageError(f"The app's address names user {ids[0]!r} and app {ids[1]!r}, which the other id "
                             f"({other!r}) does not match.", "Give the app's address, or the user id and the app id.")
        return ids
    return user_id, app_id


@dataclass(frozen=True)
class RetryPolicy:
    """A cap on attempts, exponential backoff with full jitter, and a ceiling on the wait."""

    attempts: int = 8
    base_seconds: float = 0.5
    max_seconds: float = 15.0

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1)))


class Pacer:
    """Spaces requests out and learns the server's rate limit from its throttling (AIMD).

    Starts unlimited (or at `max_rps`). On CONN_THROTTLED the rate drops to 0.9 of
    what was sent over the last second, once per round of requests; each accepted
    request then raises it a little, probing back towards the limit.
    """

    DECREASE = 0.9
    INCREASE_PER_SECOND = 0.5  # requests/s gained per second of accepted requests

    def __init__(self, max_rps: float | None = None) -> None:
        self._lock = threading.Lock()
        self._ceiling = max_rps or float("inf")
        self._rate = self._ceiling
        self._next_send = 0.0
        self._last_decrease = 0.0
        self._sent: deque[float] = deque()

    @property
    def rate(self) -> float:
        return self._rate

    def wait_turn(self, stop: threading.Event | None = None) -> float:
        """Block until this request may go; return its send time."""
        with self._lock:
            now = time.monotonic()
            send_at = max(now, self._next_send)
            if self._rate != float("inf"):
                self._next_send = send_at + 1.0 / self._rate
            self._sent.append(send_at)
            while self._sent and self._sent[0] < send_at - 1.0:
                self._sent.popleft()
        if send_at > now:
            (stop.wait if stop else time.sleep)(send_at - now)
        return send_at

    def throttled(self, sent_at: float) -> None:
        with self._lock:
            if sent_at < self._last_decrease:
                return  # sent before the last decrease: that decrease already answered it
            observed = max(1.0, float(len(self._sent)))
            self._rate = min(self._ceiling, min(self._rate, observed) * self.DECREASE)
            self._last_decrease = time.monotonic()

    def accepted(self) -> None:
        with self._lock:
            if self._rate < self._ceiling:
                self._rate = min(self._ceiling, self._rate + self.INCREASE_PER_SECOND / self._rate)


class StoredBox(NamedTuple):
    """A region the app holds: what it shows, its edges as fractions of the image, and a polygon's outline
    (each part's x1, y1, x2, y2, ...; () for a bounding box)."""

    concept: str
    left: float
    top: float
    right: float
    bottom: float
    outline: tuple[tuple[float, ...], ...] = ()


class Client:
    """A channel and stub for one target, with the key sent as call metadata."""

    def __init__(self, target: Target, deadline: float = DEADLINE_SECONDS) -> None:
        self.target = target
        self.deadline = deadline
        host, port = target.host_port
        if target.insecure:
            self._channel = ClarifaiChannel.get_insecure_grpc_channel(base=host, port=port)
        else:
            self._channel = ClarifaiChannel.get_grpc_channel(base=f"{host}:{port}")
        # Right after the channel: ClarifaiChannel sets a module-level deserializer the stub reads.
        self._stub = service_pb2_grpc.V2Stub(self._channel)
        self._post_encoded_inputs = self._channel.unary_unary(  # requests arrive already serialized
            "/clarifai.api.V2/PostInputs", response_deserializer=service_pb2.MultiInputResponse.FromString)
        self._metadata = (("authorization", f"Key {target.pat or target.api_key}"),)

    def __repr__(self) -> str:
        return f"Client({self.target!r})"

    def wait_ready(self, timeout: float = CONNECT_SECONDS) -> None:
        """Raise `ConnectionFailed` naming the address when the server cannot be reached.

        A refused connection or unknown host answers at once (TRANSIENT_FAILURE); only a
        silent network waits for `timeout`.
        """
        hint = _OFFLINE_HINT if self.target.base == HOSTED_BASE else _UNREACHABLE_HINT
        states: queue.Queue[grpc.ChannelConnectivity] = queue.Queue()
        self._channel.subscribe(states.put, try_to_connect=True)
        deadline = time.monotonic() + timeout
        try:
            while True:
                state = states.get(timeout=max(0.0, deadline - time.monotonic()))
                if state is grpc.ChannelConnectivity.READY:
                    return
                if state is grpc.ChannelConnectivity.TRANSIENT_FAILURE:
                    raise ConnectionFailed(
                        f"Could not connect to the server at {self.target.address}: "
                        "nothing answers there, or the name is unknown.", hint)
        except queue.Empty:
            raise ConnectionFailed(
                f"Could not reach the server at {self.target.address} within {timeout:.0f} s.", hint
            ) from None
        finally:
            self._channel.unsubscribe(states.put)

    def close(self) -> None:
        self._channel.close()

    def _user_app(self) -> resources_pb2.UserAppIDSet | None:
        pair = self.target.user_app_id
        return resources_pb2.UserAppIDSet(user_id=pair[0], app_id=pair[1]) if pair else None

    def post_inputs(self, request: bytes) -> service_pb2.MultiInputResponse:
        """PostInputs with a serialized `PostInputsRequest` (see `ingest.build`)."""
        return self._post_encoded_inputs(request, metadata=self._metadata, timeout=self.deadline)

    def post_annotations(self, request: service_pb2.PostAnnotationsRequest) -> service_pb2.MultiAnnotationResponse:
        return self._stub.PostAnnotations(request, metadata=self._metadata, timeout=self.deadline)

    def list_inputs(self, ids: list[str]) -> service_pb2.MultiInputResponse:
        request = service_pb2.ListInputsRequest(user_app_id=self._user_app(), ids=ids, per_page=len(ids))
        return self._stub.ListInputs(request, metadata=self._metadata, timeout=self.deadline)

    def _ask(self, method: str, request: Any, what: str, hint: str, retry: RetryPolicy = RetryPolicy()) -> Any:
        """Call `method` with retries; raise `ConnectionFailed` (saying `what` failed) unless it succeeds."""
        call = getattr(self._stub, method)
        answer = call_with_retries(
            lambda: call(request, metadata=self._metadata, timeout=self.deadline), retry, Pacer(), what=what)
        if answer.response is None or answer.response.status.code != status_code_pb2.SUCCESS:
            why = answer.reason or answer.response.status.description
            raise ConnectionFailed(f"Could not {what} ({why}).", hint)
        return answer.response

    def _every_page(self, method: str, request_for: Callable[[int, int], Any], items: str, what: str, hint: str,
                    retry: RetryPolicy = RetryPolicy()) -> Iterator[Any]:
        """The items (the response field `items`) of every page of a list call, a thousand at a time."""
        for page in range(1, MAX_LIST_PAGES + 1):
            found = getattr(self._ask(method, request_for(page, LIST_PAGE_SIZE), what, hint, retry), items)
            yield from found
            if len(found) < LIST_PAGE_SIZE:
                break

    def dataset_ids(self) -> set[str]:
        """The ids of every dataset in the app."""
        datasets = self._every_page(
            "ListDatasets",
            lambda page, per_page: service_pb2.ListDatasetsRequest(user_app_id=self._user_app(), page=page,
                                                                   per_page=per_page),
            "datasets", "list the app's datasets", "Try again in a moment; check that the key may read datasets.")
        return {dataset.id for dataset in datasets}

    def boxes(self, input_ids: list[str], retry: RetryPolicy = RetryPolicy()) -> dict[str, list[StoredBox]]:
        """The bounding boxes and polygons on these inputs, by input id."""
        annotations = self._every_page(
            "ListAnnotations",
            lambda page, per_page: service_pb2.ListAnnotationsRequest(
                user_app_id=self._user_app(), input_ids=input_ids, page=page, per_page=per_page),
            "annotations", "list the inputs' bounding boxes",
            "Try again in a moment; check that the key may read annotations.", retry)
        boxes: dict[str, list[StoredBox]] = {}
        for annotation in annotations:
            for region in annotation.data.regions:
                concepts, info = region.data.concepts, region.region_info
                concept = (concepts[0].name or concepts[0].id) if concepts else ""
                if info.HasField("bounding_box"):
                    box = info.bounding_box
                    stored = StoredBox(concept, box.left_col, box.top_row, box.right_col, box.bottom_row)
                elif len(info.polygon.points) >= 3:
                    columns, rows = [p.col for p in info.polygon.points], [p.row for p in info.polygon.points]
                    stored = StoredBox(concept, min(columns), min(rows), max(columns), max(rows),
                                       (tuple(v for point in zip(columns, rows) for v in point),))
                else:
                    continue
                boxes.setdefault(annotation.input_id, []).append(stored)
        return boxes

    def list_page(self, page: int, per_page: int, retry: RetryPolicy = RetryPolicy()) -> list[resources_pb2.Input]:
        """One page of the app's inputs (ListInputs; pages count from 1), each with its status.

        Raises `AuthError` when the key is refused and `ConnectionFailed` when no answer comes.
        """
        request = service_pb2.ListInputsRequest(user_app_id=self._user_app(), page=page, per_page=per_page)
        response = self._ask("ListInputs", request, "list the app's inputs",
                             "Try again in a moment; check that the key may read inputs.", retry)
        return list(response.inputs)

    def create_datasets(self, ids: list[str]) -> None:
        """Create datasets by id (PostDatasets)."""
        request = service_pb2.PostDatasetsRequest(
            user_app_id=self._user_app(), datasets=[resources_pb2.Dataset(id=i) for i in ids])
        self._ask("PostDatasets", request, f"create the dataset(s) {', '.join(ids)}",
                  "Create them in Clarifai yourself, or check that the key may add datasets.")

    def delete_inputs(self, ids: Sequence[str], on_deleted: Callable[[int], None] = lambda count: None) -> None:
        """Delete inputs by id (DeleteInputs, 128 ids a call, a few calls at once), telling `on_deleted` how many
        each call deleted. Raises `AuthError` or `ConnectionFailed` when a call fails; what was deleted stays so."""
        def delete(chunk: list[str]) -> int:
            request = service_pb2.DeleteInputsRequest(user_app_id=self._user_app(), ids=chunk)
            self._ask("DeleteInputs", request, "delete inputs", "Try again: the inputs still there are deleted then.")
            return len(chunk)

        with ThreadPoolExecutor(DELETE_WORKERS) as pool:
            try:
                for count in pool.map(delete, chunked(ids, MAX_BATCH)):
                    on_deleted(count)
            except BaseException:
                pool.shutdown(cancel_futures=True)
                raise

    def count_inputs(self) -> int:
        """The number of inputs in the app; raises `AuthError` when the key is refused."""
        request = service_pb2.GetInputCountRequest(user_app_id=self._user_app())
        try:
            response = self._stub.GetInputCount(request, metadata=self._metadata, timeout=self.deadline)
        except grpc.RpcError as error:
            raise ConnectionFailed(
                f"The server at {self.target.address} did not answer ({error.code().name}).",
                "Check the address and try again in a moment.",
            ) from None
        raise_for_auth(response.status, READ_INPUTS)
        counts = response.counts
        return counts.processed + counts.to_process + counts.errors + counts.processing


def is_loopback(url: str) -> bool:
    """Whether the url's host is this machine (127.0.0.0/8, ::1, localhost)."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def hosted_url(media: resources_pb2.Image | resources_pb2.Video | resources_pb2.Audio, size: str) -> str:
    """Where the API keeps its copy of an input's media in `size` (its original when it has no such
    size); "" when it names none, or one the key may not be sent to (plain HTTP off this machine)."""
    hosted = media.hosted
    if not hosted.prefix or not (hosted.prefix.startswith("https://") or is_loopback(hosted.prefix)):
        return ""
    return f"{hosted.prefix}/{size if size in hosted.sizes else 'orig'}/{hosted.suffix}"


def source_url(media: resources_pb2.Image | resources_pb2.Video | resources_pb2.Audio | resources_pb2.Text) -> str:
    """The url an input was added from; "" for one sent as bytes, whose url is the API's own copy."""
    hosted = media.hosted
    return "" if hosted.prefix and media.url == f"{hosted.prefix}/orig/{hosted.suffix}" else media.url


class _KeyStaysHome(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but send the key only to the host it was meant for."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        there, here = urlsplit(newurl), urlsplit(req.full_url)
        if new is not None and (there.scheme, there.netloc) != (here.scheme, here.netloc):
            new.remove_header("Authorization")
        return new


_OPENER = urllib.request.build_opener(_KeyStaysHome)
_LOOPBACK_OPENER = urllib.request.build_opener(_KeyStaysHome, urllib.request.ProxyHandler({}))  # whatever http_proxy says


Keep = Callable[[bytes], bytes | None]  # what to keep of a fetched image (a shrunk copy), as soon as it arrives


def fetch_hosted(target: Target, urls: Sequence[str], keep: Keep | None = None) -> list[bytes | None]:
    """The bytes at each `hosted_url` (or what `keep` makes of them), fetched together with the target's key;
    None where a fetch failed (the failure is logged without the key)."""
    return _fetch_each(urls, {"Authorization": f"Key {target.pat or target.api_key}"}, keep)


def fetch_public(urls: Sequence[str], keep: Keep | None = None) -> list[bytes | None]:
    """The bytes at each http(s) url (or what `keep` makes of them), fetched together and without a key (an
    input's own url, to draw its boxes on); None where a fetch failed or the url is not http(s)."""
    return _fetch_each(urls, {}, keep)


def _fetch_each(urls: Sequence[str], headers: Mapping[str, str], keep: Keep | None) -> list[bytes | None]:
    """Fetch in threads; each thread keeps what `keep` makes of its image, so only those in flight are whole."""

    def fetch(url: str) -> bytes | None:
        try:
            if urlsplit(url).scheme.lower() not in ("http", "https"):
                raise ValueError("not an http(s) url")
            request = urllib.request.Request(url, headers=dict(headers))
            opener = _LOOPBACK_OPENER if is_loopback(url) else _OPENER
            with opener.open(request, timeout=FETCH_SECONDS) as response:
                content = response.read(MAX_FETCHED_BYTES + 1)
            if len(content) > MAX_FETCHED_BYTES:
                return None
            return keep(content) if keep else content
        except (OSError, ValueError, http.client.HTTPException) as error:  # none of them holds the key
            log.info("could not fetch %s: %s", url, error)
            return None

    with ThreadPoolExecutor(FETCH_WORKERS, thread_name_prefix="fetch") as pool:
        return list(pool.map(fetch, urls))


def raise_for_auth(status, what: str = ADD_INPUTS) -> None:
    """Raise `AuthError` for key, scope and user/app refusals (`what` the call was to do, for a key that
    lacks its scope): nothing more should be sent."""
    if status.code in AUTH_PROBLEMS:
        message, hint = AUTH_PROBLEMS[status.code]
        raise AuthError(message.format(what=what), hint)


@dataclass(frozen=True)
class Answer:
    """A reply to act on, or `None` with the reason there is none (attempts ran out, stopped...)."""

    response: Any
    attempts: int
    reason: str
    maybe_stored: bool  # a lost reply may hide a stored batch; a throttled refusal stores nothing
    stopped: bool = False  # the stop came before an answer


def call_with_retries(
    call: Callable[[], Any],
    retry: RetryPolicy,
    pacer: Pacer,
    stop: threading.Event | None = None,
    what: str = ADD_INPUTS,
) -> Answer:
    """Make one API call, paced, retrying throttling and transport failures within `retry`.

    Raises `AuthError` when the server refuses the key (`what` says what the call was to do): the job
    must stop.
    """
    reason, maybe_stored = "", False
    for attempt in range(1, retry.attempts + 1):
        sent_at = pacer.wait_turn(stop)
        if stop is not None and stop.is_set():  # before, or while waiting for its turn
            stopped = "not sent: the upload was stopped" if attempt == 1 else _stopped_retrying(reason)
            return Answer(None, attempt - 1, stopped, maybe_stored, stopped=True)
        try:
            response = call()
        except grpc.RpcError as error:
            code = error.code()
            reason = f"{code.name}: {error.details() or 'no details'}"
            if code not in RETRYABLE_GRPC:
                return Answer(None, attempt, reason, maybe_stored)
            maybe_stored, retry_name = True, code.name
        else:
            raise_for_auth(response.status, what)
            if response.status.code not in RETRYABLE_STATUS:
                pacer.accepted()
                return Answer(response, attempt, "", maybe_stored)
            pacer.throttled(sent_at)
            retry_name = status_code_pb2.StatusCode.Name(response.status.code)
            reason = f"{retry_name}: {response.status.description}"
        if attempt == retry.attempts:
            break
        delay = retry.delay(attempt)
        log.warning("retry %d/%d in %.1f s: %s", attempt + 1, retry.attempts, delay, retry_name)
        if stop is not None and stop.wait(delay):
            return Answer(None, attempt, _stopped_retrying(reason), maybe_stored, stopped=True)
        if stop is None:
            time.sleep(delay)
    return Answer(None, retry.attempts, f"gave up after {retry.attempts} attempts ({reason})", maybe_stored)


def _stopped_retrying(reason: str) -> str:
    return f"the upload was stopped before this was sent again ({reason})"


def post_batch(
    client: Client,
    batch: Batch,
    retry: RetryPolicy = RetryPolicy(),
    pacer: Pacer | None = None,
    stop: threading.Event | None = None,
) -> BatchResult:
    """Send one batch until it is answered or its attempts run out; every row gets an outcome, unless the upload
    is stopped before the batch is answered (while it waits to be sent, or sent again after a throttled or lost
    reply): its rows are then left for the next run, as the rows not read yet are, rather than counted as failed."""
    started = time.monotonic()
    pacer = pacer or Pacer()
    answer = call_with_retries(lambda: client.post_inputs(batch.request), retry, pacer, stop)
    if answer.stopped:
        return BatchResult([], answer.attempts, time.monotonic() - started)
    response, reason = answer.response, answer.reason
    if response is not None:
        status = response.status
        if status.code in BATCH_ANSWERED and len(response.inputs) == len(batch.records):
            def look_up(ids: list[str]) -> Answer:
                return call_with_retries(lambda: client.list_inputs(ids), retry, pacer, stop, READ_INPUTS)

            outcomes = _row_outcomes(look_up, batch, response, resent=answer.maybe_stored)
            return BatchResult(outcomes, answer.attempts, time.monotonic() - started)
        reason = f"the server refused the batch: {status.description or status_code_pb2.StatusCode.Name(status.code)}"
    outcomes = [RowOutcome(r.line, r.input_id, r.reference, FAILED, reason, r.cells) for r in batch.records]
    return BatchResult(outcomes, answer.attempts, time.monotonic() - started)


def check_downloads(
    client: Client,
    outcomes: list[RowOutcome],
    wait_seconds: float,
    retry: RetryPolicy = RetryPolicy(),
    pacer: Pacer | None = None,
    stop: threading.Event | None = None,
) -> list[RowOutcome]:
    """Poll ListInputs by ids until each input's download succeeded or failed, or `wait_seconds` pass.

    Returns the outcomes with `download` set to fetched, failed (with the server's reason) or pending; rows
    combined into one input share its id, and its answer.
    """
    pacer = pacer or Pacer()
    pending: dict[str, list[RowOutcome]] = {}
    for outcome in outcomes:
        pending.setdefault(outcome.input_id, []).append(outcome)
    checked: list[RowOutcome] = []
    deadline = time.monotonic() + wait_seconds
    delay = DOWNLOAD_POLL_SECONDS
    while pending:
        ids = list(pending)
        answer = call_with_retries(lambda: client.list_inputs(ids), retry, pacer, stop, READ_INPUTS)
        listed = {item.id for item in answer.response.inputs} if answer.response is not None else set(ids)
        for absent in set(ids) - listed:  # stored under another id (a duplicate url): nothing to wait for
            checked.extend(pending.pop(absent))
        for item in answer.response.inputs if answer.response is not None else ():
            code = item.status.code
            if code == status_code_pb2.INPUT_DOWNLOAD_SUCCESS and item.id in pending:
                checked.extend(replace(o, download=DOWNLOAD_FETCHED) for o in pending.pop(item.id))
            elif code == status_code_pb2.INPUT_DOWNLOAD_FAILED and item.id in pending:
                why = item.status.description or "no reason given"
                checked.extend(replace(o, download=DOWNLOAD_FAILED,
                                       reason=f"the server could not download the url ({why}) - check that "
                                              "it opens in a browser without logging in")
                               for o in pending.pop(item.id))
        if answer.response is None or time.monotonic() + delay > deadline:
            break
        if stop is not None and stop.wait(delay):
            break
        if stop is None:
            time.sleep(delay)
        delay = min(delay * 2, DOWNLOAD_POLL_MAX_SECONDS)
    return checked + [replace(o, download=DOWNLOAD_PENDING) for rows in pending.values() for o in rows]


def post_boxes(
    client: Client,
    boxes: list[tuple[str, BoxRecord]],
    retry: RetryPolicy = RetryPolicy(),
    pacer: Pacer | None = None,
    stop: threading.Event | None = None,
) -> list[RowOutcome]:
    """Post (input id, box) pairs as region annotations (a box with an outline as its polygon); an outcome per box
    row."""
    request = build_annotations(boxes, client.target.user_app_id)
    answer = call_with_retries(lambda: client.post_annotations(request), retry, pacer or Pacer(), stop,
                               "add bounding boxes (annotations) to this app")
    response = answer.response
    if response is None or len(response.annotations) != len(boxes):
        reason = answer.reason or f"the server refused the boxes: {response.status.description}"
        return [RowOutcome(box.line, input_id, box.url, FAILED, reason) for input_id, box in boxes]
    outcomes = []
    for (input_id, box), answered in zip(boxes, response.annotations):
        code = answered.status.code
        if code in (status_code_pb2.ANNOTATION_SUCCESS, status_code_pb2.SUCCESS):
            outcomes.append(RowOutcome(box.line, input_id, box.url, UPLOADED))
        elif code == status_code_pb2.DATABASE_DUPLICATE_KEY:
            outcomes.append(RowOutcome(box.line, input_id, box.url, ALREADY_THERE))
        elif code == status_code_pb2.INPUT_DOES_NOT_EXIST:
            outcomes.append(RowOutcome(box.line, input_id, box.url, FAILED,
                                       f"the app has no input {input_id!r} - upload its row first"))
        else:
            name = status_code_pb2.StatusCode.Name(code) if code else "no status"
            outcomes.append(RowOutcome(box.line, input_id, box.url, INVALID if "INVALID" in name else FAILED,
                                       f"the server refused the box: {answered.status.description or name}"))
    return outcomes


def _row_outcomes(
    look_up: Callable[[list[str]], Answer], batch: Batch, response: service_pb2.MultiInputResponse, resent: bool
) -> list[RowOutcome]:
    """Read each input's own status, resolving INPUT_DUPLICATE by looking the id up."""
    outcomes: list[RowOutcome | None] = []
    duplicates: list[int] = []
    for i, (record, answered) in enumerate(zip(batch.records, response.inputs)):
        code = answered.status.code
        if code in STORED_CODES:
            outcomes.append(RowOutcome(record.line, record.input_id, record.reference, UPLOADED))
        elif code == status_code_pb2.INPUT_DUPLICATE:
            outcomes.append(None)
            duplicates.append(i)
        else:
            name = status_code_pb2.StatusCode.Name(code) if code else "no status"
            status = INVALID if "INVALID" in name else FAILED
            reason = f"the server refused it: {answered.status.description or name}"
            outcomes.append(RowOutcome(record.line, record.input_id, record.reference, status, reason, record.cells))
    if duplicates:
        records = [batch.records[i] for i in duplicates]
        for i, outcome in zip(duplicates, _resolve_duplicates(look_up, records, resent)):
            outcomes[i] = outcome
    return outcomes  # type: ignore[return-value]


def _source(data: resources_pb2.Data) -> str:
    """Where a stored input came from: its media url, or its inline text; "" for bytes."""
    for media in (data.image, data.video, data.audio, data.text):
        if url := source_url(media):
            return url
    return data.text.raw


def _fetched_from_elsewhere(source: str) -> bool:
    """Whether a stored input came from a web address other than the server's copy of uploaded bytes."""
    if not source.startswith(("http://", "https://")):
        return False
    host = (urlsplit(source).hostname or "").lower()
    return not (host == "clarifai.com" or host.endswith(".clarifai.com"))


def _resolve_duplicates(look_up: Callable[[list[str]], Answer], records: list, resent: bool) -> list[RowOutcome]:
    """INPUT_DUPLICATE is fine when the stored input has our url; a taken id is a failure."""
    response = look_up([r.input_id for r in records]).response
    checked = response is not None and response.status.code == status_code_pb2.SUCCESS
    stored = {item.id: _source(item.data) for item in response.inputs} if checked else {}
    outcomes = []
    for r in records:
        if r.file and checked and r.input_id in stored and not _fetched_from_elsewhere(stored[r.input_id]):
            # Bytes come back as the server's own copy (or not at all): the id stands for this file.
            outcomes.append(RowOutcome(r.line, r.input_id, r.reference, UPLOADED if resent else ALREADY_THERE))
        elif not checked:
            outcomes.append(RowOutcome(
                r.line, r.input_id, r.reference, ALREADY_THERE,
                "an input with this id already exists (its url could not be checked)",
            ))
        elif r.input_id not in stored:
            outcomes.append(RowOutcome(
                r.line, r.input_id, r.reference, ALREADY_THERE,
                "this url is already in the app (duplicate urls are not allowed)",
            ))
        elif stored[r.input_id] == (r.url or r.text):
            # Our own earlier attempt may have stored it before its reply was lost.
            status = UPLOADED if resent else ALREADY_THERE
            outcomes.append(RowOutcome(r.line, r.input_id, r.reference, status))
        else:
            outcomes.append(RowOutcome(
                r.line, r.input_id, r.reference, FAILED,
                f"the id is taken by another input (url {stored[r.input_id]}); give this row a different input_id",
                r.cells,
            ))
    return outcomes
