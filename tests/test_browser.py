"""End-to-end runs in real headless Chromium: choose a file (or files), upload, watch them land.

The page runs as `streamlit run` in a subprocess, pointed at the module's sandbox by
CLARIFAI_* environment variables. Images are served by a tiny local web server so the
preview's thumbnails load without the internet.

    UPDATE_SCREENSHOT=1 python -m pytest tests/test_browser.py   # rewrites docs/screenshot.png and docs/browse.png
"""

from __future__ import annotations

import csv
import json
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ingest.sandbox import Sandbox
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, PAGE_ROOT, running_page, thumbnail, wait_for

SCREENSHOT = PAGE_ROOT / "docs" / "screenshot.png"
BROWSE_SCREENSHOT = PAGE_ROOT / "docs" / "browse.png"
ROWS = 700
UPLOAD_SECONDS = 30
UI_MS = 20_000  # Playwright's wait for an element, in milliseconds

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"needs Debian's chromium at {CHROMIUM}")

CONCEPTS = ("beach", "forest", "city", "mountain", "desert", "lake")


@pytest.fixture
def dashboard(sandbox: Sandbox, tmp_path: Path) -> Iterator[str]:
    """`streamlit run streamlit_app.py` on a free port, pointed at the sandbox; stopped afterwards."""
    with running_page(sandbox, tmp_path / "streamlit.log") as url:
        yield url


def photos_csv(path: Path, image_base: str) -> Path:
    lines = ["url,input_id,pos_concepts,metadata"]
    for i in range(1, ROWS + 1):
        concept = CONCEPTS[i % len(CONCEPTS)]
        metadata = json.dumps({"album": "holiday", "n": i}).replace('"', '""')
        lines.append(f'{image_base}/photos/{i}.png,photo-{i:04d},{concept}|outdoor,"{metadata}"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_choose_a_file_upload_it_and_watch_every_row_land(
    sandbox: Sandbox, dashboard: str, image_server: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    sandbox.reset()
    source = photos_csv(tmp_path / "holiday-photos.csv", image_server)
    with dashboard_page(dashboard) as page:
        expect(page.get_by_role("heading", name="Upload images, videos, audio and text to Clarifai")).to_be_visible()

        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(source)
        expect(page.locator('[data-testid="stMetric"]').filter(has_text="Rows found")).to_contain_text("700")
        upload = page.get_by_role("button", name=f"Upload {ROWS} rows")
        expect(upload).to_be_enabled()
        upload.click()

        expect(page.locator('[data-testid="stProgress"]')).to_be_visible()
        wait_for(lambda: len(sandbox.stored_inputs()) == ROWS, UPLOAD_SECONDS, "the sandbox to hold every row")
        # then the check that the sandbox fetched all 700 urls, which a busy machine slows
        expect(page.get_by_text("Done: every row is in")).to_be_visible(timeout=UPLOAD_SECONDS * 1000)
        expect(page.locator('[data-testid="stProgress"]')).to_contain_text(f"{ROWS} of {ROWS} rows")
        expect(page.locator('.st-key-results [data-testid="stDataFrame"]')).to_be_visible()
        assert "job=" in page.url and sandbox.config.pat not in page.url

        with page.expect_download() as download:
            page.get_by_role("button", name="Download the full report").click()
        report = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
        assert report[0] == "line,input_id,url,status,reason,download" and len(report) == ROWS + 1
        assert all(",uploaded," in line for line in report[1:])

        if os.environ.get("UPDATE_SCREENSHOT") == "1":
            save_screenshot(page)

        # A refresh finds the same job by the id in the address; nothing is sent again.
        page.reload()
        expect(page.get_by_text("Done: every row is in")).to_be_visible()
        expect(page.locator('[data-testid="stMetric"]').filter(has_text="Uploaded")).to_contain_text("700")

        ids = {item.id for item in sandbox.stored_inputs()}
        assert ids == {f"photo-{i:04d}" for i in range(1, ROWS + 1)}

        # The Browse tab pages through what the app now holds, thumbnails and all.
        page.get_by_role("tab", name="Browse the app").click()
        expect(page.get_by_text(f"Page 1 of {-(-ROWS // 24)} · inputs 1–24 of {ROWS}")).to_be_visible()
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_text(f"Page 2 of {-(-ROWS // 24)} · inputs 25–48 of {ROWS}")).to_be_visible()
        if os.environ.get("UPDATE_SCREENSHOT") == "1":
            page.get_by_role("button", name="Previous").click()
            expect(page.get_by_text("Page 1 of")).to_be_visible()
            save_screenshot(page, BROWSE_SCREENSHOT)


def test_files_from_the_computer_are_sent_as_bytes_with_the_concepts_typed_for_them(
    sandbox: Sandbox, dashboard: str, tmp_path: Path
) -> None:
    """Several files through the browser's own file chooser, as a person picks them (AppTest skips this path), and
    a concept typed for all of them."""
    from playwright.sync_api import expect

    from ingest.local import content_id

    sandbox.reset()
    paths = []
    for shade in range(3):
        path = tmp_path / f"photo-{shade}.png"
        path.write_bytes(thumbnail(shade))
        paths.append(path)
    with files_chosen(dashboard, paths) as page:
        expect(page.locator('[data-testid="stMetric"]').filter(has_text="Files found")).to_contain_text("3")
        concepts = page.get_by_role("combobox", name="Concepts for every input")
        concepts.click()
        concepts.press_sequentially("holiday")
        expect(page.get_by_role("option").filter(has_text="holiday")).to_be_visible()
        concepts.press("Enter")
        concepts.press("Escape")
        expect(page.locator('[class*="st-key-concepts_"]')).to_contain_text("holiday")
        page.get_by_role("button", name="Upload 3 files").click()
        expect(page.get_by_text("Done: every row is in")).to_be_visible()
    stored = {item.id: (item.data.image.base64, [c.id for c in item.data.concepts]) for item in sandbox.stored_inputs()}
    assert stored == {content_id(thumbnail(shade)): (thumbnail(shade), ["holiday"]) for shade in range(3)}


def test_a_folder_chosen_in_the_browser_keeps_its_subfolders(sandbox: Sandbox, dashboard: str, tmp_path: Path) -> None:
    """The browser's folder chooser sends each file's path within the folder: class folders become concepts."""
    from playwright.sync_api import expect

    from ingest.local import content_id

    sandbox.reset()
    for shade, folder in enumerate(("cat", "dog")):
        (tmp_path / "pets" / folder).mkdir(parents=True)
        (tmp_path / "pets" / folder / f"{shade}.png").write_bytes(thumbnail(shade))
    with files_chosen(dashboard, [tmp_path / "pets"], uploader="folder_") as page:
        page.get_by_text("Use each file's folder name as its concept (cat, dog)").click()
        page.get_by_role("button", name="Upload 2 files").click()
        expect(page.get_by_text("Done: every row is in")).to_be_visible()
    concepts = {item.id: [c.id for c in item.data.concepts] for item in sandbox.stored_inputs()}
    assert concepts == {content_id(thumbnail(0)): ["cat"], content_id(thumbnail(1)): ["dog"]}


def test_a_list_of_boxes_offers_its_rows_whose_box_needs_fixing_and_reports_every_box(dashboard: str, tmp_path: Path
                                                                                 ) -> None:
    """Those rows' inputs go up, their boxes would not: the download has them as written, to fix and send again.
    After the upload, the boxes report has every box's outcome."""
    from playwright.sync_api import expect

    detections = tmp_path / "detections.csv"
    detections.write_text("url,class,xmin,ymin,xmax,ymax,width,height\n"
                          "https://h.test/a.jpg,cat,64,48,320,240,640,480\n"
                          "https://h.test/b.jpg,dog,0,0,700,48,640,480\n")
    with dashboard_page(dashboard) as page:
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(detections)
        with page.expect_download() as download:
            page.get_by_role("button", name="Download the row whose box needs fixing").click()
        assert download.value.suggested_filename == "detections-boxes-to-fix.csv"
        assert Path(download.value.path()).read_text(encoding="utf-8").splitlines() == [
            "url,class,xmin,ymin,xmax,ymax,width,height", "https://h.test/b.jpg,dog,0,0,700,48,640,480"]
        page.get_by_role("button", name="Upload 2 inputs").click()
        boxes_report = page.get_by_role("button", name="Download the boxes report")  # once done, every box's outcome
        expect(boxes_report).to_be_visible(timeout=60_000)
        with page.expect_download() as download:
            boxes_report.click()
        assert download.value.suggested_filename == "detections-boxes-report.csv"
        report = list(csv.DictReader(Path(download.value.path()).read_text(encoding="utf-8").splitlines()))
        assert [(row["line"], row["url"], row["status"]) for row in report] == [
            ("3", "https://h.test/b.jpg", "invalid"), ("2", "https://h.test/a.jpg", "uploaded")]


def test_a_damaged_workbook_chosen_as_the_list_is_told_what_to_do_and_photos_are_uploaded(
    sandbox: Sandbox, dashboard: str, tmp_path: Path
) -> None:
    """The browser would refuse a workbook it cannot read, or photos dropped on the list's chooser, by their names in
    its own words ("Only one file is allowed"); the page says what to do with the one, and uploads the others as
    files."""
    from playwright.sync_api import expect

    from ingest.local import content_id

    sandbox.reset()
    old = tmp_path / "photos.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))  # how every .xls starts, then nothing of one
    photos = [tmp_path / f"photo-{shade}.png" for shade in range(2)]
    for shade, path in enumerate(photos):
        path.write_bytes(thumbnail(shade))
    with dashboard_page(dashboard) as page:
        chooser = page.locator('[data-testid="stFileUploaderDropzoneInput"]')  # the list's: the page opens on it
        chooser.set_input_files(old)
        expect(page.get_by_text("photos.xls is not a readable Excel workbook: it is damaged, protected by a "
                                "password, or another program's file")).to_be_visible()
        expect(page.get_by_text("save it as a workbook (.xlsx) or as 'CSV UTF-8'")).to_be_visible()
        chooser.set_input_files(photos)
        expect(page.get_by_text("These files are uploaded as they are, as under Files from my computer")
               ).to_be_visible()
        expect(page.locator('[data-testid="stMetric"]').filter(has_text="Files found")).to_contain_text("2")
        page.get_by_role("button", name="Upload 2 files").click()
        expect(page.get_by_text("Done: every row is in")).to_be_visible()
    assert {item.id for item in sandbox.stored_inputs()} == {content_id(thumbnail(shade)) for shade in range(2)}


@contextmanager
def dashboard_page(dashboard: str) -> Iterator:
    """The dashboard open in headless Debian chromium (downloads accepted); the browser closes afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900}, accept_downloads=True)
            page.set_default_timeout(UI_MS)
            page.goto(dashboard)
            yield page
        finally:
            browser.close()


@contextmanager
def files_chosen(dashboard: str, paths: list[Path], uploader: str = "files_") -> Iterator:
    """The dashboard in Chromium, with `paths` chosen under 'Files from my computer' through the browser's
    own file chooser (AppTest skips this path), or its folder chooser (`uploader="folder_"`, one folder)."""
    from playwright.sync_api import expect

    with dashboard_page(dashboard) as page:
        page.get_by_text("Files from my computer").click()
        expect(page.get_by_text("Choose files or a zip")).to_be_visible()
        expect(page.locator('[data-testid="stFileUploaderDropzoneInput"]')).to_have_count(2)  # the list's has gone
        chooser = page.locator(f'[class*="st-key-{uploader}"] [data-testid="stFileUploaderDropzoneInput"]')
        chooser.set_input_files(paths)
        yield page


def save_screenshot(page, path: Path = SCREENSHOT) -> None:
    """The whole page: Streamlit scrolls inside its own container, so grow the window to fit it."""
    page.mouse.move(0, 0)
    height = page.evaluate(
        "() => document.querySelector('[data-testid=\"stMainBlockContainer\"]').scrollHeight"
    )
    page.set_viewport_size({"width": 1100, "height": height + 40})
    page.wait_for_timeout(500)  # let the tables redraw at the new size
    path.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1100, "height": 900})


def test_a_detection_export_zip_shows_its_boxes_and_lands_with_them(
    sandbox: Sandbox, dashboard: str, tmp_path: Path
) -> None:
    """A Roboflow-style zip (a boxes file per split folder) through the file chooser: its boxes checked,
    then uploaded and stored on their images."""
    from playwright.sync_api import expect

    from tests.conftest import stored_boxes

    sandbox.reset()
    header = "filename,width,height,class,xmin,ymin,xmax,ymax\n"
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("README.roboflow.txt", "exported")
        archive.writestr("train/a.png", thumbnail(0))
        archive.writestr("train/_annotations.csv", header + "a.png,96,72,sun,58,8,82,32\n")
        archive.writestr("valid/b.png", thumbnail(1))
        archive.writestr("valid/_annotations.csv", header + "b.png,96,72,hill,0,30,70,72\n")
    with files_chosen(dashboard, [path]) as page:
        expect(page.locator('[data-testid="stMetric"]').filter(has_text="Files found")).to_contain_text("2")
        expect(page.get_by_text("export.zip:valid/_annotations.csv: 1 box, 1 ready.")).to_be_visible()
        page.get_by_role("button", name="Upload 2 files").click()
        expect(page.get_by_text("Done: every row is in")).to_be_visible()
        expect(page.locator('[data-testid="stMetric"]').filter(has_text="Boxes uploaded")).to_contain_text("2")
    assert sorted((concept, edges) for _, concept, edges in stored_boxes(sandbox)) == [
        ("hill", (0.0, 0.417, 0.729, 1.0)), ("sun", (0.604, 0.111, 0.854, 0.444))]
