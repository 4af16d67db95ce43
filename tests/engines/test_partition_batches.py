"""A Spark partition's Arrow batches are gathered into the Polars engine's batches for
the same schema (``io.rows_per_batch``), so a wide table's partition is profiled in
batches of about ``io.BATCH_BYTES``, not of the narrow tables' row count."""

from __future__ import annotations

import pyarrow as pa
import pytest

from mlgate.data import io
from mlgate.engines import spark as engine


def _batches(width: int, rows: int, count: int) -> list[pa.RecordBatch]:
    columns = {f"c{i}": pa.array([float(i)] * rows) for i in range(width)}
    return [pa.RecordBatch.from_pydict(columns) for _ in range(count)]


@pytest.mark.parametrize(("width", "expected"), [(2, [9_000]), (200, [2_000] * 4 + [1_000])])
def test_a_partition_is_profiled_in_the_batches_of_its_width(monkeypatch, width, expected):
    monkeypatch.setattr(io, "BATCH_ROWS", 10_000)
    monkeypatch.setattr(io, "MIN_BATCH_ROWS", 100)
    monkeypatch.setattr(io, "BATCH_BYTES", 200 * 8 * 2_000)  # 2,000 rows of 200 floats
    heights: list[int] = []
    real_add = engine.PartBuilder.add
    monkeypatch.setattr(
        engine.PartBuilder, "add", lambda self, df: heights.append(df.height) or real_add(self, df)
    )
    rows = list(
        engine._profile_partition(iter(_batches(width, 1_000, 9)), source="s", send=0, dates=[])
    )
    assert heights == expected
    assert len(rows) == 1 and rows[0].num_rows == 1  # one partial profile for the partition
