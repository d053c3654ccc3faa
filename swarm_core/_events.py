"""EventLog: owns the `event` table (append-only: events are written with the change they
describe, in the same group commit; ids only grow) and the in-process change feed that
subscribers (the MCP layer's resource-update notifications) follow."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection, func, select

from swarm_core import _convert as conv
from swarm_core._exceptions import ValidationError
from swarm_core._plumbing import Plumbing
from swarm_core._types import Event
from swarm_core._validate import check_limit_offset
from swarm_core.store._tables import TABLES
from swarm_core.store._writer import Batch

log = logging.getLogger("swarm_core")

# Event ids are SQLite INTEGERs (int64); a larger bound cannot even be bound to a query.
MAX_EVENT_ID = 2**63 - 1
PURGE_CHUNK = 5_000  # events removed per purge commit (live writes interleave)

Subscriber = Callable[[str, str], Any]


class EventLog:
    def __init__(self, plumbing: Plumbing) -> None:
        self._p = plumbing
        self._subscribers: list[Subscriber] = []

    # -- writing -------------------------------------------------------------------------------

    def emit(
        self,
        kind: str,
        swarm_id: str | None,
        subject_id: str | None,
        data: Mapping[str, Any] | None = None,
    ) -> Batch:
        """Append an event (commits with the next group commit, with the rows queued before)."""
        return self._p.writer.event(
            {
                "ts": time.time(),
                "swarm_id": swarm_id,
                "kind": kind,
                "subject_id": subject_id,
                "data": dict(data) if data else {},
            }
        )

    @staticmethod
    def insert_now(conn: Connection, kind: str, swarm_id: str, data: Mapping[str, Any]) -> None:
        """Write an event inside a writer call's own transaction (used by bulk deletes)."""
        conn.execute(
            TABLES["event"].insert(),
            {
                "ts": time.time(),
                "swarm_id": swarm_id,
                "kind": kind,
                "subject_id": swarm_id,
                "data": dict(data),
            },
        )

    # -- change feed ---------------------------------------------------------------------------

    def notify(self, kind: str, subject_id: str) -> None:
        for cb in list(self._subscribers):
            try:
                out = cb(kind, subject_id)
                if hasattr(out, "__await__") and self._p.tg is not None:

                    async def _await(o: Any = out) -> None:
                        try:
                            await o
                        except Exception:
                            log.exception("change subscriber failed")

                    self._p.tg.start_soon(_await)
            except Exception:
                log.exception("change subscriber failed")

    def notify_after(self, batch: Batch, kind: str, subject_id: str) -> None:
        """Report the change once its batch has committed: subscribers (resource-update
        notifications) then never announce state that is not on disk yet, and their work runs
        after the caller's answer instead of delaying the commit."""
        batch.callbacks.append(functools.partial(self.notify, kind, subject_id))

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    # -- reading -------------------------------------------------------------------------------

    async def events(
        self,
        since_id: int = 0,
        limit: int = 100,
        swarm_id: str | None = None,
        kind: str | None = None,
    ) -> list[Event]:
        check_limit_offset(self._p.config, limit, 0)
        if (
            isinstance(since_id, bool)
            or not isinstance(since_id, int)
            or not 0 <= since_id <= MAX_EVENT_ID
        ):
            raise ValidationError(
                "since_id", f"since_id must be an integer in 0..{MAX_EVENT_ID}, got {since_id!r}"
            )
        e = TABLES["event"]
        q = select(e).where(e.c.id > since_id)
        if swarm_id is not None:
            q = q.where(e.c.swarm_id == swarm_id)
        if kind is not None:
            q = q.where(e.c.kind == str(kind))
        q = q.order_by(e.c.id).limit(limit)
        rows = await self._p.read(lambda c: c.execute(q).all())
        return [conv.event_from(r) for r in rows]

    # -- retention -----------------------------------------------------------------------------

    async def purge_old_events(self) -> int:
        """Apply the event retention policy now; returns how many events were deleted."""
        total = 0
        while True:
            n = await self._purge_pass()
            total += n
            if n < PURGE_CHUNK:
                return total

    async def _purge_pass(self) -> int:
        removed: list[int] = []
        await self._p.writer.call(lambda conn: removed.append(self._purge_chunk(conn))).wait()
        return removed[0] if removed else 0

    def _purge_chunk(self, conn: Connection) -> int:
        cfg = self._p.config
        e = TABLES["event"]
        cutoff = time.time() - cfg.event_retention_seconds
        newest = conn.execute(select(func.max(e.c.id))).scalar()
        if newest is None:
            return 0
        keep_from = newest - cfg.max_events  # ids <= this are beyond the newest max_events
        # ids only grow with time, so the expired events are a prefix in id order: walk the
        # oldest chunk and stop at the first one to keep (no scan of what stays)
        rows = conn.execute(select(e.c.id, e.c.ts).order_by(e.c.id).limit(PURGE_CHUNK)).all()
        last = None
        for r in rows:
            if r.ts < cutoff or r.id <= keep_from:
                last = r.id
            else:
                break
        if last is None:
            return 0
        return int(conn.execute(e.delete().where(e.c.id <= last)).rowcount or 0)

    @staticmethod
    def delete_swarm_rows(conn: Connection, swarm_id: str) -> int:
        e = TABLES["event"]
        return int(conn.execute(e.delete().where(e.c.swarm_id == swarm_id)).rowcount or 0)
