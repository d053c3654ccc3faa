"""A bounded in-memory ``EventStore``: what lets a streamable-HTTP client resume its streams.

The SDK stores every server-to-client message of a handshake-era session here before it routes
it, and a client that comes back with ``GET`` + ``Last-Event-ID`` gets what followed that id on
the same stream (:meth:`BoundedEventStore.replay_events_after`), then the stream continues live.

Two things the SDK leaves to the store:

- **Which session a stream belongs to.** The SDK shares one store between all sessions and names
  streams by request id (``"1"``, ``"2"``, ...) or ``"_GET_stream"``, the same in every session.
  Streams are therefore keyed by a :class:`SessionScope` as well, which the HTTP layer puts in a
  context variable for each request (the SDK's per-session tasks start from the request that
  opened the session, so they inherit it). Replay only serves streams of the requesting session;
  an event stored with no scope is never replayed (fail closed).
- **Bounds.** Per-stream ring buffers, a total event count and byte budget (JSON text of the
  messages), a maximum age, and a maximum number of streams; the oldest go first. An event id
  names its stream and its place (``g12-345``: stream 12, the session's GET stream; ``r`` for a
  request's stream), so an id whose event was evicted still resumes its stream (with what is
  left after it) for as long as the stream is known. A gap from eviction is not signalled: the
  protocol has no way to say so.
"""

from __future__ import annotations

import contextvars
import logging
import time
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from mcp.server.streamable_http import (
    GET_STREAM_KEY,
    EventCallback,
    EventId,
    EventMessage,
    EventStore,
    StreamId,
)
from mcp_types import JSONRPCMessage, jsonrpc_message_adapter

from ruv_swarm_mcp._config import EventStoreLimits

log = logging.getLogger("ruv_swarm_mcp")

_MAX_ID_CHARS = 48


@dataclass(frozen=True)
class EventStoreStats:
    streams: int
    events: int
    bytes: int
    evicted: int  # events dropped by a bound before anyone replayed them (or not)
    oversized: int  # messages larger than max_bytes_total, never kept


class SessionScope:
    """The owner of a set of streams: one streamable-HTTP session (bound once its id is known)."""

    __slots__ = ("__weakref__", "session_id")

    def __init__(self, session_id: str | None = None) -> None:
        self.session_id = session_id


_current_scope: contextvars.ContextVar[SessionScope | None] = contextvars.ContextVar(
    "ruv_swarm_mcp_event_scope", default=None
)
# Stands for "no scope in context": its streams can be stored but never named by a request.
_UNSCOPED = SessionScope()


@contextmanager
def scoped(scope: SessionScope) -> Iterator[None]:
    """Store and replay on behalf of ``scope`` (and in every task started from here)."""
    token = _current_scope.set(scope)
    try:
        yield
    finally:
        _current_scope.reset(token)


class _Event:
    __slots__ = ("at", "data", "seq")

    def __init__(self, seq: int, at: float, data: str) -> None:
        self.seq = seq
        self.at = at
        self.data = data


class _Stream:
    __slots__ = ("events", "kind", "scope", "serial", "stream_id", "touched")

    def __init__(self, serial: int, scope: SessionScope, stream_id: str, now: float) -> None:
        self.serial = serial
        self.scope = scope
        self.stream_id = stream_id
        self.kind = "g" if stream_id == GET_STREAM_KEY else "r"
        self.events: deque[_Event] = deque()
        self.touched = now


def parse_event_id(event_id: str) -> tuple[str, int, int] | None:
    """``(kind, stream serial, sequence)`` of one of our ids, or None for anything else."""
    if not 3 <= len(event_id) <= _MAX_ID_CHARS or event_id[0] not in "gr":
        return None
    serial, sep, seq = event_id[1:].partition("-")
    if not sep or not (serial.isascii() and serial.isdigit() and seq.isascii() and seq.isdigit()):
        return None
    return event_id[0], int(serial), int(seq)


class BoundedEventStore(EventStore):
    """Per-stream ring buffers under global bounds, scoped per session (see the module doc)."""

    def __init__(
        self, limits: EventStoreLimits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or EventStoreLimits()
        self._clock = clock
        self._next_seq = 1
        self._next_serial = 1
        # serial -> stream, least recently used first
        self._streams: OrderedDict[int, _Stream] = OrderedDict()
        self._by_name: dict[tuple[SessionScope, str], _Stream] = {}
        # seq -> its stream, for every kept event, oldest first (the global eviction order)
        self._order: OrderedDict[int, _Stream] = OrderedDict()
        self._bytes = 0
        self._evicted = 0
        self._oversized = 0
        self._sessions: weakref.WeakValueDictionary[str, SessionScope] = (
            weakref.WeakValueDictionary()
        )

    # --- sessions -------------------------------------------------------------------------

    def scope_for(self, session_id: str | None) -> SessionScope:
        """The scope of the session a request names (a new, unbound one for a request without)."""
        if session_id is None:
            return SessionScope()
        # An id we never bound (unknown to the SDK too) gets a scope that owns nothing.
        return self._sessions.get(session_id) or SessionScope(session_id)

    def bind(self, scope: SessionScope, session_id: str) -> None:
        """The request that opened ``scope`` was answered with session id ``session_id``."""
        scope.session_id = session_id
        self._sessions[session_id] = scope

    # --- EventStore -----------------------------------------------------------------------

    async def store_event(self, stream_id: StreamId, message: JSONRPCMessage | None) -> EventId:
        now = self._clock()
        self._expire(now)
        scope = _current_scope.get() or _UNSCOPED
        stream = self._by_name.get((scope, stream_id))
        if stream is None:
            stream = self._open_stream(scope, stream_id, now)
        else:
            stream.touched = now
            self._streams.move_to_end(stream.serial)
        seq = self._next_seq
        self._next_seq += 1
        event_id = f"{stream.kind}{stream.serial}-{seq}"
        if message is None:  # a priming event: it only marks a place in the stream
            return event_id
        data = message.model_dump_json(by_alias=True, exclude_unset=True)
        if len(data) > self.limits.max_bytes_total:
            self._oversized += 1
            log.debug("event %s (%d bytes) exceeds the event store budget", event_id, len(data))
            return event_id
        stream.events.append(_Event(seq, now, data))
        self._order[seq] = stream
        self._bytes += len(data)
        while len(stream.events) > self.limits.max_events_per_stream:
            self._evict_oldest_of(stream)
        while len(self._order) > self.limits.max_events_total or (
            self._bytes > self.limits.max_bytes_total
        ):
            self._evict_oldest_of(next(iter(self._order.values())))
        return event_id

    async def replay_events_after(
        self, last_event_id: EventId, send_callback: EventCallback
    ) -> StreamId | None:
        stream = self._resumable(last_event_id, _current_scope.get())
        if stream is None:
            return None
        parsed = parse_event_id(last_event_id)
        assert parsed is not None
        cursor = parsed[2]
        # Loop until caught up: events stored while a replayed one was being sent belong to
        # this replay too (the SDK attaches the live stream only after we return).
        while True:
            pending = [event for event in stream.events if event.seq > cursor]
            if not pending:
                break
            for event in pending:
                message = jsonrpc_message_adapter.validate_json(event.data, by_name=False)
                await send_callback(
                    EventMessage(message, f"{stream.kind}{stream.serial}-{event.seq}")
                )
                cursor = event.seq
            stream.touched = self._clock()
        return stream.stream_id

    # --- queries --------------------------------------------------------------------------

    def can_resume(self, last_event_id: str, scope: SessionScope) -> bool:
        """Whether ``last_event_id`` names a stream of ``scope`` that is still held."""
        return self._resumable(last_event_id, scope) is not None

    @property
    def stats(self) -> EventStoreStats:
        self._expire(self._clock())
        return EventStoreStats(
            streams=len(self._streams),
            events=len(self._order),
            bytes=self._bytes,
            evicted=self._evicted,
            oversized=self._oversized,
        )

    # --- internals ------------------------------------------------------------------------

    def _resumable(self, last_event_id: str, scope: SessionScope | None) -> _Stream | None:
        now = self._clock()
        self._expire(now)
        parsed = parse_event_id(last_event_id)
        if parsed is None or scope is None or scope.session_id is None:
            return None
        kind, serial, _ = parsed
        stream = self._streams.get(serial)
        if stream is None or stream.scope is not scope or stream.kind != kind:
            return None
        stream.touched = now
        self._streams.move_to_end(serial)
        return stream

    def _open_stream(self, scope: SessionScope, stream_id: str, now: float) -> _Stream:
        while len(self._streams) >= self.limits.max_streams:
            self._drop_stream(next(iter(self._streams.values())))
        stream = _Stream(self._next_serial, scope, stream_id, now)
        self._next_serial += 1
        self._streams[stream.serial] = stream
        self._by_name[(scope, stream_id)] = stream
        return stream

    def _evict_oldest_of(self, stream: _Stream) -> None:
        event = stream.events.popleft()
        del self._order[event.seq]
        self._bytes -= len(event.data)
        self._evicted += 1

    def _drop_stream(self, stream: _Stream) -> None:
        while stream.events:
            self._evict_oldest_of(stream)
        del self._streams[stream.serial]
        if self._by_name.get((stream.scope, stream.stream_id)) is stream:
            del self._by_name[(stream.scope, stream.stream_id)]

    def _expire(self, now: float) -> None:
        cutoff = now - self.limits.max_age_seconds
        while self._order:
            stream = next(iter(self._order.values()))
            if stream.events[0].at >= cutoff:
                break
            self._evict_oldest_of(stream)
        # A stream untouched for max_age has no events left either (each was stored no later).
        while self._streams:
            stream = next(iter(self._streams.values()))
            if stream.touched >= cutoff:
                break
            self._drop_stream(stream)
