"""swarm_core._limits: the one statement of limits and defaults, cheap to import."""

from __future__ import annotations

import subprocess
import sys

import neural
from neural._activations import UNTRAINABLE
from swarm_core import _limits as L
from swarm_core._train_spec import train_payload


def test_activations_are_neurals_trainable_ones() -> None:
    assert sorted(L.ACTIVATIONS) == sorted(a for a in neural.ACTIVATIONS if a not in UNTRAINABLE)
    assert L.DEFAULT_HIDDEN_ACTIVATION in L.ACTIVATIONS
    assert L.DEFAULT_OUTPUT_ACTIVATION in L.ACTIVATIONS


def test_algorithms_are_the_ones_neural_trains() -> None:
    for algorithm in set(L.ALGORITHMS) - {"cascade"}:
        neural.TrainConfig(algorithm=algorithm)  # type: ignore[arg-type]  # refuses an unknown one


def test_limits_and_train_spec_import_without_the_engine_or_numpy() -> None:
    code = (
        "import sys\n"
        "import swarm_core._limits, swarm_core._train_spec, swarm_core._types\n"
        "print(sorted(m for m in ('numpy', 'sqlalchemy', 'sqlmodel', 'neural', "
        "'swarm_core._engine') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_train_payload_writes_out_every_network_field() -> None:
    p = train_payload("x.data")
    assert p == {
        "data": "x.data",
        "algorithm": L.DEFAULT_ALGORITHM,
        "layers": list(L.DEFAULT_LAYERS),
        "activation": L.DEFAULT_HIDDEN_ACTIVATION,
        "output_activation": L.DEFAULT_OUTPUT_ACTIVATION,
        "epochs": L.DEFAULT_EPOCHS,
        "desired_error": L.DEFAULT_DESIRED_ERROR,
        "validation_split": 0.0,
        "scale": L.DEFAULT_SCALE,
    }
    cascade = train_payload("x.data", algorithm="cascade", layers=[8])
    assert "layers" not in cascade and cascade["epochs"] == L.DEFAULT_CASCADE_EPOCHS
    table = train_payload("t.csv", target="y", features=None, seed=4)
    assert table["missing"] == "impute" and table["task"] == "auto" and table["seed"] == 4
    assert "features" not in table
    assert train_payload("x.data", layers=[])["layers"] == []
