"""Issue 10's proof corpus: each loop bug on real bundled data, its harm measured in a
plain loop, then mlgate's verdict on the bug and on its healthy control, in both the
``train_step`` and ``train`` forms.

Data: scikit-learn's bundled handwritten digits (1,797 rows, 64 pixel features in 0-16,
10 classes), split 70/30 with a seeded, stratified shuffle. Model: 64 -> 64 (batch
norm, ReLU, dropout 0.5) -> 64 (ReLU) -> 10, SGD with momentum, cross-entropy, batches
of 32. Each case is a function of the bug (None for the control) returning the spec a
user would write; its ``train_step`` and ``train`` carry the bug as a user writes it.

For each bug: the test accuracy of the control and of the bug after ``EPOCHS`` epochs
of the plain loop (the harm: accuracy lost), and mlgate's findings on both in both
forms (``check_torch`` with ``Budget(steps=STEPS)``): the check that must fail on the
bug, and every problem on the control (there must be none).

    python benchmarks/training_loop_bugs.py        # prints the table in RESULTS form
"""

from __future__ import annotations

import statistics
import sys
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

EPOCHS = 8
BATCH = 32
STEPS = 120
SEEDS = (0, 1, 2)

BUGS = {
    "no_zero_grad": "training.gradients_not_zeroed",
    "scheduler_per_batch": "training.lr_schedule_too_fast",
    "sorted_batches": "training.batches_ordered_by_target",
    "eval_mode": "training.eval_mode_in_training",
    "functional_dropout": "training.eval_not_deterministic",
    "unfrozen_by_loop": "training.frozen_parameter_changed",
    "frozen_moved_by_weight_decay": "training.frozen_parameter_changed",
}


def digits(seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Train and test tensors of scikit-learn's digits, raw pixel values (0-16)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=0.3, random_state=seed, stratify=y, shuffle=True
    )
    as_x = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
    as_y = lambda a: torch.as_tensor(a, dtype=torch.int64)  # noqa: E731
    return as_x(x_tr), as_y(y_tr), as_x(x_te), as_y(y_te)


class Net(nn.Module):
    def __init__(self, functional_dropout: bool, seed: int) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.encoder = nn.Sequential(nn.Linear(64, 64), nn.BatchNorm1d(64), nn.ReLU())
        self.dropout = nn.Dropout(0.5)
        self.head = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
        self.functional_dropout = functional_dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.encoder(x)
        h = F.dropout(h, 0.5) if self.functional_dropout else self.dropout(h)
        return self.head(h)


def case(bug: str | None, seed: int = 0) -> dict[str, Any]:
    """The spec of the digits loop with ``bug`` (a key of ``BUGS``) or the control."""
    x, y, x_test, y_test = digits(seed)
    if bug == "sorted_batches":  # stored by class, never shuffled
        order = torch.argsort(y, stable=True)
        x, y = x[order], y[order]
    else:
        order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
        x, y = x[order], y[order]
    batches = [(x[i : i + BATCH], y[i : i + BATCH]) for i in range(0, len(y), BATCH)]
    model = Net(functional_dropout=bug == "functional_dropout", seed=seed)
    fine_tuning = bug in (None, "unfrozen_by_loop", "frozen_moved_by_weight_decay")
    decay = 5e-3  # the same for every case: only the bug differs
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=decay)
    if fine_tuning:
        # "Pretrain" the encoder for one epoch, then freeze it and train the head.
        for xb, yb in batches:
            optimizer.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            optimizer.step()
        model.encoder.requires_grad_(False)
        model.encoder.eval()  # a frozen backbone keeps its statistics, on purpose
        optimizer = torch.optim.SGD(
            model.parameters(), lr=0.05, momentum=0.9, weight_decay=decay
        )  # over every parameter: the frozen ones must stay put by requires_grad alone
    if bug == "eval_mode":
        model.eval()
    per_epoch = len(batches)
    # StepLR meant per epoch (decay every 3 epochs); per batch it decays every 3 batches.
    step_size = 3 if bug == "scheduler_per_batch" else 3 * per_epoch
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=step_size, gamma=0.5)

    def train_step(batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        xb, yb = batch
        if bug == "unfrozen_by_loop":
            for p in model.parameters():
                p.requires_grad_(True)
        if bug != "eval_mode":
            model.train()
            if fine_tuning:
                model.encoder.eval()
        if bug != "no_zero_grad":
            optimizer.zero_grad(set_to_none=bug != "frozen_moved_by_weight_decay")
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
        scheduler.step()
        return loss

    def train(steps: int) -> None:
        for step in range(steps):
            train_step(batches[step % len(batches)])

    spec: dict[str, Any] = {
        "model": model,
        "optimizer": optimizer,
        "scheduler": scheduler,
        "batches": batches,
        "eval_batches": [(x_test[:64], y_test[:64])],
        "train_step": train_step,
        "train": train,
        "test": (x_test, y_test),
    }
    if fine_tuning:
        spec["frozen"] = ["encoder."]
    return spec


def accuracy(bug: str | None, seed: int) -> float:
    """Test accuracy after EPOCHS epochs of the plain loop, as the author trains it."""
    spec = case(bug, seed)
    spec["train"](EPOCHS * len(spec["batches"]))
    model = spec["model"]
    model.eval()
    x_test, y_test = spec["test"]
    with torch.no_grad():
        return float((model(x_test).argmax(1) == y_test).float().mean())


def verdict(bug: str | None, form: str) -> dict[str, str]:
    from mlgate.findings import Status
    from mlgate.training.spec import Budget, as_spec
    from mlgate.training.torch_checks import check_torch

    spec = case(bug)
    spec.pop("test")
    spec.pop("train" if form == "train_step" else "train_step")
    findings = check_torch(as_spec(spec), Budget(steps=STEPS))
    return {f.name: f.status.value for f in findings if f.status not in (Status.PASS, Status.SKIP)}


def main() -> None:
    torch.set_num_threads(1)
    control = [accuracy(None, s) for s in SEEDS]
    print(f"control test accuracy: {statistics.mean(control):.3f} (seeds {SEEDS})")
    for form in ("train_step", "train"):
        print(f"control, {form}: problems {verdict(None, form) or 'none'}")
    print()
    head = f"| bug | test accuracy (control {statistics.mean(control):.3f}) | lost | check |"
    print(head + " verdict (train_step, train) |")
    print("|---|---:|---:|---|---|")
    for bug, code in BUGS.items():
        acc = statistics.mean(accuracy(bug, s) for s in SEEDS)
        fails = [verdict(bug, form).get(code, "pass") for form in ("train_step", "train")]
        print(
            f"| {bug} | {acc:.3f} | {statistics.mean(control) - acc:+.3f} | `{code}` | "
            f"{', '.join(fails)} |"
        )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
