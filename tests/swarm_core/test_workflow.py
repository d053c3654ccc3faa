"""Workflow DAG: inferred dependencies, order, cycles, references, parallelism and failures."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from swarm_core._workflow import (
    WorkflowError,
    WorkflowStepError,
    parse_workflow,
    resolve,
    run_workflow,
)

SPEC: dict[str, Any] = {
    "inputs": {"data": None, "epochs": 5},
    "steps": [
        {"name": "report", "uses": "echo", "with": {"text": "model ${steps.train.model_id}!"}},
        {"name": "eval", "uses": "echo", "with": {"model": "$steps.train.model_id"}},
        {"name": "train", "uses": "echo", "with": {"data": "$inputs.data", "n": "$inputs.epochs"}},
        {"name": "cleanup", "uses": "echo", "with": {}, "depends_on": ["report", "eval"]},
    ],
    "outputs": {"model": "$steps.train.model_id", "score": "$steps.eval.score"},
}


def test_dependencies_are_inferred_and_ordered() -> None:
    wf = parse_workflow(SPEC)
    assert wf.step("report").depends_on == ("train",)
    assert wf.step("eval").depends_on == ("train",)
    assert wf.step("train").depends_on == ()
    assert wf.step("cleanup").depends_on == ("report", "eval")
    assert wf.order == ("train", "report", "eval", "cleanup")
    assert wf.levels() == [["train"], ["report", "eval"], ["cleanup"]]


def test_cycle_is_reported_with_its_path() -> None:
    spec = {
        "steps": [
            {"name": "a", "uses": "x", "with": {"v": "$steps.c.out"}},
            {"name": "b", "uses": "x", "with": {"v": "$steps.a.out"}},
            {"name": "c", "uses": "x", "with": {"v": "$steps.b.out"}},
            {"name": "d", "uses": "x"},
        ]
    }
    with pytest.raises(
        WorkflowError, match=r"cycle: (a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c)"
    ):
        parse_workflow(spec)
    with pytest.raises(WorkflowError, match="cycle: s -> s"):
        parse_workflow({"steps": [{"name": "s", "uses": "x", "with": {"v": "$steps.s.y"}}]})


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({}, "non-empty list"),
        ({"steps": [{"name": "a"}]}, "'uses'"),
        ({"steps": [{"name": "1bad", "uses": "x"}]}, "name must match"),
        ({"steps": [{"name": "a", "uses": "x"}, {"name": "a", "uses": "x"}]}, "used twice"),
        ({"steps": [{"name": "a", "uses": "x", "with": {"m": "$steps.zz.id"}}]}, "no step 'zz'"),
        ({"steps": [{"name": "a", "uses": "x", "with": {"m": "$steps.a"}}]}, "must name a field"),
        ({"steps": [{"name": "a", "uses": "x", "depends_on": ["q"]}]}, "unknown step 'q'"),
        ({"steps": [{"name": "a", "uses": "nope"}]}, "unknown step kind 'nope'; allowed: echo"),
        (
            {"inputs": ["x"], "steps": [{"name": "a", "uses": "echo", "with": {"v": "$inputs.y"}}]},
            "declares no input 'y'",
        ),
        ({"steps": [{"name": "a", "uses": "echo"}], "max_parallel": 0}, "max_parallel"),
    ],
)
def test_bad_specs_are_clear_errors(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(WorkflowError, match=message):
        parse_workflow(spec, allowed_uses=["echo", "x"] if "nope" not in str(spec) else ["echo"])


def test_step_limit_is_enforced() -> None:
    steps = [{"name": f"s{i}", "uses": "x"} for i in range(5)]
    with pytest.raises(WorkflowError, match="limit is 4"):
        parse_workflow({"steps": steps}, max_steps=4)


def test_resolve_whole_embedded_nested_and_escaped() -> None:
    outs = {"p": {"outputs": [[0.25, 0.75]], "labels": ["b"], "n": 3}}
    ins = {"x": {"deep": [1, 2]}}
    assert resolve("$steps.p.outputs.0.1", outs, ins) == 0.75
    assert resolve("$steps.p.outputs", outs, ins) == [[0.25, 0.75]]
    assert resolve("$inputs.x.deep.-1", outs, ins) == 2
    assert resolve("n=${steps.p.n} l=${steps.p.labels}", outs, ins) == 'n=3 l=["b"]'
    assert resolve("costs $$5 ${steps.p.labels.0}", outs, ins) == "costs $5 b"
    assert resolve({"a": ["$inputs.x", 1]}, outs, ins) == {"a": [{"deep": [1, 2]}, 1]}
    with pytest.raises(
        WorkflowError, match=r"\$steps.p has no 'model_id' \(it has: labels, n, outputs\)"
    ):
        resolve("$steps.p.model_id", outs, ins)
    with pytest.raises(WorkflowError, match="no '5'"):
        resolve("$steps.p.outputs.5", outs, ins)


def test_run_resolves_references_and_outputs() -> None:
    seen: dict[str, dict[str, Any]] = {}

    async def execute(step, params):
        seen[step.name] = params
        if step.name == "train":
            return {"model_id": f"model-{params['n']}", "rows": len(params["data"])}
        if step.name == "eval":
            return {"score": 0.5 if params["model"] == "model-5" else -1}
        return {"ok": True}

    wf = parse_workflow(SPEC)
    run = anyio.run(run_workflow, wf, {"data": [[0, 1], [1, 0]]}, execute)
    assert seen["train"] == {"data": [[0, 1], [1, 0]], "n": 5}
    assert seen["report"] == {"text": "model model-5!"}
    assert run.outputs == {"model": "model-5", "score": 0.5}
    d = run.to_dict()
    assert all(s["status"] == "completed" for s in d["steps"].values())
    assert d["steps"]["cleanup"]["started_ms"] >= d["steps"]["eval"]["finished_ms"]


def test_missing_and_unknown_inputs() -> None:
    async def execute(step, params):
        return {}

    wf = parse_workflow(SPEC)
    with pytest.raises(WorkflowError, match="input 'data' is required"):
        anyio.run(run_workflow, wf, {}, execute)
    with pytest.raises(WorkflowError, match="unknown workflow inputs"):
        anyio.run(run_workflow, wf, {"data": 1, "zzz": 2}, execute)


def test_independent_steps_run_concurrently_and_limit_is_respected() -> None:
    async def execute(step, params):
        await anyio.sleep(0.05)
        return {"v": 1}

    steps = [{"name": f"s{i}", "uses": "x"} for i in range(6)]
    steps.append(
        {"name": "join", "uses": "x", "with": {"all": [f"$steps.s{i}.v" for i in range(6)]}}
    )
    wf = parse_workflow({"steps": steps})
    run = anyio.run(run_workflow, wf, None, execute)
    assert run.max_concurrency == 6
    starts = [run.steps[f"s{i}"].started_ms for i in range(6)]
    assert max(starts) - min(starts) < 40  # all started before any finished (each takes 50 ms)

    narrow = parse_workflow({"steps": steps, "max_parallel": 2})
    run2 = anyio.run(run_workflow, narrow, None, execute)
    assert run2.max_concurrency == 2


def test_failing_step_cancels_the_rest_and_names_itself() -> None:
    async def execute(step, params):
        if step.name == "bad":
            await anyio.sleep(0.01)
            raise RuntimeError("boom")
        await anyio.sleep(1.0)
        return {}

    wf = parse_workflow(
        {
            "steps": [
                {"name": "slow", "uses": "x"},
                {"name": "bad", "uses": "x"},
                {"name": "after", "uses": "x", "with": {"v": "$steps.bad.v"}},
            ]
        }
    )
    with pytest.raises(WorkflowStepError, match="step 'bad' failed: boom") as info:
        anyio.run(run_workflow, wf, None, execute)
    steps = info.value.run.steps
    assert steps["bad"].status == "failed"
    assert steps["slow"].status == "cancelled"
    assert steps["after"].status == "cancelled"


def test_bad_reference_at_run_time_fails_the_step() -> None:
    async def execute(step, params):
        return {"model_id": "m"}

    wf = parse_workflow(
        {
            "steps": [
                {"name": "a", "uses": "x"},
                {"name": "b", "uses": "x", "with": {"v": "$steps.a.nope"}},
            ]
        }
    )
    with pytest.raises(WorkflowStepError, match="step 'b' failed: cannot resolve"):
        anyio.run(run_workflow, wf, None, execute)


def test_agent_reference_is_resolved_before_the_step_runs() -> None:
    seen: dict[str, str | None] = {}

    async def execute(step, params):
        seen[step.name] = step.agent
        return {"agent_id": "agent-7"} if step.name == "spawn" else {}

    wf = parse_workflow(
        {
            "steps": [
                {"name": "spawn", "uses": "x"},
                {"name": "work", "uses": "x", "agent": "$steps.spawn.agent_id"},
                {"name": "fixed", "uses": "x", "agent": "agent-1"},
            ]
        }
    )
    assert wf.step("work").depends_on == ("spawn",)
    anyio.run(run_workflow, wf, None, execute)
    assert seen == {"spawn": None, "work": "agent-7", "fixed": "agent-1"}
