"""Bad usage and bad input at the command line: one line on stderr, exit 2, nothing written.

The data corpus lives in ``tests/data/test_bad_input.py``; this file covers what belongs
to the command line: the real entry point in a subprocess, options (``--severity``,
usage errors), ``mlgate run``'s config, and ``--output`` for every command that writes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import crash_files_in, make_table, run_main

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def mlgate(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch) -> Run:
    """``main`` in-process: (exit code, stdout, stderr); a crash file lands in tmp_path."""
    crash_files_in(tmp_path, monkeypatch)

    def run(*args: str | Path) -> tuple[int, str, str]:
        return run_main(capsys, args)

    return run


def one_error_line(code: int, out: str, err: str, *fragments: str) -> str:
    assert code == 2, (code, out, err)
    assert "Traceback" not in out + err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("mlgate: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    assert out == ""
    return lines[0]


@pytest.fixture
def ref(tmp_path: Path) -> Path:
    path = tmp_path / "ref.csv"
    make_table().write_csv(path)
    return path


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


# -- the real entry point, in a subprocess ------------------------------------------------


def cli(tmp_path: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # a crash file would land here
    env.pop("CI", None)
    return subprocess.run(
        [sys.executable, "-m", "mlgate._cli.main", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
        timeout=120,
    )


def test_subprocess_corrupt_file_is_one_line_and_writes_nothing(
    tmp_path: Path, ref: Path, out_dir: Path
) -> None:
    (tmp_path / "broken.parquet").write_bytes(b"PAR1" + bytes(200))
    proc = cli(
        tmp_path,
        "check",
        "data",
        "--reference",
        ref,
        "--current",
        "broken.parquet",
        "-o",
        out_dir / "report.md",
    )
    one_error_line(proc.returncode, proc.stdout, proc.stderr, "broken.parquet")
    assert list(out_dir.iterdir()) == []
    assert not list(tmp_path.glob("mlgate-crash-*"))


def test_subprocess_header_only_current_is_a_failing_finding(tmp_path: Path, ref: Path) -> None:
    (tmp_path / "header.csv").write_text("x,code,city,flag\n")
    proc = cli(
        tmp_path, "check", "data", "--reference", ref, "--current", "header.csv", "--format", "json"
    )
    assert proc.returncode == 1
    assert proc.stderr == ""
    checks = json.loads(proc.stdout)["checks"]
    assert {"name": "quality.empty_dataset", "status": "fail"}.items() <= checks[0].items()


# -- --severity -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("drift.numeric=loud", "ignore, warn, fail"),
        ("drift.numeric", "CODE=LEVEL"),
        ("drift=", "CODE=LEVEL"),
        ("nope.code=warn", "unknown finding code 'nope.code'"),
        ("=warn", "unknown finding code"),
    ],
)
def test_bad_severity_is_one_line(
    mlgate: Run, ref: Path, out_dir: Path, value: str, fragment: str
) -> None:
    result = mlgate(
        "check",
        "data",
        "--reference",
        ref,
        "--current",
        ref,
        "--severity",
        value,
        "-o",
        out_dir / "r.json",
    )
    one_error_line(*result, "--severity", repr(value), fragment)
    assert list(out_dir.iterdir()) == []


# -- --output: nothing half-written, an old file untouched --------------------------------


def _commands(ref: Path, bad: Path, schema: Path) -> dict[str, list[str | Path]]:
    return {
        "profile": ["profile", bad],
        "schema-infer": ["schema", "infer", bad],
        "schema-validate": ["schema", "validate", bad, "--schema", schema],
        "schema-validate-bad-schema": ["schema", "validate", ref, "--schema", bad],
        "check-current": ["check", "data", "--reference", ref, "--current", bad],
        "check-reference": ["check", "data", "--reference", bad, "--current", ref],
        "check-schema": ["check", "data", "--reference", ref, "--current", ref, "--schema", bad],
    }


@pytest.mark.parametrize(
    "command",
    [
        "profile",
        "schema-infer",
        "schema-validate",
        "schema-validate-bad-schema",
        "check-current",
        "check-reference",
        "check-schema",
    ],
)
@pytest.mark.parametrize("existing", [False, True], ids=["new-file", "old-file"])
def test_failed_run_leaves_output_folder_as_it_was(
    mlgate: Run, ref: Path, tmp_path: Path, out_dir: Path, command: str, existing: bool
) -> None:
    bad = tmp_path / "junk.csv"
    bad.write_bytes(bytes(range(256)) * 8)
    schema = tmp_path / "schema.yaml"
    assert mlgate("schema", "infer", ref, "-o", schema)[0] == 0
    target = out_dir / "result.txt"
    if existing:
        target.write_text("from the last good run\n")
        os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    args = _commands(ref, bad, schema)[command]
    one_error_line(*mlgate(*args, "--output", target), "junk.csv")
    if existing:
        assert [p.name for p in out_dir.iterdir()] == ["result.txt"]
        assert target.read_text() == "from the last good run\n"
        assert target.stat().st_mtime_ns == 1_000_000_000
    else:
        assert list(out_dir.iterdir()) == []


def test_output_into_a_missing_folder_is_one_line(mlgate: Run, ref: Path, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "report.md"
    result = mlgate("check", "data", "--reference", ref, "--current", ref, "-o", target)
    one_error_line(*result, str(target.parent), "create it")
    assert not (tmp_path / "no").exists()


# -- mlgate run: the config file -------------------------------------------------------------


def test_run_with_bad_data_writes_none_of_its_reports(
    mlgate: Run, ref: Path, tmp_path: Path
) -> None:
    (tmp_path / "cur.parquet").write_bytes(b"PAR1 not really")
    (tmp_path / "old.md").write_text("old\n")
    cfg = tmp_path / "mlgate.yaml"
    cfg.write_text(
        f"data:\n  reference: {ref}\n  current: cur.parquet\n"
        "reports:\n  - {format: markdown, path: old.md}\n  - {format: json, path: new.json}\n"
    )
    one_error_line(*mlgate("run", "-c", cfg), "cur.parquet")
    assert (tmp_path / "old.md").read_text() == "old\n"
    assert not (tmp_path / "new.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("data:\n  reference: a.csv\n  current: [b.csv\n", ("mlgate.yaml:", "YAML")),
        (
            "data:\n  reference: a.csv\n  current: b.csv\n  targett: y\n",
            ("mlgate.yaml:4:", "targett", "unknown key"),
        ),
        (
            "data:\n  reference: a.csv\n  current: b.csv\nseverity:\n  drift.numerc: warn\n",
            ("mlgate.yaml:", "drift.numerc"),
        ),
    ],
    ids=["syntax", "unknown-key", "unknown-code"],
)
def test_bad_config_names_file_line_and_key(
    mlgate: Run, tmp_path: Path, text: str, fragments: tuple[str, ...]
) -> None:
    cfg = tmp_path / "mlgate.yaml"
    cfg.write_text(text)
    one_error_line(*mlgate("run", "-c", cfg), *fragments)


def test_missing_config_is_one_line(mlgate: Run, tmp_path: Path) -> None:
    one_error_line(*mlgate("run", "-c", tmp_path / "mlgate.yaml"), "mlgate.yaml")


# -- click's own usage errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["check", "data", "--reference", "r.csv"], "--current"),
        (["check", "data", "--reference", "r.csv", "--current", "c.csv", "--format", "xml"], "xml"),
        (
            ["check", "data", "--reference", "r.csv", "--current", "c.csv", "--severity"],
            "--severity",
        ),
        (["profile"], "DATA"),
        (["chek", "data"], "chek"),
    ],
    ids=["missing-option", "bad-choice", "option-without-value", "missing-argument", "typo"],
)
def test_usage_errors_are_one_line(mlgate: Run, args: list[str], fragment: str) -> None:
    one_error_line(*mlgate(*args), fragment, "--help")
