"""Every input kind and every header format: the blog's, Portal Data Mode's and the Python SDK's."""

import io

import pytest
from google.protobuf.json_format import MessageToDict

from ingest.check import check_file
from ingest.job import UploadJob, UploadOptions
from ingest.upload import RetryPolicy, Target

BLOG_PLUS = (
    "url,input_id,type,text,pos_concepts,latitude,longitude\n"
    "https://h.test/a.jpg,img,,,cat,40.75,-73.98\n"
    "https://h.test/clip.MP4?sig=1,vid,,,,,\n"
    "https://h.test/song.mp3,aud,,,,,\n"
    "https://h.test/notes.txt,txt-url,,,,,\n"
    ",txt-raw,,\"Hello, world\",greeting,,\n"
    "https://h.test/forced,forced,video,,,,\n"
)
PORTAL = (
    "input.id,input.data.image.url,input.data.concepts[0].id,input.data.concepts[0].value,"
    "input.data.concepts[1].id,input.data.concepts[1].value,input.data.metadata,"
    "input.data.geo.geo_point.latitude,input.data.geo.geo_point.longitude\n"
    'p1,https://h.test/p1.jpg,cat,1,dog,0,"{""k"": 1}",51.5,-0.12\n'
    "p2,https://h.test/p2.jpg,cat,true,,,,,\n"
)
SDK = (
    "inputid,input,concepts,metadata,geopoints\n"
    's1,https://h.test/s1.jpg,"cat,dog","{\'k\': \'v\'}","-0.12,51.5"\n'
    "s2,a sentence to store,greeting,,\n"
)


def stored(sandbox) -> dict[str, dict]:
    return {item.id: MessageToDict(item.data) for item in sandbox.stored_inputs()}


def upload(sandbox, text: str) -> None:
    target = Target(base=sandbox.address, insecure=True, pat=sandbox.config.pat,
                    user_id=sandbox.config.user_id, app_id=sandbox.config.app_id)
    status = UploadJob(lambda: io.BytesIO(text.encode()), "f.csv", target,
                       UploadOptions(retry=RetryPolicy(base_seconds=0.01))).run()
    assert status.succeeded, (status.fatal, status.problems)


@pytest.fixture(autouse=True)
def empty(sandbox):
    sandbox.reset()


@pytest.mark.parametrize(("text", "fmt"), [(BLOG_PLUS, "blog"), (PORTAL, "portal"), (SDK, "sdk")])
def test_the_header_format_is_detected_and_named(text, fmt):
    check = check_file(io.BytesIO(text.encode()), "f.csv")
    assert check.columns.format == fmt and check.invalid == 0 and check.columns.unknown == ()
    assert {"blog": "blog script", "portal": "Portal", "sdk": "SDK"}[fmt] in check.columns.format_name


def test_each_kind_arrives_as_its_own_media_with_geo(sandbox):
    upload(sandbox, BLOG_PLUS)
    data = stored(sandbox)
    assert data["img"]["image"]["url"] == "https://h.test/a.jpg"
    assert data["img"]["geo"] == {"geoPoint": {"latitude": 40.75, "longitude": -73.98}}
    assert data["vid"]["video"]["url"] == "https://h.test/clip.MP4?sig=1"
    assert data["aud"]["audio"]["url"] == "https://h.test/song.mp3"
    assert data["txt-url"]["text"]["url"] == "https://h.test/notes.txt"
    assert data["txt-raw"]["text"] == {"raw": "Hello, world"}
    assert [c["id"] for c in data["txt-raw"]["concepts"]] == ["greeting"]
    assert data["forced"]["video"]["url"] == "https://h.test/forced"


def test_two_videos_never_share_a_request(sandbox):
    rows = "".join(f"https://h.test/{i}.mp4\n" for i in range(3))
    upload(sandbox, "url\nhttps://h.test/a.jpg\n" + rows)
    assert sandbox.stats().post_calls == 3 and len(sandbox.stored_inputs()) == 4


def test_portal_columns_arrive_as_written(sandbox):
    upload(sandbox, PORTAL)
    p1 = stored(sandbox)["p1"]
    assert p1["image"]["url"] == "https://h.test/p1.jpg"
    assert [(c["id"], c.get("value", 0.0)) for c in p1["concepts"]] == [("cat", 1.0), ("dog", 0.0)]
    assert p1["metadata"] == {"k": 1.0}
    assert p1["geo"] == {"geoPoint": {"latitude": 51.5, "longitude": -0.12}}


def test_sdk_columns_arrive_as_the_sdk_would_send_them(sandbox):
    upload(sandbox, SDK)
    data = stored(sandbox)
    assert [c["id"] for c in data["s1"]["concepts"]] == ["cat", "dog"]
    assert data["s1"]["metadata"] == {"k": "v"}
    assert data["s1"]["geo"] == {"geoPoint": {"latitude": 51.5, "longitude": -0.12}}
    assert data["s2"]["text"] == {"raw": "a sentence to store"}


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("url,type\nhttps://h.test/a.jpg,movie\n", "type", "not one of image, video, audio, text"),
        ("url,text\nhttps://h.test/a.jpg,words\n", "text", "both a url and a text; an input is one or the other"),
        ("url,text,file\nhttps://h.test/a.jpg,,a.jpg\n", "file", "more than one of a url, a text and a file"),
        ("text,type\nwords,video\n", "url", "a video input needs a url"),
        ("text,type\nwords,image\n", "url", "an image input needs a url"),
        ("url,latitude,longitude\nhttps://h.test/a.jpg,91,0\n", "latitude", "off the globe"),
        ("url,latitude,longitude\nhttps://h.test/a.jpg,10,\n", "longitude", "both a latitude and a longitude"),
        ("url,latitude,longitude\nhttps://h.test/a.jpg,north,3\n", "latitude", "not two numbers"),
        ("inputid,input,geopoints\ni,https://h.test/a.jpg,1;2\n", "geopoints", "not 'longitude,latitude'"),
        ("url,dataset_id\nhttps://h.test/a.jpg,my set\n", "dataset_id", "is not valid"),
        (PORTAL.replace("cat,true", "cat,maybe"), "input.data.concepts[0].value", "not 1 or 0"),
    ],
)
def test_bad_new_columns_are_row_errors(text, column, fragment):
    check = check_file(io.BytesIO(text.encode()), "f.csv")
    [error] = check.errors
    assert error.column == column and fragment in error.message


def test_geo_points_with_a_decimal_comma_as_european_spreadsheets_write_them_are_read():
    check = check_file(io.BytesIO(b"url;latitude;longitude\nhttps://h.test/a.jpg;48,8566;2,3522\n"
                                  b"https://h.test/b.jpg;1,000,5;3\n"), "paris.csv")
    assert [record.geo for record in check.sample[:1]] == [(48.8566, 2.3522)]
    [error] = check.errors  # two commas: no decimal comma, and no number
    assert error.line == 3 and "not two numbers" in error.message


def test_a_file_with_only_text_needs_no_url_column():
    check = check_file(io.BytesIO(b"text\nfirst\nsecond\n"), "f.csv")
    assert check.valid == 2 and all(record.kind == "text" for record in check.sample)


def test_a_second_run_of_text_and_video_rows_is_already_there(sandbox):
    text = "url,text\nhttps://h.test/v.mp4,\n,some words\n"
    upload(sandbox, text)
    target = Target(base=sandbox.address, insecure=True, pat=sandbox.config.pat,
                    user_id=sandbox.config.user_id, app_id=sandbox.config.app_id)
    again = UploadJob(lambda: io.BytesIO(text.encode()), "f.csv", target, UploadOptions()).run()
    assert dict(again.counts) == {"uploaded": 0, "already_there": 2, "invalid": 0, "failed": 0}
