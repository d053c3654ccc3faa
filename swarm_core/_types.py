"""Vocabulary (StrEnums whose values are the wire strings) and the JSON-able records the engine returns.

Timestamps are Unix seconds (float, UTC) taken from `time.time()`; durations are milliseconds
measured with `time.perf_counter()`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from swarm_core._exceptions import ValidationError


class Topology(StrEnum):
    MESH = "mesh"
    HIERARCHICAL = "hierarchical"
    RING = "ring"
    STAR = "star"


class Strategy(StrEnum):
    """How an orchestrated task spreads over agents (the architecture's `CognitivePattern`)."""

    SEQUENTIAL = "sequential"
    PARALLEL = "parallel"
    DIVERGENT = "divergent"
    CONVERGENT = "convergent"
    CASCADE = "cascade"
    MESH = "mesh"


CognitivePattern = Strategy


class AgentType(StrEnum):
    NEURAL_PROCESSOR = "neural-processor"
    RESEARCHER = "researcher"
    COORDINATOR = "coordinator"
    ANALYST = "analyst"
    OPTIMIZER = "optimizer"
    EXTERNAL = "external"


# Roles other swarm tools use for client-side (LLM) workers; they all run as `external` slots and
# the agent keeps the requested role name.
ROLE_ALIASES: dict[str, AgentType] = {
    "coder": AgentType.EXTERNAL,
    "tester": AgentType.EXTERNAL,
    "reviewer": AgentType.EXTERNAL,
    "documenter": AgentType.EXTERNAL,
}


class AgentStatus(StrEnum):
    IDLE = "idle"
    BUSY = "busy"
    TERMINATED = "terminated"


class TaskStatus(StrEnum):
    PENDING = "pending"
    ASSIGNED = "assigned"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"

    @property
    def is_final(self) -> bool:
        return self in _FINAL


_FINAL = frozenset(
    {TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED, TaskStatus.INTERRUPTED}
)

# Every legal move of the task state machine; anything else is an InvalidStateError naming both
# states. Final states other than `completed` may go back to `pending` through retry_task.
TASK_TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.PENDING: frozenset(
        {TaskStatus.ASSIGNED, TaskStatus.CANCELLED, TaskStatus.FAILED, TaskStatus.INTERRUPTED}
    ),
    TaskStatus.ASSIGNED: frozenset(
        {TaskStatus.RUNNING, TaskStatus.CANCELLED, TaskStatus.FAILED, TaskStatus.INTERRUPTED}
    ),
    TaskStatus.RUNNING: frozenset(
        {TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED, TaskStatus.INTERRUPTED}
    ),
    TaskStatus.COMPLETED: frozenset(),
    TaskStatus.FAILED: frozenset({TaskStatus.PENDING}),
    TaskStatus.CANCELLED: frozenset({TaskStatus.PENDING}),
    TaskStatus.INTERRUPTED: frozenset({TaskStatus.PENDING}),
}


class TaskKind(StrEnum):
    TRAIN = "train"
    PREDICT = "predict"
    EVALUATE = "evaluate"
    SEARCH = "search"
    INGEST = "ingest"
    WORKFLOW = "workflow"
    OPTIMIZE = "optimize"
    EXTERNAL = "external"
    ORCHESTRATE = "orchestrate"


_E = TypeVar("_E", bound=StrEnum)


def _parse_enum(enum: type[_E], value: object, field: str) -> _E:
    try:
        return enum(str(value))
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise ValidationError(field, f"unknown {field} {value!r}; allowed: {allowed}") from None


def parse_topology(value: object) -> Topology:
    return _parse_enum(Topology, value, "topology")


def parse_strategy(value: object) -> Strategy:
    return _parse_enum(Strategy, value, "strategy")


def parse_task_kind(value: object) -> TaskKind:
    return _parse_enum(TaskKind, value, "kind")


def parse_task_status(value: object) -> TaskStatus:
    return _parse_enum(TaskStatus, value, "status")


def parse_agent_status(value: object) -> AgentStatus:
    return _parse_enum(AgentStatus, value, "status")


def parse_agent_type(value: object) -> tuple[AgentType, str]:
    """Map a requested type or role to (AgentType, role name kept on the agent)."""
    name = str(value).strip().lower()
    if name in ROLE_ALIASES:
        return ROLE_ALIASES[name], name
    try:
        return AgentType(name), name
    except ValueError:
        allowed = ", ".join([*(m.value for m in AgentType), *ROLE_ALIASES])
        raise ValidationError("type", f"unknown agent type {value!r}; allowed: {allowed}") from None


class _Record(BaseModel):
    model_config = ConfigDict(frozen=False, extra="forbid", use_enum_values=False)


class SwarmInfo(_Record):
    id: str
    name: str
    topology: Topology
    strategy: Strategy
    max_agents: int
    created_at: float


class SwarmStatus(_Record):
    swarm: SwarmInfo
    agents_total: int
    agents_by_status: dict[str, int]
    agents_by_type: dict[str, int]
    tasks_by_status: dict[str, int]
    models: int
    documents: int
    memory_entries: int
    topology: dict[str, Any] = Field(default_factory=dict)


class AgentInfo(_Record):
    id: str
    swarm_id: str
    type: AgentType
    role: str
    name: str
    capabilities: list[str] = Field(default_factory=list)
    cognitive_pattern: Strategy | None = None
    status: AgentStatus = AgentStatus.IDLE
    created_at: float
    terminated_at: float | None = None
    tasks_completed: int = 0
    tasks_failed: int = 0
    current_task_id: str | None = None
    # enforced per agent: one task at a time; optional max_task_seconds caps every task's run
    limits: dict[str, Any] = Field(default_factory=lambda: {"max_concurrent_tasks": 1})


class TaskInfo(_Record):
    id: str
    swarm_id: str
    kind: TaskKind
    status: TaskStatus
    priority: int = 0
    strategy: Strategy | None = None
    agent_ids: list[str] = Field(default_factory=list)
    parent_id: str | None = None
    depends_on: list[str] = Field(default_factory=list)
    timeout_seconds: float | None = None
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    duration_ms: float | None = None
    progress: float = 0.0
    progress_message: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    attempts: int = 1
    payload: dict[str, Any] = Field(default_factory=dict)


class ModelInfo(_Record):
    id: str
    swarm_id: str
    agent_id: str | None = None
    task_id: str | None = None
    name: str
    layers: list[int]
    activations: list[str] = Field(default_factory=list)
    algorithm: str | None = None
    created_at: float
    metrics: dict[str, Any] = Field(default_factory=dict)
    history: dict[str, Any] = Field(default_factory=dict)
    is_classifier: bool = False
    n_inputs: int
    n_outputs: int
    size_bytes: int = 0
    extra: dict[str, Any] = Field(default_factory=dict)


class Event(_Record):
    id: int
    ts: float
    swarm_id: str | None = None
    kind: str
    subject_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class MemoryEntry(_Record):
    namespace: str
    key: str
    value: Any
    swarm_id: str | None = None
    created_at: float
    updated_at: float
    expires_at: float | None = None


class DocumentHit(_Record):
    doc_id: str
    title: str
    score: float
    snippet: str
