"""Run one memory case in a fresh interpreter holding an Engine, print JSON with the RSS growth
of the measured call (peak RSS during it - RSS before it; the kernel's peak mark is reset
first) and the error it ended with. Used by test_memory_limits.py."""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path
from typing import Any

import anyio

from swarm_core import Engine, EngineConfig

XOR = {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "outputs": [[0], [1], [1], [0]]}


def _status(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    raise RuntimeError(key)


async def main(case: str, arg: str) -> dict[str, Any]:
    # the data files live beside `arg`: that folder is the data root
    roots = [str(Path(arg).parent)]
    async with Engine.open(EngineConfig(db=":memory:", cpu_workers=1, data_roots=roots)) as eng:
        swarm = await eng.create_swarm()
        if case == "data":  # warm: imports and the reader's code path
            small = Path(arg).with_name("small.data")
            small.write_text("2 2 1\n0 0\n0\n1 1\n1\n")
            await eng._datasets.load_data(str(small))
            call = lambda: eng._datasets.load_data(arg)  # noqa: E731
        elif case in ("native", "fann"):
            import neural

            good = neural.Network.standard([2, 3, 1], seed=1)
            if case == "native":
                await eng.import_model(swarm.id, good.to_bytes())
                content: Any = Path(arg).read_bytes()
            else:
                content = Path(arg).read_text()
            call = lambda: eng.import_model(swarm.id, content, format=case)  # noqa: E731
        elif case == "train":
            await eng.train(swarm.id, data=XOR, layers=[3], epochs=2, seed=1)
            call = lambda: eng.train(swarm.id, data=XOR, **json.loads(arg))  # noqa: E731
        elif case == "predict":
            wide = {"inputs": [[0.0], [1.0]], "outputs": [[0.0] * 1000, [1.0] * 1000]}
            info = await eng.train(swarm.id, data=wide, layers=[2], epochs=1, seed=1)
            mid = info.result["model_id"]  # type: ignore[index]
            await eng.predict(mid, [[0.5]])
            rows = [[0.5]] * int(arg)
            call = lambda: eng.predict(mid, rows)  # noqa: E731
        else:
            raise SystemExit(f"unknown case {case}")
        gc.collect()
        before = _status("VmRSS:")
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        error = None
        try:
            out = await call()
            if getattr(out, "error", None):
                error = out.error
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            out = None
        growth = _status("VmHWM:") - before
        arrays = 0
        if out is not None and hasattr(out, "inputs"):
            arrays = out.inputs.nbytes + out.outputs.nbytes
    return {"growth": growth, "error": error, "arrays": arrays}


if __name__ == "__main__":
    print(json.dumps(anyio.run(main, sys.argv[1], sys.argv[2])))
