"""Batches are sized by the width of a row, so that a pass's memory follows the table's
width and never its length: narrow tables read the most rows at once, wide ones fewer,
and no table fewer than the floor."""

from __future__ import annotations

import polars as pl
import pytest

from mlgate.data import io


def test_a_narrow_table_reads_the_most_rows_at_once() -> None:
    assert io.rows_per_batch({"x": pl.Float64, "flag": pl.Boolean}) == io.BATCH_ROWS


def test_a_wide_table_reads_about_batch_bytes_at_once() -> None:
    schema = {f"c{i}": pl.Float64 for i in range(400)}  # 3,200 bytes a row
    rows = io.rows_per_batch(schema)
    assert rows == io.BATCH_BYTES // 3_200
    assert io.MIN_BATCH_ROWS < rows < io.BATCH_ROWS


def test_text_and_nested_values_count_as_wide_values() -> None:
    text = io.rows_per_batch({f"t{i}": pl.String for i in range(100)})
    nested = io.rows_per_batch({f"t{i}": pl.List(pl.Int64) for i in range(100)})
    numbers = io.rows_per_batch({f"t{i}": pl.Int64 for i in range(100)})
    assert text == nested == io.BATCH_BYTES // (100 * io.VARIABLE_VALUE_BYTES)
    assert text < numbers


def test_however_wide_a_table_a_batch_holds_the_floor_of_rows() -> None:
    schema = {f"c{i}": pl.String for i in range(50_000)}
    assert io.rows_per_batch(schema) == io.MIN_BATCH_ROWS


@pytest.mark.parametrize(("width", "expected"), [(4, 1_000), (40_000, 1_000)])
def test_the_row_cap_bounds_every_width(monkeypatch, width: int, expected: int) -> None:
    monkeypatch.setattr(io, "BATCH_ROWS", 1_000)  # as tests that want many batches set it
    assert io.rows_per_batch({f"c{i}": pl.Int8 for i in range(width)}) == expected


def test_a_wide_file_is_read_in_batches_of_its_width(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(io, "BATCH_BYTES", 8 * 64 * 1_000)  # 1,000 rows of 64 floats
    monkeypatch.setattr(io, "MIN_BATCH_ROWS", 100)
    path = tmp_path / "wide.parquet"
    pl.DataFrame({f"c{i}": [float(i)] * 3_500 for i in range(64)}).write_parquet(path)
    heights = [b.height for b in io.iter_batches(io.resolve(str(path)))]
    assert sum(heights) == 3_500
    assert max(heights) <= 1_000 and len(heights) >= 4
