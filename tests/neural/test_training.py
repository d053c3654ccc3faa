"""Training: libfann trajectories, update-rule invariants, stop conditions, callbacks."""

from __future__ import annotations

import pathlib
import threading

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from neural import (
    ConfigError,
    Network,
    NonFiniteError,
    ShapeError,
    TrainConfig,
    TrainingData,
    evaluate,
    read_fann_data,
    train,
)
from neural import _train_kernels as K
from neural._train import split_threads

from . import _reference as ref

# (recorded prefix, algorithm, error function, extra config) -- files made with libfann 2.2
# from the same initial .net (see tests/data/libfann/README.md)
TRAJECTORIES = [
    ("rprop_std", "rprop", "tanh", {}),
    ("rprop_short_sym", "rprop", "linear", {}),
    ("batch_std", "batch", "tanh", {}),
    ("incremental_std", "incremental", "tanh", {"learning_rate": 0.3, "learning_momentum": 0.4}),
]


@pytest.mark.parametrize(("prefix", "algorithm", "error_function", "extra"), TRAJECTORIES)
def test_training_follows_libfann_trajectory(
    data_dir: pathlib.Path, prefix: str, algorithm: str, error_function: str, extra: dict
) -> None:
    lib = data_dir / "libfann"
    data = read_fann_data(data_dir / "diabetes120.data")
    net = Network.load_fann(lib / f"{prefix}_init.net")
    recorded = np.loadtxt(lib / f"{prefix}_mse.txt")
    history = train(
        net,
        data,
        TrainConfig(algorithm=algorithm, error_function=error_function, max_epochs=40, **extra),
    )
    np.testing.assert_allclose(history.mse, recorded[:, 0], rtol=1e-5)
    assert history.bit_fail == [int(v) for v in recorded[:, 1]]
    final = Network.load_fann(lib / f"{prefix}_final.net")
    np.testing.assert_allclose(net.weights, final.weights, atol=1e-4)


def test_quickprop_follows_libfann_while_rounding_stays_small(data_dir: pathlib.Path) -> None:
    # Quickprop's quadratic step divides by slope differences, which amplifies float rounding
    # differences after ~10 epochs; before that the trajectories agree to float precision.
    lib = data_dir / "libfann"
    data = read_fann_data(data_dir / "diabetes120.data")
    net = Network.load_fann(lib / "quickprop_std_init.net")
    recorded = np.loadtxt(lib / "quickprop_std_mse.txt")
    history = train(net, data, TrainConfig(algorithm="quickprop", max_epochs=10))
    np.testing.assert_allclose(history.mse, recorded[:10, 0], rtol=1e-5)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-5, 5),
            st.floats(-3, 3),
            st.floats(0, 60),
            st.floats(-3, 3),
        ),
        min_size=1,
        max_size=40,
    ),
    st.floats(0, 0.01),
    st.floats(0.5, 60),
)
def test_irpropm_step_invariants(rows: list, dmin: float, dmax: float) -> None:
    w, slope, prev_step, prev_slope = (
        np.array(c, dtype=np.float64) for c in zip(*rows, strict=True)
    )
    prev_step = np.clip(prev_step, dmin, dmax)
    W, G, S, P = w.copy(), slope.copy(), prev_step.copy(), prev_slope.copy()
    K._irpropm_update(W, G, S, P, 1.2, 0.5, dmin, dmax)
    # slopes below TINY are flushed to 0 before use (subnormals are slow); else exactly FANN
    flushed = np.where(np.abs(slope) < K.TINY, 0.0, slope)
    exp_w, exp_step, exp_slope = ref.irpropm_step(
        w, flushed, prev_step, prev_slope, 1.2, 0.5, dmin, dmax
    )
    np.testing.assert_allclose(W, exp_w, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(S, exp_step, rtol=1e-12)
    assert np.all((dmin <= S) & (dmax >= S))
    assert np.all(G == 0)  # slopes are consumed
    flipped = prev_slope * flushed < 0
    # FANN quirk: after a sign change the slope is forgotten and the weight still moves (upwards)
    assert np.all(P[flipped] == 0)
    assert np.all(W[flipped] >= np.minimum(w[flipped], 1500))
    same = ~flipped & (flushed != 0)
    assert np.all(np.sign(W[same] - w[same]) * np.sign(flushed[same]) >= 0)
    np.testing.assert_array_equal(P, exp_slope)


@settings(max_examples=300, deadline=None)
@given(
    st.floats(-10, 10), st.floats(-5, 5), st.floats(-2, 2), st.floats(-5, 5), st.floats(1e-4, 0.1)
)
def test_quickprop_step_matches_reference(
    w: float, slope: float, prev_step: float, prev_slope: float, eps: float
) -> None:
    assume(abs(prev_slope - (slope - 0.0001 * w)) > 1e-9)  # FANN divides by this difference
    W, G = np.array([w]), np.array([slope])
    S, P = np.array([prev_step]), np.array([prev_slope])
    K._quickprop_update(W, G, S, P, eps, -0.0001, 1.75, 1.75 / 2.75)
    exp_w, exp_step, exp_slope = ref.quickprop_step(w, slope, prev_step, prev_slope, eps)
    assert W[0] == pytest.approx(exp_w, rel=1e-9, abs=1e-9)
    assert S[0] == pytest.approx(exp_step if abs(exp_step) >= K.TINY else 0.0, rel=1e-9, abs=1e-12)
    assert P[0] == pytest.approx(exp_slope, rel=1e-12, abs=1e-15)


def xor(data_dir: pathlib.Path) -> TrainingData:
    return read_fann_data(data_dir / "xor.data")


def xor_net(seed: int = 1) -> Network:
    # FANN's examples/xor_train.c settings
    return Network.standard([2, 3, 1], hidden_activation="sigmoid_symmetric", output_activation="sigmoid_symmetric",
                            hidden_steepness=1.0, output_steepness=1.0, seed=seed)  # fmt: skip


def test_xor_is_solved(data_dir: pathlib.Path) -> None:
    data = xor(data_dir)
    net = xor_net()
    history = train(net, data, TrainConfig(max_epochs=1000, desired_error=0.001))
    assert history.stop_reason == "desired_error"
    assert history.mse[-1] <= 0.001 and history.epochs == len(history.mse) < 1000
    assert np.array_equal(np.sign(net.run(data.inputs)), data.outputs)


def test_bit_stop_function(data_dir: pathlib.Path) -> None:
    history = train(
        xor_net(2),
        xor(data_dir),
        TrainConfig(stop_function="bit", desired_error=0, max_epochs=1000),
    )
    assert history.stop_reason == "bit_fail" and history.bit_fail[-1] == 0


def test_diabetes_reaches_fann_train_mse(data_dir: pathlib.Path) -> None:
    # FANN 2.2, 8-32-2, defaults, 300 epochs: train MSE 0.098 (median of 3 seeds)
    data = read_fann_data(data_dir / "diabetes.train")
    finals = []
    for seed in (1, 3, 5):
        net = Network.standard([8, 32, 2], seed=seed)
        train(net, data, TrainConfig(max_epochs=300))
        finals.append(evaluate(net, data).mse)
    assert float(np.median(finals)) <= 0.098 * 1.1


def test_history_mse_is_the_real_mse_of_each_epoch(data_dir: pathlib.Path) -> None:
    data = read_fann_data(data_dir / "diabetes120.data")
    net = Network.standard([8, 5, 2], seed=4, dtype=np.float64)
    snapshots = [net.weights.copy()]
    history = train(
        net,
        data,
        TrainConfig(max_epochs=6),
        callback=lambda r: snapshots.append(net.weights.copy()),
    )
    for epoch, mse in enumerate(history.mse):
        probe = net.copy()
        probe.weights[:] = snapshots[epoch]  # weights before that epoch's update
        expected, bit_fail = ref.error_terms(probe, data.inputs, data.outputs)
        assert mse == pytest.approx(expected, rel=1e-10)
        assert history.bit_fail[epoch] == bit_fail
    assert history.to_dict()["epochs"] == 6


def test_callback_false_stops(data_dir: pathlib.Path) -> None:
    seen = []

    def cb(report):  # type: ignore[no-untyped-def]
        seen.append(report.epoch)
        return report.epoch < 6

    history = train(Network.standard([8, 4, 2], seed=1), read_fann_data(data_dir / "diabetes120.data"),
                    TrainConfig(max_epochs=100, report_every=3), callback=cb)  # fmt: skip
    assert seen == [3, 6] and history.stop_reason == "callback" and history.epochs == 6


def test_callback_exception_propagates_with_last_completed_epoch(data_dir: pathlib.Path) -> None:
    net = Network.standard([8, 4, 2], seed=1)
    kept = {}

    def cb(report):  # type: ignore[no-untyped-def]
        kept[report.epoch] = net.weights.copy()
        if report.epoch == 4:
            raise KeyboardInterrupt("cancelled")

    with pytest.raises(KeyboardInterrupt):
        train(
            net,
            read_fann_data(data_dir / "diabetes120.data"),
            TrainConfig(max_epochs=50),
            callback=cb,
        )
    assert np.array_equal(net.weights, kept[4])


def test_reports_land_on_multiples_and_the_last_epoch(data_dir: pathlib.Path) -> None:
    seen = []
    train(Network.standard([8, 4, 2], seed=1), read_fann_data(data_dir / "diabetes120.data"),
          TrainConfig(max_epochs=10, report_every=4), callback=lambda r: seen.append((r.epoch, r.mse)))  # fmt: skip
    assert [e for e, _ in seen] == [4, 8, 10]


def test_max_seconds_stops(data_dir: pathlib.Path) -> None:
    data = read_fann_data(data_dir / "diabetes.train")
    history = train(
        Network.standard([8, 16, 2], seed=1), data, TrainConfig(max_epochs=10**8, max_seconds=0.2)
    )
    assert history.stop_reason == "max_seconds" and 0.2 <= history.seconds < 2.0
    # batch algorithms check the clock every epoch, even when reports are rare
    seen = []
    history = train(Network.standard([8, 16, 2], seed=1), data,
                    TrainConfig(max_epochs=10**8, max_seconds=0.2, report_every=10**8), callback=seen.append)  # fmt: skip
    assert history.stop_reason == "max_seconds" and history.seconds < 2.0
    assert [r.epoch for r in seen] == [history.epochs]  # the final report


@pytest.mark.parametrize("algorithm", ["quickprop", "batch", "incremental", "sarprop"])
def test_other_algorithms_reduce_the_error(data_dir: pathlib.Path, algorithm: str) -> None:
    data = read_fann_data(data_dir / "diabetes.train")
    history = train(
        Network.standard([8, 16, 2], seed=2), data, TrainConfig(algorithm=algorithm, max_epochs=150)
    )
    # plain batch descent with FANN's learning rate (0.7 / n per epoch) is slow by design
    assert history.mse[-1] < (0.95 if algorithm == "batch" else 0.8) * history.mse[0]
    assert history.algorithm == algorithm


def test_incremental_seed_shuffles_reproducibly(data_dir: pathlib.Path) -> None:
    data = read_fann_data(data_dir / "diabetes120.data")
    runs = []
    for seed in (None, 7, 7):
        net = Network.standard([8, 4, 2], seed=1)
        train(net, data, TrainConfig(algorithm="incremental", max_epochs=3, seed=seed))
        runs.append(net.weights)
    assert not np.array_equal(runs[0], runs[1]) and np.array_equal(runs[1], runs[2])


def test_non_finite_error_raises() -> None:
    # FANN's weight and sum clipping keep ordinary training finite, so poke the weights
    # directly: the sum becomes inf + (-inf) = NaN, which must surface as an error
    net = Network.standard([2, 1], output_activation="linear", seed=1)
    net.weights[:] = [np.inf, -np.inf, 0.0]
    data = TrainingData([[1.0, 0.5]], [[0.5]])
    with pytest.raises(NonFiniteError, match="diverged"):
        train(net, data, TrainConfig(max_epochs=5))


def test_refuses_untrainable_and_mismatched(data_dir: pathlib.Path) -> None:
    data = xor(data_dir)
    with pytest.raises(ConfigError, match="threshold"):
        train(Network.standard([2, 3, 1], hidden_activation="threshold"), data)
    with pytest.raises(ShapeError):
        train(Network.standard([3, 3, 1]), data)
    with pytest.raises(ConfigError, match="config"):
        train(xor_net(), data, {"max_epochs": 3})  # type: ignore[arg-type]


def test_concurrent_training_matches_sequential(data_dir: pathlib.Path) -> None:
    data = read_fann_data(data_dir / "diabetes.train")
    nets = [Network.standard([8, 16, 2], seed=s) for s in range(4)]
    expected = []
    for n in nets:
        c = n.copy()
        train(c, data, TrainConfig(max_epochs=30))
        expected.append(c.weights)
    threads = [
        threading.Thread(target=train, args=(n, data, TrainConfig(max_epochs=30))) for n in nets
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for n, w in zip(nets, expected, strict=True):
        assert np.array_equal(n.weights, w)


def test_threads_split_samples_with_the_same_result() -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(8000, 6))
    data = TrainingData(X, (X[:, :2] * X[:, 2:4] > 0).astype(float))
    # enough work for two threads, narrow enough for the block kernels
    assert split_threads(2, 8000, Network.standard([6, 40, 2]).n_connections) == 2
    runs = []
    for threads in (1, 2):
        net = Network.standard([6, 40, 2], init="fann", seed=1)
        h = train(net, data, TrainConfig(max_epochs=15, threads=threads))
        runs.append((h, net))
    np.testing.assert_allclose(runs[1][0].mse, runs[0][0].mse, rtol=1e-4)
    assert runs[1][0].bit_fail == runs[0][0].bit_fail
    np.testing.assert_allclose(runs[1][1].weights, runs[0][1].weights, atol=1e-3)
