"""Completions of agent, task and model ids in resource templates.

Registered with the server itself, never deferred: the `completions` capability announced in the
`initialize` answer depends on the handler being there.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp_types import Completion, CompletionArgument, ResourceTemplateReference

from ruv_swarm_mcp._state import AppState
from ruv_swarm_mcp._toolkit import resource_call as _call

MAX_COMPLETIONS = 100


def register(server: MCPServer[Any], state: AppState) -> None:
    @server.completion()
    async def complete(ref: Any, argument: CompletionArgument, context: Any) -> Completion | None:
        if not isinstance(ref, ResourceTemplateReference):
            return None
        prefix = argument.value or ""
        if argument.name == "agent_id":
            rows = await _call(state, "query_agents", limit=1000)
        elif argument.name == "task_id":
            rows = await _call(state, "list_tasks", limit=1000)
        elif argument.name == "model_id":
            rows = await _call(state, "list_models")
        else:
            return None
        ids = [r.id for r in rows if r.id.startswith(prefix)]
        return Completion(
            values=ids[:MAX_COMPLETIONS], total=len(ids), has_more=len(ids) > MAX_COMPLETIONS
        )
