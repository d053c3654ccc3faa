"""Fixtures for driving the real server: stdio subprocesses and HTTP servers on free ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

TOKEN = "test-token-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(tmp_path) -> dict[str, str]:
    env = dict(os.environ)
    env["RUV_SWARM_DB"] = str(tmp_path / "swarm.db")
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("RUV_SWARM_TOKEN", None)
    return env


@dataclass
class HttpServer:
    proc: subprocess.Popen[bytes]
    port: int
    transport: str
    token: str | None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return self.base + ("/mcp" if self.transport == "http" else "/sse")

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


def start_http_server(
    tmp_path, transport: str, token: str | None = None, extra: tuple[str, ...] = ()
) -> HttpServer:
    port = free_port()
    args = [sys.executable, "-m", "ruv_swarm_mcp", "--transport", transport, "--port", str(port)]
    if token:
        args += ["--token", token]
    args += list(extra)
    log = open(tmp_path / f"server-{transport}-{port}.log", "wb")  # noqa: SIM115 - lives with proc
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=server_env(tmp_path))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError((tmp_path / f"server-{transport}-{port}.log").read_text())
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return HttpServer(proc, port, transport, token)
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("HTTP server did not start listening in 30 s")


def stop(proc: subprocess.Popen[bytes]) -> int:
    if proc.poll() is None:
        proc.terminate()
        try:
            return proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


@pytest.fixture
def http_server(tmp_path) -> Iterator[HttpServer]:
    server = start_http_server(tmp_path, "http", token=TOKEN)
    yield server
    stop(server.proc)


@pytest.fixture
def sse_server(tmp_path) -> Iterator[HttpServer]:
    server = start_http_server(tmp_path, "sse", token=TOKEN)
    yield server
    stop(server.proc)


def raw_post(
    server: HttpServer, body: dict, headers: dict[str, str] | None = None
) -> httpx.Response:
    base = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    return httpx.post(server.url, json=body, headers={**base, **(headers or {})}, timeout=10)
