"""What users read (issue 9, section 5): the exact lines the command line prints.

Each test runs ``mlgate._cli.main.main`` in-process and asserts the user-visible line
and the exit code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tests.conftest import crash_files_in, make_table, run_main

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def mlgate(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch) -> Run:
    """``main`` in-process, run in tmp_path: (exit code, stdout, stderr)."""
    crash_files_in(tmp_path, monkeypatch)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)

    def run(*args: str | Path) -> tuple[int, str, str]:
        return run_main(capsys, args)

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


def test_a_standard_deviation_float64_cannot_hold_is_shown_as_not_known(
    mlgate: Run, tmp_path: Path
) -> None:
    # Squares of values near 1e200 pass float64's range (the sd read inf), and those of
    # values near 1e-200 vanish (it read 0, as for a constant).
    unit = np.random.default_rng(3).normal(size=500)
    table = {"big": unit * 1e200, "tiny": unit * 1e-200, "unit": unit, "same": unit * 0 + 2}
    pl.DataFrame(table).write_parquet(tmp_path / "extremes.parquet")
    code, out, _ = mlgate("profile", tmp_path / "extremes.parquet")
    assert code == 0
    std = {
        cells[1].strip(): cells[-2].strip()
        for cells in (line.split("│") for line in out.splitlines())
        if len(cells) > 3 and cells[1].strip() in table
    }
    assert std == {"big": "", "tiny": "", "unit": f"{np.std(unit, ddof=1):.4g}", "same": "0"}


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


# -- config errors -----------------------------------------------------------------------------


def test_every_config_problem_is_listed_with_its_line_and_no_pydantic_names(
    mlgate: Run, tmp_path: Path
) -> None:
    (tmp_path / "mlgate.yaml").write_text(
        "data:\n"
        "  reference: ref.csv\n"
        "  current: ref.csv\n"
        "  mode: skw\n"
        "training:\n"
        "  - entrypoint: train.py:spec\n"
        "    step: 10\n"
        "  - entrypoint: train.py:spec\n"
        "    seed: x\n"
        "severity:\n"
        "  drift.numerc: warn\n"
        "reports:\n"
        "  - format: htm\n"
        "    path: r.html\n"
    )
    code, out, err = mlgate("run")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "mlgate: error: mlgate.yaml:4: data.mode: should be 'drift' or 'skew', not 'skw'",
        "mlgate: error: mlgate.yaml:7: training.0.step: unknown key; did you mean 'steps'?",
        "mlgate: error: mlgate.yaml:9: training.1.seed: should be a valid integer, unable to "
        "parse string as an integer, not 'x'",
        "mlgate: error: mlgate.yaml:11: severity.drift.numerc: unknown finding code "
        "'drift.numerc'; did you mean 'drift.numeric'? see docs/checks.md for the codes",
        "mlgate: error: mlgate.yaml:13: reports.0.format: should be 'text', 'json', "
        "'markdown', 'junit' or 'html', not 'htm'",
    ]


def test_one_training_stage_with_a_typo_names_the_key_not_the_union(
    mlgate: Run, tmp_path: Path
) -> None:
    (tmp_path / "mlgate.yaml").write_text("training:\n  entrypoint: train.py:spec\n  step: 10\n")
    assert mlgate("run")[2] == (
        "mlgate: error: mlgate.yaml:3: training.step: unknown key; did you mean 'steps'?\n"
    )
    (tmp_path / "mlgate.yaml").write_text("training: 5\n")
    assert mlgate("run")[2] == (
        "mlgate: error: mlgate.yaml:1: training: expected a mapping (key: value) or a list "
        "(- item), not a number (5)\n"
    )


def test_severity_typo_on_the_command_line_gets_a_suggestion(mlgate: Run, ref: Path) -> None:
    code, out, err = mlgate(
        "check", "data", "--reference", ref, "--current", ref, "--severity", "drift.numerc=warn"
    )
    assert (code, out) == (2, "")
    assert err == (
        "mlgate: error: --severity 'drift.numerc=warn': unknown finding code 'drift.numerc'; "
        "did you mean 'drift.numeric'? see docs/checks.md for the codes\n"
    )


def test_target_typo_gets_a_suggestion(mlgate: Run, ref: Path) -> None:
    code, out, err = mlgate(
        "check", "data", "--reference", ref, "--current", ref, "--target", "lable"
    )
    assert (code, out) == (2, "")
    assert err == (
        "mlgate: error: target column 'lable' is in neither the schema nor the reference; "
        "did you mean 'label'? the columns are: 'x', 'code', 'city', 'flag', 'label'\n"
    )


def test_run_without_config_suggests_init(mlgate: Run) -> None:
    assert mlgate("run") == (
        2,
        "",
        "mlgate: error: mlgate.yaml: no such config file; write one with 'mlgate init' (or "
        "pass --config FILE)\n",
    )


# -- an error in the user's code names the user's file and line ------------------------------


@pytest.fixture
def user_code(tmp_path: Path) -> Path:
    (tmp_path / "train.py").write_text(
        "import json\n"
        "\n"
        "\n"
        "def helper(text):\n"
        "    return json.loads(text)\n"
        "\n"
        "\n"
        "def spec():\n"
        "    return helper('{not json')\n"
    )
    (tmp_path / "syntax.py").write_text("def spec(:\n    pass\n")
    (tmp_path / "on_import.py").write_text("import json\nCFG = json.loads('{')\n")
    return tmp_path


@pytest.mark.parametrize(
    ("entrypoint", "line"),
    [
        (
            "train.py:spec",
            "calling train.py:spec failed: JSONDecodeError: Expecting property name enclosed "
            "in double quotes: line 1 column 2 (char 1) at train.py:5",
        ),
        (
            "syntax.py:spec",
            "importing syntax.py failed: SyntaxError: invalid syntax at syntax.py:1",
        ),
        (
            "on_import.py:spec",
            "importing on_import.py failed: JSONDecodeError: Expecting property name enclosed "
            "in double quotes: line 1 column 2 (char 1) at on_import.py:2",
        ),
    ],
)
def test_error_in_an_entrypoint_points_at_the_users_line(
    mlgate: Run, user_code: Path, entrypoint: str, line: str
) -> None:
    assert mlgate("check", "training", "--entrypoint", entrypoint) == (
        2,
        "",
        f"mlgate: error: {line}\n",
    )


# -- --format github: an exit-2 error shows on the pull request ----------------------------


def test_config_errors_become_annotations_with_file_and_line(mlgate: Run, tmp_path: Path) -> None:
    (tmp_path / "mlgate.yaml").write_text("data:\n  reference: r.csv\n  curent: c.csv\n")
    code, out, err = mlgate("run", "--format", "github")
    assert code == 2
    title = "title=mlgate could not run (exit 2)"
    assert out.splitlines() == [
        f"::error file=mlgate.yaml,line=3,{title}::mlgate.yaml:3: data.curent: unknown key; "
        "did you mean 'current'?",
        f"::error file=mlgate.yaml,line=1,{title}::mlgate.yaml:1: data.current: required key "
        "is missing",
    ]
    assert err.splitlines() == [
        "mlgate: error: mlgate.yaml:3: data.curent: unknown key; did you mean 'current'?",
        "mlgate: error: mlgate.yaml:1: data.current: required key is missing",
    ]


def test_data_and_user_code_errors_become_annotations(
    mlgate: Run, ref: Path, user_code: Path, tmp_path: Path
) -> None:
    (tmp_path / "ragged.csv").write_text("x,code\n1,2\n3,4,5\n")
    code, out, _ = mlgate(
        "check", "data", "--reference", ref, "--current", "ragged.csv", "--format=github"
    )
    assert code == 2
    assert out == (
        "::error file=ragged.csv,line=3,title=mlgate could not run (exit 2)::ragged.csv: line 3 "
        "has 3 fields, the header has 2; check the delimiter and the quoting on that line\n"
    )
    code, out, _ = mlgate(
        "check", "training", "--entrypoint", "train.py:spec", "--format", "github"
    )
    assert code == 2
    assert out == (
        "::error file=train.py,line=5,title=mlgate could not run (exit 2)::calling train.py:spec "
        "failed: JSONDecodeError: Expecting property name enclosed in double quotes: line 1 "
        "column 2 (char 1) at train.py:5\n"
    )


def test_usage_error_becomes_an_annotation_without_a_place(mlgate: Run) -> None:
    code, out, _ = mlgate("check", "data", "--format", "github")
    assert code == 2
    assert out == (
        "::error title=mlgate could not run (exit 2)::Missing option '--reference'.; see "
        "'mlgate check data --help'\n"
    )


def test_without_format_github_an_error_writes_nothing_to_stdout(mlgate: Run) -> None:
    assert mlgate("run")[1] == ""


# -- data with no rows: one rule -------------------------------------------------------------


def _header_only(d: Path) -> str:
    (d / "header.csv").write_text("x,code,city,flag\n")
    return "header.csv"


def _zero_bytes_csv(d: Path) -> str:
    (d / "empty.csv").write_bytes(b"")
    return "empty.csv"


def _zero_bytes_parquet(d: Path) -> str:
    (d / "empty.parquet").write_bytes(b"")
    return "empty.parquet"


def _zero_row_parquet(d: Path) -> str:
    make_table().head(0).write_parquet(d / "zero.parquet")
    return "zero.parquet"


NO_ROWS = [_header_only, _zero_bytes_csv, _zero_bytes_parquet, _zero_row_parquet]


@pytest.mark.parametrize("make", NO_ROWS, ids=lambda f: f.__name__.strip("_"))
def test_current_with_no_rows_fails_quality_empty_dataset(
    mlgate: Run, ref: Path, tmp_path: Path, make: Callable[[Path], str]
) -> None:
    name = make(tmp_path)
    code, out, err = mlgate(
        "check", "data", "--reference", ref, "--current", name, "--format", "json"
    )
    assert (code, err) == (1, "")
    [check] = json.loads(out)["checks"]
    assert check["name"] == "quality.empty_dataset"
    assert check["status"] == "fail"
    assert check["message"] == (
        "the dataset has no rows; the schema needs at least 1; check the step that produced it"
    )
    code, out, err = mlgate("schema", "infer", ref, "-o", "schema.yaml")
    code, out, err = mlgate("schema", "validate", name, "--schema", "schema.yaml")
    assert code == 1
    assert "FAIL" in out and "quality.empty_dataset" in out


@pytest.mark.parametrize("make", NO_ROWS, ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("with_schema", [False, True])
def test_reference_with_no_rows_is_refused(
    mlgate: Run, ref: Path, tmp_path: Path, make: Callable[[Path], str], with_schema: bool
) -> None:
    name = make(tmp_path)
    schema: tuple[str, ...] = ()
    if with_schema:
        assert mlgate("schema", "infer", ref, "-o", "schema.yaml")[0] == 0
        schema = ("--schema", "schema.yaml")
    why = (
        "so there is nothing to compare the current data with"
        if with_schema
        else "so no schema can be inferred from it and there is nothing to compare with"
    )
    assert mlgate("check", "data", "--reference", name, "--current", ref, *schema) == (
        2,
        "",
        f"mlgate: error: {name}: the reference has no rows, {why}; give a reference with data\n",
    )


@pytest.mark.parametrize(
    ("make", "warning"),
    [
        (_header_only, "no rows (4 columns)"),
        (_zero_row_parquet, "no rows (4 columns)"),
        (
            _zero_bytes_csv,
            "the file is empty (0 bytes: not written, or cut short?), so the profile has no "
            "rows and no columns",
        ),
    ],
)
def test_profile_of_no_rows_is_written_with_a_warning(
    mlgate: Run, tmp_path: Path, make: Callable[[Path], str], warning: str
) -> None:
    name = make(tmp_path)
    code, out, err = mlgate("profile", name, "-o", "p.json")
    assert (code, out) == (0, "")
    assert err == (
        f"mlgate: warning: {name}: {warning}; as current data it fails quality.empty_dataset, "
        "and as a reference it is refused\n"
    )
    assert json.loads((tmp_path / "p.json").read_text())["rows"] == 0


def test_internal_error_is_annotated_too(
    mlgate: Run, ref: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlgate.data import gate as data_gate

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(data_gate, "check_data", broken)
    code, out, err = mlgate(
        "check", "data", "--reference", ref, "--current", ref, "--format", "github"
    )
    assert code == 3
    assert out.startswith(
        "::error title=mlgate internal error (exit 3)::internal error (a bug in mlgate): "
        "RuntimeError: boom; traceback written to "
    )
    assert err.startswith("mlgate: internal error (a bug in mlgate): RuntimeError: boom;")


def test_target_typo_in_the_config_points_at_its_line(
    mlgate: Run, ref: Path, tmp_path: Path
) -> None:
    (tmp_path / "mlgate.yaml").write_text(
        f"data:\n  reference: {ref.name}\n  current: {ref.name}\n  target: lable\n"
    )
    assert mlgate("run") == (
        2,
        "",
        "mlgate: error: mlgate.yaml:4: data.target: target column 'lable' is in neither the "
        "schema nor the reference; did you mean 'label'? the columns are: 'x', 'code', "
        "'city', 'flag', 'label'\n",
    )


def test_a_model_stage_without_a_target_names_its_line_in_mlgate_yaml(mlgate, tmp_path):
    (tmp_path / "mlgate.yaml").write_text(
        "severity: {}\nmodel:\n  model: m.skops\n  data: eval.csv\n", encoding="utf-8"
    )
    code, _, err = mlgate("run", "--config", tmp_path / "mlgate.yaml")
    assert code == 2
    assert f"{tmp_path / 'mlgate.yaml'}:2: model.target: required" in err
