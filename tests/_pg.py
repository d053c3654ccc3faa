"""A throwaway PostgreSQL server for the tests: initdb + pg_ctl on a temporary directory.

The server listens on a unix socket only (no TCP port, so parallel runs on one machine cannot
collide), runs with fsync off (nothing it holds outlives the session), and each test gets a fresh
database cloned from template0. Without PostgreSQL binaries or psycopg the tests that need it
skip, unless RUV_SWARM_REQUIRE_PG=1 (CI), where a missing server is a failure.

initdb and pg_ctl refuse to run as root: as root they run as the `postgres` system user (which
Debian's package creates) on directories handed to it.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

REQUIRE_ENV = "RUV_SWARM_REQUIRE_PG"
_PORT = 5432  # names the socket file only: the server listens on no TCP port


def required() -> bool:
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0")


def unavailable(reason: str) -> None:
    """Skip (or, when PostgreSQL is required, fail) the test that asked for a server."""
    if required():
        pytest.fail(f"PostgreSQL is required ({REQUIRE_ENV}=1) but {reason}", pytrace=False)
    pytest.skip(reason)


def find_bindir() -> Path | None:
    """Where initdb/pg_ctl live: $PG_BINDIR, PATH, then Debian's versioned directories."""
    candidates: list[str] = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(os.environ["PG_BINDIR"])
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    # newest version first
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True,
    )
    for c in candidates:
        if (Path(c) / "initdb").is_file() and (Path(c) / "pg_ctl").is_file():
            return Path(c)
    return None


class PgServer:
    """One running server; :meth:`new_database` hands out fresh, empty databases."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="ruv-pg-"))
        self.data = self.root / "data"
        self.sock = self.root / "sock"
        self.sock.mkdir()
        self._as: list[str] = []
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("running as root and there is no `postgres` user") from None
            for p in (self.root, self.sock):
                os.chown(p, pw.pw_uid, pw.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self._names = itertools.count(1)
        self.log = self.root / "server.log"

    def _run(self, *args: str) -> None:
        proc = subprocess.run(
            [*self._as, *args], capture_output=True, text=True, timeout=60, check=False
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} failed: {proc.stderr.strip()}")

    def start(self) -> None:
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
            "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "-N",
        )  # fmt: skip
        opts = (
            f"-k {self.sock} -p {_PORT} -c listen_addresses='' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        try:
            self._run(
                str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                "-w", "-t", "30", "-o", opts, "start",
            )  # fmt: skip
        except RuntimeError as exc:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{exc}\n{log}") from None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.sock}&port={_PORT}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            host=str(self.sock), port=_PORT, user="postgres", dbname="postgres", autocommit=True
        ) as con:
            con.execute(sql)

    def new_database(self) -> str:
        """A fresh empty database (its SQLAlchemy URL); left behind until the server stops."""
        name = f"t{os.getpid()}_{next(self._names)}"
        self.admin(f"CREATE DATABASE {name} TEMPLATE template0 STRATEGY FILE_COPY")
        return self.url(name)

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def start_server() -> PgServer:
    """Start a server or skip/fail with the reason (see module doc)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("psycopg is not installed (pip install -e '.[scale]')")
    bindir = find_bindir()
    if bindir is None:
        unavailable("no PostgreSQL binaries (initdb, pg_ctl) found; apt-get install postgresql")
    assert bindir is not None
    server = PgServer(bindir)
    try:
        server.start()
    except Exception as exc:
        server.stop()
        unavailable(f"the PostgreSQL server did not start: {exc}")
    return server
