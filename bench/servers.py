"""Sandboxes in their own processes, so the server never shares the client's GIL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass

from ingest.sandbox import SandboxConfig
from ingest.upload import Client, Target

START_SECONDS = 30.0
CONFIG = SandboxConfig()  # the credentials the sandbox accepts by default


@dataclass
class SandboxProcess:
    """A `python -m ingest sandbox` child and where to reach it."""

    process: subprocess.Popen
    address: str

    @property
    def target(self) -> Target:
        return Target(base=self.address, insecure=True, pat=CONFIG.pat, user_id=CONFIG.user_id,
                      app_id=CONFIG.app_id)

    @property
    def env(self) -> dict[str, str]:
        """The CLI's environment for this sandbox."""
        return {
            "CLARIFAI_GRPC_BASE": self.address, "CLARIFAI_GRPC_INSECURE": "1",
            "CLARIFAI_PAT": CONFIG.pat, "CLARIFAI_USER_ID": CONFIG.user_id, "CLARIFAI_APP_ID": CONFIG.app_id,
        }

    def stored(self) -> int:
        """Inputs the app holds, asked over gRPC like any client would."""
        client = Client(self.target)
        try:
            client.wait_ready()
            return client.count_inputs()
        finally:
            client.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # the sandbox command stops cleanly on Ctrl-C
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_sandbox(latency_ms: float = 0.0, throttle_rps: float = 0.0) -> SandboxProcess:
    """Start a sandbox on a free port and wait until it says where it listens."""
    command = [sys.executable, "-m", "ingest", "sandbox", "--port", "0",
               "--latency-ms", str(latency_ms), "--throttle-rps", str(throttle_rps)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    line = process.stdout.readline()  # "Sandbox listening on HOST:PORT (Ctrl-C to stop)..."
    if not line.startswith("Sandbox listening on "):
        process.kill()
        raise RuntimeError(f"the sandbox did not start: {line!r}")
    # Keep reading what it prints: a closed pipe would kill it at its next write.
    threading.Thread(target=process.stdout.read, daemon=True).start()
    return SandboxProcess(process, line.split()[3])
