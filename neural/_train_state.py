"""`TrainState`: the optimiser state of a `train` run, so a later call continues it exactly.

What each algorithm carries from one epoch to the next besides the weights:

* RPROP / SARPROP: per-weight step sizes (``steps``) and previous slopes (``slopes``);
  SARPROP also its epoch counter (it anneals the noise and weight decay with it) and the
  state of its noise RNG;
* Quickprop: the previous weight changes (``steps``) and previous slopes (``slopes``);
* incremental: the previous weight changes (``deltas``, used by momentum) and the RNG state
  that draws the sample order when ``TrainConfig.seed`` is set;
* batch: nothing.

An array an algorithm does not use is stored empty (length 0), so the state holds at most
two arrays of the network's size.

A state is taken in a training callback with `EpochReport.train_state` (a copy of the
arrays, no compilation) and passed back as ``train(..., state=...)``. `to_bytes` /
`from_bytes` serialise it (an uncompressed ``.npz``, no pickle); loading checks every field
and raises `ConfigError` naming the first bad one.

One limit: incremental training with a seed shuffles a permutation that restarts from file
order at every compiled call (a chunk of epochs). Runs with a callback call once per
``report_every`` epochs, so a resume at a report is exact when both runs use the same
``report_every``; without a callback the chunk sizes follow the clock, and such a run does
not even repeat itself exactly.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from ._exceptions import ConfigError
from ._train_config import ALGORITHMS

STATE_FORMAT: Final[int] = 1
ARRAYS: Final[tuple[str, ...]] = ("steps", "slopes", "deltas")
# the arrays each algorithm carries between epochs; the others are stored empty
USED: Final[dict[str, tuple[str, ...]]] = {
    "rprop": ("steps", "slopes"),
    "sarprop": ("steps", "slopes"),
    "quickprop": ("steps", "slopes"),
    "incremental": ("deltas",),
    "batch": (),
}
_FLOATS: Final[tuple[str, ...]] = ("float32", "float64")


@dataclass(frozen=True, eq=False)
class TrainState:
    """Optimiser state after ``epochs`` epochs of ``algorithm`` (counted over every call that
    continued it) on a network with ``n_weights`` connections. The arrays the algorithm uses
    have one entry per connection, the others none; all are in the network's dtype. ``rng`` is
    the xorshift64* state as a signed 64-bit integer."""

    algorithm: str
    epochs: int
    n_weights: int
    steps: np.ndarray
    slopes: np.ndarray
    deltas: np.ndarray
    sarprop_epoch: int
    rng: int

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.steps.dtype

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        counters = [self.epochs, self.sarprop_epoch, self.rng, self.n_weights]
        np.savez(
            buf,
            format=np.int64(STATE_FORMAT),
            algorithm=np.str_(self.algorithm),
            counters=np.array(counters, dtype=np.int64),
            steps=self.steps,
            slopes=self.slopes,
            deltas=self.deltas,
        )
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> TrainState:
        """Parse and check `to_bytes` output; `ConfigError` names the field that is wrong."""
        if not isinstance(blob, (bytes, bytearray, memoryview)):
            raise ConfigError("state", f"must be bytes, got {type(blob).__name__}")
        try:
            with np.load(io.BytesIO(bytes(blob)), allow_pickle=False) as z:
                fields = {k: z[k] for k in z.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise ConfigError("state", f"not a serialised TrainState: {exc}") from None
        for name in ("format", "algorithm", "counters", *ARRAYS):
            if name not in fields:
                raise ConfigError(f"state.{name}", "missing")
        fmt = fields["format"]
        if fmt.shape != () or fmt.dtype.kind != "i" or int(fmt) != STATE_FORMAT:
            raise ConfigError("state.format", f"must be {STATE_FORMAT}, got {fmt!r}")
        algorithm = fields["algorithm"]
        if algorithm.shape != () or algorithm.dtype.kind != "U" or str(algorithm) not in ALGORITHMS:
            raise ConfigError(
                "state.algorithm", f"must be one of {', '.join(ALGORITHMS)}; got {algorithm!r}"
            )
        counters = fields["counters"]
        if counters.dtype != np.int64 or counters.shape != (4,):
            raise ConfigError(
                "state.counters",
                f"must be 4 int64 values, got {counters.dtype} {counters.shape}",
            )
        epochs, sarprop_epoch, rng, n_weights = (int(v) for v in counters)
        if min(epochs, sarprop_epoch, n_weights) < 0:
            raise ConfigError("state.counters", f"counts must be >= 0, got {counters!r}")
        state = cls(
            algorithm=str(algorithm),
            epochs=epochs,
            n_weights=n_weights,
            steps=fields["steps"],
            slopes=fields["slopes"],
            deltas=fields["deltas"],
            sarprop_epoch=sarprop_epoch,
            rng=rng,
        )
        state._check_arrays(state.steps.dtype)
        for name in USED[state.algorithm]:
            if not np.isfinite(getattr(state, name)).all():
                raise ConfigError(f"state.{name}", "contains NaN or infinity")
        return state

    def check_fits(self, algorithm: str, n_weights: int, dtype: np.dtype[Any]) -> None:
        """Refuse to continue a run of another algorithm or another network shape/dtype."""
        if self.algorithm != algorithm:
            raise ConfigError(
                "state.algorithm",
                f"the state is from {self.algorithm} training, the config trains {algorithm}",
            )
        if self.n_weights != n_weights:
            raise ConfigError(
                "state.n_weights",
                f"the state is for {self.n_weights} connections, the network has {n_weights}",
            )
        self._check_arrays(dtype)

    def _check_arrays(self, dtype: np.dtype[Any]) -> None:
        used = USED.get(self.algorithm, ())
        for name in ARRAYS:
            arr = getattr(self, name)
            want = (self.n_weights,) if name in used else (0,)
            if not isinstance(arr, np.ndarray) or arr.shape != want:
                shape = getattr(arr, "shape", None)
                raise ConfigError(
                    f"state.{name}", f"must have shape {want} for {self.algorithm}, got {shape}"
                )
            if arr.dtype.name not in _FLOATS or arr.dtype != dtype:
                raise ConfigError(f"state.{name}", f"is {arr.dtype}, the weights are {dtype}")
