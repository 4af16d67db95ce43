"""Profiles: what the checks need of a dataset, read once, small and mergeable.

A profile is built batch by batch: each batch becomes a profile of its own and is
merged into the running one, so merging is not a side path but the way every profile
is made. ``DatasetProfile.merge`` is exact for counts, extrema and moments and within
the sketches' stated error for quantiles, distinct counts and frequent values.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl

from mlgate.data import io
from mlgate.data.hashing import hash_row_hashes
from mlgate.data.profile_column import COUNT, SMALL_RANGE, TOP_PER_BATCH, VALUE, profile_series
from mlgate.data.profile_model import (
    BOOLEAN,
    DATETIME,
    FORMAT,
    FORMAT_VERSION,
    NULL,
    NUMERIC,
    OTHER,
    STRING,
    ColumnProfile,
    DatasetProfile,
    dumps,
    duplicate_summary,
    empty_profile,
    kind_of,
    load,
)
from mlgate.data.rowset import RowHashSet, duplicates_of
from mlgate.data.theta import ThetaSketch

# The profile's own types live in profile_model; they are named here too, where every
# caller has always imported them from.
__all__ = [
    "BOOLEAN",
    "COUNT",
    "DATETIME",
    "FORMAT",
    "FORMAT_VERSION",
    "KEY_CANDIDATE_SHARE",
    "KEY_HEAD_ROWS",
    "MAX_KEY_COLUMNS",
    "NULL",
    "NUMERIC",
    "OTHER",
    "PARALLEL_ROWS",
    "PROFILE_THREADS",
    "SMALL_RANGE",
    "STRING",
    "TOP_PER_BATCH",
    "VALUE",
    "ColumnProfile",
    "DatasetProfile",
    "ProgressFn",
    "dumps",
    "duplicate_summary",
    "empty_profile",
    "key_candidates",
    "kind_of",
    "load",
    "nearly_all_distinct",
    "profile",
    "profile_frame",
    "profile_part",
    "profile_then",
    "value_hashes",
]


ProgressFn = Callable[[int], None]


def profile(data: Any, *, progress: ProgressFn | None = None) -> DatasetProfile:
    """Profile a file, folder, glob, saved profile, Polars/pandas/pyarrow table, or a
    Spark DataFrame (with the Spark engine, ``mlgate.engines.spark``)."""
    return profile_then(data, progress=progress)


def profile_then(
    data: Any, *, progress: ProgressFn | None = None, read: Callable[[], None] | None = None
) -> DatasetProfile:
    """``profile(data)``, calling ``read()`` as soon as the data has been read (the last
    batches may still be profiling, and the duplicate count closing): a caller with a
    second input starts reading it then, so that no core idles between the two passes.
    ``read`` is called at most once per reading and never after an error."""
    if type(data).__module__.startswith("pyspark."):
        from mlgate.engines.spark import profile_spark

        return profile_spark(data)
    source = io.resolve(data)
    if source.kind == "profile":
        return load(source.paths[0])
    # A value past the rows that types were inferred from may not fit its column (a word
    # among numbers): the source is then read again so the column gets its real type.
    return io.consume_batches(source, lambda b: _profile_batches(source, b, progress, read))


def _profile_batches(
    source: io.Source,
    batches: Iterable[pl.DataFrame],
    progress: ProgressFn | None,
    read: Callable[[], None] | None = None,
) -> DatasetProfile:
    result = empty_profile(source.label)
    # The pass keeps every distinct row hash, so its duplicate count is exact (see rowset),
    # and likewise every distinct value of the columns that look like keys.
    seen = RowHashSet()
    keys: dict[str, RowHashSet] | None = None
    with ThreadPoolExecutor(PROFILE_THREADS, thread_name_prefix="mlgate-profile") as pool:
        # Software pipelining: a batch's columns are handed to the pool before the
        # previous batch is folded into the result, so that the pool's threads profile
        # while this thread merges and counts duplicates (sorts that release the GIL).
        waiting: tuple[pl.DataFrame, _Parts] | None = None
        for batch in batches:
            if keys is None:
                io.check_columns(source, batch.columns)
            parts = _start_frame(batch, source.label, pool)
            if keys is None:
                keys = {name: RowHashSet() for name in key_candidates(batch)}
            if waiting is not None:
                result = _fold(result, *waiting, seen, keys, progress)
            waiting = (batch, parts)
        if read is not None:
            read()
        if waiting is not None:
            result = _fold(result, *waiting, seen, keys or {}, progress)
    return _with_repeats(replace(result, duplicates=seen.duplicates()), keys or {})


def _fold(
    result: DatasetProfile,
    batch: pl.DataFrame,
    parts: _Parts,
    seen: RowHashSet,
    keys: dict[str, RowHashSet],
    progress: ProgressFn | None,
) -> DatasetProfile:
    """Merge one batch's profile, row hashes and key values into the pass's."""
    part, hashes = parts()
    seen.add(hashes, ascending=True)
    for name, values in keys.items():
        values.add(_value_hashes(batch.get_column(name)))
    if progress is not None:
        progress(batch.height)
    return part if result.rows == 0 and not result.columns else result.merge(part)


def profile_frame(df: pl.DataFrame, source: str = "") -> DatasetProfile:
    """Profile one in-memory batch."""
    part, hashes = _profile_frame(df, source)
    keys = {}
    for name in key_candidates(df):
        keys[name] = RowHashSet()
        keys[name].add(_value_hashes(df.get_column(name)))
    return _with_repeats(replace(part, duplicates=duplicates_of(hashes)), keys)


def profile_part(df: pl.DataFrame, source: str = "") -> tuple[DatasetProfile, np.ndarray]:
    """One batch's partial profile, without duplicate or repeat counts, and its rows'
    64-bit hashes (uint64, one per row, in ascending order): for an engine that gathers
    the parts of a dataset itself and counts duplicates over them (``mlgate.engines``)."""
    return _profile_frame(df, source)


def value_hashes(s: pl.Series) -> np.ndarray:
    """The hashes of a column's non-null values, as candidate keys' repeats count them."""
    return _value_hashes(s)


#: Threads that profile a batch's columns: NumPy's sorts and arithmetic and Polars'
#: counting release the GIL, so a column's work overlaps its neighbour's. At most four:
#: the reader's thread and Polars' own pool share the same cores.
PROFILE_THREADS = max(1, min(4, os.cpu_count() or 1))
#: Smaller batches are profiled in the calling thread: handing them out costs more than
#: it saves.
PARALLEL_ROWS = 20_000

#: Text and whole-number columns whose first batch is at least this share distinct are
#: candidate keys, whose repeated values the pass counts exactly (``repeats``).
KEY_CANDIDATE_SHARE = 0.95
#: Fewest values of a batch's column looked at first when telling whether it may be a key.
KEY_HEAD_ROWS = 20_000
#: At most this many candidate keys per dataset (each holds up to rowset.MAX_EXACT
#: hashes, 32 MB), the first in column order.
MAX_KEY_COLUMNS = 8


def key_candidates(df: pl.DataFrame) -> list[str]:
    """Columns of ``df`` (one batch) that may be keys: text or whole numbers with at
    least two values, nearly all distinct."""
    out: list[str] = []
    for name, dtype in df.schema.items():
        if len(out) >= MAX_KEY_COLUMNS:
            break
        if not (dtype.is_integer() or dtype == pl.String):
            continue
        values = df.get_column(name).drop_nulls()
        if values.len() >= 2 and nearly_all_distinct(values):
            out.append(name)
    return out


def nearly_all_distinct(values: pl.Series) -> bool:
    """Whether at least KEY_CANDIDATE_SHARE of ``values`` (a column without nulls) are
    distinct, counting as few of them as it can.

    A column has at most len - (repeats among its first values) distinct values: when
    that bound is short of the share, the rest need not be counted. The head looked at
    is twice the repeats a key may have (and at least KEY_HEAD_ROWS), so a column whose
    head is more than half repeats (codes, categories) is ruled out after a tenth of
    its values, in a batch of any length; a fixed 20,000-value head ruled out nothing in
    the 500,000-row batches of a narrow table.
    """
    n = values.len()
    allowed = n - KEY_CANDIDATE_SHARE * n  # repeated values a key may hold
    head = values.head(max(KEY_HEAD_ROWS, math.ceil(2 * allowed)))
    if head.len() < n and head.len() - head.n_unique() > allowed:
        return False
    return values.n_unique() >= KEY_CANDIDATE_SHARE * n


def _value_hashes(s: pl.Series) -> np.ndarray:
    # Polars' hash, like the row hashes: stable within one Polars version, and the set
    # lives for one pass only.
    return s.drop_nulls().hash(seed=0).to_numpy()


def _with_repeats(profile: DatasetProfile, keys: dict[str, RowHashSet]) -> DatasetProfile:
    if not keys:
        return profile
    columns = tuple(
        replace(c, repeats=keys[c.name].duplicates()) if c.name in keys else c
        for c in profile.columns
    )
    return replace(profile, columns=columns)


#: A batch's profile being made: called, it waits for and returns the batch's profile
#: (without its duplicate count) and its rows' hashes.
_Parts = Callable[[], tuple[DatasetProfile, np.ndarray]]


def _profile_frame(
    df: pl.DataFrame, source: str, pool: Executor | None = None
) -> tuple[DatasetProfile, np.ndarray]:
    """One batch's profile (without its duplicate count) and its rows' hashes (in
    ascending order)."""
    return _start_frame(df, source, pool)()


def _start_frame(df: pl.DataFrame, source: str, pool: Executor | None) -> _Parts:
    """Start profiling one batch; the result waits for it.

    With a ``pool``, a batch of at least PARALLEL_ROWS rows has its columns (and its row
    hashes) profiled in the pool's threads: each column's sketches are built from that
    column alone, so the profile is the same as a serial pass's.
    """
    df = _normalise(df)
    if pool is None or df.height < PARALLEL_ROWS or df.width <= 1:
        columns = tuple(profile_series(s) for s in df.get_columns())
        done = _assemble(df.height, columns, _sorted_row_hashes(df), source)
        return lambda: done
    # Sorted in the worker: the pass's duplicate count then merges sorted runs.
    row_hashes_job = pool.submit(_sorted_row_hashes, df)
    column_jobs = [pool.submit(profile_series, s) for s in df.get_columns()]
    rows = df.height

    def parts() -> tuple[DatasetProfile, np.ndarray]:
        columns = tuple(job.result() for job in column_jobs)
        return _assemble(rows, columns, row_hashes_job.result(), source)

    return parts


def _assemble(
    rows: int, columns: tuple[ColumnProfile, ...], hashes: np.ndarray, source: str
) -> tuple[DatasetProfile, np.ndarray]:
    part = DatasetProfile(
        rows=rows, columns=columns, row_hashes=ThetaSketch.of_sorted(hashes), source=source
    )
    return part, hashes


def _sorted_row_hashes(df: pl.DataFrame) -> np.ndarray:
    """``_row_hashes`` in ascending order."""
    hashes = _row_hashes(df)
    hashes.sort()
    return hashes


def _row_hashes(df: pl.DataFrame) -> np.ndarray:
    """One 64-bit hash per row, spread by SplitMix64."""
    if df.width and df.height:
        # Polars' row hash is stable within one Polars version only: profiles of one
        # dataset's parts, made with different Polars versions, count duplicates wrongly.
        return hash_row_hashes(df.hash_rows(seed=0).to_numpy())
    # Rows without columns are all alike.
    return np.zeros(df.height, dtype=np.uint64)


def _normalise(df: pl.DataFrame) -> pl.DataFrame:
    """Map storage types onto the logical ones so that formats agree."""
    casts = []
    for name, dtype in df.schema.items():
        if isinstance(dtype, (pl.Categorical, pl.Enum)):
            casts.append(pl.col(name).cast(pl.String))
        elif isinstance(dtype, pl.Decimal):
            casts.append(pl.col(name).cast(pl.Float64))
        elif dtype == pl.Time:
            # CSV reads "03:04:05" as a time of day, other formats keep it as text.
            casts.append(pl.col(name).cast(pl.String))
    return df.with_columns(casts) if casts else df
