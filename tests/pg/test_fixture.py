"""The PostgreSQL test server skips where it cannot run, except when CI requires it."""

from __future__ import annotations

import pytest

from tests import _pg


def test_missing_postgresql_skips_unless_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(_pg.REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no binaries"):
        _pg.unavailable("no binaries")
    monkeypatch.setenv(_pg.REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match=r"required .* but no binaries"):
        _pg.unavailable("no binaries")


def test_each_test_gets_a_fresh_database(pg_server: _pg.PgServer) -> None:
    import sqlalchemy as sa

    urls = [pg_server.new_database(), pg_server.new_database()]
    assert urls[0] != urls[1]
    engine = sa.create_engine(urls[0])
    try:
        with engine.connect() as con:
            tables = con.execute(
                sa.text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            ).scalar()
            assert tables == 0
            assert con.execute(sa.text("SHOW fsync")).scalar() == "off"
    finally:
        engine.dispose()
