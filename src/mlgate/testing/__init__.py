"""Helpers for your own unit tests of feature code: assertions and Hypothesis strategies.

Each ``assert_*`` raises an ``AssertionError`` whose message says what is wrong, where
(columns, rows, positions: the first few of each) and what was expected, so a failing
test explains itself::

    from mlgate.testing import assert_finite, assert_one_hot, rows_from_schema

    def test_scaler_output_is_finite():
        assert_finite(scale(features), name="scaled features")

    @given(rows_from_schema("schema.yaml", max_rows=20))
    def test_features_accept_every_input_the_schema_allows(df):
        assert_finite(build_features(df))

The helpers accept NumPy arrays, PyTorch tensors, pandas and Polars frames and series
(and SciPy sparse matrices where an encoder returns one). Importing this module is
cheap: NumPy, Polars, pandas, torch and Hypothesis are imported on first use, and only
for the objects you pass.
"""

from __future__ import annotations

from mlgate.testing._finite import assert_finite
from mlgate.testing._one_hot import assert_one_hot
from mlgate.testing._same_schema import assert_same_schema
from mlgate.testing._strategies import SchemaStrategyError, records_from_schema, rows_from_schema
from mlgate.testing._training import assert_training_ok

__all__ = [
    "SchemaStrategyError",
    "assert_finite",
    "assert_one_hot",
    "assert_same_schema",
    "assert_training_ok",
    "records_from_schema",
    "rows_from_schema",
]
