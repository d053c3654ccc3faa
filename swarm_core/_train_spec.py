"""The payload of a train task, built one way for every door (Engine.train, the MCP train tool).

Every field that shapes the network is written out with its default, so the stored task says
which network it builds and a retry rebuilds the same one; options left None are left out (the
handler applies the engine's configured limits to them). Values are checked by the
neural-processor handler, which also serves payloads that come from elsewhere (orchestrate,
strategies, submit_task). Standard library only: the MCP server imports it at registration.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from swarm_core import _limits as L


def train_payload(
    data: Mapping[str, Any] | list[Any] | str,
    *,
    algorithm: str | None = None,
    layers: Iterable[int] | None = None,
    activation: str | None = None,
    output_activation: str | None = None,
    epochs: int | None = None,
    desired_error: float | None = None,
    validation_split: float | None = None,
    seed: int | None = None,
    **options: Any,
) -> dict[str, Any]:
    algo = L.DEFAULT_ALGORITHM if algorithm is None else algorithm
    payload: dict[str, Any] = {
        "data": data,
        "algorithm": algo,
        "activation": L.DEFAULT_HIDDEN_ACTIVATION if activation is None else activation,
        "output_activation": (
            L.DEFAULT_OUTPUT_ACTIVATION if output_activation is None else output_activation
        ),
        "epochs": L.default_epochs(algo) if epochs is None else epochs,
        "desired_error": L.DEFAULT_DESIRED_ERROR if desired_error is None else desired_error,
        "validation_split": 0.0 if validation_split is None else validation_split,
        "scale": L.DEFAULT_SCALE,
    }
    if algo == "cascade":
        pass  # cascade grows its hidden units from none: layers would be ignored
    elif layers is None:
        payload["layers"] = list(L.DEFAULT_LAYERS)
    else:
        # anything but a sequence goes as it is, for the handler to refuse by name
        payload["layers"] = list(layers) if isinstance(layers, list | tuple) else layers
    if seed is not None:
        payload["seed"] = seed
    payload.update({k: v for k, v in options.items() if v is not None})
    if payload.get("target") is not None:  # a table: how its gaps and task are read
        payload.setdefault("missing", L.MISSING_MODES[0])
        payload.setdefault("task", L.TABULAR_TASKS[0])
    return payload
