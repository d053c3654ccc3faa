"""Pure argument checks shared by the services (no state; each names the field and the limit)."""

from __future__ import annotations

import json
from typing import Any

from swarm_core._config import EngineConfig
from swarm_core._exceptions import LimitExceededError, ValidationError
from swarm_core.store._writer import RawJson


def check_name(
    config: EngineConfig, field: str, value: object, *, required: bool = True
) -> str | None:
    if value is None:
        if required:
            raise ValidationError(field, f"{field} is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, f"{field} must be a non-empty string, got {value!r}")
    if len(value) > config.max_name_length:
        raise ValidationError(
            field,
            f"{field} is {len(value)} characters; the limit is max_name_length="
            f"{config.max_name_length}",
        )
    return value


def check_limit_offset(config: EngineConfig, limit: int, offset: int) -> None:
    cap = config.max_query_limit
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= cap:
        raise ValidationError("limit", f"limit must be an integer in 1..{cap}, got {limit!r}")
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise ValidationError("offset", f"offset must be an integer >= 0, got {offset!r}")


def json_text(field: str, value: Any, limit: int, limit_name: str) -> RawJson:
    """The value as JSON text, checked against a size limit (reused for the write)."""
    try:
        text = json.dumps(value, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise ValidationError(field, f"{field} must be JSON-serialisable: {exc}") from None
    n = len(text)
    if n > limit:
        raise LimitExceededError(
            limit_name, n, f"{field} is {n} bytes as JSON; the limit is {limit_name}={limit}"
        )
    return RawJson(text)


def json_size(field: str, value: Any, limit: int, limit_name: str) -> int:
    return len(json_text(field, value, limit, limit_name))
