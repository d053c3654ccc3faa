from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from tests import _pg

# Servers started by the tests never spawn the background JIT warm-up child: hundreds of
# servers compiling kernels at once would only compete with the tests for the two cores.
# tests/swarm_core/test_jit_warmup.py turns it on where it is the subject.
os.environ["RUV_SWARM_JIT_WARMUP"] = "0"


@pytest.fixture
def server_command() -> list[str]:
    """How tests launch the real server process (stdio by default)."""
    return [sys.executable, "-m", "ruv_swarm_mcp"]


@pytest.fixture
def server_env(tmp_path) -> dict[str, str]:
    env = dict(os.environ)
    env["RUV_SWARM_DB"] = str(tmp_path / "swarm.db")
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture(scope="session")
def pg_server() -> Iterator[_pg.PgServer]:
    """A throwaway PostgreSQL server for the whole session (skips without one; see tests/_pg.py)."""
    server = _pg.start_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: _pg.PgServer) -> str:
    """A fresh, empty PostgreSQL database for one test (its SQLAlchemy URL)."""
    return pg_server.new_database()


DB_BACKENDS = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Tests marked `both_dbs` that use the `db_backend` fixture (directly or through the engine
    # fixtures) run once per backend; every other test stays on SQLite alone.
    if "db_backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_dbs"):
        metafunc.parametrize("db_backend", DB_BACKENDS, indirect=True)


@pytest.fixture
def db_backend(request: pytest.FixtureRequest) -> str:
    """ "sqlite" unless the test is marked `both_dbs` (then each of DB_BACKENDS in turn)."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def db_url(request: pytest.FixtureRequest, db_backend: str, tmp_path) -> str:
    """A fresh database of the test's backend that survives engine restarts within the test:
    an SQLite file in tmp_path, or a new PostgreSQL database."""
    if db_backend == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return str(tmp_path / "swarm.db")
