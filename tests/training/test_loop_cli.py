"""``mlgate check training`` on a spec in the loop form, through the command line."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("torch")

from tests.conftest import run_main

LOOP_SPEC = """
import torch
import torch.nn.functional as F
from torch import nn

ZERO_GRAD = {zero_grad}


def training_spec():
    torch.manual_seed(0)
    x = torch.randn(128, 4)
    y = (x @ torch.randn(4, 3)).argmax(1)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def train_step(batch):
        print("NOISY print in the user's step")
        inputs, targets = batch
        if ZERO_GRAD:
            optimizer.zero_grad()
        loss = F.cross_entropy(model(inputs), targets)
        loss.backward()
        optimizer.step()
        return {returned}

    batches = [(x[i : i + 32], y[i : i + 32]) for i in range(0, 128, 32)]
    return {{"model": model, "optimizer": optimizer, "train_step": train_step,
             "batches": batches}}
"""


def _check(capsys, tmp_path, monkeypatch, zero_grad: bool, returned: str = "loss"):
    (tmp_path / "loop_spec.py").write_text(LOOP_SPEC.format(zero_grad=zero_grad, returned=returned))
    monkeypatch.chdir(tmp_path)
    args = ("check", "training", "--entrypoint", "loop_spec.py:training_spec")
    return run_main(capsys, (*args, "--steps", "24", "--format", "json"))


def test_a_loop_without_zero_grad_fails_the_gate_in_json(capsys, tmp_path, monkeypatch):
    code, out, err = _check(capsys, tmp_path, monkeypatch, zero_grad=False)
    assert code == 1, err
    report = json.loads(out)  # the user's print() went to stderr, not into the JSON
    failed = {c["name"] for c in report["checks"] if c["status"] == "fail"}
    assert "training.gradients_not_zeroed" in failed


def test_the_healthy_loop_passes(capsys, tmp_path, monkeypatch):
    code, out, err = _check(capsys, tmp_path, monkeypatch, zero_grad=True)
    assert code == 0, err
    assert json.loads(out)["passed"] is True


def test_a_step_returning_a_float_is_exit_2_with_one_line(capsys, tmp_path, monkeypatch):
    code, _, err = _check(capsys, tmp_path, monkeypatch, zero_grad=True, returned="loss.item()")
    assert code == 2
    lines = [line for line in err.splitlines() if "train_step returned" in line]
    assert len(lines) == 1 and "not the scalar loss tensor" in lines[0]
    assert "Traceback" not in err
