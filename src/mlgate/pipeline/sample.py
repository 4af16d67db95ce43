"""The sample the pipeline's steps run on: small, seeded, and holding the awkward rows.

A plain random sample of 2,000 rows misses what breaks pipelines: the rare category a
one-hot encoder has never seen, the row with a null, the extreme value. So the sample
first takes, per source, one row for every value of each low-cardinality column
(including null), the first row with a null or NaN in each column, and the rows holding
each numeric column's minimum and maximum; the rest is drawn at random, stratified by
the target when one is given (every class keeps its share, and at least one row).

Sources that declare a join ``key`` are sampled by key, not by row: a key is kept when
its hash (mlgate's stable ``data.hashing``, mixed with the seed) falls below the same
fraction in every keyed source, so orders and customers sampled apart still join. Those
sources get no extra awkward rows, which would add keys the others lack.

Same data, same seed, same sample: nothing here reads the clock or a global RNG.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

#: Columns with at most this many distinct values have each value kept in the sample.
LOW_CARDINALITY = 50


def sample_sources(
    frames: Mapping[str, pl.DataFrame],
    *,
    rows: int,
    target: str | None = None,
    keys: Mapping[str, str] | None = None,
    seed: int = 0,
) -> dict[str, pl.DataFrame]:
    """Every source sampled to about ``rows`` rows (fewer when it has fewer).

    ``frames``: source name -> its rows. ``keys``: source name -> the column it joins
    on, for the sources sampled by key (each gets about ``rows`` rows at most, the
    fraction of keys kept being set by the largest of them). Returns the samples in
    the sources' order, each keeping its rows' original order.
    """
    keys = dict(keys or {})
    keyed = {name: frames[name] for name in keys}
    fraction = 1.0
    if keyed:
        largest = max(df.height for df in keyed.values())
        fraction = min(1.0, rows / largest) if largest else 1.0
    out = {}
    for name, df in frames.items():
        if name in keys:
            out[name] = sample_by_key(df, keys[name], fraction, seed=seed)
        else:
            out[name] = sample_rows(df, rows, target=target, seed=seed)
    return out


def sample_rows(
    df: pl.DataFrame, rows: int, *, target: str | None = None, seed: int = 0
) -> pl.DataFrame:
    """``rows`` rows of ``df`` (all of them when it has no more): the awkward rows
    first (see the module's docstring), then a seeded draw stratified by ``target``
    when ``df`` has that column. The rows keep their order in ``df``."""
    import numpy as np

    if df.height <= rows:
        return df
    chosen = _awkward_rows(df)[:rows]
    taken = np.zeros(df.height, dtype=bool)
    taken[chosen] = True
    rng = np.random.default_rng(seed)
    rest = rows - int(taken.sum())
    if rest > 0:
        strata = _strata(df, target)
        extra = _stratified(strata, taken, rest, rng)
        taken[extra] = True
    return df.filter(_mask(taken))


def sample_by_key(df: pl.DataFrame, key: str, fraction: float, *, seed: int = 0) -> pl.DataFrame:
    """The rows of ``df`` whose ``key`` is among the ``fraction`` of keys kept for this
    seed: the same keys in every source sampled with the same fraction and seed."""
    import numpy as np
    import polars as pl

    from mlgate.data.hashing import hash_strings, mix64
    from mlgate.errors import InputError

    if key not in df.columns:
        from mlgate.errors import name_hint

        raise InputError(
            f"the join key {key!r} is not a column of the source; {name_hint(key, df.columns)}"
        )
    if fraction >= 1.0:
        return df
    values = df.get_column(key).cast(pl.String).fill_null("\x00null")
    hashes = mix64(hash_strings(values), np.uint64(seed & 0xFFFFFFFFFFFFFFFF))
    # The top 53 bits as a uniform number in [0, 1).
    uniform = (hashes >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    return df.filter(_mask(uniform < fraction))


def _mask(keep: np.ndarray) -> pl.Series:
    import polars as pl

    return pl.Series("keep", keep, dtype=pl.Boolean)


def _awkward_rows(df: pl.DataFrame) -> list[int]:
    """Row indices, each once, in the order found: every value of each low-cardinality
    column (its first row), the first null or NaN of each column, and each numeric
    column's minimum and maximum."""
    import polars as pl

    found: dict[int, None] = {}
    indexed = df.with_row_index("__mlgate_row")
    for name in df.columns:
        s = df.get_column(name)
        numeric = s.dtype.is_numeric()
        if s.null_count():
            found.setdefault(int(s.is_null().arg_true()[0]), None)
        if s.dtype.is_float():
            nan = s.is_nan().fill_null(False)
            if nan.any():
                found.setdefault(int(nan.arg_true()[0]), None)
        few = numeric or s.dtype in (pl.String, pl.Categorical, pl.Boolean, pl.Enum)
        if few and s.n_unique() <= LOW_CARDINALITY:
            firsts = (
                indexed.group_by(name, maintain_order=True)
                .agg(pl.col("__mlgate_row").first())
                .get_column("__mlgate_row")
            )
            for i in firsts.to_list():
                found.setdefault(int(i), None)
        if numeric:
            values = s.fill_nan(None) if s.dtype.is_float() else s  # extremes among finite values
            for i in (values.arg_min(), values.arg_max()):
                if i is not None:
                    found.setdefault(int(i), None)
    return list(found)


def _strata(df: pl.DataFrame, target: str | None) -> list[np.ndarray]:
    """Row indices per stratum: one per target value when the target is a column with
    few values, else one stratum of every row."""
    import numpy as np

    if target is None or target not in df.columns:
        return [np.arange(df.height)]
    s = df.get_column(target)
    if s.n_unique() > LOW_CARDINALITY:
        return [np.arange(df.height)]
    codes = s.rank("dense").fill_null(0).to_numpy()
    return [np.flatnonzero(codes == c) for c in np.unique(codes)]


def _stratified(
    strata: list[np.ndarray], taken: np.ndarray, rows: int, rng: np.random.Generator
) -> np.ndarray:
    """``rows`` more row indices not yet ``taken``: each stratum's share of the rows not
    taken, by largest remainders, at least one per stratum with rows left."""
    import numpy as np

    left = [s[~taken[s]] for s in strata]
    sizes = np.array([len(s) for s in left], dtype=float)
    total = sizes.sum()
    if total <= rows:
        return np.concatenate(left) if left else np.array([], dtype=int)
    quota = sizes / total * rows
    counts = np.floor(quota).astype(int)
    counts = np.where((sizes > 0) & (counts == 0), 1, counts)
    short = rows - int(counts.sum())
    for i in np.argsort(-(quota - np.floor(quota)), kind="stable"):
        if short <= 0:
            break
        if counts[i] < sizes[i]:
            counts[i] += 1
            short -= 1
    while short < 0:  # the floors of one row each took more than the quota
        i = int(np.argmax(counts))
        counts[i] -= 1
        short += 1
    picks = [
        rng.choice(s, size=int(c), replace=False) for s, c in zip(left, counts, strict=True) if c
    ]
    return np.concatenate(picks) if picks else np.array([], dtype=int)
