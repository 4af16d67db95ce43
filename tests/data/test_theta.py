"""The stable hashes (mlgate.data.hashing) and the theta sketch of row hashes."""

from __future__ import annotations

import hashlib
import tracemalloc

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlgate.data.hashing import hash_floats, hash_ints, hash_row_hashes, hash_strings
from mlgate.data.sketches import b64
from mlgate.data.theta import ThetaSketch

MASK = 2**64 - 1


def _mix(x: int, seed: int) -> int:
    """SplitMix64's finaliser in plain Python: the reference the NumPy code must match."""
    x ^= seed
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & MASK
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def _string_hash(text: str) -> int:
    data = text.encode()
    if len(data) > 1024:
        return int.from_bytes(
            hashlib.blake2b(data, digest_size=8, person=b"mlgate").digest(), "little"
        )
    poly = sum((b + 1) * pow(0xC2B2AE3D27D4EB4F, i, 2**64) for i, b in enumerate(data)) & MASK
    return _mix(poly ^ len(data), 0x8CB92BA72F3D8DD7)


def test_hashes_match_their_definition():
    floats = np.array([1.0, -2.5, 1e300, 5e-324])
    expected = [_mix(int(v), 0x9E3779B97F4A7C15) for v in floats.view(np.uint64)]
    assert hash_floats(floats).tolist() == expected
    ints = np.array([0, 1, -1, 2**63 - 1])
    expected = [_mix(int(v), 0xD1B54A32D192ED03) for v in ints.view(np.uint64)]
    assert hash_ints(ints).tolist() == expected
    words = ["", "penguin", "Adélie", "x" * 300, "y" * 1024, "z" * 1025, "é" * 5000, "w"]
    assert hash_strings(pl.Series(words)).tolist() == [_string_hash(w) for w in words]


def test_hashes_are_pinned_so_saved_profiles_stay_comparable():
    # A change to any hash makes old profiles disagree with new ones without an error:
    # these values must never change (bump the profile format version if they must).
    assert int(hash_floats(np.array([1.0]))[0]) == 0xBCABCB2A8DAE6591
    assert int(hash_ints(np.array([1]))[0]) == 0x01D60447FEA35413
    assert int(hash_strings(pl.Series(["penguin"]))[0]) == 0x7361AC8AAD87E6A3
    assert int(hash_row_hashes(np.array([1], dtype=np.uint64))[0]) == 0x5F61DCFADAD7A8C8
    # Equal numbers hash alike.
    assert hash_floats(np.array([0.0])).tolist() == hash_floats(np.array([-0.0])).tolist()


def test_string_hashes_depend_on_every_byte_and_on_length():
    values = ["", "a", "b", "ab", "ba", "a\x00", "\x00a", "é", "e", "a" * 1000, "a" * 1001]
    hashes = hash_strings(pl.Series(values))
    assert len(set(hashes.tolist())) == len(values)


def test_string_hashes_skip_nulls_and_ignore_slicing_and_chunks():
    whole = hash_strings(pl.Series(["x", None, "yy", "zzz"]))
    assert whole.size == 3
    chunked = pl.Series(["q", "x"]).append(pl.Series(["yy", "zzz"])).slice(1)
    assert np.array_equal(hash_strings(chunked), whole)
    assert hash_strings(pl.Series([], dtype=pl.String)).size == 0


def test_string_hashes_are_the_same_across_slices_of_the_input():
    values = pl.Series([f"value-{i}" for i in range(150_000)])
    assert np.array_equal(hash_strings(values)[-10:], hash_strings(values.tail(10)))


def test_small_sets_are_counted_exactly():
    sketch = ThetaSketch.of(hash_ints(np.arange(1000).repeat(3)))
    assert sketch.is_exact
    assert sketch.estimate == 1000.0
    assert sketch.bounds(3) == (1000.0, 1000.0)


@pytest.mark.parametrize("seed", range(5))
def test_large_sets_are_estimated_within_three_standard_errors(seed):
    rng = np.random.default_rng(seed)
    n = 300_000
    values = rng.integers(0, 2**62, n)
    sketch = ThetaSketch.of(hash_ints(values))
    assert not sketch.is_exact
    assert sketch.retained == sketch.k == 4096
    assert abs(sketch.estimate - n) / n < 3 / np.sqrt(sketch.k)
    low, high = sketch.bounds(3)
    assert low <= n <= high
    assert high - low < 0.12 * n  # bounds that say something


def test_repeats_do_not_inflate_the_estimate():
    # Heavily repeated values: the smallest hashes of the batch are all repeats.
    values = np.tile(np.arange(50_000), 40)
    sketch = ThetaSketch.of(hash_ints(values))
    assert not sketch.is_exact
    assert abs(sketch.estimate - 50_000) / 50_000 < 3 / np.sqrt(sketch.k)


@settings(max_examples=40, deadline=None)
@given(
    parts=st.lists(st.lists(st.integers(0, 3000), max_size=600), min_size=1, max_size=6),
    k=st.sampled_from([16, 64, 1024]),
)
def test_the_merge_of_parts_is_the_sketch_of_the_whole(parts, k):
    sketches = [ThetaSketch.of(hash_ints(np.array(p, dtype=np.int64)), k=k) for p in parts]
    merged = sketches[0]
    for other in sketches[1:]:
        merged = merged.merged(other)
    reverse = sketches[-1]
    for other in reversed(sketches[:-1]):
        reverse = other.merged(reverse)
    whole = ThetaSketch.of(hash_ints(np.array([v for p in parts for v in p], dtype=np.int64)), k=k)
    assert merged == whole
    assert reverse == whole


def test_overlap_estimates_the_common_values():
    a = ThetaSketch.of(hash_ints(np.arange(0, 200_000)))
    b = ThetaSketch.of(hash_ints(np.arange(150_000, 400_000)))
    assert abs(a.overlap(b) - 50_000) / 50_000 < 0.15
    small_a = ThetaSketch.of(hash_ints(np.arange(10)))
    small_b = ThetaSketch.of(hash_ints(np.arange(5, 20)))
    assert small_a.overlap(small_b) == 5.0


def test_bytes_round_trip_and_damage_is_a_value_error():
    sketch = ThetaSketch.of(hash_floats(np.linspace(0, 1, 10_000)))
    assert ThetaSketch.from_b64(sketch.to_b64()) == sketch
    assert ThetaSketch.from_b64(ThetaSketch().to_b64()) == ThetaSketch()
    data = sketch.to_bytes()
    for damaged in (data[:10], data[:-3], b"XXXX" + data[4:], data[:-8] + b"\xff" * 8):
        with pytest.raises(ValueError, match="damaged sketch"):
            ThetaSketch.from_b64(b64(damaged))


def test_a_huge_string_is_hashed_without_copies_of_eight_bytes_per_byte():
    # A whole document in one cell: the vectorised hash would need 8 bytes of working
    # memory per byte of it, several times over.
    huge = pl.Series(["a" * 20_000_000, "b", None, "c" * 2_000])
    hash_strings(pl.Series(["x"] * 5_000 + ["y" * 2_000]))  # the Arrow path's imports

    tracemalloc.start()
    try:
        hashes = hash_strings(huge)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert hashes.tolist() == [
        _string_hash("a" * 20_000_000),
        _string_hash("b"),
        _string_hash("c" * 2_000),
    ]
    assert peak < 10_000_000


def test_many_strings_are_hashed_in_slices_with_the_same_result():
    values = [f"{i:08d}" * (1 + i % 7) for i in range(200_000)]  # about 6 MB
    assert hash_strings(pl.Series(values))[::9973].tolist() == [
        _string_hash(v) for v in values[::9973]
    ]


def test_few_strings_hash_alike_without_arrow(monkeypatch):
    # A small file's distinct values are gathered in Python (no pyarrow to import):
    # the same bytes, so the same hashes as through Arrow, long strings included.
    from mlgate.data import hashing

    values = pl.Series(["", "a", "é", "日本", None, "x" * 3_000, "a\x00", "b" * 1_024])
    small = hashing.hash_strings(values)
    monkeypatch.setattr(hashing, "SMALL_STRINGS", 0)
    assert small.tolist() == hashing.hash_strings(values).tolist()
    assert small.tolist() == [_string_hash(v) for v in values.drop_nulls().to_list()]
    # No strings, and long strings alone (no short ones to gather).
    assert hashing.hash_strings(pl.Series([None, None], dtype=pl.String)).size == 0
    only_long = pl.Series(["y" * 2_000, "z" * 5_000])
    assert hashing.hash_strings(only_long).tolist() == [_string_hash(v) for v in only_long]


@pytest.mark.parametrize(
    ("distinct", "repeat", "head_repeats"),
    [
        (0, 1, 0),  # no rows
        (10, 2, 0),  # fewer distinct hashes than k
        (50_000, 1, 0),  # many: estimated
        (5_000, 3, 0),  # each hash three times, more than k distinct
        (30_000, 1, 20_000),  # the smallest hash 20,000 times: the head is one value
    ],
)
def test_a_sketch_of_sorted_hashes_is_the_sketch_of_the_same_hashes(
    distinct: int, repeat: int, head_repeats: int
) -> None:
    hashes = np.sort(hash_ints(np.arange(distinct).repeat(repeat)))
    hashes = np.concatenate([np.full(head_repeats, hashes[0] if distinct else 0), hashes])
    expected = ThetaSketch.of(np.random.default_rng(0).permutation(hashes), k=1_024)
    got = ThetaSketch.of_sorted(hashes, k=1_024)
    assert (got.theta, got.hashes.tolist()) == (expected.theta, expected.hashes.tolist())
    assert got.hashes.base is None  # a copy: the batch's array is not kept
