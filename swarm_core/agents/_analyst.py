"""analyst agents: evaluate models and data.

evaluate payload:
    data        inline {"inputs", "outputs"} or a FANN .data path (required)
    model_id    one model: MSE and bit-fail (FANN's convention, as training reports them),
                regression figures (plain squared error, R²), and for classifiers the confusion
                matrix with per-class error; plus the dataset's statistics
    model_ids   several models: each one's figures and a ranking by MSE (best first)
    bit_fail_limit  an output error above this counts as a bit fail (0.35, FANN's default)
Without a model the result is the dataset's statistics only.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

import neural
from swarm_core._exceptions import ValidationError
from swarm_core._work import WorkContext
from swarm_core.agents import _metrics
from swarm_core.agents._payload import need_float
from swarm_core.agents._scaling import network_space

MAX_MODELS_PER_EVALUATION = 100


async def evaluate(ctx: WorkContext, payload: dict[str, Any]) -> dict[str, Any]:
    if "data" not in payload:
        raise ValidationError(
            "data", "data is required: inline {inputs, outputs} or a FANN .data path"
        )
    limit = need_float(payload, "bit_fail_limit", _metrics.DEFAULT_BIT_FAIL_LIMIT, 0.0, 1e6)
    model_ids = _model_ids(payload)
    data = await ctx.load_data(payload["data"])
    x = np.asarray(data.inputs, dtype=np.float64)
    y = np.asarray(data.outputs, dtype=np.float64)
    stats = await ctx.run_cpu(_metrics.dataset_statistics, x, y)
    result: dict[str, Any] = {"dataset": stats}
    reports = []
    for model_id in model_ids:
        net, meta = await ctx.load_model(model_id)
        if (net.n_inputs, net.n_outputs) != (x.shape[1], y.shape[1]):
            raise ValidationError(
                "data",
                f"model {model_id} takes {net.n_inputs} inputs / {net.n_outputs} outputs, "
                f"the data has {x.shape[1]} / {y.shape[1]}",
            )
        outputs = await ctx.run_cpu(net.predict, x)
        ev = await ctx.run_cpu(
            partial(neural.evaluate, net, network_space(net, data), bit_fail_limit=limit)
        )
        reports.append(model_report(model_id, net, meta, ev, outputs, y))
    if len(reports) == 1 and "model_ids" not in payload:
        result.update(reports[0])
    elif reports:
        ranked = sorted(reports, key=lambda r: (r["mse"], r["model_id"]))
        result["models"] = reports
        result["ranking"] = [r["model_id"] for r in ranked]
        result["best_model_id"] = ranked[0]["model_id"]
    return result


def model_report(
    model_id: str, net: Any, meta: dict[str, Any], ev: Any, outputs: Any, targets: np.ndarray
) -> dict[str, Any]:
    """`ev` is neural's Evaluation (MSE / bit-fail in FANN's convention, the one training
    reports); the regression section holds the plain squared-error figures."""
    out = np.asarray(outputs, dtype=np.float64)
    report: dict[str, Any] = {
        "model_id": model_id,
        "n_samples": int(targets.shape[0]),
        "mse": float(ev.mse),
        "bit_fail": int(ev.bit_fail),
        "regression": _metrics.regression_report(out, targets),
        "is_classifier": bool(meta.get("is_classifier")),
    }
    if report["is_classifier"]:
        # the midpoint of the class values, as neural's evaluate (and training) decide
        threshold = meta.get("class_threshold")
        if threshold is None:
            threshold = 0.0 if targets.min() < 0 else 0.5
        cls = _metrics.classification_report(out, targets, float(threshold))
        report["classification"] = cls
        report["error_pct"] = cls["error_pct"]
        report["confusion_matrix"] = cls["confusion_matrix"]
    return report


def _model_ids(payload: dict[str, Any]) -> list[str]:
    ids: list[str] = []
    if payload.get("model_id") is not None:
        ids.append(payload["model_id"])
    extra = payload.get("model_ids") or []
    if not isinstance(extra, list):
        raise ValidationError("model_ids", "model_ids must be a list of model ids")
    ids.extend(extra)
    if not all(isinstance(i, str) and i for i in ids):
        raise ValidationError("model_ids", "every model id must be a non-empty string")
    if len(ids) > MAX_MODELS_PER_EVALUATION:
        raise ValidationError(
            "model_ids", f"{len(ids)} models; the limit is {MAX_MODELS_PER_EVALUATION}"
        )
    return list(dict.fromkeys(ids))
