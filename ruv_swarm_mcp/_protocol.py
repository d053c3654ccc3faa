"""Protocol features MCPServer 2.3 leaves to the application, wired on its low-level server.

- ``logging/setLevel``: the level is kept per connection; :func:`client_log` sends tool-side log
  messages only at or above it (2026-07-28 connections use the per-request opt-in instead,
  which the SDK enforces).
- ``resources/subscribe`` / ``unsubscribe``: handshake-era subscriptions per connection, kept in
  ``AppState.subscribers``; :mod:`ruv_swarm_mcp._changes` delivers the updates.
- A middleware that counts in-flight requests (so stdin EOF can let them finish) and asks for the
  engine to be opened once the first request has been answered.
- The SDK's OpenTelemetry middleware runs only when tracing is configured or the request carries
  ``_meta`` (a possible trace context); the SDK seams used here are in :mod:`ruv_swarm_mcp._sdk`.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import mcp_types as t
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.shared.exceptions import MCPDeprecationWarning

from ruv_swarm_mcp import _arg_errors, _sdk
from ruv_swarm_mcp._state import AppState

log = logging.getLogger("ruv_swarm_mcp")

LEVELS: tuple[str, ...] = (
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
)
_LEVEL_KEY = "ruv_swarm_log_level"
_SUBS_KEY = "ruv_swarm_subscriptions"


def _connection(session: object) -> _sdk.ConnectionLike | None:
    return _sdk.connection(session)


def _level_index(level: str) -> int:
    return LEVELS.index(level)


async def client_log(ctx: Context[Any, Any], level: str, message: str) -> None:
    """Send a `notifications/message` if this connection's level lets it through."""
    state: AppState = ctx.request_context.lifespan_context
    conn = _connection(ctx.request_context.session)
    wanted = state.config.client_log_level
    if conn is not None:
        wanted = conn.state.get(_LEVEL_KEY, wanted)
    if _level_index(level) < _level_index(wanted):
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            await ctx.log(level, message, logger_name="ruv_swarm_mcp")  # type: ignore[arg-type]
    except Exception:
        # Log delivery is advisory; a dropped stream must not fail the tool call.
        log.debug("could not deliver a log message to the client", exc_info=True)


async def _set_level(
    ctx: ServerRequestContext[Any, Any], params: t.SetLevelRequestParams
) -> t.EmptyResult:
    conn = _connection(ctx.session)
    if conn is not None:
        conn.state[_LEVEL_KEY] = params.level
    return t.EmptyResult()


async def _subscribe(
    ctx: ServerRequestContext[Any, Any], params: t.SubscribeRequestParams
) -> t.EmptyResult:
    state: AppState = ctx.lifespan_context
    conn = _connection(ctx.session)
    if conn is None:
        return t.EmptyResult()
    uris: set[str] | None = conn.state.get(_SUBS_KEY)
    if uris is None:
        uris = set()
        conn.state[_SUBS_KEY] = uris
        key = id(conn)
        state.subscribers[key] = (ctx.session, uris)

        async def _forget() -> None:
            state.subscribers.pop(key, None)

        conn.exit_stack.push_async_callback(_forget)
    if len(uris) >= state.max_subscriptions_per_connection:
        from mcp.shared.exceptions import MCPError

        raise MCPError(
            code=t.INVALID_PARAMS,
            message=f"too many subscriptions on this connection (limit {state.max_subscriptions_per_connection})",
        )
    uris.add(str(params.uri))
    state.engine.warm_up()
    return t.EmptyResult()


async def _unsubscribe(
    ctx: ServerRequestContext[Any, Any], params: t.UnsubscribeRequestParams
) -> t.EmptyResult:
    conn = _connection(ctx.session)
    if conn is not None:
        uris: set[str] | None = conn.state.get(_SUBS_KEY)
        if uris is not None:
            uris.discard(str(params.uri))
    return t.EmptyResult()


def tool_result_wire(result: t.CallToolResult) -> dict[str, Any]:
    """A tool result as its wire dict without walking ``structuredContent`` again.

    Tools build structuredContent from JSON-mode dumps, and the SDK's outbound step validates
    and dumps the whole result against the protocol surface anyway; dumping it here as well
    (what returning the model costs) was a third pass over every record of a large list."""
    data = result.model_dump(
        by_alias=True, mode="json", exclude_none=True, exclude={"structured_content"}
    )
    out: dict[str, Any] = {}
    for key, value in data.items():
        out[key] = value
        if key == "content":
            out["structuredContent"] = result.structured_content
    return out


def _shallow_tool_results(server: MCPServer[Any]) -> None:
    def wrap(inner: _sdk.ToolsCall) -> _sdk.ToolsCall:
        async def call_tool(
            ctx: ServerRequestContext[Any, Any], params: t.CallToolRequestParams
        ) -> Any:
            result = await inner(ctx, params)
            if type(result) is t.CallToolResult and result.structured_content is not None:
                return tool_result_wire(result)
            if type(result) is t.CallToolResult and result.is_error:
                # Error path only: bad arguments / unknown tool get text an LLM can act on.
                return _arg_errors.explain(server, params.name, params.arguments, result)
            return result

        return call_tool

    _sdk.wrap_tools_call(server, wrap)


def install(server: MCPServer[Any], state: AppState) -> None:
    low = _sdk.lowlevel(server)
    _sdk.gate_otel(server)
    _shallow_tool_results(server)
    low.add_request_handler("logging/setLevel", t.SetLevelRequestParams, _set_level)
    low.add_request_handler("resources/subscribe", t.SubscribeRequestParams, _subscribe)
    low.add_request_handler("resources/unsubscribe", t.UnsubscribeRequestParams, _unsubscribe)

    async def track(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if state.pending_registration is not None and ctx.method != "initialize":
            state.ensure_registered()
        if ctx.request_id is None:
            return await call_next(ctx)
        state.in_flight += 1
        state.requests_started += 1
        try:
            return await call_next(ctx)
        except Exception as exc:  # error path only: say which params, or "initialize first"
            better = _arg_errors.request_error(ctx, exc)
            if better is exc:
                raise
            raise better from None
        finally:
            state.in_flight -= 1
            # Open the engine once the handshake (or first modern request) is answered.
            state.engine.warm_up()

    server.middleware.append(track)
