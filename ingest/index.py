"""The line where each input id first appeared, in about 12 bytes an id.

A dict of a million ids costs about 110 MB; a file of ten million rows would need a
gigabyte just to find repeated ids. Recent ids stay in a dict; every `RECENT_IDS` of them
are packed into sorted numpy arrays (the id's hash and its line), looked up a chunk of
rows at a time, and merged (linearly, in about one copy's memory) when there are more than
`MAX_RUNS` of them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

RECENT_IDS = 1 << 18  # ids kept in the dict, about 27 MB, before they are packed
MAX_RUNS = 4  # packed runs looked up one by one; more are merged into one


class IdIndex:
    """Claims of (hash of an id, line): the first claim of a hash keeps its line."""

    def __init__(self, recent_limit: int = RECENT_IDS) -> None:
        self._recent: dict[int, int] = {}
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted int64 hashes, their uint32 lines)
        self._recent_limit = recent_limit

    def claim(self, keys: Sequence[int], lines: Sequence[int]) -> list[int]:
        """Claim each key for its line, in order; return the line each key was first claimed on
        (its own line when it is new)."""
        packed = self._packed_lines(keys)
        first = [earlier if earlier >= 0 else self._recent.setdefault(key, line)
                 for key, line, earlier in zip(keys, lines, packed)]
        if len(self._recent) >= self._recent_limit:
            self._pack()
        return first

    def _packed_lines(self, keys: Sequence[int]) -> Sequence[int]:
        """The line each key has in the packed runs, or -1."""
        if not self._runs:
            return [-1] * len(keys)
        wanted = np.fromiter(keys, dtype=np.int64, count=len(keys))
        found = np.full(len(keys), -1, dtype=np.int64)
        for hashes, lines in self._runs:
            at = np.minimum(np.searchsorted(hashes, wanted), len(hashes) - 1)
            hit = hashes[at] == wanted
            found[hit] = lines[at[hit]]
        return found.tolist()

    def _pack(self) -> None:
        hashes = np.fromiter(self._recent.keys(), dtype=np.int64, count=len(self._recent))
        lines = np.fromiter(self._recent.values(), dtype=np.uint32, count=len(self._recent))
        self._recent = {}
        order = np.argsort(hashes)
        self._runs.append((hashes[order], lines[order]))
        if len(self._runs) > MAX_RUNS:  # smallest first, so the big run is copied once
            runs = sorted(self._runs, key=_size)
            merged = runs[0]
            for run in runs[1:]:
                merged = _merge(*sorted((merged, run), key=_size))
            self._runs = [merged]


def _size(run: tuple[np.ndarray, np.ndarray]) -> int:
    return len(run[0])


def _merge(small: tuple[np.ndarray, np.ndarray], large: tuple[np.ndarray, np.ndarray]
           ) -> tuple[np.ndarray, np.ndarray]:
    """Two sorted runs with no hash in common as one, in linear time and about one copy's memory
    (sorting them together took three)."""
    at = np.searchsorted(large[0], small[0]) + np.arange(len(small[0]))  # where each of `small` lands
    hashes = np.empty(len(small[0]) + len(large[0]), dtype=np.int64)
    lines = np.empty(len(hashes), dtype=np.uint32)
    rest = np.ones(len(hashes), dtype=bool)
    rest[at] = False
    hashes[at], lines[at] = small
    hashes[rest], lines[rest] = large
    return hashes, lines
