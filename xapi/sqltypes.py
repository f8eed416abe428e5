"""SQLAlchemy column types shared by the statement store and the app's models."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    Text,
    any_,
    bindparam,
    cast,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.types import DateTime, TypeDecorator


def one_of(
    column: ColumnElement, parameter: str, *, dialect: str | None = None
) -> ColumnElement:
    """Return "``column`` is one of the list in ``parameter``".

    The list is one parameter, the text of a JSON array, so the text is the same
    for any number of values: the server prepares it once, and SQLAlchemy need
    not render it again at each call. PostgreSQL reads it into an array once
    (an InitPlan), so "a = ANY(...) OR b = ANY(...)" stays two index scans;
    psycopg would dump a list parameter element by element in Python, a
    writer's round of 100 statements ~0.5 ms. SQLite reads it with json_each
    (built in since 3.38). Otherwise (``dialect`` None) an IN list that is
    expanded to a parameter per value at each call.
    """
    if dialect == "postgresql":
        values = func.json_array_elements_text(
            cast(bindparam(parameter, type_=JSONList()), postgresql.JSON)
        )
        text = isinstance(column.type, String)
        elements = values if text else cast(values, column.type)
        return column == any_(func.array(select(elements).scalar_subquery()))
    if dialect == "sqlite":
        values = func.json_each(bindparam(parameter, type_=JSONList()))
        return column.in_(select(values.table_valued("value").c.value))
    return column.in_(bindparam(parameter, expanding=True))


class JSONList(TypeDecorator[list]):
    """A list parameter sent as the text of a JSON array."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Iterable | None, dialect: Dialect) -> str:
        return orjson.dumps(list(value or ())).decode()


def dialect_insert(conn: Connection):
    """Return the dialect's insert, which knows ON CONFLICT (SQLite, PostgreSQL)."""
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored in UTC; always read back aware, in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        """Reject naive datetimes and convert aware ones to UTC."""
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UTCDateTime needs a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} has no timezone")
        return value.astimezone(UTC)

    def process_result_value(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        """Return the stored instant as an aware UTC datetime, on SQLite too."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
