"""Clarifai's own Python SDK, unchanged, against the sandbox: it must not notice the difference."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from clarifai.client.dataset import Dataset
from clarifai.client.input import Inputs
from clarifai.constants.dataset import MAX_RETRIES
from clarifai_grpc.grpc.api import resources_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2
from google.protobuf.json_format import MessageToDict
from google.protobuf.struct_pb2 import Struct

from ingest.boxes import BoxRecord
from ingest.build import build_annotations
from ingest.sandbox import Sandbox, SandboxConfig, start
from ingest.upload import Client, Target


@pytest.fixture(scope="module")
def module_sandbox() -> Iterator[Sandbox]:
    """Quick downloads, and urls under /broken/ that fail like a dead link."""
    with start(SandboxConfig(download_delay=0.05, fail_urls=r"/broken/")) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(module_sandbox: Sandbox) -> Sandbox:
    module_sandbox.reset()
    return module_sandbox


def sdk_kwargs(sandbox: Sandbox) -> dict[str, str]:
    """What a user of the SDK passes to reach the sandbox instead of api.clarifai.com."""
    return {
        "user_id": sandbox.config.user_id,
        "app_id": sandbox.config.app_id,
        "pat": sandbox.config.pat,
        "base_url": f"http://{sandbox.address}",
    }


@pytest.fixture
def inputs(sandbox: Sandbox) -> Inputs:
    return Inputs(**sdk_kwargs(sandbox))


def test_upload_from_url(sandbox: Sandbox, inputs: Inputs) -> None:
    metadata = Struct()
    metadata.update({"source": "sdk", "rank": 2})

    # The SDK annotates `-> str` but returns (job id, response).
    job_id, response = inputs.upload_from_url(
        input_id="u1", image_url="https://example.com/u1.jpg", labels=["cat"], metadata=metadata
    )

    assert response.status.code == status_code_pb2.SUCCESS
    [stored] = sandbox.stored_inputs()
    assert stored.id == "u1"
    assert stored.data.image.url == "https://example.com/u1.jpg"
    assert [(c.id, c.name, c.value) for c in stored.data.concepts] == [("cat", "cat", 1.0)]
    assert MessageToDict(stored.data.metadata) == {"source": "sdk", "rank": 2.0}
    assert response.inputs_add_job.id == job_id
    assert inputs.get_input("u1").data.image.url == "https://example.com/u1.jpg"


def test_a_polygon_the_sdk_posts_is_the_one_this_tool_sends_and_reads_back(sandbox: Sandbox, inputs: Inputs) -> None:
    """The SDK's get_mask_proto (points as [x, y] fractions, row = y and col = x) and this tool's outline agree."""
    inputs.upload_from_url(input_id="p1", image_url="https://example.com/p1.jpg")
    outline = (0.1, 0.2, 0.5, 0.2, 0.3, 0.6)
    sdk = Inputs.get_mask_proto(input_id="p1", label="cat", polygons=[[0.1, 0.2], [0.5, 0.2], [0.3, 0.6]])
    ours = build_annotations([("p1", BoxRecord(1, "p1", "", "cat", 0.1, 0.2, 0.5, 0.6, (outline,)))],
                             None).annotations[0]
    assert ours.data.regions[0].region_info == sdk.data.regions[0].region_info
    assert ours.data.regions[0].data == sdk.data.regions[0].data
    assert inputs.upload_annotations([sdk]) == []  # nothing to retry
    target = Target(base=sandbox.address, insecure=True, pat=sandbox.config.pat, user_id=sandbox.config.user_id,
                    app_id=sandbox.config.app_id)
    [stored] = Client(target).boxes(["p1"])["p1"]
    assert stored.concept == "cat" and stored.outline[0] == pytest.approx(outline)  # stored as float32
    assert (stored.left, stored.top, stored.right, stored.bottom) == pytest.approx((0.1, 0.2, 0.5, 0.6))


def test_upload_inputs_shows_duplicates(sandbox: Sandbox, inputs: Inputs) -> None:
    first = Inputs.get_input_from_url(input_id="d1", image_url="https://example.com/d1.jpg")
    second = Inputs.get_input_from_url(input_id="d2", image_url="https://example.com/d2.jpg")
    inputs.upload_inputs([first], show_log=False)

    _, response = inputs.upload_inputs([first, second], show_log=False)

    assert response.status.code == status_code_pb2.MIXED_STATUS
    assert [i.status.code for i in response.inputs] == [
        status_code_pb2.INPUT_DUPLICATE, status_code_pb2.INPUT_DOWNLOAD_PENDING
    ]
    assert [i.id for i in sandbox.stored_inputs()] == ["d1", "d2"]


def test_bulk_upload_from_csv_waits_and_drops_failed_downloads(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # The SDK's public bulk path: PostInputs per batch with an inputs_add_job_id,
    # GetInputsAddJob until nothing is pending, ListInputs by ids and status
    # INPUT_DOWNLOAD_SUCCESS, DeleteInputs for the rest, then re-posts those.
    csv_file = tmp_path / "images.csv"
    rows = ['"inputid","input","concepts","metadata"']
    for n in range(5):
        folder = "broken/" if n == 3 else ""
        rows.append(f'"b{n}","https://example.com/{folder}b{n}.jpg","cat,dog","{{\'n\': {n}}}"')
    csv_file.write_text("\n".join(rows) + "\n")
    dataset = Dataset(dataset_id="pets", **sdk_kwargs(sandbox))

    dataset.upload_from_csv(
        csv_path=str(csv_file), input_type="image", csv_type="url", labels=True, batch_size=2
    )

    # The SDK posts batches from a thread pool: insertion order varies.
    stored = {i.id: i for i in sandbox.stored_inputs()}
    assert sorted(stored) == ["b0", "b1", "b2", "b4"]
    assert all(i.status.code == status_code_pb2.INPUT_DOWNLOAD_SUCCESS for i in stored.values())
    assert all(list(i.dataset_ids) == ["pets"] for i in stored.values())
    assert [c.id for c in stored["b0"].data.concepts] == ["cat", "dog"]
    assert MessageToDict(stored["b2"].data.metadata) == {"n": 2.0}
    # Three batches, then the SDK's retries of the one that failed to download.
    stats = sandbox.stats()
    assert stats.post_calls == 3 + MAX_RETRIES
    assert stats.inputs_stored == 5 + MAX_RETRIES


def test_list_inputs(sandbox: Sandbox, inputs: Inputs) -> None:
    inputs.upload_inputs(
        [Inputs.get_input_from_url(input_id=f"l{n}", image_url=f"https://example.com/l{n}.jpg")
         for n in range(3)],
        show_log=False,
    )
    inputs.upload_text(input_id="t1", raw_text="a caption")

    everything = list(inputs.list_inputs())
    images = list(inputs.list_inputs(input_type="image"))
    first_page = list(inputs.list_inputs(page_no=1, per_page=2))

    assert [i.id for i in everything] == ["l0", "l1", "l2", "t1"]
    assert [i.id for i in images] == ["l0", "l1", "l2"]
    assert [i.id for i in first_page] == ["l0", "l1"]
    # The SDK rebuilds inputs from JSON; timestamps must be in a form it parses.
    stored = {i.id: i for i in sandbox.stored_inputs()}
    assert all(i.created_at == stored[i.id].created_at for i in everything)
    assert everything[3].data.text.raw == "a caption"


def test_delete_inputs(sandbox: Sandbox, inputs: Inputs) -> None:
    for n in range(3):
        inputs.upload_from_url(input_id=f"x{n}", image_url=f"https://example.com/x{n}.jpg")

    inputs.delete_inputs([resources_pb2.Input(id="x0"), resources_pb2.Input(id="x2")])

    assert [i.id for i in sandbox.stored_inputs()] == ["x1"]
    assert [i.id for i in inputs.list_inputs()] == ["x1"]


def test_download_inputs_fetches_the_bytes_of_inputs_sent_as_bytes(sandbox: Sandbox, inputs: Inputs) -> None:
    """As on the hosted API, the bytes come back through the input's url, fetched with the key."""
    picture = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    inputs.upload_from_bytes(input_id="b1", image_bytes=picture)
    listed = list(inputs.list_inputs())
    assert [item.id for item in listed] == ["b1"] and not listed[0].data.image.base64
    assert inputs.download_inputs(listed) == [picture]
