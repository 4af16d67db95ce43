"""Contracts: the row promise inferred from a run, written, read back and judged."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from mlgate.data.schema import infer_schema
from mlgate.errors import ConfigError
from mlgate.findings import Status
from mlgate.pipeline.checks import check_rows
from mlgate.pipeline.contract import Contract, Rows, infer_rows, load_contract, save_contract

ORDERS = pl.DataFrame(
    {
        "order_id": list(range(1, 401)),
        "customer_id": [i % 100 for i in range(400)],
        "amount": [float(i % 37) for i in range(400)],
    }
)


def test_a_step_that_keeps_every_row_promises_kept_with_its_key() -> None:
    out = ORDERS.with_columns(big=pl.col("amount") > 20)
    assert infer_rows(out, {"orders": ORDERS}, "orders") == Rows(
        relative_to="orders", promise="kept", key=["order_id"]
    )


def test_a_filter_promises_its_loss_plus_room_for_another_sample() -> None:
    out = ORDERS.filter(pl.col("amount") > 1)  # loses 2 of every 37
    rows = infer_rows(out, {"orders": ORDERS}, "orders")
    assert rows.promise == "filtered"
    loss = 1 - out.height / ORDERS.height
    assert loss + 0.01 <= rows.max_loss < loss + 0.1


def test_an_aggregation_promises_one_row_per_key() -> None:
    out = ORDERS.group_by("customer_id").agg(pl.col("amount").sum())
    rows = infer_rows(out, {"orders": ORDERS}, "orders")
    assert (rows.promise, rows.key) == ("one_per_key", ["customer_id"])


def test_a_step_that_adds_rows_promises_nothing() -> None:
    out = pl.concat([ORDERS, ORDERS.head(10)])
    assert infer_rows(out, {"orders": ORDERS}, "orders").promise == "any"


def test_one_per_key_fails_when_the_aggregation_key_changes() -> None:
    contract = Contract(
        step="totals",
        columns=infer_schema(ORDERS).columns,
        rows=Rows(relative_to="orders", promise="one_per_key", key=["customer_id"]),
    )
    good = ORDERS.group_by("customer_id").agg(pl.col("amount").sum())
    assert {f.status for f in check_rows(contract, good, {"orders": ORDERS})} == {Status.PASS}
    # Grouped by customer and amount by mistake: many rows per customer.
    bad = ORDERS.group_by("customer_id", "amount").len()
    found = {f.name: f for f in check_rows(contract, bad, {"orders": ORDERS})}
    assert found["pipeline.rows_multiplied"].status is Status.FAIL
    assert found["pipeline.key_not_unique"].status is Status.FAIL


def test_a_contract_is_written_atomically_and_reads_back_equal(tmp_path: Path) -> None:
    schema = infer_schema(ORDERS)
    contract = Contract(
        step="orders_clean",
        version=schema.version,
        dataset=schema.dataset,
        columns=schema.columns,
        rows=Rows(relative_to="orders", promise="filtered", max_loss=0.05, key=["order_id"]),
    )
    path = tmp_path / "contracts" / "orders_clean.yaml"
    save_contract(contract, path)
    assert [p.name for p in path.parent.iterdir()] == ["orders_clean.yaml"]
    assert load_contract(path) == contract
    assert path.read_text().startswith("# mlgate contract of the pipeline step 'orders_clean'")


def test_a_promise_without_its_input_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("step: a\nrows:\n  promise: kept\ncolumns: {}\n")
    with pytest.raises(ConfigError, match=r"c.yaml:2: rows: promise kept needs relative_to"):
        load_contract(path)
