"""``assert_one_hot``: an encoder's indicator columns, one 1 per row and category."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


from mlgate.testing._common import (
    SHOW,
    UnknownCategories,
    _is_pandas,
    _is_polars,
    _is_sparse,
    _is_torch,
    _kind_label,
    _n,
    _names,
    _some,
)


def assert_one_hot(
    encoded: Any,
    categories: Sequence[Any] | Mapping[str, Sequence[Any]] | None = None,
    *,
    unknown: UnknownCategories = "error",
    columns: Sequence[str] | None = None,
    name: str | None = None,
) -> None:
    """Assert that ``encoded`` is a one-hot encoding of the declared categories.

    Checks that every value is 0 or 1; that each row sets exactly one category (per
    feature); and that the columns match ``categories``: by name and order when the
    encoding has column names (a pandas or Polars frame from ``get_dummies`` /
    ``to_dummies`` or ``set_output(transform="pandas")``, or ``columns=`` such as
    ``encoder.get_feature_names_out()``), by count otherwise.

    ``categories`` is the list of one feature's categories, matched to column names
    either as they are or as ``<prefix>_<category>`` (``island_Biscoe``); or a mapping
    ``{feature: categories}`` for an encoder over several features, whose columns come
    in blocks named ``<feature>_<category>``, each block one-hot on its own. ``None``
    checks the rows only.

    ``unknown`` says how the encoder handles a category it has not seen: ``"error"``
    (every row sets one category), or ``"ignore"`` / ``"all_zero"`` (scikit-learn's
    ``handle_unknown="ignore"``: such a row is all zeros, which is then allowed).
    """
    __tracebackhide__ = True
    if unknown not in ("error", "ignore", "all_zero"):
        raise ValueError(f"unknown={unknown!r}: expected 'error', 'ignore' or 'all_zero'")
    label = name or _kind_label(encoded)
    matrix, names, problems = _indicator_matrix(encoded, columns)
    if matrix.ndim != 2:
        raise AssertionError(
            f"{label} is not a one-hot encoding: expected a 2-D matrix (rows x categories), "
            f"got shape {tuple(matrix.shape)}"
        )
    if names is not None and len(names) != matrix.shape[1]:
        raise ValueError(
            f"columns= gives {len(names)} names, the encoding has {matrix.shape[1]} columns"
        )
    blocks, column_problems = _blocks(matrix.shape[1], names, categories)
    problems += column_problems
    problems += _value_problems(matrix, names)
    for feature, idx in blocks:
        problems += _row_problems(matrix, idx, feature, names, unknown)
    if problems:
        raise AssertionError(
            f"{label} is not a valid one-hot encoding:\n" + "\n".join(f"  - {p}" for p in problems)
        )


def _indicator_matrix(
    x: Any, columns: Sequence[str] | None
) -> tuple[np.ndarray, list[str] | None, list[str]]:
    """x as a float matrix, its column names (or None), and problems found on the way."""
    import numpy as np

    problems: list[str] = []
    names: list[str] | None = [str(c) for c in columns] if columns is not None else None
    if _is_polars(x):
        import polars as pl

        frame = x.to_frame() if isinstance(x, pl.Series) else x
        frame = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
        bad = [c for c, t in frame.schema.items() if not (t.is_numeric() or t == pl.Boolean)]
        if bad:
            problems.append(f"columns that are not 0/1 indicators (not numeric): {_names(bad)}")
        keep = [c for c in frame.columns if c not in bad]
        matrix = (
            np.column_stack([frame.get_column(c).cast(pl.Float64).to_numpy() for c in keep])
            if keep
            else np.zeros((frame.height, 0))
        )
        return matrix, names or keep, problems
    if _is_pandas(x):
        import pandas as pd

        frame = x.to_frame() if isinstance(x, pd.Series) else x
        cols = [str(c) for c in frame.columns]
        bad = [
            cols[i]
            for i in range(frame.shape[1])
            if not pd.api.types.is_numeric_dtype(frame.iloc[:, i].dtype)
        ]
        if bad:
            problems.append(f"columns that are not 0/1 indicators (not numeric): {_names(bad)}")
        keep = [i for i in range(frame.shape[1]) if cols[i] not in bad]
        matrix = (
            np.column_stack(
                [frame.iloc[:, i].to_numpy(dtype=np.float64, na_value=np.nan) for i in keep]
            )
            if keep
            else np.zeros((frame.shape[0], 0))
        )
        return matrix, names or [cols[i] for i in keep], problems
    if _is_sparse(x):
        return np.asarray(x.toarray(), dtype=np.float64), names, problems
    if _is_torch(x):
        return x.detach().cpu().double().numpy(), names, problems
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise AssertionError(f"{_kind_label(x)} has dtype {arr.dtype}; a one-hot encoding is 0/1")
    return arr.astype(np.float64), names, problems


def _prefix_for(names: Sequence[str], values: Sequence[str]) -> str:
    """The prefix that names most categories: '' (bare) or e.g. 'island_'."""
    present = set(names)
    best, best_hits = "", sum(v in present for v in values)
    candidates = {n[: len(n) - len(v)] for n in names for v in values if n.endswith("_" + v)}
    for prefix in sorted(candidates):
        hits = sum(prefix + v in present for v in values)
        if hits > best_hits:
            best, best_hits = prefix, hits
    return best


def _blocks(
    width: int,
    names: list[str] | None,
    categories: Sequence[Any] | Mapping[str, Sequence[Any]] | None,
) -> tuple[list[tuple[str | None, list[int]]], list[str]]:
    """Column index blocks to check row by row, and column problems."""
    if categories is None:
        return [(None, list(range(width)))], []
    if isinstance(categories, str):
        raise TypeError("categories must be a list of categories, not a string")
    declared: list[tuple[str | None, list[str]]]
    if isinstance(categories, Mapping):
        declared = [(str(f), [f"{f}_{v}" for v in vals]) for f, vals in categories.items()]
        all_values = [v for vals in categories.values() for v in vals]
    else:
        values = [str(v) for v in categories]
        prefix = _prefix_for(names, values) if names is not None else ""
        declared = [(None, [prefix + v for v in values])]
        all_values = list(categories)
    expected = [n for _, block in declared for n in block]
    problems: list[str] = []
    if names is None:
        if width != len(expected):
            shown = _some(all_values, fmt=repr)
            problems.append(
                f"{width} columns for {len(expected)} declared categories ([{shown}]); fit "
                "the encoder on the declared categories (e.g. OneHotEncoder(categories=[...]))"
            )
            return [], problems
        blocks: list[tuple[str | None, list[int]]] = []
        start = 0
        for feature, block in declared:
            blocks.append((feature, list(range(start, start + len(block)))))
            start += len(block)
        return blocks, problems
    present = set(names)
    wanted = set(expected)
    missing = [n for n in expected if n not in present]
    extra = [n for n in names if n not in wanted]
    if missing:
        problems.append(
            f"missing columns for declared categories: {_names(missing)}; give the encoder "
            "every category (OneHotEncoder(categories=[...]), or a pandas Categorical with "
            "its categories) so that a category absent from the data still gets a column"
        )
    if extra:
        problems.append(f"unexpected columns: {_names(extra)}; expected only {_names(expected)}")
    common_names = [n for n in names if n in wanted]
    common_expected = [n for n in expected if n in present]
    if common_names != common_expected:
        problems.append(
            f"columns are in another order than the declared categories: got "
            f"[{_names(common_names)}], expected [{_names(common_expected)}]"
        )
    index = {n: i for i, n in enumerate(names)}
    blocks = [(f, [index[n] for n in block if n in index]) for f, block in declared]
    return blocks, problems


def _cell(row: int, col: int, names: list[str] | None) -> str:
    return f"row {row}, column {names[col]!r}" if names is not None else f"[{row}, {col}]"


def _value_problems(matrix: Any, names: list[str] | None) -> list[str]:
    import numpy as np

    bad = ~((matrix == 0) | (matrix == 1))
    count = int(bad.sum())
    if not count:
        return []
    cells = [
        f"{matrix[r, c]:g} at {_cell(int(r), int(c), names)}" for r, c in np.argwhere(bad)[:SHOW]
    ]
    verb = "is" if count == 1 else "are"
    return [f"{_n(count, 'value')} {verb} not 0 or 1: {_some(cells, count)}"]


def _row_problems(
    matrix: Any,
    idx: list[int],
    feature: str | None,
    names: list[str] | None,
    unknown: str,
) -> list[str]:
    import numpy as np

    if not idx or matrix.shape[0] == 0:
        return []
    block = matrix[:, idx]
    valid = ((block == 0) | (block == 1)).all(axis=1)
    ones = (block == 1).sum(axis=1)
    of = f" of feature {feature!r}" if feature is not None else ""
    problems = []
    many = np.flatnonzero(valid & (ones > 1))
    if many.size:

        def set_columns(r: int) -> str:
            hot = [idx[j] for j in np.flatnonzero(block[r] == 1)]
            if names is not None:
                return f"row {r} ({', '.join(repr(names[c]) for c in hot)})"
            return f"row {r} (columns {', '.join(str(c) for c in hot)})"

        verb = "sets" if many.size == 1 else "set"
        problems.append(
            f"{_n(int(many.size), 'row')} {verb} more than one category{of}: "
            f"{_some([set_columns(int(r)) for r in many[:SHOW]], int(many.size))}"
        )
    zero = np.flatnonzero(valid & (ones == 0))
    if zero.size and unknown == "error":
        verb, unit = ("sets", "row") if zero.size == 1 else ("set", "rows")
        problems.append(
            f"{_n(int(zero.size), 'row')} {verb} no category{of} (all zeros): {unit} "
            f"{_some([int(r) for r in zero[:SHOW]], int(zero.size))}; an unseen category? "
            "pass unknown='ignore' if the encoder maps unseen categories to all-zero rows "
            "(OneHotEncoder(handle_unknown='ignore')), else fit it on every category"
        )
    return problems
