"""TaskService: owns the `task` table. Submission, get/wait/list, cancel (reaching running CPU
loops through their cancel_event), retry (resuming from a checkpoint), completion of external
tasks, retention. Execution is the Scheduler's."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

import anyio
from sqlalchemy import Connection, exists, func, or_, select

from swarm_core import _convert as conv
from swarm_core._checkpoints import CheckpointStore
from swarm_core._events import EventLog
from swarm_core._exceptions import (
    InvalidStateError,
    NotFoundError,
    QueueFullError,
    ValidationError,
)
from swarm_core._live import LiveState
from swarm_core._paths import DataRoots, allowed_data_file
from swarm_core._plumbing import Plumbing
from swarm_core._scheduler import Scheduler
from swarm_core._tasks import ProgressCallback, TaskRun, check_transition
from swarm_core._types import (
    TaskInfo,
    TaskKind,
    TaskStatus,
    parse_task_kind,
    parse_task_status,
)
from swarm_core._validate import check_limit_offset, json_size
from swarm_core.store._tables import TABLES
from swarm_core.store._writer import INSERT, UPDATE

PURGE_CHUNK = 5_000  # task rows removed per purge commit (live writes interleave)
_NOT_FINAL = (TaskStatus.PENDING.value, TaskStatus.ASSIGNED.value, TaskStatus.RUNNING.value)


class TaskService:
    def __init__(
        self,
        plumbing: Plumbing,
        live: LiveState,
        events: EventLog,
        scheduler: Scheduler,
        checkpoints: CheckpointStore,
    ) -> None:
        self._p = plumbing
        self._config = plumbing.config
        self._live = live
        self._events = events
        self._scheduler = scheduler
        self._checkpoints = checkpoints

    # -- submission ----------------------------------------------------------------------------

    async def submit(
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
        data = payload.get("data") if isinstance(payload, Mapping) else None
        if isinstance(data, str) and kind in (TaskKind.TRAIN.value, TaskKind.EVALUATE.value):
            # a file this task cannot read is refused now rather than as a failed task (the
            # worker checks again when it opens the file)
            await allowed_data_file(data, self._config.all_data_roots(), data_roots)
        missing = [d for d in Scheduler.dep_ids(depends_on) if d not in self._live.tasks]
        stored = await self._stored_statuses(missing) if missing else {}
        run, batch = self._scheduler.submit_now(
            self._live.swarm(swarm_id),
            kind,
            payload,
            strategy=strategy,
            agent_ids=agent_ids,
            priority=priority,
            depends_on=depends_on,
            timeout_seconds=timeout_seconds,
            progress=progress,
            data_roots=data_roots,
            stored_deps=stored,
        )
        await batch.wait()
        return run.info.model_copy()

    async def _stored_statuses(self, ids: list[str]) -> dict[str, str]:
        t = TABLES["task"]
        q = select(t.c.id, t.c.status).where(t.c.id.in_(ids))
        return dict(await self._p.read(lambda c: c.execute(q).all()))

    # -- queries -------------------------------------------------------------------------------

    async def get(self, task_id: str) -> TaskInfo:
        run = self._live.tasks.get(task_id)
        if run is not None:
            return run.info.model_copy()
        t = TABLES["task"]
        q = select(t).where(t.c.id == task_id)
        row = await self._p.read(lambda c: c.execute(q).first())
        if row is None:
            raise NotFoundError("task", task_id)
        return conv.task_from(row)

    async def wait(self, task_id: str, timeout: float | None = None) -> TaskInfo:
        """The task once it is final (or its current state when `timeout` seconds pass first).
        Cancelling the waiter does not cancel the task."""
        run = self._live.tasks.get(task_id)
        if run is not None:
            if timeout is None:
                await run.wait_done()
            else:
                with anyio.move_on_after(timeout):
                    await run.wait_done()
            return run.info.model_copy()
        return await self.get(task_id)

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
        check_limit_offset(self._config, limit, offset)
        t = TABLES["task"]
        q = select(t)
        if swarm_id is not None:
            self._live.swarm(swarm_id)
            q = q.where(t.c.swarm_id == swarm_id)
        if status is not None:
            q = q.where(t.c.status == parse_task_status(status).value)
        if kind is not None:
            q = q.where(t.c.kind == parse_task_kind(kind).value)
        if parent_id is not None:
            q = q.where(t.c.parent_id == parent_id)
        if agent_id is not None:
            q = q.where(t.c.agent_id == agent_id)
        q = q.order_by(t.c.seq.desc()).limit(limit).offset(offset)
        rows = await self._p.read(lambda c: c.execute(q).all())
        out = []
        for r in rows:
            run = self._live.tasks.get(r.id)
            out.append(run.info.model_copy() if run is not None else conv.task_from(r))
        return out

    # -- control -------------------------------------------------------------------------------

    async def cancel(self, task_id: str) -> TaskInfo:
        """Cancel a pending or running task (and its children). A running CPU loop stops at its
        next cancel_event check (training: within one epoch); returns the final state."""
        self._p.check_open()
        run = self._live.tasks.get(task_id)
        if run is None or run.status.is_final:
            current = (await self.get(task_id)).status
            raise InvalidStateError(f"task {task_id}", current.value, TaskStatus.CANCELLED.value)
        self._scheduler.request_cancel(run)
        with anyio.move_on_after(self._config.cancel_wait_seconds):
            await run.wait_done()
        return run.info.model_copy()

    async def retry(
        self, task_id: str, resume: bool = True, *, data_roots: DataRoots | None = None
    ) -> TaskInfo:
        """Queue a failed, cancelled or interrupted task again (same id, attempts + 1).

        A train task with a stored checkpoint continues from it when `resume` is true: the
        checkpointed network trains for the epochs left, and the result's history joins the
        checkpointed epochs with the new ones (`resumed_from_epoch`). Without a checkpoint, or
        with `resume=False` (which discards the checkpoint), it trains from scratch and the
        result says so. `data_roots` are the retrying caller's (see `submit_task`): the first
        run's are not kept."""
        self._p.check_open()
        if not isinstance(resume, bool):
            raise ValidationError("resume", f"resume must be true or false, got {resume!r}")
        checkpoint = await self._checkpoints.read(task_id)
        info = await self.get(task_id)
        self._p.check_open()  # the reads awaited: check the live state after them
        if task_id in self._live.tasks:
            current = self._live.tasks[task_id].status
            raise InvalidStateError(
                f"task {task_id}", current.value, TaskStatus.PENDING.value, "it has not finished"
            )
        check_transition(
            task_id,
            info.status,
            TaskStatus.PENDING,
            "only failed, cancelled or interrupted tasks can be retried",
        )
        swarm = self._live.swarm(info.swarm_id)
        bound = (
            info.agent_ids[0] if info.kind is not TaskKind.ORCHESTRATE and info.agent_ids else None
        )
        if bound is not None and bound not in self._live.agents:
            bound = None  # its agent is gone: any capable agent may take it
        if (
            info.kind is not TaskKind.ORCHESTRATE
            and bound is None
            and not self._scheduler.capable_exists(swarm.id, info.kind)
        ):
            self._scheduler.auto_spawn(swarm, info.kind)
        if self._live.queued >= self._config.max_queued_tasks:
            raise QueueFullError(
                "max_queued_tasks",
                self._live.queued,
                f"task queue is full (max_queued_tasks={self._config.max_queued_tasks})",
            )
        info.status = TaskStatus.PENDING
        info.attempts += 1
        info.started_at = info.finished_at = info.duration_ms = None
        info.result = info.error = info.progress_message = None
        info.progress = 0.0
        if info.kind is not TaskKind.ORCHESTRATE:
            info.agent_ids = []
        run = TaskRun(info=info, seq=self._live.next_seq("task"), bound_agent=bound)
        run.data_roots = data_roots
        run.counted_in_queue = True
        if info.kind is TaskKind.TRAIN:
            run.resume_requested = resume
            if checkpoint is not None:
                if resume:
                    run.checkpoint = checkpoint
                    run.checkpointed = True
                else:
                    self._checkpoints.queue_delete(task_id)
        self._live.queued += 1
        self._live.tasks[task_id] = run
        self._p.writer.row("task", UPDATE, conv.task_state(info))
        batch = self._events.emit(
            "task_retried",
            info.swarm_id,
            task_id,
            {
                "attempt": info.attempts,
                "resume_from_epoch": run.checkpoint.epochs_done if run.checkpoint else None,
            },
        )
        self._events.notify("task", task_id)
        self._scheduler.schedule(run)
        await batch.wait()
        return info.model_copy()

    async def complete_external(
        self, task_id: str, result: dict[str, Any] | None = None, error: str | None = None
    ) -> TaskInfo:
        """Report the outcome of a task waiting on an external agent (the client's sub-agent)."""
        self._p.check_open()
        if (result is None) == (error is None):
            raise ValidationError(
                "result", "give exactly one of result (an object) or error (a string)"
            )
        if result is not None:
            if not isinstance(result, dict):
                raise ValidationError(
                    "result", f"result must be a JSON object, got {type(result).__name__}"
                )
            json_size("result", result, self._config.max_payload_bytes, "max_payload_bytes")
        if error is not None and not isinstance(error, str):
            raise ValidationError("error", "error must be a string")
        run = self._live.tasks.get(task_id)
        if run is None:
            current = (await self.get(task_id)).status
            raise InvalidStateError(f"task {task_id}", current.value, TaskStatus.COMPLETED.value)
        if run.external is None or run.external.is_set():
            raise InvalidStateError(
                f"task {task_id}",
                run.status.value,
                TaskStatus.COMPLETED.value,
                "it is not waiting for an external result",
            )
        run.external_outcome = (result, error)
        run.external.set()
        await run.wait_done()
        return run.info.model_copy()

    # -- retention -----------------------------------------------------------------------------

    async def purge_finished(self) -> int:
        """Apply the task retention policy now; returns how many task rows were deleted."""
        total = 0
        while True:
            n = await self._purge_pass()
            total += n
            if n < PURGE_CHUNK:
                return total

    async def _purge_pass(self) -> int:
        removed: list[int] = []
        live = set(self._live.tasks)
        await self._p.writer.call(lambda conn: removed.append(self._pick(conn, live))).wait()
        return removed[0] if removed else 0

    def _pick(self, conn: Connection, live: set[str]) -> int:
        t, cp = TABLES["task"], TABLES["checkpoint"]
        cutoff = time.time() - self._config.task_retention_seconds
        # finished_at of the oldest task still inside the newest max_finished_tasks
        nth = conn.execute(
            select(t.c.finished_at)
            .where(t.c.finished_at.is_not(None))
            .order_by(t.c.finished_at.desc())
            .limit(1)
            .offset(self._config.max_finished_tasks)
        ).scalar()
        old = t.c.finished_at < cutoff
        if nth is not None:
            old = or_(old, t.c.finished_at <= nth)
        rows = conn.execute(
            select(t.c.id)
            .where(
                t.c.finished_at.is_not(None),
                old,
                ~exists().where(cp.c.task_id == t.c.id),
            )
            .order_by(t.c.finished_at)
            .limit(PURGE_CHUNK)
        ).all()
        ids = [r.id for r in rows if r.id not in live]
        if ids:
            conn.execute(t.delete().where(t.c.id.in_(ids)))
        # a chunk shortened by live ids still counts as full: more may follow
        return len(rows)

    # -- restore, status, export/import, delete ---------------------------------------------------

    @staticmethod
    def read_unfinished(conn: Connection) -> list[Any]:
        t = TABLES["task"]
        q = select(t.c.id, t.c.swarm_id, t.c.status, t.c.started_at).where(
            t.c.status.in_(_NOT_FINAL)
        )
        return list(conn.execute(q).all())

    def interrupt(self, rows: list[Any]) -> None:
        """Mark tasks a stopped process left unfinished as `interrupted` (restore)."""
        w = self._p.writer
        now = time.time()
        for r in rows:
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
            self._events.emit(
                "task_interrupted", r.swarm_id, r.id, {"was": r.status, "on": "restart"}
            )

    @staticmethod
    def count_by_status(conn: Connection, swarm_id: str | None = None) -> dict[str, int]:
        t = TABLES["task"]
        q = select(t.c.status, func.count())
        if swarm_id is not None:
            q = q.where(t.c.swarm_id == swarm_id)
        return {str(s): int(n) for s, n in conn.execute(q.group_by(t.c.status)).all()}

    @staticmethod
    def stored_status_of(conn: Connection, ids: list[str]) -> list[str]:
        if not ids:
            return []
        t = TABLES["task"]
        return list(conn.execute(select(t.c.status).where(t.c.id.in_(ids))).scalars().all())

    def live_by_status(self, swarm_id: str | None = None) -> dict[str, int]:
        out: dict[str, int] = {}
        for run in self._live.tasks.values():
            if swarm_id is None or run.info.swarm_id == swarm_id:
                out[run.status.value] = out.get(run.status.value, 0) + 1
        return out

    @staticmethod
    def rows_for_swarm(conn: Connection, swarm_id: str) -> list[Any]:
        t = TABLES["task"]
        return list(conn.execute(select(t).where(t.c.swarm_id == swarm_id).order_by(t.c.seq)).all())

    def live_info(self, task_id: str) -> TaskInfo | None:
        run = self._live.tasks.get(task_id)
        return None if run is None else run.info

    def queue_import(self, tasks: list[TaskInfo]) -> None:
        """Queue imported tasks; those that were not final come back `interrupted`."""
        for t in tasks:
            if not t.status.is_final:
                t.status = TaskStatus.INTERRUPTED
                t.error = t.error or "interrupted: the swarm was exported while the task ran"
            self._p.writer.row("task", INSERT, conv.task_row(t, self._live.next_seq("task")))

    @staticmethod
    def first_taken_id(conn: Connection, ids: list[str]) -> str | None:
        t = TABLES["task"]
        row = conn.execute(select(t.c.id).where(t.c.id.in_(ids))).first()
        return None if row is None else str(row[0])

    @staticmethod
    def delete_swarm_rows(conn: Connection, swarm_id: str) -> int:
        t = TABLES["task"]
        return int(conn.execute(t.delete().where(t.c.swarm_id == swarm_id)).rowcount or 0)
