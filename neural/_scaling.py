"""FANN-style data scaling (``fann_set_scaling_params`` / ``fann_scale_*`` / ``fann_descale_*``).

Each column is standardised and then mapped so that mean ± one standard deviation lands on the
requested range: ``x' = ((x - mean) / deviation + 1) * factor + new_min`` with
``factor = (new_max - new_min) / 2``. Columns with zero deviation use deviation 1 (FANN would
divide by zero). A fitted `Scaler` can be attached to a `Network` (``net.scaler``) and is then
saved with it, in the native format and in FANN ``.net`` files.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._data import TrainingData
from ._exceptions import ConfigError, NotTrainedError, ShapeError


def _check_range(field: str, value: Any) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ConfigError(field, f"must be a pair (min, max), got {value!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ConfigError(field, f"must be finite with min < max, got ({lo}, {hi})")
    return lo, hi


class Scaler:
    """Per-column affine scaling of inputs and outputs with FANN's parameters (float64)."""

    __slots__ = ("_in", "_out")

    def __init__(self) -> None:
        self._in: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        self._out: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    @staticmethod
    def _params(
        x: np.ndarray, lo: float, hi: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        x64 = x.astype(np.float64)
        mean = x64.mean(axis=0)
        dev = np.sqrt(((x64 - mean) ** 2).mean(axis=0))
        dev[dev == 0] = 1.0
        n = x.shape[1]
        return mean, dev, np.full(n, lo), np.full(n, (hi - lo) / 2.0)

    @classmethod
    def fit(
        cls,
        data: TrainingData,
        *,
        input_range: tuple[float, float] = (-1.0, 1.0),
        output_range: tuple[float, float] = (-1.0, 1.0),
    ) -> Scaler:
        """Scaling parameters from ``data`` (FANN's ``fann_set_scaling_params``)."""
        if not isinstance(data, TrainingData):
            raise ShapeError(f"data must be a TrainingData, got {type(data).__name__}")
        s = cls()
        s._in = cls._params(data.inputs, *_check_range("input_range", input_range))
        s._out = cls._params(data.outputs, *_check_range("output_range", output_range))
        return s

    @classmethod
    def from_params(cls, inputs: dict[str, Any], outputs: dict[str, Any]) -> Scaler:
        """Build from explicit parameters: dicts with keys mean, deviation, new_min, factor."""
        s = cls()
        s._in = cls._from_dict("inputs", inputs)
        s._out = cls._from_dict("outputs", outputs)
        return s

    @staticmethod
    def _from_dict(
        field: str, d: dict[str, Any]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        try:
            arrs = tuple(
                np.asarray(d[k], dtype=np.float64).reshape(-1)
                for k in ("mean", "deviation", "new_min", "factor")
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                field, f"needs arrays mean, deviation, new_min, factor ({exc})"
            ) from None
        if len({a.size for a in arrs}) != 1:
            raise ConfigError(
                field, "mean, deviation, new_min and factor must have the same length"
            )
        if (
            not all(np.all(np.isfinite(a)) for a in arrs)
            or np.any(arrs[1] == 0)
            or np.any(arrs[3] == 0)
        ):
            raise ConfigError(field, "parameters must be finite; deviation and factor non-zero")
        return arrs  # type: ignore[return-value]

    def _need(self) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
        if self._in is None or self._out is None:
            raise NotTrainedError("Scaler has no parameters: use Scaler.fit(data) first")
        return self._in, self._out

    @property
    def n_inputs(self) -> int:
        return int(self._need()[0][0].size)

    @property
    def n_outputs(self) -> int:
        return int(self._need()[1][0].size)

    def params(self) -> dict[str, dict[str, list[float]]]:
        """JSON-able parameters (what `from_params` takes)."""
        pin, pout = self._need()
        keys = ("mean", "deviation", "new_min", "factor")
        return {
            "inputs": {k: a.tolist() for k, a in zip(keys, pin, strict=True)},
            "outputs": {k: a.tolist() for k, a in zip(keys, pout, strict=True)},
        }

    @staticmethod
    def _apply(x: Any, p: tuple[np.ndarray, ...], inverse: bool, what: str) -> np.ndarray:
        arr = np.asarray(x)
        if arr.shape[-1:] != (p[0].size,):
            raise ShapeError(f"{what}: expected last dimension {p[0].size}, got shape {arr.shape}")
        dtype = arr.dtype if arr.dtype in (np.float32, np.float64) else np.float64
        mean, dev, new_min, factor = p
        if inverse:
            out = ((arr - new_min) / factor - 1.0) * dev + mean
        else:
            out = ((arr - mean) / dev + 1.0) * factor + new_min
        return np.asarray(out, dtype=dtype)

    def scale_inputs(self, x: Any) -> np.ndarray:
        return self._apply(x, self._need()[0], False, "inputs")

    def descale_inputs(self, x: Any) -> np.ndarray:
        return self._apply(x, self._need()[0], True, "inputs")

    def scale_outputs(self, y: Any) -> np.ndarray:
        return self._apply(y, self._need()[1], False, "outputs")

    def descale_outputs(self, y: Any) -> np.ndarray:
        return self._apply(y, self._need()[1], True, "outputs")

    def scale(self, data: TrainingData) -> TrainingData:
        """``data`` with inputs and outputs scaled (FANN's ``fann_scale_train``)."""
        return TrainingData(self.scale_inputs(data.inputs), self.scale_outputs(data.outputs))

    def descale(self, data: TrainingData) -> TrainingData:
        return TrainingData(self.descale_inputs(data.inputs), self.descale_outputs(data.outputs))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scaler):
            return NotImplemented
        if self._in is None or other._in is None:
            return self._in is None and other._in is None
        assert self._out is not None and other._out is not None
        return all(
            np.array_equal(a, b)
            for a, b in zip(self._in + self._out, other._in + other._out, strict=True)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if self._in is None:
            return "Scaler(unfitted)"
        return f"Scaler(n_inputs={self.n_inputs}, n_outputs={self.n_outputs})"
