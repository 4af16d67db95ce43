"""The sample: seeded, stratified, and keeping the rows that break pipelines."""

from __future__ import annotations

import numpy as np
import polars as pl

from mlgate.pipeline.sample import sample_by_key, sample_rows, sample_sources


def table(n: int = 5000, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    city = rng.choice(["Lisbon", "Oslo", "Quito"], n).tolist()
    city[n // 4] = "Reykjavik"  # one row of a rare category
    x = rng.normal(size=n)
    x[n // 2] = 40.0  # the one extreme
    note: list[str | None] = [None] * n
    note[n // 3] = "checked"
    label = np.where(rng.random(n) < 0.03, "fraud", "ok")
    return pl.DataFrame({"id": np.arange(n), "city": city, "x": x, "note": note, "label": label})


def test_sample_keeps_every_category_of_low_cardinality_columns() -> None:
    df = table()
    sample = sample_rows(df, 100, seed=0)
    assert sample.height == 100
    assert set(sample["city"]) == {"Lisbon", "Oslo", "Quito", "Reykjavik"}


def test_sample_keeps_null_rows_and_each_numeric_columns_extremes() -> None:
    df = table()
    sample = sample_rows(df, 100, seed=0)
    assert sample["x"].max() == 40.0
    assert sample["x"].min() == df["x"].min()
    assert sample["note"].null_count() > 0 and "checked" in sample["note"].to_list()


def test_sample_is_stratified_by_target() -> None:
    df = table()
    share = (df["label"] == "fraud").mean()
    sample = sample_rows(df, 400, target="label", seed=3)
    frauds = int((sample["label"] == "fraud").sum())
    # Proportional allocation gives each class its share to within a row or two (the
    # awkward rows are taken first, whatever their class).
    assert abs(frauds - share * 400) <= 3


def test_sample_keeps_a_class_too_rare_for_its_share() -> None:
    df = table().with_columns(
        pl.when(pl.col("id") == 10)
        .then(pl.lit("chargeback"))
        .otherwise(pl.col("label"))
        .alias("label")
    )
    sample = sample_rows(df, 50, target="label", seed=1)
    assert "chargeback" in sample["label"].to_list()


def test_sample_is_seeded_and_keeps_row_order() -> None:
    df = table()
    a, b = sample_rows(df, 200, seed=5), sample_rows(df, 200, seed=5)
    assert a.equals(b)
    assert a["id"].is_sorted()
    assert not a.equals(sample_rows(df, 200, seed=6))


def test_small_source_is_taken_whole() -> None:
    df = table(50)
    assert sample_rows(df, 100).equals(df)


def test_sources_joined_on_a_key_are_sampled_by_key_so_they_still_join() -> None:
    rng = np.random.default_rng(0)
    customers = pl.DataFrame({"customer_id": np.arange(3000), "tier": rng.choice(["a", "b"], 3000)})
    orders = pl.DataFrame({"order_id": np.arange(9000), "customer_id": rng.integers(0, 3000, 9000)})
    frames = {"customers": customers, "orders": orders}
    keys = {"customers": "customer_id", "orders": "customer_id"}
    out = sample_sources(frames, rows=900, keys=keys, seed=0)
    kept = set(out["customers"]["customer_id"])
    assert set(out["orders"]["customer_id"]) <= kept
    # About a tenth of the keys: 900 of the 9,000 orders.
    assert 700 <= out["orders"].height <= 1100
    assert out["orders"]["customer_id"].n_unique() > 0.8 * len(kept)


def test_key_sample_depends_on_the_seed_only() -> None:
    df = pl.DataFrame({"k": [f"id{i}" for i in range(1000)]})
    a = sample_by_key(df, "k", 0.2, seed=1)
    assert a.equals(sample_by_key(df.reverse(), "k", 0.2, seed=1).reverse())
    assert not a.equals(sample_by_key(df, "k", 0.2, seed=2))
