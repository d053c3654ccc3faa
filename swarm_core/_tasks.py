"""Live task bookkeeping: the state machine check, a running task's handles, and routing queues.

A task waits in exactly one priority queue until an agent can take it: the queue of the agent it
is bound to, or the queue of (swarm, kind) served by every agent whose type handles that kind.
Higher priority first, then submission order. Cancelled entries are skipped lazily.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio

from swarm_core._exceptions import InvalidStateError
from swarm_core._types import TASK_TRANSITIONS, TaskInfo, TaskStatus

ProgressCallback = Callable[[float, float | None, str | None], Awaitable[None]]
QueueKey = tuple[str, ...]


def check_transition(
    task_id: str, current: TaskStatus, requested: TaskStatus, why: str = ""
) -> None:
    if requested not in TASK_TRANSITIONS[current]:
        raise InvalidStateError(f"task {task_id}", current.value, requested.value, why)


@dataclass(eq=False)
class TaskRun:
    """A task that is not final yet (or was just finalised and is being committed)."""

    info: TaskInfo
    seq: int
    bound_agent: str | None = None
    progress_cb: ProgressCallback | None = None
    cancel_flag: bool = False  # cancel or timeout requested (mirrored into cancel_event)
    finished: bool = False  # final state committed
    _cancel_event: threading.Event | None = None
    _done: anyio.Event | None = None
    scope: anyio.CancelScope | None = None
    deps_left: set[str] = field(default_factory=set)
    children: set[str] = field(default_factory=set)
    deadline: float | None = None  # anyio clock
    limit_name: str = ""
    result_json: str | None = (
        None  # the result as checked JSON text, handed to the writer  # which limit set the deadline (named in the timeout error)
    )
    cancel_requested: bool = False
    interrupt_requested: bool = False
    timed_out: bool = False
    external: anyio.Event | None = None  # set when the client reports an external result
    external_outcome: tuple[dict[str, Any] | None, str | None] | None = None
    t0: float = 0.0  # perf_counter at start
    queue_key: QueueKey | None = None
    queue_token: int = 0
    counted_in_queue: bool = False
    # training checkpoints: resume asked for by retry_task, the checkpoint found for it, and
    # whether a checkpoint row may exist for this task (deleted when it completes or cancels)
    resume_requested: bool = False
    checkpoint: Any = None  # swarm_core._checkpoint.Checkpoint
    checkpointed: bool = False
    # where this run (and the children it dispatches) may read user files besides the engine's
    # configured roots: fixed paths or a provider called on first use (see _paths.py); kept in
    # memory only, so a retry or a restart asks whoever retries
    data_roots: Any = None
    # what the task's row keeps as its result instead of the full one (fan-out children)
    stored_result: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    # the events are created on first use: most tasks are never waited on by id or cancelled,
    # and a threading.Event (a Condition and a lock) per task is measurable at 2,000 tasks/s

    @property
    def cancel_event(self) -> threading.Event:
        if self._cancel_event is None:
            self._cancel_event = threading.Event()
            if self.cancel_flag:
                self._cancel_event.set()
        return self._cancel_event

    def signal_cancel(self) -> None:
        self.cancel_flag = True
        if self._cancel_event is not None:
            self._cancel_event.set()

    async def wait_done(self) -> None:
        if self.finished:
            return
        if self._done is None:
            self._done = anyio.Event()
        await self._done.wait()

    def mark_done(self) -> None:
        self.finished = True
        if self._done is not None:
            self._done.set()

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def status(self) -> TaskStatus:
        return self.info.status


class RoutingQueues:
    """Priority queues of runnable tasks, keyed by who may take them."""

    def __init__(self) -> None:
        self._heaps: dict[QueueKey, list[tuple[int, int, int, TaskRun]]] = {}
        self._pushes = 0
        self.size = 0

    def push(self, key: QueueKey, run: TaskRun) -> None:
        self._pushes += 1
        run.queue_key = key
        run.queue_token = self._pushes
        entry = (-run.info.priority, run.seq, self._pushes, run)
        heapq.heappush(self._heaps.setdefault(key, []), entry)
        self.size += 1

    @staticmethod
    def _stale(entry: tuple[int, int, int, TaskRun]) -> bool:
        run = entry[3]
        return run.queue_key is None or run.queue_token != entry[2]

    def _clean(self, key: QueueKey) -> list[tuple[int, int, int, TaskRun]] | None:
        heap = self._heaps.get(key)
        while heap and self._stale(heap[0]):
            heapq.heappop(heap)
        if not heap:
            self._heaps.pop(key, None)
            return None
        return heap

    def pop_best(self, keys: list[QueueKey]) -> TaskRun | None:
        """Pop the best-ranked pending task across `keys` (None if all are empty)."""
        best_key: QueueKey | None = None
        best: tuple[int, int] | None = None
        for key in keys:
            heap = self._clean(key)
            if heap is None:
                continue
            rank = (heap[0][0], heap[0][1])
            if best is None or rank < best:
                best, best_key = rank, key
        if best_key is None:
            return None
        run = heapq.heappop(self._heaps[best_key])[3]
        if not self._heaps[best_key]:
            del self._heaps[best_key]
        run.queue_key = None
        self.size -= 1
        return run

    def discard(self, run: TaskRun) -> None:
        """Forget a queued task (it is skipped when it reaches the top)."""
        if run.queue_key is not None:
            run.queue_key = None
            self.size -= 1

    def keys(self) -> list[QueueKey]:
        return list(self._heaps)

    def drain(self, key: QueueKey) -> list[TaskRun]:
        out = []
        while (run := self.pop_best([key])) is not None:
            out.append(run)
        return out
