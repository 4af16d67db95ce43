"""The texts ``mlgate init`` writes, rendered from the Jinja2 templates in ``templates/``.

The templates use ``{= value =}`` for values, ``{% ... %}`` for blocks and ``{## ... ##}``
for comments instead of Jinja2's defaults, so that GitHub's ``${{ ... }}``, Docker's
``{{.State}}`` and the shell's ``${#var}`` pass through untouched.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlgate import __version__

if TYPE_CHECKING:
    import jinja2

PORT = 8000
DOCKER_VERSION = "27.3.1"  # docker and docker:dind images of the GitLab image job
#: The oldest Python mlgate runs on: CI gives mlgate its own when the project's is older.
MLGATE_MIN_PYTHON = (3, 11)


@dataclass(frozen=True)
class Pin:
    """A GitHub Action pinned to a full commit SHA, with the release it is."""

    action: str
    sha: str
    version: str

    def __str__(self) -> str:
        return f"{self.action}@{self.sha} # {self.version}"


# Each SHA is the commit its release tag points to; update both together. Checked on
# 2026-11-29 against public workflow logs, where the runner prints the SHA it resolved
# for the tag (e.g. "Download action repository 'actions/setup-python@v5' (SHA:a26af69…)").
# actions/cache v4.2.3: on 2026-11-30, the same SHA with that tag in several public
# workflows and a runner log.
ACTIONS = {
    "checkout": Pin("actions/checkout", "11bd71901bbe5b1630ceea73d27597364c9af683", "v4.2.2"),
    "cache": Pin("actions/cache", "5a3ec84eff668545956fd18022155c47e93e2684", "v4.2.3"),
    "setup_python": Pin(
        "actions/setup-python", "a26af69be951a213d495a4c3e4e4022e16d87065", "v5.6.0"
    ),
    "upload_artifact": Pin(
        "actions/upload-artifact", "ea165f8d65b6e75b540449e92b4886f43607fa02", "v4.6.2"
    ),
    "login": Pin("docker/login-action", "74a5d142397b4f367a81961eba4e8cd7edddf772", "v3.4.0"),
}

TEMPLATES = {
    "mlgate.yaml": "mlgate.yaml.j2",
    "Dockerfile": "Dockerfile.j2",
    ".dockerignore": "dockerignore.j2",
    ".github/workflows/mlgate.yml": "github-workflow.yml.j2",
    ".gitlab-ci.yml": "gitlab-ci.yml.j2",
}


def mlgate_python(project_python: str) -> str:
    """The Python CI runs mlgate with: the project's, unless it is older than mlgate's
    oldest (then that one, in mlgate's own environment)."""
    major, minor = (int(p) for p in project_python.split("."))
    if (major, minor) >= MLGATE_MIN_PYTHON:
        return project_python
    return ".".join(str(p) for p in MLGATE_MIN_PYTHON)


def render(names: tuple[str, ...], context: dict[str, Any]) -> dict[str, str]:
    """The text of each file in ``names`` (keys of TEMPLATES), rendered with ``context``
    plus the version, the port, the Docker version and the pinned actions."""
    env = _environment()
    full = {
        "version": __version__,
        "port": PORT,
        "docker_version": DOCKER_VERSION,
        "actions": {key: str(pin) for key, pin in ACTIONS.items()},
        **context,
    }
    return {name: env.get_template(TEMPLATES[name]).render(full) for name in names}


def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("mlgate.ci", "templates"),
        variable_start_string="{=",
        variable_end_string="=}",
        comment_start_string="{##",
        comment_end_string="##}",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    env.filters["yaml"] = yaml_scalar
    # JSON strings (Dockerfile exec form, ARG values) without tojson's HTML escaping of <>&.
    env.filters["json"] = lambda value: json.dumps(value, ensure_ascii=False)
    return env


def yaml_scalar(value: object) -> str:
    """``value`` as a YAML scalar: plain when that reads back as the same string, else
    double-quoted (JSON's quoting is valid YAML)."""
    import yaml

    text = str(value)
    try:
        plain_ok = re.fullmatch(r"[A-Za-z0-9_./@\[\]=\" :-]+", text) is not None and yaml.safe_load(
            f"k: {text}"
        ) == {"k": text}
    except yaml.YAMLError:
        plain_ok = False
    return text if plain_ok else json.dumps(text)
