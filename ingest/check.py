"""Checking a whole file before upload: counts, a sample of rows and the row errors, for a preview;
and the same for a boxes file, whose boxes the upload reads here too."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import PurePosixPath
from typing import BinaryIO

from . import pictures
from .errors import InputFileError
from .local import LocalFiles, local_file, refuse_missing_files
from .read import open_table, read_again
from .report import COMMA_CONCEPTS_SHOWN, comma_concepts, look_alike_concepts
from .boxes import (
    CVAT_ROOT,
    BoxRecord,
    BoxesFile,
    coco_document,
    is_labelme,
    is_supervisely,
    map_box_columns,
    validate_boxes,
    validate_coco,
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
)
from .urls import url_change
from .validate import (
    BOXES_FILE_COLUMNS,
    CONCEPT_SEPARATOR,
    ColumnMap,
    InputRecord,
    RowError,
    ShortRows,
    gathered,
    gathers,
    map_columns,
    noting_short_rows,
    noting_unnamed_values,
    repeated_inputs,
    sampled_classes,
    separates_by_bar,
    validate_rows,
    with_classes,
)

SAMPLE_ROWS = 100
ERRORS_KEPT = 1000
DATASETS_KEPT = 1000  # distinct dataset ids remembered; a file naming more is unusual
CONCEPTS_COUNTED = 1000  # distinct concepts counted for the preview; a file with more has the first ones
BOX_ERRORS_KEPT = 50  # bad boxes listed before upload; the upload lists them all
BOXES_KEPT = 20_000  # valid boxes kept to draw on a preview's thumbnails


@dataclass(frozen=True)
class FileCheck:
    """What a file holds: how many rows, how many valid, the first rows and the row errors."""

    name: str
    header: tuple[str, ...]
    delimiter: str
    columns: ColumnMap
    rows: int
    valid: int
    sample: tuple[InputRecord | RowError, ...]
    errors: tuple[RowError, ...]
    datasets: tuple[str, ...] = ()  # the dataset ids valid rows name, sorted (at most DATASETS_KEPT)
    read_as: str = ""  # see `Table.read_as`
    sheets: tuple[str, ...] = ()  # see `Table.sheets`
    repeated_urls: int = 0  # valid inputs whose url an earlier valid input has: the same image again
    combined: int = 0  # rows combined into the input of the row above them (see `validate._combine`)
    comma_concepts: tuple[str, ...] = ()  # concepts written with a comma where '|' separates them (a few)
    concepts: tuple[tuple[str, int], ...] = ()  # (concept, the valid inputs that give it), most given first
    concepts_counted: bool = True  # False when the file gives more than CONCEPTS_COUNTED concepts
    changed_urls: Mapping[str, int] = field(default_factory=dict)  # valid inputs sent with their url changed, by how
    look_alike: tuple[tuple[str, ...], ...] = ()  # concepts, positive or negative, differing only in capitals or spaces
    unnamed_values: bool = False  # rows hold values after the header's last named column, which are not read
    short_rows: ShortRows = field(default_factory=ShortRows)  # rows that leave out named columns, read as empty
    class_columns: tuple[str, ...] = ()  # columns of 1s and 0s, which may be read as one concept each

    @property
    def invalid(self) -> int:
        return self.rows - self.valid


def check_file(
    stream: BinaryIO,
    name: str,
    delimiter: str | None = None,
    encoding: str | None = None,
    columns: Mapping[str, str] | None = None,
    sample_rows: int = SAMPLE_ROWS,
    errors_kept: int = ERRORS_KEPT,
    files: LocalFiles | None = None,
    keep_other_columns: bool = False,
    sheet: str | None = None,
    concept_separator: str = CONCEPT_SEPARATOR,
    class_columns: bool = False,
    added_concepts: Sequence[str] = (),
) -> FileCheck:
    """Validate every row of `stream`; raises `InputFileError` when the file itself is unusable.

    With `files` (the local files the rows name), a row whose file is missing, too large or not
    UTF-8 text counts as invalid, as the upload reports it. Every input gets `added_concepts` beside its row's
    own.
    """
    data = stream.read()  # read twice, unless its rows are not gathered: first to find the inputs rows apart name
    table = open_table(io.BytesIO(data), name, delimiter, encoding, sheet)
    column_map = map_columns(table.header, columns, name, lists_files=bool(files and files.manifest_name),
                             keep_others=keep_other_columns, concept_separator=concept_separator,
                             added_concepts=added_concepts)
    refuse_missing_files(column_map, files, table)
    classes = sampled_classes(column_map, table)
    if class_columns:
        column_map = with_classes(column_map, classes)
    last_lines: dict[int, int] = {}
    unnamed: list[None] = []  # one when a row holds a value under no column name
    raw_rows = noting_unnamed_values(table.rows, column_map, partial(unnamed.append, None))
    if gathers(column_map):  # as the upload does
        _, last_lines = repeated_inputs(raw_rows, column_map)
        raw_rows = read_again(table, lambda: io.BytesIO(data))
    rows = valid = combined = 0
    sample: list[InputRecord | RowError] = []
    errors: list[RowError] = []
    datasets: set[str] = set()
    urls: set[int] = set()  # hashes, to count repeats in little memory
    repeated_urls = 0
    changed_urls: Counter[str] = Counter()  # see `urls.url_change`
    commas: dict[str, None] = {}
    concepts: dict[str, int] = {}
    negatives: set[str] = set()  # the negative concepts' names, for the look-alike ones
    counted = True
    separated = separates_by_bar(column_map)  # a comma is in the concept's name
    short = ShortRows()
    for result in validate_rows(gathered(noting_short_rows(raw_rows, column_map, short), column_map, last_lines),
                                column_map):
        joined: tuple[tuple[int, list[str]], ...] = ()
        if isinstance(result, InputRecord):
            joined = result.joined
            result = local_file(files, result)
        rows += 1 + len(joined)
        combined += len(joined)
        if len(sample) < sample_rows:
            sample.append(result)
        if isinstance(result, InputRecord):
            valid += 1 + len(joined)
            if result.dataset_id and len(datasets) < DATASETS_KEPT:
                datasets.add(result.dataset_id)
            if result.url:
                key = hash(result.url)
                repeated_urls += key in urls
                if result.given_url:
                    changed_urls[url_change(result.given_url)] += 1
                urls.add(key)
            for concept in result.positive:
                if concept in concepts:
                    concepts[concept] += 1
                elif len(concepts) < CONCEPTS_COUNTED:
                    concepts[concept] = 1
                else:
                    counted = False
            if result.negative and len(negatives) < CONCEPTS_COUNTED:
                negatives.update(result.negative)
            if separated and len(commas) < COMMA_CONCEPTS_SHOWN:
                commas.update(dict.fromkeys(comma_concepts((*result.positive, *result.negative))))
        else:  # rows combined into an input whose file cannot be sent are each a row to fix
            errors += [result, *(replace(result, line=line, cells=cells) for line, cells in joined)][
                :errors_kept - len(errors)]
    return FileCheck(name, tuple(table.header), table.delimiter, column_map, rows, valid, tuple(sample),
                     tuple(errors), tuple(sorted(datasets)), table.read_as, table.sheets, repeated_urls, combined,
                     tuple(commas)[:COMMA_CONCEPTS_SHOWN],
                     tuple(sorted(concepts.items(), key=lambda item: -item[1])), counted, dict(changed_urls),
                     tuple(look_alike_concepts(dict.fromkeys([*concepts, *sorted(negatives)]))), bool(unnamed),
                     short, tuple(table.header[i] for i in classes))


@dataclass(frozen=True)
class BoxesCheck:
    """A boxes file read through before upload: how many boxes, how many are usable, the first bad ones,
    and the first valid ones by the input (url or file) they name, to draw on thumbnails."""

    rows: int
    valid: int
    errors: tuple[tuple[str, RowError], ...]  # (the file it is from: the boxes file, or one of its parts; the error)
    boxes: Mapping[str, tuple[BoxRecord, ...]]
    bad_lines: frozenset[int] = frozenset()  # of every box to fix (in a CSV of boxes, its rows)
    outlined: int = 0  # valid boxes the file draws as outlines (polygons)

    @property
    def invalid(self) -> int:
        return self.rows - self.valid


def read_boxes(boxes_file: BoxesFile, files: LocalFiles | None = None
               ) -> Iterator[tuple[str, BoxRecord | RowError]]:
    """Every box of a boxes file (of each of its parts) as a box or a row error, with the name of the file
    it comes from; raises `InputFileError` for an unusable file.

    A box in a split folder's boxes file (an export's train/_annotations.csv) names the file of
    that folder when the folder or zip holds one, else the one file of its name wherever it stands; a box
    on a copy of a file goes to that file. A Pascal VOC file that gives no image size takes its image's."""
    copies = dict(files.copies) if files else {}

    def named(source: BoxesFile, file_name: str) -> str:
        """The file a boxes file's name for it points at."""
        in_folder = f"{source.folder}/{file_name}"
        target = in_folder if source.folder and in_folder in files.sizes else file_name
        if target not in files.sizes:  # COCO's layout: annotations/train.json for the files in train2017/;
            # or a VOC file's image renamed since: the image beside it
            target = files.by_name.get(PurePosixPath(target).name) or source.image or target
        return copies.get(target, target)

    for source in boxes_file.parts or (boxes_file,):
        image_size = (lambda file_name, source=source: _image_size(files, named(source, file_name))) if files else None
        for result in _boxes_of(source, image_size):
            if isinstance(result, BoxRecord) and files:
                result = replace(result, url=named(source, result.url))
            yield source.name, result


def _image_size(files: LocalFiles, file_name: str) -> tuple[int, int] | None:
    """An image file's width and height in pixels; None when it cannot be read."""
    data = files.contents.get(file_name) if file_name in files.sizes else None
    return pictures.image_size(data) if data else None


def _boxes_of(source: BoxesFile, image_size: Callable[[str], tuple[int, int] | None] | None = None
              ) -> Iterator[BoxRecord | RowError]:
    """One file's boxes, read as its kind is: Keras TXT, YOLO labels, COCO, LabelMe, Supervisely, VIA or Create ML
    JSON, Pascal VOC XML, or a CSV of boxes."""
    if source.classes and not source.image:  # Keras TXT: every image's boxes (a YOLO label file is one image's)
        return validate_keras(source.data, source.classes, image_size)
    if source.classes:
        return validate_yolo(source.data, source.image, source.classes)
    if source.is_coco:
        document = coco_document(source.data, source.name)
        if is_labelme(document):
            return validate_labelme(document, source.image, image_size)
        if is_supervisely(document):  # named for its image: a.jpg.json
            image = source.image or PurePosixPath(source.name).name.removesuffix(".json")
            return validate_supervisely(document, image)
        if images := via_images(document):
            return validate_via(images, image_size)
        return validate_coco(document) if isinstance(document, dict) else validate_createml(document, image_size)
    if source.is_voc:
        root = voc_document(source.data, source.name)
        return validate_cvat(root) if root.tag == CVAT_ROOT else validate_voc(root, source.image, image_size)
    try:
        table = open_table(io.BytesIO(source.data), source.name)
    except InputFileError as error:  # its hint is a list's: say what a boxes file holds instead
        raise InputFileError(error.message, BOXES_FILE_COLUMNS) from None
    return validate_boxes(table.rows, map_box_columns(table.header, source.name), table.header)


def check_boxes(boxes_file: BoxesFile, files: LocalFiles | None = None) -> BoxesCheck:
    """Read and check every box as the upload will; raises `InputFileError` for an unusable file."""
    rows = valid = 0
    errors: list[tuple[str, RowError]] = []
    boxes: dict[str, list[BoxRecord]] = {}
    bad_lines: set[int] = set()
    outlined = 0
    for source, result in read_boxes(boxes_file, files):
        rows += 1
        if isinstance(result, RowError):
            bad_lines.add(result.line)
            if len(errors) < BOX_ERRORS_KEPT:
                errors.append((source, result))
            continue
        if valid < BOXES_KEPT:
            boxes.setdefault(result.url or result.input_id, []).append(result)
        valid += 1
        outlined += bool(result.outline)
    return BoxesCheck(rows, valid, tuple(errors), {target: tuple(kept) for target, kept in boxes.items()},
                      frozenset(bad_lines), outlined)
