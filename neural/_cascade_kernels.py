"""Numba kernels for Cascade-Correlation: output epochs, candidate-pool epochs, hidden columns.

Everything works on a cache ``A`` (float32, samples x columns) holding, for every training
sample, the values of all units a new unit may connect to, in `Network` unit order:
``[bias (=1), inputs..., hidden_1, ..., hidden_k]``.  Only the first ``m`` columns are live; the
array is allocated for the maximum number of hidden units, so installing a unit fills one column
instead of re-running the network over the data set.

Weight layouts (all float32, flat, C order):
  * output weights ``wo[o * m_max + j]``: output ``o`` from column ``j``;
  * candidate input weights ``wc[j * n_cand + c]`` (column-major in the candidate index, so the
    inner loops over candidates are unit-stride and vectorise);
  * candidate output weights ``vc[o * n_cand + c]`` (Cascade2 only).

Activation codes are FANN's ids (`neural._activations.ACTIVATIONS`); a neuron's sum is FANN's
``z = clip(steepness * net, +-150 / steepness)`` as in `neural._network`.  Derivatives are exact
d/d net (FANN's sigmoid-family clipping of y included).  Values and derivatives are computed in
float64 and flushed to zero below ``_TINY`` before they are stored as float32, so no subnormal
float enters the multiply-add loops (FANN's float cascade loses ~40 % to them).

The candidate pool evaluates exp/sin/cos with branch-free polynomials (`fast_exp`,
`fast_sincos`, error < 1e-8) so the loop over candidates vectorises: with libm calls the
transcendental functions cost 5-10x more than all the multiply-adds of an epoch.  Installed
units and outputs use libm (`activate`) so they agree with `Network.run`.

Compilation is lazy (first call), cached on disk, nogil, never ``parallel=True`` (`_config`).
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from ._config import JIT_OPTIONS

LINEAR = 0
THRESHOLD = 1
THRESHOLD_SYMMETRIC = 2
SIGMOID = 3
SIGMOID_STEPWISE = 4
SIGMOID_SYMMETRIC = 5
SIGMOID_SYMMETRIC_STEPWISE = 6
GAUSSIAN = 7
GAUSSIAN_SYMMETRIC = 8
GAUSSIAN_STEPWISE = 9
ELLIOT = 10
ELLIOT_SYMMETRIC = 11
LINEAR_PIECE = 12
LINEAR_PIECE_SYMMETRIC = 13
SIN_SYMMETRIC = 14
COS_SYMMETRIC = 15
SIN = 16
COS = 17

ALGO_RPROP = 0
ALGO_QUICKPROP = 1

SCORE_CASCADE2 = 0
SCORE_COVARIANCE = 1

STOP_MSE = 0
STOP_BIT = 1

_TINY = 1e-20

# FANN 2.2 stepwise sigmoid breakpoints (in units of steepness * sum) and values.
_SW_V = (
    -2.64665246009826660156,
    -1.47221946716308593750,
    -0.549306154251098632812,
    0.549306154251098632812,
    1.47221934795379638672,
    2.64665293693542480469,
)
_SW_R = (
    4.99999988824129104614e-03,
    5.00000007450580596924e-02,
    0.25,
    0.75,
    9.49999988079071044922e-01,
    9.95000004768371582031e-01,
)
_SWS_V = (
    -2.64665293693542480469,
    -1.47221934795379638672,
    -0.549306154251098632812,
    0.549306154251098632812,
    1.47221934795379638672,
    2.64665293693542480469,
)
_SWS_R = (
    -9.90000009536743164062e-01,
    -8.99999976158142089844e-01,
    -0.5,
    0.5,
    8.99999976158142089844e-01,
    9.90000009536743164062e-01,
)


@njit(**JIT_OPTIONS)
def _stepwise(x: float, v: tuple, r: tuple, lo: float, hi: float) -> float:  # type: ignore[type-arg]
    if x < v[0]:
        return lo
    if x >= v[5]:
        return hi
    for i in range(5):
        if x < v[i + 1]:
            return (r[i + 1] - r[i]) * (x - v[i]) / (v[i + 1] - v[i]) + r[i]
    return hi


@njit(**JIT_OPTIONS)
def activate(code: int, z: float) -> float:
    """FANN activation of the neuron sum ``z`` (already scaled and clipped, `scaled_sum`)."""
    if code == SIGMOID:
        y = 1.0 / (1.0 + math.exp(-2.0 * z))
    elif code == SIGMOID_SYMMETRIC:
        y = 2.0 / (1.0 + math.exp(-2.0 * z)) - 1.0
    elif code == SIGMOID_STEPWISE:
        y = _stepwise(z, _SW_V, _SW_R, 0.0, 1.0)
    elif code == SIGMOID_SYMMETRIC_STEPWISE:
        y = _stepwise(z, _SWS_V, _SWS_R, -1.0, 1.0)
    elif code == GAUSSIAN:
        y = math.exp(-z * z)
    elif code == GAUSSIAN_SYMMETRIC:
        y = 2.0 * math.exp(-z * z) - 1.0
    elif code == ELLIOT:
        y = 0.5 * z / (1.0 + abs(z)) + 0.5
    elif code == ELLIOT_SYMMETRIC:
        y = z / (1.0 + abs(z))
    elif code == SIN_SYMMETRIC:
        y = math.sin(z)
    elif code == COS_SYMMETRIC:
        y = math.cos(z)
    elif code == SIN:
        y = 0.5 * math.sin(z) + 0.5
    elif code == COS:
        y = 0.5 * math.cos(z) + 0.5
    elif code == LINEAR_PIECE:
        y = min(max(z, 0.0), 1.0)
    elif code == LINEAR_PIECE_SYMMETRIC:
        y = min(max(z, -1.0), 1.0)
    elif code == THRESHOLD:
        y = 0.0 if z < 0.0 else 1.0
    elif code == THRESHOLD_SYMMETRIC:
        y = -1.0 if z < 0.0 else 1.0
    else:  # LINEAR
        y = z
    if abs(y) < _TINY:
        y = 0.0
    return y


@njit(**JIT_OPTIONS)
def derivative(code: int, steep: float, y: float, z: float) -> float:
    """d activation / d net (exact; the sigmoid family clips ``y`` like FANN)."""
    if code in (SIGMOID, SIGMOID_STEPWISE):
        yc = min(max(y, 0.01), 0.99)
        d = 2.0 * steep * yc * (1.0 - yc)
    elif code in (SIGMOID_SYMMETRIC, SIGMOID_SYMMETRIC_STEPWISE):
        yc = min(max(y, -0.98), 0.98)
        d = steep * (1.0 - yc * yc)
    elif code == GAUSSIAN:
        d = -2.0 * z * y * steep
    elif code == GAUSSIAN_SYMMETRIC:
        d = -2.0 * z * (y + 1.0) * steep
    elif code == ELLIOT:
        t = 1.0 + abs(z)
        d = steep / (2.0 * t * t)
    elif code == ELLIOT_SYMMETRIC:
        t = 1.0 + abs(z)
        d = steep / (t * t)
    elif code == SIN_SYMMETRIC:
        d = steep * math.cos(z)
    elif code == COS_SYMMETRIC:
        d = -steep * math.sin(z)
    elif code == SIN:
        d = 0.5 * steep * math.cos(z)
    elif code == COS:
        d = -0.5 * steep * math.sin(z)
    else:  # linear family; thresholds are rejected before training
        d = steep
    if abs(d) < _TINY:
        d = 0.0
    return d


# ---------------------------------------------------------------------------------------------
# Branch-free exp / sincos for the candidate pool: plain arithmetic (plus one integer bit trick)
# so LLVM vectorises the loop over candidates; libm calls would run one candidate at a time.


@intrinsic
def _pow2(typingctx, k):  # type: ignore[no-untyped-def]
    """2.0 ** k for an int64 ``k`` in [-1022, 1023], built from the exponent bits."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        i64 = ir.IntType(64)
        bits = builder.shl(builder.add(args[0], ir.Constant(i64, 1023)), ir.Constant(i64, 52))
        return builder.bitcast(bits, ir.DoubleType())

    return sig, codegen


_LOG2E = 1.4426950408889634
_LN2 = 0.6931471805599453
_TWO_OVER_PI = 0.6366197723675814
_PIO2_HI = 1.5707963267341256
_PIO2_LO = 6.077100506506192e-11


@njit(**JIT_OPTIONS)
def fast_exp(x: float) -> float:
    """exp(x) for x clamped to [-80, 80] (relative error < 1e-8; results below 1e-20 -> 0)."""
    x = min(max(x, -80.0), 80.0)
    k = math.floor(x * _LOG2E + 0.5)
    r = x - k * _LN2
    p = 1.0 + r * (
        1.0
        + r
        * (
            0.5
            + r
            * (
                1.0 / 6.0
                + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0))))
            )
        )
    )
    y = p * _pow2(np.int64(k))  # type: ignore[call-arg]
    return y if y > _TINY else 0.0


@njit(**JIT_OPTIONS)
def fast_sincos(x: float) -> tuple[float, float]:
    """(sin x, cos x) for |x| <= ~1e4 (absolute error < 1e-8)."""
    kf = math.floor(x * _TWO_OVER_PI + 0.5)
    r = (x - kf * _PIO2_HI) - kf * _PIO2_LO
    r2 = r * r
    sn = r * (
        1.0
        + r2
        * (
            -1.0 / 6.0
            + r2 * (1.0 / 120.0 + r2 * (-1.0 / 5040.0 + r2 * (1.0 / 362880.0 - r2 / 39916800.0)))
        )
    )
    cs = 1.0 + r2 * (
        -0.5
        + r2
        * (
            1.0 / 24.0
            + r2
            * (-1.0 / 720.0 + r2 * (1.0 / 40320.0 + r2 * (-1.0 / 3628800.0 + r2 / 479001600.0)))
        )
    )
    q = np.int64(kf) & 3
    s_out = cs if (q & 1) == 1 else sn
    c_out = sn if (q & 1) == 1 else cs
    if q >= 2:
        s_out = -s_out
    if q == 1 or q == 2:
        c_out = -c_out
    return s_out, c_out


@njit(**JIT_OPTIONS)
def _flush(v: float) -> float:
    return v if abs(v) >= _TINY else 0.0


# The only numba-level inline: pool_values runs once per sample on a few small arrays, and
# inlined LLVM sees they are fresh and distinct, so its loops vectorise without alias checks.
# Its helpers above are plain functions (LLVM inlines them anyway): numba's own inlining
# copies and re-types the callee IR at every call site and cost ~1.5 s of cold JIT time.
@njit(inline="always", **JIT_OPTIONS)
def pool_values(
    s: np.ndarray,
    act: np.ndarray,
    der: np.ndarray,
    codes: np.ndarray,
    steeps: np.ndarray,
    runs: np.ndarray,
) -> None:
    """Values and derivatives of the whole pool from its net inputs ``s``.

    ``runs`` (n_runs + 1) are the boundaries of candidates sharing one activation function;
    each run gets its own straight-line loop so it vectorises.
    """
    for r in range(runs.shape[0] - 1):
        c0 = runs[r]
        c1 = runs[r + 1]
        code = codes[c0]
        if code in (SIGMOID, SIGMOID_SYMMETRIC):
            sym = code == SIGMOID_SYMMETRIC
            for c in range(c0, c1):
                st = steeps[c]
                z = min(max(st * s[c], -150.0 / st), 150.0 / st)
                y = 1.0 / (1.0 + fast_exp(-2.0 * z))
                if sym:
                    y = 2.0 * y - 1.0
                    yc = min(max(y, -0.98), 0.98)
                    d = st * (1.0 - yc * yc)
                else:
                    yc = min(max(y, 0.01), 0.99)
                    d = 2.0 * st * yc * (1.0 - yc)
                act[c] = _flush(y)
                der[c] = _flush(d)
        elif code in (GAUSSIAN, GAUSSIAN_SYMMETRIC):
            sym = code == GAUSSIAN_SYMMETRIC
            for c in range(c0, c1):
                st = steeps[c]
                z = min(max(st * s[c], -150.0 / st), 150.0 / st)
                g = fast_exp(-z * z)
                d = -2.0 * z * g * st
                y = g
                if sym:
                    y = 2.0 * g - 1.0
                    d = 2.0 * d
                act[c] = _flush(y)
                der[c] = _flush(d)
        elif code in (ELLIOT, ELLIOT_SYMMETRIC):
            half = 0.5 if code == ELLIOT else 1.0
            off = 0.5 if code == ELLIOT else 0.0
            for c in range(c0, c1):
                st = steeps[c]
                z = min(max(st * s[c], -150.0 / st), 150.0 / st)
                t = 1.0 / (1.0 + abs(z))
                act[c] = _flush(half * z * t + off)
                der[c] = _flush(half * st * t * t)
        elif code in (SIN_SYMMETRIC, COS_SYMMETRIC, SIN, COS):
            half = 1.0 if (code in (SIN_SYMMETRIC, COS_SYMMETRIC)) else 0.5
            off = 1.0 - half
            is_sin = code in (SIN_SYMMETRIC, SIN)
            for c in range(c0, c1):
                st = steeps[c]
                z = min(max(st * s[c], -150.0 / st), 150.0 / st)
                sn, cs = fast_sincos(z)
                if is_sin:
                    y = half * sn + off
                    d = half * st * cs
                else:
                    y = half * cs + off
                    d = -half * st * sn
                act[c] = _flush(y)
                der[c] = _flush(d)
        else:
            for c in range(c0, c1):
                st = steeps[c]
                z = scaled_sum(float(s[c]), st)
                y = activate(code, z)
                act[c] = y
                der[c] = derivative(code, st, y, z)


@njit(**JIT_OPTIONS)
def is_symmetric(code: int) -> bool:
    return code in (
        SIGMOID_SYMMETRIC,
        SIGMOID_SYMMETRIC_STEPWISE,
        GAUSSIAN_SYMMETRIC,
        ELLIOT_SYMMETRIC,
        LINEAR_PIECE_SYMMETRIC,
        THRESHOLD_SYMMETRIC,
        SIN_SYMMETRIC,
        COS_SYMMETRIC,
    )


@njit(**JIT_OPTIONS)
def scaled_sum(net: float, steep: float) -> float:
    """FANN's neuron sum: ``z = steepness * net`` clipped to +-150 / steepness."""
    lim = 150.0 / steep
    z = steep * net
    if z > lim:
        return lim
    if z < -lim:
        return -lim
    return z


@njit(**JIT_OPTIONS)
def update_weights(
    w: np.ndarray,
    slope: np.ndarray,
    prev_slope: np.ndarray,
    step: np.ndarray,
    n: int,
    algo: int,
    params: np.ndarray,
    n_data: int,
) -> None:
    """One batch update of ``w[:n]`` from accumulated slopes (negative gradient); clears slopes.

    ``params`` = [rprop_increase, rprop_decrease, rprop_delta_min, rprop_delta_max,
    quickprop_learning_rate, quickprop_mu, quickprop_decay].  RPROP is FANN's iRPROP-
    (step floor 1e-4, weights clipped to +-1500); Quickprop is FANN's (Fahlman 1988).
    """
    if algo == ALGO_RPROP:
        inc = params[0]
        dec = params[1]
        dmin = params[2]
        dmax = params[3]
        for i in range(n):
            prev = max(step[i], 1e-4)
            sl = slope[i]
            if prev_slope[i] * sl >= 0.0:
                nxt = min(prev * inc, dmax)
            else:
                nxt = max(prev * dec, dmin)
                sl = 0.0
            wi = w[i] - nxt if sl < 0.0 else w[i] + nxt
            w[i] = min(max(wi, -1500.0), 1500.0)
            step[i] = nxt
            prev_slope[i] = sl
            slope[i] = 0.0
    else:
        eps = params[4] / n_data
        mu = params[5]
        decay = params[6]
        shrink = mu / (1.0 + mu)
        for i in range(n):
            wi = w[i]
            ps = step[i]
            sl = slope[i] + decay * wi
            pl = prev_slope[i]
            nxt = 0.0
            if ps > 0.001:
                if sl > 0.0:
                    nxt += eps * sl
                if sl > shrink * pl:
                    nxt += mu * ps
                else:
                    nxt += ps * sl / (pl - sl)
            elif ps < -0.001:
                if sl < 0.0:
                    nxt += eps * sl
                if sl < shrink * pl:
                    nxt += mu * ps
                else:
                    nxt += ps * sl / (pl - sl)
            else:
                nxt += eps * sl
            if abs(nxt) < _TINY:
                nxt = 0.0
            step[i] = nxt
            w[i] = min(max(wi + nxt, -1500.0), 1500.0)
            prev_slope[i] = sl
            slope[i] = 0.0


@njit(**JIT_OPTIONS)
def output_values(
    a: np.ndarray,
    m: int,
    wo: np.ndarray,
    m_max: int,
    codes: np.ndarray,
    steeps: np.ndarray,
    y: np.ndarray,
    sums: np.ndarray,
) -> None:
    """Outputs ``y`` (and neuron sums z) of the output layer for every cached sample."""
    n = a.shape[0]
    n_out = codes.shape[0]
    for p in range(n):
        for o in range(n_out):
            acc = np.float32(0.0)
            base = o * m_max
            for j in range(m):
                acc += a[p, j] * wo[base + j]
            z = scaled_sum(float(acc), steeps[o])
            sums[p, o] = z
            y[p, o] = activate(codes[o], z)


@njit(**JIT_OPTIONS)
def output_epoch(
    a: np.ndarray,
    m: int,
    t: np.ndarray,
    wo: np.ndarray,
    m_max: int,
    codes: np.ndarray,
    steeps: np.ndarray,
    tanh_error: bool,
    bit_limit: float,
    stop_mode: int,
    desired: float,
    slope: np.ndarray,
    prev_slope: np.ndarray,
    step: np.ndarray,
    algo: int,
    params: np.ndarray,
    y: np.ndarray,
    sums: np.ndarray,
) -> tuple[float, int, bool]:
    """One full-batch epoch of the output layer: returns (MSE, bit fails, stop reached).

    MSE and bit fails are those of the weights the epoch started with; when they already meet the
    stop criterion the update is skipped, so the returned figures describe the final weights.
    """
    n = a.shape[0]
    n_out = codes.shape[0]
    output_values(a, m, wo, m_max, codes, steeps, y, sums)
    sse = 0.0
    bitfail = 0
    for p in range(n):
        for o in range(n_out):
            diff = float(t[p, o]) - float(y[p, o])
            if is_symmetric(codes[o]):
                diff *= 0.5
            sse += diff * diff
            if abs(diff) >= bit_limit:
                bitfail += 1
    mse = sse / (n * n_out)
    reached = (mse <= desired) if stop_mode == STOP_MSE else (bitfail <= desired)
    if reached:
        return mse, bitfail, True
    for p in range(n):
        for o in range(n_out):
            yo = float(y[p, o])
            diff = float(t[p, o]) - yo
            if is_symmetric(codes[o]):
                diff *= 0.5
            if tanh_error:
                if diff < -0.9999999:
                    diff = -17.0
                elif diff > 0.9999999:
                    diff = 17.0
                else:
                    diff = math.log((1.0 + diff) / (1.0 - diff))
            delta = np.float32(
                _flush(derivative(codes[o], steeps[o], yo, float(sums[p, o])) * diff)
            )
            if delta != 0.0:
                base = o * m_max
                for j in range(m):
                    slope[base + j] += delta * a[p, j]
    for o in range(n_out):
        base = o * m_max
        update_weights(
            wo[base : base + m],
            slope[base : base + m],
            prev_slope[base : base + m],
            step[base : base + m],
            m,
            algo,
            params,
            n,
        )
    return mse, bitfail, False


@njit(**JIT_OPTIONS)
def candidate_epoch(
    a: np.ndarray,
    m: int,
    e: np.ndarray,
    wc: np.ndarray,
    vc: np.ndarray,
    codes: np.ndarray,
    steeps: np.ndarray,
    runs: np.ndarray,
    score_mode: int,
    sse: float,
    err_sq: float,
    cov: np.ndarray,
    slope_w: np.ndarray,
    prev_slope_w: np.ndarray,
    step_w: np.ndarray,
    slope_v: np.ndarray,
    prev_slope_v: np.ndarray,
    step_v: np.ndarray,
    algo: int,
    params: np.ndarray,
    scores: np.ndarray,
) -> int:
    """Train the whole candidate pool for one epoch; returns the index of the best candidate.

    ``e`` holds the residuals t - y (halved for symmetric outputs) of the current network; for
    the covariance score it must be centred per output (e - mean) beforehand.

    SCORE_CASCADE2 (FANN): score_c = SSE - sum_p,o (a_pc v_oc - e_po)^2, how much the squared
    error would drop if the unit were added with output weights v; the inputs and v ascend it
    together.  SCORE_COVARIANCE (Fahlman & Lebiere): score_c = sum_o |sum_p a_pc e_po| / sum e^2,
    ascended along the signs of the covariances, which ``cov`` carries in from the previous epoch
    and out for the next.  Scores are those of the weights the epoch started with.
    """
    n = a.shape[0]
    n_out = e.shape[1]
    nc = codes.shape[0]
    s = np.empty(nc, np.float32)
    act = np.empty(nc, np.float32)
    der = np.empty(nc, np.float32)
    g = np.empty(nc, np.float32)
    acc = np.zeros(nc, np.float64)
    cov_new = np.zeros(n_out * nc, np.float64)
    sign = np.empty(n_out * nc, np.float32)
    inv = np.float32(1.0 / err_sq)
    for i in range(n_out * nc):
        sign[i] = inv if cov[i] >= 0.0 else -inv
    for p in range(n):
        for c in range(nc):
            s[c] = 0.0
        for j in range(m):
            x = a[p, j]
            if x != 0.0:
                row = j * nc
                for c in range(nc):
                    s[c] += x * wc[row + c]
        pool_values(s, act, der, codes, steeps, runs)
        for c in range(nc):
            g[c] = 0.0
        if score_mode == SCORE_CASCADE2:
            for o in range(n_out):
                eo = e[p, o]
                row = o * nc
                for c in range(nc):
                    v = vc[row + c]
                    diff = act[c] * v - eo
                    slope_v[row + c] -= 2.0 * diff * act[c]
                    g[c] -= diff * v
                    acc[c] += diff * diff
        else:
            for o in range(n_out):
                eo = e[p, o]
                row = o * nc
                for c in range(nc):
                    cov_new[row + c] += act[c] * eo
                    g[c] += sign[row + c] * eo
        for c in range(nc):
            g[c] *= der[c]
        for j in range(m):
            x = a[p, j]
            if x != 0.0:
                row = j * nc
                for c in range(nc):
                    slope_w[row + c] += g[c] * x
    if score_mode == SCORE_CASCADE2:
        for c in range(nc):
            scores[c] = sse - acc[c]
    else:
        for c in range(nc):
            tot = 0.0
            for o in range(n_out):
                tot += abs(cov_new[o * nc + c])
            scores[c] = tot / err_sq
        for i in range(n_out * nc):
            cov[i] = cov_new[i]
    best = 0
    for c in range(1, nc):
        if scores[c] > scores[best]:
            best = c
    update_weights(wc, slope_w, prev_slope_w, step_w, m * nc, algo, params, n)
    if score_mode == SCORE_CASCADE2:
        update_weights(vc, slope_v, prev_slope_v, step_v, n_out * nc, algo, params, n)
    return best


@njit(**JIT_OPTIONS)
def fill_hidden_column(a: np.ndarray, m: int, w: np.ndarray, code: int, steep: float) -> None:
    """Values of a new hidden unit (weights ``w[:m]`` from columns ``[:m]``) into column ``m``."""
    n = a.shape[0]
    for p in range(n):
        acc = np.float32(0.0)
        for j in range(m):
            acc += a[p, j] * w[j]
        a[p, m] = activate(code, scaled_sum(float(acc), steep))
