"""Raw JSON-RPC edge cases over a real stdio server, line by line, as a foreign client sends them.

What each answer should be follows JSON-RPC 2.0 and the MCP spec (2025-11-25): text that is not
JSON gets -32700 with id null; JSON that is not a request gets -32600 (with its id when it has
one); an unknown method -32601; malformed params -32602; tool failures, an unknown tool and
oversized arguments are isError results; notifications are never answered; the server stays up
throughout and writes nothing but JSON-RPC on stdout.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.mcp.conftest import server_env

HANDSHAKE = "2025-11-25"
MiB = 1024 * 1024


class RawServer:
    def __init__(self, tmp_path: Any, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ruv_swarm_mcp", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=server_env(tmp_path),
        )
        self.lines: queue.Queue[bytes] = queue.Queue()
        self.seen: list[bytes] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def send(self, payload: bytes | dict[str, Any] | list[Any]) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode() + b"\n"
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def request(self, id_: Any, method: str, params: Any = None) -> None:
        msg: dict[str, Any] = {"jsonrpc": "2.0", "id": id_, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)

    def next(self, timeout: float = 10) -> dict[str, Any]:
        line = self.lines.get(timeout=timeout)
        self.seen.append(line)
        message = json.loads(line)  # every stdout line is one JSON-RPC message
        assert message.get("jsonrpc") == "2.0", message
        return dict(message)

    def answer(self, timeout: float = 10) -> dict[str, Any]:
        """The next response (skipping server notifications)."""
        deadline = time.monotonic() + timeout
        while True:
            message = self.next(max(0.1, deadline - time.monotonic()))
            if "result" in message or "error" in message:
                return message

    def call(self, id_: int, name: str, arguments: Any) -> dict[str, Any]:
        self.request(id_, "tools/call", {"name": name, "arguments": arguments})
        message = self.answer()
        assert message["id"] == id_, message
        return dict(message["result"])

    def close(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            return self.proc.wait(timeout=20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()


@pytest.fixture
def server(tmp_path: Any) -> Iterator[RawServer]:
    raw = RawServer(tmp_path)
    try:
        yield raw
    finally:
        if raw.proc.poll() is None:
            raw.proc.kill()
            raw.proc.wait()


def _initialize(server: RawServer) -> None:
    server.request(
        1,
        "initialize",
        {
            "protocolVersion": HANDSHAKE,
            "capabilities": {},
            "clientInfo": {"name": "raw", "version": "0"},
        },
    )
    assert server.answer()["result"]["protocolVersion"] == HANDSHAKE
    server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})


def _error(message: dict[str, Any], id_: Any, code: int) -> str:
    assert message.get("id", "absent") == id_, message
    assert message["error"]["code"] == code, message
    return str(message["error"]["message"])


def test_before_initialize_only_ping_is_served(server: RawServer) -> None:
    server.request(100, "tools/list")
    text = _error(server.answer(), 100, -32602)
    assert "initialize" in text, text
    server.request(101, "ping")
    assert server.answer() == {"jsonrpc": "2.0", "id": 101, "result": {}}
    _initialize(server)
    server.request(102, "tools/list")
    assert server.answer()["result"]["tools"]
    assert server.close() == 0


def test_lines_that_are_not_requests_get_json_rpc_errors(server: RawServer) -> None:
    _initialize(server)
    server.send(b"this is not json\n")
    assert _error(server.answer(), None, -32700).startswith("Parse error")
    server.send(b'{"jsonrpc": "2.0", "id": 5, \n')  # cut short, but the id is readable
    _error(server.answer(), 5, -32700)
    server.send({"jsonrpc": "2.0", "id": 31, "method": "tools/call", "params": [1]})
    assert "params must be an object" in _error(server.answer(), 31, -32600)
    server.send({"id": 32, "method": "ping"})
    assert "jsonrpc" in _error(server.answer(), 32, -32600)
    server.send([{"jsonrpc": "2.0", "id": 33, "method": "ping"}])
    assert "batch" in _error(server.answer(), None, -32600)
    server.send(b"42\n")
    _error(server.answer(), None, -32600)
    server.send({"jsonrpc": "2.0", "id": None, "method": "ping"})
    assert "got null" in _error(server.answer(), None, -32600)
    # real notifications (an id inside params is no request id) still get no answer
    server.send(
        {
            "jsonrpc": "2.0",
            "method": "notifications/cancelled",
            "params": {"requestId": 99, "reason": "x"},
        }
    )
    # a blank line is not a message and gets no answer; the next request is answered next
    server.send(b"\n")
    server.request(34, "ping")
    assert server.answer() == {"jsonrpc": "2.0", "id": 34, "result": {}}
    assert server.close() == 0


def test_protocol_errors_and_tool_errors(server: RawServer) -> None:
    _initialize(server)
    server.request(2, "no/such/method", {})
    _error(server.answer(), 2, -32601)
    server.request(3, "tools/call", {"name": "server_info", "arguments": [1, 2]})
    assert "arguments" in _error(server.answer(), 3, -32602)
    server.request(4, "tools/call", {"arguments": {}})
    assert "name" in _error(server.answer(), 4, -32602)
    unknown = server.call(5, "spawn_agnet", {"type": "researcher"})
    assert unknown["isError"] is True
    assert "did you mean 'spawn_agent'" in unknown["content"][0]["text"]
    bad = server.call(6, "spawn_agent", {"type": "wizard"})
    assert bad["isError"] is True
    assert bad["content"][0]["text"].startswith("invalid arguments for spawn_agent: type: must be")
    # an id-less unknown method is a notification: ignored, never answered
    server.send({"jsonrpc": "2.0", "method": "notifications/no_such_thing", "params": {}})
    server.send({"jsonrpc": "2.0", "method": "no/such/method"})
    server.request(7, "ping")
    assert server.answer() == {"jsonrpc": "2.0", "id": 7, "result": {}}
    assert server.close() == 0
    assert all(json.loads(line)["jsonrpc"] == "2.0" for line in server.seen)


def test_huge_arguments_are_refused_by_name_and_limit(server: RawServer) -> None:
    _initialize(server)
    assert server.call(2, "swarm_init", {})["isError"] is False
    huge = "x" * (20 * MiB)
    text_arg = server.call(3, "knowledge_add", {"title": "big", "text": huge})
    assert text_arg["isError"] is True
    message = text_arg["content"][0]["text"]
    assert message.startswith("invalid arguments for knowledge_add: text: must be at most")
    assert "4194304" in message and "20971520 characters" in message
    assert len(message) < 400  # the value is summarised, not echoed
    value_arg = server.call(4, "memory_store", {"namespace": "n", "key": "k", "value": huge})
    assert value_arg["isError"] is True
    assert "max_memory_value_bytes=1048576" in value_arg["content"][0]["text"]
    server.request(5, "ping")
    assert server.answer() == {"jsonrpc": "2.0", "id": 5, "result": {}}
    assert server.close() == 0


def test_prompt_errors_are_invalid_params_naming_the_problem(server: RawServer) -> None:
    _initialize(server)
    server.request(2, "prompts/get", {"name": "research_swarm", "arguments": {}})
    assert "question" in _error(server.answer(), 2, -32602)
    server.request(3, "prompts/get", {"name": "no_such_prompt"})
    assert "no_such_prompt" in _error(server.answer(), 3, -32602)
    server.request(
        4, "prompts/get", {"name": "research_swarm", "arguments": {"question": "q", "qestion": "q"}}
    )
    assert "qestion: unknown argument" in _error(server.answer(), 4, -32602)
    server.request(5, "resources/read", {"uri": "swarm://agents/agent-nope"})
    assert "agent-nope" in _error(server.answer(), 5, -32602)  # SEP-2164: not found is -32602
    server.request(6, "prompts/get", {"name": "research_swarm", "arguments": {"question": "why?"}})
    assert "why?" in json.dumps(server.answer()["result"]["messages"])
    assert server.close() == 0


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"{oops", (None, -32700)),
        (b'{"jsonrpc": "2.0", "id": "a", "method": 5}', ("a", -32600)),
        (b'{"jsonrpc": "2.0", "id": [1], "method": "x", "params": 3}', (None, -32600)),
        (b'{"jsonrpc": "2.0", "id": 9, "result": 1, "error": {}}', None),  # a response: no answer
        (b"   \r", None),
        # a request with a null or boolean id parses as a notification, yet is owed an answer
        (b'{"jsonrpc": "2.0", "id": null, "method": "ping"}', (None, -32600)),
        (b'{"jsonrpc": "2.0", "id": true, "method": "ping"}', (None, -32600)),
    ],
)
def test_bad_line_answers(line: bytes, expected: tuple[Any, int] | None) -> None:
    from ruv_swarm_mcp._bad_messages import answer
    from ruv_swarm_mcp._stdio import parse_line

    item = parse_line(line)
    assert isinstance(item, Exception)
    reply = answer(item)
    if expected is None:
        assert reply is None
        return
    wire = json.loads(reply.message.model_dump_json(by_alias=True, exclude_unset=True))  # type: ignore[union-attr]
    assert (wire["id"], wire["error"]["code"]) == expected
