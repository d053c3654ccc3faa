"""CPU work off the event loop: worker threads under a capacity limiter sized to the machine.

numba kernels release the GIL (`nogil`), so `cpu_workers` threads really run in parallel while
the event loop keeps serving requests. Busy time is measured so `stats()` can report utilisation.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import anyio

_T = TypeVar("_T")


class CpuPool:
    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.limiter = anyio.CapacityLimiter(workers)
        self._lock = threading.Lock()
        self._busy_seconds = 0.0
        self._in_flight: dict[int, float] = {}
        self._started = time.perf_counter()
        self.calls = 0

    async def run(self, fn: Callable[..., _T], *args: Any) -> _T:
        """Run fn(*args) in a worker thread; cancellation waits for the thread to return (CPU
        loops stop early by polling their task's cancel_event)."""
        return await anyio.to_thread.run_sync(self._timed, fn, args, limiter=self.limiter)

    def _timed(self, fn: Callable[..., _T], args: tuple[Any, ...]) -> _T:
        t0 = time.perf_counter()
        me = threading.get_ident()
        with self._lock:
            self._in_flight[me] = t0
        try:
            return fn(*args)
        finally:
            dt = time.perf_counter() - t0
            with self._lock:
                del self._in_flight[me]
                self._busy_seconds += dt
                self.calls += 1

    def busy_seconds(self) -> float:
        """Worker time spent in calls so far, including calls still running."""
        now = time.perf_counter()
        with self._lock:
            return self._busy_seconds + sum(now - t0 for t0 in self._in_flight.values())

    def stats(self) -> dict[str, Any]:
        elapsed = max(1e-9, time.perf_counter() - self._started)
        busy = self.busy_seconds()
        return {
            "workers": self.workers,
            "in_use": self.limiter.borrowed_tokens,
            "waiting": self.limiter.statistics().tasks_waiting,
            "calls": self.calls,
            "busy_seconds": round(busy, 6),
            "utilisation": round(busy / (elapsed * self.workers), 6),
        }


def rss_bytes() -> int:
    """Current resident set size of this process (Linux /proc; else the peak from getrusage)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return peak_rss_bytes()


def peak_rss_bytes() -> int:
    """Peak resident set size from getrusage; 0 where the `resource` module does not exist
    (Windows), imported here so the engine's import path stays portable."""
    try:
        import resource
    except ImportError:
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)
