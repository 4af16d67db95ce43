"""Every finding code mlgate can emit, with what it means. Codes are never renamed."""

from __future__ import annotations

CODES: dict[str, str] = {
    "quality.empty_dataset": "the dataset has fewer rows than the schema's min_rows",
    "quality.duplicate_rows": "the share of duplicate rows is above the schema's limit",
    "quality.null_fraction": "a column has more missing values (null or NaN) than allowed",
    "quality.non_finite": "NaN or inf in a column whose reference had none",
    "quality.missing_marker": "a column marks missing values differently (NaN and null)",
    "quality.out_of_range": "more values outside the schema's range than allowed",
    "quality.out_of_domain": "more values outside the schema's domain than allowed",
    "quality.constant": "a column that varied in the reference holds one value",
    "quality.unique": "an identifier whose reference values were distinct repeats a value",
    "schema.missing_column": "a required column is absent",
    "schema.new_column": "a column the schema does not know",
    "schema.type_mismatch": "a column's type differs from the schema's",
    "drift.numeric": "a continuous column's distribution moved (normalised Wasserstein)",
    "drift.categorical": "a categorical column's distribution moved (Jensen-Shannon)",
    "drift.target": "the target column's distribution moved",
    "skew.numeric": "training/serving skew in a continuous column",
    "skew.categorical": "training/serving skew in a categorical column",
    "skew.target": "training/serving skew in the target column",
    # training, PyTorch and scikit-learn-like
    "training.loss_not_finite": "the loss became NaN or inf",
    "training.not_finite": "an output, gradient or parameter became NaN or inf",
    "training.parameter_not_updated": "a trainable parameter got no gradient or did not change",
    "training.frozen_parameter_changed": "a frozen parameter (no grad, or under frozen) changed",
    "training.loss_not_decreasing": "the loss did not fall over the run",
    "training.cannot_overfit": "the model cannot overfit one small batch",
    "training.not_reproducible": "two runs with the same seed gave different results",
    "training.runtime_warning": "a warning was raised during training",
    "training.time_limit": "the time limit stopped the run before its budget of steps",
    "training.optimizer_not_over_model": "the optimizer holds tensors that are not the model's",
    "training.gradients_not_zeroed": "gradients carried over optimizer steps (zero_grad missing)",
    "training.lr_schedule_too_fast": "the learning rate collapsed early in the run",
    "training.eval_mode_in_training": "dropout or batch norm in eval mode in training forwards",
    "training.batches_ordered_by_target": "consecutive batches' label mix far from the overall",
    "training.eval_not_deterministic": "eval-mode outputs differ for the same inputs",
    "training.fit_failed": "fitting the estimator raised an error",
    "training.invalid_predictions": "predictions are not finite or have the wrong shape",
    "training.no_better_than_baseline": "the model does not beat a dummy baseline",
    "training.input_not_finite": "the training inputs hold NaN or inf",
    # model
    "model.worse_than_baseline": "a metric is worse than main's beyond its margin",
    "model.slice_worse_than_baseline": "the primary metric on one slice is worse than main's there",
    "model.metric_floor": "a metric (overall or on a slice) is below its floor",
    "model.simpler_model_better": "a dummy model does as well as the model on the same rows",
    "model.behaviour": "a behavioural test failed (invariance, direction, expected labels)",
    "model.latency": "p95 time to predict one row is above the budget",
    "model.size": "the model file is larger than the budget",
    "model.evaluation_rows": "evaluation rows without a target were left out",
    "model.invalid_predictions": "a model predicts labels the evaluation target never takes",
    # pipeline (stage pipeline:<step>; a step's output is also held to its contract
    # with the schema.* and quality.* codes)
    "pipeline.first_broken": "the first step that broke; the steps after it only inherited it",
    "pipeline.step_failed": "a step raised (at the user's file and line) or its command failed",
    "pipeline.no_contract": "a step's output has no committed contract to be checked against",
    "pipeline.rows_lost": "a step lost more rows than its contract allows (filter, inner join)",
    "pipeline.rows_multiplied": "a step has more rows than its contract allows (join on a bad key)",
    "pipeline.key_not_unique": "a contract's key repeats in a step's output",
    "pipeline.class_dropped": "a class of the target went into a step and did not come out",
    "pipeline.not_deterministic": "two runs of a step on the same inputs gave different outputs",
    "pipeline.target_leakage": "a column reproduces the target or is computed from it",
    "pipeline.changed_from_main": "a step's output differs from main's on the same sample",
    "pipeline.sample_dependent_columns": "a step's columns depend on the categories the data holds",
    # the gate itself
    "gate.nothing_checked": "mlgate.yaml names no stage yet (mlgate run --allow-empty)",
    # serving
    "serving.health": "the server's health and what it serves; fails if it exited mid-check",
    "serving.rejected_rows": "held-out rows the server refused with a 400 (input it cannot take)",
    "serving.server_error": "held-out rows the schema accepts got a 5xx or no usable answer",
    "serving.prediction_mismatch": "online predictions differ from offline ones (serving skew)",
    "serving.probability_mismatch": "online probabilities differ from the offline ones",
    "serving.bad_request_handling": "a malformed request got something other than a 4xx",
    "serving.latency": "p95 latency of a single-record request above the budget",
    "serving.throughput": "requests per second under concurrent load below the budget",
}


def is_known_code_or_prefix(code: str) -> bool:
    return any(c == code or c.startswith(code + ".") for c in CODES)


def unknown_code_message(code: str) -> str:
    """``unknown finding code 'drift.numerc'; did you mean 'drift.numeric'? ...``: the
    closest code or prefix when one is close."""
    import difflib

    prefixes = {c.rsplit(".", 1)[0] for c in CODES}
    close = difflib.get_close_matches(code, [*CODES, *sorted(prefixes)], n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown finding code {code!r}; {hint}see docs/checks.md for the codes"
