"""Which Spark DataFrames the direct read takes, from their analysed plan.

The Spark engine reads a DataFrame's Parquet files itself (``mlgate.engines.direct``)
when the DataFrame is a plain scan of them: ``direct_scan`` walks the analysed logical
plan through py4j (Catalyst's ``LogicalRelation`` over a ``HadoopFsRelation``, behind
names, projections of plain columns and filters on partition columns) and asks Spark's
own file index for the files and their partition values. Anything it does not
recognise is left to ``mapInArrow``, which reads whatever Spark can compute.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from mlgate.engines import direct

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

#: The session setting that turns the direct read off (``false``): for a cluster whose
#: executors cannot open the paths the driver names, e.g. in spark-defaults.conf or
#: ``spark-submit --conf spark.mlgate.directRead=false``.
DIRECT_SETTING = "spark.mlgate.directRead"
#: Plan nodes that name a relation without changing its rows (a table's or view's name).
_NAMING_NODES = ("SubqueryAlias", "View")


def direct_allowed(df: DataFrame) -> bool:
    """Whether the session allows the direct read (``DIRECT_SETTING``, default true)."""
    try:
        value = df.sparkSession.conf.get(DIRECT_SETTING, "true")
    except Exception:  # a session that does not say: the default
        return True
    return str(value).strip().lower() != "false"


def direct_scan(df: DataFrame) -> direct.Layout | None:
    """The files and row groups of ``df`` when it is a plain scan of Parquet files that
    Polars reads as Spark does, else None (read through ``mapInArrow``).

    Plain: the analysed plan is the file relation itself, behind table or view names,
    projections of its columns (``select("a", "b")``) and filters on its partition
    folders' columns (``where("day = '2024-01-01'")``) at most: no filter on the files'
    own columns, computed or renamed column, join, sample, limit or repartition; with
    no buckets; every file is local or in an object store Polars opens
    (``direct.local_or_remote``), its footer readable here, and its (projected) columns
    and types the DataFrame's (``direct.Layout.matches``). The files of a partitioned
    table, and each file's partition values, are Spark's own: its file index lists the
    folders that the filters keep, as Spark's partition pruning does. Spark Connect has
    no plan to look at: always None there.
    """
    try:
        plan = df._jdf.queryExecution().analyzed()
        columns: list[str] | None = None
        conditions: list[Any] = []
        while True:
            node = plan.getClass().getSimpleName()
            if node == "Project":
                names = _column_references(plan.projectList())
                if names is None:
                    return None
                columns = names if columns is None else columns  # the outermost decides
            elif node == "Filter":
                conditions.append(plan.condition())
            elif node not in _NAMING_NODES:
                break
            plan = plan.child()
        if plan.getClass().getSimpleName() != "LogicalRelation":
            return None
        relation = plan.relation()
        if (
            relation.getClass().getSimpleName() != "HadoopFsRelation"
            or relation.fileFormat().toString() != "Parquet"
            or relation.bucketSpec().isDefined()
        ):
            return None
        fields = relation.partitionSchema().fields()
        partitions = [(str(f.name()), str(f.dataType().typeName())) for f in fields]
        if conditions and not _on_partitions(conditions, {name for name, _ in partitions}):
            return None
        if partitions:
            uris, values = _partition_files(df, relation, conditions, partitions)
        else:
            uris, values = list(df.inputFiles()), []
    except Exception:  # Spark Connect, or a plan of another shape: Spark reads it
        return None
    paths = [direct.local_or_remote(u) for u in uris]
    if not paths or any(p is None for p in paths):
        return None
    order = sorted(range(len(uris)), key=lambda i: str(paths[i]))
    scan = direct.layout([str(paths[i]) for i in order])
    if scan is not None and partitions:
        scan = scan.with_partitions(partitions, [values[i] for i in order])
    if scan is not None and columns is not None:
        scan = scan.select(columns)
    if scan is None:
        return None
    wanted = [(f.name, f.dataType.typeName()) for f in df.schema.fields]
    return scan if scan.matches(wanted) else None


def _on_partitions(conditions: list[Any], partitions: set[str]) -> bool:
    """Whether every filter condition (a Catalyst expression) is deterministic and
    refers to partition columns only, and to at least one (a constant condition would
    not prune folders)."""
    for condition in conditions:
        references = condition.references().toSeq()
        names = {str(references.apply(i).name()) for i in range(references.size())}
        if not condition.deterministic() or not names or not names <= partitions:
            return False
    return True


def _partition_files(
    df: DataFrame, relation: Any, conditions: list[Any], partitions: list[tuple[str, str]]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The URIs of a partitioned relation's files that the filter ``conditions`` keep,
    and each file's partition values (Python values, None for null), from Spark's file
    index (``FileIndex.listFiles``, which Spark's partition pruning calls)."""
    jvm = df.sparkSession._jvm
    client = df.sparkSession.sparkContext._gateway._gateway_client
    from py4j.java_collections import ListConverter

    filters = (
        jvm.scala.collection.JavaConverters.asScalaBufferConverter(
            ListConverter().convert(conditions, client)
        )
        .asScala()
        .toSeq()
    )
    empty = getattr(getattr(jvm.scala.collection.immutable, "Nil$"), "MODULE$")
    folders = relation.location().listFiles(filters, empty)
    types = relation.partitionSchema().fields()
    uris: list[str] = []
    values: list[tuple[Any, ...]] = []
    for i in range(folders.size()):
        folder = folders.apply(i)
        row = folder.values()
        folder_values = tuple(
            None if row.isNullAt(j) else _python_value(row.get(j, types[j].dataType()), t)
            for j, (_, t) in enumerate(partitions)
        )
        files = folder.files()
        for k in range(files.size()):
            uris.append(str(files.apply(k).getPath().toUri().toString()))
            values.append(folder_values)
    return uris, values


def _python_value(value: Any, spark_type: str) -> Any:
    """A partition value as Spark's internal row holds it, as a Python value: dates are
    days since 1970-01-01, text a ``UTF8String``."""
    if spark_type == "date":
        return dt.date(1970, 1, 1) + dt.timedelta(days=int(value))
    if spark_type == "string":
        return str(value)
    if spark_type in ("float", "double"):
        return float(value)
    if spark_type == "boolean":
        return bool(value)
    return int(value)


def _column_references(items: Any) -> list[str] | None:
    """The names of a projection list (a Scala ``Seq`` of expressions) that only refers
    to columns as they are; None if any item computes or renames."""
    names = []
    for i in range(items.size()):
        item = items.apply(i)
        if item.getClass().getSimpleName() != "AttributeReference":
            return None
        names.append(str(item.name()))
    return names


__all__ = ["DIRECT_SETTING", "direct_allowed", "direct_scan"]
