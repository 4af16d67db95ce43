"""A Hugging Face ``Trainer.train()`` handed over through ``train``: mlgate watches it with
the same hooks, including the optimizer and scheduler the Trainer is given or builds.

Fully offline: a small ``nn.Module`` that returns a dict with ``"loss"``, rows from an
in-memory dataset, no pretrained weights, no tokenizer and no hub (``HF_HUB_OFFLINE``).
transformers and accelerate are in the ``test`` extra; elsewhere this file is skipped.
"""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("accelerate")
pytest.importorskip("transformers")

import torch
import torch.nn.functional as F
import transformers
from torch import nn
from torch.utils.data import Dataset

from mlgate.findings import Status
from mlgate.training.spec import Budget, as_spec
from mlgate.training.torch_checks import check_torch
from tests.training.broken_torch import classification_data

ROWS, BATCH = 384, 32


class Classifier(nn.Module):
    """What the Trainer expects of a model: keyword inputs, a dict with ``loss``."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 3))

    def forward(
        self, x: torch.Tensor, labels: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        logits = self.net(x)
        out = {"logits": logits}
        if labels is not None:
            out["loss"] = F.cross_entropy(logits, labels)
        return out


class Rows(Dataset):
    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"x": self.x[i], "labels": self.y[i]}


def trainer_spec(tmp_path, scheduler_step_size: int | None = None) -> dict:
    """The Trainer's own AdamW and linear schedule; or, with ``scheduler_step_size``,
    an SGD and a ``StepLR`` meant per epoch handed over through ``optimizers=``, which
    the Trainer steps once per optimizer step."""
    model = Classifier()
    x, y = classification_data(n=ROWS)

    def train(steps: int) -> None:
        args = transformers.TrainingArguments(
            output_dir=str(tmp_path),
            max_steps=steps,
            per_device_train_batch_size=BATCH,
            learning_rate=0.05,
            use_cpu=True,
            report_to="none",
            save_strategy="no",
            logging_strategy="no",
            disable_tqdm=True,
            dataloader_num_workers=0,
            seed=0,
        )
        optimizers: tuple = (None, None)
        if scheduler_step_size is not None:
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
            scheduler = torch.optim.lr_scheduler.StepLR(
                optimizer, step_size=scheduler_step_size, gamma=0.1
            )
            optimizers = (optimizer, scheduler)
        trainer = transformers.Trainer(
            model=model, args=args, train_dataset=Rows(x, y), optimizers=optimizers
        )
        trainer.train()

    batches = [(x[i : i + BATCH], y[i : i + BATCH]) for i in range(0, ROWS, BATCH)]
    return {"model": model, "train": train, "batches": batches}


@pytest.fixture(autouse=True)
def offline_one_thread(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_a_hugging_face_trainer_handed_over_through_train_passes(tmp_path):
    findings = check_torch(as_spec(trainer_spec(tmp_path)), Budget(steps=24))
    bad = {f.name: f.message for f in findings if f.status not in (Status.PASS, Status.SKIP)}
    assert not bad, bad
    by_name = {f.name: f for f in findings}
    # The Trainer's own optimizer and loss were watched: 24 optimizer steps, a loss each.
    assert by_name["training.lr_schedule_too_fast"].details["optimizer_steps"] == 24
    assert by_name["training.lr_schedule_too_fast"].details["optimizers"] == ["AdamW"]
    assert by_name["training.loss_not_decreasing"].status is Status.PASS
    assert by_name["training.not_reproducible"].status is Status.PASS
    assert by_name["training.eval_mode_in_training"].details["training_forwards"] == 24


def test_a_per_epoch_step_lr_handed_to_the_trainer_fails(tmp_path):
    # The Trainer steps a scheduler handed over through optimizers= once per optimizer
    # step, so a StepLR sized in epochs (every 5) decays every 5 batches.
    findings = check_torch(as_spec(trainer_spec(tmp_path, scheduler_step_size=5)), Budget(steps=24))
    lr = next(f for f in findings if f.name == "training.lr_schedule_too_fast")
    assert lr.status is Status.FAIL, lr.message
    assert "0.1 from step 0, 0.01 from step 5, 0.001 from step 10" in lr.message
    assert lr.details["optimizers"] == ["SGD"]
