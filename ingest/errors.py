"""The one exception family for problems that stop a whole job.

Each carries a plain-words message (what is wrong) and a hint (what to do next).
Front ends turn them into output in exactly one place: the CLI's exit, the page's
`st.error`. Row-level problems are never exceptions: see `validate.RowError`.
"""

from __future__ import annotations

import unicodedata


class IngestError(Exception):
    """A problem that stops the job, with a message and a hint for the user."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class InputFileError(IngestError):
    """The file as a whole cannot be read: empty, undecodable, no url column."""


class SeveralLists(InputFileError):
    """A folder or zip holds several CSV files that could name its files: which one does is for the person."""

    def __init__(self, message: str, hint: str, lists: tuple[str, ...]) -> None:
        super().__init__(message, hint)
        self.lists = lists


class SheetError(InputFileError):
    """A workbook's sheet holds no list, or is not there: choosing another of its `sheets` may fix it."""

    def __init__(self, message: str, hint: str, sheets: tuple[str, ...]) -> None:
        super().__init__(message, hint)
        self.sheets = sheets


class EncodingError(InputFileError):
    """The file's bytes are not text in the encoding read: naming its encoding may fix it. `line` holds the bytes
    of the line that does not decode, when known, to show how it reads in other encodings."""

    def __init__(self, message: str, hint: str, line: bytes = b"") -> None:
        super().__init__(message, hint)
        self.line = line


class AuthError(IngestError):
    """The server refused the key, its scopes, or the user/app it names."""


class ConnectionFailed(IngestError):
    """The server could not be reached at all."""


class UsageError(IngestError):
    """Options that contradict each other or are out of range."""


class MissingKey(UsageError):
    """No key was given, or a personal access token without its user and app: front ends say where to give them."""


def one_line(error: BaseException) -> str:
    """A library's error text on one line, to quote inside a message."""
    return " ".join(str(error).split())


def char_name(ch: str) -> str:
    """How a message names a character: a tab, a line break, or its Unicode name."""
    names = {"\ufeff": "a byte-order mark, often left where two files were joined", "\x00": "a NUL byte",
             "\t": "a tab", "\n": "a line break", "\r": "a line break"}
    return names.get(ch) or unicodedata.name(ch, "a control character").lower()
