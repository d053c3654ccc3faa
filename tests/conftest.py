from __future__ import annotations

import os
import sys

import pytest

# Servers started by the tests never spawn the background JIT warm-up child: hundreds of
# servers compiling kernels at once would only compete with the tests for the two cores.
# tests/swarm_core/test_jit_warmup.py turns it on where it is the subject.
os.environ["RUV_SWARM_JIT_WARMUP"] = "0"


@pytest.fixture
def server_command() -> list[str]:
    """How tests launch the real server process (stdio by default)."""
    return [sys.executable, "-m", "ruv_swarm_mcp"]


@pytest.fixture
def server_env(tmp_path) -> dict[str, str]:
    env = dict(os.environ)
    env["RUV_SWARM_DB"] = str(tmp_path / "swarm.db")
    env["PYTHONUNBUFFERED"] = "1"
    return env
