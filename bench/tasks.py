"""What each measured process runs: `python -m bench.tasks NAME JSON_ARGS` prints one JSON result.

Every pipeline runs in a fresh process, so its peak memory is its own (the parent
reads it with `os.wait4`) and no run warms the next one's caches.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
import threading
import time

from ingest.check import check_file
from ingest.job import UploadJob, UploadOptions
from ingest.upload import Target

from . import blog, minimal
from .servers import CONFIG


def target(address: str) -> Target:
    return Target(base=address, insecure=True, pat=CONFIG.pat, user_id=CONFIG.user_id, app_id=CONFIG.app_id)


def prep_ours(path: str) -> dict:
    """Read, validate, build and serialize every request, sending nothing: the job's dry run."""
    started = time.perf_counter()
    status = UploadJob(lambda: open(path, "rb"), path, None, UploadOptions(dry_run=True)).run()
    seconds = time.perf_counter() - started
    assert status.done and not status.fatal, status.fatal
    return {"seconds": seconds, "rows": status.processed, "ready": status.counts["uploaded"]}


def prep_blog(path: str, json_channel: bool = True) -> dict:
    """The blog's script up to the sending: read_csv, wrangle, iterrows, Struct.update, one serialize."""
    started = time.perf_counter()
    size = blog.prepare(path, json_channel)
    return {"seconds": time.perf_counter() - started, "bytes": size}


def upload_ours(path: str, address: str, batch_size: int | None = None, workers: int | None = None) -> dict:
    """One upload job, timed from start to its last confirmed batch (reading and connecting included)."""
    options = UploadOptions()
    if batch_size:
        options = UploadOptions(batch_size=batch_size, workers=workers or options.workers)
    started = time.perf_counter()
    status = UploadJob(lambda: open(path, "rb"), path, target(address), options).run()
    seconds = time.perf_counter() - started
    assert status.done and not status.fatal, status.fatal
    return {"seconds": seconds, "rows": status.processed, "counts": dict(status.counts)}


def upload_minimal(path: str, address: str, batch_size: int, workers: int) -> dict:
    """Prebuilt requests from `workers` threads; only the sending is timed."""
    requests = minimal.prebuilt_requests(path, batch_size, (CONFIG.user_id, CONFIG.app_id))
    return minimal.send_all(address, CONFIG.pat, requests, workers)


def upload_blog(path: str, address: str) -> dict:
    started = time.perf_counter()
    result = blog.upload(path, address, CONFIG.pat, CONFIG.user_id, CONFIG.app_id)
    return {"seconds": time.perf_counter() - started, "rows_sent": result.rows_sent,
            "rows_in_succeeded": result.rows_in_succeeded, "requests": result.requests,
            "codes": {str(k): v for k, v in result.codes.items()}}


def check(path: str) -> dict:
    """The page's preview: `check_file` on the uploaded bytes."""
    with open(path, "rb") as handle:
        data = handle.read()
    started = time.perf_counter()
    result = check_file(io.BytesIO(data), os.path.basename(path))
    return {"seconds": time.perf_counter() - started, "rows": result.rows, "valid": result.valid}


def page(path: str, address: str, poll_seconds: float = 0.5) -> dict:
    """What the page's process does for one upload: hold the file's bytes, check it, run the job in a
    background thread with report files, and poll `snapshot()` like its fragment; the gaps between
    progress callbacks are recorded."""
    import streamlit  # noqa: F401  the page's process has it loaded

    name = os.path.basename(path)
    with open(path, "rb") as handle:
        data = handle.read()  # what st.file_uploader hands over
    preview = check_file(io.BytesIO(data), name)
    folder = tempfile.mkdtemp(prefix="bench-page-")
    calls: list[tuple[float, bool]] = []  # when, and whether the download check had begun
    lock = threading.Lock()

    def on_progress(status) -> None:
        with lock:
            calls.append((time.monotonic(), status.downloads is not None))

    options = UploadOptions(delimiter=preview.delimiter, check_downloads=True)  # as the page starts it
    job = UploadJob(lambda: io.BytesIO(data), name, target(address), options,
                    report_path=os.path.join(folder, "report.csv"),
                    failed_path=os.path.join(folder, "rows-to-fix.csv"), spreadsheet_safe=True,
                    on_progress=on_progress)
    started = time.monotonic()
    job.start()
    while not job.wait(poll_seconds):
        job.snapshot()
    status = job.snapshot()
    times = [(started, False), *calls]
    gaps = [(b - a, checking) for (a, _), (b, checking) in zip(times, times[1:])]
    return {"seconds": status.elapsed, "rows": status.processed, "counts": dict(status.counts),
            "downloads": status.downloads, "callbacks": len(calls), "first": gaps[0][0],
            "max_gap": max(gap for gap, _ in gaps),
            "max_gap_uploading": max(gap for gap, checking in gaps if not checking),
            "max_gap_checking": max((gap for gap, checking in gaps if checking), default=0.0)}


TASKS = {f.__name__: f for f in (prep_ours, prep_blog, upload_ours, upload_minimal, upload_blog, check, page)}


if __name__ == "__main__":
    name, arguments = sys.argv[1], json.loads(sys.argv[2])
    result = TASKS[name](**arguments)
    print(json.dumps(result), flush=True)
