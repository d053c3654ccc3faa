"""Tools for shared memory, the knowledge base and the event log."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import Field

from ruv_swarm_mcp._current import resolve
from ruv_swarm_mcp._models import (
    AnyJson,
    DocumentHitOut,
    EventOut,
    EventsOut,
    KnowledgeAddOut,
    KnowledgeSearchOut,
    MemoryDeleteOut,
    MemoryEntryOut,
    MemoryGetOut,
    MemoryListOut,
    dump,
)
from ruv_swarm_mcp._toolkit import engine_of, reply, tool_errors
from ruv_swarm_mcp._tools_swarm import SwarmId
from swarm_core import _limits as L

MAX_EVENT_ID = L.MAX_EVENT_ID

Namespace = Annotated[
    str,
    Field(
        min_length=1,
        max_length=L.MAX_KEY_LENGTH,
        description="a grouping such as 'notes' or 'results'",
    ),
]
Key = Annotated[str, Field(min_length=1, max_length=L.MAX_KEY_LENGTH)]


@tool_errors
async def memory_store(
    ctx: Context,
    namespace: Namespace,
    key: Key,
    value: Annotated[AnyJson, Field(
            description=f"any JSON value (up to {L.MAX_MEMORY_VALUE_BYTES // 1024} KiB "
            "serialised)"
        )],
    ttl_seconds: Annotated[
        float | None, Field(**L.TTL_SECONDS.field(), description="expire after this long")
    ] = None,
) -> MemoryEntryOut:
    """Store a JSON value under namespace/key in the persistent memory shared by all agents and
    sessions (overwrites an existing value)."""
    engine = await engine_of(ctx)
    entry = await engine.memory_store(namespace, key, value, ttl_seconds=ttl_seconds)
    out = MemoryEntryOut(**dump(entry))
    return reply(out, f"stored {namespace}/{key}")


@tool_errors
async def memory_get(ctx: Context, namespace: Namespace, key: Key) -> MemoryGetOut:
    """Read the value stored under namespace/key (found=false when absent or expired)."""
    engine = await engine_of(ctx)
    try:
        entry = await engine.memory_get(namespace, key)
    except KeyError:  # swarm_core.NotFoundError: absent or expired
        entry = None
    if entry is None:
        return reply(MemoryGetOut(found=False), f"{namespace}/{key} not found")
    return reply(
        MemoryGetOut(found=True, entry=MemoryEntryOut(**dump(entry))), f"{namespace}/{key}"
    )


@tool_errors
async def memory_list(
    ctx: Context,
    namespace: Annotated[str | None, Field(max_length=L.MAX_KEY_LENGTH)] = None,
    prefix: Annotated[
        str | None, Field(max_length=L.MAX_KEY_LENGTH, description="keys starting with this")
    ] = None,
    limit: Annotated[int, Field(ge=1, le=L.MAX_PAGE_LIMIT)] = 100,
) -> MemoryListOut:
    """List stored memory entries, optionally in one namespace and with a key prefix."""
    engine = await engine_of(ctx)
    entries = await engine.memory_list(namespace=namespace, prefix=prefix, limit=limit)
    out = MemoryListOut(entries=[MemoryEntryOut(**dump(e)) for e in entries], count=len(entries))
    return reply(out, f"{out.count} memory entries")


@tool_errors
async def memory_delete(ctx: Context, namespace: Namespace, key: Key) -> MemoryDeleteOut:
    """Delete the value stored under namespace/key (deleted=false when nothing live was
    there). Cannot be undone."""
    engine = await engine_of(ctx)
    deleted = await engine.memory_delete(namespace, key)
    out = MemoryDeleteOut(namespace=namespace, key=key, deleted=deleted)
    return reply(out, f"deleted {namespace}/{key}" if deleted else f"{namespace}/{key} not found")


@tool_errors
async def knowledge_add(
    ctx: Context,
    title: Annotated[str, Field(min_length=1, max_length=L.MAX_NAME_LENGTH)],
    # characters: the engine's max_document_bytes counts UTF-8 bytes, at least as many
    text: Annotated[str, Field(min_length=1, max_length=L.MAX_DOCUMENT_BYTES)],
    metadata: dict[str, Any] | None = None,
    swarm_id: SwarmId = None,
) -> KnowledgeAddOut:
    """Add a document to the swarm's full-text knowledge base (researcher agents search it)."""
    engine = await engine_of(ctx)
    sid = (await resolve(ctx, engine, swarm_id)).id
    doc_id = await engine.knowledge_add(sid, title, text, metadata=metadata)
    out = KnowledgeAddOut(doc_id=str(doc_id), swarm_id=sid)
    return reply(out, f"added document {out.doc_id} to {sid}")


@tool_errors
async def knowledge_search(
    ctx: Context,
    query: Annotated[str, Field(min_length=1, max_length=L.MAX_QUERY_CHARS)],
    limit: Annotated[int, Field(ge=1, le=L.MAX_SEARCH_LIMIT)] = 10,
    swarm_id: SwarmId = None,
) -> KnowledgeSearchOut:
    """Full-text search (BM25 ranking) over the swarm's knowledge base."""
    engine = await engine_of(ctx)
    sid = (await resolve(ctx, engine, swarm_id)).id
    hits = await engine.knowledge_search(sid, query, limit=limit)
    out = KnowledgeSearchOut(query=query, hits=[DocumentHitOut(**dump(h)) for h in hits])
    top = f"; best: {out.hits[0].title!r}" if out.hits else ""
    return reply(out, f"{len(out.hits)} hits for {query!r}{top}")


@tool_errors
async def events(
    ctx: Context,
    since_id: Annotated[
        int, Field(ge=0, le=MAX_EVENT_ID, description="only events after this id")
    ] = 0,
    limit: Annotated[int, Field(ge=1, le=L.MAX_PAGE_LIMIT)] = 100,
    swarm_id: Annotated[str | None, Field(max_length=L.ID_MAX_LENGTH)] = None,
    kind: Annotated[
        str | None,
        Field(max_length=L.MAX_EVENT_KIND_LENGTH, description="one event kind, e.g. agent_spawned, task_completed"),
    ] = None,
) -> EventsOut:
    """The append-only audit log of what the engine did, oldest first, for monitoring."""
    engine = await engine_of(ctx)
    rows = await engine.events(since_id=since_id, limit=limit, swarm_id=swarm_id, kind=kind)
    items = [EventOut(**dump(e)) for e in rows]
    out = EventsOut(events=items, last_id=items[-1].id if items else since_id)
    return reply(out, f"{len(items)} events after #{since_id}")


TOOLS: list[tuple[Any, str]] = [
    (memory_store, "Store a memory value"),
    (memory_get, "Read a memory value"),
    (memory_list, "List memory entries"),
    (memory_delete, "Delete a memory value"),
    (knowledge_add, "Add a knowledge document"),
    (knowledge_search, "Search the knowledge base"),
    (events, "Read the event log"),
]
