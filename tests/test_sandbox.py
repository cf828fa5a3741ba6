"""The sandbox through real gRPC calls on 127.0.0.1:0, asserting what it stored."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import pytest
from clarifai_grpc.channel import clarifai_channel
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2
from google.protobuf.json_format import MessageToDict

from tests.conftest import stub_for
from ingest.sandbox import Sandbox, SandboxConfig, SandboxStats, start

# How many attempts ClarifaiChannel's own retry policy makes on UNAVAILABLE.
CHANNEL_ATTEMPTS = json.loads(clarifai_channel.grpc_json_config)["methodConfig"][0][
    "retryPolicy"
]["maxAttempts"]


@pytest.fixture
def server(sandbox: Sandbox) -> Sandbox:
    """The module's sandbox, emptied for this test."""
    sandbox.reset()
    return sandbox


def user_app(sandbox: Sandbox) -> resources_pb2.UserAppIDSet:
    return resources_pb2.UserAppIDSet(user_id=sandbox.config.user_id, app_id=sandbox.config.app_id)


def image(input_id: str, url: str | None = None, **image_fields: Any) -> resources_pb2.Input:
    url = url or f"https://example.com/{input_id}.jpg"
    return resources_pb2.Input(
        id=input_id, data=resources_pb2.Data(image=resources_pb2.Image(url=url, **image_fields))
    )


def post(
    sandbox: Sandbox, inputs: list[resources_pb2.Input], token: str | None = None, **request: Any
) -> service_pb2.MultiInputResponse:
    stub, metadata = stub_for(sandbox, token)
    request.setdefault("user_app_id", user_app(sandbox))
    return stub.PostInputs(service_pb2.PostInputsRequest(inputs=inputs, **request), metadata=metadata)


def list_inputs(sandbox: Sandbox, **request: Any) -> service_pb2.MultiInputResponse:
    stub, metadata = stub_for(sandbox)
    return stub.ListInputs(
        service_pb2.ListInputsRequest(user_app_id=user_app(sandbox), **request), metadata=metadata
    )


def get_input(sandbox: Sandbox, input_id: str) -> service_pb2.SingleInputResponse:
    stub, metadata = stub_for(sandbox)
    return stub.GetInput(
        service_pb2.GetInputRequest(user_app_id=user_app(sandbox), input_id=input_id),
        metadata=metadata,
    )


def stored_ids(sandbox: Sandbox) -> list[str]:
    return [each.id for each in sandbox.stored_inputs()]


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll until condition() holds; fail at the deadline."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(0.01)


def codes(response: service_pb2.MultiInputResponse) -> list[int]:
    return [each.status.code for each in response.inputs]


# -- PostInputs and GetInput -------------------------------------------------------


def test_round_trip_keeps_concepts_and_metadata(server: Sandbox) -> None:
    metadata = {
        "count": 3, "ratio": 0.5, "ok": True, "hidden": False, "nothing": None,
        "nested": {"deeper": {"name": "x"}}, "tags": [1, "two", None, {"three": False}],
    }
    sent = image("cat-1")
    sent.data.concepts.add(id="cat", name="Cat", value=1.0)
    sent.data.concepts.add(id="dog", value=0.0)  # a negative label
    sent.data.metadata.update(metadata)

    response = post(server, [sent])

    assert response.status.code == status_code_pb2.SUCCESS
    [reply] = response.inputs
    assert reply.id == "cat-1"
    assert reply.data.image.url == "https://example.com/cat-1.jpg"
    assert reply.status.code == status_code_pb2.INPUT_DOWNLOAD_PENDING
    assert reply.created_at.seconds > 0

    got = get_input(server, "cat-1")
    assert got.status.code == status_code_pb2.SUCCESS
    assert got.input.data.image.url == "https://example.com/cat-1.jpg"
    assert [(c.id, c.name, c.value) for c in got.input.data.concepts] == [
        ("cat", "Cat", 1.0), ("dog", "", 0.0)
    ]
    # Struct numbers are doubles: ints come back as floats.
    assert MessageToDict(got.input.data.metadata) == {
        **metadata, "count": 3.0, "tags": [1.0, "two", None, {"three": False}]
    }
    assert got.input.created_at == reply.created_at
    assert [each.id for each in server.stored_inputs()] == ["cat-1"]


def test_empty_id_gets_a_generated_one(server: Sandbox) -> None:
    response = post(server, [image("", url="https://example.com/anon.jpg")])

    [reply] = response.inputs
    assert len(reply.id) == 32 and int(reply.id, 16) >= 0
    assert stored_ids(server) == [reply.id]


def test_one_duplicate_id_gives_mixed_status(server: Sandbox) -> None:
    post(server, [image("a")])

    response = post(server, [image("a", url="https://example.com/other.jpg"), image("b")])

    assert response.status.code == status_code_pb2.MIXED_STATUS
    assert [each.id for each in response.inputs] == ["a", "b"]
    assert codes(response) == [status_code_pb2.INPUT_DUPLICATE, status_code_pb2.INPUT_DOWNLOAD_PENDING]
    assert response.inputs[0].status.description == "Input with this id already exists"
    assert stored_ids(server) == ["a", "b"]
    assert server.stats().duplicate_ids == 1


@pytest.mark.parametrize(
    "bad",
    [
        image("has space"),
        image("é"),
        image("slash/id"),
        resources_pb2.Input(id="no-data"),
    ],
    ids=["space", "non-ascii", "slash", "no-data"],
)
def test_invalid_inputs_are_refused(server: Sandbox, bad: resources_pb2.Input) -> None:
    response = post(server, [bad])

    assert response.status.code == status_code_pb2.FAILURE
    assert codes(response) == [status_code_pb2.INPUT_INVALID_ARGUMENT]
    assert response.inputs[0].status.description
    assert stored_ids(server) == []


def test_input_ids_longer_than_48_characters_are_refused_as_hosted(server: Sandbox) -> None:
    response = post(server, [image("a" * 48), image("b" * 49)])

    assert codes(response) == [status_code_pb2.INPUT_DOWNLOAD_PENDING, status_code_pb2.INPUT_INVALID_REQUEST]
    assert response.inputs[1].status.description == "id must be between 1 and 48 characters long"
    assert stored_ids(server) == ["a" * 48]


def test_all_refused_gives_failure(server: Sandbox) -> None:
    post(server, [image("taken")])

    response = post(server, [image("taken"), image("bad id")])

    assert response.status.code == status_code_pb2.FAILURE
    assert codes(response) == [status_code_pb2.INPUT_DUPLICATE, status_code_pb2.INPUT_INVALID_ARGUMENT]
    assert stored_ids(server) == ["taken"]


def test_duplicate_url_is_refused_unless_allowed(server: Sandbox) -> None:
    url = "https://example.com/same.jpg"
    post(server, [image("first", url)])

    refused = post(server, [image("second", url)])
    allowed = post(server, [image("third", url, allow_duplicate_url=True)])
    same_batch = post(server, [image("fourth", "https://example.com/new.jpg"),
                               image("fifth", "https://example.com/new.jpg")])

    assert codes(refused) == [status_code_pb2.INPUT_DUPLICATE]
    assert refused.inputs[0].status.description == f"Duplicate URL: {url}"
    assert codes(allowed) == [status_code_pb2.INPUT_DOWNLOAD_PENDING]
    assert codes(same_batch) == [status_code_pb2.INPUT_DOWNLOAD_PENDING, status_code_pb2.INPUT_DUPLICATE]
    assert stored_ids(server) == ["first", "third", "fourth"]


def test_more_than_128_inputs_are_refused_whole(server: Sandbox) -> None:
    too_many = post(server, [image(f"i{n}") for n in range(129)])
    just_right = post(server, [image(f"j{n}") for n in range(128)])

    assert too_many.status.code == status_code_pb2.CONN_INVALID_REQUEST
    assert "128" in too_many.status.description
    assert not too_many.inputs
    assert just_right.status.code == status_code_pb2.SUCCESS
    assert len(server.stored_inputs()) == 128


def test_requests_over_4_mib_are_accepted(server: Sandbox) -> None:
    big = resources_pb2.Input(
        id="big", data=resources_pb2.Data(image=resources_pb2.Image(base64=b"\xff" * (5 << 20)))
    )

    response = post(server, [big])

    assert response.status.code == status_code_pb2.SUCCESS
    assert len(server.stored_inputs()[0].data.image.base64) == 5 << 20


# -- auth ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "user_id", "app_id", "code"),
    [
        ("wrong", "sandbox", "demo", status_code_pb2.CONN_KEY_INVALID),
        ("", "sandbox", "demo", status_code_pb2.CONN_KEY_INVALID),
        ("sandbox-pat", "sandbox", "other", status_code_pb2.CONN_DOES_NOT_EXIST),
        ("sandbox-pat", "someone", "demo", status_code_pb2.CONN_DOES_NOT_EXIST),
        ("sandbox-pat", "", "", status_code_pb2.CONN_DOES_NOT_EXIST),
        ("sandbox-pat", "me", "demo", status_code_pb2.SUCCESS),
        ("sandbox-app-key", "", "", status_code_pb2.SUCCESS),
        ("sandbox-app-key", "sandbox", "demo", status_code_pb2.SUCCESS),
        ("sandbox-app-key", "sandbox", "other", status_code_pb2.CONN_KEY_INVALID),
    ],
)
def test_auth(server: Sandbox, token: str, user_id: str, app_id: str, code: int) -> None:
    stub, _ = stub_for(server)
    metadata = (("authorization", f"Key {token}"),) if token else ()
    request = service_pb2.PostInputsRequest(
        user_app_id=resources_pb2.UserAppIDSet(user_id=user_id, app_id=app_id),
        inputs=[image("a")],
    )

    response = stub.PostInputs(request, metadata=metadata)

    assert response.status.code == code
    assert stored_ids(server) == (["a"] if code == status_code_pb2.SUCCESS else [])
    if code == status_code_pb2.CONN_KEY_INVALID and token != "sandbox-app-key":
        assert response.status.description == "API key or personal access token is invalid"


@pytest.mark.parametrize(
    ("rpc", "request_type"),
    [
        ("GetInput", service_pb2.GetInputRequest),
        ("ListInputs", service_pb2.ListInputsRequest),
        ("GetInputCount", service_pb2.GetInputCountRequest),
        ("DeleteInputs", service_pb2.DeleteInputsRequest),
        ("DeleteInput", service_pb2.DeleteInputRequest),
        ("GetInputsAddJob", service_pb2.GetInputsAddJobRequest),
        ("ListConcepts", service_pb2.ListConceptsRequest),
    ],
)
def test_every_rpc_checks_the_key(server: Sandbox, rpc: str, request_type: type) -> None:
    stub, _ = stub_for(server, "wrong")

    response = getattr(stub, rpc)(
        request_type(user_app_id=user_app(server)), metadata=(("authorization", "Key wrong"),)
    )

    assert response.status.code == status_code_pb2.CONN_KEY_INVALID


def test_read_only_token_reads_but_cannot_write(make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(read_only_pat="reader", download_delay=0.0)
    post(sandbox, [image("a")])
    stub, metadata = stub_for(sandbox, "reader")

    posted = post(sandbox, [image("b")], token="reader")
    deleted = stub.DeleteInputs(
        service_pb2.DeleteInputsRequest(user_app_id=user_app(sandbox), ids=["a"]), metadata=metadata
    )
    listed = stub.ListInputs(service_pb2.ListInputsRequest(user_app_id=user_app(sandbox)),
                             metadata=metadata)

    assert posted.status.code == status_code_pb2.CONN_INSUFFICIENT_SCOPES
    assert deleted.status.code == status_code_pb2.CONN_INSUFFICIENT_SCOPES
    assert [each.id for each in listed.inputs] == ["a"]
    assert stored_ids(sandbox) == ["a"]


# -- throttling, faults, latency ---------------------------------------------------


def test_throttling_refuses_calls_beyond_the_rate(make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(throttle_rps=2)

    # Six calls well within the half second the bucket needs to earn a token back.
    responses = [post(sandbox, [image(f"t{n}")]) for n in range(6)]

    assert [r.status.code for r in responses] == [status_code_pb2.SUCCESS] * 2 + [
        status_code_pb2.CONN_THROTTLED
    ] * 4
    assert responses[-1].status.description == "exceeded limit of 2 requests per second"
    assert stored_ids(sandbox) == ["t0", "t1"]
    assert sandbox.stats() == SandboxStats(post_calls=6, throttled=4, inputs_stored=2)
    # The bucket refills: a later call goes through.
    wait_until(lambda: post(sandbox, [image("later")]).status.code == status_code_pb2.SUCCESS)


def test_fail_rate_aborts_before_storing(make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(fail_rate=1.0)

    with pytest.raises(grpc.RpcError) as raised:
        post(sandbox, [image("a")])

    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    assert stored_ids(sandbox) == []
    # ClarifaiChannel's service config retried the call itself before giving up.
    assert sandbox.stats() == SandboxStats(post_calls=CHANNEL_ATTEMPTS, faults=CHANNEL_ATTEMPTS)


def test_commit_fail_rate_stores_then_aborts(make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(commit_fail_rate=1.0)

    with pytest.raises(grpc.RpcError) as raised:
        post(sandbox, [image("a")])

    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    # Stored by the first attempt; the channel's invisible retries met the duplicate.
    assert stored_ids(sandbox) == ["a"]
    assert sandbox.stats() == SandboxStats(
        post_calls=CHANNEL_ATTEMPTS, faults=CHANNEL_ATTEMPTS, inputs_stored=1,
        duplicate_ids=CHANNEL_ATTEMPTS - 1,
    )


def test_seed_makes_faults_reproducible(make_sandbox: Callable[..., Sandbox]) -> None:
    def run(sandbox: Sandbox) -> list[str]:
        outcomes = []
        for n in range(8):
            try:
                outcomes.append(str(post(sandbox, [image(f"s{n}")]).status.code))
            except grpc.RpcError as error:
                outcomes.append(error.code().name)
        return outcomes

    first = make_sandbox(fail_rate=0.5, seed=7)
    second = make_sandbox(fail_rate=0.5, seed=7)

    assert run(first) == run(second)
    assert first.stats() == second.stats()
    assert 0 < first.stats().faults < first.stats().post_calls


def test_latency_is_added_to_calls_that_overlap(make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(latency_ms=200)
    stub, metadata = stub_for(sandbox)
    request = service_pb2.GetInputCountRequest(user_app_id=user_app(sandbox))

    began = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda _: stub.GetInputCount(request, metadata=metadata), range(4)))
    took = time.monotonic() - began

    assert all(r.status.code == status_code_pb2.SUCCESS for r in replies)
    assert 0.2 <= took < 0.75  # four 200 ms calls side by side; one after another would take 0.8 s


# -- ListInputs, download status, counts -------------------------------------------


def test_paging_is_hosted_style(server: Sandbox) -> None:
    post(server, [image(f"p{n}") for n in range(5)])

    def page(number: int, per_page: int = 2) -> list[str]:
        return [each.id for each in list_inputs(server, page=number, per_page=per_page).inputs]

    assert page(0) == page(1) == ["p0", "p1"]
    assert page(2) == ["p2", "p3"]
    assert page(3) == ["p4"]
    assert page(0, per_page=0) == [f"p{n}" for n in range(5)]  # default page size is 128
    past_end = list_inputs(server, page=4, per_page=2)
    assert past_end.status.code == status_code_pb2.SUCCESS
    assert [field.name for field, _ in past_end.ListFields()] == ["status"]


def test_list_filters_by_ids_in_insertion_order(server: Sandbox) -> None:
    post(server, [image(f"f{n}") for n in range(4)])

    found = list_inputs(server, ids=["f3", "f1", "missing"])

    assert [each.id for each in found.inputs] == ["f1", "f3"]


@pytest.fixture
def slow_downloads(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    """Downloads that take long enough to see them pending; /broken/ urls fail."""
    return make_sandbox(download_delay=0.5, fail_urls=r"/broken/")


def test_downloads_go_pending_then_success_or_failed(slow_downloads: Sandbox) -> None:
    sandbox = slow_downloads
    post(sandbox, [image("ok"), image("bad", "https://example.com/broken/1.jpg")],
         inputs_add_job_id="job-1")
    stub, metadata = stub_for(sandbox)

    def by_status(code: int) -> list[str]:
        status = {"code": code}
        return [each.id for each in list_inputs(sandbox, status=status).inputs]

    def count() -> resources_pb2.InputCount:
        request = service_pb2.GetInputCountRequest(user_app_id=user_app(sandbox))
        return stub.GetInputCount(request, metadata=metadata).counts

    def job() -> resources_pb2.InputsAddJob:
        request = service_pb2.GetInputsAddJobRequest(user_app_id=user_app(sandbox), id="job-1")
        return stub.GetInputsAddJob(request, metadata=metadata).inputs_add_job

    assert by_status(status_code_pb2.INPUT_DOWNLOAD_PENDING) == ["ok", "bad"]
    assert count() == resources_pb2.InputCount(to_process=2)
    assert job().progress == resources_pb2.InputsAddJobProgress(pending_count=2)
    assert job().status.code == status_code_pb2.JOB_RUNNING

    wait_until(lambda: get_input(sandbox, "ok").input.status.code
               == status_code_pb2.INPUT_DOWNLOAD_SUCCESS)

    assert get_input(sandbox, "bad").input.status.code == status_code_pb2.INPUT_DOWNLOAD_FAILED
    assert by_status(status_code_pb2.INPUT_DOWNLOAD_SUCCESS) == ["ok"]
    assert by_status(status_code_pb2.INPUT_DOWNLOAD_FAILED) == ["bad"]
    assert by_status(status_code_pb2.INPUT_DOWNLOAD_PENDING) == []
    assert count() == resources_pb2.InputCount(processed=1, errors=1)
    assert job().progress == resources_pb2.InputsAddJobProgress(success_count=1, failed_count=1)
    assert job().status.code == status_code_pb2.JOB_COMPLETED


def test_get_missing_input(server: Sandbox) -> None:
    assert get_input(server, "nope").status.code == status_code_pb2.INPUT_DOES_NOT_EXIST


def test_input_count(server: Sandbox) -> None:
    stub, metadata = stub_for(server)
    post(server, [image(f"c{n}") for n in range(3)])
    request = service_pb2.GetInputCountRequest(user_app_id=user_app(server))

    wait_until(lambda: stub.GetInputCount(request, metadata=metadata).counts.processed == 3)

    assert stub.GetInputCount(request, metadata=metadata).counts == resources_pb2.InputCount(
        processed=3
    )


# -- deletes, jobs, concepts ---------------------------------------------------------


def test_delete_inputs(server: Sandbox) -> None:
    stub, metadata = stub_for(server)
    post(server, [image("a"), image("b"), image("c")])

    many = stub.DeleteInputs(
        service_pb2.DeleteInputsRequest(user_app_id=user_app(server), ids=["a", "c", "missing"]),
        metadata=metadata,
    )
    one = service_pb2.DeleteInputRequest(user_app_id=user_app(server), input_id="b")
    first = stub.DeleteInput(one, metadata=metadata)
    again = stub.DeleteInput(one, metadata=metadata)

    assert many.status.code == status_code_pb2.SUCCESS
    assert first.status.code == status_code_pb2.SUCCESS
    assert again.status.code == status_code_pb2.INPUT_DOES_NOT_EXIST
    assert stored_ids(server) == []
    assert get_input(server, "a").status.code == status_code_pb2.INPUT_DOES_NOT_EXIST
    # A deleted id and its url are free again.
    assert post(server, [image("a")]).status.code == status_code_pb2.SUCCESS


def test_inputs_add_job_counts_its_own_inputs(server: Sandbox) -> None:
    stub, metadata = stub_for(server)
    post(server, [image("j1"), image("j2")], inputs_add_job_id="job-a")
    post(server, [image("j3"), image("j1")], inputs_add_job_id="job-a")  # j1 refused
    other = post(server, [image("k1")])

    def job(job_id: str) -> service_pb2.SingleInputsAddJobResponse:
        request = service_pb2.GetInputsAddJobRequest(user_app_id=user_app(server), id=job_id)
        return stub.GetInputsAddJob(request, metadata=metadata)

    generated = other.inputs_add_job.id
    # k1 was posted last: wait for its download too, not only job-a's.
    wait_until(lambda: job("job-a").inputs_add_job.progress.success_count == 3
               and job(generated).inputs_add_job.progress.success_count == 1)

    assert job("job-a").inputs_add_job.progress == resources_pb2.InputsAddJobProgress(success_count=3)
    assert len(generated) == 32
    assert job(generated).inputs_add_job.progress == resources_pb2.InputsAddJobProgress(success_count=1)
    assert job("unknown").status.code == status_code_pb2.CONN_DOES_NOT_EXIST


def test_list_concepts_seen_in_inputs(server: Sandbox) -> None:
    stub, metadata = stub_for(server)
    first, second = image("x"), image("y")
    first.data.concepts.add(id="cat", name="Cat", value=1.0)
    first.data.concepts.add(id="dog", value=0.0)
    second.data.concepts.add(id="dog", value=1.0)
    post(server, [first, second])

    response = stub.ListConcepts(
        service_pb2.ListConceptsRequest(user_app_id=user_app(server)), metadata=metadata
    )

    assert response.status.code == status_code_pb2.SUCCESS
    assert [(c.id, c.name) for c in response.concepts] == [("cat", "Cat"), ("dog", "dog")]


# -- lifecycle -----------------------------------------------------------------------


def test_reset_empties_store_and_stats(server: Sandbox) -> None:
    post(server, [image("a")])
    post(server, [image("a")])

    server.reset()

    assert server.stored_inputs() == []
    assert server.stats() == SandboxStats()
    assert post(server, [image("a")]).status.code == status_code_pb2.SUCCESS


def test_stop_closes_the_port() -> None:
    with start(SandboxConfig()) as sandbox:
        stub, metadata = stub_for(sandbox)
        assert post(sandbox, [image("a")]).status.code == status_code_pb2.SUCCESS

    with pytest.raises(grpc.RpcError) as raised:
        stub.GetInputCount(service_pb2.GetInputCountRequest(), metadata=metadata, timeout=5)
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    sandbox.stop()  # a second stop is harmless


def test_a_taken_port_is_an_error(server: Sandbox) -> None:
    with pytest.raises(OSError, match="cannot listen"):
        start(port=server.port)


def test_data_dir_keeps_inputs_across_restarts(tmp_path: Path) -> None:
    with start(SandboxConfig(download_delay=0.0), data_dir=str(tmp_path)) as sandbox:
        post(sandbox, [image("kept")])

    with start(SandboxConfig(download_delay=0.0), data_dir=str(tmp_path)) as again:
        assert stored_ids(again) == ["kept"]
        assert codes(post(again, [image("kept")])) == [status_code_pb2.INPUT_DUPLICATE]


def test_config_checks_and_hides_tokens() -> None:
    config = SandboxConfig(pat="secret-pat", api_key="secret-key", read_only_pat="secret-ro")

    assert "secret" not in repr(config)
    with pytest.raises(ValueError, match="fail_rate"):
        SandboxConfig(fail_rate=1.5)
    with pytest.raises(ValueError, match="download_delay"):
        SandboxConfig(download_delay=-1)
    with pytest.raises(Exception, match="unterminated|missing"):
        SandboxConfig(fail_urls="(")

