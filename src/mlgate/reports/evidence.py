"""What the HTML report draws that no finding carries: ``Report.evidence`` values.

``Report.evidence`` maps a stage (``data``, ``training:<entrypoint>``) to one of the
small frozen values below. They are not serialised (the JSON report stays the
findings), and importing this module imports nothing heavy: profiles are referred to by
type only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlgate.data.profile import DatasetProfile


@dataclass(frozen=True)
class DataEvidence:
    """The data stage's two profiles, from which the report draws each column's
    reference and current distributions.

    ``mode`` is ``drift`` or ``skew`` (the current side is then serving logs).
    """

    reference: DatasetProfile
    current: DatasetProfile
    mode: str = "drift"


@dataclass(frozen=True)
class LossSeries:
    """One training loss curve: ``values[i]`` is the loss after ``unit`` number i + 1.

    ``label`` names the run (``training run``, ``one-batch run``); ``metric`` what was
    measured (``loss``, ``log loss``); values may hold NaN or inf (the step where the
    loss stopped being finite is drawn as such).
    """

    label: str
    metric: str
    unit: str
    values: tuple[float, ...]

    @classmethod
    def of(cls, label: str, metric: str, unit: str, values: Iterable[float]) -> LossSeries:
        """A series from any iterable of numbers (list, NumPy array, tensor values)."""
        return cls(label, metric, unit, tuple(float(v) for v in values))

    @property
    def first_non_finite(self) -> int | None:
        """The 1-based index of the first NaN or inf value, or None."""
        return next((i + 1 for i, v in enumerate(self.values) if not math.isfinite(v)), None)


@dataclass(frozen=True)
class TrainingEvidence:
    """A training stage's loss curves; ``framework`` is ``PyTorch`` or ``scikit-learn``."""

    framework: str
    curves: tuple[LossSeries, ...] = ()
