"""Drift and skew: the same comparison of a reference profile with a current one.

Verdicts rest on effect sizes, not p-values, so they do not flip with sample size:
normalised Wasserstein-1 distance (in reference standard deviations) for continuous
columns and Jensen-Shannon distance (base 2, 0 to 1) for categories. A test of
significance is used only the other way round: to tell when a large-looking effect
could be sampling noise, in which case the finding is a warning that the sample is too
small to judge, never a failure.

With serving logs as the current data, the same comparison is training/serving skew;
findings are then named ``skew.*`` instead of ``drift.*``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlgate.data.profile import NUMERIC, ColumnProfile, DatasetProfile
from mlgate.data.schema import ColumnSchema, Drift, Schema
from mlgate.data.validate import compatible_types
from mlgate.findings import Finding, Status

#: Fewer non-null values than this on either side and drift is not judged.
MIN_VALUES = 30
#: Significance level used to tell a real effect from sampling noise.
ALPHA = 1e-3
_GRID = np.linspace(0.0025, 0.9975, 400)
_VANISHED_SHARE = 0.01


@dataclass(frozen=True)
class Comparison:
    metric: str
    effect: float
    significant: bool
    details: dict[str, object]
    note: str = ""


def compare_profiles(
    reference: DatasetProfile,
    current: DatasetProfile,
    schema: Schema,
    *,
    target: str | None = None,
    mode: str = "drift",
) -> list[Finding]:
    """Drift (or skew) findings for every column the schema gives a drift threshold."""
    findings: list[Finding] = []
    if current.rows == 0 or reference.rows == 0:
        return findings
    for name, col_schema in schema.columns.items():
        ref, cur = reference.get(name), current.get(name)
        if ref is None or cur is None:
            continue
        findings.extend(_constant(ref, cur))
        if col_schema.drift is None and name != target:
            continue
        if not compatible_types(ref.logical_type, cur.logical_type):
            continue
        code = f"{mode}.target" if name == target else None
        findings.append(compare_column(ref, cur, col_schema, mode=mode, code=code))
    return findings


def compare_column(
    ref: ColumnProfile,
    cur: ColumnProfile,
    schema: ColumnSchema,
    *,
    mode: str = "drift",
    code: str | None = None,
) -> Finding:
    drift = schema.drift or Drift(
        metric="jensen_shannon" if ref.kind != NUMERIC else "wasserstein", threshold=0.1
    )
    kind = "categorical" if drift.metric == "jensen_shannon" else "numeric"
    name = code or f"{mode}.{kind}"
    what = "training/serving skew" if mode == "skew" else "drift"
    n_ref, n_cur = _values(ref), _values(cur)
    if min(n_ref, n_cur) < MIN_VALUES:
        return Finding(
            name,
            Status.WARN,
            f"too few values to judge {what} of {ref.name!r} ({n_ref} reference, "
            f"{n_cur} current; need {MIN_VALUES} each); collect more data",
            column=ref.name,
            details={"reference_values": n_ref, "current_values": n_cur, "minimum": MIN_VALUES},
        )
    result = _categorical(ref, cur) if kind == "categorical" else _numeric(ref, cur)
    details = {
        "metric": result.metric,
        "statistic": round(result.effect, 6),
        "threshold": drift.threshold,
        "reference_values": n_ref,
        "current_values": n_cur,
        **result.details,
    }
    label = "normalised Wasserstein" if result.metric == "wasserstein" else "Jensen-Shannon"
    size = f"{label} distance {result.effect:.3f} (threshold {drift.threshold:g})"
    if result.effect <= drift.threshold:
        return Finding(name, Status.PASS, f"{size}", column=ref.name, details=details)
    if not result.significant:
        return Finding(
            name,
            Status.WARN,
            f"{ref.name!r}: {size}, but with {n_ref} and {n_cur} values this is within "
            f"sampling noise; too small a sample to judge {what}",
            column=ref.name,
            details=details,
        )
    note = f"; {result.note}" if result.note else ""
    advice = (
        "check that serving computes this feature as training does"
        if mode == "skew"
        else "check the upstream change, or retrain and update the baseline"
    )
    return Finding(
        name,
        Status.FAIL,
        f"{ref.name!r} {what}: {size}{note}; {advice}",
        column=ref.name,
        details=details,
    )


def _values(col: ColumnProfile) -> int:
    if col.kind == NUMERIC:
        return col.moments.n
    return col.non_null


def _numeric(ref: ColumnProfile, cur: ColumnProfile) -> Comparison:
    qa = ref.quantiles.quantiles(_GRID)
    qb = cur.quantiles.quantiles(_GRID)
    scale = ref.moments.std
    if not scale or not math.isfinite(scale) or scale == 0.0:
        scale = abs(ref.moments.mean) or 1.0
    effect = float(np.mean(np.abs(qa - qb))) / scale
    points = np.union1d(qa, qb)
    ks = float(np.max(np.abs(ref.quantiles.cdf(points) - cur.quantiles.cdf(points))))
    n, m = ref.quantiles.n, cur.quantiles.n
    critical = _ks_critical(n, m) + ref.quantiles.rank_error + cur.quantiles.rank_error
    mean_shift = (cur.moments.mean - ref.moments.mean) / scale
    std_ratio = cur.moments.std / ref.moments.std if ref.moments.std else math.nan
    notes = []
    if abs(mean_shift) >= 0.25:
        notes.append(f"mean moved {mean_shift:+.2f} standard deviations")
    if math.isfinite(std_ratio) and (std_ratio >= 1.25 or std_ratio <= 0.8):
        notes.append(f"spread x{std_ratio:.2f}")
    details = {
        "ks_statistic": round(ks, 6),
        "ks_critical": round(critical, 6),
        "mean_shift_std": round(mean_shift, 4),
        "std_ratio": round(std_ratio, 4) if math.isfinite(std_ratio) else None,
    }
    return Comparison("wasserstein", effect, ks > critical, details, ", ".join(notes))


def _ks_critical(n: int, m: int) -> float:
    c = math.sqrt(-0.5 * math.log(ALPHA / 2.0))
    return c * math.sqrt((n + m) / (n * m))


def _categorical(ref: ColumnProfile, cur: ColumnProfile) -> Comparison:
    ref_counts, ref_total = _distribution(ref)
    cur_counts, cur_total = _distribution(cur)
    keys = sorted(set(ref_counts) | set(cur_counts))
    a = np.array([ref_counts.get(k, 0) for k in keys] + [0.0], dtype=np.float64)
    b = np.array([cur_counts.get(k, 0) for k in keys] + [0.0], dtype=np.float64)
    # What the sketches could not attribute to a value goes to one "other" bucket.
    a[-1] = max(0.0, ref_total - a[:-1].sum())
    b[-1] = max(0.0, cur_total - b[:-1].sum())
    p, q = a / a.sum(), b / b.sum()
    effect = _jensen_shannon(p, q)
    significant = _chi2_significant(a, b)
    vanished = [
        k
        for k, share in zip(keys, p[:-1], strict=False)
        if share >= _VANISHED_SHARE and cur_counts.get(k, 0) == 0
    ]
    appeared = [
        k
        for k, share in zip(keys, q[:-1], strict=False)
        if share >= _VANISHED_SHARE and ref_counts.get(k, 0) == 0
    ]
    linf = float(np.max(np.abs(p - q)))
    notes = []
    if vanished:
        notes.append(
            "gone: " + ", ".join(f"{k!r} (was {p[keys.index(k)]:.0%})" for k in vanished[:5])
        )
    if appeared:
        notes.append("new: " + ", ".join(f"{k!r} ({q[keys.index(k)]:.0%})" for k in appeared[:5]))
    if not notes:
        i = int(np.argmax(np.abs(p[:-1] - q[:-1]))) if keys else -1
        if i >= 0:
            notes.append(f"largest change {keys[i]!r}: {p[i]:.0%} -> {q[i]:.0%}")
    details = {
        "linf_distance": round(linf, 6),
        "vanished": vanished[:20],
        "appeared": appeared[:20],
    }
    return Comparison("jensen_shannon", effect, significant, details, "; ".join(notes))


def _distribution(col: ColumnProfile) -> tuple[dict[str, float], float]:
    total = float(col.non_null - col.nan)
    if col.frequent_exact:
        items = col.value_counts()
    else:
        # Keep only values whose count the sketch guarantees; the rest is "other".
        floor = col.frequent.max_error
        items = [(v, c - floor) for v, c in col.value_counts() if c - floor > 0]
    return {v: float(c) for v, c in items}, total


def _jensen_shannon(p: np.ndarray, q: np.ndarray) -> float:
    from scipy.spatial.distance import jensenshannon

    value = float(jensenshannon(p, q, base=2.0))
    return 0.0 if not math.isfinite(value) else value


def _chi2_significant(a: np.ndarray, b: np.ndarray) -> bool:
    from scipy.stats import chi2_contingency

    keep = (a + b) > 0
    table = np.vstack([a[keep], b[keep]])
    if table.shape[1] < 2:
        return False
    result = chi2_contingency(table, correction=False)
    return bool(result.pvalue < ALPHA)


def _constant(ref: ColumnProfile, cur: ColumnProfile) -> list[Finding]:
    """A column that varied in the reference and is one value now."""
    if cur.non_null < MIN_VALUES or ref.distinct_count < 2:
        return []
    if cur.kind == NUMERIC:
        constant = cur.min is not None and cur.min == cur.max and cur.nan == 0
    else:
        constant = cur.frequent_exact and cur.frequent.num_items == 1
    details = {
        "reference_distinct": round(ref.distinct_count, 1),
        "current_distinct": round(cur.distinct_count, 1),
    }
    if constant:
        value = cur.min if cur.kind == NUMERIC else cur.value_counts()[0][0]
        return [
            Finding(
                "quality.constant",
                Status.FAIL,
                f"{cur.name!r} is the constant {value!r} in all {cur.non_null} values but "
                f"varied in the reference; look for a default filled in upstream",
                column=cur.name,
                details=details,
            )
        ]
    return [
        Finding("quality.constant", Status.PASS, "not constant", column=cur.name, details=details)
    ]
