"""``mlgate init``: write a project's mlgate.yaml, serving Dockerfile and CI pipeline,
adapted to the repository it is in.

Three small stages: :func:`discover` reads the project (data found by content, DVC,
the Python version, the ML framework, a saved model, dependency files, tests, existing
workflows and their image publishing, the default branch) without importing any of it;
:func:`plan` decides what to write from that and the options (which Python, which image
name, whether mlgate's workflow pushes the image or leaves that to an existing workflow,
which serving path applies); :func:`init_project` renders the files (``render.py``),
writes them, never over an existing file unless ``force``, and returns what it found,
wrote, kept and what a person must review (``notes.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from mlgate.ci.discover import GITHUB_WORKFLOW, MODEL_SUFFIXES, Project, discover
from mlgate.ci.render import ACTIONS, mlgate_python, render, yaml_scalar
from mlgate.ci.repo_scan import Branch
from mlgate.ci.spec import MlgateSpec, default_spec, parse_spec
from mlgate.ci.workflow_read import ExistingWorkflow, Publish, registry_of
from mlgate.config import CONFIG_NAME
from mlgate.errors import MlgateError

__all__ = [
    "ACTIONS",
    "MODEL_SUFFIXES",
    "InitOptions",
    "InitResult",
    "Plan",
    "Project",
    "discover",
    "init_project",
    "plan",
    "registry_of",
    "render_files",
    "yaml_scalar",
]

CI = Literal["github", "gitlab"]
GITLAB_CI = ".gitlab-ci.yml"
PLACEHOLDER_MODEL = "model/model.skops"
PLACEHOLDER_CURRENT = "data/current.parquet"
DEFAULT_PYTHON = "3.11"

#: Frameworks whose models ``mlgate serve`` serves (the scikit-learn API).
SERVABLE = ("scikit-learn", "xgboost", "lightgbm")
IMAGE_NAME = re.compile(
    r"(?:[a-z0-9]+(?:[.-][a-z0-9]+)*(?::[0-9]+)?/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
)


@dataclass(frozen=True)
class InitOptions:
    """What ``mlgate init`` was asked for; validated where it is made. ``python`` and
    ``mlgate_spec`` left None are found in the project, else defaulted."""

    ci: CI = "github"
    force: bool = False
    image_name: str | None = None
    python: str | None = None
    mlgate_spec: str | None = None

    def __post_init__(self) -> None:
        if self.ci not in ("github", "gitlab"):
            raise MlgateError(f"--ci {self.ci!r}: choose github or gitlab")
        if self.python is not None and not re.fullmatch(r"3\.\d{1,2}", self.python):
            raise MlgateError(
                f"--python {self.python!r}: give a Python version as MAJOR.MINOR, e.g. 3.11"
            )
        if self.image_name is not None and not IMAGE_NAME.fullmatch(self.image_name):
            raise MlgateError(
                f"--image-name {self.image_name!r}: not a Docker image name; use lowercase "
                "letters, digits and . _ - separated by /, optionally after a registry host, "
                "with no tag (e.g. ghcr.io/owner/app)"
            )


@dataclass(frozen=True)
class Plan:
    """What init decided: the project's Python and mlgate's (its own when the project's
    is older than mlgate supports), the image name and where it came from, the existing
    workflow that publishes the image (then mlgate's never pushes), the branch pushes
    run on, the serving path (``skops``, ``pickle``, or None with the reason), whether the
    pipeline builds the image, and where mlgate is installed from."""

    python: str
    python_source: str
    mlgate_python: str
    image_name: str
    image_source: str
    publish: ExistingWorkflow | None
    branch: Branch
    serving: str | None
    serving_reason: str
    model: str
    image_job: bool
    spec: MlgateSpec


@dataclass(frozen=True)
class InitResult:
    """What init found (lines), the files written and kept (relative paths), and what a
    person must review or do next."""

    written: tuple[str, ...]
    kept: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())
    found: tuple[str, ...] = field(default=())


# -- plan -------------------------------------------------------------------------------


def files_for(ci: CI) -> tuple[str, ...]:
    """Every file ``mlgate init --ci CI`` may write, relative to the project, in order."""
    pipeline = GITHUB_WORKFLOW if ci == "github" else GITLAB_CI
    return (CONFIG_NAME, "Dockerfile", ".dockerignore", pipeline)


def default_image_name(root: Path) -> str:
    """The project folder's name as a Docker image name (lowercase, safe characters)."""
    name = re.sub(r"[^a-z0-9]+", "-", root.resolve().name.lower()).strip("-")
    return name or "app"


def plan(project: Project, options: InitOptions) -> Plan:
    """Decide, from what was found and what was asked, what the files will say. Raises
    MlgateError for a ``--mlgate-spec`` that cannot be used."""
    if options.python:
        python, python_source = options.python, "--python"
    elif project.python:
        python, python_source = project.python.version, project.python.source
    else:
        python, python_source = DEFAULT_PYTHON, "a default: the project names none"
    publisher = next((w for w in project.workflows if w.publish is not None), None)
    image_name, image_source = _image_name(project, options, publisher)
    serving, reason = _serving(project)
    spec = parse_spec(options.mlgate_spec, project.root) if options.mlgate_spec else default_spec()
    # mlgate's own Dockerfile is needed for its image job: written now, or written
    # by mlgate before; a project's own Dockerfile serves its own app.
    ours = project.dockerfile in ("absent", "empty", "unparsable", "mlgate") or options.force
    return Plan(
        python=python,
        python_source=python_source,
        mlgate_python=mlgate_python(python),
        image_name=image_name,
        image_source=image_source,
        publish=publisher,
        branch=project.branch,
        serving=serving,
        serving_reason=reason,
        model=project.model or PLACEHOLDER_MODEL,
        image_job=serving is not None and ours,
        spec=spec,
    )


def _image_name(
    project: Project, options: InitOptions, publisher: ExistingWorkflow | None
) -> tuple[str, str]:
    """The image name and where it came from: --image-name, else the image an existing
    workflow pushes, else the project folder's name."""
    if options.image_name:
        return options.image_name, "--image-name"
    publish: Publish | None = publisher.publish if publisher else None
    if publisher is not None and publish is not None:
        for image in publish.images:
            if IMAGE_NAME.fullmatch(image):
                return image, f"the image {publisher.path} pushes"
            # `${{ secrets.DOCKER_HUB_USERNAME }}/app`: the expression is not known here;
            # the local build uses the literal last part, and the existing workflow pushes.
            last = image.rsplit("/", 1)[-1]
            if IMAGE_NAME.fullmatch(last):
                return last, f"the last part of {image}, which {publisher.path} pushes"
    return default_image_name(project.root), "the project folder's name"


def _serving(project: Project) -> tuple[str | None, str]:
    """The serving path (``skops`` or ``pickle``) and why; None and why none applies."""
    names = [f.name for f in project.frameworks]
    servable = [n for n in names if n in SERVABLE]
    kind = project.model_kind
    if kind == "skops" or (kind is None and servable):
        what = ", ".join(servable) or "a skops model"
        return "skops", f"{what}: mlgate serve serves a skops file of the model"
    if kind == "pickle" and (servable or not names):
        return "pickle", (
            f"{', '.join(servable) or 'a pickled model'}: mlgate serve serves the pickle "
            "with --trust-pickle (it runs the pickle's code on load)"
        )
    if names:
        return None, (
            f"{', '.join(names)}: mlgate serve serves scikit-learn-API models only (skops or "
            "pickles); this framework has no serving path in mlgate yet, so no image is built"
        )
    if kind == "torch":
        return None, "a PyTorch model file: no serving path in mlgate yet, so no image is built"
    return None, "no model and no ML framework found, so no image is built"


# -- render -----------------------------------------------------------------------------


def render_files(
    project: Project,
    options: InitOptions,
    *,
    serving_data: str | None = None,
    decided: Plan | None = None,
) -> dict[str, str]:
    """The text of every file ``mlgate init`` writes, by relative path.

    ``serving_data`` is the held-out data the serving check sends (default: the current
    data found, else a placeholder); ``mlgate init`` passes the current data of a kept
    mlgate.yaml.
    """
    chosen = decided or plan(project, options)
    pipeline = files_for(options.ci)[-1]
    deps = project.requirements + project.packaging
    install_args = [f"-r {name}" for name in project.requirements]
    if project.packaging:
        install_args.append(".")
    project_lines = [f"python -m pip install {arg}" for arg in install_args]
    test_lines = [*project_lines, "python -m pip install pytest"]
    if project.tests_use_mlgate:
        test_lines.append('python -m pip install "$MLGATE_SPEC"')
    dvc = project.dvc
    uses_dvc = dvc is not None and any(t.dvc for t in project.tables)
    remote = None
    if dvc is not None and dvc.remote_scheme is not None:
        from mlgate.ci.repo_scan import DVC_REMOTES

        remote = DVC_REMOTES.get(dvc.remote_scheme)
    reference = project.table(project.reference)
    publish = chosen.publish.publish if chosen.publish else None
    context = {
        "python": chosen.python,
        "mlgate_python": chosen.mlgate_python,
        "own_mlgate_python": chosen.mlgate_python != chosen.python,
        "base_image": f"python:{chosen.mlgate_python}-slim",
        "project_base_image": f"python:{chosen.python}-slim",
        "image_name": chosen.image_name,
        "registry": registry_of(chosen.image_name),
        "branch": chosen.branch.name,
        "push_image": chosen.publish is None,
        "publisher": chosen.publish.path if chosen.publish else None,
        "publisher_secrets": list(publish.secrets) if publish else [],
        "image_job": chosen.image_job,
        "trust_pickle": chosen.serving == "pickle",
        "mlgate_spec": chosen.spec.requirement,
        "image_spec": chosen.spec.requirement.replace("[serve,model]", "[serve]"),
        "model": chosen.model,
        "serving_data": serving_data or project.current or PLACEHOLDER_CURRENT,
        "project_lines": project_lines,
        "test_lines": test_lines,
        "project_install_args": " ".join(install_args),
        "cache_dependency_paths": list(deps) or [pipeline],
        "has_tests": project.has_tests,
        "dvc_pull": uses_dvc,
        "dvc_requirement": f"dvc[{remote[0]}]" if remote and remote[0] else "dvc",
        "dvc_env": [n for n in (remote[1] if remote else ()) if re.fullmatch(r"[A-Z_]+", n)],
        "reference": project.reference,
        "reference_guessed": any(g.startswith("reference data") for g in project.guesses),
        "reference_dvc": bool(reference and reference.dvc),
        "current": project.current,
        "schema": project.schema,
        "target": project.target,
        "target_guessed": project.target is not None
        and reference is not None
        and not reference.has_header,
        "entrypoints": project.entrypoints,
        "pipeline": project.pipeline,
        "empty_gate": empty_gate(project),
    }
    names = tuple(n for n in files_for(options.ci) if _writes(n, chosen))
    return render(names, context)


def empty_gate(project: Project) -> bool:
    """Whether init found nothing for the gate to check (no table, no training spec):
    then mlgate.yaml names no stage and CI runs ``mlgate run --allow-empty``, which
    passes saying so, rather than failing every pull request on a placeholder path."""
    return project.reference is None and project.current is None and not project.entrypoints


def _writes(name: str, chosen: Plan) -> bool:
    """Whether ``name`` is one of the files to write: the Dockerfile and .dockerignore
    only when a serving path applies."""
    return name not in ("Dockerfile", ".dockerignore") or chosen.serving is not None


# -- write ------------------------------------------------------------------------------


def init_project(root: str | Path, options: InitOptions) -> InitResult:
    """Write the files for ``options.ci`` into the project at ``root``; an existing file is
    kept unless ``options.force`` (an empty or unparsable Dockerfile counts as absent).
    Raises MlgateError when ``root`` is no folder, for an unusable ``--mlgate-spec``, and
    when every file exists and nothing was written."""
    from mlgate._atomic import write_bytes_atomic, write_text_atomic
    from mlgate.ci.notes import found_lines, next_steps

    root = Path(root)
    if not root.is_dir():
        raise MlgateError(f"{root}: no such folder; run mlgate init in the project's folder")
    project = discover(root)
    notes: list[str] = []
    serving_data = None
    kept_config = (root / CONFIG_NAME).exists() and not options.force
    if kept_config:
        serving_data, serving_model = _kept_config_notes(root / CONFIG_NAME, notes)
        if serving_model is not None:
            project = replace(project, model=serving_model)
    decided = plan(project, options)
    files = render_files(project, options, serving_data=serving_data, decided=decided)
    absent_dockerfile = project.dockerfile in ("empty", "unparsable")
    existing = [
        name
        for name in files
        if ((root / name).exists() or (root / name).is_symlink())
        and not (name == "Dockerfile" and absent_dockerfile)
    ]
    kept = () if options.force else tuple(existing)
    if len(kept) == len(files):
        raise MlgateError(
            f"{root}: nothing written: {', '.join(kept)} already exist; pass --force to "
            "overwrite them, or delete the ones to write anew"
        )
    written = []
    for name, text in files.items():
        if name in kept:
            continue
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if name == "Dockerfile" and project.dockerfile == "unparsable" and not options.force:
            # Treated as absent, but a person's bytes are never lost: kept beside it.
            write_bytes_atomic(root / "Dockerfile.orig", target.read_bytes())
            written.append("Dockerfile.orig")
        write_text_atomic(target, text)
        written.append(name)
    found = found_lines(project, decided, options)
    notes += next_steps(project, decided, options, kept, serving_data)
    return InitResult(written=tuple(written), kept=kept, notes=tuple(notes), found=found)


def _kept_config_notes(path: Path, notes: list[str]) -> tuple[str | None, str | None]:
    """Check a kept mlgate.yaml against what the pipeline expects; return the held-out
    data and the model its serving stage names (else its current data, and no model)."""
    from mlgate.config import load_config

    try:
        config, _ = load_config(path)
    except MlgateError as exc:
        notes.append(f"{CONFIG_NAME} was kept but does not load ({exc}); fix it before CI runs")
        return None, None
    for fmt, used_for in (("json", "comments from"), ("markdown", "shows in the job summary")):
        name = f"mlgate-report.{'md' if fmt == 'markdown' else fmt}"
        if not any(r.format == fmt and r.path == name for r in config.reports):
            notes.append(
                f"{CONFIG_NAME} was kept and writes no {name}, which the pipeline uploads "
                f"and {used_for}: add '- {{format: {fmt}, path: {name}}}' under its reports:"
            )
    if config.serving is not None:
        return config.serving.data, config.serving.model
    return (config.data.current if config.data is not None else None), None
