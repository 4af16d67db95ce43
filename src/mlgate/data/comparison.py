"""One column's comparison of reference and current data, as the drift tests return it,
and the level every drift test is held to (``mlgate.data.drift`` explains the method)."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Chance that sampling noise alone is taken for a change, per column and check. Small,
#: because a gate checks many columns on every pull request and a false failure costs
#: a person's time; a one-SD shift still fails from 100 rows a half, a doubled spread or
#: a vanished 20% category from about 200 (tests/data/test_drift_stability.py).
ALPHA = 1e-6


@dataclass(frozen=True)
class Comparison:
    """One column's comparison: the effect size, and whether it is more than noise."""

    metric: str
    effect: float
    p_value: float
    details: dict[str, object] = field(default_factory=dict)
    note: str = ""
    #: Values of the reference gone from the current data, beyond what chance explains.
    vanished: tuple[str, ...] = ()
    #: Share of the current values that the reference never held, when that is beyond
    #: what rare categories explain (``_novel``); 0.0 otherwise.
    novel: float = 0.0

    @property
    def significant(self) -> bool:
        return self.p_value < ALPHA
