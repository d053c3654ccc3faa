"""Progress, cancellation and resource updates through the real `mcp` client, on every transport
and both protocol eras, against server subprocesses.

Handshake era (`initialize`, 2025-11-25): `ClientSession` over streamable HTTP, where resource
updates ride the standalone GET stream. Modern era (2026-07-28, `Client` auto-negotiating over
streamable HTTP and stdio): progress on the request's own response stream, cancellation by closing
it, and resource updates only through `subscriptions/listen`. Legacy SSE: all three, both eras.

Progress is sampled by the engine (every 50 ms, the latest finished epoch), so a training run
must last a few hundred milliseconds to report more than its final epoch: the XOR runs below take
~0.5 s. Nothing here sleeps to synchronise; every wait is for an event, bounded by fail_after.
"""

from __future__ import annotations

import re
import sys
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx2
import mcp_types as t
import pytest
from mcp import Client, ClientSession, StdioServerParameters
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.client.subscriptions import ListenNotSupportedError, ResourceUpdated, listen
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError

from tests.mcp.conftest import TOKEN, HttpServer, server_env, start_http_server, stop

XOR = {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "outputs": [[0], [1], [1], [0]]}
# ~17 us per epoch: 30,000 epochs last ~0.5 s, long enough for several progress samples.
PROGRESS_EPOCHS = 30_000
PROGRESS_EVERY = 1_000
# 8-bit parity through two 64-unit layers, ~0.6 ms per epoch: the full 100,000 epochs would run
# for about a minute, so a task that ends within seconds of the cancel was stopped by it.
_BITS = [[float((i >> b) & 1) for b in range(8)] for i in range(256)]
PARITY = {"inputs": _BITS, "outputs": [[float(sum(row) % 2)] for row in _BITS]}
CANCEL_EPOCHS = 100_000
CANCEL_LATENCY_S = 3.0

Call = Callable[..., Awaitable[t.CallToolResult]]


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    server = start_http_server(tmp_path_factory.mktemp("http"), "http", token=TOKEN)
    yield server
    stop(server.proc)


@pytest.fixture(scope="module")
def sse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    server = start_http_server(tmp_path_factory.mktemp("sse"), "sse", token=TOKEN)
    yield server
    stop(server.proc)


def _ok(result: t.CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content[0].text  # type: ignore[union-attr]
    assert result.structured_content is not None
    return result.structured_content


class Updates:
    """`notifications/resources/updated` URIs as they arrive, awaitable one by one."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self._send, self._receive = anyio.create_memory_object_stream[str](10_000)

    async def on_message(self, message: Any) -> None:
        if isinstance(message, t.ResourceUpdatedNotification):
            uri = str(message.params.uri)
            self.seen.append(uri)
            self._send.send_nowait(uri)

    async def wait_for(self, uri: str, seconds: float = 10) -> None:
        with anyio.fail_after(seconds):
            while await self._receive.receive() != uri:
                pass


@asynccontextmanager
async def _handshake_http(
    server: HttpServer, updates: Updates | None = None
) -> AsyncIterator[ClientSession]:
    handler = updates.on_message if updates is not None else None
    async with (
        httpx2.AsyncClient(headers=server.headers, timeout=30) as http_client,
        streamable_http_client(server.url, http_client=http_client) as (read, write),
        ClientSession(read, write, message_handler=handler) as session,
    ):
        init = await session.initialize()
        assert init.protocol_version == "2025-11-25"
        yield session


@asynccontextmanager
async def _modern_http(server: HttpServer) -> AsyncIterator[Client]:
    async with (
        httpx2.AsyncClient(headers=server.headers, timeout=30) as http_client,
        Client(streamable_http_client(server.url, http_client=http_client)) as client,
    ):
        assert client.protocol_version == "2026-07-28"
        yield client


def _run(body: Callable[[], Awaitable[Any]], seconds: float = 60) -> Any:
    async def go() -> Any:
        with anyio.fail_after(seconds), warnings.catch_warnings():
            # resources/subscribe is deprecated at 2026-07-28 but is the handshake era's only way.
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            return await body()

    return anyio.run(go)


async def _train_with_progress(call: Call) -> None:
    """Train XOR with a progress callback and check every notification against the result."""
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))

    args = {
        "data": XOR,
        "layers": [4],
        "epochs": PROGRESS_EPOCHS,
        "desired_error": 0.0,
        "seed": 1,
        "progress_every": PROGRESS_EVERY,
    }
    trained = _ok(await call("train", args, progress_callback=on_progress))
    assert trained["status"] == "completed" and trained["epochs_run"] == PROGRESS_EPOCHS
    assert len(progress) >= 2, progress
    values = [value for value, _, _ in progress]
    assert values == sorted(set(values)), "progress must strictly increase"
    assert values[-1] == PROGRESS_EPOCHS and values[0] > 0
    assert all(total == PROGRESS_EPOCHS for _, total, _ in progress)
    # Every sample but the final one reports a finished epoch, progress_every apart or more.
    for (value, _, message), previous in zip(progress[:-1], [0.0, *values], strict=False):
        assert message is not None and message.startswith(f"epoch {int(value)}: "), message
        assert value - previous >= PROGRESS_EVERY
    assert trained["model_id"] in (progress[-1][2] or "")


async def _cancel_training(call: Call, swarm_id: str) -> dict[str, Any]:
    """Start a minute-long training, cancel the call at its first progress notification, and
    return the task once it is final (with the seconds from the cancel to its end)."""
    reporting = anyio.Event()

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        reporting.set()

    async def train() -> None:
        args = {
            "data": PARITY,
            "layers": [64, 64],
            "epochs": CANCEL_EPOCHS,
            "desired_error": 0.0,
            "seed": 2,
        }
        await call("train", args, progress_callback=on_progress)
        raise AssertionError("the training call answered although it was cancelled")

    async with anyio.create_task_group() as tg:
        tg.start_soon(train)
        await reporting.wait()
        cancelled_at = time.time()
        tg.cancel_scope.cancel()  # the client gives up on the request
    events = _ok(await call("events", {"kind": "task_submitted", "swarm_id": swarm_id}))["events"]
    task_id = events[-1]["subject_id"]
    task = _ok(await call("task_result", {"task_id": task_id, "wait_seconds": 20}))
    task["seconds_after_cancel"] = (task["finished_at"] or float("inf")) - cancelled_at
    return task


def _assert_stopped_by_cancel(task: dict[str, Any]) -> None:
    assert task["kind"] == "train" and task["status"] == "cancelled" and task["done"]
    assert task["seconds_after_cancel"] < CANCEL_LATENCY_S, task
    epoch = int(re.fullmatch(r"epoch (\d+): .*", task["progress_message"])[1])  # type: ignore[index]
    assert 0 < epoch < CANCEL_EPOCHS and task["progress"] < 1.0


# --- streamable HTTP, handshake era -------------------------------------------------------------


def test_http_handshake_train_reports_progress(http: HttpServer) -> None:
    async def body() -> None:
        async with _handshake_http(http) as session:
            _ok(await session.call_tool("swarm_init", {}))
            await _train_with_progress(session.call_tool)

    _run(body)


def test_http_handshake_cancel_stops_the_training_and_the_session_stays_usable(
    http: HttpServer,
) -> None:
    async def body() -> None:
        async with _handshake_http(http) as session:
            swarm = _ok(await session.call_tool("swarm_init", {}))
            task = await _cancel_training(session.call_tool, swarm["id"])
            _assert_stopped_by_cancel(task)
            # The same session keeps working, and trains again.
            status = _ok(await session.call_tool("task_status", {"task_id": task["id"]}))
            assert status["status"] == "cancelled"
            await _train_with_progress(session.call_tool)

    _run(body)


def test_http_handshake_resource_updates_reach_subscribers_only(http: HttpServer) -> None:
    watcher, bystander = Updates(), Updates()

    async def body() -> None:
        async with (
            _handshake_http(http, watcher) as session,
            _handshake_http(http, bystander) as other,
        ):
            _ok(await session.call_tool("swarm_init", {}))
            await session.subscribe_resource("swarm://agents")
            await other.subscribe_resource("swarm://status")
            spawned = _ok(await session.call_tool("spawn_agent", {"type": "researcher"}))
            await watcher.wait_for("swarm://agents")
            # Both URIs of one change go out in order, so once the bystander has swarm://status
            # the swarm://agents update it did not subscribe to would already be there.
            await bystander.wait_for("swarm://status")
            assert "swarm://agents" not in bystander.seen

            # A task URI, subscribed while its minute-long training runs (so it cannot finish
            # first), then finished by a cancel.
            _ok(await session.call_tool("spawn_agent", {"type": "neural-processor"}))
            train = {
                "data": PARITY,
                "layers": [64, 64],
                "epochs": CANCEL_EPOCHS,
                "desired_error": 0,
            }
            task = _ok(await session.call_tool("orchestrate", {"task": train, "wait_seconds": 0}))
            task_uri = f"swarm://tasks/{task['id']}"
            await session.subscribe_resource(task_uri)
            _ok(await session.call_tool("task_cancel", {"task_id": task["id"]}))
            await watcher.wait_for(task_uri)
            final = _ok(
                await session.call_tool("task_result", {"task_id": task["id"], "wait_seconds": 20})
            )
            assert final["status"] == "cancelled", final["error"]
            # An agent URI: terminating the agent is its only change after the subscription.
            agent_uri = f"swarm://agents/{spawned['id']}"
            await session.subscribe_resource(agent_uri)
            _ok(await session.call_tool("agent_terminate", {"agent_id": spawned["id"]}))
            await watcher.wait_for(agent_uri)
            assert set(watcher.seen) <= {"swarm://agents", task_uri, agent_uri}

            # subscriptions/listen belongs to 2026-07-28: the SDK client refuses it here, and
            # the server does not know the method on a handshake-era session.
            with pytest.raises(ListenNotSupportedError):
                async with listen(session, resource_subscriptions=["swarm://agents"]):
                    pass
            request = t.SubscriptionsListenRequest(
                params=t.SubscriptionsListenRequestParams(
                    notifications=t.SubscriptionFilter(resource_subscriptions=["swarm://agents"])
                )
            )
            with pytest.raises(MCPError) as refused:
                await session.send_request(request, t.SubscriptionsListenResult)
            assert refused.value.error.code == t.METHOD_NOT_FOUND

    _run(body)


# --- streamable HTTP, modern era (2026-07-28) ---------------------------------------------------


def test_http_modern_train_reports_progress_and_cancel_stops_it(http: HttpServer) -> None:
    async def body() -> None:
        async with _modern_http(http) as client:
            swarm = _ok(await client.call_tool("swarm_init", {}))
            await _train_with_progress(client.call_tool)
            # At 2026-07-28 a client cancels by closing the request's response stream.
            task = await _cancel_training(client.call_tool, swarm["id"])
            _assert_stopped_by_cancel(task)
            assert _ok(await client.call_tool("server_info", {}))["transport"] == "http"

    _run(body)


async def _listen_sees_agent_changes(client: Client) -> None:
    swarm = _ok(await client.call_tool("swarm_init", {}))
    async with client.listen(resource_subscriptions=["swarm://agents"]) as subscription:
        assert subscription.honored.resource_subscriptions == ["swarm://agents"]
        _ok(await client.call_tool("spawn_agent", {"type": "researcher", "swarm_id": swarm["id"]}))
        with anyio.fail_after(10):
            event = await subscription.__anext__()
        assert event == ResourceUpdated(uri="swarm://agents")
    # resources/subscribe was removed at 2026-07-28: the server answers Method not found.
    with pytest.raises(MCPError) as refused:
        await client.session.subscribe_resource("swarm://agents")
    assert refused.value.error.code == t.METHOD_NOT_FOUND


def test_http_modern_listen_delivers_resource_updates(http: HttpServer) -> None:
    async def body() -> None:
        async with _modern_http(http) as client:
            await _listen_sees_agent_changes(client)

    _run(body)


# --- stdio, modern era --------------------------------------------------------------------------


def test_stdio_modern_progress_cancellation_and_listen(tmp_path) -> None:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "ruv_swarm_mcp"], env=server_env(tmp_path)
    )

    async def body() -> None:
        async with Client(params) as client:
            assert client.protocol_version == "2026-07-28"
            await _listen_sees_agent_changes(client)
            await _train_with_progress(client.call_tool)
            swarm = _ok(await client.call_tool("swarm_status", {}))["swarm"]
            _assert_stopped_by_cancel(await _cancel_training(client.call_tool, swarm["id"]))

    _run(body)


# --- legacy SSE ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_sse_progress_cancellation_and_resource_updates(sse: HttpServer, mode: str) -> None:
    updates = Updates()

    async def body() -> None:
        transport = sse_client(sse.url, headers=sse.headers)
        async with Client(
            transport,  # type: ignore[arg-type]
            mode=mode,  # type: ignore[arg-type]
            message_handler=updates.on_message,
        ) as client:
            swarm = _ok(await client.call_tool("swarm_init", {}))
            await _train_with_progress(client.call_tool)
            _assert_stopped_by_cancel(await _cancel_training(client.call_tool, swarm["id"]))
            if mode == "auto":
                assert client.protocol_version == "2026-07-28"
                await _listen_sees_agent_changes(client)
                return
            assert client.protocol_version == "2025-11-25"
            await client.session.subscribe_resource("swarm://agents")
            _ok(await client.call_tool("spawn_agent", {"type": "researcher"}))
            await updates.wait_for("swarm://agents")
            assert set(updates.seen) == {"swarm://agents"}

    _run(body)
