"""How a ``train(steps)`` loop's loss is caught (the gradient hook on the model's output
and the frames of the backward call, the TorchFunctionMode as the fallback), and how the
losses, read in batches at the checked steps, still name a non-finite one."""

import threading

import pytest

pytest.importorskip("torch")

import torch
import torch.nn.functional as F

from mlgate.findings import Status
from mlgate.training.loop_run import run_loop
from mlgate.training.observe import backward_root, checked_step
from mlgate.training.spec import Budget, as_spec
from mlgate.training.torch_checks import check_torch
from mlgate.training.user_state import UserState
from tests.training import broken_loops as loops

STEPS = 40


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def main_run(spec_dict: dict, steps: int = STEPS):
    spec = as_spec(spec_dict)
    state = UserState.take(spec.model, spec.optimizer, spec.scheduler)
    try:
        return run_loop(spec, state, seed=0, steps=steps, time_limit=60.0, label="main")
    finally:
        state.restore()


def test_a_train_loops_losses_are_those_its_train_step_returns():
    by_step = main_run(loops.loop_spec(None, "train_step")).run.losses
    by_train = main_run(loops.loop_spec(None, "train")).run.losses
    assert len(by_train) == STEPS
    assert by_train == pytest.approx(by_step, rel=1e-6)


def _custom_backward(kind: str) -> tuple[dict, list[float]]:
    """The control loop, its backward started by ``torch.autograd.backward(loss)`` or
    from one loss over two forwards of the model (two outputs, one backward); and the
    losses it computed in its last run."""
    spec = loops.loop_spec(None, "train")
    model, optimizer, batches = spec["model"], spec["optimizer"], spec["batches"]
    computed: list[float] = []

    def train(steps: int) -> None:
        computed.clear()
        model.train()
        for step in range(steps):
            x, y = batches[step % len(batches)]
            optimizer.zero_grad()
            if kind == "autograd":
                loss = F.cross_entropy(model(x), y)
                torch.autograd.backward(loss)
            else:
                half = len(x) // 2
                loss = F.cross_entropy(model(x[:half]), y[:half]) + F.cross_entropy(
                    model(x[half:]), y[half:]
                )
                loss.backward()
            computed.append(float(loss.detach()))
            optimizer.step()

    spec["train"] = train
    return spec, computed


@pytest.mark.parametrize("kind", ["autograd", "two_forwards"])
def test_each_backward_pass_gives_one_loss_however_it_is_started(kind):
    spec, computed = _custom_backward(kind)
    result = main_run(spec)
    assert result.record.optimizer_steps == STEPS
    # One loss per backward pass (not one per output it reached), the loop's own.
    assert result.run.losses == computed


def test_the_loss_is_found_from_the_autograd_engines_other_thread():
    # On an accelerator the gradient hook runs on the engine's device thread, where the
    # caller's frames are not on the stack: they are looked up by the caller's thread id.
    x = torch.ones(3, requires_grad=True)
    loss = (x * 2).sum()
    caller = threading.get_ident()
    found: list = []

    def hook(grad: torch.Tensor) -> None:
        elsewhere = threading.Thread(target=lambda: found.append(backward_root(caller)))
        elsewhere.start()
        elsewhere.join()

    out = x * 3
    out.register_hook(hook)
    (loss + out.sum()).backward()
    assert len(found) == 1 and found[0] is not None
    assert float(found[0].detach()) == pytest.approx(float(loss.detach()) + 9.0)


def test_autograd_grad_is_not_taken_for_a_training_backward():
    x = torch.ones(3, requires_grad=True)
    out = x * 2
    seen: list = []
    out.register_hook(lambda g: seen.append(backward_root()))
    torch.autograd.grad(out.sum(), x)
    assert seen == [None]


def _nan_loss_at(step_with_nan: int, form: str) -> dict:
    """The control loop whose loss is NaN at one step while every tensor stays finite:
    a NaN constant added to the loss carries no gradient."""
    spec = loops.loop_spec(None, form)
    model, optimizer, batches = spec["model"], spec["optimizer"], spec["batches"]
    calls = [0]  # train_step calls: the main run is the first
    nan = torch.tensor(float("nan"))

    def train_step(batch):
        x, y = batch
        model.train()
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        calls[0] += 1
        return loss + nan if calls[0] == step_with_nan + 1 else loss

    def train(steps: int) -> None:
        for step in range(steps):
            x, y = batches[step % len(batches)]
            model.train()
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            if step == step_with_nan:
                loss = loss + nan
            loss.backward()
            optimizer.step()

    spec.update(frozen=None, scheduler=None)
    spec[form] = train_step if form == "train_step" else train
    return {k: v for k, v in spec.items() if v is not None}


@pytest.mark.parametrize("form", ["train_step", "train"])
def test_a_nan_loss_at_an_unchecked_step_with_finite_tensors_is_named_at_that_step(form):
    # The losses of a train loop are read together at the checked steps: the NaN loss
    # of step 10 is seen at step 16, and the run read at every step names step 10.
    assert not checked_step(10)
    findings = check_torch(as_spec(_nan_loss_at(10, form)), Budget(steps=48))
    f = next(f for f in findings if f.name == "training.loss_not_finite")
    assert f.status is Status.FAIL, f.message
    assert f.details["step"] == 10
    assert "the loss became NaN at step 10" in f.message
