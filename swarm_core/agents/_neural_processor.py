"""neural-processor agents: train, predict and evaluate `neural` networks, in worker threads.

train payload (all optional except data):
    data             inline {"inputs": [[...]], "outputs": [[...]]} or a FANN .data path
    algorithm        rprop | quickprop | batch | incremental | sarprop | cascade   (rprop)
    layers           hidden layer sizes, e.g. [8] or [16, 8] ([16]; [] = none); cascade starts
                     from none and grows
    activation       hidden activation (sigmoid_symmetric); output_activation (sigmoid)
    epochs           maximum epochs (500; cascade: maximum hidden neurons added, default 10)
    desired_error    stop when the training MSE is at or below this (0.001; 0.0 = run every
                     epoch)
Defaults and bounds are swarm_core._limits'; swarm_core._train_spec.train_payload fills them in
for Engine.train and the MCP train tool alike.
    learning_rate    for batch / incremental / quickprop (neural's default when absent)
    validation_split fraction of the samples held out to measure validation MSE (0.0)
    seed             weight init / split / shuffling seed (None = fresh entropy)
    split_seed       seed of the validation split only (default: seed), so differently seeded
                     runs can share one split and compare validation errors
    init_model_id    continue training from this model's weights (fine-tuning)
    max_seconds      wall-clock budget of the training loop (the engine's max_train_seconds)
    scale            auto | none | inputs | outputs | both   (auto: see swarm_core.agents._scaling)
    name             model name
    target           a table's column to predict (a name or a list of names): data is then a
                     table (CSV / TSV / JSON Lines / .npy / .npz / Parquet path, inline
                     {"columns", "rows"} or records); see swarm_core._tabular
    features         the columns to learn from (default: every other column)
    missing          impute | drop   (impute)
    task             auto | classification | regression   (auto: from the target's kind)
    format, delimiter, header   how to read a table file (default: detected)
Progress is reported while training runs (the latest epoch, polled from the event loop so the
training thread never waits on it); cancellation is checked at every epoch.

Checkpoints (not cascade): the training thread snapshots the network, the optimizer state
(`neural.TrainState`) and the history at most every `checkpoint_seconds` and when the task is
stopped; the progress poller stores them. A retry with resume continues from the task's
checkpoint for the epochs left (`resumed_from_epoch`, `resume_note` in the result): with the
same payload it measures the per-epoch errors the uninterrupted run would have.
"""

from __future__ import annotations

import math
import threading
import time
from functools import partial
from typing import Any

import anyio
import numpy as np

import neural
from swarm_core import _limits as L
from swarm_core import _tabular as tabular
from swarm_core._checkpoint import Checkpoint, CheckpointSlot
from swarm_core._exceptions import TaskCancelledError, ValidationError
from swarm_core._work import WorkContext
from swarm_core.agents import _metrics
from swarm_core.agents._concurrency import with_background
from swarm_core.agents._payload import (
    get_choice,
    get_float,
    get_int,
    get_int_list,
    get_opt_str,
    get_str,
    need_float,
    need_int,
)
from swarm_core.agents._scaling import choose_scaler, network_space

MAX_HISTORY_POINTS = 2_000
PROGRESS_INTERVAL_SECONDS = 0.05
# predictions this small run on the event loop: a worker-thread hop would cost more than the work
INLINE_PREDICT_MACS = 200_000


def network_summary(net: Any) -> dict[str, Any]:
    return net.describe()  # type: ignore[no-any-return]


def output_threshold(net: Any) -> float:
    """Midpoint of the output range: 0 for symmetric outputs ([-1, 1]), else 0.5 ([0, 1])."""
    return 0.0 if bool(np.all(net.output_is_symmetric)) else 0.5


def labels_for(net: Any, meta: dict[str, Any], outputs: np.ndarray) -> list[int]:
    threshold = meta.get("class_threshold")
    if threshold is None:  # a model from elsewhere: split the output range in half
        threshold = output_threshold(net)
    return [int(v) for v in _metrics.class_indices(outputs, float(threshold))]


def _class_threshold(data: Any) -> float:
    return 0.0 if float(np.min(data.outputs)) < 0 else 0.5


class _Progress:
    """The latest epoch report, written by the training thread, read by the progress poller."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.epoch = 0
        self.mse = math.nan
        self.hidden = 0


def _history(mse: list[float], bit_fail: list[int], epochs: int) -> dict[str, Any]:
    """The measured per-epoch MSE / bit-fail, thinned to at most MAX_HISTORY_POINTS evenly
    spaced epochs (always keeping the first and the last)."""
    n = len(mse)
    if n <= MAX_HISTORY_POINTS:
        idx = list(range(n))
    else:
        idx = sorted(set(np.linspace(0, n - 1, MAX_HISTORY_POINTS).round().astype(int).tolist()))
    # for cascade the points are reports, not epochs: scale their positions to the epoch count
    scale = epochs / n if n else 0.0
    return {
        "epochs_total": epochs,
        "points": n,
        "downsampled": len(idx) < n,
        "epoch": [round((i + 1) * scale) for i in idx],
        "mse": [float(mse[i]) for i in idx],
        "bit_fail": [int(bit_fail[i]) for i in idx],
    }


def _as_inline(data: Any) -> dict[str, list[list[float]]]:
    return {
        "inputs": np.asarray(data.inputs).tolist(),
        "outputs": np.asarray(data.outputs).tolist(),
    }


async def train(ctx: WorkContext, payload: dict[str, Any]) -> dict[str, Any]:
    if "data" not in payload:
        raise ValidationError(
            "data", "data is required: inline {inputs, outputs} or a FANN .data path"
        )
    cfg = ctx.config
    algorithm = get_choice(payload, "algorithm", L.DEFAULT_ALGORITHM, L.ALGORITHMS)
    size = L.LAYER_SIZE
    hidden = get_int_list(
        payload, "layers", [], int(size.lo), int(size.hi), max_len=L.MAX_HIDDEN_LAYERS
    )
    if "layers" not in payload and algorithm != "cascade":
        hidden = list(L.DEFAULT_LAYERS)
    hidden_act = get_choice(payload, "activation", L.DEFAULT_HIDDEN_ACTIVATION, L.ACTIVATIONS)
    output_act = get_choice(
        payload, "output_activation", L.DEFAULT_OUTPUT_ACTIVATION, L.ACTIVATIONS
    )
    epochs = need_int(payload, "epochs", L.default_epochs(algorithm), 1, cfg.max_epochs)
    desired_error = _need_in(payload, "desired_error", L.DEFAULT_DESIRED_ERROR, L.DESIRED_ERROR)
    learning_rate = _get_in(payload, "learning_rate", None, L.LEARNING_RATE)
    validation_split = _need_in(payload, "validation_split", 0.0, L.VALIDATION_SPLIT)
    seed = get_int(payload, "seed", None, int(L.SEED.lo), int(L.SEED.hi))
    split_seed = get_int(payload, "split_seed", seed, int(L.SEED.lo), int(L.SEED.hi))
    max_seconds = need_float(
        payload, "max_seconds", cfg.max_train_seconds, 0.0, cfg.max_train_seconds, lo_open=True
    )
    init_model_id = get_opt_str(payload, "init_model_id", max_len=L.ID_MAX_LENGTH)
    name = get_opt_str(payload, "name", max_len=cfg.max_name_length)
    scale_mode = get_choice(payload, "scale", L.DEFAULT_SCALE, L.SCALE_MODES)

    if init_model_id is None and not ctx.resume_requested:
        # with one input and one output the fewest the layers can cost: refused before the
        # data is even read
        _check_weights(cfg, algorithm, hidden, epochs, 1, 1, at_least=True)
    prepared: tabular.Prepared | None = None
    if payload.get("target") is not None:
        prepared = await _prepare_table(ctx, payload, validation_split, split_seed, init_model_id)
        data, train_data, valid_data = await ctx.run_cpu(_table_data, prepared)
    else:
        data = await ctx.load_data(payload["data"])
        train_data, valid_data = _plain_split(data, validation_split, split_seed)

    n_in, n_out = int(data.n_inputs), int(data.n_outputs)
    ckpt, resume_note = _resume_plan(ctx, algorithm)
    resume_state: neural.TrainState | None = None
    if ckpt is not None:
        net = await ctx.run_cpu(neural.Network.from_bytes, ckpt.network)
        if (net.n_inputs, net.n_outputs) != (n_in, n_out):
            raise ValidationError(
                "data",
                f"the checkpoint's network has {net.n_inputs} inputs / {net.n_outputs} outputs, "
                f"the data now has {n_in} / {n_out}; retry with resume=false",
            )
        scaling: dict[str, Any] = dict(ckpt.meta.get("scaling") or {"mode": "checkpoint"})
        if ckpt.optimizer_state is not None:
            try:
                resume_state = await ctx.run_cpu(neural.TrainState.from_bytes, ckpt.optimizer_state)
                resume_state.check_fits(algorithm, net.n_connections, net.dtype)
            except neural.ConfigError as exc:
                resume_state = None
                resume_note = (
                    f"continued from the checkpoint after epoch {ckpt.epochs_done} with the "
                    f"weights and scaling saved then; its optimizer state was unusable ({exc}), "
                    "so the optimizer restarts from its initial state"
                )
    elif init_model_id is not None:
        base, _ = await ctx.load_model(init_model_id)
        if (base.n_inputs, base.n_outputs) != (n_in, n_out):
            raise ValidationError(
                "init_model_id",
                f"model {init_model_id} has {base.n_inputs} inputs / {base.n_outputs} outputs, "
                f"the data has {n_in} / {n_out}",
            )
        net = base.copy()  # the cached network is shared: never train it in place
        if algorithm == "cascade" and not net.is_shortcut:
            raise ValidationError(
                "init_model_id", "cascade can only continue a cascade (shortcut) model"
            )
        if scale_mode != "auto":
            raise ValidationError(
                "scale",
                "scale cannot be set with init_model_id: fine-tuning keeps the base's units",
            )
        scaling = {"mode": "inherited", "scaled": net.scaler is not None}
    elif algorithm == "cascade":
        _check_weights(cfg, algorithm, hidden, epochs, n_in, n_out)
        _check_cascade_workspace(cfg, epochs, n_in, len(train_data))
        net = neural.Network.shortcut(
            [n_in, n_out], hidden_activation=hidden_act, output_activation=output_act, seed=seed
        )
    else:
        _check_weights(cfg, algorithm, hidden, epochs, n_in, n_out)
        net = neural.Network.standard(
            [n_in, *hidden, n_out],
            hidden_activation=hidden_act,
            output_activation=output_act,
            seed=seed,
        )
    if net.n_connections > cfg.max_network_weights:
        raise ValidationError(
            "layers",
            f"network would have {net.n_connections} weights; the limit is {cfg.max_network_weights}",
        )
    if init_model_id is None and ckpt is None:
        # fitted on the training part only: the validation part stays unseen
        net.scaler, scaling = choose_scaler(train_data, scale_mode, output_act)
    net_train = network_space(net, train_data)

    progress = _Progress()
    cancel = ctx.cancel_event
    task_id = ctx.task.id
    epochs_before = ckpt.epochs_done if ckpt is not None else 0
    epochs_left = epochs - epochs_before
    # cascade grows units inside neural.cascade_train and writes them into the network only
    # when it returns, so there is nothing consistent to snapshot while it runs
    slot = None if algorithm == "cascade" else CheckpointSlot(ctx.checkpoint_seconds, epochs_before)
    prior_mse = list(ckpt.mse) if ckpt is not None else []
    prior_bit_fail = list(ckpt.bit_fail) if ckpt is not None else []
    prior_loop = float(ckpt.meta.get("loop_seconds", 0.0)) if ckpt is not None else 0.0
    written = [0]

    def store_checkpoint() -> None:
        snap = slot.take() if slot is not None else None
        if snap is None:
            return
        ctx.save_checkpoint(
            Checkpoint(
                task_id=task_id,
                swarm_id=ctx.task.swarm_id,
                algorithm=algorithm,
                epochs_done=snap.epochs_done,
                network=snap.network,
                mse=prior_mse + snap.mse,
                bit_fail=prior_bit_fail + snap.bit_fail,
                meta={
                    "scaling": scaling,
                    "epochs_budget": epochs,
                    "loop_seconds": prior_loop + snap.loop_seconds,
                    "last_mse": snap.mse[-1],
                    "optimizer_state": snap.optimizer_state is not None,
                },
                optimizer_state=snap.optimizer_state,
            )
        )
        written[0] += 1

    def on_epoch(report: Any) -> None:
        if slot is not None:
            slot.record(report.mse, report.bit_fail, report.elapsed_seconds)
        if cancel.is_set():
            if slot is not None:  # stopped (shutdown, timeout, cancel): keep what was done
                slot.offer(net, partial(_state_bytes, report), force=True)
            raise TaskCancelledError(f"task {task_id} was cancelled during epoch {report.epoch}")
        if slot is not None:
            slot.offer(net, partial(_state_bytes, report))
        with progress.lock:
            progress.epoch = int(report.epoch)
            progress.mse = float(report.mse)
            progress.hidden = int(getattr(report, "hidden_units", 0))

    def work() -> Any:
        if algorithm == "cascade":
            cascade_config = neural.CascadeConfig(
                max_neurons=epochs, desired_error=desired_error, seed=seed, max_seconds=max_seconds
            )
            return neural.cascade_train(net, net_train, cascade_config, callback=on_epoch)
        kwargs: dict[str, Any] = {}
        if learning_rate is not None:
            kwargs["learning_rate"] = learning_rate
        if epochs_left <= 0:  # the checkpoint was taken after the last epoch
            return neural.TrainHistory(algorithm=algorithm, epochs=0)
        config = neural.TrainConfig(
            algorithm=algorithm,  # type: ignore[arg-type]  # checked against L.ALGORITHMS above
            max_epochs=epochs_left,
            desired_error=desired_error,
            seed=seed,
            max_seconds=max_seconds,
            **kwargs,
        )
        return neural.train(net, net_train, config, callback=on_epoch, state=resume_state)

    async def poll_progress() -> None:
        last = -1
        while True:
            await anyio.sleep(PROGRESS_INTERVAL_SECONDS)
            store_checkpoint()
            with progress.lock:
                epoch, mse, hidden = progress.epoch, progress.mse, progress.hidden
            epoch += epochs_before
            if epoch != last:
                last = epoch
                if algorithm == "cascade":  # `epochs` bounds the hidden units it may add
                    frac = min(L.RUNNING_PROGRESS_CAP, hidden / epochs)
                    msg = f"epoch {epoch}, {hidden} hidden units: mse {mse:.6g}"
                else:
                    frac = min(L.RUNNING_PROGRESS_CAP, epoch / epochs)
                    msg = f"epoch {epoch}: mse {mse:.6g}"
                await ctx.report_progress(frac, msg)

    if prepared is not None:
        is_classifier = prepared.prep.task == "classification"
    else:
        is_classifier = _metrics.looks_like_classification(np.asarray(data.outputs))
    threshold = _class_threshold(data) if is_classifier else None

    t_start = time.perf_counter()
    finished = False
    try:
        trained = await with_background(lambda: ctx.run_cpu(work), poll_progress)
        finished = True
    finally:
        if not finished:
            store_checkpoint()  # the snapshot taken when it stopped, or the latest periodic one
    train_seconds = time.perf_counter() - t_start
    all_mse = prior_mse + list(trained.mse)
    all_bit_fail = prior_bit_fail + list(trained.bit_fail)

    train_fit = await ctx.run_cpu(fit_report, net, train_data, threshold)
    metrics: dict[str, Any] = {
        "train_mse": train_fit["mse"],
        "train_bit_fail": train_fit["bit_fail"],
        "train_target_rmse": train_fit["target_rmse"],
        "epochs_run": epochs_before + int(trained.epochs),
        "train_seconds": round(train_seconds, 6),
        # the training loop alone, and the JIT work done before it (first use in a process)
        "loop_seconds": round(float(trained.seconds), 6),
        "compile_seconds": round(float(trained.compile_seconds), 6),
        "n_train": len(train_data),
        "n_validation": 0 if valid_data is None else len(valid_data),
        "stop_reason": str(trained.stop_reason),
        "scaling": scaling,
    }
    if ctx.resume_requested:
        metrics["resumed_from_epoch"] = epochs_before if ckpt is not None else None
        metrics["resume_note"] = resume_note
        if ckpt is not None:
            metrics["loop_seconds_before_resume"] = round(prior_loop, 6)
    if slot is not None and slot.snapshot_seconds:
        metrics["checkpoints"] = {
            "written": written[0],
            "snapshot_ms_median": round(1000 * float(np.median(slot.snapshot_seconds)), 3),
            "network_bytes": slot.snapshot_bytes,
            "optimizer_state_bytes": slot.state_bytes,
        }
    if algorithm == "cascade":
        metrics["hidden_added"] = int(trained.hidden_added)
    valid_fit = None
    if valid_data is not None:
        valid_fit = await ctx.run_cpu(fit_report, net, valid_data, threshold)
        metrics["validation_mse"] = valid_fit["mse"]
        metrics["validation_bit_fail"] = valid_fit["bit_fail"]
        metrics["validation_target_rmse"] = valid_fit["target_rmse"]
    if is_classifier:
        metrics["train_error_pct"] = train_fit["error_pct"]
        if valid_fit is not None:
            metrics["validation_error_pct"] = valid_fit["error_pct"]
    history = _history(all_mse, all_bit_fail, epochs_before + int(trained.epochs))
    desc = net.describe()
    model_id = await ctx.save_model(
        net,
        {
            "name": name or f"{algorithm}-{'x'.join(map(str, desc['layers']))}",
            "layers": desc["layers"],
            "activations": [a if isinstance(a, str) else "mixed" for a in desc["activations"]],
            "algorithm": algorithm,
            "metrics": metrics,
            "history": history,
            "is_classifier": is_classifier,
            "parent_model_id": init_model_id,
            # labels at predict time split at the midpoint of the class values trained on
            "class_threshold": threshold,
            "seed": seed,
            **({"tabular": prepared.prep.to_json()} if prepared is not None else {}),
        },
    )
    await ctx.report_progress(1.0, f"trained {model_id}: train mse {metrics['train_mse']:.6g}")
    return {
        "model_id": model_id,
        "agent_id": ctx.agent.id if ctx.agent else None,
        "algorithm": algorithm,
        "layers": desc["layers"],
        "seed": seed,
        "init_model_id": init_model_id,
        "is_classifier": is_classifier,
        **metrics,
        "final_mse": float(all_mse[-1]) if all_mse else train_fit["mse"],
        "history": history,
        **({"table": prepared.report} if prepared is not None else {}),
    }


def _get_in(
    payload: dict[str, Any], field: str, default: float | None, bound: L.Bound
) -> float | None:
    lo, hi = float(bound.lo), float(bound.hi)  # messages say [0.0, 0.9], as for any float
    return get_float(payload, field, default, lo, hi, lo_open=bound.lo_open)


def _need_in(payload: dict[str, Any], field: str, default: float, bound: L.Bound) -> float:
    value = _get_in(payload, field, default, bound)
    return default if value is None else value


def _check_weights(
    cfg: Any,
    algorithm: str,
    hidden: list[int],
    epochs: int,
    n_in: int,
    n_out: int,
    *,
    at_least: bool = False,
) -> None:
    """Refuse a network over max_network_weights from its sizes, before anything is built.

    Cascade grows a shortcut network by up to ``epochs`` single-unit layers: its final size is
    what counts. ``at_least``: the data's widths are not known yet (1 input, 1 output)."""
    limit = cfg.max_network_weights
    if at_least:
        need, io = "need at least", " even with a single input and output"
    else:
        need, io = "need", f" with {n_in} inputs / {n_out} outputs"
    if algorithm == "cascade":
        n = neural.Network.count_weights([n_in, *([1] * epochs), n_out], shortcut=True)
        if n > limit:
            raise ValidationError(
                "epochs",
                f"cascade may add epochs={epochs} hidden units: they {need} {n} weights{io}; "
                f"the limit is max_network_weights={limit}",
            )
        return
    if not hidden:
        return
    n = neural.Network.count_weights([n_in, *hidden, n_out])
    if n > limit:
        raise ValidationError(
            "layers",
            f"layers {hidden} {need} {n} weights{io}; the limit is max_network_weights={limit}",
        )


def _check_cascade_workspace(cfg: Any, epochs: int, n_in: int, n_samples: int) -> None:
    """Refuse a cascade run whose up-front workspace (neural.cascade_train's formula: a float32
    per sample and per possible unit, plus the candidates) exceeds the configured bound."""
    columns = 1 + n_in + epochs
    candidates = neural.CascadeConfig().num_candidates
    need = 4 * (n_samples * columns + 4 * columns * candidates)
    limit = cfg.max_cascade_workspace_bytes
    if need > limit:
        raise ValidationError(
            "epochs",
            f"cascade with epochs={epochs} hidden units on {n_samples} samples of {n_in} inputs "
            f"needs {need} bytes of workspace; the limit is max_cascade_workspace_bytes={limit}",
        )


def _table_options(payload: dict[str, Any]) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    if payload.get("format") is not None:
        opts["format"] = get_choice(payload, "format", "csv", L.TABLE_FORMATS)
    if payload.get("delimiter") is not None:
        opts["delimiter"] = get_str(payload, "delimiter", max_len=1)
    header = payload.get("header")
    if header is not None:
        if not isinstance(header, bool):
            raise ValidationError("header", "header must be true or false (default: detected)")
        opts["header"] = header
    return opts


async def _prepare_table(
    ctx: WorkContext,
    payload: dict[str, Any],
    validation_split: float,
    split_seed: int | None,
    init_model_id: str | None,
) -> tabular.Prepared:
    missing = get_choice(payload, "missing", "impute", L.MISSING_MODES)
    task = get_choice(payload, "task", "auto", L.TABULAR_TASKS)
    base = None
    if init_model_id is not None:
        _, base_meta = await ctx.load_model(init_model_id)
        if base_meta.get("tabular") is None:
            raise ValidationError(
                "init_model_id",
                f"model {init_model_id} was not trained on a table: fine-tune it with "
                "inputs/outputs rows",
            )
        base = tabular.Preprocessor.from_json(base_meta["tabular"])
    table = await ctx.load_table(payload["data"], _table_options(payload))
    return await ctx.run_cpu(
        partial(
            tabular.prepare_training,
            table,
            target=payload["target"],
            features=payload.get("features"),
            missing=missing,
            task=task,
            validation_split=validation_split,
            split_seed=split_seed,
            limits=ctx.prep_limits(),
            base=base,
        )
    )


def _plain_split(data: Any, validation_split: float, split_seed: int | None) -> tuple[Any, Any]:
    if validation_split <= 0:
        return data, None
    try:
        train_data, valid_data = data.split(1.0 - validation_split, seed=split_seed)
    except neural.ConfigError:
        train_data = valid_data = None
    if valid_data is None or len(valid_data) == 0 or train_data is None or not len(train_data):
        raise ValidationError(
            "validation_split",
            f"validation_split {validation_split} leaves an empty part of {len(data)} samples",
        )
    return train_data, valid_data


def _table_data(prepared: tabular.Prepared) -> tuple[Any, Any, Any]:
    """The encoded table as TrainingData: all rows, the training part, the validation part (the
    preprocessing's split: stratified for classifiers)."""
    data = neural.TrainingData(prepared.x, prepared.y)
    prepared.x = prepared.y = np.empty(0)  # TrainingData holds its own copy
    if not prepared.valid_idx.size:
        return data, data, None
    return data, data.subset(prepared.train_idx), data.subset(prepared.valid_idx)


def _resume_plan(ctx: WorkContext, algorithm: str) -> tuple[Checkpoint | None, str | None]:
    """The checkpoint to continue from and what the result should say about resuming."""
    if not ctx.resume_requested:
        return None, None
    ckpt = ctx.checkpoint
    if algorithm == "cascade":
        return None, (
            "cascade trains from scratch on retry: neural.cascade_train installs grown units "
            "only when it returns, so a cascade run has no checkpoints"
        )
    if ckpt is None:
        return None, (
            "no checkpoint was stored for this task (it stopped before its first one, or "
            "checkpoints are off): trained from scratch"
        )
    if ckpt.optimizer_state is None:  # a row stored before checkpoints kept the state
        return ckpt, (
            f"continued from the checkpoint after epoch {ckpt.epochs_done} with the weights and "
            "scaling saved then; the checkpoint has no optimizer state, so it restarts (RPROP/"
            "SARPROP step sizes at their initial value, previous slopes at zero)"
        )
    return ckpt, (
        f"continued from the checkpoint after epoch {ckpt.epochs_done} with the weights, "
        "scaling and optimizer state (step sizes, previous slopes, epoch counter, RNG) saved "
        "then: the optimizer state was restored, so the run continues as if uninterrupted"
    )


def _state_bytes(report: Any) -> bytes:
    return report.train_state().to_bytes()  # type: ignore[no-any-return]


def fit_report(net: Any, data: Any, threshold: float | None) -> dict[str, Any]:
    """How well ``net`` fits ``data`` (original units): MSE and bit-fail in the network's units
    (FANN's convention, what training minimises), RMSE in the targets' own units, and for a
    classifier (``threshold`` given) the share of misclassified samples."""
    ev = neural.evaluate(net, network_space(net, data))
    outputs = np.asarray(net.predict(data.inputs), dtype=np.float64)
    targets = np.asarray(data.outputs, dtype=np.float64)
    report: dict[str, Any] = {
        "mse": float(ev.mse),
        "bit_fail": int(ev.bit_fail),
        "target_rmse": float(np.sqrt(np.mean((outputs - targets) ** 2))),
    }
    if threshold is not None:
        cls = _metrics.classification_report(outputs, targets, threshold)
        report["error_pct"] = float(cls["error_pct"])
        report["confusion_matrix"] = cls["confusion_matrix"]
    return report


async def predict(ctx: WorkContext, payload: dict[str, Any]) -> dict[str, Any]:
    model_id = get_str(payload, "model_id", max_len=L.ID_MAX_LENGTH)
    if ("inputs" in payload) == ("records" in payload):
        raise ValidationError(
            "inputs", "give inputs (a list of rows, or one row) or records (objects by column name)"
        )
    net, meta = await ctx.load_model(model_id)
    if meta.get("tabular") is not None:
        return await _predict_table(ctx, model_id, net, meta, payload)
    if "records" in payload:
        raise ValidationError(
            "records",
            f"model {model_id} was trained on numeric rows without column names: pass inputs",
        )
    x = _inputs_matrix(payload["inputs"], net.n_inputs, ctx.config.max_dataset_samples)
    limit = ctx.config.max_predict_values
    if x.shape[0] * net.n_outputs > limit:
        raise ValidationError(
            "inputs",
            f"{x.shape[0]} rows x {net.n_outputs} outputs = {x.shape[0] * net.n_outputs} "
            f"values; the limit is max_predict_values={limit}",
        )
    if x.shape[0] * net.n_connections <= INLINE_PREDICT_MACS:
        y = net.predict(x)
    else:
        y = await ctx.run_cpu(net.predict, x)
    is_classifier = bool(meta.get("is_classifier"))
    return {
        "model_id": model_id,
        "outputs": np.asarray(y, dtype=np.float64).tolist(),
        "labels": labels_for(net, meta, y) if is_classifier else None,
    }


async def _predict_table(
    ctx: WorkContext, model_id: str, net: Any, meta: dict[str, Any], payload: dict[str, Any]
) -> dict[str, Any]:
    prep = tabular.Preprocessor.from_json(meta["tabular"])
    limits = ctx.table_limits()
    if "records" in payload:
        records = payload["records"]
        if isinstance(records, dict):
            records = [records]
        if not isinstance(records, list) or not records:
            raise ValidationError("records", "records must be a non-empty list of objects")
        table = tabular.table_from_predict_records(records, prep, limits)
    else:
        rows = payload["inputs"]
        if isinstance(rows, list) and rows and not isinstance(rows[0], list):
            rows = [rows]
        if not isinstance(rows, list) or not rows:
            raise ValidationError("inputs", "inputs must be a non-empty list of rows")
        table = tabular.table_from_feature_rows(rows, prep, limits)
    x = prep.transform(table)
    y = (
        await ctx.run_cpu(net.predict, x)
        if x.shape[0] * net.n_connections > INLINE_PREDICT_MACS
        else net.predict(x)
    )
    y = np.asarray(y, dtype=np.float64)
    out: dict[str, Any] = {"model_id": model_id, "outputs": y.tolist()}
    if prep.task == "classification":
        names, scores = tabular.class_scores(prep, y)
        assert prep.classes is not None
        out.update(
            labels=[prep.classes.index(n) for n in names],
            classes=names,
            scores=scores,
            class_names=prep.classes,
        )
    else:
        out.update(labels=None, targets=prep.targets)
    return out


def _inputs_matrix(raw: Any, n_inputs: int, max_rows: int) -> np.ndarray:
    try:
        x = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValidationError("inputs", "inputs must be numbers: a row or a list of rows") from None
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] != n_inputs:
        raise ValidationError(
            "inputs", f"inputs must be rows of {n_inputs} numbers, got shape {list(x.shape)}"
        )
    if x.shape[0] > max_rows:
        raise ValidationError("inputs", f"{x.shape[0]} rows; the limit is {max_rows}")
    if not np.isfinite(x).all():
        raise ValidationError("inputs", "inputs contain NaN or infinity")
    return x


async def evaluate(ctx: WorkContext, payload: dict[str, Any]) -> dict[str, Any]:
    model_id = get_str(payload, "model_id", max_len=L.ID_MAX_LENGTH)
    if "data" not in payload:
        raise ValidationError(
            "data", "data is required: inline {inputs, outputs} or a FANN .data path"
        )
    net, meta = await ctx.load_model(model_id)
    if meta.get("tabular") is not None:
        return await _evaluate_table(ctx, model_id, net, meta, payload)
    data = await ctx.load_data(payload["data"])
    if (int(data.n_inputs), int(data.n_outputs)) != (net.n_inputs, net.n_outputs):
        raise ValidationError(
            "data",
            f"model {model_id} takes {net.n_inputs} inputs / {net.n_outputs} outputs, "
            f"the data has {data.n_inputs} / {data.n_outputs}",
        )
    threshold = None
    if meta.get("is_classifier"):
        threshold = meta.get("class_threshold")
        if threshold is None:
            threshold = _class_threshold(data)
    fit = await ctx.run_cpu(fit_report, net, data, threshold)
    return {"model_id": model_id, "n_samples": len(data), **fit}


async def _evaluate_table(
    ctx: WorkContext, model_id: str, net: Any, meta: dict[str, Any], payload: dict[str, Any]
) -> dict[str, Any]:
    prep = tabular.Preprocessor.from_json(meta["tabular"])
    table = await ctx.load_table(payload["data"], _table_options(payload))

    def work() -> dict[str, Any]:
        n = table.n_rows
        if prep.task == "classification":
            assert prep.classes is not None
            codes = prep.target_codes(table, field="data")
            target_col = table.column(prep.targets[0])
            assert target_col is not None
            absent = target_col.missing()
            known = codes >= 0
            if not known.any():
                raise ValidationError("data", "no row has a target class the model knows")
            x = np.ascontiguousarray(prep.transform(table.take(np.flatnonzero(known))))
            y = np.asarray(net.predict(x), dtype=np.float64)
            names, _ = tabular.class_scores(prep, y)
            pred = np.array([prep.classes.index(c) for c in names], dtype=np.int64)
            report = tabular.classification_metrics(prep.classes, codes[known], pred)
            report["rows_unknown_class"] = int((~known & ~absent).sum())
        else:
            yt = prep.target_values(table, field="data")
            known = ~np.isnan(yt).any(axis=1)
            if not known.any():
                raise ValidationError("data", "no row has a target value")
            x = np.ascontiguousarray(prep.transform(table.take(np.flatnonzero(known))))
            y = np.asarray(net.predict(x), dtype=np.float64)
            report = tabular.regression_metrics(prep.targets, yt[known].astype(np.float64), y)
        report["rows_missing_target"] = int((~known).sum()) - int(
            report.get("rows_unknown_class", 0)
        )
        return {
            "model_id": model_id,
            "n_samples": int(known.sum()),
            "rows_read": n,
            "task": prep.task,
            **report,
        }

    return await ctx.run_cpu(work)
