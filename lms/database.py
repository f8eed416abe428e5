"""Database connection limits, and which database errors mean "unavailable".

A request that waits on a lock or on a dead server should fail within seconds
(503, try again) rather than hang until the proxy gives up. SQLite gets a busy
timeout and PostgreSQL a connect timeout and a lock timeout, all from the config.
"""

from __future__ import annotations

import sqlite3

import psycopg
from flask import Flask
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from lms.extensions import db

#: SQLite result codes of a database that is busy, locked or cannot be opened or
#: read right now (https://sqlite.org/rescode.html); extended codes share the name.
_SQLITE_UNAVAILABLE = (
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_CANTOPEN",
    "SQLITE_IOERR",
)
#: PostgreSQL SQLSTATE classes and codes of a server that cannot serve the request
#: now but may shortly: connection exceptions (08), too many connections or out of
#: resources (53), shutdown or restart (57P01-57P03), a lock or statement timeout
#: (55P03, 57014), a serialization failure or deadlock (40001, 40P01).
_PG_UNAVAILABLE_CLASSES = ("08", "53")
_PG_UNAVAILABLE = frozenset(
    {"57P01", "57P02", "57P03", "55P03", "57014", "40001", "40P01"}
)


#: Errors of the database drivers themselves, seen when SQLAlchemy is bypassed.
DRIVER_ERRORS = (sqlite3.Error, psycopg.Error)


class DatabaseBusy(RuntimeError):
    """The app gave up waiting for its turn to write (SQLite's single writer)."""


def unavailability(error: BaseException) -> str | None:
    """Return why ``error`` means the database is unavailable, or None.

    Only faults of availability count: a missing table, a syntax error or a broken
    constraint is a bug or bad data and must stay a 500 with its traceback in the
    log, where it is seen, instead of a "try again" that hides it.
    """
    if isinstance(error, DatabaseBusy):
        return "writer queue"
    if isinstance(error, PoolTimeoutError):
        return "pool timeout"
    if isinstance(error, DisconnectionError):
        return "disconnected"
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return "connection lost"
        return _driver_reason(error.orig)
    # The statement store streams rows with the driver's own COPY, whose errors
    # reach us unwrapped.
    return _driver_reason(error) if isinstance(error, DRIVER_ERRORS) else None


def sqlstate(error: BaseException) -> str | None:
    """Return the SQLSTATE of a PostgreSQL error, wrapped by SQLAlchemy or not."""
    orig = error.orig if isinstance(error, DBAPIError) else error
    return getattr(orig, "sqlstate", None)


def _driver_reason(orig: BaseException | None) -> str | None:
    if isinstance(orig, sqlite3.Error):
        name = getattr(orig, "sqlite_errorname", "") or ""
        if name.startswith(_SQLITE_UNAVAILABLE):
            return name
        # Older SQLite bindings carry no code; their message is all there is.
        message = str(orig).lower()
        return "SQLITE_BUSY" if not name and "database is locked" in message else None
    code = getattr(orig, "sqlstate", None)
    if code is None:
        # psycopg raises OperationalError without a SQLSTATE when it cannot connect
        # at all (refused, reset, timed out): the server never answered.
        return "no connection" if _is_psycopg_operational(orig) else None
    if code in _PG_UNAVAILABLE or code[:2] in _PG_UNAVAILABLE_CLASSES:
        return code
    return None


def _is_psycopg_operational(orig: BaseException | None) -> bool:
    return isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError)


def init_app(app: Flask) -> None:
    """Give every new connection of the app's engine its timeouts.

    The settings are read when a connection opens, so a changed setting applies
    to the connections opened after it.
    """
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "do_connect")
    def _timeouts(dialect, _record, _cargs, cparams) -> None:
        lock_timeout = float(app.config.get("LMS_DB_LOCK_TIMEOUT", 5))
        connect_timeout = int(app.config.get("LMS_DB_CONNECT_TIMEOUT", 5))
        if dialect.name == "sqlite":
            # sqlite3's timeout is SQLite's busy timeout: how long a writer waits
            # for another connection's write lock before "database is locked".
            cparams["timeout"] = lock_timeout
        elif dialect.name == "postgresql":
            cparams.setdefault("connect_timeout", connect_timeout)
            option = f"-c lock_timeout={round(lock_timeout * 1000)}"
            cparams["options"] = f"{cparams.get('options', '')} {option}".strip()


def lock_timeout() -> float:
    """Return how long, in seconds, a request waits for a lock before giving up."""
    from flask import current_app

    return float(current_app.config.get("LMS_DB_LOCK_TIMEOUT", 5))
