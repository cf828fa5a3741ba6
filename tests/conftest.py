# --- sandbox fixtures (owned by the sandbox; other fixtures go outside this section) ---
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from clarifai_grpc.channel.clarifai_channel import ClarifaiChannel
from clarifai_grpc.grpc.api import resources_pb2, service_pb2, service_pb2_grpc
from clarifai_grpc.grpc.api.status import status_code_pb2

from ingest.sandbox import Sandbox, SandboxConfig, start

# Small enough that waiting for downloads costs the suite nothing, but not 0,
# so tests still see inputs go PENDING -> SUCCESS.
TEST_DOWNLOAD_DELAY = 0.05


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """One sandbox per test module on a free port; tests call `sandbox.reset()` as needed."""
    with start(SandboxConfig(download_delay=TEST_DOWNLOAD_DELAY), port=0) as server:
        yield server


def stub_for(
    sandbox: Sandbox, token: str | None = None
) -> tuple[service_pb2_grpc.V2Stub, tuple[tuple[str, str], ...]]:
    """A V2 stub on the sandbox and the call metadata for its pat (or `token`)."""
    # The stub must be built right after ClarifaiChannel sets its module-level
    # deserializer; a stub on a plain grpc.insecure_channel misreads replies.
    channel = ClarifaiChannel.get_insecure_grpc_channel(base=sandbox.host, port=sandbox.port)
    stub = service_pb2_grpc.V2Stub(channel)
    return stub, (("authorization", f"Key {token or sandbox.config.pat}"),)


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """Start sandboxes with their own config; all are stopped after the test."""
    started: list[Sandbox] = []

    def make(**config: Any) -> Sandbox:
        started.append(start(SandboxConfig(**config)))
        return started[-1]

    yield make
    for each in started:
        each.stop()


def stored_regions(sandbox: Sandbox) -> list[tuple[str, str, str, tuple[float, ...]]]:
    """Every region the sandbox holds: (input id, concept, "box" or "polygon", its (left, top, right, bottom) or
    its points (x1, y1, x2, y2, ...)), rounded."""
    stub, metadata = stub_for(sandbox)
    app = resources_pb2.UserAppIDSet(user_id=sandbox.config.user_id, app_id=sandbox.config.app_id)
    annotations, page = [], 1
    while True:  # every page
        response = stub.ListAnnotations(service_pb2.ListAnnotationsRequest(user_app_id=app, page=page, per_page=1000),
                                        metadata=metadata)
        assert response.status.code == status_code_pb2.SUCCESS
        annotations += response.annotations
        if len(response.annotations) < 1000:
            break
        page += 1
    found = []
    for item in annotations:
        for region in item.data.regions:
            box, polygon = region.region_info.bounding_box, region.region_info.polygon
            kind, values = (("box", (box.left_col, box.top_row, box.right_col, box.bottom_row))
                            if region.region_info.HasField("bounding_box")
                            else ("polygon", [v for point in polygon.points for v in (point.col, point.row)]))
            found.append((item.input_id, region.data.concepts[0].id, kind, tuple(round(v, 3) for v in values)))
    return sorted(found)


def stored_boxes(sandbox: Sandbox) -> list[tuple[str, str, tuple[float, ...]]]:
    """Every bounding box the sandbox holds: (input id, concept, (left, top, right, bottom))."""
    return [(input_id, concept, edges) for input_id, concept, kind, edges in stored_regions(sandbox) if kind == "box"]


# --- end of sandbox fixtures ---


# --- shared fixtures ---
CONFIG_NAMES = (
    "CLARIFAI_PAT", "CLARIFAI_USER_ID", "CLARIFAI_APP_ID", "CLARIFAI_API_KEY",
    "CLARIFAI_GRPC_BASE", "CLARIFAI_GRPC_INSECURE",
)


@pytest.fixture(autouse=True)
def state_dir(tmp_path, monkeypatch):
    """Resume journals go to the test's own folder, never the user's cache."""
    path = tmp_path / "state"
    monkeypatch.setenv("INGEST_STATE_DIR", str(path))
    return path


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CLARIFAI_* settings leak in from the machine running the tests."""
    for name in CONFIG_NAMES:
        monkeypatch.delenv(name, raising=False)


def point_at(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """Name `sandbox` in the CLARIFAI_* variables, as an operator would."""
    monkeypatch.setenv("CLARIFAI_GRPC_BASE", sandbox.address)
    monkeypatch.setenv("CLARIFAI_GRPC_INSECURE", "1")
    monkeypatch.setenv("CLARIFAI_PAT", sandbox.config.pat)
    monkeypatch.setenv("CLARIFAI_USER_ID", sandbox.config.user_id)
    monkeypatch.setenv("CLARIFAI_APP_ID", sandbox.config.app_id)


@pytest.fixture
def server_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """This module's sandbox, emptied, and named by the environment the page reads."""
    sandbox.reset()
    point_at(sandbox, monkeypatch)
    return sandbox


import io
import threading
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PALETTE = ((231, 111, 81), (42, 157, 143), (233, 196, 106), (38, 70, 83), (244, 162, 97), (106, 76, 147))


@lru_cache(maxsize=len(PALETTE))
def thumbnail(shade: int) -> bytes:
    """A small landscape PNG (sun and hill) in one of the PALETTE's shades."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (96, 72), PALETTE[shade])
    draw = ImageDraw.Draw(image)
    draw.ellipse((58, 8, 82, 32), fill=(255, 255, 255))
    draw.polygon([(0, 72), (34, 30), (70, 72)], fill=tuple(max(0, c - 60) for c in PALETTE[shade]))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


class Thumbnails(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        number = int("".join(ch for ch in self.path if ch.isdigit()) or 0)
        body = thumbnail(number % len(PALETTE))
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def image_server() -> Iterator[str]:
    """A web server on 127.0.0.1 answering every path with a picture: /3.png is `thumbnail(3)`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Thumbnails)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# --- page fixtures (streamlit_app.py under `streamlit run`; owned by the page's tests) ---
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"  # Debian's; the tests never download a browser
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
PAGE_ROOT = Path(__file__).resolve().parent.parent
PAGE_START_SECONDS = 30  # for `streamlit run` to answer its health check


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll `condition` until it holds; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s")
        time.sleep(0.1)


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def running_page(sandbox: Sandbox, log_path: Path) -> Iterator[str]:
    """`streamlit run streamlit_app.py` on a free port, pointed at `sandbox`; yields its address."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CLARIFAI_")},
        "CLARIFAI_GRPC_BASE": sandbox.address,
        "CLARIFAI_GRPC_INSECURE": "1",
        "CLARIFAI_PAT": sandbox.config.pat,
        "CLARIFAI_USER_ID": sandbox.config.user_id,
        "CLARIFAI_APP_ID": sandbox.config.app_id,
    }
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false",
             # Other work edits files under the repo meanwhile: a watcher would offer reruns mid-test.
             "--server.fileWatcherType", "none"],
            cwd=PAGE_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://localhost:{port}"
            wait_for(lambda: process.poll() is not None or answers(f"{url}/_stcore/health"), PAGE_START_SECONDS,
                     "streamlit to start")
            assert process.poll() is None, log_path.read_text()
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
# --- end of page fixtures ---
