from pathlib import Path
from ingest.sandbox import SandboxConfig, start
from tests.conftest import running_page, wait_for
from tests.test_browser import dashboard_page, save_screenshot


def test_scratch(tmp_path):
    from playwright.sync_api import expect
    src = tmp_path / "many.csv"
    src.write_text("url,pos_concepts\n" + "".join(f"https://h.test/{n}.jpg,cat\n" for n in range(3000)))
    with start(SandboxConfig(latency_ms=200, throttle_rps=5, download_delay=0.0), port=0) as sb:
        with running_page(sb, tmp_path / "log") as url, dashboard_page(url) as page:
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(src)
            page.get_by_role("button", name="Upload 3,000 rows").click()
            wait_for(lambda: len(sb.stored_inputs()) >= 300, 60, "some")
            page.get_by_role("button", name="Cancel").click()
            expect(page.get_by_text("You stopped the upload")).to_be_visible()
            page.wait_for_timeout(1500)
            save_screenshot(page, Path("/tmp/s8/cancel.png"))
