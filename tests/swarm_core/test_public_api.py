"""Pin swarm_core's public surface."""

from __future__ import annotations

import swarm_core

EXPECTED = [
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


def test_all_is_pinned() -> None:
    assert sorted(swarm_core.__all__) == sorted(EXPECTED)


def test_every_name_resolves() -> None:
    assert [n for n in swarm_core.__all__ if not hasattr(swarm_core, n)] == []


def test_errors_follow_the_documented_hierarchy() -> None:
    s = swarm_core
    assert issubclass(s.QueueFullError, s.LimitExceededError)
    for name in (
        "NotFoundError",
        "AlreadyExistsError",
        "ValidationError",
        "LimitExceededError",
        "InvalidStateError",
        "TaskCancelledError",
        "TaskTimeoutError",
        "TaskFailedError",
        "UnsupportedError",
        "EngineClosedError",
        "StoreError",
    ):
        assert issubclass(getattr(s, name), s.SwarmError), name
        assert name in s._exceptions.__doc__, name
    assert issubclass(s.ValidationError, ValueError)
    assert issubclass(s.NotFoundError, KeyError)
    assert str(s.NotFoundError("agent", "agent-x")) == "unknown agent id 'agent-x'"


def test_wire_strings() -> None:
    s = swarm_core
    assert [t.value for t in s.Topology] == ["mesh", "hierarchical", "ring", "star"]
    assert [t.value for t in s.TaskStatus] == [
        "pending",
        "assigned",
        "running",
        "completed",
        "failed",
        "cancelled",
        "interrupted",
    ]
    assert s.AgentType("neural-processor") is s.AgentType.NEURAL_PROCESSOR
    assert s.CognitivePattern is s.Strategy
