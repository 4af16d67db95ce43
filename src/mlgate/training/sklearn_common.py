"""What the scikit-learn training checks share: their thresholds, the seeded copy of
the user's estimator they work on, the warnings they catch, and small helpers."""

from __future__ import annotations

import copy
import inspect
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mlgate.findings import Finding, Status
from mlgate.training.spec import Budget, SpecError

#: Level of the permutation test that a model's margin over the baseline is not chance.
ALPHA = 0.05
#: Shuffles of y in that test (the smallest attainable p-value is 1 / (N + 1)).
N_PERMUTATIONS = 200
#: Rows the permutation test runs on at most (a seeded sample of them beyond that).
PERMUTATION_ROWS = 10_000
#: predict_proba rows must sum to 1 within this (float32 models are off by ~1e-7).
PROBA_ATOL = 1e-4
#: The share of the loss curve averaged at its start and at its end.
LOSS_WINDOW = 0.2
#: The end of the loss curve must be this much (relative) below its start.
LOSS_MIN_DROP = 0.01
#: A curve that falls and then gives back more than this share of its gain warns.
LOSS_GIVE_BACK = 0.5
#: partial_fit probe: the training rows are shuffled and cut into this many chunks, the
#: "batches" of the budget: one partial_fit call per step (``Budget.steps``, or
#: ``Budget.epochs`` passes over the chunks), the loss measured after every call.
PARTIAL_FIT_CHUNKS = 10
#: Refits of boosting models without staged predictions or eval_set, as shares of n_estimators.
N_ESTIMATORS_GRID = (0.1, 0.25, 0.5, 0.75, 1.0)
#: Predictions of two seeded fits are equal within these tolerances (threaded sums).
REPRO_RTOL = 1e-6
REPRO_ATOL = 1e-9
#: At most this many distinct warnings become findings.
MAX_WARNINGS = 10
#: Columns named in one message; the details hold them all.
MAX_NAMED = 5

_HIGHER_IS_BETTER = ("auc", "aucpr", "ndcg", "map", "average_precision", "pre")


# --------------------------------------------------------------------------- copying


def copy_seeded(estimator: Any, seed: int) -> tuple[Any, tuple[str, ...]]:
    """A fresh copy of the estimator with every ``random_state`` left at None set to seed.

    Returns the copy and the parameters seeded. The user's object is never touched.
    """
    from sklearn.base import clone

    try:
        est = clone(estimator)
    except Exception:
        try:
            est = copy.deepcopy(estimator)
        except Exception as exc:
            raise SpecError(
                f"the estimator {type(estimator).__name__} can be neither cloned "
                f"(sklearn.base.clone) nor deep-copied ({type(exc).__name__}: {exc}); mlgate "
                "fits a copy so that your object stays untouched: implement get_params"
            ) from None
    return est, _seed_random_state(est, seed)


def _seed_random_state(est: Any, seed: int) -> tuple[str, ...]:
    get_params = getattr(est, "get_params", None)
    if callable(get_params):
        try:
            params = get_params(deep=True)
            keys = sorted(
                k
                for k, v in params.items()
                if v is None and (k == "random_state" or k.endswith("__random_state"))
            )
            if keys:
                est.set_params(**dict.fromkeys(keys, seed))
            return tuple(keys)
        except Exception:
            return ()
    if hasattr(est, "random_state") and est.random_state is None:
        try:
            est.random_state = seed
        except Exception:
            return ()
        return ("random_state",)
    return ()


def _has_random_state(est: Any) -> bool:
    try:
        params = est.get_params(deep=True)
    except Exception:
        return hasattr(est, "random_state")
    return any(k == "random_state" or k.endswith("__random_state") for k in params)


# --------------------------------------------------------------------------- warnings


@dataclass(frozen=True)
class CaughtWarning:
    category: str
    message: str
    where: str
    phase: str


@contextmanager
def _capture(phase: str, sink: list[CaughtWarning]) -> Iterator[None]:
    """Record every warning raised inside, for ``training.runtime_warning``."""
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            sink.extend(
                CaughtWarning(
                    category=w.category.__name__,
                    message=_one_line(str(w.message)),
                    where=f"{Path(w.filename).name}:{w.lineno}",
                    phase=phase,
                )
                for w in records
            )


@contextmanager
def _quiet() -> Iterator[None]:
    """mlgate's own probing: its warnings are not the user's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def check_runtime_warnings(caught: Sequence[CaughtWarning]) -> list[Finding]:
    """One finding per distinct warning raised during fit and predict."""
    if not caught:
        return [
            Finding(
                "training.runtime_warning",
                Status.PASS,
                "no warnings during fit and predict",
                details={"count": 0},
            )
        ]
    groups: dict[tuple[str, str], list[CaughtWarning]] = {}
    for w in caught:
        groups.setdefault((w.category, w.message), []).append(w)
    findings = []
    for (category, message), ws in list(groups.items())[:MAX_WARNINGS]:
        phases = sorted({w.phase for w in ws}, key=("fit", "predict").index)
        times = f" ({len(ws)} times)" if len(ws) > 1 else ""
        findings.append(
            Finding(
                "training.runtime_warning",
                Status.WARN,
                f"{category} during {' and '.join(phases)}{times}: {_clip(message, 200)}; "
                f"{_warning_advice(category, message)}",
                details={
                    "category": category,
                    "warning": message,
                    "count": len(ws),
                    "phases": phases,
                    "where": ws[0].where,
                },
            )
        )
    if len(groups) > MAX_WARNINGS:
        findings.append(
            Finding(
                "training.runtime_warning",
                Status.WARN,
                f"{len(groups) - MAX_WARNINGS} more distinct warnings during fit and predict "
                "are not shown; run the fit yourself to see them all",
                details={"count": len(groups) - MAX_WARNINGS},
            )
        )
    return findings


def _warning_advice(category: str, message: str) -> str:
    if category == "ConvergenceWarning":
        return "raise max_iter, or scale the features (StandardScaler)"
    if category == "DataConversionWarning":
        return "pass y as a 1-d array (y.ravel())"
    if "feature names" in message:
        return "fit and predict on the same kind of input (both DataFrames or both arrays)"
    if category in ("FutureWarning", "DeprecationWarning"):
        return "update the code before the behaviour changes"
    if category == "RuntimeWarning":
        return "look for a division by zero, a log of zero or an overflow in the model code"
    return "fix the cause, or silence this warning deliberately where it is raised"


# --------------------------------------------------------------------------- helpers


def _not_judged(code: str, why: str) -> Finding:
    """A check that cannot apply because an earlier one found its input unusable."""
    return Finding(code, Status.SKIP, f"not judged: {why}", details={"applicable": False})


def _time_limit(budget: Budget, skipped: list[str]) -> Finding:
    return Finding(
        "training.time_limit",
        Status.WARN,
        f"the time limit of {budget.time_limit:g} s was spent before {', '.join(skipped)}; "
        "they were skipped: raise the time limit or fit on a sample",
        details={"time_limit": budget.time_limit, "skipped": skipped},
    )


def _is_classifier(estimator: Any, y: Any) -> bool:
    from sklearn.base import is_classifier, is_regressor

    try:
        if is_classifier(estimator):
            return True
        if is_regressor(estimator):
            return False
    except Exception:
        pass
    if hasattr(estimator, "classes_") or callable(getattr(estimator, "predict_proba", None)):
        return True
    return np.asarray(y).dtype.kind not in "fc"


def n_rows(data: Any) -> int:
    shape = getattr(data, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    return len(data)


def _parameters(func: Any) -> set[str]:
    if func is None:
        return set()
    try:
        return set(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        return set()


def _get_params(est: Any) -> dict[str, Any]:
    try:
        return dict(est.get_params(deep=False))
    except Exception:
        return {}


def _shape(shape: Sequence[int]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."
