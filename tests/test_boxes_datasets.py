"""Bounding boxes from a companion file, and datasets named per row or for the whole file."""

import csv
import io

import pytest

from ingest.check import check_boxes
from ingest.errors import InputFileError
from ingest.job import UploadJob, UploadOptions
from ingest.sandbox import SandboxConfig, start
from ingest.upload import Client, RetryPolicy, Target
from ingest.boxes import BoxesFile, BoxRecord, map_box_columns
from ingest.build import build_annotations
from ingest.validate import BOXES_FILE_COLUMNS
from tests.conftest import stored_boxes

MAIN = b"url,input_id\nhttps://h.test/a.jpg,a\nhttps://h.test/b.jpg,\n"
BOXES = (b"input_id,url,concept,left_col,top_row,right_col,bottom_row\n"
         b"a,,dog,0.1,0.2,0.5,0.6\n"
         b",https://h.test/b.jpg,cat,0,0,1,1\n"
         b",https://h.test/nowhere.jpg,cat,0,0,1,1\n"
         b"a,,dog,0.6,0.1,0.5,0.5\n")


def target_for(server) -> Target:
    return Target(base=server.address, insecure=True, pat=server.config.pat,
                  user_id=server.config.user_id, app_id=server.config.app_id)


def run(server, data: bytes, boxes: bytes | None = None, **options):
    return UploadJob(lambda: io.BytesIO(data), "main.csv", target_for(server),
                     UploadOptions(retry=RetryPolicy(base_seconds=0.01), **options),
                     boxes=[BoxesFile("boxes.csv", boxes)] if boxes else ()).run()


@pytest.fixture(autouse=True)
def empty(sandbox):
    sandbox.reset()


def test_boxes_land_on_their_inputs_once_and_bad_ones_are_named(sandbox):
    status = run(sandbox, MAIN, BOXES)
    assert dict(status.boxes) == {"uploaded": 2, "already_there": 0, "invalid": 1, "failed": 1}
    assert sorted(p.line for _, p in status.box_problems) == [4, 5]
    b_id = next(i.id for i in sandbox.stored_inputs() if i.data.image.url.endswith("b.jpg"))
    assert stored_boxes(sandbox) == sorted([("a", "dog", (0.1, 0.2, 0.5, 0.6)), (b_id, "cat", (0.0, 0.0, 1.0, 1.0))])
    again = run(sandbox, MAIN, BOXES)
    assert again.boxes["already_there"] == 2 and len(stored_boxes(sandbox)) == 2


def test_boxes_are_posted_several_requests_at_once_and_their_problems_come_in_the_files_order(make_sandbox):
    slow = make_sandbox(latency_ms=300, download_delay=0.0)  # so that requests in flight overlap
    boxes = b"input_id,concept,left_col,top_row,right_col,bottom_row\n" + b"".join(
        b"%s,c%d,0.1,0.1,0.5,0.5\n" % (b"ghost" if n % 100 == 7 else b"a", n) for n in range(3 * 128))
    status = run(slow, b"url,input_id\nhttps://h.test/a.jpg,a\n", boxes)
    assert dict(status.boxes) == {"uploaded": 380, "already_there": 0, "invalid": 0, "failed": 4}
    assert [p.line for _, p in status.box_problems] == [9, 109, 209, 309]  # each request's, as the file has them
    assert len(stored_boxes(slow)) == 380
    one_request = build_annotations([("a", BoxRecord(n, "a", "", f"c{n}", 0.1, 0.1, 0.5, 0.5)) for n in range(128)],
                                    (slow.config.user_id, slow.config.app_id)).ByteSize()
    assert slow.stats().peak_request_bytes > 1.5 * one_request  # the server was handling more than one at once


def test_every_boxs_outcome_goes_to_a_boxes_report_beside_the_report(sandbox, tmp_path):
    report = tmp_path / "out.csv"
    status = UploadJob(lambda: io.BytesIO(MAIN), "main.csv", target_for(sandbox), UploadOptions(),
                       report_path=str(report), boxes=[BoxesFile("boxes.csv", BOXES)]).run()
    assert dict(status.boxes) == {"uploaded": 2, "already_there": 0, "invalid": 1, "failed": 1}
    rows = list(csv.DictReader((tmp_path / "out-boxes.csv").open(encoding="utf-8")))
    assert sorted((row["line"], row["boxes_file"], row["status"]) for row in rows) == [
        ("2", "boxes.csv", "uploaded"), ("3", "boxes.csv", "uploaded"), ("4", "boxes.csv", "failed"),
        ("5", "boxes.csv", "invalid")]
    assert next(row for row in rows if row["line"] == "5")["reason"].startswith("column 'right_col': the box is inverted")
    assert len(report.read_text(encoding="utf-8").splitlines()) == 3  # the inputs' report holds the inputs only


def test_boxes_in_pixels_with_a_class_column_land_as_fractions_of_the_image(sandbox):
    pixels = (b"url,class,xmin,ymin,xmax,ymax,width,height\n"
              b"https://h.test/b.jpg, ,1,1,2,2,640,480\n"  # no concept: named by its own header, 'class'
              b"https://h.test/b.jpg,cat,64,48,320,240,640,480\n"  # a quarter of the image from (0.1, 0.1)
              b"https://h.test/b.jpg,dog,0,0,700,10,640,480\n"  # wider than the image
              b"https://h.test/b.jpg,dog,10,10,20,20,,480\n"  # no width
              b"https://h.test/b.jpg,dog,30,10,20,20,640,480\n"  # inverted
              b"https://h.test/b.jpg,dog,10,10,20,1" + b"0" * 400 + b",640,480\n")  # cut where it is named
    status = run(sandbox, MAIN, pixels)
    assert dict(status.boxes) == {"uploaded": 1, "already_there": 0, "invalid": 5, "failed": 0}
    assert [(p.line, p.reason) for _, p in status.box_problems] == [
        (2, "column 'class': the box has no concept - name what the box shows, such as 'dog'"),
        (4, "column 'xmax': '700' is not a number of pixels from 0 to 640 - give each edge in pixels from the "
            "image's left or top, within its width and height"),
        (5, "column 'width': the image width '' is not a number of pixels - give the image's width in pixels, "
            "such as 640"),
        (6, "column 'xmax': the box is inverted or empty (xmin must be less than xmax) - swap the two edges, or "
            "check which column holds which edge"),
        (7, f"column 'ymax': '1{'0' * 39}...' is not a number of pixels from 0 to 480 - give each edge in pixels from "
            "the image's left or top, within its width and height"),
    ]
    b_id = next(i.id for i in sandbox.stored_inputs() if i.data.image.url.endswith("b.jpg"))
    assert stored_boxes(sandbox) == [(b_id, "cat", (0.1, 0.1, 0.5, 0.5))]


@pytest.mark.parametrize(("header", "missing"), [
    ("url,class,xmin,ymin,xmax,ymax", "width, height"),
    ("url,label,left_col,top_row,right_col", "bottom_row"),
    ("url,xmin,ymin,xmax,ymax,width,height", "concept"),
])
def test_a_boxes_file_missing_columns_names_them_and_both_ways_to_give_edges(header, missing):
    with pytest.raises(InputFileError) as caught:
        map_box_columns(header.split(","), "boxes.csv")
    assert caught.value.message.startswith(f"boxes.csv lacks the column(s) {missing} (its header is: ")
    assert caught.value.hint == BOXES_FILE_COLUMNS


def test_rows_for_a_missing_dataset_fail_unless_creation_is_agreed():
    with start(SandboxConfig(missing_datasets="refuse")) as server:
        data = b"url,dataset_id\nhttps://h.test/a.jpg,pets\nhttps://h.test/b.jpg,\n"
        refused = run(server, data)
        assert dict(refused.counts) == {"uploaded": 1, "already_there": 0, "invalid": 0, "failed": 1}
        assert "the dataset 'pets' does not exist" in refused.problems[0].reason
        created = run(server, data, create_datasets=True, dataset_id="default-set")
        assert created.succeeded and "Created the dataset(s) pets." in created.warnings
        by_url = {i.data.image.url: list(i.dataset_ids) for i in server.stored_inputs()}
        assert by_url == {"https://h.test/a.jpg": ["pets"], "https://h.test/b.jpg": []}
        assert Client(target_for(server)).dataset_ids() == {"pets"}


def test_a_key_that_may_not_add_annotations_stops_the_boxes_with_words_that_say_so():
    with start(SandboxConfig(inputs_only_pat="inputs-only", download_delay=0.0), port=0) as server:
        target = Target(base=server.address, insecure=True, pat="inputs-only", user_id=server.config.user_id,
                        app_id=server.config.app_id)
        status = UploadJob(lambda: io.BytesIO(MAIN), "main.csv", target, UploadOptions(check_downloads=False),
                           boxes=[BoxesFile("boxes.csv", BOXES)]).run()
        assert status.counts["uploaded"] == 2  # the inputs went up; then the boxes were refused
        assert status.fatal.message == ("The key works but is not allowed to add bounding boxes (annotations) "
                                        "to this app.")


@pytest.mark.parametrize(("data", "problem"), [
    (b"", "boxes.csv is empty."),
    (b"input_id,concept,left_col,top_row,right_col,bottom_row\n", "boxes.csv has a header line but no rows under it."),
    (b"\x89PNG\r\n\x1a\n" + bytes(64), "boxes.csv is a PNG image, not a CSV or TSV file."),
])
def test_a_boxes_file_that_cannot_be_read_says_what_a_boxes_file_holds(data, problem):
    with pytest.raises(InputFileError) as caught:
        check_boxes(BoxesFile("boxes.csv", data))
    assert caught.value.message == problem and caught.value.hint == BOXES_FILE_COLUMNS  # not a list's hint
