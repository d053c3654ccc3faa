"""Run the server on the chosen transport and shut it down cleanly.

Shutdown paths: stdin EOF (stdio) lets in-flight requests finish for up to
``config.drain_seconds`` before the SDK cancels what is left; SIGTERM / SIGINT cancel the serving
task. Either way the lifespan closes the engine (shielded), which marks running tasks
``interrupted`` in the store.
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import signal
import sys
from typing import Any

import anyio

from ruv_swarm_mcp._config import RETENTION_OPTIONS, EventStoreLimits, ServerConfig
from ruv_swarm_mcp._exceptions import ConfigError, EngineUnavailableError

log = logging.getLogger("ruv_swarm_mcp")

# Command-line option -> EventStoreLimits field.
_REPLAY_OPTIONS = {
    "http_replay_events_per_stream": "max_events_per_stream",
    "http_replay_events": "max_events_total",
    "http_replay_bytes": "max_bytes_total",
    "http_replay_seconds": "max_age_seconds",
    "http_replay_streams": "max_streams",
}


def _event_store_limits(args: argparse.Namespace) -> EventStoreLimits:
    given: dict[str, Any] = {}
    for option, field_name in _REPLAY_OPTIONS.items():
        value = getattr(args, option, None)
        if value is None:
            continue
        try:  # one field at a time, so the error names the option that broke its bound
            EventStoreLimits(**{field_name: value})
        except ConfigError as exc:
            raise ConfigError(f"--{option.replace('_', '-')}: {exc}") from None
        given[field_name] = value
    return EventStoreLimits(**given)


DATA_ROOTS_ENV = "RUV_SWARM_DATA_ROOTS"


def _data_roots(args: argparse.Namespace) -> tuple[str, ...]:
    """--data-root values then RUV_SWARM_DATA_ROOTS entries, made absolute against the
    directory the server was started in (so they mean what the user typed)."""
    given = [*(getattr(args, "data_root", None) or ())]
    given += [p for p in os.environ.get(DATA_ROOTS_ENV, "").split(os.pathsep) if p.strip()]
    out: list[str] = []
    for raw in given:
        if not raw.strip():
            raise ConfigError("--data-root: expected a directory, got an empty value")
        path = os.path.abspath(os.path.expanduser(raw))
        if not os.path.isdir(path):
            log.warning("data root %s is not a directory (yet): nothing in it can be read", path)
        if path not in out:
            out.append(path)
    return tuple(out)


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
        event_store=_event_store_limits(args),
        jit_warmup=getattr(args, "jit_warmup", False),
        data_roots=_data_roots(args),
        retention={
            name: value
            for name, option in RETENTION_OPTIONS.items()
            if (value := getattr(args, option[2:].replace("-", "_"), None)) is not None
        },
    )


def serve(args: argparse.Namespace) -> int:
    try:
        config = config_from_args(args)
    except ConfigError as exc:
        log.error("%s", exc)
        return 2
    if config.transport == "stdio":
        anyio.run(_serve_stdio, config)
        return 0
    return anyio.run(_serve_http, config)


async def _drain_in_flight(state: Any, grace_seconds: float) -> None:
    """Stdin reached EOF: give in-flight requests up to ``grace_seconds`` to answer."""
    with anyio.move_on_after(grace_seconds):
        while state.in_flight > 0:
            await anyio.sleep(0.01)
    state.shutting_down = True


async def _cancel_on_signal(scope: anyio.CancelScope, state: Any) -> None:
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for signum in signals:
            log.info("received signal %d, shutting down", signum)
            state.shutting_down = True
            scope.cancel()
            return


async def _serve_stdio(config: ServerConfig) -> None:
    from ruv_swarm_mcp._bad_messages import answer_bad_line
    from ruv_swarm_mcp._server import build_app
    from ruv_swarm_mcp._stdio import StdioReadStream, StdioWriteStream, claimed_stdout

    server, state = build_app(config, defer_registration=True)
    low = server._lowlevel_server  # serving our own streams needs the low-level server
    async with anyio.create_task_group() as tg:
        tg.start_soon(_cancel_on_signal, tg.cancel_scope, state)
        with claimed_stdout() as out_fd:
            write_stream = StdioWriteStream(out_fd)
            read_stream = StdioReadStream(
                on_eof=functools.partial(_drain_in_flight, state, config.drain_seconds),
                on_bad_line=functools.partial(answer_bad_line, write_stream),
                max_line_bytes=config.max_stdio_message_bytes,
            )
            try:
                await _run_connection(low, read_stream, write_stream)
            finally:
                await read_stream.aclose()
                await write_stream.aclose()
        tg.cancel_scope.cancel()


async def _run_connection(low: Any, read_stream: Any, write_stream: Any) -> None:
    """``Server.run`` over our stdio streams, minus a relay hop for handshake-era clients.

    The SDK decides a connection's protocol era from the client's first request and then
    relays every message through one more memory stream and task. Our read stream can hold
    that request back itself, so a handshake-era connection (``initialize`` first, what desktop
    clients speak) goes straight to the SDK's legacy serving loop; a 2026-07-28 connection, or
    an SDK without that loop, takes ``Server.run``'s own path over the same streams."""
    init_options = low.create_initialization_options()
    try:
        from mcp.server.runner import (
            _has_modern_envelope,
            _serve_legacy_stream,
            serve_dual_era_loop,
        )
    except ImportError:  # pragma: no cover - a future SDK reorganised its runner
        await low.run(read_stream, write_stream, init_options)
        return
    async with low.lifespan(low) as lifespan_state:
        opening = await read_stream.peek_opening_request()
        if (
            opening is not None
            and opening.method != "initialize"
            and _has_modern_envelope(opening.params)
        ):
            await serve_dual_era_loop(
                low,
                read_stream,
                write_stream,
                lifespan_state=lifespan_state,
                init_options=init_options,
            )
            return
        try:
            await _serve_legacy_stream(
                low,
                read_stream,
                write_stream,
                lifespan_state=lifespan_state,
                session_id=None,
                init_options=init_options,
                raise_exceptions=False,
            )
        finally:
            await write_stream.aclose()


async def _serve_http(config: ServerConfig) -> int:
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

    failed = False
    async with state.engine.running_scope():
        state.engine.warm_up()
        try:
            # An HTTP server that cannot open its database would only answer errors: say why
            # once and stop, before listening.
            await state.engine.get()
        except EngineUnavailableError:
            return 1  # the holder has logged the reason
        try:
            await _Server(uv_config).serve()
        except SystemExit:
            # uvicorn has logged why it could not listen (one line, e.g. the address is in
            # use) and exits; left to propagate, the exit would come wrapped in the task
            # groups' traceback.
            failed = True
    if failed:
        return 1
    print(f"ruv-swarm-mcp stopped serving {config.transport}", file=sys.stderr)
    return 0
