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
    "(e.g. ghcr.io/owner/app). Default: the image an existing workflow pushes, else "
    "the project folder's name.",
)
@click.option(
    "--python",
    "python_version",
    default=None,
    metavar="X.Y",
    help="Python version of the project's CI jobs. Default: the project's own "
    "(.python-version, runtime.txt, pyproject.toml's requires-python, its existing "
    "workflows, setup.py), else 3.11.",
)
@click.option(
    "--mlgate-spec",
    default=None,
    metavar="SPEC",
    help="Where CI installs mlgate from: a version (0.1.0), a git URL "
    "(git+https://host/org/mlgate@TAG) or a wheel in the project (dist/mlgate-….whl). "
    "Default: where this mlgate came from (a git commit or URL), else its version.",
)
def init_cmd(
    path: str,
    ci: str,
    force: bool,
    image_name: str | None,
    python_version: str | None,
    mlgate_spec: str | None,
) -> None:
    """Write mlgate.yaml, a serving Dockerfile (+ .dockerignore) and the CI pipeline
    into the project at PATH (default: here), adapted to what is found there: data (by
    content, DVC-tracked too), framework, Python version, default branch, and existing
    workflows, whose image publishing is kept as it is.

    Prints what it found, what it wrote and kept, and what to review. A file that
    exists is kept, not overwritten, unless --force (an empty Dockerfile counts as
    absent); the others are still written. Exit 0 when a file was written; exit 2 for
    bad options or when every file exists and nothing was written.
    """
    from mlgate.ci.init import InitOptions, init_project

    options = InitOptions(
        ci="gitlab" if ci == "gitlab" else "github",
        force=force,
        image_name=image_name,
        python=python_version,
        mlgate_spec=mlgate_spec,
    )
    result = init_project(path, options)
    click.echo("found:")
    for line in result.found:
        click.echo(f"  - {line}")
    for name in result.written:
        click.echo(f"wrote {name}")
    for name in result.kept:
        click.echo(f"kept  {name} (it exists; --force overwrites it)")
    if result.notes:
        click.echo("review:")
        for note in result.notes:
            click.echo(f"  - {note}")
