"""Cascade kernels against plain NumPy references and finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neural import _cascade_kernels as K
from neural._activations import ACTIVATION_IDS
from neural._cascade_config import FANN_CANDIDATE_ACTIVATIONS, CascadeConfig
from neural._cascade_grow import _params, candidate_pool

POOL = FANN_CANDIDATE_ACTIVATIONS


def _np_act(name: str, z: np.ndarray) -> np.ndarray:
    return {
        "sigmoid": lambda: 1 / (1 + np.exp(-2 * z)),
        "sigmoid_symmetric": lambda: np.tanh(z),
        "gaussian": lambda: np.exp(-z * z),
        "gaussian_symmetric": lambda: 2 * np.exp(-z * z) - 1,
        "elliot": lambda: 0.5 * z / (1 + np.abs(z)) + 0.5,
        "elliot_symmetric": lambda: z / (1 + np.abs(z)),
        "sin_symmetric": lambda: np.sin(z),
        "cos_symmetric": lambda: np.cos(z),
        "sin": lambda: 0.5 * np.sin(z) + 0.5,
        "cos": lambda: 0.5 * np.cos(z) + 0.5,
    }[name]()


def _np_der(name: str, steep: float, net: np.ndarray) -> np.ndarray:
    """d activation / d net: exact, except that FANN clips y in the sigmoid family."""
    y = _np_act(name, steep * net)
    if name == "sigmoid":
        yc = np.clip(y, 0.01, 0.99)
        return 2 * steep * yc * (1 - yc)
    if name == "sigmoid_symmetric":
        yc = np.clip(y, -0.98, 0.98)
        return steep * (1 - yc * yc)
    h = 1e-4
    return (_np_act(name, steep * (net + h)) - _np_act(name, steep * (net - h))) / (2 * h)


def _runs(codes: np.ndarray) -> np.ndarray:
    change = np.flatnonzero(np.diff(codes)) + 1
    return np.concatenate([[0], change, [codes.size]]).astype(np.int64)


def _pool_eval(codes: np.ndarray, steeps: np.ndarray, net: np.ndarray) -> tuple[np.ndarray, ...]:
    act = np.empty(codes.size, np.float32)
    der = np.empty(codes.size, np.float32)
    K.pool_values(net.astype(np.float32), act, der, codes, steeps, _runs(codes))
    return act, der


@pytest.mark.parametrize("name", POOL)
def test_pool_values_match_numpy_and_finite_differences(name: str) -> None:
    net = np.linspace(-7.0, 7.0, 57)
    steeps = np.full(net.size, 0.75)
    codes = np.full(net.size, ACTIVATION_IDS[name], np.int64)
    act, der = _pool_eval(codes, steeps, net)
    np.testing.assert_allclose(act, _np_act(name, 0.75 * net), atol=2e-7)
    h = 1e-4
    numeric = (_np_act(name, 0.75 * (net + h)) - _np_act(name, 0.75 * (net - h))) / (2 * h)
    if name in ("sigmoid", "sigmoid_symmetric"):
        # FANN clips y before the derivative: compare only where the clip is inactive
        y = _np_act(name, 0.75 * net)
        lo, hi = (0.01, 0.99) if name == "sigmoid" else (-0.98, 0.98)
        keep = (y > lo) & (y < hi)
        np.testing.assert_allclose(der[keep], numeric[keep], rtol=1e-4, atol=1e-6)
    else:
        np.testing.assert_allclose(der, numeric, rtol=1e-4, atol=1e-6)


def test_pool_values_far_out_are_finite_and_flushed() -> None:
    net = np.array([-1e6, -300.0, -60.0, 60.0, 300.0, 1e6])
    for name in POOL:
        codes = np.full(net.size, ACTIVATION_IDS[name], np.int64)
        act, der = _pool_eval(codes, np.ones(net.size), net)
        assert np.all(np.isfinite(act)) and np.all(np.isfinite(der))
        tiny = (act != 0) & (np.abs(act) < 1e-20)
        assert not np.any(tiny), f"{name}: unflushed {act[tiny]}"


def _problem(
    seed: int, n: int = 37, m: int = 5, n_out: int = 2
) -> tuple[np.ndarray, np.ndarray, CascadeConfig]:
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1.0, 1.0, (n, m)).astype(np.float32)
    a[:, 0] = 1.0
    e = rng.uniform(-0.5, 0.5, (n, n_out)).astype(np.float32)
    cfg = CascadeConfig(activation_steepnesses=(0.5, 1.0), num_candidate_groups=1)
    return a, e, cfg


def _reference_values(a: np.ndarray, wc: np.ndarray, codes: np.ndarray, steeps: np.ndarray):  # type: ignore[no-untyped-def]
    names = {v: k for k, v in ACTIVATION_IDS.items()}
    net = a.astype(np.float64) @ wc.astype(np.float64)  # (n, nc)
    vals = np.empty_like(net)
    for c in range(codes.size):
        vals[:, c] = _np_act(names[int(codes[c])], steeps[c] * net[:, c])
    return net, vals


def _epoch(
    a: np.ndarray, e: np.ndarray, wc: np.ndarray, vc: np.ndarray, cfg: CascadeConfig, mode: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One candidate epoch with Quickprop from rest and no decay: the weight change is exactly
    learning_rate / n * slope, which exposes the kernel's slopes."""
    codes, steeps = candidate_pool(cfg)
    n, m = a.shape
    n_out = e.shape[1]
    nc = codes.size
    params = _params(cfg.replace(quickprop_decay=0.0, learning_rate=1.0))
    w = wc.astype(np.float32).ravel().copy()
    v = vc.astype(np.float32).ravel().copy()
    z = np.zeros
    cov = z(n_out * nc)
    scores = z(nc)
    sse = float(np.sum(e.astype(np.float64) ** 2))
    err_sq = sse
    K.candidate_epoch(
        a, m, e, w, v, codes, steeps, _runs(codes), mode, sse, err_sq, cov,
        z(m * nc, np.float32), z(m * nc, np.float32), z(m * nc, np.float32),
        z(n_out * nc, np.float32), z(n_out * nc, np.float32), z(n_out * nc, np.float32),
        K.ALGO_QUICKPROP, params, scores,
    )  # fmt: skip
    slope_w = (w - wc.ravel()) * n
    slope_v = (v - vc.ravel()) * n
    return scores, slope_w.reshape(m, nc), slope_v.reshape(n_out, nc), cov.reshape(n_out, nc)


def test_cascade2_score_and_slopes_match_numpy() -> None:
    a, e, cfg = _problem(1)
    codes, steeps = candidate_pool(cfg)
    rng = np.random.default_rng(2)
    wc = rng.uniform(-1, 1, (a.shape[1], codes.size)).astype(np.float32)
    vc = rng.uniform(-1, 1, (e.shape[1], codes.size)).astype(np.float32)
    scores, sw, sv, _ = _epoch(a, e, wc, vc, cfg, K.SCORE_CASCADE2)

    net, vals = _reference_values(a, wc, codes, steeps)
    e64 = e.astype(np.float64)
    diff = vals[:, None, :] * vc[None, :, :] - e64[:, :, None]  # (n, n_out, nc)
    ref_scores = np.sum(e64**2) - np.sum(diff**2, axis=(0, 1))
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-5, atol=1e-5)
    # Cascade2 ascends score = SSE - sum diff^2; FANN halves the input-weight slope
    ref_sv = -2.0 * np.sum(diff * vals[:, None, :], axis=0)
    np.testing.assert_allclose(sv, ref_sv, rtol=2e-3, atol=2e-4)
    names = {v: k for k, v in ACTIVATION_IDS.items()}
    dvals = np.empty_like(vals)
    for c in range(codes.size):
        dvals[:, c] = _np_der(names[int(codes[c])], steeps[c], net[:, c])
    err = np.sum(diff * vc[None, :, :], axis=1)  # (n, nc)
    ref_sw = -(a.astype(np.float64).T @ (err * dvals))
    np.testing.assert_allclose(sw, ref_sw, rtol=2e-3, atol=2e-4)


def test_covariance_score_and_slopes_match_numpy() -> None:
    a, e, cfg = _problem(3)
    e = (e - e.mean(axis=0)).astype(np.float32)
    codes, steeps = candidate_pool(cfg)
    wc = np.random.default_rng(4).uniform(-1, 1, (a.shape[1], codes.size)).astype(np.float32)
    vc = np.zeros((e.shape[1], codes.size), np.float32)
    scores, sw, _, cov = _epoch(a, e, wc, vc, cfg, K.SCORE_COVARIANCE)

    net, vals = _reference_values(a, wc, codes, steeps)
    e64 = e.astype(np.float64)
    err_sq = np.sum(e64**2)
    ref_cov = e64.T @ (vals - vals.mean(axis=0))  # (n_out, nc): true covariance sums
    np.testing.assert_allclose(cov, ref_cov, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(scores, np.abs(ref_cov).sum(axis=0) / err_sq, rtol=1e-4)
    # first epoch: signs taken as +1 (no previous covariance), slope = sum_o e_o f' x / err_sq
    names = {v: k for k, v in ACTIVATION_IDS.items()}
    dvals = np.empty_like(vals)
    for c in range(codes.size):
        dvals[:, c] = _np_der(names[int(codes[c])], steeps[c], net[:, c])
    ref_sw = a.astype(np.float64).T @ (e64.sum(axis=1, keepdims=True) * dvals) / err_sq
    np.testing.assert_allclose(sw, ref_sw, rtol=2e-3, atol=2e-5)


def test_covariance_gradient_is_the_score_gradient() -> None:
    """Second epoch uses the real covariance signs: the slope is d score / d w (finite diff)."""
    a, e, cfg = _problem(5, n=60, m=4, n_out=3)
    e = (e - e.mean(axis=0)).astype(np.float32)
    codes, steeps = candidate_pool(cfg)
    wc = np.random.default_rng(6).uniform(-1, 1, (a.shape[1], codes.size)).astype(np.float32)

    def score(w: np.ndarray) -> np.ndarray:
        _, vals = _reference_values(a, w, codes, steeps)
        cov = e.astype(np.float64).T @ (vals - vals.mean(axis=0))
        return np.abs(cov).sum(axis=0) / np.sum(e.astype(np.float64) ** 2)

    # prime the covariance signs with one epoch at the same weights, then measure slopes
    nc = codes.size
    n_out = e.shape[1]
    m = a.shape[1]
    params = _params(cfg.replace(quickprop_decay=0.0, learning_rate=1.0))
    cov = np.zeros(n_out * nc)
    z32 = lambda k: np.zeros(k, np.float32)  # noqa: E731
    scores = np.zeros(nc)
    err_sq = float(np.sum(e.astype(np.float64) ** 2))
    for _ in range(2):
        w = wc.ravel().copy()
        K.candidate_epoch(
            a, m, e, w, z32(n_out * nc), codes, steeps, _runs(codes), K.SCORE_COVARIANCE,
            err_sq, err_sq, cov, z32(m * nc), z32(m * nc), z32(m * nc),
            z32(n_out * nc), z32(n_out * nc), z32(n_out * nc), K.ALGO_QUICKPROP, params, scores,
        )  # fmt: skip
    slope = ((w - wc.ravel()) * a.shape[0]).reshape(m, nc)
    h = 1e-3
    for j in range(m):
        wp = wc.astype(np.float64).copy()
        wm = wc.astype(np.float64).copy()
        wp[j] += h
        wm[j] -= h
        numeric = (score(wp) - score(wm)) / (2 * h)
        # Fahlman's gradient drops the (tiny) term through the candidate's mean value
        np.testing.assert_allclose(slope[j], numeric, rtol=0.05, atol=5e-4)


def test_output_epoch_matches_numpy_and_skips_update_when_goal_met() -> None:
    rng = np.random.default_rng(7)
    n, m, n_out, m_max = 50, 6, 2, 9
    a = np.zeros((n, m_max), np.float32)
    a[:, :m] = rng.uniform(-1, 1, (n, m))
    a[:, 0] = 1
    t = (rng.uniform(size=(n, n_out)) > 0.5).astype(np.float32)
    wo = rng.uniform(-0.5, 0.5, n_out * m_max).astype(np.float32)
    codes = np.array([ACTIVATION_IDS["sigmoid"]] * n_out, np.int64)
    steeps = np.array([0.5] * n_out)
    params = _params(CascadeConfig())
    z = lambda: np.zeros(n_out * m_max, np.float32)  # noqa: E731
    y = np.empty((n, n_out), np.float32)
    s = np.empty((n, n_out), np.float32)
    w_before = wo.copy()
    mse, bit, reached = K.output_epoch(
        a, m, t, wo, m_max, codes, steeps, True, 0.35, K.STOP_MSE, 0.0,
        z(), z(), np.full(n_out * m_max, 0.1, np.float32), K.ALGO_RPROP, params, y, s,
    )  # fmt: skip
    w = w_before.reshape(n_out, m_max)[:, :m].astype(np.float64)
    ref_y = 1 / (1 + np.exp(-2 * 0.5 * (a[:, :m] @ w.T)))
    err = t - ref_y
    assert mse == pytest.approx(np.mean(err**2), rel=1e-5)
    assert bit == int(np.sum(np.abs(err) >= 0.35))
    assert not reached
    # tanh error, sigmoid derivative with clipping; RPROP's first step is 0.12 along the slope
    e_t = np.log((1 + err) / (1 - err))
    yc = np.clip(ref_y, 0.01, 0.99)
    slope = (2 * 0.5 * yc * (1 - yc) * e_t).T @ a[:, :m]
    moved = wo.reshape(n_out, m_max)[:, :m] - w
    big = np.abs(slope) > 1e-3
    np.testing.assert_allclose(moved[big], 0.12 * np.sign(slope[big]), atol=1e-6)
    assert np.all(wo.reshape(n_out, m_max)[:, m:] == w_before.reshape(n_out, m_max)[:, m:])

    w_goal = wo.copy()
    _, _, reached = K.output_epoch(
        a, m, t, wo, m_max, codes, steeps, True, 0.35, K.STOP_MSE, 1.0,
        z(), z(), np.full(n_out * m_max, 0.1, np.float32), K.ALGO_RPROP, params, y, s,
    )  # fmt: skip
    assert reached
    assert np.array_equal(wo, w_goal)


def test_update_weights_irpropm_quirks() -> None:
    w = np.array([0.0, 0.0, 0.0, 1499.99], np.float32)
    slope = np.array([1.0, -1.0, 1.0, 5.0], np.float32)
    prev = np.array([1.0, 1.0, 0.0, 1.0], np.float32)
    step = np.array([0.1, 0.1, 0.0, 1.0], np.float32)
    K.update_weights(w, slope, prev, step, 4, K.ALGO_RPROP, _params(CascadeConfig()), 1)
    # same sign: grow; sign change: shrink, slope zeroed, still moves "+" (FANN quirk);
    # zero step is floored at 1e-4; weights clipped at 1500
    np.testing.assert_allclose(step, [0.12, 0.05, 1.2e-4, 1.2], rtol=1e-6)
    np.testing.assert_allclose(w, [0.12, 0.05, 1.2e-4, 1500.0], rtol=1e-6)
    np.testing.assert_array_equal(prev, [1.0, 0.0, 1.0, 5.0])
    assert np.all(slope == 0)
    assert math.isfinite(float(w.sum()))
