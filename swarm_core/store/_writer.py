"""The single write path: group commit with per-row coalescing.

Every mutation is queued here as a row operation and the caller awaits the commit of the batch
holding it. While one batch commits (on the writer's own thread), new operations gather in the
next one, so many concurrent callers share one transaction and one fsync — and a call still
returns only after its own rows are committed. Operations on the same row inside one pending
batch merge (e.g. a task's assigned -> running -> completed updates become one UPDATE), which
keeps write volume proportional to distinct rows, not to state changes.

Batches are sealed on the event loop between callbacks, never in the middle of one, so the rows
and event of one logical operation (queued without an await in between) always commit together.
The writer thread reports each commit back by running :meth:`Writer._finish` on the loop, which
wakes the batch's waiters and hands over whatever gathered meanwhile.

Every database, one path: a commit is one transaction on a SQLAlchemy `Connection`
(:meth:`Store.write`), and every statement is built with SQLAlchemy Core on the store's tables,
every value a bound parameter. A full row that may already exist is an upsert
(:func:`upsert`: ON CONFLICT DO UPDATE by dialect), never REPLACE / DELETE+INSERT. Rows go in
multi-row statements (INSERT ... VALUES (..), (..); on SQLite also UPDATE ... FROM and DELETE
... IN over a VALUES table; elsewhere the driver's executemany).

Speed: building a Core construct of 200 rows and letting `Connection.execute` derive its cache
key and process each bound value costs more than the commit itself. So each statement shape
(dialect, table, operation, columns, row count) is built and compiled once and kept as SQL text
with its parameter order (:class:`_Compiled`); a commit only flattens values and runs it with
`Connection.exec_driver_sql` and bound parameters. Values need no processing except JSON, which
the writer serialises itself (callers may hand over text already made: :class:`RawJson`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
from sqlalchemy import (
    JSON,
    Connection,
    Dialect,
    Insert,
    Table,
    and_,
    bindparam,
    column,
    delete,
    insert,
    select,
    tuple_,
    update,
    values,
)

from swarm_core._exceptions import StoreError
from swarm_core.store._db import Store
from swarm_core.store._tables import TABLES

INSERT, UPDATE, DELETE, UPSERT = "insert", "update", "delete", "upsert"
# the name the operation had before upserts (kept so code written against it still works)
REPLACE = UPSERT

RowKey = tuple[str, tuple[Any, ...]]
_MAX_PARAMS = 900  # well under every SQLite's bound-parameter limit
_MAX_ROWS_PER_STATEMENT = 200
_EVENT_COLS = ("ts", "swarm_id", "kind", "subject_id", "data")  # (table, primary key values)


class RawJson(str):
    """JSON text already produced (and size-checked) by the caller: written as is, not dumped
    a second time."""

    __slots__ = ()


class Batch:
    """Operations that will commit together; `done` is set after commit (or failure)."""

    __slots__ = ("callbacks", "done", "error", "events", "ops", "raw", "size")

    def __init__(self) -> None:
        self.ops: dict[RowKey, tuple[str, dict[str, Any] | None]] = {}
        self.events: list[dict[str, Any]] = []
        self.raw: list[Callable[[Connection], Any]] = []
        self.done = anyio.Event()
        self.error: BaseException | None = None
        self.size = 0
        # run on the event loop right after the commit (or failure); cheaper than a waiter task
        self.callbacks: list[Callable[[], None]] = []

    async def wait(self) -> None:
        await self.done.wait()
        if self.error is not None:
            raise StoreError(f"write failed: {self.error}") from self.error


def _merge(
    prev: tuple[str, dict[str, Any] | None] | None, op: str, values: dict[str, Any] | None
) -> tuple[str, dict[str, Any] | None]:
    if prev is None:
        return op, values
    pop, pvals = prev
    if op == DELETE:
        return DELETE, values
    if op == UPDATE:
        if pop == DELETE:
            return DELETE, pvals
        return pop, {**(pvals or {}), **(values or {})}
    # insert / upsert after something pending on the same row: the new full row wins (the row
    # may exist in the database, so it cannot stay a plain INSERT)
    if pop in (DELETE, UPDATE, UPSERT):
        return UPSERT, values
    return (UPSERT if op == UPSERT else INSERT), values


class Writer:
    """Owns the pending batch and the thread that commits batches one after another."""

    def __init__(self, store: Store, *, max_batch_ops: int = 5000) -> None:
        self._store = store
        self._max = max_batch_ops
        self._pending = Batch()
        self._inflight: Batch | None = None  # the batch the writer thread holds
        self._wake = anyio.Event()
        self._seal_scheduled = False
        self._closed = False
        self._stopped = False
        self._jobs: queue.SimpleQueue[Batch | None] = queue.SimpleQueue()
        self._token: anyio.lowlevel.EventLoopToken | None = None
        self._asyncio_loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._keys = {name: [c.name for c in t.primary_key.columns] for name, t in TABLES.items()}
        self._json = {
            name: frozenset(c.name for c in t.columns if isinstance(c.type, JSON))
            for name, t in TABLES.items()
        }
        self._sql: dict[tuple[str, str, str, tuple[str, ...], int], _Compiled] = {}
        self.commits = 0
        self.rows = 0
        self.commit_seconds = 0.0

    # -- queueing (synchronous, called on the event loop) -------------------------------------

    def _batch(self) -> Batch:
        # While a batch commits, the next one is handed over by `_finish`; otherwise it is
        # sealed at the loop's next turn, once the current callback has queued everything (a
        # plain loop callback on asyncio, the run task elsewhere).
        if self._inflight is None and not self._seal_scheduled:
            self._seal_scheduled = True
            if self._asyncio_loop is not None:
                self._asyncio_loop.call_soon(self._seal)
            else:
                self._wake.set()
        return self._pending

    def _seal(self) -> None:
        self._seal_scheduled = False
        if self._stopped:
            # Queued after the run loop ended: no commit will come, so the callers must learn
            # it now instead of waiting forever.
            self._fail_pending()
        elif self._inflight is None and self._pending.size:
            self._hand_over()

    def row(
        self,
        table: str,
        op: str,
        values: Mapping[str, Any] | None,
        key: tuple[Any, ...] | None = None,
    ) -> Batch:
        if key is None:
            assert values is not None
            key = tuple(values[k] for k in self._keys[table])
        b = self._pending
        rk = (table, key)
        if op == DELETE:
            vals: dict[str, Any] | None = dict(zip(self._keys[table], key, strict=True))
        else:
            vals = dict(values) if values is not None else None
        prev = b.ops.get(rk)
        b.ops[rk] = (op, vals) if prev is None else _merge(prev, op, vals)
        b.size += 1
        return self._batch()

    def event(self, values: dict[str, Any]) -> Batch:
        self._pending.events.append(values)
        self._pending.size += 1
        return self._batch()

    def call(self, fn: Callable[[Connection], Any]) -> Batch:
        """Run `fn(conn)` inside the next commit's transaction (after its row operations)."""
        self._pending.raw.append(fn)
        self._pending.size += 1
        return self._batch()

    async def flush(self) -> None:
        """Wait until everything queued so far is committed."""
        b = self._pending if self._pending.size else self._inflight
        if b is None:
            return
        if b is self._pending:
            self._batch()
        await b.wait()

    # -- the commit loop ------------------------------------------------------------------------

    async def run(self, task_status: Any = anyio.TASK_STATUS_IGNORED) -> None:
        """Start the writer thread and seal batches for it until :meth:`close` (then drain)."""
        self._token = anyio.lowlevel.current_token()
        try:
            self._asyncio_loop = asyncio.get_running_loop()
        except RuntimeError:  # another anyio backend: report through anyio's portal call
            self._asyncio_loop = None
        self._stopped = False
        thread = threading.Thread(target=self._commit_loop, name="swarm-writer", daemon=True)
        thread.start()
        self._thread = thread
        task_status.started()
        try:
            while True:
                await self._wake.wait()
                self._wake = anyio.Event()
                self._seal()
                if self._closed and self._inflight is None and not self._pending.size:
                    return
        finally:
            self._stopped = True
            self._jobs.put(None)
            self._fail_pending()
            # The owner closes the store once this returns: the thread must be done with the
            # batch it holds first (closing its connection under a running commit loses the
            # batch or crashes the interpreter inside sqlite3).
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(thread.join)

    def _hand_over(self) -> None:
        batch, self._pending = self._pending, Batch()
        self._inflight = batch
        self._jobs.put(batch)

    def _fail_pending(self) -> None:
        # The run loop was cancelled before these were handed over: their callers must not
        # wait forever for a commit that will not come.
        batch = self._pending
        if batch.size:
            self._pending = Batch()
            batch.error = RuntimeError("the writer stopped before this write was committed")
            self._settle(batch)

    def _commit_loop(self) -> None:
        """The writer thread: commit each handed-over batch, then report on the loop."""
        log = logging.getLogger("swarm_core")
        while (batch := self._jobs.get()) is not None:
            t0 = time.perf_counter()
            try:
                self._commit(batch)
            except BaseException as exc:  # every waiter must learn the outcome
                batch.error = exc
            elapsed = time.perf_counter() - t0
            try:
                if self._asyncio_loop is not None:
                    # Fire and forget: this thread goes back to waiting (and lets go of the
                    # GIL) at once instead of holding out for the loop to run `_finish`.
                    self._asyncio_loop.call_soon_threadsafe(self._finish, batch, elapsed)
                else:
                    anyio.from_thread.run_sync(self._finish, batch, elapsed, token=self._token)
            except (anyio.RunFinishedError, RuntimeError):
                return  # the event loop is gone; nobody is left to wake
            except Exception:
                log.exception("the writer could not report a commit to the event loop")

    def _finish(self, batch: Batch, elapsed: float) -> None:
        """On the loop, between callbacks: wake the batch's waiters, hand over the next one."""
        if self._inflight is batch:
            self._inflight = None
        if batch.error is None:
            self.commit_seconds += elapsed
            self.commits += 1
            self.rows += batch.size
        self._settle(batch)
        if self._stopped:
            self._fail_pending()
        elif self._pending.size:
            self._hand_over()
        elif self._closed:
            self._wake.set()

    @staticmethod
    def _settle(batch: Batch) -> None:
        batch.done.set()
        for cb in batch.callbacks:
            try:
                cb()
            except Exception:  # a callback must not stop the writer
                logging.getLogger("swarm_core").exception("after-commit callback failed")

    def close(self) -> None:
        self._closed = True
        self._wake.set()

    def _ordered(
        self, batch: Batch
    ) -> list[tuple[tuple[str, str, tuple[str, ...]], list[dict[str, Any]]]]:
        groups: dict[tuple[str, str, tuple[str, ...]], list[dict[str, Any]]] = {}
        for (table, _key), (op, vals) in batch.ops.items():
            assert vals is not None
            groups.setdefault((table, op, tuple(sorted(vals))), []).append(vals)
        # keys are unique per table within a batch, so the order only matters across tables
        order = {DELETE: 0, INSERT: 1, UPSERT: 2, UPDATE: 3}
        return sorted(groups.items(), key=lambda g: order[g[0][1]])

    def _commit(self, batch: Batch) -> None:
        def work(conn: Connection) -> None:
            for (table, op, cols), rows in self._ordered(batch):
                self._write(conn, table, op, cols, rows)
            if batch.events:
                self._write(conn, "event", INSERT, _EVENT_COLS, batch.events)
            for fn in batch.raw:
                fn(conn)

        self._store.write(work)

    def _write(
        self,
        conn: Connection,
        table: str,
        op: str,
        cols: tuple[str, ...],
        rows: list[dict[str, Any]],
    ) -> None:
        """Write one group with multi-row statements: each statement is a single sqlite3_step,
        so the GIL is released and re-taken once per chunk instead of once per row (under load
        a per-row hand-off makes the writer wait for the event loop thread at every row)."""
        keys = self._keys[table]
        if op in (INSERT, UPSERT):
            names = cols
        elif op == DELETE:
            names = tuple(keys)
        else:
            names = tuple(keys) + tuple(c for c in cols if c not in keys)
            if len(names) == len(keys):
                return
        json_cols = self._json[table]
        jpos = [i for i, c in enumerate(names) if c in json_cols]
        flat: list[Any] = []
        if jpos:
            for r in rows:
                vals = list(map(r.__getitem__, names))
                for i in jpos:
                    vals[i] = _json_text(vals[i])
                flat.extend(vals)
        else:
            for r in rows:
                flat.extend(map(r.__getitem__, names))
        width = len(names)
        dialect = conn.dialect
        if op in (UPDATE, DELETE) and not _multirow_keyed(dialect):
            # one statement, one parameter set per row (the driver's executemany)
            one = self._compiled(dialect, table, op, names, 1)
            conn.exec_driver_sql(
                one.sql, [one.params(flat[i : i + width]) for i in range(0, len(flat), width)]
            )
            return
        chunk = max(1, min(_MAX_ROWS_PER_STATEMENT, _MAX_PARAMS // width))
        for start in range(0, len(rows), chunk):
            n = min(chunk, len(rows) - start)
            stmt = self._compiled(dialect, table, op, names, n)
            conn.exec_driver_sql(stmt.sql, stmt.params(flat[start * width : (start + n) * width]))

    def _compiled(
        self, dialect: Dialect, table: str, op: str, names: tuple[str, ...], n: int
    ) -> _Compiled:
        sk = (dialect.name, table, op, names, n)
        got = self._sql.get(sk)
        if got is None:
            got = self._sql[sk] = _compile(dialect, TABLES[table], op, names, n)
        return got


class _Compiled:
    """A statement compiled once for one dialect and row count, and how to hand it the values
    of its rows (flattened row after row, in column order)."""

    __slots__ = ("names", "order", "sql")

    def __init__(self, sql: str, order: list[int] | None, names: list[str] | None) -> None:
        self.sql = sql
        self.order = order  # positional paramstyle: value index per placeholder (None: as is)
        self.names = names  # named paramstyle: the bind name of each value

    def params(self, flat: list[Any]) -> tuple[Any, ...] | dict[str, Any]:
        if self.names is not None:
            return dict(zip(self.names, flat, strict=True))
        if self.order is None:
            return tuple(flat)
        return tuple([flat[i] for i in self.order])


def _multirow_keyed(dialect: Dialect) -> bool:
    """Whether UPDATE and DELETE of many rows go in one statement (over a VALUES table).
    SQLite >= 3.33 (UPDATE ... FROM): there the per-row GIL hand-off is what costs. Elsewhere
    the driver's executemany does it (PostgreSQL would also need typed VALUES columns)."""
    version = dialect.server_version_info or (0,)
    return dialect.name == "sqlite" and tuple(version) >= (3, 33)


def upsert(dialect: Dialect, table: Table, rows: list[dict[str, Any]]) -> Insert:
    """INSERT of `rows` that, where the primary key exists, updates the given non-key columns in
    place (ON CONFLICT DO UPDATE; SQLite >= 3.24, PostgreSQL >= 9.5). Not REPLACE: that is a
    DELETE plus an INSERT, two writes per row, and on PostgreSQL a concurrent insert of the same
    key between them fails the whole batch with a unique violation."""
    if dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt: Any = sqlite_insert(table).values(rows)
    elif dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(table).values(rows)
    else:
        raise StoreError(f"the store has no upsert for the {dialect.name} dialect")
    keys = [c.name for c in table.primary_key.columns]
    sets = {c: stmt.excluded[c] for c in rows[0] if c not in keys}
    if not sets:
        return stmt.on_conflict_do_nothing(index_elements=keys)  # type: ignore[no-any-return]
    return stmt.on_conflict_do_update(index_elements=keys, set_=sets)  # type: ignore[no-any-return]


def _compile(dialect: Dialect, t: Table, op: str, names: tuple[str, ...], n: int) -> _Compiled:
    """Build the statement for `n` rows of `names` with SQLAlchemy Core (every value a bound
    parameter) and compile it for `dialect` once; the writer caches the result by shape."""
    binds = [
        [bindparam(f"p{r}_{i}", type_=t.c[c].type) for i, c in enumerate(names)] for r in range(n)
    ]
    keys = [c.name for c in t.primary_key.columns]
    stmt: Any
    if op == INSERT:
        stmt = insert(t).values([dict(zip(names, row, strict=True)) for row in binds])
    elif op == UPSERT:
        stmt = upsert(dialect, t, [dict(zip(names, row, strict=True)) for row in binds])
    elif n == 1 and not _multirow_keyed(dialect):
        (row,) = binds
        match = and_(*(t.c[k] == b for k, b in zip(names, row, strict=False) if k in keys))
        if op == DELETE:
            stmt = delete(t).where(match)
        else:
            sets = {c: b for c, b in zip(names, row, strict=True) if c not in keys}
            stmt = update(t).where(match).values(sets)
    else:
        # the rows as a VALUES table named v, joined on the key
        v = (
            values(*(column(c, t.c[c].type) for c in names), name="v")
            .data([tuple(row) for row in binds])
            .cte("v")
        )
        if op == DELETE:
            target = t.c[keys[0]] if len(keys) == 1 else tuple_(*(t.c[k] for k in keys))
            stmt = delete(t).where(target.in_(select(*(v.c[k] for k in keys))))
        else:
            stmt = (
                update(t)
                .where(and_(*(t.c[k] == v.c[k] for k in keys)))
                .values({c: v.c[c] for c in names if c not in keys})
            )
    compiled = stmt.compile(dialect=dialect)
    natural = [b.key for row in binds for b in row]
    if compiled.positional:
        where = {name: i for i, name in enumerate(natural)}
        position = [where[name] for name in compiled.positiontup or ()]
        order = None if position == list(range(len(natural))) else position
        return _Compiled(compiled.string, order, None)
    return _Compiled(compiled.string, None, natural)


def _json_text(v: Any) -> Any:
    if v is None or type(v) is RawJson:
        return v
    if not v and isinstance(v, list | dict):  # the common empty agent_ids / depends_on / data
        return "[]" if isinstance(v, list) else "{}"
    return json.dumps(v)
