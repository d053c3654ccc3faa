"""Forward-pass kernels (numba). Network layout conventions are in `neural._network`.

Kernels work on a block of up to `BLOCK` samples held *feature-major*: ``U[unit, b]`` is unit
``unit``'s value for sample ``b`` of the block (row 0 = bias 1.0, rows 1..n_in = inputs, then
every neuron) and ``S[unit, b]`` the neuron's sum (``z = steepness * net``, clipped like FANN).
With samples on the contiguous axis every inner loop is a long, unit-stride loop over the block
(``S[j, :] += w[k, j] * U[k, :]``), which LLVM vectorises without per-row set-up costs; the
gradient becomes a dot product over the block. Source rows that are zero for the whole block
(one-hot inputs, saturated units) are skipped, which is exact.

Inputs arrive transposed as well (``XT[i, sample]``), so loading a block copies contiguous rows.
"""

from __future__ import annotations

import numpy as np

from ._activations import MAX_SUM, _activate, _sigmoid_stepwise, _sigmoid_stepwise32
from ._config import jit

# Samples per block: long enough to amortise loop set-up, small enough that a block's
# units/sums/deltas stay in L2 for networks of a few hundred units.
BLOCK = 128

# layout columns (one row per non-input layer)
L_UNIT, L_SIZE, L_SRC_LO, L_SRC_HI, L_W = 0, 1, 2, 3, 4


@jit
def _uniform_activation(act_id, u0, n):  # type: ignore[no-untyped-def]
    """The layer's activation id if all its neurons share it, else -1."""
    a = act_id[u0]
    for j in range(1, n):
        if act_id[u0 + j] != a:
            return -1
    return a


@jit
def _activate_rows(U, S, nb, u0, n, act_id, steep):  # type: ignore[no-untyped-def]
    """``S`` rows ``u0..u0+n`` hold ``net``; make them FANN's clipped sums and fill ``U``."""
    aid = _uniform_activation(act_id, u0, n)
    for u in range(u0, u0 + n):
        s = steep[u]
        lim = MAX_SUM / s
        srow = S[u]
        urow = U[u]
        if aid == 4 and srow.itemsize == 4:
            # FANN's default gets a branch-free float32 loop that vectorises
            for b in range(nb):
                z = srow[b] * s
                # FANN's clip; written as compares so that a NaN sum stays NaN (as in FANN)
                z = lim if z > lim else (-lim if z < -lim else z)
                srow[b] = z
                urow[b] = _sigmoid_stepwise32(z)
        elif aid == 4:
            for b in range(nb):
                z = srow[b] * s
                z = lim if z > lim else (-lim if z < -lim else z)
                srow[b] = z
                urow[b] = _sigmoid_stepwise(z)
        else:
            # act_id[u] is re-read inside the loop on purpose: a hoisted, loop-invariant id
            # lets LLVM unswitch the loop into one copy per activation, which costs seconds
            # of JIT time for a path that only non-default activations take
            for b in range(nb):
                z = srow[b] * s
                # FANN's clip; written as compares so that a NaN sum stays NaN (as in FANN)
                z = lim if z > lim else (-lim if z < -lim else z)
                srow[b] = z
                urow[b] = _activate(act_id[u], z)


@jit
def _load_block(U, XT, start, nb):  # type: ignore[no-untyped-def]
    """Bias row and input rows of the block from the transposed inputs ``XT``."""
    for b in range(nb):
        U[0, b] = 1.0
    for i in range(XT.shape[0]):
        urow = U[1 + i]
        xrow = XT[i]
        for b in range(nb):
            urow[b] = xrow[start + b]


@jit
def _layer_fields(layout, li):  # type: ignore[no-untyped-def]
    """Layer ``li``'s first unit, size, source rows ``lo..hi`` and first weight."""
    return (
        layout[li, L_UNIT],
        layout[li, L_SIZE],
        layout[li, L_SRC_LO],
        layout[li, L_SRC_HI],
        layout[li, L_W],
    )


@jit
def _source_sums(S, U, nb, weights, u0, n, lo, w0, NZ, off, c):  # type: ignore[no-untyped-def]
    """``S`` rows ``u0..u0+n`` = bias + the weighted source rows ``U[lo + NZ[off + t]]``,
    ``t < c`` (the block path lists the non-zero rows; the BLAS path's narrow layers all)."""
    for j in range(n):
        srow = S[u0 + j]
        bias = weights[w0 + j]
        for b in range(nb):
            srow[b] = bias
        # four sources per pass over the row: 5 loads + 1 store per 4 multiply-adds
        # instead of 2 loads + 1 store per multiply-add (~1.3x faster)
        t = 0
        while t + 3 < c:
            ka = NZ[off + t]
            kb = NZ[off + t + 1]
            kc = NZ[off + t + 2]
            kd = NZ[off + t + 3]
            wa = weights[w0 + (ka + 1) * n + j]
            wb = weights[w0 + (kb + 1) * n + j]
            wc = weights[w0 + (kc + 1) * n + j]
            wd = weights[w0 + (kd + 1) * n + j]
            ua = U[lo + ka]
            ub = U[lo + kb]
            uc = U[lo + kc]
            ud = U[lo + kd]
            for b in range(nb):
                srow[b] += (wa * ua[b] + wb * ub[b]) + (wc * uc[b] + wd * ud[b])
            t += 4
        while t < c:
            k = NZ[off + t]
            w = weights[w0 + (k + 1) * n + j]
            urow = U[lo + k]
            for b in range(nb):
                srow[b] += w * urow[b]
            t += 1


@jit
def _forward_block(U, S, nb, weights, layout, act_id, steep, NZ, NC, nzoff, first_layer):  # type: ignore[no-untyped-def]
    """Fill the neuron rows of layers ``first_layer..`` of ``U``/``S`` for columns ``0..nb``
    (bias, inputs and earlier layers already set).

    Records in ``NZ[nzoff[l] : nzoff[l] + NC[l]]`` the source rows (relative to ``src_lo``)
    of layer ``l`` that are non-zero somewhere in the block; the backward pass reuses them.
    """
    for li in range(first_layer, layout.shape[0]):
        u0, n, lo, hi, w0 = _layer_fields(layout, li)
        off = nzoff[li]
        c = 0
        for k in range(hi - lo):
            urow = U[lo + k]
            nz = False
            for b in range(nb):
                nz |= urow[b] != 0.0
            NZ[off + c] = k
            c += nz
        NC[li] = c
        _source_sums(S, U, nb, weights, u0, n, lo, w0, NZ, off, c)
        _activate_rows(U, S, nb, u0, n, act_id, steep)


@jit
def _nz_offsets(layout):  # type: ignore[no-untyped-def]
    off = np.zeros(layout.shape[0] + 1, dtype=np.int64)
    for li in range(layout.shape[0]):
        off[li + 1] = off[li] + layout[li, L_SRC_HI] - layout[li, L_SRC_LO]
    return off


@jit
def _all_units(XT, weights, layout, act_id, steep, V, Z, first_col):  # type: ignore[no-untyped-def]
    """Unit values into ``V`` and sums into ``Z`` (both (n, n_cols)) for units ``first_col..``.

    ``first_col = n_units - n_out`` gives just the outputs (``fann_run``); 0 gives every unit.
    """
    n = XT.shape[1]
    n_units = act_id.shape[0]
    nzoff = _nz_offsets(layout)
    U = np.empty((n_units, BLOCK), dtype=weights.dtype)
    S = np.zeros((n_units, BLOCK), dtype=weights.dtype)
    NZ = np.empty(max(nzoff[-1], 1), dtype=np.int64)
    NC = np.empty(layout.shape[0], dtype=np.int64)
    for start in range(0, n, BLOCK):
        nb = min(BLOCK, n - start)
        _load_block(U, XT, start, nb)
        _forward_block(U, S, nb, weights, layout, act_id, steep, NZ, NC, nzoff, n * 0)
        for u in range(first_col, n_units):
            for b in range(nb):
                V[start + b, u - first_col] = U[u, b]
        if Z.shape[0] > 0:
            for u in range(first_col, n_units):
                for b in range(nb):
                    Z[start + b, u - first_col] = S[u, b]
