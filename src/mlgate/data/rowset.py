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

Memory is capped: beyond ``MAX_EXACT`` distinct rows (2**22, about 4.2 million: 32 MB)
the set keeps only the ``MAX_EXACT`` smallest hashes, which is a theta sketch with
k = 2**22: the distinct count is then estimated with a relative standard error of
1/sqrt(k) = 0.05% (the duplicate rate to within 0.15 point at three standard errors)
and reported as estimated. The memory held stays at the cap however long the file is.
Measured in sorted 250,000-row batches of random hashes, with the making of the
batches: 0.34 s of CPU and a peak of 71 MB (tracemalloc) for 5 million distinct rows,
0.96 s and 104 MB for 20 million (0.61 s and 87 MB, 1.29 s and 124 MB, when the set
was one sorted array merged whole).

The hashes are held in 256 buckets by their top 8 bits, each a sorted array of its
distinct hashes (a theta sketch's smallest hashes are the lowest buckets' in order). A
sorted batch is split among the buckets with one binary search per bucket, as views, and
the batches wait until a quarter of the set's size waits (and at the end): each bucket
is then merged on its own, arrays of a few hundred kilobytes that stay in the CPU's cache
and reuse the allocator's memory. One sorted array of every hash, merged whole, took
about twice the CPU: its copies of tens of megabytes were fresh pages that the
kernel cleared each time. (A set of up to 32,768 hashes is merged as one array and
then split: 256 small sorts would cost a millisecond, a start-up cost for small files.)
The sorting done over a pass is O(n log n) in all, not a full sort per batch. A merge
that batches start runs in a thread of its own while the pass goes on (NumPy's sort
releases the GIL). The result does not depend on when merges run: the set holds the
distinct hashes seen, or the ``cap`` smallest of them.
"""

from __future__ import annotations

import itertools
import math
import threading
from dataclasses import dataclass

import numpy as np

from mlgate.data.sketches import is_sorted
from mlgate.data.theta import FULL, count_bounds, sorted_distinct

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
        "_rows",
        "_sets",
        "_size",
        "_theta",
        "_unsorted",
    )

    def __init__(self, cap: int | None = None) -> None:
        self._cap = MAX_EXACT if cap is None else cap
        #: Each bucket's distinct hashes, sorted; ``_size`` of them in all.
        self._sets: list[np.ndarray] = [_EMPTY] * _BUCKETS
        self._size = 0
        #: Sorted runs waiting, by bucket, and batches that came unsorted.
        self._pending: list[list[np.ndarray]] = [[] for _ in range(_BUCKETS)]
        self._unsorted: list[np.ndarray] = []
        self._pending_size = 0
        self._theta = FULL
        self._rows = 0
        #: A merge running in its own thread (``add``), which ``_settle`` waits for.
        self._merging: _Merge | None = None

    def add(self, hashes: np.ndarray, *, ascending: bool = False) -> None:
        """Add one batch's row hashes (one per row, repeats allowed).

        ``ascending=True`` says they are sorted (a caller can sort a batch in a worker
        thread): they are then split among the buckets at once, with no sort of their
        own. The claim is checked in one pass; a batch out of order is sorted as an
        unsorted one is.
        """
        hashes = np.asarray(hashes, dtype=np.uint64).ravel()
        self._rows += hashes.size
        self._add(hashes, ascending)

    def _add(self, hashes: np.ndarray, ascending: bool) -> None:
        if self._theta < FULL:
            # np.compress, not a boolean index (a third of the time).
            hashes = np.compress(hashes < np.uint64(self._theta), hashes)
        if hashes.size == 0:
            return
        if ascending and hashes.size >= _SPLIT_FROM and is_sorted(hashes):
            _split(hashes, self._pending)
        else:
            self._unsorted.append(hashes)
        self._pending_size += hashes.size
        if self._pending_size >= max(self._size // _GROWTH, _MIN_PENDING):
            self._settle()
            self._merging = _Merge(self._take(), self._cap)

    def _take(self) -> _Taken:
        """The sets and the waiting hashes, handed to a merge."""
        held = self._size + self._pending_size
        taken = (self._sets, self._pending, self._unsorted, held)
        self._pending = [[] for _ in range(_BUCKETS)]
        self._unsorted, self._pending_size = [], 0
        self._sets, self._size = [_EMPTY] * _BUCKETS, 0
        return taken

    def _settle(self) -> None:
        """Wait for a merge running in its thread, and take its result."""
        if self._merging is not None:
            merging, self._merging = self._merging, None
            self._sets, self._size, theta = merging.result()
            self._theta = min(self._theta, theta)

    def _compact(self) -> None:
        self._settle()
        if self._pending_size:
            self._sets, self._size, theta = _merge(self._take(), self._cap)
            self._theta = min(self._theta, theta)

    def add_set(self, hashes: np.ndarray, theta: int, rows: int) -> None:
        """Add another pass's set, as ``state()`` gives it: its distinct hashes below
        ``theta`` (every one when theta is ``theta.FULL``) over ``rows`` rows.

        The union stays exact while both sets are exact and within the cap; otherwise
        it is a theta sketch at the lower threshold, as DataSketches' union is.
        """
        self._settle()
        if theta < self._theta:
            self._compact()
            self._theta = theta
            limit = np.uint64(theta)
            self._sets = [b[: int(np.searchsorted(b, limit))] for b in self._sets]
            self._size = sum(b.size for b in self._sets)
        self._rows += rows
        self._add(np.asarray(hashes, dtype=np.uint64).ravel(), ascending=True)

    def state(self) -> tuple[np.ndarray, int]:
        """(sorted distinct hashes below theta, theta): what ``add_set`` takes."""
        self._compact()
        return np.concatenate(self._sets), self._theta

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
            return DuplicateCount(rows=self._rows - self._size)
        # The theta sketch's estimate, from the count held (no copy of the hashes).
        estimate = count_bounds(self._size, self._theta, 0.0)[1]
        _, high = count_bounds(self._size, self._theta, 1.0)  # one standard error above
        distinct = min(estimate, float(self._rows))
        return DuplicateCount(
            rows=max(0, round(self._rows - distinct)), exact=False, stderr=high - estimate
        )


#: Buckets of hashes, by their top bits: a bucket of a 5-million-row set holds about
#: 20,000 hashes (160 KB).
_BUCKET_BITS = 8
_BUCKETS = 1 << _BUCKET_BITS
#: The smallest hash of each bucket after the first.
_EDGES = np.arange(1, _BUCKETS, dtype=np.uint64) << np.uint64(64 - _BUCKET_BITS)
_EMPTY = np.empty(0, dtype=np.uint64)
#: What a merge takes: the sets, the sorted runs waiting by bucket, the unsorted batches,
#: and how many hashes they hold in all.
_Taken = tuple[list[np.ndarray], list[list[np.ndarray]], list[np.ndarray], int]
#: Sorted batches of fewer hashes wait whole, as unsorted ones do: splitting them among
#: 256 buckets would cost more than sorting them again.
_SPLIT_FROM = 1 << 12


def _split(hashes: np.ndarray, pending: list[list[np.ndarray]]) -> None:
    """Append each bucket's part of sorted ``hashes`` (a view) to its waiting runs."""
    bounds = [0, *np.searchsorted(hashes, _EDGES).tolist(), hashes.size]
    for bucket, (start, end) in enumerate(itertools.pairwise(bounds)):
        if end > start:
            pending[bucket].append(hashes[start:end])


def _merge(taken: _Taken, cap: int) -> tuple[list[np.ndarray], int, int]:
    """The sets with the waiting hashes merged in (``RowHashSet._take``): each bucket's
    distinct hashes sorted, how many they are in all, and the threshold below which
    they are all held: the ``cap`` smallest and the next one's value when there are
    more, else every one and ``FULL``."""
    sets, pending, unsorted, total = taken
    if total <= _ONE_ARRAY:
        return _merge_small(sets, pending, unsorted, cap)
    for batch in unsorted:
        _split(np.sort(batch), pending)
    unsorted.clear()
    merged: list[np.ndarray] = []
    held = 0
    for bucket, runs in enumerate(pending):
        if runs:
            # Sorted runs, which the stable sort (timsort) merges in near-linear time.
            joined = np.concatenate([sets[bucket], *runs])
            joined.sort(kind="stable")
            distinct = sorted_distinct(joined)
        else:
            distinct = sets[bucket]
        if held + distinct.size > cap:
            # The cap's smallest end in this bucket: the rest, and every later bucket's
            # hashes, are above the threshold.
            kept = cap - held
            merged.append(distinct[:kept].copy())
            merged += [_EMPTY] * (_BUCKETS - bucket - 1)
            return merged, cap, int(distinct[kept])
        merged.append(distinct)
        held += distinct.size
    return merged, held, FULL


#: Sets of at most this many hashes in all are merged as one array and then split
#: among the buckets: 256 small sorts cost a millisecond where one takes 10 us.
_ONE_ARRAY = 1 << 15


def _merge_small(
    sets: list[np.ndarray], pending: list[list[np.ndarray]], unsorted: list[np.ndarray], cap: int
) -> tuple[list[np.ndarray], int, int]:
    """``_merge`` of a small set: the same result, from one sort."""
    joined = np.concatenate([*sets, *(r for runs in pending for r in runs), *unsorted])
    distinct = sorted_distinct(np.sort(joined))
    theta = FULL
    if distinct.size > cap:
        distinct, theta = distinct[:cap], int(distinct[cap])
    bounds = [0, *np.searchsorted(distinct, _EDGES).tolist(), distinct.size]
    merged = [distinct[start:end] for start, end in itertools.pairwise(bounds)]
    return merged, int(distinct.size), theta


class _Merge:
    """``_merge`` in a daemon thread (a run that fails does not wait for it); ``result``
    waits for it and raises what it raised."""

    def __init__(self, taken: _Taken, cap: int) -> None:
        self._result: tuple[list[np.ndarray], int, int] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(taken, cap), name="mlgate-rowset", daemon=True
        )
        self._thread.start()

    def _run(self, taken: _Taken, cap: int) -> None:
        try:
            self._result = _merge(taken, cap)
        except BaseException as exc:  # MemoryError, say: raised in the caller's thread
            self._error = exc

    def result(self) -> tuple[list[np.ndarray], int, int]:
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
