"""No store call runs on the event-loop thread: a read there would stall every other call (and
on :memory: wait for the writer's lock per commit). A mixed workload goes through the public
API with every Store entry point wrapped to record the thread it runs on."""

from __future__ import annotations

import threading
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from swarm_core import EngineConfig, TaskStatus
from swarm_core._engine import Engine
from swarm_core.store._db import Store

pytestmark = pytest.mark.anyio

XOR = {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "outputs": [[0], [1], [1], [0]]}
STORE_CALLS = ("read", "fast_rows", "write", "create", "checkpoint", "size_bytes")


class LoopCalls:
    def __init__(self) -> None:
        self.loop_thread: int | None = None
        self.seen: dict[str, int] = {}  # every call, wherever it ran (proves the wrapping works)
        self.on_loop: list[str] = []

    def record(self, name: str) -> None:
        self.seen[name] = self.seen.get(name, 0) + 1
        if threading.get_ident() == self.loop_thread:
            where = "".join(traceback.format_stack(limit=6)[:-2])
            self.on_loop.append(f"Store.{name} on the event loop, from:\n{where}")


@pytest.fixture
def loop_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopCalls]:
    calls = LoopCalls()
    for name in STORE_CALLS:
        original = getattr(Store, name)

        def wrapped(self: Store, *args: Any, _o: Any = original, _n: str = name, **kw: Any) -> Any:
            calls.record(_n)
            return _o(self, *args, **kw)

        monkeypatch.setattr(Store, name, wrapped)
    yield calls


async def _workload(engine: Engine) -> None:
    swarm = await engine.create_swarm(name="mixed", max_agents=50)
    await engine.spawn_agent(swarm.id, "neural-processor", capabilities=["nn"])
    await engine.spawn_agent(swarm.id, "neural-processor")
    await engine.spawn_agent(swarm.id, "researcher")
    await engine.spawn_agent(swarm.id, "coordinator")
    gone = await engine.spawn_agent(swarm.id, "analyst", name="short-lived")

    trained = await engine.train(swarm.id, data=XOR, layers=[3], epochs=20, seed=1)
    assert trained.status is TaskStatus.COMPLETED, trained.error
    model_id = trained.result["model_id"]  # type: ignore[index]
    assert len((await engine.predict(model_id, [[0, 1]]))["outputs"]) == 1
    await engine.evaluate(model_id, XOR)
    orch = await engine.orchestrate(
        swarm.id,
        {"kind": "train", "data": XOR, "epochs": 5, "layers": [2]},
        strategy="parallel",
    )
    assert orch.status is TaskStatus.COMPLETED, orch.error

    await engine.memory_store("ns", "k", {"v": 1}, swarm_id=swarm.id)
    await engine.memory_store("ns", "k", {"v": 2}, ttl_seconds=3600)
    assert (await engine.memory_get("ns", "k")).value == {"v": 2}
    await engine.memory_list("ns")
    await engine.memory_store("ns", "tmp", 1)
    assert await engine.memory_delete("ns", "tmp")

    await engine.knowledge_add(swarm.id, "Cascade", "Cascade correlation adds hidden units.")
    assert await engine.knowledge_search(swarm.id, "hidden units")
    await engine.knowledge_passages(swarm.id, "hidden units")
    search = await engine.submit_task(swarm.id, "search", {"query": "hidden units", "answer": True})
    ingest = await engine.submit_task(
        swarm.id, "ingest", {"title": "RPROP", "text": "RPROP adapts each step size."}
    )
    workflow = {
        "steps": [
            {"name": "a", "uses": "spawn", "with": {"type": "optimizer"}},
            {"name": "m", "uses": "memory_store", "with": {"key": "w", "value": 1}},
            {"name": "g", "uses": "memory_get", "with": {"key": "w"}, "depends_on": ["m"]},
        ]
    }
    flow = await engine.submit_task(swarm.id, "workflow", {"workflow": workflow})
    dep = await engine.submit_task(swarm.id, "search", {"query": "step"}, depends_on=[ingest.id])
    for t in (search, ingest, flow, dep):
        done = await engine.wait_task(t.id, timeout=120)
        assert done.status is TaskStatus.COMPLETED, done.error
    # a dependency that is no longer live is looked up in the store
    late = await engine.submit_task(swarm.id, "search", {"query": "x"}, depends_on=[dep.id])
    await engine.wait_task(late.id, timeout=120)

    await engine.query_agents(swarm.id, type="neural-processor", status="idle")
    await engine.query_agents(swarm.id, capability="nn")
    await engine.query_agents_json(type="researcher")
    await engine.terminate_agent(gone.id)
    await engine.get_agent(gone.id)
    await engine.query_agents(swarm.id, status="terminated")
    await engine.list_tasks(swarm.id, limit=5)
    await engine.get_task(trained.id)
    await engine.swarm_status(swarm.id)
    await engine.stats()
    await engine.events(limit=10, swarm_id=swarm.id)

    await engine.get_model(model_id)
    await engine.model_history(model_id)
    await engine.list_models(swarm.id)
    native = await engine.export_model(model_id)
    await engine.export_model(model_id, "fann")
    await engine.import_model(swarm.id, native)

    failed = await engine.submit_task(swarm.id, "train", {"data": XOR, "epochs": 0})
    failed = await engine.wait_task(failed.id, timeout=120)
    if failed.status is not TaskStatus.COMPLETED:
        await engine.wait_task((await engine.retry_task(failed.id)).id, timeout=120)
    await engine.checkpoint_info(trained.id)

    dump = await engine.export_swarm(swarm.id)
    await engine.delete_swarm(swarm.id)
    back = await engine.import_swarm(dump)
    assert back.id == swarm.id
    await engine.purge_expired_memory()
    await engine.purge_stale_checkpoints()
    await engine.purge_history()


@pytest.mark.parametrize("where", ["file", "memory"])
async def test_no_store_call_runs_on_the_event_loop(
    where: str, tmp_path: Path, loop_calls: LoopCalls
) -> None:
    loop_calls.loop_thread = threading.get_ident()
    db = str(tmp_path / "mixed.db") if where == "file" else ":memory:"
    cfg = EngineConfig(db=db, cpu_workers=2)
    async with Engine.open(cfg) as engine:
        await _workload(engine)
    if where == "file":  # restart: restore reads the whole state back
        async with Engine.open(cfg) as engine:
            assert engine.restored["swarms"] == 1
            await engine.list_swarms()
    assert loop_calls.seen.get("read", 0) > 20, loop_calls.seen  # the wrapper saw the reads
    if where == "file":
        assert loop_calls.seen.get("fast_rows", 0) >= 3 and loop_calls.seen.get("write")
    assert not loop_calls.on_loop, "\n".join(loop_calls.on_loop[:5])


async def test_the_check_sees_a_store_call_on_the_loop(loop_calls: LoopCalls) -> None:
    loop_calls.loop_thread = threading.get_ident()
    async with Engine.open(EngineConfig(db=":memory:")) as engine:
        engine._store.read(lambda c: None)
    assert len(loop_calls.on_loop) == 1 and "Store.read" in loop_calls.on_loop[0]
