"""What ``mlgate init`` can read of a project's pipeline without running any of it.

- A module named ``pipeline.py`` (or ``steps.py``) at the top of the project whose
  top-level functions chain by their parameters, as ``mlgate check pipeline`` binds
  them: each parameter without a default names a data file found in the project (by its
  stem: ``raw`` is ``data/raw.csv``) or an earlier function. Every such function is a
  step, in the order the module defines them; one named ``train*`` or ``fit*`` is taken
  to return a model (``returns: object``). Only the syntax tree is read.
- Else a DVC pipeline, ``dvc.yaml``: each stage whose command names every data file it
  depends on and writes (``.csv``, ``.parquet``, ...) becomes a ``cmd:`` step, those
  paths replaced by the ``{name}`` placeholders the check fills with the sample's files;
  a data dependency no earlier stage writes is a source. Stages that read their paths
  from elsewhere (``params.yaml``, the code), ``foreach`` and ``matrix`` stages are left
  out, and so is every stage after one left out that needs its output.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

MODULES = ("pipeline.py", "steps.py")
MODEL_WORDS = ("train", "fit")


@dataclass(frozen=True)
class FoundStep:
    """A step as mlgate.yaml will name it: ``run`` (``module:function``) or ``cmd`` with
    its ``inputs`` and ``outputs`` (name, file name), and whether it returns a model."""

    name: str
    run: str | None = None
    model: bool = False
    cmd: str | None = None
    inputs: tuple[tuple[str, str], ...] = ()
    outputs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class FoundPipeline:
    """Where the pipeline was read (``module``: a file name) and what it reads:
    ``sources`` (name, data file) and ``steps``, in order."""

    module: str
    sources: tuple[tuple[str, str], ...]
    steps: tuple[FoundStep, ...]


def find_pipeline(root: Path, data_files: Sequence[str]) -> FoundPipeline | None:
    """The first of ``MODULES`` in ``root`` with at least one step whose inputs are all
    found, else the DVC pipeline in ``root``, else None. ``data_files``: the project's
    data files, relative to ``root``."""
    by_stem: dict[str, str] = {}
    for file in data_files:
        by_stem.setdefault(Path(file).stem, file)
    for name in MODULES:
        path = root / name
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (OSError, SyntaxError, ValueError):
            continue
        found = _chain(tree, by_stem, name)
        if found is not None:
            sources, steps = found
            return FoundPipeline(name, sources, steps)
    return find_dvc_pipeline(root)


def _chain(
    tree: ast.Module, by_stem: dict[str, str], module: str = "pipeline.py"
) -> tuple[tuple[tuple[str, str], ...], tuple[FoundStep, ...]] | None:
    sources: dict[str, str] = {}
    steps: list[FoundStep] = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
            continue
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        required = [a.arg for a in positional[: len(positional) - len(args.defaults)]]
        required += [
            a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None
        ]
        done = {s.name for s in steps}
        if not required or not all(p in done or p in by_stem for p in required):
            continue
        for p in required:
            if p not in done:
                sources.setdefault(p, by_stem[p])
        model = node.name.lower().startswith(MODEL_WORDS)
        steps.append(FoundStep(node.name, run=f"{module}:{node.name}", model=model))
    if not steps:
        return None
    return tuple(sources.items()), tuple(steps)


#: What a DVC stage's dependency or output must end with to be a table mlgate reads.
DATA_SUFFIXES = (".csv", ".tsv", ".parquet", ".jsonl", ".ndjson", ".arrow", ".feather", ".ipc")


def find_dvc_pipeline(root: Path) -> FoundPipeline | None:
    """The stages of ``root/dvc.yaml`` that can run on the sample (see the module's
    docstring) as ``cmd:`` steps, or None when there are none (or no readable file)."""
    import yaml

    try:
        doc = yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    stages = doc.get("stages") if isinstance(doc, dict) else None
    if not isinstance(stages, dict):
        return None
    bound: dict[str, str] = {}  # data path -> the name it is bound to
    sources: dict[str, str] = {}
    steps: list[FoundStep] = []
    for stage_name, stage in stages.items():
        step = _dvc_step(str(stage_name), stage, bound, sources)
        if step is not None:
            steps.append(step)
    if not steps:
        return None
    return FoundPipeline("dvc.yaml", tuple(sources.items()), tuple(steps))


def _dvc_step(
    name: str, stage: object, bound: dict[str, str], sources: dict[str, str]
) -> FoundStep | None:
    """One stage as a ``cmd:`` step, binding its outputs in ``bound`` and its new
    sources in ``sources``; None when it cannot run on the sample."""
    import re

    if not isinstance(stage, dict) or "foreach" in stage or "matrix" in stage:
        return None
    cmd = stage.get("cmd")
    if isinstance(cmd, list):
        cmd = " && ".join(str(c) for c in cmd)
    step_name = re.sub(r"\W", "_", name)
    if not isinstance(cmd, str) or not _NAME_OK.fullmatch(step_name):
        return None
    deps = [d for d in _paths(stage.get("deps")) if d.endswith(DATA_SUFFIXES)]
    outs = [o for o in _paths(stage.get("outs")) if o.endswith(DATA_SUFFIXES)]
    if not outs or not all(p in cmd for p in (*deps, *outs)):
        return None
    taken = set(bound.values()) | set(sources) | {step_name}
    inputs, new_sources = [], {}
    for dep in deps:
        if dep in bound:
            inputs.append((bound[dep], dep))
        else:
            source = _free(re.sub(r"\W", "_", Path(dep).stem), taken)
            taken.add(source)
            new_sources[source] = dep
            inputs.append((source, dep))
    outputs = []
    for out in outs:
        out_name = step_name if len(outs) == 1 else _free(re.sub(r"\W", "_", Path(out).stem), taken)
        taken.add(out_name)
        outputs.append((out_name, out))
    # Longer paths first, so that data/a.csv.bak is not cut by data/a.csv.
    for key, path in sorted((*inputs, *outputs), key=lambda kv: -len(kv[1])):
        cmd = cmd.replace(path, "{" + key + "}")
    sources.update(new_sources)
    bound.update({path: key for key, path in outputs})
    files = _file_names([p for _, p in (*inputs, *outputs)])
    return FoundStep(
        step_name,
        cmd=cmd,
        inputs=tuple((k, files[p]) for k, p in inputs),
        outputs=tuple((k, files[p]) for k, p in outputs),
    )


_NAME_OK = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _paths(value: object) -> list[str]:
    """DVC's deps/outs: a list of paths, or of ``{path: options}`` mappings."""
    out = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            out.extend(str(k) for k in item)
    return out


def _free(name: str, taken: set[str]) -> str:
    name = name if _NAME_OK.fullmatch(name) else f"t_{name}"
    candidate, i = name, 2
    while candidate in taken:
        candidate, i = f"{name}_{i}", i + 1
    return candidate


def _file_names(paths: list[str]) -> dict[str, str]:
    """A distinct file name in the step's temporary folder for each path."""
    names: dict[str, str] = {}
    for path in paths:
        base = Path(path).name
        candidate, i = base, 2
        while candidate in names.values():
            candidate, i = f"{i}_{base}", i + 1
        names[path] = candidate
    return names
