"""Crash, Ctrl-C and resume: confirmed rows are not sent again and every row ends stored once."""

import csv
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.sandbox import SandboxConfig, start

ROOT = Path(__file__).parent.parent
ROWS = 3000


def wait_for(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def cli(server, path: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "ingest", "upload", str(path), "--base", server.address, "--insecure",
            "--pat", server.config.pat, "--user-id", server.config.user_id, "--app-id", server.config.app_id,
            "--batch-size", "32", "--workers", "4", *extra]


@pytest.fixture
def big_file(tmp_path) -> Path:
    path = tmp_path / "rows.csv"
    path.write_text("url,pos_concepts\n" + "".join(f"https://h.test/{i}.jpg,c{i % 7}\n" for i in range(ROWS)))
    return path


@pytest.fixture
def throttled():
    with start(SandboxConfig(throttle_rps=40, latency_ms=10)) as server:
        yield server


def stored_once(server) -> bool:
    urls = [item.data.image.url for item in server.stored_inputs()]
    return len(urls) == ROWS == len(set(urls))


def test_kill_9_then_rerun_resumes_without_resending_confirmed_rows(throttled, big_file):
    first = subprocess.Popen(cli(throttled, big_file), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(lambda: len(throttled.stored_inputs()) >= ROWS // 5)
    first.send_signal(signal.SIGKILL)
    first.wait()
    before = len(throttled.stored_inputs())
    assert before < ROWS
    again = subprocess.run(cli(throttled, big_file), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "Resuming:" in again.stderr
    assert stored_once(throttled)
    in_flight = 4 * 32
    assert throttled.stats().duplicate_ids <= in_flight  # at most the batches in flight were sent twice


def test_ctrl_c_stops_cleanly_and_says_how_to_resume(throttled, big_file, tmp_path):
    report = tmp_path / "report.csv"
    first = subprocess.Popen(cli(throttled, big_file, "--report", str(report)), cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    wait_for(lambda: len(throttled.stored_inputs()) >= 300)
    first.send_signal(signal.SIGINT)
    out, err = first.communicate(timeout=60)
    assert first.returncode == 130, err
    assert "Stopping: waiting for the batches already sent" in err
    assert "Run the same command again to send the rest" in err
    assert "Traceback" not in err
    with open(report, newline="") as handle:  # the rows stored before the stop are in the report, unchecked
        reported = [(row["input_id"], row["download"]) for row in csv.DictReader(handle) if row["status"] == "uploaded"]
    assert sorted(reported) == sorted((item.id, "") for item in throttled.stored_inputs())
    again = subprocess.run(cli(throttled, big_file), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and stored_once(throttled)
    assert throttled.stats().duplicate_ids == 0  # a clean stop records every confirmed batch


def test_restart_ignores_the_record_and_a_damaged_record_is_set_aside(throttled, big_file, state_dir):
    first = subprocess.Popen(cli(throttled, big_file), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(lambda: len(throttled.stored_inputs()) >= 300)
    first.send_signal(signal.SIGKILL)
    first.wait()
    [journal] = state_dir.glob("*.sqlite")
    journal.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(f"{journal}{suffix}").unlink(missing_ok=True)
    again = subprocess.run(cli(throttled, big_file), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "was damaged and has been set aside" in again.stderr
    assert list(state_dir.glob("*.damaged-*")) and stored_once(throttled)
    restart = subprocess.run(cli(throttled, big_file, "--restart"), cwd=ROOT, capture_output=True, text=True,
                             timeout=120)
    assert restart.returncode == 0 and f"0 uploaded, {ROWS:,} already there" in restart.stdout


def test_an_interrupted_sheet_resumes_and_another_sheet_of_the_workbook_is_sent_whole(throttled, tmp_path):
    from tests.test_read import workbook

    path = tmp_path / "book.xlsx"
    rows = range(2, ROWS + 2)
    path.write_bytes(workbook(*({"A1": "url", **{f"A{n}": f"https://h.test/{sheet}/{n}.jpg" for n in rows}}
                                for sheet in ("a", "b"))))
    first = subprocess.Popen(cli(throttled, path), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(lambda: len(throttled.stored_inputs()) >= ROWS // 5)
    first.send_signal(signal.SIGKILL)
    first.wait()
    other = subprocess.run(cli(throttled, path, "--sheet", "Sheet2"), cwd=ROOT, capture_output=True, text=True,
                           timeout=120)
    assert other.returncode == 0 and "Resuming:" not in other.stderr, other.stderr
    again = subprocess.run(cli(throttled, path), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "Resuming:" in again.stderr, again.stderr
    urls = [item.data.image.url for item in throttled.stored_inputs()]
    assert len(urls) == len(set(urls)) == 2 * ROWS


def test_confirmed_count_tells_a_front_end_how_much_an_earlier_run_did(tmp_path):
    import io

    from ingest.journal import Journal, confirmed_count, file_digest

    digest = file_digest(io.BytesIO(b"url\nhttps://h.test/a.jpg\n"))
    assert confirmed_count("127.0.0.1:1/u/a", digest) == 0
    journal, _ = Journal.open("127.0.0.1:1/u/a", digest)
    journal.record([2, 3, 3])
    journal.close()
    assert confirmed_count("127.0.0.1:1/u/a", digest) == 2
    assert confirmed_count("127.0.0.1:1/u/other-app", digest) == 0


def test_ctrl_c_during_a_dry_run_says_the_rest_is_unchecked(tmp_path):
    path = tmp_path / "many.csv"
    path.write_text("url\n" + "".join(f"https://h.test/{i}.jpg\n" for i in range(2_000_000)))
    first = subprocess.Popen([sys.executable, "-m", "ingest", "upload", str(path), "--dry-run"], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(6.0)  # started even on a busy machine, and far from done: checking 2M rows takes over 20 s
    first.send_signal(signal.SIGINT)
    out, err = first.communicate(timeout=60)
    assert first.returncode == 130, err
    assert "Stopping (Ctrl-C again to quit at once)." in err
    assert "of 2,000,000 rows handled. Run the same command again to check the rest." in err
    assert "sen" not in err and "Traceback" not in err  # nothing was sent, and nothing says so
