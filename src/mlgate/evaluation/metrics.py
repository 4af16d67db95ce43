"""Model metrics: scored with ``sklearn.metrics``, and in a form the paired bootstrap can
resample.

Every point estimate in a report comes from ``sklearn.metrics`` (accuracy, balanced
accuracy, macro F1, ROC AUC, log loss, RMSE, MAE, R²). Expected calibration error is not
in scikit-learn; it is the top-label ECE of Guo et al., "On Calibration of Modern Neural
Networks" (ICML 2017), with 15 equal-width confidence bins.

The paired bootstrap needs each metric on a thousand resamples of a million rows, where
a thousand calls into scikit-learn per metric would take minutes. So each metric is
also written as per-row statistics whose sums give the metric (``row_statistics`` and
``from_sums``): a resample is then a count per row, and every resample's metric is one
matrix product away. Tests hold these to scikit-learn's own value, given the resample
counts as ``sample_weight``, to 1e-9.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Task = Literal["classification", "regression"]
TASKS: tuple[Task, ...] = ("classification", "regression")

#: Confidence bins of the expected calibration error (Guo et al. 2017 use 15).
ECE_BINS = 15


@dataclass(frozen=True)
class Metric:
    """What mlgate knows about one metric.

    ``relative_margin``: the non-inferiority margin is a fraction of the baseline's value
    (errors such as RMSE: 0.02 is 2%), else it is in the metric's own units (rates such
    as accuracy: 0.01 is one percentage point). ``method`` is how two models' values on
    the same rows are compared.
    """

    name: str
    label: str
    task: Task
    higher_is_better: bool
    relative_margin: bool
    default_margin: float
    needs_proba: bool
    method: str

    @property
    def bounds(self) -> tuple[float, float]:
        """The values the metric can take: [0, 1] for rates, (-inf, 1] for R², and
        [0, inf) for errors."""
        if self.name == "r2":
            return (float("-inf"), 1.0)
        if self.higher_is_better or self.name == "ece":
            return (0.0, 1.0)
        return (0.0, float("inf"))


def _rate(
    name: str, label: str, *, proba: bool = False, method: str = "paired bootstrap"
) -> Metric:
    return Metric(name, label, "classification", True, False, 0.01, proba, method)


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        _rate("accuracy", "accuracy", method="exact McNemar"),
        _rate("balanced_accuracy", "balanced accuracy"),
        _rate("macro_f1", "macro F1"),
        _rate("roc_auc", "ROC AUC", proba=True, method="DeLong"),
        Metric(
            "log_loss", "log loss", "classification", False, True, 0.02, True, "paired bootstrap"
        ),
        Metric(
            "ece",
            "expected calibration error",
            "classification",
            False,
            False,
            0.01,
            True,
            "paired bootstrap",
        ),
        Metric("rmse", "RMSE", "regression", False, True, 0.02, False, "paired bootstrap"),
        Metric("mae", "MAE", "regression", False, True, 0.02, False, "paired bootstrap"),
        Metric("r2", "R²", "regression", True, False, 0.01, False, "paired bootstrap"),
    )
}

#: The metric that decides the gate unless mlgate.yaml names another.
PRIMARY: dict[Task, str] = {"classification": "balanced_accuracy", "regression": "rmse"}


def metrics_for(task: Task) -> list[Metric]:
    return [m for m in METRICS.values() if m.task == task]


@dataclass(frozen=True)
class Truth:
    """The evaluation rows' target: class codes ``0..K-1`` into ``classes`` (classification,
    shape (N,), int) or values (regression, shape (N,), float)."""

    task: Task
    y: np.ndarray
    classes: tuple[Any, ...] = ()

    @property
    def rows(self) -> int:
        return len(self.y)

    def subset(self, rows: np.ndarray) -> Truth:
        return Truth(self.task, self.y[rows], self.classes)


@dataclass(frozen=True)
class Scored:
    """One model's predictions on the evaluation rows, aligned with ``Truth``.

    ``pred``: (N,) class codes into ``Truth.classes`` or regression values; ``proba``:
    (N, K) class probabilities in ``Truth.classes`` order, or None.
    """

    pred: np.ndarray
    proba: np.ndarray | None = None

    def subset(self, rows: np.ndarray) -> Scored:
        return Scored(self.pred[rows], None if self.proba is None else self.proba[rows])


def applicable(metric: Metric, truth: Truth, *scored: Scored) -> str | None:
    """Why ``metric`` cannot be computed here, or None when it can."""
    if metric.needs_proba and any(s.proba is None for s in scored):
        return "needs class probabilities, and a model gives none (no predict_proba)"
    if metric.name == "roc_auc" and len(np.unique(truth.y)) < 2:
        return "needs rows of at least two classes"
    if metric.name == "r2" and truth.rows < 2:
        return "needs at least two rows"
    if truth.rows == 0:
        return "no rows"
    return None


def score(metric: Metric, truth: Truth, scored: Scored) -> float:
    """The metric's value, from ``sklearn.metrics`` (ECE: Guo et al. 2017).

    Raises ``ValueError`` when the metric does not apply (see ``applicable``).
    """
    import sklearn.metrics as skm

    why = applicable(metric, truth, scored)
    if why is not None:
        raise ValueError(f"{metric.name}: {why}")
    y, pred, proba = truth.y, scored.pred, scored.proba
    with warnings.catch_warnings():
        # e.g. "y_pred contains classes not in y_true": the metric is still defined.
        warnings.simplefilter("ignore")
        match metric.name:
            case "accuracy":
                return float(skm.accuracy_score(y, pred))
            case "balanced_accuracy":
                return float(skm.balanced_accuracy_score(y, pred))
            case "macro_f1":
                return float(skm.f1_score(y, pred, average="macro", zero_division=0))
            case "roc_auc":
                assert proba is not None
                return float(
                    np.mean([skm.roc_auc_score(y == k, proba[:, k]) for k in _auc_classes(truth)])
                )
            case "log_loss":
                assert proba is not None
                return float(skm.log_loss(y, proba, labels=np.arange(len(truth.classes))))
            case "ece":
                assert proba is not None
                return expected_calibration_error(y, proba)
            case "rmse":
                return float(skm.root_mean_squared_error(y, pred))
            case "mae":
                return float(skm.mean_absolute_error(y, pred))
            case "r2":
                return float(skm.r2_score(y, pred))
    raise ValueError(f"unknown metric {metric.name!r}")  # pragma: no cover


def _auc_classes(truth: Truth) -> list[int]:
    """Classes whose one-vs-rest AUC is defined: present in y with some rows not of them.

    Two classes: the second (scikit-learn's positive label); more: every class present,
    averaged (one-vs-rest, macro), as ``roc_auc_score(multi_class="ovr")`` does.
    """
    present = np.unique(truth.y)
    if len(truth.classes) == 2:
        return [1]
    return [int(k) for k in present] if len(present) > 1 else []


def expected_calibration_error(y: np.ndarray, proba: np.ndarray, bins: int = ECE_BINS) -> float:
    """Top-label expected calibration error (Guo et al. 2017): the row-weighted mean gap
    between confidence (the largest probability) and accuracy over equal-width bins.

    ``y``: (N,) class codes; ``proba``: (N, K). Returns a value in [0, 1].
    """
    gaps = _ece_gaps(y, proba, bins)
    per_bin = np.bincount(gaps.index, weights=gaps.weights, minlength=bins)
    return float(np.abs(per_bin).sum() / len(y))


@dataclass(frozen=True)
class OneHotColumns:
    """(N, k) columns that are zero but for one per row: row i holds ``weights[i]`` in
    column ``index[i]``. Kept in this form, a million rows by 15 bins cost two vectors,
    not a 120 MB matrix."""

    index: np.ndarray
    weights: np.ndarray
    k: int

    def dense(self) -> np.ndarray:
        out = np.zeros((len(self.index), self.k))
        out[np.arange(len(self.index)), self.index] = self.weights
        return out


def _ece_gaps(y: np.ndarray, proba: np.ndarray, bins: int) -> OneHotColumns:
    """Each row's confidence minus its correctness, in its confidence bin."""
    confidence = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == y).astype(float)
    # Bin b holds confidences in (b/bins, (b+1)/bins]; 0 joins the first bin.
    which = np.clip(np.ceil(confidence * bins).astype(np.intp) - 1, 0, bins - 1)
    return OneHotColumns(which, confidence - correct, bins)


# --------------------------------------------------------------------------- resampling


@dataclass(frozen=True)
class Resampleable:
    """A metric as per-row statistics and a function of their sums.

    ``columns``: (N, k) float per-row statistics (dense, or ``OneHotColumns``);
    ``value(sums, n)``: the metric for sums
    of shape (B, k) over resamples of n rows, shape (B,).
    """

    columns: np.ndarray | OneHotColumns
    value: Callable[[np.ndarray, Any], np.ndarray]


def row_statistics(metric: Metric, truth: Truth, scored: Scored) -> Resampleable:
    """The per-row form of ``metric`` for one model (not ROC AUC, compared by DeLong)."""
    y, pred = truth.y, scored.pred
    k = len(truth.classes)
    match metric.name:
        case "accuracy":
            return Resampleable((pred == y).astype(float)[:, None], lambda s, n: s[:, 0] / n)
        case "balanced_accuracy":
            cols = np.hstack([_one_hot(y, k), _one_hot(y, k) * (pred == y)[:, None]])
            return Resampleable(cols, lambda s, n: _balanced(s[:, :k], s[:, k:]))
        case "macro_f1":
            hit = _one_hot(y, k) * (pred == y)[:, None]
            cols = np.hstack([_one_hot(y, k), _one_hot(pred, k), hit])
            return Resampleable(
                cols, lambda s, n: _macro_f1(s[:, :k], s[:, k : 2 * k], s[:, 2 * k :])
            )
        case "log_loss":
            assert scored.proba is not None
            return Resampleable(_row_log_loss(y, scored.proba)[:, None], lambda s, n: s[:, 0] / n)
        case "ece":
            assert scored.proba is not None
            gaps = _ece_gaps(y, scored.proba, ECE_BINS)
            return Resampleable(gaps, lambda s, n: np.abs(s).sum(axis=1) / n)
        case "rmse":
            e2 = (y - pred) ** 2
            return Resampleable(e2[:, None], lambda s, n: np.sqrt(s[:, 0] / n))
        case "mae":
            return Resampleable(np.abs(y - pred)[:, None], lambda s, n: s[:, 0] / n)
        case "r2":
            cols = np.column_stack([(y - pred) ** 2, y, y * y])
            return Resampleable(cols, _r2_from_sums)
    raise ValueError(f"{metric.name} has no per-row form; it is compared by {metric.method}")


def balanced_accuracy_codes(y: np.ndarray, pred: np.ndarray, k: int) -> float:
    """scikit-learn's ``balanced_accuracy_score`` for class codes ``0..k-1`` of shape (N,),
    in NumPy, for loops of hundreds of label permutations (``balanced_accuracy_score``
    takes milliseconds a call). The tests hold it to scikit-learn's value."""
    count = np.bincount(y, minlength=k).astype(float)[None]
    hits = np.bincount(y[y == pred], minlength=k).astype(float)[None]
    return float(_balanced(count, hits)[0])


def _one_hot(codes: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros((len(codes), k))
    out[np.arange(len(codes)), codes] = 1.0
    return out


def _balanced(count: np.ndarray, hits: np.ndarray) -> np.ndarray:
    """Mean recall over the classes present (scikit-learn's balanced_accuracy_score)."""
    present = count > 0
    recall = np.divide(hits, count, out=np.zeros_like(hits), where=present)
    return recall.sum(axis=1) / np.maximum(present.sum(axis=1), 1)


def _macro_f1(true: np.ndarray, pred: np.ndarray, hits: np.ndarray) -> np.ndarray:
    """Mean F1 = 2TP / (|true| + |pred|) over the labels in y or the predictions."""
    seen = (true + pred) > 0
    f1 = np.divide(2 * hits, true + pred, out=np.zeros_like(hits), where=seen)
    return f1.sum(axis=1) / np.maximum(seen.sum(axis=1), 1)


def _row_log_loss(y: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """Per-row cross-entropy as scikit-learn's log_loss takes it: probabilities clipped to
    [eps, 1 - eps] for their dtype's eps, then each row renormalised."""
    eps = np.finfo(proba.dtype).eps
    clipped = np.clip(proba, eps, 1 - eps)
    clipped = clipped / clipped.sum(axis=1, keepdims=True)
    return -np.log(clipped[np.arange(len(y)), y])


def _r2_from_sums(s: np.ndarray, n: int) -> np.ndarray:
    """1 - SSE/SST, with scikit-learn's choice for a constant target: 1 if SSE is 0, else 0."""
    sse, sy, syy = s[:, 0], s[:, 1], s[:, 2]
    sst = syy - sy * sy / n
    # SST below rounding noise of its own terms counts as a constant target.
    constant = sst <= 1e-12 * np.maximum(syy, 1e-300)
    safe = np.where(constant, 1.0, sst)
    return np.where(constant, np.where(sse <= 0, 1.0, 0.0), 1.0 - sse / safe)


# --------------------------------------------------------------------------- encoding


def encode_classes(
    y: Sequence[Any], preds: Sequence[Sequence[Any]], proba_classes: Sequence[Sequence[Any]]
) -> tuple[tuple[Any, ...], np.ndarray, list[np.ndarray]]:
    """Shared class codes for the target, each model's labels and probability columns.

    Returns (classes, y codes (N,), one (N,) code array per entry of ``preds``). Classes
    are the sorted union of every label seen (scikit-learn's order), so codes of two
    models mean the same class.
    """
    # Distinct labels per array first (NumPy, fast); Python sees only the few distinct.
    parts = [_distinct(y), *(_distinct(p) for p in preds)]
    seen: set[Any] = {v for uniques, _ in parts for v in uniques}
    for c in proba_classes:
        seen.update(_plain_list(c))
    try:
        classes = tuple(sorted(seen))
    except TypeError:  # labels of mixed types: order them by their text
        classes = tuple(sorted(seen, key=repr))
    index = {c: i for i, c in enumerate(classes)}
    codes = [
        np.array([index[v] for v in uniques], dtype=np.intp)[inverse] for uniques, inverse in parts
    ]
    return classes, codes[0], codes[1:]


def _distinct(values: Any) -> tuple[list[Any], np.ndarray]:
    """The distinct labels of ``values`` (as Python scalars) and each value's index
    into them, shape (N,)."""
    array = np.asarray(values)
    try:
        uniques, inverse = np.unique(array, return_inverse=True)
    except TypeError:  # objects of mixed types: NumPy cannot sort them
        lookup: dict[Any, int] = {}
        inverse = np.array([lookup.setdefault(v, len(lookup)) for v in _plain_list(array)])
        return list(lookup), inverse.astype(np.intp)
    return _plain_list(uniques), inverse.reshape(-1).astype(np.intp)


def align_proba(proba: np.ndarray, columns: Sequence[Any], classes: Sequence[Any]) -> np.ndarray:
    """Probability columns reordered to ``classes``; a class the model lacks gets 0."""
    index = {c: i for i, c in enumerate(_plain_list(columns))}
    out = np.zeros((proba.shape[0], len(classes)))
    for j, c in enumerate(classes):
        if c in index:
            out[:, j] = proba[:, index[c]]
    return out


def _plain_list(values: Any) -> list[Any]:
    """Python scalars (NumPy's ``np.str_('a')`` and ``'a'`` must be one class)."""
    return np.asarray(values, dtype=object).tolist() if len(values) else []
