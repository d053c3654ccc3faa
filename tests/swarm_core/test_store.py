"""The single write path: coalescing, multi-row statements, and failure reaching every waiter."""

from __future__ import annotations

import time
from pathlib import Path

import anyio
import pytest

from swarm_core import StoreError
from swarm_core.store._db import Store
from swarm_core.store._writer import DELETE, INSERT, UPDATE, UPSERT, Writer, _merge

pytestmark = pytest.mark.anyio


def test_merge_rules() -> None:
    a = {"id": "x", "v": 1}
    assert _merge(None, INSERT, a) == (INSERT, a)
    assert _merge((INSERT, a), UPDATE, {"id": "x", "v": 2}) == (INSERT, {"id": "x", "v": 2})
    assert _merge((UPDATE, {"id": "x", "s": 1}), UPDATE, {"id": "x", "v": 2}) == (
        UPDATE,
        {"id": "x", "s": 1, "v": 2},
    )
    assert _merge((INSERT, a), DELETE, {"id": "x"}) == (DELETE, {"id": "x"})
    assert _merge((DELETE, {"id": "x"}), UPDATE, {"id": "x", "v": 3}) == (DELETE, {"id": "x"})
    assert _merge((DELETE, {"id": "x"}), INSERT, a) == (UPSERT, a)
    assert _merge((UPDATE, {"id": "x"}), UPSERT, a) == (UPSERT, a)


def swarm(i: int, name: str = "s") -> dict[str, object]:
    return {
        "id": f"swarm-{i}",
        "seq": i,
        "name": name,
        "topology": "mesh",
        "strategy": "parallel",
        "max_agents": 5,
        "created_at": time.time(),
    }


async def test_group_commit_coalesces_and_chunks(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    store.create()
    w = Writer(store)
    async with anyio.create_task_group() as tg:
        await tg.start(w.run)
        # 450 rows (several statements of at most 200 rows), each updated and some deleted
        for i in range(450):
            w.row("swarm", INSERT, swarm(i))
            w.row("swarm", UPDATE, {"id": f"swarm-{i}", "name": f"n{i}"})
        for i in range(0, 450, 3):
            w.row("swarm", DELETE, None, key=(f"swarm-{i}",))
        last = w.event(
            {"ts": 1.0, "swarm_id": None, "kind": "k", "subject_id": None, "data": {"a": [1]}}
        )
        await last.wait()
        assert w.commits == 1
        for i in range(1, 450, 3):  # updates of committed rows, many per statement
            w.row("swarm", UPDATE, {"id": f"swarm-{i}", "max_agents": 9})
        await w.flush()
        w.close()
    rows = dict(store.read(lambda c: c.exec_driver_sql("SELECT id, name FROM swarm").all()))
    assert len(rows) == 300 and rows["swarm-1"] == "n1" and "swarm-0" not in rows
    nine = store.read(
        lambda c: c.exec_driver_sql("SELECT count(*) FROM swarm WHERE max_agents = 9").scalar()
    )
    assert nine == 150
    ev = store.read(lambda c: c.exec_driver_sql("SELECT data FROM event").all())
    assert ev == [('{"a": [1]}',)]


async def test_a_failed_commit_reaches_every_waiter_and_the_next_batch_works(
    tmp_path: Path,
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'f.db'}")
    store.create()
    w = Writer(store)
    async with anyio.create_task_group() as tg:
        await tg.start(w.run)
        await w.row("swarm", INSERT, swarm(1)).wait()
        released: list[bool] = []
        bad = w.row("swarm", INSERT, swarm(2))
        w.row("swarm", INSERT, swarm(1, "duplicate"))  # primary key clash: the batch fails
        bad.callbacks.append(lambda: released.append(True))
        with pytest.raises(StoreError, match="write failed"):
            await bad.wait()
        assert released == [True]
        await w.row("swarm", INSERT, swarm(3)).wait()
        w.close()
    ids = store.read(
        lambda c: c.exec_driver_sql("SELECT id FROM swarm ORDER BY id").scalars().all()
    )
    assert ids == ["swarm-1", "swarm-3"]  # nothing of the failed batch was applied


def memory_row(key: str, value: str, t: float) -> dict[str, object]:
    return {
        "namespace": "n",
        "key": key,
        "swarm_id": None,
        "value": {"v": value},
        "created_at": t,
        "updated_at": t,
        "expires_at": None,
    }


async def test_every_write_is_parameterised_sqlalchemy_and_upserts_without_replace(
    tmp_path: Path,
) -> None:
    from sqlalchemy import event, text

    store = Store(f"sqlite:///{tmp_path / 'p.db'}")
    store.create()
    seen: list[tuple[str, object]] = []
    event.listen(
        store.engine,
        "before_cursor_execute",
        lambda _c, _cur, sql, params, _ctx, _many: seen.append((sql, params)),
    )
    w = Writer(store)
    async with anyio.create_task_group() as tg:
        await tg.start(w.run)
        await w.row("memory", UPSERT, memory_row("a", "first-value", 1.0)).wait()
        await w.row("swarm", INSERT, swarm(1, "name-one")).wait()
        w.row("memory", UPSERT, memory_row("a", "second-value", 2.0))  # the row exists: update
        w.row("memory", UPSERT, memory_row("b", "third-value", 2.0))  # it does not: insert
        w.row("swarm", UPDATE, {"id": "swarm-1", "name": "name-two"})
        w.row("swarm", INSERT, swarm(2, "name-three"))
        w.row("swarm", DELETE, None, key=("swarm-2",))  # pending insert then delete
        w.row("memory", DELETE, None, key=("n", "b"))
        w.event({"ts": 3.0, "swarm_id": None, "kind": "kind-x", "subject_id": None, "data": {}})
        w.call(lambda conn: conn.execute(text("UPDATE meta SET value = :v WHERE 0"), {"v": "x"}))
        await w.flush()
        w.close()
    writes = [(sql, p) for sql, p in seen if not sql.lstrip().upper().startswith("SELECT")]
    for wanted in ("BEGIN IMMEDIATE", "INSERT INTO swarm", "UPDATE swarm", "DELETE FROM memory"):
        assert any(wanted in sql for sql, _ in writes), wanted
    for sql, _ in writes:
        assert "REPLACE" not in sql.upper()
        for value in (
            "first-value",
            "second-value",
            "third-value",
            "name-one",
            "name-two",
            "kind-x",
            "swarm-1",
            "swarm-2",
        ):
            assert value not in sql  # values travel as parameters, never in the SQL text
    assert any("ON CONFLICT" in sql for sql, _ in writes)
    memory = store.read(
        lambda c: c.exec_driver_sql("SELECT key, value, created_at FROM memory").all()
    )
    assert memory == [("a", '{"v": "second-value"}', 2.0)]
    names = store.read(lambda c: c.exec_driver_sql("SELECT id, name FROM swarm").all())
    assert names == [("swarm-1", "name-two")]
    store.close()


async def test_composite_keys_update_and_delete_many_rows(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'c.db'}")
    store.create()
    w = Writer(store)
    async with anyio.create_task_group() as tg:
        await tg.start(w.run)
        for i in range(300):
            w.row("memory", INSERT, memory_row(f"k{i}", str(i), 1.0))
        await w.flush()
        for i in range(300):
            if i % 2:
                w.row("memory", DELETE, None, key=("n", f"k{i}"))
            else:
                w.row("memory", UPDATE, {"namespace": "n", "key": f"k{i}", "updated_at": 5.0})
        await w.flush()
        w.close()
    rows = store.read(
        lambda c: c.exec_driver_sql("SELECT count(*), min(updated_at) FROM memory").one()
    )
    assert tuple(rows) == (150, 5.0)
    store.close()


def test_the_writer_has_no_second_path() -> None:
    import ast

    import swarm_core.store._writer as writer

    tree = ast.parse(Path(writer.__file__).read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (
            node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")]
        )
    }
    assert "sqlite3" not in imported  # every write goes through a SQLAlchemy Connection
    assert not hasattr(Store, "write_raw")
