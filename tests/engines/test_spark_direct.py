"""The direct read (executors' Python reads the Parquet files, Spark schedules the
tasks) gives the Polars engine's profile, and is taken for plain Parquet scans only."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

import mlgate.engines.spark as engine
from mlgate.data import io
from mlgate.data.profile import profile
from mlgate.engines.spark import DIRECT_SETTING, profile_spark
from mlgate.errors import InputError
from tests.conftest import run_main
from tests.engines.test_spark_identity import _checks, _failing_pair, _mixed, assert_same_profile

pytestmark = [pytest.mark.slow, pytest.mark.spark]

#: Rows a row group of the test files holds, and rows of a batch: several row groups a
#: file, and several batches a task.
GROUP_ROWS, BATCH_ROWS = 300, 700


def _split(df: pl.DataFrame, folder, parts: int = 3):
    folder.mkdir()
    step = -(-df.height // parts)
    for i in range(parts):
        df.slice(i * step, step).write_parquet(
            folder / f"part-{i}.parquet", row_group_size=GROUP_ROWS
        )
    return folder


@pytest.fixture
def paths_taken(monkeypatch):
    """Which paths the engine took: "direct" and/or "mapInArrow", in order."""
    taken: list[str] = []
    for name, label in (("_run_direct", "direct"), ("_run", "mapInArrow")):
        run = getattr(engine, name)
        monkeypatch.setattr(
            engine, name, lambda *a, run=run, label=label: taken.append(label) or run(*a)
        )
    monkeypatch.setattr(io, "BATCH_ROWS", BATCH_ROWS)
    return taken


@pytest.mark.parametrize("tree", [False, True])
def test_direct_read_of_many_files_and_row_groups_equals_the_polars_profile(
    spark, tmp_path, monkeypatch, paths_taken, tree
):
    if tree:  # the partial profiles merged on the executors first
        monkeypatch.setattr(engine, "TREE_ABOVE", 3)
    data = _mixed()
    folder = _split(data, tmp_path / "mixed")
    df = spark.read.parquet(str(folder))
    scan = engine.direct_scan(df)
    assert scan is not None and len(scan.files) == 3
    assert all(len(groups) > 1 for groups in scan.groups)
    assert len(scan.batches()) > len(engine.direct.plan_tasks(scan.batches(), 2))
    got = profile_spark(df)
    assert paths_taken == ["direct"]
    assert_same_profile(got, profile(folder), data)
    assert got.duplicates.rows == 40 and got.column("id").repeats.rows == 40


def test_direct_read_of_a_folder_by_path_and_a_view_by_name(spark, tmp_path, paths_taken):
    data = _mixed()
    folder = _split(data, tmp_path / "mixed")
    assert_same_profile(profile_spark(str(folder), session=spark), profile(folder), data)
    spark.read.parquet(str(folder)).createOrReplaceTempView("mlgate_direct")
    got = profile_spark("spark:mlgate_direct", session=spark)
    assert paths_taken == ["direct", "direct"]
    assert_same_profile(got, profile(folder), data)


def test_check_data_on_split_files_gives_the_same_checks_through_the_direct_read(
    spark, tmp_path, capsys, paths_taken
):
    ref, cur = _failing_pair(tmp_path)
    ref = _split(pl.read_parquet(ref), tmp_path / "ref")
    cur = _split(pl.read_parquet(cur), tmp_path / "cur")
    args = ("check", "data", "--reference", ref, "--current", cur, "--format", "json")
    code_polars, out_polars, _ = run_main(capsys, args)
    code_spark, out_spark, err = run_main(capsys, (*args, "--engine", "spark"))
    assert paths_taken == ["direct", "direct"]
    assert (code_spark, code_polars) == (1, 1), err
    failing = {name for name, status, _ in _checks(out_spark) if status == "fail"}
    assert {"drift.numeric", "quality.duplicate_rows", "quality.out_of_domain"} <= failing
    assert _checks(out_spark) == _checks(out_polars)
    assert json.loads(out_spark)["passed"] is False


def test_a_file_of_no_rows_has_its_columns(spark, tmp_path, paths_taken):
    path = tmp_path / "empty.parquet"
    _mixed().head(0).write_parquet(path)
    got = profile_spark(str(path), session=spark)
    want = profile(path)
    assert paths_taken == []  # no task to run
    assert got.rows == 0 and got.names == want.names
    assert [c.kind for c in got.columns] == [c.kind for c in want.columns]


def test_a_filtered_dataframe_is_read_by_spark(spark, tmp_path, paths_taken):
    data = _mixed()
    folder = _split(data, tmp_path / "mixed")
    df = spark.read.parquet(str(folder)).filter("small >= 0")
    assert engine.direct_scan(df) is None
    got = profile_spark(df)
    assert paths_taken == ["mapInArrow"]
    kept = data.filter(pl.col("small") >= 0)
    assert got.rows == kept.height
    assert_same_profile(got, profile(kept), kept)


def test_a_projection_of_columns_is_read_directly_and_equals_the_polars_profile(
    spark, tmp_path, paths_taken
):
    data = _mixed()
    folder = _split(data, tmp_path / "mixed")
    read = spark.read.parquet(str(folder))
    df = read.select("x", "city", "id").select("city", "id")  # the outermost decides
    scan = engine.direct_scan(df)
    assert scan is not None and scan.columns == ("city", "id")
    assert all(b.columns == ("city", "id") for b in scan.batches())
    got = profile_spark(df)
    assert paths_taken == ["direct"]
    kept = data.select("city", "id")
    assert got.names == ["city", "id"]
    assert_same_profile(got, profile(kept), kept)
    read.select("day", "x").createOrReplaceTempView("mlgate_projected")
    by_name = profile_spark("spark:mlgate_projected", session=spark)
    assert paths_taken == ["direct", "direct"] and by_name.names == ["day", "x"]


def test_computed_and_renamed_columns_are_read_by_spark(spark, tmp_path, paths_taken):
    from pyspark.sql import functions as F

    data = _mixed()
    folder = _split(data, tmp_path / "mixed")
    read = spark.read.parquet(str(folder))
    assert engine.direct_scan(read.select(F.col("x") * 2)) is None
    assert engine.direct_scan(read.select(F.col("x").alias("y"), "id")) is None
    assert engine.direct_scan(read.select("x", "x")) is None  # a name twice
    got = profile_spark(read.select(F.col("x").alias("y"), "id"))
    assert paths_taken == ["mapInArrow"]
    kept = data.select(pl.col("x").alias("y"), "id")
    assert_same_profile(got, profile(kept), kept)


def test_partition_folders_and_given_schemas_are_read_by_spark(spark, tmp_path):
    data = _mixed()
    folder = _split(data, tmp_path / "mixed")
    read = spark.read.parquet(str(folder))
    assert engine.direct_scan(read.select("id", "x").filter("id > 3")) is None
    assert engine.direct_scan(read.limit(10)) is None
    assert engine.direct_scan(read.repartition(2)) is None
    given = ", ".join(
        f"{f.name} {'bigint' if f.name == 'small' else f.dataType.simpleString()}"
        for f in read.schema.fields
    )
    assert engine.direct_scan(spark.read.schema(given).parquet(str(folder))) is None


def _hive(data: pl.DataFrame, root) -> pl.DataFrame:
    """``data`` written in partition folders of a date, a whole number (with Spark's
    null folder) and a text that needs escaping; returns the table Spark reads, each
    row with its folders' values."""
    folders = [
        (day, n, tag)
        for day in ("2024-01-01", "2024-01-02")
        for n in ("1", "02", "__HIVE_DEFAULT_PARTITION__")
        for tag in ("a b", "x%2Fy")
    ]
    step = -(-data.height // len(folders))
    parts = []
    for i, (day, n, tag) in enumerate(folders):
        part = data.slice(i * step, step)
        where = root / f"day={day}" / f"n={n}" / f"tag={tag}"
        where.mkdir(parents=True)
        part.write_parquet(where / "part.parquet", row_group_size=GROUP_ROWS)
        parts.append(
            part.with_columns(
                pl.lit(dt.date.fromisoformat(day)).alias("day_folder"),
                pl.lit(None if n.startswith("__") else int(n), dtype=pl.Int32).alias("n"),
                pl.lit(tag.replace("%2F", "/")).alias("tag"),
            )
        )
    return pl.concat(parts).rename({"day_folder": "day"})


def test_partition_folders_are_read_directly_with_sparks_values(spark, tmp_path, paths_taken):
    data = _mixed().drop("day")
    table = _hive(data, tmp_path / "hive")
    df = spark.read.parquet(str(tmp_path / "hive"))
    assert [(f.name, f.dataType.typeName()) for f in df.schema.fields][-3:] == [
        ("day", "date"),
        ("n", "integer"),
        ("tag", "string"),
    ]
    scan = engine.direct_scan(df)
    assert scan is not None and len(scan.files) == 12
    got = profile_spark(df)
    assert paths_taken == ["direct"]
    assert_same_profile(got, profile(table), table)
    assert got.column("n").nulls == table.get_column("n").null_count() > 0


def test_filters_on_partition_folders_prune_them_and_are_read_directly(
    spark, tmp_path, paths_taken
):
    data = _mixed().drop("day")
    table = _hive(data, tmp_path / "hive")
    read = spark.read.parquet(str(tmp_path / "hive"))
    pruned = read.where("day = '2024-01-02' AND (n = 1 OR n IS NULL)").select("tag", "x", "day")
    scan = engine.direct_scan(pruned)
    assert scan is not None and len(scan.files) == 4 and scan.names == ["tag", "x", "day"]
    got = profile_spark(pruned)
    assert paths_taken == ["direct"]
    kept = table.filter(
        (pl.col("day") == dt.date(2024, 1, 2)) & ((pl.col("n") == 1) | pl.col("n").is_null())
    ).select("tag", "x", "day")
    assert got.rows == kept.height > 0
    assert_same_profile(got, profile(kept), kept)
    # A filter on the files' own columns, or one that prunes nothing, is Spark's.
    assert engine.direct_scan(read.where("x > 0 AND n = 1")) is None
    assert engine.direct_scan(read.where("false")) is None
    assert engine.direct_scan(read.select("day", "n")) is None  # no column of the files


def test_the_session_setting_turns_the_direct_read_off(spark, mixed_path_direct, paths_taken):
    spark.conf.set(DIRECT_SETTING, "false")
    try:
        got = profile_spark(spark.read.parquet(str(mixed_path_direct)))
    finally:
        spark.conf.unset(DIRECT_SETTING)
    assert paths_taken == ["mapInArrow"]
    assert got.rows == _mixed().height
    profile_spark(spark.read.parquet(str(mixed_path_direct)), direct=False)
    assert paths_taken == ["mapInArrow", "mapInArrow"]


@pytest.fixture
def mixed_path_direct(tmp_path):
    path = tmp_path / "mixed.parquet"
    _mixed().write_parquet(path)
    return path


def test_a_file_the_executors_cannot_read_is_one_clear_line(spark, tmp_path):
    missing = str(tmp_path / "only-on-the-driver.parquet")
    plan = [(engine.direct.Batch(missing, 0, 10),)]
    with pytest.raises(InputError) as caught:
        engine._run_direct(spark, "events", plan, [])
    line = str(caught.value)
    assert "\n" not in line
    assert line.startswith(f"events: a Spark executor cannot read {missing}")
    assert f"{DIRECT_SETTING}=false" in line
