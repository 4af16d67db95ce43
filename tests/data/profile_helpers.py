"""The shared merge check: every statistic, merged in any order and grouping, must equal
the profile of the concatenated data (exactly for counts, extrema and moments; within
the sketches' stated error for quantiles, distinct counts and frequent values)."""

from __future__ import annotations

import math
from functools import reduce

import numpy as np
import polars as pl

from mlgate.data.profile import ColumnProfile, DatasetProfile, profile_frame


def assert_profiles_agree(merged: DatasetProfile, whole: DatasetProfile) -> None:
    assert merged.rows == whole.rows
    assert merged.names == whole.names
    for a, b in zip(merged.columns, whole.columns, strict=True):
        assert_columns_agree(a, b)
    # A theta sketch's union is the sketch of the union: merging loses nothing.
    assert merged.row_hashes == whole.row_hashes
    # A merged profile's duplicate count is exact only while the sketch is; then it is
    # the whole's, which the profiling pass counts exactly.
    if merged.duplicates_exact:
        assert whole.duplicates_exact and merged.duplicate_rows == whole.duplicate_rows


def assert_columns_agree(a: ColumnProfile, b: ColumnProfile) -> None:
    where = f"column {a.name!r}"
    # frequent_dropped is not compared: which values a batch feeds the frequent-values
    # sketch depends on the batch, like any sketch's error; exact counts are compared below.
    for attr in (
        "kind",
        "count",
        "nulls",
        "nan",
        "posinf",
        "neginf",
        "integral",
        "min",
        "max",
        "logical_type",
    ):
        assert getattr(a, attr) == getattr(b, attr), f"{where}: {attr}"
    assert a.moments.n == b.moments.n, where
    if a.moments.n:
        scale = max(1.0, abs(b.moments.mean))
        assert math.isclose(a.moments.mean, b.moments.mean, rel_tol=1e-9, abs_tol=1e-9 * scale)
        assert math.isclose(a.moments.m2, b.moments.m2, rel_tol=1e-7, abs_tol=1e-6 * scale**2)
    assert a.quantiles.n == b.quantiles.n, where
    if a.quantiles.n:
        ranks = np.linspace(0.01, 0.99, 50)
        qa = a.quantiles.quantiles(ranks)
        # The merged quantiles must sit at the right rank of the whole's distribution.
        got = b.quantiles.cdf(qa)
        err = a.quantiles.rank_error + b.quantiles.rank_error + 1.0 / a.quantiles.n
        assert np.all(got >= ranks - err - 1e-9), where
    assert a.distinct == b.distinct, f"{where}: distinct"
    if a.frequent_exact and b.frequent_exact:
        assert a.value_counts() == b.value_counts(), f"{where}: frequent values"


def merge_all(
    frames: list[pl.DataFrame], order: list[int] | None = None, tree: bool = False
) -> DatasetProfile:
    parts = [profile_frame(f) for f in frames]
    if order is not None:
        parts = [parts[i] for i in order]
    if tree:
        while len(parts) > 1:
            parts = [
                parts[i].merge(parts[i + 1]) if i + 1 < len(parts) else parts[i]
                for i in range(0, len(parts), 2)
            ]
        return parts[0]
    return reduce(lambda x, y: x.merge(y), parts)
