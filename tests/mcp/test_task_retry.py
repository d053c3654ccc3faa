"""task_retry through the official in-process client: a training interrupted when the engine
stopped is resumed from its checkpoint by a new server on the same database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
from mcp import Client

from ruv_swarm_mcp import build_server
from ruv_swarm_mcp._config import ServerConfig
from swarm_core import EngineConfig
from swarm_core._engine import Engine
from tests.swarm_core.test_checkpoint import DATA

BUDGET = 1500


async def interrupted_training(db: Path) -> str:
    async with Engine.open(EngineConfig(db=str(db), checkpoint_seconds=0.02)) as eng:
        swarm = await eng.create_swarm("mcp")
        payload = {"data": DATA, "layers": [16], "epochs": BUDGET, "seed": 2}
        task = await eng.submit_task(swarm.id, "train", payload)
        with anyio.fail_after(60):
            while (await eng.get_task(task.id)).progress < 0.1:
                await anyio.sleep(0.005)
    return task.id


def test_task_retry_resumes_an_interrupted_training(tmp_path: Path) -> None:
    db = tmp_path / "swarm.db"

    async def go() -> None:
        task_id = await interrupted_training(db)
        server = build_server(ServerConfig(db=str(db)))
        with anyio.fail_after(120):
            async with Client(server, mode="legacy") as client:

                async def call(name: str, args: dict[str, Any]) -> Any:
                    return await client.call_tool(name, args)

                tools = {t.name: t for t in (await client.list_tools()).tools}
                props = tools["task_retry"].input_schema["properties"]
                assert props["resume"]["default"] is True
                status = (await call("task_status", {"task_id": task_id})).structured_content
                assert status["status"] == "interrupted"

                result = await call("task_retry", {"task_id": task_id, "wait_seconds": 60})
                assert not result.is_error, result.content[0].text
                out = result.structured_content
                assert task_id in result.content[0].text  # the one-line summary
                assert out["status"] == "completed" and out["done"] is True
                res = out["result"]
                assert res["resumed_from_epoch"] >= 0.1 * BUDGET
                assert res["epochs_run"] == BUDGET
                assert res["history"]["epoch"] == list(range(1, BUDGET + 1))

                # a completed task cannot be retried: the refusal names the state
                again = await call("task_retry", {"task_id": task_id})
                assert again.is_error and "completed" in again.content[0].text
                missing = await call("task_retry", {"task_id": "task-nope"})
                assert missing.is_error and "task-nope" in missing.content[0].text

    anyio.run(go)
