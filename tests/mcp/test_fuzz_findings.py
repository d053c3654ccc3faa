"""Crashes and silent data changes the schema fuzz (test_schema_fuzz.py) found, one test each,
through the real `mcp` client: each answer is an isError naming the argument, or the data
comes back exactly as stored."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp import Client

from ruv_swarm_mcp import build_server
from ruv_swarm_mcp._config import ServerConfig

XOR = {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "outputs": [[0], [1], [1], [0]]}
BARE = "Error executing tool"


def _run(tmp_path: Any, profile: str, body: Any, **config: Any) -> None:
    async def go() -> None:
        server = build_server(
            ServerConfig(profile=profile, db=str(tmp_path / "swarm.db"), **config)
        )
        with anyio.fail_after(120):
            async with Client(server, mode="legacy") as client:
                await body(client)

    anyio.run(go)


def _error(result: Any) -> str:
    assert result.is_error, result.structured_content
    return " ".join(c.text for c in result.content)


def _ok(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content[0].text
    data: dict[str, Any] = result.structured_content
    return data


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        # one component past NAME_MAX (ENAMETOOLONG), relative to the data root
        ("x" * 300, "file not found"),
        ("~no-such-user-fuzz/data.train", "inside an allowed data root"),  # expanduser fails
    ],
)
def test_a_data_path_pathlib_cannot_stat_is_a_data_error(tmp_path, path: str, reason: str) -> None:
    """Was: `train`/`evaluate` failed with "OSError: [Errno 36] File name too long: 'xxx...'"
    (the whole 4 KB path echoed) or "RuntimeError: Could not determine home directory"."""

    async def body(client: Client) -> None:
        await client.call_tool("swarm_init", {})
        await client.call_tool("spawn_agent", {"type": "neural-processor"})
        trained = _ok(await client.call_tool("train", {"data": XOR, "layers": [2], "epochs": 2}))
        for name, args in (
            ("train", {"data": path, "epochs": 2}),
            ("evaluate", {"model_id": trained["model_id"], "data": path}),
        ):
            text = _error(await client.call_tool(name, args))
            assert "data: " in text and reason in text, text
            assert "OSError" not in text and "RuntimeError" not in text, text
            assert "Errno" not in text, text

    _run(tmp_path, "default", body, data_roots=(str(tmp_path),))


def test_task_orchestrate_names_json_nested_too_deeply(tmp_path) -> None:
    """Was: '{"a":' * 3000 raised RecursionError in json.loads: "Error executing tool
    task_orchestrate" with nothing after it."""

    async def body(client: Client) -> None:
        await client.call_tool("swarm_init", {})
        text = _error(await client.call_tool("task_orchestrate", {"task": '{"a":' * 3000}))
        assert text.strip() != f"{BARE} task_orchestrate", text
        assert "task: looks like JSON but nests too deeply" in text, text
        # the session goes on
        _ok(await client.call_tool("swarm_status", {}))

    _run(tmp_path, "ruv-swarm", body)


def test_memory_values_come_back_exactly_or_are_refused(tmp_path) -> None:
    """Was: a bare integer beyond int64 was stored as a float (2**63 came back 9.2e18) or as
    null (10**400): the value column's NUMERIC affinity converts the JSON text."""

    async def body(client: Client) -> None:
        async def round_trip(key: str, value: Any) -> Any:
            _ok(
                await client.call_tool(
                    "memory_store", {"namespace": "n", "key": key, "value": value}
                )
            )
            got = _ok(await client.call_tool("memory_get", {"namespace": "n", "key": key}))
            return got["entry"]["value"]

        for value in (2**63 - 1, -(2**63), [2**63], {"big": 10**400}, [10**400]):
            got = await round_trip(repr(value)[:20], value)
            assert got == value and type(got) is type(value), (value, got)
        for value in (2**63, -(2**63) - 1, 10**29, 10**400, -(10**400)):
            args = {"namespace": "n", "key": "bare", "value": value}
            text = _error(await client.call_tool("memory_store", args))
            assert "value: a bare integer outside -2**63..2**63-1" in text, text
        absent = await client.call_tool("memory_get", {"namespace": "n", "key": "bare"})
        assert absent.is_error or not absent.structured_content.get("found"), absent

    _run(tmp_path, "default", body)


def test_knowledge_add_accepts_a_title_as_long_as_its_schema_says(tmp_path) -> None:
    """Was: the schema advertised titles of up to 500 characters; the engine refused more than
    max_name_length=200."""

    async def body(client: Client) -> None:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        longest = tools["knowledge_add"].input_schema["properties"]["title"]["maxLength"]
        await client.call_tool("swarm_init", {})
        args = {"title": "t" * longest, "text": "some searchable words"}
        _ok(await client.call_tool("knowledge_add", args))
        text = _error(
            await client.call_tool("knowledge_add", {**args, "title": "t" * (longest + 1)})
        )
        assert "title" in text, text

    _run(tmp_path, "default", body)
