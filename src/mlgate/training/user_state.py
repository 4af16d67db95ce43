"""Take and put back the state of the user's own model, optimizer and scheduler.

A loop-form spec's ``train_step`` or ``train`` closes over the user's objects, so mlgate
cannot train copies of them as it does in its own loop: it runs the user's objects and
puts them back as found before each run and at the end (parameters and buffers in
place, ``.grad``, ``requires_grad``, each module's training flag, the optimizer's param
groups and state, the scheduler's state).

A check runs the loop three times and restores five times, so restoring is kept cheap
(benchmarks/RESULTS-training-loop.md): the model's tensors are copied back in place with
one ``torch._foreach_copy_`` while the model still holds the same tensor objects (else
``load_state_dict``), and a stock optimizer's state is rebuilt from clones of its
tensors rather than through ``copy.deepcopy`` and ``load_state_dict``. An optimizer
class that overrides ``state_dict``/``load_state_dict`` or has state-dict hooks keeps
the general path, which honours them.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from mlgate.training.spec import SpecError, describe_exception

_IMMUTABLE = (int, float, bool, str, bytes, type(None), complex)


@dataclass(frozen=True)
class OptimizerSnapshot:
    """A stock optimizer's param groups (hyperparameters and parameter lists) and per
    parameter state, every tensor cloned; ``restore`` gives the optimizer fresh copies."""

    groups: tuple[tuple[dict[str, Any], list[Any]], ...]
    state: tuple[tuple[Any, dict[Any, Any]], ...]

    @classmethod
    def take(cls, optimizer: torch.optim.Optimizer) -> OptimizerSnapshot:
        return cls(
            groups=tuple(
                ({k: _fresh(v) for k, v in g.items() if k != "params"}, list(g["params"]))
                for g in optimizer.param_groups
            ),
            state=tuple(
                (p, {k: _fresh(v) for k, v in s.items()}) for p, s in optimizer.state.items()
            ),
        )

    def restore(self, optimizer: torch.optim.Optimizer) -> None:
        # What load_state_dict ends with (Optimizer.__setstate__): new group dicts and a
        # new state mapping; the param_groups list itself is kept for whoever holds it.
        optimizer.param_groups[:] = [
            {"params": list(params), **{k: _fresh(v) for k, v in hyper.items()}}
            for hyper, params in self.groups
        ]
        state: defaultdict[Any, dict[Any, Any]] = defaultdict(dict)
        for p, s in self.state:
            state[p] = {k: _fresh(v) for k, v in s.items()}
        optimizer.state = state


def _fresh(value: Any) -> Any:
    """A copy of ``value`` that a run can change without changing the snapshot."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, _IMMUTABLE):
        return value
    if isinstance(value, tuple) and all(isinstance(v, _IMMUTABLE) for v in value):
        return value
    return copy.deepcopy(value)


def _stock_optimizer(optimizer: Any) -> bool:
    """Whether the optimizer's state is all in ``param_groups`` and ``state``: a
    ``torch.optim.Optimizer`` whose class keeps the base ``state_dict`` and
    ``load_state_dict`` and that has no state-dict hooks."""
    base = torch.optim.Optimizer
    if not isinstance(optimizer, base):
        return False
    cls = type(optimizer)
    if cls.state_dict is not base.state_dict or cls.load_state_dict is not base.load_state_dict:
        return False
    hooks = (
        "_optimizer_state_dict_pre_hooks",
        "_optimizer_state_dict_post_hooks",
        "_optimizer_load_state_dict_pre_hooks",
        "_optimizer_load_state_dict_post_hooks",
    )
    return not any(getattr(optimizer, name, None) for name in hooks)


@dataclass(frozen=True)
class UserState:
    """A snapshot of the user's training objects; ``restore`` puts it back."""

    model: nn.Module
    optimizer: torch.optim.Optimizer | None
    scheduler: Any
    tensors: dict[str, torch.Tensor]
    live: tuple[torch.Tensor, ...]  # the model's own parameters and buffers, as taken
    requires_grad: tuple[bool, ...]
    grads: tuple[torch.Tensor | None, ...]
    modes: tuple[bool, ...]
    groups: tuple[dict[str, Any], ...]
    optimizer_state: dict[str, Any] | None
    optimizer_snapshot: OptimizerSnapshot | None
    scheduler_state: dict[str, Any] | None

    @classmethod
    def take(cls, model: nn.Module, optimizer: Any, scheduler: Any) -> UserState:
        """Clone everything a run can change. Raises SpecError for a scheduler without
        ``state_dict`` (it could not be put back)."""
        params = list(model.parameters())
        with torch.no_grad():
            live = model.state_dict(keep_vars=True)
            tensors = {k: v.detach().clone() for k, v in live.items()}
            grads = tuple(p.grad.detach().clone() if p.grad is not None else None for p in params)
        scheduler_state = None
        if scheduler is not None:
            if not callable(getattr(scheduler, "state_dict", None)):
                raise SpecError(
                    f"scheduler is a {type(scheduler).__name__} without state_dict(); give a "
                    "torch.optim.lr_scheduler scheduler"
                )
            scheduler_state = copy.deepcopy(scheduler.state_dict())
        optimizer_state, snapshot = None, None
        try:
            if _stock_optimizer(optimizer):
                snapshot = OptimizerSnapshot.take(optimizer)
            elif optimizer is not None:
                optimizer_state = copy.deepcopy(optimizer.state_dict())
        except Exception as exc:
            raise SpecError(
                f"the optimizer's state cannot be copied ({describe_exception(exc)})"
            ) from None
        return cls(
            model=model,
            optimizer=optimizer,
            scheduler=scheduler,
            tensors=tensors,
            live=tuple(live.values()),
            requires_grad=tuple(p.requires_grad for p in params),
            grads=grads,
            modes=tuple(m.training for m in model.modules()),
            groups=tuple(
                {**g, "params": list(g["params"])}
                for g in (optimizer.param_groups if optimizer is not None else ())
            ),
            optimizer_state=optimizer_state,
            optimizer_snapshot=snapshot,
            scheduler_state=scheduler_state,
        )

    def restore(self) -> None:
        """Put the snapshot back, in place, so closures over the objects see it."""
        with torch.no_grad():
            self._restore_tensors()
            for p, flag, grad in zip(
                self.model.parameters(), self.requires_grad, self.grads, strict=False
            ):
                p.requires_grad_(flag)
                p.grad = grad.clone() if grad is not None else None
        for module, mode in zip(self.model.modules(), self.modes, strict=False):
            module.training = mode
        if self.optimizer is not None and self.optimizer_snapshot is not None:
            self.optimizer_snapshot.restore(self.optimizer)
        elif self.optimizer is not None and self.optimizer_state is not None:
            # A loop may add param groups (unfreezing); drop them before loading the state.
            self.optimizer.param_groups[:] = [
                {**g, "params": list(g["params"])} for g in self.groups
            ]
            self.optimizer.load_state_dict(copy.deepcopy(self.optimizer_state))
        if self.scheduler is not None and self.scheduler_state is not None:
            self.scheduler.load_state_dict(copy.deepcopy(self.scheduler_state))

    def _restore_tensors(self) -> None:
        """Copy the parameters and buffers back in place: in one fused copy while the
        model holds the tensors it held at ``take`` with their shapes and types, else
        (a loop that replaced a module or a parameter) through ``load_state_dict``."""
        now = self.model.state_dict(keep_vars=True)
        same = len(now) == len(self.live) and all(
            a is b and a.shape == s.shape and a.dtype == s.dtype and a.device == s.device
            for a, b, s in zip(now.values(), self.live, self.tensors.values(), strict=True)
        )
        if same:
            if self.live:
                torch._foreach_copy_(list(self.live), list(self.tensors.values()))
        else:
            self.model.load_state_dict(self.tensors)
