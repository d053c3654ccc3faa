"""Training configuration and results: `TrainConfig`, `EpochReport`, `TrainHistory`.

Defaults are FANN 2.2's (``fann_create_standard``): iRPROP- with its factors, the tanh error
function, bit-fail limit 0.35, stop on MSE.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

from ._exceptions import ConfigError

if TYPE_CHECKING:
    from ._train_state import TrainState

ALGORITHMS: Final[tuple[str, ...]] = ("rprop", "quickprop", "batch", "incremental", "sarprop")
STOP_FUNCTIONS: Final[tuple[str, ...]] = ("mse", "bit")
ERROR_FUNCTIONS: Final[tuple[str, ...]] = ("tanh", "linear")
STOP_REASONS: Final[tuple[str, ...]] = (
    "desired_error",
    "bit_fail",
    "max_epochs",
    "max_seconds",
    "callback",
    "max_neurons",  # cascade_train: grew max_neurons hidden units without reaching the goal
)
MAX_EPOCHS_LIMIT: Final[int] = 1_000_000_000
MAX_THREADS: Final[int] = 64

Algorithm = Literal["rprop", "quickprop", "batch", "incremental", "sarprop"]
StopReason = Literal[
    "desired_error", "bit_fail", "max_epochs", "max_seconds", "callback", "max_neurons"
]


def _num(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(name, f"must be a finite number, got {value!r}")
    return float(value)


def _in_range(
    name: str, value: Any, lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False
) -> None:
    v = _num(name, value)
    ok_lo = v > lo if lo_open else v >= lo
    ok_hi = v < hi if hi_open else v <= hi
    if not (ok_lo and ok_hi):
        lb = "(" if lo_open else "["
        rb = ")" if hi_open else "]"
        raise ConfigError(name, f"must be in {lb}{lo}, {hi}{rb}, got {value!r}")


def _int_in_range(name: str, value: Any, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ConfigError(name, f"must be an integer in [{lo}, {hi}], got {value!r}")


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(name, f"must be one of {', '.join(allowed)}; got {value!r}")


@dataclass(frozen=True)
class TrainConfig:
    """How `train` runs. Every field is validated on construction (`ConfigError` names it).

    ``desired_error`` is an MSE for ``stop_function="mse"`` and a bit-fail count for ``"bit"``
    (FANN's ``fann_desired_error_reached``). ``seed`` drives the sample order of incremental
    training (``None``: file order, like FANN) and SARPROP's noise.

    ``threads > 1`` splits each full-batch epoch's samples over that many threads (numba
    kernels without the GIL, per-thread slope buffers summed before the update); it is used
    only as far as every thread gets at least `MIN_WORK_PER_THREAD` samples x connections
    (`neural._train.split_threads`), changes results only by float rounding (for a given
    thread count they are reproducible), and is off by default because callers such as the
    swarm engine already train several networks in parallel.
    """

    algorithm: Algorithm = "rprop"
    max_epochs: int = 1000
    desired_error: float = 0.0
    stop_function: Literal["mse", "bit"] = "mse"
    bit_fail_limit: float = 0.35
    error_function: Literal["tanh", "linear"] = "tanh"
    learning_rate: float = 0.7
    learning_momentum: float = 0.0
    rprop_increase_factor: float = 1.2
    rprop_decrease_factor: float = 0.5
    rprop_delta_zero: float = 0.1
    rprop_delta_min: float = 0.0
    rprop_delta_max: float = 50.0
    quickprop_decay: float = -0.0001
    quickprop_mu: float = 1.75
    sarprop_weight_decay_shift: float = -6.644
    sarprop_step_error_threshold_factor: float = 0.1
    sarprop_step_error_shift: float = 1.385
    sarprop_temperature: float = 0.015
    report_every: int = 1
    max_seconds: float | None = None
    seed: int | None = None
    threads: int = 1

    def __post_init__(self) -> None:
        _choice("algorithm", self.algorithm, ALGORITHMS)
        _int_in_range("max_epochs", self.max_epochs, 1, MAX_EPOCHS_LIMIT)
        _choice("stop_function", self.stop_function, STOP_FUNCTIONS)
        _in_range("desired_error", self.desired_error, 0.0, 1e12)
        _in_range("bit_fail_limit", self.bit_fail_limit, 0.0, 1e6, lo_open=True)
        _choice("error_function", self.error_function, ERROR_FUNCTIONS)
        _in_range("learning_rate", self.learning_rate, 0.0, 1e3, lo_open=True)
        _in_range("learning_momentum", self.learning_momentum, 0.0, 1.0, hi_open=True)
        _in_range("rprop_increase_factor", self.rprop_increase_factor, 1.0, 10.0, lo_open=True)
        _in_range(
            "rprop_decrease_factor",
            self.rprop_decrease_factor,
            0.0,
            1.0,
            lo_open=True,
            hi_open=True,
        )
        _in_range("rprop_delta_zero", self.rprop_delta_zero, 0.0, 1e3, lo_open=True)
        _in_range("rprop_delta_min", self.rprop_delta_min, 0.0, 1e3)
        _in_range("rprop_delta_max", self.rprop_delta_max, 0.0, 1e4, lo_open=True)
        if self.rprop_delta_max < self.rprop_delta_min:
            raise ConfigError(
                "rprop_delta_max",
                f"must be >= rprop_delta_min ({self.rprop_delta_min}), got {self.rprop_delta_max}",
            )
        _in_range("quickprop_decay", self.quickprop_decay, -1.0, 0.0)
        _in_range("quickprop_mu", self.quickprop_mu, 0.0, 100.0, lo_open=True)
        _in_range("sarprop_weight_decay_shift", self.sarprop_weight_decay_shift, -100.0, 100.0)
        _in_range(
            "sarprop_step_error_threshold_factor",
            self.sarprop_step_error_threshold_factor,
            0.0,
            1e6,
        )
        _in_range("sarprop_step_error_shift", self.sarprop_step_error_shift, -100.0, 100.0)
        _in_range("sarprop_temperature", self.sarprop_temperature, 0.0, 100.0)
        _int_in_range("report_every", self.report_every, 1, MAX_EPOCHS_LIMIT)
        if self.max_seconds is not None:
            _in_range("max_seconds", self.max_seconds, 0.0, 1e9, lo_open=True)
        if self.seed is not None:
            _int_in_range("seed", self.seed, 0, 2**63 - 1)
        _int_in_range("threads", self.threads, 1, MAX_THREADS)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class EpochReport:
    """What a training callback receives: the state after ``epoch`` epochs.

    Inside a `train` callback, `train_state()` copies the optimiser state at this epoch
    (a `TrainState` to pass back as ``train(..., state=...)`` to continue exactly here).
    """

    epoch: int
    mse: float
    bit_fail: int
    elapsed_seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def train_state(self) -> TrainState:
        """The optimiser state after this epoch (copies of the arrays). Only reports made by
        `train` have one, and only while their callback runs is it this epoch's."""
        snapshot = getattr(self, "_snapshot", None)
        if snapshot is None:
            raise ConfigError(
                "report", "this report did not come from a running neural.train callback"
            )
        return snapshot()  # type: ignore[no-any-return]


@dataclass
class TrainHistory:
    """Result of `train`: per-epoch MSE and bit-fail (FANN semantics: measured during the
    epoch's forward pass, before its weight update), total seconds and why training stopped."""

    algorithm: str
    epochs: int
    mse: list[float] = field(default_factory=list)
    bit_fail: list[int] = field(default_factory=list)
    seconds: float = 0.0
    stop_reason: StopReason = "max_epochs"
    hidden_added: int = 0
    # JIT compilation (or cache loading) done before the timed loop; not part of ``seconds``
    compile_seconds: float = 0.0

    @property
    def final_mse(self) -> float | None:
        return self.mse[-1] if self.mse else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "algorithm": self.algorithm,
            "epochs": self.epochs,
            "mse": list(self.mse),
            "bit_fail": list(self.bit_fail),
            "seconds": self.seconds,
            "stop_reason": self.stop_reason,
            "hidden_added": self.hidden_added,
            "compile_seconds": self.compile_seconds,
        }
