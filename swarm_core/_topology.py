"""Topologies as real graphs over a swarm's agents: who may pass results to whom.

A `TopologyGraph` is an undirected graph plus a pipeline order (the direction sequential work
flows). Strategies ask it for `neighbours` (mesh exchanges), `pipeline` (sequential hand-offs),
`roots`/`hub` (where fan-in lands) and `route` (the hops a result takes between two agents that are
not adjacent). The four kinds:

- mesh: every agent is adjacent to every other one (n·(n-1)/2 edges).
- ring: each agent is adjacent to the one that joined before and after it (n edges, n ≥ 3).
- star: one hub (the first coordinator, else the first agent) adjacent to every other agent.
- hierarchical: coordinators are the roots (linked to each other); the other agents hang below
  them breadth-first, each parent taking at most `fan_out` children.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from swarm_core._exceptions import ValidationError

TOPOLOGY_KINDS: tuple[str, ...] = ("mesh", "hierarchical", "ring", "star")
COORDINATOR_TYPE = "coordinator"
DEFAULT_FAN_OUT = 4
MAX_FAN_OUT = 10_000


class TopologyError(ValidationError):
    """A topology was asked for with bad arguments (unknown kind, bad fan-out, unknown agent)."""

    def __init__(self, message: str) -> None:
        super().__init__("topology", message)


@dataclass(frozen=True)
class TopologyGraph:
    """An immutable graph over agent ids, in join order."""

    kind: str
    agent_ids: tuple[str, ...]
    roots: tuple[str, ...]
    fan_out: int
    _adjacent: Mapping[str, tuple[str, ...]] = field(repr=False)
    _parent: Mapping[str, str | None] = field(repr=False)
    _pipeline: tuple[str, ...] = field(repr=False)
    _position: Mapping[str, int] = field(repr=False)
    _pipeline_position: Mapping[str, int] = field(repr=False)
    _edge_count: int = field(repr=False)

    # -- structure ---------------------------------------------------------------------------

    def __contains__(self, agent_id: object) -> bool:
        return agent_id in self._position

    def __len__(self) -> int:
        return len(self.agent_ids)

    @property
    def hub(self) -> str | None:
        """Where results fan in: the star's hub, the first hierarchy root, else the first agent."""
        if self.roots:
            return self.roots[0]
        return self.agent_ids[0] if self.agent_ids else None

    def neighbours(self, agent_id: str) -> tuple[str, ...]:
        """Agents `agent_id` may exchange results with directly, in join order."""
        self._check(agent_id)
        if self.kind == "mesh":  # complete graph: not materialised (n² edges for big swarms)
            return tuple(a for a in self.agent_ids if a != agent_id)
        return self._adjacent[agent_id]

    def degree(self, agent_id: str) -> int:
        self._check(agent_id)
        if self.kind == "mesh":
            return len(self.agent_ids) - 1
        return len(self._adjacent[agent_id])

    def edges(self, limit: int | None = None) -> list[tuple[str, str]]:
        """Each undirected edge once, as (earlier-joined, later-joined); at most `limit`."""
        out: list[tuple[str, str]] = []
        for i, a in enumerate(self.agent_ids):
            later = self.agent_ids[i + 1 :] if self.kind == "mesh" else self._later(a, i)
            for b in later:
                if limit is not None and len(out) >= limit:
                    return out
                out.append((a, b))
        return out

    def _later(self, agent_id: str, index: int) -> list[str]:
        pos = self._position
        return [b for b in self._adjacent[agent_id] if pos[b] > index]

    @property
    def edge_count(self) -> int:
        return self._edge_count

    def parent(self, agent_id: str) -> str | None:
        """The agent's parent in a hierarchy (the hub for a star's leaves); None for roots."""
        self._check(agent_id)
        return self._parent.get(agent_id)

    def children(self, agent_id: str) -> tuple[str, ...]:
        self._check(agent_id)
        return tuple(a for a in self.agent_ids if self._parent.get(a) == agent_id)

    def depth(self, agent_id: str) -> int:
        """Distance from the nearest root (0 for roots, and for every agent in mesh/ring)."""
        d = 0
        node = self.parent(agent_id)
        while node is not None:
            d += 1
            node = self._parent.get(node)
        return d

    # -- flow --------------------------------------------------------------------------------

    def pipeline(self) -> tuple[str, ...]:
        """The order sequential work flows in: join order (mesh), around the ring (ring),
        hub then leaves (star), depth-first from the roots (hierarchical)."""
        return self._pipeline

    def successor(self, agent_id: str) -> str | None:
        """The next stage after `agent_id` in `pipeline()`, or None at the end."""
        self._check(agent_id)
        i = self._pipeline_position[agent_id]
        return self._pipeline[i + 1] if i + 1 < len(self._pipeline) else None

    def route(self, source: str, target: str) -> tuple[str, ...]:
        """The shortest chain of adjacent agents from source to target (both included)."""
        self._check(source)
        self._check(target)
        if source == target:
            return (source,)
        came_from: dict[str, str] = {source: source}
        queue = deque([source])
        while queue:
            node = queue.popleft()
            for nxt in self.neighbours(node):
                if nxt in came_from:
                    continue
                came_from[nxt] = node
                if nxt == target:
                    path = [target]
                    while path[-1] != source:
                        path.append(came_from[path[-1]])
                    return tuple(reversed(path))
                queue.append(nxt)
        raise TopologyError(f"no route from {source} to {target} in this {self.kind} topology")

    def hops(self, source: str, target: str) -> int:
        return len(self.route(source, target)) - 1

    def induced(
        self, agent_ids: Iterable[str], agent_types: Mapping[str, str] | None = None
    ) -> TopologyGraph:
        """The same kind of topology rebuilt over a subset of agents (e.g. only the ones that take
        part in a strategy), keeping their join order and this graph's roots where present."""
        wanted = set(agent_ids)
        subset = [a for a in self.agent_ids if a in wanted]
        missing = wanted - set(subset)
        if missing:
            raise TopologyError(f"agents not in this topology: {sorted(missing)}")
        types = dict(agent_types or {})
        for root in self.roots:
            types.setdefault(root, COORDINATOR_TYPE)
        return build_topology(self.kind, subset, agent_types=types, fan_out=self.fan_out)

    def to_dict(self, max_edges: int = 1_000) -> dict[str, object]:
        """JSON summary; at most `max_edges` edges are listed (`edge_count` has them all)."""
        edges = self.edges(limit=max_edges)
        return {
            "kind": self.kind,
            "agents": len(self.agent_ids),
            "roots": list(self.roots),
            "hub": self.hub,
            "fan_out": self.fan_out,
            "edge_count": self.edge_count,
            "edges": [list(e) for e in edges],
            "edges_truncated": len(edges) < self.edge_count,
        }

    def _check(self, agent_id: str) -> None:
        if agent_id not in self._position:
            raise TopologyError(f"agent {agent_id!r} is not in this {self.kind} topology")


def build_topology(
    kind: str,
    agent_ids: Sequence[str],
    *,
    agent_types: Mapping[str, str] | None = None,
    fan_out: int = DEFAULT_FAN_OUT,
) -> TopologyGraph:
    """Build the graph of `kind` over `agent_ids` (join order matters: ring neighbours, default hub).

    `agent_types` maps agent id -> type (wire string); coordinators become the star's hub / the
    hierarchy's roots. Agents not in the mapping count as non-coordinators.
    """
    kind = str(kind)
    if kind not in TOPOLOGY_KINDS:
        raise TopologyError(f"unknown topology {kind!r}; allowed: {', '.join(TOPOLOGY_KINDS)}")
    if not isinstance(fan_out, int) or isinstance(fan_out, bool) or not 1 <= fan_out <= MAX_FAN_OUT:
        raise TopologyError(f"fan_out must be an integer in 1..{MAX_FAN_OUT}, got {fan_out!r}")
    ids = tuple(str(a) for a in agent_ids)
    if len(set(ids)) != len(ids):
        raise TopologyError("agent_ids contains duplicates")
    types = {str(k): str(v) for k, v in (agent_types or {}).items()}
    coordinators = tuple(a for a in ids if types.get(a) == COORDINATOR_TYPE)
    # ordered sets: linking is O(1) even for a star hub with thousands of leaves
    adjacent: dict[str, dict[str, None]] = {a: {} for a in ids}
    parent: dict[str, str | None] = {}
    roots: tuple[str, ...] = ()

    def link(a: str, b: str) -> None:
        if a != b:
            adjacent[a][b] = None
            adjacent[b][a] = None

    if kind == "mesh":
        pipeline = ids  # neighbours are implicit: everyone else
    elif kind == "ring":
        n = len(ids)
        for i, a in enumerate(ids):
            if n > 1:
                link(a, ids[(i + 1) % n])
        pipeline = ids
    elif kind == "star":
        if ids:
            hub = coordinators[0] if coordinators else ids[0]
            roots = (hub,)
            for a in ids:
                if a != hub:
                    link(hub, a)
                    parent[a] = hub
            pipeline = (hub, *(a for a in ids if a != hub))
        else:
            pipeline = ()
    else:  # hierarchical
        roots = coordinators or ids[:1]
        for i, a in enumerate(roots):
            for b in roots[i + 1 :]:
                link(a, b)
        open_parents = deque(roots)
        slots = dict.fromkeys(roots, fan_out)
        for a in ids:
            if a in slots:
                continue
            while slots[open_parents[0]] == 0:
                open_parents.popleft()
            p = open_parents[0]
            link(p, a)
            parent[a] = p
            slots[p] -= 1
            slots[a] = fan_out
            open_parents.append(a)
        pipeline = _preorder(roots, ids, parent)

    # neighbours reported in join order so every traversal is deterministic
    position = {a: i for i, a in enumerate(ids)}
    frozen = (
        {}
        if kind == "mesh"
        else {a: tuple(sorted(v, key=position.__getitem__)) for a, v in adjacent.items()}
    )
    for r in roots:
        parent.setdefault(r, None)
    return TopologyGraph(
        kind=kind,
        agent_ids=ids,
        roots=roots,
        fan_out=fan_out,
        _adjacent=frozen,
        _parent=parent,
        _pipeline=tuple(pipeline),
        _position=position,
        _pipeline_position={a: i for i, a in enumerate(pipeline)},
        _edge_count=(
            len(ids) * (len(ids) - 1) // 2
            if kind == "mesh"
            else sum(len(v) for v in frozen.values()) // 2
        ),
    )


def _preorder(
    roots: Sequence[str], ids: Sequence[str], parent: Mapping[str, str | None]
) -> tuple[str, ...]:
    kids: dict[str, list[str]] = {a: [] for a in ids}
    for a in ids:
        p = parent.get(a)
        if p is not None:
            kids[p].append(a)
    out: list[str] = []
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(kids[node]))
    return tuple(out)
