"""Run the server on the chosen transport and shut it down cleanly.

Shutdown paths: stdin EOF (stdio) lets in-flight requests finish for up to
``config.drain_seconds`` before the SDK cancels what is left; SIGTERM / SIGINT cancel the serving
task. Either way the lifespan closes the engine (shielded), which marks running tasks
``interrupted`` in the store.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from types import TracebackType
from typing import Any

import anyio

from ruv_swarm_mcp._config import ServerConfig
from ruv_swarm_mcp._exceptions import ConfigError

log = logging.getLogger("ruv_swarm_mcp")


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    return ServerConfig(
        transport=args.transport,
        host=args.host,
        port=args.port,
        token=args.token or None,
        db=args.db,
        synchronous=args.sync,
        profile=args.profile,
        log_level=args.log_level,
        allowed_hosts=tuple(args.allowed_host or ()),
        allowed_origins=tuple(args.allowed_origin or ()),
    )


def serve(args: argparse.Namespace) -> int:
    try:
        config = config_from_args(args)
    except ConfigError as exc:
        log.error("%s", exc)
        return 2
    if config.transport == "stdio":
        anyio.run(_serve_stdio, config)
    else:
        anyio.run(_serve_http, config)
    return 0


class _DrainOnEOF:
    """A read stream that, at EOF, holds the EOF back until in-flight requests have answered."""

    def __init__(self, inner: Any, state: Any, grace_seconds: float) -> None:
        self._inner = inner
        self._state = state
        self._grace = grace_seconds

    @property
    def last_context(self) -> Any:
        return getattr(self._inner, "last_context", None)

    async def _drain(self) -> None:
        with anyio.move_on_after(self._grace):
            while self._state.in_flight > 0:
                await anyio.sleep(0.01)

    async def receive(self) -> Any:
        try:
            return await self._inner.receive()
        except anyio.EndOfStream:
            await self._drain()
            self._state.shutting_down = True
            raise

    def __aiter__(self) -> _DrainOnEOF:
        return self

    async def __anext__(self) -> Any:
        try:
            return await self.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> _DrainOnEOF:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


async def _cancel_on_signal(scope: anyio.CancelScope, state: Any) -> None:
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for signum in signals:
            log.info("received signal %d, shutting down", signum)
            state.shutting_down = True
            scope.cancel()
            return


async def _serve_stdio(config: ServerConfig) -> None:
    from mcp.server.stdio import stdio_server

    from ruv_swarm_mcp._server import build_app
    from ruv_swarm_mcp._stdio import StdinLines, StdoutWriter, claimed_stdout

    server, state = build_app(config, defer_registration=True)
    low = server._lowlevel_server  # run() with our own read stream needs the low-level server
    async with anyio.create_task_group() as tg:
        tg.start_soon(_cancel_on_signal, tg.cancel_scope, state)
        with claimed_stdout() as out_fd:
            async with stdio_server(
                stdin=StdinLines(),  # type: ignore[arg-type]
                stdout=StdoutWriter(out_fd),  # type: ignore[arg-type]
            ) as (read_stream, write_stream):
                await low.run(
                    _DrainOnEOF(read_stream, state, config.drain_seconds),  # type: ignore[arg-type]
                    write_stream,
                    low.create_initialization_options(),
                )
        tg.cancel_scope.cancel()


async def _serve_http(config: ServerConfig) -> None:
    import uvicorn

    from ruv_swarm_mcp._http import build_http_app
    from ruv_swarm_mcp._server import build_app

    server, state = build_app(config)
    app = build_http_app(server, config)
    uv_config = uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        log_config=None,
        access_log=False,
        log_level=config.log_level.lower(),
        timeout_graceful_shutdown=3,
        lifespan="on",
    )
    # uvicorn re-raises the signal it caught once it has stopped; a Python-level handler makes
    # that re-raise harmless so the engine below still closes before the process exits.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: None)

    class _Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            state.shutting_down = True
            super().handle_exit(sig, frame)

    async with state.engine.running_scope():
        state.engine.warm_up()
        await _Server(uv_config).serve()
    print(f"ruv-swarm-mcp stopped serving {config.transport}", file=sys.stderr)
