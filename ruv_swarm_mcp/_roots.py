"""The MCP client's roots as data roots, per connection and asked for lazily.

A client that declares the ``roots`` capability lets this session read files inside the roots it
lists (``roots/list``); the server's own ``--data-root`` directories apply to every session. The
engine checks every file path at open time (``swarm_core._paths``), calling the provider built
here only when a path is not inside the server's roots: a call without a file path never asks
the client, and the answer is cached on the connection until the client sends
``notifications/roots/list_changed``. A root one HTTP session offers is never seen by another:
the cache lives in that session's ``Connection.state``.

SDK seams (mcp 2.3, in :mod:`ruv_swarm_mcp._sdk`): the low-level server's public
``add_notification_handler`` is reached through ``_sdk.lowlevel``, and the connection through
``_sdk.connection`` (pinned by tests/mcp/test_sdk_seams.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import anyio
import mcp_types as t
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.shared.message import ServerMessageMetadata

from ruv_swarm_mcp import _sdk
from ruv_swarm_mcp._sdk import connection as _connection

log = logging.getLogger("ruv_swarm_mcp")

_KEY = "ruv_swarm_roots"
LIST_CHANGED = "notifications/roots/list_changed"


@dataclass
class _SessionRoots:
    generation: int = 0  # bumped by every roots/list_changed
    cached: tuple[str, ...] | None = None
    cached_generation: int = -1
    lock: anyio.Lock = field(default_factory=anyio.Lock)


def _entry(conn: Any) -> _SessionRoots:
    entry: _SessionRoots | None = conn.state.get(_KEY)
    if entry is None:
        entry = _SessionRoots()
        conn.state[_KEY] = entry
    return entry


async def _on_list_changed(ctx: ServerRequestContext[Any, Any], _params: Any) -> None:
    conn = _connection(ctx.session)
    if conn is not None:
        _entry(conn).generation += 1


def install(server: MCPServer[Any]) -> None:
    """Listen for ``notifications/roots/list_changed`` (invalidates that connection's cache)."""
    low = _sdk.lowlevel(server)
    low.add_notification_handler(LIST_CHANGED, t.NotificationParams, _on_list_changed)


def offers_roots(session: Any) -> bool:
    caps = getattr(session, "client_capabilities", None)
    return caps is not None and caps.roots is not None


def roots_provider(ctx: Context[Any, Any], timeout_seconds: float) -> Any:
    """An async function returning this session's client roots (``file://`` URIs), or None when
    the client does not offer roots. Hand it to the engine as ``data_roots``; it may be called
    after the tool call returned (an orchestrated task loading data later), and then asks on the
    connection's own channel instead of the call's."""
    session = ctx.request_context.session
    conn = _connection(session)
    if conn is None or not offers_roots(session):
        return None
    request_id = ctx.request_context.request_id

    async def provider() -> tuple[str, ...]:
        entry = _entry(conn)
        async with entry.lock:
            if entry.cached is not None and entry.cached_generation == entry.generation:
                return entry.cached
            generation = entry.generation
            # While the call is live the request rides its own stream (streamable HTTP answers
            # it on the call's SSE stream); afterwards only the connection's channel is left.
            meta = (
                ServerMessageMetadata(related_request_id=request_id)
                if session.can_send_request and request_id is not None
                else None
            )
            try:
                with anyio.fail_after(timeout_seconds):
                    result = await session.send_request(
                        t.ListRootsRequest(),
                        t.ListRootsResult,
                        request_read_timeout_seconds=timeout_seconds,
                        metadata=meta,
                    )
            except Exception:  # no answer: no client roots for this read (asked again next time)
                log.debug("roots/list failed", exc_info=True)
                return ()
            roots = tuple(str(r.uri) for r in result.roots)
            entry.cached, entry.cached_generation = roots, generation
            return roots

    return provider


def data_roots(ctx: Context[Any, Any]) -> Any:
    """What a tool passes the engine as ``data_roots`` for this call (None: the server's only)."""
    state = ctx.request_context.lifespan_context
    return roots_provider(ctx, state.config.roots_timeout_seconds)
