"""Column kinds (issue 9, section 1): what a column means decides its checks.

Each case is a kind of column the data gate once judged wrong on real data: a
whole-number measurement, integer codes with many values, an auto-increment key, and
calendar fields, with the verdict an experienced user expects.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from mlgate.data.gate import check_data
from mlgate.data.kinds import infer_kind, name_words
from mlgate.data.profile import profile, profile_frame
from mlgate.data.schema import dump_schema, infer_schema, kind_reasons, load_schema
from mlgate.errors import ConfigError
from mlgate.findings import Report, Status

N = 2000


def _kind(values: object, name: str = "x") -> str | None:
    guess = infer_kind(profile_frame(pl.DataFrame({name: values})).column(name))
    return None if guess is None else guess.kind


def _column(report: Report, column: str) -> dict[str, Status]:
    return {f.name: f.status for f in report.findings if f.column == column}


def _failed(report: Report) -> set[tuple[str, str | None]]:
    return {(f.name, f.column) for f in report.findings if f.status is Status.FAIL}


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# -- inference -------------------------------------------------------------------------


def test_name_words_split_snake_camel_and_spaces():
    assert name_words("orderYear") == ["order", "year"]
    assert name_words("order_year") == ["order", "year"]
    assert name_words("Order Year") == ["order", "year"]
    assert name_words("bill_length_mm") == ["bill", "length", "mm"]


@pytest.mark.parametrize(
    ("name", "values", "kind"),
    [
        # whole-number measurements: by name, by a run of values away from 0/1, by a grid
        ("temp", np.round(_rng().normal(15, 3, N)), "continuous"),
        ("reading", np.round(_rng().normal(15, 3, N)), "continuous"),
        ("wind_dir", _rng().integers(0, 37, N) * 10, "continuous"),
        ("years_employed", _rng().integers(0, 8, N), "continuous"),
        # codes: by name whatever their count, by values counted from 1, by gaps
        ("station", _rng().integers(1, 26, N), "categorical"),
        ("c", _rng().integers(1, 26, N), "categorical"),
        ("c", _rng().choice([100, 200, 310, 420, 990], N), "categorical"),
        ("seats", _rng().choice(np.arange(2, 451, 9), N), "continuous"),
        ("c", _rng().choice(np.unique(_rng(1).integers(2, 450, 30)), N), "continuous"),
        ("is_member", _rng().integers(0, 2, N), "categorical"),
        ("class_id", _rng().integers(1, 4, N), "categorical"),
        ("hour", _rng().integers(0, 24, N), "categorical"),
        # identifiers: an auto-increment key, with or without a telling name
        ("row", np.arange(1, N + 1), "identifier"),
        ("Obs", _rng().permutation(np.arange(1, 17)), "identifier"),
        ("customer_id", _rng().permutation(10 * N)[:N], "identifier"),
        ("user", [f"u{i}" for i in range(N)], "identifier"),
        # calendar fields that move on with time
        ("year", np.full(N, 2013), "time"),
        ("orderYear", _rng().integers(2010, 2014, N), "time"),
        ("month", _rng().integers(1, 4, N), "time"),
        ("quarter", _rng().integers(1, 3, N), "time"),
        # text and fractions
        ("city", _rng().choice(["Oslo", "Lima"], N), "categorical"),
        ("x", _rng().normal(size=N), "continuous"),
    ],
)
def test_kind_is_inferred_from_name_values_and_spacing(name, values, kind):
    assert _kind(values, name) == kind


def test_the_reason_reads_well_for_one_or_two_values_and_never_counts_past_the_rows():
    one = infer_kind(profile_frame(pl.DataFrame({"c": [7] * 50})).column("c"))
    assert one is not None and one.reason == "values: the one whole number 7"
    two = infer_kind(profile_frame(pl.DataFrame({"c": [0, 1] * 50})).column("c"))
    assert two is not None and two.reason == "values: 2 whole numbers (0, 1), a flag"
    names = [f"n{i}" for i in range(3322)]
    ident = infer_kind(profile_frame(pl.DataFrame({"tailnum": names})).column("tailnum"))
    assert ident is not None and ident.kind == "identifier"
    shown = int(ident.reason.split("(")[1].split(" in ")[0]) if " in " in ident.reason else 3322
    assert shown <= 3322, ident.reason


def test_a_calendar_name_whose_values_do_not_fit_the_calendar_is_not_time():
    assert _kind(_rng().integers(20, 90, N), "month") != "time"
    assert _kind(_rng().integers(0, 5000, N), "year") != "time"


def test_dates_are_time_and_an_all_null_column_has_no_kind():
    dates = pl.date_range(pl.date(2024, 1, 1), pl.date(2024, 3, 1), eager=True)
    assert _kind(dates, "day") == "time"
    assert _kind([None, None, None], "x") is None


# -- the schema ------------------------------------------------------------------------


def test_schema_gives_each_kind_its_checks():
    rng = _rng(3)
    df = pl.DataFrame(
        {
            "temp": np.round(rng.normal(15, 3, N)).astype(int),
            "station": rng.integers(1, 26, N),
            "row": np.arange(1, N + 1),
            "year": np.full(N, 2013),
            "month": rng.integers(1, 4, N),
        }
    )
    cols = infer_schema(profile_frame(df)).columns
    temp, station, row, year, month = (cols[c] for c in df.columns)
    assert temp.kind == "continuous" and temp.domain is None and temp.range is not None
    assert temp.drift is not None and temp.drift.metric == "wasserstein"
    assert station.kind == "categorical" and station.domain == list(range(1, 26))
    assert station.drift is not None and station.drift.metric == "jensen_shannon"
    assert row.kind == "identifier" and row.range is None and row.drift is None
    assert year.kind == "time" and year.domain is None and year.drift is None
    assert year.range is not None and (year.range.min, year.range.max) == (2013, None)
    assert month.range is not None and (month.range.min, month.range.max) == (1, 12)


def test_integer_domain_is_written_in_numeric_order():
    df = pl.DataFrame({"grade": _rng().integers(1, 13, N)})
    schema = infer_schema(profile_frame(df))
    assert schema.columns["grade"].domain == list(range(1, 13))
    text = dump_schema(schema)
    assert text.index("- 2\n") < text.index("- 10\n")


def test_a_column_of_nulls_first_does_not_shift_the_kind_comments():
    # A column of nulls has no kind line; the reasons once slid up one column, so the
    # code column said nothing and the text column gave the code column's reason.
    df = pl.DataFrame(
        {"empty": pl.Series([None] * 300, dtype=pl.Null), "code": [7] * 300, "e": ["p", "q"] * 150}
    )
    prof = profile_frame(df)
    reasons = kind_reasons(prof)
    lines = dump_schema(infer_schema(prof), reasons).splitlines()
    kind_lines = [line for line in lines if line.lstrip().startswith("kind:")]
    assert len(kind_lines) == 2
    assert kind_lines[0].endswith(f"# inferred from {reasons['code']}")
    assert kind_lines[1].endswith(f"# inferred from {reasons['e']}")
    empty = lines.index("  empty:")
    assert not any("inferred" in line for line in lines[empty : lines.index("  code:")])


def test_schema_file_says_why_each_kind_was_inferred(tmp_path: Path):
    df = pl.DataFrame({"year": np.full(300, 2013), "x": _rng().normal(size=300)})
    prof = profile_frame(df)
    text = dump_schema(infer_schema(prof), kind_reasons(prof))
    assert "    kind: time  # inferred from name 'year': a calendar year\n" in text
    assert "    kind: continuous  # inferred from numbers with fractions\n" in text
    path = tmp_path / "schema.yaml"
    path.write_text(text)
    assert load_schema(path) == infer_schema(prof)


@pytest.mark.parametrize(
    ("column", "problem"),
    [
        ("    kind: continuous\n    type: integer\n    domain: [1, 2]\n", ":6: .*no domain check"),
        ("    kind: identifier\n    type: integer\n    range: {min: 1}\n", ":6: .*no range check"),
        ("    kind: time\n    type: integer\n    domain: [1, 2]\n", ":6: .*no domain check"),
        ("    kind: categorical\n    type: integer\n    range: {min: 1}\n", ":6: .*no range check"),
        (
            "    kind: categorical\n    type: integer\n    drift:\n      metric: wasserstein\n"
            "      threshold: 0.1\n",
            ":6: .*drift.metric is wasserstein, but a categorical column drifts by jensen_sh",
        ),
        ("    kind: continuous\n    type: integer\n    unique: true\n", ":6: .*unique is for"),
        ("    kind: continuous\n    type: string\n", ":5: .*type is string, but a continuous"),
        ("    kind: time\n    type: string\n", ":5: .*type is string, but a time column"),
        ("    kind: nominal\n    type: integer\n", ":4: .*kind"),
        (
            "    kind: categorical\n    type: string\n    drift: {metric: jensen_shannon, "
            "threshold: 1.5}\n",
            ":6: .*can never be exceeded",
        ),
    ],
)
def test_a_kind_that_contradicts_its_keys_is_refused_with_file_and_line(
    tmp_path: Path, column: str, problem: str
):
    path = tmp_path / "schema.yaml"
    path.write_text("version: 1\ncolumns:\n  c:\n" + column)
    with pytest.raises(ConfigError, match=rf"schema\.yaml{problem}"):
        load_schema(path)


# -- verdicts --------------------------------------------------------------------------


def test_whole_degrees_arriving_with_decimals_pass():
    rng = _rng(4)
    ref = pl.DataFrame({"reading": np.round(rng.normal(15, 3, N)).astype(int)})
    cur = pl.DataFrame({"reading": np.round(rng.normal(15, 3, N), 1)})
    report = check_data(ref, cur)
    assert report.passed, [f.message for f in report.problems()]
    assert _column(report, "reading")["quality.out_of_range"] is Status.PASS


def test_a_new_code_in_15_percent_of_rows_of_25_codes_fails():
    rng = _rng(5)
    ref = pl.DataFrame({"c": rng.integers(1, 26, N)})
    codes = rng.integers(1, 26, N)
    codes[: int(0.15 * N)] = 26
    report = check_data(ref, pl.DataFrame({"c": codes}))
    assert ("quality.out_of_domain", "c") in _failed(report)
    domain = next(f for f in report.findings if f.name == "quality.out_of_domain")
    # The report says the kind was inferred and why, where it decided the verdict.
    assert "[inferred categorical: values: 25 whole numbers" in domain.message
    assert domain.details["kind"] == "categorical" and domain.details["kind_inferred"]


def test_a_vanished_code_moved_to_its_neighbour_fails():
    rng = _rng(6)
    ref = pl.DataFrame({"c": rng.choice(np.arange(1, 26), N, p=_shares())})
    codes = rng.choice(np.arange(1, 26), N, p=_shares())
    codes[codes == 5] = 6
    report = check_data(ref, pl.DataFrame({"c": codes}))
    drift = next(f for f in report.findings if f.name == "drift.categorical")
    assert drift.status is Status.FAIL and drift.details["vanished"] == ["5"]


def _shares() -> np.ndarray:
    p = np.full(25, 0.8 / 24)
    p[4] = 0.2
    return p


def test_an_auto_increment_key_continuing_its_sequence_passes():
    ref = pl.DataFrame({"row": np.arange(1, N + 1), "x": _rng(7).normal(size=N)})
    cur = pl.DataFrame({"row": np.arange(N + 1, 2 * N + 1), "x": _rng(8).normal(size=N)})
    report = check_data(ref, cur)
    assert report.passed, [f.message for f in report.problems()]
    checks = set(_column(report, "row"))
    assert "quality.null_fraction" in checks
    assert not checks & {"quality.out_of_range", "quality.out_of_domain", "drift.numeric"}


def test_a_later_year_and_later_months_pass_and_a_month_13_fails():
    rng = _rng(9)
    ref = pl.DataFrame({"year": np.full(N, 2013), "month": rng.integers(1, 4, N)})
    later = pl.DataFrame({"year": np.full(N, 2014), "month": rng.integers(4, 7, N)})
    report = check_data(ref, later)
    assert report.passed, [f.message for f in report.problems()]
    year = next(f for f in report.findings if f.name == "quality.out_of_range")
    assert "later values are allowed in a time column" in year.message
    bad = later.with_columns(pl.Series("month", rng.integers(10, 14, N)))
    assert ("quality.out_of_range", "month") in _failed(check_data(ref, bad))


def test_an_earlier_year_than_the_reference_fails():
    ref = pl.DataFrame({"year": _rng().integers(2013, 2016, N)})
    report = check_data(ref, pl.DataFrame({"year": np.full(N, 2009)}))
    assert ("quality.out_of_range", "year") in _failed(report)


def test_a_person_corrects_the_kind_in_a_committed_schema(tmp_path: Path):
    rng = _rng(10)
    ref = pl.DataFrame({"c": rng.integers(1, 26, N)})
    schema = infer_schema(profile_frame(ref))
    assert schema.columns["c"].kind == "categorical"
    text = dump_schema(schema)
    # c is a measurement: the reviewer changes kind, drops the domain, sets a range.
    start = text.index("  c:\n")
    text = text[:start] + (
        "  c:\n    kind: continuous\n    type: integer\n    range: {min: 1, max: 25}\n"
        "    drift: {metric: wasserstein, threshold: 0.1}\n"
    )
    path = tmp_path / "schema.yaml"
    path.write_text(text)
    cur = pl.DataFrame({"c": rng.integers(1, 26, N) + 0.5 * (rng.random(N) < 0.5)})
    report = check_data(ref, cur, schema=path)
    checks = _column(report, "c")
    assert "quality.out_of_domain" not in checks and checks["drift.numeric"] is Status.PASS
    # A committed schema's kind is the reviewer's: no "inferred" note.
    assert not any("inferred" in f.message for f in report.findings)


def test_a_schema_written_before_kinds_keeps_its_checks(tmp_path: Path):
    path = tmp_path / "schema.yaml"
    path.write_text(
        "version: 1\ncolumns:\n  code:\n    type: integer\n    range: {min: 0, max: 4}\n"
        "    domain: [0, 1, 2, 3, 4]\n    drift: {metric: jensen_shannon, threshold: 0.1}\n"
    )
    cur = pl.DataFrame({"code": _rng().integers(0, 7, N)})
    failed = _failed(check_data(pl.DataFrame({"code": _rng().integers(0, 5, N)}), cur, schema=path))
    assert {("quality.out_of_range", "code"), ("quality.out_of_domain", "code")} <= failed


def test_codes_arriving_with_fractions_suggest_a_measurement():
    rng = _rng(11)
    ref = pl.DataFrame({"c": rng.integers(1, 6, N)})
    report = check_data(ref, pl.DataFrame({"c": rng.integers(1, 6, N) + 0.5}))
    domain = next(f for f in report.findings if f.name == "quality.out_of_domain")
    assert domain.status is Status.FAIL
    assert (
        "the values now have fractions" in domain.message and "kind: continuous" in domain.message
    )


def test_an_identifier_that_repeats_a_value_fails_unique():
    ref = pl.DataFrame({"order_id": np.arange(1, 301)})
    schema = infer_schema(profile_frame(ref))
    assert schema.columns["order_id"].unique
    fresh = pl.DataFrame({"order_id": np.arange(301, 601)})
    assert check_data(ref, fresh).passed
    joined = pl.DataFrame({"order_id": np.concatenate([np.arange(301, 581), np.arange(301, 321)])})
    report = check_data(ref, joined)
    unique = next(f for f in report.findings if f.name == "quality.unique")
    assert unique.status is Status.FAIL and unique.details["repeated_values"] == 20
    assert unique.details["exact"] and "20 of 300 values of 'order_id' repeat" in unique.message


def test_a_large_key_is_unique_by_an_exact_count_across_batches(tmp_path: Path):
    # 600,000 rows: three batches, beyond the frequent sketch's exact limit.
    n = 600_000
    ref = pl.DataFrame({"row": np.arange(1, n + 1), "x": _rng(12).normal(size=n)})
    ref_path = tmp_path / "ref.parquet"
    ref.write_parquet(ref_path, row_group_size=100_000)
    prof = profile(ref_path)
    assert prof.column("row").repeats is not None and prof.column("row").repeats.rows == 0
    assert infer_schema(prof).columns["row"].unique
    # One key repeated across batches: the first row again at the end.
    keys = np.arange(n + 1, 2 * n + 1)
    keys[-1] = keys[0]
    cur_path = tmp_path / "cur.parquet"
    pl.DataFrame({"row": keys, "x": _rng(13).normal(size=n)}).write_parquet(cur_path)
    unique = next(f for f in check_data(ref_path, cur_path).findings if f.name == "quality.unique")
    assert unique.status is Status.FAIL
    assert unique.details["repeated_values"] == 1 and unique.details["exact"]


def test_a_key_arriving_mostly_repeated_fails_on_the_sketch_bound():
    ref = pl.DataFrame({"row": np.arange(1, 5001)})
    schema = infer_schema(profile_frame(ref))
    assert schema.columns["row"].unique
    cur = pl.DataFrame({"row": _rng(14).integers(5001, 7501, 5000)})  # about 40% repeats
    unique = next(
        f for f in check_data(ref, cur, schema=schema).findings if f.name == "quality.unique"
    )
    assert unique.status is Status.FAIL and not unique.details["exact"]


def test_repeats_are_counted_only_for_candidate_keys_and_survive_a_saved_profile(tmp_path: Path):
    df = pl.DataFrame({"id": [f"k{i}" for i in range(200)], "code": [i % 3 for i in range(200)]})
    prof = profile_frame(df)
    assert prof.column("id").repeats is not None and prof.column("code").repeats is None
    path = tmp_path / "p.json"
    prof.save(path)
    assert profile(path).column("id").repeats == prof.column("id").repeats
    # Two datasets' repeats do not add up: a merged profile no longer claims a count.
    assert prof.merge(prof).column("id").repeats is None


def test_a_schema_without_kinds_naming_wasserstein_for_text_compares_shares(tmp_path: Path):
    path = tmp_path / "schema.yaml"
    path.write_text(
        "version: 1\ncolumns:\n  s:\n    type: string\n"
        "    drift: {metric: wasserstein, threshold: 0.1}\n"
    )
    ref = pl.DataFrame({"s": ["a", "b"] * 100})
    report = check_data(ref, pl.DataFrame({"s": ["a"] * 150 + ["b"] * 50}), schema=path)
    drift = next(f for f in report.findings if f.name.startswith("drift."))
    assert drift.name == "drift.categorical" and drift.status is Status.FAIL


def test_each_reason_stays_beside_its_own_column_whatever_the_names():
    long = "x" * 130
    df = pl.DataFrame(
        {"": list(range(150)), "0": [i * 0.5 for i in range(150)], long: [1, 2, 3] * 50}
    )
    prof = profile_frame(df)
    lines = dump_schema(infer_schema(prof), kind_reasons(prof)).splitlines()
    kinds = [line for line in lines if "kind: " in line and "#" in line and "inferred" in line]
    assert kinds == [
        "  : kind: identifier  # inferred from values: each whole number 0-149 once, a row number",
        "    kind: continuous  # inferred from numbers with fractions",
        "  : kind: categorical  # inferred from values: 3 whole numbers counted from 0 or 1 "
        "(1-3), codes",
    ]


def test_a_foreign_key_that_repeats_is_an_identifier_but_not_unique():
    rng = _rng(13)
    ref = pl.DataFrame({"customer_id": rng.permutation(20_000)[:300] + 1})
    col = infer_schema(profile_frame(ref)).columns["customer_id"]
    assert col.kind == "identifier" and not col.unique
    cur = pl.DataFrame({"customer_id": rng.integers(1, 20_001, 300)})
    assert check_data(ref, cur).passed


def test_a_scale_missing_a_value_in_a_small_reference_keeps_the_whole_run_in_its_domain():
    values = [v for v in range(12) if v not in (7, 9)] * 10
    ref = pl.DataFrame({"pixel": values})
    assert infer_schema(profile_frame(ref)).columns["pixel"].domain == list(range(12))
    cur = pl.DataFrame({"pixel": list(range(12)) * 10})
    domain = next(f for f in check_data(ref, cur).findings if f.name == "quality.out_of_domain")
    assert domain.status is Status.PASS


def test_whole_number_bounds_are_written_in_full():
    ref = pl.DataFrame({"account": np.arange(10_000_200, 10_000_200 + 500, dtype=np.int64)})
    ref = ref.with_columns(pl.col("account") * 3)  # not packed: a measurement's range
    cur = ref.with_columns(pl.col("account") + 5_000_000)
    ranged = next(f for f in check_data(ref, cur).findings if f.name == "quality.out_of_range")
    assert "30000600" in ranged.message and "e+07" not in ranged.message


def _hours(start: dt.datetime, n: int, seed: int) -> pl.Series:
    """``n`` distinct hours of the year from ``start``, in random order."""
    hours = _rng(seed).choice(24 * 364, n, replace=False)
    return pl.Series("time_hour", [start + dt.timedelta(hours=int(h)) for h in hours])


def test_dates_and_timestamps_before_the_references_start_fail_and_later_ones_pass():
    # Datetime columns had no range at all: 30% of rows at 1970-01-01 (an epoch default)
    # passed, as did the whole batch moved ten years back.
    ref_t = _hours(dt.datetime(2013, 1, 1), N, seed=1)
    ref = pl.DataFrame({"time_hour": ref_t, "date": ref_t.dt.date()})
    cur_t = _hours(dt.datetime(2013, 1, 1), N, seed=2)
    cur = pl.DataFrame({"time_hour": cur_t, "date": cur_t.dt.date()})
    assert check_data(ref, cur).passed
    epoch = cur.with_columns(
        pl.when(pl.int_range(pl.len()) % 10 < 3)
        .then(pl.lit(dt.datetime(1970, 1, 1)))
        .otherwise(pl.col("time_hour"))
        .alias("time_hour"),
        pl.when(pl.int_range(pl.len()) % 10 < 3)
        .then(pl.lit(dt.date(1970, 1, 1)))
        .otherwise(pl.col("date"))
        .alias("date"),
    )
    report = check_data(ref, epoch)
    outside = {("quality.out_of_range", "time_hour"), ("quality.out_of_range", "date")}
    assert outside <= _failed(report)  # and the defaulted rows are duplicates
    date = next(
        f for f in report.findings if f.name == "quality.out_of_range" and f.column == "date"
    )
    assert "30.0% of 'date' is outside [2013-01-01, no end) (observed 1970-01-01 to" in date.message
    assert date.details["range_min"] == "2013-01-01"
    back = cur.with_columns(
        pl.col("time_hour").dt.offset_by("-10y"), pl.col("date").dt.offset_by("-10y")
    )
    assert outside <= _failed(check_data(ref, back))
    later = cur.with_columns(
        pl.col("time_hour").dt.offset_by("1y"), pl.col("date").dt.offset_by("1y")
    )
    assert check_data(ref, later).passed


def test_a_datetime_range_is_written_and_read_as_dates(tmp_path: Path):
    ref_t = _hours(dt.datetime(2013, 1, 1), N, seed=1)
    ref_frame = pl.DataFrame({"time_hour": ref_t, "date": ref_t.dt.date()})
    schema = infer_schema(profile(ref_frame))
    assert schema.columns["date"].range.min == dt.date(2013, 1, 1)
    assert schema.columns["date"].max_out_of_range_fraction < 0.05
    path = tmp_path / "schema.yaml"
    path.write_text(dump_schema(schema))
    assert load_schema(path) == schema
    # A person bounds the dates by hand.
    assert "min: 2013-01-01\n" in path.read_text()  # a YAML date, unquoted
    text = path.read_text().replace("min: 2013-01-01\n", "min: 2013-01-01\n      max: 2013-06-30\n")
    path.write_text(text)
    edited = load_schema(path)
    assert edited.columns["date"].range.max == dt.date(2013, 6, 30)
    cur = pl.DataFrame({"time_hour": ref_t, "date": ref_t.dt.date()})
    failed = _failed(check_data(ref_frame, cur, schema=edited))
    assert failed == {("quality.out_of_range", "date")}
    path.write_text(text.replace("max: 2013-06-30", "max: 5"))
    with pytest.raises(ConfigError, match="must both be numbers or both dates"):
        load_schema(path)


@pytest.mark.parametrize(
    "pair",
    [(-0.044641636506989144, 0.05068011873981862), (1e-05, 0.5), (-1.5e-300, 2.25e17)],
    ids=["standardised", "small", "extreme"],
)
def test_two_values_with_fractions_are_an_indicator_judged_as_categories(tmp_path, pair):
    # scikit-learn's diabetes data holds sex as two standardised values: it was a
    # continuous measurement. Written to YAML and read back, its domain must hold the
    # same data (a profile writes 1e-5 as "0.00001", YAML as 1e-05).
    rng = np.random.default_rng(21)
    low, high = pair

    def frame(share_high: float, n: int = 400) -> pl.DataFrame:
        return pl.DataFrame({"sex": np.where(rng.random(n) < share_high, high, low)})

    ref = frame(0.45)
    schema = infer_schema(profile(ref))
    assert schema.columns["sex"].kind == "categorical"
    assert schema.columns["sex"].domain == [float(f"{v:.12g}") for v in sorted(pair)]
    path = tmp_path / "mlgate.schema.yaml"
    path.write_text(dump_schema(schema, kind_reasons(profile(ref))))
    assert "an indicator" in path.read_text()
    same = check_data(ref, frame(0.45), schema=path)
    assert not _failed(same), _failed(same)
    assert _failed(check_data(ref, frame(0.85), schema=path)) == {("drift.categorical", "sex")}
    new_value = frame(0.45).with_columns(pl.col("sex").replace(low, high * 3))
    assert ("quality.out_of_domain", "sex") in _failed(check_data(ref, new_value))


def test_three_values_with_fractions_stay_a_measurement():
    values = np.random.default_rng(22).choice([0.5, 1.5, 2.5], 400)
    assert infer_schema(profile(pl.DataFrame({"x": values}))).columns["x"].kind == "continuous"
    few = pl.DataFrame({"x": [0.5, 1.5] * 5})  # ten rows: too few to call it an indicator
    assert infer_schema(profile(few)).columns["x"].kind == "continuous"


def test_an_indicator_written_with_15_digits_is_the_same_two_values(tmp_path):
    # R's write.csv and pandas' float_format="%.15g" keep 15 significant digits: the
    # two values then differed in the last digits, and 100% of rows fell outside the
    # domain. Fractions are told apart to 12 digits (profile_model.FRACTION_DIGITS).
    rng = np.random.default_rng(23)
    pair = np.array([-0.044641636506989144, 0.05068011873981862])
    ref = pl.DataFrame({"sex": pair[(rng.random(400) < 0.45).astype(int)]})
    full = pl.DataFrame({"sex": pair[(rng.random(400) < 0.45).astype(int)]})
    path = tmp_path / "cur.csv"
    path.write_text("sex\n" + "\n".join(f"{v:.15g}" for v in full["sex"]) + "\n")
    assert pl.read_csv(path)["sex"].n_unique() == 2
    assert set(pl.read_csv(path)["sex"]) != set(pair)  # the last digits differ
    assert not _failed(check_data(ref, path))
    schema = tmp_path / "schema.yaml"
    schema.write_text(dump_schema(infer_schema(profile(ref))))
    assert not _failed(check_data(ref, path, schema=schema))
    moved = pl.DataFrame({"sex": pair[(rng.random(400) < 0.9).astype(int)]})
    assert _failed(check_data(ref, moved)) == {("drift.categorical", "sex")}
