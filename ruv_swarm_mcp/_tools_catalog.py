"""Tools that find what exists: swarms, models and tasks, also those from earlier sessions.

Clients that only speak tools (no resources) need these to rediscover state after a restart.
"""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import Field

from ruv_swarm_mcp._models import (
    ModelDetailOut,
    ModelList,
    SwarmList,
    TaskKindName,
    TaskList,
    TaskStatusName,
    dump,
    task_out,
)
from ruv_swarm_mcp._toolkit import engine_of, reply, tool_errors
from ruv_swarm_mcp._tools_swarm import SwarmId
from swarm_core import _limits as L

Limit = Annotated[int, Field(ge=1, le=L.MAX_PAGE_LIMIT, description="page size")]
Offset = Annotated[int, Field(ge=0, le=L.MAX_OFFSET, description="items to skip")]


@tool_errors
async def swarm_list(ctx: Context) -> SwarmList:
    """Every swarm in the store, oldest first (state survives server restarts)."""
    engine = await engine_of(ctx)
    swarms = [dump(s) for s in await engine.list_swarms()]
    out = SwarmList(swarms=swarms, count=len(swarms))  # type: ignore[arg-type]
    return reply(out, f"{out.count} swarms")


@tool_errors
async def model_list(
    ctx: Context, swarm_id: SwarmId = None, limit: Limit = 100, offset: Offset = 0
) -> ModelList:
    """Trained and imported models, newest first, with their measured metrics; all swarms
    unless swarm_id is given."""
    engine = await engine_of(ctx)
    models = [dump(m) for m in await engine.list_models(swarm_id, limit=limit, offset=offset)]
    for m in models:
        m.pop("history", None)  # model_info has it; a listing stays small
    out = ModelList(models=models, count=len(models), offset=offset, limit=limit)  # type: ignore[arg-type]
    return reply(out, f"{out.count} models (offset {offset})")


@tool_errors
async def model_info(
    ctx: Context,
    model_id: Annotated[
        str, Field(min_length=1, max_length=L.ID_MAX_LENGTH, description="model id (model-...)")
    ],
) -> ModelDetailOut:
    """One model: layers, activations, algorithm, metrics and its measured training history
    (per-epoch MSE and bit-fail)."""
    engine = await engine_of(ctx)
    out = ModelDetailOut(**dump(await engine.get_model(model_id)))
    return reply(out, f"model {out.id} ({out.name}): layers {out.layers}, {out.algorithm}")


@tool_errors
async def task_list(
    ctx: Context,
    swarm_id: SwarmId = None,
    status: TaskStatusName | None = None,
    kind: TaskKindName | None = None,
    agent_id: Annotated[str | None, Field(max_length=L.ID_MAX_LENGTH)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> TaskList:
    """Tasks, most recent first, filtered by status, kind or agent; results are left out
    (task_result gives one)."""
    engine = await engine_of(ctx)
    tasks = await engine.list_tasks(
        swarm_id=swarm_id, status=status, kind=kind, agent_id=agent_id, limit=limit, offset=offset
    )
    rows: list[dict[str, Any]] = []
    for t in tasks:
        row = task_out(t).model_dump(mode="json")
        row["result"] = None
        rows.append(row)
    out = TaskList(tasks=rows, count=len(rows), offset=offset, limit=limit)  # type: ignore[arg-type]
    return reply(out, f"{out.count} tasks (offset {offset})")


TOOLS: list[tuple[Any, str]] = [
    (swarm_list, "List swarms"),
    (model_list, "List models"),
    (model_info, "Describe a model"),
    (task_list, "List tasks"),
]
