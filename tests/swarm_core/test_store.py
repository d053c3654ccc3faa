"""The single write path: coalescing, multi-row statements, and failure reaching every waiter."""

from __future__ import annotations

import time
from pathlib import Path

import anyio
import pytest

from swarm_core import StoreError
from swarm_core.store._db import Store
from swarm_core.store._writer import DELETE, INSERT, REPLACE, UPDATE, Writer, _merge

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
    assert _merge((DELETE, {"id": "x"}), INSERT, a) == (REPLACE, a)
    assert _merge((UPDATE, {"id": "x"}), REPLACE, a) == (REPLACE, a)


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
