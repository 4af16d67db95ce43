"""The PyTorch training checks: each a small function from a recorded run to a finding.

``check_torch`` validates the spec (SpecError, exit 2), then trains seeded copies of the
user's model and optimizer (never the objects themselves) three times:

- the main run, ``budget.total_steps`` steps over the batches (cycled), judged for
  finite values, parameter updates, frozen parameters and a falling loss;
- the one-batch run, up to ``budget.overfit_steps`` steps on the first batch (at most
  ``OVERFIT_ROWS`` rows), stopping once the loss is small enough;
- a second seeded run of up to ``REPRO_STEPS`` steps, whose losses must repeat the main
  run's.

Warnings raised meanwhile become findings. Every check yields one finding, passes
included, so a report shows what was checked.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import torch

from mlgate.findings import Finding, Status
from mlgate.reports.evidence import LossSeries, TrainingEvidence
from mlgate.training.loop_checks import (
    check_batch_order,
    check_eval_deterministic,
    check_frozen,
    first_inputs,
    frozen_records,
)
from mlgate.training.run_checks import (
    check_reproducible,
    check_time_limit,
    check_warnings,
)
from mlgate.training.spec import Budget, TorchSpec
from mlgate.training.torch_run import ParamRecord, Run, fresh_copy, preserved_rng, train
from mlgate.training.torch_validate import (
    check_optimizer_over_model,
    frozen_names,
    validate_spec,
)

#: The loss must fall by this share between the first and the last window of the run.
MIN_RELATIVE_DROP = 0.01
#: Each window is this share of the steps, and at least MIN_WINDOW steps.
WINDOW_SHARE = 0.2
MIN_WINDOW = 3
#: The one-batch run: rows kept from the first batch, and the loss it must reach, as a
#: share of its start or in absolute terms.
OVERFIT_ROWS = 32
OVERFIT_RATIO = 0.1
OVERFIT_NEAR_ZERO = 1e-4
#: Steps of the second run, compared with the main run's first steps.
REPRO_STEPS = 20
#: Parameters named in a message before "and N more".
MAX_NAMED = 5


def check_torch(spec: TorchSpec, budget: Budget) -> list[Finding]:
    """Run every PyTorch check on copies of the spec's model and optimizer.

    The time limit applies to each of the three runs; a run it stops is judged on the
    steps it took, and ``training.time_limit`` warns about it.
    """
    return run_torch_checks(spec, budget)[0]


def run_torch_checks(spec: TorchSpec, budget: Budget) -> tuple[list[Finding], TrainingEvidence]:
    """``check_torch``'s findings, and the losses of its main and one-batch runs per step
    (the HTML report draws them). A spec with the user's own loop (``train_step`` or
    ``train``) is run and observed by ``torch_loop.run_loop_checks`` instead."""
    if spec.observed:
        from mlgate.training.torch_loop import run_loop_checks

        return run_loop_checks(spec, budget)
    validate_spec(spec)
    with preserved_rng(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        main, _ = train(
            spec,
            seed=budget.seed,
            steps=budget.total_steps(len(spec.batches)),
            time_limit=budget.time_limit,
            label="main",
        )
        overfit, overfit_eval = run_overfit(spec, budget)
        repro, _ = train(
            spec,
            seed=budget.seed,
            steps=max(1, min(REPRO_STEPS, main.steps)),
            time_limit=budget.time_limit,
            label="reproducibility",
        )
        inputs, source = first_inputs(spec.eval_batches, spec.batches)
        eval_finding = check_eval_deterministic(fresh_copy(spec)[0], inputs, source)
    evidence = TrainingEvidence(
        "PyTorch",
        (
            LossSeries.of("training run", "loss", "step", main.losses),
            LossSeries.of("one-batch run", "loss", "step", overfit.losses),
        ),
    )
    declared = set(frozen_names(spec.model, spec.frozen))
    if declared:
        main.params = frozen_records(main.params, declared)
    findings = [
        check_optimizer_over_model(spec.model, spec.optimizer),
        check_loss_finite(main),
        check_tensors_finite(main),
        check_parameters_updated(main),
        check_frozen(main, None, sorted(declared)) if declared else check_frozen_parameters(main),
        check_loss_decreasing(main),
        check_overfit(overfit, overfit_eval),
        check_reproducible(main, repro, budget.seed),
        *([_scheduler_not_driven()] if spec.scheduler is not None else []),
        check_batch_order(spec.batches),
        eval_finding,
        *check_warnings(caught),
        check_time_limit([main, overfit, repro], budget.time_limit),
    ]
    return findings, evidence


def _scheduler_not_driven() -> Finding:
    return Finding(
        "training.lr_schedule_too_fast",
        Status.SKIP,
        "not applicable: mlgate's own loop does not step the scheduler (it never drives "
        "yours); give train_step or train to have your loop's schedule checked",
    )


# --- the runs the checks judge -------------------------------------------------------


def run_overfit(spec: TorchSpec, budget: Budget) -> tuple[Run, float | None]:
    """Train on one small batch until the loss is small enough or the steps run out.

    Returns the run and, when it fell short in training mode, the loss of the trained
    copy in eval mode (dropout off, batch norm on its running statistics).
    """
    inputs, targets = spec.batches[0]
    batch = (_head(inputs, OVERFIT_ROWS), _head(targets, OVERFIT_ROWS))
    run, model = train(
        spec,
        seed=budget.seed,
        steps=budget.overfit_steps,
        time_limit=budget.time_limit,
        label="overfit",
        batches=(batch,),
        stop=lambda losses: overfitted(losses[0], losses[-1]),
    )
    if run.non_finite or not run.losses or overfitted(run.losses[0], min(run.losses)):
        return run, None
    model.eval()
    try:
        with torch.no_grad():
            return run, float(spec.loss_fn(model(batch[0]), batch[1]))
    except Exception:  # eval mode is only a second chance; training mode already ran
        return run, None


def overfitted(start: float, loss: float) -> bool:
    """The loss reached a small share of a positive start, or near zero."""
    return abs(loss) <= OVERFIT_NEAR_ZERO or (start > 0 and loss <= OVERFIT_RATIO * start)


def _head(obj: Any, n: int) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj[:n]
    if isinstance(obj, (tuple, list)):
        return type(obj)(_head(item, n) for item in obj)
    if isinstance(obj, dict):
        return {k: _head(v, n) for k, v in obj.items()}
    return obj


# --- finite values -----------------------------------------------------------------


def check_loss_finite(run: Run) -> Finding:
    """The loss stays finite at every step; else name the step and the likely cause."""
    nf = run.non_finite
    details: dict[str, Any] = {"steps": run.steps}
    if nf is None or math.isfinite(nf.loss_value):
        stopped = f" (the run stopped at step {nf.step}: see training.not_finite)" if nf else ""
        return Finding(
            "training.loss_not_finite",
            Status.PASS,
            f"the loss stayed finite over {run.steps} steps{stopped}",
            details=details,
        )
    value = "NaN" if math.isnan(nf.loss_value) else "inf"
    first = "" if nf.kind == "loss" else f" after the {nf.tensor} became {nf.value}"
    return Finding(
        "training.loss_not_finite",
        Status.FAIL,
        f"the loss became {value} at step {nf.step} (batch {nf.batch}){first}: {nf.hint}",
        details={**details, "step": nf.step, "batch": nf.batch, "cause": nf.cause},
    )


def check_tensors_finite(run: Run) -> Finding:
    """Outputs, gradients and parameters stay finite; else name the first culprit."""
    nf = run.non_finite
    if nf is None or nf.kind == "loss":
        upto = f" up to the non-finite loss at step {nf.step}" if nf else f" over {run.steps} steps"
        return Finding(
            "training.not_finite",
            Status.PASS,
            f"outputs, gradients and parameters stayed finite{upto}",
            details={"steps": run.steps},
        )
    return Finding(
        "training.not_finite",
        Status.FAIL,
        f"{nf.tensor} became {nf.value} at step {nf.step} (batch {nf.batch}): {nf.hint}",
        column=nf.parameter,
        details={"step": nf.step, "batch": nf.batch, "tensor": nf.kind, "cause": nf.cause},
    )


# --- parameters ---------------------------------------------------------------------

_NOT_UPDATED = {
    "no_graph": (
        "no gradient; the loss does not require grad (computed under torch.no_grad() or "
        "from detached tensors?)"
    ),
    "no_gradient": (
        "no gradient; nothing connects them to the loss (a .detach(), .data or "
        "torch.no_grad() in forward, or a layer forward never uses?)"
    ),
    "zero_gradient": (
        "a zero gradient at every step (dead ReLUs or saturated units? check the "
        "initialisation, e.g. very negative biases, and the learning rate)"
    ),
    "not_in_optimizer": (
        "a gradient but no change; they are not in the optimizer: add them, or freeze "
        "them with requires_grad_(False)"
    ),
    "zero_lr": "a gradient but no change; their param group's learning rate is 0: set one",
    "unchanged": "a gradient but no change (learning rate too small, or the step skipped?)",
}


def _not_updated_reason(p: ParamRecord, loss_required_grad: bool) -> str | None:
    if not p.has_grad:
        return "no_gradient" if loss_required_grad else "no_graph"
    if p.grad_peak == 0.0:
        return "zero_gradient"
    if p.changed:
        return None
    if not p.in_optimizer:
        return "not_in_optimizer"
    if p.lr == 0.0:
        return "zero_lr"
    return "unchanged"


def check_parameters_updated(run: Run) -> Finding:
    """Every trainable parameter gets a non-zero gradient at some step and changes."""
    trainable = [p for p in run.params if p.requires_grad]
    judged = run.steps - (1 if run.non_finite else 0)
    details: dict[str, Any] = {"trainable": len(trainable), "steps": judged}
    if not trainable:
        return Finding(
            "training.parameter_not_updated",
            Status.FAIL,
            "no parameter of the model requires grad, so nothing trains: unfreeze the "
            "layers to train with requires_grad_(True)",
            details=details,
        )
    if judged < 1:
        return _not_judged("training.parameter_not_updated", run, details)
    reasons = {
        p.name: r
        for p in trainable
        if (r := _not_updated_reason(p, run.loss_required_grad)) is not None
    }
    if not reasons:
        return Finding(
            "training.parameter_not_updated",
            Status.PASS,
            f"all {len(trainable)} trainable parameters got a gradient and changed "
            f"in {judged} steps",
            details=details,
        )
    by_reason: dict[str, list[str]] = {}
    for name, reason in reasons.items():
        by_reason.setdefault(reason, []).append(name)
    parts = [f"{_names(names)}: {_NOT_UPDATED[r]}" for r, names in by_reason.items()]
    return Finding(
        "training.parameter_not_updated",
        Status.FAIL,
        f"{len(reasons)} of {len(trainable)} trainable parameters were not updated in "
        f"{judged} steps: " + "; ".join(parts),
        column=next(iter(reasons)) if len(reasons) == 1 else None,
        details={**details, "parameters": reasons},
    )


def check_frozen_parameters(run: Run) -> Finding:
    """Every parameter with requires_grad=False stays unchanged (buffers are ignored)."""
    frozen = [p for p in run.params if not p.requires_grad]
    details: dict[str, Any] = {"frozen": len(frozen), "steps": run.steps}
    changed = [p for p in frozen if p.changed]
    if not frozen:
        return Finding(
            "training.frozen_parameter_changed",
            Status.SKIP,
            "not applicable: no parameter is frozen (requires_grad=False), so none can change",
            details=details,
        )
    if not changed:
        return Finding(
            "training.frozen_parameter_changed",
            Status.PASS,
            f"all {len(frozen)} frozen parameters stayed unchanged",
            details=details,
        )
    in_opt = [p for p in changed if p.in_optimizer]
    outside = [p for p in changed if not p.in_optimizer]
    parts = []
    if in_opt:
        settings = sorted({f"{k}={v:g}" for p in in_opt for k, v in p.optimizer_settings.items()})
        via = f" with {', '.join(settings)}" if settings else ""
        parts.append(
            f"{_names([p.name for p in in_opt])} still in the optimizer{via}, which moves a "
            "parameter that keeps a .grad tensor: build the optimizer over "
            "[p for p in model.parameters() if p.requires_grad]"
        )
    if outside:
        parts.append(
            f"{_names([p.name for p in outside])} changed outside the optimizer (written in "
            "place in forward or a hook?): keep running values in buffers (register_buffer)"
        )
    return Finding(
        "training.frozen_parameter_changed",
        Status.FAIL,
        f"{_count(len(changed), 'parameter')} with requires_grad=False changed in "
        f"{run.steps} steps: " + "; ".join(parts),
        column=changed[0].name if len(changed) == 1 else None,
        details={
            **details,
            "parameters": {p.name: p.max_change for p in changed},
        },
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:MAX_NAMED])
    more = len(names) - MAX_NAMED
    return f"{shown} and {more} more" if more > 0 else shown


def _not_judged(code: str, run: Run, details: dict[str, Any]) -> Finding:
    step = run.non_finite.step if run.non_finite else 0
    return Finding(
        code,
        Status.WARN,
        f"cannot be judged: the run hit a non-finite value at step {step}; fix that first "
        "(see training.loss_not_finite and training.not_finite)",
        details=details,
    )


# --- the loss -----------------------------------------------------------------------


def loss_windows(n: int, n_batches: int = 1) -> tuple[int, int] | None:
    """The window size and the last window's start to judge n losses by, or None.

    A window is WINDOW_SHARE of the steps, at least MIN_WINDOW. When it spans a whole pass
    over the batches it is rounded up to whole passes, and the last window starts at a
    pass boundary, so both windows hold each batch equally often and an easy or hard
    batch cannot tip the comparison. Too short a run for that compares plain windows.
    """
    w = max(MIN_WINDOW, math.ceil(WINDOW_SHARE * n))
    if n_batches <= w:
        aligned = math.ceil(w / n_batches) * n_batches
        last = (n - aligned) // n_batches * n_batches
        if last >= aligned:
            return aligned, last
    return (w, n - w) if n - w >= w else None


def check_loss_decreasing(run: Run) -> Finding:
    """The mean loss of the last window is at least 1% below that of the first."""
    losses = run.finite_losses
    n = len(losses)
    windows = loss_windows(n, run.n_batches)
    if windows is None:
        if run.non_finite:
            why = (
                f"the run hit {run.non_finite.value} at step {run.non_finite.step}; fix that first"
            )
        elif run.stopped_by_time:
            why = "the time limit stopped the run; raise it or lower the steps"
        else:
            why = "raise the steps or epochs"
        return Finding(
            "training.loss_not_decreasing",
            Status.WARN,
            f"cannot be judged on {n} finite steps (it needs at least {2 * MIN_WINDOW}): {why}",
            details={"steps": n, "needed": 2 * MIN_WINDOW},
        )
    w, start = windows
    first = sum(losses[:w]) / w
    last = sum(losses[start : start + w]) / w
    drop = (first - last) / abs(first) if first else (0.0 if last >= first else 1.0)
    details = {
        "steps": n,
        "window": w,
        "first_mean": first,
        "last_mean": last,
        "relative_drop": drop,
        "threshold": MIN_RELATIVE_DROP,
    }
    if drop >= MIN_RELATIVE_DROP or (first == 0.0 and last == 0.0):
        return Finding(
            "training.loss_not_decreasing",
            Status.PASS,
            f"the loss fell {drop:.0%} over {n} steps (mean of the first {w} steps "
            f"{first:.4g}, of the last {w} {last:.4g})",
            details=details,
        )
    trend = f"rose {-drop:.1%}" if drop < 0 else f"fell only {drop:.1%}"
    hint = (
        "is the learning rate too high?"
        if drop < 0
        else "check the learning rate (too low or 0?), that the optimizer is over the "
        "model's parameters, and that the targets match the inputs"
    )
    return Finding(
        "training.loss_not_decreasing",
        Status.FAIL,
        f"the loss {trend} over {n} steps (mean of the first {w} steps {first:.4g}, of the "
        f"last {w} {last:.4g}; a {MIN_RELATIVE_DROP:.0%} drop is needed): {hint}",
        details=details,
    )


def check_overfit(run: Run, eval_loss: float | None) -> Finding:
    """The loss on one small batch falls to a small share of its start within the budget."""
    rows = f"one batch of at most {OVERFIT_ROWS} rows"
    if run.non_finite:
        nf = run.non_finite
        return Finding(
            "training.cannot_overfit",
            Status.FAIL,
            f"training on {rows} hit {nf.value} in {nf.tensor} at step {nf.step}: {nf.hint}",
            details={"steps": run.steps, "cause": nf.cause},
        )
    start, best = run.losses[0], min(run.losses)
    details = {
        "steps": run.steps,
        "budget": run.planned,
        "start": start,
        "best": best,
        "target_ratio": OVERFIT_RATIO,
    }
    share = f" ({best / start:.1%} of its start)" if start > 0 else ""
    if overfitted(start, best) or (eval_loss is not None and overfitted(start, eval_loss)):
        mode = "" if overfitted(start, best) else f" ({eval_loss:.4g} in eval mode)"
        return Finding(
            "training.cannot_overfit",
            Status.PASS,
            f"the loss on {rows} fell from {start:.4g} to {best:.4g}{share}{mode} in "
            f"{run.steps} steps",
            details=details,
        )
    if run.stopped_by_time:
        return Finding(
            "training.cannot_overfit",
            Status.WARN,
            f"cannot be judged: the time limit stopped training on {rows} after {run.steps} "
            f"of {run.planned} steps (loss {start:.4g} -> {best:.4g})",
            details=details,
        )
    if start <= 0:
        return Finding(
            "training.cannot_overfit",
            Status.WARN,
            f"cannot be judged: the loss starts at {start:.4g}, and a loss that is not "
            "positive cannot fall to a share of its start",
            details=details,
        )
    return Finding(
        "training.cannot_overfit",
        Status.FAIL,
        f"the model cannot overfit {rows}: in {run.steps} steps the loss went from "
        f"{start:.4g} to at best {best:.4g}{share}, not {OVERFIT_RATIO:.0%}; check that "
        "outputs and targets have the same shape (an (N,1) output against (N,) targets "
        "broadcasts), that the targets are encoded as the loss expects (class indices and "
        "raw logits for CrossEntropyLoss, no softmax before it), and the learning rate",
        details=details,
    )
