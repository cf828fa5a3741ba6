"""The page with every kind of input, the three header formats, datasets, boxes, and the Browse view.

Uploads go to a sandbox named by CLARIFAI_* environment variables, as in test_app.py; each
test asserts what the page shows and what the sandbox stored.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator

import PIL.Image
import PIL.ImageColor
import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2
from google.protobuf.json_format import MessageToDict
from streamlit.testing.v1 import AppTest

from ingest.pictures import BOX_COLORS
from ingest.read import open_table
from ingest.report import boxes_sentence
from ingest.sandbox import Sandbox, SandboxConfig, start
from ingest.upload import StoredBox
from ingest.boxes import map_box_columns, validate_boxes
from ingest.validate import BOXES_ELSEWHERE, FORMAT_NAMES, RowError
from tests.conftest import point_at, stored_boxes, stored_regions, stub_for
from tests.test_app import choose, keys, metrics, page, run_until, texts, upload, upload_finished

LONG_TEXT = "Hello, world. " + "This sentence goes on and on so that the preview has to cut it short. " * 3


def user_app(sandbox: Sandbox) -> resources_pb2.UserAppIDSet:
    return resources_pb2.UserAppIDSet(user_id=sandbox.config.user_id, app_id=sandbox.config.app_id)


def stored_data(sandbox: Sandbox) -> dict[str, dict]:
    return {item.id: MessageToDict(item.data) for item in sandbox.stored_inputs()}


def results(at: AppTest):
    """The result table of the upload, by input id."""
    return at.dataframe[-1].value.set_index("Input id")


# --- every kind in every header format ----------------------------------------------------------

BLOG = (
    "url,input_id,text,pos_concepts,latitude,longitude\n"
    "https://h.test/b.jpg,b-image,,cat,40.75,-73.98\n"
    "https://h.test/b.mp4,b-video,,,,\n"
    "https://h.test/b.mp3,b-audio,,,,\n"
    "https://h.test/b.txt,b-text-url,,,,\n"
    f',b-text-raw,"{LONG_TEXT}",greeting,,\n'
)
SDK = (
    "inputid,input,concepts,metadata,geopoints\n"
    's-image,https://h.test/s.jpg,"cat,dog",,"-0.12,51.5"\n'
    "s-video,https://h.test/s.mp4,,,\n"
    "s-audio,https://h.test/s.wav,,,\n"
    "s-text-url,https://h.test/s.txt,,,\n"
    f"s-text-raw,{LONG_TEXT.replace(',', '')},greeting,,\n"
)


def portal(kind: str, extension: str) -> str:
    """Portal Data Mode names the kind in the url column's name: one url kind per file, raw text beside it."""
    return (
        f"input.id,input.data.{kind}.url,input.data.text.raw,input.data.concepts[0].id,"
        "input.data.concepts[0].value,input.data.geo.geo_point.latitude,input.data.geo.geo_point.longitude\n"
        f"p-{kind},https://h.test/p.{extension},,cat,1,51.5,-0.12\n"
        f'p-{kind}-raw,,"{LONG_TEXT}",cat,0,,\n'
    )


FORMAT_CASES = [  # (file, header format, input id -> kind, the row with a geo point)
    pytest.param(BLOG, "blog", {"b-image": "image", "b-video": "video", "b-audio": "audio", "b-text-url": "text",
                                "b-text-raw": "text"}, ("b-image", "40.75, -73.98"), id="blog"),
    pytest.param(SDK, "sdk", {"s-image": "image", "s-video": "video", "s-audio": "audio", "s-text-url": "text",
                              "s-text-raw": "text"}, ("s-image", "51.5, -0.12"), id="sdk"),
    *(pytest.param(portal(kind, extension), "portal", {f"p-{kind}": kind, f"p-{kind}-raw": "text"},
                   (f"p-{kind}", "51.5, -0.12"), id=f"portal-{kind}")
      for kind, extension in (("image", "jpg"), ("video", "mp4"), ("audio", "mp3"), ("text", "txt"))),
]


@pytest.mark.parametrize(("data", "style", "kinds", "located"), FORMAT_CASES)
def test_every_kind_in_every_header_format_is_previewed_and_stored(
    server_env: Sandbox, data: str, style: str, kinds: dict[str, str], located: tuple[str, str]
) -> None:
    at = choose(page(), "inputs.csv", data.encode())

    assert f"Columns read as {FORMAT_NAMES[style]}." in texts(at.caption)
    assert metrics(at) == {"Rows found": f"{len(kinds)}", "Ready to upload": f"{len(kinds)}", "Need fixing": "0"}
    assert "no column named **url**" not in texts(at.warning)
    preview = at.dataframe[0].value.set_index("Input id")
    assert dict(preview["Kind"]) == kinds
    for input_id, kind in kinds.items():  # a thumbnail only for an image; raw text shows its words
        row = preview.loc[input_id]
        has_image = "Image" in preview and isinstance(row["Image"], str) and row["Image"].startswith("https://")
        assert has_image == (kind == "image"), input_id
        if input_id.endswith("-raw"):
            assert row["Text"].startswith("Hello") and row["Text"].endswith("…") and len(row["Text"]) <= 80
            assert not row["Web address"]
    input_id, location = located
    assert preview.loc[input_id, "Location"] == location

    upload(at)
    assert metrics(at).items() >= {"Uploaded": f"{len(kinds)}", "Failed": "0", "Invalid": "0",
                                   "Fetched": f"{len(kinds)}"}.items()
    shown = results(at)
    assert set(shown["Status"]) == {"uploaded"} and set(shown["Download"]) == {"fetched"}
    assert "every row is in" in texts(at.success)

    data_by_id = stored_data(server_env)
    assert set(data_by_id) == set(kinds)
    for input_id, kind in kinds.items():
        media = data_by_id[input_id][kind]
        if input_id.endswith("-raw"):
            assert media["raw"].startswith("Hello, world") or media["raw"].startswith("Hello world")
        else:
            assert media["url"].startswith("https://h.test/")


def test_a_portal_file_opens_no_column_matching(server_env: Sandbox) -> None:
    at = choose(page(), "portal.csv", portal("image", "jpg").encode())
    assert not at.get("expander") or "no column named" not in texts(at.warning)
    assert "This file uses Clarifai Portal's Data Mode columns" in texts(at.caption)
    assert not at.button(key="upload").disabled


def test_a_text_only_file_needs_no_url_column(server_env: Sandbox) -> None:
    at = choose(page(), "notes.csv", b"text,pos_concepts\nfirst note,memo\nsecond note,\n")
    assert "no column named **url**" not in texts(at.warning)
    assert list(at.dataframe[0].value["Kind"]) == ["text", "text"]
    assert "Image" not in at.dataframe[0].value
    upload(at)
    assert sorted(d["text"]["raw"] for d in stored_data(server_env).values()) == ["first note", "second note"]


# --- datasets ------------------------------------------------------------------------------------


@pytest.fixture
def strict_sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """Refuses inputs naming a dataset it does not have, as a client that must create datasets first expects."""
    with start(SandboxConfig(missing_datasets="refuse", download_delay=0.05), port=0) as server:
        point_at(server, monkeypatch)
        yield server


def dataset_ids(sandbox: Sandbox) -> set[str]:
    stub, metadata = stub_for(sandbox)
    response = stub.ListDatasets(service_pb2.ListDatasetsRequest(user_app_id=user_app(sandbox), per_page=100),
                                 metadata=metadata)
    assert response.status.code == status_code_pb2.SUCCESS
    return {dataset.id for dataset in response.datasets}


def test_missing_datasets_are_named_their_rows_fail_and_agreeing_creates_them(strict_sandbox: Sandbox) -> None:
    stub, metadata = stub_for(strict_sandbox)
    stub.PostDatasets(service_pb2.PostDatasetsRequest(user_app_id=user_app(strict_sandbox),
                                                      datasets=[resources_pb2.Dataset(id="pets")]), metadata=metadata)
    data = b"url,input_id,dataset_id\nhttps://h.test/d1.jpg,d1,pets\nhttps://h.test/d2.jpg,d2,\n"
    at = choose(page(), "sets.csv", data)
    assert list(at.dataframe[0].value["Dataset"]) == ["pets", ""]
    at.text_input(key="dataset_id").input("everything").run()
    shown = texts(at.markdown)
    assert "**Datasets:** the rows go to **everything** and **pets**." in shown
    assert "check first" in texts(at.caption)

    at.button(key="check_datasets").click().run()
    warning = texts(at.warning)
    assert "The app does not have **everything** (it has **pets**)." in warning
    assert "Rows for it will fail" in warning
    assert at.checkbox(key="create_datasets").label == "Create the missing dataset (everything)"
    assert not at.checkbox(key="create_datasets").value

    upload(at)  # without agreeing: the row for the missing dataset fails, with the reason
    assert metrics(at).items() >= {"Uploaded": "1", "Failed": "1"}.items()
    assert "the dataset 'everything' does not exist" in results(at).loc["d2", "Reason"]
    assert {i.id: list(i.dataset_ids) for i in strict_sandbox.stored_inputs()} == {"d1": ["pets"]}
    assert dataset_ids(strict_sandbox) == {"pets"}

    at.button(key="check_datasets").click().run()  # asked again after an upload: it may have created some
    at.checkbox(key="create_datasets").check().run()
    assert "The upload creates it first." in texts(at.info)
    at.button(key="resume").click().run()  # the page offers to continue: only the failed row is sent
    run_until(at, upload_finished)
    assert metrics(at).items() >= {"Uploaded": "1", "Already there": "1", "Failed": "0"}.items()
    assert "Created the dataset(s) everything." in texts(at.caption)
    assert dataset_ids(strict_sandbox) == {"pets", "everything"}
    assert {i.id: list(i.dataset_ids) for i in strict_sandbox.stored_inputs()} == {"d1": ["pets"], "d2": ["everything"]}


def test_a_bad_dataset_id_in_the_options_stops_the_upload(server_env: Sandbox) -> None:
    at = choose(page(), "photos.csv", b"url\nhttps://h.test/a.jpg\n")
    at.text_input(key="dataset_id").input("my set").run()
    assert ("The dataset id 'my set' is not valid. Use only letters, digits, '-' and '_', as in the dataset's id in "
            "Clarifai.") in texts(at.error)
    assert at.button(key="upload").disabled


# --- bounding boxes ------------------------------------------------------------------------------

MAIN = b"url,input_id\nhttps://h.test/a.jpg,a\nhttps://h.test/b.jpg,\n"
BOXES = (b"input_id,url,concept,left_col,top_row,right_col,bottom_row\n"
         b"a,,dog,0.1,0.2,0.5,0.6\n"
         b",https://h.test/b.jpg,cat,0,0,1,1\n"
         b"a,,dog,0.6,0.1,0.5,0.5\n")


def choose_boxes(at: AppTest, name: str, data: bytes) -> AppTest:
    at.session_state["boxes_open"] = True  # as a click on "Bounding boxes (optional)" does
    at.run()
    uploader = next(u for u in at.get("file_uploader") if u.key.startswith("boxes_"))
    uploader.set_value((name, data, "text/csv")).run()
    assert not at.exception
    return at


def test_boxes_are_checked_before_upload_and_added_after_it(server_env: Sandbox) -> None:
    at = choose(page(), "main.csv", MAIN)
    choose_boxes(at, "boxes.csv", BOXES)
    assert "**boxes.csv: 3 boxes, 2 ready, 1 needs fixing.**" in texts(at.markdown)
    # The same words the command line prints for the bad box.
    table = open_table(io.BytesIO(BOXES), "boxes.csv")
    checked = validate_boxes(table.rows, map_box_columns(table.header), table.header)
    [error] = [r for r in checked if isinstance(r, RowError)]
    problems = at.table[0].value
    assert list(problems["Line"]) == [4] and list(problems["Column"]) == [error.column]
    assert list(problems["What is wrong"]) == [error.message] and list(problems["How to fix it"]) == [error.hint]
    assert "and the boxes of boxes.csv once their inputs are in" in texts(at.caption)

    upload(at)
    assert metrics(at).items() >= {"Uploaded": "2", "Boxes uploaded": "2", "Boxes already there": "0",
                                   "Boxes invalid": "1", "Boxes failed": "0"}.items()
    warning = texts(at.warning)
    assert "Finished, but some boxes were not added." in warning
    assert boxes_sentence({"uploaded": 2, "already_there": 0, "invalid": 1, "failed": 0}) in warning
    assert "fix the boxes listed above in boxes.csv" in warning
    bad = at.dataframe[-1].value
    assert list(bad["Line"]) == [4] and list(bad["Status"]) == ["invalid"]
    assert error.message in bad["Reason"][0]
    assert "Line numbers are those of boxes.csv." in texts(at.caption)

    b_id = next(i.id for i in server_env.stored_inputs() if i.data.image.url.endswith("b.jpg"))
    assert stored_boxes(server_env) == sorted([("a", "dog", (0.1, 0.2, 0.5, 0.6)), (b_id, "cat", (0.0, 0.0, 1.0, 1.0))])

    # Browse shows what each input's boxes show.
    shown = browsed(browse(at)).set_index("Web address")
    assert shown.loc["https://h.test/a.jpg", "Boxes"] == "dog" and shown.loc["https://h.test/b.jpg", "Boxes"] == "cat"


def test_box_columns_in_the_list_itself_are_pointed_to_the_boxes_file(server_env: Sandbox) -> None:
    at = choose(page(), "detections.csv", b"url,class,xmin,ymin,xmax,ymax\nhttps://h.test/a.jpg,dog,1,2,3,4\n")
    caption = "Not used: class, xmin, ymin, xmax, ymax (this tool reads only the columns above)."
    assert f"{caption} {BOXES_ELSEWHERE} Add it under *Bounding boxes* below." in texts(at.caption)


def test_a_list_of_boxes_previews_its_inputs_and_boxes_and_uploads_both(server_env: Sandbox) -> None:
    at = choose(page(), "detections.csv", b"url,class,xmin,ymin,xmax,ymax,width,height\n"
                                          b"https://h.test/a.jpg,cat,64,48,320,240,640,480\n"
                                          b"https://h.test/a.jpg,dog,0,0,640,480,640,480\n"
                                          b"https://h.test/b.jpg,dog,0,0,700,48,640,480\n")
    assert metrics(at).items() >= {"Inputs found": "2", "Ready to upload": "2", "Need fixing": "0"}.items()
    assert "**detections.csv: 3 boxes, 2 ready, 1 needs fixing.**" in texts(at.markdown)
    [box_rows] = [b for b in at.get("download_button") if b.key == "box_rows_download"]
    assert box_rows.label == "Download the row whose box needs fixing"  # its input goes up, its box would not
    assert "Not used:" not in texts(at.caption)
    assert ", and the boxes of detections.csv once their inputs are in." in texts(at.caption)
    upload(at)
    assert metrics(at).items() >= {"Uploaded": "2", "Boxes uploaded": "2", "Boxes invalid": "1"}.items()
    a_id = next(i.id for i in server_env.stored_inputs() if i.data.image.url.endswith("a.jpg"))
    assert stored_boxes(server_env) == sorted([(a_id, "cat", (0.1, 0.1, 0.5, 0.5)),
                                               (a_id, "dog", (0.0, 0.0, 1.0, 1.0))])


def color_at(cell: str, x: float, y: float) -> tuple[int, int, int]:
    """The colour at (x, y), as fractions of its width and height, of a picture in a table cell (a data URL)."""
    picture = PIL.Image.open(io.BytesIO(base64.b64decode(cell.split(",", 1)[1]))).convert("RGB")
    return picture.getpixel((round(x * (picture.width - 1)), round(y * (picture.height - 1))))


def near(color: tuple[int, int, int], hex_color: str) -> bool:
    return max(abs(a - b) for a, b in zip(color, PIL.ImageColor.getrgb(hex_color))) < 60


def test_boxes_are_drawn_on_images_given_by_url_before_and_after_the_upload(server_env: Sandbox,
                                                                            image_server: str) -> None:
    """A url alone shows no boxes: the page fetches the images that have some (the practice server keeps no copy
    of them), and shows the others by their url."""
    boxed, plain = f"{image_server}/0.png", f"{image_server}/1.png"
    at = choose(page(), "detections.csv", f"url,class,left_col,top_row,right_col,bottom_row\n"
                                          f"{boxed},cat,0.25,0.25,0.75,0.75\n{plain},,,,,\n".encode())
    preview = at.dataframe[0].value.set_index("Web address")
    assert near(color_at(preview.loc[boxed, "Image"], 0.25, 0.5), BOX_COLORS[0])  # the box's left edge
    assert not near(color_at(preview.loc[boxed, "Image"], 0.1, 0.5), BOX_COLORS[0])
    assert preview.loc[plain, "Image"] == plain
    upload(at)
    assert metrics(at).items() >= {"Uploaded": "2", "Boxes uploaded": "1"}.items()
    shown = browsed(browse(at)).set_index("Web address")
    assert near(color_at(shown.loc[boxed, "Image"], 0.25, 0.5), BOX_COLORS[0])
    assert shown.loc[plain, "Image"] == plain


def polygons_tick(at: AppTest):
    """The 'Send the outlines as polygons' checkbox (its key is the chosen file's)."""
    [tick] = [box for box in at.checkbox if box.key.startswith("polygons_")]
    return tick


def test_a_label_studio_export_with_polygons_offers_to_send_them_as_such(server_env: Sandbox) -> None:
    def export(image: str) -> bytes:
        return json.dumps([{"data": {"image": image}, "annotations": [{"result": [
            {"type": "polygonlabels", "original_width": 200, "original_height": 100,
             "value": {"points": [[10, 20], [50, 20], [30, 60]], "polygonlabels": ["Cat"]}}]}]}]).encode()

    at = choose(page(), "project-4.json", export("https://h.test/other.jpg"))
    polygons_tick(at).check().run()
    at = choose(at, "project-3.json", export("https://h.test/ls.jpg"))
    assert not polygons_tick(at).value  # ticked for another file: each file is asked on its own
    assert "Not used" not in texts(at.caption)  # its polygon column is the boxes'
    assert polygons_tick(at).help.startswith("1 box is drawn as an outline")
    polygons_tick(at).check().run()
    upload(at)
    assert metrics(at).items() >= {"Boxes uploaded": "1"}.items()
    assert [kind for _, concept, kind, _ in stored_regions(server_env) if concept == "Cat"] == ["polygon"]


def test_an_unusable_boxes_file_is_named_and_stops_the_upload(server_env: Sandbox) -> None:
    at = choose(page(), "main.csv", MAIN)
    choose_boxes(at, "boxes.csv", b"input_id,concept\na,dog\n")
    assert "boxes.csv lacks the column(s) left_col, top_row, right_col, bottom_row" in texts(at.error)
    assert at.button(key="upload").disabled
    assert "Fix the boxes file above first, or remove it." in texts(at.caption)


# --- the Browse view -----------------------------------------------------------------------------


def seed(sandbox: Sandbox, images: int) -> None:
    """`images` images with concepts and metadata, one raw text and one video, in that order."""
    inputs = [resources_pb2.Input(id=f"img-{i:02d}", data=resources_pb2.Data(
        image=resources_pb2.Image(url=f"https://h.test/{i}.jpg"),
        concepts=[resources_pb2.Concept(id="cat", name="cat", value=1.0),
                  resources_pb2.Concept(id="dog", name="dog", value=0.0)]))
        for i in range(images)]
    inputs[0].data.metadata.update({"n": 3, "shop": "north", "id": 2**60})
    inputs.append(resources_pb2.Input(id="note", data=resources_pb2.Data(text=resources_pb2.Text(raw=LONG_TEXT))))
    inputs.append(resources_pb2.Input(id="clip", data=resources_pb2.Data(video=resources_pb2.Video(url="https://h.test/c.mp4"))))
    stub, metadata = stub_for(sandbox)
    response = stub.PostInputs(service_pb2.PostInputsRequest(user_app_id=user_app(sandbox), inputs=inputs),
                               metadata=metadata)
    assert response.status.code == status_code_pb2.SUCCESS


def browse(at: AppTest) -> AppTest:
    at.session_state["view"] = "Browse the app"  # as a click on the tab does
    at.run()
    assert not at.exception
    return at


def browsed(at: AppTest):
    """The Browse tab's table."""
    return at.tabs[1].dataframe[0].value


def all_fetched(sandbox: Sandbox) -> bool:
    return all(i.status.code == status_code_pb2.INPUT_DOWNLOAD_SUCCESS for i in sandbox.stored_inputs())


def test_browse_pages_through_what_the_app_holds(server_env: Sandbox) -> None:
    seed(server_env, images=28)
    at = browse(page())
    run_until(at, lambda at: all_fetched(server_env))
    assert "Inputs in sandbox/demo at" in texts(at.subheader)
    first = browsed(at)
    assert len(first) == 24 and first["Input id"][0] == "img-00"
    assert first["Image"][0] == "https://h.test/0.jpg" and first["Kind"][0] == "image"
    assert list(first["Concepts"][0]) == ["cat"] and list(first["Not in image"][0]) == ["dog"]
    assert json.loads(first["Metadata"][0]) == {"n": 3, "shop": "north", "id": 2**60}
    assert '"n": 3' in first["Metadata"][0] and '"id": 1152921504606846976' in first["Metadata"][0]  # not 3.0, 1e18
    assert set(first["Download"]) == {"fetched"}
    assert "Page 1 of 2 · inputs 1–24 of 30" in texts(at.caption)
    assert at.button(key="browse_previous").disabled and not at.button(key="browse_next").disabled

    at.button(key="browse_next").click().run()
    second = browsed(at).set_index("Input id")
    assert list(second.index) == ["img-24", "img-25", "img-26", "img-27", "note", "clip"]
    assert second.loc["note", "Kind"] == "text" and second.loc["note", "Text"].startswith("Hello, world.")
    assert second.loc[["note", "clip"], "Image"].isna().all()  # thumbnails only for images
    assert second.loc["clip", "Kind"] == "video" and second.loc["clip", "Web address"] == "https://h.test/c.mp4"
    assert "Page 2 of 2 · inputs 25–30 of 30" in texts(at.caption)
    assert at.button(key="browse_next").disabled

    at.button(key="browse_previous").click().run()
    assert "Page 1 of 2" in texts(at.caption)
    at.selectbox(key="browse_size").set_value(50).run()
    assert len(browsed(at)) == 30 and "Page 1 of 1 · inputs 1–30 of 30" in texts(at.caption)
    at.session_state["view"] = "Upload"
    at.run()
    assert len(browse(at).tabs[1].dataframe) == 1 and len(browsed(at)) == 30  # the page size is kept
    # The upload tab keeps its state while Browse is open.
    assert "upload" in keys(at, "button")


def test_browse_shows_the_inputs_of_a_key_that_may_not_read_annotations_and_says_why_no_boxes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with start(SandboxConfig(inputs_only_pat="inputs-only", download_delay=0.0), port=0) as server:
        seed(server, images=2)
        point_at(server, monkeypatch)
        monkeypatch.setenv("CLARIFAI_PAT", "inputs-only")
        at = browse(page())
        assert list(browsed(at)["Input id"]) == ["img-00", "img-01", "note", "clip"]
        assert ("Bounding boxes are not shown: The key works but is not allowed to list the inputs' bounding boxes. "
                "Use a personal access token, or an app key with the scopes this needs" in texts(at.caption))


def test_browse_of_an_empty_app_says_to_upload_first(server_env: Sandbox) -> None:
    at = browse(page())
    assert "No inputs yet: upload a file first." in texts(at.info)
    at.session_state["view"] = "Upload"
    at.button(key="sample").click().run()
    upload(at)
    at = browse(at)
    assert len(browsed(at)) == 12 and "Page 1 of 1 · inputs 1–12 of 12" in texts(at.caption)


def test_browse_rows_show_each_kind_in_plain_words() -> None:
    import streamlit_app

    image = resources_pb2.Input(id="i", dataset_ids=["pets"], data=resources_pb2.Data(
        image=resources_pb2.Image(url="https://h.test/i.jpg"),
        geo=resources_pb2.Geo(geo_point=resources_pb2.GeoPoint(latitude=40.75, longitude=-73.98))))
    image.status.code = status_code_pb2.INPUT_DOWNLOAD_FAILED
    audio = resources_pb2.Input(id="a", data=resources_pb2.Data(audio=resources_pb2.Audio(url="https://h.test/a.mp3")))
    audio.status.code = status_code_pb2.INPUT_DOWNLOAD_PENDING
    boxes = {"i": [StoredBox(concept, 0, 0, 1, 1) for concept in ("dog", "cat", "dog", "")]}
    rows = streamlit_app.browse_rows([image, audio], boxes)
    assert [(r["Kind"], r["Image"], r["Download"], r["Dataset"], r["Location"], r["Boxes"]) for r in rows] == [
        ("image", "https://h.test/i.jpg", "could not fetch", "pets", "40.75, -73.98", "dog ×2, cat, (no concept)"),
        ("audio", None, "still fetching", "", "", ""),
    ]
    assert "Text" not in rows[0]  # no text among them: no empty column
    assert "Boxes" not in streamlit_app.browse_rows([image, audio])[0]


def test_the_apps_copies_are_kept_small_for_the_browse_view() -> None:
    """A copy in its original size may be megabytes: what the page keeps of it is twice a thumbnail's size."""
    import streamlit_app

    picture = io.BytesIO()
    PIL.Image.new("RGB", (4000, 2000), "white").save(picture, "JPEG")
    kept = PIL.Image.open(io.BytesIO(streamlit_app.small_png(picture.getvalue())))
    assert kept.size == (streamlit_app.THUMBNAIL_PX * 2, streamlit_app.THUMBNAIL_PX)
    assert streamlit_app.small_png(b"not an image") is None and streamlit_app.small_png(None) is None


def test_an_image_sent_as_bytes_shows_its_boxes_drawn_on_its_thumbnail() -> None:
    import streamlit_app

    picture = io.BytesIO()
    PIL.Image.new("RGB", (80, 80), "white").save(picture, "PNG")
    item = resources_pb2.Input(id="w", data=resources_pb2.Data(image=resources_pb2.Image()))
    [row] = streamlit_app.browse_rows([item], {"w": [StoredBox("dog", 0.25, 0.25, 0.75, 0.75)]}, {"w": picture.getvalue()})
    assert row["Boxes"] == "dog"
    shown = PIL.Image.open(io.BytesIO(base64.b64decode(row["Image"].split(",", 1)[1]))).convert("RGB")
    scale = shown.width / 80
    edge, inside, outside = (shown.getpixel((round(x * scale), round(40 * scale))) for x in (20.5, 40, 5))
    assert max(abs(a - b) for a, b in zip(edge, PIL.ImageColor.getrgb(BOX_COLORS[0]))) < 60
    assert min(inside) > 200 and min(outside) > 200  # white where no box edge runs
