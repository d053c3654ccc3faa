"""Data roots on the wire: a tool reads a file only inside the client's roots (roots/list,
refreshed on roots/list_changed) or the server's --data-root / RUV_SWARM_DATA_ROOTS, a root one
session offers grants nothing to another, and no error text carries file content."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx2
import mcp_types as t
import pytest
from mcp import Client, ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.server.lowlevel.server import Server as LowLevelServer
from mcp.server.session import ServerSession
from mcp.shared.exceptions import MCPDeprecationWarning

from ruv_swarm_mcp import build_server
from ruv_swarm_mcp._config import ServerConfig
from ruv_swarm_mcp._roots import LIST_CHANGED
from tests.mcp.conftest import server_env, start_http_server, stop

XOR = "4 2 1\n0 0\n0\n0 1\n1\n1 0\n1\n1 1\n0\n"
MARKER = "sk-live-7Hq2Zx9WmPa4"
REFUSAL = "file paths must be inside an allowed data root"


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "xor.data").write_text(XOR)
    (outside / "xor.data").write_text(XOR)
    (root / "link.data").symlink_to(outside / "xor.data")
    return {"root": root, "outside": outside, "tmp": tmp_path}


class Roots:
    """A client's roots: what list_roots_callback answers, and how often it was asked."""

    def __init__(self, *dirs: Path) -> None:
        self.uris = [d.as_uri() for d in dirs]
        self.asked = 0

    async def callback(self, _ctx: Any) -> t.ListRootsResult:
        self.asked += 1
        return t.ListRootsResult(roots=[t.Root(uri=u) for u in self.uris])  # type: ignore[arg-type]


def text_of(result: Any) -> str:
    return " ".join(getattr(c, "text", "") for c in result.content)


def run_client(
    tmp_path: Path,
    body: Callable[[Client], Awaitable[None]],
    roots: Roots | None = None,
    **cfg: Any,
) -> None:
    async def go() -> None:
        server = build_server(ServerConfig(db=str(tmp_path / "swarm.db"), **cfg))
        with anyio.fail_after(120), warnings.catch_warnings():
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            async with Client(
                server, mode="legacy", list_roots_callback=roots.callback if roots else None
            ) as client:
                assert not (await client.call_tool("swarm_init", {})).is_error
                await body(client)

    anyio.run(go)


async def train(client: Client, path: str) -> Any:
    return await client.call_tool("train", {"data": path, "epochs": 2, "layers": [2]})


def same_refusal(results: list[tuple[str, Any]]) -> str:
    """Every result is an error with the one refusal text, once the echoed path is masked."""
    texts = set()
    for path, result in results:
        assert result.is_error, text_of(result)
        body = text_of(result)
        assert REFUSAL in body and "--data-root" in body, body
        texts.add(body.replace(path, "<path>").split("ended failed: ")[-1])
    assert len(texts) == 1, texts
    return texts.pop()


def test_client_roots_allow_inside_and_refuse_outside_identically(tree) -> None:
    roots = Roots(tree["root"])

    async def body(client: Client) -> None:
        assert not (await client.call_tool("server_info", {})).is_error
        inline = {"inputs": [[0, 0], [1, 1]], "outputs": [[0], [1]]}
        assert not (await client.call_tool("train", {"data": inline, "epochs": 2})).is_error
        assert roots.asked == 0  # nothing asked while no call named a file
        inside = str(tree["root"] / "xor.data")
        done = await train(client, inside)
        assert not done.is_error, text_of(done)
        model = done.structured_content["model_id"]
        assert not (await client.call_tool("evaluate", {"model_id": model, "data": inside})).is_error
        outside = [
            str(tree["outside"] / "xor.data"),
            str(tree["outside"] / "missing.data"),
            str(tree["outside"]),
            str(tree["root"] / "link.data"),
            str(tree["root"] / ".." / "outside" / "xor.data"),
        ]
        same_refusal([(p, await train(client, p)) for p in outside])
        refused = await client.call_tool("evaluate", {"model_id": model, "data": outside[0]})
        assert refused.is_error and REFUSAL in text_of(refused)
        task = {"kind": "train", "data": outside[1], "epochs": 2}
        orch = await client.call_tool("orchestrate", {"task": task, "wait_seconds": 30})
        assert REFUSAL in str(orch.structured_content.get("error"))
        assert roots.asked == 1  # cached for the session
        missing = await train(client, str(tree["root"] / "missing.data"))
        assert missing.is_error and "not found" in text_of(missing)

    run_client(tree["tmp"], body, roots)


def test_roots_list_changed_refreshes_the_roots(tree) -> None:
    roots = Roots(tree["root"])

    async def body(client: Client) -> None:
        target = str(tree["outside"] / "xor.data")
        assert (await train(client, target)).is_error
        roots.uris.append(tree["outside"].as_uri())
        assert (await train(client, target)).is_error  # still cached: no notification yet
        await client.send_roots_list_changed()
        with anyio.fail_after(10):
            while True:  # the notification is handled asynchronously to the next call
                result = await train(client, target)
                if not result.is_error:
                    break
        roots.uris = [tree["outside"].as_uri()]
        await client.send_roots_list_changed()
        with anyio.fail_after(10):
            while not (await train(client, str(tree["root"] / "xor.data"))).is_error:
                pass
        assert roots.asked >= 3

    run_client(tree["tmp"], body, roots)


def test_no_roots_at_all_refuses_every_path(tree) -> None:
    async def body(client: Client) -> None:
        paths = [str(tree["root"] / "xor.data"), str(tree["root"] / "missing.data"), "x.data"]
        same_refusal([(p, await train(client, p)) for p in paths])

    run_client(tree["tmp"], body)


def test_modern_era_has_no_roots_back_channel_and_refuses_at_once(tree) -> None:
    """2026-07-28 has no server-to-client requests: a path outside the server's roots is
    refused (not left waiting for a roots/list answer that cannot come)."""
    roots = Roots(tree["root"])

    async def go() -> None:
        server = build_server(
            ServerConfig(db=str(tree["tmp"] / "swarm.db"), data_roots=(str(tree["outside"]),))
        )
        with anyio.fail_after(60), warnings.catch_warnings():
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            async with Client(server, list_roots_callback=roots.callback) as client:
                assert client.protocol_version == "2026-07-28"
                await client.call_tool("swarm_init", {})
                assert not (await train(client, str(tree["outside"] / "xor.data"))).is_error
                refused = await train(client, str(tree["root"] / "xor.data"))
                assert refused.is_error and REFUSAL in text_of(refused)
        assert roots.asked == 0

    anyio.run(go)


def test_server_data_roots_need_no_client_roots(tree) -> None:
    roots = Roots()

    async def body(client: Client) -> None:
        assert not (await train(client, str(tree["root"] / "xor.data"))).is_error
        assert not (await train(client, "xor.data")).is_error  # relative to the first root
        assert roots.asked == 0
        same_refusal(
            [(p, await train(client, p)) for p in (str(tree["outside"] / "xor.data"), "../x")]
        )

    run_client(tree["tmp"], body, roots, data_roots=(str(tree["root"]),))


def test_a_root_offered_by_one_session_grants_nothing_to_another(tree) -> None:
    """Two clients of one server (one engine): the second offers no roots."""

    async def go() -> None:
        server = build_server(ServerConfig(db=str(tree["tmp"] / "swarm.db")))
        roots = Roots(tree["root"])
        with anyio.fail_after(120), warnings.catch_warnings():
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            async with (
                Client(server, mode="legacy", list_roots_callback=roots.callback) as a,
                Client(server, mode="legacy") as b,
            ):
                await a.call_tool("swarm_init", {})
                path = str(tree["root"] / "xor.data")
                assert not (await train(a, path)).is_error
                refused = await train(b, path)
                assert refused.is_error and REFUSAL in text_of(refused)
                assert not (await train(a, path)).is_error

    anyio.run(go)


def test_http_sessions_keep_their_own_roots(tree) -> None:
    server = start_http_server(tree["tmp"], "http")
    try:

        async def session(roots: Roots | None) -> Any:
            async with (
                httpx2.AsyncClient(timeout=30) as http_client,
                streamable_http_client(server.url, http_client=http_client) as (read, write),
                ClientSession(
                    read, write, list_roots_callback=roots.callback if roots else None
                ) as s,
            ):
                await s.initialize()
                await s.call_tool("swarm_init", {})
                return await s.call_tool(
                    "train", {"data": str(tree["root"] / "xor.data"), "epochs": 2}
                )

        async def go() -> None:
            with anyio.fail_after(120), warnings.catch_warnings():
                warnings.simplefilter("ignore", MCPDeprecationWarning)
                roots = Roots(tree["root"])
                allowed = await session(roots)
                assert not allowed.is_error, text_of(allowed)
                assert roots.asked == 1
                refused = await session(None)
                assert refused.is_error and REFUSAL in text_of(refused)

        anyio.run(go)
    finally:
        stop(server.proc)


def _stdio(tmp_path: Path, args: list[str], env: dict[str, str] | None = None) -> Any:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "ruv_swarm_mcp", *args],
        env={**server_env(tmp_path), **(env or {})},
    )


def test_stdio_data_root_option_and_environment(tree) -> None:
    extra = tree["tmp"] / "extra"
    extra.mkdir()
    (extra / "xor.data").write_text(XOR)

    async def go() -> None:
        params = _stdio(
            tree["tmp"],
            ["--data-root", str(tree["root"])],
            {"RUV_SWARM_DATA_ROOTS": os.pathsep.join(["", str(extra)])},
        )
        with anyio.fail_after(120):
            async with stdio_client(params) as (read, write), ClientSession(read, write) as s:
                await s.initialize()
                await s.call_tool("swarm_init", {})
                for path in (tree["root"] / "xor.data", extra / "xor.data"):
                    done = await s.call_tool("train", {"data": str(path), "epochs": 2})
                    assert not done.is_error, text_of(done)
                paths = [str(tree["outside"] / "xor.data"), str(tree["outside"] / "nope.data")]
                results = []
                for p in paths:
                    results.append((p, await s.call_tool("train", {"data": p, "epochs": 2})))
                same_refusal(results)

    anyio.run(go)


def shapes(tmp: Path) -> list[Path]:
    """Files whose content must never come back: a marker line in many shapes."""
    line = f"API_KEY = {MARKER}"
    texts = [
        f"{line}\n",  # 1+ fields: a header of the wrong width
        f"{MARKER} two\n",
        f"{MARKER} two three\n",  # 3 fields: the shape that echoed whole before
        f"{MARKER} 2 3 4\n",
        f"2 {MARKER} 1\n",
        f"1 2 1\n{MARKER}\n0\n",
        f"1 2 1\n0 {MARKER}\n0\n",
        f"1 2 1\n0 0\n{MARKER}\n",
        f"1 2 1\n0 0\n1\n{line}\n",
        f"1 2 1\n0 0\n1e999\n# {MARKER}\n",
        f"{MARKER * 5000}\n",
        f"1 1 1\n{'0 ' * 3}{MARKER}\n0\n",
    ]
    out = []
    for i, text in enumerate(texts):
        p = tmp / f"secret{i}.data"
        p.write_text(text)
        out.append(p)
    binary = tmp / "secret.bin"
    binary.write_bytes(b"\x00\xff" + MARKER.encode() + b"\xfe 1 1\n\x80" + MARKER.encode())
    out.append(binary)
    return out


def test_no_error_text_contains_file_content(tree) -> None:
    files = shapes(tree["root"])
    outside = shapes(tree["outside"])

    async def body(client: Client) -> None:
        model = (await train(client, str(tree["root"] / "xor.data"))).structured_content[
            "model_id"
        ]
        checked = 0
        for path in [*files, *outside]:
            calls: list[tuple[str, dict[str, Any]]] = [
                ("train", {"data": str(path), "epochs": 2}),
                ("evaluate", {"model_id": model, "data": str(path)}),
                ("orchestrate", {"task": {"data": str(path), "epochs": 2}, "wait_seconds": 30}),
                ("neural_train", {"data": str(path), "iterations": 2}),
                ("task_orchestrate", {"task": f'{{"data": "{path}", "epochs": 2}}'}),
            ]
            for name, args in calls:
                result = await client.call_tool(name, args)
                seen = text_of(result) + str(result.structured_content or "")
                if name in ("orchestrate", "task_orchestrate") and not result.is_error:
                    task_id = (result.structured_content or {}).get("id") or (
                        result.structured_content or {}
                    ).get("taskId")
                    done = await client.call_tool(
                        "task_result", {"task_id": task_id, "wait_seconds": 30}
                    )
                    seen += text_of(done) + str(done.structured_content or "")
                    assert (done.structured_content or {}).get("status") == "failed", seen
                else:
                    assert result.is_error, (name, path, seen)
                assert MARKER not in seen and "API_KEY" not in seen, (name, path, seen)
                checked += 1
        assert checked == 5 * len([*files, *outside])

    run_client(tree["tmp"], body, Roots(tree["root"]), profile="ruv-swarm")


def test_neural_train_default_dataset_needs_no_root(tree) -> None:
    async def body(client: Client) -> None:
        done = await client.call_tool("neural_train", {"iterations": 2})
        assert not done.is_error, text_of(done)
        refused = await client.call_tool("neural_train", {"data": str(tree["root"] / "xor.data")})
        assert refused.is_error and REFUSAL in text_of(refused)

    run_client(tree["tmp"], body, profile="ruv-swarm")


def test_sdk_seams_used_for_roots_still_exist() -> None:
    """_roots.py goes past the public MCPServer API in two places; fail loudly if they move."""
    server = build_server(ServerConfig(db=":memory:"))
    low = server._lowlevel_server
    assert isinstance(low, LowLevelServer)
    assert low.get_notification_handler(LIST_CHANGED) is not None
    import inspect

    assert "self._connection = connection" in inspect.getsource(ServerSession.__init__)
