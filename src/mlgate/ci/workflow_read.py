"""Read a repository's existing GitHub workflows: what they trigger on, which Python they
set up, and how they build and publish a Docker image.

``mlgate init`` keeps what a repository already does: it reuses the image name, registry,
secret names and branches it reads here, and never writes a second workflow that pushes
the same image. Only YAML is read; nothing is run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: ``${{ secrets.NAME }}`` anywhere in a value.
_SECRET = re.compile(r"\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_ENV_REF = re.compile(r"\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_SHELL_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
#: ``python-version: 3.8``, ``python-version: ["3.9", "3.10"]``: read from the text, because
#: YAML reads an unquoted 3.10 as the number 3.1.
_PYTHON_VERSION = re.compile(r"^\s*-?\s*python-version\s*:\s*(.+)$", re.M)
_MINOR = re.compile(r"\b3\.(\d{1,2})\b")
#: An image argument of ``docker push``, ``docker build -t`` / ``--tag``, ``docker tag``.
_DOCKER_PUSH = re.compile(r"docker\s+(?:image\s+)?push\s+(?:--\S+\s+)*(\S+)")
_DOCKER_TAG_OPT = re.compile(r"docker\s+(?:image\s+)?build\b[^\n]*?(?:-t|--tag)[ =](\S+)")


@dataclass(frozen=True)
class Publish:
    """How a workflow publishes an image: the names it pushes (as written, tag removed;
    they may hold ``${{ ... }}`` expressions), the registry host (None: Docker Hub), the
    secrets its login reads, and the branches its push runs on (empty: any)."""

    images: tuple[str, ...]
    registry: str | None
    secrets: tuple[str, ...]
    branches: tuple[str, ...]


@dataclass(frozen=True)
class ExistingWorkflow:
    """One workflow file of the repository, as far as ``mlgate init`` needs it."""

    path: str
    push_branches: tuple[str, ...]
    python: tuple[str, ...]
    publish: Publish | None
    error: str | None = None


def read_workflows(root: Path, *, skip: str) -> tuple[ExistingWorkflow, ...]:
    """Every ``.github/workflows/*.yml``/``*.yaml`` under ``root`` but ``skip`` (the file
    init writes), sorted by path. A file that is not valid YAML is returned with ``error``
    set, never raised: init says so and goes on."""
    folder = root / ".github" / "workflows"
    if not folder.is_dir():
        return ()
    found = []
    for path in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]):
        rel = path.relative_to(root).as_posix()
        if rel != skip and path.is_file():
            found.append(read_workflow(path, rel))
    return tuple(found)


def read_workflow(path: Path, rel: str) -> ExistingWorkflow:
    """The triggers, Python versions and image publishing of the workflow at ``path``."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
        doc = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return ExistingWorkflow(rel, (), (), None, error=f"not readable YAML ({reason})")
    if not isinstance(doc, dict):
        return ExistingWorkflow(rel, (), (), None, error="not a workflow (no mapping at the top)")
    # YAML 1.1 reads the key `on` as the boolean true.
    on = doc.get("on", doc.get(True))
    branches = _push_branches(on)
    return ExistingWorkflow(
        path=rel,
        push_branches=branches,
        python=_python_versions(text),
        publish=_publish(doc, branches),
    )


def _push_branches(on: Any) -> tuple[str, ...]:
    if not isinstance(on, dict) or not isinstance(on.get("push"), dict):
        return ()
    value = on["push"].get("branches", ())
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return tuple(str(b) for b in items)


def _python_versions(text: str) -> tuple[str, ...]:
    """Every 3.X a ``python-version`` key names (a matrix too), oldest first."""
    minors = {int(m) for line in _PYTHON_VERSION.findall(text) for m in _MINOR.findall(line)}
    return tuple(f"3.{m}" for m in sorted(minors))


def _publish(doc: dict[Any, Any], branches: tuple[str, ...]) -> Publish | None:
    """How the workflow pushes an image (login-action, build-push-action, ``docker push``
    in a run step), or None when it pushes none."""
    top_env = _env(doc.get("env"))
    images: list[str] = []
    registry: str | None = None
    secrets: list[str] = []
    pushes = False
    jobs = doc.get("jobs")
    for job in jobs.values() if isinstance(jobs, dict) else ():
        if not isinstance(job, dict) or not isinstance(job.get("steps"), list):
            continue
        job_env = {**top_env, **_env(job.get("env"))}
        for step in job["steps"]:
            if not isinstance(step, dict):
                continue
            env = {**job_env, **_env(step.get("env"))}
            uses = str(step.get("uses", ""))
            with_ = step.get("with") if isinstance(step.get("with"), dict) else {}
            if uses.startswith("docker/login-action"):
                if with_.get("registry"):
                    registry = _resolve(str(with_["registry"]), env)
                for key in ("username", "password"):
                    secrets += _SECRET.findall(str(with_.get(key, "")))
            elif uses.startswith("docker/build-push-action"):
                if str(with_.get("push", "")).lower() in ("true", "yes"):
                    pushes = True
                images += _tags(with_.get("tags"), env)
            elif uses.startswith("docker/metadata-action"):
                images += _tags(with_.get("images"), env)
            run = str(step.get("run", ""))
            if "docker" in run:
                pushed = [_resolve(m, env) for m in _DOCKER_PUSH.findall(run)]
                if pushed:
                    pushes = True
                images += [_strip_tag(i) for i in pushed]
                images += [_strip_tag(_resolve(m, env)) for m in _DOCKER_TAG_OPT.findall(run)]
                if "docker login" in run:
                    secrets += _SECRET.findall(run)
                    secrets += [s for v in env.values() for s in _SECRET.findall(v)]
    if not pushes:
        return None
    unique = tuple(dict.fromkeys(i for i in images if i))
    if registry is None:
        registry = next((r for i in unique if (r := registry_of(i)) is not None), None)
    return Publish(unique, registry, tuple(dict.fromkeys(secrets)), branches)


def _env(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _resolve(text: str, env: dict[str, str]) -> str:
    """``${{ env.X }}``, ``$X`` and ``${X}`` replaced by the workflow's own values of X
    where it sets them; the rest left as written."""
    text = _ENV_REF.sub(lambda m: env.get(m.group(1), m.group(0)), text)
    return _SHELL_VAR.sub(lambda m: env.get(m.group(1), m.group(0)), text).strip("'\"")


def _tags(value: Any, env: dict[str, str]) -> list[str]:
    """Image names (tags removed) from a ``tags:``/``images:`` input: a list, or a string of
    names one per line or comma-separated."""
    items = value if isinstance(value, list) else re.split(r"[\n,]", str(value or ""))
    return [_strip_tag(_resolve(str(i).strip(), env)) for i in items if str(i).strip()]


def _strip_tag(image: str) -> str:
    """``name:tag`` or ``name@digest`` without the tag or digest (a ``host:port/`` kept)."""
    image = image.split("@", 1)[0]
    head, sep, last = image.rpartition("/")
    if ":" in last:  # a tag, also `name:${{ github.sha }}`
        last = last.split(":", 1)[0]
    return f"{head}{sep}{last}"


def registry_of(image: str) -> str | None:
    """The registry host an image name starts with, or None for Docker Hub (Docker's rule:
    a first component with a dot or a port, or localhost, is a host)."""
    first, sep, _ = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost") and "{{" not in first:
        return first
    return None
