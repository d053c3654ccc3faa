"""Tools for tasks: orchestrate work over agents, follow it, cancel it, retry or resume it,
complete external work."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from ruv_swarm_mcp._current import resolve
from ruv_swarm_mcp._models import StrategyName, TaskOut, task_out
from ruv_swarm_mcp._protocol import client_log
from ruv_swarm_mcp._roots import data_roots
from ruv_swarm_mcp._toolkit import engine_of, reply, state_of, tool_errors
from ruv_swarm_mcp._tools_swarm import SwarmId
from swarm_core import _limits as L

TaskId = Annotated[
    str, Field(min_length=1, max_length=L.ID_MAX_LENGTH, description="task id (task-...)")
]
WaitSeconds = Annotated[
    float,
    Field(
        ge=0,
        le=600,
        description="seconds to wait for the task to finish before answering; the task keeps "
        "running afterwards either way",
    ),
]


def _summary(out: TaskOut) -> str:
    text = f"task {out.id} ({out.kind}) is {out.status}"
    if out.status == "running" and out.progress:
        text += f" at {out.progress:.0%}"
    if out.error:
        text += f": {out.error}"
    if out.duration_ms is not None:
        text += f" after {out.duration_ms:.0f} ms"
    return text


def _cap_wait(ctx: Context, wait: float) -> float:
    return min(wait, state_of(ctx).config.max_wait_seconds)


async def _wait(engine: Any, task_id: str, seconds: float) -> Any:
    """Wait up to ``seconds`` for a final state; an unfinished task is returned as it is."""
    if seconds > 0:
        with anyio.move_on_after(seconds):
            try:
                return await engine.wait_task(task_id, timeout=seconds)
            except TimeoutError:
                pass
    return await engine.get_task(task_id)


@tool_errors
async def orchestrate(
    ctx: Context,
    task: Annotated[
        str | dict[str, Any],
        Field(
            description="what to do. Plain text: answered by the swarm's external agents (the "
            "client does the work, see task_complete) or else by researchers searching the "
            "knowledge base. An object: a task of any kind, e.g. {'data': <FANN path or inline "
            "arrays>, 'epochs': 200, 'layers': [8]} to train (the default kind when data is "
            "given), {'kind': 'search', 'query': ...}, {'kind': 'evaluate', ...}; strategy "
            "options go in the same object: variants / vary (divergent), aggregate "
            "best|ensemble|vote and holdout (convergent), stages (sequential), rounds (mesh), "
            "cascade_layers (cascade)"
        ),
    ],
    strategy: Annotated[
        StrategyName | None,
        Field(
            description="how work spreads over agents: sequential (pipeline), parallel (all at "
            "once), divergent (independent variants), convergent (combine into one answer), "
            "cascade (escalate until good enough), mesh (peers exchange results); default: the "
            "swarm's strategy"
        ),
    ] = None,
    max_agents: Annotated[int | None, Field(ge=1, le=L.MAX_AGENTS_LIMIT)] = None,
    priority: Annotated[int, Field(ge=-L.MAX_PRIORITY, le=L.MAX_PRIORITY)] = 0,
    wait_seconds: WaitSeconds = 30.0,
    swarm_id: SwarmId = None,
) -> TaskOut:
    """Run a task over the swarm's agents through a strategy. Returns the task, with its result
    when it finished within wait_seconds; otherwise poll task_status / task_result."""
    engine = await engine_of(ctx)
    sid = (await resolve(ctx, engine, swarm_id)).id
    wait = _cap_wait(ctx, wait_seconds)
    await client_log(ctx, "info", f"orchestrating over {sid} with strategy {strategy or 'default'}")
    info = await engine.orchestrate(
        sid,
        task,
        strategy=strategy,
        max_agents=max_agents,
        priority=priority,
        wait_seconds=wait,
        data_roots=data_roots(ctx),
    )
    out = task_out(info)
    return reply(out, _summary(out))


@tool_errors
async def task_status(ctx: Context, task_id: TaskId) -> TaskOut:
    """Current state of a task: status, progress, timings, agents, and its result once done."""
    engine = await engine_of(ctx)
    out = task_out(await engine.get_task(task_id))
    return reply(out, _summary(out))


@tool_errors
async def task_result(ctx: Context, task_id: TaskId, wait_seconds: WaitSeconds = 0.0) -> TaskOut:
    """A task's result, optionally waiting up to wait_seconds for it to finish."""
    engine = await engine_of(ctx)
    out = task_out(await _wait(engine, task_id, _cap_wait(ctx, wait_seconds)))
    return reply(out, _summary(out))


@tool_errors
async def task_cancel(ctx: Context, task_id: TaskId) -> TaskOut:
    """Cancel a pending or running task (a running training stops within one epoch)."""
    engine = await engine_of(ctx)
    out = task_out(await engine.cancel_task(task_id))
    return reply(out, _summary(out))


@tool_errors
async def task_retry(
    ctx: Context,
    task_id: TaskId,
    resume: Annotated[
        bool,
        Field(
            description="train tasks: continue from the task's last checkpoint (its saved "
            "weights, scaling and history) for the epochs left; false, or no checkpoint: start "
            "over (false also discards the checkpoint)"
        ),
    ] = True,
    wait_seconds: WaitSeconds = 0.0,
) -> TaskOut:
    """Run a failed, cancelled or interrupted task again under the same id (e.g. a training
    interrupted when the server stopped). A training that stored a checkpoint resumes from it:
    the result says resumed_from_epoch and its history counts epochs on from there; without one
    it trains from scratch and the result's resume_note says so. Returns the task, finished if
    it ended within wait_seconds; otherwise poll task_status / task_result."""
    engine = await engine_of(ctx)
    await engine.retry_task(task_id, resume=resume, data_roots=data_roots(ctx))
    out = task_out(await _wait(engine, task_id, _cap_wait(ctx, wait_seconds)))
    return reply(out, _summary(out))


@tool_errors
async def task_complete(
    ctx: Context,
    task_id: TaskId,
    result: Annotated[
        dict[str, Any] | None, Field(description="the work product, as a JSON object")
    ] = None,
    error: Annotated[
        str | None, Field(max_length=10_000, description="set instead of result if it failed")
    ] = None,
) -> TaskOut:
    """Report the outcome of a task assigned to an external agent (coder, tester, reviewer,
    documenter or external): give result on success or error on failure, not both."""
    if (result is None) == (error is None):
        raise ToolError("give exactly one of result or error")
    engine = await engine_of(ctx)
    out = task_out(await engine.complete_external_task(task_id, result=result, error=error))
    return reply(out, _summary(out))


TOOLS: list[tuple[Any, str]] = [
    (orchestrate, "Orchestrate a task"),
    (task_status, "Task status"),
    (task_result, "Task result"),
    (task_cancel, "Cancel a task"),
    (task_retry, "Retry or resume a task"),
    (task_complete, "Complete an external task"),
]
