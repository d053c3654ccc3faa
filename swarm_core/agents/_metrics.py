"""What the analyst measures, as pure NumPy: class decisions, confusion matrix, per-class error,
MSE / bit-fail and dataset statistics. Every figure is computed from the arrays handed in.

Class decisions follow the network's output layout: several outputs -> the arg-max is the class;
one output -> class 1 when the output is at or above `threshold` (0.5 for targets in {0, 1}, 0.0
for targets in {-1, 1}: the midpoint of the class values, as neural's evaluate decides).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from swarm_core._exceptions import ValidationError

DEFAULT_BIT_FAIL_LIMIT = 0.35


class MetricsError(ValidationError):
    """Arrays handed to a metric have the wrong shape or contain non-finite values."""

    def __init__(self, message: str) -> None:
        super().__init__("data", message)


def as_matrix(values: ArrayLike, field: str) -> NDArray[np.float64]:
    """A finite 2-D float array (a 1-D vector becomes one column)."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise MetricsError(f"{field} must be a numeric array: {exc}") from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise MetricsError(f"{field} must be a non-empty 2-D array, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise MetricsError(f"{field} contains NaN or infinity")
    return arr


def _pair(
    outputs: ArrayLike, targets: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    out = as_matrix(outputs, "outputs")
    tgt = as_matrix(targets, "targets")
    if out.shape != tgt.shape:
        raise MetricsError(f"outputs shape {out.shape} differs from targets shape {tgt.shape}")
    return out, tgt


def class_indices(values: ArrayLike, threshold: float = 0.5) -> NDArray[np.int64]:
    """The class each row stands for (arg-max of several columns, or thresholded single column)."""
    arr = as_matrix(values, "values")
    if arr.shape[1] == 1:
        return (arr[:, 0] >= threshold).astype(np.int64)
    labels: NDArray[np.int64] = np.argmax(arr, axis=1).astype(np.int64)
    return labels


def n_classes_of(n_outputs: int) -> int:
    return 2 if n_outputs == 1 else n_outputs


def confusion_matrix(
    true_classes: ArrayLike, predicted_classes: ArrayLike, n_classes: int
) -> NDArray[np.int64]:
    """`cm[i, j]` = how many samples of true class i were predicted as class j."""
    t = np.asarray(true_classes, dtype=np.int64).ravel()
    p = np.asarray(predicted_classes, dtype=np.int64).ravel()
    if t.shape != p.shape:
        raise MetricsError(f"{t.size} true classes but {p.size} predicted classes")
    if n_classes < 1:
        raise MetricsError("n_classes must be at least 1")
    for name, arr in (("true", t), ("predicted", p)):
        if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
            raise MetricsError(f"{name} classes must be in 0..{n_classes - 1}")
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (t, p), 1)
    return cm


def per_class(cm: NDArray[np.int64]) -> list[dict[str, float | int]]:
    """Support, error rate (1 - recall), precision, recall and F1 for each class of `cm`."""
    out: list[dict[str, float | int]] = []
    for k in range(cm.shape[0]):
        tp = int(cm[k, k])
        support = int(cm[k].sum())
        predicted = int(cm[:, k].sum())
        recall = tp / support if support else 0.0
        precision = tp / predicted if predicted else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out.append(
            {
                "class": k,
                "support": support,
                "error_rate": (1.0 - recall) if support else 0.0,
                "precision": precision,
                "recall": recall,
                "f1": f1,
            }
        )
    return out


def mse(outputs: ArrayLike, targets: ArrayLike) -> float:
    """Mean over samples and outputs of the squared error."""
    out, tgt = _pair(outputs, targets)
    return float(np.mean((out - tgt) ** 2))


def bit_fail(outputs: ArrayLike, targets: ArrayLike, limit: float = DEFAULT_BIT_FAIL_LIMIT) -> int:
    """How many single outputs miss their target by more than `limit` (FANN's bit-fail)."""
    out, tgt = _pair(outputs, targets)
    return int(np.count_nonzero(np.abs(out - tgt) > limit))


def classification_report(
    outputs: ArrayLike, targets: ArrayLike, threshold: float = 0.5
) -> dict[str, Any]:
    """Confusion matrix, accuracy, per-class figures and a macro error rate for a classifier."""
    out, tgt = _pair(outputs, targets)
    k = n_classes_of(out.shape[1])
    cm = confusion_matrix(class_indices(tgt, threshold), class_indices(out, threshold), k)
    classes = per_class(cm)
    accuracy = float(np.trace(cm) / cm.sum())
    supported = [c["error_rate"] for c in classes if c["support"]]
    return {
        "n_classes": k,
        "confusion_matrix": cm.tolist(),
        "accuracy": accuracy,
        "error_pct": 100.0 * (1.0 - accuracy),
        "macro_error_rate": float(np.mean(supported)) if supported else 0.0,
        "per_class": classes,
    }


def regression_report(outputs: ArrayLike, targets: ArrayLike) -> dict[str, Any]:
    """MSE, RMSE, MAE, max error and R² (per output and overall)."""
    out, tgt = _pair(outputs, targets)
    err = out - tgt
    ss_res = np.sum(err**2, axis=0)
    ss_tot = np.sum((tgt - tgt.mean(axis=0)) ** 2, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(ss_tot > 0, 1.0 - ss_res / np.where(ss_tot > 0, ss_tot, 1.0), np.nan)
    m = float(np.mean(err**2))
    return {
        "mse": m,
        "rmse": float(np.sqrt(m)),
        "mae": float(np.mean(np.abs(err))),
        "max_abs_error": float(np.max(np.abs(err))),
        "r2_per_output": [None if np.isnan(v) else float(v) for v in r2],
    }


def looks_like_classification(targets: ArrayLike) -> bool:
    """True for one-hot rows (several outputs, exactly one 1 each, the rest 0 or -1) or a single
    0/1 (or -1/1) column: the targets neural's evaluate scores as classes."""
    tgt = as_matrix(targets, "targets")
    values = set(np.unique(tgt).tolist())
    if not (values <= {0.0, 1.0} or values <= {-1.0, 1.0}):
        return False
    if tgt.shape[1] == 1:
        return True
    return bool(np.all(np.sum(tgt == 1.0, axis=1) == 1))


def dataset_statistics(inputs: ArrayLike, outputs: ArrayLike | None = None) -> dict[str, Any]:
    """Shape, per-column mean/std/min/max, constant columns, duplicate rows and class balance."""
    x = as_matrix(inputs, "inputs")
    stats: dict[str, Any] = {
        "n_samples": int(x.shape[0]),
        "n_inputs": int(x.shape[1]),
        "inputs": _column_stats(x),
        "constant_input_columns": [int(i) for i in np.flatnonzero(np.ptp(x, axis=0) == 0)],
    }
    if outputs is None:
        stats["duplicate_rows"] = int(x.shape[0] - np.unique(x, axis=0).shape[0])
        return stats
    y = as_matrix(outputs, "outputs")
    if y.shape[0] != x.shape[0]:
        raise MetricsError(f"{x.shape[0]} input rows but {y.shape[0]} output rows")
    stats["n_outputs"] = int(y.shape[1])
    stats["outputs"] = _column_stats(y)
    both = np.hstack([x, y])
    stats["duplicate_rows"] = int(both.shape[0] - np.unique(both, axis=0).shape[0])
    # same inputs with different targets: a floor under any model's error
    _, inverse = np.unique(x, axis=0, return_inverse=True)
    conflicting = 0
    for group in np.unique(inverse):
        rows = y[inverse.ravel() == group]
        if rows.shape[0] > 1 and np.unique(rows, axis=0).shape[0] > 1:
            conflicting += rows.shape[0]
    stats["conflicting_rows"] = conflicting
    stats["is_classification"] = looks_like_classification(y)
    if stats["is_classification"]:
        threshold = 0.0 if y.min() < 0 else 0.5
        counts = np.bincount(class_indices(y, threshold), minlength=n_classes_of(y.shape[1]))
        stats["class_counts"] = [int(c) for c in counts]
        present = counts[counts > 0]
        stats["class_imbalance_ratio"] = float(present.max() / present.min())
    return stats


def _column_stats(a: NDArray[np.float64]) -> dict[str, list[float]]:
    return {
        "mean": [float(v) for v in a.mean(axis=0)],
        "std": [float(v) for v in a.std(axis=0)],
        "min": [float(v) for v in a.min(axis=0)],
        "max": [float(v) for v in a.max(axis=0)],
    }
