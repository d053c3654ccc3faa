"""The SDK stdio transport path (`--stdio-transport sdk`, what non-POSIX hosts get): our stdin
source and read filter around mcp.server.stdio.stdio_server keep the native path's answers."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from mcp.shared.message import SessionMessage

from ruv_swarm_mcp._bad_messages import MessageTooLarge, NullIdRequest
from ruv_swarm_mcp._stdio import PREJUDGED_LINE, BoundedStdin, FilteredReadStream
from tests.mcp.test_conformance_stdio import RawServer, _error, _initialize


@pytest.fixture
def server(tmp_path: Any) -> Iterator[RawServer]:
    raw = RawServer(tmp_path, "--stdio-transport", "sdk", "--no-jit-warmup")
    try:
        yield raw
    finally:
        if raw.proc.poll() is None:
            raw.proc.kill()
            raw.proc.wait()


def test_bad_lines_are_answered_and_the_session_goes_on(server: RawServer) -> None:
    _initialize(server)
    server.send(b"{oops\n")
    assert _error(server.answer(), None, -32700).startswith("Parse error")
    server.send(b'{"jsonrpc": "2.0", "id": "a", "method": 5}\n')
    _error(server.answer(), "a", -32600)
    server.send(b'{"jsonrpc": "2.0", "id": null, "method": "ping"}\n')
    assert "id must be a string or an integer" in _error(server.answer(), None, -32600)
    server.send(b"\n")  # a blank line gets no answer
    server.request(7, "ping")
    assert server.answer() == {"jsonrpc": "2.0", "id": 7, "result": {}}


def test_stdin_eof_lets_the_in_flight_call_answer_then_exits(server: RawServer) -> None:
    _initialize(server)
    server.request(2, "tools/call", {"name": "swarm_init", "arguments": {"max_agents": 2}})
    assert server.proc.stdin is not None
    server.proc.stdin.close()
    reply = server.answer(timeout=60)
    assert reply["id"] == 2 and "result" in reply, reply
    assert reply["result"]["isError"] is False, reply
    assert server.proc.wait(timeout=30) == 0


@contextlib.contextmanager
def _pipe() -> Iterator[tuple[int, int]]:
    r, w = os.pipe()
    try:
        yield r, w
    finally:
        for fd in (r, w):
            with contextlib.suppress(OSError):
                os.close(fd)


class _Items:
    """A stand-in for the SDK's read stream: what its framing makes of each stdin line."""

    def __init__(self, stdin: BoundedStdin) -> None:
        self._lines = stdin.__aiter__()

    async def receive(self) -> SessionMessage | Exception:
        from mcp_types import jsonrpc_message_adapter

        try:
            line = await self._lines.__anext__()
        except StopAsyncIteration:
            raise anyio.EndOfStream from None
        try:
            return SessionMessage(jsonrpc_message_adapter.validate_json(line, by_name=False))
        except Exception as exc:
            return exc

    async def aclose(self) -> None:
        pass


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_stdin_bounds_lines_and_the_filter_answers_what_was_judged(
    anyio_backend: str,
) -> None:
    with _pipe() as (r, w):
        stdin = BoundedStdin(r, max_line_bytes=1024)
        answered: list[Exception] = []
        eofs: list[int] = []

        async def on_bad(item: Exception) -> None:
            answered.append(item)

        async def on_eof() -> None:
            eofs.append(1)

        stream = FilteredReadStream(_Items(stdin), stdin, on_bad_line=on_bad, on_eof=on_eof)
        big = b'{"jsonrpc":"2.0","id":"big","method":"ping","params":{"x":"' + b"y" * 4000
        os.write(w, big + b'"}}\n{"jsonrpc":"2.0","id":null,"method":"ping"}\n')
        os.write(w, b'{"jsonrpc":"2.0","id":3,"method":"ping"}\n\n')
        os.close(w)
        with anyio.fail_after(10):
            items = [item async for item in stream]
        assert [json.loads(i.message.model_dump_json())["id"] for i in items] == [3]  # type: ignore[union-attr]
        assert isinstance(answered[0], MessageTooLarge) and answered[0].limit == 1024
        assert isinstance(answered[1], NullIdRequest)
        assert len(answered) == 3  # and the blank line, which answer() leaves unanswered
        assert eofs == [1] and not stdin.prejudged
        assert PREJUDGED_LINE.startswith("\x00")
