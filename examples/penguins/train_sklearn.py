"""A scikit-learn pipeline (one-hot encoder and logistic regression) and its spec.

mlgate check training --entrypoint examples/penguins/train_sklearn.py:training_spec
"""

from __future__ import annotations

from features import NUMERIC, TARGET, load
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

CATEGORICAL = ["island", "sex"]


def make_classifier() -> Pipeline:
    categories = make_pipeline(
        SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
    )
    encode = ColumnTransformer(
        [("numbers", StandardScaler(), NUMERIC), ("categories", categories, CATEGORICAL)]
    )
    return Pipeline([("encode", encode), ("model", LogisticRegression(max_iter=500))])


def training_spec() -> dict[str, object]:
    train = load("reference").to_pandas()
    valid = load("current_clean").to_pandas()
    columns = NUMERIC + CATEGORICAL
    return {
        "estimator": make_classifier(),
        "X": train[columns],
        "y": train[TARGET],
        "X_valid": valid[columns],
        "y_valid": valid[TARGET],
    }
