"""What ``mlgate init`` finds in a project: :func:`discover` reads its data (found by
content, DVC-tracked too), a target column, training entrypoints, a saved model,
dependency files, tests, its Python version, ML framework, existing workflows and
default branch, without importing or running any of it, into a :class:`Project`.
"""

from __future__ import annotations

import ast
import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from mlgate.ci.repo_scan import (
    Branch,
    Dvc,
    Framework,
    PythonVersion,
    Table,
    default_branch,
    dockerfile_state,
    find_dvc,
    find_tables,
    frameworks,
    installable,
    python_version,
    visible_files,
)
from mlgate.ci.workflow_read import ExistingWorkflow, read_workflows
from mlgate.pipeline.discover import FoundPipeline, find_pipeline

GITHUB_WORKFLOW = ".github/workflows/mlgate.yml"

REFERENCE_WORDS = ("reference", "ref", "train", "baseline", "historical", "labeled", "labelled")
CURRENT_WORDS = (
    "current",
    "new",
    "serving",
    "holdout",
    "test",
    "valid",
    "val",
    "eval",
    "batch",
    "predict",
    "prediction",
    "inference",
    "score",
    "scoring",
    "unlabeled",
    "unlabelled",
    "production",
    "prod",
    "live",
    "incoming",
)
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
MODEL_SUFFIXES = {
    ".skops": "skops",
    ".pkl": "pickle",
    ".pickle": "pickle",
    ".joblib": "pickle",
    ".pt": "torch",
    ".pth": "torch",
}


@dataclass(frozen=True)
class Project:
    """What :func:`discover` found in a project folder; paths relative to it, in / form.
    ``guesses`` says, one line each, what was picked by a guess and why."""

    root: Path
    reference: str | None = None
    current: str | None = None
    tables: tuple[Table, ...] = ()
    schema: str | None = None
    target: str | None = None
    entrypoints: tuple[str, ...] = ()
    model: str | None = None
    requirements: tuple[str, ...] = ()
    packaging: tuple[str, ...] = ()
    has_tests: bool = False
    tests_use_mlgate: bool = False
    python: PythonVersion | None = None
    branch: Branch = field(default_factory=lambda: Branch("main", "a default"))
    workflows: tuple[ExistingWorkflow, ...] = ()
    frameworks: tuple[Framework, ...] = ()
    dvc: Dvc | None = None
    dockerfile: str = "absent"
    empty_setup_py: bool = False
    guesses: tuple[str, ...] = ()
    pipeline: FoundPipeline | None = None

    @property
    def model_kind(self) -> str | None:
        return MODEL_SUFFIXES.get(Path(self.model).suffix.lower()) if self.model else None

    def table(self, path: str | None) -> Table | None:
        return next((t for t in self.tables if t.path == path), None)


def discover(root: str | Path) -> Project:
    """Look at the project in ``root``: read files, headers, Python syntax trees, its
    workflows and its git state; never import or run anything of it."""
    root = Path(root)
    files = visible_files(root)
    dvc = find_dvc(root, files)
    tables = find_tables(root, files)
    known = {t.path for t in tables}
    tables += [t for t in (dvc.tables if dvc else ()) if t.path not in known]
    reference, current, guesses = _pick_data([t.path for t in tables])
    workflows = read_workflows(root, skip=GITHUB_WORKFLOW)
    pushed_on = [b for w in workflows for b in w.push_branches]
    versions = tuple(sorted({v for w in workflows for v in w.python}, key=_minor))
    ref_table = next((t for t in tables if t.path == reference), None)
    target, target_guess = _target(root, ref_table)
    setup_py = root / "setup.py"
    return Project(
        root=root,
        reference=reference,
        current=current,
        tables=tuple(tables),
        schema=_schema_file(root),
        target=target,
        entrypoints=_entrypoints(root),
        model=_model_file(root, files),
        requirements=tuple(name for name in REQUIREMENTS if (root / name).is_file()),
        packaging=installable(root),
        has_tests=_has_tests(root, files),
        tests_use_mlgate=_tests_use_mlgate(files),
        python=python_version(root, versions),
        branch=default_branch(root, pushed_on),
        workflows=workflows,
        frameworks=frameworks(root, files),
        dvc=dvc,
        dockerfile=dockerfile_state(root / "Dockerfile"),
        empty_setup_py=setup_py.is_file() and not setup_py.read_bytes().strip(),
        guesses=tuple(guesses + ([target_guess] if target_guess else [])),
        pipeline=find_pipeline(root, [t.path for t in tables]),
    )


def _minor(version: str) -> int:
    return int(version.split(".")[1])


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


def _pick_data(files: list[str]) -> tuple[str | None, str | None, list[str]]:
    """The reference and current data among the tables found, and how each was chosen
    when no word of its name said so: the one other table beside a named one, or the
    only table."""
    reference = _pick(files, REFERENCE_WORDS, exclude=None)
    current = _pick(files, CURRENT_WORDS, exclude=reference)
    guesses = []
    others = [f for f in files if f not in (reference, current)]
    unnamed = [f for f in others if _rank(f, REFERENCE_WORDS + CURRENT_WORDS) is None]
    if reference is None and len(unnamed) == 1:
        reference = unnamed[0]
        why = f"beside {current}, the new data" if current else "the only table found"
        guesses.append(f"reference data {reference}: {why}; no word of its name says so")
    return reference, current, guesses


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
        if suffix in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            return list(pq.read_schema(path).names)
        with path.open(encoding="utf-8-sig", newline="") as fh:
            if suffix in (".jsonl", ".ndjson"):
                for line in fh:
                    if line.strip():
                        row = json.loads(line)
                        return [str(k) for k in row] if isinstance(row, dict) else []
                return []
            head = fh.readline()
            try:
                dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
                    head, delimiters=",;\t|"
                )
            except csv.Error:
                dialect = csv.excel
            return [c.strip() for c in next(csv.reader([head], dialect), [])]
    except (OSError, UnicodeDecodeError, ValueError, ImportError):
        return []


def _target(root: Path, table: Table | None) -> tuple[str | None, str | None]:
    """The target column of the reference and, when it is a guess, why."""
    if table is None or not (root / table.path).is_file():
        return None, None
    names = columns(root / table.path)
    if not table.has_header:
        # mlgate names a headerless CSV's columns column_0, column_1, ...
        last = f"column_{len(names) - 1}" if names else None
        why = (
            f"target {last}: {table.path} has no header row, so its columns are read as "
            f"column_0 … {last}; the last one was taken as the target"
        )
        return (last, why) if last else (None, None)
    by_lower = {c.lower(): c for c in reversed(names)}
    return next((by_lower[n] for n in TARGET_NAMES if n in by_lower), None), None


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


def _model_file(root: Path, files: list[Path]) -> str | None:
    """The saved model: a .skops file before a pickle before a PyTorch file, under
    models/, model/, artifacts/ first, then the shallowest."""
    preferred = ("models", "model", "artifacts")
    kinds = list(dict.fromkeys(MODEL_SUFFIXES.values()))
    models = [p for p in files if p.suffix.lower() in MODEL_SUFFIXES]

    def key(p: Path) -> tuple[int, int, int, str]:
        parts = p.relative_to(root).parts
        top = parts[0] if len(parts) > 1 else ""
        rank = preferred.index(top) if top in preferred else len(preferred)
        return kinds.index(MODEL_SUFFIXES[p.suffix.lower()]), rank, len(parts), p.as_posix()

    return min(models, key=key).relative_to(root).as_posix() if models else None


def _has_tests(root: Path, files: list[Path]) -> bool:
    if any((root / name).is_dir() for name in ("tests", "test")):
        return True
    return any(
        p.suffix == ".py" and (p.name.startswith("test_") or p.stem.endswith("_test"))
        for p in files
    )


def _tests_use_mlgate(files: list[Path]) -> bool:
    """Whether a test file or conftest imports mlgate (its pytest plugin, mlgate.testing)."""
    for p in files:
        is_test = p.name.startswith("test_") or p.stem.endswith("_test") or p.name == "conftest.py"
        if p.suffix == ".py" and is_test:
            try:
                text = p.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if re.search(r"^\s*(from|import)\s+mlgate\b|\bmlgate_", text, re.M):
                return True
    return False
