"""Strategies (cognitive patterns): how an `orchestrate` task spreads real work over agents.

An orchestrate payload is {"task": {...} | "text", "max_agents": n | None}. The task names its
kind ("train" when it carries data and no kind) plus that kind's payload, and may carry the
strategy options below (removed before work is handed out). Participants are the swarm's live
agents able to take the kind, in join order, at most `max_agents`; the swarm's topology is
rebuilt over them (`TopologyGraph.induced`) and decides who passes results to whom.

- sequential: a pipeline in the topology's `pipeline()` order. train: each agent continues from
  the previous agent's model (`init_model_id`) for `epochs` more. `stages`: a list of tasks run in
  order, each on the next pipeline agent able to take it; a stage's fields may reference the
  previous stage's result as "$prev.<field>". external: each agent gets the previous agent's
  result as `previous`.
- parallel: the same task to every participant at once; all results fanned in. A search
  fans in as one list: hits deduplicated by document (best score kept), the top `limit`
  (capped by EngineConfig.max_fanout_hits) with quotes deduplicated the same way, and per agent
  only a summary (found, hit count, best document); each child task's row keeps that summary
  too, so a fan-out over n researchers stores its hits once, not 2n times. Divergent searches
  (different queries per variant) are merged the same way.
- divergent: each participant gets a different variant: `variants` (explicit overrides) or, for
  train, seed + i and the i-th entry of each list in `vary` (default: the algorithm cycles
  through rprop, quickprop, sarprop, incremental). All results, with their spread.
- convergent: divergent variants trained on a shared training part, then one answer from a
  held-out part (`holdout`, default 0.25): `aggregate` = "best" (lowest held-out MSE),
  "ensemble" (outputs averaged with weights 1/MSE) or "vote" (majority of class labels).
- cascade: a parallel base layer, then layers whose inputs are the original features plus the
  previous layer's outputs (stacking), then a convergence step (mean of the last layer). Agents
  are layered from the topology: deeper agents first, the root/hub on top. `cascade_layers`
  gives the agent count per layer (default: all but one, then one). `stacking`: "blend"
  (default: each layer trains on its own fold of the training part, so a layer learns from
  outputs on samples the layer below never saw) or "in_sample" (every layer on all of it).
- mesh: `rounds` of training, each agent with its own variant (as divergent); after each round
  every agent sends (model, validation MSE) to each topology neighbour (2 messages per edge) and
  continues from the best model it has seen (its own unless a neighbour's is strictly better).
  Train kinds only.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import numpy as np

from swarm_core._exceptions import UnsupportedError, ValidationError
from swarm_core._topology import TopologyGraph, build_topology
from swarm_core._types import AgentInfo, AgentType, Strategy, TaskKind
from swarm_core._work import StrategyFn, WorkContext
from swarm_core._workflow import resolve
from swarm_core.agents import _metrics
from swarm_core.agents._concurrency import gather
from swarm_core.agents._external import external_payload
from swarm_core.agents._payload import get_choice, get_int, need_float, need_int

STRATEGY_KEYS = (
    "kind",
    "stages",
    "variants",
    "vary",
    "aggregate",
    "holdout",
    "cascade_layers",
    "rounds",
    "stacking",
)
AGGREGATES = ("best", "ensemble", "vote")
STACKINGS = ("blend", "in_sample")
DEFAULT_ALGORITHM_CYCLE = ("rprop", "quickprop", "sarprop", "incremental")
DEFAULT_HOLDOUT = 0.25
MAX_ROUNDS = 1_000
MAX_STAGES = 100
MAX_VARIANTS = 10_000
_PREV = "$prev."


# -- task and participants ----------------------------------------------------------------


def normalize_task(ctx: WorkContext, raw: Any) -> dict[str, Any]:
    """The task as a dict with a valid `kind`. Plain text goes to the client's external agents
    when the swarm has any, else it becomes a researcher query with an extractive answer."""
    if isinstance(raw, str):
        if not raw.strip():
            raise ValidationError("task", "task text is empty")
        if ctx.agents(AgentType.EXTERNAL):
            return {"kind": TaskKind.EXTERNAL.value, "description": raw}
        if ctx.agents(AgentType.RESEARCHER):
            return {"kind": TaskKind.SEARCH.value, "query": raw, "answer": True}
        raise ValidationError(
            "task",
            "a text task needs an external agent (coder, tester, reviewer, documenter, external) "
            "or a researcher in the swarm; spawn one, or pass a task object with a kind",
        )
    if not isinstance(raw, Mapping):
        raise ValidationError("task", "task must be an object with a kind, or text")
    task = dict(raw)
    if "kind" not in task:
        if "stages" in task:
            task["kind"] = "stages"
            return task
        if "data" in task:
            task["kind"] = TaskKind.TRAIN.value
        else:
            raise ValidationError(
                "task.kind",
                "task.kind is required (train, predict, evaluate, search, ingest, external, ...)",
            )
    if task["kind"] == "stages":
        return task
    allowed = [k.value for k in TaskKind if k not in (TaskKind.ORCHESTRATE,)]
    if task["kind"] not in allowed:
        raise ValidationError(
            "task.kind", f"unknown task kind {task['kind']!r}; allowed: {', '.join(allowed)}"
        )
    return task


def work_payload(task: Mapping[str, Any]) -> dict[str, Any]:
    """The task without the strategy's own options: what an agent receives."""
    return {k: v for k, v in task.items() if k not in STRATEGY_KEYS}


def participants(
    ctx: WorkContext, kind: str, max_agents: int | None, *, minimum: int = 1
) -> list[AgentInfo]:
    agents = ctx.agents(kind=kind)
    if max_agents is not None:
        agents = agents[:max_agents]
    if len(agents) < minimum:
        raise ValidationError(
            "agents",
            f"strategy needs at least {minimum} agent(s) able to take {kind!r} tasks in swarm "
            f"{ctx.swarm.id}, found {len(agents)}; spawn more (e.g. neural-processor for train)",
        )
    return agents


def graph_over(ctx: WorkContext, agents: Sequence[AgentInfo]) -> TopologyGraph:
    """The swarm's topology restricted to `agents` (rebuilt if the live graph lacks one)."""
    ids = [a.id for a in agents]
    types = {a.id: a.type.value for a in ctx.agents()}
    graph = ctx.topology
    if isinstance(graph, TopologyGraph) and all(i in graph for i in ids):
        return graph.induced(ids, types)
    return build_topology(ctx.swarm.topology.value, ids, agent_types=types)


def _max_agents(payload: Mapping[str, Any]) -> int | None:
    return get_int(payload, "max_agents", None, 1, 1_000_000)


def _score(result: Mapping[str, Any]) -> float:
    """Validation MSE when measured, else training MSE (lower is better)."""
    v = result.get("validation_mse", result.get("train_mse", result.get("mse")))
    return float(v) if v is not None else math.inf


def _base(strategy: Strategy, kind: str, graph: TopologyGraph) -> dict[str, Any]:
    return {
        "strategy": strategy.value,
        "kind": kind,
        "topology": graph.kind,
        "agents": list(graph.agent_ids),
    }


# -- data helpers for strategies that hold data out themselves ------------------------------


async def _split(
    ctx: WorkContext, task: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    if "data" not in task:
        raise ValidationError("task.data", "this strategy trains models: task.data is required")
    data = await ctx.load_data(task["data"])
    x = np.asarray(data.inputs, dtype=np.float64)
    y = np.asarray(data.outputs, dtype=np.float64)
    frac = need_float(task, "holdout", DEFAULT_HOLDOUT, 0.0, 0.9, lo_open=True)
    seed = get_int(task, "seed", 0, 0, 2**63 - 1) or 0
    n = x.shape[0]
    n_hold = round(n * frac)
    if n_hold < 1 or n - n_hold < 1:
        raise ValidationError(
            "task.holdout",
            f"holdout {frac} of {n} samples leaves an empty training or held-out part",
        )
    order = np.random.default_rng(seed).permutation(n)
    hold, train = order[:n_hold], order[n_hold:]
    return x[train], y[train], x[hold], y[hold]


def _inline(x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    return {"inputs": x.tolist(), "outputs": y.tolist()}


def _train_variants(task: Mapping[str, Any], n: int) -> list[dict[str, Any]]:
    """n variant payloads of a train task: explicit `variants`, else seed+i and `vary` lists."""
    base = work_payload(task)
    explicit = task.get("variants")
    if explicit is not None:
        if (
            not isinstance(explicit, list)
            or not explicit
            or not all(isinstance(v, Mapping) for v in explicit)
        ):
            raise ValidationError("task.variants", "variants must be a non-empty list of objects")
        if len(explicit) > MAX_VARIANTS:
            raise ValidationError(
                "task.variants", f"{len(explicit)} variants; the limit is {MAX_VARIANTS}"
            )
        return [{**base, **dict(v)} for v in explicit]
    if task.get("kind", TaskKind.TRAIN.value) != TaskKind.TRAIN.value:
        raise ValidationError(
            "task.variants",
            f"variants must be given for {task.get('kind')!r} tasks (generated only for train)",
        )
    vary = task.get("vary", {"algorithm": list(DEFAULT_ALGORITHM_CYCLE)})
    if not isinstance(vary, Mapping) or not all(isinstance(v, list) and v for v in vary.values()):
        raise ValidationError("task.vary", "vary must map field names to non-empty lists of values")
    seed = get_int(task, "seed", 0, 0, 2**62) or 0
    out = []
    for i in range(n):
        variant = {**base, "seed": seed + i}
        for field, values in vary.items():
            variant[field] = values[i % len(values)]
        out.append(variant)
    return out


# -- sequential -----------------------------------------------------------------------------


async def sequential(ctx: WorkContext, payload: dict[str, Any]) -> dict[str, Any]:
    task = normalize_task(ctx, payload.get("task"))
    kind = task["kind"]
    if kind == "stages":
        return await _run_stages(ctx, task, _max_agents(payload))
    agents = participants(ctx, kind, _max_agents(payload))
    graph = graph_over(ctx, agents)
    order = list(graph.pipeline())
    out = _base(Strategy.SEQUENTIAL, kind, graph)
    out["pipeline"] = order
    stages: list[dict[str, Any]] = []
    if kind == TaskKind.TRAIN.value:
        work = work_payload(task)
        model_id = work.get("init_model_id")
        for i, agent_id in enumerate(order):
            stage = {**work, "init_model_id": model_id}
            result = await ctx.dispatch(agent_id, kind, stage)
            model_id = result["model_id"]
            stages.append({"agent_id": agent_id, "stage": i, "result": result})
            await ctx.report_progress(
                (i + 1) / len(order), f"stage {i + 1}/{len(order)} on {agent_id}"
            )
        final = stages[-1]["result"]
        out["model_id"] = final["model_id"]
        out["mse_by_stage"] = [s["result"]["train_mse"] for s in stages]
        out["epochs_total"] = sum(int(s["result"]["epochs_run"]) for s in stages)
    elif kind == TaskKind.EXTERNAL.value:
        previous: dict[str, Any] | None = None
        by_id = {a.id: a for a in agents}
        for i, agent_id in enumerate(order):
            stage = external_payload(
                work_payload(task), by_id[agent_id], stage=i, previous=previous
            )
            previous = await ctx.dispatch(agent_id, kind, stage)
            stages.append({"agent_id": agent_id, "stage": i, "result": previous})
            await ctx.report_progress(
                (i + 1) / len(order), f"stage {i + 1}/{len(order)} on {agent_id}"
            )
        final = previous or {}
    else:
        raise ValidationError(
            "task.stages",
            f"sequential {kind!r} needs task.stages (a list of tasks chained with $prev.<field>)",
        )
    out["stages"] = stages
    out["result"] = final
    return out


async def _run_stages(
    ctx: WorkContext, task: Mapping[str, Any], max_agents: int | None
) -> dict[str, Any]:
    raw = task.get("stages")
    if not isinstance(raw, list) or not raw or len(raw) > MAX_STAGES:
        raise ValidationError(
            "task.stages", f"stages must be a list of 1..{MAX_STAGES} task objects"
        )
    live = ctx.agents()
    if max_agents is not None:
        live = live[:max_agents]
    graph = graph_over(ctx, live)
    order = list(graph.pipeline())
    by_id = {a.id: a for a in live}
    out = _base(Strategy.SEQUENTIAL, "stages", graph)
    out["pipeline"] = order
    pos = 0
    previous: dict[str, Any] = {}
    stages = []
    for i, raw_stage in enumerate(raw):
        stage = normalize_task(ctx, raw_stage)
        kind = stage["kind"]
        if kind == "stages":
            raise ValidationError(f"task.stages[{i}]", "stages cannot nest")
        able = {a.id for a in ctx.agents(kind=kind)}
        # walk the pipeline from where the previous stage ran: results pass along it
        candidates = [order[(pos + k) % len(order)] for k in range(len(order))] if order else []
        agent_id = next((a for a in candidates if a in able and a in by_id), None)
        if agent_id is None:
            raise ValidationError(
                f"task.stages[{i}]", f"no agent in the pipeline can take {kind!r} tasks"
            )
        pos = order.index(agent_id) + 1
        work = _resolve_prev(work_payload(stage), previous, i)
        if kind == TaskKind.EXTERNAL.value:
            work = external_payload(work, by_id[agent_id], stage=i, previous=previous or None)
        previous = await ctx.dispatch(agent_id, kind, work)
        stages.append({"stage": i, "kind": kind, "agent_id": agent_id, "result": previous})
        await ctx.report_progress(
            (i + 1) / len(raw), f"stage {i + 1}/{len(raw)} ({kind}) on {agent_id}"
        )
    out["stages"] = stages
    out["result"] = previous
    return out


def _resolve_prev(work: dict[str, Any], previous: dict[str, Any], index: int) -> dict[str, Any]:
    def rewrite(v: Any) -> Any:
        if isinstance(v, str):
            return (
                v.replace("${prev.", "${steps.prev.").replace(_PREV, "$steps.prev.")
                if "prev." in v
                else v
            )
        if isinstance(v, Mapping):
            return {k: rewrite(x) for k, x in v.items()}
        if isinstance(v, list):
            return [rewrite(x) for x in v]
        return v

    rewritten = rewrite(work)
    if index == 0 and rewritten != work:
        raise ValidationError("task.stages[0]", "the first stage cannot reference $prev")
    return resolve(rewritten, {"prev": previous}, {})  # type: ignore[no-any-return]


# -- parallel -------------------------------------------------------------------------------


def _single_kind(task: Mapping[str, Any]) -> str:
    """The task's kind, refusing a stage list (only the sequential strategy runs those)."""
    kind: str = task["kind"]
    if kind == "stages":
        raise ValidationError(
            "task.stages", "stages are a sequential pipeline; use strategy sequential"
        )
    return kind


async def parallel(ctx: WorkContext, payload: dict[str, Any]) -> dict[str, Any]:
    task = normalize_task(ctx, payload.get("task"))
    kind = _single_kind(task)
    agents = participants(ctx, kind, _max_agents(payload))
    graph = graph_over(ctx, agents)
    work = work_payload(task)
    search = kind == TaskKind.SEARCH.value
    if kind == TaskKind.EXTERNAL.value:
        calls = [_dispatcher(ctx, a.id, kind, external_payload(work, a)) for a in agents]
    else:
        calls = [_dispatcher(ctx, a.id, kind, work, fan_out=search) for a in agents]
    results = await gather(calls)
    out = _base(Strategy.PARALLEL, kind, graph)
    if search:
        out.update(_merge_search(ctx, work, results))
        out["results"] = [
            {"agent_id": a.id, **_search_summary(r)} for a, r in zip(agents, results, strict=True)
        ]
        return out
    out["results"] = [{"agent_id": a.id, "result": r} for a, r in zip(agents, results, strict=True)]
    if kind == TaskKind.TRAIN.value:
        scores = [_score(r) for r in results]
        out["model_ids"] = [r["model_id"] for r in results]
        out["mse_min"] = min(scores)
        out["mse_mean"] = float(np.mean(scores))
    return out


def _dispatcher(
    ctx: WorkContext, agent_id: str, kind: str, work: Mapping[str, Any], *, fan_out: bool = False
) -> Callable[[], Awaitable[dict[str, Any]]]:
    """One child task; with `fan_out` its row keeps a summary (the parent stores the merged
    hits, so they are not stored once per agent)."""
    parent = ctx.task.id

    def stored(result: dict[str, Any]) -> dict[str, Any]:
        return {**_search_summary(result), "merged_into": parent}

    async def call() -> dict[str, Any]:
        if fan_out:
            return await ctx.dispatch(agent_id, kind, dict(work), stored_result=stored)
        return await ctx.dispatch(agent_id, kind, dict(work))

    return call


# -- merging fan-out search results ------------------------------------------------------------


def _search_summary(result: Mapping[str, Any]) -> dict[str, Any]:
    hits = result.get("hits") or []
    return {
        "found": bool(result.get("found")),
        "hits": len(hits),
        "best_doc_id": hits[0].get("doc_id") if hits else None,
    }


def _merge_search(
    ctx: WorkContext, work: Mapping[str, Any], results: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """One answer from many researchers' results: hits deduplicated by document (best score
    kept), the top k by score (k = the task's `limit`, capped by max_fanout_hits); quotes
    deduplicated likewise, and the first non-empty extractive answer."""
    limit = work.get("limit", 10)
    if isinstance(limit, bool) or not isinstance(limit, int):
        limit = 10
    k = max(1, min(limit, ctx.config.max_fanout_hits))
    best: dict[str, dict[str, Any]] = {}
    for r in results:
        for h in r.get("hits") or []:
            doc = str(h.get("doc_id"))
            if doc not in best or float(h.get("score", 0.0)) > float(best[doc].get("score", 0.0)):
                best[doc] = dict(h)
    ranked = sorted(best.values(), key=lambda h: (-float(h.get("score", 0.0)), str(h["doc_id"])))
    out: dict[str, Any] = {
        "query": work.get("query"),
        "hits": ranked[:k],
        "distinct_hits": len(ranked),
        "found": any(bool(r.get("found")) for r in results),
    }
    if any("answer" in r for r in results):
        seen: set[tuple[str, str]] = set()
        quotes: list[dict[str, Any]] = []
        for r in results:
            for q in r.get("quotes") or []:
                key = (str(q.get("doc_id")), str(q.get("sentence")))
                if key not in seen and len(quotes) < k:
                    seen.add(key)
                    quotes.append(dict(q))
        out["answer"] = next((r["answer"] for r in results if r.get("answer")), "")
        out["quotes"] = quotes
        out["citations"] = list(dict.fromkeys(str(q["doc_id"]) for q in quotes))
    return out


# -- divergent ------------------------------------------------------------------------------


async def divergent(ctx: WorkContext, payload: dict[str, Any]) -> dict[str, Any]:
    task = normalize_task(ctx, payload.get("task"))
    kind = _single_kind(task)
    agents = participants(ctx, kind, _max_agents(payload))
    variants = _train_variants(task, len(agents))
    graph = graph_over(ctx, agents)
    search = kind == TaskKind.SEARCH.value
    # more variants than agents: agent i takes variants i, i+n, ...
    calls = [
        _dispatcher(ctx, agents[i % len(agents)].id, kind, v, fan_out=search)
        for i, v in enumerate(variants)
    ]
    results = await gather(calls)
    out = _base(Strategy.DIVERGENT, kind, graph)
    if search:
        out.update(_merge_search(ctx, work_payload(task), results))
        out["query"] = None  # the variants ask different queries: each is in its entry
        out["results"] = [
            {
                "agent_id": agents[i % len(agents)].id,
                "variant": _variant_fields(v, task),
                **_search_summary(r),
            }
            for i, (v, r) in enumerate(zip(variants, results, strict=True))
        ]
        return out
    out["results"] = [
        {"agent_id": agents[i % len(agents)].id, "variant": _variant_fields(v, task), "result": r}
        for i, (v, r) in enumerate(zip(variants, results, strict=True))
    ]
    if kind == TaskKind.TRAIN.value:
        scores = np.array([_score(r) for r in results])
        out["model_ids"] = [r["model_id"] for r in results]
        out["spread"] = {
            "mse_min": float(scores.min()),
            "mse_max": float(scores.max()),
            "mse_std": float(scores.std()),
            "distinct_variants": len(
                {repr(sorted(_variant_fields(v, task).items())) for v in variants}
            ),
        }
    return out


def _variant_fields(variant: Mapping[str, Any], task: Mapping[str, Any]) -> dict[str, Any]:
    base = work_payload(task)
    return {k: v for k, v in variant.items() if k != "data" and base.get(k, object()) != v}


# -- convergent -----------------------------------------------------------------------------


async def convergent(ctx: WorkContext, payload: dict[str, Any]) -> dict[str, Any]:
    task = normalize_task(ctx, payload.get("task"))
    if task["kind"] != TaskKind.TRAIN.value:
        raise UnsupportedError(
            f"convergent aggregates trained models (best, ensemble, vote); task kind {task['kind']!r} "
            "is not supported: use parallel or divergent"
        )
    aggregate = get_choice(task, "aggregate", "best", AGGREGATES)
    agents = participants(ctx, TaskKind.TRAIN.value, _max_agents(payload))
    graph = graph_over(ctx, agents)
    x_tr, y_tr, x_ho, y_ho = await _split(ctx, task)
    variants = [
        {**v, "data": _inline(x_tr, y_tr), "validation_split": 0.0}
        for v in _train_variants(task, len(agents))
    ]
    calls = [
        _dispatcher(ctx, agents[i % len(agents)].id, "train", v) for i, v in enumerate(variants)
    ]
    trained = await gather(calls)
    preds = await gather(
        [
            _dispatcher(
                ctx,
                agents[i % len(agents)].id,
                "predict",
                {"model_id": r["model_id"], "inputs": x_ho.tolist()},
            )
            for i, r in enumerate(trained)
        ]
    )
    outputs = [np.asarray(p["outputs"], dtype=np.float64) for p in preds]
    member_mse = [_metrics.mse(o, y_ho) for o in outputs]
    members = [
        {"agent_id": agents[i % len(agents)].id, "model_id": r["model_id"], "holdout_mse": m,
         "variant": _variant_fields(v, task)}
        for i, (r, m, v) in enumerate(zip(trained, member_mse, variants, strict=True))
    ]  # fmt: skip
    out = _base(Strategy.CONVERGENT, "train", graph)
    out.update({"aggregate": aggregate, "members": members, "n_holdout": int(x_ho.shape[0])})
    classifier = _metrics.looks_like_classification(y_ho) and _metrics.looks_like_classification(
        y_tr
    )
    threshold = 0.0 if y_tr.min() < 0 else 0.5
    if aggregate == "best":
        best = int(np.argmin(member_mse))
        out["model_id"] = members[best]["model_id"]
        out["holdout_mse"] = member_mse[best]
        combined = outputs[best]
    elif aggregate == "ensemble":
        w = 1.0 / np.maximum(np.array(member_mse), 1e-12)
        w = w / w.sum()
        combined = np.tensordot(w, np.stack(outputs), axes=1)
        out["weights"] = [float(v) for v in w]
        out["model_ids"] = [m["model_id"] for m in members]
        out["holdout_mse"] = _metrics.mse(combined, y_ho)
    else:
        if not classifier:
            raise ValidationError(
                "task.aggregate", "vote needs classification targets (one-hot or 0/1)"
            )
        k = _metrics.n_classes_of(y_ho.shape[1])
        votes = np.stack([_metrics.class_indices(o, threshold) for o in outputs])
        counts = np.stack([np.bincount(votes[:, j], minlength=k) for j in range(votes.shape[1])])
        winner = counts.argmax(axis=1)  # ties go to the lower class index
        # back to target values: one-hot rows, or the single output's class value (0/1 or -1/1)
        low = -1.0 if threshold == 0.0 else 0.0
        combined = (
            np.eye(k)[winner] if y_ho.shape[1] > 1 else np.where(winner == 1, 1.0, low)[:, None]
        )
        out["model_ids"] = [m["model_id"] for m in members]
        out["votes"] = counts.tolist()
    if classifier:
        true = _metrics.class_indices(y_ho, threshold)
        acc = [float(np.mean(_metrics.class_indices(o, threshold) == true)) for o in outputs]
        for m, a in zip(members, acc, strict=True):
            m["holdout_accuracy"] = a
        out["holdout_accuracy"] = float(
            np.mean(_metrics.class_indices(combined, threshold) == true)
        )
    out["member_mse_min"] = float(min(member_mse))
    out["member_mse_mean"] = float(np.mean(member_mse))
    return out


# -- cascade --------------------------------------------------------------------------------


async def cascade(ctx: WorkContext, payload: dict[str, Any]) -> dict[str, Any]:
    task = normalize_task(ctx, payload.get("task"))
    if task["kind"] != TaskKind.TRAIN.value:
        raise UnsupportedError(
            f"cascade stacks trained models; task kind {task['kind']!r} is not supported"
        )
    agents = participants(ctx, TaskKind.TRAIN.value, _max_agents(payload), minimum=2)
    graph = graph_over(ctx, agents)
    position = {a: i for i, a in enumerate(graph.pipeline())}
    # deeper agents form the base; the root / hub ends on top where results converge
    ordered = sorted(graph.agent_ids, key=lambda a: (-graph.depth(a), -position[a]))
    counts = _layer_counts(task, len(ordered))
    layers: list[list[str]] = []
    start = 0
    for c in counts:
        layers.append(ordered[start : start + c])
        start += c

    stacking = get_choice(task, "stacking", "blend", STACKINGS)
    x_tr, y_tr, x_ho, y_ho = await _split(ctx, task)
    variants = _train_variants(task, len(ordered))
    # blend: layer k trains on its own fold of the training part, so the next layer learns from
    # outputs on samples the previous layer never saw; in_sample: every layer uses all of it
    if stacking == "blend":
        if x_tr.shape[0] < 2 * len(layers):
            raise ValidationError(
                "task.stacking",
                f"blend stacking needs at least 2 training samples per layer ({len(layers)} layers, "
                f"{x_tr.shape[0]} samples); use stacking='in_sample'",
            )
        folds = list(
            zip(np.array_split(x_tr, len(layers)), np.array_split(y_tr, len(layers)), strict=True)
        )
    else:
        folds = [(x_tr, y_tr)] * len(layers)
    feats = [f[0] for f in folds]  # what each fold looks like to the next layer to train
    feats_ho = x_ho
    report: list[dict[str, Any]] = []
    last_outputs: list[np.ndarray] = []
    v_index = 0
    for depth, layer in enumerate(layers):
        jobs = []
        for agent_id in layer:
            v = {
                **variants[v_index % len(variants)],
                "data": _inline(feats[depth], folds[depth][1]),
                "validation_split": 0.0,
            }
            v_index += 1
            jobs.append(_dispatcher(ctx, agent_id, "train", v))
        trained = await gather(jobs)
        # one predict per model over every later fold and the held-out part together
        later = list(range(depth + 1, len(layers)))
        rows = np.vstack([*(feats[j] for j in later), feats_ho])
        preds = await gather(
            [_dispatcher(ctx, a, "predict", {"model_id": r["model_id"], "inputs": rows.tolist()})
             for a, r in zip(layer, trained, strict=True)]
        )  # fmt: skip
        outs = [np.asarray(p["outputs"], dtype=np.float64) for p in preds]
        cuts = np.cumsum([feats[j].shape[0] for j in later])
        parts = [np.split(o, cuts) for o in outs]  # per model: [fold j..., holdout]
        outs_ho = [p[-1] for p in parts]
        mse_ho = [_metrics.mse(o, y_ho) for o in outs_ho]
        report.append(
            {
                "layer": depth,
                "agents": layer,
                "model_ids": [r["model_id"] for r in trained],
                "n_features": int(feats[depth].shape[1]),
                "n_train": int(feats[depth].shape[0]),
                "holdout_mse": mse_ho,
            }
        )
        last_outputs = outs_ho
        # stacking: the next layer sees the original features plus this layer's outputs
        for k, j in enumerate(later):
            feats[j] = np.hstack([folds[j][0], *(p[k] for p in parts)])
        feats_ho = np.hstack([x_ho, *outs_ho])
        await ctx.report_progress(
            (depth + 1) / len(layers), f"cascade layer {depth + 1}/{len(layers)}"
        )
    final = np.mean(np.stack(last_outputs), axis=0)
    out = _base(Strategy.CASCADE, "train", graph)
    out["stacking"] = stacking
    out["layers"] = report
    out["holdout_mse"] = _metrics.mse(final, y_ho)
    out["base_holdout_mse_best"] = float(min(report[0]["holdout_mse"]))
    out["n_holdout"] = int(x_ho.shape[0])
    out["stack"] = [layer["model_ids"] for layer in report]
    return out


def _layer_counts(task: Mapping[str, Any], n: int) -> list[int]:
    raw = task.get("cascade_layers")
    if raw is None:
        return [n - 1, 1]
    if (
        not isinstance(raw, list)
        or len(raw) < 2
        or not all(isinstance(c, int) and not isinstance(c, bool) and c >= 1 for c in raw)
    ):
        raise ValidationError(
            "task.cascade_layers", "cascade_layers must list at least 2 positive agent counts"
        )
    if sum(raw) > n:
        raise ValidationError(
            "task.cascade_layers", f"cascade_layers needs {sum(raw)} agents, {n} are available"
        )
    return list(raw)


# -- mesh -----------------------------------------------------------------------------------


async def mesh(ctx: WorkContext, payload: dict[str, Any]) -> dict[str, Any]:
    task = normalize_task(ctx, payload.get("task"))
    if task["kind"] != TaskKind.TRAIN.value:
        raise UnsupportedError(
            f"mesh exchanges trained models between neighbours; task kind {task['kind']!r} is not supported"
        )
    rounds = need_int(task, "rounds", 3, 1, MAX_ROUNDS)
    agents = participants(ctx, TaskKind.TRAIN.value, _max_agents(payload))
    graph = graph_over(ctx, agents)
    ids = list(graph.agent_ids)
    seed = get_int(task, "seed", 0, 0, 2**62) or 0
    split = need_float(task, "validation_split", DEFAULT_HOLDOUT, 0.0, 0.9, lo_open=True)
    # each agent keeps its own variant (seed, algorithm...) every round, so agents that adopt
    # the same model still explore differently; one shared split keeps scores comparable
    variants = {a: v for a, v in zip(ids, _train_variants(task, len(ids)), strict=True)}
    current: dict[str, str | None] = dict.fromkeys(ids)
    history: list[dict[str, Any]] = []
    messages = 0
    for r in range(rounds):
        jobs = [
            _dispatcher(
                ctx,
                a,
                "train",
                {
                    **variants[a],
                    "validation_split": split,
                    "split_seed": seed,
                    "seed": variants[a]["seed"] + r * len(ids) if "seed" in variants[a] else None,
                    "init_model_id": current[a],
                },
            )
            for a in ids
        ]
        results = dict(zip(ids, await gather(jobs), strict=True))
        score = {a: _score(results[a]) for a in ids}
        adopted: dict[str, str] = {}
        for a in ids:
            seen = [a, *graph.neighbours(a)]
            messages += len(graph.neighbours(a))  # each neighbour sends one result to `a`
            best = min(seen, key=lambda s: (score[s], s != a, ids.index(s)))
            adopted[a] = best
            current[a] = results[best]["model_id"]
        history.append(
            {
                "round": r,
                "models": {a: results[a]["model_id"] for a in ids},
                "validation_mse": score,
                "adopted_from": adopted,
            }
        )
        await ctx.emit("mesh.round", {"round": r, "adopted_from": adopted, "messages": messages})
        await ctx.report_progress((r + 1) / rounds, f"mesh round {r + 1}/{rounds}")
    last = history[-1]
    best_agent = min(ids, key=lambda a: (last["validation_mse"][a], ids.index(a)))
    out = _base(Strategy.MESH, "train", graph)
    out.update(
        {
            "rounds": history,
            "messages": messages,
            "edges": graph.edge_count,
            "model_id": last["models"][best_agent],
            "validation_mse": last["validation_mse"][best_agent],
            "best_agent": best_agent,
        }
    )
    return out


STRATEGIES: dict[Strategy, StrategyFn] = {
    Strategy.SEQUENTIAL: sequential,
    Strategy.PARALLEL: parallel,
    Strategy.DIVERGENT: divergent,
    Strategy.CONVERGENT: convergent,
    Strategy.CASCADE: cascade,
    Strategy.MESH: mesh,
}
