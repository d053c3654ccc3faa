"""TrainConfig validation: every field rejects out-of-range values with its name."""

from __future__ import annotations

import math

import pytest

from neural import ConfigError, TrainConfig

BAD = [
    ("algorithm", "adam"),
    ("max_epochs", 0),
    ("max_epochs", 1.5),
    ("max_epochs", True),
    ("desired_error", -0.1),
    ("desired_error", math.nan),
    ("stop_function", "mae"),
    ("bit_fail_limit", 0.0),
    ("error_function", "huber"),
    ("learning_rate", 0.0),
    ("learning_rate", math.inf),
    ("learning_momentum", 1.0),
    ("rprop_increase_factor", 1.0),
    ("rprop_decrease_factor", 1.0),
    ("rprop_delta_zero", 0.0),
    ("rprop_delta_min", -1.0),
    ("rprop_delta_max", 0.0),
    ("quickprop_decay", 0.1),
    ("quickprop_mu", 0.0),
    ("sarprop_temperature", -1.0),
    ("sarprop_step_error_threshold_factor", -1.0),
    ("sarprop_weight_decay_shift", "x"),
    ("sarprop_step_error_shift", math.nan),
    ("report_every", 0),
    ("max_seconds", 0.0),
    ("seed", -1),
    ("seed", "1"),
    ("threads", 0),
    ("threads", 65),
]


@pytest.mark.parametrize(("field", "value"), BAD)
def test_bad_values_name_the_field(field: str, value: object) -> None:
    with pytest.raises(ConfigError) as info:
        TrainConfig(**{field: value})  # type: ignore[arg-type]
    assert info.value.field == field
    assert field in str(info.value)


def test_delta_max_below_delta_min() -> None:
    with pytest.raises(ConfigError, match="rprop_delta_max"):
        TrainConfig(rprop_delta_min=2.0, rprop_delta_max=1.0)


def test_fann_defaults() -> None:
    c = TrainConfig()
    assert (c.algorithm, c.max_epochs, c.desired_error, c.stop_function) == (
        "rprop",
        1000,
        0.0,
        "mse",
    )
    assert (c.bit_fail_limit, c.error_function, c.learning_rate, c.learning_momentum) == (
        0.35,
        "tanh",
        0.7,
        0.0,
    )
    assert (c.rprop_increase_factor, c.rprop_decrease_factor, c.rprop_delta_zero) == (1.2, 0.5, 0.1)
    assert (c.rprop_delta_min, c.rprop_delta_max, c.quickprop_decay, c.quickprop_mu) == (
        0.0,
        50.0,
        -0.0001,
        1.75,
    )
    assert c.to_dict()["algorithm"] == "rprop"
    with pytest.raises(AttributeError):
        c.max_epochs = 5  # type: ignore[misc]
