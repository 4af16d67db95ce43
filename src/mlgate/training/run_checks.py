"""Checks of a PyTorch run that are not about its numbers: the same losses from two
seeded runs, the warnings raised meanwhile, and the time limit. Shared by mlgate's own
loop (``torch_checks``) and the observed user's loop (``torch_loop``)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

from mlgate.findings import Finding, Status
from mlgate.training.torch_run import Run

#: Losses of two runs differing by less than this (relative) count as the same.
REPRO_RTOL = 1e-6


# --- reproducibility, warnings, time ------------------------------------------------


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or math.isclose(a, b, rel_tol=REPRO_RTOL, abs_tol=0.0)


def check_reproducible(first: Run, second: Run, seed: int) -> Finding:
    """Two runs with the same seed give the same losses; a warning names where they part."""
    n = min(first.steps, second.steps)
    details: dict[str, Any] = {"steps": n, "seed": seed}
    for step in range(n):
        a, b = first.losses[step], second.losses[step]
        if not _same(a, b):
            return Finding(
                "training.not_reproducible",
                Status.WARN,
                f"two runs with seed {seed} parted at step {step} (loss {a:.6g} vs {b:.6g}): "
                "something draws randomness that the seed does not fix (a generator "
                "seeded from the clock or os.urandom, torch.seed(), a nondeterministic op); "
                "derive every seed from the run's seed",
                details={**details, "step": step, "first": a, "second": b},
            )
    return Finding(
        "training.not_reproducible",
        Status.PASS,
        f"two runs with seed {seed} gave the same losses over {n} steps",
        details=details,
    )


def _warning_hint(message: str) -> str:
    if "target size" in message and "input size" in message:
        return (
            "give outputs and targets the same shape (outputs.squeeze(-1) or "
            "targets.view_as(outputs)): broadcasting computes the wrong loss"
        )
    return "fix its cause: a warning in the training loop often marks a silent bug"


def check_warnings(caught: Sequence[warnings.WarningMessage]) -> list[Finding]:
    """One warning finding per distinct (category, message), or a pass when none."""
    seen: dict[tuple[str, str], tuple[warnings.WarningMessage, int]] = {}
    for w in caught:
        key = (w.category.__name__, str(w.message))
        first, count = seen.get(key, (w, 0))
        seen[key] = (first, count + 1)
    if not seen:
        return [
            Finding(
                "training.runtime_warning",
                Status.PASS,
                "no warning was raised during training",
                details={"warnings": 0},
            )
        ]
    out = []
    for (category, message), (w, count) in seen.items():
        text = " ".join(message.split())
        short = text if len(text) <= 300 else text[:297] + "..."
        out.append(
            Finding(
                "training.runtime_warning",
                Status.WARN,
                f"{category} raised {count}x during training: {short} "
                f"({_short_path(w.filename)}:{w.lineno}); {_warning_hint(text)}",
                details={
                    "category": category,
                    "message": text,
                    "count": count,
                    "location": f"{w.filename}:{w.lineno}",
                },
            )
        )
    return out


def _short_path(path: str) -> str:
    parts = path.replace("\\", "/").split("/")
    return "/".join(parts[-2:])


def check_time_limit(runs: Sequence[Run], limit: float) -> Finding:
    """A warning when the time limit cut a run short; the verdicts use the steps that ran."""
    cut = [r for r in runs if r.stopped_by_time]
    details: dict[str, Any] = {
        "time_limit": limit,
        "runs": {r.label: {"steps": r.steps, "planned": r.planned} for r in runs},
    }
    if not cut:
        return Finding(
            "training.time_limit",
            Status.PASS,
            f"every run finished within the time limit of {limit:g}s",
            details=details,
        )
    what = ", ".join(f"the {r.label} run after {r.steps} of {r.planned} steps" for r in cut)
    return Finding(
        "training.time_limit",
        Status.WARN,
        f"the time limit of {limit:g}s stopped {what}; the checks judge the steps that ran: "
        "raise the time limit or lower the steps",
        details=details,
    )
