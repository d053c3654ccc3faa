"""Streamable HTTP and SSE through real clients against a server subprocess on 127.0.0.1."""

from __future__ import annotations

import anyio
import httpx
import httpx2
import pytest
from mcp import Client, ClientSession
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from tests.mcp.conftest import TOKEN, HttpServer, raw_post, start_http_server, stop

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


def _info_over_http(server: HttpServer, legacy: bool) -> tuple[str, dict]:
    async def go() -> tuple[str, dict]:
        with anyio.fail_after(60):
            async with httpx2.AsyncClient(headers=server.headers, timeout=30) as http:
                transport = streamable_http_client(server.url, http_client=http)
                if legacy:
                    async with transport as (read, write), ClientSession(read, write) as session:
                        init = await session.initialize()
                        result = await session.call_tool("server_info", {})
                        return init.protocol_version, result.structured_content or {}
                async with Client(transport) as client:
                    result = await client.call_tool("server_info", {})
                    return client.protocol_version, result.structured_content or {}

    return anyio.run(go)


@pytest.mark.parametrize("legacy", [False, True], ids=["auto", "initialize"])
def test_streamable_http_both_eras(http_server: HttpServer, legacy: bool) -> None:
    version, info = _info_over_http(http_server, legacy)
    assert version == ("2025-11-25" if legacy else "2026-07-28")
    assert info["transport"] == "http"


@pytest.mark.parametrize("legacy", [False, True], ids=["auto", "initialize"])
def test_sse_both_eras(sse_server: HttpServer, legacy: bool) -> None:
    async def go() -> tuple[str, dict]:
        with anyio.fail_after(60):
            transport = sse_client(sse_server.url, headers=sse_server.headers)
            if legacy:
                async with transport as (read, write), ClientSession(read, write) as session:
                    init = await session.initialize()
                    result = await session.call_tool("server_info", {})
                    return init.protocol_version, result.structured_content or {}
            async with Client(transport) as client:
                result = await client.call_tool("server_info", {})
                return client.protocol_version, result.structured_content or {}

    version, info = anyio.run(go)
    assert version == ("2025-11-25" if legacy else "2026-07-28")
    assert info["transport"] == "sse"


def test_missing_or_wrong_token_is_refused(http_server: HttpServer) -> None:
    missing = raw_post(http_server, INIT)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    wrong = raw_post(http_server, INIT, {"Authorization": "Bearer " + "x" * len(TOKEN)})
    assert wrong.status_code == 401
    basic = raw_post(http_server, INIT, {"Authorization": f"Basic {TOKEN}"})
    assert basic.status_code == 401
    ok = raw_post(http_server, INIT, http_server.headers)
    assert ok.status_code == 200
    # Every request is checked, not only the first one of a session.
    session = ok.headers["mcp-session-id"]
    ping = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
    assert raw_post(http_server, ping, {"mcp-session-id": session}).status_code == 401


def test_sse_stream_needs_the_token(sse_server: HttpServer) -> None:
    with httpx.stream("GET", sse_server.url, timeout=10) as response:
        assert response.status_code == 401


def test_foreign_origin_and_host_are_refused(http_server: HttpServer) -> None:
    evil_origin = raw_post(
        http_server, INIT, {**http_server.headers, "Origin": "http://evil.example"}
    )
    assert evil_origin.status_code == 403
    evil_host = raw_post(
        http_server, INIT, {**http_server.headers, "Host": f"evil.example:{http_server.port}"}
    )
    assert evil_host.status_code == 421
    local_origin = raw_post(
        http_server, INIT, {**http_server.headers, "Origin": f"http://localhost:{http_server.port}"}
    )
    assert local_origin.status_code == 200


def test_loopback_http_without_token_serves_and_stops_on_sigterm(tmp_path) -> None:
    server = start_http_server(tmp_path, "http")
    try:
        assert raw_post(server, INIT).status_code == 200
    finally:
        assert stop(server.proc) == 0
