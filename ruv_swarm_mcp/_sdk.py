"""Every place this server goes beyond the public API of the ``mcp`` SDK (2.3), in one module.

Each seam below says what it reaches, why the public API does not do it, and what breaks if a
new SDK changes it; ``tests/mcp/test_sdk_seams.py`` pins each one (attribute presence,
``inspect.signature``, or behaviour), so an SDK upgrade fails there first, by name, and not in
some wire test. The ``mcp`` pin in pyproject is ``>=2.3,<2.4`` because of them.

Seams gone since the architecture review: none of the nine could be dropped for the SDK's
public API in 2.3; the stdio path keeps the SDK's ``stdio_server`` (public) where the native
streams cannot run (see :mod:`ruv_swarm_mcp._serve`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, cast

import mcp_types as t
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata
from pydantic import PrivateAttr

if TYPE_CHECKING:
    from mcp.server.lowlevel import Server

log = logging.getLogger("ruv_swarm_mcp")

#: The text the SDK answers a tool crash with (``Tool.run``), with no cause: replaced by one
#: naming the tool and the exception class (``_arg_errors._bare_crash``).
SDK_CRASH_TEXT = "Error executing tool {name}"
#: The message of the SDK's -32602 for params that failed validation: replaced by one naming
#: the params, or saying that the session is not initialized (``_arg_errors.request_error``).
SDK_INVALID_PARAMS_TEXT = "Invalid request parameters"


# -- 1. The low-level server -----------------------------------------------------------------
# MCPServer has no accessor for its low-level ``Server`` (python-sdk: no public attribute in
# 2.3), which is where ``add_request_handler`` / ``add_notification_handler`` live: the server
# needs them for logging/setLevel, resources/subscribe and roots/list_changed, which MCPServer
# does not implement, and to serve its own stdio streams. If renamed: AttributeError at build.


def lowlevel(server: MCPServer[Any]) -> Server[Any]:
    low: Server[Any] = server._lowlevel_server
    return low


# -- 2. The registered tools -------------------------------------------------------------------
# MCPServer.add_tool returns nothing and has no lookup (python-sdk #3067, PR #3068 adds one):
# the Tool it built is reached through the private ToolManager, to make its argument check
# strict (below) and to explain a failed call with the tool's own argument model.


def registered_tool(server: MCPServer[Any], name: str) -> Tool | None:
    return server._tool_manager.get_tool(name)


def registered_tools(server: MCPServer[Any]) -> list[Tool]:
    return server._tool_manager.list_tools()


# -- 3. Strict argument validation -------------------------------------------------------------
# The SDK validates tool arguments in pydantic's lax mode, after parsing JSON-looking strings
# (``FuncMetadata.pre_parse_json``), and ignores unknown argument names: all accept calls the
# advertised inputSchema refuses. The Tool's ``fn_metadata`` is replaced by a subclass whose
# ``validate_arguments`` is strict and whose argument model forbids extra keys (python-sdk
# #3067 asks for a hook). If the SDK stops calling these two methods: lax validation returns
# silently, which the seam test catches by behaviour.

ArgumentCheck = Callable[[dict[str, Any]], dict[str, Any]]


class _StrictMetadata(FuncMetadata):
    """``FuncMetadata`` whose arguments go through ``convert`` then strict validation."""

    _convert: ArgumentCheck | None = PrivateAttr(default=None)

    def pre_parse_json(self, data: dict[str, Any]) -> dict[str, Any]:
        return data

    def validate_arguments(self, arguments_to_validate: dict[str, Any]) -> dict[str, Any]:
        convert = self._convert
        data = convert(arguments_to_validate) if convert is not None else arguments_to_validate
        model = self.arg_model.model_validate(data, strict=True)
        return model.model_dump_one_level()


def make_arguments_strict(tool: Tool, convert: ArgumentCheck | None = None) -> None:
    """Refuse unknown argument names and validate strictly, ``convert`` applied first."""
    meta = tool.fn_metadata
    model = meta.arg_model
    forbid = type(
        model.__name__, (model,), {"model_config": {**model.model_config, "extra": "forbid"}}
    )
    strict = _StrictMetadata(
        arg_model=forbid,
        output_schema=meta.output_schema,
        output_model=meta.output_model,
        wrap_output=meta.wrap_output,
    )
    strict._convert = convert
    tool.fn_metadata = strict
    # What forbid.model_json_schema() would say, without building the schema a second time.
    tool.parameters["additionalProperties"] = False


# -- 4. A wrapper around the tools/call handler ------------------------------------------------
# The SDK dumps a CallToolResult's structuredContent once more after the tool did (a third pass
# over a large list), and answers bad arguments with pydantic's report. There is no hook after
# the tool manager (middleware sees the wire dict only after serialisation), so the registered
# ``tools/call`` handler is wrapped: read from the low-level server's private registry, added
# back through the public ``add_request_handler``. If renamed: KeyError at startup.

ToolsCall = Callable[[ServerRequestContext[Any, Any], t.CallToolRequestParams], Awaitable[Any]]


def wrap_tools_call(server: MCPServer[Any], wrap: Callable[[ToolsCall], ToolsCall]) -> None:
    low = lowlevel(server)
    entry = low._request_handlers["tools/call"]
    # The registry is typed for any params model; tools/call is registered with its own.
    handler = cast(Any, wrap(entry.handler))
    low.add_request_handler("tools/call", entry.params_type, handler)


# -- 5. The connection behind a session --------------------------------------------------------
# ServerSession keeps its Connection private (``_connection``) in 2.3; its ``state`` dict and
# ``exit_stack`` are the only per-client places to keep a log level, subscriptions, cached
# client roots and the current swarm, and ``initialize_accepted`` tells "not initialized yet"
# from bad params. If renamed: those features silently fall back to per-server defaults, which
# the seam test catches.


class ConnectionLike(Protocol):
    state: dict[str, Any]
    initialize_accepted: bool

    @property
    def exit_stack(self) -> Any: ...


def connection(session: object) -> ConnectionLike | None:
    conn: ConnectionLike | None = getattr(session, "_connection", None)
    return conn


# -- 6. OpenTelemetry only when tracing ----------------------------------------------------------
# The SDK always runs its OpenTelemetry middleware (``mcp.server._otel``), whose no-op span costs
# about as much as the rest of a ping. It is skipped when no tracer provider is configured and
# the request carries no ``_meta`` (no trace context to pass on). If the module moves: the gate
# is not installed (fails open: spans as before), which the seam test catches.


class _OtelWhenTracing:
    def __init__(self, inner: Any, trace_api: Any) -> None:
        self.inner = inner
        self._trace = trace_api

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        if ctx.meta is None and isinstance(
            self._trace.get_tracer_provider(), self._trace.ProxyTracerProvider
        ):
            return await call_next(ctx)
        result: HandlerResult = await self.inner(ctx, call_next)
        return result


def gate_otel(server: MCPServer[Any]) -> bool:
    """Wrap the SDK's OpenTelemetry middleware; False if there was none to wrap."""
    try:
        from mcp.server._otel import OpenTelemetryMiddleware
        from opentelemetry import trace as trace_api
    except ImportError:
        return False
    chain = lowlevel(server).middleware
    found = any(isinstance(m, OpenTelemetryMiddleware) for m in chain)
    chain[:] = [
        _OtelWhenTracing(m, trace_api) if isinstance(m, OpenTelemetryMiddleware) else m
        for m in chain
    ]
    return found


# -- 7. The handshake-era serving loop, without the era relay ----------------------------------
# ``Server.run`` decides a connection's era from its first request and relays every message
# through one more memory stream and task (``runner._replay_from_opening_request``). The native
# stdio read stream can hold that request back itself, so a handshake-era connection goes
# straight to the SDK's private ``_serve_legacy_stream``: about 0.1 ms less per request (ping
# median 0.29 vs 0.39 ms at load ~4, see _serve). A 2026-07-28 connection, or an SDK without
# these names, takes ``Server.run``'s own path over the same streams.


class PeekableReadStream(Protocol):
    async def peek_opening_request(self) -> t.JSONRPCRequest | None: ...

    async def aclose(self) -> None: ...


async def serve_handshake_stream(low: Server[Any], read_stream: Any, write_stream: Any) -> None:
    init_options = low.create_initialization_options()
    try:
        from mcp.server.runner import (
            _has_modern_envelope,
            _serve_legacy_stream,
            serve_dual_era_loop,
        )
    except ImportError:  # a future SDK reorganised its runner: the public path
        await low.run(read_stream, write_stream, init_options)
        return
    async with low.lifespan(low) as lifespan_state:
        opening = await read_stream.peek_opening_request()
        if (
            opening is not None
            and opening.method != "initialize"
            and _has_modern_envelope(opening.params)
        ):
            await serve_dual_era_loop(
                low,
                read_stream,
                write_stream,
                lifespan_state=lifespan_state,
                init_options=init_options,
            )
            return
        try:
            await _serve_legacy_stream(
                low,
                read_stream,
                write_stream,
                lifespan_state=lifespan_state,
                session_id=None,
                init_options=init_options,
                raise_exceptions=False,
            )
        finally:
            await write_stream.aclose()


def skip_sdk_logging_setup() -> None:
    """MCPServer() configures root logging itself and imports rich for it when rich is
    installed (the `ruv-swarm` CLI depends on rich): about 7 MiB of RSS and tens of ms on every
    server start, for a handler that `_logging.configure_logging` replaces anyway. Private:
    `mcp.server.mcpserver.server.configure_logging` (module attribute looked up at call time)."""
    import mcp.server.mcpserver.server as sdk_server

    # a module attribute the SDK does not re-export, hence the dict (mypy --strict)
    vars(sdk_server)["configure_logging"] = _no_logging_setup


def _no_logging_setup(*_args: object, **_kwargs: object) -> None:
    return None
