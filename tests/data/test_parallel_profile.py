"""Profiling a batch's columns in threads gives the profile a serial pass gives, value for
value: each column's sketches are built from that column alone, and the seeded sketches
draw their bits from their own state, never from the order threads finish in."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from mlgate.data import io, profile_column
from mlgate.data import profile as profile_module
from mlgate.data.hashing import hash_floats
from mlgate.data.hll import STANDARD_ERROR, HllSketch
from mlgate.data.profile import (
    PARALLEL_ROWS,
    SMALL_RANGE,
    ColumnProfile,
    DatasetProfile,
    dumps,
    profile,
    profile_frame,
)
from mlgate.data.theta import distinct


def _table(rows: int) -> pl.DataFrame:
    rng = np.random.default_rng(7)
    floats = rng.normal(size=rows)
    floats[::97] = np.nan
    floats[::101] = np.inf
    floats[::103] = -np.inf
    return pl.DataFrame(
        {
            "reading": floats,
            "whole_floats": rng.integers(0, 40, rows).astype(np.float64),
            "huge": np.where(rng.random(rows) < 0.5, 2.0**60, 3.0),
            "code": rng.integers(0, 25, rows),
            "key": np.arange(rows),
            "city": rng.choice(["Oslo", "Lima", "Pune", ""], rows),
            "flag": rng.random(rows) < 0.3,
        }
    )


BATCH = 2 * PARALLEL_ROWS


@pytest.fixture
def table_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(io, "BATCH_ROWS", BATCH)
    path = tmp_path / "table.parquet"
    # Three batches, the last one short of PARALLEL_ROWS (profiled in the calling thread).
    _table(2 * BATCH + PARALLEL_ROWS // 2).write_parquet(path, row_group_size=BATCH // 2)
    return path


def test_threads_give_the_serial_profile(table_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(profile_module, "PROFILE_THREADS", 1)
    serial = profile(table_file)
    monkeypatch.setattr(profile_module, "PROFILE_THREADS", 3)
    threaded = profile(table_file)
    assert dumps(threaded) == dumps(serial)


def test_non_finite_and_whole_numbers_are_counted_in_threads(table_file: Path) -> None:
    prof = profile(table_file)
    data = pl.read_parquet(table_file)
    reading = data.get_column("reading")
    col = prof.get("reading")
    assert col is not None
    assert col.nan == int(reading.is_nan().sum())
    assert col.posinf == int((reading == np.inf).sum())
    assert col.neginf == int((reading == -np.inf).sum())
    assert not col.integral
    whole = prof.get("whole_floats")
    assert whole is not None and whole.integral
    # 2**60 is a whole number no float holds exactly beside its neighbours: fractional.
    huge = prof.get("huge")
    assert huge is not None and not huge.integral
    assert prof.duplicate_rows == 0  # the key column makes every row distinct


@pytest.mark.parametrize("dtype", [np.uint64, np.float64])
def test_distinct_matches_numpy_unique(dtype: type) -> None:
    rng = np.random.default_rng(3)
    values = rng.integers(0, 1000, 5000).astype(dtype)
    assert np.array_equal(distinct(values), np.unique(values))
    assert distinct(values[:0]).size == 0
    assert np.array_equal(distinct(values[:1]), values[:1])


@pytest.mark.parametrize(
    "values",
    [
        np.arange(-5, 6).repeat(30),  # negative and positive codes
        np.array([0.0, -0.0, 3.0, 3.0, 2.0**40, 2.0**40 + 7]),  # whole floats, a wide offset
        np.arange(0, 2 * SMALL_RANGE, 7),  # wider than SMALL_RANGE: hashed value by value
    ],
)
def test_small_range_counts_give_what_hashing_every_value_gives(values: np.ndarray) -> None:
    col = profile_frame(pl.DataFrame({"x": values})).column("x")
    arr = values.astype(np.float64)
    assert col.distinct == HllSketch.of(hash_floats(arr))
    assert col.integral
    if col.frequent_dropped == 0:
        expected = pl.Series(arr).value_counts()
        counts = {float(v): c for v, c in col.value_counts()}
        assert counts == {float(v): c for v, c in expected.iter_rows()}


@pytest.mark.parametrize(
    ("values", "dtype"),
    [
        (np.arange(-128, 128).repeat(3), pl.Int8),  # the full range: offsets past int8's
        (np.array([0, 255, 255, 7]), pl.UInt8),
        (np.array([2**63 + 5, 2**63 + 9, 2**63 + 5], dtype=np.uint64), pl.UInt64),  # > 2**53
        (np.array([2**53 - 1, 2**53 - 3]), pl.Int64),
        (np.arange(0, SMALL_RANGE + 1), pl.Int32),  # exactly SMALL_RANGE wide: counted
        (np.arange(0, SMALL_RANGE + 2), pl.Int32),  # one more: left to the float path
        (np.random.default_rng(2).integers(-30, 30, 50_000), pl.Int16),
        (np.random.default_rng(3).integers(0, 9_000, 50_000), pl.UInt32),  # mostly distinct
    ],
)
def test_integers_counted_from_their_integers_profile_as_the_float_path_does(
    monkeypatch, values, dtype
):
    # Integer columns within SMALL_RANGE are counted from their integers, not from a
    # float copy; the profile must be the one the general path gives, the mean and the
    # sum of squared deviations to within rounding (summed over the distinct values,
    # about the smallest).
    frame = pl.DataFrame({"x": pl.Series(values, dtype=dtype)})
    fast = profile_frame(frame).column("x")
    monkeypatch.setattr(profile_column, "_counted_ints", lambda values: None)
    general = profile_frame(frame).column("x")
    assert fast.moments.m2 == pytest.approx(general.moments.m2, rel=1e-12, abs=1e-9)
    assert fast.moments.mean == pytest.approx(general.moments.mean, rel=1e-15)
    assert dumps_column(fast) == dumps_column(general)


@pytest.mark.parametrize("dtype", [pl.Int64, pl.UInt64])
def test_integers_beyond_two_to_the_53_are_counted_as_themselves(dtype):
    # As floats, 2**60 + 5 and 2**60 + 9 are one value, and 2**63 + 5 cast back to int64
    # was -2**63: the value counts that domain checks read must name the integers.
    base = 2**63 if dtype == pl.UInt64 else 2**60
    values = pl.Series("x", [base + 5, base + 9, base + 5], dtype=dtype)
    col = profile_frame(values.to_frame()).column("x")
    assert dict(col.value_counts()) == {str(base + 5): 2, str(base + 9): 1}


def dumps_column(column: ColumnProfile) -> str:
    """A column's profile as saved, without its mean and sum of squares (compared to
    within rounding on their own)."""
    rounded = replace(column, moments=replace(column.moments, mean=0.0, m2=0.0))
    return dumps(DatasetProfile(rows=column.count, columns=(rounded,)))


@pytest.mark.parametrize("origin", [-(10**12), 2**53 - 70_000, 0])
def test_moments_of_counted_integers_far_from_zero_are_exact_to_rounding(origin):
    # Taken about the smallest value: about a mean of 1e12 the deviations once lost
    # their last digits (2e-10 relative in the variance).
    from fractions import Fraction

    values = origin + np.random.default_rng(1).integers(0, 60_000, 200_000)
    col = profile_frame(pl.DataFrame({"x": values})).column("x")
    exact = [Fraction(int(v)) for v in values.tolist()]
    mean = sum(exact) / len(exact)
    variance = sum((v - mean) ** 2 for v in exact) / (len(exact) - 1)
    assert abs(Fraction(col.moments.mean) - mean) <= abs(mean) * Fraction(1, 10**15) + 1
    assert abs(Fraction(col.moments.variance) - variance) <= variance * Fraction(1, 10**13)


@pytest.mark.parametrize(
    "values",
    [
        pl.Series("x", 10**18 + np.arange(100_000)),  # ids far beyond 2**53
        pl.Series("x", 2**63 + np.arange(100_000, dtype=np.uint64), dtype=pl.UInt64),
        pl.Series("x", [10**30 + i % 20 for i in range(20_000)], dtype=pl.Int128),
        pl.Series("x", np.concatenate([np.arange(50), 2**60 + np.arange(50)])),  # both
    ],
)
def test_integers_beyond_two_to_the_53_keep_their_distinct_count_and_spread(values):
    # As float64 copies, 10**18 + arange(300000) had 2,366 distinct values and
    # 10**30 + {0..19} a standard deviation of 2.8e14; values beyond 2**53 are hashed
    # and measured as the integers they are.
    col = profile_frame(values.to_frame()).column("x")
    exact = [int(v) for v in values.to_list()]
    truth = len(set(exact))
    assert abs(col.distinct.estimate - truth) < 4 * STANDARD_ERROR * truth + 1
    origin = min(exact)
    offsets = np.array([v - origin for v in exact], dtype=np.float64)
    assert col.moments.std == pytest.approx(offsets.std(ddof=1), rel=1e-9)
