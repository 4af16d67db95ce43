"""``mlgate run``: the whole gate as mlgate.yaml describes it."""

from __future__ import annotations

from pathlib import Path

from mlgate.config import Config, TrainingStage, load_config
from mlgate.data.profile import ProgressFn
from mlgate.errors import ConfigError
from mlgate.findings import Finding, Report


def run_gate(
    config_path: str | Path,
    *,
    current: str | Path | None = None,
    title: str = "mlgate gate",
    progress: ProgressFn | None = None,
) -> Report:
    """Run every stage mlgate.yaml describes, in order, into one report.

    ``current`` replaces the data stage's current data (the demo's clean batch).
    """
    config, root = load_config(config_path)
    if config.data is None and config.training is None:
        raise ConfigError(f"{config_path}: no stage to run; add a 'data:' or 'training:' section")
    findings: list[Finding] = []
    if config.data is not None:
        findings += _data_stage(config, root, current, progress).findings
    for stage in config.training_stages():
        findings += _training_stage(stage, config, root).findings
    report = Report(tuple(findings), title=title)
    _write_reports(report, config.reports, root)
    return report


def _data_stage(
    config: Config, root: Path, current: str | Path | None, progress: ProgressFn | None
) -> Report:
    from mlgate.data.gate import check_data

    data = config.data
    assert data is not None
    return check_data(
        _path(root, data.reference),
        str(current) if current is not None else _path(root, data.current),
        schema=_path(root, data.schema_file) if data.schema_file else None,
        target=data.target,
        mode=data.mode,
        severity=config.severity,
        progress=progress,
    )


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
    return check_training(entrypoint, budget=budget, severity=config.severity)


def _path(root: Path, text: str) -> str:
    p = Path(text)
    return str(p if p.is_absolute() else root / p)


def _write_reports(report: Report, outputs: list, root: Path) -> None:
    from mlgate._atomic import write_text_atomic
    from mlgate.reports import render

    for out in outputs:
        write_text_atomic(_path(root, out.path), render(report, out.format))
