"""``mlgate run``: the whole gate as mlgate.yaml describes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlgate._yaml import line_of
from mlgate.config import Config, ServingStage, TrainingStage, load_config
from mlgate.data.profile import ProgressFn
from mlgate.errors import ConfigError
from mlgate.findings import Finding, Report


def run_gate(
    config_path: str | Path,
    *,
    current: str | Path | None = None,
    baseline: str | None = None,
    title: str = "mlgate gate",
    progress: ProgressFn | None = None,
    allow_empty: bool = False,
) -> Report:
    """Run every stage mlgate.yaml describes, in order, into one report.

    ``current`` replaces the data stage's current data (the demo's clean batch);
    ``baseline`` is a git ref (``origin/main``): the model stage compares with the
    model at the merge base of HEAD and it. The report's ``run`` has one start and
    duration for the whole gate, the git state of the config's folder, and every
    stage's inputs, with paths as mlgate.yaml gives them.
    """
    from mlgate.runinfo import RunClock, merge_runs

    clock = RunClock.start()
    config, root = load_config(config_path)
    stages_given = (config.data, config.pipeline, config.training, config.serving, config.model)
    if all(s is None for s in stages_given):
        if allow_empty:
            # A repository that has no data or model yet (mlgate init found none): the
            # gate passes and says, in the report, that nothing was checked.
            from mlgate.findings import Status

            nothing = Finding(
                "gate.nothing_checked",
                Status.SKIP,
                f"{Path(config_path).name} names no stage yet, so nothing was checked: add "
                "'data:' (reference and current data), 'pipeline:', 'training:', 'model:' or "
                "'serving:' to gate pull requests",
                stage="gate",
            )
            report = Report((nothing,), title=title, run=clock.run_info([], cwd=root))
            _write_reports(report, config.reports, root)
            return report
        raise ConfigError(
            f"{config_path}: no stage to run; add a 'data:', 'pipeline:', 'training:', "
            "'model:' or 'serving:' section"
        )
    serving_schema = _serving_schema(config, config_path) if config.serving else None
    stages: list[Report] = []
    if config.data is not None:
        stages.append(_data_stage(config, root, current, progress, config_path))
    if config.pipeline is not None:
        from mlgate.pipeline.gate import check_pipeline

        stages.append(check_pipeline(config_path, baseline=baseline, severity=config.severity))
    for stage in config.training_stages():
        stages.append(_training_stage(stage, config, root))
    if config.model is not None:
        stages.append(_model_stage(config, root, baseline, Path(config_path).name))
    if config.serving is not None and serving_schema is not None:
        stages.append(_serving_stage(config.serving, serving_schema, config, root))
    findings: list[Finding] = [f for r in stages for f in r.findings]
    run = merge_runs((r.run for r in stages), clock, cwd=root, path=lambda p: _relative(root, p))
    # What the HTML report draws, keyed by stage (each stage keys its own).
    evidence: dict[str, Any] = {k: v for r in stages for k, v in r.evidence.items()}
    report = Report(tuple(findings), title=title, run=run, evidence=evidence)
    _write_reports(report, config.reports, root)
    return report


def _data_stage(
    config: Config,
    root: Path,
    current: str | Path | None,
    progress: ProgressFn | None,
    config_path: str | Path,
) -> Report:
    from mlgate.data.gate import UnknownTarget, check_data
    from mlgate.engines import Engine

    data = config.data
    assert data is not None
    try:
        return check_data(
            _data_path(root, data.reference),
            str(current) if current is not None else _data_path(root, data.current),
            schema=_path(root, data.schema_file) if data.schema_file else None,
            target=data.target,
            mode=data.mode,
            severity=config.severity,
            progress=progress,
            engine=Engine(data.engine, data.spark_master),
        )
    except UnknownTarget as exc:
        # Point at the config's line, where the name is to be fixed.
        try:
            text = Path(config_path).read_text(encoding="utf-8")
        except OSError:
            text = ""
        line = line_of(text, ("data", "target")) or 1
        raise ConfigError(
            f"{config_path}:{line}: data.target: {exc}", file=str(config_path), line=line
        ) from None


def _training_stage(stage: TrainingStage, config: Config, root: Path) -> Report:
    from mlgate.training.gate import check_training
    from mlgate.training.spec import Budget

    target, sep, func = stage.entrypoint.rpartition(":")
    entrypoint = (
        f"{_path(root, target)}:{func}" if sep and target.endswith(".py") else (stage.entrypoint)
    )
    budget = Budget(
        steps=stage.steps, epochs=stage.epochs, time_limit=stage.time_limit, seed=stage.seed
    )
    # The stage names the entrypoint as mlgate.yaml gives it, not the resolved path.
    return check_training(
        entrypoint,
        budget=budget,
        severity=config.severity,
        stage=f"training:{stage.entrypoint}",
    )


def _model_stage(config: Config, root: Path, baseline: str | None, config_name: str) -> Report:
    from mlgate.evaluation.stage import run_model_stage

    assert config.model is not None
    target = config.data.target if config.data else None
    if config.model.target is None and target is None:
        path = root / config_name
        try:
            line = line_of(path.read_text(encoding="utf-8"), ("model",)) or 1
        except OSError:
            line = 1
        raise ConfigError(
            f"{path}:{line}: model.target: required, as there is no data.target to fall "
            "back on; name the column the model predicts",
            file=str(path),
            line=line,
        )
    return run_model_stage(
        config.model,
        root,
        target=target,
        baseline_ref=baseline,
        severity=config.severity,
        config_name=config_name,
    )


def schema_path_of(config_path: str | Path) -> str | None:
    """The data stage's schema file as a path (relative to where mlgate runs), if any."""
    config, root = load_config(config_path)
    if config.data is None or config.data.schema_file is None:
        return None
    return _path(root, config.data.schema_file)


def _serving_schema(config: Config, config_path: str | Path) -> str:
    """The serving stage's schema: its own, else the data stage's. Checked before any
    stage runs, so a config mistake is not found minutes into the gate."""
    assert config.serving is not None
    schema = config.serving.schema_file or (config.data.schema_file if config.data else None)
    if schema is None:
        try:
            text = Path(config_path).read_text(encoding="utf-8")
        except OSError:
            text = ""
        line = line_of(text, ("serving",)) or 1
        raise ConfigError(
            f"{config_path}:{line}: serving.schema: required key is missing (there is no "
            "data.schema to fall back on); give the schema requests are checked against"
        )
    return schema


def _serving_stage(stage: ServingStage, schema: str, config: Config, root: Path) -> Report:
    from mlgate.serving.probe import ProbeSettings, ServingBudget, check_serving

    budgets = stage.budgets
    return check_serving(
        _path(root, stage.data),
        model=_path(root, stage.model),
        schema=_path(root, schema),
        target=stage.target or (config.data.target if config.data else None),
        trust_pickle=stage.trust_pickle,
        workers=stage.workers,
        budget=ServingBudget(
            latency_p50_ms=budgets.latency_p50_ms,
            latency_p95_ms=budgets.latency_p95_ms,
            latency_p99_ms=budgets.latency_p99_ms,
            min_throughput=budgets.min_throughput,
        ),
        settings=ProbeSettings(
            timeout=stage.timeout,
            max_rows=stage.max_rows,
            latency_requests=stage.timing_requests,
            throughput_requests=stage.timing_requests,
        ),
        severity=config.severity,
    )


def _relative(root: Path, path: str) -> str:
    """A path under the config's folder as mlgate.yaml would give it; others as they are."""
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return path


def _path(root: Path, text: str) -> str:
    p = Path(text)
    return str(p if p.is_absolute() else root / p)


def _data_path(root: Path, text: str) -> str:
    """A dataset's path relative to the config's folder; a Spark table (``spark:db.t``)
    or a URI (``s3://...``) as written."""
    if text.startswith("spark:") or "://" in text:
        return text
    return _path(root, text)


def _write_reports(report: Report, outputs: list, root: Path) -> None:
    from mlgate._atomic import write_text_atomic
    from mlgate.reports import render

    for out in outputs:
        write_text_atomic(_path(root, out.path), render(report, out.format))
