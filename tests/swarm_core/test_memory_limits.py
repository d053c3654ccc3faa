"""Refused input costs bounded memory: each class measured in a fresh interpreter (RSS growth
of the one call), with the error naming the field and the limit. Accepted data within the
limits costs at most ~3x its arrays."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.lib import format as npf

MIB = 2**20
REFUSED_BUDGET = 64 * MIB
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/clear_refs").exists(), reason="needs Linux's peak-RSS reset"
)


def measure(case: str, arg: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.swarm_core._memory_child", case, arg],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_data_file_refused_by_its_header_costs_no_memory(tmp_path: Path) -> None:
    # 20 MB of "0\n1\n" under a header beyond max_dataset_samples (cost +493 MiB before)
    path = tmp_path / "big.data"
    with path.open("w") as f:
        f.write("15000000 1 1\n")
        for _ in range(5):
            f.write("0\n1\n" * 1_000_000)
    r = measure("data", str(path))
    assert r["growth"] < REFUSED_BUDGET, r
    assert "max_dataset_samples=1000000" in r["error"] and "15000000" in r["error"]


def test_data_file_within_the_limits_costs_about_its_arrays(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    path = tmp_path / "ok.data"
    n, ni = 40_000, 50
    x = rng.uniform(-1, 1, (n, ni)).round(4)
    with path.open("w") as f:
        f.write(f"{n} {ni} 1\n")
        f.writelines(" ".join(map(str, r.tolist())) + f"\n{int(r[0] > 0)}\n" for r in x)
    r = measure("data", str(path))
    assert r["error"] is None and r["arrays"] == n * (ni + 1) * 4  # float32
    # the arrays plus the per-block buffers (a 1 MiB block's tokens and values)
    assert r["growth"] < 3 * r["arrays"] + 8 * MIB, r


def _npy(shape: tuple[int, ...], descr: str) -> bytes:
    head = io.BytesIO()
    npf.write_array_header_1_0(head, {"descr": descr, "fortran_order": False, "shape": shape})
    return head.getvalue()


def _native(path: Path, weights_header: bytes, weights_bytes: int) -> Path:
    meta = json.dumps({"format": "neural.network", "version": 1, "shortcut": False}).encode()
    small = {
        "act_id": np.zeros(7, np.int32),
        "steepness": np.full(7, 0.5),
        "layer_sizes": np.array([2, 3, 1], np.int64),
        "meta": np.frombuffer(meta, np.uint8),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("weights.npy", "w", force_zip64=True) as f:
            f.write(weights_header)
            chunk = bytes(8 * MIB)
            for _ in range(weights_bytes // len(chunk)):
                f.write(chunk)
        for name, arr in small.items():
            with zf.open(f"{name}.npy", "w") as f:
                npf.write_array(f, arr, allow_pickle=False)
    return path


def test_native_model_whose_member_inflates_is_refused_before_inflating(tmp_path: Path) -> None:
    # ~250 KB of deflated zeros declared as 32 M float64 weights (256 MiB inflated)
    blob = _native(tmp_path / "bomb.npz", _npy((2**25,), "<f8"), 2**28)
    assert blob.stat().st_size < 2 * MIB
    r = measure("native", str(blob))
    assert r["growth"] < REFUSED_BUDGET, r
    assert "weights" in r["error"] and "33554432" in r["error"]


def test_native_model_with_an_absurd_shape_gets_a_clear_error(tmp_path: Path) -> None:
    blob = _native(tmp_path / "absurd.npz", _npy((10**12,), "<f8"), 0)
    r = measure("native", str(blob))
    assert r["growth"] < REFUSED_BUDGET, r
    assert (
        "ValidationError" in r["error"]
        and "weights: header declares shape (1000000000000,)" in r["error"]
    )


def test_fann_model_over_the_weight_limit_is_refused_before_building(tmp_path: Path) -> None:
    # 25 M weights: under neural's own ceiling, over max_network_weights (10 M)
    path = tmp_path / "big.net"
    path.write_text(
        "FANN_FLO_2.1\nnum_layers=3\nnetwork_type=0\nlayer_sizes=5001 5001 2\nscale_included=0\n"
        "neurons (num_inputs, activation_function, activation_steepness)=\n"
        "connections (connected_to_neuron, weight)=\n"
    )
    r = measure("fann", str(path))
    assert r["growth"] < REFUSED_BUDGET, r
    assert "max_network_weights=10000000" in r["error"] and "25010001" in r["error"]


@pytest.mark.parametrize(
    ("args", "field", "weights"),
    [
        ({"layers": [4096, 4096, 4096], "epochs": 1}, "layers", "at least 33574913"),
        ({"algorithm": "cascade", "epochs": 10_000}, "epochs=10000", "at least 50025002"),
    ],
)
def test_train_over_the_weight_limit_is_refused_before_building(
    args: dict[str, Any], field: str, weights: str
) -> None:
    # [4096] x 3 allocated 414 MiB before being refused
    r = measure("train", json.dumps(args))
    assert r["growth"] < REFUSED_BUDGET, r
    assert "max_network_weights=10000000" in r["error"] and weights in r["error"]
    assert field in r["error"]


def test_predict_over_the_output_limit_is_refused_before_running() -> None:
    r = measure("predict", "20000")  # 20,000 rows x 1,000 outputs
    assert r["growth"] < REFUSED_BUDGET, r
    assert "max_predict_values=2000000" in r["error"] and "20000000" in r["error"]
