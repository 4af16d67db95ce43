"""The model stage of ``mlgate run``: build the model, find main's side, judge.

Main's side comes, in order, from ``mlgate run --baseline REF`` (the model at the merge
base of HEAD and REF, scored in a temporary git worktree, then cached), or the stage's
``baseline`` (a folder from ``mlgate baseline save`` or main's model file). Main's code
runs in a subprocess inside its worktree, so that its modules never mix with the pull
request's in this process.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from mlgate.config import ModelStage
from mlgate.errors import InputError
from mlgate.evaluation import baseline as bl
from mlgate.evaluation.behaviour import Behaviour, Case, Direction, Invariance
from mlgate.evaluation.check import (
    Budgets,
    baseline_output,
    is_entrypoint,
    judge_all,
    model_output,
    prediction_config,
    require_extra,
)
from mlgate.evaluation.gate import ModelGateSettings
from mlgate.evaluation.predictions import (
    EvalData,
    ModelOutput,
    is_model_file,
    load_eval_data,
    model_input,
)
from mlgate.findings import Report


def run_model_stage(
    stage: ModelStage,
    root: Path,
    *,
    target: str | None,
    baseline_ref: str | None = None,
    severity: Mapping[str, str] | None = None,
    config_name: str = "mlgate.yaml",
) -> Report:
    """Judge the stage's model against main's. ``root`` is mlgate.yaml's folder (paths
    are relative to it); ``target`` is the data stage's, used when the stage names
    none. Raises ``InputError`` (exit 2) for a missing target, a failed build, or a
    model or baseline that cannot be used."""
    from mlgate.runinfo import RunClock

    clock = RunClock.start()
    require_extra()
    target = stage.target or target
    if target is None:
        raise InputError("model.target: required (there is no data.target to fall back on)")
    commit = None
    if baseline_ref is not None:  # a mistyped ref is found before any build runs
        from mlgate.gitinfo import merge_base

        commit = merge_base(baseline_ref, cwd=root)
    if stage.build:
        run_build(stage.build, root, stage.build_timeout, where="this checkout")
    data = load_eval_data(str(root / stage.data), target, id_column=stage.id_column)
    model_ref = resolve_model(stage.model, root)
    candidate = model_output(model_ref, data, trust_pickle=stage.trust_pickle)
    base: ModelOutput | None = None
    note = ""
    if baseline_ref is not None and commit is not None:
        if _is_clean_head(commit, root):
            base, note = _head_is_main(
                candidate, model_ref, baseline_ref, commit, stage, root, data
            )
        else:
            try:
                base, note = baseline_at(baseline_ref, commit, stage, root, data, config_name)
            except NoBaseline as exc:
                note = str(exc)
    elif stage.baseline is not None:
        base, note = baseline_output(
            str(root / stage.baseline),
            data,
            trust_pickle=stage.trust_pickle,
            cache_dir=root / stage.cache,
        )
    budgets = Budgets(stage.budgets.latency_p95_ms, stage.budgets.max_size_mb)
    return judge_all(
        data,
        candidate,
        base,
        settings_of(stage),
        budgets=budgets,
        model_file=model_ref if is_model_file(model_ref) else None,
        note=note,
        train_data=str(root / stage.train_data) if stage.train_data else None,
        behaviour=behaviour_of(stage),
        severity=severity,
        run=(clock, _inputs(data, candidate, stage.model, base, baseline_ref, stage.baseline)),
    )


def _inputs(
    data: EvalData,
    candidate: ModelOutput,
    model: str,
    base: ModelOutput | None,
    ref: str | None,
    folder: str | None,
) -> list[dict[str, object]]:
    """The stage's inputs for the report (``mlgate run`` shows paths relative to
    mlgate.yaml's folder)."""
    inputs = [data.run_input(), model_input(candidate, "model", model)]
    if base is not None and ref is not None:
        inputs.append(model_input(base, "baseline", ref, fmt="git ref"))
    elif base is not None:
        inputs.append(model_input(base, "baseline", folder or "baseline"))
    return inputs


def behaviour_of(stage: ModelStage) -> Behaviour:
    b = stage.behaviour
    return Behaviour(
        invariance=tuple(
            Invariance(t.column, tuple(t.values), t.max_changed) for t in b.invariance
        ),
        direction=tuple(
            Direction(t.column, t.increase, t.of, t.expect, t.tolerance, t.max_violations)
            for t in b.direction
        ),
        cases=tuple(Case(c.row, c.expect) for c in b.cases),
        rows=b.rows,
        seed=stage.seed,
    )


def settings_of(stage: ModelStage) -> ModelGateSettings:
    return ModelGateSettings(
        task=stage.task,
        primary=stage.primary,
        gate=tuple(stage.gate),
        metrics=tuple(stage.metrics) if stage.metrics else None,
        margins=stage.margins,
        floors=stage.floors,
        slices=tuple(stage.slices),
        slice_bins=stage.slice_bins,
        min_slice_rows=stage.min_slice_rows,
        seed=stage.seed,
    )


def resolve_model(ref: str, folder: Path) -> str:
    """A model reference with its file made relative to ``folder`` (``pkg.mod:FUNC``
    entrypoints are left as they are)."""
    if is_entrypoint(ref):
        target, _, func = ref.rpartition(":")
        return f"{folder / target}:{func}" if target.endswith(".py") else ref
    return str(folder / ref)


def run_build(command: str, folder: Path, timeout: float, *, where: str) -> None:
    """Run ``model.build`` in ``folder`` through the shell, with the folder of the Python
    that runs mlgate first on PATH (so ``python`` is the environment mlgate is in).
    Raises ``InputError`` with the command's last output line when it fails or runs
    past ``timeout`` seconds."""
    import os

    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    try:
        done = subprocess.run(
            command,
            shell=True,
            env=env,
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise InputError(
            f"model.build ({command!r}) ran longer than {timeout:g} s in {where}; make it "
            "faster or raise model.build_timeout"
        ) from None
    if done.returncode in (-2, 130):  # Ctrl-C reached the build too: the user stopped it
        raise KeyboardInterrupt
    if done.returncode != 0:
        tail = (done.stderr.strip() or done.stdout.strip() or "(no output)").splitlines()[-1]
        raise InputError(
            f"model.build ({command!r}) failed in {where} with exit code {done.returncode}: "
            f"{tail[:300]}; run it by hand to see why"
        )


def _is_clean_head(commit: str, root: Path) -> bool:
    """Whether this checkout is ``commit`` with no change to a tracked file (on main
    itself, as when the workflow runs on a push to main)."""
    from mlgate.gitinfo import GitError, git, head_commit

    if head_commit(root) != commit:
        return False
    try:
        return git("status", "--porcelain", "--untracked-files=no", cwd=root) == ""
    except GitError:
        return False


def _head_is_main(
    candidate: ModelOutput,
    model_ref: str,
    ref: str,
    commit: str,
    stage: ModelStage,
    root: Path,
    data: EvalData,
) -> tuple[ModelOutput, str]:
    """On main's own commit the model is main's: cache its predictions for the pull
    requests that branch from here, and compare it with itself."""
    cache_dir = root / stage.cache
    key = _key(commit, stage, data)
    saved = is_model_file(model_ref) and Path(model_ref).is_file()
    try:
        bl.save_baseline(
            cache_dir / key,
            candidate,
            data,
            commit=commit,
            key=key,
            model_path=model_ref if saved else None,
        )
        where = f"cached in {cache_dir / key}"
    except (InputError, OSError) as exc:
        where = f"not cached ({exc})"
    return candidate, f"this checkout is {ref}'s commit {commit[:10]}: its model, {where}"


def _key(commit: str, stage: ModelStage, data: EvalData) -> str:
    return bl.cache_key(
        identity=f"commit:{commit}",
        data_digest=data.digest,
        config=prediction_config(
            data, stage.trust_pickle, f"model={stage.model}", f"build={stage.build}"
        ),
    )


class NoBaseline(InputError):
    """Main has no model to compare with (the pull request adds the first one)."""


def mains_stage(stage: ModelStage, commit: str, root: Path, config_name: str) -> ModelStage:
    """The model stage as main's own mlgate.yaml at ``commit`` describes it: main's model
    is built with main's ``build`` and found at main's ``model`` path, so a pull request
    that changes either is compared with main as main was (the evaluation rows stay
    the pull request's). Falls back to ``stage`` when main has no mlgate.yaml (this
    pull request adds mlgate); raises ``NoBaseline`` when main's has no model stage."""
    from mlgate._yaml import parse_model
    from mlgate.config import Config
    from mlgate.errors import MlgateError
    from mlgate.gitinfo import GitError, git, repository_root

    inside = root.resolve().relative_to(repository_root(root).resolve())
    try:
        text = git("show", f"{commit}:{(inside / config_name).as_posix()}", cwd=root)
        main = parse_model(text, Config, label=f"{config_name} at {commit[:10]}", what="config")
    except (GitError, MlgateError):
        return stage
    if main.model is None:
        raise NoBaseline(
            f"{config_name} at {commit[:10]} has no model: stage: nothing to compare with (this "
            "pull request adds the model stage)"
        )
    return stage.model_copy(
        update={
            k: getattr(main.model, k) for k in ("model", "build", "build_timeout", "trust_pickle")
        }
    )


def baseline_at(
    ref: str, commit: str, stage: ModelStage, root: Path, data: EvalData, config_name: str
) -> tuple[ModelOutput, str]:
    """Main's predictions: the model at ``commit`` (the merge base of HEAD and ``ref``),
    built and found as main's mlgate.yaml says, from the cache or scored now in a
    temporary worktree (and cached). Raises ``NoBaseline`` when main has no model."""
    from mlgate.gitinfo import repository_root, worktree

    stage = mains_stage(stage, commit, root, config_name)
    cache_dir = root / stage.cache
    key = _key(commit, stage, data)
    label = f"main's model at {commit[:10]} (merge base with {ref})"
    out, why = bl.cached(cache_dir, key, data, trust_pickle=stage.trust_pickle)
    if out is not None:
        return out, f"{label}, cached in {cache_dir / key}"
    inside = root.resolve().relative_to(repository_root(root).resolve())
    with worktree(commit, cwd=root) as tree:
        folder = tree / inside
        where = f"main's worktree at {commit[:10]}"
        if stage.build:
            run_build(stage.build, folder, stage.build_timeout, where=where)
        model = resolve_model(stage.model, folder)
        target_file = model.rpartition(":")[0] if is_entrypoint(model) else model
        if target_file.startswith(str(folder)) and not Path(target_file).exists():
            raise NoBaseline(
                f"{stage.model} is not in {ref} at {commit[:10]}, and no model.build there "
                "makes it: nothing to compare with (this pull request may add the first model)"
            )
        _save_in_subprocess(model, data, folder, cache_dir / key, commit, key, stage)
    out, why = bl.cached(cache_dir, key, data, trust_pickle=stage.trust_pickle)
    if out is None:  # pragma: no cover - the subprocess just wrote it
        raise InputError(f"main's predictions could not be read back: {why}")
    return out, f"{label}, predicted now and cached in {cache_dir / key}"


def _save_in_subprocess(
    model: str, data: EvalData, folder: Path, dest: Path, commit: str, key: str, stage: ModelStage
) -> None:
    option = (
        "--entrypoint"
        if is_entrypoint(model)
        else "--model"
        if is_model_file(model)
        else "--predictions"
    )
    command = [
        sys.executable,
        "-m",
        "mlgate._cli.main",
        "baseline",
        "save",
        str(dest.resolve()),
        option,
        model,
        "--data",
        str(Path(data.path).resolve()),
        "--target",
        data.target,
        "--id-column",
        data.id_column,
        "--commit",
        commit,
        "--key",
        key,
    ]
    if stage.trust_pickle:
        command.append("--trust-pickle")
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr.strip() or "(no output)").splitlines()[-1]
        raise InputError(f"main's model at {commit[:10]} could not be scored: {tail[:400]}")
