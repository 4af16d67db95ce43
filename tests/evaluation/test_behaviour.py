"""Behavioural tests (invariance, direction, expected-label cases) and the linear model a
candidate must beat, on real models of the Palmer penguins and scikit-learn's data."""

import polars as pl
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from mlgate.config import load_config
from mlgate.errors import ConfigError, InputError
from mlgate.evaluation.behaviour import Behaviour, Case, Direction, Invariance
from mlgate.evaluation.check import check_model
from mlgate.evaluation.gate import ModelGateSettings
from mlgate.findings import Status
from mlgate.serving import save_model

pytest.importorskip("palmerpenguins")

NUMERIC = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]


@pytest.fixture(scope="module")
def penguins(tmp_path_factory):
    from mlgate.demo import splits

    folder = tmp_path_factory.mktemp("penguins")
    parts = {k: v.drop_nulls([*NUMERIC, "sex"]) for k, v in splits().items()}
    parts["reference"].write_csv(folder / "train.csv")
    parts["current_clean"].write_csv(folder / "eval.csv")
    train = parts["reference"].to_pandas()
    model = make_pipeline(
        ColumnTransformer(
            [
                ("n", StandardScaler(), NUMERIC),
                ("c", OneHotEncoder(handle_unknown="ignore"), ["island"]),
            ]
        ),
        LogisticRegression(max_iter=500),
    )
    model.fit(train[[*NUMERIC, "island", "sex"]], train["species"])
    path = save_model(model, folder / "model.skops")
    return folder, str(path)


def _behaviour(penguins, behaviour, model=None):
    folder, path = penguins
    report = check_model(
        str(folder / "eval.csv"),
        "species",
        model=model or path,
        behaviour=behaviour,
        cache_dir=None,
    )
    return [f for f in report.findings if f.name == "model.behaviour"]


def test_invariance_passes_for_an_unused_column_and_fails_for_a_used_one(penguins):
    unused, used = _behaviour(
        penguins,
        Behaviour(invariance=(Invariance("sex", ("male", "female")), Invariance("island"))),
    )
    assert unused.status is Status.PASS and unused.column == "sex"
    assert unused.details["changed"] == 0
    assert used.status is Status.FAIL and used.column == "island"
    assert used.details["changed"] > 0 and "shuffled across rows" in used.message
    assert "the model depends on 'island'" in used.message


def test_direction_holds_for_a_real_trait_and_fails_for_a_wrong_expectation(penguins):
    right, wrong = _behaviour(
        penguins,
        Behaviour(
            direction=(
                Direction("flipper_length_mm", 15, of="Gentoo"),
                Direction("bill_length_mm", 5, of="Adelie"),
            )
        ),
    )
    assert right.status is Status.PASS and right.details["violations"] == 0
    assert wrong.status is Status.FAIL and wrong.details["share"] > 0.9
    assert "makes P(Adelie) fall" in wrong.message


def test_cases_name_the_rows_with_the_wrong_label(penguins):
    gentoo = {
        "island": "Biscoe",
        "bill_length_mm": 47.5,
        "bill_depth_mm": 15.0,
        "flipper_length_mm": 217,
        "body_mass_g": 5200,
        "sex": "male",
    }
    [ok] = _behaviour(penguins, Behaviour(cases=(Case(gentoo, "Gentoo"),)))
    assert ok.status is Status.PASS
    [bad] = _behaviour(penguins, Behaviour(cases=(Case(gentoo, "Gentoo"), Case(gentoo, "Adelie"))))
    assert bad.status is Status.FAIL
    assert "case 2: expected 'Adelie', got 'Gentoo'" in bad.message


def test_a_regression_direction_on_diabetes(diabetes, fitted):
    model = fitted("ridge", diabetes, Ridge())
    up, down = (
        next(
            f
            for f in check_model(
                str(diabetes.eval_path),
                "target",
                model=model,
                cache_dir=None,
                behaviour=Behaviour(direction=(Direction("bmi", 0.05, expect=e),)),
            ).findings
            if f.name == "model.behaviour"
        )
        for e in ("not_lower", "not_higher")
    )
    assert up.status is Status.PASS and down.status is Status.FAIL


def test_behaviour_of_a_predictions_file_is_skipped_and_unknown_columns_refused(penguins, tmp_path):
    folder, _path = penguins
    with pytest.raises(InputError, match="column 'beak' is not a feature of the model"):
        _behaviour(penguins, Behaviour(invariance=(Invariance("beak"),)))
    frame = pl.read_csv(folder / "eval.csv")
    preds = tmp_path / "preds.csv"
    pl.DataFrame({"row_id": range(frame.height), "prediction": frame["species"]}).write_csv(preds)
    [skip] = _behaviour(penguins, Behaviour(invariance=(Invariance("sex"),)), model=str(preds))
    assert skip.status is Status.SKIP and "not a model to probe" in skip.message


def test_a_linear_model_on_the_training_data_must_not_beat_the_model(digits, fitted, tmp_path):
    train = tmp_path / "train.parquet"
    pl.from_pandas(digits.X_train.assign(target=digits.y_train)).write_parquet(train)
    stump = fitted("stump", digits, DecisionTreeClassifier(max_depth=3, random_state=0))
    report = check_model(
        str(digits.eval_path), "target", model=stump, train_data=str(train), cache_dir=None
    )
    dummy, linear = [f for f in report.findings if f.name == "model.simpler_model_better"]
    assert dummy.status is Status.PASS  # a depth-3 tree beats the majority class...
    assert linear.status is Status.FAIL  # ...but not a logistic regression
    assert linear.details["simpler_model"].startswith("a logistic regression")
    assert not report.passed


def test_the_same_linear_model_as_the_candidate_is_no_better(penguins):
    folder, path = penguins
    report = check_model(
        str(folder / "eval.csv"),
        "species",
        model=path,
        cache_dir=None,
        train_data=str(folder / "train.csv"),
        settings=ModelGateSettings(),
    )
    linear = [f for f in report.findings if f.name == "model.simpler_model_better"][1]
    assert linear.status in (Status.PASS, Status.WARN), linear.message


def test_behaviour_in_mlgate_yaml_is_validated_with_its_line(tmp_path):
    path = tmp_path / "mlgate.yaml"
    path.write_text(
        "model:\n  model: m.skops\n  data: e.csv\n  behaviour:\n    direction:\n"
        "      - column: x\n        increase: 0\n"
    )
    with pytest.raises(ConfigError, match=r"mlgate\.yaml:\d+: model\.behaviour\.direction\.0"):
        load_config(path)
