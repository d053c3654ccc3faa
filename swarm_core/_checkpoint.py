"""Training checkpoints: what a train task saved so far, and the hand-off from the training
thread to the event loop.

The training thread calls `CheckpointSlot.offer` after every epoch; at most every
`interval` seconds (and always when forced, e.g. when the task is being stopped) it serialises
the network (`net.to_bytes()`: weights, activations, scaler) and the optimiser state of the
same epoch (`neural.TrainState.to_bytes()`: RPROP/SARPROP steps, previous slopes, epoch
counter, RNG state), copies the history, then leaves the snapshot in the slot. The event loop
takes it with `take` and queues it on the store's writer (one row per task, replaced in
place). The training thread never waits for the loop or the database.

A run resumed from a checkpoint with its optimiser state measures the same per-epoch errors as
the uninterrupted run would have. Rows stored before the state was kept have none
(`optimizer_state` None): those runs restart the optimiser on the checkpointed weights.
"""

from __future__ import annotations

import array
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Checkpoint:
    """One snapshot of a training run after `epochs_done` epochs."""

    task_id: str
    swarm_id: str
    algorithm: str
    epochs_done: int
    network: bytes
    mse: list[float]
    bit_fail: list[int]
    created_at: float = field(default_factory=time.time)
    meta: dict[str, Any] = field(default_factory=dict)
    optimizer_state: bytes | None = None  # neural.TrainState.to_bytes() of the same epoch

    def row(self) -> dict[str, Any]:
        mse = _pack("d", [float(v) for v in self.mse])
        bit_fail = _pack("q", [int(v) for v in self.bit_fail])
        return {
            "task_id": self.task_id,
            "swarm_id": self.swarm_id,
            "algorithm": self.algorithm,
            "epochs_done": self.epochs_done,
            "created_at": self.created_at,
            "size_bytes": len(self.network)
            + len(mse)
            + len(bit_fail)
            + len(self.optimizer_state or b""),
            "meta": self.meta,
            "network": self.network,
            "history_mse": mse,
            "history_bit_fail": bit_fail,
            "optimizer_state": self.optimizer_state,
        }

    @classmethod
    def from_row(cls, r: Any) -> Checkpoint:
        return cls(
            task_id=r.task_id,
            swarm_id=r.swarm_id,
            algorithm=r.algorithm,
            epochs_done=int(r.epochs_done),
            network=bytes(r.network),
            mse=_unpack("d", bytes(r.history_mse)),
            bit_fail=_unpack("q", bytes(r.history_bit_fail)),
            created_at=float(r.created_at),
            meta=dict(r.meta or {}),
            optimizer_state=None if r.optimizer_state is None else bytes(r.optimizer_state),
        )


@dataclass(frozen=True)
class Snapshot:
    """What the training thread hands over: this run's part of the history only."""

    epochs_done: int  # counting the epochs before a resume
    network: bytes
    mse: list[float]
    bit_fail: list[int]
    loop_seconds: float  # this run's training loop so far
    optimizer_state: bytes | None = None


class CheckpointSlot:
    """The latest snapshot a training thread produced, waiting for the event loop.

    `interval` <= 0 disables periodic snapshots (forced ones still happen). Measures what the
    snapshots cost the training thread (`snapshot_seconds`, one entry per snapshot)."""

    def __init__(self, interval: float, epochs_before: int = 0) -> None:
        self.interval = interval
        self.epochs_before = epochs_before  # epochs a resumed run starts after
        self.mse: list[float] = []  # this run's epochs (the thread appends, nobody else reads)
        self.bit_fail: list[int] = []
        self._lock = threading.Lock()
        self.elapsed = 0.0  # seconds in this run's training loop at the last recorded epoch
        self._pending: Snapshot | None = None
        self._last = time.monotonic()
        self.snapshot_seconds: list[float] = []
        self.snapshot_bytes = 0
        self.state_bytes = 0

    def record(self, mse: float, bit_fail: int, elapsed: float) -> None:
        self.mse.append(float(mse))
        self.bit_fail.append(int(bit_fail))
        self.elapsed = float(elapsed)

    def offer(
        self, net: Any, state: Callable[[], bytes] | None = None, *, force: bool = False
    ) -> None:
        """Called by the training thread after an epoch (`record` first); `state` serialises
        the optimiser state of that epoch (called only when a snapshot is taken)."""
        if not self.mse:
            return
        now = time.monotonic()
        if not force and (self.interval <= 0 or now - self._last < self.interval):
            return
        t0 = time.perf_counter()
        blob = net.to_bytes()
        snap = Snapshot(
            self.epochs_before + len(self.mse),
            blob,
            list(self.mse),
            list(self.bit_fail),
            self.elapsed,
            None if state is None else state(),
        )
        with self._lock:
            self._pending = snap
            self.snapshot_seconds.append(time.perf_counter() - t0)
            self.snapshot_bytes = len(blob)
            self.state_bytes = len(snap.optimizer_state or b"")
        self._last = time.monotonic()

    def take(self) -> Snapshot | None:
        """The snapshot not yet handed over (None if there is none); called on the loop."""
        with self._lock:
            snap, self._pending = self._pending, None
        return snap


# Little-endian float64 / int64 blobs, written with the standard library: importing numpy here
# would load it into every idle server (about 12 MiB of RSS) for two conversions.
def _pack(code: str, values: list[Any]) -> bytes:
    arr = array.array(code, values)
    if sys.byteorder == "big":
        arr.byteswap()
    return arr.tobytes()


def _unpack(code: str, blob: bytes) -> list[Any]:
    arr = array.array(code)
    arr.frombytes(blob)
    if sys.byteorder == "big":
        arr.byteswap()
    return arr.tolist()
