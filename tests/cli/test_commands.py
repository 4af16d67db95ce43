import json
import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl
import pytest

from mlgate._cli.main import main
from tests.conftest import make_table, run_main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "penguins"


def run(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out = capsys.readouterr()
    code = exit_info.value.code
    return (0 if code is None else int(code)), out.out, out.err


@pytest.fixture
def twins(write):
    return (
        str(write(make_table(seed=1), "ref.parquet")),
        str(write(make_table(seed=2), "cur.csv")),
        str(write(make_table(seed=3, shift=1.0), "shifted.csv")),
    )


def test_check_data_passes_with_exit_0_and_fails_with_exit_1(capsys, twins):
    ref, cur, shifted = twins
    code, out, err = run(capsys, "check", "data", "--reference", ref, "--current", cur)
    assert code == 0 and "passed" in out.splitlines()[-1]
    assert err == ""  # no progress bar when not on a terminal
    code, out, _ = run(capsys, "check", "data", "--reference", ref, "--current", shifted)
    assert code == 1 and "drift.numeric" in out and "FAILED" in out


def test_json_output_to_file_is_the_contract(capsys, twins, tmp_path):
    ref, _, shifted = twins
    target = tmp_path / "report.json"
    code, out, _ = run(
        capsys,
        "check",
        "data",
        "--reference",
        ref,
        "--current",
        shifted,
        "--format",
        "json",
        "--output",
        str(target),
    )
    assert code == 1 and out == ""
    d = json.loads(target.read_text())
    assert d["passed"] is False
    assert any(c["name"] == "drift.numeric" and c["status"] == "fail" for c in d["checks"])
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_junit_and_markdown_formats(capsys, twins):
    ref, _, shifted = twins
    _, out, _ = run(
        capsys, "check", "data", "--reference", ref, "--current", shifted, "--format", "junit"
    )
    assert ET.fromstring(out).find("testsuite").get("failures") != "0"
    _, out, _ = run(
        capsys, "check", "data", "--reference", ref, "--current", shifted, "--format", "markdown"
    )
    assert out.startswith("### ❌")


def test_skew_mode_words_findings_as_training_serving_skew(capsys, twins):
    ref, _, shifted = twins
    code, out, _ = run(
        capsys,
        "check",
        "data",
        "--reference",
        ref,
        "--current",
        shifted,
        "--mode",
        "skew",
        "--format",
        "json",
    )
    checks = json.loads(out)["checks"]
    skew = [c for c in checks if c["name"] == "skew.numeric" and c["status"] == "fail"]
    assert code == 1 and skew and "training/serving skew" in skew[0]["message"]


def test_target_drift_is_its_own_finding(capsys, twins):
    ref, _, shifted = twins
    _, out, _ = run(
        capsys,
        "check",
        "data",
        "--reference",
        ref,
        "--current",
        shifted,
        "--target",
        "x",
        "--format",
        "json",
    )
    assert any(
        c["name"] == "drift.target" and c["column"] == "x" for c in json.loads(out)["checks"]
    )


def test_unknown_target_is_a_usage_error(capsys, twins):
    ref, cur, _ = twins
    code, _, err = run(
        capsys, "check", "data", "--reference", ref, "--current", cur, "--target", "nope"
    )
    assert code == 2 and err.count("\n") == 1 and "'nope'" in err


def test_profile_then_check_with_the_profile_as_reference(capsys, twins, tmp_path):
    ref, cur, _ = twins
    prof = tmp_path / "ref.profile.json"
    code, _, _ = run(capsys, "profile", ref, "-o", str(prof))
    assert code == 0 and json.loads(prof.read_text())["format"] == "mlgate.profile"
    code, _, _ = run(capsys, "check", "data", "--reference", str(prof), "--current", cur)
    assert code == 0


def test_profile_without_output_prints_a_summary_table(capsys, twins):
    code, out, _ = run(capsys, "profile", twins[0])
    assert code == 0 and "2000" in out and "city" in out and "float" in out


def test_schema_infer_then_validate(capsys, twins, tmp_path, write):
    ref, cur, _ = twins
    schema = tmp_path / "schema.yaml"
    assert run(capsys, "schema", "infer", ref, "-o", str(schema))[0] == 0
    assert "columns:" in schema.read_text()
    assert run(capsys, "schema", "validate", cur, "--schema", str(schema))[0] == 0
    scaled = write(make_table(seed=4).with_columns(pl.col("x") * 1000), "scaled.csv")
    code, out, _ = run(capsys, "schema", "validate", str(scaled), "--schema", str(schema))
    assert code == 1 and "quality.out_of_range" in out


def test_severity_option_changes_the_verdict(capsys, twins):
    ref, _, shifted = twins
    code, _, _ = run(
        capsys,
        "check",
        "data",
        "--reference",
        ref,
        "--current",
        shifted,
        "--severity",
        "drift=warn",
        "--severity",
        "quality.out_of_range=ignore",
    )
    assert code == 0


def test_bad_severity_is_exit_2(capsys, twins):
    code, _, err = run(
        capsys,
        "check",
        "data",
        "--reference",
        twins[0],
        "--current",
        twins[1],
        "--severity",
        "drift=loud",
    )
    assert code == 2 and "--severity" in err


def test_run_writes_the_reports_the_config_names(capsys, twins, tmp_path):
    ref, cur, _ = twins
    cfg = tmp_path / "mlgate.yaml"
    cfg.write_text(
        f"data:\n  reference: {ref}\n  current: {Path(cur).name}\n"
        "reports:\n  - {format: markdown, path: out/report.md}\n"
        "  - {format: json, path: report.json}\n"
    )
    (tmp_path / "out").mkdir()
    code, out, _ = run(capsys, "run", "-c", str(cfg))
    assert code == 0 and "passed" in out
    assert (tmp_path / "out" / "report.md").read_text().startswith("### ✅")
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["passed"] is True
    # What was judged: the inputs as named relative to mlgate.yaml, one run for the gate.
    judged = report["run"]
    assert [(i["role"], i["path"], i["rows"]) for i in judged["inputs"]] == [
        ("reference", "ref.parquet", 2000),
        ("current", "cur.csv", 2000),
    ]
    assert all(i["digest"].startswith("blake3:") for i in judged["inputs"])
    assert judged["duration_s"] >= 0 and judged["started"].endswith("Z")


def test_run_in_github_format_points_schema_findings_at_the_schema_line(
    capsys, write, tmp_path, monkeypatch
):
    from mlgate.data.profile import profile
    from mlgate.data.schema import infer_schema, save_schema

    ref = write(make_table(seed=1), "ref.parquet")
    write(make_table(seed=2).drop("flag"), "cur.parquet")
    save_schema(infer_schema(profile(ref)), tmp_path / "schema.yaml")
    cfg = tmp_path / "mlgate.yaml"
    cfg.write_text(
        "data:\n  reference: ref.parquet\n  current: cur.parquet\n  schema: schema.yaml\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    code, out, _ = run(capsys, "run", "-c", "mlgate.yaml", "--format", "github")
    flag_line = next(
        i
        for i, line in enumerate((tmp_path / "schema.yaml").read_text().splitlines(), 1)
        if line.strip() == "flag:"
    )
    assert code == 1
    missing = [x for x in out.splitlines() if "schema.missing_column" in x]
    assert missing == [missing[0]]
    assert missing[0].startswith(f"::error file=schema.yaml,line={flag_line},")


def test_demo_fails_on_the_pull_request_batch_and_passes_clean(capsys):
    # The demo trains the example's PyTorch and scikit-learn models; without those
    # optional extras the core suite still runs.
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    code, out, _ = run(capsys, "demo", "--format", "json")
    failed = {(c["name"], c["column"]) for c in json.loads(out)["checks"] if c["status"] == "fail"}
    assert code == 1
    # Each finding names its stage; a training stage names the entrypoint as mlgate.yaml does.
    assert list(dict.fromkeys(c["stage"] for c in json.loads(out)["checks"])) == [
        "data",
        "training:train_torch.py:training_spec",
        "training:train_sklearn.py:training_spec",
        "model",
    ]
    assert {
        ("quality.out_of_range", "body_mass_g"),
        ("quality.out_of_domain", "island"),
        ("quality.null_fraction", "sex"),
    } <= failed
    assert run(capsys, "demo", "--clean")[0] == 0


def test_example_data_is_what_prepare_writes(tmp_path):
    from mlgate.demo import write_example

    write_example(tmp_path)
    for name in ("reference.csv", "current.csv", "current_clean.csv"):
        assert (tmp_path / "data" / name).read_bytes() == (EXAMPLE / "data" / name).read_bytes()


def test_version_and_help(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and "mlgate" in out
    code, out, _ = run(capsys, "check", "data", "--help")
    assert code == 0 and "--mode" in out and "serving logs" in out


def test_internal_error_is_exit_3_with_a_traceback_file(capsys, monkeypatch, twins):
    import mlgate.data.gate as gate

    def boom(*a, **k):
        raise ZeroDivisionError("oops")

    monkeypatch.setattr(gate, "check_data", boom)
    code, _, err = run(capsys, "check", "data", "--reference", twins[0], "--current", twins[1])
    assert code == 3 and "internal error" in err
    path = err.split("traceback written to ")[1].split(";")[0]
    assert "ZeroDivisionError" in Path(path).read_text()
    Path(path).unlink()


@pytest.mark.parametrize(
    "command",
    [
        ("profile", "{cur}", "-o", "{cur}"),
        ("schema", "infer", "{cur}", "-o", "{cur}"),
        ("check", "data", "--reference", "{ref}", "--current", "{cur}", "-o", "{cur}"),
        ("check", "data", "--reference", "{ref}", "--current", "{cur}", "-o", "{ref_again}"),
    ],
)
def test_an_output_that_is_an_input_is_refused_and_the_data_kept(capsys, tmp_path, command):
    ref, cur = tmp_path / "ref.csv", tmp_path / "cur.csv"
    make_table(300).write_csv(ref)
    make_table(300, seed=1).write_csv(cur)
    before = {p: p.read_bytes() for p in (ref, cur)}
    names = {"ref": ref, "cur": cur, "ref_again": tmp_path / "." / "ref.csv"}
    code, _, err = run_main(capsys, tuple(str(a).format(**names) for a in command))
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "is also an input" in err
    assert {p: p.read_bytes() for p in (ref, cur)} == before
