"""Column names that collide with names mlgate or Polars use inside (a column named
``count`` crashed profiling in ``value_counts``), or that are hard to quote: every
command takes them, and every report keeps them."""

import json
import xml.etree.ElementTree as ET

import numpy as np
import polars as pl
import pytest
import yaml

from mlgate.data.profile import profile
from tests.conftest import run_main

HOSTILE = [
    "count",
    "len",
    "index",
    "value",
    "",
    "a b",
    "a.b",
    "it's",
    'say "hi"',
    "new\nline",
    "ünï ☃",
    "x" * 1000,
    "__index_level_0__",
    "__row",
    "row_id",
    "len()",
    "-dash",
    "#hash",
    "key: val",
    "null",
    "true",
    "1",
]


def _frame(seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    kinds = [
        lambda: rng.choice(["a", "b", "c"], 300),
        lambda: rng.integers(0, 5, 300),
        lambda: rng.normal(size=300),
    ]
    return pl.DataFrame({name: kinds[i % 3]() for i, name in enumerate(HOSTILE)})


def run(capsys, *args):
    return run_main(capsys, args)


@pytest.mark.parametrize("name", ["count", "value", "len", "index"])
@pytest.mark.parametrize("kind", ["str", "int", "float", "few floats"])
def test_a_column_named_like_an_internal_one_profiles(name, kind):
    rng = np.random.default_rng(1)
    values = {
        "str": rng.choice(["a", "b"], 200),
        "int": rng.integers(0, 4, 200),
        "float": rng.normal(size=200),
        "few floats": rng.choice([0.5, 1.5, 2.5], 200),
    }[kind]
    prof = profile(pl.DataFrame({name: values, "other": rng.integers(0, 3, 200)}))
    col = prof.get(name)
    assert col is not None and col.non_null == 200
    if kind in ("str", "int", "few floats"):
        assert sum(c for _, c in col.value_counts()) == 200


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_every_command_and_report_keeps_hostile_names(capsys, tmp_path, suffix):
    data = tmp_path / f"data{suffix}"
    frame = _frame()
    frame.write_parquet(data) if suffix == ".parquet" else frame.write_csv(data)
    schema = tmp_path / "schema.yaml"
    assert run(capsys, "schema", "infer", data, "-o", schema)[0] == 0
    assert set(yaml.safe_load(schema.read_text())["columns"]) == set(HOSTILE)
    assert run(capsys, "schema", "validate", data, "--schema", schema)[0] == 0
    for fmt in ("text", "markdown", "html", "github"):
        code, _, err = run(
            capsys,
            "check",
            "data",
            "--reference",
            data,
            "--current",
            data,
            "--schema",
            schema,
            "--format",
            fmt,
        )
        assert code == 0, err
    code, out, _ = run(
        capsys,
        "check",
        "data",
        "--reference",
        data,
        "--current",
        data,
        "--schema",
        schema,
        "--format",
        "json",
    )
    assert code == 0 and set(HOSTILE) <= {c["column"] for c in json.loads(out)["checks"]}
    code, out, _ = run(
        capsys,
        "check",
        "data",
        "--reference",
        data,
        "--current",
        data,
        "--schema",
        schema,
        "--format",
        "junit",
    )
    assert code == 0 and ET.fromstring(out).tag == "testsuites"


def test_an_unknown_target_names_the_columns_on_one_short_line(capsys, tmp_path):
    data = tmp_path / "d.parquet"
    _frame().write_parquet(data)
    code, _, err = run(
        capsys, "check", "data", "--reference", data, "--current", data, "--target", "cuont"
    )
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "did you mean 'count'?" in err and "'new\\nline'" in err
    assert "x" * 100 not in err and "and 2 more" in err
