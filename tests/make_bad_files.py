"""The bad-input corpus: malformed and hostile files, and how each one is made.

`python tests/make_bad_files.py` rewrites tests/data/bad/ from `CORPUS`; a test checks
that the committed files still match it. Files too big to commit (a 10 MB cell, a
1 MB line, a 200 MB CSV) are written at test time by the `write_*` functions, in
chunks, so neither this process nor the repository ever holds them whole.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import random
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

BAD = Path(__file__).parent / "data" / "bad"
BOM = "\ufeff"
MB = 1024 * 1024


def table(rows: Iterable[Sequence[str]], delimiter: str = ",", newline: str = "\n") -> str:
    """Rows as a spreadsheet would write them: quoted only where needed."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return out.getvalue()


def nested(levels: int, inner: str = "1") -> str:
    """A JSON object `levels` objects deep: {"a": {"a": ... 1}}."""
    return '{"a": ' * levels + inner + "}" * levels


def _zip_of(*members: tuple[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in members:
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), text)
    return out.getvalue()


def _zip_like_xlsx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in (("[Content_Types].xml", "<Types/>"), ("xl/workbook.xml", "<workbook/>")):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), text)
    return out.getvalue()


_PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"

CORPUS: dict[str, bytes] = {
    # --- files that cannot be read as a table: exit 2, nothing sent ---------------------------
    "empty.csv": b"",
    "blank_lines.csv": b"\n\n   \r\n\t\n",
    "header_only.csv": b"url,input_id,pos_concepts\r\n",
    "binary_garbage.csv": random.Random(1).randbytes(2048),
    "zip_renamed.csv": _zip_like_xlsx(),
    "png_renamed.csv": _PNG,
    "list.ods": _zip_of(("mimetype", "application/vnd.oasis.opendocument.spreadsheet"), ("content.xml", "<x/>")),
    "list.numbers": _zip_of(("Index/Document.iwa", ""), ("Metadata/Properties.plist", "")),
    "gzip_cut_short.csv.gz": gzip.compress(b"url,input_id\n" + b"https://img.test/1.jpg,one\n" * 500, mtime=0)[:-12],
    "html_page.csv": (
        b'<!DOCTYPE html>\n<html lang="en">\n<head><title>images.csv - Google Drive</title></head>\n'
        b"<body><table><tr><td>url</td></tr><tr><td>https://img.test/1.jpg</td></tr></table></body>\n</html>\n"
    ),
    "json_export.csv": (  # a list of records reads as a table; an API's reply wrapped around one does not
        b'{\n  "rows": [\n    {"url": "https://img.test/1.jpg", "input_id": "one"},\n'
        b'    {"url": "https://img.test/2.jpg", "input_id": "two"}\n  ]\n}\n'
    ),
    "utf16_no_bom.csv": "url,input_id\r\nhttps://img.test/1.jpg,one\r\n".encode("utf-16-le"),
    "zeros.csv": b"\0" * 100,  # every byte zero: not UTF-16, whose every other byte is text
    "latin1.csv": table([
        ["url", "input_id", "pos_concepts"],
        ["https://img.test/l1.jpg", "l1", "cat"],
        ["https://img.test/l2.jpg", "l2", "café"],
        ["https://img.test/l3.jpg", "l3", "crème brûlée"],
    ]).encode("latin-1"),
    "cp1252_excel.csv": table([
        ["url", "input_id", "metadata"],
        ["https://img.test/w1.jpg", "w1", '{"note": "\u201csmart quotes\u201d \u2013 Excel"}'],
    ], delimiter=";", newline="\r\n").encode("cp1252"),
    "unterminated_quote.csv": (
        b"url,input_id,metadata\n"
        b"https://img.test/q1.jpg,q1,\n"
        b'https://img.test/q2.jpg,q2,"{""a"": 1}\n'
        b"https://img.test/q3.jpg,q3,\n"
        b"https://img.test/q4.jpg,q4,\n"
    ),
    "stray_quote.csv": (
        b"url,input_id\n"
        b"https://img.test/s1.jpg,s1\n"
        b"https://img.test/s2.jpg,s2\n"
        b'"https://img.test/s3.jpg"x,s3\n'
    ),
    # Past the first batches (128 rows) and the first 64 KB: found before any row is sent.
    "late_unterminated_quote.csv": table(
        [["url", "input_id"]] + [[f"https://img.test/lq{i}.jpg", f"lq{i}"] for i in range(300)]
    ).encode() + b'https://img.test/lq-bad.jpg,"lq-bad\nhttps://img.test/lq-last.jpg,lq-last\n',
    "late_latin1.csv": table(
        [["url", "input_id", "pos_concepts"]]
        + [[f"https://img.test/ll{i}.jpg", f"ll{i}", "cat"] for i in range(3000)]
        + [["https://img.test/ll-bad.jpg", "ll-bad", "caf\u00e9"]]
    ).encode("latin-1"),
    "no_url_column.csv": b"picture,id\nhttps://img.test/1.jpg,one\n",
    "duplicate_header.csv": b"url,input_id,URL \nhttps://img.test/1.jpg,one,https://img.test/2.jpg\n",
    "no_header.csv": b"https://img.test/1.jpg,one,cat\nhttps://img.test/2.jpg,two,dog\n",
    # --- row problems: the valid rows upload, each bad row is named ----------------------------
    "ragged.csv": table([
        ["url", "input_id", "pos_concepts"],
        ["https://img.test/r1.jpg", "r1", "cat"],
        ["https://img.test/r2.jpg", "r2"],
        ["https://img.test/r3.jpg", "r3", "dog"],
        ["https://img.test/r4.jpg", "r4", "cat", "dog"],
        ["https://img.test/r5.jpg", "r5", "cat|dog"],
    ]).encode(),
    "gzipped.csv.gz": gzip.compress(table([
        ["url", "input_id"],
        ["https://img.test/z1.jpg", "z-one"],
        ["ftp://img.test/z2.jpg", "z-ftp"],
    ]).encode(), mtime=0),
    "url_schemes.csv": table([
        ["url", "input_id"],
        ["file:///etc/passwd", "s-file"],
        ["javascript:alert(document.cookie)", "s-js"],
        ["data:image/png;base64,iVBORw0KGgo=", "s-data"],
        ["ftp://img.test/a.jpg", "s-ftp"],
        ["HTTPS://IMG.TEST/UPPER.JPG", "s-upper"],
        ["//img.test/no-scheme.jpg", "s-relative"],
        ["https:///no-host.jpg", "s-nohost"],
        ['=HYPERLINK("http://evil.test")', "s-formula"],
        ["", "s-empty"],
        ["http://img.test/plain.jpg", "s-http"],
    ]).encode(),
    "url_spaces.csv": table([
        ["url", "input_id"],
        ["https://img.test/my cat.jpg", "sp-inside"],
        ["https://img .test/host.jpg", "sp-host"],
        ["   https://img.test/padded.jpg   ", "sp-padded"],
        ["https://img.test/two\nlines.jpg", "sp-newline"],
        ["https://img.test/nbsp\u00a0x.jpg", "sp-nbsp"],
        ["https://img.test/after.jpg", "sp-after"],
    ]).encode(),
    "bad_ids.csv": table([
        ["url", "input_id"],
        ["https://img.test/i1.jpg", "a" * 49],
        ["https://img.test/i2.jpg", "cat-\U0001f600"],
        ["https://img.test/i3.jpg", "\u05d7\u05ea\u05d5\u05dc"],
        ["https://img.test/i4.jpg", "\u202egpj.exe"],
        ["https://img.test/i5.jpg", "a\x1b[31mred"],
        ["https://img.test/i6.jpg", "has space"],
        ["https://img.test/i7.jpg", "ok-id_7"],
        ["https://img.test/i8.jpg", '=HYPERLINK("http://evil.test")'],
        ["https://img.test/i9.jpg", "b" * 48],
    ]).encode(),
    "nul_bytes.csv": (
        b"url,input_id\n"
        b"https://img.test/n1.jpg,n\x00ul\n"
        b"https://img.test/n2\x00.jpg,n2\n"
        b"https://img.test/n3.jpg,n3\n"
    ),
    "metadata_deep.csv": table([
        ["url", "input_id", "metadata"],
        ["https://img.test/d1.jpg", "d1", nested(100)],
        ["https://img.test/d2.jpg", "d2", '{"list": ' + "[" * 99 + "]" * 99 + "}"],
        ["https://img.test/d3.jpg", "d3", nested(32)],
        ["https://img.test/d4.jpg", "d4", "[" * 100 + "]" * 100],
        ["https://img.test/d5.jpg", "d5", nested(900)],
        ["https://img.test/d6.jpg", "d6", nested(5000)],
    ]).encode(),
    "metadata_kinds.csv": table([
        ["url", "input_id", "metadata"],
        ["https://img.test/m1.jpg", "m1", "[1, 2]"],
        ["https://img.test/m2.jpg", "m2", "42"],
        ["https://img.test/m3.jpg", "m3", '"just text"'],
        ["https://img.test/m4.jpg", "m4", "null"],
        ["https://img.test/m5.jpg", "m5", "true"],
        ["https://img.test/m6.jpg", "m6", "{'single': 'quotes'}"],
        ["https://img.test/m7.jpg", "m7", '{"a": 1,}'],
        ["https://img.test/m8.jpg", "m8", '{"cell": "=HYPERLINK(\\"http://evil.test\\",\\"click\\")"}'],
        ["https://img.test/m9.jpg", "m9", ""],
        ["https://img.test/m10.jpg", "m10", '{"n": 1.5, "tags": ["a"], "nested": {"ok": true}}'],
        ["https://img.test/m11.jpg", "m11", '{"a": }'],
    ]).encode(),
    "duplicates.csv": table([
        ["url", "input_id", "pos_concepts"],
        ["https://img.test/u1.jpg", "same", "cat"],
        ["https://img.test/u2.jpg", "same", "dog"],
        ["https://img.test/u3.jpg", "", "cat"],
        ["https://img.test/u3.jpg", "", "cat"],
        ["https://img.test/u3.jpg", "", "dog"],
        ["https://img.test/u4.jpg", "SAME", "cat"],
    ]).encode(),
    "concept_both.csv": table([
        ["url", "input_id", "pos_concepts", "neg_concepts"],
        ["https://img.test/c1.jpg", "c1", "cat|dog", "dog"],
        ["https://img.test/c2.jpg", "c2", "cat", "dog"],
        ["https://img.test/c3.jpg", "c3", " cat | cat ||", ""],
        ["https://img.test/c4.jpg", "c4", "", "dog|Dog"],
    ]).encode(),
    "cr_only.csv": (
        b"url,input_id\rhttps://img.test/cr1.jpg,cr1\rftp://img.test/cr2.jpg,cr2\rhttps://img.test/cr3.jpg,cr3\r"
    ),
    "mixed_newlines.csv": (
        b"url,input_id,metadata\r\n"
        b"https://img.test/x1.jpg,x1,\n"
        b'https://img.test/x2.jpg,x2,"{\r\n  ""note"": ""pretty-printed""\n}"\r\n'
        b"\n"
        b"https://img.test/x3.jpg,x3,\r\n"
        b"ftp://img.test/x4.jpg,x4,\n"
        b"https://img.test/x5.jpg,x5,\r"
        b"ftp://img.test/x6.jpg,x6,\n"
        b'https://img.test/x7.jpg,x7,"{""note"": ""two\r\nlines""}"\n'
        b"https://img.test/x8.jpg,x8,\n"
    ),
    "bom_middle.csv": (
        BOM + "url,input_id\r\n"
        "https://img.test/b1.jpg,b1\r\n"
        + BOM + "https://img.test/b2.jpg,b2\r\n"
        "https://img.test/b3.jpg," + BOM + "b3\r\n"
        "https://img.test/b4.jpg,b4\r\n"
    ).encode(),
    "delimiters_only.csv": (
        b"url,input_id,pos_concepts\n"
        b"https://img.test/e1.jpg,e1,cat\n"
        b",,\n"
        b" , ,  \n"
        b"https://img.test/e2.jpg,e2,dog\n"
        b",,,,\n"
        b"not-a-url,e3,\n"
    ),
    # --- valid but unusual: every row uploads -------------------------------------------------
    "header_spaces_case.csv": table([
        ["  URL ", " Input_ID ", "POS_Concepts ", " Neg_Concepts", "METADATA"],
        ["https://img.test/h1.jpg", "h1", "cat", "dog", '{"k": "v"}'],
        ["https://img.test/h2.jpg", "h2", "", "", ""],
    ]).encode(),
    "utf16_bom.tsv": codecs.BOM_UTF16_LE + table([
        ["url", "input_id", "pos_concepts", "metadata"],
        ["https://img.test/t1.jpg", "t1", "caf\u00e9|\u732b", '{"caption": "\u00fcber \u6771\u4eac"}'],
        ["https://img.test/t2.jpg", "t2", "dog", ""],
    ], delimiter="\t", newline="\r\n").encode("utf-16-le"),
    "semicolon_excel.csv": (BOM + table([
        ["url", "input_id", "pos_concepts", "metadata"],
        ["https://img.test/x1.jpg", "sc1", "cat", '{"price": "3,50", "note": "a;b"}'],
        ["https://img.test/x2.jpg", "sc2", "dog|bird", ""],
    ], delimiter=";", newline="\r\n")).encode(),
    "sep_line_excel.csv": b"sep=;\r\nurl;input_id\r\nhttps://img.test/sl1.jpg;sl1\r\nnot-a-url;sl2\r\n",
    "empty_header_name.csv": b"url,,input_id\nhttps://img.test/eh1.jpg,whatever,eh1\n",
}


def write_corpus(folder: Path = BAD) -> None:
    """Write every small corpus file into `folder`, and tell git to keep their bytes as they are."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".gitattributes").write_text("* -text\n")  # no line-ending conversion, ever
    for name, data in CORPUS.items():
        (folder / name).write_bytes(data)


def write_field_10mb(path: Path) -> tuple[int, int]:
    """Row 2: 10 MB of metadata; row 3: a 10 MB url; row 4 is fine. Returns both cell lengths."""
    blob = "x" * (10 * MB)
    metadata = '{"blob": "' + blob + '"}'
    url = "https://img.test/" + blob + ".jpg"
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(table([["url", "input_id", "metadata"]]))
        out.write(table([["https://img.test/f1.jpg", "f1", metadata]]))
        out.write(table([[url, "f2", ""]]))
        out.write(table([["https://img.test/f3.jpg", "f3", ""]]))
    return len(metadata), len(url)


def write_line_1mb(path: Path) -> int:
    """Row 2: a 1 MB line of cells; row 3: a 1 MB input id; row 4 is fine. Returns row 2's cell count."""
    extra = 1 * MB // 2
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("url,input_id\n")
        out.write("https://img.test/g1.jpg,g1" + ",x" * extra + "\n")
        out.write("https://img.test/g2.jpg," + "i" * MB + "\n")
        out.write("https://img.test/g3.jpg,g3\n")
    return 2 + extra


def write_big_csv(path: Path, target_bytes: int = 200 * MB) -> dict[str, int]:
    """A CSV of `target_bytes`, written in chunks: 100,000 ordinary rows, then rows with 20 KB of
    metadata up to the size, then two bad rows whose line numbers show counting held to the end.

    Returns the row count, the valid count and the bad rows' lines.
    """
    blob = "x" * (20 * 1024)
    line = 1
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("url,input_id,pos_concepts,metadata\n")
        for start in range(0, 100_000, 10_000):
            out.write("".join(
                f"https://img.test/big/{i}.jpg,small-{i},cat|dog,\"{{\"\"n\"\": {i}}}\"\n"
                for i in range(start, start + 10_000)
            ))
        line += 100_000
        bad_metadata_line = line + 1
        out.write('https://img.test/big/bad.jpg,bad-metadata,cat,"{""n"": }"\n')
        line += 1
        i = 0
        while out.tell() < target_bytes:
            out.write("".join(
                f'https://img.test/big/m{i + k}.jpg,big-{i + k},cat,"{{""n"": {i + k}, ""blob"": ""{blob}""}}"\n'
                for k in range(100)
            ))
            i += 100
            line += 100
        bad_url_line = line + 1
        out.write("ftp://img.test/big/last.jpg,bad-url,,\n")
        line += 1
    return {"rows": line - 1, "valid": line - 3, "bad_metadata_line": bad_metadata_line, "bad_url_line": bad_url_line}


if __name__ == "__main__":
    write_corpus()
    print(f"wrote {len(CORPUS)} files to {BAD}")
