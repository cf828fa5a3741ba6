"""The sandbox's input kinds, limits, datasets, annotations and download simulation (issue 7),
through real gRPC calls on 127.0.0.1:0 and, for the datasets and annotations, Clarifai's SDK."""

from __future__ import annotations

import hashlib
import io
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import PIL.Image
import pytest
from clarifai.client.app import App
from clarifai.client.dataset import Dataset
from clarifai.client.input import Inputs
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2

from tests.conftest import TEST_DOWNLOAD_DELAY, stub_for
from ingest.sandbox import Sandbox, SandboxConfig, start
from ingest.sandbox.server import MAX_MEDIA_BYTES, MAX_REQUEST_BYTES

PENDING = status_code_pb2.INPUT_DOWNLOAD_PENDING
SUCCESS = status_code_pb2.INPUT_DOWNLOAD_SUCCESS
FAILED = status_code_pb2.INPUT_DOWNLOAD_FAILED


# -- helpers -------------------------------------------------------------------------


@pytest.fixture
def server(sandbox: Sandbox) -> Sandbox:
    """conftest's sandbox (lenient defaults), emptied for this test."""
    sandbox.reset()
    return sandbox


@pytest.fixture(scope="module")
def strict_sandbox() -> Iterator[Sandbox]:
    """Refuses unknown datasets; urls it cannot reach fail."""
    config = SandboxConfig(
        download_delay=TEST_DOWNLOAD_DELAY, missing_datasets="refuse", other_urls="fail"
    )
    with start(config) as sandbox:
        yield sandbox


@pytest.fixture
def strict(strict_sandbox: Sandbox) -> Sandbox:
    strict_sandbox.reset()
    return strict_sandbox


def call(sandbox: Sandbox, rpc: str, request_type: type, token: str | None = None, **fields: Any) -> Any:
    """One RPC on the sandbox with its pat (or `token`) and its user and app ids."""
    stub, metadata = stub_for(sandbox, token)
    user_app = resources_pb2.UserAppIDSet(
        user_id=sandbox.config.user_id, app_id=sandbox.config.app_id
    )
    return getattr(stub, rpc)(request_type(user_app_id=user_app, **fields), metadata=metadata)


def post(sandbox: Sandbox, *inputs: resources_pb2.Input) -> service_pb2.MultiInputResponse:
    return call(sandbox, "PostInputs", service_pb2.PostInputsRequest, inputs=list(inputs))


def get_input(sandbox: Sandbox, input_id: str) -> resources_pb2.Input:
    response = call(sandbox, "GetInput", service_pb2.GetInputRequest, input_id=input_id)
    assert response.status.code == status_code_pb2.SUCCESS, response.status
    return response.input


def make_input(input_id: str, **data: Any) -> resources_pb2.Input:
    return resources_pb2.Input(id=input_id, data=resources_pb2.Data(**data))


def image(input_id: str, url: str | None = None) -> resources_pb2.Input:
    return make_input(input_id, image=resources_pb2.Image(url=url or f"https://example.com/{input_id}.jpg"))


def video(input_id: str) -> resources_pb2.Input:
    return make_input(input_id, video=resources_pb2.Video(url=f"https://example.com/{input_id}.mp4"))


def in_datasets(message: resources_pb2.Input, *dataset_ids: str) -> resources_pb2.Input:
    message.dataset_ids.extend(dataset_ids)
    return message


def create_datasets(sandbox: Sandbox, *ids: str) -> service_pb2.MultiDatasetResponse:
    return call(sandbox, "PostDatasets", service_pb2.PostDatasetsRequest,
                datasets=[resources_pb2.Dataset(id=i) for i in ids])


def codes(items: Any) -> list[int]:
    return [each.status.code for each in items]


def stored_ids(sandbox: Sandbox) -> list[str]:
    return [each.id for each in sandbox.stored_inputs()]


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll until condition() holds; fail at the deadline."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(0.01)


NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, whatever http_proxy says


def hosted_get(sandbox: Sandbox, url: str, key: str | None = None) -> tuple[int, bytes]:
    """GET a hosted copy with the sandbox's pat (or `key`; "" sends no Authorization header)."""
    key = sandbox.config.pat if key is None else key
    request = urllib.request.Request(url, headers={"Authorization": f"Key {key}"} if key else {})
    try:
        with NO_PROXY.open(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def settled(sandbox: Sandbox, *ids: str) -> dict[str, resources_pb2.Input]:
    """The inputs once none of them is pending any more."""
    def statuses() -> list[int]:
        return [get_input(sandbox, i).status.code for i in ids]

    wait_until(lambda: PENDING not in statuses())
    return {i: get_input(sandbox, i) for i in ids}


# -- kinds round-trip ------------------------------------------------------------------

KINDS = {
    "image url": dict(image=resources_pb2.Image(url="https://example.com/a.jpg")),
    "image bytes": dict(image=resources_pb2.Image(base64=b"\x89PNG\r\n\x1a\n" + bytes(range(256)))),
    "video url": dict(video=resources_pb2.Video(url="https://example.com/a.mp4")),
    "audio url": dict(audio=resources_pb2.Audio(url="https://example.com/a.wav")),
    "audio bytes": dict(audio=resources_pb2.Audio(base64=b"RIFF....WAVEfmt ")),
    "text raw": dict(text=resources_pb2.Text(raw="a caption, with ünïcode ✓\nand a second line")),
    "text url": dict(text=resources_pb2.Text(url="https://example.com/a.txt")),
}


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_round_trips_with_geo_datasets_metadata_and_concepts(
    server: Sandbox, kind: str
) -> None:
    sent = make_input("k1", **KINDS[kind])
    sent.data.geo.geo_point.latitude = 48.8566
    sent.data.geo.geo_point.longitude = -2.3522
    sent.data.metadata.update({"source": kind, "n": 1})
    sent.data.concepts.add(id="cat", name="Cat", value=1.0)
    sent.data.concepts.add(id="dog", value=0.0)
    sent.dataset_ids.append("pets")

    response = post(server, sent)

    assert response.status.code == status_code_pb2.SUCCESS
    assert codes(response.inputs) == [PENDING]
    got = settled(server, "k1")["k1"]
    listed = call(server, "ListInputs", service_pb2.ListInputsRequest).inputs
    sent_bytes = next((k for k in ("image", "audio") if getattr(sent.data, k).base64), None)
    for each in (got, *listed):
        data = resources_pb2.Data()
        data.CopyFrom(each.data)
        if sent_bytes:  # bytes come back as a hosted copy, as hosted: the same bytes, fetched over HTTP
            hosted = getattr(data, sent_bytes).hosted
            assert hosted_get(server, f"{hosted.prefix}/orig/{hosted.suffix}") == (200, getattr(sent.data, sent_bytes).base64)
            assert getattr(data, sent_bytes).url == f"{hosted.prefix}/orig/{hosted.suffix}"  # as hosted: the SDK reads it
            getattr(data, sent_bytes).ClearField("hosted")
            getattr(data, sent_bytes).ClearField("url")
            getattr(data, sent_bytes).base64 = getattr(sent.data, sent_bytes).base64
        assert data == sent.data
        assert list(each.dataset_ids) == ["pets"]
        assert each.status.code == SUCCESS
        assert each.status.description == "Download complete"
    assert [i.id for i in listed] == ["k1"]


def test_bytes_come_back_as_a_hosted_copy_in_every_size_for_the_apps_keys_only(server: Sandbox) -> None:
    picture = io.BytesIO()
    PIL.Image.new("RGB", (1000, 500), "red").save(picture, "PNG")
    sent = in_datasets(make_input("big", image=resources_pb2.Image(base64=picture.getvalue())), "pets")
    post(server, sent)

    hosted = get_input(server, "big").data.image.hosted
    member = call(server, "ListDatasetInputs", service_pb2.ListDatasetInputsRequest, dataset_id="pets").dataset_inputs[0]
    assert member.input.data.image.hosted == hosted and not member.input.data.image.base64
    assert list(hosted.sizes) == ["orig", "tiny", "small", "large"]
    assert hosted.suffix == f"users/sandbox/apps/demo/inputs/image/{hashlib.md5(picture.getvalue()).hexdigest()}"
    url = f"{hosted.prefix}/{{}}/{hosted.suffix}"
    assert hosted_get(server, url.format("orig")) == (200, picture.getvalue())
    for size, width in (("tiny", 128), ("small", 320), ("large", 1000)):
        status, body = hosted_get(server, url.format(size))
        assert status == 200 and PIL.Image.open(io.BytesIO(body)).size == (width, width // 2)
    assert hosted_get(server, url.format("orig"), key=server.config.api_key)[0] == 200  # the app key too
    assert hosted_get(server, url.format("orig"), key="")[0] == 400  # no key: as hosted
    assert hosted_get(server, url.format("orig"), key="not-the-key")[0] == 401
    assert hosted_get(server, url.format("orig").replace("/apps/demo/", "/apps/other/"))[0] == 404
    assert hosted_get(server, url.format("huge"))[0] == 404
    call(server, "DeleteInputs", service_pb2.DeleteInputsRequest, ids=["big"])
    assert hosted_get(server, url.format("orig"))[0] == 404  # gone with its input


# -- request limits ----------------------------------------------------------------------


def test_at_most_one_video_per_request(server: Sandbox) -> None:
    two = post(server, video("v1"), image("i1"), video("v2"))
    one = post(server, video("v3"), image("i2"), make_input("t1", text=resources_pb2.Text(raw="x")))

    assert two.status.code == status_code_pb2.CONN_INVALID_REQUEST
    assert "at most one video per request" in two.status.description.lower()
    assert not two.inputs
    assert one.status.code == status_code_pb2.SUCCESS
    assert stored_ids(server) == ["v3", "i2", "t1"]


def test_a_request_over_128_mb_is_refused_whole(server: Sandbox) -> None:
    # Two raw texts just big enough that the serialized request is one byte over.
    half = MAX_REQUEST_BYTES // 2
    request = service_pb2.PostInputsRequest(
        user_app_id=resources_pb2.UserAppIDSet(user_id=server.config.user_id,
                                               app_id=server.config.app_id),
        inputs=[make_input("big1", text=resources_pb2.Text(raw="x" * half)),
                make_input("big2", text=resources_pb2.Text(raw="y" * half))],
    )
    request.inputs[1].data.text.raw = "y" * (half + MAX_REQUEST_BYTES + 1 - request.ByteSize())
    assert request.ByteSize() == MAX_REQUEST_BYTES + 1
    stub, metadata = stub_for(server)

    response = stub.PostInputs(request, metadata=metadata)
    del request

    assert response.status.code == status_code_pb2.CONN_INVALID_REQUEST
    assert "128 MB" in response.status.description
    assert f"{MAX_REQUEST_BYTES + 1:,} bytes" in response.status.description
    assert stored_ids(server) == []


def test_image_bytes_over_20_mb_refuse_that_input(server: Sandbox) -> None:
    over = make_input("over", image=resources_pb2.Image(base64=b"\xff" * (MAX_MEDIA_BYTES + 1)))
    limit = make_input("limit", image=resources_pb2.Image(base64=b"\xff" * MAX_MEDIA_BYTES))

    response = post(server, over, limit)

    assert response.status.code == status_code_pb2.MIXED_STATUS
    assert codes(response.inputs) == [status_code_pb2.INPUT_INVALID_ARGUMENT, PENDING]
    assert "20 MB" in response.inputs[0].status.description
    assert stored_ids(server) == ["limit"]


# -- datasets ----------------------------------------------------------------------------


def test_datasets_create_get_list(server: Sandbox) -> None:
    created = call(server, "PostDatasets", service_pb2.PostDatasetsRequest, datasets=[
        resources_pb2.Dataset(id="pets", description="cats and dogs"), resources_pb2.Dataset(id="cars"),
    ])

    assert created.status.code == status_code_pb2.SUCCESS
    assert [d.id for d in created.datasets] == ["pets", "cars"]
    pets = call(server, "GetDataset", service_pb2.GetDatasetRequest, dataset_id="pets")
    assert pets.status.code == status_code_pb2.SUCCESS
    assert pets.dataset == created.datasets[0]
    assert (pets.dataset.user_id, pets.dataset.app_id) == (server.config.user_id, server.config.app_id)
    assert pets.dataset.description == "cats and dogs"
    assert pets.dataset.created_at.seconds > 0

    def page(number: int, per_page: int) -> list[str]:
        response = call(server, "ListDatasets", service_pb2.ListDatasetsRequest,
                        page=number, per_page=per_page)
        assert response.status.code == status_code_pb2.SUCCESS
        return [d.id for d in response.datasets]

    assert page(0, 0) == ["pets", "cars"]
    assert page(1, 1) == ["pets"]
    assert page(2, 1) == ["cars"]
    assert page(3, 1) == []


@pytest.mark.parametrize(
    ("second", "taken"),
    [(["new", "pets"], "pets"), (["twice", "twice"], "twice")],
    ids=["existing", "twice-in-request"],
)
def test_a_taken_dataset_id_refuses_the_whole_request(
    server: Sandbox, second: list[str], taken: str
) -> None:
    create_datasets(server, "pets")

    response = create_datasets(server, *second)

    assert response.status.code == status_code_pb2.DATABASE_DUPLICATE_KEY
    assert response.status.description == f"Dataset {taken!r} already exists"
    listed = call(server, "ListDatasets", service_pb2.ListDatasetsRequest).datasets
    assert [d.id for d in listed] == ["pets"]


def test_a_missing_dataset(server: Sandbox) -> None:
    got = call(server, "GetDataset", service_pb2.GetDatasetRequest, dataset_id="nope")
    listed = call(server, "ListDatasetInputs", service_pb2.ListDatasetInputsRequest, dataset_id="nope")

    assert got.status.code == status_code_pb2.CONN_DOES_NOT_EXIST
    assert got.status.description == "Dataset 'nope' does not exist"
    assert listed.status.code == status_code_pb2.CONN_DOES_NOT_EXIST


def test_an_input_naming_a_missing_dataset_is_refused_alone(strict: Sandbox) -> None:
    create_datasets(strict, "pets")

    response = post(
        strict,
        in_datasets(make_input("a", text=resources_pb2.Text(raw="a")), "pets"),
        in_datasets(make_input("b", text=resources_pb2.Text(raw="b")), "pets", "ghost"),
        make_input("c", text=resources_pb2.Text(raw="c")),
    )

    assert response.status.code == status_code_pb2.MIXED_STATUS
    assert codes(response.inputs) == [PENDING, status_code_pb2.INPUT_INVALID_ARGUMENT, PENDING]
    assert response.inputs[1].status.description.startswith("Dataset 'ghost' does not exist")
    assert stored_ids(strict) == ["a", "c"]
    got = call(strict, "GetDataset", service_pb2.GetDatasetRequest, dataset_id="ghost")
    assert got.status.code == status_code_pb2.CONN_DOES_NOT_EXIST


def test_by_default_an_input_creates_the_dataset_it_names(server: Sandbox) -> None:
    response = post(server, in_datasets(image("a"), "auto"))

    assert response.status.code == status_code_pb2.SUCCESS
    got = call(server, "GetDataset", service_pb2.GetDatasetRequest, dataset_id="auto")
    assert got.status.code == status_code_pb2.SUCCESS
    assert got.dataset.id == "auto"


def test_list_dataset_inputs_pages_in_joining_order(server: Sandbox) -> None:
    create_datasets(server, "pets", "cars")
    post(server, in_datasets(image("p1"), "pets"), in_datasets(image("c1"), "cars"),
         in_datasets(image("both"), "pets", "cars"))
    post(server, in_datasets(image("p2"), "pets"), image("none"))

    def page(dataset_id: str, number: int = 0, per_page: int = 0) -> list[str]:
        response = call(server, "ListDatasetInputs", service_pb2.ListDatasetInputsRequest,
                        dataset_id=dataset_id, page=number, per_page=per_page)
        assert response.status.code == status_code_pb2.SUCCESS
        return [each.input.id for each in response.dataset_inputs]

    assert page("pets") == ["p1", "both", "p2"]
    assert page("cars") == ["c1", "both"]
    assert page("pets", 1, 2) == ["p1", "both"]
    assert page("pets", 2, 2) == ["p2"]
    first = call(server, "ListDatasetInputs", service_pb2.ListDatasetInputsRequest,
                 dataset_id="pets").dataset_inputs[0]
    assert first.created_at == first.input.created_at
    assert first.input.status.code in (PENDING, SUCCESS)
    assert first.input.data.image.url == "https://example.com/p1.jpg"
    # A deleted input leaves its datasets.
    call(server, "DeleteInputs", service_pb2.DeleteInputsRequest, ids=["both"])
    assert page("pets") == ["p1", "p2"]
    assert page("cars") == ["c1"]


# -- annotations -------------------------------------------------------------------------


def box_annotation(input_id: str, box: tuple[float, float, float, float], concept: str = "cat",
                   annotation_id: str = "") -> resources_pb2.Annotation:
    """An annotation with one bounding box region: (top_row, left_col, bottom_row, right_col)."""
    top, left, bottom, right = box
    region = resources_pb2.Region(
        region_info=resources_pb2.RegionInfo(bounding_box=resources_pb2.BoundingBox(
            top_row=top, left_col=left, bottom_row=bottom, right_col=right,
        )),
        data=resources_pb2.Data(concepts=[resources_pb2.Concept(id=concept, name=concept, value=1.0)]),
    )
    return resources_pb2.Annotation(
        id=annotation_id, input_id=input_id, data=resources_pb2.Data(regions=[region])
    )


def annotate(sandbox: Sandbox, *annotations: resources_pb2.Annotation) -> service_pb2.MultiAnnotationResponse:
    return call(sandbox, "PostAnnotations", service_pb2.PostAnnotationsRequest,
                annotations=list(annotations))


def list_annotations(sandbox: Sandbox, **request: Any) -> list[resources_pb2.Annotation]:
    response = call(sandbox, "ListAnnotations", service_pb2.ListAnnotationsRequest, **request)
    assert response.status.code == status_code_pb2.SUCCESS
    return list(response.annotations)


@pytest.mark.parametrize(
    ("box", "problem"),
    [
        ((0.1, 0.2, 1.5, 0.9), "between 0 and 1"),
        ((-0.1, 0.2, 0.5, 0.9), "between 0 and 1"),
        ((float("nan"), 0.2, 0.5, 0.9), "between 0 and 1"),
        ((0.6, 0.2, 0.5, 0.9), "top_row < bottom_row"),
        ((0.1, 0.9, 0.5, 0.2), "left_col < right_col"),
        ((0.5, 0.2, 0.5, 0.9), "top_row < bottom_row"),
    ],
    ids=["below-1", "negative", "nan", "upside-down", "right-to-left", "flat"],
)
def test_a_bad_bounding_box_is_refused(server: Sandbox, box: tuple, problem: str) -> None:
    post(server, image("a"))

    response = annotate(server, box_annotation("a", box))

    assert response.status.code == status_code_pb2.FAILURE
    assert codes(response.annotations) == [status_code_pb2.ANNOTATION_INVALID_ARGUMENT]
    assert problem in response.annotations[0].status.description
    assert list_annotations(server) == []


@pytest.mark.parametrize(
    ("points", "problem"),
    [
        (((0.1, 0.1), (0.5, 0.5)), "at least 3 points, got 2"),
        (((0.1, 0.1), (0.5, 0.5), (1.2, 0.5)), "between 0 and 1, got row 0.5, col 1.2"),
        (((0.1, 0.1), (0.5, float("nan")), (0.9, 0.5)), "between 0 and 1"),
    ],
    ids=["two-points", "outside", "nan"],
)
def test_a_bad_polygon_is_refused_and_a_good_one_kept(server: Sandbox, points: tuple, problem: str) -> None:
    post(server, image("a"))

    def polygon(corners) -> resources_pb2.Annotation:
        return resources_pb2.Annotation(input_id="a", data=resources_pb2.Data(regions=[resources_pb2.Region(
            region_info=resources_pb2.RegionInfo(polygon=resources_pb2.Polygon(
                points=[resources_pb2.Point(col=x, row=y) for x, y in corners])),
            data=resources_pb2.Data(concepts=[resources_pb2.Concept(id="cat", value=1.0)]))]))

    refused = annotate(server, polygon(points))
    assert codes(refused.annotations) == [status_code_pb2.ANNOTATION_INVALID_ARGUMENT]
    assert problem in refused.annotations[0].status.description
    kept = annotate(server, polygon(((0.1, 0.1), (0.5, 0.1), (0.3, 0.5))))
    assert codes(kept.annotations) == [status_code_pb2.ANNOTATION_SUCCESS]
    [stored] = list_annotations(server)
    assert len(stored.data.regions[0].region_info.polygon.points) == 3


def test_annotations_valid_invalid_and_on_a_missing_input(server: Sandbox) -> None:
    post(server, image("a"))
    good = box_annotation("a", (0.1, 0.2, 0.5, 0.9), annotation_id="ann-1")

    response = annotate(
        server, good, box_annotation("a", (0.6, 0.2, 0.5, 0.9)), box_annotation("ghost", (0.1, 0.1, 0.2, 0.2))
    )

    assert response.status.code == status_code_pb2.MIXED_STATUS
    assert codes(response.annotations) == [
        status_code_pb2.ANNOTATION_SUCCESS, status_code_pb2.ANNOTATION_INVALID_ARGUMENT,
        status_code_pb2.INPUT_DOES_NOT_EXIST,
    ]
    assert response.annotations[2].status.description == "Input 'ghost' does not exist"
    [stored] = list_annotations(server, input_ids=["a"])
    assert stored == response.annotations[0]
    assert stored.id == "ann-1" and stored.input_id == "a"
    assert stored.user_id == server.config.user_id and stored.created_at.seconds > 0
    [region] = stored.data.regions
    assert region.id  # filled in, as hosted
    assert region.region_info.bounding_box == good.data.regions[0].region_info.bounding_box
    assert [c.id for c in region.data.concepts] == ["cat"]
    # An annotation's concepts join the app's, and a taken annotation id is refused.
    concepts = call(server, "ListConcepts", service_pb2.ListConceptsRequest).concepts
    assert [c.id for c in concepts] == ["cat"]
    again = annotate(server, good)
    assert codes(again.annotations) == [status_code_pb2.DATABASE_DUPLICATE_KEY]


def test_list_annotations_by_input_and_page(server: Sandbox) -> None:
    post(server, image("a"), image("b"))
    annotate(server, *(box_annotation(i, (0.1, 0.1, 0.2, 0.2), annotation_id=f"{i}{n}")
                       for i in ("a", "b") for n in range(2)))

    def ids(**request: Any) -> list[str]:
        return [each.id for each in list_annotations(server, **request)]

    assert ids() == ["a0", "a1", "b0", "b1"]
    assert ids(input_ids=["b"]) == ["b0", "b1"]
    assert ids(ids=["b1", "a0"]) == ["a0", "b1"]
    assert ids(page=2, per_page=3) == ["b1"]
    # Deleting an input deletes its annotations.
    call(server, "DeleteInput", service_pb2.DeleteInputRequest, input_id="a")
    assert ids() == ["b0", "b1"]


# -- the download simulation -------------------------------------------------------------


class _Files(BaseHTTPRequestHandler):
    """/ok.jpg answers 200, /slow.jpg waits for the test's go-ahead, anything else 404."""

    hits: dict[str, int] = {}
    release = threading.Event()

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        type(self).hits[self.path] = type(self).hits.get(self.path, 0) + 1
        if self.path == "/slow.jpg":
            self.release.wait(10)
        if self.path in ("/ok.jpg", "/slow.jpg"):
            body = b"\xff\xd8 not really a jpeg"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404, "Not Found")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def files() -> Iterator[str]:
    """A loopback HTTP server's base url."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    _Files.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def hits(files: str) -> dict[str, int]:
    _Files.hits.clear()
    _Files.release.clear()
    return _Files.hits


def closed_port() -> int:
    """A loopback port nobody listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("other_urls", ["succeed", "fail"])
def test_downloads_end_by_url(
    server: Sandbox, strict: Sandbox, files: str, hits: dict[str, int], other_urls: str
) -> None:
    sandbox = server if other_urls == "succeed" else strict
    post(
        sandbox,
        image("ok", f"{files}/ok.jpg"),
        image("missing", f"{files}/missing.jpg"),
        image("refused", f"http://localhost:{closed_port()}/x.jpg"),
        image("far", "https://example.com/far.jpg"),
        make_input("raw", text=resources_pb2.Text(raw="no download")),
        make_input("bytes", image=resources_pb2.Image(base64=b"\xff\xd8")),
    )

    got = settled(sandbox, "ok", "missing", "refused", "far", "raw", "bytes")

    status = {i: (each.status.code, each.status.description) for i, each in got.items()}
    assert status["ok"] == (SUCCESS, "Download complete")
    assert status["missing"] == (FAILED, "Download failed: HTTP 404 Not Found")
    assert status["refused"] == (FAILED, "Download failed: connection refused")
    assert status["raw"] == status["bytes"] == (SUCCESS, "Download complete")
    if other_urls == "succeed":
        assert status["far"] == (SUCCESS, "Download complete")
    else:
        assert status["far"] == (
            FAILED, "Download failed: the sandbox cannot reach example.com (other_urls is 'fail')"
        )
    # Fetched once each, however often the status is read.
    assert hits == {"/ok.jpg": 1, "/missing.jpg": 1}
    count = call(sandbox, "GetInputCount", service_pb2.GetInputCountRequest).counts
    assert (count.processed, count.errors, count.to_process) == (
        (4, 2, 0) if other_urls == "succeed" else (3, 3, 0)
    )


def test_a_loopback_url_stays_pending_until_its_fetch_ends(
    server: Sandbox, files: str, hits: dict[str, int]
) -> None:
    post(server, image("slow", f"{files}/slow.jpg"),
         make_input("raw", text=resources_pb2.Text(raw="quick")))

    # The delay is over (the raw text is done) but the server has not answered yet.
    wait_until(lambda: get_input(server, "raw").status.code == SUCCESS and hits.get("/slow.jpg") == 1)
    assert get_input(server, "slow").status.code == PENDING

    _Files.release.set()

    assert settled(server, "slow")["slow"].status.code == SUCCESS


def test_fail_urls_win_over_a_real_fetch(
    make_sandbox: Callable[..., Sandbox], files: str, hits: dict[str, int]
) -> None:
    sandbox = make_sandbox(download_delay=0.0, fail_urls=r"/ok\.jpg$")
    post(sandbox, image("ok", f"{files}/ok.jpg"))

    got = settled(sandbox, "ok")["ok"]

    assert got.status.code == FAILED
    assert got.status.description == "Download failed: the url matches the sandbox's fail_urls"
    assert hits == {}


def test_a_fetch_cut_short_by_a_restart_runs_again(
    tmp_path: Path, files: str, hits: dict[str, int]
) -> None:
    config = SandboxConfig(download_delay=0.0)
    with start(config, data_dir=str(tmp_path)) as sandbox:
        post(sandbox, image("slow", f"{files}/slow.jpg"))
        wait_until(lambda: hits.get("/slow.jpg") == 1)

    with start(config, data_dir=str(tmp_path)) as again:
        wait_until(lambda: hits.get("/slow.jpg") == 2)
        assert get_input(again, "slow").status.code == PENDING
        _Files.release.set()  # both fetches end; only the running sandbox's counts

        assert settled(again, "slow")["slow"].status.code == SUCCESS


def test_a_file_from_an_older_sandbox_keeps_its_inputs(tmp_path: Path) -> None:
    # The schema before issue 7: the download outcome was one `doomed` flag.
    old = resources_pb2.Input(id="old", data=resources_pb2.Data(image=resources_pb2.Image(url="https://x.test/a.jpg")))
    dead = resources_pb2.Input(id="dead", data=resources_pb2.Data(image=resources_pb2.Image(url="https://x.test/b.jpg")))
    sent = resources_pb2.Input(id="sent", data=resources_pb2.Data(image=resources_pb2.Image(base64=b"\xff\xd8 bytes")))
    with sqlite3.connect(tmp_path / "sandbox.sqlite3") as db:
        db.execute(
            "CREATE TABLE inputs (seq INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL,"
            " app_id TEXT NOT NULL, id TEXT NOT NULL, url TEXT, input BLOB NOT NULL,"
            " created REAL NOT NULL, doomed INTEGER NOT NULL, job_id TEXT NOT NULL,"
            " UNIQUE (user_id, app_id, id))"
        )
        db.executemany(
            "INSERT INTO inputs (user_id, app_id, id, url, input, created, doomed, job_id)"
            " VALUES ('sandbox', 'demo', ?, ?, ?, 1, ?, 'job')",
            [(m.id, m.data.image.url or None, m.SerializeToString(), m.id == "dead") for m in (old, dead, sent)],
        )
    db.close()

    with start(SandboxConfig(download_delay=0.0), data_dir=str(tmp_path)) as sandbox:
        assert [(i.id, i.status.code) for i in sandbox.stored_inputs()] == [
            ("old", SUCCESS), ("dead", FAILED), ("sent", SUCCESS)
        ]
        assert codes(post(sandbox, image("new")).inputs) == [PENDING]
        hosted = get_input(sandbox, "sent").data.image.hosted  # bytes stored before copies were served
        assert hosted_get(sandbox, f"{hosted.prefix}/orig/{hosted.suffix}") == (200, b"\xff\xd8 bytes")


# -- auth on the new RPCs ----------------------------------------------------------------

NEW_RPCS = [
    ("PostDatasets", service_pb2.PostDatasetsRequest, True),
    ("GetDataset", service_pb2.GetDatasetRequest, False),
    ("ListDatasets", service_pb2.ListDatasetsRequest, False),
    ("ListDatasetInputs", service_pb2.ListDatasetInputsRequest, False),
    ("PostAnnotations", service_pb2.PostAnnotationsRequest, True),
    ("ListAnnotations", service_pb2.ListAnnotationsRequest, False),
]


@pytest.mark.parametrize(("rpc", "request_type", "writes"), NEW_RPCS, ids=[r[0] for r in NEW_RPCS])
def test_new_rpcs_check_the_key_and_scopes(
    make_sandbox: Callable[..., Sandbox], rpc: str, request_type: type, writes: bool
) -> None:
    sandbox = make_sandbox(read_only_pat="reader")

    wrong = call(sandbox, rpc, request_type, token="wrong")
    reader = call(sandbox, rpc, request_type, token="reader")

    assert wrong.status.code == status_code_pb2.CONN_KEY_INVALID
    if writes:
        assert reader.status.code == status_code_pb2.CONN_INSUFFICIENT_SCOPES
    else:
        assert reader.status.code != status_code_pb2.CONN_INSUFFICIENT_SCOPES


def test_config_checks_the_new_fields() -> None:
    with pytest.raises(ValueError, match="other_urls"):
        SandboxConfig(other_urls="maybe")
    with pytest.raises(ValueError, match="missing_datasets"):
        SandboxConfig(missing_datasets="ignore")


# -- Clarifai's SDK and the CLI ----------------------------------------------------------


def test_sdk_creates_a_dataset_uploads_to_it_and_annotates(strict: Sandbox, tmp_path: Path) -> None:
    auth = {"user_id": strict.config.user_id, "app_id": strict.config.app_id,
            "pat": strict.config.pat, "base_url": f"http://{strict.address}"}
    app = App(**auth)
    app.create_dataset(dataset_id="notes")
    csv_file = tmp_path / "notes.csv"
    csv_file.write_text('"inputid","input","concepts"\n"n1","first note","cat"\n"n2","second note","dog"\n')

    Dataset(dataset_id="notes", **auth).upload_from_csv(
        csv_path=str(csv_file), input_type="text", csv_type="raw", labels=True
    )
    left = Inputs(**auth).upload_annotations(
        [Inputs.get_bbox_proto(input_id="n1", label="cat", bbox=[0.1, 0.2, 0.6, 0.7])], show_log=False
    )

    assert left == []
    assert app.dataset(dataset_id="notes").id == "notes"
    assert [d.id for d in app.list_datasets()] == ["notes"]
    members = call(strict, "ListDatasetInputs", service_pb2.ListDatasetInputsRequest, dataset_id="notes")
    assert sorted(m.input.id for m in members.dataset_inputs) == ["n1", "n2"]
    [annotation] = list_annotations(strict, input_ids=["n1"])
    assert annotation.data.regions[0].region_info.bounding_box.right_col == pytest.approx(0.6)
    with pytest.raises(Exception, match="already exists"):
        app.create_dataset(dataset_id="notes")


def test_cli_sandbox_takes_the_new_flags() -> None:
    command = [sys.executable, "-m", "ingest", "sandbox", "--port", "0", "--download-delay", "0",
               "--other-urls", "fail", "--missing-datasets", "refuse"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # "Sandbox listening on HOST:PORT (Ctrl-C to stop)..."
        host, port = first.split(" listening on ")[1].split()[0].rsplit(":", 1)
        sandbox = _Address(host, int(port), SandboxConfig())

        response = post(sandbox, image("far"), in_datasets(image("lost"), "ghost"))  # type: ignore[arg-type]

        assert codes(response.inputs) == [PENDING, status_code_pb2.INPUT_INVALID_ARGUMENT]
        assert settled(sandbox, "far")["far"].status.code == FAILED  # type: ignore[arg-type]
    finally:
        process.terminate()
        process.wait(10)


class _Address:
    """Enough of a Sandbox for `call`: where it listens and its credentials."""

    def __init__(self, host: str, port: int, config: SandboxConfig) -> None:
        self.host, self.port, self.config = host, port, config
