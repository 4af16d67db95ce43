"""Missing values: null and NaN are one thing to the null-fraction gate; a change of
marker is a warning of its own (quality.missing_marker); version 1 schemas keep their
meaning."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from mlgate.data.gate import check_data, validate
from mlgate.data.profile import profile
from mlgate.data.schema import dump_schema, infer_schema, load_schema
from mlgate.findings import Finding, Report, Status

N = 2000


def _column(seed: int, marker: str, rate: float = 0.1, *, constant: bool = False) -> pl.Series:
    """A float column with ``rate`` of its rows missing, marked by ``marker``: ``nan``,
    ``null``, or ``mixed`` (half of each)."""
    rng = np.random.default_rng(seed)
    values = np.full(N, 2.5) if constant else rng.normal(10.0, 2.0, N)
    missing = np.flatnonzero(rng.random(N) < rate)
    if marker == "mixed":
        nan_rows, null_rows = missing[::2], missing[1::2]
    else:
        nan_rows = missing if marker == "nan" else missing[:0]
        null_rows = missing if marker == "null" else missing[:0]
    values[nan_rows] = np.nan
    return pl.Series("x", values).scatter(null_rows, None)


def _frame(seed: int, marker: str, rate: float = 0.1, **kw: bool) -> pl.DataFrame:
    rng = np.random.default_rng(seed + 100)
    return pl.DataFrame({"x": _column(seed, marker, rate, **kw), "k": rng.integers(0, 4, N)})


def _find(report: Report, name: str, column: str = "x") -> Finding:
    return next(f for f in report.findings if f.name == name and f.column == column)


def _write(df: pl.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        df.write_csv(path)  # NaN as "NaN", null as an empty cell
    else:
        df.write_parquet(path)
    return path


@pytest.mark.parametrize(("ref_format", "cur_format"), [("csv", "parquet"), ("parquet", "csv")])
@pytest.mark.parametrize(("ref_marker", "cur_marker"), [("nan", "null"), ("null", "nan")])
def test_a_switch_of_marker_at_the_same_rate_passes_and_warns(
    tmp_path: Path, ref_format: str, cur_format: str, ref_marker: str, cur_marker: str
) -> None:
    ref = _write(_frame(1, ref_marker), tmp_path / f"ref.{ref_format}")
    cur = _write(_frame(2, cur_marker), tmp_path / f"cur.{cur_format}")
    ref_col, cur_col = profile(ref).column("x"), profile(cur).column("x")
    assert (ref_col.nan > 0, cur_col.nan > 0) == (ref_marker == "nan", cur_marker == "nan")
    report = check_data(ref, cur)
    assert _find(report, "quality.null_fraction").status is Status.PASS
    assert _find(report, "quality.non_finite").status is Status.PASS
    assert _find(report, "drift.numeric").status is Status.PASS
    assert _find(report, "quality.constant").status is Status.PASS
    marker = _find(report, "quality.missing_marker")
    assert marker.status is Status.WARN
    assert report.passed
    assert marker.details["reference_nan"] == ref_col.nan
    assert marker.details["reference_nulls"] == ref_col.nulls
    assert marker.details["current_nan"] == cur_col.nan
    assert marker.details["current_nulls"] == cur_col.nulls
    word = {"nan": "NaN", "null": "null"}
    assert f"{word[ref_marker]} ({ref_col.missing}) in the reference" in marker.message
    assert f"{word[cur_marker]} ({cur_col.missing}) now" in marker.message


def test_a_switch_of_marker_with_doubled_missingness_fails_and_warns() -> None:
    report = check_data(_frame(1, "nan"), _frame(2, "null", rate=0.2))
    nulls = _find(report, "quality.null_fraction")
    assert nulls.status is Status.FAIL
    assert nulls.details["observed"] == pytest.approx(0.2, abs=0.03)
    assert _find(report, "quality.missing_marker").status is Status.WARN


def test_doubled_nan_fails_as_missing_values_not_as_non_finite() -> None:
    report = check_data(_frame(1, "nan"), _frame(2, "nan", rate=0.2))
    nulls = _find(report, "quality.null_fraction")
    assert nulls.status is Status.FAIL
    assert "is missing (0 null," in nulls.message and "NaN)" in nulls.message
    assert nulls.details["nan"] > 0 and nulls.details["nulls"] == 0
    assert _find(report, "quality.non_finite").status is Status.PASS
    assert _find(report, "quality.missing_marker").status is Status.PASS


@pytest.mark.parametrize("marker", ["nan", "mixed"])
def test_the_same_marker_at_the_same_rate_passes(marker: str) -> None:
    report = check_data(_frame(1, marker), _frame(2, marker))
    assert [f.name for f in report.findings if f.status is not Status.PASS] == []


def test_a_changed_mix_of_markers_warns() -> None:
    report = check_data(_frame(1, "mixed"), _frame(2, "null"))
    marker = _find(report, "quality.missing_marker")
    assert marker.status is Status.WARN
    assert "50% NaN" in marker.message and "null (" in marker.message


def test_a_marker_change_among_a_few_missing_values_is_not_judged_a_change() -> None:
    ref = pl.DataFrame({"x": [float("nan")] * 3 + list(np.linspace(0, 1, 60))})
    cur = pl.DataFrame({"x": [None] * 2 + list(np.linspace(0, 1, 60))})
    assert _find(check_data(ref, cur), "quality.missing_marker").status is Status.PASS


def test_columns_without_nan_get_no_marker_finding() -> None:
    report = check_data(_frame(1, "null"), _frame(2, "null"))
    assert not [f for f in report.findings if f.name == "quality.missing_marker"]


def test_missing_marker_severity_is_configurable() -> None:
    report = check_data(
        _frame(1, "nan"), _frame(2, "null"), severity={"quality.missing_marker": "fail"}
    )
    assert _find(report, "quality.missing_marker").status is Status.FAIL
    assert not report.passed


def test_nan_where_the_reference_had_no_missing_values_fails_as_non_finite() -> None:
    report = check_data(_frame(1, "none", rate=0.0), _frame(2, "nan", rate=0.002))
    f = _find(report, "quality.non_finite")
    assert f.status is Status.FAIL
    assert "or set allow_nan: true if NaN marks missing values here" in f.message


def test_a_constant_column_is_caught_whichever_marker_fills_its_gaps() -> None:
    for marker in ("nan", "null"):
        report = check_data(_frame(1, "nan"), _frame(2, marker, constant=True))
        assert _find(report, "quality.constant").status is Status.FAIL, marker


def test_inferred_limit_counts_nan_and_nulls_as_missing() -> None:
    schema = infer_schema(
        pl.DataFrame({"x": _column(1, "nan"), "y": _column(1, "null").rename("y")})
    )
    x, y = schema.columns["x"], schema.columns["y"]
    assert schema.version == 2
    assert 0.1 < x.max_null_fraction < 0.14
    assert y.max_null_fraction == x.max_null_fraction  # the same rows are missing
    # NaN may stand for a missing value wherever the reference had missing values.
    assert x.allow_nan and y.allow_nan
    text = dump_schema(schema)
    assert "version: 2" in text
    assert "null or NaN alike" in text


V1_SCHEMA = """\
version: 1
columns:
  x:
    type: float
    max_null_fraction: 0.005
    allow_nan: {allow_nan}
    allow_inf: false
"""


def test_version_1_schema_keeps_its_meaning(tmp_path: Path) -> None:
    # Written by an older mlgate from a reference with 10% NaN: max_null_fraction counted
    # nulls only, and allow_nan let NaN occur in any number.
    path = tmp_path / "schema.yaml"
    path.write_text(V1_SCHEMA.format(allow_nan="true"))
    schema = load_schema(path)
    assert schema.version == 1 and not schema.nan_is_missing
    nan_now = validate(_frame(2, "nan"), path)
    assert _find(nan_now, "quality.null_fraction").status is Status.PASS
    assert _find(nan_now, "quality.non_finite").status is Status.PASS
    null_now = validate(_frame(2, "null"), path)
    assert _find(null_now, "quality.null_fraction").status is Status.FAIL
    path.write_text(V1_SCHEMA.format(allow_nan="false"))
    f = _find(validate(_frame(2, "nan"), path), "quality.non_finite")
    assert f.status is Status.FAIL and "allow_nan" not in f.message


def test_version_2_schema_counts_nan_under_its_null_limit(tmp_path: Path) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text(V1_SCHEMA.format(allow_nan="true").replace("version: 1", "version: 2"))
    f = _find(validate(_frame(2, "nan"), path), "quality.null_fraction")
    assert f.status is Status.FAIL
    assert f.details["nan_counted"] is True


@pytest.mark.parametrize("spelling", ["nan", "NAN", "NaN"])
def test_csv_nan_spelled_as_python_writes_it_is_a_missing_number(
    tmp_path: Path, spelling: str
) -> None:
    x = _column(1, "nan")
    path = tmp_path / "numpy.csv"
    path.write_text(
        "x,k\n"
        + "".join(f"{spelling if np.isnan(v) else repr(v)},{i % 3}\n" for i, v in enumerate(x))
    )
    col = profile(path).column("x")
    assert (col.logical_type, col.nan, col.nulls) == ("float", int(x.is_nan().sum()), 0)
    report = check_data(_frame(2, "null"), path)
    assert _find(report, "schema.type_mismatch").status is Status.PASS
    assert _find(report, "quality.null_fraction").status is Status.PASS
    assert _find(report, "quality.missing_marker").status is Status.WARN


def test_csv_word_among_spelled_nan_keeps_the_column_text(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    rows = [f"{'nan' if i % 10 == 0 else i / 2},{i}" for i in range(12_000)]
    path.write_text("x,k\n" + "\n".join([*rows, "oops,1"]) + "\n")
    col = profile(path).column("x")
    assert (col.logical_type, col.count) == ("string", 12_001)


def test_nan_in_a_column_that_never_lacked_a_value_fails_once_not_twice():
    rng = np.random.default_rng(3)
    ref = pl.DataFrame({"x": rng.normal(size=500)})
    values = rng.normal(size=500)
    values[:10] = np.nan
    report = check_data(ref, pl.DataFrame({"x": values}))
    failed = {f.name for f in report.findings if f.status is Status.FAIL}
    assert failed == {"quality.non_finite"}
    nulls = next(f for f in report.findings if f.name == "quality.null_fraction")
    assert nulls.details["nan_counted"] is False
