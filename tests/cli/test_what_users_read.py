"""What users read (issue 9, section 5): the exact lines the command line prints.

Each test runs ``mlgate._cli.main.main`` in-process and asserts the user-visible line
and the exit code.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from mlgate._cli.main import main
from tests.conftest import make_table

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def mlgate(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch) -> Run:
    """``main`` in-process, run in tmp_path: (exit code, stdout, stderr)."""
    crash_dir = tmp_path / "crash"
    crash_dir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(crash_dir))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)

    def run(*args: str | Path) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture
def ref(tmp_path: Path) -> Path:
    path = tmp_path / "ref.csv"
    make_table(400).with_columns(label=pl.Series([i % 2 for i in range(400)])).write_csv(path)
    return path


def checks_of(out: str) -> dict[tuple[str, str | None], dict]:
    return {(c["name"], c["column"]): c for c in json.loads(out)["checks"]}


# -- serving logs carry no labels ------------------------------------------------------------


@pytest.mark.parametrize("mode", ["skew", "drift"])
def test_target_absent_from_current_is_not_checked_not_missing(
    mlgate: Run, ref: Path, tmp_path: Path, mode: str
) -> None:
    make_table(300, seed=1).write_csv(tmp_path / "serving.csv")
    code, out, err = mlgate(
        "check", "data", "--reference", ref, "--current", "serving.csv", "--target", "label",
        "--mode", mode, "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    check = checks_of(out)[("schema.missing_column", "label")]
    what = "training/serving skew" if mode == "skew" else "drift"
    assert check["status"] == "skip"
    assert check["message"] == (
        "not checked: the target 'label' is not in the current data (serving logs and "
        f"prediction batches carry no labels), so its {what} was not checked"
    )


def test_other_missing_column_still_fails_in_skew_mode(
    mlgate: Run, ref: Path, tmp_path: Path
) -> None:
    make_table(300, seed=1).drop("city").write_csv(tmp_path / "serving.csv")
    code, out, _ = mlgate(
        "check", "data", "--reference", ref, "--current", "serving.csv", "--target", "label",
        "--mode", "skew", "--format", "json",
    )  # fmt: skip
    assert code == 1
    assert checks_of(out)[("schema.missing_column", "city")]["status"] == "fail"


# -- numbers as people read them ---------------------------------------------------------


@pytest.fixture
def dated(tmp_path: Path) -> tuple[Path, Path]:
    import datetime as dt

    def frame(year: int) -> pl.DataFrame:
        start = dt.datetime(year, 1, 1)
        return pl.DataFrame({"ts": [start + dt.timedelta(hours=i) for i in range(200)]})

    frame(2013).write_csv(tmp_path / "dref.csv")
    frame(2014).write_csv(tmp_path / "dcur.csv")
    return tmp_path / "dref.csv", tmp_path / "dcur.csv"


def test_profile_table_shows_datetime_extremes_as_dates(
    mlgate: Run, dated: tuple[Path, Path]
) -> None:
    code, out, _ = mlgate("profile", dated[0])
    assert code == 0
    row = next(line for line in out.splitlines() if "│ ts" in line)
    assert "│ 2013-01-01 │ 2013-01-09 07:00:00 │" in row
    assert "e+" not in out
    code, out, _ = mlgate("profile", dated[0], "--format", "json")
    assert json.loads(out)["columns"][0]["min"] == 1356998400000000.0  # JSON stays numeric


def test_html_report_shows_datetime_extremes_as_dates(
    mlgate: Run, dated: tuple[Path, Path], tmp_path: Path
) -> None:
    code, _, _ = mlgate(
        "check", "data", "--reference", dated[0], "--current", dated[1], "--format", "html",
        "-o", tmp_path / "r.html",
    )  # fmt: skip
    assert code == 0
    page = (tmp_path / "r.html").read_text()
    assert (
        "earliest 2013-01-01 → 2014-01-01 · latest 2013-01-09 07:00:00 → 2014-01-09 07:00:00"
    ) in page


@pytest.fixture
def counts(tmp_path: Path) -> tuple[Path, Path]:
    values = [i % 100 for i in range(3000)]
    pl.DataFrame({"x": values}).write_csv(tmp_path / "ref.csv")
    pl.DataFrame({"x": [*map(float, values), 5000.0, 2.5]}).write_csv(tmp_path / "cur.csv")
    return tmp_path / "ref.csv", tmp_path / "cur.csv"


def test_a_few_values_outside_the_range_never_read_zero_percent(
    mlgate: Run, counts: tuple[Path, Path]
) -> None:
    code, out, _ = mlgate(
        "check", "data", "--reference", counts[0], "--current", counts[1], "--format", "json"
    )
    assert code == 0
    checks = checks_of(out)
    assert checks[("quality.out_of_range", "x")]["message"] == "<0.1% outside [0, 99]"
    assert checks[("quality.out_of_range", "x")]["details"]["observed"] > 0


def test_passing_type_check_says_expected_and_observed_when_they_differ(
    mlgate: Run, counts: tuple[Path, Path]
) -> None:
    code, out, _ = mlgate(
        "check", "data", "--reference", counts[0], "--current", counts[1], "--format", "json"
    )
    assert code == 0
    check = checks_of(out)[("schema.type_mismatch", "x")]
    assert check["status"] == "pass"
    assert check["message"] == (
        "float, the schema expects integer: accepted (integer and float are one family)"
    )
    code, out, _ = mlgate(
        "check", "data", "--reference", counts[0], "--current", counts[0], "--format", "json"
    )
    assert checks_of(out)[("schema.type_mismatch", "x")]["message"] == "integer"
