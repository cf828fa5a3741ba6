"""JSON records as a table: a JSON array of objects, or JSON Lines of them, each a row.

Label Studio exports its projects this way. Its full export is a list of tasks, each
with its `data` (the image's url...) and its annotations; its JSON-MIN export flattens
each task to one object. Either way a task becomes a row of its data's fields, with
its choices as `pos_concepts`; a task with rectangles or polygons becomes a row per
shape, with `class` and the box's edges (and a polygon's outline), so the file reads as
a list of boxes. Other records are read as they are: their keys are the columns.

Both stream, a record at a time: read once for their columns (the keys of every record,
and the Choices controls among them), then again for their rows.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator

from .errors import InputFileError
from .read import MAX_LINE_CHARS, RawRow, Table, cell_text
from .boxes import BOX_EDGES, OUTLINE, is_coco, is_finite, kept_to_image, upright_box
from .validate import nesting_depth

_LABELS = ("rectanglelabels", "polygonlabels", "labels")  # a shape's labels (its control's, or Labels on it)
_RECTANGLES = ("rectanglelabels", "rectangle")  # the types of a full export's results that are rectangles
_POLYGONS = ("polygonlabels", "polygon")  # ...and polygons
_SLACK = 0.01  # of the image, that an upright rectangle may overrun it by (Label Studio rounds), kept to its edge
_WHITE_SPACE = re.compile(r"[ \t\n\r]*")  # JSON's
_DECODED_KEPT = 1024 * 1024  # characters of a JSON array's text kept after they are decoded, before they are dropped
# Nesting levels of a record: past what protobuf stores, and few enough to read and write again at any depth of the
# call stack (json's own limit depends on it, so the page and the command line would find different records)
MAX_RECORD_DEPTH = 100
_TOO_DEEP = f"nested more than {MAX_RECORD_DEPTH} levels deep"
RECORDS_HINT = ("Export a list of records, such as Label Studio's JSON or JSON-MIN export, or convert it to a CSV "
                "table.")


def json_table(lines: Callable[[], Iterable[str]], array: bool, name: str, encoding: str) -> Table:
    """The records of a JSON array (`array`) or of JSON Lines, whose text `lines()` gives from its start each time
    it is called (decoded from `encoding`), as a table: keys in the order first seen are the header, and rows are
    numbered as in a CSV the records would make (the first on line 2)."""
    def records() -> Iterable[dict]:
        return _array_records(lines(), name) if array else _records_of_lines(lines(), name)

    try:
        header, choosers, label_studio, stale = _columns(records())
        if stale:  # a Choices control found below a record that gave it one choice, as text: read that one again
            header, *_ = _columns(records(), choosers)
    except NotJsonLines as error:  # its first line is no object: one document over many lines, or broken
        if _one_object("".join(lines())):
            raise _one_object_error(name) from None
        raise unreadable_line(error, name) from None
    if not header:
        raise InputFileError(f"{name} holds no records.", "Export it again with its tasks or rows.")
    columns = list(header)

    def rows() -> Iterator[RawRow]:
        flattened = (row for record in records() for row in _flattened(record, choosers))
        try:
            for line, row in enumerate(flattened, 2):
                cells = [cell_text(row.get(key)) for key in columns]
                try:
                    "".join(cells).encode("utf-8")
                except UnicodeEncodeError as error:  # a \ud800 escape: JSON keeps half of a character pair
                    raise InputFileError(
                        f"{name}: the record of line {line} holds half of a character pair "
                        f"({error.object[error.start]!r}), which cannot be stored.",
                        "Write the character itself, or both halves of its escape (such as \\ud83d\\ude00).",
                    ) from None
                yield RawRow(line, cells)
        except NotJsonLines as error:  # the first line read again, where only a deeper stack fails it
            raise unreadable_line(error, name) from None

    read_as = "Label Studio's export" if label_studio else "a JSON array" if array else "JSON Lines"
    return Table(name=name, header=columns, delimiter=",", encoding=encoding, rows=rows(), read_as=read_as,
                 rows_again=rows)


def _columns(records: Iterable[dict], choosers: set[str] | None = None
             ) -> tuple[dict[str, None], set[str], bool, bool]:
    """The header of the records' rows (their keys, in the order first seen); the Choices controls of a JSON-MIN
    export, found as they come unless `choosers` names them (under one, a single choice is written as text);
    whether the records are Label Studio's; and whether the header is stale: a control was found only after a
    record gave it one choice, which that record's row then read as a column of its own."""
    found = choosers is None
    choosers = {"choice"} if choosers is None else choosers
    texts: set[str] = set()  # keys that have held text: a control found among them makes the header stale
    header: dict[str, None] = {}
    label_studio = stale = False
    for record in records:
        label_studio = label_studio or _from_label_studio(record)
        if found:
            new = {key for key, value in record.items() if _chosen(value)} - choosers
            stale = stale or not new.isdisjoint(texts)
            choosers |= new
            texts.update(key for key, value in record.items() if isinstance(value, str))
        for row in _flattened(record, choosers):
            header.update(dict.fromkeys(row))
    return header, choosers, label_studio, stale


def unreadable_line(error: NotJsonLines, name: str, hint: str = RECORDS_HINT) -> InputFileError:
    """The words for JSON Lines whose first line holds no JSON."""
    return InputFileError(f"{name}, line {error.args[0]}: not readable JSON ({json_problem(error.__cause__)}).", hint)


def _array_records(pieces: Iterable[str], name: str) -> Iterator[dict]:
    """The objects of a JSON array, decoded one at a time as its text (`pieces` of it) is read, so memory holds one
    record rather than all (json.loads of the whole took about 17 times the file's size); raises `InputFileError`
    for anything else."""
    decoder = json.JSONDecoder()
    pieces = iter(pieces)
    text, at, lines_dropped = "", 0, 0  # the text read and not dropped, where decoding is in it, the lines before it

    def read(wanted: int) -> bool:
        """Read at least `wanted` more characters (or up to the end); whether there were any."""
        nonlocal text
        added: list[str] = []
        for piece in pieces:
            added.append(piece)
            wanted -= len(piece)
            if wanted <= 0:
                break
        text += "".join(added)
        return bool(added)

    def next_mark() -> str:
        """The next character that is not white space ("" at the end), with `at` on it."""
        nonlocal at
        while (at := _WHITE_SPACE.match(text, at).end()) == len(text) and read(1):
            pass
        return text[at : at + 1]

    def unreadable(problem: str, position: int) -> InputFileError:
        line = lines_dropped + text.count("\n", 0, position) + 1
        return InputFileError(f"{name} is not readable JSON ({problem}: line {line}).", RECORDS_HINT)

    if next_mark() != "[":
        raise unreadable("Expecting '['", at)
    at += 1
    if next_mark() == "]":
        at += 1
    else:
        for count in itertools.count(1):
            next_mark()
            while True:  # a record cut off where the text read so far ends is decoded again with more of it
                try:
                    start = at
                    record, at = decoder.raw_decode(text, at)
                    break
                except json.JSONDecodeError as error:
                    if not read(len(text) - at + MAX_LINE_CHARS // 32):
                        raise unreadable(error.msg, error.pos) from None
                except (ValueError, RecursionError) as error:  # too deep, or a number of too many digits
                    raise InputFileError(f"{name} is not readable JSON ({json_problem(error)}).",
                                         RECORDS_HINT) from None
            if not isinstance(record, dict):
                raise InputFileError(f"{name}: record {count} is not a JSON object.", RECORDS_HINT)
            if _too_deep(record, text.count("[", start, at) + text.count("{", start, at)):
                raise unreadable(_TOO_DEEP, start)
            yield record
            # Drop what is decoded once it is half the text: the copies then add up to the text once, not once a record
            if at > _DECODED_KEPT and 2 * at > len(text):
                lines_dropped += text.count("\n", 0, at)
                text, at = text[at:], 0
            mark = next_mark()
            at += 1
            if mark == "]":
                break
            if mark != ",":
                raise unreadable("Expecting ',' delimiter", at - 1)
    if next_mark():
        raise unreadable("Extra data", at)


class NotJsonLines(Exception):
    """The first line of what looked like JSON Lines (its number the argument) holds no JSON: the cause says why."""


def json_lines(lines: Iterable[str], name: str, hint: str = RECORDS_HINT) -> Iterator[tuple[int, dict]]:
    """The object on each line that holds anything, with its line's number; raises `InputFileError` for a line that
    holds no object, and `NotJsonLines` when the first one holds no JSON."""
    first = True
    for number, line in enumerate(lines, 1):
        if len(line) >= MAX_LINE_CHARS and not line.endswith("\n"):  # only a piece of it: see read.MAX_LINE_CHARS
            raise InputFileError(f"{name}, line {number}: the line is longer than {MAX_LINE_CHARS // 1024**2} MB.",
                                 "Each line holds one record: check that a line break follows each one.")
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError) as error:
            if first:
                raise NotJsonLines(number) from error
            raise InputFileError(f"{name}, line {number}: not readable JSON ({json_problem(error)}).", hint) from None
        if not isinstance(record, dict):
            raise InputFileError(f"{name}, line {number}: not a JSON object.", hint)
        if _too_deep(record, line.count("[") + line.count("{")):
            raise InputFileError(f"{name}, line {number}: not readable JSON ({_TOO_DEEP}).", hint)
        first = False
        yield number, record


def _too_deep(record: dict, brackets: int) -> bool:
    """Whether a record is nested past `MAX_RECORD_DEPTH`; its text's count of '[' and '{' rules most out at once."""
    return brackets > MAX_RECORD_DEPTH and nesting_depth(record) > MAX_RECORD_DEPTH


def json_problem(error: ValueError | RecursionError) -> str:
    """What json.loads found wrong, in words."""
    if isinstance(error, RecursionError):
        return "nested too deeply to read"
    if not isinstance(error, json.JSONDecodeError):  # Python's own limit on a whole number's digits
        return "a number of more than 4,300 digits"
    return str(error)


def _records_of_lines(lines: Iterable[str], name: str) -> Iterator[dict]:
    """JSON Lines' records; raises `InputFileError` for COCO's annotations on one line, which are no records."""
    for count, (_, record) in enumerate(json_lines(lines, name)):
        if not count and is_coco(record):
            raise _one_object_error(name)
        yield record


def _one_object_error(name: str) -> InputFileError:
    return InputFileError(f"{name} holds one JSON object, not a list of records (COCO annotations are one object: "
                          "give them as a boxes file).", RECORDS_HINT)


def _one_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except (ValueError, RecursionError):
        return False


def _from_label_studio(record: dict) -> bool:
    """Whether a record is a Label Studio task (full export), or holds its choices, rectangles or polygons
    (JSON-MIN)."""
    return _is_task(record) or any(_chosen(value) or _rectangles(value) or _polygons(value)
                                   for value in record.values())


def _is_task(record: dict) -> bool:
    """A full export's task (its data and annotations), or a task to import (its data alone)."""
    return isinstance(record.get("data"), dict) and isinstance(record.get("annotations", []), list)


def _rectangles(value: object) -> bool:
    """Whether a JSON-MIN value is a list of rectangles."""
    return isinstance(value, list) and bool(value) and all(map(_min_rectangle, value))


def _chosen(value: object) -> bool:
    """Whether a JSON-MIN value is a Choices control's, when several were chosen."""
    return isinstance(value, dict) and isinstance(value.get("choices"), list)


def _flattened(record: dict, choosers: set[str]) -> list[dict]:
    """A record as rows: a Label Studio task (full or JSON-MIN, where `choosers` name the Choices controls a single
    choice may stand under) as its data, choices and a row per rectangle or polygon; any other record as it is."""
    if _is_task(record):
        fields, results = dict(record["data"]), _results(record.get("annotations", []))
    else:
        fields, results = dict(record), []
        for key, value in record.items():  # JSON-MIN: each control's results under its name
            if _chosen(value) or (key in choosers and isinstance(value, str)):  # several choices, or one
                results.append({"type": "choices", "value": value if _chosen(value) else {"choices": [value]}})
                del fields[key]
            elif _rectangles(value):
                results.extend({"type": "rectangle", "value": v, **v} for v in value)
                del fields[key]
            elif _polygons(value):
                results.extend({"type": "polygon", "value": v} for v in value)
                del fields[key]
    choices = [c for r in results if r.get("type") == "choices" and isinstance(r.get("value"), dict)
               for c in r["value"].get("choices") or []]
    if choices:
        fields["pos_concepts"] = choices
    boxes = [(label, _edges(r) if r["type"] in _RECTANGLES else _outline(r["value"])) for r in results
             if r.get("type") in (*_RECTANGLES, *_POLYGONS) and isinstance(r.get("value"), dict)
             for label in _box_labels(r["value"])]
    return [{**fields, "class": label, **edges} for label, edges in boxes] or [fields]


def _results(annotations: list) -> list[dict]:
    """The results of a task's last annotation that was not cancelled (one per annotator; predictions are not
    annotations)."""
    done = [a for a in annotations if isinstance(a, dict) and not a.get("was_cancelled")]
    results = done[-1].get("result") if done else []
    return [r for r in results if isinstance(r, dict)] if isinstance(results, list) else []


def _min_rectangle(value: object) -> bool:
    """Whether a JSON-MIN value is a rectangle, as Label Studio writes one (not any object with an x and a y)."""
    return isinstance(value, dict) and all(key in value for key in ("x", "y", "width", "height")) and (
        "rectanglelabels" in value or {"rotation", "original_width"} <= value.keys())


def _polygons(value: object) -> bool:
    """Whether a JSON-MIN value is a list of polygons (a PolygonLabels control's, or Labels on a Polygon)."""
    return isinstance(value, list) and bool(value) and all(
        isinstance(v, dict) and isinstance(v.get("points"), list) and ("polygonlabels" in v or "labels" in v)
        for v in value)


def _box_labels(value: dict) -> list[str]:
    """A rectangle's or polygon's labels, a box each ("" for one without any, for the box's check to name)."""
    labels = next((value[key] for key in _LABELS if isinstance(value.get(key), list)), [])
    return [label for label in labels if isinstance(label, str)] or [""]


def _edges(result: dict) -> dict[str, object]:
    """A rectangle's edges as fractions of the image. Label Studio gives its top left corner, width and height
    in percent, turned `rotation` degrees clockwise about that corner; a turned box becomes the upright box
    around it. Values that are not numbers are kept as they are, for the box's check to name."""
    value = result["value"]
    x, y, width, height = (value.get(key) for key in ("x", "y", "width", "height"))
    angle = value.get("rotation") or 0
    if not all(map(is_finite, (x, y, width, height, angle))):
        return dict(zip(BOX_EDGES, (x, y, width, height)))
    if not angle:
        edges = (x / 100, y / 100, (x + width) / 100, (y + height) / 100)
        if all(-_SLACK <= edge <= 1 + _SLACK for edge in edges):
            edges = tuple(min(1.0, max(0.0, edge)) for edge in edges)
        return dict(zip(BOX_EDGES, edges))
    # Turned in pixels, where the image need not be square: about its corner is about its centre, moved.
    across, down = (size if is_finite(size := result.get(key)) and size > 0 else 100
                    for key in ("original_width", "original_height"))
    left, top, w, h = x / 100 * across, y / 100 * down, width / 100 * across, height / 100 * down
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    middle_x, middle_y = left + w / 2 * cos - h / 2 * sin, top + w / 2 * sin + h / 2 * cos
    turned = upright_box((middle_x - w / 2, middle_y - h / 2, middle_x + w / 2, middle_y + h / 2), angle)
    return dict(zip(BOX_EDGES, kept_to_image(turned, across, down, math.inf)))


def _outline(value: dict) -> dict[str, object]:
    """A polygon's box (around its points) and outline, as fractions of the image: Label Studio gives each point as
    [x, y] in percent. What is not such points is kept as it is, for the box's check to name."""
    points = value.get("points")
    if not (isinstance(points, list) and all(isinstance(p, list) and len(p) == 2 and all(map(is_finite, p))
                                             for p in points)):
        return {**dict.fromkeys(BOX_EDGES, ""), OUTLINE: json.dumps(points)}
    flat = [v / 100 for point in points for v in point]
    if all(-_SLACK <= v <= 1 + _SLACK for v in flat):
        flat = [min(1.0, max(0.0, v)) for v in flat]
    outline = " ".join(format(v, ".10g") for v in flat)
    if len(flat) < 6:  # no area: for the box's check to name
        return {**dict.fromkeys(BOX_EDGES, ""), OUTLINE: outline}
    edges = (min(flat[0::2]), min(flat[1::2]), max(flat[0::2]), max(flat[1::2]))
    return {**dict(zip(BOX_EDGES, edges)), OUTLINE: outline}
