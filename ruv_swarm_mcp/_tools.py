"""Which tools a server exposes, per profile."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp_types import ToolAnnotations
from pydantic import BaseModel

from ruv_swarm_mcp import (
    _tools_catalog,
    _tools_memory,
    _tools_models,
    _tools_swarm,
    _tools_tasks,
)
from ruv_swarm_mcp._config import ServerConfig

READ_ONLY = frozenset(
    {
        "swarm_status",
        "query_agents",
        "task_status",
        "task_result",
        "predict",
        "evaluate",
        "model_export",
        "memory_get",
        "memory_list",
        "knowledge_search",
        "events",
        "server_info",
        "swarm_list",
        "model_list",
        "model_info",
        "task_list",
    }
)
DESTRUCTIVE = frozenset({"agent_terminate", "task_cancel", "swarm_delete", "memory_delete"})


def default_tools() -> list[tuple[Any, str]]:
    return [
        *_tools_swarm.TOOLS,
        *_tools_tasks.TOOLS,
        *_tools_models.TOOLS,
        *_tools_memory.TOOLS,
        *_tools_catalog.TOOLS,
    ]


def _annotations(name: str, title: str) -> ToolAnnotations:
    return ToolAnnotations(
        title=title,
        read_only_hint=name in READ_ONLY,
        destructive_hint=name in DESTRUCTIVE,
        open_world_hint=False,
    )


def register(server: MCPServer[Any], config: ServerConfig) -> None:
    tools = default_tools()
    if config.profile == "ruv-swarm":
        from ruv_swarm_mcp._compat import TOOLS as compat

        clashing = {fn.__name__ for fn, _ in compat}
        # The npm names win where they clash so prompts written for ruv-swarm work unchanged.
        tools = [(fn, title) for fn, title in tools if fn.__name__ not in clashing] + compat
    for fn, title in tools:
        name = fn.__name__
        server.add_tool(fn, name=name, title=title, annotations=_annotations(name, title))
        _refuse_unknown_arguments(server._tool_manager.get_tool(name))


def _refuse_unknown_arguments(tool: Any) -> None:
    """Unknown argument names are refused (and the inputSchema says additionalProperties: false):
    the SDK drops them silently, so a misspelt optional argument ran with its default."""
    model = tool.fn_metadata.arg_model
    strict: type[BaseModel] = type(
        model.__name__, (model,), {"model_config": {**model.model_config, "extra": "forbid"}}
    )
    tool.fn_metadata.arg_model = strict
    # What strict.model_json_schema() would say, without building the schema a second time.
    tool.parameters["additionalProperties"] = False
