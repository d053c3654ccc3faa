"""`benchmark`: time real engine work on the chosen store and report what was measured.

Phases, all in a scratch swarm that is deleted afterwards (unless kept):
spawn N neural-processor agents one call at a time (each call returns after its commit);
query the swarm's agents; orchestrate real XOR trainings over all N agents (parallel strategy),
the first one separately because it may include compiling the kernels; orchestrate predictions
with the trained model. Nothing is estimated: every figure is a count over a measured time.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ruv_swarm_mcp._terminal._run import CliError

if TYPE_CHECKING:
    from swarm_core import Engine

XOR = {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "outputs": [[0], [1], [1], [0]]}
TRAIN_EPOCHS = 200
QUERY_CALLS = 200


def _stats(name: str, seconds: list[float], units: int | None = None) -> dict[str, Any]:
    total = sum(seconds)
    ms = sorted(1000 * s for s in seconds)
    n = len(ms)
    return {
        "phase": name,
        "operations": n,
        "units": units if units is not None else n,
        "total_seconds": round(total, 4),
        "per_second": round((units if units is not None else n) / total, 2) if total else None,
        "mean_ms": round(statistics.fmean(ms), 3) if n else None,
        "p50_ms": round(ms[n // 2], 3) if n else None,
        "p95_ms": round(ms[min(n - 1, int(0.95 * n))], 3) if n else None,
        "max_ms": round(ms[-1], 3) if n else None,
    }


async def _timed(fn: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = await fn()
    return time.perf_counter() - t0, out


async def run_benchmark(
    engine: Engine,
    *,
    agents: int,
    duration: float,
    keep: bool,
    on_progress: Callable[[str, float], None],
) -> dict[str, Any]:
    from swarm_core import TaskStatus

    started = time.monotonic()
    swarm = await engine.create_swarm(
        name=f"benchmark-{time.strftime('%Y%m%d-%H%M%S')}", topology="mesh", max_agents=agents
    )
    phases: list[dict[str, Any]] = []
    try:
        on_progress("spawn", 0.0)
        spawn_s = []
        for i in range(agents):
            t0 = time.perf_counter()
            await engine.spawn_agent(swarm.id, "neural-processor", name=f"bench-{i}")
            spawn_s.append(time.perf_counter() - t0)
        phases.append(_stats("spawn agent", spawn_s))

        on_progress("query", 0.05)
        query_s = []
        for _ in range(QUERY_CALLS):
            s, found = await _timed(lambda: engine.query_agents(swarm_id=swarm.id, limit=agents))
            query_s.append(s)
        if len(found) != agents:
            raise CliError(f"query_agents found {len(found)} of the {agents} agents spawned")
        phases.append(_stats("query agents", query_s))

        task = {"kind": "train", "data": XOR, "layers": [4], "epochs": TRAIN_EPOCHS, "seed": 1}

        async def orchestrate(t: dict[str, Any]) -> Any:
            info = await engine.orchestrate(swarm.id, t, strategy="parallel")
            if info.status is not TaskStatus.COMPLETED:
                raise CliError(f"benchmark task {info.id} {info.status.value}: {info.error}")
            return info

        on_progress("first train (may compile kernels)", 0.1)
        first_s, first = await _timed(lambda: orchestrate(task))
        phases.append(_stats(f"first train x{agents} (incl. JIT)", [first_s], units=agents))
        model_id = _first_model(first.result or {})

        budget = max(duration - (time.monotonic() - started), 0.0)
        train_until = time.monotonic() + 0.6 * budget
        train_s: list[float] = []
        while time.monotonic() < train_until or not train_s:
            s, _ = await _timed(lambda: orchestrate(task))
            train_s.append(s)
            on_progress("train", _frac(started, duration))
        row = _stats(
            f"train x{agents} ({TRAIN_EPOCHS} epochs each)", train_s, len(train_s) * agents
        )
        row["epochs_per_second"] = round(len(train_s) * agents * TRAIN_EPOCHS / sum(train_s), 1)
        phases.append(row)

        predict = {"kind": "predict", "model_id": model_id, "inputs": XOR["inputs"]}
        predict_until = time.monotonic() + max(duration - (time.monotonic() - started), 0.0)
        predict_s: list[float] = []
        while time.monotonic() < predict_until or not predict_s:
            s, _ = await _timed(lambda: orchestrate(predict))
            predict_s.append(s)
            on_progress("predict", _frac(started, duration))
        phases.append(_stats(f"predict x{agents} (4 rows)", predict_s, len(predict_s) * agents))
    finally:
        if not keep:
            await engine.delete_swarm(swarm.id)
    on_progress("done", 1.0)
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "swarm_id": swarm.id,
        "kept": keep,
        "agents": agents,
        "duration_seconds": round(time.monotonic() - started, 3),
        "requested_seconds": duration,
        "db": engine.config.database_url(),
        "cpu_count": os.cpu_count(),
        "loadavg": [round(x, 2) for x in load] if load else None,
        "phases": phases,
    }


def _frac(started: float, duration: float) -> float:
    return min(0.99, 0.1 + 0.9 * (time.monotonic() - started) / duration)


def _first_model(result: dict[str, Any]) -> str:
    """A model id from a parallel train result (its per-agent results hold them)."""
    stack: list[Any] = [result]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            model_id = item.get("model_id")
            if isinstance(model_id, str):
                return model_id
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    raise CliError("the benchmark's training returned no model id")
