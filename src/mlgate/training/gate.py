"""``mlgate check training``: load the spec, run the checks for its kind, report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlgate.findings import Report, apply_severity
from mlgate.training.spec import Budget, SklearnSpec, as_spec, load_spec


def check_training(
    spec_or_entrypoint: Any,
    *,
    budget: Budget | None = None,
    severity: Mapping[str, str] | None = None,
) -> Report:
    """Run the training checks on an entrypoint (``FILE.py:FUNC``) or a spec object."""
    budget = budget or Budget()
    if isinstance(spec_or_entrypoint, str):
        spec = load_spec(spec_or_entrypoint)
    else:
        spec = as_spec(spec_or_entrypoint)
    if isinstance(spec, SklearnSpec):
        from mlgate.training.sklearn_checks import run_sklearn_checks

        findings, evidence = run_sklearn_checks(spec, budget)
        kind = "scikit-learn"
    else:
        from mlgate.training.torch_checks import run_torch_checks

        findings, evidence = run_torch_checks(spec, budget)
        kind = "PyTorch"
    stage = f"training:{spec_or_entrypoint}" if isinstance(spec_or_entrypoint, str) else "training"
    return Report(
        tuple(apply_severity(findings, severity or {})),
        title=f"mlgate training check ({kind})",
        evidence={stage: evidence},
    )
