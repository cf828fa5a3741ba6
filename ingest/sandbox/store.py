"""SQLite storage for the sandbox: inputs as sent, their upload jobs, concepts,
datasets and annotations.

An input's download status is computed on every read: PENDING until its created
time plus the download delay, then the outcome stored with it (decided when it
was posted, or written once a real fetch of a loopback url ends; PENDING while
that fetch runs). Lists come back in insertion order.
"""

from __future__ import annotations

import enum
import hashlib
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

# The descriptions the hosted API gives these codes; a failed download says why in its own.
_DESCRIPTIONS = {
    PENDING: "Download pending",
    SUCCESS: "Download complete",
    FAILED: "Download failed; check URL",
}
ANNOTATION_SUCCESS = status_code_pb2.ANNOTATION_SUCCESS
HOSTED_KINDS = ("image", "video", "audio")  # media the API keeps a copy of, served over HTTP

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inputs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- insertion order
    user_id TEXT NOT NULL,
    app_id TEXT NOT NULL,
    id TEXT NOT NULL,
    url TEXT,                               -- NULL for raw text or bytes
    input BLOB NOT NULL,                    -- serialized resources_pb2.Input as sent
    created REAL NOT NULL,                  -- epoch seconds, same as input.created_at
    outcome INTEGER,                        -- SUCCESS or FAILED once the delay is over; NULL while fetching
    reason TEXT,                            -- a failed download's description
    job_id TEXT NOT NULL,
    hosted TEXT,                            -- the md5 of its media's bytes, which name its hosted copy
    UNIQUE (user_id, app_id, id)
);
CREATE INDEX IF NOT EXISTS inputs_by_url ON inputs (user_id, app_id, url);
CREATE INDEX IF NOT EXISTS inputs_by_hosted ON inputs (user_id, app_id, hosted) WHERE hosted IS NOT NULL;
CREATE INDEX IF NOT EXISTS inputs_by_job ON inputs (user_id, app_id, job_id);
CREATE INDEX IF NOT EXISTS inputs_fetching ON inputs (seq) WHERE outcome IS NULL;
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
CREATE TABLE IF NOT EXISTS datasets (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    app_id TEXT NOT NULL,
    id TEXT NOT NULL,
    dataset BLOB NOT NULL,                  -- serialized resources_pb2.Dataset
    UNIQUE (user_id, app_id, id)
);
CREATE TABLE IF NOT EXISTS dataset_inputs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    app_id TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    input_id TEXT NOT NULL,
    joined REAL NOT NULL,                   -- epoch seconds
    UNIQUE (user_id, app_id, dataset_id, input_id)
);
CREATE INDEX IF NOT EXISTS dataset_inputs_by_input ON dataset_inputs (user_id, app_id, input_id);
CREATE TABLE IF NOT EXISTS annotations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    app_id TEXT NOT NULL,
    id TEXT NOT NULL,
    input_id TEXT NOT NULL,
    annotation BLOB NOT NULL,               -- serialized resources_pb2.Annotation, without status
    UNIQUE (user_id, app_id, id)
);
CREATE INDEX IF NOT EXISTS annotations_by_input ON annotations (user_id, app_id, input_id);
"""

# The status code of a row, and a failed download's own description, given
# :cutoff = now - download_delay.
_PENDING_SQL = "(created > :cutoff OR outcome IS NULL)"
_STATUS_SQL = f"CASE WHEN {_PENDING_SQL} THEN {PENDING} ELSE outcome END"
_REASON_SQL = f"CASE WHEN {_PENDING_SQL} THEN NULL ELSE reason END"


class App(NamedTuple):
    """Which user's app a row belongs to."""

    user_id: str
    app_id: str


class Conflict(enum.Enum):
    """Why an input or annotation was not stored."""

    ID = "id"  # the id is already taken in the app
    URL = "url"  # the url is already stored and duplicates were not allowed
    NO_INPUT = "no input"  # an annotation's input does not exist


@dataclass(frozen=True)
class NewInput:
    """An input ready to store: its id filled in and created_at set.

    `outcome` is how its download ends (SUCCESS or FAILED, with `reason`), or
    None while the sandbox fetches its url for real and `settle` has not said.
    """

    input: resources_pb2.Input
    url: str | None
    allow_duplicate_url: bool
    outcome: int | None
    reason: str | None = None


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
        self._closed = False
        with self._lock, self._db:
            if path:
                # Readers do not block the writer, and a crash leaves the file whole.
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
            self._db.executescript(_SCHEMA)

    def _migrate(self) -> None:
        """Bring a file written by an older sandbox to this schema."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(inputs)")}
        if "doomed" in columns:  # the download outcome used to be one flag
            self._db.execute("ALTER TABLE inputs ADD COLUMN outcome INTEGER")
            self._db.execute("ALTER TABLE inputs ADD COLUMN reason TEXT")
            self._db.execute(
                f"UPDATE inputs SET outcome = CASE WHEN doomed THEN {FAILED} ELSE {SUCCESS} END"
            )
            self._db.execute("ALTER TABLE inputs DROP COLUMN doomed")
        if columns and "hosted" not in columns:  # inputs sent as bytes got a hosted copy later
            self._db.execute("ALTER TABLE inputs ADD COLUMN hosted TEXT")
            rows = self._db.execute("SELECT seq, input FROM inputs WHERE url IS NULL").fetchall()
            self._db.executemany("UPDATE inputs SET hosted = ? WHERE seq = ?",
                                 [(_hosted_name_of(resources_pb2.Input.FromString(blob)), seq) for seq, blob in rows])

    def close(self) -> None:
        """Close the database; the store is unusable afterwards, but `settle` is harmless."""
        with self._lock:
            self._closed = True
            self._db.close()

    def add(
        self, app: App, job_id: str, inputs: Sequence[NewInput], create_datasets: bool = False
    ) -> tuple[list[Conflict | None], list[tuple[int, str]]]:
        """Store each input unless its id (or url) is taken; record the job, concepts and
        dataset memberships, creating the datasets it names when `create_datasets`.

        Returns, per input in order, None if stored or the conflict that refused it; and
        (row, url) of each stored input whose url is to be fetched for real (no outcome).
        Ids and urls earlier in the same batch count as taken.
        """
        outcomes: list[Conflict | None] = []
        fetches: list[tuple[int, str]] = []
        now = time.time()
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO jobs VALUES (?, ?, ?, ?)", (*app, job_id, now)
            )
            for new in inputs:
                conflict = self._conflict(app, new)
                outcomes.append(conflict)
                if conflict is None:
                    row = self._insert(app, job_id, new, create_datasets)
                    if new.outcome is None and new.url:
                        fetches.append((row, new.url))
        return outcomes, fetches

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

    def _insert(self, app: App, job_id: str, new: NewInput, create_datasets: bool) -> int:
        created = _timestamp_seconds(new.input)
        cursor = self._db.execute(
            "INSERT INTO inputs (user_id, app_id, id, url, input, created, outcome, reason, job_id, hosted)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*app, new.input.id, new.url, new.input.SerializeToString(), created,
             new.outcome, new.reason, job_id, _hosted_name_of(new.input)),
        )
        self._remember_concepts(app, new.input.data.concepts, created)
        for dataset_id in new.input.dataset_ids:
            if create_datasets:
                self._insert_dataset(app, _new_dataset(app, dataset_id, created), ignore=True)
            self._db.execute(
                "INSERT OR IGNORE INTO dataset_inputs (user_id, app_id, dataset_id, input_id, joined)"
                " VALUES (?, ?, ?, ?, ?)",
                (*app, dataset_id, new.input.id, created),
            )
        return cursor.lastrowid or 0

    def _remember_concepts(
        self, app: App, concepts: Iterable[resources_pb2.Concept], created: float
    ) -> None:
        # Hosted apps keep a concept once any input used it, even after deletes.
        self._db.executemany(
            "INSERT OR IGNORE INTO concepts (user_id, app_id, id, name, created)"
            " VALUES (?, ?, ?, ?, ?)",
            [(*app, c.id, c.name or c.id, created) for c in concepts if c.id],
        )

    def fetching(self) -> list[tuple[int, str]]:
        """(row, url) of every stored input whose real fetch has not ended."""
        with self._lock:
            return self._db.execute(
                "SELECT seq, url FROM inputs WHERE outcome IS NULL ORDER BY seq"
            ).fetchall()

    def settle(self, row: int, outcome: int, reason: str | None) -> None:
        """Record how a real fetch ended; a row deleted meanwhile (or a closed store) is ignored."""
        with self._lock:
            if self._closed:
                return
            with self._db:
                self._db.execute(
                    "UPDATE inputs SET outcome = ?, reason = ? WHERE seq = ? AND outcome IS NULL",
                    (outcome, reason, row),
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
            f"SELECT input, {_STATUS_SQL}, {_REASON_SQL} FROM inputs WHERE {' AND '.join(where)}"
            " ORDER BY seq LIMIT :limit OFFSET :offset"
        )
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return _inputs(rows)

    def hosted_media(self, app: App, name: str) -> tuple[str, bytes] | None:
        """(kind, bytes) of the media an app's input sent as bytes, by its `hosted_name`; None if none."""
        with self._lock:
            row = self._db.execute(
                "SELECT input FROM inputs WHERE user_id = ? AND app_id = ? AND hosted = ? LIMIT 1",
                (*app, name),
            ).fetchone()
        return media_bytes(resources_pb2.Input.FromString(row[0])) if row else None

    def all_inputs(self) -> list[resources_pb2.Input]:
        """Every stored input of every app, in insertion order, with its status."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT input, {_STATUS_SQL}, {_REASON_SQL} FROM inputs ORDER BY seq",
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
        """Delete inputs by id, with their annotations and dataset memberships; returns how
        many existed."""
        params = (*app, json.dumps(list(ids)))
        with self._lock, self._db:
            cursor = self._db.execute(
                "DELETE FROM inputs WHERE user_id = ? AND app_id = ?"
                " AND id IN (SELECT value FROM json_each(?))",
                params,
            )
            deleted = cursor.rowcount
            for table in ("annotations", "dataset_inputs"):
                self._db.execute(
                    f"DELETE FROM {table} WHERE user_id = ? AND app_id = ?"
                    " AND input_id IN (SELECT value FROM json_each(?))",
                    params,
                )
        return deleted

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

    # -- datasets ---------------------------------------------------------------

    def add_datasets(self, app: App, datasets: Sequence[resources_pb2.Dataset]) -> list[str]:
        """Create all the datasets, or none: returns the ids already taken (none if created).

        An id twice in `datasets` counts as taken.
        """
        ids = [d.id for d in datasets]
        with self._lock, self._db:
            taken = {
                row[0] for row in self._db.execute(
                    "SELECT id FROM datasets WHERE user_id = ? AND app_id = ?"
                    " AND id IN (SELECT value FROM json_each(?))",
                    (*app, json.dumps(ids)),
                )
            }
            taken.update(i for n, i in enumerate(ids) if i in ids[:n])
            if not taken:
                for dataset in datasets:
                    self._insert_dataset(app, dataset, ignore=False)
        return [i for i in dict.fromkeys(ids) if i in taken]

    def _insert_dataset(self, app: App, dataset: resources_pb2.Dataset, ignore: bool) -> None:
        self._db.execute(
            f"INSERT {'OR IGNORE' if ignore else ''} INTO datasets (user_id, app_id, id, dataset)"
            " VALUES (?, ?, ?, ?)",
            (*app, dataset.id, dataset.SerializeToString()),
        )

    def dataset(self, app: App, dataset_id: str) -> resources_pb2.Dataset | None:
        """One dataset, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT dataset FROM datasets WHERE user_id = ? AND app_id = ? AND id = ?",
                (*app, dataset_id),
            ).fetchone()
        return resources_pb2.Dataset.FromString(row[0]) if row else None

    def datasets(self, app: App, offset: int, limit: int) -> list[resources_pb2.Dataset]:
        """A page of an app's datasets, first created first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT dataset FROM datasets WHERE user_id = ? AND app_id = ?"
                " ORDER BY seq LIMIT ? OFFSET ?",
                (*app, limit, offset),
            ).fetchall()
        return [resources_pb2.Dataset.FromString(row[0]) for row in rows]

    def missing_datasets(self, app: App, ids: Iterable[str]) -> set[str]:
        """Those of `ids` that name no dataset of the app."""
        wanted = set(ids)
        if not wanted:
            return set()
        with self._lock:
            found = {
                row[0] for row in self._db.execute(
                    "SELECT id FROM datasets WHERE user_id = ? AND app_id = ?"
                    " AND id IN (SELECT value FROM json_each(?))",
                    (*app, json.dumps(sorted(wanted))),
                )
            }
        return wanted - found

    def dataset_inputs(
        self, app: App, dataset_id: str, offset: int, limit: int
    ) -> list[resources_pb2.DatasetInput]:
        """A page of a dataset's inputs, in the order they joined it, each with its status."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT i.input, {_STATUS_SQL}, {_REASON_SQL}, m.joined"
                " FROM dataset_inputs AS m JOIN inputs AS i"
                " ON i.user_id = m.user_id AND i.app_id = m.app_id AND i.id = m.input_id"
                " WHERE m.user_id = :user_id AND m.app_id = :app_id AND m.dataset_id = :dataset_id"
                " ORDER BY m.seq LIMIT :limit OFFSET :offset",
                {"user_id": app.user_id, "app_id": app.app_id, "dataset_id": dataset_id,
                 "cutoff": self._cutoff(), "limit": limit, "offset": offset},
            ).fetchall()
        members = []
        for row, message in zip(rows, _inputs(row[:3] for row in rows)):
            member = resources_pb2.DatasetInput(input=message)
            member.created_at.FromMicroseconds(round(row[3] * 1e6))
            members.append(member)
        return members

    # -- annotations ------------------------------------------------------------

    def add_annotations(
        self, app: App, annotations: Sequence[resources_pb2.Annotation]
    ) -> list[Conflict | None]:
        """Store each annotation whose input exists and whose id is free; record its concepts.

        Returns, per annotation in order, None if stored or the conflict that refused it.
        """
        outcomes: list[Conflict | None] = []
        with self._lock, self._db:
            for annotation in annotations:
                conflict = self._annotation_conflict(app, annotation)
                outcomes.append(conflict)
                if conflict is not None:
                    continue
                self._db.execute(
                    "INSERT INTO annotations (user_id, app_id, id, input_id, annotation)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (*app, annotation.id, annotation.input_id, annotation.SerializeToString()),
                )
                created = annotation.created_at.seconds + annotation.created_at.nanos / 1e9
                concepts = [*annotation.data.concepts]
                for region in annotation.data.regions:
                    concepts.extend(region.data.concepts)
                self._remember_concepts(app, concepts, created)
        return outcomes

    def _annotation_conflict(
        self, app: App, annotation: resources_pb2.Annotation
    ) -> Conflict | None:
        found = self._db.execute(
            "SELECT 1 FROM inputs WHERE user_id = ? AND app_id = ? AND id = ?",
            (*app, annotation.input_id),
        ).fetchone()
        if not found:
            return Conflict.NO_INPUT
        taken = self._db.execute(
            "SELECT 1 FROM annotations WHERE user_id = ? AND app_id = ? AND id = ?",
            (*app, annotation.id),
        ).fetchone()
        return Conflict.ID if taken else None

    def annotations(
        self,
        app: App,
        offset: int,
        limit: int,
        ids: Sequence[str] = (),
        input_ids: Sequence[str] = (),
    ) -> list[resources_pb2.Annotation]:
        """A page of an app's annotations in insertion order, filtered by ids and input ids."""
        where = ["user_id = :user_id", "app_id = :app_id"]
        params: dict[str, Any] = {
            "user_id": app.user_id, "app_id": app.app_id, "limit": limit, "offset": offset,
        }
        for column, values in (("id", ids), ("input_id", input_ids)):
            if values:
                where.append(f"{column} IN (SELECT value FROM json_each(:{column}s))")
                params[f"{column}s"] = json.dumps(list(values))
        with self._lock:
            rows = self._db.execute(
                f"SELECT annotation FROM annotations WHERE {' AND '.join(where)}"
                " ORDER BY seq LIMIT :limit OFFSET :offset",
                params,
            ).fetchall()
        found = []
        for (blob,) in rows:
            annotation = resources_pb2.Annotation.FromString(blob)
            annotation.status.CopyFrom(
                status_pb2.Status(code=ANNOTATION_SUCCESS, description="Annotation success")
            )
            found.append(annotation)
        return found

    def clear(self) -> None:
        """Delete every input, job, concept, dataset and annotation."""
        with self._lock, self._db:
            self._db.executescript(
                "DELETE FROM inputs; DELETE FROM jobs; DELETE FROM concepts;"
                " DELETE FROM datasets; DELETE FROM dataset_inputs; DELETE FROM annotations;"
            )

    def _cutoff(self) -> float:
        """Inputs created after this moment are still downloading."""
        return time.time() - self._delay


def _new_dataset(app: App, dataset_id: str, created: float) -> resources_pb2.Dataset:
    """A dataset as PostDatasets or an input naming it creates it."""
    dataset = resources_pb2.Dataset(id=dataset_id, user_id=app.user_id, app_id=app.app_id)
    dataset.created_at.FromMicroseconds(round(created * 1e6))
    dataset.modified_at.CopyFrom(dataset.created_at)
    return dataset


def media_bytes(message: resources_pb2.Input) -> tuple[str, bytes] | None:
    """(kind, bytes) of an input's image, video or audio sent as bytes, or None."""
    for kind in HOSTED_KINDS:
        content = getattr(message.data, kind).base64
        if content:
            return kind, content
    return None


def hosted_name(content: bytes) -> str:
    """The name of the hosted copy of these bytes: their md5, as hosted."""
    return hashlib.md5(content).hexdigest()


def _hosted_name_of(message: resources_pb2.Input) -> str | None:
    media = media_bytes(message)
    return hosted_name(media[1]) if media else None


def _inputs(rows: Iterable[Sequence[Any]]) -> list[resources_pb2.Input]:
    """Inputs from (blob, status code, failure reason) rows."""
    inputs = []
    for blob, code, reason in rows:
        message = resources_pb2.Input.FromString(blob)
        message.status.CopyFrom(
            status_pb2.Status(code=code, description=reason or _DESCRIPTIONS[code])
        )
        inputs.append(message)
    return inputs
