"""LiveState: what the owning process keeps in memory between store writes (live swarms and
agents, unfinished task runs, routing queues, sequence counters) with its small mutators.

Only the event loop touches it. Services read and change it through these methods; the
store stays the record (every change here is queued to the Writer by the service making it).
"""

from __future__ import annotations

import weakref
from collections import deque

from swarm_core._exceptions import NotFoundError, ValidationError
from swarm_core._tasks import RoutingQueues, TaskRun
from swarm_core._types import AgentInfo, AgentStatus, AgentType, SwarmInfo


class LiveState:
    def __init__(self) -> None:
        self.swarms: dict[str, SwarmInfo] = {}
        self.swarm_seq: dict[str, int] = {}
        self.deleting: set[str] = set()  # swarms being deleted: no new work, not listed
        self.swarm_agents: dict[str, dict[str, AgentInfo]] = {}  # live agents, join order
        self.agents: dict[str, AgentInfo] = {}  # live (non-terminated) agents
        self.agent_seq: dict[str, int] = {}
        self.idle: dict[tuple[str, AgentType], dict[str, None]] = {}
        self.tasks: dict[str, TaskRun] = {}
        self.queues = RoutingQueues()
        self.waiting: dict[str, set[str]] = {}  # dependency id -> dependent task ids
        self.queued = 0  # client tasks not started yet (the bounded queue)
        self.seq: dict[str, int] = {}  # table -> last seq handed out
        self.timeouts: list[tuple[float, int, weakref.ref[TaskRun]]] = []
        self.inboxes: dict[str, deque[TaskRun]] = {}  # busy agent -> runs queued for it

    def next_seq(self, table: str) -> int:
        n = self.seq.get(table, 0) + 1
        self.seq[table] = n
        return n

    # -- swarms and agents ---------------------------------------------------------------------

    def swarm(self, swarm_id: str) -> SwarmInfo:
        """The live swarm (NotFoundError if unknown or being deleted)."""
        if not isinstance(swarm_id, str):
            raise ValidationError("swarm_id", f"swarm_id must be a string, got {swarm_id!r}")
        s = self.swarms.get(swarm_id)
        if s is None or swarm_id in self.deleting:
            raise NotFoundError("swarm", swarm_id)
        return s

    def register_swarm(self, info: SwarmInfo, seq: int) -> None:
        self.swarms[info.id] = info
        self.swarm_seq[info.id] = seq
        self.swarm_agents.setdefault(info.id, {})

    def forget_swarm(self, swarm_id: str) -> None:
        """Drop a swarm and its live agents from memory (its rows are the caller's business)."""
        for aid in list(self.swarm_agents.pop(swarm_id, {})):
            a = self.agents.pop(aid, None)
            self.agent_seq.pop(aid, None)
            if a is not None:
                self.idle.get((swarm_id, a.type), {}).pop(aid, None)
        for key in [k for k in self.idle if k[0] == swarm_id]:
            del self.idle[key]
        self.swarms.pop(swarm_id, None)
        self.swarm_seq.pop(swarm_id, None)

    def add_agent(self, info: AgentInfo, seq: int) -> None:
        self.agents[info.id] = info
        self.agent_seq[info.id] = seq
        self.swarm_agents[info.swarm_id][info.id] = info
        if info.status is AgentStatus.IDLE:
            self.idle.setdefault((info.swarm_id, info.type), {})[info.id] = None

    def remove_agent(self, agent: AgentInfo) -> None:
        self.agents.pop(agent.id, None)
        self.swarm_agents.get(agent.swarm_id, {}).pop(agent.id, None)
        idle = self.idle.get((agent.swarm_id, agent.type))
        if idle is not None:
            idle.pop(agent.id, None)

    def set_idle(self, agent: AgentInfo) -> None:
        agent.status = AgentStatus.IDLE
        agent.current_task_id = None
        self.idle.setdefault((agent.swarm_id, agent.type), {})[agent.id] = None

    def take_idle(self, agent: AgentInfo) -> None:
        self.idle.get((agent.swarm_id, agent.type), {}).pop(agent.id, None)

    def live_agents(self, swarm_id: str) -> list[AgentInfo]:
        return list(self.swarm_agents.get(swarm_id, {}).values())

    def swarm_runs(self, swarm_id: str) -> list[TaskRun]:
        return [r for r in self.tasks.values() if r.info.swarm_id == swarm_id]
