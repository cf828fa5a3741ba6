"""The page with files from the person's computer (issue 7) and with files in another encoding.

Files chosen one by one, or a zip (with or without a CSV naming its files), are sent as bytes;
each test asserts what the page shows and what the sandbox stored.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import struct
import zipfile
import zlib

import PIL.Image
import PIL.ImageColor
import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from google.protobuf.json_format import MessageToDict
from streamlit.testing.v1 import AppTest

from ingest.check import check_file
from ingest.local import content_id, from_zip
from ingest.pictures import BOX_COLORS
from ingest.sandbox import Sandbox
from tests.conftest import stored_boxes, stored_regions, stub_for
from tests.test_app import choose, keys, metrics, page, run_until, texts, upload, upload_finished
from tests.test_app_more import browse, choose_boxes, polygons_tick
from tests.test_local_files import hugging_face_parquet, labelme, shape


def png(rgb: tuple[int, int, int]) -> bytes:
    """A valid 2x2 PNG of one colour: different colours, different bytes (and so different ids)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * 2 for _ in range(2))  # filter byte, then two RGB pixels
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


RED, GREEN, BLUE = png((230, 40, 40)), png((40, 200, 90)), png((40, 90, 230))


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def choose_files(at: AppTest, *files: tuple[str, bytes], uploader: str = "files_") -> AppTest:
    """'Files from my computer', then these files in its file chooser (or its folder chooser: `uploader="folder_"`,
    each file named within the folder, as the browser sends them)."""
    at.radio(key="source_kind").set_value("files").run()
    uploader = next(u for u in at.get("file_uploader") if u.key.startswith(uploader))
    uploader.set_value([(name, data, "application/octet-stream") for name, data in files]).run()
    assert not at.exception
    return at


def stored(sandbox: Sandbox) -> dict[str, resources_pb2.Input]:
    return {item.id: item for item in sandbox.stored_inputs()}


def test_several_files_chosen_are_previewed_with_thumbnails_and_sent_as_bytes(server_env: Sandbox) -> None:
    note = "A short note about the photos, é and all.".encode()
    at = choose_files(page(), ("red.png", RED), ("green.png", GREEN), ("blue.png", BLUE), ("note.txt", note))

    assert metrics(at) == {"Files found": "4", "Ready to upload": "4", "Need fixing": "0"}
    assert "Match your columns" not in [e.label for e in at.expander]  # the page made the list: nothing to match
    preview = at.dataframe[0].value.set_index("File")
    assert list(preview.index) == ["red.png", "green.png", "blue.png", "note.txt"]
    assert list(preview["Kind"]) == ["image", "image", "image", "text"]
    assert all(preview.loc[["red.png", "green.png", "blue.png"], "Image"].str.startswith("data:image/"))
    assert preview.loc["note.txt", "Text"] == note.decode()
    assert preview.loc["red.png", "Input id"] == content_id(RED)
    assert "Web address" not in preview  # no row has one
    assert "Line" not in preview  # of the list the page made: nothing the person could look up
    assert at.button(key="upload").label == "Upload 4 files"
    assert f"The files go to sandbox/demo at {server_env.address}." in texts(at.caption)

    upload(at)
    assert "every row is in" in texts(at.success)
    items = stored(server_env)
    assert set(items) == {content_id(RED), content_id(GREEN), content_id(BLUE), content_id(note)}
    assert items[content_id(RED)].data.image.base64 == RED
    assert items[content_id(BLUE)].data.image.base64 == BLUE
    assert items[content_id(note)].data.text.raw == note.decode()
    results = at.dataframe[-1].value.set_index("Input id")
    assert results.loc[content_id(GREEN), "File"] == "green.png"  # the results name the file, not a url
    assert set(results["Status"]) == {"uploaded"} and "Line" not in results

    # The Browse tab shows the stored images' own pictures: the app's copies, fetched as from the hosted API.
    at.session_state["view"] = "Browse the app"
    at.run()
    browsed = at.tabs[1].dataframe[0].value.set_index("Input id")
    for input_id, color in ((content_id(RED), (230, 40, 40)), (content_id(BLUE), (40, 90, 230))):
        shown = PIL.Image.open(io.BytesIO(base64.b64decode(browsed.loc[input_id, "Image"].split(",", 1)[1])))
        assert max(abs(a - b) for a, b in zip(shown.convert("RGB").getpixel((0, 0)), color)) < 20
        assert browsed.loc[input_id, "Web address"] == ""  # the app's copy needs the key: no link to it


def test_two_files_of_the_same_name_are_both_kept_and_stored_once(server_env: Sandbox) -> None:
    at = choose_files(page(), ("photo.png", RED), ("photo.png", GREEN))
    assert list(at.dataframe[0].value["File"]) == ["photo.png", "photo (2).png"]
    upload(at)
    assert {i.data.image.base64 for i in server_env.stored_inputs()} == {RED, GREEN}
    upload(at)  # the same files again: their ids are their bytes' hashes, so each is stored once
    assert metrics(at).items() >= {"Uploaded": "0", "Already there": "2", "Failed": "0"}.items()
    assert len(server_env.stored_inputs()) == 2


def test_a_text_file_sent_twice_is_already_there(server_env: Sandbox) -> None:
    at = choose_files(page(), ("note.txt", b"the same words"))
    upload(at)
    upload(at)
    assert metrics(at).items() >= {"Already there": "1", "Failed": "0"}.items()


LABELS = (
    "file,input_id,pos_concepts,metadata\n"
    'red.png,red-1,red|warm,"{""shade"": ""crimson""}"\n'
    "missing.png,gone-1,grey,\n"
    "blue.png,blue-1,blue,\n"
)


def test_a_zip_with_a_csv_naming_its_files_uploads_them_with_labels(server_env: Sandbox) -> None:
    # Another input holds the id blue-1, so that row fails; the retry after it is gone sends blue.png's bytes.
    take_id(server_env, "blue-1")
    data = zipped({"labels.csv": LABELS.encode(), "red.png": RED, "blue.png": BLUE, "unnamed.png": GREEN})
    at = choose_files(page(), ("photos.zip", data))

    assert metrics(at) == {"Rows found": "3", "Ready to upload": "2", "Need fixing": "1"}
    assert "Columns read as" in texts(at.caption)
    preview = at.dataframe[0].value.set_index("Input id")
    assert list(preview["Status"]) == ["ready", "needs fixing", "ready"]
    assert preview.loc["red-1", "Image"].startswith("data:image/")
    assert list(preview.loc["red-1", "Concepts"]) == ["red", "warm"]
    assert preview.loc["gone-1", "File"] == "missing.png"
    # The missing file in the words the upload will use, where and how to fix it.
    files = from_zip(io.BytesIO(data), "photos.zip")
    [error] = check_file(io.BytesIO(files.manifest), files.source_name, files=files).errors
    problems = at.table[0].value
    assert list(problems["Line"]) == [3] and list(problems["Column"]) == ["file"]
    assert list(problems["What is wrong"]) == ["there is no file named 'missing.png' in photos.zip"]
    assert list(problems["How to fix it"]) == ["check the name and its folder"]
    assert at.button(key="upload").label == "Upload 2 rows"

    upload(at)
    assert metrics(at).items() >= {"Uploaded": "1", "Invalid": "1", "Failed": "1"}.items()
    items = stored(server_env)
    assert set(items) == {"red-1", "blue-1"}  # the file the CSV does not name is not sent
    assert items["red-1"].data.image.base64 == RED
    assert [c.id for c in items["red-1"].data.concepts] == ["red", "warm"]
    assert MessageToDict(items["red-1"].data.metadata) == {"shade": "crimson"}
    assert "Upload of labels.csv in photos.zip" in texts(at.subheader)
    results = at.dataframe[-1].value.set_index("Input id")
    assert results.loc["gone-1", "Reason"] == error.reason  # the preview said what the upload says
    assert results.loc["gone-1", "File"] == "missing.png" and results.loc["red-1", "File"] == "red.png"
    assert "id is taken" in results.loc["blue-1", "Reason"] and results.loc["blue-1", "File"] == "blue.png"

    free_id(server_env, "blue-1")
    at.button(key="retry").click().run()
    run_until(at, upload_finished)
    assert metrics(at).items() >= {"Uploaded": "1", "Failed": "0"}.items()
    assert "The failed rows of labels.csv in photos.zip, sent again." in texts(at.caption)
    retried = at.dataframe[-1].value
    assert list(retried["Line"]) == [4] and list(retried["File"]) == ["blue.png"]  # the line in labels.csv
    assert stored(server_env)["blue-1"].data.image.base64 == BLUE


def test_a_file_row_to_fix_shows_its_file_and_no_web_address() -> None:
    import streamlit_app

    files = from_zip(io.BytesIO(zipped({"red.png": RED, "labels.csv": b'file,metadata\nred.png,"{oops"\n'})),
                     "photos.zip")
    check = check_file(io.BytesIO(files.manifest), files.source_name, files=files)
    preview = streamlit_app.preview_frame(check, files)
    assert list(preview["File"]) == ["red.png"] and list(preview["Status"]) == ["needs fixing"]
    assert "Web address" not in preview  # the row names a file, not a url


def test_a_chosen_file_that_cannot_be_sent_is_named_with_what_to_do() -> None:
    at = choose_files(page(), ("red.png", RED), ("latin.txt", "café".encode("latin-1")))
    assert metrics(at).items() >= {"Files found": "2", "Ready to upload": "1", "Need fixing": "1"}.items()
    assert "**1 file needs fixing.** They will be skipped. Fix them and choose them again." in texts(at.markdown)
    [problem] = at.table[0].value.to_dict("records")
    assert problem == {"File": "latin.txt", "What is wrong": "the text file is not UTF-8",
                       "How to fix it": "save it again as UTF-8 text"}
    assert "invalid_download" not in keys(at, "download_button")  # the list the page made is nothing to fix


@pytest.mark.parametrize(
    ("files", "message", "hint"),
    [
        ((("evil.zip", zipped({"../evil.png": RED})),),
         "evil.zip holds a file named '../evil.png', which points outside the archive.",
         "This zip may have been made to attack; make a new zip of the files themselves."),
        ((("broken.zip", b"PK\x03\x04 not really a zip"),),
         "broken.zip is not a readable zip archive.", "Make the zip again, or choose the files themselves."),
        ((("photos.zip", zipped({"a.png": RED})), ("b.png", GREEN)),
         "A zip and other files were chosen together.", "Choose one zip, or the files themselves without a zip."),
        ((("empty.zip", zipped({"__MACOSX/._a.png": b"junk"})),),
         "empty.zip holds no images, videos, audio or text files to upload.",
         "Choose the folder or zip that holds them, or a list of their web addresses."),
    ],
    ids=["escaping-name", "damaged", "zip-and-files", "empty"],
)
def test_an_unusable_choice_gets_a_plain_message_and_sends_nothing(
    server_env: Sandbox, files: tuple[tuple[str, bytes], ...], message: str, hint: str
) -> None:
    at = choose_files(page(), *files)
    assert [e.value for e in at.error] == [f"{message}\n\n{hint}"]
    assert "Something went wrong" not in str(at.main)
    assert at.button(key="upload").disabled
    assert "Choose the files, a folder or a zip above." in texts(at.caption)
    assert not server_env.stored_inputs()


# --- encoding -------------------------------------------------------------------------------------------

CP1252 = ('url,input_id,pos_concepts,metadata\n'
          'https://h.test/cafe.jpg,cafe-1,café,"{""place"": ""Café de Flore""}"\n'
          'https://h.test/creme.jpg,creme-1,crème brûlée,\n').encode("cp1252")


def take_id(sandbox: Sandbox, input_id: str) -> None:
    """Store another input under `input_id`, so a row that uses it fails as taken."""
    stub, metadata = stub_for(sandbox)
    stub.PostInputs(service_pb2.PostInputsRequest(user_app_id=user_app(sandbox), inputs=[resources_pb2.Input(
        id=input_id, data=resources_pb2.Data(image=resources_pb2.Image(url="https://h.test/other.jpg")))]),
        metadata=metadata)


def free_id(sandbox: Sandbox, input_id: str) -> None:
    """Delete the input under `input_id`, so a retry can use it."""
    stub, metadata = stub_for(sandbox)
    stub.DeleteInputs(service_pb2.DeleteInputsRequest(user_app_id=user_app(sandbox), ids=[input_id]),
                      metadata=metadata)


def user_app(sandbox: Sandbox) -> resources_pb2.UserAppIDSet:
    return resources_pb2.UserAppIDSet(user_id=sandbox.config.user_id, app_id=sandbox.config.app_id)


def encoding_box(at: AppTest):
    return next(s for s in at.selectbox if s.key and s.key.startswith("enc_"))


def test_boxes_may_name_the_chosen_files_and_the_results_name_each_file(server_env: Sandbox) -> None:
    at = choose_files(page(), ("red.png", RED), ("green.png", GREEN))
    choose_boxes(at, "annotations.csv", b"filename,width,height,class,xmin,ymin,xmax,ymax\n"
                                        b"green.png,1,1,leaf,0,0,1,1\n")
    preview = at.dataframe[0].value.set_index("File")  # the chosen boxes are drawn before anything is sent
    drawn = PIL.Image.open(io.BytesIO(base64.b64decode(preview.loc["green.png", "Image"].split(",", 1)[1])))
    leaf = PIL.ImageColor.getrgb(BOX_COLORS[0])
    assert max(abs(a - b) for a, b in zip(drawn.convert("RGB").getpixel((1, 1)), leaf)) < 40
    upload(at)
    assert metrics(at).items() >= {"Uploaded": "2", "Boxes uploaded": "1", "Boxes failed": "0"}.items()
    assert stored_boxes(server_env) == [(content_id(GREEN), "leaf", (0.0, 0.0, 1.0, 1.0))]
    results = at.dataframe[-1].value.set_index("Input id")
    assert results.loc[content_id(RED), "File"] == "red.png" and results.loc[content_id(GREEN), "File"] == "green.png"


def test_a_coco_file_may_give_the_chosen_files_boxes(server_env: Sandbox) -> None:
    coco = {"categories": [{"id": 1, "name": "leaf"}], "images": [{"id": 5, "file_name": "green.png", "width": 2,
            "height": 2}], "annotations": [{"id": 1, "image_id": 5, "category_id": 1, "bbox": [0, 0, 1, 2]}]}
    at = choose_files(page(), ("red.png", RED), ("green.png", GREEN))
    choose_boxes(at, "annotations.coco.json", json.dumps(coco).encode())
    assert "**annotations.coco.json: 1 box, 1 ready.**" in texts(at.markdown)
    upload(at)
    assert metrics(at).items() >= {"Uploaded": "2", "Boxes uploaded": "1", "Boxes failed": "0"}.items()
    assert stored_boxes(server_env) == [(content_id(GREEN), "leaf", (0.0, 0.0, 0.5, 1.0))]


def test_a_zip_holding_a_detection_export_previews_its_boxes_and_adds_them(server_env: Sandbox) -> None:
    boxes = b"filename,width,height,class,xmin,ymin,xmax,ymax\nred.png,1,1,apple,0,0,1,1\nred.png,1,1,x,,,,\n"
    at = choose_files(page(), ("export.zip", zipped({"red.png": RED, "green.png": GREEN, "_annotations.csv": boxes})))
    assert metrics(at).items() >= {"Files found": "2", "Ready to upload": "2"}.items()
    assert "**export.zip:_annotations.csv: 2 boxes, 1 ready, 1 needs fixing.**" in texts(at.markdown)
    upload(at)
    assert metrics(at).items() >= {"Uploaded": "2", "Boxes uploaded": "1", "Boxes invalid": "1"}.items()
    assert stored_boxes(server_env) == [(content_id(RED), "apple", (0.0, 0.0, 1.0, 1.0))]


def test_an_export_with_a_boxes_file_per_split_folder_previews_and_adds_each_files_boxes(server_env: Sandbox) -> None:
    header = b"filename,width,height,class,xmin,ymin,xmax,ymax\n"
    export = zipped({"README.roboflow.txt": b"Exported from roboflow.com",
                     "train/_annotations.csv": header + b"red.png,10,10,apple,0,0,5,5\nred.png,10,10,,0,0,5,5\n",
                     "train/red.png": RED,
                     "valid/_annotations.csv": header + b"green.png,10,10,leaf,0,0,10,10\n"
                                                        b"green.png,10,10,leaf,0,0,20,1\n",
                     "valid/green.png": GREEN})
    at = choose_files(page(), ("export.zip", export))
    assert metrics(at).items() >= {"Files found": "2", "Ready to upload": "2"}.items()
    assert "**export.zip:train/_annotations.csv: 2 boxes, 1 ready, 1 needs fixing.**" in texts(at.markdown)
    assert "**export.zip:valid/_annotations.csv: 2 boxes, 1 ready, 1 needs fixing.**" in texts(at.markdown)
    assert ("Left out 1 file that is not an image (with boxes files, only the images are inputs): README.roboflow.txt."
            in texts(at.caption))
    preview = at.dataframe[0].value.set_index("File")
    drawn = PIL.Image.open(io.BytesIO(base64.b64decode(preview.loc["valid/green.png", "Image"].split(",", 1)[1])))
    leaf = PIL.ImageColor.getrgb(BOX_COLORS[1])  # the second concept of apple and leaf: its box covers the image
    assert max(abs(a - b) for a, b in zip(drawn.convert("RGB").getpixel((1, 1)), leaf)) < 40
    upload(at)
    assert metrics(at).items() >= {"Uploaded": "2", "Boxes uploaded": "2", "Boxes invalid": "2"}.items()
    assert stored_boxes(server_env) == sorted([(content_id(RED), "apple", (0.0, 0.0, 0.5, 0.5)),
                                               (content_id(GREEN), "leaf", (0.0, 0.0, 1.0, 1.0))])
    problems = at.dataframe[-1].value
    assert sorted(zip(problems["Boxes file"], problems["Line"])) == [
        ("export.zip:train/_annotations.csv", 3), ("export.zip:valid/_annotations.csv", 3)]
    assert "Line numbers are those of each boxes file." in texts(at.caption)


def test_a_pascal_voc_export_previews_its_xml_files_as_one_and_adds_their_boxes(server_env: Sandbox) -> None:
    def voc(file_name: str, box: str) -> bytes:
        return (f"<annotation><filename>{file_name}</filename><size><width>2</width><height>2</height></size>"
                f"<object><name>apple</name><bndbox>{box}</bndbox></object></annotation>").encode()

    export = zipped({"train/red.png": RED, "train/red.xml": voc("red.png", "<xmin>0</xmin><ymin>0</ymin>"
                                                                "<xmax>1</xmax><ymax>1</ymax>"),
                     "valid/green.png": GREEN, "valid/green.xml": voc("green.png", "<xmin>0</xmin>")})
    at = choose_files(page(), ("export.zip", export))
    assert metrics(at).items() >= {"Files found": "2", "Ready to upload": "2"}.items()
    assert "**2 Pascal VOC files in export.zip: 2 boxes, 1 ready, 1 needs fixing.**" in texts(at.markdown)
    [to_fix] = at.table[-1].value.to_dict("records")
    assert (to_fix["File"], to_fix["What is wrong"]) == (
        "export.zip:valid/green.xml", "object 1 (apple): its <bndbox> lacks a number in xmin, ymin, xmax or ymax")
    upload(at)
    assert metrics(at).items() >= {"Uploaded": "2", "Boxes uploaded": "1", "Boxes invalid": "1"}.items()
    assert stored_boxes(server_env) == [(content_id(RED), "apple", (0.0, 0.0, 0.5, 0.5))]
    [not_added] = at.dataframe[-1].value.to_dict("records")  # a zip's boxes name files and no input ids
    assert (not_added["File"], not_added["Line"], "Input id" in not_added) == ("green.png", 1, False)
    assert ("Line numbers are those of export.zip:valid/green.xml (in COCO, Create ML and Pascal VOC files, the "
            "box's place among the file's images or annotations).") in texts(at.caption)


def test_an_export_of_images_without_objects_says_it_holds_no_boxes() -> None:
    empty = b"<annotation><filename>red.png</filename><size><width>2</width><height>2</height></size></annotation>"
    at = choose_files(page(), ("export.zip", zipped({"red.png": RED, "red.xml": empty})))
    assert "1 Pascal VOC file in export.zip holds no boxes: the images are uploaded without any." in texts(at.warning)
    assert not at.button(key="upload").disabled


def test_a_yolo_export_previews_its_label_files_as_one_and_adds_their_boxes(server_env: Sandbox) -> None:
    export = zipped({"data.yaml": b"names: ['apple', 'leaf']\n", "train/images/red.png": RED,
                     "train/labels/red.txt": b"0 0.25 0.25 0.5 0.5\n", "valid/images/green.png": GREEN,
                     "valid/labels/green.txt": b"1 0.5 0.5 1 1\n3 0.5 0.5 1 1\n"})
    at = choose_files(page(), ("export.zip", export))
    assert metrics(at).items() >= {"Files found": "2", "Ready to upload": "2"}.items()
    assert "**2 YOLO label files in export.zip: 3 boxes, 2 ready, 1 needs fixing.**" in texts(at.markdown)
    [to_fix] = at.table[-1].value.to_dict("records")
    assert (to_fix["File"], to_fix["Line"], to_fix["What is wrong"]) == (
        "export.zip:valid/labels/green.txt", 2, "the class '3' is not one of the 2 classes data.yaml names")
    preview = at.dataframe[0].value.set_index("File")
    drawn = PIL.Image.open(io.BytesIO(base64.b64decode(preview.loc["valid/images/green.png", "Image"].split(",", 1)[1])))
    leaf = PIL.ImageColor.getrgb(BOX_COLORS[1])  # the second concept: its box covers the image
    assert max(abs(a - b) for a, b in zip(drawn.convert("RGB").getpixel((1, 1)), leaf)) < 40
    upload(at)
    assert metrics(at).items() >= {"Uploaded": "2", "Boxes uploaded": "2", "Boxes invalid": "1"}.items()
    assert stored_boxes(server_env) == sorted([(content_id(RED), "apple", (0.0, 0.0, 0.5, 0.5)),
                                               (content_id(GREEN), "leaf", (0.0, 0.0, 1.0, 1.0))])


def test_a_segmentation_export_offers_its_outlines_as_polygons_and_draws_what_will_be_sent(server_env: Sandbox
                                                                                            ) -> None:
    picture = io.BytesIO()
    PIL.Image.new("RGB", (100, 100), "white").save(picture, "PNG")
    white = picture.getvalue()
    export = zipped({"data.yaml": b"names: ['leaf']\n", "images/a.png": white,
                     "labels/a.txt": b"0 0.1 0.1 0.1 0.9 0.9 0.9\n"})  # a triangle: Ultralytics' segment
    at = choose_files(page(), ("export.zip", export))
    polygons = polygons_tick(at)
    assert polygons.label == "Send the outlines as polygons (for segmentation), not the boxes around them"
    assert polygons.help.startswith("1 box is drawn as an outline (a COCO segmentation, a YOLO segment or a polygon)")

    def drawn(image: str, columns: range, rows: range) -> bool:  # yellow on white: little blue where it is drawn
        assert PIL.ImageColor.getrgb(BOX_COLORS[0])[2] == 0
        picture = PIL.Image.open(io.BytesIO(base64.b64decode(image.split(",", 1)[1]))).convert("RGB")
        return any(picture.getpixel((x, y))[2] < 150 for x in columns for y in rows)

    box_corner, left_side = (range(80, 88), range(7, 14)), (range(6, 14), range(48, 52))  # in a 96-pixel thumbnail
    assert drawn(at.dataframe[0].value["Image"][0], *box_corner)  # the box is sent, and drawn
    polygons.check().run()
    shown = at.dataframe[0].value["Image"][0]
    assert drawn(shown, *left_side) and not drawn(shown, *box_corner)  # the outline is
    upload(at)
    assert metrics(at).items() >= {"Uploaded": "1", "Boxes uploaded": "1"}.items()
    assert stored_regions(server_env) == [(content_id(white), "leaf", "polygon", (0.1, 0.1, 0.1, 0.9, 0.9, 0.9))]
    shown = browse(at).tabs[1].dataframe[0].value["Image"][0]  # the app's polygon, drawn as such
    assert drawn(shown, *left_side) and not drawn(shown, *box_corner)


def test_labelme_files_chosen_with_their_images_give_them_their_polygons(server_env: Sandbox) -> None:
    drawn = labelme("red.png", shape("apple", "polygon", (0, 0), (2, 0), (1, 2)), width=2, height=2)
    at = choose_files(page(), ("red.png", RED), ("red.json", drawn), ("green.png", GREEN))
    assert metrics(at).items() >= {"Files found": "2", "Ready to upload": "2"}.items()  # the JSON is no input
    assert "**1 LabelMe file in 3 chosen files: 1 box, 1 ready.**" in texts(at.markdown)
    polygons_tick(at).check().run()
    upload(at)
    assert metrics(at).items() >= {"Uploaded": "2", "Boxes uploaded": "1"}.items()
    assert stored_regions(server_env) == [(content_id(RED), "apple", "polygon", (0.0, 0.0, 1.0, 0.0, 0.5, 1.0))]


def test_files_chosen_with_their_list_and_labels_are_read_as_a_zips_are(server_env: Sandbox) -> None:
    """A list and a detection export's label files chosen with the images, not zipped: the list names the files,
    the labels give boxes, and neither is uploaded as a text."""
    listing = b"file,input_id,pos_concepts\nred.png,red-1,warm\nblue.png,blue-1,cold\n"
    at = choose_files(page(), ("red.png", RED), ("blue.png", BLUE), ("labels.csv", listing))
    assert metrics(at).items() >= {"Rows found": "2", "Ready to upload": "2"}.items()
    upload(at)
    assert {i.id: [c.id for c in i.data.concepts] for i in server_env.stored_inputs()} == {
        "red-1": ["warm"], "blue-1": ["cold"]}

    server_env.reset()
    at = choose_files(page(), ("red.png", RED), ("red.txt", b"0 0.25 0.25 0.5 0.5\n"), ("green.png", GREEN),
                      ("green.txt", b"1 0.5 0.5 1 1\n"), ("classes.txt", b"apple\nleaf\n"))
    assert metrics(at).items() >= {"Files found": "2", "Ready to upload": "2"}.items()
    assert "**2 YOLO label files in 5 chosen files: 2 boxes, 2 ready.**" in texts(at.markdown)
    upload(at)
    assert [i.id for i in server_env.stored_inputs()] == [content_id(RED), content_id(GREEN)]  # no label as a text
    assert stored_boxes(server_env) == sorted([(content_id(RED), "apple", (0.0, 0.0, 0.5, 0.5)),
                                               (content_id(GREEN), "leaf", (0.0, 0.0, 1.0, 1.0))])


def test_a_hugging_face_metadata_jsonl_chosen_with_its_images_labels_them(server_env: Sandbox) -> None:
    listing = b'{"file_name": "red.png", "label": "warm", "text": "A red square"}\n'
    at = choose_files(page(), ("red.png", RED), ("blue.png", BLUE), ("metadata.jsonl", listing))
    preview = at.dataframe[0].value.set_index("File")
    assert list(preview.index) == ["red.png"]  # the list names the inputs
    assert list(preview.loc["red.png", "Concepts"]) == ["warm"]
    assert json.loads(preview.loc["red.png", "Metadata"]) == {"text": "A red square"}
    assert "Left out 1 file that metadata.jsonl does not name" in texts(at.caption)
    assert "Concepts and metadata read from metadata.jsonl." in texts(at.caption)
    upload(at)
    [item] = server_env.stored_inputs()
    assert [c.id for c in item.data.concepts] == ["warm"] and item.data.metadata["text"] == "A red square"


def test_a_hugging_face_parquet_file_is_previewed_and_uploaded_image_by_image(server_env: Sandbox) -> None:
    at = choose_files(page(), ("beans.parquet", hugging_face_parquet([RED, GREEN, BLUE])))
    assert metrics(at) == {"Files found": "3", "Ready to upload": "3", "Need fixing": "0"}
    assert "Concepts and metadata read from beans.parquet." in texts(at.caption)
    preview = at.dataframe[0].value.set_index("File")
    assert list(preview.index) == ["000001-photo_0.png", "000002-photo_1.png", "000003-photo_2.png"]
    assert [list(concepts) for concepts in preview["Concepts"]] == [["cat", "indoor", "night"], ["dog"], ["cat"]]
    assert preview["Image"].str.startswith("data:image/").all()  # thumbnails made from the bytes in the file
    upload(at)
    assert {bytes(i.data.image.base64): [c.id for c in i.data.concepts] for i in server_env.stored_inputs()} == {
        RED: ["cat", "indoor", "night"], GREEN: ["dog"], BLUE: ["cat"]}


def test_a_chosen_folder_of_a_hugging_face_datasets_shards_is_one_upload(server_env: Sandbox) -> None:
    at = choose_files(page(), ("beans/README.md", b"# Beans"),
                      ("beans/data/train-00001-of-00002.parquet", hugging_face_parquet([BLUE])),
                      ("beans/data/train-00000-of-00002.parquet", hugging_face_parquet([RED, GREEN])),
                      uploader="folder_")
    assert metrics(at) == {"Files found": "3", "Ready to upload": "3", "Need fixing": "0"}
    assert ("Concepts and metadata read from train-00000-of-00002.parquet and train-00001-of-00002.parquet."
            in texts(at.caption))
    preview = at.dataframe[0].value.set_index("File")
    assert list(preview.index) == ["000001-photo_0.png", "000002-photo_1.png", "000003-photo_0.png"]
    upload(at)
    assert {bytes(i.data.image.base64): [c.id for c in i.data.concepts] for i in server_env.stored_inputs()} == {
        RED: ["cat", "indoor", "night"], GREEN: ["dog"], BLUE: ["cat", "indoor", "night"]}


def test_files_chosen_with_an_excel_list_get_its_concepts(server_env: Sandbox) -> None:
    from tests.test_read import workbook

    labels = workbook({"A1": "file", "B1": "pos_concepts", "A2": "red.png", "B2": "warm", "A3": "blue.png", "B3": "cold"})
    at = choose_files(page(), ("red.png", RED), ("blue.png", BLUE), ("labels.xlsx", labels))
    assert metrics(at).items() >= {"Rows found": "2", "Ready to upload": "2"}.items()
    upload(at)
    assert {bytes(i.data.image.base64): [c.id for c in i.data.concepts] for i in server_env.stored_inputs()} == {
        RED: ["warm"], BLUE: ["cold"]}


def test_a_list_chosen_as_a_file_is_read_by_the_names_datasets_give_its_columns(server_env: Sandbox) -> None:
    """Kaggle's image_id and label; a list of web addresses chosen here is read as one."""
    at = choose_files(page(), ("red.png", RED), ("train.csv", b"image_id,label\nred,warm\n"))
    assert not at.warning and metrics(at).items() >= {"Rows found": "1", "Ready to upload": "1"}.items()
    role = {key.split("_")[1]: at.selectbox(key=key).value for key in keys(at, "selectbox") if key.startswith("role_")}
    assert (role["file"], role["pos"]) == ("image_id", "label")  # Match your columns shows them as read
    upload(at)
    assert [[c.id for c in i.data.concepts] for i in server_env.stored_inputs()] == [["warm"]]

    at = choose_files(page(), ("urls.csv", b"url,pos_concepts\nhttps://h.test/a.jpg,cat\n"))
    assert metrics(at).items() >= {"Rows found": "1", "Ready to upload": "1"}.items()


def test_a_zip_with_several_lists_asks_which_one_names_the_files(server_env: Sandbox) -> None:
    export = zipped({"train.csv": b"image_id,label\nred,warm\n", "test.csv": b"image_id\nblue\n",
                     "images/red.png": RED, "images/blue.png": BLUE})
    at = choose_files(page(), ("kaggle.zip", export))
    [which] = [box for box in at.selectbox if box.key.startswith("list_")]
    assert which.label == "Several lists are at the top (train.csv, test.csv): which one names the files?"
    assert which.options == ["train.csv", "test.csv", "None of them: upload every file"] and which.value is None
    assert not at.error and at.button(key="upload").disabled  # nothing to upload until the person says
    assert "Choose above which list names the files." in texts(at.caption)
    which.set_value("train.csv").run()
    assert metrics(at).items() >= {"Rows found": "1", "Ready to upload": "1"}.items()
    upload(at)
    assert [[c.id for c in i.data.concepts] for i in server_env.stored_inputs()] == [["warm"]]
    next(box for box in at.selectbox if box.key.startswith("list_")).set_value("").run()
    assert metrics(at).items() >= {"Files found": "2", "Ready to upload": "2"}.items()


def test_a_folder_chosen_is_read_as_a_zip_of_it_is(server_env: Sandbox) -> None:
    at = choose_files(page(), ("pets/cat/red.png", RED), ("pets/dog/blue.png", BLUE), uploader="folder_")
    [by_folder] = [box for box in at.checkbox if box.key.startswith("by_folder_")]
    assert by_folder.label == "Use each file's folder name as its concept (cat, dog)"
    by_folder.check().run()
    assert list(at.dataframe[0].value["File"]) == ["cat/red.png", "dog/blue.png"]
    upload(at)
    assert "Upload of pets" in texts(at.subheader)  # the folder, by its name
    assert {i.id: [c.id for c in i.data.concepts] for i in server_env.stored_inputs()} == {
        content_id(RED): ["cat"], content_id(BLUE): ["dog"]}

    at = choose_files(page(), ("green.png", GREEN))
    at = choose_files(at, ("pets/cat/red.png", RED), uploader="folder_")
    assert ("Several folders, or a folder and other files, were chosen together.\n\n"
            "Choose one folder, or files without a folder.") in texts(at.error)


def test_folder_names_may_become_concepts(server_env: Sandbox) -> None:
    at = choose_files(page(), ("pets.zip", zipped({"train/apple/red.png": RED, "train/leaf/green.png": GREEN})))
    [by_folder] = [box for box in at.checkbox if box.key.startswith("by_folder_")]
    assert by_folder.label == "Use each file's folder name as its concept (apple, leaf)" and not by_folder.value
    by_folder.check().run()
    preview = at.dataframe[0].value.set_index("File")
    assert list(preview.loc["apple/red.png", "Concepts"]) == ["apple"]  # named within the zip's one folder, train/
    upload(at)
    assert "2 of 2 files in" in at.progress[0].text
    concepts = {item.id: [c.id for c in item.data.concepts] for item in server_env.stored_inputs()}
    assert concepts == {content_id(RED): ["apple"], content_id(GREEN): ["leaf"]}


def test_a_zips_files_that_are_not_media_are_left_out_and_named(server_env: Sandbox) -> None:
    at = choose_files(page(), ("photos.zip", zipped({"red.png": RED, "notes.pdf": b"%PDF-1.4"})))
    assert metrics(at).items() >= {"Files found": "1", "Ready to upload": "1", "Need fixing": "0"}.items()
    assert ("Left out 1 file that is not an image, video, audio or text file (by its extension): notes.pdf."
            in texts(at.caption))


def test_a_gzipped_list_is_previewed_and_uploaded_as_it_unpacks(server_env: Sandbox) -> None:
    listing = "url,input_id,pos_concepts\n" + "".join(f"https://h.test/{n}.jpg,gz-{n},cat\n" for n in range(300))
    at = choose(page(), "big.csv.gz", gzip.compress(listing.encode()))
    assert metrics(at).items() >= {"Rows found": "300", "Ready to upload": "300", "Need fixing": "0"}.items()
    upload(at)
    assert metrics(at)["Uploaded"] == "300"
    assert set(stored(server_env)) == {f"gz-{n}" for n in range(300)}


def test_a_shift_jis_file_from_excel_reads_once_japanese_is_chosen(server_env: Sandbox) -> None:
    at = choose(page(), "ねこ.csv", "url,pos_concepts\nhttps://h.test/a.jpg,ねこ|いぬ\n".encode("cp932"))
    assert "is not readable as UTF-8 text" in texts(at.error) and "Windows-1252" not in texts(at.error)
    readings = at.dataframe[0].value  # the line, as each encoding that can read it reads it
    shown = dict(zip(readings["Encoding"], readings["The line reads"]))
    assert shown["Japanese (Shift-JIS)"] == "...ttps://h.test/a.jpg,ねこ|いぬ"
    assert shown["Windows-1252 (cp1252)"] == "...ttps://h.test/a.jpg,‚Ë‚±|‚¢‚Ê" and "Latin-1" not in shown
    encoding_box(at).set_value("cp932").run()
    assert not at.error and metrics(at) == {"Rows found": "1", "Ready to upload": "1", "Need fixing": "0"}
    assert list(at.dataframe[0].value["Concepts"][0]) == ["ねこ", "いぬ"]


def test_a_windows_1252_file_reads_once_its_encoding_is_chosen(server_env: Sandbox) -> None:
    # An input already holds the id creme-1, so that row fails; the retry after it is gone keeps the accents.
    take_id(server_env, "creme-1")
    at = choose(page(), "cafes.csv", CP1252)
    error = texts(at.error)
    assert "cafes.csv is not readable as UTF-8 text" in error and "Windows-1252" in error  # ingest's words
    assert "Choose the file's encoding in **Match your columns** (Encoding)." in texts(at.info)
    assert "--encoding" not in error  # the command line's words, not the page's
    assert at.button(key="upload").disabled

    encoding_box(at).set_value("cp1252").run()
    assert not at.exception and not at.error
    assert metrics(at) == {"Rows found": "2", "Ready to upload": "2", "Need fixing": "0"}
    preview = at.dataframe[0].value.set_index("Input id")
    assert list(preview.loc["cafe-1", "Concepts"]) == ["café"]
    assert json.loads(preview.loc["cafe-1", "Metadata"]) == {"place": "Café de Flore"}

    upload(at)
    assert metrics(at).items() >= {"Uploaded": "1", "Failed": "1"}.items()
    cafe = stored(server_env)["cafe-1"]
    assert [(c.id, c.name) for c in cafe.data.concepts] == [("café", "café")]
    assert MessageToDict(cafe.data.metadata) == {"place": "Café de Flore"}

    free_id(server_env, "creme-1")
    at.button(key="retry").click().run()
    run_until(at, upload_finished)
    assert metrics(at).items() >= {"Uploaded": "1", "Failed": "0"}.items()
    assert [c.name for c in stored(server_env)["creme-1"].data.concepts] == ["crème brûlée"]


def test_retrying_a_list_of_boxes_sends_each_failed_input_with_all_its_boxes(server_env: Sandbox) -> None:
    take_id(server_env, "b-1")  # so both rows of b-1 fail: its input, then its boxes
    at = choose(page(), "detections.csv", b"url,input_id,class,left_col,top_row,right_col,bottom_row\n"
                                          b"https://h.test/a.jpg,a-1,cat,0,0,1,1\n"
                                          b"https://h.test/b.jpg,b-1,cat,0,0,0.5,0.5\n"
                                          b"https://h.test/b.jpg,b-1,dog,0.5,0.5,1,1\n")
    upload(at)
    assert metrics(at).items() >= {"Uploaded": "1", "Failed": "1", "Boxes uploaded": "1", "Boxes failed": "2"}.items()
    free_id(server_env, "b-1")
    at.button(key="retry").click().run()
    run_until(at, upload_finished)
    assert metrics(at).items() >= {"Uploaded": "1", "Failed": "0", "Boxes uploaded": "2", "Boxes failed": "0"}.items()
    assert stored_boxes(server_env) == sorted([("a-1", "cat", (0.0, 0.0, 1.0, 1.0)), ("b-1", "cat", (0.0, 0.0, 0.5, 0.5)),
                                               ("b-1", "dog", (0.5, 0.5, 1.0, 1.0))])


def test_retrying_a_zips_failed_files_adds_their_boxes_and_leaves_the_others_alone(server_env: Sandbox) -> None:
    take_id(server_env, content_id(GREEN))  # so green.png fails, and its box with it
    boxes = b"filename,width,height,class,xmin,ymin,xmax,ymax\nred.png,4,4,apple,0,0,2,2\ngreen.png,4,4,leaf,2,2,4,4\n"
    at = choose_files(page(), ("export.zip", zipped({"red.png": RED, "green.png": GREEN, "_annotations.csv": boxes})))
    upload(at)
    assert metrics(at).items() >= {"Uploaded": "1", "Failed": "1", "Boxes uploaded": "1", "Boxes failed": "1"}.items()
    free_id(server_env, content_id(GREEN))
    at.button(key="retry").click().run()
    run_until(at, upload_finished)
    assert metrics(at).items() >= {"Uploaded": "1", "Failed": "0", "Boxes uploaded": "1", "Boxes already there": "0",
                                   "Boxes failed": "0"}.items()
    assert "The failed files of export.zip, sent again." in texts(at.caption)  # no lines: the page listed them
    assert "Line" not in at.dataframe[-1].value
    assert stored_boxes(server_env) == sorted([(content_id(RED), "apple", (0.0, 0.0, 0.5, 0.5)),
                                               (content_id(GREEN), "leaf", (0.5, 0.5, 1.0, 1.0))])


def test_a_utf16_file_without_its_mark_gets_the_hint_and_reads_as_utf16_le(server_env: Sandbox) -> None:
    data = "url,pos_concepts\nhttps://h.test/a.jpg,été\n".encode("utf-16-le")
    at = choose(page(), "summer.csv", data)
    assert "looks like UTF-16 text without a byte-order mark" in texts(at.error)
    assert "Choose the file's encoding in **Match your columns** (Encoding)." in texts(at.info)
    encoding_box(at).set_value("utf-16-le").run()
    assert metrics(at) == {"Rows found": "1", "Ready to upload": "1", "Need fixing": "0"}
    upload(at)
    [item] = server_env.stored_inputs()
    assert [c.name for c in item.data.concepts] == ["été"]


# --- helpers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "stem"), [
    ("photos.csv", "photos"), ("photos.zip:labels.csv", "photos"), ("3 chosen files", "3 chosen files"),
    ('a<b>?.csv', "a-b"), ("photos-retry.csv", "photos-retry"), ("big.csv.gz", "big"),
])
def test_download_names_come_from_the_chosen_files_name(name: str, stem: str) -> None:
    import streamlit_app

    assert streamlit_app.file_stem(name) == stem


def test_the_page_names_what_it_takes_plainly() -> None:
    at = page()
    assert at.title[0].value == "Upload images, videos, audio and text to Clarifai"
    assert "1. Where to upload" in texts(at.subheader)
    assert "--" not in str(at.main)  # no command-line flags for page users
    assert keys(at, "radio") >= {"source_kind"}
