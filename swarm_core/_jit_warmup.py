"""Compile the numba kernels a default training needs before anyone asks for one.

A fresh install has an empty numba cache, so the first `train` used to wait ~7.6 s for JIT
compilation. The server instead starts :func:`start_jit_warmup` when it opens its engine: a
*separate, low-priority process* (`python -m swarm_core._jit_warmup`) runs small trainings,
predictions and evaluations through an in-memory engine, which compiles each kernel
specialisation and writes it to numba's on-disk cache (``cache=True``, see
``neural/_config.py``). The server's own first training then only loads machine code from that
cache.

Why a process and not a thread: numba's compiler is mostly Python (type inference, lowering)
and holds the GIL for seconds, which would delay every answer the server gives meanwhile; a
niced child competes only for a core, and the server keeps its idle memory (numpy and numba
are never imported into it by the warm-up). Why the engine path and not a list of kernels:
whatever the handlers call (scalers, metrics, forward passes, the training loop of each
algorithm) is compiled with exactly the argument types a real call uses, without this module
knowing the kernels' names.

The child is bounded (``max_seconds``) and ends by itself; the handle stops it early when the
server closes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import Final

log = logging.getLogger("swarm_core")

#: The jobs the child runs, in order: the default training first, so it is ready soonest.
DEFAULT_JOBS: Final[tuple[str, ...]] = (
    "rprop",
    "quickprop",
    "batch",
    "incremental",
    "sarprop",
    "cascade",
)

_BELOW_NORMAL_PRIORITY_CLASS: Final[int] = 0x00004000  # Windows creationflags
_NICENESS: Final[int] = 19  # POSIX: the lowest priority, so the server always wins a core


class JitWarmup:
    """A running (or finished) warm-up child; :meth:`stop` ends it if it still runs."""

    def __init__(self, proc: subprocess.Popen[bytes], started: float) -> None:
        self._proc = proc
        self._started = started
        self.finished = threading.Event()
        self.returncode: int | None = None
        self.seconds: float | None = None
        self._watcher = threading.Thread(target=self._watch, name="jit-warmup", daemon=True)
        self._watcher.start()

    @property
    def pid(self) -> int:
        return self._proc.pid

    def _watch(self) -> None:
        self.returncode = self._proc.wait()
        self.seconds = time.perf_counter() - self._started
        if self.returncode == 0:
            log.info("numba kernels compiled in the background in %.1f s", self.seconds)
        elif self.returncode > 0:
            log.warning(
                "background JIT warm-up exited with %d after %.1f s; the first training "
                "compiles its kernels itself",
                self.returncode,
                self.seconds,
            )
        self.finished.set()

    def wait(self, timeout: float | None = None) -> bool:
        """True once the child has ended (within `timeout` seconds)."""
        return self.finished.wait(timeout)

    def stop(self) -> None:
        """End the child if it is still compiling (the server is closing)."""
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()


def start_jit_warmup(
    jobs: Sequence[str] = DEFAULT_JOBS, *, max_seconds: float = 300.0
) -> JitWarmup:
    """Start the low-priority warm-up child and return at once.

    Its output goes nowhere: the server's stdout is the MCP stdio channel and must stay clean.
    """
    unknown = [j for j in jobs if j not in DEFAULT_JOBS]
    if unknown:
        raise ValueError(f"unknown warm-up jobs {unknown}; choose from {list(DEFAULT_JOBS)}")
    cmd = [
        sys.executable,
        "-m",
        "swarm_core._jit_warmup",
        "--max-seconds",
        str(max_seconds),
        *jobs,
    ]
    kwargs: dict[str, object] = {}
    if os.name == "nt":
        kwargs["creationflags"] = _BELOW_NORMAL_PRIORITY_CLASS
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=True,
        **kwargs,  # type: ignore[call-overload]
    )
    setpriority = getattr(os, "setpriority", None)
    if setpriority is not None:  # at once, not when the child gets round to it
        with contextlib.suppress(OSError):
            setpriority(os.PRIO_PROCESS, proc.pid, _NICENESS)
    return JitWarmup(proc, started)


async def _run_jobs(jobs: Sequence[str]) -> None:
    import numpy as np

    from swarm_core._config import make_config
    from swarm_core._engine import Engine

    rng = np.random.default_rng(0)
    x = rng.random((64, 4))
    # a class column (classifier path: thresholds, confusion matrix) and a raw-valued column
    # (regressor path: the output scaler)
    classes = (x[:, :1] + x[:, 1:2] > 1.0).astype(float)
    values = 100.0 + 50.0 * x[:, 2:3]
    datasets = (
        {"inputs": x.tolist(), "outputs": classes.tolist()},
        {"inputs": x.tolist(), "outputs": values.tolist()},
    )
    config = make_config(db=":memory:", checkpoint_seconds=0)
    async with Engine.open(config) as engine:
        swarm = await engine.create_swarm(name="jit-warmup")
        agent = await engine.spawn_agent(swarm.id, "neural-processor")
        for algorithm in jobs:
            for data in datasets:
                info = await engine.train(
                    swarm.id,
                    data=data,
                    agent_id=agent.id,
                    algorithm=algorithm,
                    layers=[4] if algorithm != "cascade" else None,
                    epochs=3 if algorithm != "cascade" else 2,
                )
                model_id = (info.result or {}).get("model_id")
                if model_id:
                    await engine.predict(model_id, data["inputs"][:3])
                    await engine.evaluate(model_id, data)


def _lower_priority() -> None:
    nice = getattr(os, "nice", None)
    if nice is not None:  # started by hand, or the parent could not renice it
        try:
            current = nice(0)
            if current < _NICENESS:
                nice(_NICENESS - current)
        except OSError:
            pass


async def _bounded(jobs: Sequence[str], max_seconds: float) -> bool:
    import anyio

    with anyio.move_on_after(max_seconds) as scope:
        await _run_jobs(jobs)
    return not scope.cancelled_caught


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    import anyio

    parser = argparse.ArgumentParser(prog="python -m swarm_core._jit_warmup")
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument("jobs", nargs="*", default=list(DEFAULT_JOBS), choices=DEFAULT_JOBS)
    args = parser.parse_args(argv)
    _lower_priority()
    return 0 if anyio.run(_bounded, args.jobs, args.max_seconds) else 3


if __name__ == "__main__":
    raise SystemExit(main())
