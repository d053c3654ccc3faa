"""Engine change reports as `notifications/resources/updated`, for both protocol eras.

The engine reports ``(kind, subject_id)`` on its own path; :meth:`ChangeFanOut.on_change` queues
the report without waiting, and :meth:`ChangeFanOut.pump` turns it into the resource URIs it makes
stale (:func:`uris_for_change`) and then:

- publishes each URI on the SDK's subscription bus, which feeds 2026-07-28
  `subscriptions/listen` streams (the bus buffers per stream, so publishing never waits on a
  client);
- hands it to every handshake-era connection that subscribed to it with `resources/subscribe`
  (``AppState.subscribers``). Each such connection has its own sender task and its own pending
  URIs, so a client that stops reading (an HTTP GET stream whose TCP window is full, a laptop
  gone to sleep with the stream open) delays only its own notifications. While it is stalled,
  repeats of a URI coalesce: an update means "this changed, read it again", so nothing is lost,
  and what waits for one client is bounded by the URIs it subscribed to.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import anyio
import anyio.abc
from mcp.server.mcpserver import MCPServer
from mcp.shared.subscriptions import ResourceUpdated

from ruv_swarm_mcp._state import AppState

log = logging.getLogger("ruv_swarm_mcp")


def uris_for_change(kind: str, subject_id: str) -> list[str]:
    """Which resource URIs an engine change report makes stale."""
    if kind == "task":
        return [f"swarm://tasks/{subject_id}", "swarm://status"]
    if kind == "agent":
        return [f"swarm://agents/{subject_id}", "swarm://agents", "swarm://status"]
    if kind == "model":
        return [f"swarm://models/{subject_id}", f"swarm://models/{subject_id}/learning-curve.png"]
    if kind == "swarm":
        return ["swarm://status", "swarm://agents"]
    return ["swarm://status"]


class _Outbox:
    """The URIs waiting for one subscribed connection, oldest first, each at most once."""

    def __init__(self, session: Any, subscribed: set[str]) -> None:
        self.session = session
        self.subscribed = subscribed
        self.pending: dict[str, None] = {}
        self.wake = anyio.Event()


class ChangeFanOut:
    """Turns engine change reports into resource-updated notifications, off the engine's path."""

    def __init__(self, server: MCPServer[Any], state: AppState, buffer: int = 1024) -> None:
        self._server = server
        self._state = state
        self._send, self._receive = anyio.create_memory_object_stream[tuple[str, str]](buffer)
        # connection key (as in AppState.subscribers) -> its outbox, while its sender runs
        self._outboxes: dict[int, _Outbox] = {}
        self.dropped = 0

    def _anyone_listening(self) -> bool:
        if self._state.subscribers:
            return True
        # The SDK's in-memory bus keeps its listen streams in `_listeners`; another bus (one
        # that forwards to other replicas) is assumed to have listeners.
        listeners = getattr(self._server._subscriptions, "_listeners", None)
        return listeners is None or bool(listeners)

    def on_change(self, kind: str, subject_id: str) -> None:
        # Nobody subscribed: a change that no one can hear of costs nothing (a spawn reports
        # three URIs, ~0.1 ms of loop time to publish and match).
        if not self._anyone_listening():
            return
        try:
            self._send.send_nowait((kind, subject_id))
        except anyio.WouldBlock:
            # A burst larger than the buffer: the client re-reads on the next update anyway.
            self.dropped += 1

    async def pump(self) -> None:
        # The receive end is not closed here: an in-process server may be served again.
        try:
            async with anyio.create_task_group() as senders:
                while True:
                    kind, subject_id = await self._receive.receive()
                    await self._deliver(senders, uris_for_change(kind, subject_id))
        finally:
            self._outboxes.clear()

    async def _deliver(self, senders: anyio.abc.TaskGroup, uris: Iterable[str]) -> None:
        uris = list(uris)
        bus = self._server._subscriptions  # no public accessor for the bus in mcp 2.3
        for uri in uris:
            try:
                await bus.publish(ResourceUpdated(uri=uri))
            except Exception:
                log.debug("subscription bus publish failed", exc_info=True)
        for key, box in list(self._outboxes.items()):
            if not self._is_current(key, box):
                box.wake.set()  # its connection is gone or replaced: let the sender end
        for key, (session, subscribed) in list(self._state.subscribers.items()):
            wanted = [uri for uri in uris if uri in subscribed]
            if not wanted:
                continue
            current = self._outboxes.get(key)
            if current is None or current.session is not session:
                current = self._outboxes[key] = _Outbox(session, subscribed)
                senders.start_soon(self._send_to, key, current)
            current.pending.update(dict.fromkeys(wanted))
            current.wake.set()

    def _is_current(self, key: int, box: _Outbox) -> bool:
        # Keys are id()s of connections, so a new connection may reuse a closed one's key.
        entry = self._state.subscribers.get(key)
        return entry is not None and entry[0] is box.session and self._outboxes.get(key) is box

    async def _send_to(self, key: int, box: _Outbox) -> None:
        try:
            while self._is_current(key, box):
                if not box.pending:
                    box.wake = anyio.Event()
                    await box.wake.wait()
                    continue
                uri = next(iter(box.pending))
                del box.pending[uri]
                if uri not in box.subscribed:  # unsubscribed while it waited
                    continue
                try:
                    await box.session.send_resource_updated(uri)
                except Exception:
                    log.debug("could not notify a subscriber of %s", uri, exc_info=True)
        finally:
            if self._outboxes.get(key) is box:
                del self._outboxes[key]
