"""Options every report-writing command shares, in one place for every command module."""

from __future__ import annotations

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
