"""Validation: every row becomes a record or an error naming line, id, column and fix."""

import random
import tracemalloc

import pytest

from ingest.errors import InputFileError
from ingest.index import MAX_RUNS, IdIndex
from ingest import validate
from ingest.read import RawRow
from ingest.boxes import map_box_columns
from ingest.urls import SCHEME_ADDED, url_change
from ingest.validate import (
    MAX_ID_CHARS,
    MAX_JOINED,
    InputRecord,
    RowError,
    gathered,
    generated_id,
    map_columns,
    repeated_inputs,
    validate_rows,
)

HEADER = ["url", "input_id", "pos_concepts", "neg_concepts", "metadata"]
COLUMNS = map_columns(HEADER)


def check(*cells_per_row: list[str], gather: bool = True) -> list:
    """The rows' results as the upload and the preview have them: the rows of one input apart gathered first
    (unless `gather` is off, to see validate_rows alone)."""
    rows = [RawRow(line, list(cells)) for line, cells in enumerate(cells_per_row, start=2)]
    count, last_lines = repeated_inputs(iter(rows), COLUMNS)
    assert count == len(rows)
    return list(validate_rows(gathered(iter(rows), COLUMNS, last_lines if gather else {}), COLUMNS))


def test_valid_row_becomes_a_record_with_clean_concepts_and_metadata():
    [record] = check(["  https://a.com/x.jpg ", "x-1", " cat| dog |cat||", "bird", '{"n": 1, "ok": true, "l": [null]}'])
    assert record == InputRecord(
        line=2, input_id="x-1", url="https://a.com/x.jpg", positive=("cat", "dog"), negative=("bird",),
        metadata={"n": 1, "ok": True, "l": [None]}, id_generated=False, cells=record.cells,
    )


def test_metadata_written_as_python_writes_a_dict_is_read_as_that_object_with_the_same_checks():
    """pandas' to_csv of a column of dicts, and the Python SDK's files, write {'key': 'value'}."""
    [shop, sdk, exact, half, a_set] = check(
        ["https://a.com/1.jpg", "", "", "", "{'source': 'shop', 'ok': True, 'note': \"it's\", 'sizes': (1, 2)}"],
        ["https://a.com/1b.jpg", "", "", "", "{'ok': true, 'n': null}"],  # read by the SDK's own swap of ' for \"
        ["https://a.com/2.jpg", "", "", "", "{'id': 1152921504606846977}"],
        ["https://a.com/3.jpg", "", "", "", "{'a': '\\ud800'}"],
        ["https://a.com/4.jpg", "", "", "", "{'a': {1, 2}}"])
    assert shop.metadata == {"source": "shop", "ok": True, "note": "it's", "sizes": [1, 2]}
    assert sdk.metadata == {"ok": True, "n": None}
    assert "has too many digits to store exactly" in exact.message
    assert "half of a character pair" in half.message
    assert a_set.message.startswith("not valid JSON")  # a set is no JSON: the JSON reader's words are the ones to fix


def test_concepts_written_as_a_list_of_names_as_pandas_json_or_java_writes_one_are_those_names():
    rows = check(["https://a.com/1.jpg", "", "['cat', 'pet']", "", ""],  # pandas' to_csv of a list column
                 ["https://a.com/2.jpg", "", '["dog", " pet "]', '["cat"]', ""],
                 ["https://a.com/3.jpg", "", "[]", "['bird']", ""],
                 ["https://a.com/6.jpg", "", "[cat, pet ]", "[bird]", ""])  # as Java prints a list
    assert [(r.positive, r.negative) for r in rows] == [(("cat", "pet"), ()), (("dog", "pet"), ("cat",)),
                                                        ((), ("bird",)), (("cat", "pet"), ("bird",))]
    [numbers, boxes] = check(["https://a.com/4.jpg", "", "[3, 7]", "", ""],
                             ["https://a.com/5.jpg", "", "", '[{"x": 1, "rectanglelabels": ["Cat"]}]', ""])
    assert (numbers.column, boxes.column) == ("pos_concepts", "neg_concepts")
    assert numbers.message == boxes.message == "the concepts are JSON, not names separated by '|'"


def test_spaces_after_a_urls_site_name_are_sent_written_percent_20_and_the_url_is_checked_so():
    rows = check(["https://h.test/my cat.jpg", "", "", "", ""], ["https://h.test?q=a b", "", "", "", ""],
                 ["https://h.test/" + "a " * 3000, "", "", "", ""], ["https://h.test /a.jpg", "", "", "", ""])
    assert [(r.given_url, r.url) for r in rows[:2]] == [("https://h.test/my cat.jpg", "https://h.test/my%20cat.jpg"),
                                                       ("https://h.test?q=a b", "https://h.test?q=a%20b")]
    assert rows[2].message == "the url is 12,012 characters long (at most 8,192)"  # as it would be sent
    assert rows[3].message == "the url has a space in its site's name or its start"


def test_a_url_without_a_scheme_is_sent_with_https_before_it_as_a_browser_fetches_it():
    rows = check(["www.h.test/a.jpg", "", "", "", ""], ["//h.test/b.jpg", "", "", "", ""],
                 ["h.test/my c.jpg", "", "", "", ""], ["h.test:8080/d.jpg", "", "", "", ""])
    assert [(r.given_url, r.url) for r in rows] == [("www.h.test/a.jpg", "https://www.h.test/a.jpg"),
                                                   ("//h.test/b.jpg", "https://h.test/b.jpg"),
                                                   ("h.test/my c.jpg", "https://h.test/my%20c.jpg"),
                                                   ("h.test:8080/d.jpg", "https://h.test:8080/d.jpg")]
    assert [url_change(r.given_url) for r in rows] == [SCHEME_ADDED] * 4  # with spaces too: that is said first


def test_a_long_cell_is_not_read_in_pythons_notation_whose_parser_takes_250_times_its_size():
    # True, as Python writes it: the SDK's swap of ' for " (linear, so not limited) gives no JSON either
    concepts, metadata = "[" + "'a'," * 250_000 + "]", "{" + ",".join(f"'k{n}': True" for n in range(20_000)) + "}"
    tracemalloc.start()
    try:
        [listed, described] = check(["https://a.com/1.jpg", "", concepts, "", ""],
                                    ["https://a.com/2.jpg", "", "", "", metadata])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert listed.message == "the concepts are JSON, not names separated by '|'"
    assert described.message.startswith("not valid JSON")
    assert peak < 30 * 1024 * 1024  # Python's parser took about 250 MB for the list alone


@pytest.mark.parametrize(("separator", "cell", "concepts"), [
    ("|", "cat, dog|pet", ("cat, dog", "pet")),
    (",", "cat, dog|pet", ("cat", "dog|pet")),
    (";", "cat; dog ;; pet", ("cat", "dog", "pet")),
    (",", "['golden retriever', 'pet']", ("golden retriever", "pet")),  # a list of names: the same names
])
def test_the_names_in_a_concepts_cell_are_split_at_the_separator_chosen(separator, cell, concepts):
    columns = validate.map_columns(["url", "pos_concepts"], concept_separator=separator)
    [record] = validate.validate_rows([RawRow(2, ["https://h.test/a.jpg", cell])], columns)
    assert record.positive == concepts


def test_columns_of_1s_and_0s_are_found_and_read_as_one_concept_each_when_chosen():
    columns = map_columns(["url", "cat", "dog", "is_public"])
    rows = [RawRow(2, ["https://h.test/a.jpg", "1", "0", "1"]), RawRow(3, ["https://h.test/b.jpg", "0", "1.0", ""])]
    classes = validate.one_hot_columns(columns, rows)
    assert classes == (1, 2, 3)  # a flag column looks the same: hence a choice, never by itself
    assert validate.one_hot_columns(columns, rows + [RawRow(4, ["https://h.test/c.jpg", "yes", "0", "0"])]) == ()
    assert validate.one_hot_columns(columns, [RawRow(2, ["https://h.test/a.jpg", "0", "0", "0"])]) == ()  # no 1
    assert validate.one_hot_columns(map_columns(["url", "label", "cat", "dog"]), rows) == ()  # concepts given
    read = validate.with_classes(columns, classes[:2])
    assert read.unknown == ("is_public",)
    later = [RawRow(5, ["https://h.test/d.jpg", "2", "0", "0"])]
    [a, b, d] = validate_rows(rows + later, read)
    assert (a.positive, b.positive) == (("cat",), ("dog",))
    assert (d.column, d.message) == ("cat", "the class column holds '2', not 1 or 0")


def test_a_share_link_that_opens_a_page_is_sent_as_the_link_to_the_file_it_shows():
    """Drive's /file/d/ID/view and Dropbox's dl=0 open a page: the server would store an input it cannot read."""
    given = {"https://drive.google.com/file/d/1AbC-d_9/view?usp=sharing":
             "https://drive.google.com/uc?export=download&id=1AbC-d_9",
             "https://drive.google.com/open?id=2XyZ": "https://drive.google.com/uc?export=download&id=2XyZ",
             "https://www.dropbox.com/scl/fi/k3y/cat.jpg?rlkey=xyz&dl=0":
             "https://www.dropbox.com/scl/fi/k3y/cat.jpg?rlkey=xyz&dl=1",
             "https://www.dropbox.com/s/k3y/clip.mp4": "https://www.dropbox.com/s/k3y/clip.mp4?dl=1",
             "https://github.com/me/pets/blob/main/img/cat.png":
             "https://raw.githubusercontent.com/me/pets/main/img/cat.png",
             "https://huggingface.co/datasets/me/pets/blob/main/img/dog.jpg":
             "https://huggingface.co/datasets/me/pets/resolve/main/img/dog.jpg"}
    records = check(*([link, "", "cat", "", ""] for link in given))
    assert [(r.given_url, r.url) for r in records] == list(given.items())
    assert records[0].input_id == generated_id(records[0].url, ("cat",), (), None)  # the file's link, not the page's
    assert records[3].kind == "video"  # by the file's name, as for any url
    links = ["https://drive.google.com/uc?export=download&id=1AbC", "https://docs.google.com/uc?export=download&id=1A",
             "https://www.dropbox.com/s/k/cat.jpg?dl=1",
             "https://www.dropbox.com/s/k/cat.jpg?raw=1", "https://dl.dropboxusercontent.com/s/k/cat.jpg",
             "https://github.com/me/pets/blob/main/cat.png?raw=true", "https://github.com/user-attachments/assets/7f3a",
             "https://huggingface.co/datasets/me/pets/resolve/main/dog.jpg",
             "https://onedrive.live.com/download?resid=A1%21105&authkey=!k3y", "https://app.box.com/shared/static/k3y.jpg",
             "https://img.proxy.test/?url=https://h.test/a.jpg"]  # another url inside one is no second url
    assert [(r.given_url, r.url) for r in check(*([link, "", "", "", ""] for link in links))] == [
        ("", link) for link in links]  # already links to the files


def test_header_names_are_trimmed_and_case_insensitive_and_unknown_ones_listed():
    columns = map_columns([" URL ", "Input_ID", "", "notes", "", " "])
    assert columns.positions["url"] == 0 and columns.positions["input_id"] == 1
    assert columns.unknown == ("(unnamed column 3)", "notes")  # the last two: separators left at the line's end
    assert columns.named_width == 4


def test_a_row_that_leaves_out_its_last_cells_has_them_empty_and_is_counted_unless_they_are_unnamed():
    columns = map_columns(["url", "label", ""])  # url,label, (or a tab after the last name)
    rows = [RawRow(2, ["https://h.test/a.jpg", "cat"]), RawRow(3, ["https://h.test/b.jpg", "dog", ""]),
            RawRow(4, ["https://h.test/c.jpg"]), RawRow(5, ["https://h.test/d.jpg", "cow", "", "x"])]
    short = validate.ShortRows()
    results = list(validate_rows(validate.noting_short_rows(rows, columns, short), columns))
    assert [r.positive for r in results[:3]] == [("cat",), ("dog",), ()] and results[0].cells[2] == ""
    assert results[3].message == "this row has 4 cells but the header has 3 columns"
    assert (short.count, short.first_line) == (1, 4)  # leaving out the unnamed column is no news
    one_column = list(validate_rows([RawRow(2, ["data:image/png;base64", "iVBORw0KGgo="])], map_columns(["url"])))
    assert one_column[0].message == "this row has 2 cells but the header has 1 column"


def test_an_attachment_cell_as_airtable_exports_it_gives_its_web_address_and_several_are_a_row_to_fix():
    address = "https://v5.airtableusercontent.com/v3/u/1/a/b"
    one, several, parenthesised = check([f"cat (1).jpg ({address})", "", "", "", ""],
                                        ["a.jpg (https://h.test/a),b.jpg (https://h.test/b)", "", "", "", ""],
                                        ["https://en.wikipedia.org/wiki/Cat_(band)", "", "", "", ""])
    assert one.url == address and parenthesised.url == "https://en.wikipedia.org/wiki/Cat_(band)"
    assert several.message == "this cell holds 2 attachments; a row is one image"


def test_a_file_column_may_be_called_filename_where_no_url_or_text_column_is():
    assert map_columns(["FileName", "class"]).positions["file"] == 0
    listed = map_columns(["url", "filename"])  # a url file that also notes each image's file name
    assert listed.positions["file"] is None and listed.unknown == ("filename",)


def test_the_one_column_whose_name_ends_in_url_holds_the_web_addresses_where_none_is_named_url():
    assert map_columns(["id", "image_url", "label"]).positions["url"] == 1
    assert map_columns(["ImageID", "OriginalURL", "Title"]).positions["url"] == 1  # Open Images' list
    assert map_columns(["name", "Photo link", "label"]).positions["url"] == 1  # a form's or a sheet's words
    assert map_columns(["image_uri", "label"]).positions["url"] == 0
    assert map_columns(["Handle", "Title", "Image Src", "Image Position"]).positions["url"] == 2  # Shopify's export
    assert map_columns(["page_link", "image_url"]).positions["url"] == 1  # a column ending in url comes first...
    assert map_columns(["source_link", "image"]).positions["url"] == 1  # ...then one named for its media
    assert map_box_columns(["image_url", "label", "left_col", "top_row", "right_col", "bottom_row"])["url"] == 0
    open_images = ["ImageID", "Subset", "OriginalURL", "OriginalLandingURL", "License", "AuthorProfileURL", "Author",
                   "Title", "OriginalSize", "OriginalMD5", "Thumbnail300KURL", "Rotation"]
    assert map_columns(open_images).positions["url"] == 2  # not its web page, its author's or its thumbnail
    assert map_columns(["thumbnail_url", "image_url", "source_url"]).positions["url"] == 1
    assert map_columns(["photo_id", "photo_url", "photo_image_url"]).positions["url"] == 2  # Unsplash's dataset
    with pytest.raises(InputFileError) as several:  # which one is the image? the person says
        map_columns(["ImageID", "FrontURL", "BackURL", "Thumbnail300KURL"], name="two.csv")
    assert several.value.message == ("two.csv has no 'url' column, and 3 columns could hold the web addresses: "
                                     "'FrontURL', 'BackURL', 'Thumbnail300KURL'.")
    assert several.value.hint.endswith("on the command line with --column url=FrontURL.")
    own_list = map_columns(["filename", "source_url"], lists_files=True)  # a folder's list names its files first
    assert own_list.positions["file"] == 0 and own_list.positions["url"] is None


def test_a_label_studio_exports_media_column_holds_the_urls_and_its_choice_the_concepts():
    exported = map_columns(["annotation_id", "choice", "id", "video", "lead_time"])
    assert (exported.positions["url"], exported.url_kind, exported.positions["pos_concepts"]) == (3, "video", 1)
    assert map_columns(["image", "image_url"]).positions["url"] == 1  # a column ending in url comes first
    with pytest.raises(InputFileError, match="no 'url' column"):  # which one? the person says
        map_columns(["image", "audio"])


def test_a_classification_datasets_column_names_are_read_for_the_files_and_their_concepts():
    kaggle = map_columns(["image_id", "label"], lists_files=True)  # a folder's or zip's own list
    assert (kaggle.positions["file"], kaggle.positions["pos_concepts"], kaggle.unknown) == (0, 1, ())
    assert map_columns(["url", "Class"]).positions["pos_concepts"] == 1
    assert map_columns(["url", "category"]).positions["pos_concepts"] == 1
    assert map_columns(["url", "labels"]).positions["pos_concepts"] == 1
    assert map_columns(["url", "Concepts"]).positions["pos_concepts"] == 1  # Clarifai's own word
    assert map_columns(["url", "tags"]).unknown == ("tags",)  # "haze primary": separated by spaces, or commas
    labelled = map_columns(["url", "concepts", "label"])  # the first of the names in their order, not the header's
    assert (labelled.positions["pos_concepts"], labelled.unknown) == (2, ("concepts",))
    assert map_columns(["url", "pos_concepts", "label"]).unknown == ("label",)  # its own name comes first
    boxes = map_columns(["filename", "width", "height", "class", "xmin", "ymin", "xmax", "ymax"])
    assert boxes.boxes and boxes.positions["pos_concepts"] is None  # a list of boxes: the class is the box's
    assert map_columns(["image", "label"]).positions["url"] == 0  # outside a folder or zip, Label Studio's urls


def test_columns_that_look_like_boxes_but_make_none_are_named_as_such():
    assert map_columns(["file_name", "class", "xmin", "ymin", "xmax", "ymax"]).ignores_boxes
    assert map_columns(["url", "Left_Col", "top_row"]).ignores_boxes
    assert not map_columns(["url", "notes"]).ignores_boxes


def test_a_list_whose_columns_make_a_box_is_a_list_of_boxes_and_reads_each_input_once():
    columns = map_columns(["url", "input_id", "class", "xmin", "ymin", "xmax", "ymax", "width", "height"])
    assert columns.boxes and not columns.unknown and not columns.ignores_boxes
    rows = [RawRow(2, ["https://h.test/a.jpg", "", "cat", "1", "1", "2", "2", "9", "9"]),
            RawRow(3, ["https://h.test/a.jpg", "", "dog", "1", "1", "2", "2", "9", "9"]),
            RawRow(4, ["https://h.test/a.jpg", "a2", "dog", "1", "1", "2", "2", "9", "9"])]
    assert [r.line for r in validate_rows(rows, columns)] == [2, 4]  # line 4 names another input: its own id
    assert not map_columns(["text", "class", "left_col", "top_row", "right_col", "bottom_row"]).boxes  # no image


def test_a_portal_concept_column_numbered_past_ints_limit_is_an_unknown_column():
    """int() refuses a string of more than 4300 digits."""
    long = "input.data.concepts[" + "1" * 5000 + "].id"
    columns = map_columns(["input.data.image.url", "input.data.concepts[0].id", long])
    assert (columns.concept_pairs, columns.unknown) == (((1, None),), (long,))


def test_columns_can_be_mapped_by_hand():
    columns = map_columns(["image", "tags"], {"url": "image", "pos_concepts": "tags"})
    [record] = list(validate_rows([RawRow(2, ["http://a/x", "a|b"])], columns))
    assert record.url == "http://a/x" and record.positive == ("a", "b")


@pytest.mark.parametrize(
    ("header", "fragments"),
    [
        (["photo", "id"], ["no 'url' column", "'photo', 'id'", "Name the column"]),
        (["url", "URL"], ["'url' appears 2 times", "columns 1, 2", "Rename or remove"]),
        (["www.h.test/a.jpg", "cat"], ["has no header line: its first line is data ('www.h.test/a.jpg')"]),
    ],
)
def test_unusable_headers_stop_the_file(header, fragments):
    with pytest.raises(InputFileError) as caught:
        map_columns(header, name="data.csv")
    for fragment in fragments:
        assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("cells", "column", "fragments"),
    [
        (["", "a", "", "", ""], "url", ["url is empty", "https://"]),
        (["example.com", "a", "", "", ""], "url", ["does not start with https://", "https://example.com/cat.jpg"]),  # no file named
        (["photos/x.jpg", "a", "", "", ""], "url", ["a file's name, not a web address", "the folder or zip"]),
        (["C:\\My Photos\\x.JPG", "a", "", "", ""], "url", ["a file's name", "'Files from my computer'"]),
        (["ftp://h/x.jpg", "a", "", "", ""], "url", ["'ftp:'", "only http:// and https://"]),
        (["javascript:alert(1)", "a", "", "", ""], "url", ["'javascript:'"]),
        (["s3://my-bucket/cats/x.jpg", "a", "", "", ""], "url",  # a bucket's object: its web address, if public
         ["starts with 's3:'", "lets anyone read it", "https://my-bucket.s3.amazonaws.com/cats/x.jpg"]),
        (["gs://my-bucket/x.jpg", "a", "", "", ""], "url", ["https://storage.googleapis.com/my-bucket/x.jpg"]),
        (["file:///home/me/x.jpg", "a", "", "", ""], "url", ["a file's name, not a web address", "the folder or zip"]),
        (["https:///x.jpg", "a", "", "", ""], "url", ["no host name"]),
        (["htps://h.test/x.jpg", "a", "", "", ""], "url",  # a typo, not another kind of address
         ["the url starts with 'htps:', not http:// or https://", "correct its start to https:// (or http://)"]),
        (["hhttp://h.test/x.jpg", "a", "", "", ""], "url", ["starts with 'hhttp:'"]),
        (["https:/h.test/x.jpg", "a", "", "", ""], "url",  # not a file's name
         ["no host name", "write two slashes after 'https:', as in https://example.com/cat.jpg"]),
        # share links that name no one file
        (["https://drive.google.com/drive/folders/1xyz", "a", "", "", ""], "url",
         ["a Google Drive folder, not a file", "give each file a row of its own"]),
        (["https://drive.google.com/drive/my-drive", "a", "", "", ""], "url",
         ["a Google Drive page, not a file", "https://drive.google.com/uc?export=download&id= followed by its id"]),
        (["https://www.dropbox.com/sh/k3y/AAB?dl=0", "a", "", "", ""], "url", ["a Dropbox folder, not a file"]),
        (["https://www.dropbox.com/scl/fo/k3y/AAB?rlkey=r&dl=1", "a", "", "", ""], "url",  # dl=1 zips the folder
         ["a Dropbox folder, not a file"]),
        (["https://docs.google.com/spreadsheets/d/1AbC/edit#gid=0", "a", "", "", ""], "url",  # the list itself, pasted
         ["this is a Google Sheets spreadsheet, not an image", "File > Download > Comma-separated values"]),
        (["https://docs.google.com/presentation/d/1AbC/edit", "a", "", "", ""], "url", ["a Google Slides presentation"]),
        (["https://github.com/me/pets/tree/main/img", "a", "", "", ""], "url", ["a folder of a repository"]),
        # several web addresses in one cell (a sheet's cell of links, one a line), which would be sent as one
        (["https://h.test/a.jpg\nhttps://h.test/b.jpg", "a", "", "", ""], "url",
         ["this cell holds 2 web addresses; a row is one image", "give each image a row of its own"]),
        (["https://h.test/a.jpg https://h.test/b.jpg|https://h.test/c.jpg", "a", "", "", ""], "url", ["holds 3 web"]),
        # share links whose file's own link cannot be derived
        (["https://1drv.ms/i/s!AkX9/cat.jpg", "a", "", "", ""], "url",
         ["this link opens the file's page on OneDrive, not the file itself", "download the files"]),
        (["https://app.box.com/s/k3y", "a", "", "", ""], "url", ["the file's page on Box"]),
        (["https://www.icloud.com/photos/#0a1B", "a", "", "", ""], "url", ["the file's page on iCloud"]),
        (["https://photos.app.goo.gl/x1Y2", "a", "", "", ""], "url", ["the file's page on Google Photos"]),
        (["https://h t/a b.jpg", "a", "", "", ""], "url", ["a space in its site's name or its start", "remove it"]),
        (["http://h/x", "a b!", "", "", ""], "input_id", ["' !'", "letters, digits, '-' and '_'"]),
        (["http://h/x", "a" * (MAX_ID_CHARS + 1), "", "", ""], "input_id", ["49 characters", "at most 48"]),
        (["http://h/x", "a", "cat|dog", "dog", ""], "neg_concepts", ["'dog' is listed as both", "one of the two columns"]),
        (["http://h/x", "a", '[{"x": 1, "rectanglelabels": ["Cat"]}]', "", ""], "pos_concepts",
         ["the concepts are JSON", "exported as JSON (or JSON-MIN)"]),
        (["http://h/x", "a", "", "", "{bad"], "metadata", ["not valid JSON", '{"key": "value"}']),
        (["http://h/x", "a", "", "", "[1, 2]"], "metadata", ["a JSON list, not an object"]),
        (["http://h/x", "a", "", "", "3"], "metadata", ["a JSON number, not an object"]),
        (["http://h/x", "a", "", "", "{" * 40 + "}" * 40], "metadata", ["not valid JSON"]),
        (["http://h/x", "a", "", "", '{"a":' * 40 + "1" + "}" * 40], "metadata", ["nested too deeply"]),
        (["http://h/x", "a", "", "", '{"n": ' + "9" * 400 + "}"], "metadata", ["too large to store", "as text"]),
        (["http://h/x", "a", "", "", '{"n": ' + "9" * 5000 + "}"], "metadata", ["too large to store"]),
        (["http://h/x", "a", "", "", '{"id": 1152921504606846977}'], "metadata",
         ["the whole number 1152921504606846977 in the metadata has too many digits to store exactly: it would arrive "
          "as 1152921504606846976", "write it as text, in quotes"]),
        (["http://h/x", "a", "", "", '{"n": [1, NaN]}'], "metadata", ["holds NaN, which is not a number JSON can"]),
        (["http://h/x", "a", "", "", '{"n": {"m": -Infinity}}'], "metadata", ["holds -Infinity, which is not"]),
        (["http://h/x", "a", "", "", '{"n": 1e400}'], "metadata", ["the number 1e400 in the metadata is too large"]),
        (["http://h/x", "a", "", "", '{"a": "\\ud800"}'], "metadata", ["half of a character pair", "\\ud83d"]),
        (["http://h/x", "a", "", "", "", "extra"], "", ["6 cells but the header has 5 columns", "in double quotes"]),
    ],
)
def test_bad_rows_become_errors_naming_line_id_column_and_fix(cells, column, fragments):
    [error] = check(cells)
    assert isinstance(error, RowError)
    assert (error.line, error.column) == (2, column)
    assert error.input_id == cells[1]
    for fragment in fragments:
        assert fragment in error.reason


def test_numbers_a_double_holds_exactly_are_metadata_as_written():
    [record] = check(["http://h/x", "a", "", "", '{"big": 1152921504606846976, "long": 0.1234567890123456789, '
                                                  '"tiny": 1e-300, "text": "NaN Infinity 12345678901234567"}'])
    assert isinstance(record, InputRecord) and record.metadata["big"] == 2 ** 60


def test_escaped_character_pairs_in_metadata_are_fine():
    [record] = check(["http://h/x", "a", "", "", '{"smile": "\\ud83d\\ude00", "\\u00e9": "\\uD7FF"}'])
    assert record.metadata == {"smile": "\U0001F600", "é": "\ud7ff"}


def test_repeated_id_loses_to_the_first_line_even_when_that_row_is_invalid():
    results = check(
        ["http://h/1", "a", "", "", ""],
        ["ftp://h/2", "b", "", "", ""],
        ["http://h/3", "a", "", "", ""],
        ["http://h/4", "b", "", "", ""],
    )
    assert isinstance(results[0], InputRecord)
    assert "already used on line 2" in results[2].reason
    assert "already used on line 3" in results[3].reason


def test_generated_ids_are_stable_content_hashes_and_exact_repeats_are_flagged():
    first, second, repeat = check(
        ["http://h/1", "", "a", "", '{"k": 1, "j": 2}'],
        ["http://h/1", "", "b", "", ""],
        ["http://h/1", "", "a", "", '{"j": 2, "k": 1}'],
    )
    assert first.id_generated and first.input_id == generated_id("http://h/1", ("a",), (), {"k": 1, "j": 2})
    assert second.input_id != first.input_id
    assert isinstance(repeat, RowError) and "repeats line 2 exactly" in repeat.reason


def test_rows_one_after_another_naming_one_url_become_one_input_with_every_concept():
    cat, repeat, bad, again, cow, after_error, conflicting = check(
        ["http://h/a", "", "cat", "", ""],
        ["http://h/a", "", "pet", "dog", ""],
        ["http://h/a", "", "cat", "", ""],  # already one of them: a repeat, as anywhere else, after their input
        ["http://h/a", "", "bird", "bird", ""],  # a row of this url to fix: the next row still joins
        ["http://h/a", "", "pet", "", ""],  # after the repeat: still one of them
        ["http://h/b", "b-1", "cow", "", ""],
        ["http://h/b", "b-1", "cat", "", '{"k": 1}'],  # other metadata: another input, with a taken id
        ["http://h/b", "", "cow", "", ""],
        ["http://h/b", "", "", "cow", ""],  # cow both positive and negative: another input
    )
    assert isinstance(bad, RowError) and bad.line == 5 and "'bird' is listed as both" in bad.reason
    assert isinstance(cat, InputRecord) and (cat.line, cat.positive, cat.negative) == (2, ("cat", "pet"), ("dog",))
    assert [line for line, _ in cat.joined] == [3, 6] and cat.joined[0][1] == ["http://h/a", "", "pet", "dog", ""]
    assert cat.input_id == generated_id("http://h/a", ("cat", "pet"), ("dog",), None)
    assert isinstance(repeat, RowError) and repeat.line == 4 and "this row repeats line 2 exactly" in repeat.reason
    assert (again.line, again.input_id, again.positive, [line for line, _ in again.joined]) == (7, "b-1", ("cow",), [])
    assert isinstance(cow, RowError) and "the input id 'b-1' is already used on line 7" in cow.reason
    assert (after_error.line, after_error.positive, after_error.joined) == (9, ("cow",), ())
    assert (conflicting.line, conflicting.negative, conflicting.joined) == (10, ("cow",), ())


def test_a_row_to_fix_among_the_rows_of_an_input_with_an_id_leaves_the_id_to_that_input():
    one, bad = check(["http://h/a", "a-1", "cat", "", ""], ["http://h/a", "a-1", "dog", "dog", ""],
                     ["http://h/a", "a-1", "pet", "", ""])
    assert isinstance(one, InputRecord) and (one.input_id, one.positive) == ("a-1", ("cat", "pet"))
    assert isinstance(bad, RowError) and bad.line == 3 and "'dog' is listed as both" in bad.reason


def test_a_run_of_one_url_is_combined_across_chunks_and_at_most_max_joined_rows_to_an_input():
    rows = [[f"http://h/{n}", "", "x", "", ""] for n in range(200)] + [
        ["http://h/run", "", f"c{n}", "", ""] for n in range(MAX_JOINED + 5)] + [["http://h/end", "", "", "", ""]]
    results = check(*rows)
    assert all(isinstance(r, InputRecord) for r in results) and len(results) == 203
    first, second = results[200:202]
    assert (first.line, len(first.joined), len(first.positive)) == (202, MAX_JOINED - 1, MAX_JOINED)
    assert (second.line, len(second.joined), second.positive) == (202 + MAX_JOINED, 4, ("c1000", "c1001", "c1002",
                                                                                       "c1003", "c1004"))
    assert sum(1 + len(r.joined) for r in results) == len(rows)


def test_a_combined_input_that_repeats_an_earlier_one_is_each_of_its_rows_to_fix_and_its_rows_stay_claimed():
    results = check(
        ["http://h/a", "", "cat|dog", "", ""],
        ["http://h/b", "", "x", "", ""],
        ["http://h/a", "", "cat", "", ""],  # with the next row: line 2's input again
        ["http://h/a", "", "dog", "", ""],
        ["http://h/c", "", "y", "", ""],
        ["http://h/c", "", "z", "", ""],
        ["http://h/b", "", "x", "", ""],
        ["http://h/c", "", "y", "", ""],  # far from its group: still line 6 exactly
        gather=False,  # so that far (gathered, the rows of a url are combined wherever they are)
    )
    assert [r.line for r in results] == [2, 3, 4, 5, 6, 8, 9]  # every row, in order; line 7 is in line 6's input
    _, _, first, second, group, _, far = results
    assert isinstance(first, RowError) and first.reason.startswith(
        "this row is combined with line 5 into one input, which repeats line 2 exactly")
    assert isinstance(second, RowError) and second.cells == ["http://h/a", "", "dog", "", ""] and \
        second.reason.startswith("this row is combined with line 4 into one input, which repeats line 2 exactly")
    assert isinstance(group, InputRecord) and group.positive == ("y", "z")
    assert isinstance(far, RowError) and far.reason.startswith("this row repeats line 6 exactly")


def test_a_combined_input_whose_id_is_taken_is_each_of_its_rows_to_fix():
    results = check(
        ["http://h/z", "a-1", "cat", "", ""],
        ["http://h/a", "a-1", "cat", "", ""],
        ["http://h/a", "a-1", "dog", "", ""],
    )
    assert [(r.line, r.reason.split(" - ")[0]) for r in results[1:]] == [
        (3, "column 'input_id': the input id 'a-1' is already used on line 2"),
        (4, "column 'input_id': the input id 'a-1' is already used on line 2")]


def test_rows_of_one_url_apart_are_gathered_at_its_last_row_and_combined_keeping_their_lines():
    results = check(
        ["http://h/a", "", "cat", "", ""],
        ["http://h/b", "", "cat", "", ""],
        ["http://h/c", "c-1", "cat", "", ""],
        ["http://h/a", "", "pet", "", ""],
        ["http://h/d", "c-1", "pet", "", ""],  # a row with an id stays where it is: here, its id is taken
        ["http://h/b", "", "dog", "", ""],
        ["http://h/a", "", "cat", "", ""],  # line 2 again, exactly
    )
    assert [(r.line, type(r).__name__) for r in results] == [
        (4, "InputRecord"), (6, "RowError"), (3, "InputRecord"), (2, "InputRecord"), (8, "RowError")]
    c, taken, b, a, again = results
    assert (a.positive, [line for line, _ in a.joined]) == (("cat", "pet"), [5])
    assert (b.positive, [line for line, _ in b.joined]) == (("cat", "dog"), [7])
    assert c.input_id == "c-1" and "the input id 'c-1' is already used on line 4" in taken.reason
    assert "this row repeats line 2 exactly" in again.reason


CONCEPTS = ("cat", "dog", "pet")


def test_random_lists_give_every_row_one_outcome_and_each_image_one_input(monkeypatch):
    """Rows of a few urls, with and without ids, concepts that may clash, rows to fix: every line comes out once
    (as a result, or combined into one), and an image's rows without an id make one input, unless its concepts
    clash (a concept positive in one row and negative in another) or too many rows waited."""
    for trial in range(400):
        rng = random.Random(trial)
        monkeypatch.setattr(validate, "MAX_HELD", rng.choice([1, 5, 100_000]))
        urls = [rng.choice(["http://h/a", "http://h/b", "ftp://h/c", ""]) for _ in range(rng.randint(1, 200))]
        rows = [[url, rng.choice(["", "", "", "x", "y"]), "|".join(rng.sample(CONCEPTS, rng.randint(0, 2))),
                 rng.choice(["", "", "dog"]), '{"k": 1}' if url.endswith("b") else ""] for url in urls]
        results = check(*rows)
        lines = [line for r in results for line in (r.line, *(line for line, _ in getattr(r, "joined", ())))]
        assert sorted(lines) == list(range(2, len(rows) + 2)), trial
        inputs = [r for r in results if isinstance(r, InputRecord) and r.id_generated]
        for url in {r.url for r in inputs}:
            concepts = [r for r in inputs if r.url == url]
            clash = {c for r in concepts for c in r.positive} & {c for r in concepts for c in r.negative}
            assert len(concepts) == 1 or clash or validate.MAX_HELD < 100_000, trial


def test_at_most_max_held_rows_wait_for_their_input_and_a_list_of_boxes_is_never_gathered(monkeypatch):
    monkeypatch.setattr(validate, "MAX_HELD", 1)
    results = check(["http://h/a", "", "cat", "", ""], ["http://h/b", "", "cat", "", ""],
                               ["http://h/c", "", "cat", "", ""], ["http://h/a", "", "pet", "", ""],
                               ["http://h/b", "", "pet", "", ""])
    assert [(r.line, r.positive, len(r.joined)) for r in results] == [  # a waited longest: it went on alone
        (2, ("cat",), 0), (4, ("cat",), 0), (5, ("pet",), 0), (3, ("cat", "pet"), 1)]
    boxes = map_columns(["url", "class", "left_col", "top_row", "right_col", "bottom_row"])
    rows = [RawRow(2, ["http://h/a", "cat", "0", "0", "1", "1"]), RawRow(3, ["http://h/b", "cat", "0", "0", "1", "1"]),
            RawRow(4, ["http://h/a", "dog", "0", "0", "1", "1"])]
    assert repeated_inputs(iter(rows), boxes) == (3, {})
    assert list(gathered(iter(rows), boxes, {hash("http://h/a"): 4})) == rows


def test_the_id_index_keeps_each_first_line_while_packing_ids_into_sorted_runs():
    rng = random.Random(3)
    index = IdIndex(recent_limit=50)  # packs every 50 new ids; past MAX_RUNS runs they merge
    first_line_of: dict[int, int] = {}
    line = 1
    for _ in range(60):
        keys = [rng.randrange(-2000, 2000) * 7919 for _ in range(rng.randrange(1, 40))]  # repeats within and across
        lines = list(range(line, line + len(keys)))
        line += len(keys)
        assert index.claim(keys, lines) == [first_line_of.setdefault(k, n) for k, n in zip(keys, lines)]
    assert len(first_line_of) > 50 * (MAX_RUNS + 2)  # enough ids to have packed and merged runs
