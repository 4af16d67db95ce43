"""Stable 64-bit hashes of values, computed a whole batch at a time with NumPy.

Why mlgate's own: a profile is saved and merged with profiles made later, by another
process or another version of its libraries, so the hash of a value must never change.
Polars' hashes are stable only within one Polars version, and hashlib or xxhash take one
value per call. These are SplitMix64's finaliser over a number's bits, or over a
polynomial hash of a string's UTF-8 bytes (BLAKE2b for strings over 1 KiB); tests pin
their values.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import polars as pl

from mlgate.data._slices import CHUNK

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
# Different seeds per kind of value keep, say, the string "1" and the number 1 apart.
_SEED_FLOAT = np.uint64(0x9E3779B97F4A7C15)
_SEED_INT = np.uint64(0xD1B54A32D192ED03)
_SEED_STRING = np.uint64(0x8CB92BA72F3D8DD7)
_SEED_ROW = np.uint64(0xCA5A826395121157)
_powers = np.ones(1, dtype=np.uint64)
#: Longer strings are hashed one by one with BLAKE2b, not with the vectorised hash.
LONG_STRING = 1024
#: Bytes of strings hashed at once: the working arrays take 8 bytes per byte (2 MB here)
#: and stay in the CPU cache. Slices of 1 MB took a fifth longer and four times the memory.
SLICE_BYTES = 1 << 18
#: The polynomial hash's base: a large odd 64-bit constant.
_BASE = np.uint64(0xC2B2AE3D27D4EB4F)  # xxHash64's second prime


_S27, _S30, _S31 = np.uint64(27), np.uint64(30), np.uint64(31)


def mix64(x: np.ndarray, seed: np.uint64) -> np.ndarray:
    """SplitMix64's finaliser: a bijection of uint64 that spreads every input bit."""
    out = np.array(x, dtype=np.uint64)
    _mix_in_place(out, seed)
    return out


def _mix_in_place(out: np.ndarray, seed: np.uint64) -> None:
    scratch = np.empty(min(CHUNK, out.size), dtype=np.uint64)
    for start in range(0, out.size, CHUNK):
        part = out[start : start + CHUNK]
        tmp = scratch[: part.size]
        part ^= seed
        np.right_shift(part, _S30, out=tmp)
        part ^= tmp
        part *= _M1
        np.right_shift(part, _S27, out=tmp)
        part ^= tmp
        part *= _M2
        np.right_shift(part, _S31, out=tmp)
        part ^= tmp


def hash_floats(values: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Hashes of float64 values; 0.0 and -0.0 hash alike (they are equal).

    ``out``, if given, is a uint64 array of the values' size that receives the hashes
    (a caller hashing slice by slice reuses one buffer).
    """
    values = np.asarray(values, dtype=np.float64)
    if out is None:
        out = np.empty(values.size, dtype=np.uint64)
    # Adding 0.0 turns -0.0 into 0.0 and leaves every other value alone.
    np.add(values.ravel(), 0.0, out=out.view(np.float64))
    _mix_in_place(out, _SEED_FLOAT)
    return out


def hash_ints(values: np.ndarray) -> np.ndarray:
    return mix64(np.asarray(values, dtype=np.int64).view(np.uint64), _SEED_INT)


def hash_row_hashes(values: np.ndarray) -> np.ndarray:
    """Spread another hash function's output (Polars' row hashes) evenly."""
    return mix64(np.asarray(values, dtype=np.uint64), _SEED_ROW)


def _power_table(n: int) -> np.ndarray:
    global _powers
    if _powers.size < n:
        table = np.full(max(n, 2 * _powers.size), _BASE, dtype=np.uint64)
        table[0] = 1
        _powers = np.cumprod(table, dtype=np.uint64)  # wraps modulo 2**64, as meant
    return _powers[:n]


def hash_strings(values: pl.Series) -> np.ndarray:
    """Hashes of non-null strings from their UTF-8 bytes (nulls are left out).

    Strings of up to LONG_STRING bytes get the vectorised polynomial hash, a slice of
    about SLICE_BYTES at a time, so the working arrays (8 bytes per input byte) stay
    small; a longer string (a whole document in a cell) gets BLAKE2b on its bytes. Up to
    SMALL_STRINGS strings of SMALL_BYTES in all are gathered in Python, more through
    Arrow: the same bytes either way, so the same hashes.
    """
    values = values.drop_nulls().cast(pl.String)
    if values.len() <= SMALL_STRINGS and (values.str.len_bytes().sum() or 0) <= SMALL_BYTES:
        return _hash_encoded([v.encode("utf-8") for v in values.to_list()])
    return _hash_arrow(values)


#: At most this many strings, of at most this many bytes in all, are gathered in Python
#: rather than through Arrow: the distinct values of a small file's text columns then
#: need no pyarrow, whose import is a twentieth of ``check data``'s start-up.
SMALL_STRINGS = 4096
SMALL_BYTES = 1 << 20


def _hash_encoded(encoded: list[bytes]) -> np.ndarray:
    out = np.empty(len(encoded), dtype=np.uint64)
    long = np.fromiter((len(b) > LONG_STRING for b in encoded), dtype=bool, count=len(encoded))
    short = [b for b in encoded if len(b) <= LONG_STRING]
    offsets = np.zeros(len(short) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in short], out=offsets[1:])
    out[~long] = _hash_short_strings(np.frombuffer(b"".join(short), dtype=np.uint8), offsets)
    for i in np.flatnonzero(long):
        out[i] = _blake2b(encoded[int(i)])
    return out


def _hash_arrow(values: pl.Series) -> np.ndarray:
    import pyarrow as pa

    arr = values.to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.large_string():  # Polars hands out large strings: no cast, no pyarrow.compute
        arr = arr.cast(pa.large_string())
    out = np.empty(len(arr), dtype=np.uint64)
    if len(arr) == 0:
        return out
    lengths = np.diff(_offsets(arr))
    long = lengths > LONG_STRING
    short = arr.filter(pa.array(~long)) if long.any() else arr
    out[~long] = _hash_short_strings(*_buffers(short))
    for i in np.flatnonzero(long):
        out[i] = _blake2b(arr[int(i)].as_buffer())
    return out


def _blake2b(raw: Any) -> int:
    """A long string's hash: BLAKE2b of its bytes (any buffer), as an integer."""
    digest = hashlib.blake2b(raw, digest_size=8, person=b"mlgate")
    return int.from_bytes(digest.digest(), "little")


def _offsets(arr: Any) -> np.ndarray:
    return np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]


def _buffers(arr: Any) -> tuple[np.ndarray, np.ndarray]:
    """A large-string Arrow array's bytes (uint8) and its offsets into them (int64)."""
    data = arr.buffers()[2]
    bytes_ = np.frombuffer(data, dtype=np.uint8) if data is not None else np.empty(0, np.uint8)
    return bytes_, _offsets(arr)


def _hash_short_strings(data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    parts = []
    start, n = 0, offsets.size - 1
    while start < n:
        limit = offsets[start] + SLICE_BYTES
        end = max(start + 1, int(np.searchsorted(offsets, limit, side="right")) - 1)
        parts.append(_hash_string_slice(data, offsets[start : end + 1]))
        start = end
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)


def _hash_string_slice(data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """h = mix64(sum((byte[i] + 1) * BASE**i) ^ length), for every string at once: the
    sums are one cumulative sum over the concatenated bytes, differenced at the string
    boundaries. The + 1 keeps zero bytes from vanishing ("a" + NUL is not "a")."""
    first, last = int(offsets[0]), int(offsets[-1])
    data = data[first:last]
    starts = offsets[:-1] - first
    lengths = np.diff(offsets)
    position = np.arange(data.size, dtype=np.int64) - np.repeat(starts, lengths)
    powers = _power_table(int(lengths.max(initial=0)))
    terms = (data.astype(np.uint64) + np.uint64(1)) * powers[position]
    sums = np.concatenate([np.zeros(1, dtype=np.uint64), np.cumsum(terms, dtype=np.uint64)])
    poly = sums[offsets[1:] - first] - sums[starts]
    return mix64(poly ^ lengths.astype(np.uint64), _SEED_STRING)
