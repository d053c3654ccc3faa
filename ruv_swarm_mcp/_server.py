"""The MCP server factory. Tools stay thin: validate, call the engine, shape the answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from mcp.server.mcpserver import MCPServer

from ruv_swarm_mcp import _changes, _completions, _protocol, _roots, _sdk
from ruv_swarm_mcp._config import ServerConfig
from ruv_swarm_mcp._engine import EngineHolder
from ruv_swarm_mcp._state import AppState
from ruv_swarm_mcp._version import __version__

_sdk.skip_sdk_logging_setup()

INSTRUCTIONS = (
    "ruv-swarm-mcp runs a real in-process swarm engine: swarms of typed agents, tasks run "
    "through strategies (sequential, parallel, divergent, convergent, cascade, mesh), neural "
    "networks trained with RPROP/Quickprop/Cascade-Correlation, a persistent memory and a "
    "full-text knowledge base. Start with swarm_init, then spawn_agent; train/predict for "
    "models; orchestrate for multi-agent tasks. Every figure returned is measured from work "
    "actually done. Long tasks return a task id: poll task_status / task_result."
)


def build_app(
    config: ServerConfig | None = None,
    engine: EngineHolder | None = None,
    *,
    defer_registration: bool = False,
) -> tuple[MCPServer[AppState], AppState]:
    """The server and its shared state; HTTP serving passes an engine holder it keeps open.

    With ``defer_registration`` the tools, resources and prompts are registered when the first
    message other than ``initialize`` arrives (stdio: building ~25 tool schemas takes about a
    quarter of a second, and the handshake answer does not depend on them)."""
    cfg = config or ServerConfig()
    holder = engine or EngineHolder(cfg)
    state = AppState(config=cfg, engine=holder)
    server: MCPServer[AppState]

    @asynccontextmanager
    async def lifespan(_server: MCPServer[AppState]) -> AsyncIterator[AppState]:
        # SSE enters this once per connection; the holder (engine + pump) is shared and only
        # the first entry, or the HTTP serve loop that owns it, runs it.
        async with holder.running_scope():
            yield state

    server = MCPServer(
        "ruv-swarm-mcp",
        title="ruv-swarm",
        version=__version__,
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        log_level=cfg.log_level.upper(),  # type: ignore[arg-type]
    )
    fan_out = _changes.ChangeFanOut(server, state)
    holder.add_change_listener(fan_out.on_change)
    holder.add_background(fan_out.pump)
    _protocol.install(server, state)
    _roots.install(server)
    _completions.register(server, state)

    def register() -> None:
        from ruv_swarm_mcp import _prompts, _resources, _tools

        _tools.register(server, cfg)
        _resources.register(server, state)
        _prompts.register(server)

    if defer_registration:
        state.pending_registration = register
    else:
        register()
    return server, state


def build_server(config: ServerConfig | None = None) -> MCPServer[AppState]:
    """Build the ruv-swarm MCP server (tools, resources, prompts) for ``config``."""
    return build_app(config)[0]
