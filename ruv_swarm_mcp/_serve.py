"""Run the server on the chosen transport."""

from __future__ import annotations

import argparse
import logging

from ruv_swarm_mcp._config import ServerConfig

log = logging.getLogger("ruv_swarm_mcp")


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    return ServerConfig(
        transport=args.transport,
        host=args.host,
        port=args.port,
        token=args.token,
        db=args.db,
        profile=args.profile,
        log_level=args.log_level,
    )


def serve(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    if config.transport != "stdio" and not config.is_loopback and not config.token:
        log.error(
            "binding %s needs a bearer token: pass --token or set RUV_SWARM_TOKEN", config.host
        )
        return 2

    import anyio

    from ruv_swarm_mcp._server import build_server

    server = build_server(config)
    if config.transport == "stdio":
        anyio.run(server.run_stdio_async)
    elif config.transport == "sse":
        anyio.run(lambda: server.run_sse_async(host=config.host, port=config.port))
    else:
        anyio.run(lambda: server.run_streamable_http_async(host=config.host, port=config.port))
    return 0
