"""A trusted pickle that does not load here is the user's input (exit 2), named with
what it needs, never an internal error (exit 3)."""

from __future__ import annotations

import pickle
import sys
import types
from pathlib import Path

import pytest

from mlgate.errors import InputError
from mlgate.serving.artifacts import load_model
from tests.conftest import crash_files_in, run_main

sklearn = pytest.importorskip("sklearn")


def old_sklearn_pickle(path: Path) -> None:
    """A pickle shaped like one scikit-learn 0.23 wrote: the estimator's class lives in
    a module newer versions removed (sklearn.linear_model.logistic), and its state
    records _sklearn_version."""
    name = "sklearn.linear_model.logistic"
    module = types.ModuleType(name)

    class LogisticRegression:
        pass

    LogisticRegression.__module__ = name
    LogisticRegression.__qualname__ = "LogisticRegression"
    module.LogisticRegression = LogisticRegression  # type: ignore[attr-defined]
    sys.modules[name] = module
    try:
        model = LogisticRegression()
        model.__dict__.update({"C": 1.0, "_sklearn_version": "0.23.2"})
        path.write_bytes(pickle.dumps(model))
    finally:
        del sys.modules[name]


def test_a_pickle_from_an_old_sklearn_names_the_version_it_needs(tmp_path):
    path = tmp_path / "model.pkl"
    old_sklearn_pickle(path)
    with pytest.raises(InputError) as info:
        load_model(path, trust_pickle=True)
    message = str(info.value)
    assert len(message.splitlines()) == 1
    assert "No module named 'sklearn.linear_model.logistic'" in message
    assert f"the pickle does not load with sklearn {sklearn.__version__} (" in message
    assert "it was saved with sklearn 0.23.2" in message
    assert "pip install scikit-learn==0.23.2" in message


def test_a_pickle_of_a_package_not_installed_names_the_package(tmp_path):
    name = "nowhere_installed_lib"
    module = types.ModuleType(name)

    class Booster:
        pass

    Booster.__module__ = name
    Booster.__qualname__ = "Booster"
    module.Booster = Booster  # type: ignore[attr-defined]
    sys.modules[name] = module
    try:
        (tmp_path / "m.pkl").write_bytes(pickle.dumps(Booster()))
    finally:
        del sys.modules[name]
    with pytest.raises(InputError, match=r"needs the package 'nowhere_installed_lib'"):
        load_model(tmp_path / "m.pkl", trust_pickle=True)


def test_a_truncated_pickle_is_input_not_a_crash(tmp_path):
    (tmp_path / "m.pkl").write_bytes(pickle.dumps({"a": 1})[:5])
    with pytest.raises(InputError, match="not a readable pickle"):
        load_model(tmp_path / "m.pkl", trust_pickle=True)


def test_mlgate_serve_exits_2_not_3_on_an_old_pickle(capsys, tmp_path, monkeypatch):
    crash_dir = crash_files_in(tmp_path, monkeypatch)
    old_sklearn_pickle(tmp_path / "model.pkl")
    (tmp_path / "schema.yaml").write_text(
        "version: 1\ncolumns:\n  x:\n    type: float\n    required: true\n"
    )
    code, _, err = run_main(
        capsys,
        (
            "serve",
            "--model",
            tmp_path / "model.pkl",
            "--schema",
            tmp_path / "schema.yaml",
            "--trust-pickle",
        ),
    )
    assert code == 2, err
    assert "scikit-learn==0.23.2" in err and "Traceback" not in err
    assert list(crash_dir.iterdir()) == []
