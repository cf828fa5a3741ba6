"""Validating: raw rows -> an `InputRecord` or a `RowError` for every row.

Pure functions and frozen records; nothing here does I/O. A bad row is a value
carrying the line, the input id, the column, what is wrong and how to fix it.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import InputFileError
from .read import RawRow

ROLES = ("url", "input_id", "pos_concepts", "neg_concepts", "metadata")
REQUIRED_ROLES = ("url",)
MAX_ID_CHARS = 255  # the API's limit on input ids
SHOWN_ID_CHARS = 300  # a longer rejected id is cut where it is printed
MAX_METADATA_CHARS = 512 * 1024  # per row, so 128 rows stay well under a request's 128 MB
MAX_URL_CHARS = 8192  # web servers refuse longer request lines (nginx and Apache stop near 8 KB)
MAX_METADATA_DEPTH = 32  # nesting levels; protobuf refuses messages nested past 100 and a level costs two
CONCEPT_SEPARATOR = "|"

_ID_CONTENT = json.JSONEncoder(sort_keys=True, separators=(",", ":"))  # json.dumps would build one per row
_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,%d}" % MAX_ID_CHARS)
_ID_BAD_CHARS = re.compile(r"[^A-Za-z0-9_-]")
# http(s), a plain host name and printable ASCII: every check in _url_problem passes it.
_PLAIN_URL = re.compile(r"(?i:https?)://[A-Za-z0-9._~-]+(?::[0-9]*)?(?:[/?#][!-~]*)?")
_HIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}  # controls, format marks, unassigned


@dataclass(frozen=True, slots=True)
class InputRecord:
    """A valid row, ready to build into an `Input`."""

    line: int
    input_id: str
    url: str
    positive: tuple[str, ...]
    negative: tuple[str, ...]
    metadata: dict | None
    id_generated: bool
    cells: list[str]


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that will not be sent: where, what is wrong and how to fix it."""

    line: int
    input_id: str
    url: str
    column: str
    message: str
    hint: str
    cells: list[str]

    @property
    def reason(self) -> str:
        where = f"column '{self.column}': " if self.column else ""
        return f"{where}{self.message} - {self.hint}" if self.hint else f"{where}{self.message}"


@dataclass(frozen=True)
class ColumnMap:
    """Which header position holds each role (`None` when the file has no such column)."""

    positions: Mapping[str, int | None]
    header: tuple[str, ...]
    unknown: tuple[str, ...]

    def name(self, role: str) -> str:
        position = self.positions.get(role)
        return self.header[position] if position is not None else role


def map_columns(header: list[str], chosen: Mapping[str, str] | None = None, name: str = "file") -> ColumnMap:
    """Find each role's column by name (trimmed, any case), or as `chosen` maps role -> header name.

    Raises `InputFileError` when the url column is missing or a role's column appears twice.
    """
    folded = [cell.strip().lower() for cell in header]
    positions: dict[str, int | None] = {}
    for role in ROLES:
        wanted = (chosen or {}).get(role, role).strip().lower()
        matches = [i for i, cell in enumerate(folded) if cell == wanted and wanted]
        if len(matches) > 1:
            raise InputFileError(
                f"{name}: the column '{header[matches[0]].strip()}' appears {len(matches)} times in the header "
                f"(columns {', '.join(str(i + 1) for i in matches)}).",
                "Rename or remove the extra ones so each column name is used once.",
            )
        positions[role] = matches[0] if matches else None
    for role in REQUIRED_ROLES:
        if positions[role] is None:
            _refuse_data_as_header(header, name)
            raise InputFileError(
                f"{name} has no '{role}' column (its header is: {', '.join(repr(c) for c in header)}).",
                "Name the column with the image web addresses 'url' in the first line, "
                "or choose which column holds them.",
            )
    used = {p for p in positions.values() if p is not None}
    unknown = tuple(
        header[i].strip() or f"(unnamed column {i + 1})" for i in range(len(header)) if i not in used
    )
    return ColumnMap(positions=positions, header=tuple(h.strip() for h in header), unknown=unknown)


def _refuse_data_as_header(header: list[str], name: str) -> None:
    """A file of rows without a header line is common; say so rather than 'no url column'."""
    data = next((cell.strip() for cell in header if cell.strip().lower().startswith(("http://", "https://"))), None)
    if data:
        raise InputFileError(
            f"{name} has no header line: its first line is data ({data[:60]!r}), not column names.",
            "Add a first line naming the columns, such as 'url,input_id,pos_concepts', "
            "with 'url' over the column of web addresses.",
        )


def generated_id(url: str, positive: tuple[str, ...], negative: tuple[str, ...], metadata: dict | None) -> str:
    """A stable id from the row's content, so the same row sent twice is stored once."""
    content = _ID_CONTENT.encode([url, positive, negative, metadata])
    return hashlib.blake2b(content.encode("utf-8"), digest_size=16).hexdigest()


def validate_rows(rows: Iterable[RawRow], columns: ColumnMap) -> Iterator[InputRecord | RowError]:
    """Turn each raw row into a record or an error; a repeated input id loses to its first line.

    A well-formed id claims its line even when its row is invalid, so fixing that row
    later cannot collide with a row further down.
    """
    first_line_of: dict[int, int] = {}  # hash(input id) -> line; ints keep a million ids small
    for row in rows:
        result = validate_row(row, columns)
        valid = isinstance(result, InputRecord)
        if valid or _ID_PATTERN.fullmatch(result.input_id):
            earlier = first_line_of.setdefault(hash(result.input_id), row.line)
            if valid and earlier != row.line:
                result = _duplicate(result, earlier, columns)
        yield result


def validate_row(row: RawRow, columns: ColumnMap) -> InputRecord | RowError:
    """Check one row against the column map; return the first problem found, or the record."""
    cells = row.cells
    positions = columns.positions
    width = len(columns.header)
    input_id = _cell(cells, positions["input_id"])

    def error(role: str, message: str, hint: str) -> RowError:
        column = columns.name(role) if role else ""
        return RowError(row.line, input_id, _cell(cells, positions["url"]), column, message, hint, cells)

    if len(cells) != width:
        return error(
            "",
            f"this row has {len(cells)} cells but the header has {width} columns",
            "quote cells that contain the delimiter, and give every row one cell per column",
        )
    if input_id and not _ID_PATTERN.fullmatch(input_id):
        if len(input_id) > MAX_ID_CHARS:
            message = f"the input id is {len(input_id):,} characters long (at most {MAX_ID_CHARS})"
            hint = f"shorten it to at most {MAX_ID_CHARS} letters, digits, '-' and '_', or leave it empty"
        else:
            bad = "".join(dict.fromkeys(_ID_BAD_CHARS.findall(input_id)))
            message = f"the input id has characters that are not allowed: {bad!r}"
            hint = "use only letters, digits, '-' and '_', or leave it empty"
        input_id = _shown_id(input_id)
        return error("input_id", message, hint)
    url = _cell(cells, positions["url"])
    if not url:
        return error("url", "the url is empty", "put the image's web address (starting with https://) here")
    url_problem, url_hint = _url_problem(url)
    if url_problem:
        return error("url", url_problem, url_hint)
    positive = _concepts(_cell(cells, positions["pos_concepts"]))
    negative = _concepts(_cell(cells, positions["neg_concepts"]))
    both = [c for c in positive if c in negative]
    if both:
        return error(
            "neg_concepts",
            f"{', '.join(repr(c) for c in both)} is listed as both positive and negative",
            "keep each concept in one of the two columns",
        )
    raw_metadata = _cell(cells, positions["metadata"])
    metadata = None
    if raw_metadata:
        metadata, problem, hint = _metadata(raw_metadata)
        if problem:
            return error("metadata", problem, hint)
    id_generated = not input_id
    if id_generated:
        input_id = generated_id(url, positive, negative, metadata)
    return InputRecord(row.line, input_id, url, positive, negative, metadata, id_generated, cells)


def _cell(cells: list[str], position: int | None) -> str:
    """The trimmed cell at `position`; empty when the file has no such column or the row is short."""
    return cells[position].strip() if position is not None and position < len(cells) else ""


def _shown_id(input_id: str) -> str:
    """A rejected id as it can be printed: control and invisible characters escaped, a huge one cut.

    It lands in `FILE:LINE: ID:` lines, so a NUL, an escape sequence or a right-to-left
    override must not reach the terminal, and a megabyte-long id must not fill it.
    """
    shown = "".join(
        ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch) in _HIDDEN_CATEGORIES else ch
        for ch in input_id[:SHOWN_ID_CHARS]
    )
    return shown + "..." if len(input_id) > SHOWN_ID_CHARS else shown


def _duplicate(record: InputRecord, earlier: int, columns: ColumnMap) -> RowError:
    if record.id_generated:
        return RowError(
            record.line, "", record.url, "", f"this row repeats line {earlier} exactly",
            "remove the repeated row, or give the rows different input ids", record.cells,
        )
    return RowError(
        record.line, record.input_id, record.url, columns.name("input_id"),
        f"the input id {record.input_id!r} is already used on line {earlier}",
        "give each row its own input id", record.cells,
    )


def _url_problem(url: str) -> tuple[str, str]:
    """What is wrong with the url and how to fix it, or two empty strings."""
    full_address = "write a full web address such as https://example.com/cat.jpg"
    if len(url) > MAX_URL_CHARS:
        return f"the url is {len(url):,} characters long (at most {MAX_URL_CHARS:,})", (
            "check this cell for text pasted into it; a web address is rarely over a few hundred characters")
    if _PLAIN_URL.fullmatch(url):
        return "", ""  # the usual url, settled without urlsplit and a look at every character
    if " " in url:  # before the scheme: "https ://x" should not read as having no scheme
        return "the url contains spaces", "write each space as %20, for example https://example.com/my%20cat.jpg"
    hidden = next((ch for ch in url if unicodedata.category(ch)[0] in "CZ"), None)
    if hidden is not None:
        return f"the url contains the invisible character U+{ord(hidden):04X} ({_char_name(hidden)})", (
            "delete it: retype the url, or save the file again as 'CSV UTF-8'")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as error:
        return f"the url cannot be read ({error})", full_address
    if not parts.scheme:
        return "the url has no scheme; only http:// and https:// addresses can be fetched", full_address
    if parts.scheme.lower() not in ("http", "https"):
        return f"the url has '{parts.scheme}:'; only http:// and https:// addresses can be fetched", (
            "put the image where the web can reach it (a site or a public bucket) and use its https:// address")
    if not host:
        return "the url has no host name", full_address
    return "", ""


def _char_name(ch: str) -> str:
    names = {"\ufeff": "a byte-order mark, often left where two files were joined", "\x00": "a NUL byte",
             "\t": "a tab", "\n": "a line break", "\r": "a line break"}
    return names.get(ch) or unicodedata.name(ch, "a control character").lower()


def _concepts(cell: str) -> tuple[str, ...]:
    """Split on '|', trim, drop empty parts, keep the first of repeated names."""
    if not cell:
        return ()
    return tuple(dict.fromkeys(filter(None, map(str.strip, cell.split(CONCEPT_SEPARATOR)))))


_METADATA_HINT = 'write it as a JSON object, for example {"key": "value"}'


def _metadata(raw: str) -> tuple[dict | None, str, str]:
    """The parsed object, or None with what is wrong and how to fix it."""
    too_deep = f"the metadata is nested too deeply (at most {MAX_METADATA_DEPTH} levels)"
    flatten = f"flatten it to at most {MAX_METADATA_DEPTH} levels of {{...}} and [...]"
    if len(raw) > MAX_METADATA_CHARS:
        problem = f"the metadata is {len(raw):,} characters long (at most {MAX_METADATA_CHARS:,})"
        return None, problem, "keep short fields here; store large data elsewhere and put its link here"
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        problem = error.msg.removesuffix(" at")  # json's "Invalid control character at"
        if problem.startswith("Invalid control character"):
            inside = _char_name(raw[error.pos])
            return None, f"not valid JSON ({inside} inside a text, at character {error.pos + 1})", (
                "write a line break inside a text as \\n and a tab as \\t, or remove it")
        return None, f"not valid JSON ({problem} at character {error.pos + 1})", _METADATA_HINT
    except RecursionError:
        return None, too_deep, flatten
    if not isinstance(value, dict):
        return None, f"the metadata is a JSON {_json_kind(value)}, not an object", _METADATA_HINT
    if raw.count("{") + raw.count("[") > MAX_METADATA_DEPTH and _depth(value) > MAX_METADATA_DEPTH:
        return None, too_deep, flatten
    return value, "", ""


def _json_kind(value: object) -> str:
    return {list: "list", str: "string", bool: "true/false", type(None): "null"}.get(type(value), "number")


def _depth(value: object) -> int:
    """Nesting levels of dicts and lists; a loop, since json.loads accepts more levels than recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest
