"""Building: valid records -> serialized `PostInputsRequest` batches."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import TypeVar

from clarifai_grpc.grpc.api import service_pb2

from . import wire
from .boxes import BoxRecord
from .validate import InputRecord

MAX_BATCH = 128  # inputs per PostInputs call, the API's limit
DEFAULT_BATCH = 128  # full batches: the hosted API limits requests, not inputs, per second
MAX_REQUEST_CHARS = 100 * 1024 * 1024  # of cells per request: the API takes 128 MB; room for the encoding
MAX_VIDEOS = 1  # per request, the API's limit

T = TypeVar("T")


@dataclass(frozen=True)
class Batch:
    """The records of one request and the request itself, sent together."""

    records: list[InputRecord]
    request: bytes  # a serialized PostInputsRequest


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Cut a stream into lists of at most `size` items."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class Batcher:
    """Cuts records into requests within the API's limits: `size` inputs, one video, and well
    under 128 MB (a row's cells, plus its file's bytes, measure its size closely enough)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pending: list[InputRecord] = []
        self._chars = 0
        self._videos = 0

    def add(self, record: InputRecord, chars: int) -> list[InputRecord] | None:
        """Add a record; return the batch it closed, if adding it had to start a new one."""
        video = record.kind == "video"
        full = None
        if self.pending and (len(self.pending) == self.size or self._chars + chars > MAX_REQUEST_CHARS
                             or self._videos + video > MAX_VIDEOS):
            full = self.take()
        self.pending.append(record)
        self._chars += chars
        self._videos += video
        return full

    def take(self) -> list[InputRecord]:
        """The batch gathered so far, emptied."""
        batch, self.pending, self._chars, self._videos = self.pending, [], 0, 0
        return batch


def encode_input(record: InputRecord, allow_duplicate_url: bool, dataset_id: str = "",
                 content: bytes | None = None) -> bytes:
    """One `Input`, encoded: the media url, text or file bytes (`content`), concepts (1.0 positive,
    0.0 negative), metadata, geo point and dataset (the row's own, else `dataset_id`)."""
    if content is not None and record.kind == "text":
        media = wire.media("text", raw=content.decode("utf-8"))  # the job checked that it decodes
    elif content is not None:
        media = wire.media(record.kind, content=content)
    elif record.text:
        media = wire.media("text", raw=record.text)
    else:
        media = wire.media(record.kind, url=record.url, allow_duplicate_url=allow_duplicate_url)
    data = [media, *[wire.concept(name, True) for name in record.positive],
            *[wire.concept(name, False) for name in record.negative]]
    if record.metadata:
        data.append(wire.metadata(record.metadata))
    if record.geo:
        data.append(wire.geo_point(*record.geo))
    return wire.input_message(record.input_id, b"".join(data), record.dataset_id or dataset_id)


def build_batch(
    records: list[InputRecord],
    allow_duplicate_url: bool,
    user_app_id: tuple[str, str] | None,
    dataset_id: str = "",
    files: Mapping[str, bytes | None] | None = None,
) -> Batch:
    """A serialized `PostInputsRequest` for `records`; `user_app_id` is (user, app) for a personal
    access token; `files` holds the bytes of rows that name a local file."""
    request = wire.post_inputs_request([
        encode_input(record, allow_duplicate_url, dataset_id, files[record.file] if record.file else None)
        for record in records
    ], user_app_id)
    return Batch(records=records, request=request)


def annotation_id(input_id: str, box: BoxRecord) -> str:
    """A stable id per box, so posting the same boxes twice stores each once (an outline sent is another
    annotation than the box around it)."""
    content = f"{input_id}|{box.concept}|{box.left}|{box.top}|{box.right}|{box.bottom}"
    if box.outline:
        content += "|" + ";".join(",".join(map(repr, part)) for part in box.outline)
    return hashlib.blake2b(content.encode("utf-8"), digest_size=16).hexdigest()


def build_annotations(
    boxes: list[tuple[str, BoxRecord]], user_app_id: tuple[str, str] | None
) -> service_pb2.PostAnnotationsRequest:
    """A `PostAnnotationsRequest`: one region annotation per (input id, box); a box with an outline is sent as its
    polygon (a region a part), as Clarifai's SDK sends a mask's. (Whoever wants the box instead drops the outline:
    see `UploadJob._load_boxes`.)"""
    request = service_pb2.PostAnnotationsRequest(annotations=[
        {
            "id": annotation_id(input_id, box),
            "input_id": input_id,
            "data": {"regions": _regions(box)},
        }
        for input_id, box in boxes
    ])
    if user_app_id:
        request.user_app_id.user_id, request.user_app_id.app_id = user_app_id
    return request


def _regions(box: BoxRecord) -> list[dict]:
    """A box's regions: each part of its outline (points as row, col), or without one its bounding box."""
    concepts = {"concepts": [{"id": box.concept, "name": box.concept, "value": 1.0}]}
    if box.outline:
        return [{"region_info": {"polygon": {"points": [{"row": y, "col": x, "visibility": "VISIBLE"}
                                                        for x, y in zip(part[0::2], part[1::2])]}},
                 "data": concepts} for part in box.outline]
    return [{"region_info": {"bounding_box": {
        "left_col": box.left, "top_row": box.top, "right_col": box.right, "bottom_row": box.bottom}},
        "data": concepts}]
