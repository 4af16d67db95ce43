"""Mergeable moments: the one place that holds the merge arithmetic.

Chan, Golub and LeVeque's pairwise update keeps the mean and the sum of squared
deviations exact under merging, in any order, without the cancellation of the
naive sum-of-squares formula.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mlgate.data._slices import CHUNK


@dataclass(frozen=True)
class Moments:
    """Count, mean and sum of squared deviations (M2) of the finite values seen."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0

    @classmethod
    def of(cls, values: np.ndarray) -> Moments:
        n = int(values.size)
        if n == 0:
            return cls()
        # Values near the float64 limit overflow the sums to inf; that is the honest
        # answer for such data and must not print warnings.
        values = np.asarray(values, dtype=np.float64).ravel()
        m2 = 0.0
        with np.errstate(over="ignore", invalid="ignore"):
            mean = float(values.mean())
            # By slices: one cached scratch buffer instead of two batch-sized temporaries.
            scratch = np.empty(min(CHUNK, n), dtype=np.float64)
            for start in range(0, n, CHUNK):
                part = scratch[: min(CHUNK, n - start)]
                np.subtract(values[start : start + CHUNK], mean, out=part)
                # Not np.dot: BLAS threads spin and starve a second profiling process.
                np.square(part, out=part)
                m2 += float(part.sum())
        return cls(n, mean, m2)

    @classmethod
    def of_counts(cls, values: np.ndarray, counts: np.ndarray) -> Moments:
        """``of(np.repeat(values, counts))`` without the repeated array: ``values`` are
        distinct floats (shape (m,)) and ``counts`` their positive whole numbers of
        occurrences (shape (m,)), as counted whole numbers come. Equal to ``of`` up to
        rounding (the sums run over m terms, not over every value)."""
        weights = np.asarray(counts, dtype=np.float64)
        n = int(np.asarray(counts).sum())
        if n == 0:
            return cls()
        values = np.asarray(values, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            # Sums, not np.dot: BLAS threads spin (as in ``of``).
            mean = float((weights * values).sum() / n)
            deviations = values - mean
            m2 = float((weights * deviations * deviations).sum())
        return cls(n, mean, m2)

    def shifted(self, by: float) -> Moments:
        """These moments with every value moved by ``by``: the mean moves, the spread
        does not (moments taken about an origin, moved back)."""
        return Moments(self.n, self.mean + by, self.m2) if self.n else self

    def merge(self, other: Moments) -> Moments:
        if other.n == 0:
            return self
        if self.n == 0:
            return other
        n = self.n + other.n
        delta = other.mean - self.mean
        mean = self.mean + delta * other.n / n
        m2 = self.m2 + other.m2 + delta * delta * self.n * other.n / n
        return Moments(n, mean, m2)

    @property
    def variance(self) -> float:
        """Sample variance (n - 1 in the denominator); NaN with fewer than two values."""
        return self.m2 / (self.n - 1) if self.n > 1 else math.nan

    @property
    def std(self) -> float:
        return math.sqrt(self.variance) if self.n > 1 else math.nan
