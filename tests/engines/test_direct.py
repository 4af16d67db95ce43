"""The direct read's plan, made on the driver without Spark: which files it takes, how
their row groups are cut and dealt into tasks, and how a task reads and profiles them."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pyarrow as pa
import pytest

from mlgate.data.profile import profile
from mlgate.engines import direct
from mlgate.engines.direct import Batch
from mlgate.engines.partials import Gatherer


def test_file_uris_become_paths_and_hadoop_schemes_are_left_to_spark():
    assert direct.local_or_remote("file:///data/a%20b/x.parquet") == "/data/a b/x.parquet"
    assert direct.local_or_remote("/data/x.parquet") == "/data/x.parquet"
    assert direct.local_or_remote("s3://bucket/x.parquet") == "s3://bucket/x.parquet"
    for uri in ("s3a://bucket/x.parquet", "hdfs://nn/x.parquet", "abfss://c@a/x.parquet"):
        assert direct.local_or_remote(uri) is None


def test_tasks_share_the_rows_and_keep_the_batches_in_order():
    batches = [Batch(f"f{i // 4}", 100 * (i % 4), 100) for i in range(10)]
    plan = direct.plan_tasks(batches, 4)
    assert len(plan) == 4
    assert [b for task in plan for b in task] == batches
    assert sorted(len(task) for task in plan) == [2, 2, 3, 3]


def test_no_more_tasks_than_batches_and_none_for_no_rows():
    assert direct.plan_tasks([Batch("a", 0, 5), Batch("b", 0, 7)], 8) == [
        (Batch("a", 0, 5),),
        (Batch("b", 0, 7),),
    ]
    assert direct.plan_tasks([Batch("a", 0, 0)], 8) == []


def test_layout_reads_row_groups_from_the_footers(tmp_path):
    paths = []
    for i in range(2):
        path = tmp_path / f"part-{i}.parquet"
        pl.DataFrame({"x": range(1000)}).write_parquet(path, row_group_size=300)
        paths.append(str(path))
    scan = direct.layout(paths)
    assert scan is not None and scan.rows == 2000
    assert scan.groups == ((300, 300, 300, 100),) * 2
    # Batches end on row-group bounds: two groups of 300 make a batch of 600 at most.
    assert [(b.offset, b.rows) for b in scan.batches(600)] == [(0, 600), (600, 400)] * 2


def test_files_with_different_columns_are_left_to_spark(tmp_path):
    pl.DataFrame({"x": [1]}).write_parquet(tmp_path / "a.parquet")
    pl.DataFrame({"y": [1]}).write_parquet(tmp_path / "b.parquet")
    assert direct.layout([str(tmp_path / "a.parquet"), str(tmp_path / "b.parquet")]) is None


def test_only_the_types_spark_reads_from_the_file_match():
    schema = pa.schema([("x", pa.int64()), ("t", pa.timestamp("us")), ("s", pa.string())])
    assert direct.arrow_matches(schema, [("x", "long"), ("t", "timestamp_ntz"), ("s", "string")])
    # A schema the user gave Spark (long read as double), other columns, or an order
    # of Spark's own: the files are read by Spark.
    assert not direct.arrow_matches(
        schema, [("x", "double"), ("t", "timestamp_ntz"), ("s", "string")]
    )
    assert not direct.arrow_matches(schema, [("x", "long"), ("t", "timestamp_ntz")])
    assert not direct.arrow_matches(
        schema, [("t", "timestamp_ntz"), ("x", "long"), ("s", "string")]
    )
    assert not direct.arrow_matches(pa.schema([("b", pa.binary())]), [("b", "binary")])


def test_tasks_profile_their_batches_as_the_polars_engine(tmp_path):
    path = tmp_path / "t.parquet"
    df = pl.DataFrame({"x": [float(i % 97) for i in range(3000)], "k": range(3000)})
    df.write_parquet(path, row_group_size=500)
    scan = direct.layout([str(path)])
    assert scan is not None
    plan = direct.plan_tasks(scan.batches(1000), 3)
    out = list(direct.profile_tasks(iter(range(3)), plan=plan, source="t", send=10**6, dates=[]))
    assert [task for task, _ in out] == [0, 1, 2]
    got = Gatherer("t").add_all(payload for _, payload in out).result()
    want = profile(path)
    assert got.rows == want.rows == 3000
    assert got.column("x").distinct == want.column("x").distinct
    assert got.column("k").repeats == want.column("k").repeats


def test_a_file_a_task_cannot_open_is_marked_for_the_driver(tmp_path):
    missing = str(tmp_path / "gone.parquet")
    with pytest.raises(direct.Unreadable) as caught:
        direct.read_batch(Batch(missing, 0, 10))
    assert direct.unreadable_in(f"PythonException: {caught.value}\n  at ...") == (
        missing,
        direct.unreadable_in(str(caught.value))[1],
    )
    assert direct.unreadable_in("some other failure") is None


def test_partition_columns_are_added_to_each_files_rows_in_the_dataframes_order(tmp_path):
    paths = []
    for i in range(2):
        path = tmp_path / f"part-{i}.parquet"
        pl.DataFrame({"x": [1.5 * i] * 3, "k": [i] * 3}).write_parquet(path)
        paths.append(str(path))
    scan = direct.layout(paths)
    assert scan is not None
    day = dt.date(2024, 1, 2)
    with_folders = scan.with_partitions(
        [("day", "date"), ("n", "integer")], [(day, 7), (None, None)]
    )
    assert with_folders is not None and with_folders.names == ["x", "k", "day", "n"]
    assert with_folders.matches([("x", "double"), ("k", "long"), ("day", "date"), ("n", "integer")])
    assert not with_folders.matches(
        [("x", "double"), ("k", "long"), ("day", "string"), ("n", "integer")]
    )
    frames = [direct.read_batch(b) for b in with_folders.batches()]
    assert frames[0].schema == {"x": pl.Float64, "k": pl.Int64, "day": pl.Date, "n": pl.Int32}
    assert frames[0].get_column("day").to_list() == [day] * 3
    assert frames[1].get_column("n").null_count() == 3
    # A projection may mix and reorder them; one of partition columns only is Spark's.
    picked = with_folders.select(["n", "x"])
    assert picked is not None and picked.names == ["n", "x"]
    assert [direct.read_batch(b).columns for b in picked.batches()] == [["n", "x"]] * 2
    assert with_folders.select(["day", "n"]) is None
    # Types the read does not add, and a folder named like a column, are Spark's.
    assert scan.with_partitions([("t", "timestamp")], [(1,), (2,)]) is None
    assert scan.with_partitions([("k", "long")], [(1,), (2,)]) is None
