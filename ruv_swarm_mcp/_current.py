"""The current swarm: which swarm a tool call without a swarm id acts on.

The rule, per MCP session (one stdio connection, one stateful HTTP session):

1. `swarm_init` in this session makes the swarm it creates the current one.
2. Before any `swarm_init`, the first call that needs a swarm adopts the most recently created
   swarm that exists (a benchmark's scratch swarms never count) and keeps it: swarms that other
   sessions create later do not change it.
3. Nothing else changes it: not an explicit `swarm_id` (that call acts on the swarm it names),
   not `benchmark_run`, not another session.
4. Once the current swarm is deleted (by `swarm_delete` here or anywhere), calls without a
   swarm id fail with an error saying so, until `swarm_init` or an explicit `swarm_id`.

A connection without per-session state (stateless HTTP, where every request is its own session)
applies rule 2 on every call. The `swarm://status` and `swarm://agents` resources have no
session and show the most recently created swarm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from ruv_swarm_mcp import _sdk
from ruv_swarm_mcp._toolkit import state_of

_KEY = "ruv_swarm_mcp.current_swarm"


@dataclass
class _Current:
    swarm_id: str | None = None


def _slot(ctx: Context[Any, Any]) -> _Current | None:
    # The connection's state dict lives as long as the session (see _protocol for the same
    # use); a session without one gets no memory of its current swarm.
    conn = _sdk.connection(ctx.request_context.session)
    store = getattr(conn, "state", None)
    if not isinstance(store, dict):
        return None
    slot = store.get(_KEY)
    if slot is None:
        slot = store[_KEY] = _Current()
    return slot


def current_swarm_id(ctx: Context[Any, Any]) -> str | None:
    """This session's current swarm id, if it has one (it may have been deleted since)."""
    slot = _slot(ctx)
    return slot.swarm_id if slot is not None else None


def set_current(ctx: Context[Any, Any], swarm_id: str) -> None:
    """Make `swarm_id` this session's current swarm (called by swarm_init only)."""
    slot = _slot(ctx)
    if slot is not None:
        slot.swarm_id = swarm_id


async def resolve(ctx: Context[Any, Any], engine: Any, swarm_id: str | None) -> Any:
    """The swarm a call acts on: the one named, else this session's current swarm."""
    if swarm_id is not None:
        return await engine.resolve_swarm(swarm_id)
    slot = _slot(ctx)
    if slot is not None and slot.swarm_id is not None:
        try:
            return await engine.get_swarm(slot.swarm_id)
        except KeyError:  # swarm_core.NotFoundError
            raise ToolError(
                f"swarm_id: this session's current swarm {slot.swarm_id} was deleted; pass "
                "swarm_id or create a swarm with swarm_init"
            ) from None
    swarm = await engine.resolve_swarm(None, exclude=state_of(ctx).scratch_swarms)
    if slot is not None:
        slot.swarm_id = swarm.id
    return swarm
