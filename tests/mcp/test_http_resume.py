"""Streamable HTTP resumability (handshake era), through raw HTTP against a server subprocess.

The SDK client cannot be told to drop its GET stream and come back with a chosen
``Last-Event-ID``, so these tests speak the wire themselves: POST for requests, GET for the
standalone stream, SSE parsed by hand. Nothing sleeps to synchronise. An update that the server
emits after a POST has answered cannot be observed before the client reconnects, so the tests
that need it *stored* re-read the replay (each time a real GET with the same Last-Event-ID) until
it holds the update; a replayed event is one that arrives before the resumed stream's priming
event (an id with empty data, sent once the replay is done and the stream goes live).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import pytest

from tests.mcp.conftest import TOKEN, HttpServer, start_http_server, stop

AGENTS = "swarm://agents"
STATUS = "swarm://status"


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    server = start_http_server(tmp_path_factory.mktemp("resume"), "http", token=TOKEN)
    yield server
    stop(server.proc)


@dataclass
class Event:
    id: str | None
    data: str

    @property
    def message(self) -> dict[str, Any]:
        return dict(json.loads(self.data))

    @property
    def is_priming(self) -> bool:
        return self.id is not None and self.data == ""

    def updated(self) -> str | None:
        if self.data and self.message.get("method") == "notifications/resources/updated":
            return str(self.message["params"]["uri"])
        return None


async def sse_events(response: httpx.Response) -> AsyncIterator[Event]:
    fields: dict[str, str] = {}
    async for line in response.aiter_lines():
        if line == "":
            if fields:
                yield Event(fields.get("id"), fields.get("data", ""))
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value


class Raw:
    """One handshake-era session spoken by hand."""

    def __init__(self, client: httpx.AsyncClient, url: str) -> None:
        self.client = client
        self.url = url
        self.session_id = ""
        self._next_id = 0

    def headers(self, **extra: str) -> dict[str, str]:
        base = {
            "Accept": "application/json, text/event-stream",
            "Content-Type": "application/json",
            "MCP-Protocol-Version": "2025-11-25",
        }
        if self.session_id:
            base["Mcp-Session-Id"] = self.session_id
        return {**base, **extra}

    async def request(self, method: str, params: dict[str, Any]) -> list[Event]:
        """POST a request; every event of its stream, up to and including the answer."""
        self._next_id += 1
        body = {"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params}
        events: list[Event] = []
        async with self.client.stream("POST", self.url, json=body, headers=self.headers()) as r:
            assert r.status_code == 200, (r.status_code, await r.aread())
            assert r.headers["content-type"].startswith("text/event-stream")
            self.session_id = self.session_id or r.headers["mcp-session-id"]
            async for event in sse_events(r):
                events.append(event)
                if event.data and event.message.get("id") == self._next_id:
                    break
        answer = events[-1].message
        assert "error" not in answer, answer
        return events

    async def call(self, tool: str, **arguments: Any) -> dict[str, Any]:
        result = (await self.request("tools/call", {"name": tool, "arguments": arguments}))[-1]
        payload = result.message["result"]
        assert not payload.get("isError"), payload
        return dict(payload["structuredContent"])

    async def open(self, *subscriptions: str) -> list[Event]:
        init = await self.request(
            "initialize",
            {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "resume-test", "version": "1"},
            },
        )
        note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        r = await self.client.post(self.url, json=note, headers=self.headers())
        assert r.status_code == 202
        await self.call("swarm_init")
        for uri in subscriptions:
            await self.request("resources/subscribe", {"uri": uri})
        return init

    @asynccontextmanager
    async def get(self, last_event_id: str | None = None) -> AsyncIterator[AsyncIterator[Event]]:
        headers = self.headers()
        del headers["Content-Type"]
        headers["Accept"] = "text/event-stream"
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        async with self.client.stream("GET", self.url, headers=headers) as r:
            assert r.status_code == 200, (r.status_code, await r.aread())
            assert r.headers["content-type"].startswith("text/event-stream")
            yield sse_events(r)

    async def replay(self, last_event_id: str) -> list[Event]:
        """What a GET with ``last_event_id`` replays: the events before its priming event (or
        all of them, if the server still held the previous connection and only replayed)."""
        replayed: list[Event] = []
        async with self.get(last_event_id) as events:
            async for event in events:
                if event.is_priming:
                    break
                replayed.append(event)
        return replayed

    @asynccontextmanager
    async def resume_live(
        self, last_event_id: str
    ) -> AsyncIterator[tuple[Event, AsyncIterator[Event]]]:
        """A resumed GET stream with nothing left to replay, once it is live (its first event
        is the priming one). While the server still holds this session's previous GET
        connection it only replays (here: nothing) and ends the stream; then ask again."""
        while True:
            async with self.get(last_event_id) as events:
                first = await anext(events, None)
                if first is None:
                    continue
                assert first.is_priming, f"unexpected event after the last id: {first}"
                yield first, events
                return

    async def replay_until(self, last_event_id: str, count: int) -> list[Event]:
        while len(updates := await self.replay(last_event_id)) < count:
            pass
        return updates


async def next_update(events: AsyncIterator[Event]) -> Event:
    async for event in events:
        if event.updated() is not None:
            return event
    raise AssertionError("the stream ended without an update")


def run(http: HttpServer, body: Callable[[httpx.AsyncClient], Awaitable[None]]) -> None:
    async def go() -> None:
        with anyio.fail_after(20):
            async with httpx.AsyncClient(headers=http.headers, timeout=10) as client:
                await body(client)

    anyio.run(go)


async def first_get_event_id(raw: Raw) -> str:
    """Open the GET stream, spawn an agent, and return the id of the update it carried."""
    async with raw.get() as events:
        await raw.call("spawn_agent", type="researcher")
        event = await next_update(events)
    assert event.updated() == AGENTS and event.id
    return event.id


def test_every_event_carries_an_id_and_tool_calls_still_answer(http: HttpServer) -> None:
    async def body(client: httpx.AsyncClient) -> None:
        raw = Raw(client, http.url)
        events = await raw.open()
        # initialize: a priming event (an id, no data), then the answer, on one stream.
        assert events[0].is_priming and events[-1].message["result"]["protocolVersion"]
        swarm = await raw.call("swarm_status")
        assert swarm["swarm"]["id"]
        spawned = await raw.request(
            "tools/call", {"name": "spawn_agent", "arguments": {"type": "coder"}}
        )
        agent = spawned[-1].message["result"]["structuredContent"]
        assert agent["id"].startswith("agent-") and agent["swarm_id"] == swarm["swarm"]["id"]
        ids = [e.id for e in events + spawned]
        assert all(ids) and len(set(ids)) == len(ids)

    run(http, body)


def test_an_update_sent_while_the_get_stream_is_down_is_replayed_on_resume(
    http: HttpServer,
) -> None:
    async def body(client: httpx.AsyncClient) -> None:
        raw = Raw(client, http.url)
        await raw.open(AGENTS)
        seen = await first_get_event_id(raw)
        # The GET stream is closed: this spawn's update has no connection to go to.
        await raw.call("spawn_agent", type="analyst")
        replayed = await raw.replay_until(seen, 1)
        assert [e.updated() for e in replayed] == [AGENTS]
        assert replayed[0].id not in (None, seen)
        # Resuming from the replayed id: nothing more to replay, then the stream is live.
        async with raw.resume_live(replayed[0].id) as (priming, events):
            await raw.call("spawn_agent", type="tester")
            live = await next_update(events)
            assert live.updated() == AGENTS
            assert live.id not in (seen, replayed[0].id, priming.id)

    run(http, body)


def test_a_get_stream_that_carried_nothing_resumes_from_its_priming_event(
    http: HttpServer,
) -> None:
    async def body(client: httpx.AsyncClient) -> None:
        raw = Raw(client, http.url)
        await raw.open(AGENTS)
        async with raw.get() as events:
            priming = await anext(events)
        assert priming.is_priming and priming.id
        await raw.call("spawn_agent", type="optimizer")
        replayed = await raw.replay_until(priming.id, 1)
        assert [e.updated() for e in replayed] == [AGENTS]
        # A client still on the 2025-06-18 wire gets no empty event (it could not parse one).
        # (409 while the server still holds the replay's connection: then ask again.)
        old_wire = raw.headers(**{"MCP-Protocol-Version": "2025-06-18"})
        while True:
            async with raw.client.stream("GET", raw.url, headers=old_wire) as r:
                if r.status_code == 409:
                    continue
                assert r.status_code == 200
                await raw.call("spawn_agent", type="optimizer")
                first = await anext(sse_events(r))
                assert first.updated() == AGENTS and first.id
                break

    run(http, body)


def test_replay_starts_strictly_after_the_given_id_without_duplicates(
    http: HttpServer,
) -> None:
    async def body(client: httpx.AsyncClient) -> None:
        raw = Raw(client, http.url)
        await raw.open(AGENTS)
        seen = await first_get_event_id(raw)
        for kind in ("researcher", "coder", "analyst"):
            await raw.call("spawn_agent", type=kind)
        replayed = await raw.replay_until(seen, 3)
        assert [e.updated() for e in replayed] == [AGENTS] * 3
        ids = [e.id for e in replayed]
        assert None not in ids and len(set(ids)) == 3 and seen not in ids
        # From each replayed id exactly the events after it, in the same order with the same ids.
        for i, event_id in enumerate(ids):
            again = await raw.replay(event_id)  # type: ignore[arg-type]
            assert [(e.id, e.data) for e in again] == [(e.id, e.data) for e in replayed[i + 1 :]]

    run(http, body)


def test_an_unknown_or_foreign_last_event_id_replays_nothing(http: HttpServer) -> None:
    async def body(client: httpx.AsyncClient) -> None:
        owner = Raw(client, http.url)
        await owner.open(AGENTS)
        owner_get_id = await first_get_event_id(owner)
        owner_request_id = (await owner.request("tools/call", {"name": "swarm_status"}))[0].id
        await owner.call("spawn_agent", type="coder")  # the owner has events after both ids
        assert owner_request_id is not None and len(await owner.replay_until(owner_get_id, 1)) == 1

        # A GET-stream id this session cannot resume (another session's, or one no stream has
        # now): nothing is replayed and the stream is live from now.
        for last_event_id in (owner_get_id, "g999999-1"):
            other = Raw(client, http.url)
            await other.open(STATUS)
            async with other.get(last_event_id) as events:
                assert (await anext(events)).is_priming
                await other.call("spawn_agent", type="researcher")
                # Only this session's own update arrives; the owner's swarm://agents never does.
                first = await anext(events)
                assert first.updated() == STATUS, first

        # Any other id (not ours, or another session's request stream): the SDK's answer, an
        # event stream that ends at once with nothing replayed. Never a server error.
        for last_event_id in (owner_request_id, "not-an-event-id", "r1-1", "x" * 200):
            other = Raw(client, http.url)
            await other.open(STATUS)
            assert await other.replay(last_event_id) == []

    run(http, body)
