"""Helpers for your own unit tests of feature code: assertions and Hypothesis strategies.

Each ``assert_*`` raises an ``AssertionError`` whose message says what is wrong, where
(columns, rows, positions: the first few of each) and what was expected, so a failing
test explains itself::

    from mlgate.testing import assert_finite, assert_one_hot, rows_from_schema

    def test_scaler_output_is_finite():
        assert_finite(scale(features), name="scaled features")

    @given(rows_from_schema("schema.yaml", max_rows=20))
    def test_features_accept_every_input_the_schema_allows(df):
        assert_finite(build_features(df))

The helpers accept NumPy arrays, PyTorch tensors, pandas and Polars frames and series
(and SciPy sparse matrices where an encoder returns one). Importing this module is
cheap: NumPy, Polars, pandas, torch and Hypothesis are imported on first use, and only
for the objects you pass.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from mlgate.errors import MissingExtraError, MlgateError

if TYPE_CHECKING:
    import numpy as np
    import polars as pl
    from hypothesis.strategies import SearchStrategy

    from mlgate.data.schema import ColumnSchema, Schema
    from mlgate.findings import Report

__all__ = [
    "assert_finite",
    "assert_one_hot",
    "assert_same_schema",
    "assert_training_ok",
    "records_from_schema",
    "rows_from_schema",
]

#: How many positions, rows or names a message shows before "and N more".
SHOW = 5

UnknownCategories = Literal["error", "ignore", "all_zero"]


# -- shared formatting ------------------------------------------------------------------


def _some(items: Sequence[Any], total: int | None = None, fmt: Any = str) -> str:
    """The first few items, comma-separated, then "and N more"."""
    total = len(items) if total is None else total
    shown = ", ".join(fmt(i) for i in list(items)[:SHOW])
    more = total - min(total, SHOW)
    return f"{shown} and {more} more" if more > 0 else shown


def _n(count: int, word: str, plural: str | None = None) -> str:
    """``1 row``, ``3 rows``."""
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _names(items: Sequence[str]) -> str:
    return _some(items, fmt=repr)


def _module(x: Any) -> str:
    return type(x).__module__.split(".")[0]


def _is_pandas(x: Any) -> bool:
    return _module(x) == "pandas" and type(x).__name__ in ("DataFrame", "Series")


def _is_series_like(x: Any) -> bool:
    return type(x).__name__ == "Series"


def _is_polars(x: Any) -> bool:
    return _module(x) == "polars" and type(x).__name__ in ("DataFrame", "Series", "LazyFrame")


def _is_torch(x: Any) -> bool:
    return _module(x) == "torch" and hasattr(x, "detach")


def _is_sparse(x: Any) -> bool:
    return _module(x) == "scipy" and hasattr(x, "toarray")


def _kind_label(x: Any) -> str:
    """``the numpy ndarray``, ``the polars DataFrame``, ``the list``."""
    module = _module(x)
    return f"the {type(x).__name__}" if module == "builtins" else f"the {module} {type(x).__name__}"


# -- assert_finite ----------------------------------------------------------------------


@dataclass
class _NonFinite:
    """Non-finite cells of one column (or of a whole array, ``column=None``)."""

    column: str | None
    unit: str = "row"  # what a position is: "row", "index" (1-D arrays) or "" (n-D)
    counts: dict[str, int] = field(default_factory=dict)  # kind -> count
    where: dict[str, list[str]] = field(default_factory=dict)  # kind -> first positions

    def add(self, kind: str, count: int, positions: list[str]) -> None:
        if count:
            self.counts[kind] = count
            self.where[kind] = positions

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def at(self, kind: str) -> str:
        count = self.counts[kind]
        unit = f"{self.unit}s" if self.unit == "row" and count > 1 else self.unit
        return f"{kind} at {unit + ' ' if unit else ''}{_some(self.where[kind], count)}"


_KINDS = ("NaN", "+inf", "-inf", "null")


def assert_finite(x: Any, name: str | None = None, *, allow_null: bool = False) -> None:
    """Assert that every number in ``x`` is finite: no NaN, +inf or -inf.

    ``x`` is a NumPy array, a PyTorch tensor, a pandas or Polars frame or series, or
    anything ``numpy.asarray`` takes. In frames, numeric columns are checked for NaN and
    inf and every column for nulls (missing values are not finite numbers either;
    ``allow_null=True`` lets them through). pandas stores a missing float as NaN, so in
    a float64 column it counts as NaN. The message names the columns, the rows or index
    positions (the first few) and the count of each kind.
    """
    __tracebackhide__ = True
    label = name or _kind_label(x)
    found, size, shape = _non_finite(x, label)
    if allow_null:
        for f in found:
            f.counts.pop("null", None)
            f.where.pop("null", None)
    bad = [f for f in found if f.total]
    if not bad:
        return
    totals = {k: sum(f.counts.get(k, 0) for f in bad) for k in _KINDS}
    summary = ", ".join(f"{totals[k]} {k}" for k in _KINDS[:3])
    if totals["null"]:
        summary += f", {totals['null']} null"
    of = f"of {_n(size, 'value')}" + (f", shape {shape}" if shape is not None else "")
    lines = [f"{label} has non-finite values: {summary} ({of})"]
    for f in bad:
        parts = [f.at(k) for k in _KINDS if k in f.counts]
        prefix = f"column {f.column!r}: " if f.column is not None else ""
        lines.append(f"  {prefix}{'; '.join(parts)}")
    lines.append(
        "  look for a division by zero, a log of zero, an overflow or a missing value upstream"
    )
    raise AssertionError("\n".join(lines))


def _non_finite(x: Any, label: str) -> tuple[list[_NonFinite], int, tuple[int, ...] | None]:
    """The non-finite cells of x, its number of values, and its shape (for arrays)."""
    if _is_polars(x):
        return _non_finite_polars(x)
    if _is_pandas(x):
        return _non_finite_pandas(x)
    if _module(x) == "pyarrow":
        import polars as pl

        return _non_finite_polars(pl.from_arrow(x))
    import numpy as np

    if _is_torch(x):
        t = x.detach().cpu()
        if t.is_floating_point() and str(t.dtype) == "torch.bfloat16":
            t = t.float()
        arr = t.numpy()
    else:
        arr = np.asarray(x)
    return [_non_finite_array(arr, label)], int(arr.size), tuple(arr.shape)


def _array_positions(mask: np.ndarray) -> list[str]:
    import numpy as np

    if mask.ndim == 0:
        return ["()"]
    idx = np.argwhere(mask)[:SHOW]
    if mask.ndim == 1:
        return [str(int(i[0])) for i in idx]
    return [str([int(v) for v in row]) for row in idx]


def _is_missing(value: Any) -> bool:
    return value is None or type(value).__name__ in ("NAType", "NaTType")


def _non_finite_array(arr: np.ndarray, label: str) -> _NonFinite:
    import numpy as np

    out = _NonFinite(column=None, unit="index" if arr.ndim == 1 else "")
    kind = arr.dtype.kind
    if kind in "biu":
        return out
    if kind in "mM":
        nat = np.isnat(arr)
        out.add("null", int(nat.sum()), _array_positions(nat))
        return out
    if kind == "O":
        null = np.vectorize(_is_missing, otypes=[bool])(arr) if arr.size else arr.astype(bool)
        try:
            arr = np.where(null, 0.0, arr).astype(np.float64)
        except (TypeError, ValueError):
            raise AssertionError(
                f"{label} holds values that are not numbers (dtype object); "
                "convert it to a numeric array first"
            ) from None
        out.add("null", int(null.sum()), _array_positions(null))
    elif kind not in "fc":
        raise AssertionError(f"{label} has dtype {arr.dtype}, not numbers; pass numeric data")
    parts = (arr.real, arr.imag) if kind == "c" else (arr,)
    nan = np.logical_or.reduce([np.isnan(p) for p in parts])
    pos = np.logical_or.reduce([np.isposinf(p) for p in parts])
    neg = np.logical_or.reduce([np.isneginf(p) for p in parts])
    for name, mask in (("NaN", nan), ("+inf", pos), ("-inf", neg)):
        out.add(name, int(mask.sum()), _array_positions(mask))
    return out


def _rows(positions: Iterable[int], labels: Sequence[Any] | None = None) -> list[str]:
    pos = list(positions)
    if labels is None:
        return [str(p) for p in pos]
    return [f"{p} (index {labels[i]!r})" for i, p in enumerate(pos)]


def _non_finite_polars(x: Any) -> tuple[list[_NonFinite], int, None]:
    import polars as pl

    if isinstance(x, pl.LazyFrame):
        x = x.collect()
    frame = x.to_frame() if isinstance(x, pl.Series) else x
    found = []
    for s in frame.iter_columns():
        out = _NonFinite(column=s.name)
        masks = [("null", s.is_null())]
        if s.dtype.is_float():
            masks += [
                ("NaN", s.is_nan()),
                ("+inf", s == math.inf),
                ("-inf", s == -math.inf),
            ]
        for kind, mask in masks:
            mask = mask.fill_null(False)
            count = int(mask.sum())
            if count:
                out.add(kind, count, _rows(mask.arg_true().head(SHOW).to_list()))
        found.append(out)
    return found, frame.height * frame.width, None


def _non_finite_pandas(x: Any) -> tuple[list[_NonFinite], int, None]:
    import numpy as np
    import pandas as pd

    frame = x.to_frame() if isinstance(x, pd.Series) else x
    default_index = frame.index.equals(pd.RangeIndex(len(frame)))
    found = []
    for i, column in enumerate(frame.columns):
        s = frame.iloc[:, i]
        out = _NonFinite(column=str(column))
        numpy_float = isinstance(s.dtype, np.dtype) and s.dtype.kind in "fc"
        null = np.zeros(len(s), dtype=bool) if numpy_float else s.isna().to_numpy(dtype=bool)
        masks = [("null", null)]
        if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            if numpy_float:
                values = s.to_numpy(dtype=np.float64)
            else:
                values = s.to_numpy(dtype=np.float64, na_value=0.0)
            masks += [
                ("NaN", np.isnan(values) & ~null),
                ("+inf", np.isposinf(values)),
                ("-inf", np.isneginf(values)),
            ]
        for kind, mask in masks:
            count = int(mask.sum())
            if count:
                pos = [int(p) for p in np.flatnonzero(mask)[:SHOW]]
                labels = None if default_index else [frame.index[p] for p in pos]
                out.add(kind, count, _rows(pos, labels))
        found.append(out)
    return found, frame.shape[0] * frame.shape[1], None


# -- assert_one_hot ---------------------------------------------------------------------


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


# -- assert_same_schema -----------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    type: str
    dtype: str | None = None  # storage type, for frames
    nulls: int = 0
    null_rows: tuple[int, ...] = ()
    nan: int = 0
    inf: int = 0
    schema: ColumnSchema | None = None  # for schemas

    def describe(self) -> str:
        return f"{self.type} (dtype {self.dtype})" if self.dtype else self.type


@dataclass(frozen=True)
class _Side:
    label: str
    columns: dict[str, _Column]
    is_schema: bool
    profiled: bool = False


def assert_same_schema(
    a: Any,
    b: Any,
    *,
    check_order: bool = True,
    labels: tuple[str, str] | None = None,
) -> None:
    """Assert that ``a`` and ``b`` have the same columns, in the same order, of the same types.

    Each side is a frame (Polars, pandas or pyarrow), an mlgate ``Schema``, or a path to
    a ``schema.yaml`` (other paths are read as data with mlgate's readers). The message
    lists what differs: columns missing or extra, columns reordered, types, nulls.

    - Two frames are compared by their storage types mapped to mlgate's logical types:
      an integer column that came back as float (pandas turns ints with a missing value
      into float64) is a difference.
    - A frame against a schema is compared the way mlgate validates data: the frame's
      types are profiled from its values (whole-number floats count as integer, so a
      float column may hold them); optional columns (``required: false``) may be
      absent; nulls fail where the schema allows none (``max_null_fraction: 0``), NaN
      and inf where ``allow_nan`` / ``allow_inf`` are false. Rates (how many nulls,
      values in range or domain) are the validator's job: ``mlgate.validate``.
    - Two schemas are compared by declared type, nullability and NaN/inf allowances.
    """
    __tracebackhide__ = True
    label_a, label_b = labels or _labels(a, b)
    left = _side(a, label_a, profiled=_is_any_schema(b))
    right = _side(b, label_b, profiled=_is_any_schema(a))
    problems = _compare_columns(left, right, check_order)
    for name, x in left.columns.items():
        y = right.columns.get(name)
        if y is not None:
            problems += _compare_column(name, x, y, left, right)
    if problems:
        raise AssertionError(
            f"schemas differ ({left.label} vs {right.label}):\n"
            + "\n".join(f"  - {p}" for p in problems)
        )


def _side(x: Any, label: str, *, profiled: bool) -> _Side:
    from mlgate.data.schema import Schema, load_schema

    if isinstance(x, Schema):
        return _schema_side(x, label)
    if _is_schema_path(x):
        return _schema_side(load_schema(x), label)
    dtypes = None
    if _is_pandas(x):
        frame = x.to_frame() if _is_series_like(x) else x
        dtypes = [str(t) for t in frame.dtypes]
    return _frame_side(_as_polars(x), label, profiled=profiled, dtypes=dtypes)


def _labels(a: Any, b: Any) -> tuple[str, str]:
    """Paths by their name; a frame and a schema as such; two of a kind as left and right."""
    kinds = ["schema" if _is_any_schema(x) else "frame" for x in (a, b)]
    out = []
    for x, kind, position in zip((a, b), kinds, ("left", "right"), strict=True):
        if isinstance(x, (str, Path)):
            out.append(str(x))
        elif kinds[0] == kinds[1]:
            out.append(position)
        else:
            out.append(f"the {kind}")
    return out[0], out[1]


def _is_any_schema(x: Any) -> bool:
    from mlgate.data.schema import Schema

    return isinstance(x, Schema) or _is_schema_path(x)


def _is_schema_path(x: Any) -> bool:
    return isinstance(x, (str, Path)) and Path(x).suffix.lower() in (".yaml", ".yml")


def _schema_side(schema: Schema, label: str) -> _Side:
    cols = {name: _Column(type=c.type, schema=c) for name, c in schema.columns.items()}
    return _Side(label, cols, is_schema=True)


def _as_polars(x: Any) -> pl.DataFrame:
    import polars as pl

    from mlgate.data import io

    if isinstance(x, pl.LazyFrame):
        return x.collect()
    if isinstance(x, pl.Series):
        return x.to_frame()
    if isinstance(x, pl.DataFrame):
        return x
    if _is_pandas(x) and _is_series_like(x):
        x = x.to_frame()
    source = io.resolve(x)
    if source.kind == "profile":
        raise MlgateError(f"{source.label}: a saved profile has no rows; pass the data or a schema")
    from mlgate.data import io

    return io.read_all(source)


def _dtype_type(dtype: Any) -> str:
    from mlgate.data.profile import NUMERIC, kind_of

    kind = kind_of(dtype)
    if kind == NUMERIC:
        return "integer" if dtype.is_integer() else "float"
    return kind


def _frame_side(
    df: pl.DataFrame, label: str, *, profiled: bool, dtypes: list[str] | None = None
) -> _Side:
    """A frame's columns; ``profiled`` takes types from the values, else from the dtypes.

    ``dtypes`` are the storage types to show (a pandas frame's own, not Polars').
    """
    from mlgate.data.profile import profile_frame

    profiles = {c.name: c for c in profile_frame(df).columns} if profiled else {}
    cols = {}
    for i, (name, dtype) in enumerate(df.schema.items()):
        s = df.get_column(name)
        null_rows = tuple(s.is_null().arg_true().head(SHOW).to_list()) if s.null_count() else ()
        p = profiles.get(name)
        cols[name] = _Column(
            type=p.logical_type if p is not None else _dtype_type(dtype),
            dtype=dtypes[i] if dtypes is not None else str(dtype),
            nulls=s.null_count(),
            null_rows=null_rows,
            nan=p.nan if p is not None else 0,
            inf=(p.posinf + p.neginf) if p is not None else 0,
        )
    return _Side(label, cols, is_schema=False, profiled=profiled)


def _described(side: _Side, names: Sequence[str]) -> str:
    return _some([f"{n!r} {side.columns[n].describe()}" for n in names], len(names))


def _compare_columns(left: _Side, right: _Side, check_order: bool) -> list[str]:
    problems = []

    def absent(this: _Side, that: _Side) -> list[str]:
        # A column the schema marks optional may be absent from data, not from a schema.
        return [
            n
            for n, c in that.columns.items()
            if n not in this.columns and (this.is_schema or not _optional(c))
        ]

    missing, extra = absent(left, right), absent(right, left)
    if missing:
        problems.append(f"missing from {left.label}: {_described(right, missing)}")
    if extra:
        problems.append(f"extra in {left.label} (not in {right.label}): {_described(left, extra)}")
    if check_order:
        a = [n for n in left.columns if n in right.columns]
        b = [n for n in right.columns if n in left.columns]
        if a != b:
            at = next(i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y)
            problems.append(
                f"reordered: position {at} is {a[at]!r} in {left.label} but {b[at]!r} in "
                f"{right.label} (from there on, {left.label}: [{_names(a[at:])}]; "
                f"{right.label}: [{_names(b[at:])}])"
            )
    return problems


def _optional(col: _Column) -> bool:
    return col.schema is not None and not col.schema.required


def _compare_column(name: str, x: _Column, y: _Column, left: _Side, right: _Side) -> list[str]:
    problems = []
    if not _same_type(x, y, left, right):
        hint = ""
        for c, side in ((x, left), (y, right)):
            if side.profiled and c.type == "float":
                what = "NaN or inf" if c.nan or c.inf else "values that are not whole numbers"
                hint = f" ({side.label} holds {what})"
        problems.append(
            f"column {name!r}: {x.describe()} in {left.label}, {y.describe()} in "
            f"{right.label}{hint}"
        )
    if x.schema is not None and y.schema is not None:
        return problems + _compare_declared(name, x.schema, y.schema, left, right)
    for data, data_side, spec_side in ((x, left, right), (y, right, left)):
        declared = (y if data is x else x).schema
        if declared is None:
            continue
        if data.nulls and declared.max_null_fraction == 0:
            problems.append(
                f"column {name!r}: {_n(data.nulls, 'null')} in {data_side.label} "
                f"({'row' if data.nulls == 1 else 'rows'} "
                f"{_some(list(data.null_rows), data.nulls)}), {spec_side.label} allows none "
                "(max_null_fraction: 0)"
            )
        if data.nan and not declared.allow_nan:
            problems.append(
                f"column {name!r}: {data.nan} NaN in {data_side.label}, {spec_side.label} "
                "does not allow NaN (allow_nan: false)"
            )
        if data.inf and not declared.allow_inf:
            problems.append(
                f"column {name!r}: {data.inf} inf in {data_side.label}, {spec_side.label} "
                "does not allow inf (allow_inf: false)"
            )
    return problems


def _compare_declared(
    name: str, x: ColumnSchema, y: ColumnSchema, left: _Side, right: _Side
) -> list[str]:
    problems = []
    if (x.max_null_fraction > 0) != (y.max_null_fraction > 0):
        problems.append(
            f"column {name!r}: nullable in one schema only (max_null_fraction "
            f"{x.max_null_fraction:g} in {left.label}, {y.max_null_fraction:g} in {right.label})"
        )
    if x.required != y.required:
        problems.append(
            f"column {name!r}: required is {x.required} in {left.label}, {y.required} in "
            f"{right.label}"
        )
    if x.type in ("integer", "float") and y.type in ("integer", "float"):
        for flag in ("allow_nan", "allow_inf"):
            if getattr(x, flag) != getattr(y, flag):
                problems.append(
                    f"column {name!r}: {flag} is {getattr(x, flag)} in {left.label}, "
                    f"{getattr(y, flag)} in {right.label}"
                )
    return problems


def _same_type(x: _Column, y: _Column, left: _Side, right: _Side) -> bool:
    if x.type == y.type:
        return True
    if left.is_schema == right.is_schema:
        return False
    data = x if not left.is_schema else y
    declared = y if not left.is_schema else x
    if data.type == "null":
        return True  # every value null: its type is the nulls' business
    return data.type == "integer" and declared.type == "float"


# -- assert_training_ok -----------------------------------------------------------------


def assert_training_ok(
    spec: Any, *, severity: Mapping[str, str] | None = None, **budget: Any
) -> Report:
    """Run mlgate's training checks on ``spec`` and fail the test if any check fails.

    ``spec`` is a training spec (a dict or object with ``model``, ``optimizer``,
    ``loss_fn``, ``batches`` for PyTorch, or ``estimator``, ``X``, ``y`` for a
    scikit-learn-like model) or an entrypoint ``"train.py:training_spec"``. Keyword
    arguments set the budget (``steps``, ``epochs``, ``time_limit``, ``seed``,
    ``overfit_steps``, as ``mlgate.training.spec.Budget``); ``severity`` overrides the
    severity of finding codes as in mlgate.yaml. Returns the report when it passes, so a
    test can look at warnings too.
    """
    __tracebackhide__ = True
    from mlgate.findings import Status
    from mlgate.training.gate import check_training
    from mlgate.training.spec import Budget

    report = check_training(spec, budget=Budget(**budget), severity=severity)
    if report.passed:
        return report
    failed = [f for f in report.worst_first() if f.status in (Status.FAIL, Status.ERROR)]
    warned = sum(1 for f in report.findings if f.status is Status.WARN)
    lines = [f"{report.title}: {len(failed)} check{'s' if len(failed) != 1 else ''} failed"]
    for f in failed:
        where = f" [{f.column}]" if f.column else ""
        lines.append(f"  - {f.name}{where}: {f.message}")
    if warned:
        lines.append(f"  ({warned} warning{'s' if warned != 1 else ''} besides)")
    raise AssertionError("\n".join(lines))


# -- Hypothesis strategies from a schema ------------------------------------------------

_INT64 = (-(2**63), 2**63 - 1)


def _hypothesis() -> Any:
    try:
        import hypothesis.strategies as st
    except ModuleNotFoundError:
        raise MissingExtraError("hypothesis", "testing") from None
    return st


def _load(schema: Schema | str | Path) -> Schema:
    from mlgate.data.schema import Schema, load_schema

    return schema if isinstance(schema, Schema) else load_schema(schema)


class SchemaStrategyError(MlgateError):
    """A schema column for which no value can be generated."""


def _as_text(value: Any) -> str:
    """A domain value as the validator compares it (see ``mlgate.data.validate``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _domain(name: str, col: ColumnSchema) -> list[Any]:
    assert col.domain is not None
    values: list[Any] = []
    for v in col.domain:
        try:
            if col.type == "integer":
                if isinstance(v, bool) or not float(v).is_integer():
                    raise ValueError
                values.append(int(float(v)))
            elif col.type == "float":
                values.append(float(v))
            elif col.type == "boolean":
                values.append(
                    v
                    if isinstance(v, bool)
                    else {"true": True, "false": False}[str(v).strip().lower()]
                )
            else:
                values.append(_as_text(v))
        except (ValueError, TypeError, KeyError):
            raise SchemaStrategyError(
                f"column {name!r}: domain value {v!r} is not a {col.type}; fix the schema"
            ) from None
    if col.range is not None and col.type in ("integer", "float"):
        lo, hi = col.range.min, col.range.max
        values = [v for v in values if (lo is None or v >= lo) and (hi is None or v <= hi)]
        if not values:
            raise SchemaStrategyError(
                f"column {name!r}: no domain value lies in its range; fix the schema"
            )
    return list(dict.fromkeys(values))


def _column_strategy(name: str, col: ColumnSchema, st: Any) -> SearchStrategy[Any]:
    """Values (Python objects, None for null) that the schema allows in one cell.

    Special values (range endpoints, NaN, ±inf, null), where allowed, make up about a
    quarter of the cells; the rest come from the column's domain or range.
    """
    specials: list[Any] = []
    if col.domain is not None and col.type in ("integer", "float", "boolean", "string"):
        values = st.sampled_from(_domain(name, col))
    elif col.type == "integer":
        rng = col.range
        lo = _INT64[0] if rng is None or rng.min is None else max(_INT64[0], math.ceil(rng.min))
        hi = _INT64[1] if rng is None or rng.max is None else min(_INT64[1], math.floor(rng.max))
        if lo > hi:
            raise SchemaStrategyError(
                f"column {name!r}: no integer lies in its range; fix the schema"
            )
        values = st.integers(lo, hi)
        if rng is not None:
            specials += [v for v, bound in ((lo, rng.min), (hi, rng.max)) if bound is not None]
    elif col.type == "float":
        lo = col.range.min if col.range else None
        hi = col.range.max if col.range else None
        values = st.floats(
            min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False, width=64
        )
        specials += [float(v) for v in (lo, hi) if v is not None]
    elif col.type == "boolean":
        values = st.booleans()
    elif col.type == "string":
        values = st.text(max_size=20)
    elif col.type == "datetime":
        values = st.datetimes()
    elif col.type == "null":
        return st.none()
    else:
        raise SchemaStrategyError(
            f"column {name!r} has type {col.type!r}, which rows_from_schema cannot "
            f"generate; pass overrides={{{name!r}: <strategy>}}"
        )
    if col.type == "float" and col.allow_nan:
        specials.append(math.nan)
    if col.type == "float" and col.allow_inf:
        specials += [math.inf, -math.inf]
    if col.max_null_fraction > 0:
        specials.append(None)
    return _mixed(st, values, list(dict.fromkeys(specials)))


def _mixed(st: Any, values: SearchStrategy[Any], specials: list[Any]) -> SearchStrategy[Any]:
    """``values`` three times in four, else one of ``specials`` (shrinking to ``values``)."""
    if not specials:
        return values
    special = st.sampled_from(specials)

    @st.composite  # type: ignore[misc]
    def cell(draw: Any) -> Any:
        return draw(special) if draw(st.integers(0, 3)) == 3 else draw(values)

    return cell()  # type: ignore[no-any-return]


def _dtype(col_type: str) -> Any:
    import polars as pl

    return {
        "integer": pl.Int64,
        "float": pl.Float64,
        "boolean": pl.Boolean,
        "string": pl.String,
        "datetime": pl.Datetime("us"),
        "null": pl.Null,
    }.get(col_type)


def _plan(
    schema: Schema | str | Path, overrides: Mapping[str, SearchStrategy[Any]] | None
) -> tuple[Schema, dict[str, SearchStrategy[Any]], Any]:
    st = _hypothesis()
    loaded = _load(schema)
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(loaded.columns))
    if unknown:
        raise SchemaStrategyError(
            f"overrides name columns the schema does not have: {_names(unknown)}"
        )
    plan = {
        name: overrides[name] if name in overrides else _column_strategy(name, col, st)
        for name, col in loaded.columns.items()
    }
    return loaded, plan, st


def rows_from_schema(
    schema: Schema | str | Path,
    *,
    min_rows: int = 0,
    max_rows: int = 50,
    as_pandas: bool = False,
    drop_optional: bool = False,
    overrides: Mapping[str, SearchStrategy[Any]] | None = None,
) -> SearchStrategy[Any]:
    """A Hypothesis strategy of Polars DataFrames whose every row the schema allows.

    ``schema`` is an mlgate ``Schema`` or the path of a schema.yaml. Each column gets
    its type (integer Int64, float Float64, boolean, string, datetime), values from its
    domain or within its range (the endpoints drawn often), nulls where
    ``max_null_fraction`` > 0, NaN and ±inf where ``allow_nan`` / ``allow_inf``, and
    otherwise any value of its type (empty and odd strings, huge and tiny numbers).
    Rates are not kept: a frame may hold more nulls than ``max_null_fraction``, since a
    feature function must accept any one row the schema allows.

    ``as_pandas=True`` gives pandas DataFrames (Polars' ``to_pandas``: integer columns
    with nulls become float64 with NaN, as pandas stores them). ``drop_optional=True``
    sometimes leaves out columns marked ``required: false``. ``overrides`` maps column
    names to strategies of their cell values, for columns of type ``other`` or to
    narrow a column. Needs Hypothesis (``pip install 'mlgate[testing]'``).
    """
    if not 0 <= min_rows <= max_rows:
        raise ValueError(f"need 0 <= min_rows <= max_rows, got {min_rows} and {max_rows}")
    loaded, plan, st = _plan(schema, overrides)
    dtypes = {name: _dtype(col.type) for name, col in loaded.columns.items()}
    optional = {n for n, c in loaded.columns.items() if not c.required} if drop_optional else set()

    @st.composite  # type: ignore[misc]
    def frames(draw: Any) -> Any:
        import polars as pl

        n = draw(st.integers(min_rows, max_rows))
        data = []
        for name, values in plan.items():
            if name in optional and draw(st.booleans()):
                continue
            cells = draw(st.lists(values, min_size=n, max_size=n))
            dtype = dtypes[name] if name not in (overrides or {}) else None
            data.append(pl.Series(name, cells, dtype=dtype))
        df = pl.DataFrame(data) if data else pl.DataFrame()
        return df.to_pandas() if as_pandas else df

    return frames()  # type: ignore[no-any-return]


def records_from_schema(
    schema: Schema | str | Path,
    *,
    drop_optional: bool = False,
    overrides: Mapping[str, SearchStrategy[Any]] | None = None,
) -> SearchStrategy[dict[str, Any]]:
    """A Hypothesis strategy of single rows as dicts (column -> Python value, None for null).

    The same values as ``rows_from_schema``: for feature code that takes one record at a
    time, such as a serving request handler.
    """
    loaded, plan, st = _plan(schema, overrides)
    if not drop_optional:
        return st.fixed_dictionaries(plan)  # type: ignore[no-any-return]
    required = {n: s for n, s in plan.items() if loaded.columns[n].required}
    optional = {n: s for n, s in plan.items() if not loaded.columns[n].required}
    return st.fixed_dictionaries(required, optional=optional)  # type: ignore[no-any-return]
