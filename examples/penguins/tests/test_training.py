"""The training checks from inside the project's own test suite."""

import pytest
import train_sklearn

from mlgate.testing import assert_training_ok


def test_sklearn_pipeline_trains():
    assert_training_ok(train_sklearn.training_spec())


def test_torch_classifier_trains():
    pytest.importorskip("torch")
    import train_torch

    assert_training_ok(train_torch.training_spec(), steps=30)
