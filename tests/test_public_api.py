import subprocess
import sys

import pytest

import mlgate
from tests.conftest import make_table


def test_all_is_sorted_and_every_name_resolves():
    assert mlgate.__all__ == sorted(mlgate.__all__)
    for name in mlgate.__all__:
        assert getattr(mlgate, name) is not None


def test_importing_mlgate_pulls_in_no_heavy_library():
    code = (
        "import sys, mlgate; heavy = [m for m in ('polars', 'pandas', 'pyarrow', 'scipy', "
        "'numpy', 'torch', 'sklearn', 'pyspark', 'rich') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_help_imports_no_data_library():
    code = (
        "import sys; from mlgate._cli.main import cli; "
        "heavy = [m for m in ('polars', 'pandas', 'pyarrow', 'scipy', 'numpy', 'rich') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


#: What the data gate's command line has no use for on its way through a check: each
#: costs start-up time on every commit (scipy.stats alone a second; pyarrow, YAML and
#: numpy.random tens of milliseconds, numpy.ma nine), and the gate on two small
#: files is to take under 0.6 s.
_NOT_ON_THE_DATA_GATE_PATH = (
    "numpy.random",
    "numpy.ma",
    "scipy",
    "statsmodels",
    "sklearn",
    "pandas",
    "torch",
    "rich",
    "jinja2",
    "yaml",
    "pyarrow",
    "mlgate.config",
    "mlgate.reports.html",
)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_check_data_on_small_files_imports_nothing_it_does_not_need(tmp_path, suffix):
    # Like click's test that importing click pulls in nothing unexpected, but for the
    # whole run: the lazy imports must stay lazy on the path a CI job takes.
    table = make_table(1_000)
    paths = []
    for name, frame in (("ref", table), ("cur", make_table(1_000, seed=1, shift=0.5))):
        path = tmp_path / f"{name}{suffix}"
        frame.write_parquet(path) if suffix == ".parquet" else frame.write_csv(path)
        paths.append(str(path))
    code = (
        "import sys\n"
        "from mlgate._cli.main import main\n"
        "try:\n"
        f"    main(['check', 'data', '--reference', {paths[0]!r}, '--current', {paths[1]!r},\n"
        f"          '--format', 'json', '-o', {str(tmp_path / 'out.json')!r}])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, 1), exc.code\n"
        f"print([m for m in {_NOT_ON_THE_DATA_GATE_PATH!r} if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
