"""The penguins pipeline: clean the measurements, join the birds, build features, train.

Each step's parameters name a source or an earlier step (mlgate.yaml); `mlgate check
pipeline` runs them on a sample and holds each to its contract in contracts/.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

ISLANDS = ["Biscoe", "Dream", "Torgersen"]
SEXES = ["female", "male"]
NUMERIC = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_kg"]


def clean(measurements: pd.DataFrame) -> pd.DataFrame:
    """Birds with every measurement, body mass in kilograms."""
    df = measurements.dropna().copy()
    df["body_mass_kg"] = df.pop("body_mass_g") / 1000
    return df


def joined(clean: pd.DataFrame, birds: pd.DataFrame) -> pd.DataFrame:
    """Each measured bird with its species, island, sex and year: one row per bird."""
    return clean.merge(birds, on="bird_id", how="left", validate="one_to_one")


def features(joined: pd.DataFrame) -> pd.DataFrame:
    """The model's inputs: measurements and one-hot island and sex, on fixed categories
    so that every batch has the same columns."""
    df = joined.reset_index(drop=True)
    island = pd.get_dummies(pd.Categorical(df["island"], categories=ISLANDS), prefix="island")
    sex = pd.get_dummies(pd.Categorical(df["sex"], categories=SEXES), prefix="sex")
    parts = [df[["bird_id", *NUMERIC]], island.astype(int), sex.astype(int), df[["species"]]]
    return pd.concat(parts, axis=1)


def train(features: pd.DataFrame) -> Pipeline:
    """A scaled logistic regression predicting the species."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = features.drop(columns=["bird_id", "species"])
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    return model.fit(X, features["species"])
