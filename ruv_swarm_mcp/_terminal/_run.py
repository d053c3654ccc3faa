"""How every `ruv-swarm` command runs: open an Engine on the chosen store, do the work, print one
JSON document or a rich rendering, and turn every failure into one line and an exit code.

The CLI holds no state of its own and never reads the database directly: everything goes through
the public `swarm_core.Engine` API, so whatever the engine learns about sharing a store with
other processes (per-swarm ownership) the CLI gets without change.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

import anyio

if TYPE_CHECKING:
    from rich.console import Console

    from swarm_core import Engine

PROG = "ruv-swarm"
DEBUG_ENV = "RUV_SWARM_CLI_DEBUG"

# exit codes: 0 done, 1 the work failed (engine, store, file), 2 the command line is wrong
OK, FAILED, USAGE = 0, 1, 2


class CliError(Exception):
    """A failure reported as one line on stderr (and, with --json, one document on stdout)."""

    def __init__(self, message: str, code: int = FAILED, doc: Mapping[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.doc = dict(doc) if doc is not None else None


@dataclass
class Options:
    """What every command takes: where the store is and how to print."""

    command: str
    db: str | None = None
    as_json: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def one_line(text: str) -> str:
    """Messages come from the engine and from OS errors; a terminal line must stay one line."""
    return " ".join(str(text).split())


def error_doc(message: str, code: int, kind: str) -> dict[str, Any]:
    return {"ok": False, "error": {"type": kind, "message": message, "exit_code": code}}


def emit_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, default=str, allow_nan=False) + "\n")
    sys.stdout.flush()


def report_error(command: str, message: str, code: int, kind: str, as_json: bool) -> int:
    """One line on stderr naming the command and the problem; the JSON form on stdout."""
    where = f"{PROG} {command}" if command else PROG
    sys.stderr.write(f"{where}: error: {one_line(message)}\n")
    if as_json:
        emit_json(error_doc(one_line(message), code, kind))
    return code


def stdout_console() -> Console:
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        # piped or captured: wide enough that ids are never folded over lines
        console = Console(highlight=False, soft_wrap=False, width=140)
    return console


def stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def _configure_logging() -> None:
    # the engine logs the odd warning (an export without checksum); one prefixed line each
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{PROG}: %(levelname)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)


def _engine_error(exc: BaseException, opening: bool) -> CliError:
    from swarm_core import (
        LimitExceededError,
        NotFoundError,
        StoreError,
        SwarmError,
        ValidationError,
    )

    message = one_line(str(exc)) or type(exc).__name__
    if isinstance(exc, StoreError) and opening and "in use" in message:
        # today one process owns the whole store (per-swarm sharing is being built)
        held = message.split(";")[0]
        return CliError(
            f"{held} (a running ruv-swarm-mcp server or another ruv-swarm command); until "
            "swarms can be shared across processes, stop it or pass --db for another store"
        )
    if isinstance(exc, ValidationError) and opening:
        return CliError(f"--db: {message}", USAGE)
    if isinstance(exc, NotFoundError | LimitExceededError | SwarmError):
        return CliError(message)
    return CliError(f"{type(exc).__name__}: {message}")


Body = Callable[["Engine"], Awaitable[dict[str, Any]]]
Render = Callable[[dict[str, Any], "Console"], None]


def run(opts: Options, body: Body, render: Render, **engine_overrides: Any) -> NoReturn:
    """Open the engine, run `body`, print its document and exit with the right code."""
    _configure_logging()
    try:
        doc = anyio.run(_with_engine, opts, body, engine_overrides)
    except CliError as exc:
        if exc.doc is not None and opts.as_json:
            emit_json({**exc.doc, **error_doc(one_line(str(exc)), exc.code, "CliError")})
            sys.stderr.write(f"{PROG} {opts.command}: error: {one_line(str(exc))}\n")
            raise SystemExit(exc.code) from None
        if exc.doc is not None:
            render(exc.doc, stdout_console())
        raise SystemExit(
            report_error(opts.command, str(exc), exc.code, "CliError", opts.as_json)
        ) from None
    except KeyboardInterrupt:
        raise SystemExit(
            report_error(opts.command, "interrupted", FAILED, "Interrupted", opts.as_json)
        ) from None
    except Exception as exc:  # a bug: still one line, the traceback only when asked for
        if os.environ.get(DEBUG_ENV):
            raise
        message = f"internal error {type(exc).__name__}: {exc} (set {DEBUG_ENV}=1 for details)"
        raise SystemExit(
            report_error(opts.command, message, FAILED, "InternalError", opts.as_json)
        ) from None
    if opts.as_json:
        emit_json(doc)
    else:
        render(doc, stdout_console())
    raise SystemExit(OK)


async def _with_engine(opts: Options, body: Body, overrides: dict[str, Any]) -> dict[str, Any]:
    from swarm_core import Engine, SwarmError

    try:
        if opts.db is not None:
            overrides = {**overrides, "db": opts.db}
        engine = Engine(None, **overrides)
        await engine.start()
    except SwarmError as exc:
        raise _engine_error(exc, opening=True) from None
    except OSError as exc:
        raise CliError(f"cannot open the store: {exc.strerror or exc}") from None
    try:
        return await body(engine)
    except CliError:
        raise
    except SwarmError as exc:
        raise _engine_error(exc, opening=False) from None
    finally:
        # not shielded: the engine's task group must close inside the scope it opened in
        await engine.close()


async def pick_swarm(engine: Engine, swarm_id: str | None) -> str:
    """The given swarm, or the most recently created one."""
    from swarm_core import NotFoundError

    try:
        return (await engine.resolve_swarm(swarm_id)).id
    except NotFoundError:
        if swarm_id is None:
            raise CliError(
                f"the store {engine.config.database_url()} has no swarm yet: create one with "
                f"`{PROG} init`"
            ) from None
        raise
