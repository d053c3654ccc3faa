"""`evaluate`: FANN's ``fann_test_data`` (MSE, bit fails) plus classification statistics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._data import TrainingData
from ._exceptions import ConfigError
from ._network import Network
from ._train import check_compatible


@dataclass(frozen=True)
class Evaluation:
    """Error of a network on a dataset.

    ``mse``/``bit_fail`` follow FANN (errors of symmetric outputs halved). For classification
    targets (every target in {0, 1} or in {-1, 1}) ``error_pct`` is the share of misclassified
    samples (argmax for several outputs, threshold at mid-range for one) and ``confusion`` the
    matrix ``confusion[true][predicted]``; both are ``None`` for regression targets.
    """

    mse: float
    bit_fail: int
    n_samples: int
    error_pct: float | None = None
    confusion: list[list[int]] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "mse": self.mse,
            "bit_fail": self.bit_fail,
            "n_samples": self.n_samples,
            "error_pct": self.error_pct,
            "confusion": self.confusion,
        }


def _classes(Y: np.ndarray, T: np.ndarray) -> tuple[float, list[list[int]]] | None:
    values = np.unique(T)
    if not (np.all(np.isin(values, (0.0, 1.0))) or np.all(np.isin(values, (-1.0, 1.0)))):
        return None
    if T.shape[1] == 1:
        lo, hi = (-1.0, 1.0) if values.min() < 0 else (0.0, 1.0)
        mid = (lo + hi) / 2
        truth = (T[:, 0] >= mid).astype(np.int64)
        pred = (Y[:, 0] >= mid).astype(np.int64)
        k = 2
    else:
        truth = np.argmax(T, axis=1)
        pred = np.argmax(Y, axis=1)
        k = T.shape[1]
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (truth, pred), 1)
    error_pct = 100.0 * float(np.sum(truth != pred)) / T.shape[0]
    return error_pct, confusion.tolist()


def evaluate(net: Network, data: TrainingData, *, bit_fail_limit: float = 0.35) -> Evaluation:
    """MSE, bit fails and (for classification targets) error rate and confusion matrix.

    One forward pass (`Network.run`, the compiled kernel); the error terms follow FANN's
    ``fann_test_data``: per output ``e = t - y`` in the network dtype, halved for symmetric
    activations, MSE over all outputs, bit fail when ``|e| >= bit_fail_limit``.
    """
    check_compatible(net, data)
    if not (
        isinstance(bit_fail_limit, (int, float))
        and np.isfinite(bit_fail_limit)
        and bit_fail_limit > 0
    ):
        raise ConfigError("bit_fail_limit", f"must be a finite number > 0, got {bit_fail_limit!r}")
    T = np.ascontiguousarray(data.outputs, dtype=net.dtype)
    Y = net.run(data.inputs)
    E = T - Y
    E[:, net.output_is_symmetric()] /= 2
    mse = float(np.mean(np.square(E, dtype=np.float64)))
    bit_fail = int(np.count_nonzero(np.abs(E) >= net.dtype.type(bit_fail_limit)))
    cls = _classes(Y, T)
    return Evaluation(
        mse=mse,
        bit_fail=bit_fail,
        n_samples=data.n_samples,
        error_pct=None if cls is None else cls[0],
        confusion=None if cls is None else cls[1],
    )
