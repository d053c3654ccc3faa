"""swarm_core: the swarm engine (swarms, agents, topologies, strategies, tasks, persistence).

Depends on anyio, pydantic, SQLModel and `neural`'s public API; never imports `mcp`.
"""

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
