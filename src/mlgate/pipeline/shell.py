"""``cmd:`` steps: a pipeline written as scripts, run on the sample through files.

The command runs in the config's folder with the shell. Each of its ``inputs`` (a
source or an earlier output, by name) is written to a file of the given name in a fresh
temporary folder, and each of its ``outputs`` is read back from there; ``{name}`` in the
command stands for that file's path (shell-quoted), and so does the environment
variable ``MLGATE_<NAME>``. The user's own data files are never written.

A command that exits non-zero is a step that failed: its last line of standard error
says why, and a Python traceback in it says where (the innermost frame outside
installed packages).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.pipeline.run import Failure, Output, StepRun, to_polars

if TYPE_CHECKING:
    from mlgate.pipeline.run import BoundStep

_FRAME_LINE = re.compile(r'File "([^"]+)", line (\d+)')


def call_command(bound: BoundStep, inputs: Mapping[str, Any], *, root: Path) -> StepRun:
    """Run the step's command on ``inputs`` written to files; its outputs read back."""
    step = bound.step
    assert step.cmd is not None
    with tempfile.TemporaryDirectory(prefix=f"mlgate-{step.name}-") as tmp:
        folder = Path(tmp)
        paths: dict[str, Path] = {}
        for name, file in step.inputs.items():
            paths[name] = folder / file
            _write(inputs[name], paths[name])
        for name, file in step.outputs.items():
            paths[name] = folder / file
        env = {**os.environ, **{f"MLGATE_{n.upper()}": str(p) for n, p in paths.items()}}
        command = _expand(step.cmd, paths)
        start = time.perf_counter()
        try:
            done = subprocess.run(
                command,
                shell=True,
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                timeout=step.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return StepRun(
                step.name,
                failure=Failure(f"the command ran past its timeout of {step.timeout:g} s"),
            )
        seconds = time.perf_counter() - start
        if done.stderr:
            # The command's messages are the user's to read, as a step's prints are.
            import sys

            sys.stderr.write(done.stderr)
        if done.returncode != 0:
            return StepRun(step.name, failure=_failure(done.returncode, done.stderr, root))
        outputs = {}
        only = next(iter(step.outputs)) if len(step.outputs) == 1 else None
        for name in bound.output_names():
            key = only or name  # one output is bound to the step's own name
            path = paths[key]
            if not path.is_file():
                why = f"the command exited 0 but did not write its output {step.outputs[key]!r}"
                hint = f"; write it to {{{key}}} (or $MLGATE_{key.upper()}) in the command"
                return StepRun(step.name, failure=Failure(why + hint))
            frame = _read(path)
            outputs[name] = Output(frame, frame)
    return StepRun(step.name, outputs, seconds=seconds)


def _expand(cmd: str, paths: Mapping[str, Path]) -> str:
    out = cmd
    for name, path in paths.items():
        out = out.replace("{" + name + "}", shlex.quote(str(path)))
    return out


def _write(value: Any, path: Path) -> None:
    from mlgate.errors import InputError

    frame = to_polars(value)
    if frame is None:
        raise InputError(
            f"{path.name}: a cmd: step's input must be a DataFrame, not {type(value).__name__}"
        )
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        frame.write_csv(path)
    elif suffix == ".parquet":
        frame.write_parquet(path)
    elif suffix in (".jsonl", ".ndjson"):
        frame.write_ndjson(path)
    elif suffix in (".arrow", ".feather", ".ipc"):
        frame.write_ipc(path)
    else:
        raise InputError(
            f"{path.name}: mlgate writes a cmd: step's inputs as .csv, .parquet, .jsonl or "
            ".arrow; name the file with one of these"
        )


def _read(path: Path) -> Any:
    from mlgate.data import io

    return io.read_all(io.resolve(path))


def _failure(code: int, stderr: str, root: Path) -> Failure:
    lines = [line for line in stderr.splitlines() if line.strip()]
    last = lines[-1].strip() if lines else "(nothing on standard error)"
    file = line = None
    for match in _FRAME_LINE.finditer(stderr):
        name = match.group(1)
        if "site-packages" in name or "dist-packages" in name or name.startswith("<"):
            continue
        file, line = _shown(name, root), int(match.group(2))
    at = f" at {file}:{line}" if file else ""
    return Failure(f"the command exited {code}: {last}{at}", file, line)


def _shown(name: str, root: Path) -> str:
    path = (root / name).resolve()
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)
