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

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from mlgate._seeding import seeded_globals
from mlgate.findings import Finding, Status
from mlgate.reports.evidence import LossSeries, TrainingEvidence
from mlgate.training.sklearn_common import (
    REPRO_ATOL,
    REPRO_RTOL,
    CaughtWarning,
    _capture,
    _clip,
    _has_random_state,
    _is_classifier,
    _not_judged,
    _one_line,
    _quiet,
    _time_limit,
    check_runtime_warnings,
    copy_seeded,
    n_rows,
)
from mlgate.training.sklearn_inputs import (
    check_input_finite,
    count_non_finite,
    fit_failed,
    fit_passed,
)
from mlgate.training.sklearn_loss import LossCurve, check_loss_decreasing
from mlgate.training.sklearn_predictions import _Eval, check_baseline, check_predictions
from mlgate.training.spec import Budget, SklearnSpec, SpecError

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
