"""``assert_same_schema``: two frames (or a frame and a schema) have the same columns and types."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.errors import MlgateError

if TYPE_CHECKING:
    import polars as pl

    from mlgate.data.schema import ColumnSchema, Schema

from mlgate.testing._common import SHOW, _is_pandas, _is_series_like, _n, _names, _some


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
