"""Run the user's own loop (``train_step`` or ``train``) under ``LoopObserver``.

The loop closes over the user's objects, so each run trains those objects themselves:
``UserState`` is taken once before the first run and put back before each run and at
the end, and the run is seeded as mlgate's own loop is. The result is the same ``Run``
the existing checks judge (losses, the first non-finite value, per-parameter records),
with the observer's ``LoopRecord`` beside it for the loop checks.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from mlgate.training.observe import DENSE_STEPS, LoopObserver, LoopRecord, StopLoop
from mlgate.training.spec import SpecError, TorchSpec, user_code_error
from mlgate.training.torch_run import (
    NonFinite,
    ParamRecord,
    Run,
    _diagnose,
    _settings,
    float16_eps_cause,
    seed_everything,
    user_error,
)
from mlgate.training.torch_validate import frozen_names
from mlgate.training.user_state import UserState


@dataclass(frozen=True)
class LoopRun:
    """One observed run: what the existing checks judge, and what the hooks saw."""

    run: Run
    record: LoopRecord


def run_loop(
    spec: TorchSpec,
    state: UserState,
    *,
    seed: int,
    steps: int,
    time_limit: float,
    label: str,
    batches: tuple[Any, ...] | None = None,
    stop: Callable[[list[float]], bool] | None = None,
    max_optimizer_steps: int | None = None,
    dense: bool = False,
) -> LoopRun:
    """Put the user's objects back as found, seed, and run their loop once, observed.

    ``train_step`` is called once per batch (cycled) for ``steps`` calls, or until
    ``stop(losses)``; ``train(steps)`` is called once and ended after
    ``max_optimizer_steps`` optimizer steps (default ``steps``). Both end at the first
    non-finite value or the time limit. The hooks read every tensor at the checked steps
    only (``observe.checked_step``) unless ``dense``; a non-finite value found after the
    first ``observe.DENSE_STEPS`` optimizer steps may have been made at an unchecked step
    before, so the run is then repeated with ``dense=True`` (seeded the same, it takes
    the same steps) to name the first non-finite tensor. Raises SpecError (exit 2) for
    an exception in the user's loop or a ``train_step`` that returns no scalar loss
    tensor.
    """
    state.restore()
    seed_everything(seed)
    model: nn.Module = spec.model
    batches = batches if batches is not None else spec.batches
    run = Run(label=label, planned=steps, n_batches=max(1, len(batches)))
    named = [(n, p) for n, p in model.named_parameters() if p.numel() > 0]
    declared = set(frozen_names(model, spec.frozen))
    frozen = frozenset(declared | {n for n, p in named if not p.requires_grad})
    start = [p.detach().clone() for _, p in named]
    began = time.monotonic()
    observer = LoopObserver(
        model,
        frozen=frozen,
        scheduler=spec.scheduler,
        optimizer=spec.optimizer,
        capture_loss=spec.train is not None,
        max_steps=(max_optimizer_steps or steps) if spec.train is not None else None,
        deadline=began + time_limit,
        dense=dense,
        start=start,
    )
    try:
        with observer:
            if spec.train_step is not None:
                _run_steps(spec, batches, steps, run, observer, named, stop)
            else:
                _run_train(spec.train, steps)  # type: ignore[arg-type]
    except StopLoop:
        pass
    if spec.train is not None:
        run.losses = observer.losses
        if observer.non_finite_step is not None and run.losses:
            step = len(run.losses) - 1
            run.non_finite = _non_finite(run, observer, named, None, step, 0, spec.optimizer)
    run.stopped_by_time = run.stopped_by_time or observer.stopped_by_time
    run.elapsed = time.monotonic() - began
    run.loss_required_grad = any(observer.has_grad)
    run.params = _records(spec, named, start, frozen, observer)
    seen = run.non_finite is not None or observer.non_finite_step is not None
    if seen and not dense and observer.record.optimizer_steps > DENSE_STEPS:
        again = run_loop(
            spec,
            state,
            seed=seed,
            steps=steps,
            time_limit=time_limit,
            label=label,
            batches=batches,
            stop=stop,
            max_optimizer_steps=max_optimizer_steps,
            dense=True,
        )
        if again.run.non_finite is not None:
            return again
    return LoopRun(run, observer.record)


def _run_steps(
    spec: TorchSpec,
    batches: tuple[Any, ...],
    steps: int,
    run: Run,
    observer: LoopObserver,
    named: list[tuple[str, nn.Parameter]],
    stop: Callable[[list[float]], bool] | None,
) -> None:
    train_step, optimizer = spec.train_step, spec.optimizer
    assert train_step is not None
    for step in range(steps):
        if step and time.monotonic() > observer.deadline:
            run.stopped_by_time = True
            return
        b = step % len(batches)
        batch = batches[b]
        try:
            loss = train_step(batch)
        except (SpecError, StopLoop):
            raise
        except Exception as exc:
            raise user_error(exc, "train_step", step, b, batch, observer.model) from None
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            what = (
                f"a tensor of shape {tuple(loss.shape)}"
                if isinstance(loss, torch.Tensor)
                else f"a {type(loss).__name__}"
            )
            raise SpecError(
                f"train_step returned {what} on batch {b}, not the scalar loss tensor; "
                "return the loss it computed (loss, not loss.item())"
            )
        observer.last_loss = loss.detach()
        run.losses.append(float(loss.detach()))
        if observer.non_finite_step is not None or not math.isfinite(run.losses[-1]):
            found = _non_finite(run, observer, named, batch, step, b, optimizer)
            if found is not None:
                run.non_finite = found
                return
            observer.non_finite_step = None
        if stop is not None and stop(run.losses):
            run.stopped_early = True
            return


def _run_train(train: Callable[[int], Any], steps: int) -> None:
    try:
        train(steps)
    except (SpecError, StopLoop):
        raise
    except SystemExit as exc:
        raise SpecError(
            f"train({steps}) called sys.exit({exc.code!r}); return from it instead"
        ) from None
    except Exception as exc:
        raise user_code_error(f"train({steps}) failed", exc) from None


def _non_finite(
    run: Run,
    observer: LoopObserver,
    named: list[tuple[str, nn.Parameter]],
    batch: Any,
    step: int,
    b: int,
    optimizer: Any = None,
) -> NonFinite | None:
    """Name the first non-finite tensor, as mlgate's own loop does."""
    targets = batch[1] if isinstance(batch, tuple) and len(batch) == 2 else None
    loss = observer.last_loss if observer.last_loss is not None else torch.tensor(math.nan)
    found = _diagnose(
        step,
        b,
        observer.last_inputs,
        targets,
        observer.last_outputs,
        loss,
        named,
        run.losses,
        observer.param_start,
        observer.param_hist,
    )
    if found is None or optimizer is None:
        return found
    return float16_eps_cause(found, optimizer)


def _records(
    spec: TorchSpec,
    named: list[tuple[str, nn.Parameter]],
    start: list[torch.Tensor],
    frozen: frozenset[str],
    observer: LoopObserver,
) -> tuple[ParamRecord, ...]:
    """Per parameter: frozen or not as at the start (declared frozen counts as frozen),
    what the hooks saw of its gradient and optimizer, and whether it changed."""
    groups = dict(observer.in_optimizer)
    if spec.optimizer is not None:
        for group in spec.optimizer.param_groups:
            for p in group["params"]:
                i = observer.index.get(id(p))
                if i is not None:
                    groups.setdefault(i, group)
    peaks = observer.grad_peak
    # The largest |change| of every floating parameter in one fused reduction and sync
    # (NaN where a value is or was NaN: changed, as torch.equal would say).
    floats = [i for i, (_, p) in enumerate(named) if p.is_floating_point() and p.numel()]
    floats_set = set(floats)
    change = dict.fromkeys(range(len(named)), 0.0)
    with torch.no_grad():
        if floats:
            diffs = torch._foreach_sub(
                [named[i][1].detach() for i in floats], [start[i] for i in floats]
            )
            norms = torch.stack(torch._foreach_norm(diffs, ord=math.inf)).tolist()
            change.update(zip(floats, norms, strict=True))
    out = []
    with torch.no_grad():
        for i, ((name, p), before) in enumerate(zip(named, start, strict=True)):
            group = groups.get(i)
            diff = change[i]
            changed = diff != 0.0 if i in floats_set else not torch.equal(p, before)
            lr = group.get("lr") if group is not None else None
            out.append(
                ParamRecord(
                    name=name,
                    requires_grad=name not in frozen,
                    in_optimizer=group is not None,
                    lr=float(lr) if isinstance(lr, (int, float, torch.Tensor)) else None,
                    optimizer_settings=_settings(group),
                    has_grad=observer.has_grad[i] or p.grad is not None,
                    grad_peak=peaks[i],
                    changed=changed,
                    max_change=diff,
                )
            )
    return tuple(out)
