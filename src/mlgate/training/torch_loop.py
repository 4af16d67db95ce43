"""The PyTorch checks on the user's own loop (a spec with ``train_step`` or ``train``).

Like mlgate's own loop (``torch_checks``) it makes three seeded runs, here of the user's
loop on the user's objects, put back as found before each run and at the end
(``UserState``): the main run (``train_step`` once per batch for the step budget, or
``train(steps)`` once), the one-batch run (``train_step`` only: ``train`` cannot be
handed one batch) and the repeat run. The existing checks judge the observed runs;
the loop checks judge what the hooks saw.
"""

from __future__ import annotations

import warnings

import torch

from mlgate.findings import Finding, Status
from mlgate.reports.evidence import LossSeries, TrainingEvidence
from mlgate.training import loop_checks as lc
from mlgate.training import run_checks as rc
from mlgate.training.loop_run import LoopRun, run_loop
from mlgate.training.observe import LoopRecord
from mlgate.training.spec import Budget, TorchSpec
from mlgate.training.torch_run import Run, preserved_rng
from mlgate.training.torch_validate import (
    check_optimizer_over_model,
    frozen_names,
    validate_loop_spec,
)
from mlgate.training.user_state import UserState


def run_loop_checks(spec: TorchSpec, budget: Budget) -> tuple[list[Finding], TrainingEvidence]:
    """Every check on the user's loop; the user's objects and random state are left as
    found. Raises SpecError (exit 2) for a spec or loop that cannot be run."""
    from mlgate.training import torch_checks as tc

    validate_loop_spec(spec)
    state = UserState.take(spec.model, spec.optimizer, spec.scheduler)
    steps = budget.total_steps(max(1, len(spec.batches)))
    overfit: LoopRun | None = None
    overfit_eval: float | None = None
    try:
        with preserved_rng(), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            main = run_loop(
                spec,
                state,
                seed=budget.seed,
                steps=steps,
                time_limit=budget.time_limit,
                label="main",
            )
            if spec.train_step is not None:
                overfit, overfit_eval = _run_overfit(spec, state, budget)
            if spec.train_step is not None:
                repro = run_loop(
                    spec,
                    state,
                    seed=budget.seed,
                    steps=max(1, min(tc.REPRO_STEPS, main.run.steps)),
                    time_limit=budget.time_limit,
                    label="reproducibility",
                )
            else:
                # train(steps) gets the same steps (a schedule may be sized by them) and is
                # ended by the hooks after REPRO_STEPS optimizer steps.
                repro = run_loop(
                    spec,
                    state,
                    seed=budget.seed,
                    steps=steps,
                    time_limit=budget.time_limit,
                    label="reproducibility",
                    max_optimizer_steps=max(1, min(tc.REPRO_STEPS, main.record.optimizer_steps)),
                )
            state.restore()
            inputs, source = lc.first_inputs(spec.eval_batches, spec.batches)
            eval_finding = lc.check_eval_deterministic(spec.model, inputs, source)
    finally:
        state.restore()
    run, record = main.run, main.record
    declared = frozen_names(spec.model, spec.frozen)
    calls = _batches_trained(spec, run, record)
    series = [LossSeries.of("training run (your loop)", "loss", "step", run.losses)]
    if overfit is not None:
        series.append(LossSeries.of("one-batch run", "loss", "step", overfit.run.losses))
    findings = [
        check_optimizer_over_model(spec.model, spec.optimizer),
        tc.check_loss_finite(run),
        tc.check_tensors_finite(run),
        tc.check_parameters_updated(run),
        lc.check_frozen(run, record, declared),
        tc.check_loss_decreasing(run) if run.losses else _no_loss(),
        tc.check_overfit(overfit.run, overfit_eval) if overfit is not None else _no_overfit(),
        rc.check_reproducible(run, repro.run, budget.seed),
        lc.check_gradients_zeroed(record, spec.accumulate_grad_batches, calls),
        lc.check_lr_schedule(record),
        lc.check_training_mode(record, spec.frozen),
        lc.check_batch_order(spec.batches),
        eval_finding,
        *rc.check_warnings(caught),
        rc.check_time_limit(
            [main.run, *([overfit.run] if overfit else []), repro.run], budget.time_limit
        ),
    ]
    return findings, TrainingEvidence("PyTorch", tuple(series))


def _run_overfit(spec: TorchSpec, state: UserState, budget: Budget) -> tuple[LoopRun, float | None]:
    """``train_step`` on the first batch's first rows until the loss is small enough; when
    it falls short and ``loss_fn`` is given, the loss in eval mode as a second chance."""
    from mlgate.training import torch_checks as tc

    batch = tc._head(spec.batches[0], tc.OVERFIT_ROWS)
    result = run_loop(
        spec,
        state,
        seed=budget.seed,
        # With declared accumulation one optimizer step takes that many calls.
        steps=budget.overfit_steps * spec.accumulate_grad_batches,
        time_limit=budget.time_limit,
        label="overfit",
        batches=(batch,),
        # Stop only between optimizer steps, so a step counter in the user's closure
        # starts the next run in phase (accumulation counts calls modulo k).
        stop=lambda losses: (
            len(losses) % spec.accumulate_grad_batches == 0 and tc.overfitted(losses[0], losses[-1])
        ),
    )
    run = result.run
    if (
        spec.loss_fn is None
        or run.non_finite
        or not run.losses
        or tc.overfitted(run.losses[0], min(run.losses))
        or not (isinstance(batch, tuple) and len(batch) == 2)
    ):
        return result, None
    model = spec.model
    modes = [m.training for m in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            return result, float(spec.loss_fn(model(batch[0]), batch[1]))
    except Exception:  # eval mode is only a second chance; training mode already ran
        return result, None
    finally:
        for module, mode in zip(model.modules(), modes, strict=True):
            module.training = mode


def _batches_trained(spec: TorchSpec, run: Run, record: LoopRecord) -> int | None:
    """The batches the loop trained on, to compare with its optimizer steps: the
    ``train_step`` calls; for ``train``, the backward passes seen, or the model's training
    forwards when fewer (two losses of one forward, each backpropagated, are one batch;
    two forwards of one batch, one backward, too). None when the run ended early."""
    if run.non_finite is not None or run.stopped_by_time:
        return None
    if spec.train_step is not None or not record.train_forwards:
        return run.steps
    return min(run.steps, record.train_forwards)


def _no_overfit() -> Finding:
    return Finding(
        "training.cannot_overfit",
        Status.SKIP,
        "not applicable: train(steps) cannot be handed one batch; give train_step (with "
        "batches) to have mlgate check that your step can overfit one batch",
    )


def _no_loss() -> Finding:
    return Finding(
        "training.loss_not_decreasing",
        Status.WARN,
        "cannot be judged: no loss was seen (no tensor.backward() call in train)",
        details={"steps": 0},
    )
