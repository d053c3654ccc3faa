"""JSON-RPC error answers for stdin lines that are not a valid JSON-RPC message.

The SDK's stdio framing turns such a line into an exception on the read stream and its
dispatcher drops it with a debug log, so the client waits forever for an answer to a request
it got slightly wrong. JSON-RPC 2.0 asks for an error response instead: -32700 for text that
is not JSON, -32600 for JSON that is not a valid request, with the request's id when one can
be read from it (else null), also when the full parse failed: :func:`scan_id` finds a top-level
id by a token scan of the text. Lines that are blank, or that look like responses, get no answer.

:func:`body_error` gives the same answers for an HTTP POST body, where every body is owed a
reply, and also refuses a request whose id is null (MCP ids are strings or integers; the SDK
would take it for a notification and never answer it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import pydantic_core
from mcp.shared.message import SessionMessage
from mcp_types import (
    INVALID_REQUEST,
    PARSE_ERROR,
    ErrorData,
    JSONRPCError,
    JSONRPCRequest,
    jsonrpc_message_adapter,
)
from pydantic import ValidationError

MAX_DETAIL_CHARS = 200
# How much of a message the id scanner reads (tokens, and characters of a too-long line kept for
# it): enough for any real envelope, where the id precedes or follows the params; bounded so a
# hostile body costs milliseconds, not seconds.
MAX_ID_SCAN_TOKENS = 100_000
ID_SCAN_HEAD_BYTES = 64 * 1024
_TAIL_CHARS = 512
# JSON tokens: a string, a structural character, or a bare scalar (number, true, false, null).
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+', re.S)
_OPENS_OBJECT = re.compile(r"\s*\{")
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
# A last member `"id": <scalar>` right before the one brace that closes the top-level object.
_TAIL_ID = re.compile(
    r'[{,]\s*"id"\s*:\s*("[^"\\]*(?:\\.[^"\\]*)*"|-?(?:0|[1-9][0-9]*))\s*}\s*$', re.S
)


def _id_value(token: str) -> str | int | None:
    if token.startswith('"'):
        try:
            value = json.loads(token)
            value.encode("utf-8")  # a lone surrogate cannot be echoed
        except (ValueError, UnicodeError):
            return None
        return value if isinstance(value, str) else None
    if _INT.fullmatch(token) and len(token) <= 4000:  # below int()'s digit limit
        return int(token)
    return None


def scan_id(text: str, *, complete: bool = True) -> str | int | None:
    """The id of a JSON-RPC message whose full parse failed (too deep, a lone surrogate, an
    integer beyond the parser's range, cut short): the string or integer value of a top-level
    ``"id"`` member, found by a token scan that never builds the document. None when there is
    none, when it is of another type, or when it lies beyond what the scan reads."""
    found = _scan_head(text)
    if found is not _MISSING:
        return found  # type: ignore[return-value]
    if not complete or not _OPENS_OBJECT.match(text):
        return None  # the tail of a cut-off prefix may close a nested object
    tail = _TAIL_ID.search(text, max(0, len(text) - _TAIL_CHARS))
    return _id_value(tail.group(1)) if tail else None


_MISSING = object()


def _scan_head(text: str) -> object:
    depth = 0
    state = "key"  # at depth 1: key -> colon -> value -> after -> (",") key
    is_id = False
    for count, match in enumerate(_TOKEN.finditer(text)):
        if count >= MAX_ID_SCAN_TOKENS:
            break
        token = match.group()
        first = token[0]
        if first in "{[":
            if depth == 0 and first != "{":
                return None  # a batch or a bare array has no id
            depth += 1
            if depth == 1:
                state = "key"
            elif depth == 2 and state == "value":
                if is_id:
                    return None  # an object or array id is no id
                state = "after"
            continue
        if first in "}]":
            depth -= 1
            if depth <= 0:
                return _MISSING
            continue
        if depth != 1:
            continue
        if token == ",":
            state = "key"
        elif token == ":":
            state = "value" if state == "colon" else state
        elif state == "key":
            is_id = token == '"id"' or (
                "\\" in token and _id_value(token) == "id" and token.startswith('"')
            )
            state = "colon"
        elif state == "value":
            if is_id:
                return _id_value(token)
            state = "after"
    return _MISSING


def _request_id(value: Any) -> str | int | None:
    if isinstance(value, Mapping):
        rid = value.get("id")
        if isinstance(rid, str | int) and not isinstance(rid, bool):
            return rid
    return None


def _reason(errors: list[Any], message: Any) -> str:
    if not isinstance(message, Mapping):
        kind = (
            "an array (batches are not supported)" if isinstance(message, list) else "not an object"
        )
        return f"a JSON-RPC message must be a single JSON object; got {kind}"
    if message.get("jsonrpc") != "2.0":
        return 'jsonrpc must be "2.0"'
    if not isinstance(message.get("method"), str):
        return "method must be a string"
    if "params" in message and not isinstance(message["params"], Mapping):
        return "params must be an object"
    if "id" in message and _request_id(message) is None:
        return "id must be a string or an integer"
    first = errors[0] if errors else {}
    field = ".".join(str(p) for p in first.get("loc", ())[1:]) or "message"
    return f"{field}: {first.get('msg', 'invalid')}"[:MAX_DETAIL_CHARS]


class MessageTooLarge(ValueError):
    """A stdin line longer than the configured limit: dropped as it arrived, answered once its
    newline came, with the id when its first bytes (``head``) name one."""

    def __init__(self, size: int, limit: int, head: bytes = b"") -> None:
        super().__init__(
            f"message of {size} bytes exceeds the limit of {limit} bytes (max_stdio_message_bytes)"
        )
        self.size = size
        self.limit = limit
        self.head = head


class NullIdRequest(ValueError):
    """A line that names a method with a null or boolean id: it validates as a notification,
    but JSON-RPC owes a request an answer and MCP forbids such ids."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"id must be a string or an integer (got {kind})")
        self.kind = kind


def null_id_request(line: bytes | str) -> NullIdRequest | None:
    """For a line that parsed as a notification: is it really a request with a bad id?"""
    try:
        decoded = pydantic_core.from_json(line)
    except ValueError:
        return None
    if isinstance(decoded, Mapping) and "id" in decoded and "method" in decoded:
        rid = decoded["id"]
        return NullIdRequest("null" if rid is None else type(rid).__name__)
    return None


def answer(item: Exception) -> SessionMessage | None:
    """The error response a client should get for a line the transport could not read as a
    JSON-RPC message, or None when no answer is due."""
    if isinstance(item, NullIdRequest):
        return _error(None, INVALID_REQUEST, f"Invalid Request: {item}")
    if isinstance(item, MessageTooLarge):
        head = item.head.decode("utf-8", "replace")
        return _error(scan_id(head, complete=False), INVALID_REQUEST, f"Invalid Request: {item}")
    if not isinstance(item, ValidationError):
        return None
    errors = item.errors(include_url=False)
    if errors and errors[0].get("type") == "json_invalid":
        raw = errors[0].get("input")
        if isinstance(raw, str | bytes) and not raw.strip():
            return None  # a blank line between messages
        detail = str(errors[0].get("msg", "")).removeprefix("Invalid JSON: ")[:MAX_DETAIL_CHARS]
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", "replace")
        rid = scan_id(raw) if isinstance(raw, str) else None
        return _error(rid, PARSE_ERROR, f"Parse error: {detail}")
    message = next(
        (e.get("input") for e in errors if isinstance(e.get("input"), Mapping)),
        errors[0].get("input") if errors else None,
    )
    if isinstance(message, Mapping) and ("result" in message or "error" in message):
        return None  # a malformed response: JSON-RPC never answers responses
    return _error(
        _request_id(message), INVALID_REQUEST, f"Invalid Request: {_reason(errors, message)}"
    )


def _error(request_id: str | int | None, code: int, message: str) -> SessionMessage:
    return SessionMessage(
        JSONRPCError(jsonrpc="2.0", id=request_id, error=ErrorData(code=code, message=message))
    )


async def answer_bad_line(write_stream: Any, item: Exception) -> None:
    """Send the answer :func:`answer` gives for ``item``, if any (the stdio read stream's hook)."""
    message = answer(item)
    if message is not None:
        await write_stream.send(message)


def body_error(body: bytes) -> JSONRPCError | None:
    """The error an HTTP POST ``body`` gets when it is not one JSON-RPC message the SDK can
    serve, or None when it is one: -32700 for text that is not JSON, -32600 (with the id when
    one can be read) for anything else, naming what is wrong."""
    try:
        decoded = pydantic_core.from_json(body)
    except ValueError as exc:  # also invalid UTF-8 and nesting past the parser's limit
        rid = scan_id(body.decode("utf-8", "replace"))
        return _wire_error(rid, PARSE_ERROR, f"Parse error: {str(exc)[:MAX_DETAIL_CHARS]}")
    try:
        message = jsonrpc_message_adapter.validate_python(decoded, by_name=False)
    except ValidationError as exc:
        if (
            isinstance(decoded, Mapping)
            and "method" not in decoded
            and ("result" in decoded or "error" in decoded)
        ):
            reason = (
                'a response needs "jsonrpc": "2.0", a string or integer id, and an object '
                '"result" or "error"'
            )
        else:
            reason = _reason(exc.errors(include_url=False), decoded)
        return _wire_error(_request_id(decoded), INVALID_REQUEST, f"Invalid Request: {reason}")
    if (
        isinstance(decoded, Mapping)
        and "id" in decoded
        and "method" in decoded
        and not isinstance(message, JSONRPCRequest)
    ):
        # {"id": null, "method": ...} validates as a notification: JSON-RPC calls it a request
        # owed an answer, and MCP forbids null ids.
        kind = "null" if decoded["id"] is None else type(decoded["id"]).__name__
        return _wire_error(
            None,
            INVALID_REQUEST,
            f"Invalid Request: id must be a string or an integer (got {kind})",
        )
    return None


def _wire_error(request_id: str | int | None, code: int, message: str) -> JSONRPCError:
    return JSONRPCError(jsonrpc="2.0", id=request_id, error=ErrorData(code=code, message=message))
