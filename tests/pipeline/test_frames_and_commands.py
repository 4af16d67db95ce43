"""Steps as Polars functions, as package.module:func, and as shell commands."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mlgate.findings import Status
from mlgate.pipeline.gate import check_pipeline, infer_contracts
from tests.pipeline.project import raw_table

POLARS_STEPS = """\
import polars as pl


def clean(raw):
    assert isinstance(raw, pl.DataFrame)
    return raw.drop_nulls("income").with_columns(
        pl.col("income").str.replace_all(r"[$,]", "").cast(pl.Float64)
    )


def features(clean):
    return clean.with_columns(debt_ratio=pl.col("loan_amount") / pl.col("income")).select(
        "applicant_id", "debt_ratio", "defaulted"
    )
"""


def polars_project(folder: Path, *, run: str = "steps.py") -> Path:
    (folder / "data").mkdir()
    raw_table().to_csv(folder / "data" / "raw.csv", index=False)
    (folder / "steps.py").write_text(POLARS_STEPS)
    config = folder / "mlgate.yaml"
    config.write_text(
        "pipeline:\n"
        "  sources: {raw: data/raw.csv}\n"
        "  frame: polars\n"
        "  sample: 500\n"
        "  target: defaulted\n"
        "  steps:\n"
        f"    - {{name: clean, run: '{run}:clean'}}\n"
        f"    - {{name: features, run: '{run}:features'}}\n"
    )
    return config


def test_polars_steps_receive_polars_frames_and_pass(tmp_path: Path) -> None:
    config = polars_project(tmp_path)
    infer_contracts(config)
    report = check_pipeline(config)
    assert report.passed, [f for f in report.findings if f.status is Status.FAIL]


def test_unseeded_polars_shuffle_is_caught(tmp_path: Path) -> None:
    config = polars_project(tmp_path)
    infer_contracts(config)
    steps = tmp_path / "steps.py"
    steps.write_text(
        steps.read_text().replace(
            '"applicant_id", "debt_ratio", "defaulted"\n    )',
            '"applicant_id", "debt_ratio", "defaulted"\n    ).sample(fraction=1.0, shuffle=True)',
        )
    )
    report = check_pipeline(config)
    bad = [
        f
        for f in report.findings
        if f.name == "pipeline.not_deterministic" and f.status is Status.FAIL
    ]
    assert [f.details["step"] for f in bad] == ["features"]


def test_steps_as_package_module_func(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = polars_project(tmp_path, run="loans.steps")
    (tmp_path / "loans").mkdir()
    (tmp_path / "loans" / "__init__.py").write_text("")
    (tmp_path / "steps.py").rename(tmp_path / "loans" / "steps.py")
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "loans", raising=False)
    monkeypatch.delitem(sys.modules, "loans.steps", raising=False)
    infer_contracts(config)
    assert check_pipeline(config).passed


SCRIPT = """\
import sys

import pandas as pd

raw = pd.read_csv(sys.argv[1])
raw = raw.dropna(subset=["income"])
raw["income"] = raw["income"].str.replace("$", "", regex=False).str.replace(",", "", regex=False)
raw["income"] = raw["income"].astype(float)
raw.to_parquet(sys.argv[2])
"""


def command_project(folder: Path) -> Path:
    (folder / "data").mkdir()
    raw_table().to_csv(folder / "data" / "raw.csv", index=False)
    (folder / "clean.py").write_text(SCRIPT)
    (folder / "steps.py").write_text(
        "def features(clean):\n"
        "    clean['debt_ratio'] = clean['loan_amount'] / clean['income']\n"
        "    return clean[['applicant_id', 'debt_ratio', 'defaulted']]\n"
    )
    config = folder / "mlgate.yaml"
    config.write_text(
        "pipeline:\n"
        "  sources: {raw: data/raw.csv}\n"
        "  sample: 400\n"
        "  steps:\n"
        "    - name: clean\n"
        f"      cmd: {sys.executable} clean.py {{raw}} {{out}}\n"
        "      inputs: {raw: raw.csv}\n"
        "      outputs: {out: clean.parquet}\n"
        "    - {name: features, run: 'steps.py:features'}\n"
    )
    return config


def test_command_step_runs_on_the_sample_through_files(tmp_path: Path) -> None:
    config = command_project(tmp_path)
    written = infer_contracts(config)
    assert sorted(p.name for p in written) == ["clean.yaml", "features.yaml"]
    report = check_pipeline(config)
    assert report.passed, [f for f in report.findings if f.status is Status.FAIL]
    # The user's data file is read, never written.
    assert (tmp_path / "data" / "raw.csv").read_text().startswith("applicant_id,")


def test_command_that_fails_is_located_at_the_scripts_line(tmp_path: Path) -> None:
    config = command_project(tmp_path)
    infer_contracts(config)
    script = tmp_path / "clean.py"
    script.write_text(script.read_text().replace('["income"].astype', '["incme"].astype'))
    report = check_pipeline(config)
    failed = next(
        f for f in report.findings if f.name == "pipeline.step_failed" and f.status is Status.FAIL
    )
    assert failed.details["step"] == "clean"
    assert failed.details["file"].endswith("clean.py") and failed.details["line"] == 8
    assert "KeyError" in failed.message
    assert report.findings[0].details["step"] == "clean"


KEYED_STEPS = """\
def joined(orders, customers):
    return orders.merge(customers, on="customer_id", how="inner", validate="many_to_one")
"""


def test_sources_sampled_by_key_still_join_in_the_steps(tmp_path: Path) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    pd.DataFrame({"customer_id": np.arange(4000), "tier": rng.choice(["a", "b"], 4000)}).to_csv(
        tmp_path / "customers.csv", index=False
    )
    pd.DataFrame(
        {"order_id": np.arange(20000), "customer_id": rng.integers(0, 4000, 20000)}
    ).to_csv(tmp_path / "orders.csv", index=False)
    (tmp_path / "steps.py").write_text(KEYED_STEPS)
    config = tmp_path / "mlgate.yaml"
    config.write_text(
        "pipeline:\n"
        "  sources:\n"
        "    orders: {path: orders.csv, key: customer_id}\n"
        "    customers: {path: customers.csv, key: customer_id}\n"
        "  sample: 1000\n"
        "  steps:\n"
        "    - {name: joined, run: 'steps.py:joined'}\n"
    )
    infer_contracts(config)
    contract = (tmp_path / "contracts" / "joined.yaml").read_text()
    # The inner join kept every sampled order: each one's customer was sampled too.
    assert "promise: kept" in contract
    report = check_pipeline(config)
    assert report.passed, [f for f in report.findings if f.status is Status.FAIL]
    rows = next(f for f in report.findings if f.name == "pipeline.rows_lost")
    assert 700 <= rows.details["rows_in"] <= 1300
