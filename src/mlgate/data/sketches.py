"""The frequent-values sketch (a thin wrapper over Apache DataSketches) and the text
encoding every sketch uses in the profile file.

A sketch has a zero (the empty sketch), ``merged`` (which returns a new sketch and
leaves both inputs alone), and a base64 round trip for the profile file. Quantiles live
in ``mlgate.data.kll`` (seeded, so that profiles are reproducible) and distinct counts
in ``mlgate.data.theta`` (batch-at-a-time, over hashes that never change).
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Sequence

import datasketches as ds
import numpy as np

FREQ_LG_MAP = 9


def b64(data: bytes) -> str:
    """Sketch bytes as text for the profile JSON: zlib-compressed, then base64."""
    return base64.b64encode(zlib.compress(data, 6)).decode("ascii")


def is_sorted(values: np.ndarray) -> bool:
    """Whether a 1-D array is in ascending order: one vectorised pass, where a sort is
    n log n (and timsort's own scan of a sorted array took ten times as long)."""
    return bool(np.all(values[:-1] <= values[1:]))


def unb64(text: str) -> bytes:
    try:
        return zlib.decompress(base64.b64decode(text.encode("ascii"), validate=True))
    except zlib.error as exc:
        raise ValueError(f"damaged sketch ({exc})") from None


class FrequentSketch:
    """Frequent values with counts (exact while fewer distinct values than its map holds)."""

    __slots__ = ("_s",)

    def __init__(self, sketch: ds.frequent_strings_sketch | None = None) -> None:
        self._s = sketch if sketch is not None else ds.frequent_strings_sketch(FREQ_LG_MAP)

    def update_counts(self, values: Sequence[str], counts: Sequence[int]) -> None:
        update = self._s.update
        for value, count in zip(values, counts, strict=True):
            update(value, int(count))

    def merged(self, other: FrequentSketch) -> FrequentSketch:
        out = ds.frequent_strings_sketch.deserialize(self._s.serialize())
        out.merge(other._s)
        return FrequentSketch(out)

    @property
    def total_weight(self) -> int:
        return int(self._s.total_weight)

    @property
    def max_error(self) -> int:
        """Upper bound on how far any reported count may be below the true count."""
        if self._s.is_empty():
            return 0
        # The sketch's error offset is one number, the same for every value it holds.
        key = self.items()[0][0]
        return int(self._s.get_upper_bound(key) - self._s.get_lower_bound(key))

    def items(self) -> list[tuple[str, int]]:
        """(value, estimated count) for every value the sketch holds, most frequent first."""
        if self._s.is_empty():
            return []
        rows = self._s.get_frequent_items(ds.frequent_items_error_type.NO_FALSE_NEGATIVES, 0)
        return sorted(((r[0], int(r[1])) for r in rows), key=lambda r: (-r[1], r[0]))

    @property
    def num_items(self) -> int:
        return int(self._s.num_active_items)

    def to_b64(self) -> str:
        return b64(self._s.serialize())

    @classmethod
    def from_b64(cls, text: str) -> FrequentSketch:
        return cls(ds.frequent_strings_sketch.deserialize(unb64(text)))
