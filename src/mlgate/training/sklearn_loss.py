"""The scikit-learn check that the training loss falls (``training.loss_not_decreasing``,
``training.loss_not_finite``), from whichever loss curve the estimator can give."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlgate.findings import Finding, Status
from mlgate.training.sklearn_common import (
    _HIGHER_IS_BETTER,
    LOSS_GIVE_BACK,
    LOSS_MIN_DROP,
    LOSS_WINDOW,
    N_ESTIMATORS_GRID,
    PARTIAL_FIT_CHUNKS,
    _clip,
    _get_params,
    _one_line,
    _parameters,
    _quiet,
    copy_seeded,
)
from mlgate.training.spec import Budget, SklearnSpec

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
