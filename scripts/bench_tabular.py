"""Table reading benchmark (issue 11 targets), each case in a fresh subprocess.

* numeric: a 1,000,000 x 50 numeric CSV (49 features + a numeric target) read and encoded to
  the float32 network arrays in <= 5 s, with the peak memory the work adds <= 3x those arrays;
* mixed: a 100,000-row CSV with numeric, categorical and boolean columns and 5% gaps, read and
  encoded in <= 2 s.

"time" is read + preprocessing (swarm_core._tabular_io.read_table, then
swarm_core._tabular.prepare_training), "peak" is the growth of the process's peak RSS over its
RSS before the work (resource.getrusage), "arrays" the final inputs + outputs. The CSVs are
generated in a temporary directory. Reports the load average: the machine may be shared.

Each run also prints its CPU split (read / encode, user / system) and the 1-minute load at its
start: on a shared machine the wall time follows the load, the CPU seconds do not. --repeat N
runs each case N times and ends with the range and the run at the lowest load. A large part of
the system time is first touch of fresh memory (0.3-0.4 s per 200 MiB on this VM; a second
touch of freed pages costs 0.02 s).

Usage: python scripts/bench_tabular.py [--rows N] [--mixed-rows N] [--no-pyarrow] [--keep DIR]
                                       [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

TARGETS = {"numeric": (5.0, 3.0), "mixed": (2.0, None)}


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def write_numeric(path: Path, rows: int, cols: int = 50) -> None:
    rng = np.random.default_rng(0)
    chunk = 100_000
    with path.open("w") as f:
        f.write(",".join(f"x{j}" for j in range(cols - 1)) + ",y\n")
        for start in range(0, rows, chunk):
            block = rng.standard_normal((min(chunk, rows - start), cols)).astype(np.float32)
            np.savetxt(f, block, fmt="%.5g", delimiter=",")


def write_mixed(path: Path, rows: int) -> None:
    rng = np.random.default_rng(1)
    levels = [np.array([f"L{k}_{i}" for i in range(n)]) for k, n in enumerate((5, 12, 30, 3, 60))]
    cols: dict[str, np.ndarray] = {}
    for j in range(8):
        v = rng.standard_normal(rows) * (10**j)
        cols[f"num{j}"] = np.char.mod("%.4g", v)
    for k, lv in enumerate(levels):
        cols[f"cat{k}"] = lv[rng.integers(0, lv.size, rows)]
    cols["flag0"] = np.where(rng.random(rows) < 0.5, "true", "false")
    cols["flag1"] = np.where(rng.random(rows) < 0.3, "true", "false")
    for name in cols:
        gaps = rng.random(rows) < 0.05
        cols[name] = np.where(gaps, "", cols[name])
    cols["label"] = np.array(["no", "yes", "maybe"])[rng.integers(0, 3, rows)]
    table = np.stack(list(cols.values()), axis=1)
    with path.open("w") as f:
        f.write(",".join(cols) + "\n")
        for start in range(0, rows, 50_000):
            f.write("\n".join(",".join(r) for r in table[start : start + 50_000]) + "\n")


def child(path: str, target: str, no_pyarrow: bool) -> None:
    from swarm_core import _tabular_io as tio
    from swarm_core._tabular import PrepLimits, prepare_training

    if no_pyarrow:
        tio._pyarrow = lambda: None  # type: ignore[assignment]
    elif tio._pyarrow() is not None:
        import pyarrow.csv  # noqa: F401  (imports are not part of the work)
    limits = tio.TableLimits(10**7, 10**5, 10**9, 2**40)
    base = _rss_bytes()
    load = float(Path("/proc/loadavg").read_text().split()[0])
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    c0 = time.process_time()
    table = tio.read_table(Path(path), limits)
    t_read = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    prepared = prepare_training(
        table, target=target, limits=PrepLimits(100, 1000, 100_000), task="auto"
    )
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0
    r2 = resource.getrusage(resource.RUSAGE_SELF)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base
    arrays = prepared.x.nbytes + prepared.y.nbytes
    print(
        json.dumps(
            {
                "seconds": round(elapsed, 3),
                "read_seconds": round(t_read, 3),
                "cpu_seconds": round(cpu, 3),
                "read_user_sys": [
                    round(r1.ru_utime - r0.ru_utime, 3),
                    round(r1.ru_stime - r0.ru_stime, 3),
                ],
                "encode_user_sys": [
                    round(r2.ru_utime - r1.ru_utime, 3),
                    round(r2.ru_stime - r1.ru_stime, 3),
                ],
                "load": load,
                "peak_bytes": peak,
                "array_bytes": arrays,
                "shape": [int(prepared.x.shape[0]), int(prepared.x.shape[1])],
                "pyarrow": tio._pyarrow() is not None,
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--mixed-rows", type=int, default=100_000)
    ap.add_argument("--no-pyarrow", action="store_true")
    ap.add_argument("--keep", type=Path, default=None, help="write/reuse the CSVs in this dir")
    ap.add_argument("--repeat", type=int, default=1, help="runs per case")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.no_pyarrow)
        return
    with tempfile.TemporaryDirectory() as tmp:
        d = args.keep or Path(tmp)
        d.mkdir(parents=True, exist_ok=True)
        cases = {
            "numeric": (d / f"numeric_{args.rows}.csv", "y", write_numeric, args.rows),
            "mixed": (d / f"mixed_{args.mixed_rows}.csv", "label", write_mixed, args.mixed_rows),
        }
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in cases}
        for path, _target, write, rows in cases.values():
            if not path.exists():
                write(path, rows)
        for _ in range(args.repeat):
            for name, (path, target, _write, _rows) in cases.items():
                cmd = [sys.executable, __file__, "--child", str(path), target]
                if args.no_pyarrow:
                    cmd.append("--no-pyarrow")
                run = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
                out = json.loads(run)
                runs[name].append(out)
                limit_s, limit_x = TARGETS[name]
                ratio = out["peak_bytes"] / out["array_bytes"]
                ok = out["seconds"] <= limit_s and (limit_x is None or ratio <= limit_x)
                (ru, rs), (eu, es) = out["read_user_sys"], out["encode_user_sys"]
                print(
                    f"{name}: {path.stat().st_size / 2**20:.0f} MiB CSV -> {out['shape']} float32 "
                    f"in {out['seconds']:.2f} s (read {out['read_seconds']:.2f} s; CPU "
                    f"{out['cpu_seconds']:.2f} s: read {ru:.2f} user + {rs:.2f} sys, encode "
                    f"{eu:.2f} + {es:.2f}), peak +"
                    f"{out['peak_bytes'] / 2**20:.0f} MiB = {ratio:.2f}x the arrays "
                    f"({out['array_bytes'] / 2**20:.0f} MiB); target <= {limit_s} s"
                    f"{f', <= {limit_x}x' if limit_x else ''}: {'met' if ok else 'MISSED'} "
                    f"(pyarrow: {out['pyarrow']}; load {out['load']:.2f})"
                )
        if args.repeat > 1:
            for name, outs in runs.items():
                secs = [o["seconds"] for o in outs]
                quiet = min(outs, key=lambda o: o["load"])
                print(
                    f"{name}: {len(outs)} runs {min(secs):.2f}-{max(secs):.2f} s; at the lowest "
                    f"load ({quiet['load']:.2f}): {quiet['seconds']:.2f} s, CPU "
                    f"{quiet['cpu_seconds']:.2f} s"
                )
    print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}, cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()
