"""The MCP server factory. Tools stay thin: validate, call the engine, shape the answer."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from mcp.server.mcpserver import Context, MCPServer
from pydantic import BaseModel

from ruv_swarm_mcp._config import ServerConfig
from ruv_swarm_mcp._version import __version__

INSTRUCTIONS = (
    "ruv-swarm-mcp runs a real in-process swarm engine. Every figure it returns is measured "
    "from work it actually did."
)


@dataclass
class AppState:
    config: ServerConfig
    started_monotonic: float = field(default_factory=time.monotonic)


class ServerInfo(BaseModel):
    name: str
    version: str
    pid: int
    uptime_seconds: float
    transport: str
    profile: str


def build_server(config: ServerConfig | None = None) -> MCPServer[AppState]:
    cfg = config or ServerConfig()

    @asynccontextmanager
    async def lifespan(_server: MCPServer[AppState]) -> AsyncIterator[AppState]:
        yield AppState(config=cfg)

    server: MCPServer[AppState] = MCPServer(
        "ruv-swarm-mcp", version=__version__, instructions=INSTRUCTIONS, lifespan=lifespan
    )

    @server.tool(title="Server information")
    async def server_info(ctx: Context[AppState]) -> ServerInfo:
        """Report this server's version, process id, uptime, transport and tool profile."""
        state: AppState = ctx.request_context.lifespan_context
        return ServerInfo(
            name="ruv-swarm-mcp",
            version=__version__,
            pid=os.getpid(),
            uptime_seconds=round(time.monotonic() - state.started_monotonic, 6),
            transport=state.config.transport,
            profile=state.config.profile,
        )

    return server
