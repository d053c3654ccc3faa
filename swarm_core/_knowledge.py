"""The knowledge base's text logic: chunking, safe FTS5 queries, BM25 search and extractive answers.

Documents are split into passages (`chunk_text`) and each passage is a row of the FTS5 table
`knowledge_fts` (schema `FTS_SCHEMA`, tokenizer `unicode61 remove_diacritics 2`). Ranking is FTS5's
built-in `bm25()` (k1 = 1.2, b = 0.75, title weighted `TITLE_WEIGHT`× the body); `bm25_reference`
is the same formula in Python so tests can check the SQL ranking. Scores are reported as `-bm25()`,
so higher is better. IDF and average length are computed by FTS5 over the whole table (every swarm).

Any user text becomes a safe query: it is tokenized the way unicode61 does (letters and digits; all
else separates) and each token is emitted as a double-quoted FTS5 string, so operators, quotes,
parentheses, `NEAR`, `*`, `:` or column names in user text are searched as words, never parsed.

The functions take a SQLAlchemy `Connection` (the engine's store); the engine owns transactions.
On PostgreSQL the same functions use posting tables with the same BM25 (`_knowledge_pg`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text as sql
from sqlalchemy.engine import Connection

from swarm_core._bm25 import BM25_B as BM25_B
from swarm_core._bm25 import BM25_K1 as BM25_K1
from swarm_core._bm25 import BODY_WEIGHT as BODY_WEIGHT
from swarm_core._bm25 import TITLE_WEIGHT as TITLE_WEIGHT
from swarm_core._bm25 import tokenize as tokenize
from swarm_core._exceptions import ValidationError
from swarm_core._limits import MAX_QUERY_CHARS, MAX_SEARCH_LIMIT

FTS_TABLE = "knowledge_fts"
FTS_SCHEMA = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "title, body, doc_id UNINDEXED, swarm_id UNINDEXED, chunk_no UNINDEXED, "
    "tokenize = 'unicode61 remove_diacritics 2')"
)
DEFAULT_CHUNK_CHARS = 800
MIN_CHUNK_CHARS = 50
MAX_CHUNK_CHARS = 20_000
MAX_QUERY_TERMS = 32
QUERY_MODES = ("any", "all", "phrase")

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n")
_PARAGRAPH = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class Chunk:
    index: int
    start: int  # character offsets into the original text
    end: int
    text: str


@dataclass(frozen=True)
class Passage:
    doc_id: str
    title: str
    chunk_no: int
    score: float
    text: str
    snippet: str


# -- text ------------------------------------------------------------------------------------


def chunk_text(text: str, max_chars: int = DEFAULT_CHUNK_CHARS) -> list[Chunk]:
    """Split text into passages of at most `max_chars`, on paragraph, then sentence, then word
    boundaries (a single word longer than the limit is cut). Offsets point into `text`."""
    if not isinstance(max_chars, int) or not MIN_CHUNK_CHARS <= max_chars <= MAX_CHUNK_CHARS:
        raise ValidationError(
            "chunk_chars",
            f"chunk_chars must be an integer in {MIN_CHUNK_CHARS}..{MAX_CHUNK_CHARS}, got {max_chars!r}",
        )
    pieces: list[tuple[int, int]] = []  # spans no longer than max_chars, in order
    for p_start, p_end in _spans(text, _PARAGRAPH, 0, len(text)):
        if p_end - p_start <= max_chars:
            pieces.append((p_start, p_end))
            continue
        for s_start, s_end in _spans(text, _SENTENCE_END, p_start, p_end):
            if s_end - s_start <= max_chars:
                pieces.append((s_start, s_end))
            else:
                pieces.extend(_split_words(text, s_start, s_end, max_chars))
    chunks: list[Chunk] = []
    cur_start: int | None = None
    cur_end = 0
    for start, end in pieces:
        if cur_start is not None and end - cur_start <= max_chars:
            cur_end = end
            continue
        if cur_start is not None:
            chunks.append(Chunk(len(chunks), cur_start, cur_end, text[cur_start:cur_end]))
        cur_start, cur_end = start, end
    if cur_start is not None:
        chunks.append(Chunk(len(chunks), cur_start, cur_end, text[cur_start:cur_end]))
    return chunks


def _spans(text: str, sep: re.Pattern[str], lo: int, hi: int) -> list[tuple[int, int]]:
    """Non-blank stretches of text[lo:hi] between separators, trimmed of surrounding whitespace."""
    out = []
    pos = lo
    for m in sep.finditer(text, lo, hi):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, hi))
    trimmed = []
    for a, b in out:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            trimmed.append((a, b))
    return trimmed


def _split_words(text: str, lo: int, hi: int, max_chars: int) -> list[tuple[int, int]]:
    out = []
    start = lo
    while hi - start > max_chars:
        cut = text.rfind(" ", start + 1, start + max_chars + 1)
        if cut <= start:
            cut = start + max_chars
        out.append((start, cut))
        start = cut
        while start < hi and text[start].isspace():
            start += 1
    if start < hi:
        out.append((start, hi))
    return out


def build_fts_query(text: str, mode: str = "any", max_terms: int = MAX_QUERY_TERMS) -> str:
    """An FTS5 MATCH expression for arbitrary user text (every token quoted; see module doc).

    mode: "any" (OR of the words: ranked recall), "all" (every word must occur), "phrase"
    (the words in this order, adjacent).
    """
    if not isinstance(text, str):
        raise ValidationError("query", "query must be a string")
    if len(text) > MAX_QUERY_CHARS:
        raise ValidationError(
            "query", f"query is {len(text)} characters; the limit is {MAX_QUERY_CHARS}"
        )
    if mode not in QUERY_MODES:
        raise ValidationError("mode", f"unknown mode {mode!r}; allowed: {', '.join(QUERY_MODES)}")
    tokens = tokenize(text)
    if mode != "phrase":
        tokens = list(dict.fromkeys(tokens))
    if not tokens:
        raise ValidationError("query", f"query {text!r} contains no searchable words")
    if len(tokens) > max_terms:
        raise ValidationError(
            "query", f"query has {len(tokens)} distinct words; the limit is {max_terms}"
        )
    quoted = [f'"{t}"' for t in tokens]  # tokens are letters/digits only: nothing to escape
    if mode == "phrase":
        return '"' + " ".join(tokens) + '"'
    return (" OR " if mode == "any" else " AND ").join(quoted)


# -- storage and search (SQLite FTS5, or posting tables on PostgreSQL) ------------------------


def _posting(conn: Connection) -> bool:
    """Whether this connection's database keeps the index in posting tables (PostgreSQL)."""
    return conn.dialect.name == "postgresql"


def ensure_schema(conn: Connection) -> None:
    if _posting(conn):
        from swarm_core import _knowledge_pg

        _knowledge_pg.ensure_schema(conn)
        return
    conn.exec_driver_sql(FTS_SCHEMA)


def index_document(
    conn: Connection,
    *,
    swarm_id: str,
    doc_id: str,
    title: str,
    text: str,
    chunk_chars: int = DEFAULT_CHUNK_CHARS,
) -> int:
    """Index a document's passages (replacing any earlier ones of `doc_id`); returns their count."""
    if not text.strip() and not title.strip():
        raise ValidationError("text", "document has neither title nor text")
    delete_document(conn, doc_id)
    chunks = chunk_text(text, chunk_chars) or [Chunk(0, 0, 0, "")]
    if _posting(conn):
        from swarm_core import _knowledge_pg

        _knowledge_pg.index_chunks(
            conn,
            swarm_id=swarm_id,
            doc_id=doc_id,
            title=title,
            chunks=[(c.index, c.text) for c in chunks],
        )
        return len(chunks)
    conn.execute(
        sql(
            f"INSERT INTO {FTS_TABLE} (title, body, doc_id, swarm_id, chunk_no) "
            "VALUES (:title, :body, :doc_id, :swarm_id, :chunk_no)"
        ),
        [
            {
                "title": title,
                "body": c.text,
                "doc_id": doc_id,
                "swarm_id": swarm_id,
                "chunk_no": c.index,
            }
            for c in chunks
        ],
    )
    return len(chunks)


def delete_document(conn: Connection, doc_id: str) -> None:
    if _posting(conn):
        from swarm_core import _knowledge_pg

        _knowledge_pg.delete_document(conn, doc_id)
        return
    conn.execute(sql(f"DELETE FROM {FTS_TABLE} WHERE doc_id = :d"), {"d": doc_id})


def delete_swarm(conn: Connection, swarm_id: str) -> None:
    if _posting(conn):
        from swarm_core import _knowledge_pg

        _knowledge_pg.delete_swarm(conn, swarm_id)
        return
    conn.execute(sql(f"DELETE FROM {FTS_TABLE} WHERE swarm_id = :s"), {"s": swarm_id})


def _check_limit(limit: int) -> None:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_SEARCH_LIMIT:
        raise ValidationError(
            "limit", f"limit must be an integer in 1..{MAX_SEARCH_LIMIT}, got {limit!r}"
        )


def search_passages(
    conn: Connection, swarm_id: str, query: str, limit: int = 10, mode: str = "any"
) -> list[Passage]:
    """The best-ranked passages of one swarm's documents (BM25, best first)."""
    _check_limit(limit)
    match = build_fts_query(query, mode)
    if _posting(conn):
        from swarm_core import _knowledge_pg

        terms = list(dict.fromkeys(tokenize(query)))  # what build_fts_query quoted, in order
        return [
            Passage(doc_id=d, title=t, chunk_no=c, score=sc, text=body, snippet=snip)
            for d, t, c, sc, body, snip in _knowledge_pg.search(conn, swarm_id, terms, mode, limit)
        ]
    rows = conn.execute(
        sql(
            f"SELECT doc_id, title, chunk_no, "
            f"-bm25({FTS_TABLE}, {TITLE_WEIGHT}, {BODY_WEIGHT}) AS score, body, "
            f"snippet({FTS_TABLE}, 1, '[', ']', '…', 24) AS snip "
            f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :q AND swarm_id = :s "
            f"ORDER BY bm25({FTS_TABLE}, {TITLE_WEIGHT}, {BODY_WEIGHT}), doc_id, chunk_no LIMIT :n"
        ),
        {"q": match, "s": swarm_id, "n": limit},
    ).all()
    return [
        Passage(
            doc_id=r[0], title=r[1], chunk_no=int(r[2]), score=float(r[3]), text=r[4], snippet=r[5]
        )
        for r in rows
    ]


def search_documents(
    conn: Connection, swarm_id: str, query: str, limit: int = 10, mode: str = "any"
) -> list[dict[str, Any]]:
    """One hit per document (its best passage), as DocumentHit fields: doc_id, title, score, snippet."""
    _check_limit(limit)
    # a document can own many passages; over-fetch so `limit` distinct documents usually survive
    passages = search_passages(conn, swarm_id, query, min(MAX_SEARCH_LIMIT, limit * 8), mode)
    best: dict[str, Passage] = {}
    for p in passages:
        if p.doc_id not in best:
            best[p.doc_id] = p
    return [
        {"doc_id": p.doc_id, "title": p.title, "score": p.score, "snippet": p.snippet}
        for p in list(best.values())[:limit]
    ]


# -- ranking reference and extractive answers --------------------------------------------------


def bm25_reference(
    query_terms: Sequence[str],
    rows: Sequence[tuple[str, str]],
    weights: tuple[float, float] = (TITLE_WEIGHT, BODY_WEIGHT),
) -> list[float]:
    """FTS5's bm25 (as `-bm25()`, higher is better) for OR-queries over (title, body) rows."""
    toks = [(tokenize(t), tokenize(b)) for t, b in rows]
    n = len(rows)
    lengths = [len(t) + len(b) for t, b in toks]
    avgdl = sum(lengths) / n if n else 0.0
    terms = list(dict.fromkeys(query_terms))
    idf = {}
    for term in terms:
        hits = sum(1 for t, b in toks if term in t or term in b)
        value = math.log((n - hits + 0.5) / (hits + 0.5))
        idf[term] = value if value > 0 else 1e-6
    scores = []
    for (t, b), dl in zip(toks, lengths, strict=True):
        ct, cb = Counter(t), Counter(b)
        s = 0.0
        for term in terms:
            f = weights[0] * ct[term] + weights[1] * cb[term]
            s += (
                idf[term] * (f * (BM25_K1 + 1)) / (f + BM25_K1 * (1 - BM25_B + BM25_B * dl / avgdl))
            )
        scores.append(s)
    return scores


def extract_answer(
    query: str, passages: Iterable[Passage], max_sentences: int = 5
) -> tuple[str, list[dict[str, Any]]]:
    """Quote the passages' sentences that best cover the query, each followed by its document
    id in brackets. Returns (answer text, the quoted sentences with their source).

    A sentence scores the summed weight of the query words it contains, a word weighing
    log((N + 1) / (n + 0.5)) over the N candidate sentences (n of them contain it), so common
    words ("the", "how") count for little. Nothing is generated: every sentence is copied
    verbatim from a stored passage."""
    wanted = set(tokenize(query))
    sentences: list[tuple[int, int, str, set[str], Passage]] = []
    for rank, p in enumerate(passages):
        for i, (a, b) in enumerate(_spans(p.text, _SENTENCE_END, 0, len(p.text))):
            words = set(tokenize(p.text[a:b])) & wanted
            if words:
                sentences.append((rank, i, p.text[a:b], words, p))
    n = len(sentences)
    df = Counter(w for s in sentences for w in s[3])
    weight = {w: math.log((n + 1) / (df[w] + 0.5)) for w in df}
    # best coverage first, then better-ranked passages, then reading order
    ranked = sorted(sentences, key=lambda s: (-sum(weight[w] for w in s[3]), s[0], s[1]))
    chosen = ranked[:max_sentences]
    # present in the order the sources were ranked, and in reading order within a source
    chosen.sort(key=lambda s: (s[0], s[1]))
    quotes = [
        {"doc_id": p.doc_id, "title": p.title, "chunk_no": p.chunk_no, "sentence": sentence}
        for _, _, sentence, _, p in chosen
    ]
    answer = " ".join(f"{q['sentence']} [{q['doc_id']}]" for q in quotes)
    return answer, quotes
