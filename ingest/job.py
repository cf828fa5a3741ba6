"""The upload job: read -> validate -> build -> upload -> report, with one owner of state.

`UploadJob.run()` drives the pipeline in the calling thread (the CLI) or, through
`start()`, in a background thread (the page). Worker threads only send batches and
return `BatchResult`s; this class collects them, keeps the counts under a lock and
calls the progress callback. Front ends read `snapshot()`.
"""

from __future__ import annotations

import csv
import logging
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from functools import partial
from itertools import chain, takewhile
from operator import attrgetter
from typing import IO, BinaryIO

from .build import DEFAULT_BATCH, MAX_BATCH, Batcher, build_batch, chunked
from .check import read_boxes
from .errors import IngestError, InputFileError, UsageError
from .journal import Journal, file_digest, table_digest
from .local import LocalFiles, left_out_sentence, local_file, refuse_missing_files, row_noun
from .outcomes import (
    ALREADY_THERE,
    DOWNLOAD_FAILED,
    DOWNLOADS,
    FAILED,
    INVALID,
    STATUSES,
    SUCCESSFUL,
    UPLOADED,
    BatchResult,
    RowOutcome,
)
from .read import Table, on_sheet, open_table, read_again
from .report import (ReportWriter, changed_urls_notes, comma_concepts, comma_concepts_note, look_alike_concepts,
                     look_alike_note, short_rows_sentence, split_sentence, unnamed_values_sentence)
from .upload import Client, Pacer, RetryPolicy, Target, check_downloads, post_batch, post_boxes
from .boxes import BoxRecord, BoxesFile
from .urls import url_change
from .validate import (
    BOXES_ELSEWHERE,
    CONCEPT_SEPARATOR,
    CONCEPT_SEPARATORS,
    DATASET_ID_PATTERN,
    ColumnMap,
    InputRecord,
    RowError,
    ShortRows,
    gathered,
    input_rows,
    map_columns,
    noting_short_rows,
    noting_unnamed_values,
    repeated_inputs,
    sampled_classes,
    separates_by_bar,
    shortened,
    validate_rows,
    with_classes,
)

DEFAULT_WORKERS = 10
MAX_WORKERS = 64
RECENT_KEPT = 200  # latest outcomes kept for a live table
PROBLEMS_KEPT = 1000  # invalid and failed rows kept in memory; the report file has them all
DOWNLOAD_WAIT_SECONDS = 120.0  # per batch of ids, from its first check
UNKNOWN_SHOWN = 20  # unknown column names listed in the warning
MAX_BYTES_IN_FLIGHT = 64 * 1024 * 1024  # of requests being sent: files sent as bytes would fill memory first
MAX_CONCEPT_NAMES = 100_000  # distinct concept names looked over for `JobStatus.notes`
NOTIFY_SECONDS = 0.1  # at most this often to the progress callback, so a file of bad rows stays fast

log = logging.getLogger("ingest")


@dataclass(frozen=True)
class UploadOptions:
    """How to read the file and send it."""

    batch_size: int = DEFAULT_BATCH
    workers: int = DEFAULT_WORKERS
    allow_duplicate_url: bool = True
    dry_run: bool = False
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None  # a workbook's sheet to read (None: its first with anything in it)
    columns: Mapping[str, str] | None = None  # role -> header name, when the header uses other names
    keep_other_columns: bool = False  # columns of no role go into each input's metadata, rather than unread
    concept_separator: str = CONCEPT_SEPARATOR  # between the names in a concepts cell: '|', ',' or ';'
    class_columns: bool = False  # read the columns of 1s and 0s no role reads as one concept each
    concepts: tuple[str, ...] = ()  # given to every input, beside its row's own
    polygons: bool = False  # send the outlines boxes files draw (segmentation) as polygons, not the boxes around them
    max_rps: float | None = None
    retry: RetryPolicy = RetryPolicy()
    resume: bool = True  # skip rows an earlier, interrupted run of this file confirmed
    restart: bool = False  # drop that record and send everything again
    check_downloads: bool = False  # after uploading, wait for the server to fetch each url
    dataset_id: str = ""  # for rows that name none
    create_datasets: bool = False  # create missing datasets (the user said yes) instead of failing their rows
    download_wait: float = DOWNLOAD_WAIT_SECONDS

    def check(self) -> None:
        if not 1 <= self.batch_size <= MAX_BATCH:
            raise UsageError(f"The batch size must be between 1 and {MAX_BATCH}, not {self.batch_size}.",
                             f"Use {DEFAULT_BATCH} unless you have a reason not to.")
        if self.dataset_id and not DATASET_ID_PATTERN.fullmatch(self.dataset_id):
            raise UsageError(f"The dataset id {shortened(self.dataset_id)!r} is not valid.",
                             "Use only letters, digits, '-' and '_', as in the dataset's id in Clarifai.")
        if self.concept_separator not in CONCEPT_SEPARATORS:
            raise UsageError(f"Concepts cannot be separated by {self.concept_separator!r}.",
                             f"Choose one of {' '.join(CONCEPT_SEPARATORS)}.")
        if any(not concept.strip() for concept in self.concepts):
            raise UsageError("A concept for every input is empty.", "Give each one a name, such as --concept cat.")
        if not 1 <= self.workers <= MAX_WORKERS:
            raise UsageError(f"The number of workers must be between 1 and {MAX_WORKERS}, not {self.workers}.",
                             f"Use {DEFAULT_WORKERS} unless you have a reason not to.")


@dataclass(frozen=True)
class JobStatus:
    """A consistent picture of a job at one moment, safe to read from any thread."""

    name: str
    total: int | None
    counts: Mapping[str, int]
    elapsed: float
    recent: tuple[RowOutcome, ...] = ()
    problems: tuple[RowOutcome, ...] = ()
    warnings: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    unread: tuple[str, ...] = ()  # the named columns no role reads (and not kept as metadata)
    renamed: tuple[tuple[str, str], ...] = ()  # (role, column) read from a column of another name
    combined: int = 0  # rows combined into the input of the row above them (see `validate._combine`)
    dry_run: bool = False
    downloads: Mapping[str, int] | None = None  # fetched / failed / pending, once checking has begun
    boxes: Mapping[str, int] | None = None  # box rows by status, when a boxes file was given
    box_problems: tuple[tuple[str, RowOutcome], ...] = ()  # (the boxes file's name, the box's outcome)
    noun: str = "row"  # what a counted row stands for: a row, a file, or an input of a list of boxes
    class_columns: tuple[str, ...] = ()  # columns of 1s and 0s left unread, which `class_columns` would read
    outlines: int = 0  # boxes their files draw as outlines (polygons): sent as such with `polygons`, else as boxes
    notes: tuple[str, ...] = ()  # on the rows as read: concepts likely mistyped, urls sent changed (the page's
    # preview makes its own)
    done: bool = False
    cancelled: bool = False
    fatal: IngestError | None = None

    @property
    def box_problem_files(self) -> tuple[str, ...]:
        """The boxes files the box problems come from, each once, in order."""
        return tuple(dict.fromkeys(name for name, _ in self.box_problems))

    @property
    def processed(self) -> int:
        return sum(self.counts.values())

    @property
    def rate(self) -> float:
        """Rows per second so far."""
        return self.processed / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta_seconds(self) -> float | None:
        if self.total is None or not self.rate:
            return None
        return max(0.0, (self.total - self.processed) / self.rate)

    @property
    def problem_count(self) -> int:
        """Rows to fix or retry: invalid, failed, and urls the server could not download."""
        boxes = self.boxes or {}
        return (self.counts[INVALID] + self.counts[FAILED] + (self.downloads or {}).get(DOWNLOAD_FAILED, 0)
                + boxes.get(INVALID, 0) + boxes.get(FAILED, 0))

    @property
    def succeeded(self) -> bool:
        """Every row uploaded or already there (and fetched, when checked), and the job ran to its end."""
        return self.done and not self.fatal and not self.cancelled and not self.problem_count


def _no_dataset(record: InputRecord, dataset_id: str) -> RowOutcome:
    return RowOutcome(record.line, record.input_id, record.reference, FAILED,
                      f"the dataset {dataset_id!r} does not exist in the app - create it in Clarifai, "
                      "or let the upload create missing datasets", record.cells)


def bounded(futures: Iterator[Future], limit: int) -> Iterator[Future]:
    """Submit lazily from `futures`, at most `limit` outstanding; yield each as it completes."""
    waiting: set[Future] = set()
    for future in futures:
        waiting.add(future)
        if len(waiting) >= limit:
            done, waiting = wait(waiting, return_when=FIRST_COMPLETED)
            yield from done
    while waiting:
        done, waiting = wait(waiting, return_when=FIRST_COMPLETED)
        yield from done


def bounded_in_order(futures: Iterator[Future], limit: int) -> Iterator[Future]:
    """Submit lazily from `futures`, at most `limit` outstanding; yield each in the order submitted (the caller
    waits for it), so what is made of them comes out the same every run."""
    waiting: deque[Future] = deque()
    for future in futures:
        waiting.append(future)
        if len(waiting) >= limit:
            yield waiting.popleft()
    yield from waiting


class UploadJob:
    """One file uploaded to one target; see the module docstring for who does what."""

    def __init__(
        self,
        open_source: Callable[[], BinaryIO],
        name: str,
        target: Target | None,
        options: UploadOptions = UploadOptions(),
        report_path: str | None = None,
        failed_path: str | None = None,
        spreadsheet_safe: bool = False,
        on_progress: Callable[[JobStatus], None] | None = None,
        boxes: Sequence[BoxesFile] = (),
        files: LocalFiles | None = None,
        boxes_of_listed_only: bool = False,
    ) -> None:
        """`boxes_of_listed_only`: the boxes of inputs the file does not name are left alone, not reported
        (a retry of some rows, with the boxes files of the whole upload)."""
        self.name = name
        self.target = target
        self.options = options
        self.report_path = report_path
        self.failed_path = failed_path
        self._open_source = open_source
        self._files = files
        self._boxes_files = tuple(boxes)
        self._boxes: list[tuple[str, BoxRecord]] = []  # (its file's name, the box)
        self._outlines = 0  # of those boxes, drawn as outlines
        self._box_ids: dict[str, str] = {}  # url -> input id, for boxes that name their input by url
        self._box_counts: dict[str, int] | None = None
        self._noun = row_noun(files)
        self._class_columns: tuple[str, ...] = ()
        self._box_problems: list[tuple[str, RowOutcome]] = []
        self._listed_boxes: BoxesFile | None = None  # the list itself, when its rows are boxes too
        self._named: set[str] | None = set() if boxes_of_listed_only else None  # ids, urls, files the rows name
        self._bad_boxes: list[tuple[str, RowOutcome]] = []  # with boxes_of_listed_only, counted once named
        self._stored: set[str] = set()  # in a list of boxes: the ids of the inputs stored (or already there)
        self._fixing: set[int] = set()  # ...the lines in the rows to fix so far...
        self._boxes_fixing: set[int] = set()  # ...and the lines whose box was not added
        self._spreadsheet_safe = spreadsheet_safe
        self._on_progress = on_progress
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._finished = threading.Event()
        self._thread: threading.Thread | None = None
        self._counts = dict.fromkeys(STATUSES, 0)
        self._recent: deque[RowOutcome] = deque(maxlen=RECENT_KEPT)
        self._problems: list[RowOutcome] = []
        self._warnings: list[str] = []
        self._header: tuple[str, ...] = ()
        self._unread: tuple[str, ...] = ()
        self._renamed: tuple[tuple[str, str], ...] = ()
        self._joined: dict[int, tuple[tuple[int, list[str]], ...]] = {}  # a combined input's first line -> its others
        self._combined = 0
        self._concepts: set[str] = set()  # the names rows give (at most MAX_CONCEPT_NAMES), for `notes`
        self._changed_urls: Counter[str] = Counter()  # rows sent with their url changed, by how, for `notes`
        self._notes: tuple[str, ...] = ()
        self._total: int | None = None
        self._started = 0.0
        self._ended: float | None = None
        self._fatal: IngestError | None = None
        self._report: ReportWriter | None = None
        self._journal: Journal | None = None
        self._datasets: set[str] | None = None  # the app's dataset ids, read once when a row names one
        self._spool: IO[str] | None = None  # stored rows waiting for their download check
        self._spool_checked = False  # the check began: it reports every row of the spool
        self._downloads: dict[str, int] | None = None
        self._last_notify = 0.0
        self._pacer = Pacer(options.max_rps)  # one per job: the rate it learns holds for every phase

    def __repr__(self) -> str:
        return f"UploadJob({self.name!r}, {self.target!r})"

    # -- front-end side -------------------------------------------------------------
    def start(self) -> UploadJob:
        """Run in a background thread; returns at once."""
        self._thread = threading.Thread(target=self.run, name=f"upload {self.name}", daemon=True)
        self._thread.start()
        return self

    def cancel(self) -> None:
        """Send no new batches; the ones in flight finish and are counted."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends; True if it did within `timeout`."""
        return self._finished.wait(timeout)

    def snapshot(self) -> JobStatus:
        with self._lock:
            end = self._ended if self._ended is not None else time.monotonic()
            return JobStatus(
                name=self.name,
                total=self._total,
                counts=dict(self._counts),
                elapsed=end - self._started if self._started else 0.0,
                recent=tuple(self._recent),
                problems=tuple(self._problems),
                warnings=tuple(self._warnings),
                header=self._header,
                unread=self._unread,
                renamed=self._renamed,
                combined=self._combined,
                dry_run=self.options.dry_run,
                downloads=dict(self._downloads) if self._downloads is not None else None,
                boxes=dict(self._box_counts) if self._box_counts is not None else None,
                box_problems=tuple(self._box_problems),
                noun=self._noun,
                class_columns=self._class_columns,
                outlines=self._outlines,
                notes=self._notes,
                done=self._finished.is_set(),
                cancelled=self._stop.is_set() and self._fatal is None,
                fatal=self._fatal,
            )

    # -- pipeline side --------------------------------------------------------------
    def run(self) -> JobStatus:
        """Run the whole job in this thread and return its final status; never raises."""
        self._started = time.monotonic()
        try:
            self._run()
        except IngestError as error:
            self._fail(error)
        except Exception:  # the page and CLI show a short message; the log has the details, never a key
            log.exception("upload of %s stopped by an unexpected error", self.name)
            self._fail(IngestError("Something unexpected stopped the upload.",
                                   "Try again; if it happens again, send the log to the team."))
        finally:
            if self._spool:
                if self._report and not self._spool_checked:  # stopped first: the stored rows, not checked
                    self._report.write(self._spooled())
                self._spool.close()
            if self._report:
                self._report.close()
            if self._journal:
                self._close_journal()
            with self._lock:
                self._ended = time.monotonic()
            self._finished.set()
            self._notify(force=True)
        return self.snapshot()

    def _fail(self, error: IngestError) -> None:
        with self._lock:
            self._fatal = error
        self._stop.set()

    def _run(self) -> None:
        options = self.options
        options.check()
        if not options.dry_run:
            self.target.check()
        table = open_table(self._open_source(), self.name, options.delimiter, options.encoding, options.sheet)
        try:
            columns = map_columns(table.header, options.columns, self.name,
                                  lists_files=bool(self._files and self._files.manifest_name),
                                  keep_others=options.keep_other_columns, concept_separator=options.concept_separator,
                                  added_concepts=options.concepts)
        except InputFileError as error:
            raise on_sheet(error, table.sheet, table.sheets) from None
        refuse_missing_files(columns, self._files, table)
        classes = sampled_classes(columns, table)
        if options.class_columns and not classes:
            raise UsageError(f"{self.name} has no columns of 1s and 0s to read as concepts (one per class).",
                             "Leave out --class-columns, or give each row's concepts in a pos_concepts column.")
        if options.class_columns:
            columns = with_classes(columns, classes)
        with self._lock:
            self._class_columns = () if options.class_columns else tuple(columns.header[i] for i in classes)
            self._header = tuple(table.header)
            self._unread = columns.unread
            self._renamed = columns.renamed
            if columns.unknown:
                shown = ", ".join(columns.unknown[:UNKNOWN_SHOWN])
                more = len(columns.unknown) - UNKNOWN_SHOWN
                shown += f" and {more:,} more" if more > 0 else ""
                boxes = f" {BOXES_ELSEWHERE}" if columns.ignores_boxes else ""
                self._warnings.append(f"Ignoring columns this tool does not use: {shown}.{boxes}")
            if left_out := left_out_sentence(self._files):
                self._warnings.append(left_out)
        if columns.boxes:  # a detection list: every row is also a box of its input
            with self._open_source() as source:
                self._listed_boxes = BoxesFile(self.name, source.read(), listed=True)
            self._boxes_files += (self._listed_boxes,)
        with self._lock:
            self._noun = row_noun(self._files, columns)
            if self._boxes_files:
                self._box_counts = dict.fromkeys(STATUSES, 0)
        self._report = ReportWriter(self.report_path, self.failed_path, table.header, table.delimiter,
                                    self._spreadsheet_safe, reference="file" if self._files else "url",
                                    dry_run=options.dry_run, boxes=bool(self._boxes_files))
        for boxes_file in self._boxes_files:
            self._load_boxes(boxes_file)
        # A first pass counts the rows for a progress total, and finds the inputs rows apart name (see `gathered`).
        # It runs before anything is sent, so a quote never closed or an undecodable byte deep in the file stops
        # the job before any row is uploaded.
        short = ShortRows()
        counted = noting_short_rows(noting_unnamed_values(read_again(table, self._open_source), columns,
                                                          partial(self._warn, unnamed_values_sentence(columns))),
                                    columns, short)
        total, last_lines = repeated_inputs(input_rows(counted, columns), columns)
        if short.count:
            self._warn(short_rows_sentence(short, columns))
        with self._lock:
            self._total = total
        self._notify(force=True)
        client = None if options.dry_run else Client(self.target)
        try:
            confirmed: set[int] = set()
            if client:
                client.wait_ready()
                if options.resume:
                    confirmed = self._open_journal(table.sheet)
            if client and options.check_downloads:
                self._spool = tempfile.TemporaryFile("w+", newline="", encoding="utf-8")
            splits: list[None] = []  # one for each input sent on before its last row (see `gathered`)
            rows = gathered(table.rows, columns, last_lines, on_split=partial(splits.append, None))
            self._pump(validate_rows(rows, columns), client, confirmed)
            self._note_rows(columns)
            if splits:
                self._warn(split_sentence(len(splits)))
            if self._spool and not self._stop.is_set():
                self._check_downloads(client)
            if (self._boxes or self._bad_boxes) and not self._stop.is_set():
                self._post_boxes(client)
            if self._listed_boxes:
                self._add_box_rows_to_fix(table)
        finally:
            if client:
                client.close()

    def _warn(self, warning: str) -> None:
        with self._lock:
            self._warnings.append(warning)

    def _open_journal(self, sheet: str | None) -> set[int]:
        """Open this file's (or its sheet's) resume record for this target; return the rows it confirmed."""
        digest = table_digest(file_digest(self._open_source()), sheet)
        self._journal, warning = Journal.open(self.target.identity, digest, self.options.restart)
        confirmed = self._journal.confirmed()
        with self._lock:
            if warning:
                self._warnings.append(warning)
            if confirmed:
                self._warnings.append(
                    f"Resuming: {len(confirmed):,} rows confirmed by an earlier run are not sent again."
                )
        return confirmed

    def _note_rows(self, columns: ColumnMap) -> None:
        """Concepts that look alike, and in a list that separates them with '|', concepts with a comma; urls sent
        changed: share links as the files' own, spaces written %20, https:// put before them."""
        notes = []
        if alike := look_alike_concepts(sorted(self._concepts)):
            notes.append(" ".join(look_alike_note(alike)))
        if separates_by_bar(columns) and (commas := comma_concepts(sorted(self._concepts))):
            notes.append(" ".join(comma_concepts_note(commas)))
        notes += [f"{headline} {advice}".strip() for _, headline, advice in changed_urls_notes(self._changed_urls)]
        self._concepts.clear()  # a finished job may stay on the page a long time
        with self._lock:
            self._notes = tuple(notes)

    def _close_journal(self) -> None:
        """Keep the record while rows remain to send; drop it once the file is done."""
        status = self.snapshot()
        finished = not (self._fatal or self._stop.is_set() or status.counts[FAILED])
        if finished:
            self._journal.discard()
        else:
            self._journal.close()

    def _pump(self, results, client: Client | None, confirmed: set[int]) -> None:
        """Cut valid records into batches and keep at most `workers` of them, and 64 MB, in flight."""
        options = self.options
        user_app_id = self.target.user_app_id if self.target else None
        in_flight: dict[Future, int] = {}  # -> bytes of its request
        batcher = Batcher(options.batch_size)
        concepts = self._concepts
        with ThreadPoolExecutor(options.workers, thread_name_prefix="post") as pool:

            def send(records: list[InputRecord]) -> None:
                if len(concepts) < MAX_CONCEPT_NAMES:
                    concepts.update(chain.from_iterable(map(attrgetter("positive"), records)),
                                    chain.from_iterable(map(attrgetter("negative"), records)))
                self._changed_urls.update(map(url_change, filter(None, map(attrgetter("given_url"), records))))
                if client is not None:
                    missing = self._missing_datasets(client, records)
                    if missing:
                        self._collect([_no_dataset(r, r.dataset_id or options.dataset_id) for r in records
                                       if (r.dataset_id or options.dataset_id) in missing])
                        records = [r for r in records if (r.dataset_id or options.dataset_id) not in missing]
                        if not records:
                            return
                batch = build_batch(records, options.allow_duplicate_url, user_app_id, options.dataset_id,
                                    self._files.contents if self._files else None)
                if client is None:  # a dry run does all the work but the sending
                    self._collect([RowOutcome(r.line, r.input_id, r.reference, UPLOADED) for r in records])
                    return
                size = len(batch.request)
                while in_flight and (len(in_flight) >= options.workers
                                     or sum(in_flight.values()) + size > MAX_BYTES_IN_FLIGHT):
                    self._drain(in_flight, FIRST_COMPLETED)
                in_flight[pool.submit(post_batch, client, batch, options.retry, self._pacer, self._stop)] = size

            try:
                for result in results:
                    if self._stop.is_set():
                        break
                    if isinstance(result, InputRecord) and result.joined:
                        self._joined[result.line] = result.joined  # its outcome is theirs too: see _collect
                    if isinstance(result, InputRecord) and result.line not in confirmed:
                        result = local_file(self._files, result)
                    skipped = self._screen(result, confirmed)
                    if skipped:
                        self._collect([skipped], journal=False)  # nothing new was confirmed
                        continue
                    chars = sum(map(len, result.cells))
                    if result.file:
                        chars += self._files.sizes[result.file]
                    full = batcher.add(result, chars)
                    if full:
                        send(full)
                if batcher.pending and not self._stop.is_set():
                    send(batcher.take())
            finally:
                while in_flight:
                    self._drain(in_flight, FIRST_COMPLETED)

    def _screen(self, result: InputRecord | RowError, confirmed: set[int]) -> RowOutcome | None:
        """The outcome of a row that will not be sent (invalid, its local file unusable, or confirmed by an
        earlier run); None for a row to send."""
        if isinstance(result, RowError):
            return RowOutcome(result.line, result.input_id, result.url, INVALID, result.reason, result.cells)
        if result.line in confirmed:
            return RowOutcome(result.line, result.input_id, result.reference, ALREADY_THERE, "confirmed by an earlier run")
        return None

    def _missing_datasets(self, client: Client, records: list[InputRecord]) -> set[str]:
        """Datasets these rows name that the app lacks; created first when the user agreed."""
        wanted = {r.dataset_id or self.options.dataset_id for r in records} - {""}
        if not wanted:
            return set()
        if self._datasets is None:
            self._datasets = client.dataset_ids()
        missing = wanted - self._datasets
        if missing and self.options.create_datasets:
            client.create_datasets(sorted(missing))
            self._datasets |= missing
            self._warn(f"Created the dataset(s) {', '.join(sorted(missing))}.")
            return set()
        return missing

    def _drain(self, in_flight: dict[Future, int], return_when: str) -> None:
        done, _ = wait(in_flight, return_when=return_when)
        for future in done:
            del in_flight[future]
            try:
                result: BatchResult = future.result()
            except IngestError as error:  # the key was refused: stop sending at once
                self._fail(error)
                continue
            self._collect(result.outcomes)

    def _load_boxes(self, boxes_file: BoxesFile) -> None:
        """Read and check a whole boxes file up front: it is small, and its errors belong first."""
        for source, result in read_boxes(boxes_file, self._files):
            if isinstance(result, RowError):
                bad = RowOutcome(result.line, result.input_id, result.url, INVALID, result.reason)
                if self._named is None:
                    self._count_boxes([(source, bad)])
                else:
                    self._bad_boxes.append((source, bad))
                continue
            self._outlines += bool(result.outline)
            if result.outline and not self.options.polygons:  # to be sent as its box: see `build_annotations`
                result = replace(result, outline=())
            self._boxes.append((source, result))
            if not result.input_id:
                self._box_ids[result.url] = ""

    def _post_boxes(self, client: Client | None) -> None:
        """Last phase: post each box once its input is known (a dry run only counts them)."""
        self._count_boxes([(name, bad) for name, bad in self._bad_boxes if self._names(bad)])
        ready: list[tuple[str, str, BoxRecord]] = []  # (its boxes file, its input's id, the box)
        for name, box in self._boxes:
            if not self._names(box):
                continue
            input_id = box.input_id or self._box_ids.get(box.url, "")
            if self._listed(name) and input_id not in self._stored:
                input_id = ""  # a row's box belongs to its own input, once that is stored
            if input_id:
                ready.append((name, input_id, box))
            else:
                self._count_boxes([(name, RowOutcome(box.line, "", box.url, FAILED,
                                                     f"no row of {self.name} with this url or file was uploaded"))])
        chunks = takewhile(lambda _: not self._stop.is_set(), chunked(ready, MAX_BATCH))
        with ThreadPoolExecutor(self.options.workers, thread_name_prefix="boxes") as pool:  # as many at once as rows
            for posted in bounded_in_order((pool.submit(self._post_chunk, client, chunk) for chunk in chunks),
                                           self.options.workers):  # the first box problems kept are the file's first
                self._count_boxes(posted.result())

    def _post_chunk(self, client: Client | None, chunk: list[tuple[str, str, BoxRecord]]
                    ) -> list[tuple[str, RowOutcome]]:
        """Post one request's boxes: (its boxes file, its input's id, the box) -> (that file, the box's outcome)."""
        pairs = [(input_id, box) for _, input_id, box in chunk]
        outcomes = ([RowOutcome(box.line, input_id, box.url, UPLOADED) for input_id, box in pairs]
                    if client is None else post_boxes(client, pairs, self.options.retry, self._pacer, self._stop))
        return [(name, outcome) for (name, _, _), outcome in zip(chunk, outcomes)]

    def _listed(self, boxes_name: str) -> bool:
        """Whether the boxes file of this name is the list itself (a list of boxes)."""
        return bool(self._listed_boxes) and boxes_name == self._listed_boxes.name

    def _names(self, box: BoxRecord | RowOutcome) -> bool:
        """Whether this job's rows name the box's input (always, unless only those boxes are wanted)."""
        named = self._named
        return named is None or (box.input_id and box.input_id in named) or box.url in named

    def _add_box_rows_to_fix(self, table: Table) -> None:
        """A list of boxes' rows to fix include the rows whose box was not added (a bad box, or its input's
        further rows when that input was not stored), so fixing or retrying that file loses no box."""
        lines = self._boxes_fixing - self._fixing
        if not lines or not self.failed_path:
            return
        self._report.write_rows_to_fix(row.cells for row in read_again(table, self._open_source) if row.line in lines)

    def _count_boxes(self, outcomes: list[tuple[str, RowOutcome]]) -> None:
        """Count (the boxes file's name, a box's outcome) pairs."""
        self._boxes_fixing.update(outcome.line for name, outcome in outcomes if not outcome.ok and self._listed(name))
        self._report.write_boxes(outcomes)
        with self._lock:
            for name, outcome in outcomes:
                self._box_counts[outcome.status] += 1
                if not outcome.ok and len(self._box_problems) < PROBLEMS_KEPT:
                    self._box_problems.append((name, outcome))
        self._notify()

    def _check_downloads(self, client: Client) -> None:
        """Second phase: ask the server, batch by batch, whether it could fetch each stored url."""
        options = self.options
        self._spool_checked = True
        stored = self._spooled()
        with self._lock:
            self._downloads = dict.fromkeys(DOWNLOADS, 0)
        with ThreadPoolExecutor(options.workers, thread_name_prefix="check") as pool:
            checks = (pool.submit(check_downloads, client, chunk, options.download_wait, options.retry, self._pacer,
                                  self._stop) for chunk in chunked(stored, MAX_BATCH))
            for results in bounded(checks, options.workers):
                self._report_downloads(results.result())

    def _spooled(self) -> Iterator[RowOutcome]:
        """The stored rows waiting for their download check, from the first."""
        self._spool.seek(0)
        return (RowOutcome(int(line), input_id, url, status, reason)
                for line, input_id, url, status, reason in csv.reader(self._spool))

    def _report_downloads(self, outcomes: list[RowOutcome]) -> None:
        if self._report:
            self._report.write(outcomes)
        with self._lock:
            for outcome in outcomes:
                if not outcome.download:
                    continue  # stored under another id (a duplicate url): not ours to check
                self._downloads[outcome.download] += 1
                if outcome.download == DOWNLOAD_FAILED and len(self._problems) < PROBLEMS_KEPT:
                    self._problems.append(outcome)
            self._recent.extend(outcomes)
        self._notify()

    def _collect(self, outcomes: list[RowOutcome], journal: bool = True) -> None:
        """The one place that counts outcomes, keeps the recent and problem rows, and reports; the outcome of an input
        combined from several rows is each of those rows'."""
        given = len(outcomes)
        if self._joined:  # each combined row right after its input's first, so rows to fix stay together
            outcomes = [each for o in outcomes for each in (o, *(replace(o, line=line, cells=o.cells and cells)
                                                                 for line, cells in self._joined.pop(o.line, ())))]
        if self._spool:  # stored rows reach the report once their download is checked
            spool = csv.writer(self._spool)
            spool.writerows((o.line, o.input_id, o.url, o.status, o.reason) for o in outcomes if o.ok)
            outcomes_to_report = [o for o in outcomes if not o.ok]
        else:
            outcomes_to_report = outcomes
        if self._report:
            self._report.write(outcomes_to_report)
        if self._listed_boxes:
            self._fixing.update(o.line for o in outcomes_to_report if o.status in (INVALID, FAILED))
            self._stored.update(o.input_id for o in outcomes if o.ok)
        if self._named is not None:
            self._named.update(name for o in outcomes for name in (o.input_id, o.url) if name)
        if self._box_ids:
            for outcome in outcomes:
                if outcome.ok and outcome.url in self._box_ids:
                    self._box_ids[outcome.url] = outcome.input_id
        if self._journal and journal:
            self._journal.record(o.line for o in outcomes if o.status in SUCCESSFUL)
        with self._lock:
            self._combined += len(outcomes) - given
            for outcome in outcomes:
                self._counts[outcome.status] += 1
                if outcome.status in (INVALID, FAILED) and len(self._problems) < PROBLEMS_KEPT:
                    self._problems.append(outcome)
            self._recent.extend(outcomes)
        self._notify()

    def _notify(self, force: bool = False) -> None:
        now = time.monotonic()
        if self._on_progress and (force or now - self._last_notify >= NOTIFY_SECONDS):
            self._last_notify = now
            self._on_progress(self.snapshot())
