"""``mlgate init``: write a project's mlgate.yaml, serving Dockerfile and CI pipeline.

Three small stages: :func:`discover` looks at the project (data files, a target column,
training entrypoints, a saved model, dependency files, tests) without importing any of
it; :func:`render_files` turns what it found into file texts from the Jinja2 templates in
``templates/``; :func:`init_project` writes them, never over an existing file unless
``force``.

The templates use ``{= value =}`` for values, ``{% ... %}`` for blocks and ``{## ... ##}``
for comments instead of Jinja2's defaults, so that GitHub's ``${{ ... }}``, Docker's
``{{.State}}`` and the shell's ``${#var}`` pass through untouched.
"""

from __future__ import annotations

import ast
import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from mlgate import __version__
from mlgate.config import CONFIG_NAME
from mlgate.errors import MlgateError
from mlgate.pipeline.discover import FoundPipeline, find_pipeline

if TYPE_CHECKING:
    import jinja2

CI = Literal["github", "gitlab"]
GITHUB_WORKFLOW = ".github/workflows/mlgate.yml"
GITLAB_CI = ".gitlab-ci.yml"
PORT = 8000
DOCKER_VERSION = "27.3.1"  # docker and docker:dind images of the GitLab image job
PLACEHOLDER_MODEL = "model/model.skops"
PLACEHOLDER_CURRENT = "data/current.parquet"


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

DATA_SUFFIXES = (".csv", ".parquet", ".jsonl", ".ndjson")
REFERENCE_WORDS = ("reference", "ref", "train", "baseline")
CURRENT_WORDS = ("current", "new", "serving", "holdout", "test", "valid", "val", "eval", "batch")
TARGET_NAMES = (
    "target",
    "label",
    "labels",
    "y",
    "class",
    "species",
    "outcome",
    "churn",
    "churned",
    "survived",
    "is_fraud",
    "fraud",
)
REQUIREMENTS = ("requirements.txt", "requirements-dev.txt", "requirements-test.txt")
PACKAGING = ("pyproject.toml", "setup.py", "setup.cfg")
SKIP_DIRS = frozenset(
    {
        ".git",
        ".venv",
        "venv",
        "env",
        "node_modules",
        "__pycache__",
        "wheelhouse",
        "build",
        "dist",
        "site-packages",
    }
)
IMAGE_NAME = re.compile(
    r"(?:[a-z0-9]+(?:[.-][a-z0-9]+)*(?::[0-9]+)?/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
)


@dataclass(frozen=True)
class InitOptions:
    """What ``mlgate init`` was asked for; validated where it is made."""

    ci: CI = "github"
    force: bool = False
    image_name: str | None = None
    python: str = "3.11"

    def __post_init__(self) -> None:
        if self.ci not in ("github", "gitlab"):
            raise MlgateError(f"--ci {self.ci!r}: choose github or gitlab")
        if not re.fullmatch(r"3\.\d{1,2}", self.python):
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
class Project:
    """What :func:`discover` found in a project folder; paths relative to it, in / form."""

    root: Path
    reference: str | None = None
    current: str | None = None
    schema: str | None = None
    target: str | None = None
    entrypoints: tuple[str, ...] = ()
    model: str | None = None
    requirements: tuple[str, ...] = ()
    packaging: tuple[str, ...] = ()
    has_tests: bool = False
    pipeline: FoundPipeline | None = None


@dataclass(frozen=True)
class InitResult:
    """The files written and kept (relative paths) and what the user should do next."""

    written: tuple[str, ...]
    kept: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())


# -- discover ---------------------------------------------------------------------------


def discover(root: str | Path) -> Project:
    """Look at the project in ``root``: read file names, headers and Python syntax trees,
    never import or run anything of it."""
    root = Path(root)
    data = _data_files(root)
    reference = _pick(data, REFERENCE_WORDS, exclude=None)
    current = _pick(data, CURRENT_WORDS, exclude=reference)
    if reference is None and current is None and len(data) == 1:
        reference = data[0]
    return Project(
        root=root,
        reference=reference,
        current=current,
        schema=_schema_file(root),
        target=_target(root / reference) if reference else None,
        entrypoints=_entrypoints(root),
        model=_model_file(root),
        requirements=tuple(name for name in REQUIREMENTS if (root / name).is_file()),
        packaging=tuple(name for name in PACKAGING if (root / name).is_file()),
        has_tests=_has_tests(root),
        pipeline=find_pipeline(root, data),
    )


def _walk(folder: Path, depth: int) -> Iterator[Path]:
    """Files under ``folder``, at most ``depth`` folders down, skipping hidden folders,
    virtual environments and build output; in sorted order."""
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.is_dir():
            if depth > 0 and entry.name not in SKIP_DIRS and not entry.name.startswith("."):
                yield from _walk(entry, depth - 1)
        elif entry.is_file():
            yield entry


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _data_files(root: Path) -> list[str]:
    found = [p for p in _walk(root, 0) if p.suffix.lower() in DATA_SUFFIXES]
    for folder in ("data", "datasets"):
        if (root / folder).is_dir():
            found += [p for p in _walk(root / folder, 3) if p.suffix.lower() in DATA_SUFFIXES]
    return [_rel(p, root) for p in found]


def _words(path: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", Path(path).stem.lower()) if w]


def _rank(path: str, keywords: tuple[str, ...]) -> int | None:
    """The position of the first keyword one of the file name's words is (or starts with,
    for keywords of four letters or more), or None."""
    words = _words(path)
    for rank, key in enumerate(keywords):
        if any(w == key or (len(key) >= 4 and w.startswith(key)) for w in words):
            return rank
    return None


def _pick(files: list[str], keywords: tuple[str, ...], exclude: str | None) -> str | None:
    ranked = [
        (rank, path.count("/"), len(Path(path).name), path)
        for path in files
        if path != exclude and (rank := _rank(path, keywords)) is not None
    ]
    return min(ranked)[3] if ranked else None


def _schema_file(root: Path) -> str | None:
    import yaml

    for name in ("schema.yaml", "schema.yml", "data/schema.yaml", "data/schema.yml"):
        path = root / name
        if not path.is_file():
            continue
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if isinstance(doc, dict) and "columns" in doc:
            return name
    return None


def columns(path: Path) -> list[str]:
    """The column names of a CSV (delimiter sniffed), Parquet or JSON Lines file, read
    from its header alone; [] when they cannot be read."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return list(pq.read_schema(path).names)
        with path.open(encoding="utf-8-sig", newline="") as fh:
            if suffix == ".csv":
                head = fh.readline()
                try:
                    dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
                        head, delimiters=",;\t|"
                    )
                except csv.Error:
                    dialect = csv.excel
                return [c.strip() for c in next(csv.reader([head], dialect), [])]
            for line in fh:
                if line.strip():
                    row = json.loads(line)
                    return [str(k) for k in row] if isinstance(row, dict) else []
    except (OSError, UnicodeDecodeError, ValueError, ImportError):
        return []
    return []


def _target(path: Path) -> str | None:
    by_lower = {c.lower(): c for c in reversed(columns(path))}
    return next((by_lower[n] for n in TARGET_NAMES if n in by_lower), None)


def _entrypoints(root: Path) -> tuple[str, ...]:
    """``train*.py:training_spec`` for each train*.py at the top of the project that
    defines a top-level ``training_spec`` function."""
    found = []
    for path in sorted(root.glob("train*.py")):
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (OSError, SyntaxError, ValueError):
            continue
        if any(
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name == "training_spec"
            for node in tree.body
        ):
            found.append(f"{path.name}:training_spec")
    return tuple(found)


def _model_file(root: Path) -> str | None:
    preferred = ("models", "model", "artifacts")
    models = [p for p in _walk(root, 3) if p.suffix == ".skops"]

    def key(p: Path) -> tuple[int, int, str]:
        top = p.relative_to(root).parts[0]
        rank = preferred.index(top) if top in preferred else len(preferred)
        return rank, len(p.relative_to(root).parts), _rel(p, root)

    return _rel(min(models, key=key), root) if models else None


def _has_tests(root: Path) -> bool:
    if any((root / name).is_dir() for name in ("tests", "test")):
        return True
    return any(
        p.suffix == ".py" and (p.name.startswith("test_") or p.stem.endswith("_test"))
        for p in _walk(root, 2)
    )


# -- render -----------------------------------------------------------------------------


def files_for(ci: CI) -> tuple[str, ...]:
    """The files ``mlgate init --ci CI`` writes, relative to the project, in order."""
    pipeline = GITHUB_WORKFLOW if ci == "github" else GITLAB_CI
    return (CONFIG_NAME, "Dockerfile", ".dockerignore", pipeline)


def default_image_name(root: Path) -> str:
    """The project folder's name as a Docker image name (lowercase, safe characters)."""
    name = re.sub(r"[^a-z0-9]+", "-", root.resolve().name.lower()).strip("-")
    return name or "app"


def registry_of(image: str) -> str | None:
    """The registry host an image name starts with, or None for Docker Hub (Docker's rule:
    a first component with a dot or a port, or localhost, is a host)."""
    first, sep, _ = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return None


def render_files(
    project: Project, options: InitOptions, *, serving_data: str | None = None
) -> dict[str, str]:
    """The text of every file ``mlgate init`` writes, by relative path.

    ``serving_data`` is the held-out data the serving check sends (default: the current
    data found, else a placeholder); ``mlgate init`` passes the current data of a kept
    mlgate.yaml.
    """
    env = _environment()
    deps = project.requirements + project.packaging
    install = [f"python -m pip install {arg}" for arg in _project_install_args(project)]
    install.append(f'python -m pip install "mlgate[serve,model]=={__version__}" pytest')
    pipeline = files_for(options.ci)[-1]
    image_name = options.image_name or default_image_name(project.root)
    context = {
        "version": __version__,
        "python": options.python,
        "base_image": f"python:{options.python}-slim",
        "image_name": image_name,
        "registry": registry_of(image_name),
        "port": PORT,
        "model": project.model or PLACEHOLDER_MODEL,
        "serving_data": serving_data or project.current or PLACEHOLDER_CURRENT,
        "install_lines": install,
        "install_args": " ".join(
            [f'"mlgate[serve]=={__version__}"', *_project_install_args(project)]
        ),
        "cache_dependency_paths": list(deps) or [pipeline],
        "has_tests": project.has_tests,
        "actions": {key: str(pin) for key, pin in ACTIONS.items()},
        "docker_version": DOCKER_VERSION,
        "reference": project.reference,
        "current": project.current,
        "schema": project.schema,
        "target": project.target,
        "entrypoints": project.entrypoints,
        "pipeline": project.pipeline,
    }
    templates = {
        CONFIG_NAME: "mlgate.yaml.j2",
        "Dockerfile": "Dockerfile.j2",
        ".dockerignore": "dockerignore.j2",
        GITHUB_WORKFLOW: "github-workflow.yml.j2",
        GITLAB_CI: "gitlab-ci.yml.j2",
    }
    return {
        name: env.get_template(templates[name]).render(context) for name in files_for(options.ci)
    }


def _project_install_args(project: Project) -> list[str]:
    args = [f"-r {name}" for name in project.requirements]
    if project.packaging:
        args.append(".")
    return args


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


# -- write ------------------------------------------------------------------------------


def init_project(root: str | Path, options: InitOptions) -> InitResult:
    """Write the files for ``options.ci`` into the project at ``root``; an existing file is
    kept unless ``options.force``. Raises MlgateError when every file exists and nothing
    was written."""
    from mlgate._atomic import write_text_atomic

    root = Path(root)
    if not root.is_dir():
        raise MlgateError(f"{root}: no such folder; run mlgate init in the project's folder")
    project = discover(root)
    existing = [
        name
        for name in files_for(options.ci)
        if (root / name).exists() or (root / name).is_symlink()
    ]
    kept = () if options.force else tuple(existing)
    notes: list[str] = []
    serving_data = None
    if CONFIG_NAME in kept:
        serving_data, serving_model = _kept_config_notes(root / CONFIG_NAME, notes)
        if serving_model is not None:
            project = replace(project, model=serving_model)
    if len(kept) == len(files_for(options.ci)):
        raise MlgateError(
            f"{root}: nothing written: {', '.join(kept)} already exist; pass --force to "
            "overwrite them, or delete the ones to write anew"
        )
    files = render_files(project, options, serving_data=serving_data)
    written = []
    for name, text in files.items():
        if name in kept:
            continue
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(target, text)
        written.append(name)
    notes += _next_steps(project, options, kept, serving_data)
    return InitResult(written=tuple(written), kept=kept, notes=tuple(notes))


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


def _next_steps(
    project: Project, options: InitOptions, kept: tuple[str, ...], serving_data: str | None
) -> list[str]:
    notes = []
    if CONFIG_NAME not in kept and (project.reference is None or project.current is None):
        notes.append(
            f"{CONFIG_NAME}: no {'reference' if project.reference is None else 'current'} "
            "data file was found; set data.reference and data.current before `mlgate run`"
        )
    if CONFIG_NAME not in kept and project.pipeline is not None:
        notes.append(
            f"{CONFIG_NAME}: the pipeline stage runs the functions of "
            f"{project.pipeline.module}; check its steps, then write their contracts with "
            "`mlgate pipeline infer` and commit contracts/ (docs/pipeline.md)"
        )
    model = project.model or PLACEHOLDER_MODEL
    if not (project.root / model).is_file():
        notes.append(
            f"the image serves {model}, which does not exist yet: save the model there with "
            "skops and commit it, or change MODEL in the pipeline and CMD in the Dockerfile"
        )
    if serving_data is None and project.current is None:
        notes.append(
            f"the serving check sends the rows of {PLACEHOLDER_CURRENT}: change --data in the "
            "pipeline to the held-out data"
        )
    image = options.image_name or default_image_name(project.root)
    if registry_of(image) is None and "/" not in image:
        notes.append(
            f"the image name {image!r} has no registry or namespace, so it cannot be pushed: "
            "pass --image-name, e.g. ghcr.io/OWNER/" + image + " or DOCKERHUB_USER/" + image
        )
    if options.ci == "github":
        notes.append(
            "to push the image from main, add the repository secrets REGISTRY_USERNAME and "
            "REGISTRY_PASSWORD in Settings > Secrets and variables > Actions"
        )
    else:
        notes.append(
            "to push the image from the default branch, add the CI/CD variables "
            "REGISTRY_USERNAME and REGISTRY_PASSWORD (masked, protected) in "
            "Settings > CI/CD > Variables"
        )
    return notes
