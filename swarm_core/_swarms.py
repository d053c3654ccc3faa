"""SwarmService: swarms and agents, creation with enforced limits, indexed queries, termination."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Collection, Iterable
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Connection, func, select

from swarm_core import _convert as conv
from swarm_core._events import EventLog
from swarm_core._exceptions import (
    AlreadyExistsError,
    LimitExceededError,
    NotFoundError,
    ValidationError,
)
from swarm_core._ids import new_id
from swarm_core._limits import MAX_CAPABILITIES, MAX_CAPABILITY_LENGTH
from swarm_core._live import LiveState
from swarm_core._plumbing import Plumbing
from swarm_core._topology import build_topology
from swarm_core._types import (
    AgentInfo,
    AgentStatus,
    SwarmInfo,
    SwarmStatus,
    parse_agent_status,
    parse_agent_type,
    parse_strategy,
    parse_topology,
)
from swarm_core._validate import check_limit_offset, check_name
from swarm_core.store._tables import TABLES
from swarm_core.store._writer import INSERT, UPDATE, Batch

_AGENT_LIST: TypeAdapter[list[AgentInfo]] = TypeAdapter(list[AgentInfo])



class SwarmService:
    """Owns `swarm`, `agent` and `agent_capability`. Agent availability changes are reported
    to the caller (the Engine hands them to the Scheduler) rather than handled here."""

    def __init__(self, plumbing: Plumbing, live: LiveState, events: EventLog) -> None:
        self._p = plumbing
        self._live = live
        self._events = events
        self.config = plumbing.config

    # -- swarms ------------------------------------------------------------------------------

    async def create(
        self,
        name: str | None = None,
        topology: str = "mesh",
        strategy: str = "parallel",
        max_agents: int | None = None,
    ) -> SwarmInfo:
        self._p.check_open()
        topo = parse_topology(topology)
        strat = parse_strategy(strategy)
        check_name(self.config, "name", name, required=False)
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
        n_swarms = len(self._live.swarms)
        if n_swarms >= self.config.max_swarms:
            raise LimitExceededError(
                "max_swarms",
                n_swarms,
                f"{n_swarms} swarms exist; the limit is max_swarms={self.config.max_swarms}",
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
        seq = self._live.next_seq("swarm")
        self._live.register_swarm(info, seq)
        self._p.writer.row("swarm", INSERT, conv.swarm_row(info, seq))
        batch = self._events.emit(
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
        self._events.notify_after(batch, "swarm", sid)
        await batch.wait()
        return info.model_copy()

    def get(self, swarm_id: str) -> SwarmInfo:
        return self._live.swarm(swarm_id).model_copy()

    def list_swarms(self) -> list[SwarmInfo]:
        live = self._live
        order = sorted(
            (s for s in live.swarms if s not in live.deleting), key=live.swarm_seq.__getitem__
        )
        return [live.swarms[s].model_copy() for s in order]

    def resolve(self, swarm_id: str | None = None, *, exclude: Collection[str] = ()) -> SwarmInfo:
        """The given swarm; with None, the most recently created swarm that is not in
        `exclude` (e.g. a benchmark's scratch swarms) and not being deleted."""
        live = self._live
        if swarm_id is not None:
            return live.swarm(swarm_id).model_copy()
        candidates = [s for s in live.swarms if s not in live.deleting and s not in exclude]
        if not candidates:
            raise NotFoundError(
                "swarm", None, "no swarm exists yet; create one first (call swarm_init)"
            )
        latest = max(candidates, key=live.swarm_seq.__getitem__)
        return live.swarms[latest].model_copy()

    @staticmethod
    def terminated_count(conn: Connection, swarm_id: str) -> int:
        a = TABLES["agent"]
        q = select(func.count()).where(a.c.swarm_id == swarm_id, a.c.status == "terminated")
        return int(conn.execute(q).scalar_one())

    def status(
        self,
        swarm_id: str,
        *,
        terminated: int,
        tasks_by_status: dict[str, int],
        models: int,
        documents: int,
        memory_entries: int,
    ) -> SwarmStatus:
        """The swarm's status from its live agents plus the counts other services read."""
        swarm = self._live.swarm(swarm_id)
        live = self._live.live_agents(swarm_id)
        status_counts = Counter(a.status.value for a in live)
        if terminated:
            status_counts["terminated"] = terminated
        return SwarmStatus(
            swarm=swarm.model_copy(),
            agents_total=len(live),
            agents_by_status=dict(status_counts),
            agents_by_type=dict(Counter(a.type.value for a in live)),
            tasks_by_status={k: v for k, v in tasks_by_status.items() if v},
            models=models,
            documents=documents,
            memory_entries=memory_entries,
            topology=self.topology_of(swarm_id).to_dict() if live else {},
        )

    def topology_of(self, swarm_id: str, agents: Iterable[AgentInfo] | None = None) -> Any:
        swarm = self._live.swarms[swarm_id]
        live = list(agents) if agents is not None else self._live.live_agents(swarm_id)
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

    def spawn_now(
        self,
        swarm: SwarmInfo,
        type: str,
        name: str | None = None,
        capabilities: Iterable[str] | None = (),
        cognitive_pattern: str | None = None,
        *,
        auto: bool = False,
        max_task_seconds: float | None = None,
    ) -> tuple[AgentInfo, Batch]:
        """Validate, reserve the slot and queue the writes; no await, so limits hold under
        concurrency (the event loop runs one of these at a time)."""
        atype, role = parse_agent_type(type)
        check_name(self.config, "name", name, required=False)
        caps = self._validate_capabilities(capabilities)
        pattern = (
            parse_strategy(cognitive_pattern) if cognitive_pattern is not None else swarm.strategy
        )
        live = self._live.swarm_agents[swarm.id]
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
        seq = self._live.next_seq("agent")
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
        self._live.add_agent(info, seq)
        w = self._p.writer
        w.row("agent", INSERT, conv.agent_row(info, seq))
        for c in caps:
            w.row(
                "agent_capability",
                INSERT,
                {"agent_id": aid, "capability": c, "swarm_id": swarm.id, "seq": seq},
            )
        batch = self._events.emit(
            "agent_spawned",
            swarm.id,
            aid,
            {"type": atype.value, "role": role, "name": info.name, "auto": auto},
        )
        self._events.notify_after(batch, "agent", aid)
        return info, batch

    async def get_agent(self, agent_id: str) -> AgentInfo:
        live = self._live.agents.get(agent_id)
        if live is not None:
            return live.model_copy()
        a = TABLES["agent"]
        q = select(a).where(a.c.id == agent_id)
        row = await self._p.read(lambda c: c.execute(q).first())
        if row is None:
            raise NotFoundError("agent", agent_id)
        return conv.agent_from(row)

    async def query(
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
        page = await self._agents_page(swarm_id, type, status, capability, name, limit, offset)
        live = self._live.agents
        return [a.model_copy() if a.id in live else a for a in page]

    async def query_json(
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
        page = await self._agents_page(swarm_id, type, status, capability, name, limit, offset)
        return _AGENT_LIST.dump_python(page, mode="json")  # type: ignore[no-any-return]

    async def _agents_page(
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
        check_limit_offset(self.config, limit, offset)
        if swarm_id is not None:
            self._live.swarm(swarm_id)
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
            pos = "strpos" if self._p.store.engine.dialect.name == "postgresql" else "instr"
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
        if self._p.store.is_sqlite:
            ids = [r[0] for r in await self._p.fast_rows(sql, [*params, limit, offset])]
        else:
            from sqlalchemy import text

            binds = {f"p{i}": v for i, v in enumerate([*params, limit, offset])}
            numbered = sql
            for i in range(len(binds)):
                numbered = numbered.replace("?", f":p{i}", 1)
            ids = await self._p.read(lambda c: [r[0] for r in c.execute(text(numbered), binds)])
        agents = self._live.agents
        missing = [i for i in ids if i not in agents]
        stored: dict[str, AgentInfo] = {}
        if missing:
            a = TABLES["agent"]
            q = select(a).where(a.c.id.in_(missing))
            rows = await self._p.read(lambda c: c.execute(q).all())
            stored = {r.id: conv.agent_from(r) for r in rows}
        out = []
        for i in ids:
            live = agents.get(i)
            if live is not None:
                out.append(live)
            elif i in stored:
                out.append(stored[i])
        return out

    def terminate_now(self, agent: AgentInfo) -> Batch:
        """Mark a live agent terminated and queue its row and event (no await: the caller
        settles the agent's work in the same batch)."""
        running = agent.current_task_id
        self._live.remove_agent(agent)
        agent.status = AgentStatus.TERMINATED
        agent.terminated_at = time.time()
        self._p.writer.row("agent", UPDATE, conv.agent_state(agent))
        batch = self._events.emit(
            "agent_terminated", agent.swarm_id, agent.id, {"running_task": running}
        )
        self._events.notify_after(batch, "agent", agent.id)
        return batch

    def queue_agent_state(self, agent: AgentInfo) -> None:
        self._p.writer.row("agent", UPDATE, conv.agent_state(agent))

    # -- restore, export/import, delete ---------------------------------------------------------

    @staticmethod
    def read_live_rows(conn: Connection) -> tuple[list[Any], list[Any]]:
        """Every swarm and every non-terminated agent, in creation order (restore)."""
        s, a = TABLES["swarm"], TABLES["agent"]
        swarms = list(conn.execute(select(s).order_by(s.c.seq)).all())
        agents = list(
            conn.execute(
                select(a).where(a.c.status != AgentStatus.TERMINATED.value).order_by(a.c.seq)
            ).all()
        )
        return swarms, agents

    def restore(self, swarm_rows: list[Any], agent_rows: list[Any]) -> None:
        """Load swarms and live agents into memory; agents that were busy come back idle."""
        for r in swarm_rows:
            self._live.register_swarm(conv.swarm_from(r), r.seq)
        w = self._p.writer
        for r in agent_rows:
            agent = conv.agent_from(r)
            if agent.swarm_id not in self._live.swarms:
                continue
            if agent.status is AgentStatus.BUSY or agent.current_task_id is not None:
                agent.status = AgentStatus.IDLE
                agent.current_task_id = None
                w.row("agent", UPDATE, conv.agent_state(agent))
            self._live.add_agent(agent, r.seq)

    @staticmethod
    def agent_rows_for_swarm(conn: Connection, swarm_id: str) -> list[Any]:
        a = TABLES["agent"]
        return list(conn.execute(select(a).where(a.c.swarm_id == swarm_id).order_by(a.c.seq)).all())

    def check_importable(self, swarm: SwarmInfo, agents: list[AgentInfo]) -> None:
        cfg = self.config
        if swarm.id in self._live.swarms:
            raise AlreadyExistsError("swarm", swarm.id)
        if len(self._live.swarms) >= cfg.max_swarms:
            raise LimitExceededError(
                "max_swarms", len(self._live.swarms), f"the limit is max_swarms={cfg.max_swarms}"
            )
        if swarm.max_agents > cfg.max_agents_limit:
            raise LimitExceededError(
                "max_agents_limit",
                swarm.max_agents,
                f"max_agents={swarm.max_agents} exceeds max_agents_limit={cfg.max_agents_limit}",
            )
        live_agents = [a for a in agents if a.status is not AgentStatus.TERMINATED]
        if len(live_agents) > swarm.max_agents:
            raise LimitExceededError(
                "max_agents",
                swarm.max_agents,
                f"export has {len(live_agents)} live agents; its max_agents is {swarm.max_agents}",
            )

    def queue_import(self, swarm: SwarmInfo, agents: list[AgentInfo]) -> None:
        """Register an imported swarm and queue its rows; agents come back idle (or terminated)."""
        w = self._p.writer
        seq = self._live.next_seq("swarm")
        self._live.register_swarm(swarm, seq)
        w.row("swarm", INSERT, conv.swarm_row(swarm, seq))
        for a in agents:
            if a.status is AgentStatus.BUSY:
                a.status = AgentStatus.IDLE
            a.current_task_id = None
            aseq = self._live.next_seq("agent")
            w.row("agent", INSERT, conv.agent_row(a, aseq))
            for c in a.capabilities:
                w.row(
                    "agent_capability",
                    INSERT,
                    {"agent_id": a.id, "capability": c, "swarm_id": a.swarm_id, "seq": aseq},
                )
            if a.status is not AgentStatus.TERMINATED:
                self._live.add_agent(a, aseq)

    @staticmethod
    def first_taken_id(conn: Connection, ids: list[str]) -> str | None:
        a = TABLES["agent"]
        row = conn.execute(select(a.c.id).where(a.c.id.in_(ids))).first()
        return None if row is None else str(row[0])

    @staticmethod
    def delete_agent_rows(conn: Connection, swarm_id: str) -> int:
        agent, cap = TABLES["agent"], TABLES["agent_capability"]
        conn.execute(
            cap.delete().where(
                cap.c.agent_id.in_(select(agent.c.id).where(agent.c.swarm_id == swarm_id))
            )
        )
        return int(conn.execute(agent.delete().where(agent.c.swarm_id == swarm_id)).rowcount or 0)

    @staticmethod
    def delete_swarm_row(conn: Connection, swarm_id: str) -> int:
        s = TABLES["swarm"]
        return int(conn.execute(s.delete().where(s.c.id == swarm_id)).rowcount or 0)
