"""Which tools a server exposes, per profile."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools import Tool
from mcp_types import ToolAnnotations

from ruv_swarm_mcp import (
    _sdk,
    _tools_catalog,
    _tools_memory,
    _tools_models,
    _tools_swarm,
    _tools_tasks,
)
from ruv_swarm_mcp._config import ServerConfig
from ruv_swarm_mcp._toolkit import GUARDED, tool_errors

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
        if not fn.__dict__.get(GUARDED):
            fn = tool_errors(fn)  # every tool answers a crash with a message naming it
        server.add_tool(fn, name=name, title=title, annotations=_annotations(name, title))
        tool = _sdk.registered_tool(server, name)
        assert tool is not None  # just added
        _exact_arguments(tool)


def _exact_arguments(tool: Tool) -> None:
    """Arguments validated exactly as the advertised inputSchema says, nothing more lenient.

    The SDK validates in pydantic's lax mode ("123" is taken for an integer, 1 for true, true
    for 1.0), first parses any string argument that looks like JSON for a non-string parameter
    (so '[1, 2]' passes as a list), and drops unknown argument names silently (a misspelt
    optional argument ran with its default). Here unknown names are refused (the inputSchema
    says additionalProperties: false) and validation is strict, with the one difference
    between strict pydantic and JSON Schema bridged: JSON Schema counts 1.0 as an integer, so
    integral floats where the schema asks for an integer are taken as integers."""
    walk = _IntegerWalk(tool.parameters)
    convert = walk.convert if walk.has_integer(walk.schema) else None
    _sdk.make_arguments_strict(tool, convert)


class _IntegerWalk:
    """Where a tool's inputSchema allows integers. The answers are cached per sub-schema (by
    id: the tool keeps its schema alive, so ids cannot be reused), so most array arguments,
    such as rows of numbers, need no walk at all."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self._defs: dict[str, Any] = schema.get("$defs") or {}
        self._cache: dict[int, bool] = {}

    def convert(self, arguments: dict[str, Any]) -> dict[str, Any]:
        converted: dict[str, Any] = self.integral_floats(arguments, self.schema)
        return converted

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        if isinstance(ref, str):
            target = self._defs.get(ref.rsplit("/", 1)[-1])
            return target if isinstance(target, dict) else {}
        return node

    def has_integer(self, node: dict[str, Any], depth: int = 0) -> bool:
        key = id(node)
        if key in self._cache:
            return self._cache[key]
        found = False
        if depth < 32:
            node = self._resolve(node)
            found = _allows_integer(node)
            subs: list[Any] = [node.get("items"), node.get("additionalProperties")]
            subs += list((node.get("properties") or {}).values())
            for branch in ("anyOf", "oneOf", "allOf"):
                subs += list(node.get(branch) or ())
            found = found or any(
                isinstance(sub, dict) and self.has_integer(sub, depth + 1) for sub in subs
            )
        self._cache[key] = found
        return found

    def integral_floats(self, value: Any, node: dict[str, Any]) -> Any:
        """``value`` with every float that has no fractional part and stands where the schema
        allows an integer replaced by that integer (JSON Schema's notion of an integer)."""
        if not self.has_integer(node):
            return value
        node = self._resolve(node)
        if isinstance(value, float):
            if value.is_integer() and _allows_integer(node):
                return int(value)
        elif isinstance(value, list) and isinstance(node.get("items"), dict):
            return [self.integral_floats(item, node["items"]) for item in value]
        elif isinstance(value, dict):
            props = node.get("properties") or {}
            extra = node.get("additionalProperties")
            if props or isinstance(extra, dict):
                out = {}
                for k, v in value.items():
                    sub = props.get(k, extra)
                    out[k] = self.integral_floats(v, sub) if isinstance(sub, dict) else v
                return out
        for branch in ("anyOf", "oneOf"):
            for sub in node.get(branch) or ():
                if isinstance(sub, dict):
                    converted = self.integral_floats(value, sub)
                    if converted is not value:
                        return converted
        return value


def _allows_integer(node: dict[str, Any]) -> bool:
    kind = node.get("type")
    return kind == "integer" or (isinstance(kind, list) and "integer" in kind)
