"""mlgate.testing: every assertion's good and bad path, and the messages users read."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from mlgate.data.profile import profile_frame
from mlgate.data.schema import Schema
from mlgate.data.validate import validate_profile
from mlgate.errors import MissingExtraError
from mlgate.findings import Finding, Report, Status
from mlgate.testing import (
    SchemaStrategyError,
    assert_finite,
    assert_one_hot,
    assert_same_schema,
    assert_training_ok,
    records_from_schema,
    rows_from_schema,
)

PENGUINS = Path(__file__).resolve().parents[1] / "examples" / "penguins"


def _draws(strategy, n: int = 40) -> list:
    """n values drawn by ``strategy`` (generation only: no shrinking, no database)."""
    out: list = []

    @settings(max_examples=n, database=None, phases=[Phase.generate], deadline=None)
    @given(strategy)
    def collect(value):
        out.append(value)

    collect()
    return out


def _message(fn, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as info:
        fn(*args, **kwargs)
    return str(info.value)


def test_importing_mlgate_testing_pulls_in_no_heavy_library():
    code = (
        "import sys, mlgate.testing; heavy = [m for m in ('polars', 'pandas', 'numpy', "
        "'pyarrow', 'torch', 'hypothesis', 'sklearn') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- assert_finite ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        np.array([[1.0, 2.0], [3.0, -4.0]]),
        np.arange(5),
        np.array([True, False]),
        [1.0, 2.5],
        pl.DataFrame({"x": [1.0, 2.0], "city": ["Oslo", "Quito"], "n": [1, 2]}),
        pl.Series("x", [0.5, 1.5]),
        pd.DataFrame({"x": [1.0, 2.0], "n": pd.array([1, 2], dtype="Int64")}),
        pd.Series([1.0, 2.0], name="x"),
    ],
)
def test_assert_finite_passes_finite_data(value):
    assert_finite(value)


def test_assert_finite_names_array_positions_and_counts():
    x = np.array([[1.0, np.nan], [np.inf, -np.inf], [np.nan, 2.0]])
    msg = _message(assert_finite, x, name="X")
    assert msg.splitlines()[0] == (
        "X has non-finite values: 2 NaN, 1 +inf, 1 -inf (of 6 values, shape (3, 2))"
    )
    assert "NaN at [0, 1], [2, 0]; +inf at [1, 0]; -inf at [1, 1]" in msg
    assert "division by zero" in msg


def test_assert_finite_shows_the_first_few_positions_then_how_many_more():
    x = np.full(12, np.nan)
    x[0] = 1.0
    msg = _message(assert_finite, x)
    assert msg.startswith("the numpy ndarray has non-finite values: 11 NaN, 0 +inf, 0 -inf")
    assert "NaN at index 1, 2, 3, 4, 5 and 6 more" in msg


def test_assert_finite_names_polars_columns_rows_and_nulls():
    df = pl.DataFrame(
        {
            "a": [1.0, None, math.nan, math.inf],
            "b": ["x", None, "z", "w"],
            "c": [1, 2, 3, 4],
        }
    )
    msg = _message(assert_finite, df, name="features")
    assert "features has non-finite values: 1 NaN, 1 +inf, 0 -inf, 2 null (of 12 values)" in msg
    assert "column 'a': NaN at row 2; +inf at row 3; null at row 1" in msg
    assert "column 'b': null at row 1" in msg
    assert "column 'c'" not in msg


def test_assert_finite_allow_null_lets_nulls_through_but_not_nan():
    assert_finite(pl.DataFrame({"a": [1.0, None]}), allow_null=True)
    msg = _message(assert_finite, pl.DataFrame({"a": [None, math.nan]}), allow_null=True)
    assert "column 'a': NaN at row 1" in msg and "null" not in msg


def test_assert_finite_shows_pandas_index_labels_and_tells_na_from_nan():
    df = pd.DataFrame(
        {"x": [1.0, np.nan, -np.inf], "y": pd.array([1.5, None, 2.0], dtype="Float64")},
        index=["a", "b", "c"],
    )
    msg = _message(assert_finite, df)
    assert "column 'x': NaN at row 1 (index 'b'); -inf at row 2 (index 'c')" in msg
    assert "column 'y': null at row 1 (index 'b')" in msg


def test_assert_finite_names_a_pandas_series_by_its_name():
    msg = _message(assert_finite, pd.Series([1.0, np.inf], name="ratio"))
    assert "column 'ratio': +inf at row 1" in msg


def test_assert_finite_on_torch_tensors():
    torch = pytest.importorskip("torch")
    assert_finite(torch.ones(3, requires_grad=True))
    assert_finite(torch.arange(3))
    t = torch.tensor([[0.0, float("nan")], [float("-inf"), 1.0]], dtype=torch.bfloat16)
    msg = _message(assert_finite, t, name="logits")
    assert "logits has non-finite values: 1 NaN, 0 +inf, 1 -inf (of 4 values, shape (2, 2))" in msg
    assert "NaN at [0, 1]; -inf at [1, 0]" in msg


def test_assert_finite_refuses_non_numbers_and_reports_none_in_object_arrays():
    assert "dtype <U1, not numbers" in _message(assert_finite, np.array(["a"]))
    assert "1 null" in _message(assert_finite, [1.0, None, 2.0])
    assert "not numbers (dtype object)" in _message(
        assert_finite, np.array([1.0, "x"], dtype=object)
    )


# -- assert_one_hot ---------------------------------------------------------------------


def test_assert_one_hot_passes_identity_and_counts_columns_without_names():
    assert_one_hot(np.eye(3), ["a", "b", "c"])
    assert_one_hot(np.eye(3, dtype=bool))
    msg = _message(assert_one_hot, np.eye(3), ["a", "b"])
    assert "3 columns for 2 declared categories (['a', 'b']); fit the encoder" in msg


def test_assert_one_hot_names_bad_values_rows_with_many_and_rows_with_none():
    x = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 0], [0.5, 0, 0]])
    msg = _message(assert_one_hot, x, ["a", "b", "c"], name="enc")
    assert msg.startswith("enc is not a valid one-hot encoding:")
    assert "1 value is not 0 or 1: 0.5 at [3, 0]" in msg
    assert "1 row sets more than one category: row 1 (columns 0, 1)" in msg
    assert "1 row sets no category (all zeros): row 2; an unseen category?" in msg
    assert "pass unknown='ignore'" in msg


def test_assert_one_hot_allows_all_zero_rows_when_unknown_is_ignored():
    x = np.array([[1, 0], [0, 0]])
    assert_one_hot(x, ["a", "b"], unknown="ignore")
    assert_one_hot(x, ["a", "b"], unknown="all_zero")
    with pytest.raises(ValueError, match="unknown='drop'"):
        assert_one_hot(x, ["a", "b"], unknown="drop")  # type: ignore[arg-type]


def test_assert_one_hot_checks_pandas_dummy_names_and_order():
    islands = pd.Series(["Biscoe", "Dream", "Biscoe"], name="island")
    dummies = pd.get_dummies(islands, prefix="island")
    assert_one_hot(dummies, ["Biscoe", "Dream"])
    assert_one_hot(pd.get_dummies(islands), ["Biscoe", "Dream"])
    msg = _message(assert_one_hot, dummies, ["Dream", "Biscoe"])
    assert (
        "columns are in another order than the declared categories: got "
        "['island_Biscoe', 'island_Dream'], expected ['island_Dream', 'island_Biscoe']"
    ) in msg
    msg = _message(assert_one_hot, dummies, ["Biscoe", "Dream", "Torgersen"])
    assert "missing columns for declared categories: 'island_Torgersen'" in msg
    assert "OneHotEncoder(categories=[...])" in msg
    msg = _message(assert_one_hot, dummies, ["Biscoe"])
    assert "unexpected columns: 'island_Dream'; expected only 'island_Biscoe'" in msg


def test_assert_one_hot_checks_each_feature_block_of_a_frame():
    df = pd.DataFrame({"island": ["Biscoe", "Dream", "Biscoe"], "sex": ["m", "f", None]})
    dummies = pd.get_dummies(df)  # the missing sex becomes an all-zero row of its block
    cats = {"island": ["Biscoe", "Dream"], "sex": ["f", "m"]}
    msg = _message(assert_one_hot, dummies, cats)
    assert "1 row sets no category of feature 'sex' (all zeros): row 2" in msg
    assert "feature 'island'" not in msg
    assert_one_hot(dummies, cats, unknown="ignore")


def test_assert_one_hot_reports_columns_that_are_not_indicators():
    df = pd.get_dummies(pd.Series(["a", "b"], name="x")).assign(name=["p", "q"])
    msg = _message(assert_one_hot, df, ["a", "b"])
    assert "columns that are not 0/1 indicators (not numeric): 'name'" in msg
    pl_df = pl.DataFrame({"x": ["a", "b"]}).to_dummies().with_columns(pl.lit("p").alias("name"))
    assert "(not numeric): 'name'" in _message(assert_one_hot, pl_df, ["a", "b"])


def test_assert_one_hot_accepts_polars_dummies():
    assert_one_hot(pl.DataFrame({"x": ["a", "b", "a"]}).to_dummies(), ["a", "b"])
    msg = _message(assert_one_hot, pl.DataFrame({"x_a": [1, 2], "x_b": [0, 0]}), ["a", "b"])
    assert "1 value is not 0 or 1: 2 at row 1, column 'x_a'" in msg


def test_assert_one_hot_refuses_a_vector():
    msg = _message(assert_one_hot, np.array([1, 0, 0]))
    assert "expected a 2-D matrix (rows x categories), got shape (3,)" in msg


def test_assert_one_hot_with_sklearn_encoder_and_unseen_categories():
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    train = pd.DataFrame({"island": ["Biscoe", "Dream"], "sex": ["f", "m"]})
    enc = preprocessing.OneHotEncoder(handle_unknown="ignore").fit(train)
    names = enc.get_feature_names_out()
    cats = {"island": ["Biscoe", "Dream"], "sex": ["f", "m"]}
    assert_one_hot(enc.transform(train), cats, columns=names)  # a SciPy sparse matrix
    unseen = enc.transform(pd.DataFrame({"island": ["Torgersen"], "sex": ["m"]}))
    assert_one_hot(unseen, cats, columns=names, unknown="ignore")
    msg = _message(assert_one_hot, unseen, cats, columns=names)
    assert "1 row sets no category of feature 'island' (all zeros): row 0" in msg
    dense = preprocessing.OneHotEncoder(sparse_output=False).set_output(transform="pandas")
    assert_one_hot(dense.fit_transform(train), cats)


def test_assert_one_hot_on_torch_one_hot():
    torch = pytest.importorskip("torch")
    encoded = torch.nn.functional.one_hot(torch.tensor([0, 2, 1]), num_classes=3)
    assert_one_hot(encoded, ["a", "b", "c"])
    msg = _message(assert_one_hot, encoded.float() * 2, ["a", "b", "c"])
    assert "3 values are not 0 or 1: 2 at [0, 0], 2 at [1, 2], 2 at [2, 1]" in msg


# -- assert_same_schema -----------------------------------------------------------------

FRAME = pl.DataFrame({"a": [1, 2], "b": [1.5, None], "c": ["x", "y"]})
SCHEMA = Schema.model_validate(
    {
        "columns": {
            "a": {"type": "integer"},
            "b": {"type": "float", "max_null_fraction": 0.1},
            "c": {"type": "string"},
            "d": {"type": "boolean", "required": False},
        }
    }
)


def test_assert_same_schema_passes_equal_frames_across_libraries():
    assert_same_schema(FRAME, FRAME.clone())
    assert_same_schema(FRAME.to_pandas(), FRAME)


def test_assert_same_schema_names_missing_extra_and_reordered_columns():
    msg = _message(assert_same_schema, FRAME, FRAME.drop("b").with_columns(d=pl.lit(True)))
    assert msg.startswith("schemas differ (left vs right):")
    assert "missing from left: 'd' boolean (dtype Boolean)" in msg
    assert "extra in left (not in right): 'b' float (dtype Float64)" in msg
    msg = _message(assert_same_schema, FRAME, FRAME.select("a", "c", "b"))
    assert "reordered: position 1 is 'b' in left but 'c' in right" in msg
    assert_same_schema(FRAME, FRAME.select("a", "c", "b"), check_order=False)


def test_assert_same_schema_catches_pandas_ints_turned_float_by_a_missing_value():
    train = pd.DataFrame({"age": [31, 45]})
    serving = pd.DataFrame({"age": [31, None]})
    msg = _message(assert_same_schema, train, serving, labels=("train", "serving"))
    assert "column 'age': integer (dtype int64) in train, float (dtype float64) in serving" in msg


def test_assert_same_schema_frame_against_schema():
    assert_same_schema(FRAME, SCHEMA)  # the optional 'd' may be absent
    whole_floats = FRAME.with_columns(pl.col("b").fill_null(2.0))
    assert_same_schema(whole_floats.with_columns(pl.col("b").round(0)), SCHEMA)
    all_null = _message(assert_same_schema, FRAME.with_columns(pl.lit(None).alias("d")), SCHEMA)
    assert "column 'd': 2 nulls in the frame (rows 0, 1), the schema allows none" in all_null
    assert "boolean" not in all_null  # an all-null column has no type to differ
    bad = pl.DataFrame({"a": [1.5, None], "b": [math.nan, 1.0], "c": [1, 2], "e": [1, 1]})
    msg = _message(assert_same_schema, bad, SCHEMA)
    assert msg.startswith("schemas differ (the frame vs the schema):")
    assert "extra in the frame (not in the schema): 'e' integer (dtype Int64)" in msg
    assert (
        "column 'a': float (dtype Float64) in the frame, integer in the schema (the frame "
        "holds values that are not whole numbers)"
    ) in msg
    assert "column 'a': 1 null in the frame (row 1), the schema allows none" in msg
    assert "column 'b': 1 NaN in the frame, the schema does not allow NaN" in msg
    assert "column 'c': integer (dtype Int64) in the frame, string in the schema" in msg


def test_assert_same_schema_says_a_required_column_is_missing_from_the_frame():
    msg = _message(assert_same_schema, SCHEMA, FRAME.select("c", "a"))
    assert "extra in the schema (not in the frame): 'b' float" in msg
    assert "reordered: position 0 is 'a' in the schema but 'c' in the frame" in msg


def test_assert_same_schema_on_the_penguins_files():
    schema = PENGUINS / "schema.yaml"
    assert_same_schema(PENGUINS / "data" / "reference.csv", schema)
    msg = _message(assert_same_schema, str(PENGUINS / "data" / "current.csv"), schema)
    assert "column 'body_mass_g': float (dtype Float64) in " in msg  # kilograms, not grams
    assert "holds values that are not whole numbers" in msg


def test_assert_same_schema_compares_two_schemas():
    other = Schema.model_validate(
        {
            "columns": {
                "a": {"type": "float"},
                "b": {"type": "float", "allow_nan": True},
                "c": {"type": "string"},
            }
        }
    )
    msg = _message(assert_same_schema, SCHEMA, other)
    assert "extra in left (not in right): 'd' boolean" in msg
    assert "column 'a': integer in left, float in right" in msg
    assert (
        "column 'b': nullable in one schema only (max_null_fraction 0.1 in left, 0 in right)" in msg
    )
    assert "column 'b': allow_nan is False in left, True in right" in msg
    assert_same_schema(PENGUINS / "schema.yaml", str(PENGUINS / "schema.yaml"))


# -- assert_training_ok -----------------------------------------------------------------


def _fake_check(findings, seen):
    def check_training(spec, *, budget, severity):
        seen.update(spec=spec, budget=budget, severity=severity)
        return Report(tuple(findings), title="mlgate training check (PyTorch)")

    return check_training


def test_assert_training_ok_lists_the_failed_findings(monkeypatch):
    findings = [
        Finding("training.loss_not_decreasing", Status.WARN, "the loss is flat"),
        Finding(
            "training.parameter_not_updated",
            Status.FAIL,
            "2 parameters got no gradient: fc.weight, fc.bias; is the graph detached?",
            column="fc.weight",
        ),
        Finding("training.loss_not_finite", Status.FAIL, "the loss became NaN at step 3"),
        Finding("training.cannot_overfit", Status.PASS, "fine"),
    ]
    seen: dict = {}
    monkeypatch.setattr("mlgate.training.gate.check_training", _fake_check(findings, seen))
    msg = _message(assert_training_ok, {"spec": 1}, steps=7, seed=3, severity={"training": "warn"})
    assert msg.splitlines() == [
        "mlgate training check (PyTorch): 2 checks failed",
        "  - training.parameter_not_updated [fc.weight]: 2 parameters got no gradient: "
        "fc.weight, fc.bias; is the graph detached?",
        "  - training.loss_not_finite: the loss became NaN at step 3",
        "  (1 warning besides)",
    ]
    assert seen["spec"] == {"spec": 1}
    assert (seen["budget"].steps, seen["budget"].seed) == (7, 3)
    assert seen["severity"] == {"training": "warn"}


def test_assert_training_ok_returns_the_report_when_it_passes(monkeypatch):
    findings = [Finding("training.loss_not_decreasing", Status.WARN, "the loss is flat")]
    monkeypatch.setattr("mlgate.training.gate.check_training", _fake_check(findings, {}))
    report = assert_training_ok("train.py:spec")
    assert report.passed and report.findings[0].status is Status.WARN


def test_assert_training_ok_runs_the_real_sklearn_checks():
    pytest.importorskip("sklearn")
    pytest.importorskip("mlgate.training.sklearn_checks")
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] + 0.1 * rng.normal(size=200) > 0).astype(int)
    spec = {"estimator": LogisticRegression(), "X": X, "y": y}
    assert assert_training_ok(spec, steps=5).passed


# -- rows_from_schema -------------------------------------------------------------------

RICH = Schema.model_validate(
    {
        "columns": {
            "i": {"type": "integer", "range": {"min": -3, "max": 7}},
            "big": {"type": "integer"},
            "code": {"type": "integer", "domain": [1, 2, 3], "max_null_fraction": 0.1},
            "f": {"type": "float", "range": {"min": 0.5, "max": 2.5}, "allow_nan": True},
            "g": {"type": "float", "allow_inf": True, "max_null_fraction": 0.2},
            "s": {"type": "string", "domain": ["a", "b"]},
            "t": {"type": "string", "max_null_fraction": 0.5},
            "flag": {"type": "boolean"},
            "when": {"type": "datetime", "max_null_fraction": 0.1},
            "gone": {"type": "null", "max_null_fraction": 1.0},
            "opt": {"type": "boolean", "required": False},
        }
    }
)
DTYPES = {
    "i": pl.Int64,
    "big": pl.Int64,
    "code": pl.Int64,
    "f": pl.Float64,
    "g": pl.Float64,
    "s": pl.String,
    "t": pl.String,
    "flag": pl.Boolean,
    "when": pl.Datetime("us"),
    "gone": pl.Null,
    "opt": pl.Boolean,
}
# Rates depend on the draw; everything else must pass for every frame.
FREQUENCY_CODES = {"quality.null_fraction", "quality.duplicate_rows"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows_from_schema(RICH, min_rows=1, max_rows=15))
def test_every_generated_frame_is_allowed_by_the_schema(df):
    assert dict(df.schema) == DTYPES
    assert 1 <= df.height <= 15
    i, code, f = df["i"].drop_nulls(), df["code"].drop_nulls(), df["f"].drop_nulls()
    assert df["i"].null_count() == 0 and i.is_between(-3, 7).all()
    assert code.is_in([1, 2, 3]).all()
    assert f.filter(~f.is_nan()).is_between(0.5, 2.5).all()
    assert df["s"].is_in(["a", "b"]).all() and df["s"].null_count() == 0
    assert not df["g"].is_nan().any()
    assert df["gone"].null_count() == df.height
    failed = [
        f.message
        for f in validate_profile(profile_frame(df), RICH)
        if f.status is Status.FAIL and f.name not in FREQUENCY_CODES
    ]
    assert failed == []


def test_rows_from_schema_draws_edges_nan_inf_and_nulls():
    frames = _draws(rows_from_schema(RICH, min_rows=5, max_rows=10), n=40)
    seen = pl.concat(frames, how="vertical")
    assert {-3, 7} <= set(seen["i"].to_list())
    assert {0.5, 2.5} <= set(seen["f"].drop_nans().to_list())
    assert seen["f"].is_nan().any()
    assert {math.inf, -math.inf} <= set(seen["g"].to_list())
    assert seen["code"].null_count() > 0 and seen["t"].null_count() > 0
    assert "" in seen["t"].to_list()
    assert seen["flag"].null_count() == 0  # max_null_fraction 0: never null


def test_rows_from_schema_on_the_penguins_schema_as_pandas():
    strategy = rows_from_schema(PENGUINS / "schema.yaml", min_rows=2, max_rows=5, as_pandas=True)
    frames = _draws(strategy, n=5)
    assert all(isinstance(df, pd.DataFrame) and 2 <= len(df) <= 5 for df in frames)
    assert list(frames[0].columns)[:2] == ["species", "island"]


def test_rows_from_schema_may_drop_optional_columns():
    frames = _draws(rows_from_schema(RICH, max_rows=2, drop_optional=True), n=20)
    assert any("opt" not in df.columns for df in frames)
    assert any("opt" in df.columns for df in frames)
    assert all("opt" in df.columns for df in _draws(rows_from_schema(RICH, max_rows=2), n=5))


@given(records_from_schema(RICH, drop_optional=True))
@settings(max_examples=30, deadline=None)
def test_records_from_schema_gives_allowed_dicts(record):
    assert set(RICH.columns) - {"opt"} <= set(record) <= set(RICH.columns)
    assert -3 <= record["i"] <= 7
    assert record["s"] in ("a", "b")
    assert record["gone"] is None


def test_rows_from_schema_refuses_what_it_cannot_generate():
    other = Schema.model_validate({"columns": {"tags": {"type": "other"}}})
    with pytest.raises(SchemaStrategyError, match=r"column 'tags' has type 'other'.*overrides="):
        rows_from_schema(other)
    frames = _draws(rows_from_schema(other, min_rows=1, overrides={"tags": st.just("x")}), n=3)
    assert all(set(df["tags"].to_list()) == {"x"} for df in frames)
    empty = Schema.model_validate(
        {"columns": {"n": {"type": "integer", "range": {"min": 0.2, "max": 0.8}}}}
    )
    with pytest.raises(SchemaStrategyError, match="column 'n': no integer lies in its range"):
        rows_from_schema(empty)
    with pytest.raises(SchemaStrategyError, match=r"overrides name columns.*'nope'"):
        rows_from_schema(RICH, overrides={"nope": st.none()})
    with pytest.raises(ValueError, match="min_rows <= max_rows"):
        rows_from_schema(RICH, min_rows=5, max_rows=2)


def test_rows_from_schema_without_hypothesis_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "hypothesis.strategies", None)
    with pytest.raises(MissingExtraError, match=r"hypothesis is not installed.*mlgate\[testing\]"):
        rows_from_schema(RICH)
