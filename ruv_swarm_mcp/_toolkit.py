"""What every tool shares: reaching the engine, turning engine errors into ToolError, replying."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

import anyio
import pydantic_core
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, TextContent
from pydantic import BaseModel

from ruv_swarm_mcp._exceptions import EngineUnavailableError
from ruv_swarm_mcp._state import AppState

# The engine's exception classes only (swarm_core's __init__ is lazy): errors are recognised by
# class without loading the engine before the handshake.
from swarm_core import NotFoundError, SwarmError

if TYPE_CHECKING:
    from swarm_core import Engine, TaskInfo

log = logging.getLogger("ruv_swarm_mcp")
P = ParamSpec("P")
R = TypeVar("R")
M = TypeVar("M", bound=BaseModel)

# Keeps a tool's text content readable in a chat window; the full data is in structuredContent.
MAX_TEXT_JSON_CHARS = 4000
MAX_TEXT_LIST_ITEMS = 10


def state_of(ctx: Context[Any, Any]) -> AppState:
    state: AppState = ctx.request_context.lifespan_context
    return state


async def engine_of(ctx: Context[Any, Any]) -> Engine:
    return await state_of(ctx).get_engine()


async def cancel_unless_shutting_down(
    ctx: Context[Any, Any], engine: Engine, task_id: str
) -> None:
    """The client cancelled a call that waits on ``task_id``: cancel the task as well (the engine
    leaves it running unless asked). Shielded because the calling scope is already cancelled;
    skipped when the server is stopping, so the engine records the task as interrupted."""
    if state_of(ctx).shutting_down:
        return
    with anyio.CancelScope(shield=True), anyio.move_on_after(10):
        try:
            await engine.cancel_task(task_id)
        except SwarmError:  # already final or gone: nothing to stop
            log.debug("cancel of %s after a client cancel failed", task_id, exc_info=True)


async def wait_bounded(
    ctx: Context[Any, Any], engine: Engine, task_id: str, what: str
) -> TaskInfo:
    """The task once final, waiting at most the server's max_wait_seconds: a call never blocks
    longer than that, whatever the task does (it keeps running and the answer names its id).
    A client cancel cancels the task too."""
    limit = state_of(ctx).config.max_wait_seconds
    try:
        info = await engine.wait_task(task_id, timeout=limit)
    except anyio.get_cancelled_exc_class():
        await cancel_unless_shutting_down(ctx, engine, task_id)
        raise
    status = info.status.value
    if status in ("pending", "assigned", "running"):
        raise ToolError(
            f"{what} task {task_id} is still {status} after {limit:g} s (the server's "
            "max_wait_seconds); it keeps running: follow it with task_status or task_result"
        )
    return info


def describe_engine_error(exc: BaseException) -> str:
    """A message naming the field / limit, from a swarm_core error's attributes."""
    message = str(exc) or type(exc).__name__
    field = getattr(exc, "field", None)
    if field and field not in message:
        message = f"{field}: {message}"
    limit = getattr(exc, "limit", None)
    if limit and str(limit) not in message:
        message = f"{message} (limit {limit}={getattr(exc, 'value', '?')})"
    return message


@asynccontextmanager
async def resource_engine(state: AppState) -> AsyncIterator[Engine]:
    """The engine, for resource reads and completions: an unknown id becomes
    ResourceNotFoundError, any other engine error a ResourceError naming the field."""
    engine = await state.get_engine()
    try:
        yield engine
    except NotFoundError as exc:
        raise ResourceNotFoundError(describe_engine_error(exc)) from exc
    except SwarmError as exc:
        raise ResourceError(describe_engine_error(exc)) from exc


def unexpected_error_text(tool: str, exc: BaseException | None = None) -> str:
    """What a caller reads when a tool failed in a way nobody planned for: the tool and the
    exception class, never its text (it may hold internals or file content)."""
    kind = f" ({type(exc).__name__})" if exc is not None else ""
    return (
        f"{tool} failed with an unexpected internal error{kind}; the server log (stderr) "
        "has the details"
    )


def tool_errors(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Expected failures become ToolError (an isError result the model can read); anything
    else is logged with its traceback and answered with a message naming the tool and the
    exception class (the SDK would answer only "Error executing tool <name>")."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await fn(*args, **kwargs)
        except ToolError:
            raise
        except EngineUnavailableError as exc:
            raise ToolError(str(exc)) from exc
        except SwarmError as exc:
            raise ToolError(describe_engine_error(exc)) from exc
        except Exception as exc:
            if isinstance(exc, ResourceError | MCPError):
                raise  # the SDK answers these itself, with their own text or code
            log.error("tool %s failed unexpectedly", fn.__name__, exc_info=True)
            raise ToolError(unexpected_error_text(fn.__name__, exc)) from exc

    wrapper.__dict__[GUARDED] = True
    return wrapper


GUARDED = "_ruv_swarm_tool_errors"


def _text_view(data: dict[str, Any]) -> dict[str, Any]:
    # Long lists are cut before serialising: the text is capped anyway, and dumping a list
    # only to throw most of it away costs real time on hot tools such as query_agents.
    view: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, list) and len(value) > MAX_TEXT_LIST_ITEMS:
            view[key] = value[:MAX_TEXT_LIST_ITEMS]
            view[f"{key}_omitted"] = len(value) - MAX_TEXT_LIST_ITEMS
        else:
            view[key] = value
    return view


def _text_json(view: dict[str, Any]) -> str:
    # pydantic-core's encoder writes the same compact JSON several times faster than json.dumps
    # (non-ASCII characters stay as they are rather than \u-escaped).
    try:
        return pydantic_core.to_json(view).decode()
    except pydantic_core.PydanticSerializationError:
        return json.dumps(view, separators=(",", ":"))


def _result(data: dict[str, Any], summary: str) -> CallToolResult:
    text = _text_json(_text_view(data))
    if len(text) > MAX_TEXT_JSON_CHARS:
        text = (
            text[:MAX_TEXT_JSON_CHARS] + f"... [{len(text)} chars; full data in structuredContent]"
        )
    return CallToolResult(
        content=[TextContent(type="text", text=summary), TextContent(type="text", text=text)],
        structured_content=data,
    )


def reply_dict(data: dict[str, Any], summary: str) -> dict[str, Any]:
    """:func:`reply` for tools whose result is a free-form JSON object."""
    return cast(dict[str, Any], _result(data, summary))


def reply(out: M, summary: str) -> M:
    """Answer with ``out`` as structuredContent, a one-line summary and the JSON as text.

    The JSON text block keeps clients that ignore structuredContent fully informed.
    """
    # The SDK validates a returned CallToolResult's structuredContent against the annotated
    # output model, so the declared return type (and outputSchema) stays `M`.
    return cast(M, _result(out.model_dump(mode="json"), summary))


def reply_as(model: type[M], data: dict[str, Any], summary: str) -> M:
    """:func:`reply` from plain data shaped like ``model``, for hot paths: the SDK validates it
    against ``model`` once, so building the model here as well would double the work."""
    del model  # documents the shape; validation happens in the SDK
    return cast(M, _result(data, summary))
