"""Issue 5, load: three people upload three different files through one page server at once.

One `streamlit run` server, one sandbox, three Playwright browser contexts (three separate
sessions, as three people or three browsers would be). Each uploads its own CSV; the
sandbox is slow enough that all three jobs are sending at the same moment, which a
poller in this process checks from what the sandbox stores. Each session must end with
its own file name and counts only, and the sandbox with exactly the union of the three
files, each row once.

Job ids, decided: a job id is an unguessable capability (`secrets.token_urlsafe(18)`,
144 random bits), like a share link. Whoever holds the address `?job=ID` sees and
controls that job as its owner does (progress, Cancel, Retry, the reports; never the
key, which is not in the job or the address): that is what lets a refresh or a second
tab find a running upload. Sessions without the id cannot reach the job: the page never
lists jobs, and a wrong id gets "no longer on the server". A second context opening the
link and pressing "Start a new upload" only leaves the job; it does not remove it from
the first context (only the session that started a job frees it early).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ingest.sandbox import Sandbox, SandboxConfig, start
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, running_page, wait_for

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"needs Debian's chromium at {CHROMIUM}")

SESSIONS = ("north", "south", "west")
ROWS = 300  # per file
BATCH, WORKERS = 25, 2  # set on each page, so a file takes several rounds of requests
LATENCY_MS = 500  # per sandbox call: each upload lasts some seconds, long enough to overlap on a busy machine
UPLOAD_SECONDS = 40
UI_MS = 20_000  # Playwright's wait for an element, in milliseconds


def tiny_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (42, 157, 143)).save(out, "PNG")
    return out.getvalue()


class Images(BaseHTTPRequestHandler):
    """Any path is a small PNG: the preview's thumbnails load, and a sandbox that fetches loopback urls can."""

    body = b""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def image_base() -> Iterator[str]:
    Images.body = tiny_png()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Images)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def slow_sandbox() -> Iterator[Sandbox]:
    with start(SandboxConfig(latency_ms=LATENCY_MS, download_delay=0.05), port=0) as server:
        yield server


@pytest.fixture(scope="module")
def page_server(slow_sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_page(slow_sandbox, tmp_path_factory.mktemp("page") / "streamlit.log") as url:
        yield url


def write_file(folder: Path, session: str, image_base: str) -> Path:
    lines = ["url,input_id,pos_concepts"]
    lines += [f"{image_base}/{session}/{i}.png,{session}-{i:04d},{session}" for i in range(1, ROWS + 1)]
    path = folder / f"{session}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class StoredPoller:
    """Samples what the sandbox holds, per session, until stopped: proof the uploads overlapped."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.overlapped = False  # some sample had every session part-way through its file
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> StoredPoller:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            counts = dict.fromkeys(SESSIONS, 0)
            for item in self.sandbox.stored_inputs():
                counts[item.id.split("-", 1)[0]] += 1
            if all(0 < n < ROWS for n in counts.values()):
                self.overlapped = True


def metric(page, label: str):
    return page.locator('[data-testid="stMetric"]').filter(has_text=label)


def test_three_sessions_upload_at_once_without_cross_talk(
    slow_sandbox: Sandbox, page_server: str, image_base: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    slow_sandbox.reset()
    files = {session: write_file(tmp_path, session, image_base) for session in SESSIONS}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            pages = {}
            for session in SESSIONS:  # each context is its own browser profile: its own Streamlit session
                page = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
                page.set_default_timeout(UI_MS)
                page.goto(page_server)
                page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(files[session])
                expect(metric(page, "Rows found")).to_contain_text(f"{ROWS}")
                page.get_by_text("Options").click()
                for label, value in (("Inputs per request", BATCH), ("Requests at once", WORKERS)):
                    field = page.get_by_role("spinbutton", name=label)
                    field.fill(str(value))
                    field.press("Enter")
                    expect(field).to_have_value(str(value))
                expect(page.get_by_role("button", name=f"Upload {ROWS} rows")).to_be_enabled()
                pages[session] = page

            with StoredPoller(slow_sandbox) as poller:
                for page in pages.values():
                    page.get_by_role("button", name=f"Upload {ROWS} rows").click()
                wait_for(lambda: len(slow_sandbox.stored_inputs()) == len(SESSIONS) * ROWS, UPLOAD_SECONDS,
                         "the sandbox to hold every row of the three files")
            assert poller.overlapped, "the three uploads never ran at the same time"

            job_ids = set()
            for session, page in pages.items():
                expect(page.get_by_text("Done: every row is in")).to_be_visible(timeout=UPLOAD_SECONDS * 1000)
                expect(page.get_by_role("heading", name=f"Upload of {session}.csv")).to_be_visible()
                expect(metric(page, "Uploaded")).to_contain_text(f"{ROWS}")
                expect(metric(page, "Already there")).to_contain_text("0")
                expect(metric(page, "Fetched")).to_contain_text(f"{ROWS}")
                expect(page.locator('[data-testid="stProgress"]')).to_contain_text(f"{ROWS} of {ROWS} rows")
                shown = page.locator('[data-testid="stMain"]').inner_text()
                for other in SESSIONS:
                    if other != session:
                        assert f"{other}.csv" not in shown and f"{other}-0" not in shown, (session, other)
                job_ids.add(page.url.split("job=", 1)[1])
            assert len(job_ids) == len(SESSIONS)

            stored = [item.id for item in slow_sandbox.stored_inputs()]
            assert sorted(stored) == sorted(f"{s}-{i:04d}" for s in SESSIONS for i in range(1, ROWS + 1))
            assert slow_sandbox.stats().duplicate_ids == 0

            # The job id is the capability: a fourth context holding north's address sees north's job.
            north = pages["north"]
            viewer = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
            viewer.set_default_timeout(UI_MS)
            viewer.goto(north.url)
            expect(viewer.get_by_role("heading", name="Upload of north.csv")).to_be_visible()
            expect(metric(viewer, "Uploaded")).to_contain_text(f"{ROWS}")
            # Leaving it there does not take it away from north.
            viewer.get_by_role("button", name="Start a new upload").click()
            expect(viewer.get_by_role("heading", name="Upload of north.csv")).to_have_count(0)
            assert "job=" not in viewer.url
            north.reload()
            expect(north.get_by_role("heading", name="Upload of north.csv")).to_be_visible()
            expect(metric(north, "Uploaded")).to_contain_text(f"{ROWS}")
            # A guessed id finds nothing.
            viewer.goto(north.url[:-3] + "abc")
            expect(viewer.get_by_text("That upload is no longer on the server")).to_be_visible()
            expect(metric(viewer, "Uploaded")).to_have_count(0)
        finally:
            browser.close()
    assert len(slow_sandbox.stored_inputs()) == len(SESSIONS) * ROWS  # nothing sent twice by the checks above
