"""Typed tool results (they become each tool's outputSchema) and the wire vocabularies.

The vocabularies are Literals built from swarm_core's StrEnums and _limits tuples, so the
inputSchema lists the values inline (an enum type would become a $ref) and a value added in
swarm_core reaches the schema. swarm_core's package is lazy: these imports load neither the
engine nor numpy before the handshake.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, Field, WithJsonSchema

from swarm_core import _limits as L
from swarm_core._types import (
    ROLE_ALIASES,
    AgentStatus,
    AgentType,
    Strategy,
    TaskKind,
    TaskStatus,
    Topology,
)


def literal_of(values: type[StrEnum] | tuple[str, ...]) -> Any:
    """Literal["a", "b", ...] of an enum's values or of a tuple, in their order."""
    names = tuple(m.value for m in values) if isinstance(values, type) else tuple(values)
    return Literal[names]


if TYPE_CHECKING:  # static checkers take the names as plain strings
    TopologyName: TypeAlias = str
    StrategyName: TypeAlias = str
    AgentTypeName: TypeAlias = str
    AgentStatusName: TypeAlias = str
    TaskStatusName: TypeAlias = str
    TaskKindName: TypeAlias = str
    AlgorithmName: TypeAlias = str
    ActivationName: TypeAlias = str
    ModelFormat: TypeAlias = str
    ScaleMode: TypeAlias = str
    TableFormat: TypeAlias = str
    MissingMode: TypeAlias = str
    TabularTask: TypeAlias = str
else:
    TopologyName = literal_of(Topology)
    StrategyName = literal_of(Strategy)
    AgentTypeName = literal_of((*(m.value for m in AgentType), *ROLE_ALIASES))
    AgentStatusName = literal_of(AgentStatus)
    TaskStatusName = literal_of(TaskStatus)
    TaskKindName = literal_of(TaskKind)
    AlgorithmName = literal_of(L.ALGORITHMS)
    # neural's trainable activations (the threshold ones have no derivative)
    ActivationName = literal_of(L.ACTIVATIONS)
    ModelFormat = literal_of(L.MODEL_FORMATS)
    ScaleMode = literal_of(L.SCALE_MODES)
    TableFormat = literal_of(L.TABLE_FORMATS)
    MissingMode = literal_of(L.MISSING_MODES)
    TabularTask = literal_of(L.TABULAR_TASKS)
FINAL_TASK_STATES = frozenset(s.value for s in TaskStatus if s.is_final)
# Any JSON value, said explicitly: a bare `{}` schema reads as "unconstrained" to schema linters
# (the Inspector's --strict) and to clients that need a `type` on every property.
AnyJson = Annotated[
    Any,
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "object"},
                {"type": "array"},
                {"type": "string"},
                {"type": "number"},
                {"type": "boolean"},
                {"type": "null"},
            ]
        }
    ),
]


class _Out(BaseModel):
    model_config = {"extra": "ignore"}


class SwarmOut(_Out):
    id: str
    name: str
    topology: TopologyName
    strategy: StrategyName
    max_agents: int
    created_at: float


class SwarmStatusOut(_Out):
    swarm: SwarmOut
    agents_total: int
    agents_by_status: dict[str, int]
    agents_by_type: dict[str, int]
    tasks_by_status: dict[str, int]
    models: int
    documents: int
    memory_entries: int
    topology: dict[str, Any] = Field(default_factory=dict)


class AgentOut(_Out):
    id: str
    swarm_id: str
    type: str
    role: str
    name: str
    capabilities: list[str] = Field(default_factory=list)
    cognitive_pattern: str | None = None
    status: AgentStatusName
    created_at: float
    terminated_at: float | None = None
    tasks_completed: int = 0
    tasks_failed: int = 0
    current_task_id: str | None = None


class AgentList(_Out):
    agents: list[AgentOut]
    count: int = Field(description="number of agents in this page")
    offset: int
    limit: int


class TaskOut(_Out):
    id: str
    swarm_id: str
    kind: str
    status: TaskStatusName
    priority: int = 0
    strategy: str | None = None
    agent_ids: list[str] = Field(default_factory=list)
    parent_id: str | None = None
    depends_on: list[str] = Field(default_factory=list)
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    duration_ms: float | None = None
    progress: float = 0.0
    progress_message: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    done: bool = Field(description="true once the task reached a final state")


class TrainOut(_Out):
    task_id: str
    status: TaskStatusName
    model_id: str | None = None
    epochs_run: int | None = None
    final_mse: float | None = Field(
        default=None, description="training MSE of the last epoch (network units, FANN's MSE)"
    )
    train_mse: float | None = Field(
        default=None, description="MSE of the trained network on the training part"
    )
    validation_mse: float | None = None
    train_target_rmse: float | None = Field(
        default=None, description="root mean squared error in the targets' own units"
    )
    validation_target_rmse: float | None = None
    train_error_pct: float | None = Field(
        default=None, description="classifiers: % of training samples misclassified"
    )
    validation_error_pct: float | None = None
    is_classifier: bool | None = None
    layers: list[int] | None = Field(default=None, description="layer sizes as trained")
    hidden_added: int | None = Field(default=None, description="cascade: hidden units grown")
    scaling: dict[str, Any] | None = Field(
        default=None, description="which of inputs / outputs were scaled, and onto what range"
    )
    stop_reason: str | None = None
    table: dict[str, Any] | None = Field(
        default=None,
        description="for a table: each column's inferred kind, columns left out and why, "
        "classes and their counts, rows read / used / dropped",
    )
    history: dict[str, Any] = Field(
        default_factory=dict,
        description="measured per-epoch history: epoch, mse, bit_fail (thinned to 2000 points)",
    )
    duration_ms: float | None = None
    loop_seconds: float | None = Field(
        default=None, description="seconds spent in the training loop itself"
    )
    compile_seconds: float | None = Field(
        default=None, description="seconds of JIT compilation before the loop (first use only)"
    )
    error: str | None = None


class PredictOut(_Out):
    model_id: str
    outputs: list[list[float]]
    labels: list[int] | None = Field(
        default=None, description="predicted class index per row (classifiers only)"
    )
    classes: list[str] | None = Field(
        default=None, description="predicted class name per row (table classifiers)"
    )
    scores: list[dict[str, float]] | None = Field(
        default=None,
        description="a score per class for each row (network outputs in [0, 1]; a ranking, "
        "not calibrated probabilities)",
    )
    class_names: list[str] | None = Field(
        default=None, description="the classifier's classes, in label-index order"
    )
    targets: list[str] | None = Field(
        default=None, description="the predicted columns, in output order (table regressors)"
    )


class EvaluateOut(_Out):
    model_id: str
    metrics: dict[str, Any]


class ModelOut(_Out):
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
    is_classifier: bool = False
    n_inputs: int
    n_outputs: int
    size_bytes: int = 0


class ModelExportOut(_Out):
    model_id: str
    format: ModelFormat
    encoding: Literal["utf-8", "base64"]
    content: str
    size_bytes: int


class MemoryEntryOut(_Out):
    namespace: str
    key: str
    value: AnyJson
    swarm_id: str | None = None
    created_at: float
    updated_at: float
    expires_at: float | None = None


class MemoryGetOut(_Out):
    found: bool
    entry: MemoryEntryOut | None = None


class MemoryListOut(_Out):
    entries: list[MemoryEntryOut]
    count: int


class KnowledgeAddOut(_Out):
    doc_id: str
    swarm_id: str


class DocumentHitOut(_Out):
    doc_id: str
    title: str
    score: float
    snippet: str


class KnowledgeSearchOut(_Out):
    query: str
    hits: list[DocumentHitOut]


class EventOut(_Out):
    id: int
    ts: float
    swarm_id: str | None = None
    kind: str
    subject_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class EventsOut(_Out):
    events: list[EventOut]
    last_id: int = Field(description="pass as since_id to get only newer events")


class ServerInfoOut(_Out):
    name: str
    version: str
    pid: int
    uptime_seconds: float
    transport: str
    profile: str
    engine_open: bool
    jit_warmup: Literal["off", "pending", "running", "done", "failed"] = Field(
        description="the background compilation of the training kernels (off with "
        "--no-jit-warmup); once done, a first training loads them instead of compiling"
    )
    jit_warmup_seconds: float | None = Field(
        None, description="how long the background compilation took, once it ended"
    )


def dump(obj: Any) -> dict[str, Any]:
    """An engine record (pydantic model or dict) as plain JSON data."""
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if isinstance(obj, dict):
        return obj
    raise TypeError(f"cannot shape {type(obj).__name__} as a tool result")


def task_out(task: Any) -> TaskOut:
    data = dump(task)
    data.pop("payload", None)
    return TaskOut(**data, done=data["status"] in FINAL_TASK_STATES)


class SwarmList(_Out):
    swarms: list[SwarmOut]
    count: int


class ModelDetailOut(ModelOut):
    history: dict[str, Any] = Field(
        default_factory=dict, description="measured per-epoch MSE / bit-fail (thinned)"
    )


class ModelList(_Out):
    models: list[ModelOut]
    count: int = Field(description="number of models in this page")
    offset: int
    limit: int


class TaskList(_Out):
    tasks: list[TaskOut]
    count: int = Field(description="number of tasks in this page")
    offset: int
    limit: int


# --- `--profile ruv-swarm` results (npm names; free-form engine figures stay objects) ---


class ProcessMetricsOut(_Out):
    rss_bytes: int | None = Field(description="resident set size now (None if unreadable)")
    peak_rss_bytes: int
    cpu_user_seconds: float
    cpu_system_seconds: float
    threads: int | None = None


class CompatSwarmInitOut(_Out):
    id: str
    message: str
    topology: TopologyName
    strategy: Literal["balanced", "specialized", "adaptive"]
    task_strategy: StrategyName = Field(description="the default task strategy it maps to")
    maxAgents: int
    created: float


class CompatSwarmStatusOut(SwarmStatusOut):
    agents: list[AgentOut] | None = Field(default=None, description="verbose only")
    engine: dict[str, Any] | None = Field(default=None, description="verbose only: engine stats")


class MonitorSampleOut(_Out):
    t: float = Field(description="seconds since the first sample")
    engine: dict[str, Any]
    process: ProcessMetricsOut


class SwarmMonitorOut(_Out):
    duration: float
    samples: list[MonitorSampleOut]
    changes_by_kind: dict[str, int]


class AgentSpawnOut(_Out):
    agent: AgentOut
    swarm_id: str
    message: str


class AgentListOut(_Out):
    total_agents: int
    filter: Literal["all", "active", "idle", "busy"]
    agents: list[AgentOut]


class AgentTaskCountsOut(_Out):
    total: int
    completed: int
    failed: int
    success_rate: float | None


class AgentPerformanceOut(_Out):
    mean_task_ms: float | None
    p95_task_ms: float | None


class AgentMetricsRowOut(_Out):
    agent_id: str
    type: str
    status: AgentStatusName
    tasks: AgentTaskCountsOut | None = None
    performance: AgentPerformanceOut | None = None


class AgentMetricsOut(_Out):
    metric: Literal["all", "cpu", "memory", "tasks", "performance"]
    agents: list[AgentMetricsRowOut]
    process: ProcessMetricsOut | None = Field(
        default=None, description="the server process (agents run in-process)"
    )


class TaskOrchestrateOut(_Out):
    taskId: str
    status: TaskStatusName
    strategy: Literal["parallel", "sequential", "adaptive"]
    task: TaskOut


class TaskSummaryOut(_Out):
    id: str
    kind: str
    status: TaskStatusName
    progress: float
    duration_ms: float | None = None
    error: str | None = None


class CompatTaskStatusOut(_Out):
    tasks: list[TaskSummaryOut] = Field(description="detailed: every task field")
    count: int


class TaskResultsOut(_Out):
    id: str
    status: TaskStatusName
    kind: str
    strategy: str | None = None
    duration_ms: float | None = None
    error: str | None = None
    agent_ids: list[str]
    result: dict[str, Any] | None = Field(default=None, description="detailed and raw only")


class NeuralStatusOut(_Out):
    models: list[ModelOut]
    count: int


class PatternStatsOut(_Out):
    tasks: int
    completed: int
    success_rate: float | None
    mean_duration_ms: float | None
    agents_preferring: int


class NeuralPatternsOut(_Out):
    patterns: dict[str, PatternStatsOut]


class TimingOut(_Out):
    iterations: int
    mean_ms: float
    median_ms: float
    min_ms: float
    max_ms: float


class BenchmarkOut(_Out):
    type: Literal["all", "swarm", "agent", "task", "neural", "wasm"]
    swarm_id: str = Field(description="the scratch swarm the benchmark ran in (deleted since)")
    results: dict[str, TimingOut]
    scratch_swarms_deleted: int = Field(
        0, description="scratch swarms the benchmark created and deleted again"
    )


class FeaturesOut(_Out):
    platform: dict[str, Any] | None = None
    simd: dict[str, Any] | None = None
    memory: dict[str, Any] | None = None
    neural: dict[str, Any] | None = None
    wasm: dict[str, Any] | None = None


class ModelBytesOut(_Out):
    models: int
    model_bytes: int


class MemoryUsageOut(_Out):
    process: ProcessMetricsOut
    engine: dict[str, Any]
    memory_entries_listed: int | None = None
    by_agent: dict[str, ModelBytesOut] | None = None


class SwarmDeleteOut(_Out):
    swarm_id: str
    cancelled_tasks: int = Field(description="unfinished tasks cancelled before the delete")
    deleted: dict[str, int] = Field(description="rows deleted per kind (tasks, agents, ...)")
    was_current: bool = Field(description="whether it was this session's current swarm")


class MemoryDeleteOut(_Out):
    namespace: str
    key: str
    deleted: bool = Field(description="false when no live entry was stored there")
