"""The PyTorch checks against deliberately broken training setups, and clean ones.

Each broken setup in ``broken_torch`` is modelled on a real bug; each test asserts the
finding code, its status and the words of the message that tell the user what to do.
"""

import copy
import functools
import random

import pytest

pytest.importorskip("torch")

import numpy as np
import torch
from torch import nn

from mlgate.findings import Finding, Status
from mlgate.training.gate import check_training
from mlgate.training.spec import Budget, SpecError, as_spec
from mlgate.training.torch_checks import (
    OVERFIT_ROWS,
    REPRO_STEPS,
    check_loss_decreasing,
    check_torch,
    loss_windows,
)
from mlgate.training.torch_run import Run
from tests.training import broken_torch as broken

#: Enough steps for every verdict, fewer than the defaults, to keep the file fast.
FAST = Budget(steps=48, overfit_steps=100)

CHECKS = [
    "training.optimizer_not_over_model",
    "training.loss_not_finite",
    "training.not_finite",
    "training.parameter_not_updated",
    "training.frozen_parameter_changed",
    "training.loss_not_decreasing",
    "training.cannot_overfit",
    "training.not_reproducible",
    "training.batches_ordered_by_target",
    "training.eval_not_deterministic",
    "training.runtime_warning",
    "training.time_limit",
]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def run(spec: dict, budget: Budget | None = None) -> list[Finding]:
    return check_torch(as_spec(spec), budget or Budget())


@functools.cache
def checked(setup: str, budget: Budget = FAST) -> list[Finding]:
    """The findings for a setup of ``broken_torch``, computed once for the whole file."""
    return run(getattr(broken, setup)(), budget)


def find(findings: list[Finding], name: str) -> Finding:
    matches = [f for f in findings if f.name == name]
    assert len(matches) == 1, [f.name for f in findings]
    return matches[0]


def problems(findings: list[Finding]) -> dict[str, Status]:
    return {f.name: f.status for f in findings if f.status not in (Status.PASS, Status.SKIP)}


def skipped(findings: list[Finding]) -> set[str]:
    return {f.name for f in findings if f.status is Status.SKIP}


# --- clean setups pass every check ------------------------------------------------


@pytest.mark.parametrize("setup", ["clean_regression", "clean_classifier", "clean_fine_tuning"])
def test_clean_setup_passes_every_check_with_one_finding_each(setup):
    findings = checked(setup, Budget())
    assert [f.name for f in findings] == CHECKS
    assert problems(findings) == {}, [f.message for f in findings if f.status is not Status.PASS]
    # Only the fine-tuning setup freezes parameters; elsewhere that check does not apply.
    frozen = set() if setup == "clean_fine_tuning" else {"training.frozen_parameter_changed"}
    assert skipped(findings) == frozen


def test_frozen_encoder_left_out_of_the_optimizer_is_counted_and_passes():
    f = find(checked("clean_fine_tuning", Budget()), "training.frozen_parameter_changed")
    assert f.status is Status.PASS
    assert f.details["frozen"] == 2
    assert "all 2 frozen parameters stayed unchanged" in f.message


def test_passing_findings_carry_the_numbers_behind_them():
    findings = checked("clean_regression", Budget())
    decrease = find(findings, "training.loss_not_decreasing")
    assert decrease.details["last_mean"] < decrease.details["first_mean"]
    assert decrease.details["window"] == 24  # 20% of 100 steps, rounded up to whole passes
    overfit = find(findings, "training.cannot_overfit")
    assert overfit.details["best"] <= 0.1 * overfit.details["start"]
    assert find(findings, "training.not_reproducible").details["steps"] == REPRO_STEPS


def test_the_gate_reports_a_clean_spec_as_passed():
    report = check_training(broken.clean_regression(), budget=Budget(steps=40))
    assert report.passed
    assert report.title == "mlgate training check (PyTorch)"


# --- the user's objects are left as they were -------------------------------------


def test_checks_leave_model_optimizer_grads_and_random_state_untouched():
    spec = broken.clean_classifier()
    model, optimizer = spec["model"], spec["optimizer"]
    x, y = spec["batches"][0]
    nn.CrossEntropyLoss()(model(x), y).backward()
    optimizer.step()  # momentum state and .grad exist, as after a user's own step
    model.eval()
    state = copy.deepcopy(model.state_dict())
    opt_state = copy.deepcopy(optimizer.state_dict())
    grads = [p.grad.clone() for p in model.parameters()]
    params = list(model.parameters())
    rng = (torch.random.get_rng_state(), random.getstate(), np.random.get_state()[1].copy())

    findings = run(spec, Budget(steps=30))

    assert problems(findings).keys() <= {"training.loss_not_decreasing"}
    after = model.state_dict()
    assert state.keys() == after.keys()
    assert all(torch.equal(state[k], after[k]) for k in state)  # running stats included
    assert _same_optimizer_state(opt_state, optimizer.state_dict())
    assert all(torch.equal(g, p.grad) for g, p in zip(grads, model.parameters(), strict=True))
    assert optimizer.param_groups[0]["params"] == params  # still over the user's tensors
    assert not model.training  # eval mode kept
    assert torch.equal(rng[0], torch.random.get_rng_state())
    assert rng[1] == random.getstate()
    assert (rng[2] == np.random.get_state()[1]).all()


def _same_optimizer_state(a: dict, b: dict) -> bool:
    if a["param_groups"] != b["param_groups"] or a["state"].keys() != b["state"].keys():
        return False
    return all(
        torch.equal(torch.as_tensor(v), torch.as_tensor(b["state"][i][k]))
        for i, s in a["state"].items()
        for k, v in s.items()
    )


def test_same_spec_and_seed_give_the_same_findings():
    first = [f.to_dict() for f in run(broken.clean_classifier(), Budget(steps=30))]
    second = [f.to_dict() for f in run(broken.clean_classifier(), Budget(steps=30))]
    assert first == second


# --- the spec itself: exit 2 with one line ----------------------------------------


def test_optimizer_over_another_models_parameters_is_a_finding_not_a_usage_error():
    findings = run(broken.optimizer_over_other_model(), FAST)
    f = find(findings, "training.optimizer_not_over_model")
    assert f.status is Status.FAIL
    assert "not parameters of the model" in f.message and "re-created" in f.message
    assert "torch.optim.Adam(model.parameters()" in f.message
    assert f.details == {"optimizer_tensors": 4, "foreign_tensors": 4}
    # The model it should train never moves, and says why.
    assert find(findings, "training.parameter_not_updated").status is Status.FAIL


def _with(**changes):
    spec = broken.clean_regression()
    spec.update(changes)
    return spec


@pytest.mark.parametrize(
    ("batches", "words"),
    [
        ([], "batches is empty"),
        ([(torch.zeros(0, 4), torch.zeros(0, 1))], "batch 0 is empty (0 rows)"),
        (
            [(torch.zeros(8, 4), torch.zeros(8, 1)), (torch.zeros(8, 4), torch.zeros(7, 1))],
            "batch 1 has 8 input rows but 7 target rows",
        ),
        ([(np.zeros((8, 4)), torch.zeros(8, 1))], "not torch tensors; convert them"),
        ([(torch.zeros(8, 4), torch.zeros(8, 1), torch.zeros(8))], "(inputs, targets) pair"),
        ([(torch.tensor(1.0), torch.zeros(1))], "0-d tensor"),
    ],
)
def test_malformed_batches_are_spec_errors(batches, words):
    with pytest.raises(SpecError) as exc:
        run(_with(batches=batches))
    assert words in str(exc.value)
    assert "\n" not in str(exc.value)


def test_integer_inputs_into_a_float_model_are_a_spec_error_naming_both_dtypes():
    x, y = broken.regression_data()
    batches = [(torch.round(x[:32] * 10).long(), y[:32])]
    with pytest.raises(SpecError) as exc:
        run(_with(batches=batches))
    message = str(exc.value)
    assert "inputs of batch 0 are int64" in message
    assert "the model's parameters are float32" in message
    assert "inputs.to(torch.float32)" in message


def test_an_unreduced_loss_is_a_spec_error():
    with pytest.raises(SpecError, match=r"shape \(32, 1\) on batch 0, not a scalar"):
        run(_with(loss_fn=nn.MSELoss(reduction="none")))


def test_a_loss_returned_as_a_python_float_is_a_spec_error():
    with pytest.raises(SpecError, match="returned a float on batch 0, not a tensor"):
        run(_with(loss_fn=lambda out, y: nn.functional.mse_loss(out, y).item()))


def test_an_exception_in_forward_is_a_spec_error_naming_the_step_and_place():
    class Broken(nn.Module):
        def forward(self, x):
            raise KeyError("feature 'bill_depth'")

    model = Broken()
    model.w = nn.Parameter(torch.zeros(1))
    spec = _with(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(
        SpecError, match="the model's forward failed on batch 0 at step 0: KeyError"
    ):
        run(spec)


def test_the_user_objects_must_be_a_module_and_an_optimizer():
    with pytest.raises(SpecError, match=r"not a torch\.nn\.Module"):
        run(_with(model=lambda x: x))
    with pytest.raises(SpecError, match=r"not a torch\.optim\.Optimizer"):
        run(_with(optimizer=object()))


# --- finite values ------------------------------------------------------------------


def test_log_of_zero_in_a_hand_written_loss_fails_naming_step_and_cause():
    findings = checked("log_of_zero_in_loss")
    loss = find(findings, "training.loss_not_finite")
    assert loss.status is Status.FAIL
    assert "the loss became NaN at step 0 (batch 0)" in loss.message
    assert "log or division of zero" in loss.message and "BCEWithLogitsLoss" in loss.message
    assert loss.details["cause"] == "log_or_division_of_zero"
    # the outputs were finite: the loss alone is to blame
    assert find(findings, "training.not_finite").status is Status.PASS
    # nothing else can be judged on a run that never took a finite step
    assert find(findings, "training.parameter_not_updated").status is Status.WARN


def test_exploding_learning_rate_is_named_as_an_overflow_after_large_updates():
    findings = checked("exploding_learning_rate")
    failed = [
        f
        for f in findings
        if f.name in ("training.loss_not_finite", "training.not_finite") and f.status is Status.FAIL
    ]
    assert failed
    for f in failed:
        assert f.details["cause"] == "overflow"
        assert "overflow after large updates" in f.message
        assert "lower the learning rate" in f.message
        assert f.details["step"] > 0
    assert find(findings, "training.cannot_overfit").status is Status.FAIL


def test_nan_in_the_inputs_is_blamed_on_the_inputs_of_that_batch():
    findings = checked("nan_in_inputs")
    tensors = find(findings, "training.not_finite")
    assert tensors.status is Status.FAIL
    assert tensors.message.startswith("outputs became NaN at step 2 (batch 2)")
    assert "the inputs of batch 2 already hold NaN" in tensors.message
    assert tensors.details == {"step": 2, "batch": 2, "tensor": "outputs", "cause": "inputs"}
    loss = find(findings, "training.loss_not_finite")
    assert loss.status is Status.FAIL and "after the outputs became NaN" in loss.message
    assert find(findings, "training.loss_not_decreasing").status is Status.WARN


def test_a_parameter_overflowing_in_the_optimizer_step_is_named():
    model = broken.mlp()
    x, y = broken.regression_data()
    # the loss and gradients are finite, but lr * grad overflows float32 in the first step
    spec = broken._spec(
        model, torch.optim.SGD(model.parameters(), lr=1e30), nn.MSELoss(), [(x, 1e9 * y)]
    )
    f = find(run(spec), "training.not_finite")
    assert f.status is Status.FAIL
    assert f.message.startswith("parameter ") and "at step 0" in f.message
    assert f.column is not None and f.details["tensor"] == "parameter"
    assert "lower the learning rate" in f.message


# --- parameters ---------------------------------------------------------------------


def test_detached_layer_gets_no_gradient_and_is_named():
    f = find(checked("detached_layer"), "training.parameter_not_updated")
    assert f.status is Status.FAIL
    assert "2 of 4 trainable parameters" in f.message
    assert "body.0.weight, body.0.bias: no gradient" in f.message and ".detach()" in f.message
    assert f.details["parameters"] == {
        "body.0.weight": "no_gradient",
        "body.0.bias": "no_gradient",
    }


def test_zero_learning_rate_gives_gradients_but_no_change():
    findings = checked("zero_learning_rate")
    f = find(findings, "training.parameter_not_updated")
    assert f.status is Status.FAIL
    assert "a gradient but no change" in f.message and "learning rate is 0" in f.message
    assert set(f.details["parameters"].values()) == {"zero_lr"}
    decrease = find(findings, "training.loss_not_decreasing")
    assert decrease.status is Status.FAIL
    assert decrease.details["relative_drop"] == 0.0  # whole-pass windows: same batches
    assert "learning rate" in decrease.message
    assert find(findings, "training.cannot_overfit").status is Status.FAIL


def test_dead_relus_give_zero_gradients_to_the_layers_before_them():
    f = find(checked("dead_relu"), "training.parameter_not_updated")
    assert f.status is Status.FAIL
    assert f.details["parameters"] == {
        "0.weight": "zero_gradient",
        "0.bias": "zero_gradient",
        "2.weight": "zero_gradient",
    }
    assert "a zero gradient at every step (dead ReLUs" in f.message
    assert "very negative biases" in f.message


def test_a_parameter_left_out_of_the_optimizer_is_named():
    model = broken.mlp()
    x, y = broken.regression_data()
    optimizer = torch.optim.Adam(model[2].parameters(), lr=1e-2)  # forgot the first layer
    spec = broken._spec(model, optimizer, nn.MSELoss(), broken.batches_of(x, y))
    f = find(run(spec, FAST), "training.parameter_not_updated")
    assert f.status is Status.FAIL
    assert "0.weight, 0.bias: a gradient but no change; they are not in the optimizer" in (
        f.message
    )
    assert "requires_grad_(False)" in f.message


def test_a_loss_computed_without_grad_names_the_missing_graph():
    spec = _with(
        loss_fn=lambda out, y: nn.functional.mse_loss(out.detach(), y),
    )
    f = find(run(spec, FAST), "training.parameter_not_updated")
    assert f.status is Status.FAIL
    assert "4 of 4" in f.message and "the loss does not require grad" in f.message


def test_mlgates_loop_zeroes_as_pytorch_2_does_so_weight_decay_spares_a_frozen_layer():
    # zero_grad() sets .grad to None (PyTorch 2's default), so SGD skips the frozen
    # encoder as the user's own PyTorch 2 loop would; a loop that zeroes in place
    # (set_to_none=False) is caught in the loop form (test_loop_checks).
    f = find(checked("frozen_layer_in_optimizer"), "training.frozen_parameter_changed")
    assert f.status is Status.PASS
    assert f.details["frozen"] == 2


def test_frozen_parameter_written_in_forward_fails_and_points_to_buffers():
    f = find(checked("frozen_parameter_written_in_forward"), "training.frozen_parameter_changed")
    assert f.status is Status.FAIL
    assert f.column == "scale"
    assert f.message.startswith("1 parameter with requires_grad=False changed")
    assert "changed outside the optimizer" in f.message and "register_buffer" in f.message


def test_a_model_with_every_parameter_frozen_fails_as_nothing_trains():
    model = broken.mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model.requires_grad_(False)
    x, y = broken.regression_data()
    spec = broken._spec(model, optimizer, nn.MSELoss(), broken.batches_of(x, y))
    f = find(run(spec, Budget(steps=6, overfit_steps=2)), "training.parameter_not_updated")
    assert f.status is Status.FAIL and "nothing trains" in f.message


def test_batch_norm_running_statistics_are_buffers_not_frozen_parameters():
    f = find(checked("clean_classifier", Budget()), "training.frozen_parameter_changed")
    assert f.status is Status.SKIP and f.details["frozen"] == 0
    assert f.message == (
        "not applicable: no parameter is frozen (requires_grad=False), so none can change"
    )


# --- the loss and overfitting --------------------------------------------------------


def test_broadcasting_mse_cannot_overfit_and_its_warning_becomes_a_finding():
    findings = checked("broadcasting_mse")
    overfit = find(findings, "training.cannot_overfit")
    assert overfit.status is Status.FAIL
    assert f"cannot overfit one batch of at most {OVERFIT_ROWS} rows" in overfit.message
    assert "(N,1) output against (N,) targets broadcasts" in overfit.message
    assert overfit.details["best"] > 0.5 * overfit.details["start"]
    warned = find(findings, "training.runtime_warning")
    assert warned.status is Status.WARN
    assert warned.message.startswith("UserWarning raised")
    assert "Using a target size (torch.Size([32]))" in warned.message
    assert "outputs.squeeze(-1)" in warned.message
    assert warned.details["category"] == "UserWarning" and warned.details["count"] > 1


def test_softmax_before_cross_entropy_cannot_overfit():
    findings = checked("softmax_before_cross_entropy")
    f = find(findings, "training.cannot_overfit")
    assert f.status is Status.FAIL
    assert "no softmax before it" in f.message
    assert 0.3 < f.details["best"] / f.details["start"] < 0.9
    assert f.details["steps"] == f.details["budget"] == FAST.overfit_steps


def test_overfitting_stops_as_soon_as_the_loss_is_small_enough():
    f = find(checked("clean_regression", Budget()), "training.cannot_overfit")
    assert f.status is Status.PASS
    assert f.details["steps"] < Budget().overfit_steps


def test_loss_judged_on_windows_not_on_two_noisy_points():
    # noisy but falling: the last point is above the first, the windows still fall
    losses = [1.0 + 0.5 * (-1) ** i - 0.01 * i for i in range(50)]
    losses[-1] = 2.0
    f = check_loss_decreasing(Run(label="main", planned=50, losses=losses))
    assert f.status is Status.PASS
    # flat but noisy: no drop
    flat = [1.0 + 0.3 * (-1) ** i for i in range(50)]
    f = check_loss_decreasing(Run(label="main", planned=50, losses=flat))
    assert f.status is Status.FAIL and "fell only 0.0%" in f.message
    rising = [1.0 + 0.1 * i for i in range(20)]
    f = check_loss_decreasing(Run(label="main", planned=20, losses=rising))
    assert f.status is Status.FAIL and "rose" in f.message and "too high" in f.message


def test_too_few_steps_warn_that_the_loss_cannot_be_judged():
    findings = run(broken.clean_regression(), Budget(steps=4))
    f = find(findings, "training.loss_not_decreasing")
    assert f.status is Status.WARN and "cannot be judged on 4 finite steps" in f.message


def test_loss_windows_span_whole_passes_over_the_batches():
    assert loss_windows(5) is None
    assert loss_windows(6) == (3, 3)
    assert loss_windows(100) == (20, 80)
    assert loss_windows(100, n_batches=8) == (24, 72)
    assert loss_windows(100, n_batches=30) == (20, 80)  # too many batches to align


# --- reproducibility, warnings, time ------------------------------------------------


def test_noise_from_an_unseeded_generator_is_not_reproducible_and_warns():
    f = find(checked("unseeded_noise"), "training.not_reproducible")
    assert f.status is Status.WARN
    assert f.message.startswith("two runs with seed 0 parted at step 0")
    assert "os.urandom" in f.message
    assert f.details["step"] == 0 and f.details["first"] != f.details["second"]


def test_dropout_under_the_seed_is_reproducible():
    f = find(checked("clean_classifier", Budget()), "training.not_reproducible")
    assert f.status is Status.PASS and f.details["steps"] == REPRO_STEPS


def test_a_warning_on_every_step_becomes_one_finding_with_its_count():
    findings = run(broken.warns_every_step(), Budget(steps=10, overfit_steps=5))
    warned = [f for f in findings if f.name == "training.runtime_warning"]
    assert len(warned) == 1
    assert warned[0].status is Status.WARN
    # 10 main steps, 5 one-batch steps and its eval-mode retry, 10 steps of the second run,
    # the two forwards of the eval-mode determinism check
    assert "FutureWarning raised 28x during training" in warned[0].message
    assert "clamping activations; this API is deprecated" in warned[0].message
    assert warned[0].details["count"] == 28


def test_the_time_limit_stops_the_runs_with_a_warning_and_judges_what_ran():
    findings = run(broken.clean_regression(), Budget(time_limit=1e-9))
    f = find(findings, "training.time_limit")
    assert f.status is Status.WARN
    assert "stopped the main run after 1 of 100 steps" in f.message
    assert f.details["runs"]["main"] == {"steps": 1, "planned": 100}
    assert find(findings, "training.loss_not_decreasing").status is Status.WARN
    assert find(findings, "training.cannot_overfit").status is Status.WARN


def test_float16_with_adams_default_eps_names_eps_not_the_learning_rate():
    findings = checked("float16_adam")
    f = find(findings, "training.not_finite")
    assert f.status is Status.FAIL
    assert f.details["cause"] == "float16_eps"
    assert "eps=1e-08 underflows in float16" in f.message
    assert "GradScaler" in f.message and "clip" not in f.message
