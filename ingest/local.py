"""Reading local files: images, videos, audio and text chosen one by one, in a folder or packed in a zip.

A folder or zip may hold a CSV or TSV naming its files (a `file` column, with the usual
concept, metadata and id columns); without one, every file becomes an input whose id is
the hash of its bytes, so uploading the same files twice stores each once (a copy is
listed once), and an image's own text files (captions) and the dataset's notes (README)
are left out. Lists in its folders that describe the files beside them (Roboflow's
`_classes.csv`, Hugging Face's `metadata.jsonl` or `metadata.csv`) give those files their
concepts and metadata. Boxes files (a CSV of boxes, COCO or Create ML JSON, Pascal VOC's
XML files, YOLO's labels with their data.yaml) may stand anywhere in it. Sizes are checked
from the zip's directory before anything is read, and every read is capped, so a zip bomb
or a lying header cannot fill memory; names are checked even though nothing is extracted
to disk, so a zip built to escape its folder is refused rather than half-read. A Hugging
Face dataset's Parquet file is read as a zip of its rows' files.

A folder's or a zip's files are read when their batch is built, not up front, so a folder
of any size uploads in the memory of the batches in flight.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import hashlib
import io
import json
import os
import posixpath
import re
import threading
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, BinaryIO

from .errors import InputFileError, SeveralLists, one_line
from .read import Table, first_rows, json_value, open_parquet, open_table
from .records import NotJsonLines, json_lines, unreadable_line
from .boxes import (
    CVAT_ROOT,
    KERAS_CLASSES,
    BoxesFile,
    YoloClasses,
    coco_document,
    cvat_tags,
    is_labelme,
    is_supervisely,
    looks_like_yolo,
    map_box_columns,
    names_coco,
    names_keras,
    names_voc,
    names_yolo_classes,
    voc_document,
    yolo_classes,
)
from .urls import EXTENSION_KINDS, IMAGE_EXTENSIONS, MEDIA_EXTENSIONS, is_web_address
from .validate import (
    CONCEPT_SEPARATOR,
    LABEL_ALIASES,
    ONE_HOT_YES,
    ROLES,
    ColumnMap,
    InputRecord,
    RowError,
    cell_at,
    map_columns,
    one_hot_columns,
)

if TYPE_CHECKING:
    import pyarrow
    import pyarrow.parquet

MAX_IMAGE_BYTES = 20 * 1024 * 1024  # the API's limit for one image
MAX_MEDIA_BYTES = 100 * 1024 * 1024  # video, audio and text: keeps one input well inside a 128 MB request
_NAMES_SAMPLED = 100  # a list's first rows looked at to tell a column of file names from one of web addresses
MAX_ZIP_FILES = 100_000  # a detection export of 50,000 images has as many label files
MAX_ZIP_BYTES = 4 * 1024 * 1024 * 1024  # uncompressed, the whole archive
MAX_RATIO = 200  # uncompressed / compressed; real photos barely compress, a bomb compresses a thousandfold
MAX_COCO_BYTES = 512 * 1024 * 1024  # a JSON, XML (CVAT's) or Keras TXT file larger than this is not read as boxes
MAX_ANNOTATION_BYTES = 16 * 1024 * 1024  # nor a larger YOLO file of one image's boxes, or data.yaml
MAX_FOLDER_LIST_BYTES = 64 * 1024 * 1024  # nor a larger list describing the files of its folder
CLASS_LIST = "_classes.csv"  # Roboflow's multi-label export: one per split folder, a 0/1 column per class
HF_LISTS = ("metadata.csv", "metadata.jsonl")  # Hugging Face's ImageFolder: file_name, then any fields
_JSON_LINES_HINT = 'Write one JSON object a line, such as {"file_name": "a.jpg"}.'
CVAT_FILE = "annotations.xml"  # CVAT for images: every image's boxes and tags (its labels), its images in images/
# Names only an export's boxes files have (Roboflow's COCO, COCO's own, CVAT's): one that cannot be read is named,
# where another JSON or XML file that holds no boxes is left out as any other file
_BOXES_FILE_NAME = re.compile(r"(_annotations\.coco|instances_[\w-]+)\.json|annotations\.xml", re.IGNORECASE)
OWN_COLUMNS = frozenset(ROLES) - {"text", "file"}  # a list that has one of them is written for this tool
LEFT_OUT_SHOWN = 10  # names listed in the sentence about files left out
LAYOUT_FOLDERS = frozenset({"train", "training", "valid", "validation", "val", "test", "testing", "images", "imgs"})
MIRROR_FOLDERS = {"images": "labels", "JPEGImages": "Annotations"}  # images' folder -> their labels' (YOLO, VOC)
NOTES = ("readme", "license", "licence", "changelog", "citation")  # a dataset's notes (README.txt): no inputs
SKIPPED = ("__MACOSX/", "Thumbs.db", "desktop.ini")  # and hidden files and folders (.DS_Store, ._a.jpg, .git/)
OnRead = Callable[[int, int], None]  # (bytes just read, bytes to read in all)
OpenFile = Callable[[str], contextlib.AbstractContextManager[BinaryIO]]  # a file by its name, opened to read
_SURROGATE = re.compile("[\ud800-\udfff]")  # half of a UTF-16 pair: JSON can escape one, UTF-8 cannot hold it
_SHARD = re.compile(r"(?P<split>.+?)-\d+-of-\d+(?:-[0-9a-f]+)?\.parquet", re.IGNORECASE)  # train-00000-of-00004


@dataclass(frozen=True)
class Described:
    """What a list in a folder says of one of its files."""

    concepts: tuple[str, ...] = ()
    metadata: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class LocalFiles:
    """Files by name, with the CSV that describes them (given, or one line per file)."""

    name: str
    manifest: bytes
    contents: Mapping[str, bytes | None]  # None: listed but too large to read
    sizes: dict[str, int]
    manifest_name: str = ""  # where row lines point: the zip's own CSV, or the zip when the list is made up
    held: int = 0  # bytes the files came in (the chosen files, or the zip); a folder's stay on disk
    left_out: tuple[str, ...] = ()  # files found that are not media by their extension, not listed
    sidecars: tuple[str, ...] = ()  # text files that belong to the images they are named like, not listed
    boxes: tuple[BoxesFile, ...] = ()  # the folder's or zip's own boxes files (a detection export's)
    copies: tuple[tuple[str, str], ...] = ()  # (a file, the file with the same bytes listed instead)
    in_folder: bool = False  # the files are on disk, in the folder `name`
    chosen: bool = False  # the files were chosen on the page, so `name` only counts them
    root: str = ""  # the folder the files' names are relative to, in a zip of one folder ('photos/')
    folder_lists: tuple[str, ...] = ()  # the lists that described the files of their folders (see `_folder_lists`)
    missing: tuple[str, ...] = ()  # files those lists name that are not there (both named as the files are)
    class_problems: tuple[str, ...] = ()  # why the files left out that may name YOLO classes name none

    @functools.cached_property
    def by_name(self) -> dict[str, str | None]:
        """Each file by its name without folders (a.jpg for train/a.jpg); None for a name several files have."""
        return _by_key(self.sizes, lambda path: path.name)

    @functools.cached_property
    def _by_stem(self) -> dict[str, str | None]:
        return _by_key(self.sizes, lambda path: path.stem)

    def find(self, file_name: str) -> str | None:
        """The file a list's name for it means: that file, else the one file of that name in any folder (a.jpg
        for train/a.jpg), else the one file of that name with an extension (a.jpg for a); "" for none, None
        for a name several files have."""
        if file_name in self.sizes:
            return file_name
        for index in (self.by_name, self._by_stem):
            if file_name in index:
                return index[file_name]
        return ""

    def usable(self, file_name: str) -> bool:
        """Whether the file is listed and within its kind's size limit."""
        return file_name in self.sizes and self.sizes[file_name] <= size_limit(file_name)

    @property
    def source_name(self) -> str:
        """Where row lines point: the list's own path (photos.zip:labels.csv, photos/labels.csv, or labels.csv
        chosen with the files)."""
        if not self.manifest_name or self.chosen:
            return self.manifest_name or self.name
        return str(Path(self.name) / self.manifest_name) if self.in_folder else f"{self.name}:{self.manifest_name}"

    @property
    def folders(self) -> tuple[str, ...]:
        """The names of the folders the files stand in (cats for cats/a.jpg, and for train/cats/a.jpg), sorted."""
        return tuple(sorted({_class_folder(self.root + file_name) for file_name in self.sizes} - {""}))

    def labelled_by_folder(self) -> LocalFiles:
        """The same files with each one's folder name as its concept (cats/a.jpg: cats), as image
        classification datasets are laid out; for a list made from the files."""
        if self.manifest_name:
            raise InputFileError(f"{self.source_name} already says what each file is.",
                                 "Give the concepts in its pos_concepts column instead of by folder.")
        folders = {file_name: [_class_folder(self.root + file_name)] for file_name in self.sizes}
        for copy, kept in self.copies:  # the same image in two class folders has both concepts
            folders[kept].append(_class_folder(self.root + copy))
        listed = list(csv.reader(io.StringIO(self.manifest.decode("utf-8"))))
        header = listed[0] if "pos_concepts" in listed[0] else [*listed[0], "pos_concepts"]  # lists gave some
        at = header.index("pos_concepts")
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(header)
        for row in listed[1:]:
            row = row + [""] * (len(header) - len(row))
            concepts = [*row[at].split(CONCEPT_SEPARATOR), *folders[row[0]]]
            row[at] = CONCEPT_SEPARATOR.join(dict.fromkeys(filter(None, concepts)))
            writer.writerow(row)
        return replace(self, manifest=text.getvalue().encode("utf-8"))


def _by_key(file_names: Iterable[str], key: Callable[[PurePosixPath], str]) -> dict[str, str | None]:
    """Each file by `key` of its path; None for a key several files have."""
    found: dict[str, str | None] = {}
    for file_name in file_names:
        name = key(PurePosixPath(file_name))
        found[name] = None if name in found else file_name
    return found


def _class_folder(file_name: str) -> str:
    """The folder that names a file's class: its own, unless that only sorts a dataset (train/, images/)."""
    folder = PurePosixPath(file_name).parent.name
    return "" if folder.lower() in LAYOUT_FOLDERS else folder


def left_out_sentence(files: LocalFiles | None) -> str:
    """What a folder or zip held that was left out (not media, or an image's own text file), and the files its
    lists name that are not there, in a sentence or two ('' for nothing)."""
    if not files:
        return ""
    sentences = []
    notes = () if files.boxes or files.folder_lists else tuple(filter(_is_notes, files.left_out))
    if notes:
        sentences.append(f"Left out {len(notes):,} {'files' if len(notes) > 1 else 'file'} of notes on the "
                         f"dataset: {_some(notes)}.")
    if others := tuple(file_name for file_name in files.left_out if file_name not in notes):
        sentences.append(_not_media_sentence(files, others))
    if any(file_name.lower().endswith(".parquet") for file_name in others):
        sentences.append("A Parquet file's images are uploaded when it is chosen (or given) on its own.")
    if files.copies:
        count = len(files.copies)
        shown = _some(tuple(f"{copy} (same as {kept})" for copy, kept in files.copies))
        sentences.append(f"Left out {count:,} {'files' if count > 1 else 'file'} with the same content as another, "
                         f"which is stored once for both (a copy's boxes and folder concept go to it too): {shown}.")
    if files.missing:
        count = len(files.missing)
        sentences.append(f"{count:,} {'files' if count > 1 else 'file'} that {_some(files.folder_lists)} "
                         f"{'name' if len(files.folder_lists) > 1 else 'names'} {'are' if count > 1 else 'is'} not "
                         f"there: {_some(files.missing)}.")
    if files.sidecars:
        count = len(files.sidecars)
        if files.class_problems:
            fix = f"they need their classes, but {files.class_problems[0]}"
        else:
            fix = "add the data.yaml (or classes.txt) naming their classes to read them as boxes."
        sentences.append(f"Left out {count:,} text {'files' if count > 1 else 'file'} named like the images "
                         f"beside them, captions or labels: {_some(files.sidecars)}. If they are YOLO labels, {fix}")
    return " ".join(sentences)


def _some(names: tuple[str, ...]) -> str:
    """The first names, and how many more."""
    more = len(names) - LEFT_OUT_SHOWN
    return ", ".join(names[:LEFT_OUT_SHOWN]) + (f" and {more:,} more" if more > 0 else "")


def _not_media_sentence(files: LocalFiles, left_out: tuple[str, ...]) -> str:
    count = len(left_out)
    shown = _some(left_out)
    if files.folder_lists and not files.manifest_name:
        what = (f"{'files' if count > 1 else 'file'} that {_some(files.folder_lists)} "
                f"{'do' if len(files.folder_lists) > 1 else 'does'} not name (with such lists, only the files "
                "they name are inputs)")
    elif files.boxes and not files.manifest_name:
        what = (f"{'files that are not images' if count > 1 else 'file that is not an image'} (with boxes files, "
                "only the images are inputs)")
    else:
        what = ("files that are not images, videos, audio or text files (by their extensions)" if count > 1
                else "file that is not an image, video, audio or text file (by its extension)")
    return f"Left out {count:,} {what}: {shown}."


def row_noun(files: LocalFiles | None, columns: ColumnMap | None = None) -> str:
    """What one counted row stands for: a file, when the list was made from the files themselves; an
    input, in a list of boxes (several rows per input)."""
    if columns and columns.boxes:
        return "input"
    return "file" if files and not files.manifest_name else "row"


def kind_of_file(name: str) -> str:
    """image, video, audio or text by extension (image when unknown)."""
    suffix = PurePosixPath(name).suffix.lower()
    return "image" if suffix in IMAGE_EXTENSIONS else EXTENSION_KINDS.get(suffix, "image")


def size_limit(name: str) -> int:
    return MAX_IMAGE_BYTES if kind_of_file(name) == "image" else MAX_MEDIA_BYTES


class _Contents(Mapping[str, "bytes | None"]):
    """File bytes by name, read when asked for; None for a file over its size limit."""

    def __init__(self, sizes: dict[str, int], read: Callable[[str], bytes]) -> None:
        self._sizes = sizes
        self._read = read

    def __getitem__(self, file_name: str) -> bytes | None:
        return self._read(file_name) if self._sizes[file_name] <= size_limit(file_name) else None

    def __iter__(self) -> Iterator[str]:
        return iter(self._sizes)

    def __len__(self) -> int:
        return len(self._sizes)


def from_files(files: Iterable[tuple[str, bytes]], name: str = "chosen files", chosen_list: str | None = None
               ) -> LocalFiles:
    """Files chosen on the page (name, bytes; a folder chosen names them within it), held in memory and read
    as a zip's are: a list among them names the files, boxes files give their boxes."""
    chosen = {file_name: data for file_name, data in files if not _skipped(file_name)}
    root = _root_folder(list(chosen))
    chosen = {file_name.removeprefix(root): data for file_name, data in chosen.items()}
    return _read_members(name, {file_name: len(data) for file_name, data in chosen.items()},
                         lambda file_name: io.BytesIO(chosen[file_name]), chosen.__getitem__,
                         lambda file_name: root + file_name, chosen_list, root, held=sum(map(len, chosen.values())),
                         chosen=True)


def from_folder(folder: Path, chosen_list: str | None = None, on_read: OnRead | None = None) -> LocalFiles:
    """The files under `folder`, by their names relative to it: see `from_paths`."""
    return from_paths({p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()},
                      str(folder), chosen_list, on_read)


def from_paths(paths: Mapping[str, Path], name: str, chosen_list: str | None = None, on_read: OnRead | None = None
               ) -> LocalFiles:
    """Files on disk, by the names they go under (a folder's files, relative to it), read when uploaded; their CSVs
    are read as a zip's are, their Parquet files as a Hugging Face dataset's when they are all there is to upload
    (`dataset_parts`). `on_read(size, total)` follows the first read, for the files' ids: a file's bytes, of all
    of them."""
    found = {file_name: paths[file_name].stat().st_size for file_name in paths if not _skipped(file_name)}
    for file_name in found:
        try:
            file_name.encode("utf-8")
        except UnicodeEncodeError:  # Python keeps bytes that are not UTF-8 as lone surrogates, which no list can hold
            raise InputFileError(f"{name}: the name of the file "
                                 f"'{os.fsencode(file_name).decode('utf-8', 'backslashreplace')}' is not UTF-8 text.",
                                 "Rename the file, or move it out of the folder.") from None
    if chosen_list is None and (parts := dataset_parts(found)):  # a Hugging Face dataset, downloaded
        return from_parquet([(str(paths[part]), open(paths[part], "rb")) for part in parts], name, on_read)

    def read(file_name: str) -> bytes:
        try:
            with open(paths[file_name], "rb") as handle:
                data = handle.read(found[file_name] + 1)
        except OSError as error:
            raise _gone(name, file_name, error.strerror or str(error)) from None
        if len(data) != found[file_name]:
            raise _gone(name, file_name, "it changed")
        return data

    return _read_members(name, found, lambda file_name: open(paths[file_name], "rb"), read,
                         lambda file_name: str(paths[file_name]), chosen_list, on_read=on_read, in_folder=True)


def _gone(name: str, file_name: str, why: str) -> InputFileError:
    return InputFileError(
        f"{name}: {file_name} could not be read during the upload ({why}).",
        "Leave the files as they are while uploading, then run the same command again: "
        "files already uploaded are not stored twice.")


def from_zip(stream: BinaryIO, name: str, chosen_list: str | None = None, on_read: OnRead | None = None
             ) -> LocalFiles:
    """Open a zip safely, reading its files when uploaded (`stream` must stay open until then);
    raise `InputFileError` for an unsafe or oversized archive. `on_read` as for `from_folder`.

    Its CSVs are read by what they hold: one at the top that names files is the list (`chosen_list` when
    there are several, "" for none); boxes files
    (a detection export's, one per split folder as Roboflow makes them) may stand anywhere and
    name files relative to their own folder. Without a list, every file is an input: only the
    images when the zip holds boxes (an export's README is no input)."""
    try:
        archive = zipfile.ZipFile(stream)
    except zipfile.BadZipFile:
        raise InputFileError(f"{name} is not a readable zip archive.",
                             "Make the zip again, or choose the files themselves.") from None
    members = [info for info in archive.infolist()  # a name '' or '.' names no file, as a folder's does not
               if PurePosixPath(info.filename).parts and not info.is_dir()]
    _check_archive(members, name)  # every member, the ones left out too: a hidden name must not hide '../'
    members = [info for info in members if not _skipped(info.filename)]
    root = _root_folder([info.filename for info in members])  # a zipped folder is read as that folder
    infos = {info.filename.removeprefix(root): info for info in members}
    return _read_members(name, {file_name: info.file_size for file_name, info in infos.items()},
                         lambda file_name: _open_member(archive, infos[file_name], name),  # stops at its size
                         lambda file_name: _read(archive, infos[file_name], name),
                         lambda file_name: f"{name}:{root}{file_name}", chosen_list, root, on_read,
                         held=stream.seek(0, io.SEEK_END))


def from_parquet(parts: Sequence[tuple[str, BinaryIO]], name: str, on_read: OnRead | None = None) -> LocalFiles:
    """A Hugging Face dataset's Parquet files (one, or the shards of a larger dataset in order: each its name and
    a stream that stays open until the upload ends): each row's image (or audio) a file, its class labels (by their
    ClassLabel names) and label columns its concepts, its other columns its metadata. Files are read a row group
    at a time; `on_read` as for `from_folder`."""
    import pyarrow

    opened = [(part, open_parquet(stream, part)) for part, stream in parts]
    media = [_file_columns(parquet.schema_arrow) for _, parquet in opened]  # each part's columns of files
    if empty := next((part for (part, _), found in zip(opened, media) if not found), None):
        raise InputFileError(f"{empty} holds no images, audio or other files (no column of file bytes and paths, "
                             "as Hugging Face stores them: the bytes binary, the path text).",
                             "If it lists web addresses, choose it as a list of web addresses instead.")
    columns = [found[0] for found in media]  # the one read as files
    lock = threading.Lock()
    # Read on this thread (use_threads=False): a process that ended soon after Arrow's thread pool had started, as
    # after a row to fix, aborted now and then ("terminate called without an active exception") instead of exiting

    @functools.lru_cache(maxsize=2)  # files are sent in order: a row group is read once, or twice at its edge
    def group_cells(shard: int, group: int) -> list[dict]:
        parquet, column = opened[shard][1], columns[shard]
        with lock:  # the page's preview and its upload may read at once
            cells = parquet.read_row_group(group, columns=[column], use_threads=False).column(column)
            return [cell or {} for cell in cells.to_pylist()]

    places: dict[str, tuple[int, int, int]] = {}  # file -> (part, row group, row in it)
    sizes: dict[str, int] = {}
    ids: dict[str, str] = {}
    described: dict[str, Described] = {}
    missing = []  # rows that name a file without holding its bytes
    total = sum(_bytes_stored(parquet, column) for (_, parquet), column in zip(opened, columns))
    splits = [_split(part) for part, _ in parts]
    marked = all(splits) and len(set(splits)) > 1  # several splits at once: each file's goes in its metadata
    for shard, ((part, parquet), column) in enumerate(zip(opened, columns)):
        features = _hf_features(parquet.schema_arrow)
        feature = features.get(column)
        default_name = ".wav" if isinstance(feature, dict) and feature.get("_type") == "Audio" else ".png"
        named = []  # this part's files, a row each
        for group in range(parquet.num_row_groups):
            try:
                cells = group_cells(shard, group)
            except (pyarrow.ArrowException, OSError) as error:
                raise InputFileError(f"{part}: row group {group + 1} cannot be read ({one_line(error)}).",
                                     "Download the file again: it is damaged or cut short.") from None
            for index, cell in enumerate(cells):
                path = PurePosixPath((cell.get("path") or "").replace("\\", "/")).name
                file_name = f"{len(places) + 1:06d}-{path}" if path else f"{len(places) + 1:06d}{default_name}"
                data = cell.get("bytes") or b""
                places[file_name] = (shard, group, index)
                named.append(file_name)
                if not data:
                    missing.append(file_name)
                    continue
                sizes[file_name] = len(data)
                if len(data) <= size_limit(file_name):
                    ids[file_name] = content_id(data)
                if on_read:
                    on_read(len(data), total)
        others = [f.name for f in parquet.schema_arrow if f.name not in media[shard]]
        rows = _rows(parquet.read(columns=others, use_threads=False), part) if others else [{}] * len(named)
        split = {"split": splits[shard]} if marked else {}
        described.update((file_name, _described({**split, **row}, features)) for file_name, row in zip(named, rows)
                         if file_name in sizes)
    manifest, copies = _manifest(sizes, ids, described)

    def read(file_name: str) -> bytes:
        shard, group, index = places[file_name]
        return group_cells(shard, group)[index].get("bytes") or b""

    held = sum(stream.seek(0, io.SEEK_END) for _, stream in parts)
    return LocalFiles(name, manifest, _Contents(sizes, read), sizes, held=held, copies=copies,
                      folder_lists=tuple(PurePosixPath(part).name for part, _ in parts), missing=tuple(missing))


def _rows(table: pyarrow.Table, name: str) -> list[dict]:
    """A table's rows as Python values; raises `InputFileError` naming a column with a value Python cannot hold
    (a date after the year 9999)."""
    columns = []
    for column, values in zip(table.column_names, table.columns):
        try:
            columns.append(values.to_pylist())
        except (OverflowError, ValueError) as error:
            raise InputFileError(f"{name}: its column {column!r} holds a value that cannot be read "
                                 f"({one_line(error)}).",
                                 "Export the file again, with that column's values in range or without it.") from None
    return [dict(zip(table.column_names, row)) for row in zip(*columns)]


def _split(part: str) -> str:
    """The split a Hugging Face dataset's Parquet file holds, by its name (train-00000-of-00004.parquet) or, for a
    numbered file (train/0000.parquet), its folder's; "" when neither says."""
    path = PurePosixPath(part.replace("\\", "/"))
    if shard := _SHARD.fullmatch(path.name):
        return shard["split"]
    return path.parent.name if path.stem.isdigit() else ""


def _bytes_stored(parquet: pyarrow.parquet.ParquetFile, column: str) -> int:
    """The bytes of the files a Parquet file's `column` holds, uncompressed, from its footer."""
    layout = parquet.metadata
    return sum(chunk.total_uncompressed_size
               for chunk in (layout.row_group(g).column(c)
                             for g in range(layout.num_row_groups) for c in range(layout.num_columns))
               if chunk.path_in_schema == f"{column}.bytes")


def dataset_parts(file_names: Iterable[str]) -> list[str]:
    """The Parquet files among a folder's or a choice's files, sorted, when they are a Hugging Face dataset as
    downloaded (beside them its card and other notes, nothing to upload or list); else none."""
    file_names = [file_name for file_name in file_names if not _skipped(file_name)]
    parts = sorted(file_name for file_name in file_names if file_name.lower().endswith(".parquet"))
    others = [file_name for file_name in file_names if not file_name.lower().endswith(".parquet")]
    if any((is_media(file_name) and not _is_notes(file_name)) or _is_table(file_name) for file_name in others):
        return []
    return parts


def holds_files(stream: BinaryIO) -> bool:
    """Whether a Parquet file holds files (a column of their bytes and paths, as Hugging Face stores images), rather
    than being a table of rows to read as a list. By the fields' names: reading it as files says what a column of
    other types lacks."""
    import pyarrow.parquet

    try:
        schema = pyarrow.parquet.read_schema(stream)
    except (pyarrow.ArrowException, OSError):
        return True  # reading it as files says what is wrong with it
    return any(pyarrow.types.is_struct(f.type) and {"bytes", "path"} <= set(f.type.names) for f in schema)


def _file_columns(schema: pyarrow.Schema) -> list[str]:
    """The columns that hold files: structs of their bytes and path, as Hugging Face stores Image and Audio."""
    from pyarrow import types

    def typed(struct: pyarrow.StructType, name: str, *kinds: Callable[[pyarrow.DataType], bool]) -> bool:
        index = struct.get_field_index(name)  # -1 for no such field, or several
        return index >= 0 and any(kind(struct.field(index).type) for kind in (types.is_null, *kinds))

    return [f.name for f in schema if types.is_struct(f.type)
            and typed(f.type, "bytes", types.is_binary, types.is_large_binary)
            and typed(f.type, "path", types.is_string, types.is_large_string)]


def _hf_features(schema: pyarrow.Schema) -> dict[str, dict]:
    """The dataset's features (each column's type: Image, ClassLabel with its names...) that Hugging Face writes
    in a Parquet file's metadata; empty when it wrote none."""
    try:
        features = json.loads((schema.metadata or {}).get(b"huggingface", b"{}"))["info"]["features"]
    except (ValueError, KeyError, TypeError, RecursionError):
        return {}
    return features if isinstance(features, dict) else {}


def _described(fields: Mapping[str, object], features: Mapping[str, dict] | None = None) -> Described:
    """What a Hugging Face list or Parquet row says of its file: its concepts (the names of its class labels, by
    the `features` that name them, and the texts of its label fields: a name or a list of names) and its
    metadata (its other fields; a class number whose name is not given among them)."""
    features = features or {}
    concepts: list[str] = []
    metadata = {}
    for key, value in fields.items():
        feature = features.get(key) if isinstance(features.get(key), dict) else {}
        inner = feature.get("feature") if isinstance(feature.get("feature"), dict) else {}
        names = feature.get("names") or inner.get("names")  # a ClassLabel, or a list of them
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            names = []  # not names a class number can stand for: the value goes to the metadata
        values = value if isinstance(value, list) else [value]
        if names and all(isinstance(v, int) and 0 <= v < len(names) for v in values):
            concepts.extend(names[v] for v in values)
        elif key.lower() in LABEL_ALIASES and all(isinstance(v, str) for v in values):
            concepts.extend(filter(None, values))
        elif value is not None and not isinstance(value, bytes):
            metadata[key] = value
    return Described(tuple(concepts), metadata)


def _read_members(name: str, sizes: Mapping[str, int], open_file: OpenFile,
                  read: Callable[[str], bytes], shown: Callable[[str], str], chosen_list: str | None,
                  root: str = "", on_read: OnRead | None = None, **how_held: object) -> LocalFiles:
    """A folder's, zip's or the page's files (by name within `root`, with their sizes) as local files: their
    boxes files, their own list as written (`chosen_list`, among several) or one made from the files (with
    what the lists in their folders say of them; the copies left out of it), and the files left out."""
    boxes = _boxes_files(list(sizes), open_file, shown, name)
    lists = _folder_lists(list(sizes), open_file, shown, boxes)
    described = {file_name: what for named in lists.values() for file_name, what in named.items()}
    own_list, listed, left_out, sidecars = _sort_listing(list(sizes), boxes, name, chosen_list, lists, described)
    if not own_list and not listed:  # else a list of no rows, whose error speaks of a header line
        if boxes:
            raise InputFileError(f"{name} holds boxes ({_some(tuple(dict.fromkeys(b.name for b in boxes.values())))})"
                                 " but none of the images they are drawn on.",
                                 "Choose the folder or zip that holds the images too: an export with its images, "
                                 "or each annotation file (LabelMe's, Pascal VOC's) beside its image.")
        held = f" (only {_some(left_out)})" if left_out else ""
        raise InputFileError(f"{name} holds no images, videos, audio or text files to upload{held}.",
                             "Choose the folder or zip that holds them, or a list of their web addresses.")
    listed_sizes = {file_name: sizes[file_name] for file_name in listed}
    class_files = [file_name for file_name in left_out if names_yolo_classes(file_name)] if sidecars else []
    class_problems = tuple(problem for file_name in class_files
                           if isinstance(problem := _yolo_classes_of(file_name, open_file), str))
    if own_list:
        manifest, copies, lists, described = _one_hot_concepts(read(own_list), shown(own_list)), (), {}, {}
    else:
        manifest, copies = _manifest(listed_sizes, _content_ids(listed_sizes, open_file, on_read), described)
    return LocalFiles(name, manifest, _Contents(listed_sizes, read), listed_sizes, own_list and root + own_list,
                      left_out=left_out, sidecars=sidecars, boxes=tuple(dict.fromkeys(boxes.values())), copies=copies,
                      root=root, folder_lists=tuple(lists),
                      missing=tuple(file_name for file_name in described if file_name not in sizes),
                      class_problems=class_problems, **how_held)


def _one_hot_concepts(listing: bytes, name: str) -> bytes:
    """A list that gives its concepts as one column per class holding 0 or 1 (Kaggle's multi-label lists),
    with those columns made one pos_concepts column of the classes each row has; any other list as it is.
    Each row keeps its line, so its errors point at the line of the list as written."""
    if listing.lstrip(codecs.BOM_UTF8)[:4].lower() == b"sep=":  # its header is not on line 1
        return listing
    try:
        table = open_table(io.BytesIO(listing), name)
        columns = map_columns(table.header, name=name, lists_files=True)
        rows = list(table.rows)
    except InputFileError:
        return listing  # the upload reads it again, and says what is wrong with it
    if any(len(row.cells) != len(table.header) for row in rows):
        return listing  # a row the upload reports as it is
    classes = one_hot_columns(columns, rows)
    if not classes:
        return listing
    kept = [i for i in range(len(table.header)) if i not in classes]
    text = io.StringIO()
    writer = csv.writer(text, delimiter=table.delimiter)
    writer.writerow([*(table.header[i] for i in kept), "pos_concepts"])
    written = 1
    for row in rows:
        text.write("\r\n" * (row.line - 1 - written))  # the blank lines the reader skipped
        concepts = [table.header[i].strip() for i in classes if cell_at(row.cells, i) in ONE_HOT_YES]
        writer.writerow([*(row.cells[i] for i in kept), CONCEPT_SEPARATOR.join(concepts)])
        written = row.line + sum(cell.count("\n") for cell in row.cells)
    return text.getvalue().encode("utf-8")


def _folder_lists(file_names: list[str], open_file: OpenFile, shown: Callable[[str], str],
                  boxes: Mapping[str, BoxesFile]) -> dict[str, dict[str, Described]]:
    """The lists in a folder or zip that describe the files of their own folder, each with what it says of
    each file it names (by its name in the folder or zip): Roboflow's multi-label `_classes.csv` in a split
    folder (filename, then a 0 or 1 column per class), Hugging Face's ImageFolder `metadata.csv` or
    `metadata.jsonl` (file_name, then any fields), and a CVAT export's `annotations.xml` with tags (each
    image's labels; its bytes are those its `boxes` file holds). A file of those names that is no such list is
    not among them; raises `InputFileError` for a Hugging Face list with a line that cannot be read."""
    found = {}
    present = set(file_names)
    for file_name in file_names:
        path = PurePosixPath(file_name)
        if path.name == CLASS_LIST and path.parent != PurePosixPath("."):  # at the top, it is the list itself
            describe = _class_list
        elif path.name in HF_LISTS:
            describe = _hf_list
        elif path.name == CVAT_FILE:
            describe = _cvat_list
        else:
            continue
        if describe is _cvat_list:  # read already, within MAX_COCO_BYTES, if it is CVAT's
            data = boxes[file_name].data if file_name in boxes else None
        else:
            with open_file(file_name) as stream:
                data = _read_within(stream, MAX_FOLDER_LIST_BYTES)
        described = describe(data, shown(file_name)) if data else None
        if described is not None:
            found[file_name] = {_named_file(path.parent, named, present): what for named, what in described.items()}
    return found


def _named_file(folder: PurePosixPath, named: str, present: Collection[str]) -> str:
    """The file a folder's list names: in that folder, or else in its `images/` folder, where CVAT's export
    puts them (the first when neither is there)."""
    in_folder, in_images = str(folder / named), str(folder / "images" / named)
    return in_images if in_folder not in present and in_images in present else in_folder


def _class_list(data: bytes, name: str) -> dict[str, Described] | None:
    """Each file's classes in a list of one 0/1 column per class; None for any other list."""
    listing = _one_hot_concepts(data, name)
    if listing is data:
        return None
    table = open_table(io.BytesIO(listing), name)
    columns = map_columns(table.header, name=name, lists_files=True)
    described = {}
    for row in table.rows:
        concepts = cell_at(row.cells, columns.positions["pos_concepts"]).split(CONCEPT_SEPARATOR)
        described[cell_at(row.cells, columns.positions["file"])] = Described(tuple(filter(None, concepts)))
    return described


def _cvat_list(data: bytes, name: str) -> dict[str, Described] | None:
    """Each image's tags in a CVAT for images export, as its concepts; None for an XML file that is no such
    export, or one with no tags (its boxes are read as a boxes file's)."""
    try:
        root = voc_document(data, name)
    except InputFileError:
        return None
    tags = cvat_tags(root) if root.tag == CVAT_ROOT else {}
    if not any(tags.values()):
        return None
    return {file_name: Described(labels) for file_name, labels in tags.items() if file_name}


def _hf_list(data: bytes, name: str) -> dict[str, Described] | None:
    """Each file's concepts (its `label`, or another of the concept column's names: a name or a list of names)
    and metadata (its other fields) in a Hugging Face ImageFolder list; None for a list without file_name, or
    with a column of this tool's own (pos_concepts, input_id...): that list is read as written."""
    if name.endswith(".jsonl"):
        records = _json_lines(data, name)
    else:
        try:
            table = open_table(io.BytesIO(data), name)
        except InputFileError:
            return None  # not a list Hugging Face reads either: left out, as any file that is not media
        header = [cell.strip() for cell in table.header]
        if "file_name" not in header or OWN_COLUMNS & {cell.lower() for cell in header}:
            return None
        records = ((row.line, {key: cell for key, cell in zip(header, row.cells) if cell.strip()})
                   for row in table.rows)
    described: dict[str, Described] = {}
    for line, fields in records:
        if _half_pair(fields):
            raise InputFileError(f"{name}, line {line}: it holds half of a character pair (such as \\ud800 alone), "
                                 "which cannot be stored.", "Write the whole pair, or take out the half.")
        file_name = fields.pop("file_name", None)
        if not described and OWN_COLUMNS & {key.lower() for key in fields}:
            return None  # its first line decides
        if not isinstance(file_name, str) or not file_name.strip():
            if not described and name.endswith(".jsonl"):
                return None
            raise InputFileError(f"{name}:{line}: the line gives no file_name.",
                                 "Give every line the name of its file, as file_name.")
        described[file_name.strip()] = _described(fields)
    return described


def _half_pair(value: object) -> bool:
    """Whether a JSON value holds a lone surrogate (JSON may escape one, as "\\ud800"), which UTF-8 cannot encode."""
    values = [value]
    while values:  # not recursive: a line may nest as deep as the JSON reader goes
        value = values.pop()
        if isinstance(value, str) and _SURROGATE.search(value):
            return True
        if isinstance(value, dict):
            values.extend([*value, *value.values()])
        elif isinstance(value, list):
            values.extend(value)
    return False


def _json_lines(data: bytes, name: str) -> Iterator[tuple[int, dict]]:
    """The objects of a JSON Lines list, one a line, with their lines; raises `InputFileError` naming a line
    that holds none."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputFileError(f"{name} is not UTF-8 text.", "Save it again as UTF-8.") from None
    try:
        yield from json_lines(text.splitlines(), name, _JSON_LINES_HINT)
    except NotJsonLines as error:
        raise unreadable_line(error, name, _JSON_LINES_HINT) from None


def _root_folder(file_names: list[str]) -> str:
    """The one folder every file stands in ('photos/' in a zip made of the folder photos), or ''."""
    tops = {file_name.partition("/")[0] if "/" in file_name else "" for file_name in file_names}
    return f"{tops.pop()}/" if len(tops) == 1 and "" not in tops else ""


def _sort_listing(file_names: list[str], boxes: Mapping[str, BoxesFile], name: str, chosen_list: str | None = None,
                  folder_lists: Collection[str] = (), described: Mapping[str, Described] | None = None
                  ) -> tuple[str, list[str], tuple[str, ...], tuple[str, ...]]:
    """How a folder's or zip's files are read: (its own list, a CSV at the top naming files, or ""; the
    files it may name, or the inputs when the list is made from the files; the files left out; the images'
    own text files). `chosen_list` names the list among several ("" for none: every file is an input);
    `folder_lists` describe the files of their folders, which are then the inputs (`described`). Raises
    `SeveralLists` for several lists and none chosen."""
    names = [file_name for file_name in file_names if file_name not in boxes and file_name not in folder_lists]
    lists = [file_name for file_name in names if _is_table(file_name) and "/" not in file_name]
    if chosen_list is None and len(lists) > 1:
        raise SeveralLists(f"Several lists were found in {name} ({', '.join(lists)}).",
                           "Choose the one that names the files (a 'file' column), or none to upload every file.",
                           tuple(lists))
    if chosen_list and chosen_list not in lists:
        raise InputFileError(f"{name} has no CSV file {chosen_list!r} at its top.",
                             f"Choose one of: {', '.join(lists)}." if lists else "Leave out the choice of list.")
    if chosen_list is None:
        own_list = lists[0] if lists else ""
    else:
        own_list = chosen_list
    if own_list:  # a file the list names that is not media gets a row error
        return own_list, [file_name for file_name in names if file_name != own_list], (), ()
    return "", *_sort_files(names, bool(boxes), described if folder_lists else None)


def _boxes_files(file_names: list[str], open_file: OpenFile, shown: Callable[[str], str], where: str
                 ) -> dict[str, BoxesFile]:
    """The boxes files among a folder's or zip's files, by file name: CSVs (by their header), JSON files
    (COCO's, Create ML's or VIA's; or LabelMe's or Supervisely's, an image's each, read together as one), XML files
    (Pascal VOC's, likewise; or CVAT's), and YOLO's labels. Each names files relative to its own folder."""
    found = {}
    voc, labelme, supervisely = set(), set(), set()  # Pascal VOC's, LabelMe's and Supervisely's: an image's each
    for file_name in filter(_may_hold_boxes, file_names):
        try:
            with open_file(file_name) as stream:
                if names_coco(file_name):  # read whole, within reason
                    data = _read_within(stream, MAX_COCO_BYTES)
                    if data is None:
                        continue
                    document = coco_document(data, shown(file_name))
                    if is_labelme(document):
                        labelme.add(file_name)
                    elif is_supervisely(document):
                        supervisely.add(file_name)
                elif names_voc(file_name):
                    data = _read_within(stream, MAX_COCO_BYTES)  # CVAT's holds every image's boxes
                    if data is None:
                        continue
                    if voc_document(data, shown(file_name)).tag != CVAT_ROOT:
                        voc.add(file_name)
                else:
                    map_box_columns(open_table(stream, shown(file_name)).header)
                    data = b""
        except _UnreadableMember:
            raise
        except InputFileError:
            if _BOXES_FILE_NAME.fullmatch(PurePosixPath(file_name).name):
                raise
            continue
        if not data:
            with open_file(file_name) as stream:
                data = stream.read()
        found[file_name] = BoxesFile(shown(file_name), data, posixpath.dirname(file_name))
    per_image = (("Pascal VOC", voc, functools.partial(_sidecars, file_names, ".xml")),
                 ("LabelMe", labelme, functools.partial(_sidecars, file_names, ".json")),
                 ("Supervisely", supervisely, functools.partial(_images_named, supervisely, file_names)))
    for kind, files, images in per_image:
        if files:  # each with its image (beside it, should its own file name miss; or the one it is named for)
            image = images()
            parts = [replace(found[file_name], image=image.get(file_name, "")) for file_name in sorted(files)]
            found.update(dict.fromkeys(files, _read_together(parts, kind, where)))
    found.update(_keras_boxes(file_names, open_file, shown))
    found.update(_yolo_labels(file_names, open_file, shown, where))
    return found


def _keras_boxes(file_names: list[str], open_file: OpenFile, shown: Callable[[str], str]) -> dict[str, BoxesFile]:
    """Keras TXT's annotations, with the class names of the _classes.txt beside them; by file name, the
    classes file too."""
    found = {}
    present = set(file_names)
    for file_name in filter(names_keras, file_names):
        classes_file = posixpath.join(posixpath.dirname(file_name), KERAS_CLASSES)
        if classes_file not in present:
            continue
        with open_file(file_name) as stream:
            data = _read_within(stream, MAX_COCO_BYTES)
        with open_file(classes_file) as stream:
            named = _read_within(stream, MAX_ANNOTATION_BYTES)
        try:
            classes = yolo_classes(named, shown(classes_file)) if data is not None and named is not None else None
        except InputFileError:
            classes = None
        if classes:
            found[file_name] = found[classes_file] = BoxesFile(shown(file_name), data, posixpath.dirname(file_name),
                                                                classes=classes)
    return found


def _yolo_labels(file_names: list[str], open_file: OpenFile, shown: Callable[[str], str], where: str
                 ) -> dict[str, BoxesFile]:
    """YOLO's label files (an image's text file of numbers) with the class names of the data.yaml or
    classes.txt nearest above them, read together as one boxes file; by file name, the files naming the
    classes too."""
    sidecars = _sidecars(file_names)
    classes: dict[str, tuple[str, YoloClasses]] = {}  # by folder: (the file, the names)
    for file_name in filter(names_yolo_classes, file_names if sidecars else ()):
        named = _yolo_classes_of(file_name, open_file)
        if isinstance(named, YoloClasses):
            classes.setdefault(posixpath.dirname(file_name), (file_name, named))
    labels: dict[str, BoxesFile] = {}
    used: set[str] = set()
    for label, image in sidecars.items() if classes else ():
        folder = posixpath.dirname(label)
        while folder not in classes and folder:
            folder = posixpath.dirname(folder)
        if folder not in classes:
            continue
        with open_file(label) as stream:
            data = _read_within(stream, MAX_ANNOTATION_BYTES)
        if data is not None and looks_like_yolo(data):
            classes_file, named = classes[folder]
            labels[label] = BoxesFile(shown(label), data, image=image, classes=named)
            used.add(classes_file)
    if not labels:
        return {}
    return dict.fromkeys([*labels, *sorted(used)], _read_together(list(labels.values()), "YOLO label", where))


def _yolo_classes_of(file_name: str, open_file: OpenFile) -> YoloClasses | str:
    """The classes a file names, or why it names none (what is wrong, and what to do)."""
    with open_file(file_name) as stream:
        data = _read_within(stream, MAX_ANNOTATION_BYTES)
    if data is None:
        return (f"{file_name} is larger than {MAX_ANNOTATION_BYTES >> 20} MB, which is too large for a list of "
                "class names. Check that it is the dataset's data.yaml (or classes.txt).")
    try:
        return yolo_classes(data, file_name)
    except InputFileError as error:
        return f"{error.message} {error.hint}"


def _images_named(annotations: Iterable[str], file_names: Iterable[str]) -> dict[str, str]:
    """The image each Supervisely annotation is named for among the files (ann/a.jpg.json: img/a.jpg, as its projects
    hold them, or a.jpg beside it); its name alone when neither is there."""
    present, found = set(file_names), {}
    for annotation in annotations:
        path = PurePosixPath(annotation.removesuffix(".json"))
        folders = path.parent.parts
        mirrored = PurePosixPath(*folders[:-1], "img", path.name).as_posix() if folders[-1:] == ("ann",) else ""
        found[annotation] = next((name for name in (mirrored, path.as_posix()) if name in present), path.name)
    return found


def _read_together(parts: list[BoxesFile], kind: str, where: str) -> BoxesFile:
    """Files of one image's boxes each, as one boxes file named for them."""
    count = len(parts)
    return BoxesFile(f"{count:,} {kind} {'files' if count > 1 else 'file'} in {where}", b"", parts=tuple(parts))


def _read_within(stream: BinaryIO, limit: int) -> bytes | None:
    """The whole stream, or None when it holds more than `limit` bytes (too large to read as boxes)."""
    data = stream.read(limit + 1)
    return data if len(data) <= limit else None


def _is_table(file_name: str) -> bool:
    return PurePosixPath(file_name).suffix.lower() in (".csv", ".tsv", ".xlsx")


def _may_hold_boxes(file_name: str) -> bool:
    """A CSV, TSV or Excel file, a JSON file (COCO's annotations) or an XML file (Pascal VOC's)."""
    return _is_table(file_name) or names_coco(file_name) or names_voc(file_name)


def refuse_missing_files(columns: ColumnMap, files: LocalFiles | None, table: Table) -> None:
    """Raise `InputFileError` for a list whose inputs are all files (a file column of names, as its first rows show,
    and no column of urls or texts) read without any files: every row would fail alike. (A column of web addresses
    under a file name is read as urls: see `validate_row`.)"""
    position = columns.positions.get("file")
    if files or position is None or any(columns.positions.get(role) is not None for role in ("url", "text", "input")):
        return
    named = [cell for row in first_rows(table, _NAMES_SAMPLED) if (cell := cell_at(row.cells, position).strip())]
    if not named or any(map(is_web_address, named)):
        return
    raise InputFileError(
        f"{table.name} names files in its column {columns.name('file')!r}, but none of them came with it.",
        "Upload it together with the files it names: on the page, choose them all at once (or their folder or "
        "zip); on the command line, give their folder, such as 'python -m ingest upload photos/'.")


def local_file(files: LocalFiles | None, record: InputRecord) -> InputRecord | RowError:
    """A valid row with the file it names, found as `LocalFiles.find` finds it (its kind follows the file's
    extension when only the name's gave it); or why that file cannot be sent (missing, too large, a text that
    is not UTF-8), as the row error the upload reports. A row that names no file is returned as it is."""
    if not record.file:
        return record
    found = files.find(record.file) if files else ""
    if found and found != record.file:
        guessed = record.kind == kind_of_file(record.file)
        record = replace(record, file=found, kind=kind_of_file(found) if guessed else record.kind)
    if found is None:
        problem = (f"several files in {files.name} are named {record.file!r}",
                   "give the file's folder too, such as train/a.jpg")
    elif not found:
        where = files.name if files else "the upload (choose the files or a zip with them)"
        problem = (f"there is no file named {record.file!r} in {where}", "check the name and its folder")
    else:
        problem = _type_problem(record.file) or _size_problem(files, record.file)
        if not problem and record.kind == "text":
            try:
                files.contents[record.file].decode("utf-8")
            except UnicodeDecodeError:
                problem = ("the text file is not UTF-8", "save it again as UTF-8 text")
    if not problem:
        return record
    column = "file" if files and files.manifest_name else ""  # not the column of a list made from the files
    return RowError(record.line, record.input_id, record.file, column, *problem, record.cells)


def is_media(file_name: str) -> bool:
    """An image, video, audio or text file by its extension."""
    return PurePosixPath(file_name).suffix.lower() in MEDIA_EXTENSIONS


def _is_notes(file_name: str) -> bool:
    return PurePosixPath(file_name).name.lower().startswith(NOTES)


def _is_image(file_name: str) -> bool:
    return PurePosixPath(file_name).suffix.lower() in IMAGE_EXTENSIONS


def _sort_files(file_names: Iterable[str], boxes: bool = False, named: Collection[str] | None = None
                ) -> tuple[list[str], tuple[str, ...], tuple[str, ...]]:
    """For a list made from the files: (the inputs, the files left out, the images' own text files). The inputs
    are the media files but a dataset's notes (README.txt); with boxes files (a detection export), the images;
    with lists in its folders, the files they name."""
    file_names = list(file_names)
    sidecars = _sidecars(file_names)

    def wanted(name: str) -> bool:
        if named is not None:
            return name in named
        return (_is_image(name) if boxes else is_media(name)) and not _is_notes(name)

    inputs = [name for name in file_names if wanted(name) and name not in sidecars]
    left_out = tuple(name for name in file_names if not wanted(name) and name not in sidecars)
    return inputs, left_out, tuple(name for name in file_names if name in sidecars)


def _sidecars(file_names: list[str], suffix: str = ".txt") -> dict[str, str]:
    """Files (text files, by default) that belong to an image rather than stand as inputs, with their image:
    a.txt beside a.jpg (a caption), or labels/a.txt mirroring images/a.jpg (YOLO's labels, also as
    labels/train/a.txt for images/train/a.jpg), or Annotations/a.xml mirroring JPEGImages/a.jpg (Pascal VOC's)."""
    images: dict[tuple[PurePosixPath, str], str] = {}
    for name in filter(_is_image, file_names):
        path = PurePosixPath(name)
        images.setdefault((path.parent, path.stem), name)
        folders = path.parent.parts
        for folder, mirror in MIRROR_FOLDERS.items():
            if folder in folders:
                last = len(folders) - 1 - folders[::-1].index(folder)
                labels = PurePosixPath(*folders[:last], mirror, *folders[last + 1:])
                images.setdefault((labels, path.stem), name)
    found = {}
    for name in file_names:
        path = PurePosixPath(name)
        if path.suffix.lower() == suffix and (path.parent, path.stem) in images:
            found[name] = images[(path.parent, path.stem)]
    return found


def _type_problem(file_name: str) -> tuple[str, str] | None:
    """A file a CSV names that is not media by its name (a PDF, a JSON sidecar) would reach the
    server as an image it cannot read."""
    if is_media(file_name):
        return None
    suffix = PurePosixPath(file_name).suffix.lower()
    ending = f"its name ends in {suffix!r}" if suffix else "its name has no extension"
    return (f"{file_name!r} is not an image, video, audio or text file ({ending})",
            "leave it out of the upload, or rename it with its kind's extension (such as .jpg or .mp4)")


def _size_problem(files: LocalFiles, file_name: str) -> tuple[str, str] | None:
    if not files.sizes.get(file_name, 1):
        return f"{file_name!r} is empty (0 bytes)", "choose the file again, or leave it out of the upload"
    if files.usable(file_name):
        return None
    kind = kind_of_file(file_name)
    article = "an" if kind[0] in "aeiou" else "a"
    return (f"{file_name!r} is {files.sizes[file_name] / 1024 / 1024:.1f} MB; {article} {kind} file can be at most "
            f"{size_limit(file_name) // 1024 // 1024} MB", "make it smaller, or put it online and give its url")


def content_id(data: bytes | BinaryIO) -> str:
    """An id from the file's bytes (or a stream of them, read in pieces): the same file uploaded twice is
    stored once."""
    if isinstance(data, bytes):
        data = io.BytesIO(data)
    return hashlib.file_digest(data, lambda: hashlib.blake2b(digest_size=16)).hexdigest()


def _content_ids(sizes: dict[str, int], open_file: OpenFile, on_read: OnRead | None = None) -> dict[str, str]:
    """`content_id` of each file small enough to send, and not empty (each empty file is a row to fix of its own, not
    a copy of the first)."""
    wanted = {file_name: size for file_name, size in sizes.items() if 0 < size <= size_limit(file_name)}
    total = sum(wanted.values())
    ids = {}
    for file_name, size in wanted.items():
        with open_file(file_name) as stream:
            ids[file_name] = content_id(stream)
        if on_read:
            on_read(size, total)
    return ids


def _manifest(sizes: dict[str, int], ids: dict[str, str], described: Mapping[str, Described] | None = None
              ) -> tuple[bytes, tuple[tuple[str, str], ...]]:
    """One row per file, its id the hash of its bytes (none for a file too large to send), with the concepts and
    metadata `described` gives it; and the copies (a file with the same bytes as one listed before it: stored
    once, so not listed, its concepts going to that file), each with that file."""
    first: dict[str, str] = {}  # content id -> the file listed for it
    rows: dict[str, tuple[str, list[str], Mapping[str, object]]] = {}  # file -> its id, concepts and metadata
    copies = []
    for file_name in sizes:
        content = ids.get(file_name, "")
        what = (described or {}).get(file_name, Described())
        if content in first:
            copies.append((file_name, first[content]))
            rows[first[content]][1].extend(what.concepts)
            continue
        if content:
            first[content] = file_name
        rows[file_name] = (content, list(what.concepts), what.metadata)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["file", "input_id", "pos_concepts", "metadata"] if described else ["file", "input_id"])
    for file_name, (content, concepts, metadata) in rows.items():
        if described:
            shown = json.dumps(metadata, ensure_ascii=False, default=json_value) if metadata else ""
            writer.writerow([file_name, content, CONCEPT_SEPARATOR.join(dict.fromkeys(concepts)), shown])
        else:
            writer.writerow([file_name, content])
    return text.getvalue().encode("utf-8"), tuple(copies)


def _skipped(file_name: str) -> bool:
    parts = PurePosixPath(file_name).parts
    hidden = any(part.startswith(".") and part not in (".", "..") for part in parts)
    return file_name.startswith(SKIPPED[0]) or hidden or parts[-1] in SKIPPED[1:]


def _check_archive(members: list[zipfile.ZipInfo], name: str) -> None:
    if len(members) > MAX_ZIP_FILES:
        raise InputFileError(f"{name} holds {len(members):,} files (at most {MAX_ZIP_FILES:,}).",
                             "Split it into several zips.")
    total = 0
    for info in members:
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or ":" in "".join(path.parts[:1]):  # '.\\' has none
            raise InputFileError(
                f"{name} holds a file named {info.filename!r}, which points outside the archive.",
                "This zip may have been made to attack; make a new zip of the files themselves.")
        total += info.file_size
        if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise InputFileError(
                f"{name}: {info.filename!r} would unpack to {info.file_size:,} bytes from {info.compress_size:,} "
                "(a zip bomb, or a file that is not media).",
                "Make a new zip of the images themselves.")
    if total > MAX_ZIP_BYTES:
        raise InputFileError(f"{name} would unpack to {total / 1024 ** 3:.1f} GB (at most "
                             f"{MAX_ZIP_BYTES // 1024 ** 3} GB).", "Split it into several zips.")


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> bytes:
    """Read one member, never more than its header declares."""
    with _open_member(archive, info, name) as member:
        data = member.read(info.file_size + 1)
    if len(data) > info.file_size:
        raise InputFileError(f"{name}: {info.filename!r} is larger than the zip says.",
                             "The zip is damaged or forged; make it again.")
    return data


class _UnreadableMember(InputFileError):
    """A zip's file that cannot be unpacked: unlike a file that is not what its name says, it is never left out."""


@contextlib.contextmanager
def _open_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> Iterator[BinaryIO]:
    """One member of a zip, opened to read; raises `InputFileError` naming it when it is damaged (found as it
    unpacks), locked with a password, or packed in a way zipfile cannot unpack."""
    try:
        member = archive.open(info)
    except NotImplementedError as error:  # AES encryption, Deflate64; a RuntimeError, so caught first
        raise _UnreadableMember(f"{name}: its file {info.filename!r} is packed in a way that cannot be unpacked "
                                f"here ({one_line(error)}).", "Zip it again with the usual compression.") from None
    except RuntimeError:  # zipfile's "File ... is encrypted, password required for extraction"
        raise _UnreadableMember(f"{name}: its file {info.filename!r} is locked with a password.",
                                "Unzip it and choose the folder, or zip it again without a password.") from None
    except zipfile.BadZipFile as error:  # its name in the directory and in its header differ
        raise _damaged(name, info, error) from None
    with member:
        try:
            yield member
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:  # a bad CRC, corrupt data, cut short
            raise _damaged(name, info, error) from None


def _damaged(name: str, info: zipfile.ZipInfo, error: Exception) -> InputFileError:
    return _UnreadableMember(f"{name}: its file {info.filename!r} cannot be read ({one_line(error) or 'cut short'}).",
                             "Make the zip again, or choose the folder itself.")
