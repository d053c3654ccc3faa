"""Tools for swarms and agents."""

from __future__ import annotations

import os
import time
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import Field

from ruv_swarm_mcp._current import current_swarm_id, resolve, set_current
from ruv_swarm_mcp._models import (
    AgentList,
    AgentOut,
    AgentStatusName,
    AgentTypeName,
    ServerInfoOut,
    StrategyName,
    SwarmDeleteOut,
    SwarmOut,
    SwarmStatusOut,
    TopologyName,
    dump,
)
from ruv_swarm_mcp._toolkit import engine_of, reply, reply_as, state_of, tool_errors
from ruv_swarm_mcp._version import __version__
from swarm_core import _limits as L

SwarmId = Annotated[
    str | None,
    Field(
        default=None,
        max_length=L.ID_MAX_LENGTH,
        description="swarm id (swarm-...); omit to use this session's current swarm (the "
        "one its last swarm_init created)",
    ),
]
Name = Annotated[str, Field(min_length=1, max_length=L.MAX_NAME_LENGTH)]
Capability = Annotated[str, Field(min_length=1, max_length=L.MAX_CAPABILITY_LENGTH)]


@tool_errors
async def swarm_init(
    ctx: Context,
    topology: Annotated[
        TopologyName, Field(description="how agents are connected: mesh, hierarchical, ring, star")
    ] = "mesh",
    strategy: Annotated[
        StrategyName, Field(description="default strategy for orchestrated tasks")
    ] = "parallel",
    max_agents: Annotated[
        int | None,
        Field(
            ge=1,
            le=L.MAX_AGENTS_LIMIT,
            description=f"agent limit for this swarm (default {L.MAX_AGENTS_DEFAULT})",
        ),
    ] = None,
    name: Annotated[str | None, Field(min_length=1, max_length=L.MAX_NAME_LENGTH)] = None,
) -> SwarmOut:
    """Create a new swarm: a named group of agents with a topology and a default strategy.

    Call this first: the new swarm becomes this session's current swarm. Later tools take an
    optional swarm_id; when omitted they act on the current swarm, which only swarm_init
    changes (before any swarm_init, the most recently created swarm is adopted).
    """
    engine = await engine_of(ctx)
    info = await engine.create_swarm(
        name=name, topology=topology, strategy=strategy, max_agents=max_agents
    )
    set_current(ctx, info.id)
    out = SwarmOut(**dump(info))
    return reply(
        out, f"created swarm {out.id} ({out.topology}, {out.strategy}, max {out.max_agents} agents)"
    )


@tool_errors
async def swarm_status(ctx: Context, swarm_id: SwarmId = None) -> SwarmStatusOut:
    """Measured state of a swarm: agents by status and type, tasks by status, models,
    documents and memory entries, and the topology graph summary."""
    engine = await engine_of(ctx)
    sid = (await resolve(ctx, engine, swarm_id)).id
    out = SwarmStatusOut(**dump(await engine.swarm_status(sid)))
    return reply(
        out,
        f"swarm {out.swarm.id}: {out.agents_total} agents {out.agents_by_status}, "
        f"tasks {out.tasks_by_status}, {out.models} models",
    )


@tool_errors
async def spawn_agent(
    ctx: Context,
    type: Annotated[
        AgentTypeName,
        Field(
            description="agent type; neural-processor trains/predicts, researcher searches the "
            "knowledge base, analyst evaluates, optimizer tunes, coordinator aggregates, "
            "external (and the roles coder/tester/reviewer/documenter) are slots whose work the "
            "client does and reports with task_complete"
        ),
    ],
    name: Annotated[str | None, Field(min_length=1, max_length=L.MAX_NAME_LENGTH)] = None,
    capabilities: Annotated[
        list[Capability],
        Field(max_length=L.MAX_CAPABILITIES, description="free-form capability tags"),
    ] = [],  # noqa: B006 - pydantic copies defaults; the schema shows []
    cognitive_pattern: Annotated[
        StrategyName | None, Field(description="the agent's preferred strategy")
    ] = None,
    swarm_id: SwarmId = None,
) -> AgentOut:
    """Add an agent to a swarm. Returns the new agent with its id (agent-...)."""
    engine = await engine_of(ctx)
    sid = (await resolve(ctx, engine, swarm_id)).id
    info = await engine.spawn_agent(
        sid,
        type,
        name=name,
        capabilities=tuple(capabilities),
        cognitive_pattern=cognitive_pattern,
    )
    data = info.model_dump(mode="json")
    return reply_as(
        AgentOut, data, f"spawned {data['role']} agent {data['id']} ({data['name']}) in {sid}"
    )


@tool_errors
async def query_agents(
    ctx: Context,
    swarm_id: SwarmId = None,
    type: AgentTypeName | None = None,
    status: AgentStatusName | None = None,
    capability: Annotated[str | None, Field(max_length=L.MAX_CAPABILITY_LENGTH)] = None,
    name: Annotated[
        str | None, Field(max_length=L.MAX_NAME_LENGTH, description="exact agent name")
    ] = None,
    limit: Annotated[int, Field(ge=1, le=L.MAX_PAGE_LIMIT)] = 100,
    offset: Annotated[int, Field(ge=0, le=L.MAX_OFFSET)] = 0,
) -> AgentList:
    """List agents, filtered by type, status, capability or name, one page at a time."""
    engine = await engine_of(ctx)
    agents = await engine.query_agents_json(
        swarm_id=swarm_id,
        type=type,
        status=status,
        capability=capability,
        name=name,
        limit=limit,
        offset=offset,
    )
    data = {
        "agents": agents,
        "count": len(agents),
        "offset": offset,
        "limit": limit,
    }
    return reply_as(AgentList, data, f"{len(agents)} agents (offset {offset})")


@tool_errors
async def agent_terminate(
    ctx: Context, agent_id: Annotated[str, Field(min_length=1, max_length=L.ID_MAX_LENGTH)]
) -> AgentOut:
    """Terminate an agent; it takes no further tasks. Its history stays queryable."""
    engine = await engine_of(ctx)
    out = AgentOut(**dump(await engine.terminate_agent(agent_id)))
    return reply(out, f"agent {out.id} is {out.status}")


@tool_errors
async def swarm_delete(
    ctx: Context,
    swarm_id: Annotated[
        str,
        Field(
            min_length=1,
            max_length=L.ID_MAX_LENGTH,
            description="the swarm to delete (swarm-...)",
        ),
    ],
) -> SwarmDeleteOut:
    """Delete a swarm and everything it owns: its unfinished tasks are cancelled, then its
    tasks, agents, models, training checkpoints, documents, memory entries tied to it and its
    events are deleted (the event log keeps one swarm_deleted event). Cannot be undone. When it
    was this session's current swarm, calls without swarm_id fail until the next swarm_init."""
    engine = await engine_of(ctx)
    was_current = current_swarm_id(ctx) == swarm_id
    result = await engine.delete_swarm(swarm_id)
    data = {**result, "was_current": was_current}
    rows = sum(result["deleted"].values())
    return reply_as(
        SwarmDeleteOut,
        data,
        f"deleted swarm {swarm_id} ({rows} rows, {result['cancelled_tasks']} tasks cancelled)",
    )


async def server_info(ctx: Context) -> ServerInfoOut:
    """This server's version, process id, uptime, transport, tool profile and whether the
    training kernels are compiled yet (jit_warmup)."""
    state = state_of(ctx)
    warmup, warmup_seconds = state.engine.jit_warmup_state()
    out = ServerInfoOut(
        name="ruv-swarm-mcp",
        version=__version__,
        pid=os.getpid(),
        uptime_seconds=round(time.monotonic() - state.started_monotonic, 6),
        transport=state.config.transport,
        profile=state.config.profile,
        engine_open=state.engine.engine_if_open is not None,
        jit_warmup=warmup,
        jit_warmup_seconds=warmup_seconds,
    )
    return reply(out, f"ruv-swarm-mcp {__version__} pid {out.pid} up {out.uptime_seconds:.1f} s")


TOOLS: list[tuple[Any, str]] = [
    (swarm_init, "Create a swarm"),
    (swarm_status, "Swarm status"),
    (spawn_agent, "Spawn an agent"),
    (query_agents, "Query agents"),
    (agent_terminate, "Terminate an agent"),
    (swarm_delete, "Delete a swarm"),
    (server_info, "Server information"),
]
