"""Scheduler: runs tasks. Routing to agents, dependencies, execution with timeouts and
cancellation, final states. It writes the multi-table steps of a task's life (task row, agent
row, checkpoint delete, event) without an await between them, so they share a group commit.
The `task` table belongs to TaskService; this is its execution half."""

from __future__ import annotations

import heapq
import json
import math
import time
import weakref
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import anyio

from swarm_core import _convert as conv
from swarm_core._config import EngineConfig
from swarm_core._events import EventLog
from swarm_core._exceptions import (
    LimitExceededError,
    NotFoundError,
    QueueFullError,
    SwarmError,
    TaskCancelledError,
    TaskTimeoutError,
    UnsupportedError,
    ValidationError,
)
from swarm_core._ids import new_id
from swarm_core._limits import MAX_PRIORITY
from swarm_core._live import LiveState
from swarm_core._paths import DataRoots
from swarm_core._plumbing import Plumbing
from swarm_core._registry import Registry
from swarm_core._swarms import SwarmService
from swarm_core._tasks import ProgressCallback, QueueKey, TaskRun, check_transition
from swarm_core._types import (
    AgentInfo,
    AgentStatus,
    AgentType,
    SwarmInfo,
    TaskInfo,
    TaskKind,
    TaskStatus,
    parse_strategy,
    parse_task_kind,
)
from swarm_core._validate import json_text
from swarm_core._work import WorkContext
from swarm_core.store._writer import DELETE, INSERT, UPDATE, Batch, RawJson

# the agent type spawned automatically when a swarm has nobody able to take a kind of task
DEFAULT_TYPE_FOR_KIND: dict[TaskKind, AgentType] = {
    TaskKind.TRAIN: AgentType.NEURAL_PROCESSOR,
    TaskKind.PREDICT: AgentType.NEURAL_PROCESSOR,
    TaskKind.EVALUATE: AgentType.ANALYST,
    TaskKind.SEARCH: AgentType.RESEARCHER,
    TaskKind.INGEST: AgentType.RESEARCHER,
    TaskKind.WORKFLOW: AgentType.COORDINATOR,
    TaskKind.OPTIMIZE: AgentType.OPTIMIZER,
    TaskKind.EXTERNAL: AgentType.EXTERNAL,
}
WATCHDOG_TICK = 0.05


class ContextFactory(Protocol):
    """Builds the WorkContext a handler or strategy gets (see `_context.Context`)."""

    def __call__(self, host: Scheduler, run: TaskRun, agent: AgentInfo | None) -> WorkContext: ...


class Scheduler:
    def __init__(
        self,
        plumbing: Plumbing,
        live: LiveState,
        events: EventLog,
        swarms: SwarmService,
        registry: Registry,
        contexts: ContextFactory,
    ) -> None:
        self._p = plumbing
        self._config: EngineConfig = plumbing.config
        self._live = live
        self._events = events
        self._swarms = swarms
        self._registry = registry
        self._contexts = contexts

    async def spawn_agent(
        self,
        swarm: SwarmInfo,
        type: str,
        name: str | None = None,
        capabilities: Iterable[str] | None = (),
        cognitive_pattern: str | None = None,
        *,
        max_task_seconds: float | None = None,
    ) -> AgentInfo:
        """Spawn an agent and hand it the best task waiting for its type."""
        self._p.check_open()
        info, batch = self._swarms.spawn_now(
            swarm,
            type,
            name,
            capabilities,
            cognitive_pattern,
            max_task_seconds=max_task_seconds,
        )
        self.on_agent_available(info)
        await batch.wait()
        return info.model_copy()

    # -- submission ----------------------------------------------------------------------------

    def submit_now(
        self,
        swarm: SwarmInfo,
        kind: str,
        payload: Mapping[str, Any] | None,
        *,
        strategy: str | None = None,
        agent_ids: Iterable[str] | None = None,
        priority: int = 0,
        depends_on: Iterable[str] = (),
        timeout_seconds: float | None = None,
        progress: ProgressCallback | None = None,
        parent: TaskRun | None = None,
        inline: bool = False,
        data_roots: DataRoots | None = None,
        stored_deps: Mapping[str, str] | None = None,
    ) -> tuple[TaskRun, Batch]:
        """Validate, queue the task's row and event and schedule it, without an await (limits
        hold under concurrency). `stored_deps`: status of dependencies that are not live, read
        from the store by the caller beforehand (this never reads)."""
        self._p.check_open()
        k = parse_task_kind(kind)
        if payload is None:
            payload = {}
        if not isinstance(payload, Mapping):
            raise ValidationError(
                "payload", f"payload must be a JSON object, got {type(payload).__name__}"
            )
        payload = dict(payload)
        payload_json = json_text(
            "payload", payload, self._config.max_payload_bytes, "max_payload_bytes"
        )
        if (
            not isinstance(priority, int)
            or isinstance(priority, bool)
            or abs(priority) > MAX_PRIORITY
        ):
            raise ValidationError(
                "priority",
                f"priority must be an integer in -{MAX_PRIORITY}..{MAX_PRIORITY}, got {priority!r}",
            )
        strat = None
        if k is TaskKind.ORCHESTRATE:
            strat = parse_strategy(strategy) if strategy is not None else swarm.strategy
        elif strategy is not None:
            strat = parse_strategy(strategy)
        timeout = self._check_timeout(timeout_seconds)
        ids = self._check_agent_ids(swarm, k, agent_ids)
        deps = self._check_deps(depends_on, stored_deps or {})
        if parent is None and self._live.queued >= self._config.max_queued_tasks:
            raise QueueFullError(
                "max_queued_tasks",
                self._live.queued,
                f"task queue is full: {self._live.queued} tasks are waiting to start "
                f"(max_queued_tasks={self._config.max_queued_tasks}); retry later",
            )
        spawned: Batch | None = None
        if k is not TaskKind.ORCHESTRATE and not ids and not self.capable_exists(swarm.id, k):
            spawned = self.auto_spawn(swarm, k)
        tid = new_id("task")
        seq = self._live.next_seq("task")
        info = TaskInfo.model_construct(
            id=tid,
            swarm_id=swarm.id,
            kind=k,
            status=TaskStatus.PENDING,
            priority=priority,
            strategy=strat,
            agent_ids=ids if k is TaskKind.ORCHESTRATE else [],
            parent_id=parent.id if parent else None,
            depends_on=deps,
            timeout_seconds=timeout,
            created_at=time.time(),
            started_at=None,
            finished_at=None,
            duration_ms=None,
            progress=0.0,
            progress_message=None,
            result=None,
            error=None,
            attempts=1,
            payload=payload,
        )
        run = TaskRun(info=info, seq=seq, progress_cb=progress)
        run.data_roots = parent.data_roots if parent is not None else data_roots
        if k is not TaskKind.ORCHESTRATE and ids:
            run.bound_agent = ids[0]
        self._live.tasks[tid] = run
        row = conv.task_row(info, seq)
        row["payload"] = payload_json
        self._p.writer.row("task", INSERT, row)
        batch = self._events.emit(
            "task_submitted",
            swarm.id,
            tid,
            {"kind": k.value, "priority": priority, "parent_id": info.parent_id, "agent_ids": ids},
        )
        if parent is not None:
            parent.children.add(tid)
        else:
            run.counted_in_queue = True
            self._live.queued += 1
        self._events.notify("task", tid)
        if not inline:
            self.schedule(run)
        del spawned  # committed with `batch` (same or earlier group commit)
        return run, batch

    def _check_timeout(self, timeout_seconds: float | None) -> float | None:
        if timeout_seconds is None:
            return self._config.default_task_timeout
        if (
            isinstance(timeout_seconds, bool)
            or not isinstance(timeout_seconds, int | float)
            or not math.isfinite(timeout_seconds)
            or timeout_seconds <= 0
        ):
            raise ValidationError(
                "timeout_seconds",
                f"timeout_seconds must be a positive number, got {timeout_seconds!r}",
            )
        if timeout_seconds > self._config.max_task_timeout:
            raise LimitExceededError(
                "max_task_timeout",
                timeout_seconds,
                f"timeout_seconds={timeout_seconds} exceeds max_task_timeout={self._config.max_task_timeout}",
            )
        return float(timeout_seconds)

    def _check_agent_ids(
        self, swarm: SwarmInfo, kind: TaskKind, agent_ids: Iterable[str] | None
    ) -> list[str]:
        if agent_ids is None:
            return []
        if isinstance(agent_ids, str):
            agent_ids = [agent_ids]
        ids = list(dict.fromkeys(agent_ids))
        for aid in ids:
            agent = self._live.agents.get(aid) if isinstance(aid, str) else None
            if agent is None:
                raise NotFoundError("agent", aid, f"unknown or terminated agent id {aid!r}")
            if agent.swarm_id != swarm.id:
                raise ValidationError(
                    "agent_ids", f"agent {aid} belongs to swarm {agent.swarm_id}, not {swarm.id}"
                )
        if kind is not TaskKind.ORCHESTRATE and ids:
            if len(ids) > 1:
                raise ValidationError(
                    "agent_ids",
                    f"a {kind.value} task runs on one agent; got {len(ids)} (use kind orchestrate to spread work)",
                )
            agent = self._live.agents[ids[0]]
            # An external agent only takes external tasks: nothing would ever run a train or
            # search it was handed, so the task would sit running until its timeout.
            if agent.type not in self._registry.types_for(kind):
                able = ", ".join(t.value for t in self._registry.types_for(kind)) or "none"
                role = f" ({agent.role})" if agent.role != agent.type.value else ""
                raise ValidationError(
                    "agent_ids",
                    f"agent {agent.id} is a {agent.type.value}{role} and cannot run "
                    f"{kind.value} tasks (types that can: {able})",
                )
        return ids

    @staticmethod
    def dep_ids(depends_on: Iterable[str]) -> list[str]:
        if isinstance(depends_on, str):
            depends_on = [depends_on]
        return list(dict.fromkeys(depends_on or ()))

    def _check_deps(self, depends_on: Iterable[str], stored: Mapping[str, str]) -> list[str]:
        deps = self.dep_ids(depends_on)
        for d in deps:
            if d in self._live.tasks:
                continue
            if d not in stored:
                raise NotFoundError("task", d, f"depends_on names unknown task id {d!r}")
            if stored[d] != TaskStatus.COMPLETED.value:
                raise ValidationError(
                    "depends_on", f"dependency {d} is {stored[d]}; it can never complete"
                )
        return deps

    def capable_exists(self, swarm_id: str, kind: TaskKind) -> bool:
        types = self._registry.types_for(kind)
        return any(a.type in types for a in self._live.swarm_agents[swarm_id].values())

    def auto_spawn(self, swarm: SwarmInfo, kind: TaskKind) -> Batch:
        types = self._registry.types_for(kind)
        if not types:
            raise UnsupportedError(
                f"no agent type can run {kind.value} tasks (no handler is registered for that kind)"
            )
        default = DEFAULT_TYPE_FOR_KIND.get(kind)
        atype = default if default in types else types[0]
        _agent, batch = self._swarms.spawn_now(swarm, atype.value, auto=True)
        return batch

    # -- scheduling ----------------------------------------------------------------------------

    def schedule(self, run: TaskRun) -> None:
        """Start the task now if it can run, else park it (dependencies or busy agents).

        Every task (submitted, retried, child) enters execution here and nowhere else: the
        place for a "does this process own the swarm's execution" check."""
        pending = [
            d
            for d in run.info.depends_on
            if d in self._live.tasks and not self._live.tasks[d].status.is_final
        ]
        failed = [
            d
            for d in run.info.depends_on
            if d in self._live.tasks
            and self._live.tasks[d].status.is_final
            and self._live.tasks[d].status is not TaskStatus.COMPLETED
        ]
        if failed:
            dep = self._live.tasks[failed[0]]
            why = f"dependency {dep.id} {dep.status.value}: {dep.info.error}"
            self.after_commit(run, self.finish(run, TaskStatus.FAILED, None, why))
            return
        if pending:
            run.deps_left = set(pending)
            for d in pending:
                self._live.waiting.setdefault(d, set()).add(run.id)
            return
        self._make_ready(run)

    def _queue_key(self, run: TaskRun) -> QueueKey:
        if run.bound_agent is not None:
            return ("agent", run.bound_agent)
        return ("kind", run.info.swarm_id, run.info.kind.value)

    def _make_ready(self, run: TaskRun) -> None:
        if run.info.kind is TaskKind.ORCHESTRATE:
            self._start(run, None)
            return
        agent = self._take_idle_agent(run)
        if agent is not None:
            self._start(run, agent)
        else:
            self._live.queues.push(self._queue_key(run), run)

    def _take_idle_agent(self, run: TaskRun) -> AgentInfo | None:
        if run.bound_agent is not None:
            agent = self._live.agents.get(run.bound_agent)
            if agent is None or agent.status is not AgentStatus.IDLE:
                return None
            self._live.idle.get((agent.swarm_id, agent.type), {}).pop(agent.id, None)
            return agent
        for t in self._registry.types_for(run.info.kind):
            idle = self._live.idle.get((run.info.swarm_id, t))
            if idle:
                aid = next(iter(idle))
                del idle[aid]
                return self._live.agents[aid]
        return None

    def on_agent_available(self, agent: AgentInfo) -> None:
        keys: list[QueueKey] = [("agent", agent.id)]
        handled = [k for k, types in self._registry.kind_types().items() if agent.type in types]
        keys.extend(("kind", agent.swarm_id, k.value) for k in handled)
        run = self._live.queues.pop_best(keys)
        if run is not None:
            self._live.idle.get((agent.swarm_id, agent.type), {}).pop(agent.id, None)
            self._start(run, agent)
        else:
            agent.status = AgentStatus.IDLE
            agent.current_task_id = None
            self._live.idle.setdefault((agent.swarm_id, agent.type), {})[agent.id] = None

    async def run_inline(self, run: TaskRun, agent: AgentInfo) -> None:
        """Run a child task on the agent that is running its parent (no queueing: the agent is
        busy with that very parent, so waiting for it would deadlock)."""
        info = run.info
        check_transition(info.id, info.status, TaskStatus.ASSIGNED)
        info.status = TaskStatus.ASSIGNED
        info.agent_ids = [agent.id]
        self._p.writer.row("task", UPDATE, conv.task_assigned(info))
        self._events.emit(
            "task_assigned", info.swarm_id, info.id, {"agent_id": agent.id, "inline": True}
        )
        await self._run(run, agent, owns_agent=False)

    def _start(self, run: TaskRun, agent: AgentInfo | None) -> None:
        info = run.info
        check_transition(info.id, info.status, TaskStatus.ASSIGNED)
        info.status = TaskStatus.ASSIGNED
        if run.counted_in_queue:
            run.counted_in_queue = False
            self._live.queued -= 1
        if agent is not None:
            info.agent_ids = [agent.id]
            agent.status = AgentStatus.BUSY
            agent.current_task_id = info.id
            self._p.writer.row("agent", UPDATE, conv.agent_state(agent))
        self._p.writer.row("task", UPDATE, conv.task_assigned(info))
        self._events.emit(
            "task_assigned", info.swarm_id, info.id, {"agent_id": agent.id if agent else None}
        )
        assert self._p.tg is not None
        if agent is None:
            self._p.tg.start_soon(self._run, run, None)
            return
        # one worker coroutine per busy agent runs its tasks back to back (no spawn per task)
        inbox = self._live.inboxes.get(agent.id)
        if inbox is not None:
            inbox.append(run)
        else:
            self._live.inboxes[agent.id] = deque([run])
            self._p.tg.start_soon(self._agent_worker, agent)

    async def _agent_worker(self, agent: AgentInfo) -> None:
        inbox = self._live.inboxes[agent.id]
        try:
            while inbox:
                await self._run(inbox.popleft(), agent)
        finally:
            del self._live.inboxes[agent.id]

    # -- execution -----------------------------------------------------------------------------

    async def _run(self, run: TaskRun, agent: AgentInfo | None, *, owns_agent: bool = True) -> None:
        info = run.info
        check_transition(info.id, info.status, TaskStatus.RUNNING)
        info.status = TaskStatus.RUNNING
        info.started_at = time.time()
        run.t0 = time.perf_counter()
        limit = self._time_limit(run, agent)
        if limit is not None:
            run.deadline = anyio.current_time() + limit[0]
            run.limit_name = limit[1]
            heapq.heappush(self._live.timeouts, (run.deadline, run.seq, weakref.ref(run)))
        self._p.writer.row(
            "task",
            UPDATE,
            {"id": info.id, "status": info.status.value, "started_at": info.started_at},
        )
        self._events.emit(
            "task_running", info.swarm_id, info.id, {"agent_id": agent.id if agent else None}
        )
        self._events.notify("task", info.id)
        status, result, error = TaskStatus.COMPLETED, None, None
        try:
            with anyio.CancelScope(deadline=run.deadline or math.inf) as scope:
                run.scope = scope
                if run.cancel_flag:
                    scope.cancel()
                result = await self._execute(run, agent)
            if scope.cancelled_caught:
                status, error = self._stop_reason(run)
                result = None
        except TaskCancelledError as exc:
            status, error = self._stop_reason(run, str(exc))
        except (TaskTimeoutError, _ExternalFailure) as exc:
            status, error = TaskStatus.FAILED, str(exc)
        except SwarmError as exc:
            status, error = TaskStatus.FAILED, f"{type(exc).__name__}: {exc}"
        except Exception as exc:
            status, error = TaskStatus.FAILED, f"{type(exc).__name__}: {exc}"
        if status is TaskStatus.COMPLETED:
            result, error = self._check_result(run, result)
            if error is not None:
                status = TaskStatus.FAILED
        # wait_task reports the final state only once it is committed
        self.after_commit(
            run, self.finish(run, status, result, error, agent=agent if owns_agent else None)
        )

    @staticmethod
    def _time_limit(run: TaskRun, agent: AgentInfo | None) -> tuple[float, str] | None:
        """The tighter of the task's timeout and its agent's max_task_seconds, with its name."""
        limits: list[tuple[float, str]] = []
        if run.info.timeout_seconds is not None:
            t = run.info.timeout_seconds
            limits.append((t, f"its timeout of {t} s"))
        agent_cap = agent.limits.get("max_task_seconds") if agent is not None else None
        if agent_cap is not None:
            limits.append((float(agent_cap), f"agent {agent.id} max_task_seconds={agent_cap}"))  # type: ignore[union-attr]
        return min(limits) if limits else None

    def _stop_reason(self, run: TaskRun, detail: str = "") -> tuple[TaskStatus, str]:
        if run.interrupt_requested:
            return TaskStatus.INTERRUPTED, "interrupted: the engine shut down while the task ran"
        if run.cancel_requested:
            return TaskStatus.CANCELLED, "cancelled by request"
        if run.timed_out or (run.deadline is not None and anyio.current_time() >= run.deadline):
            run.timed_out = True
            return TaskStatus.FAILED, f"TaskTimeoutError: task exceeded {run.limit_name}"
        return TaskStatus.CANCELLED, detail or "cancelled"

    def _check_result(self, run: TaskRun, result: Any) -> tuple[dict[str, Any] | None, str | None]:
        if result is None:
            result = {}
        if not isinstance(result, dict):
            return None, f"handler returned {type(result).__name__}, expected a JSON object"
        try:
            run.result_json = RawJson(json.dumps(result, allow_nan=False, separators=(",", ":")))
        except (TypeError, ValueError) as exc:
            return None, f"handler result is not JSON-serialisable: {exc}"
        return result, None

    async def _execute(self, run: TaskRun, agent: AgentInfo | None) -> dict[str, Any] | None:
        info = run.info
        if info.kind is TaskKind.ORCHESTRATE:
            assert info.strategy is not None
            fn = self._registry.strategy(info.strategy.value)
            if fn is None:
                raise UnsupportedError(f"strategy {info.strategy.value!r} is not installed")
            ctx = self._contexts(self, run, None)
            return await fn(ctx, dict(info.payload))
        assert agent is not None
        if agent.type is AgentType.EXTERNAL:
            run.external = anyio.Event()
            self._events.emit(
                "task_awaiting_external", info.swarm_id, info.id, {"agent_id": agent.id}
            )
            await run.external.wait()
            assert run.external_outcome is not None
            res, err = run.external_outcome
            if err is not None:
                raise _ExternalFailure(err)
            return res
        handler = self._registry.handlers().get((agent.type, info.kind))
        if handler is None:
            raise UnsupportedError(
                f"a {agent.type.value} agent has no handler for {info.kind.value} tasks"
            )
        ctx = self._contexts(self, run, agent)
        return await handler(ctx, dict(info.payload))

    def finish(
        self,
        run: TaskRun,
        status: TaskStatus,
        result: dict[str, Any] | None,
        error: str | None,
        *,
        agent: AgentInfo | None = None,
    ) -> Batch:
        """Move a task to a final state, free its agent, settle its dependents; returns the batch
        that commits it (the caller awaits it, then `_release`s the run)."""
        info = run.info
        check_transition(info.id, info.status, status)
        if run.counted_in_queue:
            run.counted_in_queue = False
            self._live.queued -= 1
        self._live.queues.discard(run)
        info.status = status
        info.finished_at = time.time()
        if info.started_at is not None:
            info.duration_ms = (time.perf_counter() - run.t0) * 1000.0
        info.result = result
        info.error = error
        if status is TaskStatus.COMPLETED:
            info.progress = 1.0
        state = conv.task_state(info)
        summary = None
        if run.stored_result is not None and result is not None:
            try:
                summary = RawJson(json.dumps(run.stored_result(result), allow_nan=False))
            except (TypeError, ValueError):
                summary = None  # an unusable summary: the full result is stored
        if summary is not None:
            state["result"] = summary
        elif run.result_json is not None and result is not None:
            state["result"] = run.result_json
        run.result_json = None
        self._p.writer.row("task", UPDATE, state)
        if run.checkpointed and status in (TaskStatus.COMPLETED, TaskStatus.CANCELLED):
            # in the same commit as the final state: no checkpoint outlives a finished task
            self._p.writer.row("checkpoint", DELETE, None, key=(info.id,))
            run.checkpointed = False
        batch = self._events.emit(
            f"task_{status.value}",
            info.swarm_id,
            info.id,
            {"duration_ms": info.duration_ms, "error": error}
            if error
            else {"duration_ms": info.duration_ms},
        )
        if agent is not None:
            if status is TaskStatus.COMPLETED:
                agent.tasks_completed += 1
            elif status is TaskStatus.FAILED:
                agent.tasks_failed += 1
            agent.current_task_id = None
            if agent.id in self._live.agents:
                if self._p.closing:
                    agent.status = AgentStatus.IDLE
                else:
                    self.on_agent_available(agent)  # idle, or straight onto the next task
            self._p.writer.row("agent", UPDATE, conv.agent_state(agent))
        for dep_id in self._live.waiting.pop(info.id, set()):
            dep = self._live.tasks.get(dep_id)
            if dep is None or dep.status is not TaskStatus.PENDING:
                continue
            if status is TaskStatus.COMPLETED:
                dep.deps_left.discard(info.id)
                if not dep.deps_left and not self._p.closing:
                    self._make_ready(dep)
            else:
                b = self.finish(
                    dep, TaskStatus.FAILED, None, f"dependency {info.id} {status.value}: {error}"
                )
                self.after_commit(dep, b)
        self._events.notify("task", info.id)
        return batch

    def after_commit(self, run: TaskRun, batch: Batch) -> None:
        batch.callbacks.append(lambda: self._release(run))

    def _release(self, run: TaskRun) -> None:
        run.mark_done()
        if self._live.tasks.get(run.id) is run:
            del self._live.tasks[run.id]

    def _compact_timeouts(self) -> None:
        """Drop entries of finished tasks (weak refs keep the runs themselves collectable, but
        with hour-long timeouts the entries would pile up)."""
        if len(self._live.timeouts) > 1024 and len(self._live.timeouts) > 4 * len(self._live.tasks):
            alive = []
            for entry in self._live.timeouts:
                run = entry[2]()
                if run is not None and not run.status.is_final:
                    alive.append(entry)
            heapq.heapify(alive)
            self._live.timeouts = alive

    async def watchdog(self) -> None:
        """Timeouts for CPU work: set the cancel_event of running tasks past their deadline
        (their cancel scope handles async waits; threads only notice the event)."""
        while True:
            await anyio.sleep(WATCHDOG_TICK)
            self._compact_timeouts()
            now = anyio.current_time()
            while self._live.timeouts and self._live.timeouts[0][0] <= now:
                _deadline, _seq, ref = heapq.heappop(self._live.timeouts)
                run = ref()
                if run is None:
                    continue
                if not run.status.is_final and run.deadline is not None and run.deadline <= now:
                    run.timed_out = True
                    run.signal_cancel()
                    if run.scope is not None:
                        run.scope.cancel()

    def request_cancel(self, run: TaskRun, *, interrupt: bool = False) -> None:
        if run.status.is_final:
            return
        if interrupt:
            run.interrupt_requested = True
        else:
            run.cancel_requested = True
        run.signal_cancel()
        for child_id in list(run.children):
            child = self._live.tasks.get(child_id)
            if child is not None:
                self.request_cancel(child, interrupt=interrupt)
        if run.status is TaskStatus.PENDING:
            # not started: settle it right here
            for d in run.deps_left:
                self._live.waiting.get(d, set()).discard(run.id)
            final = TaskStatus.INTERRUPTED if interrupt else TaskStatus.CANCELLED
            why = (
                "interrupted: the engine shut down before the task started"
                if interrupt
                else "cancelled by request"
            )
            self.after_commit(run, self.finish(run, final, None, why))
        elif run.scope is not None:
            run.scope.cancel()

    def on_agent_terminated(self, agent: AgentInfo, running_task: str | None) -> None:
        if running_task is not None and running_task in self._live.tasks:
            self.request_cancel(self._live.tasks[running_task])
        for run in self._live.queues.drain(("agent", agent.id)):
            self.after_commit(
                run, self.finish(run, TaskStatus.FAILED, None, f"agent {agent.id} was terminated")
            )
        for k, types in self._registry.kind_types().items():
            if agent.type in types and not self.capable_exists(agent.swarm_id, k):
                for run in self._live.queues.drain(("kind", agent.swarm_id, k.value)):
                    self.after_commit(
                        run,
                        self.finish(
                            run,
                            TaskStatus.FAILED,
                            None,
                            f"no agent left in swarm {agent.swarm_id} can run {k.value} tasks",
                        ),
                    )


class _ExternalFailure(Exception):
    """The client reported an error for an external task; its text becomes the task's error."""

    def __str__(self) -> str:
        return str(self.args[0])
