import subprocess
import sys

import mlgate


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
