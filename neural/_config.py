"""JIT settings shared by every numba kernel of `neural` (one place, so they cannot drift).

* ``nogil=True``: kernels are called concurrently from several Python threads (the swarm engine
  trains many networks at once), so they must release the GIL.
* ``cache=True``: a second process loads machine code from ``__pycache__`` instead of compiling.
* never ``parallel=True``: numba's threading layer is process-global and not safe to enter from
  several Python threads at once; concurrency is the caller's business.
* ``fastmath``: only the flags that let LLVM vectorise and contract sums (reassociation, FMA,
  reciprocal, no signed zeros). ``nnan``/``ninf`` are left out because kernels must still see and
  report non-finite values.
* ``error_model="numpy"``: division by zero gives inf/nan instead of raising (no Python objects).
* ``boundscheck=False``: the public wrappers validate shapes before any kernel runs.

Kernels are compiled lazily on first call; importing `neural` compiles nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Final, TypeVar

import numba

F = TypeVar("F", bound=Callable[..., Any])

FASTMATH_FLAGS: Final[frozenset[str]] = frozenset({"nsz", "arcp", "contract", "reassoc"})

JIT_OPTIONS: Final[dict[str, Any]] = {
    "nogil": True,
    "cache": True,
    "fastmath": set(FASTMATH_FLAGS),
    "error_model": "numpy",
    "boundscheck": False,
}


def jit(func: F) -> F:
    """Compile ``func`` lazily with the package-wide `JIT_OPTIONS`."""
    return numba.njit(**JIT_OPTIONS)(func)  # type: ignore[no-any-return]


def ensure_compiled(kernel: Any, *args: Any) -> float:
    """Compile ``kernel`` for the types of ``args`` now (or load it from the cache).

    Returns the seconds this took, 0.0 when that specialisation was already loaded. Callers
    do this before they start a timer, so a measured training time never includes JIT work.
    """
    sig = tuple(numba.typeof(a) for a in args)
    if sig in kernel.overloads:
        return 0.0
    t0 = time.perf_counter()
    kernel.compile(sig)
    return time.perf_counter() - t0
