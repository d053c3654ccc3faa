"""researcher agents: a per-swarm knowledge base (ingest, BM25 search, cited extractive answers).

ingest payload: {"documents": [{"title", "text", "metadata"?}, ...]} or one {"title", "text"}
    -> {"doc_ids": [...], "count": n}
search payload: {"query", "limit"? (10), "answer"? (false), "max_sentences"? (5)}
    -> {"hits": [{doc_id, title, score, snippet}], ...}; with answer=true also
       {"answer": quoted sentences each followed by [doc id], "citations": [doc ids],
        "quotes": [{doc_id, title, sentence}], "passages": [...]}.
The answer is extractive: every sentence is copied verbatim from a stored document, and when no
document matches the answer is empty and `found` is false.
"""

from __future__ import annotations

from typing import Any

from swarm_core import _knowledge, _limits
from swarm_core._exceptions import ValidationError
from swarm_core._work import WorkContext
from swarm_core.agents._payload import get_str, need_int

MAX_DOCUMENTS_PER_INGEST = 1_000
MAX_ANSWER_SENTENCES = 50
PASSAGES_PER_ANSWER = 8


async def ingest(ctx: WorkContext, payload: dict[str, Any]) -> dict[str, Any]:
    docs = payload.get("documents")
    if docs is None:
        docs = [payload]
    if not isinstance(docs, list) or not docs:
        raise ValidationError("documents", "documents must be a non-empty list of {title, text}")
    if len(docs) > MAX_DOCUMENTS_PER_INGEST:
        raise ValidationError(
            "documents", f"{len(docs)} documents; the limit is {MAX_DOCUMENTS_PER_INGEST} per task"
        )
    ids = []
    for i, doc in enumerate(docs):
        if not isinstance(doc, dict):
            raise ValidationError(
                f"documents[{i}]", "each document must be an object {title, text}"
            )
        title = get_str(doc, "title", max_len=ctx.config.max_name_length)
        text = doc.get("text")
        if not isinstance(text, str):
            raise ValidationError(f"documents[{i}].text", "text is required and must be a string")
        ids.append(await ctx.add_document(title, text, metadata=doc.get("metadata")))
        await ctx.report_progress((i + 1) / len(docs), f"ingested {title!r}")
    return {"doc_ids": ids, "count": len(ids)}


async def search(ctx: WorkContext, payload: dict[str, Any]) -> dict[str, Any]:
    query = get_str(payload, "query", max_len=_limits.MAX_QUERY_CHARS)
    limit = need_int(payload, "limit", 10, 1, _limits.MAX_SEARCH_LIMIT)
    hits = await ctx.search_knowledge(query, limit=limit)
    out: dict[str, Any] = {
        "query": query,
        "hits": [h.model_dump(mode="json") for h in hits],
        "found": bool(hits),
    }
    if not payload.get("answer"):
        return out
    max_sentences = need_int(payload, "max_sentences", 5, 1, MAX_ANSWER_SENTENCES)
    passages = await ctx.knowledge_passages(query, limit=PASSAGES_PER_ANSWER)
    answer, quotes = _knowledge.extract_answer(query, passages, max_sentences)
    out.update(
        {
            "answer": answer,
            "found": bool(quotes),
            "citations": list(dict.fromkeys(q["doc_id"] for q in quotes)),
            "quotes": quotes,
            "passages": [
                {"doc_id": p.doc_id, "title": p.title, "chunk_no": p.chunk_no, "score": p.score}
                for p in passages
            ],
        }
    )
    return out
