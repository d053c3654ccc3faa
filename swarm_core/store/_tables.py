"""SQLModel tables: swarms, agents (+ capabilities), tasks, models, memory, documents, events,
training checkpoints.

Indexes follow the engine's hot queries: agents filtered by swarm/status/type in join order
(`seq`), tasks by swarm/status/parent/agent and by finish time (retention), memory by expiry,
events by id within swarm/kind. Indexes added later are created on open in existing databases.
Full-text search over documents is an FTS5 virtual table created beside these (see `_db.py`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Connection, Index, LargeBinary, Table, event, inspect, text
from sqlmodel import Field, SQLModel

SCHEMA_VERSION = 1


class MetaRow(SQLModel, table=True):
    __tablename__ = "meta"

    key: str = Field(primary_key=True)
    value: str


class SwarmRow(SQLModel, table=True):
    __tablename__ = "swarm"

    id: str = Field(primary_key=True)
    seq: int = Field(index=True)
    name: str
    topology: str
    strategy: str
    max_agents: int
    created_at: float


class AgentRow(SQLModel, table=True):
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


class AgentCapabilityRow(SQLModel, table=True):
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


class TaskRow(SQLModel, table=True):
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


class ModelRow(SQLModel, table=True):
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


class CheckpointRow(SQLModel, table=True):
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


class MemoryRow(SQLModel, table=True):
    __tablename__ = "memory"
    __table_args__ = (Index("ix_memory_swarm", "swarm_id"),)

    namespace: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    swarm_id: str | None = None
    value: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: float
    updated_at: float
    expires_at: float | None = Field(default=None, index=True)


class DocumentRow(SQLModel, table=True):
    __tablename__ = "document"
    __table_args__ = (Index("ix_document_swarm_seq", "swarm_id", "seq"),)

    id: str = Field(primary_key=True)
    seq: int = Field(index=True)
    swarm_id: str
    title: str
    text: str
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: float


class EventRow(SQLModel, table=True):
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

# Nullable columns added to a table after its first release. Schema creation is "by create"
# (`create_all` skips tables that exist), so a database made by an older engine gets them here.
_ADDED_COLUMNS: dict[str, tuple[str, ...]] = {"checkpoint": ("optimizer_state",)}


def _add_missing_columns(metadata: Any, connection: Connection, **kw: Any) -> None:
    existing = inspect(connection)
    # indexes added to a table after its first release (create_all makes indexes only with
    # their table)
    for table in TABLES.values():
        if not existing.has_table(table.name):
            continue
        have = {ix["name"] for ix in existing.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in have:
                index.create(connection)
    for name, columns in _ADDED_COLUMNS.items():
        if not existing.has_table(name):
            continue
        have = {c["name"] for c in existing.get_columns(name)}
        for col in columns:
            if col not in have:
                ddl = TABLES[name].c[col].type.compile(dialect=connection.dialect)
                connection.execute(text(f"ALTER TABLE {name} ADD COLUMN {col} {ddl}"))


# runs after every create_all (also when it had no table to create)
event.listen(SQLModel.metadata, "after_create", _add_missing_columns)
