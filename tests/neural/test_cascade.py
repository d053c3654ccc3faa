"""cascade_train: known results (two-spiral, parity), invariants, config, callbacks."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from neural import CascadeConfig, ConfigError, Network, ShapeError, cascade_train
from neural._cascade import CascadeEpochReport
from neural._cascade_config import FANN_CANDIDATE_ACTIVATIONS, FANN_CANDIDATE_STEEPNESSES
from neural._cascade_grow import Grower
from neural._data import TrainingData, read_fann_data

DATA = Path(__file__).resolve().parents[1] / "data"
SOLVE_04: dict[str, Any] = {"stop_function": "bit", "bit_fail_limit": 0.4}


@pytest.fixture(scope="module")
def spiral() -> TrainingData:
    return read_fann_data(DATA / "two-spiral.train", dtype=np.float32)


def parity(bits: int) -> TrainingData:
    x = np.array(list(itertools.product((0.0, 1.0), repeat=bits)), np.float32)
    return TrainingData(x, (x.sum(axis=1) % 2).reshape(-1, 1))


def within(net: Network, data: TrainingData, limit: float) -> float:
    return float(np.max(np.abs(net.run(data.inputs) - data.outputs)))


def test_two_spiral_solved_all_193_points_within_04(spiral: TrainingData) -> None:
    net = Network.shortcut([2, 1], seed=1)
    hist = cascade_train(net, spiral, CascadeConfig(max_neurons=25, seed=1, **SOLVE_04))
    assert hist.stop_reason == "bit_fail"
    assert spiral.n_samples == 193
    assert within(net, spiral, 0.4) < 0.4
    # Fahlman & Lebiere report 12-19 units; FANN's Cascade2 needs a median of 19
    assert hist.hidden_added <= 16
    assert net.n_hidden == hist.hidden_added
    assert net.layer_sizes == (2, *([1] * hist.hidden_added), 1)
    assert hist.algorithm == "cascade"
    assert len(hist.mse) == len(hist.bit_fail) == hist.epochs
    assert hist.bit_fail[-1] == 0


@pytest.mark.parametrize("seed", [1, 3])
def test_parity8_needs_one_or_two_units(seed: int) -> None:
    data = parity(8)
    net = Network.shortcut([8, 1], seed=seed, init="fann")
    hist = cascade_train(net, data, CascadeConfig(max_neurons=6, seed=seed, **SOLVE_04))
    assert hist.stop_reason == "bit_fail"
    assert 1 <= hist.hidden_added <= 2
    assert within(net, data, 0.4) < 0.4


def test_fann_cascade2_settings_also_solve_parity8() -> None:
    data = parity(8)
    net = Network.shortcut([8, 1], seed=2)
    hist = cascade_train(net, data, CascadeConfig.fann(max_neurons=6, seed=2, **SOLVE_04))
    assert hist.stop_reason == "bit_fail"
    assert hist.hidden_added <= 3
    assert within(net, data, 0.4) < 0.4


@pytest.mark.parametrize("score", ["covariance", "cascade2"])
def test_installed_network_equals_the_cascade_cache(spiral: TrainingData, score: str) -> None:
    """After training, Network.run reproduces the cached-activation prediction of the grower,
    and each installed unit's column equals the network's own value for that unit."""
    net = Network.shortcut([2, 1], seed=4)
    cfg = CascadeConfig(max_neurons=5, candidate_score=score, seed=4, max_cand_epochs=60)
    cascade_train(net, spiral, cfg)
    assert net.n_hidden == 5
    out0 = net._output_start
    sources, _ = net._activations(spiral.inputs)
    # rebuild a grower around the finished network: its cache must equal the unit values
    grower = Grower(
        np.ascontiguousarray(sources[:, :out0], np.float32), 2,
        np.asarray(spiral.outputs, np.float32), ["sigmoid_stepwise"], [0.5],
        net.layer_weights(net.layout.shape[0] - 1).T, cfg.replace(max_neurons=0),
        np.random.default_rng(0), None,
    )  # fmt: skip
    np.testing.assert_allclose(grower.predict_cached(), net.run(spiral.inputs), atol=1e-5)


def test_installed_unit_reproduces_the_trained_column(spiral: TrainingData) -> None:
    """The column the grower cached for each installed unit (its own kernel) equals the value
    the network computes for that unit."""
    captured: dict[str, np.ndarray] = {}
    net = Network.shortcut([2, 1], seed=5)
    cfg = CascadeConfig(max_neurons=3, seed=5, min_cand_epochs=20, max_cand_epochs=40)

    original = Grower.install

    def spy(self: Grower, w_in: np.ndarray, best: int, v: np.ndarray) -> None:
        original(self, w_in, best, v)
        captured["a"] = self.a[:, : self.m].copy()

    Grower.install = spy  # type: ignore[method-assign]
    try:
        cascade_train(net, spiral, cfg)
    finally:
        Grower.install = original  # type: ignore[method-assign]
    values, _ = net._activations(spiral.inputs)
    np.testing.assert_allclose(captured["a"], values[:, : net._output_start], atol=1e-5)


def test_output_training_alone_when_max_neurons_is_zero() -> None:
    data = parity(3)
    net = Network.shortcut([3, 1], seed=1)
    hist = cascade_train(net, data, CascadeConfig(max_neurons=0, seed=1))
    assert hist.hidden_added == 0 and net.n_hidden == 0
    assert hist.stop_reason == "max_neurons"
    assert 50 <= hist.epochs <= 150  # FANN's min/max output epochs


def test_callback_cancels_within_one_epoch(spiral: TrainingData) -> None:
    seen: list[CascadeEpochReport] = []

    def cb(rep: CascadeEpochReport) -> bool:
        seen.append(rep)
        return not (rep.phase == "candidate" and rep.hidden_units == 2 and rep.phase_epoch == 3)

    net = Network.shortcut([2, 1], seed=6)
    hist = cascade_train(net, spiral, CascadeConfig(max_neurons=20, seed=6), callback=cb)
    assert hist.stop_reason == "callback"
    assert seen[-1].epoch == hist.epochs == len(seen)
    assert hist.hidden_added == 2 and net.n_hidden == 2
    assert [r.epoch for r in seen] == list(range(1, hist.epochs + 1))
    assert {r.phase for r in seen} == {"output", "candidate"}
    cand = [r for r in seen if r.phase == "candidate"]
    assert all(np.isfinite(r.candidate_score) and r.candidate_score > 0 for r in cand)
    assert all(r.elapsed_seconds >= 0 for r in seen)
    assert seen[-1].to_dict()["phase"] == "candidate"
    # the network is consistent and usable after cancelling
    assert net.run(spiral.inputs).shape == (193, 1)


def test_callback_exception_propagates_and_keeps_installed_units(spiral: TrainingData) -> None:
    def cb(rep: CascadeEpochReport) -> None:
        if rep.hidden_units == 1 and rep.phase == "candidate":
            raise RuntimeError("stop")

    net = Network.shortcut([2, 1], seed=7)
    with pytest.raises(RuntimeError):
        cascade_train(net, spiral, CascadeConfig(max_neurons=5, seed=7), callback=cb)
    assert net.n_hidden == 1
    assert np.all(np.isfinite(net.run(spiral.inputs)))


def test_max_seconds_stops(spiral: TrainingData) -> None:
    net = Network.shortcut([2, 1], seed=8)
    hist = cascade_train(net, spiral, CascadeConfig(max_neurons=200, max_seconds=0.05, seed=8))
    assert hist.stop_reason == "max_seconds"
    assert hist.seconds < 1.0


def test_same_seed_same_network(spiral: TrainingData) -> None:
    nets = []
    for _ in range(2):
        net = Network.shortcut([2, 1], seed=9)
        cascade_train(
            net,
            spiral,
            CascadeConfig(max_neurons=2, seed=9, min_cand_epochs=20, max_cand_epochs=30),
        )
        nets.append(net)
    assert nets[0] == nets[1]


def test_rejects_layered_networks_and_mismatched_data(spiral: TrainingData) -> None:
    with pytest.raises(ConfigError) as err:
        cascade_train(Network.standard([2, 3, 1]), spiral)
    assert err.value.field == "network"
    with pytest.raises(ShapeError):
        cascade_train(Network.shortcut([3, 1]), spiral)
    with pytest.raises(ConfigError) as err:
        cascade_train(Network.shortcut([2, 1]), spiral, {"max_neurons": 3})  # type: ignore[arg-type]
    assert err.value.field == "config"


def test_fann_settings_are_fanns() -> None:
    f = CascadeConfig.fann()
    assert f.candidate_score == "cascade2"
    assert f.num_candidates == 80
    assert f.activation_functions == FANN_CANDIDATE_ACTIVATIONS
    assert f.activation_steepnesses == FANN_CANDIDATE_STEEPNESSES == (0.25, 0.5, 0.75, 1.0)
    assert (f.output_change_fraction, f.candidate_change_fraction) == (0.01, 0.01)
    assert (f.output_stagnation_epochs, f.candidate_stagnation_epochs) == (12, 12)
    assert (f.min_out_epochs, f.max_out_epochs, f.min_cand_epochs, f.max_cand_epochs) == (
        50, 150, 50, 150,
    )  # fmt: skip
    assert (f.weight_multiplier, f.candidate_limit) == (0.4, 1000.0)
    assert (f.output_algorithm, f.candidate_algorithm, f.error_function) == (
        "rprop", "rprop", "tanh",
    )  # fmt: skip
    assert (f.learning_rate, f.quickprop_mu, f.quickprop_decay) == (0.7, 1.75, -0.0001)
    assert (f.rprop_increase_factor, f.rprop_decrease_factor, f.rprop_delta_zero) == (1.2, 0.5, 0.1)
    # the defaults that differ from FANN are Fahlman's, and documented
    d = CascadeConfig()
    differ = [
        fld.name for fld in dataclasses.fields(CascadeConfig)
        if getattr(d, fld.name) != getattr(f, fld.name)
    ]  # fmt: skip
    assert differ == ["output_algorithm", "candidate_score"]
    for name in differ:
        assert f"{name}=" in (CascadeConfig.__doc__ or "")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_neurons", -1),
        ("max_neurons", 2.5),
        ("stop_function", "mae"),
        ("bit_fail_limit", 0.0),
        ("desired_error", float("nan")),
        ("max_seconds", 0.0),
        ("output_algorithm", "sgd"),
        ("candidate_score", "corr"),
        ("candidate_init", "zeros"),
        ("error_function", "huber"),
        ("output_change_fraction", 1.5),
        ("candidate_stagnation_epochs", 0),
        ("max_cand_epochs", 0),
        ("min_out_epochs", 151),
        ("weight_multiplier", -0.4),
        ("activation_functions", ()),
        ("activation_functions", ("sigmoid", "nope")),
        ("activation_functions", ("threshold",)),
        ("activation_functions", ["sigmoid"]),
        ("activation_steepnesses", (0.5, 0.0)),
        ("num_candidate_groups", 0),
        ("num_candidate_groups", 200),
        ("rprop_decrease_factor", 0.0),
        ("quickprop_mu", 0.0),
        ("seed", -3),
        ("seed", True),
    ],
)
def test_config_validation_names_the_field(field: str, value: Any) -> None:
    kwargs: dict[str, Any] = {field: value}
    with pytest.raises(ConfigError) as err:
        CascadeConfig(**kwargs)
    assert err.value.field == field
    assert field in str(err.value)


def test_config_is_frozen_and_replace_validates() -> None:
    cfg = CascadeConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.max_neurons = 3  # type: ignore[misc]
    assert cfg.replace(max_neurons=3).max_neurons == 3
    with pytest.raises(ConfigError):
        cfg.replace(max_neurons=-3)


def test_grows_on_top_of_existing_hidden_layers(spiral: TrainingData) -> None:
    """A shortcut network that already has a hidden layer keeps it and its outputs keep
    seeing every earlier unit; the cached values the cascade trained on match run()."""
    net = Network.shortcut([2, 3, 1], seed=10)
    before = net.layer_weights(0).copy()
    cfg = CascadeConfig(max_neurons=2, seed=10, min_cand_epochs=20, max_cand_epochs=40)
    hist = cascade_train(net, spiral, cfg)
    assert hist.hidden_added == 2
    assert net.layer_sizes == (2, 3, 1, 1, 1)
    np.testing.assert_array_equal(net.layer_weights(0), before)  # frozen, as in FANN
    values, _ = net._activations(spiral.inputs)
    out0 = net._output_start
    grower = Grower(
        np.ascontiguousarray(values[:, :out0], np.float32), 2,
        np.asarray(spiral.outputs, np.float32), ["sigmoid_stepwise"], [0.5],
        net.layer_weights(net.layout.shape[0] - 1).T, cfg.replace(max_neurons=0),
        np.random.default_rng(0), None,
    )  # fmt: skip
    np.testing.assert_allclose(grower.predict_cached(), net.run(spiral.inputs), atol=1e-5)


def test_no_subnormal_floats_reach_the_cache_or_weights(spiral: TrainingData) -> None:
    """Gaussian/sigmoid candidates far out produce values like 1e-40: they must be flushed to 0
    (subnormal floats make x86 arithmetic ~100x slower; FANN loses ~40 % to them)."""
    x = np.asarray(spiral.inputs, np.float32)
    sources = np.hstack([np.ones((x.shape[0], 1), np.float32), x * 200.0])  # saturate units
    cfg = CascadeConfig(max_neurons=4, seed=11, min_cand_epochs=20, max_cand_epochs=40)
    grower = Grower(
        sources, 2, np.asarray(spiral.outputs, np.float32), ["sigmoid_stepwise"], [0.5],
        np.zeros((1, 3), np.float32), cfg, np.random.default_rng(11), None,
    )  # fmt: skip
    grower.run()
    tiny = np.finfo(np.float32).tiny
    for name, arr in (("cache", grower.a), ("output weights", grower.wo)):
        sub = (arr != 0) & (np.abs(arr) < tiny)
        assert not np.any(sub), f"{name}: {np.count_nonzero(sub)} subnormal values"


def test_workspace_limit_is_explicit() -> None:
    x = np.zeros((60_000, 2), np.float32)
    big = TrainingData(x, np.zeros((60_000, 1), np.float32))
    with pytest.raises(ConfigError) as err:
        cascade_train(Network.shortcut([2, 1]), big, CascadeConfig(max_neurons=10_000))
    assert err.value.field == "max_neurons"
    assert "MiB" in str(err.value)


def test_candidate_limit_ends_the_candidate_phase(spiral: TrainingData) -> None:
    """FANN's rule: stop once the best score (relative to the error) exceeds the limit."""
    phases: list[tuple[int, int]] = []

    def cb(rep: CascadeEpochReport) -> None:
        if rep.phase == "candidate":
            phases.append((rep.hidden_units, rep.phase_epoch))

    cfg = CascadeConfig(max_neurons=2, candidate_limit=1e-9, seed=12)
    hist = cascade_train(Network.shortcut([2, 1], seed=12), spiral, cfg, callback=cb)
    assert hist.hidden_added == 2
    assert phases == [(0, 0), (1, 0)]  # one epoch per candidate phase
