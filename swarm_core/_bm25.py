"""What the two knowledge indexes (SQLite FTS5 in `_knowledge`, posting tables in
`_knowledge_pg`) must agree on: the tokenizer and the BM25 parameters. Its own module so both
index modules import it and neither imports the other at run time."""

from __future__ import annotations

import re
import unicodedata

TITLE_WEIGHT = 2.0
BODY_WEIGHT = 1.0
BM25_K1 = 1.2
BM25_B = 0.75

_TOKEN = re.compile(r"[^\W_]+")


def tokenize(text: str) -> list[str]:
    """Lower-cased, accent-stripped letter/digit runs: what FTS5's unicode61 tokenizer indexes."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _TOKEN.findall(stripped)
