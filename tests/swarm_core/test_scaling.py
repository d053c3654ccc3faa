"""Raw, unscaled data trains sensibly: the auto scaling decision and its effect end to end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest

import neural
from swarm_core import EngineConfig, TaskStatus, ValidationError
from swarm_core._engine import Engine
from swarm_core.agents._scaling import activation_range, choose_scaler

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def engine() -> AsyncIterator[Engine]:
    async with Engine.open(EngineConfig(db=":memory:", cpu_workers=2)) as eng:
        yield eng


def _regression(n: int = 200, seed: int = 0) -> dict[str, list[list[float]]]:
    """Two raw features in the hundreds, a target in the hundreds: nothing fits a sigmoid."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1000, size=(n, 2))
    y = 0.3 * x[:, :1] - 0.1 * x[:, 1:] + 200.0
    return {"inputs": x.tolist(), "outputs": y.tolist()}


async def _train(engine: Engine, swarm_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    info = await engine.submit_task(swarm_id, "train", payload)
    done = await engine.wait_task(info.id, timeout=120)
    assert done.status is TaskStatus.COMPLETED, done.error
    assert done.result is not None
    return done.result


def test_auto_leaves_in_range_data_alone() -> None:
    data = neural.TrainingData([[0.0, 1.0], [0.5, 0.2]], [[0.0], [1.0]])
    scaler, info = choose_scaler(data, "auto", "sigmoid")
    assert scaler is None and info == {"mode": "auto", "inputs": False, "outputs": False}
    # two-spiral's coordinates (|x| <= 6.5) stay as FANN sees them
    spiral = neural.TrainingData([[-6.5, 6.5], [3.0, -2.0]], [[-1.0], [1.0]])
    assert choose_scaler(spiral, "auto", "sigmoid_symmetric")[0] is None


def test_auto_maps_what_is_out_of_range() -> None:
    data = neural.TrainingData([[100.0, 0.5], [300.0, 0.25]], [[-20.0], [480.0]])
    scaler, info = choose_scaler(data, "auto", "sigmoid")
    assert scaler is not None and info["inputs"] and info["outputs"]
    scaled = scaler.scale(data)
    # inputs min..max -> [-1, 1] per column; targets min..max -> the sigmoid's range minus 5 %
    np.testing.assert_allclose(scaled.inputs, [[-1.0, 1.0], [1.0, -1.0]], atol=1e-12)
    np.testing.assert_allclose(scaled.outputs, [[0.05], [0.95]], atol=1e-12)
    np.testing.assert_allclose(scaler.descale(scaled).outputs, data.outputs, atol=1e-9)
    # symmetric output: [-0.9, 0.9]; targets already inside [-1, 1] are left alone
    sym, _ = choose_scaler(data, "outputs", "sigmoid_symmetric")
    assert sym is not None
    np.testing.assert_allclose(sym.scale_outputs([[-20.0], [480.0]]), [[-0.9], [0.9]])
    np.testing.assert_allclose(sym.scale_inputs([[100.0, 0.5]]), [[100.0, 0.5]])  # identity
    small = neural.TrainingData([[0.1], [0.2]], [[-1.0], [1.0]])
    assert choose_scaler(small, "auto", "sigmoid_symmetric")[0] is None
    assert choose_scaler(small, "auto", "sigmoid")[1]["outputs"] is True  # -1 < sigmoid's 0


def test_unbounded_outputs_scale_only_when_large() -> None:
    assert activation_range("linear") is None and activation_range("relu") == (0.0, None)
    assert activation_range("elliot_symmetric") == (-1.0, 1.0)
    assert activation_range("sigmoid_symmetric_stepwise") == (-1.0, 1.0)
    modest = neural.TrainingData([[0.0], [1.0]], [[-8.0], [9.0]])
    assert choose_scaler(modest, "auto", "linear")[0] is None
    large = neural.TrainingData([[0.0], [1.0]], [[-80.0], [90.0]])
    assert choose_scaler(large, "auto", "linear")[1]["outputs"] is True
    assert choose_scaler(modest, "auto", "relu")[1]["outputs"] is True  # relu can't go below 0
    with pytest.raises(ValidationError, match="scale"):
        choose_scaler(modest, "sometimes", "linear")


async def test_raw_regression_trains_only_with_scaling(engine: Engine) -> None:
    swarm = await engine.create_swarm()
    await engine.spawn_agent(swarm.id, "neural-processor")
    data = _regression()
    # desired_error 0: all 300 epochs, the fit the bound below was measured with
    base = {"data": data, "layers": [6], "epochs": 300, "seed": 1, "validation_split": 0.25}
    base["desired_error"] = 0.0
    scaled = await _train(engine, swarm.id, base)
    raw = await _train(engine, swarm.id, {**base, "scale": "none"})
    spread = float(np.std(np.asarray(data["outputs"])))
    assert scaled["scaling"] == {
        "mode": "auto",
        "inputs": True,
        "outputs": True,
        "input_range": [-1.0, 1.0],
        "output_range": [0.05, 0.95],
    }
    # a sigmoid cannot output 150..300: unscaled, the error is the whole target
    assert raw["train_target_rmse"] > 100
    assert scaled["train_target_rmse"] < 0.1 * spread  # R² > 0.99
    assert scaled["validation_target_rmse"] < 0.1 * spread
    # predictions come back in the targets' units, and evaluate agrees with training
    x = data["inputs"][:5]
    pred = await engine.predict(scaled["model_id"], x)
    truth = np.asarray(data["outputs"][:5])
    assert np.max(np.abs(np.asarray(pred["outputs"]) - truth)) < 0.2 * spread
    ev = await engine.evaluate(scaled["model_id"], data)
    mine = np.sqrt(np.mean((np.asarray((await engine.predict(scaled["model_id"], data["inputs"]))["outputs"]) - np.asarray(data["outputs"])) ** 2))  # fmt: skip
    assert ev["target_rmse"] == pytest.approx(mine, rel=1e-9)
    # the scaling parameters travel with the model, also through FANN's .net format
    text = await engine.export_model(scaled["model_id"], format="fann")
    assert "scale_mean_in" in text
    back = await engine.import_model(swarm.id, text, "fann")
    again = await engine.predict(back.id, x)
    np.testing.assert_allclose(again["outputs"], pred["outputs"], rtol=1e-5)
    # fine-tuning keeps the base model's units
    tuned = await _train(engine, swarm.id, {**base, "init_model_id": scaled["model_id"]})
    assert tuned["scaling"] == {"mode": "inherited", "scaled": True}
    info = await engine.submit_task(
        swarm.id, "train", {**base, "init_model_id": scaled["model_id"], "scale": "none"}
    )
    done = await engine.wait_task(info.id, timeout=60)
    assert done.status is TaskStatus.FAILED and "scale" in (done.error or "")


async def test_symmetric_classes_with_a_sigmoid_output(engine: Engine) -> None:
    """Targets -1/1 with a [0, 1] output: scaled, yet labels and error rate stay class-based."""
    swarm = await engine.create_swarm()
    await engine.spawn_agent(swarm.id, "neural-processor")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(120, 2))
    y = np.where(x[:, :1] + x[:, 1:] > 0, 1.0, -1.0)
    data = {"inputs": x.tolist(), "outputs": y.tolist()}
    res = await _train(engine, swarm.id, {"data": data, "layers": [4], "epochs": 200, "seed": 2})
    assert res["is_classifier"] and res["scaling"]["outputs"] is True
    assert res["train_error_pct"] < 5.0
    pred = await engine.predict(res["model_id"], x.tolist())
    labels = np.asarray(pred["labels"])
    assert np.mean(labels == (y[:, 0] > 0)) > 0.95
    ev = await engine.evaluate(res["model_id"], data)
    assert ev["error_pct"] == pytest.approx(res["train_error_pct"])
    assert np.asarray(ev["confusion_matrix"]).sum() == 120
