"""EngineConfig: every limit the engine enforces, each validated and overridable."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from swarm_core import _limits as L
from swarm_core._exceptions import ValidationError

DB_ENV = "RUV_SWARM_DB"
APP_DIR = "ruv-swarm-mcp"
DB_FILE = "swarm.db"


def default_db_path() -> Path:
    """$XDG_DATA_HOME/ruv-swarm-mcp/swarm.db (XDG_DATA_HOME defaults to ~/.local/share)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / APP_DIR / DB_FILE


class EngineConfig(BaseModel):
    """Engine settings. `db`: None = $RUV_SWARM_DB or the default file; a path; ':memory:'; or
    any SQLAlchemy URL (e.g. 'sqlite:////tmp/x.db', 'postgresql+psycopg://...')."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    db: str | None = None
    # FULL: a returned call survives an OS crash / power loss (WAL fsync at every group commit).
    # NORMAL: survives a process crash (SIGKILL) but the last commits may be lost on OS crash.
    synchronous: Literal["FULL", "NORMAL"] = "FULL"
    max_swarms: int = Field(1_000, ge=1, le=1_000_000)
    max_agents_default: int = Field(L.MAX_AGENTS_DEFAULT, ge=1)
    max_agents_limit: int = Field(L.MAX_AGENTS_LIMIT, ge=1, le=1_000_000)
    max_queued_tasks: int = Field(10_000, ge=1, le=10_000_000)
    cpu_workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=1024)
    max_network_weights: int = Field(10_000_000, ge=1)
    max_dataset_samples: int = Field(1_000_000, ge=1)
    max_dataset_features: int = Field(100_000, ge=1)
    # samples x (inputs + outputs) of one dataset: 50 M values are 200 MB as float32
    max_dataset_values: int = Field(50_000_000, ge=1)
    # inflated bytes of one imported native model; None: 40 bytes per max_network_weights
    # (float64 weights plus per-unit arrays of a network at the weight limit) + 1 MiB
    max_model_bytes: int | None = Field(None, ge=1024)
    # what cascade training allocates up front: the unit values of every sample for every unit
    # it may add (4 bytes each) plus the candidates' weights
    max_cascade_workspace_bytes: int = Field(512 * 2**20, ge=2**20)
    # rows x outputs one predict call computes and returns
    max_predict_values: int = Field(2_000_000, ge=1)
    # tables (CSV, Parquet, ...): file size, rows x columns, kept levels of a categorical
    # feature (the rest share one "other" input) and classes of a target
    max_table_file_bytes: int = Field(4 * 1024**3, ge=1)
    max_table_cells: int = Field(200_000_000, ge=1)
    max_category_levels: int = Field(100, ge=1, le=100_000)
    max_classes: int = Field(1_000, ge=2, le=100_000)
    max_epochs: int = Field(L.MAX_EPOCHS, ge=1)
    max_train_seconds: float = Field(L.MAX_TRAIN_SECONDS, gt=0, le=L.MAX_TRAIN_SECONDS_CEILING)
    default_task_timeout: float | None = Field(3_600.0, gt=0)
    max_task_timeout: float = Field(7 * 24 * 3_600.0, gt=0)
    max_payload_bytes: int = Field(16 * 1024 * 1024, ge=1)
    max_memory_value_bytes: int = Field(L.MAX_MEMORY_VALUE_BYTES, ge=1)
    max_key_length: int = Field(L.MAX_KEY_LENGTH, ge=1)
    max_document_bytes: int = Field(L.MAX_DOCUMENT_BYTES, ge=1)
    max_name_length: int = Field(L.MAX_NAME_LENGTH, ge=1)
    max_query_limit: int = Field(L.MAX_QUERY_LIMIT, ge=1)
    max_batch_ops: int = Field(5_000, ge=1)  # writes folded into one group commit
    memory_purge_interval: float = Field(30.0, gt=0)
    model_cache_size: int = Field(64, ge=0)
    cancel_wait_seconds: float = Field(30.0, ge=0)
    # a running train task stores its network and history at most this often (seconds), so an
    # interrupted or failed run can resume; 0 = no periodic checkpoints (a task that is being
    # stopped still saves one)
    checkpoint_seconds: float = Field(10.0, ge=0, le=86_400)
    # checkpoints of tasks that failed or were interrupted and never retried are dropped after
    # this long, and beyond the newest max_checkpoints (those of live tasks are always kept)
    checkpoint_max_age_seconds: float = Field(7 * 86_400.0, gt=0)
    max_checkpoints: int = Field(1_000, ge=1)
    # Directories (or files, or file:// URIs) user data files may be read from; a call may add
    # its own (an MCP client's roots). No root: every file path is refused (see _paths.py).
    data_roots: list[str] = Field(default_factory=list, max_length=1_000)
    data_dir: str | None = None  # older name of a single data root, still honoured
    # Finished tasks (with their results) are deleted once older than task_retention_seconds or
    # beyond the newest max_finished_tasks; events likewise by age and beyond the newest
    # max_events ids. Tasks that are pending or running, or whose checkpoint is kept for a
    # retry, are never deleted. Purged every memory_purge_interval seconds.
    task_retention_seconds: float = Field(7 * 86_400.0, gt=0)
    max_finished_tasks: int = Field(50_000, ge=1)
    event_retention_seconds: float = Field(7 * 86_400.0, gt=0)
    max_events: int = Field(200_000, ge=1)
    # a fan-out search (one query over many researchers) keeps at most this many distinct hits
    max_fanout_hits: int = Field(50, ge=1, le=10_000)

    @field_validator("db")
    @classmethod
    def _db_not_blank(cls, v: str | None) -> str | None:
        if v is not None and not str(v).strip():
            raise ValueError("db must be a path, ':memory:' or a SQLAlchemy URL")
        return v

    @field_validator("data_roots")
    @classmethod
    def _roots_not_blank(cls, v: list[str]) -> list[str]:
        if any(not str(r).strip() for r in v):
            raise ValueError("data_roots entries must be non-empty paths")
        return v

    def all_data_roots(self) -> list[str]:
        """The configured data roots, `data_dir` last."""
        return [*self.data_roots, *([self.data_dir] if self.data_dir else [])]

    @model_validator(mode="after")
    def _coherent(self) -> EngineConfig:
        if self.max_agents_default > self.max_agents_limit:
            raise ValueError(
                f"max_agents_default ({self.max_agents_default}) exceeds max_agents_limit "
                f"({self.max_agents_limit})"
            )
        if (
            self.default_task_timeout is not None
            and self.default_task_timeout > self.max_task_timeout
        ):
            raise ValueError("default_task_timeout exceeds max_task_timeout")
        return self

    def model_bytes_limit(self) -> int:
        """max_model_bytes, or its default derived from max_network_weights."""
        if self.max_model_bytes is not None:
            return self.max_model_bytes
        return 40 * self.max_network_weights + 2**20

    def database_url(self) -> str:
        """The SQLAlchemy URL this config resolves to (creating the parent dir of a file DB)."""
        raw = self.db or os.environ.get(DB_ENV) or str(default_db_path())
        if raw == ":memory:":
            return "sqlite://"
        if "://" in raw:
            return raw
        path = Path(raw).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path.resolve()}"


def make_config(config: EngineConfig | None = None, **overrides: object) -> EngineConfig:
    """An EngineConfig from a base plus keyword overrides, errors as ValidationError."""
    from pydantic import ValidationError as PydanticValidationError

    try:
        if config is None:
            return EngineConfig(**overrides)  # type: ignore[arg-type]
        return (
            config.model_copy(update=overrides)
            if not overrides
            else EngineConfig(**{**config.model_dump(), **overrides})
        )
    except PydanticValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err.get("loc", ())) or "config"
        raise ValidationError(field, f"invalid engine config {field}: {err['msg']}") from None
