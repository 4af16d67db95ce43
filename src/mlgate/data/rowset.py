"""Duplicate rows of one dataset, counted exactly in the one pass that profiles it.

Why not the profile's theta sketch of row hashes: it keeps 4,096 hashes, so that a
profile stays small and merges, and beyond that its count is off by about 1.6%, more
than the duplicate rates that matter (a file with no duplicate rows was profiled as
1% duplicates, and a batch with 5% passed). While one pass reads one dataset, mlgate
keeps every distinct row's 64-bit hash instead: 8 bytes a distinct row, a sorted NumPy
array, small next to the data. The sketch still serves what must merge across
profiles (merged profiles, overlap between datasets).

Two distinct rows share a 64-bit hash with probability 2**-64 (Polars' row hash, then
mixed by ``hashing.hash_row_hashes``), so among n distinct rows the expected number of
colliding pairs is n(n-1)/2**65: 3e-8 at a million rows, 5e-7 at the cap below. A
collision would count one row too many as a duplicate; it is ignored.

Memory is capped: beyond ``MAX_EXACT`` distinct rows (2**22, about 4.2 million: 32 MB,
and about 80 MB at the peak of a merge) the set keeps only the ``MAX_EXACT`` smallest
hashes, which is a theta sketch with k = 2**22: the distinct count is then estimated
with a relative standard error of 1/sqrt(k) = 0.05% (the duplicate rate to within
0.15 point at three standard errors) and reported as estimated. The memory held stays
at the cap however long the file is (measured in 250,000-row batches: 0.2 s of CPU for
5 million distinct rows, 0.8 s for 20 million, and about 80 MB of peak memory from
4 million on; a cap of 2**23 took 170 MB).

Batches wait, and are merged into the sorted array once a quarter of its size waits
(and at the end), so the sorting done over a pass is O(n log n) in all, not a full sort
per batch. A merge that batches start runs in a thread of its own while the pass goes
on (NumPy's sort releases the GIL): done in the pass's thread, each held up the reading
of the next batch by 0.1 to 0.4 s. The result does not depend on when merges run: the
set holds the distinct hashes seen, or the ``cap`` smallest of them.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

from mlgate.data.theta import FULL, ThetaSketch, sorted_distinct

#: Distinct rows counted exactly; beyond, the count is estimated (8 bytes a row: 32 MB).
MAX_EXACT = 2**22
#: Row hashes that may wait before a merge, however small the set (16 MB): fewer merges
#: of a set that is still growing, each of which sorts it again.
_MIN_PENDING = 1 << 21
#: Merge once a 1/_GROWTH of the set is waiting: a smaller share keeps the peak memory
#: of a merge nearer the set's own size, a larger one merges less often.
_GROWTH = 4


@dataclass(frozen=True)
class DuplicateCount:
    """Rows that repeat an earlier row: exact, or estimated with a standard error."""

    rows: int
    exact: bool = True
    stderr: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {"rows": self.rows, "exact": self.exact, "stderr": round(self.stderr, 3)}

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> DuplicateCount:
        rows, exact, stderr = d["rows"], d["exact"], d.get("stderr", 0.0)
        if not isinstance(rows, int) or not isinstance(exact, bool) or rows < 0:
            raise ValueError(f"duplicates: not a count: {d!r}")
        return cls(rows=rows, exact=exact, stderr=float(stderr))  # type: ignore[arg-type]


class RowHashSet:
    """The distinct 64-bit row hashes of one pass, exact up to ``cap`` distinct rows."""

    __slots__ = (
        "_cap",
        "_merging",
        "_pending",
        "_pending_size",
        "_pending_sorted",
        "_rows",
        "_sorted",
        "_theta",
    )

    def __init__(self, cap: int | None = None) -> None:
        self._cap = MAX_EXACT if cap is None else cap
        self._sorted = np.empty(0, dtype=np.uint64)
        self._pending: list[np.ndarray] = []
        self._pending_size = 0
        #: Whether every waiting array is in ascending order (``add(ascending=True)``).
        self._pending_sorted = True
        self._theta = FULL
        self._rows = 0
        #: A merge running in its own thread (``add``), which ``_settle`` waits for.
        self._merging: _Merge | None = None

    def add(self, hashes: np.ndarray, *, ascending: bool = False) -> None:
        """Add one batch's row hashes (one per row, repeats allowed).

        ``ascending=True`` says they are sorted (a caller can sort a batch in a worker
        thread): a merge of sorted runs is then a stable sort's run merge, about twice
        as fast as sorting them afresh.
        """
        hashes = np.asarray(hashes, dtype=np.uint64)
        self._rows += hashes.size
        if self._theta < FULL:
            # np.compress, not a boolean index (a third of the time); not a binary search
            # on sorted hashes either: ``ascending`` may only ever cost speed if wrong.
            hashes = np.compress(hashes < np.uint64(self._theta), hashes)
        if hashes.size == 0:
            return
        self._pending_sorted = self._pending_sorted and ascending
        self._pending.append(hashes)
        self._pending_size += hashes.size
        if self._pending_size >= max(self._sorted.size // _GROWTH, _MIN_PENDING):
            self._settle()
            self._merging = _Merge(self._take(), self._cap)

    def _take(self) -> tuple[list[np.ndarray], bool]:
        """The sorted set and the waiting arrays, handed to a merge, and whether the
        waiting arrays are sorted runs."""
        parts, runs = [self._sorted, *self._pending], self._pending_sorted
        self._pending, self._pending_size, self._pending_sorted = [], 0, True
        self._sorted = np.empty(0, dtype=np.uint64)  # the merge lets it go before sorting
        return parts, runs

    def _settle(self) -> None:
        """Wait for a merge running in its thread, and take its result."""
        if self._merging is not None:
            merging, self._merging = self._merging, None
            self._sorted, theta = merging.result()
            self._theta = min(self._theta, theta)

    def _compact(self) -> None:
        self._settle()
        if self._pending:
            self._sorted, theta = _merge(self._take(), self._cap)
            self._theta = min(self._theta, theta)

    def add_set(self, hashes: np.ndarray, theta: int, rows: int) -> None:
        """Add another pass's set, as ``state()`` gives it: its distinct hashes below
        ``theta`` (every one when theta is ``theta.FULL``) over ``rows`` rows.

        The union stays exact while both sets are exact and within the cap; otherwise
        it is a theta sketch at the lower threshold, as DataSketches' union is.
        """
        self._rows += rows
        self._settle()
        if theta < self._theta:
            self._compact()
            self._theta = min(self._theta, theta)
            self._sorted = self._sorted[self._sorted < np.uint64(self._theta)]
        hashes = np.asarray(hashes, dtype=np.uint64)
        if self._theta < FULL:
            hashes = hashes[hashes < np.uint64(self._theta)]
        if hashes.size:
            self._pending.append(hashes)
            self._pending_size += hashes.size
            if self._pending_size >= max(self._sorted.size // _GROWTH, _MIN_PENDING):
                self._compact()

    def state(self) -> tuple[np.ndarray, int]:
        """(sorted distinct hashes below theta, theta): what ``add_set`` takes."""
        self._compact()
        return self._sorted, self._theta

    @property
    def cap(self) -> int:
        return self._cap

    @property
    def rows(self) -> int:
        return self._rows

    def duplicates(self) -> DuplicateCount:
        """The duplicate rows seen so far: exact while within the cap."""
        self._compact()
        if self._theta == FULL:
            return DuplicateCount(rows=self._rows - int(self._sorted.size))
        sketch = ThetaSketch(self._cap, self._sorted, self._theta)
        distinct = min(sketch.estimate, float(self._rows))
        _, high = sketch.bounds(1.0)  # one standard error above the estimate
        return DuplicateCount(
            rows=max(0, round(self._rows - distinct)), exact=False, stderr=high - sketch.estimate
        )


#: Sorted runs of at least this many hashes in all are merged as two halves (below and
#: above 2**63) at once, one in a thread of its own: the merge that ends a pass has the
#: machine to itself.
_SPLIT_FROM = 1 << 20
_HALF = np.uint64(1 << 63)


def _merge(taken: tuple[list[np.ndarray], bool], cap: int) -> tuple[np.ndarray, int]:
    """The distinct hashes of the parts (``RowHashSet._take``), sorted, and the threshold
    below which they are all held: the ``cap`` smallest and the next one's value when
    there are more, else every one and ``FULL``."""
    parts, runs = taken
    if runs and sum(p.size for p in parts) >= _SPLIT_FROM:
        # Each sorted run splits at one binary search; hashes are uniform, so the
        # halves are about equal.
        cuts = [int(np.searchsorted(p, _HALF)) for p in parts]
        high = [p[c:] for p, c in zip(parts, cuts, strict=True)]
        low = [p[:c] for p, c in zip(parts, cuts, strict=True)]
        parts.clear()
        upper = _Merge((high, True), cap, split=False)
        distinct = _distinct_sorted(low, runs=True)
        if distinct.size <= cap:
            distinct = np.concatenate([distinct, upper.result()[0]])
        # else: the cap's smallest hashes are all in the lower half; its thread ends.
    else:
        distinct = _distinct_sorted(parts, runs)
    if distinct.size > cap:
        return distinct[:cap].copy(), int(distinct[cap])
    return distinct, FULL


def _distinct_sorted(parts: list[np.ndarray], runs: bool) -> np.ndarray:
    """The distinct values of the parts, sorted (``runs``: each part is sorted)."""
    merged = np.concatenate(parts)
    parts.clear()  # the old sorted array and the batches go before the sort
    # In place. Sorted runs are merged by the stable sort (timsort finds the runs);
    # unsorted hashes are faster with the default sort than with timsort.
    merged.sort(kind="stable" if runs else "quicksort")
    return sorted_distinct(merged)


class _Merge:
    """``_merge`` in a daemon thread (a run that fails does not wait for it); ``result``
    waits for it and raises what it raised."""

    def __init__(
        self, taken: tuple[list[np.ndarray], bool], cap: int, *, split: bool = True
    ) -> None:
        self._result: tuple[np.ndarray, int] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(taken, cap, split), name="mlgate-rowset", daemon=True
        )
        self._thread.start()

    def _run(self, taken: tuple[list[np.ndarray], bool], cap: int, split: bool) -> None:
        try:
            if split:
                self._result = _merge(taken, cap)
            else:
                self._result = (_distinct_sorted(*taken), FULL)
        except BaseException as exc:  # MemoryError, say: raised in the caller's thread
            self._error = exc

    def result(self) -> tuple[np.ndarray, int]:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result


def duplicates_of(hashes: np.ndarray) -> DuplicateCount:
    """The duplicate count of one batch's row hashes."""
    rows = RowHashSet()
    rows.add(hashes)
    return rows.duplicates()


def natural_duplicate_fraction(rows: int, distinct: float, size: int) -> float:
    """The duplicate share a sample of ``size`` rows is expected to hold when drawn like
    a reference of ``rows`` rows with ``distinct`` distinct ones.

    The classical occupancy model: rows are drawn from K equally likely distinct rows,
    so n draws hold K(1 - (1 - 1/K)^n) distinct ones on average (Feller, *An
    Introduction to Probability Theory*, vol. 1, ch. II.11). K is solved for from the
    reference (``scipy.optimize.brentq``), then the same expectation is taken at
    ``size``. Natural repeats grow with the sample (n rows make n(n-1)/2 pairs), and
    this is the rate a batch much larger than its reference reaches without any row
    copied twice. Where the reference's rows are skewed (a few very common rows), a
    uniform K is smaller than the real number of distinct rows, so the model expects
    more repeats than real data show: it errs towards allowing repeats, never towards
    a false alarm. A reference without duplicates gives 0 (K is unbounded).

    Raises ``ValueError`` unless 0 < distinct <= rows and size >= 0.
    """
    if not 0 < distinct <= rows or size < 0:
        raise ValueError(f"need 0 < distinct <= rows and size >= 0, got {distinct}, {rows}, {size}")
    if distinct == rows or size == 0:
        return 0.0
    if distinct == 1:
        return 1.0 - 1.0 / size  # one row, repeated
    from scipy.optimize import brentq  # only for references whose rows repeat

    def expected_distinct(k: float, n: int) -> float:
        return -k * math.expm1(n * math.log1p(-1.0 / k))

    # At K = distinct the expectation is below it; as K grows it tends to ``rows``.
    high = float(distinct)
    while expected_distinct(high, rows) <= distinct:
        high *= 2.0
    k = brentq(lambda x: expected_distinct(x, rows) - distinct, float(distinct), high)
    return max(0.0, 1.0 - expected_distinct(k, size) / size)
