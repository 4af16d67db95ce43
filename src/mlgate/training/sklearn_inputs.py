"""The scikit-learn checks of the inputs and the fit: NaN, null and inf counted by
column in X, y, X_valid and y_valid (``training.input_not_finite``), and a fit that
raised (``training.fit_failed``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlgate.findings import Finding, Status
from mlgate.training.sklearn_common import MAX_NAMED, _clip, _one_line, n_rows
from mlgate.training.spec import raised_at

# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class ColumnCount:
    """NaN, null (None, pandas NA, polars null) and inf in one column."""

    label: str  # the column name, or its index as text
    named: bool  # a DataFrame column name, not an index
    nan: int
    null: int
    inf: int

    @property
    def total(self) -> int:
        return self.nan + self.null + self.inf

    def counts(self) -> str:
        parts = [f"{n} {w}" for n, w in ((self.nan, "NaN"), (self.null, "null"), (self.inf, "inf"))]
        return ", ".join(p for p in parts if not p.startswith("0 "))

    def describe(self) -> str:
        where = repr(self.label) if self.named else f"column {self.label}"
        return f"{where} ({self.counts()})"


@dataclass(frozen=True)
class NonFinite:
    """NaN, null and inf counts of one input, for the columns that hold any."""

    name: str
    rows: int
    columns: tuple[ColumnCount, ...] = ()
    one_dimensional: bool = False
    label: str | None = None  # the name of a 1-d target, if it has one

    @property
    def missing(self) -> int:
        return sum(c.nan + c.null for c in self.columns)

    @property
    def inf(self) -> int:
        return sum(c.inf for c in self.columns)

    @property
    def total(self) -> int:
        return self.missing + self.inf

    def describe(self) -> str:
        if self.one_dimensional:
            return f"{self.name} holds {self.columns[0].counts()} of {self.rows} rows"
        shown = ", ".join(c.describe() for c in self.columns[:MAX_NAMED])
        more = len(self.columns) - MAX_NAMED
        tail = f" and {more} more columns" if more > 0 else ""
        plural = "column" if len(self.columns) == 1 else "columns"
        return (
            f"{self.name} holds NaN, null or inf in {len(self.columns)} {plural} "
            f"of {self.rows} rows: {shown}{tail}"
        )

    def details(self) -> dict[str, Any]:
        return {
            "data": self.name,
            "rows": self.rows,
            "missing": self.missing,
            "inf": self.inf,
            "columns": {
                c.label: {"nan": c.nan, "null": c.null, "inf": c.inf} for c in self.columns
            },
        }


_Counts = tuple[int, int, int]  # NaN, null, inf


def count_non_finite(data: Any, name: str) -> NonFinite:
    """Count NaN, null and inf per column of numpy, pandas, polars, sparse or list data."""
    rows = n_rows(data)
    module = type(data).__module__
    if module.startswith("pandas"):
        return _count_frame(data, name, rows, _pandas_columns(data), _pandas_counts)
    if module.startswith("polars"):
        return _count_frame(data, name, rows, _polars_columns(data), _polars_counts)
    from scipy import sparse

    if sparse.issparse(data):
        return _count_sparse(data, name, rows)
    try:
        arr = np.asarray(data)
    except Exception:
        return NonFinite(name, rows)
    if arr.ndim == 1:
        counts = _array_counts(arr)
        cols = (ColumnCount("0", False, *counts),) if sum(counts) else ()
        return NonFinite(name, rows, cols, one_dimensional=True)
    arr = arr.reshape(arr.shape[0], -1)
    found = [ColumnCount(str(j), False, *_array_counts(arr[:, j])) for j in range(arr.shape[1])]
    return NonFinite(name, rows, tuple(c for c in found if c.total))


def _count_frame(
    data: Any,
    name: str,
    rows: int,
    columns: list[tuple[str | None, Any]],
    counter: Callable[[Any], _Counts],
) -> NonFinite:
    """Count a pandas or polars frame or series, given its (name, column) pairs."""
    one_dimensional = not hasattr(data, "columns")
    found = []
    for label, column in columns:
        counts = counter(column)
        if sum(counts):
            found.append(ColumnCount(str(label), label is not None, *counts))
    label = columns[0][0] if one_dimensional else None
    return NonFinite(name, rows, tuple(found), one_dimensional, label)


def _array_counts(values: np.ndarray) -> _Counts:
    kind = values.dtype.kind
    if kind in "fc":
        return int(np.isnan(values).sum()), 0, int(np.isinf(values).sum())
    if kind in "mM":
        return 0, int(np.isnat(values).sum()), 0
    if kind == "O":
        nan = null = inf = 0
        for v in values.tolist():
            if v is None:
                null += 1
            elif isinstance(v, float):
                nan += math.isnan(v)
                inf += math.isinf(v)
        return nan, null, inf
    return 0, 0, 0


def _pandas_columns(data: Any) -> list[tuple[str | None, Any]]:
    if not hasattr(data, "columns"):
        return [(None if data.name is None else str(data.name), data)]
    return [(str(c), data.iloc[:, i]) for i, c in enumerate(data.columns)]


def _pandas_counts(series: Any) -> _Counts:
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_float_dtype(dtype) and isinstance(dtype, np.dtype):
        values = series.to_numpy()
        return int(np.isnan(values).sum()), 0, int(np.isinf(values).sum())
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        null = int(series.isna().sum())  # nullable Int64/Float64: pd.NA
        values = series.to_numpy(dtype="float64", na_value=0.0)
        return int(np.isnan(values).sum()), null, int(np.isinf(values).sum())
    if pd.api.types.is_object_dtype(dtype):
        return _array_counts(series.to_numpy())
    return 0, int(series.isna().sum()), 0


def _polars_columns(data: Any) -> list[tuple[str | None, Any]]:
    if not hasattr(data, "columns"):
        return [(data.name or None, data)]
    return [(s.name, s) for s in data.get_columns()]


def _polars_counts(s: Any) -> _Counts:
    null = int(s.null_count())
    if s.dtype.is_float():
        return int(s.is_nan().sum() or 0), null, int(s.is_infinite().sum() or 0)
    return 0, null, 0


def _count_sparse(data: Any, name: str, rows: int) -> NonFinite:
    coo = data.tocoo()
    values = np.asarray(coo.data)
    if values.dtype.kind not in "fc":
        return NonFinite(name, rows)
    width = coo.shape[1]
    nan = np.bincount(coo.col[np.isnan(values)], minlength=width)
    inf = np.bincount(coo.col[np.isinf(values)], minlength=width)
    cols = tuple(
        ColumnCount(str(j), False, int(nan[j]), 0, int(inf[j])) for j in np.flatnonzero(nan + inf)
    )
    return NonFinite(name, rows, cols)


def check_input_finite(
    inputs: dict[str, NonFinite], handled: Mapping[str, bool | None], failure: str
) -> list[Finding]:
    """One finding per input holding NaN or inf; a single pass when none does.

    ``handled`` says, for X and X_valid, whether the estimator took them (fit and
    predict succeeded), or None when that could not be tried; ``failure`` says what
    happened when it did not.
    """
    findings = []
    for name, nf in inputs.items():
        if nf.total:
            findings.append(_input_finding(nf, handled.get(name, False), failure))
    if findings:
        return findings
    names = " and ".join(inputs) if len(inputs) <= 2 else ", ".join(inputs)
    return [
        Finding(
            "training.input_not_finite",
            Status.PASS,
            f"{names} hold no NaN, null or inf",
            details={"data": list(inputs)},
        )
    ]


def _input_finding(nf: NonFinite, handled: bool | None, failure: str) -> Finding:
    column = nf.label if nf.one_dimensional else None
    if len(nf.columns) == 1 and nf.columns[0].named:
        column = nf.columns[0].label
    details = {**nf.details(), "handled": handled}
    if nf.name.startswith("y"):
        status = Status.FAIL
        todo = "drop those rows or fix the step that builds the target; rows without a target "
        todo += "teach nothing"
    elif handled is None:
        status = Status.WARN
        todo = f"whether the estimator takes them is unknown ({failure} first)"
    elif not handled:
        status = Status.FAIL
        todo = f"the estimator cannot take them ({failure}); "
        todo += "impute them (SimpleImputer) or drop those rows" if nf.missing else ""
        todo += " and " if nf.missing and nf.inf else ""
        todo += "replace inf (often a division by zero in feature code)" if nf.inf else ""
    elif nf.inf:
        status = Status.WARN
        todo = "the estimator accepted them, but inf is rarely meant: look for a division by "
        todo += "zero in the feature code"
    else:
        status = Status.PASS
        todo = "the estimator handles missing values (fit and predict succeeded)"
    return Finding("training.input_not_finite", status, f"{nf.describe()}; {todo}", column, details)


# --------------------------------------------------------------------------- fit


def fit_failed(exc: BaseException, estimator: Any, inputs: dict[str, NonFinite]) -> Finding:
    """Fit raised: the exception in one line, and where in user code if anywhere."""
    error = _one_line(str(exc)) or "(no message)"
    where = raised_at(exc, user_code_only=True)
    at = f" at {where}" if where else ""
    bad = [n for n in ("X", "y") if n in inputs and inputs[n].total]
    hint = (
        f"likely cause: NaN or inf in {' and '.join(bad)} (see training.input_not_finite)"
        if bad
        else "fix the estimator or the data so that fit runs"
    )
    return Finding(
        "training.fit_failed",
        Status.FAIL,
        f"{type(estimator).__name__}.fit raised {type(exc).__name__}: {_clip(error, 300)}{at}; "
        f"{hint}",
        details={"exception": type(exc).__name__, "error": error, "where": where},
    )


def fit_passed(estimator: Any, X: Any) -> Finding:
    return Finding(
        "training.fit_failed",
        Status.PASS,
        f"{type(estimator).__name__} fitted on {n_rows(X)} rows",
        details={"estimator": type(estimator).__name__, "rows": n_rows(X)},
    )
