"""Drift of categories (strings, booleans, integer codes), from two frequent-values
sketches: the Jensen-Shannon distance between the shares, Pearson's chi-squared test,
vanished values, and values the reference never held by Good and Turing's estimate
(``mlgate.data.drift`` has the whole method)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlgate._format import percent, quoted
from mlgate.data.comparison import ALPHA, Comparison
from mlgate.data.profile import ColumnProfile
from mlgate.data.tails import binomial_sf, chi2_sf

#: A value holding at least this share of the reference and absent from the current
#: data is a vanished category.
VANISHED_SHARE = 0.01
#: Pearson's chi-squared test wants at least this many expected values in each cell.
MIN_EXPECTED = 5.0
#: A value is its own cell only if the sketches pin its count down to this fraction.
MAX_SKETCH_ERROR = 0.1


@dataclass(frozen=True)
class Counts:
    """A column's value counts: estimates, the half-width of their error, the total."""

    counts: dict[str, float]
    error: float
    total: float
    exact: bool


def counts_of(col: ColumnProfile) -> Counts:
    """The column's value counts, exact or from the frequent-values sketch with its
    error bound."""
    total = float(col.non_null - col.nan)
    if col.frequent_exact:
        return Counts({v: float(c) for v, c in col.value_counts()}, 0.0, total, True)
    # The sketch reports an upper bound; the true count is within max_error below it.
    err = float(col.frequent.max_error)
    counts = {v: max(0.0, c - err / 2.0) for v, c in col.value_counts()}
    return Counts(counts, err / 2.0, total, False)


def compare_categorical(ref: ColumnProfile, cur: ColumnProfile) -> Comparison:
    """A categorical column's comparison: the Jensen-Shannon distance between the value
    shares, Pearson's chi-squared test on the counts, vanished values and the share of
    values the reference never held (see ``mlgate.data.drift``)."""
    a, b = counts_of(ref), counts_of(cur)
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
    p_value = chi2_pvalue(ta, tb, err_a, err_b)
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
    appeared.sort(key=lambda i: -cur_share[i])  # the largest first, as the message lists them
    notes = []
    if gone:
        shown = (f"{quoted(keys[i])} (was {percent(ref_share[i])})" for i in gone[:5])
        notes.append("gone: " + ", ".join(shown))
    if appeared:
        shown = (f"{quoted(keys[i])} ({percent(cur_share[i])})" for i in appeared[:5])
        notes.append("new: " + ", ".join(shown))
    if not notes and keys:
        i = int(np.argmax(np.abs(ref_share - cur_share)))
        change = f"{percent(ref_share[i])} -> {percent(cur_share[i])}"
        notes.append(f"largest change {quoted(keys[i])}: {change}")
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


def _novel(ref: dict[str, float], cur: Counts, n: float, m: float) -> tuple[float, float, float]:
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
    return share, expected, binomial_sf(int(unseen), round(m), expected)


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


def chi2_pvalue(a: np.ndarray, b: np.ndarray, err_a: np.ndarray, err_b: np.ndarray) -> float:
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
    return chi2_sf(stat, a.size - 1)
