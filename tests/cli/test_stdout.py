"""Standard output is the report's alone: user code's output goes to stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlgate._cli.main import main
from mlgate._cli.output import stdout_for_report
from tests.conftest import make_table

SRC = Path(__file__).resolve().parents[2] / "src"

#: A training spec that writes to stdout every way user code can: print() at import, in
#: the entrypoint and in fit; the interpreter's original stdout, buffered; os.write to
#: descriptor 1; C's printf; and a child process.
NOISY_SPEC = """
import ctypes
import os
import subprocess
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression

print("NOISY print at import")


class Chatty(LogisticRegression):
    def fit(self, X, y, sample_weight=None):
        print("NOISY print during fit")
        os.write(1, b"NOISY os.write to descriptor 1\\n")
        if sys.platform == "linux":
            ctypes.CDLL(None).printf(b"NOISY printf from C\\n")
        return super().fit(X, y, sample_weight=sample_weight)


def training_spec():
    print("NOISY print in the entrypoint")
    sys.__stdout__.write("NOISY sys.__stdout__, buffered\\n")  # no flush
    subprocess.run([sys.executable, "-c", "print('NOISY child process')"], check=True)
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(size=(30, 2)), rng.normal(size=(30, 2)) + 3]
    return {"estimator": Chatty(), "X": X, "y": np.repeat([0, 1], 30)}
"""

NOISES = [
    "NOISY print at import",
    "NOISY print in the entrypoint",
    "NOISY sys.__stdout__, buffered",
    "NOISY child process",
    "NOISY print during fit",
    "NOISY os.write to descriptor 1",
    *(["NOISY printf from C"] if sys.platform == "linux" else []),
]


def mlgate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # Buffered, as a plain `python` is: PYTHONUNBUFFERED would flush every write at
    # once (C's stdio included) and hide what stays in a buffer until exit.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env["PYTHONPATH"] = str(SRC)
    return subprocess.run(
        [sys.executable, "-m", "mlgate._cli.main", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def noisy_spec(tmp_path: Path) -> Path:
    pytest.importorskip("sklearn")
    path = tmp_path / "noisy_spec.py"
    path.write_text(NOISY_SPEC)
    return path


def test_json_on_stdout_parses_whatever_the_training_spec_prints(noisy_spec, tmp_path):
    done = mlgate(
        "check",
        "training",
        "--entrypoint",
        "noisy_spec.py:training_spec",
        "--format",
        "json",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "NOISY" not in done.stdout
    report = json.loads(done.stdout)
    assert report["passed"] is True
    assert {c["stage"] for c in report["checks"]} == {"training:noisy_spec.py:training_spec"}
    for noise in NOISES:
        assert noise in done.stderr, noise


def test_in_process_prints_go_to_stderr_at_both_levels(noisy_spec, tmp_path, capfd, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(SystemExit) as exit_info:
        main(
            ["check", "training", "--entrypoint", "noisy_spec.py:training_spec", "--format", "json"]
        )
    out, err = capfd.readouterr()
    assert exit_info.value.code == 0
    assert json.loads(out)["passed"] is True
    for noise in NOISES:
        assert noise in err, noise
    # Afterwards stdout is stdout again, at both levels.
    print("python level")
    os.write(1, b"descriptor level\n")
    out, err = capfd.readouterr()
    assert out == "python level\ndescriptor level\n" and err == ""


def test_with_output_the_verdict_and_the_files_path_go_to_stderr(write, tmp_path, capsys):
    ref = write(make_table(seed=1), "ref.parquet")
    cur = write(make_table(seed=3, shift=1.0), "cur.csv")
    target = tmp_path / "report.md"
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "check",
                "data",
                "--reference",
                str(ref),
                "--current",
                str(cur),
                "--format",
                "markdown",
                "-o",
                str(target),
            ]
        )
    out, err = capsys.readouterr()
    assert exit_info.value.code == 1 and out == ""
    first = target.read_text().splitlines()[0]  # "### ❌ mlgate data check: FAILED (...)"
    verdict = first.split(" ", 2)[2]
    assert verdict.startswith("mlgate data check: FAILED (")
    assert err == f"{verdict}; report written to {target}\n"


def test_help_and_version_still_go_to_stdout(tmp_path):
    helped = mlgate("check", "training", "--help", cwd=tmp_path)
    assert helped.returncode == 0 and helped.stderr == ""
    assert helped.stdout.startswith("Usage: mlgate check training")
    version = mlgate("--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stderr == ""
    assert version.stdout.startswith("mlgate, version ")


def test_the_redirection_is_undone_when_the_command_raises(capfd):
    with pytest.raises(RuntimeError), stdout_for_report() as report:
        print("to stderr")
        report.write("the report\n")
        report.flush()
        raise RuntimeError("boom")
    print("to stdout")
    out, err = capfd.readouterr()
    assert out == "the report\nto stdout\n"
    assert err == "to stderr\n"
