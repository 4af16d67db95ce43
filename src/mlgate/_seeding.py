"""The global random generators a user's code may draw from, seeded for one block."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def seeded_globals(seed: int) -> Iterator[None]:
    """``random`` and ``numpy.random``'s global generators seeded with ``seed`` (NumPy's
    modulo 2**32, its limit) for the block, and put back as they were after it, so a
    check that seeds them leaves the caller's random state alone. NumPy is imported
    here, not at import time."""
    import numpy as np

    np_state, py_state = np.random.get_state(), random.getstate()
    np.random.seed(seed % 2**32)
    random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
