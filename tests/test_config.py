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
    with pytest.raises(ConfigError, match=r"mlgate\.yaml:\d+: severity: .*'quality\.nul_rate'"):
        load_config(path)


def test_bad_severity_level_is_refused(tmp_path):
    path = _write(tmp_path, "severity:\n  drift: loud\n")
    with pytest.raises(ConfigError, match=r"mlgate\.yaml:2: severity\.drift: "):
        load_config(path)


def test_missing_config_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.yaml")
