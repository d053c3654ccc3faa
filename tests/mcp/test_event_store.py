"""The bounded event store on its own: ring buffers, global bounds, age, session scoping.

A fake clock drives ages; messages are real JSON-RPC notifications so sizes are real JSON text.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import mcp_types as t
import pytest
from mcp.server.streamable_http import GET_STREAM_KEY, EventMessage

from ruv_swarm_mcp._config import ServerConfig
from ruv_swarm_mcp._event_store import (
    BoundedEventStore,
    EventStoreLimits,
    SessionScope,
    parse_event_id,
    scoped,
)
from ruv_swarm_mcp._exceptions import ConfigError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def note(i: int, pad: int = 0) -> t.JSONRPCNotification:
    return t.JSONRPCNotification(
        jsonrpc="2.0", method="notifications/message", params={"n": i, "pad": "x" * pad}
    )


def run(body: Callable[[], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        with anyio.fail_after(10):
            return await body()

    return anyio.run(go)


def session(store: BoundedEventStore, session_id: str = "s1") -> SessionScope:
    owner = store.scope_for(None)
    store.bind(owner, session_id)
    return owner


async def replay(store: BoundedEventStore, owner: SessionScope | None, last: str) -> Any:
    got: list[tuple[str, int]] = []

    async def send(event: EventMessage) -> None:
        assert event.event_id is not None
        got.append((event.event_id, event.message.params["n"]))  # type: ignore[union-attr,index]

    if owner is None:
        return await store.replay_events_after(last, send), got
    with scoped(owner):
        return await store.replay_events_after(last, send), got


async def store_many(
    store: BoundedEventStore, owner: SessionScope, stream: str, ns: range, pad: int = 0
) -> list[str]:
    with scoped(owner):
        return [await store.store_event(stream, note(i, pad)) for i in ns]


def test_replay_is_strictly_after_the_id_in_order_and_then_caught_up() -> None:
    async def body() -> None:
        store = BoundedEventStore()
        owner = session(store)
        with scoped(owner):
            priming = await store.store_event(GET_STREAM_KEY, None)
        ids = await store_many(store, owner, GET_STREAM_KEY, range(5))
        assert len({*ids, priming}) == 6
        assert [parse_event_id(i)[0] for i in ids] == ["g"] * 5  # type: ignore[index]
        stream, got = await replay(store, owner, priming)
        assert stream == GET_STREAM_KEY and got == list(zip(ids, range(5), strict=True))
        stream, got = await replay(store, owner, ids[1])
        assert got == list(zip(ids[2:], range(2, 5), strict=True))
        assert await replay(store, owner, ids[-1]) == (GET_STREAM_KEY, [])

        # An event stored while the replay is sending belongs to the same replay.
        extra: list[str] = []

        async def send(event: EventMessage) -> None:
            if not extra:
                extra.append(await store.store_event(GET_STREAM_KEY, note(99)))
            extra.append(event.event_id or "")

        with scoped(owner):
            await store.replay_events_after(ids[3], send)
        assert extra[1:] == [ids[4], extra[0]]

    run(body)


def test_streams_are_separate_and_only_the_owning_session_replays() -> None:
    async def body() -> None:
        store = BoundedEventStore()
        a, b = session(store, "a"), session(store, "b")
        # Both sessions use the SDK's stream names: the same strings in every session.
        a_ids = await store_many(store, a, GET_STREAM_KEY, range(3))
        await store_many(store, b, GET_STREAM_KEY, range(10, 13))
        a_req = await store_many(store, a, "1", range(20, 22))
        assert (await replay(store, a, a_ids[0]))[1] == list(zip(a_ids[1:], [1, 2], strict=True))
        assert (await replay(store, a, a_req[0]))[1] == [(a_req[1], 21)]
        assert await replay(store, b, a_ids[0]) == (None, [])
        assert await replay(store, None, a_ids[0]) == (None, [])
        # A request naming session "a" resolves to a's scope; an unknown session owns nothing.
        assert store.can_resume(a_ids[0], store.scope_for("a"))
        assert not store.can_resume(a_ids[0], store.scope_for("nope"))
        # The kind letter is part of the id: a GET-stream id rewritten as a request id is unknown.
        assert await replay(store, a, "r" + a_ids[0][1:]) == (None, [])

    run(body)


def test_unknown_and_malformed_ids_replay_nothing() -> None:
    async def body() -> None:
        store = BoundedEventStore()
        owner = session(store)
        await store_many(store, owner, GET_STREAM_KEY, range(3))
        for bad in [
            "",
            "x",
            "g",
            "g1",
            "g-1",
            "g1-",
            "q1-2",
            "g1-2-3",
            "g99-1",
            "r1-1",
            "g" + "9" * 60,
        ]:
            assert await replay(store, owner, bad) == (None, []), bad

    run(body)


def test_events_stored_without_a_scope_are_never_replayed() -> None:
    async def body() -> None:
        store = BoundedEventStore()
        event_id = await store.store_event(GET_STREAM_KEY, note(1))
        later = await store.store_event(GET_STREAM_KEY, note(2))
        assert later != event_id
        assert await replay(store, None, event_id) == (None, [])
        assert await replay(store, SessionScope(), event_id) == (None, [])
        assert await replay(store, session(store), event_id) == (None, [])

    run(body)


def test_a_stream_keeps_only_its_newest_events_and_an_evicted_id_still_resumes() -> None:
    async def body() -> None:
        store = BoundedEventStore(EventStoreLimits(max_events_per_stream=4))
        owner = session(store)
        ids = await store_many(store, owner, GET_STREAM_KEY, range(10))
        other = await store_many(store, owner, "7", range(100, 102))
        stats = store.stats
        assert stats.events == 6 and stats.evicted == 6 and stats.streams == 2
        # ids[0] was evicted: the stream is still known, so what is left after it comes back.
        stream, got = await replay(store, owner, ids[0])
        assert stream == GET_STREAM_KEY and got == list(zip(ids[6:], range(6, 10), strict=True))
        assert (await replay(store, owner, other[0]))[1] == [(other[1], 101)]

    run(body)


def test_the_total_count_and_byte_budgets_evict_the_oldest_first() -> None:
    async def body() -> None:
        store = BoundedEventStore(EventStoreLimits(max_events_total=5))
        owner = session(store)
        first = await store_many(store, owner, "1", range(3))
        second = await store_many(store, owner, "2", range(3, 6))
        assert store.stats.events == 5
        # The globally oldest event (stream 1's first) went, not the newest stream's.
        assert (await replay(store, owner, first[0]))[1] == [(first[1], 1), (first[2], 2)]
        assert (await replay(store, owner, second[0]))[1] == [(second[1], 4), (second[2], 5)]

        size = len(note(0, pad=400).model_dump_json(by_alias=True, exclude_unset=True))
        store = BoundedEventStore(EventStoreLimits(max_bytes_total=4 * size + 10))
        owner = session(store)
        ids = await store_many(store, owner, GET_STREAM_KEY, range(10), pad=400)
        stats = store.stats
        assert stats.events == 4 and stats.bytes == 4 * size
        assert (await replay(store, owner, ids[0]))[1] == list(
            zip(ids[6:], range(6, 10), strict=True)
        )
        # One message larger than the whole budget is not kept, and costs nothing.
        await store_many(store, owner, GET_STREAM_KEY, range(1), pad=10_000)
        assert store.stats.oversized == 1 and store.stats.events == 4

    run(body)


def test_old_events_and_idle_streams_expire() -> None:
    async def body() -> None:
        clock = Clock()
        store = BoundedEventStore(EventStoreLimits(max_age_seconds=60), clock=clock)
        owner = session(store)
        old = await store_many(store, owner, GET_STREAM_KEY, range(3))
        clock.now += 40
        new = await store_many(store, owner, GET_STREAM_KEY, range(3, 5))
        clock.now += 30  # the first three are 70 s old, the last two 30 s
        stream, got = await replay(store, owner, old[0])
        assert stream == GET_STREAM_KEY and got == list(zip(new, [3, 4], strict=True))
        assert store.stats.events == 2
        clock.now += 61  # everything is older than a minute and the stream has been idle
        assert store.stats == store.stats.__class__(0, 0, 0, 5, 0)
        assert await replay(store, owner, new[-1]) == (None, [])

    run(body)


def test_the_number_of_streams_is_capped_least_recently_used_first() -> None:
    async def body() -> None:
        store = BoundedEventStore(EventStoreLimits(max_streams=3))
        owner = session(store)
        ids = {name: (await store_many(store, owner, name, range(2)))[0] for name in "abc"}
        await replay(store, owner, ids["a"])  # a replay counts as use: "b" is now the oldest
        await store_many(store, owner, "d", range(1))
        assert store.stats.streams == 3
        assert (await replay(store, owner, ids["b"]))[0] is None
        assert (await replay(store, owner, ids["a"]))[0] == "a"

    run(body)


def test_a_flood_stays_within_every_bound() -> None:
    async def body() -> None:
        limits = EventStoreLimits(
            max_events_per_stream=50, max_events_total=500, max_bytes_total=40_000, max_streams=20
        )
        store = BoundedEventStore(limits)
        owners = [session(store, f"s{i}") for i in range(5)]
        for round_ in range(40):
            for i, owner in enumerate(owners):
                stream = GET_STREAM_KEY if i % 2 else str(round_ % 7)
                await store_many(store, owner, stream, range(25), pad=round_ % 5 * 20)
            stats = store.stats
            assert stats.events <= 500 and stats.bytes <= 40_000 and stats.streams <= 20
            assert all(len(s.events) <= 50 for s in store._streams.values())
        assert stats.evicted > 4000

    run(body)


def test_limits_are_validated_by_name_and_reach_the_server_config() -> None:
    assert ServerConfig().event_store == EventStoreLimits()
    assert ServerConfig(event_store=EventStoreLimits(max_streams=5)).event_store.max_streams == 5
    bad: list[tuple[dict[str, Any], str]] = [
        ({"max_events_per_stream": 0}, "max_events_per_stream must be an integer in 1..1000000"),
        ({"max_events_total": 2.5}, "max_events_total"),
        ({"max_bytes_total": 100}, "max_bytes_total must be an integer in 1024.."),
        ({"max_streams": True}, "max_streams"),
        ({"max_age_seconds": 0}, "max_age_seconds must be in (0, 86400]"),
        ({"max_age_seconds": float("nan")}, "max_age_seconds must be a number"),
    ]
    for kwargs, message in bad:
        with pytest.raises(ConfigError) as raised:
            EventStoreLimits(**kwargs)
        assert message in str(raised.value), raised.value
