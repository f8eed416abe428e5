"""Fixtures for the statement store: an engine on SQLite and, if set, PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, create_engine, event, text

from xapi.store import metadata

POSTGRES_URL = os.environ.get("LMS_TEST_POSTGRES_URL", "").strip()
# PostgreSQL cases exist only when a server is configured, so none is skipped.
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    """Yield an engine on a fresh schema of the test database, dropped afterwards."""
    schema = f"xapi_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(
        POSTGRES_URL, connect_args={"options": f"-c search_path={schema}"}
    )
    try:
        metadata.create_all(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _sqlite_engine(path: str) -> Engine:
    """Return an engine on a SQLite file in WAL mode with foreign keys on."""
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    metadata.create_all(engine)
    return engine


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path) -> Iterator[Engine]:
    """Yield an engine with empty xAPI tables, on each configured database."""
    if request.param == "sqlite":
        sqlite_engine = _sqlite_engine(str(tmp_path / "lrs.db"))
        yield sqlite_engine
        sqlite_engine.dispose()
        return
    postgres = request.getfixturevalue("postgres_engine")
    with postgres.begin() as conn:
        names = ", ".join(table.name for table in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    yield postgres


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    """Yield a connection inside a transaction that is rolled back afterwards."""
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        if transaction.is_active:
            transaction.rollback()
