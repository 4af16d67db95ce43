"""Thin, mergeable wrappers over Apache DataSketches.

Each wrapper has a zero (the empty sketch), ``merged`` (which returns a new sketch and
leaves both inputs alone), and a base64 round trip for the profile file. HLL lg_k=12
gives a relative error of about 1.6%. Quantiles live in ``mlgate.data.kll`` (seeded, so
that profiles are reproducible).
"""

from __future__ import annotations

import base64
import zlib
from collections import deque
from collections.abc import Iterable, Sequence

import datasketches as ds

HLL_LG_K = 12
FREQ_LG_MAP = 9
THETA_LG_K = 12


def b64(data: bytes) -> str:
    """Sketch bytes as text for the profile JSON: zlib-compressed, then base64."""
    return base64.b64encode(zlib.compress(data, 6)).decode("ascii")


def unb64(text: str) -> bytes:
    try:
        return zlib.decompress(base64.b64decode(text.encode("ascii"), validate=True))
    except zlib.error as exc:
        raise ValueError(f"damaged sketch ({exc})") from None


class DistinctSketch:
    """HLL estimate of the number of distinct non-null values."""

    __slots__ = ("_s",)

    def __init__(self, sketch: ds.hll_sketch | None = None) -> None:
        self._s = sketch if sketch is not None else ds.hll_sketch(HLL_LG_K, ds.HLL_4)

    def update_many(self, values: Iterable[int | float | str]) -> None:
        """Add values; give them in a fixed order (sorted), since the estimator's
        accumulator depends on the order of arrival."""
        # deque(maxlen=0) drains the map at C speed; the sketch has no batch update.
        deque(map(self._s.update, values), maxlen=0)

    def merged(self, other: DistinctSketch) -> DistinctSketch:
        union = ds.hll_union(HLL_LG_K)
        union.update(self._s)
        union.update(other._s)
        return DistinctSketch(union.get_result(ds.HLL_4))

    @property
    def estimate(self) -> float:
        return float(self._s.get_estimate())

    def to_b64(self) -> str:
        return b64(self._s.serialize_compact())

    @classmethod
    def from_b64(cls, text: str) -> DistinctSketch:
        return cls(ds.hll_sketch.deserialize(unb64(text)))


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


class RowHashSketch:
    """Theta sketch of row hashes: distinct rows within a dataset and overlap between two."""

    __slots__ = ("_s",)

    def __init__(self, sketch: ds.compact_theta_sketch | None = None) -> None:
        self._s = sketch if sketch is not None else ds.update_theta_sketch(THETA_LG_K).compact()

    @classmethod
    def of(cls, hashes: Iterable[int]) -> RowHashSketch:
        sketch = ds.update_theta_sketch(THETA_LG_K)
        deque(map(sketch.update, hashes), maxlen=0)
        return cls(sketch.compact())

    def merged(self, other: RowHashSketch) -> RowHashSketch:
        union = ds.theta_union(THETA_LG_K)
        union.update(self._s)
        union.update(other._s)
        return RowHashSketch(union.get_result())

    @property
    def distinct(self) -> float:
        return float(self._s.get_estimate())

    @property
    def is_exact(self) -> bool:
        return not self._s.is_estimation_mode()

    def distinct_bounds(self, std_devs: int = 3) -> tuple[float, float]:
        """Bounds on the number of distinct rows at ``std_devs`` standard deviations."""
        return float(self._s.get_lower_bound(std_devs)), float(self._s.get_upper_bound(std_devs))

    def overlap(self, other: RowHashSketch) -> float:
        """Estimated number of distinct rows present in both datasets."""
        inter = ds.theta_intersection()
        inter.update(self._s)
        inter.update(other._s)
        return float(inter.get_result().get_estimate())

    def to_b64(self) -> str:
        return b64(self._s.serialize())

    @classmethod
    def from_b64(cls, text: str) -> RowHashSketch:
        return cls(ds.compact_theta_sketch.deserialize(unb64(text)))
