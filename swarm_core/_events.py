"""The event log: append-only (events are written with the change they describe, in the same
group commit; ids only grow), read by id, swarm or kind."""

from __future__ import annotations

from sqlalchemy import select

from swarm_core import _convert as conv
from swarm_core._core import EngineCore
from swarm_core._exceptions import ValidationError
from swarm_core._types import Event
from swarm_core.store._tables import TABLES

# Event ids are SQLite INTEGERs (int64); a larger bound cannot even be bound to a query.
MAX_EVENT_ID = 2**63 - 1


class EventOps(EngineCore):
    async def events(
        self,
        since_id: int = 0,
        limit: int = 100,
        swarm_id: str | None = None,
        kind: str | None = None,
    ) -> list[Event]:
        """Events with id > since_id, oldest first (append-only; ids only grow)."""
        self._check_limit_offset(limit, 0)
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
        return [conv.event_from(r) for r in self._store.read(lambda c: c.execute(q).all())]
