"""What happened to each row: the records that flow from uploading to reporting."""

from __future__ import annotations

from dataclasses import dataclass

UPLOADED = "uploaded"
ALREADY_THERE = "already_there"
INVALID = "invalid"
FAILED = "failed"
STATUSES = (UPLOADED, ALREADY_THERE, INVALID, FAILED)
SUCCESSFUL = (UPLOADED, ALREADY_THERE)

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
    url: str
    status: str
    reason: str = ""
    cells: list[str] | None = None

    @property
    def ok(self) -> bool:
        return self.status in SUCCESSFUL


@dataclass(frozen=True)
class BatchResult:
    """The outcomes of one PostInputs batch and what it cost."""

    outcomes: list[RowOutcome]
    attempts: int
    seconds: float
