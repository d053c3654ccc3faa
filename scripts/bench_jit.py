#!/usr/bin/env python3
"""JIT start-up of `neural`: every kernel compiled from an empty cache, then loaded warm.

    .venv/bin/python scripts/bench_jit.py [--repeats 1] [--json OUT.json]

Runs a child process twice against one fresh, empty ``NUMBA_CACHE_DIR``: the first compiles
every kernel the package has (training for all algorithms, dense and sparse inputs, forward and
evaluation, shortcut networks, Cascade-Correlation output and candidate training); the second
loads them from that cache. Each child reports wall and CPU seconds from before ``import neural``
until every kernel has run once, plus the number of compiled specialisations. Prints one JSON
object (medians over ``--repeats`` fresh caches) with the issue #3 targets (cold <= 15 s,
warm <= 1 s) and the load average, since the figure is CPU-bound and the machine may be shared.

    .venv/bin/python scripts/bench_jit.py --server [--after 15] [--json OUT.json]

The server's background warm-up (issue #14, "no JIT wait"): for each of a server with and one
without ``--no-jit-warmup``, each on a fresh empty ``NUMBA_CACHE_DIR`` (a fresh install), it
handshakes, calls ``query_agents`` every 20 ms for ``--after`` seconds (the latency while the
warm-up child compiles, against the same calls on the server without it), then sends a default
``train`` (inline diabetes data, layers [16]) and reports its ``compile_seconds``. Target:
``compile_seconds <= 0.5`` with the warm-up.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = textwrap.dedent(
    """
    import json, time
    t0 = time.perf_counter()
    c0 = time.process_time()
    import numpy as np
    import neural
    from neural import CascadeConfig, Network, TrainConfig, TrainingData, cascade_train, evaluate, train
    t_import = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    x = rng.random((300, 5)).astype(np.float32)
    d = TrainingData(x, (x[:, :2] > 0.5).astype(np.float32))
    sparse = TrainingData((x < 0.2).astype(np.float32), d.outputs)
    for algo in ("rprop", "quickprop", "batch", "incremental", "sarprop"):
        train(Network.standard([5, 4, 2], seed=1), d, TrainConfig(algorithm=algo, max_epochs=2))
    train(Network.standard([5, 4, 2], seed=1), sparse, TrainConfig(max_epochs=2))
    net = Network.shortcut([5, 3, 2], seed=1)
    net.run(d.inputs)
    evaluate(net, d)
    cascade_train(
        Network.shortcut([5, 2], seed=1), d, CascadeConfig(max_neurons=2, max_out_epochs=3,
        min_out_epochs=1, max_cand_epochs=3, min_cand_epochs=1),
    )
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    n_spec = 0
    for mod in ("_train_kernels", "_forward_kernels", "_cascade_kernels", "_activations"):
        m = getattr(neural, mod)
        for v in vars(m).values():
            if hasattr(v, "overloads") and getattr(v, "__module__", None) == m.__name__:
                n_spec += len(v.overloads)
    print(json.dumps({"wall": wall, "cpu": cpu, "import": t_import, "specialisations": n_spec}))
    """
)


def one_round() -> tuple[dict[str, float], dict[str, float]]:
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        runs = []
        for _ in range(2):
            out = subprocess.run(
                [sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True
            )
            if out.returncode != 0:
                raise SystemExit(out.stderr)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return runs[0], runs[1]


def _diabetes_inline(n: int = 300) -> dict[str, list[list[float]]]:
    lines = (ROOT / "tests" / "data" / "diabetes.train").read_text().split("\n")
    rows = [[float(v) for v in line.split()] for line in lines[1:] if line.strip()]
    pairs = list(zip(rows[0::2], rows[1::2], strict=False))[:n]
    return {"inputs": [p[0] for p in pairs], "outputs": [p[1] for p in pairs]}


def server_round(warmup: bool, after: float) -> dict[str, object]:
    sys.path.insert(0, str(ROOT / "scripts"))
    from bench_mcp import Server, percentile

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NUMBA_CACHE_DIR"] = os.path.join(tmp, "numba")
        os.environ["RUV_SWARM_JIT_WARMUP"] = "1" if warmup else "0"
        server = Server(tmp)
        try:
            server.initialize()
            swarm = server.call("swarm_init", {"topology": "mesh"})
            server.call("spawn_agent", {"type": "neural-processor", "swarm_id": swarm["id"]})
            t_ready = time.perf_counter()
            lat = []
            while time.perf_counter() - t_ready < after:
                t0 = time.perf_counter()
                server.call("query_agents", {"swarm_id": swarm["id"]})
                lat.append((time.perf_counter() - t0) * 1000)
                time.sleep(0.02)
            state = server.call("server_info")
            trained = server.call(
                "train",
                {"data": _diabetes_inline(), "layers": [16], "epochs": 20},
            )
            return {
                "jit_warmup": state.get("jit_warmup"),
                "jit_warmup_seconds": state.get("jit_warmup_seconds"),
                "compile_seconds": trained.get("compile_seconds"),
                "query_agents_during_ms": {
                    "n": len(lat),
                    "median": round(statistics.median(lat), 3),
                    "p99": round(percentile(lat, 99), 3),
                    "max": round(max(lat), 3),
                },
            }
        finally:
            server.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--json", type=Path, default=None, help="also write the result here")
    p.add_argument("--server", action="store_true", help="measure the server's warm-up instead")
    p.add_argument("--after", type=float, default=15.0, help="seconds before the first train")
    args = p.parse_args()
    if args.server:
        with open("/proc/loadavg") as f:
            load_before = float(f.read().split()[0])
        result = {
            "with_warmup": server_round(True, args.after),
            "without_warmup": server_round(False, args.after),
            "train_sent_after_s": args.after,
            "target_compile_seconds": 0.5,
        }
        with open("/proc/loadavg") as f:
            result["load_average"] = [load_before, float(f.read().split()[0])]
        text = json.dumps(result, indent=2)
        print(text)
        if args.json is not None:
            args.json.write_text(text + "\n")
        return 0
    with open("/proc/loadavg") as f:
        load_before = float(f.read().split()[0])
    rounds = [one_round() for _ in range(args.repeats)]
    with open("/proc/loadavg") as f:
        load_after = float(f.read().split()[0])

    def med(i: int, key: str) -> float:
        return round(statistics.median(r[i][key] for r in rounds), 3)

    result = {
        "cold_wall_s": med(0, "wall"),
        "cold_cpu_s": med(0, "cpu"),
        "warm_wall_s": med(1, "wall"),
        "warm_cpu_s": med(1, "cpu"),
        "warm_import_s": med(1, "import"),
        "specialisations": int(rounds[0][0]["specialisations"]),
        "repeats": args.repeats,
        "target_cold_s": 15.0,
        "target_warm_s": 1.0,
        "load_average": [load_before, load_after],
        "cores": os.cpu_count(),
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
