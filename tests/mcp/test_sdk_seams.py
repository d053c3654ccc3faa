"""Each place ruv_swarm_mcp._sdk reaches past the mcp SDK's public API, pinned one by one.

An SDK upgrade that moves one of them fails here, naming the seam, before any wire test
fails for a reason that is hard to trace back."""

from __future__ import annotations

import inspect
from typing import Any

import anyio
import mcp_types as t
import pytest
from mcp import Client
from mcp.server.connection import Connection
from mcp.server.lowlevel import Server as LowLevelServer
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import UnexpectedToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata
from mcp.server.session import ServerSession
from mcp.server.stdio import stdio_server
from mcp.server.streamable_http import GET_STREAM_KEY

from ruv_swarm_mcp import _sdk

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _server() -> MCPServer[Any]:
    server: MCPServer[Any] = MCPServer("seams")

    @server.tool()
    def add(a: int, b: int = 0) -> int:
        """Add."""
        return a + b

    return server


def _text(result: t.CallToolResult) -> str:
    return " ".join(getattr(c, "text", "") for c in result.content)


def test_lowlevel_server_and_the_methods_used_on_it() -> None:
    low = _sdk.lowlevel(_server())
    assert isinstance(low, LowLevelServer)
    for name in (
        "add_request_handler",
        "add_notification_handler",
        "create_initialization_options",
        "lifespan",
        "run",
    ):
        assert callable(getattr(low, name)), name
    assert list(inspect.signature(low.add_request_handler).parameters)[:3] == [
        "method",
        "params_type",
        "handler",
    ]
    assert isinstance(low.middleware, list)


def test_registered_tools_are_found() -> None:
    server = _server()
    tool = _sdk.registered_tool(server, "add")
    assert isinstance(tool, Tool) and tool.name == "add"
    assert [x.name for x in _sdk.registered_tools(server)] == ["add"]
    assert _sdk.registered_tool(server, "nope") is None


def test_func_metadata_hooks_keep_their_names_and_signatures() -> None:
    assert list(inspect.signature(FuncMetadata.validate_arguments).parameters) == [
        "self",
        "arguments_to_validate",
    ]
    assert list(inspect.signature(FuncMetadata.pre_parse_json).parameters) == ["self", "data"]
    for field in ("arg_model", "output_schema", "output_model", "wrap_output"):
        assert field in FuncMetadata.model_fields, field


async def test_strict_arguments_are_what_the_sdk_validates_with() -> None:
    server = _server()
    tool = _sdk.registered_tool(server, "add")
    assert tool is not None
    seen: list[dict[str, Any]] = []

    def convert(args: dict[str, Any]) -> dict[str, Any]:
        seen.append(args)
        return {
            k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in args.items()
        }

    _sdk.make_arguments_strict(tool, convert)
    assert tool.parameters["additionalProperties"] is False
    async with Client(server) as client:
        assert not (await client.call_tool("add", {"a": 1.0, "b": 2})).is_error
        lax = await client.call_tool("add", {"a": "1"})  # lax pydantic would take "1" for 1
        unknown = await client.call_tool("add", {"a": 1, "c": 3})  # the SDK would drop "c"
    assert lax.is_error and unknown.is_error
    assert seen and seen[0] == {"a": 1.0, "b": 2}  # the SDK called our validate_arguments


async def test_tools_call_handler_can_be_wrapped() -> None:
    server = _server()
    low = _sdk.lowlevel(server)
    entry = low._request_handlers["tools/call"]
    assert entry.params_type is t.CallToolRequestParams
    calls: list[str] = []

    def wrap(inner: _sdk.ToolsCall) -> _sdk.ToolsCall:
        async def call(ctx: Any, params: t.CallToolRequestParams) -> Any:
            calls.append(params.name)
            return await inner(ctx, params)

        return call

    _sdk.wrap_tools_call(server, wrap)
    async with Client(server) as client:
        result = await client.call_tool("add", {"a": 2, "b": 3})
    assert not result.is_error and calls == ["add"]


async def test_a_session_exposes_its_connection_state() -> None:
    assert "self._connection = connection" in inspect.getsource(ServerSession.__init__)
    assert isinstance(inspect.getattr_static(Connection, "initialize_accepted"), property)
    server: MCPServer[Any] = MCPServer("seams")
    found: list[Any] = []

    @server.tool()
    async def probe(ctx: Context[Any, Any]) -> str:
        """Probe."""
        conn = _sdk.connection(ctx.request_context.session)
        found.append(conn)
        return "ok"

    async with Client(server, mode="legacy") as client:
        assert not (await client.call_tool("probe", {})).is_error
    conn = found[0]
    assert conn is not None
    assert isinstance(conn.state, dict) and conn.initialize_accepted is True
    assert callable(conn.exit_stack.push_async_callback)


def test_the_otel_middleware_is_found_and_gated() -> None:
    server = _server()
    assert _sdk.gate_otel(server) is True
    assert any(isinstance(m, _sdk._OtelWhenTracing) for m in _sdk.lowlevel(server).middleware)


def test_the_legacy_serving_loop_keeps_its_signature() -> None:
    from mcp.server import runner

    params = inspect.signature(runner._serve_legacy_stream).parameters
    assert list(params) == [
        "server",
        "read_stream",
        "write_stream",
        "lifespan_state",
        "session_id",
        "init_options",
        "raise_exceptions",
    ]
    assert callable(runner._has_modern_envelope) and callable(runner.serve_dual_era_loop)
    assert runner._has_modern_envelope({}) is False


async def test_sdk_texts_the_edge_replaces_are_still_the_sdks() -> None:
    def boom() -> int:
        raise RuntimeError("internal")

    tool = Tool.from_function(boom)
    with pytest.raises(UnexpectedToolError) as info:
        await tool.run({}, context=None)  # type: ignore[arg-type]
    assert str(info.value) == _sdk.SDK_CRASH_TEXT.format(name="boom")
    from mcp.server import runner

    assert f'message="{_sdk.SDK_INVALID_PARAMS_TEXT}"' in inspect.getsource(runner)


def test_transport_names_the_edge_relies_on() -> None:
    # _event_store keys the GET stream by this name; _serve hands stdio_server its own stdin.
    assert GET_STREAM_KEY == "_GET_stream"
    assert "stdin" in inspect.signature(stdio_server).parameters
    assert anyio.AsyncFile.__aiter__ is not None


def test_the_sdk_still_sets_up_logging_through_a_module_attribute() -> None:
    # skip_sdk_logging_setup replaces this name; if MCPServer stops calling it, rich is imported
    # again on every start (tests/cli/test_beside_server.py pins that) and the patch is dead.
    import inspect

    import mcp.server.mcpserver.server as sdk_server

    assert callable(sdk_server.configure_logging)
    assert "configure_logging(" in inspect.getsource(sdk_server.MCPServer.__init__)
