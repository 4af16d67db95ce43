"""A healthy loan-default project with its contracts inferred once, copied per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.pipeline.project import write_project


@pytest.fixture(scope="session")
def _inferred(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mlgate.pipeline.gate import infer_contracts

    folder = tmp_path_factory.mktemp("loans")
    infer_contracts(write_project(folder))
    return folder


@pytest.fixture
def project(_inferred: Path, tmp_path: Path) -> Path:
    """A fresh copy of the project, contracts committed: break it as a PR would."""
    folder = tmp_path / "loans"
    shutil.copytree(_inferred, folder)
    return folder
