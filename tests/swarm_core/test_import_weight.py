"""An idle server holds an open engine but no numeric stack: numpy and numba load with the
first agent that needs them (the MCP benchmark's idle-RSS target depends on it)."""

from __future__ import annotations

import subprocess
import sys


def test_opening_an_engine_loads_no_numeric_stack(tmp_path) -> None:
    code = (
        "import sys, anyio\n"
        "from swarm_core import Engine, EngineConfig\n"
        "async def main():\n"
        f"    async with Engine.open(EngineConfig(db={str(tmp_path / 'x.db')!r})) as e:\n"
        "        await e.create_swarm()\n"
        "        await e.stats()\n"
        "anyio.run(main)\n"
        "print(sorted(m for m in ('numpy', 'numba', 'neural') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
