"""The pipeline checks as small functions, on frames built to sit either side of each line."""

from __future__ import annotations

import numpy as np
import polars as pl

from mlgate.pipeline.checks import compare_runs, computed_from_target, reproduces_target


def frame(n: int = 500, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    score = rng.normal(size=n)
    label = np.where(score + rng.normal(scale=0.8, size=n) > 0, "yes", "no")
    return pl.DataFrame({"score": score, "label": label, "id": np.arange(n)})


def test_a_strong_honest_feature_is_not_leakage() -> None:
    assert reproduces_target(frame(), "label") == []


def test_a_threshold_of_the_target_reproduces_it() -> None:
    df = frame().with_columns(flag=(pl.col("label") == "yes").cast(pl.Int8))
    df = df.with_columns(
        amount=pl.when(pl.col("flag") == 1).then(pl.col("id") + 1000).otherwise(pl.col("id"))
    )
    leaks = {f.column: f.details["how"] for f in reproduces_target(df, "label")}
    assert leaks == {"flag": "reproduces", "amount": "reproduces"}


def test_a_numeric_target_is_reproduced_by_a_monotone_transform() -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(size=300)
    df = pl.DataFrame({"y": y, "log_y": np.exp(y), "noisy": y + rng.normal(size=300)})
    assert [f.column for f in reproduces_target(df, "y")] == ["log_y"]


def test_a_nearly_constant_target_has_nothing_to_leak() -> None:
    df = pl.DataFrame({"y": ["a"] * 295 + ["b"] * 5, "x": list(range(300))})
    assert reproduces_target(df, "y") == []


def test_runs_equal_with_nan_are_equal_and_a_reorder_is_named() -> None:
    a = pl.DataFrame({"x": [1.0, float("nan"), 3.0], "k": ["a", "b", "c"]})
    assert compare_runs(a, a.clone()) is None
    diff = compare_runs(a, a.reverse())
    assert diff == {"columns": ["x", "k"], "same_rows_other_order": True}


def test_shuffling_the_target_names_the_columns_computed_from_it() -> None:
    base = pl.DataFrame({"x": [1, 2, 3, 4], "rate": [0.5, 0.5, 0.2, 0.2], "y": [1, 0, 0, 1]})
    permuted = base.with_columns(rate=pl.Series([0.4, 0.4, 0.3, 0.3]), y=pl.Series([0, 1, 1, 0]))
    [leak] = computed_from_target(base, permuted, "y") or []
    assert (leak.column, leak.details["how"]) == ("rate", "computed_from")
    # Every column moved: the step sorts or filters by the target; nothing to conclude.
    assert computed_from_target(base, base.reverse(), "y") is None
