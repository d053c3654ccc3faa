#!/usr/bin/env python3
"""Benchmark `neural` (RPROP / Quickprop / Cascade-Correlation) on FANN's datasets, optionally
against libfann on the same configuration in the same run.

    .venv/bin/python scripts/bench_neural.py --datasets thyroid,building --algorithm rprop \\
        --hidden 32 --epochs 300 --repeats 3 --json /tmp/rprop.json --fann-bench /tmp/fann_bench

Configuration is FANN's default everywhere (as `fann_bench.c`): in-HIDDEN-out networks with
sigmoid_stepwise (steepness 0.5) hidden and output units, tanh error function, weights uniform in
[-0.1, 0.1] drawn exactly as libfann draws them (``init="fann"``: glibc ``srand(seed)``, seeds
1..repeats like fann_bench, so both start from the same weights); targets in {-1, 1} (xor) switch to sigmoid_symmetric with
steepness 1 (fann_bench ``-sym``). ``cascade`` grows a shortcut network from [in, out] with
`CascadeConfig` (``--cascade-config default`` or ``fann``), up to ``--max-neurons`` units; with
``--stop auto`` two-spiral and parity stop when every output is within 0.4 of its target
(``-bit 0.4``), the others on MSE 0 (i.e. grow to max neurons).

One JSON record per dataset (list in ``--json``): dataset, algorithm, layers, epochs,
train_samples, epoch_ms (median over repeats of time / epochs), train_mse, test_mse,
test_error_pct (classification targets only: argmax for several outputs, threshold at mid-range
for one, as fann_bench.c), hidden_added, seconds (median), compile_seconds (first call in this
process: JIT compile or cache load), fraction_of_peak (6 * connections * samples FLOP per epoch
at 165 GFLOP/s, one core's FP32 matmul peak, divided by epoch_ms; RPROP/Quickprop only), per-run
figures in ``runs``; with ``--fann-bench`` also ``fann`` (libfann's MEDIAN line) and ``ratio`` =
epoch_ms / fann epoch_ms (cascade: ``time_ratio`` = seconds / fann seconds).

Timing is wall time of the training call only, on whatever else the machine runs: take medians
and say how loaded the machine was.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from neural import (  # noqa: E402
    CascadeConfig,
    Network,
    TrainConfig,
    TrainingData,
    cascade_train,
    evaluate,
    read_fann_data,
    train,
)

PEAK_FLOPS_1CORE = 165e9  # FP32 matmul, one core (reference/fann-baseline.md)
BIT_STOP_DATASETS = ("two-spiral", "parity8", "parity13")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "datasets" / "fann")
    p.add_argument("--datasets", default="thyroid", help="comma separated dataset names")
    p.add_argument("--algorithm", choices=("rprop", "quickprop", "cascade"), default="rprop")
    p.add_argument("--hidden", default="32", help="hidden layer sizes, comma separated")
    p.add_argument("--epochs", type=int, default=300)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--json", type=Path, default=None, help="write the records here")
    p.add_argument("--fann-bench", type=Path, default=None, help="fann_bench binary to compare")
    p.add_argument("--max-neurons", type=int, default=30, help="cascade: hidden units at most")
    p.add_argument("--stop", choices=("auto", "mse", "bit"), default="auto", help="cascade stop")
    p.add_argument("--bit-limit", type=float, default=0.4, help="cascade: bit-fail limit")
    p.add_argument(
        "--cascade-config", choices=("default", "fann"), default="default",
        help="cascade: CascadeConfig() or CascadeConfig.fann()",
    )  # fmt: skip
    p.add_argument("--first-seed", type=int, default=1)
    args = p.parse_args(argv)
    if args.repeats < 1 or args.repeats > 15:
        p.error("--repeats must be in [1, 15] (fann_bench's limit)")
    if args.epochs < 1:
        p.error("--epochs must be >= 1")
    return args


def load(data_dir: Path, name: str) -> tuple[TrainingData, TrainingData]:
    both = data_dir / f"{name}.data"
    if both.exists():
        d = read_fann_data(both, dtype=np.float32)
        return d, d
    return (
        read_fann_data(data_dir / f"{name}.train", dtype=np.float32),
        read_fann_data(data_dir / f"{name}.test", dtype=np.float32),
    )


def class_error(net: Network, data: TrainingData) -> float | None:
    """fann_bench.c's rule: None unless every target is -1, 0 or 1."""
    t = np.asarray(data.outputs)
    if not np.all(np.isin(t, (-1.0, 0.0, 1.0))):
        return None
    y = net.run(data.inputs)
    if t.shape[1] == 1:
        mid = (t.min() + t.max()) / 2
        wrong = int(np.sum((y[:, 0] >= mid) != (t[:, 0] >= mid)))
    else:
        wrong = int(np.sum(np.argmax(y, axis=1) != np.argmax(t, axis=1)))
    return 100.0 * wrong / t.shape[0]


def symmetric_targets(data: TrainingData) -> bool:
    return bool(np.min(data.outputs) < 0)


def make_standard(sizes: list[int], sym: bool, seed: int) -> Network:
    if sym:
        return Network.standard(
            sizes, hidden_activation="sigmoid_symmetric", output_activation="sigmoid_symmetric",
            hidden_steepness=1.0, output_steepness=1.0, seed=seed, init="fann",
        )  # fmt: skip
    return Network.standard(sizes, seed=seed, init="fann")


def make_shortcut(n_in: int, n_out: int, sym: bool, seed: int) -> Network:
    if sym:
        return Network.shortcut(
            [n_in, n_out], output_activation="sigmoid_symmetric", output_steepness=1.0,
            seed=seed, init="fann",
        )  # fmt: skip
    return Network.shortcut([n_in, n_out], seed=seed, init="fann")


def cascade_config(args: argparse.Namespace, name: str, seed: int) -> CascadeConfig:
    stop = args.stop
    if stop == "auto":
        stop = "bit" if name in BIT_STOP_DATASETS else "mse"
    kw: dict[str, Any] = {"max_neurons": args.max_neurons, "seed": seed, "desired_error": 0.0}
    if stop == "bit":
        kw.update(stop_function="bit", bit_fail_limit=args.bit_limit)
    return CascadeConfig.fann(**kw) if args.cascade_config == "fann" else CascadeConfig(**kw)


def warm_up(args: argparse.Namespace, tr: TrainingData, sizes: list[int], sym: bool) -> float:
    """Time of the first (compiling / cache-loading) call on a few samples."""
    small = TrainingData(tr.inputs[:4], tr.outputs[:4])
    t0 = time.perf_counter()
    if args.algorithm == "cascade":
        net = make_shortcut(sizes[0], sizes[-1], sym, 0)
        cfg = CascadeConfig(max_neurons=1, min_out_epochs=1, max_out_epochs=2,
                            min_cand_epochs=1, max_cand_epochs=2, seed=0)  # fmt: skip
        cascade_train(net, small, cfg)
    else:
        net = make_standard(sizes, sym, 0)
        train(net, small, TrainConfig(algorithm=args.algorithm, max_epochs=2))
    evaluate(net, small)
    return time.perf_counter() - t0


def run_ours(
    args: argparse.Namespace, name: str, tr: TrainingData, te: TrainingData
) -> dict[str, Any]:
    hidden = [int(h) for h in args.hidden.split(",") if h]
    sym = symmetric_targets(tr)
    sizes = [tr.n_inputs, *hidden, tr.n_outputs]
    compile_s = warm_up(args, tr, sizes, sym)
    runs = []
    for r in range(args.repeats):
        seed = args.first_seed + r
        limit = 0.35  # FANN's default bit-fail limit
        if args.algorithm == "cascade":
            net = make_shortcut(tr.n_inputs, tr.n_outputs, sym, seed)
            ccfg = cascade_config(args, name, seed)
            limit = ccfg.bit_fail_limit
            t0 = time.perf_counter()
            hist = cascade_train(net, tr, ccfg)
        else:
            net = make_standard(sizes, sym, seed)
            t0 = time.perf_counter()
            hist = train(net, tr, TrainConfig(algorithm=args.algorithm, max_epochs=args.epochs))
        seconds = time.perf_counter() - t0
        ev_tr = evaluate(net, tr, bit_fail_limit=limit)
        ev_te = evaluate(net, te, bit_fail_limit=limit)
        runs.append(
            {
                "seed": seed,
                "layers": list(net.layer_sizes),
                "connections": net.n_connections,
                "epochs": hist.epochs,
                "seconds": seconds,
                "epoch_ms": 1e3 * seconds / max(hist.epochs, 1),
                "train_mse": ev_tr.mse,
                "test_mse": ev_te.mse,
                "bit_fail_limit": limit,
                "train_bit_fail": ev_tr.bit_fail,
                "test_error_pct": class_error(net, te),
                "hidden_added": hist.hidden_added,
                "stop_reason": hist.stop_reason,
            }
        )
    med = lambda k: statistics.median(run[k] for run in runs)  # noqa: E731
    errs = [run["test_error_pct"] for run in runs]
    rec: dict[str, Any] = {
        "dataset": name,
        "algorithm": args.algorithm,
        "layers": _median_run(runs)["layers"] if args.algorithm == "cascade" else sizes,
        "epochs": med("epochs"),
        "train_samples": tr.n_samples,
        "epoch_ms": med("epoch_ms"),
        "train_mse": med("train_mse"),
        "test_mse": med("test_mse"),
        "test_error_pct": None if errs[0] is None else statistics.median(errs),
        "hidden_added": med("hidden_added") if args.algorithm == "cascade" else None,
        "hidden_added_range": (
            [min(r["hidden_added"] for r in runs), max(r["hidden_added"] for r in runs)]
            if args.algorithm == "cascade"
            else None
        ),
        "seconds": med("seconds"),
        "compile_seconds": compile_s,
        "fraction_of_peak": None,
        "repeats": args.repeats,
        "runs": runs,
    }
    if args.algorithm != "cascade":
        conns = runs[0]["connections"]
        lower_ms = 1e3 * 6.0 * conns * tr.n_samples / PEAK_FLOPS_1CORE
        rec["fraction_of_peak"] = lower_ms / rec["epoch_ms"]
    return rec


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run whose hidden-unit count is closest to the median (ties: fewer seconds)."""
    target = statistics.median(r["hidden_added"] for r in runs)
    return min(runs, key=lambda r: (abs(r["hidden_added"] - target), r["seconds"]))


_KV = re.compile(r"(\S+?)=(\S+)")


def run_fann(args: argparse.Namespace, name: str, sym: bool) -> dict[str, Any]:
    cmd = [str(args.fann_bench)]
    if args.algorithm == "cascade":
        stop = args.stop
        if stop == "auto":
            stop = "bit" if name in BIT_STOP_DATASETS else "mse"
        cmd += ["cascade", str(args.data_dir), name, "-m", str(args.max_neurons)]
        if stop == "bit":
            cmd += ["-bit", str(args.bit_limit)]
    elif args.algorithm == "rprop":
        cmd += ["rprop", str(args.data_dir), name, "-l", args.hidden, "-e", str(args.epochs)]
        if sym:
            cmd.append("-sym")
    else:
        return {"error": "fann_bench only runs rprop and cascade"}
    cmd += ["-r", str(args.repeats), "-s", str(args.first_seed)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    median = [ln for ln in out.splitlines() if ln.startswith("MEDIAN")]
    if not median:
        raise RuntimeError(f"no MEDIAN line from {' '.join(cmd)}:\n{out}")
    kv = dict(_KV.findall(median[-1]))

    def num(key: str) -> float | None:
        v = kv.get(key)
        return None if v is None else float(v)

    err = num("test_err%")
    epochs = num("epochs")
    seconds = num("time_s")
    epoch_ms = num("t_epoch_ms")
    if args.algorithm == "cascade" and seconds is not None and epochs:
        epoch_ms = 1e3 * seconds / epochs
    return {
        "command": " ".join(cmd),
        "epoch_ms": epoch_ms,
        "seconds": seconds,
        "epochs": epochs,
        "hidden": num("hidden"),
        "mcups": num("MCUPS"),
        "train_mse": num("train_mse"),
        "test_mse": num("test_mse"),
        "test_error_pct": None if err is None or err < 0 else err,
    }


def fmt(v: Any, spec: str = ".4g") -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return format(v, spec) if isinstance(v, int | float) else str(v)


def print_table(records: list[dict[str, Any]]) -> None:
    head = (
        f"{'dataset':<14}{'alg':<10}{'layers':<16}{'epochs':>7}{'ms/epoch':>10}{'s':>8}"
        f"{'hid':>5}{'train mse':>11}{'test mse':>10}{'err%':>7}{'peak%':>7}{'compile s':>10}"
        f"{'fann ms/ep':>11}{'fann s':>8}{'fann hid':>9}{'fann test':>10}{'fann err%':>10}{'ratio':>7}"
    )
    print(head)
    print("-" * len(head))
    for r in records:
        f = r.get("fann") or {}
        layers = "-".join(str(x) for x in r["layers"])
        if len(layers) > 15:
            layers = f"{r['layers'][0]}-[{len(r['layers']) - 2}]-{r['layers'][-1]}"
        ratio = r.get("ratio") if r["algorithm"] != "cascade" else r.get("time_ratio")
        peak = None if r["fraction_of_peak"] is None else 100 * r["fraction_of_peak"]
        print(
            f"{r['dataset']:<14}{r['algorithm']:<10}{layers:<16}{fmt(r['epochs'], '.0f'):>7}"
            f"{fmt(r['epoch_ms'], '.4f'):>10}{fmt(r['seconds'], '.3f'):>8}"
            f"{fmt(r['hidden_added'], '.1f'):>5}{fmt(r['train_mse'], '.5f'):>11}"
            f"{fmt(r['test_mse'], '.5f'):>10}{fmt(r['test_error_pct'], '.2f'):>7}"
            f"{fmt(peak, '.2f'):>7}{fmt(r['compile_seconds'], '.2f'):>10}"
            f"{fmt(f.get('epoch_ms'), '.4f'):>11}{fmt(f.get('seconds'), '.3f'):>8}"
            f"{fmt(f.get('hidden'), '.0f'):>9}{fmt(f.get('test_mse'), '.5f'):>10}"
            f"{fmt(f.get('test_error_pct'), '.2f'):>10}{fmt(ratio, '.3f'):>7}"
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = [n for n in args.datasets.split(",") if n]
    records = []
    load_avg = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    for name in names:
        tr, te = load(args.data_dir, name)
        rec = run_ours(args, name, tr, te)
        if args.fann_bench is not None:
            fann = run_fann(args, name, symmetric_targets(tr))
            rec["fann"] = fann
            if fann.get("epoch_ms"):
                rec["ratio"] = rec["epoch_ms"] / fann["epoch_ms"]
            if fann.get("seconds"):
                rec["time_ratio"] = rec["seconds"] / fann["seconds"]
        rec["load_average_1min_at_start"] = load_avg
        records.append(rec)
        print(f"# {name}: done ({rec['seconds']:.3f} s median)", file=sys.stderr, flush=True)
    print_table(records)
    if args.json is not None:
        args.json.write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
