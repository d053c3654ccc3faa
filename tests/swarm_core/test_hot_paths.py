"""The engine's fast read paths answer exactly what the general ones do."""

from __future__ import annotations

from pathlib import Path

import pytest

from swarm_core import Engine, EngineConfig

pytestmark = pytest.mark.anyio


async def test_query_agents_json_is_query_agents_dumped(tmp_path: Path) -> None:
    async with Engine.open(EngineConfig(db=str(tmp_path / "swarm.db"))) as engine:
        swarm = await engine.create_swarm(max_agents=50)
        for i in range(6):
            await engine.spawn_agent(
                swarm.id, "coder" if i % 2 else "researcher", capabilities=["x"] if i < 3 else ()
            )
        first = (await engine.query_agents())[0]
        await engine.terminate_agent(first.id)  # now only in the store
        for kwargs in (
            {},
            {"type": "coder"},
            {"status": "terminated"},
            {"capability": "x"},
            {"limit": 2, "offset": 1},
            {"swarm_id": swarm.id, "status": "idle"},
        ):
            models = await engine.query_agents(**kwargs)  # type: ignore[arg-type]
            dicts = await engine.query_agents_json(**kwargs)  # type: ignore[arg-type]
            assert dicts == [m.model_dump(mode="json") for m in models], kwargs
        everyone = await engine.query_agents_json()
        assert len(everyone) == 6
        assert everyone[0]["id"] == first.id and everyone[0]["status"] == "terminated"


async def test_query_agents_returns_copies_not_live_records(tmp_path: Path) -> None:
    async with Engine.open(EngineConfig(db=str(tmp_path / "swarm.db"))) as engine:
        swarm = await engine.create_swarm()
        agent = await engine.spawn_agent(swarm.id, "researcher")
        (got,) = await engine.query_agents()
        got.name = "changed by the caller"
        assert (await engine.get_agent(agent.id)).name == agent.name


async def test_a_failed_commit_rolls_back_and_the_writer_goes_on(tmp_path: Path) -> None:
    from sqlalchemy import text

    from swarm_core.store._db import Store

    store = Store(f"sqlite:///{tmp_path / 'swarm.db'}")
    store.create()
    try:

        def bad(conn: object) -> None:
            conn.execute(text("INSERT INTO meta (key, value) VALUES ('k', 'v')"))  # type: ignore[attr-defined]
            conn.execute(text("INSERT INTO meta (key, value) VALUES ('k', 'again')"))  # type: ignore[attr-defined]

        with pytest.raises(Exception, match="UNIQUE"):
            store.write(bad)
        store.write(
            lambda conn: conn.execute(text("INSERT INTO meta (key, value) VALUES ('k2', 'v2')"))
        )
        rows = store.fast_rows("SELECT key FROM meta WHERE key IN ('k', 'k2') ORDER BY key", [])
        assert rows == [("k2",)]
    finally:
        store.close()
