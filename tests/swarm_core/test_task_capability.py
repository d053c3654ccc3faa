"""A task is refused at submission when the agent it names cannot run it, and a task that
waits on a client (external) is still bounded by its timeout."""

from __future__ import annotations

import pytest

from swarm_core import TaskStatus, ValidationError
from swarm_core._engine import Engine

pytestmark = pytest.mark.anyio

XOR = {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "outputs": [[0], [1], [1], [0]]}


@pytest.mark.parametrize("role", ["external", "coder", "tester", "reviewer", "documenter"])
@pytest.mark.parametrize("kind", ["train", "search", "evaluate", "predict", "optimize"])
async def test_external_agents_refuse_every_kind_but_external(
    engine: Engine, role: str, kind: str
) -> None:
    s = await engine.create_swarm()
    agent = await engine.spawn_agent(s.id, role)
    with pytest.raises(ValidationError, match=f"cannot run {kind} tasks") as caught:
        await engine.submit_task(s.id, kind, {"data": XOR}, agent_ids=[agent.id])
    assert caught.value.field == "agent_ids"
    assert "types that can:" in str(caught.value)
    # nothing was queued for it
    assert [t for t in await engine.list_tasks(s.id) if t.kind.value == kind] == []


async def test_an_external_task_still_times_out(engine: Engine) -> None:
    s = await engine.create_swarm()
    coder = await engine.spawn_agent(s.id, "coder")
    info = await engine.submit_task(
        s.id, "external", {"description": "write it"}, agent_ids=[coder.id], timeout_seconds=0.2
    )
    done = await engine.wait_task(info.id, timeout=30)
    assert done.status is TaskStatus.FAILED
    assert done.error is not None and "TaskTimeoutError" in done.error
