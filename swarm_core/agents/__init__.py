"""Agent kinds: the in-process work each agent type does, registered per (AgentType, TaskKind).

`HANDLERS[(agent type, task kind)]` is the coroutine `handler(ctx, payload) -> result dict` the
engine runs when an agent of that type takes a task of that kind; an agent can take a task iff
its pair is a key. `external` agents have no handler: their tasks wait for the client's
`complete_external_task` (the engine parks them; see `_external` for what they receive).
"""

from __future__ import annotations

from swarm_core._types import AgentType, TaskKind
from swarm_core._work import Handler
from swarm_core.agents import (
    _analyst,
    _coordinator,
    _neural_processor,
    _optimizer,
    _researcher,
)

HANDLERS: dict[tuple[AgentType, TaskKind], Handler] = {
    (AgentType.NEURAL_PROCESSOR, TaskKind.TRAIN): _neural_processor.train,
    (AgentType.NEURAL_PROCESSOR, TaskKind.PREDICT): _neural_processor.predict,
    (AgentType.NEURAL_PROCESSOR, TaskKind.EVALUATE): _neural_processor.evaluate,
    (AgentType.RESEARCHER, TaskKind.INGEST): _researcher.ingest,
    (AgentType.RESEARCHER, TaskKind.SEARCH): _researcher.search,
    (AgentType.COORDINATOR, TaskKind.WORKFLOW): _coordinator.run,
    (AgentType.ANALYST, TaskKind.EVALUATE): _analyst.evaluate,
    (AgentType.OPTIMIZER, TaskKind.OPTIMIZE): _optimizer.optimize,
}

__all__ = ["HANDLERS"]
