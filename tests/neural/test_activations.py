"""Every activation and derivative kernel against the NumPy reference (libfann 2.2 formulas)."""

from __future__ import annotations

import numpy as np
import pytest

from neural import ACTIVATIONS
from neural._activations import SYMMETRIC, _activate, _derive, _is_symmetric

from . import _reference as ref

Z = np.concatenate(
    [np.linspace(-4.0, 4.0, 161), [-2.64665246, 2.64665294, -0.5493, 0.5493, 0.0, -150, 150]]
)


@pytest.mark.parametrize("aid", range(len(ACTIVATIONS)))
def test_activation_matches_reference(aid: int) -> None:
    got = np.array([_activate(aid, float(z)) for z in Z])
    np.testing.assert_allclose(got, ref.activation(aid, Z), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("aid", range(len(ACTIVATIONS)))
@pytest.mark.parametrize("steepness", [0.5, 1.0, 1.7])
def test_derivative_matches_reference(aid: int, steepness: float) -> None:
    y = ref.activation(aid, Z)
    got = np.array([_derive(aid, steepness, float(a), float(b)) for a, b in zip(y, Z, strict=True)])
    np.testing.assert_allclose(got, ref.derivative(aid, steepness, y, Z), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "name",
    [
        "sigmoid",
        "sigmoid_symmetric",
        "gaussian",
        "gaussian_symmetric",
        "elliot",
        "elliot_symmetric",
        "sin",
        "cos",
        "sin_symmetric",
        "cos_symmetric",
        "linear",
        "relu",
        "leaky_relu",
    ],
)
def test_derivative_is_the_true_slope_at_steepness_one(name: str) -> None:
    # FANN's derivatives are exact where no clipping applies and the steepness is 1
    aid = ACTIVATIONS.index(name)
    z = np.linspace(-0.9, 0.9, 37) + 0.013
    h = 1e-6
    numeric = (ref.activation(aid, z + h) - ref.activation(aid, z - h)) / (2 * h)
    got = np.array(
        [_derive(aid, 1.0, float(ref.activation(aid, np.array(v))), float(v)) for v in z]
    )
    np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-8)


def test_stepwise_sigmoid_is_a_close_piecewise_linear_logistic() -> None:
    z = np.linspace(-2.6, 2.6, 101)
    got = np.array([_activate(4, float(v)) for v in z])
    assert np.max(np.abs(got - 1 / (1 + np.exp(-2 * z)))) < 0.04
    assert _activate(4, -2.7) == 0.0 and _activate(4, 2.7) == 1.0  # FANN saturates exactly


def test_symmetric_flags_agree_with_names() -> None:
    for aid, name in enumerate(ACTIVATIONS):
        assert _is_symmetric(aid) == (name in SYMMETRIC)
        assert (aid in ref.SYMMETRIC_IDS) == (name in SYMMETRIC)
