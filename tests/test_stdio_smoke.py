"""The server through real stdio: the official client, and the raw byte stream."""

from __future__ import annotations

import json
import subprocess
import sys

import anyio
import pytest
from mcp import Client, StdioServerParameters

HANDSHAKE_VERSION = "2025-11-25"


def test_official_client_connects_and_lists_tools(server_command, server_env) -> None:
    async def go() -> tuple[list[str], dict]:
        params = StdioServerParameters(
            command=server_command[0], args=server_command[1:], env=server_env
        )
        with anyio.fail_after(60):
            async with Client(params) as client:
                tools = await client.list_tools()
                result = await client.call_tool("server_info", {})
                assert not result.is_error
                return [t.name for t in tools.tools], result.structured_content

    names, info = anyio.run(go)
    assert "server_info" in names
    assert info["transport"] == "stdio"
    assert info["uptime_seconds"] >= 0


def _rpc(id_: int | None, method: str, params: dict | None = None) -> bytes:
    msg: dict = {"jsonrpc": "2.0", "method": method}
    if id_ is not None:
        msg["id"] = id_
    if params is not None:
        msg["params"] = params
    return (json.dumps(msg) + "\n").encode()


def test_stdout_carries_only_json_rpc_and_exits_on_stdin_close(server_command, server_env) -> None:
    # A full session written as raw bytes, read back line by line.
    requests = b"".join(
        [
            _rpc(
                1,
                "initialize",
                {
                    "protocolVersion": HANDSHAKE_VERSION,
                    "capabilities": {},
                    "clientInfo": {"name": "raw-probe", "version": "0"},
                },
            ),
            _rpc(None, "notifications/initialized"),
            _rpc(2, "tools/list", {}),
            _rpc(3, "ping", {}),
            _rpc(4, "tools/call", {"name": "server_info", "arguments": {}}),
            _rpc(5, "tools/call", {"name": "no_such_tool", "arguments": {}}),
        ]
    )
    proc = subprocess.Popen(
        server_command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=server_env,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(requests)
    proc.stdin.flush()
    messages = []
    answered: set[int] = set()
    try:
        while answered != {1, 2, 3, 4, 5}:
            line = proc.stdout.readline()
            assert line, "server closed stdout early: " + proc.stderr.read().decode()
            message = json.loads(line)  # every stdout line must be JSON
            messages.append(message)
            if "id" in message:
                answered.add(message["id"])
        proc.stdin.close()
        assert proc.wait(timeout=10) == 0, "server did not exit cleanly when stdin closed"
        messages.extend(
            json.loads(line) for line in proc.stdout.read().splitlines() if line.strip()
        )
    finally:
        if proc.poll() is None:
            proc.kill()
    assert all(m.get("jsonrpc") == "2.0" for m in messages)
    by_id = {m["id"]: m for m in messages if "id" in m}
    assert set(by_id) == {1, 2, 3, 4, 5}
    assert by_id[1]["result"]["protocolVersion"] == HANDSHAKE_VERSION
    assert by_id[1]["result"]["serverInfo"]["name"] == "ruv-swarm-mcp"
    assert any(t["name"] == "server_info" for t in by_id[2]["result"]["tools"])
    assert by_id[3]["result"] == {}
    assert by_id[4]["result"]["isError"] is False
    assert by_id[5]["result"]["isError"] is True


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_cli_help_is_fast_and_clean(flag: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ruv_swarm_mcp", flag], capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 0
    assert "ruv-swarm-mcp" in proc.stdout


def test_non_loopback_http_without_token_is_refused(server_env) -> None:
    env = dict(server_env)
    env.pop("RUV_SWARM_TOKEN", None)
    proc = subprocess.run(
        [sys.executable, "-m", "ruv_swarm_mcp", "--transport", "http", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )
    assert proc.returncode == 2
    assert "token" in proc.stderr
    assert proc.stdout == ""
