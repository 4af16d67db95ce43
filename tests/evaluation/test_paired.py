"""The paired non-inferiority tests: exact McNemar, DeLong, the paired bootstrap, Holm."""

import numpy as np
import pytest
from scipy.stats import binomtest

from mlgate.evaluation.metrics import METRICS, Scored, Truth, score
from mlgate.evaluation.paired import (
    BOOTSTRAP_GROUPS,
    Resampler,
    bootstrap_differences,
    compare,
    delong_std_error,
    holm,
)


def _pair(n, *, right_a, right_b, seed=0, k=2):
    """Truth and two label predictors right on about the given shares of rows."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    a = np.where(rng.random(n) < right_a, y, (y + 1) % k)
    b = np.where(rng.random(n) < right_b, y, (y + 1) % k)
    return Truth("classification", y, tuple(range(k))), Scored(a), Scored(b)


def test_mcnemar_interval_is_clopper_pearson_on_discordant_rows():
    truth, cand, base = _pair(500, right_a=0.8, right_b=0.85)
    c = compare(METRICS["accuracy"], truth, cand, base, margin=0.01)
    wins = int(np.sum((cand.pred == truth.y) & (base.pred != truth.y)))
    losses = int(np.sum((cand.pred != truth.y) & (base.pred == truth.y)))
    n = wins + losses
    ci = binomtest(wins, n).proportion_ci(0.95, method="exact")
    assert c.difference == pytest.approx((wins - losses) / 500)
    assert c.ci_low == pytest.approx(n / 500 * (2 * ci.low - 1))
    assert c.ci_high == pytest.approx(n / 500 * (2 * ci.high - 1))
    assert c.method == "exact McNemar" and c.details()["discordant"] == n


def test_identical_predictions_are_not_worse_exactly():
    truth, cand, _ = _pair(200, right_a=0.7, right_b=0.7)
    for name in ("accuracy", "balanced_accuracy", "macro_f1"):
        c = compare(METRICS[name], truth, cand, cand, margin=0.01)
        assert c.difference == 0 and c.verdict == "not_worse", name


def test_a_clear_drop_is_worse_and_a_small_sample_is_inconclusive():
    truth, cand, base = _pair(5000, right_a=0.80, right_b=0.90, seed=1)
    for name in ("accuracy", "balanced_accuracy"):
        assert compare(METRICS[name], truth, cand, base, margin=0.01).verdict == "worse"
    small, c2, b2 = _pair(60, right_a=0.86, right_b=0.88, seed=2)
    verdict = compare(METRICS["balanced_accuracy"], small, c2, b2, margin=0.01)
    assert verdict.verdict == "inconclusive"
    assert verdict.rows_for_half_width(0.01) > 60


def test_a_better_model_is_not_worse():
    truth, cand, base = _pair(3000, right_a=0.92, right_b=0.85, seed=3)
    assert compare(METRICS["macro_f1"], truth, cand, base, margin=0.01).verdict == "not_worse"


def test_lower_is_better_metrics_mirror_the_test():
    rng = np.random.default_rng(4)
    y = rng.normal(0, 1, 2000)
    truth = Truth("regression", y)
    good, bad = Scored(y + rng.normal(0, 0.5, 2000)), Scored(y + rng.normal(0, 0.8, 2000))
    assert compare(METRICS["rmse"], truth, bad, good, margin=0.02).verdict == "worse"
    assert compare(METRICS["rmse"], truth, good, bad, margin=0.02).verdict == "not_worse"
    c = compare(METRICS["rmse"], truth, bad, good, margin=0.02)
    assert c.margin == pytest.approx(0.02 * c.baseline)  # relative margin in metric units


def test_bootstrap_is_seeded_and_paired():
    truth, cand, base = _pair(800, right_a=0.8, right_b=0.82)
    m = METRICS["balanced_accuracy"]
    a = bootstrap_differences(m, truth, cand, base, seed=7, resamples=200)
    b = bootstrap_differences(m, truth, cand, base, seed=7, resamples=200)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, bootstrap_differences(m, truth, cand, base, seed=8, resamples=200))
    # Paired: the same model against itself differs by exactly 0 on every resample.
    assert np.all(bootstrap_differences(m, truth, cand, cand, resamples=100) == 0)


def test_random_groups_keep_the_variance_of_row_resampling():
    rng = np.random.default_rng(5)
    n = BOOTSTRAP_GROUPS * 5
    column = rng.exponential(1.0, n)[:, None]
    sums = Resampler(n, 400, seed=0).sums(np.hstack([column, np.ones((n, 1))]))
    means = sums[:, 0] / sums[:, 1]
    expected_se = column.std() / np.sqrt(n)
    assert np.std(means, ddof=1) == pytest.approx(expected_se, rel=0.15)
    assert sums[:, 1].mean() == pytest.approx(n, rel=1e-3)


def test_delong_standard_error_agrees_with_the_bootstrap():
    rng = np.random.default_rng(6)
    n = 1500
    y = rng.integers(0, 2, n)
    signal = y + rng.normal(0, 1.0, n)
    p_a = 1 / (1 + np.exp(-(signal + rng.normal(0, 0.6, n))))
    p_b = 1 / (1 + np.exp(-(signal + rng.normal(0, 0.6, n))))
    truth = Truth("classification", y, (0, 1))
    pa, pb = np.column_stack([1 - p_a, p_a]), np.column_stack([1 - p_b, p_b])
    se = delong_std_error(truth, pa, pb)
    diffs = []
    auc = METRICS["roc_auc"]
    for _ in range(300):
        rows = rng.integers(0, n, n)
        t = truth.subset(rows)
        diffs.append(
            score(auc, t, Scored(pa[rows].argmax(1), pa[rows]))
            - score(auc, t, Scored(pb[rows].argmax(1), pb[rows]))
        )
    assert se == pytest.approx(np.std(diffs, ddof=1), rel=0.2)


def test_holm_adjusts_upwards_in_step_down_order():
    truth, cand, base = _pair(400, right_a=0.8, right_b=0.83)
    cs = [
        compare(METRICS[n], truth, cand, base, margin=0.01)
        for n in ("accuracy", "balanced_accuracy", "macro_f1")
    ]
    adjusted = holm(cs)
    order = np.argsort([c.p_value for c in cs])
    assert adjusted[order[0]].p_adjusted == pytest.approx(min(1.0, 3 * cs[order[0]].p_value))
    assert all(a.p_adjusted >= c.p_value for a, c in zip(adjusted, cs, strict=True))
