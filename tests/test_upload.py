"""Uploading through the job to a real sandbox over loopback gRPC; asserts what the server stored."""

import csv
import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2
from google.protobuf.json_format import MessageToDict

from ingest import validate
from ingest.errors import AuthError, ConnectionFailed
from ingest.job import JobStatus, UploadJob, UploadOptions
from ingest.local import from_files
from ingest.sandbox import SandboxConfig, start
from ingest.upload import Client, RetryPolicy, Target, fetch_hosted, fetch_public, hosted_url

FAST_RETRY = RetryPolicy(attempts=8, base_seconds=0.01, max_seconds=0.05)

EDGE_CASES = (
    'url,input_id,pos_concepts,neg_concepts,metadata,notes\r\n'
    'https://h.test/1.jpg,one,cat| dog |cat,bird,"{""n"": 1, ""f"": 2.5, ""b"": true, ""z"": null, '
    '""o"": {""k"": [1, ""x""]}}",first\r\n'
    '\r\n'
    '"https://h.test/2.jpg",,"multi\nline",,,second\r\n'
    'ftp://h.test/3.jpg,three,,,,bad scheme\r\n'
    'https://h.test/4.jpg,one,,,,repeated id\r\n'
    'https://h.test/5.jpg,five,,,"[1]",metadata list\r\n'
).encode("utf-8-sig")


def target_for(sandbox, **changes) -> Target:
    values = dict(base=sandbox.address, insecure=True, pat=sandbox.config.pat,
                  user_id=sandbox.config.user_id, app_id=sandbox.config.app_id)
    values.update(changes)
    return Target(**values)


def upload(data: bytes, target: Target, **options) -> JobStatus:
    options.setdefault("retry", FAST_RETRY)
    return UploadJob(lambda: io.BytesIO(data), "edge.csv", target, UploadOptions(**options)).run()


def stored(sandbox) -> dict[str, dict]:
    return {item.id: MessageToDict(item.data) for item in sandbox.stored_inputs()}


@pytest.fixture(autouse=True)
def empty(sandbox):
    sandbox.reset()


def test_edge_case_file_arrives_exactly_as_written(sandbox):
    status = upload(EDGE_CASES, target_for(sandbox))
    assert status.done and not status.fatal
    assert dict(status.counts) == {"uploaded": 2, "already_there": 0, "invalid": 3, "failed": 0}
    assert sorted((o.line, o.input_id) for o in status.problems) == [(6, "three"), (7, "one"), (8, "five")]
    data = stored(sandbox)
    assert set(data) == {"one", [o.input_id for o in status.recent if o.line == 4][0]}
    one = data["one"]
    assert one["image"] == {"url": "https://h.test/1.jpg", "allowDuplicateUrl": True}
    assert [(c["id"], c.get("value", 0.0)) for c in one["concepts"]] == [("cat", 1.0), ("dog", 1.0), ("bird", 0.0)]
    assert one["metadata"] == {"n": 1.0, "f": 2.5, "b": True, "z": None, "o": {"k": [1.0, "x"]}}
    second = next(v for k, v in data.items() if k != "one")
    assert [c["id"] for c in second["concepts"]] == ["multi\nline"]
    assert status.warnings == ("Ignoring columns this tool does not use: notes.",)


def test_second_run_stores_nothing_new_and_says_already_there(sandbox):
    data = b"url,pos_concepts\nhttps://h.test/a.jpg,x\nhttps://h.test/b.jpg,y\n"
    assert upload(data, target_for(sandbox)).counts["uploaded"] == 2
    again = upload(data, target_for(sandbox))
    assert dict(again.counts) == {"uploaded": 0, "already_there": 2, "invalid": 0, "failed": 0}
    assert again.succeeded and len(sandbox.stored_inputs()) == 2


def test_id_taken_by_another_url_fails_with_the_reason(sandbox):
    upload(b"url,input_id\nhttps://h.test/a.jpg,x\n", target_for(sandbox))
    status = upload(b"url,input_id\nhttps://h.test/OTHER.jpg,x\nhttps://h.test/c.jpg,y\n", target_for(sandbox))
    assert dict(status.counts) == {"uploaded": 1, "already_there": 0, "invalid": 0, "failed": 1}
    [failed] = status.problems
    assert failed.line == 2 and "taken by another input (url https://h.test/a.jpg)" in failed.reason
    assert stored(sandbox)["x"]["image"]["url"] == "https://h.test/a.jpg"


def test_duplicate_url_refused_when_not_allowed_counts_as_already_there(sandbox):
    upload(b"url,input_id\nhttps://h.test/a.jpg,x\n", target_for(sandbox))
    status = upload(b"url,input_id\nhttps://h.test/a.jpg,y\n", target_for(sandbox), allow_duplicate_url=False)
    assert status.counts["already_there"] == 1
    assert set(stored(sandbox)) == {"x"}


def test_batches_respect_the_batch_size_and_legacy_key_needs_no_ids(sandbox):
    rows = "".join(f"https://h.test/{i}.jpg\n" for i in range(70)).encode()
    target = Target(base=sandbox.address, insecure=True, api_key=sandbox.config.api_key)
    status = upload(b"url\n" + rows, target, batch_size=32, workers=3)
    assert status.succeeded and status.counts["uploaded"] == 70
    assert sandbox.stats().post_calls == 3
    assert len(sandbox.stored_inputs()) == 70


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"pat": "wrong-token"}, "refused the key"),
        ({"app_id": "no-such-app"}, "user or app named does not exist"),
    ],
)
def test_refused_key_stops_the_job_and_stores_nothing(sandbox, changes, message):
    rows = "".join(f"https://h.test/{i}.jpg\n" for i in range(300)).encode()
    status = upload(b"url\n" + rows, target_for(sandbox, **changes), batch_size=10, workers=2)
    assert isinstance(status.fatal, AuthError) and message in status.fatal.message
    assert sandbox.stored_inputs() == []
    assert sandbox.stats().post_calls <= 2  # at most the batches already in flight


def test_read_only_token_is_told_about_scopes():
    with start(SandboxConfig(read_only_pat="read-only")) as server:
        status = upload(b"url\nhttps://h.test/a.jpg\n", target_for(server, pat="read-only"))
        assert isinstance(status.fatal, AuthError) and "not allowed to add inputs" in status.fatal.message
        assert server.stored_inputs() == []
        client = Client(target_for(server, pat="read-only"))
        with pytest.raises(AuthError) as refused:  # undoing an upload needs the scope to delete
            client.delete_inputs(["a", "b"])
        client.close()
        assert "not allowed to delete inputs" in refused.value.message and "Inputs: delete" in refused.value.hint


def test_clarifai_out_of_reach_points_at_the_internet_connection_and_a_sandbox_at_itself():
    hosted = Client(Target(pat="p", user_id="u", app_id="a"))
    try:
        hosted.wait_ready(timeout=5)
        pytest.skip("this machine reaches api.clarifai.com")
    except ConnectionFailed as error:
        assert "api.clarifai.com:443" in error.message and "internet connection" in error.hint
        assert "sandbox" not in error.hint
    finally:
        hosted.close()
    local = Client(Target(base="127.0.0.1:9", insecure=True, api_key="k"))
    with pytest.raises(ConnectionFailed) as refused:
        local.wait_ready()
    local.close()
    assert "for a local sandbox, check that it is running" in refused.value.hint


def test_unreachable_server_names_the_address():
    status = upload(b"url\nhttps://h.test/a.jpg\n", Target(base="127.0.0.1:9", insecure=True, api_key="k"))
    assert isinstance(status.fatal, ConnectionFailed) and "127.0.0.1:9" in status.fatal.message


def test_faults_and_throttling_end_with_every_row_stored_once():
    config = SandboxConfig(fail_rate=0.15, commit_fail_rate=0.10, throttle_rps=10, latency_ms=5, seed=7)
    rows = "".join(f"https://h.test/{i}.jpg,c{i % 3}\n" for i in range(600)).encode()
    with start(config) as server:
        status = upload(b"url,pos_concepts\n" + rows, target_for(server), batch_size=32, workers=4)
        assert status.succeeded, status.problems[:3]
        assert status.counts["uploaded"] + status.counts["already_there"] == 600
        urls = [item.data.image.url for item in server.stored_inputs()]
        assert len(urls) == 600 and len(set(urls)) == 600
        assert server.stats().faults > 0 and server.stats().throttled > 0


def test_rows_whose_attempts_run_out_are_reported_failed_not_dropped():
    with start(SandboxConfig(fail_rate=1.0)) as server:
        status = upload(b"url\nhttps://h.test/a.jpg\nhttps://h.test/b.jpg\n", target_for(server),
                        retry=RetryPolicy(attempts=2, base_seconds=0.01, max_seconds=0.01))
        assert status.counts["failed"] == 2 and not status.succeeded
        assert all("gave up after 2 attempts (UNAVAILABLE" in o.reason for o in status.problems)


def test_a_list_of_one_label_a_row_sorted_by_label_stores_each_image_once_with_all_its_labels(sandbox, tmp_path):
    by_label = (b"url,label\n" + b"".join(b"https://h.test/%d.jpg,cat\n" % n for n in range(300))
                + b"".join(b"https://h.test/%d.jpg,pet\n" % n for n in range(0, 300, 2)))  # 150 rows further down
    report = tmp_path / "report.csv"
    status = UploadJob(lambda: io.BytesIO(by_label), "labels.csv", target_for(sandbox),
                       UploadOptions(retry=FAST_RETRY), report_path=str(report)).run()
    assert status.succeeded and status.counts["uploaded"] == 450 and status.combined == 150
    concepts = {i.data.image.url: sorted(c.name for c in i.data.concepts) for i in sandbox.stored_inputs()}
    assert len(sandbox.stored_inputs()) == len(concepts) == 300
    assert concepts == {f"https://h.test/{n}.jpg": ["cat", "pet"] if n % 2 == 0 else ["cat"] for n in range(300)}
    with open(report, newline="") as handle:
        assert sorted(int(row["line"]) for row in csv.DictReader(handle)) == list(range(2, 452))  # every row


def test_rows_too_far_apart_to_wait_for_are_uploaded_and_said_to_make_more_than_one_input(sandbox, monkeypatch):
    monkeypatch.setattr(validate, "MAX_HELD", 2)  # a, b and c wait: a goes on without its second row
    listing = ("url,label\n" + "".join(f"https://h.test/{name}.jpg,cat\n" for name in "abcd")
               + "".join(f"https://h.test/{name}.jpg,pet\n" for name in "abc")).encode()
    status = upload(listing, target_for(sandbox))
    assert status.succeeded and status.counts["uploaded"] == 7 and status.combined == 2
    images = sorted(i.data.image.url.rsplit("/", 1)[1] for i in sandbox.stored_inputs())
    assert images == ["a.jpg", "a.jpg", "b.jpg", "c.jpg", "d.jpg"]
    assert ("1 image has rows too far apart in the list to combine (more than 100,000 rows waited at once): each is "
            "stored as more than one input. Sort the list by web address to combine them.") in status.warnings


def test_rows_waiting_for_their_turn_when_the_upload_is_stopped_are_not_sent_and_not_counted_as_failed(
        sandbox, tmp_path):
    rows = b"url\n" + b"".join(b"https://h.test/%d.jpg\n" % n for n in range(10))
    report, to_fix = tmp_path / "report.csv", tmp_path / "to-fix.csv"
    job = UploadJob(lambda: io.BytesIO(rows), "paced.csv", target_for(sandbox),
                    UploadOptions(batch_size=1, workers=4, max_rps=0.5, retry=FAST_RETRY, check_downloads=False),
                    report_path=str(report), failed_path=str(to_fix))
    running = threading.Thread(target=job.run)
    running.start()
    while not sandbox.stored_inputs():
        running.join(0.01)
    job.cancel()  # three rows wait 2, 4 and 6 s for their turn: like the rows not read yet, they are left to send
    running.join()
    status = job.snapshot()
    assert len(sandbox.stored_inputs()) == 1
    assert status.cancelled and dict(status.counts) == {"uploaded": 1, "already_there": 0, "invalid": 0, "failed": 0}
    assert status.processed == 1 and status.problems == ()
    assert [row["status"] for row in csv.DictReader(report.open())] == ["uploaded"]
    assert to_fix.read_text() == "url\n"


def test_dry_run_needs_no_target_and_sends_nothing(sandbox):
    status = upload(EDGE_CASES, None, dry_run=True)
    assert dict(status.counts) == {"uploaded": 2, "already_there": 0, "invalid": 3, "failed": 0}
    assert sandbox.stats().post_calls == 0


def test_connection_check_counts_inputs_and_refuses_a_wrong_key(sandbox):
    upload(b"url\nhttps://h.test/a.jpg\n", target_for(sandbox))
    client = Client(target_for(sandbox))
    assert client.count_inputs() == 1
    client.close()
    with pytest.raises(AuthError):
        Client(target_for(sandbox, pat="nope")).count_inputs()


def test_target_repr_and_label_never_show_the_key():
    target = Target(base="h:1", pat="secret-token-123", user_id="u", app_id="a")
    assert "secret-token-123" not in repr(target) + target.label + repr(Client(target))


def test_environment_gives_defaults_and_flags_win():
    env = {"CLARIFAI_GRPC_BASE": "http://127.0.0.1:5", "CLARIFAI_PAT": "p", "CLARIFAI_USER_ID": "u",
           "CLARIFAI_APP_ID": "a"}
    target = Target.from_env(env, app_id="b")
    assert (target.host_port, target.insecure, target.pat, target.app_id) == (("127.0.0.1", 5), True, "p", "b")
    assert Target.from_env(env, api_key="k").pat == ""
    assert service_pb2 and status_code_pb2  # protocol modules importable beside the client


def test_hosted_copies_come_back_with_the_key_which_never_follows_a_redirect_off_its_host(sandbox):
    """The app's copies of files sent as bytes are fetched with the key; a redirect elsewhere drops it, and a
    copy named over plain HTTP off this machine is not asked for at all."""
    picture = b"\x89PNG\r\n\x1a\n" + bytes(range(200))
    job = UploadJob(lambda: io.BytesIO(b"file\nred.png\n"), "list.csv", target_for(sandbox), UploadOptions(retry=FAST_RETRY),
                    files=from_files([("red.png", picture)]))
    assert job.run().counts["uploaded"] == 1
    client = Client(target_for(sandbox))
    try:
        [item] = client.list_page(1, 10)
    finally:
        client.close()
    assert not item.data.image.base64  # as hosted: ListInputs names a copy instead of sending the bytes back
    url = hosted_url(item.data.image, "orig")
    assert fetch_hosted(target_for(sandbox), [url]) == [picture]
    assert fetch_hosted(target_for(sandbox, pat="wrong"), [url]) == [None]

    seen: list[str | None] = []

    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append(self.headers.get("Authorization"))
            self.send_response(302)
            self.send_header("Location", url)  # the sandbox: another port, so another host
            self.end_headers()

        def log_message(self, *arguments):
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Redirect) as elsewhere:
        threading.Thread(target=elsewhere.serve_forever, daemon=True).start()
        assert fetch_hosted(target_for(sandbox), [f"http://127.0.0.1:{elsewhere.server_address[1]}/orig/x"]) == [None]
        elsewhere.shutdown()
    assert seen == [f"Key {sandbox.config.pat}"]  # sent to the host named, then dropped: the sandbox said 400

    plain = resources_pb2.Image()
    plain.hosted.prefix, plain.hosted.suffix = "http://data.example.com", "users/u/apps/a/inputs/image/0"
    plain.hosted.sizes.append("orig")
    assert hosted_url(plain, "small") == ""
    plain.hosted.prefix = "https://data.example.com"
    assert hosted_url(plain, "small") == "https://data.example.com/orig/users/u/apps/a/inputs/image/0"  # no small: orig


def test_an_inputs_own_url_is_fetched_without_a_key_and_only_over_http(image_server: str, tmp_path) -> None:
    """To draw boxes on an image the app keeps no copy of, the page fetches its url: never with the key, and
    never a file on this machine that a url names."""
    seen: list[str | None] = []

    class Picture(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append(self.headers.get("Authorization"))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"picture")

        def log_message(self, *arguments):
            pass

    secret = tmp_path / "secret.png"
    secret.write_bytes(b"private")
    with ThreadingHTTPServer(("127.0.0.1", 0), Picture) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        found = fetch_public([f"http://127.0.0.1:{server.server_address[1]}/a.png", secret.as_uri(),
                              f"{image_server}/1.png"])
        server.shutdown()
    assert found[:2] == [b"picture", None] and found[2].startswith(b"\x89PNG")
    assert seen == [None]
