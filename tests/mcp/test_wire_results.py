"""Tool results go on the wire exactly as the SDK would dump them, minus a redundant pass."""

from __future__ import annotations

from mcp.server.runner import _dump_result
from mcp_types import CallToolResult, TextContent

from ruv_swarm_mcp._protocol import tool_result_wire


def test_tool_result_wire_matches_the_sdk_dump() -> None:
    results = [
        CallToolResult(
            content=[
                TextContent(type="text", text="2 agents"),
                TextContent(type="text", text="{}"),
            ],
            structured_content={"agents": [{"id": "a", "terminated_at": None}], "count": 1},
        ),
        CallToolResult(
            content=[TextContent(type="text", text="bad")],
            structured_content={"error": None},
            is_error=True,
        ),
    ]
    for result in results:
        wire = tool_result_wire(result)
        assert wire == _dump_result(result)
        assert list(wire) == list(_dump_result(result))
