"""Issue 5, bad input: every malformed or hostile file in tests/data/bad/ through the CLI.

Each case runs `python -m ingest upload FILE` as a subprocess against the sandbox and
checks what a user would: the exit code, no traceback, a message naming the file, the
line, the column and the fix, and that the sandbox stored exactly the file's valid
rows. The page shows the same messages (they come from `ingest`); a second test checks
that `check_file`, which the page's preview uses, finds the same problems at the same
lines. Files too big to commit are written at test time by `make_bad_files`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from google.protobuf.json_format import MessageToDict

import make_bad_files
from ingest.check import check_file
from ingest.errors import InputFileError
from ingest.validate import generated_id

ROOT = Path(__file__).parent.parent
BAD = make_bad_files.BAD
EXIT_OK, EXIT_ROWS_INVALID, EXIT_NOT_RUN = 0, 1, 2


@dataclass(frozen=True)
class Problem:
    """One expected `FILE:LINE: ID: column 'X': message - hint` line."""

    line: int
    input_id: str  # as printed; "" when the row has none
    column: str  # "" for a problem with the whole row
    message: str  # a fragment of what is wrong
    hint: str  # a fragment of how to fix it

    def prefix(self, name: str) -> str:
        who = f" {self.input_id}:" if self.input_id else ""
        where = f" column '{self.column}':" if self.column else ""
        return f"{name}:{self.line}:{who}{where} "


@dataclass(frozen=True)
class RowCase:
    """A file that can be read: its valid rows upload, its bad rows are named."""

    file: str
    exit: int
    problems: tuple[Problem, ...]
    stored: tuple[str, ...]  # input ids the sandbox must hold afterwards, no more
    args: tuple[str, ...] = ()
    stderr: tuple[str, ...] = ()  # fragments that must appear on stderr (warnings)
    content: dict = field(default_factory=dict)  # id -> (url, positive, negative, metadata) to compare
    combined: int = 0  # valid rows combined into another row's input: each is uploaded, none stored apart

    @property
    def uploaded(self) -> int:
        return len(self.stored) + self.combined


@dataclass(frozen=True)
class FileCase:
    """A file that cannot be used at all: exit 2, `error: ...` and a hint on stderr, nothing sent."""

    file: str
    message: tuple[str, ...]  # fragments of the `error:` line (the first names the file)
    hint: str  # a fragment of the indented hint line under it


P = Problem
NOT_WEB = "put the image where the web can reach it"
FULL_ADDRESS = "write a full web address such as https://example.com/cat.jpg"
ID_CHARS = "use only letters, digits, '-' and '_', or leave it empty"
AS_OBJECT = 'write it as a JSON object, for example {"key": "value"}'
FLATTEN = "flatten it to at most 32 levels"
RAGGED = "give every row one cell per column"
SAVE_AS_UTF8 = "save it again as 'CSV UTF-8', or name the encoding (for example --encoding cp1252)"

FILE_CASES = [
    FileCase("empty.csv", ("empty.csv is empty.",), "Add a header line such as 'url,input_id,pos_concepts'"),
    FileCase("blank_lines.csv", ("blank_lines.csv is empty.",), "Add a header line"),
    FileCase("header_only.csv", ("header_only.csv has a header line but no rows under it.",),
             "Add one line per image under the header"),
    FileCase("binary_garbage.csv", ("binary_garbage.csv is not a text file",), "Choose the CSV or TSV file"),
    FileCase("zip_renamed.csv", ("zip_renamed.csv is not a readable Excel workbook",),
             "save it as a workbook (.xlsx) or as 'CSV UTF-8'"),
    FileCase("png_renamed.csv", ("png_renamed.csv is a PNG image, not a CSV or TSV file.",),
             "Choose the CSV or TSV file that lists the image urls. To upload images from your computer, choose "
             "them under 'Files from my computer' on the page, or give their folder (or a zip) on the command line."),
    FileCase("list.ods", ("list.ods is a LibreOffice or OpenOffice spreadsheet (.ods), not a CSV or TSV file.",),
             "Save it as an Excel workbook (.xlsx) or as 'CSV UTF-8'"),
    FileCase("list.numbers", ("list.numbers is an Apple Numbers spreadsheet, not a CSV or TSV file.",),
             "Save it as an Excel workbook (.xlsx) or as 'CSV UTF-8'"),
    FileCase("gzip_cut_short.csv.gz", ("gzip_cut_short.csv.gz is a damaged gzip file: it cannot be unpacked",
                                       "Compressed file ended before the end-of-stream marker was reached"),
             "Compress the CSV again (gzip), or choose the CSV itself."),
    FileCase("html_page.csv", ("html_page.csv is a web page (HTML)",), "download the CSV itself"),
    FileCase("json_export.csv", ("json_export.csv holds one JSON object, not a list of records",),
             "Export a list of records, such as Label Studio's JSON or JSON-MIN export, or convert it to a CSV table."),
    FileCase("utf16_no_bom.csv", ("utf16_no_bom.csv looks like UTF-16 text without a byte-order mark.",),
             "--encoding utf-16-le"),
    FileCase("zeros.csv", ("zeros.csv is not a text file: its first bytes are binary data.",),
             "Choose the CSV or TSV file that lists the image urls"),
    FileCase("latin1.csv", ("latin1.csv is not readable as UTF-8 text", "near line 3: byte b'\\xe9'",
                            "it looks like Windows-1252, where it is 'é'"), SAVE_AS_UTF8),
    FileCase("cp1252_excel.csv", ("cp1252_excel.csv is not readable as UTF-8 text", "near line 2: byte b'\\x93'",
                                  "it looks like Windows-1252, where it is '\u201c'"), SAVE_AS_UTF8),
    FileCase("unterminated_quote.csv", ("unterminated_quote.csv, line 3: the file cannot be split into cells",),
             'A quote (") opened on this line is never closed'),
    FileCase("stray_quote.csv", ("stray_quote.csv, line 4: the file cannot be split into cells",
                                 "',' expected after '\"'"), 'double any quote inside them ("")'),
    FileCase("late_unterminated_quote.csv", ("late_unterminated_quote.csv, line 302: the file cannot be split",),
             "never closed"),
    FileCase("late_latin1.csv", ("late_latin1.csv is not readable as UTF-8 text", "near line 3002: byte b'\\xe9'"),
             SAVE_AS_UTF8),
    FileCase("no_url_column.csv", ("no_url_column.csv has no 'url' column", "'picture', 'id'"),
             "Name the column with the image web addresses 'url'"),
    FileCase("duplicate_header.csv", ("duplicate_header.csv: the column 'url' appears 2 times in the header",
                                      "(columns 1, 3)"), "Rename or remove the extra ones"),
    FileCase("no_header.csv", ("no_header.csv has no header line: its first line is data",
                               "'https://img.test/1.jpg'"), "Add a first line naming the columns"),
]

ROW_CASES = [
    RowCase("ragged.csv", EXIT_ROWS_INVALID, (  # a row that leaves out its last cells has them empty, with a warning
        P(5, "r4", "", "this row has 4 cells but the header has 3 columns", RAGGED),
    ), ("r1", "r2", "r3", "r5"), stderr=("warning: 1 row has fewer cells than the header's 3 columns (the first on "
                                         "line 3): their last cells are read as empty.",),
        content={"r2": ("https://img.test/r2.jpg", [], [], {})}),
    RowCase("gzipped.csv.gz", EXIT_ROWS_INVALID, (  # unpacked as it is read, lines as in the CSV inside
        P(3, "z-ftp", "url", "the url starts with 'ftp:'", NOT_WEB),
    ), ("z-one",)),
    RowCase("url_schemes.csv", EXIT_ROWS_INVALID, (
        P(2, "s-file", "url", "this is a file's name, not a web address", "upload this list together with them"),
        P(3, "s-js", "url", "the url starts with 'javascript:'", NOT_WEB),
        P(4, "s-data", "url", "the url starts with 'data:'", NOT_WEB),
        P(5, "s-ftp", "url", "the url starts with 'ftp:'; only http:// and https://", NOT_WEB),
        P(8, "s-nohost", "url", "the url has no host name", FULL_ADDRESS),
        P(9, "s-formula", "url", "the url does not start with https:// (or http://)", FULL_ADDRESS),
        P(10, "s-empty", "url", "the url is empty", "put the image's web address (starting with https://) here"),
    ), ("s-upper", "s-http", "s-relative"), content={  # a url without a scheme is fetched as a browser does
        "s-relative": ("https://img.test/no-scheme.jpg", [], [], {})}),
    RowCase("url_spaces.csv", EXIT_ROWS_INVALID, (
        P(3, "sp-host", "url", "the url has a space in its site's name or its start", "remove it"),
        P(5, "sp-newline", "url", "the url contains the invisible character U+000A (a line break)", "retype the url"),
        P(7, "sp-nbsp", "url", "the url contains the invisible character U+00A0 (no-break space)", "retype the url"),
    ), ("sp-inside", "sp-padded", "sp-after"), content={"sp-padded": ("https://img.test/padded.jpg", [], [], {}),
                                                        "sp-inside": ("https://img.test/my%20cat.jpg", [], [], {})}),
    RowCase("bad_ids.csv", EXIT_ROWS_INVALID, (
        P(2, "a" * 49, "input_id", "the input id is 49 characters long (at most 48)", "shorten it to at most 48"),
        P(3, "cat-\U0001f600", "input_id", "characters that are not allowed: '\U0001f600'", ID_CHARS),
        P(4, "\u05d7\u05ea\u05d5\u05dc", "input_id", "not allowed: '\u05d7\u05ea\u05d5\u05dc'", ID_CHARS),
        P(5, "\\u202egpj.exe", "input_id", "not allowed: '\\u202e.'", ID_CHARS),
        P(6, "a\\x1b[31mred", "input_id", "not allowed: '\\x1b['", ID_CHARS),
        P(7, "has space", "input_id", "not allowed: ' '", ID_CHARS),
        P(9, '=HYPERLINK("http://evil.test")', "input_id", "not allowed: '=(\":/.)'", ID_CHARS),
    ), ("ok-id_7", "b" * 48)),
    RowCase("nul_bytes.csv", EXIT_ROWS_INVALID, (
        P(2, "n\\x00ul", "input_id", "not allowed: '\\x00'", ID_CHARS),
        P(3, "n2", "url", "the url contains the invisible character U+0000 (a NUL byte)", "retype the url"),
    ), ("n3",)),
    RowCase("metadata_deep.csv", EXIT_ROWS_INVALID, (
        P(2, "d1", "metadata", "nested too deeply (at most 32 levels)", FLATTEN),
        P(3, "d2", "metadata", "nested too deeply (at most 32 levels)", FLATTEN),
        P(5, "d4", "metadata", "the metadata is a JSON list, not an object", AS_OBJECT),
        P(6, "d5", "metadata", "nested too deeply (at most 32 levels)", FLATTEN),
        P(7, "d6", "metadata", "nested too deeply (at most 32 levels)", FLATTEN),
    ), ("d3",)),
    RowCase("metadata_kinds.csv", EXIT_ROWS_INVALID, (
        P(2, "m1", "metadata", "the metadata is a JSON list, not an object", AS_OBJECT),
        P(3, "m2", "metadata", "the metadata is a JSON number, not an object", AS_OBJECT),
        P(4, "m3", "metadata", "the metadata is a JSON string, not an object", AS_OBJECT),
        P(6, "m5", "metadata", "the metadata is a JSON true/false, not an object", AS_OBJECT),
        P(12, "m11", "metadata", "not valid JSON (Expecting value at character 7)", AS_OBJECT),
    ), ("m4", "m6", "m7", "m8", "m9", "m10"), content={
        # Python's notation (pandas writes a dict so), and its trailing comma: what the row means is plain
        "m4": ("https://img.test/m4.jpg", [], [], {}),  # null: none, as an empty cell
        "m6": ("https://img.test/m6.jpg", [], [], {"single": "quotes"}),
        "m7": ("https://img.test/m7.jpg", [], [], {"a": 1}),
        # A formula-looking text is data: it is stored as written, never evaluated or altered.
        "m8": ("https://img.test/m8.jpg", [], [], {"cell": '=HYPERLINK("http://evil.test","click")'}),
        "m9": ("https://img.test/m9.jpg", [], [], {}),
        "m10": ("https://img.test/m10.jpg", [], [], {"n": 1.5, "tags": ["a"], "nested": {"ok": True}}),
    }),
    RowCase("duplicates.csv", EXIT_ROWS_INVALID, (
        P(3, "same", "input_id", "the input id 'same' is already used on line 2", "give each row its own input id"),
        P(5, "", "", "this row repeats line 4 exactly", "remove the repeated row"),
    ), ("same", generated_id("https://img.test/u3.jpg", ("cat", "dog"), (), None), "SAME"), combined=1,  # u3's rows
        content={"same": ("https://img.test/u1.jpg", ["cat"], [], {}),
                 generated_id("https://img.test/u3.jpg", ("cat", "dog"), (), None): (
                     "https://img.test/u3.jpg", ["cat", "dog"], [], {})}),
    RowCase("concept_both.csv", EXIT_ROWS_INVALID, (
        P(2, "c1", "neg_concepts", "'dog' is listed as both positive and negative", "keep each concept in one"),
    ), ("c2", "c3", "c4"), content={
        "c2": ("https://img.test/c2.jpg", ["cat"], ["dog"], {}),
        "c3": ("https://img.test/c3.jpg", ["cat"], [], {}),
        "c4": ("https://img.test/c4.jpg", [], ["dog", "Dog"], {}),
    }),
    RowCase("cr_only.csv", EXIT_ROWS_INVALID, (
        P(3, "cr2", "url", "the url starts with 'ftp:'", NOT_WEB),
    ), ("cr1", "cr3")),
    RowCase("mixed_newlines.csv", EXIT_ROWS_INVALID, (
        P(8, "x4", "url", "the url starts with 'ftp:'", NOT_WEB),
        P(10, "x6", "url", "the url starts with 'ftp:'", NOT_WEB),
        P(11, "x7", "metadata", "not valid JSON (a line break inside a text, at character 14)",
          "write a line break inside a text as \\n"),
    ), ("x1", "x2", "x3", "x5", "x8"), content={"x2": ("https://img.test/x2.jpg", [], [], {"note": "pretty-printed"})}),
    RowCase("bom_middle.csv", EXIT_ROWS_INVALID, (
        P(3, "b2", "url", "the url contains the invisible character U+FEFF (a byte-order mark", "retype the url"),
        P(4, "\\ufeffb3", "input_id", "not allowed: '\\ufeff'", ID_CHARS),
    ), ("b1", "b4")),
    RowCase("delimiters_only.csv", EXIT_ROWS_INVALID, (
        P(7, "e3", "url", "the url does not start with https:// (or http://)", FULL_ADDRESS),
    ), ("e1", "e2")),
    RowCase("sep_line_excel.csv", EXIT_ROWS_INVALID, (
        P(4, "sl2", "url", "the url does not start with https:// (or http://)", FULL_ADDRESS),
    ), ("sl1",)),
    # Valid but unusual: every row arrives as written.
    RowCase("header_spaces_case.csv", EXIT_OK, (), ("h1", "h2"), content={
        "h1": ("https://img.test/h1.jpg", ["cat"], ["dog"], {"k": "v"}),
        "h2": ("https://img.test/h2.jpg", [], [], {}),
    }),
    RowCase("utf16_bom.tsv", EXIT_OK, (), ("t1", "t2"), content={
        "t1": ("https://img.test/t1.jpg", ["caf\u00e9", "\u732b"], [], {"caption": "\u00fcber \u6771\u4eac"}),
    }),
    RowCase("semicolon_excel.csv", EXIT_OK, (), ("sc1", "sc2"), content={
        "sc1": ("https://img.test/x1.jpg", ["cat"], [], {"price": "3,50", "note": "a;b"}),
        "sc2": ("https://img.test/x2.jpg", ["dog", "bird"], [], {}),
    }),
    RowCase("empty_header_name.csv", EXIT_OK, (), ("eh1",),
            stderr=("warning: Ignoring columns this tool does not use: (unnamed column 2).",)),
    # The encoding the error message suggested, named: the same files upload correctly.
    RowCase("latin1.csv", EXIT_OK, (), ("l1", "l2", "l3"), args=("--encoding", "cp1252"), content={
        "l2": ("https://img.test/l2.jpg", ["caf\u00e9"], [], {}),
        "l3": ("https://img.test/l3.jpg", ["cr\u00e8me br\u00fbl\u00e9e"], [], {}),
    }),
    RowCase("cp1252_excel.csv", EXIT_OK, (), ("w1",), args=("--encoding", "cp1252"), content={
        "w1": ("https://img.test/w1.jpg", [], [], {"note": "\u201csmart quotes\u201d \u2013 Excel"}),
    }),
    RowCase("utf16_no_bom.csv", EXIT_OK, (), ("one",), args=("--encoding", "utf-16-le")),
]


def run_cli(folder: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`python -m ingest ...` in `folder`, so messages name files as the user typed them."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("CLARIFAI_")}
    base["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), base.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "ingest", *args], cwd=folder, env={**base, **(env or {})},
                          capture_output=True, text=True, encoding="utf-8", errors="backslashreplace",
                          timeout=120)


def sandbox_env(sandbox) -> dict[str, str]:
    config = sandbox.config
    return {"CLARIFAI_GRPC_BASE": sandbox.address, "CLARIFAI_GRPC_INSECURE": "1", "CLARIFAI_PAT": config.pat,
            "CLARIFAI_USER_ID": config.user_id, "CLARIFAI_APP_ID": config.app_id}


def stored(sandbox) -> dict[str, tuple]:
    """What the sandbox holds: id -> (url, positive, negative, metadata)."""
    held = {}
    for item in sandbox.stored_inputs():
        data = item.data
        positive = [c.name for c in data.concepts if c.value == 1.0]
        negative = [c.name for c in data.concepts if c.value == 0.0]
        held[item.id] = (data.image.url, positive, negative, MessageToDict(data.metadata))
    return held


def assert_no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stderr


def assert_problems(name: str, output: str, problems: tuple[Problem, ...]) -> None:
    """Exactly these problem lines, each at its line with its id, column, message and hint."""
    lines = [line for line in output.splitlines() if line.startswith(f"{name}:")]
    assert len(lines) == len(problems), "\n".join(lines)
    for problem in problems:
        found = [line for line in lines if line.startswith(problem.prefix(name))]
        assert len(found) == 1, f"no line starts with {problem.prefix(name)!r}:\n" + "\n".join(lines)
        what, _, how = found[0][len(problem.prefix(name)):].partition(" - ")
        assert problem.message in what, found[0]
        assert problem.hint in how, found[0]


def assert_file_error(case: FileCase, stderr: str) -> None:
    lines = stderr.splitlines()
    errors = [i for i, line in enumerate(lines) if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    first, hint = lines[errors[0]], lines[errors[0] + 1]
    assert first.startswith(f"error: {case.file}"), first
    for fragment in case.message:
        assert fragment in first, first
    assert hint.startswith("  ") and case.hint in hint, hint


def test_the_committed_corpus_is_what_make_bad_files_writes():
    for name, data in make_bad_files.CORPUS.items():
        assert (BAD / name).read_bytes() == data, f"{name}: run python tests/make_bad_files.py"
    named = {case.file for case in FILE_CASES} | {case.file for case in ROW_CASES}
    assert named == set(make_bad_files.CORPUS), "every corpus file has a case, every case a file"
    assert len(named) >= 30


@pytest.mark.parametrize("case", FILE_CASES, ids=lambda case: case.file)
def test_unusable_file_exits_2_with_the_problem_and_the_fix_and_sends_nothing(sandbox, case: FileCase):
    sandbox.reset()
    result = run_cli(BAD, "upload", case.file, env=sandbox_env(sandbox))
    assert_no_traceback(result)
    assert result.returncode == EXIT_NOT_RUN, result.stdout + result.stderr
    assert_file_error(case, result.stderr)
    assert f"{case.file}:" not in result.stdout  # no row lines for a file that was never read
    assert sandbox.stored_inputs() == []
    assert sandbox.stats().post_calls == 0


@pytest.mark.parametrize("case", ROW_CASES, ids=lambda case: " ".join((case.file, *case.args)))
def test_each_bad_row_is_named_and_exactly_the_valid_rows_are_stored(sandbox, case: RowCase):
    sandbox.reset()
    result = run_cli(BAD, "upload", case.file, *case.args, env=sandbox_env(sandbox))
    assert_no_traceback(result)
    assert result.returncode == case.exit, result.stdout + result.stderr
    assert f"{case.uploaded} uploaded, 0 already there, {len(case.problems)} invalid, 0 failed" in result.stdout
    assert_problems(case.file, result.stdout, case.problems)
    for fragment in case.stderr:
        assert fragment in result.stderr
    held = stored(sandbox)
    assert sorted(held) == sorted(case.stored)
    for input_id, expected in case.content.items():
        assert held[input_id] == expected
    for raw in ("\x00", "\x1b", "\u202e"):  # hostile characters are shown escaped, never sent to the terminal
        assert raw not in result.stdout + result.stderr


@pytest.mark.parametrize("case", FILE_CASES + ROW_CASES, ids=lambda case: " ".join(
    (case.file, *getattr(case, "args", ()))))
def test_the_page_preview_finds_the_same_problems(case):
    """The page uses `check_file`; its messages are the CLI's, at the same lines."""
    encoding = case.args[1] if isinstance(case, RowCase) and case.args else None
    with open(BAD / case.file, "rb") as stream:
        if isinstance(case, FileCase):
            with pytest.raises(InputFileError) as caught:
                check_file(stream, case.file)
            assert_file_error(case, f"error: {caught.value.message}\n  {caught.value.hint}")
            return
        checked = check_file(stream, case.file, encoding=encoding)
    lines = [f"{case.file}:{e.line}:{f' {e.input_id}:' if e.input_id else ''} {e.reason}" for e in checked.errors]
    assert_problems(case.file, "\n".join(lines), case.problems)
    assert checked.valid == case.uploaded


def test_a_10_mb_cell_is_refused_with_its_size_and_the_rest_uploads(sandbox, tmp_path):
    metadata_chars, url_chars = make_bad_files.write_field_10mb(tmp_path / "field_10mb.csv")
    sandbox.reset()
    result = run_cli(tmp_path, "upload", "field_10mb.csv", env=sandbox_env(sandbox))
    assert_no_traceback(result)
    assert result.returncode == EXIT_ROWS_INVALID, result.stderr
    assert_problems("field_10mb.csv", result.stdout, (
        P(2, "f1", "metadata", f"the metadata is {metadata_chars:,} characters long (at most 524,288)",
          "store large data elsewhere"),
        P(3, "f2", "url", f"the url is {url_chars:,} characters long (at most 8,192)", "text pasted into it"),
    ))
    assert sorted(stored(sandbox)) == ["f3"]
    assert len(result.stdout) < 10_000  # the 10 MB never reaches the terminal


def test_a_1_mb_line_is_one_bad_row_and_a_1_mb_id_is_shown_cut(sandbox, tmp_path):
    cells = make_bad_files.write_line_1mb(tmp_path / "line_1mb.csv")
    sandbox.reset()
    result = run_cli(tmp_path, "upload", "line_1mb.csv", env=sandbox_env(sandbox))
    assert_no_traceback(result)
    assert result.returncode == EXIT_ROWS_INVALID, result.stderr
    assert_problems("line_1mb.csv", result.stdout, (
        P(2, "g1", "", f"this row has {cells} cells but the header has 2 columns", RAGGED),
        P(3, "i" * 300 + "...", "input_id", "the input id is 1,048,576 characters long (at most 48)",
          "shorten it"),
    ))
    assert sorted(stored(sandbox)) == ["g3"]
    assert len(result.stdout) < 10_000


PEAK_RSS_BYTES = 200 * make_bad_files.MB  # the file's own size: a reader that held it whole could not fit
STREAM_SECONDS = 60.0

_MEASURE = """
import json, resource, subprocess, sys
result = subprocess.run(sys.argv[1:], capture_output=True, text=True)
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
print(json.dumps({"code": result.returncode, "out": result.stdout, "err": result.stderr, "peak_kib": peak_kib}))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux only")
def test_a_200_mb_csv_streams_in_bounded_memory(tmp_path):
    """Checked with --dry-run in a fresh process: every row read, validated and built; peak memory measured."""
    path = tmp_path / "big_200mb.csv"
    facts = make_bad_files.write_big_csv(path)
    assert path.stat().st_size >= 200 * make_bad_files.MB
    base = {k: v for k, v in os.environ.items() if not k.startswith("CLARIFAI_")}
    base["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), base.get("PYTHONPATH")]))
    started = time.monotonic()
    try:
        measured = subprocess.run(
            [sys.executable, "-c", _MEASURE, sys.executable, "-m", "ingest", "upload", path.name, "--dry-run"],
            cwd=tmp_path, env=base, capture_output=True, text=True, timeout=300,
        )
    finally:
        path.unlink()  # pytest keeps recent tmp dirs; 200 MB each is not worth keeping
    seconds = time.monotonic() - started
    report = json.loads(measured.stdout)
    assert "Traceback" not in report["out"] + report["err"]
    assert report["code"] == EXIT_ROWS_INVALID, report["err"]
    assert f"{facts['rows']:,} rows checked" in report["out"]
    assert f"nothing sent: {facts['valid']:,} ready to upload, 2 invalid" in report["out"]
    assert_problems(path.name, report["out"], (
        P(facts["bad_metadata_line"], "bad-metadata", "metadata", "not valid JSON (Expecting value", AS_OBJECT),
        P(facts["bad_url_line"], "bad-url", "url", "the url starts with 'ftp:'", NOT_WEB),
    ))
    assert report["peak_kib"] * 1024 < PEAK_RSS_BYTES, f"peak RSS {report['peak_kib'] / 1024:.0f} MiB"
    assert seconds < STREAM_SECONDS
