"""stdin/stdout for the stdio transport on the event loop itself, without a thread per line.

The SDK's stdio transport reads and writes through anyio worker threads: a thread hop (and a
flush) per message, and a read that SIGTERM cannot interrupt. Here pipes and sockets are read
and written non-blocking from the loop's selector; anything else (a regular file as stdin) falls
back to a daemon reader thread that shutdown may abandon.

Like the SDK, fd 1 is pointed at stderr while serving, so a stray print from any library lands
in the log instead of corrupting the JSON-RPC channel; messages go to a private duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import sys
import threading
from collections.abc import Iterator

import anyio

READ_CHUNK = 1 << 16


def _selectable(fd: int) -> bool:
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode)


class StdinLines:
    """An async iterator of the lines arriving on fd 0."""

    def __init__(self, fd: int = 0) -> None:
        self._fd = fd
        self._loop = asyncio.get_running_loop()
        self._lines: list[str] = []
        self._pending = b""
        self._eof = False
        self._send, self._receive = anyio.create_memory_object_stream[str](64)
        self._use_selector = _selectable(fd)
        if self._use_selector:
            os.set_blocking(fd, False)
        else:
            threading.Thread(target=self._pump_thread, name="stdin", daemon=True).start()

    def _split(self, chunk: bytes) -> list[str]:
        self._pending += chunk
        *lines, self._pending = self._pending.split(b"\n")
        return [line.decode("utf-8", "replace") for line in lines]

    async def _read_chunk(self) -> bytes:
        while True:
            try:
                return os.read(self._fd, READ_CHUNK)
            except BlockingIOError:
                ready = self._loop.create_future()
                self._loop.add_reader(self._fd, ready.set_result, None)
                try:
                    await ready
                finally:
                    self._loop.remove_reader(self._fd)

    def _pump_thread(self) -> None:
        # os.read, not sys.stdin.buffer: a daemon thread blocked inside the buffered reader
        # would hold its lock and abort the interpreter at exit.
        try:
            while chunk := os.read(self._fd, READ_CHUNK):
                for line in self._split(chunk):
                    asyncio.run_coroutine_threadsafe(self._send.send(line), self._loop).result()
            if self._pending:
                tail = self._pending.decode("utf-8", "replace")
                asyncio.run_coroutine_threadsafe(self._send.send(tail), self._loop).result()
            asyncio.run_coroutine_threadsafe(self._send.aclose(), self._loop).result()
        except (OSError, RuntimeError, anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass  # the loop or the reader is gone: the server is shutting down

    def __aiter__(self) -> StdinLines:
        return self

    async def __anext__(self) -> str:
        if not self._use_selector:
            try:
                return await self._receive.receive()
            except anyio.EndOfStream:
                raise StopAsyncIteration from None
        while not self._lines:
            if self._eof:
                raise StopAsyncIteration
            chunk = await self._read_chunk()
            if not chunk:
                self._eof = True
                if self._pending:
                    self._lines.append(self._pending.decode("utf-8", "replace"))
                    self._pending = b""
                continue
            self._lines.extend(self._split(chunk))
        return self._lines.pop(0)


class StdoutWriter:
    """Writes whole messages to a private duplicate of fd 1, never blocking the loop."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._loop = asyncio.get_running_loop()
        self._selector = _selectable(fd)
        if self._selector:
            os.set_blocking(fd, False)

    async def write(self, text: str) -> None:
        data = memoryview(text.encode("utf-8"))
        while data:
            try:
                written = os.write(self._fd, data)
            except BlockingIOError:
                if not self._selector:
                    raise
                ready = self._loop.create_future()
                self._loop.add_writer(self._fd, ready.set_result, None)
                try:
                    await ready
                finally:
                    self._loop.remove_writer(self._fd)
                continue
            data = data[written:]

    async def flush(self) -> None:
        return None


@contextlib.contextmanager
def claimed_stdout() -> Iterator[int]:
    """A private fd for the JSON-RPC channel, with fd 1 pointed at stderr meanwhile."""
    sys.stdout.flush()
    private = os.dup(1)
    saved_blocking = os.get_blocking(private)
    os.dup2(2, 1)
    try:
        yield private
    finally:
        with contextlib.suppress(OSError):
            os.set_blocking(private, saved_blocking)
            os.dup2(private, 1)
        os.close(private)
