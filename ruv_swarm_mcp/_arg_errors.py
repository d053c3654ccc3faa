"""Readable text for a tool call whose arguments failed validation.

The SDK answers bad arguments with pydantic's own report: internal model names
(``spawn_agentArguments``), union member tags (``constrained-str``), documentation URLs and a
layout written for programmers. :func:`describe` turns the same ``ValidationError`` into one
line an LLM can act on: the tool, each offending argument as a dotted path (``data.inputs[3]``),
the constraint it broke and the value it got (truncated). Unknown argument names are reported
with the closest accepted name. Only the error path calls this module.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, CallToolResult, TextContent
from pydantic import ValidationError

from ruv_swarm_mcp import _sdk
from ruv_swarm_mcp._toolkit import unexpected_error_text

MAX_PROBLEMS = 8
MAX_VALUE_CHARS = 80

# pydantic tags union members with their type in `loc`; plain names like these are never one of
# our argument names (those start with a lower-case letter; models with a capital or "_").
_BUILTIN_TAGS = frozenset({"str", "int", "float", "bool", "bytes", "none", "list", "dict"})
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_TYPE_WORDS = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "a boolean",
    "bool_parsing": "a boolean",
    "list_type": "an array",
    "tuple_type": "an array",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "none_required": "null",
}


def _is_tag(segment: Any, current: Any) -> bool:
    if not isinstance(segment, str):
        return False
    if isinstance(current, Mapping) and segment in current:
        return False
    if not _IDENTIFIER.match(segment):
        return True  # "constrained-str", "list[float]", "function-after[...]"
    return segment in _BUILTIN_TAGS or segment[:1].isupper() or segment[:1] == "_"


def _walk(loc: Sequence[Any], arguments: Any) -> tuple[str, str | None]:
    """(argument path as the caller wrote it, the union member tag if the error is inside one)."""
    path = ""
    tag: str | None = None
    current = arguments
    for segment in loc:
        if _is_tag(segment, current):
            tag = f"{path}|{segment}"
            continue
        if isinstance(segment, int):
            path += f"[{segment}]"
            current = (
                current[segment]
                if isinstance(current, list) and -len(current) <= segment < len(current)
                else None
            )
        else:
            path += f".{segment}" if path else str(segment)
            current = current.get(segment) if isinstance(current, Mapping) else None
    return path or "(arguments)", tag


def show_value(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    """``value`` as short JSON-like text; long strings and containers are cut, with their size."""
    if isinstance(value, str):
        if len(value) > limit:
            return json.dumps(value[: limit // 2]) + f"... ({len(value)} characters)"
        return json.dumps(value)
    if isinstance(value, list | tuple):
        if len(value) > 8:
            head = ", ".join(show_value(v, limit // 4) for v in value[:3])
            return f"[{head}, ...] ({len(value)} items)"
        text = "[" + ", ".join(show_value(v, limit // 2) for v in value) + "]"
    elif isinstance(value, Mapping):
        items = list(value.items())
        parts = [f"{json.dumps(str(k))}: {show_value(v, limit // 2)}" for k, v in items[:6]]
        text = "{" + ", ".join(parts) + (", ..." if len(items) > 6 else "") + "}"
    else:
        try:
            text = json.dumps(value)
        except (TypeError, ValueError):
            text = repr(value)
    if len(text) > limit:
        text = text[:limit] + "..."
    return text


def _size(value: Any) -> str:
    if isinstance(value, str):
        return f"a string of {len(value)} characters"
    if isinstance(value, list | tuple | Mapping):
        return f"{len(value)} items"
    return show_value(value)


# pydantic error type -> the constraint, filled from the error's ctx
_CONSTRAINTS = {
    "literal_error": "must be one of {expected}",
    "greater_than_equal": "must be >= {ge}",
    "greater_than": "must be > {gt}",
    "less_than_equal": "must be <= {le}",
    "less_than": "must be < {lt}",
    "string_too_short": "must be at least {min_length} character(s) long",
    "string_too_long": "must be at most {max_length} characters long",
    "too_short": "must have at least {min_length} item(s)",
    "too_long": "must have at most {max_length} items",
    "string_pattern_mismatch": "must match the pattern {pattern}",
    "finite_number": "must be a finite number",
    "missing": "required but missing",
}
_CONTEXT_KEYS = ("expected", "ge", "gt", "le", "lt", "min_length", "max_length", "pattern")


def _constraint(err: Mapping[str, Any]) -> str:
    """What the value should have been, starting "must"."""
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    if kind in _TYPE_WORDS:
        return f"must be {_TYPE_WORDS[kind]}"
    template = _CONSTRAINTS.get(kind)
    if template is not None:
        return template.format(**{k: ctx.get(k, "?") for k in _CONTEXT_KEYS})
    message = str(err.get("msg", "is invalid"))
    for head in ("Input should", "String should", "List should", "Dictionary should"):
        if message.startswith(head):
            return "must" + message[len(head) :]
    return message[:1].lower() + message[1:]


def _got(err: Mapping[str, Any]) -> str:
    kind = str(err.get("type", ""))
    if kind == "missing":
        return ""
    value = err.get("input")
    sized = kind in ("string_too_long", "too_long", "too_short", "string_too_short")
    if sized and isinstance(value, list | tuple | Mapping):
        return f" (got {_size(value)})"
    if sized and isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
        return f" (got {_size(value)})"
    return f" (got {show_value(value)})"


def _is_type_mismatch(err: Mapping[str, Any]) -> bool:
    return str(err.get("type", "")) in _TYPE_WORDS


def _unknown(name: str, accepted: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, accepted, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{name}: unknown argument{hint}"


def describe(
    tool: str,
    exc: ValidationError,
    arguments: Mapping[str, Any] | None = None,
    accepted: Sequence[str] = (),
) -> str:
    """One message naming every offending argument of a ``tool`` call, for the caller to fix.

    ``arguments`` (what the caller sent) lets the paths follow its structure; ``accepted`` (the
    tool's argument names) turns an unknown name into a "did you mean" hint and a list."""
    errors = exc.errors(include_url=False)
    # Union members: keep a member's errors only if they get past "wrong type" when another
    # member does, so `data` given as an object reports the object's problems, not "not a str".
    walked = [(*_walk(err["loc"], arguments), err) for err in errors]
    unions: dict[str, dict[str, list[Mapping[str, Any]]]] = {}
    for _, tag, err in walked:
        if tag is not None:
            prefix, member = tag.split("|", 1)
            unions.setdefault(prefix, {}).setdefault(member, []).append(err)
    problems: list[str] = []
    unknown = False
    done: set[str] = set()
    for path, tag, err in walked:
        if tag is None:
            if err.get("type") == "extra_forbidden":
                unknown = True
                problems.append(_unknown(path, accepted))
            else:
                problems.append(f"{path}: {_constraint(err)}{_got(err)}")
            continue
        prefix = tag.split("|", 1)[0]
        if prefix in done:
            continue
        done.add(prefix)
        problems += _union_problems(prefix, unions[prefix], arguments)
    if len(problems) > MAX_PROBLEMS:
        problems = [*problems[:MAX_PROBLEMS], f"... and {len(problems) - MAX_PROBLEMS} more"]
    text = f"invalid arguments for {tool}: " + "; ".join(problems)
    if unknown:
        names = ", ".join(accepted) if accepted else "none (this tool takes no arguments)"
        text += f". Accepted arguments: {names}"
    return text


def _union_problems(
    prefix: str, members: Mapping[str, list[Mapping[str, Any]]], arguments: Any
) -> list[str]:
    root = prefix or "(arguments)"

    def wrong_type(err: Mapping[str, Any]) -> bool:  # the member's own type did not fit
        return _is_type_mismatch(err) and _walk(err["loc"], arguments)[0] == root

    specific = [e for errs in members.values() if not all(map(wrong_type, errs)) for e in errs]
    if specific:
        return [f"{_walk(e['loc'], arguments)[0]}: {_constraint(e)}{_got(e)}" for e in specific]
    kinds: list[str] = []
    for errs in members.values():
        word = _constraint(errs[0]).removeprefix("must be ")
        if word not in kinds:
            kinds.append(word)
    first = next(iter(members.values()))[0]
    return [f"{root}: must be {' or '.join(kinds)}{_got(first)}"]


def unknown_tool(name: str, known: Sequence[str]) -> str:
    """The SDK's "Unknown tool" text with the closest tool name, if any."""
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"Unknown tool: {name}{hint} (tools/list names every tool)"


def accepted_arguments(tool: Any) -> list[str]:
    """A registered tool's argument names as the caller writes them."""
    fields = tool.fn_metadata.arg_model.model_fields
    return [info.alias or name for name, info in fields.items()]


def explain(server: Any, name: str, arguments: Any, result: CallToolResult) -> CallToolResult:
    """``result`` (an isError answer to ``tools/call``) with readable text when the cause was
    the arguments or the tool name; any other failure is returned unchanged.

    The SDK keeps only the text of the validation error, so the arguments are validated once
    more here: deterministic, and paid only by calls that already failed."""
    tool = _sdk.registered_tool(server, name)
    if tool is None:
        known = [t.name for t in _sdk.registered_tools(server)]
        return _error_result(unknown_tool(name, known))
    if not isinstance(arguments, Mapping):
        return _bare_crash(name, result)
    try:
        tool.fn_metadata.validate_arguments(dict(arguments))
    except ValidationError as exc:
        return _error_result(describe(name, exc, arguments, accepted_arguments(tool)))
    except Exception:
        return _bare_crash(name, result)
    return _bare_crash(name, result)


def _bare_crash(name: str, result: CallToolResult) -> CallToolResult:
    """The SDK answers a crash it caught itself (outside the tool body, e.g. while validating
    or converting) with only "Error executing tool <name>": say at least what happened."""
    text = " ".join(getattr(c, "text", "") for c in result.content).strip()
    if text in (_sdk.SDK_CRASH_TEXT.format(name=name), ""):
        return _error_result(unexpected_error_text(name))
    return result


def _error_result(text: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


def request_error(ctx: Any, exc: Exception) -> Exception:
    """A clearer protocol error for a request the SDK refused as "Invalid request parameters"
    (same code, -32602, which clients key on): which params were wrong, or that the session
    is not initialized yet. Anything else is returned unchanged."""
    if isinstance(exc, ValidationError):
        problems = []
        for err in exc.errors(include_url=False)[:MAX_PROBLEMS]:
            path, _ = _walk(err["loc"], ctx.params)
            problems.append(f"{path}: {_constraint(err)}{_got(err)}")
        # Union members of one field repeat the same path: keep the first word on each.
        unique = list(dict.fromkeys(problems))
        return MCPError(
            code=INVALID_PARAMS,
            message=f"Invalid request parameters for {ctx.method}: " + "; ".join(unique),
        )
    if (
        isinstance(exc, MCPError)
        and exc.error.code == INVALID_PARAMS
        and exc.error.message == _sdk.SDK_INVALID_PARAMS_TEXT
    ):
        connection = _sdk.connection(ctx.session)
        if connection is not None and not connection.initialize_accepted:
            return MCPError(
                code=INVALID_PARAMS,
                message=f"Invalid request parameters: {ctx.method} before initialize; send "
                "initialize, then notifications/initialized (only ping is served before)",
            )
    if ctx.method == "prompts/get" and type(exc) is ValueError:
        return _prompt_error(ctx.params or {}, exc)
    return exc


def _prompt_error(params: Mapping[str, Any], exc: ValueError) -> Exception:
    # MCPServer 2.3 raises a bare ValueError for these, which goes out as error code 0 with a
    # traceback in the log; the spec's answer is -32602 naming the problem.
    name = params.get("name")
    text = str(exc)
    cause = exc.__cause__
    if isinstance(cause, ValueError) and not isinstance(cause, ValidationError):
        cause = cause.__cause__
    if isinstance(cause, ValidationError):
        problems = []
        for err in cause.errors(include_url=False)[:MAX_PROBLEMS]:
            path, _ = _walk(err["loc"], params.get("arguments"))
            if err.get("type") == "unexpected_keyword_argument":
                problems.append(f"{path}: unknown argument")
            else:
                problems.append(f"{path}: {_constraint(err)}{_got(err)}")
        text = f"invalid arguments for prompt {name}: " + "; ".join(problems)
    elif not (text.startswith("Unknown prompt") or text.startswith("Missing required arguments")):
        return exc
    return MCPError(code=INVALID_PARAMS, message=text)
