"""No isError without a message: integers that reach the store are bounded in the schema, and a
failure nobody planned for is answered with the tool and the exception class (logged with its
traceback), never the exception's own text."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from mcp import Client
from mcp_types import CallToolResult, TextContent

from ruv_swarm_mcp import build_server
from ruv_swarm_mcp._arg_errors import explain
from ruv_swarm_mcp._config import ServerConfig

from .test_tools_inmemory import Call, error_text, ok, run_with_client

SECRET = "API_KEY = sk-live-0123456789"


def _integers_without_maximum(schema: dict[str, Any]) -> list[str]:
    defs = schema.get("$defs", {})
    found: list[str] = []

    def walk(node: dict[str, Any], path: str) -> None:
        if "$ref" in node:
            node = defs[node["$ref"].rsplit("/", 1)[-1]]
        if node.get("type") == "integer" and "maximum" not in node:
            found.append(path)
        for branch in ("anyOf", "oneOf", "allOf"):
            for sub in node.get(branch, ()):
                walk(sub, path)
        if isinstance(node.get("items"), dict):
            walk(node["items"], path + "[]")
        for name, sub in (node.get("properties") or {}).items():
            walk(sub, f"{path}.{name}")

    walk(schema, "")
    return found


@pytest.mark.parametrize("profile", ["default", "ruv-swarm"])
def test_every_integer_argument_has_a_maximum(profile: str) -> None:
    server = build_server(ServerConfig(db=":memory:", profile=profile))
    missing = {
        tool.name: gaps
        for tool in server._tool_manager.list_tools()
        if (gaps := _integers_without_maximum(tool.parameters))
    }
    assert missing == {}


def test_an_event_id_beyond_int64_is_refused_by_name(tmp_path) -> None:
    async def body(client: Client, call: Call) -> None:
        text = error_text(await call("events", {"since_id": 10**29}))
        assert "since_id" in text and str(2**63 - 1) in text, text
        assert ok(await call("events", {"since_id": 2**63 - 1}))["events"] == []

    run_with_client(tmp_path, body)


def test_the_engine_refuses_an_event_id_beyond_int64() -> None:
    import anyio

    from swarm_core import Engine, EngineConfig, ValidationError

    async def go() -> None:
        async with Engine.open(EngineConfig(db=":memory:")) as engine:
            with pytest.raises(ValidationError, match="since_id"):
                await engine.events(since_id=2**63)

    anyio.run(go)


def test_an_unexpected_failure_names_the_tool_and_the_class_only(
    tmp_path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from swarm_core._engine import Engine

    async def broken(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise OverflowError(SECRET)

    monkeypatch.setattr(Engine, "events", broken)
    monkeypatch.setattr(Engine, "memory_list", broken)

    async def body(client: Client, call: Call) -> None:
        for name in ("events", "memory_list"):
            text = error_text(await call(name, {}))
            assert name in text and "OverflowError" in text, text
            assert "sk-live" not in text and text != f"Error executing tool {name}"

    with caplog.at_level(logging.ERROR, logger="ruv_swarm_mcp"):
        run_with_client(tmp_path, body)
    logged = [r for r in caplog.records if r.exc_info and "failed unexpectedly" in r.getMessage()]
    assert len(logged) == 2  # the details stay in the server log


def test_a_crash_the_sdk_caught_itself_still_gets_a_message() -> None:
    server = build_server(ServerConfig(db=":memory:"))
    bare = CallToolResult(
        content=[TextContent(type="text", text="Error executing tool events")], is_error=True
    )
    text = explain(server, "events", {}, bare).content[0].text  # type: ignore[union-attr]
    assert "events failed with an unexpected internal error" in text
    planned = CallToolResult(content=[TextContent(type="text", text="no such task")], is_error=True)
    assert explain(server, "events", {}, planned) is planned
