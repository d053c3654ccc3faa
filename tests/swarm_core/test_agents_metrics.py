"""Analyst metrics against hand-computed results and straightforward NumPy references."""

from __future__ import annotations

import numpy as np
import pytest

from swarm_core.agents._metrics import (
    MetricsError,
    bit_fail,
    class_indices,
    classification_report,
    confusion_matrix,
    dataset_statistics,
    looks_like_classification,
    mse,
    per_class,
    regression_report,
)


def test_confusion_matrix_known_counts() -> None:
    t = [0, 0, 1, 1, 2, 2, 2]
    p = [0, 1, 1, 1, 2, 0, 2]
    cm = confusion_matrix(t, p, 3)
    assert cm.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 2]]
    rows = per_class(cm)
    assert rows[0]["error_rate"] == pytest.approx(0.5)
    assert rows[1]["precision"] == pytest.approx(2 / 3)
    assert rows[2]["recall"] == pytest.approx(2 / 3)
    assert rows[2]["f1"] == pytest.approx(2 * 1.0 * (2 / 3) / (1 + 2 / 3))
    with pytest.raises(MetricsError, match=r"0\.\.2"):
        confusion_matrix([3], [0], 3)


def test_class_indices_argmax_and_threshold() -> None:
    assert class_indices([[0.1, 0.9, 0.0], [0.7, 0.2, 0.1]]).tolist() == [1, 0]
    assert class_indices([0.2, 0.6]).tolist() == [0, 1]
    assert class_indices([-0.3, 0.1], threshold=0.0).tolist() == [0, 1]


def test_classification_report_one_hot() -> None:
    targets = np.eye(3)[[0, 1, 2, 2]]
    outputs = np.array([[0.8, 0.1, 0.1], [0.6, 0.3, 0.1], [0.0, 0.1, 0.9], [0.1, 0.2, 0.7]])
    rep = classification_report(outputs, targets)
    assert rep["confusion_matrix"] == [[1, 0, 0], [1, 0, 0], [0, 0, 2]]
    assert rep["accuracy"] == pytest.approx(0.75)
    assert rep["error_pct"] == pytest.approx(25.0)
    assert rep["macro_error_rate"] == pytest.approx(1 / 3)


def test_mse_bit_fail_regression_against_numpy() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(size=(20, 2))
    o = y + rng.normal(scale=0.3, size=y.shape)
    assert mse(o, y) == pytest.approx(((o - y) ** 2).mean())
    assert bit_fail(o, y, 0.35) == int((np.abs(o - y) > 0.35).sum())
    rep = regression_report(o, y)
    ref_r2 = 1 - ((o - y) ** 2).sum(0) / ((y - y.mean(0)) ** 2).sum(0)
    assert rep["r2_per_output"] == pytest.approx(ref_r2.tolist())
    assert rep["rmse"] == pytest.approx(np.sqrt(rep["mse"]))
    with pytest.raises(MetricsError, match="differs"):
        mse([[1.0, 2.0]], [[1.0]])
    with pytest.raises(MetricsError, match="NaN"):
        mse([[np.nan]], [[1.0]])


def test_dataset_statistics() -> None:
    x = [[0, 0, 5], [0, 1, 5], [1, 0, 5], [1, 1, 5], [1, 1, 5]]
    y = [[0], [1], [1], [0], [1]]
    s = dataset_statistics(x, y)
    assert s["n_samples"] == 5 and s["n_inputs"] == 3 and s["n_outputs"] == 1
    assert s["constant_input_columns"] == [2]
    assert s["inputs"]["mean"] == pytest.approx([0.6, 0.6, 5.0])
    assert s["inputs"]["std"] == pytest.approx(np.std(np.array(x, float), axis=0).tolist())
    assert s["duplicate_rows"] == 0
    assert s["conflicting_rows"] == 2  # [1,1,5] maps to 0 and to 1
    assert s["is_classification"] is True
    assert s["class_counts"] == [2, 3]
    assert s["class_imbalance_ratio"] == pytest.approx(1.5)
    assert looks_like_classification([[0.2], [0.9]]) is False
    assert looks_like_classification([[1, -1], [-1, 1]]) is True
    assert dataset_statistics([[1.0], [1.0]])["duplicate_rows"] == 1


def test_classification_needs_exact_class_targets() -> None:
    assert looks_like_classification([[0.0, 1.0], [1.0, 0.0]]) is True
    assert looks_like_classification([[0.1, 0.9], [0.9, 0.1]]) is False  # soft targets: regression
    assert looks_like_classification([[1, 1], [0, 1]]) is False  # multi-label rows
    assert looks_like_classification([[-1], [1]]) is True
