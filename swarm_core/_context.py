"""The engine's WorkContext: one per running task, handed to agent handlers and strategies."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import anyio

from swarm_core._checkpoint import Checkpoint
from swarm_core._config import EngineConfig
from swarm_core._exceptions import (
    TaskCancelledError,
    TaskFailedError,
    ValidationError,
)
from swarm_core._tasks import TaskRun
from swarm_core._types import (
    AgentInfo,
    AgentType,
    SwarmInfo,
    TaskInfo,
    TaskKind,
    TaskStatus,
    parse_agent_type,
    parse_task_kind,
)
from swarm_core.store._writer import UPDATE, UPSERT

if TYPE_CHECKING:
    from swarm_core._engine import Engine

_T = TypeVar("_T")
PROGRESS_PERSIST_INTERVAL = 0.25  # seconds between persisted progress updates of one task


class Context:
    """Implements `swarm_core._work.WorkContext` for one task run."""

    def __init__(self, engine: Engine, run: TaskRun, agent: AgentInfo | None) -> None:
        self._engine = engine
        self._run = run
        self._agent = agent
        self._topology: Any = None
        self._last_persist = 0.0

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def config(self) -> EngineConfig:
        return self._engine.config

    @property
    def task(self) -> TaskInfo:
        return self._run.info

    @property
    def swarm(self) -> SwarmInfo:
        return self._engine._swarms[self._run.info.swarm_id]

    @property
    def agent(self) -> AgentInfo | None:
        return self._agent

    @property
    def topology(self) -> Any:
        if self._topology is None:
            self._topology = self._engine._topology_of(self._run.info.swarm_id)
        return self._topology

    @property
    def cancel_event(self) -> threading.Event:
        return self._run.cancel_event

    def agents(
        self, type: AgentType | str | None = None, *, kind: TaskKind | str | None = None
    ) -> list[AgentInfo]:
        live = list(self._engine._swarm_agents.get(self._run.info.swarm_id, {}).values())
        if type is not None:
            atype, role = parse_agent_type(type)
            live = [a for a in live if a.type is atype and (role == atype.value or a.role == role)]
        if kind is not None:
            types = self._engine._types_for(parse_task_kind(kind))
            live = [a for a in live if a.type in types]
        return live

    def check_cancelled(self) -> None:
        if self._run.cancel_flag:
            raise TaskCancelledError(f"task {self._run.id} was cancelled")

    async def report_progress(self, fraction: float, message: str | None = None) -> None:
        if (
            isinstance(fraction, bool)
            or not isinstance(fraction, int | float)
            or not math.isfinite(fraction)
        ):
            raise ValidationError(
                "fraction", f"progress must be a number in 0..1, got {fraction!r}"
            )
        info = self._run.info
        info.progress = min(1.0, max(0.0, float(fraction)))
        info.progress_message = None if message is None else str(message)[:500]
        now = time.monotonic()
        if now - self._last_persist >= PROGRESS_PERSIST_INTERVAL or info.progress >= 1.0:
            self._last_persist = now
            self._engine._writer.row(
                "task",
                UPDATE,
                {
                    "id": info.id,
                    "progress": info.progress,
                    "progress_message": info.progress_message,
                },
            )
            self._engine._notify("task", info.id)
        cb = self._run.progress_cb
        if cb is not None:
            try:
                await cb(info.progress, 1.0, info.progress_message)
            except Exception:  # a client that went away must not fail the work
                from swarm_core._core import log

                log.debug("progress callback failed", exc_info=True)

    async def run_cpu(self, fn: Callable[..., _T], *args: Any) -> _T:
        self.check_cancelled()
        return await self._engine._pool.run(fn, *args)

    async def dispatch(
        self,
        agent_id: str,
        kind: TaskKind | str,
        payload: Mapping[str, Any],
        *,
        timeout_seconds: float | None = None,
        stored_result: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        self.check_cancelled()
        eng = self._engine
        swarm = eng._swarm(self._run.info.swarm_id)
        inline = self._agent is not None and agent_id == self._agent.id
        remaining = None
        if self._run.deadline is not None:
            remaining = max(0.001, self._run.deadline - anyio.current_time())
        if timeout_seconds is None:
            timeout_seconds = remaining
        child, batch = eng._submit_now(
            swarm,
            str(kind),
            payload,
            agent_ids=[agent_id],
            priority=self._run.info.priority,
            timeout_seconds=timeout_seconds,
            parent=self._run,
            inline=inline,
        )
        child.stored_result = stored_result
        try:
            await batch.wait()
            if inline:
                assert self._agent is not None
                await eng._run_inline(child, self._agent)
            else:
                await child.wait_done()
        except BaseException:
            if not child.status.is_final:
                with anyio.CancelScope(shield=True):
                    eng._request_cancel(child)
            raise
        info = child.info
        if info.status is TaskStatus.COMPLETED:
            return dict(info.result or {})
        if info.status in (TaskStatus.CANCELLED, TaskStatus.INTERRUPTED):
            raise TaskCancelledError(f"child task {info.id} was {info.status.value}")
        raise TaskFailedError(info.id, info.error)

    async def save_model(self, net: Any, meta: Mapping[str, Any]) -> str:
        info = await self._engine._save_model(
            self._run.info.swarm_id,
            net,
            meta,
            agent_id=self._agent.id if self._agent else None,
            task_id=self._run.id,
        )
        return info.id

    async def load_model(self, model_id: str) -> tuple[Any, dict[str, Any]]:
        return await self._engine._load_model(model_id)

    async def load_data(self, spec: Any) -> Any:
        return await self._engine._load_data(spec, self._run.data_roots)

    async def load_table(self, spec: Any, options: Any = None) -> Any:
        return await self._engine._load_table(spec, options, self._run.data_roots)

    def table_limits(self) -> Any:
        return self._engine.table_limits()

    def prep_limits(self) -> Any:
        return self._engine.prep_limits()

    # -- training checkpoints ---------------------------------------------------------------

    @property
    def checkpoint_seconds(self) -> float:
        return self._engine.config.checkpoint_seconds

    @property
    def resume_requested(self) -> bool:
        return self._run.resume_requested

    @property
    def checkpoint(self) -> Checkpoint | None:
        return self._run.checkpoint  # type: ignore[no-any-return]

    def save_checkpoint(self, ckpt: Checkpoint) -> None:
        """Queue `ckpt` as this task's only checkpoint (committed with the next group commit;
        deleted with the task's final state when it completes or is cancelled)."""
        self._run.checkpointed = True
        self._engine._writer.row("checkpoint", UPSERT, ckpt.row())

    async def emit(self, kind: str, data: Mapping[str, Any] | None = None) -> None:
        if not isinstance(kind, str) or not kind.strip() or len(kind) > 64:
            raise ValidationError(
                "kind", "event kind must be a non-empty string of at most 64 characters"
            )
        self._engine._emit(kind, self._run.info.swarm_id, self._run.id, data)
