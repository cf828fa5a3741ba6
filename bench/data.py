"""Benchmark input files: realistic rows, generated fast and reproducibly.

Each row has a unique image url, an input id on about half the rows, one to
three positive concepts, one negative concept and a small JSON metadata object,
in the columns the blog's script and our uploader both read.
"""

from __future__ import annotations

import json
import os
import random

HEADER = "url,input_id,pos_concepts,neg_concepts,metadata\n"
CONCEPTS = (
    "cat", "dog", "bird", "car", "truck", "tree", "flower", "person", "bicycle", "boat",
    "train", "horse", "sheep", "cow", "pizza", "cake", "chair", "sofa", "laptop", "phone",
)
SOURCES = ("crawl", "shop", "camera", "archive", "partner")
HOSTS = ("images.example.com", "cdn.example.org", "photos.example.net")


def write_csv(path: str, rows: int, seed: int = 7) -> str:
    """Write `rows` data rows to `path` (unless a file with that many rows is there); return the path."""
    if os.path.exists(path) and _rows_in(path) == rows:
        return path
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        chunk: list[str] = []
        for n in range(rows):
            chunk.append(_row(rng, n))
            if len(chunk) == 10_000:
                out.writelines(chunk)
                chunk.clear()
        out.writelines(chunk)
    return path


def _row(rng: random.Random, n: int) -> str:
    picked = rng.sample(CONCEPTS, 4)
    positive = "|".join(picked[: rng.randint(1, 3)])
    negative = picked[3]
    host = HOSTS[n % len(HOSTS)]
    url = f"https://{host}/set{n // 1000:04d}/img_{n:07d}.jpg"
    input_id = f"img-{n:07d}" if rng.random() < 0.5 else ""
    metadata = {
        "source": f"{rng.choice(SOURCES)}-{rng.randint(1, 9)}",
        "width": rng.choice((640, 800, 1024, 1280)),
        "height": rng.choice((480, 600, 768, 960)),
        "score": round(rng.random(), 3),
    }
    if rng.random() < 0.3:
        metadata["tags"] = rng.sample(("new", "checked", "outdoor", "night", "hd"), 2)
    cell = json.dumps(metadata).replace('"', '""')
    return f'{url},{input_id},{positive},{negative},"{cell}"\n'


def _rows_in(path: str) -> int:
    with open(path, "rb") as handle:
        return sum(1 for _ in handle) - 1
