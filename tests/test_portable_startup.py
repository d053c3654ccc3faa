"""Nothing POSIX-only on the server's import path: with `resource` and `fcntl` unavailable (as
on Windows) the server still imports, starts over stdio, answers `initialize` and tool calls
that open the engine, on both stdio transports.

A sitecustomize in the child makes both modules unimportable for everything but the `mcp`
SDK, which imports `fcntl` only where `sys.platform != "win32"` (so on Windows it never asks).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

BLOCKER = textwrap.dedent(
    '''
    import sys

    BLOCKED = {"resource", "fcntl"}

    def _importer():
        frame = sys._getframe(2)
        while frame is not None:
            name = frame.f_globals.get("__name__", "")
            if not name.startswith("importlib") and "importlib" not in frame.f_code.co_filename \\
                    and not frame.f_code.co_filename.startswith("<frozen"):
                return name
            frame = frame.f_back
        return ""

    class _Block:
        def find_spec(self, name, path=None, target=None):
            if name in BLOCKED:
                importer = _importer()
                if importer != "mcp" and not importer.startswith("mcp."):
                    raise ImportError(f"{name} is blocked (imported by {importer})")
            return None

    for _name in BLOCKED:
        sys.modules.pop(_name, None)
    sys.meta_path.insert(0, _Block())
    '''
)


@pytest.fixture
def blocked_env(tmp_path: Path, server_env: dict[str, str]) -> dict[str, str]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCKER, encoding="utf-8")
    env = dict(server_env)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(site), str(Path(__file__).resolve().parents[1]), env.get("PYTHONPATH", "")]
    )
    return env


def test_the_blocker_blocks(blocked_env: dict[str, str]) -> None:
    for module in ("resource", "fcntl"):
        out = subprocess.run(
            [sys.executable, "-c", f"import {module}"],
            env=blocked_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode != 0 and "is blocked" in out.stderr


@pytest.mark.parametrize("transport", ["auto", "sdk"])
def test_server_starts_and_answers_without_resource_and_fcntl(
    blocked_env: dict[str, str], transport: str
) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "ruv_swarm_mcp", "--no-jit-warmup", "--stdio-transport", transport],
        env=blocked_env,
    )

    async def go() -> tuple[dict, dict]:
        with anyio.fail_after(90):
            async with Client(params) as client:
                info = await client.call_tool("server_info", {})
                assert not info.is_error, info.content
                swarm = await client.call_tool("swarm_init", {"max_agents": 3})
                assert not swarm.is_error, swarm.content
                stats = await client.call_tool("swarm_status", {})
                assert not stats.is_error, stats.content
                return info.structured_content or {}, stats.structured_content or {}

    info, status = anyio.run(go)
    assert info["transport"] == "stdio"
    assert status  # the engine opened and answered
