"""The engine side of the knowledge base: documents stored as rows and indexed (same commit) in
the FTS5 table that `_knowledge` defines (posting tables on PostgreSQL); searches ranked by BM25."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, func, select

from swarm_core import _knowledge
from swarm_core._events import EventLog
from swarm_core._exceptions import LimitExceededError, UnsupportedError, ValidationError
from swarm_core._ids import new_id
from swarm_core._live import LiveState
from swarm_core._plumbing import Plumbing
from swarm_core._types import DocumentHit
from swarm_core._validate import check_name, json_size
from swarm_core.store._tables import TABLES
from swarm_core.store._writer import INSERT


class KnowledgeService:
    def __init__(self, plumbing: Plumbing, live: LiveState, events: EventLog) -> None:
        self._p = plumbing
        self._live = live
        self._events = events

    def need_fts(self) -> None:
        store = self._p.store
        if not store.fts:
            raise UnsupportedError(
                "the knowledge base needs PostgreSQL or SQLite with FTS5; this database "
                f"({store.engine.url.get_backend_name()}) has no knowledge index"
            )

    async def add(
        self, swarm_id: str, title: str, text: str, metadata: Mapping[str, Any] | None = None
    ) -> str:
        cfg = self._p.config
        self._p.check_open()
        self._live.swarm(swarm_id)
        self.need_fts()
        check_name(cfg, "title", title)
        if not isinstance(text, str):
            raise ValidationError("text", "text must be a string")
        size = len(text.encode("utf-8"))
        if size > cfg.max_document_bytes:
            raise LimitExceededError(
                "max_document_bytes",
                size,
                f"document text is {size} bytes; the limit is max_document_bytes={cfg.max_document_bytes}",
            )
        if metadata is not None and not isinstance(metadata, Mapping):
            raise ValidationError("metadata", "metadata must be a JSON object")
        meta = dict(metadata or {})
        json_size("metadata", meta, cfg.max_memory_value_bytes, "max_memory_value_bytes")
        doc_id = new_id("doc")
        self.queue_insert(
            {
                "id": doc_id,
                "swarm_id": swarm_id,
                "title": title,
                "text": text,
                "meta": meta,
                "created_at": time.time(),
            }
        )
        batch = self._events.emit(
            "document_added", swarm_id, doc_id, {"title": title, "bytes": size}
        )
        self._events.notify("document", doc_id)
        await batch.wait()
        return doc_id

    def queue_insert(self, row: dict[str, Any]) -> None:
        """Queue a document row and its index entries (they commit together)."""
        w = self._p.writer
        w.row("document", INSERT, {**row, "seq": self._live.next_seq("document")})

        def index(conn: Connection) -> None:
            _knowledge.index_document(
                conn,
                swarm_id=row["swarm_id"],
                doc_id=row["id"],
                title=row["title"],
                text=row["text"],
            )

        w.call(index)

    async def search(self, swarm_id: str, query: str, limit: int = 10) -> list[DocumentHit]:
        self._live.swarm(swarm_id)
        self.need_fts()
        hits = await self._p.read(lambda c: _knowledge.search_documents(c, swarm_id, query, limit))
        return [DocumentHit(**h) for h in hits]

    async def passages(self, swarm_id: str, query: str, limit: int = 10) -> list[Any]:
        self._live.swarm(swarm_id)
        self.need_fts()
        return await self._p.read(lambda c: _knowledge.search_passages(c, swarm_id, query, limit))

    # -- per-swarm rows (status, export/import, delete) -------------------------------------------

    @staticmethod
    def count_for_swarm(conn: Connection, swarm_id: str) -> int:
        d = TABLES["document"]
        return int(conn.execute(select(func.count()).where(d.c.swarm_id == swarm_id)).scalar_one())

    @staticmethod
    def rows_for_swarm(conn: Connection, swarm_id: str) -> list[Any]:
        d = TABLES["document"]
        return list(conn.execute(select(d).where(d.c.swarm_id == swarm_id).order_by(d.c.seq)).all())

    @staticmethod
    def delete_swarm_rows(conn: Connection, swarm_id: str, *, fts: bool) -> int:
        d = TABLES["document"]
        n = int(conn.execute(d.delete().where(d.c.swarm_id == swarm_id)).rowcount or 0)
        if fts:
            _knowledge.delete_swarm(conn, swarm_id)
        return n
