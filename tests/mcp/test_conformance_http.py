"""Raw JSON-RPC edge cases over streamable HTTP (both protocol eras) and SSE, as a foreign client
posts them, against one server subprocess per transport.

Expected answers follow JSON-RPC 2.0, the MCP spec and what stdio answers
(tests/mcp/test_conformance_stdio.py): a body that is not JSON gets -32700 with id null; JSON
that is not one valid request gets -32600 naming the problem, with its id when readable (a
batch, removed in 2025-06-18, says so; a null id is refused, never taken for a notification);
an unknown method -32601; malformed params -32602 naming the param; an unknown tool argument an
isError result naming it. Error bodies are JSON-RPC, never pydantic's report. HTTP statuses: 400
for -32700/-32600, 415 for a non-JSON Content-Type, 406 without both Accept types, 413 past the
body limit; Host/Origin/token refusals keep their own answers.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ruv_swarm_mcp._cli import _build_parser
from ruv_swarm_mcp._config import EventStoreLimits
from ruv_swarm_mcp._exceptions import ConfigError
from ruv_swarm_mcp._serve import config_from_args
from tests.mcp.conftest import TOKEN, HttpServer, start_http_server, stop

HANDSHAKE = "2025-11-25"
MODERN = "2026-07-28"
META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "raw", "version": "0"},
}
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ACCEPT = "application/json, text/event-stream"
# What pydantic's own report looks like; none of it may reach a client.
PYDANTIC_WORDS = ("pydantic", "validation error", "JSONRPCRequest", "input_value", "[type=")

# (label, body, expected HTTP status, expected id, expected code, text the message must hold)
MALFORMED: list[tuple[str, Any, int, Any, int, str]] = [
    ("not json", b"this is not json", 400, None, -32700, "Parse error: expected ident"),
    # the id is readable, so the answer carries it, also past the parser's limits
    ("cut short", b'{"jsonrpc": "2.0", "id": 5, ', 400, 5, -32700, "Parse error: EOF"),
    (
        "too deep",
        b'{"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "x", '
        b'"arguments": {"a": ' + b"[" * 300 + b"]" * 300 + b"}}}",
        400,
        7,
        -32700,
        "Parse error: recursion limit",
    ),
    (
        "too deep, id last",
        b'{"jsonrpc": "2.0", "method": "tools/call", "params": {"a": '
        + b"[" * 300
        + b"]" * 300
        + b'}, "id": "last"}',
        400,
        "last",
        -32700,
        "Parse error",
    ),
    (
        "lone surrogate",
        b'{"jsonrpc": "2.0", "id": 8, "method": "tools/call", "params": {"name": "x", '
        b'"arguments": {"a": "\\ud800"}}}',
        400,
        8,
        -32700,
        "Parse error",
    ),
    (
        "5001 digits",
        b'{"jsonrpc": "2.0", "id": "n", "method": "tools/call", "params": {"name": "x", '
        b'"arguments": {"a": ' + b"1" * 5001 + b"}}}",
        400,
        "n",
        -32700,
        "Parse error: number out of range",
    ),
    (
        "an id nested in params only",
        b'{"jsonrpc": "2.0", "method": "m", "params": {"id": 3, "a": "\\ud800"}}',
        400,
        None,
        -32700,
        "Parse error",
    ),
    (
        "params list",
        {"jsonrpc": "2.0", "id": 31, "method": "tools/call", "params": [1]},
        400,
        31,
        -32600,
        "Invalid Request: params must be an object",
    ),
    (
        "null id",
        {"jsonrpc": "2.0", "id": None, "method": "tools/list", "params": {}},
        400,
        None,
        -32600,
        "id must be a string or an integer (got null)",
    ),
    (
        "boolean id",
        {"jsonrpc": "2.0", "id": True, "method": "tools/list", "params": {}},
        400,
        None,
        -32600,
        "id must be a string or an integer (got bool)",
    ),
    ("no jsonrpc", {"id": 32, "method": "tools/list"}, 400, 32, -32600, 'jsonrpc must be "2.0"'),
    (
        "batch",
        [{"jsonrpc": "2.0", "id": 33, "method": "tools/list"}],
        400,
        None,
        -32600,
        "got an array (batches are not supported)",
    ),
    ("number", b"42", 400, None, -32600, "must be a single JSON object"),
]


def _post(
    url: str,
    body: Any,
    headers: dict[str, str] | None = None,
    drop: tuple[str, ...] = (),
) -> httpx.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    base = {"Content-Type": "application/json", "Accept": ACCEPT, **AUTH, **(headers or {})}
    with httpx.Client(timeout=15) as client:
        request = client.build_request("POST", url, content=data, headers=base)
        for name in drop:  # httpx adds its own Accept: */* unless the header is removed here
            del request.headers[name]
        return client.send(request)


def _rpc(response: httpx.Response) -> dict[str, Any]:
    """The JSON-RPC message in a JSON or SSE response (the last `data:` carrying an id)."""
    content_type = response.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        return dict(response.json())
    assert content_type.startswith("text/event-stream"), response.text
    found = [
        json.loads(line[5:])
        for line in response.text.splitlines()
        if line.startswith("data:") and line[5:].strip()
    ]
    answers = [m for m in found if "id" in m]
    assert answers, response.text
    return dict(answers[-1])


def _assert_error(
    response: httpx.Response, status: int, id_: Any, code: int, text: str
) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json"), response.headers
    message = response.json()
    assert message["jsonrpc"] == "2.0"
    assert "id" in message and message["id"] == id_, message
    assert message["error"]["code"] == code, message
    assert text in message["error"]["message"], message
    assert not any(word in response.text for word in PYDANTIC_WORDS), response.text
    return dict(message)


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    # The replay options are given so a real process proves it accepts them.
    server = start_http_server(
        tmp_path_factory.mktemp("http"),
        "http",
        token=TOKEN,
        extra=("--http-replay-seconds", "120", "--http-replay-events-per-stream", "50"),
    )
    yield server
    stop(server.proc)


@pytest.fixture(scope="module")
def session(http: HttpServer) -> dict[str, str]:
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": HANDSHAKE,
            "capabilities": {},
            "clientInfo": {"name": "raw", "version": "0"},
        },
    }
    answer = _post(http.url, init)
    assert answer.status_code == 200, answer.text
    assert _rpc(answer)["result"]["protocolVersion"] == HANDSHAKE
    headers = {
        "Mcp-Session-Id": answer.headers["mcp-session-id"],
        "MCP-Protocol-Version": HANDSHAKE,
    }
    initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    assert _post(http.url, initialized, headers).status_code == 202
    return headers


def _modern(method: str, name: str | None = None) -> dict[str, str]:
    headers = {"MCP-Protocol-Version": MODERN, "Mcp-Method": method}
    if name is not None:
        headers["Mcp-Name"] = name
    return headers


def _modern_params(params: dict[str, Any] | None = None) -> dict[str, Any]:
    return {**(params or {}), "_meta": META}


@pytest.mark.parametrize(("label", "body", "status", "id_", "code", "text"), MALFORMED)
def test_handshake_session_malformed_bodies(
    http: HttpServer, session: dict[str, str], label: str, body: Any, status: int, id_: Any,
    code: int, text: str,
) -> None:  # fmt: skip
    _assert_error(_post(http.url, body, session), status, id_, code, text)


@pytest.mark.parametrize(("label", "body", "status", "id_", "code", "text"), MALFORMED)
def test_modern_malformed_bodies(
    http: HttpServer, label: str, body: Any, status: int, id_: Any, code: int, text: str
) -> None:
    if isinstance(body, dict) and isinstance(body.get("params"), dict):
        body = {**body, "params": _modern_params(body["params"])}
    _assert_error(_post(http.url, body, _modern("tools/list")), status, id_, code, text)


def test_malformed_opening_request_opens_no_session(http: HttpServer) -> None:
    bad = {"jsonrpc": "2.0", "id": 7, "method": "initialize", "params": [HANDSHAKE]}
    response = _post(http.url, bad)
    _assert_error(response, 400, 7, -32600, "params must be an object")
    assert "mcp-session-id" not in response.headers
    null_id: dict[str, Any] = {"jsonrpc": "2.0", "id": None, "method": "initialize", "params": {}}
    _assert_error(_post(http.url, null_id), 400, None, -32600, "got null")


def test_content_type_and_accept_are_checked_with_json_rpc_bodies(
    http: HttpServer, session: dict[str, str]
) -> None:
    ping = {"jsonrpc": "2.0", "id": 40, "method": "ping"}
    for era in (session, _modern("tools/list")):
        plain = _post(http.url, ping, {**era, "Content-Type": "text/plain"})
        _assert_error(plain, 415, None, -32600, "Content-Type must be application/json")
        assert "'text/plain'" in plain.json()["error"]["message"]
        missing = _post(http.url, ping, era, drop=("Accept",))
        _assert_error(
            missing, 406, None, -32600, "application/json and text/event-stream (got none)"
        )
        json_only = _post(http.url, ping, {**era, "Accept": "application/json"})
        _assert_error(json_only, 406, None, -32600, "(got 'application/json')")


def test_protocol_errors_and_tool_errors_handshake(
    http: HttpServer, session: dict[str, str]
) -> None:
    unknown = _rpc(
        _post(http.url, {"jsonrpc": "2.0", "id": 2, "method": "no/such/method"}, session)
    )
    assert (unknown["id"], unknown["error"]["code"]) == (2, -32601)
    bad_args = {"name": "server_info", "arguments": [1, 2]}
    answer = _rpc(
        _post(
            http.url,
            {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": bad_args},
            session,
        )
    )
    assert answer["error"]["code"] == -32602, answer
    assert "params.arguments: must be an object (got [1, 2])" in answer["error"]["message"]
    call = {"name": "spawn_agent", "arguments": {"type": "researcher", "colour": "red"}}
    result = _rpc(
        _post(
            http.url, {"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": call}, session
        )
    )["result"]
    assert result["isError"] is True
    assert "colour: unknown argument" in result["content"][0]["text"]
    # The valid paths still work: a request, a notification, a response to the server.
    ping = _post(http.url, {"jsonrpc": "2.0", "id": 5, "method": "ping"}, session)
    assert _rpc(ping) == {"jsonrpc": "2.0", "id": 5, "result": {}}
    note = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 99}}
    assert _post(http.url, note, session).status_code == 202
    reply = {"jsonrpc": "2.0", "id": "s-1", "result": {}}
    assert _post(http.url, reply, session).status_code == 202


def test_protocol_errors_and_tool_errors_modern(http: HttpServer) -> None:
    body = {"jsonrpc": "2.0", "id": 2, "method": "no/such/method", "params": _modern_params()}
    unknown = _post(http.url, body, _modern("no/such/method"))
    assert unknown.status_code == 404
    assert (unknown.json()["id"], unknown.json()["error"]["code"]) == (2, -32601)
    params = _modern_params({"name": "server_info", "arguments": [1, 2]})
    bad = _post(
        http.url,
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": params},
        _modern("tools/call", "server_info"),
    )
    _assert_error(bad, 400, 3, -32602, "params.arguments: must be an object (got [1, 2])")
    params = _modern_params({"name": "spawn_agent", "arguments": {"type": "researcher", "x": 1}})
    call = _post(
        http.url,
        {"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": params},
        _modern("tools/call", "spawn_agent"),
    )
    assert call.status_code == 200, call.text
    result = _rpc(call)["result"]
    assert result["isError"] is True and "x: unknown argument" in result["content"][0]["text"]
    listing = _post(
        http.url,
        {"jsonrpc": "2.0", "id": 5, "method": "tools/list", "params": _modern_params()},
        _modern("tools/list"),
    )
    assert listing.status_code == 200 and _rpc(listing)["result"]["tools"]


def test_security_answers_come_before_body_checks(http: HttpServer) -> None:
    garbage = b"this is not json"
    no_token = _post(http.url, garbage, {"Authorization": ""})
    assert no_token.status_code == 401
    origin = _post(http.url, garbage, {"Origin": "http://evil.example"})
    assert origin.status_code == 403
    host = _post(http.url, garbage, {"Host": f"evil.example:{http.port}"})
    assert host.status_code == 421
    too_big = _post(http.url, b"[" + b" " * (4 * 1024 * 1024) + b"]")
    assert too_big.status_code == 413
    # Chunked, so no Content-Length says so up front: counted while read.
    chunks = iter([b"[" + b" " * (1024 * 1024)] * 5)
    headers = {"Content-Type": "application/json", "Accept": ACCEPT, **AUTH}
    chunked = httpx.post(http.url, content=chunks, headers=headers, timeout=15)
    assert chunked.status_code == 413


@pytest.fixture(scope="module")
def sse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, queue.Queue[Any]]]:
    server = start_http_server(tmp_path_factory.mktemp("sse"), "sse", token=TOKEN)
    events: queue.Queue[Any] = queue.Queue()

    def read() -> None:
        try:
            with httpx.stream("GET", server.url, headers=AUTH, timeout=None) as response:
                for line in response.iter_lines():
                    if line.startswith("data:"):
                        events.put(line[5:].strip())
        except httpx.HTTPError:
            pass  # the server stopped at the end of the module

    threading.Thread(target=read, daemon=True).start()
    endpoint = server.base + events.get(timeout=15)
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": HANDSHAKE,
            "capabilities": {},
            "clientInfo": {"name": "raw", "version": "0"},
        },
    }
    assert _post(endpoint, init).status_code == 202
    assert json.loads(events.get(timeout=15))["id"] == 1
    assert (
        _post(endpoint, {"jsonrpc": "2.0", "method": "notifications/initialized"}).status_code
        == 202
    )
    yield endpoint, events
    stop(server.proc)


@pytest.mark.parametrize(("label", "body", "status", "id_", "code", "text"), MALFORMED)
def test_sse_malformed_bodies(
    sse: tuple[str, queue.Queue[Any]], label: str, body: Any, status: int, id_: Any, code: int,
    text: str,
) -> None:  # fmt: skip
    endpoint, _ = sse
    _assert_error(_post(endpoint, body), status, id_, code, text)


def test_sse_answers_on_the_stream(sse: tuple[str, queue.Queue[Any]]) -> None:
    endpoint, events = sse
    plain = _post(
        endpoint, {"jsonrpc": "2.0", "id": 9, "method": "ping"}, {"Content-Type": "text/plain"}
    )
    _assert_error(plain, 415, None, -32600, "Content-Type must be application/json")
    assert (
        _post(endpoint, {"jsonrpc": "2.0", "id": 2, "method": "no/such/method"}).status_code == 202
    )
    assert json.loads(events.get(timeout=10))["error"]["code"] == -32601
    call = {"name": "spawn_agent", "arguments": {"type": "researcher", "colour": "red"}}
    assert (
        _post(
            endpoint, {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": call}
        ).status_code
        == 202
    )
    result = json.loads(events.get(timeout=10))
    assert result["id"] == 3 and result["result"]["isError"] is True
    assert "colour: unknown argument" in result["result"]["content"][0]["text"]
    assert _post(endpoint, {"jsonrpc": "2.0", "id": 4, "method": "ping"}).status_code == 202
    assert json.loads(events.get(timeout=10)) == {"jsonrpc": "2.0", "id": 4, "result": {}}


def test_replay_options_parse_into_the_event_store_limits() -> None:
    parser = _build_parser()
    args = parser.parse_args(
        [
            "--transport", "http",
            "--http-replay-events-per-stream", "7",
            "--http-replay-events", "70",
            "--http-replay-bytes", "4096",
            "--http-replay-seconds", "2.5",
            "--http-replay-streams", "3",
        ]
    )  # fmt: skip
    assert config_from_args(args).event_store == EventStoreLimits(
        max_events_per_stream=7,
        max_events_total=70,
        max_bytes_total=4096,
        max_age_seconds=2.5,
        max_streams=3,
    )
    partial = config_from_args(parser.parse_args(["--http-replay-streams", "9"])).event_store
    assert partial == EventStoreLimits(max_streams=9)
    assert config_from_args(parser.parse_args([])).event_store == EventStoreLimits()
    for option, value, words in (
        ("--http-replay-events", "0", "max_events_total must be an integer in 1..10000000, got 0"),
        ("--http-replay-bytes", "100", "max_bytes_total must be an integer in 1024.."),
        ("--http-replay-seconds", "0", "max_age_seconds must be in (0, 86400], got 0"),
        ("--http-replay-seconds", "inf", "max_age_seconds must be a number, got inf"),
        ("--http-replay-events-per-stream", "-1", "max_events_per_stream must be an integer"),
        ("--http-replay-streams", "0", "max_streams must be an integer"),
    ):
        with pytest.raises(ConfigError) as caught:
            config_from_args(parser.parse_args([option, value]))
        assert str(caught.value).startswith(f"{option}: "), caught.value
        assert words in str(caught.value), caught.value


def test_replay_options_are_in_help_and_typed(capsys: pytest.CaptureFixture[str]) -> None:
    parser = _build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["--help"])
    text = capsys.readouterr().out
    for option in (
        "--http-replay-events-per-stream",
        "--http-replay-events",
        "--http-replay-bytes",
        "--http-replay-seconds",
        "--http-replay-streams",
    ):
        assert option in text
    assert "default 1,000" in text and "default 300" in text
    with pytest.raises(SystemExit):
        parser.parse_args(["--http-replay-bytes", "lots"])
    assert "invalid int value: 'lots'" in capsys.readouterr().err
