"""What every service shares: one Store, one Writer, the engine's task group and its CPU pool.

Services take a `Plumbing` in their constructor instead of the Engine. It exists before the
engine starts (so services can be built once, in `Engine.__init__`) and raises
EngineClosedError while there is no database behind it. Sharing one Writer is what keeps group
commit across services: rows queued by several services without an await in between commit in
the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from anyio.abc import TaskGroup
from sqlalchemy import Connection

from swarm_core._config import EngineConfig
from swarm_core._exceptions import EngineClosedError
from swarm_core._runtime import CpuPool
from swarm_core.store._db import Store
from swarm_core.store._writer import Writer

_T = TypeVar("_T")

# store reads in flight at once; the file pool holds 8 connections (+16 overflow), and a
# separate limiter keeps reads from queueing behind CPU work on the CpuPool
READ_THREADS = 8

_NOT_STARTED = "the engine is not started (use `async with Engine.open()`)"


class Plumbing:
    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self.pool = CpuPool(config.cpu_workers)
        self.store_: Store | None = None
        self.writer_: Writer | None = None
        self.tg: TaskGroup | None = None
        self.closing = False
        self.started_at = 0.0
        self._read_limiter = anyio.CapacityLimiter(READ_THREADS)

    @property
    def store(self) -> Store:
        if self.store_ is None:
            raise EngineClosedError(_NOT_STARTED)
        return self.store_

    @property
    def writer(self) -> Writer:
        if self.writer_ is None:
            raise EngineClosedError(_NOT_STARTED)
        return self.writer_

    def check_open(self) -> None:
        if self.writer_ is None or self.tg is None:
            raise EngineClosedError(_NOT_STARTED)
        if self.closing:
            raise EngineClosedError("the engine is closing")

    # Every store read goes through these two, on a worker thread: a read on the event loop
    # would stall every other call (and, on :memory:, wait for the writer's lock per commit).

    async def read(self, fn: Callable[[Connection], _T]) -> _T:
        store = self.store
        return await anyio.to_thread.run_sync(store.read, fn, limiter=self._read_limiter)

    async def fast_rows(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        store = self.store
        return await anyio.to_thread.run_sync(
            store.fast_rows, sql, params, limiter=self._read_limiter
        )
