"""Knowledge base text logic: chunking, safe queries, BM25 ranking checked against a reference."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from swarm_core._exceptions import ValidationError
from swarm_core._knowledge import (
    FTS_TABLE,
    Passage,
    bm25_reference,
    build_fts_query,
    chunk_text,
    ensure_schema,
    extract_answer,
    index_document,
    search_documents,
    search_passages,
    tokenize,
)

DOCS = {
    "doc-rprop": (
        "RPROP training",
        "RPROP adapts a step size per weight. It uses only the sign of the gradient.\n\n"
        "Quickprop instead fits a parabola to the error curve.",
    ),
    "doc-cascade": (
        "Cascade correlation",
        "Cascade-Correlation grows hidden units one at a time. Each candidate unit maximises the "
        "correlation with the residual error. Training stops at the desired error.",
    ),
    "doc-fts": ("Full text search", "SQLite FTS5 ranks documents with BM25. Ranking uses IDF."),
    "doc-cake": ("Baking", "A café sells crème brûlée and cake. Nothing about networks here."),
}


@pytest.fixture
def conn() -> Iterator[Connection]:
    engine = create_engine("sqlite://")
    with engine.begin() as c:
        ensure_schema(c)
        for doc_id, (title, text) in DOCS.items():
            index_document(c, swarm_id="swarm-1", doc_id=doc_id, title=title, text=text)
        index_document(
            c, swarm_id="swarm-2", doc_id="doc-other", title="RPROP", text="RPROP elsewhere"
        )
        yield c


def test_tokenize_matches_unicode61_folding() -> None:
    assert tokenize("Crème-Brûlée, NEAR(x*y) _under_score") == [
        "creme",
        "brulee",
        "near",
        "x",
        "y",
        "under",
        "score",
    ]


def test_chunking_respects_limit_boundaries_and_offsets() -> None:
    para = "Sentence one is here. Sentence two follows it. " * 6
    text = f"{para}\n\nShort paragraph.\n\n{'x' * 130} tail"
    chunks = chunk_text(text, max_chars=100)
    assert all(len(c.text) <= 100 for c in chunks)
    for c in chunks:
        assert text[c.start : c.end] == c.text
    assert [c.index for c in chunks] == list(range(len(chunks)))
    # nothing but whitespace is lost
    assert "".join(c.text for c in chunks).replace(" ", "") == "".join(text.split())
    # small neighbours are merged, sentences are not cut when they fit
    assert any(c.text.endswith("Short paragraph.") for c in chunks)
    assert chunks[0].text.endswith(".")
    assert chunk_text("   ") == []
    with pytest.raises(ValidationError, match="chunk_chars"):
        chunk_text("x", max_chars=10)


@pytest.mark.parametrize(
    ("text", "mode", "expected"),
    [
        ("rprop training", "any", '"rprop" OR "training"'),
        ('a "quoted" AND (x OR y)', "all", '"a" AND "quoted" AND "and" AND "x" AND "or" AND "y"'),
        ("title:secret NEAR/2 foo*", "any", '"title" OR "secret" OR "near" OR "2" OR "foo"'),
        ("hidden units units", "phrase", '"hidden units units"'),
    ],
)
def test_query_building(text: str, mode: str, expected: str) -> None:
    assert build_fts_query(text, mode) == expected


def test_query_errors() -> None:
    with pytest.raises(ValidationError, match="no searchable words"):
        build_fts_query('"*() -- ::')
    with pytest.raises(ValidationError, match="unknown mode"):
        build_fts_query("x", "fuzzy")
    with pytest.raises(ValidationError, match="limit is 3"):
        build_fts_query("a b c d", max_terms=3)


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=1, max_size=60))
def test_any_user_text_is_a_safe_query(text: str) -> None:
    engine = create_engine("sqlite://")
    with engine.begin() as c:
        ensure_schema(c)
        index_document(c, swarm_id="s", doc_id="d", title="t", text="some text")
        try:
            search_passages(c, "s", text)
        except ValidationError as exc:
            assert exc.field == "query"


def test_search_ranks_and_scopes_by_swarm(conn: Connection) -> None:
    hits = search_documents(conn, "swarm-1", "rprop gradient sign")
    assert [h["doc_id"] for h in hits] == ["doc-rprop"]
    assert "[RPROP]" in hits[0]["snippet"] or "[sign]" in hits[0]["snippet"]
    hits = search_documents(conn, "swarm-1", "error")
    assert {h["doc_id"] for h in hits} == {"doc-rprop", "doc-cascade"}
    assert hits[0]["score"] >= hits[1]["score"] > 0
    assert search_documents(conn, "swarm-2", "rprop")[0]["doc_id"] == "doc-other"
    assert search_documents(conn, "swarm-1", "creme brulee")[0]["doc_id"] == "doc-cake"
    assert search_documents(conn, "swarm-1", "zeppelin") == []
    # AND mode needs every word in one passage
    assert search_documents(conn, "swarm-1", "cascade parabola", mode="all") == []


def test_fts5_scores_equal_the_bm25_reference(conn: Connection) -> None:
    rows = conn.exec_driver_sql(
        f"SELECT title, body, doc_id, chunk_no FROM {FTS_TABLE} ORDER BY rowid"
    ).all()
    query = "error rprop cascade ranking"
    ref = bm25_reference(tokenize(query), [(r[0], r[1]) for r in rows])
    expected = {(r[2], int(r[3])): s for r, s in zip(rows, ref, strict=True) if s > 0}
    got = {
        (p.doc_id, p.chunk_no): p.score
        for swarm in ("swarm-1", "swarm-2")
        for p in search_passages(conn, swarm, query, limit=50)
    }
    assert got.keys() == expected.keys()
    for key, score in got.items():
        assert score == pytest.approx(expected[key], rel=1e-9)


def test_reindex_replaces_passages(conn: Connection) -> None:
    index_document(conn, swarm_id="swarm-1", doc_id="doc-fts", title="FTS", text="now about zebras")
    assert search_documents(conn, "swarm-1", "bm25") == []
    assert search_documents(conn, "swarm-1", "zebras")[0]["doc_id"] == "doc-fts"


def test_extractive_answer_quotes_and_cites(conn: Connection) -> None:
    passages = search_passages(conn, "swarm-1", "how does cascade correlation grow hidden units")
    answer, quotes = extract_answer("how does cascade correlation grow hidden units", passages, 2)
    assert quotes[0]["doc_id"] == "doc-cascade"
    assert "Cascade-Correlation grows hidden units one at a time. [doc-cascade]" in answer
    for q in quotes:
        assert q["sentence"] in DOCS[q["doc_id"]][1]  # verbatim, never invented
    assert extract_answer("zeppelin", passages) == ("", [])


def test_answer_prefers_rare_query_words_over_common_ones() -> None:
    passages = [
        Passage("d1", "A", 0, 2.0, "The network is the model. The weights are the state.", ""),
        Passage("d2", "B", 0, 1.0, "Quickprop is a second-order method.", ""),
    ]
    answer, quotes = extract_answer("what is the quickprop method", passages, max_sentences=1)
    assert quotes[0]["doc_id"] == "d2"  # "the"/"is" occur everywhere; "quickprop" once
    assert answer == "Quickprop is a second-order method. [d2]"
