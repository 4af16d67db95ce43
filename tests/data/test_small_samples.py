"""Small samples (issue 9, section 3): values outside the reference's range are judged
against what chance puts there, and a column's range and drift evidence combine, so a
real change of spread fails at 150 rows a side while clean random halves still pass."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from scipy.stats import betabinom

from mlgate.data.drift import compare_profiles
from mlgate.data.gate import check_data
from mlgate.data.profile import profile_frame
from mlgate.data.schema import infer_schema
from mlgate.data.tails import chi2_sf
from mlgate.data.validate import outside_pvalue, validate_profile
from mlgate.findings import Status
from tests.data.test_drift_stability import halves, penguins, weather


@pytest.mark.parametrize(
    ("k", "m", "n", "ends"),
    [(25, 150, 150, 2), (3, 10, 10, 2), (15, 1000, 100, 1), (3, 100_000, 1_000_000, 2)],
)
def test_outside_pvalue_is_scipys_beta_binomial_tail(k, m, n, ends):
    expected = betabinom(m, ends, n + 1 - ends).sf(k - 1)
    assert outside_pvalue(k, m, n, ends) == pytest.approx(expected, rel=1e-5)


def test_outside_pvalue_edges():
    assert outside_pvalue(0, 100, 100) == 1.0
    assert outside_pvalue(1, 100, 100) == 1.0  # below its mean, 2m/(n+1): no evidence
    assert outside_pvalue(101, 100, 100) == 0.0
    assert outside_pvalue(100, 100, 100) < 1e-50


def _spread(df: pl.DataFrame, column: str, factor: float) -> pl.DataFrame:
    mean = df[column].mean()
    return df.with_columns((mean + factor * (pl.col(column) - mean)).alias(column))


def _column_failed(report, column: str) -> bool:
    return any(f.status is Status.FAIL and f.column == column for f in report.findings)


@pytest.mark.parametrize(
    ("data", "column"),
    [(penguins, "body_mass_g"), (penguins, "bill_depth_mm"), (weather, "pressure")],
)
def test_a_spread_grown_2_5x_fails_at_150_rows_and_clean_halves_do_not(data, column):
    df = data().select(column)
    for seed in range(8):
        ref, cur = halves(df, 150, seed)
        assert _column_failed(check_data(ref, _spread(cur, column, 2.5)), column), seed
        clean = check_data(ref, cur)
        assert not _column_failed(clean, column), [f.message for f in clean.problems()]


def test_the_range_count_is_judged_by_chance_for_these_sizes():
    rng = np.random.default_rng(1)
    ref = pl.DataFrame({"x": rng.normal(size=150)})
    # 17% of 150 values beyond the reference's extremes; chance expects about 2.
    cur = np.concatenate([rng.normal(size=125), rng.normal(6.0, 0.5, 25)])
    report = check_data(ref, pl.DataFrame({"x": cur}))
    rng_check = next(f for f in report.findings if f.name == "quality.out_of_range")
    assert rng_check.status is Status.FAIL
    assert rng_check.details["outside"] >= 25 and rng_check.details["p_value"] < 1e-6


def test_combined_evidence_fails_the_drift_and_says_why():
    rng = np.random.default_rng(4)
    ref = pl.DataFrame({"x": rng.normal(size=150)})
    found = []
    for seed in range(20):
        cur = np.random.default_rng(seed).normal(0, 2.0, 150)
        report = check_data(ref, pl.DataFrame({"x": cur}))
        drift = next(f for f in report.findings if f.name == "drift.numeric")
        if "combined_p_value" in drift.details and drift.status is Status.FAIL:
            found.append(drift)
    assert found, "no doubled spread at 150 rows was decided by the combination"
    assert "together a change (Fisher's method" in found[0].message
    assert "spread x" in found[0].message and "too weak alone" in found[0].message
    assert "'x' drift: normalised Wasserstein distance" in found[0].message  # as elsewhere


def test_the_combination_holds_its_level_on_samples_of_one_distribution():
    rng = np.random.default_rng(0)
    combined = []
    for _ in range(600):
        a = profile_frame(pl.DataFrame({"x": rng.normal(size=150)}))
        b = profile_frame(pl.DataFrame({"x": rng.normal(size=150)}))
        schema = infer_schema(a)
        ranged = next(f for f in validate_profile(b, schema, a) if f.name == "quality.out_of_range")
        drift = next(f for f in compare_profiles(a, b, schema) if f.name == "drift.numeric")
        p1, p2 = ranged.details["p_value"], drift.details["p_value"]
        combined.append(chi2_sf(-2.0 * (math.log(p1) + math.log(p2)), 4))
    rates = {level: float(np.mean(np.array(combined) < level)) for level in (0.01, 0.05)}
    # At its level, with room for the simulation's own noise (600 draws).
    assert rates[0.01] <= 0.025 and rates[0.05] <= 0.075, rates
