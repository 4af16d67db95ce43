"""Upper tails of discrete distributions, summed in logs.

The data gate's tests need P(X >= k) far into the tail (1e-6 and below) for a binomial
and a beta-binomial count. scipy.stats has both, but importing it costs the command
line about half a second, so the tails are summed here; tests hold each to scipy's.
"""

from __future__ import annotations

import math
from collections.abc import Callable


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
