from __future__ import annotations

import os
import sys

import pytest


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
