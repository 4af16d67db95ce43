"""Shared pieces of the serving tests: the penguins example's real scikit-learn pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "penguins"
SCHEMA = EXAMPLE / "schema.yaml"
REFERENCE = EXAMPLE / "data" / "reference.csv"
HELD_OUT = EXAMPLE / "data" / "current_clean.csv"
TARGET = "species"


def train_penguins(*, numeric_imputer: bool = True, **model_params: Any) -> Any:
    """The example's pipeline (imputers, one-hot encoder, logistic regression), fitted on
    its training split by the example's own spec; ``model_params`` go to the regression.

    ``numeric_imputer=False`` breaks it on purpose: a null measurement, which the schema
    allows, then makes it raise.
    """
    from mlgate.training.spec import load_entrypoint

    spec = load_entrypoint(f"{EXAMPLE / 'train_sklearn.py'}:training_spec")()
    estimator = spec["estimator"]
    if model_params:
        estimator.set_params(**{f"model__{k}": v for k, v in model_params.items()})
    if not numeric_imputer:
        from sklearn.preprocessing import StandardScaler

        estimator.set_params(encode__numbers=StandardScaler())
    return estimator.fit(spec["X"], spec["y"])


def penguin_record(**changes: Any) -> dict[str, Any]:
    """One valid request record (a Gentoo), with ``changes`` applied."""
    record: dict[str, Any] = {
        "island": "Biscoe",
        "bill_length_mm": 47.5,
        "bill_depth_mm": 15.0,
        "flipper_length_mm": 215,
        "body_mass_g": 5200,
        "sex": "female",
        "year": 2008,
    }
    record.update(changes)
    return record
