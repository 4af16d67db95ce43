import pytest

from mlgate.config import load_config
from mlgate.errors import ConfigError


def _write(tmp_path, text):
    path = tmp_path / "mlgate.yaml"
    path.write_text(text)
    return path


def test_config_loads_paths_relative_to_its_folder(tmp_path):
    cfg, root = load_config(
        _write(
            tmp_path,
            (
                "data:\n  reference: r.csv\n  current: c.csv\n  schema: s.yaml\n  target: y\n"
                "severity:\n  drift: warn\nreports:\n  - {format: junit, path: out.xml}\n"
            ),
        )
    )
    assert root == tmp_path.resolve()
    assert cfg.data is not None and cfg.data.schema_file == "s.yaml" and cfg.data.target == "y"
    assert cfg.severity == {"drift": "warn"} and cfg.reports[0].format == "junit"


def test_typo_in_key_names_file_line_and_key(tmp_path):
    path = _write(tmp_path, "data:\n  reference: r.csv\n  curent: c.csv\n")
    with pytest.raises(
        ConfigError,
        match=r"mlgate\.yaml:3: data\.curent: unknown key; did you mean .current.\?",
    ):
        load_config(path)


def test_unknown_severity_code_is_refused_with_its_line(tmp_path):
    path = _write(tmp_path, "severity:\n  drift.numeric: warn\n  quality.nul_rate: fail\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).endswith(
        "mlgate.yaml:3: severity.quality.nul_rate: unknown finding code 'quality.nul_rate'; "
        "did you mean 'quality.null_fraction'? see docs/checks.md for the codes"
    )


def test_bad_severity_level_is_refused(tmp_path):
    path = _write(tmp_path, "severity:\n  drift: loud\n")
    with pytest.raises(ConfigError, match=r"mlgate\.yaml:2: severity\.drift: "):
        load_config(path)


def test_missing_config_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.yaml")


SERVING = (
    "serving:\n"
    "  model: model/model.skops\n"
    "  schema: schema.yaml\n"
    "  data: data/held_out.csv\n"
    "  target: species\n"
    "  budgets:\n"
    "    latency_p50_ms: 50\n"
    "    latency_p99_ms: 400\n"
    "    min_throughput: 30\n"
)


def test_serving_stage_loads_with_its_budgets_and_defaults(tmp_path):
    cfg, _ = load_config(_write(tmp_path, SERVING))
    stage = cfg.serving
    assert stage is not None and stage.model == "model/model.skops"
    assert stage.schema_file == "schema.yaml" and stage.target == "species"
    assert (stage.workers, stage.timeout, stage.timing_requests) == (2, 30.0, 200)
    budgets = stage.budgets
    assert (budgets.latency_p50_ms, budgets.latency_p95_ms, budgets.latency_p99_ms) == (
        50,
        200.0,
        400,
    )
    assert budgets.min_throughput == 30


def test_serving_stage_without_a_budget_section_gets_the_command_defaults(tmp_path):
    cfg, _ = load_config(_write(tmp_path, "serving:\n  model: m.skops\n  data: d.csv\n"))
    assert cfg.serving is not None and cfg.serving.budgets.latency_p95_ms == 200.0
    assert cfg.serving.budgets.latency_p50_ms is None


def test_typo_in_a_serving_budget_names_file_line_and_key(tmp_path):
    path = _write(tmp_path, SERVING.replace("latency_p99_ms", "latency_p90_ms"))
    with pytest.raises(
        ConfigError,
        match=r"mlgate\.yaml:8: serving\.budgets\.latency_p90_ms: unknown key; "
        r"did you mean .latency_p\d\d_ms.\?",
    ):
        load_config(path)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (
            SERVING.replace("latency_p50_ms: 50", "latency_p50_ms: 0"),
            "7: serving.budgets.latency_p50_ms",
        ),
        (
            SERVING.replace("min_throughput: 30", "min_throughput: -1"),
            "9: serving.budgets.min_throughput",
        ),
        (SERVING + "  workers: 0\n", "10: serving.workers"),
        ("serving:\n  model: m.skops\n", "1: serving.data: required key is missing"),
    ],
)
def test_bad_serving_values_name_file_line_and_key(tmp_path, text, where):
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, text))
    assert str(err.value).startswith(f"{tmp_path / 'mlgate.yaml'}:{where}")


def test_mlgate_run_refuses_a_serving_stage_with_no_schema_before_running_anything(tmp_path):
    from mlgate.gate import run_gate

    path = _write(tmp_path, "reports: []\nserving:\n  model: m.skops\n  data: d.csv\n")
    with pytest.raises(ConfigError) as err:
        run_gate(path)
    assert str(err.value) == (
        f"{path}:2: serving.schema: required key is missing (there is no data.schema to fall "
        "back on); give the schema requests are checked against"
    )


def test_a_missing_mlgate_yaml_suggests_mlgate_init(tmp_path):
    with pytest.raises(ConfigError, match=r"no such config file; write one with 'mlgate init'"):
        load_config(tmp_path / "mlgate.yaml")


def test_a_key_given_twice_in_the_config_is_refused(tmp_path):
    path = _write(tmp_path, "data:\n  reference: r.csv\n  current: c.csv\n  reference: s.csv\n")
    with pytest.raises(
        ConfigError, match=r"mlgate\.yaml:4: data\.reference: given twice \(first at line 2\)"
    ):
        load_config(path)
