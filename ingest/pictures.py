"""Pictures: an image's size, smaller copies of it, and bounding boxes drawn on them (Pillow).

Each function takes an image's bytes as a person or a server gave them, and treats what
Pillow cannot read (a HEIC, a damaged file, a decompression bomb) as no picture.
"""

from __future__ import annotations

import base64
import io
import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

import PIL.Image  # Streamlit's own dependency
import PIL.ImageDraw

BOX_COLORS = ("#ffd400", "#00e5ff", "#ff3df5", "#39ff14", "#ff8c00", "#2979ff")  # bright on most photos
MAX_PIXELS = 50_000_000  # larger images are not shrunk: decoding them would take seconds and much memory
_UNREADABLE = (OSError, ValueError, SyntaxError, PIL.Image.DecompressionBombError)


class Box(Protocol):
    """A bounding box as fractions of its image, what it shows, and the polygon it outlines (() for none)."""

    concept: str
    left: float
    top: float
    right: float
    bottom: float
    outline: tuple[tuple[float, ...], ...]


def image_size(data: bytes) -> tuple[int, int] | None:
    """The image's width and height in pixels, from its header; None when it cannot be read."""
    try:
        with PIL.Image.open(io.BytesIO(data)) as image:
            return image.size
    except _UNREADABLE:
        return None


def mask_box(data: bytes) -> tuple[int, int, int, int] | None:
    """The pixels a mask image sets (its alpha channel's, or its only channel's), as the box around them: (left,
    top, right, bottom), right and bottom one past the last; None when it sets none or cannot be read."""
    try:
        with PIL.Image.open(io.BytesIO(data)) as image:
            band = image.getchannel("A") if "A" in image.getbands() else image.convert("L")
            return band.getbbox()
    except _UNREADABLE:
        return None


def shrunk(data: bytes, side: int) -> PIL.Image.Image | None:
    """The image at most `side` pixels wide and high, in RGB (RGBA if it has clear parts); None when it cannot
    be read or is too large to decode quickly."""
    try:
        with PIL.Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                return None
            image.draft("RGB", (side * 2, side * 2))  # a JPEG decodes at a fraction of its size
            image.thumbnail((side, side))
            return image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    except _UNREADABLE:
        return None


def resized(data: bytes, side: int) -> bytes:
    """The image at most `side` pixels wide and high, in its own format; the bytes as they are when it is that
    small already, or cannot be read or written."""
    try:
        with PIL.Image.open(io.BytesIO(data)) as image:
            if max(image.size) <= side:
                return data
            form = image.format or "PNG"
            image.thumbnail((side, side))
            out = io.BytesIO()
            image.save(out, form)
            return out.getvalue()
    except (*_UNREADABLE, KeyError):  # KeyError: a format Pillow reads but cannot write
        return data


def png(image: PIL.Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def data_url(image: PIL.Image.Image) -> str:
    """The image as a `data:` URL, for a table cell: a JPEG, or a PNG when it has clear parts."""
    clear = image.mode == "RGBA"
    out = io.BytesIO()
    image.save(out, "PNG" if clear else "JPEG", quality=80)
    return f"data:image/{'png' if clear else 'jpeg'};base64,{base64.b64encode(out.getvalue()).decode()}"


def concept_colors(concepts: Iterable[str]) -> dict[str, str]:
    """A colour for each concept among boxes shown together, the palette in turn."""
    return dict(zip(sorted(set(concepts)), itertools.cycle(BOX_COLORS)))


def draw_boxes(image: PIL.Image.Image, boxes: Sequence[Box], colors: Mapping[str, str], outlines: bool = True) -> None:
    """Draw each box on the image in its concept's colour: its outline's polygons if it has one and `outlines`
    are wanted, else its rectangle."""
    draw = PIL.ImageDraw.Draw(image)
    width, height = image.size
    for box in boxes:
        color = colors.get(box.concept, BOX_COLORS[0])
        if outlines and box.outline:
            for part in box.outline:
                points = [(x * width, y * height) for x, y in zip(part[0::2], part[1::2])]
                draw.line([*points, points[0]], fill=color, width=2, joint="curve")
            continue
        draw.rectangle((box.left * width, box.top * height, max(box.left * width, box.right * width - 1),
                        max(box.top * height, box.bottom * height - 1)), outline=color, width=2)
