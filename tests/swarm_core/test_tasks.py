"""Tasks: lifecycle and timings, priority, dependencies, timeouts, cancellation reaching a CPU
loop, retry, external completion, backpressure, child tasks."""

from __future__ import annotations

import time
from typing import Any

import anyio
import pytest

from swarm_core import (
    EngineConfig,
    InvalidStateError,
    NotFoundError,
    QueueFullError,
    TaskFailedError,
    TaskStatus,
    ValidationError,
)
from swarm_core._engine import Engine

from .conftest import register_test_handlers

pytestmark = [pytest.mark.anyio, pytest.mark.both_dbs]


async def test_lifecycle_events_and_measured_timings(engine: Engine) -> None:
    s = await engine.create_swarm()
    r = await engine.spawn_agent(s.id, "researcher")
    t0 = time.time()
    info = await engine.submit_task(s.id, "search", {"seconds": 0.12})
    assert info.status in (TaskStatus.PENDING, TaskStatus.ASSIGNED, TaskStatus.RUNNING)
    done = await engine.wait_task(info.id, timeout=5)
    assert done.status is TaskStatus.COMPLETED
    assert done.result == {"slept": 0.12}
    assert done.agent_ids == [r.id]
    assert t0 <= done.created_at <= done.started_at <= done.finished_at <= time.time()  # type: ignore[operator]
    assert 120 <= done.duration_ms < 1000  # type: ignore[operator]
    wall_ms = (done.finished_at - done.started_at) * 1000  # type: ignore[operator]
    assert abs(wall_ms - done.duration_ms) < 50  # type: ignore[operator]
    assert done.progress == 1.0
    kinds = [e.kind for e in await engine.events(kind=None) if e.subject_id == info.id]
    assert kinds == ["task_submitted", "task_assigned", "task_running", "task_completed"]
    agent = await engine.get_agent(r.id)
    assert (agent.tasks_completed, agent.status.value) == (1, "idle")
    assert (await engine.get_task(info.id)).status is TaskStatus.COMPLETED
    assert [t.id for t in await engine.list_tasks(s.id, status="completed")] == [info.id]


async def test_bad_submissions_are_clear(engine: Engine) -> None:
    s = await engine.create_swarm()
    a = await engine.spawn_agent(s.id, "analyst")
    with pytest.raises(ValidationError, match="unknown kind 'dance'"):
        await engine.submit_task(s.id, "dance", {})
    with pytest.raises(NotFoundError, match="swarm-x"):
        await engine.submit_task("swarm-x", "search", {})
    with pytest.raises(NotFoundError, match="agent-q"):
        await engine.submit_task(s.id, "search", {}, agent_ids=["agent-q"])
    with pytest.raises(ValidationError, match="analyst and cannot run search"):
        await engine.submit_task(s.id, "search", {}, agent_ids=[a.id])
    with pytest.raises(NotFoundError, match="task-nope"):
        await engine.submit_task(s.id, "search", {}, depends_on=["task-nope"])
    with pytest.raises(ValidationError, match="timeout_seconds"):
        await engine.submit_task(s.id, "search", {}, timeout_seconds=-1)
    with pytest.raises(ValidationError, match="JSON"):
        await engine.submit_task(s.id, "search", {"x": object()})
    with pytest.raises(NotFoundError, match="task-unknown"):
        await engine.get_task("task-unknown")


async def test_failing_handler_records_the_error(engine: Engine) -> None:
    s = await engine.create_swarm()
    info = await engine.submit_task(s.id, "ingest", {"message": "disk on fire"})
    done = await engine.wait_task(info.id)
    assert done.status is TaskStatus.FAILED
    assert done.error == "RuntimeError: disk on fire"
    assert done.duration_ms is not None and done.finished_at is not None
    # auto-spawned a researcher for the kind, which recorded the failure
    (agent,) = await engine.query_agents(s.id)
    assert agent.type.value == "researcher" and agent.tasks_failed == 1


async def test_priority_orders_the_queue(engine: Engine) -> None:
    s = await engine.create_swarm()
    await engine.spawn_agent(s.id, "researcher")
    blocker = await engine.submit_task(s.id, "search", {"seconds": 60})
    ids = {}
    for prio in (0, 5, 1, 5):
        t = await engine.submit_task(s.id, "search", {"seconds": 0.001}, priority=prio)
        ids.setdefault(prio, []).append(t.id)
    await engine.cancel_task(blocker.id)  # frees the only agent: the queue drains in order
    for group in ids.values():
        for tid in group:
            await engine.wait_task(tid)
    infos = [await engine.get_task(t) for g in ids.values() for t in g]
    order = [t.id for t in sorted(infos, key=lambda t: t.started_at or 0)]
    assert order == [*ids[5], ids[1][0], ids[0][0]]  # higher first, FIFO within a priority


async def test_dependencies_wait_and_failures_propagate(engine: Engine) -> None:
    s = await engine.create_swarm()
    await engine.spawn_agent(s.id, "researcher")
    await engine.spawn_agent(s.id, "researcher")
    a = await engine.submit_task(s.id, "search", {"seconds": 0.1})
    b = await engine.submit_task(s.id, "search", {"seconds": 0.001}, depends_on=[a.id])
    assert (await engine.get_task(b.id)).status is TaskStatus.PENDING
    a_done, b_done = await engine.wait_task(a.id), await engine.wait_task(b.id)
    assert b_done.status is TaskStatus.COMPLETED
    assert b_done.started_at >= a_done.finished_at  # type: ignore[operator]
    bad = await engine.submit_task(s.id, "ingest", {})
    dep = await engine.submit_task(s.id, "search", {"seconds": 0.001}, depends_on=[bad.id])
    dep_done = await engine.wait_task(dep.id)
    assert dep_done.status is TaskStatus.FAILED
    assert f"dependency {bad.id} failed" in (dep_done.error or "")
    with pytest.raises(ValidationError, match="can never complete"):
        await engine.submit_task(s.id, "search", {}, depends_on=[bad.id])


async def test_timeout_fails_a_cpu_task_and_an_async_task(engine: Engine) -> None:
    s = await engine.create_swarm()
    t0 = time.perf_counter()
    cpu = await engine.submit_task(s.id, "optimize", {"epoch_seconds": 0.01}, timeout_seconds=0.3)
    waits = await engine.submit_task(s.id, "search", {"seconds": 30}, timeout_seconds=0.2)
    cpu_done, wait_done = await engine.wait_task(cpu.id), await engine.wait_task(waits.id)
    assert time.perf_counter() - t0 < 5.0
    for done, limit in ((cpu_done, 0.3), (wait_done, 0.2)):
        assert done.status is TaskStatus.FAILED
        assert "TaskTimeoutError" in (done.error or "") and str(limit) in (done.error or "")
        assert limit * 1000 <= done.duration_ms < limit * 1000 + 1500  # type: ignore[operator]


async def test_cancel_reaches_a_running_cpu_loop_within_one_epoch(engine: Engine) -> None:
    s = await engine.create_swarm()
    info = await engine.submit_task(s.id, "optimize", {"epoch_seconds": 0.05})
    while (await engine.get_task(info.id)).status is not TaskStatus.RUNNING:
        await anyio.sleep(0.01)
    await anyio.sleep(0.2)
    t0 = time.perf_counter()
    cancelled = await engine.cancel_task(info.id)
    # cancel_task returns once the task is final, which needs the worker thread to have left
    # its loop: one 50 ms epoch plus scheduling slack on a busy machine (the run is endless)
    assert time.perf_counter() - t0 < 0.5
    assert engine._pool.stats()["in_use"] == 0
    assert cancelled.status is TaskStatus.CANCELLED
    assert cancelled.error == "cancelled by request"
    with pytest.raises(InvalidStateError, match="from cancelled to cancelled"):
        await engine.cancel_task(info.id)


async def test_cancel_pending_and_invalid_transitions(engine: Engine) -> None:
    s = await engine.create_swarm()
    await engine.spawn_agent(s.id, "researcher")
    blocker = await engine.submit_task(s.id, "search", {"seconds": 60})
    queued = await engine.submit_task(s.id, "search", {"seconds": 0.001})
    c = await engine.cancel_task(queued.id)
    assert c.status is TaskStatus.CANCELLED and c.started_at is None
    assert (await engine.cancel_task(blocker.id)).status is TaskStatus.CANCELLED
    done = await engine.wait_task((await engine.submit_task(s.id, "search", {"seconds": 0})).id)
    with pytest.raises(InvalidStateError, match="from completed to cancelled"):
        await engine.cancel_task(done.id)
    with pytest.raises(InvalidStateError, match="from completed to pending"):
        await engine.retry_task(done.id)
    with pytest.raises(NotFoundError):
        await engine.cancel_task("task-missing")


async def test_retry_runs_a_failed_task_again(engine: Engine) -> None:
    s = await engine.create_swarm()
    await engine.spawn_agent(s.id, "researcher")
    info = await engine.submit_task(s.id, "search", {"seconds": 5}, timeout_seconds=0.1)
    assert (await engine.wait_task(info.id)).status is TaskStatus.FAILED
    again = await engine.retry_task(info.id)
    assert again.attempts == 2
    # still times out (same payload), proving it really ran again
    redo = await engine.wait_task(info.id)
    assert redo.status is TaskStatus.FAILED and redo.attempts == 2
    assert [e.kind for e in await engine.events(kind="task_retried")] == ["task_retried"]


async def test_external_tasks_wait_for_the_client(engine: Engine) -> None:
    s = await engine.create_swarm()
    coder = await engine.spawn_agent(s.id, "coder")
    info = await engine.submit_task(s.id, "external", {"prompt": "write fizzbuzz"})
    with anyio.fail_after(5):
        while (await engine.get_task(info.id)).status is not TaskStatus.RUNNING:
            await anyio.sleep(0.005)
    running = await engine.get_task(info.id)
    assert running.status is TaskStatus.RUNNING and running.agent_ids == [coder.id]
    assert (await engine.get_agent(coder.id)).status.value == "busy"
    with pytest.raises(ValidationError, match="exactly one"):
        await engine.complete_external_task(info.id)
    done = await engine.complete_external_task(info.id, result={"code": "print(1)"})
    assert done.status is TaskStatus.COMPLETED and done.result == {"code": "print(1)"}
    with pytest.raises(InvalidStateError, match="completed"):
        await engine.complete_external_task(info.id, result={})
    second = await engine.submit_task(s.id, "external", {})
    with anyio.fail_after(5):
        while (await engine.get_task(second.id)).status is not TaskStatus.RUNNING:
            await anyio.sleep(0.005)
    failed = await engine.complete_external_task(second.id, error="model refused")
    assert failed.status is TaskStatus.FAILED and failed.error == "model refused"


async def test_queue_full_is_a_clear_error() -> None:
    async with Engine.open(EngineConfig(db=":memory:", max_queued_tasks=3)) as eng:
        register_test_handlers(eng)
        s = await eng.create_swarm()
        await eng.spawn_agent(s.id, "researcher")
        running = await eng.submit_task(s.id, "search", {"seconds": 60})
        await anyio.sleep(0.02)
        for _ in range(3):
            await eng.submit_task(s.id, "search", {"seconds": 0})
        with pytest.raises(QueueFullError, match="max_queued_tasks=3") as e:
            await eng.submit_task(s.id, "search", {"seconds": 0})
        assert e.value.limit == "max_queued_tasks"
        await eng.cancel_task(running.id)
        await eng.submit_task(s.id, "search", {"seconds": 0})  # room again once the queue moves


async def test_wait_timeout_returns_current_state_and_does_not_cancel(engine: Engine) -> None:
    s = await engine.create_swarm()
    info = await engine.submit_task(s.id, "search", {"seconds": 0.5})
    early = await engine.wait_task(info.id, timeout=0.05)
    assert not early.status.is_final
    with anyio.move_on_after(0.05):
        await engine.wait_task(info.id)
    assert (await engine.wait_task(info.id)).status is TaskStatus.COMPLETED


async def test_progress_is_recorded_and_reported(engine: Engine) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def stepper(ctx: Any, payload: dict[str, Any]) -> dict[str, Any]:
        for i in range(1, 5):
            await ctx.report_progress(i / 4, f"step {i}")
        return {"steps": 4}

    async def on_progress(p: float, total: float | None, msg: str | None) -> None:
        seen.append((p, total, msg))

    engine.register_handler("analyst", "evaluate", stepper)
    s = await engine.create_swarm()
    info = await engine.submit_task(s.id, "evaluate", {}, progress=on_progress)
    done = await engine.wait_task(info.id)
    assert done.result == {"steps": 4}
    assert seen == [
        (0.25, 1.0, "step 1"),
        (0.5, 1.0, "step 2"),
        (0.75, 1.0, "step 3"),
        (1.0, 1.0, "step 4"),
    ]
    assert done.progress_message == "step 4"


async def test_terminating_a_busy_agent_cancels_its_task(engine: Engine) -> None:
    s = await engine.create_swarm()
    a = await engine.spawn_agent(s.id, "researcher")
    info = await engine.submit_task(s.id, "search", {"seconds": 10})
    await anyio.sleep(0.05)
    await engine.terminate_agent(a.id)
    done = await engine.wait_task(info.id, timeout=2)
    assert done.status is TaskStatus.CANCELLED


async def test_strategy_dispatches_children_on_agents(engine: Engine) -> None:
    async def fan_out(ctx: Any, payload: dict[str, Any]) -> dict[str, Any]:
        agents = ctx.agents(kind="search")
        results = []
        for a in agents:
            results.append(await ctx.dispatch(a.id, "search", {"seconds": 0.01}))
        return {"n": len(results), "agents": [a.id for a in agents]}

    async def self_call(ctx: Any, payload: dict[str, Any]) -> dict[str, Any]:
        if payload.get("depth", 0) >= 2:
            return {"depth": payload["depth"]}
        return await ctx.dispatch(ctx.agent.id, "workflow", {"depth": payload.get("depth", 0) + 1})

    engine.register_strategy("parallel", fan_out)
    engine.register_handler("coordinator", "workflow", self_call)
    s = await engine.create_swarm()
    ids = [(await engine.spawn_agent(s.id, "researcher")).id for _ in range(3)]
    info = await engine.orchestrate(s.id, {"goal": "x"}, strategy="parallel")
    assert info.status is TaskStatus.COMPLETED and info.result == {"n": 3, "agents": ids}
    children = await engine.list_tasks(parent_id=info.id)
    assert sorted(c.agent_ids[0] for c in children) == sorted(ids)
    assert all(c.status is TaskStatus.COMPLETED for c in children)
    # a handler dispatching to its own agent runs the child inline instead of deadlocking
    wf = await engine.submit_task(s.id, "workflow", {})
    assert (await engine.wait_task(wf.id, timeout=5)).result == {"depth": 2}


async def test_child_failure_surfaces_to_the_parent(engine: Engine) -> None:
    async def one_child(ctx: Any, payload: dict[str, Any]) -> dict[str, Any]:
        (agent,) = ctx.agents(kind="ingest")
        try:
            await ctx.dispatch(agent.id, "ingest", {"message": "nope"})
        except TaskFailedError as exc:
            return {"child_error": exc.error}
        return {}

    engine.register_strategy("sequential", one_child)
    s = await engine.create_swarm()
    await engine.spawn_agent(s.id, "researcher")
    info = await engine.orchestrate(s.id, "do it", strategy="sequential")
    assert info.result == {"child_error": "RuntimeError: nope"}


async def test_agent_max_task_seconds_caps_its_tasks(engine: Engine) -> None:
    s = await engine.create_swarm()
    a = await engine.spawn_agent(s.id, "researcher", max_task_seconds=0.15)
    assert a.limits == {"max_concurrent_tasks": 1, "max_task_seconds": 0.15}
    info = await engine.submit_task(s.id, "search", {"seconds": 5}, timeout_seconds=60)
    done = await engine.wait_task(info.id, timeout=5)
    assert done.status is TaskStatus.FAILED
    assert f"agent {a.id} max_task_seconds=0.15" in (done.error or "")
    with pytest.raises(ValidationError, match="max_task_seconds"):
        await engine.spawn_agent(s.id, "researcher", max_task_seconds=0)


async def test_handlers_get_a_real_work_context(engine: Engine) -> None:
    from swarm_core import WorkContext

    seen: dict[str, Any] = {}

    async def inspect(ctx: Any, payload: dict[str, Any]) -> dict[str, Any]:
        seen["is_ctx"] = isinstance(ctx, WorkContext)
        seen["agent"] = ctx.agent.id
        seen["swarm"] = ctx.swarm.id
        seen["task"] = ctx.task.id
        seen["hub"] = ctx.topology.hub
        seen["cancelled"] = ctx.cancel_event.is_set()
        seen["square"] = await ctx.run_cpu(lambda x: x * x, 7)
        await ctx.emit("custom_note", {"k": 1})
        return {}

    engine.register_handler("analyst", "evaluate", inspect)
    s = await engine.create_swarm(topology="star")
    hub = await engine.spawn_agent(s.id, "coordinator")
    a = await engine.spawn_agent(s.id, "analyst")
    info = await engine.submit_task(s.id, "evaluate", {})
    await engine.wait_task(info.id)
    assert seen == {
        "is_ctx": True, "agent": a.id, "swarm": s.id, "task": info.id,
        "hub": hub.id, "cancelled": False, "square": 49,
    }  # fmt: skip
    (ev,) = await engine.events(kind="custom_note")
    assert ev.subject_id == info.id and ev.data == {"k": 1}
