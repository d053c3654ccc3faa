#!/usr/bin/env python3
"""What training checkpoints cost and what resuming gives back.

    python scripts/bench_checkpoint.py [--repeats 3] [--seconds 3]

state: `neural.train` on a mid-size network (64-256-128-8, 2,000 samples, rprop) with a
callback on every epoch that takes nothing, or every N epochs copies the optimizer state
(`report.train_state()`) and serialises it (`to_bytes()`): median epoch time per setting, and
the copy / serialisation times alone.

cost: per network size, training throughput (epochs/s) with checkpoints off and every 0.1 s,
the snapshot time in the training thread (net.to_bytes() + optimizer state + history copy,
median per run), the network's and the optimizer state's sizes and the writer's mean commit
time while checkpoints are written.

resume: per algorithm and seed, a 2,000-epoch run interrupted (engine closed) after about 500
epochs and resumed, against the same run uninterrupted: the MSE at the checkpoint, the worst
MSE of the 20 epochs after resuming, both final train MSEs and whether the two per-epoch MSE
histories are identical (else the largest difference).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import numpy as np

import neural
from swarm_core import EngineConfig
from swarm_core._engine import Engine

SIZES = [  # name, inputs, hidden, outputs, samples
    ("6-16-1", 6, [16], 1, 1000),
    ("64-256-128-8", 64, [256, 128], 8, 2000),
    ("256-1024-512-16", 256, [1024, 512], 16, 500),
]


def regression(n: int, n_in: int, n_out: int, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, n_in))
    y = 0.5 + 0.3 * np.tanh(x[:, :n_out] * x[:, -n_out:] * 3)
    y = y + 0.05 * rng.standard_normal((n, n_out))
    return {"inputs": x.tolist(), "outputs": y.tolist()}


def state_run(every: int, epochs: int = 100) -> dict[str, float]:
    """Median seconds per epoch with a state snapshot every `every` epochs (0: never)."""
    d = regression(2000, 64, 8)
    data = neural.TrainingData(d["inputs"], d["outputs"])
    net = neural.Network.standard([64, 256, 128, 8], seed=1)
    stamps: list[float] = []
    copy_s: list[float] = []
    bytes_s: list[float] = []

    def cb(report: neural.EpochReport) -> None:
        if every and report.epoch % every == 0:
            t0 = time.perf_counter()
            state = report.train_state()
            t1 = time.perf_counter()
            state.to_bytes()
            t2 = time.perf_counter()
            copy_s.append(t1 - t0)
            bytes_s.append(t2 - t1)
        stamps.append(time.perf_counter())

    neural.train(net, data, neural.TrainConfig(max_epochs=epochs), callback=cb)
    return {
        "epoch": statistics.median(np.diff(stamps)),
        "copy": statistics.median(copy_s) if copy_s else 0.0,
        "bytes": statistics.median(bytes_s) if bytes_s else 0.0,
    }


async def cost_run(size: tuple[Any, ...], interval: float, seconds: float) -> dict[str, Any]:
    _name, n_in, hidden, n_out, n = size
    data = regression(n, n_in, n_out)
    with tempfile.TemporaryDirectory() as d:
        cfg = EngineConfig(db=f"{d}/b.db", checkpoint_seconds=interval, cpu_workers=1)
        async with Engine.open(cfg) as eng:
            swarm = await eng.create_swarm("bench")
            w0 = (await eng.stats())["writer"]
            task = await eng.train(
                swarm.id, data=data, layers=hidden, epochs=100_000, seed=1, max_seconds=seconds
            )
            w1 = (await eng.stats())["writer"]
    res = task.result or {}
    commits = w1["commits"] - w0["commits"]
    return {
        "epochs_per_s": res["epochs_run"] / res["loop_seconds"],
        "ckpt": res.get("checkpoints"),
        "commit_ms": 1000 * (w1["commit_seconds"] - w0["commit_seconds"]) / max(commits, 1),
    }


async def interrupted(db: Path, payload: dict[str, Any], at_epoch: int) -> str:
    async with Engine.open(EngineConfig(db=str(db), checkpoint_seconds=0.02)) as eng:
        swarm = await eng.create_swarm("bench")
        task = await eng.submit_task(swarm.id, "train", payload)
        while (await eng.get_task(task.id)).progress < at_epoch / payload["epochs"]:
            await anyio.sleep(0.005)
    return task.id


async def resume_run(algorithm: str, seed: int) -> str:
    data = regression(1000, 6, 1)
    payload: dict[str, Any] = {
        "data": data,
        "layers": [16],
        "epochs": 2000,
        "seed": seed,
        "algorithm": algorithm,
    }
    if algorithm in ("quickprop", "incremental"):
        payload["learning_rate"] = 0.1
    with tempfile.TemporaryDirectory() as d:
        task_id = await interrupted(Path(d) / "a.db", payload, at_epoch=500)
        async with Engine.open(EngineConfig(db=f"{d}/a.db")) as eng:
            await eng.retry_task(task_id)
            resumed = (await eng.wait_task(task_id)).result or {}
        async with Engine.open(EngineConfig(db=f"{d}/b.db")) as eng:
            swarm = await eng.create_swarm("whole")
            whole = (await eng.train(swarm.id, **payload)).result or {}
    k = resumed["resumed_from_epoch"]
    mse = resumed["history"]["mse"]
    same = mse == whole["history"]["mse"]
    diff = max(abs(a - b) for a, b in zip(mse, whole["history"]["mse"], strict=True))
    return (
        f"{algorithm:11s} seed {seed} resumed@{k:4d}  mse@checkpoint {mse[k - 1]:.5f}  "
        f"worst of next 20 {max(mse[k : k + 20]):.5f}  final resumed {resumed['train_mse']:.5f}  "
        f"uninterrupted {whole['train_mse']:.5f}  "
        + ("histories identical" if same else f"histories differ, max |diff| {diff:.3g}")
    )


async def main(repeats: int, seconds: float) -> None:
    print(
        "== state snapshots in neural.train, 64-256-128-8 x 2000 samples, rprop (medians of",
        repeats,
        "runs)",
    )
    state_run(0, epochs=2)  # compile outside the timings
    for every in (0, 50, 10, 1):
        runs = [state_run(every) for _ in range(repeats)]
        line = f"snapshot every {every:3d} epochs: epoch {1000 * statistics.median(r['epoch'] for r in runs):.3f} ms"
        if every:
            line += (
                f"  train_state() {1000 * statistics.median(r['copy'] for r in runs):.3f} ms"
                f"  to_bytes() {1000 * statistics.median(r['bytes'] for r in runs):.3f} ms"
            )
        print(line if every else line.replace("every   0 epochs", "never         "), flush=True)
    print("== cost (medians of", repeats, "runs)")
    for size in SIZES:
        for interval in (0.0, 0.1):
            runs = [await cost_run(size, interval, seconds) for _ in range(repeats)]
            eps = statistics.median(r["epochs_per_s"] for r in runs)
            line = f"{size[0]:16s} checkpoint_seconds={interval:<4} epochs/s {eps:9.1f}"
            if interval:
                ck = [r["ckpt"] for r in runs]
                line += (
                    f"  checkpoints/run {statistics.median(c['written'] for c in ck):.0f}"
                    f"  snapshot {statistics.median(c['snapshot_ms_median'] for c in ck):.3f} ms"
                    f"  network {ck[0]['network_bytes']} B"
                    f"  optimizer state {ck[0].get('optimizer_state_bytes', 0)} B"
                    f"  commit mean {statistics.median(r['commit_ms'] for r in runs):.3f} ms"
                )
            print(line, flush=True)
    print("== resume (2,000 epochs, interrupted after ~500)")
    for algorithm in ("rprop", "quickprop", "sarprop", "batch", "incremental"):
        for seed in (1, 2, 3):
            print(await resume_run(algorithm, seed), flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    anyio.run(main, args.repeats, args.seconds)
