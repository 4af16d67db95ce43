"""Drift and skew findings: effect sizes with their thresholds, noise told from change.

Each test builds small seeded data with one property and asserts the verdict and the
numbers in the finding. Real-data stability across sizes is in test_drift_stability.py.
"""

from __future__ import annotations

import math
import subprocess
import sys
import warnings

import numpy as np
import polars as pl
import pytest

import mlgate
from mlgate import Finding, Status
from mlgate.data import drift, drift_numeric
from mlgate.data.drift import ALPHA, compare_column, compare_profiles
from mlgate.data.kll import KllSketch
from mlgate.data.profile import profile
from mlgate.data.schema import infer_schema
from mlgate.data.tails import binomial_sf, chi2_sf


def _compare(ref: pl.DataFrame, cur: pl.DataFrame, **kwargs: str) -> list[Finding]:
    ref_profile = profile(ref)
    return compare_profiles(ref_profile, profile(cur), infer_schema(ref_profile), **kwargs)


def _drift(findings: list[Finding], column: str) -> Finding:
    return next(f for f in findings if f.column == column and f.name != "quality.constant")


def _normal(n: int, seed: int, loc: float = 0.0, scale: float = 1.0) -> pl.DataFrame:
    return pl.DataFrame({"x": np.random.default_rng(seed).normal(loc, scale, n)})


def test_shift_of_one_standard_deviation_fails_and_says_how_big() -> None:
    f = _drift(_compare(_normal(2000, 1), _normal(2000, 2, loc=1.0)), "x")
    assert f.name == "drift.numeric" and f.status is Status.FAIL
    d = f.details
    assert d["metric"] == "wasserstein" and d["threshold"] == 0.1
    assert 0.9 < d["statistic"] < 1.1  # in reference standard deviations
    assert d["p_value"] < ALPHA and 0.3 < d["linf_distance"] < 0.5
    assert f"normalised Wasserstein distance {d['statistic']:.3f} (threshold 0.1)" in f.message
    assert f"mean moved +{d['mean_shift_std']:.2f} standard deviations" in f.message


def test_doubled_spread_fails() -> None:
    f = _drift(_compare(_normal(2000, 1), _normal(2000, 2, scale=2.0)), "x")
    assert f.status is Status.FAIL
    assert 0.7 < f.details["statistic"] < 0.9  # E|Z| = 0.80 for a normal
    assert 1.8 < f.details["std_ratio"] < 2.2 and "spread x" in f.message


def test_same_distribution_passes_at_large_sizes_with_approximate_sketches() -> None:
    findings = _compare(_normal(200_000, 1), _normal(200_000, 2))
    f = _drift(findings, "x")
    assert f.status is Status.PASS and f.details["statistic"] < 0.03
    assert f.details["p_value"] > 1e-3  # the sketches' own error is not taken for drift


def test_noise_above_the_threshold_in_a_small_sample_passes_and_says_it_is_noise() -> None:
    above = warned = 0
    for seed in range(20):
        f = _drift(_compare(_normal(40, seed), _normal(40, 100 + seed)), "x")
        assert f.status is not Status.FAIL
        if f.details["statistic"] > f.details["threshold"]:
            above += 1
            assert f.details["within_noise"] is True
            if f.status is Status.WARN:
                warned += 1
                assert "could still be sampling noise" in f.message
                assert ALPHA <= f.details["p_value"] < drift.SUGGESTIVE_P
            else:
                assert "as sampling noise gives with 40 reference and 40 current" in f.message
                assert f.details["p_value"] >= drift.SUGGESTIVE_P
    assert above >= 10  # at 40 rows noise alone usually exceeds 0.1 ...
    assert warned <= 2  # ... and yet it seldom warns


def test_a_real_shift_in_a_small_sample_warns_or_fails_never_passes() -> None:
    for seed in range(10):
        f = _drift(_compare(_normal(40, seed), _normal(40, 100 + seed, loc=1.0)), "x")
        assert f.status in (Status.WARN, Status.FAIL), (seed, f.message)
        if f.status is Status.WARN:
            assert "too small a sample to judge drift" in f.message
            assert "p < 1e-06" in f.message and f.details["p_value"] >= ALPHA


def test_too_few_values_is_a_warning_that_says_how_many_are_needed() -> None:
    f = _drift(_compare(_normal(200, 1), _normal(12, 2, loc=5.0)), "x")
    assert f.status is Status.WARN and "too few values" in f.message
    assert f.details == {"reference_values": 200, "current_values": 12, "minimum": 30}


def _categories(n: int, shares: dict[str, float], seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    values = rng.choice(list(shares), size=n, p=list(shares.values()))
    return pl.DataFrame({"c": values})


SHARES = {"a": 0.5, "b": 0.3, "c": 0.185, "rare": 0.015}


def test_vanished_category_fails_even_below_the_distance_threshold() -> None:
    ref = _categories(10_000, SHARES, 1)
    cur = _categories(10_000, SHARES, 2).filter(pl.col("c") != "rare")
    f = _drift(_compare(ref, cur), "c")
    assert f.name == "drift.categorical" and f.status is Status.FAIL
    assert f.details["statistic"] < f.details["threshold"]  # 1.5% gone: JS about 0.09
    assert f.details["vanished"] == ["rare"]
    assert "'rare'" in f.message and "no longer occur" in f.message and "1.5%" in f.message


def test_a_rare_value_missing_from_a_small_batch_is_not_a_failure() -> None:
    # 1.5% of 200 rows is 3: missing them all happens by chance.
    for seed in range(10):
        ref = _categories(200, SHARES, seed)
        cur = _categories(200, SHARES, 50 + seed).filter(pl.col("c") != "rare")
        assert _drift(_compare(ref, cur), "c").status is not Status.FAIL


def test_share_change_fails_with_jensen_shannon_and_linf() -> None:
    moved = {"a": 0.25, "b": 0.3, "c": 0.435, "rare": 0.015}
    f = _drift(_compare(_categories(3000, SHARES, 1), _categories(3000, moved, 2)), "c")
    assert f.status is Status.FAIL and f.details["metric"] == "jensen_shannon"
    assert f.details["statistic"] > 0.1 and 0.2 < f.details["linf_distance"] < 0.3
    assert "Jensen-Shannon distance" in f.message and "largest change" in f.message


def test_integer_codes_compare_as_categories() -> None:
    rng = np.random.default_rng(3)
    ref = pl.DataFrame({"code": rng.integers(0, 6, 3000)})
    # The same spread of numbers, but codes 1 and 4 swapped for half their rows.
    cur_codes = rng.integers(0, 6, 3000)
    cur_codes = np.where((cur_codes == 1) & (rng.random(3000) < 0.8), 4, cur_codes)
    f = _drift(_compare(ref, pl.DataFrame({"code": cur_codes})), "code")
    assert f.name == "drift.categorical" and f.details["metric"] == "jensen_shannon"
    assert f.status is Status.FAIL and "largest change '4'" in f.message


def test_a_code_column_arriving_with_fractions_is_compared_as_numbers() -> None:
    rng = np.random.default_rng(4)
    ref = pl.DataFrame({"code": rng.integers(0, 6, 1000)})
    cur = pl.DataFrame({"code": rng.integers(0, 6, 1000) + 0.5})
    f = _drift(_compare(ref, cur), "code")
    assert f.name == "drift.numeric" and f.details["metric"] == "wasserstein"
    assert f.status is Status.FAIL


def test_integer_target_with_few_values_compares_as_categories() -> None:
    rng = np.random.default_rng(5)
    ref = pl.DataFrame({"label": rng.integers(0, 2, 2000), "y": rng.normal(size=2000)})
    cur = pl.DataFrame({"label": (rng.random(2000) < 0.8).astype(int), "y": rng.normal(size=2000)})
    findings = _compare(ref, cur, target="label")
    f = next(f for f in findings if f.name == "drift.target")
    assert f.column == "label" and f.details["metric"] == "jensen_shannon"
    assert f.status is Status.FAIL
    assert drift.default_drift(profile(ref).column("y")).metric == "wasserstein"


def test_skew_mode_names_and_words_the_findings_as_training_serving_skew() -> None:
    findings = _compare(_normal(2000, 1), _normal(2000, 2, loc=1.0), mode="skew")
    f = _drift(findings, "x")
    assert f.name == "skew.numeric" and f.status is Status.FAIL
    assert "training/serving skew" in f.message and "serving computes" in f.message


def test_one_stray_extreme_value_does_not_decide() -> None:
    # A glitch of 10,000 standard deviations in one row of 300 (weather's wind speed
    # has one of 1048 mph): left in, it alone would make the distance about 25.
    for seed in range(10):
        cur = (
            _normal(300, 100 + seed)
            .with_row_index()
            .with_columns(pl.when(pl.col("index") == 0).then(1e4).otherwise(pl.col("x")).alias("x"))
        )
        f = _drift(_compare(_normal(300, seed), cur.drop("index")), "x")
        assert f.status is not Status.FAIL and f.details["statistic"] < 0.25, f.message


def _rain(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    wet = rng.random(n) < 0.04
    return pl.DataFrame({"rain": np.where(wet, rng.exponential(0.2, n).round(2) + 0.01, 0.0)})


def test_a_rare_tail_the_reference_missed_is_not_drift() -> None:
    # Mostly zero: a 100-row reference may hold one wet row, the current ten.
    for seed in range(30):
        f = _drift(_compare(_rain(100, seed), _rain(100, 500 + seed)), "rain")
        assert f.status is not Status.FAIL, f.message


def test_many_rows_of_a_shared_value_moved_is_drift() -> None:
    cur = _rain(3000, 2).with_columns(pl.col("rain") - 0.05)  # every dry hour now -0.05
    f = _drift(_compare(_rain(3000, 1), cur), "rain")
    assert f.status is Status.FAIL and f.details["p_value"] < ALPHA


def test_high_cardinality_values_with_approximate_sketches_do_not_false_alarm() -> None:
    rng = np.random.default_rng(6)
    weights = 1.0 / np.arange(1, 5001) ** 1.1
    weights /= weights.sum()
    names = np.array([f"v{i}" for i in range(5000)])

    def sample(n: int) -> pl.DataFrame:
        return pl.DataFrame({"c": names[rng.choice(5000, n, p=weights)]})

    ref, cur = profile(sample(30_000)), profile(sample(30_000))
    assert not ref.column("c").frequent_exact  # the counts come from a sketch
    schema = infer_schema(ref)
    f = compare_column(ref.column("c"), cur.column("c"), schema.columns["c"])
    assert f.status is Status.PASS and f.details["pooled_as_other"] > 100
    # The head of the distribution is still compared: v0 losing most of its rows fails.
    moved = sample(30_000).with_columns(
        pl.when((pl.col("c") == "v0") & (pl.int_range(pl.len()) % 4 != 0))
        .then(pl.lit("v1"))
        .otherwise(pl.col("c"))
        .alias("c")
    )
    g = compare_column(ref.column("c"), profile(moved).column("c"), schema.columns["c"])
    assert g.status is Status.FAIL


def test_constant_current_fails_when_the_reference_makes_it_unlikely() -> None:
    ref = pl.DataFrame({"k": np.random.default_rng(7).integers(0, 50, 500)})
    cur = pl.DataFrame({"k": [7] * 200})
    f = next(f for f in _compare(ref, cur) if f.name == "quality.constant")
    assert f.status is Status.FAIL and "constant 7.0" in f.message
    assert f.details["chance"] < ALPHA


def test_constant_current_of_a_rarely_set_flag_is_too_small_to_judge() -> None:
    rng = np.random.default_rng(8)
    ref = pl.DataFrame({"flag": (rng.random(2000) < 0.03).astype(int), "x": rng.normal(size=2000)})
    cur = pl.DataFrame({"flag": [0] * 60, "x": rng.normal(size=60)})
    f = next(f for f in _compare(ref, cur) if f.name == "quality.constant" and f.column == "flag")
    assert f.status is Status.WARN and "too few to tell" in f.message
    assert f.details["chance"] > ALPHA  # 0.97 ** 60 = 0.16


def test_gate_api_passes_a_fresh_sample_and_fails_a_shifted_one() -> None:
    rng = np.random.default_rng(9)

    def table(n: int, shift: float = 0.0) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "x": rng.normal(size=n) + shift,
                "city": rng.choice(["Lisbon", "Oslo", "Quito"], n, p=[0.5, 0.3, 0.2]),
            }
        )

    ref = table(5000)
    assert mlgate.check_data(ref, table(5000)).passed
    report = mlgate.check_data(ref, table(5000, shift=1.0))
    assert not report.passed
    assert [(f.name, f.column) for f in report.findings if f.status is Status.FAIL] == [
        ("drift.numeric", "x")
    ]


# -- the Anderson-Darling test's calibration ----------------------------------------------


def _p_values(draw: np.ndarray, runs: int, n: int) -> np.ndarray:
    out = []
    for i in range(runs):
        a, b = KllSketch(), KllSketch()
        a.update(draw[i, 0, :n])
        b.update(draw[i, 1, :n])
        out.append(drift_numeric._anderson_darling(a, b, drift_numeric._grid(n))[1])
    return np.array(out)


@pytest.mark.parametrize("kind", ["continuous", "zero_inflated", "small_integers"])
def test_anderson_darling_p_values_hold_their_level(kind: str) -> None:
    rng = np.random.default_rng(10)
    runs, n = 1000, 150
    if kind == "continuous":
        draw = rng.normal(size=(runs, 2, n))
    elif kind == "zero_inflated":
        draw = np.where(rng.random((runs, 2, n)) < 0.9, 0.0, rng.exponential(size=(runs, 2, n)))
    else:
        draw = rng.poisson(3.0, size=(runs, 2, n)).astype(float)
    p = _p_values(draw, runs, n)
    # The asymptotic tail is used only for small p-values; there it must hold its level.
    assert (p < 0.01).mean() <= 0.018
    assert (p < 0.001).mean() <= 0.004
    assert (p < 0.05).mean() >= 0.02  # and the test is not blind


def test_anderson_darling_p_value_of_the_continuous_limit() -> None:
    # sqrt(3) P(chi2_1 > 2x) at x = 12.49 is 1e-6, the gate's level.
    h = np.linspace(0.01, 0.99, 300)
    mass = np.full(h.size, h[1] - h[0])
    assert math.isclose(drift_numeric._ad_pvalue(12.49, h, mass), 1e-6, rel_tol=0.02)


@pytest.mark.parametrize("df", [1, 2, 3, 10, 51, 384])
def test_chi_squared_tail_matches_scipy_far_into_the_tail(df: int) -> None:
    from scipy.stats import chi2

    for x in (0.1, df / 2, float(df), 3.0 * df + 20, 10.0 * df + 60):
        expected = float(chi2.sf(x, df))
        assert math.isclose(chi2_sf(x, df), expected, rel_tol=1e-9, abs_tol=1e-300)


def test_the_drift_comparison_does_not_import_scipy() -> None:
    # The command line runs on every commit: scipy.stats alone costs a second to import.
    code = (
        "import sys, numpy as np, polars as pl\n"
        "from mlgate.data.drift import compare_profiles\n"
        "from mlgate.data.profile import profile\n"
        "from mlgate.data.schema import infer_schema\n"
        "rng = np.random.default_rng(0)\n"
        "df = pl.DataFrame({'x': rng.normal(size=500), 'k': rng.integers(0, 3, 500),\n"
        "                   's': rng.choice(['a', 'b'], 500)})\n"
        "p = profile(df)\n"
        "compare_profiles(p, profile(df.reverse()), infer_schema(p))\n"
        "assert not [m for m in sys.modules if m.startswith('scipy')], 'scipy imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_chi2_tail_matches_scipy() -> None:
    special = pytest.importorskip("scipy.special")

    for df in (1, 2, 3, 7, 30):
        for x in (0.5, 3.0, 20.0, 80.0):
            assert chi2_sf(x, df) == pytest.approx(float(special.chdtrc(df, x)), rel=1e-9)


@pytest.mark.parametrize(
    "convert,says",
    [
        (lambda x: x * 1.609344, "x1.609 (miles and kilometres)"),
        (lambda x: x / 2.54, "x0.3937 (inches and centimetres)"),
        (lambda x: x * 100, "x100 (fraction and percent)"),
        (lambda x: x / 60, "x0.01667 (seconds and minutes"),
        (lambda x: x * 0.45359237, "x0.4536 (pounds and kilograms)"),
        (lambda x: x * 1.8 + 32, "converted from Celsius to Fahrenheit"),
        (lambda x: (x - 32) / 1.8, "converted from Fahrenheit to Celsius"),
    ],
)
def test_a_unit_conversion_is_named_in_the_drift_message(convert, says) -> None:
    rng = np.random.default_rng(3)
    ref = pl.DataFrame({"x": rng.gamma(4.0, 10.0, 4000) + 20})
    cur = pl.DataFrame({"x": convert(rng.gamma(4.0, 10.0, 4000) + 20)})
    finding = _drift(_compare(ref, cur), "x")
    assert finding.status is Status.FAIL
    assert says in finding.message and "a unit change?" in finding.message


@pytest.mark.parametrize("change", [lambda x: x + 15, lambda x: x * 1.3, lambda x: x**1.5])
def test_a_shift_or_a_new_shape_is_no_unit_change(change) -> None:
    rng = np.random.default_rng(4)
    ref = pl.DataFrame({"x": rng.gamma(4.0, 10.0, 4000) + 20})
    cur = pl.DataFrame({"x": change(rng.gamma(4.0, 10.0, 4000) + 20)})
    assert "unit change" not in _drift(_compare(ref, cur), "x").message


def _stores(seed: int, low: int, high: int, n: int = 300) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame({"store": [f"S{i:03d}" for i in rng.integers(low, high, n)]})


def test_a_category_column_whose_values_are_all_new_fails_though_every_value_is_rare():
    # 100 stores in 300 rows: every value is too rare for a cell of its own, and pooled
    # into "other" the two sides read as the same (a distance of 0).
    report = mlgate.check_data(_stores(0, 0, 100), _stores(1, 100, 200))
    drift = next(f for f in report.findings if f.name == "drift.categorical")
    assert drift.status is Status.FAIL
    assert "100.0% of current values never occur in the reference" in drift.message
    assert drift.details["unseen_share"] == 1.0 and drift.details["statistic_every_value"] > 0.99


def test_fresh_samples_of_many_rare_categories_do_not_fail_as_new_values():
    for seed in range(20):
        report = mlgate.check_data(_stores(seed, 0, 100), _stores(seed + 100, 0, 100))
        drift = next(f for f in report.findings if f.name == "drift.categorical")
        assert drift.status is not Status.FAIL, drift.message
        assert drift.details["unseen_p_value"] > 1e-6


@pytest.mark.parametrize(("k", "m", "p"), [(10, 100, 0.02), (300, 300, 0.15), (60, 1000, 0.03)])
def test_binomial_tail_is_scipys(k, m, p):
    from scipy.stats import binom

    assert binomial_sf(k, m, p) == pytest.approx(float(binom(m, p).sf(k - 1)), rel=1e-6)


def test_all_new_values_fail_when_the_current_sample_is_too_varied_to_count_exactly():
    rng = np.random.default_rng(5)
    current = pl.DataFrame({"store": [f"N{i:05d}" for i in rng.integers(0, 5000, 50_000)]})
    report = mlgate.check_data(_stores(0, 0, 100), current)
    drift = next(f for f in report.findings if f.name == "drift.categorical")
    assert drift.status is Status.FAIL and drift.details["unseen_share"] > 0.5  # a lower bound


def test_a_varied_current_sample_of_the_reference_categories_does_not_fail_as_new():
    rng = np.random.default_rng(6)
    ref = pl.DataFrame({"c": [f"v{i}" for i in rng.integers(0, 300, 3000)]})
    cur = pl.DataFrame({"c": [f"v{i}" for i in rng.integers(0, 300, 50_000)]})
    drift = next(f for f in mlgate.check_data(ref, cur).findings if f.name == "drift.categorical")
    assert drift.status is not Status.FAIL, drift.message


def test_a_constant_says_the_references_own_share_of_it() -> None:
    # A pixel that is 0 in 894 of 898 reference images and in every current one: the
    # warning once said "100.0% of the time" (the quantile sketch's upper bound).
    ref = pl.DataFrame({"pixel": [0.0] * 894 + [3.0, 5.0, 1.0, 2.0]})
    cur = pl.DataFrame({"pixel": [0.0] * 899})
    f = next(f for f in _compare(ref, cur) if f.name == "quality.constant")
    assert f.status is Status.WARN
    assert "99.6% of the time" in f.message
    assert f.details["reference_share"] == pytest.approx(894 / 898, abs=1e-6)
    assert f.details["chance"] == pytest.approx((894 / 898) ** 899, rel=1e-6)


def test_a_warning_on_a_small_sample_names_the_category_that_is_gone() -> None:
    # Iris halves without one species: too few rows to fail, but the warning must say
    # which value went, not only a distance.
    rng = np.random.default_rng(0)
    species = np.repeat(["setosa", "versicolor", "virginica"], 25)
    ref = pl.DataFrame({"species": rng.permutation(species)})
    cur = pl.DataFrame({"species": ["setosa"] * 25 + ["virginica"] * 25})
    f = _drift(_compare(ref, cur), "species")
    assert f.status is Status.WARN, f.message
    assert "gone: 'versicolor' (was 33.3%)" in f.message


@pytest.mark.parametrize(
    "column,factor,says",
    [
        ("body_mass_g", 1 / 0.45359237, "(pounds and kilograms)"),
        ("body_mass_g", 1 / 1000, "(a factor of 1,000"),
        ("bill_length_mm", 1 / 2.54, "(inches and centimetres)"),
        ("flipper_length_mm", 60.0, "(seconds and minutes"),
    ],
)
def test_a_unit_conversion_is_named_on_halves_of_a_small_dataset(column, factor, says) -> None:
    # 170 penguins a side: the quantiles' noise breaks a fitted slope (3-9% off), so
    # each named factor is undone and tested instead.
    from tests.data.test_drift_stability import halves, penguins

    df = penguins().drop_nulls()
    for seed in range(3):
        ref, cur = halves(df, df.height // 2, seed)
        f = _drift(_compare(ref, cur.with_columns(pl.col(column) * factor)), column)
        assert f.status is Status.FAIL
        assert says in f.message and "a unit change?" in f.message, f.message


@pytest.mark.parametrize("column,factor", [("body_mass_g", 1.5), ("bill_depth_mm", 1.3)])
def test_a_rescaling_by_no_common_factor_is_no_unit_change_on_a_small_dataset(column, factor):
    from tests.data.test_drift_stability import halves, penguins

    df = penguins().drop_nulls()
    ref, cur = halves(df, df.height // 2, 0)
    f = _drift(_compare(ref, cur.with_columns(pl.col(column) * factor)), column)
    assert f.status is Status.FAIL and "unit change" not in f.message


def test_values_centred_near_zero_rescaled_name_no_factor() -> None:
    # Centred values fit any factor about as well: none is named.
    rng = np.random.default_rng(5)
    for factor in (1.5, 1.55, 1.7):
        ref = pl.DataFrame({"x": rng.normal(size=170)})
        cur = pl.DataFrame({"x": rng.normal(size=170) * factor})
        assert "unit change" not in _drift(_compare(ref, cur), "x").message


@pytest.mark.parametrize("offset", [1e12, 1e16])
def test_a_shift_of_values_far_from_zero_is_seen(offset):
    # The quantile sketch held float32 until 2026-12-01: near 1e12 its step is 65,536,
    # so amounts with a spread of a thousand collapsed to one value on both sides and a
    # shift of three standard deviations passed range and drift.
    spread = offset * 1e-9
    reference = offset + np.random.default_rng(0).normal(0, spread, 30_000)
    current = offset + 3 * spread + np.random.default_rng(1).normal(0, spread, 30_000)
    report = mlgate.check_data(
        pl.DataFrame({"amount": reference}), pl.DataFrame({"amount": current})
    )
    failed = {f.name: f for f in report.findings if f.status is Status.FAIL}
    assert {"quality.out_of_range", "drift.numeric"} <= set(failed), report.findings
    outside = float(np.mean(current > reference.max()))
    assert failed["quality.out_of_range"].details["observed"] == pytest.approx(outside, abs=0.01)


def test_values_at_the_references_maximum_stay_inside_across_batches(monkeypatch):
    # Capped readings (many rows exactly at 0.1), profiled in several batches, none below
    # the reference's minimum: none is outside. A sketch that held float32 differences
    # from each batch's own origin rounded twice when batches merged, and on 1.5 million
    # rows counted 1.6% of the current's capped rows as outside.
    from mlgate.data import io

    monkeypatch.setattr(io, "BATCH_ROWS", 20_000)
    rng = np.random.default_rng(100)
    ref = np.minimum(rng.uniform(0, 0.105, 100_000), 0.1)
    ref[0] = 0.0
    cur = np.minimum(rng.uniform(0, 0.105, 100_000), 0.1)
    report = mlgate.check_data(pl.DataFrame({"v": ref}), pl.DataFrame({"v": cur}))
    [found] = [f for f in report.findings if f.name == "quality.out_of_range"]
    assert found.status is Status.PASS and found.details["observed"] == 0.0, found.message


@pytest.mark.parametrize("where", [0, -1])
def test_one_far_value_does_not_coarsen_the_rest(where):
    # Amounts near 1e9 with a spread of 10 and one zero among them: a sketch whose
    # precision followed its first batch's smallest value lost the spread, and the same
    # distribution read as drift (Wasserstein 0.79).
    rng = np.random.default_rng(3)
    ref = 1e9 + 10 * rng.normal(size=50_000)
    cur = 1e9 + 10 * rng.normal(size=50_000)
    cur[where] = 0.0
    report = mlgate.check_data(pl.DataFrame({"amount": ref}), pl.DataFrame({"amount": cur}))
    [drifted] = [f for f in report.findings if f.name == "drift.numeric"]
    assert drifted.status is Status.PASS, drifted.message


def test_a_spread_beyond_float32s_range_is_still_measured():
    # Values up to 1e300: float32 holds at most 3.4e38, and a sketch of clipped values
    # saw no change when the spread doubled.
    rng = np.random.default_rng(4)
    ref, cur = rng.uniform(0, 1, 20_000) * 1e300, rng.uniform(0, 1, 20_000) * 2e300
    report = mlgate.check_data(pl.DataFrame({"x": ref}), pl.DataFrame({"x": cur}))
    failed = {f.name for f in report.findings if f.status is Status.FAIL}
    assert "quality.out_of_range" in failed, report.findings


@pytest.mark.parametrize("size", [1e-300, 1e-200, 1e-161, 1e160, 1e300])
def test_values_whose_squares_overflow_or_vanish_are_measured_in_their_own_spread(size):
    # Beyond about 1e154 the sum of squared deviations is inf, and below about 1e-154
    # it loses its bits and then is 0: the distance was divided by |mean| (clean halves
    # read 1.2 "standard deviations" apart, spared only by the noise test) or by a sd
    # far too small (a shift of 0.08 sd read as 45 and failed). The central half's width
    # stands in, so the verdicts and numbers are those of the same data near 1.
    rng = np.random.default_rng(7)
    ref = pl.DataFrame({"x": rng.normal(size=5_000) * size})
    same = pl.DataFrame({"x": rng.normal(size=5_000) * size})
    wider = pl.DataFrame({"x": rng.normal(size=5_000) * size * 2 + size / 2})
    assert profile(ref).columns[0].known_std is None
    clean = _drift(_compare(ref, same), "x")
    assert clean.status is Status.PASS and clean.details["statistic"] < 0.1, clean.message
    moved = _drift(_compare(ref, wider), "x")
    assert moved.status is Status.FAIL
    assert moved.details["mean_shift_std"] == pytest.approx(0.5, abs=0.1), moved.message
    assert moved.details["std_ratio"] == pytest.approx(2.0, abs=0.15), moved.message
    assert "spread x" in moved.message


@pytest.mark.parametrize(
    "values",
    [
        lambda rng: 1e306 * (5 + rng.normal(size=2_000)),  # means overflow
        lambda rng: np.tile([-1e308, 1e308], 1_000),  # the range itself overflows
        lambda rng: 1.7e308 - 1e305 * rng.random(2_000),  # at float64's limit
    ],
    ids=["1e306", "pm-1e308", "near-max"],
)
def test_values_near_float64s_limit_are_judged_without_error_or_warnings(values) -> None:
    # They crashed (LinAlgError in the unit-change fit; a math domain error writing the
    # range), or printed NumPy's overflow warnings on stderr.
    rng = np.random.default_rng(8)
    ref, cur = pl.DataFrame({"x": values(rng)}), pl.DataFrame({"x": values(rng)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = mlgate.check_data(ref, cur)
    assert not [f for f in report.findings if f.status is Status.FAIL], report.findings


def test_a_spread_that_all_but_vanished_is_written_with_its_digits() -> None:
    rng = np.random.default_rng(9)
    ref = pl.DataFrame({"x": rng.normal(size=3_000)})
    cur = pl.DataFrame({"x": rng.normal(size=3_000) * 1e-4})
    found = _drift(_compare(ref, cur), "x")
    assert "spread x0.0001" in found.message and "x0.00;" not in found.message, found.message


def test_new_categories_are_listed_largest_first() -> None:
    ref = pl.DataFrame({"c": ["a", "b"] * 500})
    cur = pl.DataFrame({"c": ["a"] * 500 + ["x"] * 120 + ["y"] * 260 + ["z"] * 120})
    found = _drift(_compare(ref, cur), "c")
    assert "new: 'y' (26.0%), 'x' (12.0%), 'z' (12.0%)" in found.message, found.message
    assert found.details["appeared"] == ["y", "x", "z"]
