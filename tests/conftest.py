# --- sandbox fixtures (owned by the sandbox; other fixtures go outside this section) ---
from collections.abc import Iterator

import pytest
from clarifai_grpc.channel.clarifai_channel import ClarifaiChannel
from clarifai_grpc.grpc.api import service_pb2_grpc

from ingest.sandbox import Sandbox, SandboxConfig, start

# Small enough that waiting for downloads costs the suite nothing, but not 0,
# so tests still see inputs go PENDING -> SUCCESS.
TEST_DOWNLOAD_DELAY = 0.05


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """One sandbox per test module on a free port; tests call `sandbox.reset()` as needed."""
    with start(SandboxConfig(download_delay=TEST_DOWNLOAD_DELAY), port=0) as server:
        yield server


def stub_for(
    sandbox: Sandbox, token: str | None = None
) -> tuple[service_pb2_grpc.V2Stub, tuple[tuple[str, str], ...]]:
    """A V2 stub on the sandbox and the call metadata for its pat (or `token`)."""
    # The stub must be built right after ClarifaiChannel sets its module-level
    # deserializer; a stub on a plain grpc.insecure_channel misreads replies.
    channel = ClarifaiChannel.get_insecure_grpc_channel(base=sandbox.host, port=sandbox.port)
    stub = service_pb2_grpc.V2Stub(channel)
    return stub, (("authorization", f"Key {token or sandbox.config.pat}"),)
# --- end of sandbox fixtures ---


# --- shared fixtures ---
@pytest.fixture(autouse=True)
def state_dir(tmp_path, monkeypatch):
    """Resume journals go to the test's own folder, never the user's cache."""
    path = tmp_path / "state"
    monkeypatch.setenv("INGEST_STATE_DIR", str(path))
    return path
