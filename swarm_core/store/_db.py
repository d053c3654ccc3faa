"""Database setup: the SQLAlchemy engine, SQLite pragmas (WAL), schema creation and FTS5.

Schema migrations are "by create": tables and indexes that do not exist yet are created on
open; the schema version is recorded in `meta` and a newer on-disk version is refused.
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
from swarm_core.store._tables import SCHEMA_VERSION, TABLES

_T = TypeVar("_T")

# pg_advisory_xact_lock key serialising schema creation on one PostgreSQL database ("ruvs")
SCHEMA_LOCK_KEY = 0x72757673
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
        self._writer_con: sqlite3.Connection | None = None

    def _on_connect(self, dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        if not self.is_memory:
            cur.execute("PRAGMA journal_mode=WAL")
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

    def create(self) -> None:
        """Create missing tables/indexes (and the knowledge index: FTS5 on SQLite, posting tables
        on PostgreSQL); check the version."""
        try:
            with self._locked():
                from sqlmodel import SQLModel

                from swarm_core import _knowledge

                if self.is_postgresql:
                    self._create_postgresql()
                else:
                    SQLModel.metadata.create_all(self.engine, tables=list(TABLES.values()))
                with self.engine.begin() as conn:
                    if self.is_sqlite:
                        try:
                            _knowledge.ensure_schema(conn)
                            self.fts = True
                        except Exception:
                            self.fts = False  # SQLite built without FTS5
                    meta = TABLES["meta"]
                    row = conn.execute(meta.select().where(meta.c.key == "schema_version")).first()
                    if row is None:
                        conn.execute(
                            meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION))
                        )
                    elif int(row.value) > SCHEMA_VERSION:
                        raise StoreError(
                            f"database schema version {row.value} is newer than this engine "
                            f"supports ({SCHEMA_VERSION})"
                        )
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"cannot create schema in {self.url!r}: {exc}") from exc

    def _create_postgresql(self) -> None:
        """Tables and the knowledge index in one transaction under a transaction-scoped
        advisory lock: engines starting together on one database would otherwise race on
        CREATE TABLE / CREATE INDEX (PostgreSQL's IF NOT EXISTS is not safe against that)."""
        from sqlmodel import SQLModel

        from swarm_core import _knowledge

        with self.engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SCHEMA_LOCK_KEY})
            SQLModel.metadata.create_all(conn, tables=list(TABLES.values()))
            _knowledge.ensure_schema(conn)
        self.fts = True

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
        """Run `fn` in one transaction and commit it (used by the single writer path)."""
        with self._locked(), self.engine.begin() as conn:
            return fn(conn)

    @property
    def has_raw_writer(self) -> bool:
        """Whether :meth:`write_raw` is available: a plain SQLite file (URI options such as
        ``?uri=true`` stay with SQLAlchemy, which knows how to pass them on)."""
        return self.is_sqlite and not self.is_memory and not self.engine.url.query

    def write_raw(self, fn: Callable[[sqlite3.Cursor], None]) -> None:
        """Run `fn` on a cursor of one dedicated sqlite3 connection inside one transaction and
        commit it. For the single writer thread only: skipping the pool checkout and SQLAlchemy's
        transaction bookkeeping takes about a third off a small commit."""
        con = self._writer_con
        if con is None:
            con = sqlite3.connect(
                self.engine.url.database or "", isolation_level=None, check_same_thread=False
            )
            con.execute(f"PRAGMA synchronous={self.synchronous}")
            con.execute("PRAGMA busy_timeout=30000")
            con.execute("PRAGMA temp_store=MEMORY")
            con.execute("PRAGMA cache_size=-32768")
            self._writer_con = con
        cur = con.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
            fn(cur)
            cur.execute("COMMIT")
        except BaseException:
            # a failed statement or COMMIT (busy, disk full) must not leave the transaction
            # open, or every later batch would fail on BEGIN
            if con.in_transaction:
                con.rollback()
            raise
        finally:
            cur.close()

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
        if self._writer_con is not None:
            with contextlib.suppress(Exception):
                self._writer_con.close()
            self._writer_con = None
        self.engine.dispose()
