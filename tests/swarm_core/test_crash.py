"""Crash test: SIGKILL a process while it writes and trains; every write it acknowledged is there
after a restart, the database passes `PRAGMA integrity_check`, the training task is interrupted."""

from __future__ import annotations

import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from swarm_core import EngineConfig, NotFoundError, TaskStatus
from swarm_core._engine import Engine

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
ACKS_BEFORE_KILL = 60


def run_and_kill(db: Path) -> tuple[list[list[str]], str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.swarm_core._crash_child", str(db)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    acks: list[list[str]] = []
    training = ""
    deadline = time.monotonic() + 90
    killed = False
    try:
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                break
            parts = line.split()
            if parts[:1] == ["TRAINING"] and len(parts) == 2:
                training = parts[1]
            elif parts[:1] == ["ACK"] and len(parts) == 3:
                acks.append(parts[1:])
            if not killed and training and sum(a[0] == "memory" for a in acks) >= ACKS_BEFORE_KILL:
                os.kill(child.pid, signal.SIGKILL)  # mid-stream: writes are in flight
                killed = True
    finally:
        if child.poll() is None and not killed:
            child.kill()
        child.wait(timeout=30)
        reader.join(timeout=30)
    # lines printed before it died were acknowledged too (drained above until EOF)
    err = child.stderr.read() if child.stderr else ""
    assert killed, (
        f"child never got far enough: {training=} {len(acks)} acks; stderr: {err[-2000:]}"
    )
    assert child.returncode == -signal.SIGKILL, f"child exited {child.returncode}: {err[-2000:]}"
    return acks, training


async def test_sigkill_loses_no_acknowledged_write(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    acks, training_task = run_and_kill(db)
    kinds = {k for k, _ in acks}
    assert {"swarm", "task", "agent", "memory", "doc"} <= kinds
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()
    async with Engine.open(EngineConfig(db=str(db))) as eng:
        assert eng.integrity_check() == "ok"
        assert eng.restored["interrupted_tasks"] >= 1
        missing = []
        for kind, ident in acks:
            try:
                if kind == "swarm":
                    swarm = await eng.get_swarm(ident)
                elif kind == "agent":
                    await eng.get_agent(ident)
                elif kind == "task":
                    await eng.get_task(ident)
                elif kind == "memory":
                    await eng.memory_get("crash", ident)
                elif kind == "doc":
                    assert any(
                        h.doc_id == ident
                        for h in await eng.knowledge_search(swarm.id, "number", limit=1000)
                    )
            except (NotFoundError, AssertionError):
                missing.append((kind, ident))
        assert not missing, f"{len(missing)} acknowledged writes lost: {missing[:5]}"
        task = await eng.get_task(training_task)
        assert task.status is TaskStatus.INTERRUPTED
        assert "running" in (task.error or "")
        assert task.started_at is not None
        kinds_logged = {e.kind for e in await eng.events(kind="task_interrupted")}
        assert kinds_logged == {"task_interrupted"}
