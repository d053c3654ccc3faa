"""Batch gradient kernel vs finite differences (float64) and vs a NumPy backprop reference."""

from __future__ import annotations

import numpy as np
import pytest

from neural import Network
from neural import _train_kernels as K
from neural._forward_kernels import BLOCK
from neural._train import input_layouts

from . import _reference as ref


def kernel_slopes(
    net: Network, X: np.ndarray, T: np.ndarray, err_tanh: bool, sparse: bool = False
) -> tuple[np.ndarray, float, int]:
    dt = net.dtype
    XT, ptr, idx, val = input_layouts(X, dt, sparse=sparse)
    assert (ptr.size > 0) == sparse
    TT = np.ascontiguousarray(T.T, dtype=dt)
    layout = net.layout
    nzoff = K._nz_offsets(layout)
    U = np.zeros((net.n_units, BLOCK), dtype=dt)
    S = np.zeros_like(U)
    E = np.zeros_like(U)
    S0 = np.zeros((BLOCK, int(layout[0, 1])), dtype=dt)
    NZ = np.zeros(max(int(nzoff[-1]), 1), dtype=np.int64)
    NC = np.zeros(len(layout), dtype=np.int64)
    G = np.zeros(net.n_connections, dtype=dt)
    params = np.zeros(K.N_PARAMS, dtype=dt)
    params[K.P_BIT_LIMIT] = 0.35
    state = np.zeros(K.N_STATE, dtype=np.int64)
    sse, bf = K._batch_epoch(
        XT, TT, ptr, idx, val, net.weights, layout, net.act_id, net.steepness, K.ALGO_NONE,
        params, err_tanh, G, G.copy(), G.copy(), state, U, S, E, S0, NZ, NC, nzoff, 0, X.shape[0],
    )  # fmt: skip
    return G, sse, bf


def loss(net: Network, X: np.ndarray, T: np.ndarray) -> float:
    """The loss whose negative gradient FANN's slopes are (linear error function)."""
    V, _ = ref.forward(net, X)
    total = 0.0
    for j in range(net.n_outputs):
        u = net.n_units - net.n_outputs + j
        c = 0.25 if int(net.act_id[u]) in ref.SYMMETRIC_IDS else 0.5
        total += c * float(np.sum((T[:, j] - V[:, u]) ** 2))
    return total


NETS = {
    "standard_sigmoids": (False, [4, 6, 5, 2], ["sigmoid_symmetric", "sigmoid"], [0.7, 0.9]),
    "shortcut_mixed": (
        True,
        [3, 4, 3, 2],
        ["elliot", "gaussian", "sin_symmetric", "linear", "cos"],
        [1.0],
    ),
    "standard_elliot_sym": (
        False,
        [5, 7, 1],
        ["elliot_symmetric", "sigmoid_symmetric"],
        [1.3, 0.6],
    ),
}


def build(name: str) -> Network:
    shortcut, sizes, acts, steeps = NETS[name]
    rng = np.random.default_rng(len(name))
    make = Network.shortcut if shortcut else Network.standard
    net = make(sizes, weight_range=0.4, seed=3, dtype=np.float64)
    first = 1 + sizes[0]
    for u in range(first, net.n_units):
        net.act_id[u] = __import__("neural").ACTIVATIONS.index(acts[(u - first) % len(acts)])
        net.steepness[u] = steeps[(u - first) % len(steeps)]
    net.weights[:] = rng.uniform(-0.4, 0.4, size=net.n_connections)
    return net


@pytest.mark.parametrize("name", sorted(NETS))
def test_slopes_are_the_negative_gradient(name: str) -> None:
    net = build(name)
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, size=(2 * BLOCK + 17, net.n_inputs))
    T = rng.uniform(0.2, 0.8, size=(X.shape[0], net.n_outputs))
    G, _, _ = kernel_slopes(net, X, T, err_tanh=False)
    h = 1e-6
    numeric = np.zeros(net.n_connections)
    for i in range(net.n_connections):
        w = net.weights[i]
        net.weights[i] = w + h
        up = loss(net, X, T)
        net.weights[i] = w - h
        down = loss(net, X, T)
        net.weights[i] = w
        numeric[i] = -(up - down) / (2 * h)
    np.testing.assert_allclose(G, numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(NETS))
@pytest.mark.parametrize("err", ["linear", "tanh"])
def test_slopes_match_numpy_backprop(name: str, err: str) -> None:
    net = build(name)
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, size=(150, net.n_inputs))
    T = rng.choice([0.0, 1.0], size=(150, net.n_outputs))
    G, sse, bf = kernel_slopes(net, X, T, err_tanh=err == "tanh")
    np.testing.assert_allclose(G, ref.slopes(net, X, T, err), rtol=1e-9, atol=1e-9)
    mse, bit_fail = ref.error_terms(net, X, T)
    assert sse / T.size == pytest.approx(mse, rel=1e-12)
    assert bf == bit_fail


def test_float32_slopes_close_to_float64() -> None:
    net64 = build("standard_sigmoids")
    net32 = Network(net64.layer_sizes, shortcut=False, weights=net64.weights.astype(np.float32),
                    act_id=net64.act_id, steepness=net64.steepness.astype(np.float32))  # fmt: skip
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, size=(500, 4))
    T = rng.uniform(0, 1, size=(500, 2))
    g64, _, _ = kernel_slopes(net64, X, T, True)
    g32, _, _ = kernel_slopes(net32, X, T, True)
    np.testing.assert_allclose(g32, g64, rtol=1e-3, atol=1e-3)


def test_tiny_deltas_are_flushed_not_subnormal() -> None:
    net = Network.standard([2, 3, 1], hidden_activation="linear", output_activation="linear",
                           hidden_steepness=1e-20, output_steepness=1e-20, dtype=np.float32, seed=1)  # fmt: skip
    X = np.ones((4, 2))
    T = np.ones((4, 1))
    G, _, _ = kernel_slopes(net, X, T, False)
    tiny = np.finfo(np.float32).tiny
    assert np.all((G == 0) | (np.abs(G) >= tiny))


@pytest.mark.parametrize("name", sorted(NETS))
def test_sparse_input_path_matches_dense(name: str) -> None:
    net = build(name)
    rng = np.random.default_rng(5)
    mask = rng.random((BLOCK + 40, net.n_inputs)) < 0.3
    X = rng.uniform(-1, 1, size=mask.shape) * mask
    X[3] = 0.0  # a sample without any non-zero input
    T = rng.uniform(0.1, 0.9, size=(X.shape[0], net.n_outputs))
    dense = kernel_slopes(net, X, T, True, sparse=False)
    sparse = kernel_slopes(net, X, T, True, sparse=True)
    np.testing.assert_allclose(sparse[0], dense[0], rtol=1e-12, atol=1e-12)
    assert sparse[1] == pytest.approx(dense[1], rel=1e-12) and sparse[2] == dense[2]
    np.testing.assert_allclose(sparse[0], ref.slopes(net, X, T, "tanh"), rtol=1e-9, atol=1e-9)
