"""Options every report-writing command shares, in one place for every command module."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from mlgate.reports import FORMATS

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Report format. github: GitHub workflow annotations, one per problem; an error "
    "that stops the command (exit 2) is annotated too.",
)
output_option = click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the report to FILE (atomically) instead of standard output.",
)
severity_option = click.option(
    "--severity",
    multiple=True,
    metavar="CODE=LEVEL",
    help="Override a finding's severity: ignore, warn or fail (repeatable), e.g. "
    "--severity schema.new_column=fail.",
)


def engine_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--engine`` and ``--spark-master``, passed to the command as ``engine`` and
    ``spark_master`` (``engine_of`` makes the settings of them)."""
    command = click.option(
        "--spark-master",
        metavar="URL",
        default=None,
        help="With --engine spark: the master (local[N], spark://HOST:PORT, yarn, "
        "k8s://URL, sc://HOST for Spark Connect). Default: the active SparkSession, "
        "else local mode on every core.",
    )(command)
    return click.option(
        "--engine",
        type=click.Choice(("polars", "spark")),
        default="polars",
        show_default=True,
        help="What profiles the data: polars (in this process) or spark (Parquet paths "
        "or URIs, or spark:db.table; see docs/scale.md).",
    )(command)


def engine_of(engine: str, spark_master: str | None) -> Any:
    """The ``mlgate.engines.Engine`` of the options; raises ``InputError`` for a master
    given without ``--engine spark``."""
    from mlgate.engines import Engine

    return Engine(engine, spark_master)
