"""swarm_core: the swarm engine (swarms, agents, topologies, strategies, tasks, persistence).

Depends on anyio, pydantic, SQLModel and `neural`'s public API; never imports `mcp`.
"""

__all__: list[str] = []
