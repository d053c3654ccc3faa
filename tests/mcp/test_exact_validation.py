"""Tool arguments are validated exactly as strictly as the advertised inputSchema: a call is
accepted iff ``jsonschema`` accepts its arguments against the tool's inputSchema (no "123" for
an integer, no true for a number, no 1 for a boolean, no JSON text for a list; 1.0 is an
integer, as JSON Schema says). Both profiles."""

from __future__ import annotations

import functools
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from mcp import Client
from pydantic import ValidationError

from ruv_swarm_mcp import build_server
from ruv_swarm_mcp._config import ServerConfig

PROFILES = ("default", "ruv-swarm")
# Values each argument is tried with: the coercions lax validation allowed, integral and
# fractional floats, booleans, nulls, containers, extremes.
POOL: list[Any] = [
    "123", "1", "", "x", "[3]", "null", "true", "1.5", 1, 0, -1, 1.0, 1.5, -0.0, 2.0,
    True, False, None, [], {}, [1], [1.0], [2.5], ["a"], [True], {"a": 1}, 2**31, 2**53 + 1,
    2**63, 10**20, 1e300, "rprop", "mesh", "swarm-1", [[1]], [[1.0, True]],
    {"inputs": [[1]], "outputs": [[1]]}, {"inputs": [["1"]], "outputs": [[1]]},
]  # fmt: skip


@functools.cache
def _tools(profile: str) -> tuple[Any, ...]:
    server = build_server(ServerConfig(db=":memory:", profile=profile))
    return tuple(server._tool_manager.list_tools())


def _base(tool: Any) -> dict[str, Any]:
    """Valid values for the required arguments, so a mutation tests only itself."""
    schema = tool.parameters
    out: dict[str, Any] = {}
    for name in schema.get("required", []):
        sub = {**schema["properties"][name], "$defs": schema.get("$defs", {})}
        candidates = list(schema["properties"][name].get("enum", [])) + POOL
        out[name] = next(c for c in candidates if Draft202012Validator(sub).is_valid(c))
    return out


def _ours(tool: Any, args: dict[str, Any]) -> bool:
    try:
        tool.fn_metadata.validate_arguments(dict(args))
    except ValidationError:
        return False
    return True


def _cases(profile: str) -> list[tuple[str, str, Any, bool, bool]]:
    out = []
    for tool in _tools(profile):
        validator = Draft202012Validator(tool.parameters)
        base = _base(tool)
        for name in tool.parameters.get("properties", {}):
            for value in POOL:
                args = {**base, name: value}
                out.append((tool.name, name, value, validator.is_valid(args), _ours(tool, args)))
    return out


@pytest.mark.parametrize("profile", PROFILES)
def test_every_argument_accepts_exactly_what_the_schema_accepts(profile: str) -> None:
    cases = _cases(profile)
    assert len(cases) > 1000
    differ = [c for c in cases if c[3] != c[4]]
    assert differ == [], "\n".join(
        f"{tool}.{arg}={value!r}: schema {'accepts' if js else 'refuses'}, server "
        f"{'accepts' if ours else 'refuses'}"
        for tool, arg, value, js, ours in differ[:20]
    )
    # the classes of the report are refused, integral floats stand for integers
    verdict = {(t, a, repr(v)): ours for t, a, v, _js, ours in cases}
    arg = "max_agents" if profile == "default" else "maxAgents"
    assert verdict[("swarm_init", arg, "'123'")] is False
    assert verdict[("swarm_init", arg, "True")] is False
    assert verdict[("swarm_init", arg, "2.0")] is True
    assert verdict[("swarm_init", arg, "1.5")] is False


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


@pytest.mark.parametrize("profile", PROFILES)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzzed_arguments_agree_with_jsonschema(profile: str, data: st.DataObject) -> None:
    tool = data.draw(st.sampled_from(_tools(profile)), label="tool")
    props = sorted(tool.parameters.get("properties", {}))
    args = dict(_base(tool))
    for name in data.draw(
        st.lists(st.sampled_from(props), max_size=3, unique=True) if props else st.just([])
    ):
        args[name] = data.draw(JSON | st.sampled_from(POOL), label=name)
    assert Draft202012Validator(tool.parameters).is_valid(args) == _ours(tool, args), args


def test_strictness_holds_on_the_wire() -> None:
    async def go() -> None:
        with anyio.fail_after(60):
            async with Client(build_server(ServerConfig(db=":memory:")), mode="legacy") as client:
                refused = await client.call_tool("swarm_init", {"max_agents": "123"})
                assert refused.is_error
                assert 'max_agents: must be an integer (got "123")' in refused.content[0].text
                listed = await client.call_tool("query_agents", {"limit": True})
                assert listed.is_error and "limit" in listed.content[0].text
                made = await client.call_tool("swarm_init", {"max_agents": 7.0})
                assert not made.is_error and made.structured_content["max_agents"] == 7

    anyio.run(go)
