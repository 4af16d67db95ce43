"""Slices of the evaluation rows: one per value of a categorical column, one per quantile
bin of a numeric one, so a model that got worse for one group is seen even when the
average holds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mlgate.errors import InputError, name_hint

#: Most values of one categorical column sliced; rarer values are left out (and said so).
MAX_VALUES = 50


@dataclass(frozen=True)
class Slice:
    """Rows ``rows`` (indices into the evaluation rows) of one slice of ``column``.

    ``spec`` is what reports show: ``{"column", "value"}`` for a category (``value``
    None for nulls) or ``{"column", "low", "high"}`` for a numeric bin [low, high)
    (the last bin includes its high end; a date or time bin's edges are ISO text).
    """

    column: str
    label: str
    rows: np.ndarray
    spec: dict[str, Any]


def slices_of(frame: Any, column: str, bins: int) -> tuple[list[Slice], int]:
    """The slices of ``column`` of a polars DataFrame: per value, or per quantile bin
    when it is numeric or a date/time with more than ``2 * bins`` distinct values; and
    how many values were left out (beyond the ``MAX_VALUES`` most frequent).

    Raises ``InputError`` when the column is absent.
    """
    if column not in frame.columns:
        raise InputError(
            f"slice column {column!r} is not in the evaluation data; "
            f"{name_hint(column, frame.columns)}"
        )
    series = frame.get_column(column)
    if series.dtype.is_numeric() and series.n_unique() > 2 * bins:
        return _bins(column, series.to_numpy().astype(float), bins, _number), 0
    if series.dtype.is_temporal() and series.n_unique() > 2 * bins:
        physical = series.to_physical()

        def edge(x: float) -> str:
            return str(physical.clear(1).fill_null(round(x)).cast(series.dtype)[0])

        return _bins(column, physical.cast(float).to_numpy(), bins, edge), 0
    return _values(column, series.to_list())


def _number(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1e4 else f"{x:.4g}"


def _bins(column: str, values: np.ndarray, bins: int, fmt: Any) -> list[Slice]:
    present = ~np.isnan(values)
    edges = np.unique(np.quantile(values[present], np.linspace(0, 1, bins + 1)))
    out = []
    inner = edges[1:-1]
    which = np.searchsorted(inner, values, side="right")
    for b in range(len(edges) - 1):
        low, high = float(edges[b]), float(edges[b + 1])
        rows = np.flatnonzero(present & (which == b))
        closing = "]" if b == len(edges) - 2 else ")"
        label = f"{column} in [{fmt(low)}, {fmt(high)}{closing}"
        spec: dict[str, Any] = {"column": column, "low": low, "high": high}
        if fmt is not _number:  # dates and times: the edges as text too
            spec |= {"low": fmt(low), "high": fmt(high)}
        out.append(Slice(column, label, rows, spec))
    missing = np.flatnonzero(~present)
    if len(missing):
        out.append(Slice(column, f"{column} is null", missing, {"column": column, "value": None}))
    return out


def _values(column: str, values: list[Any]) -> tuple[list[Slice], int]:
    groups: dict[Any, list[int]] = {}
    for i, v in enumerate(values):
        groups.setdefault(v, []).append(i)
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), repr(kv[0])))
    slices = [
        Slice(
            column,
            f"{column} is null" if v is None else f"{column} = {v}",
            np.asarray(rows, dtype=np.intp),
            {"column": column, "value": _plain(v)},
        )
        for v, rows in ordered[:MAX_VALUES]
    ]
    return slices, max(0, len(ordered) - MAX_VALUES)


def _plain(value: Any) -> Any:
    """A value as JSON holds it: dates and times as ISO text."""
    return value.isoformat() if hasattr(value, "isoformat") else value
