"""The command line: `python -m ingest upload FILE`, `python -m ingest sandbox`, and the blog's form."""

from __future__ import annotations

import argparse
import io
import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from .build import DEFAULT_BATCH
from .errors import EncodingError, IngestError, MissingKey, SeveralLists, SheetError, UsageError
from .outcomes import FAILED, INVALID
from .local import (LocalFiles, from_folder, from_parquet, from_paths, from_zip, holds_files, is_media,
                    kind_of_file)
from .read import OTHER_ENCODINGS, readings
from .job import DEFAULT_WORKERS, JobStatus, UploadJob, UploadOptions
from .report import (boxes_report_path, boxes_sentence, class_columns_sentence, combined_sentence, downloads_sentence,
                     problem_line, summary_sentence, uploaded_ids)
from .upload import Client, Target
from .boxes import BoxesFile
from .validate import CONCEPT_SEPARATOR, CONCEPT_SEPARATORS, ROLES

EXIT_OK, EXIT_ROWS_FAILED, EXIT_NOT_RUN, EXIT_INTERRUPTED = 0, 1, 2, 130
PROBLEMS_SHOWN = 50
UNREAD_NAMED = 5  # unused columns named in the hint to keep them
STDIN = Path("-")  # FILE that reads the CSV from a pipe
STDIN_NAME = "stdin"  # how rows read from it are named: stdin:LINE
SPOOL_CHUNK = 1024 * 1024  # bytes read from the pipe at a time
POLL_SECONDS = 0.1
COMMANDS = ("upload", "undo", "sandbox")

log = logging.getLogger("ingest")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    try:
        if any(arg.split("=")[0] in ("--api_key", "--csv_file") for arg in argv):
            return _run_upload(*_blog_form(argv))
        if argv and argv[0] not in COMMANDS and (argv[0] == "-" or Path(argv[0]).exists()):
            argv.insert(0, "upload")  # python -m ingest data.csv: what else could it mean
        args = _parser().parse_args(argv)
        return args.command(args)
    except IngestError as error:
        return _fail(error)
    except Exception:  # a bug: its details for the team (a traceback shows no values, so no key), then plain words
        log.exception("the command stopped on an unexpected error")
        return _fail(IngestError("Something unexpected stopped the command.",
                                 "Try again; if it happens again, send the lines above to the team."))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description="Upload a CSV or TSV of image urls, concepts and metadata into a Clarifai app.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    upload = commands.add_parser(
        "upload", help="upload a CSV/TSV file (or check it with --dry-run)",
        description="Read, check and upload FILE. Credentials and address default to the CLARIFAI_* "
                    "environment variables; flags win over them.",
    )
    upload.set_defaults(command=_upload_command)
    upload.add_argument("file", type=Path, nargs="+", metavar="FILE",
                        help="the CSV or TSV file (gzip-compressed too: data.csv.gz), JSON records (Label "
                             "Studio's export), or - to read it from a "
                             "pipe; or a folder or .zip of images, videos, audio or text files "
                             "(with an optional CSV naming them in a 'file' column), or those files themselves "
                             "(photos/*.jpg); or a Parquet list, or a "
                             "Hugging Face dataset's Parquet file (or the folder of its shards)")
    _target_arguments(upload.add_argument_group("where to upload"))
    how = upload.add_argument_group("how to upload")
    how.add_argument("--batch-size", type=int, default=DEFAULT_BATCH,
                     help=f"inputs per request, 1..128 (default {DEFAULT_BATCH})")
    how.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                     help=f"requests in flight at once (default {DEFAULT_WORKERS})")
    how.add_argument("--max-rps", type=float, help="never send more requests per second than this")
    how.add_argument("--allow-duplicate-url", action=argparse.BooleanOptionalAction, default=True,
                     help="store a url again even if the app has it already (default: yes)")
    how.add_argument("--column", dest="columns", type=_column_choice, action="append", default=[],
                     metavar="ROLE=NAME", help="the file's column that holds ROLE (url, text, input_id, pos_concepts, "
                     "neg_concepts, metadata, type, dataset_id, latitude, longitude, file), such as url=image_link; "
                     "text= leaves a column named text unread; may be given more than once")
    how.add_argument("--concept-separator", choices=CONCEPT_SEPARATORS, default=CONCEPT_SEPARATOR,
                     help="what separates the names in a concepts cell (default |; a comma for cat,dog)")
    how.add_argument("--class-columns", action="store_true",
                     help="read the columns that hold only 1s and 0s (one per class, as multi-label lists give them) "
                          "as concepts: each row gets the classes of its 1s")
    how.add_argument("--concept", action="append", default=[], dest="concepts", metavar="NAME",
                     help="give every input this concept too, beside its row's own; may be given more than once")
    how.add_argument("--keep-other-columns", action="store_true",
                     help="put the columns this tool does not read into each input's metadata, as text under their "
                          "names, rather than leave them out")
    how.add_argument("--delimiter", type=_delimiter,
                     help="cell delimiter: one character, or tab (default: detected from the header line)")
    how.add_argument("--encoding", type=_encoding,
                     help="text encoding (default: UTF-8, or UTF-16 by its byte-order mark)")
    how.add_argument("--sheet", metavar="NAME",
                     help="an Excel workbook's sheet to read, by its name (default: the first one with anything in it)")
    how.add_argument("--dry-run", action="store_true", help="read, check and build every request; send nothing")
    how.add_argument("--check-downloads", action=argparse.BooleanOptionalAction, default=True,
                     help="after uploading, wait until the server has fetched every url and name the ones it "
                          "could not (default: yes)")
    how.add_argument("--dataset-id", default="", help="add the rows to this dataset (a 'dataset_id' column wins)")
    how.add_argument("--create-datasets", action="store_true",
                     help="create the datasets the file names that the app lacks (otherwise their rows fail)")
    how.add_argument("--boxes", type=Path, metavar="BOXES", action="append", default=[],
                     help="a CSV of bounding boxes (input_id, url or local file name; concept or class; and "
                          "left_col, top_row, right_col, bottom_row from 0 to 1, or xmin, ymin, xmax, ymax in pixels "
                          "with width and height), a COCO, Create ML, LabelMe, Supervisely or VIA JSON file, or CVAT's "
                          "XML, to post as region annotations once the inputs exist; may be given more than once")
    how.add_argument("--polygons", action="store_true",
                     help="send the outlines that boxes files draw (COCO segmentation, YOLO segments, and the "
                          "polygons of CVAT, Label Studio, LabelMe, Supervisely and VIA) as polygons, for "
                          "segmentation, rather than the boxes around them")
    how.add_argument("--list", dest="chosen_list", metavar="NAME",
                     help="for a folder or zip with several lists (CSV, TSV, Excel) at its top: the one that names "
                          "its files (--list '' for none: every file is an input)")
    how.add_argument("--folder-concepts", action="store_true",
                     help="for a folder or zip without a CSV: give each file its folder's name as a concept "
                          "(cats/a.jpg: cats), as image classification datasets are laid out")
    how.add_argument("--restart", action="store_true",
                     help="forget what an interrupted earlier run of this file confirmed and send every row")
    out = upload.add_argument_group("output")
    out.add_argument("--report", type=Path, help="write every row's outcome to this CSV (and every box's, when there "
                                                 "are boxes, to one beside it named with -boxes)")
    out.add_argument("--failed", type=Path, help="write the invalid and failed rows, in the file's own columns, "
                                                 "to this CSV, ready to fix and upload again")

    undo = commands.add_parser(
        "undo", help="delete the inputs an upload added, as its report lists them",
        description="Delete from the app the inputs an upload added: the rows its report marks 'uploaded'. Inputs "
                    "that were already there stay. Credentials and address as for upload.",
    )
    undo.set_defaults(command=_undo_command)
    undo.add_argument("report", type=Path, metavar="REPORT",
                      help="the report of the upload (--report, or the one downloaded from the page)")
    undo.add_argument("--yes", action="store_true", help="delete without asking first")
    _target_arguments(undo.add_argument_group("where the upload went"))

    sandbox = commands.add_parser(
        "sandbox", help="run a local Clarifai-compatible server for trying and testing",
        description="Run a local server that speaks Clarifai's gRPC API, storing inputs in SQLite.",
    )
    sandbox.set_defaults(command=_sandbox_command)
    sandbox.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sandbox.add_argument("--port", type=int, default=18080, help="port (default 18080; 0 picks a free one)")
    sandbox.add_argument("--data", help="folder for the SQLite store (default: in memory)")
    sandbox.add_argument("--pat", help="the token it accepts (default sandbox-pat)")
    sandbox.add_argument("--user-id", help="the user id it serves (default sandbox)")
    sandbox.add_argument("--app-id", help="the app id it serves (default demo)")
    knobs = sandbox.add_argument_group("faults for demos and tests")
    knobs.add_argument("--latency-ms", type=float, default=0.0, help="added to every call")
    knobs.add_argument("--throttle-rps", type=float, default=0.0, help="answer CONN_THROTTLED above this rate")
    knobs.add_argument("--fail-rate", type=float, default=0.0, help="share of PostInputs failing before storing")
    knobs.add_argument("--commit-fail-rate", type=float, default=0.0,
                       help="share of PostInputs failing after storing")
    knobs.add_argument("--download-delay", type=float, help="seconds an input stays pending")
    knobs.add_argument("--fail-urls", help="regex: matching urls end INPUT_DOWNLOAD_FAILED")
    knobs.add_argument("--seed", type=int, help="seed the fault generator")
    knobs.add_argument("--other-urls", choices=("succeed", "fail"), default="succeed",
                       help="how downloads of urls it cannot reach end (default succeed; "
                            "loopback urls are really fetched)")
    knobs.add_argument("--missing-datasets", choices=("create", "refuse"), default="create",
                       help="an input naming an unknown dataset: create the dataset (default) or "
                            "refuse the input, for clients that must create datasets first")
    return parser


def _upload_command(args: argparse.Namespace) -> int:
    target = _target(args)
    options = UploadOptions(
        batch_size=args.batch_size, workers=args.workers, allow_duplicate_url=args.allow_duplicate_url,
        dry_run=args.dry_run, delimiter=args.delimiter, encoding=args.encoding, sheet=args.sheet, max_rps=args.max_rps,
        restart=args.restart, check_downloads=args.check_downloads, dataset_id=args.dataset_id,
        create_datasets=args.create_datasets, columns=dict(args.columns) or None,
        keep_other_columns=args.keep_other_columns, concept_separator=args.concept_separator,
        class_columns=args.class_columns, concepts=tuple(args.concepts),
        polygons=args.polygons,
    )
    return _run_upload(args.file, target, options, args.report, args.failed, args.boxes, args.folder_concepts,
                       args.chosen_list)


def _blog_form(argv: list[str]) -> tuple[list[Path], Target, UploadOptions, None, None]:
    """The blog script's flags, with its bugs fixed: 'false' means false, batches may be 1..128."""
    parser = argparse.ArgumentParser(prog="python -m ingest", description="The original script's flags.")
    parser.add_argument("--api_key", required=True, help="app key with the PostInputs scope")
    parser.add_argument("--csv_file", required=True, type=Path, help="the CSV file")
    parser.add_argument("--batch_size", type=int, default=32, help="inputs per request (default 32, max 128)")
    parser.add_argument("--allow_duplicate_url", type=_yes_no, default=True, help="true or false (default true)")
    args = parser.parse_args(argv)
    target = Target.from_env(os.environ, api_key=args.api_key)
    options = UploadOptions(batch_size=args.batch_size, allow_duplicate_url=args.allow_duplicate_url,
                            check_downloads=True)
    return [args.csv_file], target, options, None, None


def _column_choice(text: str) -> tuple[str, str]:
    """ROLE=NAME: the column that holds a role (NAME empty: none does)."""
    role, equals, name = text.partition("=")
    if not equals or role.strip() not in ROLES:
        raise argparse.ArgumentTypeError(f"write ROLE=NAME with ROLE one of {', '.join(ROLES)}, not {text!r}")
    return role.strip(), name.strip()


def _target_arguments(where: argparse._ArgumentGroup) -> None:
    where.add_argument("--base", help="server as HOST or HOST:PORT (CLARIFAI_GRPC_BASE; default api.clarifai.com)")
    where.add_argument("--insecure", action="store_true", default=None,
                       help="plaintext gRPC, for a local sandbox (CLARIFAI_GRPC_INSECURE=1)")
    where.add_argument("--pat", help="personal access token (CLARIFAI_PAT)")
    where.add_argument("--user-id", help="user id owning the app (CLARIFAI_USER_ID), or the app's address "
                                         "clarifai.com/USER/APP for both ids")
    where.add_argument("--app-id", help="app id (CLARIFAI_APP_ID)")
    where.add_argument("--api-key", help="legacy app key instead of a token (CLARIFAI_API_KEY)")


def _target(args: argparse.Namespace) -> Target:
    return Target.from_env(os.environ, base=args.base, insecure=args.insecure, pat=args.pat, user_id=args.user_id,
                           app_id=args.app_id, api_key=args.api_key)


def _delimiter(text: str) -> str:
    """One character; a tab also as typed in a shell (\\t) or by its name."""
    delimiter = {"\\t": "\t", "tab": "\t"}.get(text.strip().lower(), text)
    if len(delimiter) != 1:
        raise argparse.ArgumentTypeError(f"write one character (such as ';'), or tab, not {text!r}")
    return delimiter


def _encoding(text: str) -> str:
    """A text encoding Python knows."""
    try:
        "".encode(text)
    except LookupError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a text encoding Python knows; write one such as utf-8, "
                                         "cp1252 or latin-1") from None
    return text


def _yes_no(text: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "yes", "1", "y"):
        return True
    if value in ("false", "no", "0", "n"):
        return False
    raise argparse.ArgumentTypeError(f"write true or false, not {text!r}")


def _run_upload(paths: Sequence[Path], target: Target, options: UploadOptions, report: Path | None,
                failed: Path | None, boxes: Sequence[Path] = (), folder_concepts: bool = False,
                chosen_list: str | None = None, name: str = "") -> int:
    path = paths[0]
    if list(paths) == [STDIN]:
        with _spooled_stdin() as spooled:
            return _run_upload([spooled], target, options, report, failed, boxes, folder_concepts, chosen_list,
                               name=STDIN_NAME)
    if len(paths) > 1 and any(given == STDIN or given.is_dir() or given.suffix.lower() == ".zip" for given in paths):
        raise UsageError("A folder, a zip or - (for a pipe) was given with other files.",
                         "Give one folder, zip or -, alone; or the files themselves.")
    for given in (*paths, *boxes):
        if not (given.is_file() or given is path and path.is_dir()):
            raise UsageError(f"{given} does not exist or is not a file.", "Check the path and try again.")
    for written in filter(None, (report, failed)):
        if written.is_dir() or not written.absolute().parent.is_dir():
            raise UsageError(f"{written} cannot be written: it is a folder, or its folder does not exist.",
                             "Give the path of a file in a folder that exists.")
    files = _local_files(paths, chosen_list)
    if folder_concepts and not files:
        raise UsageError("--folder-concepts is for a folder or a zip of files.",
                         f"Give the concepts of {path} in its pos_concepts column instead.")
    if chosen_list is not None and not files:
        raise UsageError("--list is for a folder or a zip of files.", f"Leave it out to upload {path} itself.")
    if files and not files.manifest_name and options.concept_separator != CONCEPT_SEPARATOR:
        raise UsageError(f"--concept-separator is for a list's concepts column, and {path} holds no list.",
                         "Leave it out: the concepts this tool finds in the folder or zip are read as they are.")
    if folder_concepts:
        files = files.labelled_by_folder()
    open_source = (lambda: io.BytesIO(files.manifest)) if files else (lambda: open(path, "rb"))
    name = files.source_name if files else name or str(path)
    job = UploadJob(
        open_source, name, target, options, files=files,
        report_path=str(report) if report else None, failed_path=str(failed) if failed else None,
        boxes=[BoxesFile(str(given), given.read_bytes()) for given in boxes] or (files.boxes if files else ()),
    )
    if not options.dry_run:
        target.check()
        print(f"Uploading {name} to {target.label}", file=sys.stderr)
    status = _follow(job.start(), options.dry_run)
    return _finish(status, report, failed, options.polygons)


@contextmanager
def _spooled_stdin() -> Iterator[Path]:
    """What is piped in, kept in a temporary file (deleted afterwards) so it can be read twice:
    once to count and check it, once to send it. On a terminal, a bar counts the bytes as they come."""
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError("'-' reads the CSV from a pipe, but nothing is piped in.",
                         "Pipe a file in, such as: zcat data.csv.gz | python -m ingest upload -")
    with tempfile.NamedTemporaryFile(prefix="ingest-stdin-") as spool:
        with tqdm(unit="B", unit_scale=True, desc="reading the pipe", file=sys.stderr, dynamic_ncols=True,
                  disable=None, leave=False) as bar:
            while chunk := sys.stdin.buffer.read(SPOOL_CHUNK):
                spool.write(chunk)
                bar.update(len(chunk))
        spool.flush()
        yield Path(spool.name)


def _local_files(paths: Sequence[Path], chosen_list: str | None) -> LocalFiles | None:
    """A folder or a zip of media files (optionally with a CSV naming them, `chosen_list` among several), or those
    files themselves (an image alone too), or a Hugging Face dataset's Parquet file (a folder of its shards is read
    as one); None for a CSV/TSV."""
    path = paths[0]
    given_files = len(paths) > 1 or is_media(path.name) and kind_of_file(path.name) != "text"  # a .txt: a list
    if not (given_files or path.is_dir() or path.suffix.lower() in (".zip", ".parquet")):
        return None
    if not given_files and path.suffix.lower() == ".parquet" and not path.is_dir():
        with open(path, "rb") as stream:
            if not holds_files(stream):
                return None  # a table of rows, read as a list is
    try:
        # Each file is read once first, for its id; on a terminal, a bar follows that reading.
        with tqdm(unit="B", unit_scale=True, desc="reading files", file=sys.stderr, dynamic_ncols=True, disable=None,
                  leave=False) as bar:

            def on_read(size: int, total: int) -> None:
                bar.total = total
                bar.update(size)

            if given_files:
                return from_paths(*_named_paths(paths), chosen_list, on_read)
            if path.is_dir():
                return from_folder(path, chosen_list, on_read)
            if path.suffix.lower() == ".parquet":
                if chosen_list is not None:
                    raise UsageError("--list is for a folder or a zip of files.", f"Leave it out to upload {path}.")
                return from_parquet([(str(path), open(path, "rb"))], str(path), on_read)  # open while uploading
            return from_zip(open(path, "rb"), str(path), chosen_list, on_read)
    except SeveralLists as several:
        raise SeveralLists(several.message, f"Name the one that names the files with --list {several.lists[0]} "
                           "(or another), or give --list '' to upload every file.", several.lists) from None


def _named_paths(paths: Sequence[Path]) -> tuple[dict[str, Path], str]:
    """Files given one by one, by their names relative to the folder that holds them all (so a list among them
    names them as it would in that folder, and problems name them by their paths), and that folder."""
    folder = Path(os.path.commonpath([given.absolute().parent for given in paths]))
    return {given.absolute().relative_to(folder).as_posix(): given for given in paths}, str(folder)


def _follow(job: UploadJob, dry_run: bool) -> JobStatus:
    """Poll the job from the main thread and draw a tqdm bar; Ctrl-C once stops, twice quits."""
    desc = "checking" if dry_run else "uploading"
    with logging_redirect_tqdm(), tqdm(total=None, unit=job.snapshot().noun, desc=desc, file=sys.stderr,
                                       dynamic_ncols=True, disable=None) as bar:
        interrupted = False
        checking = False
        while True:
            try:
                finished = job.wait(POLL_SECONDS)
            except KeyboardInterrupt:
                if interrupted:
                    print("\nStopped at once; rows in flight may or may not be stored.", file=sys.stderr)
                    os._exit(EXIT_INTERRUPTED)
                interrupted = True
                job.cancel()
                waiting = "" if dry_run else ": waiting for the batches already sent"
                tqdm.write(f"Stopping{waiting} (Ctrl-C again to quit at once).", file=sys.stderr)
                continue
            status = job.snapshot()
            bar.unit = status.noun  # known once the job has read the header
            total, done = status.total, status.processed
            if status.downloads is not None:  # second phase: the server fetching the urls
                total = status.counts["uploaded"] + status.counts["already_there"]
                done = sum(status.downloads.values())
                if not checking:
                    checking = True
                    bar.reset()
                    bar.set_description("checking downloads")
            if total is not None and bar.total != total:
                bar.total = total
            bar.update(done - bar.n)
            if finished:
                return status


def _finish(status: JobStatus, report: Path | None, failed: Path | None, polygons: bool) -> int:
    noun = status.noun
    if status.fatal:
        return _fail(status.fatal)
    if status.renamed:
        read = ", ".join(f"{role} from {column!r}" for role, column in status.renamed)
        print(f"note: columns read under other names: {read}.", file=sys.stderr)
    if status.combined:
        print(f"note: {combined_sentence(status.combined)}", file=sys.stderr)
    for note in status.notes:
        print(f"note: {note}", file=sys.stderr)
    for warning in status.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if status.class_columns:
        print(f"hint: {class_columns_sentence(status.class_columns)} --class-columns reads each as a concept, given "
              "to the rows with a 1.", file=sys.stderr)
    if polygons and status.boxes is not None and not status.outlines:
        sent = "is" if status.dry_run else "was"
        print(f"note: --polygons: no box is drawn as an outline in its file, so each {sent} sent as a box.",
              file=sys.stderr)
    if status.outlines and not polygons:
        sent = ("is" if status.dry_run else "was") if status.outlines == 1 else ("are" if status.dry_run else "were")
        drawn = (f"{status.outlines:,} boxes are drawn as outlines (polygons) in their files, and {sent} sent as the "
                 "boxes around them" if status.outlines > 1 else
                 f"1 box is drawn as an outline (a polygon) in its file, and {sent} sent as the box around it")
        again = "" if status.dry_run else (": uploading again with it adds them beside the boxes (undo this upload "
                                           "first to have the outlines alone)")
        print(f"hint: {drawn}. --polygons sends the outlines, for segmentation{again}.", file=sys.stderr)
    if status.unread:
        named = ", ".join(status.unread[:UNREAD_NAMED]) + (" ..." if len(status.unread) > UNREAD_NAMED else "")
        print(f"hint: --keep-other-columns stores the columns not used ({named}) in each input's metadata.",
              file=sys.stderr)
    print(summary_sentence(dict(status.counts), status.elapsed, status.dry_run, noun))
    if status.downloads is not None:
        print(downloads_sentence(status.downloads))
    if status.boxes is not None:
        print(boxes_sentence(status.boxes, status.dry_run))
    boxes = status.boxes or {}
    box_problems = boxes.get(INVALID, 0) + boxes.get(FAILED, 0)
    for outcome in status.problems[:PROBLEMS_SHOWN]:
        print(problem_line(status.name, outcome, by_file=noun == "file"))
    if (more := status.problem_count - box_problems - PROBLEMS_SHOWN) > 0:
        where = f"see {report}" if report else "write them all with --report PATH"
        print(f"... and {more:,} more {noun}s with problems: {where}.")
    for boxes_name, outcome in status.box_problems[:PROBLEMS_SHOWN]:
        print(problem_line(boxes_name, outcome))
    if (more := box_problems - PROBLEMS_SHOWN) > 0:
        where = f"see {boxes_report_path(str(report))}" if report else "write them all with --report PATH"
        print(f"... and {more:,} more {'box' if more == 1 else 'boxes'} with problems: {where}.")
    if status.cancelled:
        rest = "check the rest" if status.dry_run else "send the rest"
        print(f"Stopped before the end: {status.processed:,} of {status.total or 0:,} {noun}s handled. "
              f"Run the same command again to {rest}.", file=sys.stderr)
        return EXIT_INTERRUPTED
    _next_steps(status, failed)
    return EXIT_OK if status.succeeded else EXIT_ROWS_FAILED


def _next_steps(status: JobStatus, failed: Path | None) -> None:
    """What to do about the rows the server did not take and the rows to fix."""
    not_taken, invalid, noun = status.counts[FAILED], status.counts[INVALID], status.noun
    if not_taken:
        print(f"hint: run the same command again to send the {not_taken:,} failed {noun}{'s' * (not_taken > 1)} again "
              f"(after the change their reasons ask for, if any); {noun}s already stored are not sent twice.",
              file=sys.stderr)
    if not invalid or noun != "row":
        return
    rows = "the invalid row" if invalid == 1 else f"the {invalid:,} invalid rows"
    if failed:
        print(f"hint: {rows} {'is' if invalid == 1 else 'are'} in {failed}, in the file's own columns: correct "
              "them there and upload that file.", file=sys.stderr)
    else:
        print(f"hint: --failed PATH writes {rows}, in the file's own columns, to a file to correct and upload.",
              file=sys.stderr)


def _fail(error: IngestError) -> int:
    print(f"error: {error.message}", file=sys.stderr)
    if error.hint:
        print(f"  {error.hint}", file=sys.stderr)
    if isinstance(error, SheetError):
        print("hint: --sheet NAME reads the workbook's sheet NAME.", file=sys.stderr)
    if isinstance(error, MissingKey):
        print("hint: --dry-run checks the file without a key; to try an upload without an account, run "
              "'python -m ingest sandbox' in another terminal and use what it prints.", file=sys.stderr)
    if isinstance(error, EncodingError) and (shown := readings(error.line, OTHER_ENCODINGS)):
        print("hint: the line, read with each --encoding that can (use the one that looks right):", file=sys.stderr)
        for encoding, text in shown:
            print(f"  {encoding:<8} {text}", file=sys.stderr)
    return EXIT_NOT_RUN


def _undo_command(args: argparse.Namespace) -> int:
    if not args.report.is_file():
        raise UsageError(f"{args.report} does not exist or is not a file.", "Give the path of the upload's report.")
    with open(args.report, newline="", encoding="utf-8-sig") as report:
        ids = uploaded_ids(report, str(args.report))
    target = _target(args)
    target.check()
    if not ids:
        print(f"{args.report} lists no input the upload added (none is 'uploaded'): nothing to delete.",
              file=sys.stderr)
        return EXIT_OK
    inputs = "1 input" if len(ids) == 1 else f"{len(ids):,} inputs"
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(f"Not deleting the {inputs} from {target.label}: there is no terminal to ask on.",
                             "Add --yes to delete them without being asked.")
        try:
            answer = input(f"Delete the {inputs} {args.report} lists as uploaded from {target.label}? [y/N] ")
        except (EOFError, KeyboardInterrupt):
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing deleted.", file=sys.stderr)
            return EXIT_NOT_RUN
    client = Client(target)
    try:
        client.wait_ready()
        with tqdm(total=len(ids), unit="input", desc="Deleting", file=sys.stderr) as bar:
            client.delete_inputs(ids, bar.update)
    finally:
        client.close()
    print(f"Deleted {inputs} from {target.label}. If that upload ended with failed rows, upload the file again "
          "with --restart: the record of the rows it sent no longer holds.")
    return EXIT_OK


def _sandbox_command(args: argparse.Namespace) -> int:
    from . import sandbox

    defaults = sandbox.SandboxConfig()
    config = sandbox.SandboxConfig(
        pat=args.pat or defaults.pat, user_id=args.user_id or defaults.user_id,
        app_id=args.app_id or defaults.app_id, latency_ms=args.latency_ms, throttle_rps=args.throttle_rps,
        fail_rate=args.fail_rate, commit_fail_rate=args.commit_fail_rate,
        download_delay=defaults.download_delay if args.download_delay is None else args.download_delay,
        fail_urls=args.fail_urls, seed=args.seed, other_urls=args.other_urls,
        missing_datasets=args.missing_datasets,
    )
    server = sandbox.start(config, host=args.host, port=args.port, data_dir=args.data)
    print(f"Sandbox listening on {server.address} (Ctrl-C to stop). Use it with:\n"
          f"  export CLARIFAI_GRPC_BASE={server.address} CLARIFAI_GRPC_INSECURE=1\n"
          f"  export CLARIFAI_PAT={config.pat} CLARIFAI_USER_ID={config.user_id} CLARIFAI_APP_ID={config.app_id}\n"
          f"  (or the app key {config.api_key} without user and app ids)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
    return EXIT_OK
