#!/usr/bin/env python3
"""What one bad (or big but allowed) input costs the server in memory: RSS growth per class.

    python scripts/bench_memory.py [--only CASE ...] [--keep DIR]

Every case runs in a fresh interpreter holding an `Engine` (in-memory database), the way the
server holds one: the case's path is warmed with a small valid input first (imports, JIT,
caches), then the kernel's peak-RSS mark is reset (``/proc/self/clear_refs``) and the measured
call runs. Growth = peak RSS during the call - RSS before it. For accepted inputs the figure is
also given as a multiple of the arrays the input really needs (``x arrays``).

Cases (the issue's figures in brackets are from before the fix):
  data_header_refused  60 MB of "0\\n1\\n" under the header "15000000 1 1"        [+3.7 GB]
  data_accepted        a 100,000 x 50 (+1 output) FANN file, 34 MB; also parse seconds [+478 MiB]
  npz_bomb             a ~1 MiB native model whose weights member inflates to 1 GiB  [+986 MiB]
  npz_absurd_shape     a native model whose weights header declares shape (10**12,)
  net_refused          FANN .net text whose layer_sizes need 10**10 weights
  net_accepted         FANN .net text of 1.5 M connections (15 MB, within the limits)
  train_4096x3         train {"layers": [4096, 4096, 4096]} on XOR                   [+414 MiB]
  cascade_refused      cascade train asking for 10,000 hidden units on 20,000 samples
  predict_wide         predict 20,000 rows on a model with 1,000 outputs (20 M values)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

MIB = 2**20
CASES = (
    "data_header_refused",
    "data_accepted",
    "npz_bomb",
    "npz_absurd_shape",
    "net_refused",
    "net_accepted",
    "train_4096x3",
    "cascade_refused",
    "predict_wide",
)
XOR = {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "outputs": [[0], [1], [1], [0]]}


# -- inputs (made in the parent, streamed to disk so the parent stays small) --------------------


def make_inputs(tmp: Path) -> dict[str, Path]:
    import numpy as np

    paths: dict[str, Path] = {}
    p = tmp / "header_refused.data"
    with p.open("w") as f:
        f.write("15000000 1 1\n")
        block = "0\n1\n" * 1_000_000
        for _ in range(15):  # 15 x 4 MB = 60 MB
            f.write(block)
    paths["data_header_refused"] = p

    p = tmp / "accepted.data"
    rng = np.random.default_rng(0)
    n, ni = 100_000, 50
    with p.open("w") as f:
        f.write(f"{n} {ni} 1\n")
        for _ in range(0, n, 10_000):
            x = rng.uniform(-1, 1, (10_000, ni)).round(4)
            y = (x.sum(axis=1) > 0).astype(int)
            f.write(
                "".join(
                    " ".join(map(str, r.tolist())) + f"\n{v}\n" for r, v in zip(x, y, strict=True)
                )
            )
    paths["data_accepted"] = p

    paths["npz_bomb"] = _npz(tmp / "bomb.npz", weights_shape=(2**27,), real=True)
    paths["npz_absurd_shape"] = _npz(tmp / "absurd.npz", weights_shape=(10**12,), real=False)

    p = tmp / "refused.net"
    p.write_text(_net_text([100_000, 100_000, 1], conns=False))
    paths["net_refused"] = p
    p = tmp / "accepted.net"
    p.write_text(_net_text([1000, 1500, 1], conns=True))
    paths["net_accepted"] = p
    return paths


def _npy_header(shape: tuple[int, ...], descr: str) -> bytes:
    from numpy.lib import format as npf

    buf = __import__("io").BytesIO()
    npf.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue()  # the magic string and the header


def _npz(path: Path, *, weights_shape: tuple[int, ...], real: bool) -> Path:
    """A native model archive for [2, 3, 1] whose weights member declares ``weights_shape``
    (deflated zeros of that size when ``real``, else the header alone)."""
    import numpy as np

    meta = json.dumps({"format": "neural.network", "version": 1, "shortcut": False}).encode()
    small = {
        "act_id": np.zeros(7, np.int32),
        "steepness": np.full(7, 0.5, np.float64),
        "layer_sizes": np.array([2, 3, 1], np.int64),
        "meta": np.frombuffer(meta, np.uint8),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("weights.npy", "w", force_zip64=True) as f:
            f.write(_npy_header(weights_shape, "<f8"))
            if real:
                chunk = bytes(8 * MIB)
                total = 8 * int(np.prod(weights_shape))
                for _ in range(total // len(chunk)):
                    f.write(chunk)
        for name, arr in small.items():
            with zf.open(f"{name}.npy", "w") as f:
                np.lib.format.write_array(f, arr, allow_pickle=False)
    return path


def _net_text(fann_sizes_real: list[int], *, conns: bool) -> str:
    """A layered FANN_FLO_2.1 file for the given real layer sizes; with ``conns`` every neuron
    lists its connections (weight 0), else the neurons and connections lines are empty."""
    sizes = [s + 1 for s in fann_sizes_real]
    lines = [
        "FANN_FLO_2.1",
        f"num_layers={len(sizes)}",
        "network_type=0",
        "layer_sizes=" + " ".join(map(str, sizes)),
        "scale_included=0",
    ]
    neurons: list[str] = []
    cons: list[str] = []
    start = 0
    for li, fs in enumerate(sizes):
        prev = sizes[li - 1] if li else 0
        for pos in range(fs):
            real = pos < fs - 1
            if li == 0 or not real or not conns:
                neurons.append("(0, 0, 0) ")
                continue
            neurons.append(f"({prev}, 5, 0.5) ")
            cons.extend(f"({src}, 0) " for src in range(start - prev, start))
        start += fs
    lines.append(
        "neurons (num_inputs, activation_function, activation_steepness)=" + "".join(neurons)
    )
    lines.append("connections (connected_to_neuron, weight)=" + "".join(cons))
    return "\n".join(lines) + "\n"


# -- the child: one case, one Engine ------------------------------------------------------------


def _rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def _hwm() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")


def _reset_hwm() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


async def _child(case: str, path: str | None) -> dict[str, Any]:
    import gc

    from swarm_core import Engine, EngineConfig

    small_data = str(Path(path).with_name("small.data")) if path else None
    async with Engine.open(EngineConfig(db=":memory:", cpu_workers=1)) as eng:
        swarm = await eng.create_swarm()

        async def measured(fn: Any) -> tuple[Any, float, float]:
            gc.collect()
            before = _rss()
            _reset_hwm()
            t0 = time.perf_counter()
            try:
                out = await fn()
            except Exception as exc:  # a refusal is the expected outcome of most cases
                out = exc
            seconds = time.perf_counter() - t0
            return out, (_hwm() - before) / MIB, seconds

        arrays = 0.0
        if case.startswith("data_"):
            Path(small_data).write_text("2 2 1\n0 0\n0\n1 1\n1\n")  # type: ignore[arg-type]
            await eng._load_data(small_data)
            out, growth, secs = await measured(lambda: eng._load_data(path))
            if not isinstance(out, Exception):
                arrays = (out.inputs.nbytes + out.outputs.nbytes) / MIB
                out = f"{len(out)} samples, dtype {out.inputs.dtype}"
        elif case.startswith("npz_"):
            import neural

            good = neural.Network.standard([2, 3, 1], seed=1).to_bytes()
            await eng.import_model(swarm.id, good)
            blob = Path(path).read_bytes()  # type: ignore[arg-type]
            out, growth, secs = await measured(lambda: eng.import_model(swarm.id, blob))
        elif case.startswith("net_"):
            import neural

            good = neural.Network.standard([2, 3, 1], seed=1)
            await eng.import_model(swarm.id, await _fann_text(good), format="fann")
            text = Path(path).read_text()  # type: ignore[arg-type]
            out, growth, secs = await measured(
                lambda: eng.import_model(swarm.id, text, format="fann")
            )
            if not isinstance(out, Exception):
                arrays = 1_501_501 * 4 / MIB  # the float32 weights
                out = f"imported {out.layers}"
        elif case == "train_4096x3":
            await eng.train(swarm.id, data=XOR, layers=[3], epochs=2, seed=1)
            out, growth, secs = await measured(
                lambda: eng.train(swarm.id, data=XOR, layers=[4096, 4096, 4096], epochs=1)
            )
        elif case == "cascade_refused":
            rows = {
                "inputs": [[i % 7, i % 3] for i in range(20_000)],
                "outputs": [[i % 2] for i in range(20_000)],
            }
            await eng.train(swarm.id, data=XOR, algorithm="cascade", epochs=1, seed=1)
            out, growth, secs = await measured(
                lambda: eng.train(
                    swarm.id, data=rows, algorithm="cascade", epochs=10_000, max_seconds=10
                )
            )
        elif case == "predict_wide":
            wide = {"inputs": [[0.0], [1.0]], "outputs": [[0.0] * 1000, [1.0] * 1000]}
            info = await eng.train(swarm.id, data=wide, layers=[2], epochs=1, seed=1)
            mid = info.result["model_id"]  # type: ignore[index]
            await eng.predict(mid, [[0.5]])
            rows = [[0.5]] * 20_000
            out, growth, secs = await measured(lambda: eng.predict(mid, rows))
            if not isinstance(out, Exception):
                arrays = 20_000 * 1000 * 4 / MIB
                out = f"{len(out['outputs'])} rows"
        else:
            raise SystemExit(f"unknown case {case}")
        if hasattr(out, "status"):  # a TaskInfo: failed tasks carry the refusal
            out = f"{out.status.value}: {out.error}"
    return {
        "case": case,
        "growth_mib": round(growth, 1),
        "seconds": round(secs, 3),
        "arrays_mib": round(arrays, 1),
        "outcome": str(out)[:300],
    }


async def _fann_text(net: Any) -> str:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "m.net"
        net.save_fann(p)
        return p.read_text()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--only", nargs="*", choices=CASES)
    ap.add_argument("--keep", help="directory for the generated inputs (default: a temp dir)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--path", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        import anyio

        print(json.dumps(anyio.run(_child, args.child, args.path)))
        return
    cases = args.only or list(CASES)
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(args.keep or td)
        tmp.mkdir(parents=True, exist_ok=True)
        paths = make_inputs(tmp)
        print(f"load average: {Path('/proc/loadavg').read_text().strip()}")
        print(
            f"{'case':<22}{'growth MiB':>11}{'arrays MiB':>11}{'x arrays':>9}{'seconds':>9}  outcome"
        )
        for case in cases:
            cmd = [sys.executable, __file__, "--child", case]
            if case in paths:
                cmd += ["--path", str(paths[case])]
            proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ})
            if proc.returncode != 0:
                print(f"{case:<22} crashed (rc {proc.returncode}): {proc.stderr.strip()[-300:]}")
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            ratio = f"{r['growth_mib'] / r['arrays_mib']:.2f}" if r["arrays_mib"] else "-"
            print(
                f"{case:<22}{r['growth_mib']:>11}{r['arrays_mib']:>11}{ratio:>9}"
                f"{r['seconds']:>9}  {r['outcome'][:160]}"
            )
        print(f"load average: {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    main()
