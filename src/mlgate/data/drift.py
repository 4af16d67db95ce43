"""Drift and skew: the same comparison of a reference profile with a current one.

Verdicts rest on effect sizes, not p-values, so they do not flip with sample size:

- continuous columns: the Wasserstein-1 distance between the two quantile functions,
  over the central ranks (0.25% and at least two values left out at each end, so that
  one stray extreme value does not decide), in reference standard deviations;
- categories (strings, booleans, integer codes): the Jensen-Shannon distance (base 2,
  0 = same, 1 = disjoint) between the value shares. A value that held at least 1% of
  the reference and is gone from the current data fails too, whatever the distance.

The L-infinity distance (the largest gap between the two CDFs, i.e. the
Kolmogorov-Smirnov statistic, or between two values' shares) is reported alongside.

A test of significance is used only the other way round: to tell when an effect above
the threshold could be sampling noise. Then the finding never fails: it passes, saying
so, when the effect is what noise gives at these sizes (p >= SUGGESTIVE_P), and warns
that the sample is too small to judge when it is suggestive (ALPHA <= p < SUGGESTIVE_P).
Two random halves of one dataset thus pass at every size (at small ones noise may
exceed the threshold, but is recognised as noise; about 1 column in 100 warns); a real
change fails once the sample is large enough to tell it from noise, and warns before.
The tests, each at level ALPHA:

- continuous: the two-sample Anderson-Darling test, computed from the quantile
  sketches over the same central ranks. It depends on ranks only, so it needs no
  estimate of the distribution's spread and is not fooled by a rare tail that one
  sample happens to miss; it weighs the tails, so it sees a change of spread as well as
  a shift. The p-value is the leading term of the asymptotic tail: sqrt(3)
  P(chi2_1 > 2x) for continuous data, and from the eigenvalues of the pooled
  distribution's covariance where values repeat (integers, a mass of zeros), which a
  simulation holds to its level from 1e-2 to 1e-5. Where the sketches are approximate,
  the gap between the two CDFs is first reduced by both sketches' rank error, so sketch
  error is never taken for drift;
- categories: Pearson's chi-squared test on the two count vectors, after values too
  rare to test (expected count under 5 in the smaller sample) are pooled into one
  "other" cell, the same cells the Jensen-Shannon distance is computed on. Where the
  frequent-values sketches are approximate, each cell's deviation is first reduced by
  the sketches' error bound, and values whose counts the sketches cannot pin down to
  10% are pooled into "other";
- a vanished value: given its count c in both samples together, the chance that all c
  fall in the reference, (n / (n + m)) ** c.

With serving logs as the current data, the same comparison is training/serving skew;
findings are then named ``skew.*`` instead of ``drift.*``.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from mlgate._format import percent, quoted
from mlgate.data.comparison import ALPHA
from mlgate.data.drift_categorical import (
    VANISHED_SHARE,
    chi2_pvalue,
    compare_categorical,
    counts_of,
)
from mlgate.data.drift_numeric import compare_numeric
from mlgate.data.kinds import CATEGORICAL, IDENTIFIER, TIME, infer_kind
from mlgate.data.profile import NUMERIC, ColumnProfile, DatasetProfile
from mlgate.data.schema import (
    DEFAULT_JENSEN_SHANNON,
    DEFAULT_WASSERSTEIN,
    ColumnSchema,
    Drift,
    Schema,
)
from mlgate.data.tails import chi2_sf
from mlgate.data.validate import compatible_types
from mlgate.findings import Finding, Status

#: Fewer non-null values than this on either side and drift is not judged.
MIN_VALUES = 30
#: An effect beyond its threshold whose p-value lies between ALPHA and this level warns:
#: suggestive, not proof. At this level or above it is what sampling noise gives at
#: these sizes (random halves of 75 rows exceed a 0.1 Wasserstein threshold on most
#: columns), and the column passes, saying so: a warning on every column of every small
#: batch would teach people to ignore warnings. Under no change, about 1 column in 100
#: warns; a one-SD shift at 40 rows a side warns or fails, never passes.
SUGGESTIVE_P = 0.01


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
        if col_schema.kind not in (TIME, IDENTIFIER):
            # A batch from one day or one year is constant in its time columns by design.
            findings.extend(_constant(ref, cur))
        findings.extend(_missing_marker(ref, cur))
        if col_schema.drift is None and name != target:
            continue
        if not compatible_types(ref.logical_type, cur.logical_type):
            continue
        code = f"{mode}.target" if name == target else None
        findings.append(compare_column(ref, cur, col_schema, mode=mode, code=code))
    return findings


def default_drift(ref: ColumnProfile) -> Drift:
    """The comparison a column gets when its schema names none (a target column): by
    its inferred kind (``mlgate.data.kinds``), shares for categories, else distances."""
    guess = infer_kind(ref)
    if ref.kind != NUMERIC or (guess is not None and guess.kind == CATEGORICAL):
        return Drift(metric="jensen_shannon", threshold=DEFAULT_JENSEN_SHANNON)
    return Drift(metric="wasserstein", threshold=DEFAULT_WASSERSTEIN)


def _counted_alike(ref: ColumnProfile, cur: ColumnProfile) -> bool:
    """Whether a numeric column's two sides compare as categories: whole-number codes on
    both, or (an indicator held with fractions: two values) every value of both counted
    exactly."""
    if ref.integral:
        return cur.integral
    return ref.frequent_exact and cur.frequent_exact


def compare_column(
    ref: ColumnProfile,
    cur: ColumnProfile,
    schema: ColumnSchema,
    *,
    mode: str = "drift",
    code: str | None = None,
) -> Finding:
    drift = schema.drift or default_drift(ref)
    kind = "categorical" if drift.metric == "jensen_shannon" else "numeric"
    if kind == "categorical" and ref.kind == NUMERIC and not _counted_alike(ref, cur):
        # Integer codes are counted value by value only while they are whole numbers;
        # a code column arriving with fractions is compared as numbers.
        kind = "numeric"
        drift = Drift(metric="wasserstein", threshold=DEFAULT_WASSERSTEIN)
    if kind == "numeric" and (ref.kind != NUMERIC or cur.kind != NUMERIC):
        # A schema without kinds may name wasserstein for text: compare shares instead.
        kind = "categorical"
        drift = Drift(metric="jensen_shannon", threshold=DEFAULT_JENSEN_SHANNON)
    name = code or f"{mode}.{kind}"
    what = "training/serving skew" if mode == "skew" else "drift"
    n_ref, n_cur = _values(ref, kind), _values(cur, kind)
    if min(n_ref, n_cur) < MIN_VALUES:
        return Finding(
            name,
            Status.WARN,
            f"too few values to judge {what} of {ref.name!r} ({n_ref} reference, "
            f"{n_cur} current; need {MIN_VALUES} each); collect more data",
            column=ref.name,
            details={"reference_values": n_ref, "current_values": n_cur, "minimum": MIN_VALUES},
        )
    result = compare_categorical(ref, cur) if kind == "categorical" else compare_numeric(ref, cur)
    details = {
        "metric": result.metric,
        "statistic": round(result.effect, 6),
        "threshold": drift.threshold,
        "p_value": float(f"{result.p_value:.3g}"),
        "alpha": ALPHA,
        "reference_values": n_ref,
        "current_values": n_cur,
        **result.details,
    }
    if schema.kind is not None:
        details["kind"] = schema.kind
    label = _metric_label(result.metric)
    size = f"{label} distance {result.effect:.3f} (threshold {drift.threshold:g})"
    note = f"; {result.note}" if result.note else ""
    if result.vanished:
        gone = ", ".join(quoted(v) for v in result.vanished[:5])
        share = f"{VANISHED_SHARE:.0%}"
        return Finding(
            name,
            Status.FAIL,
            f"{ref.name!r} {what}: {gone} (each at least {share} of the reference) "
            f"no longer occur; {size}{note}; check for a filter or a mapping that drops "
            f"them upstream",
            column=ref.name,
            details=details,
        )
    if result.novel:
        expected = float(result.details.get("unseen_expected", 0.0))
        return Finding(
            name,
            Status.FAIL,
            f"{ref.name!r} {what}: {percent(result.novel)} of current values never occur in "
            f"the reference, where rare categories explain up to {percent(expected)} "
            f"(Jensen-Shannon distance over every value "
            f"{float(result.details.get('statistic_every_value', 0.0)):.3f}){note}; check "
            "for new codes or a changed encoding upstream",
            column=ref.name,
            details=details,
        )
    if result.effect <= drift.threshold:
        return Finding(name, Status.PASS, size, column=ref.name, details=details)
    if not result.significant:
        details["within_noise"] = True
        if result.p_value >= SUGGESTIVE_P:
            return Finding(
                name,
                Status.PASS,
                f"{size}, as sampling noise gives with {n_ref} reference and {n_cur} "
                f"current values (p = {result.p_value:.2g})",
                column=ref.name,
                details=details,
            )
        return Finding(
            name,
            Status.WARN,
            f"{ref.name!r}: {size}{note}, but with {n_ref} reference and {n_cur} current "
            f"values this could still be sampling noise (p = {result.p_value:.2g}; a change needs "
            f"p < {ALPHA:g}): too small a sample to judge {what}; compare more rows",
            column=ref.name,
            details=details,
        )
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


def _values(col: ColumnProfile, kind: str) -> int:
    if col.kind == NUMERIC and kind == "numeric":
        return col.moments.n
    return col.non_null - col.nan


# -- evidence from two checks on one column ---------------------------------------------


def combine_evidence(findings: list[Finding]) -> list[Finding]:
    """Let a column's range and drift evidence combine: in a small sample each may be
    too weak alone (a spread grown 2.5x at 150 rows: 12% of values outside the range,
    and a drift distance above its threshold that could still be noise), together not.

    Where a drift finding's effect is above its threshold but could be noise (it passes
    or warns with ``within_noise`` in its details) and the same column's
    range check has a p-value (``validate.outside_pvalue``), the two p-values are
    combined by Fisher's method, -2 (ln p1 + ln p2) ~ chi2 with 4 degrees of freedom,
    and the drift fails when the combination is below ALPHA. Fisher's method assumes
    the two are independent under no change; they nearly are, as the drift test leaves
    out the extremes that the range count is made of (tests/data/test_small_samples.py
    holds the combination to its level by simulation).
    """
    ranges = {
        f.column: f
        for f in findings
        if f.name == "quality.out_of_range" and "p_value" in f.details and f.column
    }
    out = []
    for f in findings:
        other = ranges.get(f.column)
        numeric = f.name.endswith(".numeric") and f.name.startswith(("drift.", "skew."))
        if (
            other is None
            or not numeric
            or not f.details.get("within_noise")
            or "p_value" not in f.details
        ):
            out.append(f)
            continue
        p_drift, p_range = float(f.details["p_value"]), float(other.details["p_value"])
        x = -2.0 * (math.log(max(p_drift, 1e-300)) + math.log(max(p_range, 1e-300)))
        combined = chi2_sf(x, 4)
        details = {**f.details, "combined_p_value": float(f"{combined:.3g}"), "method": "fisher"}
        if combined >= ALPHA:
            out.append(replace(f, details=details))
            continue
        outside = other.details.get("outside", 0)
        shape = _shape_note(f.details)
        message = (
            f"{f.column!r} drift: {_metric_label(str(f.details.get('metric')))} distance "
            f"{float(f.details.get('statistic', 0.0)):.3f} (threshold "
            f"{f.details.get('threshold')}){shape}, too weak alone in this sample (p = "
            f"{p_drift:.2g}), and {outside} values outside the reference's range (p = "
            f"{p_range:.2g}): together a change (Fisher's method, p = {combined:.2g}); "
            "check the upstream change, or retrain and update the baseline"
        )
        out.append(replace(f, status=Status.FAIL, message=message, details=details))
    return out


def _metric_label(metric: str) -> str:
    """A drift metric's name as messages write it."""
    return "normalised Wasserstein" if metric == "wasserstein" else "Jensen-Shannon"


def _shape_note(details: dict[str, object]) -> str:
    """``; mean moved +0.40 standard deviations, spread x1.90`` from a numeric drift's
    details, as the drift message words them; '' when neither moved much."""
    notes = []
    shift, ratio = details.get("mean_shift_std"), details.get("std_ratio")
    if isinstance(shift, float) and abs(shift) >= 0.25:
        notes.append(f"mean moved {shift:+.2f} standard deviations")
    if isinstance(ratio, float) and (ratio >= 1.25 or ratio <= 0.8):
        notes.append(f"spread x{ratio:.2f}")
    return "; " + ", ".join(notes) if notes else ""


# -- constant columns ------------------------------------------------------------------


def _constant(ref: ColumnProfile, cur: ColumnProfile) -> list[Finding]:
    """A column that varied in the reference and is one value now.

    One value in all m current rows is a failure when the reference makes it unlikely:
    the value's share p of the reference gives p ** m < ALPHA. A column that is mostly
    one value (a flag that is rarely set) can be constant in a small batch by chance,
    and then the finding is a warning that the batch is too small to judge.
    """
    # NaN is a missing value, as a null is: neither makes a column vary.
    if cur.non_null - cur.nan < MIN_VALUES or not _varied(ref):
        return []
    if cur.kind == NUMERIC:
        constant = (
            cur.min is not None and cur.min == cur.max and cur.posinf == 0 and cur.neginf == 0
        )
    else:
        constant = cur.frequent.num_items == 1 and cur.frequent_exact
    if not constant:
        # The distinct-count sketches' estimates: cheap, and enough for a passing check.
        details: dict[str, object] = {
            "reference_distinct": round(ref.distinct_count, 1),
            "current_distinct": round(cur.distinct_count, 1),
        }
        return [
            Finding(
                "quality.constant", Status.PASS, "not constant", column=cur.name, details=details
            )
        ]
    details = {
        "reference_distinct": round(ref.distinct_count, 1),
        "current_distinct": round(cur.distinct_count, 1),
    }
    value = cur.min if cur.kind == NUMERIC else cur.value_counts()[0][0]
    share, upper = _reference_share(ref, value)
    m = cur.non_null - cur.nan
    chance = math.exp(m * math.log(upper)) if upper > 0.0 else 0.0
    details |= {
        "reference_share": round(share, 6),
        "reference_share_upper": round(upper, 6),
        "chance": chance,
        "alpha": ALPHA,
    }
    if chance >= ALPHA:
        return [
            Finding(
                "quality.constant",
                Status.WARN,
                f"{cur.name!r} is the constant {value!r} in all {m} values; the reference "
                f"has it {percent(share)} of the time, so {m} values are too few to tell a "
                f"default filled in upstream from chance",
                column=cur.name,
                details=details,
            )
        ]
    return [
        Finding(
            "quality.constant",
            Status.FAIL,
            f"{cur.name!r} is the constant {value!r} in all {m} values but varied in the "
            f"reference (where it is {percent(share)} of values); look for a default filled in "
            f"upstream",
            column=cur.name,
            details=details,
        )
    ]


def _varied(col: ColumnProfile) -> bool:
    """Whether the column held more than one value."""
    if col.kind == NUMERIC or col.frequent_dropped == col.non_null:
        return col.min is not None and col.max is not None and col.min < col.max
    return col.frequent.num_items >= 2 or col.frequent_dropped > 0


def _reference_share(ref: ColumnProfile, value: object) -> tuple[float, float]:
    """The share of the reference's values equal to ``value``: (estimate, upper bound).
    Exact (both alike) where the reference's values were all counted; else from the
    frequent-values sketch, or for numbers the quantile sketch, whose upper bound adds
    twice its rank error (the chance of a constant is judged on that bound)."""
    key = value
    whole = isinstance(value, float) and value.is_integer() and abs(value) < 2.0**53
    if whole:
        key = int(value)  # whole numbers are counted under "10", not "10.0"
    counts = counts_of(ref)
    if ref.kind == NUMERIC and isinstance(value, float) and not (whole and counts.exact):
        sketch = ref.quantiles
        at = float(sketch.cdf([value])[0] - sketch.cdf([value], inclusive=False)[0])
        return at, min(1.0, at + 2.0 * sketch.rank_error)
    if counts.total <= 0:
        return 0.0, 0.0
    count = counts.counts.get(str(key), 0.0)
    return count / counts.total, min(1.0, (count + counts.error) / counts.total)


# -- missing-value markers -------------------------------------------------------------

#: The marker warning needs its change to be this unlikely by chance: a warning, not a
#: failure, so less strict than ALPHA.
MARKER_ALPHA = 1e-3
#: ... and the share of NaN among missing values to move by at least this much.
MARKER_SHIFT = 0.5


def _missing_marker(ref: ColumnProfile, cur: ColumnProfile) -> list[Finding]:
    """Whether a numeric column marks its missing values differently: NaN in the
    reference and null now, or the other way round, or another mix of the two.

    The null-fraction check counts both as missing, so a switch at the same rate passes
    there; it is still a change to warn about, since code that tests for one marker
    (``isnan``, ``is_null``) misses the other. A warning when the share of NaN among
    the missing values moved by at least MARKER_SHIFT and chance cannot explain it
    (Pearson's chi-squared test on the 2x2 counts, at MARKER_ALPHA). Only for columns
    with NaN on either side: elsewhere every missing value is a null.
    """
    if ref.kind != NUMERIC or cur.kind != NUMERIC or not (ref.nan or cur.nan):
        return []
    details: dict[str, object] = {
        "reference_nulls": ref.nulls,
        "reference_nan": ref.nan,
        "current_nulls": cur.nulls,
        "current_nan": cur.nan,
        "reference_rows": ref.count,
        "current_rows": cur.count,
    }
    if not ref.missing or not cur.missing:
        return [
            Finding(
                "quality.missing_marker",
                Status.PASS,
                "missing values on one side only",
                column=cur.name,
                details=details,
            )
        ]
    share_ref, share_cur = ref.nan / ref.missing, cur.nan / cur.missing
    zero = np.zeros(2)
    p_value = chi2_pvalue(
        np.array([ref.nan, ref.nulls], dtype=np.float64),
        np.array([cur.nan, cur.nulls], dtype=np.float64),
        zero,
        zero,
    )
    details |= {
        "reference_nan_share": round(share_ref, 6),
        "current_nan_share": round(share_cur, 6),
        "p_value": float(f"{p_value:.3g}"),
        "alpha": MARKER_ALPHA,
    }
    if abs(share_cur - share_ref) < MARKER_SHIFT or p_value >= MARKER_ALPHA:
        return [
            Finding(
                "quality.missing_marker",
                Status.PASS,
                f"missing values {_markers(ref)} in the reference, {_markers(cur)} now",
                column=cur.name,
                details=details,
            )
        ]
    rates = f"{percent(ref.missing_fraction)} of the reference, {percent(cur.missing_fraction)} now"
    return [
        Finding(
            "quality.missing_marker",
            Status.WARN,
            f"{cur.name!r} marks missing values differently: {_markers(ref)} in the "
            f"reference, {_markers(cur)} now ({rates}; both count as missing); code that "
            "tests for one marker (isnan, is_null) misses the other: check the step "
            "that writes this column",
            column=cur.name,
            details=details,
        )
    ]


def _markers(col: ColumnProfile) -> str:
    if not col.nan:
        return f"null ({col.nulls})"
    if not col.nulls:
        return f"NaN ({col.nan})"
    return f"{col.nan / col.missing:.0%} NaN ({col.nan} NaN, {col.nulls} null)"
