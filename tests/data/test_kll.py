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
        self.levels = [np.empty(0, dtype=np.float64)]

    def capacity(self, h: int) -> int:
        return max(8, math.ceil(K * C ** (len(self.levels) - 1 - h)))

    def update(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=np.float64).astype(np.float64)
        self.n += values.size
        self.levels[0] = np.concatenate([self.levels[0], values])
        self.compress()

    def merge(self, other: PlainKll) -> None:
        self.n += other.n
        self.compactions += other.compactions
        depth = max(len(self.levels), len(other.levels))
        pad = [np.empty(0, dtype=np.float64)]
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
                self.levels.append(np.empty(0, dtype=np.float64))
            promoted = level[keep.size :][offset::2]
            self.levels[h + 1] = np.concatenate([self.levels[h + 1], promoted])


def _state(sketch: KllSketch) -> list[bytes]:
    """The sketch's levels as bytes, once its claims of order are checked: a level above
    0 that it holds to be in order (and so never sorts again) must be."""
    for h, (level, ordered) in enumerate(zip(sketch._levels, sketch._ordered, strict=True)):
        if h and ordered:
            assert np.all(level[:-1] <= level[1:]), f"level {h} is held in order and is not"
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
    sketch.update(ordered, ascending=True)
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


def _counted_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(8)
    cases = [
        (np.array([3.0]), np.array([1])),  # one value: no compaction
        (np.array([0.0, 1.0]), np.array([300, 1])),  # at the first capacity
        (np.array([-1.0, 0.0, 1.0]), np.array([1_000_000, 3, 2_000_001])),  # odd, large
        (np.arange(400.0) + 2.0**24, rng.integers(1, 50, 400)),  # were equal as float32
        (np.array([-1e39, 0.0, 1e39]), np.array([7, 700, 7_000])),  # beyond float32's range
    ]
    for spread in (2, 60, 5_000):
        values = np.sort(rng.choice(100_000, 900, replace=False)).astype(float) - 5_000
        cases.append((values, rng.integers(1, spread, values.size)))
    return cases


@pytest.mark.parametrize("case", range(8))
def test_counted_values_give_the_sketch_of_repeating_them(case: int) -> None:
    values, counts = _counted_cases()[case]
    counted, repeated = KllSketch(), KllSketch()
    counted.update_counted(values, counts)
    repeated.update(np.repeat(values, counts), ascending=True)
    assert _state(counted) == _state(repeated)
    assert (counted.n, counted._compactions, counted._ordered[0]) == (
        repeated.n,
        repeated._compactions,
        repeated._ordered[0],
    )
    plain = PlainKll()
    plain.update(np.random.default_rng(case).permutation(np.repeat(values, counts)))
    assert _state(counted) == [lv.tobytes() for lv in plain.levels]


def test_counted_values_into_a_sketch_that_holds_values_are_added_as_repeated() -> None:
    rng = np.random.default_rng(9)
    first = rng.normal(size=5_000)
    values, counts = np.arange(50.0), rng.integers(1, 2_000, 50)
    counted, repeated = KllSketch(), KllSketch()
    for sketch in (counted, repeated):
        sketch.update(first)
    counted.update_counted(values, counts)
    repeated.update(np.repeat(values, counts), ascending=True)
    assert _state(counted) == _state(repeated)
    empty = KllSketch()
    empty.update_counted(np.empty(0), np.empty(0, dtype=np.int64))
    assert empty.n == 0 and empty.num_retained == 0


def test_a_sketch_saved_with_float32_values_is_read():
    # Until 2026-12-01 sketches held float32; a saved profile of then still loads.
    from mlgate.data.sketches import b64, unb64

    sketch = KllSketch()
    sketch.update(np.random.default_rng(3).normal(size=5_000))
    raw = unb64(sketch.to_b64())
    depth = int(np.frombuffer(raw[24:32], dtype="<i8")[0])
    head = raw[: 32 + 8 * depth]
    body = np.frombuffer(raw[32 + 8 * depth :], dtype="<f8").astype("<f4")
    old = KllSketch.from_b64(b64(head + body.tobytes()))
    assert old.n == sketch.n and old.num_retained == sketch.num_retained
    np.testing.assert_allclose(
        old.quantiles([0.1, 0.5, 0.9]), sketch.quantiles([0.1, 0.5, 0.9]), rtol=1e-6
    )
    with pytest.raises(ValueError, match="truncated"):
        KllSketch.from_b64(b64(head + body.tobytes()[:-2]))


@pytest.mark.parametrize("offset", [1e12, 1e18])
def test_values_far_from_zero_keep_their_spread(offset):
    # float32 holds 24 bits: near 1e12 its step is 65,536, near 1e18 about 7e10, so a
    # spread of thousands collapsed to one or two values.
    values = offset + np.arange(100_000, dtype=np.float64) * (offset / 1e12)
    sketch = KllSketch()
    sketch.update(values)
    median = sketch.quantiles([0.5])[0]
    assert abs(median - np.median(values)) < 0.02 * (values[-1] - values[0])
    assert sketch.cdf([values[0] - 1.0])[0] == 0.0 and sketch.cdf([values[-1]])[0] == 1.0


def test_values_float32_holds_exactly_are_saved_in_half_the_bytes():
    rng = np.random.default_rng(4)
    whole, fractions = KllSketch(), KllSketch()
    whole.update(rng.integers(0, 10**6, 100_000).astype(np.float64))
    fractions.update(rng.random(100_000) * 10**6)
    for sketch in (whole, fractions):
        again = KllSketch.from_b64(sketch.to_b64())
        assert _state(again) == _state(sketch)
    assert len(whole.to_b64()) < 0.7 * len(fractions.to_b64())


@pytest.mark.parametrize("seed", [10, 11])
def test_large_batches_after_small_ones_give_the_plain_algorithms_sketch(seed: int) -> None:
    # Large promotions merged into levels that already hold values (in order), with
    # ties between them of both zeros' signs: the stable sort's order, bit for bit.
    rng = np.random.default_rng(seed)
    sketch, plain = KllSketch(), PlainKll()
    for size in (700, 5_000, 131_072, 40_000, 250_001, 3, 131_072):
        values = rng.integers(-3, 4, size).astype(float)
        values[rng.random(size) < 0.5] *= -1.0  # -0.0 among the zeros
        if size > 100_000:
            values[: size // 2] = rng.normal(size=size // 2)
        sketch.update(values)
        plain.update(values)
        assert _state(sketch) == [lv.tobytes() for lv in plain.levels]
    assert any(lv.size and np.signbit(lv[lv == 0.0]).any() for lv in sketch._levels[1:])
