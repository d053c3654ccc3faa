"""The WorkContext: what agent handlers and strategies get when the engine runs their task.

Registries the engine is given (`Engine(config, handlers=..., strategies=...)`; by default
these two, imported on first use by `_engine.py` and by nothing below it):

- `swarm_core.agents.HANDLERS: Mapping[tuple[AgentType, TaskKind], Handler]` — the work an agent
  type does for a task kind. An agent can take a task iff `(agent.type, task.kind)` is a key.
  A task for an `external` agent never runs a handler: it waits for `complete_external_task`.
- `swarm_core._strategies.STRATEGIES: Mapping[Strategy, StrategyFn]` — how an `orchestrate` task
  spreads its work; it runs with `ctx.agent is None` and hands work out with `ctx.dispatch`.
- `swarm_core._topology.build_topology(kind, agent_ids, agent_types=...)` — `ctx.topology`.

Payload conventions of the Engine's convenience methods (what the handlers receive):

- train:    {"data": {"inputs": [[...]], "outputs": [[...]]} | "path.data", "algorithm": str,
             "layers": [hidden sizes], "activation": str, "epochs": int, "desired_error": float,
             "validation_split": float, "seed": int | None}
            -> result {"model_id": str, "history": {...}, ...}; a retried train task also
               carries "resumed_from_epoch" (int | None) and "resume_note"
- predict:  {"model_id": str, "inputs": [[...]]} -> {"outputs": [[...]], "labels": [...] | None}
- evaluate: {"model_id": str, "data": <as train>} -> metrics dict
- orchestrate: {"task": dict | str, "max_agents": int | None} (strategy is the task's strategy)

Handlers must be cooperative: CPU loops check `ctx.cancel_event` (set on cancel and on timeout),
e.g. in a `neural.train` callback that raises `TaskCancelledError`; async waits are cancelled by
the engine directly.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from swarm_core._types import (
    AgentInfo,
    AgentType,
    DocumentHit,
    MemoryEntry,
    SwarmInfo,
    TaskInfo,
    TaskKind,
)

if TYPE_CHECKING:
    from swarm_core._checkpoint import Checkpoint
    from swarm_core._config import EngineConfig

_T = TypeVar("_T")


@runtime_checkable
class WorkContext(Protocol):
    """Everything a handler or strategy may touch while its task runs (never the Engine)."""

    @property
    def config(self) -> EngineConfig: ...

    @property
    def task(self) -> TaskInfo:
        """The running task (a live view: status, progress, payload, parent_id...)."""
        ...

    @property
    def swarm(self) -> SwarmInfo: ...

    @property
    def agent(self) -> AgentInfo | None:
        """The agent the task runs on; None for `orchestrate` tasks (strategies)."""
        ...

    @property
    def topology(self) -> Any:
        """The swarm's topology graph (`_topology.TopologyGraph`) over its live agents."""
        ...

    @property
    def cancel_event(self) -> threading.Event:
        """Set when the task is cancelled or times out; CPU loops poll it (thread-safe)."""
        ...

    def agents(
        self, type: AgentType | str | None = None, *, kind: TaskKind | str | None = None
    ) -> list[AgentInfo]:
        """The swarm's live (non-terminated) agents in join order, optionally only one type or
        only those able to take tasks of `kind`."""
        ...

    def check_cancelled(self) -> None:
        """Raise TaskCancelledError if the task was cancelled or timed out."""
        ...

    async def report_progress(self, fraction: float, message: str | None = None) -> None:
        """Record progress 0..1 on the task (persisted, coalesced) and notify the client."""
        ...

    async def run_cpu(self, fn: Callable[..., _T], *args: Any) -> _T:
        """Run `fn(*args)` in a worker thread under the engine's CPU capacity limiter."""
        ...

    async def dispatch(
        self,
        agent_id: str,
        kind: TaskKind | str,
        payload: Mapping[str, Any],
        *,
        timeout_seconds: float | None = None,
        stored_result: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Run a child task (parent_id = this task) on `agent_id` and return its result.

        Waits for the agent if it is busy; raises TaskFailedError if the child fails,
        TaskCancelledError if it is cancelled. Cancelling this task cancels its children.
        `stored_result(result)` is what the child's row keeps instead of the full result (for
        a fan-out whose parent stores the merged result, so each hit is not stored twice).
        """
        ...

    async def save_model(self, net: Any, meta: Mapping[str, Any]) -> str:
        """Store a `neural.Network` (weights via `to_bytes()`) and return its model id.

        meta keys: name, layers (all layer sizes, input..output), activations, algorithm,
        metrics (dict), history (dict), is_classifier (bool).
        """
        ...

    async def load_model(self, model_id: str) -> tuple[Any, ModelMeta]:
        """The stored `neural.Network` (cached, shared: do not mutate) and its metadata."""
        ...

    async def load_data(self, spec: Any) -> Any:
        """A `neural.TrainingData` from inline {"inputs", "outputs"} or a FANN .data path,
        checked against the engine's dataset limits. A path must lie inside an allowed data
        root (the engine's configured ones, or those the task was submitted with)."""
        ...

    async def load_table(self, spec: Any, options: Any = None) -> Any:
        """A `swarm_core._tabular_io.Table` from a table file path, inline {columns, rows} or
        records; ``options``: format, delimiter, header."""
        ...

    def table_limits(self) -> Any:
        """The engine's `TableLimits` (rows, columns, cells, file size)."""
        ...

    def prep_limits(self) -> Any:
        """The engine's `PrepLimits` (category levels, classes, encoded inputs)."""
        ...

    @property
    def checkpoint_seconds(self) -> float:
        """How often (seconds) a long CPU loop should offer a checkpoint; 0 = only when stopped."""
        ...

    @property
    def resume_requested(self) -> bool:
        """True when this run is a `retry_task(..., resume=True)` of a train task."""
        ...

    @property
    def checkpoint(self) -> Checkpoint | None:
        """The checkpoint this run resumes from (None: start from scratch)."""
        ...

    def save_checkpoint(self, ckpt: Checkpoint) -> None:
        """Store `ckpt` as the task's only checkpoint (replacing the previous one)."""
        ...

    async def emit(self, kind: str, data: Mapping[str, Any] | None = None) -> None:
        """Append an event (subject = this task) to the swarm's event log."""
        ...

    # -- the task's swarm: knowledge base, memory, agents ---------------------------------------

    async def search_knowledge(self, query: str, limit: int = 10) -> list[DocumentHit]:
        """The swarm's best documents for `query` (BM25)."""
        ...

    async def knowledge_passages(self, query: str, limit: int = 10) -> list[Any]:
        """The swarm's best passages (chunks) for `query`, for extractive answers."""
        ...

    async def add_document(
        self, title: str, text: str, metadata: Mapping[str, Any] | None = None
    ) -> str:
        """Store and index a document in the swarm's knowledge base; returns its id."""
        ...

    async def spawn_agent(
        self,
        type: str,
        *,
        name: str | None = None,
        capabilities: Iterable[str] | None = (),
        cognitive_pattern: str | None = None,
    ) -> AgentInfo:
        """Add an agent to the task's swarm (within its max_agents)."""
        ...

    async def memory_store(
        self, namespace: str, key: str, value: Any, ttl_seconds: float | None = None
    ) -> MemoryEntry:
        """Set a shared-memory value (as Engine.memory_store)."""
        ...

    async def memory_get(self, namespace: str, key: str) -> MemoryEntry:
        """A live shared-memory entry (NotFoundError if absent or expired)."""
        ...

    async def memory_delete(self, namespace: str, key: str) -> bool:
        """Delete a shared-memory entry; True if a live one existed."""
        ...

    async def memory_list(
        self, namespace: str | None = None, prefix: str | None = None, limit: int = 100
    ) -> list[MemoryEntry]:
        """Live shared-memory entries, by namespace and key prefix."""
        ...


ModelMeta = dict[str, Any]
Handler = Callable[[WorkContext, dict[str, Any]], Awaitable[dict[str, Any]]]
StrategyFn = Callable[[WorkContext, dict[str, Any]], Awaitable[dict[str, Any]]]
HandlerRegistry = Mapping[tuple[AgentType, TaskKind], Handler]
StrategyRegistry = Mapping[Any, StrategyFn]

__all__ = [
    "Handler",
    "HandlerRegistry",
    "ModelMeta",
    "StrategyFn",
    "StrategyRegistry",
    "WorkContext",
]
