"""Answers are precise and never an endless wait: work an agent cannot do is refused when it is
submitted, and a call that waits on a task is bounded by the server's max_wait_seconds."""

from __future__ import annotations

from typing import Any

from mcp import Client

from .test_tools_inmemory import Call, error_text, ok, run_with_client

XOR = {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "outputs": [[0], [1], [1], [0]]}


def test_train_on_an_external_agent_is_refused_at_submission(tmp_path) -> None:
    async def body(client: Client, call: Call) -> None:
        ok(await call("swarm_init", {}))
        for role in ("coder", "external", "researcher"):
            agent = ok(await call("spawn_agent", {"type": role}))
            text = error_text(
                await call("train", {"data": XOR, "epochs": 5, "agent_id": agent["id"]})
            )
            assert "agent_ids" in text and "cannot run train tasks" in text, text
        tasks = ok(await call("task_list", {}))
        assert [t for t in tasks["tasks"] if t["kind"] == "train"] == []

    run_with_client(tmp_path, body)


def test_train_answers_within_max_wait_seconds_with_the_task_id(tmp_path) -> None:
    async def body(client: Client, call: Call) -> None:
        ok(await call("swarm_init", {}))
        args: dict[str, Any] = {"data": XOR, "epochs": 100_000, "desired_error": 0.0}
        text = error_text(await call("train", args))
        assert "still" in text and "max_wait_seconds" in text and "task_status" in text, text
        task_id = next(w for w in text.split() if w.startswith("task-"))
        ok(await call("task_cancel", {"task_id": task_id}))

    run_with_client(tmp_path, body, max_wait_seconds=0.01)
