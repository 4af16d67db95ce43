"""A small PyTorch classifier of penguin species, and its training spec for mlgate.

mlgate check training --entrypoint examples/penguins/train_torch.py:training_spec
"""

from __future__ import annotations

import numpy as np
import torch
from features import NUMERIC, SPECIES, features, labels, load
from torch import nn

BATCH = 32


def make_model(n_features: int) -> nn.Module:
    return nn.Sequential(nn.Linear(n_features, 16), nn.ReLU(), nn.Linear(16, len(SPECIES)))


def training_spec() -> dict[str, object]:
    torch.manual_seed(0)
    df = load("reference")
    raw = df.select(NUMERIC).to_numpy().astype(np.float64)
    x = torch.from_numpy(features(df, raw.mean(axis=0), raw.std(axis=0)))
    y = torch.from_numpy(labels(df))
    model = make_model(x.shape[1])
    return {
        "model": model,
        "optimizer": torch.optim.Adam(model.parameters(), lr=0.01),
        "loss_fn": nn.CrossEntropyLoss(),
        "batches": [(x[i : i + BATCH], y[i : i + BATCH]) for i in range(0, len(x), BATCH)],
    }
