"""Resources: JSON views of the engine's state and a learning-curve PNG per model."""

from __future__ import annotations

import json
from typing import Any

from mcp.server.mcpserver import MCPServer

from ruv_swarm_mcp._models import dump
from ruv_swarm_mcp._png import learning_curve_png
from ruv_swarm_mcp._state import AppState
from ruv_swarm_mcp._toolkit import resource_engine

JSON = "application/json"


def _json(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))


def register(server: MCPServer[Any], state: AppState) -> None:
    @server.resource("swarm://status", name="swarm-status", mime_type=JSON)
    async def swarm_status() -> str:
        """Status of the most recently created swarm (a resource read has no session, so not
        the session's current swarm): agents, tasks, models, memory."""
        async with resource_engine(state) as engine:
            swarm = await engine.resolve_swarm(None, exclude=state.scratch_swarms)
            return _json(dump(await engine.swarm_status(swarm.id)))

    @server.resource("swarm://agents", name="agents", mime_type=JSON)
    async def agents() -> str:
        """Every agent of the most recently created swarm (up to 1000)."""
        async with resource_engine(state) as engine:
            swarm = await engine.resolve_swarm(None, exclude=state.scratch_swarms)
            rows = await engine.query_agents(swarm_id=swarm.id, limit=1000)
        return _json([dump(a) for a in rows])

    @server.resource("swarm://agents/{agent_id}", name="agent", mime_type=JSON)
    async def agent(agent_id: str) -> str:
        """One agent by id."""
        async with resource_engine(state) as engine:
            return _json(dump(await engine.get_agent(agent_id)))

    @server.resource("swarm://tasks/{task_id}", name="task", mime_type=JSON)
    async def task(task_id: str) -> str:
        """One task by id, with its progress and result."""
        async with resource_engine(state) as engine:
            return _json(dump(await engine.get_task(task_id)))

    @server.resource("swarm://models/{model_id}", name="model", mime_type=JSON)
    async def model(model_id: str) -> str:
        """One model by id: layers, algorithm, metrics and training history."""
        async with resource_engine(state) as engine:
            return _json(dump(await engine.get_model(model_id)))

    @server.resource(
        "swarm://models/{model_id}/learning-curve.png", name="learning-curve", mime_type="image/png"
    )
    async def learning_curve(model_id: str) -> bytes:
        """The model's measured training MSE per epoch (log scale) as a PNG chart."""
        async with resource_engine(state) as engine:
            info = dump(await engine.get_model(model_id))
        history = info.get("history") or {}
        return learning_curve_png([history.get("mse") or []])
