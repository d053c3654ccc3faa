"""Forward-pass kernels (numba). Layout conventions are documented in `neural._network`.

All kernels work on a block of samples held in a unit buffer ``U`` of shape (block, n_units)
(column 0 = bias 1.0, columns 1..n_in = inputs, then every neuron) and the matching buffer ``S``
of neuron sums (``z = steepness * net``, clipped like FANN). The inner loops run over the
neurons of one layer (contiguous weight rows), which LLVM vectorises.
"""

from __future__ import annotations

import numpy as np

from ._activations import _activate
from ._config import jit

# Samples per block: the block's units/sums stay in L1/L2 while each weight row is reused.
BLOCK = 64

# layout columns (one row per non-input layer)
L_UNIT, L_SIZE, L_SRC_LO, L_SRC_HI, L_W = 0, 1, 2, 3, 4


@jit
def _forward_block(U, S, nb, weights, layout, act_id, steep):  # type: ignore[no-untyped-def]
    """Fill the neuron columns of ``U``/``S`` for rows ``0..nb`` (inputs and bias already set)."""
    for li in range(layout.shape[0]):
        u0 = layout[li, L_UNIT]
        n = layout[li, L_SIZE]
        lo = layout[li, L_SRC_LO]
        hi = layout[li, L_SRC_HI]
        w0 = layout[li, L_W]
        for b in range(nb):
            for j in range(n):
                S[b, u0 + j] = weights[w0 + j]
            for k in range(hi - lo):
                x = U[b, lo + k]
                # one-hot / binary inputs are mostly 0: skipping them is exact and saves work
                if x != 0.0:
                    row = w0 + (k + 1) * n
                    for j in range(n):
                        S[b, u0 + j] += x * weights[row + j]
        for j in range(n):
            u = u0 + j
            s = steep[u]
            lim = 150.0 / s
            aid = act_id[u]
            for b in range(nb):
                z = S[b, u] * s
                if z > lim:
                    z = lim
                elif z < -lim:
                    z = -lim
                S[b, u] = z
                U[b, u] = _activate(aid, z)


@jit
def _load_block(U, X, start, nb, n_in):  # type: ignore[no-untyped-def]
    for b in range(nb):
        U[b, 0] = 1.0
        for i in range(n_in):
            U[b, 1 + i] = X[start + b, i]


@jit
def _run_batch(X, weights, layout, act_id, steep, out_lo, Y):  # type: ignore[no-untyped-def]
    """Outputs (units ``out_lo..``) for every row of ``X`` into ``Y``."""
    n, n_in = X.shape
    n_units = act_id.shape[0]
    n_out = Y.shape[1]
    U = np.empty((BLOCK, n_units), dtype=weights.dtype)
    S = np.empty((BLOCK, n_units), dtype=weights.dtype)
    for start in range(0, n, BLOCK):
        nb = min(BLOCK, n - start)
        _load_block(U, X, start, nb, n_in)
        _forward_block(U, S, nb, weights, layout, act_id, steep)
        for b in range(nb):
            for j in range(n_out):
                Y[start + b, j] = U[b, out_lo + j]


@jit
def _all_units(X, weights, layout, act_id, steep, V, Z):  # type: ignore[no-untyped-def]
    """Every unit's value into ``V`` and every sum into ``Z`` (both (n, n_units))."""
    n, n_in = X.shape
    n_units = act_id.shape[0]
    U = np.empty((BLOCK, n_units), dtype=weights.dtype)
    S = np.zeros((BLOCK, n_units), dtype=weights.dtype)
    for start in range(0, n, BLOCK):
        nb = min(BLOCK, n - start)
        _load_block(U, X, start, nb, n_in)
        _forward_block(U, S, nb, weights, layout, act_id, steep)
        for b in range(nb):
            for u in range(n_units):
                V[start + b, u] = U[b, u]
                Z[start + b, u] = S[b, u]
