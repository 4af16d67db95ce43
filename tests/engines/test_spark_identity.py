"""The Spark engine's profile of a dataset is the Polars engine's.

Exact for rows, nulls, NaN, +-inf, min, max and counts, to 1e-9 relative for mean and
variance; the same distinct-count and row-hash sketches; the same exact duplicate and
key-repeat counts; quantiles within the KLL's rank error of the data's true ranks.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal

import numpy as np
import polars as pl
import pytest

import mlgate
from mlgate.data.profile import DatasetProfile, profile
from mlgate.engines import Engine
from mlgate.engines.spark import profile_spark
from tests.conftest import make_table, run_main

pytestmark = [pytest.mark.slow, pytest.mark.spark]

N = 4000
DUPLICATES = 40


def _mixed(n: int = N, seed: int = 0) -> pl.DataFrame:
    """Every type the engines map, with nulls, NaN, +-inf and duplicate rows."""
    rng = np.random.default_rng(seed)
    x = rng.normal(10.0, 3.0, n)
    x[rng.choice(n, 30, replace=False)] = np.nan
    x[:3] = [np.inf, -np.inf, np.inf]
    start = dt.datetime(2024, 1, 1)
    df = pl.DataFrame(
        {
            "id": np.arange(n, dtype=np.int64),
            "x": x,
            "small": rng.integers(-5, 5, n).astype(np.int32),
            "f32": rng.random(n).astype(np.float32),
            "city": rng.choice(["Lisbon", "Oslo", "Quito", "Perth"], n),
            "flag": rng.random(n) < 0.3,
            "price": [Decimal(f"{v:.2f}") for v in rng.uniform(0, 500, n)],
            "zoned": [start + dt.timedelta(minutes=int(m)) for m in rng.integers(0, 10**6, n)],
            "naive": [start + dt.timedelta(seconds=int(s)) for s in rng.integers(0, 10**7, n)],
            "day": [
                dt.date(2020, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 900, n)
            ],
        },
        schema_overrides={"price": pl.Decimal(10, 2)},
    ).with_columns(
        pl.col("zoned").dt.replace_time_zone("UTC"),
        pl.when(pl.col("id") % 17 == 0).then(None).otherwise(pl.col("city")).alias("city"),
        pl.when(pl.col("id") % 23 == 0).then(None).otherwise(pl.col("flag")).alias("flag"),
        pl.when(pl.col("id") % 29 == 0).then(None).otherwise(pl.col("x")).alias("x"),
    )
    return pl.concat([df, df.slice(500, DUPLICATES)])


@pytest.fixture(scope="module")
def mixed_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("spark") / "mixed.parquet"
    _mixed().write_parquet(path)
    return path


def assert_same_profile(got: DatasetProfile, want: DatasetProfile, data: pl.DataFrame) -> None:
    assert got.rows == want.rows
    assert got.names == want.names
    assert got.duplicates == want.duplicates
    assert got.row_hashes == want.row_hashes
    for a, b in zip(got.columns, want.columns, strict=True):
        where = f"column {a.name!r}"
        for attr in ("kind", "logical_type", "count", "nulls", "nan", "posinf", "neginf"):
            assert getattr(a, attr) == getattr(b, attr), f"{where}: {attr}"
        assert (a.integral, a.min, a.max) == (b.integral, b.min, b.max), where
        assert a.moments.n == b.moments.n, where
        if a.moments.n:
            assert math.isclose(a.moments.mean, b.moments.mean, rel_tol=1e-9, abs_tol=1e-12)
            assert math.isclose(a.moments.variance, b.moments.variance, rel_tol=1e-9), where
        assert a.distinct == b.distinct, f"{where}: distinct-count sketch"
        assert a.repeats == b.repeats, f"{where}: repeats"
        if a.frequent_exact and b.frequent_exact:
            assert a.value_counts() == b.value_counts(), f"{where}: frequent values"
        assert a.quantiles.n == b.quantiles.n, where
        if a.quantiles.n:
            _assert_true_ranks(a, data.get_column(a.name), where)


def _assert_true_ranks(col, values: pl.Series, where: str) -> None:
    """Each quantile the sketch gives sits at its rank of the real values, within the
    sketch's rank error."""
    values = values.drop_nulls()
    if values.dtype == pl.String:  # text the profile read as dates
        values = values.str.to_datetime(time_unit="us")
    if values.dtype.is_temporal():  # instants: microseconds since the epoch, as profiled
        values = values.cast(pl.Datetime("us")).dt.epoch("us")
    arr = values.cast(pl.Float64).to_numpy()
    arr = np.sort(arr[np.isfinite(arr)])
    ranks = np.linspace(0.02, 0.98, 25)
    qs = col.quantiles.quantiles(ranks)
    below = np.searchsorted(arr, qs, side="left") / arr.size
    upto = np.searchsorted(arr, qs, side="right") / arr.size
    err = col.quantiles.rank_error + 1.0 / arr.size
    assert np.all(ranks >= below - err) and np.all(ranks <= upto + err), where


def test_spark_profile_of_a_parquet_file_equals_the_polars_profile(spark, mixed_path):
    want = profile(mixed_path)
    got = profile_spark(str(mixed_path), session=spark)
    assert got.duplicates is not None and got.duplicates.rows == DUPLICATES
    assert got.column("id").repeats is not None and got.column("id").repeats.rows == DUPLICATES
    assert got.source == str(mixed_path)
    assert_same_profile(got, want, _mixed())


def test_spark_types_map_to_the_polars_kinds(spark, mixed_path):
    df = spark.read.parquet(str(mixed_path))
    types = {f.name: f.dataType.typeName() for f in df.schema.fields}
    # The zoned and naive timestamps reach Spark as its two timestamp types.
    assert types["zoned"] == "timestamp" and types["naive"] == "timestamp_ntz"
    assert types["price"] == "decimal"
    got = {c.name: c.logical_type for c in profile_spark(df).columns}
    assert got == {c.name: c.logical_type for c in profile(mixed_path).columns}
    assert got["price"] == "float" and got["zoned"] == "datetime" and got["flag"] == "boolean"


def test_partitions_merged_on_the_driver_equal_one_pass(spark, mixed_path):
    df = spark.read.parquet(str(mixed_path)).repartition(3)
    assert df.rdd.getNumPartitions() == 3
    assert_same_profile(profile_spark(df), profile(mixed_path), _mixed())


def test_many_partitions_are_merged_on_the_executors_first(spark, mixed_path, monkeypatch):
    import mlgate.engines.spark as engine

    monkeypatch.setattr(engine, "TREE_ABOVE", 4)
    df = spark.read.parquet(str(mixed_path)).repartition(9)
    assert_same_profile(profile_spark(df), profile(mixed_path), _mixed())


def test_mlgate_profile_recognises_a_spark_dataframe(spark, mixed_path):
    df = spark.read.parquet(str(mixed_path)).repartition(2)
    got = mlgate.profile(df)
    assert got.rows == N + DUPLICATES and got.duplicates.rows == DUPLICATES


def test_a_catalog_table_is_read_by_name(spark, tmp_path):
    spark.createDataFrame(
        [(1, "a"), (2, "b"), (2, "b")], "k long, v string"
    ).createOrReplaceTempView("mlgate_small")
    got = profile_spark("spark:mlgate_small", session=spark)
    assert got.rows == 3 and got.duplicates.rows == 1
    assert got.source == "spark:mlgate_small"


def test_an_empty_table_has_its_columns_and_no_rows(spark, mixed_path):
    df = spark.read.parquet(str(mixed_path)).limit(0)
    got = profile_spark(df)
    want = profile(pl.read_parquet(mixed_path).head(0))
    assert got.rows == 0 and got.names == want.names
    assert [c.kind for c in got.columns] == [c.kind for c in want.columns]


def _failing_pair(tmp_path):
    ref = make_table(3000, seed=0)
    cur = (
        make_table(2000, seed=1, shift=0.8)
        .with_columns(
            pl.when(pl.col("code") == 1).then(None).otherwise(pl.col("city")).alias("city")
        )
        .with_columns(
            pl.when(pl.col("code") == 2)
            .then(pl.lit("Tromso"))
            .otherwise(pl.col("city"))
            .alias("city")
        )
    )
    cur = pl.concat([cur, cur.head(300)])
    paths = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    ref.write_parquet(paths[0])
    cur.write_parquet(paths[1])
    return paths


def _checks(out: str) -> list[tuple[str, str, str | None]]:
    return [(c["name"], c["status"], c["column"]) for c in json.loads(out)["checks"]]


def test_check_data_gives_the_same_checks_with_either_engine(spark, tmp_path, capsys):
    ref, cur = _failing_pair(tmp_path)
    args = ("check", "data", "--reference", ref, "--current", cur, "--format", "json")
    code_polars, out_polars, _ = run_main(capsys, args)
    code_spark, out_spark, err = run_main(capsys, (*args, "--engine", "spark"))
    assert (code_spark, code_polars) == (1, 1), err
    failing = [c for c in _checks(out_spark) if c[1] == "fail"]
    assert {"drift.numeric", "quality.duplicate_rows", "quality.out_of_domain"} <= {
        name for name, _, _ in failing
    }
    assert _checks(out_spark) == _checks(out_polars)


def test_check_data_takes_spark_dataframes_through_the_python_api(spark, tmp_path):
    ref, cur = _failing_pair(tmp_path)
    got = mlgate.check_data(spark.read.parquet(str(ref)), spark.read.parquet(str(cur)))
    want = mlgate.check_data(ref, cur)
    assert [(f.name, f.status) for f in got.findings] == [(f.name, f.status) for f in want.findings]
    assert got.run["inputs"][0]["format"] == "frame"


def test_the_data_stage_runs_on_spark_from_the_config(spark, tmp_path):
    from mlgate.gate import run_gate

    ref, cur = _failing_pair(tmp_path)
    spark.read.parquet(str(cur)).createOrReplaceTempView("mlgate_current")
    config = tmp_path / "mlgate.yaml"
    config.write_text(
        f"data:\n  reference: {ref.name}\n  current: spark:mlgate_current\n  engine: spark\n"
    )
    report = run_gate(config)
    want = mlgate.check_data(ref, cur)
    assert [(f.name, f.status) for f in report.findings] == [
        (f.name, f.status) for f in want.findings
    ]
    current = next(i for i in report.run["inputs"] if i["role"] == "current")
    assert current["path"] == "spark:mlgate_current" and current["digest"] is None


def test_profile_command_on_spark_writes_the_polars_profile(spark, mixed_path, tmp_path, capsys):
    out = tmp_path / "p.json"
    code, _, err = run_main(capsys, ("profile", mixed_path, "--engine", "spark", "-o", out))
    assert code == 0, err
    saved = mlgate.data.profile.load(out)
    assert_same_profile(saved, profile(mixed_path), _mixed())


def test_engine_is_passed_as_a_setting(spark, mixed_path):
    from mlgate.data.gate import profile_input

    got = profile_input(str(mixed_path), engine=Engine("spark"))
    assert got.rows == N + DUPLICATES


def _dated(n: int = 3000, late_word: bool = False) -> pl.DataFrame:
    days = [f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(n)]
    if late_word:
        days[-1] = "soon"  # past the rows dates are judged on
    return pl.DataFrame({"when": days, "v": np.arange(n)})


@pytest.mark.parametrize("late_word", [False, True])
@pytest.mark.parametrize("tree", [False, True])
def test_text_dates_are_read_as_the_polars_engine_reads_them(
    spark, tmp_path, monkeypatch, late_word, tree
):
    import mlgate.engines.spark as engine

    if tree:
        monkeypatch.setattr(engine, "TREE_ABOVE", 2)
    path = tmp_path / "dated.parquet"
    _dated(late_word=late_word).write_parquet(path)
    runs = []
    for name in ("_run", "_run_direct"):  # through mapInArrow, or the direct read
        run = getattr(engine, name)
        monkeypatch.setattr(engine, name, lambda *a, run=run: runs.append(a[-1]) or run(*a))
    df = spark.read.parquet(str(path))
    want = profile(path)
    got = profile_spark(df.repartition(4) if tree else df)
    assert want.column("when").kind == ("string" if late_word else "datetime")
    assert_same_profile(got, want, _dated(late_word=late_word))
    if not tree:
        # One partition in file order: the word is past the first rows, so the dates
        # fail in the partition and the DataFrame is profiled again with text as text.
        assert runs == ([["when"], []] if late_word else [["when"]])


def test_schema_infer_writes_the_same_schema_with_either_engine(spark, mixed_path, capsys):
    code_polars, want, _ = run_main(capsys, ("schema", "infer", mixed_path))
    code_spark, got, err = run_main(capsys, ("schema", "infer", mixed_path, "--engine", "spark"))
    assert (code_spark, code_polars) == (0, 0), err
    assert "  price:" in got and "  zoned:" in got
    assert got == want
