"""Engine errors are recognised by class (swarm_core's exception hierarchy), not by module
name, and a bare KeyError is a crash like any other, not an unknown id."""

from __future__ import annotations

import subprocess
import sys

import anyio
import pytest
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError

from ruv_swarm_mcp._toolkit import resource_engine, tool_errors
from swarm_core import LimitExceededError, NotFoundError, SwarmError, ValidationError


def _raising(exc: BaseException):  # type: ignore[no-untyped-def]
    @tool_errors
    async def some_tool() -> None:
        raise exc

    return some_tool


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (NotFoundError("agent", "a-1"), "unknown agent id 'a-1'"),
        (ValidationError("layers", "at most 8 allowed"), "layers: at most 8 allowed"),
        (LimitExceededError("max_agents", 3, "swarm is full"), "swarm is full (limit max_agents=3)"),
    ],
)
def test_engine_errors_become_tool_errors_naming_the_field(
    exc: SwarmError, expected: str
) -> None:
    with pytest.raises(ToolError) as info:
        anyio.run(_raising(exc))
    assert str(info.value) == expected


def test_a_bare_key_error_is_an_unexpected_crash() -> None:
    with pytest.raises(ToolError) as info:
        anyio.run(_raising(KeyError("secret-internal")))
    text = str(info.value)
    assert "unexpected internal error (KeyError)" in text and "secret-internal" not in text


class _State:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    async def get_engine(self) -> object:
        return object()


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (NotFoundError("task", "t-9"), ResourceNotFoundError),
        (ValidationError("uri", "bad"), ResourceError),
        (KeyError("x"), KeyError),
    ],
)
def test_resource_reads_map_engine_errors_by_class(exc: BaseException, kind: type) -> None:
    async def read() -> None:
        async with resource_engine(_State(exc)):  # type: ignore[arg-type]
            raise exc

    with pytest.raises(kind) as info:
        anyio.run(read)
    if kind is ResourceNotFoundError:
        assert "t-9" in str(info.value)
    if kind is KeyError:
        assert not isinstance(info.value, ResourceError)


def test_importing_the_exceptions_does_not_load_the_engine() -> None:
    code = (
        "import sys\n"
        "from swarm_core import NotFoundError, SwarmError\n"
        "import ruv_swarm_mcp._toolkit\n"
        "print(sorted(m for m in ('swarm_core._engine', 'sqlalchemy', 'numpy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
