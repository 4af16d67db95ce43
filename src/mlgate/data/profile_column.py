"""One column's profile of one batch: counts, extrema, moments and sketches, by kind.

``profile`` runs this for every column of every batch (in threads) and merges the
results; each column's sketches are built from that column alone, so the order the
threads finish in never changes a profile.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import polars as pl

from mlgate.data.hashing import hash_ints, hash_strings
from mlgate.data.hll import HllSketch
from mlgate.data.kll import KllSketch
from mlgate.data.moments import Moments
from mlgate.data.profile_model import (
    BOOLEAN,
    DATETIME,
    NULL,
    NUMERIC,
    STRING,
    ColumnProfile,
    kind_of,
)
from mlgate.data.sketches import FrequentSketch

#: Most frequent values of one batch that are fed to the frequent-values sketch; the
#: rest of the batch's weight is counted as ``frequent_dropped``.
TOP_PER_BATCH = 2048
#: The columns of a batch's value counts, named apart from any user column.
VALUE, COUNT = "value", "count"
#: Whole numbers of at least this magnitude are not all floats (2**53 + 1 is none): the
#: one bound for counting, hashing, measuring and writing whole numbers as floats.
_FLOAT_EXACT = 2.0**53


def profile_series(s: pl.Series) -> ColumnProfile:
    """One batch's profile of one column (a Series of any length; nulls allowed), its
    kind taken from its type: the sketches of ``ColumnProfile``, which merge with those
    of the column's other batches."""
    kind = kind_of(s.dtype)
    base = ColumnProfile(name=s.name, kind=kind, count=s.len(), nulls=s.null_count())
    values = s.drop_nulls() if base.nulls else s  # drop_nulls copies even with none
    if kind == NUMERIC:
        return _numeric(base, values)
    if kind in (STRING, BOOLEAN):
        if kind == BOOLEAN:
            values = values.cast(pl.String).str.to_lowercase()
        return _categorical(base, values)
    if kind == DATETIME:
        return _datetime(base, values)
    if kind == NULL:
        return replace(base, nulls=base.count)
    return base


def _numeric(base: ColumnProfile, values: pl.Series) -> ColumnProfile:
    ints = _counted_ints(values)
    if ints is not None:
        return _counted(base, values.len(), *ints)
    # The finite and whole-number tests run in NumPy, where they took a third of
    # Polars' time. The array is a copy of this function's own, made once however many
    # chunks the batch has (Polars joins a batch's row groups into one array as it
    # copies), which the quantile sketch sorts in place at the end.
    arr = values.cast(pl.Float64).to_numpy(writable=True)
    nan = posinf = neginf = 0
    finite = values
    if values.dtype.is_float():
        is_finite = np.isfinite(arr)
        kept = int(np.count_nonzero(is_finite))
        if kept < arr.size:
            nan = int(np.count_nonzero(np.isnan(arr)))
            posinf = int(np.count_nonzero(arr == math.inf))
            neginf = arr.size - kept - nan - posinf
            arr = np.compress(is_finite, arr)
            finite = pl.Series(values.name, arr)
        integral = _whole_numbers(arr)
    else:
        integral = True
    lo = float(arr.min()) if arr.size else None
    hi = float(arr.max()) if arr.size else None
    # Integers beyond 2**53 are counted as the integers they are (``_value_counts``):
    # as floats, 2**60 + 5 and 2**60 + 9 would count as one value.
    exact = values.dtype.is_float() or lo is None or hi is None or max(-lo, hi) < _FLOAT_EXACT
    counted = _small_range_counts(arr, lo, hi) if integral and exact else None
    # Hashed as floats, whole or not, so that a part of whole numbers and a part of
    # fractions hash the same value (1 and 1.0) alike when merged. A value's hash is the
    # same however often it occurs, so counted values are hashed once each.
    if exact:
        distinct = HllSketch.of_floats(arr if counted is None else counted[0])
    else:
        distinct = _distinct_of_big_ints(values, arr)
    frequent = FrequentSketch()
    dropped = 0
    if integral and finite.len() > 2 * TOP_PER_BATCH and distinct.estimate > finite.len() / 2:
        # Mostly distinct whole numbers (ids, counts, timestamps): the batch's top values
        # occur once or twice each, so counting every value would tell nothing.
        dropped = finite.len()
    elif integral:
        if counted is not None:
            dropped = _feed_frequent_counted(frequent, *counted)
        else:
            # Whole floats as integers ("10", not "10.0"); integer types as they are:
            # UInt64 and Int128 values may not fit an Int64.
            whole = finite if finite.dtype.is_integer() else finite.cast(pl.Int64)
            dropped = _feed_frequent(frequent, _value_counts(whole))
    else:
        # Few distinct fractions (a code column with a stray 0.5, a rounded reading): keep
        # their counts so domain checks can count them; a continuous column's values are
        # all distinct and not worth counting (the cheap estimate tells them apart).
        vc = None
        if distinct.estimate <= 2 * TOP_PER_BATCH:
            vc = _value_counts(finite)
        if vc is not None and vc.height <= TOP_PER_BATCH:
            vc = vc.with_columns(_number_key(pl.col(VALUE)))
            dropped = _feed_frequent(frequent, vc)
        else:
            dropped = finite.len()
    moments = Moments.of(arr) if exact else _moments_of_big_ints(values)
    # Last, as it sorts ``arr`` in place (and with it ``finite``, which may share its
    # memory): nothing above depends on the order of the values.
    quantiles = KllSketch()
    if counted is not None and values.dtype.is_integer():
        # Counted integers are the sorted values as runs: no sort, and no repeated array
        # (a float column is left to the sort, which may order -0.0 among its zeros).
        quantiles.update_counted(*counted)
    elif lo is not None and hi is not None:
        # A large batch in parts: each part's sort stays in the CPU's cache, and the
        # sketch is that of feeding the parts one after another, as smaller batches
        # would.
        for part in np.array_split(arr, max(1, arr.size // KLL_PART)):
            quantiles.update(part, copy=False)
    return replace(
        base,
        nan=nan,
        posinf=posinf,
        neginf=neginf,
        integral=integral,
        min=lo,
        max=hi,
        moments=moments,
        quantiles=quantiles,
        distinct=distinct,
        frequent=frequent,
        frequent_dropped=dropped,
    )


def _distinct_of_big_ints(values: pl.Series, as_float: np.ndarray) -> HllSketch:
    """The distinct sketch of an integer column (no nulls) that holds values beyond
    2**53, and ``as_float``, their float64 copy: values within 2**53 are hashed as floats,
    as every column's are, and those beyond as the integers they are, where a float copy
    would make one value of 10**18 + 1 and 10**18 + 2."""
    beyond = np.abs(as_float) >= _FLOAT_EXACT
    sketch = HllSketch.of_floats(np.compress(~beyond, as_float))
    big = values.filter(pl.Series(beyond))
    if big.dtype in _NUMPY_INTS:
        words = big.to_numpy().view(np.int64)  # UInt64 beyond 2**63 by its bits
        return sketch.merged(HllSketch.of(hash_ints(words)))
    # Int128, which NumPy cannot hold: by the digits.
    return sketch.merged(HllSketch.of(hash_strings(big.cast(pl.String))))


def _moments_of_big_ints(values: pl.Series) -> Moments:
    """Moments of an integer column (no nulls) that holds values beyond 2**53, taken
    about its smallest value in exact integer arithmetic (Int128): from float copies,
    whose step there is 2 or more, the spread of 10**30 + {0..19} came out as 2.8e14."""
    origin = values.min()
    offsets = values.cast(pl.Int128) - pl.Series([origin], dtype=pl.Int128)
    about = Moments.of(offsets.cast(pl.Float64).to_numpy())
    return about.shifted(float(origin))  # type: ignore[arg-type]


#: Values of a batch fed to the quantile sketch at once, about (sorts of larger parts
#: spill out of the CPU's cache).
KLL_PART = 131_072
#: Whole numbers spanning at most this many values are counted with ``np.bincount``:
#: a 512 KB count array, about a fifth of the time of hashing every value to count it.
SMALL_RANGE = 1 << 16
#: Integer types whose values NumPy holds as they are (Int128 is not among them).
_NUMPY_INTS = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64)


def _counted_ints(values: pl.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """``_small_range_counts`` of an integer column (no nulls) counted from its integers,
    not from a float copy: the distinct values (float64, ascending) and their counts,
    or None when the column is no integer type NumPy holds, is empty, spans more than
    SMALL_RANGE, or holds values a float cannot (beyond 2**53, which ``_numeric``
    counts as integers)."""
    if values.dtype not in _NUMPY_INTS or values.is_empty():
        return None
    ints = values.to_numpy()
    lo, hi = int(ints.min()), int(ints.max())
    if hi - lo > SMALL_RANGE or max(-lo, hi) >= _FLOAT_EXACT:
        return None
    # Within 2**53 every value fits an int64, so the offsets neither wrap nor overflow
    # (an int8 column's 127 - (-128) would).
    counts = np.bincount(ints.astype(np.int64, copy=False) - lo)
    present = np.flatnonzero(counts)
    return present.astype(np.float64) + lo, counts[present]


def _counted(
    base: ColumnProfile, rows: int, present: np.ndarray, counts: np.ndarray
) -> ColumnProfile:
    """The profile of ``rows`` whole numbers given as their distinct values (float64,
    ascending, shape (m,)) and counts (shape (m,)): what ``_numeric`` gives for them,
    with every statistic taken from the m runs rather than from each value."""
    quantiles = KllSketch()
    # Counted integers are the sorted values as runs: no sort, no repeated array.
    quantiles.update_counted(present, counts)
    # A value's hash is the same however often it occurs: each is hashed once.
    distinct = HllSketch.of_floats(present)
    frequent = FrequentSketch()
    if rows > 2 * TOP_PER_BATCH and distinct.estimate > rows / 2:
        dropped = rows  # mostly distinct, as in ``_numeric``
    else:
        dropped = _feed_frequent_counted(frequent, present, counts)
    return replace(
        base,
        integral=True,
        min=float(present[0]),
        max=float(present[-1]),
        moments=_moments_from(present, counts),
        quantiles=quantiles,
        distinct=distinct,
        frequent=frequent,
        frequent_dropped=dropped,
    )


def _moments_from(present: np.ndarray, counts: np.ndarray) -> Moments:
    """``Moments.of_counts`` taken about the smallest value, which is exact for whole
    numbers below 2**53, then moved back: about a mean of 1e12 the deviations lost
    their last digits (a relative error of 2e-10 in the variance, NumPy's 1e-15)."""
    origin = float(present[0])
    return Moments.of_counts(present - origin, counts).shifted(origin)


def _small_range_counts(
    arr: np.ndarray, lo: float | None, hi: float | None
) -> tuple[np.ndarray, np.ndarray] | None:
    """The distinct values of whole numbers within SMALL_RANGE of each other (as float64,
    ascending) and their counts, or None for a wider span."""
    if lo is None or hi is None or hi - lo > SMALL_RANGE:
        return None
    counts = np.bincount((arr - lo).astype(np.intp))
    present = np.flatnonzero(counts)
    return present.astype(np.float64) + lo, counts[present]


def _whole_numbers(arr: np.ndarray) -> bool:
    """Whether every finite float is a whole number that a float holds exactly: beyond
    2**53 floats skip integers, so such values count as fractional."""
    if arr.size == 0:
        return True
    head = arr[:64]  # a measurement shows a fraction at once: no pass over the rest
    if not np.all(np.floor(head) == head):
        return False
    return bool(np.all(np.floor(arr) == arr) and max(-arr.min(), arr.max()) < _FLOAT_EXACT)


def _categorical(base: ColumnProfile, values: pl.Series) -> ColumnProfile:
    vc = _text_value_counts(values)
    distinct = HllSketch.of(hash_strings(vc.get_column(VALUE)))
    frequent = FrequentSketch()
    dropped = _feed_frequent(frequent, vc)
    return replace(base, distinct=distinct, frequent=frequent, frequent_dropped=dropped)


def _datetime(base: ColumnProfile, values: pl.Series) -> ColumnProfile:
    micros = (
        values.cast(pl.Datetime("us")).dt.epoch("us") if values.len() else values.cast(pl.Int64)
    )
    as_int = micros.to_numpy()
    distinct = HllSketch.of(hash_ints(as_int))
    # Quantiles of the instants (as float, microseconds since the epoch), so that a
    # range check can count the values before a time column's start.
    quantiles = KllSketch()
    quantiles.update(as_int.astype(np.float64))
    return replace(
        base,
        min=float(micros.min()) if micros.len() else None,  # type: ignore[arg-type]
        max=float(micros.max()) if micros.len() else None,  # type: ignore[arg-type]
        quantiles=quantiles,
        distinct=distinct,
        frequent_dropped=values.len(),
    )


def _number_key(x: pl.Expr) -> pl.Expr:
    """A number as the frequent-values key: whole numbers as integers ("10", not "10.0"),
    so they match the keys of integer columns and schema domains."""
    whole = (x == x.floor()) & (x.abs() < _FLOAT_EXACT)
    return (
        pl.when(whole)
        .then(x.cast(pl.Int64, strict=False).cast(pl.String))
        .otherwise(x.cast(pl.String))
    )


def _value_counts(values: pl.Series) -> pl.DataFrame:
    """Every distinct value with its count, in no particular order: columns ``value``
    and ``count`` whatever the user's column is called (one named ``count`` clashed)."""
    return values.rename(VALUE).value_counts(name=COUNT)


def _text_value_counts(values: pl.Series) -> pl.DataFrame:
    """``_value_counts`` of text (no nulls), counted by each value's 64-bit hash
    (Polars') instead of by the text itself, in order of first appearance.

    The hashes are sorted (NumPy's vectorised sort) and counted as runs; each distinct
    hash's first row (``arg_unique``) gives its text. Grouping the text hashed every
    value and then compared its bytes with its group's, and grouping the hashes in
    Polars spread a hash table over threads that the other columns' work needed: this
    took a half to a third of the CPU time of either on the benchmark's text columns
    (3 to 1,000 values).

    Two different values of one batch share a hash with probability about m**2 / 2**65
    for m distinct values (1e-8 at 500,000); they would then be counted as one value,
    a risk mlgate takes for duplicate rows too (``rowset``).
    """
    if values.is_empty():
        return pl.DataFrame([values.alias(VALUE), pl.Series(COUNT, [], dtype=pl.Int64)])
    hashes = values.hash(seed=0)
    first = hashes.arg_unique()
    as_array = hashes.to_numpy()
    ordered = np.sort(as_array)
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    counts = np.diff(np.append(starts, ordered.size))
    # The first rows' hashes are the distinct hashes in another order: find each's run.
    counts = counts[np.searchsorted(ordered[starts], as_array[first.to_numpy()])]
    # A few counts go through a list: a Series made from an array imports numpy.ma, a
    # start-up cost for small files.
    column = counts.tolist() if counts.size <= TOP_PER_BATCH else counts
    return pl.DataFrame([values.gather(first).alias(VALUE), pl.Series(COUNT, column)])


def _feed_frequent_counted(sketch: FrequentSketch, present: np.ndarray, counts: np.ndarray) -> int:
    """``_feed_frequent`` of counted whole numbers (``_small_range_counts``: distinct
    values as float64, shape (m,), and their counts), in NumPy: the same values in the
    same order, without building a Polars frame from arrays (which also imports
    ``numpy.ma``, a start-up cost for small files)."""
    counts = counts.astype(np.int64, copy=False)
    # Descending count, then ascending value, as ``_feed_frequent`` sorts.
    top = np.lexsort((present, -counts))[:TOP_PER_BATCH]
    top_counts = counts[top]
    sketch.update_counts(
        [str(v) for v in present[top].astype(np.int64).tolist()], top_counts.tolist()
    )
    return int(counts.sum()) - int(top_counts.sum())


def _feed_frequent(sketch: FrequentSketch, vc: pl.DataFrame) -> int:
    """Feed the batch's most frequent values; return the weight of those left out.

    The top values are chosen by a count cut-off and then sorted on (count, value), so
    the same data always feeds the sketch the same values in the same order, without
    sorting every distinct value of a high-cardinality column.
    """
    counts = vc.get_column(COUNT)
    top = vc
    if vc.height > TOP_PER_BATCH:
        cutoff = counts.top_k(TOP_PER_BATCH).min()
        top = vc.filter(pl.col(COUNT) >= cutoff)
    top = top.sort([COUNT, VALUE], descending=[True, False]).head(TOP_PER_BATCH)
    top_counts = top.get_column(COUNT)
    sketch.update_counts(top.get_column(VALUE).cast(pl.String).to_list(), top_counts.to_list())
    return int(counts.sum()) - int(top_counts.sum())
