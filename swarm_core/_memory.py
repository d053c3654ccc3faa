"""Shared memory: a namespaced JSON key-value store with optional TTL.

Expired entries are invisible to every read at once and purged from disk periodically."""

from __future__ import annotations

import math
import time
from typing import Any

import anyio
from sqlalchemy import Connection, select

from swarm_core import _convert as conv
from swarm_core._core import EngineCore
from swarm_core._exceptions import NotFoundError, ValidationError
from swarm_core._types import MemoryEntry
from swarm_core.store._tables import TABLES
from swarm_core.store._writer import DELETE, UPSERT

MAX_TTL_SECONDS = 10 * 365 * 24 * 3600.0
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class MemoryOps(EngineCore):
    def _check_key(self, field: str, value: object) -> str:
        lim = self.config.max_key_length
        if not isinstance(value, str) or not value or len(value) > lim:
            raise ValidationError(
                field,
                f"{field} must be a non-empty string of at most max_key_length={lim} characters, got {value!r}",
            )
        return value

    def _live(self, conn: Connection, namespace: str, key: str) -> Any:
        m = TABLES["memory"]
        now = time.time()
        return conn.execute(
            select(m).where(
                m.c.namespace == namespace,
                m.c.key == key,
                (m.c.expires_at.is_(None)) | (m.c.expires_at > now),
            )
        ).first()

    async def memory_store(
        self,
        namespace: str,
        key: str,
        value: Any,
        ttl_seconds: float | None = None,
        *,
        swarm_id: str | None = None,
    ) -> MemoryEntry:
        """Set a value (any JSON); `ttl_seconds` makes it expire; `swarm_id` ties it to a swarm
        (exported with it)."""
        self._check_open()
        self._check_key("namespace", namespace)
        self._check_key("key", key)
        self._json_size(
            "value", value, self.config.max_memory_value_bytes, "max_memory_value_bytes"
        )
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
            self._swarm(swarm_id)
        old = self._store.read(lambda c: self._live(c, namespace, key))
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
        self._writer.row("memory", UPSERT, entry.model_dump())
        batch = self._emit(
            "memory_stored", swarm_id, f"{namespace}/{key}", {"ttl_seconds": ttl_seconds}
        )
        self._notify("memory", f"{namespace}/{key}")
        await batch.wait()
        return entry

    async def memory_get(self, namespace: str, key: str) -> MemoryEntry:
        """The live entry; NotFoundError if absent or expired."""
        self._check_key("namespace", namespace)
        self._check_key("key", key)
        row = self._store.read(lambda c: self._live(c, namespace, key))
        if row is None:
            raise NotFoundError(
                "memory key",
                f"{namespace}/{key}",
                f"no memory entry {key!r} in namespace {namespace!r}",
            )
        return conv.memory_from(row)

    async def memory_list(
        self,
        namespace: str | None = None,
        prefix: str | None = None,
        limit: int = 100,
        *,
        swarm_id: str | None = None,
        offset: int = 0,
    ) -> list[MemoryEntry]:
        self._check_limit_offset(limit, offset)
        m = TABLES["memory"]
        now = time.time()
        q = select(m).where((m.c.expires_at.is_(None)) | (m.c.expires_at > now))
        if namespace is not None:
            q = q.where(m.c.namespace == self._check_key("namespace", namespace))
        if prefix is not None:
            if not isinstance(prefix, str):
                raise ValidationError("prefix", "prefix must be a string")
            q = q.where(m.c.key.startswith(prefix, autoescape=True))
        if swarm_id is not None:
            q = q.where(m.c.swarm_id == swarm_id)
        q = q.order_by(m.c.namespace, m.c.key).limit(limit).offset(offset)
        return [conv.memory_from(r) for r in self._store.read(lambda c: c.execute(q).all())]

    async def memory_delete(self, namespace: str, key: str) -> bool:
        """Delete an entry; True if a live entry existed."""
        self._check_open()
        self._check_key("namespace", namespace)
        self._check_key("key", key)
        old = self._store.read(lambda c: self._live(c, namespace, key))
        self._writer.row("memory", DELETE, None, key=(namespace, key))
        batch = self._emit("memory_deleted", old.swarm_id if old else None, f"{namespace}/{key}")
        self._notify("memory", f"{namespace}/{key}")
        await batch.wait()
        return old is not None

    async def purge_expired_memory(self) -> int:
        """Delete expired entries from disk now; returns how many were removed."""
        m = TABLES["memory"]
        now = time.time()
        removed: list[int] = []

        def purge(conn: Connection) -> None:
            removed.append(conn.execute(m.delete().where(m.c.expires_at <= now)).rowcount)

        await self._writer.call(purge).wait()
        return removed[0] if removed else 0

    async def _purge_loop(self) -> None:
        while True:
            await anyio.sleep(self.config.memory_purge_interval)
            try:
                await self.purge_expired_memory()
                await self.purge_stale_checkpoints()  # type: ignore[attr-defined]  # TaskControlOps
                await self.purge_history()  # type: ignore[attr-defined]  # RetentionOps
            except Exception:
                from swarm_core._core import log

                log.exception("purge of expired memory / checkpoints / old tasks and events failed")
