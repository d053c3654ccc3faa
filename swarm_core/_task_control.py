"""Tasks seen from outside: get/wait/list, cancel (reaching running CPU loops through their
cancel_event), retry, completion of external tasks, and what terminating an agent does to its work."""

from __future__ import annotations

import time
from typing import Any

import anyio
from sqlalchemy import select

from swarm_core import _convert as conv
from swarm_core._checkpoint import Checkpoint
from swarm_core._exceptions import (
    InvalidStateError,
    NotFoundError,
    QueueFullError,
    ValidationError,
)
from swarm_core._paths import DataRoots
from swarm_core._task_ops import TaskOps
from swarm_core._tasks import TaskRun, check_transition
from swarm_core._types import (
    AgentInfo,
    TaskInfo,
    TaskKind,
    TaskStatus,
    parse_task_kind,
    parse_task_status,
)
from swarm_core.store._tables import TABLES
from swarm_core.store._writer import DELETE, UPDATE


class TaskControlOps(TaskOps):
    # -- queries -------------------------------------------------------------------------------

    async def get_task(self, task_id: str) -> TaskInfo:
        run = self._tasks.get(task_id)
        if run is not None:
            return run.info.model_copy()
        t = TABLES["task"]
        row = self._store.read(lambda c: c.execute(select(t).where(t.c.id == task_id)).first())
        if row is None:
            raise NotFoundError("task", task_id)
        return conv.task_from(row)

    async def wait_task(self, task_id: str, timeout: float | None = None) -> TaskInfo:
        """The task once it is final (or its current state when `timeout` seconds pass first).
        Cancelling the waiter does not cancel the task."""
        run = self._tasks.get(task_id)
        if run is not None:
            if timeout is None:
                await run.wait_done()
            else:
                with anyio.move_on_after(timeout):
                    await run.wait_done()
            return run.info.model_copy()
        return await self.get_task(task_id)

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
        self._check_limit_offset(limit, offset)
        t = TABLES["task"]
        q = select(t)
        if swarm_id is not None:
            self._swarm(swarm_id)
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
        rows = self._store.read(lambda c: c.execute(q).all())
        out = []
        for r in rows:
            run = self._tasks.get(r.id)
            out.append(run.info.model_copy() if run is not None else conv.task_from(r))
        return out

    # -- control -------------------------------------------------------------------------------

    async def cancel_task(self, task_id: str) -> TaskInfo:
        """Cancel a pending or running task (and its children). A running CPU loop stops at its
        next cancel_event check (training: within one epoch); returns the final state."""
        self._check_open()
        run = self._tasks.get(task_id)
        if run is None or run.status.is_final:
            current = (await self.get_task(task_id)).status
            raise InvalidStateError(f"task {task_id}", current.value, TaskStatus.CANCELLED.value)
        self._request_cancel(run)
        with anyio.move_on_after(self.config.cancel_wait_seconds):
            await run.wait_done()
        return run.info.model_copy()

    def _request_cancel(self, run: TaskRun, *, interrupt: bool = False) -> None:
        if run.status.is_final:
            return
        if interrupt:
            run.interrupt_requested = True
        else:
            run.cancel_requested = True
        run.signal_cancel()
        for child_id in list(run.children):
            child = self._tasks.get(child_id)
            if child is not None:
                self._request_cancel(child, interrupt=interrupt)
        if run.status is TaskStatus.PENDING:
            # not started: settle it right here
            for d in run.deps_left:
                self._waiting.get(d, set()).discard(run.id)
            final = TaskStatus.INTERRUPTED if interrupt else TaskStatus.CANCELLED
            why = (
                "interrupted: the engine shut down before the task started"
                if interrupt
                else "cancelled by request"
            )
            self._after_commit(run, self._finish(run, final, None, why))
        elif run.scope is not None:
            run.scope.cancel()

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
        self._check_open()
        if not isinstance(resume, bool):
            raise ValidationError("resume", f"resume must be true or false, got {resume!r}")
        checkpoint = await self._read_checkpoint(task_id)
        if task_id in self._tasks:
            current = self._tasks[task_id].status
            raise InvalidStateError(
                f"task {task_id}", current.value, TaskStatus.PENDING.value, "it has not finished"
            )
        info = await self.get_task(task_id)
        check_transition(
            task_id,
            info.status,
            TaskStatus.PENDING,
            "only failed, cancelled or interrupted tasks can be retried",
        )
        swarm = self._swarm(info.swarm_id)
        bound = (
            info.agent_ids[0] if info.kind is not TaskKind.ORCHESTRATE and info.agent_ids else None
        )
        if bound is not None and bound not in self._agents:
            bound = None  # its agent is gone: any capable agent may take it
        if (
            info.kind is not TaskKind.ORCHESTRATE
            and bound is None
            and not self._capable_exists(swarm.id, info.kind)
        ):
            self._auto_spawn(swarm, info.kind)
        if self._queued >= self.config.max_queued_tasks:
            raise QueueFullError(
                "max_queued_tasks",
                self._queued,
                f"task queue is full (max_queued_tasks={self.config.max_queued_tasks})",
            )
        info.status = TaskStatus.PENDING
        info.attempts += 1
        info.started_at = info.finished_at = info.duration_ms = None
        info.result = info.error = info.progress_message = None
        info.progress = 0.0
        if info.kind is not TaskKind.ORCHESTRATE:
            info.agent_ids = []
        run = TaskRun(info=info, seq=self._next_seq("task"), bound_agent=bound)
        run.data_roots = data_roots
        run.counted_in_queue = True
        if info.kind is TaskKind.TRAIN:
            run.resume_requested = resume
            if checkpoint is not None:
                if resume:
                    run.checkpoint = checkpoint
                    run.checkpointed = True
                else:
                    self._writer.row("checkpoint", DELETE, None, key=(task_id,))
        self._queued += 1
        self._tasks[task_id] = run
        self._writer.row("task", UPDATE, conv.task_state(info))
        batch = self._emit(
            "task_retried",
            info.swarm_id,
            task_id,
            {
                "attempt": info.attempts,
                "resume_from_epoch": run.checkpoint.epochs_done if run.checkpoint else None,
            },
        )
        self._notify("task", task_id)
        self._schedule(run)
        await batch.wait()
        return info.model_copy()

    async def _read_checkpoint(self, task_id: str) -> Checkpoint | None:
        cp = TABLES["checkpoint"]
        row = await anyio.to_thread.run_sync(
            self._store.read,
            lambda c: c.execute(select(cp).where(cp.c.task_id == task_id)).first(),
        )
        return None if row is None else Checkpoint.from_row(row)

    async def checkpoint_info(self, task_id: str) -> dict[str, Any] | None:
        """The stored checkpoint of a task without its network: epochs done, when, its size,
        the last MSE and whether it holds the optimizer state (None when the task has none)."""
        cp = TABLES["checkpoint"]
        cols = (cp.c.algorithm, cp.c.epochs_done, cp.c.created_at, cp.c.size_bytes, cp.c.meta)
        row = await anyio.to_thread.run_sync(
            self._store.read,
            lambda c: c.execute(select(*cols).where(cp.c.task_id == task_id)).first(),
        )
        if row is None:
            return None
        return {
            "task_id": task_id,
            "algorithm": row.algorithm,
            "epochs_done": int(row.epochs_done),
            "created_at": float(row.created_at),
            "size_bytes": int(row.size_bytes),
            "last_mse": (row.meta or {}).get("last_mse"),
            "optimizer_state": bool((row.meta or {}).get("optimizer_state")),
        }

    async def purge_stale_checkpoints(self) -> int:
        """Bound checkpoint storage: drop those older than `checkpoint_max_age_seconds` and all
        but the newest `max_checkpoints`, never one of a task still pending or running (those
        are kept for resume). Returns how many were removed."""
        cp = TABLES["checkpoint"]
        live = set(self._tasks)
        cutoff = time.time() - self.config.checkpoint_max_age_seconds
        keep = self.config.max_checkpoints
        removed: list[int] = []

        def purge(conn: Any) -> None:
            rows = conn.execute(
                select(cp.c.task_id, cp.c.created_at).order_by(cp.c.created_at.desc())
            ).all()
            stale = [
                r.task_id
                for i, r in enumerate(rows)
                if (i >= keep or r.created_at < cutoff) and r.task_id not in live
            ]
            for start in range(0, len(stale), 500):
                conn.execute(cp.delete().where(cp.c.task_id.in_(stale[start : start + 500])))
            removed.append(len(stale))

        await self._writer.call(purge).wait()
        return removed[0] if removed else 0

    async def complete_external_task(
        self, task_id: str, result: dict[str, Any] | None = None, error: str | None = None
    ) -> TaskInfo:
        """Report the outcome of a task waiting on an external agent (the client's sub-agent)."""
        self._check_open()
        if (result is None) == (error is None):
            raise ValidationError(
                "result", "give exactly one of result (an object) or error (a string)"
            )
        if result is not None:
            if not isinstance(result, dict):
                raise ValidationError(
                    "result", f"result must be a JSON object, got {type(result).__name__}"
                )
            self._json_size("result", result, self.config.max_payload_bytes, "max_payload_bytes")
        if error is not None and not isinstance(error, str):
            raise ValidationError("error", "error must be a string")
        run = self._tasks.get(task_id)
        if run is None:
            current = (await self.get_task(task_id)).status
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

    def _on_agent_terminated(self, agent: AgentInfo, running_task: str | None) -> None:
        if running_task is not None and running_task in self._tasks:
            self._request_cancel(self._tasks[running_task])
        for run in self._queues.drain(("agent", agent.id)):
            self._after_commit(
                run, self._finish(run, TaskStatus.FAILED, None, f"agent {agent.id} was terminated")
            )
        for k, types in self._kind_types.items():
            if agent.type in types and not self._capable_exists(agent.swarm_id, k):
                for run in self._queues.drain(("kind", agent.swarm_id, k.value)):
                    self._after_commit(
                        run,
                        self._finish(
                            run,
                            TaskStatus.FAILED,
                            None,
                            f"no agent left in swarm {agent.swarm_id} can run {k.value} tasks",
                        ),
                    )
