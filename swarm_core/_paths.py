"""Which files a call may read: the one check every user-supplied file path goes through.

A *data root* is a directory (or a single file) the user allowed: the server's configured
roots (``EngineConfig.data_roots``, from ``--data-root`` / ``RUV_SWARM_DATA_ROOTS``) and the
roots the MCP client offers for its own session (``roots/list``). A path may be read only when,
with every symlink resolved, it lies inside one of them. The refusal is one fixed text, the same
whether the file exists, is a directory or is anything else, so a path outside the roots tells
the caller nothing about the server's files.

Rules (also in the README, "Data files and roots"):

- ``~`` is expanded; ``file://`` URIs are accepted for paths and roots; roots with another
  scheme (``https://...``) are ignored.
- A relative path is taken relative to the *first* root (the server's first configured root
  when it has one, else the client's first root); it must still resolve inside a root, so
  ``../x`` escapes nothing.
- Symlinks are followed before the check: a link inside a root that points outside is refused.
- With no root at all, every file path is refused.

The check is lexical on resolved paths (``Path.resolve`` + ``is_relative_to``); it does not open
anything. Callers read the returned resolved path, not the original spelling.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import anyio

from swarm_core._exceptions import NotFoundError, ValidationError

log = logging.getLogger("swarm_core")

# What a caller may hand the engine for one call: fixed roots, or an async function returning
# them that is called only when a file path is actually opened (an MCP edge asks the client
# lazily this way; the engine never imports mcp).
RootsProvider = Callable[[], Awaitable[Sequence[str]]]
DataRoots = Sequence[str] | RootsProvider

_MAX_ECHO = 300  # characters of the caller's own path argument repeated in an error


class PathNotAllowedError(ValidationError):
    """A file path outside every allowed data root (or no root is configured at all)."""

    def __init__(self, field: str, spec: object) -> None:
        shown = str(spec)
        if len(shown) > _MAX_ECHO:
            shown = shown[:_MAX_ECHO] + "..."
        super().__init__(
            field,
            f"{field}: file paths must be inside an allowed data root ({shown!r} is not); add "
            "one with --data-root DIR (or RUV_SWARM_DATA_ROOTS) or offer it as a client root",
        )


def root_path(root: str | os.PathLike[str]) -> Path | None:
    """A root as an absolute, resolved path; ``None`` for a URI that is not a local file
    (``https://...``, ``file://otherhost/...``) or a root that cannot be resolved."""
    text = os.fspath(root)
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            return None
        text = url2pathname(unquote(parts.path))
    if not text.strip():
        return None
    try:
        return Path(text).expanduser().resolve(strict=False)
    except (OSError, RuntimeError, ValueError):
        return None


def resolved_roots(roots: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The usable roots of ``roots``, resolved, in order, duplicates dropped."""
    out: list[Path] = []
    for root in roots:
        p = root_path(root)
        if p is not None and p not in out:
            out.append(p)
    return out


def resolve_data_path(
    spec: str | os.PathLike[str],
    roots: Iterable[str | os.PathLike[str]],
    *,
    field: str = "data",
) -> Path:
    """The resolved path of ``spec`` if it lies inside one of ``roots``; raises
    `PathNotAllowedError` (a `ValidationError` naming ``field``) otherwise.

    Call this before opening any user-supplied file (FANN ``.data``, CSV, Parquet, ...), then
    open the path it returns. It only checks where the path points: it does not say whether the
    file exists (see `require_file` for that, which is safe to call only afterwards).
    ``roots`` are directories (or single files), as paths or ``file://`` URIs; the first one
    anchors a relative ``spec``.
    """
    allowed = resolved_roots(roots)
    text = os.fspath(spec)
    if "://" in text:
        local = root_path(text)
        if local is None:
            raise PathNotAllowedError(field, spec)
        text = str(local)
    if not allowed or not text.strip():
        raise PathNotAllowedError(field, spec)
    try:
        path = Path(text).expanduser()
        if not path.is_absolute():
            path = allowed[0] / path
        real = path.resolve(strict=False)
    except (OSError, RuntimeError, ValueError):  # NUL byte, symlink loop, name too long
        raise PathNotAllowedError(field, spec) from None
    if any(real == root or real.is_relative_to(root) for root in allowed):
        return real
    raise PathNotAllowedError(field, spec)


def require_file(real: Path, spec: object, *, field: str = "data") -> Path:
    """``real`` (from `resolve_data_path`) if it is a regular file; otherwise a not-found or
    not-a-file error naming only the caller's own ``spec``. Special files (FIFOs, devices)
    are refused so reading cannot block."""
    try:
        if real.is_file():
            return real
        exists = real.exists()
    except (OSError, ValueError):
        exists = False
    if exists:
        raise ValidationError(field, f"{field}: {str(spec)[:_MAX_ECHO]!r} is not a regular file")
    raise NotFoundError("data file", str(spec), f"{field}: file not found: {str(spec)[:_MAX_ECHO]!r}")


async def allowed_data_file(
    spec: str | os.PathLike[str],
    configured: Sequence[str],
    roots: DataRoots | None,
    *,
    field: str = "data",
) -> Path:
    """The resolved path of the user file ``spec`` once it is known to lie inside a root and
    to be a regular file; the engine's readers (``DatasetLoader.load_data``, tabular readers) call this and
    open what it returns.

    ``configured`` (the engine's roots) are tried first, so a path inside them never waits for
    ``roots`` (the call's: fixed paths, or a provider such as the MCP client's roots, called
    only now; a provider that fails counts as no roots). A relative path is relative to the first
    root of ``[*configured, *roots]``."""
    real: Path | None = None
    if configured:
        try:
            real = resolve_data_path(spec, configured, field=field)
        except PathNotAllowedError:
            real = None
    if real is None:
        extra: Sequence[str] = ()
        if callable(roots):
            try:
                extra = tuple(await roots())
            except Exception:  # the caller's roots are unavailable: none of them apply
                log.debug("data roots provider failed", exc_info=True)
        elif roots is not None:
            extra = tuple(roots)
        real = resolve_data_path(spec, [*configured, *extra], field=field)
    return await anyio.to_thread.run_sync(functools.partial(require_file, real, spec, field=field))
