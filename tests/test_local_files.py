"""Local files: a folder or a zip of media (optionally with a CSV naming them), sent as bytes, safely."""

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import PIL.Image
import pytest
from google.protobuf import json_format

from ingest.check import check_file
from ingest.errors import InputFileError
from ingest.local import MAX_IMAGE_BYTES, content_id, from_files, from_folder, from_zip
from tests.conftest import stored_boxes, stored_regions, thumbnail

ROOT = Path(__file__).parent.parent
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def zipped(members: dict[str, bytes], compression=zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def upload(sandbox, path: Path | list[Path], *extra: str) -> subprocess.CompletedProcess:
    config = sandbox.config
    paths = [str(given) for given in (path if isinstance(path, list) else [path])]
    args = [sys.executable, "-m", "ingest", "upload", *paths, "--base", sandbox.address, "--insecure",
            "--pat", config.pat, "--user-id", config.user_id, "--app-id", config.app_id, *extra]
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.fixture(autouse=True)
def empty(sandbox):
    sandbox.reset()


def test_a_zip_of_media_is_sent_as_bytes_with_content_ids_once(sandbox, tmp_path):
    video = os.urandom(700)
    path = tmp_path / "photos.zip"
    path.write_bytes(zipped({"cats/a.png": PNG, "clip.mp4": video, "__MACOSX/._a.png": b"junk", ".DS_Store": b"x"}))
    first = upload(sandbox, path)
    assert first.returncode == 0, first.stdout + first.stderr
    stored = {item.id: item.data for item in sandbox.stored_inputs()}
    assert stored[content_id(PNG)].image.base64 == PNG
    assert stored[content_id(video)].video.base64 == video
    assert len(stored) == 2
    again = upload(sandbox, path)
    assert again.returncode == 0 and "0 uploaded, 2 already there" in again.stdout


def test_an_exports_boxes_file_that_cannot_be_read_is_named_and_other_json_is_left_out(sandbox, tmp_path):
    path = tmp_path / "export.zip"
    for name in ("train/_annotations.coco.json", "annotations/instances_val2017.json", "annotations.xml"):
        path.write_bytes(zipped({"train/a.png": PNG, name: b'{"images": ['}))
        result = upload(sandbox, path, "--dry-run")
        assert result.returncode == 2, result.stdout + result.stderr
        assert f"error: {path}:{name} is not readable" in result.stderr
    path.write_bytes(zipped({"train/a.png": PNG, "info.json": b'{"version": 1}'}))  # no boxes file: left out
    result = upload(sandbox, path, "--dry-run")
    assert result.returncode == 0 and "1 ready to upload" in result.stdout, result.stdout + result.stderr


def test_a_zip_or_folder_of_no_media_says_so_and_an_empty_file_is_a_row_to_fix(sandbox, tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "plan.doc").write_bytes(b"words")
    for path in (tmp_path / "notes", tmp_path / "empty.zip"):
        if path.suffix:
            path.write_bytes(zipped({}))
        result = upload(sandbox, path, "--dry-run")
        assert result.returncode == 2, result.stdout + result.stderr
        assert f"error: {path} holds no images, videos, audio or text files to upload" in result.stderr
    assert "(only plan.doc)" in upload(sandbox, tmp_path / "notes", "--dry-run").stderr
    (tmp_path / "notes" / "a.json").write_bytes(labelme("a.jpg", shape("cat", "rectangle", (0, 0), (9, 9))))
    result = upload(sandbox, tmp_path / "notes", "--dry-run")  # an annotation saved apart from its image
    assert result.returncode == 2, result.stdout + result.stderr
    assert (f"error: {tmp_path / 'notes'} holds boxes (1 LabelMe file in {tmp_path / 'notes'}) but none of the images "
            "they are drawn on.\n  Choose the folder or zip that holds the images too") in result.stderr
    path = tmp_path / "photos.zip"
    path.write_bytes(zipped({"a.png": PNG, "b.png": b"", "c.txt": b""}))
    result = upload(sandbox, path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{path}: b.png: 'b.png' is empty (0 bytes) - choose the file again, or leave it out" in result.stdout
    assert f"{path}: c.txt: 'c.txt' is empty (0 bytes)" in result.stdout and "same content" not in result.stderr
    assert [bytes(i.data.image.base64) for i in sandbox.stored_inputs()] == [PNG]


def test_a_list_of_one_label_a_row_gives_each_file_all_its_labels_and_each_row_its_outcome(sandbox, tmp_path):
    path, failed = tmp_path / "labelled.zip", tmp_path / "failed.csv"
    labels = "file,label\na.png,cat\na.png,pet\nmissing.png,dog\nmissing.png,pet\n"
    path.write_bytes(zipped({"a.png": PNG, "labels.csv": labels.encode()}))
    files = from_zip(io.BytesIO(path.read_bytes()), path.name)
    check = check_file(io.BytesIO(files.manifest), files.source_name, files=files)
    assert (check.rows, check.valid, check.combined) == (4, 2, 2)
    assert [(e.line, e.cells) for e in check.errors] == [(4, ["missing.png", "dog"]), (5, ["missing.png", "pet"])]
    result = upload(sandbox, path, "--failed", str(failed))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "2 uploaded, 0 already there, 2 invalid" in result.stdout
    assert [line.split(": ", 1)[0] for line in result.stdout.splitlines() if "no file named 'missing.png'" in line
            ] == [f"{path}:labels.csv:4", f"{path}:labels.csv:5"]
    [stored] = sandbox.stored_inputs()
    assert stored.data.image.base64 == PNG and [c.name for c in stored.data.concepts] == ["cat", "pet"]
    assert failed.read_text().splitlines() == ["file,label", "missing.png,dog", "missing.png,pet"]


def test_a_list_of_files_given_without_them_says_to_give_their_folder(sandbox, tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.png").write_bytes(PNG)
    listing = tmp_path / "labels.csv"
    listing.write_text("file,pos_concepts\nphotos/a.png,cat\nphotos/b.png,dog\n")
    alone = upload(sandbox, listing)
    assert alone.returncode == 2 and not sandbox.stored_inputs()
    assert (f"error: {listing} names files in its column 'file', but none of them came with it.\n  Upload it together "
            "with the files it names: on the page, choose them all at once (or their folder or zip); on the command "
            "line, give their folder, such as 'python -m ingest upload photos/'.") in alone.stderr
    with_files = upload(sandbox, tmp_path)
    assert with_files.returncode == 1  # photos/b.png is not there
    [stored] = sandbox.stored_inputs()
    assert stored.data.image.base64 == PNG and [c.name for c in stored.data.concepts] == ["cat"]


def test_files_given_one_by_one_upload_with_a_list_among_them_naming_them(sandbox, tmp_path):
    for folder, shade in (("a", 0), ("b", 1)):  # two files of one name, in folders of their own
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.png").write_bytes(thumbnail(shade))
    listing = tmp_path / "labels.csv"
    listing.write_text("file,pos_concepts\na/x.png,cat\nb/x.png,dog\nc/x.png,cow\n")
    result = upload(sandbox, [listing, tmp_path / "a" / "x.png", tmp_path / "b" / "x.png"])  # as a shell gives them
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{listing}:4: " in result.stdout  # the list's own path and line, for an editor to jump to
    assert f"there is no file named 'c/x.png' in {tmp_path} - " in result.stdout
    stored = {i.data.image.base64: [c.name for c in i.data.concepts] for i in sandbox.stored_inputs()}
    assert stored == {thumbnail(0): ["cat"], thumbnail(1): ["dog"]}
    sandbox.reset()
    alone = upload(sandbox, tmp_path / "a" / "x.png")  # an image alone is no list of web addresses
    assert alone.returncode == 0, alone.stdout + alone.stderr
    assert [i.data.image.base64 for i in sandbox.stored_inputs()] == [thumbnail(0)]
    sandbox.reset()
    import pyarrow
    import pyarrow.parquet

    table = tmp_path / "urls.parquet"  # a list of urls first: left out, not read in place of the files
    pyarrow.parquet.write_table(pyarrow.table({"url": ["https://h.test/a.jpg"]}), table)
    with_table = upload(sandbox, [table, tmp_path / "a" / "x.png"])
    assert with_table.returncode == 0, with_table.stdout + with_table.stderr
    assert "warning: Left out 1 file that is not an image" in with_table.stderr
    assert [i.data.image.base64 for i in sandbox.stored_inputs()] == [thumbnail(0)]
    mixed = upload(sandbox, [tmp_path / "a" / "x.png", tmp_path / "b"])
    assert mixed.returncode == 2
    assert ("error: A folder, a zip or - (for a pipe) was given with other files.\n  Give one folder, zip or -, "
            "alone; or the files themselves.") in mixed.stderr


def test_a_csv_inside_the_zip_names_files_and_labels_them(sandbox, tmp_path):
    path = tmp_path / "labelled.zip"
    labels = "file,input_id,pos_concepts\na.png,cat-1,cat\nmissing.png,dog-1,dog\n"
    path.write_bytes(zipped({"a.png": PNG, "labels.csv": labels.encode()}))
    result = upload(sandbox, path)
    assert result.returncode == 1
    assert f"{path}:labels.csv:3: dog-1: column 'file': there is no file named 'missing.png'" in result.stdout
    [stored] = sandbox.stored_inputs()
    assert stored.id == "cat-1" and stored.data.image.base64 == PNG
    assert [c.id for c in stored.data.concepts] == ["cat"]


def test_an_excel_list_in_a_folder_names_its_files_by_excels_rows_and_one_hot_columns_read_too(sandbox, tmp_path):
    from tests.test_read import workbook

    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "a.png").write_bytes(PNG)
    (folder / "b.png").write_bytes(PNG + b"b")
    (folder / "labels.xlsx").write_bytes(workbook({  # a title row, then the header; classes as 0/1 columns
        "A1": "My photos", "A3": "file", "B3": "cat", "C3": "dog",
        "A4": "a.png", "B4": 1, "C4": 0, "A5": "b.png", "B5": 1, "C5": 1, "A6": "c.png", "B6": 0, "C6": 1}))
    result = upload(sandbox, folder)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "2 uploaded" in result.stdout
    assert f"{folder / 'labels.xlsx'}:6: " in result.stdout and "there is no file named 'c.png'" in result.stdout
    stored = {bytes(i.data.image.base64): [c.id for c in i.data.concepts] for i in sandbox.stored_inputs()}
    assert stored == {PNG: ["cat"], PNG + b"b": ["cat", "dog"]}

def test_a_cvat_export_with_its_images_uploads_them_with_their_boxes_and_tags(sandbox, tmp_path):
    from tests.test_boxes import CVAT

    path = tmp_path / "task_pets-2026_11_27-cvat for images 1.1.zip"
    path.write_bytes(zipped({"annotations.xml": CVAT, "images/train/a.jpg": PNG, "images/b.jpg": PNG + b"b",
                             "images/c.jpg": PNG + b"c"}))
    result = upload(sandbox, path, "--polygons")
    assert result.returncode == 1, result.stdout + result.stderr  # eight of its shapes need fixing
    assert "2 uploaded" in result.stdout and "Boxes: 3 uploaded, 0 already there, 8 invalid" in result.stdout
    assert f"{path}:annotations.xml:5: box 5 (cat): its corners" in result.stdout
    assert "1 file that annotations.xml does not name" in result.stderr  # c.jpg, in no task
    stored = {bytes(i.data.image.base64): i for i in sandbox.stored_inputs()}
    assert {data: [c.id for c in i.data.concepts] for data, i in stored.items()} == {PNG: ["indoor"], PNG + b"b": []}
    assert [(name, concept, kind) for name, concept, kind, _ in stored_regions(sandbox)] == [
        (stored[PNG].id, "cat", "box"), (stored[PNG].id, "dog", "box"), (stored[PNG].id, "dog", "polygon")]


def test_a_cvat_export_of_tags_alone_gives_each_image_its_labels(sandbox, tmp_path):
    tags = (b'<annotations><version>1.1</version><image id="0" name="a.jpg" width="2" height="2">'
            b'<tag label="cat"/><tag label="indoor"/></image><image id="1" name="b.jpg" width="2" height="2">'
            b'<tag label="dog"/></image></annotations>')
    folder = tmp_path / "export"
    (folder / "images").mkdir(parents=True)
    (folder / "annotations.xml").write_bytes(tags)
    (folder / "images" / "a.jpg").write_bytes(PNG)
    (folder / "images" / "b.jpg").write_bytes(PNG + b"b")
    result = upload(sandbox, folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert {bytes(i.data.image.base64): [c.id for c in i.data.concepts] for i in sandbox.stored_inputs()} == {
        PNG: ["cat", "indoor"], PNG + b"b": ["dog"]}

def test_a_zip_holding_a_detection_export_uploads_every_file_with_its_boxes(sandbox, tmp_path):
    path = tmp_path / "export.zip"
    other = PNG + b"another picture"
    boxes = ("filename,width,height,class,xmin,ymin,xmax,ymax\n"
             "a.png,640,480,cat,64,48,320,240\na.png,640,480,dog,0,0,640,480\nb.png,640,480,dog,0,0,64,48\n")
    path.write_bytes(zipped({"a.png": PNG, "b.png": other, "_annotations.csv": boxes.encode()}))
    result = upload(sandbox, path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 files in" in result.stdout and "2 uploaded" in result.stdout
    assert "Boxes: 3 uploaded, 0 already there, 0 invalid, 0 failed." in result.stdout
    assert stored_boxes(sandbox) == sorted([(content_id(PNG), "cat", (0.1, 0.1, 0.5, 0.5)),
                                            (content_id(PNG), "dog", (0.0, 0.0, 1.0, 1.0)),
                                            (content_id(other), "dog", (0.0, 0.0, 0.1, 0.1))])


ROBOFLOW_HEADER = "filename,width,height,class,xmin,ymin,xmax,ymax\n"


def roboflow_export(other: bytes) -> dict[str, bytes]:
    """A detection export as Roboflow makes it: one boxes file per split folder, naming the files beside it."""
    return {
        "README.roboflow.txt": b"Exported from roboflow.com",
        "train/_annotations.csv": (ROBOFLOW_HEADER + "a.png,640,480,cat,64,48,320,240\n").encode(),
        "train/a.png": PNG,
        "valid/_annotations.csv": (ROBOFLOW_HEADER + "b.png,640,480,dog,0.5,0.5,1,1\n"  # fractions, as some write
                                   "b.png,640,480,dog,0,0,700,10\n").encode(),
        "valid/b.png": other,
    }


@pytest.mark.parametrize("packed", ["zip", "folder"])
def test_an_export_with_a_boxes_file_per_split_folder_uploads_its_images_with_their_boxes(sandbox, tmp_path, packed):
    other = PNG + b"another picture"
    if packed == "zip":
        path = tmp_path / "export.zip"
        path.write_bytes(zipped(roboflow_export(other)))
        valid_boxes = f"{path}:valid/_annotations.csv"
    else:
        path = tmp_path / "export"
        for file_name, data in roboflow_export(other).items():
            (path / file_name).parent.mkdir(parents=True, exist_ok=True)
            (path / file_name).write_bytes(data)
        valid_boxes = str(path / "valid" / "_annotations.csv")
    result = upload(sandbox, path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "2 files in" in result.stdout and "2 uploaded" in result.stdout
    assert "Boxes: 2 uploaded, 0 already there, 1 invalid, 0 failed." in result.stdout
    assert f"{valid_boxes}:3: column 'xmax': '700' is not a number of pixels from 0 to 640" in result.stdout
    assert ("warning: Left out 1 file that is not an image (with boxes files, only the images are inputs): "
            "README.roboflow.txt.") in result.stderr
    assert stored_boxes(sandbox) == sorted([(content_id(PNG), "cat", (0.1, 0.1, 0.5, 0.5)),
                                            (content_id(other), "dog", (0.5, 0.5, 1.0, 1.0))])


def test_a_zips_list_and_its_boxes_file_are_read_together(sandbox, tmp_path):
    path = tmp_path / "labelled.zip"
    path.write_bytes(zipped({"a.png": PNG, "labels.csv": b"file,input_id,pos_concepts\na.png,cat-1,cat\n",
                             "boxes.csv": (ROBOFLOW_HEADER + "a.png,640,480,cat,64,48,320,240\n").encode()}))
    result = upload(sandbox, path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Boxes: 1 uploaded" in result.stdout
    assert stored_boxes(sandbox) == [("cat-1", "cat", (0.1, 0.1, 0.5, 0.5))]


def test_an_exports_filename_column_names_the_files_and_box_like_columns_are_pointed_elsewhere(sandbox, tmp_path):
    path = tmp_path / "export.zip"  # box-like columns, but not a boxes file: no edges a box needs
    listing = "filename,class,xmin,ymin\na.png,cat,1,2\na.png,dog,3,3\n"
    path.write_bytes(zipped({"a.png": PNG, "_annotations.csv": listing.encode()}))
    result = upload(sandbox, path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "warning: Ignoring columns this tool does not use: class, xmin, ymin. " \
           "They do not make bounding boxes: a list of boxes has one box per row" in result.stderr
    assert (f"{path}:_annotations.csv:3: this row repeats line 2 exactly - complete the box columns (see the note "
            "on columns not used) so each row is a box, or list each input once") in result.stdout
    assert [item.data.image.base64 for item in sandbox.stored_inputs()] == [PNG]


def test_a_folder_uploads_like_a_zip(sandbox, tmp_path):
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "a.png").write_bytes(PNG)
    (tmp_path / "pics" / "notes.txt").write_bytes(b"some words")
    result = upload(sandbox, tmp_path / "pics")
    assert result.returncode == 0, result.stderr
    assert "2 files in" in result.stdout and "2 uploaded" in result.stdout
    stored = {item.id: item.data for item in sandbox.stored_inputs()}
    assert stored[content_id(PNG)].image.base64 == PNG
    assert stored[content_id(b"some words")].text.raw == "some words"
    assert len(stored) == 2


def test_files_that_are_not_media_and_system_litter_are_left_out_and_said_so(sandbox, tmp_path):
    folder = tmp_path / "export"
    (folder / "train").mkdir(parents=True)
    (folder / "train" / "a.png").write_bytes(PNG)
    (folder / "train" / "_annotations.csv").write_bytes(b"filename,class\na.png,cat\n")
    (folder / "README").write_bytes(b"read me")
    (folder / "._a.png").write_bytes(b"AppleDouble")  # what a Mac leaves on a USB stick
    (folder / ".picasa.ini").write_bytes(b"[a.png]")
    (folder / ".thumbnails").mkdir()
    (folder / ".thumbnails" / "a.png").write_bytes(PNG[::-1])
    result = upload(sandbox, folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 file in" in result.stdout and "1 uploaded" in result.stdout
    assert ("warning: Left out 1 file of notes on the dataset: README. Left out 1 file that is not an image, video, "
            "audio or text file (by its extension): train/_annotations.csv.") in result.stderr
    assert [item.data.image.base64 for item in sandbox.stored_inputs()] == [PNG]


def test_a_file_a_csv_names_that_is_not_media_is_a_row_to_fix(sandbox, tmp_path):
    path = tmp_path / "labelled.zip"
    path.write_bytes(zipped({"a.png": PNG, "notes.pdf": b"%PDF-1.4", "labels.csv": b"file\na.png\nnotes.pdf\n"}))
    result = upload(sandbox, path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert (f"{path}:labels.csv:3: " in result.stdout and "column 'file': 'notes.pdf' is not an image, video, audio "
            "or text file (its name ends in '.pdf') - leave it out of the upload" in result.stdout)
    assert [item.data.image.base64 for item in sandbox.stored_inputs()] == [PNG]


def test_a_folders_report_names_each_file_and_a_boxes_file_may_name_the_files(sandbox, tmp_path):
    folder = tmp_path / "export"
    (folder / "train").mkdir(parents=True)
    other = PNG + b"another picture"
    (folder / "train" / "a.png").write_bytes(PNG)
    (folder / "train" / "b.png").write_bytes(other)
    boxes = tmp_path / "annotations.csv"  # as a detection export writes it: file names, classes, pixels
    boxes.write_text("filename,width,height,class,xmin,ymin,xmax,ymax\n"
                     "train/a.png,640,480,cat,64,48,320,240\n"
                     "train/b.png,640,480,dog,0,0,640,480\n")
    more = tmp_path / "more.csv"  # --boxes may be given again
    more.write_text("filename,width,height,class,xmin,ymin,xmax,ymax\ntrain/gone.png,640,480,dog,0,0,640,480\n")
    report = tmp_path / "report.csv"
    result = upload(sandbox, folder, "--report", str(report), "--boxes", str(boxes), "--boxes", str(more))
    assert result.returncode == 1, result.stdout + result.stderr  # the box on a missing file failed
    assert "2 files in" in result.stdout and "2 uploaded, 0 already there, 0 invalid, 0 failed" in result.stdout
    assert "Boxes: 2 uploaded, 0 already there, 0 invalid, 1 failed." in result.stdout
    assert f"{more}:2: no row of {folder} with this url or file was uploaded" in result.stdout
    rows = report.read_text().splitlines()
    assert rows[0] == "line,input_id,file,status,reason,download"
    assert sorted(row.split(",")[1:3] for row in rows[1:]) == sorted(
        [[content_id(PNG), "train/a.png"], [content_id(other), "train/b.png"]])
    assert stored_boxes(sandbox) == sorted([(content_id(PNG), "cat", (0.1, 0.1, 0.5, 0.5)),
                                            (content_id(other), "dog", (0.0, 0.0, 1.0, 1.0))])


def test_reading_a_folders_files_for_their_ids_reports_its_progress(tmp_path):
    """The first read of every file (for its content id) is what a large folder waits on before its upload."""
    for name, size in (("a.png", 300), ("b/c.png", 500), ("notes.pdf", 70)):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(PNG[:8] + bytes(size - 8))
    seen: list[tuple[int, int]] = []
    from_folder(tmp_path, on_read=lambda size, total: seen.append((size, total)))
    assert sorted(seen) == [(300, 800), (500, 800)]  # the media, not the PDF left out


def test_a_folder_is_read_file_by_file_as_it_uploads_and_a_file_changed_meanwhile_is_named(tmp_path):
    (tmp_path / "a.png").write_bytes(PNG)
    (tmp_path / "b.png").write_bytes(PNG)
    files = from_folder(tmp_path)
    assert content_id(PNG) in files.manifest.decode()
    (tmp_path / "a.png").write_bytes(PNG[::-1])  # same size, other bytes: what is sent is read when sent
    assert files.contents["a.png"] == PNG[::-1]
    (tmp_path / "b.png").write_bytes(b"cut short")
    with pytest.raises(InputFileError) as caught:
        files.contents["b.png"]
    assert "b.png could not be read during the upload (it changed)" in caught.value.message
    assert "run the same command again" in caught.value.hint


def test_files_sent_as_bytes_keep_at_most_64_mb_of_requests_in_flight(make_sandbox, tmp_path):
    slow = make_sandbox(latency_ms=300, download_delay=0.0)  # so that every batch in flight overlaps
    for n in range(3 * 128):  # three batches of 32 MB; ten workers would send them all at once
        (tmp_path / f"photo_{n:03d}.jpg").write_bytes(n.to_bytes(2, "big") * (128 * 1024))
    result = upload(slow, tmp_path, "--no-check-downloads")
    assert result.returncode == 0, result.stderr
    assert len(slow.stored_inputs()) == 3 * 128
    assert 32 << 20 < slow.stats().peak_request_bytes <= (64 << 20) + (1 << 20)


def test_an_image_over_20_mb_is_named_and_not_read():
    files = from_files([("huge.jpg", b"x" * (MAX_IMAGE_BYTES + 1)), ("ok.jpg", PNG)])
    assert files.contents["huge.jpg"] is None and files.contents["ok.jpg"] == PNG


@pytest.mark.parametrize(
    ("members", "compression", "fragment"),
    [
        ({"../evil.png": PNG}, zipfile.ZIP_STORED, "points outside the archive"),
        ({"/etc/evil.png": PNG}, zipfile.ZIP_STORED, "points outside the archive"),
        ({".cache/../../evil.png": PNG}, zipfile.ZIP_STORED, "points outside the archive"),  # hidden, still checked
        ({"bomb.png": b"\0" * 30_000_000}, zipfile.ZIP_DEFLATED, "zip bomb"),
        ({"a.csv": b"file\n", "b.csv": b"file\n"}, zipfile.ZIP_STORED, "Several lists were found in bad.zip"),
    ],
)
def test_unsafe_zips_are_refused_before_anything_is_read(members, compression, fragment):
    with pytest.raises(InputFileError) as caught:
        from_zip(io.BytesIO(zipped(members, compression)), "bad.zip")
    assert fragment in str(caught.value)


def test_a_damaged_zip_says_so():
    with pytest.raises(InputFileError, match="not a readable zip"):
        from_zip(io.BytesIO(b"PK\x03\x04 not really"), "broken.zip")


@pytest.mark.parametrize(
    ("changes", "problem", "hint"),
    [
        ({"CRC": 0}, "cannot be read (Bad CRC-32 for file 'a.png').", "Make the zip again"),
        ({"compress_type": zipfile.ZIP_DEFLATED}, "cannot be read (Error -3 while decompressing data: invalid stored "
         "block lengths).", "Make the zip again"),
        ({"file_size": 2_000_000, "compress_size": 2_000_000}, "cannot be read (cut short).", "Make the zip again"),
        ({"flag_bits": 1}, "is locked with a password.", "zip it again without a password"),
        ({"compress_type": 9}, "is packed in a way that cannot be unpacked here (That compression method is not "
         "supported).", "Zip it again with the usual compression."),
    ],
)
def test_a_damaged_or_locked_file_in_a_zip_is_named_with_what_to_do(sandbox, tmp_path, changes, problem, hint):
    """The zip's directory, written as it closes, says of a.png what its bytes do not bear out."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.png", PNG)
        for attribute, value in changes.items():
            setattr(archive.getinfo("a.png"), attribute, value)
    path = tmp_path / "photos.zip"
    path.write_bytes(buffer.getvalue())
    result = upload(sandbox, path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{path}: its file 'a.png' {problem}" in result.stderr and hint in result.stderr


def test_a_file_whose_name_in_the_zip_and_in_its_header_differ_is_named(sandbox, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.png", PNG)
        archive.getinfo("a.png").filename = "b.png"  # in the directory; its own header keeps a.png
    path = tmp_path / "photos.zip"
    path.write_bytes(buffer.getvalue())
    result = upload(sandbox, path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert (f"{path}: its file 'b.png' cannot be read (File name in directory 'b.png' and header b'a.png' differ.)"
            in result.stderr)


def test_zip_members_named_dot_or_nothing_are_left_out_as_folders_are(sandbox, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.png", PNG)
        for odd in (".", ""):
            with archive.open(zipfile.ZipInfo(odd), "w") as member:
                member.write(PNG + b"odd")
    path = tmp_path / "odd.zip"
    path.write_bytes(buffer.getvalue())
    result = upload(sandbox, path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert [bytes(i.data.image.base64) for i in sandbox.stored_inputs()] == [PNG]


def test_a_file_name_that_is_not_utf_8_is_named_with_its_bytes_escaped(sandbox, tmp_path):
    (tmp_path / "a.png").write_bytes(PNG)
    (tmp_path / os.fsdecode(b"\xff.png")).write_bytes(PNG + b"b")
    result = upload(sandbox, tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{tmp_path}: the name of the file '\\xff.png' is not UTF-8 text." in result.stderr
    assert "Rename the file, or move it out of the folder." in result.stderr


def test_a_hugging_face_list_holding_half_a_character_pair_names_its_line(sandbox, tmp_path):
    path = tmp_path / "pets.zip"
    path.write_bytes(zipped({"a.png": PNG, "metadata.jsonl": b'{"file_name": "a.png"}\n'
                                                              b'{"file_name": "a.png", "label": "\\ud800"}\n'}))
    result = upload(sandbox, path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert (f"{path}:metadata.jsonl, line 2: it holds half of a character pair (such as \\ud800 alone), which "
            "cannot be stored.") in result.stderr


def test_folder_names_become_concepts_when_asked(sandbox, tmp_path):
    path = tmp_path / "pets.zip"
    cat, dog = PNG + b"cat", PNG + b"dog"
    path.write_bytes(zipped({"train/cat/1.png": cat, "train/dog/2.png": dog, "top.png": PNG}))
    result = upload(sandbox, path, "--folder-concepts")
    assert result.returncode == 0, result.stdout + result.stderr
    concepts = {item.id: [c.id for c in item.data.concepts] for item in sandbox.stored_inputs()}
    assert concepts == {content_id(cat): ["cat"], content_id(dog): ["dog"], content_id(PNG): []}


def test_folder_concepts_are_refused_for_a_list_that_names_its_own(sandbox, tmp_path):
    path = tmp_path / "labelled.zip"
    path.write_bytes(zipped({"cat/a.png": PNG, "labels.csv": b"file,pos_concepts\ncat/a.png,kitten\n"}))
    result = upload(sandbox, path, "--folder-concepts")
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"error: {path}:labels.csv already says what each file is." in result.stderr
    assert "Give the concepts in its pos_concepts column instead of by folder." in result.stderr
    assert sandbox.stored_inputs() == []


def test_text_files_named_like_their_images_are_left_out_not_sent_as_texts(sandbox, tmp_path):
    path = tmp_path / "yolo.zip"  # YOLO's layout (labels/a.txt for images/a.png) with no class names; a caption
    other = PNG + b"b"
    path.write_bytes(zipped({"data.yaml": b"path: ../datasets\n", "train/images/a.png": PNG,
                             "train/labels/a.txt": b"0 0.5 0.5 0.2 0.2\n", "b.png": other, "b.txt": b"a cat",
                             "notes.txt": b"some words"}))
    result = upload(sandbox, path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 files in" in result.stdout
    assert ("warning: Left out 1 file that is not an image, video, audio or text file (by its extension): data.yaml. "
            "Left out 2 text files named like the images beside them, captions or labels: train/labels/a.txt, "
            "b.txt. If they are YOLO labels, they need their classes, but data.yaml names no classes. Give the class "
            "names in its 'names' list, in the order of their numbers.") in result.stderr
    stored = {item.id for item in sandbox.stored_inputs()}
    assert stored == {content_id(PNG), content_id(other), content_id(b"some words")}
    path.write_bytes(zipped({"train/images/a.png": PNG, "train/labels/a.txt": b"0 0.5 0.5 0.2 0.2\n"}))
    assert ("If they are YOLO labels, add the data.yaml (or classes.txt) naming their classes to read them as "
            "boxes.") in upload(sandbox, path, "--dry-run").stderr
    path.write_bytes(zipped({"data.yaml": b"names: [cat, dog\n", "train/images/a.png": PNG,
                             "train/labels/a.txt": b"0 0.5 0.5 0.2 0.2\n"}))
    assert ("If they are YOLO labels, they need their classes, but data.yaml is not readable YAML (expected ',' or "
            "']', but got '<stream end>', at line 2, column 1). Export the dataset again, in YOLO format."
            ) in upload(sandbox, path, "--dry-run").stderr


def test_a_yolo_export_adds_the_boxes_of_each_images_labels_in_the_classes_of_its_data_yaml(sandbox, tmp_path):
    path = tmp_path / "yolo.zip"  # Roboflow's YOLO export: data.yaml at the top, images/ and labels/ per split
    other = PNG + b"b"
    path.write_bytes(zipped({"data.yaml": b"train: ../train/images\nnc: 2\nnames: ['cat', 'dog']\n",
                             "README.roboflow.txt": b"Exported", "train/images/a.png": PNG,
                             "train/labels/a.txt": b"0 0.3 0.3 0.2 0.2\n1 0.1 0.2 0.3 0.2 0.2 0.4\n2 0.5 0.5 0.1 0.1\n"
                                                   b"0 nan 0.5 0.1 0.1\n",  # a bad line: a box to fix, not all lost
                             "valid/images/b.png": other, "valid/labels/b.txt": b"",
                             "c.png": PNG + b"c", "c.txt": b"a caption"}))
    result = upload(sandbox, path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "3 files in" in result.stdout and "Boxes: 2 uploaded, 0 already there, 2 invalid, 0 failed." in result.stdout
    assert f"{path}:train/labels/a.txt:4: " in result.stdout
    assert (f"{path}:train/labels/a.txt:3: the class '2' is not one of the 2 classes data.yaml names - number the "
            "classes from 0, in the order of the names in data.yaml") in result.stdout
    assert ("Left out 1 file that is not an image (with boxes files, only the images are inputs): README.roboflow.txt. "
            "Left out 1 text file named like the images beside them") in result.stderr
    box = [(content_id(PNG), "cat", (0.2, 0.2, 0.4, 0.4)), (content_id(PNG), "dog", (0.1, 0.2, 0.3, 0.4))]
    assert [(i, c, tuple(round(e, 6) for e in edges)) for i, c, edges in stored_boxes(sandbox)] == box


def test_ultralytics_and_labelimg_yolo_layouts_find_their_class_names(sandbox, tmp_path):
    folder = tmp_path / "datasets"  # Ultralytics: images/train/a.png, labels/train/a.txt; names by number
    for name, data in {"coco8.yaml": b"path: ../datasets/coco8\nnames:\n  0: person\n  1: bicycle\n",
                       "images/train/a.png": PNG, "labels/train/a.txt": b"1 0.5 0.5 1 1\n",
                       "labelimg/b.png": PNG + b"b", "labelimg/b.txt": b"0 0.25 0.25 0.5 0.5\n",
                       "labelimg/classes.txt": b"tree\n",  # LabelImg: classes.txt beside its labels
                       "darknet/c.png": PNG + b"c", "darknet/c.txt": b"0 0.5 0.5 1 1\n",
                       "darknet/_darknet.labels": b"rock\n"}.items():  # Roboflow's YOLO Darknet export
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    result = upload(sandbox, folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 files in" in result.stdout and "Boxes: 3 uploaded" in result.stdout
    assert stored_boxes(sandbox) == sorted([(content_id(PNG), "bicycle", (0.0, 0.0, 1.0, 1.0)),
                                            (content_id(PNG + b"b"), "tree", (0.0, 0.0, 0.5, 0.5)),
                                            (content_id(PNG + b"c"), "rock", (0.0, 0.0, 1.0, 1.0))])


def test_a_coco_export_adds_its_boxes_and_names_each_bad_annotation(sandbox, tmp_path):
    path = tmp_path / "coco.zip"  # Roboflow's COCO export: one _annotations.coco.json per split folder
    coco = {"info": {"year": 2026}, "categories": [{"id": 0, "name": "pets"}, {"id": 1, "name": "cat"}],
            "images": [{"id": 0, "file_name": "a.png", "width": 640, "height": 480}],
            "annotations": [{"id": 10, "image_id": 0, "category_id": 1, "bbox": [64, 48, 256, 192]},
                            {"id": 11, "image_id": 0, "category_id": 1, "bbox": [600, 400, 100, 100]},
                            {"id": 12, "image_id": 7, "category_id": 1, "bbox": [0, 0, 10, 10]}]}
    path.write_bytes(zipped({"train/_annotations.coco.json": json.dumps(coco).encode(), "train/a.png": PNG}))
    result = upload(sandbox, path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 file in" in result.stdout and "Boxes: 1 uploaded, 0 already there, 2 invalid, 0 failed." in result.stdout
    where = f"{path}:train/_annotations.coco.json"
    assert (f"{where}:2: annotation 11: its bbox [600, 400, 100, 100] reaches outside its 640 x 480 image - check "
            "the box and the image's size") in result.stdout
    assert f"{where}:3: annotation 12: its image id 7 is not among the file's images" in result.stdout
    assert stored_boxes(sandbox) == [(content_id(PNG), "cat", (0.1, 0.1, 0.5, 0.5))]


def test_a_segmentation_export_adds_its_outlines_as_polygons_when_asked(sandbox, tmp_path):
    """COCO's segmentation polygons: the boxes around them by default (with a hint), the outlines with --polygons."""
    path = tmp_path / "coco-segmentation.zip"
    coco = {"categories": [{"id": 1, "name": "cat"}],
            "images": [{"id": 0, "file_name": "a.png", "width": 640, "height": 480}],
            "annotations": [{"id": 10, "image_id": 0, "category_id": 1, "bbox": [64, 48, 256, 192],
                             "segmentation": [[64, 48, 320, 48, 192, 240]]}]}
    path.write_bytes(zipped({"train/_annotations.coco.json": json.dumps(coco).encode(), "train/a.png": PNG}))
    boxed = upload(sandbox, path)
    assert boxed.returncode == 0, boxed.stdout + boxed.stderr
    assert ("hint: 1 box is drawn as an outline (a polygon) in its file, and was sent as the box around it. "
            "--polygons sends the outlines, for segmentation: uploading again with it adds them beside the boxes "
            "(undo this upload first to have the outlines alone).") in boxed.stderr
    assert stored_regions(sandbox) == [(content_id(PNG), "cat", "box", (0.1, 0.1, 0.5, 0.5))]

    outlined = upload(sandbox, path, "--polygons")  # the same export again, its outlines asked for
    assert outlined.returncode == 0, outlined.stdout + outlined.stderr
    assert "Boxes: 1 uploaded" in outlined.stdout and "--polygons sends" not in outlined.stderr
    assert stored_regions(sandbox) == [(content_id(PNG), "cat", "box", (0.1, 0.1, 0.5, 0.5)),
                                       (content_id(PNG), "cat", "polygon", (0.1, 0.1, 0.5, 0.1, 0.3, 0.5))]


def test_a_create_ml_export_adds_its_boxes_in_pixels_of_each_images_own_size(sandbox, tmp_path):
    """Apple's Create ML JSON (Roboflow exports it as _annotations.createml.json per split folder): a box's centre,
    width and height in pixels, and no image size, which comes from the image itself."""
    picture = io.BytesIO()
    PIL.Image.new("RGB", (640, 480), "white").save(picture, "PNG")
    image = picture.getvalue()
    createml = [{"image": "a.png", "annotations": [
        {"label": "cat", "coordinates": {"x": 192, "y": 144, "width": 256, "height": 192}},
        {"label": "dog", "coordinates": {"x": 630, "y": 10, "width": 100, "height": 10}}]}]
    path = tmp_path / "createml.zip"
    path.write_bytes(zipped({"train/_annotations.createml.json": json.dumps(createml).encode(), "train/a.png": image}))
    result = upload(sandbox, path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Boxes: 1 uploaded, 0 already there, 1 invalid, 0 failed." in result.stdout
    assert (f"{path}:train/_annotations.createml.json:1: image 1, annotation 2 (dog): its box (630, 10, 100, 10) "
            "reaches outside its 640 x 480 image") in result.stdout
    assert stored_boxes(sandbox) == [(content_id(image), "cat", (0.1, 0.1, 0.5, 0.5))]


@pytest.mark.parametrize("folder", ["train/", ""])
def test_a_keras_txt_export_adds_its_boxes_and_sends_no_text(sandbox, tmp_path, folder):
    """Roboflow's Keras TXT export (keras-yolo3's format): per split folder (or at the top), _annotations.txt (a line
    an image: its file, then x_min,y_min,x_max,y_max,class boxes in pixels) and _classes.txt."""
    picture = io.BytesIO()
    PIL.Image.new("RGB", (640, 480), "white").save(picture, "PNG")
    image = picture.getvalue()
    path = tmp_path / "keras.zip"
    path.write_bytes(zipped({f"{folder}_annotations.txt": b"a.png 64,48,320,240,1 600,0,700,10,0\n",
                             f"{folder}_classes.txt": b"cat\ndog\n", f"{folder}a.png": image}))
    result = upload(sandbox, path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 file in" in result.stdout and "Boxes: 1 uploaded, 0 already there, 1 invalid, 0 failed." in result.stdout
    assert (f"{path}:{folder}_annotations.txt:1: box 2: its box '600,0,700,10,0' reaches outside its 640 x 480 image"
            in result.stdout)
    assert stored_boxes(sandbox) == [(content_id(image), "dog", (0.1, 0.1, 0.5, 0.5))]


def voc(file_name: str, *objects: tuple[str, int, int, int, int]) -> bytes:
    """A Pascal VOC annotation of a 640 x 480 image, as LabelImg, CVAT and Roboflow write it."""
    boxes = "".join(f"<object><name>{name}</name><bndbox><xmin>{left}</xmin><ymin>{top}</ymin><xmax>{right}</xmax>"
                    f"<ymax>{bottom}</ymax></bndbox></object>" for name, left, top, right, bottom in objects)
    return (f"<annotation><filename>{file_name}</filename><size><width>640</width><height>480</height>"
            f"<depth>3</depth></size>{boxes}</annotation>").encode()


def test_a_pascal_voc_file_without_the_image_size_takes_its_images(sandbox, tmp_path):
    """Some tools write <width>0</width>: the size is read from the image itself, when there is one to read."""
    picture = io.BytesIO()
    PIL.Image.new("RGB", (40, 20), "white").save(picture, "PNG")
    unsized = voc("a.png", ("cat", 0, 0, 20, 10)).replace(b"<width>640</width><height>480</height>",
                                                          b"<width>0</width><height>0</height>")
    path = tmp_path / "voc.zip"
    path.write_bytes(zipped({"a.png": picture.getvalue(), "a.xml": unsized,
                             "b.png": PNG, "b.xml": unsized.replace(b"a.png", b"b.png")}))  # b.png: no real image
    result = upload(sandbox, path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert stored_boxes(sandbox) == [(content_id(picture.getvalue()), "cat", (0.0, 0.0, 0.5, 0.5))]
    assert (f"{path}:b.xml:1: object 1 (cat): its image's width and height ('0', '0') are not numbers of pixels"
            in result.stdout)


def test_voc_devkit_annotations_find_their_images_by_their_own_name(sandbox, tmp_path):
    """VOC's own layout, Annotations/a.xml for JPEGImages/a.png: an image renamed since still gets its boxes."""
    path = tmp_path / "VOC2012.zip"
    path.write_bytes(zipped({"VOC2012/Annotations/a.xml": voc("renamed.jpg", ("cat", 64, 48, 320, 240)),
                             "VOC2012/JPEGImages/a.png": PNG}))
    result = upload(sandbox, path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert stored_boxes(sandbox) == [(content_id(PNG), "cat", (0.1, 0.1, 0.5, 0.5))]


def test_a_pascal_voc_export_adds_the_boxes_of_each_images_xml_file(sandbox, tmp_path):
    path = tmp_path / "voc.zip"  # Roboflow's VOC export: each image with its XML file, in split folders
    other = PNG + b"other"
    path.write_bytes(zipped({"train/a.png": PNG, "train/a.xml": voc("a.png", ("cat", 64, 48, 320, 240),
                                                                    ("dog", 600, 0, 700, 10)),
                             "valid/b.png": other, "valid/b.xml": voc("b.png", ("dog", 0, 0, 64, 48)),
                             "sitemap.xml": b"<urlset></urlset>"}))
    result = upload(sandbox, path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "2 files in" in result.stdout and "Boxes: 2 uploaded, 0 already there, 1 invalid, 0 failed." in result.stdout
    assert (f"{path}:train/a.xml:2: object 2 (dog): its box (600, 0, 700, 10) reaches outside its 640 x 480 image "
            "- check the box and the image's size") in result.stdout
    assert "with boxes files, only the images are inputs): sitemap.xml." in result.stderr
    assert stored_boxes(sandbox) == sorted([(content_id(PNG), "cat", (0.1, 0.1, 0.5, 0.5)),
                                            (content_id(other), "dog", (0.0, 0.0, 0.1, 0.1))])


def test_pascal_vocs_own_layout_finds_each_image_by_name(sandbox, tmp_path):
    folder = tmp_path / "VOC2012"  # Annotations/ beside JPEGImages/, unzipped
    (folder / "Annotations").mkdir(parents=True)
    (folder / "JPEGImages").mkdir()
    (folder / "Annotations" / "a.xml").write_bytes(voc("a.png", ("cat", 0, 0, 320, 240)))
    (folder / "JPEGImages" / "a.png").write_bytes(PNG)
    result = upload(sandbox, folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert stored_boxes(sandbox) == [(content_id(PNG), "cat", (0.0, 0.0, 0.5, 0.5))]


def test_a_voc_file_whose_image_was_renamed_gives_its_boxes_to_the_image_beside_it(sandbox, tmp_path):
    path = tmp_path / "labelimg.zip"  # LabelImg writes each XML beside its image; the images were renamed since
    other = PNG + b"b"
    nameless = voc("", ("dog", 0, 0, 64, 48)).replace(b"<filename></filename>", b"")
    path.write_bytes(zipped({"photos/a.png": PNG, "photos/a.xml": voc("IMG_0001.PNG", ("cat", 0, 0, 320, 240)),
                             "photos/b.png": other, "photos/b.xml": nameless}))
    result = upload(sandbox, path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert stored_boxes(sandbox) == sorted([(content_id(PNG), "cat", (0.0, 0.0, 0.5, 0.5)),
                                            (content_id(other), "dog", (0.0, 0.0, 0.1, 0.1))])


def labelme(image_path: str, *shapes: dict, width: int = 640, height: int = 480) -> bytes:
    """A LabelMe annotation of one image, as LabelMe saves it beside the image (without the image's bytes)."""
    return json.dumps({"version": "5.4.1", "flags": {}, "shapes": list(shapes), "imagePath": image_path,
                       "imageData": None, "imageHeight": height, "imageWidth": width}).encode()


def shape(label: str, kind: str, *points: tuple[float, float]) -> dict:
    return {"label": label, "points": [list(point) for point in points], "group_id": None, "description": "",
            "shape_type": kind, "flags": {}}


def test_labelme_files_beside_their_images_add_their_polygons_and_rectangles(sandbox, tmp_path):
    folder = tmp_path / "labelme"
    folder.mkdir()
    other = PNG + b"other"
    (folder / "a.png").write_bytes(PNG)
    (folder / "a.json").write_bytes(labelme("a.png", shape("cat", "polygon", (64, 48), (320, 48), (192, 240)),
                                            shape("dog", "rectangle", (320, 240), (0, 0)),  # corners in any order
                                            shape("ball", "circle", (10, 10), (20, 20)),  # no area of its own
                                            shape("cat", "polygon", (64, 48), (320, 48))))
    (folder / "b.png").write_bytes(other)
    (folder / "b.json").write_bytes(labelme("..\\photos\\b.png", shape("dog", "rectangle", (0, 0), (64, 48))))
    result = upload(sandbox, folder, "--polygons")
    assert result.returncode == 1, result.stdout + result.stderr  # its two-point polygon needs fixing
    assert "2 files in" in result.stdout and "Boxes: 3 uploaded, 0 already there, 1 invalid" in result.stdout
    assert (f"{folder}/a.json:4: polygon 4 (cat): its points [[64, 48], [320, 48]] are not three or more points "
            "[x, y] - draw it again in LabelMe") in result.stdout
    assert "left out" not in result.stderr  # the JSON files are the images' boxes
    assert stored_regions(sandbox) == sorted([
        (content_id(PNG), "cat", "polygon", (0.1, 0.1, 0.5, 0.1, 0.3, 0.5)),
        (content_id(PNG), "dog", "box", (0.0, 0.0, 0.5, 0.5)),
        (content_id(other), "dog", "box", (0.0, 0.0, 0.1, 0.1))])


def test_a_supervisely_project_adds_each_images_objects_from_the_file_named_for_it(sandbox, tmp_path):
    from tests.test_boxes import supervisely_bitmap

    path = tmp_path / "project.zip"  # Supervisely's export: meta.json, then ann/ and img/ in each dataset
    other = PNG + b"other"

    def annotation(*objects: dict) -> bytes:
        return json.dumps({"description": "", "tags": [], "size": {"height": 480, "width": 640},
                           "objects": list(objects)}).encode()

    path.write_bytes(zipped({
        "meta.json": b'{"classes": [{"title": "cat", "shape": "polygon"}], "tags": []}',
        "ds1/img/a.png": PNG, "ds1/ann/a.png.json": annotation(
            {"geometryType": "polygon", "classTitle": "cat",
             "points": {"exterior": [[64, 48], [320, 48], [192, 240]], "interior": []}}),
        "ds2/img/a.png": other, "ds2/ann/a.png.json": annotation(  # the same name in another dataset: its own
            {"geometryType": "bitmap", "classTitle": "dog", "bitmap": supervisely_bitmap((0, 0), 64, 48)},
            {"geometryType": "rectangle", "classTitle": "dog", "points": {"exterior": [[0, 0], [700, 10]]}})}))
    result = upload(sandbox, path, "--polygons")
    assert result.returncode == 1, result.stdout + result.stderr  # a rectangle past the image's edge
    assert "2 files in" in result.stdout and "Boxes: 2 uploaded, 0 already there, 1 invalid" in result.stdout
    assert (f"{path}:ds2/ann/a.png.json:2: rectangle 2 (dog): its rectangle (around 0, 0, 700, 10) reaches outside "
            "its 640 x 480 image") in result.stdout
    assert stored_regions(sandbox) == sorted([
        (content_id(PNG), "cat", "polygon", (0.1, 0.1, 0.5, 0.1, 0.3, 0.5)),
        (content_id(other), "dog", "box", (0.0, 0.0, 0.1, 0.1))])


def test_a_via_export_beside_its_images_adds_their_regions_in_pixels_of_each_images_size(sandbox, tmp_path):
    picture = io.BytesIO()
    PIL.Image.new("RGB", (640, 480), "white").save(picture, "PNG")
    image = picture.getvalue()
    via = {"a.png123": {"filename": "a.png", "size": 123, "file_attributes": {}, "regions": [
        {"shape_attributes": {"name": "polygon", "all_points_x": [64, 320, 192], "all_points_y": [48, 48, 240]},
         "region_attributes": {"name": "balloon"}},
        {"shape_attributes": {"name": "rect", "x": 0, "y": 0, "width": 64, "height": 48}, "region_attributes": {}}]}}
    folder = tmp_path / "balloons"
    folder.mkdir()
    (folder / "a.png").write_bytes(image)
    (folder / "via_region_data.json").write_text(json.dumps(via))
    result = upload(sandbox, folder, "--polygons")
    assert result.returncode == 1, result.stdout + result.stderr  # a region that names no class
    assert "Boxes: 1 uploaded, 0 already there, 1 invalid" in result.stdout
    assert (f"{folder}/via_region_data.json:1: image 1, rectangle 2: its region attributes name no class - give each "
            "region an attribute such as 'label' in VIA") in result.stdout
    assert stored_regions(sandbox) == [(content_id(image), "balloon", "polygon", (0.1, 0.1, 0.5, 0.1, 0.3, 0.5))]


def test_a_copy_is_stored_once_with_the_concepts_of_both_folders(sandbox, tmp_path):
    path = tmp_path / "pets.zip"  # split folders name no class; the same photo sorted into two classes
    plain = PNG + b"plain"
    path.write_bytes(zipped({"train/cat/a.png": PNG, "valid/dog/a.png": PNG, "train/b.png": plain}))
    result = upload(sandbox, path, "--folder-concepts")
    assert result.returncode == 0, result.stdout + result.stderr
    assert ("warning: Left out 1 file with the same content as another, which is stored once for both (a copy's "
            "boxes and folder concept go to it too): valid/dog/a.png (same as train/cat/a.png).") in result.stderr
    concepts = {item.id: [c.id for c in item.data.concepts] for item in sandbox.stored_inputs()}
    assert concepts == {content_id(PNG): ["cat", "dog"], content_id(plain): []}


def test_the_boxes_of_a_copy_go_to_the_one_stored_image(sandbox, tmp_path):
    path = tmp_path / "export.zip"
    path.write_bytes(zipped({"train/_annotations.csv": (ROBOFLOW_HEADER + "a.png,640,480,cat,64,48,320,240\n").encode(),
                             "train/a.png": PNG, "valid/a.png": PNG,
                             "valid/_annotations.csv": (ROBOFLOW_HEADER + "a.png,640,480,dog,0,0,64,48\n").encode()}))
    result = upload(sandbox, path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 file in" in result.stdout and "Boxes: 2 uploaded" in result.stdout
    assert stored_boxes(sandbox) == sorted([(content_id(PNG), "cat", (0.1, 0.1, 0.5, 0.5)),
                                            (content_id(PNG), "dog", (0.0, 0.0, 0.1, 0.1))])


def test_coco_files_in_their_own_folder_find_their_images_by_name(sandbox, tmp_path):
    path = tmp_path / "coco2017.zip"  # COCO's own layout: annotations/ beside train2017/
    coco = {"categories": [{"id": 1, "name": "cat"}], "images": [{"id": 1, "file_name": "a.png", "width": 10,
            "height": 10}], "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 5, 5]}]}
    path.write_bytes(zipped({"annotations/instances_train2017.json": json.dumps(coco).encode(),
                             "train2017/a.png": PNG}))
    result = upload(sandbox, path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert stored_boxes(sandbox) == [(content_id(PNG), "cat", (0.0, 0.0, 0.5, 0.5))]


def test_a_folders_own_list_names_its_files_as_a_zips_does(sandbox, tmp_path):
    folder = tmp_path / "labelled"  # an unzipped labelled.zip
    folder.mkdir()
    (folder / "a.png").write_bytes(PNG)
    (folder / "b.png").write_bytes(PNG + b"b")
    (folder / "labels.csv").write_text("file,input_id,pos_concepts\na.png,cat-1,cat\nmissing.png,dog-1,dog\n")
    result = upload(sandbox, folder)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{folder / 'labels.csv'}:3: dog-1: column 'file': there is no file named 'missing.png'" in result.stdout
    [stored] = sandbox.stored_inputs()  # b.png is not on the list
    assert stored.id == "cat-1" and [c.id for c in stored.data.concepts] == ["cat"]


def test_a_folders_csv_that_names_no_files_says_so_and_how_to_upload_without_it(sandbox, tmp_path):
    (tmp_path / "a.png").write_bytes(PNG)
    (tmp_path / "notes.csv").write_text("name,score\nx,1\n")
    result = upload(sandbox, tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert (f"error: {tmp_path / 'notes.csv'} has no 'file' column naming the files (its header is: 'name', "
            "'score').\n  Name the column of file names 'file' in the first line, or take this CSV out of the "
            "folder or zip to upload every file in it.") in result.stderr
    assert sandbox.stored_inputs() == []


def test_a_zip_made_of_one_folder_is_read_as_that_folder(sandbox, tmp_path):
    """Compressing a folder (Finder, Explorer) puts every file under its name: its list still names the files,
    and a Roboflow export zipped as a folder still has its boxes."""
    path = tmp_path / "labelled.zip"
    path.write_bytes(zipped({"labelled/labels.csv": b"file,input_id,pos_concepts\na.png,cat-1,cat\nlost.png,dog-1,dog\n",
                             "labelled/a.png": PNG, "labelled/b.png": PNG + b"b"}))
    result = upload(sandbox, path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{path}:labelled/labels.csv:3: dog-1: column 'file': there is no file named 'lost.png'" in result.stdout
    [stored] = sandbox.stored_inputs()  # b.png is not on the list
    assert stored.id == "cat-1" and [c.id for c in stored.data.concepts] == ["cat"]

    sandbox.reset()
    path.write_bytes(zipped({"export/train/_annotations.csv": (ROBOFLOW_HEADER + "a.png,640,480,cat,64,48,320,240\n").encode(),
                             "export/train/a.png": PNG, "export/README.roboflow.txt": b"exported"}))
    result = upload(sandbox, path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert stored_boxes(sandbox) == [(content_id(PNG), "cat", (0.1, 0.1, 0.5, 0.5))]


def test_a_zipped_folder_of_class_folders_offers_the_classes_and_one_class_folder_its_class():
    sorted_pets = from_zip(io.BytesIO(zipped({"pets/cat/a.png": PNG, "pets/dog/b.png": PNG + b"b"})), "pets.zip")
    assert sorted_pets.folders == ("cat", "dog")
    cats = from_zip(io.BytesIO(zipped({"cat/a.png": PNG, "cat/b.png": PNG + b"b"})), "cat.zip")  # one class at a time
    assert cats.folders == ("cat",)
    assert cats.labelled_by_folder().manifest.decode().splitlines()[1] == f"a.png,{content_id(PNG)},cat"


def test_a_list_may_name_its_files_without_their_folder_or_extension(sandbox, tmp_path):
    """As Kaggle's datasets do: labels.csv at the top names train/a.png as 'a' or 'a.png'."""
    other, third = PNG + b"b", PNG + b"c"
    path = tmp_path / "kaggle.zip"
    path.write_bytes(zipped({"labels.csv": b"file,pos_concepts\na,cat\nb.png,dog\nc.png,cow\nd.png,owl\n",
                             "train/a.png": PNG, "train/b.png": other, "valid/c.png": third, "test/c.png": third}))
    result = upload(sandbox, path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert (f"{path}:labels.csv:4: " in result.stdout and f"column 'file': several files in {path} are named "
            "'c.png' - give the file's folder too, such as train/a.jpg" in result.stdout)
    assert f"column 'file': there is no file named 'd.png' in {path}" in result.stdout
    stored = {bytes(item.data.image.base64): [c.id for c in item.data.concepts] for item in sandbox.stored_inputs()}
    assert stored == {PNG: ["cat"], other: ["dog"]}


def test_a_zip_with_several_lists_uploads_by_the_one_named(sandbox, tmp_path):
    """Kaggle's zips hold train.csv beside test.csv and sample_submission.csv: --list says which names the files."""
    path = tmp_path / "kaggle.zip"
    path.write_bytes(zipped({"train.csv": b"image_id,label\na,cat\n", "test.csv": b"image_id\nb\n",
                             "sample_submission.csv": b"image_id,label\nb,dog\n",
                             "images/a.png": PNG, "images/b.png": PNG + b"b"}))
    refused = upload(sandbox, path)
    assert refused.returncode == 2 and not sandbox.stored_inputs()
    assert (f"error: Several lists were found in {path} (train.csv, test.csv, sample_submission.csv).\n"
            "  Name the one that names the files with --list train.csv (or another), or give --list '' to upload "
            "every file.") in refused.stderr
    result = upload(sandbox, path, "--list", "train.csv")
    assert result.returncode == 0, result.stdout + result.stderr
    assert [(bytes(i.data.image.base64), [c.id for c in i.data.concepts]) for i in sandbox.stored_inputs()] == [
        (PNG, ["cat"])]
    sandbox.reset()
    every = upload(sandbox, path, "--list", "")
    assert every.returncode == 0, every.stdout + every.stderr
    assert len(sandbox.stored_inputs()) == 2
    assert "train.csv, test.csv, sample_submission.csv" in every.stderr  # left out, by name


def test_a_list_of_one_column_per_class_gives_each_file_the_classes_it_has(sandbox, tmp_path):
    """Kaggle's multi-label lists (plant pathology: image_id, healthy, rust, scab as 0 or 1)."""
    other = PNG + b"b"
    path = tmp_path / "plants.zip"
    path.write_bytes(zipped({"train.csv": b"image_id,healthy,rust,scab\nTrain_0,0,1,1\n\nTrain_1,1,0,0\nlost,1,0,0\n",
                             "images/Train_0.png": PNG, "images/Train_1.png": other}))
    result = upload(sandbox, path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{path}:train.csv:5: " in result.stdout and "there is no file named 'lost'" in result.stdout  # its line
    assert "Ignoring columns" not in result.stderr
    stored = {bytes(i.data.image.base64): [c.id for c in i.data.concepts] for i in sandbox.stored_inputs()}
    assert stored == {PNG: ["rust", "scab"], other: ["healthy"]}

    sandbox.reset()  # a column holding another number is no class: the list is read as written
    path.write_bytes(zipped({"train.csv": b"image_id,healthy,score\nTrain_0,1,2\n", "images/Train_0.png": PNG}))
    result = upload(sandbox, path)
    assert "Ignoring columns this tool does not use: healthy, score." in result.stderr
    assert [list(i.data.concepts) for i in sandbox.stored_inputs()] == [[]]


def test_roboflows_multi_label_export_gives_each_image_the_classes_of_its_split_folders_list(sandbox, tmp_path):
    """Roboflow's multi-label classification export: `_classes.csv` in each split folder, filename then a 0/1
    column per class (with a space after each comma), naming the images beside it."""
    both, other = PNG + b"both", PNG + b"other"
    path = tmp_path / "fruit.zip"
    path.write_bytes(zipped({
        "README.roboflow.txt": b"Exported from roboflow.com",
        "train/_classes.csv": b"filename, apple, leaf\na.png, 1, 0\nb.png, 1, 1\ngone.png, 0, 1\n",
        "train/a.png": PNG, "train/b.png": both,
        "valid/_classes.csv": b"filename, apple, leaf\nc.png, 0, 1\n", "valid/c.png": other,
    }))
    result = upload(sandbox, path)
    assert result.returncode == 0, result.stdout + result.stderr
    stored = {bytes(i.data.image.base64): [c.id for c in i.data.concepts] for i in sandbox.stored_inputs()}
    assert stored == {PNG: ["apple"], both: ["apple", "leaf"], other: ["leaf"]}
    assert ("Left out 1 file that train/_classes.csv, valid/_classes.csv do not name (with such lists, only the "
            "files they name are inputs): README.roboflow.txt.") in result.stderr
    assert "1 file that train/_classes.csv, valid/_classes.csv name is not there: train/gone.png." in result.stderr


def test_a_hugging_face_image_folder_gives_each_image_its_label_and_its_other_fields_as_metadata(sandbox, tmp_path):
    """Hugging Face's ImageFolder: metadata.jsonl or metadata.csv (file_name, then any fields) at the top or in
    each split folder; a `text` field is a caption there, not an input's text."""
    cat, dog = PNG + b"cat", PNG + b"dog"
    path = tmp_path / "pets"
    files = {
        "README.md": b"---\nlicense: mit\n---\n# Pets\n",  # the dataset card
        "train/metadata.jsonl": b'{"file_name": "cat/0.png", "text": "A cat", "label": "kitten"}\n\n'
                                b'{"file_name": "1.png", "caption": "Nothing", "score": 3, "tags": ["a"], "x": null}\n',
        "train/cat/0.png": cat, "train/1.png": PNG,
        "test/metadata.csv": b"file_name,text\n2.png,A dog\ngone.png,Lost\n", "test/2.png": dog,
    }
    for file_name, data in files.items():
        (path / file_name).parent.mkdir(parents=True, exist_ok=True)
        (path / file_name).write_bytes(data)
    result = upload(sandbox, path, "--folder-concepts")  # a class folder's name joins the label
    assert result.returncode == 0, result.stdout + result.stderr
    stored = {bytes(i.data.image.base64): ([c.id for c in i.data.concepts], json_format.MessageToDict(i.data.metadata))
              for i in sandbox.stored_inputs()}
    assert stored == {cat: (["kitten", "cat"], {"text": "A cat"}), PNG: ([], {"caption": "Nothing", "score": 3.0, "tags": ["a"]}),
                      dog: ([], {"text": "A dog"})}
    assert "README.md" in result.stderr and "test/gone.png" in result.stderr

    (path / "train" / "metadata.jsonl").write_bytes(b'{"file_name": "1.png"}\n["not", "an", "object"]\n')
    broken = upload(sandbox, path)
    assert broken.returncode == 2
    assert f"{path / 'train' / 'metadata.jsonl'}, line 2: not a JSON object." in broken.stderr
    (path / "train" / "metadata.jsonl").write_bytes(b'{"file_name": "1.png"}\n{"a": ' + b"[" * 100_000 + b"}\n")
    deep = upload(sandbox, path)
    assert deep.returncode == 2 and "Traceback" not in deep.stderr
    assert f"{path / 'train' / 'metadata.jsonl'}, line 2: not readable JSON (nested too deeply to read)." in (
        deep.stderr)


def test_a_list_named_metadata_csv_written_for_this_tool_is_read_as_written(sandbox, tmp_path):
    path = tmp_path / "own.zip"
    path.write_bytes(zipped({"metadata.csv": b"file_name,input_id,pos_concepts\na.png,mine,cat\n", "a.png": PNG}))
    result = upload(sandbox, path)
    assert result.returncode == 0, result.stdout + result.stderr
    [item] = sandbox.stored_inputs()
    assert item.id == "mine" and [c.id for c in item.data.concepts] == ["cat"]


def test_a_datasets_notes_are_left_out_and_said_so(sandbox, tmp_path):
    """Roboflow's folder-structure export: class folders per split, and its READMEs at the top."""
    path = tmp_path / "pets.zip"
    path.write_bytes(zipped({"README.roboflow.txt": b"Exported", "README.dataset.txt": b"# Pets", "LICENSE": b"MIT",
                             "train/cat/a.png": PNG, "notes.txt": b"a text of mine"}))
    result = upload(sandbox, path, "--folder-concepts")
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(i.data.text.raw or "image" for i in sandbox.stored_inputs()) == ["a text of mine", "image"]
    assert "Left out 3 files of notes on the dataset: README.roboflow.txt, README.dataset.txt, LICENSE." in result.stderr


def test_a_file_that_cannot_be_sent_is_named_by_its_name_not_a_line(sandbox, tmp_path):
    """Without a list of its own, a folder's rows are its files: a problem names the file, not a line of the list
    this tool made, nor its content id."""
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "fine.txt").write_bytes(b"hello")
    (folder / "latin.txt").write_bytes("café".encode("latin-1"))
    result = upload(sandbox, folder)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{folder}: latin.txt: the text file is not UTF-8 - save it again as UTF-8 text" in result.stdout.splitlines()


def hugging_face_parquet(images: list[bytes]) -> bytes:
    """A Parquet file as Hugging Face writes an image dataset: image bytes and paths, a ClassLabel, a list of
    them, a caption; its features in the file's metadata; two rows a row group."""
    import pyarrow
    import pyarrow.parquet

    table = pyarrow.table({
        "image": [{"bytes": data, "path": f"photo_{n}.png"} for n, data in enumerate(images)],
        "label": [n % 2 for n in range(len(images))],
        "tags": [[0, 1] if n == 0 else [] for n in range(len(images))],
        "caption": [f"photo {n}" if n else None for n in range(len(images))],
    })
    features = {"image": {"_type": "Image"}, "label": {"names": ["cat", "dog"], "_type": "ClassLabel"},
                "tags": {"feature": {"names": ["indoor", "night"], "_type": "ClassLabel"}, "_type": "Sequence"},
                "caption": {"dtype": "string", "_type": "Value"}}
    table = table.replace_schema_metadata({b"huggingface": json.dumps({"info": {"features": features}}).encode()})
    out = io.BytesIO()
    pyarrow.parquet.write_table(table, out, row_group_size=2)
    return out.getvalue()


def test_a_hugging_face_parquet_file_uploads_each_image_with_its_labels_and_fields(sandbox, tmp_path):
    images = [PNG + bytes([n]) for n in range(3)]
    path = tmp_path / "train-00000-of-00001.parquet"
    path.write_bytes(hugging_face_parquet(images))
    result = upload(sandbox, path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 files in" in result.stdout and "3 uploaded" in result.stdout
    stored = {bytes(i.data.image.base64): ([c.id for c in i.data.concepts], json_format.MessageToDict(i.data.metadata))
              for i in sandbox.stored_inputs()}
    assert stored == {images[0]: (["cat", "indoor", "night"], {}), images[1]: (["dog"], {"caption": "photo 1"}),
                      images[2]: (["cat"], {"caption": "photo 2"})}

    import pyarrow.parquet
    table = pyarrow.parquet.read_table(path)
    gone = table.column("image").to_pylist()
    gone[1] = {"bytes": None, "path": "elsewhere.png"}  # a row that names its image without holding it
    pyarrow.parquet.write_table(table.set_column(0, "image", pyarrow.array(gone)), path)
    sandbox.reset()
    result = upload(sandbox, path)
    assert result.returncode == 0 and "2 uploaded" in result.stdout, result.stdout + result.stderr
    assert (f"1 file that {path.name} names is not there: 000002-elsewhere.png." in result.stderr)

    snapshot = tmp_path / "snapshot"  # a dataset downloaded from Hugging Face: the Parquet file among others
    (snapshot / "data").mkdir(parents=True)
    (snapshot / "data" / path.name).write_bytes(path.read_bytes())
    (snapshot / "README.md").write_bytes(b"# card")
    (snapshot / "cover.png").write_bytes(PNG)
    result = upload(sandbox, snapshot, "--dry-run")
    assert "A Parquet file's images are uploaded when it is chosen (or given) on its own." in result.stderr

    listed = upload(sandbox, path, "--list", "labels.csv")
    assert listed.returncode == 2 and "--list is for a folder or a zip of files." in listed.stderr
    (tmp_path / "not.parquet").write_bytes(b"PAR1 not really")
    broken = upload(sandbox, tmp_path / "not.parquet")
    assert broken.returncode == 2 and f"{tmp_path / 'not.parquet'} is not a readable Parquet file" in broken.stderr
    damaged = bytearray(hugging_face_parquet(images))
    damaged[8:200] = bytes(192)  # the first row group's pages, not the footer that describes them
    (tmp_path / "damaged.parquet").write_bytes(damaged)
    broken = upload(sandbox, tmp_path / "damaged.parquet")
    assert broken.returncode == 2 and "damaged.parquet: row group 1 cannot be read" in broken.stderr
    assert "Download the file again: it is damaged or cut short." in broken.stderr


def test_a_downloaded_hugging_face_dataset_uploads_every_parquet_shard_in_one_run(sandbox, tmp_path):
    """As `huggingface-cli download` leaves it: a card, a hidden .gitattributes, the split's shards in data/."""
    first, second = [PNG + bytes([n]) for n in range(3)], [PNG + bytes([n]) for n in range(3, 5)]
    snapshot = tmp_path / "beans"
    (snapshot / "data").mkdir(parents=True)
    (snapshot / "data" / "train-00001-of-00002.parquet").write_bytes(hugging_face_parquet(second))
    (snapshot / "data" / "train-00000-of-00002.parquet").write_bytes(hugging_face_parquet(first))
    (snapshot / "README.md").write_bytes(b"---\nlicense: mit\n---\n# Beans")
    (snapshot / ".gitattributes").write_bytes(b"*.parquet filter=lfs")
    result = upload(sandbox, snapshot)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 files in" in result.stdout and "5 uploaded" in result.stdout
    stored = {bytes(i.data.image.base64): [c.id for c in i.data.concepts] for i in sandbox.stored_inputs()}
    assert stored == {first[0]: ["cat", "indoor", "night"], first[1]: ["dog"], first[2]: ["cat"],
                      second[0]: ["cat", "indoor", "night"], second[1]: ["dog"]}

    (snapshot / "data" / "train-00001-of-00002.parquet").write_bytes(b"PAR1 cut short")
    broken = upload(sandbox, snapshot, "--dry-run")
    assert broken.returncode == 2, broken.stdout + broken.stderr
    assert f"{snapshot / 'data' / 'train-00001-of-00002.parquet'} is not a readable Parquet file" in broken.stderr


def test_a_datasets_splits_uploaded_together_each_say_their_split_in_the_metadata(sandbox, tmp_path):
    snapshot = tmp_path / "beans"
    (snapshot / "data").mkdir(parents=True)
    (snapshot / "data" / "train-00000-of-00001.parquet").write_bytes(hugging_face_parquet([PNG + b"t"]))
    (snapshot / "data" / "test-00000-of-00001.parquet").write_bytes(hugging_face_parquet([PNG + b"e"]))
    result = upload(sandbox, snapshot)
    assert result.returncode == 0, result.stdout + result.stderr
    stored = {bytes(i.data.image.base64): json_format.MessageToDict(i.data.metadata) for i in sandbox.stored_inputs()}
    assert stored == {PNG + b"t": {"split": "train"}, PNG + b"e": {"split": "test"}}



@pytest.mark.parametrize("names", [2, {"0": "cat"}, [None, ["cat"]]])
def test_class_label_names_that_are_no_list_of_texts_leave_the_number_in_the_metadata(sandbox, tmp_path, names):
    import pyarrow
    import pyarrow.parquet

    table = pyarrow.table({"image": [{"bytes": PNG, "path": "a.png"}], "label": [0]})
    features = {"image": {"_type": "Image"}, "label": {"names": names, "_type": "ClassLabel"}}
    path = tmp_path / "odd.parquet"
    pyarrow.parquet.write_table(table.replace_schema_metadata(
        {b"huggingface": json.dumps({"info": {"features": features}}).encode()}), path)
    result = upload(sandbox, path)
    assert result.returncode == 0, result.stdout + result.stderr
    [item] = sandbox.stored_inputs()
    assert not item.data.concepts and json_format.MessageToDict(item.data.metadata) == {"label": 0.0}


@pytest.mark.parametrize("cell", [{"bytes": "text, not bytes", "path": "a.png"}, {"bytes": PNG, "path": 7}])
def test_a_column_of_bytes_and_paths_of_other_types_holds_no_files(sandbox, tmp_path, cell):
    import pyarrow
    import pyarrow.parquet

    path = tmp_path / "odd.parquet"
    pyarrow.parquet.write_table(pyarrow.table({"image": [cell]}), path)
    result = upload(sandbox, path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert (f"{path} holds no images, audio or other files (no column of file bytes and paths, as Hugging Face "
            "stores them: the bytes binary, the path text).") in result.stderr


def test_a_parquet_column_python_cannot_hold_is_named(sandbox, tmp_path):
    import pyarrow
    import pyarrow.parquet

    path = tmp_path / "far.parquet"
    taken = pyarrow.array([10**12], pyarrow.timestamp("s"))  # in the year 33658
    pyarrow.parquet.write_table(pyarrow.table({"image": [{"bytes": PNG, "path": "a.png"}], "taken": taken}), path)
    result = upload(sandbox, path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{path}: its column 'taken' holds a value that cannot be read (date value out of range)." in result.stderr
    assert "Export the file again" in result.stderr
