"""swarm_core: the swarm engine (swarms, agents, topologies, strategies, tasks, persistence).

Depends on anyio, pydantic, SQLModel and `neural`'s public API; never imports `mcp`.

The public names load on first use (PEP 562 ``__getattr__``): ``from swarm_core._exceptions
import SwarmError`` or ``swarm_core.NotFoundError`` costs only that small module, while
``swarm_core.Engine`` pulls in the engine and SQLAlchemy. The MCP edge catches engine errors by
class at import time without paying for the engine before the handshake.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from swarm_core._config import EngineConfig
    from swarm_core._engine import Engine
    from swarm_core._exceptions import (
        AlreadyExistsError,
        EngineClosedError,
        InvalidStateError,
        LimitExceededError,
        NotFoundError,
        QueueFullError,
        StoreError,
        SwarmError,
        TaskCancelledError,
        TaskFailedError,
        TaskTimeoutError,
        UnsupportedError,
        ValidationError,
    )
    from swarm_core._jit_warmup import JitWarmup, start_jit_warmup
    from swarm_core._types import (
        AgentInfo,
        AgentStatus,
        AgentType,
        CognitivePattern,
        DocumentHit,
        Event,
        MemoryEntry,
        ModelInfo,
        Strategy,
        SwarmInfo,
        SwarmStatus,
        TaskInfo,
        TaskKind,
        TaskStatus,
        Topology,
    )
    from swarm_core._work import Handler, StrategyFn, WorkContext

# public name -> the private module that defines it
_LAZY: dict[str, str] = {
    "EngineConfig": "_config",
    "Engine": "_engine",
    **{
        name: "_exceptions"
        for name in (
            "AlreadyExistsError",
            "EngineClosedError",
            "InvalidStateError",
            "LimitExceededError",
            "NotFoundError",
            "QueueFullError",
            "StoreError",
            "SwarmError",
            "TaskCancelledError",
            "TaskFailedError",
            "TaskTimeoutError",
            "UnsupportedError",
            "ValidationError",
        )
    },
    "JitWarmup": "_jit_warmup",
    "start_jit_warmup": "_jit_warmup",
    **{
        name: "_types"
        for name in (
            "AgentInfo",
            "AgentStatus",
            "AgentType",
            "CognitivePattern",
            "DocumentHit",
            "Event",
            "MemoryEntry",
            "ModelInfo",
            "Strategy",
            "SwarmInfo",
            "SwarmStatus",
            "TaskInfo",
            "TaskKind",
            "TaskStatus",
            "Topology",
        )
    },
    "Handler": "_work",
    "StrategyFn": "_work",
    "WorkContext": "_work",
}

__all__ = [
    "AgentInfo",
    "AgentStatus",
    "AgentType",
    "AlreadyExistsError",
    "CognitivePattern",
    "DocumentHit",
    "Engine",
    "EngineClosedError",
    "EngineConfig",
    "Event",
    "Handler",
    "InvalidStateError",
    "JitWarmup",
    "LimitExceededError",
    "MemoryEntry",
    "ModelInfo",
    "NotFoundError",
    "QueueFullError",
    "StoreError",
    "Strategy",
    "StrategyFn",
    "SwarmError",
    "SwarmInfo",
    "SwarmStatus",
    "TaskCancelledError",
    "TaskFailedError",
    "TaskInfo",
    "TaskKind",
    "TaskStatus",
    "TaskTimeoutError",
    "Topology",
    "UnsupportedError",
    "ValidationError",
    "WorkContext",
    "start_jit_warmup",
]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'swarm_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"swarm_core.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
