"""State that must not grow without bound: deleting a swarm, the retention policy for finished
tasks and events, bounded fan-out results, and hot-path queries that use an index."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event as sa_event

from swarm_core import Engine, EngineConfig, InvalidStateError, NotFoundError
from swarm_core._retention import PURGE_CHUNK
from swarm_core.store._tables import TABLES

from .conftest import spin

pytestmark = pytest.mark.anyio

XOR = {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "outputs": [[0], [1], [1], [0]]}


def _rows(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


# -- delete_swarm ----------------------------------------------------------------------------


async def test_delete_swarm_removes_everything_it_owns(db_path: Path) -> None:
    async with Engine.open(EngineConfig(db=str(db_path), cpu_workers=1)) as engine:
        keep = await engine.create_swarm(name="keep")
        gone = await engine.create_swarm(name="gone")
        for sid in (keep.id, gone.id):
            await engine.spawn_agent(sid, "researcher", capabilities=["c"])
            await engine.knowledge_add(sid, "doc", "neural networks learn from examples")
            await engine.memory_store("ns", f"k-{sid}", 1, swarm_id=sid)
            await engine.train(sid, data=XOR, layers=[2], epochs=5)
        await engine.memory_store("ns", "free", 1)  # tied to no swarm: stays
        result = await engine.delete_swarm(gone.id)
        assert result["swarm_id"] == gone.id
        assert result["deleted"]["swarm"] == 1
        assert result["deleted"]["agents"] == 2  # the researcher and the auto-spawned trainer
        assert result["deleted"]["models"] == 1
        assert result["deleted"]["memory"] == 1 and result["deleted"]["documents"] == 1
        assert [s.id for s in await engine.list_swarms()] == [keep.id]
        with pytest.raises(NotFoundError):
            await engine.get_swarm(gone.id)
        with pytest.raises(NotFoundError):
            await engine.spawn_agent(gone.id, "researcher")
        assert await engine.query_agents(capability="c") == [
            a for a in await engine.query_agents(swarm_id=keep.id, capability="c")
        ]
        assert len(await engine.list_models()) == 1
        assert {e.key for e in await engine.memory_list(namespace="ns")} == {
            f"k-{keep.id}",
            "free",
        }
        assert await engine.knowledge_search(keep.id, "neural")
        # the log keeps exactly one event of the deleted swarm: its deletion, the newest id
        evs = await engine.events(swarm_id=gone.id, limit=1000)
        assert [e.kind for e in evs] == ["swarm_deleted"]
        assert evs[0].data["deleted"]["models"] == 1
        assert (await engine.events(since_id=evs[0].id - 1, limit=5))[-1].id == evs[0].id
        # the swarm is at the limit again: a slot is free
        await engine.create_swarm()
    for table in ("swarm", "agent", "agent_capability", "task", "model", "memory", "document"):
        col = "id" if table == "swarm" else "swarm_id"
        assert _rows(db_path, f"SELECT count(*) FROM {table} WHERE {col} = ?", gone.id) == [(0,)]
    assert _rows(db_path, "SELECT count(*) FROM knowledge_fts WHERE swarm_id = ?", gone.id) == [
        (0,)
    ]
    # and it stays gone after a restart
    async with Engine.open(EngineConfig(db=str(db_path))) as engine:
        assert gone.id not in {s.id for s in await engine.list_swarms()}


async def test_delete_swarm_cancels_its_running_tasks(engine: Engine) -> None:
    engine.register_handler("optimizer", "optimize", spin)
    swarm = await engine.create_swarm()
    other = await engine.create_swarm()
    await engine.spawn_agent(swarm.id, "optimizer")
    await engine.spawn_agent(other.id, "optimizer")
    busy = await engine.submit_task(swarm.id, "optimize", {"epochs": 100_000})
    queued = await engine.submit_task(swarm.id, "optimize", {"epochs": 1})
    elsewhere = await engine.submit_task(other.id, "optimize", {"epochs": 100_000})
    result = await engine.delete_swarm(swarm.id)
    assert result["cancelled_tasks"] == 2
    assert result["deleted"]["tasks"] == 2
    for tid in (busy.id, queued.id):
        with pytest.raises(NotFoundError):
            await engine.get_task(tid)
    # the other swarm's work is untouched
    assert (await engine.get_task(elsewhere.id)).status.value == "running"
    await engine.cancel_task(elsewhere.id)


async def test_delete_unknown_swarm_is_not_found(engine: Engine) -> None:
    with pytest.raises(NotFoundError):
        await engine.delete_swarm("swarm-nope")


async def test_delete_swarm_refuses_while_a_task_will_not_stop(engine: Engine) -> None:
    engine.config.cancel_wait_seconds = 0.0
    swarm = await engine.create_swarm()
    await engine.spawn_agent(swarm.id, "optimizer")
    task = await engine.submit_task(swarm.id, "optimize", {"epochs": 100_000})
    with pytest.raises(InvalidStateError, match="did not stop"):
        await engine.delete_swarm(swarm.id)
    engine.config.cancel_wait_seconds = 30.0
    await engine.wait_task(task.id)
    assert (await engine.delete_swarm(swarm.id))["deleted"]["swarm"] == 1


async def test_resolve_swarm_skips_excluded_and_deleted(engine: Engine) -> None:
    a = await engine.create_swarm()
    b = await engine.create_swarm()
    assert (await engine.resolve_swarm(None)).id == b.id
    assert (await engine.resolve_swarm(None, exclude={b.id})).id == a.id
    await engine.delete_swarm(b.id)
    assert (await engine.resolve_swarm(None)).id == a.id


# -- retention -------------------------------------------------------------------------------


async def _finished_tasks(engine: Engine, swarm_id: str, n: int) -> list[str]:
    ids = []
    for i in range(n):
        info = await engine.submit_task(swarm_id, "workflow", {"i": i})
        ids.append((await engine.wait_task(info.id)).id)
    return ids


async def test_retention_keeps_the_newest_max_finished_tasks(db_path: Path) -> None:
    cfg = EngineConfig(db=str(db_path), max_finished_tasks=3)
    async with Engine.open(cfg) as engine:
        from .conftest import register_test_handlers

        register_test_handlers(engine)
        swarm = await engine.create_swarm()
        await engine.spawn_agent(swarm.id, "coordinator")
        await engine.spawn_agent(swarm.id, "external")
        ids = await _finished_tasks(engine, swarm.id, 6)
        parked = await engine.submit_task(swarm.id, "external", {"x": 1})  # stays running
        assert await engine.purge_finished_tasks() == 3
        left = [t.id for t in await engine.list_tasks(swarm_id=swarm.id, limit=100)]
        assert left == [parked.id, *reversed(ids[3:])]
        assert await engine.purge_finished_tasks() == 0
        await engine.complete_external_task(parked.id, result={"ok": True})


async def test_retention_drops_tasks_older_than_the_age_limit(db_path: Path) -> None:
    async with Engine.open(EngineConfig(db=str(db_path))) as engine:
        from .conftest import register_test_handlers

        register_test_handlers(engine)
        swarm = await engine.create_swarm()
        await engine.spawn_agent(swarm.id, "coordinator")
        old = await _finished_tasks(engine, swarm.id, 2)
        new = await _finished_tasks(engine, swarm.id, 1)
        await engine.flush()
        con = sqlite3.connect(db_path)
        with con:
            con.executemany(
                "UPDATE task SET finished_at = ? WHERE id = ?",
                [(time.time() - 8 * 86_400, t) for t in old],
            )
        con.close()
        assert await engine.purge_finished_tasks() == 2
        assert [t.id for t in await engine.list_tasks(swarm_id=swarm.id)] == new


async def test_retention_never_drops_a_task_whose_checkpoint_is_kept(db_path: Path) -> None:
    async with Engine.open(EngineConfig(db=str(db_path), max_finished_tasks=1)) as engine:
        from .conftest import register_test_handlers

        register_test_handlers(engine)
        swarm = await engine.create_swarm()
        await engine.spawn_agent(swarm.id, "coordinator")
        first, *_ = await _finished_tasks(engine, swarm.id, 3)
        con = sqlite3.connect(db_path)
        with con:
            con.execute(
                "INSERT INTO checkpoint (task_id, swarm_id, algorithm, epochs_done, created_at,"
                " size_bytes, meta, network, history_mse, history_bit_fail)"
                " VALUES (?, ?, 'rprop', 1, ?, 0, '{}', x'', x'', x'')",
                (first, swarm.id, time.time()),
            )
        con.close()
        await engine.purge_finished_tasks()
        left = {t.id for t in await engine.list_tasks(swarm_id=swarm.id)}
        assert first in left and len(left) == 2


async def test_event_retention_by_count_and_age(db_path: Path) -> None:
    async with Engine.open(EngineConfig(db=str(db_path), max_events=5)) as engine:
        for i in range(10):
            await engine.memory_store("ns", f"k{i}", i)
        await engine.flush()
        newest = (await engine.events(since_id=0, limit=1000))[-1].id
        assert await engine.purge_old_events() > 0
        left = [e.id for e in await engine.events(limit=1000)]
        assert left == list(range(newest - 4, newest + 1))
        # age: every event is older than the limit once the clock is past it
        engine.config.event_retention_seconds = 1e-9
        assert await engine.purge_old_events() == 5
        assert await engine.events(limit=10) == []


async def test_event_purge_works_in_bounded_chunks(db_path: Path) -> None:
    async with Engine.open(EngineConfig(db=str(db_path), max_events=1)) as engine:
        await engine.memory_store("ns", "k", 1)
        await engine.flush()
        con = sqlite3.connect(db_path)
        with con:
            con.executemany(
                "INSERT INTO event (ts, swarm_id, kind, subject_id, data) VALUES (?, NULL, 'x',"
                " NULL, '{}')",
                [(time.time(),)] * (PURGE_CHUNK * 2 + 10),
            )
        con.close()
        commits = engine._writer.commits
        removed = await engine.purge_old_events()
        assert removed == PURGE_CHUNK * 2 + 10
        assert engine._writer.commits - commits >= 3  # one commit per chunk
        assert len(await engine.events(limit=10)) == 1


async def test_purge_loop_applies_retention(db_path: Path) -> None:
    import anyio

    cfg = EngineConfig(db=str(db_path), max_events=2, memory_purge_interval=0.01)
    async with Engine.open(cfg) as engine:
        for i in range(6):
            await engine.memory_store("ns", f"k{i}", i)
        with anyio.fail_after(10):
            while len(await engine.events(limit=100)) > 2:
                await anyio.sleep(0.01)


# -- fan-out results -------------------------------------------------------------------------


async def test_fanout_search_stores_each_hit_once(db_path: Path) -> None:
    async with Engine.open(EngineConfig(db=str(db_path), max_fanout_hits=3)) as engine:
        swarm = await engine.create_swarm(max_agents=50)
        for _ in range(20):
            await engine.spawn_agent(swarm.id, "researcher")
        for i in range(6):
            await engine.knowledge_add(
                swarm.id, f"doc {i}", f"Neural search {'engine ' * i}number {i}. Swarms search."
            )
        info = await engine.orchestrate(
            swarm.id,
            {"kind": "search", "query": "neural search engine", "answer": True, "limit": 10},
            strategy="parallel",
        )
        assert info.status.value == "completed", info.error
        res = info.result or {}
        hits = res["hits"]
        assert len(hits) == 3  # capped by max_fanout_hits, below the task's limit of 10
        assert len({h["doc_id"] for h in hits}) == 3
        assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
        assert res["distinct_hits"] == 6 and res["found"] is True
        assert res["answer"] and res["citations"]
        assert len(res["results"]) == 20
        assert all(set(r) == {"agent_id", "found", "hits", "best_doc_id"} for r in res["results"])
        # the same top hit a single researcher finds
        single = await engine.knowledge_search(swarm.id, "neural search engine", limit=1)
        assert hits[0]["doc_id"] == single[0].doc_id
        await engine.flush()
        children = await engine.list_tasks(parent_id=info.id, limit=100)
        assert len(children) == 20
        for child in children:
            assert child.result is not None and child.result["merged_into"] == info.id
            assert "hits" in child.result and not isinstance(child.result["hits"], list)
        stored = _rows(db_path, "SELECT sum(length(result)) FROM task")[0][0]
        one_result = len(json.dumps(res))
        assert stored < 2 * one_result  # parent + 20 summaries, not 21 full results


async def test_fanout_non_search_keeps_full_results(engine: Engine) -> None:
    swarm = await engine.create_swarm()
    for _ in range(3):
        await engine.spawn_agent(swarm.id, "coordinator")
    info = await engine.orchestrate(swarm.id, {"kind": "workflow", "x": 1}, strategy="parallel")
    assert info.status.value == "completed", info.error
    assert [r["result"]["echo"] for r in info.result["results"]] == [{"x": 1}] * 3  # type: ignore[index]


# -- hot-path queries use an index -----------------------------------------------------------

# tables that grow with use (checkpoints are capped by max_checkpoints, read whole by their purge)
_GROWING = ("task", "event", "agent", "agent_capability", "memory", "model")
_SCAN = re.compile(r"\bSCAN (\w+)(.*)")


def _unindexed(plan: list[str], sql: str) -> list[str]:
    """Plan steps that visit every row of a table that grows with history. A walk in index
    (or rowid) order is fine when the statement stops early (LIMIT)."""
    bad = []
    upper = " ".join(sql.upper().split())
    for step in plan:
        m = _SCAN.search(step)
        if m is None or m.group(1) not in _GROWING:
            continue
        if " LIMIT " in upper and ("INDEX" in m.group(2) or " WHERE " not in upper):
            continue
        bad.append(step)
    return bad


async def test_hot_path_queries_use_indexes(db_path: Path) -> None:
    async with Engine.open(
        EngineConfig(db=str(db_path), cpu_workers=1, max_finished_tasks=10)
    ) as engine:
        swarm = await engine.create_swarm()
        for _ in range(3):
            await engine.spawn_agent(swarm.id, "researcher", capabilities=["web"])
        await engine.knowledge_add(swarm.id, "doc", "neural networks and swarms")
        await engine.flush()
        seen: list[tuple[str, Any]] = []

        def capture(conn: Any, cursor: Any, statement: str, params: Any, *_a: Any) -> None:
            if statement.lstrip().upper().startswith(("SELECT", "DELETE", "UPDATE")):
                seen.append((statement, params))

        sa_event.listen(engine._store.engine, "before_cursor_execute", capture)
        try:
            info = await engine.orchestrate(
                swarm.id, {"kind": "search", "query": "neural"}, strategy="parallel"
            )
            await engine.get_task(info.id)
            await engine.wait_task(info.id)
            await engine.list_tasks(swarm_id=swarm.id)
            await engine.list_tasks(parent_id=info.id)
            await engine.list_tasks(agent_id=(await engine.query_agents())[0].id)
            await engine.events(since_id=0, limit=10)
            await engine.events(since_id=0, limit=10, swarm_id=swarm.id)
            await engine.events(since_id=0, limit=10, kind="task_completed")
            await engine.memory_store("ns", "k", 1)
            await engine.memory_get("ns", "k")
            await engine.memory_delete("ns", "k")
            await engine.swarm_status(swarm.id)
            await engine.submit_task(swarm.id, "search", {"query": "x"}, depends_on=[info.id])
            await engine.purge_stale_checkpoints()
            await engine.purge_history()
            scratch = await engine.create_swarm()
            await engine.spawn_agent(scratch.id, "researcher", capabilities=["web"])
            await engine.delete_swarm(scratch.id)
        finally:
            sa_event.remove(engine._store.engine, "before_cursor_execute", capture)
        await engine.flush()
    assert len(seen) > 10
    con = sqlite3.connect(db_path)
    problems = []
    try:
        for sql, params in seen:
            if "knowledge_fts" in sql:
                continue  # the FTS5 index is its own
            plan = [r[-1] for r in con.execute("EXPLAIN QUERY PLAN " + sql, params or ())]
            bad = _unindexed(plan, sql)
            if bad:
                problems.append(f"{sql!r}: {bad}")
    finally:
        con.close()
    assert not problems, "\n".join(problems)


def test_unindexed_detects_a_full_scan(tmp_path: Path) -> None:
    # the check itself must be able to fail
    con = sqlite3.connect(tmp_path / "x.db")
    con.execute("CREATE TABLE task (id TEXT PRIMARY KEY, kind TEXT, seq INT)")
    con.execute("CREATE INDEX ix_task_seq ON task (seq)")
    sql = "SELECT id FROM task WHERE kind = ?"
    plan = [r[-1] for r in con.execute("EXPLAIN QUERY PLAN " + sql, ("x",))]
    assert _unindexed(plan, sql)
    sql = "SELECT id FROM task ORDER BY seq DESC LIMIT 5"
    plan = [r[-1] for r in con.execute("EXPLAIN QUERY PLAN " + sql)]
    assert not _unindexed(plan, sql)
    con.close()


async def test_new_index_is_added_to_an_existing_database(db_path: Path) -> None:
    async with Engine.open(EngineConfig(db=str(db_path))):
        pass
    con = sqlite3.connect(db_path)
    con.execute("DROP INDEX ix_task_finished_at")
    con.execute("DROP TABLE alembic_version")  # as made before migrations (and the index)
    con.commit()
    con.close()
    async with Engine.open(EngineConfig(db=str(db_path))):
        pass
    names = {r[0] for r in _rows(db_path, "SELECT name FROM sqlite_master WHERE type='index'")}
    assert {ix.name for ix in TABLES["task"].indexes} <= names


# -- export checksums --------------------------------------------------------------------------


async def _exported(tmp_path: Path) -> tuple[dict[str, Any], str]:
    async with Engine.open(EngineConfig(db=":memory:")) as src:
        s = await src.create_swarm("exported")
        await src.spawn_agent(s.id, "researcher")
        await src.memory_store("ns", "k", {"v": 12345}, swarm_id=s.id)
        await src.knowledge_add(s.id, "Doc", "Cascade-Correlation grows hidden units.")
        data = await src.export_swarm(s.id)
    return data, s.id


async def test_export_carries_a_checksum_that_import_verifies(tmp_path: Path) -> None:
    from swarm_core._export import export_checksum

    data, sid = await _exported(tmp_path)
    assert data["checksum"].startswith("sha256:") and len(data["checksum"]) == 7 + 64
    assert data["checksum"] == export_checksum(data)
    # re-indenting the file keeps the content, so it still imports
    path = tmp_path / "export.json"
    path.write_text(json.dumps(data, indent=2))
    async with Engine.open(EngineConfig(db=":memory:")) as dst:
        await dst.import_swarm(json.loads(path.read_text()))
        ev = (await dst.events(kind="swarm_imported"))[0]
        assert ev.data["checksum"] == "verified" and "warning" not in ev.data
        assert (await dst.get_swarm(sid)).name == "exported"


@pytest.mark.parametrize("needle", ["12345", "hidden units", "researcher", "exported"])
async def test_import_refuses_an_export_with_one_byte_changed(tmp_path: Path, needle: str) -> None:
    data, _sid = await _exported(tmp_path)
    raw = json.dumps(data).encode()
    at = raw.index(needle.encode()) + len(needle) - 1  # still valid JSON once flipped
    changed = raw[:at] + bytes([raw[at] ^ 0x01]) + raw[at + 1 :]
    async with Engine.open(EngineConfig(db=":memory:")) as dst:
        with pytest.raises(Exception) as info:
            await dst.import_swarm(json.loads(changed))
        assert getattr(info.value, "field", None) == "checksum"
        assert "checksum mismatch" in str(info.value)
        assert await dst.list_swarms() == []


async def test_old_export_without_checksum_imports_with_a_warning(tmp_path: Path) -> None:
    from swarm_core import ValidationError

    data, _sid = await _exported(tmp_path)
    data.pop("checksum")
    async with Engine.open(EngineConfig(db=":memory:")) as dst:
        with pytest.raises(ValidationError, match="no checksum"):
            await dst.import_swarm(data, require_checksum=True)
        await dst.import_swarm(data)
        ev = (await dst.events(kind="swarm_imported"))[0]
        assert ev.data["checksum"] == "absent" and "not verified" in ev.data["warning"]
    async with Engine.open(EngineConfig(db=":memory:")) as dst:
        with pytest.raises(ValidationError, match="checksum must be"):
            await dst.import_swarm({**data, "checksum": 42})
