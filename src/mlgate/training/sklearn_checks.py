"""Training checks for scikit-learn-like estimators (``estimator``, ``X``, ``y``).

Like scikit-learn's own ``estimator_checks``, each check is a small function that works
on a copy of the user's estimator (``sklearn.base.clone``, else ``copy.deepcopy``) with
its randomness seeded (every ``random_state`` left at None is set to the budget's seed),
and returns findings whose message says what to fix. ``check_sklearn`` runs them in
order and never raises for a broken estimator or broken data; only an unusable spec
(lengths that differ, X_valid without y_valid) is a ``SpecError`` (exit 2).

The checks and their thresholds:

- ``training.input_not_finite``: NaN, null or inf in X, y, X_valid, y_valid, named by
  column with counts. NaN in X fails only when the estimator cannot take it (fit or
  predict raised); when it can (HistGradientBoosting) the finding passes, and says so.
  inf that the estimator accepted is a warning (it is rarely meant). Non-finite targets
  always fail: rows without a target teach nothing.
- ``training.fit_failed``: fit raised; the exception in one line. Nothing else runs.
- ``training.invalid_predictions``: predict gives one finite value per row, shaped like
  y; predicted labels were seen in y; predict_proba is finite, in [0, 1], and its rows
  sum to 1 within ``PROBA_ATOL``.
- ``training.no_better_than_baseline``: balanced accuracy (classifiers; a most-frequent
  baseline scores exactly 1/classes on it whatever the class balance, so a model that
  trades majority accuracy for minority recall is not punished) or R^2 (regressors,
  against the mean), on X_valid/y_valid or else on the training data. A pass needs a
  positive margin over the baseline *and* evidence that it is not chance: the model's
  score must exceed its score against y shuffled (``N_PERMUTATIONS`` times, one-sided
  p-value below ``ALPHA``; on a seeded sample of ``PERMUTATION_ROWS`` rows beyond
  that). Shuffled or misaligned labels thus fail whichever way the noise falls; a model
  equal to the baseline fails.
- ``training.loss_not_decreasing``: the training loss over iterations, taken from
  ``loss_curve_`` (MLP), staged predictions (gradient boosting, AdaBoost), an
  ``eval_set`` fit (XGBoost, LightGBM), ``partial_fit`` over shuffled chunks, one call
  per budget step (SGD, MLP, custom learners) or refits on a grid of ``n_estimators``
  (other boosting). The means of the first and last ``LOSS_WINDOW`` of the curve are
  compared: the last must be at least ``LOSS_MIN_DROP`` (relative) lower, so a flat or
  rising loss fails. A curve that falls and then gives back more than
  ``LOSS_GIVE_BACK`` of its improvement warns. NaN or inf in the curve is
  ``training.loss_not_finite``. Where no curve exists, or it has fewer than 3 points,
  the finding is skipped ("not applicable", with the reason).
- ``training.not_reproducible``: a second fit, seeded the same way, must give the same
  predictions (and probabilities); a warning naming how many rows differ.
- ``training.runtime_warning``: warnings raised during fit and predict, deduplicated.
- ``training.time_limit``: once the budget's time limit is spent, the remaining checks
  are skipped (a warning naming them); a check that ran keeps its verdict.

The global ``numpy.random`` and ``random`` states are seeded for the run and restored
afterwards, so the same input gives the same verdict.
"""

from __future__ import annotations

import copy
import inspect
import math
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mlgate._seeding import seeded_globals
from mlgate.findings import Finding, Status
from mlgate.reports.evidence import LossSeries, TrainingEvidence
from mlgate.training.spec import Budget, SklearnSpec, SpecError, raised_at

#: Level of the permutation test that a model's margin over the baseline is not chance.
ALPHA = 0.05
#: Shuffles of y in that test (the smallest attainable p-value is 1 / (N + 1)).
N_PERMUTATIONS = 200
#: Rows the permutation test runs on at most (a seeded sample of them beyond that).
PERMUTATION_ROWS = 10_000
#: predict_proba rows must sum to 1 within this (float32 models are off by ~1e-7).
PROBA_ATOL = 1e-4
#: The share of the loss curve averaged at its start and at its end.
LOSS_WINDOW = 0.2
#: The end of the loss curve must be this much (relative) below its start.
LOSS_MIN_DROP = 0.01
#: A curve that falls and then gives back more than this share of its gain warns.
LOSS_GIVE_BACK = 0.5
#: partial_fit probe: the training rows are shuffled and cut into this many chunks, the
#: "batches" of the budget: one partial_fit call per step (``Budget.steps``, or
#: ``Budget.epochs`` passes over the chunks), the loss measured after every call.
PARTIAL_FIT_CHUNKS = 10
#: Refits of boosting models without staged predictions or eval_set, as shares of n_estimators.
N_ESTIMATORS_GRID = (0.1, 0.25, 0.5, 0.75, 1.0)
#: Predictions of two seeded fits are equal within these tolerances (threaded sums).
REPRO_RTOL = 1e-6
REPRO_ATOL = 1e-9
#: At most this many distinct warnings become findings.
MAX_WARNINGS = 10
#: Columns named in one message; the details hold them all.
MAX_NAMED = 5

_HIGHER_IS_BETTER = ("auc", "aucpr", "ndcg", "map", "average_precision", "pre")


# --------------------------------------------------------------------------- the suite


def check_sklearn(spec: SklearnSpec, budget: Budget) -> list[Finding]:
    """Run every scikit-learn-like check on copies of ``spec.estimator``."""
    return run_sklearn_checks(spec, budget)[0]


def run_sklearn_checks(spec: SklearnSpec, budget: Budget) -> tuple[list[Finding], TrainingEvidence]:
    """``check_sklearn``'s findings, and the loss curve it judged, if the estimator has
    one (the HTML report draws it)."""
    _validate_spec(spec)
    curves: list[LossCurve] = []
    with seeded_globals(budget.seed):
        findings = _run(spec, budget, curves.append)
    series = tuple(LossSeries.of(c.source, c.metric, c.unit, c.values) for c in curves if c.values)
    return findings, TrainingEvidence("scikit-learn", series)


def _run(spec: SklearnSpec, budget: Budget, on_curve: Callable[[LossCurve], None]) -> list[Finding]:
    started = time.perf_counter()
    inputs = {
        name: count_non_finite(data, name)
        for name, data in (("X", spec.X), ("y", spec.y), ("X_valid", spec.X_valid))
        if data is not None
    }
    if spec.y_valid is not None:
        inputs["y_valid"] = count_non_finite(spec.y_valid, "y_valid")

    caught: list[CaughtWarning] = []
    estimator, seeded = copy_seeded(spec.estimator, budget.seed)
    try:
        with _capture("fit", caught):
            estimator.fit(spec.X, spec.y)
    except Exception as exc:
        handled: dict[str, bool | None] = {"X": False, "X_valid": None}
        return [
            *check_input_finite(inputs, handled, "fit raised " + type(exc).__name__),
            fit_failed(exc, spec.estimator, inputs),
        ]

    is_clf = _is_classifier(estimator, spec.y)
    evaluation = _Eval.of(spec)
    preds, prediction_findings, predicted_ok = check_predictions(estimator, spec, is_clf, caught)
    handled = {"X": predicted_ok.get("X", True), "X_valid": predicted_ok.get("X_valid", True)}
    findings = [
        *check_input_finite(inputs, handled, "predict raised or returned NaN"),
        fit_passed(spec.estimator, spec.X),
        *prediction_findings,
        *check_runtime_warnings(caught),
    ]
    bad_targets = [n for n in ("y", "y_valid") if n in inputs and inputs[n].total]
    eval_pred = preds.get(evaluation.x_name)
    unusable = (
        f"the predictions on {evaluation.x_name} are unusable (see training.invalid_predictions)"
    )
    if eval_pred is None:
        findings.append(_not_judged("training.no_better_than_baseline", unusable))
    elif bad_targets:
        hold = "holds" if len(bad_targets) == 1 else "hold"
        findings.append(
            _not_judged(
                "training.no_better_than_baseline",
                f"{' and '.join(bad_targets)} {hold} NaN, null or inf "
                "(see training.input_not_finite)",
            )
        )
    else:
        findings.append(check_baseline(eval_pred, spec, evaluation, is_clf, budget.seed))

    remaining: list[tuple[str, Callable[[], list[Finding]]]] = [
        (
            "training.loss_not_decreasing",
            lambda: check_loss_decreasing(
                estimator, spec, is_clf, budget, started + budget.time_limit, on_curve
            ),
        ),
    ]
    if eval_pred is not None:
        remaining.append(
            (
                "training.not_reproducible",
                lambda: [
                    check_reproducible(estimator, spec, evaluation, eval_pred, seeded, budget)
                ],
            )
        )
    else:
        remaining.append(
            (
                "training.not_reproducible",
                lambda: [_not_judged("training.not_reproducible", unusable)],
            )
        )
    for i, (_code, check) in enumerate(remaining):
        if time.perf_counter() - started > budget.time_limit:
            findings.append(_time_limit(budget, [code for code, _ in remaining[i:]]))
            break
        findings.extend(check())
    return findings


def _validate_spec(spec: SklearnSpec) -> None:
    est = spec.estimator
    for method in ("fit", "predict"):
        if not callable(getattr(est, method, None)):
            raise SpecError(
                f"the estimator {type(est).__name__} has no {method}() method; return a "
                "scikit-learn-like estimator (fit(X, y) and predict(X)) as `estimator`"
            )
    if (spec.X_valid is None) != (spec.y_valid is None):
        given, missing = ("X_valid", "y_valid") if spec.y_valid is None else ("y_valid", "X_valid")
        raise SpecError(f"the spec gives {given} but not {missing}; give both or neither")
    pairs = [("X", spec.X, "y", spec.y)]
    if spec.X_valid is not None:
        pairs.append(("X_valid", spec.X_valid, "y_valid", spec.y_valid))
    for xn, x, yn, y in pairs:
        nx, ny = n_rows(x), n_rows(y)
        if nx == 0:
            raise SpecError(f"{xn} has no rows; the checks need data to fit on")
        if nx != ny:
            raise SpecError(
                f"{xn} has {nx} rows but {yn} has {ny}; they must hold one target per row"
            )


# --------------------------------------------------------------------------- copying


def copy_seeded(estimator: Any, seed: int) -> tuple[Any, tuple[str, ...]]:
    """A fresh copy of the estimator with every ``random_state`` left at None set to seed.

    Returns the copy and the parameters seeded. The user's object is never touched.
    """
    from sklearn.base import clone

    try:
        est = clone(estimator)
    except Exception:
        try:
            est = copy.deepcopy(estimator)
        except Exception as exc:
            raise SpecError(
                f"the estimator {type(estimator).__name__} can be neither cloned "
                f"(sklearn.base.clone) nor deep-copied ({type(exc).__name__}: {exc}); mlgate "
                "fits a copy so that your object stays untouched: implement get_params"
            ) from None
    return est, _seed_random_state(est, seed)


def _seed_random_state(est: Any, seed: int) -> tuple[str, ...]:
    get_params = getattr(est, "get_params", None)
    if callable(get_params):
        try:
            params = get_params(deep=True)
            keys = sorted(
                k
                for k, v in params.items()
                if v is None and (k == "random_state" or k.endswith("__random_state"))
            )
            if keys:
                est.set_params(**dict.fromkeys(keys, seed))
            return tuple(keys)
        except Exception:
            return ()
    if hasattr(est, "random_state") and est.random_state is None:
        try:
            est.random_state = seed
        except Exception:
            return ()
        return ("random_state",)
    return ()


def _has_random_state(est: Any) -> bool:
    try:
        params = est.get_params(deep=True)
    except Exception:
        return hasattr(est, "random_state")
    return any(k == "random_state" or k.endswith("__random_state") for k in params)


# --------------------------------------------------------------------------- warnings


@dataclass(frozen=True)
class CaughtWarning:
    category: str
    message: str
    where: str
    phase: str


@contextmanager
def _capture(phase: str, sink: list[CaughtWarning]) -> Iterator[None]:
    """Record every warning raised inside, for ``training.runtime_warning``."""
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            sink.extend(
                CaughtWarning(
                    category=w.category.__name__,
                    message=_one_line(str(w.message)),
                    where=f"{Path(w.filename).name}:{w.lineno}",
                    phase=phase,
                )
                for w in records
            )


@contextmanager
def _quiet() -> Iterator[None]:
    """mlgate's own probing: its warnings are not the user's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def check_runtime_warnings(caught: Sequence[CaughtWarning]) -> list[Finding]:
    """One finding per distinct warning raised during fit and predict."""
    if not caught:
        return [
            Finding(
                "training.runtime_warning",
                Status.PASS,
                "no warnings during fit and predict",
                details={"count": 0},
            )
        ]
    groups: dict[tuple[str, str], list[CaughtWarning]] = {}
    for w in caught:
        groups.setdefault((w.category, w.message), []).append(w)
    findings = []
    for (category, message), ws in list(groups.items())[:MAX_WARNINGS]:
        phases = sorted({w.phase for w in ws}, key=("fit", "predict").index)
        times = f" ({len(ws)} times)" if len(ws) > 1 else ""
        findings.append(
            Finding(
                "training.runtime_warning",
                Status.WARN,
                f"{category} during {' and '.join(phases)}{times}: {_clip(message, 200)}; "
                f"{_warning_advice(category, message)}",
                details={
                    "category": category,
                    "warning": message,
                    "count": len(ws),
                    "phases": phases,
                    "where": ws[0].where,
                },
            )
        )
    if len(groups) > MAX_WARNINGS:
        findings.append(
            Finding(
                "training.runtime_warning",
                Status.WARN,
                f"{len(groups) - MAX_WARNINGS} more distinct warnings during fit and predict "
                "are not shown; run the fit yourself to see them all",
                details={"count": len(groups) - MAX_WARNINGS},
            )
        )
    return findings


def _warning_advice(category: str, message: str) -> str:
    if category == "ConvergenceWarning":
        return "raise max_iter, or scale the features (StandardScaler)"
    if category == "DataConversionWarning":
        return "pass y as a 1-d array (y.ravel())"
    if "feature names" in message:
        return "fit and predict on the same kind of input (both DataFrames or both arrays)"
    if category in ("FutureWarning", "DeprecationWarning"):
        return "update the code before the behaviour changes"
    if category == "RuntimeWarning":
        return "look for a division by zero, a log of zero or an overflow in the model code"
    return "fix the cause, or silence this warning deliberately where it is raised"


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


# --------------------------------------------------------------------------- predictions


@dataclass(frozen=True)
class _Eval:
    """Which data the baseline and reproducibility checks judge on."""

    x_name: str
    X: Any
    y: Any
    label: str

    @staticmethod
    def of(spec: SklearnSpec) -> _Eval:
        if spec.X_valid is not None:
            return _Eval("X_valid", spec.X_valid, spec.y_valid, "the validation data")
        return _Eval("X", spec.X, spec.y, "the training data")

    @property
    def on_training(self) -> bool:
        return self.x_name == "X"


def check_predictions(
    estimator: Any, spec: SklearnSpec, is_clf: bool, caught: list[CaughtWarning]
) -> tuple[dict[str, np.ndarray], list[Finding], dict[str, bool]]:
    """Predictions on X (and X_valid): finite, shaped like y, labels seen, probabilities.

    Returns the valid predictions by input name, the findings, and for each input whether
    predict ran and gave finite values (so NaN in it was handled).
    """
    y_shape = np.shape(np.asarray(spec.y))
    labels = _labels(spec.y) if is_clf and len(y_shape) == 1 else None
    datasets = [("X", spec.X)]
    if spec.X_valid is not None:
        datasets.append(("X_valid", spec.X_valid))
    preds: dict[str, np.ndarray] = {}
    problems: list[Finding] = []
    ok: dict[str, bool] = {}
    for name, X in datasets:
        found, pred = _check_predict(estimator, name, X, y_shape, labels, caught)
        ok[name] = pred is not None and not any(
            f.details.get("check") in ("predict", "non_finite") for f in found
        )
        if pred is not None and not found:
            preds[name] = pred
        if is_clf and pred is not None and callable(getattr(estimator, "predict_proba", None)):
            found.extend(_check_proba(estimator, name, X, caught))
        problems.extend(found)
    if problems:
        return preds, problems, ok
    names = " and ".join(name for name, _ in datasets)
    proba = (
        "; predict_proba rows sum to 1"
        if is_clf and callable(getattr(estimator, "predict_proba", None))
        else ""
    )
    return (
        preds,
        [
            Finding(
                "training.invalid_predictions",
                Status.PASS,
                f"predictions on {names} are finite and shaped like y {_shape(y_shape)}{proba}",
                details={"data": [n for n, _ in datasets]},
            )
        ],
        ok,
    )


def _labels(y: Any) -> list[Any]:
    values = np.asarray(y)
    try:
        return np.unique(values).tolist()
    except TypeError:
        return list(dict.fromkeys(values.tolist()))


def _check_predict(
    estimator: Any,
    name: str,
    X: Any,
    y_shape: tuple[int, ...],
    labels: list[Any] | None,
    caught: list[CaughtWarning],
) -> tuple[list[Finding], np.ndarray | None]:
    n = n_rows(X)
    expected = (n, *y_shape[1:])
    call = f"predict({name})"
    try:
        with _capture("predict", caught):
            pred = np.asarray(estimator.predict(X))
    except Exception as exc:
        where = raised_at(exc, user_code_only=True)
        at = f" at {where}" if where else ""
        return [
            _invalid(
                f"{call} raised {type(exc).__name__}: {_clip(_one_line(str(exc)), 300)}{at}; "
                "the fitted model must predict on data like its training data",
                "predict",
                name,
                exception=type(exc).__name__,
            )
        ], None
    if pred.shape != expected and not (
        len(y_shape) == 2 and y_shape[1] == 1 and pred.shape == (n,)
    ):
        hint = (
            "return a 1-d array (e.g. .ravel())"
            if len(expected) == 1 and pred.size == n
            else "return one prediction per row, shaped like y"
        )
        return [
            _invalid(
                f"{call} returned shape {_shape(pred.shape)}; expected {_shape(expected)} like y; "
                f"{hint} (a (n, 1) column broadcasts against y in metrics and losses)",
                "shape",
                name,
                observed=list(pred.shape),
                expected=list(expected),
            )
        ], pred
    found = []
    if pred.dtype.kind in "fc":
        nan, inf = int(np.isnan(pred).sum()), int(np.isinf(pred).sum())
        if nan or inf:
            rows = int((~np.isfinite(pred)).reshape(n, -1).any(axis=1).sum())
            found.append(
                _invalid(
                    f"{call} returned {nan} NaN and {inf} inf in {rows} of {n} rows; look for a "
                    "log or division of zero, or an overflow, in the model's predict",
                    "non_finite",
                    name,
                    nan=nan,
                    inf=inf,
                    rows=rows,
                )
            )
    if labels is not None and not found:
        seen = set(labels)
        unseen = sorted({v for v in pred.tolist() if v not in seen}, key=str)
        if unseen:
            found.append(
                _invalid(
                    f"{call} returned labels never seen in y: "
                    f"{_clip(str(unseen[:MAX_NAMED]), 80)}; "
                    "a classifier must predict one of the classes it was fitted on "
                    "(check the label encoding)",
                    "labels",
                    name,
                    unseen=[str(v) for v in unseen[:20]],
                )
            )
    return found, pred


def _check_proba(estimator: Any, name: str, X: Any, caught: list[CaughtWarning]) -> list[Finding]:
    call = f"predict_proba({name})"
    try:
        with _capture("predict", caught):
            out = estimator.predict_proba(X)
    except Exception as exc:
        return [
            _invalid(
                f"{call} raised {type(exc).__name__}: {_clip(_one_line(str(exc)), 300)}",
                "proba",
                name,
                exception=type(exc).__name__,
            )
        ]
    found = []
    arrays = out if isinstance(out, list) else [out]
    n = n_rows(X)
    classes = getattr(estimator, "classes_", None)
    for k, arr in enumerate(arrays):
        proba = np.asarray(arr, dtype=float)
        which = f"{call}[{k}]" if isinstance(out, list) else call
        n_classes = len(classes) if classes is not None and not isinstance(out, list) else None
        if proba.ndim != 2 or proba.shape[0] != n or (n_classes and proba.shape[1] != n_classes):
            want = f"({n}, {n_classes})" if n_classes else f"({n}, n_classes)"
            found.append(
                _invalid(
                    f"{which} returned shape {_shape(proba.shape)}; expected {want}, one "
                    "column per class in classes_",
                    "proba_shape",
                    name,
                    observed=list(proba.shape),
                )
            )
            continue
        if not np.isfinite(proba).all():
            found.append(
                _invalid(
                    f"{which} returned {int((~np.isfinite(proba)).sum())} NaN or inf; check "
                    "the probability computation (softmax of large scores overflows)",
                    "proba_non_finite",
                    name,
                )
            )
            continue
        sums = proba.sum(axis=1)
        off = np.abs(sums - 1.0) > PROBA_ATOL
        outside = (proba < -PROBA_ATOL) | (proba > 1 + PROBA_ATOL)
        if off.any() or outside.any():
            worst = float(sums[np.argmax(np.abs(sums - 1.0))])
            what = []
            if off.any():
                what.append(
                    f"rows do not sum to 1 in {int(off.sum())} of {n} rows (worst sum {worst:.4g})"
                )
            if outside.any():
                what.append(f"{int(outside.sum())} values fall outside [0, 1]")
            found.append(
                _invalid(
                    f"{which} {' and '.join(what)}; normalise them (softmax, or divide by the "
                    "row sum)",
                    "proba_sum",
                    name,
                    rows_off=int(off.sum()),
                    worst_sum=worst,
                    outside=int(outside.sum()),
                    tolerance=PROBA_ATOL,
                )
            )
    return found


def _invalid(message: str, check: str, data: str, **details: Any) -> Finding:
    return Finding(
        "training.invalid_predictions",
        Status.FAIL,
        message,
        details={"check": check, "data": data, **details},
    )


# --------------------------------------------------------------------------- baseline


def check_baseline(
    pred: np.ndarray, spec: SklearnSpec, evaluation: _Eval, is_clf: bool, seed: int
) -> Finding:
    """The model must beat a dummy baseline by more than chance on the evaluation data."""
    from sklearn.dummy import DummyClassifier, DummyRegressor

    strategy = "most_frequent" if is_clf else "mean"
    dummy = DummyClassifier(strategy=strategy) if is_clf else DummyRegressor(strategy=strategy)
    n_eval = n_rows(evaluation.X)
    y_train = np.asarray(spec.y)
    y_eval = np.asarray(evaluation.y)
    try:
        with _quiet():
            dummy.fit(np.zeros((len(y_train), 1)), y_train)
            base = np.asarray(dummy.predict(np.zeros((n_eval, 1))))
        scores = _score_pair(y_eval, pred, base, is_clf, np.random.default_rng(seed))
    except Exception as exc:
        return Finding(
            "training.no_better_than_baseline",
            Status.WARN,
            f"could not compare the model with a {strategy} baseline on {evaluation.label}: "
            f"{type(exc).__name__}: {_clip(_one_line(str(exc)), 200)}",
            details={"data": evaluation.x_name, "exception": type(exc).__name__},
        )
    metric = "balanced accuracy" if is_clf else "R^2"
    baseline_name = "most-frequent-class baseline" if is_clf else "mean baseline"
    where = evaluation.label
    if evaluation.on_training:
        where += " (no X_valid given: a model that memorises can pass; give X_valid, y_valid)"
    details = {
        "data": "validation" if not evaluation.on_training else "training",
        "rows": n_eval,
        "metric": "balanced_accuracy" if is_clf else "r2",
        "baseline_strategy": strategy,
        "alpha": ALPHA,
        "permutations": N_PERMUTATIONS,
        **scores,
    }
    model, baseline, margin, p = (
        scores["score"],
        scores["baseline"],
        scores["margin"],
        scores["p_value"],
    )
    compare = f"{metric} {model:.3f} vs {baseline:.3f} (margin {margin:+.3f}"
    eval_classes = _distinct_rows(y_eval) if is_clf else 0
    if is_clf and not evaluation.on_training and eval_classes == 1 < _distinct_rows(y_train):
        # One class in y_valid: no label shuffle changes it and balanced accuracy is one
        # recall, so any verdict on it ("only by chance", "perfect baseline") misleads.
        return Finding(
            "training.no_better_than_baseline",
            Status.FAIL,
            f"the validation set holds a single class ({n_eval} rows of "
            f"{_clip(str(np.asarray(y_eval).reshape(n_eval, -1)[0].tolist()), 40)}) while y "
            f"holds {_distinct_rows(y_train)}, so no model can beat the baseline on it: an "
            "unshuffled split of data sorted by class? split with shuffle=True and "
            "stratify=y (train_test_split)",
            details={**details, "validation_classes": 1},
        )
    if baseline >= 1.0 - 1e-12:
        return Finding(
            "training.no_better_than_baseline",
            Status.WARN,
            f"the {baseline_name} is already perfect on {where} (y holds one value): there "
            "is nothing to learn; check the target",
            details=details,
        )
    if margin > 0 and p < ALPHA:
        return Finding(
            "training.no_better_than_baseline",
            Status.PASS,
            f"beats the {baseline_name} on {where}: {compare}, p={p:.3f})",
            details=details,
        )
    fix = (
        "check that X and y rows line up (a shuffle, sort or join applied to one only) and "
        "that the features carry signal"
    )
    if margin <= 0:
        message = f"no better than the {baseline_name} on {where}: {compare}); {fix}"
    else:
        message = (
            f"beats the {baseline_name} on {where} only by chance: {compare}, p={p:.3f} with y "
            f"shuffled {N_PERMUTATIONS} times, need p<{ALPHA}); {fix}, or give more rows"
        )
    return Finding("training.no_better_than_baseline", Status.FAIL, message, details=details)


def _distinct_rows(y: np.ndarray) -> int:
    """The number of distinct labels (rows, for multi-output targets) in y."""
    flat = np.asarray(y).reshape(len(y), -1)
    return len({tuple(row) for row in flat.tolist()})


def _score_pair(
    y: np.ndarray, pred: np.ndarray, base: np.ndarray, is_clf: bool, rng: np.random.Generator
) -> dict[str, float]:
    n = len(y)
    y2, p2, b2 = (np.asarray(a).reshape(n, -1) for a in (y, pred, base))
    if is_clf:
        codes, n_codes = _encode(y2, p2, b2)
        yc, pc, bc = codes

        def score(yy: np.ndarray, pp: np.ndarray) -> float:
            return _balanced_accuracy(yy, pp, n_codes)

        extra = {
            "accuracy": float(np.mean((yc == pc).all(axis=1))),
            "baseline_accuracy": float(np.mean((yc == bc).all(axis=1))),
        }
    else:
        yc, pc, bc = (a.astype(float) for a in (y2, p2, b2))
        score = _r2
        extra = {
            "mse": float(np.mean((yc - pc) ** 2)),
            "baseline_mse": float(np.mean((yc - bc) ** 2)),
        }
    observed, baseline = score(yc, pc), score(yc, bc)
    ys, ps, sample_score = yc, pc, observed
    if n > PERMUTATION_ROWS:
        rows = rng.choice(n, PERMUTATION_ROWS, replace=False)
        ys, ps = yc[rows], pc[rows]
        sample_score = score(ys, ps)
    exceed = sum(
        score(ys[rng.permutation(len(ys))], ps) >= sample_score - 1e-12
        for _ in range(N_PERMUTATIONS)
    )
    return {
        "score": observed,
        "baseline": baseline,
        "margin": observed - baseline,
        "p_value": (exceed + 1) / (N_PERMUTATIONS + 1),
        **extra,
    }


def _encode(*arrays: np.ndarray) -> tuple[list[np.ndarray], list[int]]:
    """Integer codes per output column, shared by all arrays."""
    n_out = arrays[0].shape[1]
    codes = [np.empty(a.shape, dtype=np.intp) for a in arrays]
    sizes = []
    for j in range(n_out):
        column = np.concatenate([a[:, j] for a in arrays])
        try:
            uniques, inverse = np.unique(column, return_inverse=True)
            size = len(uniques)
        except TypeError:  # labels of mixed types: no order, but still codes
            lookup: dict[Any, int] = {}
            inverse = np.array([lookup.setdefault(v, len(lookup)) for v in column.tolist()])
            size = len(lookup)
        start = 0
        for out in codes:
            out[:, j] = inverse[start : start + len(out)]
            start += len(out)
        sizes.append(size)
    return codes, sizes


def _balanced_accuracy(y: np.ndarray, pred: np.ndarray, sizes: list[int]) -> float:
    """Balanced accuracy (scikit-learn's) averaged over output columns of class codes."""
    from mlgate.evaluation.metrics import balanced_accuracy_codes

    return float(
        np.mean([balanced_accuracy_codes(y[:, j], pred[:, j], k) for j, k in enumerate(sizes)])
    )


def _r2(y: np.ndarray, pred: np.ndarray) -> float:
    """``sklearn.metrics.r2_score`` averaged over outputs (a constant column scores 1 if
    matched exactly, else 0)."""
    from sklearn.metrics import r2_score

    return float(r2_score(y, pred, multioutput="uniform_average"))


# --------------------------------------------------------------------------- loss


@dataclass(frozen=True)
class LossCurve:
    source: str  # where the curve came from, as the message says it
    metric: str
    values: tuple[float, ...]
    unit: str  # what one point is: "boosting stage", "partial_fit call", "epoch", ...
    hint: str  # what to check when it does not fall
    stopped_early: bool = False  # the time limit cut the probe short


@dataclass(frozen=True)
class _Probe:
    """What the loss probes need: the fitted final step, its input, and fresh copies."""

    fitted: Any  # the fitted final estimator
    Xt: Any  # X as the final estimator sees it (through a pipeline's transformers)
    y: np.ndarray
    is_clf: bool
    budget: Budget
    deadline: float  # time.perf_counter() value past which probes stop
    fresh: Callable[[], Any]  # an unfitted, seeded copy of the final estimator


def check_loss_decreasing(
    fitted: Any,
    spec: SklearnSpec,
    is_clf: bool,
    budget: Budget,
    deadline: float,
    on_curve: Callable[[LossCurve], None] | None = None,
) -> list[Finding]:
    """The training loss falls over iterations, where the estimator has iterations.

    ``on_curve`` is given the curve that was judged (for the HTML report)."""
    name = type(_final(fitted)).__name__
    try:
        with _quiet():
            probe = _make_probe(fitted, spec, is_clf, budget, deadline)
            curve = loss_curve(probe)
    except Exception as exc:
        return [
            Finding(
                "training.loss_not_decreasing",
                Status.WARN,
                f"could not follow {name}'s training loss: {type(exc).__name__}: "
                f"{_clip(_one_line(str(exc)), 200)}",
                details={"exception": type(exc).__name__},
            )
        ]
    if curve is None:
        return [
            Finding(
                "training.loss_not_decreasing",
                Status.SKIP,
                f"not applicable: {name} has no loss curve, staged predictions, eval_set, "
                "partial_fit or boosting iterations to follow",
                details={"applicable": False},
            )
        ]
    if on_curve is not None:
        on_curve(curve)
    findings = [judge_loss_curve(curve, name)]
    if curve.stopped_early:
        n = len(curve.values)
        findings.append(
            Finding(
                "training.time_limit",
                Status.WARN,
                f"the time limit of {budget.time_limit:g} s stopped {curve.source} after {n} "
                f"{_plural(curve.unit, n)}; the loss was judged on those: raise the time limit "
                "or fit on a sample",
                details={"time_limit": budget.time_limit, "steps_run": n},
            )
        )
    return findings


def _final(estimator: Any) -> Any:
    steps = getattr(estimator, "steps", None)
    if isinstance(steps, list) and steps:
        return _final(steps[-1][1])
    return estimator


def _make_probe(
    fitted: Any, spec: SklearnSpec, is_clf: bool, budget: Budget, deadline: float
) -> _Probe:
    Xt = spec.X
    est = fitted
    path: list[int] = []
    while isinstance(getattr(est, "steps", None), list) and est.steps:
        if len(est.steps) > 1:
            Xt = est[:-1].transform(Xt)
        path.append(len(est.steps) - 1)
        est = est.steps[-1][1]

    def fresh() -> Any:
        copy_, _ = copy_seeded(spec.estimator, budget.seed)
        for _ in path:
            copy_ = copy_.steps[-1][1]
        return copy_

    y = np.asarray(spec.y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    return _Probe(est, Xt, y, is_clf, budget, deadline, fresh)


def loss_curve(probe: _Probe) -> LossCurve | None:
    """The training loss over iterations, from the first source the estimator offers."""
    est = probe.fitted
    curve = getattr(est, "loss_curve_", None)
    if curve is not None and len(curve) >= 2:
        return LossCurve(
            "loss_curve_",
            "loss",
            tuple(float(v) for v in curve),
            "epoch",
            "lower the learning rate or scale the features",
        )
    if probe.is_clf and callable(getattr(est, "staged_predict_proba", None)):
        cols = _class_columns(probe.y, getattr(est, "classes_", None))
        values = [_log_loss(cols, p) for p in est.staged_predict_proba(probe.Xt)]
        return LossCurve(
            "staged_predict_proba",
            "log loss",
            tuple(values),
            "boosting stage",
            "check that the learning rate is not zero and the features vary",
        )
    if callable(getattr(est, "staged_predict", None)):
        loss = _error_rate if probe.is_clf else _mse
        values = [loss(probe.y, p) for p in est.staged_predict(probe.Xt)]
        return LossCurve(
            "staged_predict",
            "error rate" if probe.is_clf else "mean squared error",
            tuple(values),
            "boosting stage",
            "check that the learning rate is not zero and the features vary",
        )
    fit_params = _parameters(getattr(est, "fit", None))
    if "eval_set" in fit_params or "eval_X" in fit_params:
        return _eval_set_curve(probe, fit_params)
    if callable(getattr(est, "partial_fit", None)) and not type(est).__module__.startswith(
        "sklearn.naive_bayes"
    ):
        return _partial_fit_curve(probe)
    params = _get_params(est)
    if "n_estimators" in params and "learning_rate" in params:
        return _grid_curve(probe, int(params["n_estimators"]))
    return None


def _eval_set_curve(probe: _Probe, fit_params: set[str]) -> LossCurve | None:
    est = probe.fresh()
    kwargs: dict[str, Any]
    if "eval_X" in fit_params:
        kwargs = {"eval_X": (probe.Xt,), "eval_y": (probe.y,)}
    else:
        kwargs = {"eval_set": [(probe.Xt, probe.y)]}
    if "verbose" in fit_params:
        kwargs["verbose"] = False
    est.fit(probe.Xt, probe.y, **kwargs)
    results = getattr(est, "evals_result_", None) or {}
    for metrics in results.values():
        for metric, values in metrics.items():
            vals = [float(v) for v in values]
            if metric.split("@")[0] in _HIGHER_IS_BETTER:
                vals = [1.0 - v for v in vals]
                metric = f"1 - {metric}"
            return LossCurve(
                "evals_result_ of a fit with eval_set on the training data",
                metric,
                tuple(vals),
                "boosting round",
                "check that the learning rate is not zero and the features vary",
            )
    return None


def _partial_fit_curve(probe: _Probe) -> LossCurve:
    est = probe.fresh()
    from sklearn.utils import _safe_indexing

    n = len(probe.y)
    order = np.random.default_rng(probe.budget.seed).permutation(n)
    chunks = [c for c in np.array_split(order, min(PARTIAL_FIT_CHUNKS, n)) if len(c)]
    steps = probe.budget.total_steps(len(chunks))
    kwargs: dict[str, Any] = {}
    if probe.is_clf and "classes" in _parameters(est.partial_fit):
        kwargs["classes"] = np.unique(probe.y)
    values = []
    loss: Callable[[Any], float] | None = None
    metric = ""
    stopped = False
    for step in range(steps):
        if time.perf_counter() > probe.deadline:
            stopped = True
            break
        idx = chunks[step % len(chunks)]
        est.partial_fit(_safe_indexing(probe.Xt, idx), probe.y[idx], **kwargs)
        if loss is None:
            metric, loss = _loss_of(est, probe)
        values.append(loss(est))
    return LossCurve(
        f"partial_fit on {len(chunks)} shuffled chunks of X",
        metric,
        tuple(values),
        "partial_fit call",
        "check the sign of the update and the learning rate",
        stopped_early=stopped,
    )


def _grid_curve(probe: _Probe, n_estimators: int) -> LossCurve | None:
    grid = sorted({max(1, round(n_estimators * share)) for share in N_ESTIMATORS_GRID})
    if len(grid) < 3:
        return None
    values = []
    metric = ""
    for n in grid:
        est = probe.fresh()
        est.set_params(n_estimators=n)
        est.fit(probe.Xt, probe.y)
        metric, loss = _loss_of(est, probe)
        values.append(loss(est))
    return LossCurve(
        f"refits with n_estimators in {grid}",
        metric,
        tuple(values),
        "refit",
        "check that the learning rate is not zero and the features vary",
    )


def _loss_of(est: Any, probe: _Probe) -> tuple[str, Callable[[Any], float]]:
    """The training loss to follow for this estimator, as a function of the fitted model."""
    X, y = probe.Xt, probe.y
    if not probe.is_clf:
        return "mean squared error", lambda e: _mse(y, e.predict(X))
    if y.ndim == 1 and callable(getattr(est, "predict_proba", None)):
        cols = _class_columns(y, getattr(est, "classes_", None))
        return "log loss", lambda e: _log_loss(cols, e.predict_proba(X))
    if y.ndim == 1 and callable(getattr(est, "decision_function", None)):
        from sklearn.metrics import hinge_loss

        labels = np.unique(y)
        return "hinge loss", lambda e: float(hinge_loss(y, e.decision_function(X), labels=labels))
    return "error rate", lambda e: _error_rate(y, e.predict(X))


def _class_columns(y: np.ndarray, classes: Any) -> np.ndarray:
    """For each row, the predict_proba column of its label (-1 if not a known class)."""
    labels = np.asarray(classes if classes is not None else np.unique(y)).tolist()
    index = {c: i for i, c in enumerate(labels)}
    return np.array([index.get(v, -1) for v in y.tolist()], dtype=np.intp)


def _log_loss(cols: np.ndarray, proba: Any) -> float:
    """``sklearn.metrics.log_loss`` over the rows whose label is a known class."""
    from sklearn.metrics import log_loss

    proba = np.asarray(proba, dtype=float)
    if not np.isfinite(proba).all():
        return float("nan")  # scikit-learn refuses them; the loss check reports it
    known = np.flatnonzero(cols >= 0)
    return float(log_loss(cols[known], proba[known], labels=np.arange(proba.shape[1])))


def _mse(y: np.ndarray, pred: Any) -> float:
    """``sklearn.metrics.mean_squared_error``; NaN or inf for predictions that are not
    finite (which scikit-learn refuses, and which the loss check must see)."""
    from sklearn.metrics import mean_squared_error

    pred = np.asarray(pred, dtype=float).reshape(np.shape(y))
    if not np.isfinite(pred).all():
        return float(np.mean((y.astype(float) - pred) ** 2))
    return float(mean_squared_error(y.astype(float), pred))


def _error_rate(y: np.ndarray, pred: Any) -> float:
    """1 - ``sklearn.metrics.accuracy_score``; with several outputs, the share of rows
    with any output wrong (``accuracy_score`` takes no multiclass-multioutput target)."""
    pred = np.asarray(pred).reshape(np.shape(y))
    if y.ndim == 1:
        from sklearn.metrics import accuracy_score

        return 1.0 - float(accuracy_score(y, pred))
    wrong = pred != y
    return float(np.mean(wrong.reshape(len(y), -1).any(axis=1)))


def judge_loss_curve(curve: LossCurve, name: str) -> Finding:
    """First against last window means; flat or rising fails, a late rebound warns."""
    values = np.asarray(curve.values, dtype=float)
    n = len(values)
    shown = [v if math.isfinite(v) else None for v in _downsample(values, 20)]
    base = {"source": curve.source, "metric": curve.metric, "iterations": n, "curve": shown}
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        return Finding(
            "training.loss_not_finite",
            Status.FAIL,
            f"{name}'s training {curve.metric} became {values[bad[0]]} at {curve.unit} "
            f"{bad[0] + 1} of {n} ({curve.source}); lower the learning rate or scale the "
            "features",
            details={**base, "first_non_finite": int(bad[0]) + 1},
        )
    if n < 3:
        return Finding(
            "training.loss_not_decreasing",
            Status.SKIP,
            f"not applicable: {name} ran only {n} {_plural(curve.unit, n)} ({curve.source}); "
            "at least 3 are needed to judge the loss",
            details={**base, "applicable": False},
        )
    w = max(1, round(n * LOSS_WINDOW))
    first, last = float(values[:w].mean()), float(values[-w:].mean())
    rolling = np.convolve(values, np.ones(w) / w, mode="valid")
    best = float(rolling.min())
    change = (last - first) / max(abs(first), 1e-12)
    details = {
        **base,
        "window": w,
        "first": first,
        "last": last,
        "best": best,
        "relative_change": change,
        "min_drop": LOSS_MIN_DROP,
    }
    over = f"over {n} {_plural(curve.unit, n)} ({curve.source}; means of the first and last {w})"
    fell = f"{first:.4g} to {last:.4g}"
    if abs(first) <= 1e-12 and abs(last) <= 1e-12:
        return Finding(
            "training.loss_not_decreasing",
            Status.PASS,
            f"{name}'s training {curve.metric} is zero throughout {over}",
            details=details,
        )
    if change > -LOSS_MIN_DROP:
        trend = f"rose from {fell}" if change > LOSS_MIN_DROP else f"stayed flat, {fell},"
        return Finding(
            "training.loss_not_decreasing",
            Status.FAIL,
            f"{name}'s training {curve.metric} {trend} {over}; {curve.hint}",
            details=details,
        )
    if last - best > LOSS_GIVE_BACK * (first - best):
        return Finding(
            "training.loss_not_decreasing",
            Status.WARN,
            f"{name}'s training {curve.metric} fell from {first:.4g} to {best:.4g} and rose back "
            f"to {last:.4g} {over}; lower the learning rate",
            details=details,
        )
    return Finding(
        "training.loss_not_decreasing",
        Status.PASS,
        f"{name}'s training {curve.metric} fell from {fell} {over}",
        details=details,
    )


def _downsample(values: np.ndarray, k: int) -> list[float]:
    if len(values) <= k:
        return [float(v) for v in values]
    idx = np.unique(np.linspace(0, len(values) - 1, k).round().astype(int))
    return [float(values[i]) for i in idx]


def _plural(unit: str, n: int) -> str:
    return unit if n == 1 else unit + "s"


# --------------------------------------------------------------------------- reproducibility


def check_reproducible(
    fitted: Any,
    spec: SklearnSpec,
    evaluation: _Eval,
    pred: np.ndarray,
    seeded: tuple[str, ...],
    budget: Budget,
) -> Finding:
    """A second fit, seeded the same way, must predict the same."""
    name = type(spec.estimator).__name__
    again, _ = copy_seeded(spec.estimator, budget.seed)
    seed_text = (
        f"random_state={budget.seed}" if _has_random_state(again) else "the same global seed"
    )
    try:
        with _quiet():
            again.fit(spec.X, spec.y)
            pred2 = np.asarray(again.predict(evaluation.X))
            proba = _proba_pair(fitted, again, evaluation.X)
    except Exception as exc:
        return Finding(
            "training.not_reproducible",
            Status.WARN,
            f"a second fit of {name} with {seed_text} raised {type(exc).__name__}: "
            f"{_clip(_one_line(str(exc)), 200)}, though the first succeeded; look for "
            "unseeded randomness",
            details={"exception": type(exc).__name__, "seeded": list(seeded)},
        )
    n = len(pred)
    differ = _rows_differ(pred, pred2)
    if proba is not None and proba[0].shape == proba[1].shape:
        differ |= _rows_differ(proba[0], proba[1])
    count = int(differ.sum())
    details: dict[str, Any] = {
        "data": evaluation.x_name,
        "rows": n,
        "differ": count,
        "seed": budget.seed,
        "seeded": list(seeded),
        "rtol": REPRO_RTOL,
        "atol": REPRO_ATOL,
    }
    if pred.dtype.kind in "fc" and pred2.dtype.kind in "fc" and pred.shape == pred2.shape:
        gap = np.abs(pred.astype(float) - pred2.astype(float))
        details["max_abs_diff"] = float(np.nanmax(gap)) if gap.size else 0.0
    if count == 0:
        return Finding(
            "training.not_reproducible",
            Status.PASS,
            f"two fits with {seed_text} gave the same predictions on the {n} rows of "
            f"{evaluation.x_name}",
            details=details,
        )
    if _has_random_state(again):
        fix = (
            "something draws randomness outside random_state (np.random's global state, an "
            "unseeded generator, thread timing); pass random_state down to it"
        )
    else:
        fix = (
            f"{name} has no random_state parameter: add one and draw from "
            "np.random.default_rng(random_state)"
        )
    return Finding(
        "training.not_reproducible",
        Status.WARN,
        f"two fits of {name} with {seed_text} gave different predictions on {count} of {n} "
        f"rows of {evaluation.x_name}; {fix}",
        details=details,
    )


def _proba_pair(a: Any, b: Any, X: Any) -> tuple[np.ndarray, np.ndarray] | None:
    if not callable(getattr(a, "predict_proba", None)):
        return None
    try:
        pa, pb = a.predict_proba(X), b.predict_proba(X)
    except Exception:
        return None
    if isinstance(pa, list) or isinstance(pb, list):
        return None
    return np.asarray(pa), np.asarray(pb)


def _rows_differ(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    n = len(a)
    if a.shape != b.shape:
        return np.ones(n, dtype=bool)
    if a.dtype.kind in "fc" and b.dtype.kind in "fc":
        same = np.isclose(a, b, rtol=REPRO_RTOL, atol=REPRO_ATOL, equal_nan=True)
    else:
        same = a == b
    return ~np.asarray(same).reshape(n, -1).all(axis=1)


# --------------------------------------------------------------------------- helpers


def _not_judged(code: str, why: str) -> Finding:
    """A check that cannot apply because an earlier one found its input unusable."""
    return Finding(code, Status.SKIP, f"not judged: {why}", details={"applicable": False})


def _time_limit(budget: Budget, skipped: list[str]) -> Finding:
    return Finding(
        "training.time_limit",
        Status.WARN,
        f"the time limit of {budget.time_limit:g} s was spent before {', '.join(skipped)}; "
        "they were skipped: raise the time limit or fit on a sample",
        details={"time_limit": budget.time_limit, "skipped": skipped},
    )


def _is_classifier(estimator: Any, y: Any) -> bool:
    from sklearn.base import is_classifier, is_regressor

    try:
        if is_classifier(estimator):
            return True
        if is_regressor(estimator):
            return False
    except Exception:
        pass
    if hasattr(estimator, "classes_") or callable(getattr(estimator, "predict_proba", None)):
        return True
    return np.asarray(y).dtype.kind not in "fc"


def n_rows(data: Any) -> int:
    shape = getattr(data, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    return len(data)


def _parameters(func: Any) -> set[str]:
    if func is None:
        return set()
    try:
        return set(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        return set()


def _get_params(est: Any) -> dict[str, Any]:
    try:
        return dict(est.get_params(deep=False))
    except Exception:
        return {}


def _shape(shape: Sequence[int]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."
