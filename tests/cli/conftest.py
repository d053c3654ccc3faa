"""Running the `ruv-swarm` console script as a user would: a subprocess on a temporary store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(sys.executable).with_name("ruv-swarm")
# the installed console script when there is one; the same entry point otherwise
COMMAND = (
    [str(SCRIPT)]
    if SCRIPT.exists()
    else [
        sys.executable,
        "-c",
        "from ruv_swarm_mcp._terminal import main; raise SystemExit(main())",
    ]
)

XOR_DATA = "4 2 1\n-1 -1\n-1\n-1 1\n1\n1 -1\n1\n1 1\n-1\n"


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def doc(self) -> Any:
        return json.loads(self.out)

    @property
    def err_lines(self) -> list[str]:
        return [ln for ln in self.err.splitlines() if ln.strip()]


def cli_env(db: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["RUV_SWARM_DB"] = str(db)
    env["RUV_SWARM_JIT_WARMUP"] = "0"
    env.pop("RUV_SWARM_CLI_DEBUG", None)
    return env


def ruv_swarm(db: Path, *args: str, timeout: float = 180, cwd: Path | None = None) -> Result:
    proc = subprocess.run(
        [*COMMAND, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=cli_env(db),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def ok_json(db: Path, *args: str, **kw: Any) -> Any:
    r = ruv_swarm(db, *args, "--json", **kw)
    assert r.code == 0, r.err
    return r.doc


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store.db"
