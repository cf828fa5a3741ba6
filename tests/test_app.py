"""The page through Streamlit's AppTest: choose a file, check it, upload it, watch it land.

Uploads go to the module's sandbox, named by CLARIFAI_* environment variables as an
operator would set them, and the tests assert what the sandbox stored.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import os
import shutil
import tempfile
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from google.protobuf.json_format import MessageToDict
from streamlit.testing.v1 import AppTest

from ingest.report import renumbered_report, rows_csv
from ingest.sandbox import Sandbox, SandboxConfig, start
from ingest.validate import generated_id
from tests.conftest import point_at, stub_for, thumbnail

PAGE = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
RUN_SECONDS = 30  # for one script run; the upload itself is waited on with a deadline
DONE_SECONDS = 30

GOOD_AND_BAD = (
    b"url,input_id,pos_concepts,neg_concepts,metadata\n"
    b'https://example.com/a.jpg,cat-1,cat|pet,dog,"{""shop"": ""north""}"\n'
    b"https://example.com/b.jpg,cat-2,cat,,\n"
    b"ftp://example.com/c.jpg,cat-3,cat,,\n"
    b"https://example.com/d.jpg,cat-4,dog,,{not json}\n"
    b"https://example.com/e.jpg,,dog,,\n"
)


def page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=RUN_SECONDS).run()
    assert not at.exception
    return at


def choose(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, data, "text/csv")).run()
    assert not at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    """Metric label (without its icon) -> value."""
    return {m.label.rsplit(": ", 1)[-1]: m.value for m in at.metric}


def texts(elements) -> str:
    return "\n".join(e.value for e in elements)


def run_until(at: AppTest, done: Callable[[AppTest], bool], seconds: float = DONE_SECONDS) -> AppTest:
    """Rerun the page (as its polling fragment would) until `done` holds or the deadline passes."""
    deadline = time.monotonic() + seconds
    while True:
        at.run()
        assert not at.exception
        if done(at):
            return at
        if time.monotonic() > deadline:
            raise AssertionError(f"not done within {seconds} s; the page shows:\n{at.main}")
        time.sleep(0.05)


def upload_finished(at: AppTest) -> bool:
    return "start_over" in keys(at, "button")


def keys(at: AppTest, kind: str) -> set[str]:
    return {w.key for w in at.get(kind) if getattr(w, "key", None)}


def upload(at: AppTest) -> AppTest:
    at.button(key="upload").click().run()
    assert not at.exception
    return run_until(at, upload_finished)


def stored(sandbox: Sandbox) -> dict[str, resources_pb2.Input]:
    return {item.id: item for item in sandbox.stored_inputs()}


# --- file and preview -----------------------------------------------------------------------


def test_preview_counts_rows_and_lists_each_invalid_row_with_a_fix(server_env: Sandbox) -> None:
    at = choose(page(), "photos.csv", GOOD_AND_BAD)

    assert metrics(at) == {"Rows found": "5", "Ready to upload": "3", "Need fixing": "2"}
    preview = at.dataframe[0].value
    assert list(preview["Line"]) == [2, 3, 4, 5, 6]
    assert list(preview["Status"]) == ["ready", "ready", "needs fixing", "needs fixing", "ready"]
    assert preview["Image"][0] == "https://example.com/a.jpg"
    assert list(preview["Concepts"][0]) == ["cat", "pet"] and list(preview["Not in image"][0]) == ["dog"]
    assert json.loads(preview["Metadata"][0]) == {"shop": "north"}

    invalid = at.table[0].value
    assert list(invalid["Line"]) == [4, 5]
    assert list(invalid["Column"]) == ["url", "metadata"]
    assert "only http:// and https://" in invalid["What is wrong"][0]
    assert "not valid JSON" in invalid["What is wrong"][1]
    assert all(invalid["How to fix it"])
    assert [b.label for b in at.get("download_button") if b.key == "invalid_download"] == [
        "Download the 2 rows to fix"
    ]
    assert at.button(key="upload").label == "Upload 3 rows"
    assert not at.button(key="upload").disabled


def test_sample_data_button_loads_the_bundled_example() -> None:
    at = page()
    at.button(key="sample").click().run()
    assert not at.exception
    assert metrics(at) == {"Rows found": "12", "Ready to upload": "12", "Need fixing": "0"}
    assert at.button(key="upload").label == "Upload 12 rows"
    # A file chosen afterwards replaces the sample.
    choose(at, "photos.csv", GOOD_AND_BAD)
    assert metrics(at)["Rows found"] == "5"


def test_a_file_without_a_url_column_can_be_mapped_by_hand(server_env: Sandbox) -> None:
    at = choose(page(), "shop.csv", b"picture,sku,tags\nhttps://example.com/a.jpg,sku-1,shoe|red\n")
    assert "no column named **url**" in texts(at.warning)
    assert "no 'url' column" in texts(at.error)
    assert at.button(key="upload").disabled

    tag = next(k for k in keys(at, "selectbox") if k.startswith("role_url_")).removeprefix("role_url_")
    at.selectbox(key=f"role_url_{tag}").set_value("picture")
    at.selectbox(key=f"role_input_id_{tag}").set_value("sku")
    at.selectbox(key=f"role_pos_concepts_{tag}").set_value("tags").run()
    assert not at.exception
    assert metrics(at) == {"Rows found": "1", "Ready to upload": "1", "Need fixing": "0"}

    upload(at)
    item = stored(server_env)["sku-1"]
    assert item.data.image.url == "https://example.com/a.jpg"
    assert [c.id for c in item.data.concepts] == ["shoe", "red"]


def test_an_unreadable_file_gets_a_plain_message_and_no_upload_button(server_env: Sandbox) -> None:
    at = choose(page(), "empty.csv", b"")
    assert "is empty" in texts(at.error)
    assert at.button(key="upload").disabled


# The CLI prints an unusable file's IngestError (message, then hint) and each bad row's RowError
# (line, id, column, message, hint); both come from `ingest`, and tests/test_bad_files.py checks
# the CLI's output against them. Here: the page shows the very same text for the same files.
BAD_FILES = Path(__file__).resolve().parent / "data" / "bad"
BAD_FILES_ON_THE_PAGE = ["empty.csv", "binary_garbage.csv", "latin1.csv", "unterminated_quote.csv",
                         "no_url_column.csv", "header_only.csv", "ragged.csv"]


@pytest.mark.parametrize("name", BAD_FILES_ON_THE_PAGE)
def test_a_bad_file_gets_the_same_message_on_the_page_as_in_the_cli(name: str) -> None:
    from ingest.check import check_file
    from ingest.errors import EncodingError, InputFileError

    path = BAD_FILES / name
    if not path.exists():
        pytest.skip(f"{path} is not in the corpus")
    data = path.read_bytes()
    at = choose(page(), name, data)
    assert "Something went wrong" not in texts(at.error)
    try:
        check = check_file(io.BytesIO(data), name)
    except InputFileError as error:
        shown = [e.value for e in at.error]
        if isinstance(error, EncodingError):  # the same words, with the page's Encoding box for the CLI's flag
            assert error.message in shown and "(Encoding)" in texts(at.info), shown
        else:
            assert f"{error.message}\n\n{error.hint}" in shown, shown
        assert at.button(key="upload").disabled
        return
    assert check.errors, f"{name} was expected to have bad rows"
    table = at.table[0].value
    assert list(table["Line"]) == [e.line for e in check.errors]
    ids, columns = [e.input_id for e in check.errors], [e.column for e in check.errors]  # left out when all empty
    assert list(table["Input id"]) == ids if any(ids) else "Input id" not in table
    assert list(table["Column"]) == [c or "(whole row)" for c in columns] if any(columns) else "Column" not in table

    assert list(table["What is wrong"]) == [e.message for e in check.errors]
    assert list(table["How to fix it"]) == [e.hint for e in check.errors]
    assert metrics(at) == {"Rows found": f"{check.rows}", "Ready to upload": f"{check.valid}",
                           "Need fixing": f"{check.invalid}"}


# --- connection -----------------------------------------------------------------------------


def test_a_list_of_files_chosen_without_them_says_to_choose_them_with_it() -> None:
    at = choose(page(), "labels.csv", b"file,pos_concepts\na.png,cat\n")
    assert "labels.csv names files in its column 'file', but none of them came with it." in texts(at.error)
    assert at.button(key="upload").disabled
    at.file_uploader[0].set_value([("labels.csv", b"file,pos_concepts\na.png,cat\n", "text/csv"),
                                   ("a.png", thumbnail(0), "image/png")]).run()
    assert not at.error and metrics(at)["Ready to upload"] == "1"


def test_several_lists_chosen_at_once_are_to_be_chosen_one_at_a_time() -> None:
    at = page()
    at.file_uploader[0].set_value([("a.csv", b"url\nhttps://h.test/a.jpg\n", "text/csv"),
                                   ("b.csv", b"url\nhttps://h.test/b.jpg\n", "text/csv")]).run()
    assert "**a.csv and b.csv are lists: choose one at a time.** Their rows are not combined." in texts(at.warning)
    assert not at.metric and at.button(key="upload").disabled
    at.file_uploader[0].set_value([("a.txt", b"a first text", "text/plain"),  # texts to upload, not lists
                                   ("b.txt", b"a second text", "text/plain")]).run()
    assert not at.warning and metrics(at)["Files found"] == "2"


def test_the_environment_names_the_server_and_the_check_counts_its_inputs(server_env: Sandbox) -> None:
    at = page()
    assert at.radio(key="target_kind").value == "clarifai"
    at.button(key="check_connection").click().run()
    assert "the key works and the app holds 0 inputs" in texts(at.success)


def test_settings_can_come_from_the_secrets_file(sandbox: Sandbox) -> None:
    at = AppTest.from_file(PAGE, default_timeout=RUN_SECONDS)
    at.secrets.update({"CLARIFAI_GRPC_BASE": sandbox.address, "CLARIFAI_GRPC_INSECURE": "true",
                       "CLARIFAI_PAT": sandbox.config.pat, "CLARIFAI_USER_ID": sandbox.config.user_id,
                       "CLARIFAI_APP_ID": sandbox.config.app_id})
    at.run()
    assert at.radio(key="target_kind").value == "clarifai"
    assert at.text_input(key="pat").value == ""  # a key set on the server never goes to the browser
    at.button(key="check_connection").click().run()
    assert "the key works" in texts(at.success)


def test_a_wrong_key_is_refused_in_plain_words(server_env: Sandbox) -> None:
    at = page()
    at.text_input(key="pat").input("not-a-real-key").run()
    at.button(key="check_connection").click().run()
    assert not at.success
    error = texts(at.error)
    assert "refused the key" in error and "Settings > Secrets" in error
    assert "not-a-real-key" not in str(at.main) and "not-a-real-key" not in str(at.query_params)


def test_a_column_named_twice_is_named_once_without_asking_for_a_url_column(server_env: Sandbox) -> None:
    at = choose(page(), "d.csv", b"url,url\nhttps://h.test/a.jpg,https://h.test/b.jpg\n")
    assert "appears 2 times" in texts(at.error)
    assert "no column named" not in texts(at.warning)


def test_a_key_pasted_with_an_invisible_character_is_named_not_blamed_on_the_server(server_env: Sandbox) -> None:
    at = page()
    at.text_input(key="pat").input(server_env.config.pat + "\u200b").run()  # a zero-width space, copied with it
    at.button(key="check_connection").click().run()
    shown = texts(at.error) + texts(at.caption) + texts(at.warning)
    assert "The personal access token holds a character no key has" in shown and "did not answer" not in shown
    assert server_env.config.pat not in str(at.main)


def test_the_apps_address_pasted_as_the_user_id_gives_both_ids(server_env: Sandbox) -> None:
    user, app = server_env.config.user_id, server_env.config.app_id
    at = page()
    at.text_input(key="app_id").input("").run()
    at.text_input(key="user_id").input(f"https://clarifai.com/{user}/{app}/inputs?page=2").run()
    assert f"From the app's address: user id **{user}**, app id **{app}**." in texts(at.caption)
    at.button(key="check_connection").click().run()
    assert "the key works" in texts(at.success)

    at.text_input(key="user_id").input(f"https://clarifai.com/{user}").run()  # the user's page, not the app's
    at.button(key="check_connection").click().run()
    assert not at.success
    assert "holds a '/', which no id has" in texts(at.error)

    at.text_input(key="app_id").input("other-app").run()
    at.text_input(key="user_id").input(f"clarifai.com/{user}/{app}").run()
    assert "which the other id ('other-app') does not match" in texts(at.error)


def test_missing_credentials_say_what_to_fill_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARIFAI_GRPC_BASE", "127.0.0.1:1")
    at = page()
    at.button(key="sample").click().run()
    assert at.button(key="upload").disabled
    assert "Fill in the personal access token" in texts(at.caption)


# --- upload ---------------------------------------------------------------------------------


def test_undo_deletes_what_the_upload_added_once_confirmed_and_keeps_what_was_there(server_env: Sandbox) -> None:
    first = b"url,input_id\nhttps://example.com/a.jpg,kept-1\n"
    upload(choose(page(), "first.csv", first))
    at = upload(choose(page(), "photos.csv", GOOD_AND_BAD.replace(b"https://example.com/b.jpg,cat-2",
                                                                  b"https://example.com/a.jpg,kept-1")))
    assert metrics(at).items() >= {"Uploaded": "2", "Already there": "1"}.items()
    assert set(stored(server_env)) == {"kept-1", "cat-1", generated_id("https://example.com/e.jpg", ("dog",), (), None)}

    assert at.button(key="undo").disabled  # nothing is deleted before the person says yes
    assert "Next: fix the invalid rows" in texts(at.warning)
    at.checkbox(key="undo_sure").check().run()
    at.button(key="undo").click().run()
    assert not at.exception
    assert set(stored(server_env)) == {"kept-1"}
    assert "**Undone.** Deleted the 2 inputs this upload added to sandbox/demo" in texts(at.info)
    assert "undo" not in keys(at, "button") and "Next:" not in texts(at.warning)  # what is next is a new upload


def test_upload_sends_every_valid_row_and_shows_the_results(server_env: Sandbox) -> None:
    at = choose(page(), "photos.csv", GOOD_AND_BAD)
    upload(at)

    assert metrics(at).items() >= {"Uploaded": "3", "Already there": "0", "Invalid": "2",
                                   "Failed": "0"}.items()
    assert at.progress[0].value == 100
    assert "5 of 5 rows" in at.progress[0].text
    summary = texts(at.warning)
    assert "some rows did not arrive" in summary and "3 uploaded" in summary and "2 invalid" in summary
    results = at.dataframe[-1].value
    assert sorted(results["Line"]) == [2, 3, 4, 5, 6]
    assert set(results["Status"]) == {"uploaded", "invalid"}
    labels = {b.key: b.label for b in at.get("download_button")}
    assert labels["report_download"] == "Download the full report"
    assert labels["fix_download"] == "Download the rows to fix or retry"

    items = stored(server_env)
    assert set(items) >= {"cat-1", "cat-2"} and len(items) == 3
    assert items["cat-1"].data.image.url == "https://example.com/a.jpg"
    assert MessageToDict(items["cat-1"].data.metadata) == {"shop": "north"}
    assert {c.id: c.value for c in items["cat-1"].data.concepts} == {"cat": 1.0, "pet": 1.0, "dog": 0.0}

    # The status filter narrows the table to one kind of row.
    at.segmented_control[0].set_value("invalid").run()
    assert sorted(at.dataframe[-1].value["Line"]) == [4, 5]

    # The key never reaches the address bar; only the job's id does.
    assert set(at.query_params) == {"job"}


def test_a_refresh_finds_the_job_and_other_sessions_do_not(server_env: Sandbox) -> None:
    at = page()
    at.button(key="sample").click().run()
    upload(at)
    job_id = at.query_params["job"]

    refreshed = AppTest.from_file(PAGE, default_timeout=RUN_SECONDS)
    refreshed.query_params["job"] = job_id
    refreshed.run()
    assert not refreshed.exception
    assert "every row is in" in texts(refreshed.success)
    assert metrics(refreshed)["Uploaded"] == "12"

    stranger = AppTest.from_file(PAGE, default_timeout=RUN_SECONDS)
    stranger.query_params["job"] = job_id[:-2] + "xx"
    stranger.run()
    assert "no longer on the server" in texts(stranger.info)
    assert "Uploaded" not in metrics(stranger)
    assert "job" not in stranger.query_params
    assert "Uploaded" not in metrics(page())


def test_uploading_again_finds_the_rows_already_there(server_env: Sandbox) -> None:
    at = page()
    at.button(key="sample").click().run()
    upload(at)
    upload(at)
    assert metrics(at)["Already there"] == "12"
    assert "every row is in" in texts(at.success)
    assert len(server_env.stored_inputs()) == 12


def test_retry_sends_the_failed_rows_again_exactly_as_written(server_env: Sandbox) -> None:
    # Other inputs hold the ids 'clash' and 'clash2', so those rows fail; the retry succeeds once they are gone.
    stub, metadata = stub_for(server_env)
    app = resources_pb2.UserAppIDSet(user_id=server_env.config.user_id, app_id=server_env.config.app_id)
    taken = ["clash", "clash2"]
    stub.PostInputs(service_pb2.PostInputsRequest(user_app_id=app, inputs=[resources_pb2.Input(
        id=input_id, data=resources_pb2.Data(image=resources_pb2.Image(url=f"https://example.com/{input_id}.jpg")))
        for input_id in taken]), metadata=metadata)
    data = (b"url,input_id,metadata\n"
            b"https://example.com/ok.jpg,fine,\n"
            b'https://example.com/mine.jpg,clash,"{""note"": ""=1+1"", ""q"": ""a,b""}"\n'
            b"https://example.com/ok2.jpg,fine2,\n"
            b'https://example.com/mine2.jpg,clash2,"{""two"":\n""lines""}"\n'  # one row on lines 5 and 6
            b"https://example.com/ok3.jpg,fine3,\n")
    at = choose(page(), "photos.csv", data)
    upload(at)
    assert metrics(at)["Failed"] == "2"
    failed = at.dataframe[-1].value.set_index("Input id").loc[taken]
    assert list(failed["Line"]) == [3, 5]
    assert all("id is taken" in reason for reason in failed["Reason"])

    stub.DeleteInputs(service_pb2.DeleteInputsRequest(user_app_id=app, ids=taken), metadata=metadata)
    assert at.button(key="retry").label == "Retry 2 failed rows"
    at.button(key="retry").click().run()
    run_until(at, upload_finished)

    assert metrics(at)["Uploaded"] == "2" and metrics(at)["Failed"] == "0"
    assert "photos-retry.csv" in texts(at.subheader)
    assert "Line numbers are those of photos.csv" in texts(at.caption)
    # The retry file has the two rows on its lines 2 and 3-4; the page shows where they are in photos.csv.
    assert sorted(at.dataframe[-1].value["Line"]) == [3, 5]
    item = stored(server_env)["clash"]
    assert item.data.image.url == "https://example.com/mine.jpg"
    assert MessageToDict(item.data.metadata) == {"note": "=1+1", "q": "a,b"}  # not made spreadsheet-safe
    assert MessageToDict(stored(server_env)["clash2"].data.metadata) == {"two": "lines"}


def test_a_retrys_report_gives_the_chosen_files_line_numbers(tmp_path: Path) -> None:
    report = tmp_path / "report.csv"
    report.write_text("line,input_id,url,status,reason,download\n2,a,https://x/a.jpg,uploaded,,fetched\n"
                      '3,b,https://x/b.jpg,failed,"id is taken, again",\n', encoding="utf-8")
    renumbered = renumbered_report(str(report), {2: 3, 3: 5}).decode()
    assert list(csv.reader(io.StringIO(renumbered))) == [
        ["line", "input_id", "url", "status", "reason", "download"],
        ["3", "a", "https://x/a.jpg", "uploaded", "", "fetched"],
        ["5", "b", "https://x/b.jpg", "failed", "id is taken, again", ""],
    ]


@pytest.fixture
def slow_sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with start(SandboxConfig(latency_ms=100, download_delay=0.0), port=0) as slow:
        point_at(slow, monkeypatch)
        yield slow


def test_cancel_stops_sending_new_batches(slow_sandbox: Sandbox) -> None:
    rows = [f"https://example.com/{i}.jpg" for i in range(400)]
    at = choose(page(), "many.csv", ("url\n" + "\n".join(rows) + "\n").encode())
    at.number_input(key="batch_size").set_value(1)
    at.number_input(key="workers").set_value(1).run()
    at.button(key="upload").click().run()
    assert not at.exception
    assert at.button(key="upload").disabled  # no second upload while this one runs
    run_until(at, lambda at: "cancel" in keys(at, "button"))
    at.button(key="cancel").click().run()
    run_until(at, upload_finished)

    assert "You stopped the upload" in texts(at.warning)
    sent = len(slow_sandbox.stored_inputs())
    assert 0 < sent < 400
    assert int(metrics(at)["Uploaded"]) == sent


RESUME_ROWS = 200
RESUME_FILE = ("url\n" + "".join(f"https://example.com/r{i}.jpg\n" for i in range(RESUME_ROWS))).encode()


def interrupted_upload(sandbox: Sandbox) -> AppTest:
    """Upload RESUME_FILE one row per request and press Cancel once a few rows are stored."""
    at = choose(page(), "many.csv", RESUME_FILE)
    at.number_input(key="batch_size").set_value(1)
    at.number_input(key="workers").set_value(1).run()
    at.button(key="upload").click().run()
    run_until(at, lambda at: len(sandbox.stored_inputs()) >= 3 and "cancel" in keys(at, "button"))
    at.button(key="cancel").click().run()
    run_until(at, upload_finished)
    assert "You stopped the upload" in texts(at.warning)
    assert 0 < len(sandbox.stored_inputs()) < RESUME_ROWS
    return at


def fast_options(at: AppTest) -> None:
    """One row per request (so requests count rows), ten at once (so the slow sandbox stays quick)."""
    at.number_input(key="batch_size").set_value(1)
    at.number_input(key="workers").set_value(10).run()


def test_a_stopped_upload_offers_to_continue_rather_than_to_retry_the_rows_it_did_not_send(
        monkeypatch: pytest.MonkeyPatch) -> None:
    with start(SandboxConfig(latency_ms=50, throttle_rps=5, download_delay=0.0), port=0) as throttling:
        point_at(throttling, monkeypatch)
        stub, metadata = stub_for(throttling)  # another image holds the first row's id: that row fails
        app = resources_pb2.UserAppIDSet(user_id=throttling.config.user_id, app_id=throttling.config.app_id)
        taken = generated_id("https://example.com/r0.jpg", (), (), None)
        stub.PostInputs(service_pb2.PostInputsRequest(user_app_id=app, inputs=[resources_pb2.Input(
            id=taken, data=resources_pb2.Data(image=resources_pb2.Image(url="https://example.com/other.jpg")))]),
            metadata=metadata)
        at = choose(page(), "many.csv", RESUME_FILE)
        at.number_input(key="batch_size").set_value(1)
        at.number_input(key="workers").set_value(10).run()
        at.button(key="upload").click().run()
        run_until(at, lambda at: len(throttling.stored_inputs()) >= 10 and metrics(at)["Failed"] == "1"
                  and "cancel" in keys(at, "button"))
        at.button(key="cancel").click().run()  # rows waiting to be sent again after a refusal are not sent
        run_until(at, upload_finished)

    # The throttled rows stopped before an answer are left to Continue, like the rows not read: not failed
    assert metrics(at)["Failed"] == "1"
    left = RESUME_ROWS - sum(int(metrics(at)[name]) for name in ("Uploaded", "Already there", "Invalid", "Failed"))
    assert (f"{left:,} rows were not sent, so they are not in the app. **Continue** above sends them"
            in texts(at.warning))
    assert {"resume", "restart"} <= keys(at, "button") and "retry" not in keys(at, "button")


def test_an_interrupted_upload_of_the_same_file_can_be_continued(slow_sandbox: Sandbox) -> None:
    stopped = interrupted_upload(slow_sandbox)
    confirmed = len(slow_sandbox.stored_inputs())
    offer = f"{confirmed:,} of {RESUME_ROWS} rows already uploaded - continue?"
    assert offer in texts(stopped.info)  # right under the stopped upload
    assert "upload" not in keys(stopped, "button")

    # Another session (a new tab, or tomorrow) choosing the same bytes gets the same offer.
    at = choose(page(), "same-bytes-other-name.csv", RESUME_FILE)
    assert offer in texts(at.info)
    assert {"resume", "restart"} <= keys(at, "button")
    fast_options(at)
    calls_before = slow_sandbox.stats().post_calls
    at.button(key="resume").click().run()
    run_until(at, upload_finished)

    assert metrics(at).items() >= {"Uploaded": f"{RESUME_ROWS - confirmed}",
                                   "Already there": f"{confirmed}", "Failed": "0"}.items()
    assert (f"Resuming: {confirmed} rows confirmed by an earlier run are not sent again."
            in texts(at.caption))
    assert "every row is in" in texts(at.success)
    assert slow_sandbox.stats().post_calls - calls_before == RESUME_ROWS - confirmed  # only the rest was sent
    assert slow_sandbox.stats().duplicate_ids == 0
    ids = [item.id for item in slow_sandbox.stored_inputs()]
    assert len(ids) == len(set(ids)) == RESUME_ROWS
    # The file is done: no offer any more, a plain upload again.
    assert "already uploaded - continue?" not in texts(at.info)
    assert "upload" in keys(at, "button")


def test_undoing_a_stopped_upload_deletes_its_rows_and_drops_the_offer_to_continue(slow_sandbox: Sandbox) -> None:
    at = interrupted_upload(slow_sandbox)
    assert slow_sandbox.stored_inputs() and "already uploaded - continue?" in texts(at.info)
    at.checkbox(key="undo_sure").check().run()
    at.button(key="undo").click().run()
    assert slow_sandbox.stored_inputs() == []
    # None of its rows is in the app any more: the same file is uploaded from its first row.
    assert "already uploaded - continue?" not in texts(at.info) and "resume" not in keys(at, "button")
    assert "upload" in keys(at, "button")


def test_start_over_sends_every_row_again(slow_sandbox: Sandbox) -> None:
    at = interrupted_upload(slow_sandbox)
    confirmed = len(slow_sandbox.stored_inputs())
    fast_options(at)
    calls_before = slow_sandbox.stats().post_calls
    at.button(key="restart").click().run()
    run_until(at, upload_finished)

    assert metrics(at).items() >= {"Uploaded": f"{RESUME_ROWS - confirmed}",
                                   "Already there": f"{confirmed}"}.items()
    assert slow_sandbox.stats().post_calls - calls_before == RESUME_ROWS
    assert slow_sandbox.stats().duplicate_ids == confirmed  # sent again, found already there
    assert len(slow_sandbox.stored_inputs()) == RESUME_ROWS


@pytest.fixture
def dead_link_sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """Urls containing 'dead' fail to download, after a delay long enough to watch the check run."""
    with start(SandboxConfig(download_delay=0.6, fail_urls="dead"), port=0) as server:
        point_at(server, monkeypatch)
        yield server


def test_the_page_checks_that_the_server_fetched_every_image(dead_link_sandbox: Sandbox) -> None:
    data = (b"url,input_id\n"
            b"https://example.com/a.jpg,live-1\n"
            b"https://example.com/dead.jpg,gone\n"
            b"https://example.com/b.jpg,live-2\n")
    at = choose(page(), "photos.csv", data)
    at.button(key="upload").click().run()
    assert "Fetched" in metrics(at)  # a dash until the second phase begins

    # The second phase has its own progress, while the server is still downloading.
    checking = "Checking that the server could fetch every image"
    run_until(at, lambda at: checking in at.progress[0].text)
    assert at.progress[0].text.startswith(f"{checking}: ") and at.progress[0].text.endswith(" of 3")
    run_until(at, upload_finished)

    assert metrics(at).items() >= {"Uploaded": "3", "Failed": "0", "Fetched": "2",
                                   "Could not fetch": "1"}.items()
    results = at.dataframe[-1].value.set_index("Input id")
    assert results.loc["gone", "Download"] == "could not fetch"
    assert list(results.loc[["live-1", "live-2"], "Download"]) == ["fetched", "fetched"]
    assert "could not download" in results.loc["gone", "Reason"]
    summary = texts(at.warning)
    assert "Finished, but the server could not fetch every image." in summary
    assert "Downloads: 2 fetched by the server, 1 failed." in summary
    assert "could not fetch 1 image from its web address" in summary
    assert "opens in a browser without logging in" in summary
    assert "retry" not in keys(at, "button")  # resending would not bring the image back

    at.segmented_control[0].set_value("not_fetched").run()
    assert list(at.dataframe[-1].value["Input id"]) == ["gone"]
    assert len(dead_link_sandbox.stored_inputs()) == 3


def test_the_practice_server_is_the_default_without_credentials() -> None:
    at = page()
    assert at.radio(key="target_kind").value == "practice"
    assert "local practice server" in texts(at.info)
    at.button(key="sample").click().run()
    upload(at)
    assert "every row is in the practice server" in texts(at.success)
    at.button(key="check_connection").click().run()
    assert "the key works and the app holds" in texts(at.success)


# --- helpers the page uses for its tables and files ------------------------------------------


def test_rows_to_fix_keep_the_files_columns_and_defuse_formulas() -> None:
    data = rows_csv(("url", "note"), ";", [["https://x/a.jpg", "=HYPERLINK(1)"], ["", "@x"]])
    assert list(csv.reader(io.StringIO(data.decode()), delimiter=";")) == [
        ["url", "note"], ["https://x/a.jpg", "'=HYPERLINK(1)"], ["", "'@x"],
    ]


def test_a_parquet_table_of_urls_is_previewed_and_uploaded_as_a_csv_is(server_env: Sandbox) -> None:
    import pyarrow
    import pyarrow.parquet

    out = io.BytesIO()
    pyarrow.parquet.write_table(pyarrow.table({"image_url": ["https://h.test/a.jpg", "https://h.test/b.jpg"],
                                               "label": ["cat", "dog"]}), out)
    at = choose(page(), "links.parquet", out.getvalue())
    assert metrics(at) == {"Rows found": "2", "Ready to upload": "2", "Need fixing": "0"}
    upload(at)
    assert {i.data.image.url: [c.id for c in i.data.concepts] for i in server_env.stored_inputs()} == {
        "https://h.test/a.jpg": ["cat"], "https://h.test/b.jpg": ["dog"]}


def test_an_excel_workbook_is_previewed_and_uploaded_and_its_problems_name_excels_rows(server_env: Sandbox) -> None:
    from tests.test_read import workbook

    data = workbook({"A1": "url", "B1": "pos_concepts", "A2": "https://h.test/a.jpg", "B2": "cat",
                     "A4": "photos/b.jpg", "B4": "dog"})
    at = choose(page(), "Photos.xlsx", data)
    assert metrics(at) == {"Rows found": "2", "Ready to upload": "1", "Need fixing": "1"}
    assert not [s for s in at.selectbox if s.key.startswith(("sep_", "enc_"))]  # no separator or encoding to choose
    assert "Read Photos.xlsx as its sheet 'Sheet1'." in texts(at.caption)
    problems = at.table[0].value  # the rows to fix, by the row numbers Excel shows
    assert list(problems["Line"]) == [4] and "a file's name, not a web address" in problems["What is wrong"][0]
    upload(at)
    assert {i.data.image.url: [c.id for c in i.data.concepts] for i in server_env.stored_inputs()} == {
        "https://h.test/a.jpg": ["cat"]}


def test_a_workbooks_sheet_is_chosen_on_the_page_even_when_its_first_sheet_cannot_be_read(server_env: Sandbox
                                                                                           ) -> None:
    from tests.test_read import workbook

    photos = {"A1": "image", "B1": "pos_concepts", "A2": "https://h.test/a.jpg", "B2": "cat"}
    at = choose(page(), "book.xlsx", workbook({"A1": "Fill in the next sheet", "B1": "then upload it"}, photos))
    assert "book.xlsx has a header row but no rows under it on its sheet 'Sheet1'." in texts(at.error)
    sheet = next(s for s in at.selectbox if s.key.startswith("sheet_"))
    assert sheet.options == ["Sheet1", "Sheet2"] and sheet.value == "Sheet1"
    sheet.set_value("Sheet2").run()
    assert metrics(at) == {"Rows found": "1", "Ready to upload": "1", "Need fixing": "0"}
    assert ("Read book.xlsx as its sheet 'Sheet2'. Another sheet can be chosen under Match your columns. "
            "Columns read as") in texts(at.caption)
    upload(at)
    assert {i.data.image.url: [c.id for c in i.data.concepts] for i in server_env.stored_inputs()} == {
        "https://h.test/a.jpg": ["cat"]}

    at = choose(page(), "notes-first.xlsx", workbook({"A1": "column", "B1": "means", "A2": "url"}, photos))
    assert "Its sheet 'Sheet1' has no column named **url**. Choose the sheet that holds your list" in texts(
        at.warning)
    next(s for s in at.selectbox if s.key.startswith("sheet_")).set_value("Sheet2").run()
    assert metrics(at) == {"Rows found": "1", "Ready to upload": "1", "Need fixing": "0"}


def test_rows_of_one_web_address_apart_are_combined_and_copies_that_stay_are_pointed_out(server_env: Sandbox) -> None:
    apart = b"url,label\nhttps://h.test/a.jpg,cat\nhttps://h.test/b.jpg,dog\nhttps://h.test/a.jpg,pet\n"
    at = choose(page(), "labels.csv", apart)  # one label a row, sorted by label: combined all the same
    assert metrics(at) == {"Rows found": "3", "Ready to upload": "3", "Need fixing": "0"}
    assert "1 row names the same web address or file as an earlier row" in texts(at.info)
    assert "repeat" not in texts(at.info)
    preview = at.dataframe[0].value  # in file order, though a's input comes once its last row is read
    assert list(preview["Line"]) == [2, 3] and [list(c) for c in preview["Concepts"]] == [["cat", "pet"], ["dog"]]
    ids = b"url,input_id,label\nhttps://h.test/a.jpg,a-1,cat\nhttps://h.test/b.jpg,,dog\nhttps://h.test/a.jpg,a-2,pet\n"
    at = choose(page(), "labels.csv", ids)  # two inputs by their ids: the same image twice
    assert "**1 row repeats the web address of an earlier row** with another input id" in texts(at.info)
    at = choose(page(), "labels.csv", b"url,label\nhttps://h.test/a.jpg,cat|pet\nhttps://h.test/b.jpg,dog\n")
    assert "repeat" not in texts(at.info) and "With lines" not in at.dataframe[0].value  # no row combined
    assert "Read by other names: label as Concepts." in texts(at.caption)


def test_a_separator_or_encoding_tried_then_taken_back_reads_the_file_as_before(server_env: Sandbox) -> None:
    at = choose(page(), "p.csv", b"url,label\nhttps://h.test/a.jpg,cat\nhttps://h.test/b.jpg,dog\n")
    tag = next(k for k in keys(at, "selectbox") if k.startswith("sep_")).removeprefix("sep_")
    at.selectbox(key=f"sep_{tag}").set_value("\t").run()  # one column, 'url,label': no url column
    assert "no 'url' column" in texts(at.error)
    at.selectbox(key=f"sep_{tag}").set_value("").run()
    assert metrics(at) == {"Rows found": "2", "Ready to upload": "2", "Need fixing": "0"} and not at.error
    at.selectbox(key=f"enc_{tag}").set_value("utf-16-le").run()  # the wrong one: the file reads as no rows...
    assert at.error and "The file was read with the choices below" in texts(at.caption)
    at.selectbox(key=f"enc_{tag}").set_value("").run()  # ...and the choice is still there to take back
    assert metrics(at) == {"Rows found": "2", "Ready to upload": "2", "Need fixing": "0"} and not at.error
    role = next(k for k in keys(at, "selectbox") if k.startswith("role_url_"))
    at.selectbox(key=role).set_value("").run()  # no column chosen for the web addresses
    assert "No column of p.csv is chosen as the web addresses (url), the text or the files." in texts(at.error)


def test_a_list_of_one_label_a_row_becomes_one_input_an_image_with_all_its_labels(server_env: Sandbox) -> None:
    one_label_a_row = (b"url,label\nhttps://h.test/a.jpg,cat\nhttps://h.test/a.jpg,pet\nhttps://h.test/b.jpg,dog\n"
                       b"https://h.test/b.jpg,pet\nhttps://h.test/c.jpg,cow\n")
    at = choose(page(), "labels.csv", one_label_a_row)
    assert metrics(at) == {"Rows found": "5", "Ready to upload": "5", "Need fixing": "0"}
    assert ("**2 rows name the same web address or file as an earlier row: each adds its concepts to that row's "
            "input.** So the app holds each image once, with all its concepts.") in texts(at.info)
    assert "repeat" not in texts(at.info)
    preview = at.dataframe[0].value
    assert list(preview["Line"]) == [2, 4, 6] and [list(c) for c in preview["Concepts"]] == [["cat", "pet"],
                                                                                             ["dog", "pet"], ["cow"]]
    assert list(preview["With lines"]) == ["3", "5", ""]  # where the rows combined into each input went
    expander = next(e for e in at.expander if e.label.startswith("Concepts:"))
    assert expander.label == "Concepts: pet 2, cat 1, dog 1 and 1 more"  # an input each, not a row each
    at = upload(at)
    assert sorted((i.data.image.url, sorted(c.name for c in i.data.concepts)) for i in server_env.stored_inputs()) == [
        ("https://h.test/a.jpg", ["cat", "pet"]), ("https://h.test/b.jpg", ["dog", "pet"]),
        ("https://h.test/c.jpg", ["cow"])]
    assert "5 uploaded" in texts(at.success)
    assert "2 rows name the same web address or file as an earlier row" in texts(at.caption)


def test_the_preview_counts_each_concept_and_names_those_that_differ_only_in_capitals(server_env: Sandbox) -> None:
    data = (b"url,pos_concepts,neg_concepts\n" + b"".join(b"https://h.test/%d.jpg,cat|pet,\n" % n for n in range(3))
            + b"https://h.test/d.jpg,dog,\nhttps://h.test/e.jpg,Dog ,\nhttps://h.test/f.jpg,,Pet\nnot a url,bird,\n")
    at = choose(page(), "pets.csv", data)
    expander = next(e for e in at.expander if e.label.startswith("Concepts:"))
    assert expander.label == "Concepts: cat 3, pet 3, dog 1 and 1 more"
    counts = expander.dataframe[0].value
    assert list(zip(counts["Concept"], counts["Inputs"])) == [("cat", 3), ("pet", 3), ("dog", 1), ("Dog", 1)]
    assert ("**Concepts that differ only in capitals or spaces: 'pet' and 'Pet'; 'dog' and 'Dog'.**"  # as negatives too
            in texts(at.info))  # bird: invalid


def test_the_preview_says_which_urls_are_sent_as_a_browser_would_send_them(server_env: Sandbox) -> None:
    data = (b"url\nhttps://drive.google.com/file/d/1AbC/view?usp=sharing\nhttps://h.test/b.jpg\n"
            b"https://h.test/my c.jpg\nh.test/d.jpg\n")
    at = choose(page(), "drive.csv", data)
    assert ("**1 row links to a page that shows the file (on Google Drive, Dropbox, GitHub or Hugging Face): the link "
            "to the file itself is sent instead.** The server can fetch a file only if anyone with the link may open "
            "it.") in texts(at.info)
    assert ("**1 row gives a web address with spaces: each space is sent written as %20, as a browser sends it.**"
            in texts(at.info))
    assert "**1 row gives a web address without https:// at the start: https:// is put there, as a browser does.**" \
        in texts(at.info)
    assert metrics(at)["Ready to upload"] == "4"
    upload(at)
    assert {item.data.image.url for item in server_env.stored_inputs()} == {
        "https://drive.google.com/uc?export=download&id=1AbC", "https://h.test/b.jpg", "https://h.test/my%20c.jpg",
        "https://h.test/d.jpg"}


def test_concepts_written_with_commas_or_semicolons_are_named_as_one_concept_each(server_env: Sandbox) -> None:
    data = (b'url,pos_concepts\nhttps://h.test/a.jpg,"cat, dog"\nhttps://h.test/b.jpg,"Washington, D.C.|city"\n'
            b'https://h.test/c.jpg,bird;fish\n')
    at = choose(page(), "places.csv", data)
    assert ("**Concepts with a comma or a semicolon in their name: 'cat, dog', 'Washington, D.C.' and 'bird;fish'.** "
            "Each is one concept." in texts(at.info))
    assert [list(concepts) for concepts in at.dataframe[0].value["Concepts"]] == [
        ["cat, dog"], ["Washington, D.C.", "city"], ["bird;fish"]]
    at = choose(page(), "sdk.csv", b'input,concepts\nhttps://h.test/a.jpg,"cat,dog"\n')  # the SDK's: commas part them
    assert "comma" not in texts(at.info)


def test_concepts_separated_by_commas_are_read_so_once_the_comma_is_chosen(server_env: Sandbox) -> None:
    at = choose(page(), "tags.csv", b'url,labels\nhttps://h.test/a.jpg,"beach, sunset"\nhttps://h.test/b.jpg,dog\n')
    assert "say that the comma separates them: on the page under Match your columns" in texts(at.info)
    next(box for box in at.selectbox if box.key.startswith("concept_sep_")).set_value(",").run()
    assert "Concepts with a comma" not in texts(at.info)
    assert [list(concepts) for concepts in at.dataframe[0].value["Concepts"]] == [["beach", "sunset"], ["dog"]]
    upload(at)
    stored = {i.data.image.url: [c.id for c in i.data.concepts] for i in server_env.stored_inputs()}
    assert stored == {"https://h.test/a.jpg": ["beach", "sunset"], "https://h.test/b.jpg": ["dog"]}


def test_columns_of_1s_and_0s_are_read_as_concepts_once_the_person_says_so(server_env: Sandbox) -> None:
    at = choose(page(), "multi.csv", b"url,cat,dog\nhttps://h.test/a.jpg,1,0\nhttps://h.test/b.jpg,1,1\n")
    assert [list(concepts) for concepts in at.dataframe[0].value["Concepts"]] == [[], []]
    next(box for box in at.checkbox if box.key.startswith("classes_")).check().run()
    assert [list(concepts) for concepts in at.dataframe[0].value["Concepts"]] == [["cat"], ["cat", "dog"]]
    assert "Not used" not in texts(at.caption)
    upload(at)
    stored = {i.data.image.url: [c.id for c in i.data.concepts] for i in server_env.stored_inputs()}
    assert stored == {"https://h.test/a.jpg": ["cat"], "https://h.test/b.jpg": ["cat", "dog"]}


def test_the_class_columns_choice_is_dropped_when_a_later_choice_leaves_no_such_columns(server_env: Sandbox) -> None:
    at = choose(page(), "multi.csv", b"url,cat,dog\nhttps://h.test/a.jpg,1,0\n")
    next(box for box in at.checkbox if box.key.startswith("classes_")).check().run()
    next(box for box in at.selectbox if box.key.startswith("role_pos_concepts_")).set_value("cat").run()
    assert not [box for box in at.checkbox if box.key.startswith("classes_")]
    upload(at)  # with the concepts column chosen, not as class columns: no 'no columns of 1s and 0s' stop
    assert not texts(at.error)
    assert [[c.id for c in i.data.concepts] for i in server_env.stored_inputs()] == [["1"]]


def test_concepts_typed_for_every_input_are_previewed_and_stored_beside_each_rows_own(server_env: Sandbox) -> None:
    at = choose(page(), "pets.csv", b"url,pos_concepts,neg_concepts\nhttps://h.test/a.jpg,dog,\n"
                                    b"https://h.test/b.jpg,,cat\n")
    every = next(box for box in at.multiselect if box.key.startswith("concepts_"))
    assert every.label == "Concepts for every input"
    every.set_value(["cat", "pet"]).run()
    preview = at.dataframe[0].value
    assert [list(concepts) for concepts in preview["Concepts"]] == [["dog", "cat", "pet"], []]
    assert preview["Problem"][1].startswith("column 'neg_concepts': 'cat' is given to every input, but this row says "
                                            "its input does not show it")
    assert metrics(at)["Need fixing"] == "1"
    upload(at)
    stored = {i.data.image.url: [c.id for c in i.data.concepts] for i in server_env.stored_inputs()}
    assert stored == {"https://h.test/a.jpg": ["dog", "cat", "pet"]}


def test_pasted_web_addresses_are_checked_and_uploaded_as_a_list(server_env: Sandbox) -> None:
    at = page()
    pasted = next(area for area in at.text_area if area.key.startswith("pasted_"))
    pasted.set_value("https://h.test/a.jpg\nhttps://h.test/b.jpg\nftp://h.test/c.jpg\n").run()
    assert metrics(at) == {"Rows found": "3", "Ready to upload": "2", "Need fixing": "1"}
    assert "Read pasted.txt as a list of web addresses, one a line." in texts(at.caption)
    assert list(at.table[0].value["Line"]) == [3]  # the rows to fix, by the pasted line
    assert "Fix them in the pasted text above" in texts(at.markdown)
    upload(at)
    assert sorted(i.data.image.url for i in server_env.stored_inputs()) == ["https://h.test/a.jpg",
                                                                             "https://h.test/b.jpg"]
    assert "Next: correct the invalid rows in the pasted text above and upload again" in texts(at.warning)
    at = page()  # cells copied from a spreadsheet come with tabs between them
    next(area for area in at.text_area if area.key.startswith("pasted_")).set_value(
        "url\tpos_concepts\nhttps://h.test/d.jpg\tcat|pet\n").run()
    assert metrics(at) == {"Rows found": "1", "Ready to upload": "1", "Need fixing": "0"}
    upload(at)
    concepts = {i.data.image.url: [c.id for c in i.data.concepts] for i in server_env.stored_inputs()}
    assert concepts["https://h.test/d.jpg"] == ["cat", "pet"]
    at = choose(at, "photos.csv", GOOD_AND_BAD)  # a file chosen as well is what is read, and the page says so
    assert "photos.csv is read, not these: remove it above" in texts(at.caption)


def test_the_other_columns_can_be_kept_as_metadata(server_env: Sandbox) -> None:
    data = (b'url,photographer,place,metadata\n'
            b'https://h.test/a.jpg,Ana,Lisbon,"{""place"": ""Porto""}"\nhttps://h.test/b.jpg,Ben,,\n')
    at = choose(page(), "credits.csv", data)
    assert "Not used: photographer, place" in texts(at.caption)
    keep = next(c for c in at.checkbox if c.key.startswith("keep_"))
    assert keep.label == "Keep photographer and place as each input's metadata"
    keep.check().run()
    assert "Not used:" not in texts(at.caption)
    preview = at.dataframe[0].value
    assert [json.loads(m) for m in preview["Metadata"]] == [{"photographer": "Ana", "place": "Porto"},
                                                              {"photographer": "Ben"}]
    upload(at)
    stored = {i.data.image.url: MessageToDict(i.data.metadata) for i in server_env.stored_inputs()}
    assert stored == {"https://h.test/a.jpg": {"photographer": "Ana", "place": "Porto"},  # the metadata column wins
                      "https://h.test/b.jpg": {"photographer": "Ben"}}


def test_a_header_ending_with_a_separator_names_no_column_and_values_under_it_are_said_to_be_ignored(
        server_env: Sandbox) -> None:
    at = choose(page(), "tabs.tsv", b"url\tlabel\t\nhttps://h.test/a.jpg\tcat\nhttps://h.test/b.jpg\tdog\t\n")
    assert metrics(at) == {"Rows found": "2", "Ready to upload": "2", "Need fixing": "0"}
    assert "Not used" not in texts(at.caption) and "Ignoring" not in texts(at.caption)
    at = choose(page(), "tabs.tsv", b"url\tlabel\t\nhttps://h.test/a.jpg\tcat\tnote\n")
    assert "Ignoring the values in column 3, which the header does not name: name it in the first line." in texts(
        at.caption)


def test_rows_that_leave_out_their_last_cells_upload_with_them_empty_under_a_warning(server_env: Sandbox) -> None:
    template_header = b"url,input_id,pos_concepts,neg_concepts,metadata\n"  # the page's template, filled in by hand
    at = choose(page(), "mine.csv", template_header + b"https://h.test/a.jpg,,cat\nhttps://h.test/b.jpg\n")
    assert metrics(at) == {"Rows found": "2", "Ready to upload": "2", "Need fixing": "0"}
    assert ("2 rows have fewer cells than the header's 5 columns (the first on line 2): their last cells are read as "
            "empty.") in texts(at.warning)
    upload(at)
    stored = {i.data.image.url: [c.id for c in i.data.concepts] for i in server_env.stored_inputs()}
    assert stored == {"https://h.test/a.jpg": ["cat"], "https://h.test/b.jpg": []}


def test_a_label_studio_export_is_previewed_with_its_boxes_and_uploaded(server_env: Sandbox) -> None:
    from tests.test_records import FULL_EXPORT

    at = choose(page(), "project-1.json", json.dumps(FULL_EXPORT[:2]).encode())
    assert metrics(at).items() >= {"Ready to upload": "2", "Need fixing": "0"}.items()
    assert "project-1.json: 2 boxes, 2 ready." in texts(at.markdown)
    assert "Read project-1.json as Label Studio's export." in texts(at.caption)
    upload(at)
    assert metrics(at).items() >= {"Uploaded": "2", "Boxes uploaded": "2"}.items()
    assert {i.data.image.url: [c.id for c in i.data.concepts] for i in server_env.stored_inputs()} == {
        "https://h.test/a.jpg": ["Outdoor"], "https://h.test/b.jpg": ["Indoor", "Night"]}


def test_the_registry_drops_the_oldest_finished_jobs_first(monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit_app
    from ingest.job import UploadJob, UploadOptions

    monkeypatch.setattr(streamlit_app, "JOBS_KEPT", 2)
    registry = streamlit_app.JobRegistry()
    folders = []

    def entry(running: bool) -> streamlit_app.JobEntry:
        job = UploadJob(lambda: io.BytesIO(b"url\n"), "f.csv", None, UploadOptions(dry_run=True))
        if not running:
            job.run()  # a dry run of an empty file: done at once
        folder = tempfile.mkdtemp()
        folders.append(folder)
        made = streamlit_app.JobEntry(job, "f.csv", b"url\n", ",", "nowhere", folder)
        weakref.finalize(made, shutil.rmtree, folder, True)
        return made

    running = registry.add(entry(running=True))
    ids = [registry.add(entry(running=False)) for _ in range(3)]
    registry.add(entry(running=False))
    assert registry.get(running) is not None  # never dropped while it runs
    assert registry.get(ids[0]) is None and registry.get(ids[1]) is None
    assert registry.get(ids[2]) is not None
    gc.collect()
    assert not os.path.exists(folders[1]) and os.path.exists(folders[0])  # files go with the entry
    assert len(ids[2]) >= 24 and ids[2] != ids[1]
