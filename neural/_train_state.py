"""`TrainState`: the optimiser state of a `train` run, so a later call continues it exactly.

What each algorithm carries from one epoch to the next besides the weights:

* RPROP / SARPROP: per-weight step sizes (``steps``) and previous slopes (``slopes``);
  SARPROP also its epoch counter (it anneals the noise and weight decay with it) and the
  state of its noise RNG;
* Quickprop: the previous weight changes (``steps``) and previous slopes (``slopes``);
* incremental: the previous weight changes (``deltas``, used by momentum) and the RNG state
  that draws the sample order when ``TrainConfig.seed`` is set;
* batch: nothing (the arrays are stored anyway, all zero, so every state has one layout).

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
_ARRAYS: Final[tuple[str, ...]] = ("steps", "slopes", "deltas")
_FLOATS: Final[tuple[str, ...]] = ("float32", "float64")


@dataclass(frozen=True, eq=False)
class TrainState:
    """Optimiser state after ``epochs`` epochs of ``algorithm`` (counted over every call that
    continued it). The arrays have one entry per network connection, in the network's dtype;
    ``rng`` is the xorshift64* state as a signed 64-bit integer."""

    algorithm: str
    epochs: int
    steps: np.ndarray
    slopes: np.ndarray
    deltas: np.ndarray
    sarprop_epoch: int
    rng: int

    @property
    def n_weights(self) -> int:
        return int(self.steps.shape[0])

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.steps.dtype

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez(
            buf,
            format=np.int64(STATE_FORMAT),
            algorithm=np.str_(self.algorithm),
            counters=np.array([self.epochs, self.sarprop_epoch, self.rng], dtype=np.int64),
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
        for name in ("format", "algorithm", "counters", *_ARRAYS):
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
        if counters.dtype != np.int64 or counters.shape != (3,):
            raise ConfigError(
                "state.counters",
                f"must be 3 int64 values, got {counters.dtype} {counters.shape}",
            )
        epochs, sarprop_epoch, rng = (int(v) for v in counters)
        if epochs < 0 or sarprop_epoch < 0:
            raise ConfigError("state.counters", f"epoch counts must be >= 0, got {counters!r}")
        steps = fields["steps"]
        for name in _ARRAYS:
            arr = fields[name]
            if arr.ndim != 1 or arr.dtype.name not in _FLOATS:
                raise ConfigError(
                    f"state.{name}",
                    f"must be a 1-D float32/float64 array, got {arr.dtype} {arr.shape}",
                )
            if arr.shape != steps.shape or arr.dtype != steps.dtype:
                raise ConfigError(
                    f"state.{name}",
                    f"must match state.steps ({steps.dtype} {steps.shape}), "
                    f"got {arr.dtype} {arr.shape}",
                )
            if not np.isfinite(arr).all():
                raise ConfigError(f"state.{name}", "contains NaN or infinity")
        return cls(
            algorithm=str(algorithm),
            epochs=epochs,
            steps=steps,
            slopes=fields["slopes"],
            deltas=fields["deltas"],
            sarprop_epoch=sarprop_epoch,
            rng=rng,
        )

    def check_fits(self, algorithm: str, n_weights: int, dtype: np.dtype[Any]) -> None:
        """Refuse to continue a run of another algorithm or another network shape/dtype."""
        if self.algorithm != algorithm:
            raise ConfigError(
                "state.algorithm",
                f"the state is from {self.algorithm} training, the config trains {algorithm}",
            )
        for name in _ARRAYS:
            arr = getattr(self, name)
            if not isinstance(arr, np.ndarray) or arr.shape != (n_weights,):
                shape = getattr(arr, "shape", None)
                raise ConfigError(
                    f"state.{name}",
                    f"has shape {shape}, the network has {n_weights} connections",
                )
            if arr.dtype != dtype:
                raise ConfigError(
                    f"state.{name}", f"is {arr.dtype}, the network's weights are {dtype}"
                )
