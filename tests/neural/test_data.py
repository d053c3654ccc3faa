"""TrainingData, FANN .data files and FANN-style scaling."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from neural import (
    ConfigError,
    DataFormatError,
    NonFiniteError,
    NotTrainedError,
    Scaler,
    ShapeError,
    TrainingData,
    read_fann_data,
    write_fann_data,
)


def test_reads_fann_files(data_dir: pathlib.Path) -> None:
    xor = read_fann_data(data_dir / "xor.data")
    assert (xor.n_samples, xor.n_inputs, xor.n_outputs) == (4, 2, 1)
    np.testing.assert_array_equal(xor.inputs, [[-1, -1], [-1, 1], [1, -1], [1, 1]])
    np.testing.assert_array_equal(xor.outputs, [[-1], [1], [1], [-1]])
    diabetes = read_fann_data(data_dir / "diabetes.train", dtype=np.float32)
    assert diabetes.inputs.shape == (384, 8) and diabetes.inputs.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_write_read_round_trip_is_exact(tmp_path: pathlib.Path, dtype: type) -> None:
    rng = np.random.default_rng(0)
    data = TrainingData(
        rng.normal(size=(30, 4)).astype(dtype), rng.integers(0, 2, size=(30, 2)).astype(dtype)
    )
    path = tmp_path / "d.data"
    write_fann_data(data, path)
    assert path.read_text().splitlines()[0] == "30 4 2"
    assert read_fann_data(path, dtype=dtype) == data


MALFORMED = [
    ("", 1, "empty"),
    ("2 2\n", 1, "3 integers"),
    ("2 x 1\n", 1, "3 integers"),
    ("2 2 1\n1 2\n3\n4 5 6\n7\n", 4, "expected 2 inputs, found 3"),
    ("2 2 1\n1 2\n3 4\n", 3, "expected 1 outputs, found 2"),
    ("2 2 1\n1 2\n3\n1 oops\n0\n", 4, "expected a number"),
    ("2 2 1\n1 2\n3\n", 3, "ends early"),
    ("1 2 1\n1 2\n3\n5 5\n", 4, "extra data"),
    ("1 2 1\n1 nan\n3\n", 2, "finite"),
]


@pytest.mark.parametrize(("text", "line", "message"), MALFORMED)
def test_malformed_files_name_the_line(
    tmp_path: pathlib.Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / "bad.data"
    path.write_text(text)
    with pytest.raises(DataFormatError, match=message) as info:
        read_fann_data(path)
    assert info.value.line == line
    assert f"{path}:{line}" in str(info.value)
    assert "oops" not in str(info.value) and "nan" not in str(info.value)


def test_blank_lines_are_ignored(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "blank.data"
    path.write_text("1 1 1\n\n0.5\n\n1\n")
    d = read_fann_data(path)
    assert d.inputs[0, 0] == 0.5 and d.outputs[0, 0] == 1.0


def test_training_data_validation() -> None:
    with pytest.raises(ShapeError, match="samples"):
        TrainingData(np.zeros((3, 2)), np.zeros((4, 1)))
    with pytest.raises(ShapeError, match="2-D"):
        TrainingData(np.zeros(3), np.zeros((3, 1)))
    with pytest.raises(NonFiniteError, match=r"inputs\[1, 0\]"):
        TrainingData([[0.0], [np.inf]], [[0.0], [1.0]])
    with pytest.raises(ShapeError, match="numeric"):
        TrainingData([["a"]], [[1.0]])
    d = TrainingData([[1, 2]], [1])  # ints become float64, 1-D outputs one column
    assert d.inputs.dtype == np.float64 and d.outputs.shape == (1, 1)
    assert not d.inputs.flags.writeable


def test_shuffle_split_subset() -> None:
    d = TrainingData(np.arange(20.0).reshape(10, 2), np.arange(10.0))
    s = d.shuffled(3)
    assert sorted(s.outputs[:, 0]) == list(range(10)) and s == d.shuffled(3) and s != d
    a, b = d.split(0.7)
    assert a.n_samples == 7 and b.n_samples == 3 and a.outputs[0, 0] == 0.0
    a2, b2 = d.split(0.7, seed=1)
    assert sorted(np.concatenate([a2.outputs, b2.outputs])[:, 0]) == list(range(10))
    assert d.subset([9, 0]).outputs[:, 0].tolist() == [9.0, 0.0]
    assert d.subset(d.outputs[:, 0] > 6).n_samples == 3
    with pytest.raises(ConfigError, match="fraction"):
        d.split(1.0)
    with pytest.raises(ConfigError, match="empty"):
        d.split(0.01)
    with pytest.raises(ShapeError):
        d.subset([10])


def test_scaler_uses_fann_formulas() -> None:
    rng = np.random.default_rng(5)
    data = TrainingData(rng.normal(10, 3, size=(200, 3)), rng.uniform(0, 1000, size=(200, 1)))
    sc = Scaler.fit(data, input_range=(-1, 1), output_range=(0, 1))
    mean, dev = data.inputs.mean(axis=0), data.inputs.std(axis=0)
    expected = ((data.inputs - mean) / dev + 1.0) * 1.0 + -1.0
    np.testing.assert_allclose(sc.scale_inputs(data.inputs), expected)
    y = sc.scale_outputs(data.outputs)
    np.testing.assert_allclose(
        y, ((data.outputs - data.outputs.mean()) / data.outputs.std() + 1) * 0.5
    )
    np.testing.assert_allclose(sc.descale_outputs(y), data.outputs)
    np.testing.assert_allclose(sc.descale(sc.scale(data)).inputs, data.inputs)
    assert Scaler.from_params(**sc.params()) == sc


def test_scaler_errors() -> None:
    with pytest.raises(NotTrainedError):
        Scaler().scale_inputs([1.0])
    data = TrainingData([[1.0], [2.0]], [[0.0], [1.0]])
    with pytest.raises(ConfigError, match="input_range"):
        Scaler.fit(data, input_range=(1, -1))
    with pytest.raises(ShapeError):
        Scaler.fit(data).scale_inputs([[1.0, 2.0]])
    constant = Scaler.fit(TrainingData([[3.0], [3.0]], [[0.0], [1.0]]))
    assert np.all(
        np.isfinite(constant.scale_inputs([[3.0]]))
    )  # zero deviation does not divide by 0
