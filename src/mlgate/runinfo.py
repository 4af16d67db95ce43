"""What a run judged: the ``run`` object of a report.

A report says what it is about, so that a reviewer (or a tool) can tell which data,
code and commit a verdict belongs to::

    {"mlgate": "0.1.0", "started": "2026-11-30T18:03:29Z", "duration_s": 1.234,
     "git": {"commit": "<40 hex digits>", "branch": "feature-x"},
     "inputs": [{"role": "reference", "path": "data/train.parquet", "format": "parquet",
                 "rows": 206, "columns": 8, "digest": "blake3:..."}]}

``git`` is null outside a git repository (or without a git binary); ``branch`` is null
on a detached HEAD. ``rows`` and ``columns`` are null where the input is not a table or
was not counted in full; ``digest`` (``mlgate._digest.file_digest``: BLAKE3 of the
file's bytes, streamed) is null for an in-memory table. Nothing from the environment
goes in: no variables, no user names, no host names.

Importing this module is cheap (the standard library only, and mlgate's digest helper).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate import __version__
from mlgate._digest import digest_ahead, file_digest
from mlgate.errors import InputError

if TYPE_CHECKING:
    from mlgate.data.profile import DatasetProfile

#: Seconds to wait for ``git`` before leaving ``git`` null.
GIT_TIMEOUT_S = 2.0
#: Hex digits of a digest shown in text and Markdown.
SHORT_DIGEST = 12

Input = dict[str, Any]


@dataclass(frozen=True)
class RunClock:
    """When a run started: the wall-clock time for the report, and a monotonic clock
    for its duration (which the wall clock must not decide)."""

    started: datetime
    monotonic: float

    @classmethod
    def start(cls) -> RunClock:
        return cls(datetime.now(UTC), time.perf_counter())

    def elapsed(self) -> float:
        """Seconds since the start, rounded to milliseconds."""
        return round(time.perf_counter() - self.monotonic, 3)

    def run_info(
        self, inputs: Iterable[Mapping[str, Any]], *, cwd: str | Path | None = None
    ) -> dict[str, Any]:
        """The ``run`` object: this clock's start and duration until now, the git commit
        and branch of ``cwd`` (default: the working directory), and the inputs."""
        return {
            "mlgate": __version__,
            "started": self.started.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "duration_s": self.elapsed(),
            "git": git_info(cwd),
            "inputs": [dict(i) for i in inputs],
        }


def git_info(
    cwd: str | Path | None = None, *, timeout: float = GIT_TIMEOUT_S
) -> dict[str, str | None] | None:
    """``{"commit": sha, "branch": name or None}`` of the repository at ``cwd``.

    None when ``cwd`` is not in a git repository, the repository has no commit yet, git
    is not installed, or it does not answer within ``timeout`` seconds; never raises.
    ``branch`` is None on a detached HEAD (as CI systems check out pull requests).
    """
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD", "--abbrev-ref", "HEAD"],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    lines = out.stdout.split()
    if out.returncode != 0 or len(lines) != 2:
        return None
    commit, branch = lines
    return {"commit": commit, "branch": None if branch == "HEAD" else branch}


def file_input(
    role: str,
    path: str | Path,
    *,
    fmt: str | None = None,
    rows: int | None = None,
    columns: int | None = None,
    shown: str | None = None,
) -> Input:
    """One input file: its role, path (``shown`` if given, else as passed), format
    (default: the file's extension), size as a table and content digest.

    Raises ``InputError`` naming the file when it cannot be read.
    """
    return {
        "role": role,
        "path": shown if shown is not None else str(path),
        "format": fmt or Path(path).suffix.lstrip(".").lower() or None,
        "rows": rows,
        "columns": columns,
        "digest": _digest([path]),
    }


def data_input(role: str, data: Any, prof: DatasetProfile | None = None) -> Input:
    """One dataset as ``mlgate.profile`` accepts it (files, a folder, a glob, a saved
    profile, an in-memory table), with rows and columns from its profile.

    A saved profile's digest is the profile file's own; an in-memory table has none.
    Raises ``InputError`` when the data cannot be found or read.
    """
    rows = prof.rows if prof is not None else None
    columns = len(prof.columns) if prof is not None else None
    if not isinstance(data, (str, Path)):
        # An in-memory table: named by its type, without converting (copying) it again.
        label = f"<{type(data).__module__.split('.')[0]} {type(data).__name__}>"
        return {
            "role": role,
            "path": label,
            "format": "frame",
            "rows": rows,
            "columns": columns,
            "digest": None,
        }
    from mlgate.data.io import resolve

    source = resolve(data)
    return {
        "role": role,
        "path": source.label,
        "format": source.kind,
        "rows": rows,
        "columns": columns,
        "digest": _digest(source.paths) if source.paths else None,
    }


def digest_data_ahead(*data: Any) -> None:
    """Start the digests of these datasets' files (any that name files) while they are
    read and profiled, for ``data_input`` to collect; what cannot be found is left to
    the reader to report."""
    from mlgate.data.io import resolve

    for item in data:
        if isinstance(item, (str, Path)):
            try:
                paths = resolve(item).paths
            except InputError:
                continue
            if paths:
                digest_ahead(paths)


def _digest(paths: Sequence[str | Path]) -> str:
    try:
        return file_digest(paths)
    except OSError as exc:
        where = exc.filename or (str(paths[0]) if paths else "input")
        raise InputError(
            f"{where}: cannot be read for its digest ({exc.strerror or exc}); check the path"
        ) from None


def merge_runs(
    runs: Iterable[Mapping[str, Any] | None],
    clock: RunClock,
    *,
    cwd: str | Path | None = None,
    path: Callable[[str], str] = str,
) -> dict[str, Any]:
    """One ``run`` object for stages run together: one start and duration (``clock``),
    the git state of ``cwd`` once, and every stage's inputs in order, each once.

    ``path`` rewrites each input's path (e.g. relative to the config's folder).
    """
    inputs: list[Input] = []
    seen: set[tuple[Any, ...]] = set()
    for run in runs:
        for item in (run or {}).get("inputs") or ():
            entry = {**item, "path": path(str(item.get("path")))}
            key = (entry.get("role"), entry["path"], entry.get("digest"))
            if key not in seen:
                seen.add(key)
                inputs.append(entry)
    return clock.run_info(inputs, cwd=cwd)


def describe_input(
    item: Mapping[str, Any],
    *,
    short_digest: bool = True,
    role: bool = True,
    code: Callable[[str], str] = str,
) -> str:
    """``reference data/train.parquet (206 rows, 8 columns, blake3:1a2b3c4d5e6f…)``
    (without the role when ``role`` is false); ``code`` wraps the path and digest
    (Markdown code spans)."""
    parts = []
    if item.get("rows") is not None:
        parts.append(f"{item['rows']} rows")
    if item.get("columns") is not None:
        parts.append(f"{item['columns']} columns")
    digest = item.get("digest")
    if isinstance(digest, str):
        algo, _, hexdigits = digest.partition(":")
        if short_digest and len(hexdigits) > SHORT_DIGEST:
            digest = f"{algo}:{hexdigits[:SHORT_DIGEST]}…"
        parts.append(code(digest))
    tail = f" ({', '.join(parts)})" if parts else ""
    head = f"{item.get('role')} " if role else ""
    return f"{head}{code(str(item.get('path')))}{tail}"


def describe_git(git: Mapping[str, Any] | None, *, code: Callable[[str], str] = str) -> str:
    """``commit abc1234 on feature-x`` (or ``... detached HEAD``, or ``not in a git
    repository``)."""
    if not git or not git.get("commit"):
        return "not in a git repository"
    commit = code(str(git["commit"])[:7])
    branch = git.get("branch")
    if not branch:
        return f"commit {commit} (detached HEAD)"
    return f"commit {commit} on {code(str(branch))}"


def describe_run(run: Mapping[str, Any], *, code: Callable[[str], str] = str) -> list[str]:
    """A report's ``run`` in two lines: what was judged and at which commit, then when
    and by which mlgate."""
    inputs = [describe_input(i, code=code) for i in run.get("inputs") or ()]
    judged = "judged: " + (", ".join(inputs) if inputs else "no input files")
    judged += f"; {describe_git(run.get('git'), code=code)}"
    when = [f"mlgate {run.get('mlgate')}"]
    if run.get("started"):
        when.append(f"started {run['started']}")
    if run.get("duration_s") is not None:
        when.append(f"took {float(run['duration_s']):.1f} s")
    return [judged, ", ".join(when)]
