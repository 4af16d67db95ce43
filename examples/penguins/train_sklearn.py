"""A scikit-learn pipeline (imputers, one-hot encoder and logistic regression), its
training spec, and the model the serving image serves.

    mlgate check training --entrypoint examples/penguins/train_sklearn.py:training_spec
    python examples/penguins/train_sklearn.py     # writes model/model.skops

`make demo` also trains two pull requests' versions of it, to show `mlgate check model`:
`--variant lost-feature` (a refactor dropped bill_length_mm from the numeric features)
and `--variant retuned` (a regularisation tweak, C=0.5).
"""

from __future__ import annotations

from pathlib import Path

from features import HERE, NUMERIC, TARGET, load
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

CATEGORICAL = ["island", "sex"]
#: Where the Dockerfile (written by `mlgate init`) and `make demo` expect the model.
MODEL = HERE / "model" / "model.skops"


VARIANTS = ("main", "lost-feature", "retuned")


def make_classifier(variant: str = "main") -> Pipeline:
    # The schema lets a measurement be missing, so the served model must take a null
    # one: training data has none, but requests may.
    numbers = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categories = make_pipeline(
        SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
    )
    numeric = [c for c in NUMERIC if variant != "lost-feature" or c != "bill_length_mm"]
    encode = ColumnTransformer(
        [("numbers", numbers, numeric), ("categories", categories, CATEGORICAL)]
    )
    c = 0.5 if variant == "retuned" else 1.0
    return Pipeline([("encode", encode), ("model", LogisticRegression(C=c, max_iter=500))])


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


def train(variant: str = "main") -> Pipeline:
    """The pipeline fitted on the training split, as the training spec describes it."""
    spec = training_spec()
    return make_classifier(variant).fit(spec["X"], spec["y"])


def save(path: Path = MODEL, variant: str = "main") -> Path:
    """Train and save the model with skops, for `mlgate serve` and the serving image."""
    from mlgate.serving import save_model

    path.parent.mkdir(parents=True, exist_ok=True)
    return save_model(train(variant), path)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Train and save the penguins pipeline.")
    parser.add_argument("--variant", choices=VARIANTS, default="main")
    parser.add_argument("-o", "--output", type=Path, default=MODEL)
    args = parser.parse_args()
    print(f"saved {save(args.output.resolve(), args.variant).relative_to(HERE)}")
