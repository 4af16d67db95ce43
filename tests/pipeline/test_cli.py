"""``mlgate pipeline infer`` and ``mlgate check pipeline`` on the command line: exit codes,
one clear line for each kind of bad input, the JSON report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_main
from tests.pipeline.project import CONFIG, replace_step, write_project

Capsys = pytest.CaptureFixture[str]


def one_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("mlgate: error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_infer_writes_contracts_and_check_passes_as_json(
    tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, _, err = run_main(capsys, ("pipeline", "infer", "--config", config))
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "contracts").iterdir()) == [
        "clean.yaml",
        "features.yaml",
    ]
    code, out, err = run_main(capsys, ("check", "pipeline", "--config", config, "--format", "json"))
    assert code == 0, err
    report = json.loads(out)
    assert report["passed"] is True
    stages = {c["stage"] for c in report["checks"]}
    assert stages == {"pipeline:clean", "pipeline:features", "pipeline:train"}
    assert all(c["details"]["step"] == c["stage"].split(":")[1] for c in report["checks"])


def test_infer_one_step_only(tmp_path: Path, capsys: Capsys) -> None:
    config = write_project(tmp_path)
    code, _, err = run_main(capsys, ("pipeline", "infer", "-c", config, "--step", "features"))
    assert code == 0, err
    assert [p.name for p in (tmp_path / "contracts").iterdir()] == ["features.yaml"]
    code, _, err = run_main(capsys, ("pipeline", "infer", "-c", config, "--step", "featurs"))
    assert code == 2 and "did you mean 'features'?" in one_error(err)


def test_a_broken_step_fails_the_check_with_exit_1(project: Path, capsys: Capsys) -> None:
    replace_step(project, "clean", "def clean(raw):\n    return raw.iloc[: len(raw) // 2]\n")
    code, out, _ = run_main(capsys, ("check", "pipeline", "-c", project / "mlgate.yaml"))
    assert code == 1
    assert "pipeline.first_broken" in out and "'clean'" in out


def test_missing_step_file_is_exit_2_naming_the_config_line(tmp_path: Path, capsys: Capsys) -> None:
    config = write_project(tmp_path, config=CONFIG.replace("pipeline.py:clean", "steps.py:clean"))
    code, _, err = run_main(capsys, ("check", "pipeline", "-c", config))
    assert code == 2
    line = one_error(err)
    assert "mlgate.yaml:9: pipeline.steps.0.run: steps.py: no such file" in line


def test_unknown_parameter_name_is_exit_2_with_a_did_you_mean(
    tmp_path: Path, capsys: Capsys
) -> None:
    config = write_project(tmp_path)
    replace_step(tmp_path, "clean", "def clean(raws):\n    return raws\n")
    code, _, err = run_main(capsys, ("check", "pipeline", "-c", config))
    assert code == 2
    line = one_error(err)
    assert "mlgate.yaml:9: pipeline.steps.0.run:" in line
    assert "parameter 'raws' is neither a source nor an earlier step; did you mean 'raw'?" in line


def test_parameter_naming_a_later_step_says_to_reorder(tmp_path: Path, capsys: Capsys) -> None:
    config = write_project(tmp_path)
    replace_step(tmp_path, "clean", "def clean(raw, features):\n    return raw\n")
    code, _, err = run_main(capsys, ("check", "pipeline", "-c", config))
    assert code == 2 and "'features' is a step that runs later" in one_error(err)


def test_step_returning_none_is_exit_2_at_its_def_line(tmp_path: Path, capsys: Capsys) -> None:
    config = write_project(tmp_path)
    replace_step(tmp_path, "clean", "def clean(raw):\n    raw.dropna()\n")
    code, _, err = run_main(capsys, ("check", "pipeline", "-c", config))
    assert code == 2
    line = one_error(err)
    assert "step 'clean' (pipeline.py:clean) returned None, not a DataFrame" in line
    assert "pipeline.py:" in line and "returns: object" in line


def test_bad_contract_file_is_exit_2_naming_its_line(project: Path, capsys: Capsys) -> None:
    path = project / "contracts" / "clean.yaml"
    path.write_text(path.read_text().replace("promise: filtered", "promise: mostly"))
    code, _, err = run_main(capsys, ("check", "pipeline", "-c", project / "mlgate.yaml"))
    assert code == 2
    line = one_error(err)
    assert "clean.yaml:" in line and "rows.promise: should be" in line and "'mostly'" in line


def test_missing_source_is_exit_2_naming_the_config_line(tmp_path: Path, capsys: Capsys) -> None:
    config = write_project(tmp_path)
    (tmp_path / "data" / "regions.csv").unlink()
    code, _, err = run_main(capsys, ("check", "pipeline", "-c", config))
    assert code == 2
    assert "mlgate.yaml:4: pipeline.sources.regions:" in one_error(err)


def test_config_without_a_pipeline_is_exit_2(tmp_path: Path, capsys: Capsys) -> None:
    config = tmp_path / "mlgate.yaml"
    config.write_text("data: {reference: a.csv, current: b.csv}\n")
    code, _, err = run_main(capsys, ("check", "pipeline", "-c", config))
    assert code == 2 and "has no 'pipeline:' section" in one_error(err)


def test_empty_mode_checks_the_wiring_on_zero_rows(project: Path, capsys: Capsys) -> None:
    code, out, err = run_main(
        capsys, ("check", "pipeline", "-c", project / "mlgate.yaml", "--empty")
    )
    assert code == 0, out + err
    replace_step(
        project,
        "features",
        "def features(clean, regions):\n    return clean.rename(columns={'income': 'revenue'})\n",
    )
    code, out, _ = run_main(
        capsys, ("check", "pipeline", "-c", project / "mlgate.yaml", "--empty", "--format", "json")
    )
    assert code == 1
    failed = [(c["name"], c["column"]) for c in json.loads(out)["checks"] if c["status"] == "fail"]
    assert ("schema.missing_column", "income") in failed


def test_mlgate_run_runs_the_pipeline_stage(project: Path, capsys: Capsys) -> None:
    replace_step(
        project,
        "features",
        "def features(clean, regions):\n    return clean.merge(regions, on='region')\n",
    )
    code, out, _ = run_main(capsys, ("run", "-c", project / "mlgate.yaml", "--format", "json"))
    assert code == 1
    report = json.loads(out)
    first = report["checks"][0]
    assert (first["name"], first["stage"]) == ("pipeline.first_broken", "pipeline:features")
    assert {c["stage"] for c in report["checks"]} == {
        "pipeline:clean",
        "pipeline:features",
        "pipeline:train",
    }


def test_step_returning_two_columns_of_one_name_is_exit_2(tmp_path: Path, capsys: Capsys) -> None:
    config = write_project(tmp_path)
    replace_step(
        tmp_path, "clean", "def clean(raw):\n    return pd.concat([raw, raw[['age']]], axis=1)\n"
    )
    code, _, err = run_main(capsys, ("check", "pipeline", "-c", config))
    assert code == 2
    assert (
        "step 'clean' (pipeline.py:clean) returned a DataFrame with the column name 'age' twice"
        in one_error(err)
    )


def test_a_step_that_calls_sys_exit_is_a_failed_step_not_the_end_of_mlgate(
    project: Path, capsys: Capsys
) -> None:
    replace_step(project, "clean", "def clean(raw):\n    import sys\n\n    sys.exit(0)\n")
    code, out, _ = run_main(
        capsys, ("check", "pipeline", "-c", project / "mlgate.yaml", "--format", "json")
    )
    assert code == 1
    failed = [c for c in json.loads(out)["checks"] if c["status"] == "fail"]
    assert failed[1]["name"] == "pipeline.step_failed" and failed[1]["stage"] == "pipeline:clean"
    assert "called sys.exit(0); return from the step instead of exiting" in failed[1]["message"]


def test_the_report_names_the_contracts_it_judged_against(project: Path, capsys: Capsys) -> None:
    code, out, _ = run_main(
        capsys, ("check", "pipeline", "-c", project / "mlgate.yaml", "--format", "json")
    )
    assert code == 0
    roles = {i["role"]: i["path"] for i in json.loads(out)["run"]["inputs"]}
    assert roles["contract:features"] == "contracts/features.yaml"
    assert roles["source:raw"] == "data/raw.csv"


def test_a_target_in_no_source_is_exit_2_with_a_did_you_mean(
    tmp_path: Path, capsys: Capsys
) -> None:
    config = write_project(tmp_path, config=CONFIG.replace("target: defaulted", "target: default"))
    code, _, err = run_main(capsys, ("check", "pipeline", "-c", config))
    assert code == 2
    line = one_error(err)
    assert "mlgate.yaml:6: pipeline.target: 'default' is a column of no source" in line
    assert "did you mean 'defaulted'?" in line


def test_github_annotation_of_a_step_that_raised_points_at_the_users_line(
    project: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    replace_step(project, "clean", "def clean(raw):\n    return raw['no_such_column']\n")
    monkeypatch.chdir(project)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(project))
    code, out, _ = run_main(capsys, ("check", "pipeline", "--format", "github"))
    assert code == 1
    line = next(
        i
        for i, t in enumerate((project / "pipeline.py").read_text().splitlines(), 1)
        if "no_such_column" in t
    )
    annotations = out.splitlines()
    prefix = f"::error file=pipeline.py,line={line},title=mlgate "
    assert any(a.startswith(prefix + "pipeline.step_failed") for a in annotations), out
    # The lead finding points there too: where to start.
    assert annotations[0].startswith(prefix + "pipeline.first_broken"), out


def test_inputs_map_a_parameter_to_another_name(tmp_path: Path, capsys: Capsys) -> None:
    config = write_project(
        tmp_path,
        config=CONFIG.replace(
            "      run: pipeline.py:clean\n",
            "      run: pipeline.py:clean\n      inputs: {df: raw}\n",
        ),
    )
    path = tmp_path / "pipeline.py"
    path.write_text(
        path.read_text().replace("def clean(raw):\n    df = raw.", "def clean(df):\n    df = df.")
    )
    code, out, err = run_main(capsys, ("check", "pipeline", "-c", config, "--format", "json"))
    assert code == 0, out + err  # no contracts yet: warnings only
    assert json.loads(out)["checks"][0]["details"]["step"] == "clean"
    replace_step(tmp_path, "clean", "def clean(frame):\n    return frame\n")
    code, _, err = run_main(capsys, ("check", "pipeline", "-c", config))
    assert code == 2
    assert "pipeline.py:clean has no parameter 'df'" in one_error(err)
