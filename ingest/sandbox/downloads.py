"""How the sandbox's simulated downloads end, and the real fetch of urls on this machine.

The hosted API downloads every url it is given. The sandbox cannot reach the
internet, so it decides: a url matching `fail_urls` fails; a url on loopback
(127.0.0.0/8, ::1, localhost) is fetched once for real, in a background thread,
and fails on anything but a 2xx answer; any other url succeeds, or fails when
`other_urls` is "fail". Raw text and bytes always succeed.
"""

from __future__ import annotations

import http.client
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from ..upload import is_loopback
from .store import FAILED, SUCCESS, InputStore

FETCH_TIMEOUT_SECONDS = 5.0  # per connect or read; a loopback server answers at once
FETCH_WORKERS = 8  # real fetches at a time, apart from the gRPC workers
READ_CHUNK_BYTES = 64 * 1024
MAX_FETCH_BYTES = 300 * 1024 * 1024  # hosted takes video urls up to 300 MB, images far less
OTHER_URLS = ("succeed", "fail")  # what becomes of urls the sandbox cannot reach


class _LoopbackRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects, as hosted does, but never off this machine."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if not is_loopback(newurl):
            raise urllib.error.HTTPError(
                newurl, code, f"redirected off this machine to {newurl}", headers, fp
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


# No proxies: an http_proxy in the environment must not swallow a loopback url.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _LoopbackRedirects())


def fetch_url(url: str, timeout: float = FETCH_TIMEOUT_SECONDS) -> tuple[int, str | None]:
    """GET the url and read its body; (SUCCESS, None) on a 2xx, else (FAILED, why)."""
    request = urllib.request.Request(url, headers={"User-Agent": "clarifai-sandbox"})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            size = 0
            while chunk := response.read(READ_CHUNK_BYTES):
                size += len(chunk)
                if size > MAX_FETCH_BYTES:
                    return FAILED, f"Download failed: larger than {MAX_FETCH_BYTES >> 20} MB"
    except urllib.error.HTTPError as error:
        return FAILED, f"Download failed: HTTP {error.code} {error.reason}"
    except urllib.error.URLError as error:
        return FAILED, f"Download failed: {_plain(error.reason, timeout)}"
    except (OSError, ValueError, http.client.HTTPException) as error:
        return FAILED, f"Download failed: {_plain(error, timeout)}"
    return SUCCESS, None


def _plain(reason: object, timeout: float) -> str:
    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    return str(reason) or type(reason).__name__


class Downloads:
    """Decides each new input's download outcome and runs the real fetches in the background."""

    def __init__(
        self,
        store: InputStore,
        fail_urls: str | None,
        other_urls: str,
        timeout: float = FETCH_TIMEOUT_SECONDS,
    ) -> None:
        self._store = store
        self._fail_urls = re.compile(fail_urls) if fail_urls else None
        self._other_urls = other_urls
        self._timeout = timeout
        self._executor = ThreadPoolExecutor(FETCH_WORKERS, thread_name_prefix="sandbox-fetch")
        self._lock = threading.Lock()
        self._running: set[int] = set()  # rows being fetched
        self._closed = False

    def outcome(self, url: str | None) -> tuple[int | None, str | None]:
        """How a new input's download ends: (code, description), or (None, None) when the
        url is fetched for real: pass it to `fetch` once it is stored."""
        if url is None:
            return SUCCESS, None
        if self._fail_urls and self._fail_urls.search(url):
            return FAILED, "Download failed: the url matches the sandbox's fail_urls"
        if is_loopback(url):
            return None, None
        if self._other_urls == "fail":
            host = urlsplit(url).hostname or url
            return FAILED, f"Download failed: the sandbox cannot reach {host} (other_urls is 'fail')"
        return SUCCESS, None

    def fetch(self, rows: Iterable[tuple[int, str]]) -> None:
        """Fetch these stored inputs' urls in the background, each once."""
        with self._lock:
            if self._closed:
                return
            for row, url in rows:
                if row not in self._running:
                    self._running.add(row)
                    self._executor.submit(self._fetch, row, url)

    def fetch_pending(self) -> None:
        """Fetch every stored input still waiting for it: those a restart interrupted."""
        self.fetch(self._store.fetching())

    def _fetch(self, row: int, url: str) -> None:
        try:
            code, reason = fetch_url(url, self._timeout)
        except Exception as error:  # a bug here must not leave the input pending forever
            code, reason = FAILED, f"Download failed: {error!r}"
        self._store.settle(row, code, reason)
        with self._lock:
            self._running.discard(row)

    def close(self) -> None:
        """Start no more fetches; running ones end within the timeout and record nothing."""
        with self._lock:
            self._closed = True
        self._executor.shutdown(wait=False, cancel_futures=True)
