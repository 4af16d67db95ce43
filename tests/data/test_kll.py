"""The KLL sketch's shortcuts (a sorted level left unsorted, cached random bits) give
exactly the sketch of the plain algorithm, so profiles do not change with them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlgate.data.kll import KllSketch

K, C = 300, 2.0 / 3.0


class PlainKll:
    """The algorithm as written down: every compaction sorts its level and draws its
    bit from a fresh generator seeded by (compactions, level, n)."""

    def __init__(self) -> None:
        self.n = 0
        self.compactions = 0
        self.levels = [np.empty(0, dtype=np.float32)]

    def capacity(self, h: int) -> int:
        return max(8, math.ceil(K * C ** (len(self.levels) - 1 - h)))

    def update(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=np.float64).astype(np.float32)
        self.n += values.size
        self.levels[0] = np.concatenate([self.levels[0], values])
        self.compress()

    def merge(self, other: PlainKll) -> None:
        self.n += other.n
        self.compactions += other.compactions
        depth = max(len(self.levels), len(other.levels))
        pad = [np.empty(0, dtype=np.float32)]
        mine = self.levels + pad * (depth - len(self.levels))
        theirs = other.levels + pad * (depth - len(other.levels))
        self.levels = [np.concatenate([a, b]) for a, b in zip(mine, theirs, strict=True)]
        self.compress()

    def compress(self) -> None:
        while sum(lv.size for lv in self.levels) > sum(map(self.capacity, range(len(self.levels)))):
            h = next(i for i in range(len(self.levels)) if self.levels[i].size >= self.capacity(i))
            level = np.sort(self.levels[h], kind="stable" if h else "quicksort")
            keep = level[: level.size % 2]
            rng = np.random.default_rng((self.compactions, h, self.n))
            offset = int(rng.integers(2))
            self.compactions += 1
            self.levels[h] = keep.copy()
            if h + 1 == len(self.levels):
                self.levels.append(np.empty(0, dtype=np.float32))
            promoted = level[keep.size :][offset::2]
            self.levels[h + 1] = np.concatenate([self.levels[h + 1], promoted])


def _state(sketch: KllSketch) -> list[bytes]:
    return [lv.tobytes() for lv in sketch._levels]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batches_and_merges_give_the_plain_algorithms_sketch(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sizes = [1, 7, 299, 300, 301, 5_000, 250_000, 250_000, 123_457]
    batches = [rng.normal(size=int(n)) for n in sizes]
    batches.append(np.tile([0.0, -0.0, 2.5], 40_000))  # equal values of different bits
    batches.append(rng.integers(0, 5, 100_000).astype(float))  # many ties
    merged, plain_merged = KllSketch(), PlainKll()
    for values in batches:
        part, plain = KllSketch(), PlainKll()
        part.update(values)
        plain.update(values)
        assert _state(part) == [lv.tobytes() for lv in plain.levels]
        merged = merged.merged(part)
        plain_merged.merge(plain)
    assert merged.n == plain_merged.n
    assert _state(merged) == [lv.tobytes() for lv in plain_merged.levels]


def test_many_small_updates_give_the_plain_algorithms_sketch() -> None:
    rng = np.random.default_rng(3)
    sketch, plain = KllSketch(), PlainKll()
    for _ in range(400):
        values = rng.exponential(size=int(rng.integers(1, 3_000)))
        sketch.update(values)
        plain.update(values)
    assert _state(sketch) == [lv.tobytes() for lv in plain.levels]
    assert sketch.rank_error > 0  # compactions happened


def test_values_given_in_order_give_the_sketch_of_sorting_them() -> None:
    rng = np.random.default_rng(4)
    values, counts = np.arange(-3.0, 40.0), rng.integers(0, 9_000, 43)
    ordered = np.repeat(values, counts)  # whole numbers counted, then repeated in order
    shuffled = rng.permutation(ordered)
    sketch, plain = KllSketch(), PlainKll()
    sketch.update(ordered, ascending=True, extent=(-3.0, 39.0))
    plain.update(shuffled)
    assert _state(sketch) == [lv.tobytes() for lv in plain.levels]
    # Later values are sorted as usual: the promise covers the one update.
    more = rng.normal(size=50_000)
    sketch.update(more)
    plain.update(more)
    assert _state(sketch) == [lv.tobytes() for lv in plain.levels]


def test_values_in_order_after_others_are_still_sorted_with_them() -> None:
    rng = np.random.default_rng(5)
    first, ordered = rng.normal(size=200), np.sort(rng.normal(size=700))
    sketch, plain = KllSketch(), PlainKll()
    sketch.update(first)  # stays in level 0: fewer than its capacity
    sketch.update(ordered, ascending=True)
    plain.update(first)
    plain.update(ordered)
    assert _state(sketch) == [lv.tobytes() for lv in plain.levels]
