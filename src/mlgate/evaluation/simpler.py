"""A simpler model is not better: the candidate against a dummy model and, when
mlgate.yaml names training data, a linear model fitted on it, on the same rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mlgate.errors import InputError
from mlgate.evaluation.metrics import Metric, Scored, Task, Truth, applicable
from mlgate.evaluation.paired import ALPHA
from mlgate.evaluation.predictions import EvalData, ModelOutput
from mlgate.findings import Finding, Status

if TYPE_CHECKING:
    from mlgate.evaluation.gate import Rows

CODE = "model.simpler_model_better"
DUMMY: dict[Task, str] = {
    "classification": "a most-frequent-class dummy",
    "regression": "a mean-predicting dummy",
}


def dummy(truth: Truth, *, with_proba: bool) -> Scored:
    """The strongest dummy: fitted on the evaluation target itself (the majority class
    with the class prior as probabilities, or the mean), as scikit-learn's
    ``DummyClassifier(strategy="prior")`` and ``DummyRegressor()`` would be."""
    if truth.task == "classification":
        counts = np.bincount(truth.y, minlength=len(truth.classes)).astype(float)
        prior = counts / counts.sum()
        proba = np.tile(prior, (truth.rows, 1)) if with_proba else None
        return Scored(np.full(truth.rows, int(np.argmax(counts))), proba)
    return Scored(np.full(truth.rows, float(np.mean(truth.y))))


def simpler_model_finding(
    primary: Metric,
    rows: Rows,
    cand: Scored,
    simpler: Scored,
    name: str,
    *,
    ties_fail: bool,
) -> Finding:
    """Pass when the candidate beats ``simpler`` on the primary metric with confidence
    (the same paired test, margin 0); fail when ``simpler`` does better with confidence,
    or, with ``ties_fail`` (a dummy: a model no better than it is no use), as well;
    warn when the rows cannot tell."""
    if applicable(primary, rows.truth, cand, simpler) is not None:
        return Finding(CODE, Status.SKIP, f"{primary.label} does not apply to these rows")
    # The simpler model as "candidate" against the model as "baseline": "worse" means
    # the model beats it with confidence.
    c = rows.compare(primary, simpler, cand, margin=0.0)
    # Said from the model's side: the difference is model - simpler; each p-value
    # tests the null in its name (small: the model is better, or the simpler one).
    details = {
        "metric": primary.name,
        "higher_is_better": primary.higher_is_better,
        "model": c.baseline,
        "simpler": c.candidate,
        "simpler_model": name,
        "difference": -c.difference,
        "ci_low": -c.ci_high,
        "ci_high": -c.ci_low,
        "confidence": 1 - 2 * ALPHA,
        "method": c.method,
        "rows": c.rows,
        "p_model_no_better": c.p_value,
        "p_simpler_no_better": c.p_not_worse,
    }
    text = (
        f"{primary.label}: model {c.baseline:.4g}, {name} {c.candidate:.4g} "
        f"({c.rows} rows, {c.method})"
    )
    if c.verdict == "worse":
        return Finding(CODE, Status.PASS, f"{text}: the model beats {name}", details=details)
    if c.verdict == "not_worse" and not ties_fail and c.difference <= 0:
        return Finding(
            CODE, Status.PASS, f"{text}: {name} does no better than the model", details=details
        )
    if c.verdict == "not_worse":
        return Finding(
            CODE,
            Status.FAIL,
            f"{text}: {name} does {'as well or ' if ties_fail else ''}better than the "
            "model; check that the features reach the model and that rows and labels line up",
            details=details,
        )
    return Finding(
        CODE,
        Status.WARN,
        f"{text}: these rows cannot tell the model from {name}; give more evaluation rows",
        details=details,
    )


def linear_model(train_path: str, data: EvalData, task: Task) -> tuple[str, ModelOutput]:
    """A linear model (logistic regression, or ridge regression) on the evaluation data's
    features, fitted on ``train_path``: numbers median-imputed and standardised, other
    columns most-frequent-imputed and one-hot encoded (scikit-learn's pipeline), and its
    predictions on the evaluation rows. Raises ``InputError`` when the training data
    lacks the target or a feature."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from mlgate.evaluation.predictions import load_eval_data

    train = load_eval_data(train_path, data.target, id_column=data.id_column)
    features = data.feature_names
    missing = [c for c in features if c not in train.frame.columns]
    if missing:
        raise InputError(
            f"{train_path}: the training data lacks feature(s) of the evaluation data: "
            f"{', '.join(missing[:10])}"
        )
    numeric = [c for c in features if data.frame.schema[c].is_numeric()]
    other = [c for c in features if c not in numeric]
    encode = ColumnTransformer(
        [
            ("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "others",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
                ),
                other,
            ),
        ]
    )
    if task == "classification":
        estimator: Any = LogisticRegression(max_iter=1000)
        name = "a logistic regression fitted on the training data"
    else:
        estimator = Ridge()
        name = "a ridge regression fitted on the training data"
    model = make_pipeline(encode, estimator)
    x_train = train.frame.select(features).to_pandas()
    x_eval = data.frame.select(features).to_pandas()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings: it is a yardstick
        model.fit(x_train, train.y)
        labels = np.asarray(model.predict(x_eval))
        proba = np.asarray(model.predict_proba(x_eval)) if task == "classification" else None
    classes = tuple(np.asarray(model.classes_).tolist()) if proba is not None else None
    return name, ModelOutput(labels, proba, classes, f"linear model on {train_path}")
