"""Full-batch slopes of wide layered networks through BLAS matrix products.

The numba block kernels (`neural._train_kernels._batch_epoch`) stream every multiply-add
through L1 with two loads per FMA at best, which caps them near a third of a core's FP32 peak.
Once layers are a few hundred units wide, the three products per layer (forward sums, slopes,
deltas back to the previous layer) are real matrix products, and OpenBLAS's sgemm runs them
near peak. This module does those products with ``np.matmul`` into preallocated views and
keeps everything else (bias, FANN's activation and derivative, output error, flushing of tiny
values) in small numba kernels shared with the block path, so the results are FANN's up to
float summation order.

Layout is the block kernels' (feature-major ``(unit, sample)`` buffers), with a wider chunk of
samples so that each product is large enough for BLAS; the inputs' transposed copy ``XT`` is
read in place as the first layer's source (a strided view, no copy).

Only layered networks take this path (each layer reads exactly the previous one): then every
delta row is written by one product and never accumulated. Shortcut networks, sparse (CSR)
inputs and narrow layers stay on the block kernels.

BLAS must run single-threaded here: the caller splits samples over its own threads (see
`neural._blas`), so that ``threads=N`` means N cores and the result depends only on N.
"""

from __future__ import annotations

from typing import Any, Final, NamedTuple

import numpy as np

from ._config import ensure_compiled, jit
from ._forward_kernels import L_SIZE, L_SRC_HI, L_SRC_LO, L_UNIT, _activate_rows, _source_sums
from ._train_kernels import TINY, _bias_slopes, _derive_rows, _output_errors

# Unit-samples per chunk buffer row block: a chunk's sums/values/deltas of one layer stay
# within L2/L3 while BLAS still gets products of >= 128 columns.
CHUNK_ELEMENTS: Final[int] = 256 * 1024
MIN_CHUNK: Final[int] = 128
MAX_CHUNK: Final[int] = 2048
# Layers narrower than this (typically the outputs) are done by numba loops: BLAS products
# with an inner dimension of a few units run far below peak (numpy's K=1 product is ~5x
# slower than a plain loop), and the loops fuse the derivative into the back-propagation.
NARROW: Final[int] = 16


def is_layered(layout: np.ndarray) -> bool:
    """True if every layer's sources are exactly the previous layer (or the inputs)."""
    prev_lo, prev_hi = 1, int(layout[0, L_UNIT])
    for li in range(layout.shape[0]):
        lo, hi = int(layout[li, L_SRC_LO]), int(layout[li, L_SRC_HI])
        if lo != prev_lo or hi != prev_hi:
            return False
        prev_lo = int(layout[li, L_UNIT])
        prev_hi = prev_lo + int(layout[li, L_SIZE])
    return True


def chunk_samples(layout: np.ndarray) -> int:
    """Samples per chunk for this network: wide layers get fewer, multiple of 128."""
    widest = int(layout[:, L_SIZE].max())
    c = CHUNK_ELEMENTS // max(widest, 1)
    c = max(MIN_CHUNK, min(MAX_CHUNK, c))
    return c // MIN_CHUNK * MIN_CHUNK


@jit
def _bias_activate(U, S, nb, u0, n, bias, act_id, steep):  # type: ignore[no-untyped-def]
    """Add the layer's bias to the product in ``S`` rows ``u0..u0+n``, then FANN's activation."""
    for j in range(n):
        srow = S[u0 + j]
        bj = bias[j]
        for b in range(nb):
            srow[b] += bj
    _activate_rows(U, S, nb, u0, n, act_id, steep)


@jit
def _add_slopes(G, w0, n, E, u0, nb, P, n_src):  # type: ignore[no-untyped-def]
    """``G``'s bias slopes += row sums of the deltas; weight slopes += the product ``P``
    (n_src, n); like the block path, a chunk's partial sum below `TINY` is dropped."""
    _bias_slopes(G, E, u0, n, w0, nb)
    for k in range(n_src):
        prow = P[k]
        g = G[w0 + (k + 1) * n : w0 + (k + 2) * n]
        for j in range(n):
            p = prow[j]
            g[j] += p if abs(p) >= TINY else p - p


@jit
def _narrow_forward(U, S, nb, weights, u0, n, lo, hi, w0, act_id, steep, every):  # type: ignore[no-untyped-def]
    """Sums and values of a narrow layer: the block path's loop over every source row
    (``every`` = 0, 1, 2, ...: no rows are skipped here)."""
    _source_sums(S, U, nb, weights, u0, n, lo, w0, every, 0, hi - lo)
    _activate_rows(U, S, nb, u0, n, act_id, steep)


@jit
def _narrow_backward(G, U, S, E, nb, weights, u0, n, lo, hi, w0, prop, act_id, steep):  # type: ignore[no-untyped-def]
    """Slopes of a narrow layer into ``G`` and, if ``prop``, the previous layer's deltas
    (assigned, then multiplied by the derivative while the row is in L1)."""
    zero = G.dtype.type(0)
    _bias_slopes(G, E, u0, n, w0, nb)
    for k in range(hi - lo):
        urow = U[lo + k]
        row = w0 + (k + 1) * n
        for j in range(n):
            erow = E[u0 + j]
            acc = zero
            for b in range(nb):
                acc += urow[b] * erow[b]
            if abs(acc) >= TINY:
                G[row + j] += acc
        if prop:
            target = E[lo + k]
            w = weights[row]
            erow = E[u0]
            for b in range(nb):
                target[b] = w * erow[b]
            for j in range(1, n):
                w = weights[row + j]
                erow = E[u0 + j]
                for b in range(nb):
                    target[b] += w * erow[b]
            _derive_rows(E, U, S, nb, lo + k, 1, act_id, steep)


class SlopeArgs(NamedTuple):
    """What `slopes` and `warm` read: the transposed inputs and targets, the network's
    arrays, FANN's error settings, one thread's slopes ``G`` and its `workspace`."""

    XT: np.ndarray
    TT: np.ndarray
    weights: np.ndarray
    layout: np.ndarray
    act_id: np.ndarray
    steep: np.ndarray
    err_tanh: bool
    bit_limit: Any
    G: np.ndarray
    work: tuple[np.ndarray, ...]


def _every_source(layout: np.ndarray) -> np.ndarray:
    return np.arange(int((layout[:, L_SRC_HI] - layout[:, L_SRC_LO]).max()), dtype=np.int64)


def workspace(net_units: int, layout: np.ndarray, dtype: np.dtype[Any]) -> tuple[np.ndarray, ...]:
    """Per-thread buffers ``(U, S, E, P)`` for `slopes`; ``P`` (flat) holds one layer's
    chunk slopes, so it is as large as the largest layer's weight block."""
    c = chunk_samples(layout)
    U = np.zeros((net_units, c), dtype=dtype)
    block = int(((layout[:, L_SRC_HI] - layout[:, L_SRC_LO]) * layout[:, L_SIZE]).max())
    return U, np.zeros_like(U), np.zeros_like(U), np.zeros(block, dtype=dtype)


def slopes(a: SlopeArgs, s_lo: int, s_hi: int) -> tuple[float, int]:
    """Slopes of samples ``s_lo..s_hi`` added into ``a.G``; returns (sse, bit fails)."""
    XT, TT, weights, layout, act_id, steep, err_tanh, bit_limit, G, work = a
    U, S, E, P = work
    chunk = U.shape[1]
    n_layers = layout.shape[0]
    rows = [tuple(int(v) for v in layout[li]) for li in range(n_layers)]
    out0 = act_id.shape[0] - TT.shape[0]
    mats = [
        weights[w0 + n : w0 + (1 + hi - lo) * n].reshape(hi - lo, n) for _, n, lo, hi, w0 in rows
    ]
    every = _every_source(layout)
    sse = 0.0
    fails = 0
    for start in range(s_lo, s_hi, chunk):
        nb = min(chunk, s_hi - start)
        X = XT[:, start : start + nb]
        for li, (u0, n, lo, hi, w0) in enumerate(rows):
            if n < NARROW and li > 0:
                _narrow_forward(U, S, nb, weights, u0, n, lo, hi, w0, act_id, steep, every)
                continue
            src = X if li == 0 else U[lo:hi, :nb]
            np.matmul(mats[li].T, src, out=S[u0 : u0 + n, :nb])
            _bias_activate(U, S, nb, u0, n, weights[w0 : w0 + n], act_id, steep)
        s, f = _output_errors(U, S, E, TT, start, nb, out0, act_id, steep, err_tanh, bit_limit)
        sse += s
        fails += f
        for li in range(n_layers - 1, -1, -1):
            u0, n, lo, hi, w0 = rows[li]
            if li < n_layers - 1 and rows[li + 1][1] >= NARROW:
                _derive_rows(E, U, S, nb, u0, n, act_id, steep)
            if n < NARROW and li > 0:
                _narrow_backward(G, U, S, E, nb, weights, u0, n, lo, hi, w0, True, act_id, steep)
                continue
            src = X if li == 0 else U[lo:hi, :nb]
            deltas = E[u0 : u0 + n, :nb]
            p = P[: (hi - lo) * n].reshape(hi - lo, n)
            np.matmul(src, deltas.T, out=p)
            _add_slopes(G, w0, n, E, u0, nb, p, hi - lo)
            if li > 0:
                np.matmul(mats[li], deltas, out=E[lo:hi, :nb])
    return sse, fails


def warm(a: SlopeArgs) -> float:
    """Compile (or load) the kernels `slopes` calls, with its argument types; seconds spent."""
    _, TT, weights, layout, act_id, steep, err_tanh, bit_limit, G, work = a
    U, S, E, P = work
    i0 = int(layout[0, L_UNIT])
    nb = 0
    bias = weights[:0]
    every = _every_source(layout)
    seconds = ensure_compiled(_bias_activate, U, S, nb, i0, 0, bias, act_id, steep)
    seconds += ensure_compiled(_add_slopes, G, 0, 0, E, i0, nb, P[:0].reshape(0, 0), 0)
    seconds += ensure_compiled(_derive_rows, E, U, S, nb, i0, 0, act_id, steep)
    seconds += ensure_compiled(
        _output_errors, U, S, E, TT, 0, nb, i0, act_id, steep, err_tanh, bit_limit
    )
    seconds += ensure_compiled(
        _narrow_forward, U, S, nb, weights, i0, 0, i0, i0, 0, act_id, steep, every
    )
    seconds += ensure_compiled(
        _narrow_backward, G, U, S, E, nb, weights, i0, 0, i0, i0, 0, True, act_id, steep
    )
    return seconds
