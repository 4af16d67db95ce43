"""``assert_finite``: no NaN or infinity in an array, tensor, frame or series."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


from mlgate.testing._common import (
    SHOW,
    _is_pandas,
    _is_polars,
    _is_torch,
    _kind_label,
    _module,
    _n,
    _some,
)


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
