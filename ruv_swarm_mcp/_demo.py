"""The README's first command: start the server as a real stdio subprocess and drive it."""

from __future__ import annotations

import argparse
import json
import sys
import time


def run_demo(args: argparse.Namespace) -> int:
    import anyio

    return anyio.run(_demo, args)


async def _demo(args: argparse.Namespace) -> int:
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(command=sys.executable, args=["-m", "ruv_swarm_mcp"])
    started = time.perf_counter()
    async with Client(params) as client:
        print(f"connected to ruv-swarm-mcp over stdio in {time.perf_counter() - started:.2f} s")
        tools = await client.list_tools()
        print(f"{len(tools.tools)} tools:")
        for tool in tools.tools:
            print(f"  - {tool.name}: {(tool.description or '').splitlines()[0]}")
        result = await client.call_tool("server_info", {})
        print("server_info ->", json.dumps(result.structured_content))
    return 0
