"""The Cascade-Correlation growth loop on plain arrays (no `Network` involved).

`Grower.run` alternates FANN's two phases until a stop rule fires:

1. output phase: train the output weights (from every input, the bias and every hidden unit) on
   the cached neuron values until the error stagnates (FANN's change-fraction / patience rule) or
   the stop criterion is met;
2. candidate phase: train the whole candidate pool against the frozen residuals, one compiled
   kernel call per epoch, until the best score stagnates; then install the best candidate as a
   new hidden unit (its column of neuron values is computed once and cached) with output weights
   ``weight_multiplier * v`` (Cascade2) or zero (covariance score).

The caller (`neural._cascade.cascade_train`) converts between a `Network` and these arrays.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import _cascade_kernels as K
from ._activations import ACTIVATION_IDS, ACTIVATIONS, SYMMETRIC
from ._cascade_config import CascadeConfig

F32 = np.float32

# phase, epoch within phase, total epochs, mse, bit fails, hidden units, best candidate score
Reporter = Callable[[str, int, int, float, int, int, float], bool]


@dataclass
class Unit:
    """An installed hidden unit: weights from columns [bias, inputs, earlier hidden units]."""

    in_weights: np.ndarray
    activation: str
    steepness: float
    out_weights: np.ndarray


@dataclass
class GrowResult:
    units: list[Unit]
    out_weights: np.ndarray  # (n_out, columns): [bias, inputs, hidden...], `Network` unit order
    epochs: list[int] = field(default_factory=list)  # cumulative epoch count per report
    mse: list[float] = field(default_factory=list)
    bit_fail: list[int] = field(default_factory=list)
    total_epochs: int = 0
    stop_reason: str = "max_neurons"
    final_mse: float = math.nan
    final_bit_fail: int = 0


class _Stop(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _params(cfg: CascadeConfig) -> np.ndarray:
    return np.array(
        [
            cfg.rprop_increase_factor,
            cfg.rprop_decrease_factor,
            cfg.rprop_delta_min,
            cfg.rprop_delta_max,
            cfg.learning_rate,
            cfg.quickprop_mu,
            cfg.quickprop_decay,
        ],
        dtype=np.float64,
    )


def _algo(name: str) -> int:
    return K.ALGO_RPROP if name == "rprop" else K.ALGO_QUICKPROP


def _init_step(algo_name: str, cfg: CascadeConfig) -> float:
    return cfg.rprop_delta_zero if algo_name == "rprop" else 0.0


def candidate_pool(cfg: CascadeConfig) -> tuple[np.ndarray, np.ndarray]:
    """Activation ids and steepnesses of the pool, FANN's order (function, steepness, group)."""
    codes = []
    steeps = []
    for name in cfg.activation_functions:
        for s in cfg.activation_steepnesses:
            for _ in range(cfg.num_candidate_groups):
                codes.append(ACTIVATION_IDS[name])
                steeps.append(float(s))
    return np.array(codes, np.int64), np.array(steeps, np.float64)


class Grower:
    """State of one cascade run: the neuron-value cache and the output/candidate weights.

    ``sources`` (n, m0) are the values of every unit an output sees, in `Network` unit order:
    column 0 the bias (1.0), then the ``n_inputs`` inputs, then existing hidden neurons;
    ``out_weights`` (n_out, m0) the output weights from those columns.
    """

    def __init__(
        self,
        sources: np.ndarray,
        n_inputs: int,
        t: np.ndarray,
        out_activations: list[str],
        out_steepnesses: list[float],
        out_weights: np.ndarray,
        cfg: CascadeConfig,
        rng: np.random.Generator,
        report: Reporter | None,
    ) -> None:
        n, m0 = sources.shape
        self.n_in = n_inputs
        self.n_hidden0 = m0 - 1 - n_inputs
        self.n_out = t.shape[1]
        self.cfg = cfg
        self.rng = rng
        self.report = report
        self.m_max = m0 + cfg.max_neurons
        self.a = np.zeros((n, self.m_max), F32)
        self.a[:, :m0] = sources
        self.m = m0
        self.t = np.ascontiguousarray(t, dtype=F32)
        self.out_codes = np.array([ACTIVATION_IDS[a] for a in out_activations], np.int64)
        self.out_steeps = np.array(out_steepnesses, np.float64)
        self.out_sym = np.array([a in SYMMETRIC for a in out_activations])
        self.wo = np.zeros(self.n_out * self.m_max, F32)
        w0 = np.asarray(out_weights, F32)
        for o in range(self.n_out):
            self.wo[o * self.m_max : o * self.m_max + self.m] = w0[o]
        self.params = _params(cfg)
        self.y = np.empty((n, self.n_out), F32)
        self.sums = np.empty((n, self.n_out), F32)
        self.codes, self.steeps = candidate_pool(cfg)
        change = np.flatnonzero(np.diff(self.codes)) + 1
        self.runs = np.concatenate([[0], change, [self.codes.size]]).astype(np.int64)
        self.units: list[Unit] = []
        self.total_epochs = 0
        self.t0 = time.perf_counter()
        self.result = GrowResult(units=self.units, out_weights=np.zeros(0, F32))
        self.last_mse = math.nan
        self.last_bit = 0

    # -- helpers -------------------------------------------------------------------------------
    def _check_time(self) -> None:
        lim = self.cfg.max_seconds
        if lim is not None and time.perf_counter() - self.t0 > lim:
            raise _Stop("max_seconds")

    def _emit(self, phase: str, epoch: int, mse: float, bit: int, score: float) -> None:
        self.result.epochs.append(self.total_epochs)
        self.result.mse.append(mse)
        self.result.bit_fail.append(bit)
        if self.report is not None and not self.report(
            phase, epoch, self.total_epochs, mse, bit, len(self.units), score
        ):
            raise _Stop("callback")

    # -- output phase --------------------------------------------------------------------------
    def train_outputs(self, stop_enabled: bool) -> bool:
        """FANN's fann_train_outputs; returns True when the stop criterion was met."""
        cfg = self.cfg
        n_w = self.n_out * self.m_max
        slope = np.zeros(n_w, F32)
        prev = np.zeros(n_w, F32)
        step = np.full(n_w, _init_step(cfg.output_algorithm, cfg), F32)
        algo = _algo(cfg.output_algorithm)
        stop_mode = K.STOP_BIT if cfg.stop_function == "bit" else K.STOP_MSE
        desired = cfg.desired_error if stop_enabled else -1.0
        tanh = cfg.error_function == "tanh"

        def epoch() -> tuple[float, int, bool]:
            self._check_time()
            mse, bit, reached = K.output_epoch(
                self.a,
                self.m,
                self.t,
                self.wo,
                self.m_max,
                self.out_codes,
                self.out_steeps,
                tanh,
                cfg.bit_fail_limit,
                stop_mode,
                desired,
                slope,
                prev,
                step,
                algo,
                self.params,
                self.y,
                self.sums,
            )
            self.total_epochs += 1
            self.last_mse, self.last_bit = mse, bit
            return mse, bit, reached

        initial, bit, reached = epoch()
        self._emit("output", 0, initial, bit, math.nan)
        if reached:
            return True
        target = 0.0
        backslide = -1.0e20
        stagnation = cfg.max_out_epochs
        for i in range(1, cfg.max_out_epochs):
            err, bit, reached = epoch()
            self._emit("output", i, err, bit, math.nan)
            if reached:
                return True
            impr = initial - err
            if (target >= 0 and (impr > target or impr < backslide)) or (
                target < 0 and (impr < target or impr > backslide)
            ):
                target = impr * (1.0 + cfg.output_change_fraction)
                backslide = impr * (1.0 - cfg.output_change_fraction)
                stagnation = i + cfg.output_stagnation_epochs
            if i >= stagnation and i >= cfg.min_out_epochs:
                break
        return False

    # -- candidate phase -----------------------------------------------------------------------
    def _residuals(self) -> tuple[np.ndarray, float]:
        K.output_values(
            self.a, self.m, self.wo, self.m_max, self.out_codes, self.out_steeps, self.y, self.sums
        )
        e = self.t.astype(np.float64) - self.y
        e[:, self.out_sym] *= 0.5
        return e, float(np.sum(e * e))

    def train_candidates(self) -> tuple[np.ndarray, int, float, np.ndarray]:
        cfg = self.cfg
        m = self.m
        nc = self.codes.shape[0]
        n_hidden = self.n_hidden0 + len(self.units)
        k = 2.0 * (0.7 * n_hidden) ** (1.0 / self.n_in)
        k = min(max(k, 0.5), 8.0)
        rng = self.rng
        # only the live columns are drawn, so results do not depend on max_neurons
        wc = np.zeros((self.m_max, nc))
        if cfg.candidate_init == "fann":
            wc[:m] = rng.uniform(0.0, k, size=(m, nc))
            wc[0] = rng.uniform(-k, k, size=nc)  # bias column
            vc = rng.uniform(0.0, k, size=(self.n_out, nc))
        else:
            wc[:m] = rng.uniform(-k, k, size=(m, nc))
            vc = rng.uniform(-k, k, size=(self.n_out, nc))
        wc = np.ascontiguousarray(wc.astype(F32).ravel())
        vc = np.ascontiguousarray(vc.astype(F32).ravel())
        step0 = _init_step(cfg.candidate_algorithm, cfg)
        sw, pw, stw = np.zeros_like(wc), np.zeros_like(wc), np.full_like(wc, step0)
        sv, pv, stv = np.zeros_like(vc), np.zeros_like(vc), np.full_like(vc, step0)
        e, sse = self._residuals()
        score_mode = K.SCORE_CASCADE2 if cfg.candidate_score == "cascade2" else K.SCORE_COVARIANCE
        if score_mode == K.SCORE_COVARIANCE:
            e = e - e.mean(axis=0)
            err_sq = max(float(np.sum(e * e)), 1e-30)
        else:
            err_sq = max(sse, 1e-30)
        e32 = np.ascontiguousarray(e, dtype=F32)
        cov = np.zeros(self.n_out * nc, np.float64)
        scores = np.zeros(nc, np.float64)
        algo = _algo(cfg.candidate_algorithm)
        target = 0.0
        backslide = -1.0e20
        stagnation = cfg.max_cand_epochs
        best = 0
        for i in range(cfg.max_cand_epochs):
            self._check_time()
            best = int(
                K.candidate_epoch(
                    self.a,
                    m,
                    e32,
                    wc,
                    vc,
                    self.codes,
                    self.steeps,
                    self.runs,
                    score_mode,
                    sse,
                    err_sq,
                    cov,
                    sw,
                    pw,
                    stw,
                    sv,
                    pv,
                    stv,
                    algo,
                    self.params,
                    scores,
                )
            )
            self.total_epochs += 1
            best_score = float(scores[best])
            self._emit("candidate", i, self.last_mse, self.last_bit, best_score)
            # FANN stops when score / SSE exceeds the limit; the covariance score is normalised
            ratio = best_score / err_sq if score_mode == K.SCORE_CASCADE2 else best_score
            if ratio > cfg.candidate_limit:
                break
            if best_score > target or best_score < backslide:
                target = best_score * (1.0 + cfg.candidate_change_fraction)
                backslide = best_score * (1.0 - cfg.candidate_change_fraction)
                stagnation = i + cfg.candidate_stagnation_epochs
            if i >= stagnation and i >= cfg.min_cand_epochs:
                break
        w_in = wc.reshape(self.m_max, nc)[:m, best].astype(F32)
        v = vc.reshape(self.n_out, nc)[:, best].astype(F32)
        return w_in, best, float(scores[best]), v

    def install(self, w_in: np.ndarray, best: int, v: np.ndarray) -> None:
        code = int(self.codes[best])
        steep = float(self.steeps[best])
        K.fill_hidden_column(self.a, self.m, np.ascontiguousarray(w_in, F32), code, steep)
        if self.cfg.candidate_score == "cascade2":
            out = (v * self.cfg.weight_multiplier).astype(F32)
        else:
            out = np.zeros(self.n_out, F32)
        for o in range(self.n_out):
            self.wo[o * self.m_max + self.m] = out[o]
        self.units.append(Unit(w_in.copy(), ACTIVATIONS[code], steep, out.copy()))
        self.m += 1

    def run(self) -> GrowResult:
        cfg = self.cfg
        res = self.result
        try:
            for i in range(cfg.max_neurons + 1):
                if self.train_outputs(stop_enabled=True):
                    res.stop_reason = "bit_fail" if cfg.stop_function == "bit" else "desired_error"
                    break
                if i == cfg.max_neurons:
                    res.stop_reason = "max_neurons"
                    break
                w_in, best, _score, v = self.train_candidates()
                self.install(w_in, best, v)
        except _Stop as stop:
            res.stop_reason = stop.reason
        res.total_epochs = self.total_epochs
        res.out_weights = self.output_weights()
        res.final_mse, res.final_bit_fail = self.evaluate()
        return res

    def output_weights(self) -> np.ndarray:
        """Copy of the output weights from the live columns, shape (n_out, m)."""
        w = self.wo.reshape(self.n_out, self.m_max)
        return w[:, : self.m].copy()

    def evaluate(self) -> tuple[float, int]:
        """MSE and bit fails of the current output weights on the cached training set."""
        e, sse = self._residuals()
        return sse / e.size, int(np.sum(np.abs(e) >= self.cfg.bit_fail_limit))

    def predict_cached(self) -> np.ndarray:
        K.output_values(
            self.a, self.m, self.wo, self.m_max, self.out_codes, self.out_steeps, self.y, self.sums
        )
        return self.y.copy()


def predict(
    x: np.ndarray,
    units: list[Unit],
    out_weights: np.ndarray,
    out_activations: list[str],
    out_steepnesses: list[float],
) -> np.ndarray:
    """Outputs of a grown network for ``x`` through the cascade's own kernels (no `Network`)."""
    n, n_in = x.shape
    m = n_in + 1 + len(units)
    a = np.zeros((n, m), F32)
    a[:, 0] = 1.0
    a[:, 1 : n_in + 1] = x  # units grown from a network without hidden neurons
    for k, u in enumerate(units):
        K.fill_hidden_column(
            a, n_in + 1 + k, np.ascontiguousarray(u.in_weights, F32),
            ACTIVATION_IDS[u.activation], u.steepness,
        )  # fmt: skip
    n_out = out_weights.shape[0]
    y = np.empty((n, n_out), F32)
    z = np.empty((n, n_out), F32)
    K.output_values(
        a, m, np.ascontiguousarray(out_weights, F32).ravel(), m,
        np.array([ACTIVATION_IDS[s] for s in out_activations], np.int64),
        np.array(out_steepnesses, np.float64), y, z,
    )  # fmt: skip
    return y
