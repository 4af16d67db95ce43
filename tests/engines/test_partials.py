"""Partial profiles without Spark: a dataset cut into parts, each built by PartBuilder
and gathered, must be the Polars engine's profile of the whole."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from mlgate.data.profile import profile_frame
from mlgate.data.rowset import RowHashSet
from mlgate.data.theta import FULL
from mlgate.engines.partials import Gatherer, PartBuilder, decode, send_cap
from tests.data.profile_helpers import assert_profiles_agree


def _table(n: int = 3000, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    df = pl.DataFrame(
        {
            "id": np.arange(n),
            "x": rng.normal(size=n),
            "city": rng.choice(["Lisbon", "Oslo", "Quito"], n),
            "code": rng.integers(0, 5, n),
        }
    )
    # 25 rows twice: duplicate rows, and repeated ids.
    return pl.concat([df, df.slice(100, 25)])


def _gather(parts: list[pl.DataFrame], send: int | None = None) -> Gatherer:
    cap = send or send_cap(len(parts))
    gatherer = Gatherer("t")
    for part in parts:
        builder = PartBuilder("t", cap)
        builder.add(part)
        gatherer.add(builder.payload())
    return gatherer


def _cut(df: pl.DataFrame, parts: int) -> list[pl.DataFrame]:
    step = -(-df.height // parts)
    return [df.slice(i, step) for i in range(0, df.height, step)]


def test_gathered_parts_equal_the_whole_with_exact_duplicates_and_repeats():
    df = _table()
    whole = profile_frame(df, "t")
    got = _gather(_cut(df, 4)).result()
    assert_profiles_agree(got, whole)
    assert got.duplicates == whole.duplicates
    assert got.duplicates is not None and got.duplicates.exact and got.duplicates.rows == 25
    assert got.column("id").repeats == whole.column("id").repeats
    assert got.column("id").repeats is not None and got.column("id").repeats.rows == 25
    assert got.column("city").repeats is None and whole.column("city").repeats is None


def test_a_key_repeated_across_parts_is_judged_on_the_whole_as_the_polars_engine_does():
    # Each half is all distinct, the whole is half repeats: no candidate key, as in one pass.
    half = pl.DataFrame({"id": np.arange(1000)})
    whole = profile_frame(pl.concat([half, half]), "t")
    got = _gather([half, half]).result()
    assert whole.column("id").repeats is None
    assert got.column("id").repeats is None
    assert got.duplicates == whole.duplicates


def test_parts_over_the_send_cap_give_an_estimate_said_to_be_one():
    df = pl.DataFrame({"id": np.arange(40_000) % 30_000})  # 10,000 duplicate rows
    got = _gather(_cut(df, 4), send=4096).result()
    assert got.duplicates is not None and not got.duplicates.exact
    assert abs(got.duplicates.rows - 10_000) < 6 * got.duplicates.stderr + 1
    assert not got.duplicates_exact


def test_empty_parts_are_left_out_and_no_parts_give_the_zero():
    zero = profile_frame(pl.DataFrame({"a": pl.Series([], dtype=pl.Int64)}), "t")
    got = Gatherer("t").result(zero=zero)
    assert got.rows == 0 and got.names == ["a"]
    with pytest.raises(ValueError, match="empty part"):
        PartBuilder("t", 10).payload()


def test_a_gathered_level_re_sends_as_one_part():
    df = _table()
    parts = _cut(df, 6)
    first = _gather(parts[:3]).payload()
    second = _gather(parts[3:]).payload()
    got = Gatherer("t").add_all([first, second]).result()
    assert got.duplicates == profile_frame(df).duplicates
    assert got.column("id").repeats == profile_frame(df).column("id").repeats


def test_decode_refuses_other_bytes():
    with pytest.raises(ValueError, match="not an mlgate partial"):
        decode(b"PAR1....")


def test_row_hash_sets_union_exactly_and_under_a_threshold():
    a, b = RowHashSet(), RowHashSet()
    a.add(np.array([1, 2, 3, 3], dtype=np.uint64))
    b.add(np.array([3, 4], dtype=np.uint64))
    hashes, theta = b.state()
    a.add_set(hashes, theta, b.rows)
    assert theta == FULL
    assert a.rows == 6 and a.duplicates().rows == 2 and a.duplicates().exact
    # A set cut below a threshold makes the union an estimate, filtered below it.
    c = RowHashSet()
    c.add(np.array([1, 5], dtype=np.uint64))
    c.add_set(np.array([2], dtype=np.uint64), 3, 10)
    kept, theta = c.state()
    assert theta == 3 and kept.tolist() == [1, 2]
    assert not c.duplicates().exact
