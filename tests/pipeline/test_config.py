"""The pipeline: section of mlgate.yaml: every mistake named with its file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from mlgate.config import load_config
from mlgate.errors import ConfigError

HEAD = "pipeline:\n  sources: {raw: raw.csv}\n"


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "mlgate.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return [p.message.replace(str(path), "mlgate.yaml") for p in info.value.problems]


def test_pipeline_section_parses_into_frozen_objects(tmp_path: Path) -> None:
    path = tmp_path / "mlgate.yaml"
    path.write_text(
        "pipeline:\n"
        "  sources: {raw: data/raw.csv, customers: {path: c.parquet, key: customer_id}}\n"
        "  target: label\n"
        "  frame: polars\n"
        "  steps:\n"
        "    - {name: clean, run: pipeline.py:clean}\n"
        "    - {name: fit, run: mypkg.steps:fit, returns: object}\n"
        "    - {name: export, cmd: 'python export.py {clean} {out}', inputs: {clean: c.csv},"
        " outputs: {out: o.parquet}}\n"
    )
    config, _ = load_config(path)
    stage = config.pipeline
    assert stage is not None
    assert stage.sample == 2000 and stage.frame == "polars" and stage.target == "label"
    assert stage.source("raw").key is None and stage.source("customers").key == "customer_id"
    assert [s.name for s in stage.steps] == ["clean", "fit", "export"]
    with pytest.raises(ValidationError):
        stage.steps[0].name = "other"  # type: ignore[misc]


def test_run_without_a_function_is_named_at_its_line(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        HEAD + "  steps:\n    - name: clean\n      run: pipeline.py\n",
    )
    assert found == [
        "mlgate.yaml:5: pipeline.steps.0.run: 'pipeline.py' is not FILE.py:FUNC or "
        "package.module:FUNC, e.g. pipeline.py:clean"
    ]


def test_misspelt_key_gets_a_did_you_mean(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        HEAD + "  sampel: 100\n  steps:\n    - {name: a, run: p.py:a}\n",
    )
    assert found == ["mlgate.yaml:3: pipeline.sampel: unknown key; did you mean 'sample'?"]


def test_step_with_both_run_and_cmd_is_refused(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        "pipeline:\n  sources: {raw: raw.csv}\n  steps:\n"
        "    - {name: a, run: p.py:a, cmd: make, outputs: {a: a.csv}}\n",
    )
    assert len(found) == 1 and found[0].startswith("mlgate.yaml:4: pipeline.steps.0: ")
    assert "exactly one of run:" in found[0]


def test_step_named_like_a_source_is_refused(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        "pipeline:\n  sources: {raw: raw.csv}\n  steps:\n    - {name: raw, run: p.py:a}\n",
    )
    assert len(found) == 1 and "step name 'raw' is used twice" in found[0]


def test_step_name_must_be_an_identifier(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        HEAD + "  steps:\n    - {name: make-features, run: p.py:a}\n",
    )
    assert len(found) == 1 and found[0].startswith("mlgate.yaml:4: pipeline.steps.0.name: ")
