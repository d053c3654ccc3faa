"""When and how a training run scales its data, so raw real-world columns train sensibly.

A target outside the output activation's range cannot be learned at all (a sigmoid never says 250),
and inputs in the hundreds saturate every hidden unit at the first epoch. FANN leaves both to the
user; an MCP client usually sends raw data, so the ``auto`` mode scales exactly what needs it:

* outputs, when a target lies outside the output activation's range, or (unbounded activations)
  when a target's magnitude exceeds ``AUTO_LIMIT``; they are mapped min..max onto the range with a
  ``OUTPUT_MARGIN`` on both sides, where the activation's slope is still useful;
* inputs, when a value's magnitude exceeds ``AUTO_LIMIT``; columns are mapped min..max onto [-1, 1].

Data already in range (every PROBEN1 set, XOR, two-spiral) is left untouched, so results stay
comparable with FANN's. ``none``, ``inputs``, ``outputs`` and ``both`` force the choice. The scaler
is attached to the network: `Network.predict` takes and returns original units, and the model file
(native or FANN ``.net``) carries the parameters. Training MSE and bit-fail stay in the network's
units (FANN's convention); the ``*_target_*`` metrics are in the targets' own units.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import neural
from swarm_core._exceptions import ValidationError
from swarm_core._limits import SCALE_MODES

AUTO_LIMIT = 10.0
OUTPUT_MARGIN = 0.05
INPUT_RANGE = (-1.0, 1.0)

_UNBOUNDED = frozenset({"linear", "leaky_relu"})


def activation_range(name: str) -> tuple[float, float | None] | None:
    """The values an output activation can produce (``None`` bounds: unbounded)."""
    if name in _UNBOUNDED:
        return None
    if name == "relu":
        return (0.0, None)
    if "symmetric" in name:  # FANN's symmetric family, stepwise variant included
        return (-1.0, 1.0)
    return (0.0, 1.0)


def _target_range(output_activation: str) -> tuple[float, float]:
    rng = activation_range(output_activation)
    if rng is None:
        return INPUT_RANGE
    lo, hi = rng
    if hi is None:  # relu: any non-negative band works; keep it where the slope is 1
        return (0.0, 1.0)
    margin = OUTPUT_MARGIN * (hi - lo)
    return (lo + margin, hi - margin)


def outputs_need_scaling(outputs: np.ndarray, output_activation: str) -> bool:
    rng = activation_range(output_activation)
    if rng is None:
        return bool(np.max(np.abs(outputs)) > AUTO_LIMIT)
    lo, hi = rng
    return bool(np.min(outputs) < lo or (hi is not None and np.max(outputs) > hi))


def inputs_need_scaling(inputs: np.ndarray) -> bool:
    return bool(np.max(np.abs(inputs)) > AUTO_LIMIT)


def _minmax(cols: np.ndarray, lo: float, hi: float) -> dict[str, list[float]]:
    """Scaler parameters mapping each column's min..max onto lo..hi (constant columns: centre)."""
    cmin, cmax = cols.min(axis=0).astype(np.float64), cols.max(axis=0).astype(np.float64)
    half = (cmax - cmin) / 2.0
    half[half == 0] = 1.0
    n = cols.shape[1]
    return {
        "mean": ((cmin + cmax) / 2.0).tolist(),
        "deviation": half.tolist(),
        "new_min": [lo] * n,
        "factor": [(hi - lo) / 2.0] * n,
    }


def _identity(n: int) -> dict[str, list[float]]:
    # x' = ((x - 0) / 1 + 1) * 1 - 1 = x
    return {"mean": [0.0] * n, "deviation": [1.0] * n, "new_min": [-1.0] * n, "factor": [1.0] * n}


def choose_scaler(
    data: Any, mode: str, output_activation: str
) -> tuple[neural.Scaler | None, dict[str, Any]]:
    """The scaler for ``data`` under ``mode`` (None when nothing is scaled) and a JSON-able
    account of the decision."""
    if mode not in SCALE_MODES:
        raise ValidationError("scale", f"unknown scale {mode!r}; allowed: {', '.join(SCALE_MODES)}")
    x = np.asarray(data.inputs)
    y = np.asarray(data.outputs)
    if mode == "auto":
        scale_in = inputs_need_scaling(x)
        scale_out = outputs_need_scaling(y, output_activation)
    else:
        scale_in = mode in ("inputs", "both")
        scale_out = mode in ("outputs", "both")
    info: dict[str, Any] = {"mode": mode, "inputs": scale_in, "outputs": scale_out}
    if not (scale_in or scale_out):
        return None, info
    pin = _minmax(x, *INPUT_RANGE) if scale_in else _identity(x.shape[1])
    out_lo, out_hi = _target_range(output_activation)
    pout = _minmax(y, out_lo, out_hi) if scale_out else _identity(y.shape[1])
    if scale_in:
        info["input_range"] = list(INPUT_RANGE)
    if scale_out:
        info["output_range"] = [out_lo, out_hi]
    return neural.Scaler.from_params(pin, pout), info


def network_space(net: Any, data: Any) -> Any:
    """``data`` as the network sees it (scaled when the network carries a scaler)."""
    return data if net.scaler is None else net.scaler.scale(data)
