"""Protobuf wire encoding of the messages an upload sends, straight from Python values.

Building `Input` protos and then serializing them costs more than everything else in
preparing a request, most of it in `Struct.update`, which protobuf runs in Python. The
request bytes are simple to write directly: field numbers and types come from
clarifai-grpc's own descriptors, and the tests parse the bytes back with clarifai-grpc
and compare them with the messages protobuf builds.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from google.protobuf import struct_pb2
from google.protobuf.descriptor import FieldDescriptor

_WIRE_TYPES = {
    FieldDescriptor.TYPE_DOUBLE: 1, FieldDescriptor.TYPE_FLOAT: 5, FieldDescriptor.TYPE_BOOL: 0,
    FieldDescriptor.TYPE_ENUM: 0, FieldDescriptor.TYPE_STRING: 2, FieldDescriptor.TYPE_BYTES: 2,
    FieldDescriptor.TYPE_MESSAGE: 2,
}
_SMALL_VARINTS = 1 << 14  # lengths below this (two varint bytes) come from a table
_CACHED_ENTRIES = 1 << 14  # encoded concepts and (name, scalar) metadata fields remembered, each...
_CACHED_BYTES = 256  # ...when encoded this short, so the caches stay under a few MB


def _encode_varint(number: int) -> bytes:
    out = bytearray()
    while number > 0x7F:
        out.append(number & 0x7F | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


_VARINTS = [_encode_varint(n) for n in range(_SMALL_VARINTS)]


def varint(number: int) -> bytes:
    """A non-negative int as a protobuf varint."""
    return _VARINTS[number] if number < _SMALL_VARINTS else _encode_varint(number)


def key(message: type, name: str) -> bytes:
    """The key (field number and wire type) that starts field `name` of `message`."""
    field = message.DESCRIPTOR.fields_by_name[name]
    return varint(field.number << 3 | _WIRE_TYPES[field.type])


def text(field_key: bytes, value: str) -> bytes:
    """A string field."""
    data = value.encode("utf-8")
    return field_key + varint(len(data)) + data


def nested(field_key: bytes, payload: bytes) -> bytes:
    """A message (or bytes) field whose encoding is `payload`."""
    return field_key + varint(len(payload)) + payload


_pack_double = struct.Struct("<d").pack
_pack_float = struct.Struct("<f").pack
_FIELDS = key(struct_pb2.Struct, "fields")
_ENTRY_KEY, _ENTRY_VALUE = b"\x0a", b"\x12"  # a map entry's key and value are fields 1 and 2
_NULL = key(struct_pb2.Value, "null_value") + b"\x00"
_TRUE = key(struct_pb2.Value, "bool_value") + b"\x01"
_FALSE = key(struct_pb2.Value, "bool_value") + b"\x00"
_NUMBER = key(struct_pb2.Value, "number_value")
_STRING = key(struct_pb2.Value, "string_value")
_STRUCT = key(struct_pb2.Value, "struct_value")
_LIST = key(struct_pb2.Value, "list_value")
_LIST_VALUES = key(struct_pb2.ListValue, "values")


_entries: dict[tuple, bytes] = {}


def struct_value(data: dict) -> bytes:
    """A `google.protobuf.Struct` holding `data` (parsed JSON), as `Struct.update` fills it."""
    entries = []
    for name, item in data.items():
        kind = type(item)
        if kind is dict or kind is list or (kind is float and not item):  # -0.0 == 0.0: not cached
            entries.append(_entry(name, item))
            continue
        cache_key = (name, kind, item)  # the type keeps 1, 1.0 and True apart
        entry = _entries.get(cache_key)
        if entry is None:
            entry = _entry(name, item)
            if len(entry) <= _CACHED_BYTES and len(_entries) < _CACHED_ENTRIES:
                _entries[cache_key] = entry
        entries.append(entry)
    return b"".join(entries)


def _entry(name: str, item: object) -> bytes:
    """One `fields` map entry."""
    name_bytes = name.encode("utf-8")
    value = _value(item)
    entry = _ENTRY_KEY + varint(len(name_bytes)) + name_bytes + _ENTRY_VALUE + varint(len(value)) + value
    return _FIELDS + varint(len(entry)) + entry


def _value(item: object) -> bytes:
    """A `google.protobuf.Value`: JSON numbers become doubles, as in `Struct.update`."""
    kind = type(item)
    if kind is str:
        return text(_STRING, item)
    if kind is bool:
        return _TRUE if item else _FALSE
    if kind is int or kind is float:
        return _NUMBER + _pack_double(item)
    if item is None:
        return _NULL
    if kind is dict:
        return nested(_STRUCT, struct_value(item))
    if kind is list:
        return nested(_LIST, b"".join([nested(_LIST_VALUES, _value(element)) for element in item]))
    raise ValueError(f"metadata cannot hold a {kind.__name__}")


_INPUT_ID = key(resources_pb2.Input, "id")
_INPUT_DATA = key(resources_pb2.Input, "data")
_INPUT_DATASET = key(resources_pb2.Input, "dataset_ids")
_DATA_CONCEPTS = key(resources_pb2.Data, "concepts")
_DATA_METADATA = key(resources_pb2.Data, "metadata")
_DATA_GEO = key(resources_pb2.Data, "geo")
_GEO_POINT = key(resources_pb2.Geo, "geo_point")
_LATITUDE = key(resources_pb2.GeoPoint, "latitude")
_LONGITUDE = key(resources_pb2.GeoPoint, "longitude")
_CONCEPT_ID = key(resources_pb2.Concept, "id")
_CONCEPT_NAME = key(resources_pb2.Concept, "name")
_PRESENT = key(resources_pb2.Concept, "value") + _pack_float(1.0)  # absent (0.0) is not written, as in proto3
_MEDIA_CLASSES = {"image": resources_pb2.Image, "video": resources_pb2.Video, "audio": resources_pb2.Audio,
                  "text": resources_pb2.Text}
_DATA_MEDIA = {kind: key(resources_pb2.Data, kind) for kind in _MEDIA_CLASSES}
_MEDIA_URL = {kind: key(media, "url") for kind, media in _MEDIA_CLASSES.items()}
_MEDIA_BYTES = {kind: key(media, "base64") for kind, media in _MEDIA_CLASSES.items() if kind != "text"}
_ALLOW_DUPLICATE_URL = {kind: key(media, "allow_duplicate_url") + b"\x01" for kind, media in _MEDIA_CLASSES.items()}
_TEXT_RAW = key(resources_pb2.Text, "raw")


_concepts: dict[tuple[str, bool], bytes] = {}  # a dataset names few concepts, over and over


def concept(name: str, present: bool) -> bytes:
    """`Data.concepts` holding one `Concept` with `name` as its id and name, valued 1.0 when present
    and 0.0 when absent."""
    encoded = _concepts.get((name, present))
    if encoded is None:
        name_bytes = name.encode("utf-8")
        length = varint(len(name_bytes))
        body = _CONCEPT_ID + length + name_bytes + _CONCEPT_NAME + length + name_bytes
        encoded = nested(_DATA_CONCEPTS, body + _PRESENT if present else body)
        if len(encoded) <= _CACHED_BYTES and len(_concepts) < _CACHED_ENTRIES:
            _concepts[(name, present)] = encoded
    return encoded


def media(kind: str, url: str = "", allow_duplicate_url: bool = False, raw: str | None = None,
          content: bytes | None = None) -> bytes:
    """`Data`'s media field of `kind` (image, video, audio or text): a url, inline text or file bytes."""
    if raw is not None:
        body = text(_TEXT_RAW, raw)
    elif content is not None:
        body = nested(_MEDIA_BYTES[kind], content)
    else:
        body = text(_MEDIA_URL[kind], url) + (_ALLOW_DUPLICATE_URL[kind] if allow_duplicate_url else b"")
    return nested(_DATA_MEDIA[kind], body)


def geo_point(latitude: float, longitude: float) -> bytes:
    """`Data.geo` holding one point."""
    point = _LONGITUDE + _pack_float(longitude) + _LATITUDE + _pack_float(latitude)
    return nested(_DATA_GEO, nested(_GEO_POINT, point))


def metadata(data: dict) -> bytes:
    """`Data.metadata`."""
    return nested(_DATA_METADATA, struct_value(data))


def input_message(input_id: str, data: bytes, dataset_id: str = "") -> bytes:
    """One `Input` with its `Data` already encoded (the concatenation of the fields above)."""
    id_bytes = input_id.encode("utf-8")
    body = _INPUT_ID + varint(len(id_bytes)) + id_bytes + _INPUT_DATA + varint(len(data)) + data
    return body + text(_INPUT_DATASET, dataset_id) if dataset_id else body


_REQUEST_USER_APP = key(service_pb2.PostInputsRequest, "user_app_id")
_REQUEST_INPUTS = key(service_pb2.PostInputsRequest, "inputs")
_USER_ID = key(resources_pb2.UserAppIDSet, "user_id")
_APP_ID = key(resources_pb2.UserAppIDSet, "app_id")


def post_inputs_request(inputs: Iterable[bytes], user_app_id: tuple[str, str] | None = None) -> bytes:
    """A serialized `PostInputsRequest` of encoded `Input`s; `user_app_id` is (user, app)."""
    parts = [nested(_REQUEST_INPUTS, item) for item in inputs]
    if user_app_id:
        parts.append(nested(_REQUEST_USER_APP, text(_USER_ID, user_app_id[0]) + text(_APP_ID, user_app_id[1])))
    return b"".join(parts)
