"""``mlgate pipeline infer`` and ``mlgate check pipeline``: parse, call mlgate.pipeline, exit.

Only click is imported here; pandas, Polars and the user's steps load when a command
runs.
"""

from __future__ import annotations

import click

from mlgate._cli.options import format_option, output_option, severity_option
from mlgate._cli.output import report_command

_CONFIG = click.option(
    "--config",
    "-c",
    "config_path",
    type=click.Path(dir_okay=False),
    default="mlgate.yaml",
    show_default=True,
    help="The config whose pipeline: section names the sources and steps.",
)


@click.group("pipeline")
def pipeline_group() -> None:
    """Write the contracts of a pipeline's steps (see docs/pipeline.md)."""


@pipeline_group.command("infer")
@_CONFIG
@click.option("--full", is_flag=True, help="Run the steps on every row, not the sample.")
@click.option(
    "--step",
    "steps",
    multiple=True,
    metavar="NAME",
    help="Write only this step's contract (repeatable).",
)
@report_command
def pipeline_infer_cmd(config_path: str, full: bool, steps: tuple[str, ...]) -> None:
    """Run the steps and write contracts/<step>.yaml for each DataFrame a step returns:
    its schema and what it promises about rows (kept, filtered by at most x%, one row
    per key). Commit them and review changes to them in pull requests."""
    from mlgate.pipeline.gate import infer_contracts

    for path in infer_contracts(config_path, full=full, only=steps):
        click.echo(f"wrote {path}", err=True)


@click.command("pipeline")
@_CONFIG
@click.option(
    "--empty",
    is_flag=True,
    help="Run the steps on zero-row frames with the sources' columns: the wiring only.",
)
@format_option
@output_option
@severity_option
@report_command
def check_pipeline_cmd(
    config_path: str, empty: bool, fmt: str, output: str | None, severity: tuple[str, ...]
) -> None:
    """Run the pipeline's steps on a sample and check each against its contract: schema
    and quality, rows lost or multiplied, keys, determinism, target leakage, columns
    that depend on the sample; the first step that broke is named."""
    from mlgate._cli.main import _finish, _parse_severity
    from mlgate.pipeline.gate import check_pipeline

    sev = _parse_severity(severity) if severity else None
    report = check_pipeline(config_path, empty=empty, severity=sev)
    _finish(report, fmt, output)
