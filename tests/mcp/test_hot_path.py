"""The stdio hot path: our JSON-RPC read/write streams over real pipes."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator

import anyio
import mcp_types as types
import pytest
from mcp.shared.message import SessionMessage

from ruv_swarm_mcp import _stdio
from ruv_swarm_mcp._stdio import StdioReadStream, StdioWriteStream

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@contextlib.contextmanager
def pipe() -> Iterator[tuple[int, int]]:
    r, w = os.pipe()
    try:
        yield r, w
    finally:
        for fd in (r, w):
            with contextlib.suppress(OSError):
                os.close(fd)


def request(id_: int, method: str = "ping", **params: object) -> bytes:
    msg: dict[str, object] = {"jsonrpc": "2.0", "id": id_, "method": method}
    if params:
        msg["params"] = params
    return json.dumps(msg).encode()


def note(method: str = "notifications/initialized") -> bytes:
    return json.dumps({"jsonrpc": "2.0", "method": method}).encode()


async def test_read_stream_frames_lines_across_chunks_and_reports_bad_lines() -> None:
    with pipe() as (r, w):
        eofs: list[int] = []

        async def on_eof() -> None:
            eofs.append(len(eofs))

        stream = StdioReadStream(r, on_eof=on_eof)
        first = request(1)
        os.write(w, first[:10])  # a line split over two writes
        await anyio.sleep(0.01)
        os.write(w, first[10:] + b"\n{not json\n" + request(2, "tools/list")[:-1])
        await anyio.sleep(0.01)
        os.write(w, b"}")  # the last line has no newline: it still counts at EOF
        os.close(w)
        items = [item async for item in stream]
        assert eofs == [0]  # once, before the end was reported
        assert isinstance(items[0], SessionMessage) and items[0].message.id == 1  # type: ignore[union-attr]
        assert isinstance(items[1], Exception)  # the SDK's framing: the parse error is an item
        assert isinstance(items[2], SessionMessage)
        assert items[2].message.method == "tools/list"  # type: ignore[union-attr]
        assert len(items) == 3
        with pytest.raises(anyio.EndOfStream):
            await stream.receive()
        assert eofs == [0]
        await stream.aclose()


async def test_peek_holds_the_opening_request_and_the_frames_before_it() -> None:
    with pipe() as (r, w):
        stream = StdioReadStream(r)
        lead = [note(f"notifications/a{i}") for i in range(_stdio.MAX_LEAD_FRAMES + 3)]
        os.write(w, b"\n".join([*lead, request(7, "initialize"), request(8)]) + b"\n")
        opening = await stream.peek_opening_request()
        assert isinstance(opening, types.JSONRPCRequest) and opening.id == 7
        os.close(w)
        got = [item async for item in stream]
        methods = [item.message.method for item in got]  # type: ignore[union-attr]
        # the frames beyond the SDK's limit are dropped; order is kept
        assert methods == [
            *[f"notifications/a{i}" for i in range(_stdio.MAX_LEAD_FRAMES)],
            "initialize",
            "ping",
        ]


async def test_peek_returns_none_when_input_ends_without_a_request() -> None:
    with pipe() as (r, w):
        stream = StdioReadStream(r)
        os.write(w, note() + b"\n")
        os.close(w)
        assert await stream.peek_opening_request() is None
        got = [item async for item in stream]
        assert [item.message.method for item in got] == ["notifications/initialized"]  # type: ignore[union-attr]


def _response(i: int, pad: int) -> SessionMessage:
    return SessionMessage(
        types.JSONRPCResponse(jsonrpc="2.0", id=i, result={"i": i, "pad": "x" * pad})
    )


async def test_write_stream_queues_whole_messages_when_the_pipe_is_full() -> None:
    with pipe() as (r, w):
        stream = StdioWriteStream(w)
        n, pad = 40, 20_000  # 800 kB: far beyond a pipe's 64 kB, below the high-water mark
        with anyio.fail_after(5):
            for i in range(n):
                await stream.send(_response(i, pad))  # never waits for the reader
        assert stream.queued_bytes > 0
        received = bytearray()

        def read_all() -> None:
            while chunk := os.read(r, 1 << 16):
                received.extend(chunk)

        async with anyio.create_task_group() as tg:
            tg.start_soon(anyio.to_thread.run_sync, read_all)
            with anyio.fail_after(10):
                await stream.aclose()  # flushes what is queued
            os.close(w)
        lines = bytes(received).split(b"\n")
        assert lines[-1] == b""
        decoded = [json.loads(line) for line in lines[:-1]]
        assert [d["id"] for d in decoded] == list(range(n))
        assert all(d["result"]["pad"] == "x" * pad for d in decoded)
        with pytest.raises(anyio.ClosedResourceError):
            await stream.send(_response(0, 0))


async def test_write_stream_waits_above_the_high_water_mark(monkeypatch) -> None:
    monkeypatch.setattr(_stdio, "WRITE_HIGH_WATER", 100_000)
    with pipe() as (r, w):
        stream = StdioWriteStream(w)
        with anyio.move_on_after(0.5) as scope:
            for i in range(100):
                await stream.send(_response(i, 10_000))
        assert scope.cancelled_caught  # the sender was held back by the full pipe
        assert stream.queued_bytes <= 100_000 + 11_000
        # the cancelled sender left no half message behind: everything queued is whole
        async with anyio.create_task_group() as tg:
            received = bytearray()

            def read_all() -> None:
                while chunk := os.read(r, 1 << 16):
                    received.extend(chunk)

            tg.start_soon(anyio.to_thread.run_sync, read_all)
            await stream.aclose()
            os.close(w)
        for line in bytes(received).split(b"\n")[:-1]:
            json.loads(line)


async def test_every_sender_held_above_the_high_water_mark_is_released(monkeypatch) -> None:
    # Two senders wait for the same drain: each must resume once the reader catches up (a
    # per-waiter event replaced by the next waiter left the first one waiting forever).
    monkeypatch.setattr(_stdio, "WRITE_HIGH_WATER", 100_000)
    with pipe() as (r, w):
        stream = StdioWriteStream(w)
        done: list[int] = []

        async def sender(i: int) -> None:
            await stream.send(_response(i, 200_000))
            done.append(i)

        received = bytearray()
        os.set_blocking(r, False)
        async with anyio.create_task_group() as tg:
            tg.start_soon(sender, 1)
            tg.start_soon(sender, 2)
            await anyio.sleep(0.1)
            assert done == []  # both are held back by the full pipe
            with anyio.move_on_after(3):
                while len(done) < 2 or stream.queued_bytes:
                    try:
                        received.extend(os.read(r, 1 << 16))
                    except BlockingIOError:
                        await anyio.sleep(0.005)
            tg.cancel_scope.cancel()
        with contextlib.suppress(BlockingIOError):
            received.extend(os.read(r, 1 << 20))
        assert sorted(done) == [1, 2]
        assert [json.loads(x)["id"] for x in bytes(received).split(b"\n")[:-1]] == [1, 2]


async def test_write_stream_reports_a_broken_pipe() -> None:
    with pipe() as (r, w):
        stream = StdioWriteStream(w)
        os.close(r)
        with pytest.raises(anyio.BrokenResourceError):
            await stream.send(_response(1, 0))
        with pytest.raises(anyio.BrokenResourceError):
            await stream.send(_response(2, 0))
        await stream.aclose()


async def test_regular_files_are_read_and_written_too(tmp_path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(request(1) + b"\n" + note() + b"\n" + request(2))
    out = tmp_path / "out.jsonl"
    rfd = os.open(src, os.O_RDONLY)
    wfd = os.open(out, os.O_WRONLY | os.O_CREAT)
    try:
        stream = StdioReadStream(rfd)  # not selectable: read by a thread
        with anyio.fail_after(5):
            got = [item async for item in stream]
        assert [type(i.message).__name__ for i in got] == [  # type: ignore[union-attr]
            "JSONRPCRequest",
            "JSONRPCNotification",
            "JSONRPCRequest",
        ]
        writer = StdioWriteStream(wfd)
        for i in range(3):
            await writer.send(_response(i, 100_000))
        await writer.aclose()
    finally:
        os.close(rfd)
        os.close(wfd)
    assert [json.loads(line)["id"] for line in out.read_bytes().splitlines()] == [0, 1, 2]


class _Ctx:
    def __init__(self, meta: object = None) -> None:
        self.meta = meta


async def test_the_sdk_tracing_middleware_runs_only_when_it_can_matter(monkeypatch) -> None:
    from mcp.server._otel import OpenTelemetryMiddleware
    from opentelemetry import trace

    from ruv_swarm_mcp._config import ServerConfig
    from ruv_swarm_mcp._sdk import _OtelWhenTracing
    from ruv_swarm_mcp._server import build_app

    server, _ = build_app(ServerConfig(db=":memory:"))
    chain = server._lowlevel_server.middleware
    assert not any(isinstance(m, OpenTelemetryMiddleware) for m in chain)
    gates = [m for m in chain if isinstance(m, _OtelWhenTracing)]
    assert len(gates) == 1 and isinstance(gates[0].inner, OpenTelemetryMiddleware)

    traced: list[object] = []

    async def fake_inner(ctx: object, call_next: object) -> str:
        traced.append(ctx)
        return "traced"

    gate = _OtelWhenTracing(fake_inner, trace)

    async def call_next(ctx: object) -> str:
        return "plain"

    plain = _Ctx()
    assert await gate(plain, call_next) == "plain"  # type: ignore[arg-type]
    with_meta = _Ctx(meta={"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"})
    assert await gate(with_meta, call_next) == "traced"  # type: ignore[arg-type]
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: trace.NoOpTracerProvider())
    assert await gate(plain, call_next) == "traced"  # type: ignore[arg-type]
    assert traced == [with_meta, plain]


def test_line_splitter_is_linear_and_bounded() -> None:
    from ruv_swarm_mcp._bad_messages import MessageTooLarge, answer
    from ruv_swarm_mcp._stdio import LineSplitter

    split = LineSplitter(limit=1024)
    assert split.feed(b'{"a":1}\n{"b"') == [b'{"a":1}']
    assert split.feed(b":2}\n\n") == [b'{"b":2}', b""]
    # a line past the limit is dropped as it arrives and reported once its newline comes
    out = split.feed(b"x" * 600) + split.feed(b"y" * 600) + split.feed(b"z" * 600 + b'\n{"c":3}\n')
    assert isinstance(out[0], MessageTooLarge) and out[0].size == 1800 and out[1] == b'{"c":3}'
    reply = answer(out[0])
    assert reply is not None and "1024 bytes (max_stdio_message_bytes)" in str(reply.message)
    assert split.feed(b"tail") == [] and split.finish() == [b"tail"] and split.finish() == []
    # 32 MiB of one line in 64 KiB reads is kept as its chunks and joined once at the newline
    # (the old `pending += chunk` re-copied the line on every read: 32 MiB took 4.6 s)
    big = LineSplitter(limit=64 * 1024 * 1024)
    chunk = b"q" * 65536
    for _ in range(512):
        assert big.feed(chunk) == []
    assert len(big._parts) == 512
    (line,) = big.feed(b"\n")
    assert isinstance(line, bytes) and len(line) == 512 * 65536 and not big._parts
