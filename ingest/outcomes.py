"""What happened to each row: the records that flow from uploading to reporting."""

from __future__ import annotations

from dataclasses import dataclass

UPLOADED = "uploaded"
ALREADY_THERE = "already_there"
INVALID = "invalid"
FAILED = "failed"
STATUSES = (UPLOADED, ALREADY_THERE, INVALID, FAILED)
SUCCESSFUL = (UPLOADED, ALREADY_THERE)

# What the server made of a stored input's url, once checked after the upload.
DOWNLOAD_FETCHED = "fetched"
DOWNLOAD_FAILED = "failed"
DOWNLOAD_PENDING = "pending"
DOWNLOADS = (DOWNLOAD_FETCHED, DOWNLOAD_FAILED, DOWNLOAD_PENDING)

STATUS_LABELS = {
    UPLOADED: "uploaded",
    ALREADY_THERE: "already there",
    INVALID: "invalid",
    FAILED: "failed",
}


@dataclass(frozen=True, slots=True)
class RowOutcome:
    """One row's end state; `cells` (the row as written) is kept only for rows to fix or retry."""

    line: int
    input_id: str
    url: str  # what the row points at: its url, or its local file's name
    status: str
    reason: str = ""
    cells: list[str] | None = None
    download: str = ""  # one of DOWNLOADS once checked

    @property
    def ok(self) -> bool:
        return self.status in SUCCESSFUL


@dataclass(frozen=True)
class BatchResult:
    """The outcomes of one PostInputs batch and what it cost."""

    outcomes: list[RowOutcome]
    attempts: int
    seconds: float
