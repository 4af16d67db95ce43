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


@pipeline_group.command("profiles")
@_CONFIG
@click.option(
    "--output-dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder to write <output>.profile.json and meta.json into (replaced whole).",
)
@click.option(
    "--source",
    "sources",
    multiple=True,
    metavar="NAME=PATH",
    help="Read source NAME from PATH instead (repeatable).",
)
@click.option("--sample", type=click.IntRange(min=1), default=None, help="Rows per source.")
@click.option("--seed", type=int, default=None, help="The sample's and the steps' seed.")
@click.option("--key", default=None, help="The cache key to record in meta.json.")
@report_command
def pipeline_profiles_cmd(
    config_path: str,
    output_dir: str,
    sources: tuple[str, ...],
    sample: int | None,
    seed: int | None,
    key: str | None,
) -> None:
    """Run the steps on the sample and save each output's profile: main's side of
    'check pipeline --baseline REF', which runs it in main's worktree."""
    from pathlib import Path

    from mlgate.errors import MlgateError
    from mlgate.pipeline.baseline import save_profiles
    from mlgate.pipeline.gate import prepare

    given = {}
    for item in sources:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise MlgateError(f"--source {item!r}: expected NAME=PATH, e.g. --source raw=raw.csv")
        given[name] = path
    prep = prepare(config_path, sources=given, sample=sample, seed=seed)
    save_profiles(prep.run(), Path(output_dir), key=key)


@click.command("pipeline")
@_CONFIG
@click.option(
    "--empty",
    is_flag=True,
    help="Run the steps on zero-row frames with the sources' columns: the wiring only.",
)
@click.option(
    "--baseline",
    default=None,
    metavar="REF",
    help="Compare each step's output with main's: the pipeline at the merge base of HEAD "
    "and REF (e.g. origin/main), run on the same sample in a temporary git worktree and "
    "cached in .mlgate/cache.",
)
@format_option
@output_option
@severity_option
@report_command
def check_pipeline_cmd(
    config_path: str,
    empty: bool,
    baseline: str | None,
    fmt: str,
    output: str | None,
    severity: tuple[str, ...],
) -> None:
    """Run the pipeline's steps on a sample and check each against its contract: schema
    and quality, rows lost or multiplied, keys, determinism, target leakage, columns
    that depend on the sample; the first step that broke is named."""
    from mlgate._cli.main import _finish, _parse_severity
    from mlgate.pipeline.gate import check_pipeline

    sev = _parse_severity(severity) if severity else None
    report = check_pipeline(config_path, empty=empty, baseline=baseline, severity=sev)
    _finish(report, fmt, output)
