"""One schema per entity: the MCP tools and the Engine take the same bounds and defaults from
swarm_core._limits, and the train tool and Engine.train build the same network."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp import Client

from ruv_swarm_mcp import build_server
from ruv_swarm_mcp._config import ServerConfig
from swarm_core import Engine, EngineConfig, TaskStatus, ValidationError
from swarm_core import _limits as L

XOR = {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "outputs": [[0], [1], [1], [0]]}


# Every bound a tool's inputSchema states, by property name (and the JSON Schema keyword), with
# the swarm_core definition it must equal. A bound not listed here fails the walk below: a new
# limit is either taken from swarm_core or declared as the edge's own.
ID = {"maxLength": L.ID_MAX_LENGTH}
NAME = {"maxLength": L.MAX_NAME_LENGTH}
PAGE = {"minimum": 1, "maximum": L.MAX_PAGE_LIMIT}
FROM_SWARM_CORE: dict[str, dict[str, Any]] = {
    "swarm_id": ID,
    "agent_id": ID,
    "agentId": ID,
    "task_id": {**ID},
    "taskId": ID,
    "model_id": {**ID},
    "init_model_id": ID,
    "name": NAME,
    "title": NAME,
    "capability": {"maxLength": L.MAX_CAPABILITY_LENGTH},
    "capabilities": {
        "maxItems": L.MAX_CAPABILITIES,
        "maxLength": L.MAX_CAPABILITY_LENGTH,
    },
    "max_agents": {"minimum": 1, "maximum": L.MAX_AGENTS_LIMIT},
    "maxAgents": {"minimum": 1, "maximum": L.MAX_AGENTS_LIMIT},
    "priority": {"minimum": -L.MAX_PRIORITY, "maximum": L.MAX_PRIORITY},
    "limit": PAGE,
    "offset": {"minimum": 0, "maximum": L.MAX_OFFSET},
    "namespace": {"maxLength": L.MAX_KEY_LENGTH},
    "key": {"maxLength": L.MAX_KEY_LENGTH},
    "prefix": {"maxLength": L.MAX_KEY_LENGTH},
    "ttl_seconds": {"exclusiveMinimum": L.TTL_SECONDS.lo, "maximum": L.TTL_SECONDS.hi},
    "text": {"maxLength": L.MAX_DOCUMENT_BYTES},
    "query": {"maxLength": L.MAX_QUERY_CHARS},
    "since_id": {"minimum": 0, "maximum": L.MAX_EVENT_ID},
    "kind": {"maxLength": L.MAX_EVENT_KIND_LENGTH},
    "layers": {
        "maxItems": L.MAX_HIDDEN_LAYERS,
        "minimum": L.LAYER_SIZE.lo,
        "maximum": L.LAYER_SIZE.hi,
    },
    "epochs": {"minimum": 1, "maximum": L.MAX_EPOCHS},
    "iterations": {"minimum": 1, "maximum": L.MAX_EPOCHS},
    "progress_every": {"minimum": 1, "maximum": L.MAX_EPOCHS},
    "desired_error": {"minimum": L.DESIRED_ERROR.lo, "maximum": L.DESIRED_ERROR.hi},
    "validation_split": {"minimum": L.VALIDATION_SPLIT.lo, "maximum": L.VALIDATION_SPLIT.hi},
    "seed": {"minimum": L.SEED.lo, "maximum": L.SEED.hi},
    "learning_rate": {"exclusiveMinimum": L.LEARNING_RATE.lo, "maximum": L.LEARNING_RATE.hi},
    "max_seconds": {"exclusiveMinimum": 0, "maximum": L.MAX_TRAIN_SECONDS_CEILING},
}
# (tool, property) pairs whose name means something else there
PER_TOOL: dict[tuple[str, str], dict[str, Any]] = {
    ("knowledge_search", "limit"): {"minimum": 1, "maximum": L.MAX_SEARCH_LIMIT},
    ("benchmark_run", "iterations"): {"minimum": 1, "maximum": 1000},
    ("memory_list", "namespace"): {"maxLength": L.MAX_KEY_LENGTH},
    ("query_agents", "name"): {"maxLength": L.MAX_NAME_LENGTH},
    ("task_orchestrate", "task"): {"maxLength": 100_000},
}
# The edge's own limits (a JSON message's shape, a wait, a file path): no engine counterpart.
EDGE_ONLY = {
    "data",
    "inputs",
    "records",
    "features",
    "target",
    "delimiter",
    "content",
    "wait_seconds",
    "error",
    "duration",
    "interval",
}
BOUNDS = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
)


def _bounds(schema: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """Every bound in a property's schema, through anyOf / items / $ref, by keyword."""
    found: dict[str, Any] = {}
    if isinstance(schema, dict):
        if "$ref" in schema:
            schema = defs.get(schema["$ref"].rsplit("/", 1)[-1], {})
        # minLength 1 says "not empty", not a limit
        found.update(
            {k: schema[k] for k in BOUNDS if k in schema and (k, schema[k]) != ("minLength", 1)}
        )
        for sub in [*schema.get("anyOf", []), schema.get("items")]:
            for k, v in _bounds(sub, defs).items():
                assert found.setdefault(k, v) == v, (k, v, found[k])
    return found


def test_every_tool_bound_equals_the_swarm_core_definition(tmp_path) -> None:
    checked, wrong = 0, []
    for profile in ("default", "ruv-swarm"):

        async def listed(profile: str = profile) -> dict[str, dict[str, Any]]:
            cfg = ServerConfig(db=str(tmp_path / f"{profile}.db"), profile=profile)
            async with Client(build_server(cfg), mode="legacy") as client:
                return {t.name: t.input_schema for t in (await client.list_tools()).tools}

        for tool, schema in anyio.run(listed).items():
            defs = schema.get("$defs", {})
            for prop, sub in schema.get("properties", {}).items():
                if prop in EDGE_ONLY:
                    continue
                got = _bounds(sub, defs)
                if not got:
                    continue
                want = PER_TOOL.get((tool, prop), FROM_SWARM_CORE.get(prop))
                if want is None:
                    wrong.append(f"{tool}.{prop} states {got}: take it from swarm_core")
                elif got != want:
                    wrong.append(f"{tool}.{prop}: {got} != swarm_core's {want}")
                checked += 1
    assert wrong == []
    assert checked > 60  # the walk really saw the tools


def test_engine_config_defaults_are_the_limits() -> None:
    cfg = EngineConfig()
    assert cfg.max_epochs == L.MAX_EPOCHS
    assert cfg.max_name_length == L.MAX_NAME_LENGTH
    assert cfg.max_key_length == L.MAX_KEY_LENGTH
    assert cfg.max_memory_value_bytes == L.MAX_MEMORY_VALUE_BYTES
    assert cfg.max_document_bytes == L.MAX_DOCUMENT_BYTES
    assert cfg.max_query_limit == L.MAX_QUERY_LIMIT >= L.MAX_PAGE_LIMIT
    assert cfg.max_agents_default == L.MAX_AGENTS_DEFAULT
    assert cfg.max_agents_limit == L.MAX_AGENTS_LIMIT
    assert cfg.max_train_seconds == L.MAX_TRAIN_SECONDS <= L.MAX_TRAIN_SECONDS_CEILING


# -- same input, same network ---------------------------------------------------------------

SAME_INPUT = [
    pytest.param({"seed": 3}, id="defaults"),
    pytest.param({"algorithm": "cascade", "seed": 3}, id="cascade-defaults"),
    pytest.param(
        {
            "algorithm": "batch",
            "layers": [3],
            "activation": "elliot_symmetric",
            "output_activation": "linear",
            "epochs": 60,
            "desired_error": 0.0,
            "learning_rate": 0.5,
            "seed": 9,
            "scale": "none",
            "name": "same",
        },
        id="options",
    ),
    pytest.param({"layers": [], "epochs": 30, "seed": 1}, id="no-hidden-layer"),
]


@pytest.mark.parametrize("args", SAME_INPUT)
def test_train_tool_and_engine_train_build_the_same_network(tmp_path, args) -> None:
    db = str(tmp_path / "swarm.db")

    async def by_tool() -> str:
        async with Client(build_server(ServerConfig(db=db)), mode="legacy") as client:
            await client.call_tool("swarm_init", {})
            res = await client.call_tool("train", {"data": XOR, **args})
            assert not res.is_error, res.content[0].text
            return str(res.structured_content["task_id"])

    async def compare(tool_task_id: str) -> None:
        async with Engine.open(EngineConfig(db=db)) as eng:
            tool_task = await eng.get_task(tool_task_id)
            swarm = await eng.create_swarm()
            engine_task = await eng.train(swarm.id, data=XOR, **args)
            assert engine_task.status is TaskStatus.COMPLETED, engine_task.error
            assert tool_task.payload == engine_task.payload
            spec = tool_task.payload
            assert spec["epochs"] == args.get("epochs", L.default_epochs(spec["algorithm"]))
            assert spec["desired_error"] == args.get("desired_error", L.DEFAULT_DESIRED_ERROR)
            a = await eng.get_model(tool_task.result["model_id"])  # type: ignore[index]
            b = await eng.get_model(engine_task.result["model_id"])  # type: ignore[index]
            assert (a.layers, a.activations, a.algorithm) == (b.layers, b.activations, b.algorithm)
            assert a.extra.get("seed", a.metrics.get("seed")) == b.extra.get(
                "seed", b.metrics.get("seed")
            )
            # same network, same seed: the same training, epoch by epoch
            assert a.history["mse"] == b.history["mse"]
            if "layers" in args:
                assert a.layers[1:-1] == args["layers"]
            elif spec["algorithm"] != "cascade":
                assert a.layers[1:-1] == list(L.DEFAULT_LAYERS)

    anyio.run(compare, anyio.run(by_tool))


# -- the limits that disagreed, refused alike at both doors -----------------------------------

TRAIN_LIMITS = [
    pytest.param({"layers": [L.LAYER_SIZE.hi + 1]}, "layers", str(L.LAYER_SIZE.hi), id="layer"),
    pytest.param({"init_model_id": "m" * (L.ID_MAX_LENGTH + 1)}, "init_model_id", "64", id="init"),
    pytest.param({"epochs": L.MAX_EPOCHS + 1}, "epochs", str(L.MAX_EPOCHS), id="epochs"),
    pytest.param({"desired_error": 1.5}, "desired_error", "1", id="desired_error"),
    pytest.param({"seed": L.SEED.hi + 1}, "seed", str(L.SEED.hi), id="seed"),
    pytest.param(
        {"name": "n" * (L.MAX_NAME_LENGTH + 1)}, "name", str(L.MAX_NAME_LENGTH), id="name"
    ),
    pytest.param({"activation": "threshold"}, "activation", "sigmoid", id="activation"),
]


@pytest.mark.parametrize(("args", "field", "limit"), TRAIN_LIMITS)
def test_train_limits_are_refused_alike_at_both_doors(tmp_path, args, field, limit) -> None:
    db = str(tmp_path / "swarm.db")

    async def go() -> None:
        async with Client(build_server(ServerConfig(db=db)), mode="legacy") as client:
            await client.call_tool("swarm_init", {})
            res = await client.call_tool("train", {"data": XOR, **args})
            text = res.content[0].text
            assert res.is_error and field in text and limit in text, text
        async with Engine.open(EngineConfig(db=db)) as eng:
            swarm = await eng.create_swarm()
            info = await eng.train(swarm.id, data=XOR, **args)
            assert info.status is TaskStatus.FAILED
            assert "ValidationError" in (info.error or "")
            assert field in (info.error or "") and limit in (info.error or ""), info.error

    anyio.run(go)


# (tool, tool arguments, engine call, field, limit named)
OTHER_LIMITS = [
    pytest.param(
        "spawn_agent",
        {"type": "researcher", "capabilities": ["c" * (L.MAX_CAPABILITY_LENGTH + 1)]},
        lambda e, s: e.spawn_agent(s, "researcher", capabilities=("c" * 101,)),
        "capabilities",
        str(L.MAX_CAPABILITY_LENGTH),
        id="capability",
    ),
    pytest.param(
        "spawn_agent",
        {"type": "researcher", "capabilities": [f"c{i}" for i in range(L.MAX_CAPABILITIES + 1)]},
        lambda e, s: e.spawn_agent(
            s, "researcher", capabilities=tuple(f"c{i}" for i in range(65))
        ),
        "capabilities",
        str(L.MAX_CAPABILITIES),
        id="capabilities",
    ),
    pytest.param(
        "swarm_init",
        {"name": "n" * (L.MAX_NAME_LENGTH + 1)},
        lambda e, s: e.create_swarm(name="n" * 201),
        "name",
        str(L.MAX_NAME_LENGTH),
        id="swarm-name",
    ),
    pytest.param(
        "orchestrate",
        {"task": "x", "priority": L.MAX_PRIORITY + 1},
        lambda e, s: e.submit_task(s, "search", {"query": "x"}, priority=L.MAX_PRIORITY + 1),
        "priority",
        str(L.MAX_PRIORITY),
        id="priority",
    ),
    pytest.param(
        "memory_store",
        {"namespace": "n" * (L.MAX_KEY_LENGTH + 1), "key": "k", "value": 1},
        lambda e, s: e.memory_store("n" * 513, "k", 1),
        "namespace",
        str(L.MAX_KEY_LENGTH),
        id="namespace",
    ),
    pytest.param(
        "memory_store",
        {"namespace": "n", "key": "k", "value": 1, "ttl_seconds": L.MAX_TTL_SECONDS * 2},
        lambda e, s: e.memory_store("n", "k", 1, ttl_seconds=L.MAX_TTL_SECONDS * 2),
        "ttl_seconds",
        "315360000",
        id="ttl",
    ),
]


@pytest.mark.parametrize(("tool", "args", "engine_call", "field", "limit"), OTHER_LIMITS)
def test_entity_limits_are_refused_alike_at_both_doors(
    tmp_path, tool, args, engine_call, field, limit
) -> None:
    db = str(tmp_path / "swarm.db")

    async def go() -> None:
        async with Client(build_server(ServerConfig(db=db)), mode="legacy") as client:
            await client.call_tool("swarm_init", {})
            res = await client.call_tool(tool, args)
            text = res.content[0].text
            assert res.is_error and field in text and limit in text, text
        async with Engine.open(EngineConfig(db=db)) as eng:
            swarm = await eng.create_swarm()
            with pytest.raises(ValidationError) as err:
                await engine_call(eng, swarm.id)
            assert err.value.field == field and limit in str(err.value), str(err.value)

    anyio.run(go)


def test_tool_modules_take_their_limits_without_loading_the_engine() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import ruv_swarm_mcp._server, ruv_swarm_mcp._tools_models, ruv_swarm_mcp._compat\n"
        "print(sorted(m for m in ('numpy', 'sqlalchemy', 'neural', 'swarm_core._engine') "
        "if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
