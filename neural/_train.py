"""`train`: run FANN's training algorithms on a `Network` in place.

Full-batch algorithms (RPROP, Quickprop, batch, SARPROP) cost one compiled call per epoch
(`neural._train_kernels._batch_epoch`: forward, slopes and update over all samples) or, for
wide layered networks on dense inputs, one chunked pass of single-threaded BLAS products and
small kernels (`neural._train_blas`, chosen by `uses_blas`); ``threads`` splits an epoch's
samples by work (`split_threads`). Incremental training runs whole chunks of epochs in one
call. Between calls the Python side records the epoch's MSE and bit fails, applies the stop
tests and calls the callback every ``report_every`` epochs; without a callback,
``max_seconds`` is checked after chunks of about `CHUNK_SECONDS`. Training holds the dataset
once more in the kernels' layout (transposed float32/64, or CSR for mostly-zero inputs) plus
a few per-block buffers (BLAS path: one layer's weight block of slopes per thread).

Optimiser state (RPROP steps, previous slopes, ...) lives for one `train` call: a second call
starts from FANN's initial state again, like a freshly created FANN network, unless it is
given the `TrainState` a callback of the first one took (`EpochReport.train_state`); then it
continues exactly where that epoch left off.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Final

import numpy as np

from . import _blas
from . import _train_blas as B
from . import _train_kernels as K
from ._activations import ACTIVATIONS, UNTRAINABLE
from ._config import ensure_compiled
from ._data import TrainingData
from ._exceptions import ConfigError, NonFiniteError, ShapeError
from ._network import Network
from ._train_config import EpochReport, StopReason, TrainConfig, TrainHistory
from ._train_state import USED, TrainState

Callback = Callable[[EpochReport], "bool | None"]

CHUNK_SECONDS: Final[float] = 0.05
# A thread only pays off with this much work per epoch (samples x connections, ~0.15 ms on one
# core) against the per-epoch hand-off (~50 us); below it training stays on one thread. Set
# from the reference runs: 2,048 x 32-32-1 (2.2M) gained nothing from a second thread,
# thyroid (3,600 x 803 = 2.9M) gained 1.45x, 2,000 x 32-256-1 (17M) idled the second core.
MIN_WORK_PER_THREAD: Final[int] = 1_400_000
# Layered networks with dense inputs, a layer at least this wide and at least this much work
# per epoch (samples x connections) compute their full-batch slopes with BLAS products
# (`neural._train_blas`): measured 1.5-2x faster than the block kernels from 64 units up
# (CPU time, 2,000-20,000 samples), even with 300 samples. FANN-sized networks (32 hidden
# units) and small work stay on the block kernels.
BLAS_MIN_UNITS: Final[int] = 64
BLAS_MIN_WORK: Final[int] = 1 << 18
# `_Trainer.run` statuses
RUNNING, STOP, DEADLINE, NONFINITE = 0, 1, 2, 3
# Inputs with fewer non-zeros than this fraction take the sparse (CSR) first-layer path: it
# costs about twice as much per touched input as the dense path, so it wins below ~1/2.
SPARSE_DENSITY: Final[float] = 0.5
MAX_CHUNK_EPOCHS: Final[int] = 10_000

_ALGO_CODES: Final[dict[str, int]] = {
    "incremental": K.ALGO_INCREMENTAL,
    "batch": K.ALGO_BATCH,
    "rprop": K.ALGO_RPROP,
    "quickprop": K.ALGO_QUICKPROP,
    "sarprop": K.ALGO_SARPROP,
}


def check_compatible(net: Network, data: TrainingData) -> None:
    if not isinstance(net, Network):
        raise ShapeError(f"net must be a Network, got {type(net).__name__}")
    if not isinstance(data, TrainingData):
        raise ShapeError(f"data must be a TrainingData, got {type(data).__name__}")
    if data.n_inputs != net.n_inputs or data.n_outputs != net.n_outputs:
        raise ShapeError(
            f"data has {data.n_inputs} inputs / {data.n_outputs} outputs, "
            f"network expects {net.n_inputs} / {net.n_outputs}"
        )


def check_trainable(net: Network) -> None:
    neurons = net.act_id[1 + net.n_inputs :]
    bad = sorted({ACTIVATIONS[int(a)] for a in neurons if ACTIVATIONS[int(a)] in UNTRAINABLE})
    if bad:
        raise ConfigError(
            "activation", f"cannot train through {', '.join(bad)} (no usable derivative)"
        )


def kernel_params(cfg: TrainConfig, n_samples: int, dtype: np.dtype[Any]) -> np.ndarray:
    """The kernels' parameter vector in the network dtype (FANN keeps these as C floats)."""
    p = np.zeros(K.N_PARAMS, dtype=dtype)
    p[K.P_LR] = cfg.learning_rate
    p[K.P_MOMENTUM] = cfg.learning_momentum
    p[K.P_INC] = cfg.rprop_increase_factor
    p[K.P_DEC] = cfg.rprop_decrease_factor
    p[K.P_DMIN] = cfg.rprop_delta_min
    p[K.P_DMAX] = cfg.rprop_delta_max
    p[K.P_QP_DECAY] = cfg.quickprop_decay
    p[K.P_QP_MU] = cfg.quickprop_mu
    p[K.P_SA_DECAY_SHIFT] = cfg.sarprop_weight_decay_shift
    p[K.P_SA_THRESHOLD] = cfg.sarprop_step_error_threshold_factor
    p[K.P_SA_ERROR_SHIFT] = cfg.sarprop_step_error_shift
    p[K.P_SA_TEMPERATURE] = cfg.sarprop_temperature
    p[K.P_BIT_LIMIT] = cfg.bit_fail_limit
    p[K.P_DESIRED] = cfg.desired_error
    # computed in the network dtype, like FANN's `float epsilon = learning_rate / num_data`
    p[K.P_EPSILON] = p[K.P_LR] / dtype.type(n_samples)
    p[K.P_QP_SHRINK] = cfg.quickprop_mu / (1.0 + cfg.quickprop_mu)
    return p


def input_layouts(
    inputs: np.ndarray, dtype: np.dtype[Any], *, sparse: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The inputs as the kernels read them: ``(XT, csr_ptr, csr_idx, csr_val)``.

    Mostly-zero inputs (one-hot codes, census data) go in CSR form, so that the first layer
    only touches each sample's non-zero inputs; otherwise transposed and dense. Only one of
    the two forms is materialised (the other is empty).
    """
    n, n_in = inputs.shape
    nonzero = inputs != 0
    if sparse and np.count_nonzero(nonzero) < SPARSE_DENSITY * n * n_in:
        rows, cols = np.nonzero(nonzero)
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=ptr[1:])
        return (
            np.empty((n_in, 0), dtype=dtype),
            ptr,
            cols.astype(np.int64),
            np.ascontiguousarray(inputs[rows, cols], dtype=dtype),
        )
    empty = np.empty(0, dtype=np.int64)
    return np.ascontiguousarray(inputs.T, dtype=dtype), empty, empty, np.empty(0, dtype=dtype)


def split_threads(threads: int, n_samples: int, n_connections: int) -> int:
    """Threads an epoch is split over: ``threads`` at most, each with at least
    `MIN_WORK_PER_THREAD` sample-connections and one block of samples."""
    by_work = (n_samples * n_connections) // MIN_WORK_PER_THREAD
    return max(1, min(threads, by_work, -(-n_samples // K.BLOCK)))


def uses_blas(net: Network, algo: int, sparse_inputs: bool, n_samples: int) -> bool:
    """Whether full-batch slopes go through `neural._train_blas` (see `BLAS_MIN_UNITS`)."""
    layout = net._layout
    return (
        algo != K.ALGO_INCREMENTAL
        and not sparse_inputs
        and int(layout[:, 1].max()) >= BLAS_MIN_UNITS
        and n_samples * net.n_connections >= BLAS_MIN_WORK
        and B.is_layered(layout)
        and _blas.available()
    )


class _Trainer:
    """Optimiser state for one `train` call; ``run(k)`` advances up to ``k`` epochs."""

    def __init__(
        self, net: Network, data: TrainingData, cfg: TrainConfig, state: TrainState | None = None
    ) -> None:
        self.net = net
        self.cfg = cfg
        dt = net.dtype
        # the only copies of the dataset training makes: one per array, and only if the dtype
        # or memory order differ from what the kernels need
        self.TT = np.ascontiguousarray(data.outputs.T, dtype=dt)
        self.XT, self.csr_ptr, self.csr_idx, self.csr_val = input_layouts(
            data.inputs, dt, sparse=cfg.algorithm != "incremental"
        )
        nw = net.n_connections
        self.G = np.zeros(nw, dtype=dt)
        step0 = cfg.rprop_delta_zero if cfg.algorithm == "rprop" else 0.0
        self.prev_steps = np.full(nw, step0, dtype=dt)
        self.prev_slopes = np.zeros(nw, dtype=dt)
        self.state = np.zeros(K.N_STATE, dtype=np.int64)
        seed = 0x9E3779B97F4A7C15 if cfg.seed is None else cfg.seed
        self.state[K.S_RNG] = np.int64(np.uint64(seed | 1).view(np.int64))
        self.params = kernel_params(cfg, data.n_samples, dt)
        self.algo = _ALGO_CODES[cfg.algorithm]
        self.err_tanh = cfg.error_function == "tanh"
        self.stop_bit = cfg.stop_function == "bit"
        self.shuffle = cfg.seed is not None
        self.epochs_before = 0
        self.epochs_done = 0  # in this call; what `snapshot` is taken at
        self.blas = uses_blas(net, self.algo, self.csr_ptr.size > 0, data.n_samples)
        if state is not None:
            self._restore(state)

    def _restore(self, state: TrainState) -> None:
        self.epochs_before = state.epochs
        used = USED[self.cfg.algorithm]
        if "steps" in used:
            np.copyto(self.prev_steps, state.steps)
        if "slopes" in used:
            np.copyto(self.prev_slopes, state.slopes)
        if "deltas" in used:  # incremental: G carries the previous deltas (momentum)
            np.copyto(self.G, state.deltas)
        self.state[K.S_SARPROP_EPOCH] = state.sarprop_epoch
        self.state[K.S_RNG] = state.rng

    def snapshot(self, epochs: int) -> TrainState:
        """Copies of the state after ``epochs`` epochs of this call (between epochs only)."""
        if epochs != self.epochs_done:
            raise ConfigError(
                "report",
                f"this report is from epoch {epochs}, the training is past epoch "
                f"{self.epochs_done}: take the state in the callback that receives the report",
            )
        used = USED[self.cfg.algorithm]

        def arr(name: str, a: np.ndarray) -> np.ndarray:
            return a.copy() if name in used else a[:0].copy()

        return TrainState(
            algorithm=self.cfg.algorithm,
            epochs=self.epochs_before + epochs,
            n_weights=self.G.shape[0],
            steps=arr("steps", self.prev_steps),
            slopes=arr("slopes", self.prev_slopes),
            deltas=arr("deltas", self.G),
            sarprop_epoch=int(self.state[K.S_SARPROP_EPOCH]),
            rng=int(self.state[K.S_RNG]),
        )

    def _workspace(self) -> tuple[np.ndarray, ...]:
        """Per-thread block buffers ``(U, S, E, S0, NZ, NC)`` (BLAS path: `B.workspace`)."""
        net = self.net
        if self.blas:
            return B.workspace(net.n_units, net._layout, net.dtype)
        dt = net.dtype
        layout = net._layout
        U = np.zeros((net.n_units, K.BLOCK), dtype=dt)
        return (
            U,
            np.zeros_like(U),
            np.zeros_like(U),
            np.zeros((K.BLOCK, int(layout[0, 1])), dtype=dt),
            np.zeros(max(int(self.nzoff[-1]), 1), dtype=np.int64),
            np.zeros(layout.shape[0], dtype=np.int64),
        )

    def _prepare(self) -> None:
        n = self.TT.shape[1]
        self.nzoff = K._nz_offsets(self.net._layout)
        threads = split_threads(self.cfg.threads, n, self.net.n_connections)
        # contiguous, block-aligned sample ranges
        per = -(-n // threads)
        per = -(-per // K.BLOCK) * K.BLOCK
        self.ranges = [(lo, min(n, lo + per)) for lo in range(0, n, per)]
        self.work = [self._workspace() for _ in self.ranges]
        self.grads = [self.G] + [np.zeros_like(self.G) for _ in self.ranges[1:]]
        self.pool = ThreadPoolExecutor(len(self.ranges) - 1) if len(self.ranges) > 1 else None

    def close(self) -> None:
        pool = getattr(self, "pool", None)
        if pool is not None:
            pool.shutdown(wait=True)
            self.pool = None

    def _batch_args(self, i: int, algo: int) -> tuple[Any, ...]:
        net = self.net
        lo, hi = self.ranges[i]
        U, S, E, S0, NZ, NC = self.work[i]
        return (
            self.XT, self.TT, self.csr_ptr, self.csr_idx, self.csr_val, net.weights,
            net._layout, net.act_id, net.steepness, algo, self.params, self.err_tanh,
            self.grads[i], self.prev_steps, self.prev_slopes, self.state,
            U, S, E, S0, NZ, NC, self.nzoff, lo, hi,
        )  # fmt: skip

    def _blas_args(self, i: int) -> B.SlopeArgs:
        """`B.warm`'s arguments for thread ``i``; `B.slopes` takes its sample range too."""
        net = self.net
        return B.SlopeArgs(
            self.XT, self.TT, net.weights, net._layout, net.act_id, net.steepness, self.err_tanh,
            self.params[K.P_BIT_LIMIT], self.grads[i], self.work[i],
        )  # fmt: skip

    def _update_args(self, mse: float) -> tuple[Any, ...]:
        net = self.net
        return (self.algo, self.params, net.weights, self.G, self.prev_steps, self.prev_slopes,
                self.state, mse)  # fmt: skip

    def _incremental_args(self, k: int, mse: np.ndarray, bf: np.ndarray) -> tuple[Any, ...]:
        net = self.net
        return (
            self.XT, self.TT, net.weights, net._layout, net.act_id, net.steepness, self.params,
            self.err_tanh, self.stop_bit, self.shuffle, self.G, self.state, k, mse, bf,
        )  # fmt: skip

    def warm(self) -> float:
        """Compile (or load) every kernel this run will call; returns the seconds spent."""
        if self.algo == K.ALGO_INCREMENTAL:
            mse, bf = np.zeros(1, dtype=np.float64), np.zeros(1, dtype=np.int64)
            return ensure_compiled(K._train_incremental_epochs, *self._incremental_args(1, mse, bf))
        seconds = ensure_compiled(K._nz_offsets, self.net._layout)
        if not hasattr(self, "ranges"):
            self._prepare()
        if self.blas:
            seconds += B.warm(self._blas_args(0))
            return seconds + ensure_compiled(K._update, *self._update_args(0.0))
        seconds += ensure_compiled(K._batch_epoch, *self._batch_args(0, self.algo))
        if self.pool is not None:
            seconds += ensure_compiled(K._batch_epoch, *self._batch_args(0, K.ALGO_NONE))
            seconds += ensure_compiled(K._update, *self._update_args(0.0))
        return seconds

    def _slopes(self, i: int, algo: int) -> tuple[float, int]:
        if self.blas:
            sse, fails = B.slopes(self._blas_args(i), *self.ranges[i])
            if algo != K.ALGO_NONE:
                K._update(*self._update_args(sse / self.TT.size))
            return sse, fails
        sse, fails = K._batch_epoch(*self._batch_args(i, algo))
        return float(sse), int(fails)

    def _epoch(self) -> tuple[float, int]:
        """One full-batch epoch (samples split over threads if configured): (sse, bit fails)."""
        if self.pool is None:
            return self._slopes(0, self.algo)
        pool = self.pool
        futures = [pool.submit(self._slopes, i, K.ALGO_NONE) for i in range(1, len(self.ranges))]
        sse, fails = self._slopes(0, K.ALGO_NONE)
        for future, g in zip(futures, self.grads[1:], strict=True):
            s, b = future.result()
            sse += s
            fails += b
            self.G += g
            g.fill(0.0)
        K._update(*self._update_args(sse / self.TT.size))
        return sse, fails

    def stop_reached(self, mse: float, bit_fail: int) -> bool:
        """FANN's ``fann_desired_error_reached``, with the kernels' float32/64 threshold."""
        if self.stop_bit:
            return bit_fail <= int(self.cfg.desired_error)
        return bool(mse <= self.params[K.P_DESIRED])

    def run(self, k: int, mse: np.ndarray, bf: np.ndarray, deadline: float) -> tuple[int, int]:
        """Up to ``k`` epochs, filling ``mse``/``bf``; returns ``(epochs recorded, status)``.

        Full-batch algorithms also stop after the epoch that passes the stop test or ends
        past ``deadline`` (``time.perf_counter()``); incremental chunks run to the end.
        """
        if self.algo == K.ALGO_INCREMENTAL:
            done = int(K._train_incremental_epochs(*self._incremental_args(k, mse, bf)))
            if done < 0:
                return -done, NONFINITE
            return done, STOP if self.stop_reached(mse[done - 1], int(bf[done - 1])) else RUNNING
        if not hasattr(self, "ranges"):
            self._prepare()
        denom = self.TT.size
        for e in range(k):
            sse, fails = self._epoch()
            mse[e] = sse / denom
            bf[e] = fails
            if not np.isfinite(mse[e]):
                return e + 1, NONFINITE
            if self.stop_reached(mse[e], fails):
                return e + 1, STOP
            if time.perf_counter() >= deadline:
                return e + 1, DEADLINE
        return k, RUNNING


def train(
    net: Network,
    data: TrainingData,
    config: TrainConfig | None = None,
    *,
    callback: Callback | None = None,
    state: TrainState | None = None,
) -> TrainHistory:
    """Train ``net`` in place on ``data``; returns the `TrainHistory`.

    ``callback(report)`` runs after every ``config.report_every`` epochs and after the last
    epoch; returning ``False`` stops training (``stop_reason="callback"``). An exception from
    the callback propagates; the network then holds the weights of the last completed epoch.

    ``state`` (from ``report.train_state()`` in an earlier call's callback, with the network's
    weights of that same epoch) continues that run's optimiser state instead of starting
    from FANN's initial one: with the same config (``max_epochs`` counting the epochs of
    this call) the per-epoch errors are those the uninterrupted run would have measured.
    It must come from the same algorithm and a network of the same size and dtype
    (`ConfigError` naming the field otherwise). The history counts this call's epochs only.
    """
    cfg = TrainConfig() if config is None else config
    if not isinstance(cfg, TrainConfig):
        raise ConfigError("config", f"must be a TrainConfig or None, got {type(cfg).__name__}")
    if callback is not None and not callable(callback):
        raise ConfigError("callback", "must be callable or None")
    check_compatible(net, data)
    check_trainable(net)
    if state is not None:
        if not isinstance(state, TrainState):
            raise ConfigError("state", f"must be a TrainState or None, got {type(state).__name__}")
        state.check_fits(cfg.algorithm, net.n_connections, net.dtype)
    trainer = _Trainer(net, data, cfg, state)
    try:
        compile_seconds = trainer.warm()
        if trainer.blas:
            with _blas.single_threaded():
                history = _train_loop(trainer, cfg, callback)
        else:
            history = _train_loop(trainer, cfg, callback)
        history.compile_seconds = compile_seconds
        return history
    finally:
        trainer.close()


def _snapshot(trainer: weakref.ref[_Trainer], epochs: int) -> TrainState:
    live = trainer()
    if live is None:
        raise ConfigError(
            "report", "the training this report came from has ended: take the state in its callback"
        )
    return live.snapshot(epochs)


def _train_loop(trainer: _Trainer, cfg: TrainConfig, callback: Callback | None) -> TrainHistory:
    history = TrainHistory(algorithm=cfg.algorithm, epochs=0)
    buf_len = cfg.report_every if callback is not None else min(cfg.max_epochs, MAX_CHUNK_EPOCHS)
    mse_buf = np.zeros(buf_len, dtype=np.float64)
    bf_buf = np.zeros(buf_len, dtype=np.int64)
    t0 = time.perf_counter()
    deadline = t0 + cfg.max_seconds if cfg.max_seconds is not None else float("inf")
    chunk = cfg.report_every if callback is not None else 1
    reason: StopReason = "max_epochs"
    while history.epochs < cfg.max_epochs:
        k = min(chunk, cfg.max_epochs - history.epochs)
        if callback is not None:
            # reports land on multiples of report_every
            k = min(k, cfg.report_every - history.epochs % cfg.report_every)
        t_chunk = time.perf_counter()
        n_rec, status = trainer.run(k, mse_buf, bf_buf, deadline)
        now = time.perf_counter()
        history.mse.extend(float(v) for v in mse_buf[:n_rec])
        history.bit_fail.extend(int(v) for v in bf_buf[:n_rec])
        history.seconds = now - t0
        if status == NONFINITE:
            raise NonFiniteError(
                f"training diverged: the error became non-finite in epoch "
                f"{history.epochs + n_rec} ({cfg.algorithm}, learning_rate={cfg.learning_rate}); "
                "the network keeps the weights that produced it"
            )
        history.epochs += n_rec
        trainer.epochs_done = history.epochs
        timed_out = status == DEADLINE or now >= deadline
        last = status == STOP or timed_out or history.epochs >= cfg.max_epochs
        if callback is not None and (history.epochs % cfg.report_every == 0 or last):
            report = EpochReport(history.epochs, history.mse[-1], history.bit_fail[-1], now - t0)
            # not a dataclass field, so to_dict/asdict never see it; a weak reference, so a
            # report kept after training does not keep the trainer (and its data copy) alive
            hook = partial(_snapshot, weakref.ref(trainer), history.epochs)
            object.__setattr__(report, "_snapshot", hook)
            if callback(report) is False:
                reason = "callback"
                break
        if status == STOP:
            reason = "bit_fail" if cfg.stop_function == "bit" else "desired_error"
            break
        if timed_out:
            reason = "max_seconds"
            break
        if callback is None:
            per_epoch = (now - t_chunk) / max(n_rec, 1)
            chunk = int(min(max(1.0, CHUNK_SECONDS / max(per_epoch, 1e-9)), buf_len))
    history.seconds = time.perf_counter() - t0
    history.stop_reason = reason
    return history
