"""Profiling a batch's columns in threads gives the profile a serial pass gives, value for
value: each column's sketches are built from that column alone, and the seeded sketches
draw their bits from their own state, never from the order threads finish in."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from mlgate.data import io
from mlgate.data import profile as profile_module
from mlgate.data.hashing import hash_floats
from mlgate.data.hll import HllSketch
from mlgate.data.profile import PARALLEL_ROWS, SMALL_RANGE, dumps, profile, profile_frame
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
