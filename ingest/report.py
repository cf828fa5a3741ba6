"""Reporting: outcomes -> CSV files streamed to disk and plain-words summaries; and from a report, the rows
to send again."""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, BinaryIO

from .outcomes import DOWNLOAD_FAILED, DOWNLOAD_FETCHED, DOWNLOAD_PENDING, FAILED, INVALID, STATUS_LABELS, STATUSES, UPLOADED, RowOutcome
from .errors import UsageError
from .read import open_table
from .urls import FILE_LINK, SCHEME_ADDED, SPACES_WRITTEN
from .validate import MAX_HELD, ColumnMap, ShortRows, input_names, map_columns

REPORT_HEADER = ("line", "input_id", "url", "status", "reason", "download")
BOXES_REPORT_HEADER = ("line", "boxes_file", "input_id", "url", "status", "reason")  # a box a row; line: in its file
READY = "ready"  # a dry run's status for a row it would upload
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these as formulas


def safe_cell(value: str) -> str:
    """Make a cell inert in a spreadsheet by quoting a leading formula character."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def problem_line(source: str, outcome: RowOutcome, by_file: bool = False) -> str:
    """`FILE:LINE: ID: reason`, the form compilers use, so editors can jump to the row; `by_file` for the files
    of a folder or zip listed by this tool (no line to jump to): `FOLDER: FILE: reason`."""
    if by_file:
        return f"{source}: {outcome.url}: {outcome.reason}"
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


def combined_sentence(rows: int) -> str:
    """What became of the rows that name the input of an earlier row (see `validate._combine` and `gathered`)."""
    if rows == 1:
        return "1 row names the same web address or file as an earlier row: it adds its concepts to that row's input."
    return (f"{rows:,} rows name the same web address or file as an earlier row: each adds its concepts to that "
            "row's input.")


def and_list(names: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def and_more(names: Sequence[str], most: int) -> str:
    """`and_list` of the first `most` names, then how many more: 'a, b and 3 more'."""
    shown = list(names[:most])
    if len(names) > most:
        shown.append(f"{len(names) - most:,} more")
    return and_list(shown)


LOOK_ALIKE_SHOWN = 3  # groups of look-alike concepts named
COMMA_CONCEPTS_SHOWN = 3  # concepts with a comma named
CLASS_COLUMNS_SHOWN = 5  # columns of 1s and 0s named


def look_alike_concepts(concepts: Iterable[str]) -> list[tuple[str, ...]]:
    """Concepts that differ only in capitals or spaces ('Cat', 'cat'): distinct in the app, likely meant as one."""
    groups: dict[str, list[str]] = {}
    for concept in concepts:
        groups.setdefault(" ".join(concept.casefold().split()), []).append(concept)
    return [tuple(group) for group in groups.values() if len(group) > 1]


def look_alike_note(groups: Sequence[tuple[str, ...]]) -> tuple[str, str]:
    """What the groups of `look_alike_concepts` are, and what to do: (headline, advice)."""
    named = "; ".join(and_list([repr(concept) for concept in group]) for group in groups[:LOOK_ALIKE_SHOWN])
    return (f"Concepts that differ only in capitals or spaces: {named}.",
            "The app keeps them apart. Write each one alike everywhere if they are the same thing.")


_LIST_MARK = re.compile("[,;]")  # what other lists separate names with


def comma_concepts(concepts: Sequence[str]) -> list[str]:
    """The concepts with a comma or semicolon in their name: where '|' separates names, likely several meant."""
    if not _LIST_MARK.search("".join(concepts)):  # the usual row's: a quick no
        return []
    return [concept for concept in concepts if _LIST_MARK.search(concept)]


def comma_concepts_note(concepts: Sequence[str]) -> tuple[str, str]:
    """The concepts of `comma_concepts`, and what to do: (headline, advice)."""
    shown = concepts[:COMMA_CONCEPTS_SHOWN]
    marks = [(mark, char) for mark, char in (("comma", ","), ("semicolon", ";")) if any(char in c for c in shown)]
    named = and_list([repr(concept) for concept in shown])
    written = " or ".join(f"a {mark}" for mark, _ in marks)
    chosen = " or ".join(f"the {mark}" for mark, _ in marks)
    flags = " or ".join(f"--concept-separator '{char}'" for _, char in marks)
    return (f"Concepts with {written} in their name: {named}.",
            f"Each is one concept. If you meant several, separate them with | instead (such as cat|dog), or say that "
            f"{chosen} separates them: on the page under Match your columns, on the command line with {flags}.")


def changed_urls_notes(changes: Mapping[str, int]) -> list[tuple[str, str, str]]:
    """What was done to the urls sent changed, by how they were (`urls.url_change`: its kind -> rows):
    (kind, headline, advice) for each kind that has rows, in a fixed order."""
    def give(rows: int) -> str:
        return "1 row gives a web address" if rows == 1 else f"{rows:,} rows give web addresses"

    notes = []
    if rows := changes.get(FILE_LINK):
        link = "1 row links" if rows == 1 else f"{rows:,} rows link"
        notes.append((FILE_LINK, f"{link} to a page that shows the file (on Google Drive, Dropbox, GitHub or Hugging "
                                 "Face): the link to the file itself is sent instead.",
                      "The server can fetch a file only if anyone with the link may open it."))
    if rows := changes.get(SPACES_WRITTEN):
        notes.append((SPACES_WRITTEN, f"{give(rows)} with spaces: each space is sent written as %20, as a browser "
                                      "sends it.", ""))
    if rows := changes.get(SCHEME_ADDED):
        notes.append((SCHEME_ADDED, f"{give(rows)} without https:// at the start: https:// is put there, as a browser "
                                    "does.", "A site that only answers http:// is named after the upload, when the "
                                             "server cannot fetch from it."))
    return notes


def unnamed_values_sentence(columns: ColumnMap) -> str:
    """Rows hold values in the columns after the header's last named one (see `validate.noting_unnamed_values`)."""
    first, last = columns.named_width + 1, len(columns.header)
    if first == last:
        return f"Ignoring the values in column {first}, which the header does not name: name it in the first line."
    return (f"Ignoring the values in columns {first} to {last}, which the header does not name: name them in the "
            "first line.")


def class_columns_sentence(names: Sequence[str]) -> str:
    """Columns of 1s and 0s left unread, which could give one concept each (see `validate.one_hot_columns`)."""
    shown = and_more([repr(name) for name in names], CLASS_COLUMNS_SHOWN)
    return f"The columns {shown} hold only 1s and 0s, as a list gives one column per class."


def short_rows_sentence(short: ShortRows, columns: ColumnMap) -> str:
    """Rows leave out some of the header's named columns (see `validate.noting_short_rows`)."""
    rows = "1 row has" if short.count == 1 else f"{short.count:,} rows have"
    return (f"{rows} fewer cells than the header's {columns.named_width} columns (the first on line "
            f"{short.first_line:,}): their last cells are read as empty. If a row left out a cell before its last "
            "ones, its values stand under the wrong columns: check it.")


def split_sentence(inputs: int) -> str:
    """What became of the inputs whose rows were too far apart to wait for (see `validate.gathered`)."""
    images = "1 image has rows" if inputs == 1 else f"{inputs:,} images have rows"
    return (f"{images} too far apart in the list to combine (more than {MAX_HELD:,} rows waited at once): each is "
            "stored as more than one input. Sort the list by web address to combine them.")


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


def uploaded_ids(report: Iterable[str], name: str) -> list[str]:
    """The ids of the inputs a run added, from its report's lines (its rows 'uploaded'; not those that were already
    there), each once, in order. Raises `UsageError` when `name` is not a report."""
    rows = csv.DictReader(report)
    if not {"input_id", "status"} <= set(rows.fieldnames or ()):
        raise UsageError(f"{name} is not a report of an upload: it has no 'input_id' and 'status' columns.",
                         "Give the file written by --report, or the report downloaded from the page.")
    return list(dict.fromkeys(row["input_id"].removeprefix("'") for row in rows if row["status"] == UPLOADED))


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
        dry_run: bool = False,
        boxes: bool = False,
    ) -> None:
        """`reference` names the column of what each row points at: 'url', or 'file' for local files. In a dry run
        a row that would be uploaded is 'ready'. With `boxes`, every box's outcome goes to a third CSV beside the
        report (see `boxes_report_path`)."""
        self._clean = safe_cell if spreadsheet_safe else str
        self._uploaded = READY if dry_run else UPLOADED
        self._files: list[IO[str]] = []
        self._report = self._open(report_path, [reference if h == "url" else h for h in REPORT_HEADER], ",")
        self._failed = self._open(failed_path, header, delimiter)
        self._boxes = self._open(boxes_report_path(report_path) if boxes and report_path else None,
                                 [reference if h == "url" else h for h in BOXES_REPORT_HEADER], ",")

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
                status = self._uploaded if o.status == UPLOADED else o.status
                self._report.writerow([o.line, clean(o.input_id), clean(o.url), status, clean(o.reason), o.download])
            if self._failed and o.status in (INVALID, FAILED) and o.cells is not None:
                self._failed.writerow([clean(cell) for cell in o.cells])

    def write_boxes(self, outcomes: Iterable[tuple[str, RowOutcome]]) -> None:
        """(the boxes file's name, a box's outcome) pairs, to the boxes report."""
        if self._boxes:
            clean = self._clean
            self._boxes.writerows([o.line, clean(name), clean(o.input_id), clean(o.url),
                                   self._uploaded if o.status == UPLOADED else o.status, clean(o.reason)]
                                  for name, o in outcomes)

    def write_rows_to_fix(self, rows: Iterable[list[str]]) -> None:
        """More rows to fix, as the input has them (a list of boxes' rows whose box was not added)."""
        for cells in rows:
            if self._failed:
                self._failed.writerow([self._clean(cell) for cell in cells])

    def close(self) -> None:
        for handle in self._files:
            handle.close()
        self._files.clear()


def boxes_report_path(report_path: str) -> str:
    """Where the boxes' outcomes go beside a report: its name with '-boxes' added (report.csv: report-boxes.csv)."""
    root, extension = os.path.splitext(report_path)
    return f"{root}-boxes{extension or '.csv'}"


def rows_csv(header: Sequence[str], delimiter: str, rows: Iterable[list[str]]) -> bytes:
    """Rows in the input's own columns, with formula-like cells made safe for spreadsheets."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow([safe_cell(h) for h in header])
    writer.writerows([safe_cell(c) for c in row] for row in rows)
    return out.getvalue().encode("utf-8")


def failed_lines(report_path: str) -> set[int]:
    """The lines a report marks as failed."""
    with open(report_path, newline="", encoding="utf-8") as handle:
        return {int(row["line"]) for row in csv.DictReader(handle) if row["status"] == FAILED}


def renumbered_report(report_path: str, lines: Mapping[int, int]) -> bytes:
    """A report with each line number replaced by `lines` (a retry's own lines -> the chosen file's)."""
    with open(report_path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(rows[0])  # the header, line first
    writer.writerows([str(lines.get(int(row[0]), row[0])), *row[1:]] for row in rows[1:])
    return out.getvalue().encode("utf-8")


def retry_rows(source: BinaryIO, name: str, delimiter: str, encoding: str | None, sheet: str | None,
               columns: Mapping[str, str] | None, lines: set[int]) -> tuple[bytes, dict[int, int]]:
    """The rows on `lines` (in a list of boxes, with their inputs' other rows) in the file's own header and
    cells, unchanged (not spreadsheet-safe) and in UTF-8, to send again; and for each of them, its line in
    that new file -> its line in `source`."""
    table = open_table(source, name, delimiter, encoding, sheet)
    column_map = map_columns(table.header, columns, name)
    rows = list(table.rows)
    inputs = {input_names(row.cells, column_map) for row in rows if row.line in lines} if column_map.boxes else set()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=table.delimiter)
    writer.writerow(table.header)
    kept: list[int] = []  # the rows' lines, in order
    for row in rows:
        if row.line in lines or inputs and input_names(row.cells, column_map) in inputs:
            writer.writerow(row.cells)
            kept.append(row.line)
    data = out.getvalue().encode("utf-8")
    # Read back as a job will (a cell with a line break spans lines), then pair the rows up.
    again = open_table(io.BytesIO(data), name, table.delimiter)
    return data, {row.line: old for row, old in zip(again.rows, kept)}
