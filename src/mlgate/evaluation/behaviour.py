"""Behavioural tests of a tabular model, declared in mlgate.yaml (``model.behaviour``).

After Ribeiro et al., "Beyond Accuracy: Behavioral Testing of NLP Models with
CheckList" (ACL 2020), for tables:

- **invariance**: changing a column that must not matter (each row set to each of the
  given values, or the column shuffled across rows) leaves the predictions unchanged;
- **direction**: raising a column by an amount must not lower the score (the
  probability of a named class, or the predicted value), or must not raise it;
- **minimum functionality**: given rows get the expected labels.

Invariance and direction run on the evaluation rows (a seeded sample of at most
``rows``); each test is one ``model.behaviour`` finding.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from mlgate._format import percent
from mlgate.errors import InputError, name_hint
from mlgate.evaluation.predictions import EvalData, ModelOutput
from mlgate.findings import Finding, Status

CODE = "model.behaviour"
#: Rows listed in a failing finding's message.
EXAMPLES = 3


@dataclass(frozen=True)
class Invariance:
    """Predictions must not change when ``column`` is set to each of ``values`` (or,
    with no values, shuffled across rows); at most ``max_changed`` of rows may change."""

    column: str
    values: tuple[Any, ...] = ()
    max_changed: float = 0.0


@dataclass(frozen=True)
class Direction:
    """Adding ``increase`` to ``column`` must not lower (``expect="not_lower"``) or raise
    (``"not_higher"``) the score: the probability of class ``of``, or the prediction of
    a regression model. At most ``max_violations`` of rows may go the wrong way by more
    than ``tolerance``."""

    column: str
    increase: float
    of: Any = None
    expect: Literal["not_lower", "not_higher"] = "not_lower"
    tolerance: float = 1e-9
    max_violations: float = 0.0


@dataclass(frozen=True)
class Case:
    """A row (its feature values) and the label the model must give it."""

    row: Mapping[str, Any]
    expect: Any


@dataclass(frozen=True)
class Behaviour:
    invariance: tuple[Invariance, ...] = ()
    direction: tuple[Direction, ...] = ()
    cases: tuple[Case, ...] = field(default_factory=tuple)
    rows: int = 1000
    seed: int = 0

    def __bool__(self) -> bool:
        return bool(self.invariance or self.direction or self.cases)


def behaviour_findings(behaviour: Behaviour, output: ModelOutput, data: EvalData) -> list[Finding]:
    """One finding per declared test. A predictions file cannot be probed: each test is
    then skipped, saying so. Raises ``InputError`` for a test naming an unknown column
    or class."""
    tests = [*behaviour.invariance, *behaviour.direction]
    if not behaviour:
        return []
    if output.predict is None:
        why = f"{output.source} is predictions, not a model to probe; give the model"
        return [Finding(CODE, Status.SKIP, f"behaviour tests: {why}")]
    frame = _sample(data, output, behaviour)
    out = []
    for test in tests:
        if test.column not in frame.columns:
            raise InputError(
                f"model.behaviour: column {test.column!r} is not a feature of the model; "
                f"{name_hint(test.column, [str(c) for c in frame.columns], 'features')}"
            )
        if isinstance(test, Invariance):
            out.append(_invariance(test, output, frame, behaviour.seed))
        else:
            out.append(_direction(test, output, frame))
    if behaviour.cases:
        out.append(_cases(behaviour.cases, output, frame.columns))
    return out


def _sample(data: EvalData, output: ModelOutput, behaviour: Behaviour) -> Any:
    names = getattr(output.model, "feature_names_in_", None)
    frame = data.features(None if names is None else [str(n) for n in names])
    if len(frame) > behaviour.rows:
        rows = np.random.default_rng(behaviour.seed).choice(
            len(frame), behaviour.rows, replace=False
        )
        frame = frame.iloc[np.sort(rows)]
    return frame.reset_index(drop=True)


def _labels(output: ModelOutput, frame: Any) -> np.ndarray:
    predict: Callable[[Any], Any] = output.predict  # type: ignore[assignment]
    return np.asarray(predict(frame))


def _invariance(test: Invariance, output: ModelOutput, frame: Any, seed: int) -> Finding:
    before = _labels(output, frame)
    changed = np.zeros(len(frame), dtype=bool)
    variants = []
    if test.values:
        seen = set(frame[test.column].dropna().tolist())
        for value in test.values:
            if value not in seen:
                some = ", ".join(map(repr, sorted(seen, key=repr)[:5]))
                raise InputError(
                    f"model.behaviour: invariance value {value!r} never occurs in "
                    f"{test.column!r} (its values include {some}); check the spelling"
                )
            other = frame.copy()
            other[test.column] = value
            variants.append((repr(value), other))
    else:
        other = frame.copy()
        order = np.random.default_rng(seed).permutation(len(frame))
        other[test.column] = frame[test.column].to_numpy()[order]
        variants.append(("shuffled across rows", other))
    for _, other in variants:
        changed |= _differs(before, _labels(output, other))
    share = float(changed.mean())
    how = "set to " + " or ".join(label for label, _ in variants) if test.values else variants[0][0]
    details = {
        "test": "invariance",
        "changed": int(changed.sum()),
        "rows": len(frame),
        "share": share,
        "max_changed": test.max_changed,
        "values": list(test.values) or None,
    }
    if share > test.max_changed:
        rows = ", ".join(str(i) for i in np.flatnonzero(changed)[:EXAMPLES])
        return Finding(
            CODE,
            Status.FAIL,
            f"invariance: {percent(share)} of {len(frame)} rows change prediction when "
            f"{test.column!r} is {how} (allowed {percent(test.max_changed)}; e.g. rows {rows}); "
            f"the model depends on {test.column!r}: remove it from the features, or drop "
            "the test if it should matter",
            test.column,
            details,
        )
    return Finding(
        CODE,
        Status.PASS,
        f"invariance: predictions hold when {test.column!r} is {how} ({percent(share)} of "
        f"{len(frame)} rows changed)",
        test.column,
        details,
    )


def _differs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.dtype.kind in "fc" and b.dtype.kind in "fc":
        return ~np.isclose(a, b, rtol=1e-9, atol=1e-12)
    return a != b


def _direction(test: Direction, output: ModelOutput, frame: Any) -> Finding:
    import pandas as pd

    if not pd.api.types.is_numeric_dtype(frame[test.column]):
        raise InputError(
            f"model.behaviour: direction on {test.column!r}: the column is not numeric "
            f"({frame[test.column].dtype}); a direction test adds a number to it"
        )
    raised = frame.copy()
    raised[test.column] = frame[test.column] + test.increase
    before, after = _score(test, output, frame), _score(test, output, raised)
    change = after - before
    wrong = change < -test.tolerance if test.expect == "not_lower" else change > test.tolerance
    known = ~np.isnan(change)
    share = float(wrong[known].mean()) if known.any() else 0.0
    what = f"P({test.of})" if test.of is not None else "the prediction"
    verb = "fall" if test.expect == "not_lower" else "rise"
    details = {
        "test": "direction",
        "increase": test.increase,
        "of": test.of,
        "expect": test.expect,
        "violations": int(wrong.sum()),
        "rows": int(known.sum()),
        "share": share,
        "max_violations": test.max_violations,
        "largest_wrong_change": float(np.max(np.abs(change[wrong]))) if wrong.any() else 0.0,
    }
    if share > test.max_violations:
        rows = ", ".join(str(i) for i in np.flatnonzero(wrong)[:EXAMPLES])
        return Finding(
            CODE,
            Status.FAIL,
            f"direction: raising {test.column!r} by {test.increase:g} makes {what} {verb} on "
            f"{percent(share)} of {int(known.sum())} rows (allowed "
            f"{percent(test.max_violations)}; e.g. rows {rows}); check the feature's sign "
            "and encoding, or constrain the model (monotonic constraints)",
            test.column,
            details,
        )
    return Finding(
        CODE,
        Status.PASS,
        f"direction: raising {test.column!r} by {test.increase:g} never makes {what} {verb} "
        f"({int(known.sum())} rows)",
        test.column,
        details,
    )


def _score(test: Direction, output: ModelOutput, frame: Any) -> np.ndarray:
    if test.of is None:
        return np.asarray(_labels(output, frame), dtype=float)
    if output.predict_proba is None or output.classes is None:
        raise InputError(
            f"model.behaviour: direction on {test.column!r} names class {test.of!r}, but the "
            "model gives no class probabilities"
        )
    if test.of not in output.classes:
        raise InputError(
            f"model.behaviour: class {test.of!r} is not one of the model's classes "
            f"({', '.join(map(str, output.classes))})"
        )
    proba = np.asarray(output.predict_proba(frame), dtype=float)
    return proba[:, list(output.classes).index(test.of)]


def _cases(cases: Sequence[Case], output: ModelOutput, columns: Sequence[str]) -> Finding:
    import difflib

    import pandas as pd

    for i, case in enumerate(cases, 1):
        unknown = [c for c in case.row if c not in columns]
        if unknown:
            near = difflib.get_close_matches(unknown[0], list(columns), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise InputError(
                f"model.behaviour: case {i} names {unknown[0]!r}, not a feature of the model{hint}"
            )
        if output.classes is not None and case.expect not in output.classes:
            raise InputError(
                f"model.behaviour: case {i} expects {case.expect!r}, not one of the model's "
                f"classes ({', '.join(map(repr, output.classes))})"
            )

    missing = sorted({c for case in cases for c in columns if c not in case.row})
    rows = pd.DataFrame([{c: case.row.get(c) for c in columns} for case in cases])
    got = _labels(output, rows)
    wrong = [
        (i, case, g)
        for i, (case, g) in enumerate(zip(cases, got.tolist(), strict=True))
        if g != case.expect
    ]
    details = {
        "test": "cases",
        "cases": len(cases),
        "wrong": len(wrong),
        "missing_columns": missing,
    }
    if wrong:
        shown = "; ".join(
            f"case {i + 1}: expected {c.expect!r}, got {g!r}" for i, c, g in wrong[:EXAMPLES]
        )
        return Finding(
            CODE,
            Status.FAIL,
            f"cases: {len(wrong)} of {len(cases)} expected labels wrong ({shown}); fix the "
            "model, or the case if it is wrong",
            None,
            details,
        )
    return Finding(
        CODE, Status.PASS, f"cases: all {len(cases)} rows get their expected label", None, details
    )
