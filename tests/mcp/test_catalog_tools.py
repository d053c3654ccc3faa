"""swarm_list / model_list / model_info / task_list: state found again by a later server."""

from __future__ import annotations

from typing import Any

from mcp import Client

from tests.mcp.test_tools_inmemory import Call, error_text, ok, run_with_client

XOR = {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "outputs": [[0], [1], [1], [0]]}


def test_catalog_survives_a_restart(tmp_path) -> None:
    made: dict[str, Any] = {}

    async def first(client: Client, call: Call) -> None:
        made["swarm"] = ok(await call("swarm_init", {"name": "cat"}))["id"]
        ok(await call("spawn_agent", {"type": "neural-processor"}))
        for seed in (1, 2):
            trained = ok(
                await call("train", {"data": XOR, "layers": [3], "epochs": 40, "seed": seed})
            )
            made.setdefault("models", []).append(trained["model_id"])
            made.setdefault("tasks", []).append(trained["task_id"])

    async def second(client: Client, call: Call) -> None:
        swarms = ok(await call("swarm_list", {}))
        assert [s["id"] for s in swarms["swarms"]] == [made["swarm"]] and swarms["count"] == 1
        models = ok(await call("model_list", {}))
        assert [m["id"] for m in models["models"]] == made["models"][::-1]  # newest first
        assert all("history" not in m for m in models["models"])
        page = ok(await call("model_list", {"limit": 1, "offset": 1}))
        assert [m["id"] for m in page["models"]] == [made["models"][0]]
        info = ok(await call("model_info", {"model_id": made["models"][0]}))
        assert info["layers"] == [2, 3, 1] and info["n_inputs"] == 2
        # the stored history is the measured one: as many points as epochs run
        assert len(info["history"]["mse"]) == info["metrics"]["epochs_run"]
        tasks = ok(await call("task_list", {"kind": "train", "status": "completed"}))
        assert {t["id"] for t in tasks["tasks"]} == set(made["tasks"])
        assert all(t["result"] is None and t["done"] for t in tasks["tasks"])
        assert ok(await call("task_list", {"status": "failed"}))["count"] == 0
        missing = error_text(await call("model_info", {"model_id": "model-nope"}))
        assert "model-nope" in missing

    run_with_client(tmp_path, first)
    run_with_client(tmp_path, second)
