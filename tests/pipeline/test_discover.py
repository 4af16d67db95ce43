"""``mlgate init`` finds a pipeline module and writes its stage, reading only its syntax."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlgate.config import load_config
from mlgate.pipeline.discover import FoundPipeline, find_pipeline
from tests.conftest import run_main
from tests.pipeline.project import write_project

MODULE = """\
import sys

def _helper(x):
    return x

def clean(raw, *, strict=False):
    return raw

def report(clean, out_path):  # out_path is neither a data file nor a step: not a step
    pass

def features(clean, customers):
    return clean

def fit_model(features):
    return None

sys.exit("importing the module would end the run")
"""


def test_functions_chained_by_parameters_are_the_steps(tmp_path: Path) -> None:
    (tmp_path / "pipeline.py").write_text(MODULE)
    found = find_pipeline(tmp_path, ["data/raw.csv", "data/customers.parquet", "other.csv"])
    assert found == FoundPipeline(
        module="pipeline.py",
        sources=(("raw", "data/raw.csv"), ("customers", "data/customers.parquet")),
        steps=(("clean", False), ("features", False), ("fit_model", True)),
    )


def test_no_pipeline_when_no_function_reads_a_data_file(tmp_path: Path) -> None:
    (tmp_path / "pipeline.py").write_text("def clean(rows):\n    return rows\n")
    assert find_pipeline(tmp_path, ["data/raw.csv"]) is None
    (tmp_path / "pipeline.py").write_text("def clean(raw:\n")  # a syntax error
    assert find_pipeline(tmp_path, ["data/raw.csv"]) is None


def test_init_writes_a_pipeline_stage_that_loads_and_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_project(tmp_path).unlink()
    code, out, err = run_main(capsys, ("init", tmp_path))
    assert code == 0, err
    assert "mlgate pipeline infer" in out + err
    config, _ = load_config(tmp_path / "mlgate.yaml")
    stage = config.pipeline
    assert stage is not None
    assert [(s.name, s.run, s.returns) for s in stage.steps] == [
        ("clean", "pipeline.py:clean", "frame"),
        ("features", "pipeline.py:features", "frame"),
        ("train", "pipeline.py:train", "object"),
    ]
    assert stage.source("regions").path == "data/regions.csv"
    code, _, err = run_main(capsys, ("pipeline", "infer", "-c", tmp_path / "mlgate.yaml"))
    assert code == 0, err
    code, out, err = run_main(capsys, ("check", "pipeline", "-c", tmp_path / "mlgate.yaml"))
    assert code == 0, out + err
