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
