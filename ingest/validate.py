"""Validating: raw rows -> an `InputRecord` or a `RowError` for every row.

Pure functions and frozen records; nothing here does I/O. A bad row is a value
carrying the line, the input id, the column, what is wrong and how to fix it.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from itertools import islice
from operator import attrgetter, eq, itemgetter

from .errors import InputFileError, char_name
from .index import IdIndex
from .read import RawRow, Table, first_rows
from .urls import checked_url, is_web_address, kind_of_url, written_web_address

ROLES = ("url", "input_id", "pos_concepts", "neg_concepts", "metadata", "text", "type", "dataset_id",
         "latitude", "longitude", "file")
KINDS = ("image", "video", "audio", "text")
BLOG, PORTAL, SDK = "blog", "portal", "sdk"
FORMAT_NAMES = {
    BLOG: "the blog script's columns (url, input_id, pos_concepts, neg_concepts, metadata)",
    PORTAL: "Clarifai Portal's Data Mode columns (input.id, input.data.image.url, ...)",
    SDK: "Clarifai Python SDK's columns (inputid, input, concepts, metadata, geopoints)",
}
# Portal Data Mode's header names: column -> (role, the kind its url column implies)
PORTAL_COLUMNS = {
    "input.id": ("input_id", ""),
    "input.data.image.url": ("url", "image"),
    "input.data.video.url": ("url", "video"),
    "input.data.audio.url": ("url", "audio"),
    "input.data.text.url": ("url", "text"),
    "input.data.text.raw": ("text", "text"),
    "input.data.metadata": ("metadata", ""),
    "input.data.geo.geo_point.latitude": ("latitude", ""),
    "input.data.geo.geo_point.longitude": ("longitude", ""),
    "input.dataset_ids[0]": ("dataset_id", ""),
}
_PORTAL_CONCEPT = re.compile(r"input\.data\.concepts\[([0-9]{1,9})\]\.(id|value|name)")  # int() refuses 4300 digits
# The Python SDK's `Inputs.get_inputs_from_csv` columns: `input` is a url or the text itself.
SDK_COLUMNS = {"inputid": "input_id", "input": "input", "concepts": "sdk_concepts", "metadata": "metadata",
               "geopoints": "geopoints"}
MAX_ID_CHARS = 48  # the hosted API refuses longer input ids ("id must be between 1 and 48 characters long")
MAX_DATASET_ID_CHARS = 255  # no lower hosted limit is known for dataset ids
SHOWN_ID_CHARS = 300  # a longer rejected id is cut where it is printed
MAX_METADATA_CHARS = 512 * 1024  # per row, so 128 rows stay well under a request's 128 MB
MAX_METADATA_DEPTH = 32  # nesting levels; protobuf refuses messages nested past 100 and a level costs two
# Of a cell read in Python's notation when JSON refuses it: Python's parser takes about 250 times a text's size
MAX_PYTHON_NOTATION_CHARS = 64 * 1024
MAX_TEXT_CHARS = 512 * 1024  # inline text per row, so 128 rows stay well under a request's 128 MB
BOX_LIKE_COLUMNS = frozenset({"left_col", "top_row", "right_col", "bottom_row", "xmin", "ymin", "xmax", "ymax",
                              "x_min", "y_min", "x_max", "y_max", "bbox", "box"})
_BOX_COLUMNS = ("concept (or class), and left_col, top_row, right_col, bottom_row as fractions of the image from 0 "
                "to 1 (or xmin, ymin, xmax, ymax in pixels, with the image's width and height)")
BOXES_FILE_COLUMNS = f"A boxes file has one box per line: input_id (or url, or file), {_BOX_COLUMNS}."
BOXES_ELSEWHERE = (f"They do not make bounding boxes: a list of boxes has one box per row, with {_BOX_COLUMNS}. "
                   "Add the columns missing, or put the boxes in a separate boxes file.")
FILE_ALIASES = ("filename", "file_name")  # the file column of exports (Roboflow's), in a file without urls
# ...and in a folder's or zip's own list, the names datasets (Kaggle's) give it
LISTED_FILE_ALIASES = (*FILE_ALIASES, "image", "image_name", "image_id", "image_path", "img", "path", "filepath",
                       "file_path", "id")
# What datasets call an input's labels (Label Studio's: choice)
LABEL_ALIASES = ("label", "labels", "class", "category", "choice")
# A concept column's other names, in a list of no boxes: the first a header has gives the concepts. Not "tags":
# datasets separate those with spaces or commas, as Kaggle's Planet does.
CONCEPT_ALIASES = (*LABEL_ALIASES, "concepts", "concept")
MEDIA_COLUMNS = ("image", "video", "audio")  # Label Studio's exports name the url column by what it holds
CONCEPT_SEPARATOR = "|"
ONE_HOT, ONE_HOT_YES = frozenset({"0", "1", "0.0", "1.0", ""}), frozenset({"1", "1.0"})  # a class column's cells
CLASS_SAMPLE_ROWS = 1000  # first rows that tell the columns of 1s and 0s (see `one_hot_columns`)
CONCEPT_SEPARATORS = (CONCEPT_SEPARATOR, ",", ";")  # what a list may separate the names in a concepts cell with
SDK_CONCEPT_SEPARATOR = ","

_ID_CONTENT = json.JSONEncoder(sort_keys=True, separators=(",", ":"))  # json.dumps would build one per row
_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,%d}" % MAX_ID_CHARS)
DATASET_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,%d}" % MAX_DATASET_ID_CHARS)
_ID_BAD_CHARS = re.compile(r"[^A-Za-z0-9_-]")
_ATTACHED = re.compile(r"\((https?://[^\s()]+)\)", re.IGNORECASE)  # Airtable's attachments: "cat.jpg (https://...)"
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # json.loads keeps a lone one, UTF-8 cannot
_CELL_ROLES = ("input_id", "url", "text", "input", "file", "type", "pos_concepts", "neg_concepts", "sdk_concepts",
               "metadata", "dataset_id")  # in the order validate_row unpacks them
_CHUNK_ROWS = 128  # rows validated, then their ids looked up together (more keep the GC busy)
MAX_JOINED = 1000  # rows combined into one input at most, so a long run of one url keeps memory flat
MAX_HELD = 100_000  # rows held back to meet a later row of their input (see `gathered`), at most
# What rows combined into one input have alike (their concepts may differ)
_INPUT_FIELDS = attrgetter("url", "file", "text", "kind", "id_generated", "dataset_id", "geo", "metadata")
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
    kind: str = "image"
    text: str = ""  # inline text, for a text input without a url
    dataset_id: str = ""
    geo: tuple[float, float] | None = None  # (latitude, longitude)
    file: str = ""  # a local file's name, sent as bytes (see `ingest.local`)
    joined: tuple[tuple[int, list[str]], ...] = ()  # (line, cells) of the rows below it combined into this input
    row_ids: tuple[str, ...] = ()  # the generated ids its combined rows have alone (see `_joined`)
    given_url: str = ""  # the url as the row wrote it, when `url` is sent instead (see `checked_url`)

    @property
    def reference(self) -> str:
        """What the row points at, for its outcome: its url, or its local file's name."""
        return self.url or self.file


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
    format: str = BLOG
    url_kind: str = ""  # the kind a Portal url column names (input.data.video.url -> video), or Label Studio's
    concept_pairs: tuple[tuple[int, int | None], ...] = ()  # Portal: (id column, value column)
    boxes: bool = False  # each row is also one bounding box of its input (a detection list): see `input_rows`
    kept: tuple[int, ...] = ()  # columns of no role kept as metadata, each under its name (see `map_columns`)
    concept_separator: str = CONCEPT_SEPARATOR  # between the names in a concepts cell (the blog's style)
    classes: tuple[int, ...] = ()  # columns of one class each, 1 where the input shows it (see `one_hot_columns`)
    added_concepts: tuple[str, ...] = ()  # given to every row's input, beside the row's own

    @cached_property
    def role_cells(self) -> Callable[[list[str]], tuple[str, ...]]:
        """From a full row plus a trailing "", the cells of `_CELL_ROLES` ("" for roles the file lacks)."""
        absent = len(self.header)
        return itemgetter(*(absent if self.positions.get(role) is None else self.positions[role]
                            for role in _CELL_ROLES))

    @cached_property
    def named_width(self) -> int:
        """The header's columns up to its last named one: a row may leave out the cells after it (see
        `_named_width`)."""
        return _named_width(self.header)

    @property
    def unread(self) -> tuple[str, ...]:
        """The named columns left unread, which could be kept as metadata (an unnamed one has no name to go under)."""
        return tuple(name for name in self.unknown if name in self.header)

    @property
    def renamed(self) -> tuple[tuple[str, str], ...]:
        """(role, column) for each role of the blog's style read from a column of another name: found by another name
        it knows (url from image_url, pos_concepts from label), or chosen."""
        if self.format != BLOG:
            return ()
        return tuple((role, self.header[position]) for role, position in self.positions.items()
                     if role in ROLES and position is not None and self.header[position].lower() != role)

    @property
    def ignores_boxes(self) -> bool:
        """Whether columns left unread look like bounding boxes, too few to make one."""
        return any(name.lower() in BOX_LIKE_COLUMNS for name in self.unknown)

    @cached_property
    def has_geo(self) -> bool:
        return any(self.positions.get(role) is not None for role in ("latitude", "longitude", "geopoints"))

    def name(self, role: str) -> str:
        position = self.positions.get(role)
        if position is None and role == "url" and self.positions.get("input") is not None:
            position = self.positions["input"]
        return self.header[position] if position is not None else role

    @property
    def format_name(self) -> str:
        return FORMAT_NAMES[self.format]


def class_candidates(columns: ColumnMap) -> tuple[int, ...]:
    """The columns that may give one class each: the named ones no role reads, when there are two or more and the
    list has no concepts column and is no list of boxes."""
    if columns.format != BLOG or columns.positions["pos_concepts"] is not None or columns.boxes:
        return ()
    used = {position for position in columns.positions.values() if position is not None}
    classes = tuple(i for i, name in enumerate(columns.header) if name and i not in used)
    return classes if len(classes) > 1 else ()


def one_hot_columns(columns: ColumnMap, rows: Iterable[RawRow]) -> tuple[int, ...]:
    """The `class_candidates` that give one class each (Kaggle's multi-label lists: a 0 or 1 column per class),
    judged by `rows`: holding only 1s, 0s and empty cells, some 1s; or none."""
    classes = class_candidates(columns)
    if not classes:
        return ()
    yes = False
    for row in rows:
        cells = [cell_at(row.cells, i) for i in classes]
        if not ONE_HOT.issuperset(cells):
            return ()
        yes = yes or not ONE_HOT_YES.isdisjoint(cells)
    return classes if yes else ()


def sampled_classes(columns: ColumnMap, table: Table) -> tuple[int, ...]:
    """`one_hot_columns` as the table's first `CLASS_SAMPLE_ROWS` rows tell them (still to come in `table.rows`);
    read only when some columns could be (`class_candidates`)."""
    if not class_candidates(columns):
        return ()
    return one_hot_columns(columns, first_rows(table, CLASS_SAMPLE_ROWS))


def with_classes(columns: ColumnMap, classes: Sequence[int]) -> ColumnMap:
    """`columns`, reading `classes` as one concept each (see `one_hot_columns`) rather than leaving them unread."""
    names = {columns.header[i] for i in classes}
    return replace(columns, classes=tuple(classes), unknown=tuple(u for u in columns.unknown if u not in names),
                   kept=tuple(i for i in columns.kept if i not in classes))


def separates_by_bar(columns: ColumnMap) -> bool:
    """Whether '|' separates the names in a concepts cell, so a comma or semicolon is part of a name."""
    return columns.format == BLOG and columns.concept_separator == CONCEPT_SEPARATOR


def detect_format(header: list[str]) -> str:
    """Which of the three known header styles a header uses."""
    folded = {cell.strip().lower() for cell in header} - {""}
    if any(cell.startswith("input.") for cell in folded):
        return PORTAL
    if "input" in folded and folded <= set(SDK_COLUMNS) and "url" not in folded:
        return SDK
    return BLOG


def map_columns(header: list[str], chosen: Mapping[str, str] | None = None, name: str = "file",
                lists_files: bool = False, keep_others: bool = False,
                concept_separator: str = CONCEPT_SEPARATOR, added_concepts: Sequence[str] = ()) -> ColumnMap:
    """Find each role's column by name (trimmed, any case), or as `chosen` maps role -> header name.

    The header style (the blog's, Portal's or the SDK's) is detected; `chosen` and `concept_separator` apply to
    the blog's. The named columns of no role are left out (`unknown`), or with `keep_others` kept as
    metadata. Every row's input gets `added_concepts` beside its own. Raises `InputFileError` when no column holds
    urls or text (for a folder's or zip's own list, `lists_files`, when none names its files), or a column appears
    twice.
    """
    folded = [cell.strip().lower() for cell in header]
    fmt = BLOG if chosen else detect_format(header)
    names: dict[str, str] = {role: (chosen or {}).get(role, role).strip().lower() for role in ROLES}
    url_kind = ""
    pairs: dict[int, list[int | None]] = {}
    if fmt == PORTAL:
        names = {}
        for i, cell in enumerate(folded):
            if cell in PORTAL_COLUMNS:
                role, kind = PORTAL_COLUMNS[cell]
                if role == "url" and "url" in names:
                    raise InputFileError(
                        f"{name} has two url columns ({names['url']!r} and {cell!r}).",
                        "Put each kind of input in its own file, or use a 'type' column with one 'url' column.")
                names[role] = cell
                url_kind = kind if role == "url" else url_kind
            elif match := _PORTAL_CONCEPT.fullmatch(cell):
                slot = pairs.setdefault(int(match[1]), [None, None])
                if match[2] == "id" or (match[2] == "name" and slot[0] is None):
                    slot[0] = i
                elif match[2] == "value":
                    slot[1] = i
    elif fmt == SDK:
        names = {role: column for column, role in SDK_COLUMNS.items()}
    positions: dict[str, int | None] = {}
    for role, wanted in names.items():
        matches = [i for i, cell in enumerate(folded) if cell == wanted and wanted]
        if len(matches) > 1:
            raise InputFileError(
                f"{name}: the column '{header[matches[0]].strip()}' appears {len(matches)} times in the header "
                f"(columns {', '.join(str(i + 1) for i in matches)}).",
                "Rename or remove the extra ones so each column name is used once.",
            )
        positions[role] = matches[0] if matches else None
    if fmt == BLOG and not chosen and all(positions.get(role) is None for role in ("url", "text", "file")):
        # the other names datasets give these columns; a folder's or zip's own list names its files first
        positions["url"] = None if lists_files else url_alias(folded)
        if positions["url"] is not None and folded[positions["url"]] in MEDIA_COLUMNS:
            url_kind = folded[positions["url"]]
        if positions["url"] is None:
            positions["file"] = first_position(folded, LISTED_FILE_ALIASES if lists_files else FILE_ALIASES)
    if fmt == BLOG and not chosen and positions["pos_concepts"] is None and not BOX_LIKE_COLUMNS & set(folded):
        positions["pos_concepts"] = first_position(folded, CONCEPT_ALIASES)  # with box columns, a box's class
    for role in ROLES + ("input", "sdk_concepts", "geopoints"):
        positions.setdefault(role, None)
    if all(positions[role] is None for role in ("url", "text", "input", "file")):
        _refuse_data_as_header(header, name)
        if lists_files:
            raise InputFileError(
                f"{name} has no 'file' column naming the files (its header is: {', '.join(map(repr, header))}).",
                "Name the column of file names 'file' in the first line, or take this CSV out of the folder or "
                "zip to upload every file in it.",
            )
        if chosen and chosen.get("url") == "" and not any(chosen.get(role) for role in ("text", "file")):
            raise InputFileError(f"No column of {name} is chosen as the web addresses (url), the text or the files.",
                                 "Choose the column that holds them: on the page under Match your columns, on the "
                                 "command line with --column url=NAME.")
        if len(candidates := url_columns(folded)) > 1:
            raise InputFileError(
                f"{name} has no 'url' column, and {len(candidates)} columns could hold the web addresses: "
                f"{', '.join(repr(header[i].strip()) for i in candidates)}.",
                "Choose the one with the images: on the page under Match your columns, on the command line with "
                f"--column url={header[candidates[0]].strip()}.",
            )
        raise InputFileError(
            f"{name} has no 'url' column (its header is: {', '.join(repr(c) for c in header)}).",
            "Name the column with the image web addresses 'url' in the first line (or 'text' for inline text; "
            "in a zip, 'file' for the names of its files), or choose it: on the page under Match your columns, "
            "on the command line with --column url=NAME.",
        )
    concept_pairs = tuple((ids, value) for ids, value in (pairs[k] for k in sorted(pairs)) if ids is not None)
    box_positions = _box_positions(header) if fmt == BLOG and (positions["url"], positions["file"]) != (None, None) \
        else {}
    used = {p for p in positions.values() if p is not None} | {p for pair in concept_pairs for p in pair}
    used |= {p for p in box_positions.values() if p is not None}
    kept = tuple(i for i in range(len(header)) if i not in used and header[i].strip()) if keep_others else ()
    unknown = tuple(
        header[i].strip() or f"(unnamed column {i + 1})" for i in range(_named_width(header))
        if i not in used and i not in kept
    )
    return ColumnMap(positions=positions, header=tuple(h.strip() for h in header), unknown=unknown, format=fmt,
                     url_kind=url_kind, concept_pairs=concept_pairs, boxes=bool(box_positions), kept=kept,
                     concept_separator=concept_separator,
                     added_concepts=tuple(dict.fromkeys(map(str.strip, added_concepts))))


def _named_width(header: Sequence[str]) -> int:
    """How many columns a header names, up to its last named one: unnamed ones after it are separators left at the
    end of the header line (url,label,, or a tab after the last name), not columns."""
    width = len(header)
    while width and not header[width - 1].strip():
        width -= 1
    return width


def _box_positions(header: list[str]) -> dict[str, int | None]:
    """Where a list's box columns stand, when they make a box; empty otherwise."""
    from .boxes import map_box_columns  # which imports this module

    try:
        return map_box_columns(header)
    except InputFileError:
        return {}


def first_position(folded: list[str], names: Sequence[str]) -> int | None:
    """Where the first of `names` a folded header has stands, or None."""
    return next((folded.index(name) for name in names if name in folded), None)


def url_alias(folded: list[str]) -> int | None:
    """Where the one column of `url_columns` stands, in a header without a 'url' column; of several, the one not
    named for a smaller copy, a web page, a person or a license (Open Images' OriginalURL beside its
    OriginalLandingURL, AuthorProfileURL and Thumbnail300KURL), or of those the one named for an image
    (Unsplash's photo_image_url beside its photo_url); None when there are none, or several such."""
    found = url_columns(folded)
    if len(found) > 1:
        found = [i for i in found if not _NOT_THE_IMAGE.search(folded[i])]
    if len(found) > 1:
        found = [i for i in found if folded[i].endswith(("image_url", "imageurl", "img_url", "imgurl"))] or found
    return found[0] if len(found) == 1 else None


_NOT_THE_IMAGE = re.compile("thumb|preview|small|icon|avatar|profile|author|user|landing|page|site|source|licen[cs]e"
                            "|mask")


def url_columns(folded: list[str]) -> list[int]:
    """Where the columns that may hold web addresses stand: those whose name ends in 'url' (image_url, photo_url,
    OriginalURL), else those named for their media (Label Studio's image), else those whose name ends in 'link',
    'uri' or 'src' (Photo link, image_uri, Shopify's Image Src)."""
    return ([i for i, cell in enumerate(folded) if cell.endswith("url")]
            or [i for i, cell in enumerate(folded) if cell in MEDIA_COLUMNS]
            or [i for i, cell in enumerate(folded) if cell.endswith(("link", "uri", "src"))])


def _refuse_data_as_header(header: list[str], name: str) -> None:
    """A file of rows without a header line is common; say so rather than 'no url column'."""
    data = next((cell for cell in map(str.strip, header) if written_web_address(cell)), None)
    if data:
        raise InputFileError(
            f"{name} has no header line: its first line is data ({data[:60]!r}), not column names.",
            "Add a first line naming the columns, such as 'url,input_id,pos_concepts', "
            "with 'url' over the column of web addresses.",
        )


def generated_id(
    url: str,
    positive: tuple[str, ...],
    negative: tuple[str, ...],
    metadata: dict | None,
    more: tuple = ("image", "", "", None),
) -> str:
    """A stable id from the row's content, so the same row sent twice is stored once.

    `more` is (kind, text, dataset id, geo point); an image with none of them hashes as it
    always did, so files uploaded before these columns existed keep their ids.
    """
    extra = [] if more == ("image", "", "", None) else list(more)
    content = _ID_CONTENT.encode([url, positive, negative, metadata, *extra])
    return hashlib.blake2b(content.encode("utf-8"), digest_size=16).hexdigest()


def _content_id(url: str, file: str, positive: tuple[str, ...], negative: tuple[str, ...], metadata: dict | None,
                kind: str, text: str, dataset_id: str, geo: tuple[float, float] | None) -> str:
    """The generated id of a row without one: its content's hash (a local file counts by its name)."""
    return generated_id(url or (file and f"file:{file}"), positive, negative, metadata, (kind, text, dataset_id, geo))


def validate_rows(rows: Iterable[RawRow], columns: ColumnMap) -> Iterator[InputRecord | RowError]:
    """Turn each raw row into a record or an error; a repeated input id loses to its first line.

    Rows one after another that name the same input with other concepts become one record (see
    `_combine`). A well-formed id claims its line even when its row is invalid, so fixing that row
    later cannot collide with a row further down.
    """
    index = IdIndex()
    iterator = iter(input_rows(rows, columns))
    held: list[InputRecord | RowError] = []  # a chunk's last rows, which the next chunk's first rows may join
    after: list[RowError] = []  # rows of the held rows' url to report after their input (see `_combine`)
    while chunk := held + [validate_row(row, columns) for row in islice(iterator, _CHUNK_ROWS)]:
        if not columns.boxes:  # a list of boxes has its own rows of one input: see `input_rows`
            chunk, held, after = _combine(chunk, columns, len(chunk) < len(held) + _CHUNK_ROWS, after)
        claiming = [r for r in chunk if isinstance(r, InputRecord) or _ID_PATTERN.fullmatch(r.input_id)]
        keys, lines = [hash(r.input_id) for r in claiming], [r.line for r in claiming]
        if any(type(r) is InputRecord and r.row_ids for r in claiming):
            keys, lines, claiming = _with_row_ids(claiming)
        first_lines = index.claim(keys, lines)
        repeated = {r.line: earlier for r, earlier in zip(claiming, first_lines)
                    if isinstance(r, InputRecord) and earlier != r.line}
        for result in chunk:
            yield from _duplicates(result, repeated[result.line], columns) if result.line in repeated else (result,)


def _with_row_ids(claiming: list[InputRecord | RowError]
                  ) -> tuple[list[int], list[int], list[InputRecord | RowError | None]]:
    """The claims of a chunk that holds combined inputs: after each such input's own id, the ids its rows have
    alone, so a row further down that repeats one of them exactly is found. Their claims are made, not judged:
    the third list, of whose claim each is, has None for them."""
    keys: list[int] = []
    lines: list[int] = []
    claimers: list[InputRecord | RowError | None] = []
    for result in claiming:
        keys.append(hash(result.input_id))
        lines.append(result.line)
        claimers.append(result)
        if type(result) is InputRecord and result.row_ids:
            keys += map(hash, result.row_ids)
            lines += [result.line, *(line for line, _ in result.joined)]
            claimers += [None] * len(result.row_ids)
    return keys, lines, claimers


def _combine(chunk: list[InputRecord | RowError], columns: ColumnMap, last: bool, after: list[RowError]
             ) -> tuple[list[InputRecord | RowError], list[InputRecord | RowError], list[RowError]]:
    """A list of one label a row (a.jpg,cat then a.jpg,pet) as one input a url: rows one after another that name
    the same url (or text, or file) with the same id, metadata, dataset and geo point join the first one's record,
    with all their concepts. A row that repeats one of them exactly is an error, as it is anywhere else; it and a
    row of that url to fix are reported right after their input, which goes on (so its record claims its id
    first). A row whose concepts would be both positive and negative, or past `MAX_JOINED`, starts an input of
    its own.

    Returns the chunk's results; and unless it is the `last` chunk, the rows held back for the next one to join,
    with the rows to report `after` them found so far (the next call is given these).
    """
    names = [r.url or r.text or r.file if type(r) is InputRecord else r.url or n for n, r in enumerate(chunk)]
    if not after and not any(map(eq, names, islice(names, 1, None))):  # the usual chunk: no row names its
        return (chunk, [], []) if last else (chunk[:-1], chunk[-1:], [])  # neighbour's input
    results: list[InputRecord | RowError] = []
    group: list[InputRecord] = []  # a record the rows below may join, and those that have
    after = list(after)
    for result in chunk:
        if group:
            if type(result) is InputRecord and _joins(group, result):
                earlier = next((r.line for r in group
                                if (r.positive, r.negative) == (result.positive, result.negative)), None)
                if earlier is None:
                    group.append(result)
                else:
                    after.append(_duplicate(result, earlier, columns))
                continue
            if type(result) is RowError and result.url and result.url == group[0].reference:
                after.append(result)
                continue
            results += [_joined(group), *after]
            after = []
        if type(result) is InputRecord:
            group = [result]
        else:
            group = []
            results.append(result)
    if last and group:
        results += [_joined(group), *after]
        return results, [], []
    return results, group, after


def _joins(group: list[InputRecord], record: InputRecord) -> bool:
    """Whether `record` names the input of `group`'s rows and can add its concepts to them."""
    first = group[0]
    if _INPUT_FIELDS(record) != _INPUT_FIELDS(first) or len(group) >= MAX_JOINED:
        return False
    if not record.id_generated and record.input_id != first.input_id:
        return False
    positive = {c for r in group for c in r.positive}.union(record.positive)
    negative = {c for r in group for c in r.negative}.union(record.negative)
    return positive.isdisjoint(negative)


def _joined(group: list[InputRecord]) -> InputRecord:
    """The one record of a group of rows: the first row's, with every row's concepts (and a new generated id)."""
    first = group[0]
    if len(group) == 1:
        return first
    positive = tuple(dict.fromkeys(c for r in group for c in r.positive))
    negative = tuple(dict.fromkeys(c for r in group for c in r.negative))
    input_id = _content_id(first.url, first.file, positive, negative, first.metadata, first.kind, first.text,
                           first.dataset_id, first.geo) if first.id_generated else first.input_id
    return replace(first, input_id=input_id, positive=positive, negative=negative,
                   joined=tuple((r.line, r.cells) for r in group[1:]),
                   row_ids=tuple(r.input_id for r in group) if first.id_generated else ())


def input_rows(rows: Iterable[RawRow], columns: ColumnMap) -> Iterable[RawRow]:
    """The rows that stand for inputs: every row, except in a detection list (a box per row), where
    an input's further rows are only its further boxes."""
    return _first_of_each_input(rows, columns) if columns.boxes else rows


def _first_of_each_input(rows: Iterable[RawRow], columns: ColumnMap) -> Iterator[RawRow]:
    seen: set[tuple[str, ...]] = set()
    for row in rows:
        names = input_names(row.cells, columns)
        if names not in seen:
            seen.add(names)
            yield row


def repeated_inputs(rows: Iterable[RawRow], columns: ColumnMap) -> tuple[int, dict[int, int]]:
    """How many rows there are; and for each input that rows without an id name more than once, by the hash of
    its name (url, text or file), the line of the last such row: what `gathered` needs, in one reading."""
    position = _gathering_position(columns)
    if position is None:
        return sum(1 for _ in rows), {}
    index = IdIndex()
    last_lines: dict[int, int] = {}
    count = 0
    iterator = iter(rows)
    while chunk := list(islice(iterator, _CHUNK_ROWS * 8)):
        count += len(chunk)
        keys = [_gathering_key(row.cells, position, columns) for row in chunk]
        lines = [row.line for row in chunk]
        last_lines.update((key, line) for key, line, first in zip(keys, lines, index.claim(keys, lines))
                          if first != line)
    last_lines.pop(_NOT_GATHERED, None)
    return count, last_lines


def gathered(rows: Iterable[RawRow], columns: ColumnMap, last_lines: Mapping[int, int],
             on_split: Callable[[], None] = lambda: None) -> Iterable[RawRow]:
    """The rows, with those of one input that are apart (`repeated_inputs` found them) held back and given
    together at its last one, so `validate_rows` combines them as it does rows one after another: a list of
    one label a row, sorted by label, still stores each image once. Each row keeps its line.

    Rows with an input id stay where they are: held, one would claim its id after rows below it. At most
    `MAX_HELD` rows wait; past that, the input waiting longest goes on without its later rows (`on_split` is
    called: they will make another input of it)."""
    position = _gathering_position(columns)
    if not last_lines or position is None:
        return rows
    return _gathered(rows, columns, position, last_lines, on_split)


def _gathered(rows: Iterable[RawRow], columns: ColumnMap, position: int, last_lines: Mapping[int, int],
              on_split: Callable[[], None]) -> Iterator[RawRow]:
    held: dict[int, list[RawRow]] = {}  # in the order they began to wait
    waiting = 0
    for row in rows:
        key = _gathering_key(row.cells, position, columns)
        last = last_lines.get(key)
        if last is None:
            yield row
            continue
        held.setdefault(key, []).append(row)
        waiting += 1
        if row.line >= last or waiting > MAX_HELD:
            if row.line < last:
                on_split()
            group = held.pop(key if row.line >= last else next(iter(held)))
            waiting -= len(group)
            yield from group
    for group in held.values():  # only when the file changed between the two readings
        yield from group


def gathers(columns: ColumnMap) -> bool:
    """Whether rows read by `columns` are gathered (and so need `repeated_inputs` first)."""
    return _gathering_position(columns) is not None


def _gathering_position(columns: ColumnMap) -> int | None:
    """The column that names a row's input for `gathered`; None when rows are not gathered (a list of boxes has
    its own rows of one input: see `input_rows`)."""
    if columns.boxes:
        return None
    return next((columns.positions[role] for role in ("url", "input", "text", "file")
                 if columns.positions.get(role) is not None), None)


_NOT_GATHERED = hash("")


def _gathering_key(cells: list[str], position: int, columns: ColumnMap) -> int:
    """The hash of what names a row's input; `_NOT_GATHERED` for a row with an input id, or naming nothing."""
    if cell_at(cells, columns.positions["input_id"]):
        return _NOT_GATHERED
    return hash(cell_at(cells, position))


def noting_unnamed_values(rows: Iterable[RawRow], columns: ColumnMap, on_found: Callable[[], None]
                          ) -> Iterable[RawRow]:
    """`rows`, with `on_found` called at the first that holds a value after the header's last named column (under no
    column name, so it is not read), and not again."""
    start, width = columns.named_width, len(columns.header)
    if start == width:
        return rows

    def noted() -> Iterator[RawRow]:
        rows_left = iter(rows)
        for row in rows_left:
            yield row
            if len(row.cells) > start and any(cell.strip() for cell in row.cells[start:width]):
                on_found()
                break
        yield from rows_left

    return noted()


@dataclass
class ShortRows:
    """The rows that leave out some of the header's named columns, counted for one warning."""

    count: int = 0
    first_line: int = 0

    def __call__(self, line: int) -> None:
        self.count += 1
        self.first_line = self.first_line or line


def noting_short_rows(rows: Iterable[RawRow], columns: ColumnMap, on_short: Callable[[int], None]
                      ) -> Iterator[RawRow]:
    """`rows`, with `on_short` called with the line of each that has fewer cells than the header names columns: its
    last cells are read as empty, as pandas and csv.DictReader read them, which is right unless it left out a cell
    before its last ones."""
    named = columns.named_width
    for row in rows:
        if len(row.cells) < named:
            on_short(row.line)
        yield row


def input_names(cells: list[str], columns: ColumnMap) -> tuple[str, ...]:
    """What names a row's input (its id, url and file cells): in a list of boxes, the rows of one input
    name it alike."""
    return tuple(cell_at(cells, columns.positions[role]) for role in ("input_id", "url", "file"))


def validate_row(row: RawRow, columns: ColumnMap) -> InputRecord | RowError:
    """Check one row against the column map; return the first problem found, or the record."""
    cells = row.cells
    width = len(columns.header)

    def error(role: str, message: str, hint: str) -> RowError:
        """`role` names a role, or directly a column that has none (Portal's concept values)."""
        column = columns.name(role) if role else ""
        points_at = cell_at(cells, columns.positions["url"]) or cell_at(cells, columns.positions["file"])
        return RowError(row.line, input_id, points_at, column, message, hint, cells)

    if len(cells) < width:  # a row that leaves out its last cells: they are empty (see `noting_short_rows`)
        cells = cells + [""] * (width - len(cells))
    elif len(cells) > width:
        input_id = cell_at(cells, columns.positions["input_id"])
        return error("", f"this row has {len(cells)} cells but the header has {width} column{'s' * (width != 1)}",
                     'give every row one cell per column: put a cell that holds the separator in double quotes '
                     '("cat, dog"), or remove the extra cells')
    input_id, url, text, given, file, kind, positive, negative, sdk_concepts, raw_metadata, dataset_id = map(
        str.strip, columns.role_cells([*cells, ""]))
    if input_id and not _ID_PATTERN.fullmatch(input_id):
        if len(input_id) > MAX_ID_CHARS:
            message = f"the input id is {len(input_id):,} characters long (at most {MAX_ID_CHARS})"
            hint = f"shorten it to at most {MAX_ID_CHARS} letters, digits, '-' and '_', or leave it empty"
        else:
            bad = "".join(dict.fromkeys(_ID_BAD_CHARS.findall(input_id)))
            message = f"the input id has characters that are not allowed: {bad!r}"
            hint = "use only letters, digits, '-' and '_', or leave it empty"
        input_id = shortened(input_id)
        return error("input_id", message, hint)
    if given:  # the SDK's one column: a url, or the text itself
        url, text = (given, "") if is_web_address(given) else ("", given)
    if file and not url and is_web_address(file):  # a 'filename' column of web addresses: no file has that name
        url, file = file, ""
    if url and text and not file:  # LAION's and captioning datasets' rows: an image and what it shows, in words
        return error("text", "the row has both a url and a text; an input is one or the other",
                     "if the text describes the image, leave it unread: choose '(not in this file)' for Text under "
                     "Match your columns, or give --column text= (and --keep-other-columns to keep it as metadata)")
    if (url, text, file).count("") < 2:
        return error("text" if text else "file", "the row has more than one of a url, a text and a file",
                     "keep one: a web address to fetch, the text itself, or a file's name")
    if not (url or text or file):
        return error("url", "the url is empty", "put the image's web address (starting with https://) here")
    if url.endswith(")") and not is_web_address(url) and (
            attached := _ATTACHED.findall(url)):  # a table's attachment field, exported as name (url)
        if len(attached) > 1:
            return error("url", f"this cell holds {len(attached)} attachments; a row is one image",
                         "keep one attachment in this field, or give each image a row of its own")
        url = attached[0]
    given_url = ""
    if url:
        sent, url_problem, url_hint = checked_url(url)
        if url_problem:
            return error("url", url_problem, url_hint)
        if sent != url:
            url, given_url = sent, url
    if len(text) > MAX_TEXT_CHARS:
        return error("text", f"the text is {len(text):,} characters long (at most {MAX_TEXT_CHARS:,})",
                     "split it into several rows, or put it online and give its url")
    kind = kind.lower()
    if kind and kind not in KINDS:
        return error("type", f"the type {kind!r} is not one of {', '.join(KINDS)}",
                     "write image, video, audio or text, or leave it empty to decide by the url")
    if kind and kind != "text" and text:
        article = "an" if kind[0] in "aeiou" else "a"
        return error("url", f"{article} {kind} input needs a url",
                     f"put the {kind}'s web address (starting with https://) here")
    kind = kind or ("text" if text else columns.url_kind if url else "") or kind_of_url(url or file)
    if columns.format == PORTAL:
        positive, negative, concept_problem = _portal_concepts(cells, columns)
        if concept_problem:
            return error(*concept_problem)
    elif columns.format == SDK:
        positive, negative = _concepts(sdk_concepts, SDK_CONCEPT_SEPARATOR), ()
    else:
        separator = columns.concept_separator
        if positive[-1:] in ("]", "}") or negative[-1:] in ("]", "}"):  # a list of names, or Label Studio's boxes
            positive, negative, listed_problem = _listed_concepts(positive, negative, separator)
            if listed_problem:
                return error(listed_problem, f"the concepts are JSON, not names separated by '{separator}'",
                             f"write names such as cat{separator}pet; a Label Studio project's boxes come with it "
                             "when it is exported as JSON (or JSON-MIN) rather than CSV")
        positive, negative = _concepts(positive, separator), _concepts(negative, separator)
    for i in columns.classes:
        if (cell := cells[i].strip()) not in ONE_HOT:
            return error(columns.header[i], f"the class column holds {shortened(cell)!r}, not 1 or 0",
                         "write 1 where the input shows the class, and 0 (or nothing) where it does not")
    if columns.classes:
        positive = tuple(columns.header[i] for i in columns.classes if cells[i].strip() in ONE_HOT_YES)
    if columns.added_concepts:
        positive = tuple(dict.fromkeys((*positive, *columns.added_concepts)))
    both = [c for c in positive if c in negative]
    if both and (given := [c for c in both if c in columns.added_concepts]):
        return error("neg_concepts", f"{', '.join(map(repr, given))} is given to every input, but this row says "
                     "its input does not show it", "take it out of this cell, or stop giving it to every input")
    if both:
        return error(
            "neg_concepts",
            f"{', '.join(repr(c) for c in both)} is listed as both positive and negative",
            "keep each concept in one of the two columns",
        )
    metadata = None
    if raw_metadata and raw_metadata not in _NO_METADATA:
        metadata, problem, hint = _metadata(raw_metadata)
        if problem:
            return error("metadata", problem, hint)
    if columns.kept:  # the metadata column's own fields win over a kept column of the same name
        metadata = {**{columns.header[i]: cells[i].strip() for i in columns.kept if cells[i].strip()},
                    **(metadata or {})} or None
    geo, geo_problem = _geo(cells, columns) if columns.has_geo else (None, None)
    if geo_problem:
        return error(*geo_problem)
    if dataset_id and not DATASET_ID_PATTERN.fullmatch(dataset_id):
        return error("dataset_id", f"the dataset id {shortened(dataset_id)!r} is not valid",
                     "use only letters, digits, '-' and '_', as in the dataset's id in Clarifai")
    id_generated = not input_id
    if id_generated:
        input_id = _content_id(url, file, positive, negative, metadata, kind, text, dataset_id, geo)
    record = InputRecord(row.line, input_id, url, positive, negative, metadata, id_generated, cells,
                         kind, text, dataset_id, geo, file)
    return replace(record, given_url=given_url) if given_url else record


def _portal_concepts(cells: list[str], columns: ColumnMap):
    """Portal's concept columns: (positive, negative, None), or a problem (column, message, hint) last."""
    positive: list[str] = []
    negative: list[str] = []
    for id_position, value_position in columns.concept_pairs:
        concept = cell_at(cells, id_position)
        if not concept:
            continue
        value = cell_at(cells, value_position).lower()
        if value in ("", "1", "1.0", "true"):
            positive.append(concept)
        elif value in ("0", "0.0", "false"):
            negative.append(concept)
        else:
            return (), (), (columns.header[value_position], f"the concept value {value!r} is not 1 or 0",
                            "write 1 when the concept is present and 0 when it is absent")
    return tuple(dict.fromkeys(positive)), tuple(dict.fromkeys(negative)), None


def _decimal_point(number: str) -> str:
    """A number written with a decimal comma (48,85: a semicolon-separated export of a European spreadsheet) with
    a point instead."""
    return number.replace(",", ".") if number.count(",") == 1 and "." not in number else number


def _geo(cells: list[str], columns: ColumnMap) -> tuple[tuple[float, float] | None, tuple[str, str, str] | None]:
    """(latitude, longitude) from two columns, or the SDK's 'longitude,latitude' cell."""
    positions = columns.positions
    if positions["geopoints"] is not None:
        raw = cell_at(cells, positions["geopoints"])
        if not raw:
            return None, None
        parts = [part.strip() for part in raw.split(",")]
        if len(parts) != 2:
            return None, ("geopoints", f"the geo point {raw!r} is not 'longitude,latitude'",
                          "write two numbers separated by a comma, longitude first, such as -73.98,40.75")
        longitude, latitude, role = parts[0], parts[1], "geopoints"
    else:
        latitude, longitude = cell_at(cells, positions["latitude"]), cell_at(cells, positions["longitude"])
        if not latitude and not longitude:
            return None, None
        latitude, longitude = _decimal_point(latitude), _decimal_point(longitude)
        role = "latitude" if not latitude else "longitude"
        if not latitude or not longitude:
            return None, (role, "a geo point needs both a latitude and a longitude",
                          "fill in both, or leave both empty")
    for value, limit, name in ((latitude, 90, "latitude"), (longitude, 180, "longitude")):
        column = role if role == "geopoints" else name
        try:
            number = float(value)
        except ValueError:
            return None, (column, f"the geo point ({latitude}, {longitude}) is not two numbers",
                          "write decimal degrees such as 40.75 and -73.98")
        if not -limit <= number <= limit:
            return None, (column, f"the geo point ({latitude}, {longitude}) is off the globe",
                          "latitude goes from -90 to 90 and longitude from -180 to 180")
    return (float(latitude), float(longitude)), None


def cell_at(cells: list[str], position: int | None) -> str:
    """The trimmed cell at `position`; empty when the file has no such column or the row is short."""
    return cells[position].strip() if position is not None and position < len(cells) else ""


def shortened(cell: str, chars: int = SHOWN_ID_CHARS) -> str:
    """A rejected id (or cell) as it can be printed: control and invisible characters escaped, a huge one cut.

    It lands in `FILE:LINE: ID:` lines, so a NUL, an escape sequence or a right-to-left
    override must not reach the terminal, and a megabyte-long id must not fill it.
    """
    shown = "".join(
        ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch) in _HIDDEN_CATEGORIES else ch
        for ch in cell[:chars]
    )
    return shown + "..." if len(cell) > chars else shown


def _duplicates(record: InputRecord, earlier: int, columns: ColumnMap) -> list[RowError]:
    """A record whose id `earlier` has, as rows to fix: one, or each row of a combined input."""
    error = _duplicate(record, earlier, columns)
    rows = [(record.line, record.cells), *record.joined]
    if len(rows) == 1:
        return [error]
    if not record.id_generated:  # each row names the id
        return [replace(error, line=line, cells=cells) for line, cells in rows]
    return [replace(error, line=line, cells=cells,
                    message=f"this row is combined with {_lines_named([o for o, _ in rows if o != line])} into one "
                            f"input, which repeats line {earlier} exactly")
            for line, cells in rows]


def _lines_named(lines: list[int]) -> str:
    """'line 5', 'lines 5 and 6', 'lines 5, 6, 7 and 2 more'."""
    if len(lines) == 1:
        return f"line {lines[0]}"
    if len(lines) > 4:
        return f"lines {lines[0]}, {lines[1]}, {lines[2]} and {len(lines) - 3:,} more"
    return f"lines {', '.join(map(str, lines[:-1]))} and {lines[-1]}"


def _duplicate(record: InputRecord, earlier: int, columns: ColumnMap) -> RowError:
    per_box = "complete the box columns (see the note on columns not used) so each row is a box, or list each " \
              "input once"  # a detection export
    if record.id_generated:
        return RowError(
            record.line, "", record.url, "", f"this row repeats line {earlier} exactly",
            per_box if columns.ignores_boxes else "remove the repeated row, or give the rows different input ids",
            record.cells,
        )
    return RowError(
        record.line, record.input_id, record.url, columns.name("input_id"),
        f"the input id {record.input_id!r} is already used on line {earlier}",
        per_box if columns.ignores_boxes else "give each row its own input id", record.cells,
    )


def _listed_concepts(positive: str, negative: str, separator: str) -> tuple[str, str, str]:
    """Concept cells written as a list of names, as pandas writes a list (['cat', 'dog']), JSON does
    (["cat", "dog"]) or Java prints one ([cat, dog]), as names separated by `separator`; with the role of a cell
    that holds other JSON (Label Studio's CSV writes its boxes so) last, or "" when there is none."""
    cells = []
    for role, cell in (("pos_concepts", positive), ("neg_concepts", negative)):
        if cell[:1] in ("[", "{") and cell[-1:] in ("]", "}"):
            names = _name_list(cell)
            if names is None:
                return positive, negative, role
            cell = separator.join(names)
        cells.append(cell)
    return cells[0], cells[1], ""


def _name_list(cell: str) -> list[str] | None:
    """The names of a list of texts written as JSON, as Python writes it or with bare names; None for anything
    else."""
    try:
        value = json.loads(cell)
    except RecursionError:
        return None
    except ValueError:
        if bare := _BARE_NAMES.fullmatch(cell):
            return bare[1].split(",")
        value = _python_value(cell)
    if isinstance(value, (list, tuple)) and all(isinstance(name, str) for name in value):
        return list(value)
    return None


def _concepts(cell: str, separator: str = CONCEPT_SEPARATOR) -> tuple[str, ...]:
    """Split on '|' (or the separator chosen; the SDK's files: ','), trim, drop empty parts, keep the first of
    repeated names."""
    if not cell:
        return ()
    return tuple(dict.fromkeys(filter(None, map(str.strip, cell.split(separator)))))


_BARE_NAMES = re.compile(r"\[([^][{}\"':]*)\]")  # [cat, dog]: names without quotes, as Java prints a list
_NO_METADATA = frozenset({"null", "NULL", "None"})  # none, as JSON, a database's export and Python write it
_METADATA_HINT = 'write it as a JSON object, for example {"key": "value"}'
_NUMBER_HINT = "write it as text, in quotes, to keep it as it is"


class _Unstorable(Exception):
    """A number in metadata that a Struct (doubles) cannot hold as written; its text says which."""


def _whole_number(text: str) -> int:
    value = int(text)  # more than 4,300 digits: ValueError
    if len(text) > 15:  # fewer digits always fit a double
        try:
            stored = int(float(value))
        except OverflowError:
            shown = text if len(text) <= 40 else f"{text[:20]}... ({len(text):,} digits)"
            raise _Unstorable(f"the number {shown} in the metadata is too large to store") from None
        if stored != value:
            raise _Unstorable(f"the whole number {text} in the metadata has too many digits to store exactly: "
                              f"it would arrive as {stored}")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _Unstorable(f"the number {text[:40]} in the metadata is too large to store")
    return value


def _not_a_number(name: str) -> float:
    raise _Unstorable(f"the metadata holds {name}, which is not a number JSON can store")


# json.loads, but a number a Struct would not hold as written stops it (its hooks cost next to nothing)
_METADATA_JSON = json.JSONDecoder(parse_int=_whole_number, parse_float=_fraction, parse_constant=_not_a_number)


def _metadata(raw: str) -> tuple[dict | None, str, str]:
    """The parsed object, or None with what is wrong and how to fix it."""
    too_deep = f"the metadata is nested too deeply (at most {MAX_METADATA_DEPTH} levels)"
    flatten = f"flatten it to at most {MAX_METADATA_DEPTH} levels of {{...}} and [...]"
    if len(raw) > MAX_METADATA_CHARS:
        problem = f"the metadata is {len(raw):,} characters long (at most {MAX_METADATA_CHARS:,})"
        return None, problem, "keep short fields here; store large data elsewhere and put its link here"
    try:
        value = _METADATA_JSON.decode(raw)
    except _Unstorable as error:
        return None, str(error), _NUMBER_HINT
    except json.JSONDecodeError as error:
        if raw.startswith("{") and (as_json := _python_dict_as_json(raw)) is not None:
            return _metadata(as_json)
        problem = error.msg.removesuffix(" at")  # json's "Invalid control character at"
        if problem.startswith("Invalid control character"):
            inside = char_name(raw[error.pos])
            return None, f"not valid JSON ({inside} inside a text, at character {error.pos + 1})", (
                "write a line break inside a text as \\n and a tab as \\t, or remove it")
        return None, f"not valid JSON ({problem} at character {error.pos + 1})", _METADATA_HINT
    except ValueError:  # a whole number of more digits than Python converts
        return None, "a number in the metadata is too large to store", _NUMBER_HINT
    except RecursionError:
        return None, too_deep, flatten
    if _SURROGATE_ESCAPE.search(raw) and not _encodes(value):
        return None, "the metadata has a \\u escape for half of a character pair, which cannot be stored", (
            "write the character itself, or both halves of its escape (such as \\ud83d\\ude00)")
    if not isinstance(value, dict):
        return None, f"the metadata is a JSON {_json_kind(value)}, not an object", _METADATA_HINT
    if raw.count("{") + raw.count("[") > MAX_METADATA_DEPTH and nesting_depth(value) > MAX_METADATA_DEPTH:
        return None, too_deep, flatten
    return value, "", ""


def _python_dict_as_json(raw: str) -> str | None:
    """A dict written as Python writes one ({'source': 'shop', 'ok': True}: pandas' to_csv of a column of dicts,
    and the Python SDK's own files), as JSON; None for anything else. The SDK's reader swaps ' for " instead, which
    also reads {'ok': true}: that is tried last."""
    value = _python_value(raw)
    if value is _NOT_PYTHON:
        swapped = raw.replace("'", '"')
        try:
            return swapped if isinstance(json.loads(swapped), dict) else None
        except (ValueError, RecursionError):
            return None
    try:
        return json.dumps(value) if isinstance(value, dict) else None  # half a character pair escaped: see _metadata
    except (TypeError, ValueError, RecursionError):  # a set, bytes: nothing JSON holds
        return None


_NOT_PYTHON = object()  # what `_python_value` gives for a cell it does not read


def _python_value(cell: str) -> object:
    """The value a cell writes in Python's notation (values only: nothing in it runs), or `_NOT_PYTHON`: also for a
    cell over MAX_PYTHON_NOTATION_CHARS, as Python's parser takes about 250 times a text's size."""
    if len(cell) > MAX_PYTHON_NOTATION_CHARS:
        return _NOT_PYTHON
    try:
        return ast.literal_eval(cell)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NOT_PYTHON


def _encodes(value: object) -> bool:
    """Whether every text in parsed JSON can be written as UTF-8 (a lone surrogate cannot)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json_kind(value: object) -> str:
    return {list: "list", str: "string", bool: "true/false", type(None): "null"}.get(type(value), "number")


def nesting_depth(value: object) -> int:
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
