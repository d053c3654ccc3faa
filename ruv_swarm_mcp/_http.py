"""HTTP transports: the SDK's SSE / streamable-HTTP apps behind a bearer-token check.

DNS-rebinding protection (Host and Origin validation) is always configured explicitly, for
loopback binds as well, so it never depends on the SDK's host-string heuristics.

Streamable HTTP keeps what it sends each handshake-era session in a bounded event store, so a
client that lost a stream resumes it with ``Last-Event-ID`` (see ``_event_store``);
:class:`EventScopeMiddleware` tells the store which session each request belongs to.

:class:`MessageCheckMiddleware` answers a POST whose body is not one JSON-RPC message itself,
with the answers stdio gives (``_bad_messages``), where the SDK would send pydantic's report or
take a request with a null id for a notification and never answer it.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.streamable_http import GET_STREAM_KEY, check_accept_headers
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from mcp_types import INVALID_REQUEST, ErrorData, JSONRPCError
from mcp_types.version import is_version_at_least
from sse_starlette import ServerSentEvent
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ruv_swarm_mcp._bad_messages import body_error
from ruv_swarm_mcp._config import ServerConfig
from ruv_swarm_mcp._event_store import BoundedEventStore, parse_event_id, scoped

MCP_PATH = "/mcp"
SSE_PATH = "/sse"
MESSAGE_PATH = "/messages/"
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def security_settings(config: ServerConfig) -> TransportSecuritySettings:
    """Host and Origin values the server accepts. A browser page may call the server only from
    the server's own origin (``http://<host>:<port>``, on loopback also spelt localhost,
    127.0.0.1 or [::1] with the same port): another local port is another site, e.g. a dev
    server or a page a local tool serves, and needs ``--allowed-origin``. Requests without an
    Origin header (non-browser clients) are not affected."""
    own: list[str] = []
    if config.host not in ("0.0.0.0", "::"):
        bare = config.host.removeprefix("[").removesuffix("]")
        own.append(f"[{bare}]" if ":" in bare else bare)
    hosts: list[str] = []
    if config.is_loopback:
        own.extend(_LOOPBACK_NAMES)
        # Any port in Host: a port-forwarded client names the local end of its tunnel.
        hosts.extend(f"{name}:*" for name in _LOOPBACK_NAMES)
    hosts.extend(f"{name}:{config.port}" for name in own)
    origins = [f"http://{name}:{config.port}" for name in own]
    hosts.extend(config.allowed_hosts)
    origins.extend(config.allowed_origins)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=list(dict.fromkeys(hosts)),
        allowed_origins=list(dict.fromkeys(origins)),
    )


class BearerTokenMiddleware:
    """Refuse every HTTP request that does not carry ``Authorization: Bearer <token>``."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self._app = app
        self._token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._authorized(scope):
            body = json.dumps(
                {"error": "unauthorized", "error_description": "missing or wrong bearer token"}
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (
                            b"www-authenticate",
                            b'Bearer realm="ruv-swarm-mcp", error="invalid_token"',
                        ),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self._app(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        header = b""
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                header = value
                break
        scheme, _, credential = header.partition(b" ")
        # compare_digest runs in time independent of where the first differing byte is.
        return scheme.lower() == b"bearer" and hmac.compare_digest(credential.strip(), self._token)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class EventScopeMiddleware:
    """Runs each request in its session's event-store scope, and binds a new session's scope to
    the id the SDK answers it with.

    A ``GET`` whose ``Last-Event-ID`` is one of our GET-stream ids the store cannot resume for
    this session (expired, evicted with its stream, another session's) is served as a plain
    ``GET``: nothing is replayed and the stream is live from now. Left to the SDK, it would get
    an empty stream that ends at once, and the SDK client would reconnect with the same id every
    second without ever getting a live stream again. Other unknown ids keep the SDK's answer
    (an empty stream, nothing replayed).

    A plain ``GET`` stream (2025-11-25 clients) opens with a priming event, an id and no data,
    as the SDK does for a request's stream but not for this one: without it a client whose GET
    stream dropped before carrying any message would have no id to resume from, and what was
    sent meanwhile would be stored but out of its reach.
    """

    def __init__(self, app: ASGIApp, store: BoundedEventStore) -> None:
        self._app = app
        self._store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        session_id = _header(scope, b"mcp-session-id")
        owner = self._store.scope_for(session_id)
        last_event_id = _header(scope, b"last-event-id")
        if scope["method"] == "GET" and last_event_id is not None:
            parsed = parse_event_id(last_event_id)
            if (
                parsed is not None
                and parsed[0] == "g"
                and not self._store.can_resume(last_event_id, owner)
            ):
                headers = [(k, v) for k, v in scope["headers"] if k != b"last-event-id"]
                scope = {**scope, "headers": headers}
                last_event_id = None
        if session_id is None:
            send = self._binding(owner, send)
        elif scope["method"] == "GET" and last_event_id is None:
            version = _header(scope, b"mcp-protocol-version") or ""
            if is_version_at_least(version, "2025-11-25"):  # older clients: no empty events
                send = self._priming(send)
        with scoped(owner):
            await self._app(scope, receive, send)

    def _priming(self, send: Send) -> Send:
        async def send_then_prime(message: Any) -> None:
            await send(message)
            if message["type"] != "http.response.start" or message["status"] != 200:
                return
            for key, value in message.get("headers", ()):
                if key.lower() == b"content-type" and value.startswith(b"text/event-stream"):
                    # Runs in the request's scope: the id names this session's GET stream.
                    event_id = await self._store.store_event(GET_STREAM_KEY, None)
                    body = ServerSentEvent(id=event_id, data="").encode()
                    await send({"type": "http.response.body", "body": body, "more_body": True})
                    return

        return send_then_prime

    def _binding(self, owner: Any, send: Send) -> Send:
        async def bind_then_send(message: Any) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                for key, value in message.get("headers", ()):
                    if key.lower() == b"mcp-session-id":
                        self._store.bind(owner, bytes(value).decode("latin-1"))
                        break
            await send(message)

        return bind_then_send


class MessageCheckMiddleware:
    """Answers a POST to ``path`` whose body is not a single valid JSON-RPC message, before the
    SDK sees it: 400 with -32700 (not JSON) or -32600 naming what is wrong, with the request's
    id when it can be read; also 415 for a Content-Type that is not JSON and, with
    ``need_both_accepts`` (streamable HTTP), 406 for an Accept header without both
    application/json and text/event-stream, each with a JSON-RPC error body.

    Host and Origin are checked first, exactly as the SDK does, and a request they refuse is
    left to the SDK's own answer (421 / 403). The body is read here under the same size limit
    the SDK applies (413 beyond it) and handed on unchanged when it is valid."""

    def __init__(
        self,
        app: ASGIApp,
        security: TransportSecuritySettings,
        *,
        path: str,
        max_body_bytes: int,
        need_both_accepts: bool,
    ) -> None:
        self._app = app
        self._guard = TransportSecurityMiddleware(security)
        self._path = path
        self._max_body_bytes = max_body_bytes
        self._need_both_accepts = need_both_accepts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"].rstrip("/") != self._path.rstrip("/")
        ):
            await self._app(scope, receive, send)
            return
        request = Request(scope)
        if await self._guard.validate_request(request, is_post=False) is not None:
            await self._app(scope, receive, send)  # a foreign Host / Origin: the SDK refuses it
            return
        content_type = request.headers.get("content-type")
        if content_type is None or not content_type.lower().startswith("application/json"):
            got = "none" if content_type is None else repr(content_type)
            await _send_error(
                send,
                415,
                f"Unsupported Media Type: Content-Type must be application/json (got {got})",
            )
            return
        if self._need_both_accepts and not all(check_accept_headers(request)):
            accept = request.headers.get("accept")
            await _send_error(
                send,
                406,
                "Not Acceptable: the Accept header must list both application/json and "
                f"text/event-stream (got {'none' if accept is None else repr(accept)})",
            )
            return
        declared = request.headers.get("content-length", "")
        too_big = declared.isdigit() and int(declared) > self._max_body_bytes
        body = None if too_big else await self._read_body(receive)
        if body is None:
            await _send(send, 413, b"Request body too large", b"text/plain; charset=utf-8")
            return
        error = body_error(body)
        if error is not None:
            await _send(
                send, 400, error.model_dump_json(by_alias=True, exclude_unset=True).encode()
            )
            return
        await self._app(scope, _replay(body, receive), send)

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole request body, or None once it grows past the limit."""
        chunks = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return bytes(chunks)  # the client went away; the SDK sees an empty body
            chunks += message.get("body", b"")
            if len(chunks) > self._max_body_bytes:
                return None
            if not message.get("more_body", False):
                return bytes(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # later reads wait for the disconnect, as the SDK expects

    return replay


async def _send_error(send: Send, status: int, message: str) -> None:
    error = JSONRPCError(
        jsonrpc="2.0", id=None, error=ErrorData(code=INVALID_REQUEST, message=message)
    )
    await _send(send, status, error.model_dump_json(by_alias=True, exclude_unset=True).encode())


async def _send(
    send: Send, status: int, body: bytes, content_type: bytes = b"application/json"
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def build_http_app(server: MCPServer[Any], config: ServerConfig) -> ASGIApp:
    security = security_settings(config)
    app: ASGIApp
    if config.transport == "sse":
        app = server.sse_app(
            sse_path=SSE_PATH,
            message_path=MESSAGE_PATH,
            transport_security=security,
            max_request_body_size=config.max_request_body_bytes,
            host=config.host,
        )
    else:
        store = BoundedEventStore(config.event_store)
        app = server.streamable_http_app(
            streamable_http_path=MCP_PATH,
            transport_security=security,
            max_request_body_size=config.max_request_body_bytes,
            session_idle_timeout=config.session_idle_timeout_seconds,
            max_sessions=config.max_http_sessions,
            host=config.host,
            event_store=store,
        )
        app = EventScopeMiddleware(app, store)
    app = MessageCheckMiddleware(
        app,
        security,
        path=MESSAGE_PATH if config.transport == "sse" else MCP_PATH,
        max_body_bytes=config.max_request_body_bytes,
        need_both_accepts=config.transport == "http",
    )
    if config.token:
        app = BearerTokenMiddleware(app, config.token)
    return app
