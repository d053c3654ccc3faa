"""Swarms and agents: creation, limits (also under concurrency), queries, termination, errors."""

from __future__ import annotations

import anyio
import pytest

from swarm_core import (
    AgentStatus,
    AgentType,
    EngineConfig,
    InvalidStateError,
    LimitExceededError,
    NotFoundError,
    Strategy,
    Topology,
    ValidationError,
)
from swarm_core._engine import Engine

pytestmark = [pytest.mark.anyio, pytest.mark.both_dbs]


async def test_create_get_list_resolve(engine: Engine) -> None:
    with pytest.raises(NotFoundError, match="swarm_init"):
        await engine.resolve_swarm(None)
    a = await engine.create_swarm("alpha", topology="ring", strategy="divergent", max_agents=7)
    assert (a.topology, a.strategy, a.max_agents, a.name) == (
        Topology.RING,
        Strategy.DIVERGENT,
        7,
        "alpha",
    )
    assert (await engine.resolve_swarm(None)).id == a.id
    b = await engine.create_swarm()
    assert b.max_agents == 100 and b.topology is Topology.MESH
    assert [s.id for s in await engine.list_swarms()] == [a.id, b.id]
    assert (await engine.resolve_swarm(None)).id == b.id  # most recent
    assert (await engine.get_swarm(a.id)).name == "alpha"
    with pytest.raises(NotFoundError, match="swarm-nope"):
        await engine.get_swarm("swarm-nope")


async def test_bad_swarm_requests_name_the_field_and_limit(engine: Engine) -> None:
    with pytest.raises(ValidationError, match="allowed: mesh, hierarchical, ring, star") as e:
        await engine.create_swarm(topology="blob")
    assert e.value.field == "topology"
    with pytest.raises(ValidationError, match="strategy"):
        await engine.create_swarm(strategy="random")
    with pytest.raises(LimitExceededError, match="max_agents_limit=10000") as e2:
        await engine.create_swarm(max_agents=10_001)
    assert e2.value.limit == "max_agents_limit"
    with pytest.raises(ValidationError, match="max_agents"):
        await engine.create_swarm(max_agents=0)


async def test_max_swarms() -> None:
    async with Engine.open(EngineConfig(db=":memory:", max_swarms=2)) as eng:
        await eng.create_swarm()
        await eng.create_swarm()
        with pytest.raises(LimitExceededError, match="max_swarms=2"):
            await eng.create_swarm()


async def test_max_agents_can_reach_ten_thousand() -> None:
    async with Engine.open(EngineConfig(db=":memory:")) as eng:
        s = await eng.create_swarm(max_agents=10_000)
        assert s.max_agents == 10_000


async def test_spawn_types_roles_and_errors(engine: Engine) -> None:
    s = await engine.create_swarm(max_agents=10)
    n = await engine.spawn_agent(
        s.id, "neural-processor", name="np", capabilities=["vision", "xor"]
    )
    assert n.type is AgentType.NEURAL_PROCESSOR and n.status is AgentStatus.IDLE
    assert n.cognitive_pattern is Strategy.PARALLEL  # swarm default
    c = await engine.spawn_agent(s.id, "coder", cognitive_pattern="convergent")
    assert (c.type, c.role, c.cognitive_pattern) == (
        AgentType.EXTERNAL,
        "coder",
        Strategy.CONVERGENT,
    )
    with pytest.raises(ValidationError, match=r"allowed: neural-processor.*coder") as e:
        await engine.spawn_agent(s.id, "wizard")
    assert e.value.field == "type"
    with pytest.raises(NotFoundError, match="swarm-missing"):
        await engine.spawn_agent("swarm-missing", "analyst")
    with pytest.raises(ValidationError, match="capabilities"):
        await engine.spawn_agent(s.id, "analyst", capabilities="not-a-list")
    assert (await engine.get_agent(n.id)).capabilities == ["vision", "xor"]
    with pytest.raises(NotFoundError, match="agent-zzz"):
        await engine.get_agent("agent-zzz")


async def test_100_concurrent_spawns_give_100_distinct_agents(engine: Engine) -> None:
    s = await engine.create_swarm(max_agents=100)
    ids: list[str] = []

    async def one() -> None:
        ids.append((await engine.spawn_agent(s.id, "researcher")).id)

    async with anyio.create_task_group() as tg:
        for _ in range(100):
            tg.start_soon(one)
    assert len(ids) == 100 == len(set(ids))
    stored = await engine.query_agents(s.id, limit=1000)
    assert {a.id for a in stored} == set(ids)
    with pytest.raises(LimitExceededError, match="max_agents is 100") as e:
        await engine.spawn_agent(s.id, "researcher")
    assert e.value.limit == "max_agents"


async def test_max_agents_holds_under_concurrency(engine: Engine) -> None:
    s = await engine.create_swarm(max_agents=30)
    ok, refused = [], []

    async def one() -> None:
        try:
            ok.append(await engine.spawn_agent(s.id, "analyst"))
        except LimitExceededError:
            refused.append(1)

    async with anyio.create_task_group() as tg:
        for _ in range(80):
            tg.start_soon(one)
    assert (len(ok), len(refused)) == (30, 50)
    assert (await engine.swarm_status(s.id)).agents_total == 30


async def test_query_filters_use_every_field(engine: Engine) -> None:
    s1 = await engine.create_swarm()
    s2 = await engine.create_swarm()
    a = await engine.spawn_agent(s1.id, "neural-processor", name="alpha-1", capabilities=["gpu"])
    b = await engine.spawn_agent(s1.id, "neural-processor", name="beta-2")
    c = await engine.spawn_agent(s1.id, "tester", name="alpha-3", capabilities=["gpu"])
    d = await engine.spawn_agent(s2.id, "neural-processor", name="alpha-4")
    q = engine.query_agents
    assert [x.id for x in await q(s1.id)] == [a.id, b.id, c.id]
    assert [x.id for x in await q(type="neural-processor")] == [a.id, b.id, d.id]
    assert [x.id for x in await q(s1.id, type="tester")] == [c.id]
    assert [x.id for x in await q(s1.id, type="external")] == [c.id]
    assert [x.id for x in await q(capability="gpu")] == [a.id, c.id]
    assert [x.id for x in await q(name="alpha")] == [a.id, c.id, d.id]
    assert [x.id for x in await q(s1.id, limit=1, offset=1)] == [b.id]
    await engine.terminate_agent(b.id)
    assert [x.id for x in await q(s1.id, status="idle")] == [a.id, c.id]
    assert [x.id for x in await q(status="terminated")] == [b.id]
    with pytest.raises(ValidationError, match="limit"):
        await q(limit=0)
    with pytest.raises(ValidationError, match="status"):
        await q(status="sleepy")
    with pytest.raises(NotFoundError):
        await q("swarm-unknown")


async def test_terminate_transitions(engine: Engine) -> None:
    s = await engine.create_swarm(max_agents=1)
    a = await engine.spawn_agent(s.id, "analyst")
    t = await engine.terminate_agent(a.id)
    assert t.status is AgentStatus.TERMINATED and t.terminated_at is not None
    assert (await engine.get_agent(a.id)).status is AgentStatus.TERMINATED
    with pytest.raises(InvalidStateError, match="terminated to terminated"):
        await engine.terminate_agent(a.id)
    with pytest.raises(NotFoundError, match="agent-nope"):
        await engine.terminate_agent("agent-nope")
    # a terminated agent frees its slot
    await engine.spawn_agent(s.id, "analyst")


async def test_swarm_status_counts_real_state(engine: Engine) -> None:
    s = await engine.create_swarm(topology="star")
    co = await engine.spawn_agent(s.id, "coordinator")
    for _ in range(3):
        await engine.spawn_agent(s.id, "neural-processor")
    st = await engine.swarm_status(s.id)
    assert st.agents_total == 4
    assert st.agents_by_type == {"coordinator": 1, "neural-processor": 3}
    assert st.topology["hub"] == co.id
    assert st.tasks_by_status == {}
