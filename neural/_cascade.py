"""`cascade_train`: grow a shortcut `Network` by Cascade-Correlation (Fahlman & Lebiere 1990).

FANN's ``fann_cascadetrain_on_data`` (Cascade2) and Fahlman's original candidate score, on
numba kernels (`neural._cascade_kernels`) driven by `neural._cascade_grow`.  The network is
updated in place when training ends (also when it is cancelled, times out, or a callback
raises): it then holds every unit installed so far and the current output weights.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Final

import numpy as np

from ._activations import ACTIVATIONS
from ._cascade_config import CascadeConfig
from ._cascade_grow import Grower
from ._data import TrainingData
from ._exceptions import ConfigError
from ._network import Network
from ._train import check_compatible, check_trainable
from ._train_config import EpochReport, StopReason, TrainHistory

# The neuron-value cache (samples x all possible units) and the candidate weights are allocated
# up front for max_neurons units; refuse configurations whose workspace would exceed this.
MAX_WORKSPACE_BYTES: Final[int] = 2 * 2**30


@dataclass(frozen=True)
class CascadeEpochReport(EpochReport):
    """An `EpochReport` with the cascade's phase.

    ``epoch`` counts output and candidate epochs together (as FANN does); ``mse``/``bit_fail``
    are the network's (unchanged during a candidate phase); ``phase`` is ``"output"`` or
    ``"candidate"``; ``phase_epoch`` the epoch within the phase; ``hidden_units`` the hidden
    units installed so far; ``candidate_score`` the best candidate's score (candidate phase
    only, else NaN).
    """

    phase: str = "output"
    phase_epoch: int = 0
    hidden_units: int = 0
    candidate_score: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


CascadeCallback = Callable[[CascadeEpochReport], "bool | None"]


def cascade_train(
    net: Network,
    data: TrainingData,
    config: CascadeConfig | None = None,
    *,
    callback: CascadeCallback | None = None,
) -> TrainHistory:
    """Grow and train the shortcut network ``net`` in place on ``data``.

    Alternates output training and candidate training, installing the best candidate as a new
    hidden unit each round, until the stop criterion (``config.stop_function`` /
    ``desired_error``), ``max_neurons``, ``max_seconds`` or the callback ends it.
    ``callback(report)`` runs after every output and candidate epoch; returning ``False`` stops
    training within that epoch (``stop_reason="callback"``).  Returns a `TrainHistory` with
    ``algorithm="cascade"``, one MSE / bit-fail entry per epoch and ``hidden_added``.
    """
    cfg = CascadeConfig() if config is None else config
    if not isinstance(cfg, CascadeConfig):
        raise ConfigError("config", f"must be a CascadeConfig or None, got {type(cfg).__name__}")
    if callback is not None and not callable(callback):
        raise ConfigError("callback", "must be callable or None")
    check_compatible(net, data)
    if not net.is_shortcut:
        raise ConfigError(
            "network", "cascade_train needs a shortcut network (Network.shortcut([n_in, n_out]))"
        )
    check_trainable(net)
    out0 = net._output_start
    columns = out0 + cfg.max_neurons
    need = 4 * (data.n_samples * columns + 4 * columns * cfg.num_candidates)
    if need > MAX_WORKSPACE_BYTES:
        raise ConfigError(
            "max_neurons",
            f"{cfg.max_neurons} units x {data.n_samples} samples x {cfg.num_candidates} "
            f"candidates need {need / 2**20:.0f} MiB of workspace, more than the limit "
            f"{MAX_WORKSPACE_BYTES // 2**20} MiB (neural._cascade.MAX_WORKSPACE_BYTES)",
        )

    sources, _ = net._activations(data.inputs)
    out_block = net.layer_weights(net.layout.shape[0] - 1)  # (1 + n_src, n_out)
    out_ids = net.act_id[out0:]
    t0 = time.perf_counter()

    def report(
        phase: str, phase_epoch: int, epoch: int, mse: float, bit: int, hidden: int, score: float
    ) -> bool:
        if callback is None:
            return True
        rep = CascadeEpochReport(
            epoch=epoch,
            mse=mse,
            bit_fail=bit,
            elapsed_seconds=time.perf_counter() - t0,
            phase=phase,
            phase_epoch=phase_epoch,
            hidden_units=hidden,
            candidate_score=score,
        )
        return callback(rep) is not False

    grower = Grower(
        np.ascontiguousarray(sources[:, :out0], dtype=np.float32),
        net.n_inputs,
        np.asarray(data.outputs, dtype=np.float32),
        [ACTIVATIONS[int(a)] for a in out_ids],
        [float(s) for s in net.steepness[out0:]],
        out_block.T,
        cfg,
        np.random.default_rng(cfg.seed),
        report,
    )
    try:
        result = grower.run()
    finally:
        _write_back(net, grower)
    reason: StopReason = result.stop_reason  # type: ignore[assignment]
    return TrainHistory(
        algorithm="cascade",
        epochs=result.total_epochs,
        mse=list(result.mse),
        bit_fail=list(result.bit_fail),
        seconds=time.perf_counter() - t0,
        stop_reason=reason,
        hidden_added=len(result.units),
    )


def _write_back(net: Network, grower: Grower) -> None:
    """Install the grown units into ``net`` and copy the output weights."""
    installed = net.n_hidden - grower.n_hidden0
    for u in grower.units[installed:]:
        net._add_hidden_neuron(u.in_weights, u.activation, u.steepness, u.out_weights)
    block = net._block(net.layout.shape[0] - 1)
    block[...] = grower.output_weights().T
