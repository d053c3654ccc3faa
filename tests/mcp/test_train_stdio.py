"""Training through the real stdio transport: progress, cancellation, logging level, resource
subscriptions - the features a chat client sees while a model trains."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

import anyio
import mcp_types as t
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.shared.exceptions import MCPDeprecationWarning

from tests.mcp.conftest import server_env

DATA_ROOT = str(Path(__file__).resolve().parents[2] / "ruv_swarm_mcp" / "data")
DATA = str(Path(DATA_ROOT) / "diabetes.train")


def _params(tmp_path) -> StdioServerParameters:
    args = ["-m", "ruv_swarm_mcp", "--data-root", DATA_ROOT]
    return StdioServerParameters(command=sys.executable, args=args, env=server_env(tmp_path))


class Inbox:
    def __init__(self) -> None:
        self.logs: list[t.LoggingMessageNotificationParams] = []
        self.updated: list[str] = []

    async def on_message(self, message: Any) -> None:
        if isinstance(message, t.ResourceUpdatedNotification):
            self.updated.append(str(message.params.uri))

    async def on_log(self, params: t.LoggingMessageNotificationParams) -> None:
        self.logs.append(params)


async def _session(tmp_path, inbox: Inbox, body: Any) -> Any:
    with anyio.fail_after(90), warnings.catch_warnings():
        warnings.simplefilter("ignore", MCPDeprecationWarning)
        async with (
            stdio_client(_params(tmp_path)) as (read, write),
            ClientSession(
                read, write, message_handler=inbox.on_message, logging_callback=inbox.on_log
            ) as session,
        ):
            await session.initialize()
            return await body(session)


def _structured(result: t.CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content[0].text  # type: ignore[union-attr]
    assert result.structured_content is not None
    return result.structured_content


def test_progress_logging_level_and_resource_updates(tmp_path) -> None:
    inbox = Inbox()
    progress: list[tuple[float, float | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total))

    async def body(session: ClientSession) -> dict[str, Any]:
        _structured(await session.call_tool("swarm_init", {}))
        await session.subscribe_resource("swarm://status")
        await session.set_logging_level("info")
        args = {"data": DATA, "layers": [16], "epochs": 3000, "desired_error": 0.0, "seed": 1}
        trained = _structured(await session.call_tool("train", args, progress_callback=on_progress))
        logs_at_info = len(inbox.logs)
        await session.set_logging_level("error")
        args["epochs"] = 20
        _structured(await session.call_tool("train", args))
        assert len(inbox.logs) == logs_at_info, "info messages sent below the requested level"
        await session.unsubscribe_resource("swarm://status")
        seen = len(inbox.updated)
        _structured(await session.call_tool("train", args))
        await anyio.sleep(0.3)
        assert len(inbox.updated) == seen, "updates sent after unsubscribe"
        return trained

    trained = anyio.run(_session, tmp_path, inbox, body)
    assert trained["status"] == "completed" and trained["epochs_run"] == 3000
    history = trained["history"]
    assert len(history["mse"]) == len(history["epoch"]) == min(history["points"], 2000)
    assert history["epoch"][-1] == 3000 and trained["final_mse"] == history["mse"][-1]
    assert len(progress) >= 2, progress
    values = [p for p, _ in progress]
    assert values == sorted(values) and values[-1] == 3000.0
    assert all(total == 3000.0 for _, total in progress)
    assert any(log.level == "info" and "training" in str(log.data) for log in inbox.logs)
    assert "swarm://status" in inbox.updated


def test_cancelling_the_call_stops_the_training_within_an_epoch(tmp_path) -> None:
    inbox = Inbox()
    epochs = 100_000

    async def body(session: ClientSession) -> dict[str, Any]:
        _structured(await session.call_tool("swarm_init", {}))
        started = anyio.Event()

        async def on_progress(value: float, total: float | None, message: str | None) -> None:
            started.set()

        async def train() -> None:
            args = {"data": DATA, "layers": [16], "epochs": epochs, "desired_error": 0.0}
            await session.call_tool("train", args, progress_callback=on_progress)

        async with anyio.create_task_group() as tg:
            tg.start_soon(train)
            await started.wait()
            tg.cancel_scope.cancel()  # the SDK client sends notifications/cancelled
        for _ in range(200):
            events = _structured(await session.call_tool("events", {"limit": 1000}))["events"]
            ids = {
                e["subject_id"]
                for e in events
                if e["subject_id"] and e["subject_id"].startswith("task-")
            }
            tasks = [
                _structured(await session.call_tool("task_status", {"task_id": i})) for i in ids
            ]
            train_tasks = [x for x in tasks if x["kind"] == "train"]
            if train_tasks and train_tasks[0]["done"]:
                return train_tasks[0]
            await anyio.sleep(0.05)
        raise AssertionError("the training did not stop")

    task = anyio.run(_session, tmp_path, inbox, body)
    assert task["status"] == "cancelled"
    assert task["progress"] < 1.0
    assert task["duration_ms"] < 60_000


def test_sigterm_during_training_marks_the_task_interrupted(tmp_path) -> None:
    import json
    import select
    import signal
    import subprocess
    import time

    from tests.mcp.test_protocol_stdio import _initialize, _read_until, _rpc

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "ruv_swarm_mcp", "--data-root", DATA_ROOT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=server_env(tmp_path),
            bufsize=0,  # unbuffered reads: select() below then sees every line still unread
        )

    def call(id_: int, name: str, args: dict[str, Any], token: str | None = None) -> bytes:
        params: dict[str, Any] = {"name": name, "arguments": args}
        if token:
            params["_meta"] = {"progressToken": token}
        return _rpc(id_, "tools/call", params)

    proc = start()
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(_initialize() + _rpc(None, "notifications/initialized"))
        proc.stdin.write(call(2, "swarm_init", {}))
        proc.stdin.flush()
        _read_until(proc, {1, 2})
        args = {"data": DATA, "layers": [16], "epochs": 100_000, "desired_error": 0.0}
        proc.stdin.write(call(3, "train", args, token="t"))
        proc.stdin.flush()
        deadline = time.monotonic() + 60
        while True:  # wait until the training reports progress
            ready, _, _ = select.select(
                [proc.stdout], [], [], max(0.0, deadline - time.monotonic())
            )
            assert ready, "no progress notification within 60 s"
            message = json.loads(proc.stdout.readline())
            assert message.get("id") != 3, f"the training answered before any progress: {message}"
            if message.get("method") == "notifications/progress":
                break
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()

    proc = start()
    assert proc.stdin is not None
    try:
        proc.stdin.write(_initialize() + _rpc(None, "notifications/initialized"))
        proc.stdin.write(call(2, "events", {"kind": "task_submitted"}))
        proc.stdin.flush()
        by_id = {m["id"]: m for m in _read_until(proc, {1, 2}) if "id" in m}
        task_id = by_id[2]["result"]["structuredContent"]["events"][0]["subject_id"]
        proc.stdin.write(call(3, "task_status", {"task_id": task_id}))
        proc.stdin.flush()
        by_id = {m["id"]: m for m in _read_until(proc, {3}) if "id" in m}
        task = by_id[3]["result"]["structuredContent"]
        assert task["kind"] == "train" and task["status"] == "interrupted"
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
