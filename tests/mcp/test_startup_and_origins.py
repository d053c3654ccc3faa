"""Where the server listens decides what it demands: loopback means every address the host
resolves to is loopback, start-up errors are one line, and browser origins default to the
server's own origin only."""

from __future__ import annotations

import ipaddress
import socket
import subprocess
import sys
from typing import Any

import pytest

from ruv_swarm_mcp._config import ServerConfig, all_loopback, host_addresses
from ruv_swarm_mcp._exceptions import ConfigError
from ruv_swarm_mcp._http import security_settings
from tests.mcp.conftest import free_port, raw_post, server_env, start_http_server, stop

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "0"},
    },
}


def _fake_resolver(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> None:
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host in answers:
            return [
                (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 0))
                for a in answers[host]
            ]
        if host.endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize(
    ("addresses", "loopback"),
    [
        (["127.0.0.1"], True),
        (["127.9.9.9", "::1"], True),
        (["::ffff:127.0.0.1"], True),
        (["127.0.0.1", "203.0.113.7"], False),
        (["::1", "2001:db8::1"], False),
        (["0.0.0.0"], False),
        ([], False),
    ],
)
def test_loopback_needs_every_address_to_be_loopback(addresses: list[str], loopback: bool) -> None:
    assert all_loopback([ipaddress.ip_address(a) for a in addresses]) is loopback


def test_a_name_is_loopback_only_if_all_it_resolves_to_is(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_resolver(
        monkeypatch,
        {"127.mixed.test": ["127.0.0.1", "198.51.100.4"], "local.test": ["127.0.0.1", "::1"]},
    )
    assert [str(a) for a in host_addresses("local.test")] == ["127.0.0.1", "::1"]
    assert ServerConfig(transport="http", host="local.test").is_loopback
    with pytest.raises(ConfigError, match="needs a bearer token"):
        ServerConfig(transport="http", host="127.mixed.test")
    with pytest.raises(ConfigError, match="cannot be resolved"):
        ServerConfig(transport="http", host="127.attacker.invalid", token="x" * 16)
    assert not ServerConfig(transport="http", host="127.mixed.test", token="x" * 16).is_loopback
    # stdio never listens: its host is not looked up
    assert ServerConfig(transport="stdio", host="127.attacker.invalid").transport == "stdio"


def test_default_origins_are_the_servers_own(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = security_settings(ServerConfig(transport="http", port=8765))
    assert set(settings.allowed_origins) == {
        "http://127.0.0.1:8765",
        "http://localhost:8765",
        "http://[::1]:8765",
    }
    extra = security_settings(
        ServerConfig(transport="http", port=8765, allowed_origins=("http://localhost:3000",))
    )
    assert "http://localhost:3000" in extra.allowed_origins
    lan = security_settings(ServerConfig(transport="http", host="192.0.2.5", token="t" * 16))
    assert lan.allowed_origins == ["http://192.0.2.5:8765"]


def _run_cli(tmp_path: Any, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruv_swarm_mcp", "--transport", "http", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=server_env(tmp_path),
    )


def test_an_unresolvable_host_is_one_line_and_exit_2(tmp_path: Any) -> None:
    for extra in ((), ("--token", "t" * 20)):
        proc = _run_cli(tmp_path, "--host", "127.attacker.invalid", "--port", "1", *extra)
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "127.attacker.invalid" in lines[0], proc.stderr
        assert "cannot be resolved" in lines[0]
        assert proc.stdout == ""


def test_a_busy_port_is_one_line_without_traceback(tmp_path: Any) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = _run_cli(tmp_path, "--port", str(port))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "address already in use" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_an_unopenable_database_stops_http_with_one_line(tmp_path: Any) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    proc = _run_cli(tmp_path, "--port", str(free_port()), "--db", str(blocker / "sub" / "x.db"))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "failed to open" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_other_localhost_ports_are_foreign_origins(tmp_path: Any) -> None:
    server = start_http_server(
        tmp_path, "http", extra=("--allowed-origin", "http://localhost:3000")
    )
    try:
        port = server.port
        for origin, status in (
            (f"http://localhost:{port}", 200),
            (f"http://127.0.0.1:{port}", 200),
            (f"http://[::1]:{port}", 200),
            ("http://localhost:3000", 200),  # named with --allowed-origin
            (f"http://localhost:{port + 1}", 403),
            (f"http://127.0.0.1:{port + 1}", 403),
            (f"https://localhost:{port + 1}", 403),
            ("http://localhost", 403),
            ("http://evil.example", 403),
        ):
            answer = raw_post(server, INIT, {"Origin": origin})
            assert answer.status_code == status, (origin, answer.status_code, answer.text)
        assert raw_post(server, INIT).status_code == 200  # no Origin: a non-browser client
    finally:
        stop(server.proc)
