"""Shared memory (namespaces, TTL, limits), the append-only event log and change notifications."""

from __future__ import annotations

import anyio
import pytest

from swarm_core import EngineConfig, LimitExceededError, NotFoundError, ValidationError
from swarm_core._engine import Engine

pytestmark = [pytest.mark.anyio, pytest.mark.both_dbs]


async def test_store_get_list_delete(engine: Engine) -> None:
    e1 = await engine.memory_store("team", "plan", {"steps": [1, 2]})
    await engine.memory_store("team", "plan-b", "text value")
    await engine.memory_store("other", "plan", 42)
    got = await engine.memory_get("team", "plan")
    assert got.value == {"steps": [1, 2]} and got.expires_at is None
    assert got.created_at == e1.created_at
    e2 = await engine.memory_store("team", "plan", [3])
    assert e2.created_at == e1.created_at and e2.updated_at >= e1.updated_at
    assert [(m.namespace, m.key) for m in await engine.memory_list()] == [
        ("other", "plan"),
        ("team", "plan"),
        ("team", "plan-b"),
    ]
    assert [m.key for m in await engine.memory_list("team", prefix="plan-")] == ["plan-b"]
    assert await engine.memory_delete("team", "plan") is True
    assert await engine.memory_delete("team", "plan") is False
    with pytest.raises(NotFoundError, match="'plan' in namespace 'team'"):
        await engine.memory_get("team", "plan")


async def test_ttl_entries_vanish_and_are_purged(engine: Engine) -> None:
    await engine.memory_store("cache", "short", 1, ttl_seconds=0.4)
    await engine.memory_store("cache", "long", 2, ttl_seconds=60)
    assert (await engine.memory_get("cache", "short")).value == 1
    await anyio.sleep(0.45)
    with pytest.raises(NotFoundError):
        await engine.memory_get("cache", "short")
    assert [m.key for m in await engine.memory_list("cache")] == ["long"]
    assert await engine.purge_expired_memory() == 1
    assert await engine.purge_expired_memory() == 0
    with pytest.raises(ValidationError, match="ttl_seconds"):
        await engine.memory_store("cache", "x", 1, ttl_seconds=0)


async def test_memory_limits() -> None:
    async with Engine.open(
        EngineConfig(db=":memory:", max_memory_value_bytes=100, max_key_length=8)
    ) as eng:
        with pytest.raises(LimitExceededError, match="max_memory_value_bytes=100"):
            await eng.memory_store("n", "k", "x" * 200)
        with pytest.raises(ValidationError, match="max_key_length=8"):
            await eng.memory_store("n", "k" * 9, 1)
        with pytest.raises(ValidationError, match="JSON"):
            await eng.memory_store("n", "k", {1, 2})
        with pytest.raises(NotFoundError):
            await eng.memory_store("n", "k", 1, swarm_id="swarm-none")


async def test_event_log_is_append_only_and_filterable(engine: Engine) -> None:
    s1 = await engine.create_swarm()
    s2 = await engine.create_swarm()
    a = await engine.spawn_agent(s1.id, "analyst")
    await engine.terminate_agent(a.id)
    evs = await engine.events()
    assert [e.kind for e in evs] == [
        "swarm_created",
        "swarm_created",
        "agent_spawned",
        "agent_terminated",
    ]
    ids = [e.id for e in evs]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert [e.kind for e in await engine.events(since_id=ids[1])] == [
        "agent_spawned",
        "agent_terminated",
    ]
    assert [e.subject_id for e in await engine.events(swarm_id=s2.id)] == [s2.id]
    assert [e.subject_id for e in await engine.events(kind="agent_spawned")] == [a.id]
    assert evs[2].data["type"] == "analyst"
    assert len(await engine.events(limit=1)) == 1
    with pytest.raises(ValidationError, match="since_id"):
        await engine.events(since_id=-1)


async def test_subscribers_hear_changes(engine: Engine) -> None:
    seen: list[tuple[str, str]] = []
    unsubscribe = engine.subscribe(lambda kind, sid: seen.append((kind, sid)))
    s = await engine.create_swarm()
    a = await engine.spawn_agent(s.id, "analyst")
    unsubscribe()
    await engine.spawn_agent(s.id, "analyst")
    assert seen == [("swarm", s.id), ("agent", a.id)]
