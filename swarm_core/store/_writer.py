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
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
from sqlalchemy import JSON, Connection, Table, bindparam

from swarm_core._exceptions import StoreError
from swarm_core.store._db import Store
from swarm_core.store._tables import TABLES

INSERT, UPDATE, DELETE, REPLACE = "insert", "update", "delete", "replace"

RowKey = tuple[str, tuple[Any, ...]]
_MAX_PARAMS = 900  # well under every SQLite's bound-parameter limit
_MAX_ROWS_PER_STATEMENT = 200
_UPDATE_FROM = sqlite3.sqlite_version_info >= (3, 33, 0)
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
    # insert / replace after something pending on the same row: the new full row wins
    if pop in (DELETE, UPDATE, REPLACE):
        return REPLACE, values
    return (REPLACE if op == REPLACE else INSERT), values


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
        self._sql: dict[tuple[str, str, tuple[str, ...], int], str] = {}
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
            if op == REPLACE:
                keyvals = {k: vals[k] for k in self._keys[table]}
                groups.setdefault((table, DELETE, tuple(keyvals)), []).append(keyvals)
                op = INSERT
            groups.setdefault((table, op, tuple(sorted(vals))), []).append(vals)
        order = {DELETE: 0, INSERT: 1, UPDATE: 2}
        return sorted(groups.items(), key=lambda g: order[g[0][1]])

    def _write_sqlite(self, cur: Any, batch: Batch) -> None:
        # hot path: statements built once, rows flattened straight into the DBAPI cursor
        for (table, op, cols), rows in self._ordered(batch):
            self._raw(cur, table, op, cols, rows)
        if batch.events:
            self._raw(cur, "event", INSERT, _EVENT_COLS, batch.events)

    def _commit(self, batch: Batch) -> None:
        if not batch.raw and self._store.has_raw_writer:
            self._store.write_raw(lambda cur: self._write_sqlite(cur, batch))
            return

        def work(conn: Connection) -> None:
            if self._store.is_sqlite:
                cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                try:
                    self._write_sqlite(cur, batch)
                finally:
                    cur.close()
                for fn in batch.raw:
                    fn(conn)
                return
            ordered = self._ordered(batch)
            for (table, op, cols), raw_rows in ordered:
                rows = [_decode_raw(r) for r in raw_rows]
                t = TABLES[table]
                if op == INSERT:
                    conn.execute(t.insert(), rows)
                elif op == DELETE:
                    conn.execute(
                        t.delete().where(*_key_match(t, self._keys[table])),
                        _key_params(rows, self._keys[table]),
                    )
                else:
                    keys = self._keys[table]
                    setcols = [c for c in cols if c not in keys]
                    if not setcols:
                        continue
                    # SET columns come from the parameter keys (the same for the whole group)
                    params = [{c: r[c] for c in setcols} | _keyp(r, keys) for r in rows]
                    conn.execute(t.update().where(*_key_match(t, keys)), params)
            if batch.events:
                conn.execute(TABLES["event"].insert(), batch.events)
            for fn in batch.raw:
                fn(conn)

        self._store.write(work)

    def _raw(
        self, cur: Any, table: str, op: str, cols: tuple[str, ...], rows: list[dict[str, Any]]
    ) -> None:
        """Write one group with multi-row statements: each statement is a single sqlite3_step,
        so the GIL is released and re-taken once per chunk instead of once per row (under load
        a per-row hand-off makes the writer wait for the event loop thread at every row)."""
        keys = self._keys[table]
        if op == INSERT:
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
        if op == UPDATE and not _UPDATE_FROM:  # SQLite < 3.33 has no UPDATE ... FROM
            one = self._statement(table, op, names, len(keys), 1)
            nk = len(keys)
            rows_p = [flat[i : i + width] for i in range(0, len(flat), width)]
            cur.executemany(one, [r[nk:] + r[:nk] for r in rows_p])
            return
        chunk = max(1, min(_MAX_ROWS_PER_STATEMENT, _MAX_PARAMS // width))
        for start in range(0, len(rows), chunk):
            n = min(chunk, len(rows) - start)
            cur.execute(
                self._statement(table, op, names, len(keys), n),
                flat[start * width : (start + n) * width],
            )

    def _statement(self, table: str, op: str, names: tuple[str, ...], nkeys: int, n: int) -> str:
        sk = (table, op, names, n)
        sql = self._sql.get(sk)
        if sql is not None:
            return sql
        row = "(" + ", ".join("?" * len(names)) + ")"
        values = ", ".join([row] * n)
        if op == INSERT:
            sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES {values}"
        elif op == DELETE:
            target = names[0] if nkeys == 1 else "(" + ", ".join(names) + ")"
            sql = f"DELETE FROM {table} WHERE {target} IN (VALUES {values})"
        elif _UPDATE_FROM:
            sets = ", ".join(f"{c} = v.column{i + 1}" for i, c in enumerate(names) if i >= nkeys)
            match = " AND ".join(
                f"{table}.{k} = v.column{i + 1}" for i, k in enumerate(names[:nkeys])
            )
            sql = f"UPDATE {table} SET {sets} FROM (VALUES {values}) AS v WHERE {match}"
        else:  # one row per statement, parameters ordered SET columns then keys
            sets = ", ".join(f"{c} = ?" for c in names[nkeys:])
            match = " AND ".join(f"{k} = ?" for k in names[:nkeys])
            sql = f"UPDATE {table} SET {sets} WHERE {match}"
        self._sql[sk] = sql
        return sql


def _json_text(v: Any) -> Any:
    if v is None or type(v) is RawJson:
        return v
    if not v and isinstance(v, list | dict):  # the common empty agent_ids / depends_on / data
        return "[]" if isinstance(v, list) else "{}"
    return json.dumps(v)


def _decode_raw(row: dict[str, Any]) -> dict[str, Any]:
    """For the generic SQLAlchemy path: its JSON type wants Python values."""
    if any(type(v) is RawJson for v in row.values()):
        return {k: json.loads(v) if type(v) is RawJson else v for k, v in row.items()}
    return row


def _key_match(t: Table, keys: list[str]) -> list[Any]:
    return [t.c[k] == bindparam(f"_k_{k}") for k in keys]


def _keyp(row: Mapping[str, Any], keys: list[str]) -> dict[str, Any]:
    return {f"_k_{k}": row[k] for k in keys}


def _key_params(rows: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    return [_keyp(r, keys) for r in rows]
