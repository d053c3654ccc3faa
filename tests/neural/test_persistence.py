"""Native (bit-exact) and FANN .net persistence, checked against libfann 2.2's own outputs."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from neural import Network, NetworkFormatError, Scaler, TrainingData, read_fann_data

LIBFANN_NETS = ["xor_trained", "mixed_standard", "shortcut_scaled", "cascade_xor"]


def _trained_like_net() -> Network:
    net = Network.shortcut([3, 4, 2], hidden_activation="elliot", seed=9, dtype=np.float64)
    net._add_hidden_neuron(np.linspace(-1, 1, 1 + 3 + 4), "sin", 0.3, np.array([0.25, -0.5]))
    rng = np.random.default_rng(1)
    net.scaler = Scaler.fit(TrainingData(rng.normal(size=(20, 3)), rng.normal(size=(20, 2))))
    return net


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_native_round_trip_is_bit_exact(tmp_path: pathlib.Path, dtype: type) -> None:
    net = Network.standard([4, 7, 3, 2], hidden_activation="gaussian", seed=2, dtype=dtype)
    net.weights[:] = np.random.default_rng(0).normal(size=net.n_connections)
    back = Network.from_bytes(net.to_bytes())
    assert back == net and back.weights.dtype == dtype
    assert back.weights.tobytes() == net.weights.tobytes()
    fancy = _trained_like_net()
    fancy.save(tmp_path / "n.npz")
    loaded = Network.load(tmp_path / "n.npz")
    assert loaded == fancy and loaded.is_shortcut and loaded.scaler == fancy.scaler
    X = np.random.default_rng(3).normal(size=(5, 3))
    np.testing.assert_array_equal(loaded.predict(X), fancy.predict(X))


@pytest.mark.parametrize("blob", [b"", b"not a zip", np.zeros(3).tobytes()])
def test_native_rejects_garbage(blob: bytes) -> None:
    with pytest.raises(NetworkFormatError):
        Network.from_bytes(blob)


def test_native_rejects_inconsistent_archive() -> None:
    import io

    net = Network.standard([2, 2, 1])
    buf = io.BytesIO()
    np.savez(buf, weights=net.weights[:-1], act_id=net.act_id, steepness=net.steepness,
             layer_sizes=np.array([2, 2, 1]), meta=np.frombuffer(b'{"format": "neural.network", "version": 1, "shortcut": false}', dtype=np.uint8))  # fmt: skip
    with pytest.raises(NetworkFormatError, match="weights"):
        Network.from_bytes(buf.getvalue())


@pytest.mark.parametrize("name", LIBFANN_NETS)
def test_libfann_files_load_and_match_libfann_outputs(data_dir: pathlib.Path, name: str) -> None:
    lib = data_dir / "libfann"
    net = Network.load_fann(lib / f"{name}.net")
    recorded = read_fann_data(lib / f"{name}.outputs")  # inputs and libfann's fann_run outputs
    np.testing.assert_allclose(net.run(recorded.inputs), recorded.outputs, atol=1e-5)


def test_scaling_parameters_load_from_fann(data_dir: pathlib.Path) -> None:
    net = Network.load_fann(data_dir / "libfann" / "shortcut_scaled.net")
    assert net.scaler is not None
    p = net.scaler.params()
    assert p["inputs"]["mean"] == pytest.approx([11.2, 208.0])
    assert p["outputs"]["factor"] == pytest.approx([0.5])
    assert net.describe()["scaled"] is True


@pytest.mark.parametrize("name", LIBFANN_NETS)
def test_fann_save_load_round_trip(
    tmp_path: pathlib.Path, data_dir: pathlib.Path, name: str
) -> None:
    net = Network.load_fann(data_dir / "libfann" / f"{name}.net")
    net.save_fann(tmp_path / "again.net")
    assert Network.load_fann(tmp_path / "again.net") == net


def test_our_fann_file_is_what_libfann_ran(data_dir: pathlib.Path, tmp_path: pathlib.Path) -> None:
    # ours_random.net was written by save_fann; libfann 2.2 loaded it and computed
    # ours_random.libfann for the inputs of ours_random.data
    lib = data_dir / "libfann"
    net = Network.load_fann(lib / "ours_random.net")
    data = read_fann_data(lib / "ours_random.data")
    libfann_out = np.loadtxt(lib / "ours_random.libfann", ndmin=2)
    np.testing.assert_allclose(net.run(data.inputs), libfann_out, atol=1e-5)
    net.save_fann(tmp_path / "same.net")
    assert (tmp_path / "same.net").read_text() == (lib / "ours_random.net").read_text()


def test_fann_writer_refuses_activations_libfann_lacks(tmp_path: pathlib.Path) -> None:
    with pytest.raises(NetworkFormatError, match="relu"):
        Network.standard([2, 2, 1], hidden_activation="relu").save_fann(tmp_path / "x.net")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("FANN_FIX_2.0\n", "unsupported header"),
        ("FANN_FLO_2.1\nnum_layers=2\n", "missing field"),
        (
            "FANN_FLO_2.1\nnum_layers=2\nnetwork_type=0\nlayer_sizes=3 2 \nscale_included=0\n"
            "neurons (num_inputs, activation_function, activation_steepness)=(0, 0, 0.0) \n"
            "connections (connected_to_neuron, weight)=\n",
            "neurons listed",
        ),
    ],
)
def test_fann_reader_errors(tmp_path: pathlib.Path, text: str, match: str) -> None:
    path = tmp_path / "bad.net"
    path.write_text(text)
    with pytest.raises(NetworkFormatError, match=match):
        Network.load_fann(path)
