"""What ``mlgate init`` can read of a project's pipeline without running any of it.

A module named ``pipeline.py`` (or ``steps.py``) at the top of the project whose
top-level functions chain by their parameters, as ``mlgate check pipeline`` binds them:
each parameter without a default names a data file found in the project (by its stem:
``raw`` is ``data/raw.csv``) or an earlier function. Every such function is a step, in
the order the module defines them; one named ``train*`` or ``fit*`` is taken to return
a model (``returns: object``). Only the syntax tree is read.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

MODULES = ("pipeline.py", "steps.py")
MODEL_WORDS = ("train", "fit")


@dataclass(frozen=True)
class FoundPipeline:
    """A pipeline module and what it reads: ``sources`` (name, data file) and ``steps``
    (function name, whether it returns a model), in order."""

    module: str
    sources: tuple[tuple[str, str], ...]
    steps: tuple[tuple[str, bool], ...]


def find_pipeline(root: Path, data_files: Sequence[str]) -> FoundPipeline | None:
    """The first of ``MODULES`` in ``root`` with at least one step whose inputs are all
    found, or None. ``data_files``: the project's data files, relative to ``root``."""
    by_stem: dict[str, str] = {}
    for file in data_files:
        by_stem.setdefault(Path(file).stem, file)
    for name in MODULES:
        path = root / name
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (OSError, SyntaxError, ValueError):
            continue
        found = _chain(tree, by_stem)
        if found is not None:
            sources, steps = found
            return FoundPipeline(name, sources, steps)
    return None


def _chain(
    tree: ast.Module, by_stem: dict[str, str]
) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, bool], ...]] | None:
    sources: dict[str, str] = {}
    steps: list[tuple[str, bool]] = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
            continue
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        required = [a.arg for a in positional[: len(positional) - len(args.defaults)]]
        required += [
            a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None
        ]
        done = {s for s, _ in steps}
        if not required or not all(p in done or p in by_stem for p in required):
            continue
        for p in required:
            if p not in done:
                sources.setdefault(p, by_stem[p])
        steps.append((node.name, node.name.lower().startswith(MODEL_WORDS)))
    if not steps:
        return None
    return tuple(sources.items()), tuple(steps)
