"""Keep NumPy's BLAS on one thread while training calls it from threads of its own.

OpenBLAS (what NumPy's wheels ship) starts a pool of its own threads for any product above a
few hundred thousand multiply-adds. `neural._train_blas` splits samples over ``threads``
Python threads and calls BLAS from each, so BLAS threads on top would oversubscribe the cores,
make ``threads=1`` use every core and let results depend on the pool size. While at least
one training holds `single_threaded`, BLAS runs on the calling thread only; the original
setting comes back when the last one leaves. The limit is process-wide (that is how BLAS
libraries work), so NumPy products elsewhere in the process are single-threaded meanwhile.

threadpoolctl finds and drives the BLAS library NumPy loaded, whichever it is; when it finds
none it can control, `available` is False and training keeps to the numba kernels. Recent
threadpoolctl lets only the first Python thread that set an OpenBLAS limit change it again
(so that threads do not fight over it); here the reference count under our lock is that
arbitration, so each change first hands control to the thread making it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_lock = threading.Lock()
_users = 0
_limiter: Any = None
_controller: Any = None
_checked = False


def _blas_controller() -> Any:
    """threadpoolctl's view of NumPy's BLAS, or None (looked up once per process)."""
    global _controller, _checked
    with _lock:
        if not _checked:
            _checked = True
            try:
                import numpy  # noqa: F401  (BLAS is found among the loaded libraries)
                from threadpoolctl import ThreadpoolController

                blas = ThreadpoolController().select(user_api="blas")
                _controller = blas if len(blas.lib_controllers) > 0 else None
            except Exception:  # an unknown BLAS build must not break training
                _controller = None
        return _controller


def available() -> bool:
    """True if NumPy's BLAS can be held to one thread (so `neural._train_blas` may run)."""
    return _blas_controller() is not None


def _take_control(blas: Any) -> None:
    for lib in blas.lib_controllers:
        clear = getattr(type(lib), "clear_controlling_thread", None)
        if clear is not None:
            clear(force=True)


@contextmanager
def single_threaded() -> Iterator[None]:
    """BLAS on one thread for the duration (nested and concurrent uses share one limit)."""
    global _users, _limiter
    blas = _blas_controller()
    with _lock:
        if _users == 0 and blas is not None:
            _take_control(blas)
            _limiter = blas.limit(limits=1)
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0 and _limiter is not None:
                _take_control(blas)
                _limiter.restore_original_limits()
                _limiter = None
