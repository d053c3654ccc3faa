"""Completions of agent, task and model ids in resource templates.

Registered with the server itself, never deferred: the `completions` capability announced in the
`initialize` answer depends on the handler being there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp_types import Completion, CompletionArgument, ResourceTemplateReference

from ruv_swarm_mcp._state import AppState
from ruv_swarm_mcp._toolkit import resource_engine

MAX_COMPLETIONS = 100


CompleteFn = Callable[..., Awaitable[Completion | None]]


def register(server: MCPServer[Any], state: AppState) -> None:
    # MCPServer.completion() has no annotations in mcp 2.3: its decorator returns what it gets.
    completion: Callable[[CompleteFn], CompleteFn] = server.completion()  # type: ignore[no-untyped-call]

    @completion
    async def complete(ref: Any, argument: CompletionArgument, context: Any) -> Completion | None:
        if not isinstance(ref, ResourceTemplateReference):
            return None
        prefix = argument.value or ""
        if argument.name not in ("agent_id", "task_id", "model_id"):
            return None
        async with resource_engine(state) as engine:
            if argument.name == "agent_id":
                ids = [r.id for r in await engine.query_agents(limit=1000)]
            elif argument.name == "task_id":
                ids = [r.id for r in await engine.list_tasks(limit=1000)]
            else:
                ids = [r.id for r in await engine.list_models()]
        ids = [i for i in ids if i.startswith(prefix)]
        return Completion(
            values=ids[:MAX_COMPLETIONS], total=len(ids), has_more=len(ids) > MAX_COMPLETIONS
        )
