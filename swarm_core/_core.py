"""EngineCore: the state every part of the engine shares (store, writer, live swarms/agents/tasks,
event log, subscribers) and the small helpers they all use. The Engine facade is assembled from
mixins over this class, one concern per module."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from anyio.abc import TaskGroup

from swarm_core._config import EngineConfig
from swarm_core._events import EventLog, Subscriber
from swarm_core._exceptions import ValidationError
from swarm_core._live import LiveState
from swarm_core._plumbing import Plumbing
from swarm_core._swarms import SwarmService
from swarm_core._types import AgentInfo, AgentType, SwarmInfo, TaskKind
from swarm_core._work import Handler, StrategyFn
from swarm_core.store._db import Store
from swarm_core.store._writer import Batch, RawJson, Writer

log = logging.getLogger("swarm_core")


class EngineCore:
    config: EngineConfig

    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self._plumb = Plumbing(config)
        self._state = LiveState()
        self._events = EventLog(self._plumb)
        self._swarm_service = SwarmService(self._plumb, self._state, self._events)
        self._pool = self._plumb.pool
        live = self._state
        self._swarms = live.swarms
        self._swarm_seq = live.swarm_seq
        self._deleting = live.deleting
        self._swarm_agents = live.swarm_agents
        self._agents = live.agents
        self._agent_seq = live.agent_seq
        self._idle = live.idle
        self._tasks = live.tasks
        self._queues = live.queues
        self._waiting = live.waiting
        self._seq = live.seq
        self._extra_handlers: dict[tuple[AgentType, TaskKind], Handler] = {}
        self._extra_strategies: dict[str, StrategyFn] = {}
        self._handler_map: dict[tuple[AgentType, TaskKind], Handler] | None = None
        self._kind_types: dict[TaskKind, list[AgentType]] = {}

    # -- plumbing --------------------------------------------------------------------------------

    @property
    def _queued(self) -> int:
        return self._state.queued

    @_queued.setter
    def _queued(self, n: int) -> None:
        self._state.queued = n

    @property
    def _tg(self) -> TaskGroup | None:
        return self._plumb.tg

    @property
    def _closing(self) -> bool:
        return self._plumb.closing

    @property
    def _store(self) -> Store:
        return self._plumb.store

    @property
    def _writer(self) -> Writer:
        return self._plumb.writer

    def _check_open(self) -> None:
        self._plumb.check_open()

    def _next_seq(self, table: str) -> int:
        return self._state.next_seq(table)

    def _emit(
        self,
        kind: str,
        swarm_id: str | None,
        subject_id: str | None,
        data: Mapping[str, Any] | None = None,
    ) -> Batch:
        return self._events.emit(kind, swarm_id, subject_id, data)

    def _notify(self, kind: str, subject_id: str) -> None:
        self._events.notify(kind, subject_id)

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback(kind, subject_id)` (kind: swarm, agent, task, model, memory, document)
        after each change; returns a function that unsubscribes. Runs on the event loop."""
        return self._events.subscribe(callback)

    # -- shims onto the services (until the scheduler is one) -------------------------------------

    def _register_swarm(self, info: SwarmInfo, seq: int) -> None:
        self._state.register_swarm(info, seq)

    def _forget_swarm(self, swarm_id: str) -> None:
        self._state.forget_swarm(swarm_id)

    def _add_live_agent(self, info: AgentInfo, seq: int) -> None:
        self._state.add_agent(info, seq)

    def _swarm(self, swarm_id: str) -> SwarmInfo:
        return self._state.swarm(swarm_id)

    def _spawn_now(self, swarm: SwarmInfo, type: str, **kw: Any) -> tuple[AgentInfo, Batch]:
        return self._swarm_service.spawn_now(swarm, type, **kw)

    def _topology_of(self, swarm_id: str) -> Any:
        return self._swarm_service.topology_of(swarm_id)

    def _notify_after(self, batch: Batch, kind: str, subject_id: str) -> None:
        self._events.notify_after(batch, kind, subject_id)

    # -- handler and strategy registries -----------------------------------------------------------

    def register_handler(
        self, agent_type: AgentType | str, kind: TaskKind | str, handler: Handler
    ) -> None:
        """Add or replace the work `agent_type` does for tasks of `kind` (extends agents.HANDLERS)."""
        self._extra_handlers[(AgentType(str(agent_type)), TaskKind(str(kind)))] = handler
        self._handler_map = None

    def register_strategy(self, strategy: str, fn: StrategyFn) -> None:
        """Add or replace an orchestration strategy (extends _strategies.STRATEGIES)."""
        self._extra_strategies[str(strategy)] = fn

    def _handlers(self) -> dict[tuple[AgentType, TaskKind], Handler]:
        if self._handler_map is None:
            reg: dict[tuple[AgentType, TaskKind], Handler] = {}
            try:
                from swarm_core import agents

                for (t, k), h in getattr(agents, "HANDLERS", {}).items():
                    reg[(AgentType(str(t)), TaskKind(str(k)))] = h
            except ImportError:  # pragma: no cover - the agents package ships with swarm_core
                pass
            reg.update(self._extra_handlers)
            kinds: dict[TaskKind, list[AgentType]] = {}
            for t, k in reg:
                kinds.setdefault(k, []).append(t)
            kinds.setdefault(TaskKind.EXTERNAL, [])
            if AgentType.EXTERNAL not in kinds[TaskKind.EXTERNAL]:
                kinds[TaskKind.EXTERNAL].append(AgentType.EXTERNAL)
            self._kind_types = kinds
            self._handler_map = reg
        return self._handler_map

    def _types_for(self, kind: TaskKind) -> list[AgentType]:
        self._handlers()
        return self._kind_types.get(kind, [])

    def _strategy_fn(self, name: str) -> StrategyFn | None:
        if name in self._extra_strategies:
            return self._extra_strategies[name]
        try:
            from swarm_core import _strategies  # type: ignore[attr-defined]
        except ImportError:
            return None
        reg = getattr(_strategies, "STRATEGIES", {})
        for key, fn in reg.items():
            if str(key) == name:
                return fn  # type: ignore[no-any-return]
        return None

    # -- small validators ------------------------------------------------------------------------

    def _check_name(self, field: str, value: object, *, required: bool = True) -> str | None:
        if value is None:
            if required:
                raise ValidationError(field, f"{field} is required")
            return None
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(field, f"{field} must be a non-empty string, got {value!r}")
        if len(value) > self.config.max_name_length:
            raise ValidationError(
                field,
                f"{field} is {len(value)} characters; the limit is max_name_length="
                f"{self.config.max_name_length}",
            )
        return value

    def _check_limit_offset(self, limit: int, offset: int) -> None:
        cap = self.config.max_query_limit
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= cap:
            raise ValidationError("limit", f"limit must be an integer in 1..{cap}, got {limit!r}")
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise ValidationError("offset", f"offset must be an integer >= 0, got {offset!r}")

    def _json_text(self, field: str, value: Any, limit: int, limit_name: str) -> RawJson:
        """The value as JSON text, checked against a size limit (reused for the write)."""
        from swarm_core._exceptions import LimitExceededError

        try:
            text = json.dumps(value, allow_nan=False, separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            raise ValidationError(field, f"{field} must be JSON-serialisable: {exc}") from None
        n = len(text)
        if n > limit:
            raise LimitExceededError(
                limit_name, n, f"{field} is {n} bytes as JSON; the limit is {limit_name}={limit}"
            )
        return RawJson(text)

    def _json_size(self, field: str, value: Any, limit: int, limit_name: str) -> int:
        return len(self._json_text(field, value, limit, limit_name))
