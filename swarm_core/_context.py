"""The engine's WorkContext: one per running task, handed to agent handlers and strategies.

A Context reaches the services it needs (models, datasets, knowledge, memory, checkpoints) and
the Scheduler that runs the task, never the Engine."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio

from swarm_core._checkpoint import Checkpoint
from swarm_core._checkpoints import CheckpointStore
from swarm_core._config import EngineConfig
from swarm_core._datasets import DatasetLoader
from swarm_core._events import EventLog, log
from swarm_core._exceptions import (
    TaskCancelledError,
    TaskFailedError,
    ValidationError,
)
from swarm_core._knowledge_ops import KnowledgeService
from swarm_core._live import LiveState
from swarm_core._memory import MemoryService
from swarm_core._models_registry import ModelService
from swarm_core._plumbing import Plumbing
from swarm_core._registry import Registry
from swarm_core._scheduler import Scheduler
from swarm_core._swarms import SwarmService
from swarm_core._tasks import TaskRun
from swarm_core._types import (
    AgentInfo,
    AgentType,
    DocumentHit,
    MemoryEntry,
    SwarmInfo,
    TaskInfo,
    TaskKind,
    TaskStatus,
    parse_agent_type,
    parse_task_kind,
)
from swarm_core.store._writer import UPDATE

_T = TypeVar("_T")
PROGRESS_PERSIST_INTERVAL = 0.25  # seconds between persisted progress updates of one task


@dataclass(frozen=True)
class WorkServices:
    """What a Context may use; the Engine builds one and hands it to the Scheduler as the
    factory of contexts."""

    plumbing: Plumbing
    live: LiveState
    events: EventLog
    registry: Registry
    swarms: SwarmService
    models: ModelService
    datasets: DatasetLoader
    knowledge: KnowledgeService
    memory: MemoryService
    checkpoints: CheckpointStore

    def __call__(self, host: Scheduler, run: TaskRun, agent: AgentInfo | None) -> Context:
        return Context(self, host, run, agent)


class Context:
    """Implements `swarm_core._work.WorkContext` for one task run."""

    def __init__(
        self, services: WorkServices, host: Scheduler, run: TaskRun, agent: AgentInfo | None
    ) -> None:
        self._s = services
        self._host = host
        self._run = run
        self._agent = agent
        self._topology: Any = None
        self._last_persist = 0.0

    @property
    def config(self) -> EngineConfig:
        return self._s.plumbing.config

    @property
    def task(self) -> TaskInfo:
        return self._run.info

    @property
    def swarm(self) -> SwarmInfo:
        return self._s.live.swarms[self._run.info.swarm_id]

    @property
    def agent(self) -> AgentInfo | None:
        return self._agent

    @property
    def topology(self) -> Any:
        if self._topology is None:
            self._topology = self._s.swarms.topology_of(self._run.info.swarm_id)
        return self._topology

    @property
    def cancel_event(self) -> threading.Event:
        return self._run.cancel_event

    def agents(
        self, type: AgentType | str | None = None, *, kind: TaskKind | str | None = None
    ) -> list[AgentInfo]:
        live = self._s.live.live_agents(self._run.info.swarm_id)
        if type is not None:
            atype, role = parse_agent_type(type)
            live = [a for a in live if a.type is atype and (role == atype.value or a.role == role)]
        if kind is not None:
            types = self._s.registry.types_for(parse_task_kind(kind))
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
            self._s.plumbing.writer.row(
                "task",
                UPDATE,
                {
                    "id": info.id,
                    "progress": info.progress,
                    "progress_message": info.progress_message,
                },
            )
            self._s.events.notify("task", info.id)
        cb = self._run.progress_cb
        if cb is not None:
            try:
                await cb(info.progress, 1.0, info.progress_message)
            except Exception:  # a client that went away must not fail the work
                log.debug("progress callback failed", exc_info=True)

    async def run_cpu(self, fn: Callable[..., _T], *args: Any) -> _T:
        self.check_cancelled()
        return await self._s.plumbing.pool.run(fn, *args)

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
        host = self._host
        swarm = self._s.live.swarm(self._run.info.swarm_id)
        inline = self._agent is not None and agent_id == self._agent.id
        remaining = None
        if self._run.deadline is not None:
            remaining = max(0.001, self._run.deadline - anyio.current_time())
        if timeout_seconds is None:
            timeout_seconds = remaining
        child, batch = host.submit_now(
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
                await host.run_inline(child, self._agent)
            else:
                await child.wait_done()
        except BaseException:
            if not child.status.is_final:
                with anyio.CancelScope(shield=True):
                    host.request_cancel(child)
            raise
        info = child.info
        if info.status is TaskStatus.COMPLETED:
            return dict(info.result or {})
        if info.status in (TaskStatus.CANCELLED, TaskStatus.INTERRUPTED):
            raise TaskCancelledError(f"child task {info.id} was {info.status.value}")
        raise TaskFailedError(info.id, info.error)

    async def save_model(self, net: Any, meta: Mapping[str, Any]) -> str:
        info = await self._s.models.save(
            self._run.info.swarm_id,
            net,
            meta,
            agent_id=self._agent.id if self._agent else None,
            task_id=self._run.id,
        )
        return info.id

    async def load_model(self, model_id: str) -> tuple[Any, dict[str, Any]]:
        return await self._s.models.load(model_id)

    async def load_data(self, spec: Any) -> Any:
        return await self._s.datasets.load_data(spec, self._run.data_roots)

    async def load_table(self, spec: Any, options: Any = None) -> Any:
        return await self._s.datasets.load_table(spec, options, self._run.data_roots)

    def table_limits(self) -> Any:
        return self._s.datasets.table_limits()

    def prep_limits(self) -> Any:
        return self._s.datasets.prep_limits()

    # -- training checkpoints ---------------------------------------------------------------

    @property
    def checkpoint_seconds(self) -> float:
        return self._s.plumbing.config.checkpoint_seconds

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
        self._s.checkpoints.queue_save(ckpt)

    async def emit(self, kind: str, data: Mapping[str, Any] | None = None) -> None:
        if not isinstance(kind, str) or not kind.strip() or len(kind) > 64:
            raise ValidationError(
                "kind", "event kind must be a non-empty string of at most 64 characters"
            )
        self._s.events.emit(kind, self._run.info.swarm_id, self._run.id, data)

    # -- the swarm's knowledge base, memory and agents (researcher, coordinator) --------------

    async def search_knowledge(self, query: str, limit: int = 10) -> list[DocumentHit]:
        return await self._s.knowledge.search(self._run.info.swarm_id, query, limit)

    async def knowledge_passages(self, query: str, limit: int = 10) -> list[Any]:
        return await self._s.knowledge.passages(self._run.info.swarm_id, query, limit)

    async def add_document(
        self, title: str, text: str, metadata: Mapping[str, Any] | None = None
    ) -> str:
        return await self._s.knowledge.add(self._run.info.swarm_id, title, text, metadata)

    async def spawn_agent(
        self,
        type: str,
        *,
        name: str | None = None,
        capabilities: Iterable[str] | None = (),
        cognitive_pattern: str | None = None,
    ) -> AgentInfo:
        swarm = self._s.live.swarm(self._run.info.swarm_id)
        return await self._host.spawn_agent(swarm, type, name, capabilities, cognitive_pattern)

    async def memory_store(
        self, namespace: str, key: str, value: Any, ttl_seconds: float | None = None
    ) -> MemoryEntry:
        return await self._s.memory.store(namespace, key, value, ttl_seconds)

    async def memory_get(self, namespace: str, key: str) -> MemoryEntry:
        return await self._s.memory.get(namespace, key)

    async def memory_delete(self, namespace: str, key: str) -> bool:
        return await self._s.memory.delete(namespace, key)

    async def memory_list(
        self, namespace: str | None = None, prefix: str | None = None, limit: int = 100
    ) -> list[MemoryEntry]:
        return await self._s.memory.list_entries(namespace, prefix, limit)
