"""Building: valid records -> `Input` protos and `PostInputsRequest` batches."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TypeVar

from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from google.protobuf.struct_pb2 import Struct

from .validate import InputRecord

MAX_BATCH = 128  # inputs per PostInputs call, the API's limit
DEFAULT_BATCH = 128  # full batches: the hosted API limits requests, not inputs, per second

T = TypeVar("T")


@dataclass(frozen=True)
class Batch:
    """The records of one request and the request itself, sent together."""

    records: list[InputRecord]
    request: service_pb2.PostInputsRequest


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Cut a stream into lists of at most `size` items."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def build_input(record: InputRecord, allow_duplicate_url: bool) -> resources_pb2.Input:
    """One `Input`: the image url, concepts (1.0 positive, 0.0 negative) and metadata."""
    concepts = [resources_pb2.Concept(id=name, name=name, value=1.0) for name in record.positive]
    concepts += [resources_pb2.Concept(id=name, name=name, value=0.0) for name in record.negative]
    data = resources_pb2.Data(
        image=resources_pb2.Image(url=record.url, allow_duplicate_url=allow_duplicate_url),
        concepts=concepts,
    )
    if record.metadata:
        metadata = Struct()
        metadata.update(record.metadata)
        data.metadata.CopyFrom(metadata)
    return resources_pb2.Input(id=record.input_id, data=data)


def build_batch(
    records: list[InputRecord],
    allow_duplicate_url: bool,
    user_app_id: tuple[str, str] | None,
) -> Batch:
    """A `PostInputsRequest` for `records`; `user_app_id` is (user, app) for a personal access token."""
    request = service_pb2.PostInputsRequest(
        inputs=[build_input(record, allow_duplicate_url) for record in records]
    )
    if user_app_id:
        request.user_app_id.user_id, request.user_app_id.app_id = user_app_id
    return Batch(records=records, request=request)
