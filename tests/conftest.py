"""Shared fixtures: small tables written in every supported format."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import pytest


def make_table(n: int = 2000, *, seed: int = 0, shift: float = 0.0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "x": rng.normal(size=n) + shift,
            "code": rng.integers(0, 5, n),
            "city": rng.choice(["Lisbon", "Oslo", "Quito"], n, p=[0.5, 0.3, 0.2]),
            "flag": rng.random(n) < 0.3,
        }
    )


@pytest.fixture
def table() -> pl.DataFrame:
    return make_table()


@pytest.fixture
def write(tmp_path: Path) -> Callable[[pl.DataFrame, str], Path]:
    """Write a frame in the format the file name's extension says."""

    def _write(df: pl.DataFrame, name: str) -> Path:
        path = tmp_path / name
        suffix = path.suffix
        if suffix == ".csv":
            df.write_csv(path)
        elif suffix == ".parquet":
            df.write_parquet(path)
        elif suffix == ".jsonl":
            df.write_ndjson(path)
        elif suffix in (".arrow", ".feather"):
            df.write_ipc(path)
        else:
            raise ValueError(suffix)
        return path

    return _write


def run_main(capsys: pytest.CaptureFixture[str], args: tuple[object, ...]) -> tuple[int, str, str]:
    """Run the CLI's ``main`` in-process: (exit code, stdout, stderr)."""
    from mlgate._cli.main import main

    capsys.readouterr()
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def crash_files_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Send an exit-3 crash file to tmp_path/crash, so a test can look for it."""
    import tempfile

    crash_dir = tmp_path / "crash"
    crash_dir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(crash_dir))
    return crash_dir
