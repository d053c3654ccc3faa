"""What keeps the database from growing without bound: deleting a swarm with everything it owns,
and the retention policy for finished tasks and events.

Retention (EngineConfig): a finished task is deleted once it finished more than
`task_retention_seconds` ago or is older than the newest `max_finished_tasks` finished tasks;
an event once older than `event_retention_seconds` or older than the newest `max_events` ids.
A task that is pending or running, or whose training checkpoint is kept for a retry, is never
deleted. Each purge commit removes at most `PURGE_CHUNK` rows per table, so writes of live work
interleave with a large purge instead of waiting for it.

Deleting a swarm asks every owner to delete its rows, in one transaction.
"""

from __future__ import annotations

from typing import Any

import anyio
from sqlalchemy import Connection

from swarm_core._checkpoints import CheckpointStore
from swarm_core._events import EventLog
from swarm_core._exceptions import InvalidStateError
from swarm_core._knowledge_ops import KnowledgeService
from swarm_core._live import LiveState
from swarm_core._memory import MemoryService
from swarm_core._models_registry import ModelService
from swarm_core._plumbing import Plumbing
from swarm_core._scheduler import Scheduler
from swarm_core._swarms import SwarmService
from swarm_core._task_service import PURGE_CHUNK, TaskService

__all__ = ["PURGE_CHUNK", "SwarmDeleter"]


class SwarmDeleter:
    def __init__(
        self,
        plumbing: Plumbing,
        live: LiveState,
        events: EventLog,
        scheduler: Scheduler,
        models: ModelService,
    ) -> None:
        self._p = plumbing
        self._live = live
        self._events = events
        self._scheduler = scheduler
        self._models = models

    async def delete_swarm(self, swarm_id: str) -> dict[str, Any]:
        self._p.check_open()
        self._live.swarm(swarm_id)
        cfg = self._p.config
        self._live.deleting.add(swarm_id)
        try:
            runs = self._live.swarm_runs(swarm_id)
            for run in runs:
                self._scheduler.request_cancel(run)
            with anyio.move_on_after(cfg.cancel_wait_seconds):
                for run in runs:
                    await run.wait_done()
            stuck = [r.id for r in runs if not r.finished]
            if stuck:
                raise InvalidStateError(
                    f"swarm {swarm_id}",
                    "running",
                    "deleted",
                    f"{len(stuck)} of its tasks did not stop within cancel_wait_seconds="
                    f"{cfg.cancel_wait_seconds} (e.g. {stuck[0]}); try again",
                )
            self._live.forget_swarm(swarm_id)
            self._models.drop_swarm(swarm_id)
            counts: dict[str, int] = {}
            fts = self._p.store.fts

            def purge(conn: Connection) -> None:
                counts.update(_delete_swarm_rows(conn, swarm_id, fts=fts))
                EventLog.insert_now(
                    conn,
                    "swarm_deleted",
                    swarm_id,
                    {"deleted": dict(counts), "cancelled_tasks": len(runs)},
                )

            batch = self._p.writer.call(purge)
            self._events.notify_after(batch, "swarm", swarm_id)
            await batch.wait()
        finally:
            self._live.deleting.discard(swarm_id)
        return {"swarm_id": swarm_id, "cancelled_tasks": len(runs), "deleted": counts}


def _delete_swarm_rows(conn: Connection, swarm_id: str, *, fts: bool) -> dict[str, int]:
    """Every owner deletes the swarm's rows of its tables (checkpoints first: they are found
    through the swarm's tasks; the swarm row last)."""
    counts = {"checkpoints": CheckpointStore.delete_swarm_rows(conn, swarm_id)}
    counts["tasks"] = TaskService.delete_swarm_rows(conn, swarm_id)
    counts["agents"] = SwarmService.delete_agent_rows(conn, swarm_id)
    counts["models"] = ModelService.delete_swarm_rows(conn, swarm_id)
    counts["memory"] = MemoryService.delete_swarm_rows(conn, swarm_id)
    counts["documents"] = KnowledgeService.delete_swarm_rows(conn, swarm_id, fts=fts)
    counts["events"] = EventLog.delete_swarm_rows(conn, swarm_id)
    counts["swarm"] = SwarmService.delete_swarm_row(conn, swarm_id)
    return counts
