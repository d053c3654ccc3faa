"""Protocol behaviour over a real stdio subprocess: eras, ping, logging, shutdown, stdout hygiene."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest
from mcp import Client, ClientSession, StdioServerParameters, stdio_client

from tests.mcp.conftest import server_env

HANDSHAKE = "2025-11-25"
DATA_ROOT = str(Path(__file__).resolve().parents[2] / "ruv_swarm_mcp" / "data")
DATA = str(Path(DATA_ROOT) / "diabetes.train")


def _params(tmp_path, *extra: str) -> StdioServerParameters:
    args = ["-m", "ruv_swarm_mcp", "--data-root", DATA_ROOT, *extra]
    return StdioServerParameters(command=sys.executable, args=args, env=server_env(tmp_path))


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_client_modes_negotiate_both_eras(tmp_path, mode: str) -> None:
    async def go() -> tuple[str, dict]:
        with anyio.fail_after(60):
            async with Client(_params(tmp_path), mode=mode) as client:
                await client.send_ping() if mode == "legacy" else None
                result = await client.call_tool("server_info", {})
                assert not result.is_error
                return client.protocol_version, result.structured_content or {}

    version, info = anyio.run(go)
    assert version == ("2026-07-28" if mode == "auto" else HANDSHAKE)
    assert info["transport"] == "stdio"


def test_initialize_advertises_subscribe_logging_and_completions(tmp_path) -> None:
    async def go():
        with anyio.fail_after(60):
            async with (
                stdio_client(_params(tmp_path)) as (read, write),
                ClientSession(read, write) as session,
            ):
                init = await session.initialize()
                assert init.protocol_version == HANDSHAKE
                await session.send_ping()
                await session.set_logging_level("error")
                return init.capabilities

    caps = anyio.run(go)
    assert caps.resources is not None and caps.resources.subscribe is True
    assert caps.logging is not None
    assert caps.completions is not None
    assert caps.tools is not None and caps.prompts is not None


def _rpc(id_: int | None, method: str, params: dict | None = None) -> bytes:
    msg: dict = {"jsonrpc": "2.0", "method": method}
    if id_ is not None:
        msg["id"] = id_
    if params is not None:
        msg["params"] = params
    return (json.dumps(msg) + "\n").encode()


def _initialize(id_: int = 1) -> bytes:
    return _rpc(
        id_,
        "initialize",
        {
            "protocolVersion": HANDSHAKE,
            "capabilities": {},
            "clientInfo": {"name": "raw", "version": "0"},
        },
    )


def _read_until(proc: subprocess.Popen[bytes], ids: set[int], timeout: float = 60) -> list[dict]:
    assert proc.stdout is not None
    messages: list[dict] = []
    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    while not ids <= seen:
        assert time.monotonic() < deadline, f"no answer for {ids - seen}"
        line = proc.stdout.readline()
        assert line, "server closed stdout early"
        message = json.loads(line)  # every stdout line must be one JSON-RPC message
        assert message.get("jsonrpc") == "2.0", message
        messages.append(message)
        if "id" in message and ("result" in message or "error" in message):
            seen.add(message["id"])
    return messages


def test_sigterm_exits_cleanly(tmp_path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ruv_swarm_mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=server_env(tmp_path),
    )
    try:
        assert proc.stdin is not None
        proc.stdin.write(_initialize() + _rpc(None, "notifications/initialized") + _rpc(2, "ping"))
        proc.stdin.flush()
        _read_until(proc, {1, 2})
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_unknown_method_and_bad_params_are_protocol_errors(tmp_path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ruv_swarm_mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=server_env(tmp_path),
    )
    try:
        assert proc.stdin is not None
        proc.stdin.write(
            _initialize()
            + _rpc(None, "notifications/initialized")
            + _rpc(2, "no/such/method", {})
            + _rpc(3, "logging/setLevel", {"level": "loud"})
            + _rpc(4, "logging/setLevel", {"level": "debug"})
            + b"this is not json\n"
            + _rpc(5, "ping")
        )
        proc.stdin.flush()
        by_id = {m["id"]: m for m in _read_until(proc, {1, 2, 3, 4, 5, None}) if "id" in m}
        assert by_id[None]["error"]["code"] == -32700  # the line that is not JSON
        assert by_id[2]["error"]["code"] == -32601
        assert by_id[3]["error"]["code"] == -32602
        assert by_id[4]["result"] == {}
        assert by_id[5]["result"] == {}
        proc.stdin.close()
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_full_session_stdout_is_only_json_rpc(tmp_path) -> None:
    """Every byte the server writes during a busy session (tools, progress, logs, resource
    updates, errors) is a JSON-RPC line; it exits 0 when stdin closes."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ruv_swarm_mcp", "--data-root", DATA_ROOT],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=server_env(tmp_path),
    )
    assert proc.stdin is not None and proc.stdout is not None

    def call(id_: int, name: str, args: dict, token: str | None = None) -> bytes:
        params: dict = {"name": name, "arguments": args}
        if token:
            params["_meta"] = {"progressToken": token}
        return _rpc(id_, "tools/call", params)

    try:
        proc.stdin.write(
            _initialize()
            + _rpc(None, "notifications/initialized")
            + _rpc(2, "logging/setLevel", {"level": "debug"})
            + _rpc(3, "resources/subscribe", {"uri": "swarm://status"})
            + call(4, "swarm_init", {"topology": "ring"})
        )
        proc.stdin.flush()
        _read_until(proc, {1, 2, 3, 4})
        # requests are served concurrently, so what reads the agent waits for its spawn
        proc.stdin.write(call(5, "spawn_agent", {"type": "neural-processor"}))
        proc.stdin.flush()
        messages = _read_until(proc, {5})
        proc.stdin.write(
            call(
                6,
                "train",
                {"data": DATA, "layers": [4], "epochs": 2000, "desired_error": 0.0},
                token="tok-6",
            )
            + call(7, "spawn_agent", {"type": "nonsense"})
            + _rpc(8, "resources/read", {"uri": "swarm://agents"})
            + _rpc(9, "prompts/get", {"name": "research_swarm", "arguments": {"question": "why?"}})
            + _rpc(
                10,
                "completion/complete",
                {
                    "ref": {"type": "ref/resource", "uri": "swarm://agents/{agent_id}"},
                    "argument": {"name": "agent_id", "value": "agent-"},
                },
            )
        )
        proc.stdin.flush()
        messages += _read_until(proc, {6, 7, 8, 9, 10})
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
        rest = proc.stdout.read().splitlines()
        messages += [json.loads(line) for line in rest if line.strip()]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert all(m.get("jsonrpc") == "2.0" for m in messages)
    by_id = {m["id"]: m for m in messages if "id" in m}
    assert by_id[6]["result"]["isError"] is False, by_id[6]["result"]["content"]
    assert by_id[6]["result"]["structuredContent"]["epochs_run"] == 2000
    assert (
        by_id[7]["result"]["isError"] is True and "type" in by_id[7]["result"]["content"][0]["text"]
    )
    assert json.loads(by_id[8]["result"]["contents"][0]["text"])[0]["type"] == "neural-processor"
    assert "why?" in json.dumps(by_id[9]["result"]["messages"])
    assert len(by_id[10]["result"]["completion"]["values"]) == 1
    notes = [m for m in messages if "id" not in m]
    methods = {m["method"] for m in notes}
    assert {"notifications/progress", "notifications/message"} <= methods
    assert "notifications/resources/updated" in methods
    progress = [m["params"] for m in notes if m["method"] == "notifications/progress"]
    assert all(p["progressToken"] == "tok-6" for p in progress)
    assert progress[-1]["progress"] == progress[-1]["total"] == 2000
