"""Upper tails of discrete distributions, summed in logs.

The data gate's tests need upper tails far out (1e-6 and below): P(X >= k) for a
binomial and a beta-binomial count, and P(chi2_df > x). scipy.stats has them all, but
importing it costs the command line about half a second, so the tails are summed here;
tests hold each to scipy's.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


def upper_tail(log_pmf: Callable[[int], float], k: int, m: int) -> float:
    """P(X >= k) for a count X on 0..m with the given log probability mass, summed
    from ``k`` up until the terms no longer count (relative 1e-17). Meant for ``k`` at
    or beyond the mode, where the terms fall from the first on; nearer the middle it
    would sum many terms."""
    first: float | None = None
    total = 0.0
    for j in range(k, m + 1):
        log_term = log_pmf(j)
        if first is None:
            first = log_term
        term = math.exp(log_term - first)
        total += term
        if term < 1e-17 * total:
            break
    return min(1.0, math.exp(first + math.log(total))) if first is not None else 0.0


def binomial_sf(k: int, m: int, p: float) -> float:
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


def chi2_sf(x: float, df: int) -> float:
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
