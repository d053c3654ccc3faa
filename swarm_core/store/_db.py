"""Database setup: the SQLAlchemy engine, SQLite pragmas (WAL), schema creation and FTS5.

The schema is created or migrated on open (`_migrate.py`: numbered Alembic revisions, run
under a schema lock); a database written by a newer release is refused.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no cross-process guard
    fcntl = None  # type: ignore[assignment]

from sqlalchemy import Connection, create_engine, event, text
from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.pool import StaticPool

from swarm_core._exceptions import StoreError
from swarm_core.store._migrate import ensure_schema

_T = TypeVar("_T")

# pg_advisory_xact_lock key serialising schema creation and migration on one PostgreSQL
# database ("ruvs")
SCHEMA_LOCK_KEY = 0x72757673
# SQLite's synchronous levels (interpolated into a PRAGMA, so only these)
_SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
# pg_try_advisory_lock key held by the one engine using a PostgreSQL database ("ruvo")
OWNER_LOCK_KEY = 0x7275766F


class Store:
    """One database: a pooled SQLAlchemy engine plus what the engine needs to know about it.

    File SQLite databases run in WAL mode so readers never wait for the single writer.
    An in-memory database is one shared connection (StaticPool), so all access takes `lock`.
    """

    def __init__(self, url: str, *, synchronous: str = "FULL") -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.is_postgresql = url.startswith(("postgresql", "postgres"))
        self.is_memory = self.is_sqlite and (
            url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in url
        )
        if synchronous not in _SYNCHRONOUS:
            raise StoreError(f"synchronous must be one of {', '.join(_SYNCHRONOUS)}")
        self.synchronous = synchronous
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            if self.is_memory:
                kwargs["poolclass"] = StaticPool
            else:
                kwargs["pool_size"] = 8
                kwargs["max_overflow"] = 16
        else:
            # a server restart or an idle timeout drops pooled connections: test before use
            kwargs["pool_pre_ping"] = True
        try:
            self.engine: SAEngine = create_engine(url, **kwargs)
        except Exception as exc:
            raise StoreError(f"cannot open database {url!r}: {exc}") from exc
        if self.is_sqlite:
            event.listen(self.engine, "connect", self._on_connect)
        # one connection for :memory: -> serialise everything; file DBs: pool + WAL
        self._lock: threading.RLock | None = threading.RLock() if self.is_memory else None
        self.fts = False
        self._lock_fd: int | None = None
        self._lock_conn: Connection | None = None  # PostgreSQL: holds the owner advisory lock
        self._local = threading.local()
        self._raw_lock = threading.Lock()
        self._raw_cons: list[sqlite3.Connection] = []
        self._writer_conn: Connection | None = None

    def _on_connect(self, dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        if not self.is_memory:
            cur.execute("PRAGMA journal_mode=WAL")
        # PRAGMA takes no bound parameters; the value is one of _SYNCHRONOUS (checked above)
        cur.execute(f"PRAGMA synchronous={self.synchronous}")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.execute("PRAGMA cache_size=-32768")
        cur.close()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        if self._lock is None:
            yield
        else:
            with self._lock:
                yield

    @contextlib.contextmanager
    def _schema_transaction(self) -> Iterator[Connection]:
        """One transaction holding the database's schema lock: engines starting together on
        one database take turns at creating and migrating it, and the later ones find it done.
        SQLite: ``BEGIN IMMEDIATE`` takes the write lock up front (waits up to the busy
        timeout). PostgreSQL: a transaction-scoped advisory lock (CREATE TABLE IF NOT EXISTS is
        not safe against a concurrent one). Other dialects: the transaction only."""
        with self.engine.connect() as conn:
            if self.is_sqlite:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            elif self.is_postgresql:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SCHEMA_LOCK_KEY})
            yield conn
            conn.commit()  # leaving the block without it (an error) rolls back

    def create(self) -> None:
        """Create or migrate the schema to this engine's revision (`_migrate.py`), and the
        knowledge index (FTS5 on SQLite, posting tables on PostgreSQL)."""
        try:
            with self._locked(), self._schema_transaction() as conn:
                ensure_schema(conn)
                from swarm_core._knowledge import ensure_schema as ensure_fts

                if self.is_sqlite:
                    try:
                        ensure_fts(conn)
                        self.fts = True
                    except Exception:
                        self.fts = False  # SQLite built without FTS5
                elif self.is_postgresql:
                    ensure_fts(conn)
                    self.fts = True
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"cannot create schema in {self.url!r}: {exc}") from exc

    def read(self, fn: Callable[[Connection], _T]) -> _T:
        """Run a read-only function on a pooled connection (WAL: never blocked by the writer)."""
        with self._locked(), self.engine.connect() as conn:
            return fn(conn)

    def fast_rows(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """A hot read as plain tuples (SQLite only): a dedicated connection per thread, no ORM
        or pool round trip. Used for the agent query that must stay well under 5 ms."""
        if self._lock is not None:  # :memory: has one connection; go through it
            with self._lock, self.engine.connect() as conn:
                return list(conn.exec_driver_sql(sql, tuple(params)).fetchall())
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.engine.url.database or "", check_same_thread=False)
            con.execute("PRAGMA busy_timeout=30000")
            con.execute("PRAGMA query_only=ON")
            self._local.con = con
            with self._raw_lock:
                self._raw_cons.append(con)
        return con.execute(sql, params).fetchall()

    def write(self, fn: Callable[[Connection], _T]) -> _T:
        """Run `fn` in one write transaction and commit it. For the single writer thread: a
        file database keeps one connection for it (no pool checkout per commit). SQLite takes
        the write lock up front (``BEGIN IMMEDIATE``): a deferred transaction that reads first
        could fail to upgrade when another process committed meanwhile."""
        with self._locked():
            conn = self._writer_conn
            if conn is None:
                conn = self.engine.connect()
                if not self.is_memory:  # :memory: has one shared connection: no keeping it
                    self._writer_conn = conn
            try:
                if self.is_sqlite:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                result = fn(conn)
                conn.commit()
                return result
            except BaseException:
                # a failed statement or COMMIT (busy, disk full) must not leave the transaction
                # open, or every later batch would fail on BEGIN
                conn.rollback()
                raise
            finally:
                if self.is_memory:
                    conn.close()

    def lock_owner(self) -> None:
        """Take the database for this process (advisory `flock` on `<db>.lock`): the engine keeps
        live state in memory, so two engines writing one file would diverge. The OS drops the
        lock when the process dies, so a crash never leaves it stale."""
        if self.is_postgresql:
            self._lock_owner_postgresql()
            return
        if not self.is_sqlite or self.is_memory or fcntl is None:
            return
        path = f"{self.engine.url.database}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "another process"
            os.close(fd)
            raise StoreError(
                f"database {self.engine.url.database} is in use by another engine (pid {holder}); "
                "use a different db path"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        self._lock_fd = fd

    def _lock_owner_postgresql(self) -> None:
        """The same guard on PostgreSQL: a session advisory lock on a connection kept open for
        the engine's life (PostgreSQL drops it when that session ends, also on a crash). Until
        swarms have owners, a second engine on one database is refused."""
        conn = self.engine.connect()
        conn.detach()  # never back into the pool: closing it must end the session
        try:
            got = conn.execute(
                text("SELECT pg_try_advisory_lock(:k)"), {"k": OWNER_LOCK_KEY}
            ).scalar()
            conn.commit()
        except BaseException:
            conn.close()
            raise
        if not got:
            conn.close()
            raise StoreError(
                f"database {self.engine.url.render_as_string(hide_password=True)} is in use by "
                "another engine; use a different database"
            )
        self._lock_conn = conn

    def integrity_check(self) -> str:
        if not self.is_sqlite:
            return "ok"
        return str(self.read(lambda c: c.execute(text("PRAGMA integrity_check")).scalar()))

    def checkpoint(self) -> None:
        if self.is_sqlite and not self.is_memory:
            self.read(lambda c: c.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).all())

    def size_bytes(self) -> int:
        """On-disk size: the database file plus its WAL, PostgreSQL's pg_database_size (0 for
        other non-file databases)."""
        if self.is_postgresql:
            return int(
                self.read(
                    lambda c: c.execute(
                        text("SELECT pg_database_size(current_database())")
                    ).scalar()
                )
                or 0
            )
        if not self.is_sqlite or self.is_memory:
            return 0
        path = self.engine.url.database or ""
        total = 0
        for suffix in ("", "-wal"):
            with contextlib.suppress(OSError):
                total += os.path.getsize(path + suffix)
        return total

    def close(self) -> None:
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None
        if self._lock_conn is not None:
            with contextlib.suppress(Exception):
                self._lock_conn.close()  # ends the session: releases the advisory lock
            self._lock_conn = None
        with self._raw_lock:
            for con in self._raw_cons:
                with contextlib.suppress(Exception):
                    con.close()
            self._raw_cons.clear()
        if self._writer_conn is not None:
            with contextlib.suppress(Exception):
                self._writer_conn.close()
            self._writer_conn = None
        self.engine.dispose()
