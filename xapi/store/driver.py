"""Queries of the write path run on the PostgreSQL driver's own cursor.

A statement round runs a few queries whose text never changes. Through SQLAlchemy
each execution pays for a cache lookup, parameter processing and a result object:
on a small round about as much CPU as psycopg's own work. These queries are
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


def on_driver(conn: Connection) -> bool:
    """Return whether ``conn`` can run queries on its driver's cursor: PostgreSQL
    without a schema translation map, which only SQLAlchemy applies."""
    return conn.dialect.name == "postgresql" and not conn.get_execution_options().get(
        "schema_translate_map"
    )


class DriverQuery:
    """A Core SELECT compiled once for a dialect, run with the driver's cursor.

    Parameters must be values the driver adapts itself (text, numbers, lists of
    them): SQLAlchemy's bind processing is skipped. Results go through the
    selected columns' result processors, as SQLAlchemy would apply them.
    """

    def __init__(self, query: Select | CompoundSelect, conn: Connection) -> None:
        dialect = conn.dialect
        compiled = query.compile(dialect=dialect)
        self.sql = compiled.string
        #: The literals SQLAlchemy made parameters of (their values never change).
        self.fixed = {
            name: value for name, value in compiled.params.items() if value is not None
        }
        processors: list[Callable[[Any], Any] | None] = [
            column.type._cached_result_processor(dialect, None)  # noqa: SLF001
            for column in query.selected_columns
        ]
        self.processors = [
            (i, p) for i, p in enumerate(processors) if p is not None
        ] or None

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple]:
        """Run the query in ``conn``'s transaction; return its rows."""
        found = fetch_all(conn, self.sql, {**self.fixed, **params})
        if self.processors is None:
            return found
        processed = []
        for row in found:
            values = list(row)
            for index, processor in self.processors:
                values[index] = processor(values[index])
            processed.append(tuple(values))
        return processed


def fetch_all(conn: Connection, sql: str, params: Mapping[str, Any]) -> list[tuple]:
    """Run SQL text in ``conn``'s transaction on the driver's cursor; return the
    rows. Listeners of before_cursor_execute see it, as they see SQLAlchemy's."""
    with driver_errors(conn, sql, params):
        with conn.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
            conn.dispatch.before_cursor_execute(conn, cursor, sql, params, None, False)
            cursor.execute(sql, params)
            return cursor.fetchall()


_QUERIES: dict[tuple[int, str], tuple[object, DriverQuery]] = {}


def driver_query(query: Select | CompoundSelect, conn: Connection) -> DriverQuery:
    """Return the DriverQuery of a query built once (kept alive by the caller)."""
    key = (id(query), conn.dialect.name)
    found = _QUERIES.get(key)
    if found is None or found[0] is not query:
        found = _QUERIES[key] = (query, DriverQuery(query, conn))
    return found[1]


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
