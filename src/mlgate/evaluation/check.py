"""``check_model``: read the evaluation rows, get both models' predictions (the baseline's
from a folder, the cache, or by predicting and then caching), and judge them."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mlgate.errors import InputError
from mlgate.evaluation import baseline as bl
from mlgate.evaluation.behaviour import Behaviour
from mlgate.evaluation.gate import ModelGateSettings, judge
from mlgate.evaluation.predictions import (
    DEFAULT_ID,
    EvalData,
    ModelOutput,
    is_model_file,
    load_eval_data,
    model_input,
    predict_with_entrypoint,
    predict_with_model_file,
    read_predictions,
)
from mlgate.findings import Finding, Report, Status
from mlgate.runinfo import Input, RunClock

#: Rows timed one at a time for the latency budget.
LATENCY_ROWS = 100


@dataclass(frozen=True)
class Budgets:
    """``latency_p95_ms``: p95 of predicting one row, in milliseconds; ``max_size_mb``:
    the model file's size in MiB. None: not checked."""

    latency_p95_ms: float | None = None
    max_size_mb: float | None = None


def check_model(
    data: str,
    target: str,
    *,
    model: str,
    baseline: str | None = None,
    settings: ModelGateSettings | None = None,
    budgets: Budgets | None = None,
    trust_pickle: bool = False,
    id_column: str = DEFAULT_ID,
    cache_dir: str | Path | None = bl.DEFAULT_CACHE,
    train_data: str | None = None,
    behaviour: Behaviour | None = None,
    severity: Mapping[str, str] | None = None,
) -> Report:
    """Judge ``model`` against ``baseline`` on the rows of ``data``.

    ``model`` and ``baseline`` are each a saved model file (``.skops``; pickles with
    ``trust_pickle``), an entrypoint ``FILE.py:FUNC``, or a predictions file; the
    baseline may also be a folder from ``mlgate baseline save``. A baseline model's
    predictions are cached under ``cache_dir`` (None: no cache), keyed by its digest,
    the data's and the target and id column. ``train_data``: fit a linear model there
    that the candidate must beat too. ``behaviour``: behavioural tests to run. Raises
    ``InputError`` (exit 2) for input that cannot be used.
    """
    clock = RunClock.start()
    require_extra()
    settings = settings or ModelGateSettings()
    budgets = budgets or Budgets()
    eval_data = load_eval_data(data, target, id_column=id_column)
    candidate = model_output(model, eval_data, trust_pickle=trust_pickle)
    base, note = None, ""
    if baseline is not None:
        base, note = baseline_output(
            baseline,
            eval_data,
            trust_pickle=trust_pickle,
            cache_dir=Path(cache_dir) if cache_dir is not None else None,
        )
    inputs = [eval_data.run_input(), model_input(candidate, "model", model)]
    if base is not None and baseline is not None:
        inputs.append(model_input(base, "baseline", baseline))
    return judge_all(
        eval_data,
        candidate,
        base,
        settings,
        budgets=budgets,
        model_file=model if is_model_file(model) else None,
        note=note,
        train_data=train_data,
        behaviour=behaviour,
        severity=severity,
        run=(clock, inputs),
    )


def judge_all(
    data: EvalData,
    candidate: ModelOutput,
    baseline: ModelOutput | None,
    settings: ModelGateSettings,
    *,
    budgets: Budgets,
    model_file: str | None,
    note: str,
    train_data: str | None,
    behaviour: Behaviour | None,
    severity: Mapping[str, str] | None,
    run: tuple[RunClock, list[Input]] | None = None,
) -> Report:
    """``judge`` with everything around the metrics: the rows left out, the latency and
    size budgets, the behavioural tests and a linear model fitted on ``train_data``.
    ``run``: the clock started with the stage and its inputs so far, for the report's
    ``run`` object (training data is added here)."""
    from dataclasses import replace

    from mlgate.evaluation.behaviour import behaviour_findings
    from mlgate.evaluation.gate import infer_task

    settings = replace(settings, task=settings.task or infer_task(data, candidate))
    extra = [_input_finding(data)] if data.dropped_null_target else []
    extra += latency_findings(candidate, data, budgets.latency_p95_ms)
    extra += model_file_findings(model_file, budgets.max_size_mb)
    if behaviour:
        extra += behaviour_findings(behaviour, candidate, data)
    simpler = []
    if train_data is not None and settings.simpler_model:
        from mlgate.evaluation.simpler import linear_model

        assert settings.task is not None
        simpler.append(linear_model(train_data, data, settings.task))
    report = judge(
        data,
        candidate,
        baseline,
        settings,
        baseline_note=note,
        severity=severity,
        extra=extra,
        simpler=simpler,
    )
    if run is None:
        return report
    clock, inputs = run
    if train_data is not None:
        from mlgate.runinfo import data_input

        inputs = [*inputs, data_input("training data", train_data)]
    return replace(report, run=clock.run_info(inputs))


def require_extra() -> None:
    """Raise ``MissingExtraError`` (exit 2) unless the model gate's libraries import."""
    from mlgate.errors import MissingExtraError

    for module, name in (("sklearn", "scikit-learn"), ("statsmodels", "statsmodels")):
        try:
            __import__(module)
        except ImportError:
            raise MissingExtraError(name, "model") from None


def is_entrypoint(ref: str) -> bool:
    """``FILE.py:FUNC`` or ``package.module:FUNC`` (a path that exists is a file)."""
    target, sep, func = ref.rpartition(":")
    return bool(sep and target and func.isidentifier() and not Path(ref).exists())


def model_output(ref: str, data: EvalData, *, trust_pickle: bool) -> ModelOutput:
    """Predictions of a model file, an entrypoint, a baseline folder or a predictions file."""
    if is_entrypoint(ref):
        return predict_with_entrypoint(ref, data)
    if is_model_file(ref):
        return predict_with_model_file(ref, data, trust_pickle=trust_pickle)
    path = Path(ref)
    if path.is_dir() and (path / bl.META).exists():
        return bl.load_baseline(path, data, trust_pickle=trust_pickle)[0]
    if not path.exists():
        raise InputError(
            f"{ref}: no such file or folder; give a model file, FILE.py:FUNC or a predictions file"
        )
    return read_predictions(ref, data)


def baseline_output(
    ref: str, data: EvalData, *, trust_pickle: bool, cache_dir: Path | None
) -> tuple[ModelOutput, str]:
    """Main's predictions and how they were obtained (a saved folder, the cache, or
    predicted now and cached)."""
    path = Path(ref)
    if path.is_dir() and (path / bl.META).exists():
        return bl.load_baseline(path, data, trust_pickle=trust_pickle)
    if is_model_file(ref) and cache_dir is not None and path.is_file():
        from mlgate._digest import file_digest

        key = bl.cache_key(
            identity=file_digest([path]),
            data_digest=data.digest,
            config=prediction_config(data, trust_pickle),
        )
        return cached_or_computed(
            cache_dir,
            key,
            data,
            lambda: model_output(ref, data, trust_pickle=trust_pickle),
            trust_pickle=trust_pickle,
            model_path=ref,
        )
    return model_output(ref, data, trust_pickle=trust_pickle), "predicted now"


def prediction_config(data: EvalData, trust_pickle: bool, *extra: str) -> str:
    """The parts of the model stage's config that change predictions, for cache keys."""
    return "\n".join(
        [f"target={data.target}", f"id={data.id_column}", f"trust_pickle={trust_pickle}", *extra]
    )


def cached_or_computed(
    cache_dir: Path,
    key: str,
    data: EvalData,
    compute: Callable[[], ModelOutput],
    *,
    trust_pickle: bool,
    model_path: str | None,
    commit: str | None = None,
) -> tuple[ModelOutput, str]:
    """The cache entry ``key``'s predictions, or ``compute()`` saved there first."""
    out, why = bl.cached(cache_dir, key, data, trust_pickle=trust_pickle)
    if out is not None:
        return out, f"cached in {cache_dir / key}"
    fresh = compute()
    try:
        bl.save_baseline(
            cache_dir / key, fresh, data, model_path=model_path, commit=commit, key=key
        )
    except (InputError, OSError) as exc:  # a cache that cannot be written is no failure
        return fresh, f"predicted now; not cached ({exc})"
    return fresh, f"predicted now and cached in {cache_dir / key} ({why})"


def latency_findings(output: ModelOutput, data: EvalData, budget_ms: float | None) -> list[Finding]:
    """p95 wall time of predicting one row at a time (``model.latency``)."""
    if budget_ms is None:
        return []
    if output.predict is None:
        return [Finding("model.latency", Status.SKIP, f"{output.source}: no model to time")]
    names = getattr(output.model, "feature_names_in_", None)
    frame = data.features(None if names is None else [str(n) for n in names])
    rows = min(LATENCY_ROWS, len(frame))
    times = []
    predict: Any = output.predict
    for i in range(rows):
        one = frame.iloc[i : i + 1]
        start = time.perf_counter()
        predict(one)
        times.append((time.perf_counter() - start) * 1000)
    p95 = float(np.percentile(times, 95))
    details = {"p95_ms": p95, "budget_ms": budget_ms, "rows_timed": rows}
    if p95 > budget_ms:
        return [
            Finding(
                "model.latency",
                Status.FAIL,
                f"predicting one row takes {p95:.1f} ms at p95 ({rows} rows timed), above "
                f"the {budget_ms:g} ms budget; make the model faster or raise "
                "model.budgets.latency_p95_ms",
                details=details,
            )
        ]
    return [
        Finding(
            "model.latency",
            Status.PASS,
            f"predicting one row takes {p95:.1f} ms at p95, within {budget_ms:g} ms",
            details=details,
        )
    ]


def model_file_findings(path: str | None, max_size_mb: float | None) -> list[Finding]:
    """The model file's size against its budget (``model.size``)."""
    if max_size_mb is None:
        return []
    if path is None:
        return [Finding("model.size", Status.SKIP, "no model file to measure")]
    size = Path(path).stat().st_size / 2**20
    details = {"size_mb": size, "budget_mb": max_size_mb, "path": path}
    if size > max_size_mb:
        return [
            Finding(
                "model.size",
                Status.FAIL,
                f"the model file is {size:.1f} MB, above its budget of {max_size_mb:g} MB; "
                "shrink the model or raise model.budgets.max_size_mb",
                details=details,
            )
        ]
    return [
        Finding(
            "model.size",
            Status.PASS,
            f"the model file is {size:.1f} MB, within {max_size_mb:g} MB",
            details=details,
        )
    ]


def _input_finding(data: EvalData) -> Finding:
    return Finding(
        "model.evaluation_rows",
        Status.WARN,
        f"{data.path}: {data.dropped_null_target} rows have no {data.target!r} and were left "
        f"out; {data.rows} rows were scored",
        data.target,
        {"dropped": data.dropped_null_target, "rows": data.rows},
    )
