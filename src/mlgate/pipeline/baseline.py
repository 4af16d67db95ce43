"""The pipeline against main's: each step's output profile beside main's on the same sample.

Main's side is the pipeline at the merge base of HEAD and ``--baseline REF``, as main's
mlgate.yaml describes it, run in a temporary git worktree on *this* checkout's source
files with this checkout's sample size and seed, so that a difference is the code's, not
the data's. It runs in a child process (``mlgate pipeline profiles``): main's step
modules must not be imported into this process beside the pull request's, under the same
names. Its output profiles (small JSON files, not the data) are cached in
``.mlgate/cache/pipeline-<key>/`` (key: main's commit, the sources' digests, the sample
and seed); an entry whose ``meta.json`` does not carry its key is recomputed, never used.

Each output is compared as the data gate compares a batch with its reference
(``compare_profiles``, thresholds of a schema inferred from main's output), a distance
above the threshold counting whatever its p-value (the same rows on both sides: no
sampling noise), plus its columns and rows; the first step whose output changed is
named, and a later change that follows from it says so.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.errors import InputError
from mlgate.findings import Finding, Status

if TYPE_CHECKING:
    from mlgate.data.profile import DatasetProfile
    from mlgate.pipeline.gate import Prepared
    from mlgate.pipeline.run import PipelineRun

META = "meta.json"
FORMAT = 1


def save_profiles(run: PipelineRun, folder: Path, *, key: str | None = None) -> None:
    """Write each frame output's profile (``<name>.profile.json``) and ``meta.json``
    (the outputs, and the steps that failed) into ``folder``, replacing it whole."""
    from mlgate.data.profile import profile_frame

    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    outputs, failed = [], []
    for step in run.steps.values():
        if step.failure is not None or step.blocked_by is not None:
            failed.append(step.name)
        for name, out in step.outputs.items():
            if out.frame is not None:
                profile_frame(out.frame, source=name).save(tmp / f"{name}.profile.json")
                outputs.append(name)
    meta = {"format": FORMAT, "key": key, "outputs": outputs, "failed": failed}
    (tmp / META).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.replace(folder)


def read_profiles(folder: Path, *, key: str | None = None) -> dict[str, DatasetProfile]:
    """The profiles of a folder ``save_profiles`` wrote; ``InputError`` if it is not one
    (or, with ``key``, one written for another key)."""
    from mlgate.data.profile import load

    try:
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{folder}: not a pipeline baseline ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise InputError(f"{folder}: not a pipeline baseline of this mlgate")
    if key is not None and meta.get("key") != key:
        raise InputError(f"{folder}: made for another commit or data")
    return {name: load(folder / f"{name}.profile.json") for name in meta["outputs"]}


def mains_profiles(
    prep: Prepared, ref: str, cache: Path | None = None
) -> tuple[dict[str, DatasetProfile] | None, str]:
    """Main's output profiles, from the cache or computed now (and cached), and a note
    saying where they came from; None (and why) when main has no pipeline to run.
    Raises ``GitError``/``InputError`` (exit 2) for a ref git does not know, or main's
    pipeline failing to run at all."""
    from mlgate._digest import text_digest
    from mlgate.gitinfo import merge_base, repository_root, worktree

    commit = merge_base(ref, cwd=prep.root)
    stage = prep.stage
    digests = [f"{i['role']}={i['digest']}" for i in prep.inputs]
    key = text_digest(
        f"commit:{commit}", *digests, f"sample={stage.sample}", f"seed={stage.seed}"
    ).removeprefix("sha256:")[:24]
    folder = (cache or prep.root / ".mlgate" / "cache") / f"pipeline-{key}"
    label = f"main's pipeline at {commit[:10]} (merge base with {ref})"
    if folder.is_dir():
        try:
            return read_profiles(folder, key=key), f"{label}, cached in {folder}"
        except InputError:
            shutil.rmtree(folder, ignore_errors=True)  # recomputed, never trusted
    config = Path(prep.config_file).resolve()
    inside = config.parent.relative_to(repository_root(prep.root).resolve())
    with worktree(commit, cwd=prep.root) as tree:
        main_config = tree / inside / config.name
        if not main_config.is_file():
            return None, f"{label} has no {config.name}: nothing to compare with"
        command = [
            sys.executable,
            "-m",
            "mlgate._cli.main",
            "pipeline",
            "profiles",
            "--config",
            str(main_config),
            "--output-dir",
            str(folder.resolve()),
            "--key",
            key,
            "--sample",
            str(stage.sample),
            "--seed",
            str(stage.seed),
        ]
        for name in stage.sources:
            path = Path(stage.source(name).path)
            command += ["--source", f"{name}={path if path.is_absolute() else prep.root / path}"]
        done = subprocess.run(
            command, cwd=main_config.parent, capture_output=True, text=True, check=False
        )
    if done.returncode != 0:
        tail = (done.stderr.strip() or "(no output)").splitlines()[-1]
        if "has no 'pipeline:' section" in tail:
            return None, f"{label} has no pipeline: nothing to compare with"
        raise InputError(f"main's pipeline at {commit[:10]} could not be run: {tail[:400]}")
    return read_profiles(folder, key=key), f"{label}, run now and cached in {folder}"


def compare_with_main(
    prep: Prepared, run: PipelineRun, mains: Mapping[str, DatasetProfile], note: str
) -> dict[str, list[Finding]]:
    """Per step, one ``pipeline.changed_from_main`` finding per frame output: a warning
    naming what changed (columns added or gone, rows, the columns whose distribution
    moved beyond their drift thresholds), or a pass. The first step that changed is
    named in every later change that follows from it."""
    from mlgate.data.drift import compare_profiles
    from mlgate.data.profile import profile_frame
    from mlgate.data.schema import infer_schema

    out: dict[str, list[Finding]] = {}
    first: str | None = None
    for bound in prep.steps:
        result = run.steps[bound.name]
        for name, output in result.outputs.items():
            if output.frame is None:
                continue
            main = mains.get(name)
            if main is None:
                found = Finding(
                    "pipeline.changed_from_main",
                    Status.SKIP,
                    f"not compared: main has no output {name!r} ({note})",
                    details={"baseline": note},
                )
                out.setdefault(bound.name, []).append(found)
                continue
            current = profile_frame(output.frame, source=name)
            found = compare_profiles(main, current, infer_schema(main))
            drifted = [f for f in found if f.column and _moved(f)]
            change = _change(main, current, drifted)
            if change and first is None:
                first = bound.name
            out.setdefault(bound.name, []).append(_finding(name, change, first, bound.name, note))
    return out


def _moved(f: Finding) -> bool:
    """Whether a drift finding says the column moved. Both sides ran on the same rows,
    so a distance above the threshold is the code's doing, never sampling noise: the
    drift test's p-value, made for two independent samples, does not apply."""
    if f.status is Status.FAIL:
        return True
    statistic, threshold = f.details.get("statistic"), f.details.get("threshold")
    return statistic is not None and threshold is not None and statistic > threshold


def _change(
    main: DatasetProfile, current: DatasetProfile, drifted: list[Finding]
) -> dict[str, Any]:
    change: dict[str, Any] = {}
    gone = [c for c in main.names if c not in current.names]
    new = [c for c in current.names if c not in main.names]
    if gone:
        change["columns_gone"] = gone
    if new:
        change["columns_new"] = new
    if main.rows != current.rows:
        change["rows"] = [main.rows, current.rows]
    if drifted:
        change["drifted"] = sorted({f.column for f in drifted if f.column})
    return change


def _finding(
    name: str,
    change: dict[str, Any],
    first: str | None,
    step: str,
    note: str,
) -> Finding:
    details = {**change, "baseline": note}
    if not change:
        return Finding(
            "pipeline.changed_from_main",
            Status.PASS,
            f"{name!r} is as on main (columns, rows and distributions)",
            details=details,
        )
    parts = []
    if "drifted" in change:
        parts.append("moved: " + ", ".join(repr(c) for c in change["drifted"][:5]))
    if "columns_gone" in change:
        parts.append("gone: " + ", ".join(repr(c) for c in change["columns_gone"][:5]))
    if "columns_new" in change:
        parts.append("new: " + ", ".join(repr(c) for c in change["columns_new"][:5]))
    if "rows" in change:
        parts.append(f"rows {change['rows'][0]} -> {change['rows'][1]}")
    column = (
        change.get("drifted") or change.get("columns_gone") or change.get("columns_new") or [None]
    )[0]
    if first == step:
        lead = f"the change from main starts here, in {name!r}"
    else:
        lead = f"{name!r} differs from main, following the change in {first!r}"
    details["first_change"] = first
    return Finding(
        "pipeline.changed_from_main",
        Status.WARN,
        f"{lead} ({'; '.join(parts)}); if the change is meant, this is what it does to the "
        "step's output; if not, start at the first step that changed",
        column=column,
        details=details,
    )
