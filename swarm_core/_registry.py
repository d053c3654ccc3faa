"""Who can do what: the handler registry (agent type x task kind -> Handler) and the strategy
registry (name -> StrategyFn), given to the Engine and extended at run time.

The defaults (`swarm_core.agents.HANDLERS`, `swarm_core._strategies.STRATEGIES`) are wired in
by `_engine.py` as loaders, called on first use: they import numpy and `neural`, which must not
load with the MCP server at startup."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from swarm_core._types import AgentType, TaskKind
from swarm_core._work import Handler, StrategyFn

HandlerSource = Mapping[Any, Handler] | Callable[[], Mapping[Any, Handler]]
StrategySource = Mapping[Any, StrategyFn] | Callable[[], Mapping[Any, StrategyFn]]


def _resolve(source: Any) -> Mapping[Any, Any]:
    return source() if callable(source) else source  # type: ignore[no-any-return]


class Registry:
    def __init__(self, handlers: HandlerSource, strategies: StrategySource) -> None:
        self._handler_source = handlers
        self._strategy_source = strategies
        self._extra_handlers: dict[tuple[AgentType, TaskKind], Handler] = {}
        self._extra_strategies: dict[str, StrategyFn] = {}
        self._handler_map: dict[tuple[AgentType, TaskKind], Handler] | None = None
        self._strategy_map: dict[str, StrategyFn] | None = None
        self._kind_types: dict[TaskKind, list[AgentType]] = {}

    def register_handler(
        self, agent_type: AgentType | str, kind: TaskKind | str, handler: Handler
    ) -> None:
        self._extra_handlers[(AgentType(str(agent_type)), TaskKind(str(kind)))] = handler
        self._handler_map = None

    def register_strategy(self, strategy: str, fn: StrategyFn) -> None:
        self._extra_strategies[str(strategy)] = fn

    def handlers(self) -> dict[tuple[AgentType, TaskKind], Handler]:
        if self._handler_map is None:
            reg: dict[tuple[AgentType, TaskKind], Handler] = {}
            for (t, k), h in _resolve(self._handler_source).items():
                reg[(AgentType(str(t)), TaskKind(str(k)))] = h
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

    def handler(self, agent_type: AgentType, kind: TaskKind) -> Handler | None:
        return self.handlers().get((agent_type, kind))

    def kind_types(self) -> dict[TaskKind, list[AgentType]]:
        """Task kind -> the agent types that take it."""
        self.handlers()
        return self._kind_types

    def types_for(self, kind: TaskKind) -> list[AgentType]:
        return self.kind_types().get(kind, [])

    def strategy(self, name: str) -> StrategyFn | None:
        if name in self._extra_strategies:
            return self._extra_strategies[name]
        if self._strategy_map is None:
            self._strategy_map = {str(k): fn for k, fn in _resolve(self._strategy_source).items()}
        return self._strategy_map.get(name)
