"""Size limits on the wire: a network, model or prediction over a limit is a tool error naming
the argument and the limit (the memory each refusal costs is measured in
tests/swarm_core/test_memory_limits.py)."""

from __future__ import annotations

import base64
import io
import json
import zipfile

import numpy as np
from numpy.lib import format as npf

from tests.mcp.test_tools_inmemory import Call, error_text, ok, run_with_client

XOR = {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "outputs": [[0], [1], [1], [0]]}


def test_train_over_the_weight_limit_is_a_clear_tool_error(tmp_path) -> None:
    async def body(_client, call: Call) -> None:
        ok(await call("swarm_init", {}))
        result = await call("train", {"data": XOR, "layers": [4096, 4096, 4096], "epochs": 1})
        text = error_text(result)
        assert "layers" in text and "max_network_weights=10000000" in text
        assert "33574913" in text

    run_with_client(tmp_path, body)


def test_model_import_with_an_absurd_declared_shape_is_a_clear_tool_error(tmp_path) -> None:
    head = io.BytesIO()
    npf.write_array_header_1_0(head, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    meta = json.dumps({"format": "neural.network", "version": 1, "shortcut": False}).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("weights.npy", head.getvalue())
        for name, arr in {
            "meta": np.frombuffer(meta, np.uint8),
            "layer_sizes": np.array([2, 3, 1]),
            "act_id": np.zeros(7, np.int32),
            "steepness": np.full(7, 0.5),
        }.items():
            with zf.open(f"{name}.npy", "w") as f:
                npf.write_array(f, arr, allow_pickle=False)
    content = base64.b64encode(buf.getvalue()).decode()

    async def body(_client, call: Call) -> None:
        swarm = ok(await call("swarm_init", {}))
        result = await call("model_import", {"content": content, "swarm_id": swarm["id"]})
        text = error_text(result)
        assert "content" in text and "weights: header declares shape (1000000000000,)" in text

    run_with_client(tmp_path, body)
