"""HTTP transports: the SDK's SSE / streamable-HTTP apps behind a bearer-token check.

DNS-rebinding protection (Host and Origin validation) is always configured explicitly, for
loopback binds as well, so it never depends on the SDK's host-string heuristics.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Receive, Scope, Send

from ruv_swarm_mcp._config import ServerConfig

MCP_PATH = "/mcp"
SSE_PATH = "/sse"
MESSAGE_PATH = "/messages/"
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def security_settings(config: ServerConfig) -> TransportSecuritySettings:
    hosts: list[str] = []
    origins: list[str] = []
    if config.is_loopback:
        for name in _LOOPBACK_NAMES:
            hosts.append(f"{name}:*")
            origins.extend([f"http://{name}:*", f"https://{name}:*"])
    if config.host not in ("0.0.0.0", "::"):
        bracketed = f"[{config.host}]" if ":" in config.host else config.host
        hosts.append(f"{bracketed}:{config.port}")
        origins.extend([f"http://{bracketed}:{config.port}", f"https://{bracketed}:{config.port}"])
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
        app = server.streamable_http_app(
            streamable_http_path=MCP_PATH,
            transport_security=security,
            max_request_body_size=config.max_request_body_bytes,
            session_idle_timeout=config.session_idle_timeout_seconds,
            max_sessions=config.max_http_sessions,
            host=config.host,
        )
    if config.token:
        app = BearerTokenMiddleware(app, config.token)
    return app
