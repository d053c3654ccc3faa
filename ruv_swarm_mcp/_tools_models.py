"""Tools for neural models: train (with progress and cancellation), predict, evaluate, move."""

from __future__ import annotations

import base64
import binascii
import time
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from ruv_swarm_mcp._current import resolve
from ruv_swarm_mcp._models import (
    ActivationName,
    AlgorithmName,
    EvaluateOut,
    ModelExportOut,
    ModelFormat,
    ModelOut,
    PredictOut,
    ScaleMode,
    TrainOut,
    dump,
)
from ruv_swarm_mcp._protocol import client_log
from ruv_swarm_mcp._roots import data_roots
from ruv_swarm_mcp._toolkit import (
    engine_of,
    reply,
    tool_errors,
    wait_bounded,
)
from ruv_swarm_mcp._tools_swarm import SwarmId

MAX_INLINE_ROWS = 100_000
MAX_FEATURES = 10_000
MAX_IMPORT_CHARS = 64 * 1024 * 1024
# swarm_core's neural-processor reports at most this fraction while a training still runs.
ENGINE_RUNNING_CAP = 0.99

Row = Annotated[list[float], Field(min_length=1, max_length=MAX_FEATURES)]
ModelId = Annotated[str, Field(min_length=1, max_length=64, description="model id (model-...)")]


class InlineData(BaseModel):
    """Training or test samples given inline: one input row and one target row per sample."""

    inputs: Annotated[list[Row], Field(min_length=1, max_length=MAX_INLINE_ROWS)]
    outputs: Annotated[list[Row], Field(min_length=1, max_length=MAX_INLINE_ROWS)]


DataSpec = Annotated[
    InlineData | Annotated[str, Field(min_length=1, max_length=4096)],
    Field(
        description="inline {'inputs': [[...]], 'outputs': [[...]]} or the path of a FANN .data "
        "file on the server (header line 'samples inputs outputs', then input and output lines) "
        "inside an allowed data root: a --data-root of the server or one of the client's roots"
    ),
]


def _data_arg(data: InlineData | str) -> dict[str, Any] | str:
    if isinstance(data, InlineData):
        if len(data.inputs) != len(data.outputs):
            raise ToolError(
                f"data: inputs has {len(data.inputs)} rows but outputs has {len(data.outputs)}"
            )
        return {"inputs": data.inputs, "outputs": data.outputs}
    return data


def _train_out(task: Any) -> TrainOut:
    info = dump(task)
    result = info.get("result") or {}
    return TrainOut(
        task_id=info["id"],
        status=info["status"],
        model_id=result.get("model_id"),
        epochs_run=result.get("epochs_run"),
        final_mse=result.get("final_mse"),
        train_mse=result.get("train_mse"),
        validation_mse=result.get("validation_mse"),
        train_target_rmse=result.get("train_target_rmse"),
        validation_target_rmse=result.get("validation_target_rmse"),
        train_error_pct=result.get("train_error_pct"),
        validation_error_pct=result.get("validation_error_pct"),
        is_classifier=result.get("is_classifier"),
        layers=result.get("layers"),
        hidden_added=result.get("hidden_added"),
        scaling=result.get("scaling"),
        stop_reason=result.get("stop_reason"),
        history=result.get("history") or {},
        duration_ms=info.get("duration_ms"),
        loop_seconds=result.get("loop_seconds"),
        compile_seconds=result.get("compile_seconds"),
        error=info.get("error"),
    )


@tool_errors
async def train(
    ctx: Context,
    data: DataSpec,
    layers: Annotated[
        list[Annotated[int, Field(ge=1, le=4096)]],
        Field(max_length=16, description="hidden layer sizes, e.g. [16] or [32, 16]; [] = none"),
    ] = [16],  # noqa: B006 - pydantic copies defaults
    algorithm: Annotated[
        AlgorithmName,
        Field(
            description="rprop (default, FANN iRPROP-), quickprop, batch, incremental (online "
            "backprop), sarprop, or cascade (Cascade-Correlation: grows hidden units; layers is "
            "ignored)"
        ),
    ] = "rprop",
    activation: Annotated[
        ActivationName, Field(description="hidden-layer activation")
    ] = "sigmoid_symmetric",
    output_activation: Annotated[
        ActivationName, Field(description="output-layer activation")
    ] = "sigmoid",
    epochs: Annotated[
        int,
        Field(ge=1, le=100_000, description="maximum epochs (cascade: maximum hidden units added)"),
    ] = 500,
    desired_error: Annotated[
        float, Field(ge=0, le=1, description="stop when the training MSE falls below this")
    ] = 0.001,
    validation_split: Annotated[
        float, Field(ge=0, le=0.9, description="fraction held out to measure generalisation")
    ] = 0.0,
    seed: Annotated[int | None, Field(ge=0, le=2**32 - 1)] = None,
    progress_every: Annotated[
        int,
        Field(
            ge=1,
            le=100_000,
            description="at most one progress notification per N epochs; the running epoch is "
            "sampled every 50 ms, so a fast run sends fewer (always the final one)",
        ),
    ] = 1,
    learning_rate: Annotated[
        float | None,
        Field(
            gt=0,
            le=100,
            description="step size for batch, incremental and quickprop (default: FANN's 0.7)",
        ),
    ] = None,
    max_seconds: Annotated[
        float | None,
        Field(
            gt=0,
            le=86_400,
            description="wall-clock budget of the training loop (at most the server's "
            "max_train_seconds; default: that limit)",
        ),
    ] = None,
    scale: Annotated[
        ScaleMode,
        Field(
            description="auto (default) maps raw columns that a network cannot use as they "
            "are: targets outside the output activation's range, or any value beyond +-10, "
            "min..max onto a usable range; predict and evaluate then take and return original "
            "units. none / inputs / outputs / both force the choice"
        ),
    ] = "auto",
    init_model_id: Annotated[
        str | None,
        Field(
            max_length=64,
            description="continue training this model's weights (fine-tuning; same inputs and "
            "outputs; keeps its scaling)",
        ),
    ] = None,
    name: Annotated[str | None, Field(min_length=1, max_length=128)] = None,
    agent_id: Annotated[
        str | None,
        Field(max_length=64, description="neural-processor agent to train on (default: any)"),
    ] = None,
    swarm_id: SwarmId = None,
) -> TrainOut:
    """Train a feed-forward neural network and store it as a model. Reports progress (epochs
    done of epochs, sampled every 50 ms, when the client asks for progress) and stops within one
    epoch if the client cancels the call. Raw data is fine: scale=auto maps columns a network
    cannot use as they are. Returns the model id, fit metrics and the measured history."""
    engine = await engine_of(ctx)
    sid = (await resolve(ctx, engine, swarm_id)).id
    spec = _data_arg(data)
    last_sent = [0.0]

    async def on_progress(fraction: float, _total: float | None, message: str | None) -> None:
        # The engine reports a fraction of the epoch budget; clients see epochs. It holds a
        # running task at ENGINE_RUNNING_CAP until the model is stored, so a sample there may lag
        # the epoch its message names (29,700 of 30,000 for "epoch 29929"): skip it, the final
        # report follows.
        if ENGINE_RUNNING_CAP <= fraction < 1.0:
            return
        done = round(fraction * epochs, 3)
        if done - last_sent[0] >= progress_every or fraction >= 1.0:
            last_sent[0] = done
            await ctx.report_progress(done, float(epochs), message)

    await client_log(ctx, "info", f"training {algorithm} {layers} for up to {epochs} epochs")
    payload: dict[str, Any] = {
        "data": spec,
        "algorithm": algorithm,
        "layers": list(layers),
        "activation": activation,
        "output_activation": output_activation,
        "epochs": epochs,
        "desired_error": desired_error,
        "validation_split": validation_split,
        "seed": seed,
        "name": name,
        "learning_rate": learning_rate,
        "max_seconds": max_seconds,
        "scale": scale,
        "init_model_id": init_model_id,
    }
    submitted = await engine.submit_task(
        sid,
        "train",
        {k: v for k, v in payload.items() if v is not None},
        agent_ids=[agent_id] if agent_id else None,
        progress=on_progress,
        data_roots=data_roots(ctx),
    )
    task_id = submitted.id
    started = time.perf_counter()
    finished = await wait_bounded(ctx, engine, task_id, "training")
    out = _train_out(finished)
    if out.status != "completed":
        raise ToolError(f"training task {task_id} ended {out.status}: {out.error or 'no error'}")
    await client_log(
        ctx, "info", f"trained {out.model_id} in {time.perf_counter() - started:.2f} s"
    )
    return reply(
        out,
        f"trained {out.model_id}: {out.epochs_run} epochs, final MSE {out.final_mse:.6g} "
        f"(task {task_id})",
    )


@tool_errors
async def predict(
    ctx: Context,
    model_id: ModelId,
    inputs: Annotated[list[Row], Field(min_length=1, max_length=MAX_INLINE_ROWS)],
) -> PredictOut:
    """Run a trained model on input rows. Returns the outputs, and the predicted class index of
    each row when the model is a classifier."""
    engine = await engine_of(ctx)
    result = await engine.predict(model_id, inputs)
    out = PredictOut(model_id=model_id, outputs=result["outputs"], labels=result.get("labels"))
    head = f"labels {out.labels[:10]}" if out.labels is not None else f"first {out.outputs[0]}"
    return reply(out, f"{len(out.outputs)} predictions from {model_id}: {head}")


@tool_errors
async def evaluate(ctx: Context, model_id: ModelId, data: DataSpec) -> EvaluateOut:
    """Measure a model on labelled data: MSE, bit-fail, and accuracy / confusion matrix for
    classifiers."""
    engine = await engine_of(ctx)
    metrics = await engine.evaluate(model_id, _data_arg(data), data_roots=data_roots(ctx))
    out = EvaluateOut(model_id=model_id, metrics=dump(metrics))
    shown = {k: v for k, v in out.metrics.items() if isinstance(v, int | float)}
    return reply(out, f"{model_id} on {len(shown)} metrics: {shown}")


@tool_errors
async def model_export(
    ctx: Context,
    model_id: ModelId,
    format: Annotated[
        ModelFormat,
        Field(description="native (lossless, base64) or fann (FANN 2.x .net text)"),
    ] = "native",
) -> ModelExportOut:
    """Export a model so it can be saved or imported elsewhere."""
    engine = await engine_of(ctx)
    content = await engine.export_model(model_id, format=format)
    if isinstance(content, bytes):
        out = ModelExportOut(
            model_id=model_id,
            format=format,
            encoding="base64",
            content=base64.b64encode(content).decode("ascii"),
            size_bytes=len(content),
        )
    else:
        out = ModelExportOut(
            model_id=model_id,
            format=format,
            encoding="utf-8",
            content=content,
            size_bytes=len(content.encode()),
        )
    return reply(out, f"exported {model_id} as {format} ({out.size_bytes} bytes)")


@tool_errors
async def model_import(
    ctx: Context,
    content: Annotated[str, Field(min_length=1, max_length=MAX_IMPORT_CHARS)],
    format: ModelFormat = "native",
    encoding: Annotated[
        Literal["utf-8", "base64"], Field(description="base64 for native exports")
    ] = "base64",
    name: Annotated[str | None, Field(min_length=1, max_length=128)] = None,
    swarm_id: SwarmId = None,
) -> ModelOut:
    """Import a model exported by model_export (native) or a FANN 2.x .net file (fann)."""
    engine = await engine_of(ctx)
    sid = (await resolve(ctx, engine, swarm_id)).id
    payload: bytes | str
    if encoding == "base64":
        try:
            payload = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ToolError(f"content: not valid base64 ({exc})") from exc
        if format == "fann":
            payload = payload.decode("utf-8", "replace")
    else:
        payload = content
    info = await engine.import_model(sid, payload, format, name=name)
    out = ModelOut(**dump(info))
    return reply(out, f"imported {out.id} ({out.layers}, {out.algorithm or format})")


TOOLS: list[tuple[Any, str]] = [
    (train, "Train a neural network"),
    (predict, "Predict with a model"),
    (evaluate, "Evaluate a model"),
    (model_export, "Export a model"),
    (model_import, "Import a model"),
]
