"""Benchmark the swarm engine with persistence on (SQLite file, WAL, synchronous=FULL).

    python scripts/bench_swarm.py --json OUT.json [--repeats 3] [--agents 10000] [--tasks 10000]
                                   [--stored-tasks 100000]

Measures, each repeated and reported as the median (all runs listed under "runs"):
- spawn_seconds / spawn_peak_rss_mib: 10,000 concurrent spawn_agent calls into one swarm
  (each acknowledged only after its group commit); RSS sampled every 5 ms while spawning.
- tasks_per_second: 10,000 predict tasks end to end (submit -> queue -> neural-processor agent ->
  real forward pass of a trained XOR network -> result committed -> wait_task returns), from 256
  concurrent clients, on 16 agents.
- query_p50_ms / query_p99_ms: filtered query_agents (swarm + type + status, swarm + capability,
  type + status across swarms; limit 100) with 10,000 agents and --stored-tasks tasks stored (all
  of them real predict tasks run through the engine).
- loop_lag_p99_ms: how late a 10 ms timer fires on the event loop while two training runs
  (RPROP, 2000x16 samples, 64 hidden units) proceed in worker threads.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import numpy as np

from swarm_core import Engine, EngineConfig, TaskStatus
from swarm_core._runtime import rss_bytes

MIB = 1024 * 1024
XOR = {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "outputs": [[0], [1], [1], [0]]}


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


class RssSampler:
    def __init__(self, interval: float = 0.005) -> None:
        self.peak = rss_bytes()
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self.peak = max(self.peak, rss_bytes())

    def __enter__(self) -> RssSampler:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, rss_bytes())


def config(db: Path, **kw: Any) -> EngineConfig:
    return EngineConfig(db=str(db), synchronous="FULL", max_queued_tasks=1_000_000, **kw)


async def bench_spawn(db: Path, n: int) -> dict[str, Any]:
    async with Engine.open(config(db)) as eng:
        swarm = await eng.create_swarm("spawn-bench", max_agents=n)
        base = rss_bytes()

        async def spawn(i: int) -> None:
            await eng.spawn_agent(swarm.id, "neural-processor", capabilities=[f"cap-{i % 10}"])

        with RssSampler() as rss:
            t0 = time.perf_counter()
            async with anyio.create_task_group() as tg:
                for i in range(n):
                    tg.start_soon(spawn, i)
            seconds = time.perf_counter() - t0
        status = await eng.swarm_status(swarm.id)
        assert status.agents_total == n, status.agents_total
        return {
            "seconds": seconds,
            "peak_rss_mib": rss.peak / MIB,
            "rss_before_mib": base / MIB,
            "rss_growth_mib": (rss.peak - base) / MIB,
        }


async def run_predicts(eng: Engine, model_id: str, n: int, clients: int) -> float:
    per = [n // clients + (1 if i < n % clients else 0) for i in range(clients)]
    failures: list[str] = []

    async def client(k: int) -> None:
        rng = np.random.default_rng(k)
        for _ in range(per[k]):
            out = await eng.predict(model_id, rng.integers(0, 2, size=(1, 2)).tolist())
            if len(out["outputs"]) != 1:
                failures.append(str(out))

    t0 = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for k in range(clients):
            tg.start_soon(client, k)
    dt = time.perf_counter() - t0
    assert not failures, failures[:3]
    return dt


async def trained_model(eng: Engine, swarm_id: str) -> str:
    info = await eng.train(swarm_id, data=XOR, layers=[4], epochs=500, desired_error=0.001, seed=3)
    assert info.status is TaskStatus.COMPLETED, info.error
    return str(info.result["model_id"])  # type: ignore[index]


async def bench_tasks(db: Path, n: int, clients: int) -> dict[str, Any]:
    async with Engine.open(config(db)) as eng:
        swarm = await eng.create_swarm("task-bench", max_agents=64)
        for _ in range(16):
            await eng.spawn_agent(swarm.id, "neural-processor")
        model_id = await trained_model(eng, swarm.id)
        await run_predicts(eng, model_id, 200, 16)  # warm up (kernel compiled, model cached)
        w0 = eng._writer.commits
        dt = await run_predicts(eng, model_id, n, clients)
        commits = eng._writer.commits - w0
        done = await eng.list_tasks(swarm.id, status="completed", limit=1)
        assert done and done[0].kind.value == "predict"
        return {"seconds": dt, "tasks_per_second": n / dt, "group_commits": commits}


async def bench_query(
    db: Path, agents: int, stored: int, clients: int, samples: int
) -> dict[str, Any]:
    async with Engine.open(config(db, max_agents_limit=max(10_000, agents))) as eng:
        big = await eng.create_swarm("query-bench", max_agents=agents)

        async def spawn(i: int) -> None:
            kind = "neural-processor" if i % 2 else "analyst"
            await eng.spawn_agent(big.id, kind, capabilities=[f"cap-{i % 10}"])

        async with anyio.create_task_group() as tg:
            for i in range(agents - 16):
                tg.start_soon(spawn, i)
        work = await eng.create_swarm("work", max_agents=16)
        for _ in range(16):
            await eng.spawn_agent(work.id, "neural-processor")
        model_id = await trained_model(eng, work.id)
        t0 = time.perf_counter()
        await run_predicts(eng, model_id, stored, clients)
        fill_seconds = time.perf_counter() - t0
        stats = await eng.stats()
        n_tasks = sum(stats["tasks_by_status"].values())
        queries = [
            lambda: eng.query_agents(big.id, type="neural-processor", status="idle", limit=100),
            lambda: eng.query_agents(big.id, capability="cap-3", limit=100),
            lambda: eng.query_agents(type="analyst", status="idle", limit=100, offset=agents // 20),
        ]
        for q in queries:
            assert len(await q()) >= min(100, agents // 20), "the filters must select real agents"
        times: list[float] = []
        per_query: list[list[float]] = [[] for _ in queries]
        for i in range(samples):
            k = i % len(queries)
            t = time.perf_counter()
            await queries[k]()
            dt = (time.perf_counter() - t) * 1000
            times.append(dt)
            per_query[k].append(dt)
        return {
            "agents": stats["agents_live"],
            "stored_tasks": n_tasks,
            "fill_tasks_per_second": stored / fill_seconds,
            "p50_ms": pct(times, 50),
            "p99_ms": pct(times, 99),
            "per_query_p99_ms": [pct(x, 99) for x in per_query],
            "db_size_mib": stats["db_size_bytes"] / MIB,
        }


def training_data(n: int = 2000, d: int = 16, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, d))
    y = (np.sin(x[:, :4].sum(axis=1, keepdims=True)) > 0).astype(float)
    return {"inputs": x.tolist(), "outputs": y.tolist()}


async def bench_loop_lag(db: Path, seconds: float) -> dict[str, Any]:
    async with Engine.open(config(db)) as eng:
        swarm = await eng.create_swarm("lag-bench")
        for _ in range(2):  # one agent per training run, so both really run at once
            await eng.spawn_agent(swarm.id, "neural-processor")
        data = training_data()
        tasks = [
            await eng.submit_task(
                swarm.id,
                "train",
                {"data": data, "layers": [64], "epochs": 100_000, "seed": s, "algorithm": "rprop"},
            )
            for s in (1, 2)
        ]
        while True:  # both trainings really running (their first epochs reported)
            infos = [await eng.get_task(t.id) for t in tasks]
            if all(i.status is TaskStatus.RUNNING and i.progress > 0 for i in infos):
                break
            if any(i.status.is_final for i in infos):
                raise RuntimeError(f"training ended early: {[i.error for i in infos]}")
            await anyio.sleep(0.01)

        def epochs() -> list[int]:
            return [
                int((eng._live.tasks[t.id].info.progress_message or "epoch 0").split()[1].rstrip(":"))
                for t in tasks
            ]

        lags: list[float] = []
        busy0 = eng._pool.busy_seconds()
        epochs0 = epochs()
        t_end = time.perf_counter() + seconds
        while time.perf_counter() < t_end:
            t = time.perf_counter()
            await anyio.sleep(0.01)
            lags.append(max(0.0, (time.perf_counter() - t - 0.01) * 1000))
        busy = eng._pool.busy_seconds() - busy0
        advanced = [b - a for a, b in zip(epochs0, epochs(), strict=True)]
        cancelled = [await eng.cancel_task(t.id) for t in tasks]
        assert all(c.status is TaskStatus.CANCELLED for c in cancelled)
        return {
            "p50_ms": pct(lags, 50),
            "p99_ms": pct(lags, 99),
            "max_ms": max(lags),
            "samples": len(lags),
            "worker_busy_seconds": busy,  # both trainings in worker threads: ~2 x the window
            "epochs_trained_during_window": advanced,
        }


async def bench_commit_latency(db: Path, synchronous: str, n: int = 300) -> dict[str, Any]:
    """One caller, one write at a time: every call pays a whole commit (the worst case for the
    durability promise; concurrent callers share commits)."""
    async with Engine.open(EngineConfig(db=str(db), synchronous=synchronous)) as eng:  # type: ignore[arg-type]
        times = []
        for i in range(n):
            t = time.perf_counter()
            await eng.memory_store("bench", f"k{i}", {"i": i})
            times.append((time.perf_counter() - t) * 1000)
        return {"synchronous": synchronous, "p50_ms": pct(times, 50), "p99_ms": pct(times, 99)}


async def main(args: argparse.Namespace) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {
        "spawn": [],
        "tasks": [],
        "query": [],
        "loop_lag": [],
        "serial_commit": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for mode in ("FULL", "NORMAL"):
            runs["serial_commit"].append(
                await bench_commit_latency(root / f"commit-{mode}.db", mode)
            )
            print("serial_commit", runs["serial_commit"][-1], file=sys.stderr)
        for r in range(args.repeats):
            runs["spawn"].append(await bench_spawn(root / f"spawn{r}.db", args.agents))
            print("spawn", runs["spawn"][-1], file=sys.stderr)
        for r in range(args.repeats):
            runs["tasks"].append(await bench_tasks(root / f"tasks{r}.db", args.tasks, args.clients))
            print("tasks", runs["tasks"][-1], file=sys.stderr)
        runs["query"].append(
            await bench_query(
                root / "query.db", args.agents, args.stored_tasks, args.clients, args.query_samples
            )
        )
        print("query", runs["query"][-1], file=sys.stderr)
        for r in range(args.repeats):
            runs["loop_lag"].append(await bench_loop_lag(root / f"lag{r}.db", args.lag_seconds))
            print("loop_lag", runs["loop_lag"][-1], file=sys.stderr)

    def med(section: str, key: str) -> float:
        return float(statistics.median(run[key] for run in runs[section]))

    return {
        "spawn_seconds": med("spawn", "seconds"),
        "spawn_peak_rss_mib": med("spawn", "peak_rss_mib"),
        "spawn_rss_growth_mib": med("spawn", "rss_growth_mib"),
        "tasks_per_second": med("tasks", "tasks_per_second"),
        "query_p50_ms": med("query", "p50_ms"),
        "query_p99_ms": med("query", "p99_ms"),
        "query_stored_tasks": runs["query"][0]["stored_tasks"],
        "query_agents": runs["query"][0]["agents"],
        "loop_lag_p99_ms": med("loop_lag", "p99_ms"),
        "serial_write_p50_ms_full": runs["serial_commit"][0]["p50_ms"],
        "serial_write_p50_ms_normal": runs["serial_commit"][1]["p50_ms"],
        "repeats": args.repeats,
        "agents": args.agents,
        "tasks": args.tasks,
        "clients": args.clients,
        "durability": "sqlite file, WAL, synchronous=FULL, group commit; each call returns after its commit",
        "machine": {
            "cpus": os.cpu_count(),
            "loadavg_at_end": list(os.getloadavg()),
            "python": sys.version.split()[0],
        },
        "runs": runs,
    }


if __name__ == "__main__":
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--json", type=Path, help="write the results here (also printed)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--agents", type=int, default=10_000)
    p.add_argument("--tasks", type=int, default=10_000)
    p.add_argument("--stored-tasks", type=int, default=100_000)
    p.add_argument("--clients", type=int, default=256)
    p.add_argument("--query-samples", type=int, default=3_000)
    p.add_argument("--lag-seconds", type=float, default=3.0)
    args = p.parse_args()
    result = anyio.run(main, args)
    text = json.dumps(result, indent=2)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    print(text)
