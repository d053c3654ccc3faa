"""The README's tool reference is generated from the live schemas, and its first command works."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.mcp.conftest import server_env


def test_readme_tools_section_is_up_to_date() -> None:
    proc = subprocess.run(
        [sys.executable, "scripts/gen_tool_docs.py", "--check"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr


def test_demo_runs_end_to_end_through_a_real_stdio_client(tmp_path) -> None:
    env = server_env(tmp_path)
    env["TMPDIR"] = str(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "ruv_swarm_mcp", "demo"],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "over stdio (protocol 2025-11-25)" in out
    assert "epoch   300/300" in out  # the last progress notification
    assert "predicted classes [" in out
    assert out.count("completed in") == 2  # divergent and convergent orchestrations
    assert '"aggregate": "ensemble"' in out
