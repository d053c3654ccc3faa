"""One swarm engine per process, opened off the handshake path and closed exactly once.

The `mcp` SDK enters the server lifespan once per stdio process and once per streamable-HTTP
app, but once per *connection* on SSE; the engine must outlive all of them. An
:class:`EngineHolder` therefore owns the engine in a dedicated task (anyio context managers must
be exited by the task that entered them) and hands it out to any number of connections.

The engine module (SQLAlchemy, ~0.25 s) is imported in a worker thread after the first request
has been answered: `initialize` never waits for it. Its types are imported for the type checker
only; at run time the edge imports nothing of swarm_core but its small exceptions module.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Literal

import anyio
import anyio.abc

from ruv_swarm_mcp._config import ServerConfig
from ruv_swarm_mcp._exceptions import EngineUnavailableError

if TYPE_CHECKING:
    from swarm_core import Engine, EngineConfig, JitWarmup

log = logging.getLogger("ruv_swarm_mcp")

ChangeListener = Callable[[str, str], None]
WarmupState = Literal["off", "pending", "running", "done", "failed"]


class EngineHolder:
    def __init__(self, config: ServerConfig) -> None:
        self._config = config
        self._engine: Engine | None = None
        self._error: BaseException | None = None
        self._ready = anyio.Event()
        self._start = anyio.Event()
        self._stop = anyio.Event()
        self._closed = anyio.Event()
        self._running = False
        self._listeners: list[ChangeListener] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._background: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self._warmup: JitWarmup | None = None

    @property
    def running(self) -> bool:
        return self._running

    @property
    def engine_if_open(self) -> Engine | None:
        return self._engine

    def jit_warmup_state(self) -> tuple[WarmupState, float | None]:
        """The background JIT warm-up as (state, seconds it took once ended): state is "off",
        "pending" (the engine is not open yet), "running", "done" or "failed"."""
        if not self._config.jit_warmup:
            return "off", None
        warmup = self._warmup
        if warmup is None:
            return "pending", None
        if not warmup.finished.is_set():
            return "running", None
        seconds = None if warmup.seconds is None else round(float(warmup.seconds), 3)
        return ("done" if warmup.returncode == 0 else "failed"), seconds

    def add_change_listener(self, listener: ChangeListener) -> None:
        self._listeners.append(listener)

    def add_background(self, fn: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run ``fn`` for as long as the holder runs (e.g. the change-notification pump)."""
        self._background.append(fn)

    def warm_up(self) -> None:
        """Ask for the engine to be opened in the background (idempotent, never blocks)."""
        self._start.set()

    async def get(self) -> Engine:
        """The open engine; opens it on first use and waits for it."""
        if self._engine is not None:
            return self._engine
        if not self._running:
            raise EngineUnavailableError("the swarm engine is not running (server shutting down)")
        self._start.set()
        await self._ready.wait()
        if self._engine is None:
            err = self._error
            reason = f"{type(err).__name__}: {err}" if err is not None else "unknown error"
            raise EngineUnavailableError(f"the swarm engine failed to open: {reason}")
        return self._engine

    @asynccontextmanager
    async def running_scope(self) -> AsyncIterator[EngineHolder]:
        """Keep the owner task alive for the duration of the block; close the engine after it."""
        if self._running:
            yield self
            return
        self._running = True
        self._loop = asyncio.get_running_loop()
        # Events are single-use; an in-process server may be served more than once.
        self._ready, self._stop, self._closed = anyio.Event(), anyio.Event(), anyio.Event()
        self._start = anyio.Event()
        self._error = None
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._own)
                for fn in self._background:
                    tg.start_soon(fn)
                try:
                    yield self
                finally:
                    self._stop.set()
                    self._start.set()
                    # Background helpers have no shutdown work; the engine owner closes itself.
                    await self._wait_owner_then_cancel(tg)
        finally:
            self._running = False

    async def _wait_owner_then_cancel(self, tg: anyio.abc.TaskGroup) -> None:
        with anyio.CancelScope(shield=True):
            await self._closed.wait()
        tg.cancel_scope.cancel()

    async def _own(self) -> None:
        # Shielded: the engine is stopped through `_stop`, never by cancelling this task, so a
        # SIGTERM cancellation cannot skip the close that marks running tasks interrupted (the
        # engine bounds that close by its own cancel_wait_seconds). The engine's task group is
        # entered and exited inside this one scope, as anyio requires.
        with anyio.CancelScope(shield=True):
            await self._run_engine()

    @staticmethod
    def _start_jit_warmup() -> JitWarmup | None:
        from swarm_core import start_jit_warmup

        try:
            return start_jit_warmup()
        except OSError as exc:  # no fork/exec here: the first training compiles instead
            log.warning("background JIT warm-up not started: %s", exc)
            return None

    async def _run_engine(self) -> None:
        unsubscribe: Callable[[], None] | None = None
        warmup: JitWarmup | None = None
        try:
            await self._start.wait()
            if self._stop.is_set():
                return
            engine_cls, config_cls = await anyio.to_thread.run_sync(_load_engine)
            settings: dict[str, Any] = {
                "db": self._config.db,
                "synchronous": self._config.synchronous,
                "data_roots": list(self._config.data_roots),
                **self._config.retention,
            }
            engine_config = config_cls(**settings)
            async with engine_cls.open(engine_config) as engine:
                unsubscribe = engine.subscribe(self._on_change)
                if self._config.jit_warmup:
                    warmup = self._warmup = self._start_jit_warmup()
                self._engine = engine
                self._ready.set()
                log.info("swarm engine open (db=%s)", self._config.db or "default")
                try:
                    await self._stop.wait()
                finally:
                    self._engine = None
                    if unsubscribe is not None:
                        unsubscribe()
                    if warmup is not None:
                        await anyio.to_thread.run_sync(warmup.stop)
        except Exception as exc:
            self._error = exc
            # One line where an operator looks; the traceback only for debugging.
            log.error("the swarm engine failed to open or close: %s: %s", type(exc).__name__, exc)
            log.debug("engine failure", exc_info=True)
        finally:
            self._ready.set()
            self._closed.set()

    def _on_change(self, kind: str, subject_id: str) -> None:
        # The engine may report from a worker thread; listeners run on the event loop.
        loop = self._loop
        if loop is None:
            return
        for listener in self._listeners:
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                listener(kind, subject_id)
            else:
                loop.call_soon_threadsafe(listener, kind, subject_id)


def _load_engine() -> tuple[type[Engine], type[EngineConfig]]:
    # Run in a worker thread: the engine's import (SQLAlchemy) must not stall the event loop.
    from swarm_core import Engine, EngineConfig

    return Engine, EngineConfig
