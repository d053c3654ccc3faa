"""The knowledge base on PostgreSQL: posting tables in plain SQL with FTS5's BM25.

`ts_rank` is not BM25 (it has no IDF), so a PostgreSQL store would rank differently from the
SQLite/FTS5 one. Instead every passage is a `knowledge_chunk` row (title, body, its length in
tokens) and every distinct term of a passage a `knowledge_post` row (term frequency in title and
body), both filled from the same `tokenize()` / `chunk_text()` the FTS5 path is checked against.
One query then computes exactly what `_knowledge.bm25_reference` does (and FTS5's `bm25()`):
k1 = 1.2, b = 0.75, title weight 2, IDF over every passage of every swarm, floored at 1e-6, each
passage's terms summed in query order (so scores match the reference to the last bit, and ties
break the same way: doc_id, chunk_no).

The index is derived data (the `document` rows are the truth), created beside the ORM tables the
way the FTS5 table is. Modes: "any" and "all"; "phrase" needs term positions and is refused.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from sqlalchemy import Column, Connection, Index, Integer, MetaData, String, Table, Text, text

from swarm_core._exceptions import UnsupportedError

_META = MetaData()

CHUNKS = Table(
    "knowledge_chunk",
    _META,
    Column("doc_id", String, primary_key=True),
    Column("chunk_no", Integer, primary_key=True),
    Column("swarm_id", String, nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("len", Integer, nullable=False),  # tokens in title + body, as FTS5 counts them
)
POSTS = Table(
    "knowledge_post",
    _META,
    Column("term", String, primary_key=True),
    Column("doc_id", String, primary_key=True),
    Column("chunk_no", Integer, primary_key=True),
    Column("swarm_id", String, nullable=False),
    Column("tf_title", Integer, nullable=False),
    Column("tf_body", Integer, nullable=False),
    # re-indexing and deleting a document or a swarm
    Index("ix_knowledge_post_doc", "doc_id", "chunk_no"),
    Index("ix_knowledge_post_swarm", "swarm_id"),
)

SNIPPET_TOKENS = 24  # what the FTS5 path asks snippet() for
_WORD = re.compile(r"[^\W_]+")

# One statement. `q` holds the query's distinct terms in order; `st` the corpus figures FTS5
# keeps (passages, total tokens); `idf` one value per term. The score expression is written in
# the same order of operations as bm25_reference, so both sides round identically.
_SEARCH = """
WITH q AS (
    SELECT term, qi FROM unnest(CAST(:terms AS text[]), CAST(:qis AS int[])) AS u(term, qi)
), st AS (
    SELECT CAST(count(*) AS float8) AS n, CAST(coalesce(sum(len), 0) AS float8) AS total
    FROM knowledge_chunk
), idf AS (
    SELECT q.term, q.qi,
           ln((st.n - CAST(count(p.term) AS float8) + 0.5)
              / (CAST(count(p.term) AS float8) + 0.5)) AS v
    FROM q CROSS JOIN st LEFT JOIN knowledge_post p ON p.term = q.term
    GROUP BY q.term, q.qi, st.n
)
SELECT c.doc_id, c.title, c.chunk_no, c.body,
       sum(
           (CASE WHEN i.v > 0 THEN i.v ELSE CAST(:idf_floor AS float8) END)
           * ((CAST(:wt AS float8) * p.tf_title + CAST(:wb AS float8) * p.tf_body)
              * CAST(:k1p1 AS float8))
           / ((CAST(:wt AS float8) * p.tf_title + CAST(:wb AS float8) * p.tf_body)
              + CAST(:k1 AS float8) * (CAST(:omb AS float8)
                 + CAST(:b AS float8) * c.len / (st.total / st.n)))
           ORDER BY i.qi
       ) AS score
FROM knowledge_post p
JOIN idf i ON i.term = p.term
JOIN knowledge_chunk c ON c.doc_id = p.doc_id AND c.chunk_no = p.chunk_no
CROSS JOIN st
WHERE p.swarm_id = :s
GROUP BY c.doc_id, c.chunk_no
{having}
ORDER BY score DESC, c.doc_id, c.chunk_no
LIMIT :n
"""


def ensure_schema(conn: Connection) -> None:
    _META.create_all(conn)


def index_chunks(
    conn: Connection,
    *,
    swarm_id: str,
    doc_id: str,
    title: str,
    chunks: list[tuple[int, str]],
) -> None:
    """Write one document's passages and postings (the caller deleted any earlier ones)."""
    from swarm_core._bm25 import tokenize

    title_tf = Counter(tokenize(title))
    title_len = sum(title_tf.values())
    chunk_rows: list[dict[str, Any]] = []
    post_rows: list[dict[str, Any]] = []
    for chunk_no, body in chunks:
        body_tf = Counter(tokenize(body))
        chunk_rows.append(
            {
                "doc_id": doc_id,
                "chunk_no": chunk_no,
                "swarm_id": swarm_id,
                "title": title,
                "body": body,
                "len": title_len + sum(body_tf.values()),
            }
        )
        for term in title_tf.keys() | body_tf.keys():
            post_rows.append(
                {
                    "term": term,
                    "doc_id": doc_id,
                    "chunk_no": chunk_no,
                    "swarm_id": swarm_id,
                    "tf_title": title_tf[term],
                    "tf_body": body_tf[term],
                }
            )
    conn.execute(CHUNKS.insert(), chunk_rows)
    if post_rows:
        conn.execute(POSTS.insert(), post_rows)


def delete_document(conn: Connection, doc_id: str) -> None:
    conn.execute(POSTS.delete().where(POSTS.c.doc_id == doc_id))
    conn.execute(CHUNKS.delete().where(CHUNKS.c.doc_id == doc_id))


def delete_swarm(conn: Connection, swarm_id: str) -> None:
    conn.execute(POSTS.delete().where(POSTS.c.swarm_id == swarm_id))
    conn.execute(CHUNKS.delete().where(CHUNKS.c.swarm_id == swarm_id))


def search(
    conn: Connection, swarm_id: str, terms: list[str], mode: str, limit: int
) -> list[tuple[str, str, int, float, str, str]]:
    """(doc_id, title, chunk_no, score, body, snippet) of the best passages, best first.
    `terms` are the query's distinct tokens (already validated by build_fts_query)."""
    from swarm_core._bm25 import BM25_B, BM25_K1, BODY_WEIGHT, TITLE_WEIGHT

    if mode == "phrase":
        raise UnsupportedError(
            "phrase search needs term positions, which the PostgreSQL knowledge index does not "
            "keep yet; use mode 'any' or 'all' (or an SQLite store)"
        )
    having = "HAVING count(*) = :nterms" if mode == "all" else ""
    rows = conn.execute(
        text(_SEARCH.format(having=having)),
        {
            "terms": terms,
            "qis": list(range(len(terms))),
            "s": swarm_id,
            "n": limit,
            "nterms": len(terms),
            "idf_floor": 1e-6,
            "wt": TITLE_WEIGHT,
            "wb": BODY_WEIGHT,
            "k1": BM25_K1,
            "k1p1": BM25_K1 + 1,
            "omb": 1 - BM25_B,
            "b": BM25_B,
        },
    ).all()
    wanted = set(terms)
    return [(r[0], r[1], int(r[2]), float(r[4]), r[3], snippet(r[3], wanted)) for r in rows]


def snippet(body: str, terms: set[str], n_tokens: int = SNIPPET_TOKENS) -> str:
    """A window of at most `n_tokens` words of `body` holding the most distinct query terms
    (then the most hits), matches in [brackets], '…' where text was cut: what FTS5's
    snippet() gives in spirit, not byte for byte (its window placement heuristics differ)."""
    from swarm_core._bm25 import tokenize

    words = list(_WORD.finditer(body))
    if not words:
        return body
    hit = [bool(terms.intersection(tokenize(m.group()))) for m in words]
    best_start, best_key = 0, (-1, -1)
    for start in (i for i, h in enumerate(hit) if h):
        window = range(start, min(len(words), start + n_tokens))
        found = {t for i in window if hit[i] for t in tokenize(words[i].group()) if t in terms}
        key = (len(found), sum(hit[i] for i in window))
        if key > best_key:
            best_start, best_key = start, key
    # centre the hits of the chosen window in it, as far as the text allows
    end = min(len(words), best_start + n_tokens)
    last_hit = max((i for i in range(best_start, end) if hit[i]), default=best_start)
    spare = n_tokens - (last_hit - best_start + 1)
    start = max(0, min(best_start - spare // 2, len(words) - n_tokens))
    end = min(len(words), start + n_tokens)
    out: list[str] = ["…"] if start > 0 else [body[: words[0].start()]]
    for i in range(start, end):
        if i > start:
            out.append(body[words[i - 1].end() : words[i].start()])
        w = words[i].group()
        out.append(f"[{w}]" if hit[i] else w)
    out.append("…" if end < len(words) else body[words[-1].end() :])
    return "".join(out)
