"""The stdio transport's streams: native ones served by the event loop itself (POSIX), and the
stdin source and read filter the SDK's ``stdio_server`` runs with elsewhere (see _serve for
which is used where, and the measurements behind it).

The SDK's ``stdio_server`` reads and writes through anyio worker threads and relays every
message through two zero-buffer memory streams and two tasks: four task switches per request
and a read that SIGTERM cannot interrupt. Here the JSON-RPC read stream parses lines read
non-blocking from fd 0 when the dispatcher asks for the next message, and the write stream
serialises a message and writes it to the pipe straight away (buffering only what a full pipe
refuses). Anything that is not a pipe, socket or terminal (a regular file as stdin) is read by a
daemon thread that shutdown may abandon.

Like the SDK, fd 1 is pointed at stderr while serving, so a stray print from any library lands
in the log instead of corrupting the JSON-RPC channel; messages go to a private duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import io
import logging
import os
import re
import stat
import sys
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from types import TracebackType
from typing import Protocol

import anyio
import anyio.from_thread
import anyio.lowlevel
import mcp_types as types
import pydantic
import pydantic_core
from mcp.shared.message import SessionMessage

from ruv_swarm_mcp._bad_messages import (
    ID_SCAN_HEAD_BYTES,
    MessageTooLarge,
    NullIdRequest,
    null_id_request,
)

log = logging.getLogger("ruv_swarm_mcp")

READ_CHUNK = 1 << 16
# Parsed-but-unread lines above which fd 0 stops being read until the dispatcher catches up.
MAX_BUFFERED_LINES = 1024
# Bytes a slow reader of stdout may leave queued before `send` waits for the pipe to drain.
WRITE_HIGH_WATER = 1 << 20
# How long closing the write stream waits for queued bytes to reach a slow reader.
CLOSE_FLUSH_SECONDS = 2.0
# Frames kept ahead of the client's first request while its protocol era is decided (the SDK's
# own limit; a bare `notifications/initialized` is the one that matters).
MAX_LEAD_FRAMES = 8

Item = SessionMessage | Exception


def selectable(fd: int) -> bool:
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode)


def parse_line(line: bytes) -> Item:
    """One stdin line as the SDK's stdio transport frames it: a message, or the parse error."""
    try:
        message = types.jsonrpc_message_adapter.validate_json(
            line.decode("utf-8", "replace"), by_name=False
        )
    except Exception as exc:
        return exc
    # Notifications are rare (initialized, cancelled, progress): only they pay a second look.
    if isinstance(message, types.JSONRPCNotification) and b'"id"' in line:
        bad = null_id_request(line)
        if bad is not None:
            return bad
    return SessionMessage(message)


DEFAULT_MAX_LINE_BYTES = 128 * 1024 * 1024  # above model_import's 64 MiB of content


def _prefix(parts: list[bytes], size: int) -> bytes:
    out = bytearray()
    for part in parts:
        out += part[: size - len(out)]
        if len(out) >= size:
            break
    return bytes(out)


class LineSplitter:
    """Chunks in, whole lines out, in time linear in the input (a long line is kept as a list
    of its chunks, not re-copied on every read). A line beyond ``limit`` bytes is dropped as it
    arrives and comes out as :class:`MessageTooLarge` once its newline (or the end) is read, so
    memory stays bounded whatever the client sends."""

    def __init__(self, limit: int = DEFAULT_MAX_LINE_BYTES) -> None:
        self._limit = limit
        self._parts: list[bytes] = []
        self._size = 0
        self._dropped = 0  # bytes of the current line seen past the limit (0: within it)
        self._head = b""  # the first bytes of a dropped line: its id may be read from them

    def feed(self, chunk: bytes) -> list[bytes | MessageTooLarge]:
        out: list[bytes | MessageTooLarge] = []
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            self._add(chunk[start:end])
            out.append(self._take())
            start = end + 1
        self._add(chunk[start:])
        return out

    def finish(self) -> list[bytes | MessageTooLarge]:
        """What is left at the end of the input (a last line without a newline)."""
        return [self._take()] if self._parts or self._dropped else []

    def _add(self, piece: bytes) -> None:
        if not piece:
            return
        if self._dropped:
            self._dropped += len(piece)
            return
        self._size += len(piece)
        if self._size > self._limit:
            self._dropped = self._size
            self._head = _prefix(self._parts, ID_SCAN_HEAD_BYTES)
            self._parts.clear()
            self._size = 0
        else:
            self._parts.append(piece)

    def _take(self) -> bytes | MessageTooLarge:
        if self._dropped:
            too_long = MessageTooLarge(self._dropped, self._limit, self._head)
            self._dropped = 0
            self._head = b""
            return too_long
        line = self._parts[0] if len(self._parts) == 1 else b"".join(self._parts)
        self._parts.clear()
        self._size = 0
        return line


class StdioReadStream:
    """The JSON-RPC read stream over fd 0 (``ReadStream[SessionMessage | Exception]``).

    On a pipe, socket or terminal fd 0 stays registered with the loop's selector while it is
    read, and the reader callback splits what arrives into lines at once; ``receive`` parses
    the next line. ``on_eof`` runs once, before end-of-stream is reported (stdin EOF: let
    in-flight requests answer first)."""

    def __init__(
        self,
        fd: int = 0,
        *,
        on_eof: Callable[[], Awaitable[None]] | None = None,
        on_bad_line: Callable[[Exception], Awaitable[None]] | None = None,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    ) -> None:
        self._fd = fd
        self._splitter = LineSplitter(max_line_bytes)
        self._loop = asyncio.get_running_loop()
        self._on_eof = on_eof
        # A line that is no JSON-RPC message goes here (to be answered) instead of to the SDK,
        # whose dispatcher would drop it and leave the client waiting.
        self._on_bad_line = on_bad_line
        self._lines: deque[bytes | MessageTooLarge] = deque()
        self._lead: deque[Item] = deque()
        self._eof = False
        self._closed = False
        self._reading = False
        self._error: OSError | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._use_selector = selectable(fd)
        if self._use_selector:
            os.set_blocking(fd, False)
            self._start_reading()
        else:
            self._send, self._receive = anyio.create_memory_object_stream[bytes | MessageTooLarge](
                64
            )
            threading.Thread(target=self._pump_thread, name="stdin", daemon=True).start()

    # -- the selector path ------------------------------------------------------------------

    def _start_reading(self) -> None:
        if not self._reading and not self._eof and not self._closed:
            self._loop.add_reader(self._fd, self._on_readable)
            self._reading = True

    def _stop_reading(self) -> None:
        if self._reading:
            self._loop.remove_reader(self._fd)
            self._reading = False

    def _on_readable(self) -> None:
        try:
            chunk = os.read(self._fd, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError as exc:  # the pipe broke: treat it as the end of the input
            self._error = exc
            chunk = b""
        if chunk:
            lines = self._splitter.feed(chunk)
            if lines:
                self._lines.extend(lines)
                if len(self._lines) >= MAX_BUFFERED_LINES:
                    self._stop_reading()  # resumed by `_next_line` once the backlog is read
        else:
            self._eof = True
            self._stop_reading()
            self._lines.extend(self._splitter.finish())
        waiter = self._waiter
        if waiter is not None and not waiter.done() and (self._lines or self._eof):
            waiter.set_result(None)

    async def _next_line(self) -> bytes | MessageTooLarge:
        while not self._lines:
            if self._closed:
                raise anyio.ClosedResourceError
            if self._eof:
                raise anyio.EndOfStream
            waiter = self._loop.create_future()
            self._waiter = waiter
            try:
                await waiter
            finally:
                self._waiter = None
        line = self._lines.popleft()
        if not self._reading and len(self._lines) < MAX_BUFFERED_LINES // 2:
            self._start_reading()
        return line

    # -- the thread path (regular files) ----------------------------------------------------

    def _pump_thread(self) -> None:
        # os.read, not sys.stdin.buffer: a daemon thread blocked inside the buffered reader
        # would hold its lock and abort the interpreter at exit.
        try:
            while chunk := os.read(self._fd, READ_CHUNK):
                for line in self._splitter.feed(chunk):
                    asyncio.run_coroutine_threadsafe(self._send.send(line), self._loop).result()
            for line in self._splitter.finish():
                asyncio.run_coroutine_threadsafe(self._send.send(line), self._loop).result()
            asyncio.run_coroutine_threadsafe(self._send.aclose(), self._loop).result()
        except (OSError, RuntimeError, anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass  # the loop or the reader is gone: the server is shutting down

    # -- the stream -------------------------------------------------------------------------

    async def _next_item(self) -> Item:
        while True:
            if self._use_selector:
                line = await self._next_line()
            else:
                line = await self._receive.receive()
            item = line if isinstance(line, MessageTooLarge) else parse_line(line)
            if self._on_bad_line is None or not isinstance(item, Exception):
                return item
            await self._on_bad_line(item)

    async def peek_opening_request(self) -> types.JSONRPCRequest | None:
        """The client's first request, left in the stream with the frames before it (at most
        :data:`MAX_LEAD_FRAMES` of those are kept, as the SDK does); None if the input ends
        first."""
        while True:
            try:
                item = await self._next_item()
            except anyio.EndOfStream:
                return None
            if isinstance(item, SessionMessage) and isinstance(item.message, types.JSONRPCRequest):
                self._lead.append(item)
                return item.message
            if len(self._lead) >= MAX_LEAD_FRAMES:
                log.debug("dropped a frame received before the first request: %r", item)
                continue
            self._lead.append(item)

    async def receive(self) -> Item:
        if self._lead:
            return self._lead.popleft()
        if self._closed:
            raise anyio.ClosedResourceError
        try:
            return await self._next_item()
        except anyio.EndOfStream:
            on_eof, self._on_eof = self._on_eof, None
            if on_eof is not None:
                await on_eof()
            raise

    def __aiter__(self) -> StdioReadStream:
        return self

    async def __anext__(self) -> Item:
        try:
            return await self.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        self._closed = True
        self._lead.clear()
        if self._use_selector:
            self._stop_reading()
            waiter = self._waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
        else:
            self._receive.close()

    async def __aenter__(self) -> StdioReadStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class StdioWriteStream:
    """The JSON-RPC write stream over a private duplicate of fd 1 (``WriteStream[SessionMessage]``).

    ``send`` serialises the message and writes it at once; what a full pipe refuses is queued
    whole and written by the loop when the pipe drains, so a cancelled sender never leaves half
    a message on the wire. Senders wait only while more than :data:`WRITE_HIGH_WATER` bytes are
    queued. A broken pipe makes every later ``send`` raise ``anyio.BrokenResourceError``, which
    the SDK's dispatcher treats as a closed transport."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._loop = asyncio.get_running_loop()
        self._selector = selectable(fd)
        if self._selector:
            os.set_blocking(fd, False)
        self._buffer = bytearray()
        self._writing = False
        self._drained: asyncio.Event | None = None
        self._error: OSError | None = None
        self._closed = False

    @property
    def queued_bytes(self) -> int:
        return len(self._buffer)

    def _write_some(self, data: bytes | bytearray | memoryview) -> int:
        if not self._selector:
            view = memoryview(data)
            while view:  # a regular file or other blocking target: write it all now
                view = view[os.write(self._fd, view) :]
            return len(data)
        try:
            return os.write(self._fd, data)
        except BlockingIOError:
            return 0

    def _fail(self, exc: OSError) -> None:
        self._error = exc
        self._buffer.clear()
        self._stop_writing()

    def _stop_writing(self) -> None:
        if self._writing:
            self._loop.remove_writer(self._fd)
            self._writing = False
        if self._drained is not None:
            self._drained.set()

    def _on_writable(self) -> None:
        try:
            written = self._write_some(self._buffer)
        except OSError as exc:
            self._fail(exc)
            return
        del self._buffer[:written]
        if not self._buffer:
            self._stop_writing()

    async def send(self, item: SessionMessage, /) -> None:
        if self._closed:
            raise anyio.ClosedResourceError
        if self._error is not None:
            raise anyio.BrokenResourceError from self._error
        message = item.message
        data = type(message).__pydantic_serializer__.to_json(
            message, by_alias=True, exclude_unset=True
        )
        data += b"\n"
        if not self._buffer:
            try:
                written = self._write_some(data)
            except OSError as exc:
                self._fail(exc)
                raise anyio.BrokenResourceError from exc
            if written == len(data):
                return
            data = data[written:]
        self._buffer += data
        if not self._writing:
            self._loop.add_writer(self._fd, self._on_writable)
            self._writing = True
        if len(self._buffer) > WRITE_HIGH_WATER:
            await self._wait_drained()

    async def _wait_drained(self) -> None:
        while self._buffer and self._error is None:
            # One event shared by every held sender: a fresh one per waiter would orphan the
            # earlier waiters' events, and only the last would ever be woken.
            if self._drained is None or self._drained.is_set():
                self._drained = asyncio.Event()
            await self._drained.wait()
        if self._error is not None:
            raise anyio.BrokenResourceError from self._error

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._buffer and self._error is None:
            # The last answers must reach the client before the process exits; shielded
            # because closing often happens inside an already cancelled scope.
            with anyio.move_on_after(CLOSE_FLUSH_SECONDS, shield=True):
                with contextlib.suppress(anyio.BrokenResourceError):
                    await self._wait_drained()
        self._buffer.clear()
        self._stop_writing()

    async def __aenter__(self) -> StdioWriteStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


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


# -- the SDK transport's stdin and read-stream filter ----------------------------------------

# What the line source hands the SDK in place of a line it has already judged (too long, or a
# request with a null id): not JSON, so the SDK's framing turns it into a parse-error item,
# which the filter swaps for the judgement kept aside. A NUL byte never starts a JSON text.
PREJUDGED_LINE = "\x00prejudged\n"
_BAD_ID = re.compile(rb'"id"\s*:\s*(?:null|true|false)\b')


def _bad_id_request(line: bytes) -> NullIdRequest | None:
    # Only a line that may name a null or boolean id pays for a full parse.
    if b'"id"' not in line or _BAD_ID.search(line) is None:
        return None
    try:
        decoded = pydantic_core.from_json(line)
    except ValueError:
        return None
    if isinstance(decoded, dict) and "method" in decoded and "id" in decoded:
        rid = decoded["id"]
        if rid is None or isinstance(rid, bool):
            return NullIdRequest("null" if rid is None else type(rid).__name__)
    return None


class BoundedStdin(anyio.AsyncFile[str]):
    """stdin as the SDK's ``stdio_server(stdin=...)`` reads it (``async for line in stdin``),
    with what the SDK's own reader lacks: a line beyond ``max_line_bytes`` is dropped as it
    arrives (memory stays bounded whatever the client sends); a silent client never holds up
    shutdown (the SDK reads in an anyio worker thread, which cancellation waits for and the
    interpreter joins at exit); and a chunk read from the pipe delivers all its lines at once,
    so a burst of requests costs one thread hop, not one per line.

    The reads are plain ``os.read`` calls in one daemon thread: that works for pipes, files and
    consoles on every OS (no selector, no non-blocking fd), and a read still blocked at exit
    ends with the process. The thread stops reading while :data:`MAX_BUFFERED_LINES` lines wait
    to be read."""

    def __init__(self, fd: int = 0, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> None:
        super().__init__(io.StringIO())  # never read: the thread below reads ``fd``
        self._fd = fd
        self._splitter = LineSplitter(max_line_bytes)
        self._lines: deque[bytes | MessageTooLarge] = deque()
        self._eof = False
        self._arrived: anyio.Event | None = None
        self._room = threading.Event()
        self._room.set()
        self._thread: threading.Thread | None = None
        #: judgements for the PREJUDGED_LINE placeholders handed out, oldest first
        self.prejudged: deque[Exception] = deque()

    def _pump(self, token: anyio.lowlevel.EventLoopToken) -> None:
        eof = False
        while not eof:
            self._room.wait()
            try:
                chunk = os.read(self._fd, READ_CHUNK)
            except OSError:  # the pipe broke: the end of the input
                chunk = b""
            if chunk:
                lines = self._splitter.feed(chunk)
            else:
                lines, eof = self._splitter.finish(), True
            if not lines and not eof:
                continue
            try:
                anyio.from_thread.run_sync(self._deliver, lines, eof, token=token)
            except RuntimeError:  # the event loop is gone: the server has stopped
                return

    def _deliver(self, lines: list[bytes | MessageTooLarge], eof: bool) -> None:
        self._lines.extend(lines)
        self._eof = eof
        if len(self._lines) >= MAX_BUFFERED_LINES:
            self._room.clear()  # set again by `readline` once the backlog is half read
        arrived = self._arrived
        if arrived is not None:
            arrived.set()

    async def readline(self) -> str:
        while not self._lines:
            if self._eof:
                return ""
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._pump,
                    args=(anyio.lowlevel.current_token(),),
                    name="stdin",
                    daemon=True,
                )
                self._thread.start()
            self._arrived = arrived = anyio.Event()
            await arrived.wait()
        line = self._lines.popleft()
        if not self._room.is_set() and len(self._lines) < MAX_BUFFERED_LINES // 2:
            self._room.set()
        if isinstance(line, MessageTooLarge):
            self.prejudged.append(line)
            return PREJUDGED_LINE
        bad = _bad_id_request(line)
        if bad is not None:
            self.prejudged.append(bad)
            return PREJUDGED_LINE
        # Never empty: an empty string is the SDK's end of input (a blank line stays blank).
        return line.decode("utf-8", "replace") + "\n"


class _Receiver(Protocol):
    async def receive(self) -> SessionMessage | Exception: ...

    async def aclose(self) -> None: ...


class FilteredReadStream:
    """The SDK stdio transport's read stream, minus the items its dispatcher would drop.

    A line that is no JSON-RPC message reaches the dispatcher as an exception item, which it
    drops with a debug log, leaving the client waiting for an answer; here it is answered
    (:func:`ruv_swarm_mcp._bad_messages.answer`) and skipped. ``on_eof`` runs once, before the
    end of the input is reported (stdin EOF: let in-flight requests answer first)."""

    def __init__(
        self,
        inner: _Receiver,
        stdin: BoundedStdin,
        *,
        on_bad_line: Callable[[Exception], Awaitable[None]],
        on_eof: Callable[[], Awaitable[None]] | None = None,
        on_request: Callable[[], None] | None = None,
    ) -> None:
        self._inner = inner
        self._stdin = stdin
        self._on_bad_line = on_bad_line
        self._on_eof = on_eof
        self._on_request = on_request

    @property
    def last_context(self) -> contextvars.Context | None:
        # The SDK's runner restores each message's sender context from its stream.
        ctx: contextvars.Context | None = getattr(self._inner, "last_context", None)
        return ctx

    def _judged(self, item: Exception) -> Exception:
        if self._stdin.prejudged and isinstance(item, pydantic.ValidationError):
            errors = item.errors(include_url=False)
            if errors and errors[0].get("input") == PREJUDGED_LINE:
                return self._stdin.prejudged.popleft()
        return item

    async def receive(self) -> SessionMessage | Exception:
        while True:
            try:
                item = await self._inner.receive()
            except anyio.EndOfStream:
                on_eof, self._on_eof = self._on_eof, None
                if on_eof is not None:
                    await on_eof()
                raise
            if not isinstance(item, Exception):
                # counted before the SDK spawns its handler: the drain at EOF then knows a
                # request is on its way even before the handler has started
                if self._on_request is not None and isinstance(item.message, types.JSONRPCRequest):
                    self._on_request()
                return item
            await self._on_bad_line(self._judged(item))

    def __aiter__(self) -> FilteredReadStream:
        return self

    async def __anext__(self) -> SessionMessage | Exception:
        try:
            return await self.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> FilteredReadStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
