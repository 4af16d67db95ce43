import numpy as np
import polars as pl

from mlgate.data.gate import check_data, validate
from mlgate.data.profile import profile
from mlgate.data.schema import infer_schema
from mlgate.findings import Status
from tests.conftest import make_table


def _failed(report):
    return {(f.name, f.column) for f in report.findings if f.status is Status.FAIL}


def _find(report, name, column=None):
    return next(f for f in report.findings if f.name == name and f.column == column)


def test_same_distribution_passes_every_check():
    report = check_data(make_table(seed=1), make_table(seed=2))
    assert report.passed, [f.message for f in report.problems()]


def test_missing_and_new_column_and_rename_hint():
    cur = make_table(seed=2).rename({"x": "x_renamed"})
    report = check_data(make_table(seed=1), cur)
    assert ("schema.missing_column", "x") in _failed(report)
    new = _find(report, "schema.new_column", "x_renamed")
    assert new.status is Status.WARN
    assert "looks renamed to 'x_renamed'" in _find(report, "schema.missing_column", "x").message
    assert new.details["renamed_from"] == "x"


def test_a_new_column_with_another_distribution_is_not_called_a_rename():
    cur = make_table(seed=2).drop("x").with_columns(pl.lit(7.0).alias("other"))
    report = check_data(make_table(seed=1), cur)
    assert "renamed" not in _find(report, "schema.missing_column", "x").message


def test_numbers_arriving_as_strings_is_a_type_mismatch():
    cur = make_table(seed=2).with_columns(pl.col("x").cast(pl.String))
    f = _find(check_data(make_table(seed=1), cur), "schema.type_mismatch", "x")
    assert f.status is Status.FAIL and "numbers arriving as text" in f.message


def test_nulls_above_allowed_fraction_fail():
    cur = make_table(seed=2).with_columns(
        pl.when(pl.int_range(pl.len()) % 4 == 0).then(None).otherwise(pl.col("city")).alias("city")
    )
    f = _find(check_data(make_table(seed=1), cur), "quality.null_fraction", "city")
    assert f.status is Status.FAIL and f.details["observed"] == 0.25


def test_nan_and_inf_where_reference_had_none_fail():
    cur = make_table(seed=2).with_columns(
        pl.when(pl.int_range(pl.len()) == 3)
        .then(float("nan"))
        .when(pl.int_range(pl.len()) == 4)
        .then(float("inf"))
        .otherwise(pl.col("x"))
        .alias("x")
    )
    f = _find(check_data(make_table(seed=1), cur), "quality.non_finite", "x")
    assert f.status is Status.FAIL and f.details["nan"] == 1 and f.details["posinf"] == 1


def _with_infinities(seed: int, positive: float, negative: float = 0.0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x, u = rng.normal(size=2_000), rng.random(2_000)
    x[u < positive] = np.inf
    x[(u >= positive) & (u < positive + negative)] = -np.inf
    return pl.DataFrame({"x": x, "y": rng.normal(size=2_000)})


def test_a_grown_share_of_infinities_fails_against_the_references_own():
    # With 1% of +inf in the reference (allow_inf: true), 40% in the current data, or
    # the same share turned to -inf, passed every check.
    ref = _with_infinities(1, 0.01)
    same = _find(check_data(ref, _with_infinities(2, 0.01)), "quality.non_finite", "x")
    assert same.status is Status.PASS, same.message
    grown = _find(check_data(ref, _with_infinities(3, 0.40)), "quality.non_finite", "x")
    assert grown.status is Status.FAIL, grown.message
    assert "+inf values, where the reference had 1.0%" in grown.message
    flipped = _find(check_data(ref, _with_infinities(4, 0.0, 0.01)), "quality.non_finite", "x")
    assert flipped.status is Status.FAIL and "-inf values, where the reference had 0.0%" in (
        flipped.message
    )


def test_unit_change_by_1000_is_out_of_range_with_a_hint():
    ref = make_table(seed=1).with_columns((pl.col("x").abs() + 10).alias("mass"))
    cur = make_table(seed=2).with_columns(((pl.col("x").abs() + 10) * 1000).alias("mass"))
    f = _find(check_data(ref, cur), "quality.out_of_range", "mass")
    assert f.status is Status.FAIL and "1000x" in f.message


def test_new_category_and_case_change_are_out_of_domain():
    cur = make_table(seed=2).with_columns(pl.col("city").str.replace("Oslo", "oslo"))
    f = _find(check_data(make_table(seed=1), cur), "quality.out_of_domain", "city")
    assert f.status is Status.FAIL and "'oslo' looks like 'Oslo'" in f.message


def test_column_collapsing_to_a_constant_fails():
    cur = make_table(seed=2).with_columns(pl.lit("Lisbon").alias("city"))
    assert ("quality.constant", "city") in _failed(check_data(make_table(seed=1), cur))


def test_duplicate_rows_well_above_reference_fail():
    cur = make_table(1000, seed=2)
    cur = pl.concat([cur, cur.head(500)])
    f = _find(check_data(make_table(seed=1), cur), "quality.duplicate_rows")
    assert f.status is Status.FAIL and abs(f.details["observed"] - 1 / 3) < 0.01


def test_empty_current_dataset_fails_with_one_finding():
    report = check_data(make_table(seed=1), make_table(seed=2).head(0))
    assert [(f.name, f.status) for f in report.findings] == [("quality.empty_dataset", Status.FAIL)]


def test_validate_without_reference_reports_schema_findings(tmp_path):
    from mlgate.data.schema import infer_schema, save_schema

    path = tmp_path / "schema.yaml"
    save_schema(infer_schema(make_table(seed=1)), path)
    report = validate(make_table(seed=2).drop("flag"), path)
    assert _failed(report) == {("schema.missing_column", "flag")}
    assert not any(f.name.startswith("drift") for f in report.findings)


def test_severity_override_turns_a_failure_into_a_warning():
    cur = make_table(seed=2).drop("flag")
    report = check_data(make_table(seed=1), cur, severity={"schema.missing_column": "warn"})
    assert report.passed


def test_every_data_finding_carries_the_data_stage():
    cur = make_table(seed=2).rename({"x": "x_renamed"})
    report = check_data(make_table(seed=1), cur)
    assert report.findings and {f.stage for f in report.findings} == {"data"}
    assert {f.stage for f in validate(cur, infer_schema(profile(cur))).findings} == {"data"}


def test_range_and_domain_with_no_values_to_judge_are_skipped_saying_why():
    from mlgate.data.schema import ColumnSchema, Range, Schema

    schema = Schema(
        columns={
            # All NaN: missing values, which these columns may be.
            "mass": ColumnSchema(
                type="float", max_null_fraction=1.0, allow_nan=True, range=Range(min=0, max=1)
            ),
            "code": ColumnSchema(
                type="float", max_null_fraction=1.0, allow_nan=True, domain=[1, 2, 3]
            ),
            "ok": ColumnSchema(type="float", range=Range(min=0.0, max=1.0)),
        }
    )
    nan = float("nan")
    data = pl.DataFrame({"mass": [nan] * 4, "code": [nan] * 4, "ok": [0.1, 0.2, 0.3, 0.4]})
    report = validate(data, schema)
    mass = _find(report, "quality.out_of_range", "mass")
    assert mass.status is Status.SKIP
    assert mass.message == "not applicable: 'mass' has no finite values to hold against [0, 1]"
    code = _find(report, "quality.out_of_domain", "code")
    assert code.status is Status.SKIP
    assert code.message == (
        "not applicable: 'code' has no non-null values to hold against its domain"
    )
    assert _find(report, "quality.out_of_range", "ok").status is Status.PASS
    assert report.passed and report.counts()[Status.SKIP] == 2
    assert Status.SKIP not in {f.status for f in report.problems()}


def test_the_scale_hint_is_given_for_a_power_of_ten_and_never_about_zero():
    # About zero the middle of the range is near nothing, and a doubled spread read as
    # "scaled by about 0.1x"; a positive measure in new units still gets the hint.
    rng = np.random.default_rng(1)
    centred = check_data(
        pl.DataFrame({"reading": np.random.default_rng(1).normal(0, 1, 50_000)}),
        pl.DataFrame({"reading": np.random.default_rng(5).normal(0, 2, 50_000)}),
    )
    grams = check_data(
        pl.DataFrame({"mass": rng.uniform(2.0, 6.0, 20_000)}),
        pl.DataFrame({"mass": rng.uniform(2.0, 6.0, 20_000) * 1000}),
    )
    [wider] = [f for f in centred.findings if f.name == "quality.out_of_range"]
    [heavier] = [f for f in grams.findings if f.name == "quality.out_of_range"]
    assert wider.status is Status.FAIL and "scaled by" not in wider.message
    assert heavier.status is Status.FAIL and "scaled by about 1000x" in heavier.message


def test_bounds_far_from_zero_are_written_apart():
    # With six significant digits, amounts near 1e12 with a spread of thousands were all
    # written 1e+12: "outside [1e+12, 1e+12] (observed 1e+12 to 1e+12)".
    import re

    rng = np.random.default_rng(2)
    report = check_data(
        pl.DataFrame({"amount": 1e12 + rng.normal(0, 1000, 20_000)}),
        pl.DataFrame({"amount": 1e12 + 3000 + rng.normal(0, 1000, 20_000)}),
    )
    [found] = [f for f in report.findings if f.name == "quality.out_of_range"]
    numbers = re.findall(r"\d\.\d+e\+\d+|\d{6,}", found.message)
    assert len(numbers) == 4 and len(set(numbers)) == 4, found.message
    ordinary = check_data(
        pl.DataFrame({"x": rng.normal(5, 1, 5_000)}), pl.DataFrame({"x": rng.normal(9, 1, 5_000)})
    )
    [wide] = [f for f in ordinary.findings if f.name == "quality.out_of_range"]
    assert re.search(r"outside \[\d\.\d{1,5}, \d\.\d{1,5}\]", wide.message), wide.message
