"""The Spark engine's direct read: executors' Python reads the Parquet files itself.

When a Spark DataFrame is a plain scan of Parquet files (``spark.read.parquet`` of
paths, or a table or view that is one), Spark need not read the files: its JVM's
Parquet reader, its rows and their conversion to Arrow cost three times the profiling
itself. Instead the driver lists the files' row groups from their footers
(``layout``), cuts them into the Polars engine's batches (``io.slice_plan``) and deals
those out in balanced tasks (``plan_tasks``); Spark only schedules the tasks, and each
reads its batches with Polars, as the Polars engine reads the same file, and profiles
them with the one batch profiler (``partials.PartBuilder``). What comes back is the
same partial profile as from ``mapInArrow``, merged the same way.

Only what Polars reads as Spark does is read directly (``Layout.matches``): the
DataFrame's columns must be the files' own, with the types Spark gives those Parquet
types, and every file must have the same columns, plus the columns of partition
folders (``day=2024-01-01/``), whose values Spark itself gives for each file and the
task adds as constants. Anything else, or a path that the driver cannot open with
Polars and pyarrow, is left to ``mapInArrow``.

Nothing here imports pyspark; the functions that run on executors are plain functions
of plain values, tested without Spark.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import polars as pl
import pyarrow as pa

from mlgate.data import io
from mlgate.engines.partials import PartBuilder

#: URI schemes that Polars and pyarrow both open with credentials from the
#: environment (docs/scale.md). ``s3a://`` (Hadoop's) and ``hdfs://`` are not among
#: them: such files are read by Spark (``mapInArrow``).
REMOTE_SCHEMES = frozenset({"s3", "gs", "gcs"})
#: Marks an executor's failure to open a file, for the driver to say so in one line.
UNREADABLE = "mlgate-unreadable::"


#: Spark types of partition folders' columns that the direct read adds itself, with the
#: Polars type of each: what Spark's Arrow conversion gives ``mapInArrow`` for them.
#: Others (timestamps, decimals) are left to Spark.
PARTITION_TYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "byte": pl.Int8(),
    "short": pl.Int16(),
    "integer": pl.Int32(),
    "long": pl.Int64(),
    "float": pl.Float32(),
    "double": pl.Float64(),
    "boolean": pl.Boolean(),
    "date": pl.Date(),
}

#: A partition folder's column in one file: name, Spark type name, value (None: null).
Constant = tuple[str, str, Any]


@dataclass(frozen=True)
class Batch:
    """Rows ``offset`` to ``offset + rows`` of one Parquet file: a batch of the
    Polars engine's size that starts and ends on row-group bounds where it can."""

    path: str
    offset: int
    rows: int
    #: The columns read, in order (a projection of the files' columns); None: all.
    columns: tuple[str, ...] | None = None
    #: The file's partition folders' columns, added to every row.
    constants: tuple[Constant, ...] = ()
    #: The columns' order once the constants are added; None: the file's, then theirs.
    order: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Layout:
    """The files of a plain Parquet scan, with their row groups' sizes (footers)."""

    files: tuple[str, ...]
    groups: tuple[tuple[int, ...], ...]
    #: The columns read (all the files', or a projection's), with their types.
    schema: pa.Schema
    #: The projection's columns, in its order; None when every column is read.
    columns: tuple[str, ...] | None = None
    #: Partition folders' columns (name, Spark type name), and each file's values of
    #: them, in the order of ``files``.
    partitions: tuple[tuple[str, str], ...] = ()
    values: tuple[tuple[Any, ...], ...] = ()
    #: The DataFrame's columns in order, files' and partitions' together, when a
    #: projection picks partition columns; None: the files' columns, then the
    #: partitions' (Spark's order).
    order: tuple[str, ...] | None = None

    @property
    def rows(self) -> int:
        return sum(sum(g) for g in self.groups)

    @property
    def names(self) -> list[str]:
        """The DataFrame's columns as this scan reads them, in order."""
        if self.order is not None:
            return list(self.order)
        return [*self.schema.names, *(name for name, _ in self.partitions)]

    def with_partitions(
        self, partitions: list[tuple[str, str]], values: list[tuple[Any, ...]]
    ) -> Layout | None:
        """This scan with partition folders' columns (name, Spark type name) and each
        file's values of them; None when a type is not in ``PARTITION_TYPES`` or a
        name is also a column of the files (Spark then reads the folder's value into
        the file's column: left to Spark)."""
        if any(t not in PARTITION_TYPES for _, t in partitions) or len(values) != len(self.files):
            return None
        if {name for name, _ in partitions} & set(self.schema.names):
            return None
        return replace(self, partitions=tuple(partitions), values=tuple(values))

    def select(self, columns: list[str]) -> Layout | None:
        """The scan of only ``columns``, in that order (a projection of plain column
        references); None when one is in neither the files nor the partitions, one is
        named twice, or none is the files' (a table of constants only)."""
        partition_names = [name for name, _ in self.partitions]
        known = set(self.schema.names) | set(partition_names)
        read = [name for name in columns if name in self.schema.names]
        if len(set(columns)) != len(columns) or not set(columns) <= known or not read:
            return None
        schema = pa.schema([self.schema.field(name) for name in read])
        kept = [i for i, name in enumerate(partition_names) if name in columns]
        return Layout(
            self.files,
            self.groups,
            schema,
            tuple(read),
            tuple(self.partitions[i] for i in kept),
            tuple(tuple(v[i] for i in kept) for v in self.values),
            tuple(columns) if kept else None,
        )

    def matches(self, fields: list[tuple[str, str]]) -> bool:
        """Whether this scan reads the DataFrame's columns (``fields``: name and Spark
        ``typeName()``, in order): the files' columns as ``arrow_matches`` says, and
        the partitions' by their Spark types."""
        if self.names != [name for name, _ in fields]:
            return False
        types = dict(fields)
        read = [(name, types[name]) for name in self.schema.names]
        return arrow_matches(self.schema, read) and all(types[n] == t for n, t in self.partitions)

    def batches(self, batch_rows: int | None = None) -> list[Batch]:
        """Each file cut as the Polars engine cuts it (``io.slice_plan``), in batches
        of at most ``batch_rows`` (default ``io.rows_per_batch`` of the schema, the
        partition columns counted)."""
        schema = pl.from_arrow(self.schema.empty_table()).schema
        schema.update({name: PARTITION_TYPES[t] for name, t in self.partitions})
        size = batch_rows or io.rows_per_batch(schema)
        values = self.values or ((),) * len(self.files)
        return [
            Batch(
                path,
                offset,
                rows,
                self.columns,
                tuple((n, t, v) for (n, t), v in zip(self.partitions, file_values, strict=True)),
                self.order,
            )
            for path, groups, file_values in zip(self.files, self.groups, values, strict=True)
            for offset, rows in io.slice_plan(list(groups), size)
        ]


def local_or_remote(uri: str) -> str | None:
    """The path Polars opens for a file Spark lists (``inputFiles``): a local path for
    ``file:`` URIs, the URI itself for ``REMOTE_SCHEMES``, else None (not read
    directly)."""
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return unquote(parsed.path) if parsed.scheme else uri
    if parsed.scheme in REMOTE_SCHEMES:
        return uri
    return None


def layout(files: list[str]) -> Layout | None:
    """The row groups of ``files`` (paths or URIs as ``local_or_remote`` gives), read
    from their footers; None when a footer cannot be read here or the files' columns
    differ (Spark's merged schema is then not what Polars reads of each)."""
    import pyarrow.parquet as pq

    groups: list[tuple[int, ...]] = []
    schema: pa.Schema | None = None
    try:
        for path in files:
            meta = _metadata(pq, path)
            groups.append(tuple(meta.row_group(i).num_rows for i in range(meta.num_row_groups)))
            this = meta.schema.to_arrow_schema().remove_metadata()
            if schema is None:
                schema = this
            elif not this.equals(schema):
                return None
    except (pa.ArrowException, OSError, ValueError):
        return None
    if schema is None:
        return None
    return Layout(tuple(files), tuple(groups), schema)


def _metadata(pq: Any, path: str) -> Any:
    if Path(path).is_absolute() or "://" not in path:
        return pq.read_metadata(path)
    from pyarrow import fs

    filesystem, inner = fs.FileSystem.from_uri(path)
    with filesystem.open_input_file(inner) as f:
        return pq.read_metadata(f)


def _spark_names(t: pa.DataType) -> frozenset[str]:
    """Spark's type names (``DataType.typeName()``) for the Arrow type of a Parquet
    column, as Spark reads it: a timestamp without a zone is ``timestamp_ntz``, or
    ``timestamp`` when the session infers no NTZ (``spark.sql.parquet.inferTimestampNTZ``).
    Empty for the types left to Spark."""
    if pa.types.is_dictionary(t):
        return _spark_names(t.value_type)
    if pa.types.is_timestamp(t):
        return frozenset({"timestamp"}) if t.tz else frozenset({"timestamp", "timestamp_ntz"})
    simple = {
        pa.bool_(): "boolean",
        pa.int8(): "byte",
        pa.int16(): "short",
        pa.int32(): "integer",
        pa.int64(): "long",
        pa.uint8(): "short",
        pa.uint16(): "integer",
        pa.uint32(): "long",
        pa.float32(): "float",
        pa.float64(): "double",
        pa.string(): "string",
        pa.large_string(): "string",
        pa.string_view(): "string",
        pa.date32(): "date",
    }
    if t in simple:
        return frozenset({simple[t]})
    if pa.types.is_decimal(t) or t == pa.uint64():
        return frozenset({"decimal"})
    return frozenset()  # nested, binary, time, ...: left to Spark


def arrow_matches(schema: pa.Schema, fields: list[tuple[str, str]]) -> bool:
    """Whether the files' Arrow ``schema`` has the DataFrame's columns, in order, with
    the types Spark reads them as (``fields``: name and Spark ``typeName()``). A schema
    the user gave Spark, a column Spark adds (a partition folder's), or a type this
    module does not map, says no."""
    if schema.names != [name for name, _ in fields]:
        return False
    return all(spark in _spark_names(f.type) for f, (_, spark) in zip(schema, fields, strict=True))


def plan_tasks(batches: list[Batch], tasks: int) -> list[tuple[Batch, ...]]:
    """The batches dealt into at most ``tasks`` tasks of about equal rows, each a run
    of neighbouring batches (a file's batches stay together where they can)."""
    batches = [b for b in batches if b.rows]
    if not batches:
        return []
    tasks = max(1, min(tasks, len(batches)))
    total = sum(b.rows for b in batches)
    out: list[tuple[Batch, ...]] = []
    current: list[Batch] = []
    done = 0
    for i, batch in enumerate(batches):
        current.append(batch)
        done += batch.rows
        # Close the task once its share of the rows is reached, or when the batches
        # left are just enough for one each of the tasks to come.
        to_come = tasks - len(out) - 1
        if to_come and (done * tasks >= total * (len(out) + 1) or len(batches) - i - 1 <= to_come):
            out.append(tuple(current))
            current = []
    if current:
        out.append(tuple(current))
    return out


class Unreadable(OSError):
    """An executor cannot open a file that the driver listed."""


def read_batch(batch: Batch) -> pl.DataFrame:
    """The batch's rows as the Polars engine reads them (``io``: a slice of a scan),
    with its file's partition columns added (constants, as Spark gives them). Raises
    ``Unreadable`` (its message marked ``UNREADABLE``) when the file cannot be opened
    here."""
    try:
        scan = pl.scan_parquet(batch.path)
        if batch.columns is not None:
            scan = scan.select(batch.columns)
        frame = scan.slice(batch.offset, batch.rows).collect()
    except (OSError, pl.exceptions.ComputeError) as exc:
        reason = " ".join(str(exc).split())[:200]
        raise Unreadable(f"{UNREADABLE}{batch.path}::{reason}") from None
    if not batch.constants:
        return frame
    frame = frame.with_columns(
        pl.lit(value, dtype=PARTITION_TYPES[t]).alias(name) for name, t, value in batch.constants
    )
    return frame.select(batch.order) if batch.order is not None else frame


def profile_tasks(
    ids: Iterator[int],
    *,
    plan: list[tuple[Batch, ...]],
    source: str,
    send: int,
    dates: list[str],
) -> Iterator[tuple[int, bytes]]:
    """In a Python worker: for each task id, its batches read and profiled into one
    partial profile, as (id, payload); (-1, b"") when a column read as dates holds a
    non-date (``partials.LateDates``: the caller reads again with text as text)."""
    from mlgate.engines.partials import LateDates

    for task in ids:
        builder = PartBuilder(source, send, dates)
        try:
            for batch in plan[task]:
                builder.add(read_batch(batch))
        except LateDates:
            yield -1, b""
            return
        if not builder.empty:
            yield task, builder.payload()


def unreadable_in(message: str) -> tuple[str, str] | None:
    """(path, reason) of an executor's ``Unreadable`` in an error's text, else None."""
    at = message.find(UNREADABLE)
    if at < 0:
        return None
    rest = message[at + len(UNREADABLE) :].splitlines()[0]
    path, _, reason = rest.partition("::")
    return path, reason.strip()


__all__ = [
    "PARTITION_TYPES",
    "Batch",
    "Layout",
    "arrow_matches",
    "layout",
    "local_or_remote",
    "plan_tasks",
    "profile_tasks",
    "read_batch",
    "unreadable_in",
]
