"""Plain NumPy reference implementations of FANN's formulas, written independently of the
kernels (straight from libfann 2.2's definitions) for the tests to compare against."""

from __future__ import annotations

import numpy as np

SIG_V = [-2.64665246009826660156, -1.47221946716308593750, -0.549306154251098632812,
         0.549306154251098632812, 1.47221934795379638672, 2.64665293693542480469]  # fmt: skip
SIG_R = [0.00499999988824129104614, 0.0500000007450580596924, 0.25, 0.75,
         0.949999988079071044922, 0.995000004768371582031]  # fmt: skip
SYM_V = [-2.64665293693542480469, -1.47221934795379638672, -0.549306154251098632812,
         0.549306154251098632812, 1.47221934795379638672, 2.64665293693542480469]  # fmt: skip
SYM_R = [-0.990000009536743164062, -0.899999976158142089844, -0.5, 0.5,
         0.899999976158142089844, 0.990000009536743164062]  # fmt: skip

SYMMETRIC_IDS = {2, 5, 6, 8, 11, 13, 14, 15}


def _stepwise(z: np.ndarray, v: list[float], r: list[float], lo: float, hi: float) -> np.ndarray:
    y = np.interp(z, v, r)
    y = np.where(z < v[0], lo, y)
    return np.where(z >= v[-1], hi, y)


def activation(aid: int, z: np.ndarray) -> np.ndarray:
    """Output of activation ``aid`` for FANN sums ``z`` (steepness already applied)."""
    z = np.asarray(z, dtype=np.float64)
    table = {
        0: lambda: z,
        1: lambda: np.where(z < 0, 0.0, 1.0),
        2: lambda: np.where(z < 0, -1.0, 1.0),
        3: lambda: 1.0 / (1.0 + np.exp(-2.0 * z)),
        4: lambda: _stepwise(z, SIG_V, SIG_R, 0.0, 1.0),
        5: lambda: np.tanh(z),
        6: lambda: _stepwise(z, SYM_V, SYM_R, -1.0, 1.0),
        7: lambda: np.exp(-z * z),
        8: lambda: 2.0 * np.exp(-z * z) - 1.0,
        9: lambda: np.zeros_like(z),
        10: lambda: 0.5 * z / (1.0 + np.abs(z)) + 0.5,
        11: lambda: z / (1.0 + np.abs(z)),
        12: lambda: np.clip(z, 0.0, 1.0),
        13: lambda: np.clip(z, -1.0, 1.0),
        14: lambda: np.sin(z),
        15: lambda: np.cos(z),
        16: lambda: 0.5 * np.sin(z) + 0.5,
        17: lambda: 0.5 * np.cos(z) + 0.5,
        18: lambda: np.maximum(z, 0.0),
        19: lambda: np.where(z > 0, z, 0.01 * z),
    }
    return table[aid]()


def derivative(aid: int, s: float, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """FANN's ``fann_activation_derived`` (d output / d net, with its clipping quirks)."""
    y = np.asarray(y, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    if aid in (3, 4):
        yc = np.clip(y, 0.01, 0.99)
        return 2.0 * s * yc * (1.0 - yc)
    if aid in (5, 6):
        yc = np.clip(y, -0.98, 0.98)
        return s * (1.0 - yc * yc)
    if aid in (0, 12, 13):
        return np.full_like(y, s)
    if aid == 7:
        return -2.0 * z * y * s * s
    if aid == 8:
        return -2.0 * z * (y + 1.0) * s * s
    if aid == 10:
        return s / (2.0 * (1.0 + np.abs(z)) ** 2)
    if aid == 11:
        return s / (1.0 + np.abs(z)) ** 2
    if aid == 14:
        return s * np.cos(s * z)
    if aid == 15:
        return -s * np.sin(s * z)
    if aid == 16:
        return s * np.cos(s * z) / 2.0
    if aid == 17:
        return -s * np.sin(s * z) / 2.0
    if aid == 18:
        return np.where(z > 0, s, 0.0)
    if aid == 19:
        return np.where(z > 0, s, 0.01 * s)
    return np.zeros_like(y)


def forward(net, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    """All unit values and sums, (n, n_units), computed layer by layer in float64."""
    n = X.shape[0]
    V = np.zeros((n, net.n_units))
    Z = np.zeros((n, net.n_units))
    V[:, 0] = 1.0
    V[:, 1 : 1 + net.n_inputs] = X
    for li, (u0, size, lo, hi, _w0) in enumerate(net.layout):
        block = net.layer_weights(li).astype(np.float64)
        net_in = block[0] + V[:, lo:hi] @ block[1:]
        for j in range(size):
            u = u0 + j
            s = float(net.steepness[u])
            z = np.clip(s * net_in[:, j], -150.0 / s, 150.0 / s)
            Z[:, u] = z
            V[:, u] = activation(int(net.act_id[u]), z)
    return V, Z


def error_terms(net, X: np.ndarray, T: np.ndarray, bit_limit: float = 0.35) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """FANN's MSE (symmetric outputs' errors halved) and bit-fail count."""
    V, _ = forward(net, X)
    Y = V[:, -net.n_outputs :]
    E = T - Y
    for j in range(net.n_outputs):
        if int(net.act_id[net.n_units - net.n_outputs + j]) in SYMMETRIC_IDS:
            E[:, j] /= 2.0
    return float(np.mean(E * E)), int(np.sum(np.abs(E) >= bit_limit))


def irpropm_step(w, slope, prev_step, prev_slope, inc=1.2, dec=0.5, dmin=0.0, dmax=50.0):  # type: ignore[no-untyped-def]
    """One iRPROP- update of FANN 2.2, element-wise (returns new w, step, stored slope)."""
    prev_step = np.maximum(prev_step, 1e-4)
    same = prev_slope * slope
    step = np.where(same >= 0, np.minimum(prev_step * inc, dmax), np.maximum(prev_step * dec, dmin))
    slope = np.where(same >= 0, slope, 0.0)
    w = np.where(slope < 0, np.maximum(w - step, -1500.0), np.minimum(w + step, 1500.0))
    return w, step, slope


def quickprop_step(w, slope, prev_step, prev_slope, epsilon, decay=-0.0001, mu=1.75):  # type: ignore[no-untyped-def]
    """One Quickprop update of FANN 2.2 for scalars (returns new w, step, stored slope)."""
    shrink = mu / (1.0 + mu)
    slope = slope + decay * w
    step = 0.0
    if prev_step > 0.001:
        if slope > 0:
            step += epsilon * slope
        step += (
            mu * prev_step
            if slope > shrink * prev_slope
            else prev_step * slope / (prev_slope - slope)
        )
    elif prev_step < -0.001:
        if slope < 0:
            step += epsilon * slope
        step += (
            mu * prev_step
            if slope < shrink * prev_slope
            else prev_step * slope / (prev_slope - slope)
        )
    else:
        step += epsilon * slope
    return float(np.clip(w + step, -1500, 1500)), step, slope


def tanh_error(e: np.ndarray) -> np.ndarray:
    ec = np.clip(e, -0.9999999, 0.9999999)
    g = np.log((1.0 + ec) / (1.0 - ec))
    return np.where(e < -0.9999999, -17.0, np.where(e > 0.9999999, 17.0, g))


def slopes(net, X: np.ndarray, T: np.ndarray, error_function: str = "linear") -> np.ndarray:  # type: ignore[no-untyped-def]
    """FANN's batch slopes (sum of delta * source, the negative gradient), flat like weights."""
    V, Z = forward(net, X)
    D = np.zeros_like(V)
    n_out = net.n_outputs
    out0 = net.n_units - n_out
    for j in range(n_out):
        u = out0 + j
        aid = int(net.act_id[u])
        e = T[:, j] - V[:, u]
        if aid in SYMMETRIC_IDS:
            e = e / 2.0
        if error_function == "tanh":
            e = tanh_error(e)
        D[:, u] = derivative(aid, float(net.steepness[u]), V[:, u], Z[:, u]) * e
    G = np.zeros(net.n_connections)
    layout = net.layout
    for li in range(len(layout) - 1, -1, -1):
        u0, size, lo, hi, w0 = (int(v) for v in layout[li])
        if li < len(layout) - 1:
            for u in range(u0, u0 + size):
                D[:, u] *= derivative(int(net.act_id[u]), float(net.steepness[u]), V[:, u], Z[:, u])
        block = np.zeros((1 + hi - lo, size))
        block[0] = D[:, u0 : u0 + size].sum(axis=0)
        block[1:] = V[:, lo:hi].T @ D[:, u0 : u0 + size]
        G[w0 : w0 + block.size] = block.ravel()
        w = net.layer_weights(li).astype(np.float64)
        first_hidden = 1 + net.n_inputs
        src = D[:, u0 : u0 + size] @ w[1:].T
        for k in range(hi - lo):
            if lo + k >= first_hidden:
                D[:, lo + k] += src[:, k]
    return G
