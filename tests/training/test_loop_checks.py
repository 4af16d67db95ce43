"""The checks on the user's own loop (``train_step`` and ``train``), against each bug of
issue 10 and its healthy control: each bug fails its check, the control passes all."""

import copy
import functools
import random

import pytest

pytest.importorskip("torch")

import numpy as np
import torch
import torch.optim.optimizer as optim_hooks
from torch import nn

from mlgate.findings import Finding, Status
from mlgate.training.gate import check_training
from mlgate.training.loop_checks import check_batch_order, check_lr_schedule
from mlgate.training.observe import LoopRecord
from mlgate.training.spec import Budget, SpecError, as_spec
from mlgate.training.torch_checks import check_torch
from tests.training import broken_loops as loops
from tests.training.broken_torch import batches_of, classification_data, regression_data

FAST = Budget(steps=48, overfit_steps=100)
FORMS = ["train_step", "train"]

LOOP_CHECKS = [
    "training.optimizer_not_over_model",
    "training.loss_not_finite",
    "training.not_finite",
    "training.parameter_not_updated",
    "training.frozen_parameter_changed",
    "training.loss_not_decreasing",
    "training.cannot_overfit",
    "training.not_reproducible",
    "training.gradients_not_zeroed",
    "training.lr_schedule_too_fast",
    "training.eval_mode_in_training",
    "training.batches_ordered_by_target",
    "training.eval_not_deterministic",
    "training.runtime_warning",
    "training.time_limit",
]

#: The check each bug must fail.
CAUGHT_BY = {
    "no_zero_grad": "training.gradients_not_zeroed",
    "scheduler_per_batch": "training.lr_schedule_too_fast",
    "sorted_batches": "training.batches_ordered_by_target",
    "eval_mode": "training.eval_mode_in_training",
    "functional_dropout": "training.eval_not_deterministic",
    "unfrozen_by_loop": "training.frozen_parameter_changed",
    "frozen_moved_by_momentum": "training.frozen_parameter_changed",
}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@functools.cache
def checked(bug: str | None, form: str) -> list[Finding]:
    return check_torch(as_spec(loops.loop_spec(bug, form)), FAST)


def find(findings: list[Finding], name: str) -> Finding:
    matches = [f for f in findings if f.name == name]
    assert len(matches) == 1, [f.name for f in findings]
    return matches[0]


def problems(findings: list[Finding]) -> dict[str, Status]:
    return {f.name: f.status for f in findings if f.status not in (Status.PASS, Status.SKIP)}


# --- each bug fails its check; the control passes every check ---------------------------


@pytest.mark.parametrize("form", FORMS)
def test_the_healthy_loop_passes_every_check(form):
    findings = checked(None, form)
    assert [f.name for f in findings] == LOOP_CHECKS
    assert problems(findings) == {}, [f.message for f in findings if f.status is not Status.PASS]
    skips = {f.name for f in findings if f.status is Status.SKIP}
    # train(steps) cannot be handed one batch; nothing else is skipped.
    assert skips == ({"training.cannot_overfit"} if form == "train" else set())


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("bug", loops.BUGS)
def test_each_bug_fails_its_check_and_the_control_passes_it(bug, form):
    code = CAUGHT_BY[bug]
    assert find(checked(bug, form), code).status is Status.FAIL
    assert find(checked(None, form), code).status is Status.PASS


def test_missing_zero_grad_names_the_parameters_and_the_fix():
    f = find(checked("no_zero_grad", "train_step"), "training.gradients_not_zeroed")
    # .grad is looked at after the checked steps: the first 4, then every 16th (16, 32).
    assert "not zeroed after 6 of the 6 optimizer steps checked, of 48 in all" in f.message
    assert f.details["steps_checked"] == 6
    assert "optimizer.zero_grad()" in f.message
    assert "head.weight" in f.details["parameters"]


def test_scheduler_stepped_per_batch_reports_the_schedule_seen():
    f = find(checked("scheduler_per_batch", "train"), "training.lr_schedule_too_fast")
    assert "0.1 from step 0, 0.01 from step 10, 0.001 from step 20" in f.message
    assert f.details["collapse_step"] == 20
    assert "step it per epoch" in f.message


def test_a_schedule_sized_for_the_run_passes():
    # One-cycle over exactly the run: near its peak mid-run, tiny only at the end.
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=100)
    record = LoopRecord()
    for _ in range(100):
        record.lrs.append((opt.param_groups[0]["lr"],))
        opt.step()
        sched.step()
    assert check_lr_schedule(record).status is Status.PASS


def test_eval_mode_names_the_modules():
    f = find(checked("eval_mode", "train_step"), "training.eval_mode_in_training")
    assert f.details["modules"] == {"dropout": 48, "norm": 48}
    assert "model.train()" in f.message


def test_functional_dropout_gives_different_eval_outputs():
    f = find(checked("functional_dropout", "train"), "training.eval_not_deterministic")
    assert f.details["max_difference"] > 0.01
    assert "training=self.training" in f.message


def test_unfrozen_layers_are_named_with_the_step():
    f = find(checked("unfrozen_by_loop", "train_step"), "training.frozen_parameter_changed")
    assert "encoder.weight, encoder.bias were unfrozen by the loop" in f.message
    assert "optimizer step 0" in f.message


def test_frozen_layers_moved_by_momentum_and_weight_decay_are_named():
    f = find(checked("frozen_moved_by_momentum", "train_step"), "training.frozen_parameter_changed")
    assert "moved by momentum=0.9, weight_decay=0.001" in f.message
    assert set(f.details["parameters"]) == {"encoder.weight", "encoder.bias"}


# --- gradient accumulation ------------------------------------------------------------


def test_declared_gradient_accumulation_passes():
    findings = check_torch(as_spec(loops.accumulating(declared=4)), FAST)
    assert problems(findings) == {}
    f = find(findings, "training.gradients_not_zeroed")
    assert f.details["batches_per_step"] == 4


@pytest.mark.parametrize("declared", [None, 2])
def test_accumulation_that_does_not_match_the_declaration_warns(declared):
    findings = check_torch(as_spec(loops.accumulating(declared=declared)), FAST)
    f = find(findings, "training.gradients_not_zeroed")
    assert f.status is Status.WARN
    assert "declare accumulate_grad_batches: 4" in f.message


# --- batch order: no false alarm on shuffled data -------------------------------------


@pytest.mark.parametrize("seed", range(30))
def test_shuffled_batches_never_look_ordered(seed):
    x, y = classification_data(n=512, seed=seed)
    assert check_batch_order(batches_of(x, y, size=16)).status is Status.PASS


def test_continuous_targets_sorted_are_flagged_and_shuffled_pass():
    x, y = regression_data(n=512)
    order = torch.argsort(y[:, 0])
    assert check_batch_order(batches_of(x[order], y[order])).status is Status.FAIL
    assert check_batch_order(batches_of(x, y)).status is Status.PASS


# --- the user's objects and PyTorch's hooks are left as found -------------------------


def test_the_loop_checks_leave_the_users_objects_and_hooks_as_found():
    spec = loops.loop_spec("unfrozen_by_loop", "train_step")
    model, optimizer, scheduler = spec["model"], spec["optimizer"], spec["scheduler"]
    x, y = spec["batches"][0]
    nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()
    model.eval()
    state = copy.deepcopy(model.state_dict())
    opt_state = copy.deepcopy(optimizer.state_dict())
    sched_state = copy.deepcopy(scheduler.state_dict())
    grads = [None if p.grad is None else p.grad.clone() for p in model.parameters()]
    flags = [p.requires_grad for p in model.parameters()]
    rng = (torch.random.get_rng_state(), random.getstate(), np.random.get_state()[1].copy())
    global_hooks = (
        len(optim_hooks._global_optimizer_pre_hooks),
        len(optim_hooks._global_optimizer_post_hooks),
    )

    check_torch(as_spec(spec), Budget(steps=20, overfit_steps=20))

    after = model.state_dict()
    assert all(torch.equal(state[k], after[k]) for k in state)
    assert optimizer.state_dict()["param_groups"] == opt_state["param_groups"]
    assert scheduler.state_dict() == sched_state
    for g, p in zip(grads, model.parameters(), strict=True):
        assert (g is None and p.grad is None) or torch.equal(g, p.grad)
    assert [p.requires_grad for p in model.parameters()] == flags
    assert not model.training and not model.norm.training
    assert torch.equal(rng[0], torch.random.get_rng_state()) and rng[1] == random.getstate()
    assert (rng[2] == np.random.get_state()[1]).all()
    assert not model._forward_hooks and not model._forward_pre_hooks
    assert not model.norm._forward_pre_hooks
    assert all(not p._backward_hooks for p in model.parameters())
    assert global_hooks == (
        len(optim_hooks._global_optimizer_pre_hooks),
        len(optim_hooks._global_optimizer_post_hooks),
    )


def test_the_current_spec_form_still_runs_mlgates_loop():
    spec = loops.loop_spec(None, "train_step")
    spec.pop("train_step")
    spec.update(loss_fn=nn.CrossEntropyLoss())
    findings = check_torch(as_spec(spec), FAST)
    # mlgate's own loop never drives the scheduler, and says so.
    assert find(findings, "training.lr_schedule_too_fast").status is Status.SKIP
    assert "gradients_not_zeroed" not in {f.name.split(".")[1] for f in findings}


def test_the_gate_reports_a_loop_spec():
    report = check_training(loops.loop_spec("no_zero_grad", "train"), budget=FAST)
    assert not report.passed
    assert {c.name for c in report.findings if c.status is Status.FAIL} >= {
        "training.gradients_not_zeroed"
    }


# --- bad loop specs are exit 2, one line --------------------------------------------


def _spec(**changes):
    spec = loops.loop_spec(None, "train_step")
    spec.update(changes)
    return {k: v for k, v in spec.items() if v is not None}


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"train_step": 3}, "train_step is a int, not a callable"),
        ({"train": lambda steps: None}, "give train_step or train, not both"),
        ({"batches": None}, "train_step needs batches"),
        ({"frozen": ["encodr."]}, "frozen prefix 'encodr.' matches no parameter"),
        ({"frozen": 3}, "frozen must be a list of parameter-name prefixes"),
        ({"accumulate_grad_batches": 0}, "accumulate_grad_batches must be a whole number"),
        ({"accumulate_grad_batches": "4"}, "accumulate_grad_batches must be a whole number"),
        ({"train_step": lambda batch: 1.0}, "train_step returned a float on batch 0"),
        ({"train_step": lambda batch: torch.zeros(3)}, "a tensor of shape (3,)"),
    ],
)
def test_bad_loop_specs_are_one_line_spec_errors(changes, words):
    with pytest.raises(SpecError) as exc:
        check_torch(as_spec(_spec(**changes)), FAST)
    assert words in str(exc.value)
    assert "\n" not in str(exc.value)
    assert exc.value.exit_code == 2


def test_an_exception_in_train_names_the_users_line():
    def train(steps):
        raise KeyError("lr")

    with pytest.raises(SpecError, match=r"train\(48\) failed: KeyError: 'lr' at .*test_loop"):
        check_torch(as_spec(_spec(train_step=None, train=train)), FAST)


def test_a_model_that_fails_in_eval_mode_is_a_warning_not_an_exit():
    class TrainOnly(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if not self.training:
                raise RuntimeError("predict() is the eval entry point")
            return self.fc(x)

    from mlgate.training.loop_checks import check_eval_deterministic

    model = TrainOnly()
    f = check_eval_deterministic(model, torch.zeros(2, 4), "batches[0]")
    assert f.status is Status.WARN
    assert "RuntimeError: predict() is the eval entry point" in f.message
    assert model.training  # its mode put back


def test_a_new_codes_severity_is_configurable_like_the_others():
    report = check_training(
        loops.loop_spec("sorted_batches", "train_step"),
        budget=FAST,
        severity={"training.batches_ordered_by_target": "warn"},
    )
    f = next(f for f in report.findings if f.name == "training.batches_ordered_by_target")
    assert f.status is Status.WARN
    assert report.passed


def _bypassing(zero: bool):
    # Lightning-style: the step calls submodules, so no forward hook of the model fires.
    spec = loops.loop_spec(None, "train")
    model, optimizer, batches = spec["model"], spec["optimizer"], spec["batches"]

    def train(steps: int) -> None:
        model.train()
        for step in range(steps):
            x, y = batches[step % len(batches)]
            if zero:
                optimizer.zero_grad()
            logits = model.head(model.dropout(torch.relu(model.norm(model.encoder(x)))))
            nn.functional.cross_entropy(logits, y).backward()
            optimizer.step()

    spec["train"] = train
    return spec


@pytest.mark.parametrize("zero", [True, False])
def test_a_loop_that_bypasses_the_models_forward_is_checked_for_zeroing(zero):
    f = find(check_torch(as_spec(_bypassing(zero)), FAST), "training.gradients_not_zeroed")
    assert f.status is (Status.PASS if zero else Status.FAIL), f.message
    assert f.details["steps_checked"] == 6  # after steps 0-3, 16 and 32 of 48


def test_a_train_loop_that_bypasses_the_models_forward_still_has_its_losses_seen():
    # Lightning-style: the step calls submodules, so no forward hook of the model fires;
    # the backward catcher then stays on from the first step without a loss.
    findings = check_torch(as_spec(_bypassing(zero=True)), FAST)
    f = find(findings, "training.loss_not_decreasing")
    assert f.status is Status.PASS
    assert f.details["steps"] == FAST.steps - 1  # the first step's loss is the one missed


def test_two_optimizers_with_different_rates_do_not_read_as_a_collapsing_schedule():
    # Two optimizers, each over part of the model, at rates 100x apart: the schedule is
    # read from the spec's optimizer, not from both interleaved.
    spec = loops.loop_spec(None, "train_step")
    model = spec["model"]
    body = [*model.norm.parameters(), *model.head.parameters()]
    fast = torch.optim.SGD(body, lr=0.1, momentum=0.9)
    slow = torch.optim.SGD(model.encoder.parameters(), lr=1e-3)
    model.encoder.requires_grad_(True)

    def train_step(batch):
        x, y = batch
        model.train()
        fast.zero_grad()
        slow.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        fast.step()
        slow.step()
        return loss

    spec.update(optimizer=fast, train_step=train_step, scheduler=None, frozen=None)
    findings = check_torch(as_spec({k: v for k, v in spec.items() if v is not None}), FAST)
    f = find(findings, "training.lr_schedule_too_fast")
    assert f.status is Status.PASS, f.message
    assert f.details["peak"] == 0.1 and f.details["changes"] == 0


# --- observation is sampled, but a bug between checked steps is still found and named ---


@pytest.mark.parametrize("form", FORMS)
def test_a_nan_gradient_at_an_unchecked_step_is_named_at_that_step(form):
    # Step 10 is not a checked step (the first 4, then every 16th): the NaN is seen at
    # step 11 (the loss) and the loop is run again reading every step, which names the
    # gradient at step 10 rather than the NaN outputs it caused at step 11.
    from mlgate.training.observe import checked_step

    assert not checked_step(10)
    findings = check_torch(as_spec(loops.nan_gradient_at(10, form)), FAST)
    f = find(findings, "training.not_finite")
    assert f.status is Status.FAIL
    assert f.details["step"] == 10 and f.details["tensor"] == "gradient", f.message
    assert f.message.startswith("the gradient of ")
    assert "derivative of sqrt" in f.message


def test_a_parameter_with_a_gradient_only_at_unchecked_steps_is_not_called_zero_gradient():
    # A branch of the model used on one batch only, at an unchecked step: its gradient is
    # read there (parameters without a non-zero gradient yet are read at every step).
    spec = loops.loop_spec(None, "train_step")
    model, optimizer, batches = spec["model"], spec["optimizer"], spec["batches"]
    rare = nn.Linear(4, 3)
    model.add_module("rare", rare)
    optimizer.add_param_group({"params": list(rare.parameters())})
    rare_batch = 10 % len(batches)

    def train_step(batch):
        x, y = batch
        model.train()
        optimizer.zero_grad()
        out = model(x)
        if batch is batches[rare_batch]:
            out = out + rare(x)
        loss = nn.functional.cross_entropy(out, y)
        loss.backward()
        optimizer.step()
        return loss

    spec.update(train_step=train_step, scheduler=None)
    findings = check_torch(as_spec(spec), Budget(steps=12, overfit_steps=20))
    f = find(findings, "training.parameter_not_updated")
    assert f.status is Status.PASS, f.message


def test_two_backward_passes_per_optimizer_step_in_train_are_not_accumulation():
    findings = check_torch(as_spec(loops.two_backwards_per_step()), FAST)
    f = find(findings, "training.gradients_not_zeroed")
    assert f.status is Status.PASS, f.message
    assert f.details["batches_per_step"] == 1


def test_undeclared_accumulation_in_train_with_two_backward_passes_still_warns():
    findings = check_torch(as_spec(loops.two_backwards_per_step(accumulate=4)), FAST)
    f = find(findings, "training.gradients_not_zeroed")
    assert f.status is Status.WARN, f.message
    assert "once per 4 batches" in f.message
