"""Each agent kind does real work inside a real (in-memory) Engine."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
import numpy as np
import pytest

import neural
from swarm_core import EngineConfig, TaskStatus
from swarm_core._engine import Engine
from swarm_core._types import AgentType, TaskKind
from swarm_core.agents import HANDLERS
from tests.swarm_core._datasets import blobs

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


DATA = blobs()
XOR = {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "outputs": [[0], [1], [1], [0]]}


@pytest.fixture
async def engine(engine_db: str) -> AsyncIterator[Engine]:
    async with Engine.open(EngineConfig(db=engine_db, cpu_workers=2)) as eng:
        yield eng


async def run(
    engine: Engine, swarm_id: str, kind: str, payload: dict[str, Any], **kw: Any
) -> dict[str, Any]:
    info = await engine.submit_task(swarm_id, kind, payload, **kw)
    done = await engine.wait_task(info.id, timeout=120)
    assert done.status is TaskStatus.COMPLETED, done.error
    assert done.result is not None
    return done.result


def test_registry_covers_every_in_process_kind() -> None:
    assert set(HANDLERS) == {
        (AgentType.NEURAL_PROCESSOR, TaskKind.TRAIN),
        (AgentType.NEURAL_PROCESSOR, TaskKind.PREDICT),
        (AgentType.NEURAL_PROCESSOR, TaskKind.EVALUATE),
        (AgentType.RESEARCHER, TaskKind.INGEST),
        (AgentType.RESEARCHER, TaskKind.SEARCH),
        (AgentType.COORDINATOR, TaskKind.WORKFLOW),
        (AgentType.ANALYST, TaskKind.EVALUATE),
        (AgentType.OPTIMIZER, TaskKind.OPTIMIZE),
    }


# -- neural-processor ---------------------------------------------------------------------


@pytest.mark.both_dbs
async def test_train_records_measured_history_and_metrics(engine: Engine) -> None:
    swarm = await engine.create_swarm()
    seen: list[float] = []

    async def progress(fraction: float, total: float | None, message: str | None) -> None:
        seen.append(fraction)

    info = await engine.train(
        swarm.id, data=DATA, layers=[5], epochs=40, validation_split=0.25, seed=4, progress=progress
    )
    assert info.status is TaskStatus.COMPLETED, info.error
    res = info.result
    assert res is not None
    assert res["epochs_run"] == 40 == res["history"]["epochs_total"] == len(res["history"]["mse"])
    assert res["n_train"] == 36 and res["n_validation"] == 12
    assert res["is_classifier"] is True and res["layers"] == [2, 5, 3]
    # the stored metrics are what the stored network really does
    net, _meta = await engine._models.load(res["model_id"])
    ref = neural.TrainingData(DATA["inputs"], DATA["outputs"]).split(0.75, seed=4)
    assert neural.evaluate(net, ref[0]).mse == pytest.approx(res["train_mse"])
    assert neural.evaluate(net, ref[1]).mse == pytest.approx(res["validation_mse"])
    assert res["history"]["mse"][-1] == pytest.approx(res["final_mse"])
    assert seen and seen[-1] == 1.0
    model = await engine.get_model(res["model_id"])
    assert model.algorithm == "rprop" and model.is_classifier


async def test_train_is_deterministic_and_fine_tunes(engine: Engine) -> None:
    swarm = await engine.create_swarm()
    a = (await engine.train(swarm.id, data=XOR, layers=[3], epochs=30, seed=7)).result
    b = (await engine.train(swarm.id, data=XOR, layers=[3], epochs=30, seed=7)).result
    assert a is not None and b is not None
    assert a["train_mse"] == pytest.approx(b["train_mse"], rel=1e-6)
    c = (
        await engine.train(swarm.id, data=XOR, epochs=30, seed=7, init_model_id=a["model_id"])
    ).result
    assert c is not None and c["init_model_id"] == a["model_id"] and c["layers"] == [2, 3, 1]
    assert c["history"]["mse"][0] == pytest.approx(a["train_mse"], rel=1e-3)  # starts where a ended


@pytest.mark.parametrize("algorithm", ["quickprop", "batch", "incremental", "sarprop"])
async def test_each_algorithm_trains(engine: Engine, algorithm: str) -> None:
    swarm = await engine.create_swarm()
    info = await engine.train(
        swarm.id, data=XOR, layers=[3], epochs=10, seed=1, algorithm=algorithm
    )
    assert info.status is TaskStatus.COMPLETED, info.error
    assert info.result is not None and info.result["algorithm"] == algorithm
    assert info.result["epochs_run"] == 10


async def test_cascade_grows_hidden_units(engine: Engine) -> None:
    swarm = await engine.create_swarm()
    info = await engine.train(
        swarm.id, data=XOR, algorithm="cascade", epochs=3, seed=2, desired_error=0.0
    )
    assert info.status is TaskStatus.COMPLETED, info.error
    res = info.result
    assert res is not None and res["hidden_added"] >= 1
    assert res["layers"][0] == 2 and res["layers"][-1] == 1 and len(res["layers"]) > 2


@pytest.mark.both_dbs
async def test_predict_and_evaluate_on_a_trained_model(engine: Engine) -> None:
    swarm = await engine.create_swarm()
    await engine.spawn_agent(swarm.id, "neural-processor")
    res = (await engine.train(swarm.id, data=DATA, layers=[5], epochs=40, seed=4)).result
    assert res is not None
    net, _ = await engine._models.load(res["model_id"])
    x = np.asarray(DATA["inputs"])
    pred = await engine.predict(res["model_id"], x.tolist())
    assert np.allclose(pred["outputs"], net.run(x), atol=1e-6)
    assert pred["labels"] == np.argmax(net.run(x), axis=1).tolist()
    ev = await run(engine, swarm.id, "evaluate", {"model_id": res["model_id"], "data": DATA},
                   agent_ids=[(await engine.query_agents(swarm.id, type="neural-processor"))[0].id])  # fmt: skip
    ref = neural.evaluate(net, neural.TrainingData(DATA["inputs"], DATA["outputs"]))
    assert ev["mse"] == pytest.approx(ref.mse) and ev["confusion_matrix"] == ref.confusion


async def test_bad_train_payloads_fail_naming_the_field(engine: Engine) -> None:
    swarm = await engine.create_swarm()
    for payload, needle in [
        ({"data": XOR, "algorithm": "adam"}, "unknown algorithm 'adam'; allowed: rprop"),
        ({"data": XOR, "epochs": 0}, "epochs must be in 1..100000"),
        ({"data": XOR, "layers": [0]}, "every layers entry must be an integer in 1..100000"),
        ({"data": XOR, "validation_split": 0.95}, "validation_split must be in [0.0, 0.9]"),
        ({"epochs": 3}, "data is required"),
    ]:
        info = await engine.submit_task(swarm.id, "train", payload)
        done = await engine.wait_task(info.id, timeout=60)
        assert done.status is TaskStatus.FAILED
        assert needle in (done.error or ""), done.error


@pytest.mark.both_dbs
async def test_cancel_stops_training_within_an_epoch(engine: Engine) -> None:
    swarm = await engine.create_swarm()
    rng = np.random.default_rng(0)
    big = {
        "inputs": rng.uniform(-1, 1, (400, 8)).tolist(),
        "outputs": rng.uniform(0, 1, (400, 2)).tolist(),
    }
    info = await engine.submit_task(
        swarm.id, "train", {"data": big, "layers": [32], "epochs": 100_000, "seed": 1}
    )
    while (await engine.get_task(info.id)).progress < 0.0001:
        await anyio.sleep(0.02)
    t0 = time.perf_counter()
    await engine.cancel_task(info.id)
    done = await engine.wait_task(info.id, timeout=30)
    assert done.status is TaskStatus.CANCELLED
    assert time.perf_counter() - t0 < 5.0
    assert (await engine.list_models(swarm.id)) == []  # nothing half-trained is saved


# -- analyst --------------------------------------------------------------------------------


async def test_analyst_confusion_matrix_and_statistics(engine: Engine) -> None:
    swarm = await engine.create_swarm()
    analyst = await engine.spawn_agent(swarm.id, "analyst")
    res = (await engine.train(swarm.id, data=DATA, layers=[4], epochs=20, seed=5)).result
    other = (await engine.train(swarm.id, data=DATA, layers=[4], epochs=2, seed=5)).result
    assert res is not None and other is not None
    out = await run(
        engine,
        swarm.id,
        "evaluate",
        {"model_id": res["model_id"], "data": DATA},
        agent_ids=[analyst.id],
    )
    net, _ = await engine._models.load(res["model_id"])
    x, y = np.asarray(DATA["inputs"]), np.asarray(DATA["outputs"])
    pred, true = net.run(x).argmax(axis=1), y.argmax(axis=1)
    cm = np.zeros((3, 3), int)
    for t, p in zip(true, pred, strict=True):
        cm[t, p] += 1
    assert out["confusion_matrix"] == cm.tolist()
    assert out["confusion_matrix"] == neural.evaluate(net, neural.TrainingData(x, y)).confusion
    per_class = out["classification"]["per_class"]
    assert [c["error_rate"] for c in per_class] == pytest.approx(
        (1 - np.diag(cm) / cm.sum(1)).tolist()
    )
    assert out["regression"]["mse"] == pytest.approx(
        float(np.mean((net.run(x) - y) ** 2)), rel=1e-5
    )
    assert out["dataset"]["class_counts"] == [16, 16, 16]
    assert out["dataset"]["inputs"]["mean"] == pytest.approx(x.mean(axis=0).tolist())
    ranked = await run(
        engine, swarm.id, "evaluate",
        {"model_ids": [other["model_id"], res["model_id"]], "data": DATA}, agent_ids=[analyst.id],
    )  # fmt: skip
    assert ranked["best_model_id"] == res["model_id"]
    stats_only = await run(engine, swarm.id, "evaluate", {"data": XOR}, agent_ids=[analyst.id])
    assert stats_only["dataset"]["n_samples"] == 4 and "mse" not in stats_only


# -- researcher -----------------------------------------------------------------------------


@pytest.mark.both_dbs
async def test_researcher_ingests_searches_and_answers_with_citations(engine: Engine) -> None:
    swarm = await engine.create_swarm()
    await engine.spawn_agent(swarm.id, "researcher")
    docs = [
        {
            "title": "RPROP",
            "text": "RPROP adapts a step size per weight. It ignores the gradient magnitude.",
        },
        {"title": "Quickprop", "text": "Quickprop fits a parabola through the last two slopes."},
        {
            "title": "Cascade",
            "text": "Cascade-Correlation adds hidden units one by one.\n\nEach new unit is frozen.",
        },
    ]
    ingested = await run(engine, swarm.id, "ingest", {"documents": docs})
    ids = ingested["doc_ids"]
    assert ingested["count"] == 3 and len(set(ids)) == 3
    found = await run(engine, swarm.id, "search", {"query": "parabola slopes"})
    assert [h["doc_id"] for h in found["hits"]] == [ids[1]]
    answer = await run(
        engine, swarm.id, "search", {"query": "how are hidden units added?", "answer": True}
    )
    assert answer["citations"][0] == ids[2]
    assert answer["answer"].startswith(
        "Cascade-Correlation adds hidden units one by one. [" + ids[2] + "]"
    )
    for q in answer["quotes"]:
        assert q["sentence"] in docs[ids.index(q["doc_id"])]["text"]
    nothing = await run(engine, swarm.id, "search", {"query": "zeppelin", "answer": True})
    assert nothing["found"] is False and nothing["answer"] == "" and nothing["citations"] == []
    info = await engine.submit_task(swarm.id, "search", {"query": "()*:"})
    done = await engine.wait_task(info.id, timeout=30)
    assert done.status is TaskStatus.FAILED and "no searchable words" in (done.error or "")


# -- coordinator ----------------------------------------------------------------------------


@pytest.mark.both_dbs
async def test_coordinator_runs_a_workflow_with_references(engine: Engine) -> None:
    swarm = await engine.create_swarm()
    await engine.spawn_agent(swarm.id, "coordinator")
    workflow = {
        "inputs": {"data": None, "epochs": 15},
        "steps": [
            {"name": "np", "uses": "spawn", "with": {"type": "neural-processor", "name": "trainer"}},
            {"name": "an", "uses": "spawn", "with": {"type": "analyst"}},
            {"name": "train", "uses": "train", "agent": "$steps.np.agent_id",
             "with": {"data": "$inputs.data", "epochs": "$inputs.epochs", "layers": [4], "seed": 2}},
            {"name": "predict", "uses": "predict",
             "with": {"model_id": "$steps.train.model_id", "inputs": [[-0.6, -0.6], [0.0, 0.7]]}},
            {"name": "analyze", "uses": "analyze", "agent": "$steps.an.agent_id",
             "with": {"model_id": "$steps.train.model_id", "data": "$inputs.data"}},
            {"name": "note", "uses": "memory_store",
             "with": {"key": "best", "value": {"model": "$steps.train.model_id", "mse": "$steps.analyze.mse"}}},
            {"name": "recall", "uses": "memory_get", "with": {"key": "best"}, "depends_on": ["note"]},
        ],
        "outputs": {"model": "$steps.train.model_id", "labels": "$steps.predict.labels"},
    }  # fmt: skip
    res = await run(engine, swarm.id, "workflow", {"workflow": workflow, "inputs": {"data": DATA}})
    steps = res["steps"]
    assert all(s["status"] == "completed" for s in steps.values())
    assert res["order"].index("train") > res["order"].index("np")
    assert steps["train"]["output"]["agent_id"] == steps["np"]["output"]["agent_id"]
    assert steps["train"]["output"]["epochs_run"] == 15
    model_id = steps["train"]["output"]["model_id"]
    assert res["outputs"]["model"] == model_id
    assert res["outputs"]["labels"] == steps["predict"]["output"]["labels"]
    assert steps["recall"]["output"]["value"] == {
        "model": model_id,
        "mse": steps["analyze"]["output"]["mse"],
    }
    # predict and analyze only need train: they ran side by side
    assert steps["predict"]["started_ms"] < steps["analyze"]["finished_ms"]


async def test_workflow_failures_name_the_step(engine: Engine) -> None:
    swarm = await engine.create_swarm()
    await engine.spawn_agent(swarm.id, "coordinator")
    await engine.spawn_agent(swarm.id, "neural-processor")
    for workflow, needle in [
        ({"steps": [{"name": "a", "uses": "train", "with": {"data": XOR, "algorithm": "nope"}}]},
         "workflow step 'a' failed"),
        ({"steps": [{"name": "a", "uses": "x"}]}, "unknown step kind 'x'"),
        ({"steps": [{"name": "a", "uses": "predict", "with": {"model_id": "$steps.b.model_id"}},
                    {"name": "b", "uses": "train", "with": {"model_id": "$steps.a.x"}}]}, "cycle"),
    ]:  # fmt: skip
        info = await engine.submit_task(swarm.id, "workflow", {"workflow": workflow})
        done = await engine.wait_task(info.id, timeout=60)
        assert done.status is TaskStatus.FAILED
        assert needle in (done.error or ""), done.error


# -- optimizer ------------------------------------------------------------------------------


async def test_optimizer_searches_in_parallel_and_picks_the_best(engine: Engine) -> None:
    swarm = await engine.create_swarm()
    await engine.spawn_agent(swarm.id, "optimizer")
    np_ids = [(await engine.spawn_agent(swarm.id, "neural-processor")).id for _ in range(2)]
    payload = {
        "data": DATA,
        "epochs": 15,
        "seed": 3,
        "space": {"layers": [[2], [6]], "algorithm": ["rprop", "quickprop"]},
    }
    res = await run(engine, swarm.id, "optimize", payload)
    trials = res["trials"]
    assert res["n_trials"] == 4 and len(trials) == 4
    assert [t["params"] for t in sorted(trials, key=lambda t: t["trial"])] == [
        {"layers": [2], "algorithm": "rprop"},
        {"layers": [2], "algorithm": "quickprop"},
        {"layers": [6], "algorithm": "rprop"},
        {"layers": [6], "algorithm": "quickprop"},
    ]
    assert {t["agent_id"] for t in trials} == set(np_ids)  # both agents explored
    best = min(trials, key=lambda t: t["validation_mse"])
    assert res["best"]["trial"] == best["trial"] and res["best_model_id"] == best["model_id"]
    model = await engine.get_model(res["best_model_id"])
    assert model.metrics["validation_mse"] == pytest.approx(best["validation_mse"])
    rnd = await run(engine, swarm.id, "optimize", {**payload, "search": "random", "trials": 3,
                                                    "space": {"learning_rate": {"min": 0.1, "max": 1.0, "log": True}},
                                                    "algorithm": "batch"})  # fmt: skip
    lrs = [t["params"]["learning_rate"] for t in rnd["trials"]]
    assert len(set(lrs)) == 3 and all(0.1 <= v <= 1.0 for v in lrs)


# -- external -------------------------------------------------------------------------------


@pytest.mark.both_dbs
async def test_external_pipeline_waits_for_the_client(engine: Engine) -> None:
    swarm = await engine.create_swarm(topology="ring")
    coder = await engine.spawn_agent(swarm.id, "coder")
    tester = await engine.spawn_agent(swarm.id, "tester")
    info = await engine.submit_task(
        swarm.id, "orchestrate", {"task": "write a parser"}, strategy="sequential"
    )

    async def waiting_child() -> Any:
        while True:
            kids = [t for t in await engine.list_tasks(limit=100) if t.parent_id == info.id]
            open_kids = [k for k in kids if k.status is TaskStatus.RUNNING]
            if open_kids:
                return open_kids[0]
            await anyio.sleep(0.02)

    first = await waiting_child()
    assert first.agent_ids == [coder.id]
    assert first.payload["role"] == "coder" and first.payload["previous"] is None
    await anyio.sleep(0.1)
    assert (await engine.get_task(info.id)).status is TaskStatus.RUNNING  # still waiting
    await engine.complete_external_task(first.id, result={"code": "def parse(): ..."})
    second = await waiting_child()
    assert second.agent_ids == [tester.id]
    assert second.payload["previous"] == {"code": "def parse(): ..."}
    await engine.complete_external_task(second.id, result={"tests": 3, "passed": 3})
    done = await engine.wait_task(info.id, timeout=30)
    assert done.status is TaskStatus.COMPLETED
    assert done.result is not None and done.result["result"] == {"tests": 3, "passed": 3}


def test_agents_public_surface_is_pinned() -> None:
    import swarm_core.agents as agents

    assert agents.__all__ == ["HANDLERS"]


async def test_train_reads_a_fann_data_file(engine: Engine, tmp_path: Any) -> None:
    path = tmp_path / "xor.data"
    path.write_text("4 2 1\n0 0\n0\n0 1\n1\n1 0\n1\n1 1\n0\n", encoding="ascii")
    swarm = await engine.create_swarm()
    info = await engine.train(
        swarm.id, data=str(path), layers=[3], epochs=5, seed=1, data_roots=[str(tmp_path)]
    )
    assert info.status is TaskStatus.COMPLETED, info.error
    inline = await engine.train(swarm.id, data=XOR, layers=[3], epochs=5, seed=1)
    assert info.result is not None and inline.result is not None
    assert info.result["train_mse"] == pytest.approx(inline.result["train_mse"])


async def test_labels_split_at_the_class_midpoint_of_the_training_targets(engine: Engine) -> None:
    swarm = await engine.create_swarm()
    # symmetric output activation but 0/1 targets: labels split at 0.5, not at 0
    res = (
        await engine.train(
            swarm.id,
            data=XOR,
            layers=[4],
            epochs=200,
            seed=3,
            output_activation="sigmoid_symmetric",
        )
    ).result
    assert res is not None
    net, _ = await engine._models.load(res["model_id"])
    x = np.asarray(XOR["inputs"], dtype=float)
    pred = await engine.predict(res["model_id"], XOR["inputs"])
    assert pred["labels"] == (net.run(x)[:, 0] >= 0.5).astype(int).tolist()
    ev = neural.evaluate(net, neural.TrainingData(XOR["inputs"], XOR["outputs"]))
    wrong = sum(int(p != t[0]) for p, t in zip(pred["labels"], XOR["outputs"], strict=True))
    assert ev.error_pct == pytest.approx(100.0 * wrong / 4)
