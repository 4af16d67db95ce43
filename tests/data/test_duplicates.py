"""Duplicate rows are counted exactly in the pass that profiles a dataset.

The row-hash sketch's error (about 1.6% beyond 4,096 distinct rows) was larger than the
duplicate rates that matter: a file with no duplicate rows showed 1% of them, and a batch
with 10.7% duplicates passed. The sketch is kept only for what must merge (merged
profiles), and a figure from it is marked estimated.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import polars as pl
import pytest

import mlgate
from mlgate.data import io
from mlgate.data.profile import (
    KEY_CANDIDATE_SHARE,
    dumps,
    duplicate_summary,
    empty_profile,
    key_candidates,
    profile,
    profile_frame,
)
from mlgate.data.rowset import DuplicateCount, RowHashSet
from mlgate.data.schema import infer_schema
from mlgate.data.validate import validate_profile
from mlgate.errors import InputError
from mlgate.findings import Finding, Report, Status
from mlgate.reports import render
from tests.conftest import make_table
from tests.data.test_drift_stability import flights, halves, penguins, weather


def _distinct_table(n: int, seed: int = 0) -> pl.DataFrame:
    """n rows, all distinct (an id column), with ordinary columns beside it."""
    return make_table(n, seed=seed).with_row_index("id")


def _with_duplicates(df: pl.DataFrame, share: float, seed: int = 0) -> pl.DataFrame:
    """``df`` with rows repeated so that ``share`` of the result repeat an earlier row."""
    extra = round(share * df.height / (1.0 - share))
    repeats = df.sample(extra, seed=seed)
    return pl.concat([df, repeats]).sample(fraction=1.0, shuffle=True, seed=seed)


def _true_duplicates(df: pl.DataFrame) -> int:
    return df.height - df.unique().height


def _dup_finding(report: Report) -> Finding:
    return next(f for f in report.findings if f.name == "quality.duplicate_rows")


# -- the count -------------------------------------------------------------------------------


def test_a_file_without_duplicates_has_exactly_zero(write):
    # 100,000 distinct rows: the 4,096-hash sketch alone said about 1% were duplicates.
    p = profile(write(_distinct_table(100_000), "clean.parquet"))
    assert p.duplicates == DuplicateCount(rows=0, exact=True)
    assert (p.duplicate_rows, p.duplicate_fraction, p.duplicates_exact) == (0, 0.0, True)
    assert p.duplicate_fraction_bounds() == (0.0, 0.0)


@pytest.mark.parametrize("name", ["dups.csv", "dups.parquet"])
def test_duplicates_split_across_batch_boundaries_are_counted_exactly(write, monkeypatch, name):
    monkeypatch.setattr(io, "BATCH_ROWS", 1_000)
    df = _with_duplicates(_distinct_table(20_000), 0.048, seed=3)
    p = profile(write(df, name))
    assert p.rows == df.height and p.duplicates_exact
    assert p.duplicate_rows == _true_duplicates(df) == 1008


def test_profile_frame_counts_a_batch_exactly():
    df = pl.DataFrame({"a": [1, 1, 2, None, None], "b": ["x", "x", "y", None, None]})
    assert profile_frame(df).duplicates == DuplicateCount(rows=2, exact=True)


def test_merged_profiles_of_large_parts_are_estimated_from_the_sketch():
    df = _with_duplicates(_distinct_table(20_000), 0.05, seed=1)
    whole = profile(df)
    a, b = profile_frame(df.head(12_000)), profile_frame(df.tail(df.height - 12_000))
    merged = a.merge(b)
    assert merged.duplicates is None and not merged.duplicates_exact
    assert whole.duplicates_exact and whole.duplicate_rows == _true_duplicates(df)
    lower, upper = merged.duplicate_fraction_bounds()
    assert lower <= whole.duplicate_fraction <= upper
    assert "(estimated)" in duplicate_summary(merged)
    # Merged with the zero, a profile keeps its exact count.
    assert empty_profile().merge(whole).duplicates == whole.duplicates


def test_merged_profiles_stay_exact_while_the_sketch_holds_every_row():
    df = pl.DataFrame({"a": [1, 2, 3, 1, 2, 4]})
    merged = profile_frame(df.head(3)).merge(profile_frame(df.tail(3)))
    assert merged.duplicates_exact and merged.duplicate_rows == 2


def test_the_count_round_trips_through_json_and_an_old_profile_without_it_loads(tmp_path):
    df = _with_duplicates(_distinct_table(10_000), 0.05)
    p = profile(df)
    path = tmp_path / "p.json"
    p.save(path)
    assert profile(str(path)).duplicates == p.duplicates
    data = json.loads(dumps(p))
    assert data["duplicates"] == {"rows": p.duplicate_rows, "exact": True, "stderr": 0.0}
    # Version 2 profiles written before the count existed: the sketch's estimate.
    del data["duplicates"]
    path.write_text(json.dumps(data))
    old = profile(str(path))
    assert old.duplicates is None and not old.duplicates_exact
    assert old.duplicate_fraction_bounds()[0] <= 0.05 <= old.duplicate_fraction_bounds()[1]


def test_a_damaged_count_is_refused(tmp_path):
    data = json.loads(dumps(profile(make_table(100))))
    data["duplicates"] = {"rows": -3, "exact": True}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="the profile is damaged"):
        profile(str(path))


# -- the set behind it ---------------------------------------------------------------------


def test_row_hash_set_is_exact_up_to_its_cap_and_order_does_not_matter():
    rng = np.random.default_rng(0)
    hashes = rng.integers(0, 2**64, 5_000, dtype=np.uint64)
    hashes = np.concatenate([hashes, hashes[:400]])
    counts = set()
    for seed in range(3):
        shuffled = np.random.default_rng(seed).permutation(hashes)
        s = RowHashSet(cap=10_000)
        for part in np.array_split(shuffled, 7):
            s.add(part)
        counts.add(s.duplicates())
    assert counts == {DuplicateCount(rows=400, exact=True)}


def test_row_hash_set_beyond_its_cap_estimates_within_its_stated_error():
    rng = np.random.default_rng(1)
    distinct = rng.integers(0, 2**64, 200_000, dtype=np.uint64)
    hashes = np.concatenate([distinct, distinct[:20_000]])  # 20,000 duplicates: 9.1%
    s = RowHashSet(cap=20_000)
    for part in np.array_split(rng.permutation(hashes), 11):
        s.add(part)
    d = s.duplicates()
    assert not d.exact and s.rows == hashes.size
    # 1/sqrt(20,000) = 0.7% of 200,000 distinct rows: about 1,400 rows.
    assert 1_000 < d.stderr < 2_000
    assert abs(d.rows - 20_000) < 3 * d.stderr


def test_beyond_the_cap_a_profile_is_estimated_and_says_so(monkeypatch):
    from mlgate.data import rowset

    monkeypatch.setattr(rowset, "MAX_EXACT", 20_000)
    df = _with_duplicates(_distinct_table(60_000), 0.1)
    p = profile(df)
    assert not p.duplicates_exact and p.duplicates is not None and p.duplicates.stderr > 0
    lower, upper = p.duplicate_fraction_bounds()
    assert lower < _true_duplicates(df) / df.height < upper
    # Still tighter than the 4,096-hash sketch's bounds (by far at the real cap).
    sketch_lower, sketch_upper = replace(p, duplicates=None).duplicate_fraction_bounds()
    assert upper - lower < 0.5 * (sketch_upper - sketch_lower)
    assert "(estimated)" in duplicate_summary(p)
    assert json.loads(dumps(p))["duplicates"]["exact"] is False


# -- the check -------------------------------------------------------------------------------


@pytest.mark.parametrize("share", [0.107, 0.05, 0.048])
@pytest.mark.parametrize("n", [300, 1_000, 5_000, 50_000])
def test_duplicates_fail_against_a_clean_reference(share: float, n: int):
    ref = _distinct_table(n, seed=1)
    cur = _with_duplicates(_distinct_table(n, seed=2), share, seed=n)
    f = _dup_finding(mlgate.check_data(ref, cur))
    assert f.status is Status.FAIL, f.message
    assert f.details["estimated"] is False
    assert f.details["duplicate_rows"] == _true_duplicates(cur)
    assert f.message.startswith(f"{_true_duplicates(cur)} of {cur.height} rows (")
    assert "repeat an earlier row" in f.message and "ran twice" in f.message
    if n == 50_000:  # 5/n, not rounded to "0.0%"
        assert "above the 0.01% allowed" in f.message


def test_a_clean_batch_passes_and_says_zero_duplicate_rows():
    report = mlgate.check_data(_distinct_table(2_000, seed=1), _distinct_table(2_000, seed=2))
    f = _dup_finding(report)
    assert f.status is Status.PASS and f.message == "0 duplicate rows"
    assert f.details["observed"] == 0.0 and f.details["estimated"] is False
    assert "0 duplicate rows" in render(report, "markdown")
    assert "0 duplicate rows" in render(report, "html")


def test_mlgate_profile_prints_the_count(capsys, write):
    from tests.cli.test_commands import run

    clean = write(_distinct_table(10_000), "clean.csv")
    code, out, _ = run(capsys, "profile", str(clean))
    out = " ".join(out.split())  # the table's title wraps
    assert code == 0 and "10000 rows, 5 columns, 0 duplicate rows" in out
    table = _distinct_table(900)
    dups = write(pl.concat([table, table.head(100)]), "dups.csv")
    code, out, _ = run(capsys, "profile", str(dups))
    out = " ".join(out.split())
    assert code == 0 and "100 duplicate rows (10.0%)" in out


def test_the_limit_is_the_references_own_rate_plus_sampling_noise():
    clean = infer_schema(profile(_distinct_table(10_000)))
    assert clean.dataset.max_duplicate_fraction == 0.0005  # 5/n
    repeating = infer_schema(profile(_with_duplicates(_distinct_table(10_000), 0.2)))
    assert 0.2 < repeating.dataset.max_duplicate_fraction < 0.22


def test_an_estimated_share_is_judged_on_its_lower_bound_and_says_so():
    df = _with_duplicates(_distinct_table(20_000), 0.15, seed=2)
    merged = profile_frame(df.head(10_000)).merge(profile_frame(df.tail(df.height - 10_000)))
    schema = infer_schema(profile(_distinct_table(20_000, seed=5)))
    f = next(f for f in validate_profile(merged, schema) if f.name == "quality.duplicate_rows")
    assert f.status is Status.FAIL and f.details["estimated"] is True
    assert "(estimated: at least" in f.message
    assert f.details["lower_bound"] <= 0.15 + 0.005


# -- no false alarm where rows legitimately repeat -------------------------------------------

REPEATING: dict[str, Callable[[], pl.DataFrame]] = {
    # Few distinct rows: nearly every row repeats (dense).
    "penguin_traits": lambda: penguins().select("species", "island", "sex", "year"),
    # Routes by the hour: a few % of rows repeat at 300, most at 10,000 (sparse to dense).
    "routes": lambda: flights().select("carrier", "origin", "dest", "hour"),
    # Scheduled flights by month: no repeats at 100 rows, 4% at 1,000, 27% at 10,000.
    "schedules": lambda: flights().select("carrier", "flight", "origin", "dest", "month"),
    "visibility": lambda: weather().select("origin", "month", "hour", "visib"),
}


@pytest.mark.parametrize(
    ("dataset", "n"),
    [
        ("penguin_traits", 100),
        ("penguin_traits", 172),
        ("routes", 300),
        ("routes", 3_000),
        ("schedules", 100),
        ("schedules", 1_000),
        ("schedules", 10_000),
        ("visibility", 1_000),
    ],
)
def test_random_halves_of_data_whose_rows_repeat_pass(dataset: str, n: int):
    # The duplicate rate of natural repeats depends on the sample's size, so halves are
    # compared with halves of the same size, either way round.
    df = REPEATING[dataset]()
    for seed in range(20):
        a, b = halves(df, n, seed)
        pa, pb = profile(a), profile(b)
        for ref, cur in ((pa, pb), (pb, pa)):
            f = next(
                f
                for f in validate_profile(cur, infer_schema(ref))
                if f.name == "quality.duplicate_rows"
            )
            assert f.status is Status.PASS, (dataset, n, seed, f.message, f.details)


# A batch much larger than its reference: natural repeats grow with the sample (n rows
# make n(n-1)/2 pairs), so the reference's own rate is carried to the batch's size.
LARGER = [
    ("penguin_traits", 40, 300),
    ("routes", 300, 3_000),
    ("schedules", 1_000, 10_000),
    ("visibility", 500, 5_000),
]


def _samples(dataset: str, n: int, m: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    df = REPEATING[dataset]()
    return df.sample(n, seed=seed), df.sample(m, seed=seed + 1000)


@pytest.mark.parametrize(("dataset", "n", "m"), LARGER)
def test_a_much_larger_batch_of_data_whose_rows_repeat_passes(dataset: str, n: int, m: int):
    for seed in range(5):
        ref, cur = _samples(dataset, n, m, seed)
        pref, pcur = profile(ref), profile(cur)
        schema = infer_schema(pref)
        f = _only_dup(validate_profile(pcur, schema, pref))
        assert f.status is Status.PASS, (dataset, seed, f.message, f.details)
        # Without the reference the limit is the reference's rate at its own size, which
        # the larger batch exceeds: the scaling is what lets it pass.
        if pcur.duplicate_fraction > 2 * schema.dataset.max_duplicate_fraction:
            assert f.details["natural_at_size"] > pref.duplicate_fraction
            assert "natural repeats" in f.message and f"a batch of {m}" in f.message


def test_an_append_run_twice_still_fails_in_a_larger_batch():
    # Sparse repeats (schedules: 4% at 1,000 rows, 27% at 10,000): a quarter of the batch
    # appended again stands out. In dense data (routes by the hour, where most rows
    # repeat) the uniform model allows more repeats than real skewed data shows, and an
    # append can hide among them (docs/data-gate.md).
    ref, cur = _samples("schedules", 1_000, 10_000, seed=3)
    doubled = pl.concat([cur, cur.sample(fraction=0.25, seed=4)])
    pref = profile(ref)
    f = _only_dup(validate_profile(profile(doubled), infer_schema(pref), pref))
    assert f.status is Status.FAIL, (f.message, f.details)
    assert "natural repeats" in f.message and "ran twice" in f.message


def test_a_limit_set_below_the_references_rate_is_kept_whatever_the_size():
    ref, cur = _samples("schedules", 1_000, 10_000, seed=1)
    pref, pcur = profile(ref), profile(cur)
    schema = infer_schema(pref)
    strict = schema.model_copy(
        update={"dataset": schema.dataset.model_copy(update={"max_duplicate_fraction": 0.0})}
    )
    f = _only_dup(validate_profile(pcur, strict, pref))
    assert f.status is Status.FAIL and "natural_at_size" not in f.details


def test_natural_duplicate_fraction_follows_the_occupancy_model():
    from mlgate.data.rowset import natural_duplicate_fraction

    rng = np.random.default_rng(0)
    k = 5_000  # equally likely distinct rows
    ref = rng.integers(0, k, 1_000)
    distinct = np.unique(ref).size
    predicted = natural_duplicate_fraction(1_000, distinct, 20_000)
    observed = [1 - np.unique(rng.integers(0, k, 20_000)).size / 20_000 for _ in range(20)]
    assert abs(predicted - float(np.mean(observed))) < 0.03
    assert natural_duplicate_fraction(1_000, 1_000, 10**6) == 0.0
    assert natural_duplicate_fraction(100, 1, 50) == pytest.approx(0.98)
    with pytest.raises(ValueError):
        natural_duplicate_fraction(10, 11, 5)


def _only_dup(findings: list[Finding]) -> Finding:
    return next(f for f in findings if f.name == "quality.duplicate_rows")


def test_key_candidates_match_counting_every_value_at_the_shares_edge() -> None:
    """The head of a column may rule it out as a key (its repeats are the whole's), but
    only when counting every value would too: at the share's edge, repeats first or last."""
    n = 250_000
    allowed = int((1 - KEY_CANDIDATE_SHARE) * n)  # 12,500 repeats of 250,000 values
    rng = np.random.default_rng(0)

    def repeats(count: int, *, first: bool) -> np.ndarray:
        """n values of which ``count`` repeat an earlier one (zero, count + 1 times)."""
        distinct, zeros = np.arange(1, n - count), np.zeros(count + 1, dtype=np.int64)
        return np.concatenate([zeros, distinct] if first else [distinct, zeros])

    frame = pl.DataFrame(
        {
            "ids": rng.permutation(n),
            "edge_last": repeats(allowed, first=False),
            "over_last": repeats(allowed + 1, first=False),
            "edge_first": repeats(allowed, first=True),
            "over_first": repeats(allowed + 1, first=True),
            "codes": rng.integers(0, 5, n),
            "text": [f"user-{i}" for i in rng.permutation(n)],
        }
    )
    counted = [c for c in frame.columns if frame[c].n_unique() >= KEY_CANDIDATE_SHARE * n]
    assert counted == ["ids", "edge_last", "edge_first", "text"]
    assert key_candidates(frame) == counted


@pytest.mark.parametrize("ascending", [True, False])
def test_sorted_runs_and_unsorted_batches_count_alike(ascending: bool) -> None:
    """Batches added as sorted runs are merged by run (a stable sort), unsorted ones by a
    fresh sort; either way the count is exact, across merges and at the cap."""
    rng = np.random.default_rng(11)
    batches = [rng.integers(0, 5_000, 1_000).astype(np.uint64) for _ in range(30)]
    expected = 30_000 - np.unique(np.concatenate(batches)).size
    rows = RowHashSet()
    for batch in batches:
        rows.add(np.sort(batch) if ascending else batch, ascending=ascending)
        if rows.rows % 7_000 == 0:
            rows.state()  # a merge mid-pass, with runs waiting
    assert rows.duplicates() == DuplicateCount(rows=expected)
    capped = RowHashSet(cap=1_000)
    for batch in batches:
        capped.add(np.sort(batch) if ascending else batch, ascending=ascending)
    sketch_count = capped.duplicates()
    assert not sketch_count.exact
    assert abs(sketch_count.rows - expected) < 4 * sketch_count.stderr + 1


def test_the_pair_of_profiles_is_the_profiles_made_one_after_the_other(tmp_path) -> None:
    """The current's pass starts while the reference's last batches are profiled; each
    profile is still the one a pass of its own gives, duplicates and key repeats too."""
    from mlgate.data.gate import profile_pair
    from mlgate.data.profile import profile_then

    rng = np.random.default_rng(8)
    paths = []
    for name, n in (("ref", 600_000), ("cur", 450_000)):
        frame = pl.DataFrame(
            {
                "id": rng.permutation(n),
                "x": rng.normal(size=n),
                "code": rng.choice(["a", "b", "c"], n),
                "small": rng.integers(0, 4, n),
            }
        )
        frame = pl.concat([frame, frame.head(5_000)])  # 5,000 rows repeated
        path = tmp_path / f"{name}.parquet"
        frame.write_parquet(path, row_group_size=100_000)
        paths.append(path)
    calls: list[str] = []
    alone = profile_then(paths[0], read=lambda: calls.append("read"))
    assert calls == ["read"]
    ref, cur = profile_pair(*paths)
    assert dumps(ref) == dumps(alone)
    assert dumps(cur) == dumps(profile(paths[1]))
    assert ref.duplicates == cur.duplicates == DuplicateCount(rows=5_000)
    assert ref.get("id").repeats == DuplicateCount(rows=5_000)


def test_a_column_of_codes_is_ruled_out_as_a_key_without_counting_it_whole(monkeypatch) -> None:
    """In a long batch (500,000 rows of a narrow table), a column that is mostly repeats
    is ruled out from its head; only a column that may still be a key is counted whole."""
    n = 500_000
    rng = np.random.default_rng(1)
    frame = pl.DataFrame(
        {"codes": rng.integers(0, 5, n), "ids": rng.permutation(n), "text": ["a", "b"] * (n // 2)}
    )
    counted: list[int] = []
    n_unique = pl.Series.n_unique

    def spy(self: pl.Series) -> int:
        counted.append(self.len())
        return n_unique(self)

    monkeypatch.setattr(pl.Series, "n_unique", spy)
    assert key_candidates(frame) == ["ids"]
    # Each column's head is a tenth of the batch; only "ids" is counted in full.
    assert counted.count(n) == 1
    assert sum(counted) <= n + 3 * n // 10


def test_a_small_reference_without_repeats_does_not_fail_a_much_larger_batch():
    # Scheduled flights repeat no row among 100 but 27% among 10,000: a reference of 100
    # rows cannot rule that out, and a batch sixty times larger passed only once the
    # reference's zero was taken as an upper bound ("rule of three"), not as none.
    tried = 0
    for seed in range(20):
        ref, cur = _samples("schedules", 100, 6_000, seed)
        pref = profile(ref)
        if pref.duplicate_rows:
            continue  # the reference's own repeats were carried before; here: none
        tried += 1
        f = _only_dup(validate_profile(profile(cur), infer_schema(pref), pref))
        assert f.status is Status.PASS, (seed, f.message)
        assert f.details["natural_at_size"] > profile(cur).duplicate_fraction
    assert tried >= 10


def test_rows_that_lost_a_column_repeat_more_and_only_warn():
    # Without one column, rows that it told apart become equal: the missing column is
    # the failure, and the duplicate share is not compared as if nothing changed.
    df = REPEATING["schedules"]().head(6_000)
    pref = profile(df.head(3_000))
    cur = df.tail(3_000).drop("flight")
    report = mlgate.check_data(df.head(3_000), cur)
    f = _dup_finding(report)
    assert f.status is Status.WARN, f.message
    assert "lacks 'flight'" in f.message and f.details["missing_columns"] == ["flight"]
    assert any(
        x.name == "schema.missing_column" and x.status is Status.FAIL for x in report.findings
    )
    # With every column, the same batch's share is judged as usual.
    full = _only_dup(validate_profile(profile(df.tail(3_000)), infer_schema(pref), pref))
    assert full.status is Status.PASS


@pytest.mark.parametrize("order", ["ascending", "unsorted", "mixed", "claimed-falsely"])
@pytest.mark.parametrize("cap", [100_000, 30_000, 3_000, 50])
@pytest.mark.parametrize("buckets", [True, False], ids=["by-bucket", "one-array"])
def test_merges_in_their_own_thread_hold_what_one_merge_of_everything_holds(
    monkeypatch, order: str, cap: int, buckets: bool
) -> None:
    """Merges that batches start run in a thread while the pass goes on, bucket by
    bucket; whenever they run, and whether batches come sorted or not (or are said to
    be sorted and are not), the set ends as the distinct hashes seen, or the ``cap``
    smallest and the next one as the threshold (caps reached in the first bucket, in a
    later one, and not at all)."""
    from mlgate.data import rowset

    monkeypatch.setattr(rowset, "_MIN_PENDING", 2_000)
    # By bucket: every sorted batch is split among the buckets and every merge goes
    # bucket by bucket; one array: small sets merge as one array (the defaults' start).
    monkeypatch.setattr(rowset, "_SPLIT_FROM", 100 if buckets else 10**9)
    monkeypatch.setattr(rowset, "_ONE_ARRAY", 500 if buckets else 10**9)
    started = []
    monkeypatch.setattr(rowset, "_Merge", _counting(rowset._Merge, started))
    rng = np.random.default_rng(12)
    batches = [rng.integers(0, 2**64, 1_000, dtype=np.uint64) for _ in range(40)]
    batches += [b[:300] for b in batches[::4]]  # repeats, across merges
    rows = RowHashSet(cap=cap)
    for i, batch in enumerate(batches):
        if order == "ascending" or (order == "mixed" and i % 2):
            rows.add(np.sort(batch), ascending=True)
        else:
            rows.add(batch, ascending=order == "claimed-falsely")
    held, theta = rows.state()
    everything = np.unique(np.concatenate(batches))
    if everything.size > cap:
        np.testing.assert_array_equal(held, everything[:cap])
        assert theta == int(everything[cap])
    else:
        np.testing.assert_array_equal(held, everything)
        assert theta == rowset.FULL
    # A cap of 50 sets a threshold that filters nearly every later hash: few merges.
    assert len(started) >= (5 if cap > 1_000 else 1)
    total = sum(b.size for b in batches)
    assert rows.rows == total
    if everything.size <= cap:
        assert rows.duplicates() == DuplicateCount(rows=total - everything.size)
    else:
        assert not rows.duplicates().exact


def test_a_merge_that_fails_in_its_thread_raises_in_the_pass(monkeypatch) -> None:
    from mlgate.data import rowset

    monkeypatch.setattr(rowset, "_MIN_PENDING", 10)

    def out_of_memory(taken, cap):
        raise MemoryError("no room for the merge")

    monkeypatch.setattr(rowset, "_merge", out_of_memory)
    rows = RowHashSet()
    rows.add(np.arange(20, dtype=np.uint64))  # starts a merge, which fails in its thread
    with pytest.raises(MemoryError, match="no room"):
        rows.duplicates()


def _counting(cls, calls: list):
    def make(*args, **kwargs):
        calls.append(args)
        return cls(*args, **kwargs)

    return make
