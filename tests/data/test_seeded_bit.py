"""The KLL compaction bit, computed in pure Python, is NumPy's bit for the same seed."""

from __future__ import annotations

import random

import numpy as np
import pytest

from mlgate.data.seeded_bit import seeded_bit


def _numpy_bit(seed: tuple[int, ...]) -> int:
    return int(np.random.default_rng(seed).integers(2))


def _seeds() -> list[tuple[int, ...]]:
    draw = random.Random(20261201)
    grid = [
        (c, h, n)
        for c in range(40)
        for h in range(6)
        for n in (0, 1, 7, 300, 2**31, 2**32 - 1, 2**32, 5_000_000, 2**63 + 3)
    ]
    wide = [  # more entropy words than the pool holds, and other lengths
        (draw.getrandbits(96), draw.getrandbits(70), draw.getrandbits(130)) for _ in range(200)
    ]
    other = [(draw.randrange(2**20),) for _ in range(100)]
    other += [tuple(draw.randrange(50) for _ in range(draw.randrange(1, 9))) for _ in range(300)]
    history = [
        (draw.randrange(10**6), draw.randrange(40), draw.randrange(2**45)) for _ in range(2000)
    ]
    return grid + wide + other + history


def test_the_bit_is_numpys_for_every_seed_tried():
    seeds = _seeds()
    ours = [seeded_bit(s) for s in seeds]
    assert ours == [_numpy_bit(s) for s in seeds]
    # Both values occur about equally: a constant would fail the line above, and so
    # would a bit that is not NumPy's.
    assert 0.45 < sum(ours) / len(ours) < 0.55


@pytest.mark.parametrize("seed", [(), (-1,), (3, -2, 5)])
def test_seeds_numpy_refuses_are_refused(seed):
    with pytest.raises(ValueError, match="non-negative"):
        seeded_bit(seed)
