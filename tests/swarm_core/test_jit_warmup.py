"""The background JIT warm-up: a niced child fills numba's cache with what a default training
needs, so a later process loads machine code instead of compiling; the server starts and stops
that child with its engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import psutil
import pytest

from swarm_core import start_jit_warmup

# A fresh process that trains with the MCP `train` tool's defaults, then reports numba's cache
# statistics of every training kernel it used: misses are specialisations it had to compile.
PROBE = """
import json, anyio
import neural
from swarm_core import Engine, EngineConfig

async def main():
    async with Engine.open(EngineConfig(db=":memory:", checkpoint_seconds=0)) as e:
        s = await e.create_swarm()
        a = await e.spawn_agent(s.id, "neural-processor")
        x = [[i / 40.0, (i % 7) / 7.0, (i % 3) / 3.0] for i in range(40)]
        y = [[float(r[0] + r[1] > 0.9)] for r in x]
        info = await e.train(s.id, data={"inputs": x, "outputs": y}, agent_id=a.id,
                             layers=[16], desired_error=0.001, epochs=5)
        assert info.status.value == "completed", info.error
        return info.result["compile_seconds"]

compile_seconds = anyio.run(main)
hits = misses = 0
for v in vars(neural._train_kernels).values():
    stats = getattr(v, "stats", None)
    if stats is not None and hasattr(stats, "cache_hits"):
        hits += sum(stats.cache_hits.values())
        misses += sum(stats.cache_misses.values())
print(json.dumps({"hits": hits, "misses": misses, "compile_seconds": compile_seconds}))
"""


def _probe(env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_warmup_child_fills_the_cache_a_default_training_loads(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "warm"))
    warmup = start_jit_warmup(["rprop"])
    assert psutil.Process(warmup.pid).nice() == 19
    assert warmup.wait(timeout=600)
    assert warmup.returncode == 0
    warm = _probe(dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "warm")))
    # without the warm-up every one of these would be a miss (a compile) on the empty cache
    assert warm["misses"] == 0 and warm["hits"] > 0, warm


def test_unknown_jobs_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown warm-up jobs"):
        start_jit_warmup(["adam"])


def _handshake(proc: subprocess.Popen[bytes]) -> None:
    assert proc.stdin is not None and proc.stdout is not None
    msgs = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        # opens the engine, which starts the warm-up
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
         "params": {"name": "swarm_list", "arguments": {}}},
    ]  # fmt: skip
    for m in msgs:
        proc.stdin.write((json.dumps(m) + "\n").encode())
    proc.stdin.flush()
    answered = set()
    while answered != {1, 2}:
        line = proc.stdout.readline()
        assert line, "server closed stdout"
        answered.add(json.loads(line).get("id"))


def _server_info(proc: subprocess.Popen[bytes]) -> dict:
    assert proc.stdin is not None and proc.stdout is not None
    call = {"jsonrpc": "2.0", "id": 9, "method": "tools/call",
            "params": {"name": "server_info", "arguments": {}}}  # fmt: skip
    proc.stdin.write((json.dumps(call) + "\n").encode())
    proc.stdin.flush()
    while True:
        msg = json.loads(proc.stdout.readline())
        if msg.get("id") == 9:
            return msg["result"]["structuredContent"]


def _warmup_children(pid: int) -> list[psutil.Process]:
    found = []
    for child in psutil.Process(pid).children(recursive=True):
        try:
            if "swarm_core._jit_warmup" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


@pytest.mark.parametrize("enabled", [True, False])
def test_server_runs_the_warmup_beside_its_engine(tmp_path, enabled) -> None:
    env = dict(os.environ, RUV_SWARM_DB=str(tmp_path / "s.db"), NUMBA_CACHE_DIR=str(tmp_path))
    env["RUV_SWARM_JIT_WARMUP"] = "1"
    args = [sys.executable, "-m", "ruv_swarm_mcp"] + ([] if enabled else ["--no-jit-warmup"])
    proc = subprocess.Popen(
        args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
    )
    try:
        _handshake(proc)
        children = _warmup_children(proc.pid)
        state = _server_info(proc)["jit_warmup"]
        if not enabled:
            assert children == [] and state == "off"
            return
        # an empty cache: compiling every job takes far longer than this handshake
        assert state == "running"
        assert len(children) == 1
        child = children[0]
        assert child.nice() == 19
        assert proc.stdin is not None
        proc.stdin.close()  # EOF: the server closes its engine and ends the child with it
        assert proc.wait(timeout=60) == 0
        _gone, alive = psutil.wait_procs([child], timeout=30)
        assert alive == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
