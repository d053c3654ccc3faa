"""`--profile ruv-swarm`: the npm ruv-swarm MCP tool and argument names, backed by real work.

Prompts written for the npm server keep working: same tool names, same camelCase arguments, the
npm enum values mapped onto this engine's vocabulary (documented in each description). Every
figure is measured: benchmark_run times real engine work, features_detect inspects this
install, memory_usage reads the process and the database.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import sqlite3
import sys
import time
from importlib import resources as pkg_resources
from typing import TYPE_CHECKING, Annotated, Any, Literal

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from ruv_swarm_mcp._current import resolve, set_current
from ruv_swarm_mcp._models import (
    FINAL_TASK_STATES,
    AgentListOut,
    AgentMetricsOut,
    AgentSpawnOut,
    BenchmarkOut,
    CompatSwarmInitOut,
    CompatSwarmStatusOut,
    CompatTaskStatusOut,
    FeaturesOut,
    MemoryUsageOut,
    MissingMode,
    NeuralPatternsOut,
    NeuralStatusOut,
    SwarmMonitorOut,
    TabularTask,
    TaskOrchestrateOut,
    TaskResultsOut,
    TopologyName,
    TrainOut,
    dump,
    literal_of,
    task_out,
)
from ruv_swarm_mcp._roots import data_roots
from ruv_swarm_mcp._toolkit import (
    engine_of,
    reply_as,
    state_of,
    tool_errors,
    wait_bounded,
)
from ruv_swarm_mcp._tools_models import (
    ColumnName,
    DataFormatArg,
    DataSpec,
    DelimiterArg,
    HeaderArg,
    Target,
    _data_arg,
    _table_args,
    _train_out,
)
from swarm_core import _limits as L
from swarm_core._train_spec import train_payload
from swarm_core._types import Strategy

log = logging.getLogger("ruv_swarm_mcp")

# npm's swarm strategies are about agent mix; these are the closest default task strategies.
SWARM_STRATEGY_MAP = {"balanced": "parallel", "specialized": "divergent", "adaptive": "parallel"}


def _task_strategy(strategy: str, task: str) -> str:
    """npm's `adaptive` picks by task: stacked training (cascade) for a JSON task that carries
    data, everyone at once (parallel) for anything else."""
    if strategy != "adaptive":
        return strategy
    return "cascade" if task.lstrip().startswith("{") and '"data"' in task else "parallel"


PRIORITY_MAP = {"low": -10, "medium": 0, "high": 10, "critical": 20}
BUNDLED_DATASET = "diabetes.train"
MAX_MONITOR_SECONDS = 60.0


def _process_metrics() -> dict[str, Any]:
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        rss = None
    peak = _peak_rss_bytes()
    # Linux updates the high-water mark lazily, so it can trail the RSS just read.
    peak = max(peak, rss or 0)
    times = os.times()
    return {
        "rss_bytes": rss,
        "peak_rss_bytes": int(peak),
        "cpu_user_seconds": round(times.user, 3),
        "cpu_system_seconds": round(times.system, 3),
        "threads": _thread_count(),
    }


def _peak_rss_bytes() -> int:
    # `resource` is POSIX-only: imported here so the server's import path works on Windows,
    # where the peak falls back to the current RSS below.
    try:
        import resource
    except ImportError:
        return 0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return int(usage.ru_maxrss if sys.platform == "darwin" else usage.ru_maxrss * 1024)


def _thread_count() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


async def _stats(engine: Any) -> dict[str, Any]:
    stats = engine.stats()
    if hasattr(stats, "__await__"):
        stats = await stats
    return dict(stats)


def bundled_dataset_path() -> str:
    return str(pkg_resources.files("ruv_swarm_mcp").joinpath("data", BUNDLED_DATASET))


@tool_errors
async def swarm_init(
    ctx: Context,
    topology: TopologyName = "mesh",
    maxAgents: Annotated[int, Field(ge=1, le=L.MAX_AGENTS_LIMIT)] = 5,
    strategy: Annotated[
        Literal["balanced", "specialized", "adaptive"],
        Field(
            description="default task strategy: balanced and adaptive -> parallel, "
            "specialized -> divergent"
        ),
    ] = "balanced",
) -> CompatSwarmInitOut:
    """Initialize a new swarm with the given topology (ruv-swarm compatible). It becomes this
    session's current swarm, the one every tool here acts on; only swarm_init changes it
    (before any, the most recently created swarm is adopted; benchmark_run never changes it)."""
    engine = await engine_of(ctx)
    info = dump(
        await engine.create_swarm(
            topology=topology, strategy=SWARM_STRATEGY_MAP[strategy], max_agents=maxAgents
        )
    )
    set_current(ctx, info["id"])
    data = {
        "id": info["id"],
        "message": f"Successfully initialized {topology} swarm with {maxAgents} max agents",
        "topology": topology,
        "strategy": strategy,
        "task_strategy": info["strategy"],
        "maxAgents": maxAgents,
        "created": info["created_at"],
    }
    return reply_as(CompatSwarmInitOut, data, data["message"])


@tool_errors
async def swarm_status(ctx: Context, verbose: bool = False) -> CompatSwarmStatusOut:
    """Status of the current swarm: agents, tasks, models (verbose: every agent)."""
    engine = await engine_of(ctx)
    swarm = await resolve(ctx, engine, None)
    status = dump(await engine.swarm_status(swarm.id))
    data: dict[str, Any] = {
        "swarm": status["swarm"],
        **{k: v for k, v in status.items() if k != "swarm"},
    }
    if verbose:
        agents = await engine.query_agents(swarm_id=swarm.id, limit=1000)
        data["agents"] = [dump(a) for a in agents]
        data["engine"] = await _stats(engine)
    return reply_as(
        CompatSwarmStatusOut, data, f"swarm {swarm.id}: {status['agents_total']} agents"
    )


@tool_errors
async def swarm_monitor(
    ctx: Context,
    duration: Annotated[float, Field(gt=0, le=MAX_MONITOR_SECONDS, description="seconds")] = 2.0,
    interval: Annotated[float, Field(ge=0.05, le=10.0, description="seconds")] = 0.5,
) -> SwarmMonitorOut:
    """Sample the engine (queue depth, worker use, tasks by status, RSS) for `duration` seconds;
    returns the measured samples and the changes the engine reported meanwhile."""
    engine = await engine_of(ctx)
    changes: dict[str, int] = {}

    def on_change(kind: str, _subject: str) -> None:
        changes[kind] = changes.get(kind, 0) + 1

    unsubscribe = engine.subscribe(on_change)
    samples = []
    started = time.monotonic()
    try:
        while True:
            elapsed = time.monotonic() - started
            samples.append(
                {
                    "t": round(elapsed, 3),
                    "engine": await _stats(engine),
                    "process": _process_metrics(),
                }
            )
            if elapsed + interval > duration:
                break
            await ctx.report_progress(elapsed, duration, f"{len(samples)} samples")
            await anyio.sleep(interval)
    finally:
        unsubscribe()
    data = {
        "duration": round(time.monotonic() - started, 3),
        "samples": samples,
        "changes_by_kind": changes,
    }
    return reply_as(
        SwarmMonitorOut, data, f"{len(samples)} samples, {sum(changes.values())} changes"
    )


@tool_errors
async def agent_spawn(
    ctx: Context,
    type: Literal[
        "researcher",
        "coder",
        "analyst",
        "optimizer",
        "coordinator",
        "tester",
        "reviewer",
        "documenter",
        "neural-processor",
        "external",
    ],
    name: Annotated[str | None, Field(min_length=1, max_length=L.MAX_NAME_LENGTH)] = None,
    capabilities: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=L.MAX_CAPABILITY_LENGTH)]] | None,
        Field(max_length=L.MAX_CAPABILITIES),
    ] = None,
) -> AgentSpawnOut:
    """Spawn a new agent in the current swarm (ruv-swarm compatible)."""
    engine = await engine_of(ctx)
    swarm = await resolve(ctx, engine, None)
    agent = dump(
        await engine.spawn_agent(swarm.id, type, name=name, capabilities=tuple(capabilities or ()))
    )
    data = {"agent": agent, "swarm_id": swarm.id, "message": f"Spawned {type} agent {agent['id']}"}
    return reply_as(AgentSpawnOut, data, data["message"])


@tool_errors
async def agent_list(
    ctx: Context, filter: Literal["all", "active", "idle", "busy"] = "all"
) -> AgentListOut:
    """List the current swarm's agents; active = not terminated."""
    engine = await engine_of(ctx)
    swarm = await resolve(ctx, engine, None)
    status = None if filter in ("all", "active") else filter
    agents = [
        dump(a) for a in await engine.query_agents(swarm_id=swarm.id, status=status, limit=1000)
    ]
    if filter == "active":
        agents = [a for a in agents if a["status"] != "terminated"]
    data = {"total_agents": len(agents), "filter": filter, "agents": agents}
    return reply_as(AgentListOut, data, f"{len(agents)} agents ({filter})")


@tool_errors
async def agent_metrics(
    ctx: Context,
    agentId: Annotated[str | None, Field(max_length=L.ID_MAX_LENGTH)] = None,
    metric: Literal["all", "cpu", "memory", "tasks", "performance"] = "all",
) -> AgentMetricsOut:
    """Measured task metrics per agent (count, success rate, mean / p95 duration). Agents run
    in-process, so cpu and memory are the server process's figures."""
    engine = await engine_of(ctx)
    if agentId:
        agents = [await engine.get_agent(agentId)]
    else:
        swarm = await resolve(ctx, engine, None)
        agents = await engine.query_agents(swarm_id=swarm.id, limit=1000)
    rows = []
    for agent in agents:
        info = dump(agent)
        tasks = [dump(t) for t in await engine.list_tasks(agent_id=info["id"], limit=1000)]
        durations = sorted(t["duration_ms"] for t in tasks if t.get("duration_ms") is not None)
        done = [t for t in tasks if t["status"] in FINAL_TASK_STATES]
        ok = [t for t in done if t["status"] == "completed"]
        row: dict[str, Any] = {
            "agent_id": info["id"],
            "type": info["role"],
            "status": info["status"],
        }
        if metric in ("all", "tasks"):
            row["tasks"] = {
                "total": len(tasks),
                "completed": len(ok),
                "failed": sum(t["status"] == "failed" for t in done),
                "success_rate": round(len(ok) / len(done), 4) if done else None,
            }
        if metric in ("all", "performance"):
            row["performance"] = {
                "mean_task_ms": round(sum(durations) / len(durations), 3) if durations else None,
                "p95_task_ms": durations[int(0.95 * (len(durations) - 1))] if durations else None,
            }
        rows.append(row)
    data: dict[str, Any] = {"metric": metric, "agents": rows}
    if metric in ("all", "cpu", "memory"):
        data["process"] = _process_metrics()
    return reply_as(AgentMetricsOut, data, f"metrics for {len(rows)} agents")


@tool_errors
async def task_orchestrate(
    ctx: Context,
    task: Annotated[str, Field(min_length=1, max_length=100_000)],
    strategy: Annotated[
        Literal["parallel", "sequential", "adaptive"],
        Field(description="adaptive: cascade for a JSON training task with data, else parallel"),
    ] = "adaptive",
    priority: Literal["low", "medium", "high", "critical"] = "medium",
    maxAgents: Annotated[int | None, Field(ge=1, le=L.MAX_AGENTS_LIMIT)] = None,
) -> TaskOrchestrateOut:
    """Orchestrate a task across the swarm (ruv-swarm compatible); waits up to 10 s. `task` is
    plain text, or a JSON object as a string (e.g. a training task with data)."""
    engine = await engine_of(ctx)
    spec: str | dict[str, Any] = task
    if task.lstrip().startswith("{"):
        try:
            spec = json.loads(task)
        except ValueError as exc:
            raise ToolError(f"task: looks like JSON but does not parse ({exc})") from exc
        except RecursionError:
            # json.loads recurses once per level: '{"a":' * 3000 exhausts the stack
            raise ToolError("task: looks like JSON but nests too deeply to parse") from None
    swarm = await resolve(ctx, engine, None)
    wait = min(10.0, state_of(ctx).config.max_wait_seconds)
    info = await engine.orchestrate(
        swarm.id,
        spec,
        strategy=_task_strategy(strategy, task),
        max_agents=maxAgents,
        priority=PRIORITY_MAP[priority],
        wait_seconds=wait,
        data_roots=data_roots(ctx),
    )
    out = task_out(info).model_dump(mode="json")
    data = {"taskId": out["id"], "status": out["status"], "strategy": strategy, "task": out}
    return reply_as(TaskOrchestrateOut, data, f"task {out['id']} is {out['status']}")


@tool_errors
async def task_status(
    ctx: Context,
    taskId: Annotated[str | None, Field(max_length=L.ID_MAX_LENGTH)] = None,
    detailed: bool = False,
) -> CompatTaskStatusOut:
    """Status of one task, or of the current swarm's 100 most recent tasks."""
    engine = await engine_of(ctx)
    if taskId:
        tasks = [task_out(await engine.get_task(taskId)).model_dump(mode="json")]
    else:
        swarm = await resolve(ctx, engine, None)
        rows = await engine.list_tasks(swarm_id=swarm.id, limit=100)
        tasks = [task_out(t).model_dump(mode="json") for t in rows]
    if not detailed:
        keep = ("id", "kind", "status", "progress", "duration_ms", "error")
        tasks = [{k: t[k] for k in keep} for t in tasks]
    return reply_as(
        CompatTaskStatusOut, {"tasks": tasks, "count": len(tasks)}, f"{len(tasks)} tasks"
    )


@tool_errors
async def task_results(
    ctx: Context,
    taskId: Annotated[str, Field(min_length=1, max_length=L.ID_MAX_LENGTH)],
    format: Literal["summary", "detailed", "raw"] = "summary",
) -> TaskResultsOut:
    """Result of a task (summary: status and timings; detailed: plus result; raw: everything)."""
    engine = await engine_of(ctx)
    out = task_out(await engine.get_task(taskId)).model_dump(mode="json")
    if format == "raw":
        data = out
    else:
        data = {
            k: out[k]
            for k in ("id", "status", "kind", "strategy", "duration_ms", "error", "agent_ids")
        }
        if format == "detailed":
            data["result"] = out["result"]
    return reply_as(TaskResultsOut, data, f"task {taskId} is {out['status']}")


@tool_errors
async def neural_status(
    ctx: Context, agentId: Annotated[str | None, Field(max_length=L.ID_MAX_LENGTH)] = None
) -> NeuralStatusOut:
    """Trained models (optionally of one agent) with their measured metrics."""
    engine = await engine_of(ctx)
    models = [dump(m) for m in await engine.list_models()]
    if agentId:
        models = [m for m in models if m.get("agent_id") == agentId]
    for m in models:
        m.pop("history", None)
    return reply_as(
        NeuralStatusOut, {"models": models, "count": len(models)}, f"{len(models)} models"
    )


@tool_errors
async def neural_train(
    ctx: Context,
    agentId: Annotated[str | None, Field(max_length=L.ID_MAX_LENGTH)] = None,
    iterations: Annotated[int, Field(ge=1, le=L.MAX_EPOCHS, description="training epochs")] = 10,
    data: Annotated[
        DataSpec | None,
        Field(
            description="what train takes: a table path ('~/data/churn.csv', with target), "
            "an inline table or records, or a FANN .data path, inside an allowed data root (--data-root or a "
            "client root; default: bundled PROBEN1 diabetes)"
        ),
    ] = None,
    target: Target | None = None,
    features: Annotated[list[ColumnName] | None, Field(max_length=10_000)] = None,
    missing: Annotated[
        MissingMode, Field(description="table gaps: impute (as train) or drop the rows")
    ] = "impute",
    task: Annotated[TabularTask, Field(description="auto: from the target's kind")] = "auto",
    validation_split: Annotated[
        float,
        Field(
            **L.VALIDATION_SPLIT.field(), description="fraction held out (stratified for classes)"
        ),
    ] = 0.0,
    data_format: DataFormatArg = None,
    delimiter: DelimiterArg = None,
    header: HeaderArg = None,
) -> TrainOut:
    """Train a neural network on an agent for `iterations` epochs (RPROP, one hidden layer of
    16) and return the measured history. A table trains as it is: data='~/data/churn.csv',
    target='churned' (column kinds, categories and gaps handled as by train)."""
    engine = await engine_of(ctx)
    swarm = await resolve(ctx, engine, None)
    epochs = iterations

    async def on_progress(fraction: float, _total: float | None, message: str | None) -> None:
        await ctx.report_progress(round(fraction * epochs, 3), float(epochs), message)

    # The default dataset is the server's own choice, so that one file is readable without a
    # root; a path the caller names must lie inside an allowed root like any other.
    submitted = await engine.submit_task(
        swarm.id,
        "train",
        # ruv-swarm's iterations are epochs run: no early stop at the default desired_error
        train_payload(
            bundled_dataset_path() if data is None else _data_arg(data),
            epochs=epochs,
            desired_error=0.0,
            validation_split=validation_split,
            **(
                {
                    "target": target,
                    "features": features,
                    "missing": missing,
                    "task": task,
                    **_table_args(data_format, delimiter, header),
                }
                if target is not None
                else {}
            ),
        ),
        agent_ids=[agentId] if agentId else None,
        progress=on_progress,
        data_roots=data_roots(ctx) if data else [bundled_dataset_path()],
    )
    finished = await wait_bounded(ctx, engine, submitted.id, "training")
    out = _train_out(finished).model_dump(mode="json")
    if out["status"] != "completed":
        raise ToolError(f"training task {submitted.id} ended {out['status']}: {out['error']}")
    return reply_as(TrainOut, out, f"trained {out['model_id']}: final MSE {out['final_mse']:.6g}")


STRATEGIES = tuple(s.value for s in Strategy)
if TYPE_CHECKING:
    PatternName = str
else:
    PatternName = literal_of(("all", *STRATEGIES))


@tool_errors
async def neural_patterns(
    ctx: Context,
    pattern: Annotated[
        PatternName,
        Field(description="all, or one cognitive pattern (a task strategy)"),
    ] = "all",
) -> NeuralPatternsOut:
    """Measured use of each cognitive pattern (strategy): orchestrated tasks, success rate,
    mean duration, and how many agents prefer it."""
    engine = await engine_of(ctx)
    tasks = [dump(t) for t in await engine.list_tasks(kind="orchestrate", limit=10_000)]
    agents = [dump(a) for a in await engine.query_agents(limit=1000)]
    report = {}
    for name in STRATEGIES if pattern == "all" else (pattern,):
        mine = [t for t in tasks if t.get("strategy") == name]
        done = [t for t in mine if t["status"] in FINAL_TASK_STATES]
        durations = [t["duration_ms"] for t in done if t.get("duration_ms") is not None]
        report[name] = {
            "tasks": len(mine),
            "completed": sum(t["status"] == "completed" for t in done),
            "success_rate": (
                round(sum(t["status"] == "completed" for t in done) / len(done), 4)
                if done
                else None
            ),
            "mean_duration_ms": round(sum(durations) / len(durations), 3) if durations else None,
            "agents_preferring": sum(a.get("cognitive_pattern") == name for a in agents),
        }
    return reply_as(NeuralPatternsOut, {"patterns": report}, f"{len(report)} patterns")


def _sqlite_features() -> dict[str, Any]:
    conn = sqlite3.connect(":memory:")
    try:
        options = [r[0] for r in conn.execute("PRAGMA compile_options")]
        try:
            conn.execute("CREATE VIRTUAL TABLE probe USING fts5(x)")
            fts5 = True
        except sqlite3.OperationalError:
            fts5 = False
    finally:
        conn.close()
    return {"version": sqlite3.sqlite_version, "fts5": fts5, "compile_options": len(options)}


def _numpy_features() -> dict[str, Any]:
    import numpy as np

    try:
        from numpy._core._multiarray_umath import __cpu_features__ as cpu  # type: ignore[import-not-found, attr-defined, unused-ignore]
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__ as cpu  # type: ignore
    return {"version": np.__version__, "simd": sorted(k for k, v in cpu.items() if v)}


def _memory_total() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


@tool_errors
async def features_detect(
    ctx: Context,
    category: Literal["all", "wasm", "simd", "memory", "platform", "neural"] = "all",
) -> FeaturesOut:
    """What this installation can do, detected now (no WASM here: the engine is native code)."""
    data: dict[str, Any] = {}
    if category in ("all", "platform"):
        data["platform"] = {
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "system": platform.system(),
            "machine": platform.machine(),
            "cpu_count": os.cpu_count(),
            "sqlite": _sqlite_features(),
        }
    if category in ("all", "simd"):
        data["simd"] = await anyio.to_thread.run_sync(_numpy_features)
    if category in ("all", "memory"):
        data["memory"] = {"total_bytes": _memory_total(), "process": _process_metrics()}
    if category in ("all", "neural"):
        import numba

        data["neural"] = {
            "numba": numba.__version__,
            "algorithms": ["rprop", "quickprop", "batch", "incremental", "sarprop", "cascade"],
            "formats": ["native", "fann"],
        }
    if category in ("all", "wasm"):
        data["wasm"] = {"available": False, "reason": "native engine (numba JIT), no WASM runtime"}
    return reply_as(FeaturesOut, data, f"features: {', '.join(data)}")


async def _time(fn: Any, iterations: int) -> dict[str, Any]:
    times = []
    for i in range(iterations):
        t0 = time.perf_counter()
        await fn(i)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {
        "iterations": iterations,
        "mean_ms": round(sum(times) / len(times), 4),
        "median_ms": round(times[len(times) // 2], 4),
        "min_ms": round(times[0], 4),
        "max_ms": round(times[-1], 4),
    }


@tool_errors
async def benchmark_run(
    ctx: Context,
    type: Literal["all", "swarm", "agent", "task", "neural", "wasm"] = "all",
    iterations: Annotated[int, Field(ge=1, le=1000)] = 10,
) -> BenchmarkOut:
    """Time real engine work in a scratch swarm: swarm creation, agent spawn + query, memory
    round trips as tasks' storage path, and a neural training epoch budget on XOR. Every
    scratch swarm (with its agents, tasks, models and memory) is deleted afterwards, also when
    the benchmark fails or is cancelled; the current swarm is never changed."""
    if type == "wasm":
        raise ToolError("type: wasm is not available; the engine is native (try neural)")
    engine = await engine_of(ctx)
    scratch_ids = state_of(ctx).scratch_swarms
    created: list[str] = []

    async def scratch_swarm(name: str, **kw: Any) -> Any:
        info = await engine.create_swarm(name=name, **kw)
        created.append(info.id)
        scratch_ids.add(info.id)
        return info

    results: dict[str, Any] = {}
    try:
        scratch = await scratch_swarm(f"benchmark-{time.time_ns()}", max_agents=10_000)
        await _benchmarks(ctx, engine, scratch, type, iterations, results, scratch_swarm)
    finally:
        deleted = await _delete_scratch(engine, created, scratch_ids)
    await ctx.report_progress(1, 1, "benchmark done")
    return reply_as(
        BenchmarkOut,
        {
            "type": type,
            "swarm_id": scratch.id,
            "results": results,
            "scratch_swarms_deleted": deleted,
        },
        f"benchmarked {', '.join(results)}; deleted {deleted} scratch swarms",
    )


async def _benchmarks(
    ctx: Context,
    engine: Any,
    scratch: Any,
    type: str,
    iterations: int,
    results: dict[str, Any],
    scratch_swarm: Any,
) -> None:
    if type in ("all", "swarm"):
        results["swarm_create"] = await _time(
            lambda i: scratch_swarm(f"benchmark-{time.time_ns()}-{i}"), iterations
        )
    if type in ("all", "agent"):
        results["agent_spawn"] = await _time(
            lambda i: engine.spawn_agent(scratch.id, "researcher", name=f"bench-{i}"), iterations
        )
        results["agent_query"] = await _time(
            lambda i: engine.query_agents(swarm_id=scratch.id, limit=100), iterations
        )
    if type in ("all", "task"):
        results["memory_roundtrip"] = await _time(
            lambda i: _memory_roundtrip(engine, scratch.id, i), iterations
        )
    if type in ("all", "neural"):
        xor = {"inputs": [[-1, -1], [-1, 1], [1, -1], [1, 1]], "outputs": [[-1], [1], [1], [-1]]}

        async def train_once(i: int) -> None:
            task = await engine.submit_task(
                scratch.id,
                "train",
                {
                    "data": xor,
                    "layers": [3],
                    "epochs": 100,
                    "seed": i,
                    "desired_error": 0.0,
                    "output_activation": "sigmoid_symmetric",
                },
            )
            done = await wait_bounded(ctx, engine, task.id, "benchmark training")
            if dump(done)["status"] != "completed":
                raise ToolError(f"benchmark training failed: {dump(done).get('error')}")

        results["neural_train_xor_100_epochs"] = await _time(train_once, min(iterations, 20))


async def _delete_scratch(engine: Any, created: list[str], scratch_ids: set[str]) -> int:
    """Delete the benchmark's swarms. Shielded: a cancelled benchmark still cleans up (bounded
    by the engine's cancel wait per swarm)."""
    deleted = 0
    with anyio.CancelScope(shield=True):
        for sid in created:
            try:
                await engine.delete_swarm(sid)
                deleted += 1
            except Exception:
                log.warning("benchmark_run could not delete scratch swarm %s", sid, exc_info=True)
            finally:
                scratch_ids.discard(sid)
    return deleted


async def _memory_roundtrip(engine: Any, swarm_id: str, i: int) -> None:
    # tied to the scratch swarm (and named after it), so deleting the swarm removes them
    await engine.memory_store(f"benchmark-{swarm_id}", f"k{i}", {"i": i}, swarm_id=swarm_id)
    await engine.memory_get(f"benchmark-{swarm_id}", f"k{i}")


@tool_errors
async def memory_usage(
    ctx: Context, detail: Literal["summary", "detailed", "by-agent"] = "summary"
) -> MemoryUsageOut:
    """Measured memory: server RSS and peak, database size, stored entries; by-agent: tasks and
    model bytes per agent."""
    engine = await engine_of(ctx)
    stats = await _stats(engine)
    data: dict[str, Any] = {"process": _process_metrics(), "engine": stats}
    if detail in ("detailed", "by-agent"):
        entries = await engine.memory_list(limit=1000)
        data["memory_entries_listed"] = len(entries)
    if detail == "by-agent":
        models = [dump(m) for m in await engine.list_models()]
        per: dict[str, dict[str, int]] = {}
        for m in models:
            slot = per.setdefault(m.get("agent_id") or "none", {"models": 0, "model_bytes": 0})
            slot["models"] += 1
            slot["model_bytes"] += int(m.get("size_bytes") or 0)
        data["by_agent"] = per
    rss = data["process"]["rss_bytes"]
    return reply_as(MemoryUsageOut, data, f"RSS {rss / 2**20:.1f} MiB" if rss else "memory usage")


TOOLS: list[tuple[Any, str]] = [
    (swarm_init, "Initialize a swarm (ruv-swarm)"),
    (swarm_status, "Swarm status (ruv-swarm)"),
    (swarm_monitor, "Monitor the swarm (ruv-swarm)"),
    (agent_spawn, "Spawn an agent (ruv-swarm)"),
    (agent_list, "List agents (ruv-swarm)"),
    (agent_metrics, "Agent metrics (ruv-swarm)"),
    (task_orchestrate, "Orchestrate a task (ruv-swarm)"),
    (task_status, "Task status (ruv-swarm)"),
    (task_results, "Task results (ruv-swarm)"),
    (neural_status, "Neural status (ruv-swarm)"),
    (neural_train, "Train a neural network (ruv-swarm)"),
    (neural_patterns, "Cognitive patterns (ruv-swarm)"),
    (benchmark_run, "Run a benchmark (ruv-swarm)"),
    (features_detect, "Detect features (ruv-swarm)"),
    (memory_usage, "Memory usage (ruv-swarm)"),
]
