"""Real models on real bundled data: scikit-learn's digits (1,797 handwritten digits,
64 pixel features, 10 classes) and diabetes (442 patients, 10 features, a continuous
target), split in halves: the first to train, the second to evaluate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("skops")
pytest.importorskip("statsmodels")

from sklearn.datasets import load_diabetes, load_digits
from sklearn.model_selection import train_test_split

from mlgate.serving import save_model


@dataclass(frozen=True)
class Split:
    X_train: pd.DataFrame
    y_train: pd.Series
    X_eval: pd.DataFrame
    y_eval: pd.Series
    eval_path: Path
    target: str

    def save(self, estimator: Any, name: str, folder: Path) -> str:
        return str(save_model(estimator, folder / f"{name}.skops"))


def _split(X: pd.DataFrame, y: pd.Series, folder: Path, *, stratify: bool) -> Split:
    X_tr, X_ev, y_tr, y_ev = train_test_split(
        X, y, test_size=0.5, random_state=0, stratify=y if stratify else None
    )
    path = folder / "eval.parquet"
    pl.from_pandas(X_ev.assign(target=y_ev).reset_index(drop=True)).write_parquet(path)
    return Split(X_tr, y_tr, X_ev, y_ev, path, "target")


@pytest.fixture(scope="session")
def digits(tmp_path_factory: pytest.TempPathFactory) -> Split:
    X, y = load_digits(return_X_y=True, as_frame=True)
    return _split(X, y, tmp_path_factory.mktemp("digits"), stratify=True)


@pytest.fixture(scope="session")
def diabetes(tmp_path_factory: pytest.TempPathFactory) -> Split:
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    return _split(X, y, tmp_path_factory.mktemp("diabetes"), stratify=False)


@pytest.fixture(scope="session")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., str]:
    """Fit an estimator on a split's training half (or given data) and save it as skops,
    once per name for the whole session."""
    folder = tmp_path_factory.mktemp("models")
    done: dict[str, str] = {}

    def fit(name: str, split: Split, estimator: Any, X: Any = None, y: Any = None) -> str:
        if name not in done:
            estimator.fit(split.X_train if X is None else X, split.y_train if y is None else y)
            done[name] = split.save(estimator, name, folder)
        return done[name]

    return fit


def noisy_labels(y: pd.Series, share: float, classes: int, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    out = y.copy()
    flip = rng.random(len(y)) < share
    out[flip] = rng.integers(0, classes, int(flip.sum()))
    return out
