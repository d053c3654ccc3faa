"""EngineConfig validation and the engine's start/close lifecycle."""

from __future__ import annotations

import pytest

from swarm_core import EngineClosedError, EngineConfig, ValidationError
from swarm_core._config import make_config
from swarm_core._engine import Engine

pytestmark = pytest.mark.anyio


def test_config_errors_name_the_field() -> None:
    with pytest.raises(ValidationError, match="max_agents_limit") as e:
        make_config(max_agents_limit=0)
    assert e.value.field == "max_agents_limit"
    with pytest.raises(ValidationError, match="exceeds max_agents_limit"):
        make_config(max_agents_default=50, max_agents_limit=10)
    with pytest.raises(ValidationError, match="no_such_option"):
        make_config(no_such_option=1)
    with pytest.raises(ValidationError, match="db"):
        make_config(db="  ")
    base = make_config(max_swarms=3)
    assert make_config(base, cpu_workers=1).max_swarms == 3
    assert EngineConfig().max_agents_default == 100 and EngineConfig().max_agents_limit == 10_000


async def test_calls_outside_the_lifecycle_are_clear() -> None:
    eng = Engine(db=":memory:")
    with pytest.raises(EngineClosedError, match="not started"):
        await eng.create_swarm()
    await eng.start()
    with pytest.raises(EngineClosedError, match="already started"):
        await eng.start()
    s = await eng.create_swarm()
    await eng.close()
    await eng.close()  # idempotent
    with pytest.raises(EngineClosedError):
        await eng.spawn_agent(s.id, "analyst")


async def test_async_subscribers_are_awaited() -> None:
    heard: list[tuple[str, str]] = []

    async def listener(kind: str, subject: str) -> None:
        heard.append((kind, subject))

    async with Engine.open(db=":memory:") as eng:
        eng.subscribe(listener)
        s = await eng.create_swarm()
        await eng.memory_store("n", "k", 1)
        await eng.flush()
    assert heard == [("swarm", s.id), ("memory", "n/k")]
