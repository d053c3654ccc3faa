"""Identifiers: `<prefix>-<time><counter><random>`, sortable by creation time, never colliding.

The millisecond clock plus a per-process counter makes ids from one process unique even for
calls in the same millisecond; 24 random bits separate processes sharing a database.
"""

from __future__ import annotations

import itertools
import secrets
import time

_counter = itertools.count()


def new_id(prefix: str) -> str:
    ms = time.time_ns() // 1_000_000
    return f"{prefix}-{ms:011x}{next(_counter) & 0xFFFFF:05x}{secrets.randbits(24):06x}"
