"""evaluate(): FANN's test-data MSE and bit fails, classification error and confusion matrix."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from neural import ConfigError, Network, TrainingData, evaluate, read_fann_data

from . import _reference as ref


def test_matches_reference_and_classifies(data_dir: pathlib.Path) -> None:
    data = read_fann_data(data_dir / "diabetes.train")
    net = Network.standard([8, 6, 2], seed=3, weight_range=1.0, dtype=np.float64)
    result = evaluate(net, data)
    mse, bit_fail = ref.error_terms(net, data.inputs, data.outputs)
    assert result.mse == pytest.approx(mse, rel=1e-12) and result.bit_fail == bit_fail
    y = net.run(data.inputs)
    truth, pred = data.outputs.argmax(1), y.argmax(1)
    assert result.error_pct == pytest.approx(100 * np.mean(truth != pred))
    assert result.confusion is not None and np.sum(result.confusion) == 384
    assert result.confusion[1][0] == int(np.sum((truth == 1) & (pred == 0)))
    assert result.to_dict()["n_samples"] == 384


def test_symmetric_outputs_and_regression(data_dir: pathlib.Path) -> None:
    xor = read_fann_data(data_dir / "xor.data")
    net = Network.standard(
        [2, 3, 1],
        hidden_activation="sigmoid_symmetric",
        output_activation="sigmoid_symmetric",
        seed=1,
    )
    r = evaluate(net, xor, bit_fail_limit=0.1)
    y = net.run(xor.inputs).astype(np.float64)
    assert r.mse == pytest.approx(float(np.mean(((xor.outputs - y) / 2) ** 2)), rel=1e-6)
    assert r.bit_fail == int(np.sum(np.abs((xor.outputs - y) / 2) >= 0.1))
    assert r.error_pct == pytest.approx(100 * np.mean(np.sign(y) != xor.outputs))
    reg = TrainingData([[0.1, 0.2], [0.3, 0.4]], [[0.25], [0.7]])
    assert evaluate(Network.standard([2, 1]), reg).error_pct is None
    with pytest.raises(ConfigError, match="bit_fail_limit"):
        evaluate(net, xor, bit_fail_limit=0)
