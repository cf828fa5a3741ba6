"""The resume journal: which rows of one file a target has confirmed, in SQLite (WAL).

Written as each batch is confirmed, so a crash, a `kill -9` or Ctrl-C loses at most
the batches in flight. Keyed by the target (address, user, app; never the key) and
the file's content hash (with a workbook's sheet). A damaged journal is set aside, never trusted.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

STATE_DIR_ENV = "INGEST_STATE_DIR"
HASH_CHUNK = 1024 * 1024


def state_dir() -> Path:
    """`INGEST_STATE_DIR`, else the user's cache folder."""
    configured = os.environ.get(STATE_DIR_ENV)
    if configured:
        return Path(configured)
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "clarifai-ingest"


def file_digest(stream: BinaryIO) -> str:
    """A content hash of the whole file, read in chunks."""
    digest = hashlib.blake2b(digest_size=16)
    with stream:
        while chunk := stream.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def table_digest(digest: str, sheet: str | None) -> str:
    """What a record is keyed by: the file's digest, and for a workbook the sheet read, whose lines it holds."""
    return digest if sheet is None else hashlib.blake2b(f"{digest}\n{sheet}".encode(), digest_size=16).hexdigest()


def journal_path(target_key: str, digest: str) -> Path:
    name = hashlib.blake2b(f"{target_key}\n{digest}".encode(), digest_size=16).hexdigest()
    return state_dir() / f"{name}.sqlite"


def confirmed_count(target_key: str, digest: str) -> int:
    """How many rows an interrupted earlier run confirmed (0 when there is no usable record)."""
    path = journal_path(target_key, digest)
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return db.execute("SELECT count(*) FROM confirmed").fetchone()[0]
    except sqlite3.DatabaseError:
        return 0  # the upload itself reports and sets aside a damaged record


class Journal:
    """Confirmed row lines of one file for one target."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL keeps committed batches across a crash
            self._db.execute("CREATE TABLE IF NOT EXISTS confirmed (line INTEGER PRIMARY KEY) WITHOUT ROWID")
            if self._db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("quick_check failed")
        except sqlite3.DatabaseError:
            self._db.close()
            raise

    @classmethod
    def open(cls, target_key: str, digest: str, restart: bool = False) -> tuple[Journal, str]:
        """Open (or start) the journal; returns it and a warning when an old one was set aside or dropped."""
        path = journal_path(target_key, digest)
        warning = ""
        if restart and path.exists():
            _remove(path)
            warning = "Starting over: every row is sent again, whatever an earlier run of this file confirmed."
        try:
            return cls(path), warning
        except sqlite3.DatabaseError:
            aside = path.with_name(f"{path.name}.damaged-{int(time.time())}")
            path.rename(aside)
            return cls(path), (
                f"The resume record {path.name} was damaged and has been set aside as {aside.name}; "
                "starting without it (rows the app already holds will show as already there)."
            )

    def confirmed(self) -> set[int]:
        return {line for (line,) in self._db.execute("SELECT line FROM confirmed")}

    def record(self, lines: Iterable[int]) -> None:
        with self._db:
            self._db.executemany("INSERT OR IGNORE INTO confirmed VALUES (?)", ((line,) for line in lines))

    def close(self) -> None:
        self._db.close()

    def discard(self) -> None:
        """Close and delete: the file is done, nothing to resume."""
        self.close()
        _remove(self.path)


def forget(target_key: str, digest: str) -> None:
    """Drop the record of a file's rows for a target (its inputs were deleted: none is confirmed any more)."""
    _remove(journal_path(target_key, digest))


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
