"""A message the parser refuses still gets an answer carrying its id whenever the id can be
read: past the nesting limit, with a lone surrogate, with an integer beyond the parser's range,
cut short, or longer than the stdin line limit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from ruv_swarm_mcp._bad_messages import answer, scan_id
from ruv_swarm_mcp._stdio import LineSplitter, parse_line
from tests.mcp.test_conformance_stdio import RawServer, _error, _initialize

DEEP = b"[" * 300 + b"]" * 300


def _call(id_part: bytes, arguments: bytes, *, id_last: bool = False) -> bytes:
    head = b'{"jsonrpc": "2.0", '
    body = b'"method": "tools/call", "params": {"name": "server_info", "arguments": {"a": '
    body += arguments + b"}}"
    if id_last:
        return head + body + b", " + id_part + b"}"
    return head + id_part + b", " + body + b"}"


LINES: list[tuple[bytes, Any]] = [
    (_call(b'"id": 7', DEEP), 7),
    (_call(b'"id": "deep-last"', DEEP, id_last=True), "deep-last"),
    (_call(b'"id": 8', b'"\\ud800"'), 8),
    (_call(b'"id": -9', b"1" * 5001), -9),
    (_call(b'"id": 10', b"1" * 5001, id_last=True), 10),
    (_call(b'"\\u0069d": "escaped"', b'"\\ud800"'), "escaped"),
    # not an id: nested, or of a type JSON-RPC ids cannot have
    (b'{"jsonrpc": "2.0", "method": "m", "params": {"id": 3, "a": ' + DEEP + b"}}", None),
    (_call(b'"id": 1.5', DEEP), None),
    (_call(b'"id": [1]', DEEP), None),
    (_call(b'"id": "\\ud800"', DEEP), None),
    (_call(b'"note": "\\"id\\": 4"', b'"\\ud800"'), None),
]


@pytest.mark.parametrize(("line", "expected"), LINES)
def test_the_scanner_reads_only_a_top_level_string_or_integer_id(
    line: bytes, expected: Any
) -> None:
    assert scan_id(line.decode()) == expected
    item = parse_line(line)
    assert isinstance(item, Exception)
    reply = answer(item)
    assert reply is not None
    wire = json.loads(reply.message.model_dump_json(by_alias=True, exclude_unset=True))
    assert (wire["id"], wire["error"]["code"]) == (expected, -32700)


def test_a_line_past_the_size_limit_is_answered_with_its_id() -> None:
    splitter = LineSplitter(limit=1024)
    line = b'{"jsonrpc": "2.0", "id": "big", "method": "tools/call", "params": {"x": "'
    chunks = [line, b"y" * 700, b"y" * 700, b'"}}\n{"jsonrpc":"2.0","id":2,"method":"ping"}\n']
    out = [item for chunk in chunks for item in splitter.feed(chunk)]
    assert isinstance(out[0], Exception) and out[1] == b'{"jsonrpc":"2.0","id":2,"method":"ping"}'
    reply = answer(out[0])
    assert reply is not None
    wire = json.loads(reply.message.model_dump_json(by_alias=True, exclude_unset=True))
    assert (wire["id"], wire["error"]["code"]) == ("big", -32600)
    assert "max_stdio_message_bytes" in wire["error"]["message"]


@pytest.fixture
def server(tmp_path: Any) -> Iterator[RawServer]:
    raw = RawServer(tmp_path)
    try:
        yield raw
    finally:
        if raw.proc.poll() is None:
            raw.proc.kill()
            raw.proc.wait()


def test_stdio_answers_carry_the_id_past_the_parser_limits(server: RawServer) -> None:
    _initialize(server)
    for line, expected in LINES:
        server.send(line + b"\n")
        assert _error(server.answer(), expected, -32700).startswith("Parse error")
    server.request(99, "ping")
    assert server.answer() == {"jsonrpc": "2.0", "id": 99, "result": {}}
    assert server.close() == 0
