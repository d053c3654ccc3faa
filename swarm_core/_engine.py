"""The Engine facade: lifecycle (start, restore, close), statistics and the convenience calls
the MCP tools use. Everything else lives in the mixins it is assembled from."""

from __future__ import annotations

import contextlib
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

import anyio
from sqlalchemy import func, select

from swarm_core import _convert as conv
from swarm_core._config import EngineConfig, make_config
from swarm_core._events import EventOps
from swarm_core._exceptions import EngineClosedError, TaskFailedError, ValidationError
from swarm_core._export import ExportOps
from swarm_core._memory import MemoryOps
from swarm_core._paths import DataRoots
from swarm_core._retention import RetentionOps
from swarm_core._runtime import peak_rss_bytes, rss_bytes
from swarm_core._tasks import ProgressCallback
from swarm_core._train_spec import train_payload
from swarm_core._types import AgentStatus, TaskInfo, TaskKind, TaskStatus
from swarm_core.store._db import Store
from swarm_core.store._tables import TABLES
from swarm_core.store._writer import UPDATE, Writer

_NOT_FINAL = (TaskStatus.PENDING.value, TaskStatus.ASSIGNED.value, TaskStatus.RUNNING.value)


class Engine(RetentionOps, MemoryOps, EventOps, ExportOps):
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

    def __init__(self, config: EngineConfig | None = None, **overrides: Any) -> None:
        super().__init__(make_config(config, **overrides))
        self._timeouts = []
        self._inboxes = {}
        self._model_cache = OrderedDict()
        self._restored: dict[str, int] = {}

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
        if self._tg is not None:
            raise EngineClosedError("the engine is already started")
        store = Store(self.config.database_url(), synchronous=self.config.synchronous)
        try:
            store.lock_owner()
            await anyio.to_thread.run_sync(store.create)
        except BaseException:
            store.close()
            raise
        state = await anyio.to_thread.run_sync(self._read_state, store)
        self._store_ = store
        self._writer_ = Writer(store, max_batch_ops=self.config.max_batch_ops)
        tg = anyio.create_task_group()
        await tg.__aenter__()
        self._tg = tg
        self._started_at = time.time()
        await tg.start(self._writer_.run)
        await self._apply_state(state)
        tg.start_soon(self._watchdog)
        tg.start_soon(self._purge_loop)

    def _read_state(self, store: Store) -> dict[str, Any]:
        def read(conn: Any) -> dict[str, Any]:
            out: dict[str, Any] = {}
            s, a, t = TABLES["swarm"], TABLES["agent"], TABLES["task"]
            out["swarms"] = conn.execute(select(s).order_by(s.c.seq)).all()
            out["agents"] = conn.execute(
                select(a).where(a.c.status != AgentStatus.TERMINATED.value).order_by(a.c.seq)
            ).all()
            out["unfinished"] = conn.execute(
                select(t.c.id, t.c.swarm_id, t.c.status, t.c.started_at).where(
                    t.c.status.in_(_NOT_FINAL)
                )
            ).all()
            out["seq"] = {
                name: conn.execute(select(func.max(TABLES[name].c.seq))).scalar() or 0
                for name in ("swarm", "agent", "task", "model", "document")
            }
            return out

        return store.read(read)

    async def _apply_state(self, state: dict[str, Any]) -> None:
        self._seq.update(state["seq"])
        for r in state["swarms"]:
            self._register_swarm(conv.swarm_from(r), r.seq)
        w = self._writer
        for r in state["agents"]:
            agent = conv.agent_from(r)
            if agent.swarm_id not in self._swarms:
                continue
            if agent.status is AgentStatus.BUSY or agent.current_task_id is not None:
                agent.status = AgentStatus.IDLE
                agent.current_task_id = None
                w.row("agent", UPDATE, conv.agent_state(agent))
            self._add_live_agent(agent, r.seq)
        now = time.time()
        for r in state["unfinished"]:
            w.row(
                "task",
                UPDATE,
                {
                    "id": r.id,
                    "status": TaskStatus.INTERRUPTED.value,
                    "finished_at": now,
                    "error": f"interrupted: the engine stopped while the task was {r.status}",
                },
            )
            self._emit("task_interrupted", r.swarm_id, r.id, {"was": r.status, "on": "restart"})
        self._restored = {
            "swarms": len(state["swarms"]),
            "agents": len(state["agents"]),
            "interrupted_tasks": len(state["unfinished"]),
        }
        await w.flush()

    async def close(self) -> None:
        """Interrupt unfinished tasks (recorded as `interrupted`), flush every write, stop."""
        if self._tg is None or self._closing:
            return
        self._closing = True
        try:
            for run in list(self._tasks.values()):
                self._request_cancel(run, interrupt=True)
            with anyio.move_on_after(self.config.cancel_wait_seconds):
                while self._tasks:
                    await next(iter(self._tasks.values())).wait_done()
            if self._writer_ is not None:
                await self._writer_.flush()
                self._writer_.close()
        finally:
            tg, self._tg = self._tg, None
            tg.cancel_scope.cancel()
            await tg.__aexit__(None, None, None)
            if self._store_ is not None:
                with contextlib.suppress(Exception):
                    self._store_.checkpoint()
                self._store_.close()

    @property
    def restored(self) -> dict[str, int]:
        """What `start` found in the database (swarms, live agents, tasks marked interrupted)."""
        return dict(self._restored)

    def integrity_check(self) -> str:
        """SQLite's `PRAGMA integrity_check` ("ok" when the file is sound)."""
        return self._store.integrity_check()

    async def flush(self) -> None:
        """Wait until every write queued so far (including internal progress) is committed."""
        await self._writer.flush()

    # -- monitoring --------------------------------------------------------------------------

    async def stats(self) -> dict[str, Any]:
        """Real measurements: uptime, tasks by status, queue depth, workers, writer, DB, memory."""
        rss = rss_bytes()
        t = TABLES["task"]
        stored: dict[str, int] = dict(
            self._store.read(
                lambda c: c.execute(select(t.c.status, func.count()).group_by(t.c.status)).all()
            )
        )
        live: dict[str, int] = {}
        for run in self._tasks.values():
            live[run.status.value] = live.get(run.status.value, 0) + 1
        w = self._writer
        return {
            "uptime_seconds": round(time.time() - self._started_at, 3),
            "swarms": len(self._swarms),
            "agents_live": len(self._agents),
            "agents_busy": sum(1 for a in self._agents.values() if a.status is AgentStatus.BUSY),
            "tasks_by_status": stored,
            "tasks_live_by_status": live,
            "queue_depth": self._queued,
            "queue_limit": self.config.max_queued_tasks,
            "workers": self._pool.stats(),
            "writer": {
                "commits": w.commits,
                "rows": w.rows,
                "commit_seconds": round(w.commit_seconds, 6),
                "mean_commit_ms": round(1000 * w.commit_seconds / w.commits, 3)
                if w.commits
                else None,
            },
            "db_url": self._store.engine.url.render_as_string(hide_password=True),
            "db_size_bytes": self._store.size_bytes(),
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
        cached = self._model_cache.get(model_id)
        swarm_id = cached[1]["swarm_id"] if cached else (await self.get_model(model_id)).swarm_id
        run, batch = self._submit_now(
            self._swarm(swarm_id), kind.value, payload, data_roots=data_roots
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
            await self._data_file(data, data_roots)
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
