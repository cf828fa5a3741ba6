"""The sandbox's copies of inputs sent as bytes, served over HTTP as the hosted API serves them.

The hosted API never sends an input's bytes back in GetInput or ListInputs: it names a
copy, `hosted.prefix + "/" + size + "/" + hosted.suffix` (the original's is its url too,
which Clarifai's SDK downloads from), to fetch over HTTPS with the same
`Authorization: Key ...` header (no header: 400; a wrong key: 401). The suffix is
`users/<user>/apps/<app>/inputs/<kind>/<md5 of the bytes>`; images come in the sizes
orig, tiny, small and large, other media in orig.
"""

from __future__ import annotations

import re
import socket
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from clarifai_grpc.grpc.api import resources_pb2

from ..pictures import resized
from .store import App, InputStore, hosted_name, media_bytes

IMAGE_SIZES = {"orig": None, "tiny": 128, "small": 320, "large": 1024}  # longest side, in pixels
OTHER_SIZES = {"orig": None}
_PATH = re.compile(r"/(?P<size>\w+)/users/(?P<user>[\w-]+)/apps/(?P<app>[\w-]+)/inputs/(?P<kind>\w+)/(?P<name>[0-9a-f]{32})")


def host_copy(message: resources_pb2.Input, app: App, prefix: str) -> resources_pb2.Input:
    """The input as GetInput and ListInputs return it: its bytes left out, their hosted copy named."""
    media = media_bytes(message)
    if media is None:
        return message
    kind, content = media
    served = getattr(message.data, kind)
    served.ClearField("base64")
    served.hosted.prefix = prefix
    served.hosted.suffix = f"users/{app.user_id}/apps/{app.app_id}/inputs/{kind}/{hosted_name(content)}"
    served.hosted.sizes.extend(list(IMAGE_SIZES if kind == "image" else OTHER_SIZES))
    served.url = f"{prefix}/orig/{served.hosted.suffix}"  # Clarifai's SDK downloads an input from its url
    return message


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


class HostedCopies:
    """An HTTP server on the sandbox's host serving its inputs' bytes; stop it with `close`."""

    def __init__(self, store: InputStore, app: App, tokens: tuple[str, ...], host: str) -> None:
        hosting = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  the name http.server calls
                status, body = hosting.answer(self.path, self.headers.get("Authorization", ""))
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream" if status == HTTPStatus.OK else "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *arguments: object) -> None:
                """Quiet: a request line names no key, but the sandbox prints nothing of its own."""

        self._store = store
        self._app = app
        self._tokens = tuple(token for token in tokens if token)
        server_class = _IPv6Server if ":" in host else ThreadingHTTPServer
        self._server = server_class((host, 0), Handler)
        self._server.daemon_threads = True
        shown = f"[{host}]" if ":" in host else host
        self.prefix = f"http://{shown}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="sandbox-hosting", daemon=True)
        self._thread.start()

    def answer(self, path: str, authorization: str) -> tuple[int, bytes]:
        """(HTTP status, body) for a GET of `path` with this Authorization header."""
        if not authorization:
            return HTTPStatus.BAD_REQUEST, b"Send the Authorization: Key header of the API."
        if authorization.removeprefix("Key ") not in self._tokens or not authorization.startswith("Key "):
            return HTTPStatus.UNAUTHORIZED, b"Invalid API key or personal access token."
        asked = _PATH.fullmatch(path)
        if asked is None or App(asked["user"], asked["app"]) != self._app:
            return HTTPStatus.NOT_FOUND, b"No such hosted input."
        found = self._store.hosted_media(self._app, asked["name"])
        sizes = IMAGE_SIZES if asked["kind"] == "image" else OTHER_SIZES
        if found is None or found[0] != asked["kind"] or asked["size"] not in sizes:
            return HTTPStatus.NOT_FOUND, b"No such hosted input."
        longest = sizes[asked["size"]]
        return HTTPStatus.OK, found[1] if longest is None else resized(found[1], longest)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
