"""The engine's model registry and convenience calls with real training: train -> stored model
(weights + history) -> predict/evaluate; export/import native and FANN; cancellation and timeout
reaching a real training loop; stats are measurements."""

from __future__ import annotations

import base64
import time
from typing import Any

import anyio
import numpy as np
import pytest

from swarm_core import (
    EngineConfig,
    LimitExceededError,
    NotFoundError,
    TaskFailedError,
    TaskStatus,
    ValidationError,
)
from swarm_core._engine import Engine

pytestmark = pytest.mark.anyio

XOR = {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "outputs": [[0], [1], [1], [0]]}


def big_data(n: int = 3000, d: int = 12) -> dict[str, Any]:
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, size=(n, d))
    return {
        "inputs": x.tolist(),
        "outputs": (x[:, :2].sum(axis=1, keepdims=True) > 0).astype(float).tolist(),
    }


@pytest.fixture
async def eng(engine_db: str) -> Any:
    async with Engine.open(EngineConfig(db=engine_db, cpu_workers=2)) as e:
        yield e


@pytest.mark.both_dbs
async def test_train_predict_evaluate_round_trip(eng: Engine) -> None:
    s = await eng.create_swarm()
    seen: list[float] = []

    async def progress(p: float, total: float | None, msg: str | None) -> None:
        seen.append(p)

    info = await eng.train(
        s.id, data=XOR, layers=[4], epochs=400, desired_error=1e-4, seed=2, progress=progress
    )
    assert info.status is TaskStatus.COMPLETED, info.error
    assert info.duration_ms and info.duration_ms > 0
    model_id = info.result["model_id"]  # type: ignore[index]
    model = await eng.get_model(model_id)
    assert (model.n_inputs, model.n_outputs, model.layers) == (2, 1, [2, 4, 1])
    assert model.task_id == info.id and model.size_bytes > 0
    assert model.metrics["train_mse"] < 1e-3
    assert seen and seen[-1] == 1.0
    out = await eng.predict(model_id, XOR["inputs"])
    assert np.allclose(np.asarray(out["outputs"]).round(), XOR["outputs"])
    ev = await eng.evaluate(model_id, XOR)
    assert ev["mse"] < 1e-3
    assert [m.id for m in await eng.list_models(s.id)] == [model_id]
    hist = await eng.model_history(model_id)
    assert hist["task_id"] == info.id and hist["history"]
    with pytest.raises(TaskFailedError, match="inputs"):
        await eng.predict(model_id, [[1, 2, 3]])
    with pytest.raises(NotFoundError, match="model-nope"):
        await eng.predict("model-nope", [[0, 1]])
    kinds = [e.kind for e in await eng.events(kind="model_saved")]
    assert kinds == ["model_saved"]


@pytest.mark.both_dbs
async def test_model_export_import_native_and_fann(eng: Engine) -> None:
    s = await eng.create_swarm()
    info = await eng.train(s.id, data=XOR, layers=[3], epochs=200, seed=5)
    model_id = info.result["model_id"]  # type: ignore[index]
    native = await eng.export_model(model_id, "native")
    fann = await eng.export_model(model_id, "fann")
    assert isinstance(native, bytes) and isinstance(fann, str) and fann.startswith("FANN")
    a = await eng.import_model(s.id, native, "native", name="copy")
    b = await eng.import_model(s.id, base64.b64encode(native).decode(), "native")
    c = await eng.import_model(s.id, fann, "fann")
    want = (await eng.predict(model_id, XOR["inputs"]))["outputs"]
    for m in (a, b):
        assert (await eng.predict(m.id, XOR["inputs"]))["outputs"] == want
    assert np.allclose((await eng.predict(c.id, XOR["inputs"]))["outputs"], want, atol=1e-5)
    assert a.name == "copy" and a.layers == [2, 3, 1]
    with pytest.raises(ValidationError, match="format"):
        await eng.export_model(model_id, "onnx")
    with pytest.raises(ValidationError, match="cannot read native"):
        await eng.import_model(s.id, b"garbage", "native")


@pytest.mark.both_dbs
async def test_cancel_reaches_real_training_within_an_epoch(eng: Engine) -> None:
    s = await eng.create_swarm()
    info = await eng.submit_task(
        s.id, "train", {"data": big_data(), "layers": [32], "epochs": 100_000, "seed": 1}
    )
    while (cur := await eng.get_task(info.id)).progress <= 0:
        assert not cur.status.is_final, cur.error
        await anyio.sleep(0.01)
    t0 = time.perf_counter()
    done = await eng.cancel_task(info.id)
    stop_seconds = time.perf_counter() - t0
    assert done.status is TaskStatus.CANCELLED
    # an epoch here is a few ms; allow scheduling slack on a busy machine, far below the run length
    assert stop_seconds < 0.5
    assert eng._pool.stats()["in_use"] == 0  # the training thread has returned
    epoch = int((done.progress_message or "epoch 0").split()[1].rstrip(":"))
    assert 0 < epoch < 100_000


async def test_timeout_stops_real_training(eng: Engine) -> None:
    s = await eng.create_swarm()
    info = await eng.submit_task(
        s.id,
        "train",
        # desired_error 0: every epoch runs, so only the timeout can stop it
        {"data": big_data(), "layers": [32], "epochs": 100_000, "seed": 1, "desired_error": 0.0},
        timeout_seconds=0.5,
    )
    done = await eng.wait_task(info.id, timeout=10)
    assert done.status is TaskStatus.FAILED and "TaskTimeoutError" in (done.error or "")
    assert 500 <= done.duration_ms < 3000  # type: ignore[operator]


async def test_dataset_limits_are_enforced() -> None:
    async with Engine.open(EngineConfig(db=":memory:", max_dataset_samples=3)) as eng:
        s = await eng.create_swarm()
        info = await eng.train(s.id, data=XOR, layers=[2], epochs=5)
        assert info.status is TaskStatus.FAILED
        assert "max_dataset_samples=3" in (info.error or "")


async def test_dataset_file_limits_name_the_config_field(tmp_path) -> None:
    path = tmp_path / "d.data"
    path.write_text("4 2 1\n0 0\n0\n0 1\n1\n1 0\n1\n1 1\n0\n")
    cases = [
        ({"max_dataset_samples": 3}, "max_dataset_samples=3", "4 samples"),
        ({"max_dataset_features": 1}, "max_dataset_features=1", "2 values per"),
        ({"max_dataset_values": 11}, "max_dataset_values=11", "12 values"),
    ]
    for limits, field, declared in cases:
        roots = [str(tmp_path)]
        async with Engine.open(EngineConfig(db=":memory:", data_roots=roots, **limits)) as eng:
            with pytest.raises(LimitExceededError) as info:
                await eng._datasets.load_data(str(path))
            assert field in str(info.value) and declared in str(info.value)
            assert info.value.limit == field.split("=")[0]
    async with Engine.open(EngineConfig(db=":memory:", data_roots=[str(tmp_path)])) as eng:
        data = await eng._datasets.load_data(str(path))
        assert data.inputs.dtype == np.float32 and data.outputs[:, 0].tolist() == [0, 1, 1, 0]


async def test_cascade_workspace_is_bounded_before_training() -> None:
    rows = {
        "inputs": [[i % 7, i % 3] for i in range(2000)],
        "outputs": [[i % 2] for i in range(2000)],
    }
    limit = 2**20
    async with Engine.open(EngineConfig(db=":memory:", max_cascade_workspace_bytes=limit)) as eng:
        s = await eng.create_swarm()
        info = await eng.train(s.id, data=rows, algorithm="cascade", epochs=200)
        assert info.status is TaskStatus.FAILED
        assert "epochs=200" in (info.error or "") and f"max_cascade_workspace_bytes={limit}" in (
            info.error or ""
        )
        ok = await eng.train(s.id, data=rows, algorithm="cascade", epochs=2, seed=1)
        assert ok.status is TaskStatus.COMPLETED, ok.error


async def test_model_import_limits_name_the_config_field() -> None:
    import neural

    net = neural.Network.standard([4, 8, 2], seed=1)  # 58 weights
    wide = neural.Network.standard([40, 80, 2], seed=1)  # 13.8 kB of float32 weights
    for limits, field in [
        ({"max_network_weights": 57}, "max_network_weights=57"),
        ({"max_model_bytes": 4096}, "max_model_bytes=4096"),
    ]:
        async with Engine.open(EngineConfig(db=":memory:", **limits)) as eng:
            s = await eng.create_swarm()
            with pytest.raises(LimitExceededError, match=field):
                await eng.import_model(s.id, (net if "weights" in field else wide).to_bytes())
            if "weights" in field:
                text = neural_fann_text(net)
                with pytest.raises(LimitExceededError, match=field):
                    await eng.import_model(s.id, text, format="fann")
    async with Engine.open(EngineConfig(db=":memory:", max_network_weights=58)) as eng:
        s = await eng.create_swarm()
        info = await eng.import_model(s.id, net.to_bytes())
        assert info.layers == [4, 8, 2]


def neural_fann_text(net: Any) -> str:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        net.save_fann(Path(d) / "m.net")
        return (Path(d) / "m.net").read_text()


@pytest.mark.both_dbs
async def test_stats_are_measurements(eng: Engine, db_backend: str) -> None:
    s = await eng.create_swarm()
    await eng.train(s.id, data=XOR, layers=[2], epochs=20, seed=1)
    st = await eng.stats()
    assert st["swarms"] == 1 and st["agents_live"] == 1
    assert st["tasks_by_status"] == {"completed": 1}
    assert st["workers"]["workers"] == 2 and st["workers"]["calls"] >= 1
    assert st["workers"]["busy_seconds"] > 0
    assert st["writer"]["commits"] >= 1 and st["rss_bytes"] > 10 * 2**20
    assert st["peak_rss_bytes"] >= st["rss_bytes"]
    assert st["uptime_seconds"] > 0 and st["queue_depth"] == 0
    if db_backend == "postgresql":  # pg_database_size; an in-memory SQLite has no file
        assert st["db_size_bytes"] > 1_000_000 and st["db_url"].startswith("postgresql")
