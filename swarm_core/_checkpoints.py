"""CheckpointStore: owns the `checkpoint` table (one row per train task, replaced as training
proceeds; kept for a resume until the task completes or is cancelled)."""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, select

from swarm_core._checkpoint import Checkpoint
from swarm_core._plumbing import Plumbing
from swarm_core.store._tables import TABLES
from swarm_core.store._writer import DELETE, UPSERT


class CheckpointStore:
    def __init__(self, plumbing: Plumbing) -> None:
        self._p = plumbing

    async def read(self, task_id: str) -> Checkpoint | None:
        cp = TABLES["checkpoint"]
        q = select(cp).where(cp.c.task_id == task_id)
        row = await self._p.read(lambda c: c.execute(q).first())
        return None if row is None else Checkpoint.from_row(row)

    async def info(self, task_id: str) -> dict[str, Any] | None:
        cp = TABLES["checkpoint"]
        cols = (cp.c.algorithm, cp.c.epochs_done, cp.c.created_at, cp.c.size_bytes, cp.c.meta)
        q = select(*cols).where(cp.c.task_id == task_id)
        row = await self._p.read(lambda c: c.execute(q).first())
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

    def queue_save(self, ckpt: Checkpoint) -> None:
        self._p.writer.row("checkpoint", UPSERT, ckpt.row())

    def queue_delete(self, task_id: str) -> None:
        self._p.writer.row("checkpoint", DELETE, None, key=(task_id,))

    async def purge_stale(self, live: Collection[str]) -> int:
        cfg = self._p.config
        cp = TABLES["checkpoint"]
        live = set(live)
        cutoff = time.time() - cfg.checkpoint_max_age_seconds
        keep = cfg.max_checkpoints
        removed: list[int] = []

        def purge(conn: Connection) -> None:
            rows = conn.execute(
                select(cp.c.task_id, cp.c.created_at).order_by(cp.c.created_at.desc())
            ).all()
            # live tasks' checkpoints are always kept and do not count toward max_checkpoints:
            # otherwise a running training that just saved one would push out a finished one
            # depending on when its save landed
            done = [r for r in rows if r.task_id not in live]
            stale = [r.task_id for i, r in enumerate(done) if i >= keep or r.created_at < cutoff]
            for start in range(0, len(stale), 500):
                conn.execute(cp.delete().where(cp.c.task_id.in_(stale[start : start + 500])))
            removed.append(len(stale))

        await self._p.writer.call(purge).wait()
        return removed[0] if removed else 0

    @staticmethod
    def delete_swarm_rows(conn: Connection, swarm_id: str) -> int:
        cp, task = TABLES["checkpoint"], TABLES["task"]
        q = cp.delete().where(
            cp.c.task_id.in_(select(task.c.id).where(task.c.swarm_id == swarm_id))
        )
        return int(conn.execute(q).rowcount or 0)
