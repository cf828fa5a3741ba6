"""A local Clarifai-compatible gRPC server for tests, demos and the CLI.

    with start(SandboxConfig(download_delay=0.05)) as sandbox:
        ...  # point a client at sandbox.address with the config's pat, user_id, app_id
"""

from .server import Sandbox, SandboxConfig, SandboxStats, serve, start

__all__ = ["Sandbox", "SandboxConfig", "SandboxStats", "serve", "start"]
