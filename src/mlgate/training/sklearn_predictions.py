"""The scikit-learn checks of predictions (``training.invalid_predictions``) and of the
margin over a baseline, held by a permutation test to be no chance
(``training.no_better_than_baseline``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mlgate.findings import Finding, Status
from mlgate.training.sklearn_common import (
    ALPHA,
    MAX_NAMED,
    N_PERMUTATIONS,
    PERMUTATION_ROWS,
    PROBA_ATOL,
    CaughtWarning,
    _capture,
    _clip,
    _one_line,
    _quiet,
    _shape,
    n_rows,
)
from mlgate.training.spec import SklearnSpec, raised_at

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
