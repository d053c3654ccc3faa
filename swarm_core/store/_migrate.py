"""Schema migrations: numbered Alembic revisions in `migrations/versions`, run on open.

:meth:`Store.create` calls :func:`ensure_schema` inside one transaction that holds the schema
lock (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: ``pg_advisory_xact_lock``), so engines starting
together on one database never race on DDL, and the second one finds the work done.

Alembic (and Mako under it) costs ~150 modules and several MiB, so it is imported only when a
migration must actually run. The common cases are settled with two plain queries:

- the stored revision is :data:`HEAD_REVISION`: nothing to do;
- none of the store's tables exists: create them from `METADATA` and stamp the head (a test
  checks that this and running every revision give the same schema).

Anything else (a database made before migrations existed, which has tables but no
`alembic_version`; or one at an older revision) goes through Alembic's `upgrade head` on the
same connection and transaction. A revision this engine does not know (a newer release wrote
it) is refused. A future revision that older releases must not open should also set
`meta.schema_version` above 1: releases before migrations refuse a database with a higher one.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Column, Connection, MetaData, PrimaryKeyConstraint, String, Table, inspect

from swarm_core._exceptions import StoreError
from swarm_core.store._tables import METADATA

# the newest revision in migrations/versions (tests check they agree)
HEAD_REVISION = "0001"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")

# Alembic's own version table, spelt the way Alembic creates it, so a database stamped here
# and one stamped by Alembic are the same
VERSION_TABLE = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def stored_revisions(conn: Connection) -> list[str] | None:
    """The revisions recorded in the database (None: it has no version table)."""
    if not inspect(conn).has_table(VERSION_TABLE.name):
        return None
    return list(conn.execute(VERSION_TABLE.select()).scalars())


def ensure_schema(conn: Connection) -> None:
    """Bring the database to :data:`HEAD_REVISION` inside the caller's transaction (which must
    hold the schema lock; the caller commits)."""
    revisions = stored_revisions(conn)
    if revisions == [HEAD_REVISION]:
        return
    if revisions is None and not any(inspect(conn).has_table(t) for t in METADATA.tables):
        METADATA.create_all(conn)
        VERSION_TABLE.create(conn)
        conn.execute(VERSION_TABLE.insert(), {"version_num": HEAD_REVISION})
        return
    upgrade(conn, revisions or [])


def alembic_config(conn: Connection | None = None) -> object:
    """An Alembic `Config` for the shipped migrations (imports Alembic)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


def upgrade(conn: Connection, revisions: list[str]) -> None:
    """Run every revision after `revisions` on `conn` (in its open transaction)."""
    from alembic import command
    from alembic.script import ScriptDirectory

    cfg = alembic_config(conn)
    script = ScriptDirectory.from_config(cfg)  # type: ignore[arg-type]
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = [r for r in revisions if r not in known]
    if unknown:
        raise StoreError(
            f"database schema revision {', '.join(unknown)} is newer than this engine supports "
            f"(up to {script.get_current_head()}); upgrade ruv-swarm-mcp"
        )
    command.upgrade(cfg, "head")  # type: ignore[arg-type]
