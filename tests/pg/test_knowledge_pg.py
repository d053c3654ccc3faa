"""The PostgreSQL knowledge index ranks exactly like the BM25 reference and like SQLite FTS5."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection

from swarm_core._exceptions import UnsupportedError
from swarm_core._knowledge import (
    FTS_TABLE,
    bm25_reference,
    ensure_schema,
    index_document,
    search_documents,
    search_passages,
    tokenize,
)
from swarm_core._knowledge_pg import snippet
from tests._pg import PgServer
from tests.swarm_core.test_knowledge import DOCS

QUERIES = [
    "error rprop cascade ranking",
    "rprop gradient sign",
    "error",
    "creme brulee",
    "hidden units correlation",
    "the desired error of training",
    "zeppelin",
]


def _corpus() -> list[tuple[str, str, str, str]]:
    """(swarm, doc_id, title, text): the unit-test documents plus 60 generated ones over a
    small vocabulary (many shared terms, repeated words, several passages per document), so
    IDF, term frequency and length normalisation all vary."""
    out = [("swarm-1", d, t, x) for d, (t, x) in DOCS.items()]
    out.append(("swarm-2", "doc-other", "RPROP", "RPROP elsewhere"))
    rng = random.Random(13)
    vocab = [
        "error",
        "rprop",
        "cascade",
        "unit",
        "hidden",
        "ranking",
        "weight",
        "step",
        "gradient",
        "train",
        "net",
        "data",
    ]
    for i in range(60):
        paragraphs = [
            " ".join(rng.choice(vocab) for _ in range(rng.randint(3, 40))) + "."
            for _ in range(rng.randint(1, 4))
        ]
        title = " ".join(rng.choice(vocab) for _ in range(rng.randint(0, 3)))
        out.append((f"swarm-{1 + i % 3}", f"gen-{i:02d}", title, "\n\n".join(paragraphs)))
    return out


CORPUS = _corpus()


def _fill(conn: Connection) -> None:
    ensure_schema(conn)
    for swarm, doc_id, title, body in CORPUS:
        index_document(conn, swarm_id=swarm, doc_id=doc_id, title=title, text=body, chunk_chars=120)


def _filled(url: str) -> Iterator[Connection]:
    engine = create_engine(url)
    try:
        with engine.begin() as c:
            _fill(c)
            yield c
    finally:
        engine.dispose()


# the read-only tests share one filled database per backend (filling costs ~1 s on PostgreSQL)
@pytest.fixture(scope="module")
def pg(pg_server: PgServer) -> Iterator[Connection]:
    yield from _filled(pg_server.new_database())


@pytest.fixture(scope="module")
def lite() -> Iterator[Connection]:
    yield from _filled("sqlite://")


@pytest.fixture
def pg_own(pg_url: str) -> Iterator[Connection]:
    yield from _filled(pg_url)


SWARMS = ("swarm-1", "swarm-2", "swarm-3")


@pytest.mark.parametrize("query", QUERIES)
def test_scores_equal_the_bm25_reference(pg: Connection, query: str) -> None:
    rows = pg.execute(text("SELECT title, body, doc_id, chunk_no FROM knowledge_chunk")).all()
    ref = bm25_reference(tokenize(query), [(r[0], r[1]) for r in rows])
    expected = {(r[2], int(r[3])): s for r, s in zip(rows, ref, strict=True) if s > 0}
    got = {
        (p.doc_id, p.chunk_no): p.score
        for swarm in SWARMS
        for p in search_passages(pg, swarm, query, limit=1000)
    }
    assert got.keys() == expected.keys()
    # the same operations in the same order: equal to the last bit, not merely close
    assert got == expected


@pytest.mark.parametrize("mode", ["any", "all"])
@pytest.mark.parametrize("query", QUERIES)
def test_rankings_equal_the_sqlite_fts5_path(
    pg: Connection, lite: Connection, query: str, mode: str
) -> None:
    assert (
        lite.exec_driver_sql(f"SELECT count(*) FROM {FTS_TABLE}").scalar()
        == pg.execute(text("SELECT count(*) FROM knowledge_chunk")).scalar()
    )
    for swarm in SWARMS:
        on_pg = search_passages(pg, swarm, query, limit=1000, mode=mode)
        on_lite = search_passages(lite, swarm, query, limit=1000, mode=mode)
        assert [(p.doc_id, p.chunk_no) for p in on_pg] == [(p.doc_id, p.chunk_no) for p in on_lite]
        for a, b in zip(on_pg, on_lite, strict=True):
            assert a.score == pytest.approx(b.score, rel=1e-9)
            assert (a.title, a.text) == (b.title, b.text)
        docs_pg = search_documents(pg, swarm, query, limit=5, mode=mode)
        docs_lite = search_documents(lite, swarm, query, limit=5, mode=mode)
        assert [d["doc_id"] for d in docs_pg] == [d["doc_id"] for d in docs_lite]


def test_limit_scope_reindex_and_delete(pg_own: Connection) -> None:
    from swarm_core._knowledge import delete_document, delete_swarm

    pg = pg_own
    top = search_passages(pg, "swarm-1", "error", limit=3)
    assert len(top) == 3
    assert [p.score for p in top] == sorted((p.score for p in top), reverse=True)
    assert search_documents(pg, "swarm-2", "rprop elsewhere")[0]["doc_id"] == "doc-other"
    assert all(h["doc_id"] != "doc-other" for h in search_documents(pg, "swarm-1", "elsewhere"))
    index_document(pg, swarm_id="swarm-1", doc_id="doc-fts", title="FTS", text="now about zebras")
    assert search_documents(pg, "swarm-1", "bm25") == []
    assert search_documents(pg, "swarm-1", "zebras")[0]["doc_id"] == "doc-fts"
    delete_document(pg, "doc-fts")
    assert search_documents(pg, "swarm-1", "zebras") == []
    delete_swarm(pg, "swarm-2")
    assert search_documents(pg, "swarm-2", "rprop") == []
    left = pg.execute(text("SELECT count(*) FROM knowledge_post WHERE swarm_id = 'swarm-2'"))
    assert left.scalar() == 0
    # "all" needs every word in one passage
    assert search_documents(pg, "swarm-1", "cascade parabola", mode="all") == []


def test_phrase_mode_is_refused_clearly(pg: Connection) -> None:
    with pytest.raises(UnsupportedError, match="phrase search"):
        search_passages(pg, "swarm-1", "hidden units", mode="phrase")


def test_snippets_mark_the_query_words() -> None:
    body = " ".join(f"w{i}" for i in range(40)) + " Crème target here."
    s = snippet(body, {"creme", "target"})
    assert "[Crème] [target]" in s
    assert s.startswith("…") and len(tokenize(s)) <= 24
    assert snippet("short text", {"zzz"}) == "short text"
    assert snippet("a b c", {"b"}) == "a [b] c"
