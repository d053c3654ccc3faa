"""Numbered schema migrations: a database made by release 0.1.0 is upgraded with its data, a
fresh one is created at the head without loading Alembic, and both equal the tables."""

from __future__ import annotations

import gzip
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from swarm_core import Engine, EngineConfig, StoreError
from swarm_core.store._db import Store
from swarm_core.store._migrate import HEAD_REVISION, alembic_config
from swarm_core.store._tables import METADATA

pytestmark = pytest.mark.anyio

RELEASE_DB = Path(__file__).parent.parent / "data" / "store-release-0.1.0.db.gz"


def release_db(tmp_path: Path) -> Path:
    db = tmp_path / "swarm.db"
    db.write_bytes(gzip.decompress(RELEASE_DB.read_bytes()))
    return db


def revision(db: Path) -> list[str]:
    con = sqlite3.connect(db)
    try:
        return [r[0] for r in con.execute("SELECT version_num FROM alembic_version")]
    finally:
        con.close()


def schema_diff(url: str) -> list[object]:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    def ours(obj: object, name: str | None, type_: str, reflected: bool, other: object) -> bool:
        return not (type_ == "table" and reflected and other is None)  # FTS5 tables

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"include_object": ours})
            return list(compare_metadata(ctx, METADATA))
    finally:
        engine.dispose()


def test_head_revision_is_the_newest_shipped_migration() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())  # type: ignore[arg-type]
    assert script.get_heads() == [HEAD_REVISION]


async def test_a_release_database_is_upgraded_and_keeps_its_data(tmp_path: Path) -> None:
    db = release_db(tmp_path)
    con = sqlite3.connect(db)
    assert (
        con.execute("SELECT name FROM sqlite_master WHERE name = 'alembic_version'").fetchall()
        == []
    )
    con.close()
    async with Engine.open(EngineConfig(db=str(db))) as eng:
        assert eng.restored["swarms"] == 1
        (swarm,) = await eng.list_swarms()
        assert swarm.name == "release-0.1.0"
        agents = await eng.query_agents(capability="search")
        assert [a.type.value for a in agents] == ["researcher"]
        assert (await eng.memory_get("ns", "k1")).value == {"v": [1, 2, 3]}
        hits = await eng.knowledge_search(swarm.id, "gamma")
        assert hits and hits[0].title == "Doc title"
        (model,) = await eng.list_models(swarm.id)
        out = await eng.predict(model.id, [[0, 1]])
        assert out
        # and it takes new writes after the upgrade
        await eng.memory_store("ns", "k3", 3)
    assert revision(db) == [HEAD_REVISION]
    assert schema_diff(f"sqlite:///{db}") == []
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM checkpoint WHERE optimizer_state = 'st'").fetchone()
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()


def test_an_older_release_database_gains_what_it_lacked(tmp_path: Path) -> None:
    db = release_db(tmp_path)
    con = sqlite3.connect(db)
    con.execute("ALTER TABLE checkpoint DROP COLUMN optimizer_state")
    con.execute("DROP INDEX ix_task_finished_at")
    con.commit()
    con.close()
    store = Store(f"sqlite:///{db}")
    try:
        store.create()
    finally:
        store.close()
    assert schema_diff(f"sqlite:///{db}") == []
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM task").fetchone()[0] >= 1
    con.close()


def test_fresh_create_and_every_migration_give_the_same_schema(tmp_path: Path) -> None:
    from alembic import command

    fresh = tmp_path / "fresh.db"
    store = Store(f"sqlite:///{fresh}")
    store.create()
    store.close()
    assert revision(fresh) == [HEAD_REVISION]
    assert schema_diff(f"sqlite:///{fresh}") == []

    migrated = tmp_path / "migrated.db"
    engine = create_engine(f"sqlite:///{migrated}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")  # type: ignore[arg-type]
    engine.dispose()
    assert revision(migrated) == [HEAD_REVISION]
    assert schema_diff(f"sqlite:///{migrated}") == []


def test_a_database_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "swarm.db"
    Store(f"sqlite:///{db}").create()
    con = sqlite3.connect(db)
    con.execute("UPDATE alembic_version SET version_num = '9999'")
    con.commit()
    con.close()
    store = Store(f"sqlite:///{db}")
    with pytest.raises(StoreError, match="revision 9999 is newer"):
        store.create()
    store.close()


def test_two_processes_creating_one_database_together_both_succeed(tmp_path: Path) -> None:
    db = tmp_path / "race.db"
    code = (
        "import sys\n"
        "from swarm_core.store._db import Store\n"
        "s = Store(sys.argv[1]); s.create(); s.close()\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, f"sqlite:///{db}"], stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    assert revision(db) == [HEAD_REVISION]


def test_opening_fresh_and_current_databases_does_not_import_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    code = (
        "import sys\n"
        "from swarm_core.store._db import Store\n"
        "for _ in range(2):\n"  # fresh, then at the head
        f"    s = Store({url!r}); s.create(); s.close()\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'alembic', 'mako'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
