"""mlgate's pytest plugin: the project's schema and reference data as fixtures.

Installed with mlgate and registered by entry point, so it loads in every pytest run of
every project where mlgate is installed. It therefore imports nothing heavy (no Polars,
NumPy or pydantic until a fixture is used) and does nothing in a project without an
mlgate.yaml: its fixtures then skip, saying why.

Fixtures (session-scoped):

- ``mlgate_config``: the ``Config`` read from mlgate.yaml;
- ``mlgate_config_path``: the path of that mlgate.yaml (its folder is the root that
  the file's relative paths are resolved against);
- ``mlgate_schema``: the ``Schema`` that the config's ``data.schema`` names;
- ``mlgate_reference``: the config's ``data.reference`` data as a Polars DataFrame.

The config is found as ``--mlgate-config PATH`` (relative to the working directory),
else the ini option ``mlgate_config`` (relative to the ini file), else ``mlgate.yaml``
in pytest's rootdir.
"""

from __future__ import annotations

import glob as globlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import polars as pl

    from mlgate.config import Config
    from mlgate.data.schema import Schema

CONFIG_NAME = "mlgate.yaml"  # the same as mlgate.config.CONFIG_NAME, without importing it
_CONFIG_PATH = pytest.StashKey["Path | None"]()
_EXPLICIT = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mlgate")
    group.addoption(
        "--mlgate-config",
        dest="mlgate_config",
        metavar="PATH",
        default=None,
        help="mlgate.yaml for the mlgate_* fixtures (default: mlgate.yaml in the rootdir)",
    )
    parser.addini(
        "mlgate_config",
        help="mlgate.yaml for the mlgate_* fixtures, relative to the ini file",
        default=None,
    )


def pytest_configure(config: pytest.Config) -> None:
    path, explicit = _find_config(config)
    if explicit and path is not None and not path.is_file():
        raise pytest.UsageError(
            f"mlgate config {path}: no such file; check --mlgate-config or the "
            "mlgate_config ini option"
        )
    config.stash[_CONFIG_PATH] = path if path is not None and path.is_file() else None
    config.stash[_EXPLICIT] = explicit


def _find_config(config: pytest.Config) -> tuple[Path | None, bool]:
    """The config path and whether the user named it (explicit) or it is the default."""
    option = config.getoption("mlgate_config", default=None)
    if option:
        return (config.invocation_params.dir / option).resolve(), True
    ini = config.getini("mlgate_config")
    if ini:
        base = config.inipath.parent if config.inipath is not None else config.rootpath
        return (base / str(ini)).resolve(), True
    return config.rootpath / CONFIG_NAME, False


def pytest_report_header(config: pytest.Config) -> str | None:
    path = config.stash.get(_CONFIG_PATH, None)
    return f"mlgate: {path}" if path is not None else None


@pytest.fixture(scope="session")
def mlgate_config_path(pytestconfig: pytest.Config) -> Path:
    """The project's mlgate.yaml; skips the test when there is none."""
    path = pytestconfig.stash.get(_CONFIG_PATH, None)
    if path is None:
        pytest.skip(
            f"no {CONFIG_NAME} in {pytestconfig.rootpath}; write one (see mlgate's "
            "docs/config.md) or pass --mlgate-config PATH"
        )
    return path


@pytest.fixture(scope="session")
def _mlgate_loaded(mlgate_config_path: Path) -> tuple[Config, Path]:
    from mlgate.config import load_config
    from mlgate.errors import MlgateError

    try:
        return load_config(mlgate_config_path)
    except MlgateError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def mlgate_config(_mlgate_loaded: tuple[Config, Path]) -> Config:
    """The project's mlgate.yaml as mlgate's ``Config``."""
    return _mlgate_loaded[0]


def _resolve(root: Path, text: str) -> Path:
    path = Path(text)
    return path if path.is_absolute() else root / path


@pytest.fixture(scope="session")
def mlgate_schema(_mlgate_loaded: tuple[Config, Path], mlgate_config_path: Path) -> Schema:
    """The schema named by the config's ``data.schema``; skips when it names none."""
    from mlgate.data.schema import load_schema
    from mlgate.errors import MlgateError

    config, root = _mlgate_loaded
    if config.data is None or config.data.schema_file is None:
        pytest.skip(f"{mlgate_config_path} names no schema (data.schema); add one to use it")
    try:
        return load_schema(_resolve(root, config.data.schema_file))
    except MlgateError as exc:
        pytest.fail(f"{exc} (data.schema in {mlgate_config_path})", pytrace=False)


@pytest.fixture(scope="session")
def mlgate_reference(_mlgate_loaded: tuple[Config, Path], mlgate_config_path: Path) -> pl.DataFrame:
    """The config's ``data.reference`` as one Polars DataFrame; skips when it is absent.

    Read with mlgate's readers (CSV, Parquet, JSON Lines, Arrow IPC; a file, folder or
    glob). Reference data that is not checked out (fetched in CI only, say) skips the
    tests that need it rather than failing them.
    """
    config, root = _mlgate_loaded
    if config.data is None:
        pytest.skip(f"{mlgate_config_path} has no data stage (data.reference)")
    text = config.data.reference
    path = _resolve(root, text)
    if not _exists(path):
        pytest.skip(f"reference data {text} (data.reference in {mlgate_config_path}) not found")
    return _read_reference(path, text, mlgate_config_path)


def _exists(path: Path) -> bool:
    text = str(path)
    if any(ch in text for ch in "*?["):
        return bool(globlib.glob(text, recursive=True))  # noqa: PTH207 (a user's pattern)
    return path.exists()


def _read_reference(path: Path, text: str, config_path: Path) -> Any:
    from mlgate.data import io
    from mlgate.errors import MlgateError

    try:
        source = io.resolve(str(path))
        if source.kind == "profile":
            pytest.skip(
                f"reference {text} (data.reference in {config_path}) is a saved profile, "
                "which holds no rows"
            )
        return io.read_all(source)
    except MlgateError as exc:
        pytest.fail(f"{exc} (data.reference in {config_path})", pytrace=False)
