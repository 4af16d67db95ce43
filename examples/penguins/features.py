"""Feature code of the penguins example, shared by the PyTorch and scikit-learn models.

Plain Polars and NumPy, unit-tested in tests/test_features.py with mlgate's helpers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

HERE = Path(__file__).resolve().parent
NUMERIC = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
ISLANDS = ["Biscoe", "Dream", "Torgersen"]
SPECIES = ["Adelie", "Chinstrap", "Gentoo"]
TARGET = "species"


def load(name: str = "reference") -> pl.DataFrame:
    """The example's split, rows with a missing measurement dropped."""
    return pl.read_csv(HERE / "data" / f"{name}.csv").drop_nulls(NUMERIC)


def one_hot(values: pl.Series, categories: list[str]) -> np.ndarray:
    """One column per category; an unseen category (or null) is an all-zero row."""
    return np.stack([(values == c).fill_null(False).to_numpy() for c in categories], axis=1).astype(
        np.float32
    )


def standardize(x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Scale to zero mean and unit variance; a constant column maps to zeros."""
    safe = np.where(std > 0, std, 1.0)
    return ((x - mean) / safe).astype(np.float32)


def features(df: pl.DataFrame, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Standardised measurements (a missing one imputed with the training mean) and the
    one-hot island."""
    filled = df.select(
        pl.col(c).cast(pl.Float64).fill_null(float(m)) for c, m in zip(NUMERIC, mean, strict=True)
    )
    numeric = standardize(filled.to_numpy(), mean, std)
    return np.concatenate([numeric, one_hot(df.get_column("island"), ISLANDS)], axis=1)


def labels(df: pl.DataFrame) -> np.ndarray:
    index = {s: i for i, s in enumerate(SPECIES)}
    return np.array([index[s] for s in df.get_column(TARGET).to_list()], dtype=np.int64)
