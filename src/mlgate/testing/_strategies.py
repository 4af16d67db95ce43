"""Hypothesis strategies that draw rows and records from a schema."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.errors import MissingExtraError, MlgateError

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from mlgate.data.schema import ColumnSchema, Schema

from mlgate.testing._common import _names

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
