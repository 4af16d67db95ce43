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
the threshold could be sampling noise. Then the finding is a warning that the sample is
too small to judge, never a failure. Two random halves of one dataset thus pass at
large sizes (the effect is below the threshold) and pass or warn at small ones (noise
may exceed the threshold, but is recognised as noise); a real change fails once the
sample is large enough to tell it from noise. The tests, each at level ALPHA:

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
from dataclasses import dataclass, field, replace

import numpy as np

from mlgate._format import percent
from mlgate.data.kinds import CATEGORICAL, IDENTIFIER, TIME, infer_kind
from mlgate.data.kll import KllSketch
from mlgate.data.profile import NUMERIC, ColumnProfile, DatasetProfile
from mlgate.data.schema import (
    DEFAULT_JENSEN_SHANNON,
    DEFAULT_WASSERSTEIN,
    ColumnSchema,
    Drift,
    Schema,
)
from mlgate.data.tails import upper_tail
from mlgate.data.theta import distinct
from mlgate.data.validate import compatible_types
from mlgate.findings import Finding, Status

#: Fewer non-null values than this on either side and drift is not judged.
MIN_VALUES = 30
#: Chance that sampling noise alone is taken for a change, per column and check. Small,
#: because a gate checks many columns on every pull request and a false failure costs
#: a person's time; a one-SD shift still fails from 100 rows a half, a doubled spread or
#: a vanished 20% category from about 200 (tests/data/test_drift_stability.py).
ALPHA = 1e-6
#: A value holding at least this share of the reference and absent from the current
#: data is a vanished category.
VANISHED_SHARE = 0.01
#: Pearson's chi-squared test wants at least this many expected values in each cell.
MIN_EXPECTED = 5.0
#: A value is its own cell only if the sketches pin its count down to this fraction.
MAX_SKETCH_ERROR = 0.1
#: Continuous columns are compared over the central ranks: at least this share is left
#: out at each end, and at least TAIL_VALUES values of the smaller sample, so that one
#: stray extreme value (a sensor glitch) does not decide a verdict.
TAIL_SHARE = 0.0025
TAIL_VALUES = 2
_POINTS = 400
_EIGEN_BINS = 40


@dataclass(frozen=True)
class Comparison:
    """One column's comparison: the effect size, and whether it is more than noise."""

    metric: str
    effect: float
    p_value: float
    details: dict[str, object] = field(default_factory=dict)
    note: str = ""
    #: Values of the reference gone from the current data, beyond what chance explains.
    vanished: tuple[str, ...] = ()
    #: Share of the current values that the reference never held, when that is beyond
    #: what rare categories explain (``_novel``); 0.0 otherwise.
    novel: float = 0.0

    @property
    def significant(self) -> bool:
        return self.p_value < ALPHA


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
    if kind == "categorical" and ref.kind == NUMERIC and not (ref.integral and cur.integral):
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
    result = _categorical(ref, cur) if kind == "categorical" else _numeric(ref, cur)
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
    label = "normalised Wasserstein" if result.metric == "wasserstein" else "Jensen-Shannon"
    size = f"{label} distance {result.effect:.3f} (threshold {drift.threshold:g})"
    note = f"; {result.note}" if result.note else ""
    if result.vanished:
        gone = ", ".join(repr(v) for v in result.vanished[:5])
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
        return Finding(
            name,
            Status.WARN,
            f"{ref.name!r}: {size}, but with {n_ref} reference and {n_cur} current values "
            f"this is within sampling noise (p = {result.p_value:.2g}; a change needs "
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


# -- continuous columns ----------------------------------------------------------------


def _numeric(ref: ColumnProfile, cur: ColumnProfile) -> Comparison:
    n, m = ref.quantiles.n, cur.quantiles.n
    grid = _grid(min(n, m))
    qa = ref.quantiles.quantiles(grid)
    qb = cur.quantiles.quantiles(grid)
    scale = ref.moments.std
    if not math.isfinite(scale) or scale <= 0.0:
        scale = abs(ref.moments.mean) or 1.0
    effect = float(np.mean(np.abs(qa - qb))) / scale
    a2, p_value, linf = _anderson_darling(ref.quantiles, cur.quantiles, grid)
    mean_shift = (cur.moments.mean - ref.moments.mean) / scale
    std_ratio = cur.moments.std / ref.moments.std if ref.moments.std else math.nan
    notes = []
    if abs(mean_shift) >= 0.25:
        notes.append(f"mean moved {mean_shift:+.2f} standard deviations")
    if math.isfinite(std_ratio) and (std_ratio >= 1.25 or std_ratio <= 0.8):
        notes.append(f"spread x{std_ratio:.2f}")
    unit = unit_change(qa, qb)
    if unit is not None:
        notes.append(unit)
    details: dict[str, object] = {
        "anderson_darling": round(a2, 4),
        "linf_distance": round(linf, 6),
        "mean_shift_std": round(mean_shift, 4) if math.isfinite(mean_shift) else None,
        "std_ratio": round(std_ratio, 4) if math.isfinite(std_ratio) else None,
    }
    return Comparison("wasserstein", effect, p_value, details, ", ".join(notes))


#: Common conversions, by factor: current = factor x reference (or its inverse).
UNIT_FACTORS = {
    100.0: "fraction and percent",
    1000.0: "a factor of 1,000 (g and kg, m and km, ms and s)",
    60.0: "seconds and minutes, or minutes and hours",
    3600.0: "seconds and hours",
    2.54: "inches and centimetres",
    1.609344: "miles and kilometres",
    0.45359237: "pounds and kilograms",
    3.28084: "metres and feet",
}


def unit_change(ref_q: np.ndarray, cur_q: np.ndarray) -> str | None:
    """A unit conversion the current quantiles fit, or None: the same distribution
    times a common factor (either way), or Celsius and Fahrenheit (an affine change).

    ``ref_q``, ``cur_q``: the two columns' quantiles at the same ranks. The fit
    ``cur = a * ref + b`` must be near exact (R^2 >= 0.995), ``a`` within 3% of a factor
    and ``b`` small next to the spread (or, for temperatures, within 3% of 32 or -17.8).
    """
    if len(ref_q) < 3 or np.ptp(ref_q) <= 0 or np.ptp(cur_q) <= 0:
        return None
    a, b = np.polyfit(ref_q, cur_q, 1)
    fitted = a * ref_q + b
    r2 = 1.0 - np.sum((cur_q - fitted) ** 2) / np.sum((cur_q - cur_q.mean()) ** 2)
    if r2 < 0.995 or a <= 0 or abs(math.log(a)) < math.log(1.2):
        return None
    spread = float(np.ptp(cur_q))
    for factor, what in UNIT_FACTORS.items():
        for f in (factor, 1.0 / factor):
            if abs(a / f - 1.0) < 0.03 and abs(b) < 0.05 * spread:
                return f"values look converted by x{f:.4g} ({what}), a unit change?"
    for f, offset, what in (
        (1.8, 32.0, "Celsius to Fahrenheit"),
        (1 / 1.8, -32.0 / 1.8, "Fahrenheit to Celsius"),
    ):
        if abs(a / f - 1.0) < 0.03 and abs(b - offset) < 0.03 * abs(offset) + 0.05 * spread:
            return f"values look converted from {what}, a unit change?"
    return None


def _grid(smaller: int) -> np.ndarray:
    """Ranks at which continuous columns are compared."""
    tail = min(0.25, max(TAIL_SHARE, TAIL_VALUES / max(smaller, 1)))
    return np.linspace(tail, 1.0 - tail, _POINTS)


def _anderson_darling(a: KllSketch, b: KllSketch, grid: np.ndarray) -> tuple[float, float, float]:
    """The two-sample Anderson-Darling statistic over the pooled ranks in ``grid``, its
    p-value, and the largest gap between the two CDFs (Kolmogorov-Smirnov).

    A2 = nm/N * sum over pooled points x of (Fa(x) - Fb(x))^2 / (H(x)(1 - H(x))) dH(x),
    H the pooled CDF; at ties the points are the distinct values, weighted by their
    mass (Scholz and Stephens' form for discrete data).
    """
    n, m = a.n, b.n
    total = n + m
    points = distinct(a.merged(b).quantiles(grid))
    fa, fb = a.cdf(points), b.cdf(points)
    gap = np.abs(fa - fb)
    linf = float(gap.max()) if gap.size else 0.0
    h = (n * fa + m * fb) / total
    # The pooled mass at each point; the first point's is what lies above the trimmed
    # tail (all of it, if the first point is a value many rows share).
    mass = np.maximum(np.diff(h, prepend=grid[0]), 0.0)
    inner = (h > 0.0) & (h < 1.0) & (mass > 0.0)
    if not inner.any():
        return 0.0, 1.0, linf
    h, mass, gap = h[inner], mass[inner], gap[inner]
    weight = mass / (h * (1.0 - h))
    shrunk = np.maximum(gap - (a.rank_error + b.rank_error), 0.0)
    a2 = n * m / total * float(np.sum(weight * shrunk**2))
    return a2, _ad_pvalue(a2, h, mass), linf


def _ad_pvalue(a2: float, h: np.ndarray, mass: np.ndarray) -> float:
    """Upper tail of A2's null distribution.

    Under "no change", A2 tends to sum_j weight_j B(h_j)^2 for a Brownian bridge B: a
    sum lambda_i chi2_1 over the eigenvalues lambda of the weighted covariance
    min(h_j, h_k) - h_j h_k. Its tail is led by the largest eigenvalue:
    P(A2 > x) ~ prod_{i>1} (1 - lambda_i / lambda_1) ** -0.5 * P(chi2_1 > x / lambda_1).
    For continuous data (no point holding much mass) the eigenvalues are the classical
    1 / (j (j + 1)), which gives sqrt(3) P(chi2_1 > 2x) (checked by simulation at 1e-3
    to 1e-5); a value many rows share (zero rainfall) can raise lambda_1 towards 1, so
    there the eigenvalues are computed.
    """
    if a2 <= 0.0:
        return 1.0
    if float(mass.max()) <= 2.5 / _POINTS:
        lead, factor = 0.5, math.sqrt(3.0)
    else:
        h, mass = _coarsen(h, mass)
        scale = np.sqrt(mass / (h * (1.0 - h)))
        cov = (np.minimum.outer(h, h) - np.outer(h, h)) * np.outer(scale, scale)
        lam = np.linalg.eigvalsh(cov)[::-1]
        lead = float(lam[0])
        if lead <= 0.0:
            return 1.0
        ratio = np.clip(lam[1:] / lead, 0.0, 1.0 - 1e-6)
        factor = math.exp(-0.5 * float(np.sum(np.log1p(-ratio))))
    return min(1.0, factor * math.erfc(math.sqrt(a2 / (2.0 * lead))))


def _coarsen(h: np.ndarray, mass: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge neighbouring points into at most _EIGEN_BINS bins of equal pooled mass (a
    value holding more keeps a bin of its own), so the eigenvalues cost little; the
    leading eigenvalues, which decide the tail, barely move."""
    bins = np.floor((h - mass) * _EIGEN_BINS).astype(np.int64)
    starts = np.flatnonzero(np.diff(bins, prepend=bins[0] - 1))
    ends = np.append(starts[1:], h.size) - 1
    return h[ends], np.add.reduceat(mass, starts)


# -- categories ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Counts:
    """A column's value counts: estimates, the half-width of their error, the total."""

    counts: dict[str, float]
    error: float
    total: float
    exact: bool


def _counts(col: ColumnProfile) -> _Counts:
    total = float(col.non_null - col.nan)
    if col.frequent_exact:
        return _Counts({v: float(c) for v, c in col.value_counts()}, 0.0, total, True)
    # The sketch reports an upper bound; the true count is within max_error below it.
    err = float(col.frequent.max_error)
    counts = {v: max(0.0, c - err / 2.0) for v, c in col.value_counts()}
    return _Counts(counts, err / 2.0, total, False)


def _categorical(ref: ColumnProfile, cur: ColumnProfile) -> Comparison:
    a, b = _counts(ref), _counts(cur)
    n, m = a.total, b.total
    keys = sorted(set(a.counts) | set(b.counts))
    ca = np.array([a.counts.get(k, 0.0) for k in keys], dtype=np.float64)
    cb = np.array([b.counts.get(k, 0.0) for k in keys], dtype=np.float64)
    # A value absent from an approximate sketch may still have up to its error bound.
    ea = np.full(len(keys), a.error)
    eb = np.full(len(keys), b.error)
    cells = _cells(keys, ca, cb, ea + eb, n, m)
    cell_keys = [keys[i] for i in cells]
    ta = np.append(ca[cells], max(0.0, n - float(ca[cells].sum())))
    tb = np.append(cb[cells], max(0.0, m - float(cb[cells].sum())))
    # The "other" cell carries the error of every cell taken out of it.
    err_a = np.append(ea[cells], a.error * len(cells) if not a.exact else 0.0)
    err_b = np.append(eb[cells], b.error * len(cells) if not b.exact else 0.0)
    ta, tb, err_a, err_b, cell_keys = _pool_small_other(ta, tb, err_a, err_b, cell_keys, n, m)
    p, q = ta / max(ta.sum(), 1.0), tb / max(tb.sum(), 1.0)
    effect = _jensen_shannon(p, q)
    p_value = _chi2_pvalue(ta, tb, err_a, err_b)
    linf = float(np.max(np.abs(p - q))) if p.size else 0.0

    ref_share = ca / n if n else ca * 0.0
    cur_share = cb / m if m else cb * 0.0
    gone = [
        i for i in range(len(keys)) if ref_share[i] >= VANISHED_SHARE and cb[i] == 0.0 and b.exact
    ]
    # Given a value's count c in both samples together, the chance that all c of them
    # fall in the reference is (n / (n + m)) ** c.
    lb_ref = np.maximum(ca - ea, 0.0)
    vanished = tuple(keys[i] for i in gone if lb_ref[i] * math.log(n / (n + m)) < math.log(ALPHA))
    appeared = [i for i in range(len(keys)) if cur_share[i] >= VANISHED_SHARE and ca[i] == 0.0]
    notes = []
    if gone:
        notes.append(
            "gone: " + ", ".join(f"{keys[i]!r} (was {percent(ref_share[i])})" for i in gone[:5])
        )
    if appeared:
        shown = (f"{keys[i]!r} ({percent(cur_share[i])})" for i in appeared[:5])
        notes.append("new: " + ", ".join(shown))
    if not notes and keys:
        i = int(np.argmax(np.abs(ref_share - cur_share)))
        change = f"{percent(ref_share[i])} -> {percent(cur_share[i])}"
        notes.append(f"largest change {keys[i]!r}: {change}")
    details: dict[str, object] = {
        "linf_distance": round(linf, 6),
        "cells": int(np.count_nonzero(ta + tb)),
        "pooled_as_other": len(keys) - len(cell_keys),
        "vanished": [keys[i] for i in gone[:20]],
        "appeared": [keys[i] for i in appeared[:20]],
    }
    novel = 0.0
    if a.exact and n > 0 and m > 0:
        novel, expected, p_novel = _novel(a.counts, b, n, m)
        details |= {
            "unseen_share": round(novel, 6),
            "unseen_expected": round(expected, 6),
            "unseen_p_value": float(f"{p_novel:.3g}"),
        }
        if p_novel >= ALPHA:
            novel = 0.0
        else:
            # Pooling rare values hides this change; the distance over every value shows it.
            raw = _jensen_shannon(ca / max(ca.sum(), 1.0), cb / max(cb.sum(), 1.0))
            details["statistic_every_value"] = round(raw, 6)
    return Comparison(
        "jensen_shannon",
        effect,
        p_value,
        details,
        "; ".join(notes),
        vanished=vanished,
        novel=novel,
    )


def _novel(ref: dict[str, float], cur: _Counts, n: float, m: float) -> tuple[float, float, float]:
    """The share of the current values that the reference never held, the share that
    rare categories explain, and the chance of seeing as many.

    Values too rare to have shown up in the reference make up, by Good and Turing's
    estimate, the share of the reference's values seen exactly once; three times that
    (plus one), as the schema's out-of-domain tolerance, is taken as the most chance
    explains, and the count of unseen values in the current sample is held to it by
    the binomial tail. Pooling rare values into one "other" cell hides this change (a
    batch whose values are all new reads as a distance of 0), hence the test of its own.
    The reference's counts must be exact; where the current sample's are estimated,
    each reference value is taken at the most the sketch allows (its count plus the
    error bound, or the bound itself if the sketch dropped it), so the unseen count is
    a lower bound.
    """
    singletons = sum(1 for c in ref.values() if c == 1.0)
    expected = min(1.0, 3.0 * (singletons + 1) / n)
    if cur.exact:
        unseen = sum(c for v, c in cur.counts.items() if v not in ref)
    else:
        seen = sum(cur.counts.get(v, cur.error) + cur.error for v in ref)
        unseen = max(0.0, m - seen)
    share = unseen / m
    if share <= expected:
        return share, expected, 1.0
    return share, expected, _binomial_sf(int(unseen), round(m), expected)


def _binomial_sf(k: int, m: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(m, p), k above the mean: the tail summed in logs from
    k up until its terms no longer count (not scipy.stats: its import costs the command
    line half a second; a test holds the two equal)."""
    if k <= 0:
        return 1.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0 or k > m:
        return 1.0 if p >= 1.0 else 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    base = math.lgamma(m + 1)

    def log_pmf(j: int) -> float:
        return base - math.lgamma(j + 1) - math.lgamma(m - j + 1) + j * log_p + (m - j) * log_q

    return upper_tail(log_pmf, k, m)


def _cells(
    keys: list[str], ca: np.ndarray, cb: np.ndarray, err: np.ndarray, n: float, m: float
) -> np.ndarray:
    """Indices of the values that get a cell of their own; the rest are pooled as other.

    A value gets a cell when its expected count in the smaller sample reaches
    MIN_EXPECTED (so that the chi-squared test holds) and the sketches know its count to
    within MAX_SKETCH_ERROR. Both depend on the two samples pooled, not on which side
    a value came from, so pooling does not favour finding a change.
    """
    if not keys or n <= 0 or m <= 0:
        return np.zeros(0, dtype=np.int64)
    pooled = ca + cb
    expected_small = pooled * min(n, m) / (n + m)
    keep = (expected_small >= MIN_EXPECTED) & (err <= MAX_SKETCH_ERROR * pooled)
    return np.flatnonzero(keep)


def _pool_small_other(
    ta: np.ndarray,
    tb: np.ndarray,
    err_a: np.ndarray,
    err_b: np.ndarray,
    keys: list[str],
    n: float,
    m: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Fold the smallest cells into "other" while "other" is non-empty but too small."""
    small = min(n, m) / (n + m) if n > 0 and m > 0 else 0.0
    while len(keys) > 0:
        other = ta[-1] + tb[-1]
        if other == 0.0 or other * small >= MIN_EXPECTED:
            break
        i = int(np.argmin(ta[:-1] + tb[:-1]))
        for arr in (ta, tb, err_a, err_b):
            arr[-1] += arr[i]
        ta, tb, err_a, err_b = (np.delete(x, i) for x in (ta, tb, err_a, err_b))
        keys = keys[:i] + keys[i + 1 :]
    return ta, tb, err_a, err_b, keys


def _jensen_shannon(p: np.ndarray, q: np.ndarray) -> float:
    if p.size == 0 or q.size == 0:
        return 0.0
    mid = (p + q) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_p = np.where(p > 0, p * np.log2(p / mid), 0.0)
        kl_q = np.where(q > 0, q * np.log2(q / mid), 0.0)
    value = 0.5 * float(kl_p.sum() + kl_q.sum())
    return math.sqrt(min(1.0, max(0.0, value)))


def _chi2_pvalue(a: np.ndarray, b: np.ndarray, err_a: np.ndarray, err_b: np.ndarray) -> float:
    """Pearson's chi-squared test of two count vectors, each cell's deviation first
    reduced by what the sketches' error could explain."""
    keep = (a + b) > 0
    a, b, err_a, err_b = a[keep], b[keep], err_a[keep], err_b[keep]
    if a.size < 2:
        return 1.0
    n, m = float(a.sum()), float(b.sum())
    if n <= 0 or m <= 0:
        return 1.0
    total = n + m
    col = a + b
    exp_a, exp_b = col * n / total, col * m / total
    slack = (err_a * m + err_b * n) / total
    dev = np.maximum(np.abs(a - exp_a) - slack, 0.0)
    stat = float(np.sum(dev * dev * (1.0 / exp_a + 1.0 / exp_b)))
    return _chi2_sf(stat, a.size - 1)


def _chi2_sf(x: float, df: int) -> float:
    """P(chi2_df > x), by the finite series of the upper incomplete gamma function for
    whole and half-whole shapes (summed in logs, so exact far into the tail). Not
    scipy: importing scipy.special alone costs the command line about a second."""
    if x <= 0.0:
        return 1.0
    half = x / 2.0
    if df % 2 == 0:
        head = 0.0
        shapes = np.arange(df // 2, dtype=np.float64)
    else:
        head = math.erfc(math.sqrt(half))
        shapes = np.arange(1, (df + 1) // 2, dtype=np.float64) - 0.5
    if shapes.size == 0:
        return min(1.0, head)
    logs = shapes * math.log(half) - np.array([math.lgamma(s + 1.0) for s in shapes])
    top = float(logs.max())
    tail = math.exp(top - half) * float(np.exp(logs - top).sum())
    return min(1.0, head + tail)


# -- evidence from two checks on one column ---------------------------------------------


def combine_evidence(findings: list[Finding]) -> list[Finding]:
    """Let a column's range and drift evidence combine: in a small sample each may be
    too weak alone (a spread grown 2.5x at 150 rows: 12% of values outside the range,
    and a drift distance above its threshold that could still be noise), together not.

    Where a drift finding warns that its effect could be noise and the same column's
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
            or f.status is not Status.WARN
            or "p_value" not in f.details
        ):
            out.append(f)
            continue
        p_drift, p_range = float(f.details["p_value"]), float(other.details["p_value"])
        x = -2.0 * (math.log(max(p_drift, 1e-300)) + math.log(max(p_range, 1e-300)))
        combined = _chi2_sf(x, 4)
        details = {**f.details, "combined_p_value": float(f"{combined:.3g}"), "method": "fisher"}
        if combined >= ALPHA:
            out.append(replace(f, details=details))
            continue
        outside = other.details.get("outside", 0)
        shape = _shape_note(f.details)
        message = (
            f"{f.column!r} drift: {f.details.get('metric', 'drift')} distance "
            f"{float(f.details.get('statistic', 0.0)):.3f} (threshold "
            f"{f.details.get('threshold')}){shape}, too weak alone in this sample (p = "
            f"{p_drift:.2g}), and {outside} values outside the reference's range (p = "
            f"{p_range:.2g}): together a change (Fisher's method, p = {combined:.2g}); "
            "check the upstream change, or retrain and update the baseline"
        )
        out.append(replace(f, status=Status.FAIL, message=message, details=details))
    return out


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
            "reference_distinct": round(ref.distinct.estimate, 1),
            "current_distinct": round(cur.distinct.estimate, 1),
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
    share = _reference_share(ref, value)
    m = cur.non_null - cur.nan
    chance = math.exp(m * math.log(share)) if share > 0.0 else 0.0
    details |= {"reference_share": round(share, 6), "chance": chance, "alpha": ALPHA}
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


def _reference_share(ref: ColumnProfile, value: object) -> float:
    """The share of the reference's values equal to ``value`` (an upper estimate)."""
    if ref.kind == NUMERIC and isinstance(value, float):
        sketch = ref.quantiles
        at = float(sketch.cdf([value])[0] - sketch.cdf([value], inclusive=False)[0])
        return min(1.0, at + 2.0 * sketch.rank_error)
    counts = _counts(ref)
    if counts.total <= 0:
        return 0.0
    return min(1.0, (counts.counts.get(str(value), 0.0) + counts.error) / counts.total)


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
    p_value = _chi2_pvalue(
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
