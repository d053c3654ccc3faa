"""Tools for neural models: train (with progress and cancellation), predict, evaluate, move."""

from __future__ import annotations

import base64
import binascii
import time
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Discriminator, Field, Tag

from ruv_swarm_mcp._current import resolve
from ruv_swarm_mcp._models import (
    ActivationName,
    AlgorithmName,
    EvaluateOut,
    MissingMode,
    ModelExportOut,
    ModelFormat,
    ModelOut,
    PredictOut,
    ScaleMode,
    TableFormat,
    TabularTask,
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
from swarm_core import _limits as L
from swarm_core._train_spec import train_payload

MAX_INLINE_ROWS = 100_000
MAX_FEATURES = 10_000
MAX_IMPORT_CHARS = 64 * 1024 * 1024
# swarm_core's neural-processor reports at most this fraction while a training still runs.
ENGINE_RUNNING_CAP = L.RUNNING_PROGRESS_CAP

Row = Annotated[list[float], Field(min_length=1, max_length=MAX_FEATURES)]
ModelId = Annotated[
    str, Field(min_length=1, max_length=L.ID_MAX_LENGTH, description="model id (model-...)")
]


class InlineData(BaseModel):
    """Training or test samples given inline: one input row and one target row per sample."""

    inputs: Annotated[list[Row], Field(min_length=1, max_length=MAX_INLINE_ROWS)]
    outputs: Annotated[list[Row], Field(min_length=1, max_length=MAX_INLINE_ROWS)]


MAX_COLUMN_NAME = 256
MAX_CELL_CHARS = 4096
# integers beyond 2**53 are not exact once a column is converted to float
MAX_CELL_INT = 2**53
Cell = (
    bool
    | Annotated[int, Field(ge=-MAX_CELL_INT, le=MAX_CELL_INT)]
    | float
    | Annotated[str, Field(max_length=MAX_CELL_CHARS)]
    | None
)
ColumnName = Annotated[str, Field(min_length=1, max_length=MAX_COLUMN_NAME)]
Record = Annotated[dict[ColumnName, Cell], Field(max_length=MAX_FEATURES)]


class InlineTable(BaseModel):
    """A table given inline: column names and one row of values per sample (numbers, text,
    booleans; null or "" for a missing cell)."""

    columns: Annotated[list[ColumnName], Field(min_length=1, max_length=MAX_FEATURES)]
    rows: Annotated[
        list[Annotated[list[Cell], Field(max_length=MAX_FEATURES)]],
        Field(min_length=1, max_length=MAX_INLINE_ROWS),
    ]


def _data_kind(value: Any) -> str:
    """Which form `data` takes, so a bad value is answered with that form's problems only."""
    if isinstance(value, BaseModel):
        return type(value).__name__
    if isinstance(value, list):
        return "Records"
    if isinstance(value, dict):
        return "InlineTable" if "columns" in value or "rows" in value else "InlineData"
    return "Path"  # anything else is answered as "must be a string"


DataSpec = Annotated[
    Annotated[InlineData, Tag("InlineData")]
    | Annotated[InlineTable, Tag("InlineTable")]
    | Annotated[list[Record], Field(min_length=1, max_length=MAX_INLINE_ROWS), Tag("Records")]
    | Annotated[str, Field(min_length=1, max_length=4096), Tag("Path")],
    Discriminator(_data_kind),
    Field(
        description="a file path on the server: a table (.csv, .tsv, .jsonl, .npy, .npz, "
        ".parquet; header and delimiter detected) used with target, e.g. "
        "'~/data/churn.csv', or a FANN .data file; or inline: a table {'columns': ['age', "
        "'plan', 'churned'], 'rows': [[53, 'pro', 'no'], ...]}, records [{'age': 53, "
        "'plan': 'pro', 'churned': 'no'}, ...], or numbers {'inputs': [[...]], "
        "'outputs': [[...]]}. Files are read only inside an allowed data root: a "
        "--data-root of the server or one of the client's roots"
    ),
]
Target = Annotated[
    ColumnName | Annotated[list[ColumnName], Field(min_length=1, max_length=MAX_FEATURES)],
    Field(
        description="the column to predict when data is a table (a name, or a list of numeric "
        "columns): text or true/false (or 0/1) makes a classifier whose predictions are the "
        "class names, numbers a regressor"
    ),
]


def _data_arg(data: Any) -> dict[str, Any] | list[Any] | str:
    if isinstance(data, InlineData):
        if len(data.inputs) != len(data.outputs):
            raise ToolError(
                f"data: inputs has {len(data.inputs)} rows but outputs has {len(data.outputs)}"
            )
        return {"inputs": data.inputs, "outputs": data.outputs}
    if isinstance(data, InlineTable):
        return {"columns": data.columns, "rows": data.rows}
    return data  # type: ignore[no-any-return]


def _table_args(
    data_format: str | None, delimiter: str | None, header: bool | None
) -> dict[str, Any]:
    opts = {"format": data_format, "delimiter": delimiter, "header": header}
    return {k: v for k, v in opts.items() if v is not None}


DataFormatArg = Annotated[
    TableFormat | None,
    Field(description="the table file's format (default: from the file name; csv otherwise)"),
]
DelimiterArg = Annotated[
    str | None,
    Field(min_length=1, max_length=1, description="CSV delimiter (default: detected)"),
]
HeaderArg = Annotated[
    bool | None,
    Field(description="whether the CSV's first line names the columns (default: detected)"),
]


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
        table=result.get("table"),
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
        list[Annotated[int, Field(**L.LAYER_SIZE.field())]],
        Field(
            max_length=L.MAX_HIDDEN_LAYERS,
            description="hidden layer sizes, e.g. [16] or [32, 16]; [] = none",
        ),
    ] = list(L.DEFAULT_LAYERS),  # noqa: B006 - the SDK validates through pydantic, which copies defaults
    algorithm: Annotated[
        AlgorithmName,
        Field(
            description="rprop (default, FANN iRPROP-), quickprop, batch, incremental (online "
            "backprop), sarprop, or cascade (Cascade-Correlation: grows hidden units; layers is "
            "ignored)"
        ),
    ] = L.DEFAULT_ALGORITHM,
    activation: Annotated[
        ActivationName, Field(description="hidden-layer activation")
    ] = L.DEFAULT_HIDDEN_ACTIVATION,
    output_activation: Annotated[
        ActivationName, Field(description="output-layer activation")
    ] = L.DEFAULT_OUTPUT_ACTIVATION,
    epochs: Annotated[
        int | None,
        Field(
            ge=1,
            le=L.MAX_EPOCHS,
            description=f"maximum epochs (default {L.DEFAULT_EPOCHS}; cascade: maximum hidden "
            f"units added, default {L.DEFAULT_CASCADE_EPOCHS})",
        ),
    ] = None,
    desired_error: Annotated[
        float,
        Field(
            **L.DESIRED_ERROR.field(),
            description="stop when the training MSE falls below this (0: run every epoch)",
        ),
    ] = L.DEFAULT_DESIRED_ERROR,
    validation_split: Annotated[
        float,
        Field(
            **L.VALIDATION_SPLIT.field(),
            description="fraction held out to measure generalisation",
        ),
    ] = 0.0,
    seed: Annotated[int | None, Field(**L.SEED.field())] = None,
    progress_every: Annotated[
        int,
        Field(
            ge=1,
            le=L.MAX_EPOCHS,
            description="at most one progress notification per N epochs; the running epoch is "
            "sampled every 50 ms, so a fast run sends fewer (always the final one)",
        ),
    ] = 1,
    learning_rate: Annotated[
        float | None,
        Field(
            **L.LEARNING_RATE.field(),
            description="step size for batch, incremental and quickprop (default: FANN's 0.7)",
        ),
    ] = None,
    max_seconds: Annotated[
        float | None,
        Field(
            gt=0,
            le=L.MAX_TRAIN_SECONDS_CEILING,
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
    ] = L.DEFAULT_SCALE,
    init_model_id: Annotated[
        str | None,
        Field(
            max_length=L.ID_MAX_LENGTH,
            description="continue training this model's weights (fine-tuning; same inputs and "
            "outputs; keeps its scaling)",
        ),
    ] = None,
    name: Annotated[str | None, Field(min_length=1, max_length=L.MAX_NAME_LENGTH)] = None,
    agent_id: Annotated[
        str | None,
        Field(
            max_length=L.ID_MAX_LENGTH,
            description="neural-processor agent to train on (default: any)",
        ),
    ] = None,
    swarm_id: SwarmId = None,
    target: Target | None = None,
    features: Annotated[
        list[ColumnName] | None,
        Field(
            max_length=MAX_FEATURES,
            description="the columns to learn from (default: every column but the target; "
            "columns unique per row, like ids, are left out unless listed here)",
        ),
    ] = None,
    missing: Annotated[
        MissingMode,
        Field(
            description="empty / NA / NaN / null cells: impute (median or most frequent value, "
            "plus an indicator input) or drop the rows"
        ),
    ] = "impute",
    task: Annotated[
        TabularTask,
        Field(description="auto: from the target's kind; or force one"),
    ] = "auto",
    data_format: DataFormatArg = None,
    delimiter: DelimiterArg = None,
    header: HeaderArg = None,
) -> TrainOut:
    """Train a feed-forward neural network and store it as a model. Reports progress (epochs
    done of epochs, sampled every 50 ms, when the client asks for progress) and stops within one
    epoch if the client cancels the call. Raw data is fine: scale=auto maps columns a network
    cannot use as they are. A table trains as it is: {"data": "~/data/churn.csv", "target":
    "churned", "validation_split": 0.2} infers each column's kind (numeric, boolean,
    categorical one-hot, identifiers left out), fills gaps, and stores that preprocessing with
    the model, so predict takes records by column name and returns class names. Returns the
    model id, fit metrics, the table's column report and the measured history."""
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
        done = round(fraction * budget, 3)
        if done - last_sent[0] >= progress_every or fraction >= 1.0:
            last_sent[0] = done
            await ctx.report_progress(done, float(budget), message)

    table: dict[str, Any] = {}
    if target is not None:
        table = {
            "target": target,
            "features": features,
            "missing": missing,
            "task": task,
            **_table_args(data_format, delimiter, header),
        }
    # the payload Engine.train builds from the same arguments: one network, whichever door
    payload = train_payload(
        spec,
        algorithm=algorithm,
        layers=layers,
        activation=activation,
        output_activation=output_activation,
        epochs=epochs,
        desired_error=desired_error,
        validation_split=validation_split,
        seed=seed,
        name=name,
        learning_rate=learning_rate,
        max_seconds=max_seconds,
        scale=scale,
        init_model_id=init_model_id,
        **table,
    )
    budget = int(payload["epochs"])
    await client_log(ctx, "info", f"training {algorithm} {layers} for up to {budget} epochs")
    submitted = await engine.submit_task(
        sid,
        "train",
        payload,
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
    inputs: Annotated[
        list[Row] | None,
        Field(
            min_length=1,
            max_length=MAX_INLINE_ROWS,
            description="rows of numbers (for a table model: the feature values in the order "
            "train reported)",
        ),
    ] = None,
    records: Annotated[
        list[Record] | None,
        Field(
            min_length=1,
            max_length=MAX_INLINE_ROWS,
            description="for a model trained on a table: objects by column name, e.g. "
            "[{'age': 53, 'plan': 'pro'}]; a missing or null feature is imputed as in "
            "training, an unseen category counts as the column's 'other' level (or none)",
        ),
    ] = None,
) -> PredictOut:
    """Run a trained model on input rows or records. Returns the outputs, and for a classifier
    the predicted class of each row (for a table classifier: the class names and a score per
    class)."""
    if (inputs is None) == (records is None):
        raise ToolError("inputs: give inputs (rows of numbers) or records (objects by column)")
    engine = await engine_of(ctx)
    result = await engine.predict(model_id, inputs, records=records)
    out = PredictOut(
        model_id=model_id,
        outputs=result["outputs"],
        labels=result.get("labels"),
        classes=result.get("classes"),
        scores=result.get("scores"),
        class_names=result.get("class_names"),
        targets=result.get("targets"),
    )
    if out.classes is not None:
        head = f"classes {out.classes[:10]}"
    elif out.labels is not None:
        head = f"labels {out.labels[:10]}"
    else:
        head = f"first {out.outputs[0]}"
    return reply(out, f"{len(out.outputs)} predictions from {model_id}: {head}")


@tool_errors
async def evaluate(
    ctx: Context,
    model_id: ModelId,
    data: DataSpec,
    data_format: DataFormatArg = None,
    delimiter: DelimiterArg = None,
    header: HeaderArg = None,
) -> EvaluateOut:
    """Measure a model on labelled data: MSE, bit-fail, and accuracy / confusion matrix for
    classifiers. A model trained on a table takes a table with its target column (e.g.
    '~/data/churn_test.csv') and reports accuracy, per-class precision and recall and a
    confusion matrix named by class, or RMSE, MAE and R2."""
    engine = await engine_of(ctx)
    metrics = await engine.evaluate(
        model_id,
        _data_arg(data),
        data_roots=data_roots(ctx),
        **_table_args(data_format, delimiter, header),
    )
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
    name: Annotated[str | None, Field(min_length=1, max_length=L.MAX_NAME_LENGTH)] = None,
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
