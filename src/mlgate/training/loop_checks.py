"""Checks on what the hooks saw of the user's own loop (``LoopRecord``), and on the data
and model that any PyTorch spec gives. Each is a small function returning one finding,
passes and skips included, with a message saying what was seen and what to do.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from mlgate.findings import Finding, Status
from mlgate.training.observe import MODE_SENSITIVE, LoopRecord
from mlgate.training.spec import describe_exception
from mlgate.training.torch_run import ParamRecord, Run
from mlgate.training.torch_validate import iter_tensors

#: Names shown in a message before "and N more".
MAX_NAMED = 5
#: The learning rate falling to this share of its peak within the first LR_EARLY_SHARE of
#: the optimizer steps does not fit the run: the rest of it trains with almost no step.
LR_COLLAPSE = 0.02
LR_EARLY_SHARE = 0.5
#: Optimizer steps needed before a schedule is judged.
LR_MIN_STEPS = 4
#: Batch order: the label mix of runs of consecutive batches is judged by a chi-square
#: test of independence (scipy); order is flagged only when it is both beyond chance
#: (p below ORDER_ALPHA, so shuffled data alarms about once in a million runs) and large
#: (Cramér's V above ORDER_MIN_V, so a huge data set's tiny imbalance does not alarm).
ORDER_ALPHA = 1e-6
ORDER_MIN_V = 0.3
#: Expected rows per cell wanted when grouping consecutive batches for the test.
ORDER_ROWS_PER_CELL = 5
#: Targets with at most this many distinct values are classes; others are binned.
ORDER_MAX_CLASSES = 20
ORDER_BINS = 4
#: Two eval-mode outputs differing by more than this (relative to their scale) differ.
EVAL_RTOL = 1e-5


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:MAX_NAMED])
    more = len(names) - MAX_NAMED
    return f"{shown} and {more} more" if more > 0 else shown


# --- gradients zeroed between optimizer steps --------------------------------------------


def check_gradients_zeroed(record: LoopRecord, accumulate: int, calls: int | None) -> Finding:
    """At the first backward after each checked optimizer step, ``.grad`` is None or zero.

    A ``.grad`` still holding the last step's gradient means the loop never zeroed it
    (``optimizer.zero_grad()`` missing or misplaced): every step then applies the sum of
    all gradients so far. It is looked at after the checked steps (the first few, then
    every ``observe.CHECK_EVERY``-th: ``record.zero_checked`` of them), which a loop that
    never or only sometimes zeroes cannot avoid. Declared accumulation
    (``accumulate_grad_batches``) adds up gradients *between* optimizer steps and zeroes
    after each, so it passes too; what it declares is checked against the backward
    passes (``calls``) per optimizer step.
    """
    code = "training.gradients_not_zeroed"
    steps = record.optimizer_steps
    checked = record.zero_checked
    details: dict[str, Any] = {
        "optimizer_steps": steps,
        "steps_checked": checked,
        "accumulate_grad_batches": accumulate,
    }
    if steps < 2:
        return Finding(
            code,
            Status.SKIP,
            f"not applicable: the loop took {steps} optimizer step(s); two are needed to see "
            "whether gradients are zeroed between them",
            details=details,
        )
    if not checked:
        return Finding(
            code,
            Status.SKIP,
            f"cannot be judged: no backward pass followed a checked optimizer step (of "
            f"{steps}), where .grad is looked at",
            details=details,
        )
    every = checked >= steps - 1
    of = (
        f"of {steps} optimizer steps"
        if every
        else f"of the {checked} optimizer steps checked, of {steps} in all"
    )
    if record.stale:
        stale_steps = sorted({s for steps_ in record.stale.values() for s in steps_})
        names = sorted(record.stale)
        return Finding(
            code,
            Status.FAIL,
            f"gradients were not zeroed after {len(stale_steps)} {of} "
            f"(first after step {stale_steps[0]}): at the next backward, .grad of "
            f"{_names(names)} still held the previous gradient, so each step applies the sum "
            "of all gradients so far; call optimizer.zero_grad() once per optimizer step "
            "(after optimizer.step(), or before loss.backward())",
            column=names[0] if len(names) == 1 else None,
            details={**details, "stale_steps": len(stale_steps), "parameters": names},
        )
    if calls is not None and steps:
        per_step = calls / steps
        details["batches_per_step"] = per_step
        if abs(per_step - accumulate) > 0.5:
            declared = (
                f"accumulate_grad_batches is {accumulate}"
                if accumulate > 1
                else "no gradient accumulation is declared"
            )
            # Stepping once per k batches is not itself harmful; a declaration that does
            # not match what the loop does is worth a look, not a failed gate.
            return Finding(
                code,
                Status.WARN,
                f"the optimizer stepped once per {per_step:.3g} batches ({steps} steps for "
                f"{calls} batches) but {declared}: declare accumulate_grad_batches: "
                f"{round(per_step)} if the loop accumulates gradients, else step the "
                "optimizer once per batch",
                details=details,
            )
    accumulated = (
        f", {accumulate} batches accumulated per step as declared" if accumulate > 1 else ""
    )
    return Finding(
        code,
        Status.PASS,
        (
            f"gradients were zeroed between all {steps} optimizer steps"
            if every
            else f"gradients were zeroed after each of the {checked} optimizer steps checked, "
            f"of {steps} in all"
        )
        + accumulated,
        details=details,
    )


# --- the learning rate schedule ----------------------------------------------------------


def lr_segments(lrs: Sequence[float], limit: int = 6) -> list[tuple[int, float]]:
    """(first step, learning rate) at each change of the rate, the first ``limit``."""
    out: list[tuple[int, float]] = []
    for step, lr in enumerate(lrs):
        if not out or not math.isclose(lr, out[-1][1], rel_tol=1e-9, abs_tol=0.0):
            out.append((step, lr))
            if len(out) >= limit:
                break
    return out


def describe_schedule(lrs: Sequence[float]) -> str:
    """``0.1 from step 0, 0.01 from step 10, ...``: the schedule as the hooks saw it."""
    segments = lr_segments(lrs)
    text = ", ".join(f"{lr:.3g} from step {step}" for step, lr in segments)
    more = len(lr_segments(lrs, limit=len(segments) + 1)) > len(segments)
    return text + (", ..." if more else "")


def check_lr_schedule(record: LoopRecord) -> Finding:
    """The learning rate does not collapse within the first half of the run.

    A step-decay or exponential scheduler meant to step per epoch, stepped per batch,
    decays by its factor every few steps: the rate falls to a tiny share of its peak
    early and the rest of the run barely trains. Schedules built for the run's length
    (one-cycle, cosine over the steps) are still near their peak at its middle.
    """
    code = "training.lr_schedule_too_fast"
    series = [lrs[0] for lrs in record.lrs if lrs]
    n = len(series)
    details: dict[str, Any] = {"optimizer_steps": n, "optimizers": list(record.optimizers)}
    if n < LR_MIN_STEPS:
        return Finding(
            code,
            Status.SKIP,
            f"not applicable: {n} optimizer step(s); at least {LR_MIN_STEPS} are needed to "
            "judge the learning rate schedule",
            details=details,
        )
    finite = [v for v in series if math.isfinite(v)]
    peak = max(finite) if finite else 0.0
    schedule = describe_schedule(series)
    details.update(
        {
            "peak": peak,
            "last": series[-1],
            "schedule": [[s, v] for s, v in lr_segments(series, limit=20)],
            "changes": len(lr_segments(series, limit=n)) - 1,
            "threshold": LR_COLLAPSE,
        }
    )
    if record.scheduler_last_lr is not None:
        details["scheduler_last_lr"] = list(record.scheduler_last_lr)
    if peak > 0:
        for step, lr in enumerate(series):
            if lr <= LR_COLLAPSE * peak and step < LR_EARLY_SHARE * n:
                return Finding(
                    code,
                    Status.FAIL,
                    f"the learning rate fell from its peak {peak:.3g} to {lr:.3g} by optimizer "
                    f"step {step} of {n}, so most of the run trains with almost no step "
                    f"(schedule seen: {schedule}); a scheduler meant to step once per epoch "
                    "is stepped once per batch? step it per epoch, or size it in batches "
                    "(e.g. step_size, T_max or total_steps in optimizer steps)",
                    details={**details, "collapse_step": step},
                )
    return Finding(
        code,
        Status.PASS,
        f"the learning rate fits the run over {n} optimizer steps (schedule seen: {schedule})",
        details=details,
    )


# --- training mode ------------------------------------------------------------------------


def check_training_mode(record: LoopRecord, frozen_modules: Sequence[str] = ()) -> Finding:
    """Training forwards (grad enabled) run with dropout and batch norm in training mode.

    A model left in eval mode (``model.eval()`` for validation, never ``model.train()``
    after) trains without dropout and normalises with frozen running statistics. Batch
    norm and dropout modules under declared ``frozen`` prefixes may stay in eval mode on
    purpose (a frozen backbone's statistics) and are not judged.
    """
    code = "training.eval_mode_in_training"
    details: dict[str, Any] = {
        "training_forwards": record.train_forwards,
        "eval_forwards": record.eval_forwards,
    }
    in_eval = {
        name: n
        for name, n in record.module_eval.items()
        if not any(name == f.rstrip(".") or name.startswith(f) for f in frozen_modules)
    }
    if record.train_forwards == 0 and not record.module_forwards:
        return Finding(
            code,
            Status.SKIP,
            "not applicable: no forward pass of the model with gradients enabled was seen",
            details=details,
        )
    if in_eval:
        names = sorted(in_eval)
        forwards = max(record.module_forwards.get(n, 0) for n in names)
        whole = (
            f"the model was in eval mode in {record.eval_forwards} of "
            f"{record.train_forwards} training forwards: "
            if record.eval_forwards
            else ""
        )
        return Finding(
            code,
            Status.FAIL,
            f"{whole}{_names(names)} ran in eval mode in up to {max(in_eval.values())} of "
            f"{forwards} training forwards, so dropout is off and batch norm normalises with "
            "its running statistics; call model.train() at the start of each training "
            "epoch (after any model.eval() for validation)",
            column=names[0] if len(names) == 1 else None,
            details={**details, "modules": in_eval},
        )
    if record.eval_forwards:
        return Finding(
            code,
            Status.WARN,
            f"the model was in eval mode in {record.eval_forwards} of {record.train_forwards} "
            "training forwards; it has no dropout or batch norm outside the frozen prefixes, "
            "so nothing changes today, but call model.train() before training so modules "
            "that read self.training behave",
            details=details,
        )
    return Finding(
        code,
        Status.PASS,
        f"all {record.train_forwards} training forwards ran in training mode",
        details=details,
    )


# --- frozen parameters --------------------------------------------------------------------


def check_frozen(run: Run, record: LoopRecord | None, declared: Sequence[str]) -> Finding:
    """Parameters that are frozen (declared under ``frozen``, or ``requires_grad=False``
    at the start) stay unchanged; a change is attributed to what the hooks saw: the loop
    unfroze them, they got gradients, or weight decay or momentum moved them."""
    code = "training.frozen_parameter_changed"
    frozen = [p for p in run.params if not p.requires_grad]
    details: dict[str, Any] = {"frozen": len(frozen), "declared": list(declared)}
    if not frozen:
        return Finding(
            code,
            Status.SKIP,
            "not applicable: no parameter is frozen (requires_grad=False or under frozen)",
            details=details,
        )
    changed = [p for p in frozen if p.changed]
    if not changed:
        message = f"all {len(frozen)} frozen parameters stayed unchanged"
        return Finding(code, Status.PASS, message, details=details)
    unfrozen = record.unfrozen if record else {}
    with_grad = record.frozen_with_grad if record else {}
    parts = []
    by_unfreeze = [p.name for p in changed if p.name in unfrozen]
    if by_unfreeze:
        first = min(unfrozen[n] for n in by_unfreeze)
        parts.append(
            f"{_names(by_unfreeze)} were unfrozen by the loop (requires_grad=True from "
            f"optimizer step {first}): keep them frozen, or remove them from frozen if "
            "unfreezing is intended"
        )
    rest = [p for p in changed if p.name not in unfrozen]
    by_grad = [p.name for p in rest if with_grad.get(p.name)]
    if by_grad:
        parts.append(
            f"{_names(by_grad)} got gradients and moved: set requires_grad_(False) on them"
        )
    moved = [p for p in rest if p.name not in by_grad]
    by_decay = [p for p in moved if p.in_optimizer and p.optimizer_settings]
    if by_decay:
        settings = sorted({f"{k}={v:g}" for p in by_decay for k, v in p.optimizer_settings.items()})
        parts.append(
            f"{_names([p.name for p in by_decay])} were moved by {', '.join(settings)} in "
            "the optimizer (a zero .grad kept by zero_grad(set_to_none=False)): build the "
            "optimizer over the trainable parameters only"
        )
    other = [p.name for p in moved if p not in by_decay]
    if other:
        parts.append(
            f"{_names(other)} changed outside the optimizer (written in place in forward?): "
            "keep running values in buffers (register_buffer)"
        )
    return Finding(
        code,
        Status.FAIL,
        f"{len(changed)} of {len(frozen)} frozen parameters changed in {run.steps} steps: "
        + "; ".join(parts),
        column=changed[0].name if len(changed) == 1 else None,
        details={**details, "parameters": {p.name: p.max_change for p in changed}},
    )


def frozen_records(params: Sequence[ParamRecord], declared: set[str]) -> tuple[ParamRecord, ...]:
    """Records with the declared-frozen parameters marked frozen (mlgate's own loop)."""
    from dataclasses import replace

    return tuple(replace(p, requires_grad=False) if p.name in declared else p for p in params)


# --- eval mode is deterministic -----------------------------------------------------------


def check_eval_deterministic(model: nn.Module, inputs: Any, source: str) -> Finding:
    """Two eval-mode forwards of the same inputs give the same outputs.

    Dropout written functionally (``F.dropout(x, p)`` without ``training=self.training``)
    stays on in eval mode: predictions are noisy and validation metrics understated.
    The model's modes are put back afterwards. A forward that raises in eval mode (the
    training checks ran in training mode) is a warning naming the exception.
    """
    code = "training.eval_not_deterministic"
    if inputs is None:
        return Finding(
            code,
            Status.SKIP,
            "not applicable: no eval_batches or batches to run the model on in eval mode",
        )
    modes = [m.training for m in model.modules()]
    try:
        model.eval()
        with torch.no_grad():
            first = model(inputs)
            second = model(inputs)
    except Exception as exc:
        return Finding(
            code,
            Status.WARN,
            f"cannot be judged: the model's forward on {source} in eval mode failed "
            f"({describe_exception(exc)}); give eval_batches whose inputs the model takes "
            "in eval mode",
            details={"inputs": source, "exception": type(exc).__name__},
        )
    finally:
        for module, mode in zip(model.modules(), modes, strict=True):
            module.training = mode
    diff, scale = 0.0, 0.0
    for a, b in zip(iter_tensors(first), iter_tensors(second), strict=False):
        if a.is_floating_point() and a.shape == b.shape:
            diff = max(diff, float((a - b).abs().max()) if a.numel() else 0.0)
            scale = max(scale, float(a.abs().max()) if a.numel() else 0.0)
    details = {"max_difference": diff, "scale": scale, "inputs": source}
    if diff > EVAL_RTOL * max(scale, 1.0) or math.isnan(diff):
        dropout = [n for n, m in model.named_modules() if isinstance(m, MODE_SENSITIVE)]
        return Finding(
            code,
            Status.FAIL,
            f"in eval mode, two forwards of the same inputs ({source}) differ by up to "
            f"{diff:.3g}: randomness that ignores model.eval(), e.g. F.dropout(x, p) without "
            "training=self.training; use nn.Dropout modules or pass training=self.training",
            details={**details, "dropout_modules": dropout},
        )
    return Finding(
        code,
        Status.PASS,
        f"in eval mode, two forwards of the same inputs ({source}) gave the same outputs",
        details=details,
    )


# --- batches ordered by target ------------------------------------------------------------


def batch_targets(batches: Sequence[Any]) -> list[torch.Tensor] | None:
    """The targets of each ``(inputs, targets)`` batch, flattened to one value per row,
    or None when the batches do not carry one target tensor per row."""
    out = []
    for batch in batches:
        if not (isinstance(batch, tuple) and len(batch) == 2):
            return None
        y = batch[1]
        if not isinstance(y, torch.Tensor) or y.dim() == 0:
            return None
        if y.dim() > 1:
            if y.shape[1:].numel() != 1:
                return None  # one-hot or multi-output targets: no single label per row
            y = y.reshape(-1)
        out.append(y.detach().cpu())
    return out


def check_batch_order(batches: Sequence[Any]) -> Finding:
    """The label mix of consecutive batches matches the overall mix, beyond chance.

    Consecutive batches are grouped so each group expects about ``ORDER_ROWS_PER_CELL``
    rows per class; the groups-by-classes table is tested with scipy's chi-square test of
    independence (``scipy.stats.chi2_contingency``). Continuous targets are binned at
    their quartiles first.
    """
    from scipy.stats import chi2_contingency

    code = "training.batches_ordered_by_target"
    targets = batch_targets(batches)
    if targets is None or len(targets) < 2:
        why = "fewer than two batches" if targets is not None else "no (inputs, targets) batches"
        return Finding(code, Status.SKIP, f"not applicable: {why} with one target per row")
    y = torch.cat([t.to(torch.float64) for t in targets])
    if not bool(torch.isfinite(y).all()):
        return Finding(code, Status.SKIP, "not applicable: the targets hold NaN or inf")
    values = torch.unique(y)
    if len(values) <= ORDER_MAX_CLASSES:
        labels = torch.bucketize(y, values)
        kind = "class"
    else:
        edges = torch.quantile(y, torch.linspace(0, 1, ORDER_BINS + 1, dtype=torch.float64)[1:-1])
        labels = torch.bucketize(y, torch.unique(edges))
        kind = "quartile"
    k = int(labels.max()) + 1
    if k < 2:
        return Finding(code, Status.SKIP, "not applicable: every target has the same value")
    sizes = [len(t) for t in targets]
    n = len(y)
    groups = max(2, min(len(targets), n // (ORDER_ROWS_PER_CELL * k)))
    bounds = [round(i * len(targets) / groups) for i in range(groups + 1)]
    table = torch.zeros(groups, k, dtype=torch.float64)
    start = 0
    row_of_batch = []
    for g in range(groups):
        for _ in range(bounds[g], bounds[g + 1]):
            row_of_batch.append(g)
    for b, size in enumerate(sizes):
        table[row_of_batch[b]] += torch.bincount(labels[start : start + size], minlength=k)
        start += size
    table = table[table.sum(dim=1) > 0]
    table = table[:, table.sum(dim=0) > 0]
    result = chi2_contingency(table.numpy())
    v = math.sqrt(result.statistic / (n * (min(table.shape) - 1)))
    overall = (table.sum(dim=0) / n).tolist()
    first_mix = (table[0] / table[0].sum()).tolist()
    details = {
        "batches": len(targets),
        "groups": int(table.shape[0]),
        "classes": int(table.shape[1]),
        "target_kind": kind,
        "statistic": float(result.statistic),
        "p_value": float(result.pvalue),
        "cramers_v": v,
        "alpha": ORDER_ALPHA,
        "min_cramers_v": ORDER_MIN_V,
        "method": "scipy.stats.chi2_contingency",
        "overall_mix": overall,
        "first_group_mix": first_mix,
    }
    if result.pvalue < ORDER_ALPHA and v > ORDER_MIN_V:
        mix = ", ".join(f"{x:.0%}" for x in first_mix)
        whole = ", ".join(f"{x:.0%}" for x in overall)
        return Finding(
            code,
            Status.FAIL,
            f"the batches are ordered by target: runs of consecutive batches hold {kind} "
            f"mixes far from the overall mix (first run {mix} vs overall {whole}; chi-square "
            f"p={result.pvalue:.2g}, Cramér's V={v:.2f}); the model learns the last "
            "classes and forgets the first: shuffle the rows (DataLoader(shuffle=True))",
            details=details,
        )
    return Finding(
        code,
        Status.PASS,
        f"the {kind} mix of consecutive batches matches the overall mix (chi-square "
        f"p={result.pvalue:.2g}, Cramér's V={v:.2f})",
        details=details,
    )


def first_inputs(eval_batches: Sequence[Any], batches: Sequence[Any]) -> tuple[Any, str]:
    """The inputs the eval-mode check runs on: ``eval_batches[0]``, else ``batches[0]``."""
    for source, seq in (("eval_batches[0]", eval_batches), ("batches[0]", batches)):
        if seq:
            batch = seq[0]
            inputs = batch[0] if isinstance(batch, tuple) and len(batch) == 2 else batch
            if any(True for _ in iter_tensors(inputs)):
                return inputs, source
    return None, ""
