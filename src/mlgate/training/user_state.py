"""Take and put back the state of the user's own model, optimizer and scheduler.

A loop-form spec's ``train_step`` or ``train`` closes over the user's objects, so mlgate
cannot train copies of them as it does in its own loop: it runs the user's objects and
puts them back as found before each run and at the end (parameters and buffers in
place, ``.grad``, ``requires_grad``, each module's training flag, the optimizer's param
groups and state, the scheduler's state).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from mlgate.training.spec import SpecError, describe_exception


@dataclass(frozen=True)
class UserState:
    """A snapshot of the user's training objects; ``restore`` puts it back."""

    model: nn.Module
    optimizer: torch.optim.Optimizer | None
    scheduler: Any
    tensors: dict[str, torch.Tensor]
    requires_grad: tuple[bool, ...]
    grads: tuple[torch.Tensor | None, ...]
    modes: tuple[bool, ...]
    groups: tuple[dict[str, Any], ...]
    optimizer_state: dict[str, Any] | None
    scheduler_state: dict[str, Any] | None

    @classmethod
    def take(cls, model: nn.Module, optimizer: Any, scheduler: Any) -> UserState:
        """Clone everything a run can change. Raises SpecError for a scheduler without
        ``state_dict`` (it could not be put back)."""
        params = list(model.parameters())
        with torch.no_grad():
            tensors = {k: v.detach().clone() for k, v in model.state_dict().items()}
            grads = tuple(p.grad.detach().clone() if p.grad is not None else None for p in params)
        scheduler_state = None
        if scheduler is not None:
            if not callable(getattr(scheduler, "state_dict", None)):
                raise SpecError(
                    f"scheduler is a {type(scheduler).__name__} without state_dict(); give a "
                    "torch.optim.lr_scheduler scheduler"
                )
            scheduler_state = copy.deepcopy(scheduler.state_dict())
        try:
            optimizer_state = (
                copy.deepcopy(optimizer.state_dict()) if optimizer is not None else None
            )
        except Exception as exc:
            raise SpecError(
                f"the optimizer's state cannot be copied ({describe_exception(exc)})"
            ) from None
        return cls(
            model=model,
            optimizer=optimizer,
            scheduler=scheduler,
            tensors=tensors,
            requires_grad=tuple(p.requires_grad for p in params),
            grads=grads,
            modes=tuple(m.training for m in model.modules()),
            groups=tuple(
                {**g, "params": list(g["params"])}
                for g in (optimizer.param_groups if optimizer is not None else ())
            ),
            optimizer_state=optimizer_state,
            scheduler_state=scheduler_state,
        )

    def restore(self) -> None:
        """Put the snapshot back, in place, so closures over the objects see it."""
        with torch.no_grad():
            self.model.load_state_dict(self.tensors)
            for p, flag, grad in zip(
                self.model.parameters(), self.requires_grad, self.grads, strict=False
            ):
                p.requires_grad_(flag)
                p.grad = grad.clone() if grad is not None else None
        for module, mode in zip(self.model.modules(), self.modes, strict=False):
            module.training = mode
        if self.optimizer is not None and self.optimizer_state is not None:
            # A loop may add param groups (unfreezing); drop them before loading the state.
            self.optimizer.param_groups[:] = [
                {**g, "params": list(g["params"])} for g in self.groups
            ]
            self.optimizer.load_state_dict(copy.deepcopy(self.optimizer_state))
        if self.scheduler is not None and self.scheduler_state is not None:
            self.scheduler.load_state_dict(copy.deepcopy(self.scheduler_state))
