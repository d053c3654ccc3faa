#!/usr/bin/env python3
"""`neural` RPROP against `torch.optim.Rprop` on the same in-H-out network, side by side.

    .venv/bin/python scripts/bench_vs_torch.py --sizes 2000x256,20000x256 --threads 1,2 \\
        --repeats 5 --json /tmp/vs_torch.json

Same work on both sides: 32 dense inputs uniform in [0, 1), one output (a smooth target),
full-batch training. `neural`: ``Network.standard([32, H, 1], init="fann")`` (FANN's
sigmoid_stepwise units, tanh error, iRPROP-), ``TrainConfig(threads=T)``; time =
``TrainHistory.seconds`` (no JIT, no data layout). torch (only if installed; never a
dependency of the project): ``Sequential(Linear, Sigmoid, Linear, Sigmoid)`` in float32,
``mse_loss``, ``Rprop(lr=0.1, etas=(0.5, 1.2), step_sizes=(1e-6, 50))`` (FANN's constants),
weights uniform in [-0.1, 0.1], ``set_num_threads(T)``, ``set_num_interop_threads(1)``; an
epoch is zero_grad, forward, backward, step on prebuilt tensors.

Contenders (``--contenders``): ``neural`` (as shipped: BLAS products for wide layers),
``neural-block`` (the numba block kernels forced for every size: the path before BLAS),
``torch`` (full batch) and ``torch-chunk`` (the same full-batch gradient accumulated over
``--chunk``-sample slices, one step per epoch: torch's best at large N x H).

Method: one worker process per contender; the driver sends one timed block at a time and
alternates the order per repeat (A B C, C B A, ...). A block trains a fresh network for E
epochs, E set from a calibration block so that the slowest contender takes ~``--block-seconds``
(at least 3 epochs). Per block the driver also measures the CPU that *other* processes used
(from /proc/stat, minus the worker's own): figures are medians over the blocks, and blocks run
while others used more than ``--max-others`` cores are counted and reported separately.

GFLOP/s per core = 6 * connections * samples / epoch time / threads (the convention of
`scripts/bench_neural.py`); the machine's own FP32 peak (a 1024^3 NumPy matmul on one
thread, best of a few) is measured at the start so the rate can be read as a fraction of it.
Ratio = neural time / contender time: below 1 `neural` is faster. The table also gives the
process CPU time per epoch (for one thread the steadier figure on a busy machine: time the
process waited for a core is not in it) and the ratio of CPU times. The load average is
printed with the table; on a shared machine, differences under ~10 % are noise.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
N_IN = 32
CONTENDERS = ("neural", "neural-block", "torch", "torch-chunk")


# ---------------------------------------------------------------------------------- worker


def make_data(n: int) -> tuple[Any, Any]:
    import numpy as np

    rng = np.random.default_rng(12345)
    X = rng.random((n, N_IN), dtype=np.float32)
    T = (0.1 + 0.8 * X[:, :4].mean(axis=1, keepdims=True)).astype(np.float32)
    return X, T


class NeuralWorker:
    def __init__(self, threads: int, block: bool) -> None:
        sys.path.insert(0, str(ROOT))
        import neural
        from neural import _train

        if block:  # every network on the numba block kernels, as before the BLAS path
            _train.BLAS_MIN_UNITS = 1 << 62
        self.neural = neural
        self.threads = threads
        self.data: dict[int, Any] = {}

    def run(self, n: int, h: int, epochs: int) -> dict[str, float]:
        nn = self.neural
        if n not in self.data:
            self.data[n] = nn.TrainingData(*make_data(n))
        data = self.data[n]
        net = nn.Network.standard([N_IN, h, 1], init="fann", seed=1)
        cfg = nn.TrainConfig(max_epochs=epochs, threads=self.threads)
        c0 = time.process_time()
        hist = nn.train(net, data, cfg)
        cpu = time.process_time() - c0
        return {"seconds": hist.seconds / hist.epochs, "cpu": cpu / hist.epochs,
                "mse": hist.mse[-1], "compile": hist.compile_seconds}  # fmt: skip


class TorchWorker:
    def __init__(self, threads: int, chunk: int) -> None:
        import torch

        torch.set_num_threads(threads)
        with contextlib.suppress(RuntimeError):  # already set in this process
            torch.set_num_interop_threads(1)
        self.torch = torch
        self.chunk = chunk
        self.data: dict[int, Any] = {}

    def run(self, n: int, h: int, epochs: int) -> dict[str, float]:
        torch = self.torch
        F = torch.nn.functional
        if n not in self.data:
            X, T = make_data(n)
            self.data[n] = (torch.from_numpy(X), torch.from_numpy(T))
        X, T = self.data[n]
        torch.manual_seed(1)
        model = torch.nn.Sequential(
            torch.nn.Linear(N_IN, h), torch.nn.Sigmoid(), torch.nn.Linear(h, 1), torch.nn.Sigmoid()
        )
        with torch.no_grad():
            for p in model.parameters():
                p.uniform_(-0.1, 0.1)
        opt = torch.optim.Rprop(model.parameters(), lr=0.1, etas=(0.5, 1.2), step_sizes=(1e-6, 50))
        chunk = self.chunk
        loss = torch.zeros(())
        c0 = time.process_time()
        t0 = time.perf_counter()
        for _ in range(epochs):
            opt.zero_grad(set_to_none=False)
            if chunk <= 0 or chunk >= n:
                full = F.mse_loss(model(X), T)
                full.backward()
                loss = full.detach()
            else:
                for lo in range(0, n, chunk):
                    part = F.mse_loss(
                        model(X[lo : lo + chunk]), T[lo : lo + chunk], reduction="sum"
                    )
                    (part / n).backward()
                    loss = part.detach()
            opt.step()
        wall = time.perf_counter() - t0
        cpu = time.process_time() - c0
        return {"seconds": wall / epochs, "cpu": cpu / epochs, "mse": float(loss), "compile": 0.0}


def worker_main(kind: str, threads: int, chunk: int) -> int:
    if kind.startswith("neural"):
        w: Any = NeuralWorker(threads, block=kind == "neural-block")
    else:
        w = TorchWorker(threads, chunk if kind == "torch-chunk" else 0)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        t_cpu = time.process_time()
        out = w.run(int(cmd["n"]), int(cmd["h"]), int(cmd["epochs"]))
        out["process_cpu"] = time.process_time() - t_cpu
        print(json.dumps(out), flush=True)
    return 0


# ---------------------------------------------------------------------------------- driver


def busy_jiffies() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole machine."""
    with open("/proc/stat") as f:
        vals = [int(v) for v in f.readline().split()[1:]]
    idle = vals[3] + vals[4]
    return sum(vals) - idle, sum(vals)


def loadavg() -> float:
    return os.getloadavg()[0]


class Worker:
    def __init__(self, kind: str, threads: int, chunk: int) -> None:
        self.kind = kind
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", kind, "--threads", str(threads),
             "--chunk", str(chunk)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert json.loads(self.readline())["ready"]

    def readline(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"worker {self.kind} exited (rc={self.proc.wait()})")
        return line

    def block(self, n: int, h: int, epochs: int) -> dict[str, float]:
        assert self.proc.stdin is not None
        hz = os.sysconf("SC_CLK_TCK")
        b0, _ = busy_jiffies()
        t0 = time.perf_counter()
        self.proc.stdin.write(json.dumps({"n": n, "h": h, "epochs": epochs}) + "\n")
        self.proc.stdin.flush()
        out: dict[str, float] = json.loads(self.readline())
        wall = time.perf_counter() - t0
        b1, _ = busy_jiffies()
        others = (b1 - b0) / hz - out["process_cpu"]
        out["others_cores"] = max(0.0, others / wall)
        return out

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def machine_peak() -> float:
    """Best FP32 GFLOP/s of a 1024^3 NumPy matmul on one BLAS thread (in a subprocess)."""
    code = (
        "import time, numpy as np\n"
        "from threadpoolctl import threadpool_limits\n"
        "threadpool_limits(1, user_api='blas')\n"
        "a = np.random.rand(1024, 1024).astype(np.float32); a @ a\n"
        "best = min((lambda t0: (a @ a, time.perf_counter() - t0)[1])(time.perf_counter())"
        " for _ in range(8))\n"
        "print(2 * 1024 ** 3 / best / 1e9)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def blas_kernel() -> str:
    code = (
        "import numpy\nfrom threadpoolctl import threadpool_info\n"
        "print(', '.join(f\"{i['internal_api']} {i.get('version')} {i.get('architecture')}\""
        " for i in threadpool_info() if i['user_api'] == 'blas'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def connections(h: int) -> int:
    return (N_IN + 1) * h + (h + 1)


def bench_size(
    workers: list[Worker], n: int, h: int, threads: int, args: argparse.Namespace
) -> dict[str, Any]:
    # calibration: a short block each, also warms data and JIT in the workers
    calib = {w.kind: w.block(n, h, 2)["seconds"] for w in workers}
    slowest = max(calib.values())
    epochs = max(3, int(args.block_seconds / max(slowest, 1e-9)))
    blocks: dict[str, list[dict[str, float]]] = {w.kind: [] for w in workers}
    for r in range(args.repeats):
        order = workers if r % 2 == 0 else workers[::-1]
        for w in order:
            blocks[w.kind].append(w.block(n, h, epochs))
    flops = 6.0 * connections(h) * n
    rec: dict[str, Any] = {"n": n, "h": h, "threads": threads, "epochs": epochs,
                           "connections": connections(h), "contenders": {}}  # fmt: skip
    for kind, bs in blocks.items():
        quiet = [b for b in bs if b["others_cores"] <= args.max_others]
        use = quiet if quiet else bs
        ms = 1e3 * statistics.median(b["seconds"] for b in use)
        rec["contenders"][kind] = {
            "ms_per_epoch": ms,
            "cpu_ms_per_epoch": 1e3 * statistics.median(b["cpu"] for b in use),
            "gflops_per_core": flops / (ms * 1e-3) / 1e9 / threads,
            "blocks": len(bs),
            "quiet_blocks": len(quiet),
            "others_cores_median": statistics.median(b["others_cores"] for b in bs),
            "ms_all_blocks": [1e3 * b["seconds"] for b in bs],
            "final_mse": statistics.median(b["mse"] for b in use),
        }
    c = rec["contenders"]
    if "neural" in c:
        for kind in c:
            if kind != "neural":
                rec[f"ratio_vs_{kind}"] = c["neural"]["ms_per_epoch"] / c[kind]["ms_per_epoch"]
        torches = [c[k]["ms_per_epoch"] for k in ("torch", "torch-chunk") if k in c]
        if torches:
            rec["ratio_vs_best_torch"] = c["neural"]["ms_per_epoch"] / min(torches)
            # on a busy machine a single-threaded contender's CPU time is the steadier gauge
            cpu = [c[k]["cpu_ms_per_epoch"] for k in ("torch", "torch-chunk") if k in c]
            rec["cpu_ratio_vs_best_torch"] = c["neural"]["cpu_ms_per_epoch"] / min(cpu)
    if "neural" in c:
        rec["neural_gflops_per_core_by_cpu"] = (
            flops / (c["neural"]["cpu_ms_per_epoch"] * 1e-3) / 1e9 / threads
        )
    rec["loadavg_1min"] = loadavg()
    return rec


def print_row(rec: dict[str, Any], kinds: list[str], peak: float) -> None:
    c = rec["contenders"]
    cells = [f"{rec['n']}x{rec['h']}", str(rec["threads"])]
    for k in kinds:
        cells.append(f"{c[k]['ms_per_epoch']:.3f}" if k in c else "-")
    g = c.get("neural", {}).get("gflops_per_core")
    cells.append(f"{g:.1f} ({100 * g / peak:.0f} %)" if g else "-")
    for k in kinds:
        if k != "neural":
            r = rec.get(f"ratio_vs_{k}")
            cells.append(f"{r:.2f}" if r else "-")
    r = rec.get("ratio_vs_best_torch")
    cells.append(f"{r:.2f}" if r else "-")
    g = rec.get("neural_gflops_per_core_by_cpu")
    cells.append(f"{c['neural']['cpu_ms_per_epoch']:.3f} / {g:.1f}" if g else "-")
    r = rec.get("cpu_ratio_vs_best_torch")
    cells.append(f"{r:.2f}" if r else "-")
    quiet = min(v["quiet_blocks"] for v in c.values())
    others = max(v["others_cores_median"] for v in c.values())
    cells.append(f"{quiet}/{rec_blocks(rec)} {others:.2f}")
    cells.append(f"{rec['loadavg_1min']:.2f}")
    print(" | ".join(cells), flush=True)


def rec_blocks(rec: dict[str, Any]) -> int:
    return min(v["blocks"] for v in rec["contenders"].values())


def driver_main(args: argparse.Namespace) -> int:
    kinds = [k for k in args.contenders.split(",") if k]
    for k in kinds:
        if k not in CONTENDERS:
            print(f"unknown contender {k!r}; choose from {', '.join(CONTENDERS)}", file=sys.stderr)
            return 2
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:
        torch_version = None
        dropped = [k for k in kinds if k.startswith("torch")]
        kinds = [k for k in kinds if not k.startswith("torch")]
        if dropped:
            print(f"# torch not installed: {', '.join(dropped)} left out", file=sys.stderr)
    sizes = []
    for s in args.sizes.split(","):
        n, h = s.lower().split("x")
        sizes.append((int(n), int(h)))
    thread_counts = [int(t) for t in args.threads.split(",") if t]
    peak = machine_peak()
    kernel = blas_kernel()
    print(f"# torch {torch_version}; NumPy BLAS: {kernel}; one-core FP32 matmul peak "
          f"{peak:.1f} GFLOP/s; {os.cpu_count()} CPUs; load average {loadavg():.2f}")  # fmt: skip
    ratio_cols = [f"/{k}" for k in kinds if k != "neural"]
    print(" | ".join(["N x H", "thr", *[f"{k} ms" for k in kinds], "neural GFLOP/s/core (% peak)",
                      *ratio_cols, "/best torch", "neural CPU ms / GFLOP/s", "CPU /best torch",
                      "quiet blocks, others' cores", "load"]))  # fmt: skip
    records = []
    for threads in thread_counts:
        workers = [Worker(k, threads, args.chunk) for k in kinds]
        try:
            for n, h in sizes:
                rec = bench_size(workers, n, h, threads, args)
                records.append(rec)
                print_row(rec, kinds, peak)
        finally:
            for w in workers:
                w.close()
    print(
        f"# load average at the end {loadavg():.2f}; ratio = neural / contender (below 1: "
        f"neural faster); GFLOP/s = 6 * connections * samples / time / threads"
    )
    if args.json is not None:
        meta = {"torch": torch_version, "blas": kernel, "peak_gflops_1core": peak,
                "cpus": os.cpu_count(), "args": vars(args) | {"json": str(args.json)}}  # fmt: skip
        args.json.write_text(json.dumps({"meta": meta, "records": records}, indent=2) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", default="2000x32,2000x256,2000x1024,20000x256,20000x1024",
                   help="comma separated NxH (samples x hidden units)")  # fmt: skip
    p.add_argument("--threads", default="1,2", help="comma separated thread counts")
    p.add_argument("--contenders", default=",".join(CONTENDERS))
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--block-seconds", type=float, default=0.5)
    p.add_argument("--chunk", type=int, default=1024, help="torch-chunk: samples per slice")
    p.add_argument("--max-others", type=float, default=0.25,
                   help="blocks with more CPU used by others (cores) are not in the medians "
                        "unless no block is below it")  # fmt: skip
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker is not None:
        return worker_main(args.worker, int(args.threads), args.chunk)
    if args.repeats < 1:
        p.error("--repeats must be >= 1")
    return driver_main(args)


if __name__ == "__main__":
    sys.exit(main())
