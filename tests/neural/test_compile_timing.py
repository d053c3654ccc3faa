"""JIT work is measured apart from training time, so reported epoch times are real."""

from __future__ import annotations

import numba
import numpy as np

import neural
from neural._config import ensure_compiled


def test_ensure_compiled_compiles_once_per_signature() -> None:
    @numba.njit(cache=False)
    def double(a):  # a fresh dispatcher: nothing compiled yet
        return a * 2

    x = np.ones(3)
    assert ensure_compiled(double, x) > 0.0
    assert len(double.overloads) == 1
    assert ensure_compiled(double, x) == 0.0
    assert ensure_compiled(double, np.ones(3, dtype=np.float32)) > 0.0  # a new specialisation
    assert len(double.overloads) == 2


def test_second_training_reports_no_compile_time() -> None:
    rng = np.random.default_rng(3)
    x = rng.random((64, 4))
    data = neural.TrainingData(x, (x[:, :1] > 0.5).astype(float))
    cfg = neural.TrainConfig(max_epochs=5)
    first = neural.train(neural.Network.standard([4, 3, 1], seed=1), data, cfg)
    second = neural.train(neural.Network.standard([4, 3, 1], seed=1), data, cfg)
    assert first.compile_seconds >= 0.0
    assert second.compile_seconds == 0.0
    assert second.to_dict()["compile_seconds"] == 0.0
    assert first.mse == second.mse
