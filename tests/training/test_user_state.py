"""``UserState`` puts the user's model, optimizer and scheduler back as found: the fast
paths (tensors copied in place, a stock optimizer's state rebuilt from clones) and the
general ones (a replaced parameter, an optimizer with its own ``state_dict``)."""

import copy

import pytest

pytest.importorskip("torch")

import torch
import torch.nn.functional as F
from torch import nn

from mlgate.training.user_state import UserState


def setup(optimizer_class=torch.optim.Adam, **kwargs):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 3))
    optimizer = optimizer_class(model.parameters(), **kwargs)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    x, y = torch.randn(16, 4), torch.randint(0, 3, (16,))

    def step() -> None:
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
        scheduler.step()

    step()  # optimizer state (Adam's moments, its step) to put back
    return model, optimizer, scheduler, step


def snapshot(model, optimizer, scheduler):
    return (
        copy.deepcopy(model.state_dict()),
        copy.deepcopy(optimizer.state_dict()),
        copy.deepcopy(scheduler.state_dict()),
    )


def assert_same(before, model, optimizer, scheduler):
    model_state, opt_state, sched_state = before
    after = model.state_dict()
    assert after.keys() == model_state.keys()
    assert all(torch.equal(model_state[k], after[k]) for k in model_state)
    now = optimizer.state_dict()
    assert now["param_groups"] == opt_state["param_groups"]
    assert now["state"].keys() == opt_state["state"].keys()
    for i, state in opt_state["state"].items():
        for k, v in state.items():
            got = now["state"][i][k]
            assert torch.equal(got, v) if torch.is_tensor(v) else got == v
    assert scheduler.state_dict() == sched_state


def test_restore_puts_back_a_stock_optimizers_state_as_copies():
    model, optimizer, scheduler, step = setup(lr=0.1)
    before = snapshot(model, optimizer, scheduler)
    state = UserState.take(model, optimizer, scheduler)
    assert state.optimizer_snapshot is not None  # the fast path
    for _ in range(3):
        step()
    state.restore()
    assert_same(before, model, optimizer, scheduler)
    # The restored state is not the snapshot itself: a second run and restore repeat.
    for _ in range(3):
        step()
    state.restore()
    assert_same(before, model, optimizer, scheduler)


def test_restore_drops_a_param_group_the_loop_added():
    model, optimizer, scheduler, step = setup(lr=0.1)
    before = snapshot(model, optimizer, scheduler)
    state = UserState.take(model, optimizer, scheduler)
    optimizer.add_param_group({"params": [nn.Parameter(torch.zeros(2))], "lr": 1.0})
    step()
    state.restore()
    assert len(optimizer.param_groups) == 1
    assert_same(before, model, optimizer, scheduler)


def test_restore_puts_back_a_tensor_learning_rate_changed_in_place():
    model, optimizer, scheduler, _ = setup(lr=torch.tensor(0.1))
    state = UserState.take(model, optimizer, scheduler)
    optimizer.param_groups[0]["lr"].fill_(0.5)
    state.restore()
    assert float(optimizer.param_groups[0]["lr"]) == pytest.approx(0.1)


class OwnStateDict(torch.optim.SGD):
    """An optimizer that keeps state beside ``state`` and saves it in ``state_dict``."""

    def __init__(self, params, **kwargs) -> None:
        super().__init__(params, **kwargs)
        self.calls = 0

    def step(self, closure=None):  # type: ignore[no-untyped-def]
        self.calls += 1
        return super().step(closure)

    def state_dict(self):  # type: ignore[no-untyped-def]
        return {**super().state_dict(), "calls": self.calls}

    def load_state_dict(self, state_dict):  # type: ignore[no-untyped-def]
        state_dict = dict(state_dict)
        self.calls = state_dict.pop("calls")
        super().load_state_dict(state_dict)


def test_an_optimizer_with_its_own_state_dict_is_restored_through_it():
    model, optimizer, scheduler, step = setup(OwnStateDict, lr=0.1, momentum=0.9)
    before = snapshot(model, optimizer, scheduler)
    state = UserState.take(model, optimizer, scheduler)
    assert state.optimizer_snapshot is None  # the general path
    for _ in range(3):
        step()
    assert optimizer.calls == 4
    state.restore()
    assert optimizer.calls == 1
    assert_same(before, model, optimizer, scheduler)


def test_a_parameter_the_loop_replaced_gets_the_snapshot_through_load_state_dict():
    model, optimizer, scheduler, _ = setup(lr=0.1)
    weight = model[0].weight.detach().clone()
    state = UserState.take(model, optimizer, scheduler)
    model[0].weight = nn.Parameter(torch.zeros_like(weight))
    state.restore()
    assert torch.equal(model[0].weight, weight)
