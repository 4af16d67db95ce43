"""The Spark engine: the one batch profiler in every partition, merged on the driver.

``profile_spark`` takes a Spark DataFrame, ``spark:db.table`` (a catalog table), or a
Parquet path or URI that Spark reads (a saved profile is loaded as it is). A plain
scan of Parquet files is read by the executors' Python itself, Spark only scheduling
the tasks (``direct_scan``, ``mlgate.engines.direct``). Any other DataFrame's
partitions reach Python as Arrow record batches through
``DataFrame.mapInArrow``; each partition gathers them into batches of the Polars
engine's size, profiles them with ``profile.profile_part`` (``partials.PartBuilder``)
and yields one row: its partition number and its partial profile as bytes (tens of KB
for tens of columns, plus its distinct row hashes, see ``partials``). The driver
collects those rows and merges them in partition order (``partials.Gatherer``); above
``TREE_ABOVE`` partitions the partial profiles are first merged on the executors in
about sqrt(n) groups, so that the driver receives tens of rows, not thousands.

Spark's types reach Polars through Arrow as the Polars engine reads them from Parquet:
integers and floats of each width, decimals (profiled as floats), booleans, strings,
dates, timestamps without a zone (``TimestampNTZType``) and with one (``TimestampType``,
moved to UTC, as Parquet stores them). Binary columns are refused, as are Spark's
calendar intervals and variants, which Arrow cannot carry.

pyspark is imported by this module only, and this module only when the Spark engine
is asked for: ``mlgate --help`` and the Polars engine never import it.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import re
import shutil
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from mlgate.data import io
from mlgate.data.profile import DatasetProfile, load, profile_frame
from mlgate.engines import direct
from mlgate.engines.partials import Gatherer, LateDates, PartBuilder, send_cap
from mlgate.engines.spark_plan import DIRECT_SETTING, direct_allowed, direct_scan
from mlgate.errors import InputError, MissingExtraError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: ``spark:db.table`` names a table in the session's catalog.
TABLE_PREFIX = "spark:"
#: Above this many partitions their profiles are merged on the executors first.
TREE_ABOVE = 64
#: Partitions assumed where Spark cannot say (Spark Connect has no RDD API).
DEFAULT_PARTITIONS = 200
#: The master when no session is active: local mode on every core.
LOCAL = "local[*]"
_MASTER = re.compile(
    r"local(\[(\d+|\*)(,\s*\d+)?\])?|local-cluster\[[\d,\s]+\]|yarn"
    r"|(spark|k8s|mesos|sc)://\S+"
)
_PAYLOAD_SCHEMA = "part int, payload binary"
_ARROW_SCHEMA = pa.schema([("part", pa.int32()), ("payload", pa.binary())])
_MISSING_MODULE = re.compile(r"No module named '([^']+)'")


def profile_spark(
    data: Any,
    *,
    master: str | None = None,
    session: SparkSession | None = None,
    direct: bool = True,
) -> DatasetProfile:
    """Profile ``data`` with Spark: a Spark DataFrame, ``spark:db.table``, a Parquet
    path, folder, glob or URI, or a saved profile (loaded, not recomputed).

    ``master`` is used when no SparkSession is active (default: local mode); with
    ``session`` that session is used. ``direct=False`` reads plain Parquet scans through
    Spark too (see ``profile_dataframe``). Raises ``InputError`` (exit 2) for input Spark
    cannot read, a binary column, a bad master URL or no Java, and
    ``MissingExtraError`` without pyspark.
    """
    if _is_spark_frame(data):
        return profile_dataframe(data, f"<spark {type(data).__name__}>", direct=direct)
    if not isinstance(data, (str, Path)):
        raise InputError(
            f"the Spark engine cannot read a {type(data).__name__}; pass a Spark DataFrame, "
            f"'{TABLE_PREFIX}db.table' or a Parquet path"
        )
    text = str(data)
    if text.startswith(TABLE_PREFIX):
        spark = session or spark_session(master)
        return profile_dataframe(_table(spark, text), text, direct=direct)
    if Path(text).exists() or (any(ch in text for ch in "*?[") and _local_glob(text)):
        source = io.resolve(text)
        if source.kind == "profile":
            return load(source.paths[0])
        if source.kind != "parquet":
            raise InputError(
                f"{text}: the Spark engine reads Parquet and catalog tables, not "
                f"{source.kind.upper()}; write the data as Parquet, or use the default "
                "engine (--engine polars)"
            )
        spark = session or spark_session(master)
        df = _read_parquet(spark, text, [str(p) for p in source.paths])
        return profile_dataframe(df, text, direct=direct)
    # Not on this machine: a URI or a path on the cluster's file system, for Spark.
    spark = session or spark_session(master)
    return profile_dataframe(_read_parquet(spark, text, [text]), text, direct=direct)


def _local_glob(pattern: str) -> bool:
    import glob

    return bool(glob.glob(pattern, recursive=True))  # noqa: PTH207 (a user's pattern)


def _is_spark_frame(data: Any) -> bool:
    return type(data).__module__.startswith("pyspark.") and hasattr(data, "mapInArrow")


def _table(spark: SparkSession, text: str) -> DataFrame:
    name = text[len(TABLE_PREFIX) :]
    if not name:
        raise InputError(f"{text!r}: no table named; write {TABLE_PREFIX}db.table")
    try:
        return spark.table(name)
    except Exception as exc:  # AnalysisException, or Spark Connect's equivalent
        raise InputError(
            f"{text}: Spark cannot find the table ({_first_line(exc)}); check the name "
            "(db.table) and the session's catalog (SHOW TABLES)"
        ) from None


def _read_parquet(spark: SparkSession, label: str, paths: list[str]) -> DataFrame:
    try:
        return spark.read.parquet(*paths)
    except Exception as exc:  # AnalysisException: no such path, not Parquet, ...
        raise InputError(
            f"{label}: Spark cannot read it as Parquet ({_first_line(exc)}); check the path "
            "and that every node of the cluster can reach it"
        ) from None


def profile_dataframe(df: DataFrame, label: str, *, direct: bool = True) -> DatasetProfile:
    """Profile a Spark DataFrame: one partial profile per partition, merged here.

    A plain scan of Parquet files is read by the executors' Python itself, Spark only
    scheduling the tasks (``direct``; see ``direct_scan``), unless ``direct`` is False
    or the session sets ``DIRECT_SETTING`` to false; any other DataFrame reaches Python
    through ``mapInArrow``. Text columns whose first rows are all dates are read as
    dates, as the Polars engine reads them; when a later value is no date, the data is
    profiled again with its text as text (the Polars engine reads the file again).
    """
    check_columns(df, label)
    scan = direct_scan(df) if direct and direct_allowed(df) else None
    if scan is not None:
        return _profile_direct(df, label, scan)
    with job_settings(df):
        parts = _partitions(df)
        dates = _date_columns(df)
        rows = _run(df, label, parts, dates)
        if dates and any(part < 0 for part, _ in rows):
            rows = _run(df, label, parts, [])
    rows.sort(key=lambda r: r[0])
    gathered = Gatherer(label).add_all(bytes(payload) for _, payload in rows)
    return gathered.result(zero=_zero(df, label) if gathered.empty else None)


#: Bytes of one Arrow batch sent to a Python worker, estimated from the schema: Spark's
#: own default bound (``spark.sql.execution.arrow.maxBytesPerBatch``, 64 MiB).
ARROW_BATCH_BYTES = 64 * 2**20
#: Bytes a value of a type of no fixed width is taken to hold in an Arrow batch (text:
#: its characters and offset; nested types).
WIDE_VALUE_BYTES = 64
#: Byte widths of Spark's fixed-width types in Arrow (their ``typeName()``).
_FIXED_BYTES = {
    "boolean": 1,
    "byte": 1,
    "short": 2,
    "integer": 4,
    "date": 4,
    "float": 4,
    "long": 8,
    "double": 8,
    "timestamp": 8,
    "timestamp_ntz": 8,
    "decimal": 16,
}
#: A file scan is split into at least this many partitions per core, so that the
#: cores finish together (Spark's default is one per core, capped at 128 MB each, which
#: left one core with twice the other's rows on the benchmark's 400 MB file).
SPLITS_PER_CORE = 4
_INT_MAX = 2**31 - 1


def arrow_batch_rows(schema: Any) -> int:
    """Rows per Arrow batch for a Spark ``StructType``: about ``ARROW_BATCH_BYTES`` of
    data, at least Spark's default (10,000 rows) and at most the Polars engine's batch
    (``io.BATCH_ROWS``)."""
    row = sum(_FIXED_BYTES.get(f.dataType.typeName(), WIDE_VALUE_BYTES) for f in schema.fields)
    return max(10_000, min(io.BATCH_ROWS, ARROW_BATCH_BYTES // max(1, row)))


def job_settings_for(df: DataFrame) -> dict[str, str]:
    """The SQL settings the engine's job runs with (see ``job_settings``)."""
    settings = {
        # Int.MaxValue turns off Spark's check of the batch's size in bytes, which it
        # makes after every row by walking every column's buffers (38% of the JVM's
        # time profiling the benchmark's file); the rows bound the batch instead.
        "spark.sql.execution.arrow.maxBytesPerBatch": str(_INT_MAX),
        "spark.sql.execution.arrow.maxRecordsPerBatch": str(arrow_batch_rows(df.schema)),
    }
    session = df.sparkSession
    if session.conf.get("spark.sql.files.minPartitionNum", None) is None:
        cores = _cores(session)
        if cores is not None:
            settings["spark.sql.files.minPartitionNum"] = str(SPLITS_PER_CORE * cores)
    return settings


def _cores(session: SparkSession) -> int | None:
    try:
        return max(1, int(session.sparkContext.defaultParallelism))
    except Exception:  # Spark Connect: no SparkContext
        return None


@contextmanager
def job_settings(df: DataFrame) -> Iterator[None]:
    """Run the engine's jobs on ``df`` with ``job_settings_for(df)`` set on its
    session, and the session's own values (or their absence) put back afterwards.

    They are runtime SQL settings, read when a job is planned: Arrow batches bounded by
    rows only (see ``arrow_batch_rows``), and a file scan split into at least
    ``SPLITS_PER_CORE`` partitions per core unless the session sets
    ``spark.sql.files.minPartitionNum`` itself. Other jobs run on the same session from
    other threads meanwhile plan with them too. A setting the session refuses (a
    locked-down cluster) is left as it is.
    """
    conf = df.sparkSession.conf
    saved: dict[str, str | None] = {}
    try:
        for key, value in job_settings_for(df).items():
            try:
                previous = conf.get(key, None)
                conf.set(key, value)
            except Exception:  # not modifiable here: Spark's value holds
                continue
            saved[key] = previous
        yield
    finally:
        for key, previous in saved.items():
            with contextlib.suppress(Exception):
                if previous is None:
                    conf.unset(key)
                else:
                    conf.set(key, previous)


#: First rows of the DataFrame whose text columns are looked at for dates.
DATE_SAMPLE_ROWS = 1000


def _date_columns(df: DataFrame) -> list[str]:
    text = [f.name for f in df.schema.fields if f.dataType.typeName() == "string"]
    if not text:
        return []
    with _quiet():
        rows = df.select(*[df[name] for name in text]).limit(DATE_SAMPLE_ROWS).collect()
    sample = pl.DataFrame(
        [list(r) for r in rows], schema=dict.fromkeys(text, pl.String), orient="row"
    )
    return io.date_string_columns(sample) if sample.height else []


def _run(df: DataFrame, label: str, parts: int, dates: list[str]) -> list[Any]:
    """(part, payload) rows; a part whose dates failed is (-1, b"")."""
    profile_fn = functools.partial(
        _profile_partition, source=label, send=send_cap(parts), dates=dates
    )
    with _quiet():
        return _gather(df.mapInArrow(profile_fn, _PAYLOAD_SCHEMA), label, parts)


def _gather(out: DataFrame, label: str, parts: int) -> list[Any]:
    """The (part, payload) rows of ``parts`` partial profiles, merged first on the
    executors in about sqrt(parts) groups above ``TREE_ABOVE`` parts."""
    if parts > TREE_ABOVE:
        groups = math.isqrt(parts - 1) + 1
        merge_fn = functools.partial(_merge_partition, source=label, send=send_cap(groups))
        out = out.repartition(groups).mapInArrow(merge_fn, _PAYLOAD_SCHEMA)
    return [(int(r[0]), r[1]) for r in _collect(out, label)]


def _collect(out: Any, label: str) -> list[Any]:
    """``out.collect()`` (a DataFrame or an RDD), with the failures users can fix as one
    line: an executor that cannot open a file, workers that cannot import mlgate."""
    try:
        return out.collect()
    except Exception as exc:
        text = str(exc)
        unreadable = direct.unreadable_in(text)
        if unreadable is not None:
            path, reason = unreadable
            raise InputError(
                f"{label}: a Spark executor cannot read {path} ({reason}); give a path "
                "that every executor can read (a shared file system, or an object store "
                f"with credentials on every node), or set {DIRECT_SETTING}=false so that "
                "Spark reads the files"
            ) from None
        missing = _MISSING_MODULE.search(text)
        if missing is None:
            raise
        raise InputError(
            f"Spark's Python workers cannot import {missing[1]!r}; install mlgate[spark] "
            "on every node (the same version as the driver's), or point "
            "spark.pyspark.python at a Python that has it"
        ) from None


# -- the direct read ----------------------------------------------------------------------


def _profile_direct(df: DataFrame, label: str, scan: direct.Layout) -> DatasetProfile:
    """Each task reads its batches of the files with Polars and profiles them; Spark
    schedules the tasks (``_run_direct``: an RDD of one task a partition) and carries the partial
    profiles back."""
    session = df.sparkSession
    plan = direct.plan_tasks(scan.batches(), SPLITS_PER_CORE * (_cores(session) or 1))
    if not plan:
        return _zero(df, label)
    dates = _first_file_dates(df, scan)
    rows = _run_direct(session, label, plan, dates)
    if dates and any(part < 0 for part, _ in rows):
        rows = _run_direct(session, label, plan, [])
    rows.sort(key=lambda r: r[0])
    return Gatherer(label).add_all(bytes(payload) for _, payload in rows).result()


def _first_file_dates(df: DataFrame, scan: direct.Layout) -> list[str]:
    """Text columns whose first ``DATE_SAMPLE_ROWS`` rows of the first file are dates
    (by Spark's first rows when Polars cannot read the file here)."""
    text = [f.name for f in df.schema.fields if f.dataType.typeName() == "string"]
    if not text:
        return []
    first = scan.batches(DATE_SAMPLE_ROWS)[0]
    try:
        sample = direct.read_batch(replace(first, rows=min(first.rows, DATE_SAMPLE_ROWS)))
    except (OSError, pl.exceptions.PolarsError):
        return _date_columns(df)
    return io.date_string_columns(sample.select(text)) if sample.height else []


def _run_direct(
    session: SparkSession, label: str, plan: list[tuple[direct.Batch, ...]], dates: list[str]
) -> list[Any]:
    """(task, payload) rows of the plan's tasks; (-1, b"") when dates failed.

    An RDD of one task id a partition: the direct read needs no Arrow between the JVM
    and Python, and Spark's Arrow path cost a cold process 2 s more (its set-up and
    JIT warm-up, and pandas imported in every worker) on the 5M-row benchmark file.
    Above ``TREE_ABOVE`` tasks the partial profiles are merged on the executors first,
    in about sqrt(n) groups, as with ``mapInArrow``.
    """
    tasks = len(plan)
    fn = functools.partial(
        direct.profile_tasks, plan=plan, source=label, send=send_cap(tasks), dates=dates
    )
    rdd = session.sparkContext.parallelize(range(tasks), tasks).mapPartitions(fn)
    if tasks > TREE_ABOVE:
        groups = math.isqrt(tasks - 1) + 1
        merge_fn = functools.partial(_merge_rows, source=label, send=send_cap(groups))
        rdd = rdd.groupBy(functools.partial(_group_of, groups=groups), groups).flatMap(merge_fn)
    with _quiet():
        return [(int(part), payload) for part, payload in _collect(rdd, label)]


def _group_of(row: tuple[int, bytes], *, groups: int) -> int:
    return row[0] % groups


def _merge_rows(group: tuple[int, Any], *, source: str, send: int) -> Iterator[tuple[int, bytes]]:
    """In a Python worker: a group of (task, payload) rows -> one, merged in task
    order; a group holding a task whose dates failed passes the mark on."""
    rows = sorted(group[1])
    if not rows:
        return
    if rows[0][0] < 0:
        yield -1, b""
        return
    yield rows[0][0], Gatherer(source, cap=send).add_all(p for _, p in rows).payload()


def _partitions(df: DataFrame) -> int:
    """The partitions of ``df`` as a job planned now would have them (a new projection:
    ``df`` itself keeps the plan it was first planned with, before ``job_settings``)."""
    try:
        return max(1, int(df.select("*").rdd.getNumPartitions()))
    except Exception:  # Spark Connect: no RDD API
        return DEFAULT_PARTITIONS


def _profile_partition(
    batches: Iterator[pa.RecordBatch], *, source: str, send: int, dates: list[str]
) -> Iterator[pa.RecordBatch]:
    """In a Python worker: one partition's batches -> one row (part, payload), or
    (-1, b"") when a column read as dates holds a non-date."""
    builder = PartBuilder(source, send, dates)
    pending: list[pa.RecordBatch] = []
    rows = 0
    limit = 0  # the Polars engine's batch for this schema (``io.rows_per_batch``)
    try:
        for batch in batches:
            if batch.num_rows == 0:
                continue
            if not limit:
                limit = io.rows_per_batch(_frame([batch.slice(0, 0)]).schema)
            pending.append(batch)
            rows += batch.num_rows
            if rows >= limit:
                builder.add(_frame(pending))
                pending, rows = [], 0
        if pending:
            builder.add(_frame(pending))
    except LateDates:
        yield _row(-1, b"")
        return
    if builder.empty:
        return
    yield _row(_partition_id(), builder.payload())


def _merge_partition(
    batches: Iterator[pa.RecordBatch], *, source: str, send: int
) -> Iterator[pa.RecordBatch]:
    """In a Python worker: a group of partial profiles -> one, merged in part order."""
    rows = sorted(
        (part, payload)
        for batch in batches
        for part, payload in zip(
            batch.column(0).to_pylist(), batch.column(1).to_pylist(), strict=True
        )
    )
    if not rows:
        return
    if rows[0][0] < 0:  # a part's dates failed: pass the mark on
        yield _row(-1, b"")
        return
    gathered = Gatherer(source, cap=send).add_all(payload for _, payload in rows)
    yield _row(rows[0][0], gathered.payload())


def _row(part: int, payload: bytes) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict({"part": [part], "payload": [payload]}, schema=_ARROW_SCHEMA)


def _partition_id() -> int:
    from pyspark import TaskContext

    context = TaskContext.get()
    return context.partitionId() if context is not None else 0


def _frame(batches: list[pa.RecordBatch]) -> pl.DataFrame:
    """Arrow batches as the Polars engine would read the same rows from Parquet:
    timestamps with a zone in UTC (Spark labels them with the session's zone)."""
    frame = pl.from_arrow(pa.Table.from_batches(batches))
    assert isinstance(frame, pl.DataFrame)
    zoned = [
        pl.col(name).dt.convert_time_zone("UTC")
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime) and dtype.time_zone not in (None, "UTC")
    ]
    return frame.with_columns(zoned) if zoned else frame


def _zero(df: DataFrame, label: str) -> DatasetProfile:
    """The profile of no rows with the DataFrame's columns, as the Polars engine makes
    of a Parquet file of no rows."""
    from pyspark.sql.pandas.types import to_arrow_schema

    try:
        schema = to_arrow_schema(df.schema, timezone="UTC")
    except TypeError:  # pyspark 3.5 takes no zone, and gives UTC
        schema = to_arrow_schema(df.schema)
    frame = pl.from_arrow(schema.empty_table())
    assert isinstance(frame, pl.DataFrame)
    return profile_frame(frame, label)


#: Spark types that no profile reads, with what to do.
_REFUSED = {
    "binary": "binary, which mlgate does not profile; drop it, or cast it to a string "
    "(base64) first",
    "interval": "a calendar interval, which Arrow cannot carry; cast it to a string first",
    "variant": "a variant, which Arrow cannot carry; extract its fields first",
}


def check_columns(df: DataFrame, label: str) -> None:
    """Refuse repeated column names and columns of a type no profile reads, naming
    the column (a field inside a struct, array or map counts too)."""
    io.check_columns(io.Source(label=label, kind="frame"), list(df.columns))
    for field in df.schema.fields:
        found = _refused_type(field.dataType)
        if found is not None:
            raise InputError(f"{label}: column {field.name!r} is {_REFUSED[found]}")


def _refused_type(dtype: Any) -> str | None:
    name = dtype.typeName()
    if name in _REFUSED:
        return name
    children: list[Any] = []
    if name == "struct":
        children = [f.dataType for f in dtype.fields]
    elif name == "array":
        children = [dtype.elementType]
    elif name == "map":
        children = [dtype.keyType, dtype.valueType]
    for child in children:
        found = _refused_type(child)
        if found is not None:
            return found
    return None


# -- the session -----------------------------------------------------------------------


def spark_session(master: str | None = None) -> SparkSession:
    """The active SparkSession, else a new one on ``master`` (default: spark-submit's
    master when run by spark-submit, else local mode on every core).

    A local session runs its Python workers with this interpreter and can import
    mlgate as the driver does; it has no web UI and no progress bar. Raises
    ``MissingExtraError`` without pyspark, ``InputError`` for a bad master URL, a master
    other than the active session's, no Java, or a session that does not start.
    """
    try:
        with _quiet():
            from pyspark.sql import SparkSession
    except ImportError:
        raise MissingExtraError("pyspark", "spark") from None
    active = SparkSession.getActiveSession()
    if active is not None:
        running = _master_of(active)
        if master is None or running in (None, master):
            return active
        raise InputError(
            f"--spark-master {master}: a SparkSession on {running} is already running in "
            "this process; use it (leave out the master) or stop it first"
        )
    if master is None and os.environ.get("PYSPARK_GATEWAY_PORT"):
        # Started by spark-submit: its --master and --conf hold; only the session is new.
        with _quiet():
            return SparkSession.builder.appName("mlgate").getOrCreate()
    master = master or LOCAL
    if not _MASTER.fullmatch(master):
        raise InputError(
            f"--spark-master {master!r}: not a Spark master URL; give local[N], "
            "spark://HOST:PORT, yarn, k8s://URL, or sc://HOST:PORT for Spark Connect"
        )
    builder = SparkSession.builder.appName("mlgate")
    local = master.startswith("local")
    if master.startswith("sc://"):
        builder = builder.remote(master)
    else:
        _require_java()
        builder = builder.master(master).config("spark.ui.showConsoleProgress", "false")
    if local:
        _local_workers_like_driver()
        builder = builder.config("spark.ui.enabled", "false").config(
            "spark.pyspark.python", sys.executable
        )
    try:
        with _quiet():
            session = builder.getOrCreate()
    except Exception as exc:  # PySparkRuntimeError: the JVM did not start, ...
        raise InputError(
            f"--spark-master {master}: Spark did not start ({_first_line(exc)}); check the "
            "master URL, that the cluster is reachable, and Java"
        ) from None
    if local:
        session.sparkContext.setLogLevel("ERROR")
    return session


def _master_of(session: SparkSession) -> str | None:
    try:
        return str(session.sparkContext.master)
    except Exception:  # Spark Connect has no SparkContext
        return None


def _require_java() -> None:
    home = os.environ.get("JAVA_HOME")
    if home and Path(home, "bin", "java").exists():
        return
    if shutil.which("java") is None:
        raise InputError(
            "the Spark engine needs Java (17 or 21) and found none on PATH or in "
            "JAVA_HOME; install a JRE (e.g. apt-get install openjdk-17-jre-headless), "
            "or use the default engine (--engine polars)"
        )


def _local_workers_like_driver() -> None:
    """Local Python workers inherit this process's environment: give them this
    interpreter and the folder mlgate is imported from."""
    os.environ["PYSPARK_PYTHON"] = sys.executable
    root = str(Path(__file__).resolve().parents[2])
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if root not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([root, *[p for p in paths if p]])


@contextmanager
def _quiet() -> Iterator[None]:
    """Without pyspark's warning that it does not support pandas 3 (mlgate's Spark
    engine uses Arrow, never pandas)."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
        )
        yield


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).strip().splitlines()[:1]) or type(exc).__name__
    return text[:300]
