"""The SQL settings the Spark engine's job runs with, and that they leave the session as
it was: Arrow batches bounded by rows (Spark's per-row byte count off), and a small file
scan split over the cores."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from mlgate.data.io import BATCH_ROWS
from mlgate.data.profile import profile
from mlgate.engines import spark as engine
from mlgate.engines.spark import arrow_batch_rows, job_settings, job_settings_for, profile_spark
from tests.engines.test_spark_identity import assert_same_profile

pytestmark = [pytest.mark.slow, pytest.mark.spark]

MAX_BYTES = "spark.sql.execution.arrow.maxBytesPerBatch"
MAX_RECORDS = "spark.sql.execution.arrow.maxRecordsPerBatch"
MIN_PARTITIONS = "spark.sql.files.minPartitionNum"
OPEN_COST = "spark.sql.files.openCostInBytes"


def _schema(dtype: str, width: int):
    from pyspark.sql import types as T

    make = {"double": T.DoubleType, "string": T.StringType}[dtype]
    return T.StructType([T.StructField(f"c{i}", make()) for i in range(width)])


def test_arrow_batches_hold_about_64_mib_between_sparks_default_and_the_polars_batch():
    assert arrow_batch_rows(_schema("double", 4)) == BATCH_ROWS
    assert arrow_batch_rows(_schema("string", 2000)) == 10_000
    middle = _schema("string", 50)
    assert arrow_batch_rows(middle) == engine.ARROW_BATCH_BYTES // (50 * engine.WIDE_VALUE_BYTES)


def test_settings_hold_during_the_job_and_the_sessions_own_come_back(spark):
    df = spark.range(10).selectExpr("id", "cast(id as string) as s")
    spark.conf.set(MAX_RECORDS, "5000")
    try:
        assert spark.conf.get(MAX_BYTES, None) is None
        with job_settings(df):
            assert spark.conf.get(MAX_BYTES) == str(2**31 - 1)
            assert spark.conf.get(MAX_RECORDS) == str(arrow_batch_rows(df.schema))
            assert spark.conf.get(MIN_PARTITIONS) == str(
                engine.SPLITS_PER_CORE * spark.sparkContext.defaultParallelism
            )
        assert spark.conf.get(MAX_RECORDS) == "5000"
        assert spark.conf.get(MAX_BYTES, None) is None
        assert spark.conf.get(MIN_PARTITIONS, None) is None
    finally:
        spark.conf.unset(MAX_RECORDS)


def test_settings_come_back_when_the_job_fails(spark):
    df = spark.range(3)
    with pytest.raises(RuntimeError), job_settings(df):
        raise RuntimeError("the job failed")
    assert spark.conf.get(MAX_BYTES, None) is None
    assert spark.conf.get(MIN_PARTITIONS, None) is None


def test_a_sessions_own_minimum_of_partitions_is_kept(spark):
    spark.conf.set(MIN_PARTITIONS, "3")
    try:
        assert MIN_PARTITIONS not in job_settings_for(spark.range(3))
    finally:
        spark.conf.unset(MIN_PARTITIONS)


@pytest.fixture
def small_open_cost(spark):
    # Spark counts each file as at least 4 MB when it splits a scan; at 1 KB a small
    # test file is split as a large one is.
    spark.conf.set(OPEN_COST, "1024")
    yield
    spark.conf.unset(OPEN_COST)


def test_a_file_split_over_the_cores_profiles_as_one_pass(spark, tmp_path, small_open_cost):
    rng = np.random.default_rng(3)
    n = 60_000
    data = pl.DataFrame(
        {
            "id": np.arange(n, dtype=np.int64),
            "x": rng.normal(0.0, 1.0, n),
            "code": rng.choice(["a", "b", "c", "d"], n),
        }
    )
    data = pl.concat([data, data.slice(100, 25)])
    path = tmp_path / "groups.parquet"
    data.write_parquet(path, row_group_size=5_000)
    df = spark.read.parquet(str(path))
    default = df.rdd.getNumPartitions()
    with job_settings(df):
        split = engine._partitions(df)
    assert split > default
    got = profile_spark(df)
    assert got.duplicates is not None and got.duplicates.rows == 25
    assert_same_profile(got, profile(path), data)
