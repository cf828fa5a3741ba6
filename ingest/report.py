"""Reporting: outcomes -> CSV files streamed to disk and plain-words summaries."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import IO

from .outcomes import DOWNLOAD_FAILED, DOWNLOAD_FETCHED, DOWNLOAD_PENDING, FAILED, INVALID, STATUS_LABELS, STATUSES, UPLOADED, RowOutcome

REPORT_HEADER = ("line", "input_id", "url", "status", "reason", "download")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these as formulas


def safe_cell(value: str) -> str:
    """Make a cell inert in a spreadsheet by quoting a leading formula character."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def problem_line(source: str, outcome: RowOutcome) -> str:
    """`FILE:LINE: ID: reason`, the form compilers use, so editors can jump to the row."""
    who = f" {outcome.input_id}:" if outcome.input_id else ""
    return f"{source}:{outcome.line}:{who} {outcome.reason}"


def summary_sentence(counts: dict[str, int], seconds: float, dry_run: bool = False, noun: str = "row") -> str:
    """One sentence with every count, the time and the rate; `noun` is what a row stands for."""
    done = sum(counts.values())
    rate = done / seconds if seconds > 0 else 0.0
    handled = f"{done:,} {noun}{'' if done == 1 else 's'}"
    if dry_run:
        parts = f"{counts[UPLOADED]:,} ready to upload, {counts[INVALID]:,} invalid"
        return f"{handled} checked in {seconds:.1f} s ({rate:,.0f} {noun}s/s), nothing sent: {parts}."
    parts = ", ".join(f"{counts[s]:,} {STATUS_LABELS[s]}" for s in STATUSES)
    return f"{handled} in {seconds:.1f} s ({rate:,.0f} {noun}s/s): {parts}."


def downloads_sentence(downloads: dict[str, int]) -> str:
    """What the server made of the stored urls."""
    text = f"Downloads: {downloads[DOWNLOAD_FETCHED]:,} fetched by the server, {downloads[DOWNLOAD_FAILED]:,} failed"
    if downloads[DOWNLOAD_PENDING]:
        text += f", {downloads[DOWNLOAD_PENDING]:,} still in progress (check them later in the app)"
    return text + "."


def boxes_sentence(boxes: dict[str, int], dry_run: bool = False) -> str:
    """What became of the bounding boxes."""
    if dry_run:
        return f"Boxes: {boxes[UPLOADED]:,} ready to post, {boxes[INVALID]:,} invalid, {boxes[FAILED]:,} without an input."
    return "Boxes: " + ", ".join(f"{boxes[s]:,} {STATUS_LABELS[s]}" for s in STATUSES) + "."


class ReportWriter:
    """Streams every outcome to a report CSV and the rows to fix or retry to a second CSV.

    The second file has the input's own header and cells, ready to correct and upload again.
    `spreadsheet_safe` quotes formula-like cells (for files a person opens in a spreadsheet).
    """

    def __init__(
        self,
        report_path: str | None,
        failed_path: str | None,
        header: Sequence[str],
        delimiter: str = ",",
        spreadsheet_safe: bool = False,
        reference: str = "url",
    ) -> None:
        """`reference` names the column of what each row points at: 'url', or 'file' for local files."""
        self._clean = safe_cell if spreadsheet_safe else str
        self._files: list[IO[str]] = []
        self._report = self._open(report_path, [reference if h == "url" else h for h in REPORT_HEADER], ",")
        self._failed = self._open(failed_path, header, delimiter)

    def _open(self, path: str | None, header: Sequence[str], delimiter: str):
        if not path:
            return None
        handle = open(path, "w", newline="", encoding="utf-8")
        self._files.append(handle)
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow([self._clean(h) for h in header])
        return writer

    def write(self, outcomes: Iterable[RowOutcome]) -> None:
        clean = self._clean
        for o in outcomes:
            if self._report:
                self._report.writerow([o.line, clean(o.input_id), clean(o.url), o.status, clean(o.reason), o.download])
            if self._failed and o.status in (INVALID, FAILED) and o.cells is not None:
                self._failed.writerow([clean(cell) for cell in o.cells])

    def write_rows_to_fix(self, rows: Iterable[list[str]]) -> None:
        """More rows to fix, as the input has them (a list of boxes' rows whose box was not added)."""
        for cells in rows:
            if self._failed:
                self._failed.writerow([self._clean(cell) for cell in cells])

    def close(self) -> None:
        for handle in self._files:
            handle.close()
        self._files.clear()

