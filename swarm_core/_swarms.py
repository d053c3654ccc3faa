"""Swarms and agents: creation with enforced limits, indexed queries, termination."""

from __future__ import annotations

import functools
import time
from collections import Counter
from collections.abc import Collection, Iterable
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import func, select

from swarm_core import _convert as conv
from swarm_core._core import EngineCore
from swarm_core._exceptions import (
    InvalidStateError,
    LimitExceededError,
    NotFoundError,
    ValidationError,
)
from swarm_core._ids import new_id
from swarm_core._types import (
    AgentInfo,
    AgentStatus,
    AgentType,
    SwarmInfo,
    SwarmStatus,
    parse_agent_status,
    parse_agent_type,
    parse_strategy,
    parse_topology,
)
from swarm_core.store._tables import TABLES
from swarm_core.store._writer import INSERT, UPDATE, Batch

_AGENT_LIST: TypeAdapter[list[AgentInfo]] = TypeAdapter(list[AgentInfo])

MAX_CAPABILITIES = 64
MAX_CAPABILITY_LENGTH = 100


class SwarmOps(EngineCore):
    def _notify_after(self, batch: Batch, kind: str, subject_id: str) -> None:
        """Report the change once its batch has committed: subscribers (resource-update
        notifications) then never announce state that is not on disk yet, and their work runs
        after the caller's answer instead of delaying the commit."""
        batch.callbacks.append(functools.partial(self._notify, kind, subject_id))

    # -- swarms ------------------------------------------------------------------------------

    async def create_swarm(
        self,
        name: str | None = None,
        topology: str = "mesh",
        strategy: str = "parallel",
        max_agents: int | None = None,
    ) -> SwarmInfo:
        self._check_open()
        topo = parse_topology(topology)
        strat = parse_strategy(strategy)
        self._check_name("name", name, required=False)
        cap = self.config.max_agents_limit
        if max_agents is None:
            max_agents = self.config.max_agents_default
        if not isinstance(max_agents, int) or isinstance(max_agents, bool) or max_agents < 1:
            raise ValidationError(
                "max_agents", f"max_agents must be an integer >= 1, got {max_agents!r}"
            )
        if max_agents > cap:
            raise LimitExceededError(
                "max_agents_limit",
                max_agents,
                f"max_agents={max_agents} exceeds max_agents_limit={cap}",
            )
        if len(self._swarms) >= self.config.max_swarms:
            raise LimitExceededError(
                "max_swarms",
                len(self._swarms),
                f"{len(self._swarms)} swarms exist; the limit is max_swarms={self.config.max_swarms}",
            )
        sid = new_id("swarm")
        info = SwarmInfo(
            id=sid,
            name=name or sid,
            topology=topo,
            strategy=strat,
            max_agents=max_agents,
            created_at=time.time(),
        )
        seq = self._next_seq("swarm")
        self._register_swarm(info, seq)
        self._writer.row("swarm", INSERT, conv.swarm_row(info, seq))
        batch = self._emit(
            "swarm_created",
            sid,
            sid,
            {
                "name": info.name,
                "topology": topo.value,
                "strategy": strat.value,
                "max_agents": max_agents,
            },
        )
        self._notify_after(batch, "swarm", sid)
        await batch.wait()
        return info.model_copy()

    async def get_swarm(self, swarm_id: str) -> SwarmInfo:
        return self._swarm(swarm_id).model_copy()

    async def list_swarms(self) -> list[SwarmInfo]:
        order = sorted(
            (s for s in self._swarms if s not in self._deleting), key=self._swarm_seq.__getitem__
        )
        return [self._swarms[s].model_copy() for s in order]

    async def resolve_swarm(
        self, swarm_id: str | None = None, *, exclude: Collection[str] = ()
    ) -> SwarmInfo:
        """The given swarm; with None, the most recently created swarm that is not in
        `exclude` (e.g. a benchmark's scratch swarms) and not being deleted."""
        if swarm_id is not None:
            return self._swarm(swarm_id).model_copy()
        candidates = [s for s in self._swarms if s not in self._deleting and s not in exclude]
        if not candidates:
            raise NotFoundError(
                "swarm", None, "no swarm exists yet; create one first (call swarm_init)"
            )
        latest = max(candidates, key=self._swarm_seq.__getitem__)
        return self._swarms[latest].model_copy()

    async def swarm_status(self, swarm_id: str) -> SwarmStatus:
        swarm = self._swarm(swarm_id)
        live = list(self._swarm_agents[swarm_id].values())

        def counts(conn: Any) -> tuple[dict[str, int], int, int, int, int]:
            t = TABLES["task"]
            by_status = dict(
                conn.execute(
                    select(t.c.status, func.count())
                    .where(t.c.swarm_id == swarm_id)
                    .group_by(t.c.status)
                ).all()
            )
            a = TABLES["agent"]
            terminated = conn.execute(
                select(func.count()).where(a.c.swarm_id == swarm_id, a.c.status == "terminated")
            ).scalar_one()
            models = conn.execute(
                select(func.count()).where(TABLES["model"].c.swarm_id == swarm_id)
            ).scalar_one()
            docs = conn.execute(
                select(func.count()).where(TABLES["document"].c.swarm_id == swarm_id)
            ).scalar_one()
            m = TABLES["memory"]
            now = time.time()
            mem = conn.execute(
                select(func.count()).where(
                    m.c.swarm_id == swarm_id, (m.c.expires_at.is_(None)) | (m.c.expires_at > now)
                )
            ).scalar_one()
            return by_status, terminated, models, docs, mem

        by_status, terminated, models, docs, mem = self._store.read(counts)
        # live tasks may be ahead of their last commit: count them from memory
        for run in self._tasks.values():
            if run.info.swarm_id == swarm_id:
                by_status[run.info.status.value] = by_status.get(run.info.status.value, 0) + 1
        live_ids = {r.id for r in self._tasks.values() if r.info.swarm_id == swarm_id}
        if live_ids:
            stored = self._store.read(
                lambda c: (
                    c.execute(
                        select(TABLES["task"].c.status).where(TABLES["task"].c.id.in_(live_ids))
                    )
                    .scalars()
                    .all()
                )
            )
            for st in stored:
                by_status[st] -= 1
        status_counts = Counter(a.status.value for a in live)
        if terminated:
            status_counts["terminated"] = terminated
        return SwarmStatus(
            swarm=swarm.model_copy(),
            agents_total=len(live),
            agents_by_status=dict(status_counts),
            agents_by_type=dict(Counter(a.type.value for a in live)),
            tasks_by_status={k: v for k, v in by_status.items() if v},
            models=models,
            documents=docs,
            memory_entries=mem,
            topology=self._topology_of(swarm_id).to_dict() if live else {},
        )

    def _topology_of(self, swarm_id: str, agents: Iterable[AgentInfo] | None = None) -> Any:
        from swarm_core._topology import build_topology

        swarm = self._swarms[swarm_id]
        live = list(agents) if agents is not None else list(self._swarm_agents[swarm_id].values())
        return build_topology(
            swarm.topology.value,
            [a.id for a in live],
            agent_types={a.id: a.type.value for a in live},
        )

    # -- agents ------------------------------------------------------------------------------

    def _validate_capabilities(self, capabilities: Iterable[str] | None) -> list[str]:
        if capabilities is None:
            return []
        if isinstance(capabilities, str):
            raise ValidationError("capabilities", "capabilities must be a list of strings")
        caps = list(dict.fromkeys(capabilities))
        if len(caps) > MAX_CAPABILITIES:
            raise ValidationError(
                "capabilities", f"{len(caps)} capabilities given; the limit is {MAX_CAPABILITIES}"
            )
        for c in caps:
            if not isinstance(c, str) or not c.strip() or len(c) > MAX_CAPABILITY_LENGTH:
                raise ValidationError(
                    "capabilities",
                    f"each capability must be a non-empty string of at most "
                    f"{MAX_CAPABILITY_LENGTH} characters, got {c!r}",
                )
        return caps

    def _spawn_now(
        self,
        swarm: SwarmInfo,
        type: str,
        name: str | None = None,
        capabilities: Iterable[str] | None = (),
        cognitive_pattern: str | None = None,
        *,
        auto: bool = False,
        max_task_seconds: float | None = None,
    ) -> tuple[AgentInfo, Any]:
        """Validate, reserve the slot and queue the writes; no await, so limits hold under
        concurrency (the event loop runs one of these at a time)."""
        atype, role = parse_agent_type(type)
        self._check_name("name", name, required=False)
        caps = self._validate_capabilities(capabilities)
        pattern = (
            parse_strategy(cognitive_pattern) if cognitive_pattern is not None else swarm.strategy
        )
        live = self._swarm_agents[swarm.id]
        if len(live) >= swarm.max_agents:
            raise LimitExceededError(
                "max_agents",
                swarm.max_agents,
                f"swarm {swarm.id} already has {len(live)} agents; its max_agents is {swarm.max_agents}",
            )
        limits: dict[str, Any] = {"max_concurrent_tasks": 1}
        if max_task_seconds is not None:
            cap = self.config.max_task_timeout
            if (
                isinstance(max_task_seconds, bool)
                or not isinstance(max_task_seconds, int | float)
                or not 0 < max_task_seconds <= cap
            ):
                raise ValidationError(
                    "max_task_seconds",
                    f"max_task_seconds must be a number in (0, {cap}] (max_task_timeout), got {max_task_seconds!r}",
                )
            limits["max_task_seconds"] = float(max_task_seconds)
        aid = new_id("agent")
        seq = self._next_seq("agent")
        info = AgentInfo.model_construct(
            id=aid,
            swarm_id=swarm.id,
            type=atype,
            role=role,
            name=name or f"{role}-{seq}",
            capabilities=caps,
            cognitive_pattern=pattern,
            status=AgentStatus.IDLE,
            created_at=time.time(),
            terminated_at=None,
            tasks_completed=0,
            tasks_failed=0,
            current_task_id=None,
            limits=limits,
        )
        self._add_live_agent(info, seq)
        w = self._writer
        w.row("agent", INSERT, conv.agent_row(info, seq))
        for c in caps:
            w.row(
                "agent_capability",
                INSERT,
                {"agent_id": aid, "capability": c, "swarm_id": swarm.id, "seq": seq},
            )
        batch = self._emit(
            "agent_spawned",
            swarm.id,
            aid,
            {"type": atype.value, "role": role, "name": info.name, "auto": auto},
        )
        self._notify_after(batch, "agent", aid)
        return info, batch

    async def spawn_agent(
        self,
        swarm_id: str,
        type: str,
        name: str | None = None,
        capabilities: Iterable[str] | None = (),
        cognitive_pattern: str | None = None,
        *,
        max_task_seconds: float | None = None,
    ) -> AgentInfo:
        """Add an agent to a swarm (LimitExceededError at its max_agents). Each agent runs one
        task at a time; `max_task_seconds` additionally caps how long any of its tasks may run."""
        self._check_open()
        info, batch = self._spawn_now(
            self._swarm(swarm_id),
            type,
            name,
            capabilities,
            cognitive_pattern,
            max_task_seconds=max_task_seconds,
        )
        self._on_agent_available(info)
        await batch.wait()
        return info.model_copy()

    def _on_agent_available(self, agent: AgentInfo) -> None:
        """Hook: an agent became idle (the task scheduler overrides this)."""

    async def get_agent(self, agent_id: str) -> AgentInfo:
        live = self._agents.get(agent_id)
        if live is not None:
            return live.model_copy()
        a = TABLES["agent"]
        row = self._store.read(lambda c: c.execute(select(a).where(a.c.id == agent_id)).first())
        if row is None:
            raise NotFoundError("agent", agent_id)
        return conv.agent_from(row)

    async def query_agents(
        self,
        swarm_id: str | None = None,
        type: str | None = None,
        status: str | None = None,
        capability: str | None = None,
        name: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AgentInfo]:
        """Agents in join order, filtered (all filters combine). `type` may be a role alias
        (e.g. "coder" matches agents spawned with that role); `name` matches a substring."""
        page = self._agents_page(swarm_id, type, status, capability, name, limit, offset)
        return [a.model_copy() if a.id in self._agents else a for a in page]

    async def query_agents_json(
        self,
        swarm_id: str | None = None,
        type: str | None = None,
        status: str | None = None,
        capability: str | None = None,
        name: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """:meth:`query_agents` as JSON-ready dicts (``model_dump(mode="json")`` of each agent),
        dumped straight from the live records in one pydantic-core call instead of copying
        each one first: the hot read behind the MCP `query_agents` tool."""
        page = self._agents_page(swarm_id, type, status, capability, name, limit, offset)
        return _AGENT_LIST.dump_python(page, mode="json")  # type: ignore[no-any-return]

    def _agents_page(
        self,
        swarm_id: str | None,
        type: str | None,
        status: str | None,
        capability: str | None,
        name: str | None,
        limit: int,
        offset: int,
    ) -> list[AgentInfo]:
        """The matching agents: live ones are the engine's own records (callers copy or dump
        them before any await), terminated ones come from the store."""
        self._check_limit_offset(limit, offset)
        if swarm_id is not None:
            self._swarm(swarm_id)
        where: list[str] = []
        params: list[Any] = []
        # with a capability filter the walk is over the capability index (already in join
        # order); other filters then look at the agent row
        t = "a." if capability is not None else ""
        if capability is not None:
            where.append("c.capability = ?")
            params.append(str(capability))
            if swarm_id is not None:
                where.append("c.swarm_id = ?")
                params.append(swarm_id)
        elif swarm_id is not None:
            where.append("swarm_id = ?")
            params.append(swarm_id)
        if type is not None:
            atype, role = parse_agent_type(type)
            if role != atype.value:
                where.append(f"{t}role = ?")
                params.append(role)
            else:
                where.append(f"{t}type = ?")
                params.append(atype.value)
        if status is not None:
            where.append(f"{t}status = ?")
            params.append(parse_agent_status(status).value)
        if name is not None:
            # substring test: SQLite (and MySQL) spell it instr, PostgreSQL strpos
            pos = "strpos" if self._store.engine.dialect.name == "postgresql" else "instr"
            where.append(f"{pos}({t}name, ?) > 0")
            params.append(str(name))
        if capability is not None:
            needs_agent = type is not None or status is not None or name is not None
            sql = "SELECT c.agent_id FROM agent_capability c"
            if needs_agent:
                sql += " JOIN agent a ON a.id = c.agent_id"
            order = "c.seq"
        else:
            sql = "SELECT id FROM agent"
            order = "seq"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY {order} LIMIT ? OFFSET ?"
        if self._store.is_sqlite:
            ids = [r[0] for r in self._store.fast_rows(sql, [*params, limit, offset])]
        else:
            from sqlalchemy import text

            binds = {f"p{i}": v for i, v in enumerate([*params, limit, offset])}
            numbered = sql
            for i in range(len(binds)):
                numbered = numbered.replace("?", f":p{i}", 1)
            ids = self._store.read(lambda c: [r[0] for r in c.execute(text(numbered), binds)])
        missing = [i for i in ids if i not in self._agents]
        stored: dict[str, AgentInfo] = {}
        if missing:
            a = TABLES["agent"]
            rows = self._store.read(lambda c: c.execute(select(a).where(a.c.id.in_(missing))).all())
            stored = {r.id: conv.agent_from(r) for r in rows}
        out = []
        for i in ids:
            live = self._agents.get(i)
            if live is not None:
                out.append(live)
            elif i in stored:
                out.append(stored[i])
        return out

    async def terminate_agent(self, agent_id: str) -> AgentInfo:
        """Terminate an agent: its running task is cancelled, tasks bound to it fail."""
        self._check_open()
        agent = self._agents.get(agent_id)
        if agent is None:
            stored = await self.get_agent(agent_id)  # NotFoundError if unknown
            raise InvalidStateError(
                f"agent {agent_id}", stored.status.value, AgentStatus.TERMINATED.value
            )
        running = agent.current_task_id
        del self._agents[agent_id]
        self._swarm_agents[agent.swarm_id].pop(agent_id, None)
        idle = self._idle.get((agent.swarm_id, agent.type))
        if idle is not None:
            idle.pop(agent_id, None)
        agent.status = AgentStatus.TERMINATED
        agent.terminated_at = time.time()
        self._writer.row("agent", UPDATE, conv.agent_state(agent))
        batch = self._emit("agent_terminated", agent.swarm_id, agent_id, {"running_task": running})
        self._on_agent_terminated(agent, running)
        self._notify_after(batch, "agent", agent_id)
        await batch.wait()
        return agent.model_copy()

    def _on_agent_terminated(self, agent: AgentInfo, running_task: str | None) -> None:
        """Hook: the task scheduler cancels/fails the agent's work."""

    def _live_agents(self, swarm_id: str, type: AgentType | None = None) -> list[AgentInfo]:
        agents = self._swarm_agents.get(swarm_id, {}).values()
        return [a for a in agents if type is None or a.type is type]
