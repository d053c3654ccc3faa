"""`monitor` while work happens. Until processes share a store, the only process that can work
on a store is the one that has it open, so this drives the monitor's own loop on an engine
while the same engine trains and spawns (the cross-process case is in test_beside_server)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
from rich.console import Console

from ruv_swarm_mcp._terminal._monitor import View, dashboard, watch
from swarm_core import Engine, EngineConfig

XOR = {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "outputs": [[0], [1], [1], [0]]}


def test_monitor_sees_agents_tasks_and_events_as_they_happen(tmp_path: Path) -> None:
    frames: list[str] = []
    polled: list[anyio.Event] = []

    def on_poll(view: View) -> None:
        console = Console(record=True, width=160)
        console.print(dashboard(view, "test"))
        frames.append(console.export_text())
        polled[0].set()

    async def go() -> tuple[View, dict[str, Any]]:
        async with Engine.open(EngineConfig(db=str(tmp_path / "m.db"))) as engine:
            swarm = await engine.create_swarm(name="watched")
            before = await engine.spawn_agent(swarm.id, "researcher", name="early")
            stop = anyio.Event()
            polled.append(anyio.Event())
            done: dict[str, Any] = {}

            async def work() -> None:
                await polled[0].wait()  # the monitor has read the log's end: what follows is news
                agent = await engine.spawn_agent(swarm.id, "neural-processor", name="worker")
                info = await engine.train(swarm.id, data=XOR, layers=[3], epochs=3000, seed=1)
                done.update(agent=agent.id, task=info.id, status=info.status.value, early=before.id)
                stop.set()

            async with anyio.create_task_group() as tg:
                view_box: list[View] = []

                async def monitor() -> None:
                    view_box.append(
                        await watch(
                            engine,
                            swarm_id=None,
                            duration=None,
                            interval=0.05,
                            max_events=1000,
                            on_poll=on_poll,
                            stop=stop,
                        )
                    )

                tg.start_soon(monitor)
                tg.start_soon(work)
            return view_box[0], done

    async def bounded() -> tuple[View, dict[str, Any]]:
        with anyio.fail_after(300):
            return await go()

    view, done = anyio.run(bounded)
    assert done["status"] == "completed"
    kinds = {(e["kind"], e["subject_id"]) for e in view.seen}
    assert ("agent_spawned", done["agent"]) in kinds
    assert ("task_submitted", done["task"]) in kinds and ("task_completed", done["task"]) in kinds
    # what happened before the monitor started is context, not news
    assert ("agent_spawned", done["early"]) not in kinds
    assert view.polls >= 2 and len(frames) == view.polls
    assert done["agent"] in frames[-1] and "latest events" in frames[-1]
    assert any(done["task"] in f for f in frames)
