"""The README's first command: a real stdio MCP session with the server, narrated.

It starts `ruv-swarm-mcp` as a subprocess, drives it with the official `mcp` client, and shows
a swarm end to end: agents, a classifier trained on a real dataset (PROBEN1 diabetes, bundled)
with live progress, predictions, and a divergent -> convergent ensemble.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from importlib import resources
from typing import Any


def run_demo(args: argparse.Namespace) -> int:
    import anyio

    return anyio.run(_demo, args)


def _bundled(name: str) -> str:
    return str(resources.files("ruv_swarm_mcp").joinpath("data", name))


def _read_fann(path: str, rows: int) -> tuple[list[list[float]], list[list[float]]]:
    with open(path, encoding="ascii") as f:
        numbers = f.read().split()
    _, n_in, n_out = (int(x) for x in numbers[:3])
    values = [float(x) for x in numbers[3:]]
    inputs, outputs, step = [], [], n_in + n_out
    for i in range(rows):
        row = values[i * step : (i + 1) * step]
        inputs.append(row[:n_in])
        outputs.append(row[n_in:])
    return inputs, outputs


async def _demo(args: argparse.Namespace) -> int:
    from mcp import ClientSession, StdioServerParameters, stdio_client

    train_path = os.path.abspath(args.data) if args.data else _bundled("diabetes.train")
    test_path = os.path.abspath(args.test) if args.test else _bundled("diabetes.test")
    with tempfile.TemporaryDirectory(prefix="ruv-swarm-demo-") as tmp:
        env = dict(os.environ, RUV_SWARM_DB=os.path.join(tmp, "demo.db"))
        # the server reads only inside the roots it is given: exactly the demo's data files
        roots = dict.fromkeys(os.path.dirname(p) for p in (train_path, test_path))
        argv = ["-m", "ruv_swarm_mcp"]
        for root in roots:
            argv += ["--data-root", root]
        params = StdioServerParameters(command=sys.executable, args=argv, env=env)
        started = time.perf_counter()
        async with (
            stdio_client(params) as (read, write),
            ClientSession(read, write) as session,
        ):
            init = await session.initialize()
            info = init.server_info
            print(
                f"connected to {info.name} {info.version} over stdio "
                f"(protocol {init.protocol_version}) in {time.perf_counter() - started:.2f} s"
            )
            print(f"files readable under: {' '.join('--data-root ' + r for r in roots)}")
            tools = await session.list_tools()
            print(f"{len(tools.tools)} tools: {', '.join(t.name for t in tools.tools)}\n")
            await _run(session, train_path, test_path)
    return 0


async def _call(session: Any, name: str, arguments: dict[str, Any], **kw: Any) -> dict[str, Any]:
    result = await session.call_tool(name, arguments, **kw)
    if result.is_error:
        raise SystemExit(f"{name} failed: {result.content[0].text}")
    data: dict[str, Any] = result.structured_content
    return data


async def _run(session: Any, train_path: str, test_path: str) -> None:
    swarm = await _call(
        session, "swarm_init", {"topology": "hierarchical", "strategy": "divergent"}
    )
    print(f"swarm {swarm['id']}: {swarm['topology']} topology, {swarm['strategy']} strategy")
    for kind in (
        "coordinator",
        "neural-processor",
        "neural-processor",
        "neural-processor",
        "analyst",
    ):
        agent = await _call(session, "spawn_agent", {"type": kind})
        print(f"  spawned {agent['role']:<17} {agent['id']}")

    print(f"\ntraining a classifier on {os.path.basename(train_path)} (RPROP, 8-16-2)")

    async def progress(done: float, total: float | None, message: str | None) -> None:
        print(f"  epoch {done:>5.0f}/{total or 0:.0f}  {message or ''}")

    trained = await _call(
        session,
        "train",
        {
            "data": train_path,
            "layers": [16],
            "epochs": 300,
            "desired_error": 0.0,
            "validation_split": 0.2,
            "seed": 7,
            "progress_every": 50,
        },
        progress_callback=progress,
    )
    model_id = trained["model_id"]
    print(
        f"model {model_id}: {trained['epochs_run']} epochs in "
        f"{1000 * (trained['loop_seconds'] or 0):.0f} ms of training "
        f"(task {trained['duration_ms']:.0f} ms incl. {trained['compile_seconds'] or 0:.1f} s "
        f"one-time JIT compile or cache load), train MSE {trained['final_mse']:.4f}, validation MSE {trained['validation_mse']:.4f}"
    )

    evaluation = await _call(session, "evaluate", {"model_id": model_id, "data": test_path})
    metrics = evaluation["metrics"]
    shown = {k: v for k, v in metrics.items() if isinstance(v, int | float)}
    print(f"on the held-out test file: {json.dumps(shown)}")

    inputs, targets = _read_fann(test_path, 5)
    predicted = await _call(session, "predict", {"model_id": model_id, "inputs": inputs})
    truth = [max(range(len(t)), key=t.__getitem__) for t in targets]
    print(f"predicted classes {predicted['labels']} for 5 test rows; true classes {truth}")

    print("\ndivergent: every neural-processor trains its own variant")
    task = {"data": train_path, "layers": [8], "epochs": 150, "desired_error": 0.0}
    divergent = await _call(
        session, "orchestrate", {"task": task, "strategy": "divergent", "wait_seconds": 120}
    )
    _print_task(divergent)
    print("\nconvergent: variants on a shared split, combined into one ensemble answer")
    convergent = await _call(
        session,
        "orchestrate",
        {"task": {**task, "aggregate": "ensemble"}, "strategy": "convergent", "wait_seconds": 120},
    )
    _print_task(convergent)
    status = await _call(session, "swarm_status", {})
    print(
        f"\nswarm now: {status['agents_total']} agents, tasks {status['tasks_by_status']}, "
        f"{status['models']} models"
    )


def _print_task(task: dict[str, Any]) -> None:
    print(f"  task {task['id']} {task['status']} in {task['duration_ms'] or 0:.0f} ms")
    result = task.get("result") or {}
    scalars = {
        k: v for k, v in result.items() if isinstance(v, int | float | str) and len(str(v)) < 80
    }
    if scalars:
        print("  " + json.dumps(scalars))
    for item in (result.get("results") or result.get("members") or [])[:8]:
        if not isinstance(item, dict):
            continue
        nested = item.get("result")
        inner: dict[str, Any] = nested if isinstance(nested, dict) else item
        brief = {"agent": item.get("agent_id")}
        if isinstance(item.get("variant"), dict):
            brief.update(item["variant"])
        for key in ("model_id", "final_mse", "holdout_mse", "train_error_pct", "train_seconds"):
            if key in inner:
                value = inner[key]
                brief[key] = round(value, 4) if isinstance(value, float) else value
        print(f"    {json.dumps(brief)}")
