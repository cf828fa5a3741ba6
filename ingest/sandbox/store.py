"""SQLite storage for the sandbox: inputs as sent, their upload jobs and concepts.

An input's download status is not stored: it is computed on every read from its
created time, so PENDING turns into SUCCESS (or FAILED) without a background
thread. Lists come back in insertion order.
"""

from __future__ import annotations

import enum
import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from clarifai_grpc.grpc.api import resources_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2, status_pb2

PENDING = status_code_pb2.INPUT_DOWNLOAD_PENDING
SUCCESS = status_code_pb2.INPUT_DOWNLOAD_SUCCESS
FAILED = status_code_pb2.INPUT_DOWNLOAD_FAILED

# The descriptions the hosted API gives these codes.
_DESCRIPTIONS = {
    PENDING: "Download pending",
    SUCCESS: "Download complete",
    FAILED: "Download failed; check URL",
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inputs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- insertion order
    user_id TEXT NOT NULL,
    app_id TEXT NOT NULL,
    id TEXT NOT NULL,
    url TEXT,                               -- NULL for raw text or bytes
    input BLOB NOT NULL,                    -- serialized resources_pb2.Input as sent
    created REAL NOT NULL,                  -- epoch seconds, same as input.created_at
    doomed INTEGER NOT NULL,                -- its download will end FAILED
    job_id TEXT NOT NULL,
    UNIQUE (user_id, app_id, id)
);
CREATE INDEX IF NOT EXISTS inputs_by_url ON inputs (user_id, app_id, url);
CREATE INDEX IF NOT EXISTS inputs_by_job ON inputs (user_id, app_id, job_id);
CREATE TABLE IF NOT EXISTS jobs (
    user_id TEXT NOT NULL,
    app_id TEXT NOT NULL,
    id TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (user_id, app_id, id)
);
CREATE TABLE IF NOT EXISTS concepts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    app_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    created REAL NOT NULL,
    UNIQUE (user_id, app_id, id)
);
"""

# The status code of a row, given :cutoff = now - download_delay.
_STATUS_SQL = f"""
    CASE WHEN created > :cutoff THEN {PENDING}
         WHEN doomed THEN {FAILED}
         ELSE {SUCCESS} END"""


class App(NamedTuple):
    """Which user's app a row belongs to."""

    user_id: str
    app_id: str


class Conflict(enum.Enum):
    """Why an input was not stored."""

    ID = "id"  # the id is already taken in the app
    URL = "url"  # the url is already stored and duplicates were not allowed


@dataclass(frozen=True)
class NewInput:
    """An input ready to store: its id filled in and created_at set."""

    input: resources_pb2.Input
    url: str | None
    allow_duplicate_url: bool
    doomed: bool


@dataclass(frozen=True)
class JobProgress:
    """Counts of a job's stored inputs by download status."""

    created: float
    pending: int
    success: int
    failed: int


def _timestamp_seconds(message: resources_pb2.Input) -> float:
    return message.created_at.seconds + message.created_at.nanos / 1e9


class InputStore:
    """Inputs per app in SQLite (a file, or memory when path is None), safe across threads."""

    def __init__(self, path: str | None, download_delay: float) -> None:
        # One connection behind a lock: the gRPC server calls from many threads.
        self._db = sqlite3.connect(path or ":memory:", check_same_thread=False)
        self._lock = threading.Lock()
        self._delay = download_delay
        with self._lock, self._db:
            if path:
                # Readers do not block the writer, and a crash leaves the file whole.
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database; the store is unusable afterwards."""
        with self._lock:
            self._db.close()

    def add(self, app: App, job_id: str, inputs: Sequence[NewInput]) -> list[Conflict | None]:
        """Store each input unless its id (or url) is taken; record the job and concepts.

        Returns, per input in order, None if stored or the conflict that refused it.
        Ids and urls earlier in the same batch count as taken.
        """
        outcomes: list[Conflict | None] = []
        now = time.time()
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO jobs VALUES (?, ?, ?, ?)", (*app, job_id, now)
            )
            for new in inputs:
                conflict = self._conflict(app, new)
                outcomes.append(conflict)
                if conflict is None:
                    self._insert(app, job_id, new)
        return outcomes

    def _conflict(self, app: App, new: NewInput) -> Conflict | None:
        taken = self._db.execute(
            "SELECT 1 FROM inputs WHERE user_id = ? AND app_id = ? AND id = ?",
            (*app, new.input.id),
        ).fetchone()
        if taken:
            return Conflict.ID
        if new.url and not new.allow_duplicate_url:
            taken = self._db.execute(
                "SELECT 1 FROM inputs WHERE user_id = ? AND app_id = ? AND url = ? LIMIT 1",
                (*app, new.url),
            ).fetchone()
            if taken:
                return Conflict.URL
        return None

    def _insert(self, app: App, job_id: str, new: NewInput) -> None:
        created = _timestamp_seconds(new.input)
        self._db.execute(
            "INSERT INTO inputs (user_id, app_id, id, url, input, created, doomed, job_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (*app, new.input.id, new.url, new.input.SerializeToString(), created,
             new.doomed, job_id),
        )
        # Hosted apps keep a concept once any input used it, even after deletes.
        self._db.executemany(
            "INSERT OR IGNORE INTO concepts (user_id, app_id, id, name, created)"
            " VALUES (?, ?, ?, ?, ?)",
            [(*app, c.id, c.name or c.id, created) for c in new.input.data.concepts if c.id],
        )

    def get(self, app: App, input_id: str) -> resources_pb2.Input | None:
        """The input with its current status, or None."""
        found = self.find(app, offset=0, limit=1, ids=[input_id])
        return found[0] if found else None

    def find(
        self,
        app: App,
        offset: int,
        limit: int,
        ids: Sequence[str] = (),
        status_code: int = 0,
    ) -> list[resources_pb2.Input]:
        """A page of an app's inputs in insertion order, filtered by ids and status when given."""
        where = ["user_id = :user_id", "app_id = :app_id"]
        params: dict[str, Any] = {
            "user_id": app.user_id, "app_id": app.app_id, "cutoff": self._cutoff(),
            "limit": limit, "offset": offset,
        }
        if ids:
            # json_each keeps the id list in one parameter, whatever its length.
            where.append("id IN (SELECT value FROM json_each(:ids))")
            params["ids"] = json.dumps(list(ids))
        if status_code:
            where.append(f"{_STATUS_SQL} = :status_code")
            params["status_code"] = status_code
        sql = (
            f"SELECT input, {_STATUS_SQL} FROM inputs WHERE {' AND '.join(where)}"
            " ORDER BY seq LIMIT :limit OFFSET :offset"
        )
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return _inputs(rows)

    def all_inputs(self) -> list[resources_pb2.Input]:
        """Every stored input of every app, in insertion order, with its status."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT input, {_STATUS_SQL} FROM inputs ORDER BY seq",
                {"cutoff": self._cutoff()},
            ).fetchall()
        return _inputs(rows)

    def count(self, app: App) -> dict[int, int]:
        """Number of an app's inputs per status code."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_STATUS_SQL} AS code, COUNT(*) FROM inputs"
                " WHERE user_id = :user_id AND app_id = :app_id GROUP BY code",
                {"user_id": app.user_id, "app_id": app.app_id, "cutoff": self._cutoff()},
            ).fetchall()
        return dict(rows)

    def job_progress(self, app: App, job_id: str) -> JobProgress | None:
        """Counts of the inputs stored under a job, or None if the job is unknown."""
        params = {"user_id": app.user_id, "app_id": app.app_id, "job_id": job_id,
                  "cutoff": self._cutoff()}
        with self._lock:
            job = self._db.execute(
                "SELECT created FROM jobs"
                " WHERE user_id = :user_id AND app_id = :app_id AND id = :job_id",
                params,
            ).fetchone()
            rows = self._db.execute(
                f"SELECT {_STATUS_SQL} AS code, COUNT(*) FROM inputs WHERE user_id = :user_id"
                " AND app_id = :app_id AND job_id = :job_id GROUP BY code",
                params,
            ).fetchall()
        if job is None:
            return None
        counts = dict(rows)
        return JobProgress(
            created=job[0],
            pending=counts.get(PENDING, 0),
            success=counts.get(SUCCESS, 0),
            failed=counts.get(FAILED, 0),
        )

    def delete(self, app: App, ids: Iterable[str]) -> int:
        """Delete inputs by id; returns how many existed."""
        with self._lock, self._db:
            cursor = self._db.execute(
                "DELETE FROM inputs WHERE user_id = ? AND app_id = ?"
                " AND id IN (SELECT value FROM json_each(?))",
                (*app, json.dumps(list(ids))),
            )
        return cursor.rowcount

    def concepts(self, app: App, offset: int, limit: int) -> list[resources_pb2.Concept]:
        """A page of the concepts any input of the app has used, first seen first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, name, created FROM concepts WHERE user_id = ? AND app_id = ?"
                " ORDER BY seq LIMIT ? OFFSET ?",
                (*app, limit, offset),
            ).fetchall()
        concepts = []
        for concept_id, name, created in rows:
            concept = resources_pb2.Concept(
                id=concept_id, name=name, user_id=app.user_id, app_id=app.app_id
            )
            concept.created_at.FromMicroseconds(round(created * 1e6))
            concepts.append(concept)
        return concepts

    def clear(self) -> None:
        """Delete every input, job and concept."""
        with self._lock, self._db:
            self._db.executescript("DELETE FROM inputs; DELETE FROM jobs; DELETE FROM concepts;")

    def _cutoff(self) -> float:
        """Inputs created after this moment are still downloading."""
        return time.time() - self._delay


def _inputs(rows: Iterable[tuple[bytes, int]]) -> list[resources_pb2.Input]:
    inputs = []
    for blob, code in rows:
        message = resources_pb2.Input.FromString(blob)
        message.status.CopyFrom(status_pb2.Status(code=code, description=_DESCRIPTIONS[code]))
        inputs.append(message)
    return inputs
