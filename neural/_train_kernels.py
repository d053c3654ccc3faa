"""Training kernels (numba): batch gradient, error functions, weight-update rules, epoch drivers.

Semantics are libfann 2.2's (``fann_train.c``):

* slopes are accumulated as ``sum(delta * source)`` with ``delta = f'(net) * err``: the
  *negative* gradient of the squared error, as FANN does;
* output error ``e = t - y``, halved for symmetric output activations; the MSE and bit-fail
  count use this ``e``; with the tanh error function the back-propagated error is
  ``log((1 + e) / (1 - e))``, ±17 beyond ±0.9999999;
* hidden deltas are multiplied by the derivative only after every later layer has added its
  contribution (matters for shortcut networks);
* each update rule is FANN's, quirks included (see the individual kernels).

Buffers are feature-major like in `neural._forward_kernels`: ``U``/``S``/``E`` are
(n_units, BLOCK) unit values, sums and deltas of one block of samples; targets arrive transposed
(``TT[j, sample]``). Nothing is allocated per sample or per block.
"""

from __future__ import annotations

import math

import numpy as np

from ._activations import CLIP_HI, CLIP_LO, CLIP_SYM, F0, F1, F2, FHALF, _derive, _is_symmetric
from ._config import jit
from ._forward_kernels import (
    BLOCK,
    L_SIZE,
    L_SRC_LO,
    L_UNIT,
    L_W,
    _activate_rows,
    _forward_block,
    _layer_fields,
    _load_block,
    _nz_offsets,
    _uniform_activation,
)

# algorithm codes shared with neural._train
ALGO_NONE, ALGO_INCREMENTAL, ALGO_BATCH, ALGO_RPROP, ALGO_QUICKPROP, ALGO_SARPROP = (
    -1,
    0,
    1,
    2,
    3,
    4,
)

# params vector layout, filled by neural._train from TrainConfig. It has the network's dtype so
# that, as in FANN (whose parameters are C floats), float32 networks update in float32.
P_LR, P_MOMENTUM, P_INC, P_DEC, P_DMIN, P_DMAX, P_QP_DECAY, P_QP_MU = 0, 1, 2, 3, 4, 5, 6, 7
P_SA_DECAY_SHIFT, P_SA_THRESHOLD, P_SA_ERROR_SHIFT, P_SA_TEMPERATURE = 8, 9, 10, 11
P_BIT_LIMIT, P_DESIRED, P_EPSILON, P_QP_SHRINK, N_PARAMS = 12, 13, 14, 15, 16

# state vector layout (int64): SARPROP epoch counter, RNG state
S_SARPROP_EPOCH, S_RNG, N_STATE = 0, 1, 2

# Deltas/slopes smaller than this are flushed to 0: subnormal floats are ~100x slower on x86.
TINY = 1e-30
TINY32 = np.float32(TINY)  # typed, so float32 loops stay float32
# FANN's weight clip in its update rules.
WEIGHT_LIMIT = 1500.0
# FANN's floor on an RPROP step ("prev_step may not be zero because then the training will stop").
RPROP_STEP_FLOOR = 0.0001
SARPROP_STEP_FLOOR = 0.000001


@jit
def _derive_rows(E, U, S, nb, u0, n, act_id, steep):  # type: ignore[no-untyped-def]
    """Multiply the layer's accumulated deltas by the activation derivative (FANN's)."""
    aid = _uniform_activation(act_id, u0, n)
    for u in range(u0, u0 + n):
        s = steep[u]
        erow = E[u]
        urow = U[u]
        if aid == 3 or aid == 4:
            for b in range(nb):
                y = min(max(urow[b], CLIP_LO), CLIP_HI)
                e = erow[b] * (F2 * s * y * (F1 - y))
                erow[b] = e if abs(e) >= TINY32 else F0
        elif aid == 5 or aid == 6:
            for b in range(nb):
                y = min(max(urow[b], -CLIP_SYM), CLIP_SYM)
                e = erow[b] * (s * (F1 - y * y))
                erow[b] = e if abs(e) >= TINY32 else F0
        else:
            srow = S[u]
            # act_id[u] re-read in the loop so LLVM does not unswitch it (see _activate_rows)
            for b in range(nb):
                e = erow[b] * _derive(act_id[u], steep[u], urow[b], srow[b])
                erow[b] = e if abs(e) >= TINY else 0.0


@jit
def _bias_slopes(G, E, u0, n, w0, nb):  # type: ignore[no-untyped-def]
    """A layer's bias slopes: each delta row's sum over the block, added into ``G`` unless
    below `TINY` (accumulated in the weights' dtype, as FANN sums float slopes)."""
    zero = G.dtype.type(0)
    for j in range(n):
        erow = E[u0 + j]
        acc = zero
        for b in range(nb):
            acc += erow[b]
        if abs(acc) >= TINY:
            G[w0 + j] += acc


@jit
def _tanh_error(d):  # type: ignore[no-untyped-def]
    """FANN_ERRORFUNC_TANH: the back-propagated error for output error ``d``."""
    if d < -0.9999999:
        return -17.0
    if d > 0.9999999:
        return 17.0
    return math.log((1.0 + d) / (1.0 - d))


@jit
def _output_errors(U, S, E, TT, start, nb, out0, act_id, steep, err_tanh, bit_limit):  # type: ignore[no-untyped-def]
    """Output deltas into ``E``; returns (sum of squared errors, bit fails) of the block.

    Three passes per output so the error/MSE pass and FANN's common derivatives vectorise;
    only the tanh error function's logarithm stays scalar.
    """
    sse = 0.0
    bf = 0
    for j in range(TT.shape[0]):
        u = out0 + j
        a = act_id[u]
        trow = TT[j]
        urow = U[u]
        erow = E[u]
        if _is_symmetric(a):
            for b in range(nb):
                d = (trow[start + b] - urow[b]) * FHALF
                sse += float(d) * float(d)
                bf += abs(d) >= bit_limit
                erow[b] = d
        else:
            for b in range(nb):
                d = trow[start + b] - urow[b]
                sse += float(d) * float(d)
                bf += abs(d) >= bit_limit
                erow[b] = d
        if err_tanh:
            for b in range(nb):
                erow[b] = _tanh_error(erow[b])
        _derive_rows(E, U, S, nb, u, 1, act_id, steep)
    return sse, bf


@jit
def _sparse_forward_first(
    U, S, S0, nb, start, csr_ptr, csr_idx, csr_val, weights, layout, act_id, steep
):  # type: ignore[no-untyped-def]
    """Layer 0 from the inputs' CSR form: per sample, only its non-zero inputs are touched.

    Sample-major accumulation in ``S0`` (BLOCK, n0), then transposed into ``S``.
    """
    u0 = layout[0, L_UNIT]
    n = layout[0, L_SIZE]
    w0 = layout[0, L_W]
    bias = weights[w0 : w0 + n]
    for b in range(nb):
        srow = S0[b]
        for j in range(n):
            srow[j] = bias[j]
        s = start + b
        for p in range(csr_ptr[s], csr_ptr[s + 1]):
            x = csr_val[p]
            row = w0 + (csr_idx[p] + 1) * n
            wrow = weights[row : row + n]
            for j in range(n):
                srow[j] += x * wrow[j]
    for j in range(n):
        dst = S[u0 + j]
        for b in range(nb):
            dst[b] = S0[b, j]
    _activate_rows(U, S, nb, u0, n, act_id, steep)


@jit
def _sparse_slopes_first(E, E0, nb, start, csr_ptr, csr_idx, csr_val, layout, G):  # type: ignore[no-untyped-def]
    """Layer 0's slopes from the inputs' CSR form (deltas transposed into ``E0`` first)."""
    u0 = layout[0, L_UNIT]
    n = layout[0, L_SIZE]
    w0 = layout[0, L_W]
    for j in range(n):
        src = E[u0 + j]
        for b in range(nb):
            E0[b, j] = src[b]
    gbias = G[w0 : w0 + n]
    for b in range(nb):
        erow = E0[b]
        for j in range(n):
            gbias[j] += erow[j]
        s = start + b
        for p in range(csr_ptr[s], csr_ptr[s + 1]):
            x = csr_val[p]
            row = w0 + (csr_idx[p] + 1) * n
            grow = G[row : row + n]
            for j in range(n):
                grow[j] += x * erow[j]


@jit
def _add_slope(G, i, acc):  # type: ignore[no-untyped-def]
    if abs(acc) >= TINY:
        G[i] += acc


@jit
def _source_slopes(G, U, E, NZ, off, nc, lo, u0, n, w0, nb, zero):  # type: ignore[no-untyped-def]
    """``G[1 + k, j] += sum_b U[lo + k, b] * E[u0 + j, b]`` for the listed source rows ``k``.

    Dot products over the block, tiled 2 sources x 2 neurons so each loaded value feeds two
    multiply-adds (about 1.5-2x faster than one dot product at a time).
    """
    t = 0
    while t + 1 < nc:
        k0 = NZ[off + t]
        k1 = NZ[off + t + 1]
        ur0 = U[lo + k0]
        ur1 = U[lo + k1]
        row0 = w0 + (k0 + 1) * n
        row1 = w0 + (k1 + 1) * n
        j = 0
        while j + 1 < n:
            er0 = E[u0 + j]
            er1 = E[u0 + j + 1]
            a00 = zero
            a01 = zero
            a10 = zero
            a11 = zero
            for b in range(nb):
                x0 = ur0[b]
                x1 = ur1[b]
                e0 = er0[b]
                e1 = er1[b]
                a00 += x0 * e0
                a01 += x0 * e1
                a10 += x1 * e0
                a11 += x1 * e1
            _add_slope(G, row0 + j, a00)
            _add_slope(G, row0 + j + 1, a01)
            _add_slope(G, row1 + j, a10)
            _add_slope(G, row1 + j + 1, a11)
            j += 2
        if j < n:
            er0 = E[u0 + j]
            a00 = zero
            a10 = zero
            for b in range(nb):
                e0 = er0[b]
                a00 += ur0[b] * e0
                a10 += ur1[b] * e0
            _add_slope(G, row0 + j, a00)
            _add_slope(G, row1 + j, a10)
        t += 2
    if t < nc:
        k0 = NZ[off + t]
        ur0 = U[lo + k0]
        row0 = w0 + (k0 + 1) * n
        for j in range(n):
            er0 = E[u0 + j]
            a00 = zero
            for b in range(nb):
                a00 += ur0[b] * er0[b]
            _add_slope(G, row0 + j, a00)


@jit
def _backward_block(
    U, S, E, nb, weights, layout, act_id, steep, NZ, NC, nzoff, first_neuron, G, dense_first
):  # type: ignore[no-untyped-def]
    """Accumulate FANN slopes (negative gradient) of the block into ``G``.

    ``E`` must hold the output deltas and zeros in every hidden row. Hidden deltas are
    multiplied by the derivative once every later layer has added to them. With
    ``dense_first=False`` layer 0's slopes are left to `_sparse_slopes_first`.
    """
    n_layers = layout.shape[0]
    # accumulate in the weights' dtype: a float64 accumulator would stop float32 dot
    # products from vectorising (FANN sums float slopes too)
    zero = G.dtype.type(0)
    for li in range(n_layers - 1, -1, -1):
        u0, n, lo, hi, w0 = _layer_fields(layout, li)
        off = nzoff[li]
        if li < n_layers - 1:
            _derive_rows(E, U, S, nb, u0, n, act_id, steep)
        if li == 0 and not dense_first:
            break
        _bias_slopes(G, E, u0, n, w0, nb)
        _source_slopes(G, U, E, NZ, off, NC[li], lo, u0, n, w0, nb, zero)
        if li > 0:
            for k in range(max(lo, first_neuron) - lo, hi - lo):
                target = E[lo + k]
                row = w0 + (k + 1) * n
                for j in range(n):
                    w = weights[row + j]
                    erow = E[u0 + j]
                    for b in range(nb):
                        target[b] += w * erow[b]


@jit
def _load_block_sparse(U, nb, start, csr_ptr, csr_idx, csr_val, n_in):  # type: ignore[no-untyped-def]
    """Bias and input rows of ``U`` from the CSR inputs (zeros, then the non-zeros)."""
    for b in range(nb):
        U[0, b] = 1.0
    for i in range(n_in):
        urow = U[1 + i]
        for b in range(nb):
            urow[b] = 0.0
    for b in range(nb):
        s = start + b
        for p in range(csr_ptr[s], csr_ptr[s + 1]):
            U[1 + csr_idx[p], b] = csr_val[p]


# ---------------------------------------------------------------------------- update rules


@jit
def _irpropm_update(weights, G, prev_steps, prev_slopes, inc, dec, dmin, dmax):  # type: ignore[no-untyped-def]
    """FANN's iRPROP- (``fann_update_weights_irpropm``), quirks kept: the step is floored at
    1e-4 before use; on a sign change the slope is zeroed *and the weight still moves* by the
    reduced step (upwards, since the zeroed slope is not negative); weights clip at ±1500."""
    for i in range(weights.shape[0]):
        prev_step = max(prev_steps[i], RPROP_STEP_FLOOR)
        slope = G[i]
        if abs(slope) < TINY:
            slope = 0.0
        if prev_slopes[i] * slope >= 0.0:
            step = min(prev_step * inc, dmax)
        else:
            step = max(prev_step * dec, dmin)
            slope = 0.0
        if slope < 0.0:
            weights[i] = max(weights[i] - step, -WEIGHT_LIMIT)
        else:
            weights[i] = min(weights[i] + step, WEIGHT_LIMIT)
        prev_steps[i] = step
        prev_slopes[i] = slope
        G[i] = 0.0


@jit
def _quickprop_update(weights, G, prev_steps, prev_slopes, epsilon, decay, mu, shrink):  # type: ignore[no-untyped-def]
    """FANN's Quickprop (``fann_update_weights_quickprop``).

    ``epsilon = learning_rate / n`` and ``shrink = mu / (1 + mu)``; all arithmetic stays in the
    weights' dtype like FANN's (the quadratic step amplifies rounding differences).
    """
    for i in range(weights.shape[0]):
        w = weights[i]
        prev_step = prev_steps[i]
        slope = G[i] + decay * w
        prev_slope = prev_slopes[i]
        if prev_step > 0.001:
            step = epsilon * slope if slope > 0.0 else slope - slope
            if slope > shrink * prev_slope:
                step += mu * prev_step
            else:
                step += prev_step * slope / (prev_slope - slope)
        elif prev_step < -0.001:
            step = epsilon * slope if slope < 0.0 else slope - slope
            if slope < shrink * prev_slope:
                step += mu * prev_step
            else:
                step += prev_step * slope / (prev_slope - slope)
        else:
            step = epsilon * slope
        if abs(step) < TINY:
            step = slope - slope
        prev_steps[i] = step
        weights[i] = min(max(w + step, -WEIGHT_LIMIT), WEIGHT_LIMIT)
        prev_slopes[i] = slope
        G[i] = 0.0


@jit
def _batch_update(weights, G, epsilon):  # type: ignore[no-untyped-def]
    """FANN's plain batch gradient step (``fann_update_weights_batch``); no momentum, no clip."""
    for i in range(weights.shape[0]):
        weights[i] += G[i] * epsilon
        G[i] = 0.0


@jit
def _next_uniform(state):  # type: ignore[no-untyped-def]
    """xorshift64* in ``state[S_RNG]``; uniform float in [0, 1)."""
    x = np.uint64(state[S_RNG])
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    state[S_RNG] = np.int64(x)
    return float((x * np.uint64(2685821657736338717)) >> np.uint64(11)) / 9007199254740992.0


@jit
def _sarprop_update(weights, G, prev_steps, prev_slopes, params, mse, state):  # type: ignore[no-untyped-def]
    """FANN's SARPROP (``fann_update_weights_sarprop``). One deviation: when the previous slope
    is zero FANN stores a stale step left over from the previous weight (an uninitialised-variable
    bug); here the step used (``prev_step``) is stored."""
    inc = params[P_INC]
    dec = params[P_DEC]
    dmax = params[P_DMAX]
    epoch = float(state[S_SARPROP_EPOCH])
    temp = params[P_SA_TEMPERATURE]
    decay = 2.0 ** (-temp * epoch + params[P_SA_DECAY_SHIFT])
    noise = 2.0 ** (-temp * epoch + params[P_SA_ERROR_SHIFT])
    threshold = params[P_SA_THRESHOLD] * mse
    rmse = math.sqrt(mse)
    for i in range(weights.shape[0]):
        prev_step = max(prev_steps[i], SARPROP_STEP_FLOOR)
        slope = -G[i] - weights[i] * decay
        same = prev_slopes[i] * slope
        if same > 0.0:
            step = min(prev_step * inc, dmax)
            if slope < 0.0:
                weights[i] += step
            else:
                weights[i] -= step
        elif same < 0.0:
            if prev_step < threshold:
                step = prev_step * dec + _next_uniform(state) * rmse * noise
            else:
                step = max(prev_step * dec, SARPROP_STEP_FLOOR)
            slope = 0.0
        else:
            step = prev_step
            if slope < 0.0:
                weights[i] += prev_step
            else:
                weights[i] -= prev_step
        prev_steps[i] = step
        prev_slopes[i] = slope
        G[i] = 0.0
    state[S_SARPROP_EPOCH] += 1


# ---------------------------------------------------------------------------- epoch drivers


@jit
def _stop_reached(stop_bit, mse, bf, desired):  # type: ignore[no-untyped-def]
    """FANN's ``fann_desired_error_reached``."""
    if stop_bit:
        return bf <= desired
    return mse <= desired


@jit
def _batch_epoch(  # type: ignore[no-untyped-def]
    XT, TT, csr_ptr, csr_idx, csr_val, weights, layout, act_id, steep, algo, params, err_tanh,
    G, prev_steps, prev_slopes, state, U, S, E, S0, NZ, NC, nzoff, s_lo, s_hi,
):  # fmt: skip
    """One full-batch epoch: slopes of samples ``s_lo..s_hi`` summed into ``G``, then
    ``algo``'s update (`_update`).

    Returns FANN's (sum of squared errors, bit fails) of the epoch's forward pass (before the
    update). ``algo = ALGO_NONE`` leaves the slopes in ``G`` and the weights untouched; a
    non-finite error also skips the update (the caller reports it).

    Inputs come dense and transposed (``XT``) or, when ``csr_ptr`` is non-empty, as CSR rows
    (``csr_ptr``/``csr_idx``/``csr_val``): then layer 0 only touches each sample's non-zero
    inputs, and the input rows of ``U`` are filled only if a later layer reads them (shortcut).
    The Python caller loops over epochs (one call each): keeping that loop out of numba halves
    the JIT compile time, and costs ~20 us per epoch.
    """
    n_units = act_id.shape[0]
    out0 = n_units - TT.shape[0]
    first_neuron = layout[0, L_UNIT]
    n_in = first_neuron - 1
    sparse = csr_ptr.shape[0] > 0
    first_layer = layout[0, L_UNIT] * 0 + (1 if sparse else 0)
    inputs_read_later = False
    for li in range(1, layout.shape[0]):
        inputs_read_later |= layout[li, L_SRC_LO] < first_neuron
    bit_limit = params[P_BIT_LIMIT]
    sse = 0.0
    bf = 0
    for start in range(s_lo, s_hi, BLOCK):
        nb = min(BLOCK, s_hi - start)
        if sparse:
            for b in range(nb):
                U[0, b] = 1.0
            if inputs_read_later:
                _load_block_sparse(U, nb, start, csr_ptr, csr_idx, csr_val, n_in)
            _sparse_forward_first(
                U, S, S0, nb, start, csr_ptr, csr_idx, csr_val, weights, layout, act_id, steep
            )
        else:
            _load_block(U, XT, start, nb)
        _forward_block(U, S, nb, weights, layout, act_id, steep, NZ, NC, nzoff, first_layer)
        for u in range(first_neuron, out0):
            erow = E[u]
            for b in range(nb):
                erow[b] = 0.0
        s, f = _output_errors(U, S, E, TT, start, nb, out0, act_id, steep, err_tanh, bit_limit)
        sse += s
        bf += f
        _backward_block(
            U, S, E, nb, weights, layout, act_id, steep, NZ, NC, nzoff, first_neuron, G, not sparse
        )
        if sparse:
            _sparse_slopes_first(E, S0, nb, start, csr_ptr, csr_idx, csr_val, layout, G)
    if algo != ALGO_NONE:
        _update(
            algo,
            params,
            weights,
            G,
            prev_steps,
            prev_slopes,
            state,
            sse / ((s_hi - s_lo) * TT.shape[0]),
        )
    return sse, bf


@jit
def _update(algo, params, weights, G, prev_steps, prev_slopes, state, mse):  # type: ignore[no-untyped-def]
    """Apply ``algo``'s weight update from the summed slopes ``G`` (which it zeroes).

    ``mse`` is the epoch's error (SARPROP uses it); if it is not finite the update is skipped.
    """
    if not math.isfinite(mse):
        G[:] = 0.0
    elif algo == ALGO_RPROP:
        _irpropm_update(
            weights, G, prev_steps, prev_slopes,
            params[P_INC], params[P_DEC], params[P_DMIN], params[P_DMAX],
        )  # fmt: skip
    elif algo == ALGO_QUICKPROP:
        _quickprop_update(
            weights, G, prev_steps, prev_slopes,
            params[P_EPSILON], params[P_QP_DECAY], params[P_QP_MU], params[P_QP_SHRINK],
        )  # fmt: skip
    elif algo == ALGO_SARPROP:
        _sarprop_update(weights, G, prev_steps, prev_slopes, params, mse, state)
    else:
        _batch_update(weights, G, params[P_EPSILON])


@jit
def _incremental_backward_update(
    U, S, E, weights, layout, act_id, steep, first_neuron, lr, momentum, prev_deltas, one
):  # type: ignore[no-untyped-def]
    """FANN's ``fann_backpropagate_MSE`` + ``fann_update_weights`` for one sample (column 0).

    Each layer's deltas are propagated with the old weights before that layer is updated, which
    is the order FANN uses (all deltas first, then all updates).
    """
    n_layers = layout.shape[0]
    zero = weights.dtype.type(0)
    for li in range(n_layers - 1, -1, -1):
        u0, n, lo, hi, w0 = _layer_fields(layout, li)
        if li < n_layers - 1:
            _derive_rows(E, U, S, one, u0, n, act_id, steep)
        if li > 0:
            for k in range(max(lo, first_neuron) - lo, hi - lo):
                row = w0 + (k + 1) * n
                acc = zero
                for j in range(n):
                    acc += weights[row + j] * E[u0 + j, 0]
                E[lo + k, 0] += acc
        for r in range(hi - lo + 1):
            x = 1.0 if r == 0 else U[lo + r - 1, 0]
            row = w0 + r * n
            for j in range(n):
                dw = lr * E[u0 + j, 0] * x + momentum * prev_deltas[row + j]
                weights[row + j] += dw
                prev_deltas[row + j] = dw


@jit
def _train_incremental_epochs(  # type: ignore[no-untyped-def]
    XT, TT, weights, layout, act_id, steep, params, err_tanh, stop_bit, shuffle,
    prev_deltas, state, n_epochs, mse_out, bf_out,
):  # fmt: skip
    """FANN's incremental training (``fann_train_epoch_incremental``): update after every sample.

    Samples are visited in file order, or in a fresh random order per epoch when ``shuffle``.
    Same return convention as `_train_batch_epochs`.
    """
    n_in, n = XT.shape
    n_out = TT.shape[0]
    n_units = act_id.shape[0]
    first_neuron = 1 + n_in
    out0 = n_units - n_out
    nzoff = _nz_offsets(layout)
    U = np.empty((n_units, 1), dtype=weights.dtype)
    S = np.zeros((n_units, 1), dtype=weights.dtype)
    E = np.zeros((n_units, 1), dtype=weights.dtype)
    T1 = np.empty((n_out, 1), dtype=weights.dtype)
    NZ = np.empty(max(nzoff[-1], 1), dtype=np.int64)
    NC = np.empty(layout.shape[0], dtype=np.int64)
    order = np.arange(n)
    # typed (non-literal) 0 and 1, so callees shared with the batch path are not compiled
    # again for literal arguments
    zero_i = n * 0
    one = zero_i + 1
    lr = params[P_LR]
    momentum = params[P_MOMENTUM]
    bit_limit = params[P_BIT_LIMIT]
    desired = params[P_DESIRED]
    denom = float(n * n_out)
    for e in range(n_epochs):
        if shuffle:
            for i in range(n - 1, 0, -1):
                j = int(_next_uniform(state) * (i + 1))
                order[i], order[j] = order[j], order[i]
        sse = 0.0
        bf = 0
        for i in range(n):
            idx = order[i]
            U[0, 0] = 1.0
            for k in range(n_in):
                U[1 + k, 0] = XT[k, idx]
            for j in range(n_out):
                T1[j, 0] = TT[j, idx]
            _forward_block(U, S, one, weights, layout, act_id, steep, NZ, NC, nzoff, zero_i)
            for u in range(first_neuron, out0):
                E[u, 0] = 0.0
            s, f = _output_errors(
                U, S, E, T1, zero_i, one, out0, act_id, steep, err_tanh, bit_limit
            )
            sse += s
            bf += f
            _incremental_backward_update(
                U,
                S,
                E,
                weights,
                layout,
                act_id,
                steep,
                first_neuron,
                lr,
                momentum,
                prev_deltas,
                one,
            )
        mse = sse / denom
        mse_out[e] = mse
        bf_out[e] = bf
        if not math.isfinite(mse):
            return -e - 1
        if _stop_reached(stop_bit, mse, bf, desired):
            return e + 1
    return n_epochs
