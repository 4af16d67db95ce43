"""Run a PyTorch training loop under cheap hooks and record what the checks judge.

Every run works on a copy of the user's model and optimizer (one ``copy.deepcopy`` of
the pair, so the optimizer's tensors map onto the copy's parameters), seeded, on the
tensors' own device (the CPU unless the user moved them). Per step the run records the
loss and, with a few fused reductions (``torch._foreach_norm`` with the max norm) and a
single host sync, the largest magnitude of the outputs, gradients and parameters: that
one number per kind tells both "still finite" and "growing". Only when a value is not
finite does the run look tensor by tensor to name the culprit and its likely cause.
Parameters are snapshotted twice, at the start and the end.
"""

from __future__ import annotations

import contextlib
import copy
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch
from torch import nn

from mlgate.training.spec import SpecError, TorchSpec, describe_exception, user_code_error
from mlgate.training.torch_validate import iter_tensors

#: A loss or largest |parameter| this many times its start, before a non-finite value,
#: reads as an overflow after large updates rather than a log or division of zero.
#: Healthy training lowers the loss and rarely grows a weight a hundredfold in a run.
LOSS_GROWTH = 100.0
PARAM_GROWTH = 100.0


@dataclass(frozen=True)
class NonFinite:
    """The first step with a NaN or inf, and what the run learnt about it."""

    step: int
    batch: int
    tensor: str  # "outputs", "loss", "the gradient of fc.weight", "parameter fc.weight"
    kind: str  # "outputs" | "loss" | "gradient" | "parameter"
    parameter: str | None
    value: str  # "NaN", "inf" or "NaN and inf"
    loss_value: float
    cause: str  # "inputs" | "targets" | "overflow" | "log_or_division_of_zero" | "unknown"
    hint: str


@dataclass(frozen=True)
class ParamRecord:
    name: str
    requires_grad: bool
    in_optimizer: bool
    lr: float | None
    optimizer_settings: dict[str, float]
    has_grad: bool  # a .grad tensor at the end of the run
    grad_peak: float  # the largest |gradient| over the run
    changed: bool
    max_change: float


@dataclass
class Run:
    """What one training run did; the checks are functions of it."""

    label: str
    planned: int
    n_batches: int = 1
    losses: list[float] = field(default_factory=list)
    non_finite: NonFinite | None = None
    stopped_by_time: bool = False
    stopped_early: bool = False
    elapsed: float = 0.0
    loss_required_grad: bool = False
    params: tuple[ParamRecord, ...] = ()

    @property
    def steps(self) -> int:
        """Steps that ran, the one that went non-finite included."""
        return len(self.losses)

    @property
    def finite_losses(self) -> list[float]:
        """The losses of the steps before the first non-finite value."""
        return self.losses[: self.non_finite.step] if self.non_finite else self.losses


@contextlib.contextmanager
def preserved_rng() -> Iterator[None]:
    """Leave the global torch, random and numpy generators as they were."""
    torch_state = torch.random.get_rng_state()
    py_state = random.getstate()
    np_state = np.random.get_state()
    try:
        yield
    finally:
        torch.random.set_rng_state(torch_state)
        random.setstate(py_state)
        np.random.set_state(np_state)


def seed_everything(seed: int) -> None:
    """Seed torch, random and numpy. Without an accelerator only the CPU generator is
    seeded: ``torch.manual_seed`` would also queue a lazy seed for CUDA and each other
    backend, formatting a traceback for each (about 0.2 ms, a run's largest fixed cost
    in the benchmarks), for generators that cannot be used on this machine."""
    accelerator = getattr(torch, "accelerator", None)  # torch >= 2.6
    if accelerator is not None and not accelerator.is_available():
        torch.default_generator.manual_seed(seed)
    else:
        torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)


def fresh_copy(spec: TorchSpec) -> tuple[nn.Module, torch.optim.Optimizer]:
    """Copies of the model and optimizer, the optimizer over the copy's parameters.

    One deepcopy of the pair keeps the identity mapping (the optimizer's param groups and
    state point at the copy's parameters). ``Parameter.__deepcopy__`` drops ``.grad``; it
    is copied over so the copy trains as the user's objects would.
    """
    try:
        model, optimizer = copy.deepcopy((spec.model, spec.optimizer))
    except Exception as exc:
        raise SpecError(
            "the model and optimizer cannot be copied with copy.deepcopy "
            f"({describe_exception(exc)}); "
            "mlgate trains on a copy to leave yours untouched: make them deep-copyable"
        ) from None
    for original, clone in zip(spec.model.parameters(), model.parameters(), strict=True):
        if original.grad is not None:
            clone.grad = original.grad.detach().clone()
    model.train()
    return model, optimizer


def train(
    spec: TorchSpec,
    *,
    seed: int,
    steps: int,
    time_limit: float,
    label: str,
    batches: tuple[tuple[Any, Any], ...] | None = None,
    stop: Callable[[list[float]], bool] | None = None,
) -> tuple[Run, nn.Module]:
    """Train a fresh, seeded copy for ``steps`` steps over the batches (cycled).

    Stops at the first non-finite value, when ``stop(losses)`` says so, or at the time
    limit (after at least one step). Returns the record and the trained copy.
    """
    model, optimizer = fresh_copy(spec)
    seed_everything(seed)
    batches = batches if batches is not None else spec.batches
    run = Run(label=label, planned=steps, n_batches=len(batches))
    named = [(n, p) for n, p in model.named_parameters() if p.numel() > 0]
    params = [p for _, p in named]
    checked = [p for p in params if p.is_floating_point()]
    trainable = [p for p in params if p.requires_grad]
    start = [p.detach().clone() for p in params]
    zero = torch.zeros(())
    grad_peak = torch.zeros(len(trainable))
    with torch.no_grad():
        param_start = _max_abs(checked, zero).item()
    param_hist: list[float] = []
    began = time.monotonic()
    deadline = began + time_limit

    for step in range(steps):
        if step and time.monotonic() > deadline:
            run.stopped_by_time = True
            break
        b = step % len(batches)
        inputs, targets = batches[b]
        optimizer.zero_grad()  # set_to_none=True, as in PyTorch 2 loops: no decay without grads
        where = (step, b, model)
        outputs = _call(model, (inputs,), "the model's forward", inputs, where)
        loss = _call(spec.loss_fn, (outputs, targets), "loss_fn", targets, where)
        _check_loss_type(loss, b)
        if loss.requires_grad:
            run.loss_required_grad = True
            _call(loss.backward, (), "backward", targets, where)
        with torch.no_grad():
            grads = [_dense(p.grad) if p.grad is not None else zero for p in trainable]
            grad_max = torch.stack(torch._foreach_norm(grads, ord=math.inf)) if grads else zero
        _call(optimizer.step, (), "optimizer.step()", None, where)
        with torch.no_grad():
            summary = torch.stack(
                [
                    loss.detach().reshape(()),
                    _max_abs(list(iter_tensors(outputs)), zero),
                    grad_max.max() if grads else zero,
                    _max_abs(checked, zero),
                ]
            )
            if grads:
                grad_peak = torch.maximum(grad_peak, grad_max)
        loss_v, out_v, grad_v, par_v = summary.tolist()
        run.losses.append(loss_v)
        if not math.isfinite(loss_v + out_v + grad_v + par_v):
            found = _diagnose(
                step, b, inputs, targets, outputs, loss, named, run.losses, param_start, param_hist
            )
            if found is not None:
                run.non_finite = float16_eps_cause(found, optimizer)
                break
        param_hist.append(par_v)
        if stop is not None and stop(run.losses):
            run.stopped_early = True
            break

    run.elapsed = time.monotonic() - began
    run.params = _param_records(named, start, trainable, grad_peak.tolist(), optimizer)
    return run, model


def _max_abs(tensors: list[torch.Tensor], zero: torch.Tensor) -> torch.Tensor:
    tensors = [t for t in tensors if t.is_floating_point() and t.numel() > 0]
    if not tensors:
        return zero
    return torch.stack(torch._foreach_norm(tensors, ord=math.inf)).max()


def _check_loss_type(loss: Any, batch: int) -> None:
    if not isinstance(loss, torch.Tensor):
        raise SpecError(
            f"loss_fn returned a {type(loss).__name__} on batch {batch}, not a tensor; "
            "return the loss tensor itself (no .item() or float())"
        )
    if loss.numel() != 1:
        raise SpecError(
            f"loss_fn returned a tensor of shape {tuple(loss.shape)} on batch {batch}, not a "
            "scalar; reduce it (reduction='mean', or loss.mean())"
        )


def _dense(t: torch.Tensor) -> torch.Tensor:
    return t.coalesce().values() if t.is_sparse else t


def _call(
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    what: str,
    data: Any,
    where: tuple[int, int, nn.Module],
) -> Any:
    """Run user code; an exception is the user's to fix: one line, exit 2."""
    try:
        return fn(*args)
    except SpecError:
        raise
    except Exception as exc:
        step, batch, model = where
        raise user_error(exc, what, step, batch, data, model) from None


def user_error(
    exc: Exception, what: str, step: int, batch: int, data: Any, model: nn.Module
) -> SpecError:
    """Word an exception from the user's training code as one line saying what to do."""
    first_line = (str(exc).strip().splitlines() or [""])[0]
    detail = f"{type(exc).__name__}: {first_line}"
    tensors = list(iter_tensors(data))
    if "dtype" in first_line or "scalar type" in first_line:
        model_dtypes = sorted(
            {_dtype(p.dtype) for p in model.parameters() if p.is_floating_point()}
        )
        if what == "the model's forward" and tensors:
            want = model_dtypes[0] if model_dtypes else "float32"
            return SpecError(
                f"the inputs of batch {batch} are {_dtype(tensors[0].dtype)} but the model's "
                f"parameters are {', '.join(model_dtypes) or 'of another dtype'} ({detail}); "
                f"convert the inputs, e.g. inputs.to(torch.{want})"
            )
        if tensors:
            return SpecError(
                f"{what} failed on batch {batch} at step {step} ({detail}); the targets are "
                f"{_dtype(tensors[0].dtype)}: give them the dtype the loss expects (float "
                "for regression losses, int64 class indices for CrossEntropyLoss)"
            )
    return user_code_error(f"{what} failed on batch {batch} at step {step}", exc)


def _dtype(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def _all_finite(obj: Any) -> bool:
    return all(bool(torch.isfinite(t).all()) for t in iter_tensors(obj) if t.is_floating_point())


def _value_kind(t: torch.Tensor) -> str:
    nan, inf = bool(torch.isnan(t).any()), bool(torch.isinf(t).any())
    return "NaN and inf" if nan and inf else "NaN" if nan else "inf"


def _diagnose(
    step: int,
    batch: int,
    inputs: Any,
    targets: Any,
    outputs: Any,
    loss: torch.Tensor,
    named: list[tuple[str, nn.Parameter]],
    losses: list[float],
    param_start: float,
    param_hist: list[float],
) -> NonFinite | None:
    """Name the first non-finite tensor of the step (outputs, loss, gradients, parameters)."""
    with torch.no_grad():
        culprit: tuple[str, str, str | None, str] | None = None
        for t in iter_tensors(outputs):
            if t.is_floating_point() and not bool(torch.isfinite(t).all()):
                culprit = ("outputs", "outputs", None, _value_kind(t))
                break
        if culprit is None and not bool(torch.isfinite(loss).all()):
            culprit = ("loss", "loss", None, _value_kind(loss))
        if culprit is None:
            for name, p in named:
                g = _dense(p.grad) if p.grad is not None else None
                if g is not None and g.is_floating_point() and not bool(torch.isfinite(g).all()):
                    culprit = (f"the gradient of {name}", "gradient", name, _value_kind(g))
                    break
        if culprit is None:
            for name, p in named:
                if p.is_floating_point() and not bool(torch.isfinite(p).all()):
                    culprit = (f"parameter {name}", "parameter", name, _value_kind(p))
                    break
    if culprit is None:  # the fast check overflowed on finite values: carry on
        return None
    tensor, kind, parameter, value = culprit
    cause, hint = _cause(
        step, batch, kind, value, inputs, targets, losses[:-1], param_start, param_hist
    )
    return NonFinite(step, batch, tensor, kind, parameter, value, losses[-1], cause, hint)


def _cause(
    step: int,
    batch: int,
    kind: str,
    value: str,
    inputs: Any,
    targets: Any,
    losses_before: list[float],
    param_start: float,
    param_hist: list[float],
) -> tuple[str, str]:
    if not _all_finite(inputs):
        return "inputs", (
            f"the inputs of batch {batch} already hold NaN or inf: clean or impute them in "
            "the data pipeline (check the data gate's quality.non_finite)"
        )
    if not _all_finite(targets):
        return "targets", (
            f"the targets of batch {batch} already hold NaN or inf: clean or drop those rows"
        )
    grown = _growth(losses_before, param_start, param_hist)
    if step > 0 and grown:
        return "overflow", (
            f"overflow after large updates ({grown} in the steps before): lower the learning "
            "rate, or clip gradients with torch.nn.utils.clip_grad_norm_"
        )
    if kind == "loss":
        return "log_or_division_of_zero", (
            f"the loss is {value} from finite inputs, outputs and parameters: a log or "
            "division of zero in the loss? clamp with an eps (x.clamp_min(1e-7)) or use a "
            "stable form (log_softmax, BCEWithLogitsLoss)"
        )
    if kind == "outputs":
        return "log_or_division_of_zero", (
            f"the forward pass made {value} from finite inputs and parameters: a log, sqrt or "
            "division of zero in forward? add an eps or clamp"
        )
    if kind == "gradient":
        return "log_or_division_of_zero", (
            f"the backward pass made {value} from a finite loss: the derivative of sqrt, log "
            "or division at zero (e.g. torch.sqrt(0), the norm of a zero vector)? add an eps"
        )
    return "overflow", (
        "the optimizer step overflowed the parameter: lower the learning rate, or clip "
        "gradients with torch.nn.utils.clip_grad_norm_"
    )


def float16_eps_cause(found: NonFinite, optimizer: Any) -> NonFinite:
    """Blame an overflow in a float16 model on the optimizer's ``eps`` when it is below
    float16's smallest normal number (Adam's default 1e-8 rounds to 0 there): the step
    then divides by sqrt(v) + 0 where squared gradients underflowed, and a lower
    learning rate or clipping does not help."""
    if found.cause != "overflow" and found.kind != "parameter":
        return found
    tiny = torch.finfo(torch.float16).tiny
    for group in getattr(optimizer, "param_groups", ()):
        eps = group.get("eps")
        halves = any(
            isinstance(p, torch.Tensor) and p.dtype == torch.float16 for p in group["params"]
        )
        if halves and isinstance(eps, (int, float)) and 0 <= eps < tiny:
            hint = (
                f"the optimizer's eps={eps:g} underflows in float16 (smallest normal "
                f"{tiny:.3g}), so its update divides by a zero denominator where squared "
                "gradients underflow; use a larger eps (e.g. eps=1e-4), keep float32 master "
                "weights, or train in float32 under torch.autocast with a "
                "torch.amp.GradScaler"
            )
            return replace(found, cause="float16_eps", hint=hint)
    return found


def _growth(losses_before: list[float], param_start: float, param_hist: list[float]) -> str:
    """Describe how the loss or the parameters grew before the step, or '' if they did not."""
    parts = []
    if losses_before:
        first, peak = abs(losses_before[0]), max(abs(v) for v in losses_before)
        if peak > LOSS_GROWTH * max(first, 1e-12):
            parts.append(f"the loss rose from {first:.3g} to {peak:.3g}")
    if param_hist:
        peak = max(param_hist)
        if peak > PARAM_GROWTH * max(param_start, 1e-12):
            parts.append(f"the largest |parameter| from {param_start:.3g} to {peak:.3g}")
    return " and ".join(parts)


def _param_records(
    named: list[tuple[str, nn.Parameter]],
    start: list[torch.Tensor],
    trainable: list[nn.Parameter],
    grad_peak: list[float],
    optimizer: torch.optim.Optimizer,
) -> tuple[ParamRecord, ...]:
    peak = {id(p): g for p, g in zip(trainable, grad_peak, strict=True)}
    groups = {id(p): group for group in optimizer.param_groups for p in group["params"]}
    out = []
    with torch.no_grad():
        for (name, p), before in zip(named, start, strict=True):
            group = groups.get(id(p))
            changed = not torch.equal(p, before)
            diff = (p - before).abs().max().item() if changed and p.is_floating_point() else 0.0
            out.append(
                ParamRecord(
                    name=name,
                    requires_grad=p.requires_grad,
                    in_optimizer=group is not None,
                    lr=_number(group.get("lr")) if group is not None else None,
                    optimizer_settings=_settings(group),
                    has_grad=p.grad is not None,
                    grad_peak=peak.get(id(p), 0.0),
                    changed=changed,
                    max_change=diff,
                )
            )
    return tuple(out)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _settings(group: dict[str, Any] | None) -> dict[str, float]:
    """The param group's settings that move a parameter without a gradient."""
    if group is None:
        return {}
    out = {}
    for key in ("weight_decay", "momentum"):
        value = _number(group.get(key))
        if value:
            out[key] = value
    return out
