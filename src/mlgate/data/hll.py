"""A HyperLogLog distinct-count sketch over 64-bit hashes, in NumPy.

Why not DataSketches' HLL: its Python binding takes one value per call, and feeding a
5M-row file's distinct values one by one took half of a profile's time. Here a batch of
hashes (``mlgate.data.hashing``) updates the registers with one ``np.maximum.at``.

2**12 registers of one byte: a relative standard error of 1.04/sqrt(4096), about 1.6%,
the same as DataSketches' HLL at lg_k = 12, in 4 KB before compression. Merging takes
the registers' maximum, so the merge of parts is exactly the sketch of the whole, and
the order values arrive in does not matter. The estimate is Ertl's improved raw
estimator ("New cardinality estimation algorithms for HyperLogLog sketches", 2017,
algorithm 6), which needs no bias tables and is accurate from one value up.
"""

from __future__ import annotations

import math
import struct

import numpy as np

from mlgate.data._slices import CHUNK
from mlgate.data.hashing import hash_floats
from mlgate.data.sketches import b64, unb64

P = 12
M = 1 << P
#: Bits of a hash left after the register index.
Q = 64 - P
STANDARD_ERROR = 1.04 / math.sqrt(M)
_ALPHA_INF = 1.0 / (2.0 * math.log(2.0))
_MAGIC = b"MLHL"
_HEADER = struct.Struct("<4sBB")  # magic, version, p
_VERSION = 1


def _ranks(hashes: np.ndarray) -> np.ndarray:
    """1 + the number of leading zeros of each hash's last Q bits, at most Q + 1.

    The Q bits with a 1 appended fit float64's 53-bit mantissa exactly, so the float's
    exponent is their bit length, with no rounding. They are converted as int64 (which
    they fit): NumPy converts int64 to float64 in SIMD, uint64 ten times slower.
    """
    rest = (hashes << np.uint64(P)) >> np.uint64(P - 1)
    rest |= np.uint64(1)
    # The biased exponent e + 1023 of a value with bit length e + 1.
    exponent = rest.view(np.int64).astype(np.float64).view(np.uint64) >> np.uint64(52)
    return (np.uint64(Q + 1 + 1023) - exponent).astype(np.uint8)


_LOW_BITS = np.uint64((1 << Q) - 1)
#: The lowest register from which hashes are filtered before the scatter: at 1 the
#: filter's three passes cost what skipping half the hashes saves.
_FILTER_FROM = 2


def _update(registers: np.ndarray, hashes: np.ndarray) -> None:
    """Raise each hash's register (its top P bits) to the hash's rank."""
    floor = int(registers.min())
    if floor > Q:
        return
    if floor >= _FILTER_FROM:
        # A hash whose rank is at most the lowest register's raises none, and rank > floor
        # exactly when the last Q bits are below 2**(Q - floor): a fraction 2**-floor of
        # the hashes (a 16th from about 50 values a register) goes on to the scatter.
        # np.compress, not a boolean index: a third of the time on a random mask.
        hashes = np.compress((hashes & _LOW_BITS) < np.uint64(1 << (Q - floor)), hashes)
    # Indices below 2**P: an int64 view indexes faster than uint64 (no conversion).
    index = (hashes >> np.uint64(Q)).view(np.int64)
    np.maximum.at(registers, index, _ranks(hashes))


def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y, z = 1.0, x
    while True:
        x *= x
        previous = z
        z += x * y
        y += y
        if z == previous:
            return z


def _tau(x: float) -> float:
    if x in (0.0, 1.0):
        return 0.0
    y, z = 1.0, 1.0 - x
    while True:
        x = math.sqrt(x)
        previous = z
        y *= 0.5
        z -= (1.0 - x) ** 2 * y
        if z == previous:
            return z / 3.0


class HllSketch:
    """Distinct count of a set of 64-bit hashes, about 1.6% relative standard error."""

    __slots__ = ("_registers",)

    def __init__(self, registers: np.ndarray | None = None) -> None:
        self._registers = registers if registers is not None else np.zeros(M, dtype=np.uint8)

    @classmethod
    def of(cls, hashes: np.ndarray) -> HllSketch:
        """The sketch of a set of 64-bit hashes (uint64, any shape, repeats allowed)."""
        hashes = np.asarray(hashes, dtype=np.uint64).ravel()
        registers = np.zeros(M, dtype=np.uint8)
        # Slice by slice: slice-sized temporaries stay in cache and are reused.
        for start in range(0, hashes.size, CHUNK):
            part = hashes[start : start + CHUNK]
            _update(registers, part)
        return cls(registers)

    @classmethod
    def of_floats(cls, values: np.ndarray) -> HllSketch:
        """``HllSketch.of(hash_floats(values))``, hashed a slice at a time into one
        reused buffer instead of a batch-sized array of hashes."""
        values = np.asarray(values, dtype=np.float64).ravel()
        registers = np.zeros(M, dtype=np.uint8)
        scratch = np.empty(min(CHUNK, values.size), dtype=np.uint64)
        for start in range(0, values.size, CHUNK):
            part = values[start : start + CHUNK]
            _update(registers, hash_floats(part, out=scratch[: part.size]))
        return cls(registers)

    def merged(self, other: HllSketch) -> HllSketch:
        return HllSketch(np.maximum(self._registers, other._registers))

    @property
    def estimate(self) -> float:
        counts = np.bincount(self._registers, minlength=Q + 2).astype(np.float64)
        if counts[0] == M:
            return 0.0
        z = M * _tau(1.0 - counts[Q + 1] / M)
        for k in range(Q, 0, -1):
            z = 0.5 * (z + counts[k])
        z += M * _sigma(counts[0] / M)
        return _ALPHA_INF * M * M / z

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HllSketch) and np.array_equal(self._registers, other._registers)

    __hash__ = None  # type: ignore[assignment]

    def to_bytes(self) -> bytes:
        return _HEADER.pack(_MAGIC, _VERSION, P) + self._registers.tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> HllSketch:
        if len(data) != _HEADER.size + M:
            raise ValueError("damaged sketch (wrong length)")
        magic, version, p = _HEADER.unpack_from(data)
        if magic != _MAGIC or version != _VERSION or p != P:
            raise ValueError("damaged sketch (not an mlgate HLL sketch)")
        registers = np.frombuffer(data, dtype=np.uint8, offset=_HEADER.size).copy()
        if int(registers.max()) > Q + 1:
            raise ValueError("damaged sketch (register out of range)")
        return cls(registers)

    def to_b64(self) -> str:
        return b64(self.to_bytes())

    @classmethod
    def from_b64(cls, text: str) -> HllSketch:
        return cls.from_bytes(unb64(text))
