"""Crash and resume: SIGKILL a process while it trains (after a checkpoint is committed); the
restarted engine finds the task interrupted with its checkpoint and resumes it to the end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from swarm_core import EngineConfig, TaskStatus
from swarm_core._engine import Engine

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
BUDGET = 3000
KILL_AFTER_EPOCHS = 200

CHILD = f"""
import sys, anyio
from swarm_core import Engine, EngineConfig
from tests.swarm_core.test_checkpoint import DATA

async def main(db):
    async with Engine.open(EngineConfig(db=db, checkpoint_seconds=0.05)) as eng:
        swarm = await eng.create_swarm("crash")
        payload = {{"data": DATA, "layers": [16], "epochs": {BUDGET}, "seed": 7}}
        task = await eng.submit_task(swarm.id, "train", payload)
        while True:
            info = await eng.checkpoint_info(task.id)
            if info is not None and info["epochs_done"] >= {KILL_AFTER_EPOCHS}:
                print("CHECKPOINT", task.id, info["epochs_done"], flush=True)
            if (await eng.get_task(task.id)).status.is_final:
                print("FINISHED", task.id, flush=True)
                return
            await anyio.sleep(0.01)

anyio.run(main, sys.argv[1])
"""


def train_and_kill(db: Path) -> tuple[str, int]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db)],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line, parts = "", []
    try:
        assert child.stdout is not None
        line = child.stdout.readline()  # blocks until the child reports (or dies)
        parts = line.split()
        if parts[:1] == ["CHECKPOINT"]:
            os.kill(child.pid, signal.SIGKILL)
    finally:
        if child.poll() is None and parts[:1] != ["CHECKPOINT"]:
            child.kill()
        child.wait(timeout=30)
    err = child.stderr.read() if child.stderr else ""
    assert parts[:1] == ["CHECKPOINT"], f"child said {line!r}; stderr: {err[-2000:]}"
    assert child.returncode == -signal.SIGKILL, f"child exited {child.returncode}: {err[-2000:]}"
    return parts[1], int(parts[2])


async def test_sigkill_during_training_then_resume(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    task_id, acknowledged = train_and_kill(db)
    async with Engine.open(EngineConfig(db=str(db))) as eng:
        assert eng.integrity_check() == "ok"
        info = await eng.get_task(task_id)
        assert info.status is TaskStatus.INTERRUPTED and "running" in (info.error or "")
        ckpt = await eng.checkpoint_info(task_id)
        # committed checkpoints survive; later ones may have landed before the kill
        assert ckpt is not None and acknowledged <= ckpt["epochs_done"] < BUDGET
        await eng.retry_task(task_id, resume=True)
        done = await eng.wait_task(task_id, timeout=60)
        assert done.status is TaskStatus.COMPLETED, done.error
        res = done.result or {}
        assert res["resumed_from_epoch"] == ckpt["epochs_done"]
        assert res["epochs_run"] == BUDGET
        hist = res["history"]
        assert hist["epochs_total"] == BUDGET and hist["epoch"][-1] == BUDGET
        assert res["train_mse"] <= ckpt["last_mse"]
        assert await eng.checkpoint_info(task_id) is None
        events = await eng.events(kind="task_retried")
        assert events[-1].data["resume_from_epoch"] == ckpt["epochs_done"]
