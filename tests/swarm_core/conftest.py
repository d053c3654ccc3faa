"""Engine fixtures for the engine's tests: a fresh in-memory or file engine and tiny handlers
registered per test (the real agent handlers are exercised by the strategy/agent tests)."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from swarm_core import EngineConfig
from swarm_core._engine import Engine


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def echo(ctx: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """Returns its payload and who ran it (the cheapest real round trip through the engine)."""
    return {"echo": payload, "agent_id": ctx.agent.id if ctx.agent else None}


async def spin(ctx: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """CPU loop in a worker thread that polls cancel_event like a training loop polls per epoch;
    reports how many 'epochs' it ran."""
    epochs = int(payload.get("epochs", 1_000_000))
    epoch_seconds = float(payload.get("epoch_seconds", 0.01))
    ran = {"n": 0}
    ev: threading.Event = ctx.cancel_event

    def loop() -> int:
        for i in range(epochs):
            if ev.is_set():
                return i
            t_end = time.perf_counter() + epoch_seconds
            while time.perf_counter() < t_end:
                pass
            ran["n"] = i + 1
        return epochs

    done = await ctx.run_cpu(loop)
    ctx.check_cancelled()
    return {"epochs": done}


async def sleeper(ctx: Any, payload: dict[str, Any]) -> dict[str, Any]:
    import anyio

    await anyio.sleep(float(payload.get("seconds", 10)))
    return {"slept": payload.get("seconds", 10)}


async def boom(ctx: Any, payload: dict[str, Any]) -> dict[str, Any]:
    raise RuntimeError(payload.get("message", "boom"))


def register_test_handlers(engine: Engine) -> None:
    engine.register_handler("analyst", "external", echo)  # never used: external tasks park
    engine.register_handler("optimizer", "optimize", spin)
    engine.register_handler("researcher", "search", sleeper)
    engine.register_handler("researcher", "ingest", boom)
    engine.register_handler("coordinator", "workflow", echo)


@pytest.fixture
def engine_db(request: pytest.FixtureRequest, db_backend: str) -> str:
    """The engine fixture's database: in-memory SQLite, or a fresh PostgreSQL database when the
    test is marked `both_dbs` and runs on that backend."""
    if db_backend == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return ":memory:"


@pytest.fixture
async def engine(engine_db: str) -> AsyncIterator[Engine]:
    async with Engine.open(EngineConfig(db=engine_db, cpu_workers=2)) as eng:
        register_test_handlers(eng)
        yield eng


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "swarm.db"
