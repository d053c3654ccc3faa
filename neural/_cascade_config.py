"""`CascadeConfig`: every Cascade-Correlation setting, validated, FANN's reachable by name.

Defaults follow FANN 2.2 (``fann_cascadetrain_on_data``) except where measurement showed a
clearly better trainer; `CascadeConfig.fann()` returns FANN's exact settings.  The differences
are listed in the class docstring.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any, Final

from ._activations import ACTIVATION_IDS, UNTRAINABLE
from ._exceptions import ConfigError

FANN_CANDIDATE_ACTIVATIONS: Final[tuple[str, ...]] = (
    "sigmoid",
    "sigmoid_symmetric",
    "gaussian",
    "gaussian_symmetric",
    "elliot",
    "elliot_symmetric",
    "sin_symmetric",
    "cos_symmetric",
    "sin",
    "cos",
)
FANN_CANDIDATE_STEEPNESSES: Final[tuple[float, ...]] = (0.25, 0.5, 0.75, 1.0)

ALGORITHMS: Final[tuple[str, ...]] = ("rprop", "quickprop")
SCORES: Final[tuple[str, ...]] = ("cascade2", "covariance")
STOP_FUNCTIONS: Final[tuple[str, ...]] = ("mse", "bit")
ERROR_FUNCTIONS: Final[tuple[str, ...]] = ("tanh", "linear")
CANDIDATE_INITS: Final[tuple[str, ...]] = ("fann", "symmetric")

MAX_CANDIDATES: Final[int] = 4096
MAX_NEURONS_LIMIT: Final[int] = 10_000
MAX_EPOCHS_LIMIT: Final[int] = 1_000_000


@dataclass(frozen=True)
class CascadeConfig:
    """Settings of `cascade_train` (FANN's ``fann_set_cascade_*`` parameters and more).

    Growth and stopping
      max_neurons: hidden units to add at most (FANN's ``max_neurons`` argument).
      desired_error: stop when the stop function's value is <= this (MSE, or bit-fail count).
      stop_function: ``"mse"`` or ``"bit"`` (every output within ``bit_fail_limit`` of its target
        counts as solved when ``desired_error`` is 0: Fahlman's criterion with limit 0.4).
      bit_fail_limit: an output error >= this counts as a bit fail (FANN default 0.35).
      max_seconds: seconds of wall time after which training stops at the next epoch (None: none).

    Output and candidate phases (FANN names)
      output_algorithm / candidate_algorithm: ``"rprop"`` (FANN's iRPROP-) or ``"quickprop"``.
      output_change_fraction, output_stagnation_epochs, min_out_epochs, max_out_epochs,
      candidate_change_fraction, candidate_stagnation_epochs, min_cand_epochs, max_cand_epochs,
      candidate_limit, weight_multiplier: as in FANN.
      activation_functions x activation_steepnesses x num_candidate_groups: the candidate pool.
      candidate_score: ``"cascade2"`` (FANN: error reduction with trained output weights) or
        ``"covariance"`` (Fahlman & Lebiere's sum of |covariance| with the residuals).
      candidate_init: ``"fann"`` (bias U(-k, k), other inputs and outputs U(0, k), k FANN's
        semi-Widrow-Nguyen scale) or ``"symmetric"`` (all U(-k, k)).
      error_function: ``"tanh"`` (FANN default) or ``"linear"`` for the output phase.
      rprop_* / learning_rate / quickprop_*: the update rules' constants (FANN defaults).
      seed: seed of the candidate-weight generator (None: fresh entropy).

    Defaults that differ from FANN (`CascadeConfig.fann()` gives FANN's exact settings), both
    from Fahlman & Lebiere's cascor and kept because they measured better (scripts/bench_neural.py,
    libfann's initial weights, medians over seeds on a shared 2-core machine; libfann in brackets):
      candidate_score="covariance" (FANN "cascade2"): Fahlman's score grows far smaller nets.
        Two-spiral (all points within 0.4): 13 hidden units (12-14, 10 seeds, 1640 epochs)
        against 20 (15-27, 3607 epochs) with the Cascade2 score, all else equal [libfann 18,
        3012 epochs].  Cascade2's extra, trained output weights for the new unit buy nothing:
        the output phase that follows trains them anyway (they start at 0 here;
        weight_multiplier only applies to "cascade2").
      output_algorithm="quickprop" (FANN "rprop"): Fahlman's output training.  Thyroid (30
        units) reaches test MSE 0.0136 (0.010-0.015, 3 seeds) instead of ~0.021 with RPROP
        outputs [libfann 0.0185]; building 0.0088 (5 seeds) as with RPROP [0.0086-0.0088].
        The price: parity8 needs a median of 2 units (1-4, 10 seeds) instead of 1 (1-2).
      Candidates are still trained with RPROP: Quickprop candidates with the covariance score
      needed 28 units on two-spiral.
    """

    max_neurons: int = 30
    desired_error: float = 0.0
    stop_function: str = "mse"
    bit_fail_limit: float = 0.35
    max_seconds: float | None = None

    output_algorithm: str = "quickprop"
    candidate_algorithm: str = "rprop"
    candidate_score: str = "covariance"
    candidate_init: str = "fann"
    error_function: str = "tanh"

    output_change_fraction: float = 0.01
    output_stagnation_epochs: int = 12
    min_out_epochs: int = 50
    max_out_epochs: int = 150
    candidate_change_fraction: float = 0.01
    candidate_stagnation_epochs: int = 12
    min_cand_epochs: int = 50
    max_cand_epochs: int = 150
    candidate_limit: float = 1000.0
    weight_multiplier: float = 0.4
    activation_functions: tuple[str, ...] = FANN_CANDIDATE_ACTIVATIONS
    activation_steepnesses: tuple[float, ...] = FANN_CANDIDATE_STEEPNESSES
    num_candidate_groups: int = 2

    rprop_increase_factor: float = 1.2
    rprop_decrease_factor: float = 0.5
    rprop_delta_min: float = 0.0
    rprop_delta_max: float = 50.0
    rprop_delta_zero: float = 0.1
    learning_rate: float = 0.7
    quickprop_mu: float = 1.75
    quickprop_decay: float = -0.0001

    seed: int | None = None

    def __post_init__(self) -> None:
        _validate(self)

    @classmethod
    def fann(cls, **overrides: Any) -> CascadeConfig:
        """FANN 2.2's cascade settings exactly (``fann_create_shortcut`` defaults)."""
        base: dict[str, Any] = {
            "output_algorithm": "rprop",
            "candidate_algorithm": "rprop",
            "candidate_score": "cascade2",
            "candidate_init": "fann",
            "error_function": "tanh",
            "learning_rate": 0.7,
            "output_change_fraction": 0.01,
            "output_stagnation_epochs": 12,
            "min_out_epochs": 50,
            "max_out_epochs": 150,
            "candidate_change_fraction": 0.01,
            "candidate_stagnation_epochs": 12,
            "min_cand_epochs": 50,
            "max_cand_epochs": 150,
            "candidate_limit": 1000.0,
            "weight_multiplier": 0.4,
            "activation_functions": FANN_CANDIDATE_ACTIVATIONS,
            "activation_steepnesses": FANN_CANDIDATE_STEEPNESSES,
            "num_candidate_groups": 2,
        }
        base.update(overrides)
        return cls(**base)

    @property
    def num_candidates(self) -> int:
        """Size of the candidate pool: activations x steepnesses x groups."""
        return (
            len(self.activation_functions)
            * len(self.activation_steepnesses)
            * self.num_candidate_groups
        )

    def replace(self, **changes: Any) -> CascadeConfig:
        """A copy with ``changes`` applied (validated)."""
        return replace(self, **changes)


def _int_in(cfg: CascadeConfig, name: str, lo: int, hi: int) -> None:
    v = getattr(cfg, name)
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise ConfigError(name, f"must be an integer in [{lo}, {hi}], got {v!r}")


def _float_in(
    cfg: CascadeConfig, name: str, lo: float, hi: float, *, lo_open: bool = False
) -> None:
    v = getattr(cfg, name)
    ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    if ok:
        ok = (lo < v if lo_open else lo <= v) and v <= hi
    if not ok:
        left = "(" if lo_open else "["
        raise ConfigError(name, f"must be a finite number in {left}{lo}, {hi}], got {v!r}")


def _choice(cfg: CascadeConfig, name: str, allowed: tuple[str, ...]) -> None:
    v = getattr(cfg, name)
    if v not in allowed:
        raise ConfigError(name, f"must be one of {', '.join(allowed)}; got {v!r}")


def _validate(cfg: CascadeConfig) -> None:
    _int_in(cfg, "max_neurons", 0, MAX_NEURONS_LIMIT)
    _choice(cfg, "stop_function", STOP_FUNCTIONS)
    _float_in(cfg, "desired_error", 0.0, 1e9)
    _float_in(cfg, "bit_fail_limit", 0.0, 2.0, lo_open=True)
    if cfg.max_seconds is not None:
        _float_in(cfg, "max_seconds", 0.0, 1e9, lo_open=True)
    _choice(cfg, "output_algorithm", ALGORITHMS)
    _choice(cfg, "candidate_algorithm", ALGORITHMS)
    _choice(cfg, "candidate_score", SCORES)
    _choice(cfg, "candidate_init", CANDIDATE_INITS)
    _choice(cfg, "error_function", ERROR_FUNCTIONS)
    _float_in(cfg, "output_change_fraction", 0.0, 1.0)
    _float_in(cfg, "candidate_change_fraction", 0.0, 1.0)
    _int_in(cfg, "output_stagnation_epochs", 1, MAX_EPOCHS_LIMIT)
    _int_in(cfg, "candidate_stagnation_epochs", 1, MAX_EPOCHS_LIMIT)
    _int_in(cfg, "max_out_epochs", 1, MAX_EPOCHS_LIMIT)
    _int_in(
        cfg, "min_out_epochs", 0, cfg.max_out_epochs if isinstance(cfg.max_out_epochs, int) else 0
    )
    _int_in(cfg, "max_cand_epochs", 1, MAX_EPOCHS_LIMIT)
    _int_in(
        cfg,
        "min_cand_epochs",
        0,
        cfg.max_cand_epochs if isinstance(cfg.max_cand_epochs, int) else 0,
    )
    _float_in(cfg, "candidate_limit", 0.0, 1e30, lo_open=True)
    _float_in(cfg, "weight_multiplier", 0.0, 1e3, lo_open=True)
    if not isinstance(cfg.activation_functions, tuple) or not cfg.activation_functions:
        raise ConfigError("activation_functions", "must be a non-empty tuple of activation names")
    for name in cfg.activation_functions:
        if name not in ACTIVATION_IDS:
            raise ConfigError(
                "activation_functions",
                f"unknown activation {name!r}; allowed: {', '.join(ACTIVATION_IDS)}",
            )
        if name in UNTRAINABLE or name in ("relu", "leaky_relu"):
            raise ConfigError(
                "activation_functions", f"{name!r} cannot be trained as a cascade candidate"
            )
    if not isinstance(cfg.activation_steepnesses, tuple) or not cfg.activation_steepnesses:
        raise ConfigError("activation_steepnesses", "must be a non-empty tuple of numbers")
    for s in cfg.activation_steepnesses:
        if not isinstance(s, int | float) or isinstance(s, bool) or not (0.0 < s <= 100.0):
            raise ConfigError("activation_steepnesses", f"each must be in (0, 100], got {s!r}")
    _int_in(cfg, "num_candidate_groups", 1, MAX_CANDIDATES)
    if cfg.num_candidates > MAX_CANDIDATES:
        raise ConfigError(
            "num_candidate_groups",
            f"pool of {cfg.num_candidates} candidates exceeds the limit {MAX_CANDIDATES}",
        )
    _float_in(cfg, "rprop_increase_factor", 1.0, 100.0)
    _float_in(cfg, "rprop_decrease_factor", 0.0, 1.0, lo_open=True)
    _float_in(cfg, "rprop_delta_min", 0.0, 1e6)
    _float_in(cfg, "rprop_delta_max", 0.0, 1e6, lo_open=True)
    _float_in(cfg, "rprop_delta_zero", 0.0, 1e6, lo_open=True)
    _float_in(cfg, "learning_rate", 0.0, 1e6, lo_open=True)
    _float_in(cfg, "quickprop_mu", 0.0, 100.0, lo_open=True)
    _float_in(cfg, "quickprop_decay", -1.0, 1.0)
    if cfg.seed is not None and (
        isinstance(cfg.seed, bool) or not isinstance(cfg.seed, int) or cfg.seed < 0
    ):
        raise ConfigError("seed", f"must be None or a non-negative integer, got {cfg.seed!r}")


CONFIG_FIELDS: Final[tuple[str, ...]] = tuple(f.name for f in fields(CascadeConfig))
