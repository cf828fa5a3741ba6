"""Reading: encodings, delimiters, line endings, quoting, blank lines and start lines."""

import gzip
import io
import tracemalloc

import pytest

from ingest.errors import EncodingError, InputFileError
from ingest.read import open_table, readings


def table(data: bytes, **kwargs):
    opened = open_table(io.BytesIO(data), "f.csv", **kwargs)
    return opened, [(row.line, row.cells) for row in opened.rows]


@pytest.mark.parametrize(
    ("data", "delimiter", "rows"),
    [
        (b"url,id\nhttp://a,1\n", ",", [(2, ["http://a", "1"])]),
        (b"\xef\xbb\xbfurl,id\r\nhttp://a,1\r\n", ",", [(2, ["http://a", "1"])]),
        (b"url\tid\nhttp://a\t1\n", "\t", [(2, ["http://a", "1"])]),
        (b"url;id\nhttp://a;1\n", ";", [(2, ["http://a", "1"])]),
        ("url\tid\nhttp://a\t1\n".encode("utf-16"), "\t", [(2, ["http://a", "1"])]),
        (b'url,m\n"http://a","x, ""y""\tz"\n', ",", [(2, ["http://a", 'x, "y"\tz'])]),
        (b'url,m\n"http://a","two\nlines"\nhttp://b,3\n', ",", [(2, ["http://a", "two\nlines"]), (4, ["http://b", "3"])]),
        (b"url,m\n\nhttp://a,1\n   \n\nhttp://b,2", ",", [(3, ["http://a", "1"]), (6, ["http://b", "2"])]),
        (b"url,m\n,\nhttp://a,1\n", ",", [(3, ["http://a", "1"])]),
        (b"url\nhttp://a|b\n", ",", [(2, ["http://a|b"])]),
    ],
    ids=["plain", "bom-crlf", "tsv", "semicolon", "utf16", "quoted", "multiline", "blank-lines", "delimiters-only", "pipe-not-delimiter"],
)
def test_rows_come_with_the_line_they_start_on(data, delimiter, rows):
    opened, read = table(data)
    assert opened.delimiter == delimiter
    assert read == rows


def test_header_is_kept_as_written_and_delimiter_can_be_forced():
    opened, read = table(b" URL ;x\nhttp://a;b\n", delimiter=",")
    assert opened.header == ["URL ;x"]
    assert read == [(2, ["http://a;b"])]


def test_explicit_encoding_reads_latin1():
    opened, read = table("url,name\nhttp://a,café\n".encode("cp1252"), encoding="cp1252")
    assert read == [(2, ["http://a", "café"])]


@pytest.mark.parametrize(
    ("data", "fragments"),
    [
        (b"", ["f.csv is empty", "header line"]),
        (b"\n\n  \n", ["f.csv is empty"]),
        (b"url,id\nhttp://a,1\nhttp://b,caf\xe9\n", ["not readable as UTF-8", "line 3", "cp1252"]),
        (b'url,id\nhttp://a,1\n"http://b,2\nhttp://c,3\n', ["line 3", "never closed"]),
    ],
    ids=["empty", "only-blank", "latin1", "unterminated-quote"],
)
def test_unreadable_files_stop_with_a_located_hint(data, fragments):
    with pytest.raises(InputFileError) as caught:
        list(table(data)[1])
    text = str(caught.value)
    for fragment in fragments:
        assert fragment in text


def test_a_line_in_another_encoding_is_kept_to_show_how_it_reads_and_asian_text_is_not_called_windows_1252():
    japanese = "url,pos_concepts\nhttps://h.test/a.jpg,ねこ|いぬ\n".encode("cp932")
    with pytest.raises(EncodingError) as caught:
        list(table(japanese)[1])
    assert caught.value.line == "https://h.test/a.jpg,ねこ|いぬ".encode("cp932")
    assert "Windows-1252" not in caught.value.message
    shown = dict(readings(caught.value.line, ["cp1252", "latin-1", "cp932", "big5"], chars=12))
    assert shown["cp932"] == "...pg,ねこ|いぬ"  # from just before its first letter outside ASCII
    assert "latin-1" not in shown and "big5" not in shown  # control characters; bytes Big5 cannot read
    with pytest.raises(EncodingError) as caught:
        list(table(b"url,name\nhttp://a," + b"x" * 5000 + b"caf\xe9\n")[1])
    assert caught.value.line == b"" and "it looks like Windows-1252, where it is '\xe9'" in caught.value.message
    with pytest.raises(EncodingError) as caught:
        list(table(b"\x82\xa0" + b"a" * 300 + b",b\n")[1])  # at the very start: the bytes after it are looked at
    assert "Windows-1252" not in caught.value.message


@pytest.mark.parametrize(("start", "message"), [
    (b"url,concepts\nhttps://h.test/a.jpg,", "z.gz, line 2: the file cannot be split into cells"),
    (b'{"url": "https://h.test/a.jpg"}\n{"x": "', "z.gz, line 2: the line is longer than 32 MB."),
], ids=["csv", "json-lines"])
def test_a_line_of_100_million_characters_from_a_small_gzip_stops_the_file_in_little_memory(start, message):
    packed = gzip.compress(start + b"a" * 100_000_000 + b"\n", compresslevel=1)
    tracemalloc.start()
    try:
        with pytest.raises(InputFileError) as caught:
            list(open_table(io.BytesIO(packed), "z.gz").rows)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.message.startswith(message)
    assert peak < 160 * 1024 * 1024  # a piece of the line and a cell, not the whole line held several times


def test_blank_lines_are_skipped_and_a_multiline_row_starts_on_its_first_line():
    rows = open_table(io.BytesIO(b'url\n"http://a\nb"\n\nhttp://c\n')).rows
    assert [row.line for row in rows] == [2, 5]


def test_web_addresses_one_a_line_need_no_header_and_keep_their_line_numbers():
    opened, rows = table(b"https://h.test/a.jpg\r\n\r\n HTTP://h.test/b.jpg\nnot a url\n")
    assert (opened.header, opened.read_as) == (["url"], "a list of web addresses, one a line")
    assert rows == [(1, ["https://h.test/a.jpg"]), (3, [" HTTP://h.test/b.jpg"]), (4, ["not a url"])]
    assert table(b"https://h.test/a.jpg,cat\nhttps://h.test/b.jpg,dog\n")[0].header[1] == "cat"  # no list of urls
    bare, rows = table(b"www.h.test/a.jpg\nh.test/b.jpg\n")  # without https://, sent with it
    assert (bare.header, rows) == (["url"], [(1, ["www.h.test/a.jpg"]), (2, ["h.test/b.jpg"])])


def test_a_parquet_files_rows_read_as_a_csvs_would():
    import pyarrow
    import pyarrow.parquet

    out = io.BytesIO()
    pyarrow.parquet.write_table(pyarrow.table({
        "url": ["https://h.test/a.jpg", None], "tags": [["cat", "pet"], []], "n": [3, 4], "ok": [True, False],
        "meta": [{"source": "shop"}, None],
    }), out)
    opened, rows = table(out.getvalue(), delimiter=";", encoding="latin-1")  # neither applies to Parquet
    assert opened.header == ["url", "tags", "n", "ok", "meta"]
    assert rows == [(2, ["https://h.test/a.jpg", "cat|pet", "3", "true", '{"source": "shop"}']),
                    (3, ["", "", "4", "false", ""])]
    with pytest.raises(InputFileError, match="is not a readable Parquet file"):
        table(b"PAR1 and nothing after")
    out = io.BytesIO()  # a date past the year 9999, which Python's dates cannot hold
    pyarrow.parquet.write_table(pyarrow.table({"url": ["https://h.test/a.jpg"],
                                               "taken": pyarrow.array([10 ** 12], pyarrow.timestamp("s"))}), out)
    with pytest.raises(InputFileError, match=r"f.csv: the rows after line 1 cannot be read \(date value out of range"):
        table(out.getvalue())


def workbook(*sheets: dict[str, object]) -> bytes:
    """An .xlsx file with these sheets, each {cell reference: value}."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for number, cells in enumerate(sheets, 1):
        sheet = book.create_sheet(f"Sheet{number}")
        for reference, value in cells.items():
            sheet[reference] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def old_workbook(*sheets: dict[str, object]) -> bytes:
    """An old Excel workbook (.xls) with these sheets, each {cell reference: value}, as `workbook` takes them."""
    import datetime

    import xlwt
    from openpyxl.utils.cell import coordinate_to_tuple

    book = xlwt.Workbook()
    dates = xlwt.easyxf(num_format_str="YYYY-MM-DD HH:MM:SS")
    for number, cells in enumerate(sheets, 1):
        sheet = book.add_sheet(f"Sheet{number}")
        for reference, value in cells.items():
            row, column = coordinate_to_tuple(reference)
            if value is not None:
                style = dates if isinstance(value, datetime.date) else xlwt.Style.XFStyle()
                sheet.write(row - 1, column - 1, value, style)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_excel_workbooks_first_sheet_reads_as_a_table_with_the_row_numbers_excel_shows():
    import datetime

    data = workbook({"A2": "URL ", "B2": "input_id", "C2": "pos_concepts", "D2": None, "E2": "added",
                     "A3": "https://h.test/a.jpg", "B3": 7, "C3": "cat|dog", "E3": datetime.date(2024, 1, 2),
                     "A5": "https://h.test/b.jpg", "B5": 2.5, "C5": True, "E5": datetime.datetime(2024, 1, 2, 9, 30),
                     "F5": "a note beyond the header"},
                    {"A1": "url", "A2": "https://h.test/on-another-sheet.jpg"})
    opened, rows = table(data, delimiter=";")  # no delimiter applies
    assert opened.header == ["URL", "input_id", "pos_concepts", "", "added"]
    assert rows == [(3, ["https://h.test/a.jpg", "7", "cat|dog", "", "2024-01-02"]),
                    (5, ["https://h.test/b.jpg", "2.5", "true", "", "2024-01-02 09:30:00"])]
    one_column = {"A1": "url", **{f"A{n}": f"https://h.test/{n}.jpg" for n in range(2, 31)}}  # no title: 1 cell a row
    opened, rows = table(workbook(one_column))
    assert opened.header == ["url"] and rows[0] == (2, ["https://h.test/2.jpg"]) and len(rows) == 29
    opened, rows = table(workbook({}, {"A1": "url", "A2": "https://h.test/a.jpg"}))  # an empty first sheet
    assert opened.header == ["url"] and rows == [(2, ["https://h.test/a.jpg"])]
    with pytest.raises(InputFileError, match="f.csv is empty: none of its sheets holds anything"):
        table(workbook({}, {}))
    with pytest.raises(InputFileError, match="has a header row but no rows under it on its sheet 'Sheet1'"):
        table(workbook({"A1": "url", "B1": "id"}))


def test_an_old_excel_workbook_reads_as_a_new_one_does():
    import datetime

    sheets = ({"A1": "Photos of the trip", "A3": "URL ", "B3": "input_id", "C3": "pos_concepts", "E3": "added",
               "A4": "https://h.test/a.jpg", "B4": 7, "C4": "cat|dog", "E4": datetime.date(2024, 1, 2),
               "A6": "https://h.test/b.jpg", "B6": 2.5, "C6": True, "E6": datetime.datetime(2024, 1, 2, 9, 30)},
              {}, {"A1": "url", "A2": "https://h.test/on-the-third-sheet.jpg"})
    new, new_rows = table(workbook(*sheets))
    old, old_rows = table(old_workbook(*sheets))
    assert (old.header, old.sheet, old.sheets, old.read_as) == (new.header, new.sheet, new.sheets, new.read_as)
    assert old_rows == new_rows == [(4, ["https://h.test/a.jpg", "7", "cat|dog", "", "2024-01-02"]),
                                    (6, ["https://h.test/b.jpg", "2.5", "true", "", "2024-01-02 09:30:00"])]
    _, rows = table(old_workbook(*sheets), sheet="Sheet3")
    assert rows == [(2, ["https://h.test/on-the-third-sheet.jpg"])]
    with pytest.raises(InputFileError, match="f.csv: its sheet 'Sheet2' is empty"):
        table(old_workbook(*sheets), sheet="Sheet2")
    with pytest.raises(InputFileError, match="f.csv is not a readable Excel workbook: it is damaged, protected by a "
                                             "password, or another program's file"):
        table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))  # how every .xls starts, then nothing of one


def test_a_workbook_cell_that_links_to_or_shows_a_web_address_reads_as_that_address():
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["url", "pos_concepts", "source"])
    sheet.append(["photo 1", "cat", "the shop"])  # a link inserted in Excel: its text is not the address
    sheet["A2"].hyperlink = "https://h.test/1.jpg"
    sheet["C2"].hyperlink = "https://shop.test/page"
    sheet.append(['=HYPERLINK("https://h.test/2.jpg?q=""a""","photo 2")', "dog", ""])  # Google Sheets' links
    sheet.append(["https://h.test/3.jpg", "cow", ""])  # a cell that shows its address keeps it
    sheet["A4"].hyperlink = "https://h.test/elsewhere.jpg"
    sheet.append(["photo 4", "bird", ""])  # a link to a place in the workbook is no web address
    sheet["A5"].hyperlink = "#Sheet!A1"
    sheet.append(["=HYPERLINK(D6)", "emu", ""])  # the address in another cell: not followed (and never computed)
    sheet.append(['=IMAGE("https://h.test/7.jpg")', "owl", ""])  # a picture shown in its cell (Google Sheets)
    sheet.append(['=_xlfn.IMAGE("https://h.test/8.jpg", "a fox", 1)', "fox", ""])  # Excel's
    out = io.BytesIO()
    book.save(out)
    opened, rows = table(out.getvalue())
    assert opened.header == ["url", "pos_concepts", "source"]
    assert rows == [(2, ["https://h.test/1.jpg", "cat", "https://shop.test/page"]),
                    (3, ['https://h.test/2.jpg?q="a"', "dog", ""]),
                    (4, ["https://h.test/3.jpg", "cow", ""]),
                    (5, ["photo 4", "bird", ""]),
                    (6, ["", "emu", ""]),
                    (7, ["https://h.test/7.jpg", "owl", ""]),
                    (8, ["https://h.test/8.jpg", "fox", ""])]


def rewritten(data: bytes, member: str, old: bytes, new: bytes) -> bytes:
    """A zip (a workbook) with `old` replaced by `new` in its member `member`."""
    import zipfile

    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as copy:
        for name in source.namelist():
            body = source.read(name)
            copy.writestr(name, body.replace(old, new) if name == member else body)
    return out.getvalue()


def test_a_workbook_damaged_in_its_links_rows_or_texts_is_named_or_read_without_them():
    sheet = "xl/worksheets/sheet1.xml"
    book = workbook({"A1": "url", "B1": "pos_concepts", "A2": "https://h.test/a.jpg", "B2": "cat"})
    import openpyxl

    linked = openpyxl.load_workbook(io.BytesIO(book))
    linked.active["A2"].hyperlink = "https://h.test/elsewhere.jpg"
    out = io.BytesIO()
    linked.save(out)
    for reference in (b' ref="A:A"', b' ref="2:2"'):  # a whole column or row linked: not read as a cell's link
        _, rows = table(rewritten(out.getvalue(), sheet, b' ref="A2"', reference))
        assert rows == [(2, ["https://h.test/a.jpg", "cat"])]
    with pytest.raises(InputFileError, match="f.csv: the rows after row 2 of its sheet 'Sheet1' cannot be read"):
        table(rewritten(out.getvalue(), sheet, b' ref="A2"', b""))  # a link to no cell
    far = book
    for old, new in ((b'<row r="2"', b'<row r="2000000"'), (b'r="A2"', b'r="A2000000"'), (b'r="B2"', b'r="B2000000"')):
        far = rewritten(far, sheet, old, new)
    with pytest.raises(InputFileError, match="a row is numbered beyond Excel's last, 1,048,576"):
        table(far)
    with pytest.raises(InputFileError, match=r"Photos.xlsx is not a readable Excel workbook"):  # not: rename it .zip
        open_table(io.BytesIO(b"PK\x03\x04 damaged"), "Photos.xlsx")
    shared = rewritten(book, sheet, b'<c r="B2" t="inlineStr"><is><t>cat</t></is></c>',
                       b'<c r="B2" t="s"><v>99</v></c>')  # a shared text that is not there
    with pytest.raises(InputFileError, match=r"f.csv: the rows after row \d of its sheet 'Sheet1' cannot be read"):
        table(shared)


def test_a_workbooks_sheet_is_read_by_its_name_and_the_sheets_with_anything_in_them_are_named():
    data = workbook({"A1": "column", "B1": "means", "A2": "url", "B2": "the image's address"}, {},
                    {"A1": "url", "A2": "https://h.test/a.jpg"})
    first = open_table(io.BytesIO(data), "book.xlsx")
    assert (first.sheet, first.sheets, first.header) == ("Sheet1", ("Sheet1", "Sheet3"), ["column", "means"])
    chosen = open_table(io.BytesIO(data), "book.xlsx", sheet="Sheet3")
    assert (chosen.sheet, chosen.read_as, chosen.header) == ("Sheet3", "its sheet 'Sheet3'", ["url"])
    assert [row.cells for row in chosen.rows] == [["https://h.test/a.jpg"]]
    for sheet, problem in (("Sheet2", "is empty"), ("Photos", "is not in it")):
        with pytest.raises(InputFileError) as caught:
            open_table(io.BytesIO(data), "book.xlsx", sheet=sheet)
        assert str(caught.value) == (f"book.xlsx: its sheet {sheet!r} {problem}. Its sheets with anything in them: "
                                     "'Sheet1', 'Sheet3'. Choose one of them.")
    assert open_table(io.BytesIO(b"url\nhttps://h.test/a.jpg\n"), sheet="Sheet1").sheet is None  # not a workbook


def test_a_damaged_sheet_is_named_when_it_is_the_one_to_read_and_otherwise_not_offered():
    import zipfile

    whole = zipfile.ZipFile(io.BytesIO(workbook({"A1": "url", "A2": "https://h.test/1.jpg"},
                                                {"A1": "url", "A2": "https://h.test/2.jpg"})))
    members = {name: whole.read(name) for name in whole.namelist()}

    def damaged(member: str) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as copy:
            for name, body in members.items():  # the sheet `member` cut short in its first row
                copy.writestr(name, body[:body.index(b"<sheetData>") + 20] if name == member else body)
        return out.getvalue()

    second = open_table(io.BytesIO(damaged("xl/worksheets/sheet2.xml")), "book.xlsx")
    assert (second.sheet, second.sheets, [row.cells for row in second.rows]) == (
        "Sheet1", ("Sheet1",), [["https://h.test/1.jpg"]])
    for data, sheet in ((damaged("xl/worksheets/sheet1.xml"), None), (damaged("xl/worksheets/sheet2.xml"), "Sheet2")):
        with pytest.raises(InputFileError, match=r"book.xlsx: its sheet 'Sheet\d' cannot be read"):
            open_table(io.BytesIO(data), "book.xlsx", sheet=sheet)


def test_a_workbook_cut_short_names_the_row_after_which_it_cannot_be_read():
    import zipfile

    rows = {f"A{n}": f"https://h.test/{n}.jpg" for n in range(2, 500)}
    whole = zipfile.ZipFile(io.BytesIO(workbook({"A1": "url", **rows})))
    cut = io.BytesIO()
    with zipfile.ZipFile(cut, "w") as out:
        for info in whole.infolist():
            body = whole.read(info)
            out.writestr(info, body[:len(body) // 2] if info.filename == "xl/worksheets/sheet1.xml" else body)
    opened = open_table(io.BytesIO(cut.getvalue()), "cut.xlsx")
    with pytest.raises(InputFileError, match=r"cut.xlsx: the rows after row \d+ of its sheet 'Sheet1' cannot be read"):
        list(opened.rows)

