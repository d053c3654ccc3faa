"""Each strategy changes the work performed and the result; topologies change who passes what.

Runs on a real in-memory Engine with tiny networks (numba compile time is shared with the other
tests in the process)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest

from swarm_core import EngineConfig, TaskStatus
from swarm_core._engine import Engine
from swarm_core._topology import build_topology
from tests.swarm_core._datasets import blobs

pytestmark = pytest.mark.anyio

EPOCHS = 15


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


DATA = blobs()


@pytest.fixture
async def engine(engine_db: str) -> AsyncIterator[Engine]:
    async with Engine.open(EngineConfig(db=engine_db, cpu_workers=2)) as eng:
        yield eng


async def swarm_with(
    engine: Engine, topology: str, n_neural: int, *extra: str
) -> tuple[str, list[str]]:
    swarm = await engine.create_swarm(name=f"{topology}-test", topology=topology)
    for t in extra:
        await engine.spawn_agent(swarm.id, t)
    ids = [(await engine.spawn_agent(swarm.id, "neural-processor")).id for _ in range(n_neural)]
    return swarm.id, ids


async def orchestrate(
    engine: Engine, swarm_id: str, strategy: str, task: Any, **kw: Any
) -> dict[str, Any]:
    info = await engine.submit_task(
        swarm_id, "orchestrate", {"task": task, **kw}, strategy=strategy
    )
    done = await engine.wait_task(info.id, timeout=120)
    assert done.status is TaskStatus.COMPLETED, done.error
    assert done.result is not None
    return {**done.result, "task_id": info.id}


async def children(engine: Engine, parent_id: str) -> list[Any]:
    tasks = await engine.list_tasks(limit=1000)
    return [t for t in tasks if t.parent_id == parent_id]


def train_task(**kw: Any) -> dict[str, Any]:
    return {"kind": "train", "data": DATA, "layers": [4], "epochs": EPOCHS, "seed": 1, **kw}


async def test_parallel_fans_the_same_task_out_and_all_results_in(engine: Engine) -> None:
    swarm_id, ids = await swarm_with(engine, "mesh", 3)
    res = await orchestrate(engine, swarm_id, "parallel", train_task())
    assert [r["agent_id"] for r in res["results"]] == ids
    assert len(set(res["model_ids"])) == 3  # three real trainings, three stored models
    mses = [r["result"]["train_mse"] for r in res["results"]]
    assert mses[0] == pytest.approx(mses[1]) == pytest.approx(mses[2])  # same task, same seed
    assert res["mse_min"] == pytest.approx(min(mses))


async def test_sequential_feeds_each_stage_from_the_previous_model(engine: Engine) -> None:
    swarm_id, ids = await swarm_with(engine, "ring", 3)
    res = await orchestrate(engine, swarm_id, "sequential", train_task())
    stages = res["stages"]
    assert [s["agent_id"] for s in stages] == ids == res["pipeline"]
    assert stages[0]["result"]["init_model_id"] is None
    for prev, cur in itertools.pairwise(stages):
        assert cur["result"]["init_model_id"] == prev["result"]["model_id"]
    assert res["epochs_total"] == 3 * EPOCHS
    # continuing training changes the result: the last stage beats one stage alone
    assert res["mse_by_stage"][-1] < res["mse_by_stage"][0]
    model = await engine.get_model(res["model_id"])
    assert model.metrics["train_mse"] == pytest.approx(res["mse_by_stage"][-1])


async def test_sequential_pipeline_order_follows_the_topology(engine: Engine) -> None:
    # hierarchical (fan-out 4): the pipeline walks the tree depth-first, not in join order
    swarm_id, ids = await swarm_with(engine, "hierarchical", 7)
    res = await orchestrate(engine, swarm_id, "sequential", train_task(epochs=2))
    expected = build_topology("hierarchical", ids).pipeline()
    assert list(expected) == [ids[0], ids[1], ids[5], ids[6], ids[2], ids[3], ids[4]]
    assert res["pipeline"] == list(expected)
    assert [s["agent_id"] for s in res["stages"]] == list(expected)


@pytest.mark.both_dbs
async def test_sequential_stages_chain_results_with_prev(engine: Engine) -> None:
    swarm = await engine.create_swarm(topology="ring")
    await engine.spawn_agent(swarm.id, "researcher")
    docs = [
        {"title": "RPROP", "text": "RPROP adapts one step size per weight from the gradient sign."},
        {"title": "Cascade", "text": "Cascade-Correlation adds hidden units one at a time."},
    ]
    task = {
        "stages": [
            {"kind": "ingest", "documents": docs},
            {"kind": "search", "query": "hidden units", "limit": "$prev.count", "answer": True},
        ]
    }
    res = await orchestrate(engine, swarm.id, "sequential", task)
    ingested = res["stages"][0]["result"]["doc_ids"]
    final = res["result"]
    assert final["citations"] == [ingested[1]]
    assert "adds hidden units one at a time" in final["answer"]


@pytest.mark.both_dbs
async def test_divergent_gives_each_agent_a_different_variant(engine: Engine) -> None:
    swarm_id, _ids = await swarm_with(engine, "mesh", 4)
    res = await orchestrate(engine, swarm_id, "divergent", train_task(seed=10))
    variants = [r["variant"] for r in res["results"]]
    assert [v["algorithm"] for v in variants] == ["rprop", "quickprop", "sarprop", "incremental"]
    assert [r["result"]["seed"] for r in res["results"]] == [10, 11, 12, 13]
    assert [r["result"]["algorithm"] for r in res["results"]] == [v["algorithm"] for v in variants]
    mses = [r["result"]["train_mse"] for r in res["results"]]
    assert len({round(m, 9) for m in mses}) == 4  # different work, different results
    assert res["spread"]["mse_max"] > res["spread"]["mse_min"]
    # versus parallel, where every agent does the same thing
    par = await orchestrate(engine, swarm_id, "parallel", train_task(seed=10))
    assert len({round(r["result"]["train_mse"], 9) for r in par["results"]}) == 1


async def _predict_all(engine: Engine, model_ids: list[str], x: np.ndarray) -> list[np.ndarray]:
    return [np.asarray((await engine.predict(m, x.tolist()))["outputs"]) for m in model_ids]


def _holdout(task: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(DATA["inputs"])
    y = np.asarray(DATA["outputs"])
    n_hold = round(len(x) * task.get("holdout", 0.25))
    order = np.random.default_rng(task["seed"]).permutation(len(x))
    return x[order[:n_hold]], y[order[:n_hold]]


async def test_convergent_aggregates_best_ensemble_and_vote_differently(engine: Engine) -> None:
    swarm_id, _ = await swarm_with(engine, "mesh", 3)
    task = train_task(vary={"algorithm": ["rprop", "quickprop", "sarprop"]})
    best = await orchestrate(engine, swarm_id, "convergent", {**task, "aggregate": "best"})
    member_mse = [m["holdout_mse"] for m in best["members"]]
    assert best["holdout_mse"] == pytest.approx(min(member_mse))
    assert best["model_id"] == best["members"][int(np.argmin(member_mse))]["model_id"]

    ens = await orchestrate(engine, swarm_id, "convergent", {**task, "aggregate": "ensemble"})
    x_ho, y_ho = _holdout(task)
    outs = await _predict_all(engine, ens["model_ids"], x_ho)
    w = 1.0 / np.array([m["holdout_mse"] for m in ens["members"]])
    w /= w.sum()
    assert ens["weights"] == pytest.approx(w.tolist())
    reference = sum(wi * o for wi, o in zip(w, outs, strict=True))
    assert ens["holdout_mse"] == pytest.approx(float(np.mean((reference - y_ho) ** 2)))
    assert ens["holdout_mse"] != pytest.approx(best["holdout_mse"])

    vote = await orchestrate(engine, swarm_id, "convergent", {**task, "aggregate": "vote"})
    outs = await _predict_all(engine, vote["model_ids"], x_ho)
    labels = np.stack([o.argmax(axis=1) for o in outs])
    majority = [np.bincount(labels[:, j], minlength=3).argmax() for j in range(labels.shape[1])]
    assert vote["holdout_accuracy"] == pytest.approx(
        float(np.mean(majority == y_ho.argmax(axis=1)))
    )
    assert vote["votes"][0] == np.bincount(labels[:, 0], minlength=3).tolist()


async def test_cascade_stacks_previous_layer_outputs_as_features(engine: Engine) -> None:
    swarm_id, ids = await swarm_with(engine, "star", 4, "coordinator")
    res = await orchestrate(engine, swarm_id, "cascade", train_task())
    base, top = res["layers"]
    assert base["n_features"] == 2
    assert top["n_features"] == 2 + 3 * 3  # original inputs + three base models' outputs
    assert len(base["agents"]) == 3 and len(top["agents"]) == 1
    assert top["agents"] == [ids[0]]  # the star's hub among the neural agents converges
    top_model = await engine.get_model(top["model_ids"][0])
    assert top_model.n_inputs == 11
    assert res["holdout_mse"] == pytest.approx(top["holdout_mse"][0])
    # blend (default): each layer trains on its own half of the 36 training samples
    assert res["stacking"] == "blend" and base["n_train"] == top["n_train"] == 18
    in_sample = await orchestrate(engine, swarm_id, "cascade", train_task(stacking="in_sample"))
    assert [layer["n_train"] for layer in in_sample["layers"]] == [36, 36]
    assert in_sample["holdout_mse"] != pytest.approx(res["holdout_mse"])
    # the stack really uses the base models: the top model's inputs 2.. are their outputs
    x_ho, _ = _holdout({"seed": 1})
    base_out = await _predict_all(engine, base["model_ids"], x_ho)
    stacked = np.hstack([x_ho, *base_out])
    top_out = np.asarray((await engine.predict(top["model_ids"][0], stacked.tolist()))["outputs"])
    y_ho = _holdout({"seed": 1})[1]
    assert res["holdout_mse"] == pytest.approx(float(np.mean((top_out - y_ho) ** 2)), rel=1e-5)


async def test_mesh_strategy_exchanges_follow_the_topology(engine: Engine) -> None:
    results = {}
    for topology in ("mesh", "ring"):
        swarm_id, ids = await swarm_with(engine, topology, 4)
        res = await orchestrate(engine, swarm_id, "mesh", train_task(rounds=2, epochs=5))
        results[topology] = (ids, res)
    (m_ids, mesh), (r_ids, ring) = results["mesh"], results["ring"]
    assert mesh["messages"] == 2 * 4 * 3  # rounds x agents x neighbours (complete graph)
    assert ring["messages"] == 2 * 4 * 2  # rounds x agents x 2 ring neighbours
    # mesh: after round 0 every agent adopts the single best model
    r0 = mesh["rounds"][0]
    best = min(m_ids, key=lambda a: r0["validation_mse"][a])
    assert set(r0["adopted_from"].values()) == {best}
    # ring: same seeds, same scores per position, but the agent opposite the best cannot see it
    r0 = ring["rounds"][0]
    best_pos = min(range(4), key=lambda i: r0["validation_mse"][r_ids[i]])
    opposite = r_ids[(best_pos + 2) % 4]
    assert r0["adopted_from"][opposite] != r_ids[best_pos]
    ring_graph = build_topology("ring", r_ids)
    for a, src in r0["adopted_from"].items():
        assert src == a or src in ring_graph.neighbours(a)
    # round 1 really continues from the adopted models: look at the child tasks' payloads
    kids = await children(engine, ring["task_id"])
    round1 = {k.agent_ids[0]: k.payload for k in kids if k.payload.get("init_model_id")}
    assert len(round1) == 4
    for a in r_ids:
        assert round1[a]["init_model_id"] == r0["models"][r0["adopted_from"][a]]


@pytest.mark.both_dbs
async def test_orchestrate_records_child_tasks(engine: Engine) -> None:
    swarm_id, ids = await swarm_with(engine, "mesh", 2)
    info = await engine.submit_task(
        swarm_id, "orchestrate", {"task": train_task(epochs=3)}, strategy="parallel"
    )
    await engine.wait_task(info.id, timeout=60)
    kids = await children(engine, info.id)
    assert sorted(k.agent_ids[0] for k in kids) == sorted(ids)
    assert all(k.kind.value == "train" and k.status is TaskStatus.COMPLETED for k in kids)


async def test_strategy_errors_are_clear(engine: Engine) -> None:
    swarm_id, _ = await swarm_with(engine, "mesh", 1)
    info = await engine.submit_task(
        swarm_id, "orchestrate", {"task": train_task()}, strategy="cascade"
    )
    done = await engine.wait_task(info.id, timeout=60)
    assert done.status is TaskStatus.FAILED
    assert "at least 2 agent(s)" in (done.error or "")
    info = await engine.submit_task(
        swarm_id, "orchestrate", {"task": {"kind": "search", "query": "x"}}, strategy="mesh"
    )
    done = await engine.wait_task(info.id, timeout=60)
    assert done.status is TaskStatus.FAILED and "not supported" in (done.error or "")


@pytest.mark.both_dbs
async def test_cancelling_an_orchestration_stops_every_child_training(engine: Engine) -> None:
    import anyio

    swarm_id, _ = await swarm_with(engine, "mesh", 2)
    rng = np.random.default_rng(0)
    big = {
        "inputs": rng.uniform(-1, 1, (300, 6)).tolist(),
        "outputs": rng.uniform(0, 1, (300, 1)).tolist(),
    }
    info = await engine.submit_task(
        swarm_id, "orchestrate", {"task": {"kind": "train", "data": big, "layers": [16], "epochs": 100_000}},
        strategy="parallel",
    )  # fmt: skip
    while len([k for k in await children(engine, info.id) if k.progress > 0]) < 2:
        await anyio.sleep(0.02)
    await engine.cancel_task(info.id)
    done = await engine.wait_task(info.id, timeout=30)
    assert done.status is TaskStatus.CANCELLED
    with anyio.fail_after(10):
        while not all(k.status.is_final for k in await children(engine, info.id)):
            await anyio.sleep(0.02)
    assert {k.status for k in await children(engine, info.id)} == {TaskStatus.CANCELLED}
    assert await engine.list_models(swarm_id) == []


async def test_convergent_vote_on_a_single_symmetric_output(engine: Engine) -> None:
    swarm_id, _ = await swarm_with(engine, "mesh", 3)
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, (40, 2))
    y = np.where(x[:, :1] + x[:, 1:] > 0, 1.0, -1.0)
    task = {"kind": "train", "data": {"inputs": x.tolist(), "outputs": y.tolist()}, "layers": [3],
            "epochs": 20, "seed": 2, "output_activation": "sigmoid_symmetric", "aggregate": "vote"}  # fmt: skip
    res = await orchestrate(engine, swarm_id, "convergent", task)
    order = np.random.default_rng(2).permutation(40)[:10]
    outs = await _predict_all(engine, res["model_ids"], x[order])
    labels = np.stack([(o[:, 0] >= 0.0).astype(int) for o in outs])
    majority = (labels.sum(axis=0) >= 2).astype(int)
    truth = (y[order, 0] >= 0).astype(int)
    assert res["holdout_accuracy"] == pytest.approx(float(np.mean(majority == truth)))
