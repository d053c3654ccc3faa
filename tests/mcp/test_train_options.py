"""train's options through the real client: raw-unit data, learning rate, time budget, fine-tuning."""

from __future__ import annotations

from typing import Any

import numpy as np
from mcp import Client

from tests.mcp.test_tools_inmemory import Call, error_text, run_with_client


def ok(result: Any) -> dict[str, Any]:
    # long histories make the text item a truncated view; structuredContent is the whole answer
    assert not result.is_error, result.content[0].text
    return result.structured_content


def _raw_regression() -> dict[str, list[list[float]]]:
    rng = np.random.default_rng(5)
    x = rng.uniform(-500, 500, size=(160, 3))
    y = 0.2 * x[:, :1] + 0.05 * x[:, 1:2] * 0.5 - 0.1 * x[:, 2:] + 50.0
    return {"inputs": x.tolist(), "outputs": y.tolist()}


def test_raw_units_in_and_out(tmp_path) -> None:
    data = _raw_regression()
    y = np.asarray(data["outputs"])

    async def body(client: Client, call: Call) -> None:
        ok(await call("swarm_init", {}))
        args = {"data": data, "layers": [5], "epochs": 400, "seed": 4, "desired_error": 0}
        auto = ok(await call("train", args))
        assert auto["scaling"]["inputs"] and auto["scaling"]["outputs"]
        assert auto["train_target_rmse"] < 0.1 * float(np.std(y))
        raw = ok(await call("train", {**args, "scale": "none"}))
        assert raw["scaling"] == {"mode": "none", "inputs": False, "outputs": False}
        assert raw["train_target_rmse"] > 10 * auto["train_target_rmse"]
        pred = ok(await call("predict", {"model_id": auto["model_id"], "inputs": data["inputs"]}))
        rmse = float(np.sqrt(np.mean((np.asarray(pred["outputs"]) - y) ** 2)))
        assert abs(rmse - auto["train_target_rmse"]) < 1e-6 * max(1.0, rmse)
        ev = ok(await call("evaluate", {"model_id": auto["model_id"], "data": data}))
        assert abs(ev["metrics"]["target_rmse"] - rmse) < 1e-6 * max(1.0, rmse)
        assert abs(ev["metrics"]["mse"] - auto["train_mse"]) < 1e-9
        # fine-tuning continues from the model (lower or equal error) in the same units
        tuned = ok(await call("train", {**args, "init_model_id": auto["model_id"], "epochs": 100}))
        assert tuned["scaling"] == {"mode": "inherited", "scaled": True}
        assert tuned["train_mse"] <= auto["train_mse"] * 1.0001
        refused = error_text(await call("train", {**args, "init_model_id": auto["model_id"], "scale": "both"}))  # fmt: skip
        assert "scale" in refused

    run_with_client(tmp_path, body)


def test_learning_rate_and_time_budget(tmp_path) -> None:
    xor = {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "outputs": [[0], [1], [1], [0]]}

    async def body(client: Client, call: Call) -> None:
        ok(await call("swarm_init", {}))
        base = {"data": xor, "algorithm": "batch", "epochs": 50, "seed": 1, "desired_error": 0}
        slow = ok(await call("train", {**base, "learning_rate": 0.01}))
        fast = ok(await call("train", {**base, "learning_rate": 2.0}))
        # same seed and epochs: only the step size differs, and it shows in the curve
        assert slow["history"]["mse"][1:] != fast["history"]["mse"][1:]
        assert slow["history"]["mse"][0] == fast["history"]["mse"][0]
        rng = np.random.default_rng(0)  # noise: no network fits it, so only the clock stops it
        noise = {"inputs": rng.uniform(size=(64, 4)).tolist(), "outputs": rng.uniform(size=(64, 1)).tolist()}  # fmt: skip
        budget = ok(await call("train", {"data": noise, "layers": [32, 32], "epochs": 100_000, "max_seconds": 0.2, "desired_error": 0}))  # fmt: skip
        assert budget["stop_reason"] == "max_seconds" and budget["epochs_run"] < 100_000
        assert "learning_rate" in error_text(await call("train", {**base, "learning_rate": 0}))

    run_with_client(tmp_path, body)
