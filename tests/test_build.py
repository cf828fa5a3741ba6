"""The request bytes `ingest.build` writes, read back by clarifai-grpc and compared with what
protobuf builds from the same values."""

import math

import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from google.protobuf.struct_pb2 import Struct

from ingest.build import build_batch
from ingest.validate import InputRecord

METADATA = {
    "source": "crawl", "width": 640, "score": 0.25, "big": 2**53 + 1, "negative": -3, "zero": 0, "ok": True,
    "off": False, "none": None, "": "empty key", "ünï": "çødé ✓", "nested": {"a": {"b": [1, "x", None, {"c": []}]}},
    "tags": ["new", "hd"], "empty": {}, "long": "x" * 20_000,
}


def record(**given) -> InputRecord:
    values = dict(line=2, input_id="img-1", url="https://example.com/a.jpg", positive=(), negative=(),
                  metadata=None, id_generated=False, cells=[])
    return InputRecord(**{**values, **given})


def expected_input(r: InputRecord, allow_duplicate_url: bool, dataset_id: str = "",
                   content: bytes | None = None) -> resources_pb2.Input:
    """The same input, built the slow and obvious way with protobuf's own classes."""
    message = resources_pb2.Input(id=r.input_id)
    media = getattr(message.data, r.kind)
    if content is not None and r.kind == "text":
        media.raw = content.decode()
    elif content is not None:
        media.base64 = content
    elif r.text:
        media.raw = r.text
    else:
        media.url = r.url
        media.allow_duplicate_url = allow_duplicate_url
    for name in r.positive:
        message.data.concepts.add(id=name, name=name, value=1.0)
    for name in r.negative:
        message.data.concepts.add(id=name, name=name, value=0.0)
    if r.metadata:
        struct = Struct()
        struct.update(r.metadata)
        message.data.metadata.CopyFrom(struct)
    if r.geo:
        message.data.geo.geo_point.latitude, message.data.geo.geo_point.longitude = r.geo
    if r.dataset_id or dataset_id:
        message.dataset_ids.append(r.dataset_id or dataset_id)
    return message


CASES = [
    record(),
    record(positive=("cat", "dög"), negative=("car",), metadata=METADATA),
    record(kind="video", url="https://example.com/v.mp4", positive=("clip",)),
    record(kind="audio", url="https://example.com/a.mp3", dataset_id="songs"),
    record(kind="text", url="https://example.com/a.txt"),
    record(kind="text", url="", text="a review ✓ " * 2000, negative=("spam",)),
    record(geo=(40.75, -73.98), metadata={"n": 1}),
    record(url="https://example.com/" + "p" * 9000),
]


@pytest.mark.parametrize("allow_duplicate_url", [True, False])
@pytest.mark.parametrize("dataset_id", ["", "default-set"])
def test_request_bytes_read_back_as_the_inputs_protobuf_builds(allow_duplicate_url, dataset_id):
    batch = build_batch(CASES, allow_duplicate_url, ("me", "my-app"), dataset_id)
    request = service_pb2.PostInputsRequest.FromString(batch.request)
    assert request.user_app_id.user_id == "me" and request.user_app_id.app_id == "my-app"
    assert list(request.inputs) == [expected_input(r, allow_duplicate_url, dataset_id) for r in CASES]
    assert request.inputs[1].data.metadata["big"] == float(2**53 + 1)
    assert math.isclose(request.inputs[6].data.geo.geo_point.latitude, 40.75, rel_tol=1e-6)


def test_local_files_are_sent_as_bytes_and_text_files_as_text():
    photo = record(url="", file="cat.jpg", input_id="cat")
    note = record(url="", file="note.txt", kind="text", input_id="note")
    empty = record(url="", file="empty.txt", kind="text", input_id="empty")
    files = {"cat.jpg": b"\xff\xd8\xff\x00 jpeg bytes", "note.txt": "naïve".encode(), "empty.txt": b""}
    request = service_pb2.PostInputsRequest.FromString(build_batch([photo, note, empty], True, None, files=files).request)
    assert not request.HasField("user_app_id")
    assert list(request.inputs) == [expected_input(r, True, content=files[r.file]) for r in (photo, note, empty)]
    assert request.inputs[2].data.HasField("text")


def test_metadata_of_a_type_json_cannot_hold_is_refused():
    with pytest.raises(ValueError, match="bytes"):
        build_batch([record(metadata={"a": b"raw"})], True, None)
