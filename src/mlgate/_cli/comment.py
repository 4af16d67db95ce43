"""``mlgate comment``: the report as one pull request comment, updated on every push."""

from __future__ import annotations

import os
import sys

import click


@click.command("comment")
@click.option(
    "--report",
    "report_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="The JSON report to post (written with --format json).",
)
@click.option(
    "--marker",
    default="mlgate",
    show_default=True,
    metavar="NAME",
    help="Name in the comment's hidden marker <!-- mlgate-report:NAME -->; one comment "
    "per name, so separate reports (say data and training) can each keep their own.",
)
@click.option(
    "--artifact-url",
    default=None,
    metavar="URL",
    help="Where the full report is, linked when the comment is cut to GitHub's size "
    "limit. Default: this workflow run's page.",
)
@click.option("--title", default="mlgate", show_default=True, help="The heading of the comment.")
@click.option(
    "--job-summary",
    "job_summary",
    type=click.Choice(("fallback", "always", "never")),
    default="fallback",
    show_default=True,
    help="When to append the report to $GITHUB_STEP_SUMMARY: when no comment could be "
    "posted, always, or never.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Exit 2 when GitHub could not be reached or refused the comment. Without a "
    "token, outside a pull request or with a fork's read-only token it still exits 0.",
)
def comment_cmd(
    report_path: str,
    marker: str,
    artifact_url: str | None,
    title: str,
    job_summary: str,
    strict: bool,
) -> None:
    """Post the report as one comment on the pull request, and update that same comment
    on later pushes.

    Uses GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_EVENT_PATH and GITHUB_API_URL as GitHub
    Actions provides them (the job needs 'permissions: pull-requests: write'). Without a
    token, outside a pull request, or with a fork's read-only token, the report goes to
    the job summary instead and the reason to stderr. Exit 0, even when the comment
    could not be posted (2 with --strict); 2 when the report cannot be read.
    """
    from typing import cast

    from mlgate.ci.github import (
        GitHubEnv,
        SummaryMode,
        comment_marker,
        load_report,
        publish_comment,
    )
    from mlgate.errors import MlgateError
    from mlgate.reports.markdown import render_markdown

    comment_marker(marker)  # a bad name is a usage error before anything else
    report = load_report(report_path, title=title)
    markdown = render_markdown(report)
    outcome = publish_comment(
        markdown,
        env=GitHubEnv.from_environ(os.environ),
        marker=marker,
        artifact_url=artifact_url,
        summary=cast(SummaryMode, job_summary),  # click.Choice guarantees it
    )
    if outcome.action is not None:
        where = f": {outcome.url}" if outcome.url else ""
        click.echo(f"mlgate: {outcome.action} the PR comment{where}")
    elif outcome.summary == "unset":
        sys.stdout.write(markdown)
        sys.stdout.flush()
    if outcome.failed and strict:
        raise MlgateError(outcome.message or "could not post the PR comment")
    if outcome.message:
        click.echo(f"mlgate: {outcome.message}", err=True)
