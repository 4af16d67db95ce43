"""The user's own training loops, each bug of issue 10 beside a healthy control.

Every setup returns a spec in the loop form, ``train_step`` (mlgate calls it once per
batch) or ``train`` (mlgate calls it once with the number of steps), as a user's
entrypoint would. ``loop_spec(bug, form)`` builds the same classifier, data and
optimizer for every case, so a bug and its control differ only by the bug.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from tests.training.broken_torch import batches_of, classification_data

Spec = dict[str, Any]

BUGS = (
    "no_zero_grad",
    "scheduler_per_batch",
    "sorted_batches",
    "eval_mode",
    "functional_dropout",
    "unfrozen_by_loop",
    "frozen_moved_by_momentum",
)


class Classifier(nn.Module):
    """An encoder (frozen in the fine-tuning cases), batch norm, dropout and a head.

    With ``functional_dropout`` the dropout is ``F.dropout(h, p)``, whose ``training``
    argument defaults to True: it stays on in eval mode.
    """

    def __init__(self, functional_dropout: bool = False) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.encoder = nn.Linear(4, 32)
        self.norm = nn.BatchNorm1d(32)
        self.dropout = nn.Dropout(0.1)
        self.head = nn.Linear(32, 3)
        self.functional_dropout = functional_dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.norm(self.encoder(x)))
        h = F.dropout(h, 0.1) if self.functional_dropout else self.dropout(h)
        return self.head(h)


def _batches(sorted_by_class: bool) -> list[tuple[torch.Tensor, torch.Tensor]]:
    x, y = classification_data(n=384)
    if sorted_by_class:  # a dataset stored by class and never shuffled
        order = torch.argsort(y, stable=True)
        x, y = x[order], y[order]
    return batches_of(x, y, size=32)


def loop_spec(bug: str | None, form: str = "train_step") -> Spec:
    """The spec of a loop with ``bug`` (one of ``BUGS``), or the healthy control (None),
    as ``train_step`` or ``train``."""
    model = Classifier(functional_dropout=bug == "functional_dropout")
    batches = _batches(sorted_by_class=bug == "sorted_batches")
    fine_tuning = bug in (None, "unfrozen_by_loop", "frozen_moved_by_momentum")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    if bug == "frozen_moved_by_momentum":
        # A warm-up step, then the encoder is frozen but left in the optimizer.
        F.cross_entropy(model(batches[0][0]), batches[0][1]).backward()
        optimizer.step()
    if fine_tuning:
        model.encoder.requires_grad_(False)
    if bug == "eval_mode":
        model.eval()  # left in eval mode by a validation pass before training
    # Step decay meant per epoch: 10 epochs of 12 batches. Stepped per batch, the rate is
    # cut tenfold every 10 steps; the control sizes it in batches (120 steps).
    step_size = 10 if bug == "scheduler_per_batch" else 120
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=step_size, gamma=0.1)
    set_to_none = bug != "frozen_moved_by_momentum"

    def train_step(batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, y = batch
        if bug == "unfrozen_by_loop":
            model.requires_grad_(True)  # a "make trainable" helper that unfreezes all
        if bug != "eval_mode":
            model.train()
        if bug != "no_zero_grad":
            optimizer.zero_grad(set_to_none=set_to_none)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        return loss

    def train(steps: int) -> None:
        for step in range(steps):
            train_step(batches[step % len(batches)])

    spec: Spec = {
        "model": model,
        "optimizer": optimizer,
        "scheduler": scheduler,
        "batches": batches,
        "eval_batches": batches[:1],
    }
    if fine_tuning:
        spec["frozen"] = ["encoder."]
    if form == "train_step":
        spec["train_step"] = train_step
    else:
        spec["train"] = train
    return spec


def accumulating(declared: int | None, every: int = 4) -> Spec:
    """Gradient accumulation over ``every`` batches, zeroed after each optimizer step,
    with ``accumulate_grad_batches`` declared as ``declared``."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    batches = _batches(sorted_by_class=False)
    calls = [0]

    def train_step(batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, y = batch
        loss = F.cross_entropy(model(x), y)
        (loss / every).backward()
        calls[0] += 1
        if calls[0] % every == 0:
            optimizer.step()
            optimizer.zero_grad()
        return loss

    spec: Spec = {"model": model, "optimizer": optimizer, "batches": batches}
    spec["train_step"] = train_step
    if declared is not None:
        spec["accumulate_grad_batches"] = declared
    return spec


def plain_accuracy(spec_of: Callable[[], Spec], steps: int = 120) -> float:
    """Train a loop spec as its author would, then its accuracy on all the batches in
    eval mode: the harm a bug does, measured without mlgate."""
    spec = spec_of()
    if "train_step" in spec:
        for step in range(steps):
            spec["train_step"](spec["batches"][step % len(spec["batches"])])
    else:
        spec["train"](steps)
    model = spec["model"]
    model.eval()
    with torch.no_grad():
        correct = sum(int((model(x).argmax(1) == y).sum()) for x, y in spec["batches"])
    return correct / sum(len(y) for _, y in spec["batches"])


def nan_gradient_at(batch_index: int, form: str = "train_step") -> Spec:
    """The healthy loop whose ``batch_index``-th batch adds ``sqrt(0 * outputs)`` to the
    loss: the loss stays finite (sqrt(0) = 0) but its derivative at 0 is inf, and inf * 0
    makes every gradient NaN, so the parameters are NaN after that step. The trigger is
    in the data (a flag value in the batch), so every seeded run meets it at that step."""
    spec = loop_spec(None, form)
    model, optimizer = spec["model"], spec["optimizer"]
    batches = list(spec["batches"])
    x, y = batches[batch_index]
    x = x.clone()
    x[0, 0] = 1000.0  # the flag
    batches[batch_index] = (x, y)
    model.encoder.requires_grad_(True)

    def train_step(batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        xb, yb = batch
        model.train()
        optimizer.zero_grad()
        out = model(xb)
        loss = F.cross_entropy(out, yb)
        if bool(xb[0, 0] > 100):
            loss = loss + torch.sqrt((out * 0.0).sum())
        loss.backward()
        optimizer.step()
        return loss

    def train(steps: int) -> None:
        for step in range(steps):
            train_step(batches[step % len(batches)])

    spec.update(batches=batches, frozen=None, scheduler=None)
    spec.pop("train_step", None)
    spec.pop("train", None)
    spec[form] = train_step if form == "train_step" else train
    return {k: v for k, v in spec.items() if v is not None}


def two_backwards_per_step(accumulate: int = 1) -> Spec:
    """A ``train`` loop whose step backpropagates two losses of one forward apart (a
    main and an auxiliary loss, the first with ``retain_graph=True``), then steps once;
    with ``accumulate`` > 1 it also accumulates that many batches per optimizer step,
    undeclared."""
    spec = loop_spec(None, "train")
    model, optimizer, batches = spec["model"], spec["optimizer"], spec["batches"]

    def train(steps: int) -> None:
        model.train()
        for step in range(steps * accumulate):
            x, y = batches[step % len(batches)]
            out = model(x)
            F.cross_entropy(out, y).backward(retain_graph=True)
            (1e-3 * out.pow(2).mean()).backward()
            if (step + 1) % accumulate == 0:
                optimizer.step()
                optimizer.zero_grad()

    spec["train"] = train
    return spec
