"""Metrics come from sklearn.metrics; their per-row forms must give sklearn's value on
any resample (counts as sample weights)."""

import itertools

import numpy as np
import pytest
import sklearn.metrics as skm

from mlgate.evaluation.metrics import (
    METRICS,
    Scored,
    Truth,
    align_proba,
    applicable,
    encode_classes,
    expected_calibration_error,
    row_statistics,
    score,
)


def _classification(n=400, k=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 1.2
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return Truth("classification", y, tuple(range(k))), Scored(proba.argmax(axis=1), proba)


def _sklearn_value(name, y, pred, proba, weights):
    k = proba.shape[1] if proba is not None else None
    match name:
        case "accuracy":
            return skm.accuracy_score(y, pred, sample_weight=weights)
        case "balanced_accuracy":
            return skm.balanced_accuracy_score(y, pred, sample_weight=weights)
        case "macro_f1":
            return skm.f1_score(y, pred, average="macro", sample_weight=weights, zero_division=0)
        case "log_loss":
            return skm.log_loss(y, proba, labels=np.arange(k), sample_weight=weights)
        case "rmse":
            return skm.root_mean_squared_error(y, pred, sample_weight=weights)
        case "mae":
            return skm.mean_absolute_error(y, pred, sample_weight=weights)
        case "r2":
            return skm.r2_score(y, pred, sample_weight=weights)


@pytest.mark.parametrize("name", ["accuracy", "balanced_accuracy", "macro_f1", "log_loss"])
@pytest.mark.parametrize("k", [2, 4])
def test_per_row_form_equals_sklearn_on_resamples(name, k):
    truth, scored = _classification(k=k, seed=k)
    form = row_statistics(METRICS[name], truth, scored)
    rng = np.random.default_rng(1)
    counts = np.stack(
        [
            np.bincount(rng.integers(0, truth.rows, truth.rows), minlength=truth.rows)
            for _ in range(5)
        ]
    ).astype(float)
    values = form.value(counts @ form.columns, counts.sum(axis=1))
    for row, value in zip(counts, values, strict=True):
        expected = _sklearn_value(name, truth.y, scored.pred, scored.proba, row)
        assert value == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("name", ["rmse", "mae", "r2"])
def test_regression_per_row_form_equals_sklearn_on_resamples(name):
    rng = np.random.default_rng(3)
    y = rng.normal(10, 3, 300)
    truth, scored = Truth("regression", y), Scored(y + rng.normal(0, 1, 300))
    form = row_statistics(METRICS[name], truth, scored)
    counts = np.stack([np.bincount(rng.integers(0, 300, 300), minlength=300) for _ in range(4)])
    values = form.value(counts @ form.columns, counts.sum(axis=1).astype(float))
    for row, value in zip(counts, values, strict=True):
        assert value == pytest.approx(_sklearn_value(name, y, scored.pred, None, row), abs=1e-9)


def test_point_estimates_are_sklearns():
    truth, scored = _classification(k=3)
    assert score(METRICS["balanced_accuracy"], truth, scored) == pytest.approx(
        skm.balanced_accuracy_score(truth.y, scored.pred)
    )
    assert score(METRICS["roc_auc"], truth, scored) == pytest.approx(
        skm.roc_auc_score(truth.y, scored.proba, multi_class="ovr", average="macro")
    )
    binary, s2 = _classification(k=2)
    assert score(METRICS["roc_auc"], binary, s2) == pytest.approx(
        skm.roc_auc_score(binary.y, s2.proba[:, 1])
    )


def test_expected_calibration_error_matches_its_definition():
    # Guo et al. 2017: sum over bins of |bin| / N * |accuracy(bin) - confidence(bin)|.
    truth, scored = _classification(n=1000, k=3, seed=5)
    conf = scored.proba.max(axis=1)
    correct = scored.proba.argmax(axis=1) == truth.y
    edges = np.linspace(0, 1, 16)
    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        inside = (conf > lo) & (conf <= hi)
        if inside.any():
            total += inside.mean() * abs(correct[inside].mean() - conf[inside].mean())
    assert expected_calibration_error(truth.y, scored.proba) == pytest.approx(total, abs=1e-12)
    perfect = np.eye(3)[truth.y]
    assert expected_calibration_error(truth.y, perfect) == 0.0


def test_probability_metrics_do_not_apply_without_probabilities():
    truth, scored = _classification()
    assert "probabilities" in applicable(METRICS["roc_auc"], truth, Scored(scored.pred))
    assert applicable(METRICS["accuracy"], truth, Scored(scored.pred)) is None
    with pytest.raises(ValueError, match="probabilities"):
        score(METRICS["log_loss"], truth, Scored(scored.pred))


def test_classes_are_shared_between_models_and_the_target():
    classes, y, (a, b) = encode_classes(
        np.array(["b", "a", "c"]), [["a", "a", "d"], np.array(["c", "b", "a"])], [("a", "b")]
    )
    assert classes == ("a", "b", "c", "d")
    assert y.tolist() == [1, 0, 2] and a.tolist() == [0, 0, 3] and b.tolist() == [2, 1, 0]
    proba = align_proba(np.array([[0.2, 0.8]]), ("b", "a"), classes)
    assert proba.tolist() == [[0.8, 0.2, 0.0, 0.0]]


@pytest.mark.parametrize("k", [2, 3, 7])
def test_balanced_accuracy_of_codes_is_sklearns(k):
    from mlgate.evaluation.metrics import balanced_accuracy_codes

    rng = np.random.default_rng(k)
    y, pred = rng.integers(0, k, 500), rng.integers(0, k + 1, 500)  # a class y lacks
    with pytest.warns(UserWarning, match="y_pred contains classes not in y_true"):
        expected = skm.balanced_accuracy_score(y, pred)
    assert balanced_accuracy_codes(y, pred, k + 1) == pytest.approx(expected, abs=1e-12)


def test_ece_in_per_row_form_equals_ece_of_the_resampled_rows():
    from mlgate.evaluation.metrics import OneHotColumns
    from mlgate.evaluation.paired import Resampler

    truth, scored = _classification(n=300, k=3, seed=9)
    form = row_statistics(METRICS["ece"], truth, scored)
    assert isinstance(form.columns, OneHotColumns)  # never a dense (N, bins) matrix
    rng = np.random.default_rng(2)
    for _ in range(3):
        counts = np.bincount(rng.integers(0, 300, 300), minlength=300)
        rows = np.repeat(np.arange(300), counts)
        value = form.value((counts @ form.columns.dense())[None], np.array([300.0]))[0]
        expected = expected_calibration_error(truth.y[rows], scored.proba[rows])
        assert value == pytest.approx(expected, abs=1e-12)
    # The resampler takes the one-hot form as it is, grouped or not.
    for rows in (300, 30_000):
        t, sc = _classification(n=rows, k=3, seed=1)
        f = row_statistics(METRICS["ece"], t, sc)
        r = Resampler(rows, 50, seed=0)
        assert np.allclose(r.sums(f.columns), r.sums(f.columns.dense()))
