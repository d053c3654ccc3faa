"""FANN's activation functions: names, numeric ids, and the scalar kernels.

Ids 0..17 are FANN 2.2's ``enum fann_activationfunc_enum`` (so ``.net`` files map one to one);
18 ``relu`` and 19 ``leaky_relu`` are additions of this package.

Semantics follow libfann 2.2 (``fann_activation.h``, ``fann_run``, ``fann_activation_derived``):

* a neuron's "sum" is ``z = steepness * net`` clipped to ``±150 / steepness``; the activation is a
  function of ``z`` only (``sigmoid(z) = 1 / (1 + exp(-2 z))``, ``gaussian(z) = exp(-z²)``...).
* the derivative (with respect to ``net``) is FANN's, quirks included: sigmoid-like derivatives
  use the output clipped to [0.01, 0.99] (symmetric: [-0.98, 0.98]); the stepwise variants use
  the smooth sigmoid's derivative; gaussian's carries ``steepness²`` and sin/cos evaluate
  ``cos(steepness * z)`` — these three are exact only for steepness 1, as in FANN.
* ``gaussian_stepwise`` outputs 0, as in FANN 2.2 (it was never implemented there); it exists so
  that FANN files load, and training through it is refused like FANN refuses thresholds.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np

from ._config import jit

ACTIVATIONS: Final[tuple[str, ...]] = (
    "linear",
    "threshold",
    "threshold_symmetric",
    "sigmoid",
    "sigmoid_stepwise",
    "sigmoid_symmetric",
    "sigmoid_symmetric_stepwise",
    "gaussian",
    "gaussian_symmetric",
    "gaussian_stepwise",
    "elliot",
    "elliot_symmetric",
    "linear_piece",
    "linear_piece_symmetric",
    "sin_symmetric",
    "cos_symmetric",
    "sin",
    "cos",
    "relu",
    "leaky_relu",
)

ACTIVATION_IDS: Final[dict[str, int]] = {name: i for i, name in enumerate(ACTIVATIONS)}

# Outputs in [-1, 1]: FANN halves the output error of these before MSE / bit-fail / backprop.
SYMMETRIC: Final[frozenset[str]] = frozenset(
    {
        "threshold_symmetric",
        "sigmoid_symmetric",
        "sigmoid_symmetric_stepwise",
        "gaussian_symmetric",
        "elliot_symmetric",
        "linear_piece_symmetric",
        "sin_symmetric",
        "cos_symmetric",
    }
)

# No useful derivative: FANN refuses to train through thresholds; gaussian_stepwise is constant 0.
UNTRAINABLE: Final[frozenset[str]] = frozenset(
    {"threshold", "threshold_symmetric", "gaussian_stepwise"}
)

LEAKY_RELU_SLOPE: Final[float] = 0.01

# Typed float32 constants (FANN's `0.01f`-style ones): float64 networks promote them exactly,
# float32 networks keep their loops in float32, which is what lets LLVM vectorise them.
_f32 = np.float32
F0, F1, F2, FHALF = _f32(0.0), _f32(1.0), _f32(2.0), _f32(0.5)
CLIP_LO, CLIP_HI = _f32(0.01), _f32(0.99)  # FANN clips sigmoid outputs before deriving
CLIP_SYM = _f32(0.98)
MAX_SUM = _f32(150.0)  # FANN clips steepness * net to ±150 / steepness

# FANN_SIGMOID_STEPWISE / FANN_SIGMOID_SYMMETRIC_STEPWISE breakpoints (fann_activation.h): the
# logistic sampled at 6 points of z and linearly interpolated, saturating outside.
_SW_V1, _SW_V2, _SW_V3 = (
    -2.64665246009826660156e00,
    -1.47221946716308593750e00,
    -5.49306154251098632812e-01,
)
_SW_V4, _SW_V5, _SW_V6 = (
    5.49306154251098632812e-01,
    1.47221934795379638672e00,
    2.64665293693542480469e00,
)
_SW_R1, _SW_R2, _SW_R3 = (
    4.99999988824129104614e-03,
    5.00000007450580596924e-02,
    2.50000000000000000000e-01,
)
_SW_R4, _SW_R5, _SW_R6 = (
    7.50000000000000000000e-01,
    9.49999988079071044922e-01,
    9.95000004768371582031e-01,
)
_SS_V1, _SS_V2, _SS_V3 = (
    -2.64665293693542480469e00,
    -1.47221934795379638672e00,
    -5.49306154251098632812e-01,
)
_SS_V4, _SS_V5, _SS_V6 = (
    5.49306154251098632812e-01,
    1.47221934795379638672e00,
    2.64665293693542480469e00,
)
_SS_R1, _SS_R2, _SS_R3 = (
    -9.90000009536743164062e-01,
    -8.99999976158142089844e-01,
    -5.00000000000000000000e-01,
)
_SS_R4, _SS_R5, _SS_R6 = (
    5.00000000000000000000e-01,
    8.99999976158142089844e-01,
    9.90000009536743164062e-01,
)


# float32 twins, so float32 loops stay in float32 and vectorise
_SW_V1_32, _SW_V2_32, _SW_V3_32 = (
    _f32(-2.64665246009826660156e00),
    _f32(-1.47221946716308593750e00),
    _f32(-5.49306154251098632812e-01),
)
_SW_V4_32, _SW_V5_32, _SW_V6_32 = (
    _f32(5.49306154251098632812e-01),
    _f32(1.47221934795379638672e00),
    _f32(2.64665293693542480469e00),
)
_SW_R1_32, _SW_R2_32, _SW_R3_32 = (
    _f32(4.99999988824129104614e-03),
    _f32(5.00000007450580596924e-02),
    _f32(2.50000000000000000000e-01),
)
_SW_R4_32, _SW_R5_32, _SW_R6_32 = (
    _f32(7.50000000000000000000e-01),
    _f32(9.49999988079071044922e-01),
    _f32(9.95000004768371582031e-01),
)
_SS_V1_32, _SS_V2_32, _SS_V3_32 = (
    _f32(-2.64665293693542480469e00),
    _f32(-1.47221934795379638672e00),
    _f32(-5.49306154251098632812e-01),
)
_SS_V4_32, _SS_V5_32, _SS_V6_32 = (
    _f32(5.49306154251098632812e-01),
    _f32(1.47221934795379638672e00),
    _f32(2.64665293693542480469e00),
)
_SS_R1_32, _SS_R2_32, _SS_R3_32 = (
    _f32(-9.90000009536743164062e-01),
    _f32(-8.99999976158142089844e-01),
    _f32(-5.00000000000000000000e-01),
)
_SS_R4_32, _SS_R5_32, _SS_R6_32 = (
    _f32(5.00000000000000000000e-01),
    _f32(8.99999976158142089844e-01),
    _f32(9.90000009536743164062e-01),
)


def activation_id(name: str, *, field: str = "activation") -> int:
    """Map an activation name to its FANN id, or raise `ConfigError` naming ``field``."""
    from ._exceptions import ConfigError

    try:
        return ACTIVATION_IDS[name]
    except (KeyError, TypeError):
        raise ConfigError(
            field, f"unknown activation {name!r}; allowed: {', '.join(ACTIVATIONS)}"
        ) from None


@jit
def _lerp(v1, r1, v2, r2, z):  # type: ignore[no-untyped-def]
    return (r2 - r1) * (z - v1) / (v2 - v1) + r1


@jit
def _stepwise(  # type: ignore[no-untyped-def]
    z, v1, v2, v3, v4, v5, v6, r1, r2, r3, r4, r5, r6, lo, hi
):  # fmt: skip
    """FANN's ``fann_stepwise`` written as selects (same segments and arithmetic) so that
    loops over a layer vectorise."""
    y = _lerp(v5, r5, v6, r6, z)
    y = _lerp(v4, r4, v5, r5, z) if z < v5 else y
    y = _lerp(v3, r3, v4, r4, z) if z < v4 else y
    y = _lerp(v2, r2, v3, r3, z) if z < v3 else y
    y = _lerp(v1, r1, v2, r2, z) if z < v2 else y
    y = lo if z < v1 else y
    return hi if z >= v6 else y


@jit
def _sigmoid_stepwise(z: float) -> float:
    return _stepwise(
        z, _SW_V1, _SW_V2, _SW_V3, _SW_V4, _SW_V5, _SW_V6,
        _SW_R1, _SW_R2, _SW_R3, _SW_R4, _SW_R5, _SW_R6, 0.0, 1.0,
    )  # fmt: skip


@jit
def _sigmoid_stepwise32(z: float) -> float:
    """`_sigmoid_stepwise` with float32 constants (for float32 sums; FANN itself uses double)."""
    return _stepwise(
        z, _SW_V1_32, _SW_V2_32, _SW_V3_32, _SW_V4_32, _SW_V5_32, _SW_V6_32,
        _SW_R1_32, _SW_R2_32, _SW_R3_32, _SW_R4_32, _SW_R5_32, _SW_R6_32, F0, F1,
    )  # fmt: skip


@jit
def _sigmoid_symmetric_stepwise(z: float) -> float:
    return _stepwise(
        z, _SS_V1, _SS_V2, _SS_V3, _SS_V4, _SS_V5, _SS_V6,
        _SS_R1, _SS_R2, _SS_R3, _SS_R4, _SS_R5, _SS_R6, -1.0, 1.0,
    )  # fmt: skip


@jit
def _is_symmetric(aid: int) -> bool:
    return (
        aid == 2
        or aid == 5
        or aid == 6
        or aid == 8
        or aid == 11
        or aid == 13
        or aid == 14
        or aid == 15
    )


@jit
def _activate(aid: int, z: float) -> float:
    """Activation of a neuron whose (steepness-scaled, clipped) sum is ``z``."""
    if aid == 4:
        return _sigmoid_stepwise(z)
    if aid == 5:
        return 2.0 / (1.0 + math.exp(-2.0 * z)) - 1.0
    if aid == 3:
        return 1.0 / (1.0 + math.exp(-2.0 * z))
    if aid == 0:
        return z
    if aid == 6:
        return _sigmoid_symmetric_stepwise(z)
    if aid == 1:
        return 0.0 if z < 0.0 else 1.0
    if aid == 2:
        return -1.0 if z < 0.0 else 1.0
    if aid == 7:
        return math.exp(-z * z)
    if aid == 8:
        return math.exp(-z * z) * 2.0 - 1.0
    if aid == 10:
        return (z / 2.0) / (1.0 + abs(z)) + 0.5
    if aid == 11:
        return z / (1.0 + abs(z))
    if aid == 12:
        return 0.0 if z < 0.0 else (1.0 if z > 1.0 else z)
    if aid == 13:
        return -1.0 if z < -1.0 else (1.0 if z > 1.0 else z)
    if aid == 14:
        return math.sin(z)
    if aid == 15:
        return math.cos(z)
    if aid == 16:
        return math.sin(z) / 2.0 + 0.5
    if aid == 17:
        return math.cos(z) / 2.0 + 0.5
    if aid == 18:
        return z if z > 0.0 else 0.0
    if aid == 19:
        return z if z > 0.0 else LEAKY_RELU_SLOPE * z
    return 0.0  # 9 gaussian_stepwise: FANN 2.2 outputs 0


@jit
def _derive(aid: int, s: float, y: float, z: float) -> float:
    """d(output)/d(net) as libfann computes it, from steepness ``s``, output ``y`` and sum ``z``."""
    if aid == 3 or aid == 4:
        yc = min(max(y, 0.01), 0.99)
        return 2.0 * s * yc * (1.0 - yc)
    if aid == 5 or aid == 6:
        yc = min(max(y, -0.98), 0.98)
        return s * (1.0 - yc * yc)
    if aid == 0 or aid == 12 or aid == 13:
        return s
    if aid == 7:
        return -2.0 * z * y * s * s
    if aid == 8:
        return -2.0 * z * (y + 1.0) * s * s
    if aid == 10:
        d = 1.0 + abs(z)
        return s / (2.0 * d * d)
    if aid == 11:
        d = 1.0 + abs(z)
        return s / (d * d)
    if aid == 14:
        return s * math.cos(s * z)
    if aid == 15:
        return -s * math.sin(s * z)
    if aid == 16:
        return s * math.cos(s * z) / 2.0
    if aid == 17:
        return -s * math.sin(s * z) / 2.0
    if aid == 18:
        return s if z > 0.0 else 0.0
    if aid == 19:
        return s if z > 0.0 else LEAKY_RELU_SLOPE * s
    return 0.0  # thresholds and gaussian_stepwise: no derivative (training refuses them)
