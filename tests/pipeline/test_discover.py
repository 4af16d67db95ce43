"""``mlgate init`` finds a pipeline module and writes its stage, reading only its syntax."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mlgate.config import load_config
from mlgate.pipeline.discover import FoundPipeline, FoundStep, find_pipeline
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
        steps=(
            FoundStep("clean", run="pipeline.py:clean"),
            FoundStep("features", run="pipeline.py:features"),
            FoundStep("fit_model", run="pipeline.py:fit_model", model=True),
        ),
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


PREPARE = """\
import sys

import pandas as pd

df = pd.read_csv(sys.argv[1]).dropna(subset=["x"])
df.to_csv(sys.argv[2], index=False)
"""
FEATURIZE = """\
import sys

import pandas as pd

df = pd.read_csv(sys.argv[1])
df["x2"] = df["x"] ** 2
df.to_parquet(sys.argv[2])
"""


def dvc_project(root: Path) -> None:
    (root / "data").mkdir()
    rows = "\n".join(f"{i},{'' if i % 10 == 0 else i / 7},{'ab'[i % 2]}" for i in range(300))
    (root / "data" / "raw.csv").write_text("id,x,label\n" + rows + "\n")
    (root / "prepare.py").write_text(PREPARE)
    (root / "featurize.py").write_text(FEATURIZE)
    py = sys.executable
    (root / "dvc.yaml").write_text(
        "stages:\n"
        "  prepare:\n"
        f"    cmd: {py} prepare.py data/raw.csv data/prepared.csv\n"
        "    deps: [prepare.py, data/raw.csv]\n"
        "    outs: [data/prepared.csv]\n"
        "  featurize:\n"
        f"    cmd: {py} featurize.py data/prepared.csv data/features.parquet\n"
        "    deps: [featurize.py, data/prepared.csv]\n"
        "    outs: [{data/features.parquet: {cache: false}}]\n"
        "  train:\n"
        "    cmd: python train.py\n"
        "    deps: [train.py, data/features.parquet]\n"
        "    outs: [model.pkl]\n"
    )


def test_dvc_stages_that_name_their_data_files_become_command_steps(tmp_path: Path) -> None:
    dvc_project(tmp_path)
    found = find_pipeline(tmp_path, ["data/raw.csv"])
    py = sys.executable
    assert found == FoundPipeline(
        module="dvc.yaml",
        sources=(("raw", "data/raw.csv"),),
        steps=(
            FoundStep(
                "prepare",
                cmd=f"{py} prepare.py {{raw}} {{prepare}}",
                inputs=(("raw", "raw.csv"),),
                outputs=(("prepare", "prepared.csv"),),
            ),
            FoundStep(
                "featurize",
                cmd=f"{py} featurize.py {{prepare}} {{featurize}}",
                inputs=(("prepare", "prepared.csv"),),
                outputs=(("featurize", "features.parquet"),),
            ),
        ),
    )


def test_init_writes_the_dvc_pipeline_and_it_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dvc_project(tmp_path)
    code, _, err = run_main(capsys, ("init", tmp_path))
    assert code == 0, err
    config, _ = load_config(tmp_path / "mlgate.yaml")
    assert config.pipeline is not None
    assert [s.name for s in config.pipeline.steps] == ["prepare", "featurize"]
    code, _, err = run_main(capsys, ("pipeline", "infer", "-c", tmp_path / "mlgate.yaml"))
    assert code == 0, err
    code, out, err = run_main(capsys, ("check", "pipeline", "-c", tmp_path / "mlgate.yaml"))
    assert code == 0, out + err
    # The project's own files were read, never written by the check.
    assert not (tmp_path / "data" / "prepared.csv").exists()


KEDRO_NODES = """\
import pandas as pd


def preprocess_companies(companies: pd.DataFrame) -> pd.DataFrame:
    return companies.assign(rating=companies["rating"].fillna(0))


def create_model_input_table(shuttles: pd.DataFrame, companies: pd.DataFrame) -> pd.DataFrame:
    return shuttles.merge(companies, left_on="company_id", right_on="id", how="left")


def split_data(table: pd.DataFrame, parameters: dict) -> pd.DataFrame:
    return table
"""
KEDRO_PIPELINE = """\
from kedro.pipeline import Pipeline, node, pipeline

from .nodes import create_model_input_table, preprocess_companies, split_data


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                func=create_model_input_table,
                inputs=["shuttles", "preprocessed_companies"],
                outputs="model_input_table",
                name="create_model_input_table_node",
            ),
            node(preprocess_companies, "companies", "preprocessed_companies"),
            node(split_data, ["model_input_table", "params:model_options"], "X_train"),
        ]
    )
"""
KEDRO_CATALOG = """\
companies:
  type: pandas.CSVDataset
  filepath: data/01_raw/companies.csv
shuttles:
  type: pandas.CSVDataset
  filepath: data/01_raw/shuttles.csv
model_input_table:
  type: pandas.ParquetDataset
  filepath: data/03_primary/model_input_table.parquet
"""


def kedro_project(root: Path) -> None:
    raw = root / "data" / "01_raw"
    raw.mkdir(parents=True)
    rows = "\n".join(f"{i},{'' if i % 7 == 0 else i % 5}" for i in range(100))
    (raw / "companies.csv").write_text("id,rating\n" + rows + "\n")
    shuttles = "\n".join(f"{i},{i % 100},{i % 3}" for i in range(400))
    (raw / "shuttles.csv").write_text("shuttle_id,company_id,engines\n" + shuttles + "\n")
    (root / "conf" / "base").mkdir(parents=True)
    (root / "conf" / "base" / "catalog.yml").write_text(KEDRO_CATALOG)
    folder = root / "src" / "spaceflights" / "pipelines" / "data_processing"
    folder.mkdir(parents=True)
    (folder / "nodes.py").write_text(KEDRO_NODES)
    (folder / "pipeline.py").write_text(KEDRO_PIPELINE)


def test_kedro_nodes_become_steps_bound_to_their_datasets(tmp_path: Path) -> None:
    kedro_project(tmp_path)
    found = find_pipeline(tmp_path, [])
    nodes = "src/spaceflights/pipelines/data_processing/nodes.py"
    assert found == FoundPipeline(
        module="kedro",
        sources=(
            ("companies", "data/01_raw/companies.csv"),
            ("shuttles", "data/01_raw/shuttles.csv"),
        ),
        steps=(
            FoundStep("preprocessed_companies", run=f"{nodes}:preprocess_companies"),
            FoundStep(
                "model_input_table",
                run=f"{nodes}:create_model_input_table",
                inputs=(("companies", "preprocessed_companies"),),
            ),
        ),
    )


def test_init_writes_the_kedro_pipeline_and_it_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kedro_project(tmp_path)
    code, _, err = run_main(capsys, ("init", tmp_path))
    assert code == 0, err
    code, _, err = run_main(capsys, ("pipeline", "infer", "-c", tmp_path / "mlgate.yaml"))
    assert code == 0, err
    code, out, err = run_main(
        capsys, ("check", "pipeline", "-c", tmp_path / "mlgate.yaml", "--format", "json")
    )
    assert code == 0, out + err
