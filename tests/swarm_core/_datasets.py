"""Small datasets shared by the agent and strategy tests."""

from __future__ import annotations

import numpy as np


def blobs(n_per_class: int = 16, seed: int = 3) -> dict[str, list[list[float]]]:
    """Three Gaussian blobs in 2-D, one-hot targets."""
    rng = np.random.default_rng(seed)
    centres = np.array([[-0.6, -0.6], [0.6, -0.6], [0.0, 0.7]])
    x = np.concatenate([c + 0.35 * rng.standard_normal((n_per_class, 2)) for c in centres])
    y = np.repeat(np.eye(3), n_per_class, axis=0)
    return {"inputs": x.tolist(), "outputs": y.tolist()}
