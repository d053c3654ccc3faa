"""The engine side of the knowledge base: documents stored as rows and indexed (same commit) in
the FTS5 table that `_knowledge` defines (posting tables on PostgreSQL); searches ranked by BM25."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from swarm_core import _knowledge
from swarm_core._core import EngineCore
from swarm_core._exceptions import LimitExceededError, UnsupportedError, ValidationError
from swarm_core._ids import new_id
from swarm_core._types import DocumentHit
from swarm_core.store._writer import INSERT


class KnowledgeOps(EngineCore):
    def _need_fts(self) -> None:
        if not self._store.fts:
            raise UnsupportedError(
                "the knowledge base needs PostgreSQL or SQLite with FTS5; this database "
                f"({self._store.engine.url.get_backend_name()}) has no knowledge index"
            )

    async def knowledge_add(
        self, swarm_id: str, title: str, text: str, metadata: Mapping[str, Any] | None = None
    ) -> str:
        """Store and index a document; returns its id once both are committed."""
        self._check_open()
        self._swarm(swarm_id)
        self._need_fts()
        self._check_name("title", title)
        if not isinstance(text, str):
            raise ValidationError("text", "text must be a string")
        size = len(text.encode("utf-8"))
        if size > self.config.max_document_bytes:
            raise LimitExceededError(
                "max_document_bytes",
                size,
                f"document text is {size} bytes; the limit is max_document_bytes={self.config.max_document_bytes}",
            )
        if metadata is not None and not isinstance(metadata, Mapping):
            raise ValidationError("metadata", "metadata must be a JSON object")
        meta = dict(metadata or {})
        self._json_size(
            "metadata", meta, self.config.max_memory_value_bytes, "max_memory_value_bytes"
        )
        doc_id = new_id("doc")
        self._insert_document(
            {
                "id": doc_id,
                "swarm_id": swarm_id,
                "title": title,
                "text": text,
                "meta": meta,
                "created_at": time.time(),
            }
        )
        batch = self._emit("document_added", swarm_id, doc_id, {"title": title, "bytes": size})
        self._notify("document", doc_id)
        await batch.wait()
        return doc_id

    def _insert_document(self, row: dict[str, Any]) -> None:
        self._writer.row("document", INSERT, {**row, "seq": self._next_seq("document")})

        def index(conn: Connection) -> None:
            _knowledge.index_document(
                conn,
                swarm_id=row["swarm_id"],
                doc_id=row["id"],
                title=row["title"],
                text=row["text"],
            )

        self._writer.call(index)

    async def knowledge_search(
        self, swarm_id: str, query: str, limit: int = 10
    ) -> list[DocumentHit]:
        """Best documents of a swarm for `query` (BM25 over FTS5; higher score is better)."""
        self._swarm(swarm_id)
        self._need_fts()
        hits = self._store.read(lambda c: _knowledge.search_documents(c, swarm_id, query, limit))
        return [DocumentHit(**h) for h in hits]

    async def knowledge_passages(self, swarm_id: str, query: str, limit: int = 10) -> list[Any]:
        """Best passages (chunks) of a swarm's documents, for extractive answers."""
        self._swarm(swarm_id)
        self._need_fts()
        return self._store.read(lambda c: _knowledge.search_passages(c, swarm_id, query, limit))
