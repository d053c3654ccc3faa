"""Argument-validation errors read cleanly: tool, dotted path, constraint, value; no pydantic."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio
import pytest
from mcp import Client
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ruv_swarm_mcp import build_server
from ruv_swarm_mcp._arg_errors import describe, show_value, unknown_tool
from ruv_swarm_mcp._config import ServerConfig


class _Inline(BaseModel):
    model_config = ConfigDict(extra="forbid")
    inputs: Annotated[list[list[float]], Field(min_length=1)]
    outputs: Annotated[list[list[float]], Field(min_length=1)]


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["a", "b"] = "a"
    epochs: Annotated[int, Field(ge=1, le=50)] = 3
    name: Annotated[str | None, Field(max_length=5)] = None
    data: _Inline | Annotated[str, Field(min_length=1)] = "x"
    task: str | dict[str, Any] = "t"
    tags: Annotated[list[str], Field(max_length=2)] = []


ACCEPTED = list(_Args.model_fields)


def _text(args: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        _Args.model_validate(args)
    return describe("t1", info.value, args, ACCEPTED)


def _assert_clean(text: str) -> None:
    for leak in ("pydantic", "errors.pydantic.dev", "Arguments", "constrained-str", "type="):
        assert leak not in text, (leak, text)


def test_literal_names_choices_and_value() -> None:
    text = _text({"kind": "wizard"})
    assert text == "invalid arguments for t1: kind: must be one of 'a' or 'b' (got \"wizard\")"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"epochs": 0}, "epochs: must be >= 1 (got 0)"),
        ({"epochs": 51}, "epochs: must be <= 50 (got 51)"),
        ({"epochs": "many"}, 'epochs: must be an integer (got "many")'),
        ({"epochs": 1.5}, "epochs: must be an integer (got 1.5)"),
        ({"name": "toolong"}, 'name: must be at most 5 characters long (got "toolong")'),
        ({"tags": ["a", "b", "c"]}, "tags: must have at most 2 items (got 3 items)"),
        ({"tags": "a"}, 'tags: must be an array (got "a")'),
    ],
)
def test_constraint_and_limit_are_named(args: dict[str, Any], expected: str) -> None:
    text = _text(args)
    assert text == f"invalid arguments for t1: {expected}"


def test_nested_paths_are_dotted_with_indices_and_union_tags_dropped() -> None:
    args = {"data": {"inputs": [[1.0], [2.0], [3.0], ["x"]], "outputs": []}}
    text = _text(args)
    _assert_clean(text)
    assert 'data.inputs[3][0]: must be a number (got "x")' in text
    assert "data.outputs: must have at least 1 item(s) (got 0 items)" in text
    # data was an object, so "it is not a string" is noise and left out
    assert "string" not in text


def test_union_of_wrong_types_lists_the_alternatives() -> None:
    assert _text({"data": 42}).endswith("data: must be an object or a string (got 42)")
    assert _text({"task": 5}).endswith("task: must be a string or an object (got 5)")
    # a string that breaks the str member's own constraint reports that constraint
    assert _text({"data": ""}).endswith('data: must be at least 1 character(s) long (got "")')


def test_missing_and_unknown_arguments() -> None:
    text = _text({"epoch": 5, "data": {"inputs": [[1.0]]}})
    assert "data.outputs: required but missing" in text
    assert "epoch: unknown argument (did you mean 'epochs'?)" in text
    assert text.endswith("Accepted arguments: " + ", ".join(ACCEPTED))
    assert "zzz: unknown argument." in _text({"zzz": 1})  # no hint when nothing is close


def test_huge_values_are_truncated_with_their_size() -> None:
    text = _text({"name": "y" * 5_000_000})
    assert len(text) < 300, len(text)
    assert "5000000 characters" in text
    assert len(show_value(list(range(100_000)))) < 100
    assert show_value({"k": "v" * 1000}).startswith('{"k": "vvv')


def test_many_problems_are_capped() -> None:
    args = {"data": {"inputs": [["x"]] * 50, "outputs": [[1.0]] * 50}}
    text = _text(args)
    assert "... and 42 more" in text
    assert text.count("must be a number") == 8


def test_unknown_tool_suggests_the_closest_name() -> None:
    assert "did you mean 'spawn_agent'" in unknown_tool("spawn_agnet", ["spawn_agent", "train"])
    assert "did you mean" not in unknown_tool("zzz", ["spawn_agent"])


async def _call(profile: str, name: str, args: Any) -> tuple[bool, str]:
    server = build_server(ServerConfig(profile=profile, db=":memory:"))
    async with Client(server) as client:
        result = await client.call_tool(name, args)
        return bool(result.is_error), result.content[0].text  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("profile", "name", "args", "expected"),
    [
        (
            "default",
            "spawn_agent",
            {"type": "wizard"},
            "invalid arguments for spawn_agent: type: must be one of 'neural-processor', "
            "'researcher', 'coordinator', 'analyst', 'optimizer', 'external', 'coder', 'tester',"
            " 'reviewer' or 'documenter' (got \"wizard\")",
        ),
        (
            "default",
            "train",
            {"data": {"inputs": [[0, 0], [0, 1], [1, 0], [1, "x"]], "outputs": [[0]]}, "epoch": 9},
            'invalid arguments for train: data.inputs[3][1]: must be a number (got "x"); '
            "epoch: unknown argument (did you mean 'epochs'?). Accepted arguments: data, layers,",
        ),
        (
            "default",
            "memory_store",
            {"namespace": "n", "key": "k"},
            "invalid arguments for memory_store: value: required but missing",
        ),
        (
            "default",
            "server_info",
            {"verbose": True},
            "invalid arguments for server_info: verbose: unknown argument. Accepted arguments: "
            "none (this tool takes no arguments)",
        ),
        (
            "ruv-swarm",
            "swarm_init",
            {"maxAgents": 0, "max_agents": 3},
            "invalid arguments for swarm_init: maxAgents: must be >= 1 (got 0); max_agents: "
            "unknown argument (did you mean 'maxAgents'?)",
        ),
        (
            "ruv-swarm",
            "agent_spawn",
            {"type": "wizard"},
            "invalid arguments for agent_spawn: type: must be one of 'researcher'",
        ),
        ("default", "spawn_agnet", {}, "Unknown tool: spawn_agnet; did you mean 'spawn_agent'?"),
        (
            "default",
            "model_import",
            {"content": "eA==", "encoding": "hex"},
            "invalid arguments for model_import: encoding: must be one of 'utf-8' or 'base64' "
            '(got "hex")',
        ),
        (
            "ruv-swarm",
            "neural_patterns",
            {"pattern": "lateral"},
            "invalid arguments for neural_patterns: pattern: must be one of 'all', 'sequential',",
        ),
    ],
)
def test_real_tools_over_the_sdk_client(
    profile: str, name: str, args: dict[str, Any], expected: str
) -> None:
    is_error, text = anyio.run(_call, profile, name, args)
    assert is_error
    _assert_clean(text)
    assert "Error executing tool" not in text
    assert text.startswith(expected), text


def test_tool_errors_that_are_not_about_arguments_keep_their_text() -> None:
    is_error, text = anyio.run(_call, "default", "task_complete", {"task_id": "task-x"})
    assert is_error
    assert text == "Error executing tool task_complete: give exactly one of result or error"
