"""The serving probe's findings from what the server answered: each held-out row's
answer against the offline prediction (labels and probabilities), and the rows the
server refused or failed on."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlgate.data.schema import Schema
from mlgate.findings import Finding, Status
from mlgate.serving.payloads import _snippet
from mlgate.serving.records import InputSpec, jsonable

if TYPE_CHECKING:
    from mlgate.serving.probe import ProbeSettings

#: How many examples a finding's details and message show.

#: How many examples a finding's details and message show.
SHOW = 5


@dataclass
class _Row:
    """What the server made of one held-out row."""

    outcome: str = "pending"  # ok | rejected | error
    prediction: Any = None
    probabilities: list[float] | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    status: int = 0
    body: str = ""
    #: What the server said it served outside the schema's range or domain (``warnings``).
    warnings: list[dict[str, Any]] = field(default_factory=list)


def _row_findings(results: Sequence[_Row]) -> list[Finding]:
    n = len(results)
    rejected = [(i, r) for i, r in enumerate(results) if r.outcome == "rejected"]
    failed = [(i, r) for i, r in enumerate(results) if r.outcome == "error"]
    out: list[Finding] = []
    examples = [
        {"row": i, **{k: e.get(k) for k in ("field", "error")}}
        for i, r in rejected[:SHOW]
        for e in r.errors[:1]
    ]
    # Rows served although outside the schema's range or domain: counted, for the skew
    # they hint at (the server marks them; a strict server refuses them instead).
    outside = [(i, r) for i, r in enumerate(results) if r.outcome == "ok" and r.warnings]
    details: dict[str, Any] = {
        "rows": n,
        "rejected": len(rejected),
        "examples": examples,
        "served_outside_schema": len(outside),
        "outside_examples": [
            {"row": i, "field": r.warnings[0].get("field"), "warning": r.warnings[0].get("warning")}
            for i, r in outside[:SHOW]
        ],
    }
    also = (
        f"; {len(outside)} served outside the schema's range or domain, marked by the server"
        if outside
        else ""
    )
    if rejected:
        first = examples[0] if examples else {"row": rejected[0][0], "field": None, "error": ""}
        where = f"{first['field']}: " if first.get("field") else ""
        out.append(
            Finding(
                "serving.rejected_rows",
                Status.WARN,
                f"{len(rejected)} of {n} held-out rows were refused with a 400 (row "
                f"{first['row']}: {where}{first['error']}){also}; if such rows are valid "
                "input, widen the schema's range or domain",
                details=details,
            )
        )
    else:
        out.append(
            Finding(
                "serving.rejected_rows",
                Status.PASS,
                f"the server accepted all {n} held-out rows{also}",
                details=details,
            )
        )
    errors = [{"row": i, "status": r.status, "body": r.body} for i, r in failed[:SHOW]]
    details = {"rows": n, "failed": len(failed), "examples": errors}
    if failed:
        i, r = failed[0]
        answer = f"{r.status}" if r.status else "no answer"
        out.append(
            Finding(
                "serving.server_error",
                Status.FAIL,
                f"{len(failed)} of {n} held-out rows the schema accepts got {answer} instead of "
                f"a prediction (row {i}: {r.body}); the model must handle every input the "
                "schema allows (e.g. impute nulls), or the schema must refuse it",
                details=details,
            )
        )
    elif len(rejected) == n:
        out.append(
            Finding(
                "serving.server_error",
                Status.SKIP,
                f"not applicable: the server refused all {n} held-out rows with a 400, so "
                "none reached the model (see serving.rejected_rows)",
                details=details,
            )
        )
    else:
        out.append(
            Finding(
                "serving.server_error",
                Status.PASS,
                f"no server error on {n - len(rejected)} accepted held-out rows",
                details=details,
            )
        )
    return out


def _compare(
    frame: Any,
    results: Sequence[_Row],
    offline: Any,
    spec: InputSpec,
    schema: Schema,
    target: str | None,
    settings: ProbeSettings,
) -> list[Finding]:
    ok = [i for i, r in enumerate(results) if r.outcome == "ok"]
    if offline is None:
        return [
            Finding(
                "serving.prediction_mismatch",
                Status.WARN,
                "not checked: pass --model (the artifact the server should be serving) to "
                "compare online predictions with offline ones",
            )
        ]
    if not ok:
        return [
            Finding(
                "serving.prediction_mismatch",
                Status.ERROR,
                "not checked: no held-out row got a prediction from the server",
            )
        ]
    local = InputSpec.for_model(offline, schema, target=target)
    if local.features != spec.features:
        return [
            Finding(
                "serving.prediction_mismatch",
                Status.FAIL,
                f"the served model takes features ({', '.join(spec.features)}), the given "
                f"--model takes ({', '.join(local.features)}); the server runs another model",
                details={"served": list(spec.features), "offline": list(local.features)},
            )
        ]
    import polars as pl

    subset = frame.with_row_index("__row").filter(pl.col("__row").is_in(ok))
    absent = [f for f in local.features if f not in subset.columns]  # optional, left out
    subset = subset.with_columns(pl.lit(None).alias(f) for f in absent)
    x = local.model_input(subset.select(list(local.features)).to_pandas())
    try:
        predicted = jsonable(offline.predict(x))
        proba = jsonable(offline.predict_proba(x)) if hasattr(offline, "predict_proba") else None
    except Exception as exc:
        return [
            Finding(
                "serving.prediction_mismatch",
                Status.FAIL,
                f"the server predicted {len(ok)} rows, but the model given with --model "
                f"raised {type(exc).__name__} on them offline: {exc}",
            )
        ]
    out = [_label_finding(ok, results, predicted, settings)]
    online_proba = [results[i].probabilities for i in ok]
    if proba is not None or any(p is not None for p in online_proba):
        out.append(_proba_finding(ok, online_proba, proba, settings))
    return out


def _label_finding(
    ok: list[int], results: Sequence[_Row], predicted: list[Any], settings: ProbeSettings
) -> Finding:
    tol = settings.probability_tolerance
    mismatches = [
        {"row": i, "online": results[i].prediction, "offline": off}
        for i, off in zip(ok, predicted, strict=True)
        if not _same(results[i].prediction, off, tol)
    ]
    details = {"rows": len(ok), "mismatches": len(mismatches), "examples": mismatches[:SHOW]}
    if mismatches:
        m = mismatches[0]
        return Finding(
            "serving.prediction_mismatch",
            Status.FAIL,
            f"{len(mismatches)} of {len(ok)} rows got another prediction online than offline "
            f"(row {m['row']}: online {m['online']!r}, offline {m['offline']!r}); the server "
            "runs another model, other library versions, or changes the input on the way",
            details=details,
        )
    return Finding(
        "serving.prediction_mismatch",
        Status.PASS,
        f"online predictions equal offline ones on all {len(ok)} rows",
        details=details,
    )


def _proba_finding(
    ok: list[int],
    online: list[list[float] | None],
    offline: list[list[float]] | None,
    settings: ProbeSettings,
) -> Finding:
    tol = settings.probability_tolerance
    if offline is None or any(p is None for p in online):
        side = "the server returned none" if offline is not None else "the given --model has none"
        return Finding(
            "serving.probability_mismatch",
            Status.FAIL,
            f"probabilities cannot be compared: {side}; serve the same model",
        )
    worst, worst_row = 0.0, ok[0]
    for i, on, off in zip(ok, online, offline, strict=True):
        diff = _largest_difference(on, off)
        if diff is None:
            return Finding(
                "serving.probability_mismatch",
                Status.FAIL,
                f"the server's probabilities for row {i} ({_snippet(json.dumps(on).encode())}) "
                f"do not match the {len(off)} numbers the given --model gives; the server "
                "runs another model",
                details={"row": i, "offline_classes": len(off)},
            )
        if diff > worst:
            worst, worst_row = diff, i
    details = {"rows": len(ok), "max_abs_difference": worst, "tolerance": tol, "row": worst_row}
    if not worst <= tol:
        return Finding(
            "serving.probability_mismatch",
            Status.FAIL,
            f"online probabilities differ from offline ones by up to {worst:.3g} (row "
            f"{worst_row}; tolerance {tol:g}); the server runs another model or library version",
            details=details,
        )
    return Finding(
        "serving.probability_mismatch",
        Status.PASS,
        f"online probabilities equal offline ones within {tol:g} on all {len(ok)} rows "
        f"(largest difference {worst:.3g})",
        details=details,
    )


def _largest_difference(online: Any, offline: list[float]) -> float | None:
    """The largest absolute difference, or None when ``online`` is not as many numbers."""
    if not isinstance(online, list) or len(online) != len(offline):
        return None
    try:
        diffs = [abs(float(a) - float(b)) for a, b in zip(online, offline, strict=True)]
    except (TypeError, ValueError):
        return None
    if any(math.isnan(d) for d in diffs):
        return None
    return max(diffs, default=0.0)


def _same(online: Any, offline: Any, tol: float) -> bool:
    if isinstance(online, bool) or isinstance(offline, bool):
        return online == offline
    if isinstance(online, float) or isinstance(offline, float):
        # a regressor's output: equal up to floating-point noise
        if not isinstance(online, (int, float)) or not isinstance(offline, (int, float)):
            return False
        return math.isclose(online, offline, rel_tol=1e-9, abs_tol=tol)
    return bool(online == offline)
