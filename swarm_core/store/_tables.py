"""SQLModel tables: swarms, agents (+ capabilities), tasks, models, memory, documents, events,
training checkpoints.

Indexes follow the engine's hot queries: agents filtered by swarm/status/type in join order
(`seq`), tasks by swarm/status/parent/agent and by finish time (retention), memory by expiry,
events by id within swarm/kind. Full-text search over documents is an FTS5 virtual table created
beside these (see `_db.py`).

The tables live on this module's own `METADATA`, not on SQLModel's global one: the store creates
and migrates exactly these. A change here needs a numbered migration in `migrations/versions`
(see `_migrate.py`); a test compares the migrated schema with these tables.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, MetaData, Table
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class StoreModel(SQLModel, registry=registry()):
    """Base of the store's tables: gives them their own registry and MetaData."""


METADATA: MetaData = StoreModel.metadata


class MetaRow(StoreModel, table=True):
    __tablename__ = "meta"

    key: str = Field(primary_key=True)
    value: str


class SwarmRow(StoreModel, table=True):
    __tablename__ = "swarm"

    id: str = Field(primary_key=True)
    seq: int = Field(index=True)
    name: str
    topology: str
    strategy: str
    max_agents: int
    created_at: float


class AgentRow(StoreModel, table=True):
    __tablename__ = "agent"
    __table_args__ = (
        Index("ix_agent_swarm_status_type_seq", "swarm_id", "status", "type", "seq"),
        Index("ix_agent_swarm_type_seq", "swarm_id", "type", "seq"),
        Index("ix_agent_swarm_seq", "swarm_id", "seq"),
        Index("ix_agent_status_type_seq", "status", "type", "seq"),
        Index("ix_agent_type_seq", "type", "seq"),
    )

    id: str = Field(primary_key=True)
    seq: int = Field(index=True)
    swarm_id: str
    type: str
    role: str
    name: str
    capabilities: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    cognitive_pattern: str | None = None
    status: str
    created_at: float
    terminated_at: float | None = None
    tasks_completed: int = 0
    tasks_failed: int = 0
    current_task_id: str | None = None
    limits: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class AgentCapabilityRow(StoreModel, table=True):
    """One row per (agent, capability); swarm and join order are copied here so a capability
    filter walks one index in order instead of sorting every agent that has the capability."""

    __tablename__ = "agent_capability"
    __table_args__ = (
        Index("ix_capability_swarm_seq", "capability", "swarm_id", "seq"),
        Index("ix_capability_seq", "capability", "seq"),
    )

    agent_id: str = Field(primary_key=True)
    capability: str = Field(primary_key=True)
    swarm_id: str
    seq: int


class TaskRow(StoreModel, table=True):
    __tablename__ = "task"
    __table_args__ = (
        Index("ix_task_swarm_seq", "swarm_id", "seq"),
        Index("ix_task_swarm_status_seq", "swarm_id", "status", "seq"),
        Index("ix_task_status_seq", "status", "seq"),
        Index("ix_task_parent", "parent_id"),
        Index("ix_task_agent_seq", "agent_id", "seq"),
        # the retention purge walks finished tasks oldest first (NULL: not finished)
        Index("ix_task_finished_at", "finished_at"),
    )

    id: str = Field(primary_key=True)
    seq: int = Field(index=True)
    swarm_id: str
    kind: str
    status: str
    priority: int = 0
    strategy: str | None = None
    agent_id: str | None = None
    agent_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    parent_id: str | None = None
    depends_on: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    timeout_seconds: float | None = None
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    duration_ms: float | None = None
    progress: float = 0.0
    progress_message: str | None = None
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    error: str | None = None
    attempts: int = 1


class ModelRow(StoreModel, table=True):
    __tablename__ = "model"
    __table_args__ = (Index("ix_model_swarm_seq", "swarm_id", "seq"),)

    id: str = Field(primary_key=True)
    seq: int = Field(index=True)
    swarm_id: str
    agent_id: str | None = None
    task_id: str | None = None
    name: str
    layers: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    activations: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    algorithm: str | None = None
    created_at: float
    metrics: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    history: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    is_classifier: bool = False
    n_inputs: int
    n_outputs: int
    size_bytes: int = 0
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    weights: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class CheckpointRow(StoreModel, table=True):
    """The latest training checkpoint of one task (replaced in place, so one row per task at
    most; deleted when the task completes or is cancelled). `history_mse` / `history_bit_fail`
    are the measured per-epoch values so far as little-endian float64 / int64 bytes;
    `optimizer_state` is `neural.TrainState.to_bytes()` of the same epoch (NULL in rows written
    before it existed: such a run resumes with a fresh optimizer state)."""

    __tablename__ = "checkpoint"

    task_id: str = Field(primary_key=True)
    swarm_id: str
    algorithm: str
    epochs_done: int
    created_at: float
    size_bytes: int = 0
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    network: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    history_mse: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    history_bit_fail: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    optimizer_state: bytes | None = Field(
        default=None, sa_column=Column(LargeBinary, nullable=True)
    )


class MemoryRow(StoreModel, table=True):
    __tablename__ = "memory"
    __table_args__ = (Index("ix_memory_swarm", "swarm_id"),)

    namespace: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    swarm_id: str | None = None
    value: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: float
    updated_at: float
    expires_at: float | None = Field(default=None, index=True)


class DocumentRow(StoreModel, table=True):
    __tablename__ = "document"
    __table_args__ = (Index("ix_document_swarm_seq", "swarm_id", "seq"),)

    id: str = Field(primary_key=True)
    seq: int = Field(index=True)
    swarm_id: str
    title: str
    text: str
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: float


class EventRow(StoreModel, table=True):
    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_swarm_id", "swarm_id", "id"),
        Index("ix_event_kind_id", "kind", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ts: float
    swarm_id: str | None = None
    kind: str
    subject_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


_ROWS: tuple[type[SQLModel], ...] = (
    MetaRow,
    SwarmRow,
    AgentRow,
    AgentCapabilityRow,
    TaskRow,
    ModelRow,
    CheckpointRow,
    MemoryRow,
    DocumentRow,
    EventRow,
)
TABLES: dict[str, Table] = {
    str(row.__tablename__): row.__table__  # type: ignore[attr-defined]
    for row in _ROWS
}
