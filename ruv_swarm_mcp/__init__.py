"""ruv-swarm-mcp: an MCP server that drives a real, measured swarm engine.

Public API: :func:`build_server` (the MCP server factory), :func:`main` (the CLI entry point)
and :data:`__version__`.
"""

from ruv_swarm_mcp._version import __version__

__all__ = ["__version__", "build_server", "main"]


def __getattr__(name: str) -> object:
    # The server pulls in the mcp SDK (~0.6 s); load it only when asked so `--help` stays instant.
    if name == "build_server":
        from ruv_swarm_mcp._server import build_server

        return build_server
    if name == "main":
        from ruv_swarm_mcp._cli import main

        return main
    raise AttributeError(f"module 'ruv_swarm_mcp' has no attribute {name!r}")
