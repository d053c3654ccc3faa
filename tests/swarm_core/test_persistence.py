"""Persistence: acknowledged writes are on disk, a restart restores everything (unfinished tasks
become interrupted), export/import round-trips a whole swarm, database location and modes."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import anyio
import pytest

from swarm_core import AlreadyExistsError, EngineConfig, TaskStatus, ValidationError
from swarm_core._config import default_db_path
from swarm_core._engine import Engine

from .conftest import register_test_handlers

pytestmark = pytest.mark.anyio


def raw(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Read with a separate plain sqlite3 connection: what another process would see."""
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


async def save_tiny_model(engine: Engine, swarm_id: str) -> str:
    import neural

    net = neural.Network.standard([2, 3, 1], seed=7)
    info = await engine._models.save(
        swarm_id,
        net,
        {
            "name": "tiny",
            "layers": [2, 3, 1],
            "algorithm": "rprop",
            "metrics": {"mse": 0.25},
            "history": {"epochs": 3},
        },
    )
    return info.id


async def test_acknowledged_writes_are_committed_on_return(db_path: Path) -> None:
    async with Engine.open(EngineConfig(db=str(db_path))) as eng:
        assert raw(db_path, "PRAGMA journal_mode") == [("wal",)]
        s = await eng.create_swarm("durable")
        assert raw(db_path, "SELECT name FROM swarm WHERE id = ?", s.id) == [("durable",)]
        a = await eng.spawn_agent(s.id, "analyst")
        assert raw(db_path, "SELECT status FROM agent WHERE id = ?", a.id) == [("idle",)]
        await eng.memory_store("n", "k", {"v": 1})
        assert raw(db_path, "SELECT value FROM memory WHERE key = 'k'") == [('{"v": 1}',)]
        assert raw(db_path, "SELECT count(*) FROM event") == [(3,)]
        assert eng.integrity_check() == "ok"


@pytest.mark.both_dbs
async def test_restart_restores_everything_and_interrupts_running_work(db_url: str) -> None:
    cfg = EngineConfig(db=db_url)
    async with Engine.open(cfg) as eng:
        register_test_handlers(eng)
        s = await eng.create_swarm("keep", topology="hierarchical", max_agents=9)
        agents = [
            await eng.spawn_agent(s.id, t) for t in ("coordinator", "researcher", "optimizer")
        ]
        done = await eng.wait_task((await eng.submit_task(s.id, "search", {"seconds": 0})).id)
        long = await eng.submit_task(s.id, "optimize", {"epoch_seconds": 0.01})
        queued = await eng.submit_task(s.id, "optimize", {"epoch_seconds": 0.01})
        await eng.memory_store("notes", "a", [1, 2, 3], swarm_id=s.id)
        doc = await eng.knowledge_add(s.id, "Rprop", "Resilient backpropagation adapts step sizes.")
        model_id = await save_tiny_model(eng, s.id)
        await anyio.sleep(0.05)
    # close() interrupted the unfinished tasks and recorded it
    async with Engine.open(cfg) as eng:
        assert eng.restored["swarms"] == 1 and eng.restored["agents"] == 3
        assert (await eng.get_swarm(s.id)).topology.value == "hierarchical"
        assert [a.id for a in await eng.query_agents(s.id)] == [a.id for a in agents]
        assert all(a.status.value == "idle" for a in await eng.query_agents(s.id))
        assert (await eng.get_task(done.id)).status is TaskStatus.COMPLETED
        for t in (long, queued):
            info = await eng.get_task(t.id)
            assert info.status is TaskStatus.INTERRUPTED and "interrupted" in (info.error or "")
        assert (await eng.memory_get("notes", "a")).value == [1, 2, 3]
        assert [h.doc_id for h in await eng.knowledge_search(s.id, "resilient step sizes")] == [doc]
        assert (await eng.get_model(model_id)).metrics == {"mse": 0.25}
        net, meta = await eng._models.load(model_id)
        assert meta["layers"] == [2, 3, 1] and net.n_inputs == 2
        # interrupted work can be retried after a restart
        register_test_handlers(eng)
        again = await eng.retry_task(queued.id)
        assert again.attempts == 2
        assert (await eng.cancel_task(queued.id)).status is TaskStatus.CANCELLED
        # new ids keep counting after the restored ones (join order is preserved)
        newest = await eng.spawn_agent(s.id, "analyst")
        assert (await eng.query_agents(s.id))[-1].id == newest.id
        assert eng.integrity_check() == "ok"


@pytest.mark.both_dbs
async def test_export_import_round_trip(engine_db: str) -> None:
    async with Engine.open(EngineConfig(db=":memory:")) as src:
        register_test_handlers(src)
        s = await src.create_swarm("exported", topology="ring", strategy="cascade", max_agents=5)
        await src.spawn_agent(s.id, "researcher", capabilities=["search"])
        gone = await src.spawn_agent(s.id, "tester")
        await src.terminate_agent(gone.id)
        t = await src.submit_task(s.id, "search", {"seconds": 0})
        await src.wait_task(t.id)
        await src.memory_store("ns", "k", {"deep": [1, {"x": 2}]}, swarm_id=s.id)
        await src.memory_store("ns", "unrelated", 1)  # not tied to the swarm: not exported
        await src.knowledge_add(
            s.id, "Cascade", "Cascade-Correlation grows hidden units one by one.", {"src": "paper"}
        )
        await save_tiny_model(src, s.id)
        dump = await src.export_swarm(s.id)
    assert [m["key"] for m in dump["memory"]] == ["k"]
    async with Engine.open(EngineConfig(db=engine_db)) as dst:
        imported = await dst.import_swarm(dump)
        assert imported.id == s.id
        again = await dst.export_swarm(s.id)
        for field in ("exported_at", "checksum"):
            dump.pop(field), again.pop(field)
        assert again == dump
        assert [h.title for h in await dst.knowledge_search(s.id, "hidden units")] == ["Cascade"]
        net, _ = await dst._models.load(dump["models"][0]["id"])
        assert net.layer_sizes == (2, 3, 1)
        with pytest.raises(AlreadyExistsError, match=s.id):
            await dst.import_swarm(dump)
        with pytest.raises(ValidationError, match="format"):
            await dst.import_swarm({"format": "something-else"})


async def test_database_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("RUV_SWARM_DB", raising=False)
    assert default_db_path() == tmp_path / "xdg" / "ruv-swarm-mcp" / "swarm.db"
    assert (
        EngineConfig().database_url()
        == f"sqlite:///{tmp_path / 'xdg' / 'ruv-swarm-mcp' / 'swarm.db'}"
    )
    monkeypatch.setenv("RUV_SWARM_DB", str(tmp_path / "env.db"))
    assert EngineConfig().database_url().endswith("env.db")
    assert EngineConfig(db=":memory:").database_url() == "sqlite://"
    url = f"sqlite:///{tmp_path / 'url.db'}"
    assert EngineConfig(db=url).database_url() == url
    async with Engine.open(EngineConfig()) as eng:
        await eng.create_swarm()
    assert (tmp_path / "env.db").is_file()


async def test_synchronous_mode_is_applied(db_path: Path) -> None:
    async with Engine.open(EngineConfig(db=str(db_path), synchronous="NORMAL")) as eng:
        mode = eng._store.read(lambda c: c.exec_driver_sql("PRAGMA synchronous").scalar())
        assert mode == 1  # NORMAL
    async with Engine.open(EngineConfig(db=str(db_path))) as eng:
        mode = eng._store.read(lambda c: c.exec_driver_sql("PRAGMA synchronous").scalar())
        assert mode == 2  # FULL
    with pytest.raises(ValueError):
        EngineConfig(synchronous="OFF")  # type: ignore[arg-type]


@pytest.mark.both_dbs
async def test_one_engine_per_database_file(db_url: str) -> None:
    from swarm_core import StoreError

    async with Engine.open(EngineConfig(db=db_url)) as eng:
        await eng.create_swarm()
        with pytest.raises(StoreError, match="in use by another engine"):
            async with Engine.open(EngineConfig(db=db_url)):
                pass
    async with Engine.open(EngineConfig(db=db_url)) as again:  # released on close
        assert len(await again.list_swarms()) == 1


async def test_generic_sqlalchemy_path_works(db_path: Path) -> None:
    """Other databases go through SQLAlchemy Core instead of the SQLite fast paths; run the same
    calls with the fast paths switched off."""
    async with Engine.open(EngineConfig(db=str(db_path))) as eng:
        register_test_handlers(eng)
        eng._store.is_sqlite = False
        s = await eng.create_swarm()
        a = await eng.spawn_agent(s.id, "researcher", name="alpha", capabilities=["web"])
        await eng.spawn_agent(s.id, "analyst")
        assert [x.id for x in await eng.query_agents(s.id, capability="web", name="alp")] == [a.id]
        assert [x.id for x in await eng.query_agents(s.id, type="researcher", status="idle")] == [
            a.id
        ]
        t = await eng.submit_task(s.id, "search", {"seconds": 0})
        done = await eng.wait_task(t.id)
        assert done.status is TaskStatus.COMPLETED and done.result == {"slept": 0}
        await eng.memory_store("g", "k", {"v": [1]})
        await eng.memory_store("g", "k", {"v": [2]})
        assert (await eng.memory_get("g", "k")).value == {"v": [2]}
        assert await eng.memory_delete("g", "k") is True
        stored = raw(db_path, "SELECT result, payload FROM task WHERE id = ?", t.id)
        # one write path now: the JSON text is the compact form the engine serialised
        assert [tuple(json.loads(v) for v in row) for row in stored] == [
            ({"slept": 0}, {"seconds": 0})
        ]
