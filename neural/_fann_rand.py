"""FANN's weight initialisation, reproduced: glibc's ``rand()`` and ``fann_rand``.

libfann initialises weights with ``fann_rand(lo, hi) = lo + (hi - lo) * rand() / (RAND_MAX + 1.0f)``
in float arithmetic, using the C library's ``rand()``. On glibc that is the additive feedback
generator ``r[i] = r[i-31] + r[i-3]`` (mod 2^32), seeded from ``srand(seed)`` with a
Park-Miller sequence and 310 discarded values, returning ``r[i] >> 1``. Reproducing both lets
``Network.standard(..., init="fann", seed=s)`` start from exactly the weights a libfann program
gets after ``srand(s); fann_randomize_weights(ann, -r, r)``, so results compare like for like.
"""

from __future__ import annotations

from typing import Final

import numpy as np

RAND_MAX: Final[int] = 2147483647
_MASK32: Final[int] = 0xFFFFFFFF


def glibc_rand(seed: int, count: int) -> np.ndarray:
    """The first ``count`` values of glibc's ``rand()`` after ``srand(seed)`` (int64 array)."""
    seed &= _MASK32
    r = [0] * (344 + count)
    r[0] = seed if seed != 0 else 1
    for i in range(1, 31):
        # 16807 * r[i-1] mod (2^31 - 1), with glibc's signed 32-bit Schrage steps
        hi, lo = divmod(r[i - 1] if r[i - 1] < 2**31 else r[i - 1] - 2**32, 127773)
        word = 16807 * lo - 2836 * hi
        if word < 0:
            word += 2147483647
        r[i] = word & _MASK32
    for i in range(31, 34):
        r[i] = r[i - 31]
    for i in range(34, 344 + count):
        r[i] = (r[i - 31] + r[i - 3]) & _MASK32
    return np.array([v >> 1 for v in r[344:]], dtype=np.int64)


def fann_uniform(seed: int, count: int, low: float, high: float) -> np.ndarray:
    """``count`` float32 values of FANN's ``fann_rand(low, high)`` after ``srand(seed)``."""
    f = np.float32
    draws = glibc_rand(seed, count).astype(np.float32)  # C converts rand() to float here
    span = f(high) - f(low)
    return (f(low) + span * draws / f(RAND_MAX + 1.0)).astype(np.float32)
