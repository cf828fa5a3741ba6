"""Boxes files: each format's boxes become records, and each fault is named by its place in the file."""

import base64
import io
import json
import zlib

import PIL.Image
import pytest

from ingest.errors import InputFileError
from ingest.read import open_table
from ingest.boxes import (
    BoxRecord,
    YoloClasses,
    coco_document,
    map_box_columns,
    looks_like_yolo,
    validate_coco,
    validate_boxes,
    validate_createml,
    validate_cvat,
    validate_keras,
    validate_labelme,
    validate_supervisely,
    validate_via,
    validate_voc,
    validate_yolo,
    via_images,
    voc_document,
    yolo_classes,
)


def test_coco_annotations_become_boxes_and_each_fault_is_named():
    document = coco_document(json.dumps({
        "images": [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 50}, {"id": 2, "file_name": "b.jpg"}],
        "categories": [{"id": 3, "name": " dog "}],
        "annotations": [{"id": 7, "image_id": 1, "category_id": 3, "bbox": [-0.5, 0, 100.5, 50]},  # rounding
                        {"id": 8, "image_id": 1, "category_id": 9, "bbox": [0, 0, 1, 1]},
                        {"id": 9, "image_id": 1, "category_id": 3, "bbox": [0, 0, 0, 1]},
                        {"id": 10, "image_id": 2, "category_id": 3, "bbox": [0, 0, 1, 1]},
                        {"id": 11, "image_id": 1, "category_id": 3, "bbox": [-0.9, 0, 0.5, 1]},  # all off the edge
                        "not an annotation"]}).encode(), "a.json")
    results = list(validate_coco(document))
    assert results[0] == BoxRecord(1, "", "a.jpg", "dog", 0.0, 0.0, 1.0, 1.0)
    assert [(r.line, r.message) for r in results[1:]] == [
        (2, "annotation 8: its category id 9 has no name in the file's categories"),
        (3, "annotation 9: its bbox [0, 0, 0, 1] is not [x, y, width, height] with a width and height"),
        (4, "annotation 10: its image's width and height (None, None) are not numbers of pixels"),
        (5, "annotation 11: its bbox [-0.9, 0, 0.5, 1] reaches outside its 100 x 50 image"),
        (6, "annotation 6: its image id None is not among the file's images"),
    ]
    with pytest.raises(InputFileError, match="is not a COCO annotations file"):
        coco_document(b'{"images": []}', "a.json")


def test_coco_ids_of_the_wrong_type_and_numbers_that_are_not_valid_make_boxes_to_fix():
    """An id that is a list or an object, and NaN, infinite or too large numbers, are boxes to fix, not crashes."""
    document = coco_document(json.dumps({
        "images": [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 50}, {"id": [2], "file_name": "b.jpg"},
                   {"id": 3, "file_name": "c.jpg", "width": 10 ** 400, "height": 50},
                   {"id": 4, "file_name": "d.jpg", "width": float("inf"), "height": 50}],
        "categories": [{"id": 1, "name": "cat"}, {"id": [2], "name": "dog"}],
        "annotations": [{"id": 1, "image_id": [1], "category_id": 1, "bbox": [0, 0, 1, 1]},
                        {"id": 2, "image_id": 1, "category_id": {"x": 1}, "bbox": [0, 0, 1, 1]},
                        {"id": 3, "image_id": 2, "category_id": 1, "bbox": [0, 0, 1, 1]},
                        {"id": 4, "image_id": 1, "category_id": [2], "bbox": [0, 0, 1, 1]},
                        {"id": 5, "image_id": 1, "category_id": 1, "bbox": [float("nan"), float("nan"), 50, 50]},
                        {"id": 6, "image_id": 3, "category_id": 1, "bbox": [0, 0, 1, 1]},
                        {"id": 7, "image_id": 4, "category_id": 1, "bbox": [0, 0, 1, 1]},
                        {"id": 8, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20]}]}).encode(), "a.json")
    *errors, good = validate_coco(document)
    assert good == BoxRecord(8, "", "a.jpg", "cat", 0.1, 0.2, 0.3, 0.6)
    assert [(r.line, r.message) for r in errors] == [
        (1, "annotation 1: its image id [1] is not among the file's images"),
        (2, "annotation 2: its category id {'x': 1} has no name in the file's categories"),
        (3, "annotation 3: its image id 2 is not among the file's images"),
        (4, "annotation 4: its category id [2] has no name in the file's categories"),
        (5, "annotation 5: its bbox [nan, nan, 50, 50] holds a number that is not valid (NaN, infinite or too large)"),
        (6, f"annotation 6: its image's width and height ({10 ** 400}, 50) are not numbers of pixels"),
        (7, "annotation 7: its image's width and height (inf, 50) are not numbers of pixels"),
    ]


def test_coco_segmentation_polygons_are_kept_as_outlines_beside_their_boxes():
    document = coco_document(json.dumps({
        "images": [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 50}],
        "categories": [{"id": 1, "name": "cat"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 5, 40, 20], "segmentation": [[10, 5, 50, 5, 30, 25]]},
            {"id": 2, "image_id": 1, "category_id": 1, "bbox": [0, 0, 100, 50],  # an object in two parts
             "segmentation": [[0, 0, 10, 0, 0, 10], [100.5, 50, 90, 50, 100, 40]]},  # half a pixel over: rounding
            {"id": 3, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10],
             "segmentation": {"counts": [0, 100], "size": [50, 100]}},  # a mask (RLE): its box only
            {"id": 4, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "segmentation": [[0, 0, 10, 0]]},
            {"id": 5, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "segmentation": [[0, 0, 900, 0, 0, 10]]},
            {"id": 6, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "segmentation": []},
            {"id": 7, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "segmentation": [0, 0, 10, 0, 0, 10]},
        ]}).encode(), "a.json")
    results = list(validate_coco(document))
    assert results[0] == BoxRecord(1, "", "a.jpg", "cat", 0.1, 0.1, 0.5, 0.5, ((0.1, 0.1, 0.5, 0.1, 0.3, 0.5),))
    assert results[1].outline == ((0.0, 0.0, 0.1, 0.0, 0.0, 0.2), (1.0, 1.0, 0.9, 1.0, 1.0, 0.8))
    # a mask, two points, a point off the image, no polygon: the box alone, as before
    assert [(r.line, r.outline, r.right) for r in results[2:6]] == [(3, (), 0.1), (4, (), 0.1), (5, (), 0.1), (6, (), 0.1)]
    assert results[6].outline == ((0.0, 0.0, 0.1, 0.0, 0.0, 0.2),)  # one polygon, not in a list of parts


def test_a_boxes_files_polygon_column_gives_the_outline_in_fractions_and_is_named_when_it_is_none():
    table = open_table(io.BytesIO(b"url,class,left_col,top_row,right_col,bottom_row,polygon\n"
                                  b"https://h.test/a.jpg,cat,0.1,0.2,0.5,0.6,\"0.1,0.2 0.5,0.2 0.3,0.6\"\n"
                                  b"https://h.test/a.jpg,cat,0.1,0.2,0.5,0.6,\n"  # a box alone
                                  b"https://h.test/a.jpg,cat,0.1,0.2,0.5,0.6,0.1 0.2 0.5 1.2 0.3 0.6\n"), "b.csv")
    outlined, boxed, bad = validate_boxes(table.rows, map_box_columns(table.header), table.header)
    assert outlined.outline == ((0.1, 0.2, 0.5, 0.2, 0.3, 0.6),) and boxed.outline == ()
    assert (bad.line, bad.column, bad.message) == (4, "polygon", "'0.1 0.2 0.5 1.2 0.3 0.6' is not three or more "
                                                                 "points from 0 to 1")
    in_pixels = map_box_columns(["url", "class", "xmin", "ymin", "xmax", "ymax", "width", "height", "polygon"])
    assert in_pixels["polygon"] is None  # its points are fractions: beside pixels, left unread


def test_labelme_shapes_become_boxes_and_outlines_and_each_fault_is_named():
    document = coco_document(json.dumps({"imagePath": "", "imageWidth": 0, "shapes": [
        {"label": "cat", "points": [[10, 5], [50, 5], [30, 25]]},  # no shape_type: LabelMe's default, a polygon
        {"label": " ", "points": [[0, 0], [1, 1]], "shape_type": "rectangle"},
        {"label": "dog", "points": [[0, 0], [0, 10]], "shape_type": "rectangle"},
        {"label": "dog", "points": [[0, 0], [110, 10]], "shape_type": "rectangle"},
        {"label": "dog", "points": [[0, 0], ["x", 10]], "shape_type": "rectangle"},
        {"label": "eye", "points": [[5, 5]], "shape_type": "point"},  # no area: left out
        "not a shape"]}).encode(), "photos/a.json")
    results = list(validate_labelme(document, "photos/a.jpg", lambda name: (100, 50) if name == "a.jpg" else None))
    assert results[0] == BoxRecord(1, "", "a.jpg", "cat", 0.1, 0.1, 0.5, 0.5, ((0.1, 0.1, 0.5, 0.1, 0.3, 0.5),))
    assert [(r.line, r.message) for r in results[1:]] == [
        (2, "rectangle 2: it has no label"),
        (3, "rectangle 3 (dog): it has no width or height"),
        (4, "rectangle 4 (dog): its rectangle (around 0, 0, 110, 10) reaches outside its 100 x 50 image"),
        (5, "rectangle 5 (dog): its points [[0, 0], [\"x\", 10]] are not two corners [x, y]"),
        (7, "polygon 7: it has no label"),
    ]  # the image beside the file, and its size, stand in for those the file lacks


def test_via_regions_become_boxes_and_outlines_with_the_class_their_attributes_name():
    via = {"a.jpg1234": {"filename": "a.jpg", "size": 1234, "file_attributes": {}, "regions": [
        {"shape_attributes": {"name": "rect", "x": 10, "y": 5, "width": 40, "height": 20},
         "region_attributes": {"Label": "car", "note": "parked"}},  # the attribute named for a class
        {"shape_attributes": {"name": "polygon", "all_points_x": [10, 50, 30], "all_points_y": [5, 5, 25]},
         "region_attributes": {"kind": "person"}},  # its only text
        {"shape_attributes": {"name": "rect", "x": 0, "y": 0, "width": 10, "height": 10},
         "region_attributes": {"animal": {"dog": True, "cat": False}}},  # its one ticked checkbox
        {"shape_attributes": {"name": "circle", "cx": 5, "cy": 5, "r": 2}, "region_attributes": {"label": "eye"}},
        {"shape_attributes": {"name": "rect", "x": 0, "y": 0, "width": 10, "height": 10}, "region_attributes": {}},
        {"shape_attributes": {"name": "polygon", "all_points_x": [0, 10], "all_points_y": [0, 10]},
         "region_attributes": {"label": "dog"}}]},
        "b.jpg99": {"filename": "b.jpg", "size": 99, "regions": {"0": {  # VIA 1 keeps regions in an object
            "shape_attributes": {"name": "rect", "x": 0, "y": 0, "width": 5, "height": 5},
            "region_attributes": {"label": "dog"}}}}}
    document = coco_document(json.dumps({"_via_settings": {}, "_via_img_metadata": via}).encode(), "project.json")
    results = list(validate_via(via_images(document), lambda name: (100, 50) if name == "a.jpg" else None))
    assert results[:3] == [BoxRecord(1, "", "a.jpg", "car", 0.1, 0.1, 0.5, 0.5),
                           BoxRecord(1, "", "a.jpg", "person", 0.1, 0.1, 0.5, 0.5, ((0.1, 0.1, 0.5, 0.1, 0.3, 0.5),)),
                           BoxRecord(1, "", "a.jpg", "dog", 0.0, 0.0, 0.1, 0.2)]
    assert [(r.line, r.message) for r in results[3:]] == [
        (1, "image 1, rectangle 5: its region attributes name no class"),
        (1, "image 1, polygon 6 (dog): its points [[0, 0], [10, 10]] are not three or more points [x, y]"),
        (2, "image 2, rectangle 1 (dog): the size of 'b.jpg' is unknown, and VIA's shapes are in pixels"),
    ]


def supervisely_bitmap(origin: tuple[int, int], width: int, height: int) -> dict:
    """A Supervisely bitmap: a mask of every pixel set, `width` x `height`, at `origin`, as it writes one."""
    mask = io.BytesIO()
    PIL.Image.new("RGBA", (width, height), (255, 255, 255, 255)).save(mask, "PNG")
    return {"data": base64.b64encode(zlib.compress(mask.getvalue())).decode(), "origin": list(origin)}


def test_supervisely_objects_become_boxes_outlines_and_masks_boxes_and_each_fault_is_named():
    document = coco_document(json.dumps({"description": "", "tags": [], "size": {"height": 50, "width": 100},
                                         "objects": [
        {"geometryType": "rectangle", "classTitle": "car", "points": {"exterior": [[10, 5], [50, 25]], "interior": []}},
        {"geometryType": "polygon", "classTitle": "person",
         "points": {"exterior": [[10, 5], [50, 5], [30, 25]], "interior": [[[20, 8], [30, 8], [25, 12]]]}},
        {"geometryType": "bitmap", "classTitle": "road", "bitmap": supervisely_bitmap((20, 10), 30, 20)},
        {"geometryType": "point", "classTitle": "eye", "points": {"exterior": [[5, 5]], "interior": []}},  # left out
        {"geometryType": "rectangle", "classTitle": "", "points": {"exterior": [[0, 0], [1, 1]]}},
        {"geometryType": "bitmap", "classTitle": "road", "bitmap": {"data": "not base64!", "origin": [0, 0]}},
        {"geometryType": "polygon", "classTitle": "person", "points": {"exterior": [[0, 0], [200, 0], [0, 10]]}},
    ]}).encode(), "a.jpg.json")
    car, person, road, *errors = validate_supervisely(document, "img/a.jpg")
    assert car == BoxRecord(1, "", "img/a.jpg", "car", 0.1, 0.1, 0.5, 0.5)
    assert person == BoxRecord(2, "", "img/a.jpg", "person", 0.1, 0.1, 0.5, 0.5, ((0.1, 0.1, 0.5, 0.1, 0.3, 0.5),))
    assert road == BoxRecord(3, "", "img/a.jpg", "road", 0.2, 0.2, 0.5, 0.6)  # the box around the mask's pixels
    assert [(r.line, r.message) for r in errors] == [
        (5, "rectangle 5: it has no classTitle"),
        (6, "bitmap 6 (road): its bitmap is not a mask that can be read, or sets no pixel"),
        (7, "polygon 7 (person): its polygon (around 0, 0, 200, 10) reaches outside its 100 x 50 image"),
    ]


def voc(objects: str, image: str = "<filename>a.jpg</filename><size><width>100</width><height>50</height></size>"):
    return f"<annotation><folder>VOC2012</folder>{image}{objects}</annotation>".encode()


def box(name: str, *edges: object) -> str:
    corners = "".join(f"<{edge}>{value}</{edge}>" for edge, value in zip(("xmin", "ymin", "xmax", "ymax"), edges))
    return f"<object><name>{name}</name><difficult>0</difficult><bndbox>{corners}</bndbox></object>"


def test_pascal_voc_objects_become_boxes_and_each_fault_is_named():
    objects = (box(" dog ", 0, 0, 100.5, 50) + box("", 0, 0, 1, 1) + box("cat", 10, 0, 5, 1)
               + box("cat", 0, 0, "x") + box("cat", 50, 0, 120, 50))
    results = list(validate_voc(voc_document(voc(objects), "a.xml")))
    assert results[0] == BoxRecord(1, "", "a.jpg", "dog", 0.0, 0.0, 1.0, 1.0)  # half a pixel over: rounding
    assert [(r.line, r.url, r.message) for r in results[1:]] == [
        (2, "a.jpg", "object 2: it has no <name>"),
        (3, "a.jpg", "object 3 (cat): its box is inverted or empty (xmin must be less than xmax, and ymin less "
                     "than ymax)"),
        (4, "a.jpg", "object 4 (cat): its <bndbox> lacks a number in xmin, ymin, xmax or ymax"),
        (5, "a.jpg", "object 5 (cat): its box (50, 0, 120, 50) reaches outside its 100 x 50 image"),
    ]
    labelimg = "<path>C:\\photos\\b.png</path><size><width>10</width></size>"  # no file name, no height
    assert [(r.url, r.message) for r in validate_voc(voc_document(voc(box("cat", 0, 0, 1, 1), labelimg), "b.xml"))
            ] == [("b.png", "object 1 (cat): its image's width and height ('10', '') are not numbers of pixels")]


CVAT = b"""<?xml version="1.0" encoding="utf-8"?>
<annotations><version>1.1</version><meta><task><name>pets</name></task></meta>
  <image id="0" name="train/a.jpg" width="200" height="100">
    <box label="dog" source="manual" occluded="0" xtl="20" ytl="10" xbr="60.5" ybr="90" z_order="0"/>
    <box label="cat" source="manual" occluded="0" xtl="90" ytl="45" xbr="110" ybr="55" rotation="90.0"/>
    <polygon label="dog" points="1,1;5,5;1,5"/>
    <tag label="indoor"/>
  </image>
  <image id="1" name="b.jpg" width="200" height="100">
    <box label="" xtl="0" ytl="0" xbr="1" ybr="1"/>
    <box label="cat" xtl="50" ytl="0" xbr="40" ybr="1"/>
    <box label="cat" xtl="150" ytl="0" xbr="260" ybr="10"/>
    <box label="cat" xtl="0" ytl="0" xbr="10" ybr="10" rotation="nan"/>
    <polygon label="cat" points="1,1;5,5"/>
    <polygon label="cat" points="1,1;1,5;1,9"/>
    <polygon label="cat" points="0,0;300,0;0,50"/>
    <polygon label="cat" points="0,0;1;2,2"/>
    <polyline label="cat" points="1,1;5,5;1,5"/>
    <points label="cat" points="1,1"/>
  </image>
</annotations>"""


def test_a_cvat_exports_boxes_and_polygons_are_read_and_each_fault_is_named():
    results = list(validate_cvat(voc_document(CVAT, "annotations.xml")))
    assert results[0] == BoxRecord(1, "", "train/a.jpg", "dog", 0.1, 0.1, 0.3025, 0.9)
    turned = results[1]  # 20 x 10 pixels turned a quarter about its centre: 10 x 20
    assert (turned.url, turned.concept) == ("train/a.jpg", "cat")
    assert (turned.left, turned.top, turned.right, turned.bottom) == pytest.approx((0.475, 0.4, 0.525, 0.6))
    outlined = results[2]  # a polygon: the box around it, and its points as fractions of the image
    assert outlined == BoxRecord(3, "", "train/a.jpg", "dog", 0.005, 0.01, 0.025, 0.05,
                                 ((0.005, 0.01, 0.025, 0.05, 0.005, 0.05),))
    assert [(r.line, r.url, r.message) for r in results[3:]] == [
        (4, "b.jpg", "box 4: it has no label"),
        (5, "b.jpg", "box 5 (cat): its corners (xtl='50', ytl='0', xbr='40', ybr='1') are not a box"),
        (6, "b.jpg", "box 6 (cat): its box (150, 0, 260, 10) reaches outside its 200 x 100 image"),
        (7, "b.jpg", "box 7 (cat): its rotation 'nan' is not a number of degrees"),
        (8, "b.jpg", "polygon 8 (cat): its points [[1.0, 1.0], [5.0, 5.0]] are not three or more points [x, y]"),
        (9, "b.jpg", "polygon 9 (cat): it has no width or height"),
        (10, "b.jpg", "polygon 10 (cat): its polygon (around 0, 0, 300, 50) reaches outside its 200 x 100 image"),
        (11, "b.jpg", "polygon 11 (cat): its points '0,0;1;2,2' are not x,y pairs"),
    ]  # lines and points are no areas: left out


@pytest.mark.parametrize("data, problem", [
    (b"<annotation><object>", "b.xml is not readable XML (no element found: line 1, column 20)."),
    (b"<svg></svg>", "b.xml is not a Pascal VOC annotation: it starts with <svg>, not <annotation> (nor CVAT's "
                     "<annotations>)."),
])
def test_an_xml_file_that_is_no_pascal_voc_annotation_is_refused(data, problem):
    with pytest.raises(InputFileError) as refused:
        voc_document(data, "b.xml")
    assert refused.value.message == problem


@pytest.mark.parametrize("name, data", [
    ("data.yaml", b"nc: 3\nnames: ['cat', 'dog', 'bird']\n"),  # Roboflow's
    ("coco8.yaml", b"names:\n  0: cat\n  1: dog\n  2: bird\n"),  # Ultralytics'
    ("classes.txt", b"cat\ndog\nbird\n\n"),  # LabelImg's
])
def test_yolo_class_names_are_read_from_each_tools_file(name, data):
    assert yolo_classes(data, name).names == ("cat", "dog", "bird")


@pytest.mark.parametrize("name, data", [("data.yaml", b"path: ../data\n"), ("data.yaml", b"names: [a\n"),
                                        ("classes.txt", b"\n")])
def test_a_file_naming_no_classes_is_refused(name, data):
    with pytest.raises(InputFileError):
        yolo_classes(data, name)


@pytest.mark.parametrize("data", [b"date: 2024-13-45\nnames: [cat]\n", b"names: " + b"[" * 5000])
def test_a_data_yaml_that_yaml_cannot_build_is_unreadable_yaml(data):
    """A date no calendar has (a ValueError) and nesting too deep (a RecursionError) are unreadable YAML."""
    with pytest.raises(InputFileError, match="^data.yaml is not readable YAML"):
        yolo_classes(data, "data.yaml")


def test_a_class_number_too_large_is_refused_before_its_names_are_built():
    """{0: cat, 300000000: dog} would build a list of 300 million names."""
    with pytest.raises(InputFileError) as refused:
        yolo_classes(b"names: {0: cat, 300000000: dog}\n", "data.yaml")
    assert refused.value.message == ("data.yaml gives the class number 300000000, which is too large (a dataset has at "
                                     "most 100,000 classes).")


def test_create_ml_boxes_need_their_images_size_and_name_each_fault():
    document = [{"image": "a.png", "annotations": [{"label": "cat", "coordinates": {"x": 50, "y": 50, "width": 20,
                                                                                     "height": 40}},
                                                   {"coordinates": {"x": 1, "y": 1, "width": 1, "height": 1}},
                                                   {"label": "dog", "coordinates": {"x": 1, "y": 1}}]},
                {"image": "b.png", "annotations": [{"label": "cat", "coordinates": {"x": 1, "y": 1, "width": 1,
                                                                                     "height": 1}}]}]
    sizes = {"a.png": (100, 200)}
    cat, unnamed, partial, unknown = validate_createml(document, sizes.get)
    assert cat == BoxRecord(1, "", "a.png", "cat", 0.4, 0.15, 0.6, 0.35)
    assert unnamed.message == "image 1, annotation 2: it has no label"
    assert partial.message.startswith("image 1, annotation 3 (dog): its coordinates")
    assert (unknown.line, unknown.message) == (2, "image 2, annotation 1 (cat): the size of 'b.png' is unknown, "
                                                  "and Create ML's boxes are in pixels")
    assert coco_document(json.dumps(document).encode(), "boxes.json") == document
    with pytest.raises(InputFileError, match="not a COCO annotations file"):
        coco_document(b'[{"image": "a.png"}]', "boxes.json")


def test_create_ml_coordinates_that_are_nan_infinite_or_too_large_are_boxes_to_fix():
    document = [{"image": "a.png", "annotations": [
        {"label": "cat", "coordinates": {"x": float("nan"), "y": 50, "width": 20, "height": 40}},
        {"label": "cat", "coordinates": {"x": 10 ** 400, "y": 50, "width": 20, "height": 40}},
        {"label": "cat", "coordinates": {"x": 50, "y": 50, "width": 20, "height": 40}}]}]
    nan, too_large, cat = validate_createml(document, {"a.png": (100, 200)}.get)
    assert nan.message.endswith("hold a number that is not valid (NaN, infinite or too large)")
    assert too_large.message.endswith("hold a number that is not valid (NaN, infinite or too large)")
    assert cat == BoxRecord(1, "", "a.png", "cat", 0.4, 0.15, 0.6, 0.35)


def test_keras_txt_boxes_need_their_images_size_and_name_each_fault():
    data = b"a.png 10,20,30,60,0 1,2,3 5,5,9,9,7 9,9,5,5,0\n\nb.png 1,1,2,2,0\n"
    classes = YoloClasses(("cat",), "_classes.txt")
    cat, short, unknown_class, inverted, no_size = validate_keras(data, classes, {"a.png": (100, 200)}.get)
    assert cat == BoxRecord(1, "", "a.png", "cat", 0.1, 0.1, 0.3, 0.3)
    assert short.message == "box 2: '1,2,3' is not x_min,y_min,x_max,y_max,class"
    assert unknown_class.message == "box 3: the class '7' is not one of the 1 classes _classes.txt names"
    assert inverted.message.startswith("box 4: the box is inverted or empty")
    assert (no_size.line, no_size.url) == (3, "b.png") and "the size of 'b.png' is unknown" in no_size.message


def test_a_class_number_in_other_than_ascii_digits_is_a_box_to_fix():
    """'²' passes str.isdigit() but int() refuses it; 5000 digits are past int()'s limit."""
    classes = YoloClasses(("cat",), "_classes.txt")
    keras = validate_keras("a.png 1,1,10,10,² 1,1,10,10,0\n".encode(), classes, {"a.png": (100, 100)}.get)
    superscript, cat = keras
    assert superscript.message == "box 1: the class '²' is not one of the 1 classes _classes.txt names"
    assert cat == BoxRecord(1, "", "a.png", "cat", 0.01, 0.01, 0.1, 0.1)
    labels = "² 0.5 0.5 0.2 0.2\n{} 0.5 0.5 0.2 0.2\n0 0.5 0.5 0.2 0.2\n".format("9" * 5000).encode()
    *errors, cat = validate_yolo(labels, "a.jpg", classes)
    assert [r.line for r in errors] == [1, 2]
    assert cat == BoxRecord(3, "", "a.jpg", "cat", 0.4, 0.4, 0.6, 0.6)


@pytest.mark.parametrize("data, labels", [
    (b"", True), (b"0 0.5 0.5 0.2 0.2\nnot a box\n", True), (b"12 1 0 1 .5e-1\n", True),
    ("\u0660 0.5 0.5 0.2 0.2\n".encode(), False),  # an Arabic-Indic class digit: a caption, not a box
    (b"a cat on a mat\n", False),
])
def test_a_text_file_is_yolo_labels_only_with_a_line_of_ascii_numbers(data, labels):
    assert looks_like_yolo(data) is labels


def test_yolo_labels_become_boxes_and_each_fault_is_named():
    classes = yolo_classes(b"names: ['cat', 'dog']", "data.yaml")
    labels = (b"0 0.5 0.5 0.5 1.0004\n\n"  # rounding past the edge
              b"1 0.1 0.2 0.3 0.2 0.2 0.4\n"  # a polygon (Ultralytics' segments): its outline and the box around it
              b"2 0.5 0.5 0.1 0.1\n1 0.9 0.5 0.4 0.2\n0 0.5 0.5 0 0.1\n0 0.5 0.5\n")
    results = list(validate_yolo(labels, "images/a.jpg", classes))
    assert results[:2] == [BoxRecord(1, "", "images/a.jpg", "cat", 0.25, 0.0, 0.75, 1.0),
                           BoxRecord(3, "", "images/a.jpg", "dog", 0.1, 0.2, 0.3, 0.4, ((0.1, 0.2, 0.3, 0.2, 0.2, 0.4),))]
    assert [(r.line, r.message) for r in results[2:]] == [
        (4, "the class '2' is not one of the 2 classes data.yaml names"),
        (5, "the box reaches outside the image (its left, top, right and bottom edges are at 0.7, 0.4, 1.1, 0.6)"),
        (6, "the box has no width or height"),
        (7, "the line is not 'class x_center y_center width height' (or a polygon 'class x1 y1 x2 y2 ...')"),
    ]


def test_pose_labels_give_their_box_and_leave_their_keypoints():
    classes = yolo_classes(b"kpt_shape: [2, 2]\nnames: {0: person}\n", "coco8-pose.yaml")
    labels = b"0 0.5 0.5 0.2 0.4 0.45 0.4 0.55 0.6\n"  # two keypoints (x, y) after the box: eight numbers
    assert list(validate_yolo(labels, "a.jpg", classes)) == [BoxRecord(1, "", "a.jpg", "person", 0.4, 0.3, 0.6, 0.7)]
