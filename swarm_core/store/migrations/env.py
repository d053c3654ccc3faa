"""Alembic environment: the engine passes its connection (inside the transaction that holds the
schema lock) as `config.attributes["connection"]`; the alembic command line gives `-x url=...`."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, create_engine

from swarm_core.store._tables import METADATA


def _include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    # tables the store does not model (the FTS5 index and its shadow tables, made by
    # swarm_core/_knowledge.py) are not for autogenerate to drop
    return not (type_ == "table" and reflected and compare_to is None)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=METADATA,
        include_object=_include_object,
        # SQLite alters most things by copying the table; batch mode does that for us
        render_as_batch=connection.dialect.name == "sqlite",
    )
    # inside the caller's transaction this begins nothing: the caller commits
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("give the database: alembic -x url=sqlite:///path.db ...")
    with create_engine(url).begin() as conn:
        _run(conn)
