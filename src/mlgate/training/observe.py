"""Watch a user's own training loop through PyTorch's hooks, never by patching its code.

``LoopObserver`` is a context manager that registers, and removes in ``finally``:

- a forward pre-hook and a forward hook on the model (training forwards, eval mode, the
  inputs and the largest |output|), and a forward pre-hook on each dropout and batch norm
  module (eval mode where it changes what the module does);
- a gradient hook (``Tensor.register_hook``) on the model's output of the first
  training forward after each checked optimizer step: it runs as backward starts, before
  any new gradient reaches a parameter, so a ``.grad`` still holding a gradient then was
  not zeroed (one hook per step rather than one per parameter, whose calls from the
  autograd engine cost more than the rest of the observation); when the step saw no
  forward of the model (a loop calling submodules), one gradient hook per trainable
  parameter for the next backward instead, which runs before its gradient is added;
- global optimizer step pre- and post-hooks
  (``torch.optim.optimizer.register_optimizer_step_pre_hook``), so an optimizer the loop
  builds itself (Lightning's ``configure_optimizers``) is watched too: per step the
  learning rate of each param group, the largest |gradient| and |parameter|, frozen
  parameters that got a gradient or were unfrozen;
- with ``capture_loss``, the loss of a ``train(steps)`` loop, which returns nothing: the
  tensor each backward pass starts from. The gradient hook on the model's output, put on
  every training forward then, reads it from the frame of the ``Tensor.backward`` (or
  ``torch.autograd.backward``) call below it on the stack (``backward_root``), once per
  pass. A loop that never calls the model's own forward (a Lightning ``training_step``
  calling submodules) gets no output hook: from the first optimizer step whose backward
  was not seen, a ``TorchFunctionMode`` that sees each ``Tensor.backward`` call is on for
  the rest of the run. The mode routes every torch call through Python (about 2x the
  plain loop on the benchmark's small model when on for the whole run); the hook costs
  one registration a step.

What is read per step is cheap: the learning rates, the loss (of ``train``: kept as a
tensor, read with the others at the next checked step and at the end, one sync), and
the gradients of the parameters that have not yet had a non-zero one (usually none
after the first step). The reads over every tensor (the largest |gradient|, |parameter|
and |output|, whether they are finite, and whether ``.grad`` was zeroed) run at
*checked* steps only: the first ``DENSE_STEPS`` optimizer steps and then every
``CHECK_EVERY``-th (``checked_step``). Each bug they look for persists (a NaN parameter
stays NaN, a loop without ``zero_grad`` never zeroes), so a sample finds it; where it
finds a non-finite value later than the step that made it, ``loop_run`` runs the loop
again with ``dense=True`` (every step checked) to name the first one. At a checked step
the hooks keep tensors and sync once (``tolist``) in the step post-hook, as mlgate's own
loop does. A run is ended from a hook by raising ``StopLoop``, a ``BaseException`` so
that a loop's ``except Exception`` does not swallow it.
"""

from __future__ import annotations

import contextlib
import math
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.optim.optimizer import (
    register_optimizer_step_post_hook,
    register_optimizer_step_pre_hook,
)
from torch.overrides import TorchFunctionMode

from mlgate.training.torch_validate import iter_tensors

#: Modules whose forward depends on ``module.training``; eval mode changes what they do.
MODE_SENSITIVE = (nn.modules.dropout._DropoutNd, nn.modules.batchnorm._BatchNorm)
#: Checked optimizer steps (every tensor read): the first DENSE_STEPS, then every
#: CHECK_EVERY-th. A full read costs about a third of a small model's step on the CPU
#: (benchmarks/RESULTS-training-loop.md); this keeps it near 1/CHECK_EVERY of the steps.
DENSE_STEPS = 4
CHECK_EVERY = 16


def checked_step(step: int) -> bool:
    """Whether optimizer step ``step`` (from 0) is read in full in a sampled run."""
    return step < DENSE_STEPS or step % CHECK_EVERY == 0


class StopLoop(BaseException):
    """Ends the user's loop from a hook: the time limit, the step budget or a NaN."""


@dataclass
class LoopRecord:
    """What the hooks saw of the user's loop, beyond the losses (see ``Run``).

    ``lrs`` holds, per optimizer step, each param group's learning rate as the step
    began; ``scheduler_last_lr`` the scheduler's last rates at the end of the run;
    ``stale`` maps a parameter to the optimizer steps after which its ``.grad`` still
    held a gradient at the next backward (not zeroed), among the ``zero_checked`` steps
    after which that was looked at (the checked steps, see ``checked_step``).
    """

    optimizer_steps: int = 0
    lrs: list[tuple[float, ...]] = field(default_factory=list)
    scheduler_last_lr: tuple[float, ...] | None = None
    stale: dict[str, list[int]] = field(default_factory=dict)
    zero_checked: int = 0
    train_forwards: int = 0
    eval_forwards: int = 0
    module_forwards: dict[str, int] = field(default_factory=dict)
    module_eval: dict[str, int] = field(default_factory=dict)
    unfrozen: dict[str, int] = field(default_factory=dict)
    frozen_with_grad: dict[str, int] = field(default_factory=dict)
    optimizers: list[str] = field(default_factory=list)


#: The functions a backward pass is started from, as their frames show during it.
_TENSOR_BACKWARD = torch.Tensor.backward.__code__
_AUTOGRAD_BACKWARD = torch.autograd.backward.__code__
_AUTOGRAD_GRAD = torch.autograd.grad.__code__
#: Frames walked up from a gradient hook to find them (hook, engine, backward: about 4).
_MAX_FRAMES = 12
_graph_task_id: Callable[[], int] | None = getattr(torch._C, "_current_graph_task_id", None)


def backward_root(thread_id: int | None = None) -> torch.Tensor | None:
    """The tensor the running backward pass started from, read from the frame of
    ``Tensor.backward`` or ``torch.autograd.backward`` below a gradient hook: the loss.

    A hook on a CPU tensor runs on the thread that called backward; on an accelerator it
    runs on the autograd engine's device thread, and the caller's frames are looked up
    by ``thread_id``. None for ``torch.autograd.grad``, a backward of several tensors, or
    frames that show neither call.
    """
    found = _root_in(sys._getframe(2))
    if found is None and thread_id is not None and thread_id != threading.get_ident():
        found = _root_in(sys._current_frames().get(thread_id))
    return found if isinstance(found, torch.Tensor) else None


def _root_in(frame: Any) -> torch.Tensor | bool | None:
    """The root in ``frame``'s stack; False where the pass is ``autograd.grad``."""
    for _ in range(_MAX_FRAMES):
        if frame is None:
            return None
        code = frame.f_code
        if code is _AUTOGRAD_BACKWARD:
            tensors = frame.f_locals.get("tensors")
            if isinstance(tensors, torch.Tensor):
                return tensors
            if isinstance(tensors, (tuple, list)) and len(tensors) == 1:
                return tensors[0] if isinstance(tensors[0], torch.Tensor) else None
            return None
        if code is _TENSOR_BACKWARD:
            return frame.f_locals.get("self")
        if code is _AUTOGRAD_GRAD:
            return False
        frame = frame.f_back
    return None


class _BackwardCatcher(TorchFunctionMode):
    """Sees every ``Tensor.backward`` call: the tensor backward starts from is the loss."""

    def __init__(self, on_backward: Callable[[torch.Tensor], None]) -> None:
        super().__init__()
        self.on_backward = on_backward

    def __torch_function__(
        self,
        func: Callable[..., Any],
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        if func is torch.Tensor.backward and args and isinstance(args[0], torch.Tensor):
            self.on_backward(args[0])
        return func(*args, **(kwargs or {}))


class LoopObserver:
    """Observe one run of the user's loop over ``model``; see the module docstring.

    ``frozen`` names the parameters that must not change (declared, or with
    ``requires_grad=False`` at the start). ``max_steps`` ends the run after that many
    optimizer steps, ``deadline`` (``time.monotonic()``) after the step that passes it.
    ``dense`` reads every tensor at every step instead of at the checked steps only.
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        frozen: frozenset[str],
        scheduler: Any = None,
        optimizer: Any = None,
        capture_loss: bool = False,
        max_steps: int | None = None,
        deadline: float = math.inf,
        dense: bool = False,
        start: list[torch.Tensor] | None = None,
    ) -> None:
        self.model = model
        self.named = [(n, p) for n, p in model.named_parameters() if p.numel() > 0]
        self.index = {id(p): i for i, (_, p) in enumerate(self.named)}
        self.frozen = frozen
        self.scheduler = scheduler
        # The schedule is read from one optimizer (the spec's when it stepped, else the
        # first stepped): two optimizers' rates interleaved would read as a rate jumping.
        self._lr_source = id(optimizer) if optimizer is not None else None
        self._lrs: dict[int, list[tuple[float, ...]]] = {}
        self.capture_loss = capture_loss
        self.max_steps = max_steps
        self.deadline = deadline
        self.dense = dense
        self.record = LoopRecord()
        self.losses: list[float] = []
        # The losses of backward passes not yet read: kept as tensors and read together
        # at the next checked step and at the end (one sync, not one per step).
        self._loss_tensors: list[torch.Tensor] = []
        self._backwards = 0  # backward passes seen
        self.last_loss: torch.Tensor | None = None
        self.last_inputs: Any = None
        self.last_outputs: Any = None
        self.stopped_by_time = False
        self.non_finite_step: int | None = None  # optimizer step whose values were not finite
        self.has_grad = [False] * len(self.named)
        self.in_optimizer: dict[int, dict[str, Any]] = {}
        self._zero = torch.zeros(())
        self.grad_peak = [0.0] * len(self.named)
        self.by_name = dict(self.named)
        self._groups_seen: dict[int, int] = {}
        self._outs: list[torch.Tensor] = []
        self._floats = [p for _, p in self.named if p.is_floating_point()]
        # Parameters without a non-zero gradient yet: read every step until they have one
        # (a zero gradient at every step is a finding; frozen ones getting one too).
        self._pending = list(range(len(self.named)))
        self._check = True  # the coming optimizer step is read in full
        self._armed = False
        self._output_hooks: list[Any] = []
        self._forwards_at_step = 0  # training forwards seen by the last optimizer step
        self._param_armed: set[int] = set()
        self._param_counted = False
        self._stale: list[tuple[int, list[int], torch.Tensor]] = []
        self._seen_optimizers: set[int] = set()
        self._handles: list[Any] = []
        self._mode: _BackwardCatcher | None = None
        self._mode_on = False
        self._mode_always = False
        # The loss of a train(steps) loop: caught by the gradient hook on the model's
        # output, from the frames of the backward call (one hook a step; the
        # TorchFunctionMode is the fallback for loops that never call the model).
        self._hook_loss = capture_loss
        self._last_task: int | None = None
        self._thread: int | None = None
        self._backwards_at_step = 0
        self.param_hist: list[float] = []
        self._start = start if start is not None else [p.detach().clone() for _, p in self.named]
        self._param_start: float | None = None

    @property
    def param_start(self) -> float:
        """The largest |parameter| at the start (read only to name a non-finite value)."""
        if self._param_start is None:
            with torch.no_grad():
                self._param_start = _max_abs(self._start, self._zero).item()
        return self._param_start

    # --- registration -----------------------------------------------------------------

    def __enter__(self) -> LoopObserver:
        try:
            self._register()
        except BaseException:
            self._remove()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._remove()
        self._finish()

    def _register(self) -> None:
        add = self._handles.append
        add(self.model.register_forward_pre_hook(self._on_model_pre))
        add(self.model.register_forward_hook(self._on_model_out))
        for name, module in self.model.named_modules():
            if isinstance(module, MODE_SENSITIVE):
                add(module.register_forward_pre_hook(self._module_hook(name or "model")))
        add(register_optimizer_step_pre_hook(self._on_step_pre))
        add(register_optimizer_step_post_hook(self._on_step_post))
        if self.capture_loss:
            self._mode = _BackwardCatcher(self._on_backward)

    def _remove(self) -> None:
        self._mode_off()
        self._mode = None
        for handle in (*self._handles, *self._output_hooks):
            handle.remove()
        self._handles.clear()
        self._output_hooks.clear()

    # --- forward passes ---------------------------------------------------------------

    def _on_model_pre(self, module: nn.Module, args: tuple[Any, ...]) -> None:
        # Forwards without grad are evaluation (a validation loop); only training ones count.
        if torch.is_grad_enabled():
            self.record.train_forwards += 1
            if not module.training:
                self.record.eval_forwards += 1
            self.last_inputs = args

    def _mode_on_now(self) -> None:
        if self._mode is not None and not self._mode_on:
            self._mode.__enter__()
            self._mode_on = True

    def _mode_off(self) -> None:
        if self._mode is not None and self._mode_on:
            self._mode.__exit__(None, None, None)
            self._mode_on = False

    def _on_model_out(self, module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
        if torch.is_grad_enabled():
            self.last_outputs = output
            if self._armed or self._hook_loss:
                self._thread = threading.get_ident()
                for t in iter_tensors(output):
                    if t.requires_grad:
                        self._output_hooks.append(t.register_hook(self._on_output_grad))
                        break
            if self._check:
                # Reduced with the parameters in the step post-hook: one fused call.
                self._outs.extend(
                    t.detach() for t in iter_tensors(output) if t.is_floating_point() and t.numel()
                )

    def _module_hook(self, name: str) -> Callable[[nn.Module, tuple[Any, ...]], None]:
        forwards, in_eval = self.record.module_forwards, self.record.module_eval

        def hook(module: nn.Module, args: tuple[Any, ...]) -> None:
            if torch.is_grad_enabled():
                forwards[name] = forwards.get(name, 0) + 1
                if not module.training:
                    in_eval[name] = in_eval.get(name, 0) + 1

        return hook

    # --- gradients and the loss -------------------------------------------------------

    def _on_output_grad(self, grad: torch.Tensor) -> None:
        if self._hook_loss:
            self._catch_loss()
        if not self._armed:  # only the first backward since the last optimizer step
            return
        self._armed = False
        self.record.zero_checked += 1
        held = [(i, p.grad) for i, (_, p) in enumerate(self.named) if p.grad is not None]
        if held:
            grads = [_dense(g) for _, g in held]
            with torch.no_grad():
                norms = torch.stack(torch._foreach_norm(grads, ord=math.inf))
            self._stale.append((self.record.optimizer_steps, [i for i, _ in held], norms))

    def _watch_parameters(self) -> None:
        """A gradient hook on each trainable parameter for the next backward: a leaf's
        hook runs before its gradient is added to ``.grad``, so a ``.grad`` holding a
        gradient then was not zeroed."""
        self._armed = False  # the output hook would not fire; the parameters' hooks do
        self._param_counted = False
        step = self.record.optimizer_steps
        for i, (_, p) in enumerate(self.named):
            if p.requires_grad:
                self._param_armed.add(i)
                self._output_hooks.append(p.register_hook(self._param_hook(i, step)))

    def _param_hook(self, i: int, step: int) -> Callable[[torch.Tensor], None]:
        def hook(grad: torch.Tensor) -> None:
            if i not in self._param_armed:  # only the first backward after the step
                return
            self._param_armed.discard(i)
            if not self._param_counted:
                self._param_counted = True
                self.record.zero_checked += 1
            held = self.named[i][1].grad
            if held is not None:
                with torch.no_grad():
                    norm = torch.stack(torch._foreach_norm([_dense(held)], ord=math.inf))
                self._stale.append((step, [i], norm))

        return hook

    def _catch_loss(self) -> None:
        """The loss of the backward pass that reached the model's output, once per pass
        (two forwards' outputs in one loss reach it twice)."""
        if _graph_task_id is not None:
            task = _graph_task_id()
            if task == self._last_task:
                return
            self._last_task = task
        loss = backward_root(self._thread)
        if loss is not None:
            self._on_backward(loss)

    def _on_backward(self, loss: torch.Tensor) -> None:
        self._backwards += 1
        self.last_loss = loss = loss.detach()
        if loss.numel() == 1:
            self._loss_tensors.append(loss)

    def _read_losses(self) -> bool:
        """Turn the losses kept as tensors into floats (one sync); whether all are finite."""
        kept, self._loss_tensors = self._loss_tensors, []
        if not kept:
            return True
        values = torch.stack([t.reshape(()) for t in kept]).tolist()
        self.losses.extend(values)
        return all(math.isfinite(v) for v in values)

    # --- optimizer steps --------------------------------------------------------------

    def _ours(self, optimizer: torch.optim.Optimizer) -> bool:
        """Whether the optimizer trains this model (the hooks are global: a second model's
        optimizer, a GAN's discriminator say, is not watched)."""
        if id(optimizer) in self._seen_optimizers:
            return True
        if any(id(p) in self.index for g in optimizer.param_groups for p in g["params"]):
            self._seen_optimizers.add(id(optimizer))
            self.record.optimizers.append(type(optimizer).__name__)
            return True
        return False

    def _on_step_pre(self, optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        if not self._ours(optimizer):
            return
        self._record_lr(optimizer)
        if len(optimizer.param_groups) != self._groups_seen.get(id(optimizer)):
            # Mapped once per optimizer, again when the loop adds a param group.
            self._groups_seen[id(optimizer)] = len(optimizer.param_groups)
            for group in optimizer.param_groups:
                for p in group["params"]:
                    i = self.index.get(id(p))
                    if i is not None:
                        self.in_optimizer[i] = group
        for name in self.frozen:
            p = self.by_name.get(name)
            if p is not None and p.requires_grad:
                self.record.unfrozen.setdefault(name, self.record.optimizer_steps)

    def _record_lr(self, optimizer: torch.optim.Optimizer) -> None:
        lrs = self._lrs.setdefault(id(optimizer), [])
        lrs.append(tuple(_float(g.get("lr")) for g in optimizer.param_groups))

    def _on_step_post(self, optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        if not self._ours(optimizer):
            return
        step = self.record.optimizer_steps
        self.record.optimizer_steps += 1
        if self._hook_loss:
            if self._backwards == self._backwards_at_step:
                # No loss reached the model's output in this step: the loop bypasses the
                # model's forward (calls submodules), so watch every torch call instead.
                self._hook_loss = False
                self._mode_always = True
                self._mode_on_now()
            self._backwards_at_step = self._backwards
        check = self._check
        self._check = self.dense or checked_step(step + 1)
        self._armed = self.dense or checked_step(step)
        for handle in self._output_hooks:
            handle.remove()
        self._output_hooks.clear()
        self._param_armed.clear()
        if self._armed and self.record.train_forwards == self._forwards_at_step:
            # No forward of the model in this step: the loop calls submodules (a
            # Lightning training_step), so no output hook will see the next backward.
            # Watch the parameters instead, at checked steps only (one hook each).
            self._watch_parameters()
        self._forwards_at_step = self.record.train_forwards
        if check:
            if not self._read_losses():
                # A loss that is not finite: the run stops here, and loop_run runs it again
                # reading every step to name the first (unless this is that run).
                self._non_finite_at(step)
            self._read_all(step)
        elif self._pending:
            self._read_pending()
        if self.max_steps is not None and self.record.optimizer_steps >= self.max_steps:
            raise StopLoop
        if time.monotonic() > self.deadline:
            self.stopped_by_time = True
            raise StopLoop

    def _read_all(self, step: int) -> None:
        """One fused reduction and one sync: the largest |value| of each gradient (still in
        .grad after the step), each parameter and each output since the last step; the
        rest is arithmetic on a short Python list."""
        held = [(i, p.grad) for i, (_, p) in enumerate(self.named) if p.grad is not None]
        tensors = [_dense(g) for _, g in held] + self._floats + self._outs
        with torch.no_grad():
            values = (
                torch.stack(torch._foreach_norm(tensors, ord=math.inf)).tolist() if tensors else []
            )
        self._outs = []
        n_grads, n_params = len(held), len(self._floats)
        self._grad_peaks([i for i, _ in held], values[:n_grads])
        par_v = max(values[n_grads : n_grads + n_params], default=0.0)
        if not all(math.isfinite(v) for v in values):
            self._non_finite_at(step)
        self.param_hist.append(par_v)

    def _non_finite_at(self, step: int) -> None:
        if self.non_finite_step is None:
            self.non_finite_step = step
        if self.capture_loss:
            raise StopLoop

    def _read_pending(self) -> None:
        """The gradients of the parameters that have had no non-zero one yet."""
        held = [(i, g) for i in self._pending if (g := self.named[i][1].grad) is not None]
        if not held:
            return
        with torch.no_grad():
            values = torch.stack(torch._foreach_norm([_dense(g) for _, g in held], ord=math.inf))
        self._grad_peaks([i for i, _ in held], values.tolist())

    def _grad_peaks(self, indices: list[int], values: list[float]) -> None:
        """Record the largest |gradient| of parameters ``indices`` at this step."""
        for i, value in zip(indices, values, strict=True):
            self.has_grad[i] = True
            if value > self.grad_peak[i] or math.isnan(value):
                self.grad_peak[i] = value
            name = self.named[i][0]
            if name in self.frozen and value > 0:
                self.record.frozen_with_grad[name] = self.record.frozen_with_grad.get(name, 0) + 1
        if indices:
            self._pending = [i for i in self._pending if not self.grad_peak[i] > 0]

    # --- the end ----------------------------------------------------------------------

    def _finish(self) -> None:
        """Turn the tensors the hooks kept into the record's numbers (one sync)."""
        if not self._read_losses() and self.non_finite_step is None:
            self.non_finite_step = self.record.optimizer_steps
        if self._stale:
            values = torch.cat([v for _, _, v in self._stale]).tolist()
            flat = [(step, i) for step, held, _ in self._stale for i in held]
            for (step, i), value in zip(flat, values, strict=True):
                if value > 0:
                    self.record.stale.setdefault(self.named[i][0], []).append(step)
            self._stale.clear()
        source = self._lr_source if self._lr_source in self._lrs else next(iter(self._lrs), None)
        if source is not None:
            self.record.lrs = self._lrs[source]
        if self.scheduler is not None and callable(getattr(self.scheduler, "get_last_lr", None)):
            # A scheduler never stepped may have no last lr; the groups' rates are kept anyway.
            with contextlib.suppress(Exception):
                self.record.scheduler_last_lr = tuple(
                    _float(v) for v in self.scheduler.get_last_lr()
                )


def _max_abs(tensors: list[torch.Tensor], zero: torch.Tensor) -> torch.Tensor:
    tensors = [t.detach() for t in tensors if t.is_floating_point() and t.numel() > 0]
    if not tensors:
        return zero
    return torch.stack(torch._foreach_norm(tensors, ord=math.inf)).max()


def _dense(t: torch.Tensor) -> torch.Tensor:
    return t.coalesce().values() if t.is_sparse else t


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan
