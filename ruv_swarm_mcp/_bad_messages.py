"""JSON-RPC error answers for stdin lines that are not a valid JSON-RPC message.

The SDK's stdio framing turns such a line into an exception on the read stream and its
dispatcher drops it with a debug log, so the client waits forever for an answer to a request
it got slightly wrong. JSON-RPC 2.0 asks for an error response instead: -32700 for text that
is not JSON, -32600 for JSON that is not a valid request, with the request's id when one can
be read from it (else null). Lines that are blank, or that look like responses, get no answer.

:func:`body_error` gives the same answers for an HTTP POST body, where every body is owed a
reply, and also refuses a request whose id is null (MCP ids are strings or integers; the SDK
would take it for a notification and never answer it).
"""

from __future__ import annotations

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
    newline came (its id cannot be read, so the answer's id is null)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"message of {size} bytes exceeds the limit of {limit} bytes (max_stdio_message_bytes)"
        )
        self.size = size
        self.limit = limit


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
    if isinstance(item, NullIdRequest | MessageTooLarge):
        return _error(None, INVALID_REQUEST, f"Invalid Request: {item}")
    if not isinstance(item, ValidationError):
        return None
    errors = item.errors(include_url=False)
    if errors and errors[0].get("type") == "json_invalid":
        raw = errors[0].get("input")
        if isinstance(raw, str | bytes) and not raw.strip():
            return None  # a blank line between messages
        detail = str(errors[0].get("msg", "")).removeprefix("Invalid JSON: ")[:MAX_DETAIL_CHARS]
        return _error(None, PARSE_ERROR, f"Parse error: {detail}")
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
        return _wire_error(None, PARSE_ERROR, f"Parse error: {str(exc)[:MAX_DETAIL_CHARS]}")
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
