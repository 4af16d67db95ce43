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
- Else a Kedro project: the ``node(func, inputs, outputs)`` calls of
  ``src/*/pipelines/*/pipeline.py`` whose function is imported from the pipeline's
  ``nodes.py``, with one output and no ``params:`` input. A dataset of
  ``conf/base/catalog.yml`` with a data ``filepath`` that no node writes is a source; a
  node's output names its step; its parameters are bound to its inputs with ``inputs:``.
  A node whose output the catalog stores as a pickle, or is named like a fitted model
  (``regressor``, ``*_model``), returns an object.
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
    return find_dvc_pipeline(root) or find_kedro_pipeline(root)


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
#: A Kedro output named like a fitted model (``regressor``, ``churn_model``), not like a
#: table that feeds one (``model_input_table``).
_MODEL_NAME = re.compile(r"(^|_)(model|regressor|classifier|estimator)$")


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


def find_kedro_pipeline(root: Path) -> FoundPipeline | None:
    """The nodes of a Kedro project in ``root`` that can run on the sample (see the
    module's docstring), in an order where each runs after its inputs; or None."""
    import yaml

    try:
        catalog = yaml.safe_load((root / "conf" / "base" / "catalog.yml").read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    if not isinstance(catalog, dict):
        return None
    files = {
        str(name): str(entry["filepath"])
        for name, entry in catalog.items()
        if isinstance(entry, dict) and str(entry.get("filepath", "")).endswith(DATA_SUFFIXES)
    }
    objects = {
        str(name)
        for name, entry in catalog.items()
        if isinstance(entry, dict) and "pickle" in str(entry.get("type", "")).lower()
    }
    nodes = [
        n for path in sorted(root.glob("src/*/pipelines/*/pipeline.py")) for n in _nodes(path, root)
    ]
    written = {out for _, _, _, out in nodes}
    sources = {name: path for name, path in files.items() if name not in written}
    steps: list[FoundStep] = []
    known, used = set(sources), set()
    waiting = [n for n in nodes if _NAME_OK.fullmatch(n[3])]
    while waiting:  # each pass adds the nodes whose inputs are all there
        ready = [n for n in waiting if all(ds in known for _, ds in n[2])]
        if not ready:
            break
        for run, func, args, out in ready:
            model = out in objects or _MODEL_NAME.search(out.lower()) is not None
            renamed = tuple((p, ds) for p, ds in args if p != ds)
            steps.append(FoundStep(out, run=f"{run}:{func}", model=model, inputs=renamed))
            known.add(out)
            used.update(ds for _, ds in args)
        waiting = [n for n in waiting if n not in ready]
    sources = {name: path for name, path in sources.items() if name in used}
    if not steps:
        return None
    return FoundPipeline("kedro", tuple(sources.items()), tuple(steps))


def _nodes(path: Path, root: Path) -> list[tuple[str, str, tuple[tuple[str, str], ...], str]]:
    """(nodes.py relative to root, function, (parameter, dataset) pairs, output) of each
    ``node(...)`` call in a Kedro ``pipeline.py`` that can be bound."""
    nodes_file = path.with_name("nodes.py")
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
        defs = {
            n.name: [a.arg for a in (*n.args.posonlyargs, *n.args.args)]
            for n in ast.parse(nodes_file.read_bytes()).body
            if isinstance(n, ast.FunctionDef)
        }
    except (OSError, SyntaxError, ValueError):
        return []
    imported = {
        alias.asname or alias.name
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and n.module == "nodes" and n.level == 1
        for alias in n.names
    }
    run = nodes_file.relative_to(root).as_posix()
    out = []
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call) or _callee(call) != "node":
            continue
        parts = dict(zip(("func", "inputs", "outputs"), call.args, strict=False))
        parts.update({k.arg: k.value for k in call.keywords if k.arg})
        func = parts.get("func")
        if not isinstance(func, ast.Name) or func.id not in imported or func.id not in defs:
            continue
        datasets = _literal(parts.get("inputs"))
        output = _literal(parts.get("outputs"))
        if not isinstance(output, str):
            continue
        if isinstance(datasets, str):
            datasets = [datasets]
        if isinstance(datasets, list):
            args = list(zip(defs[func.id], datasets, strict=False))
            if len(args) != len(datasets):
                continue
        elif isinstance(datasets, dict):
            args = list(datasets.items())
        else:
            continue
        if any(
            not isinstance(ds, str) or ds.startswith("params:") or ds == "parameters"
            for _, ds in args
        ):
            continue
        out.append((run, func.id, tuple(args), output))
    return out


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _literal(node: ast.expr | None) -> object:
    try:
        return ast.literal_eval(node) if node is not None else None
    except ValueError:
        return None
