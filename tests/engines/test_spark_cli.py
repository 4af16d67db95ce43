"""The Spark engine at the command line: bad input is one line and exit 2, and nothing
imports pyspark unless the Spark engine is asked for."""

from __future__ import annotations

import subprocess
import sys

import polars as pl
import pytest

from mlgate.config import load_config
from mlgate.engines import Engine
from mlgate.errors import ConfigError, InputError
from tests.conftest import make_table, run_main


def _one_line_exit_2(code: int, out: str, err: str) -> str:
    assert code == 2, err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mlgate: error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_help_and_the_polars_engine_do_not_import_pyspark(tmp_path):
    path = tmp_path / "t.parquet"
    make_table(500).write_parquet(path)
    code = (
        "import sys\n"
        "from mlgate._cli.main import main\n"
        "for args in (['check', 'data', '--help'], ['profile', '--help'],\n"
        f"             ['profile', {str(path)!r}, '-o', {str(tmp_path / 'p.json')!r}]):\n"
        "    try:\n"
        "        main(args)\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code == 0, (args, exc.code)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pyspark'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_help_names_the_engine_options(capsys):
    code, out, _ = run_main(capsys, ("check", "data", "--help"))
    assert code == 0 and "--engine [polars|spark]" in out and "--spark-master URL" in out


def test_a_master_without_the_spark_engine_is_refused(capsys, tmp_path):
    line = _one_line_exit_2(
        *run_main(capsys, ("profile", tmp_path / "x.parquet", "--spark-master", "local[2]"))
    )
    assert "--engine spark" in line


def test_a_bad_master_url_is_refused(capsys, tmp_path):
    path = tmp_path / "t.parquet"
    make_table(100).write_parquet(path)
    args = ("profile", path, "--engine", "spark", "--spark-master", "bogus")
    line = _one_line_exit_2(*run_main(capsys, args))
    assert "--spark-master" in line and "bogus" in line


def test_csv_is_refused_by_the_spark_engine_before_spark_starts(capsys, tmp_path):
    path = tmp_path / "t.csv"
    make_table(100).write_csv(path)
    line = _one_line_exit_2(*run_main(capsys, ("profile", path, "--engine", "spark")))
    assert "reads Parquet" in line and "--engine polars" in line


def test_no_java_is_one_line(monkeypatch):
    from mlgate.engines import spark

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(spark.shutil, "which", lambda _: None)
    with pytest.raises(InputError, match="needs Java"):
        spark._require_java()


def test_an_unknown_engine_is_refused():
    with pytest.raises(InputError, match="engine 'dask' is not known"):
        Engine("dask")


def test_the_config_takes_an_engine_and_refuses_a_master_without_spark(tmp_path):
    config = tmp_path / "mlgate.yaml"
    config.write_text(
        "data:\n  reference: r.parquet\n  current: c.parquet\n  engine: spark\n"
        "  spark_master: local[2]\n"
    )
    loaded, _ = load_config(config)
    assert loaded.data is not None and loaded.data.engine == "spark"
    config.write_text(
        "data:\n  reference: r.parquet\n  current: c.parquet\n  spark_master: local[2]\n"
    )
    with pytest.raises(ConfigError, match="engine: spark"):
        load_config(config)


@pytest.mark.slow
@pytest.mark.spark
def test_an_unknown_table_is_one_line(spark, capsys):
    line = _one_line_exit_2(
        *run_main(capsys, ("profile", "spark:nodb.missing", "--engine", "spark"))
    )
    assert "spark:nodb.missing" in line and "cannot find the table" in line


@pytest.mark.slow
@pytest.mark.spark
def test_a_missing_uri_is_one_line(spark, capsys, tmp_path):
    uri = f"file://{tmp_path}/nothing-here.parquet"
    line = _one_line_exit_2(*run_main(capsys, ("profile", uri, "--engine", "spark")))
    assert uri in line and "cannot read it as Parquet" in line


@pytest.mark.slow
@pytest.mark.spark
def test_a_binary_column_is_refused_in_one_line(spark, capsys, tmp_path):
    path = tmp_path / "b.parquet"
    pl.DataFrame({"a": [1, 2], "blob": [b"\x00\x01", b"\x02"]}).write_parquet(path)
    line = _one_line_exit_2(*run_main(capsys, ("profile", path, "--engine", "spark")))
    assert "'blob' is binary" in line and "cast it to a string" in line


@pytest.mark.slow
@pytest.mark.spark
def test_a_binary_field_inside_a_struct_is_refused(spark):
    from mlgate.engines.spark import profile_spark

    df = spark.createDataFrame([((1, bytearray(b"x")),)], "s struct<a: int, b: binary>")
    with pytest.raises(InputError, match="'s' is binary"):
        profile_spark(df)
