"""What ``mlgate init`` reads of a repository besides its workflows: its git state
(default branch, ignored files), its tabular data (found by content), DVC-tracked data,
its Python version, its ML framework and the state of its Dockerfile and setup.py.

Every function reads files and asks git; none imports or runs the project's code. Each
answer says where it came from (``source``), so that init can tell the user what it
guessed and why.
"""

from __future__ import annotations

import ast
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

#: Folders never searched for data: virtual environments, build output, vendored code.
VENDORED = frozenset(
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
        "vendor",
        "vendored",
        "third_party",
        "third-party",
        "external",
        "mlruns",
        "wandb",
        "htmlcov",
    }
)
#: File suffixes whose content is sniffed as a table (those mlgate's readers take).
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq", ".jsonl", ".ndjson")
_MAX_DEPTH = 6
_MAX_FILES = 5000


# -- git --------------------------------------------------------------------------------


def git(root: Path, *args: str) -> str | None:
    """``git -C root ARGS``'s standard output, stripped; None when git is missing, the
    folder is no repository or the command fails."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


@dataclass(frozen=True)
class Branch:
    """The default branch and how it was found."""

    name: str
    source: str


def default_branch(root: Path, workflow_branches: Iterable[str] = ()) -> Branch:
    """The repository's default branch: origin's HEAD (a clone's), else the one branch
    the existing workflows push on, else the one of ``main`` and ``master`` that exists,
    else the checked-out branch, else git's ``init.defaultBranch``, else ``main``."""
    remote = git(root, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
    if remote and "/" in remote:
        return Branch(remote.split("/", 1)[1], "origin's HEAD")
    plain = [b for b in dict.fromkeys(workflow_branches) if not any(c in b for c in "*?[!")]
    if len(plain) == 1:
        return Branch(plain[0], "the branch the existing workflow pushes on")
    local = (git(root, "for-each-ref", "--format=%(refname:short)", "refs/heads/") or "").split()
    usual = [b for b in ("main", "master") if b in local]
    if len(usual) == 1:
        return Branch(usual[0], "the local branch of that name; no origin/HEAD")
    current = git(root, "symbolic-ref", "--quiet", "--short", "HEAD")
    if current:
        return Branch(current, "the checked-out branch; no origin/HEAD")
    configured = git(root, "config", "init.defaultBranch")
    if configured:
        return Branch(configured, "git's init.defaultBranch")
    return Branch("main", "a default: no git branch was found")


def visible_files(root: Path) -> list[Path]:
    """The project's files that are not ignored (``git ls-files`` of tracked and
    untracked-not-ignored files in a git repository, else a walk), without hidden or
    vendored folders, at most six folders deep; sorted."""
    listed = git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if listed is not None:
        names = sorted({n for n in listed.split("\0") if n})
        paths = [
            root / n
            for n in names
            if n.count("/") <= _MAX_DEPTH and not _hidden_or_vendored(n.split("/")[:-1])
        ]
        return [p for p in paths[:_MAX_FILES] if p.is_file()]
    return sorted(_walk(root, _MAX_DEPTH))[:_MAX_FILES]


def _hidden_or_vendored(parts: list[str]) -> bool:
    return any(p in VENDORED or p.startswith(".") for p in parts)


def _walk(folder: Path, depth: int) -> Iterable[Path]:
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.is_dir():
            if depth > 0 and not _hidden_or_vendored([entry.name]):
                yield from _walk(entry, depth - 1)
        elif entry.is_file():
            yield entry


# -- tabular data -----------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A data file: its path (relative, / form), whether its CSV has a header row, and
    whether DVC tracks it (then it need not exist until ``dvc pull``)."""

    path: str
    has_header: bool = True
    dvc: bool = False


def sniff_table(path: Path) -> Table | None:
    """``path`` as a Table when its content is a table mlgate reads: Parquet by its
    magic bytes, JSON Lines by a first line that is an object, CSV (and TSV, .txt) by two
    or more lines of two or more fields each; else None."""
    suffix = path.suffix.lower()
    try:
        with path.open("rb") as fh:
            head = fh.read(64 * 1024)
    except OSError:
        return None
    if suffix in (".parquet", ".pq"):
        return Table(path.as_posix()) if head.startswith(b"PAR1") else None
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if suffix in (".jsonl", ".ndjson"):
        return Table(path.as_posix()) if lines and lines[0].lstrip().startswith("{") else None
    if len(lines) < 2 or "\0" in text:
        return None
    from mlgate.data.io import sniff_csv
    from mlgate.errors import MlgateError

    try:
        separator, has_header = sniff_csv(path)
    except MlgateError:
        return None
    import csv

    if len(head) == 64 * 1024:
        lines = lines[:-1]  # the last line may be cut at the 64 KiB edge
    widths = {len(row) for row in csv.reader(lines, delimiter=separator)}
    if len(lines) < 2 or len(widths) != 1 or widths.pop() < 2:
        return None  # prose, a one-column list, or rows of uneven width: not a table
    return Table(path.as_posix(), has_header=has_header)


def find_tables(root: Path, files: list[Path]) -> list[Table]:
    """The tables among ``files`` (see :func:`sniff_table`), with paths relative to root."""
    found = []
    for path in files:
        if path.suffix.lower() in TABLE_SUFFIXES and (table := sniff_table(path)):
            found.append(Table(path.relative_to(root).as_posix(), table.has_header))
    return found


# -- DVC --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dvc:
    """DVC in the repository: the tables it tracks, the files that say so, its default
    remote's URL scheme (``s3``, ``gs``, ``azure``, ``ssh``, ``http``, ``local``) and
    name, or None when no remote is configured."""

    tables: tuple[Table, ...]
    files: tuple[str, ...]
    remote_scheme: str | None
    remote_name: str | None


#: What a DVC remote needs on CI: pip extra of dvc, and the credentials to set.
DVC_REMOTES = {
    "s3": ("s3", ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")),
    "gs": ("gs", ("a service account key, in a file GOOGLE_APPLICATION_CREDENTIALS names",)),
    "azure": ("azure", ("AZURE_STORAGE_CONNECTION_STRING",)),
    "ssh": ("ssh", ("a deploy key for the SSH host",)),
    "gdrive": ("gdrive", ("GDRIVE_CREDENTIALS_DATA",)),
    "http": ("", ("the remote's user and password (dvc remote modify --local)",)),
    "https": ("", ("the remote's user and password (dvc remote modify --local)",)),
}


def find_dvc(root: Path, files: list[Path]) -> Dvc | None:
    """The tables DVC tracks (the outs of the ``*.dvc`` files among ``files``, the outs
    and deps of ``dvc.yaml``'s stages, with a table suffix) and its default remote; None
    when the repository has no DVC files. Unreadable DVC files are skipped."""
    import yaml

    dvc_files = sorted(p for p in files if p.suffix == ".dvc")
    stages = [p for p in (root / "dvc.yaml", root / "dvc.yml") if p.is_file()]
    if not dvc_files and not stages and not (root / ".dvc").is_dir():
        return None
    tracked: list[str] = []
    for path in dvc_files:
        for out in _outs(_load(path, yaml)):
            tracked += _expand(root, path.parent / out)
    for path in stages:
        doc = _load(path, yaml)
        for stage in (doc.get("stages") or {}).values() if isinstance(doc, dict) else ():
            if isinstance(stage, dict):
                for key in ("outs", "deps"):
                    for item in stage.get(key) or ():
                        name = next(iter(item)) if isinstance(item, dict) else item
                        tracked += _expand(root, path.parent / str(name))
    tables = tuple(
        Table(t, has_header=_header_if_present(root / t), dvc=True)
        for t in dict.fromkeys(tracked)
        if Path(t).suffix.lower() in TABLE_SUFFIXES
    )
    scheme, name = _dvc_remote(root)
    files = tuple(p.relative_to(root).as_posix() for p in [*dvc_files, *stages])
    return Dvc(tables, files, scheme, name)


def _load(path: Path, yaml: ModuleType) -> object:
    """A DVC file's YAML, or None when it cannot be read: init goes on without it."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def _outs(doc: object) -> list[str]:
    if not isinstance(doc, dict):
        return []
    return [str(o["path"]) for o in doc.get("outs") or () if isinstance(o, dict) and "path" in o]


def _expand(root: Path, path: Path) -> list[str]:
    """A tracked path relative to root; a tracked folder present here, its files."""
    try:
        rel = path.resolve().relative_to(root.resolve())
    except ValueError:
        return []
    if (root / rel).is_dir():
        return [p.relative_to(root).as_posix() for p in sorted(_walk(root / rel, 3))]
    return [rel.as_posix()]


def _header_if_present(path: Path) -> bool:
    table = sniff_table(path) if path.is_file() else None
    return table.has_header if table else True


def _dvc_remote(root: Path) -> tuple[str | None, str | None]:
    """The default remote's URL scheme and name from ``.dvc/config`` (INI)."""
    import configparser

    parser = configparser.ConfigParser()
    try:
        parser.read(root / ".dvc" / "config", encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return None, None
    remotes = {
        m.group(1): parser[s].get("url", "")
        for s in parser.sections()
        # DVC writes ['remote "name"'], quotes and all, as the section's name.
        if (m := re.fullmatch(r"""['"]?remote\s+["']([^"']+)["']['"]?""", s))
    }
    default = parser.get("core", "remote", fallback=None) if parser.has_section("core") else None
    name = default if default in remotes else next(iter(remotes), None)
    if name is None:
        return None, None
    url = remotes[name]
    scheme = url.split("://", 1)[0].lower() if "://" in url else "local"
    return scheme, name


# -- Python version ---------------------------------------------------------------------


@dataclass(frozen=True)
class PythonVersion:
    version: str
    source: str


_MINOR = re.compile(r"3\.(\d{1,2})")


def python_version(root: Path, workflow_versions: tuple[str, ...]) -> PythonVersion | None:
    """The project's own Python, from the first of: ``.python-version``, ``runtime.txt``,
    ``pyproject.toml``'s ``requires-python`` (its lowest allowed 3.X), the existing
    workflows (their oldest), ``setup.py``'s ``python_requires``; None when none says."""
    for name in (".python-version", "runtime.txt"):
        text = _read(root / name)
        if text and (m := _MINOR.search(text)):
            return PythonVersion(f"3.{m.group(1)}", name)
    pyproject = _read(root / "pyproject.toml")
    if pyproject and (found := _lowest_allowed(_requires_python_toml(pyproject))):
        return PythonVersion(found, "pyproject.toml requires-python")
    if workflow_versions:
        return PythonVersion(workflow_versions[0], "the existing workflow")
    setup = _read(root / "setup.py")
    match = re.search(r"python_requires\s*=\s*['\"]([^'\"]+)", setup or "")
    if match and (found := _lowest_allowed(match.group(1))):
        return PythonVersion(found, "setup.py python_requires")
    return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8") if path.is_file() else None
    except (OSError, UnicodeDecodeError):
        return None


def _requires_python_toml(text: str) -> str | None:
    import tomllib

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    project = doc.get("project")
    value = project.get("requires-python") if isinstance(project, dict) else None
    if value is None:  # Poetry: [tool.poetry.dependencies] python = "^3.9"
        poetry = doc.get("tool", {}).get("poetry", {}).get("dependencies", {})
        value = poetry.get("python") if isinstance(poetry, dict) else None
    return str(value) if value else None


def _lowest_allowed(spec: str | None) -> str | None:
    """The lowest 3.X from 3.8 to 3.13 a version specifier allows (``>=3.9,<3.12``:
    3.9; ``^3.10``: 3.10; ``==3.8.*``: 3.8), or None."""
    if not spec:
        return None
    try:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
    except ImportError:
        first = _MINOR.search(spec)
        return f"3.{first.group(1)}" if first else None
    spec = re.sub(r"\^\s*(3\.\d+)", r">=\1", spec.replace("~=", ">=").replace("~", ">="))
    try:
        allowed = SpecifierSet(spec)
    except InvalidSpecifier:
        return None
    return next((f"3.{m}" for m in range(8, 14) if f"3.{m}.0" in allowed), None)


# -- framework --------------------------------------------------------------------------

#: Import or distribution name -> framework.
FRAMEWORKS = {
    "torch": "pytorch",
    "sklearn": "scikit-learn",
    "scikit-learn": "scikit-learn",
    "xgboost": "xgboost",
    "lightgbm": "lightgbm",
    "tensorflow": "tensorflow",
    "keras": "tensorflow",
}
_DEP_FILES = ("requirements.txt", "requirements-dev.txt", "pyproject.toml", "setup.py", "Pipfile")


@dataclass(frozen=True)
class Framework:
    name: str
    source: str


def frameworks(root: Path, files: list[Path]) -> tuple[Framework, ...]:
    """The ML frameworks the project uses, from its dependency files and the imports of
    its Python files (syntax trees only), each with the first file that shows it; in
    the order of FRAMEWORKS."""
    seen: dict[str, str] = {}
    for name in _DEP_FILES:
        text = (_read(root / name) or "").lower()
        for dist, framework in FRAMEWORKS.items():
            if framework not in seen and re.search(rf"(?<![\w-]){re.escape(dist)}(?![\w-])", text):
                seen[framework] = name
    for path in files:
        if path.suffix != ".py" or len(seen) == len(set(FRAMEWORKS.values())):
            continue
        for module in _imports(path):
            framework = FRAMEWORKS.get(module)
            if framework and framework not in seen:
                seen[framework] = path.relative_to(root).as_posix()
    order = list(dict.fromkeys(FRAMEWORKS.values()))
    return tuple(Framework(f, seen[f]) for f in order if f in seen)


def _imports(path: Path) -> set[str]:
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


# -- Dockerfile, setup.py ---------------------------------------------------------------


def dockerfile_state(path: Path) -> str:
    """``absent``; ``empty`` (no instruction); ``unparsable`` (not UTF-8 text, or no
    ``FROM``); ``mlgate`` (written by mlgate init); ``own`` (the project's own)."""
    if not path.is_file():
        return "absent"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return "unparsable"
    lines = [line.strip() for line in text.splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    if not instructions:
        return "empty"
    if not any(re.match(r"(?i)FROM\s+\S", line) for line in instructions):
        return "unparsable"
    return "mlgate" if "written by `mlgate init`" in text else "own"


def installable(root: Path) -> tuple[str, ...]:
    """The packaging files that make the project pip-installable: a ``pyproject.toml``
    with a ``[project]`` or ``[build-system]`` table, a ``setup.py`` or ``setup.cfg``
    that is not empty (a 0-byte setup.py installs nothing and fails)."""
    found = []
    pyproject = _read(root / "pyproject.toml")
    if pyproject and re.search(r"^\[(project|build-system|tool\.poetry)\]", pyproject, re.M):
        found.append("pyproject.toml")
    for name in ("setup.py", "setup.cfg"):
        text = _read(root / name)
        if text and text.strip():
            found.append(name)
    return tuple(found)
