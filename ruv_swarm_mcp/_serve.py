"""Run the server on the chosen transport and shut it down cleanly.

stdio has two implementations of its streams, chosen by ``--stdio-transport`` (``auto``):

- **native** (:class:`ruv_swarm_mcp._stdio.StdioReadStream` / ``StdioWriteStream``): the event
  loop reads and writes the pipes itself and a handshake-era connection skips the SDK's era
  relay (``_sdk.serve_handshake_stream``). POSIX pipes, sockets and terminals only (selector
  loop, non-blocking fds); ``auto`` takes it wherever it works, which is every MCP client
  launching the server on Linux or macOS.
- **sdk**: the SDK's public ``mcp.server.stdio.stdio_server``, fed by
  :class:`ruv_swarm_mcp._stdio.BoundedStdin` (bounded lines, a daemon reader thread) and read
  through :class:`ruv_swarm_mcp._stdio.FilteredReadStream` (bad lines answered, EOF drains).
  Any OS (Windows' Proactor loop, stdin a regular file); ``auto`` falls back to it.

Why both: measured with scripts/bench_mcp.py's client, interleaved runs on this 2-core machine
at load average ~4 (other jobs running), medians of 4 rounds of 1000 calls each:

| | native | native + public ``Server.run`` | sdk |
|---|---|---|---|
| ``query_agents`` 5 agents, median / p99 | 0.60 / 4.7 ms | 0.67 / 4.1 ms | 1.27 / 5.5 ms |
| ``ping`` median | 0.31 ms | 0.39 ms | 0.95 ms |
| cold start to ``initialize`` answer | 1.27 s | - | 1.85 s |
| start to first tool result (``swarm_init``) | 2.43 s | - | 2.22 s |

A second run of the final code (load ~8, 2 rounds of 500 calls): ``query_agents`` median 0.66
native vs 1.35 ms sdk, ping 0.37 vs 0.92 ms; cold start 3.1 vs 2.6 s and first tool result
5.9 vs 4.8 s, i.e. start-up differences are within the noise of a loaded machine (one
cold start per round), while the per-call gap is the same in every round.

The SDK transport costs two worker-thread hops per answer (``write`` then ``flush``) plus two
relay tasks per message: about twice the per-call latency, which misses the ~0.36 ms
``query_agents`` and 0.20 ms cheap-call targets that the native streams meet on an idle
machine. So the native streams stay the default where they can run, and the SDK transport is
what makes the server start everywhere else.

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

from ruv_swarm_mcp import _sdk
from ruv_swarm_mcp._config import RETENTION_OPTIONS, EventStoreLimits, ServerConfig
from ruv_swarm_mcp._exceptions import ConfigError, EngineUnavailableError
from ruv_swarm_mcp._state import AppState

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
        stdio_transport=getattr(args, "stdio_transport", "auto"),
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
        native = config.stdio_transport == "native" or (
            config.stdio_transport == "auto" and _native_stdio_works()
        )
        anyio.run(_serve_stdio_native if native else _serve_stdio_sdk, config)
        return 0
    return anyio.run(_serve_http, config)


async def _drain_in_flight(state: AppState, grace_seconds: float) -> None:
    """Stdin reached EOF: give in-flight requests up to ``grace_seconds`` to answer.

    With the SDK transport a request just read may not have reached its handler yet; wait (at
    most 1 s: a request the SDK answers without a handler never starts one) for it to start."""
    with anyio.move_on_after(grace_seconds):
        with anyio.move_on_after(1.0):
            while state.requests_started < state.requests_read:
                await anyio.sleep(0.005)
        while state.in_flight > 0:
            await anyio.sleep(0.01)
    state.shutting_down = True


def _count_read(state: AppState) -> None:
    state.requests_read += 1


async def _cancel_on_signal(scope: anyio.CancelScope, state: AppState) -> None:
    try:
        receiver = anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT)
    except NotImplementedError:  # Windows' event loop: Ctrl+C still raises KeyboardInterrupt
        return
    with receiver as signals:
        async for signum in signals:
            log.info("received signal %d, shutting down", signum)
            state.shutting_down = True
            scope.cancel()
            return


def _native_stdio_works() -> bool:
    """The native streams need a selector event loop and pipes (or a socket or terminal) on
    both stdin and stdout: POSIX, as MCP clients launch servers. Windows' Proactor loop has no
    add_reader, and a regular file as stdin cannot be polled."""
    from ruv_swarm_mcp._stdio import selectable

    return sys.platform != "win32" and selectable(0) and selectable(1)


async def _serve_stdio_native(config: ServerConfig) -> None:
    from ruv_swarm_mcp._bad_messages import answer_bad_line
    from ruv_swarm_mcp._server import build_app
    from ruv_swarm_mcp._stdio import StdioReadStream, StdioWriteStream, claimed_stdout

    server, state = build_app(config, defer_registration=True)
    low = _sdk.lowlevel(server)  # serving our own streams needs the low-level server
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
                await _sdk.serve_handshake_stream(low, read_stream, write_stream)
            finally:
                await read_stream.aclose()
                await write_stream.aclose()
        tg.cancel_scope.cancel()


async def _serve_stdio_sdk(config: ServerConfig) -> None:
    from mcp.server.stdio import stdio_server

    from ruv_swarm_mcp._bad_messages import answer_bad_line
    from ruv_swarm_mcp._server import build_app
    from ruv_swarm_mcp._stdio import BoundedStdin, FilteredReadStream

    server, state = build_app(config, defer_registration=True)
    low = _sdk.lowlevel(server)
    stdin = BoundedStdin(max_line_bytes=config.max_stdio_message_bytes)
    async with anyio.create_task_group() as tg:
        tg.start_soon(_cancel_on_signal, tg.cancel_scope, state)
        async with stdio_server(stdin=stdin) as (read_stream, write_stream):
            filtered = FilteredReadStream(
                read_stream,
                stdin,
                on_bad_line=functools.partial(answer_bad_line, write_stream),
                on_eof=functools.partial(_drain_in_flight, state, config.drain_seconds),
                on_request=functools.partial(_count_read, state),
            )
            await low.run(filtered, write_stream, low.create_initialization_options())
        tg.cancel_scope.cancel()


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
