"""`ruv-swarm`: the terminal CLI beside the MCP server (`ruv-swarm-mcp`).

Kept apart from the server: nothing on the server's import path imports this package, rich or
click, and `ruv-swarm mcp ...` hands over to the server before loading them.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["mcp"]:
        # the server starts exactly as `ruv-swarm-mcp` does: no click, no rich in its process
        from ruv_swarm_mcp._cli import main as server_main

        return server_main(args[1:])
    from ruv_swarm_mcp._terminal._app import main as cli_main

    return cli_main(args)


__all__ = ["main"]
