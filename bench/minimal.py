"""The least a client can do: send requests built beforehand from N threads, nothing else.

No reading, no checks, no retries, no bookkeeping: its rate is what the server and
the network allow with that many requests in flight, the ceiling our uploader is
measured against.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from clarifai_grpc.channel.clarifai_channel import ClarifaiChannel
from clarifai_grpc.grpc.api import service_pb2, service_pb2_grpc
from clarifai_grpc.grpc.api.status import status_code_pb2

from ingest.build import build_batch, chunked
from ingest.read import open_table
from ingest.validate import InputRecord, map_columns, validate_rows


def prebuilt_requests(path: str, batch_size: int, user_app_id: tuple[str, str]) -> list[service_pb2.PostInputsRequest]:
    """Every request of the file, built before the clock starts."""
    with open(path, "rb") as stream:
        table = open_table(stream, path)
        records = (r for r in validate_rows(table.rows, map_columns(table.header)) if isinstance(r, InputRecord))
        return [service_pb2.PostInputsRequest.FromString(build_batch(chunk, True, user_app_id).request)
                for chunk in chunked(records, batch_size)]


def send_all(address: str, pat: str, requests: list[service_pb2.PostInputsRequest], workers: int) -> dict:
    """Send every request once from `workers` threads; return the time and what the server said."""
    host, port = address.rsplit(":", 1)
    channel = ClarifaiChannel.get_insecure_grpc_channel(base=host, port=int(port))
    stub = service_pb2_grpc.V2Stub(channel)  # right after the channel: see DESIGN.md
    metadata = (("authorization", f"Key {pat}"),)

    def send(request: service_pb2.PostInputsRequest) -> int:
        return stub.PostInputs(request, metadata=metadata).status.code

    send(service_pb2.PostInputsRequest())  # connect first (the empty request is refused, nothing stored)
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        codes = list(pool.map(send, requests))
    seconds = time.perf_counter() - started
    channel.close()
    rows = sum(len(r.inputs) for r in requests)
    ok_rows = sum(len(r.inputs) for r, code in zip(requests, codes) if code == status_code_pb2.SUCCESS)
    return {"seconds": seconds, "rows": rows, "rows_ok": ok_rows}
