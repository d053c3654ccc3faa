"""stdio builds its tool schemas after the handshake; nothing a client sees changes."""

from __future__ import annotations

import anyio
from mcp import Client

from ruv_swarm_mcp._config import ServerConfig
from ruv_swarm_mcp._server import build_app


def test_registration_waits_for_the_first_request_after_initialize(tmp_path) -> None:
    eager, _ = build_app(ServerConfig(db=str(tmp_path / "eager.db")))
    lazy, state = build_app(ServerConfig(db=str(tmp_path / "lazy.db")), defer_registration=True)
    assert state.pending_registration is not None
    assert lazy._tool_manager.list_tools() == []
    low_eager, low_lazy = eager._lowlevel_server, lazy._lowlevel_server
    # The initialize answer's capabilities are computed before any registration happens.
    assert low_lazy.create_initialization_options() == low_eager.create_initialization_options()

    async def go() -> list[str]:
        with anyio.fail_after(60):
            async with Client(lazy, mode="legacy") as client:
                return [t.name for t in (await client.list_tools()).tools]

    names = anyio.run(go)
    assert state.pending_registration is None
    assert sorted(names) == sorted(t.name for t in eager._tool_manager.list_tools())
    assert "query_agents" in names and "spawn_agent" in names
