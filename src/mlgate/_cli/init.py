"""``mlgate init``: the command line of :mod:`mlgate.ci.init`."""

from __future__ import annotations

import click


@click.command("init")
@click.argument(
    "path",
    required=False,
    default=".",
    type=click.Path(exists=True, file_okay=False, dir_okay=True),
)
@click.option(
    "--ci",
    type=click.Choice(("github", "gitlab")),
    default="github",
    show_default=True,
    help="github: .github/workflows/mlgate.yml; gitlab: .gitlab-ci.yml.",
)
@click.option("--force", is_flag=True, help="Overwrite files that exist.")
@click.option(
    "--image-name",
    default=None,
    metavar="NAME",
    help="The serving image's name, with its registry to push to "
    "(e.g. ghcr.io/owner/app). Default: the project folder's name.",
)
@click.option(
    "--python",
    "python_version",
    default="3.11",
    show_default=True,
    metavar="X.Y",
    help="Python version of the CI jobs and of the image's base (python:X.Y-slim).",
)
def init_cmd(path: str, ci: str, force: bool, image_name: str | None, python_version: str) -> None:
    """Write mlgate.yaml, a serving Dockerfile (+ .dockerignore) and the CI pipeline
    into the project at PATH (default: here), filled from what is found there.

    A file that exists is kept, not overwritten, unless --force; the others are still
    written. Exit 0 when a file was written; exit 2 when every file exists and nothing
    was written.
    """
    from mlgate.ci.init import InitOptions, init_project

    options = InitOptions(
        ci="gitlab" if ci == "gitlab" else "github",
        force=force,
        image_name=image_name,
        python=python_version,
    )
    result = init_project(path, options)
    for name in result.written:
        click.echo(f"wrote {name}")
    for name in result.kept:
        click.echo(f"kept  {name} (it exists; --force overwrites it)")
    if result.notes:
        click.echo("next:")
        for note in result.notes:
            click.echo(f"  - {note}")
