"""Network construction, forward pass against a NumPy reference, and the cascade hooks."""

from __future__ import annotations

import numpy as np
import pytest

from neural import ACTIVATIONS, ConfigError, Network, NonFiniteError, ShapeError

from . import _reference as ref


def _random_activations(net: Network, rng: np.random.Generator) -> None:
    usable = [i for i, n in enumerate(ACTIVATIONS) if n != "gaussian_stepwise"]
    first = 1 + net.n_inputs
    net.act_id[first:] = rng.choice(usable, size=net.n_units - first)
    net.steepness[first:] = rng.uniform(0.3, 1.5, size=net.n_units - first)


@pytest.mark.parametrize("shortcut", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_run_matches_numpy_reference(shortcut: bool, dtype: type) -> None:
    rng = np.random.default_rng(4)
    make = Network.shortcut if shortcut else Network.standard
    net = make([5, 7, 4, 3], weight_range=1.0, seed=1, dtype=dtype)
    _random_activations(net, rng)
    X = rng.normal(size=(300, 5))  # more than one block of samples
    V, _ = ref.forward(net, X.astype(dtype))
    tol = 2e-5 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(net.run(X), V[:, -3:], atol=tol)
    np.testing.assert_allclose(net.run(X[7]), V[7, -3:], atol=tol)
    values, sums = net._activations(X)
    np.testing.assert_allclose(values, V, atol=tol)
    _, Z = ref.forward(net, X.astype(dtype))
    np.testing.assert_allclose(sums[:, 1 + 5 :], Z[:, 1 + 5 :], rtol=1e-5, atol=tol)


def test_zero_inputs_are_skipped_exactly() -> None:
    net = Network.standard([40, 8, 2], weight_range=1.0, seed=3, dtype=np.float64)
    X = np.zeros((50, 40))
    X[np.arange(50), np.arange(50) % 40] = 1.0  # one-hot rows
    V, _ = ref.forward(net, X)
    np.testing.assert_allclose(net.run(X), V[:, -2:], atol=1e-12)


def test_fann_defaults_and_properties() -> None:
    net = Network.standard([3, 4, 2], seed=0)
    assert net.layer_sizes == (3, 4, 2)
    assert (net.n_inputs, net.n_outputs, net.n_hidden) == (3, 2, 4)
    assert net.n_connections == (3 + 1) * 4 + (4 + 1) * 2  # FANN's count, bias included
    assert net.dtype == np.float32 and not net.is_shortcut
    assert np.all(np.abs(net.weights) <= 0.1)
    d = net.describe()
    assert d["activations"] == ["sigmoid_stepwise", "sigmoid_stepwise"]
    assert d["steepnesses"] == [0.5, 0.5]
    assert d["n_connections"] == 26
    short = Network.shortcut([3, 4, 2], seed=0)
    assert short.n_connections == (3 + 1) * 4 + (3 + 4 + 1) * 2
    assert short.is_shortcut


def test_seed_makes_weights_reproducible() -> None:
    a = Network.standard([4, 6, 1], seed=11)
    b = Network.standard([4, 6, 1], seed=11)
    c = Network.standard([4, 6, 1], seed=12)
    assert a == b and a != c


def test_widrow_nguyen_scales_hidden_weights() -> None:
    net = Network.standard([4, 10, 1], init="widrow_nguyen", seed=2, dtype=np.float64)
    block = net.layer_weights(0)
    beta = 0.7 * 10 ** (1 / 4)
    np.testing.assert_allclose(np.linalg.norm(block[1:], axis=0), beta)
    assert np.all(np.abs(block[0]) <= beta)
    assert np.all(np.abs(net.layer_weights(1)) <= 0.1)


def test_copy_is_independent() -> None:
    net = Network.standard([2, 3, 1], seed=1)
    twin = net.copy()
    twin.weights[0] += 1
    assert net != twin


def test_add_hidden_neuron_matches_reference_and_grows_output_block() -> None:
    net = Network.shortcut([3, 2], weight_range=0.5, seed=5, dtype=np.float64)
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(20, 3))
    before = net.run(X)
    net._add_hidden_neuron(np.zeros(4), "sigmoid_symmetric", 0.5, np.zeros(2))
    np.testing.assert_allclose(net.run(X), before)  # zero weights change nothing
    win = rng.normal(size=1 + 3 + 1)
    wout = rng.normal(size=2)
    net._add_hidden_neuron(win, "gaussian", 0.75, wout)
    assert net.layer_sizes == (3, 1, 1, 2) and net.n_hidden == 2
    V, _ = ref.forward(net, X)
    np.testing.assert_allclose(net.run(X), V[:, -2:], atol=1e-12)
    np.testing.assert_allclose(net.layer_weights(1)[:, 0], win)
    np.testing.assert_allclose(net.layer_weights(2)[-1], wout)
    # the new neuron is unit 1 + n_in + n_hidden_before, right before the outputs
    values, _ = net._activations(X)
    h = ref.activation(7, np.clip(0.75 * (win[0] + values[:, 1:5] @ win[1:]), -200, 200))
    np.testing.assert_allclose(values[:, 5], h, atol=1e-12)


def test_add_hidden_neuron_validates() -> None:
    net = Network.shortcut([2, 1], seed=0)
    with pytest.raises(ShapeError, match="in_weights"):
        net._add_hidden_neuron(np.zeros(2), "sigmoid", 0.5, np.zeros(1))
    with pytest.raises(ConfigError):
        net._add_hidden_neuron(np.zeros(3), "nope", 0.5, np.zeros(1))
    with pytest.raises(ConfigError, match="shortcut"):
        Network.standard([2, 1])._add_hidden_neuron(np.zeros(3), "sigmoid", 0.5, np.zeros(1))


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"layers": [3]}, ShapeError, "at least"),
        ({"layers": [3, 0, 1]}, ShapeError, r"layers\[1\]"),
        ({"layers": [3, 2.5, 1]}, ShapeError, r"layers\[1\]"),
        ({"layers": [2, 1], "hidden_activation": "tanh"}, ConfigError, "hidden_activation"),
        ({"layers": [2, 1], "output_steepness": 0}, ConfigError, "output_steepness"),
        ({"layers": [2, 1], "init": "xavier"}, ConfigError, "init"),
        ({"layers": [2, 1], "weight_range": -1}, ConfigError, "weight_range"),
        ({"layers": [2, 1], "dtype": np.int32}, ConfigError, "dtype"),
    ],
)
def test_construction_errors(kwargs: dict, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        Network.standard(**kwargs)


def test_run_rejects_bad_inputs() -> None:
    net = Network.standard([3, 2, 1])
    with pytest.raises(ShapeError):
        net.run(np.zeros(4))
    with pytest.raises(ShapeError):
        net.run(np.zeros((2, 2)))
    with pytest.raises(NonFiniteError):
        net.run([0.0, np.nan, 1.0])
    assert net.run(np.zeros((0, 3))).shape == (0, 1)


@pytest.mark.parametrize(
    ("name", "sizes", "shortcut", "seed"),
    [("init_std_1", [3, 4, 2], False, 1), ("init_short_2", [5, 3, 2], True, 2)],
)
def test_fann_init_reproduces_libfann_weights(
    data_dir, name: str, sizes: list[int], shortcut: bool, seed: int
) -> None:  # type: ignore[no-untyped-def]
    recorded = Network.load_fann(data_dir / "libfann" / f"{name}.net")
    make = Network.shortcut if shortcut else Network.standard
    net = make(sizes, init="fann", seed=seed)
    assert np.array_equal(net.weights, recorded.weights)


def test_glibc_rand_sequence() -> None:
    from neural._fann_rand import glibc_rand

    # the first values of glibc's rand() after srand(1), as every C program on glibc sees them
    assert glibc_rand(1, 5).tolist() == [1804289383, 846930886, 1681692777, 1714636915, 1957747793]
