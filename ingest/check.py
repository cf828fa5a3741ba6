"""Checking a whole file before upload: counts, a sample of rows and the row errors, for a preview."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import BinaryIO

from .local import LocalFiles, file_error
from .read import open_table
from .validate import ColumnMap, InputRecord, RowError, map_columns, validate_rows

SAMPLE_ROWS = 100
ERRORS_KEPT = 1000
DATASETS_KEPT = 1000  # distinct dataset ids remembered; a file naming more is unusual


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
    datasets: tuple[str, ...] = ()  # the dataset ids valid rows name, sorted (at most DATASETS_KEPT)

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
    files: LocalFiles | None = None,
) -> FileCheck:
    """Validate every row of `stream`; raises `InputFileError` when the file itself is unusable.

    With `files` (the local files the rows name), a row whose file is missing, too large or not
    UTF-8 text counts as invalid, as the upload reports it.
    """
    table = open_table(stream, name, delimiter, encoding)
    column_map = map_columns(table.header, columns, name)
    rows = valid = 0
    sample: list[InputRecord | RowError] = []
    errors: list[RowError] = []
    datasets: set[str] = set()
    for result in validate_rows(table.rows, column_map):
        if isinstance(result, InputRecord) and result.file:
            result = file_error(files, result) or result
        rows += 1
        if len(sample) < sample_rows:
            sample.append(result)
        if isinstance(result, InputRecord):
            valid += 1
            if result.dataset_id and len(datasets) < DATASETS_KEPT:
                datasets.add(result.dataset_id)
        elif len(errors) < errors_kept:
            errors.append(result)
    return FileCheck(name, tuple(table.header), table.delimiter, column_map, rows, valid, tuple(sample),
                     tuple(errors), tuple(sorted(datasets)))
