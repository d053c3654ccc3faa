"""MemoryService: owns the `memory` table, a namespaced JSON key-value store with optional TTL.

Expired entries are invisible to every read at once and purged from disk periodically."""

from __future__ import annotations

import math
import time
from typing import Any

from sqlalchemy import Connection, func, select

from swarm_core import _convert as conv
from swarm_core._events import EventLog
from swarm_core._exceptions import NotFoundError, ValidationError
from swarm_core._limits import INT64_MAX, MAX_TTL_SECONDS
from swarm_core._live import LiveState
from swarm_core._plumbing import Plumbing
from swarm_core._types import MemoryEntry
from swarm_core._validate import check_limit_offset, json_size
from swarm_core.store._tables import TABLES
from swarm_core.store._writer import DELETE, INSERT, UPSERT

INT64_MIN = -(2**63)


def _unexpired(m: Any, now: float) -> Any:
    return (m.c.expires_at.is_(None)) | (m.c.expires_at > now)


class MemoryService:
    def __init__(self, plumbing: Plumbing, live: LiveState, events: EventLog) -> None:
        self._p = plumbing
        self._live = live
        self._events = events

    def _check_key(self, field: str, value: object) -> str:
        lim = self._p.config.max_key_length
        if not isinstance(value, str) or not value or len(value) > lim:
            raise ValidationError(
                field,
                f"{field} must be a non-empty string of at most max_key_length={lim} characters, got {value!r}",
            )
        return value

    async def _read_live(self, namespace: str, key: str) -> Any:
        m = TABLES["memory"]
        now = time.time()
        q = select(m).where(m.c.namespace == namespace, m.c.key == key, _unexpired(m, now))
        return await self._p.read(lambda c: c.execute(q).first())

    async def store(
        self,
        namespace: str,
        key: str,
        value: Any,
        ttl_seconds: float | None = None,
        *,
        swarm_id: str | None = None,
    ) -> MemoryEntry:
        cfg = self._p.config
        self._p.check_open()
        self._check_key("namespace", namespace)
        self._check_key("key", key)
        json_size("value", value, cfg.max_memory_value_bytes, "max_memory_value_bytes")
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and not INT64_MIN <= value <= INT64_MAX
        ):
            # The value column has SQLite's NUMERIC affinity: the JSON text of a bare integer
            # beyond int64 is stored as a REAL (2**63 came back as 9.2e18, 10**400 as null).
            raise ValidationError(
                "value",
                "value: a bare integer outside -2**63..2**63-1 cannot be stored exactly; "
                "send it inside an array or object, or as a string",
            )
        if ttl_seconds is not None and (
            isinstance(ttl_seconds, bool)
            or not isinstance(ttl_seconds, int | float)
            or not math.isfinite(ttl_seconds)
            or not 0 < ttl_seconds <= MAX_TTL_SECONDS
        ):
            raise ValidationError(
                "ttl_seconds",
                f"ttl_seconds must be a number in (0, {MAX_TTL_SECONDS:.0f}], got {ttl_seconds!r}",
            )
        if swarm_id is not None:
            self._live.swarm(swarm_id)
        old = await self._read_live(namespace, key)
        self._p.check_open()  # the read awaited: the engine may be closing now
        now = time.time()
        entry = MemoryEntry(
            namespace=namespace,
            key=key,
            value=value,
            swarm_id=swarm_id,
            created_at=old.created_at if old is not None else now,
            updated_at=now,
            expires_at=now + float(ttl_seconds) if ttl_seconds is not None else None,
        )
        self._p.writer.row("memory", UPSERT, entry.model_dump())
        batch = self._events.emit(
            "memory_stored", swarm_id, f"{namespace}/{key}", {"ttl_seconds": ttl_seconds}
        )
        self._events.notify("memory", f"{namespace}/{key}")
        await batch.wait()
        return entry

    async def get(self, namespace: str, key: str) -> MemoryEntry:
        self._check_key("namespace", namespace)
        self._check_key("key", key)
        row = await self._read_live(namespace, key)
        if row is None:
            raise NotFoundError(
                "memory key",
                f"{namespace}/{key}",
                f"no memory entry {key!r} in namespace {namespace!r}",
            )
        return conv.memory_from(row)

    async def list_entries(
        self,
        namespace: str | None = None,
        prefix: str | None = None,
        limit: int = 100,
        *,
        swarm_id: str | None = None,
        offset: int = 0,
    ) -> list[MemoryEntry]:
        check_limit_offset(self._p.config, limit, offset)
        m = TABLES["memory"]
        q = select(m).where(_unexpired(m, time.time()))
        if namespace is not None:
            q = q.where(m.c.namespace == self._check_key("namespace", namespace))
        if prefix is not None:
            if not isinstance(prefix, str):
                raise ValidationError("prefix", "prefix must be a string")
            q = q.where(m.c.key.startswith(prefix, autoescape=True))
        if swarm_id is not None:
            q = q.where(m.c.swarm_id == swarm_id)
        q = q.order_by(m.c.namespace, m.c.key).limit(limit).offset(offset)
        rows = await self._p.read(lambda c: c.execute(q).all())
        return [conv.memory_from(r) for r in rows]

    async def delete(self, namespace: str, key: str) -> bool:
        self._p.check_open()
        self._check_key("namespace", namespace)
        self._check_key("key", key)
        old = await self._read_live(namespace, key)
        self._p.check_open()
        self._p.writer.row("memory", DELETE, None, key=(namespace, key))
        batch = self._events.emit(
            "memory_deleted", old.swarm_id if old else None, f"{namespace}/{key}"
        )
        self._events.notify("memory", f"{namespace}/{key}")
        await batch.wait()
        return old is not None

    async def purge_expired(self) -> int:
        m = TABLES["memory"]
        now = time.time()
        removed: list[int] = []

        def purge(conn: Connection) -> None:
            removed.append(conn.execute(m.delete().where(m.c.expires_at <= now)).rowcount)

        await self._p.writer.call(purge).wait()
        return removed[0] if removed else 0

    # -- per-swarm rows (status, export/import, delete) -------------------------------------------

    @staticmethod
    def count_for_swarm(conn: Connection, swarm_id: str) -> int:
        m = TABLES["memory"]
        q = select(func.count()).where(m.c.swarm_id == swarm_id, _unexpired(m, time.time()))
        return int(conn.execute(q).scalar_one())

    @staticmethod
    def rows_for_swarm(conn: Connection, swarm_id: str) -> list[Any]:
        m = TABLES["memory"]
        q = select(m).where(m.c.swarm_id == swarm_id, _unexpired(m, time.time()))
        return list(conn.execute(q).all())

    def queue_import(self, entries: list[MemoryEntry]) -> None:
        for e in entries:
            self._p.writer.row("memory", INSERT, e.model_dump())

    @staticmethod
    def delete_swarm_rows(conn: Connection, swarm_id: str) -> int:
        m = TABLES["memory"]
        return int(conn.execute(m.delete().where(m.c.swarm_id == swarm_id)).rowcount or 0)
