"""What keeps the database from growing without bound: deleting a swarm with everything it owns,
and the retention policy for finished tasks and events.

Retention (EngineConfig): a finished task is deleted once it finished more than
`task_retention_seconds` ago or is older than the newest `max_finished_tasks` finished tasks;
an event once older than `event_retention_seconds` or older than the newest `max_events` ids.
A task that is pending or running, or whose training checkpoint is kept for a retry, is never
deleted. Each purge commit removes at most `PURGE_CHUNK` rows per table, so writes of live work
interleave with a large purge instead of waiting for it.
"""

from __future__ import annotations

import time
from typing import Any

import anyio
from sqlalchemy import Connection, exists, or_, select

from swarm_core._exceptions import InvalidStateError
from swarm_core._models_registry import ModelService
from swarm_core._task_control import TaskControlOps
from swarm_core.store._tables import TABLES

PURGE_CHUNK = 5_000


class RetentionOps(TaskControlOps):
    _models: ModelService

    # -- deleting a swarm ---------------------------------------------------------------------

    async def delete_swarm(self, swarm_id: str) -> dict[str, Any]:
        """Delete a swarm and everything it owns: its tasks (unfinished ones are cancelled
        first), agents, models, checkpoints, memory entries tied to it, documents and its
        events. One `swarm_deleted` event (with the counts) is kept in the log, so readers
        following the log by id learn of it; it ages out with the retention policy.

        Returns {"swarm_id", "cancelled_tasks", "deleted": {table: rows}}. Raises
        InvalidStateError if a cancelled task did not stop within cancel_wait_seconds (the
        swarm is then left in place, its tasks cancelled; call again)."""
        self._check_open()
        self._swarm(swarm_id)
        self._deleting.add(swarm_id)
        try:
            runs = [r for r in self._tasks.values() if r.info.swarm_id == swarm_id]
            for run in runs:
                self._request_cancel(run)
            with anyio.move_on_after(self.config.cancel_wait_seconds):
                for run in runs:
                    await run.wait_done()
            stuck = [r.id for r in runs if not r.finished]
            if stuck:
                raise InvalidStateError(
                    f"swarm {swarm_id}",
                    "running",
                    "deleted",
                    f"{len(stuck)} of its tasks did not stop within cancel_wait_seconds="
                    f"{self.config.cancel_wait_seconds} (e.g. {stuck[0]}); try again",
                )
            self._forget_swarm(swarm_id)
            self._models.drop_swarm(swarm_id)
            counts: dict[str, int] = {}
            fts = self._store.fts

            def purge(conn: Connection) -> None:
                counts.update(_delete_swarm_rows(conn, swarm_id, fts=fts))
                conn.execute(
                    TABLES["event"].insert(),
                    {
                        "ts": time.time(),
                        "swarm_id": swarm_id,
                        "kind": "swarm_deleted",
                        "subject_id": swarm_id,
                        "data": {"deleted": dict(counts), "cancelled_tasks": len(runs)},
                    },
                )

            batch = self._writer.call(purge)
            self._notify_after(batch, "swarm", swarm_id)
            await batch.wait()
        finally:
            self._deleting.discard(swarm_id)
        return {"swarm_id": swarm_id, "cancelled_tasks": len(runs), "deleted": counts}

    # -- retention ----------------------------------------------------------------------------

    async def purge_finished_tasks(self) -> int:
        """Apply the task retention policy now; returns how many task rows were deleted."""
        total = 0
        while True:
            n = await self._purge_pass(self._pick_tasks)
            total += n
            if n < PURGE_CHUNK:
                return total

    async def purge_old_events(self) -> int:
        """Apply the event retention policy now; returns how many events were deleted."""
        return await self._events.purge_old_events()

    async def purge_history(self) -> dict[str, int]:
        return {"tasks": await self.purge_finished_tasks(), "events": await self.purge_old_events()}

    async def _purge_pass(self, pick: Any) -> int:
        removed: list[int] = []
        live = set(self._tasks)
        await self._writer.call(lambda conn: removed.append(pick(conn, live))).wait()
        return removed[0] if removed else 0

    def _pick_tasks(self, conn: Connection, live: set[str]) -> int:
        t, cp = TABLES["task"], TABLES["checkpoint"]
        cutoff = time.time() - self.config.task_retention_seconds
        # finished_at of the oldest task still inside the newest max_finished_tasks
        nth = conn.execute(
            select(t.c.finished_at)
            .where(t.c.finished_at.is_not(None))
            .order_by(t.c.finished_at.desc())
            .limit(1)
            .offset(self.config.max_finished_tasks)
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


def _delete_swarm_rows(conn: Connection, swarm_id: str, *, fts: bool) -> dict[str, int]:
    """Delete every row of a swarm, each through an index on its swarm (or on the task / agent
    ids of the swarm, for the tables keyed by those)."""
    from swarm_core import _knowledge

    T = TABLES
    task, agent = T["task"], T["agent"]
    counts: dict[str, int] = {}

    def run(name: str, stmt: Any) -> None:
        counts[name] = int(conn.execute(stmt).rowcount or 0)

    cp = T["checkpoint"]
    run(
        "checkpoints",
        cp.delete().where(cp.c.task_id.in_(select(task.c.id).where(task.c.swarm_id == swarm_id))),
    )
    cap = T["agent_capability"]
    run(
        "agent_capabilities",
        cap.delete().where(
            cap.c.agent_id.in_(select(agent.c.id).where(agent.c.swarm_id == swarm_id))
        ),
    )
    run("tasks", task.delete().where(task.c.swarm_id == swarm_id))
    run("agents", agent.delete().where(agent.c.swarm_id == swarm_id))
    for name, table in (("models", "model"), ("memory", "memory"), ("documents", "document")):
        t = T[table]
        run(name, t.delete().where(t.c.swarm_id == swarm_id))
    if fts:
        _knowledge.delete_swarm(conn, swarm_id)
    run("events", T["event"].delete().where(T["event"].c.swarm_id == swarm_id))
    run("swarm", T["swarm"].delete().where(T["swarm"].c.id == swarm_id))
    counts.pop("agent_capabilities", None)
    return counts
