"""`python -m bench [--quick] [--runs N] [--write FILE]`: every target of issue 6, side by side with its baseline.

Each pipeline runs in a fresh process (peak memory is that process's own, from
`os.wait4`), against sandboxes in their own processes, best of several runs.
Prints a markdown table with a met / not met column. A full run takes about 16 minutes
on 2 cores (bench/RESULTS.md); --quick takes under one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass

from .data import write_csv
from .servers import start_sandbox

HOSTED_RPS = 15  # the hosted API's default request rate per app
HOSTED_BATCH = 128  # inputs per request at most
HOSTED_CEILING = HOSTED_RPS * HOSTED_BATCH  # 1,920 inputs/s
LATENCY_MS = 100.0  # per call, for the rate comparisons

PREP_FASTER = 10.0  # x the blog's preparation speed
MEMORY_MB = 300.0  # peak for a million rows, dry run and upload
FLAT_MB_PER_100K = 5.0  # more memory per 100,000 more rows: the id index packs each id in ~12 bytes
SLOPE_ROWS = 500_000  # fewer rows between the two files, and a few MB of noise swamp the slope
MINIMAL_SHARE = 0.9  # of the minimal client's rate
CEILING_SHARE = 0.85  # of 1,920 inputs/s against the throttling sandbox
PREVIEW_SECONDS = 5.0
PROGRESS_GAP_SECONDS = 1.0
PAGE_MB = 500.0


@dataclass(frozen=True)
class Sizes:
    prep: int  # rows prepared by both pipelines
    memory: tuple[int, int]  # a small and a large file, to see memory stay flat
    latency: int  # rows uploaded at 100 ms latency, ours and the minimal client
    throttled: int  # rows uploaded against 15 requests/s, ours and the blog's
    preview: int  # rows in the file check_file previews
    page: int  # rows the page uploads
    folder: tuple[int, int]  # files in a folder the CLI uploads, and bytes each
    runs: int


FULL = Sizes(prep=200_000, memory=(250_000, 1_000_000), latency=20_000, throttled=60_000, preview=200_000,
             page=100_000, folder=(2_000, 256 * 1024), runs=3)
QUICK = Sizes(prep=20_000, memory=(10_000, 40_000), latency=3_200, throttled=8_000, preview=20_000,
              page=4_000, folder=(200, 256 * 1024), runs=1)


@dataclass
class Measured:
    result: dict
    peak_mb: float
    wall: float
    output: str  # stdout, for a message when something is off


@dataclass
class Line:
    """One row of the table."""

    measure: str
    ours: str
    baseline: str
    ratio: str
    target: str
    met: bool


def run_process(argv: Sequence[str], env: dict[str, str] | None = None) -> Measured:
    """Run a command to its end; its JSON result (last stdout line, if any), peak RSS and wall time."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, env={**os.environ, **(env or {})})
        _, wait_status, usage = os.wait4(process.pid, 0)  # the rusage of this one child
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(wait_status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode not in (0, 1):  # 1: the CLI's "some rows failed", reported in the table
        raise RuntimeError(f"{' '.join(argv)} exited {process.returncode}:\n{stderr[-2000:]}")
    lines = stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        result = {}
    return Measured(result, usage.ru_maxrss / 1024, wall, stdout)


def task(name: str, **arguments) -> Measured:
    measured = run_process([sys.executable, "-m", "bench.tasks", name, json.dumps(arguments)])
    if "seconds" not in measured.result:
        raise RuntimeError(f"bench.tasks {name} printed no result:\n{measured.output[-2000:]}")
    return measured


def cli(*arguments: str, env: dict[str, str] | None = None) -> Measured:
    return run_process([sys.executable, "-m", "ingest", "upload", *arguments], env)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the measurements -----------------------------------------------------------------------------


def measure_preparation(folder: str, sizes: Sizes) -> list[Line]:
    path = write_csv(os.path.join(folder, f"rows-{sizes.prep}.csv"), sizes.prep)
    ours, blog, blog_grpc = [], [], []
    for run in range(sizes.runs):
        say(f"preparation of {sizes.prep:,} rows, run {run + 1}/{sizes.runs}")
        blog.append(task("prep_blog", path=path))
        blog_grpc.append(task("prep_blog", path=path, json_channel=False))
        ours.append(task("prep_ours", path=path))
    best_ours = min(m.result["seconds"] for m in ours)
    best_blog = min(m.result["seconds"] for m in blog)
    best_blog_grpc = min(m.result["seconds"] for m in blog_grpc)
    speedup = best_blog / best_ours
    ours_mb, blog_mb = max(m.peak_mb for m in ours), max(m.peak_mb for m in blog)
    return [
        Line(f"prepare {sizes.prep:,} rows (read, validate, build, serialize)",
             f"{best_ours:.2f} s ({sizes.prep / best_ours:,.0f} rows/s)",
             f"blog, its JSON channel: {best_blog:.2f} s ({sizes.prep / best_blog:,.0f} rows/s)",
             f"{speedup:.1f}x faster", f">= {PREP_FASTER:.0f}x", speedup >= PREP_FASTER),
        Line("  the same, against the blog's steps serialized for gRPC", "",
             f"blog, gRPC: {best_blog_grpc:.2f} s ({sizes.prep / best_blog_grpc:,.0f} rows/s)",
             f"{best_blog_grpc / best_ours:.1f}x faster", "(reported)", True),
        Line(f"peak memory preparing {sizes.prep:,} rows", f"{ours_mb:.0f} MB", f"blog: {blog_mb:.0f} MB",
             f"{blog_mb / ours_mb:.1f}x less", "(reported)", True),
    ]


def measure_memory(folder: str, sizes: Sizes) -> list[Line]:
    small, large = sizes.memory
    paths = {n: write_csv(os.path.join(folder, f"rows-{n}.csv"), n) for n in sizes.memory}
    lines = []
    for mode in ("--dry-run", "upload"):
        peaks, seconds = {}, {}
        for n, path in paths.items():
            say(f"{mode} of {n:,} rows through the CLI, for peak memory")
            if mode == "--dry-run":
                measured = cli(path, "--dry-run")
            else:
                with start_sandbox() as sandbox:
                    measured = cli(path, env=sandbox.env)
                    stored = sandbox.stored()
                if stored != n:
                    raise RuntimeError(f"the upload of {n:,} rows stored {stored:,}")
            peaks[n], seconds[n] = measured.peak_mb, measured.wall
        growth = (peaks[large] - peaks[small]) / ((large - small) / 100_000)
        judged = large - small >= SLOPE_ROWS
        met = peaks[large] <= MEMORY_MB and (growth <= FLAT_MB_PER_100K or not judged)
        target = f"<= {MEMORY_MB:.0f} MB, " + (f"<= {FLAT_MB_PER_100K:.0f} MB per 100k" if judged
                                               else "slope judged by the full run")
        label = "dry run" if mode == "--dry-run" else "upload and download check (sandbox, no latency)"
        lines.append(Line(
            f"peak memory, CLI {label}, {small:,} -> {large:,} rows",
            f"{peaks[small]:.0f} -> {peaks[large]:.0f} MB ({growth:+.1f} MB per 100k rows; "
            f"{large / seconds[large]:,.0f} rows/s)",
            "", "", target, met))
    return lines


def measure_folder(folder: str, sizes: Sizes) -> list[Line]:
    """The CLI uploading a folder of files as bytes: its memory should be that of the batches in
    flight, not of the folder."""
    count, size = sizes.folder
    pictures = os.path.join(folder, f"pictures-{count}")
    os.makedirs(pictures, exist_ok=True)
    for n in range(count):
        path = os.path.join(pictures, f"photo_{n:05d}.jpg")
        if not os.path.exists(path):
            with open(path, "wb") as out:
                out.write(os.urandom(size))
    say(f"upload of a folder of {count:,} files through the CLI, for peak memory")
    with start_sandbox() as sandbox:
        measured = cli(pictures, env=sandbox.env)
        stored = sandbox.stored()
    if stored != count:
        raise RuntimeError(f"the folder upload stored {stored:,} of {count:,} files")
    total_mb = count * size / 1024 / 1024
    return [Line(f"peak memory, CLI upload of a folder of {count:,} files ({total_mb:,.0f} MB)",
                 f"{measured.peak_mb:.0f} MB ({count / measured.wall:,.0f} files/s)", "", "", "(reported)", True)]


def measure_latency(folder: str, sizes: Sizes) -> list[Line]:
    path = write_csv(os.path.join(folder, f"rows-{sizes.latency}.csv"), sizes.latency)
    ours, minimal = [], []
    for run in range(sizes.runs):
        say(f"upload of {sizes.latency:,} rows at {LATENCY_MS:.0f} ms latency, run {run + 1}/{sizes.runs}")
        with start_sandbox(latency_ms=LATENCY_MS) as sandbox:
            minimal.append(task("upload_minimal", path=path, address=sandbox.address, batch_size=32, workers=10))
        with start_sandbox(latency_ms=LATENCY_MS) as sandbox:
            ours.append(task("upload_ours", path=path, address=sandbox.address, batch_size=32, workers=10))
            stored = sandbox.stored()
        if stored != sizes.latency:
            raise RuntimeError(f"our upload stored {stored:,} of {sizes.latency:,} rows")
    ours_rate = max(sizes.latency / m.result["seconds"] for m in ours)
    minimal_rate = max(m.result["rows"] / m.result["seconds"] for m in minimal)
    share = ours_rate / minimal_rate
    return [Line(f"upload {sizes.latency:,} rows, {LATENCY_MS:.0f} ms latency, 10 workers, 32 per batch",
                 f"{ours_rate:,.0f} rows/s", f"minimal client: {minimal_rate:,.0f} rows/s",
                 f"{share:.2f}", f">= {MINIMAL_SHARE}", share >= MINIMAL_SHARE)]


def measure_throttled(folder: str, sizes: Sizes) -> list[Line]:
    n = sizes.throttled
    path = write_csv(os.path.join(folder, f"rows-{n}.csv"), n)
    ours, blog = [], []
    for run in range(sizes.runs):
        say(f"upload of {n:,} rows against {HOSTED_RPS} requests/s, run {run + 1}/{sizes.runs}")
        with start_sandbox(latency_ms=LATENCY_MS, throttle_rps=HOSTED_RPS) as sandbox:
            measured = task("upload_ours", path=path, address=sandbox.address)
            measured.result["stored"] = sandbox.stored()
            ours.append(measured)
        with start_sandbox(latency_ms=LATENCY_MS, throttle_rps=HOSTED_RPS) as sandbox:
            measured = task("upload_blog", path=path, address=sandbox.address)
            measured.result["stored"] = sandbox.stored()
            blog.append(measured)
    best = min(ours, key=lambda m: m.result["seconds"])
    rate = n / best.result["seconds"]
    all_stored = all(m.result["stored"] == n for m in ours)
    least_stored = min(m.result["stored"] for m in ours)
    best_blog = max(blog, key=lambda m: m.result["stored"])
    blog_stored = best_blog.result["stored"]
    blog_rate = blog_stored / best_blog.result["seconds"]
    share = rate / HOSTED_CEILING
    return [
        Line(f"upload {n:,} rows against {HOSTED_RPS} requests/s ({LATENCY_MS:.0f} ms latency), defaults",
             f"{rate:,.0f} inputs/s", f"blog: {blog_rate:,.0f} stored inputs/s",
             f"{share:.2f} of {HOSTED_CEILING:,}/s", f">= {CEILING_SHARE}", share >= CEILING_SHARE),
        Line("  rows stored / lost", f"{least_stored:,} stored, {n - least_stored:,} lost (worst run)",
             f"blog: {blog_stored:,} stored, {n - blog_stored:,} lost (best run)", "",
             "every row stored", all_stored),
    ]


def measure_page(folder: str, sizes: Sizes) -> list[Line]:
    path = write_csv(os.path.join(folder, f"rows-{sizes.preview}.csv"), sizes.preview)
    checks = []
    for run in range(sizes.runs):
        say(f"preview (check_file) of {sizes.preview:,} rows, run {run + 1}/{sizes.runs}")
        checks.append(task("check", path=path))
    preview = min(m.result["seconds"] for m in checks)
    upload_path = write_csv(os.path.join(folder, f"rows-{sizes.page}.csv"), sizes.page)
    say(f"the page's upload of {sizes.page:,} rows against {HOSTED_RPS} requests/s")
    with start_sandbox(latency_ms=LATENCY_MS, throttle_rps=HOSTED_RPS) as sandbox:
        page = task("page", path=upload_path, address=sandbox.address)
        stored = sandbox.stored()
    result = page.result
    gap = result["max_gap"]
    return [
        Line(f"page preview: check_file on {sizes.preview:,} rows", f"{preview:.2f} s", "", "",
             f"<= {PREVIEW_SECONDS:.0f} s", preview <= PREVIEW_SECONDS),
        Line(f"page upload of {sizes.page:,} rows ({HOSTED_RPS} requests/s, then its download check): "
             "longest gap between progress updates",
             f"{gap:.2f} s (uploading {result['max_gap_uploading']:.2f} s, checking downloads "
             f"{result['max_gap_checking']:.2f} s; {result['callbacks']} updates in {result['seconds']:.1f} s; "
             f"{stored:,} stored)", "", "", f"<= {PROGRESS_GAP_SECONDS:.0f} s", gap <= PROGRESS_GAP_SECONDS),
        Line(f"page process peak memory (file bytes, preview, {sizes.page:,}-row upload)", f"{page.peak_mb:.0f} MB",
             "", "", f"< {PAGE_MB:.0f} MB", page.peak_mb < PAGE_MB),
    ]


# -- the table ------------------------------------------------------------------------------------


def machine() -> str:
    memory = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.strip("\n")
    return (f"- CPUs (`nproc`): {os.cpu_count()}\n- Python {platform.python_version()} on {platform.platform()}\n"
            f"- `free -h`:\n\n```\n{memory}\n```")


def table(lines: list[Line]) -> str:
    rows = ["| measure | ours | baseline | ratio | target | met |", "|---|---|---|---|---|---|"]
    for line in lines:
        rows.append(f"| {line.measure} | {line.ours} | {line.baseline} | {line.ratio} | {line.target} | "
                    f"{'met' if line.met else '**not met**'} |")
    return "\n".join(rows)


MEASUREMENTS = {
    "prep": measure_preparation,
    "memory": measure_memory,
    "folder": measure_folder,
    "latency": measure_latency,
    "throttled": measure_throttled,
    "page": measure_page,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one run each: under a minute")
    parser.add_argument("--runs", type=int, help="runs per comparison (best is kept; default 3, 1 with --quick)")
    parser.add_argument("--only", nargs="+", choices=sorted(MEASUREMENTS), help="run only these measurements")
    parser.add_argument("--data", help="folder for the generated CSV files (default: a temporary one)")
    parser.add_argument("--write", help="also write the results (machine, table, duration) to this markdown file")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.runs:
        sizes = Sizes(**{**sizes.__dict__, "runs": args.runs})
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        folder = args.data or scratch
        os.makedirs(folder, exist_ok=True)
        # Resume journals of the runs go to the scratch folder, never the user's cache.
        os.environ["INGEST_STATE_DIR"] = os.path.join(scratch, "state")
        lines: list[Line] = []
        for name in args.only or MEASUREMENTS:
            lines += MEASUREMENTS[name](folder, sizes)
    seconds = time.perf_counter() - started
    report = (f"{machine()}\n\n{table(lines)}\n\n"
              f"{'Quick' if args.quick else 'Full'} run, best of {sizes.runs}: {seconds:.0f} s.\n")
    print(report)
    if args.write:
        with open(args.write, "w", encoding="utf-8") as out:
            out.write(report)
    return 0 if all(line.met for line in lines) else 1


if __name__ == "__main__":
    sys.exit(main())
