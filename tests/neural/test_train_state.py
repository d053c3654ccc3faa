"""`TrainState`: a training interrupted after epoch k and continued from the state its callback
took measures exactly the errors of the uninterrupted run; the state survives bytes; a state
that does not fit is refused with the field named."""

from __future__ import annotations

import gc
import io
import itertools
from typing import Any

import numpy as np
import pytest

import neural

EPOCHS, SPLIT = 40, 15


def regression(n: int = 120, seed: int = 0) -> neural.TrainingData:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 4))
    y = 0.5 + 0.3 * np.sin(3 * x[:, :1] * x[:, 1:2]) + 0.05 * rng.standard_normal((n, 1))
    return neural.TrainingData(x, y)


DATA = regression()

# every algorithm with settings that make its carried state matter: incremental with momentum
# and a seed (shuffled sample order), SARPROP with its noise
CONFIGS: dict[str, dict[str, Any]] = {
    "rprop": {},
    "quickprop": {"learning_rate": 2.0},  # steps above 0.001: the quadratic rule applies
    "batch": {"learning_rate": 0.3},
    "incremental": {"learning_rate": 0.1, "learning_momentum": 0.5},
    "sarprop": {},
}


def config(algorithm: str, epochs: int) -> neural.TrainConfig:
    return neural.TrainConfig(
        algorithm=algorithm,  # type: ignore[arg-type]
        max_epochs=epochs,
        seed=11,
        **CONFIGS[algorithm],
    )


def fresh(dtype: Any = np.float32) -> neural.Network:
    return neural.Network.standard(
        [4, 6, 1],
        hidden_activation="sigmoid_symmetric",
        output_activation="sigmoid",
        seed=2,
        dtype=dtype,
    )


def interrupted(algorithm: str, dtype: Any) -> tuple[neural.Network, list[float], bytes]:
    """Train until epoch SPLIT; returns the network, the history and the state as bytes."""
    net = fresh(dtype)
    taken: list[bytes] = []

    def stop_at_split(report: neural.EpochReport) -> bool:
        if report.epoch == SPLIT:
            taken.append(report.train_state().to_bytes())
            return False
        return True

    hist = neural.train(net, DATA, config(algorithm, EPOCHS), callback=stop_at_split)
    assert hist.stop_reason == "callback" and hist.epochs == SPLIT
    return net, hist.mse, taken[0]


def uninterrupted(algorithm: str, dtype: Any) -> tuple[neural.Network, list[float]]:
    net = fresh(dtype)
    # a callback on every epoch, like the interrupted run: incremental training's shuffled
    # sample order restarts from file order at every kernel call, so the grouping of epochs
    # into calls must be the same in both runs
    hist = neural.train(net, DATA, config(algorithm, EPOCHS), callback=lambda r: None)
    return net, hist.mse


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("algorithm", list(CONFIGS))
def test_resumed_run_measures_what_the_uninterrupted_run_does(algorithm: str, dtype: Any) -> None:
    whole_net, whole = uninterrupted(algorithm, dtype)
    net, first, blob = interrupted(algorithm, dtype)
    # the network as a checkpoint would hold it: serialised and read back
    net = neural.Network.from_bytes(net.to_bytes())
    state = neural.TrainState.from_bytes(blob)
    assert state.epochs == SPLIT and state.algorithm == algorithm
    rest = neural.train(
        net, DATA, config(algorithm, EPOCHS - SPLIT), state=state, callback=lambda r: None
    )
    # same operations in the same order on the same values: bit-identical, not just close
    assert first + rest.mse == whole
    assert np.array_equal(net.weights, whole_net.weights)


@pytest.mark.parametrize("algorithm", ["rprop", "quickprop", "incremental", "sarprop"])
def test_without_the_state_the_resumed_run_differs(algorithm: str) -> None:
    # the control for the test above: these algorithms do carry state across epochs
    _, whole = uninterrupted(algorithm, np.float32)
    net, first, _ = interrupted(algorithm, np.float32)
    rest = neural.train(net, DATA, config(algorithm, EPOCHS - SPLIT), callback=lambda r: None)
    assert first + rest.mse != whole


def test_state_continues_over_several_resumes() -> None:
    _, whole = uninterrupted("sarprop", np.float64)
    net, mse, blob = interrupted("sarprop", np.float64)
    taken: list[neural.TrainState] = []
    state = neural.TrainState.from_bytes(blob)
    for chunk in (10, 15):
        hist = neural.train(
            net,
            DATA,
            config("sarprop", chunk),
            state=state,
            callback=lambda r: taken.append(r.train_state()),
        )
        mse += hist.mse
        state = taken[-1]
    assert mse == whole
    assert state.epochs == EPOCHS and state.sarprop_epoch == EPOCHS


def test_bytes_round_trip_keeps_every_field() -> None:
    _, _, blob = interrupted("rprop", np.float64)
    state = neural.TrainState.from_bytes(blob)
    again = neural.TrainState.from_bytes(state.to_bytes())
    assert again.to_bytes() == blob
    for name in ("steps", "slopes", "deltas"):
        a, b = getattr(state, name), getattr(again, name)
        assert a.dtype == b.dtype == np.float64 and np.array_equal(a, b)
    # only what RPROP carries has the network's size
    assert state.steps.shape == state.slopes.shape == (state.n_weights,)
    assert state.deltas.shape == (0,)
    assert (again.algorithm, again.epochs, again.sarprop_epoch, again.rng) == (
        "rprop",
        SPLIT,
        0,
        state.rng,
    )
    assert state.n_weights == fresh().n_connections
    # the steps adapted per weight: the state is not a blank one
    assert not np.all(state.steps == state.steps[0])


def test_state_is_a_copy_taken_at_its_epoch() -> None:
    net = fresh()
    taken: list[neural.TrainState] = []
    neural.train(net, DATA, config("rprop", 5), callback=lambda r: taken.append(r.train_state()))
    steps = [s.steps for s in taken]
    assert all(not np.shares_memory(a, b) for a, b in itertools.pairwise(steps))
    assert not np.array_equal(steps[0], steps[-1])
    assert [s.epochs for s in taken] == [1, 2, 3, 4, 5]


def test_mismatched_state_is_refused_naming_the_field() -> None:
    _, _, blob = interrupted("rprop", np.float32)
    state = neural.TrainState.from_bytes(blob)
    with pytest.raises(neural.ConfigError) as err:
        neural.train(fresh(), DATA, config("quickprop", 5), state=state)
    assert err.value.field == "state.algorithm"
    bigger = neural.Network.standard([4, 7, 1], seed=2)
    with pytest.raises(neural.ConfigError) as err:
        neural.train(bigger, DATA, config("rprop", 5), state=state)
    assert err.value.field == "state.n_weights" and str(bigger.n_connections) in str(err.value)
    with pytest.raises(neural.ConfigError) as err:
        neural.train(fresh(np.float64), DATA, config("rprop", 5), state=state)
    assert err.value.field == "state.steps" and "float64" in str(err.value)
    with pytest.raises(neural.ConfigError) as err:
        neural.train(fresh(), DATA, config("rprop", 5), state=blob)  # type: ignore[arg-type]
    assert err.value.field == "state"


_N = fresh().n_connections


def _tampered(blob: bytes, **changes: Any) -> bytes:
    with np.load(io.BytesIO(blob)) as z:
        fields = {k: z[k] for k in z.files}
    for k, v in changes.items():
        if v is None:
            del fields[k]
        else:
            fields[k] = v
    buf = io.BytesIO()
    np.savez(buf, **fields)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"steps": None}, "state.steps"),
        ({"format": np.int64(99)}, "state.format"),
        ({"algorithm": np.str_("adam")}, "state.algorithm"),
        ({"counters": np.zeros(3, dtype=np.int64)}, "state.counters"),
        ({"counters": np.array([-1, 0, 0, 5], dtype=np.int64)}, "state.counters"),
        ({"slopes": np.zeros(3, dtype=np.float32)}, "state.slopes"),
        ({"slopes": np.full(_N, np.nan, dtype=np.float32)}, "state.slopes"),
        ({"slopes": np.zeros(_N, dtype=np.float64)}, "state.slopes"),  # steps are float32
        ({"steps": np.zeros(_N, dtype=np.float16)}, "state.steps"),
        ({"deltas": np.zeros(_N, dtype=np.float32)}, "state.deltas"),  # rprop has none
        ({"deltas": np.zeros(0, dtype=np.int32)}, "state.deltas"),
    ],
)
def test_malformed_bytes_are_refused_naming_the_field(changes: dict[str, Any], field: str) -> None:
    _, _, blob = interrupted("rprop", np.float32)
    with pytest.raises(neural.ConfigError) as err:
        neural.TrainState.from_bytes(_tampered(blob, **changes))
    assert err.value.field == field


def test_non_state_bytes_are_refused() -> None:
    for junk in (b"", b"not a zip", fresh().to_bytes()):
        with pytest.raises(neural.ConfigError) as err:
            neural.TrainState.from_bytes(junk)
        assert err.value.field.startswith("state")


def test_a_report_not_made_by_train_has_no_state() -> None:
    report = neural.EpochReport(1, 0.5, 0, 0.1)
    with pytest.raises(neural.ConfigError) as err:
        report.train_state()
    assert err.value.field == "report"
    # the snapshot hook stays out of the report's data
    seen: list[dict[str, Any]] = []
    neural.train(fresh(), DATA, config("rprop", 1), callback=lambda r: seen.append(r.to_dict()))
    assert set(seen[0]) == {"epoch", "mse", "bit_fail", "elapsed_seconds"}


def test_a_state_is_only_taken_at_its_own_epoch() -> None:
    reports: list[neural.EpochReport] = []
    errors: list[str] = []

    def cb(report: neural.EpochReport) -> None:
        if reports:  # an earlier epoch's report, asked while training is further on
            with pytest.raises(neural.ConfigError) as err:
                reports[0].train_state()
            errors.append(err.value.field)
        reports.append(report)

    neural.train(fresh(), DATA, config("rprop", 3), callback=cb)
    assert errors == ["report", "report"]
    # after train returned, its reports no longer reach the (released) trainer; collect the
    # reference cycles the caught exceptions above made through their tracebacks
    gc.collect()
    with pytest.raises(neural.ConfigError, match="ended"):
        reports[-1].train_state()
