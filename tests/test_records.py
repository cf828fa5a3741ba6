"""JSON records as a list: Label Studio's exports (full and JSON-MIN), JSON Lines, and JSON that is no list."""

import gzip
import io
import json
import tracemalloc

import pytest

from ingest.errors import InputFileError
from ingest.read import open_table
from ingest import read, records
from ingest.records import json_table
from tests.conftest import stored_boxes, stored_regions
from tests.test_cli import run, sandbox_env

RESULT = {"original_width": 200, "original_height": 100}  # as Label Studio writes each result on an image
FULL_EXPORT = [
    {"id": 1, "data": {"image": "https://h.test/a.jpg", "source": "crawl"}, "predictions": [], "annotations": [
        {"id": 10, "was_cancelled": True, "result": [{"type": "choices", "value": {"choices": ["Wrong"]}}]},
        {"id": 11, "was_cancelled": False, "result": [
            {"type": "choices", "from_name": "choice", "to_name": "image", "value": {"choices": ["Outdoor"]}},
            {"type": "rectanglelabels", **RESULT,
             "value": {"x": 10, "y": 20, "width": 30, "height": 40, "rotation": 0, "rectanglelabels": ["Cat"]}},
            {"type": "rectanglelabels", **RESULT,  # turned a quarter clockwise about its top left corner
             "value": {"x": 50, "y": 50, "width": 10, "height": 10, "rotation": 90, "rectanglelabels": ["Dog"]}},
        ]}]},
    {"id": 2, "data": {"image": "https://h.test/b.jpg"}, "annotations": [
        {"id": 12, "result": [{"type": "choices", "value": {"choices": ["Indoor", "Night"]}}]}]},
    {"id": 3, "data": {"image": "/data/upload/1/c.jpg"}, "annotations": []},
]


def rows(data: bytes, name: str = "export.json", read_as: str = "") -> tuple[list[str], list[tuple[int, list[str]]]]:
    table = open_table(io.BytesIO(data), name)
    assert table.read_as == read_as or not read_as
    return table.header, [(row.line, row.cells) for row in table.rows]


def test_a_label_studio_export_uploads_its_images_choices_and_rectangles(sandbox, tmp_path):
    path = tmp_path / "project-1-at-2026-11-27.json"
    path.write_text(json.dumps(FULL_EXPORT))
    result = run("upload", str(path), env=sandbox_env(sandbox))
    assert result.returncode == 1, result.stdout + result.stderr  # the task whose image Label Studio holds
    assert "2 uploaded, 0 already there, 1 invalid" in result.stdout and "Boxes: 2 uploaded" in result.stdout
    assert f"{path}:5: column 'image': this is an image Label Studio keeps itself, not a web address" in result.stdout
    assert "export the project as COCO or YOLO with its images and upload that zip" in result.stdout
    assert "Ignoring columns this tool does not use: source." in result.stderr
    stored = {i.data.image.url: (i.id, [c.id for c in i.data.concepts]) for i in sandbox.stored_inputs()}
    assert {url: concepts for url, (_, concepts) in stored.items()} == {
        "https://h.test/a.jpg": ["Outdoor"], "https://h.test/b.jpg": ["Indoor", "Night"]}
    first = stored["https://h.test/a.jpg"][0]
    assert stored_boxes(sandbox) == [(first, "Cat", (0.1, 0.2, 0.4, 0.6)), (first, "Dog", (0.45, 0.5, 0.5, 0.7))]


def test_a_label_studio_exports_polygons_are_added_as_polygons_when_asked(sandbox, tmp_path):
    polygon = {"type": "polygonlabels", **RESULT, "value": {  # points in percent of the image
        "points": [[10, 20], [50, 20], [30.5, 60], [100.4, 60]], "closed": True, "polygonlabels": ["Cat"]}}
    bad = {"type": "polygonlabels", **RESULT, "value": {"points": [[10, 20], [50, 20]], "polygonlabels": ["Dog"]}}
    export = [{"id": 1, "data": {"image": "https://h.test/p.jpg"}, "annotations": [{"result": [polygon, bad]}]}]
    path = tmp_path / "project-2.json"
    path.write_text(json.dumps(export))
    result = run("upload", str(path), "--polygons", env=sandbox_env(sandbox))
    assert result.returncode == 1, result.stdout + result.stderr  # its two-point polygon needs fixing
    assert "Boxes: 1 uploaded, 0 already there, 1 invalid" in result.stdout
    assert (f"{path}:3: column 'polygon': '0.1 0.2 0.5 0.2' is not three or more points from 0 to 1 - give the "
            "outline's points as fractions of the image") in result.stdout
    [stored] = [i for i in sandbox.stored_inputs() if i.data.image.url == "https://h.test/p.jpg"]
    assert [region for region in stored_regions(sandbox) if region[0] == stored.id] == [
        (stored.id, "Cat", "polygon", (0.1, 0.2, 0.5, 0.2, 0.305, 0.6, 1.0, 0.6))]  # 100.4%: rounding, kept to the edge


def test_label_studio_json_min_reads_its_polygons_with_the_box_around_each():
    exported = [{"image": "https://h.test/a.jpg", "label": [
        {"points": [[10, 20], [50, 20], [30, 60]], "closed": True, "polygonlabels": ["Cat"], **RESULT},
        {"points": [[10, 20], [50, 20], [30, 60]], "labels": ["Dog"], **RESULT}]}]  # Labels on a Polygon control
    header, found = rows(json.dumps(exported).encode(), read_as="Label Studio's export")
    assert header == ["image", "class", "left_col", "top_row", "right_col", "bottom_row", "polygon"]
    assert found == [(2, ["https://h.test/a.jpg", "Cat", "0.1", "0.2", "0.5", "0.6", "0.1 0.2 0.5 0.2 0.3 0.6"]),
                     (3, ["https://h.test/a.jpg", "Dog", "0.1", "0.2", "0.5", "0.6", "0.1 0.2 0.5 0.2 0.3 0.6"])]


@pytest.mark.parametrize("lines", [False, True], ids=["array", "json-lines"])
def test_records_in_utf_16_upload_as_a_csv_in_utf_16_does(sandbox, tmp_path, lines):
    folder = "lines" if lines else "array"  # the sandbox is shared: each case its own images
    records = [{"url": f"https://h.test/{folder}/é.jpg", "label": "café"},
               {"url": f"https://h.test/{folder}/b.jpg", "label": "tea"}]
    text = "\n".join(map(json.dumps, records)) if lines else json.dumps(records)
    path = tmp_path / "export.json"
    path.write_text(text, encoding="utf-16")  # with its byte-order mark, as Windows tools write it
    result = run("upload", str(path), env=sandbox_env(sandbox))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 uploaded, 0 already there, 0 invalid, 0 failed" in result.stdout
    stored = {i.data.image.url: [c.id for c in i.data.concepts] for i in sandbox.stored_inputs()
              if f"/{folder}/" in i.data.image.url}
    assert stored == {f"https://h.test/{folder}/é.jpg": ["café"], f"https://h.test/{folder}/b.jpg": ["tea"]}


def test_label_studio_json_min_reads_its_choices_whether_one_or_several_and_its_boxes():
    exported = [
        {"image": "https://h.test/a.jpg", "id": 1, "choice": {"choices": ["Outdoor", "Day"]}, "annotator": 1,
         "label": [{"x": 10, "y": 20, "width": 30, "height": 40, "rotation": 0, "rectanglelabels": ["Cat"],
                    **RESULT},
                   {"x": 80, "y": 0, "width": 20.4, "height": 10, "rotation": 0, "rectanglelabels": ["Sun"],
                    **RESULT}]},
        {"image": "https://h.test/b.jpg", "id": 2, "choice": "Indoor", "annotator": 1},
    ]
    header, found = rows(json.dumps(exported).encode(), read_as="Label Studio's export")
    assert header == ["image", "id", "annotator", "pos_concepts", "class", *("left_col", "top_row", "right_col",
                                                                               "bottom_row")]
    assert found == [(2, ["https://h.test/a.jpg", "1", "1", "Outdoor|Day", "Cat", "0.1", "0.2", "0.4", "0.6"]),
                     (3, ["https://h.test/a.jpg", "1", "1", "Outdoor|Day", "Sun", "0.8", "0.0", "1.0", "0.1"]),
                     (4, ["https://h.test/b.jpg", "2", "1", "Indoor", "", "", "", "", ""])]  # kept to the image


@pytest.mark.parametrize("lines", [False, True], ids=["array", "json-lines"])
def test_a_choices_control_of_any_name_reads_a_single_choice_above_or_below_a_multiple_one(lines):
    exported = [{"image": "https://h.test/a.jpg", "sentiment": "Happy"},  # one choice, before the control is known
                {"image": "https://h.test/b.jpg", "sentiment": {"choices": ["Sad", "Tired"]}},
                {"image": "https://h.test/c.jpg", "sentiment": "Calm"}]
    text = "".join(json.dumps(task) + "\n" for task in exported) if lines else json.dumps(exported)
    header, found = rows(text.encode(), read_as="Label Studio's export")
    assert header == ["image", "pos_concepts"]
    assert found == [(2, ["https://h.test/a.jpg", "Happy"]), (3, ["https://h.test/b.jpg", "Sad|Tired"]),
                     (4, ["https://h.test/c.jpg", "Calm"])]


def test_label_studio_results_of_odd_shapes_are_left_out_or_named_by_the_box_check_never_a_crash():
    task = {"data": {"image": "https://h.test/a.jpg"}, "annotations": [{"result": [
        {"type": "choices", "value": "Outdoor"},  # not {"choices": [...]}: no concept to read
        {"type": "rectanglelabels", "original_width": "wide", "original_height": 100,
         "value": {"x": 10, "y": 20, "width": 30, "height": 40, "rotation": 90, "rectanglelabels": ["Cat"]}},
        {"type": "rectanglelabels", **RESULT,
         "value": {"x": 10 ** 400, "y": 0, "width": 1, "height": 1, "rectanglelabels": ["Huge"]}},
        {"type": "rectanglelabels", **RESULT,
         "value": {"x": 1, "y": 1, "width": 1, "height": 1, "rotation": float("inf"), "rectanglelabels": ["Inf"]}},
    ]}]}
    header, found = rows(json.dumps([task]).encode())
    assert header == ["image", "class", "left_col", "top_row", "right_col", "bottom_row"]
    cat, huge, inf = found
    assert cat[1][:2] == ["https://h.test/a.jpg", "Cat"] and all(0 <= float(edge) <= 1 for edge in cat[1][2:])
    assert huge[1][:3] == ["https://h.test/a.jpg", "Huge", str(10 ** 400)]  # for the box check to name
    assert inf[1][1:] == ["Inf", "1", "1", "1", "1"]


def test_label_studio_tasks_to_import_read_as_their_data():
    tasks = [{"data": {"image": "https://h.test/a.jpg", "caption": "a cat"}}, {"data": {"image": "https://h.test/b.jpg"}}]
    assert rows(json.dumps(tasks).encode()) == (
        ["image", "caption"], [(2, ["https://h.test/a.jpg", "a cat"]), (3, ["https://h.test/b.jpg", ""])])


def test_json_lines_of_records_read_as_a_table_and_gzip_unpacks_first():
    lines = (b'{"url": "https://h.test/a.jpg", "label": "cat", "boxes": [{"x": 1, "y": 2, "width": 3, "height": 4}]}\n'
             b'\n{"url": "https://h.test/b.jpg"}\n')  # boxes in pixels, not Label Studio's: a cell as any other
    assert rows(gzip.compress(lines), "list.jsonl.gz", read_as="JSON Lines") == (
        ["url", "label", "boxes"], [(2, ["https://h.test/a.jpg", "cat", '[{"x": 1, "y": 2, "width": 3, "height": 4}]']),
                                    (3, ["https://h.test/b.jpg", "", ""])])


def test_a_json_array_streams_a_record_at_a_time_even_cut_into_small_pieces(monkeypatch):
    monkeypatch.setattr(records, "_DECODED_KEPT", 100)  # what is decoded is dropped all along, lines counted
    tasks = [{"url": f"https://h.test/{n}.jpg", "choice": {"choices": ["cat", "pet"]} if n % 2 else "dog",
                "caption": "a " * n} for n in range(300)]
    text = json.dumps(tasks, indent=1)
    pieces = [text[at : at + 7] for at in range(0, len(text), 7)]  # every record cut, many times
    table = json_table(lambda: iter(pieces), True, "cut.json", "utf-8")
    assert table.header == ["url", "caption", "pos_concepts"]
    assert [row.cells for row in table.rows] == [[r["url"], r["caption"], "dog" if n % 2 == 0 else "cat|pet"]
                                                 for n, r in enumerate(tasks)]
    broken = text.replace('"https://h.test/250.jpg"', '"https://h.test/250.jpg" "x"')
    with pytest.raises(InputFileError) as caught:
        list(json_table(lambda: iter([broken[at : at + 7] for at in range(0, len(broken), 7)]), True, "cut.json",
                            "utf-8").rows)
    line = broken[: broken.index('250.jpg" "x"')].count("\n") + 1
    assert caught.value.message == f"cut.json is not readable JSON (Expecting ',' delimiter: line {line})."


def test_only_json_lines_refuse_a_line_longer_than_a_piece(monkeypatch):
    for module in (read, records):
        monkeypatch.setattr(module, "MAX_LINE_CHARS", 1000)  # lines are read in pieces of this
    tasks = [{"url": f"https://h.test/{n}.jpg", "label": "cat"} for n in range(500)]
    assert len(rows(json.dumps(tasks).encode())[1]) == 500  # one line of 26,000 characters: a JSON array
    with pytest.raises(InputFileError) as caught:
        rows(b'{"url": "https://h.test/a.jpg"}\n{"url": "https://h.test/b.jpg", "x": "' + b"y" * 2000 + b'"}\n')
    assert caught.value.message.startswith("export.json, line 2: the line is longer than")


def test_a_json_array_is_read_in_little_more_memory_than_its_text():
    records = [{"url": f"https://h.test/{n}.jpg", "label": "cat", "n": n, "tags": ["a", "b"]} for n in range(40_000)]
    data = json.dumps(records).encode()  # 3 MB on one line, as Label Studio's JSON-MIN export writes it
    tracemalloc.start()
    try:
        assert sum(1 for _ in open_table(io.BytesIO(data), "min.json").rows) == 40_000
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * len(data)  # json.loads of the whole held every record at once: 17 times its text


def test_a_record_nested_100_levels_deep_is_read():
    value = "[" * 99 + "]" * 99
    header, table = rows(f'[{{"url": "https://h.test/a.jpg", "m": {value}}}]'.encode())
    assert header == ["url", "m"] and table == [(2, ["https://h.test/a.jpg", value])]


@pytest.mark.parametrize(("data", "fragments"), [
    (b'{"images": [], "annotations": [], "categories": []}',
     ["holds one JSON object, not a list of records", "give them as a boxes file"]),
    (b'[{"url": "https://h.test/a.jpg"}, "stray"]', ["record 2 is not a JSON object"]),
    (b'[{"url": "https://h.test/a.jpg"}', ["is not readable JSON", "Label Studio's JSON or JSON-MIN export"]),
    (b'[{"url": "https://h.test/a.jpg", "n": ' + b"9" * 5000 + b"}]",
     ["export.json is not readable JSON (a number of more than 4,300 digits)."]),
    (b'{"url": "https://h.test/a.jpg", "n": ' + b"9" * 5000 + b"}\n",
     ["export.json, line 1: not readable JSON (a number of more than 4,300 digits)."]),
    (b"[]", ["holds no records"]),
    (b"{}", ["export.json holds no list of records: it starts '{}'."]),
    (b"42\n", ["export.json holds no list of records: it starts '42'."]),
    (b'{\n  "images": [],\n  "annotations": []\n}\n', ["holds one JSON object, not a list of records"]),
    (b'{"url": "https://h.test/a.jpg"}\n\n{"url": \n', ["export.json, line 3: not readable JSON"]),
    (b'{"url": "https://h.test/a.jpg"}\n[1, 2]\n', ["export.json, line 2: not a JSON object"]),
    (b'{"url": "https://h.test/a.jpg"}\n{"url": "https://h.test/b.jpg", "label": "\\ud800"}\n',
     ["export.json: the record of line 3 holds half of a character pair ('\\ud800'), which cannot be stored",
      "both halves of its escape"]),
    (b'{"url": "https://h.test/a.jpg"}\n{"url": ' + b"[" * 100_000 + b"}\n",
     ["export.json, line 2: not readable JSON (nested too deeply to read)"]),
    # deep enough for json to read or not by how deep the call stack is: the page and the command line differed
    (b'{"url": "https://h.test/a.jpg"}\n{"url": "https://h.test/b.jpg", "m": ' + b"[" * 101 + b"]" * 101 + b"}\n",
     ["export.json, line 2: not readable JSON (nested more than 100 levels deep)."]),
    (b'[{"url": "https://h.test/a.jpg"},\n {"url": "https://h.test/b.jpg", "m": ' + b"[" * 101 + b"]" * 101 + b"}]",
     ["export.json is not readable JSON (nested more than 100 levels deep: line 2)."]),
])
def test_json_that_is_no_list_of_records_stops_with_what_to_export(data, fragments):
    with pytest.raises(InputFileError) as caught:
        rows(data)
    for fragment in fragments:
        assert fragment in str(caught.value)
