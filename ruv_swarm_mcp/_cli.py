"""Command line: `ruv-swarm-mcp [serve options]` serves MCP; `ruv-swarm-mcp demo` runs the demo."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ruv_swarm_mcp._config import STDIO_TRANSPORTS, EventStoreLimits
from ruv_swarm_mcp._version import __version__

TRANSPORTS = ("stdio", "sse", "http")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ruv-swarm-mcp",
        description=(
            "MCP server for a real swarm engine. With no arguments it serves MCP over stdio, "
            "the way Claude Desktop and other MCP clients launch it."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--transport",
        choices=TRANSPORTS,
        default=os.environ.get("RUV_SWARM_TRANSPORT", "stdio"),
        help="stdio (default), sse (legacy HTTP+SSE) or http (streamable HTTP)",
    )
    parser.add_argument(
        "--host",
        default=os.environ.get("RUV_SWARM_HOST", "127.0.0.1"),
        help="bind address for sse/http (default 127.0.0.1)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("RUV_SWARM_PORT", "8765")),
        help="port for sse/http (default 8765)",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("RUV_SWARM_TOKEN"),
        help="bearer token required on every HTTP request (env RUV_SWARM_TOKEN); "
        "mandatory when binding a non-loopback address",
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        metavar="HOST[:PORT]",
        help="extra Host header value accepted on HTTP (repeatable; DNS-rebinding protection "
        "stays on; e.g. myhost.lan:8765 or myhost.lan:*)",
    )
    parser.add_argument(
        "--allowed-origin",
        action="append",
        metavar="ORIGIN",
        help="extra Origin header value accepted on HTTP (repeatable, e.g. https://app.example)",
    )
    parser.add_argument(
        "--data-root",
        action="append",
        metavar="DIR",
        help="directory whose files train/evaluate/orchestrate may read (repeatable; also env "
        "RUV_SWARM_DATA_ROOTS, os.pathsep-separated); a client's roots add to these for its "
        "own session; with none, file paths are refused",
    )
    parser.add_argument(
        "--db",
        default=os.environ.get("RUV_SWARM_DB"),
        help="SQLite path, ':memory:' or any SQLAlchemy URL (env RUV_SWARM_DB; "
        "default: a file under the user data directory)",
    )
    parser.add_argument(
        "--sync",
        choices=("FULL", "NORMAL"),
        default=os.environ.get("RUV_SWARM_SYNC", "FULL"),
        help="SQLite durability: FULL (default) survives an OS crash; NORMAL survives a process "
        "crash and commits faster",
    )
    parser.add_argument(
        "--profile",
        choices=("default", "ruv-swarm"),
        default=os.environ.get("RUV_SWARM_PROFILE", "default"),
        help="'ruv-swarm' also exposes the npm ruv-swarm tool names",
    )
    parser.add_argument(
        "--log-level",
        default=os.environ.get("RUV_SWARM_LOG_LEVEL", "WARNING"),
        choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"),
        help="server log level; logs always go to stderr",
    )
    parser.add_argument(
        "--stdio-transport",
        choices=STDIO_TRANSPORTS,
        default=os.environ.get("RUV_SWARM_STDIO_TRANSPORT", "auto"),
        help="stdio streams: 'native' (event-loop pipe I/O, POSIX pipes only, lowest latency), "
        "'sdk' (the mcp SDK's stdio_server, any OS) or 'auto' (default: native where it "
        "works, else sdk)",
    )
    parser.add_argument(
        "--no-jit-warmup",
        dest="jit_warmup",
        action="store_false",
        default=os.environ.get("RUV_SWARM_JIT_WARMUP", "1") != "0",
        help="do not compile the training kernels in a background process at start "
        "(env RUV_SWARM_JIT_WARMUP=0); the first training then compiles them itself",
    )
    _add_replay_options(parser)
    _add_retention_options(parser)
    sub = parser.add_subparsers(dest="command")
    demo = sub.add_parser(
        "demo",
        help="start the server as a stdio subprocess, drive it with the "
        "official MCP client and print what happened",
    )
    demo.add_argument(
        "--data",
        default=None,
        help="FANN-format training file for the demo (default: bundled PROBEN1 diabetes)",
    )
    demo.add_argument(
        "--test",
        default=None,
        help="FANN-format test file with the same shape (default: bundled diabetes.test)",
    )
    return parser


def _add_replay_options(parser: argparse.ArgumentParser) -> None:
    limits = EventStoreLimits()
    group = parser.add_argument_group(
        "streamable HTTP replay buffer",
        "What --transport http keeps so a client that lost a stream can resume it with "
        "Last-Event-ID; whichever bound is reached first evicts the oldest events.",
    )
    group.add_argument(
        "--http-replay-events-per-stream",
        type=int,
        metavar="N",
        help=f"events kept per stream (default {limits.max_events_per_stream:,})",
    )
    group.add_argument(
        "--http-replay-events",
        type=int,
        metavar="N",
        help=f"events kept in all (default {limits.max_events_total:,})",
    )
    group.add_argument(
        "--http-replay-bytes",
        type=int,
        metavar="BYTES",
        help=f"JSON bytes kept in all (default {limits.max_bytes_total:,}; min 1024)",
    )
    group.add_argument(
        "--http-replay-seconds",
        type=float,
        metavar="SECONDS",
        help=f"how long an event is kept (default {limits.max_age_seconds:g}; max 86400)",
    )
    group.add_argument(
        "--http-replay-streams",
        type=int,
        metavar="N",
        help=f"streams tracked (default {limits.max_streams:,})",
    )


def _add_retention_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "history retention",
        "Finished tasks and events are deleted by age or beyond a count, whichever comes first "
        "(pending/running tasks never).",
    )
    group.add_argument(
        "--keep-tasks", type=int, metavar="N", help="newest finished tasks kept (default 50,000)"
    )
    group.add_argument(
        "--keep-task-seconds",
        type=float,
        metavar="SECONDS",
        help="finished tasks kept this long (default 604800, 7 days)",
    )
    group.add_argument(
        "--keep-events", type=int, metavar="N", help="newest events kept (default 200,000)"
    )
    group.add_argument(
        "--keep-event-seconds",
        type=float,
        metavar="SECONDS",
        help="events kept this long (default 604800, 7 days)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    from ruv_swarm_mcp._logging import configure_logging

    configure_logging(args.log_level)
    if args.command == "demo":
        from ruv_swarm_mcp._demo import run_demo

        return run_demo(args)
    from ruv_swarm_mcp._serve import serve

    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
