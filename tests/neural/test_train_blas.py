"""The BLAS path for wide layered networks (`neural._train_blas`): FANN's slopes like the NumPy
reference and the block kernels, which networks take it, BLAS held to one thread while it
runs, and the work-based thread split."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import neural
from neural import Network, TrainConfig, TrainingData, _blas, train
from neural import _train as T
from neural import _train_blas as B
from neural._train import input_layouts

from . import _reference as ref

ROOT = Path(__file__).resolve().parents[2]

# layer sizes chosen to reach every branch: wide (BLAS) hidden layers, a narrow hidden layer
# fed back through the narrow kernels, wide and narrow output layers
NETS = {
    "wide_hidden": [5, 130, 3],
    "narrow_between_wide": [3, 140, 9, 40, 2],
    "wide_output": [4, 20, 130, 18],
}
ACTS = ["sigmoid_symmetric", "sigmoid", "elliot", "linear", "sigmoid_stepwise", "gaussian"]


def build(sizes: list[int], dtype: Any = np.float64) -> Network:
    net = Network.standard(sizes, weight_range=0.4, seed=3, dtype=dtype)
    rng = np.random.default_rng(len(sizes))
    first = 1 + sizes[0]
    for u in range(first, net.n_units):
        net.act_id[u] = neural.ACTIVATIONS.index(ACTS[u % len(ACTS)])
        net.steepness[u] = (0.5, 0.9, 1.3)[u % 3]
    net.weights[:] = rng.uniform(-0.4, 0.4, size=net.n_connections)
    return net


def blas_slopes(
    net: Network, X: np.ndarray, Y: np.ndarray, err_tanh: bool, chunk: int = 128
) -> tuple[np.ndarray, float, int]:
    dt = net.dtype
    XT = input_layouts(X, dt, sparse=False)[0]
    TT = np.ascontiguousarray(Y.T, dtype=dt)
    U, S, E, P = B.workspace(net.n_units, net.layout, dt)
    # a narrow chunk, so that a few hundred samples make full chunks and a partial one
    U, S, E = (np.zeros((net.n_units, chunk), dtype=dt) for _ in range(3))
    G = np.zeros(net.n_connections, dtype=dt)
    args = B.SlopeArgs(XT, TT, net.weights, net.layout, net.act_id, net.steepness, err_tanh,
                       dt.type(0.35), G, (U, S, E, P))  # fmt: skip
    B.warm(args)
    sse, fails = B.slopes(args, 0, X.shape[0])
    return G, sse, fails


@pytest.mark.parametrize("name", sorted(NETS))
@pytest.mark.parametrize("err", ["linear", "tanh"])
def test_slopes_match_numpy_backprop(name: str, err: str) -> None:
    net = build(NETS[name])
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, size=(300, net.n_inputs))
    Y = rng.choice([0.0, 1.0], size=(300, net.n_outputs))
    G, sse, fails = blas_slopes(net, X, Y, err_tanh=err == "tanh")
    np.testing.assert_allclose(G, ref.slopes(net, X, Y, err), rtol=1e-9, atol=1e-9)
    mse, bit_fail = ref.error_terms(net, X, Y)
    assert sse / Y.size == pytest.approx(mse, rel=1e-12)
    assert fails == bit_fail


def test_float32_slopes_close_to_float64() -> None:
    net64 = build(NETS["narrow_between_wide"])
    net32 = Network(net64.layer_sizes, shortcut=False, weights=net64.weights.astype(np.float32),
                    act_id=net64.act_id, steepness=net64.steepness.astype(np.float32))  # fmt: skip
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, size=(500, net64.n_inputs))
    Y = rng.uniform(0, 1, size=(500, net64.n_outputs))
    g64 = blas_slopes(net64, X, Y, True)[0]
    g32 = blas_slopes(net32, X, Y, True)[0]
    np.testing.assert_allclose(g32, g64, rtol=1e-3, atol=1e-3)


def regression(n: int, n_in: int, seed: int = 0) -> TrainingData:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=(n, n_in))
    return TrainingData(x, 0.2 + 0.6 * x[:, :1] * x[:, 1:2])


def test_wide_layered_dense_nets_take_the_blas_path() -> None:
    rprop = T._ALGO_CODES["rprop"]
    wide = Network.standard([4, T.BLAS_MIN_UNITS, 1])
    n = -(-T.BLAS_MIN_WORK // wide.n_connections)
    assert T.uses_blas(wide, rprop, sparse_inputs=False, n_samples=n)
    assert not T.uses_blas(wide, rprop, sparse_inputs=False, n_samples=n - 1)  # little work
    assert not T.uses_blas(wide, rprop, sparse_inputs=True, n_samples=n)
    assert not T.uses_blas(wide, T._ALGO_CODES["incremental"], sparse_inputs=False, n_samples=n)
    narrow = Network.standard([4, T.BLAS_MIN_UNITS - 1, 1])
    assert not T.uses_blas(narrow, rprop, False, 10**6)  # FANN-sized: the block kernels
    assert not T.uses_blas(Network.shortcut([4, T.BLAS_MIN_UNITS, 1]), rprop, False, 10**6)


@pytest.mark.parametrize("algorithm", ["rprop", "quickprop", "batch", "sarprop"])
def test_training_matches_the_block_kernels(
    algorithm: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = regression(700, 6)
    cfg = TrainConfig(algorithm=algorithm, max_epochs=12, learning_rate=0.3, seed=5)  # type: ignore[arg-type]
    runs = []
    for min_units in (T.BLAS_MIN_UNITS, 10**9):
        monkeypatch.setattr(T, "BLAS_MIN_UNITS", min_units)
        net = build([6, 150, 1])
        runs.append((train(net, data, cfg), net))
    (blas, blas_net), (block, block_net) = runs
    np.testing.assert_allclose(blas.mse, block.mse, rtol=1e-9)
    np.testing.assert_allclose(blas_net.weights, block_net.weights, rtol=1e-9, atol=1e-12)


def test_two_threads_give_the_one_thread_result() -> None:
    data = regression(3000, 8)
    runs = []
    for threads in (1, 2):
        net = Network.standard([8, 200, 1], init="fann", seed=1)
        hist = train(net, data, TrainConfig(max_epochs=10, threads=threads))
        runs.append((hist, net))
    np.testing.assert_allclose(runs[1][0].mse, runs[0][0].mse, rtol=1e-4)
    np.testing.assert_allclose(runs[1][1].weights, runs[0][1].weights, atol=1e-3)


@pytest.mark.parametrize("threads", [1, 2])
def test_resumed_blas_run_is_bit_identical(threads: int) -> None:
    data = regression(2500, 4)
    cfg = TrainConfig(max_epochs=12, threads=threads)
    whole_net = Network.standard([4, 160, 1], init="fann", seed=2)
    whole = train(whole_net, data, cfg, callback=lambda r: None).mse
    net = Network.standard([4, 160, 1], init="fann", seed=2)
    taken: list[neural.TrainState] = []

    def stop_at_5(report: neural.EpochReport) -> bool:
        if report.epoch == 5:
            taken.append(report.train_state())
            return False
        return True

    first = train(net, data, cfg, callback=stop_at_5).mse
    rest = train(net, data, TrainConfig(max_epochs=7, threads=threads), state=taken[0]).mse
    assert first + rest == whole
    assert np.array_equal(net.weights, whole_net.weights)


def blas_threads() -> list[int]:
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


@pytest.mark.parametrize("in_thread", [False, True])
def test_blas_is_single_threaded_while_training_and_restored_after(in_thread: bool) -> None:
    assert _blas.available()
    before = blas_threads()
    seen: list[list[int]] = []
    data = regression(600, 4)

    def run() -> None:
        train(Network.standard([4, 130, 1]), data, TrainConfig(max_epochs=3),
              callback=lambda r: seen.append(blas_threads()))  # fmt: skip

    if in_thread:  # as the swarm engine trains: from a worker thread
        t = threading.Thread(target=run)
        t.start()
        t.join()
    else:
        run()
    assert len(seen) == 3 and all(t == [1] * len(before) for t in seen)
    assert blas_threads() == before


def test_overlapping_trainings_share_the_limit() -> None:
    before = blas_threads()
    inside = threading.Event()
    leave = threading.Event()

    def hold() -> None:
        with _blas.single_threaded():
            inside.set()
            leave.wait(10)

    t = threading.Thread(target=hold)
    t.start()
    assert inside.wait(10)
    with _blas.single_threaded():
        assert set(blas_threads()) == {1}
    # the first holder is still inside: leaving the second must not restore the old limit
    assert set(blas_threads()) == {1}
    leave.set()
    t.join()
    assert blas_threads() == before


def test_threads_split_by_samples_times_connections() -> None:
    per = T.MIN_WORK_PER_THREAD
    assert T.split_threads(2, 2000, 8705) == 2  # 2,000 samples, 32-256-1
    assert T.split_threads(2, 2000, 34817) == 2  # 2,000 samples, 32-1024-1
    assert (
        T.split_threads(2, 2048, 1089) == 1
    )  # 2,048 samples, 32-32-1: a second core gains nothing
    assert T.split_threads(2, 3600, 803) == 2  # thyroid, 21-32-3
    assert T.split_threads(2, per // 1000, 1000) == 1  # little work: one thread
    assert T.split_threads(8, 300, 10**7) == 3  # no thread without a block of samples
    assert T.split_threads(1, 10**6, 10**6) == 1
    assert T.split_threads(4, 3 * per, 1) == 3


WARM_CHECK = """
import numpy as np
from neural import Network, TrainConfig, TrainingData, train
from neural import _train as T, _train_blas as B
kernels = [B._bias_activate, B._add_slopes, B._derive_rows, B._output_errors,
           B._narrow_forward, B._narrow_backward]
real_warm = T._Trainer.warm
def warm(self):
    seconds = real_warm(self)
    for k in kernels:  # from here on a missing specialisation raises instead of compiling
        k.disable_compile()
    return seconds
T._Trainer.warm = warm
x = np.random.default_rng(0).uniform(0, 1, size=(400, 3))
data = TrainingData(x, np.repeat(x[:, :1] * x[:, 1:2], 2, axis=1))
net = Network.standard([3, 140, 9, 40, 2])
assert T.uses_blas(net, T._ALGO_CODES["rprop"], False, 400)
h = train(net, data, TrainConfig(max_epochs=2, threads=2))
assert h.compile_seconds > 0.0
print("ok")
"""


@pytest.mark.slow
def test_warm_compiles_every_kernel_the_epochs_call(tmp_path: Any) -> None:
    # a fresh process and an empty JIT cache, so that nothing compiled by other tests hides a
    # kernel that `warm` forgets (it would then compile inside the timed epochs)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", WARM_CHECK], env=env, capture_output=True,
                         text=True, timeout=600, cwd=str(ROOT))  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"


def test_slope_buffer_is_one_layer_block_not_widest_by_widest() -> None:
    layout = Network.standard([300, 10, 300]).layout
    P = B.workspace(int(layout[-1, 0] + layout[-1, 1]), layout, np.dtype(np.float32))[3]
    assert P.size == 300 * 10
