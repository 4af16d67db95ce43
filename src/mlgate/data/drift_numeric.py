"""Drift of continuous columns, from two quantile sketches: the normalised Wasserstein
distance, the two-sample Anderson-Darling test over the central ranks (Scholz and
Stephens, 1987), and unit conversions the change fits (``mlgate.data.drift`` has the
whole method)."""

from __future__ import annotations

import math

import numpy as np

from mlgate.data.comparison import Comparison
from mlgate.data.kll import KllSketch
from mlgate.data.profile import ColumnProfile
from mlgate.data.theta import distinct

#: Continuous columns are compared over the central ranks: at least this share is left
#: out at each end, and at least TAIL_VALUES values of the smaller sample, so that one
#: stray extreme value (a sensor glitch) does not decide a verdict.
TAIL_SHARE = 0.0025
TAIL_VALUES = 2
_POINTS = 400
_EIGEN_BINS = 40


def compare_numeric(ref: ColumnProfile, cur: ColumnProfile) -> Comparison:
    """A continuous column's comparison: the Wasserstein-1 distance between the two
    quantile functions over the central ranks, in reference standard deviations, with
    the two-sample Anderson-Darling test's p-value (see ``mlgate.data.drift``).

    Values near float64's limit (1.8e308) may overflow a difference or a mean to inf:
    that is the honest answer for them, and NumPy's warnings are not printed."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _compare_numeric(ref, cur)


def _compare_numeric(ref: ColumnProfile, cur: ColumnProfile) -> Comparison:
    n, m = ref.quantiles.n, cur.quantiles.n
    grid = _grid(min(n, m))
    qa = ref.quantiles.quantiles(grid)
    qb = cur.quantiles.quantiles(grid)
    scale, cur_std = ref.known_std, cur.known_std
    std_ratio = cur_std / scale if scale and cur_std is not None else math.nan
    if not scale:
        # Values beyond about 1e154 or spread by less than about 1e-154: their squared
        # deviations overflow or vanish (``known_std``), though the spread is there. The
        # central half's width stands in, as a normal's standard deviation (IQR / 1.349),
        # and so does the ratio of the two widths.
        ref_iqr, cur_iqr = _iqr(ref.quantiles), _iqr(cur.quantiles)
        if math.isfinite(ref_iqr) and ref_iqr > 0.0:
            scale = ref_iqr / _IQR_PER_STD
            std_ratio = cur_iqr / ref_iqr
    if scale is None or not math.isfinite(scale) or scale <= 0.0:
        scale = abs(ref.moments.mean) or 1.0
    effect = float(np.mean(np.abs(qa - qb))) / scale
    a2, p_value, linf = _anderson_darling(ref.quantiles, cur.quantiles, grid)
    mean_shift = (cur.moments.mean - ref.moments.mean) / scale
    notes = []
    if math.isfinite(mean_shift) and abs(mean_shift) >= 0.25:
        notes.append(f"mean moved {mean_shift:+.2f} standard deviations")
    if math.isfinite(std_ratio) and (std_ratio >= 1.25 or std_ratio <= 0.8):
        # Two decimals, or the digits a ratio far below 1 needs (x0.0001, not x0.00).
        notes.append(f"spread x{std_ratio:.2f}" if std_ratio >= 0.1 else f"spread x{std_ratio:.2g}")
    unit = unit_change(qa, qb, scale)
    if unit is not None:
        notes.append(unit)
    details: dict[str, object] = {
        "anderson_darling": round(a2, 4),
        "linf_distance": round(linf, 6),
        "mean_shift_std": round(mean_shift, 4) if math.isfinite(mean_shift) else None,
        "std_ratio": round(std_ratio, 4) if math.isfinite(std_ratio) else None,
    }
    return Comparison("wasserstein", effect, p_value, details, ", ".join(notes))


#: A normal distribution's interquartile range, in standard deviations.
_IQR_PER_STD = 1.3489795


def _iqr(sketch: KllSketch) -> float:
    """The interquartile range of a sketch's values (inf where it passes float64's;
    ``compare_numeric`` keeps NumPy quiet about it)."""
    low, high = sketch.quantiles([0.25, 0.75])
    return float(high - low)


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


#: A conversion named on a small sample: the current values, converted back, are this
#: close to the reference's (mean quantile gap, in reference standard deviations) ...
UNIT_FIT = 0.25
#: ... and this much closer than with the factor 15% off either way, so that the factor
#: is pinned down (values centred near 0 fit any factor about as well).
UNIT_SHARPNESS = 0.6


def unit_change(ref_q: np.ndarray, cur_q: np.ndarray, scale: float | None = None) -> str | None:
    """A unit conversion the current quantiles fit, or None: the same distribution
    times a common factor (either way), or Celsius and Fahrenheit (an affine change).

    ``ref_q``, ``cur_q``: the two columns' quantiles at the same ranks. On large
    samples the fit ``cur = a * ref + b`` is near exact (R^2 >= 0.995), ``a`` within 3%
    of a factor and ``b`` small next to the spread (or, for temperatures, within 3% of
    32 or -17.8). On a few hundred rows the quantiles' noise breaks that fit (penguins'
    body mass in pounds: slope 3% off), so with ``scale`` (the reference's standard
    deviation) each conversion is also undone on the current quantiles and kept when
    they land within UNIT_FIT of the reference's and the factor is sharp
    (UNIT_SHARPNESS): a test of each named factor, not a fitted one.
    """
    if len(ref_q) < 3 or np.ptp(ref_q) <= 0 or np.ptp(cur_q) <= 0:
        return None
    fit = _line_fit(ref_q, cur_q)
    if fit is None:  # spans float64 cannot hold (values near 1e308)
        return None
    a, b, r2 = fit
    if r2 >= 0.995 and a > 0 and abs(math.log(a)) >= math.log(1.2):
        spread = float(np.ptp(cur_q))
        for factor, what in UNIT_FACTORS.items():
            for f in (factor, 1.0 / factor):
                if abs(a / f - 1.0) < 0.03 and abs(b) < 0.05 * spread:
                    return _converted_by(f, what)
        for f, offset, what in _TEMPERATURES:
            if abs(a / f - 1.0) < 0.03 and abs(b - offset) < 0.03 * abs(offset) + 0.05 * spread:
                return f"values look converted from {what}, a unit change?"
    if scale is None or not math.isfinite(scale) or scale <= 0.0:
        return None
    return _undone(ref_q, cur_q, scale)


def _line_fit(ref_q: np.ndarray, cur_q: np.ndarray) -> tuple[float, float, float] | None:
    """The least-squares line ``cur = a * ref + b`` through the quantiles and its R^2
    (``np.polyfit``), or None where float64 cannot hold the arithmetic.

    Fitted on centred, scaled quantiles: near 1e9 the raw fit was poorly conditioned
    (NumPy's RankWarning on every check), near 1e300 its squares overflowed, and from
    about 1e305 the means themselves overflowed and the fit failed (LinAlgError).
    Centred on the middle quantiles (values of the data, which cannot overflow; not
    ``np.median``, whose first call imports numpy.ma, a start-up cost for small files).
    """
    with np.errstate(all="ignore"):
        x_mid, y_mid = float(ref_q[ref_q.size // 2]), float(cur_q[cur_q.size // 2])
        size = float(max(np.abs(ref_q - x_mid).max(), np.abs(cur_q - y_mid).max()))
        if not (math.isfinite(size) and size > 0.0):
            return None
        x, y = (ref_q - x_mid) / size, (cur_q - y_mid) / size
        spread = float(np.sum((y - y.mean()) ** 2))
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y)) and spread > 0.0):
            return None  # the current's spread vanishes next to the reference's
        a, b0 = np.polyfit(x, y, 1)
        r2 = 1.0 - float(np.sum((y - (a * x + b0)) ** 2)) / spread
        b = y_mid + b0 * size - a * x_mid
    if not all(math.isfinite(v) for v in (a, b, r2)):
        return None
    return float(a), float(b), r2


_TEMPERATURES = (
    (1.8, 32.0, "Celsius to Fahrenheit"),
    (1 / 1.8, -32.0 / 1.8, "Fahrenheit to Celsius"),
)


def _converted_by(f: float, what: str) -> str:
    return f"values look converted by x{f:.4g} ({what}), a unit change?"


def _undone(ref_q: np.ndarray, cur_q: np.ndarray, scale: float) -> str | None:
    """The conversion that, undone, brings the current quantiles closest to the
    reference's, if close (UNIT_FIT) and sharp (UNIT_SHARPNESS); else None."""

    def gap(f: float, offset: float = 0.0) -> float:
        return float(np.mean(np.abs(ref_q - (cur_q - offset) / f))) / scale

    tried = [
        (f, 0.0, _converted_by(f, what))
        for factor, what in UNIT_FACTORS.items()
        for f in (factor, 1.0 / factor)
    ]
    tried += [
        (f, off, f"values look converted from {what}, a unit change?")
        for f, off, what in _TEMPERATURES
    ]
    best: tuple[float, str] | None = None
    for f, offset, message in tried:
        fit = gap(f, offset)
        if fit > UNIT_FIT:
            continue
        off_by = min(gap(f * 1.15, offset), gap(f / 1.15, offset))
        if fit <= UNIT_SHARPNESS * off_by and (best is None or fit < best[0]):
            best = (fit, message)
    return best[1] if best is not None else None


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
