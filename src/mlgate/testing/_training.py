"""``assert_training_ok``: mlgate's training checks inside a unit test."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlgate.findings import Report


def assert_training_ok(
    spec: Any, *, severity: Mapping[str, str] | None = None, **budget: Any
) -> Report:
    """Run mlgate's training checks on ``spec`` and fail the test if any check fails.

    ``spec`` is a training spec (a dict or object with ``model``, ``optimizer``,
    ``loss_fn``, ``batches`` for PyTorch, or ``estimator``, ``X``, ``y`` for a
    scikit-learn-like model) or an entrypoint ``"train.py:training_spec"``. Keyword
    arguments set the budget (``steps``, ``epochs``, ``time_limit``, ``seed``,
    ``overfit_steps``, as ``mlgate.training.spec.Budget``); ``severity`` overrides the
    severity of finding codes as in mlgate.yaml. Returns the report when it passes, so a
    test can look at warnings too.
    """
    __tracebackhide__ = True
    from mlgate.findings import Status
    from mlgate.training.gate import check_training
    from mlgate.training.spec import Budget

    report = check_training(spec, budget=Budget(**budget), severity=severity)
    if report.passed:
        return report
    failed = [f for f in report.worst_first() if f.status in (Status.FAIL, Status.ERROR)]
    warned = sum(1 for f in report.findings if f.status is Status.WARN)
    lines = [f"{report.title}: {len(failed)} check{'s' if len(failed) != 1 else ''} failed"]
    for f in failed:
        where = f" [{f.column}]" if f.column else ""
        lines.append(f"  - {f.name}{where}: {f.message}")
    if warned:
        lines.append(f"  ({warned} warning{'s' if warned != 1 else ''} besides)")
    raise AssertionError("\n".join(lines))
