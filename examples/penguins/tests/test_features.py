"""Unit tests of the example's feature code, written with mlgate's test helpers.

Run from this folder: `pytest`. The mlgate pytest plugin reads mlgate.yaml and gives
the fixtures mlgate_schema and mlgate_reference.
"""

import numpy as np
import polars as pl
from features import ISLANDS, NUMERIC, features, one_hot
from hypothesis import given, settings

from mlgate.data.schema import load_schema
from mlgate.testing import assert_finite, assert_one_hot, assert_same_schema, rows_from_schema

SCHEMA = load_schema("schema.yaml")
MEAN = np.array([44.0, 17.2, 201.0, 4200.0])
STD = np.array([5.5, 2.0, 14.0, 800.0])


def test_one_hot_has_one_column_per_island_and_zeros_for_an_unseen_one():
    encoded = one_hot(pl.Series(["Dream", "Biscoe", "Anvers", None]), ISLANDS)
    assert_one_hot(encoded, ISLANDS, unknown="all_zero")
    assert encoded[2].sum() == 0 and encoded[3].sum() == 0


def test_reference_data_matches_the_committed_schema(mlgate_reference, mlgate_schema):
    assert_same_schema(mlgate_reference, mlgate_schema)


def test_features_of_the_reference_are_finite(mlgate_reference):
    assert_finite(features(mlgate_reference, MEAN, STD), "features")


@settings(max_examples=60, deadline=None)
@given(rows_from_schema(SCHEMA, min_rows=1, max_rows=20))
def test_features_are_finite_for_every_row_the_schema_allows(df):
    x = features(df, MEAN, STD)
    assert x.shape == (df.height, len(NUMERIC) + len(ISLANDS))
    assert_finite(x, "features")
