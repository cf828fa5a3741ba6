"""Checking a whole file before upload: counts, a sample of rows and the row errors, for a preview."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import BinaryIO

from .read import open_table
from .validate import ColumnMap, InputRecord, RowError, map_columns, validate_rows

SAMPLE_ROWS = 100
ERRORS_KEPT = 1000


@dataclass(frozen=True)
class FileCheck:
    """What a file holds: how many rows, how many valid, the first rows and the row errors."""

    name: str
    header: tuple[str, ...]
    delimiter: str
    columns: ColumnMap
    rows: int
    valid: int
    sample: tuple[InputRecord | RowError, ...]
    errors: tuple[RowError, ...]

    @property
    def invalid(self) -> int:
        return self.rows - self.valid


def check_file(
    stream: BinaryIO,
    name: str,
    delimiter: str | None = None,
    encoding: str | None = None,
    columns: Mapping[str, str] | None = None,
    sample_rows: int = SAMPLE_ROWS,
    errors_kept: int = ERRORS_KEPT,
) -> FileCheck:
    """Validate every row of `stream`; raises `InputFileError` when the file itself is unusable."""
    table = open_table(stream, name, delimiter, encoding)
    column_map = map_columns(table.header, columns, name)
    rows = valid = 0
    sample: list[InputRecord | RowError] = []
    errors: list[RowError] = []
    for result in validate_rows(table.rows, column_map):
        rows += 1
        if len(sample) < sample_rows:
            sample.append(result)
        if isinstance(result, InputRecord):
            valid += 1
        elif len(errors) < errors_kept:
            errors.append(result)
    return FileCheck(name, tuple(table.header), table.delimiter, column_map, rows, valid, tuple(sample),
                     tuple(errors))
