"""Reading: bytes -> a header and raw rows with the file line where each row starts.

Takes a binary stream (an open file, or `io.BytesIO` of an uploaded file), so the
CLI and the page read the same way. Rows stream one at a time; nothing holds the
whole file (but a JSON array, see `records`).
"""

from __future__ import annotations

import codecs
import csv
import datetime
import gzip
import io
import itertools
import json
import re
import struct
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import BinaryIO
from xml.etree import ElementTree

from .errors import EncodingError, InputFileError, SheetError, one_line
from .urls import is_web_address, written_web_address

SNIFF_BYTES = 4096  # bytes looked at to tell a text table from an archive, an image or binary data
SNIFF_CHARS = 64 * 1024  # characters read ahead to find the header line and delimiter
DELIMITERS = (",", "\t", ";")  # '|' is left out: it separates concepts inside a cell
# Of a cell: the csv module's default (128 KiB) is below real metadata. A row's metadata or text may hold 512 K;
# a longer cell up to this is that row's problem, a longer one the file's (most often a quote never closed).
MAX_FIELD_CHARS = 16 * 1024 * 1024
# A line is read in pieces of at most this, so one without line breaks (a 150 MB line, packed into a 150 KB gzip)
# costs tens of MB, not gigabytes, before the csv module refuses its cell. Only a line this long, outside quotes,
# reads as several rows: its cells are too long to upload anyway.
MAX_LINE_CHARS = 2 * MAX_FIELD_CHARS
MAX_READING_BYTES = 4096  # a longer line that does not decode is not shown in other encodings (cut, one might split)
READING_CHARS = 80  # of it shown per encoding
# What a text that is not UTF-8 most often is: what Excel writes for 'CSV' on Windows, by language
OTHER_ENCODINGS = ("cp1252", "latin-1", "cp1250", "cp1251", "cp932", "gb18030", "big5", "cp949")
_CP1252_MARKS = "’‘“”–—…•€£°©®™«»·"  # besides letters, what Windows-1252 text holds outside ASCII (others: Asian text)

csv.field_size_limit(MAX_FIELD_CHARS)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_SAVE_AS = "Open it in Excel and save it as a workbook (.xlsx) or as 'CSV UTF-8', then choose that file."
_WRONG_FILE = "Choose the CSV or TSV file that lists the image urls."
_IMAGE_FILE = ("Choose the CSV or TSV file that lists the image urls. To upload images from your computer, choose them "
               "under 'Files from my computer' on the page, or give their folder (or a zip) on the command line.")
_ZIP_MAGIC = b"PK\x03\x04"  # a zip, and so an Excel workbook (.xlsx)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an old Office file: an Excel workbook (.xls), a Word document
_WORKBOOK = "xl/workbook.xml"  # what makes a zip a workbook
_TITLE_ROWS = 20  # rows of one cell above a workbook's header that are taken as titles, at most
_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_LINK_MARKS = (b"<hyperlink ", b"HYPERLINK(", b"IMAGE(")  # a sheet holds links only where its XML says one of these
# A HYPERLINK or IMAGE formula's address, written out (Excel writes its newer functions with the _xlfn. prefix)
_LINK_FORMULA = re.compile(r'\s*(?:_xlfn\.)?(?:HYPERLINK|IMAGE)\(\s*"((?:[^"]|"")*)"', re.IGNORECASE)
_SCAN_BYTES = 1024 * 1024
_MAX_LINKED_CELLS = 2_000_000  # cells given links, read at most (twice a sheet's rows): a link over a range is read
# cell by cell, and more would be a damaged or hostile sheet's, whose links are then left unread
_EXCEL_ROWS = 1_048_576  # the most a sheet has; a row numbered beyond is a damaged file's
_MAGIC = (  # how other kinds of file start, and what they are
    (_ZIP_MAGIC, "a ZIP archive", "To upload the files it holds, give it a .zip name and upload it as it is (on the "
                                  "page: under 'Files from my computer'); or take the list of urls out of it."),
    (b"%PDF", "a PDF document", _WRONG_FILE),
    (b"\x89PNG", "a PNG image", _IMAGE_FILE),
    (b"\xff\xd8\xff", "a JPEG image", _IMAGE_FILE),
    (b"GIF8", "a GIF image", _IMAGE_FILE),
    (b"SQLite format 3\x00", "an SQLite database", _WRONG_FILE),
)
_SAVE_OTHER = ("Save it as an Excel workbook (.xlsx) or as 'CSV UTF-8' (File > Export To, or Save As), then choose "
               "that file.")
# Zips told apart by their names (their bytes all start alike): what each is, and what to do
_NAMED_ZIPS = {
    ".ods": ("a LibreOffice or OpenOffice spreadsheet (.ods), not a CSV or TSV file", _SAVE_OTHER),
    ".numbers": ("an Apple Numbers spreadsheet, not a CSV or TSV file", _SAVE_OTHER),
    ".zip": ("a zip of files, not a list of web addresses", "On the page, choose it under 'Files from my computer'; "
             "on the command line, give it as it is. The files in it are uploaded, with the list it holds, if any."),
}
_GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
PARQUET_BATCH_ROWS = 4096  # rows read from a Parquet file at a time
_DAMAGED_GZIP = (EOFError, gzip.BadGzipFile, zlib.error)  # a .gz cut short or corrupted, found as it unpacks
_TEXT_CONTROLS = b"\t\n\r\f"
_BINARY_SHARE = 0.05  # more control bytes than this among the first: not text (random bytes have 11%)
_HTML_START = re.compile(r"\s*<(?:!doctype|html|head|body|\?xml|!--|table|meta)\b", re.IGNORECASE)
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")  # as the csv reader counts lines
_SEP_LINE = re.compile(r'sep=([^\r\n"])(?:\r\n|\r|\n|$)')  # Excel's "sep=;" line naming the delimiter
_JSON_START = re.compile(r'\s*(?:\[\s*[\[{"\]]|\{\s*")')


@dataclass(frozen=True, slots=True)
class RawRow:
    """One data row: `line` is the file line where it starts (the header is line 1)."""

    line: int
    cells: list[str]


@dataclass
class Table:
    """An opened CSV/TSV: its header, its delimiter, and a one-pass stream of rows."""

    name: str
    header: list[str]
    delimiter: str
    encoding: str
    rows: Iterator[RawRow]
    read_as: str = ""  # what a table that is no CSV or TSV was read as ("its sheet 'Photos'"); "" for a CSV or
    # TSV, whose delimiter and encoding may be chosen
    sheet: str | None = None  # a workbook's sheet read
    sheets: tuple[str, ...] = ()  # a workbook's sheets that hold anything, in order: the ones to choose from
    # The rows once more, from the first, without finding the header again: for JSON records, whose header takes a
    # pass over every record (a CSV's second opening reads one line). None: open the file again.
    rows_again: Callable[[], Iterator[RawRow]] | None = None


def first_rows(table: Table, count: int) -> list[RawRow]:
    """The table's first `count` rows, read now without opening it again; `table.rows` still gives them first."""
    first = list(itertools.islice(table.rows, count))
    table.rows = itertools.chain(first, table.rows)
    return first


def read_again(table: Table, open_source: Callable[[], BinaryIO]) -> Iterator[RawRow]:
    """The table's rows once more, from the first: its own (see `Table.rows_again`), or its file's, opened again
    with what the first opening found."""
    if table.rows_again:
        return table.rows_again()
    return open_table(open_source(), table.name, table.delimiter, table.encoding, table.sheet).rows


def detect_encoding(head: bytes) -> str:
    """Name the encoding from a byte-order mark; UTF-8 (BOM or not) otherwise."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    return "utf-8-sig"


def sniff_delimiter(header_line: str) -> str:
    """Pick the delimiter that splits the header line most often (comma on a tie)."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def open_table(
    stream: BinaryIO,
    name: str = "file",
    delimiter: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
) -> Table:
    """Open `stream` as a table (a gzip-compressed one unpacks as it is read; a workbook's `sheet`, or its first
    with anything in it); raise `InputFileError` for empty or unreadable files."""
    buffered = stream if hasattr(stream, "peek") else io.BufferedReader(stream)
    head = buffered.peek(SNIFF_BYTES)[:SNIFF_BYTES]
    if head.startswith(PARQUET_MAGIC):
        return _parquet_table(buffered, name)
    if head.startswith(_ZIP_MAGIC) and _is_workbook(buffered):
        return _excel_table(buffered, name, sheet)
    if head.startswith(_OLE_MAGIC):  # an old Excel workbook (.xls); another old Office file is refused there
        return _xls_table(buffered, name, sheet)
    if head.startswith(_ZIP_MAGIC) and name.lower().endswith((".xlsx", ".xlsm")):  # a workbook, damaged: not a zip
        raise InputFileError(f"{name} is not a readable Excel workbook (its parts are damaged or missing).", _SAVE_AS)
    if head.startswith(_GZIP_MAGIC):
        buffered = io.BufferedReader(gzip.GzipFile(fileobj=buffered, mode="rb"))
        head = _unpacked(lambda: buffered.peek(SNIFF_BYTES)[:SNIFF_BYTES], name, line=1)
    if not encoding:
        encoding = detect_encoding(head)
        if encoding == "utf-8-sig" and not head.startswith(codecs.BOM_UTF8):
            _refuse_binary(head, name)
    text = io.TextIOWrapper(buffered, encoding=encoding, newline="")
    first_lines = _read_lines(text, SNIFF_CHARS, name, encoding)
    first = "".join(first_lines)
    if not first.strip():
        raise InputFileError(
            f"{name} is empty.",
            "Add a header line such as 'url,input_id,pos_concepts' and one row per image.",
        )
    if _JSON_START.match(first):  # records: Label Studio's export, JSON Lines
        from .records import json_table

        return json_table(_lines_again(buffered, text, first, name, encoding), first.lstrip().startswith("["), name,
                          encoding)
    if name.lower().endswith((".json", ".jsonl")):  # {} or a number: JSON, but no records to read as rows
        from .records import RECORDS_HINT

        raise InputFileError(f"{name} holds no list of records: it starts {first.strip()[:40]!r}.", RECORDS_HINT)
    _refuse_markup(first, name)
    header_line = first.lstrip("\r\n").split("\n", 1)[0]
    sep_line = _SEP_LINE.match(first.lstrip("\r\n"))
    if sep_line:
        delimiter = delimiter or sep_line.group(1)
    delimiter = delimiter or sniff_delimiter(header_line)
    lines = itertools.chain(first_lines, iter(partial(text.readline, MAX_LINE_CHARS), ""))
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    rows = _rows(reader, name, encoding)
    header_row = next(rows, None)
    if sep_line and header_row is not None:
        header_row = next(rows, None)  # the header is on the line after "sep=;"
    if header_row is None:
        raise InputFileError(f"{name} has no header line.", "Put the column names on the first line.")
    header, read_as = [cell.strip() for cell in header_row.cells], ""
    if len(header) == 1 and written_web_address(header[0]):  # web addresses, no header
        rows, header, read_as = itertools.chain([header_row], rows), ["url"], "a list of web addresses, one a line"
    first_row = next(rows, None)  # parsed now so a header-only file stops here, not as "0 rows uploaded"
    if first_row is None:
        raise InputFileError(
            f"{name} has a header line but no rows under it.",
            "Add one line per image under the header, starting with its url (https://...).",
        )
    rows = itertools.chain([first_row], rows)
    return Table(name=name, header=header, delimiter=delimiter, encoding=encoding, rows=rows, read_as=read_as)


def _parquet_table(stream: BinaryIO, name: str) -> Table:
    """A Parquet file's rows as a table's (LAION's lists of urls and captions, for one): a row's cells are its
    values as text (a list of texts joined by '|', other lists and structs as JSON), and its line the one it
    would have in a CSV (the first row on line 2)."""
    import pyarrow

    parquet = open_parquet(stream, name)
    header = parquet.schema_arrow.names
    if not parquet.metadata.num_rows:
        raise InputFileError(f"{name} has columns but no rows.", "Export it again with its rows.")

    def rows() -> Iterator[RawRow]:
        line = 1
        try:
            # on this thread: a process ending soon after Arrow's threads started may abort (see local.py)
            for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, use_threads=False):
                for values in zip(*(column.to_pylist() for column in batch.columns)):
                    line += 1
                    yield RawRow(line, [cell_text(value) for value in values])
        except (pyarrow.ArrowException, OSError, OverflowError, ValueError) as error:  # Overflow: a date past 9999
            raise InputFileError(f"{name}: the rows after line {line} cannot be read ({one_line(error)}).",
                                 "Download or export it again: it is damaged or cut short.") from None

    return Table(name=name, header=header, delimiter=",", encoding="utf-8", rows=rows(), read_as="a Parquet table")


def _is_workbook(stream: BinaryIO) -> bool:
    """Whether a zip is an Excel workbook (.xlsx); the stream is left where it was."""
    start = stream.tell()
    try:
        return _WORKBOOK in zipfile.ZipFile(stream).namelist()
    except zipfile.BadZipFile:
        return False
    finally:
        stream.seek(start)


def _excel_table(stream: BinaryIO, name: str, sheet_name: str | None = None) -> Table:
    """An Excel workbook's (.xlsx) sheet as a table (see `_workbook_table`). A cell that links to a web address gives
    that address (see `_sheet_links`); another formula, the value Excel last saved with it."""
    import openpyxl  # only workbooks need it

    warnings.filterwarnings("ignore", module="openpyxl")  # its notes on styles and dates, with its paths, are not ours
    damaged = (openpyxl.utils.exceptions.InvalidFileException, zipfile.BadZipFile, zlib.error, KeyError, ValueError,
               SyntaxError, OSError, IndexError, TypeError)  # SyntaxError: the XML parsers'; Index-, TypeError:
    # openpyxl's, on a shared text or a style that is not there
    try:
        book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except damaged as error:
        raise InputFileError(f"{name} is not a readable Excel workbook ({one_line(error)}).", _SAVE_AS) from None

    def rows_of(sheet) -> Iterator[tuple[int, tuple]]:
        sheet.reset_dimensions()  # some writers record a wrong extent: read every row there is
        return _numbered_rows(sheet)

    def links_of(title: str) -> dict[int, dict[int, str]]:  # openpyxl's read-only sheets leave links out
        return _sheet_links(stream, getattr(book[title], "_worksheet_path", ""))

    return _workbook_table(name, {sheet.title: partial(rows_of, sheet) for sheet in book.worksheets},
                           book.sheetnames, sheet_name, damaged, links_of)


def _xls_table(stream: BinaryIO, name: str, sheet_name: str | None = None) -> Table:
    """An old Excel workbook's (.xls) sheet as a table (see `_workbook_table`), read with xlrd: a formula gives the
    value Excel last saved with it, a linked cell its text."""
    import xlrd  # only old workbooks need it

    damaged = (xlrd.XLRDError, xlrd.compdoc.CompDocError, struct.error, KeyError, ValueError, IndexError, TypeError,
               AssertionError, UnicodeDecodeError)
    try:
        book = xlrd.open_workbook(file_contents=stream.read(), logfile=io.StringIO())
    except damaged as error:
        raise InputFileError(f"{name} is not a readable Excel workbook: it is damaged, protected by a password, "
                             f"or another program's file ({one_line(error)}).", _SAVE_AS) from None

    def rows_of(sheet) -> Iterator[tuple[int, tuple]]:
        for row in range(sheet.nrows):
            yield row + 1, tuple(_xls_value(cell, book.datemode) for cell in sheet.row(row))

    return _workbook_table(name, {sheet.name: partial(rows_of, sheet) for sheet in book.sheets()},
                           book.sheet_names(), sheet_name, damaged, lambda title: {})


def _xls_value(cell, datemode: int) -> object:
    """An .xls cell's value as openpyxl gives an .xlsx cell's: a whole number an int, a date a datetime."""
    import xlrd

    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if cell.ctype == xlrd.XL_CELL_NUMBER:
        return int(cell.value) if cell.value.is_integer() else cell.value
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate_as_datetime(cell.value, datemode)
        except (xlrd.xldate.XLDateError, OverflowError, ValueError):
            return cell.value
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "")
    return cell.value


def _workbook_table(name: str, sheets: Mapping[str, Callable[[], Iterator[tuple[int, tuple]]]],
                    titles: Sequence[str], sheet_name: str | None, damaged: tuple[type[Exception], ...],
                    links_of: Callable[[str], dict[int, dict[int, str]]]) -> Table:
    """A workbook's sheet `sheet_name`, or its first sheet with anything in it, as most people keep their lists, as
    a table: its header is the first row with anything in it (up to its last named column), or the first with
    several cells below rows of one (titles), and each row keeps the number Excel shows it under. `sheets` gives
    each sheet's numbered rows, `titles` every sheet's name, `links_of` a sheet's row -> column -> linked address."""
    opened = {}  # each sheet holding anything -> (its rows, read up to the header; the rest of its rows)
    for title, rows_of in sheets.items():
        try:
            rows = rows_of()
            leading = _leading_rows(rows)
        except damaged as error:
            if title == sheet_name or sheet_name is None and not opened:  # the sheet to read
                raise InputFileError(f"{name}: its sheet {title!r} cannot be read ({one_line(error)}).",
                                     _SAVE_AS) from None
            continue  # another sheet: not offered
        if leading:
            opened[title] = leading, rows
    found = tuple(opened)
    if not found:
        raise InputFileError(f"{name} is empty: none of its sheets holds anything.",
                             "Put the list on a sheet: a header row such as 'url, input_id, pos_concepts', then one "
                             "row per image.")
    sheet_name = found[0] if sheet_name is None else sheet_name
    if sheet_name not in opened:
        state = "is empty" if sheet_name in titles else "is not in it"
        raise SheetError(f"{name}: its sheet {sheet_name!r} {state}.",
                         f"Its sheets with anything in them: {_named(found)}. Choose one of them.", found)
    leading, rows = opened[sheet_name]
    try:
        links = links_of(sheet_name)
    except damaged:
        links = {}  # reading the rows names what is wrong
    titled = _filled(leading[-1][1]) > 1  # the rows of one cell above it are titles
    (_, named), after_header = (leading[-1], []) if titled else (leading[0], leading[1:])
    header = [cell_text(value).strip() for value in named]
    while not header[-1]:
        header.pop()

    def cells_of() -> Iterator[RawRow]:
        line = leading[-1][0]
        try:
            for line, values in itertools.chain(after_header, rows):
                cells = [cell_text(value) for value in values[:len(header)]]
                if line in links:
                    cells = [_linked(cell, links[line].get(column)) for column, cell in enumerate(cells)]
                if "".join(cells).strip():
                    yield RawRow(line, cells + [""] * (len(header) - len(cells)))
        except damaged as error:
            raise InputFileError(f"{name}: the rows after row {line} of its sheet {sheet_name!r} cannot be read "
                                 f"({one_line(error)}).", _SAVE_AS) from None

    data = cells_of()
    first = next(data, None)
    if first is None:
        raise on_sheet(InputFileError(f"{name} has a header row but no rows under it on its sheet {sheet_name!r}.",
                                      "Put one row per image under the header, starting with its url (https://...)."),
                       sheet_name, found)
    return Table(name=name, header=header, delimiter=",", encoding="utf-8", rows=itertools.chain([first], data),
                 read_as=f"its sheet {sheet_name!r}", sheet=sheet_name, sheets=found)


def _numbered_rows(sheet) -> Iterator[tuple[int, tuple]]:
    """A sheet's rows with their numbers, empty ones too; raises ValueError past Excel's last row, where a damaged
    file's row number would have openpyxl make empty rows for minutes."""
    for line, values in enumerate(sheet.iter_rows(values_only=True), 1):
        if line > _EXCEL_ROWS:
            raise ValueError(f"a row is numbered beyond Excel's last, {_EXCEL_ROWS:,}")
        yield line, values


def _sheet_links(stream: BinaryIO, sheet_path: str) -> dict[int, dict[int, str]]:
    """Row -> column (from 0) -> the address a cell links to: a link inserted in it (Excel, LibreOffice, SharePoint's
    lists), its HYPERLINK formula's (Google Sheets exports its links so), or the picture's of its IMAGE formula (a
    sheet showing each image in its cell). A sheet's links come after its rows, so a sheet that names none is found
    by a quick scan and not parsed twice."""
    archive = zipfile.ZipFile(stream)
    if not sheet_path or not _mentions(archive, sheet_path, _LINK_MARKS):
        return {}
    folder, _, file_name = sheet_path.rpartition("/")
    try:
        relations = ElementTree.fromstring(archive.read(f"{folder}/_rels/{file_name}.rels"))
    except KeyError:
        relations = ElementTree.Element("none")
    targets = {relation.get("Id"): relation.get("Target", "") for relation in relations
               if relation.get("TargetMode") == "External"}
    links: dict[int, dict[int, str]] = {}
    linked = 0
    rows = ElementTree.Element("none")  # the sheet's rows, emptied as they are read
    with archive.open(sheet_path) as source:
        for event, element in ElementTree.iterparse(source, ("start", "end")):
            if event == "start":
                if element.tag == f"{_SHEET_NS}sheetData":
                    rows = element
                continue
            if element.tag == f"{_SHEET_NS}c":
                formula = _LINK_FORMULA.match(element.findtext(f"{_SHEET_NS}f") or "")
                places = _cells_of(element.get("r")) if formula else []
                target = formula[1].replace('""', '"') if formula else ""
            elif element.tag == f"{_SHEET_NS}hyperlink":
                target = targets.get(element.get(_RELATIONSHIP_ID), "")
                places = _cells_of(element.get("ref")) if target else []
            else:
                if element.tag == f"{_SHEET_NS}row":
                    rows.clear()
                continue
            linked += len(places)
            if linked > _MAX_LINKED_CELLS:
                return {}
            for row, column in places:
                links.setdefault(row, {})[column] = target
    return links


def _cells_of(reference: str | None) -> list[tuple[int, int]]:
    """(row, column from 0) of each cell a reference names (B2, or a range such as A2:A9); none for a whole column or
    row, or a reference that names no cell."""
    from openpyxl.utils.cell import range_boundaries  # only workbooks need it

    try:
        first_column, first_row, last_column, last_row = range_boundaries(reference or "")
    except (ValueError, TypeError):
        return []
    if None in (first_column, first_row, last_column, last_row):
        return []
    if (last_row - first_row + 1) * (last_column - first_column + 1) > _MAX_LINKED_CELLS:
        return []
    return [(row, column - 1) for row in range(first_row, last_row + 1)
            for column in range(first_column, last_column + 1)]


def _mentions(archive: zipfile.ZipFile, member: str, marks: tuple[bytes, ...]) -> bool:
    """Whether an archive's member holds any of `marks`, read a megabyte at a time."""
    overlap = max(map(len, marks)) - 1
    tail = b""
    with archive.open(member) as source:
        while chunk := source.read(_SCAN_BYTES):
            window = tail + chunk
            if any(mark in window for mark in marks):
                return True
            tail = window[-overlap:]
    return False


def _linked(cell: str, target: str | None) -> str:
    """A cell that links to a web address reads as that address, unless it shows one already."""
    return target.strip() if target and is_web_address(target.strip()) and not is_web_address(cell.strip()) else cell


def on_sheet(error: InputFileError, sheet: str | None, sheets: tuple[str, ...]) -> InputFileError:
    """`error` about what a table holds; when it was a workbook's `sheet` and its other `sheets` hold something,
    a `SheetError` that names them, as the list may be on one of them."""
    others = [other for other in sheets if other != sheet]
    if not others:
        return error
    return SheetError(error.message, f"{error.hint} Or choose the sheet that holds the list: {_named(others)}.",
                      sheets)


def _named(sheets: Iterable[str]) -> str:
    return ", ".join(map(repr, sheets))


def _leading_rows(rows: Iterator[tuple[int, tuple]]) -> list[tuple[int, tuple]]:
    """A sheet's first rows with anything in them, up to its header: the first with several cells, or the first of
    `_TITLE_ROWS` rows of one; none for an empty sheet."""
    leading = []
    for line, values in rows:
        if filled := _filled(values):
            leading.append((line, values))
            if filled > 1 or len(leading) == _TITLE_ROWS:
                break
    return leading


def _filled(values: tuple) -> int:
    """How many of a sheet row's cells hold anything."""
    return sum(1 for value in values if cell_text(value).strip())


def open_parquet(stream: BinaryIO, name: str):
    """A `pyarrow.parquet.ParquetFile`; raises `InputFileError` when `stream` holds none."""
    import pyarrow.parquet  # Streamlit's own dependency; only Parquet files need it

    try:
        # pre_buffer=False: the default reads ahead on Arrow's IO threads, from a Python file object; a process that
        # ends while such a read is under way (a damaged file's error) may abort instead of exiting (apache/arrow#34314)
        return pyarrow.parquet.ParquetFile(stream, pre_buffer=False)
    except (pyarrow.ArrowException, OSError) as error:
        raise InputFileError(f"{name} is not a readable Parquet file ({one_line(error)}).",
                             "Download or export it again.") from None


def cell_text(value: object) -> str:
    """A Parquet, JSON or Excel value as the text of a cell."""
    if value is None or isinstance(value, (bytes, bytearray)):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return "|".join(value)  # concepts, as a list's cell separates them
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=json_value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime) and value.time() == datetime.time() and value.tzinfo is None:
        return value.date().isoformat()  # a date, as a workbook holds one: at midnight
    return str(value)


def json_value(value: object) -> object:
    """What a value JSON has no type for becomes: a date its text, bytes (a file's) nothing."""
    return None if isinstance(value, (bytes, bytearray)) else str(value)


def _rows(reader, name: str, encoding: str) -> Iterator[RawRow]:
    """Yield non-blank rows with the line each starts on; csv and decoding errors stop the file."""
    start = 1
    try:
        for cells in reader:
            if "".join(cells).strip():  # some cell holds more than spaces
                yield RawRow(start, cells)
            start = reader.line_num + 1
    except UnicodeDecodeError as error:
        raise _undecodable(error, name, encoding, reader.line_num + 1) from None
    except csv.Error as error:
        raise InputFileError(
            f"{name}, line {start}: the file cannot be split into cells ({error}).",
            _csv_hint(str(error)),
        ) from None
    except _DAMAGED_GZIP as error:
        raise _damaged(error, name, start) from None


def _lines_again(buffered: BinaryIO, text: io.TextIOWrapper, first: str, name: str, encoding: str
                 ) -> Callable[[], Iterator[str]]:
    """The text's lines from its start, each time the result is called (JSON Lines are read for their columns,
    then for their rows); a stream that cannot go back is read once and held."""
    if not buffered.seekable():
        held = (first + _decode(text.read, name, encoding, line=first.count("\n") + 1)).splitlines(keepends=True)
        return lambda: iter(held)
    text.detach()  # each reading gets its own reader of the same bytes

    def lines() -> Iterator[str]:
        buffered.seek(0)
        reader = io.TextIOWrapper(buffered, encoding=encoding, newline="")
        line = 0
        try:
            for line, content in enumerate(iter(partial(reader.readline, MAX_LINE_CHARS), ""), 1):
                yield content  # a long line in pieces: a JSON array's may be one line, JSON Lines' are refused
        except UnicodeDecodeError as error:
            raise _undecodable(error, name, encoding, line + 1) from None
        except _DAMAGED_GZIP as error:
            raise _damaged(error, name, line + 1) from None
        finally:  # the bytes stay open for the next reading (unless their owner closed them, as after an error)
            if not buffered.closed:
                reader.detach()

    return lines


def _refuse_binary(head: bytes, name: str) -> None:
    """Raise for a file that is plainly not text: an archive, another program's spreadsheet, an image, UTF-16 without
    its mark."""
    named = next((kind for extension, kind in _NAMED_ZIPS.items() if name.lower().endswith(extension)), None)
    if named and head.startswith(_ZIP_MAGIC):
        what, hint = named
        raise InputFileError(f"{name} is {what}.", hint)
    for magic, what, hint in _MAGIC:
        if head.startswith(magic):
            raise InputFileError(f"{name} is {what}, not a CSV or TSV file.", hint)
    if b"\0" not in head:
        return
    half = max(1, len(head) // 2)
    for order, zeros, text in (("le", head[1::2], head[0::2]), ("be", head[0::2], head[1::2])):
        if zeros.count(0) > 0.9 * half and text.count(0) < 0.1 * half:  # ASCII in UTF-16: every other byte is 0
            raise EncodingError(
                f"{name} looks like UTF-16 text without a byte-order mark.",
                f"Save it again as 'CSV UTF-8', or name the encoding (for example --encoding utf-16-{order}).",
            )
    controls = sum(1 for byte in head if (byte < 32 or byte == 127) and byte not in _TEXT_CONTROLS)
    if controls > _BINARY_SHARE * len(head):
        raise InputFileError(
            f"{name} is not a text file: its first bytes are binary data.",
            "Choose the CSV or TSV file that lists the image urls; a spreadsheet must first be saved as 'CSV UTF-8'.",
        )


def _refuse_markup(first: str, name: str) -> None:
    """Raise for a web page saved under a .csv name."""
    if _HTML_START.match(first):
        raise InputFileError(
            f"{name} is a web page (HTML) or XML, not a CSV or TSV file.",
            "A browser saved the page instead of the file: download the CSV itself "
            "(Google Sheets: File > Download > Comma-separated values).",
        )


def _csv_hint(problem: str) -> str:
    if "end of data" in problem:
        return 'A quote (") opened on this line is never closed: close it, or remove the stray quote.'
    if "field larger" in problem:
        return f"A cell is longer than {MAX_FIELD_CHARS // (1024 * 1024)} MB: check this line for a missing quote."
    return 'Quote cells that contain the delimiter, quotes or line breaks, and double any quote inside them ("").'


def _read_lines(text: io.TextIOWrapper, chars: int, name: str, encoding: str) -> list[str]:
    """Whole lines (a long one's first piece) up to about `chars`, line by line so a decoding error knows its line.

    (One read(chars) decodes several chunks and loses the lines before the failing one.)
    """
    lines: list[str] = []
    size = 0
    while size < chars:
        line = _decode(partial(text.readline, MAX_LINE_CHARS), name, encoding, line=len(lines) + 1)
        if not line:
            break
        lines.append(line)
        size += len(line)
    return lines


def _decode(read, name: str, encoding: str, line: int) -> str:
    try:
        return _unpacked(read, name, line)
    except UnicodeDecodeError as error:
        raise _undecodable(error, name, encoding, line) from None
    except UnicodeError as error:  # UTF-16 named without its byte order, for a file without a byte-order mark
        raise EncodingError(f"{name} is not readable as {encoding.upper()} text ({error}).",
                            f"Name the byte order too (--encoding {encoding}-le or {encoding}-be), or leave the "
                            "encoding out to detect it.") from None


def _unpacked(read, name: str, line: int):
    """`read()`, with a damaged gzip stream named as such."""
    try:
        return read()
    except _DAMAGED_GZIP as error:
        raise _damaged(error, name, line) from None


def _damaged(error: Exception, name: str, line: int) -> InputFileError:
    return InputFileError(
        f"{name} is a damaged gzip file: it cannot be unpacked beyond about line {line} ({error}).",
        "Compress the CSV again (gzip), or choose the CSV itself.",
    )


def _undecodable(error: UnicodeDecodeError, name: str, encoding: str, line: int) -> EncodingError:
    """`line` is where the failing read began; the decoder's chunk may reach further."""
    line += len(_LINE_BREAK.findall(error.object[: error.start]))
    data = error.object
    bad = data[error.start : error.start + 1]
    starts, ends = data.rfind(b"\n", 0, error.start) + 1, data.find(b"\n", error.start)
    bad_line = data[starts : len(data) if ends < 0 else ends].rstrip(b"\r")  # a long one is left out, not cut
    as_cp1252 = bad.decode("cp1252", errors="replace")
    around = {ch for ch in data[max(0, error.start - 64) : error.start + 64].decode("cp1252", errors="replace")
              if not ch.isascii()}
    guess = f"; it looks like Windows-1252, where it is {as_cp1252!r}" if (
        encoding.startswith("utf-8") and all(ch.isalpha() or ch in _CP1252_MARKS for ch in around)) else ""
    return EncodingError(
        f"{name} is not readable as {encoding.replace('-sig', '').upper()} text "
        f"(near line {line}: byte {bad!r} does not fit{guess}).",
        "If it came from Excel on Windows, save it again as 'CSV UTF-8', "
        "or name the encoding (for example --encoding cp1252). "
        "If it is not a CSV or TSV file, choose the right file.",
        bad_line if len(bad_line) <= MAX_READING_BYTES else b"",
    )


def readings(line: bytes, encodings: Iterable[str], chars: int = READING_CHARS) -> list[tuple[str, str]]:
    """(encoding, text) for each of `encodings` that decodes `line` to printable text: about `chars` of it from
    just before its first letter outside ASCII, where encodings differ, so a person can see which one reads right."""
    shown = []
    for encoding in encodings:
        try:
            text = line.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not text.replace("\t", " ").isprintable():  # control characters: plainly not this encoding
            continue
        first = next((i for i, ch in enumerate(text) if not ch.isascii()), 0)
        start = max(0, first - chars // 4)
        shown.append((encoding, ("..." if start else "") + text[start : start + chars]
                      + ("..." if len(text) > start + chars else "")))
    return shown
