"""The Engine: a thin facade composing the services that own the engine's tables.

    Engine
      |- Plumbing        one Store, one Writer (group commit across services), task group, CPU pool
      |- LiveState       what the owning process keeps in memory (live swarms, agents, task runs)
      |- EventLog        event                      (+ the change feed to subscribers)
      |- MemoryService   memory
      |- KnowledgeService document, knowledge_fts
      |- ModelService    model                      DatasetLoader (no table)
      |- SwarmService    swarm, agent, agent_capability
      |- CheckpointStore checkpoint
      |- Scheduler       (runs tasks: task/agent/checkpoint transitions in one commit)
      |- TaskService     task
      |- Transfer        export/import (each owner reads/queues its rows)
      |- SwarmDeleter    delete_swarm (each owner deletes its rows, one transaction)

Every public method is a delegation or composes a few services. Handlers and strategies are
injected (`handlers=`, `strategies=`); the defaults are imported here, on first use, and by no
module below this one.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping
from typing import Any

import anyio
from sqlalchemy import Connection, func, select

from swarm_core._checkpoints import CheckpointStore
from swarm_core._config import EngineConfig, make_config
from swarm_core._context import WorkServices
from swarm_core._datasets import DatasetLoader
from swarm_core._events import EventLog, Subscriber
from swarm_core._exceptions import (
    EngineClosedError,
    InvalidStateError,
    TaskFailedError,
    ValidationError,
)
from swarm_core._export import Transfer
from swarm_core._knowledge_ops import KnowledgeService
from swarm_core._live import LiveState
from swarm_core._memory import MemoryService
from swarm_core._models_registry import ModelService
from swarm_core._paths import DataRoots
from swarm_core._plumbing import Plumbing
from swarm_core._registry import HandlerSource, Registry, StrategySource
from swarm_core._retention import SwarmDeleter
from swarm_core._runtime import peak_rss_bytes, rss_bytes
from swarm_core._scheduler import Scheduler
from swarm_core._swarms import SwarmService
from swarm_core._task_service import TaskService
from swarm_core._tasks import ProgressCallback
from swarm_core._train_spec import train_payload
from swarm_core._types import (
    AgentInfo,
    AgentStatus,
    AgentType,
    DocumentHit,
    Event,
    MemoryEntry,
    ModelInfo,
    SwarmInfo,
    SwarmStatus,
    TaskInfo,
    TaskKind,
    TaskStatus,
)
from swarm_core._work import Handler, HandlerRegistry, StrategyFn, StrategyRegistry
from swarm_core.store._db import Store
from swarm_core.store._tables import TABLES
from swarm_core.store._writer import Writer

log = logging.getLogger("swarm_core")


def _checkpoint_and_close(store: Store) -> None:
    with contextlib.suppress(Exception):
        store.checkpoint()
    store.close()


def default_handlers() -> HandlerRegistry:
    """`swarm_core.agents.HANDLERS` (imported on first use: it loads numpy and `neural`)."""
    from swarm_core.agents import HANDLERS

    return HANDLERS


def default_strategies() -> StrategyRegistry:
    """`swarm_core._strategies.STRATEGIES` (imported on first use, like the handlers)."""
    from swarm_core._strategies import STRATEGIES

    return STRATEGIES


class Engine:
    """A swarm engine over one database.

    Durability promise: when a call that changes state returns (create_swarm, spawn_agent,
    terminate_agent, submit_task, cancel_task, retry_task, complete_external_task, memory_store,
    memory_delete, knowledge_add, import_swarm, delete_swarm, import_model, a model save), every
    row it wrote — and its event — is committed. Concurrent calls are group-committed: one transaction and one
    WAL sync serve many calls, and no call returns before the commit that holds its rows.

    - SQLite file (default; WAL mode) with `synchronous="FULL"` (default): a returned call
      survives a process crash (SIGKILL) and an OS crash or power loss.
    - `synchronous="NORMAL"`: survives a process crash; the last commits may be lost if the OS
      or machine dies (WAL is synced at checkpoints only). Faster for one-at-a-time writers.
    - ":memory:": nothing survives the process. Other SQLAlchemy URLs: the database's commit.

    A running task's own transitions (assigned, running, progress) are committed shortly after
    they happen (next group commit); its final state is committed before wait_task/cancel_task
    report it. Reads serve live state (a running task's progress may be ahead of the disk).

    On start every swarm, agent, task, model, memory entry and document comes back; tasks that
    were pending or running when the process died are marked `interrupted` (retry_task re-runs
    them) and busy agents become idle.
    """

    def __init__(
        self,
        config: EngineConfig | None = None,
        *,
        handlers: HandlerSource | None = None,
        strategies: StrategySource | None = None,
        **overrides: Any,
    ) -> None:
        self.config = make_config(config, **overrides)
        p = self._plumb = Plumbing(self.config)
        live = self._live = LiveState()
        events = self._events = EventLog(p)
        self._registry = Registry(
            handlers if handlers is not None else default_handlers,
            strategies if strategies is not None else default_strategies,
        )
        self._memory = MemoryService(p, live, events)
        self._knowledge = KnowledgeService(p, live, events)
        self._models = ModelService(p, live, events)
        self._datasets = DatasetLoader(self.config, p.pool)
        self._swarms = SwarmService(p, live, events)
        self._checkpoints = CheckpointStore(p)
        contexts = WorkServices(
            plumbing=p,
            live=live,
            events=events,
            registry=self._registry,
            swarms=self._swarms,
            models=self._models,
            datasets=self._datasets,
            knowledge=self._knowledge,
            memory=self._memory,
            checkpoints=self._checkpoints,
        )
        self._scheduler = Scheduler(p, live, events, self._swarms, self._registry, contexts)
        self._tasks = TaskService(p, live, events, self._scheduler, self._checkpoints)
        self._transfer = Transfer(
            p, live, events, self._swarms, self._tasks, self._models, self._knowledge, self._memory
        )
        self._deleter = SwarmDeleter(p, live, events, self._scheduler, self._models)
        self._restored: dict[str, int] = {}

    # -- shared resources (tests and tools reach these) -----------------------------------------

    @property
    def _store(self) -> Store:
        return self._plumb.store

    @property
    def _writer(self) -> Writer:
        return self._plumb.writer

    @property
    def _pool(self) -> Any:
        return self._plumb.pool

    # -- lifecycle ---------------------------------------------------------------------------

    @classmethod
    @contextlib.asynccontextmanager
    async def open(
        cls, config: EngineConfig | None = None, **overrides: Any
    ) -> AsyncIterator[Engine]:
        """`async with Engine.open(config) as engine:` — start (restoring state), then close."""
        engine = cls(config, **overrides)
        await engine.start()
        try:
            yield engine
        finally:
            await engine.close()

    async def __aenter__(self) -> Engine:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        p = self._plumb
        if p.tg is not None:
            raise EngineClosedError("the engine is already started")
        store = Store(self.config.database_url(), synchronous=self.config.synchronous)
        try:
            store.lock_owner()
            await anyio.to_thread.run_sync(store.create)
        except BaseException:
            store.close()
            raise
        state = await anyio.to_thread.run_sync(store.read, self._read_state)
        p.store_ = store
        p.writer_ = Writer(store, max_batch_ops=self.config.max_batch_ops)
        tg = anyio.create_task_group()
        await tg.__aenter__()
        p.tg = tg
        p.started_at = time.time()
        await tg.start(p.writer_.run)
        await self._apply_state(state)
        tg.start_soon(self._scheduler.watchdog)
        tg.start_soon(self._purge_loop)

    # Restoring is the one place that loads the store into LiveState: each owner reads its rows
    # (`_read_state`, on a worker thread) and applies them (`_apply_state`, on the loop).

    @staticmethod
    def _read_state(conn: Connection) -> dict[str, Any]:
        out: dict[str, Any] = {}
        out["swarms"], out["agents"] = SwarmService.read_live_rows(conn)
        out["unfinished"] = TaskService.read_unfinished(conn)
        out["seq"] = {
            name: conn.execute(select(func.max(TABLES[name].c.seq))).scalar() or 0
            for name in ("swarm", "agent", "task", "model", "document")
        }
        return out

    async def _apply_state(self, state: dict[str, Any]) -> None:
        self._live.seq.update(state["seq"])
        self._swarms.restore(state["swarms"], state["agents"])
        self._tasks.interrupt(state["unfinished"])
        self._restored = {
            "swarms": len(state["swarms"]),
            "agents": len(state["agents"]),
            "interrupted_tasks": len(state["unfinished"]),
        }
        await self._plumb.writer.flush()

    async def close(self) -> None:
        """Interrupt unfinished tasks (recorded as `interrupted`), flush every write, stop."""
        p = self._plumb
        if p.tg is None or p.closing:
            return
        p.closing = True
        try:
            tasks = self._live.tasks
            for run in list(tasks.values()):
                self._scheduler.request_cancel(run, interrupt=True)
            with anyio.move_on_after(self.config.cancel_wait_seconds):
                while tasks:
                    await next(iter(tasks.values())).wait_done()
            if p.writer_ is not None:
                await p.writer_.flush()
                p.writer_.close()
        finally:
            tg, p.tg = p.tg, None
            tg.cancel_scope.cancel()
            await tg.__aexit__(None, None, None)
            if p.store_ is not None:
                # the WAL checkpoint does file I/O: a worker thread, finished even if the
                # caller is cancelled meanwhile
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(_checkpoint_and_close, p.store_)

    @property
    def restored(self) -> dict[str, int]:
        """What `start` found in the database (swarms, live agents, tasks marked interrupted)."""
        return dict(self._restored)

    def integrity_check(self) -> str:
        """SQLite's `PRAGMA integrity_check` ("ok" when the file is sound)."""
        return self._plumb.store.integrity_check()

    async def flush(self) -> None:
        """Wait until every write queued so far (including internal progress) is committed."""
        await self._plumb.writer.flush()

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback(kind, subject_id)` (kind: swarm, agent, task, model, memory, document)
        after each change; returns a function that unsubscribes. Runs on the event loop."""
        return self._events.subscribe(callback)

    # -- handler and strategy registries -----------------------------------------------------------

    def register_handler(
        self, agent_type: AgentType | str, kind: TaskKind | str, handler: Handler
    ) -> None:
        """Add or replace the work `agent_type` does for tasks of `kind` (extends the handlers
        the engine was built with, by default agents.HANDLERS)."""
        self._registry.register_handler(agent_type, kind, handler)

    def register_strategy(self, strategy: str, fn: StrategyFn) -> None:
        """Add or replace an orchestration strategy (extends _strategies.STRATEGIES)."""
        self._registry.register_strategy(strategy, fn)

    # -- swarms and agents --------------------------------------------------------------------

    async def create_swarm(
        self,
        name: str | None = None,
        topology: str = "mesh",
        strategy: str = "parallel",
        max_agents: int | None = None,
    ) -> SwarmInfo:
        return await self._swarms.create(name, topology, strategy, max_agents)

    async def get_swarm(self, swarm_id: str) -> SwarmInfo:
        return self._swarms.get(swarm_id)

    async def list_swarms(self) -> list[SwarmInfo]:
        return self._swarms.list_swarms()

    async def resolve_swarm(
        self, swarm_id: str | None = None, *, exclude: Collection[str] = ()
    ) -> SwarmInfo:
        """The given swarm; with None, the most recently created swarm that is not in
        `exclude` (e.g. a benchmark's scratch swarms) and not being deleted."""
        return self._swarms.resolve(swarm_id, exclude=exclude)

    async def swarm_status(self, swarm_id: str) -> SwarmStatus:
        self._live.swarm(swarm_id)
        live_runs = self._live.swarm_runs(swarm_id)
        live_ids = [r.id for r in live_runs]

        def counts(conn: Connection) -> dict[str, Any]:
            return {
                "by_status": TaskService.count_by_status(conn, swarm_id),
                "stored_live": TaskService.stored_status_of(conn, live_ids),
                "terminated": SwarmService.terminated_count(conn, swarm_id),
                "models": ModelService.count_for_swarm(conn, swarm_id),
                "documents": KnowledgeService.count_for_swarm(conn, swarm_id),
                "memory": MemoryService.count_for_swarm(conn, swarm_id),
            }

        c = await self._plumb.read(counts)
        by_status: dict[str, int] = c["by_status"]
        # live tasks may be ahead of their last commit: count them from memory
        for run in live_runs:
            by_status[run.info.status.value] = by_status.get(run.info.status.value, 0) + 1
        for st in c["stored_live"]:
            by_status[st] -= 1
        return self._swarms.status(
            swarm_id,
            terminated=c["terminated"],
            tasks_by_status=by_status,
            models=c["models"],
            documents=c["documents"],
            memory_entries=c["memory"],
        )

    async def spawn_agent(
        self,
        swarm_id: str,
        type: str,
        name: str | None = None,
        capabilities: Iterable[str] | None = (),
        cognitive_pattern: str | None = None,
        *,
        max_task_seconds: float | None = None,
    ) -> AgentInfo:
        """Add an agent to a swarm (LimitExceededError at its max_agents). Each agent runs one
        task at a time; `max_task_seconds` additionally caps how long any of its tasks may run."""
        self._plumb.check_open()
        return await self._scheduler.spawn_agent(
            self._live.swarm(swarm_id),
            type,
            name,
            capabilities,
            cognitive_pattern,
            max_task_seconds=max_task_seconds,
        )

    async def get_agent(self, agent_id: str) -> AgentInfo:
        return await self._swarms.get_agent(agent_id)

    async def query_agents(
        self,
        swarm_id: str | None = None,
        type: str | None = None,
        status: str | None = None,
        capability: str | None = None,
        name: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AgentInfo]:
        """Agents in join order, filtered (all filters combine). `type` may be a role alias
        (e.g. "coder" matches agents spawned with that role); `name` matches a substring."""
        return await self._swarms.query(swarm_id, type, status, capability, name, limit, offset)

    async def query_agents_json(
        self,
        swarm_id: str | None = None,
        type: str | None = None,
        status: str | None = None,
        capability: str | None = None,
        name: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """:meth:`query_agents` as JSON-ready dicts (``model_dump(mode="json")`` of each agent),
        dumped straight from the live records in one pydantic-core call instead of copying
        each one first: the hot read behind the MCP `query_agents` tool."""
        return await self._swarms.query_json(
            swarm_id, type, status, capability, name, limit, offset
        )

    async def terminate_agent(self, agent_id: str) -> AgentInfo:
        """Terminate an agent: its running task is cancelled, tasks bound to it fail."""
        self._plumb.check_open()
        agent = self._live.agents.get(agent_id)
        if agent is None:
            stored = await self.get_agent(agent_id)  # NotFoundError if unknown
            raise InvalidStateError(
                f"agent {agent_id}", stored.status.value, AgentStatus.TERMINATED.value
            )
        running = agent.current_task_id
        batch = self._swarms.terminate_now(agent)
        self._scheduler.on_agent_terminated(agent, running)  # same batch: no await between
        await batch.wait()
        return agent.model_copy()

    async def delete_swarm(self, swarm_id: str) -> dict[str, Any]:
        """Delete a swarm and everything it owns: its tasks (unfinished ones are cancelled
        first), agents, models, checkpoints, memory entries tied to it, documents and its
        events. One `swarm_deleted` event (with the counts) is kept in the log, so readers
        following the log by id learn of it; it ages out with the retention policy.

        Returns {"swarm_id", "cancelled_tasks", "deleted": {table: rows}}. Raises
        InvalidStateError if a cancelled task did not stop within cancel_wait_seconds (the
        swarm is then left in place, its tasks cancelled; call again)."""
        return await self._deleter.delete_swarm(swarm_id)

    async def export_swarm(self, swarm_id: str) -> dict[str, Any]:
        """Everything of a swarm as JSON: agents, tasks, models (weights base64), memory entries
        tied to the swarm, documents. Reflects every committed change (pending writes are flushed)."""
        return await self._transfer.export_swarm(swarm_id)

    async def import_swarm(
        self, data: dict[str, Any], *, require_checksum: bool = False
    ) -> SwarmInfo:
        """Recreate an exported swarm with its ids. Tasks that were not final come back as
        `interrupted`; agents come back idle (or terminated). The export's checksum is
        verified first (see swarm_core._export; an export without one is accepted unless
        `require_checksum`, and the `swarm_imported` event says so)."""
        return await self._transfer.import_swarm(data, require_checksum=require_checksum)

    # -- tasks ---------------------------------------------------------------------------------

    async def submit_task(
        self,
        swarm_id: str,
        kind: str,
        payload: Mapping[str, Any] | None = None,
        *,
        strategy: str | None = None,
        agent_ids: Iterable[str] | None = None,
        priority: int = 0,
        depends_on: Iterable[str] = (),
        timeout_seconds: float | None = None,
        progress: ProgressCallback | None = None,
        data_roots: DataRoots | None = None,
    ) -> TaskInfo:
        """Queue a task; returns once it is committed (status pending, or further along).

        `data_roots`: where the task (and its children) may read files named in its payload,
        besides `EngineConfig.data_roots` (paths, or an async function returning them that is
        called only when a file path is opened; see swarm_core._paths).

        Raises QueueFullError when max_queued_tasks client tasks are waiting to start."""
        return await self._tasks.submit(
            swarm_id,
            kind,
            payload,
            strategy=strategy,
            agent_ids=agent_ids,
            priority=priority,
            depends_on=depends_on,
            timeout_seconds=timeout_seconds,
            progress=progress,
            data_roots=data_roots,
        )

    async def get_task(self, task_id: str) -> TaskInfo:
        return await self._tasks.get(task_id)

    async def wait_task(self, task_id: str, timeout: float | None = None) -> TaskInfo:
        """The task once it is final (or its current state when `timeout` seconds pass first).
        Cancelling the waiter does not cancel the task."""
        return await self._tasks.wait(task_id, timeout)

    async def list_tasks(
        self,
        swarm_id: str | None = None,
        status: str | None = None,
        kind: str | None = None,
        parent_id: str | None = None,
        agent_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[TaskInfo]:
        """Most recent first. Live tasks show their current state."""
        return await self._tasks.list_tasks(swarm_id, status, kind, parent_id, agent_id, limit, offset)

    async def cancel_task(self, task_id: str) -> TaskInfo:
        """Cancel a pending or running task (and its children). A running CPU loop stops at its
        next cancel_event check (training: within one epoch); returns the final state."""
        return await self._tasks.cancel(task_id)

    async def retry_task(
        self, task_id: str, resume: bool = True, *, data_roots: DataRoots | None = None
    ) -> TaskInfo:
        """Queue a failed, cancelled or interrupted task again (same id, attempts + 1).

        A train task with a stored checkpoint continues from it when `resume` is true: the
        checkpointed network trains for the epochs left, and the result's history joins the
        checkpointed epochs with the new ones (`resumed_from_epoch`). Without a checkpoint, or
        with `resume=False` (which discards the checkpoint), it trains from scratch and the
        result says so. `data_roots` are the retrying caller's (see `submit_task`): the first
        run's are not kept."""
        return await self._tasks.retry(task_id, resume, data_roots=data_roots)

    async def complete_external_task(
        self, task_id: str, result: dict[str, Any] | None = None, error: str | None = None
    ) -> TaskInfo:
        """Report the outcome of a task waiting on an external agent (the client's sub-agent)."""
        return await self._tasks.complete_external(task_id, result, error)

    async def checkpoint_info(self, task_id: str) -> dict[str, Any] | None:
        """The stored checkpoint of a task without its network: epochs done, when, its size,
        the last MSE and whether it holds the optimizer state (None when the task has none)."""
        return await self._checkpoints.info(task_id)

    # -- retention -----------------------------------------------------------------------------

    async def purge_stale_checkpoints(self) -> int:
        """Bound checkpoint storage: drop those older than `checkpoint_max_age_seconds` and all
        but the newest `max_checkpoints`, never one of a task still pending or running (those
        are kept for resume). Returns how many were removed."""
        return await self._checkpoints.purge_stale(self._live.tasks)

    async def purge_finished_tasks(self) -> int:
        """Apply the task retention policy now; returns how many task rows were deleted."""
        return await self._tasks.purge_finished()

    async def purge_old_events(self) -> int:
        """Apply the event retention policy now; returns how many events were deleted."""
        return await self._events.purge_old_events()

    async def purge_history(self) -> dict[str, int]:
        return {"tasks": await self.purge_finished_tasks(), "events": await self.purge_old_events()}

    async def purge_expired_memory(self) -> int:
        """Delete expired entries from disk now; returns how many were removed."""
        return await self._memory.purge_expired()

    async def _purge_loop(self) -> None:
        while True:
            await anyio.sleep(self.config.memory_purge_interval)
            try:
                await self.purge_expired_memory()
                await self.purge_stale_checkpoints()
                await self.purge_history()
            except Exception:
                log.exception("purge of expired memory / checkpoints / old tasks and events failed")

    # -- memory ------------------------------------------------------------------------------

    async def memory_store(
        self,
        namespace: str,
        key: str,
        value: Any,
        ttl_seconds: float | None = None,
        *,
        swarm_id: str | None = None,
    ) -> MemoryEntry:
        """Set a value (any JSON); `ttl_seconds` makes it expire; `swarm_id` ties it to a swarm
        (exported with it)."""
        return await self._memory.store(namespace, key, value, ttl_seconds, swarm_id=swarm_id)

    async def memory_get(self, namespace: str, key: str) -> MemoryEntry:
        """The live entry; NotFoundError if absent or expired."""
        return await self._memory.get(namespace, key)

    async def memory_list(
        self,
        namespace: str | None = None,
        prefix: str | None = None,
        limit: int = 100,
        *,
        swarm_id: str | None = None,
        offset: int = 0,
    ) -> list[MemoryEntry]:
        return await self._memory.list_entries(namespace, prefix, limit, swarm_id=swarm_id, offset=offset)

    async def memory_delete(self, namespace: str, key: str) -> bool:
        """Delete an entry; True if a live entry existed."""
        return await self._memory.delete(namespace, key)

    # -- knowledge ---------------------------------------------------------------------------

    async def knowledge_add(
        self, swarm_id: str, title: str, text: str, metadata: Mapping[str, Any] | None = None
    ) -> str:
        """Store and index a document; returns its id once both are committed."""
        return await self._knowledge.add(swarm_id, title, text, metadata)

    async def knowledge_search(
        self, swarm_id: str, query: str, limit: int = 10
    ) -> list[DocumentHit]:
        """Best documents of a swarm for `query` (BM25 over FTS5; higher score is better)."""
        return await self._knowledge.search(swarm_id, query, limit)

    async def knowledge_passages(self, swarm_id: str, query: str, limit: int = 10) -> list[Any]:
        """Best passages (chunks) of a swarm's documents, for extractive answers."""
        return await self._knowledge.passages(swarm_id, query, limit)

    # -- models ------------------------------------------------------------------------------

    async def get_model(self, model_id: str) -> ModelInfo:
        return await self._models.get(model_id)

    async def model_history(self, model_id: str) -> dict[str, Any]:
        return await self._models.history(model_id)

    async def list_models(
        self, swarm_id: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[ModelInfo]:
        return await self._models.list_models(swarm_id, limit, offset)

    async def export_model(self, model_id: str, format: str = "native") -> bytes | str:
        """native: the `neural` binary (bytes); fann: FANN 2.x `.net` text (str)."""
        return await self._models.export(model_id, format)

    async def import_model(
        self, swarm_id: str, content: bytes | str, format: str = "native", name: str | None = None
    ) -> ModelInfo:
        """Store a network given as native bytes (or base64 text) or FANN `.net` text."""
        return await self._models.import_(swarm_id, content, format, name)

    def table_limits(self) -> Any:
        return self._datasets.table_limits()

    def prep_limits(self) -> Any:
        return self._datasets.prep_limits()

    # -- events ------------------------------------------------------------------------------

    async def events(
        self,
        since_id: int = 0,
        limit: int = 100,
        swarm_id: str | None = None,
        kind: str | None = None,
    ) -> list[Event]:
        """Events with id > since_id, oldest first (append-only; ids only grow)."""
        return await self._events.events(since_id, limit, swarm_id, kind)

    # -- monitoring --------------------------------------------------------------------------

    async def stats(self) -> dict[str, Any]:
        """Real measurements: uptime, tasks by status, queue depth, workers, writer, DB, memory."""
        rss = rss_bytes()
        p = self._plumb
        store = p.store
        stored, size = await p.read(lambda c: (TaskService.count_by_status(c), store.size_bytes()))
        live = self._live
        w = p.writer
        return {
            "uptime_seconds": round(time.time() - p.started_at, 3),
            "swarms": len(live.swarms),
            "agents_live": len(live.agents),
            "agents_busy": sum(1 for a in live.agents.values() if a.status is AgentStatus.BUSY),
            "tasks_by_status": stored,
            "tasks_live_by_status": self._tasks.live_by_status(),
            "queue_depth": live.queued,
            "queue_limit": self.config.max_queued_tasks,
            "workers": p.pool.stats(),
            "writer": {
                "commits": w.commits,
                "rows": w.rows,
                "commit_seconds": round(w.commit_seconds, 6),
                "mean_commit_ms": round(1000 * w.commit_seconds / w.commits, 3)
                if w.commits
                else None,
            },
            "db_url": store.engine.url.render_as_string(hide_password=True),
            "db_size_bytes": size,
            "rss_bytes": rss,
            # the kernel's high-water mark lags the current figure by a page or two
            "peak_rss_bytes": max(peak_rss_bytes(), rss),
        }

    # -- convenience calls (each one a real task, recorded with timings) ----------------------

    async def _submit_and_wait(
        self,
        swarm_id: str,
        kind: TaskKind,
        payload: dict[str, Any],
        *,
        wait: float | None = None,
        **kw: Any,
    ) -> TaskInfo:
        info = await self.submit_task(swarm_id, kind.value, payload, **kw)
        return await self.wait_task(info.id, timeout=wait)

    async def train(
        self,
        swarm_id: str,
        *,
        data: Mapping[str, Any] | list[Any] | str,
        agent_id: str | None = None,
        algorithm: str | None = None,
        layers: Iterable[int] | None = None,
        activation: str | None = None,
        epochs: int | None = None,
        desired_error: float | None = None,
        validation_split: float | None = None,
        seed: int | None = None,
        progress: ProgressCallback | None = None,
        timeout_seconds: float | None = None,
        priority: int = 0,
        data_roots: DataRoots | None = None,
        **options: Any,
    ) -> TaskInfo:
        """Train a network on a neural-processor agent; the result holds model_id and history.
        A path `data` must lie inside `data_roots` or the configured roots (see submit_task).
        A table (file path, {columns, rows} or records) needs `target=` among `options`."""
        payload = train_payload(
            data,
            algorithm=algorithm,
            layers=layers,
            activation=activation,
            epochs=epochs,
            desired_error=desired_error,
            validation_split=validation_split,
            seed=seed,
            **options,
        )
        return await self._submit_and_wait(
            swarm_id,
            TaskKind.TRAIN,
            payload,
            agent_ids=[agent_id] if agent_id else None,
            progress=progress,
            timeout_seconds=timeout_seconds,
            priority=priority,
            data_roots=data_roots,
        )

    async def _model_task(
        self,
        model_id: str,
        kind: TaskKind,
        payload: dict[str, Any],
        data_roots: DataRoots | None = None,
    ) -> dict[str, Any]:
        swarm_id = await self._models.swarm_of(model_id)
        run, batch = self._scheduler.submit_now(
            self._live.swarm(swarm_id), kind.value, payload, data_roots=data_roots
        )
        await batch.wait()
        await run.wait_done()
        info = run.info
        if info.status is not TaskStatus.COMPLETED:
            raise TaskFailedError(info.id, info.error or info.status.value)
        return dict(info.result or {})

    async def predict(
        self, model_id: str, inputs: Any = None, *, records: Any = None
    ) -> dict[str, Any]:
        """Run a stored model on `inputs` (one row or a list of rows) or, for a model trained on
        a table, `records` (objects by column name): {outputs, labels|None}, and for a table
        classifier also {classes, scores, class_names}."""
        payload: dict[str, Any] = {"model_id": model_id}
        if records is not None:
            payload["records"] = records
        if inputs is not None or records is None:
            payload["inputs"] = inputs
        return await self._model_task(model_id, TaskKind.PREDICT, payload)

    async def evaluate(
        self,
        model_id: str,
        data: Mapping[str, Any] | list[Any] | str,
        *,
        data_roots: DataRoots | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        """Metrics of a stored model on a dataset (MSE, confusion matrix for classifiers, ...);
        a table model takes a table (`options`: format, delimiter, header) and reports
        accuracy, per-class precision / recall and a named confusion matrix, or RMSE / MAE / R2."""
        if isinstance(data, str):  # refused before a task exists (checked again on open)
            await self._datasets.data_file(data, data_roots)
        return await self._model_task(
            model_id,
            TaskKind.EVALUATE,
            {"model_id": model_id, "data": data, **options},
            data_roots,
        )

    async def orchestrate(
        self,
        swarm_id: str,
        task: Mapping[str, Any] | str,
        strategy: str | None = None,
        max_agents: int | None = None,
        priority: int = 0,
        wait_seconds: float | None = None,
        progress: ProgressCallback | None = None,
        timeout_seconds: float | None = None,
        data_roots: DataRoots | None = None,
    ) -> TaskInfo:
        """Run a task across the swarm's agents with a strategy; waits up to `wait_seconds`
        (None: until done) and returns the task as it stands then. Every file the strategy's
        subtasks read must lie inside `data_roots` or the configured roots."""
        if not isinstance(task, Mapping | str):
            raise ValidationError("task", "task must be an object or a string")
        payload: dict[str, Any] = {"task": dict(task) if isinstance(task, Mapping) else task}
        if max_agents is not None:
            payload["max_agents"] = max_agents
        info = await self.submit_task(
            swarm_id,
            TaskKind.ORCHESTRATE.value,
            payload,
            strategy=strategy,
            priority=priority,
            progress=progress,
            timeout_seconds=timeout_seconds,
            data_roots=data_roots,
        )
        if wait_seconds is not None and wait_seconds <= 0:
            return info
        return await self.wait_task(info.id, timeout=wait_seconds)
