"""A PyTorch Lightning ``trainer.fit`` handed over through ``train``: mlgate watches it
with the same hooks, including the optimizer and scheduler Lightning builds itself.

pytorch-lightning is in the ``test`` extra; where it is not installed this file is
skipped.
"""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("pytorch_lightning")

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from mlgate.findings import Status
from mlgate.training.spec import Budget, as_spec
from mlgate.training.torch_checks import check_torch
from tests.training.broken_torch import classification_data


class LitClassifier(pl.LightningModule):
    """A small classifier; ``lr_interval`` is where Lightning steps the scheduler."""

    def __init__(self, lr_interval: str = "epoch") -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 3))
        self.lr_interval = lr_interval

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], _: int) -> torch.Tensor:
        x, y = batch
        return F.cross_entropy(self(x), y)

    def configure_optimizers(self):  # type: ignore[no-untyped-def]
        optimizer = torch.optim.SGD(self.parameters(), lr=0.1, momentum=0.9)
        # Step decay meant per epoch (every 10 epochs); "step" applies it every 10 batches.
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.1)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": self.lr_interval},
        }


def lightning_spec(lr_interval: str) -> dict:
    module = LitClassifier(lr_interval)
    x, y = classification_data(n=384)
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=False)

    def train(steps: int) -> None:
        trainer = pl.Trainer(
            max_steps=steps,
            accelerator="cpu",
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            num_sanity_val_steps=0,
        )
        trainer.fit(module, loader)

    return {"model": module, "train": train, "batches": list(loader)}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_a_lightning_fit_handed_over_through_train_passes():
    findings = check_torch(as_spec(lightning_spec("epoch")), Budget(steps=48))
    bad = {f.name: f.message for f in findings if f.status not in (Status.PASS, Status.SKIP)}
    # Lightning's own deprecation warnings under a newer torch are reported, as warnings.
    assert bad.keys() <= {"training.runtime_warning"}, bad
    assert not any(f.status is Status.FAIL for f in findings)
    lr = next(f for f in findings if f.name == "training.lr_schedule_too_fast")
    assert lr.details["optimizer_steps"] == 48  # Lightning's own optimizer was watched


def test_a_per_epoch_scheduler_stepped_per_batch_by_lightning_fails():
    findings = check_torch(as_spec(lightning_spec("step")), Budget(steps=48))
    lr = next(f for f in findings if f.name == "training.lr_schedule_too_fast")
    assert lr.status is Status.FAIL
    assert "0.1 from step 0, 0.01 from step 10" in lr.message
