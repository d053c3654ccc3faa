"""Reading task payload fields with explicit limits: every bad value raises ValidationError naming
the field, what was expected and what was given."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from swarm_core._exceptions import ValidationError


def get_int(
    payload: Mapping[str, Any], field: str, default: int | None, lo: int, hi: int
) -> int | None:
    value = payload.get(field, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ValidationError(field, f"{field} must be an integer in {lo}..{hi}, got {value!r}")
    if not lo <= value <= hi:
        raise ValidationError(field, f"{field} must be in {lo}..{hi}, got {value}")
    return value


def need_int(payload: Mapping[str, Any], field: str, default: int, lo: int, hi: int) -> int:
    value = get_int(payload, field, default, lo, hi)
    return default if value is None else value


def get_float(
    payload: Mapping[str, Any],
    field: str,
    default: float | None,
    lo: float,
    hi: float,
    *,
    lo_open: bool = False,
) -> float | None:
    value = payload.get(field, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(field, f"{field} must be a finite number, got {value!r}")
    below = value <= lo if lo_open else value < lo
    if below or value > hi:
        bracket = "(" if lo_open else "["
        raise ValidationError(field, f"{field} must be in {bracket}{lo}, {hi}], got {value}")
    return float(value)


def need_float(
    payload: Mapping[str, Any], field: str, default: float, lo: float, hi: float, **kw: Any
) -> float:
    value = get_float(payload, field, default, lo, hi, **kw)
    return default if value is None else value


def get_choice(payload: Mapping[str, Any], field: str, default: str, allowed: Sequence[str]) -> str:
    value = payload.get(field, default)
    if value is None:
        value = default
    if not isinstance(value, str) or value not in allowed:
        raise ValidationError(field, f"unknown {field} {value!r}; allowed: {', '.join(allowed)}")
    return value


def get_str(payload: Mapping[str, Any], field: str, *, max_len: int = 10_000) -> str:
    value = payload.get(field)
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, f"{field} is required and must be a non-empty string")
    if len(value) > max_len:
        raise ValidationError(field, f"{field} is {len(value)} characters; the limit is {max_len}")
    return value


def get_opt_str(payload: Mapping[str, Any], field: str, *, max_len: int = 10_000) -> str | None:
    if payload.get(field) is None:
        return None
    return get_str(payload, field, max_len=max_len)


def get_int_list(
    payload: Mapping[str, Any],
    field: str,
    default: Sequence[int],
    lo: int,
    hi: int,
    *,
    max_len: int,
) -> list[int]:
    value = payload.get(field, list(default))
    if value is None:
        value = list(default)
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list | tuple) or len(value) > max_len:
        raise ValidationError(
            field, f"{field} must be a list of at most {max_len} integers, got {value!r}"
        )
    out = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise ValidationError(
                field, f"every {field} entry must be an integer in {lo}..{hi}, got {v!r}"
            )
        out.append(int(v))
    return out


def get_mapping(payload: Mapping[str, Any], field: str) -> dict[str, Any]:
    value = payload.get(field)
    if not isinstance(value, Mapping):
        raise ValidationError(field, f"{field} is required and must be an object")
    return dict(value)
