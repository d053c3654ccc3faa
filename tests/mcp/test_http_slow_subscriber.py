"""Resource-update fan-out when a subscribed client stops reading.

Over HTTP a subscriber's updates ride its standalone GET stream (SSE: its event stream). A
client that keeps that stream open but stops reading it (a hung process, a laptop gone to sleep)
makes the SDK's send for that connection wait once the TCP window and the SDK's buffers are full.
Filling them through real sockets takes tens of thousands of notifications, so these tests drive
:class:`ChangeFanOut` in-process with sessions that stand for such connections.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import anyio
from mcp.server.subscriptions import InMemorySubscriptionBus, ServerEvent

from ruv_swarm_mcp._changes import ChangeFanOut, uris_for_change


class Recorder:
    """A connection that reads every update at once."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self._send, self._receive = anyio.create_memory_object_stream[str](10_000)

    async def send_resource_updated(self, uri: str) -> None:
        self.received.append(uri)
        self._send.send_nowait(uri)

    async def wait_for(self, uri: str) -> None:
        with anyio.fail_after(5):
            while await self._receive.receive() != uri:
                pass


class Stalled(Recorder):
    """A connection whose sends wait until ``release`` is set (a full TCP window)."""

    def __init__(self) -> None:
        super().__init__()
        self.stuck = anyio.Event()
        self.release = anyio.Event()

    async def send_resource_updated(self, uri: str) -> None:
        self.stuck.set()
        await self.release.wait()
        await super().send_resource_updated(uri)


def _fan_out() -> tuple[ChangeFanOut, dict[int, tuple[Any, set[str]]], list[ServerEvent]]:
    bus = InMemorySubscriptionBus()
    published: list[ServerEvent] = []
    bus.subscribe(published.append)
    subscribers: dict[int, tuple[Any, set[str]]] = {}
    server = SimpleNamespace(_subscriptions=bus)
    state = SimpleNamespace(subscribers=subscribers)
    return ChangeFanOut(cast(Any, server), cast(Any, state)), subscribers, published


def _run(body: Any) -> None:
    async def go() -> None:
        with anyio.fail_after(10):
            await body()

    anyio.run(go)


def test_a_stalled_subscriber_does_not_hold_up_the_others() -> None:
    async def body() -> None:
        fan, subscribers, published = _fan_out()
        stalled, live = Stalled(), Recorder()
        # The stalled connection comes first, as the first subscriber would.
        subscribers[1] = (stalled, {"swarm://agents"})
        subscribers[2] = (live, {"swarm://agents", "swarm://tasks/t1"})
        async with anyio.create_task_group() as tg:
            tg.start_soon(fan.pump)
            fan.on_change("agent", "a1")
            await stalled.stuck.wait()
            await live.wait_for("swarm://agents")
            fan.on_change("task", "t1")
            await live.wait_for("swarm://tasks/t1")
            tg.cancel_scope.cancel()
        assert live.received == ["swarm://agents", "swarm://tasks/t1"]
        assert stalled.received == []
        # 2026-07-28 listen streams are fed from the bus, whatever the stalled client does.
        uris = [e.uri for e in published]  # type: ignore[union-attr]
        assert uris == uris_for_change("agent", "a1") + uris_for_change("task", "t1")

    _run(body)


def test_updates_for_a_stalled_subscriber_coalesce_and_arrive_in_order() -> None:
    async def body() -> None:
        fan, subscribers, _ = _fan_out()
        stalled, marker = Stalled(), Recorder()
        subscribers[1] = (stalled, {"swarm://agents", "swarm://tasks/t1"})
        subscribers[2] = (marker, {"swarm://tasks/t1"})
        async with anyio.create_task_group() as tg:
            tg.start_soon(fan.pump)
            fan.on_change("agent", "a0")
            await stalled.stuck.wait()  # it holds the first swarm://agents
            for i in range(1, 200):
                fan.on_change("agent", f"a{i}")
            fan.on_change("task", "t1")
            # The pump handles reports in order: once the marker has the last one, every
            # report before it has been queued for the stalled connection too.
            await marker.wait_for("swarm://tasks/t1")
            stalled.release.set()
            await stalled.wait_for("swarm://tasks/t1")
            tg.cancel_scope.cancel()
        assert stalled.received == ["swarm://agents", "swarm://agents", "swarm://tasks/t1"]
        assert fan.dropped == 0

    _run(body)


def test_a_closed_or_replaced_connection_gets_nothing_more() -> None:
    async def body() -> None:
        fan, subscribers, _ = _fan_out()
        first, successor, unsubscribed = Recorder(), Recorder(), Recorder()
        subscribers[1] = (first, {"swarm://agents"})
        subscribers[2] = (unsubscribed, {"swarm://agents"})
        async with anyio.create_task_group() as tg:
            tg.start_soon(fan.pump)
            fan.on_change("agent", "a1")
            await first.wait_for("swarm://agents")
            await unsubscribed.wait_for("swarm://agents")
            # The first connection closes and a new one happens to get the same key (an id()).
            subscribers[1] = (successor, {"swarm://agents", "swarm://status"})
            subscribers[2][1].discard("swarm://agents")
            fan.on_change("agent", "a2")
            await successor.wait_for("swarm://status")
            tg.cancel_scope.cancel()
        assert first.received == unsubscribed.received == ["swarm://agents"]
        assert successor.received == ["swarm://agents", "swarm://status"]

    _run(body)


def test_changes_nobody_hears_of_are_not_queued() -> None:
    bus = InMemorySubscriptionBus()
    subscribers: dict[int, tuple[Any, set[str]]] = {}
    fan = ChangeFanOut(
        cast(Any, SimpleNamespace(_subscriptions=bus)),
        cast(Any, SimpleNamespace(subscribers=subscribers)),
    )
    fan.on_change("agent", "agent-1")
    assert fan._send.statistics().current_buffer_used == 0
    published: list[ServerEvent] = []
    unsubscribe = bus.subscribe(published.append)  # a 2026-07-28 listen stream opens
    fan.on_change("agent", "agent-2")
    assert fan._send.statistics().current_buffer_used == 1
    unsubscribe()
    subscribers[1] = (Recorder(), {"swarm://agents"})  # a handshake-era subscriber
    fan.on_change("agent", "agent-3")
    assert fan._send.statistics().current_buffer_used == 2
