"""The scikit-learn-like training checks against broken setups and clean ones."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("sklearn")

import pandas as pd
import polars as pl
from scipy import sparse
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.linear_model import LinearRegression, LogisticRegression, SGDClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from mlgate.findings import Finding, Status
from mlgate.training.gate import check_training
from mlgate.training.sklearn_checks import check_sklearn
from mlgate.training.sklearn_loss import LossCurve, judge_loss_curve
from mlgate.training.spec import Budget, SklearnSpec, SpecError
from tests.training import broken_sklearn as broken

ALL_CODES = {
    "training.input_not_finite",
    "training.fit_failed",
    "training.invalid_predictions",
    "training.runtime_warning",
    "training.no_better_than_baseline",
    "training.loss_not_decreasing",
    "training.not_reproducible",
}


# ------------------------------------------------------------------ tiny data


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny fits are faster on one thread than waiting on an OpenMP pool."""
    with threadpool_limits(1):
        yield


def blobs(n_per_class: int = 20, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Iris-like: three well separated classes in four features."""
    rng = np.random.default_rng(seed)
    centers = np.array([[0, 0, 0, 0], [3, 3, 0, 0], [0, 3, 3, 1]], dtype=float)
    X = np.concatenate([c + rng.normal(size=(n_per_class, 4)) for c in centers])
    y = np.repeat([0, 1, 2], n_per_class)
    order = rng.permutation(len(y))
    return X[order], y[order]


def linear(n: int = 80, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, X @ np.array([1.5, -2.0, 0.5]) + 1.0 + 0.1 * rng.normal(size=n)


def penguins_frame(n: int = 90, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    species = rng.integers(0, 3, n)
    islands = np.array(["Biscoe", "Dream", "Torgersen"])[(species + (rng.random(n) < 0.2)) % 3]
    X = pd.DataFrame(
        {
            "island": islands,
            "bill_length_mm": 38 + 5 * species + rng.normal(size=n),
            "body_mass_g": 3700 + 600 * (species == 2) + 200 * rng.normal(size=n),
        }
    )
    return X, np.array(["Adelie", "Chinstrap", "Gentoo"])[species]


def one_hot_pipeline():
    return make_pipeline(
        ColumnTransformer(
            [
                ("island", OneHotEncoder(handle_unknown="ignore"), ["island"]),
                ("numbers", StandardScaler(), ["bill_length_mm", "body_mass_g"]),
            ]
        ),
        LogisticRegression(),
    )


def run(estimator, X, y, X_valid=None, y_valid=None, **budget) -> list[Finding]:
    findings = check_sklearn(SklearnSpec(estimator, X, y, X_valid, y_valid), Budget(**budget))
    json.dumps([f.to_dict() for f in findings], allow_nan=False)  # reports can carry them
    assert all("\n" not in f.message for f in findings)
    return findings


def only(findings: list[Finding], code: str) -> Finding:
    matches = [f for f in findings if f.name == code]
    assert len(matches) == 1, [f.to_dict() for f in findings]
    return matches[0]


def codes(findings: list[Finding]) -> set[str]:
    return {f.name for f in findings}


def assert_all_pass(findings: list[Finding], skipped: frozenset[str] = frozenset()) -> None:
    """Every check reported; those in ``skipped`` skipped (not applicable), the rest passed."""
    assert codes(findings) == ALL_CODES
    assert {f.name for f in findings if f.status is Status.SKIP} == skipped
    bad = [f.to_dict() for f in findings if f.status not in (Status.PASS, Status.SKIP)]
    assert not bad, bad


NO_LOSS_CURVE = frozenset({"training.loss_not_decreasing"})


# ------------------------------------------------------------------ clean setups pass


def test_logistic_regression_on_blobs_passes_every_check():
    X, y = blobs()
    Xv, yv = blobs(seed=1)
    findings = run(LogisticRegression(), X, y, Xv, yv)
    assert_all_pass(findings, skipped=NO_LOSS_CURVE)
    baseline = only(findings, "training.no_better_than_baseline")
    assert "the validation data" in baseline.message
    assert baseline.details["baseline"] == pytest.approx(1 / 3)
    assert baseline.details["margin"] > 0.5
    loss = only(findings, "training.loss_not_decreasing")
    assert loss.status is Status.SKIP
    assert loss.message.startswith("not applicable: LogisticRegression has no loss curve")


def test_one_hot_pipeline_on_pandas_passes_every_check():
    X, y = penguins_frame()
    Xv, yv = penguins_frame(seed=1)
    findings = run(one_hot_pipeline(), X, y, Xv, yv)
    assert_all_pass(findings, skipped=NO_LOSS_CURVE)
    assert "predict_proba rows sum to 1" in only(findings, "training.invalid_predictions").message


def test_gradient_boosting_regressor_passes_every_check_and_its_loss_falls():
    X, y = linear()
    findings = run(GradientBoostingRegressor(n_estimators=30, max_depth=2), X, y)
    assert_all_pass(findings)
    loss = only(findings, "training.loss_not_decreasing")
    assert loss.details["source"] == "staged_predict"
    assert "mean squared error fell from" in loss.message
    baseline = only(findings, "training.no_better_than_baseline")
    assert "the training data (no X_valid given" in baseline.message
    assert baseline.details["metric"] == "r2"


def test_the_users_estimator_and_random_state_are_left_untouched():
    X, y = blobs()
    forest = RandomForestClassifier(n_estimators=5)
    logistic = LogisticRegression()
    for estimator in (forest, logistic):
        run(estimator, X, y)
    assert forest.random_state is None
    assert not hasattr(forest, "estimators_")
    assert not hasattr(logistic, "coef_")


def test_unseeded_random_forest_is_reproducible_because_mlgate_seeds_it():
    X, y = blobs()
    finding = only(run(RandomForestClassifier(n_estimators=5), X, y), "training.not_reproducible")
    assert finding.status is Status.PASS
    assert finding.details["seeded"] == ["random_state"]
    assert "random_state=0" in finding.message


def test_same_input_gives_the_same_findings_and_restores_global_random_state():
    state = np.random.get_state()[1].copy()
    first = [f.to_dict() for f in run(broken.IgnoresRandomStateRegressor(), *linear())]
    second = [f.to_dict() for f in run(broken.IgnoresRandomStateRegressor(), *linear())]
    assert first == second
    assert (np.random.get_state()[1] == state).all()


def test_a_duck_typed_estimator_is_deep_copied_not_fitted_in_place():
    X, y = linear()
    estimator = broken.DuckTypedRegressor()
    findings = run(estimator, X, y)
    assert_all_pass(findings, skipped=NO_LOSS_CURVE)
    assert estimator.fitted is False


def test_check_training_runs_a_dict_spec_through_the_gate():
    X, y = blobs()
    report = check_training({"estimator": LogisticRegression(), "X": X, "y": y})
    assert report.passed
    assert "scikit-learn" in report.title
    assert {f.stage for f in report.findings} == {"training:LogisticRegression"}
    named = check_training({"estimator": LogisticRegression(), "X": X, "y": y}, stage="mine")
    assert {f.stage for f in named.findings} == {"mine"}


# ------------------------------------------------------------------ input_not_finite


def test_nan_in_a_pandas_column_fails_naming_the_column_instead_of_a_traceback():
    X, y = penguins_frame()
    X.loc[[3, 10, 40], "bill_length_mm"] = np.nan
    findings = run(one_hot_pipeline(), X, y)
    assert codes(findings) == {"training.input_not_finite", "training.fit_failed"}
    finding = only(findings, "training.input_not_finite")
    assert finding.status is Status.FAIL
    assert finding.column == "bill_length_mm"
    assert (
        "X holds NaN, null or inf in 1 column of 90 rows: 'bill_length_mm' (3 NaN)"
        in finding.message
    )
    assert "SimpleImputer" in finding.message
    assert finding.details["columns"] == {"bill_length_mm": {"nan": 3, "null": 0, "inf": 0}}
    fit = only(findings, "training.fit_failed")
    assert fit.status is Status.FAIL
    assert "raised ValueError" in fit.message
    assert "likely cause: NaN or inf in X" in fit.message


def test_nan_that_the_estimator_handles_passes_and_says_so():
    X, y = blobs()
    X[[1, 5], 2] = np.nan
    findings = run(HistGradientBoostingClassifier(max_iter=10), X, y)
    finding = only(findings, "training.input_not_finite")
    assert finding.status is Status.PASS
    assert "column 2 (2 NaN)" in finding.message
    assert "handles missing values" in finding.message
    assert only(findings, "training.fit_failed").status is Status.PASS


def test_inf_in_a_numpy_column_fails_naming_its_index():
    X, y = blobs()
    X[7, 1] = np.inf
    finding = only(run(LogisticRegression(), X, y), "training.input_not_finite")
    assert finding.status is Status.FAIL
    assert finding.column is None
    assert "column 1 (1 inf)" in finding.message
    assert "division by zero" in finding.message


def test_inf_that_the_estimator_accepts_warns():
    X, y = blobs()
    X[0, 0] = -np.inf
    finding = only(run(broken.MajorityClassifier(), X, y), "training.input_not_finite")
    assert finding.status is Status.WARN
    assert "inf is rarely meant" in finding.message


def test_nulls_in_a_polars_frame_and_nan_in_a_sparse_matrix_are_named():
    X, y = blobs()
    frame = pl.DataFrame(X, schema=["a", "b", "c", "d"]).with_columns(
        pl.when(pl.int_range(pl.len()) < 2).then(None).otherwise(pl.col("c")).alias("c")
    )
    finding = only(run(LogisticRegression(), frame, y), "training.input_not_finite")
    assert (finding.status, finding.column) == (Status.FAIL, "c")
    assert "'c' (2 null)" in finding.message

    matrix = sparse.csr_matrix(X)
    matrix.data[matrix.indices == 3] = np.nan
    finding = only(run(LogisticRegression(), matrix, y), "training.input_not_finite")
    assert finding.status is Status.FAIL
    assert "column 3 (60 NaN)" in finding.message


def test_nan_in_x_valid_that_predict_cannot_take_fails():
    X, y = blobs()
    Xv, yv = blobs(seed=1)
    Xv[4, 0] = np.nan
    findings = run(LogisticRegression(), X, y, Xv, yv)
    finding = only(findings, "training.input_not_finite")
    assert finding.status is Status.FAIL
    assert finding.message.startswith("X_valid holds NaN, null or inf in 1 column of 60 rows")
    assert "predict raised" in finding.message
    predictions = only(findings, "training.invalid_predictions")
    assert predictions.status is Status.FAIL
    assert predictions.message.startswith("predict(X_valid) raised ValueError")


def test_nan_in_the_target_fails():
    X, y = linear()
    y[[0, 4]] = np.nan
    findings = run(LinearRegression(), X, pd.Series(y, name="price"))
    finding = only(findings, "training.input_not_finite")
    assert (finding.status, finding.column) == (Status.FAIL, "price")
    assert finding.message.startswith("y holds 2 NaN of 80 rows")


# ------------------------------------------------------------------ fit_failed


def test_fit_that_raises_gives_the_error_in_one_line_and_skips_the_rest():
    X, y = blobs()
    findings = run(broken.SchemaMismatchClassifier(), X, y)
    assert codes(findings) == {"training.input_not_finite", "training.fit_failed"}
    finding = only(findings, "training.fit_failed")
    assert finding.status is Status.FAIL
    assert (
        "SchemaMismatchClassifier.fit raised RuntimeError: expected 7 feature columns, got 4"
        in finding.message
    )
    assert "broken_sklearn.py:" in finding.message
    assert "\n" not in finding.message
    assert finding.details["exception"] == "RuntimeError"


# ------------------------------------------------------------------ invalid_predictions


def test_nan_predictions_fail_and_the_runtime_warning_is_reported():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = 2 * X[:, 0] + 0.5 + 0.1 * rng.normal(size=60)  # some targets below zero
    findings = run(broken.LogTargetRegressor(), X, y)
    finding = only(findings, "training.invalid_predictions")
    assert finding.status is Status.FAIL
    assert "predict(X) returned" in finding.message
    assert "NaN" in finding.message
    assert finding.details["nan"] > 0
    warned = only(findings, "training.runtime_warning")
    assert warned.status is Status.WARN
    assert warned.message.startswith("RuntimeWarning during predict")
    # The checks that need usable predictions say why they were not judged.
    for code in ("training.no_better_than_baseline", "training.not_reproducible"):
        skipped = only(findings, code)
        assert skipped.status is Status.SKIP
        assert skipped.message == (
            "not judged: the predictions on X are unusable (see training.invalid_predictions)"
        )


def test_predictions_shaped_as_a_column_fail():
    X, y = linear()
    finding = only(run(broken.ColumnVectorRegressor(), X, y), "training.invalid_predictions")
    assert finding.status is Status.FAIL
    assert "predict(X) returned shape (80, 1); expected (80,) like y" in finding.message
    assert ".ravel()" in finding.message


def test_probabilities_that_do_not_sum_to_one_fail():
    X, y = blobs()
    finding = only(run(broken.UnnormalisedProbaClassifier(), X, y), "training.invalid_predictions")
    assert finding.status is Status.FAIL
    assert "predict_proba(X) rows do not sum to 1" in finding.message
    assert "softmax" in finding.message


def test_predicting_class_indices_instead_of_labels_fails():
    X, y = blobs()
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    finding = only(
        run(broken.IndexInsteadOfLabelClassifier(), X, labels), "training.invalid_predictions"
    )
    assert finding.status is Status.FAIL
    assert "returned labels never seen in y: [0, 1, 2]" in finding.message


# ------------------------------------------------------------------ no_better_than_baseline


def test_shuffled_validation_labels_cannot_beat_the_baseline():
    X, y = blobs()
    Xv, yv = blobs(seed=1)
    yv = np.random.default_rng(5).permutation(yv)
    finding = only(run(LogisticRegression(), X, y, Xv, yv), "training.no_better_than_baseline")
    assert finding.status is Status.FAIL
    assert "the validation data" in finding.message
    assert "most-frequent-class baseline" in finding.message
    assert "check that X and y rows line up" in finding.message
    assert finding.details["data"] == "validation"
    assert {"score", "baseline", "margin", "p_value", "accuracy"} <= set(finding.details)


def test_a_model_equal_to_the_baseline_fails():
    X, y = blobs()
    finding = only(run(broken.MajorityClassifier(), X, y), "training.no_better_than_baseline")
    assert finding.status is Status.FAIL
    assert finding.message.startswith("no better than the most-frequent-class baseline")
    assert "margin +0.000" in finding.message


def test_a_regressor_on_a_misaligned_target_fails():
    X, y = linear()
    Xv, yv = linear(seed=1)
    yv = np.sort(yv)  # sorted on its own: rows no longer match X_valid
    finding = only(run(LinearRegression(), X, y, Xv, yv), "training.no_better_than_baseline")
    assert finding.status is Status.FAIL
    assert "mean baseline" in finding.message
    assert "R^2" in finding.message
    assert finding.details["mse"] > finding.details["baseline_mse"]


def test_a_margin_within_chance_on_few_rows_fails_and_asks_for_more_rows():
    y = np.repeat([0, 1], 10)
    signal = y.copy()
    signal[[0, 1, 2, 3, 10, 11, 12, 13]] ^= 1  # right on 12 of 20 rows
    X = np.c_[signal, np.zeros(20)]
    findings = run(broken.FirstColumnClassifier(), X, y, X, y)
    finding = only(findings, "training.no_better_than_baseline")
    assert finding.status is Status.FAIL
    assert "only by chance" in finding.message
    assert "balanced accuracy 0.600 vs 0.500 (margin +0.100" in finding.message
    assert "give more rows" in finding.message
    assert finding.details["p_value"] >= 0.05


def test_multi_output_classification_passes_every_check():
    X, y = blobs()
    Y = np.c_[y, (X[:, 0] > 1).astype(int)]
    findings = run(RandomForestClassifier(n_estimators=5), X, Y)
    assert_all_pass(findings, skipped=NO_LOSS_CURVE)
    assert "RandomForestClassifier has no loss curve" in (
        only(findings, "training.loss_not_decreasing").message
    )
    assert "shaped like y (60, 2)" in only(findings, "training.invalid_predictions").message


# ------------------------------------------------------------------ loss_not_decreasing


def test_a_loss_that_rises_under_partial_fit_fails():
    X, y = linear()
    finding = only(run(broken.GradientAscentRegressor(), X, y), "training.loss_not_decreasing")
    assert finding.status is Status.FAIL
    assert "mean squared error rose from" in finding.message
    assert "partial_fit" in finding.message
    assert "sign of the update" in finding.message


def test_gradient_boosting_with_zero_learning_rate_has_a_flat_loss_and_fails():
    X, y = linear()
    findings = run(GradientBoostingRegressor(n_estimators=20, learning_rate=0.0), X, y)
    finding = only(findings, "training.loss_not_decreasing")
    assert finding.status is Status.FAIL
    assert "stayed flat" in finding.message
    assert "learning rate is not zero" in finding.message


def test_a_loss_that_overflows_is_not_finite():
    X, y = linear()
    findings = run(broken.GradientAscentRegressor(learning_rate=1e6), X, y)
    finding = only(findings, "training.loss_not_finite")
    assert finding.status is Status.FAIL
    assert "became inf at partial_fit call" in finding.message


def test_sgd_in_a_pipeline_follows_partial_fit_one_call_per_budget_step():
    X, y = blobs()
    model = make_pipeline(StandardScaler(), SGDClassifier(loss="log_loss"))
    finding = only(run(model, X, y, steps=40), "training.loss_not_decreasing")
    assert finding.status is Status.PASS
    assert finding.details["metric"] == "log loss"
    assert finding.details["source"].startswith("partial_fit")
    assert finding.details["iterations"] == 40
    finding = only(run(model, X, y, epochs=2), "training.loss_not_decreasing")
    assert finding.details["iterations"] == 20


def test_mlp_loss_curve_is_followed():
    X, y = blobs()
    model = MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, learning_rate_init=0.01)
    finding = only(run(model, X, y), "training.loss_not_decreasing")
    assert finding.status is Status.PASS
    assert finding.details["source"] == "loss_curve_"


def test_boosting_without_staged_predictions_is_refitted_on_a_grid():
    X, y = linear()
    finding = only(run(broken.StumpBooster(), X, y), "training.loss_not_decreasing")
    assert finding.status is Status.PASS
    assert finding.details["source"].startswith("refits with n_estimators in")


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_xgboost_and_lightgbm_loss_comes_from_an_eval_set_fit(library):
    module = pytest.importorskip(library)
    X, y = blobs()
    if library == "xgboost":
        model = module.XGBClassifier(n_estimators=15, max_depth=2, n_jobs=1)
    else:
        model = module.LGBMClassifier(n_estimators=15, min_child_samples=5, verbose=-1, n_jobs=1)
    findings = run(model, X, y)
    finding = only(findings, "training.loss_not_decreasing")
    assert finding.status is Status.PASS
    assert finding.details["source"].startswith("evals_result_")
    assert "logloss" in finding.details["metric"]
    assert only(findings, "training.not_reproducible").status is Status.PASS


@pytest.mark.parametrize(
    ("values", "status", "words"),
    [
        ([1.0, 0.8, 0.9, 0.6, 0.7, 0.5, 0.55, 0.4, 0.45, 0.35], Status.PASS, "fell from"),
        ([1.0, 1.2, 1.1, 1.5, 1.4, 1.9, 2.2, 2.1, 2.8, 3.0], Status.FAIL, "rose from"),
        ([1.0, 1.001, 0.999, 1.0, 1.002, 0.998, 1.0, 1.001, 0.999, 1.0], Status.FAIL, "flat"),
        ([1.0, 0.9, 0.5, 0.2, 0.1, 0.1, 0.2, 0.4, 0.5, 0.6], Status.WARN, "rose back"),
        ([1.0, 0.5], Status.SKIP, "not applicable: M ran only 2 steps (test); at least 3"),
        ([0.0, 0.0, 0.0, 0.0], Status.PASS, "zero throughout"),
    ],
)
def test_loss_curves_are_judged_on_window_means(values, status, words):
    finding = judge_loss_curve(LossCurve("test", "loss", tuple(values), "step", "fix it"), "M")
    assert finding.status is status
    assert words in finding.message


def test_a_single_spike_at_the_end_does_not_fail_a_falling_loss():
    values = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.95)
    finding = judge_loss_curve(LossCurve("test", "loss", values, "step", "fix it"), "M")
    assert finding.status is Status.PASS


# ------------------------------------------------------------------ not_reproducible


def test_an_unseeded_generator_is_not_reproducible_and_warns():
    X, y = linear()
    finding = only(run(broken.BaggedMeanRegressor(), X, y), "training.not_reproducible")
    assert finding.status is Status.WARN
    # Unseeded: most rows differ, but a row may coincide by chance (79 of 80 was seen).
    differ = finding.details["differ"]
    assert 60 <= differ <= 80
    assert f"gave different predictions on {differ} of 80 rows of X" in finding.message
    assert "has no random_state parameter" in finding.message


def test_a_random_state_that_is_ignored_is_not_reproducible_and_warns():
    X, y = linear()
    finding = only(run(broken.IgnoresRandomStateRegressor(), X, y), "training.not_reproducible")
    assert finding.status is Status.WARN
    assert "with random_state=0" in finding.message
    assert "outside random_state" in finding.message


# ------------------------------------------------------------------ runtime_warning


def test_a_convergence_warning_becomes_a_finding():
    X, y = blobs()
    findings = run(LogisticRegression(max_iter=1), X, y)
    finding = only(findings, "training.runtime_warning")
    assert finding.status is Status.WARN
    assert finding.message.startswith("ConvergenceWarning during fit")
    assert "raise max_iter" in finding.message


def test_repeated_warnings_are_reported_once_with_a_count():
    X, y = linear()
    finding = only(run(broken.NoisyFitRegressor(), X, y), "training.runtime_warning")
    assert finding.message.startswith("UserWarning during fit (3 times): solver did not converge")
    assert finding.details["count"] == 3


# ------------------------------------------------------------------ the spec and the budget


def test_a_spec_with_x_valid_but_no_y_valid_is_a_spec_error():
    X, y = blobs()
    with pytest.raises(SpecError, match="gives X_valid but not y_valid"):
        run(LogisticRegression(), X, y, X_valid=X)


def test_x_and_y_of_different_lengths_is_a_spec_error():
    X, y = blobs()
    with pytest.raises(SpecError, match="X has 60 rows but y has 59"):
        run(LogisticRegression(), X, y[:-1])


def test_an_estimator_without_predict_is_a_spec_error():
    X, y = blobs()
    with pytest.raises(SpecError, match="has no predict"):
        run(StandardScaler(), X, y)


def test_the_time_limit_skips_the_remaining_checks_and_says_which():
    X, y = blobs()
    findings = run(LogisticRegression(), X, y, time_limit=1e-9)
    finding = only(findings, "training.time_limit")
    assert finding.status is Status.WARN
    assert finding.details["skipped"] == [
        "training.loss_not_decreasing",
        "training.not_reproducible",
    ]
    assert only(findings, "training.no_better_than_baseline").status is Status.PASS


SPEC_FILE = """
import numpy as np
from sklearn.linear_model import LogisticRegression


def training_spec():
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(size=(30, 2)), rng.normal(size=(30, 2)) + 3]
    return {"estimator": LogisticRegression(), "X": X, "y": np.repeat([0, 1], 30)}
"""


def test_an_entrypoint_names_the_stage_as_given_and_its_file_as_the_input(tmp_path):
    from mlgate._digest import file_digest

    path = tmp_path / "train_spec_for_run.py"
    path.write_text(SPEC_FILE)
    entrypoint = f"{path}:training_spec"
    report = check_training(entrypoint)
    assert report.passed
    assert {f.stage for f in report.findings} == {f"training:{entrypoint}"}
    assert report.run is not None
    assert report.run["inputs"] == [
        {
            "role": "entrypoint",
            "path": str(path),
            "format": "python",
            "rows": None,
            "columns": None,
            "digest": file_digest([path]),
        }
    ]
    # A spec object has no file to name.
    spec = {"estimator": LogisticRegression(), "X": blobs()[0], "y": blobs()[1]}
    run = check_training(spec).run
    assert run is not None and run["inputs"] == []


def test_a_single_class_validation_set_is_named_as_such_not_blamed_on_the_features():
    # Rows sorted by class and split without shuffling: the tail holds one class only.
    X, y = blobs(n_per_class=30)
    keep = y < 2
    X, y = X[keep], y[keep]
    order = np.argsort(y, kind="stable")
    X, y = X[order], y[order]
    f = only(
        run(LogisticRegression(), X[:40], y[:40], X[40:], y[40:]),
        "training.no_better_than_baseline",
    )
    assert f.status is Status.FAIL
    assert "the validation set holds a single class (20 rows of [1])" in f.message
    assert "stratify=y" in f.message and "line up" not in f.message
    assert f.details["validation_classes"] == 1
