"""The dashboard: drop a CSV/TSV (or the files themselves), check it, upload it, watch it land.

Widgets only: reading, checking and uploading all go through `ingest`, and this
page makes no gRPC calls of its own. Streamlit reruns the script on every click,
so an upload lives in a job registry (`st.cache_resource`) under an unguessable
id that the session holds in `st.session_state` and the query string: a rerun,
another click or a browser refresh finds the same job. The job's threads never
call `st.*`; a fragment polls `job.snapshot()` and draws it.

Keys stay in this session's state: never logged, never in a report or the URL.

    streamlit run streamlit_app.py
"""

from __future__ import annotations

import functools
import hashlib
import io
import itertools
import json
import logging
import math
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
import weakref
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from operator import itemgetter
from pathlib import Path

import pandas as pd
import streamlit as st
from clarifai_grpc.grpc.api import resources_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2
from google.protobuf.json_format import MessageToDict
from streamlit.errors import FragmentHandledException
from streamlit.runtime.uploaded_file_manager import UploadedFile

from ingest import pictures
from ingest.build import DEFAULT_BATCH, MAX_BATCH
from ingest.check import BOX_ERRORS_KEPT, BoxesCheck, FileCheck, check_boxes, check_file
from ingest.errors import EncodingError, IngestError, InputFileError, MissingKey, SeveralLists, SheetError, UsageError
from ingest.journal import confirmed_count, file_digest, forget, table_digest
from ingest.job import DEFAULT_WORKERS, MAX_WORKERS, JobStatus, UploadJob, UploadOptions
from ingest.local import (LEFT_OUT_SHOWN, MAX_IMAGE_BYTES, MAX_MEDIA_BYTES, LocalFiles, dataset_parts, from_files,
                          from_parquet, from_zip, left_out_sentence, row_noun)
from ingest.outcomes import (
    ALREADY_THERE,
    DOWNLOAD_FAILED,
    DOWNLOAD_FETCHED,
    DOWNLOAD_PENDING,
    FAILED,
    INVALID,
    STATUS_LABELS,
    STATUSES,
    UPLOADED,
    RowOutcome,
)
from ingest.read import OTHER_ENCODINGS, open_table, readings
from ingest.report import (and_list, and_more, boxes_report_path, boxes_sentence, changed_urls_notes,
                           class_columns_sentence, combined_sentence, comma_concepts_note, downloads_sentence,
                           failed_lines, look_alike_note, renumbered_report, retry_rows, rows_csv, short_rows_sentence,
                           summary_sentence, unnamed_values_sentence, uploaded_ids)
from ingest.sandbox import Sandbox, SandboxConfig
from ingest.sandbox import start as start_sandbox
from ingest.upload import (HOSTED_BASE, Client, RetryPolicy, StoredBox, Target, fetch_hosted, fetch_public,
                           hosted_url, source_url)
from ingest.boxes import BoxRecord, BoxesFile, names_coco, names_voc
from ingest.urls import EXTENSION_KINDS, FILE_LINK, IMAGE_EXTENSIONS, SCHEME_ADDED, SPACES_WRITTEN
from ingest.validate import (
    BLOG,
    BOXES_ELSEWHERE,
    CONCEPT_SEPARATOR,
    CONCEPT_SEPARATORS,
    DATASET_ID_PATTERN,
    FORMAT_NAMES,
    KINDS,
    ROLES,
    InputRecord,
    RowError,
    detect_format,
    map_columns,
)

SAMPLES = Path(__file__).parent / "ingest" / "samples"
URL_CHANGE_ICONS = {FILE_LINK: ":material/link:", SPACES_WRITTEN: ":material/space_bar:",
                    SCHEME_ADDED: ":material/public:"}  # see `urls.url_change`
PASTED_NAME = "pasted.txt"  # what pasted web addresses are called in messages and downloads
TITLE = "Upload images, videos, audio and text to Clarifai"
POLL_SECONDS = 0.5  # how often the live progress redraws
TABLE_ROWS = 300  # rows in the live result table: a 100k-row upload never becomes 100k DOM rows
TABLE_HEADER_PX, TABLE_ROW_PX = 38, 35  # st.dataframe's header and row heights, to size a table to its rows
JOBS_KEPT = 50  # finished jobs the server keeps (with their files) before dropping the oldest
FINISHED_BYTES_KEPT = 2 * 1024**3  # uploaded files kept for "Retry" by finished jobs, all sessions together
FINISHED_SECONDS_KEPT = 24 * 3600  # a finished job older than this is dropped
CHECKS_KEPT = 4  # file checks kept per session, so reruns and column changes don't recheck
CHECK_SECONDS = 10.0  # for "Check connection": a wrong address fails fast
CONFIG_NAMES = (
    "CLARIFAI_PAT", "CLARIFAI_USER_ID", "CLARIFAI_APP_ID", "CLARIFAI_API_KEY",
    "CLARIFAI_GRPC_BASE", "CLARIFAI_GRPC_INSECURE",
)
PRACTICE, CLARIFAI_APP = "practice", "clarifai"
PAT_KEY, APP_KEY = "pat", "app_key"
NOT_IN_FILE = ""
SEPARATORS = {"": "Find it for me", ",": "Comma (,)", "\t": "Tab", ";": "Semicolon (;)"}
CONCEPT_SEPARATOR_LABELS = {"|": "| (cat|dog)", ",": "Comma (cat, dog)", ";": "Semicolon (cat; dog)"}
ENCODINGS = {  # codec -> its name on the page; "" reads UTF-8, or UTF-16 by its byte-order mark
    "": "Automatic", "cp1252": "Windows-1252 (cp1252)", "latin-1": "Latin-1",
    "utf-16-le": "UTF-16 LE", "utf-16-be": "UTF-16 BE",
    "cp1250": "Central European (Windows-1250)", "cp1251": "Cyrillic (Windows-1251)",
    "cp932": "Japanese (Shift-JIS)", "gb18030": "Chinese (GB18030, GBK)", "big5": "Chinese (Big5)",
    "cp949": "Korean (EUC-KR)",  # what Excel writes for 'CSV' on Windows in those languages
}
LIST, FILES = "list", "files"  # what the person has: a table of web addresses or texts, or the files themselves
SOURCES = {LIST: "A list of web addresses (CSV, TSV, Excel)", FILES: "Files from my computer"}
# A list of web addresses or texts: a table, web addresses one a line (.txt, also a text to upload), or records
LIST_TYPES = ("csv", "tsv", "txt", "xlsx", "xlsm", "xls", "ods", "numbers", "gz", "parquet", "json", "jsonl")
# Media, a zip of them, and the files that may come with them: a list naming them, boxes files, YOLO's classes
MEDIA_TYPES = sorted({e.lstrip(".") for e in (*IMAGE_EXTENSIONS, *EXTENSION_KINDS)}
                     | {"zip", "parquet", "csv", "tsv", "xlsx", "xml", "json", "jsonl", "yaml", "yml", "names",
                        "labels"})
THUMBNAILS = 24  # preview rows of local images that get a thumbnail made from their bytes
KEPT_SHOWN = 5  # columns named in the offers to keep them as metadata or read them as classes
CONCEPTS_NAMED = 3  # concepts named, with their counts, in the title of the preview's concept counts
THUMBNAIL_PX = 96  # the longer side of a thumbnail
ROLE_LABELS = {
    "url": "Web address (of the image, video, audio or text)",
    "file": "File name (in the zip)",
    "input_id": "Input id",
    "pos_concepts": "Concepts (what it shows)",
    "neg_concepts": "Concepts it does not show",
    "metadata": "Metadata (JSON)",
    "text": "Text (instead of a web address)",
    "type": "Kind (image, video, audio or text)",
    "dataset_id": "Dataset",
    "latitude": "Latitude",
    "longitude": "Longitude",
}
# The roles "Match your columns" offers for a list; a zip's own CSV also names its files ("file").
PAGE_ROLES = tuple(role for role in ROLES if role != "file")
ZIP_ROLES = ("file", *PAGE_ROLES)
TEXT_SHOWN = 80  # characters of an input's text shown in a table cell
BOXES_TEMPLATE = (  # boxes for two rows of the sample data, so the template works with "Try it with sample data"
    b"input_id,url,concept,left_col,top_row,right_col,bottom_row\n"
    b"sample-03,,dog,0.2,0.1,0.8,0.9\n"
    b"sample-01,,train,0.05,0.3,0.7,0.95\n"
)
BROWSE_SIZES = (24, 50)  # inputs per page in the Browse view
BROWSE_SECONDS = 10.0  # per call from the Browse view: a page should not hang for a minute
BROWSE_RETRY = RetryPolicy(attempts=3, base_seconds=0.3, max_seconds=2.0)
BROWSE_IMAGE_SIZE = "small"  # of the app's copy of an image, for a thumbnail in the Browse view
FETCHED_KEPT_SECONDS = 120  # images shown are fetched again after this long, in case some failed
STATUS_ICONS = {  # Material Symbols ship with Streamlit; emoji need a font the viewer may not have
    UPLOADED: ":material/check_circle:",
    ALREADY_THERE: ":material/library_add_check:",
    INVALID: ":material/edit_note:",
    FAILED: ":material/error:",
}
DOWNLOAD_LABELS = {  # the result table's Download column and the metrics under the counts
    DOWNLOAD_FETCHED: "fetched",
    DOWNLOAD_FAILED: "could not fetch",
    DOWNLOAD_PENDING: "still fetching",
}
DOWNLOAD_ICONS = {
    DOWNLOAD_FETCHED: ":material/image:",
    DOWNLOAD_FAILED: ":material/broken_image:",
    DOWNLOAD_PENDING: ":material/hourglass_empty:",
}
FETCH_STATES = {  # a stored input's status code -> the words of the Browse view's Download column
    status_code_pb2.INPUT_DOWNLOAD_SUCCESS: DOWNLOAD_LABELS[DOWNLOAD_FETCHED],
    status_code_pb2.INPUT_DOWNLOAD_FAILED: DOWNLOAD_LABELS[DOWNLOAD_FAILED],
    status_code_pb2.INPUT_DOWNLOAD_PENDING: DOWNLOAD_LABELS[DOWNLOAD_PENDING],
    status_code_pb2.INPUT_DOWNLOAD_IN_PROGRESS: DOWNLOAD_LABELS[DOWNLOAD_PENDING],
}
NOT_FETCHED = "not_fetched"  # the results filter for rows whose image the server could not fetch
INVALID_LISTED = 50  # rows to fix listed on the page; the download and the report have more
LINE_COLUMN = st.column_config.NumberColumn(width=60, format="%d")
STATUS_COLORS = {  # by the words shown in the tables' Status column
    STATUS_LABELS[UPLOADED]: "#1a7f37", STATUS_LABELS[ALREADY_THERE]: "#1f5fd6",
    STATUS_LABELS[INVALID]: "#9a6700", STATUS_LABELS[FAILED]: "#cf222e",
    "ready": "#1a7f37", "needs fixing": "#9a6700",
    DOWNLOAD_LABELS[DOWNLOAD_FETCHED]: "#1a7f37", DOWNLOAD_LABELS[DOWNLOAD_FAILED]: "#cf222e",
    DOWNLOAD_LABELS[DOWNLOAD_PENDING]: "#9a6700",
}

log = logging.getLogger("ingest.app")


# --- shared state: one per server process -------------------------------------------


@dataclass
class JobEntry:
    """An upload and what the page needs to show it, retry it and offer its files."""

    job: UploadJob
    name: str
    data: bytes  # the uploaded file (or the list of local files), to pick the failed rows out of for a retry
    delimiter: str
    where: str  # where the rows go, in words, without a key
    folder: str  # temporary folder with the report and rows-to-fix CSVs
    created: float = field(default_factory=time.time)
    digest: str = ""  # of `data`, as the resume journal computes it
    owner: str = ""  # the session that started it; only it frees the job early (see `forget_job`)
    lines: dict[int, int] | None = None  # a retry's own line -> the line in the file the person chose
    source: str = ""  # for a retry: that file's name
    files: LocalFiles | None = None  # the local files the rows name, sent as bytes
    boxes: tuple[BoxesFile, ...] = ()  # the boxes files sent with it (a retry sends its rows' boxes again)

    @property
    def shown_name(self) -> str:
        """The name as the person knows it: 'labels.csv in photos.zip' for a zip's own list."""
        files = self.files
        if files and files.manifest_name and self.name == files.source_name:
            return f"{files.manifest_name} in {files.name}"
        return self.name

    @property
    def size(self) -> int:
        """Bytes this entry keeps: the file, and the local files it names."""
        return len(self.data) + (self.files.held if self.files else 0)

    def original_line(self, line: int) -> int:
        """Where a row is in the file the person chose (a retry file numbers its rows anew)."""
        return self.lines.get(line, line) if self.lines else line

    @property
    def journal_key(self) -> tuple[str, str] | None:
        """(target, file digest, or a workbook sheet's): what the resume journal keeps; None without a target."""
        target = self.job.target
        return (target.identity, self.digest) if target and self.digest else None

    @property
    def report_path(self) -> str:
        return os.path.join(self.folder, "report.csv")

    @property
    def rows_to_fix_path(self) -> str:
        return os.path.join(self.folder, "rows-to-fix.csv")


class JobRegistry:
    """Job id -> job for the whole server. A session only ever asks for ids it holds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, JobEntry] = OrderedDict()

    def add(self, entry: JobEntry) -> str:
        job_id = secrets.token_urlsafe(18)  # unguessable: holding the id is the only way in
        with self._lock:
            self._prune()
            self._jobs[job_id] = entry
        return job_id

    def _prune(self) -> None:
        """Drop the oldest finished jobs past the count, size and age limits; running jobs stay."""
        finished = [(i, e) for i, e in self._jobs.items() if e.job.wait(0)]  # oldest first
        size = sum(e.size for _, e in finished)
        count = len(finished)
        for job_id, entry in finished:
            too_old = time.time() - entry.created > FINISHED_SECONDS_KEPT
            if count < JOBS_KEPT and size <= FINISHED_BYTES_KEPT and not too_old:
                continue
            del self._jobs[job_id]
            count -= 1
            size -= entry.size

    def sending(self, journal_key: tuple[str, str]) -> bool:
        """Whether a job of any session is sending these bytes to this target right now."""
        with self._lock:
            entries = list(self._jobs.values())
        return any(not e.job.wait(0) and e.journal_key == journal_key for e in entries)

    def get(self, job_id: str | None) -> JobEntry | None:
        if not job_id:
            return None
        with self._lock:
            return self._jobs.get(job_id)

    def drop(self, job_id: str | None) -> None:
        """Forget a job: stop it if it still runs; its files go with the entry."""
        with self._lock:
            entry = self._jobs.pop(job_id, None) if job_id else None
        if entry:
            entry.job.cancel()


@st.cache_resource(show_spinner=False)
def job_registry() -> JobRegistry:
    return JobRegistry()


@st.cache_resource(show_spinner="Starting the practice server…")
def practice_server() -> Sandbox:
    """One local sandbox per server process, on a free loopback port."""
    sandbox = start_sandbox(SandboxConfig(), host="127.0.0.1", port=0)
    log.info("practice server listening on %s", sandbox.address)
    return sandbox


# --- 1. where the rows go --------------------------------------------------------------


def configured_values() -> dict[str, str]:
    """CLARIFAI_* settings from the secrets file (if any), overridden by the environment."""
    values: dict[str, str] = {}
    try:
        if st.secrets.load_if_toml_exists():
            for name in CONFIG_NAMES:
                if name in st.secrets:
                    values[name] = str(st.secrets[name])
    except Exception:  # a broken secrets file must not stop the page; say so in the log only
        log.warning("could not read the Streamlit secrets file; using the environment only")
    for name in CONFIG_NAMES:
        if os.environ.get(name):
            values[name] = os.environ[name]
    return values


@dataclass(frozen=True)
class Destination:
    """The chosen target, where it is in words, and what is missing before it can be used."""

    target: Target | None
    where: str
    problem: IngestError | None = None


def connect_section(config: Mapping[str, str]) -> Destination:
    st.subheader("1. Where to upload")
    names_a_server = any(config.get(n) for n in ("CLARIFAI_PAT", "CLARIFAI_API_KEY", "CLARIFAI_GRPC_BASE"))
    kind = st.radio(
        "Upload to",
        [PRACTICE, CLARIFAI_APP],
        index=1 if names_a_server else 0,
        format_func={PRACTICE: "Practice server (on this computer)", CLARIFAI_APP: "My Clarifai app"}.get,
        horizontal=True,
        key="target_kind",
    )
    if kind == PRACTICE:
        destination = practice_destination()
    else:
        destination = clarifai_destination(config)
    connection_check(destination)
    return destination


def practice_destination() -> Destination:
    try:
        sandbox = practice_server()
    except OSError:
        log.exception("the practice server did not start")
        problem = IngestError("The practice server could not start on this computer.",
                              "Reload the page to try again, or choose 'My Clarifai app'.")
        show_problem(problem)
        return Destination(None, "the practice server", problem)
    st.info(
        f"Uploads go to a **local practice server** that this page started on this computer "
        f"({sandbox.address}). Nothing is sent to Clarifai, and the practice server forgets everything "
        "when the page's server stops. Choose **My Clarifai app** to upload for real.",
        icon=":material/science:",
    )
    config = sandbox.config
    target = Target(base=sandbox.address, insecure=True, pat=config.pat, user_id=config.user_id,
                    app_id=config.app_id)
    return Destination(target, "the practice server")


def clarifai_destination(config: Mapping[str, str]) -> Destination:
    key_kind = st.radio(
        "Key type",
        [PAT_KEY, APP_KEY],
        index=1 if config.get("CLARIFAI_API_KEY") and not config.get("CLARIFAI_PAT") else 0,
        format_func={PAT_KEY: "Personal access token", APP_KEY: "App key (older apps)"}.get,
        horizontal=True,
        key="key_kind",
    )
    # A key configured on the server is used as is and never sent to the browser.
    if key_kind == PAT_KEY:
        pat = st.text_input(
            "Personal access token",
            type="password",
            key="pat",
            placeholder="Set on the server; type here to use another" if config.get("CLARIFAI_PAT")
            else "Paste it from Clarifai: Settings > Secrets",
            help="Find or create one in Clarifai under Settings > Secrets. It stays in this browser session.",
        )
        left, right = st.columns(2)
        user_id = left.text_input("User id", value=config.get("CLARIFAI_USER_ID", ""), key="user_id",
                                  help="The first part of your app's address: clarifai.com/USER/APP. "
                                       "Or paste the whole address here.")
        app_id = right.text_input("App id", value=config.get("CLARIFAI_APP_ID", ""), key="app_id",
                                  help="The second part of your app's address: clarifai.com/USER/APP")
        given = {"pat": pat.strip() or None, "user_id": user_id.strip(), "app_id": app_id.strip()}
    else:
        api_key = st.text_input(
            "App key",
            type="password",
            key="api_key",
            placeholder="Set on the server; type here to use another" if config.get("CLARIFAI_API_KEY")
            else "Paste the app's key from Clarifai",
            help="An older kind of key that belongs to one app. It stays in this browser session.",
        )
        given = {"pat": "", "api_key": api_key.strip() or None}
    try:
        target = Target.from_env(config, **given)
        where = target.label
    except IngestError as error:
        show_problem(error)
        return Destination(None, "your Clarifai app", error)
    if key_kind == PAT_KEY and (target.user_id, target.app_id) != (given["user_id"], given["app_id"]):
        # the ids as typed differ from the target's only when Target.from_env read them from an app's address
        st.caption(f"From the app's address: user id **{target.user_id}**, app id **{target.app_id}**.")
    if config.get("CLARIFAI_GRPC_BASE"):
        st.caption(f"Server: {target.address} (set on the server with CLARIFAI_GRPC_BASE)")
    elif target.base != HOSTED_BASE:
        st.caption(f"Server: {target.address}")
    problem = None
    try:
        target.check()
    except MissingKey as error:
        problem = IngestError(error.message, missing_key_hint(key_kind))
    except IngestError as error:
        problem = error
    return Destination(target, where, problem)


def missing_key_hint(key_kind: str) -> str:
    if key_kind == PAT_KEY:
        return "Fill in the personal access token, your user id and the app id above."
    return "Fill in the app key above."


def fingerprint(target: Target | None) -> str:
    """Identifies a target within this session (a hash: the key itself is not repeated)."""
    if target is None:
        return ""
    text = "\n".join([target.base, str(target.insecure), target.pat, target.user_id, target.app_id,
                      target.api_key])
    return hashlib.sha256(text.encode()).hexdigest()


def connection_check(destination: Destination) -> None:
    pressed = st.button("Check connection", key="check_connection", disabled=destination.target is None,
                        help="Asks the server whether the key works and how many inputs the app holds.")
    if pressed:
        st.session_state["connection"] = (fingerprint(destination.target), *check_connection(destination))
    result = st.session_state.get("connection")
    if result and result[0] == fingerprint(destination.target):
        _, ok, message, hint = result
        if ok:
            st.success(message, icon=":material/check_circle:")
        else:
            show_problem(IngestError(message, hint))


def check_connection(destination: Destination) -> tuple[bool, str, str]:
    """(ok, message, hint) in plain words."""
    if destination.problem:
        return False, destination.problem.message, destination.problem.hint
    target = destination.target
    try:
        client = Client(target, deadline=CHECK_SECONDS)
        try:
            client.wait_ready()
            count = client.count_inputs()
        finally:
            client.close()
    except IngestError as error:
        return False, error.message, error.hint
    except Exception:  # the log gets the details (never a key); the page a short message
        log.exception("connection check failed unexpectedly")
        return False, "The connection check failed unexpectedly.", "Try again; if it happens again, send the log to the team."
    inputs = "1 input" if count == 1 else f"{count:,} inputs"
    return True, f"Connected to {destination.where}: the key works and the app holds {inputs}.", ""


# --- 2. the file --------------------------------------------------------------------------


@dataclass(frozen=True)
class ChosenFile:
    name: str
    data: bytes  # the CSV/TSV; for local files, the list that names them (the zip's own CSV, or one row per file)
    digest: str  # the resume journal's content hash, so the page finds an interrupted upload of these bytes
    files: LocalFiles | None = None  # the local files themselves, sent as bytes
    files_key: str = ""  # which chosen files those are, for the checks kept in this session
    pasted: bool = False  # pasted on the page (as PASTED_NAME), not a file


def file_section() -> ChosenFile | None:
    st.subheader("2. What to upload")
    source = st.radio("What do you have?", list(SOURCES), format_func=SOURCES.get, horizontal=True,
                      key="source_kind")
    st.session_state.setdefault("uploader_round", 0)
    if source == FILES:
        return files_section()
    return list_section()


def list_section() -> ChosenFile | None:
    st.markdown(
        "A **CSV**, **TSV** or **Excel** file (or a Parquet table) with column names on the first line and one "
        "input per row: "
        "`url` (the web address of an image, video, audio or text file) or `text` (the text itself), "
        "and optionally `input_id` (up to 48 letters, digits, `-` and `_`), "
        "`pos_concepts` and `neg_concepts` (names separated by `|`, such as `cat|pet`), "
        '`metadata` (JSON such as `{"source": "shop"}`), `dataset_id`, `latitude` and `longitude`. '
        "Files with Clarifai Portal's or the Python SDK's column names work too."
    )
    state = st.session_state
    chosen = st.file_uploader(
        "Choose a CSV, TSV or Excel file",
        # .ods and .numbers are refused with what to do, rather than by the browser in its own words; images,
        # a zip and the like are taken as files from the computer, as a person who drops them here means
        type=sorted({*LIST_TYPES, *MEDIA_TYPES}),
        accept_multiple_files=True,
        help="An Excel workbook's first sheet with anything in it is read (another can be chosen under Match your "
             "columns). A large file may be gzip-compressed (data.csv.gz), or a Parquet table with the same columns. "
             "Label Studio's JSON (or JSON-MIN) export brings its images' choices and rectangles. A text file of web "
             "addresses, one a line, needs no header. Images, videos, audio or a zip chosen here are uploaded "
             "themselves, as under Files from my computer.",
        key=f"uploader_{state['uploader_round']}",
        on_change=forget_sample,
    )
    lists = [u for u in chosen if u.name.lower().endswith(tuple(f".{t}" for t in LIST_TYPES))]
    uploaded = lists[0] if len(chosen) == 1 and lists else None
    with st.expander("Or paste web addresses", icon=":material/content_paste:"):
        pasted = st.text_area(
            "One web address a line, or cells copied from a spreadsheet with their header row",
            placeholder="https://samples.clarifai.com/metro-north.jpg\nhttps://samples.clarifai.com/wedding.jpg",
            key=f"pasted_{state['uploader_round']}", on_change=forget_sample, height=150,
            help="Read as a file named pasted.txt would be. Press Ctrl+Enter (or click elsewhere) to check it.")
        if chosen and pasted.strip():
            one = len(chosen) == 1
            st.caption(f"{and_more([u.name for u in chosen], KEPT_SHOWN)} {'is' if one else 'are'} read, not these: "
                       f"remove {'it' if one else 'them'} above to upload what is pasted here.")
    left, right = st.columns(2)
    left.button("Try it with sample data", key="sample", on_click=use_sample, icon=":material/auto_awesome:",
                help="Loads a small example file of 12 images, so you can see every step.")
    right.download_button("Download a template", data=(SAMPLES / "template.csv").read_bytes(),
                          file_name="template.csv", mime="text/csv", key="template", icon=":material/description:",
                          on_click="ignore")
    tables = [u for u in lists if not u.name.lower().endswith(".txt")]  # several .txt files: texts to upload
    if len(chosen) > 1 and len(tables) == len(chosen):
        st.warning(f"**{and_more([u.name for u in chosen], KEPT_SHOWN)} are lists: choose one at a time.** Their rows "
                   "are not combined.", icon=":material/warning:")
        return None
    if chosen and uploaded is None:
        st.info("**These files are uploaded as they are, as under *Files from my computer*,** not read as a list "
                "of web addresses.", icon=":material/upload_file:")
        return local_choice(chosen)
    state.pop("local_files", None)  # files chosen before go with their choice
    if uploaded is not None:
        digests = state.setdefault("digests", {})
        if uploaded.file_id not in digests:
            digests.clear()
            digests[uploaded.file_id] = file_digest(io.BytesIO(uploaded.getvalue()))
        return ChosenFile(uploaded.name, uploaded.getvalue(), digests[uploaded.file_id])
    if pasted.strip():
        data = pasted.encode("utf-8")
        return ChosenFile(PASTED_NAME, data, file_digest(io.BytesIO(data)), pasted=True)
    if state.get("use_sample"):
        data = (SAMPLES / "sample.csv").read_bytes()
        return ChosenFile("sample.csv", data, file_digest(io.BytesIO(data)))
    return None


def files_section() -> ChosenFile | None:
    st.markdown(
        "**Images, videos, audio or text files**, chosen together, a **folder** of them, or a **zip**. Each file "
        "is sent as it is, with no web address needed, and the same file sent twice is stored once. "
        f"An image can be up to {MAX_IMAGE_BYTES // 1024 ** 2} MB, any other file up to "
        f"{MAX_MEDIA_BYTES // 1024 ** 2} MB.\n\n"
        "To give them all a concept, choose them, then type it under *Concepts for every input*. To give each its own "
        "concepts, metadata or datasets, add one CSV or Excel file (chosen with them, or in the folder "
        "or zip) that names each file in a `file` column, with the columns a list has (`input_id`, `pos_concepts`, "
        "`metadata`, `dataset_id` and so on). Then only the files it names are uploaded. A detection export's "
        "boxes files (a CSV of boxes, COCO JSON, such as Roboflow's `_annotations.csv` or "
        "`_annotations.coco.json` in each of `train/`, `valid/` and `test/`, Pascal VOC's XML or LabelMe's or "
        "Supervisely's JSON file per image, a VIA project, CVAT's `annotations.xml`, or "
        "YOLO's `labels/` with their `data.yaml`) are read too: their boxes are added to the images. So are "
        "Hugging Face's `metadata.jsonl` (or `metadata.csv`) and Roboflow's multi-label `_classes.csv`: the "
        "files they name get their labels and metadata. A Hugging Face dataset's `.parquet` file (or its shards, "
        "or the folder that holds them) uploads each of its images with its labels."
    )
    state = st.session_state
    files = st.file_uploader("Choose files or a zip", type=MEDIA_TYPES, accept_multiple_files=True,
                             key=f"files_{state['uploader_round']}")
    folder = st.file_uploader("Or choose a folder", type=MEDIA_TYPES, accept_multiple_files="directory",
                              key=f"folder_{state['uploader_round']}",
                              help="Every file in it and in its subfolders that this page reads (media, lists, boxes "
                                   "and label files): a dataset as you keep it, no zip needed. The browser leaves out "
                                   "files of other types, such as PDFs, without a word.")
    uploaded = [*files, *folder]
    if not uploaded:
        state.pop("local_files", None)
        return None
    return local_choice(uploaded)


def local_choice(uploaded: list[UploadedFile]) -> ChosenFile | None:
    """The chosen files as local files, read once per choice; None, with what to do, when they cannot be
    uploaded yet (several lists among them, and none chosen; or a problem)."""
    state = st.session_state
    files_key = "+".join(u.file_id for u in uploaded)
    chosen_list = state.get(f"list_{files_key}")  # which of several CSVs names the files, once the person said
    key = files_key if chosen_list is None else f"{files_key}+list:{chosen_list}"
    held = state.get("local_files")
    if not held or held[0] != key:  # read once per choice, not on every rerun
        with st.spinner("Reading the files…", show_time=True):
            try:
                held = (key, read_local(uploaded, key, chosen_list))
            except InputFileError as error:
                held = (key, error)
        state["local_files"] = held
    if isinstance(held[1], SeveralLists):
        state[f"lists_{files_key}"] = held[1].lists
    if lists := state.get(f"lists_{files_key}"):
        list_choice(files_key, lists)
    if isinstance(held[1], SeveralLists):
        return None
    if isinstance(held[1], InputFileError):
        show_problem(held[1])
        return None
    return folder_concepts_choice(held[1])


def list_choice(key: str, lists: Sequence[str]) -> None:
    """Which of the lists at the top of a folder or zip names its files (or none: every file is an input)."""
    st.selectbox(f"Several lists are at the top ({', '.join(lists)}): which one names the files?", [*lists, ""],
                 index=None, key=f"list_{key}", placeholder="Choose the list of files",
                 format_func=lambda name: name or "None of them: upload every file",
                 help="The list's file column names the files to upload, with their concepts and metadata.")


def folder_concepts_choice(chosen: ChosenFile) -> ChosenFile:
    """Files in folders (cats/, dogs/) may take their folder's name as a concept, as image classification
    datasets are laid out; offered when the page made the list itself."""
    files = chosen.files
    if not files.folders or files.manifest_name:
        return chosen
    shown = ", ".join(files.folders[:LEFT_OUT_SHOWN]) + (", ..." if len(files.folders) > LEFT_OUT_SHOWN else "")
    if not st.checkbox(f"Use each file's folder name as its concept ({shown})", key=f"by_folder_{chosen.files_key}",
                       help="For images sorted into a folder per class, such as cats/1.jpg and dogs/2.jpg."):
        return chosen
    labelled = files.labelled_by_folder()
    return ChosenFile(chosen.name, labelled.manifest, file_digest(io.BytesIO(labelled.manifest)), labelled,
                      f"{chosen.files_key}+folders")


def read_local(uploaded: list[UploadedFile], key: str, chosen_list: str | None = None) -> ChosenFile:
    """The chosen files (or the one zip, or the one folder, or a Hugging Face dataset's Parquet files) as local files
    and the list that names them; raises `InputFileError` for an unsafe, unreadable or empty zip, or a zip or
    folder chosen with other files."""
    folders = {u.name.partition("/")[0] for u in uploaded if "/" in u.name}  # a chosen folder names its files within
    if len(folders) > 1 or (folders and any("/" not in u.name for u in uploaded)):
        raise InputFileError("Several folders, or a folder and other files, were chosen together.",
                             "Choose one folder, or files without a folder.")
    parts = dataset_parts(u.name for u in uploaded)  # a Hugging Face dataset's Parquet files
    if parts:
        packed = sorted((u for u in uploaded if u.name in parts), key=lambda u: u.name)
    else:
        packed = [u for u in uploaded if u.name.lower().endswith((".zip", ".parquet"))]  # each holds the files
        kind = "Parquet file" if packed and packed[0].name.lower().endswith(".parquet") else "zip"
        if packed and len(uploaded) > 1:
            raise InputFileError(
                f"{f'Several {kind}s were' if len(packed) > 1 else f'A {kind} and other files were'} chosen together.",
                f"Choose one {kind}, or the files themselves without a {kind}.")
    for chosen in packed:
        chosen.seek(0)
    if parts:
        name = parts[0] if len(parts) == 1 else folders.pop() if folders else f"{len(parts):,} Parquet files"
        files = from_parquet([(u.name, u) for u in packed], name)
    elif packed:
        files = from_zip(packed[0], packed[0].name, chosen_list)
    else:
        count = len(uploaded)
        files = from_files(unique_names((u.name, u.getvalue()) for u in uploaded),
                           folders.pop() if folders else "1 chosen file" if count == 1 else f"{count:,} chosen files",
                           chosen_list)
    return ChosenFile(files.source_name, files.manifest, file_digest(io.BytesIO(files.manifest)), files, key)


def unique_names(files: Iterable[tuple[str, bytes]]) -> Iterator[tuple[str, bytes]]:
    """Two files of the same name (from two folders) both kept: the second becomes 'name (2).ext'."""
    seen: set[str] = set()
    for name, data in files:
        path, number = Path(name), 1
        while name in seen:
            number += 1
            name = f"{path.stem} ({number}){path.suffix}"
        seen.add(name)
        yield name, data


def use_sample() -> None:
    st.session_state["use_sample"] = True
    st.session_state["uploader_round"] = st.session_state.get("uploader_round", 0) + 1  # empties the uploader


def forget_sample() -> None:
    st.session_state["use_sample"] = False


@dataclass(frozen=True)
class Layout:
    """How to read the chosen file: the separator and encoding (None: find them), a workbook's sheet, and role ->
    column, if not by name."""

    delimiter: str | None
    columns: dict[str, str] | None
    encoding: str | None = None
    keep_others: bool = False  # the columns of no role go into each input's metadata
    sheet: str | None = None
    concept_separator: str = CONCEPT_SEPARATOR
    class_columns: bool = False  # the columns of 1s and 0s are read as one concept each
    concepts: tuple[str, ...] = ()  # given to every input, beside its row's own


def role_label(role: str) -> str:
    """The words for a column role; a role `ingest` adds later still gets a readable name."""
    return ROLE_LABELS.get(role) or role.replace("_", " ").capitalize()


def found_columns(header: list[str], lists_files: bool) -> dict[str, str] | None:
    """Each role's column as `ingest` finds it by itself (by its name, or another name it knows for it); None
    when it finds no column of inputs (url, text or file), so the person must say which."""
    try:
        positions = map_columns(header, lists_files=lists_files).positions
    except InputFileError:  # no column of inputs; or one named twice, which the preview names: nothing to ask
        inputs = {"file"} if lists_files else {"url", "text", "file", "input"}
        return {} if {h.strip().lower() for h in header} & inputs else None
    return {role: header[position] for role, position in positions.items() if position is not None}


def layout_section(chosen: ChosenFile) -> Layout | None:
    """Column matching, opened by itself when the file has no column named 'url' (or, in a zip, 'file'),
    or when it cannot be read as UTF-8."""
    if chosen.files and not chosen.files.manifest_name:
        return Layout(None, None)  # the page made the list itself: nothing to match
    tag = chosen.digest[:12]
    state = st.session_state
    delimiter = state.get(f"sep_{tag}") or None
    encoding = state.get(f"enc_{tag}") or None
    try:
        table = open_table(io.BytesIO(chosen.data), chosen.name, delimiter, encoding, state.get(f"sheet_{tag}"))
    except InputFileError as error:
        show_file_problem(error)
        # The choice that fixes it, and nothing else yet; or the separator or encoding chosen, which may be the cause
        if isinstance(error, (EncodingError, SheetError)) or delimiter or encoding:
            with st.expander("Match your columns", expanded=True, icon=":material/view_column:"):
                if isinstance(error, SheetError):
                    sheet_choice(tag, error.sheets)
                else:
                    if delimiter or encoding:
                        st.caption("The file was read with the choices below: try others, or let them be found.")
                    reading_choices(tag)
        return None
    header = table.header
    names = [h for h in header if h]
    folded = {h.lower(): h for h in reversed(names)}
    style = detect_format(header)
    roles = ZIP_ROLES if chosen.files else PAGE_ROLES
    found = found_columns(header, bool(chosen.files)) if style == BLOG else None
    missing = style == BLOG and found is None
    defaults = found or {role: folded[role] for role in roles if role in folded}
    with st.expander("Match your columns", expanded=missing, icon=":material/view_column:"):
        if missing and chosen.files:
            st.warning(f"{chosen.files.manifest_name} has no column named **file**. Choose below which column "
                       "names the files.")
        elif missing and len(table.sheets) > 1:
            st.warning(f"Its sheet {table.sheet!r} has no column named **url**. Choose the sheet that holds your "
                       "list, or below which column holds the web addresses.")
        elif missing:
            st.warning("This file has no column named **url**. Choose below which column holds the web "
                       "addresses.")
        if style != BLOG:
            st.caption(f"This file uses {FORMAT_NAMES[style]}: they are found by themselves. Choosing columns "
                       "below reads the file by your choices instead.")
        else:
            st.caption(f"Columns named {', '.join(roles[:-1])} and {roles[-1]} are found by themselves. "
                       "If yours have other names, say which is which.")
        if not table.read_as:  # a workbook's, a Parquet file's or JSON's cells and text need no choosing
            reading_choices(tag)
        elif len(table.sheets) > 1:
            sheet_choice(tag, table.sheets)
        columns: dict[str, str] = {}
        left, right = st.columns(2)
        for i, role in enumerate(roles):
            options = [NOT_IN_FILE, *names]
            default = defaults.get(role, NOT_IN_FILE)
            box = left if i % 2 == 0 else right
            columns[role] = box.selectbox(
                role_label(role), options, index=options.index(default),
                format_func=lambda h: h or "(not in this file)",
                key=f"role_{role}_{tag}_{table.sheet}_{delimiter}_{encoding}",  # a reading's own header, own choices
            )
        used = [c for c in columns.values() if c]
        if len(used) != len(set(used)):
            st.warning("The same column is chosen twice: give each column one meaning.")
        if style == BLOG:
            left.selectbox("Names in a concepts cell are separated by", CONCEPT_SEPARATORS,
                           format_func=CONCEPT_SEPARATOR_LABELS.get, key=f"concept_sep_{tag}")
    by_name = all(columns[role] == defaults.get(role, NOT_IN_FILE) for role in roles)
    return Layout(delimiter, None if by_name else columns, encoding, bool(state.get(f"keep_{tag}")), table.sheet,
                  state.get(f"concept_sep_{tag}") or CONCEPT_SEPARATOR, bool(state.get(f"classes_{tag}")))


def every_input_concepts(chosen: ChosenFile) -> tuple[str, ...]:
    """Concepts typed for every input of the chosen file, as Clarifai Portal's upload asks for them."""
    return tuple(filter(str.strip, st.multiselect(
        "Concepts for every input", [], key=f"concepts_{chosen.digest[:12]}", accept_new_options=True,
        placeholder="None: type one and press Enter to add it",
        help="Each input gets these beside the concepts its row gives: 'cat' for a folder of cat photos, say.",
    )))


def reading_choices(tag: str) -> None:
    """The separator and the encoding; the same widgets whether or not the file could be read."""
    left, right = st.columns(2)
    left.selectbox("Cells are separated by", list(SEPARATORS), format_func=SEPARATORS.get, key=f"sep_{tag}")
    right.selectbox("Encoding", list(ENCODINGS), format_func=ENCODINGS.get, key=f"enc_{tag}",
                    help="Automatic reads UTF-8 (and UTF-16 with a byte-order mark). Files saved as CSV by "
                         "Excel on Windows are often Windows-1252.")


def sheet_choice(tag: str, sheets: tuple[str, ...]) -> None:
    """A workbook's sheets that hold anything, to read another."""
    st.selectbox("Sheet", sheets, key=f"sheet_{tag}", help="The workbook's sheets that hold anything. The list is "
                 "read from the one chosen here.")


def show_file_problem(error: InputFileError) -> None:
    """The problem in ingest's words; for text in another encoding, where the page lets you name it (instead of its
    hint, which names the command line's --encoding)."""
    show_problem(IngestError(error.message) if isinstance(error, EncodingError) else error)
    if isinstance(error, EncodingError):
        st.info("Choose the file's encoding in **Match your columns** (Encoding). Files saved by Excel on Windows "
                "are most often **Windows-1252**.", icon=":material/translate:")
        shown = readings(error.line, OTHER_ENCODINGS)
        if shown:
            st.caption("The line that does not read, in each encoding that can read it: choose the one where your "
                       "text looks right.")
            st.container(key="readings").dataframe({"Encoding": [ENCODINGS[encoding] for encoding, _ in shown],
                                                     "The line reads": [text for _, text in shown]}, hide_index=True)


def checked(chosen: ChosenFile, layout: Layout) -> FileCheck | InputFileError:
    """The file's check, computed once per (file, separator, encoding, columns) in this session."""
    key = (chosen.digest, chosen.files_key, layout.delimiter, layout.encoding, layout.sheet,
           tuple(sorted((layout.columns or {}).items())), layout.keep_others, layout.concept_separator,
           layout.class_columns, layout.concepts)
    cache: OrderedDict = st.session_state.setdefault("checks", OrderedDict())
    if key not in cache:
        with st.spinner(f"Checking every row of {chosen.name}…", show_time=True):
            try:
                cache[key] = check_file(io.BytesIO(chosen.data), chosen.name, layout.delimiter, layout.encoding,
                                        columns=layout.columns, files=chosen.files,
                                        keep_other_columns=layout.keep_others, sheet=layout.sheet,
                                        concept_separator=layout.concept_separator,
                                        class_columns=layout.class_columns, added_concepts=layout.concepts)
            except InputFileError as error:
                cache[key] = error
        while len(cache) > CHECKS_KEPT:
            cache.popitem(last=False)
    return cache[key]


def preview_section(chosen: ChosenFile, check: FileCheck, layout: Layout, given_boxes: Sequence[BoxesFile]) -> None:
    """The counts, notes on the columns, and the first rows as they will be sent (with the boxes they get)."""
    noun = row_noun(chosen.files, check.columns)
    if noun != "file":
        st.caption(format_sentence(check, layout))
    elif chosen.files.folder_lists:
        st.caption(f"Concepts and metadata read from {listing(chosen.files.folder_lists, bold=False)}.")
    rows, valid, invalid = st.columns(3)
    rows.metric(f"{noun.capitalize()}s found", f"{check.rows:,}")
    valid.metric("Ready to upload", f"{check.valid:,}")
    invalid.metric("Need fixing", f"{check.invalid:,}")
    if check.columns.unknown:
        boxes = f" {BOXES_ELSEWHERE} Add it under *Bounding boxes* below." if check.columns.ignores_boxes else ""
        st.caption(f"Not used: {', '.join(check.columns.unknown)} (this tool reads only the columns above).{boxes}")
    if check.unnamed_values:
        st.caption(unnamed_values_sentence(check.columns))
    if check.short_rows.count:
        st.warning(short_rows_sentence(check.short_rows, check.columns), icon=":material/table_rows:")
    columns = check.columns
    if check.class_columns:
        named = and_more(check.class_columns, KEPT_SHOWN)
        st.checkbox(f"Read {named} as concepts: each row gets the classes of its 1s",
                    key=f"classes_{chosen.digest[:12]}", help=class_columns_sentence(check.class_columns))
    if others := [columns.header[i] for i in columns.kept] or columns.unread:
        st.checkbox(f"Keep {and_more(others, KEPT_SHOWN)} as each input's metadata", key=f"keep_{chosen.digest[:12]}",
                    help="Each column this tool does not read goes into the input's metadata under its name, as "
                         "text, beside what a metadata column holds.")
    if left_out := left_out_sentence(chosen.files):
        st.caption(left_out)
    if check.combined:
        st.info(f"**{combined_sentence(check.combined)}** So the app holds each image once, with all its concepts.",
                icon=":material/merge:")
    if check.repeated_urls:
        repeating = f"{check.repeated_urls:,} rows repeat" if check.repeated_urls > 1 else "1 row repeats"
        st.info(f"**{repeating} the web address of an earlier row** with another input id, metadata, dataset or "
                "location, so each is uploaded as an input of its own and the app will hold those images more than "
                "once. To give one image several concepts, give its rows the same (or no) input id and the same "
                "metadata, or write them in one cell (such as cat|dog).", icon=":material/content_copy:")
    if check.comma_concepts:
        headline, advice = comma_concepts_note(check.comma_concepts)
        st.info(f"**{headline}** {advice}", icon=":material/label:")
    for kind, headline, advice in changed_urls_notes(check.changed_urls):
        st.info(f"**{headline}** {advice}".strip(), icon=URL_CHANGE_ICONS[kind])
    if not check.rows:
        st.warning("The file has column names but no rows. Add one row per input under the first line.")
        return
    shown = len(check.sample)
    st.markdown(f"**The first {shown:,} {noun}s**" if shown < check.rows - check.combined else f"**All {noun}s**")
    boxes = preview_boxes(chosen, given_boxes)
    st.dataframe(
        colored(preview_frame(check, chosen.files, boxes, url_pictures(check, boxes),
                              outlines=st.session_state.get(polygons_key(chosen), False))),  # as ticked below
        hide_index=True,
        placeholder="",  # no thumbnail for a video, audio or text row: an empty cell, not "None"
        height=table_height(shown),
        column_config={
            "Line": LINE_COLUMN,
            "Status": st.column_config.TextColumn(width=105),
            "Kind": st.column_config.TextColumn(width=60),
            "Image": st.column_config.ImageColumn(width="small"),
            "File": st.column_config.TextColumn(width="medium"),
            "Text": st.column_config.TextColumn(width="medium"),
            "Web address": st.column_config.LinkColumn(width="medium"),
        },
    )
    concepts_section(check)
    if check.invalid:
        invalid_rows_section(chosen, check)


def format_sentence(check: FileCheck, layout: Layout) -> str:
    """What the file was read as, if no CSV (a workbook's sheet...), and its columns' header format, in plain
    words."""
    read_as = f"Read {check.name} as {check.read_as}. " if check.read_as else ""
    if len(check.sheets) > 1:
        read_as += "Another sheet can be chosen under Match your columns. "
    if layout.columns:
        return f"{read_as}Columns read as you matched them under Match your columns."
    renamed = ", ".join(f"{column} as {role_label(role).split(' (')[0]}" for role, column in check.columns.renamed)
    return f"{read_as}Columns read as {check.columns.format_name}." + (f" Read by other names: {renamed}."
                                                                        if renamed else "")


def cell_for(check: FileCheck, cells: list[str], role: str) -> str:
    position = check.columns.positions.get(role)
    return cells[position] if position is not None and position < len(cells) else ""


# Preview columns left out when no row in the sample has one; "With lines" are the rows combined into a line's input.
PREVIEW_OPTIONAL = ("With lines", "File", "Text", "Location", "Dataset", "Web address")
JOINED_SHOWN = 5  # lines named in "With lines"


def preview_boxes(chosen: ChosenFile, given: Sequence[BoxesFile]) -> dict[str, tuple[BoxRecord, ...]]:
    """The boxes the upload will add to each input (as many as are kept), by the file, url or input id they
    name, to draw on the preview: those of the boxes files `given` (a list of boxes itself, the file under
    Bounding boxes), or else the folder's or zip's own."""
    boxes: dict[str, tuple[BoxRecord, ...]] = {}
    for boxes_file in given or (chosen.files.boxes if chosen.files else ()):
        result = checked_boxes(boxes_file, chosen.files)
        for target, found in ({} if isinstance(result, InputFileError) else result.boxes).items():
            boxes[target] = boxes.get(target, ()) + found
    return boxes


def boxes_of(item: InputRecord, boxes: Mapping[str, Sequence[BoxRecord]]) -> Sequence[BoxRecord]:
    """The boxes a preview row gets: by its file, else its url, else its input id."""
    return boxes.get(item.file or item.url) or boxes.get(item.input_id) or ()


def url_pictures(check: FileCheck, boxes: Mapping[str, Sequence[BoxRecord]]) -> dict[str, bytes | None]:
    """The first preview images given by url that have boxes to draw, fetched (the url alone shows no boxes)."""
    urls = [item.url for item in check.sample
            if isinstance(item, InputRecord) and item.kind == "image" and item.url and boxes_of(item, boxes)]
    urls = list(dict.fromkeys(urls))[:THUMBNAILS]
    return dict(zip(urls, fetched_images(tuple(urls)))) if urls else {}


def preview_frame(check: FileCheck, files: LocalFiles | None = None,
                  boxes: Mapping[str, Sequence[BoxRecord]] | None = None,
                  url_images: Mapping[str, bytes | None] | None = None, outlines: bool = False) -> pd.DataFrame:
    """The sample rows as the table shows them: a thumbnail for images only (made from the bytes of the
    first local ones, or of those `url_images` fetched, with their `boxes` drawn: as outlines if `outlines`), a
    snippet for texts."""
    boxes, url_images = boxes or {}, url_images or {}
    colors = pictures.concept_colors(box.concept for found in boxes.values() for box in found)
    rows = []
    thumbnails = THUMBNAILS
    for item in check.sample:
        if isinstance(item, InputRecord):
            content = files.contents.get(item.file) if files and item.file else None
            image = item.url if item.kind == "image" and item.url else None
            text = snippet(item.text)
            if content is not None and item.kind == "image" and thumbnails:
                thumbnails -= 1
                image = thumbnail(content, boxes_of(item, boxes), colors, outlines)
            elif content is not None and item.kind == "text":
                text = snippet(content[:TEXT_SHOWN * 4].decode("utf-8", errors="replace"))
            elif image and url_images.get(item.url):
                image = thumbnail(url_images[item.url], boxes_of(item, boxes), colors, outlines) or image
            joined = [line for line, _ in item.joined]
            rows.append({
                "Line": item.line, "With lines": ", ".join(map(str, joined[:JOINED_SHOWN])) + (
                    f" and {len(joined) - JOINED_SHOWN:,} more" if len(joined) > JOINED_SHOWN else ""),
                "Status": "ready", "Kind": item.kind, "Image": image, "File": item.file,
                "Text": text, "Input id": item.input_id,
                "Concepts": list(item.positive), "Not in image": list(item.negative),  # chips: one a concept
                "Metadata": json.dumps(item.metadata, ensure_ascii=False) if item.metadata else "",
                "Location": place(item.geo), "Dataset": item.dataset_id,
                "Web address": item.url, "Problem": "",
            })
        else:
            rows.append({
                "Line": item.line, "With lines": "", "Status": "needs fixing", "Kind": "", "Image": None,
                "File": cell_for(check, item.cells, "file"),
                "Text": snippet(cell_for(check, item.cells, "text")), "Input id": item.input_id,
                "Concepts": as_written(cell_for(check, item.cells, "pos_concepts")),
                "Not in image": as_written(cell_for(check, item.cells, "neg_concepts")),
                "Metadata": cell_for(check, item.cells, "metadata"), "Location": "",
                "Dataset": cell_for(check, item.cells, "dataset_id"), "Web address": cell_for(check, item.cells, "url"),
                "Problem": item.reason,
            })
    frame = pd.DataFrame(sorted(rows, key=itemgetter("Line")))  # file order: an input of rows apart comes at its last
    unused = [c for c in PREVIEW_OPTIONAL if not frame[c].any()]
    if frame["Image"].isna().all():
        unused.append("Image")
    if not numbered(files):
        unused += ["Line", "With lines"]
    return frame.drop(columns=unused)  # a column named twice is dropped once


def table_height(rows: int, shown: int = 8) -> int:
    """A table's height in pixels: its header and `rows` rows, at most `shown` of them before it scrolls."""
    return TABLE_HEADER_PX + TABLE_ROW_PX * min(rows, shown)


def concepts_section(check: FileCheck) -> None:
    """How many ready inputs give each concept, to see the classes' balance and spot a misspelt one; and the concepts
    that differ only in capitals or spaces (negative ones too)."""
    if check.concepts:
        concept_counts(check)
    if check.look_alike:
        headline, advice = look_alike_note(check.look_alike)
        st.info(f"**{headline}** {advice}", icon=":material/match_case:")


def concept_counts(check: FileCheck) -> None:
    """The positive concepts and how many ready inputs give each, most given first."""
    top = ", ".join(f"{concept} {count:,}" for concept, count in check.concepts[:CONCEPTS_NAMED])
    more = len(check.concepts) - CONCEPTS_NAMED
    title = f"Concepts: {top}" + (f" and {more:,}{'' if check.concepts_counted else '+'} more" if more > 0 else "")
    with st.expander(title, icon=":material/label:"):
        most = check.concepts[0][1]
        st.dataframe(pd.DataFrame(check.concepts, columns=["Concept", "Inputs"]), hide_index=True,
                     height=table_height(len(check.concepts), shown=10),
                     column_config={"Inputs": st.column_config.ProgressColumn(format="%d", min_value=0,
                                                                              max_value=most)})
        if not check.concepts_counted:
            st.caption(f"The first {len(check.concepts):,} concepts found are counted.")


def as_written(cell: str) -> list[str]:
    """A concept cell of a row to fix, as one chip: it is not read until it is fixed."""
    return [cell] if cell else []


def numbered(files: LocalFiles | None) -> bool:
    """Whether rows have lines the person can look up: not in the list the page made of their files."""
    return not files or bool(files.manifest_name)


@st.cache_data(max_entries=500, show_spinner=False)
def thumbnail(data: bytes, boxes: Sequence[StoredBox | BoxRecord] = (),
              colors: Mapping[str, str] | None = None, outlines: bool = True) -> str | None:
    """A small picture of an image's bytes, with `boxes` drawn on it in their concepts' `colors` (as outlines
    where they have them, if `outlines`), as a data URL for a table cell; None when it cannot be read."""
    small = pictures.shrunk(data, THUMBNAIL_PX)
    if small is None:
        return None  # not an image Pillow reads (HEIC, a damaged file): no thumbnail, the upload decides
    pictures.draw_boxes(small, boxes, colors or {}, outlines)
    return pictures.data_url(small)


def snippet(text: str) -> str:
    """A text cut to fit a table cell, on one line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= TEXT_SHOWN else flat[:TEXT_SHOWN - 1].rstrip() + "…"


def place(geo: tuple[float, float] | None) -> str:
    """A geo point as 'latitude, longitude'."""
    return f"{geo[0]:g}, {geo[1]:g}" if geo else ""


def colored(frame: pd.DataFrame, columns: tuple[str, ...] = ("Status",)):
    """Status words in green, amber or red (words, not emoji: those need a font not every viewer has)."""
    return frame.style.map(lambda value: f"color: {STATUS_COLORS.get(value, 'inherit')}; font-weight: 600",
                           subset=list(columns))


def invalid_rows_section(chosen: ChosenFile, check: FileCheck) -> None:
    listed = check.errors[:INVALID_LISTED]
    if not numbered(chosen.files):  # the page listed the files: each problem is a file's
        st.markdown(f"**{check.invalid:,} {'file needs' if check.invalid == 1 else 'files need'} fixing.** "
                    "They will be skipped. Fix them and choose them again.")
        problems_table(listed, by_file=True)
        return
    how = ("Fix them in the pasted text above (the lines are its lines)." if chosen.pasted
           else "Fix them in the file below and upload it again.")
    st.markdown(f"**{check.invalid:,} {'row needs' if check.invalid == 1 else 'rows need'} fixing.** "
                f"They will be skipped. {how}")
    problems_table(listed)
    if check.invalid > len(listed):
        kept = f"the first {len(check.errors):,}" if check.invalid > len(check.errors) else "all of them"
        st.caption(f"The first {len(listed):,} of {check.invalid:,} are listed. The download below has {kept}; "
                   "the upload report will list every one.")
    stem = file_stem(chosen.name)
    st.download_button(
        "Download the row to fix" if len(check.errors) == 1 else f"Download the {len(check.errors):,} rows to fix",
        data=rows_csv(check.header, check.delimiter, [e.cells for e in check.errors]),
        file_name=f"{stem}-rows-to-fix.csv",
        mime="text/csv",
        key="invalid_download",
        icon=":material/download:",
        on_click="ignore",
    )


def problems_table(errors: Sequence[RowError], files: Sequence[str] = (), by_file: bool = False) -> None:
    """Bad rows with where (with `files`, which file each is from), what and how to fix: the words the command
    line prints. Ids and columns are left out when none has one (the boxes of COCO, VOC or YOLO files); `by_file`
    for the files the page listed itself, each named instead of a line."""
    ids, columns = any(e.input_id for e in errors) and not by_file, any(e.column for e in errors)
    # A static table, so the messages wrap and can be read whole; a few dozen rows at most.
    st.table(pd.DataFrame([
        {**({"File": file} if files else {}), **({"File": e.url} if by_file else {"Line": e.line}),
         **({"Input id": e.input_id} if ids else {}), **({"Column": e.column or "(whole row)"} if columns else {}),
         "What is wrong": e.message, "How to fix it": e.hint}
        for e, file in itertools.zip_longest(errors, files, fillvalue="")
    ]), hide_index=True, border="horizontal")


def chosen_boxes_file() -> BoxesFile | None:
    """The file chosen under Bounding boxes, if any: read once a run, as the preview above that section
    needs it too."""
    uploaded = st.session_state.get(f"boxes_{st.session_state.get('uploader_round', 0)}")
    return BoxesFile(uploaded.name, uploaded.getvalue()) if uploaded is not None else None


def boxes_section(files: LocalFiles | None, given: BoxesFile | None
                  ) -> tuple[BoxesFile | None, BoxesCheck | InputFileError | None]:
    """The optional second file (`given`, once chosen): bounding boxes for the inputs (`files`, when they are
    local files), checked as the upload will check them."""
    state = st.session_state
    key = f"boxes_{state.get('uploader_round', 0)}"
    held = given is not None
    section = st.expander("Bounding boxes (optional)", expanded=held, key="boxes_open", on_change="rerun",
                          icon=":material/crop_free:")
    with section:
        if not (section.open or held):
            # Drawn once opened (and kept while it holds a file): until then the page has one file input only.
            return None, None
        st.caption("A second CSV file, one box per line: `input_id` (or `url`, or a chosen file's name under `file`) "
                   "naming a row of your upload, `concept` "
                   "(or `class`), and the edges `left_col`, `top_row`, `right_col`, `bottom_row` as fractions of the "
                   "image from 0 to 1 (0, 0 is the top left corner), or `xmin`, `ymin`, `xmax`, `ymax` in pixels "
                   "with the image's `width` and `height`. Or a COCO, Create ML, LabelMe, Supervisely or VIA JSON "
                   "file of annotations naming the chosen files, or a CVAT for images XML file. The boxes are added "
                   "once their inputs are in the app.")
        st.file_uploader("Choose a boxes file", type=["csv", "tsv", "txt", "json", "xml"], key=key)
        st.download_button("Download a boxes template", data=BOXES_TEMPLATE, file_name="boxes-template.csv",
                           mime="text/csv", key="boxes_template", icon=":material/description:", on_click="ignore",
                           help="Two boxes for the sample data's rows sample-03 and sample-01.")
        if given is None:
            return None, None
        result = checked_boxes(given, files)
        show_boxes_check(given, result)
    return given, result


def zip_boxes(chosen: ChosenFile | None) -> tuple[tuple[BoxesFile, ...], bool]:
    """The boxes files a chosen zip holds (a detection export's), each checked and shown; and whether one
    cannot be read."""
    boxes = chosen.files.boxes if chosen and chosen.files else ()
    unusable = False
    for boxes_file in boxes:
        result = checked_boxes(boxes_file, chosen.files)
        show_boxes_check(boxes_file, result)
        unusable = unusable or isinstance(result, InputFileError)
    return boxes, unusable


def show_boxes_check(chosen: BoxesFile, result: BoxesCheck | InputFileError) -> None:
    """How many boxes a boxes file holds, how many are ready, and the first ones to fix."""
    if isinstance(result, InputFileError):
        show_problem(result)
    elif not result.rows and not (chosen.parts or chosen.is_coco):
        st.warning(f"{chosen.name} has column names but no boxes. Add one box per line under the first line.")
    elif not result.rows:
        st.warning(f"{chosen.name} holds no boxes: the images are uploaded without any.")
    else:
        ready = f"{result.valid:,} ready" if result.valid else "none ready"
        fixing = f", {result.invalid:,} {'needs' if result.invalid == 1 else 'need'} fixing" if result.invalid else ""
        st.markdown(f"**{chosen.name}: {result.rows:,} {'box' if result.rows == 1 else 'boxes'}, {ready}{fixing}.**"
                    + (" The boxes to fix are skipped; the others are added." if result.invalid else ""))
        if result.errors:
            problems_table([error for _, error in result.errors],
                           [source for source, _ in result.errors] if chosen.parts else ())
            if result.invalid > BOX_ERRORS_KEPT:
                st.caption(f"The first {BOX_ERRORS_KEPT} of {result.invalid:,} are listed; "
                           "the upload will list every one.")


def polygons_key(chosen: ChosenFile) -> str:
    """The key of the chosen file's 'Send the outlines as polygons' tick: each file its own, as its other choices."""
    return f"polygons_{chosen.digest[:12]}"


def polygons_choice(chosen: ChosenFile, boxes: Sequence[BoxesFile]) -> bool:
    """Whether to send the outlines the boxes files draw as polygons: asked when one draws any."""
    outlined = sum(result.outlined for boxes_file in boxes
                   if not isinstance(result := checked_boxes(boxes_file, chosen.files), InputFileError))
    if not outlined:
        return False
    drawn = (f"{outlined:,} of the boxes are drawn as outlines" if outlined > 1 else "1 box is drawn as an outline")
    return st.checkbox("Send the outlines as polygons (for segmentation), not the boxes around them",
                       key=polygons_key(chosen),
                       help=f"{drawn} (a COCO segmentation, a YOLO segment or a polygon). The app can hold each as "
                            "a polygon, for a segmentation model, or as the box around it, for a detection model.")


def box_rows_download(chosen: ChosenFile, check: FileCheck, layout: Layout, result: BoxesCheck | InputFileError
                      ) -> None:
    """A list of boxes' rows whose box needs fixing, to download as the rows to fix are: their inputs are
    uploaded, those boxes are not."""
    if isinstance(result, InputFileError) or not result.bad_lines:
        return
    lines = result.bad_lines  # a box to fix a line: as many rows

    def rows_to_fix() -> bytes:  # read when clicked, not on every rerun of the page
        table = open_table(io.BytesIO(chosen.data), chosen.name, check.delimiter, layout.encoding, layout.sheet)
        return rows_csv(check.header, check.delimiter, [row.cells for row in table.rows if row.line in lines])

    st.download_button(
        "Download the row whose box needs fixing" if len(lines) == 1
        else f"Download the {len(lines):,} rows whose box needs fixing",
        data=rows_to_fix, file_name=f"{file_stem(chosen.name)}-boxes-to-fix.csv",
        mime="text/csv", key="box_rows_download", icon=":material/download:", on_click="ignore")


def checked_boxes(chosen: BoxesFile, files: LocalFiles | None = None) -> BoxesCheck | InputFileError:
    """The boxes file's check, once per file and files it names in this session."""
    cache: OrderedDict = st.session_state.setdefault("box_checks", OrderedDict())
    key = (chosen.name, chosen.digest, chosen.folder, hash(files.manifest) if files else None)
    if key not in cache:
        try:
            cache[key] = check_boxes(chosen, files)
        except InputFileError as error:
            cache[key] = error
        while len(cache) > CHECKS_KEPT:
            cache.popitem(last=False)
    return cache[key]


# --- 3. options and upload ----------------------------------------------------------------------


@dataclass(frozen=True)
class Choices:
    """What the Options and the datasets question ask for."""

    allow_duplicates: bool = True
    batch: int = DEFAULT_BATCH
    workers: int = DEFAULT_WORKERS
    dataset_id: str = ""  # for every row that names no dataset of its own
    create_datasets: bool = False
    polygons: bool = False  # the outlines boxes files draw are sent as polygons


def options_section() -> Choices:
    with st.expander("Options", icon=":material/tune:"):
        dataset_id = st.text_input(
            "Add every row to dataset", key="dataset_id", placeholder="No dataset",
            help="The id of a dataset in your app, such as 'pets'. Rows whose file gives a dataset_id keep "
                 "their own.",
        ).strip()
        if problem := dataset_id_problem(dataset_id):
            st.error(problem, icon=":material/error:")
        allow_duplicates = st.checkbox(
            "Allow the same web address more than once", value=True, key="allow_duplicates",
            help="When off, an input whose web address is already in the app is not added again "
                 "and is reported as 'already there'.",
        )
        left, right = st.columns(2)
        batch = left.number_input("Inputs per request", 1, MAX_BATCH, DEFAULT_BATCH, key="batch_size",
                                  help=f"Up to {MAX_BATCH}; fewer only helps with very large metadata.")
        workers = right.number_input("Requests at once", 1, MAX_WORKERS, DEFAULT_WORKERS, key="workers",
                                     help="More is faster until the server starts asking to slow down.")
    return Choices(allow_duplicates, int(batch), int(workers), dataset_id)


def dataset_id_problem(dataset_id: str) -> str:
    """What is wrong with a dataset id typed under Options, as the command line says it; "" when nothing is."""
    try:
        UploadOptions(dataset_id=dataset_id).check()
    except UsageError as error:
        return str(error)
    return ""


def datasets_section(check: FileCheck, choices: Choices, destination: Destination) -> bool:
    """Which datasets the rows go to, which of them the app lacks (when asked), and whether to create those.

    Returns True when the person agreed to create the missing ones.
    """
    given = {choices.dataset_id} if DATASET_ID_PATTERN.fullmatch(choices.dataset_id) else set()
    named = sorted(set(check.datasets) | given)
    if not named:
        return False
    st.markdown(f"**Datasets:** the rows go to {listing(named)}.")
    target = destination.target
    if target is None or destination.problem:
        st.caption("Choose the app above to check which of them it has.")
        return False
    state = st.session_state
    asked = (fingerprint(target), tuple(named))
    if st.button("Check which datasets the app has", key="check_datasets", icon=":material/dataset:",
                 help="Asks the app for its datasets; rows for a dataset it lacks fail unless it is created."):
        with st.spinner("Asking the app for its datasets…"):
            state["datasets_known"] = (asked, known_datasets(target))
    known = state.get("datasets_known")
    if not known or known[0] != asked:
        st.caption("Rows for a dataset the app does not have will fail unless it is created: check first.")
        return False
    found = known[1]
    if isinstance(found, IngestError):
        show_problem(found)
        return False
    missing = [name for name in named if name not in found]
    if not missing:
        st.success(f"The app has {listing(named)}.", icon=":material/check_circle:")
        return False
    present = [name for name in named if name in found]
    lacks = f"The app does not have {listing(missing)}" + (f" (it has {listing(present)})." if present else ".")
    create = st.checkbox(f"Create the missing {'dataset' if len(missing) == 1 else 'datasets'} ({', '.join(missing)})",
                         key="create_datasets")
    it = "it" if len(missing) == 1 else "them"
    if create:
        st.info(f"{lacks} The upload creates {it} first.", icon=":material/add_circle:")
    else:
        st.warning(f"{lacks} Rows for {it} will fail: there is no such dataset to add them to. Tick the box above "
                   f"to create {it}, or create {it} in Clarifai first.", icon=":material/warning:")
    return create


def listing(names: Sequence[str], bold: bool = True) -> str:
    """'a', 'a and b', 'a, b and c', in bold unless told otherwise."""
    return and_list([f"**{name}**" if bold else name for name in names])


def known_datasets(target: Target) -> set[str] | IngestError:
    """The app's dataset ids, or the problem that kept the page from reading them."""
    try:
        client = Client(target, deadline=CHECK_SECONDS)
        try:
            client.wait_ready()
            return client.dataset_ids()
        finally:
            client.close()
    except IngestError as error:
        return error
    except Exception:  # the log gets the details (never a key); the page a short message
        log.exception("listing the datasets failed unexpectedly")
        return IngestError("Could not read the app's datasets.", "Try again; if it happens again, send the log to the team.")


def guarded(callback: Callable[..., None]) -> Callable[..., None]:
    """For button callbacks: an unexpected error becomes a short message on the next run, not a traceback."""

    @functools.wraps(callback)
    def run(*args: object) -> None:
        try:
            callback(*args)
        except Exception:
            log.exception("%s stopped on an unexpected error", callback.__name__)
            st.session_state["callback_error"] = (
                "That did not work because of an unexpected error. Try again; if it keeps happening, "
                "send the server log to the team."
            )

    return run


@guarded
def start_upload(chosen: ChosenFile, delimiter: str, layout: Layout, destination: Destination,
                 choices: Choices, boxes: Sequence[BoxesFile] = (), restart: bool = False) -> None:
    """Button callback: start a job in the background and remember only its id.

    The job resumes by itself when an interrupted earlier run of these bytes to this target
    confirmed rows; `restart` drops that record and sends every row again.
    """
    registry = job_registry()
    state = st.session_state
    current = registry.get(state.get("job_id"))
    if current and not current.job.wait(0):
        return  # a second click while the first upload runs: never start a duplicate
    key = journal_key(destination, chosen, layout)
    if registry.sending(key):
        state["callback_error"] = sending_elsewhere(destination)
        return
    # check_downloads: a stored input whose url the server cannot fetch holds no image; say so per row.
    options = UploadOptions(batch_size=choices.batch, workers=choices.workers,
                            allow_duplicate_url=choices.allow_duplicates, delimiter=delimiter, columns=layout.columns,
                            encoding=layout.encoding, sheet=layout.sheet, keep_other_columns=layout.keep_others,
                            concept_separator=layout.concept_separator, class_columns=layout.class_columns,
                            concepts=layout.concepts, polygons=choices.polygons, check_downloads=True,
                            restart=restart,
                            dataset_id=choices.dataset_id, create_datasets=choices.create_datasets)
    state.pop("datasets_known", None)  # the upload may create datasets: ask again next time
    launch(chosen.name, chosen.data, delimiter, destination, options, key[1], boxes=boxes, files=chosen.files)


def journal_key(destination: Destination, chosen: ChosenFile, layout: Layout) -> tuple[str, str]:
    """(target, digest): what the resume journal keeps the chosen file's rows under (a workbook's, its sheet's)."""
    return destination.target.identity, table_digest(chosen.digest, layout.sheet)


def sending_elsewhere(destination: Destination) -> str:
    return (f"This file is being uploaded to {destination.where} right now, in another tab or window. "
            "Wait for that upload to end, then come back: the page will offer to continue it if needed.")


def launch(name: str, data: bytes, delimiter: str, destination: Destination, options: UploadOptions,
           digest: str | None = None, lines: dict[int, int] | None = None, source: str = "",
           boxes: Sequence[BoxesFile] = (), files: LocalFiles | None = None) -> None:
    """Start a job and remember it; a retry (`lines` given) sends only its own rows' boxes."""
    registry = job_registry()
    state = st.session_state
    folder = tempfile.mkdtemp(prefix="ingest-upload-")
    job = UploadJob(lambda: io.BytesIO(data), name, destination.target, options,
                    report_path=os.path.join(folder, "report.csv"),
                    failed_path=os.path.join(folder, "rows-to-fix.csv"), spreadsheet_safe=True,
                    boxes=boxes, files=files, boxes_of_listed_only=lines is not None)
    entry = JobEntry(job, name, data, delimiter, destination.where, folder,
                     digest=digest or file_digest(io.BytesIO(data)), owner=session_token(), lines=lines,
                     source=source, files=files, boxes=tuple(boxes))
    weakref.finalize(entry, shutil.rmtree, folder, True)  # the files go when the entry is dropped
    forget_job(state.get("job_id"))
    job_id = registry.add(entry)
    job.start()
    state["job_id"] = job_id
    st.query_params["job"] = job_id


def upload_section(chosen: ChosenFile | None, check: FileCheck | None, layout: Layout | None,
                   destination: Destination, choices: Choices, running: bool, boxes: Sequence[BoxesFile] = (),
                   boxes_unusable: bool = False) -> None:
    valid = check.valid if check else 0
    noun = row_noun(chosen.files, check.columns) if chosen and check else "row"
    label = f"Upload {valid:,} {noun if valid == 1 else noun + 's'}" if check else "Upload"
    reason = ""
    if running:
        reason = "An upload is running; wait for it or cancel it."
    elif destination.target is None or destination.problem:
        problem = destination.problem
        reason = f"{problem.message} {problem.hint}" if problem else "Choose where to upload above."
    elif chosen is None and isinstance((st.session_state.get("local_files") or (None, None))[1], SeveralLists):
        reason = "Choose above which list names the files."
    elif chosen is None:
        reason = ("Choose the files, a folder or a zip above." if st.session_state.get("source_kind") == FILES
                  else "Choose a file above, or try it with the sample data.")
    elif check is None:
        reason = "Fix the file problem above first."
    elif not valid:
        reason = "No row is ready to upload: fix the rows above first."
    elif boxes_unusable:
        reason = "Fix the boxes file above first, or remove it."
    elif problem := dataset_id_problem(choices.dataset_id):
        reason = problem + " Fix it under Options."
    elif job_registry().sending(key := journal_key(destination, chosen, layout)):
        reason = sending_elsewhere(destination)
    elif earlier := confirmed_count(*key):
        resume_offer(chosen, check, layout, destination, choices, earlier, boxes)
        return
    st.button(
        label,
        type="primary",
        key="upload",
        disabled=bool(reason),
        on_click=start_upload,
        args=(chosen, check.delimiter if check else ",", layout, destination, choices, boxes),
        icon=":material/cloud_upload:",
    )
    if reason:
        st.caption(reason)
    elif destination.target is not None:
        named = [boxes_file.name for boxes_file in boxes] + ([chosen.name] if check.columns.boxes else [])
        also = f", and the boxes of {listing(named, bold=False)} once their inputs are in" if named else ""
        st.caption(f"The {row_noun(chosen.files, check.columns)}s go to {destination.where}{also}.")


def resume_offer(chosen: ChosenFile, check: FileCheck, layout: Layout, destination: Destination,
                 choices: Choices, earlier: int, boxes: Sequence[BoxesFile] = ()) -> None:
    """An earlier upload of these bytes to this target stopped part way: continue it or start over."""
    st.info(
        f"**{earlier:,} of {check.rows:,} rows already uploaded - continue?**\n\n"
        f"An earlier upload of {chosen.name} to {destination.where} stopped before the end. **Continue** sends "
        "only the rows it did not confirm. **Start over** sends every row again; the ones the app already "
        "holds show as 'already there'.",
        icon=":material/history:",
    )
    args = (chosen, check.delimiter, layout, destination, choices, boxes)
    with st.container(horizontal=True):
        st.button("Continue", type="primary", key="resume", on_click=start_upload, args=(*args, False),
                  icon=":material/play_arrow:")
        st.button("Start over", key="restart", on_click=start_upload, args=(*args, True),
                  icon=":material/restart_alt:")


# --- 4. progress and 5. results ---------------------------------------------------------------


def job_section(job_id: str, entry: JobEntry, status: JobStatus) -> None:
    st.subheader(f"Upload of {entry.shown_name}")
    if entry.source and numbered(entry.files):
        st.caption(f"The failed rows of {entry.source}, sent again. Line numbers are those of {entry.source}.")
    elif entry.source:
        st.caption(f"The failed files of {entry.source}, sent again.")
    if status.done:
        progress_view(job_id, entry, status)
        done_view(job_id, entry, status)
    else:
        live_view(job_id)


@st.fragment(run_every=POLL_SECONDS)
def live_view(job_id: str) -> None:
    """Redraws on its own while the job runs; the whole page reruns once it ends."""
    entry = job_registry().get(job_id)
    if entry is None:
        return
    status = entry.job.snapshot()
    if status.done:
        st.rerun()  # the whole page: summary, downloads and the upload button again
    try:
        progress_view(job_id, entry, status)
    except Exception:
        log.exception("could not draw the upload's progress")
        st.warning("The progress could not be drawn this time; it will try again in a moment.")
    if status.cancelled:
        st.info("Stopping: no new rows are sent; the ones already on their way are finishing.")
    else:
        st.button("Cancel", key="cancel", on_click=entry.job.cancel, icon=":material/stop_circle:",
                  help="Stops sending new rows. Rows already sent stay in the app.")


def progress_view(job_id: str, entry: JobEntry, status: JobStatus) -> None:
    st.progress(progress_fraction(status), text=progress_text(status))
    columns = st.columns(4)
    for column, name in zip(columns, STATUSES):
        column.metric(f"{STATUS_ICONS[name]} {STATUS_LABELS[name].capitalize()}", f"{status.counts[name]:,}")
    checks = entry.job.options.check_downloads and not status.dry_run
    if checks:
        download_metrics(status)
    if status.boxes is not None:
        box_metrics(status.boxes)
    if status.combined:
        st.caption(combined_sentence(status.combined))
    for warning in status.warnings:
        st.caption(warning)
    results_table(job_id, status, checks, entry)
    if status.box_problems:
        box_problems_table(status)


def box_metrics(boxes: Mapping[str, int]) -> None:
    """The boxes file's rows by what became of them, under the rows' counts."""
    for column, name in zip(st.columns(4), STATUSES):
        column.metric(f"{STATUS_ICONS[name]} Boxes {STATUS_LABELS[name]}", f"{boxes[name]:,}",
                      help="Bounding boxes from the boxes file, added to their inputs once those are in the app.")


def box_problems_table(status: JobStatus) -> None:
    """The boxes not added; with several boxes files (a zip's split folders), which file each is from. The
    input ids are left out when no box has one (a folder's or zip's boxes name files)."""
    sources = status.box_problem_files
    ids = any(o.input_id for _, o in status.box_problems)
    target = "File" if status.noun == "file" else "Web address"
    st.markdown(f"**Boxes from {listing(sources, bold=False)} that were not added**")
    st.container(key="box_problems").dataframe(
        colored(pd.DataFrame([{**({"Boxes file": name} if len(sources) > 1 else {}), "Line": o.line,
                               "Status": STATUS_LABELS[o.status], **({"Input id": o.input_id} if ids else {}),
                               target: o.url, "Reason": o.reason} for name, o in status.box_problems])),
        hide_index=True,
        height=table_height(len(status.box_problems)),
        column_config={"Line": LINE_COLUMN, "Status": st.column_config.TextColumn(width=105),
                       "Reason": st.column_config.TextColumn(width="large")},
    )
    annotations = (" (in COCO, Create ML and Pascal VOC files, the box's place among the file's images or "
                   "annotations)") if any(
        names_coco(name) or names_voc(name) for name in sources) else ""
    st.caption(f"Line numbers are those of {sources[0] if len(sources) == 1 else 'each boxes file'}{annotations}.")


def download_metrics(status: JobStatus) -> None:
    """Fetched and not fetched by the server, under the counts; a dash until the check begins."""
    downloads = status.downloads
    shown = [DOWNLOAD_FETCHED, DOWNLOAD_FAILED]
    if downloads and downloads[DOWNLOAD_PENDING]:
        shown.append(DOWNLOAD_PENDING)
    for column, name in zip(st.columns(4), shown):
        value = f"{downloads[name]:,}" if downloads is not None else "—"
        column.metric(f"{DOWNLOAD_ICONS[name]} {DOWNLOAD_LABELS[name].capitalize()}", value,
                      help="Whether the server could download the image at each stored row's web address.")


def stored_rows(status: JobStatus) -> int:
    """Rows the app holds after the upload: the ones whose download is checked."""
    return status.counts[UPLOADED] + status.counts[ALREADY_THERE]


def progress_fraction(status: JobStatus) -> float:
    if status.done and not (status.cancelled or status.fatal):
        return 1.0
    if status.downloads is not None:  # the second phase starts its own bar
        stored = stored_rows(status)
        return min(1.0, sum(status.downloads.values()) / stored) if stored else 1.0
    if not status.total:
        return 0.0
    return min(1.0, status.processed / status.total)


def progress_text(status: JobStatus) -> str:
    if status.total is None:
        return f"Counting the {status.noun}s…"
    done = f"{status.processed:,} of {status.total:,} {status.noun}s"
    if status.done:
        return f"{done} in {duration(status.elapsed)}"
    if status.downloads is not None:
        return (f"Checking that the server could fetch every image: "
                f"{sum(status.downloads.values()):,} of {stored_rows(status):,}")
    text = f"{done} · {status.rate:,.0f} {status.noun}s/s"
    if status.eta_seconds is not None and status.processed:
        text += f" · about {duration(status.eta_seconds)} left"
    return text


def duration(seconds: float) -> str:
    if seconds < 1:
        return "under a second"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def filter_label(choice: str) -> str:
    if choice == "all":
        return "All"
    if choice == NOT_FETCHED:
        return f"{DOWNLOAD_ICONS[DOWNLOAD_FAILED]} {DOWNLOAD_LABELS[DOWNLOAD_FAILED].capitalize()}"
    return f"{STATUS_ICONS[choice]} {STATUS_LABELS[choice].capitalize()}"


def results_table(job_id: str, status: JobStatus, checks: bool, entry: JobEntry) -> None:
    choices = ["all", *STATUSES]
    if status.downloads and status.downloads[DOWNLOAD_FAILED]:
        choices.append(NOT_FETCHED)
    choice = st.segmented_control("Show", choices, default="all", required=True, key=f"filter_{job_id}",
                                  format_func=filter_label)
    rows = table_rows(status, None if choice == "all" else choice)
    if not rows:
        st.caption("No rows here yet.")
        return
    records = []
    for o in rows:
        record = {"Line": entry.original_line(o.line)} if numbered(entry.files) else {}
        record["Status"] = STATUS_LABELS[o.status]
        if checks:
            record["Download"] = DOWNLOAD_LABELS.get(o.download, "")
        record["Input id"] = o.input_id
        record["File" if entry.files else "Web address"] = o.url  # what the row points at
        record["Reason"] = o.reason
        records.append(record)
    with st.container(key="results"):
        st.dataframe(
            colored(pd.DataFrame(records), ("Status", "Download") if checks else ("Status",)),
            hide_index=True,
            height=table_height(len(rows)),
            column_config={"Line": LINE_COLUMN, "Status": st.column_config.TextColumn(width=105),
                           "Download": st.column_config.TextColumn(width=105),
                           "File": st.column_config.TextColumn(width="medium"),
                           "Reason": st.column_config.TextColumn(width="large")},
        )
    st.caption(f"The rows that need attention first, then the latest ones (at most {TABLE_ROWS}). "
               "The report below lists every row.")


def table_rows(status: JobStatus, only: str | None) -> list[RowOutcome]:
    """Problem rows first, then the newest; one entry per line (its latest outcome), at most TABLE_ROWS."""
    seen: set[int] = set()
    rows: list[RowOutcome] = []
    newest = {o.line: o for o in status.recent}  # a row's download check comes after its upload
    latest = sorted(newest.values(), key=lambda o: o.line, reverse=True)  # batches finish out of order
    for outcome in (*status.problems, *latest):
        wanted = outcome.download == DOWNLOAD_FAILED if only == NOT_FETCHED else outcome.status == only
        if outcome.line in seen or (only and not wanted):
            continue
        seen.add(outcome.line)
        rows.append(outcome)
        if len(rows) == TABLE_ROWS:
            break
    return rows


def done_view(job_id: str, entry: JobEntry, status: JobStatus) -> None:
    undone = st.session_state.get("undone", {}).get(job_id)  # its inputs were deleted: no next steps but a new upload
    summary = summary_sentence(dict(status.counts), status.elapsed, status.dry_run, status.noun)
    if status.downloads is not None:
        summary += " " + downloads_sentence(status.downloads)
    boxes = status.boxes or dict.fromkeys(STATUSES, 0)
    if status.boxes is not None:
        summary += " " + boxes_sentence(dict(status.boxes), status.dry_run)
    counts = status.counts
    downloads = status.downloads or dict.fromkeys(DOWNLOAD_LABELS, 0)
    not_fetched, still_fetching = downloads[DOWNLOAD_FAILED], downloads[DOWNLOAD_PENDING]
    if status.fatal:
        st.error(f"**The upload stopped.** {status.fatal.message}\n\n{status.fatal.hint}\n\n{summary}", icon=":material/block:")
    elif status.cancelled:
        left = (status.total or 0) - status.processed  # not read, or read and not answered
        them = "it" if left == 1 else "them"
        if stored_rows(status) and not status.dry_run:  # its record of confirmed rows is kept: see resume_offer
            rest = f"**Continue** above sends {them}; the page offers it whenever this file is chosen for this app."
        else:
            rest = f"Upload the file again to send {them}."
        if left == 1:
            not_sent = f"1 {status.noun} was not sent, so it is"
        elif left:
            not_sent = f"{left:,} {status.noun}s were not sent, so they are"
        else:  # stopped before they were counted
            not_sent = f"{status.noun.capitalize()}s that were not sent are"
        st.warning(f"**You stopped the upload.** {summary}\n\n{not_sent} not in the app. {rest}",
                   icon=":material/stop_circle:")
    elif status.succeeded:
        later = ""
        if still_fetching:
            later = (f"\n\nThe server was still fetching {images(still_fetching)} when the page stopped waiting; "
                     "look at them in the app later.")
        st.success(f"**Done: every row is in {entry.where}.** {summary}{later}", icon=":material/task_alt:")
    else:
        advice = []
        if counts[INVALID] and entry.name == PASTED_NAME:
            advice.append("correct the invalid rows in the pasted text above and upload again (rows already in the "
                          "app show as 'already there')")
        elif counts[INVALID]:
            advice.append("fix the invalid rows in the file below and upload it")
        if counts[FAILED]:
            advice.append("press Retry to send the failed rows again")
        if boxes[INVALID] or boxes[FAILED]:
            sources = listing(status.box_problem_files, bold=False)
            advice.append(f"fix the boxes listed above in {sources} and upload again (rows already in the app "
                          "show as 'already there', and only the missing boxes are added)")
        if counts[INVALID] or counts[FAILED]:
            headline = "Finished, but some rows did not arrive."
        elif not_fetched:
            headline = "Finished, but the server could not fetch every image."
        else:
            headline = "Finished, but some boxes were not added."
        text = f"**{headline}** {summary}"
        if advice and not undone:
            text += f"\n\nNext: {' and '.join(advice)}."
        if not_fetched:
            text += "\n\n" + not_fetched_advice(not_fetched)
        st.warning(text, icon=":material/warning:")
    stem = file_stem(entry.name)
    left, right = st.columns(2)
    report = file_reader(entry.report_path, entry.lines)
    left.download_button("Download the full report", data=report,
                         file_name=f"{stem}-report.csv", mime="text/csv", key="report_download", icon=":material/download:",
                         on_click="ignore", help="Every row: its line, input id, web address, status, reason and whether the server "
                              "could fetch its image.")
    if status.boxes is not None:
        left.download_button("Download the boxes report", data=file_reader(boxes_report_path(entry.report_path),
                                                                            entry.lines),
                             file_name=f"{stem}-boxes-report.csv", mime="text/csv", key="boxes_report_download",
                             icon=":material/download:", on_click="ignore",
                             help="Every box: its line in its boxes file, that file, its input, status and reason.")
    if counts[INVALID] or counts[FAILED]:
        right.download_button("Download the rows to fix or retry", data=file_reader(entry.rows_to_fix_path),
                              file_name=f"{stem}-rows-to-fix.csv", mime="text/csv", key="fix_download",
                              icon=":material/download:", on_click="ignore",
                              help="The invalid and failed rows in your file's own columns, ready to correct "
                                   "and upload again.")
    if counts[FAILED] and not (status.fatal or status.cancelled or undone):  # a stopped upload is continued instead
        st.button(f"Retry {counts[FAILED]:,} failed {'row' if counts[FAILED] == 1 else 'rows'}",
                  key="retry", on_click=retry_failed, args=(job_id,), icon=":material/replay:")
    if undone:
        st.info(undone, icon=":material/undo:")
    elif counts[UPLOADED] and not status.dry_run:
        undo_section(job_id, entry, counts[UPLOADED], status.noun)
    st.button("Start a new upload", key="start_over", on_click=start_over, args=(job_id,), type="tertiary")


def undo_section(job_id: str, entry: JobEntry, uploaded: int, noun: str) -> None:
    """Deletes the inputs the job added (its report's 'uploaded' rows), once the person confirms."""
    with st.expander("Undo this upload", icon=":material/undo:"):
        rows = f"1 {noun}" if uploaded == 1 else f"{uploaded:,} {noun}s"
        st.write(f"Deletes from **{entry.where}** the inputs this upload added (from the {rows} it uploaded), with "
                 "their concepts, metadata and bounding boxes. Inputs that were already there stay. Use it after "
                 "uploading to the wrong app or with the wrong columns, then upload again.")
        sure = st.checkbox("Yes, delete them", key="undo_sure")
        if not st.button("Delete them", key="undo", disabled=not sure, icon=":material/delete:"):
            return
        with open(entry.report_path, newline="", encoding="utf-8") as report:
            ids = uploaded_ids(report, entry.shown_name)
        bar = st.progress(0.0, text="Deleting...")
        deleted = 0

        def on_deleted(count: int) -> None:
            nonlocal deleted
            deleted += count
            bar.progress(deleted / len(ids), text=f"Deleted {deleted:,} of {len(ids):,} inputs")

        client = Client(entry.job.target)
        try:
            client.delete_inputs(ids, on_deleted)
        except IngestError as error:
            show_problem(IngestError(f"{error.message} {deleted:,} of {len(ids):,} inputs were deleted.",
                                     error.hint))
            return
        finally:
            client.close()
        if entry.journal_key:  # an upload of the same file starts again from its first row
            forget(*entry.journal_key)
    inputs = "1 input" if len(ids) == 1 else f"{len(ids):,} inputs"
    st.session_state.setdefault("undone", {})[job_id] = (
        f"**Undone.** Deleted the {inputs} this upload added to {entry.where}. The counts above are the upload's, "
        "from before it was undone.")
    st.rerun()


def images(count: int) -> str:
    return "1 image" if count == 1 else f"{count:,} images"


def not_fetched_advice(count: int) -> str:
    """How many urls the server could not download, and what to check, in plain words."""
    if count == 1:
        what = "The server could not fetch 1 image from its web address, so that input holds no picture."
    else:
        what = (f"The server could not fetch {count:,} images from their web addresses, so those inputs hold "
                "no picture.")
    return (f"{what} Check that each address opens in a browser without logging in (a private window shows "
            "what the server sees) and shows the image itself, not a web page. Choose **Could not fetch** "
            "above the table to list them; the full report marks them in its download column.")


def file_reader(path: str, lines: Mapping[int, int] | None = None) -> Callable[[], bytes]:
    """Read a report only when its button is pressed, so reruns never copy big files; with a retry's `lines`,
    renumbered to the chosen file's."""

    def read() -> bytes:
        try:
            return renumbered_report(path, lines) if lines else Path(path).read_bytes()
        except OSError:
            return b""

    return read


def failed_rows(entry: JobEntry) -> tuple[bytes, dict[int, int]]:
    """The failed rows as they were written, to send again, and where each of them is in the file the person
    chose: the retry job numbers the lines of its own file."""
    options = entry.job.options
    data, lines = retry_rows(io.BytesIO(entry.data), entry.name, entry.delimiter, options.encoding, options.sheet,
                             options.columns, failed_lines(entry.report_path))
    return data, {line: entry.original_line(old) for line, old in lines.items()}


@guarded
def retry_failed(job_id: str) -> None:
    entry = job_registry().get(job_id)
    if entry is None or st.session_state.get("job_id") != job_id:
        return
    destination = Destination(entry.job.target, entry.where)
    stem = file_stem(entry.name).removesuffix("-retry")
    data, lines = failed_rows(entry)
    launch(f"{stem}-retry.csv", data, entry.delimiter, destination,
           replace(entry.job.options, encoding=None, sheet=None),  # the rows again, as a CSV in UTF-8
           lines=lines, source=entry.source or entry.shown_name, boxes=entry.boxes, files=entry.files)


def file_stem(name: str) -> str:
    """A name for downloads made from `name`: its stem ('photos.zip:labels.csv' -> 'photos', 'big.csv.gz' ->
    'big'), with no character a file name cannot hold."""
    path = Path(name.split(":", 1)[0])
    stem = Path(path.stem).stem if path.suffix.lower() == ".gz" else path.stem
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "-", stem).strip(" -") or "upload"


def session_token() -> str:
    """A random name for this browser session, never shown (a refresh starts a new one)."""
    return st.session_state.setdefault("session_token", secrets.token_urlsafe(16))


def forget_job(job_id: str | None) -> None:
    """This session stops showing the job; the session that started it also frees it on the server.

    Anyone holding a job's id (the address after a refresh, or a shared link) sees and controls
    it like its owner: the id is the capability. But only the owner frees it early, so a second
    tab opening the link and moving on never makes the job vanish from the first; the registry
    drops the others by its own limits.
    """
    state = st.session_state
    entry = job_registry().get(job_id)
    if entry is not None and entry.owner == session_token():
        job_registry().drop(job_id)
    if job_id and state.get("job_id") == job_id:
        state.pop("job_id", None)
        st.query_params.pop("job", None)


def start_over(job_id: str) -> None:
    state = st.session_state
    if state.get("job_id") == job_id:
        forget_job(job_id)
    state["use_sample"] = False
    state["uploader_round"] = state.get("uploader_round", 0) + 1


# --- browse: what the app holds ------------------------------------------------------------------


BROWSE_ROW_PX = 56  # row height in the Browse table, so the thumbnails can be made out


def browse_section(destination: Destination) -> None:
    """One page of the app's inputs at a time, with Previous and Next."""
    target = destination.target
    if target is None or destination.problem:
        problem = destination.problem
        st.info("Choose the app above to see what it holds." + (f"\n\n{problem.message} {problem.hint}" if problem else ""),
                icon=":material/info:")
        return
    state = st.session_state
    here = fingerprint(target)
    if state.get("browse_target") != here:  # another app starts on its first page
        state["browse_target"] = here
        state["browse_page"] = 1
    with st.container(horizontal=True, vertical_alignment="center"):
        st.subheader(f"Inputs in {destination.where}", width="stretch")
        st.button("Refresh", key="browse_refresh", icon=":material/refresh:",
                  help="Ask the app again, for inputs added since.")
    per_page = state.get("browse_per_page", BROWSE_SIZES[0])
    page = state.setdefault("browse_page", 1)
    try:
        total, inputs, boxes = read_page(target, page, per_page)
        if not inputs and page > 1:  # inputs were deleted since: show the last page there is
            page = state["browse_page"] = max(1, math.ceil(total / per_page))
            total, inputs, boxes = read_page(target, page, per_page)
    except IngestError as error:
        show_problem(error)
        return
    if not inputs:
        st.info("No inputs yet: upload a file first.", icon=":material/inbox:")
        return
    if isinstance(boxes, IngestError):
        st.caption(f"Bounding boxes are not shown: {boxes.message} {boxes.hint}")
        boxes = {}
    frame = pd.DataFrame(browse_rows(inputs, boxes, browse_images(inputs, target, boxes)))
    st.container(key="browse").dataframe(
        colored(frame, ("Download",)),
        hide_index=True,
        row_height=BROWSE_ROW_PX,
        placeholder="",
        height=38 + BROWSE_ROW_PX * min(len(inputs), 10),
        column_config={
            "Image": st.column_config.ImageColumn(width="small"),
            "Kind": st.column_config.TextColumn(width=60),
            "Text": st.column_config.TextColumn(width="medium"),
            "Boxes": st.column_config.TextColumn(help="The bounding boxes on the input, by what each one shows."),
            "Download": st.column_config.TextColumn(width=105),
            "Web address": st.column_config.LinkColumn(width="medium"),
        },
    )
    pages = max(page, math.ceil(total / per_page))
    first = (page - 1) * per_page + 1
    last = first + len(inputs) - 1
    with st.container(horizontal=True, vertical_alignment="center"):
        st.button("Previous", key="browse_previous", on_click=turn_page, args=(-1,), disabled=page <= 1,
                  icon=":material/chevron_left:")
        st.caption(f"Page {page:,} of {pages:,} · inputs {first:,}–{last:,} of {max(total, last):,}", width="content")
        st.button("Next", key="browse_next", on_click=turn_page, args=(1,), disabled=page >= pages,
                  icon=":material/chevron_right:")
        st.space("stretch")
        st.selectbox("Inputs per page", BROWSE_SIZES, index=BROWSE_SIZES.index(per_page), key="browse_size",
                     on_change=set_page_size, width=150, format_func=lambda n: f"{n} per page",
                     label_visibility="collapsed")


def set_page_size() -> None:
    """Kept apart from the widget's own state, which Streamlit drops while the Browse tab is closed."""
    state = st.session_state
    state["browse_per_page"] = state["browse_size"]
    state["browse_page"] = 1


def turn_page(step: int) -> None:
    st.session_state["browse_page"] = max(1, st.session_state.get("browse_page", 1) + step)


def read_page(target: Target, page: int, per_page: int
              ) -> tuple[int, list[resources_pb2.Input], dict[str, list[StoredBox]] | IngestError]:
    """(how many inputs the app holds, the inputs on `page`, their boxes by input id, or why those could
    not be read); raises `IngestError` in plain words."""
    try:
        client = Client(target, deadline=BROWSE_SECONDS)
        try:
            client.wait_ready()
            total, inputs = client.count_inputs(), client.list_page(page, per_page, BROWSE_RETRY)
            try:
                boxes = client.boxes([item.id for item in inputs], BROWSE_RETRY) if inputs else {}
            except IngestError as error:  # the inputs are worth showing without their boxes
                boxes = error
            return total, inputs, boxes
        finally:
            client.close()
    except IngestError:
        raise
    except Exception:  # the log gets the details (never a key); the page a short message
        log.exception("listing the app's inputs failed unexpectedly")
        raise IngestError("Could not read the app's inputs.", "Try again; if it happens again, send the log to the team.") from None


def browse_images(inputs: list[resources_pb2.Input], target: Target, boxes: Mapping[str, list[StoredBox]]
                  ) -> dict[str, bytes | None]:
    """The pictures to draw a page's images from, by input id: the app's own copy of each (the hosted API
    keeps one of every image it stores, sent as a url or as bytes), else an image's own url when it has boxes
    to draw (the practice server keeps no copy of what it fetched)."""
    images = [item for item in inputs if item.data.HasField("image")]
    hosted = {item.id: hosted_url(item.data.image, BROWSE_IMAGE_SIZE) for item in images}
    hosted = {input_id: url for input_id, url in hosted.items() if url}
    public = {item.id: item.data.image.url for item in images
              if item.id not in hosted and item.id in boxes and item.data.image.url}
    return {**dict(zip(hosted, fetched_images(tuple(hosted.values()), target))),
            **dict(zip(public, fetched_images(tuple(public.values()))))}


@st.cache_data(max_entries=32, ttl=FETCHED_KEPT_SECONDS, show_spinner="Fetching the images...")
def fetched_images(urls: tuple[str, ...], _target: Target | None = None) -> tuple[bytes | None, ...]:
    """The images at these urls (the app's copies, with `_target`'s key; else public ones, without a key), shrunk
    to twice a thumbnail's size (a copy in its original size may be megabytes) and kept a while: a hosted url
    names one content, and an image that could not be fetched is asked for again only once the while is over."""
    return tuple(fetch_hosted(_target, urls, small_png) if _target else fetch_public(urls, small_png))


def small_png(data: bytes | None) -> bytes | None:
    small = pictures.shrunk(data, THUMBNAIL_PX * 2) if data else None
    return pictures.png(small) if small else None


def browse_rows(inputs: list[resources_pb2.Input], boxes: Mapping[str, list[StoredBox]] | None = None,
                images: Mapping[str, bytes | None] | None = None) -> list[dict[str, object]]:
    """Stored inputs as table rows: a thumbnail for images (of the app's copy in `images`, by input id, with
    its boxes drawn; else its url), a snippet for texts, concepts, boxes (what each of an input's boxes
    shows), metadata, download."""
    boxes, images = boxes or {}, images or {}
    colors = pictures.concept_colors(box.concept for shown in boxes.values() for box in shown)
    rows = []
    for item in inputs:
        data = item.data
        kind = next((k for k in KINDS if data.HasField(k)), "")
        url = source_url(getattr(data, kind)) if kind else ""
        geo = (data.geo.geo_point.latitude, data.geo.geo_point.longitude) if data.HasField("geo") else None
        code = item.status.code
        rows.append({
            "Image": None if kind != "image" else (
                images.get(item.id) and thumbnail(images[item.id], boxes.get(item.id, ()), colors)) or url or None,
            "Input id": item.id,
            "Kind": kind,
            "Download": FETCH_STATES.get(code) or item.status.description or (
                status_code_pb2.StatusCode.Name(code) if code else ""),
            "Text": snippet(data.text.raw),
            "Concepts": [c.name or c.id for c in data.concepts if c.value > 0],
            "Not in image": [c.name or c.id for c in data.concepts if c.value == 0],
            "Boxes": box_summary([box.concept for box in boxes.get(item.id, [])]),
            "Metadata": json.dumps(whole_numbers(MessageToDict(data.metadata)), ensure_ascii=False)
                        if data.metadata.fields else "",
            "Location": place(geo),
            "Dataset": ", ".join(item.dataset_ids),  # hosted ListInputs leaves it out; shown when given
            "Web address": url,
        })
    unused = [c for c in ("Text", "Boxes", "Location", "Dataset") if not any(r[c] for r in rows)]
    if all(r["Image"] is None for r in rows):
        unused.append("Image")
    return [{k: v for k, v in r.items() if k not in unused} for r in rows]


def box_summary(concepts: list[str]) -> str:
    """Boxes by what they show: 'dog ×2, cat' for three."""
    named = Counter(concept or "(no concept)" for concept in concepts)
    return ", ".join(f"{name} ×{count}" if count > 1 else name for name, count in named.items())


def whole_numbers(value: object) -> object:
    """Metadata numbers as written: a Struct keeps every number as a float, so 3 comes back as 3.0 (and a 64-bit
    id, which the upload sends only when a float holds it exactly, as 1.15e+18)."""
    if isinstance(value, dict):
        return {k: whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**64:
        return int(value)
    return value


# --- the page ---------------------------------------------------------------------------------


def show_problem(error: IngestError) -> None:
    st.error(f"{error.message}\n\n{error.hint}" if error.hint else error.message, icon=":material/error:")


def current_job() -> tuple[str | None, JobEntry | None]:
    """The session's job: from its state, or from the address after a refresh."""
    state = st.session_state
    job_id = state.get("job_id") or st.query_params.get("job")
    entry = job_registry().get(job_id)
    if entry is None:
        if job_id:
            st.info("That upload is no longer on the server (it may have been restarted). "
                    "Choose the file again to upload it: rows already stored will show as 'already there'.")
            state.pop("job_id", None)
            st.query_params.pop("job", None)
        return None, None
    state["job_id"] = job_id
    if st.query_params.get("job") != job_id:
        st.query_params["job"] = job_id
    return job_id, entry


def main() -> None:
    st.title(TITLE)
    st.caption("Send images, videos, audio and texts to a Clarifai app: from your computer, or from a list of "
               "their web addresses (CSV, TSV or Excel). Check them first, then watch every one arrive. Browse the "
               "app to see what it holds.")
    if problem := st.session_state.pop("callback_error", None):
        st.error(problem, icon=":material/error:")
    job_id, entry = current_job()
    # One snapshot for the whole run: a job that ends mid-run must not leave the summary
    # drawn next to a still-disabled Upload button (nothing would rerun to enable it).
    status = entry.job.snapshot() if entry else None
    destination = connect_section(configured_values())
    upload_tab, browse_tab = st.tabs(["Upload", "Browse the app"], key="view", on_change="rerun")
    with upload_tab:  # always drawn, even when hidden, so its widgets keep the chosen files and settings
        upload_view(destination, job_id, entry, status)
    with browse_tab:
        if browse_tab.open:  # only an open Browse tab asks the server for its inputs
            browse_section(destination)


def upload_view(destination: Destination, job_id: str | None, entry: JobEntry | None,
                status: JobStatus | None) -> None:
    running = status is not None and not status.done
    chosen = file_section()
    given_boxes = chosen_boxes_file()
    layout = check = listed_boxes = None
    if chosen:
        layout = layout_section(chosen)
        if layout:
            layout = replace(layout, concepts=every_input_concepts(chosen))
            result = checked(chosen, layout)
            if isinstance(result, InputFileError):
                show_file_problem(result)
            else:
                check = result
                if layout.class_columns and not check.class_columns:  # the choice of a reading with such columns
                    layout = replace(layout, class_columns=False)
                listed_boxes = BoxesFile(chosen.name, chosen.data, listed=True) if check.columns.boxes else None
                preview_section(chosen, check, layout, tuple(filter(None, (listed_boxes, given_boxes))))
                if listed_boxes:  # a list of boxes: its rows are the boxes too
                    listed_check = checked_boxes(listed_boxes)
                    show_boxes_check(listed_boxes, listed_check)
                    box_rows_download(chosen, check, layout, listed_check)
    boxes, boxes_unusable = zip_boxes(chosen)  # a detection export's own boxes, unless a boxes file is chosen below
    chosen_boxes, boxes_check = boxes_section(chosen.files if chosen else None, given_boxes)
    if chosen_boxes:
        boxes, boxes_unusable = (chosen_boxes,), isinstance(boxes_check, InputFileError)
    polygons = chosen is not None and polygons_choice(chosen, (*boxes, listed_boxes) if listed_boxes else boxes)

    st.subheader("3. Upload")
    choices = replace(options_section(), polygons=polygons)
    if check and check.valid:
        choices = replace(choices, create_datasets=datasets_section(check, choices, destination))
    upload_section(chosen, check, layout, destination, choices, running, boxes, boxes_unusable)
    if job_id and entry and status:
        job_section(job_id, entry, status)


def run_page() -> None:
    st.set_page_config(page_title=TITLE, page_icon=":material/photo_library:", layout="centered")
    try:
        main()
    except FragmentHandledException:
        raise
    except Exception:  # no traceback on the page: a short message, and the details (never a key) in the log
        log.exception("the page stopped on an unexpected error")
        st.error("Something went wrong on this page. Reload it to try again; if it keeps happening, "
                 "send the server log to the team.", icon=":material/error:")


if __name__ == "__main__":  # as `streamlit run` runs it; tests may import the helpers above
    run_page()
