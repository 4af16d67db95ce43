"""Tiny PyTorch training setups, clean and deliberately broken, each modelled on a real bug.

Every function returns a spec dict (model, optimizer, loss_fn, batches) as a user's
entrypoint would. The data are small and seeded so each check runs in milliseconds.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import torch
from torch import nn

Spec = dict[str, Any]


# --- data -----------------------------------------------------------------------------


def regression_data(n: int = 256, features: int = 4, seed: int = 0) -> tuple[Any, Any]:
    """A smooth target of the features, centred, shape (n, 1)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=g)
    w = torch.randn(features, 1, generator=g)
    y = x @ w + 0.5 * torch.sin(2 * x[:, :1]) + 0.05 * torch.randn(n, 1, generator=g)
    return x, y - y.mean()


def classification_data(
    n: int = 256, features: int = 4, classes: int = 3, seed: int = 0
) -> tuple[Any, Any]:
    """Class indices (int64) given by the largest of a few linear scores."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=g)
    w = torch.randn(features, classes, generator=g)
    return x, (x @ w).argmax(dim=1)


def batches_of(x: Any, y: Any, size: int = 32) -> list[tuple[Any, Any]]:
    return [(x[i : i + size], y[i : i + size]) for i in range(0, len(x), size)]


def mlp(features: int = 4, hidden: int = 16, out: int = 1, seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, out))


def _spec(model: nn.Module, optimizer: Any, loss_fn: Any, batches: Any) -> Spec:
    return {"model": model, "optimizer": optimizer, "loss_fn": loss_fn, "batches": batches}


# --- clean setups: every check passes -------------------------------------------------


def clean_regression() -> Spec:
    model = mlp()
    x, y = regression_data()
    return _spec(
        model, torch.optim.Adam(model.parameters(), lr=1e-2), nn.MSELoss(), batches_of(x, y)
    )


def clean_classifier() -> Spec:
    """Batch norm (its running statistics are buffers, not parameters) and dropout."""
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(4, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 3)
    )
    x, y = classification_data()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return _spec(model, optimizer, nn.CrossEntropyLoss(), batches_of(x, y))


class FineTuned(nn.Module):
    """A frozen "pretrained" encoder and a trained head."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.encoder = nn.Linear(4, 16)
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(16, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))


def clean_fine_tuning() -> Spec:
    """The frozen encoder is left out of the optimizer, as it should be."""
    model = FineTuned()
    model.encoder.requires_grad_(False)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-2, weight_decay=0.01)
    x, y = regression_data()
    return _spec(model, optimizer, nn.MSELoss(), batches_of(x, y))


# --- non-finite values ------------------------------------------------------------------


def hand_written_bce(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy written out by hand: log(0) once a sigmoid saturates."""
    p = torch.sigmoid(logits)
    return -(targets * torch.log(p) + (1 - targets) * torch.log(1 - p)).mean()


def log_of_zero_in_loss() -> Spec:
    """Unscaled features (values in the hundreds) saturate the sigmoid: log(1 - 1) = -inf."""
    model = mlp()
    x, y = regression_data()
    x = 300 * x
    labels = (y > 0).float()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    return _spec(model, optimizer, hand_written_bce, batches_of(x, labels))


def exploding_learning_rate() -> Spec:
    """A learning rate a thousand times too large: the loss and weights blow up to inf."""
    model = mlp()
    x, y = regression_data()
    return _spec(model, torch.optim.SGD(model.parameters(), lr=5.0), nn.MSELoss(), batches_of(x, y))


def nan_in_inputs() -> Spec:
    """A missing value that reached the tensors as NaN, in the third batch."""
    model = mlp()
    x, y = regression_data()
    x = x.clone()
    x[70, 2] = float("nan")
    return _spec(
        model, torch.optim.Adam(model.parameters(), lr=1e-2), nn.MSELoss(), batches_of(x, y)
    )


# --- parameters -----------------------------------------------------------------------


class DetachedBody(nn.Module):
    """A ``.detach()`` left in forward (e.g. from debugging) cuts the body off the loss."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.body = nn.Sequential(nn.Linear(4, 16), nn.ReLU())
        self.head = nn.Linear(16, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x).detach())


def detached_layer() -> Spec:
    model = DetachedBody()
    x, y = regression_data()
    return _spec(
        model, torch.optim.Adam(model.parameters(), lr=1e-2), nn.MSELoss(), batches_of(x, y)
    )


def zero_learning_rate() -> Spec:
    """lr read from a config key that is missing, defaulting to 0."""
    model = mlp()
    x, y = regression_data()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
    return _spec(model, optimizer, nn.MSELoss(), batches_of(x, y))


def dead_relu() -> Spec:
    """A bias initialised very negative: every hidden ReLU is off for every input."""
    model = mlp()
    with torch.no_grad():
        model[0].bias.fill_(-20.0)
    x, y = regression_data()
    return _spec(
        model, torch.optim.Adam(model.parameters(), lr=1e-3), nn.MSELoss(), batches_of(x, y)
    )


def optimizer_over_other_model() -> Spec:
    """The model was re-created after the optimizer was built over the first one."""
    model = mlp()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    model = mlp()
    x, y = regression_data()
    return _spec(model, optimizer, nn.MSELoss(), batches_of(x, y))


def frozen_layer_in_optimizer() -> Spec:
    """The encoder is frozen after a warm-up step but left in an SGD with weight decay.

    Its ``.grad`` from the warm-up stays, so a loop that zeroes gradients in place
    (``zero_grad(set_to_none=False)``) hands the optimizer a zero gradient, and weight
    decay keeps shrinking the "frozen" weights; PyTorch 2's default (None) does not.
    """
    model = FineTuned()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, weight_decay=0.1)
    x, y = regression_data()
    batches = batches_of(x, y)
    nn.MSELoss()(model(batches[0][0]), batches[0][1]).backward()
    optimizer.step()
    model.encoder.requires_grad_(False)
    return _spec(model, optimizer, nn.MSELoss(), batches)


class RunningScale(nn.Module):
    """A running statistic kept as a frozen Parameter and written in place in forward."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.scale = nn.Parameter(torch.ones(4), requires_grad=False)
        self.net = mlp()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            with torch.no_grad():
                self.scale.mul_(0.9).add_(0.1 * x.std(dim=0))
        return self.net(x / self.scale)


def frozen_parameter_written_in_forward() -> Spec:
    model = RunningScale()
    x, y = regression_data()
    trainable = [p for p in model.parameters() if p.requires_grad]
    return _spec(model, torch.optim.Adam(trainable, lr=1e-2), nn.MSELoss(), batches_of(x, y))


# --- the loss and overfitting ---------------------------------------------------------


def broadcasting_mse() -> Spec:
    """Outputs (N, 1) against targets (N,): MSELoss broadcasts to (N, N) and warns."""
    model = mlp()
    x, y = regression_data()
    return _spec(
        model,
        torch.optim.Adam(model.parameters(), lr=1e-2),
        nn.MSELoss(),
        batches_of(x, y.squeeze(1)),
    )


def softmax_before_cross_entropy() -> Spec:
    """CrossEntropyLoss fed probabilities instead of logits: the loss cannot fall far."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 3), nn.Softmax(dim=1))
    x, y = classification_data()
    return _spec(
        model,
        torch.optim.Adam(model.parameters(), lr=1e-2),
        nn.CrossEntropyLoss(),
        batches_of(x, y),
    )


# --- reproducibility and warnings --------------------------------------------------


class NoisyAugmentation(nn.Module):
    """Noise augmentation from a generator seeded with os.urandom, not the run's seed."""

    def __init__(self) -> None:
        super().__init__()
        self.net = mlp()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            seed = int.from_bytes(os.urandom(8), "little") >> 1
            g = torch.Generator().manual_seed(seed)
            x = x + 0.1 * torch.randn(x.shape, generator=g)
        return self.net(x)


def unseeded_noise() -> Spec:
    model = NoisyAugmentation()
    x, y = regression_data()
    return _spec(
        model, torch.optim.Adam(model.parameters(), lr=1e-2), nn.MSELoss(), batches_of(x, y)
    )


class WarnsEveryStep(nn.Module):
    """A model that warns on every call, as deprecated APIs in user code do."""

    def __init__(self) -> None:
        super().__init__()
        self.net = mlp()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        warnings.warn("clamping activations; this API is deprecated", FutureWarning, stacklevel=2)
        return self.net(x)


def warns_every_step() -> Spec:
    model = WarnsEveryStep()
    x, y = regression_data()
    return _spec(
        model, torch.optim.Adam(model.parameters(), lr=1e-2), nn.MSELoss(), batches_of(x, y)
    )


def float16_adam() -> Spec:
    """A model cast to float16 trained with Adam's default eps=1e-8, which is 0 in float16:
    where squared gradients underflow the update divides by zero."""
    model = mlp().half()
    x, y = regression_data()
    return _spec(
        model,
        torch.optim.Adam(model.parameters(), lr=1e-3),
        nn.MSELoss(),
        batches_of(x.half(), y.half()),
    )
