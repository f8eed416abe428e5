"""Queries of the write path run on the driver's own cursor.

A statement round runs a few queries whose text never changes. Through SQLAlchemy
each execution pays for a cache lookup, parameter processing and a result object:
on a small round about as much CPU as the driver's own work. These queries are
compiled once and run on the driver's cursor, with SQLAlchemy's error types.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Select
from sqlalchemy.sql.selectable import CompoundSelect

#: Dialects whose driver runs these queries (psycopg 3 and sqlite3).
DIALECTS = frozenset({"postgresql", "sqlite"})


def on_driver(conn: Connection) -> bool:
    """Return whether ``conn`` can run queries on its driver's cursor: PostgreSQL
    or SQLite without a schema translation map, which only SQLAlchemy applies."""
    return conn.dialect.name in DIALECTS and not conn.get_execution_options().get(
        "schema_translate_map"
    )


class DriverQuery:
    """A Core SELECT compiled once for a dialect, run with the driver's cursor.

    Parameters go through their types' bind processing (a list parameter of
    xapi.sqltypes.one_of becomes JSON text on SQLite) and results through the
    selected columns' result processing, as SQLAlchemy would apply them.
    """

    def __init__(self, query: Select | CompoundSelect, conn: Connection) -> None:
        dialect = conn.dialect
        compiled = query.compile(dialect=dialect)
        self.sql = compiled.string
        #: Parameter names in the order of a positional driver's placeholders.
        self.order = list(compiled.positiontup or ()) if compiled.positional else None
        binding: dict[str, Callable[[Any], Any]] = {}
        for bind, name in compiled.bind_names.items():
            processor = bind.type._cached_bind_processor(dialect)  # noqa: SLF001
            if processor is not None:
                binding[name] = processor
        #: The literals SQLAlchemy made parameters of, processed once.
        self.fixed = {
            name: binding[name](value) if name in binding else value
            for name, value in compiled.params.items()
            if value is not None
        }
        self.binding = binding
        processors: list[Callable[[Any], Any] | None] = [
            column.type._cached_result_processor(dialect, None)  # noqa: SLF001
            for column in query.selected_columns
        ]
        self.processors = [
            (i, p) for i, p in enumerate(processors) if p is not None
        ] or None

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple]:
        """Run the query in ``conn``'s transaction; return its rows."""
        values = dict(self.fixed)
        for name, value in params.items():
            processor = self.binding.get(name)
            values[name] = value if processor is None else processor(value)
        arguments: Mapping[str, Any] | tuple = (
            values if self.order is None else tuple(values[n] for n in self.order)
        )
        found = fetch_all(conn, self.sql, arguments)
        if self.processors is None:
            return found
        processed = []
        for row in found:
            items = list(row)
            for index, processor in self.processors:
                items[index] = processor(items[index])
            processed.append(tuple(items))
        return processed


def run_query(
    conn: Connection, query: Select | CompoundSelect, params: Mapping[str, Any]
) -> Sequence[Sequence]:
    """Run a query built once in ``conn``'s transaction; return its rows: on the
    driver's cursor where ``on_driver``, else through SQLAlchemy."""
    if on_driver(conn):
        return driver_query(query, conn).rows(conn, params)
    return conn.execute(query, params).all()


def fetch_all(
    conn: Connection, sql: str, params: Mapping[str, Any] | Sequence
) -> Sequence[Sequence]:
    """Run SQL text in ``conn``'s transaction; return the rows. On the driver's
    cursor (where ``on_driver``) listeners of before_cursor_execute see it, as they
    see SQLAlchemy's."""
    if not on_driver(conn):
        return conn.exec_driver_sql(sql, params).all()  # type: ignore[arg-type]
    with driver_errors(conn, sql, params), _cursor(conn) as cursor:
        conn.dispatch.before_cursor_execute(conn, cursor, sql, params, None, False)
        cursor.execute(sql, params)
        return cursor.fetchall()


def execute_many(
    conn: Connection, sql: str, rows: Sequence[Sequence] | Sequence[Mapping]
) -> None:
    """Run SQL text once per row in ``conn``'s transaction (on the driver's cursor
    where ``on_driver``)."""
    if not on_driver(conn):
        conn.exec_driver_sql(sql, rows)  # type: ignore[arg-type]
        return
    with driver_errors(conn, sql, rows), _cursor(conn) as cursor:
        conn.dispatch.before_cursor_execute(conn, cursor, sql, rows, None, True)
        cursor.executemany(sql, rows)


@contextlib.contextmanager
def _cursor(conn: Connection) -> Iterator[Any]:
    # sqlite3's cursors are not context managers.
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        yield cursor
    finally:
        cursor.close()


#: DriverQuery by (id of the query, dialect), with the query, so its id stays its.
_QUERIES: dict[tuple[int, str], tuple[object, DriverQuery]] = {}


def driver_query(query: Select | CompoundSelect, conn: Connection) -> DriverQuery:
    """Return the DriverQuery of a query that the caller builds once."""
    key = (id(query), conn.dialect.name)
    if key not in _QUERIES:
        _QUERIES[key] = (query, DriverQuery(query, conn))
    return _QUERIES[key][1]


@contextlib.contextmanager
def driver_errors(
    conn: Connection, sql: str, params: Mapping[str, Any] | Sequence | None
) -> Iterator[None]:
    """Raise the driver's errors as SQLAlchemy would (IntegrityError, …), and let
    the pool replace a connection that broke, as SQLAlchemy's own calls do."""
    dbapi = conn.dialect.loaded_dbapi
    try:
        yield
    except dbapi.Error as error:
        invalidated = conn.dialect.is_disconnect(
            error, conn.connection.dbapi_connection, None
        )
        if invalidated:
            conn.invalidate(error)
        raise DBAPIError.instance(
            sql,
            params,  # type: ignore[arg-type]
            error,
            dbapi.Error,
            connection_invalidated=invalidated,
        ) from error
