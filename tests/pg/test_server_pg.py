"""The real stdio server on a PostgreSQL store (`--db postgresql+psycopg://...`), driven by the
official `mcp` client: the tools whose SQL differs by dialect, and a restart on the same data."""

from __future__ import annotations

import sys
import warnings
from typing import Any

import anyio
import mcp_types as t
import sqlalchemy as sa
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.shared.exceptions import MCPDeprecationWarning

from tests.mcp.conftest import server_env


def _structured(result: t.CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content[0].text  # type: ignore[union-attr]
    assert result.structured_content is not None
    return result.structured_content


async def _session(tmp_path: Any, db: str, body: Any) -> Any:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "ruv_swarm_mcp", "--db", db], env=server_env(tmp_path)
    )
    with anyio.fail_after(90), warnings.catch_warnings():
        warnings.simplefilter("ignore", MCPDeprecationWarning)
        async with (
            stdio_client(params) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            return await body(session)


def test_stdio_server_on_postgresql(tmp_path: Any, pg_url: str) -> None:
    async def first(session: ClientSession) -> dict[str, str]:
        call = session.call_tool
        swarm = _structured(await call("swarm_init", {"topology": "mesh"}))
        alpha = _structured(await call("spawn_agent", {"type": "researcher", "name": "alpha-1"}))
        _structured(await call("spawn_agent", {"type": "analyst", "name": "beta"}))
        # the name filter is a substring test: strpos on PostgreSQL, instr on SQLite
        named = _structured(await call("query_agents", {"name": "alpha"}))
        assert [a["id"] for a in named["agents"]] == [alpha["id"]]
        _structured(await call("memory_store", {"namespace": "n", "key": "k", "value": [1, 2]}))
        # the store replaces the entry in place (REPLACE in the writer)
        _structured(await call("memory_store", {"namespace": "n", "key": "k", "value": [3]}))
        _structured(await call("knowledge_add", {"title": "Bees", "text": "Bees waggle dance."}))
        _structured(await call("knowledge_add", {"title": "Ants", "text": "Ants lay trails."}))
        hits = _structured(await call("knowledge_search", {"query": "waggle dance"}))["hits"]
        assert [h["title"] for h in hits] == ["Bees"] and hits[0]["score"] > 0
        return {"swarm": swarm["id"], "alpha": alpha["id"]}

    ids = anyio.run(_session, tmp_path, pg_url, first)

    # what the server committed is in PostgreSQL, seen through another connection
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as con:
            names = con.execute(sa.text("SELECT name FROM agent ORDER BY seq")).scalars().all()
            assert names == ["alpha-1", "beta"]
            assert con.execute(sa.text("SELECT count(*) FROM knowledge_post")).scalar() > 0
    finally:
        engine.dispose()

    async def second(session: ClientSession) -> None:
        call = session.call_tool
        status = _structured(await call("swarm_status", {"swarm_id": ids["swarm"]}))
        assert status["agents_by_status"] == {"idle": 2}
        got = _structured(await call("memory_get", {"namespace": "n", "key": "k"}))
        assert got["found"] and got["entry"]["value"] == [3]
        named = _structured(await call("query_agents", {"name": "alpha"}))
        assert [a["id"] for a in named["agents"]] == [ids["alpha"]]
        newest = _structured(await call("spawn_agent", {"type": "coder", "name": "gamma"}))
        listed = _structured(await call("query_agents", {"swarm_id": ids["swarm"]}))
        assert listed["agents"][-1]["id"] == newest["id"]  # join order continues after restart
        hits = _structured(await call("knowledge_search", {"query": "trails"}))["hits"]
        assert [h["title"] for h in hits] == ["Ants"]

    anyio.run(_session, tmp_path, pg_url, second)
