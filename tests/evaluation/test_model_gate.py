"""The model gate on real models and real data: a degraded candidate fails against its
baseline, the same pipeline retrained with other seeds passes, a better model passes."""

import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from mlgate.evaluation.check import check_model
from mlgate.evaluation.gate import ModelGateSettings
from mlgate.findings import Status
from tests.evaluation.conftest import noisy_labels


def _forest(seed=0):
    return RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=1)


def _overall(report, metric):
    [f] = [
        f
        for f in report.findings
        if f.name == "model.worse_than_baseline" and f.details.get("metric") == metric
    ]
    return f


def _check(split, model, baseline, **settings):
    return check_model(
        str(split.eval_path),
        split.target,
        model=model,
        baseline=baseline,
        settings=ModelGateSettings(**settings),
        cache_dir=None,
    )


def test_label_noise_in_training_fails_the_gate(digits, fitted):
    base = fitted("rf0", digits, _forest())
    noisy = fitted("rf-noisy", digits, _forest(1), y=noisy_labels(digits.y_train, 0.3, 10))
    report = _check(digits, noisy, base)
    primary = _overall(report, "balanced_accuracy")
    assert not report.passed and primary.status is Status.FAIL
    assert primary.details["verdict"] == "worse" and primary.details["gate"] is True
    assert primary.details["ci_high"] < -primary.details["margin"]
    assert "worse than main beyond the margin of 1.0 points" in primary.message
    assert all(f.stage == "model" for f in report.findings)


def test_an_important_feature_dropped_fails_the_gate(digits, fitted):
    base = fitted("rf0", digits, _forest())
    importance = _forest().fit(digits.X_train, digits.y_train).feature_importances_
    top = [digits.X_train.columns[i] for i in importance.argsort()[::-1][:16]]
    keep = [c for c in digits.X_train.columns if c not in top]
    dropped = make_pipeline(ColumnTransformer([("keep", "passthrough", keep)]), _forest(1))
    report = _check(digits, fitted("rf-dropped", digits, dropped), base)
    assert not report.passed
    assert _overall(report, "balanced_accuracy").details["verdict"] == "worse"


def test_a_preprocessing_bug_fails_the_gate(digits, fitted):
    # The candidate was trained on pixels divided by 16 by a step outside its saved
    # pipeline, so the pipeline gets raw pixels at evaluation: a classic skew bug.
    def make():
        return make_pipeline(StandardScaler(), MLPClassifier((64,), max_iter=300, random_state=0))

    base = fitted("mlp0", digits, make())
    buggy = fitted("mlp-bug", digits, make(), X=digits.X_train / 16 + 0.5)
    report = _check(digits, buggy, base)
    assert not report.passed
    assert _overall(report, "balanced_accuracy").details["verdict"] == "worse"


@pytest.mark.slow
@pytest.mark.parametrize(
    "name,make",
    [
        ("rf", _forest),
        ("gb", lambda s: GradientBoostingClassifier(n_estimators=40, random_state=s)),
        (
            "mlp",
            lambda s: make_pipeline(
                StandardScaler(), MLPClassifier((64,), max_iter=300, random_state=s)
            ),
        ),
    ],
)
def test_the_same_pipeline_retrained_with_other_seeds_passes(digits, fitted, name, make):
    base = fitted(f"{name}-seed0", digits, make(0))
    for seed in (1, 2):
        report = _check(digits, fitted(f"{name}-seed{seed}", digits, make(seed)), base)
        assert report.passed, [f.message for f in report.problems()]
        assert _overall(report, "balanced_accuracy").details["verdict"] != "worse"


def test_retraining_with_another_seed_passes(digits, fitted):
    report = _check(digits, fitted("rf1", digits, _forest(1)), fitted("rf0", digits, _forest()))
    assert report.passed, [f.message for f in report.problems()]


def test_a_better_model_passes_and_says_not_worse(digits, fitted):
    weak = fitted("tree", digits, DecisionTreeClassifier(max_depth=4, random_state=0))
    report = _check(digits, fitted("rf0", digits, _forest()), weak)
    assert report.passed
    primary = _overall(report, "balanced_accuracy")
    assert primary.details["verdict"] == "not_worse" and primary.details["difference"] > 0.1


def _without(columns, split):
    keep = [c for c in split.X_train.columns if c not in columns]
    return make_pipeline(
        ColumnTransformer([("keep", "passthrough", keep)]),
        GradientBoostingRegressor(random_state=0),
    )


def test_regression_that_lost_its_best_features_fails_on_rmse(diabetes, fitted):
    base = fitted("gbr0", diabetes, GradientBoostingRegressor(random_state=0))
    lost = ("bmi", "s5", "bp", "s4", "s6")
    report = _check(diabetes, fitted("gbr-lost", diabetes, _without(lost, diabetes)), base)
    rmse = _overall(report, "rmse")
    assert rmse.details["verdict"] == "worse" and rmse.status is Status.FAIL
    assert "%" in rmse.message  # errors are compared in percent of main's value


def test_a_drop_too_small_for_the_rows_is_inconclusive_and_says_how_many_rows(diabetes, fitted):
    # Two strong features dropped: RMSE rises ~4%, but 221 rows resolve only ~10%.
    base = fitted("gbr0", diabetes, GradientBoostingRegressor(random_state=0))
    small = fitted("gbr-small", diabetes, _without(("bmi", "s5"), diabetes))
    report = _check(diabetes, small, base)
    rmse = _overall(report, "rmse")
    assert rmse.details["verdict"] == "inconclusive" and rmse.status is Status.WARN
    assert report.passed  # a warning: the gate cannot tell, so it does not fail the PR
    assert "inconclusive; these rows can confirm only a change beyond" in rmse.message
    assert "rows would resolve the margin of 2.0%" in rmse.message


def test_slices_floors_and_the_dummy_are_reported(digits, fitted):
    model = fitted(
        "logit", digits, make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    )
    report = _check(digits, model, model, slices=("pixel_2_4",), floors={"balanced_accuracy": 0.99})
    floor = next(
        f
        for f in report.findings
        if f.name == "model.metric_floor"
        and f.column is None
        and f.details["metric"] == "balanced_accuracy"
    )
    assert floor.status is Status.FAIL and "below its floor 0.99" in floor.message
    slices = [f for f in report.findings if f.name == "model.slice_worse_than_baseline"]
    assert slices and all(f.column == "pixel_2_4" for f in slices)
    assert {f.status for f in slices} <= {Status.PASS, Status.SKIP}
    dummy = next(f for f in report.findings if f.name == "model.simpler_model_better")
    assert dummy.status is Status.PASS and "beats a most-frequent-class dummy" in dummy.message


def test_without_a_baseline_the_comparison_is_skipped_not_passed(digits, fitted):
    report = _check(digits, fitted("rf0", digits, _forest()), None)
    [skip] = [f for f in report.findings if f.name == "model.worse_than_baseline"]
    assert skip.status is Status.SKIP and "--baseline" in skip.message


def test_a_drop_that_holm_does_not_confirm_says_why_it_is_inconclusive():
    from dataclasses import replace

    from mlgate.evaluation.gate import _comparison_finding
    from mlgate.evaluation.metrics import METRICS
    from mlgate.evaluation.paired import Comparison

    c = Comparison(
        METRICS["accuracy"],
        0.90,
        0.95,
        -0.05,
        -0.08,
        -0.02,
        0.01,
        "exact McNemar",
        p_value=0.005,
        p_not_worse=0.99,
        rows=150,
        std_error=0.015,
    )
    alone = _comparison_finding(replace(c, p_adjusted=0.005), None, gate=True, note="", family=1)
    assert alone.status is Status.FAIL
    many = _comparison_finding(replace(c, p_adjusted=0.05), None, gate=True, note="", family=10)
    assert many.status is Status.WARN and many.details["verdict"] == "inconclusive"
    assert "on its own (p=0.005)" in many.message
    assert "across the 10 comparisons made at once (Holm-adjusted p=0.05)" in many.message
