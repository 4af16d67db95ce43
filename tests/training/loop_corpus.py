"""Issue 10's proof corpus: each loop bug as a user writes it, on scikit-learn's bundled
handwritten digits (1,797 rows, 64 pixel features in 0-16, 10 classes), beside the
same setup without the bug (its healthy control).

``case(bug, seed)`` returns a spec in both loop forms (``train_step`` and ``train``), as
a user's entrypoint would, plus ``evaluate()``: the held-out accuracy (a float in 0-1)
the bug harms, measured after ``train(EPOCHS epochs)`` of the plain loop.
``case(None, seed, setup)`` is a setup's control. Two setups:

- ``mlp`` (the first five bugs): digits split 70/30 (seeded, stratified), raw pixels,
  64 -> 64 -> 64 -> 10 with batch norm, ReLU and dropout 0.5 after each hidden layer, SGD
  (lr 0.1, momentum 0.9, weight decay 5e-4), a per-epoch ``StepLR`` (halved every 3
  epochs), batches of 32 shuffled once, 8 epochs. ``evaluate`` is the test accuracy.
- ``fine_tuning`` (the two frozen-layer bugs): an encoder (64 -> 64, batch norm, ReLU)
  and a head pretrained for 5 epochs on digits 0-4 (source task), then the encoder is
  frozen (``requires_grad_(False)``, batch norm in eval mode) and a new head is fitted to
  20 training rows of each of digits 5-9 (target task), batches of 10, 30 epochs, by the
  pretraining SGD (lr 0.05, momentum 0.9, weight decay 5e-3) continued with the new head
  added as a param group. The frozen encoder still serves the source head, so
  ``evaluate`` is the source task's test accuracy (what freezing protects); the target
  task's test accuracy is ``evaluate_target``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

Spec = dict[str, Any]

#: bug -> (setup, the check that must fail on it)
BUGS: dict[str, tuple[str, str]] = {
    "no_zero_grad": ("mlp", "training.gradients_not_zeroed"),
    "scheduler_per_batch": ("mlp", "training.lr_schedule_too_fast"),
    "sorted_batches": ("mlp", "training.batches_ordered_by_target"),
    "eval_mode": ("mlp", "training.eval_mode_in_training"),
    "functional_dropout": ("mlp", "training.eval_not_deterministic"),
    "unfrozen_by_loop": ("fine_tuning", "training.frozen_parameter_changed"),
    "frozen_moved_by_weight_decay": ("fine_tuning", "training.frozen_parameter_changed"),
}
SETUPS = ("mlp", "fine_tuning")
EPOCHS = {"mlp": 8, "fine_tuning": 30}


@functools.cache
def _digits(seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Train x, train y, test x, test y: a 70/30 stratified split seeded by ``seed``;
    x float32 (rows, 64) in 0-16, y int64 (rows,) in 0-9."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=0.3, random_state=seed, stratify=y, shuffle=True
    )
    as_x = functools.partial(torch.as_tensor, dtype=torch.float32)
    as_y = functools.partial(torch.as_tensor, dtype=torch.int64)
    return as_x(x_tr), as_y(y_tr), as_x(x_te), as_y(y_te)


def _batches(
    x: torch.Tensor, y: torch.Tensor, size: int, seed: int, sort: bool = False
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Rows shuffled once (seeded), or stored by class and never shuffled (``sort``)."""
    if sort:
        order = torch.argsort(y, stable=True)
    else:
        order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    x, y = x[order], y[order]
    return [(x[i : i + size], y[i : i + size]) for i in range(0, len(y), size)]


def _accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    modes = [m.training for m in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            return float((model(x).argmax(1) == y).float().mean())
    finally:
        for m, mode in zip(model.modules(), modes, strict=True):
            m.training = mode


class MLP(nn.Module):
    """64 -> 64 -> 64 -> 10: each hidden layer linear, batch norm, ReLU, dropout 0.5.

    With ``functional_dropout`` the dropout is ``F.dropout(h, 0.5)``, whose ``training``
    argument defaults to True: it stays on in eval mode.
    """

    def __init__(self, functional_dropout: bool) -> None:
        super().__init__()
        self.layer1 = nn.Sequential(nn.Linear(64, 64), nn.BatchNorm1d(64), nn.ReLU())
        self.layer2 = nn.Sequential(nn.Linear(64, 64), nn.BatchNorm1d(64), nn.ReLU())
        self.dropout = nn.Dropout(0.5)
        self.out = nn.Linear(64, 10)
        self.functional_dropout = functional_dropout

    def _drop(self, h: torch.Tensor) -> torch.Tensor:
        return F.dropout(h, 0.5) if self.functional_dropout else self.dropout(h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self._drop(self.layer2(self._drop(self.layer1(x)))))


def _mlp(bug: str | None, seed: int) -> Spec:
    x, y, x_test, y_test = _digits(seed)
    batches = _batches(x, y, 32, seed, sort=bug == "sorted_batches")
    torch.manual_seed(seed)
    model = MLP(functional_dropout=bug == "functional_dropout")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    per_epoch = len(batches)
    # Halve every 3 epochs: step_size counted in epochs, so stepped per batch it halves
    # every 3 batches.
    step_size = 3 if bug == "scheduler_per_batch" else 3 * per_epoch
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=step_size, gamma=0.5)
    if bug == "eval_mode":
        model.eval()  # left in eval mode by a validation pass before training

    def train_step(batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        xb, yb = batch
        if bug != "eval_mode":
            model.train()
        if bug != "no_zero_grad":
            optimizer.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
        scheduler.step()
        return loss

    def train(steps: int) -> None:
        for step in range(steps):
            train_step(batches[step % len(batches)])

    return {
        "model": model,
        "optimizer": optimizer,
        "scheduler": scheduler,
        "batches": batches,
        "eval_batches": [(x_test[:64], y_test[:64])],
        "train_step": train_step,
        "train": train,
        "evaluate": lambda: _accuracy(model, x_test, y_test),
    }


class Encoded(nn.Module):
    """An encoder (64 -> 64, batch norm, ReLU) and a linear head of 5 classes."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(64, 64), nn.BatchNorm1d(64), nn.ReLU())
        self.head = nn.Linear(64, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))


def _fine_tuning(bug: str | None, seed: int) -> Spec:
    x, y, x_test, y_test = _digits(seed)
    x, x_test = x / 16, x_test / 16
    source, source_test = y < 5, y_test < 5
    torch.manual_seed(seed)
    model = Encoded()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-3)
    for epoch in range(5):  # pretraining on the source task, a healthy loop
        model.train()
        for xb, yb in _batches(x[source], y[source], 32, seed + epoch):
            optimizer.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            optimizer.step()
    source_head = model.head
    model.head = nn.Linear(64, 5)
    model.encoder.requires_grad_(False)
    model.encoder.eval()  # a frozen encoder keeps its batch statistics, on purpose
    # The pretraining optimizer, continued: the new head added, the old one dropped.
    optimizer.param_groups[0]["params"] = list(model.encoder.parameters())
    for p in source_head.parameters():
        optimizer.state.pop(p, None)
    optimizer.add_param_group({"params": list(model.head.parameters())})
    generator = torch.Generator().manual_seed(seed)
    rows = torch.cat(
        [
            torch.nonzero(y == c).flatten()[
                torch.randperm(int((y == c).sum()), generator=generator)[:20]
            ]
            for c in range(5, 10)
        ]
    )
    batches = _batches(x[rows], y[rows] - 5, 10, seed)
    set_to_none = bug != "frozen_moved_by_weight_decay"

    def train_step(batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        xb, yb = batch
        if bug == "unfrozen_by_loop":
            model.requires_grad_(True)  # a "make trainable" helper that unfreezes all
        model.train()
        model.encoder.eval()
        optimizer.zero_grad(set_to_none=set_to_none)
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
        return loss

    def train(steps: int) -> None:
        for step in range(steps):
            train_step(batches[step % len(batches)])

    def evaluate_source() -> float:
        head, model.head = model.head, source_head
        try:
            return _accuracy(model, x_test[source_test], y_test[source_test])
        finally:
            model.head = head

    target_test = ~source_test
    return {
        "model": model,
        "optimizer": optimizer,
        "batches": batches,
        "eval_batches": [(x_test[:64], y_test[:64])],
        "frozen": ["encoder."],
        "train_step": train_step,
        "train": train,
        "evaluate": evaluate_source,
        "evaluate_target": lambda: _accuracy(model, x_test[target_test], y_test[target_test] - 5),
    }


_SETUP: dict[str, Callable[[str | None, int], Spec]] = {
    "mlp": _mlp,
    "fine_tuning": _fine_tuning,
}


def case(bug: str | None, seed: int = 0, setup: str | None = None) -> Spec:
    """The spec of ``bug`` (a key of ``BUGS``) in its setup, or of a setup's control
    (``bug=None`` with ``setup``). Holds both ``train_step`` and ``train`` and the
    ``evaluate`` keys; ``spec_for`` makes a spec mlgate accepts."""
    name = BUGS[bug][0] if bug is not None else setup
    if name not in _SETUP:
        raise ValueError(f"unknown setup {name!r}; one of {SETUPS}")
    return _SETUP[name](bug, seed)


def spec_for(spec: Spec, form: str) -> Spec:
    """The spec in one loop form (``train_step`` or ``train``), without the evaluation
    keys, as a user's entrypoint returns it."""
    drop = {"evaluate", "evaluate_target", "train" if form == "train_step" else "train_step"}
    return {k: v for k, v in spec.items() if k not in drop}


def plain_accuracy(bug: str | None, seed: int, setup: str | None = None) -> dict[str, float]:
    """Train the case's loop as its author does (``train`` for EPOCHS epochs, no mlgate)
    and return its held-out accuracies: ``evaluate`` and, where given, ``target``."""
    spec = case(bug, seed, setup)
    name = BUGS[bug][0] if bug is not None else setup
    spec["train"](EPOCHS[name] * len(spec["batches"]))
    out = {"evaluate": spec["evaluate"]()}
    if "evaluate_target" in spec:
        out["target"] = spec["evaluate_target"]()
    return out
