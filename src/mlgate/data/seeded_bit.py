"""The random bit of a KLL compaction, from a seed, in pure Python.

The bit is exactly ``numpy.random.default_rng(seed).integers(2)`` for a tuple of
non-negative integers: NumPy's ``SeedSequence`` (Melissa O'Neill's ``seed_seq_fe``
entropy hashing) seeds a PCG64 generator (O'Neill, "PCG: A Family of Simple Fast
Space-Efficient Statistically Good Algorithms for Random Number Generation", 2014;
XSL-RR output of a 128-bit LCG), whose first 32-bit draw is mapped onto {0, 1} by
Lemire's multiply-shift ("Fast Random Integer Generation in an Interval", 2019).

Why not call NumPy: importing ``numpy.random`` costs about 19 ms of start-up, a tenth
of ``check data`` on small files, for one bit per compaction; and a bit computed here
cannot change with NumPy's version, so a profile stays the same bit for bit across
upgrades. Tests hold the two equal over thousands of seeds.
"""

from __future__ import annotations

_M32 = 0xFFFF_FFFF
_M64 = (1 << 64) - 1
_M128 = (1 << 128) - 1
# SeedSequence's hashing constants (numpy/random/bit_generator.pyx).
_INIT_A = 0x43B0D7E5
_MULT_A = 0x931E8875
_INIT_B = 0x8B51F9DD
_MULT_B = 0x58F38DED
_MIX_MULT_L = 0xCA01F9DD
_MIX_MULT_R = 0x4973F715
_POOL_SIZE = 4
# PCG's default 128-bit LCG multiplier.
_PCG_MULT = 0x2360ED051FC65DA44385DF649FCCF645


def seeded_bit(seed: tuple[int, ...]) -> int:
    """``numpy.random.default_rng(seed).integers(2)`` for non-negative integers: 0 or 1.

    Raises ``ValueError`` for a negative integer (NumPy refuses those too) or an empty
    seed.
    """
    if not seed or any(x < 0 for x in seed):
        raise ValueError(f"a seed is one or more non-negative integers, got {seed!r}")
    words = [w for x in seed for w in _uint32_words(x)]
    state = _generate_state(_pool(words))
    # PCG64 seeding (pcg64_set_seed): state from words 0-1, stream from words 2-3.
    initstate = (state[0] << 64) | state[1]
    inc = ((((state[2] << 64) | state[3]) << 1) | 1) & _M128
    lcg = inc  # a step from state 0
    lcg = ((lcg + initstate) * _PCG_MULT + inc) & _M128
    lcg = (lcg * _PCG_MULT + inc) & _M128  # the first draw steps, then outputs
    rotation = lcg >> 122
    folded = ((lcg >> 64) ^ lcg) & _M64
    output = ((folded >> rotation) | (folded << ((64 - rotation) & 63))) & _M64
    # integers(2): Lemire's method on the low 32 bits; its threshold for 2 is 0.
    return ((output & _M32) * 2) >> 32


def _uint32_words(x: int) -> list[int]:
    """An integer as little-endian 32-bit words, as SeedSequence coerces it."""
    if x == 0:
        return [0]
    out = []
    while x:
        out.append(x & _M32)
        x >>= 32
    return out


def _pool(entropy: list[int]) -> list[int]:
    """SeedSequence.mix_entropy: the 4-word pool hashed from the entropy words."""
    hash_const = _INIT_A

    def hashmix(value: int) -> int:
        nonlocal hash_const
        value = (value ^ hash_const) & _M32
        hash_const = (hash_const * _MULT_A) & _M32
        value = (value * hash_const) & _M32
        return value ^ (value >> 16)

    def mix(x: int, y: int) -> int:
        result = (_MIX_MULT_L * x - _MIX_MULT_R * y) & _M32
        return result ^ (result >> 16)

    pool = [hashmix(entropy[i] if i < len(entropy) else 0) for i in range(_POOL_SIZE)]
    for src in range(_POOL_SIZE):
        for dst in range(_POOL_SIZE):
            if src != dst:
                pool[dst] = mix(pool[dst], hashmix(pool[src]))
    for word in entropy[_POOL_SIZE:]:
        for dst in range(_POOL_SIZE):
            pool[dst] = mix(pool[dst], hashmix(word))
    return pool


def _generate_state(pool: list[int]) -> list[int]:
    """SeedSequence.generate_state(4, np.uint64): four 64-bit words."""
    hash_const = _INIT_B
    words = []
    for i in range(2 * 4):
        value = (pool[i % _POOL_SIZE] ^ hash_const) & _M32
        hash_const = (hash_const * _MULT_B) & _M32
        value = (value * hash_const) & _M32
        words.append(value ^ (value >> 16))
    return [words[2 * i] | (words[2 * i + 1] << 32) for i in range(4)]
