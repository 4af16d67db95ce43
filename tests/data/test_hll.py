"""The HyperLogLog sketch of a column's distinct values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlgate.data.hashing import hash_ints
from mlgate.data.hll import STANDARD_ERROR, HllSketch, M, Q
from mlgate.data.sketches import b64


def test_empty_sketch_counts_nothing():
    assert HllSketch().estimate == 0.0
    assert HllSketch.of(np.empty(0, dtype=np.uint64)).estimate == 0.0


@pytest.mark.parametrize("n", [1, 2, 10, 100, 1_000, 3_000, 10_000, 50_000, 400_000])
def test_estimates_are_within_three_standard_errors_at_every_scale(n):
    # The improved estimator has no bias-table switch-over, so small and mid-range
    # counts (where plain HLL needs linear counting) must be as good as large ones.
    errors = []
    for seed in range(3):
        values = np.random.default_rng(seed).choice(2**62, n, replace=False)
        errors.append(HllSketch.of(hash_ints(values)).estimate / n - 1)
    assert max(abs(e) for e in errors) < max(3 * STANDARD_ERROR, 0.5 / n), errors


def test_repeats_and_order_do_not_change_the_sketch():
    values = np.arange(20_000)
    once = HllSketch.of(hash_ints(values))
    shuffled = np.random.default_rng(1).permutation(np.tile(values, 3))
    assert HllSketch.of(hash_ints(shuffled)) == once


def test_ranks_use_every_bit_and_cap_at_q_plus_one():
    # A hash whose bits after the index are all zero gets the largest rank; one with the
    # first of them set gets rank 1.
    zero_rest = np.array([5 << Q], dtype=np.uint64)
    top_rest = np.array([(5 << Q) | (1 << (Q - 1))], dtype=np.uint64)
    assert HllSketch.of(zero_rest)._registers[5] == Q + 1
    assert HllSketch.of(top_rest)._registers[5] == 1


def test_ranks_are_one_plus_the_leading_zeros_after_the_index():
    from mlgate.data.hll import _ranks

    rng = np.random.default_rng(5)
    edges = [0, 1, (1 << Q) - 1, 1 << (Q - 1), 2**64 - 1, (2**64 - 1) ^ ((1 << Q) - 1)]
    hashes = np.concatenate(
        [np.array(edges, dtype=np.uint64), rng.integers(0, 2**64, 5_000, dtype=np.uint64)]
    )
    # Small ranks are common; large ones need hashes with long runs of zeros.
    shifted = hashes >> rng.integers(0, Q, hashes.size).astype(np.uint64)
    for h in np.concatenate([hashes, shifted]).tolist():
        rest = h & ((1 << Q) - 1)
        assert _ranks(np.array([h], dtype=np.uint64))[0] == Q + 1 - rest.bit_length()


@settings(max_examples=40, deadline=None)
@given(parts=st.lists(st.lists(st.integers(0, 10**6), max_size=400), min_size=1, max_size=6))
def test_the_merge_of_parts_is_the_sketch_of_the_whole(parts):
    sketches = [HllSketch.of(hash_ints(np.array(p, dtype=np.int64))) for p in parts]
    merged = sketches[0]
    for other in sketches[1:]:
        merged = merged.merged(other)
    whole = HllSketch.of(hash_ints(np.array([v for p in parts for v in p], dtype=np.int64)))
    assert merged == whole


def test_bytes_round_trip_and_damage_is_a_value_error():
    sketch = HllSketch.of(hash_ints(np.arange(100_000)))
    assert HllSketch.from_b64(sketch.to_b64()) == sketch
    data = sketch.to_bytes()
    out_of_range = bytearray(data)
    out_of_range[-1] = Q + 2
    for damaged in (data[:-1], b"XXXX" + data[4:], bytes(out_of_range)):
        with pytest.raises(ValueError, match="damaged sketch"):
            HllSketch.from_b64(b64(damaged))
    assert len(data) < M + 16
