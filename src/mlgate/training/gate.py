"""``mlgate check training``: load the spec, run the checks for its kind, report."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlgate.findings import Report, apply_severity, with_stage
from mlgate.runinfo import Input, RunClock, file_input
from mlgate.training.spec import Budget, SklearnSpec, Spec, as_spec, load_spec


def check_training(
    spec_or_entrypoint: Any,
    *,
    budget: Budget | None = None,
    severity: Mapping[str, str] | None = None,
    stage: str | None = None,
) -> Report:
    """Run the training checks on an entrypoint (``FILE.py:FUNC``) or a spec object.

    Every finding carries ``stage``: by default ``training:<entrypoint>`` with the
    entrypoint as given, or for a spec object ``training:<class of its model or
    estimator>``. Raises ``SpecError`` (exit 2) for an entrypoint or spec that cannot
    be used.

    The report's ``run`` names the entrypoint's file with its digest (a spec object has
    no file).
    """
    clock = RunClock.start()
    budget = budget or Budget()
    inputs: list[Input] = []
    if isinstance(spec_or_entrypoint, str):
        spec = load_spec(spec_or_entrypoint)
        stage = stage or f"training:{spec_or_entrypoint}"
        inputs = entrypoint_inputs(spec_or_entrypoint)
    else:
        spec = as_spec(spec_or_entrypoint)
        stage = stage or f"training:{spec_name(spec)}"
    if isinstance(spec, SklearnSpec):
        from mlgate.training.sklearn_checks import run_sklearn_checks

        findings, evidence = run_sklearn_checks(spec, budget)
        kind = "scikit-learn"
    else:
        from mlgate.training.torch_checks import run_torch_checks

        findings, evidence = run_torch_checks(spec, budget)
        kind = "PyTorch"
    return Report(
        tuple(with_stage(apply_severity(findings, severity or {}), stage)),
        title=f"mlgate training check ({kind})",
        run=clock.run_info(inputs),
        evidence={stage: evidence},
    )


def entrypoint_inputs(entrypoint: str) -> list[Input]:
    """The file an (already loaded) entrypoint lives in, as a run input: ``FILE.py`` as
    given, or ``package.module``'s file, relative to the working directory where it is
    under it."""
    target = entrypoint.rpartition(":")[0]
    if target.endswith(".py"):
        return [file_input("entrypoint", target, fmt="python")]
    filename = getattr(sys.modules.get(target), "__file__", None)
    if not filename:
        return []
    path = Path(filename)
    try:
        shown = path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        shown = str(path)
    return [file_input("entrypoint", path, fmt="python", shown=shown)]


def spec_name(spec: Spec) -> str:
    """A readable name for a spec given as an object: its estimator's or model's class."""
    obj = spec.estimator if isinstance(spec, SklearnSpec) else spec.model
    return type(obj).__name__
