"""Baseline: the schema of release 0.1.0, frozen here (later changes go in later revisions).

On an empty database this creates it. A database made before migrations existed (no
`alembic_version`) has the tables already; older releases of those lacked some indexes and
`checkpoint.optimizer_state`, and are brought up to the baseline here (what the hand-written
`ALTER` list on open used to do). Nothing is dropped or rewritten, so their data stays.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _str(name: str, nullable: bool = False, **kw: object) -> sa.Column[Any]:
    return sa.Column(name, sa.String(), nullable=nullable, **kw)  # type: ignore[arg-type]


def _int(name: str, nullable: bool = False, **kw: object) -> sa.Column[Any]:
    return sa.Column(name, sa.Integer(), nullable=nullable, **kw)  # type: ignore[arg-type]


def _float(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.Float(), nullable=nullable)


def _json(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.JSON(), nullable=nullable)


def _blob(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.LargeBinary(), nullable=nullable)


def _tables() -> dict[str, list[sa.Column[Any]]]:
    # fresh Column objects per call: a Column belongs to one table
    return {
        "meta": [_str("key", primary_key=True), _str("value")],
        "swarm": [
            _str("id", primary_key=True),
            _int("seq"),
            _str("name"),
            _str("topology"),
            _str("strategy"),
            _int("max_agents"),
            _float("created_at"),
        ],
        "agent": [
            _str("id", primary_key=True),
            _int("seq"),
            _str("swarm_id"),
            _str("type"),
            _str("role"),
            _str("name"),
            _json("capabilities"),
            _str("cognitive_pattern", True),
            _str("status"),
            _float("created_at"),
            _float("terminated_at", True),
            _int("tasks_completed"),
            _int("tasks_failed"),
            _str("current_task_id", True),
            _json("limits"),
        ],
        "agent_capability": [
            _str("agent_id", primary_key=True),
            _str("capability", primary_key=True),
            _str("swarm_id"),
            _int("seq"),
        ],
        "task": [
            _str("id", primary_key=True),
            _int("seq"),
            _str("swarm_id"),
            _str("kind"),
            _str("status"),
            _int("priority"),
            _str("strategy", True),
            _str("agent_id", True),
            _json("agent_ids"),
            _str("parent_id", True),
            _json("depends_on"),
            _float("timeout_seconds", True),
            _json("payload"),
            _float("created_at"),
            _float("started_at", True),
            _float("finished_at", True),
            _float("duration_ms", True),
            _float("progress"),
            _str("progress_message", True),
            _json("result", True),
            _str("error", True),
            _int("attempts"),
        ],
        "model": [
            _str("id", primary_key=True),
            _int("seq"),
            _str("swarm_id"),
            _str("agent_id", True),
            _str("task_id", True),
            _str("name"),
            _json("layers"),
            _json("activations"),
            _str("algorithm", True),
            _float("created_at"),
            _json("metrics"),
            _json("history"),
            sa.Column("is_classifier", sa.Boolean(), nullable=False),
            _int("n_inputs"),
            _int("n_outputs"),
            _int("size_bytes"),
            _json("extra"),
            _blob("weights"),
        ],
        "checkpoint": [
            _str("task_id", primary_key=True),
            _str("swarm_id"),
            _str("algorithm"),
            _int("epochs_done"),
            _float("created_at"),
            _int("size_bytes"),
            _json("meta"),
            _blob("network"),
            _blob("history_mse"),
            _blob("history_bit_fail"),
            _blob("optimizer_state", True),
        ],
        "memory": [
            _str("namespace", primary_key=True),
            _str("key", primary_key=True),
            _str("swarm_id", True),
            _json("value", True),
            _float("created_at"),
            _float("updated_at"),
            _float("expires_at", True),
        ],
        "document": [
            _str("id", primary_key=True),
            _int("seq"),
            _str("swarm_id"),
            _str("title"),
            _str("text"),
            _json("meta"),
            _float("created_at"),
        ],
        "event": [
            _int("id", primary_key=True),
            _float("ts"),
            _str("swarm_id", True),
            _str("kind"),
            _str("subject_id", True),
            _json("data"),
        ],
    }


INDEXES: dict[str, dict[str, tuple[str, ...]]] = {
    "swarm": {"ix_swarm_seq": ("seq",)},
    "agent": {
        "ix_agent_seq": ("seq",),
        "ix_agent_swarm_status_type_seq": ("swarm_id", "status", "type", "seq"),
        "ix_agent_swarm_type_seq": ("swarm_id", "type", "seq"),
        "ix_agent_swarm_seq": ("swarm_id", "seq"),
        "ix_agent_status_type_seq": ("status", "type", "seq"),
        "ix_agent_type_seq": ("type", "seq"),
    },
    "agent_capability": {
        "ix_capability_swarm_seq": ("capability", "swarm_id", "seq"),
        "ix_capability_seq": ("capability", "seq"),
    },
    "task": {
        "ix_task_seq": ("seq",),
        "ix_task_swarm_seq": ("swarm_id", "seq"),
        "ix_task_swarm_status_seq": ("swarm_id", "status", "seq"),
        "ix_task_status_seq": ("status", "seq"),
        "ix_task_parent": ("parent_id",),
        "ix_task_agent_seq": ("agent_id", "seq"),
        "ix_task_finished_at": ("finished_at",),
    },
    "model": {"ix_model_seq": ("seq",), "ix_model_swarm_seq": ("swarm_id", "seq")},
    "memory": {"ix_memory_swarm": ("swarm_id",), "ix_memory_expires_at": ("expires_at",)},
    "document": {"ix_document_seq": ("seq",), "ix_document_swarm_seq": ("swarm_id", "seq")},
    "event": {"ix_event_swarm_id": ("swarm_id", "id"), "ix_event_kind_id": ("kind", "id")},
}

# nullable columns that releases before the baseline added after a table's first version
ADDED_COLUMNS: dict[str, tuple[str, ...]] = {"checkpoint": ("optimizer_state",)}


def upgrade() -> None:
    existing = sa.inspect(op.get_bind())
    tables = _tables()
    for name, columns in tables.items():
        if not existing.has_table(name):
            op.create_table(name, *columns)
            for ix, cols in INDEXES.get(name, {}).items():
                op.create_index(ix, name, list(cols))
            continue
        have_cols = {c["name"] for c in existing.get_columns(name)}
        for column in columns:
            if column.name not in have_cols:
                if column.name not in ADDED_COLUMNS.get(name, ()):
                    # no release made this table without it: not a database of ours
                    raise RuntimeError(f"table {name} has no column {column.name}")
                op.add_column(name, column)
        have_ix = {ix["name"] for ix in existing.get_indexes(name)}
        for ix, cols in INDEXES.get(name, {}).items():
            if ix not in have_ix:
                op.create_index(ix, name, list(cols))


def downgrade() -> None:
    for name in reversed(list(_tables())):
        op.drop_table(name)
