"""The command line as a user runs it: a subprocess, its exit code, its messages, and what the server stored."""

import csv
import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import stored_boxes

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent


def run(*args: str, env: dict | None = None, piped: bytes | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CLARIFAI_")}
    result = subprocess.run([sys.executable, "-m", "ingest", *args], capture_output=True, input=piped or b"",
                            cwd=ROOT, env={**base, **(env or {})}, timeout=120)
    return subprocess.CompletedProcess(result.args, result.returncode, result.stdout.decode(), result.stderr.decode())


def sandbox_env(sandbox) -> dict:
    config = sandbox.config
    return {"CLARIFAI_GRPC_BASE": sandbox.address, "CLARIFAI_GRPC_INSECURE": "1", "CLARIFAI_PAT": config.pat,
            "CLARIFAI_USER_ID": config.user_id, "CLARIFAI_APP_ID": config.app_id}


@pytest.fixture(autouse=True)
def empty(sandbox):
    sandbox.reset()


def test_upload_sends_valid_rows_names_invalid_ones_and_exits_1(sandbox, tmp_path):
    report, failed = tmp_path / "report.csv", tmp_path / "failed.csv"
    result = run("upload", str(DATA / "mixed.csv"), "--report", str(report), "--failed", str(failed),
                 env=sandbox_env(sandbox))
    assert result.returncode == 1, result.stderr
    assert "5 rows in" in result.stdout
    assert "2 uploaded, 0 already there, 3 invalid, 0 failed" in result.stdout
    name = str(DATA / "mixed.csv")
    assert f"{name}:4: bad-1: column 'url': the url does not start with https:// (or http://)" in result.stdout
    assert f"{name}:5: cat-1: column 'input_id': the input id 'cat-1' is already used on line 2" in result.stdout
    assert f"{name}:6: emu: column 'neg_concepts': 'bird' is listed as both positive and negative" in result.stdout
    assert (f"hint: the 3 invalid rows are in {failed}, in the file's own columns: correct them there and upload "
            "that file.") in result.stderr
    assert "Traceback" not in result.stderr and "run the same command again" not in result.stderr
    assert sorted(i.data.image.url for i in sandbox.stored_inputs()) == ["https://h.test/cat.jpg", "https://h.test/dog.jpg"]
    with open(report, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted((r["line"], r["status"]) for r in rows) == [
        ("2", "uploaded"), ("3", "uploaded"), ("4", "invalid"), ("5", "invalid"), ("6", "invalid")]
    with open(failed, newline="") as handle:
        retry_rows = list(csv.reader(handle))
    original = list(csv.reader(open(DATA / "mixed.csv", newline="")))
    assert retry_rows == [original[0], original[3], original[4], original[5]]


def test_a_workbooks_sheet_is_chosen_with_sheet_and_a_sheet_without_a_list_names_the_others(sandbox, tmp_path):
    from tests.test_read import workbook

    path = tmp_path / "book.xlsx"
    path.write_bytes(workbook({"A1": "column", "B1": "means", "A2": "url", "B2": "the image's web address"},
                              {"A1": "url", "B1": "pos_concepts", "B2": "cat",
                               "A2": '=HYPERLINK("https://h.test/a.jpg","a photo")'}))  # a link, as Google Sheets
    first = run("upload", str(path), env=sandbox_env(sandbox))
    assert first.returncode == 2 and not sandbox.stored_inputs()
    assert "Or choose the sheet that holds the list: 'Sheet2'." in first.stderr
    assert "hint: --sheet NAME reads the workbook's sheet NAME." in first.stderr
    chosen = run("upload", str(path), "--sheet", "Sheet2", env=sandbox_env(sandbox))
    assert chosen.returncode == 0, chosen.stderr
    assert {i.data.image.url: [c.id for c in i.data.concepts] for i in sandbox.stored_inputs()} == {
        "https://h.test/a.jpg": ["cat"]}
    missing = run("upload", str(path), "--sheet", "Photos", "--dry-run")
    assert missing.returncode == 2
    assert "book.xlsx: its sheet 'Photos' is not in it.\n  Its sheets with anything in them: 'Sheet1', 'Sheet2'." in (
        missing.stderr)


def test_an_old_excel_workbook_uploads_its_rows_with_the_numbers_excel_shows_them_under(sandbox, tmp_path):
    from tests.test_read import old_workbook

    path = tmp_path / "Photos.xls"
    path.write_bytes(old_workbook({"A1": "url", "B1": "input_id", "C1": "pos_concepts",
                                   "A2": "https://h.test/a.jpg", "B2": 7, "C2": "cat|pet",
                                   "A4": "ftp://h.test/b.jpg", "B4": 8}))
    result = run("upload", str(path), env=sandbox_env(sandbox))
    assert result.returncode == 1
    assert f"{path}:4: 8: column 'url': the url starts with 'ftp:'" in result.stdout  # the row number Excel shows
    assert {i.id: [c.id for c in i.data.concepts] for i in sandbox.stored_inputs()} == {"7": ["cat", "pet"]}


def test_a_csv_piped_in_uploads_and_its_rows_are_named_stdin(sandbox):
    listing = b"url,input_id\nhttps://h.test/p1.jpg,p1\nftp://h.test/p2.jpg,p2\n"
    compressed = gzip.compress(listing)  # a pipe may carry a .gz as it is
    result = run("upload", "-", env=sandbox_env(sandbox), piped=compressed)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 uploaded, 0 already there, 1 invalid, 0 failed" in result.stdout
    assert "stdin:3: p2: column 'url': the url starts with 'ftp:'" in result.stdout
    assert [i.id for i in sandbox.stored_inputs()] == ["p1"]
    again = run("upload", "-", env=sandbox_env(sandbox), piped=listing)
    assert "0 uploaded, 1 already there, 1 invalid, 0 failed" in again.stdout


def test_columns_read_under_other_names_are_named(tmp_path):
    path = tmp_path / "kaggle.csv"
    path.write_text("image_url,label,notes\nhttps://h.test/a.jpg,cat,x\n")
    result = run("upload", str(path), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "note: columns read under other names: url from 'image_url', pos_concepts from 'label'." in result.stderr
    assert "note:" not in run("upload", str(DATA / "mixed.csv"), "--dry-run").stderr  # its names are the roles'


def test_web_addresses_one_a_line_upload_without_a_header(sandbox):
    result = run("upload", "-", env=sandbox_env(sandbox), piped=b"https://h.test/a.jpg\nhttps://h.test/b.mp4\n")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 uploaded, 0 already there, 0 invalid, 0 failed" in result.stdout
    stored = {i.data.image.url or i.data.video.url for i in sandbox.stored_inputs()}
    assert stored == {"https://h.test/a.jpg", "https://h.test/b.mp4"}


def test_a_pipe_read_with_a_terminal_open_shows_a_bar_of_its_bytes_before_the_rows_are_checked():
    """Everything piped in is kept before the rows are read: a long export would otherwise show nothing for minutes."""
    import fcntl
    import pty
    import select
    import struct
    import termios
    import threading

    terminal, its_end = pty.openpty()
    fcntl.ioctl(its_end, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a new one is 0 columns wide
    base = {k: v for k, v in os.environ.items() if not k.startswith("CLARIFAI_")}
    process = subprocess.Popen([sys.executable, "-m", "ingest", "upload", "-", "--dry-run"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=its_end, cwd=ROOT, env=base)
    os.close(its_end)

    def pipe_in() -> None:
        process.stdin.write(b"url\n" + b"".join(b"https://h.test/%d.jpg\n" % n for n in range(2000)))
        process.stdin.close()

    threading.Thread(target=pipe_in).start()
    shown = b""
    while select.select([terminal], [], [], 60)[0]:
        try:
            chunk = os.read(terminal, 4096)
        except OSError:  # the terminal's other end is closed: the command is done
            break
        if not chunk:
            break
        shown += chunk
    os.close(terminal)
    assert process.wait(timeout=60) == 0 and b"2,000 rows checked" in process.stdout.read()
    assert shown.index(b"reading the pipe") < shown.index(b"checking")


def test_a_dash_with_nothing_piped_in_says_how_to_pipe_instead_of_waiting():
    controller, terminal = os.openpty()  # stdin a terminal, as when '-' is typed by mistake
    try:
        result = subprocess.run([sys.executable, "-m", "ingest", "upload", "-", "--dry-run"], stdin=terminal,
                                capture_output=True, text=True, cwd=ROOT, timeout=60)
    finally:
        os.close(controller)
        os.close(terminal)
    assert result.returncode == 2
    assert "'-' reads the CSV from a pipe, but nothing is piped in." in result.stderr
    assert "zcat data.csv.gz | python -m ingest upload -" in result.stderr


def test_second_run_is_all_already_there_and_exits_0(sandbox):
    env = sandbox_env(sandbox)
    first = run("upload", str(DATA / "two.tsv"), env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    again = run("upload", str(DATA / "two.tsv"), env=env)
    assert again.returncode == 0
    assert "0 uploaded, 2 already there, 0 invalid, 0 failed" in again.stdout and "hint:" not in again.stderr
    assert len(sandbox.stored_inputs()) == 2


def test_flags_win_over_environment(sandbox):
    env = {**sandbox_env(sandbox), "CLARIFAI_PAT": "wrong", "CLARIFAI_GRPC_BASE": "127.0.0.1:9"}
    result = run("upload", str(DATA / "two.tsv"), "--base", sandbox.address, "--pat", sandbox.config.pat, env=env)
    assert result.returncode == 0, result.stderr
    assert len(sandbox.stored_inputs()) == 2


def test_a_key_read_from_a_file_with_its_line_break_still_works(sandbox):
    env = {**sandbox_env(sandbox), "CLARIFAI_PAT": sandbox.config.pat + "\n"}  # as a .env file may leave it
    result = run("upload", str(DATA / "two.tsv"), env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_apps_address_given_as_the_user_id_names_the_user_and_the_app(sandbox):
    env = {**sandbox_env(sandbox), "CLARIFAI_APP_ID": ""}
    address = f"https://clarifai.com/{sandbox.config.user_id}/{sandbox.config.app_id}"
    result = run("upload", str(DATA / "two.tsv"), "--user-id", address, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(sandbox.stored_inputs()) == 2

    result = run("upload", str(DATA / "two.tsv"), "--user-id", f"{sandbox.config.user_id}/{sandbox.config.app_id}",
                 env=env)
    assert result.returncode == 2
    assert "holds a '/', which no id has" in result.stderr and "clarifai.com/USER/APP" in result.stderr


def test_undo_deletes_the_inputs_the_upload_added_and_leaves_those_already_there(sandbox, tmp_path):
    env = sandbox_env(sandbox)
    assert run("upload", str(DATA / "two.tsv"), env=env).returncode == 0
    before = {item.id for item in sandbox.stored_inputs()}
    three = tmp_path / "three.tsv"
    three.write_text((DATA / "two.tsv").read_text() + "https://h.test/t3.jpg\td\n")
    report = tmp_path / "report.csv"
    assert run("upload", str(three), "--report", str(report), env=env).returncode == 0

    asked = run("undo", str(report), env=env)  # no terminal to ask on, and no --yes
    assert asked.returncode == 2 and "Not deleting the 1 input from sandbox/demo" in asked.stderr
    assert "--yes" in asked.stderr and len(sandbox.stored_inputs()) == 3

    undone = run("undo", str(report), "--yes", env=env)
    assert undone.returncode == 0, undone.stderr
    assert "Deleted 1 input from sandbox/demo" in undone.stdout
    assert {item.id for item in sandbox.stored_inputs()} == before

    checked = tmp_path / "dry-run.csv"
    run("upload", str(three), "--dry-run", "--report", str(checked))
    nothing = run("undo", str(checked), "--yes", env=env)
    assert nothing.returncode == 0 and "nothing to delete" in nothing.stderr
    wrong = run("undo", str(three), "--yes", env=env)
    assert wrong.returncode == 2 and "is not a report of an upload" in wrong.stderr


def test_undo_on_a_terminal_asks_first_and_deletes_only_after_a_yes(sandbox, tmp_path):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CLARIFAI_")}, **sandbox_env(sandbox)}
    report = tmp_path / "report.csv"
    assert run("upload", str(DATA / "two.tsv"), "--report", str(report), env=env).returncode == 0
    for answer, exit_code, left in ((b"n\n", 2, 2), (b"y\n", 0, 0)):
        controller, terminal = os.openpty()
        try:
            os.write(controller, answer)  # typed ahead: the terminal keeps it until the question reads it
            result = subprocess.run([sys.executable, "-m", "ingest", "undo", str(report)], stdin=terminal,
                                    capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
        finally:
            os.close(controller)
            os.close(terminal)
        assert f"Delete the 2 inputs {report} lists as uploaded from sandbox/demo" in result.stdout
        assert result.returncode == exit_code and len(sandbox.stored_inputs()) == left


def test_wrong_key_exits_2_with_a_plain_message_and_never_prints_the_key(sandbox):
    env = {**sandbox_env(sandbox), "CLARIFAI_PAT": "very-secret-wrong-token"}
    result = run("upload", str(DATA / "two.tsv"), env=env)
    assert result.returncode == 2
    assert "error: The server refused the key" in result.stderr
    assert "Settings > Secrets" in result.stderr
    assert "very-secret-wrong-token" not in result.stdout + result.stderr
    assert sandbox.stored_inputs() == []


def test_unreachable_server_exits_2_naming_the_address():
    result = run("upload", str(DATA / "two.tsv"), "--base", "127.0.0.1:9", "--insecure", "--api-key", "k")
    assert result.returncode == 2
    assert "Could not connect to the server at 127.0.0.1:9" in result.stderr


def test_blog_command_line_works_and_false_means_false(sandbox, tmp_path):
    env = {"CLARIFAI_GRPC_BASE": sandbox.address, "CLARIFAI_GRPC_INSECURE": "1"}
    key = sandbox.config.api_key
    first = run("--api_key", key, "--csv_file", str(DATA / "two.tsv"), "--batch_size", "1", env=env)
    assert first.returncode == 0, first.stderr
    assert sandbox.stats().post_calls == 2
    same_url = tmp_path / "same-url.csv"
    same_url.write_text("url,input_id\nhttps://h.test/t1.jpg,another\n")
    result = run("--api_key", key, "--csv_file", str(same_url), "--allow_duplicate_url", "false", env=env)
    assert result.returncode == 0
    assert "1 row in" in result.stdout and "1 already there" in result.stdout
    assert len(sandbox.stored_inputs()) == 2
    bad = run("--api_key", key, "--csv_file", str(same_url), "--allow_duplicate_url", "maybe", env=env)
    assert bad.returncode == 2 and "write true or false" in bad.stderr


def test_web_addresses_under_a_filename_column_are_uploaded_as_urls(sandbox, tmp_path):
    listing = tmp_path / "export.csv"
    listing.write_text("filename,class\nhttps://example.com/a.jpg,cat\nhttps://example.com/b.jpg,dog\n")
    result = run("upload", str(listing), env=sandbox_env(sandbox))
    assert result.returncode == 0, result.stdout + result.stderr
    stored = {item.data.image.url: [c.id for c in item.data.concepts] for item in sandbox.stored_inputs()}
    assert stored == {"https://example.com/a.jpg": ["cat"], "https://example.com/b.jpg": ["dog"]}


def test_dry_run_needs_no_credentials_and_sends_nothing(sandbox, tmp_path):
    report = tmp_path / "report.csv"
    result = run("upload", str(DATA / "mixed.csv"), "--dry-run", "--report", str(report))
    assert result.returncode == 1
    assert "5 rows checked" in result.stdout and "nothing sent: 2 ready to upload, 3 invalid" in result.stdout
    assert ("hint: --failed PATH writes the 3 invalid rows, in the file's own columns, to a file to correct and "
            "upload.") in result.stderr
    assert sandbox.stats().post_calls == 0
    with open(report, newline="") as handle:  # nothing was uploaded: the report says so too
        statuses = sorted((int(row["line"]), row["status"]) for row in csv.DictReader(handle))
    assert statuses == [(2, "ready"), (3, "ready"), (4, "invalid"), (5, "invalid"), (6, "invalid")]


def test_a_file_named_without_the_upload_command_is_uploaded(sandbox):
    result = run(str(DATA / "mixed.csv"), "--dry-run")
    assert result.returncode == 1 and "nothing sent: 2 ready to upload, 3 invalid" in result.stdout
    typo = run("uplaod", str(DATA / "mixed.csv"))  # not a file: a command mistyped
    assert typo.returncode == 2 and "invalid choice: 'uplaod' (choose from 'upload', 'undo', 'sandbox')" in typo.stderr


def test_share_links_urls_with_spaces_and_urls_without_https_are_sent_as_a_browser_would(sandbox, tmp_path):
    path = tmp_path / "drive.csv"
    path.write_text("url,label\nhttps://drive.google.com/file/d/1AbC/view?usp=sharing,cat\n"
                    "https://www.dropbox.com/s/k3y/dog.jpg?dl=0,dog\nhttps://drive.google.com/drive/folders/9Z,pet\n"
                    "https://h.test/my cat.jpg,cat\nwww.h.test/owl.jpg,owl\n//h.test/emu.jpg,emu\n")
    result = run("upload", str(path), env=sandbox_env(sandbox))
    assert result.returncode == 1, result.stderr  # the folder's row
    assert ("note: 2 rows link to a page that shows the file (on Google Drive, Dropbox, GitHub or Hugging Face): the "
            "link to the file itself is sent instead. The server can fetch a file only if anyone with the link may "
            "open it.") in result.stderr.splitlines()
    assert ("note: 1 row gives a web address with spaces: each space is sent written as %20, as a browser sends it."
            ) in result.stderr.splitlines()
    assert ("note: 2 rows give web addresses without https:// at the start: https:// is put there, as a browser does. "
            "A site that only answers http:// is named after the upload, when the server cannot fetch from it."
            ) in result.stderr.splitlines()
    assert f"{path}:4: column 'url': this is a Google Drive folder, not a file" in result.stdout
    stored = {i.data.image.url for i in sandbox.stored_inputs()}
    assert {"https://drive.google.com/uc?export=download&id=1AbC", "https://www.dropbox.com/s/k3y/dog.jpg?dl=1",
            "https://h.test/my%20cat.jpg", "https://www.h.test/owl.jpg", "https://h.test/emu.jpg"} <= stored
    assert not {url for url in stored if "/view" in url or "dl=0" in url}


def test_concepts_that_look_alike_or_hold_a_comma_or_semicolon_are_named_as_the_preview_names_them(tmp_path):
    path = tmp_path / "places.csv"
    path.write_text('url,pos_concepts,neg_concepts\nhttps://h.test/a.jpg,"cat, dog",Dog\n'
                    'https://h.test/b.jpg,"Washington, D.C.|dog",\nhttps://h.test/c.jpg,City , city\n'
                    'https://h.test/d.jpg,cat;dog,\n')
    result = run("upload", str(path), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert ("note: Concepts that differ only in capitals or spaces: 'City' and 'city'; 'Dog' and 'dog'. The app keeps "
            "them apart. Write each one alike everywhere if they are the same thing.") in result.stderr.splitlines()
    assert ("note: Concepts with a comma or a semicolon in their name: 'Washington, D.C.', 'cat, dog' and 'cat;dog'. "
            "Each is one concept. If you meant several, separate them with | instead (such as cat|dog), or say that "
            "the comma or the semicolon separates them: on the page under Match your columns, on the command line "
            "with --concept-separator ',' or --concept-separator ';'.") in result.stderr.splitlines()
    clean = run("upload", str(DATA / "mixed.csv"), "--dry-run")
    assert "note: Concepts" not in clean.stderr


def test_columns_of_1s_and_0s_are_offered_and_read_as_concepts_with_class_columns(sandbox, tmp_path):
    path = tmp_path / "multi.csv"
    path.write_text("url,cat,dog,bird\nhttps://h.test/a.jpg,1,0,0\nhttps://h.test/b.jpg,0,1,1\n")
    offered = run("upload", str(path), "--dry-run")
    assert ("hint: The columns 'cat', 'dog' and 'bird' hold only 1s and 0s, as a list gives one column per class. "
            "--class-columns reads each as a concept, given to the rows with a 1.") in offered.stderr.splitlines()
    result = run("upload", str(path), "--class-columns", env=sandbox_env(sandbox))
    assert result.returncode == 0, result.stderr
    assert "Ignoring columns" not in result.stderr and "--class-columns reads" not in result.stderr
    stored = {i.data.image.url: [c.id for c in i.data.concepts] for i in sandbox.stored_inputs()}
    assert stored == {"https://h.test/a.jpg": ["cat"], "https://h.test/b.jpg": ["dog", "bird"]}
    refused = run("upload", str(DATA / "two.tsv"), "--dry-run", "--class-columns")
    assert refused.returncode == 2 and "two.tsv has no columns of 1s and 0s" in refused.stderr


def test_concepts_separated_by_commas_are_read_so_when_told(sandbox, tmp_path):
    path = tmp_path / "tags.csv"
    path.write_text('url,pos_concepts,neg_concepts\nhttps://h.test/a.jpg,"beach, sunset","city"\n'
                    'https://h.test/b.jpg,"[\'dog\', \'park\']",\n')
    result = run("upload", str(path), "--concept-separator", ",", env=sandbox_env(sandbox))
    assert result.returncode == 0, result.stderr
    assert "note: Concepts with a comma" not in result.stderr
    stored = {i.data.image.url: {c.id: c.value for c in i.data.concepts} for i in sandbox.stored_inputs()}
    assert stored == {"https://h.test/a.jpg": {"beach": 1.0, "sunset": 1.0, "city": 0.0},
                      "https://h.test/b.jpg": {"dog": 1.0, "park": 1.0}}
    folder = tmp_path / "notes"  # files without a list: no concepts cell to split
    folder.mkdir()
    (folder / "a.txt").write_text("hello")
    refused = run("upload", str(folder), "--dry-run", "--concept-separator", ",")
    assert refused.returncode == 2 and "--concept-separator is for a list's concepts column" in refused.stderr


def test_concepts_given_for_every_input_are_stored_beside_each_rows_own(sandbox, tmp_path):
    folder = tmp_path / "photos"  # files without a list: the concepts come from the command line alone
    folder.mkdir()
    (folder / "a.txt").write_text("a cat on a mat")
    result = run("upload", str(folder), "--concept", "cat", "--concept", " pet ", env=sandbox_env(sandbox))
    assert result.returncode == 0, result.stderr
    assert [[c.id for c in i.data.concepts] for i in sandbox.stored_inputs()] == [["cat", "pet"]]
    sandbox.reset()
    path = tmp_path / "list.csv"
    path.write_text("url,pos_concepts,neg_concepts\nhttps://h.test/a.jpg,dog|cat,\nhttps://h.test/b.jpg,,cat\n")
    result = run("upload", str(path), "--concept", "cat", env=sandbox_env(sandbox))
    assert result.returncode == 1
    assert (f"{path}:3: column 'neg_concepts': 'cat' is given to every input, but this row says its input does not "
            "show it - take it out of this cell, or stop giving it to every input") in result.stdout.splitlines()
    stored = {i.data.image.url: [(c.id, c.value) for c in i.data.concepts] for i in sandbox.stored_inputs()}
    assert stored == {"https://h.test/a.jpg": [("dog", 1.0), ("cat", 1.0)]}  # its own 'cat' is not sent twice


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["upload", "missing.csv"], ["missing.csv does not exist"]),
        (["upload", str(DATA / "two.tsv"), "--batch-size", "500", "--dry-run"], ["between 1 and 128"]),
        (["upload", str(DATA / "two.tsv")], ["No key was given", "--pat", "hint: --dry-run checks the file without a "
                                             "key; to try an upload without an account, run 'python -m ingest sandbox'"]),
        (["upload", str(DATA / "two.tsv"), "--column", "colour=hue"], ["--column: write ROLE=NAME with ROLE one of"]),
        (["upload", str(DATA / "two.tsv"), "--pat", "0123abc\u200b", "--user-id", "me", "--app-id", "pets"],
         ["The personal access token holds a character no key has", "paste only the key"]),
        (["upload", str(DATA / "two.tsv"), "--dry-run", "--concept", " "],
         ["A concept for every input is empty.", "Give each one a name, such as --concept cat."]),
        (["upload", str(DATA / "two.tsv"), "--dry-run", "--dataset-id", "my set"],
         ["The dataset id 'my set' is not valid.", "Use only letters, digits, '-' and '_'"]),
        (["upload", str(DATA / "two.tsv"), "--dry-run", "--delimiter", "::"],
         ["--delimiter: write one character (such as ';'), or tab, not '::'"]),
        (["upload", str(DATA / "two.tsv"), "--dry-run", "--encoding", "rot13"],
         ["--encoding: 'rot13' is not a text encoding Python knows"]),
        (["upload", str(DATA / "two.tsv"), "--dry-run", "--encoding", "utf-16"],
         ["two.tsv is not readable as UTF-16 text", "--encoding utf-16-le or utf-16-be"]),
        (["upload", str(DATA / "two.tsv"), "--dry-run", "--report", "no/such/folder/report.csv"],
         ["no/such/folder/report.csv cannot be written: it is a folder, or its folder does not exist"]),
    ],
)
def test_bad_usage_exits_2_with_what_to_do(args, fragments):
    result = run(*args)
    assert result.returncode == 2
    for fragment in fragments:
        assert fragment in result.stderr
    assert "Traceback" not in result.stderr


def test_a_file_in_another_encoding_shows_its_line_as_each_encoding_reads_it(tmp_path):
    path = tmp_path / "neko.csv"
    path.write_bytes("url,pos_concepts\nhttps://h.test/a.jpg,ねこ|いぬ\n".encode("cp932"))
    result = run("upload", str(path), "--dry-run")
    assert result.returncode == 2
    assert ("hint: the line, read with each --encoding that can (use the one that looks right):\n"
            "  cp1252   ...ttps://h.test/a.jpg,") in result.stderr
    assert "\n  cp932    ...ttps://h.test/a.jpg,ねこ|いぬ\n" in result.stderr
    assert run("upload", str(path), "--dry-run", "--encoding", "cp932").returncode == 0


def test_a_tab_delimiter_may_be_typed_as_a_shell_passes_it_or_by_its_name():
    for typed in ("\\t", "tab", "\t"):
        result = run("upload", str(DATA / "two.tsv"), "--dry-run", "--delimiter", typed)
        assert result.returncode == 0 and "2 ready to upload, 0 invalid" in result.stdout, result.stderr


@pytest.mark.parametrize("command", [[], ["upload"], ["sandbox"]])
def test_every_command_has_help(command):
    result = run(*command, "--help")
    assert result.returncode == 0
    assert len(result.stdout.splitlines()) > 5


def test_many_problems_print_the_first_50_and_point_to_the_report(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("url\n" + "not-a-url\n" * 80)
    result = run("upload", str(path), "--dry-run")
    assert result.stdout.count("column 'url'") == 50
    assert "... and 30 more rows with problems: write them all with --report PATH." in result.stdout


def test_polygons_asked_of_boxes_that_draw_no_outline_says_they_are_boxes(tmp_path):
    path, boxes = tmp_path / "list.csv", tmp_path / "boxes.csv"
    path.write_text("url,input_id\nhttps://h.test/a.jpg,a\n")
    boxes.write_text("input_id,concept,left_col,top_row,right_col,bottom_row\na,cat,0.1,0.1,0.5,0.5\n")
    result = run("upload", str(path), "--boxes", str(boxes), "--polygons", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "note: --polygons: no box is drawn as an outline in its file, so each is sent as a box." in result.stderr
    boxes.write_text("input_id,concept,left_col,top_row,right_col,bottom_row,polygon\n"
                     "a,cat,0.1,0.1,0.5,0.5,0.1 0.1 0.5 0.1 0.3 0.5\n")
    assert "note: --polygons" not in run("upload", str(path), "--boxes", str(boxes), "--polygons", "--dry-run").stderr


def test_rows_and_boxes_with_problems_are_counted_apart_and_each_points_to_its_report(tmp_path):
    path, boxes, report = tmp_path / "bad.csv", tmp_path / "boxes.csv", tmp_path / "out.csv"
    path.write_text("url,input_id\nhttps://h.test/a.jpg,a\n" + "not-a-url,\n" * 60)
    boxes.write_text("input_id,concept,left_col,top_row,right_col,bottom_row\n" + "a,cat,0.5,0,0.1,1\n" * 70)
    result = run("upload", str(path), "--boxes", str(boxes), "--dry-run", "--report", str(report))
    assert result.stdout.count("column 'url'") == 50 and result.stdout.count("column 'right_col'") == 50
    assert f"... and 10 more rows with problems: see {report}." in result.stdout
    assert f"... and 20 more boxes with problems: see {tmp_path / 'out-boxes.csv'}." in result.stdout
    assert len((tmp_path / "out-boxes.csv").read_text().splitlines()) == 71  # every box, its header first


def test_dead_urls_are_named_after_upload_and_exit_1(tmp_path):
    from ingest.sandbox import SandboxConfig, start

    path = tmp_path / "photos.csv"
    path.write_text("url,input_id\nhttps://h.test/ok.jpg,ok\nhttps://h.test/dead/1.jpg,dead\n")
    with start(SandboxConfig(fail_urls=r"/dead/", download_delay=0.2)) as server:
        result = run("upload", str(path), "--report", str(tmp_path / "report.csv"), env=sandbox_env(server))
        assert result.returncode == 1, result.stderr
        assert "2 uploaded" in result.stdout
        assert "Downloads: 1 fetched by the server, 1 failed." in result.stdout
        assert f"{path}:3: dead: the server could not download the url" in result.stdout
        with open(tmp_path / "report.csv", newline="") as handle:
            report = {row["input_id"]: row["download"] for row in csv.DictReader(handle)}
        assert report == {"ok": "fetched", "dead": "failed"}
        skipped = run("upload", str(path), "--no-check-downloads", env=sandbox_env(server))
        assert skipped.returncode == 0 and "Downloads:" not in skipped.stdout


def test_a_list_of_one_label_a_row_uploads_each_image_once_and_reports_every_row(tmp_path):
    from ingest.sandbox import SandboxConfig, start

    path, report, failed = tmp_path / "labels.csv", tmp_path / "report.csv", tmp_path / "failed.csv"
    path.write_text("url,label\nhttps://h.test/a.jpg,cat\nhttps://h.test/a.jpg,pet\nhttps://h.test/dead/b.jpg,dog\n"
                    "https://h.test/dead/b.jpg,pet\nhttps://h.test/c.jpg,cow\n")
    with start(SandboxConfig(fail_urls=r"/dead/", download_delay=0.1)) as server:
        missing = run("upload", str(path), "--dataset-id", "nope", "--failed", str(failed), env=sandbox_env(server))
        assert missing.returncode == 1 and "5 failed" in missing.stdout
        assert ("hint: run the same command again to send the 5 failed rows again (after the change their reasons "
                "ask for, if any); rows already stored are not sent twice.") in missing.stderr
        assert failed.read_text().splitlines() == path.read_text().splitlines()  # every row, to send again

        result = run("upload", str(path), "--report", str(report), env=sandbox_env(server))
        assert result.returncode == 1, result.stderr
        assert "5 rows in" in result.stdout and "5 uploaded" in result.stdout
        assert "Downloads: 3 fetched by the server, 2 failed." in result.stdout
        assert ("note: 2 rows name the same web address or file as an earlier row: each adds its concepts to "
                "that row's input.") in result.stderr
        assert sorted((i.data.image.url, sorted(c.name for c in i.data.concepts)) for i in server.stored_inputs()) == [
            ("https://h.test/a.jpg", ["cat", "pet"]), ("https://h.test/c.jpg", ["cow"]),
            ("https://h.test/dead/b.jpg", ["dog", "pet"])]
        with open(report, newline="") as handle:
            rows = {int(row["line"]): (row["input_id"], row["status"], row["download"])
                    for row in csv.DictReader(handle)}
        assert sorted(rows) == [2, 3, 4, 5, 6]
        assert rows[2] == rows[3] and rows[2][1:] == ("uploaded", "fetched")
        assert rows[4] == rows[5] and rows[4][1:] == ("uploaded", "failed")


def test_a_list_of_boxes_uploads_each_image_once_with_all_its_boxes(sandbox, tmp_path):
    path = tmp_path / "detections.csv"
    path.write_text("url,class,xmin,ymin,xmax,ymax,width,height\n"
                    "https://h.test/a.jpg,cat,64,48,320,240,640,480\n"
                    "https://h.test/a.jpg,dog,0,0,640,480,640,480\n"
                    "https://h.test/b.jpg,dog,0,0,64,48,640,480\n"
                    "https://h.test/c.jpg,dog,0,0,700,48,640,480\n"  # a bad box on a good image
                    "not-a-url,dog,0,0,64,48,640,480\n")  # a bad url: neither image nor box is sent
    result = run("upload", str(path), env=sandbox_env(sandbox))
    assert result.returncode == 1, result.stderr
    assert "4 inputs in" in result.stdout and "3 uploaded, 0 already there, 1 invalid, 0 failed" in result.stdout
    assert "Boxes: 3 uploaded, 0 already there, 1 invalid, 1 failed." in result.stdout
    assert f"{path}:5: column 'xmax': '700' is not a number of pixels from 0 to 640" in result.stdout
    assert f"{path}:6: column 'url': the url does not start with https:// (or http://)" in result.stdout
    assert "Ignoring columns" not in result.stderr
    ids = {item.data.image.url: item.id for item in sandbox.stored_inputs()}
    assert sorted(ids) == ["https://h.test/a.jpg", "https://h.test/b.jpg", "https://h.test/c.jpg"]
    a, b = ids["https://h.test/a.jpg"], ids["https://h.test/b.jpg"]
    assert stored_boxes(sandbox) == sorted([(a, "cat", (0.1, 0.1, 0.5, 0.5)), (a, "dog", (0.0, 0.0, 1.0, 1.0)),
                                            (b, "dog", (0.0, 0.0, 0.1, 0.1))])


def test_a_list_of_boxes_rows_to_fix_hold_every_row_whose_box_was_not_added(sandbox, tmp_path):
    path, failed = tmp_path / "detections.csv", tmp_path / "failed.csv"
    lines = ["url,class,xmin,ymin,xmax,ymax,width,height",
             "https://h.test/a.jpg,cat,64,48,320,240,640,480",
             "ftp://h.test/b.jpg,dog,0,0,64,48,640,480",  # a bad url: the row to fix...
             "https://h.test/a.jpg,dog,0,0,700,48,640,480",  # a bad box on a good image
             "ftp://h.test/b.jpg,cat,1,1,64,48,640,480"]  # ...and its image's other box, which would be lost
    path.write_text("\n".join(lines) + "\n")
    result = run("upload", str(path), "--failed", str(failed), env=sandbox_env(sandbox))
    assert result.returncode == 1, result.stderr
    assert "Boxes: 1 uploaded, 0 already there, 1 invalid, 2 failed." in result.stdout
    assert failed.read_text().splitlines() == [lines[0], lines[2], lines[3], lines[4]]


def test_a_list_of_boxes_whose_urls_are_sent_changed_puts_each_box_on_its_input(sandbox, tmp_path):
    """A share link, spaces and a missing https:// change the url sent; the boxes name the input by it."""
    path = tmp_path / "detections.csv"
    path.write_text("url,class,xmin,ymin,xmax,ymax,width,height\n"
                    "https://drive.google.com/file/d/1AbC/view,cat,0,0,64,48,640,480\n"
                    "https://h.test/my dog.jpg,dog,0,0,64,48,640,480\n"
                    "www.h.test/owl.jpg,owl,0,0,64,48,640,480\n")
    result = run("upload", str(path), env=sandbox_env(sandbox))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Boxes: 3 uploaded, 0 already there, 0 invalid, 0 failed." in result.stdout
    ids = {item.data.image.url: item.id for item in sandbox.stored_inputs()}
    assert stored_boxes(sandbox) == sorted([
        (ids["https://drive.google.com/uc?export=download&id=1AbC"], "cat", (0.0, 0.0, 0.1, 0.1)),
        (ids["https://h.test/my%20dog.jpg"], "dog", (0.0, 0.0, 0.1, 0.1)),
        (ids["https://www.h.test/owl.jpg"], "owl", (0.0, 0.0, 0.1, 0.1))])


def test_a_list_of_boxes_puts_each_box_on_its_own_rows_input(sandbox, tmp_path):
    path = tmp_path / "detections.csv"  # one image stored twice under two ids, a box each
    path.write_text("url,input_id,class,left_col,top_row,right_col,bottom_row\n"
                    "https://h.test/a.jpg,a-1,cat,0,0,0.5,0.5\n"
                    "https://h.test/a.jpg,a-2,dog,0.5,0.5,1,1\n"
                    "https://h.test/a.jpg,a-1,bird,0,0.5,0.5,1\n")
    result = run("upload", str(path), env=sandbox_env(sandbox))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 inputs in" in result.stdout and "Boxes: 3 uploaded" in result.stdout
    assert stored_boxes(sandbox) == [("a-1", "bird", (0.0, 0.5, 0.5, 1.0)), ("a-1", "cat", (0.0, 0.0, 0.5, 0.5)),
                                     ("a-2", "dog", (0.5, 0.5, 1.0, 1.0))]


def test_a_parquet_list_of_urls_uploads_its_rows_with_the_columns_named_on_the_command_line(sandbox, tmp_path):
    """LAION's lists: URL and TEXT (a caption, not a text input) in Parquet; --column says which is which."""
    import pyarrow
    import pyarrow.parquet

    path = tmp_path / "part-00000.parquet"
    pyarrow.parquet.write_table(pyarrow.table({
        "URL": ["https://h.test/a.jpg", "https://h.test/b.jpg", "ftp://h.test/c.jpg"],
        "TEXT": ["a cat", "a dog", "a bird"],
        "concepts": [["cat", "pet"], [], ["bird"]],
    }), path)
    result = run("upload", str(path), "--column", "url=URL", "--column", "text=", "--column", "pos_concepts=concepts",
                 env=sandbox_env(sandbox))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "2 uploaded, 0 already there, 1 invalid" in result.stdout
    assert f"{path}:4: column 'URL': the url starts with 'ftp:'" in result.stdout  # rows are numbered as in a CSV
    assert "Ignoring columns this tool does not use: TEXT." in result.stderr
    stored = {i.data.image.url: [c.id for c in i.data.concepts] for i in sandbox.stored_inputs()}
    assert stored == {"https://h.test/a.jpg": ["cat", "pet"], "https://h.test/b.jpg": []}


def test_a_label_studio_csv_export_uploads_its_images_with_their_choices(sandbox, tmp_path):
    path = tmp_path / "project-1-at-2024-01-01.csv"  # as Label Studio exports an image classification project
    path.write_text("annotation_id,annotator,choice,created_at,id,image,lead_time,updated_at\n"
                    "1,1,Cat,2024-01-01T10:00:00Z,101,https://h.test/a.jpg,3.2,2024-01-01T10:00:03Z\n"
                    "2,1,Dog,2024-01-01T10:00:05Z,102,https://h.test/b.jpg,2.1,2024-01-01T10:00:07Z\n")
    result = run("upload", str(path), env=sandbox_env(sandbox))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Ignoring columns this tool does not use: annotation_id, annotator, created_at, id, lead_time, " \
           "updated_at." in result.stderr
    assert ("hint: --keep-other-columns stores the columns not used (annotation_id, annotator, created_at, id, "
            "lead_time ...) in each input's metadata.") in result.stderr
    stored = {i.data.image.url: [c.id for c in i.data.concepts] for i in sandbox.stored_inputs()}
    assert stored == {"https://h.test/a.jpg": ["Cat"], "https://h.test/b.jpg": ["Dog"]}


def test_values_under_no_column_name_after_the_last_named_one_are_named_in_a_warning(tmp_path):
    path = tmp_path / "tabs.tsv"  # a tab after the header's last name, as exports leave it
    path.write_text("url\tlabel\t\nhttps://h.test/a.jpg\tcat\nhttps://h.test/b.jpg\tdog\t\n")
    clean = run("upload", str(path), "--dry-run")
    assert clean.returncode == 0 and "2 ready to upload, 0 invalid" in clean.stdout
    assert "warning" not in clean.stderr  # nothing is under that last tab
    path.write_text("url\tlabel\t\nhttps://h.test/a.jpg\tcat\nhttps://h.test/b.jpg\tdog\tnote\n")
    noted = run("upload", str(path), "--dry-run")
    assert noted.returncode == 0 and "2 ready to upload, 0 invalid" in noted.stdout
    assert ("warning: Ignoring the values in column 3, which the header does not name: name it in the first line."
            ) in noted.stderr.splitlines()


def test_keep_other_columns_puts_them_in_the_metadata_and_leaves_no_warning(sandbox, tmp_path):
    path = tmp_path / "credits.csv"
    path.write_text("url,photographer,,place\nhttps://h.test/a.jpg,Ana,x,Lisbon\n")
    result = run("upload", str(path), "--keep-other-columns", env=sandbox_env(sandbox))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Ignoring columns this tool does not use: (unnamed column 3)." in result.stderr  # no name to keep it by
    assert "--keep-other-columns" not in result.stderr
    [stored] = sandbox.stored_inputs()
    assert dict(stored.data.metadata) == {"photographer": "Ana", "place": "Lisbon"}

