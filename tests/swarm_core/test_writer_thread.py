"""The writer's own commit thread: acknowledged writes are on disk, every waiter learns the
outcome, batches seal between callbacks, flush waits for the batch in flight, close drains."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from swarm_core import StoreError
from swarm_core.store._db import Store
from swarm_core.store._writer import INSERT, Writer

pytestmark = pytest.mark.anyio


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


def open_store(tmp_path: Path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    store.create()
    return store


def on_disk(store: Store, swarm_id: str) -> bool:
    # A separate connection sees only committed data.
    con = sqlite3.connect(store.engine.url.database or "")
    try:
        return con.execute("SELECT 1 FROM swarm WHERE id = ?", (swarm_id,)).fetchone() is not None
    finally:
        con.close()


def slow(seconds: float, seen: list[str] | None = None) -> Any:
    def fn(_conn: Any) -> None:
        if seen is not None:
            seen.append(threading.current_thread().name)
        time.sleep(seconds)

    return fn


async def test_an_acknowledged_write_is_committed_and_commits_run_on_one_thread(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path)
    w = Writer(store)
    threads: list[str] = []
    async with anyio.create_task_group() as tg:
        await tg.start(w.run)
        for i in range(30):
            await w.row("swarm", INSERT, swarm(i)).wait()
            assert on_disk(store, f"swarm-{i}")  # visible to another connection at once
            w.call(slow(0, threads))
        await w.flush()
        w.close()
    assert set(threads) == {"swarm-writer"}
    store.close()


async def test_one_logical_operation_commits_in_one_batch_and_later_ones_group(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path)
    w = Writer(store)
    async with anyio.create_task_group() as tg:
        await tg.start(w.run)
        first = w.call(slow(0.2))  # keeps the thread busy while the next writes gather
        await anyio.sleep(0.05)
        batches = set()

        async def write(i: int) -> None:
            # row + event with no await in between: always the same batch
            a = w.row("swarm", INSERT, swarm(i))
            b = w.event({"ts": 1.0, "swarm_id": None, "kind": "k", "subject_id": None, "data": {}})
            assert a is b
            batches.add(id(a))
            await a.wait()

        async with anyio.create_task_group() as inner:
            for i in range(20):
                inner.start_soon(write, i)
        await first.wait()
        assert len(batches) == 1  # the 20 callers gathered behind the slow commit
        assert w.commits == 2
        w.close()
    assert all(on_disk(store, f"swarm-{i}") for i in range(20))
    store.close()


async def test_a_failed_commit_reaches_every_concurrent_waiter(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    w = Writer(store)
    outcomes: list[str] = []
    async with anyio.create_task_group() as tg:
        await tg.start(w.run)
        await w.row("swarm", INSERT, swarm(1)).wait()
        w.call(slow(0.1))
        await anyio.sleep(0.02)

        async def waiter(batch: Any) -> None:
            try:
                await batch.wait()
                outcomes.append("ok")
            except StoreError:
                outcomes.append("failed")

        async with anyio.create_task_group() as inner:
            for i in range(2, 6):
                inner.start_soon(waiter, w.row("swarm", INSERT, swarm(i)))
            inner.start_soon(waiter, w.row("swarm", INSERT, swarm(1, "clash")))
        assert outcomes == ["failed"] * 5
        await w.row("swarm", INSERT, swarm(9)).wait()  # the writer goes on
        w.close()
    assert on_disk(store, "swarm-9") and not on_disk(store, "swarm-2")
    store.close()


async def test_flush_waits_for_the_batch_the_thread_holds(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    w = Writer(store)
    async with anyio.create_task_group() as tg:
        await tg.start(w.run)
        w.row("swarm", INSERT, swarm(1))
        w.call(slow(0.2))
        await anyio.sleep(0.05)  # handed over: nothing is pending any more
        await w.flush()
        assert on_disk(store, "swarm-1")
        w.close()
    store.close()


async def test_close_drains_everything_queued(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    w = Writer(store)
    async with anyio.create_task_group() as tg:
        await tg.start(w.run)
        w.call(slow(0.1))
        await anyio.sleep(0.02)
        for i in range(50):
            w.row("swarm", INSERT, swarm(i))  # never awaited
        w.close()
    # the run loop returned only after the last batch committed
    assert all(on_disk(store, f"swarm-{i}") for i in range(50))
    store.close()


async def test_a_cancelled_writer_fails_what_it_will_not_commit(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    w = Writer(store)
    async with anyio.create_task_group() as tg:
        await tg.start(w.run)
        inflight = w.call(slow(0.2))
        await anyio.sleep(0.05)
        pending = w.row("swarm", INSERT, swarm(1))
        tg.cancel_scope.cancel()
    with anyio.fail_after(5):
        with pytest.raises(StoreError, match="writer stopped"):
            await pending.wait()
        await inflight.wait()  # the batch the thread held still committed
    store.close()


async def test_a_write_queued_after_the_writer_stopped_fails_instead_of_hanging(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path)
    w = Writer(store)
    async with anyio.create_task_group() as tg:
        await tg.start(w.run)
        await w.flush()
        tg.cancel_scope.cancel()
    late = w.row("swarm", INSERT, swarm(1))
    with anyio.fail_after(5):
        with pytest.raises(StoreError, match="writer stopped"):
            await late.wait()
    store.close()


async def test_a_stopped_writer_returns_only_after_its_thread_let_go_of_the_store(
    tmp_path: Path,
) -> None:
    # The engine closes the store right after the run loop returns: a commit still running on
    # the thread then would use a closed connection.
    store = open_store(tmp_path)
    w = Writer(store)
    async with anyio.create_task_group() as tg:
        await tg.start(w.run)
        inflight = w.call(slow(0.3))
        w.row("swarm", INSERT, swarm(1))
        await anyio.sleep(0.05)  # handed over: the thread is committing it
        tg.cancel_scope.cancel()
    assert w._thread is not None and not w._thread.is_alive()
    assert inflight.done.is_set() and inflight.error is None
    store.close()
    assert on_disk(store, "swarm-1")


async def test_swarm_and_agent_changes_are_reported_once_committed(tmp_path: Path) -> None:
    import swarm_core

    db = tmp_path / "e.db"
    seen: list[tuple[str, bool]] = []

    def committed(table: str, row_id: str) -> bool:
        con = sqlite3.connect(db)
        try:
            return (
                con.execute(f"SELECT 1 FROM {table} WHERE id = ?", (row_id,)).fetchone() is not None
            )
        finally:
            con.close()

    async with swarm_core.Engine.open(swarm_core.EngineConfig(db=str(db))) as engine:

        def on_change(kind: str, subject_id: str) -> None:
            if kind in ("swarm", "agent"):
                seen.append((kind, committed(kind, subject_id)))

        engine.subscribe(on_change)
        s = await engine.create_swarm()
        assert seen == [("swarm", True)]  # reported before the call returned, after its commit
        a = await engine.spawn_agent(s.id, "researcher")
        await engine.terminate_agent(a.id)
    assert seen == [("swarm", True), ("agent", True), ("agent", True)]
