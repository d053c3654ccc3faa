"""Topologies are real graphs: edges, roots, pipeline order and routes per kind."""

from __future__ import annotations

import itertools

import pytest

from swarm_core._topology import TopologyError, build_topology

IDS = [f"a{i}" for i in range(7)]


def _is_connected(g) -> bool:
    if not g.agent_ids:
        return True
    seen = {g.agent_ids[0]}
    frontier = [g.agent_ids[0]]
    while frontier:
        for n in g.neighbours(frontier.pop()):
            if n not in seen:
                seen.add(n)
                frontier.append(n)
    return len(seen) == len(g.agent_ids)


def test_mesh_is_complete() -> None:
    g = build_topology("mesh", IDS)
    assert g.edge_count == len(IDS) * (len(IDS) - 1) // 2
    for a, b in itertools.permutations(IDS, 2):
        assert b in g.neighbours(a)
        assert g.hops(a, b) == 1
    assert g.pipeline() == tuple(IDS)


def test_ring_links_previous_and_next_only() -> None:
    g = build_topology("ring", IDS)
    assert g.edge_count == len(IDS)
    assert g.neighbours("a0") == ("a1", "a6")
    assert g.neighbours("a3") == ("a2", "a4")
    assert g.hops("a0", "a3") == 3
    assert g.route("a0", "a5") == ("a0", "a6", "a5")
    assert g.successor("a6") is None
    assert all(g.degree(a) == 2 for a in IDS)


def test_star_hub_is_first_coordinator_else_first_agent() -> None:
    g = build_topology("star", IDS)
    assert g.hub == "a0"
    assert g.neighbours("a0") == tuple(IDS[1:])
    assert g.neighbours("a4") == ("a0",)
    assert g.route("a3", "a5") == ("a3", "a0", "a5")

    g2 = build_topology("star", IDS, agent_types={"a4": "coordinator"})
    assert g2.hub == "a4"
    assert g2.pipeline()[0] == "a4"
    assert g2.neighbours("a0") == ("a4",)
    assert g2.edge_count == len(IDS) - 1


def test_hierarchical_tree_with_fan_out() -> None:
    g = build_topology("hierarchical", IDS, agent_types={"a3": "coordinator"}, fan_out=2)
    assert g.roots == ("a3",)
    assert g.children("a3") == ("a0", "a1")
    assert g.children("a0") == ("a2", "a4")
    assert g.children("a1") == ("a5", "a6")
    assert g.parent("a6") == "a1"
    assert g.depth("a6") == 2
    assert g.edge_count == len(IDS) - 1  # a tree
    assert g.pipeline() == ("a3", "a0", "a2", "a4", "a1", "a5", "a6")
    assert _is_connected(g)


def test_hierarchical_several_coordinators_are_linked_roots() -> None:
    types = {"a0": "coordinator", "a1": "coordinator"}
    g = build_topology("hierarchical", IDS, agent_types=types, fan_out=3)
    assert g.roots == ("a0", "a1")
    assert "a1" in g.neighbours("a0")
    assert g.children("a0") == ("a2", "a3", "a4")
    assert g.children("a1") == ("a5", "a6")
    assert _is_connected(g)
    # fan-out changes the shape: with fan_out=1 the tree becomes chains
    chain = build_topology("hierarchical", IDS[1:], fan_out=1)
    assert chain.depth("a6") == 5


@pytest.mark.parametrize("kind", ["mesh", "ring", "star", "hierarchical"])
@pytest.mark.parametrize("n", [0, 1, 2, 3, 12])
def test_every_kind_is_connected_and_pipeline_covers_all(kind: str, n: int) -> None:
    ids = [f"x{i}" for i in range(n)]
    g = build_topology(kind, ids)
    assert _is_connected(g)
    assert sorted(g.pipeline()) == sorted(ids)
    for a in ids:
        for b in g.neighbours(a):
            assert a in g.neighbours(b)  # undirected
            assert a != b


def test_induced_keeps_kind_and_root() -> None:
    g = build_topology("star", IDS, agent_types={"a2": "coordinator"})
    sub = g.induced(["a2", "a5", "a6"])
    assert sub.hub == "a2"
    assert sub.neighbours("a5") == ("a2",)
    without_hub = g.induced(["a5", "a6", "a0"])
    assert without_hub.hub == "a0"
    with pytest.raises(TopologyError, match="not in this topology"):
        g.induced(["zz"])


def test_bad_arguments_are_clear_errors() -> None:
    with pytest.raises(TopologyError, match="allowed: mesh, hierarchical, ring, star"):
        build_topology("torus", IDS)
    with pytest.raises(TopologyError, match="fan_out"):
        build_topology("hierarchical", IDS, fan_out=0)
    with pytest.raises(TopologyError, match="duplicates"):
        build_topology("mesh", ["a", "a"])
    g = build_topology("ring", IDS)
    with pytest.raises(TopologyError, match="'nope'"):
        g.neighbours("nope")


def test_to_dict_is_json_shaped_and_bounded() -> None:
    d = build_topology("ring", ["a", "b", "c"]).to_dict()
    assert d["edges"] == [["a", "b"], ["a", "c"], ["b", "c"]]
    assert d["hub"] == "a"
    assert d["edges_truncated"] is False
    big = build_topology("mesh", [f"x{i}" for i in range(100)]).to_dict(max_edges=10)
    assert big["edge_count"] == 4950
    assert len(big["edges"]) == 10 and big["edges_truncated"] is True


@pytest.mark.parametrize("kind", ["mesh", "ring", "star", "hierarchical"])
def test_ten_thousand_agents_build_in_linear_time(kind: str) -> None:
    import time

    ids = [f"agent-{i}" for i in range(10_000)]
    t0 = time.perf_counter()
    g = build_topology(kind, ids, agent_types={"agent-5": "coordinator"})
    g.to_dict()
    assert time.perf_counter() - t0 < 2.0  # a complete mesh is never materialised
    assert g.degree("agent-5") == {"mesh": 9_999, "ring": 2, "star": 9_999, "hierarchical": 4}[kind]
