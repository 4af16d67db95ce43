"""mlgate's pytest plugin, run on small projects through ``pytester``."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import polars as pl
import pytest

# Imported here so that pytester's in-process runs, which drop the modules they import
# when they finish, do not import pydantic and the readers afresh each time.
import mlgate.config
import mlgate.data.io
import mlgate.data.schema
import mlgate.testing  # noqa: F401

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]

SCHEMA = """\
version: 1
columns:
  species:
    type: string
    domain: [Adelie, Gentoo]
  mass_g:
    type: integer
    max_null_fraction: 0.1
    range: {min: 2700, max: 6300}
"""
REFERENCE = "species,mass_g\nAdelie,3750\nGentoo,5200\nAdelie,\n"
CONFIG = """\
data:
  reference: data/reference.csv
  current: data/current.csv
  schema: schema.yaml
"""
FIXTURE_TESTS = """\
import polars as pl
from mlgate.testing import assert_same_schema

def test_config(mlgate_config, mlgate_config_path):
    assert mlgate_config.data.reference == "data/reference.csv"
    assert mlgate_config_path.name == "mlgate.yaml"

def test_schema(mlgate_schema):
    assert list(mlgate_schema.columns) == ["species", "mass_g"]

def test_reference(mlgate_reference):
    assert isinstance(mlgate_reference, pl.DataFrame)
    assert mlgate_reference.shape == (3, 2)
    assert mlgate_reference["mass_g"].null_count() == 1

def test_reference_matches_schema(mlgate_reference, mlgate_schema):
    assert_same_schema(mlgate_reference, mlgate_schema)
"""


@pytest.fixture
def plugin_args(request) -> list[str]:
    """Load the plugin by name unless its entry point is installed (it then loads itself).

    Hypothesis' own plugin is left out of the inner runs: it imports Hypothesis afresh
    (under assertion rewriting) in each one, which costs seconds and tests nothing here.
    """
    args = ["-p", "no:hypothesispytest"]
    if not request.config.pluginmanager.has_plugin("mlgate"):
        args += ["-p", "mlgate.pytest_plugin"]
    return args


@pytest.fixture
def project(pytester) -> pytest.Pytester:
    """A small project: mlgate.yaml, schema.yaml and a reference CSV."""
    pytester.makefile(".yaml", mlgate=CONFIG, schema=SCHEMA)
    (pytester.path / "data").mkdir()
    (pytester.path / "data" / "reference.csv").write_text(REFERENCE)
    return pytester


def _skip_reasons(result: pytest.RunResult) -> str:
    return "\n".join(result.outlines)


def test_pyproject_registers_the_plugin_by_entry_point():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["entry-points"]["pytest11"] == {"mlgate": "mlgate.pytest_plugin"}


def test_the_installed_entry_point_names_the_plugin():
    found = [ep for ep in entry_points(group="pytest11") if ep.name == "mlgate"]
    if not found:
        pytest.skip("mlgate's installed metadata predates the entry point; reinstall mlgate")
    assert found[0].value == "mlgate.pytest_plugin"


def test_importing_the_plugin_pulls_in_nothing_heavy():
    code = (
        "import sys, mlgate.pytest_plugin; heavy = [m for m in ('polars', 'numpy', 'pandas', "
        "'pyarrow', 'pydantic', 'yaml', 'hypothesis', 'torch', 'mlgate.config') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_entry_point_loads_the_plugin_and_a_run_without_config_stays_light(tmp_path):
    # A stand-in distribution declaring the same entry point as pyproject.toml, so the
    # plugin loads exactly as it does for users (the entry point name, no -p option).
    site = tmp_path / "site"
    dist = site / "mlgate_entry_point_probe-0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: mlgate-entry-point-probe\n")
    (dist / "entry_points.txt").write_text("[pytest11]\nmlgate = mlgate.pytest_plugin\n")
    project = tmp_path / "project"
    project.mkdir()
    (project / "conftest.py").write_text(
        "import sys\n"
        "def pytest_sessionfinish(session):\n"
        "    heavy = [m for m in ('polars', 'numpy', 'pandas', 'pyarrow', 'pydantic', "
        "'mlgate.config') if m in sys.modules]\n"
        "    print('HEAVY', heavy, 'PLUGIN', session.config.pluginmanager.has_plugin('mlgate'))\n"
    )
    (project / "test_a.py").write_text("def test_a():\n    pass\n")
    path = os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-s",
            "-p",
            "no:hypothesispytest",
            "-p",
            "no:cacheprovider",
        ],
        cwd=project,
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "HEAVY [] PLUGIN True" in out.stdout
    assert "mlgate:" not in out.stdout


def test_fixtures_give_config_schema_and_reference(project, plugin_args):
    project.makepyfile(test_fixtures=FIXTURE_TESTS)
    result = project.runpytest(*plugin_args)
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines([f"mlgate: {project.path / 'mlgate.yaml'}"])


def test_without_mlgate_yaml_the_plugin_does_nothing_and_fixtures_skip(pytester, plugin_args):
    pytester.makepyfile(
        test_plain="def test_plain():\n    assert True\n",
        test_uses="def test_uses(mlgate_schema):\n    pass\n",
    )
    result = pytester.runpytest("-rs", *plugin_args)
    result.assert_outcomes(passed=1, skipped=1)
    assert "mlgate:" not in result.stdout.str().split("collected")[0]
    result.stdout.fnmatch_lines(
        ["*no mlgate.yaml in *; write one (see mlgate's docs/config.md) or pass --mlgate-config*"]
    )


def test_config_from_the_command_line_option(pytester, plugin_args):
    sub = pytester.path / "ml"
    (sub / "data").mkdir(parents=True)
    (sub / "mlgate.yaml").write_text(CONFIG)
    (sub / "schema.yaml").write_text(SCHEMA)
    (sub / "data" / "reference.csv").write_text(REFERENCE)
    pytester.makepyfile(test_fixtures=FIXTURE_TESTS)
    result = pytester.runpytest("--mlgate-config", "ml/mlgate.yaml", *plugin_args)
    result.assert_outcomes(passed=4)


def test_config_from_the_ini_option_relative_to_the_ini_file(pytester, plugin_args):
    sub = pytester.path / "conf"
    sub.mkdir()
    (sub / "gate.yaml").write_text("data:\n  reference: ref.csv\n  current: ref.csv\n")
    (sub / "ref.csv").write_text(REFERENCE)
    pytester.makeini("[pytest]\nmlgate_config = conf/gate.yaml\n")
    pytester.makepyfile(
        test_ini="""
def test_reference(mlgate_reference, mlgate_config_path):
    assert mlgate_config_path.name == "gate.yaml"
    assert mlgate_reference.height == 3
"""
    )
    result = pytester.runpytest(*plugin_args)
    result.assert_outcomes(passed=1)


def test_a_named_config_that_does_not_exist_is_a_usage_error(pytester, plugin_args):
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    result = pytester.runpytest("--mlgate-config", "nope.yaml", *plugin_args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*mlgate config *nope.yaml: no such file; check --mlgate-config*"])


def test_fixtures_skip_without_schema_or_reference_data(pytester, plugin_args):
    pytester.makefile(".yaml", mlgate="data:\n  reference: missing/*.parquet\n  current: x.csv\n")
    pytester.makepyfile(
        test_skips="""
def test_schema(mlgate_schema):
    pass

def test_reference(mlgate_reference):
    pass
"""
    )
    result = pytester.runpytest("-rs", *plugin_args)
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(
        [
            "*mlgate.yaml names no schema (data.schema); add one to use it*",
            "*reference data missing/*.parquet (data.reference in *mlgate.yaml) not found*",
        ],
        consecutive=False,
    )


def test_a_broken_config_fails_the_fixture_with_one_clear_line(pytester, plugin_args):
    pytester.makefile(".yaml", mlgate="data:\n  referense: a.csv\n")
    pytester.makepyfile(test_bad="def test_bad(mlgate_config):\n    pass\n")
    result = pytester.runpytest(*plugin_args)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*mlgate.yaml:2: data.referense: unknown key; did you mean*"])
    assert "Traceback" not in result.stdout.str()


def test_a_missing_schema_file_fails_rather_than_skips(project, plugin_args):
    (project.path / "schema.yaml").unlink()
    project.makepyfile(test_schema="def test_schema(mlgate_schema):\n    pass\n")
    result = project.runpytest(*plugin_args)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*schema.yaml: no such schema file*(data.schema in *mlgate.yaml)"])


def test_reference_from_a_folder_of_parquet_files(pytester, plugin_args):
    folder = pytester.path / "ref"
    folder.mkdir()
    pl.DataFrame({"x": [1, 2]}).write_parquet(folder / "part-0.parquet")
    pl.DataFrame({"x": [3]}).write_parquet(folder / "part-1.parquet")
    pytester.makefile(".yaml", mlgate="data:\n  reference: ref\n  current: ref\n")
    pytester.makepyfile(
        test_ref="""
def test_reference(mlgate_reference):
    assert sorted(mlgate_reference["x"].to_list()) == [1, 2, 3]
"""
    )
    pytester.runpytest(*plugin_args).assert_outcomes(passed=1)
