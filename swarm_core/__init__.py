"""swarm_core: the swarm engine (swarms, agents, topologies, strategies, tasks, persistence).

Depends on anyio, pydantic, SQLModel and `neural`'s public API; never imports `mcp`.

Imported lazily (PEP 562): a submodule such as `swarm_core._limits` loads without the engine
(SQLAlchemy, the store), so the MCP edge can take its limits from here before the handshake.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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

_EXPORTS: dict[str, str] = {
    "EngineConfig": "swarm_core._config",
    "Engine": "swarm_core._engine",
    "AlreadyExistsError": "swarm_core._exceptions",
    "EngineClosedError": "swarm_core._exceptions",
    "InvalidStateError": "swarm_core._exceptions",
    "LimitExceededError": "swarm_core._exceptions",
    "NotFoundError": "swarm_core._exceptions",
    "QueueFullError": "swarm_core._exceptions",
    "StoreError": "swarm_core._exceptions",
    "SwarmError": "swarm_core._exceptions",
    "TaskCancelledError": "swarm_core._exceptions",
    "TaskFailedError": "swarm_core._exceptions",
    "TaskTimeoutError": "swarm_core._exceptions",
    "UnsupportedError": "swarm_core._exceptions",
    "ValidationError": "swarm_core._exceptions",
    "JitWarmup": "swarm_core._jit_warmup",
    "start_jit_warmup": "swarm_core._jit_warmup",
    "AgentInfo": "swarm_core._types",
    "AgentStatus": "swarm_core._types",
    "AgentType": "swarm_core._types",
    "CognitivePattern": "swarm_core._types",
    "DocumentHit": "swarm_core._types",
    "Event": "swarm_core._types",
    "MemoryEntry": "swarm_core._types",
    "ModelInfo": "swarm_core._types",
    "Strategy": "swarm_core._types",
    "SwarmInfo": "swarm_core._types",
    "SwarmStatus": "swarm_core._types",
    "TaskInfo": "swarm_core._types",
    "TaskKind": "swarm_core._types",
    "TaskStatus": "swarm_core._types",
    "Topology": "swarm_core._types",
    "Handler": "swarm_core._work",
    "StrategyFn": "swarm_core._work",
    "WorkContext": "swarm_core._work",
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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'swarm_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
