"""`monitor`: poll the engine's agents, tasks and event log and show what changes.

Everything is read through the public Engine API (`events`, `query_agents`, `list_tasks`), which
reads the store: once several processes share a store, the work of whichever process owns a
swarm shows up here without a change to this module.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio

if TYPE_CHECKING:
    from swarm_core import Engine

RECENT_EVENTS = 12
SHOWN_AGENTS = 50
SHOWN_TASKS = 10


@dataclass
class View:
    """What the monitor knows after a poll."""

    started: float
    agents: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    recent: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=RECENT_EVENTS))
    new: list[dict[str, Any]] = field(default_factory=list)  # since the previous poll
    seen: list[dict[str, Any]] = field(default_factory=list)  # since the monitor started
    dropped: int = 0
    last_event_id: int = 0
    polls: int = 0

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


async def _new_events(engine: Engine, view: View, swarm_id: str | None) -> list[dict[str, Any]]:
    page = engine.config.max_query_limit
    out: list[dict[str, Any]] = []
    while True:
        batch = await engine.events(since_id=view.last_event_id, limit=page, swarm_id=swarm_id)
        for e in batch:
            out.append(e.model_dump(mode="json"))
            view.last_event_id = e.id
        if len(batch) < page:
            return out


async def poll(engine: Engine, view: View, swarm_id: str | None, max_events: int) -> None:
    view.new = await _new_events(engine, view, swarm_id)
    view.recent.extend(view.new)
    room = max_events - len(view.seen)
    view.seen.extend(view.new[: max(room, 0)])
    view.dropped += max(len(view.new) - max(room, 0), 0)
    view.agents = await engine.query_agents_json(swarm_id=swarm_id, limit=SHOWN_AGENTS)
    view.tasks = [
        t.model_dump(mode="json", exclude={"payload", "result"})
        for t in await engine.list_tasks(swarm_id=swarm_id, limit=SHOWN_TASKS)
    ]
    view.polls += 1


async def watch(
    engine: Engine,
    *,
    swarm_id: str | None,
    duration: float | None,
    interval: float,
    max_events: int,
    on_poll: Callable[[View], None],
    stop: anyio.Event | None = None,
) -> View:
    """Poll every `interval` seconds for `duration` (None: until `stop` is set). The event log
    is read up to its end first, so only what happens from now on counts as new; the last few
    earlier events are kept for context."""
    view = View(started=time.monotonic())
    earlier = await _new_events(engine, view, swarm_id)
    view.recent.extend(earlier[-RECENT_EVENTS:])
    deadline = None if duration is None else view.started + duration
    while True:
        await poll(engine, view, swarm_id, max_events)
        on_poll(view)
        now = time.monotonic()
        if (deadline is not None and now >= deadline) or (stop is not None and stop.is_set()):
            return view
        wait = interval if deadline is None else min(interval, deadline - now)
        with anyio.move_on_after(max(wait, 0.0)):
            if stop is not None:
                await stop.wait()
            else:
                await anyio.sleep(wait)


def dashboard(view: View, title: str) -> Any:
    from rich.console import Group
    from rich.text import Text

    from ruv_swarm_mcp._terminal._views import agents_table, events_table, tasks_table

    busy = sum(1 for a in view.agents if a["status"] == "busy")
    head = Text(
        f"{title}   {view.elapsed:5.1f}s   agents {len(view.agents)} ({busy} busy)   "
        f"events seen {len(view.seen) + view.dropped}",
        style="bold",
    )
    return Group(
        head,
        agents_table(view.agents),
        tasks_table(view.tasks, title="latest tasks"),
        events_table(list(view.recent), title="latest events"),
    )
