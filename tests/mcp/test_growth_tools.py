"""swarm_delete, memory_delete, the current-swarm rule and benchmark_run's clean-up, through the
official in-process client."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp import Client

from ruv_swarm_mcp import build_server
from ruv_swarm_mcp._config import ServerConfig

from .test_tools_inmemory import Call, error_text, ok, run_with_client


def _caller(client: Client) -> Call:
    async def call(name: str, args: dict[str, Any]) -> Any:
        return await client.call_tool(name, args)

    return call


def test_current_swarm_is_per_session_and_set_only_by_swarm_init(tmp_path) -> None:
    async def go() -> None:
        server = build_server(ServerConfig(db=str(tmp_path / "swarm.db")))
        with anyio.fail_after(120):
            async with Client(server, mode="legacy") as c1, Client(server, mode="legacy") as c2:
                one, two = _caller(c1), _caller(c2)
                a = ok(await one("swarm_init", {"name": "a"}))["id"]
                b = ok(await one("swarm_init", {"name": "b"}))["id"]
                # an explicit swarm_id acts on that swarm and leaves the current one alone
                ok(await one("spawn_agent", {"type": "researcher", "swarm_id": a}))
                assert ok(await one("swarm_status", {}))["swarm"]["id"] == b
                # a session without swarm_init adopts the newest swarm and keeps it
                assert ok(await two("swarm_status", {}))["swarm"]["id"] == b
                c = ok(await one("swarm_init", {"name": "c"}))["id"]
                assert ok(await two("swarm_status", {}))["swarm"]["id"] == b
                assert ok(await one("swarm_status", {}))["swarm"]["id"] == c
                spawned = ok(await two("spawn_agent", {"type": "analyst"}))
                assert spawned["swarm_id"] == b

    anyio.run(go)


def test_deleting_the_current_swarm_clears_it(tmp_path) -> None:
    async def go() -> None:
        server = build_server(ServerConfig(db=str(tmp_path / "swarm.db")))
        with anyio.fail_after(120):
            async with Client(server, mode="legacy") as c1, Client(server, mode="legacy") as c2:
                one, two = _caller(c1), _caller(c2)
                keep = ok(await one("swarm_init", {"name": "keep"}))["id"]
                gone = ok(await one("swarm_init", {"name": "gone"}))["id"]
                ok(await one("spawn_agent", {"type": "researcher"}))
                ok(await one("knowledge_add", {"title": "t", "text": "swarms search documents"}))
                assert ok(await two("swarm_status", {}))["swarm"]["id"] == gone
                out = ok(await one("swarm_delete", {"swarm_id": gone}))
                assert out["was_current"] is True and out["swarm_id"] == gone
                assert out["deleted"]["agents"] == 1 and out["deleted"]["documents"] == 1
                # both sessions had it as current: both get the same clear error, no fallback
                for call in (one, two):
                    for name, args in (
                        ("swarm_status", {}),
                        ("spawn_agent", {"type": "researcher"}),
                        ("knowledge_search", {"query": "swarms"}),
                    ):
                        text = error_text(await call(name, args))
                        assert "was deleted" in text and gone in text and "swarm_init" in text
                # an explicit id still works, and swarm_init sets a new current swarm
                assert ok(await one("swarm_status", {"swarm_id": keep}))["swarm"]["id"] == keep
                new = ok(await one("swarm_init", {}))["id"]
                assert ok(await one("swarm_status", {}))["swarm"]["id"] == new
                listed = {s["id"] for s in ok(await one("swarm_list", {}))["swarms"]}
                assert listed == {keep, new}
                assert "unknown swarm" in error_text(await one("swarm_delete", {"swarm_id": gone}))
                other = ok(await one("swarm_delete", {"swarm_id": keep}))
                assert other["was_current"] is False

    anyio.run(go)


def test_swarm_delete_and_memory_delete_are_marked_destructive(tmp_path) -> None:
    async def body(client: Client, call: Call) -> None:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        for name in ("swarm_delete", "memory_delete"):
            assert tools[name].annotations.destructive_hint is True
            assert tools[name].annotations.read_only_hint is False
        assert tools["swarm_delete"].input_schema["required"] == ["swarm_id"]
        assert "current swarm" in (tools["swarm_init"].description or "")

    run_with_client(tmp_path, body)


def test_memory_delete(tmp_path) -> None:
    async def body(client: Client, call: Call) -> None:
        ok(await call("memory_store", {"namespace": "n", "key": "k", "value": [1, 2]}))
        out = ok(await call("memory_delete", {"namespace": "n", "key": "k"}))
        assert out == {"namespace": "n", "key": "k", "deleted": True}
        assert ok(await call("memory_get", {"namespace": "n", "key": "k"}))["found"] is False
        again = ok(await call("memory_delete", {"namespace": "n", "key": "k"}))
        assert again["deleted"] is False
        bad = error_text(await call("memory_delete", {"namespace": "", "key": "k"}))
        assert "namespace" in bad

    run_with_client(tmp_path, body)


def test_benchmark_run_cleans_up_and_keeps_the_current_swarm(tmp_path) -> None:
    async def body(client: Client, call: Call) -> None:
        home = ok(await call("swarm_init", {"topology": "ring", "maxAgents": 4}))["id"]
        ok(await call("agent_spawn", {"type": "researcher", "name": "r"}))
        for kind in ("all", "swarm", "agent", "task"):
            bench = ok(await call("benchmark_run", {"type": kind, "iterations": 2}))
            assert bench["swarm_id"] != home
            assert bench["scratch_swarms_deleted"] >= 1
        assert bench["scratch_swarms_deleted"] == 1
        swarms = ok(await call("swarm_list", {}))["swarms"]
        assert [s["id"] for s in swarms] == [home]
        status = ok(await call("swarm_status", {}))
        assert status["swarm"]["id"] == home and status["agents_total"] == 1
        spawned = ok(await call("agent_spawn", {"type": "analyst"}))
        assert spawned["swarm_id"] == home
        assert ok(await call("memory_list", {}))["count"] == 0
        assert ok(await call("neural_status", {}))["count"] == 0  # its trained models went too

    run_with_client(tmp_path, body, profile="ruv-swarm")


def test_benchmark_run_cleans_up_when_it_fails(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ruv_swarm_mcp import _compat

    real = _compat._time

    async def failing(fn: Any, iterations: int) -> dict[str, Any]:
        await real(fn, iterations)
        raise RuntimeError("benchmark broke halfway")

    monkeypatch.setattr(_compat, "_time", failing)

    async def body(client: Client, call: Call) -> None:
        home = ok(await call("swarm_init", {}))["id"]
        result = await call("benchmark_run", {"type": "swarm", "iterations": 3})
        assert result.is_error
        assert [s["id"] for s in ok(await call("swarm_list", {}))["swarms"]] == [home]
        assert ok(await call("swarm_status", {}))["swarm"]["id"] == home

    run_with_client(tmp_path, body, profile="ruv-swarm")


def test_benchmark_run_never_exhausts_max_swarms(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    import functools

    import swarm_core

    # the server builds its EngineConfig from swarm_core.EngineConfig: 3 swarms in all
    monkeypatch.setattr(
        swarm_core, "EngineConfig", functools.partial(swarm_core.EngineConfig, max_swarms=3)
    )

    async def body(client: Client, call: Call) -> None:
        home = ok(await call("swarm_init", {}))["id"]
        for _ in range(6):  # each run needs the 2 free slots, so leftovers would fail run 2
            bench = ok(await call("benchmark_run", {"type": "swarm", "iterations": 1}))
            assert bench["scratch_swarms_deleted"] == 2
        assert [s["id"] for s in ok(await call("swarm_list", {}))["swarms"]] == [home]

    run_with_client(tmp_path, body, profile="ruv-swarm")


def test_retention_options_reach_the_engine_config(tmp_path) -> None:
    from ruv_swarm_mcp._cli import _build_parser
    from ruv_swarm_mcp._exceptions import ConfigError
    from ruv_swarm_mcp._serve import config_from_args

    args = _build_parser().parse_args(["--keep-tasks", "10", "--keep-event-seconds", "60"])
    cfg = config_from_args(args)
    assert cfg.retention == {"max_finished_tasks": 10, "event_retention_seconds": 60.0}
    assert config_from_args(_build_parser().parse_args([])).retention == {}
    for argv, option in (
        (["--keep-tasks", "0"], "--keep-tasks"),
        (["--keep-events", "-1"], "--keep-events"),
        (["--keep-task-seconds", "inf"], "--keep-task-seconds"),
    ):
        with pytest.raises(ConfigError, match=option):
            config_from_args(_build_parser().parse_args(argv))

    async def body(client: Client, call: Call) -> None:
        for i in range(4):
            ok(await call("memory_store", {"namespace": "n", "key": f"k{i}", "value": i}))
        usage = ok(await call("server_info", {}))
        assert usage["engine_open"] is True

    import swarm_core

    seen: list[Any] = []
    real_open = swarm_core.Engine.open

    def spy(config: Any = None, **kw: Any) -> Any:
        seen.append(config)
        return real_open(config, **kw)

    mp = pytest.MonkeyPatch()
    mp.setattr(swarm_core.Engine, "open", spy)
    try:
        run_with_client(tmp_path, body, retention={"max_events": 3})
    finally:
        mp.undo()
    assert seen and seen[0].max_events == 3


def test_benchmark_run_cleans_up_when_cancelled(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ruv_swarm_mcp import _compat

    started = anyio.Event()

    async def hanging(fn: Any, iterations: int) -> dict[str, Any]:
        await fn(0)  # one scratch swarm more, then wait to be cancelled
        started.set()
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    monkeypatch.setattr(_compat, "_time", hanging)

    async def body(client: Client, call: Call) -> None:
        home = ok(await call("swarm_init", {}))["id"]
        async with anyio.create_task_group() as tg:

            async def bench() -> None:
                await call("benchmark_run", {"type": "swarm", "iterations": 1})

            tg.start_soon(bench)
            await started.wait()
            assert len(ok(await call("swarm_list", {}))["swarms"]) == 3
            tg.cancel_scope.cancel()  # the client cancels its request
        with anyio.fail_after(30):
            while len(ok(await call("swarm_list", {}))["swarms"]) > 1:
                await anyio.sleep(0.02)
        assert [s["id"] for s in ok(await call("swarm_list", {}))["swarms"]] == [home]
        assert ok(await call("swarm_status", {}))["swarm"]["id"] == home

    run_with_client(tmp_path, body, profile="ruv-swarm")
