"""Queries run on the PostgreSQL driver's cursor (xapi.store.driver)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, bindparam, event, literal, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from xapi.sqltypes import one_of
from xapi.store import statements
from xapi.store.bulk import insert_statements
from xapi.store.driver import driver_query, fetch_all, on_driver


def _row(statement_id: str, stored: datetime) -> dict:
    return {
        "statement_id": statement_id,
        "stored": stored,
        "timestamp": stored,
        "actor_key": "mbox|mailto:a@example.org",
        "verb_id": "http://adlnet.gov/expapi/verbs/experienced",
        "object_type": "Activity",
        "object_key": "http://example.org/a",
        "target_id": None,
        "registration": None,
        "voided": False,
        "authority_key": None,
        "payload": "{}",
    }


def _query(dialect: str):
    return select(literal("s"), statements.c.statement_id, statements.c.stored).where(
        one_of(statements.c.statement_id, "ids", dialect=dialect)
    )


def test_sqlite_and_postgres_without_schema_translation_run_on_the_driver(conn):
    """A schema translation map, which only SQLAlchemy applies, keeps
    SQLAlchemy's execution."""
    assert on_driver(conn) is True
    translated = conn.execution_options(schema_translate_map={None: "elsewhere"})
    assert on_driver(translated) is False


def test_driver_rows_are_sqlalchemys_rows(conn: Connection):
    """The same rows as SQLAlchemy's execution: its literals, its parameter
    processing (a list is JSON text on SQLite) and its result processing (times
    come back aware, in UTC)."""
    stored = datetime(2026, 11, 29, 10, 30, 0, 123456, tzinfo=UTC)
    ids = [str(uuid.uuid4()) for _ in range(3)]
    insert_statements(conn, [_row(i, stored) for i in ids])
    query = _query(conn.dialect.name)
    params = {"ids": ids[:2]}
    expected = sorted(tuple(row) for row in conn.execute(query, params))
    rows = sorted(driver_query(query, conn).rows(conn, params))
    assert rows == expected
    assert sorted(row[1] for row in rows) == sorted(ids[:2])
    assert [row[0] for row in rows] == ["s", "s"]
    assert all(row[2] == stored and row[2].tzinfo is UTC for row in rows)


@pytest.mark.postgres_only
def test_driver_times_are_utc_in_any_session_time_zone(conn: Connection):
    """PostgreSQL answers a timestamptz in the session's time zone; the column's
    result processing makes it UTC, as SQLAlchemy's execution does."""
    conn.execute(text("SET LOCAL TIME ZONE 'America/Sao_Paulo'"))
    stored = datetime(2026, 11, 29, 10, 30, tzinfo=UTC)
    statement_id = str(uuid.uuid4())
    insert_statements(conn, [_row(statement_id, stored)])
    query = _query(conn.dialect.name)
    ((_kind, _id, found),) = driver_query(query, conn).rows(
        conn, {"ids": [statement_id]}
    )
    assert found == stored and found.tzinfo is UTC


def test_a_query_is_compiled_once_per_dialect(conn: Connection):
    query = _query(conn.dialect.name)
    assert driver_query(query, conn) is driver_query(query, conn)
    other = _query(conn.dialect.name)
    assert driver_query(other, conn) is not driver_query(query, conn)


def test_listeners_see_driver_queries(conn: Connection):
    """before_cursor_execute listeners (query counters, logging) see what runs on
    the driver's cursor as they see SQLAlchemy's own executions."""
    seen: list[str] = []

    def executed(_conn, _cursor, sql, *_args) -> None:
        seen.append(sql)

    sql = "SELECT ? + 1" if conn.dialect.name == "sqlite" else "SELECT %s + 1"
    event.listen(conn.engine, "before_cursor_execute", executed)
    try:
        assert fetch_all(conn, sql, (41,)) == [(42,)]
        insert_statements(conn, [_row(str(uuid.uuid4()), datetime.now(UTC))])
    finally:
        event.remove(conn.engine, "before_cursor_execute", executed)
    assert seen[0] == sql
    assert any("INSERT INTO xapi_statements" in text for text in seen[1:])


def test_driver_errors_are_sqlalchemys(conn: Connection):
    """A constraint violation is SQLAlchemy's IntegrityError, which the store
    turns into a 409, with the driver's own error inside."""
    stored = datetime.now(UTC)
    statement_id = str(uuid.uuid4())
    insert_statements(conn, [_row(statement_id, stored)])
    with pytest.raises(IntegrityError) as raised:
        insert_statements(conn, [_row(statement_id, stored)])
    assert isinstance(raised.value.orig, conn.dialect.loaded_dbapi.IntegrityError)
    assert not raised.value.connection_invalidated


@pytest.mark.postgres_only
def test_a_terminated_connection_is_replaced(engine):
    """A connection that broke under a driver query is invalidated, as under
    SQLAlchemy's own: the pool replaces it and the next use works."""
    query = select(literal(1).label("one")).where(
        literal(1) == bindparam("one", type_=statements.c.seq.type)
    )
    with engine.connect() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
        with pytest.raises(DBAPIError) as raised:
            driver_query(query, connection).rows(connection, {"one": 1})
        assert raised.value.connection_invalidated
        connection.rollback()
        assert driver_query(query, connection).rows(connection, {"one": 1}) == [(1,)]
