"""Bounding boxes: a companion file of regions for the inputs -> a `BoxRecord` or a `RowError` for every box.

A CSV of boxes (fractions or pixels), COCO's JSON, Create ML's JSON, Pascal VOC's and CVAT's XML, YOLO's label
files with the class names of their data.yaml, and Keras TXT. Pure functions and frozen records, as in
`validate`; nothing here does I/O.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePosixPath, PureWindowsPath
from xml.etree import ElementTree

import yaml

from . import pictures
from .errors import InputFileError, one_line
from .read import RawRow
from .urls import url_sent
from .validate import BOXES_FILE_COLUMNS, FILE_ALIASES, RowError, cell_at, first_position, shortened, url_alias

BOX_EDGES = ("left_col", "top_row", "right_col", "bottom_row")  # fractions of the image, 0..1
PIXEL_EDGES = ("xmin", "ymin", "xmax", "ymax")  # pixels, with the image's size in these columns:
IMAGE_SIZE = ("width", "height")
OUTLINE = "polygon"  # an optional column of a box's outline: its points as fractions of the image, x1 y1 x2 y2 ...
BOX_ROLES = ("input_id", "url", "concept", *BOX_EDGES, *PIXEL_EDGES, *IMAGE_SIZE, OUTLINE)
BOX_CONCEPT_ALIASES = ("class", "label")  # what detection exports call a box's concept
SHOWN_NUMBER_CHARS = 40  # of a box's edge or size that is no number, when it is named


@dataclass(frozen=True, slots=True)
class BoxRecord:
    """One bounding box for one input, edges as fractions of the image (0..1)."""

    line: int
    input_id: str
    url: str
    concept: str
    left: float
    top: float
    right: float
    bottom: float
    outline: tuple[tuple[float, ...], ...] = ()  # the polygon the file draws (each part's x1, y1, x2, y2, ... as
    # fractions of the image), sent in place of the box when polygons are asked for; () for a box


@dataclass(frozen=True, eq=False)
class BoxesFile:
    """A boxes file as given: its name for messages, its bytes, and the folder (in a zip) that the
    local file names it holds are relative to. Pascal VOC's and YOLO's files, one per image, are read
    as one boxes file whose `parts` they are. (Each is itself: two files with the same bytes are two.)"""

    name: str
    data: bytes
    folder: str = ""
    parts: tuple[BoxesFile, ...] = ()
    image: str = ""  # a YOLO label file's image, whose boxes it holds...
    classes: YoloClasses | None = None  # ...and the class names its numbers stand for
    listed: bool = False  # a list of boxes (its rows are inputs and boxes), read as a table whatever its name

    @cached_property
    def digest(self) -> str:
        """A hash of what the boxes are read from (the bytes, the class names, every part's), for checks kept
        per file."""
        whole = hashlib.sha256(self.data)
        if self.classes:
            whole.update("\0".join(self.classes.names).encode())
        for part in self.parts:
            whole.update(part.digest.encode())
        return whole.hexdigest()

    @property
    def is_coco(self) -> bool:
        """A COCO JSON file of annotations, rather than a CSV or TSV of boxes."""
        return names_coco(self.name) and not self.listed

    @property
    def is_voc(self) -> bool:
        """A Pascal VOC XML file: the boxes of one image."""
        return names_voc(self.name)


@dataclass(frozen=True)
class YoloClasses:
    """A YOLO dataset's class names in the order of their numbers, and the file that names them."""

    names: tuple[str, ...]
    source: str
    pose: bool = False  # Ultralytics' pose labels: a box, then its keypoints (data.yaml's kpt_shape)


def names_coco(file_name: str) -> bool:
    """Whether a boxes file is COCO JSON, by its name."""
    return file_name.lower().endswith(".json")


def names_voc(file_name: str) -> bool:
    """Whether a boxes file is Pascal VOC XML, by its name."""
    return file_name.lower().endswith(".xml")


def map_box_columns(header: list[str], name: str = "boxes file") -> dict[str, int | None]:
    """Find the boxes file's columns (edges as fractions, or in pixels with the image's size);
    raise `InputFileError` when a needed one is missing."""
    folded = [cell.strip().lower() for cell in header]
    positions = {role: first_position(folded, (role,)) for role in BOX_ROLES}
    if positions["concept"] is None:
        positions["concept"] = first_position(folded, BOX_CONCEPT_ALIASES)
    if positions["url"] is None:
        positions["url"] = url_alias(folded)
    if positions["url"] is None:  # a local file's name stands where a url would: both name a row's input
        positions["url"] = first_position(folded, ("file", *FILE_ALIASES))
    in_pixels = all(positions[role] is None for role in BOX_EDGES) and any(
        positions[role] is not None for role in PIXEL_EDGES)
    edges = (*PIXEL_EDGES, *IMAGE_SIZE) if in_pixels else BOX_EDGES
    missing = [role for role in ("concept", *edges) if positions[role] is None]
    if positions["input_id"] is None and positions["url"] is None:
        missing.insert(0, "input_id (or url)")
    if missing:
        raise InputFileError(
            f"{name} lacks the column(s) {', '.join(missing)} (its header is: {', '.join(map(repr, header))}).",
            BOXES_FILE_COLUMNS,
        )
    if not in_pixels:
        positions.update(dict.fromkeys((*PIXEL_EDGES, *IMAGE_SIZE)))
    else:  # an outline's points are fractions: beside edges in pixels, the column is not read
        positions[OUTLINE] = None
    return positions


def validate_boxes(rows: Iterable[RawRow], positions: Mapping[str, int | None],
                   header: Sequence[str] = ()) -> Iterator[BoxRecord | RowError]:
    """Each box row becomes a `BoxRecord` (edges as fractions, and the outline a polygon column draws), or a
    `RowError` for a missing target or concept or a bad box, naming the column as `header` does ('class' for the
    concept)."""
    in_pixels = positions["xmin"] is not None
    headed = {role: header[at].strip() for role, at in positions.items() if at is not None and at < len(header)}
    for row in rows:
        cells = row.cells
        input_id, url = cell_at(cells, positions["input_id"]), cell_at(cells, positions["url"])

        def error(role: str, message: str, hint: str) -> RowError:
            return RowError(row.line, input_id, url, headed.get(role, role), message, hint, cells)

        concept = cell_at(cells, positions["concept"])
        if not concept and not any(cell_at(cells, positions[role]) for role in (*BOX_EDGES, *PIXEL_EDGES)):
            continue  # an input with no boxes, in a list of boxes (an image that shows none of the classes)
        if not input_id and not url:
            yield error("input_id", "the box names no input",
                        "give the input id (or the url, or the local file's name) the box belongs to")
            continue
        if not concept:
            yield error("concept", "the box has no concept", "name what the box shows, such as 'dog'")
            continue
        outline = ()
        if drawn := cell_at(cells, positions.get(OUTLINE)):
            outline = outline_points([_number(value) for value in drawn.replace(",", " ").split()], 1.0, 1.0, 0.0)
            if not outline:
                shown = shortened(drawn, SHOWN_NUMBER_CHARS)
                yield error(OUTLINE, f"{shown!r} is not three or more points from 0 to 1",
                            "give the outline's points as fractions of the image, x1 y1 x2 y2 ... (0, 0 is the top "
                            "left corner)")
                continue
        edges, problem = _pixel_edges(cells, positions) if in_pixels else _fraction_edges(cells, positions)
        if problem:
            yield error(*problem)
            continue
        left, top, right, bottom = edges
        if left >= right or top >= bottom:
            names = PIXEL_EDGES if in_pixels else BOX_EDGES
            column, low, high = (names[2], names[0], names[2]) if left >= right else (names[3], names[1], names[3])
            yield error(column, f"the box is inverted or empty ({low} must be less than {high})",
                        "swap the two edges, or check which column holds which edge")
            continue
        yield BoxRecord(row.line, input_id, url_sent(url) if url else "", concept, left, top, right, bottom,
                        (outline,) if outline else ())


def _fraction_edges(cells: list[str], positions: Mapping[str, int | None]):
    """(left, top, right, bottom) as written, or a problem (role, message, hint)."""
    edges: list[float] = []
    for role in BOX_EDGES:
        raw = cell_at(cells, positions[role])
        value = _number(raw)
        if not 0.0 <= value <= 1.0:
            return (), (role, f"{shortened(raw, SHOWN_NUMBER_CHARS)!r} is not a number from 0 to 1",
                        "give each edge as a fraction of the image: 0 is the left or top, 1 the right or bottom")
        edges.append(value)
    return edges, None


def _pixel_edges(cells: list[str], positions: Mapping[str, int | None]):
    """(left, top, right, bottom) as fractions of the image's width and height, or a problem; edges
    that are all between 0 and 1 are taken as fractions already (no box is one pixel at a corner)."""
    size: list[float] = []
    for role in IMAGE_SIZE:
        raw = cell_at(cells, positions[role])
        value = _number(raw)
        if not 0.0 < value < float("inf"):
            return (), (role, f"the image {role} {shortened(raw, SHOWN_NUMBER_CHARS)!r} is not a number of pixels",
                        f"give the image's {role} in pixels, such as 640")
        size.append(value)
    edges = [_number(cell_at(cells, positions[role])) for role in PIXEL_EDGES]
    if all(0.0 <= value <= 1.0 for value in edges) and min(size) > 1:
        return edges, None  # already fractions of the image, as some exports write them
    for role, value, extent in zip(PIXEL_EDGES, edges, (*size, *size)):
        if not 0.0 <= value <= extent:
            shown = shortened(cell_at(cells, positions[role]), SHOWN_NUMBER_CHARS)
            return (), (role, f"{shown!r} is not a number of pixels from 0 to {extent:g}",
                        "give each edge in pixels from the image's left or top, within its width and height")
    return [value / extent for value, extent in zip(edges, (*size, *size))], None


def _number(raw: str) -> float:
    """A cell as a float; NaN (which fails every range check) when it is not a number."""
    try:
        return float(raw)
    except ValueError:
        return float("nan")


# -- COCO: the JSON of boxes most detection tools export --------------------------------------
_COCO_LISTS = ("images", "annotations", "categories")
_EDGE_SLACK = 1.0  # pixels a box may overrun the image by (exporters round), kept to the edge


def coco_document(data: bytes, name: str) -> dict | list:
    """A JSON file of boxes: COCO's annotations (a dict), LabelMe's or Supervisely's of one image (a dict, see
    `is_labelme` and `is_supervisely`), VIA's (a dict, see `via_images`), or Create ML's (a list of images, each
    with its annotations); raises `InputFileError` when `data` is none."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as error:
        raise InputFileError(f"{name} is not readable JSON ({error}).",
                             "Export the annotations again, as COCO JSON.") from None
    createml = isinstance(document, list) and bool(document) and all(
        isinstance(entry, dict) and "image" in entry and "annotations" in entry for entry in document)
    if not createml and not any(test(document) for test in (is_coco, is_labelme, is_supervisely, via_images)):
        raise InputFileError(f"{name} is not a COCO annotations file: it lacks its images, annotations or "
                             "categories.", "Export the annotations as COCO JSON, or give the boxes as a CSV file.")
    return document


def is_coco(document: object) -> bool:
    """Whether parsed JSON is COCO's annotations: an object with lists of images, annotations and categories."""
    return isinstance(document, dict) and all(isinstance(document.get(key), list) for key in _COCO_LISTS)


def validate_coco(document: dict) -> Iterator[BoxRecord | RowError]:
    """Each annotation of a COCO file as a `BoxRecord` naming its image's file, or a `RowError` whose line
    is the annotation's position in the file's list of annotations."""
    images = {image["id"]: image for image in document["images"] if isinstance(image, dict) and _is_id(image.get("id"))}
    names = {category["id"]: category.get("name") for category in document["categories"]
             if isinstance(category, dict) and _is_id(category.get("id"))}
    for number, annotation in enumerate(document["annotations"], 1):
        annotation = annotation if isinstance(annotation, dict) else {}
        image_id, category_id = annotation.get("image_id"), annotation.get("category_id")
        image = images.get(image_id, {}) if _is_id(image_id) else {}
        file_name = image.get("file_name") if isinstance(image.get("file_name"), str) else ""
        what = f"annotation {annotation.get('id', number)}"

        def error(message: str, hint: str) -> RowError:
            return RowError(number, "", file_name, "", f"{what}: {message}", hint, [])

        if not file_name:
            yield error(f"its image id {image_id!r} is not among the file's images",
                        "export the dataset again: every annotation should name one of its images")
            continue
        concept = names.get(category_id) if _is_id(category_id) else None
        if not isinstance(concept, str) or not concept.strip():
            yield error(f"its category id {category_id!r} has no name in the file's categories",
                        "export the dataset again with its categories")
            continue
        edges, problem = _coco_edges(annotation.get("bbox"), image.get("width"), image.get("height"))
        if problem:
            yield error(*problem)
            continue
        outline = _coco_outline(annotation.get("segmentation"), image["width"], image["height"])
        yield BoxRecord(number, "", file_name, concept.strip(), *edges, outline)


def _is_id(value: object) -> bool:
    """Whether parsed JSON's value can be a COCO id (a list or an object cannot)."""
    return isinstance(value, (int, float, str))


def is_finite(value: object) -> bool:
    """Whether parsed JSON's value is a number a double holds: not true/false, NaN, infinite or too large."""
    try:
        return type(value) in (int, float) and math.isfinite(value)
    except OverflowError:
        return False


_NOT_FINITE = "a number that is not valid (NaN, infinite or too large)"


def _coco_edges(bbox: object, width: object, height: object):
    """A COCO bbox [x, y, width, height] in pixels as (left, top, right, bottom) fractions, or a problem."""
    if not all(is_finite(size) and size > 0 for size in (width, height)):
        return (), _no_image_size(width, height)
    hint = "give each box as [x, y, width, height] in pixels from the image's top left corner"
    numbers = isinstance(bbox, list) and len(bbox) == 4 and all(type(v) in (int, float) for v in bbox)
    if numbers and not all(map(is_finite, bbox)):
        return (), (f"its bbox {bbox!r} holds {_NOT_FINITE}", hint)
    if not (numbers and bbox[2] > 0 and bbox[3] > 0):
        return (), (f"its bbox {bbox!r} is not [x, y, width, height] with a width and height", hint)
    x, y, w, h = bbox
    return _image_edges((x, y, x + w, y + h), width, height, f"its bbox {bbox!r}")


def _coco_outline(segmentation: object, width: float, height: float) -> tuple[tuple[float, ...], ...]:
    """COCO's polygons (a list of [x1, y1, x2, y2, ...] in pixels, one an object's part) as fractions of the image;
    () for a mask (RLE), for none, and when a point is no number or lies outside the image."""
    if not (isinstance(segmentation, list) and segmentation):
        return ()
    if not isinstance(segmentation[0], list):  # one polygon's points, written without the list around them
        segmentation = [segmentation]
    parts = [outline_points(part, width, height, _EDGE_SLACK) for part in segmentation]
    return tuple(parts) if all(parts) else ()


def outline_points(points: object, width: float, height: float, slack: float) -> tuple[float, ...]:
    """A polygon's points (x1, y1, x2, y2, ...; at least three, in the unit of `width` and `height`) as fractions of
    the image, kept to its edges; () when they are not such points or one lies more than `slack` outside it.
    (A COCO file may draw millions of points: each is looked at by built-ins, not Python code.)"""
    if not (isinstance(points, (list, tuple)) and len(points) >= 6 and len(points) % 2 == 0
            and set(map(type, points)) <= _NUMBER_TYPES):
        return ()
    xs, ys = points[0::2], points[1::2]
    try:
        if not (math.isfinite(sum(points)) and -slack <= min(xs) and max(xs) <= width + slack
                and -slack <= min(ys) and max(ys) <= height + slack):
            return ()  # NaN or infinity makes the sum so
    except OverflowError:  # an integer too large for a float: far outside the image
        return ()
    fractions = [0.0] * len(points)
    fractions[0::2], fractions[1::2] = [x / width for x in xs], [y / height for y in ys]
    if min(fractions) < 0.0 or max(fractions) > 1.0:  # past an edge by exporters' rounding: kept to it
        fractions = [min(1.0, max(0.0, value)) for value in fractions]
    return tuple(fractions)


_NUMBER_TYPES = {int, float}  # not bool: JSON's true and false are no coordinates


def _image_edges(corners: Sequence[float], width: float, height: float, what: str):
    """Pixel edges (left, top, right, bottom) as fractions of the image, kept to its edges when they overrun
    them by exporters' rounding; or a problem."""
    edges = kept_to_image(corners, width, height, _EDGE_SLACK)
    if edges is None or edges[0] >= edges[2] or edges[1] >= edges[3]:
        return (), (f"{what} reaches outside its {width:g} x {height:g} image", "check the box and the image's size")
    return edges, None


def kept_to_image(corners: Sequence[float], width: float, height: float, slack: float
                  ) -> tuple[float, float, float, float] | None:
    """Edges (left, top, right, bottom, in the unit of `width` and `height`) as fractions of the image, kept
    to its edges; None when one reaches more than `slack` past them."""
    left, top, right, bottom = corners
    if left < -slack or top < -slack or right > width + slack or bottom > height + slack:
        return None
    return max(0.0, left / width), max(0.0, top / height), min(1.0, right / width), min(1.0, bottom / height)


def _no_image_size(width: object, height: object) -> tuple[str, str]:
    return (f"its image's width and height ({width!r}, {height!r}) are not numbers of pixels",
            "export the dataset again with each image's size")


# -- Create ML: Apple's JSON of boxes (Roboflow exports it too), a list of images with their boxes ------------
def validate_createml(document: list, image_size: Callable[[str], tuple[int, int] | None] | None = None
                      ) -> Iterator[BoxRecord | RowError]:
    """Each annotation of a Create ML file as a `BoxRecord` naming its image's file, or a `RowError` whose line
    is the image's position in the file. Its boxes are in pixels (centre, width and height) and it gives no
    image size: `image_size` reads it from the image file."""
    for number, entry in enumerate(document, 1):
        file_name = entry.get("image") if isinstance(entry.get("image"), str) else ""
        size = image_size(file_name) if file_name and image_size else None
        annotations = entry.get("annotations")
        for place, annotation in enumerate(annotations if isinstance(annotations, list) else [{}], 1):
            annotation = annotation if isinstance(annotation, dict) else {}
            concept = annotation.get("label") if isinstance(annotation.get("label"), str) else ""
            what = f"image {number}, annotation {place}" + (f" ({concept})" if concept else "")

            def error(message: str, hint: str) -> RowError:
                return RowError(number, "", file_name, "", f"{what}: {message}", hint, [])

            box = annotation.get("coordinates")
            box = box if isinstance(box, dict) else {}
            x, y, w, h = (box.get(key) for key in ("x", "y", "width", "height"))
            numbers = all(type(v) in (int, float) for v in (x, y, w, h))
            if not file_name:
                yield error("it names no image", "export the dataset again: every entry should name its image")
            elif not concept.strip():
                yield error("it has no label", "name what the box shows, such as 'dog'")
            elif size is None:
                yield error(f"the size of {file_name!r} is unknown, and Create ML's boxes are in pixels",
                            "choose the images with the file, in the same folder or zip")
            elif numbers and not all(map(is_finite, (x, y, w, h))):
                yield error(f"its coordinates {box!r} hold {_NOT_FINITE}",
                            "give each box's centre (x, y), width and height in pixels")
            elif not (numbers and w > 0 and h > 0):
                yield error(f"its coordinates {box!r} are not x, y, width and height in pixels",
                            "give each box's centre (x, y), width and height in pixels")
            else:
                corners = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
                edges, problem = _image_edges(corners, *size, "its box ({:g}, {:g}, {:g}, {:g})".format(x, y, w, h))
                yield error(*problem) if problem else BoxRecord(number, "", file_name, concept.strip(), *edges)


# -- LabelMe: a JSON file of shapes per image, polygons by default ----------------------------------------------
_LABELME_SHAPES = ("polygon", "rectangle")  # its circles, lines and points outline no area of their own


def is_labelme(document: object) -> bool:
    """Whether parsed JSON is LabelMe's annotation of one image: its list of shapes, and its image's path or size."""
    return isinstance(document, dict) and isinstance(document.get("shapes"), list) and (
        "imagePath" in document or "imageHeight" in document)


def validate_labelme(document: dict, image_beside: str = "",
                     image_size: Callable[[str], tuple[int, int] | None] | None = None
                     ) -> Iterator[BoxRecord | RowError]:
    """Each rectangle and polygon of a LabelMe file (its points in pixels) as a `BoxRecord` naming the file's image
    (its imagePath's file name, or else the image beside it), or a `RowError` whose line is the shape's place in
    the file: a polygon the box around it with its outline. `image_size` gives the image's size when the file
    gives none."""
    path = document.get("imagePath") if isinstance(document.get("imagePath"), str) else ""
    file_name = PureWindowsPath(path).name or PurePosixPath(image_beside).name  # a Windows path, or a POSIX one
    width, height = document.get("imageWidth"), document.get("imageHeight")
    size = (width, height) if all(is_finite(side) and side > 0 for side in (width, height)) else (
        image_size(file_name) if file_name and image_size else None)
    for number, shape in enumerate(document["shapes"], 1):
        shape = shape if isinstance(shape, dict) else {}
        kind = shape.get("shape_type") or "polygon"  # LabelMe's own default
        if kind not in _LABELME_SHAPES:
            continue
        concept = shape.get("label").strip() if isinstance(shape.get("label"), str) else ""
        what = f"{kind} {number}" + (f" ({concept})" if concept else "")
        if not file_name:
            problem = ("the file names no image (its imagePath is empty)",
                       "save the annotation again in LabelMe, beside its image")
        elif not concept:
            problem = ("it has no label", f"name what the {kind} shows, such as 'dog'")
        elif size is None:
            problem = _no_image_size(width, height)
        else:
            edges, outline, problem = drawn_shape(kind, shape.get("points"), size, "draw it again in LabelMe")
        if problem:
            yield RowError(number, "", file_name, "", f"{what}: {problem[0]}", problem[1], [])
        else:
            yield BoxRecord(number, "", file_name, concept, *edges, outline)


def drawn_shape(kind: str, points: object, size: tuple[float, float], redraw: str):
    """A 'rectangle' (two corners) or a 'polygon' (three or more points), its points [x, y] in pixels of an image
    of this `size`: its edges as fractions of the image, and a polygon's outline; or a problem, `redraw` its hint."""
    numbers = [v for point in points for v in point] if isinstance(points, list) and all(
        isinstance(point, list) and len(point) == 2 for point in points) else []
    drawn = len(numbers) == 4 if kind == "rectangle" else len(numbers) >= 6
    if not (drawn and all(map(is_finite, numbers))):
        wanted = "two corners" if kind == "rectangle" else "three or more points"
        return (), (), (f"its points {shortened(json.dumps(points), SHOWN_NUMBER_CHARS)} are not {wanted} [x, y]",
                        redraw)
    corners = (min(numbers[0::2]), min(numbers[1::2]), max(numbers[0::2]), max(numbers[1::2]))
    if corners[0] >= corners[2] or corners[1] >= corners[3]:
        return (), (), ("it has no width or height", redraw)
    edges, problem = _image_edges(corners, *size, f"its {kind} (around {', '.join(f'{c:g}' for c in corners)})")
    outline = outline_points(numbers, *size, _EDGE_SLACK) if kind == "polygon" and not problem else ()
    return edges, (outline,) if outline else (), problem


# -- VGG Image Annotator (VIA): one JSON file of every image's regions --------------------------------------------
_VIA_PROJECT = "_via_img_metadata"  # a saved project's images; an export of annotations is that object alone
_VIA_LABELS = ("label", "class", "name", "category", "type", "object")  # region attributes that name a class


def via_images(document: object) -> dict | None:
    """A VIA file's images (its `_via_img_metadata`, or the file itself when it is an export of annotations: each
    image's filename and regions, under a key of its own); None for any other JSON."""
    images = document.get(_VIA_PROJECT, document) if isinstance(document, dict) else None
    return images if isinstance(images, dict) and images and all(
        isinstance(entry, dict) and "filename" in entry and "regions" in entry for entry in images.values()) else None


def validate_via(images: dict, image_size: Callable[[str], tuple[int, int] | None] | None = None
                 ) -> Iterator[BoxRecord | RowError]:
    """Each rectangle and polygon of a VIA file as a `BoxRecord` naming its image's file, or a `RowError` whose
    line is the image's place in the file. Its shapes are in pixels and it gives no image size: `image_size` reads it
    from the image file. A region's class is its attribute named for one (label, class, name...), or its only one."""
    for number, entry in enumerate(images.values(), 1):
        file_name = entry.get("filename") if isinstance(entry.get("filename"), str) else ""
        size = image_size(file_name) if file_name and image_size else None
        regions = entry.get("regions")
        regions = list(regions.values()) if isinstance(regions, dict) else regions if isinstance(regions, list) else []
        for place, region in enumerate(regions, 1):
            region = region if isinstance(region, dict) else {}
            shape = region.get("shape_attributes") if isinstance(region.get("shape_attributes"), dict) else {}
            kind = {"rect": "rectangle", "polygon": "polygon"}.get(shape.get("name"))
            if kind is None:
                continue  # a circle, an ellipse, a line or a point: no box of its own
            concept = _via_label(region.get("region_attributes"))
            what = f"image {number}, {kind} {place}" + (f" ({concept})" if concept else "")
            if not file_name:
                problem = ("it names no image", "export the annotations again: every image should have its filename")
            elif not concept:
                problem = ("its region attributes name no class",
                           "give each region an attribute such as 'label' in VIA, holding what it shows")
            elif size is None:
                problem = (f"the size of {file_name!r} is unknown, and VIA's shapes are in pixels",
                           "choose the images with the file, in the same folder or zip")
            else:
                edges, outline, problem = drawn_shape(kind, _via_points(kind, shape), size, "draw it again in VIA")
            if problem:
                yield RowError(number, "", file_name, "", f"{what}: {problem[0]}", problem[1], [])
            else:
                yield BoxRecord(number, "", file_name, concept, *edges, outline)


def _via_points(kind: str, shape: dict) -> object:
    """A VIA shape's points as [x, y] pairs: a rectangle's two corners, or a polygon's all_points_x and _y paired."""
    if kind == "rectangle":
        x, y, width, height = (shape.get(key) for key in ("x", "y", "width", "height"))
        numbers = all(is_finite(value) for value in (x, y, width, height))
        return [[x, y], [x + width, y + height]] if numbers else [[x, y], [width, height]]
    xs, ys = shape.get("all_points_x"), shape.get("all_points_y")
    return [list(pair) for pair in zip(xs, ys)] if isinstance(xs, list) and isinstance(ys, list) else [xs, ys]


def _via_label(attributes: object) -> str:
    """A VIA region's class: the text of its attribute named for one (label, class, name...) or of its only text
    attribute, or its only ticked checkbox."""
    attributes = attributes if isinstance(attributes, dict) else {}
    texts = {key: value.strip() for key, value in attributes.items() if isinstance(value, str) and value.strip()}
    named = [texts[key] for key in texts if key.strip().lower() in _VIA_LABELS]
    ticked = [option for value in attributes.values() if isinstance(value, dict)
              for option, on in value.items() if on is True]
    return next(iter(named), "") or (next(iter(texts.values())) if len(texts) == 1 else "") or (
        ticked[0] if len(ticked) == 1 else "")


# -- Supervisely: a JSON file of objects per image, named for it (ann/a.jpg.json for img/a.jpg) -----------------
_SUPERVISELY_SHAPES = ("rectangle", "polygon", "bitmap")  # its lines, points and keypoints outline no area


def is_supervisely(document: object) -> bool:
    """Whether parsed JSON is Supervisely's annotation of one image: its size and its list of objects."""
    return isinstance(document, dict) and isinstance(document.get("objects"), list) and isinstance(
        document.get("size"), dict)


def validate_supervisely(document: dict, image: str) -> Iterator[BoxRecord | RowError]:
    """Each rectangle, polygon and bitmap of a Supervisely annotation (one image's objects, in pixels) as a
    `BoxRecord` for `image`, or a `RowError` whose line is the object's place in the file: a polygon the box around
    its outer outline, with that outline (its holes are left out); a bitmap the box around its mask."""
    size = document["size"]
    width, height = size.get("width"), size.get("height")
    for number, item in enumerate(document["objects"], 1):
        item = item if isinstance(item, dict) else {}
        kind = item.get("geometryType")
        if kind not in _SUPERVISELY_SHAPES:
            continue
        concept = item.get("classTitle").strip() if isinstance(item.get("classTitle"), str) else ""
        what = f"{kind} {number}" + (f" ({concept})" if concept else "")
        redraw = "draw it again in Supervisely, or export the project again"
        if not concept:
            problem = ("it has no classTitle", "name the object's class in Supervisely")
        elif not all(is_finite(side) and side > 0 for side in (width, height)):
            problem = _no_image_size(width, height)
        elif kind == "bitmap":
            edges, outline, problem = _bitmap_shape(item.get("bitmap"), (width, height), redraw)
        else:
            points = item.get("points") if isinstance(item.get("points"), dict) else {}
            edges, outline, problem = drawn_shape(kind, points.get("exterior"), (width, height), redraw)
        if problem:
            yield RowError(number, "", image, "", f"{what}: {problem[0]}", problem[1], [])
        else:
            yield BoxRecord(number, "", image, concept, *edges, outline)


def _bitmap_shape(bitmap: object, size: tuple[float, float], redraw: str):
    """A bitmap's edges as fractions of its image, and no outline; or a problem, `redraw` its hint."""
    corners = _bitmap_corners(bitmap)
    if corners is None:
        return (), (), ("its bitmap is not a mask that can be read, or sets no pixel", redraw)
    edges, problem = _image_edges(corners, *size, "its bitmap (around {:g}, {:g}, {:g}, {:g})".format(*corners))
    return edges, (), problem


def _bitmap_corners(bitmap: object) -> tuple[int, int, int, int] | None:
    """A Supervisely bitmap's box in pixels of its image: its mask (a PNG, zlib-compressed, in base64) placed at its
    origin [x, y]; None when it cannot be read or sets no pixel."""
    bitmap = bitmap if isinstance(bitmap, dict) else {}
    origin, data = bitmap.get("origin"), bitmap.get("data")
    if not (isinstance(origin, list) and len(origin) == 2 and all(map(is_finite, origin)) and isinstance(data, str)):
        return None
    try:
        box = pictures.mask_box(zlib.decompress(base64.b64decode(data, validate=True)))
    except (binascii.Error, zlib.error, ValueError):
        return None
    if box is None:
        return None
    x, y = origin
    return x + box[0], y + box[1], x + box[2], y + box[3]


# -- Pascal VOC: an XML file of boxes per image (LabelImg's, CVAT's and Roboflow's VOC export) --------
def voc_document(data: bytes, name: str) -> ElementTree.Element:
    """A Pascal VOC annotation's XML (an image's <annotation>), or a CVAT export's (every image's, in
    <annotations>); raises `InputFileError` when `data` is neither."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise InputFileError(f"{name} is not readable XML ({error}).",
                             "Export the annotations again, as Pascal VOC XML.") from None
    if root.tag not in ("annotation", CVAT_ROOT):
        raise InputFileError(f"{name} is not a Pascal VOC annotation: it starts with <{root.tag}>, not "
                             "<annotation> (nor CVAT's <annotations>).", "Export the annotations as Pascal VOC "
                             "XML (or CVAT for images), or give the boxes as a CSV file.")
    return root


def validate_voc(root: ElementTree.Element, image_beside: str = "",
                 image_size: Callable[[str], tuple[int, int] | None] | None = None) -> Iterator[BoxRecord | RowError]:
    """Each object of a Pascal VOC annotation as a `BoxRecord` naming the annotation's image file (or, when it
    names none, the image beside it), or a `RowError` whose line is the object's position in the file.
    `image_size` gives an image file's size when the annotation gives none (some tools write 0)."""
    file_name = (_xml_text(root, "filename") or PureWindowsPath(_xml_text(root, "path")).name
                 or PurePosixPath(image_beside).name)
    width, height = (_xml_text(root, f"size/{side}") for side in IMAGE_SIZE)
    size = (_number(width), _number(height))
    if not all(0.0 < side < float("inf") for side in size) and file_name and image_size:
        size = image_size(file_name) or size
    for number, item in enumerate(root.iterfind("object"), 1):
        concept = _xml_text(item, "name")

        def error(message: str, hint: str) -> RowError:
            what = f"object {number} ({concept})" if concept else f"object {number}"
            return RowError(number, "", file_name, "", f"{what}: {message}", hint, [])

        corners = [_number(_xml_text(item, f"bndbox/{edge}")) for edge in PIXEL_EDGES]
        if not file_name:
            yield error("the file names no image (its <filename> is empty)",
                        "export the annotations again, with each image's file name")
        elif not concept:
            yield error("it has no <name>", "name what the box shows, such as 'dog'")
        elif not all(0.0 < side < float("inf") for side in size):
            yield error(*_no_image_size(width, height))
        elif not all(abs(corner) < float("inf") for corner in corners):
            yield error("its <bndbox> lacks a number in xmin, ymin, xmax or ymax",
                        "give each edge in pixels from the image's left or top")
        elif corners[0] >= corners[2] or corners[1] >= corners[3]:
            yield error("its box is inverted or empty (xmin must be less than xmax, and ymin less than ymax)",
                        "swap the two edges, or check which holds which")
        else:
            edges, problem = _image_edges(corners, *size, "its box ({:g}, {:g}, {:g}, {:g})".format(*corners))
            yield error(*problem) if problem else BoxRecord(number, "", file_name, concept, *edges)


def _xml_text(element: ElementTree.Element, path: str) -> str:
    return (element.findtext(path) or "").strip()


# -- CVAT for images: one XML file of every image's boxes ---------------------------------------------
CVAT_ROOT = "annotations"
_CVAT_CORNERS = ("xtl", "ytl", "xbr", "ybr")


def validate_cvat(root: ElementTree.Element) -> Iterator[BoxRecord | RowError]:
    """Each <box> and <polygon> of a CVAT for images export as a `BoxRecord` naming its <image>'s file, or a
    `RowError` whose line is the shape's position in the file. Corners and points are in pixels; a box turned
    `rotation` degrees about its centre becomes the upright box around it, a polygon the box around it with its
    outline. Lines, points and tags (see `cvat_tags`) are not boxes."""
    number = 0
    for image in root.iterfind("image"):
        file_name = (image.get("name") or "").strip()
        width, height = image.get("width"), image.get("height")
        size = (_number(width or ""), _number(height or ""))
        for shape in image:
            if shape.tag not in _CVAT_SHAPES:
                continue
            number += 1
            concept = (shape.get("label") or "").strip()
            what = f"{shape.tag} {number}" + (f" ({concept})" if concept else "")
            if not file_name:
                problem = ("its <image> has no name", "export the annotations again, with each image's file name")
            elif not concept:
                problem = ("it has no label", f"name what the {shape.tag} shows, such as 'dog'")
            elif not all(0.0 < side < float("inf") for side in size):
                problem = _no_image_size(width, height)
            else:
                edges, outline, problem = _CVAT_SHAPES[shape.tag](shape, size)
            if problem:
                message, hint = problem
                yield RowError(number, "", file_name, "", f"{what}: {message}", hint, [])
            else:
                yield BoxRecord(number, "", file_name, concept, *edges, outline)


def _cvat_box(box: ElementTree.Element, size: tuple[float, float]):
    """A <box>'s edges as fractions of its image, turned upright, and no outline; or a problem."""
    corners = [_number(box.get(corner) or "") for corner in _CVAT_CORNERS]
    rotation = _number(box.get("rotation") or "0")
    if not all(abs(corner) < float("inf") for corner in corners) or not (
            corners[0] < corners[2] and corners[1] < corners[3]):
        return (), (), (f"its corners ({', '.join(f'{c}={box.get(c)!r}' for c in _CVAT_CORNERS)}) are not a box",
                        "give xtl and ytl (top left) less than xbr and ybr (bottom right), in pixels")
    if not is_finite(rotation):
        return (), (), (f"its rotation {box.get('rotation')!r} is not a number of degrees",
                        "give the turn in degrees clockwise, such as 15.5, or leave it out")
    upright = upright_box(corners, rotation)
    edges, problem = _image_edges(upright, *size, "its box ({:g}, {:g}, {:g}, {:g})".format(*corners))
    return edges, (), problem


def _cvat_polygon(polygon: ElementTree.Element, size: tuple[float, float]):
    """A <polygon>'s box (around its points, "x1,y1;x2,y2;...") and outline as fractions of its image; or a
    problem."""
    text = polygon.get("points") or ""
    pairs = [[_number(value) for value in pair.split(",")] for pair in text.split(";")]
    if not all(len(pair) == 2 for pair in pairs):
        return (), (), (f"its points {shortened(text, SHOWN_NUMBER_CHARS)!r} are not x,y pairs",
                        "give each point as x,y in pixels, the points separated by semicolons")
    return drawn_shape("polygon", pairs, size, "check its points in CVAT")


_CVAT_SHAPES = {"box": _cvat_box, "polygon": _cvat_polygon}


def cvat_tags(root: ElementTree.Element) -> dict[str, tuple[str, ...]]:
    """Each <image>'s file name in a CVAT for images export -> the labels of its <tag>s: what the whole image
    shows."""
    return {(image.get("name") or "").strip(): tuple(dict.fromkeys(
        label for tag in image.iterfind("tag") if (label := (tag.get("label") or "").strip())))
        for image in root.iterfind("image")}


def upright_box(corners: Sequence[float], degrees: float) -> Sequence[float]:
    """The upright box around a box (left, top, right, bottom) turned `degrees` (a finite number: its callers refuse
    others as boxes to fix) about its centre."""
    if not degrees:
        return corners
    left, top, right, bottom = corners
    across, down = abs(right - left) / 2, abs(bottom - top) / 2
    cos, sin = abs(math.cos(math.radians(degrees))), abs(math.sin(math.radians(degrees)))
    half_across, half_down = across * cos + down * sin, across * sin + down * cos
    middle_x, middle_y = (left + right) / 2, (top + bottom) / 2
    return middle_x - half_across, middle_y - half_down, middle_x + half_across, middle_y + half_down


# -- YOLO: a text file of boxes per image, the classes named in data.yaml (or classes.txt) -------------
_YOLO_LINE = re.compile(r"\s*\d+(?:\s+[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?){4,}\s*", re.ASCII)
_YOLO_SLACK = 0.001  # how far past the image an edge may reach from rounding (a share of its size); kept to the edge
MAX_CLASSES = 100_000  # class numbers in a data.yaml's {number: name}, each a name kept in memory
_CLASS_NUMBER = re.compile(r"[0-9]{1,9}")  # ASCII digits: str.isdigit() takes '²', which int() refuses


def yolo_classes(data: bytes, name: str) -> YoloClasses:
    """The class names of a data.yaml (`names`, a list or {number: name}) or of a classes.txt (a name a line);
    raises `InputFileError` when the file names none."""
    if name.lower().endswith((".yaml", ".yml")):
        try:
            document = yaml.safe_load(data)
        except (yaml.YAMLError, ValueError, RecursionError) as error:  # a date such as 2024-13-45 is a ValueError
            raise InputFileError(f"{name} is not readable YAML ({_yaml_problem(error)}).",
                                 "Export the dataset again, in YOLO format.") from None
        document = document if isinstance(document, dict) else {}
        names, pose = document.get("names"), "kpt_shape" in document
        if isinstance(names, dict) and all(isinstance(number, int) and number >= 0 for number in names):
            if max(names, default=0) >= MAX_CLASSES:
                raise InputFileError(f"{name} gives the class number {max(names)}, which is too large (a dataset has "
                                     f"at most {MAX_CLASSES:,} classes).",
                                     "Number the classes in its 'names' from 0, one after another.")
            names = [names.get(number, "") for number in range(max(names, default=-1) + 1)]
    else:
        names, pose = data.decode("utf-8", "replace").rstrip().splitlines(), False
    if not (isinstance(names, list) and names):
        raise InputFileError(f"{name} names no classes.", "Give the class names in its 'names' list, in the "
                             "order of their numbers.")
    return YoloClasses(tuple(str(n).strip() if isinstance(n, (str, int, float)) else "" for n in names), name, pose)


def _yaml_problem(error: Exception) -> str:
    """What the YAML reader found wrong and where, without its copy of the text around it."""
    mark = getattr(error, "problem_mark", None)
    if not (isinstance(error, yaml.MarkedYAMLError) and error.problem and mark):
        return one_line(error)
    return f"{error.problem}, at line {mark.line + 1}, column {mark.column + 1}"


def names_yolo_classes(file_name: str) -> bool:
    """Whether a file may name a YOLO dataset's classes, by its name: a YAML file (Ultralytics' data.yaml),
    LabelImg's classes.txt, Darknet's obj.names, or Roboflow's YOLO Darknet export's _darknet.labels."""
    name = file_name.lower().rsplit("/", 1)[-1]
    return name.endswith((".yaml", ".yml", ".names")) or name in ("classes.txt", "_darknet.labels")


def looks_like_yolo(data: bytes) -> bool:
    """Whether a text file holds YOLO labels: nothing (an image without boxes), or a line of a class number and four
    or more fractions. One such line is enough: its other lines are boxes to fix, never the reason to drop them
    all."""
    lines = [line for line in data.decode("utf-8", "replace").splitlines() if line.strip()]
    return not lines or any(map(_YOLO_LINE.fullmatch, lines))


def validate_yolo(data: bytes, image: str, classes: YoloClasses) -> Iterator[BoxRecord | RowError]:
    """Each line of a YOLO label file (`class x_center y_center width height` as fractions of the image, then
    keypoints for a pose dataset; or a polygon `class x1 y1 x2 y2 ...`, its outline and the box around it) as a
    `BoxRecord` for `image`, or a `RowError`."""
    names = classes.names
    for line, text in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        values = text.split()
        if not values:
            continue

        def error(message: str, hint: str) -> RowError:
            return RowError(line, "", image, "", message, hint, [])

        concept = _class_name(values[0], names)
        numbers = [_number(value) for value in values[1:]]
        if classes.pose:
            numbers = numbers[:4]  # the box; its keypoints follow
        if not concept:
            yield error(f"the class {values[0]!r} is not one of the {len(names)} classes {classes.source} names",
                        f"number the classes from 0, in the order of the names in {classes.source}")
        elif not (len(numbers) == 4 or (len(numbers) >= 6 and len(numbers) % 2 == 0)) \
                or not all(abs(n) < float("inf") for n in numbers):
            yield error("the line is not 'class x_center y_center width height' (or a polygon 'class x1 y1 x2 y2 "
                        "...')", "give the box's centre, width and height as fractions of the image, from 0 to 1")
        else:
            if len(numbers) == 4:
                x, y, width, height = numbers
                corners = (x - width / 2, y - height / 2, x + width / 2, y + height / 2)
            else:
                corners = (min(numbers[0::2]), min(numbers[1::2]), max(numbers[0::2]), max(numbers[1::2]))
            edges = kept_to_image(corners, 1.0, 1.0, _YOLO_SLACK)
            if edges is None:
                yield error(f"the box reaches outside the image (its left, top, right and bottom edges are at "
                            f"{', '.join(f'{c:g}' for c in corners)})", "give the box's centre, width and height "
                            "as fractions of the image, from 0 to 1")
            elif edges[0] >= edges[2] or edges[1] >= edges[3]:
                yield error("the box has no width or height", "check the box's width and height")
            else:
                outline = outline_points(numbers, 1.0, 1.0, _YOLO_SLACK) if len(numbers) > 4 else ()
                yield BoxRecord(line, "", image, concept, *edges, (outline,) if outline else ())


def _class_name(number: str, names: Sequence[str]) -> str:
    """The name a YOLO or Keras class number (as written) stands for; "" when it names none."""
    return names[int(number)] if _CLASS_NUMBER.fullmatch(number) and int(number) < len(names) else ""


# -- Keras TXT: Roboflow's export for keras-yolo3, _annotations.txt and _classes.txt in each split folder ------
KERAS_BOXES, KERAS_CLASSES = "_annotations.txt", "_classes.txt"


def names_keras(file_name: str) -> bool:
    """Whether a boxes file is a Keras TXT annotations file, by its name."""
    return file_name.rsplit("/", 1)[-1] == KERAS_BOXES


def validate_keras(data: bytes, classes: YoloClasses, image_size: Callable[[str], tuple[int, int] | None] | None = None
                   ) -> Iterator[BoxRecord | RowError]:
    """Each box of a Keras TXT file (a line an image: its file, then `x_min,y_min,x_max,y_max,class` boxes in
    pixels) as a `BoxRecord` naming the image's file, or a `RowError` on its line. The file gives no image size:
    `image_size` reads it from the image file."""
    names = classes.names
    for line, text in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        file_name, *boxes = text.split() or [""]
        size = image_size(file_name) if file_name and image_size else None
        for place, box in enumerate(boxes, 1):
            fields = box.split(",")

            def error(message: str, hint: str) -> RowError:
                return RowError(line, "", file_name, "", f"box {place}: {message}", hint, [])

            corners = [_number(field) for field in fields[:4]]
            if len(fields) != 5 or not all(abs(corner) < float("inf") for corner in corners):
                yield error(f"{box!r} is not x_min,y_min,x_max,y_max,class",
                            "give each box's edges in pixels and its class number, with commas and no spaces")
            elif not (concept := _class_name(fields[4], names)):
                yield error(f"the class {fields[4]!r} is not one of the {len(names)} classes {classes.source} names",
                            f"number the classes from 0, in the order of the names in {classes.source}")
            elif size is None:
                yield error(f"the size of {file_name!r} is unknown, and the boxes are in pixels",
                            "choose the images with the file, in the same folder or zip")
            elif corners[0] >= corners[2] or corners[1] >= corners[3]:
                yield error("the box is inverted or empty (x_min must be less than x_max, and y_min less than y_max)",
                            "swap the two edges, or check which holds which")
            else:
                edges, problem = _image_edges(corners, *size, f"its box {box!r}")
                yield error(*problem) if problem else BoxRecord(line, "", file_name, concept, *edges)
