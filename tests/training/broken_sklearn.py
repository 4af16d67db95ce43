"""Deliberately broken scikit-learn-like estimators, each modelled on a real bug."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin


class SchemaMismatchClassifier(ClassifierMixin, BaseEstimator):
    """fit raises: feature code changed the number of columns the model expects."""

    def __init__(self, n_features: int = 7) -> None:
        self.n_features = n_features

    def fit(self, X, y):
        n = np.asarray(X).shape[1]
        if n != self.n_features:
            raise RuntimeError(f"expected {self.n_features} feature columns,\ngot {n}")
        return self

    def predict(self, X):
        return np.zeros(len(X))


class LogTargetRegressor(RegressorMixin, BaseEstimator):
    """predict takes the log of a linear model: NaN wherever the linear part is <= 0."""

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        self.coef_, *_ = np.linalg.lstsq(np.c_[X, np.ones(len(X))], y, rcond=None)
        return self

    def predict(self, X):
        X = np.asarray(X, dtype=float)
        return np.log(np.c_[X, np.ones(len(X))] @ self.coef_)


class ColumnVectorRegressor(RegressorMixin, BaseEstimator):
    """predict returns shape (n, 1): coefficients kept as a (d, 1) column."""

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        self.coef_ = np.linalg.lstsq(X, np.asarray(y, dtype=float)[:, None], rcond=None)[0]
        return self

    def predict(self, X):
        return np.asarray(X, dtype=float) @ self.coef_


class UnnormalisedProbaClassifier(ClassifierMixin, BaseEstimator):
    """predict_proba returns exp(scores), the softmax denominator forgotten."""

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        self.classes_ = np.unique(y)
        self.means_ = np.array([X[np.asarray(y) == c].mean(axis=0) for c in self.classes_])
        return self

    def _scores(self, X):
        X = np.asarray(X, dtype=float)
        return -((X[:, None, :] - self.means_[None]) ** 2).sum(axis=2)

    def predict(self, X):
        return self.classes_[self._scores(X).argmax(axis=1)]

    def predict_proba(self, X):
        return np.exp(self._scores(X))


class MajorityClassifier(ClassifierMixin, BaseEstimator):
    """Always the most frequent class: a model that learned nothing (equals the dummy)."""

    def fit(self, X, y):
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[counts.argmax()]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)


class GradientAscentRegressor(RegressorMixin, BaseEstimator):
    """A hand-written SGD whose update has the wrong sign: the loss rises."""

    def __init__(self, learning_rate: float = 0.01) -> None:
        self.learning_rate = learning_rate

    def partial_fit(self, X, y):
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        if not hasattr(self, "coef_"):
            self.coef_ = np.zeros(X.shape[1])
            self.intercept_ = 0.0
        residual = X @ self.coef_ + self.intercept_ - y
        self.coef_ = self.coef_ + self.learning_rate * X.T @ residual / len(y)  # sign bug
        self.intercept_ = self.intercept_ + self.learning_rate * residual.mean()
        return self

    def fit(self, X, y):
        for _ in range(5):
            self.partial_fit(X, y)
        return self

    def predict(self, X):
        return np.asarray(X, dtype=float) @ self.coef_ + self.intercept_


class BaggedMeanRegressor(RegressorMixin, BaseEstimator):
    """Bootstraps with an unseeded generator and has no random_state to seed."""

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        rng = np.random.default_rng()  # OS entropy: differs on every fit
        rows = rng.integers(0, len(X), len(X))
        self.coef_, *_ = np.linalg.lstsq(np.c_[X[rows], np.ones(len(rows))], y[rows], rcond=None)
        return self

    def predict(self, X):
        X = np.asarray(X, dtype=float)
        return np.c_[X, np.ones(len(X))] @ self.coef_


class IgnoresRandomStateRegressor(RegressorMixin, BaseEstimator):
    """Has random_state but subsamples with np.random's global state instead."""

    def __init__(self, random_state: int | None = None) -> None:
        self.random_state = random_state

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        rows = np.random.choice(len(X), size=len(X) // 2, replace=False)  # global state
        self.coef_, *_ = np.linalg.lstsq(
            np.c_[X[rows], np.ones(len(rows))], np.asarray(y)[rows], rcond=None
        )
        return self

    def predict(self, X):
        X = np.asarray(X, dtype=float)
        return np.c_[X, np.ones(len(X))] @ self.coef_


class IndexInsteadOfLabelClassifier(ClassifierMixin, BaseEstimator):
    """predict returns the index of the best class, not the class label itself."""

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        self.classes_ = np.unique(y)
        self.means_ = np.array([X[np.asarray(y) == c].mean(axis=0) for c in self.classes_])
        return self

    def predict(self, X):
        X = np.asarray(X, dtype=float)
        return ((X[:, None, :] - self.means_[None]) ** 2).sum(axis=2).argmin(axis=1)  # bug


class NoisyFitRegressor(RegressorMixin, BaseEstimator):
    """Warns on every iteration of its solver (the same warning three times)."""

    def fit(self, X, y):
        for _ in range(3):
            warnings.warn("solver did not converge; increase n_iter", UserWarning, stacklevel=2)
        self.mean_ = float(np.mean(y))
        self.coef_, *_ = np.linalg.lstsq(np.c_[X, np.ones(len(X))], y, rcond=None)
        return self

    def predict(self, X):
        X = np.asarray(X, dtype=float)
        return np.c_[X, np.ones(len(X))] @ self.coef_


class DuckTypedRegressor:
    """Not a BaseEstimator: no get_params, so mlgate deep-copies it instead of cloning."""

    def __init__(self) -> None:
        self.fitted = False

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        self.coef_, *_ = np.linalg.lstsq(np.c_[X, np.ones(len(X))], y, rcond=None)
        self.fitted = True
        return self

    def predict(self, X):
        X = np.asarray(X, dtype=float)
        return np.c_[X, np.ones(len(X))] @ self.coef_


class StumpBooster(RegressorMixin, BaseEstimator):
    """A tiny boosting model with n_estimators and learning_rate but no staged_predict."""

    def __init__(self, n_estimators: int = 20, learning_rate: float = 0.3) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        self.init_ = y.mean()
        pred = np.full(len(y), self.init_)
        self.stumps_ = []
        for _ in range(self.n_estimators):
            residual = y - pred
            j = int(
                np.argmax(np.abs([np.corrcoef(X[:, k], residual)[0, 1] for k in range(X.shape[1])]))
            )
            t = float(np.median(X[:, j]))
            left = residual[X[:, j] <= t].mean()
            right = residual[X[:, j] > t].mean()
            self.stumps_.append((j, t, left, right))
            pred += self.learning_rate * np.where(X[:, j] <= t, left, right)
        return self

    def predict(self, X):
        X = np.asarray(X, dtype=float)
        pred = np.full(len(X), self.init_)
        for j, t, left, right in self.stumps_:
            pred += self.learning_rate * np.where(X[:, j] <= t, left, right)
        return pred


class FirstColumnClassifier(ClassifierMixin, BaseEstimator):
    """Predicts the first feature as the label: as good as that feature, no better."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.asarray(X)[:, 0].astype(self.classes_.dtype)
