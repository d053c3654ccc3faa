"""Breadth: every tool through the official in-process client (both eras), real engine."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest
from mcp import Client

from ruv_swarm_mcp import build_server
from ruv_swarm_mcp._config import ServerConfig

Call = Callable[[str, dict[str, Any]], Awaitable[Any]]


def run_with_client(tmp_path, body: Callable[[Client, Call], Awaitable[None]], **cfg: Any) -> None:
    async def go() -> None:
        server = build_server(ServerConfig(db=str(tmp_path / "swarm.db"), **cfg))
        with anyio.fail_after(120):
            async with Client(server, mode="legacy") as client:

                async def call(name: str, args: dict[str, Any]) -> Any:
                    return await client.call_tool(name, args)

                await body(client, call)

    anyio.run(go)


def ok(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content[0].text
    # The text content is a summary then the same data as JSON.
    assert json.loads(result.content[1].text) == result.structured_content
    return result.structured_content


def error_text(result: Any) -> str:
    assert result.is_error
    return " ".join(c.text for c in result.content)


def test_every_tool_publishes_schemas_and_an_llm_description(tmp_path) -> None:
    async def body(client: Client, call: Call) -> None:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        expected = {
            "spawn_agent", "orchestrate", "query_agents", "train", "predict", "swarm_init",
            "swarm_status", "agent_terminate", "task_status", "task_result", "task_cancel",
            "task_complete", "memory_store", "memory_get", "memory_list", "knowledge_add",
            "knowledge_search", "model_export", "model_import", "evaluate", "events",
            "server_info", "swarm_list", "model_list", "model_info", "task_list", "task_retry",
            "swarm_delete", "memory_delete",
        }  # fmt: skip
        assert set(tools) == expected
        for tool in tools.values():
            assert tool.output_schema and tool.output_schema["type"] == "object", tool.name
            assert tool.description and len(tool.description) > 30, tool.name
        limit = tools["query_agents"].input_schema["properties"]["limit"]
        assert (limit["minimum"], limit["maximum"]) == (1, 1000)
        assert tools["train"].input_schema["properties"]["algorithm"]["enum"] == [
            "rprop", "quickprop", "batch", "incremental", "sarprop", "cascade",
        ]  # fmt: skip
        assert tools["agent_terminate"].annotations.destructive_hint is True
        assert tools["query_agents"].annotations.read_only_hint is True

    run_with_client(tmp_path, body)


def test_swarm_and_agent_lifecycle(tmp_path) -> None:
    async def body(client: Client, call: Call) -> None:
        assert "swarm_init" in error_text(await call("swarm_status", {}))
        swarm = ok(await call("swarm_init", {"topology": "star", "max_agents": 3}))
        assert swarm["topology"] == "star" and swarm["max_agents"] == 3
        ids = [ok(await call("spawn_agent", {"type": t}))["id"] for t in ("researcher", "coder")]
        assert len(set(ids)) == 2
        coder = ok(await call("query_agents", {"type": "coder"}))
        assert [a["id"] for a in coder["agents"]] == [ids[1]]
        assert coder["agents"][0]["type"] == "external" and coder["agents"][0]["role"] == "coder"
        ok(await call("spawn_agent", {"type": "analyst", "name": "third"}))
        full = error_text(await call("spawn_agent", {"type": "optimizer"}))
        assert "3" in full  # the swarm's max_agents limit is named
        gone = ok(await call("agent_terminate", {"agent_id": ids[0]}))
        assert gone["status"] == "terminated"
        status = ok(await call("swarm_status", {"swarm_id": swarm["id"]}))
        assert status["agents_by_status"].get("terminated") == 1
        assert status["agents_by_status"].get("idle") == 2
        page = ok(await call("query_agents", {"limit": 1, "offset": 1}))
        assert page["count"] == 1

    run_with_client(tmp_path, body)


@pytest.mark.parametrize(
    ("tool", "args", "field"),
    [
        ("spawn_agent", {"type": "wizard"}, "type"),
        ("query_agents", {"limit": 0}, "limit"),
        ("query_agents", {"limit": 1001}, "limit"),
        ("swarm_init", {"max_agents": 0}, "max_agents"),
        ("train", {"data": {"inputs": [[1.0]], "outputs": [[1.0], [0.0]]}}, "data"),
        ("train", {"data": "x.data", "epochs": 0}, "epochs"),
        ("memory_store", {"namespace": "n", "key": "k" * 600, "value": 1}, "key"),
        ("task_complete", {"task_id": "task-x"}, "result"),
        ("predict", {"model_id": "model-nope", "inputs": [[1.0]]}, "model"),
        ("task_status", {"task_id": "task-nope"}, "task"),
    ],
)
def test_bad_arguments_give_is_error_naming_the_field(tmp_path, tool, args, field) -> None:
    async def body(client: Client, call: Call) -> None:
        ok(await call("swarm_init", {}))
        text = error_text(await call(tool, args))
        assert field in text, text

    run_with_client(tmp_path, body)


def test_memory_knowledge_and_events(tmp_path) -> None:
    async def body(client: Client, call: Call) -> None:
        ok(await call("swarm_init", {}))
        stored = ok(await call("memory_store", {"namespace": "notes", "key": "a", "value": [1, 2]}))
        assert stored["value"] == [1, 2]
        got = ok(await call("memory_get", {"namespace": "notes", "key": "a"}))
        assert got["found"] and got["entry"]["value"] == [1, 2]
        assert ok(await call("memory_get", {"namespace": "notes", "key": "zz"}))["found"] is False
        ok(await call("memory_store", {"namespace": "notes", "key": "ab", "value": "x"}))
        listed = ok(await call("memory_list", {"namespace": "notes", "prefix": "a"}))
        assert [e["key"] for e in listed["entries"]] == ["a", "ab"]
        ok(await call("knowledge_add", {"title": "Bees", "text": "Honey bees do a waggle dance."}))
        ok(await call("knowledge_add", {"title": "Ants", "text": "Ants lay pheromone trails."}))
        hits = ok(await call("knowledge_search", {"query": "waggle dance"}))["hits"]
        assert [h["title"] for h in hits] == ["Bees"]
        events = ok(await call("events", {"limit": 1000}))
        assert events["events"] and events["last_id"] == events["events"][-1]["id"]
        newer = ok(await call("events", {"since_id": events["last_id"]}))
        assert newer["events"] == []

    run_with_client(tmp_path, body)


def test_external_task_completed_by_the_client(tmp_path) -> None:
    async def body(client: Client, call: Call) -> None:
        ok(await call("swarm_init", {"strategy": "parallel"}))
        ok(await call("spawn_agent", {"type": "reviewer"}))
        task = ok(await call("orchestrate", {"task": "review the README", "wait_seconds": 0.2}))
        assert task["done"] is False
        children = [
            t
            for t in (await _list_external_children(call, task["id"]))
            if t["status"] != "completed"
        ]
        assert children, "the reviewer got no external task"
        done = ok(
            await call("task_complete", {"task_id": children[0]["id"], "result": {"lgtm": True}})
        )
        assert done["status"] == "completed"
        final = ok(await call("task_result", {"task_id": task["id"], "wait_seconds": 10}))
        assert final["status"] == "completed" and final["done"] is True

    run_with_client(tmp_path, body)


async def _list_external_children(call: Call, parent_id: str) -> list[dict[str, Any]]:
    # Children are announced in the event log with their parent.
    for _ in range(50):
        events = (await call("events", {"limit": 1000})).structured_content["events"]
        ids = {e["subject_id"] for e in events if e["kind"].startswith("task") and e["subject_id"]}
        children = []
        for tid in ids - {parent_id}:
            info = (await call("task_status", {"task_id": tid})).structured_content
            if info and info["parent_id"] == parent_id and info["kind"] == "external":
                children.append(info)
        if children:
            return children
        await anyio.sleep(0.05)
    return []


def test_resources_and_completions(tmp_path) -> None:
    async def body(client: Client, call: Call) -> None:
        swarm = ok(await call("swarm_init", {}))
        agent = ok(await call("spawn_agent", {"type": "researcher"}))
        status = json.loads((await client.read_resource("swarm://status")).contents[0].text)
        assert status["swarm"]["id"] == swarm["id"] and status["agents_total"] == 1
        one = json.loads(
            (await client.read_resource(f"swarm://agents/{agent['id']}")).contents[0].text
        )
        assert one["id"] == agent["id"]
        templates = {
            t.uri_template for t in (await client.list_resource_templates()).resource_templates
        }
        assert "swarm://models/{model_id}/learning-curve.png" in templates
        from mcp_types import ResourceTemplateReference

        done = await client.complete(
            ResourceTemplateReference(type="ref/resource", uri="swarm://agents/{agent_id}"),
            {"name": "agent_id", "value": "agent-"},
        )
        assert done.completion.values == [agent["id"]]
        prompts = {p.name for p in (await client.list_prompts()).prompts}
        assert {"train_classifier", "research_swarm"} <= prompts

    run_with_client(tmp_path, body)


def test_compat_profile_exposes_npm_names_backed_by_real_work(tmp_path) -> None:
    async def body(client: Client, call: Call) -> None:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        for name in (
            "swarm_init", "swarm_status", "swarm_monitor", "agent_spawn", "agent_list",
            "agent_metrics", "task_orchestrate", "task_status", "task_results", "neural_status",
            "neural_train", "neural_patterns", "benchmark_run", "features_detect", "memory_usage",
        ):  # fmt: skip
            assert name in tools, name
        assert set(tools["swarm_init"].input_schema["properties"]) == {
            "topology", "maxAgents", "strategy",
        }  # fmt: skip
        assert "taskId" in tools["task_status"].input_schema["properties"]
        init = ok(await call("swarm_init", {"topology": "ring", "maxAgents": 4}))
        assert init["maxAgents"] == 4
        ok(await call("agent_spawn", {"type": "researcher", "name": "r"}))
        assert ok(await call("agent_list", {"filter": "idle"}))["total_agents"] == 1
        bench = ok(await call("benchmark_run", {"type": "agent", "iterations": 3}))
        spawn = bench["results"]["agent_spawn"]
        assert spawn["iterations"] == 3 and 0 < spawn["min_ms"] <= spawn["median_ms"]
        feats = ok(await call("features_detect", {"category": "platform"}))
        assert isinstance(feats["platform"]["sqlite"]["fts5"], bool)
        mem = ok(await call("memory_usage", {}))
        assert mem["process"]["rss_bytes"] > 10 * 2**20
        assert mem["engine"]["db_size_bytes"] > 0
        assert "wasm" in error_text(await call("benchmark_run", {"type": "wasm"}))

    run_with_client(tmp_path, body, profile="ruv-swarm")


def test_vocabulary_literals_match_the_engine() -> None:
    from typing import get_args

    import swarm_core
    from ruv_swarm_mcp import _models

    assert set(get_args(_models.TopologyName)) == {t.value for t in swarm_core.Topology}
    assert set(get_args(_models.StrategyName)) == {s.value for s in swarm_core.Strategy}
    assert set(get_args(_models.TaskStatusName)) == {s.value for s in swarm_core.TaskStatus}
    assert set(get_args(_models.AgentStatusName)) == {s.value for s in swarm_core.AgentStatus}
    assert {t.value for t in swarm_core.AgentType} <= set(get_args(_models.AgentTypeName))
    import neural

    assert set(get_args(_models.ActivationName)) <= set(neural.ACTIVATIONS)
    from swarm_core._limits import ALGORITHMS, SCALE_MODES

    assert set(get_args(_models.AlgorithmName)) == set(ALGORITHMS)
    assert set(get_args(_models.ScaleMode)) == set(SCALE_MODES)
