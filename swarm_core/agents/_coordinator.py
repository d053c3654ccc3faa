"""coordinator agents: run workflows (a DAG of steps, see `swarm_core._workflow`).

workflow payload: {"workflow": {"steps": [...], "inputs": ..., "outputs": ...}, "inputs": {...}}

Step kinds (`uses`) and what they do:
    spawn          spawn an agent: with {type, name?, capabilities?, cognitive_pattern?} -> agent info
    train, predict, evaluate, ingest, search, optimize, external
                   dispatched as a child task to an agent able to take that kind: the step's
                   `agent` (an id, may be a reference like "$steps.spawn1.agent_id"), else the
                   capable agent with the fewest of this workflow's steps in flight (join order
                   breaks ties), so independent steps spread over agents
    analyze        an analyst's evaluate (confusion matrix, per-class error, dataset statistics)
    research       a researcher's search with an extractive, cited answer
    memory_store   with {key, value, namespace?, ttl_seconds?}
    memory_get     with {key, namespace?}
    memory_delete  with {key, namespace?}
    memory_list    with {namespace?, prefix?, limit?}
Memory steps default to the namespace "swarm:<swarm id>".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from swarm_core._exceptions import ValidationError
from swarm_core._types import AgentType, TaskKind
from swarm_core._work import WorkContext
from swarm_core._workflow import WorkflowStep, parse_workflow, run_workflow
from swarm_core.agents._payload import get_mapping

DISPATCH_STEPS: dict[str, tuple[TaskKind, AgentType | None, dict[str, Any]]] = {
    "train": (TaskKind.TRAIN, None, {}),
    "predict": (TaskKind.PREDICT, None, {}),
    "evaluate": (TaskKind.EVALUATE, AgentType.NEURAL_PROCESSOR, {}),
    "analyze": (TaskKind.EVALUATE, AgentType.ANALYST, {}),
    "ingest": (TaskKind.INGEST, None, {}),
    "search": (TaskKind.SEARCH, None, {}),
    "research": (TaskKind.SEARCH, AgentType.RESEARCHER, {"answer": True}),
    "optimize": (TaskKind.OPTIMIZE, None, {}),
    "external": (TaskKind.EXTERNAL, None, {}),
}
ENGINE_STEPS = ("spawn", "memory_store", "memory_get", "memory_delete", "memory_list")
STEP_KINDS = tuple(sorted((*DISPATCH_STEPS, *ENGINE_STEPS)))


async def run(ctx: WorkContext, payload: dict[str, Any]) -> dict[str, Any]:
    spec = get_mapping(payload, "workflow")
    inputs = payload.get("inputs") or {}
    if not isinstance(inputs, dict):
        raise ValidationError("inputs", "inputs must be an object name -> value")
    workflow = parse_workflow(spec, allowed_uses=STEP_KINDS)
    in_flight: dict[str, int] = {}
    done = 0

    async def execute(step: WorkflowStep, params: dict[str, Any]) -> Any:
        if step.uses in ENGINE_STEPS:
            return await _engine_step(ctx, step, params)
        kind, agent_type, extra = DISPATCH_STEPS[step.uses]
        agent_id = _resolve_agent(ctx, step, params, kind, agent_type, in_flight)
        in_flight[agent_id] = in_flight.get(agent_id, 0) + 1
        try:
            result = await ctx.dispatch(agent_id, kind, {**extra, **params})
        finally:
            in_flight[agent_id] -= 1
        return {**result, "agent_id": result.get("agent_id") or agent_id}

    async def on_step(record: Any) -> None:
        nonlocal done
        done += 1
        await ctx.report_progress(done / len(workflow.order), f"step {record.name} {record.status}")

    run_ = await run_workflow(workflow, inputs, execute, on_step=on_step)
    return run_.to_dict()


def _resolve_agent(
    ctx: WorkContext,
    step: WorkflowStep,
    params: dict[str, Any],
    kind: TaskKind,
    agent_type: AgentType | None,
    in_flight: dict[str, int],
) -> str:
    if step.agent is not None:
        return step.agent
    able = ctx.agents(agent_type, kind=kind) if agent_type is not None else ctx.agents(kind=kind)
    if not able:
        who = (
            agent_type.value
            if agent_type is not None
            else f"an agent that takes {kind.value!r} tasks"
        )
        raise ValidationError(
            "workflow",
            f"step {step.name!r} ({step.uses}) needs {who} in swarm {ctx.swarm.id}; add a spawn step or spawn one",
        )
    order = {a.id: i for i, a in enumerate(able)}
    return min(order, key=lambda a: (in_flight.get(a, 0), order[a]))


async def _engine_step(ctx: WorkContext, step: WorkflowStep, params: dict[str, Any]) -> Any:
    swarm_id = ctx.swarm.id
    if step.uses == "spawn":
        if "type" not in params:
            raise ValidationError("workflow", f"step {step.name!r}: spawn needs with.type")
        agent = await ctx.spawn_agent(
            params["type"],
            name=params.get("name"),
            capabilities=params.get("capabilities") or (),
            cognitive_pattern=params.get("cognitive_pattern"),
        )
        return {
            "agent_id": agent.id,
            "type": agent.type.value,
            "role": agent.role,
            "name": agent.name,
        }
    namespace = params.get("namespace", f"swarm:{swarm_id}")
    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "memory_store": lambda: ctx.memory_store(
            namespace,
            _key(step, params),
            params.get("value"),
            ttl_seconds=params.get("ttl_seconds"),
        ),
        "memory_get": lambda: ctx.memory_get(namespace, _key(step, params)),
        "memory_delete": lambda: ctx.memory_delete(namespace, _key(step, params)),
        "memory_list": lambda: ctx.memory_list(
            namespace=namespace, prefix=params.get("prefix"), limit=params.get("limit", 100)
        ),
    }
    out = await calls[step.uses]()
    return _jsonable(out)


def _key(step: WorkflowStep, params: dict[str, Any]) -> str:
    key = params.get("key")
    if not isinstance(key, str) or not key:
        raise ValidationError(
            "workflow", f"step {step.name!r}: {step.uses} needs with.key (a string)"
        )
    return key


def _jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return {"entries": [_jsonable(v) for v in value]}
    if value is None or isinstance(value, bool | int | float | str):
        return {"value": value}
    if isinstance(value, dict):
        return value
    return {"value": value}
