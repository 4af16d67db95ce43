"""Paired comparison of two models scored on the same rows: a non-inferiority test.

For a metric where higher is better, with margin δ (in the metric's units), the
candidate is

- **worse** when the test rejects "candidate - baseline ≥ -δ" (its whole confidence
  interval lies below -δ, after Holm's correction across the comparisons made at once);
- **not worse** when the test rejects "candidate - baseline ≤ -δ" (the interval lies
  above -δ);
- **inconclusive** otherwise: the rows cannot tell, and the message says how small a
  drop they could resolve.
Lower-is-better metrics mirror it (+δ). Each side is a one-sided test at alpha = 2.5%, the
two sides of a 95% interval.

The methods, chosen per metric:

- accuracy: **exact McNemar**. Only the discordant rows (one model right, the other
  wrong) carry information; given their number n, the candidate's wins are
  Binomial(n, p) and the difference is (n / N)(2p - 1). The interval is Clopper-
  Pearson's for p and the p-values are exact binomial tails (``scipy.stats.binomtest``);
  the classic McNemar p-value for "no difference" comes from
  ``statsmodels.stats.contingency_tables.mcnemar(exact=True)``.
- ROC AUC: **DeLong** (DeLong, DeLong & Clarke-Pearson, Biometrics 1988), with midranks
  from ``scipy.stats.rankdata`` as in Sun & Xu (IEEE SPL 2014). One-vs-rest macro AUC of
  more classes sums each row's placement-value terms over the classes, so the
  correlation between the class AUCs is kept.
- everything else: a **seeded paired bootstrap** (Efron & Tibshirani 1993): both models
  are scored on the same resampled rows, and the standard deviation of the differences
  is the standard error of a normal interval. Resamples are counts per row, so every
  resample's metric is a matrix product over ``metrics.row_statistics``.

Holm's step-down correction (``statsmodels.stats.multitest.multipletests``) is applied
to the "worse" p-values of every metric and slice tested at once, so testing many
slices does not fail a harmless pull request by chance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from mlgate.evaluation.metrics import (
    Metric,
    OneHotColumns,
    Scored,
    Truth,
    row_statistics,
    score,
)

Verdict = Literal["worse", "not_worse", "inconclusive"]

#: One-sided level of each side of the test: the two sides of a 95% interval.
ALPHA = 0.025
#: Bootstrap resamples; 1,000 puts the standard error within about 2% of its limit.
BOOTSTRAP_RESAMPLES = 1000
#: Fewest rows for a normal interval from a bootstrap or DeLong standard error: below,
#: the resamples are too few to vary (2 rows give a standard error of 0 and "p=0").
MIN_ROWS = 30
#: Above this many rows, random groups of rows are resampled (``Resampler``).
BOOTSTRAP_GROUPS = 20_000
#: Cells of the resample-count matrix built at once (bounds memory to ~32 MB).
_CHUNK_CELLS = 4_000_000


@dataclass(frozen=True)
class Comparison:
    """Candidate against baseline on one metric over the same rows.

    ``difference`` = candidate - baseline and the interval ``ci_low..ci_high`` are in the
    metric's units; ``margin`` too (a relative margin is already multiplied by the
    baseline's value). ``p_value`` tests "worse by more than the margin"; ``p_not_worse``
    tests "no worse than the margin"; ``p_adjusted`` is ``p_value`` after Holm.
    """

    metric: Metric
    candidate: float
    baseline: float
    difference: float
    ci_low: float
    ci_high: float
    margin: float
    method: str
    p_value: float
    p_not_worse: float
    rows: int
    std_error: float
    extra: tuple[tuple[str, Any], ...] = ()
    p_adjusted: float | None = None

    @property
    def verdict(self) -> Verdict:
        p_worse = self.p_value if self.p_adjusted is None else self.p_adjusted
        if p_worse < ALPHA:
            return "worse"
        if self.p_not_worse < ALPHA:
            return "not_worse"
        return "inconclusive"

    @property
    def worse_direction(self) -> float:
        """-1 when a lower value is worse (accuracy), +1 when a higher one is (RMSE)."""
        return -1.0 if self.metric.higher_is_better else 1.0

    @property
    def half_width(self) -> float:
        return (self.ci_high - self.ci_low) / 2

    def rows_for_half_width(self, target: float) -> int | None:
        """Rows needed for an interval of ± ``target``; intervals narrow as 1/√rows."""
        if target <= 0 or self.half_width <= 0:
            return None
        return math.ceil(self.rows * (self.half_width / target) ** 2)

    def details(self) -> dict[str, Any]:
        """The numbers behind the verdict, as a finding's ``details``."""
        out: dict[str, Any] = {
            "metric": self.metric.name,
            "higher_is_better": self.metric.higher_is_better,
            "candidate": self.candidate,
            "baseline": self.baseline,
            "difference": self.difference,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "confidence": 1 - 2 * ALPHA,
            "margin": self.margin,
            "margin_relative": self.metric.relative_margin,
            "method": self.method,
            "p_value": self.p_value,
            "p_not_worse": self.p_not_worse,
            "p_adjusted": self.p_adjusted,
            "verdict": self.verdict,
            "rows": self.rows,
        }
        out.update(dict(self.extra))
        return out


def margin_for(metric: Metric, margin: float, baseline_value: float) -> float:
    """The margin in metric units: relative margins scale with the baseline's value."""
    return margin * abs(baseline_value) if metric.relative_margin else margin


def compare(
    metric: Metric,
    truth: Truth,
    candidate: Scored,
    baseline: Scored,
    *,
    margin: float,
    seed: int = 0,
    resamples: int = BOOTSTRAP_RESAMPLES,
    values: tuple[float, float] | None = None,
    resampler: Resampler | None = None,
) -> Comparison:
    """Compare ``candidate`` with ``baseline`` on ``metric`` (``margin`` as configured:
    relative for errors, absolute for rates). ``values``: both models' metric values if
    already scored; ``resampler``: bootstrap resamples of these rows drawn once for
    every metric (else drawn here from ``seed``). Raises ``ValueError`` when the metric
    does not apply to these rows (``metrics.applicable``)."""
    cand_value, base_value = values or (
        score(metric, truth, candidate),
        score(metric, truth, baseline),
    )
    return _clipped(
        _compare(
            metric,
            truth,
            candidate,
            baseline,
            cand_value,
            base_value,
            margin,
            seed,
            resamples,
            resampler,
        )
    )


def _clipped(c: Comparison) -> Comparison:
    """The interval cut to the differences the metric can have: a normal interval can
    reach past them (an error that falls by more than 100%)."""
    low, high = c.metric.bounds
    return replace(
        c,
        ci_low=max(c.ci_low, low - c.baseline),
        ci_high=min(c.ci_high, high - c.baseline),
    )


def _compare(
    metric: Metric,
    truth: Truth,
    candidate: Scored,
    baseline: Scored,
    cand_value: float,
    base_value: float,
    margin: float,
    seed: int,
    resamples: int,
    resampler: Resampler | None,
) -> Comparison:
    delta = margin_for(metric, margin, base_value)
    if metric.name == "accuracy":
        return _mcnemar(metric, truth, candidate, baseline, cand_value, base_value, delta)
    if metric.name == "roc_auc":
        assert candidate.proba is not None and baseline.proba is not None
        se = delong_std_error(truth, candidate.proba, baseline.proba)
        return _normal(metric, truth.rows, cand_value, base_value, delta, se, "DeLong")
    se = bootstrap_std_error(
        metric, truth, candidate, baseline, seed=seed, resamples=resamples, resampler=resampler
    )
    extra = (("resamples", resampler.resamples if resampler else resamples), ("seed", seed))
    return replace(
        _normal(metric, truth.rows, cand_value, base_value, delta, se, "paired bootstrap"),
        extra=extra,
    )


def _normal(
    metric: Metric, rows: int, cand: float, base: float, margin: float, se: float, method: str
) -> Comparison:
    """A normal interval and one-sided p-values from a standard error."""
    from scipy.stats import norm

    diff = cand - base
    z = norm.ppf(1 - ALPHA)
    # Distance of the difference from the worse-by-the-margin boundary, worse side < 0.
    sign = 1.0 if metric.higher_is_better else -1.0
    toward_ok = sign * diff + margin
    if rows < MIN_ROWS or (se == 0 and diff != 0):  # no standard error to trust: undecided
        p_worse, p_ok = 1.0, 1.0
    elif se > 0:
        p_worse = float(norm.cdf(toward_ok / se))
        p_ok = float(norm.sf(toward_ok / se))
    else:  # identical predictions, or no spread at all: the difference is exact
        p_worse, p_ok = (0.0, 1.0) if toward_ok < 0 else (1.0, 0.0)
    return Comparison(
        metric,
        cand,
        base,
        diff,
        diff - z * se,
        diff + z * se,
        margin,
        method,
        p_worse,
        p_ok,
        rows,
        se,
    )


def _mcnemar(
    metric: Metric,
    truth: Truth,
    candidate: Scored,
    baseline: Scored,
    cand: float,
    base: float,
    margin: float,
) -> Comparison:
    from scipy.stats import binomtest
    from statsmodels.stats.contingency_tables import mcnemar

    n_rows = truth.rows
    c_right, b_right = candidate.pred == truth.y, baseline.pred == truth.y
    wins = int(np.sum(c_right & ~b_right))
    losses = int(np.sum(~c_right & b_right))
    n = wins + losses
    table = [[int(np.sum(c_right & b_right)), wins], [losses, int(np.sum(~c_right & ~b_right))]]
    extra: dict[str, Any] = {
        "discordant": n,
        "candidate_only_right": wins,
        "baseline_only_right": losses,
    }
    diff = (wins - losses) / n_rows
    if n == 0:  # the same rows right and wrong: no difference, exactly
        return Comparison(
            metric,
            cand,
            base,
            0.0,
            0.0,
            0.0,
            margin,
            "exact McNemar",
            1.0,
            0.0,
            n_rows,
            0.0,
            tuple(extra.items()),
        )
    extra["mcnemar_p_value"] = float(mcnemar(table, exact=True).pvalue)
    test = binomtest(wins, n)
    ci = test.proportion_ci(confidence_level=1 - 2 * ALPHA, method="exact")
    scale = n / n_rows
    # The difference is worse than -margin exactly when p < p0.
    p0 = (1 - margin / scale) / 2
    if p0 <= 0:  # even every discordant row going to the baseline is within the margin
        p_worse, p_ok = 1.0, 0.0
    else:
        p_worse = float(binomtest(wins, n, p0, alternative="less").pvalue)
        p_ok = float(binomtest(wins, n, p0, alternative="greater").pvalue)
    low, high = scale * (2 * ci.low - 1), scale * (2 * ci.high - 1)
    # A standard error consistent with the exact interval, for sample-size advice.
    se = (high - low) / (2 * 1.959963984540054)
    return Comparison(
        metric,
        cand,
        base,
        diff,
        low,
        high,
        margin,
        "exact McNemar",
        p_worse,
        p_ok,
        n_rows,
        se,
        tuple(extra.items()),
    )


def delong_std_error(truth: Truth, cand_proba: np.ndarray, base_proba: np.ndarray) -> float:
    """Standard error of (candidate AUC - baseline AUC) on the same rows, by DeLong.

    ``cand_proba``, ``base_proba``: (N, K) probabilities in ``truth.classes`` order. Two
    classes: the AUC of the second class. More: the macro one-vs-rest AUC over the classes
    present. Each row contributes its placement-value difference to every class's AUC
    (as a positive of its own class, a negative of the others); their sum per row is its
    influence on the macro AUC difference, and the variance is the sum of squares.
    With two classes this is exactly DeLong's S10/m + S01/n.
    """
    from scipy.stats import rankdata

    from mlgate.evaluation.metrics import _auc_classes

    classes = _auc_classes(truth)
    influence = np.zeros(truth.rows)
    for k in classes:
        pos = truth.y == k
        m, n = int(pos.sum()), int((~pos).sum())
        if m < 2 or n < 2:
            continue
        for proba, sign in ((cand_proba, 1.0), (base_proba, -1.0)):
            s = proba[:, k]
            x, yneg = s[pos], s[~pos]
            tz = rankdata(np.concatenate([x, yneg]))
            v10 = (tz[:m] - rankdata(x)) / n  # each positive's share of negatives below it
            v01 = 1 - (tz[m:] - rankdata(yneg)) / m  # each negative's share of positives above
            auc = v10.mean()
            term = np.empty(truth.rows)
            term[pos] = (v10 - auc) / math.sqrt(m * (m - 1))
            term[~pos] = (v01 - auc) / math.sqrt(n * (n - 1))
            influence += sign * term / len(classes)
    return float(math.sqrt(np.sum(influence**2)))


def bootstrap_std_error(
    metric: Metric,
    truth: Truth,
    candidate: Scored,
    baseline: Scored,
    *,
    seed: int = 0,
    resamples: int = BOOTSTRAP_RESAMPLES,
    resampler: Resampler | None = None,
) -> float:
    """Standard deviation of (candidate - baseline) over paired bootstrap resamples.

    Both models are scored on the same resampled rows (drawn with replacement, seeded
    with ``seed`` so the same input gives the same answer).
    """
    differences = bootstrap_differences(
        metric, truth, candidate, baseline, seed=seed, resamples=resamples, resampler=resampler
    )
    return float(np.std(differences, ddof=1))


def bootstrap_differences(
    metric: Metric,
    truth: Truth,
    candidate: Scored,
    baseline: Scored,
    *,
    seed: int = 0,
    resamples: int = BOOTSTRAP_RESAMPLES,
    resampler: Resampler | None = None,
) -> np.ndarray:
    """(resamples,) values of candidate - baseline on paired resamples of the rows
    (``resampler``'s, when given: drawn once for every metric on these rows)."""
    cand = row_statistics(metric, truth, candidate)
    base = row_statistics(metric, truth, baseline)
    resampler = resampler or Resampler(truth.rows, resamples, seed)
    n = resampler.sums(np.ones((truth.rows, 1)))[:, 0]
    return cand.value(resampler.sums(cand.columns), n) - base.value(resampler.sums(base.columns), n)


class Resampler:
    """Seeded bootstrap resamples of ``rows`` rows, drawn once and applied to the columns
    of every metric compared on those rows (the same resamples for all of them).

    Up to ``BOOTSTRAP_GROUPS`` rows, each resample draws the rows uniformly with
    replacement. Above it, the rows are first shuffled into that many random groups of
    near-equal size, and groups are resampled instead: the method of random groups
    (Wolter, *Introduction to Variance Estimation*, 2nd ed., 2007, ch. 2). A resample's
    sum then has the same variance as a row resample's, N times a row's, at a cost
    that no longer grows with N. Everything is seeded with ``seed`` (NumPy's PCG64).
    """

    def __init__(self, rows: int, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.rows, self.resamples = rows, resamples
        self._group: np.ndarray | None = None
        units = rows
        if rows > BOOTSTRAP_GROUPS:
            self._group = np.empty(rows, dtype=np.intp)
            self._group[rng.permutation(rows)] = np.arange(rows) % BOOTSTRAP_GROUPS
            units = BOOTSTRAP_GROUPS
        # (resamples, units) draws of each unit; a count above 65,535 cannot occur.
        self._counts = np.empty((resamples, units), dtype=np.uint16)
        for i in range(resamples):
            self._counts[i] = np.bincount(rng.integers(0, units, units), minlength=units)

    def sums(self, columns: np.ndarray | OneHotColumns) -> np.ndarray:
        """(resamples, k) column sums of ``columns`` (rows, k) over the resamples."""
        rows = len(columns.index) if isinstance(columns, OneHotColumns) else columns.shape[0]
        if rows != self.rows:
            raise ValueError(f"{rows} rows, but the resamples are of {self.rows}")
        if isinstance(columns, OneHotColumns) and self._group is not None:
            key = self._group * columns.k + columns.index
            columns = np.bincount(
                key, weights=columns.weights, minlength=BOOTSTRAP_GROUPS * columns.k
            ).reshape(BOOTSTRAP_GROUPS, columns.k)
        elif isinstance(columns, OneHotColumns):
            columns = columns.dense()
        elif self._group is not None:
            columns = np.column_stack(
                [np.bincount(self._group, weights=c, minlength=BOOTSTRAP_GROUPS) for c in columns.T]
            )
        out = np.empty((self.resamples, columns.shape[1]))
        per_chunk = max(1, _CHUNK_CELLS // max(self._counts.shape[1], 1))
        for start in range(0, self.resamples, per_chunk):
            stop = min(self.resamples, start + per_chunk)
            out[start:stop] = self._counts[start:stop].astype(np.float64) @ columns
        return out


def holm(comparisons: Sequence[Comparison]) -> list[Comparison]:
    """The comparisons with ``p_adjusted`` set by Holm's step-down method over all of them."""
    if not comparisons:
        return []
    from statsmodels.stats.multitest import multipletests

    adjusted = multipletests([c.p_value for c in comparisons], method="holm")[1]
    return [replace(c, p_adjusted=float(p)) for c, p in zip(comparisons, adjusted, strict=True)]
