"""``mlgate run``: the whole gate as mlgate.yaml describes it."""

from __future__ import annotations

from pathlib import Path

from mlgate.config import load_config
from mlgate.data.profile import ProgressFn
from mlgate.errors import ConfigError
from mlgate.findings import Report


def run_gate(config_path: str | Path, *, progress: ProgressFn | None = None) -> Report:
    config, root = load_config(config_path)
    if config.data is None:
        raise ConfigError(f"{config_path}: no stage to run; add a 'data:' section")
    from mlgate.data.gate import check_data

    data = config.data
    report = check_data(
        _path(root, data.reference),
        _path(root, data.current),
        schema=_path(root, data.schema_file) if data.schema_file else None,
        target=data.target,
        mode=data.mode,
        severity=config.severity,
        progress=progress,
    )
    _write_reports(report, config.reports, root)
    return report


def _path(root: Path, text: str) -> str:
    p = Path(text)
    return str(p if p.is_absolute() else root / p)


def _write_reports(report: Report, outputs: list, root: Path) -> None:
    from mlgate._atomic import write_text_atomic
    from mlgate.reports import render

    for out in outputs:
        write_text_atomic(_path(root, out.path), render(report, out.format))
