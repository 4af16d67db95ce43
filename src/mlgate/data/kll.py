"""A seeded KLL quantile sketch (Karnin, Lang and Liberty, 2016) in NumPy.

Why not DataSketches' KLL: its compactions draw random bits from a generator seeded by
the wall clock, so the same data profiled twice gives slightly different quantiles and,
near a threshold, a different verdict. mlgate promises the same verdict for the same
input, so this sketch draws its bits from a generator seeded by its own state. The
algorithm and level capacities follow the DataSketches implementation (k, c = 2/3, lazy
compaction of the lowest full level), and a test holds it to the same normalised rank
error bound. Batches are ingested whole with NumPy sorts, which is also faster than
feeding items one by one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from mlgate.data.seeded_bit import seeded_bit
from mlgate.data.sketches import b64, is_sorted, unb64

DEFAULT_K = 300
_C = 2.0 / 3.0
_MIN_CAPACITY = 8
#: Values are kept as float64. Until 2026-12-01 they were float32, which holds 24 bits:
#: a column of ids near 10**18 or amounts near 10**12 with a small spread collapsed to a
#: few values, and a current batch moved wholly past the reference's range counted as
#: inside it. Sketches saved as float32 are still read (``from_b64``).
_DTYPE = np.float64
#: Promotions of at least this many values are merged into a level in order at once;
#: smaller ones are gathered and sorted when their level is compacted.
_MERGE_FROM = 4096
#: A sorted level held as runs: distinct values and how often each occurs.
_Runs = tuple[np.ndarray, np.ndarray]


def _capacity(k: int, levels: int, h: int) -> int:
    return max(_MIN_CAPACITY, math.ceil(k * _C ** (levels - 1 - h)))


@lru_cache(maxsize=64)
def _capacities(k: int, levels: int) -> tuple[int, ...]:
    """Every level's capacity in a sketch of ``levels`` levels, lowest first."""
    return tuple(_capacity(k, levels, h) for h in range(levels))


@lru_cache(maxsize=4096)
def _offset(compactions: int, h: int, n: int) -> int:
    """The compaction's random bit, seeded by the sketch's history (``seeded_bit``: the
    bit NumPy's ``default_rng((compactions, h, n)).integers(2)`` draws). Batches of one
    size repeat the same (compactions, h, n), and a draw costs more than a small sort."""
    return seeded_bit((compactions, h, n))


class KllSketch:
    """Mergeable quantiles of float values with rank error of about 1/k (1% at k=300)."""

    __slots__ = ("_compactions", "_k", "_levels", "_n", "_ordered")

    def __init__(self, k: int = DEFAULT_K) -> None:
        self._k = k
        self._n = 0
        self._compactions = 0
        self._levels: list[np.ndarray] = [np.empty(0, dtype=_DTYPE)]
        #: Whether each level is in ascending order. For level 0 a caller's promise
        #: (``update(ascending=True)``), checked before it is trusted; above, known from
        #: how the level was built (a sorted level's promotions, merged in order).
        self._ordered: list[bool] = [False]

    # -- building ---------------------------------------------------------------------
    def update(self, values: np.ndarray, *, ascending: bool = False, copy: bool = True) -> None:
        """Add float values (any shape; NaN is not allowed), copied: the sketch sorts its
        own arrays in place.

        ``ascending=True`` says the values are in ascending order with no -0.0 among
        zeros (whole numbers counted and repeated, say): the next compaction checks the
        order in one pass and then skips its sort, whose result would be the same.
        ``copy=False`` hands over a writable float64 array that the caller no longer
        needs: the sketch may sort it in place instead of copying it (a batch-sized
        copy, and its fresh pages, saved).
        """
        values = np.asarray(values, dtype=_DTYPE).ravel()
        if values.size == 0:
            return
        self._n += int(values.size)
        level0 = self._levels[0]
        # One copy at most: the concatenation, or the values themselves for an empty
        # level (copied unless handed over).
        if level0.size:
            self._levels[0] = np.concatenate([level0, values])
        elif copy or not values.flags.writeable:
            self._levels[0] = values.copy()
        else:
            self._levels[0] = values
        self._ordered[0] = ascending
        self._compress()

    def update_counted(self, values: np.ndarray, counts: np.ndarray) -> None:
        """``update(np.repeat(values, counts), ascending=True)``, the same sketch bit for
        bit, without the repeated array: ``values`` are distinct and ascending (float64,
        shape (m,), no NaN; whole numbers counted, say) and ``counts`` their positive
        numbers of occurrences (shape (m,)).

        Into an empty sketch, each compaction of a level of runs (a value and its count)
        keeps every other element by arithmetic on the runs' bounds, so the work follows
        the distinct values, not the rows. Into a sketch that holds values already, the
        values are repeated and added as ``update`` adds them.
        """
        values = np.asarray(values, dtype=np.float64).ravel()
        counts = np.asarray(counts, dtype=np.int64).ravel()
        if self._n or values.size == 0:
            self.update(np.repeat(values, counts), ascending=True)
            return
        runs: list[_Runs | None] = [(values, counts)]
        self._n = int(counts.sum())
        while True:
            capacities = _capacities(self._k, len(runs))
            sizes = [0 if r is None else int(r[1].sum()) for r in runs]
            if sum(sizes) <= sum(capacities):
                break
            h = next(i for i, (n, c) in enumerate(zip(sizes, capacities, strict=True)) if n >= c)
            full = runs[h]
            assert full is not None  # a level at its capacity (at least 8) holds runs
            runs[h], promoted = self._compact_runs(full, h)
            if h + 1 == len(runs):
                runs.append(None)
            runs[h + 1] = promoted  # levels above receive one promotion each: empty before
        self._levels = [
            np.empty(0, dtype=_DTYPE) if r is None else np.repeat(r[0], r[1]) for r in runs
        ]
        # Every level repeats ascending runs. Level 0 keeps ``update``'s promise (in
        # order until compacted), which its compaction checks.
        self._ordered = [len(runs) == 1] + [True] * (len(runs) - 1)

    def _compact_runs(self, runs: _Runs, h: int) -> tuple[_Runs | None, _Runs]:
        """``_compact`` of a sorted level held as runs: (what stays, what is promoted)."""
        values, counts = runs
        stays = None
        if int(counts.sum()) % 2:  # the first element stays, as ``_compact`` keeps it
            stays = (values[:1], np.ones(1, dtype=np.int64))
            counts = counts.copy()
            counts[0] -= 1
        offset = _offset(self._compactions, h, self._n)
        self._compactions += 1
        # Positions offset, offset + 2, ... of the pairs: before position x there are
        # (x + 1 - offset) // 2 of them, so a run [start, end) sends the difference.
        ends = np.cumsum(counts)
        starts = ends - counts
        sent = (ends + 1 - offset) // 2 - (starts + 1 - offset) // 2
        kept = sent > 0
        return stays, (values[kept], sent[kept])

    def merged(self, other: KllSketch) -> KllSketch:
        out = KllSketch(max(self._k, other._k))
        out._n = self._n + other._n
        out._compactions = self._compactions + other._compactions
        depth = max(len(self._levels), len(other._levels))
        out._levels = [
            np.concatenate([_level(self._levels, h), _level(other._levels, h)])
            for h in range(depth)
        ]
        out._ordered = [False] * depth
        out._compress()
        return out

    def _compress(self) -> None:
        while True:
            capacities = _capacities(self._k, len(self._levels))
            sizes = [lv.size for lv in self._levels]
            if sum(sizes) <= sum(capacities):
                break
            h = next(
                i
                for i, (size, cap) in enumerate(zip(sizes, capacities, strict=True))
                if size >= cap
            )
            self._compact(h)
        # Promotions are views of the level they came from (``_compact``), and level 0
        # may be a view of values handed over (``update(copy=False)``): the few values
        # that stay are copied, so that the large array goes.
        for h in range(len(self._levels)):
            if self._levels[h].base is not None:
                self._levels[h] = self._levels[h].copy()

    def _compact(self, h: int) -> None:
        # Level 0 is unsorted input: quicksort, unless it was promised in order (and a
        # pass confirms it). A level above that is not known to be in order (after a
        # merge of sketches, or small promotions gathered) is a few sorted runs, which
        # the stable sort (timsort) merges in near-linear time. Every level that may be
        # sorted is an array of this sketch's own (a concatenation, a copy or a
        # decoding), so it is sorted in place: no batch-sized copy.
        level = self._levels[h]
        if h == 0:
            if not (self._ordered[0] and is_sorted(level)):
                level.sort(kind="quicksort")
        elif not (self._ordered[h] or is_sorted(level)):
            level.sort(kind="stable")
        keep = level[:1] if level.size % 2 else level[:0]
        pairs = level[keep.size :]
        # Seeded by the sketch's own history: the same input gives the same sketch.
        offset = _offset(self._compactions, h, self._n)
        self._compactions += 1
        promoted = pairs[offset::2]  # a view, in order
        self._levels[h] = keep.copy()
        self._ordered[h] = h > 0  # level 0 waits for the next update's promise
        if h + 1 == len(self._levels):
            self._levels.append(np.empty(0, dtype=_DTYPE))
            self._ordered.append(True)
        above = self._levels[h + 1]
        if not above.size:
            self._levels[h + 1], self._ordered[h + 1] = promoted, True
        elif self._ordered[h + 1] and promoted.size >= _MERGE_FROM:
            # A large promotion into a level in order: merged in one pass, where a
            # concatenation would be checked and sorted again. Each value of the level
            # goes before the promoted values equal to it, where the stable sort of
            # (level, promoted) puts it: the same array, bit for bit (-0.0 and 0.0).
            at = np.searchsorted(promoted, above, side="left")
            self._levels[h + 1] = np.insert(promoted, at, above)
        else:
            self._levels[h + 1] = np.concatenate([above, promoted])
            self._ordered[h + 1] = False

    # -- querying ---------------------------------------------------------------------
    @property
    def n(self) -> int:
        return self._n

    @property
    def k(self) -> int:
        return self._k

    @property
    def num_retained(self) -> int:
        return sum(lv.size for lv in self._levels)

    @property
    def is_exact(self) -> bool:
        return self._compactions == 0

    @property
    def rank_error(self) -> float:
        """Normalised rank error bound (99th percentile), zero while exact.

        The constant is DataSketches' empirical fit for single-sided KLL queries.
        """
        if self.is_exact:
            return 0.0
        return 2.296 / self._k**0.9723

    def _sorted_view(self) -> tuple[np.ndarray, np.ndarray]:
        values = np.concatenate(self._levels)
        weights = np.concatenate(
            [np.full(lv.size, 2**h, dtype=np.float64) for h, lv in enumerate(self._levels)]
        )
        order = np.argsort(values, kind="stable")
        return values[order].astype(np.float64), np.cumsum(weights[order])

    def quantiles(self, ranks: Sequence[float] | np.ndarray) -> np.ndarray:
        ranks = np.asarray(ranks, dtype=np.float64)
        if self._n == 0:
            return np.full(ranks.shape, np.nan)
        values, cum = self._sorted_view()
        idx = np.searchsorted(cum, ranks * cum[-1], side="left")
        return values[np.clip(idx, 0, values.size - 1)]

    def cdf(self, points: Sequence[float] | np.ndarray, *, inclusive: bool = True) -> np.ndarray:
        points = np.asarray(points, dtype=np.float64)
        if self._n == 0:
            return np.zeros(points.shape)
        values, cum = self._sorted_view()
        idx = np.searchsorted(values, points, side="right" if inclusive else "left")
        total = cum[-1]
        below = np.where(idx > 0, cum[np.maximum(idx - 1, 0)], 0.0)
        return below / total

    # -- serialisation ----------------------------------------------------------------
    def to_b64(self) -> str:
        header = np.array(
            [self._k, self._n, self._compactions, len(self._levels)]
            + [lv.size for lv in self._levels],
            dtype="<i8",
        )
        body = np.concatenate(self._levels)
        # Values that float32 holds exactly (whole numbers below 2**24, say) are written
        # as float32: half the bytes, read back the same (``from_b64`` tells the width).
        with np.errstate(over="ignore"):  # beyond float32's range: inf, so not equal
            narrow = body.astype("<f4")
        body = narrow if np.array_equal(narrow, body) else body.astype("<f8")
        return b64(header.tobytes() + body.tobytes())

    @classmethod
    def from_b64(cls, text: str) -> KllSketch:
        raw = unb64(text)
        fixed = np.frombuffer(raw[:32], dtype="<i8")
        k, n, compactions, depth = (int(x) for x in fixed)
        if not (8 <= k <= 65536 and n >= 0 and 1 <= depth <= 64):
            raise ValueError("bad quantile sketch header")
        sizes = np.frombuffer(raw[32 : 32 + 8 * depth], dtype="<i8")
        rest = raw[32 + 8 * depth :]
        held = int(sizes.sum())
        # float64 values, or float32 (values it holds exactly, or any value in a sketch
        # saved before 2026-12-01).
        width = len(rest) // held if held and len(rest) % held == 0 else 8
        if width not in (4, 8) or len(rest) != width * held:
            raise ValueError("quantile sketch is truncated")
        body = np.frombuffer(rest, dtype="<f4" if width == 4 else "<f8")
        out = cls(k)
        out._n, out._compactions = n, compactions
        bounds = np.cumsum(np.concatenate([[0], sizes]))
        out._levels = [body[bounds[i] : bounds[i + 1]].astype(_DTYPE) for i in range(depth)]
        out._ordered = [False] * depth
        return out


def _level(levels: list[np.ndarray], h: int) -> np.ndarray:
    return levels[h] if h < len(levels) else np.empty(0, dtype=_DTYPE)
