"""Database connections: limits, liveness, reads without a transaction, and which
database errors mean "unavailable".

A request that waits on a lock or on a dead server should fail within seconds
(503, try again) rather than hang until the proxy gives up. SQLite gets a busy
timeout and PostgreSQL a connect timeout and a lock timeout, all from the config.

On PostgreSQL every round trip to the server counts in a fast request: a pooled
connection is checked without one (below), and read-only requests may run
without the transaction's BEGIN and ROLLBACK (``read_without_transaction``).
"""

from __future__ import annotations

import contextlib
import select
import sqlite3
import time
from collections.abc import Iterator

import psycopg
from flask import Flask
from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import DBAPIError, DisconnectionError, InvalidatePoolError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import ORMExecuteState, Session

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
    # Code that uses the driver directly gets its errors without SQLAlchemy's wrapper.
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
    """Give every new connection of the app's engine its timeouts (and, on
    PostgreSQL, no JIT); on PostgreSQL, check pooled connections before use and
    end reads without a transaction.

    The timeouts are read when a connection opens, so a changed setting applies
    to the connections opened after it.
    """
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql":
        _check_liveness(app, engine)
        app.teardown_request(_end_reads)

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
            # No JIT: compiling costs 10 ms and more, which an OLTP query never
            # earns back, and a misestimated plan (stale statistics) would pay it
            # on every execution.
            option = f"-c lock_timeout={round(lock_timeout * 1000)} -c jit=off"
            cparams["options"] = f"{cparams.get('options', '')} {option}".strip()


# --- Liveness of pooled PostgreSQL connections ---------------------------------------

#: When a pooled connection was last given back (or opened), in time.monotonic().
_IDLE_SINCE = "lms_idle_since"


def _check_liveness(app: Flask, engine: Engine) -> None:
    """Replace pooled connections that died while idle, without a ping per request.

    A connection PostgreSQL terminates (pg_terminate_backend, a restart, an idle
    timeout) is told so: the server sends a FATAL error and closes the socket, which
    is then readable although no query is pending. Such a connection, or one idle
    longer than LMS_DB_IDLE_PING_SECONDS (which a NAT or firewall may have dropped
    without a word), is pinged; if the ping fails, the pool replaces it before the
    request sees it (SQLAlchemy's custom pessimistic disconnect handling). Every
    other checkout costs no round trip, unlike pool_pre_ping.
    """

    @event.listens_for(engine, "connect")
    def _opened(_dbapi_connection, record) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _alive(dbapi_connection, record, _proxy) -> None:
        told = _server_spoke(dbapi_connection)
        idle = time.monotonic() - record.info.get(_IDLE_SINCE, time.monotonic())
        if not told and idle < float(app.config.get("LMS_DB_IDLE_PING_SECONDS", 30)):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # Dead without a word: the pool's other connections may be too, and
            # might be used without a ping; so renew them all, as pre-ping does.
            kind = DisconnectionError if told else InvalidatePoolError
            raise kind(f"pooled connection is dead: {error}") from error


def _server_spoke(dbapi_connection) -> bool:
    """Return whether the server sent anything to an idle connection, or it broke.

    Between queries PostgreSQL says nothing unless it ends the connection (or sends
    a rare notice), so readable input means the connection must be checked.
    """
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:  # not psycopg 3: ping every time, as pre-ping would
        return True
    if pgconn.status != psycopg.pq.ConnStatus.OK:
        return True
    if not hasattr(select, "poll"):  # Windows
        return bool(select.select([pgconn.socket], [], [], 0)[0])
    poller = select.poll()
    poller.register(pgconn.socket, select.POLLIN)
    return bool(poller.poll(0))


# --- Reads without a transaction -----------------------------------------------------

#: session.info key: the transaction that runs in autocommit for reading only.
_READING = "lms_reading_without_transaction"


class WriteWhileReading(RuntimeError):
    """A request that reads without a transaction tried to write."""


def read_without_transaction() -> None:
    """Run this request's queries without a transaction (PostgreSQL), when they only
    read: no BEGIN before the first query, no ROLLBACK after the last.

    At READ COMMITTED, the app's level, each query sees what was committed when it
    began, in a transaction or not; so a transaction adds nothing to a read but two
    round trips. (The LRS answers a page and its "more" link from one query; a
    cursor's position and attachments never change once stored.) Call it before
    the request's first query; a session already in a transaction keeps it.
    Writing through the session's ORM afterwards raises WriteWhileReading, as each
    statement would commit on its own.
    """
    session = db.session()
    if session.in_transaction() or session.get_bind().dialect.name != "postgresql":
        return
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    session.info[_READING] = session.get_transaction()


@contextlib.contextmanager
def connection_for_reading() -> Iterator[Connection]:
    """Yield a connection of the app's engine for reads outside the session: on
    PostgreSQL without a transaction, as read_without_transaction."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT")
        yield connection


def _reading(session: Session) -> bool:
    transaction = session.info.get(_READING)
    return transaction is not None and transaction is session.get_transaction()


@event.listens_for(Session, "before_flush")
def _refuse_flush(session: Session, _context, _instances) -> None:
    if _reading(session):
        raise WriteWhileReading("this request reads without a transaction")


@event.listens_for(Session, "do_orm_execute")
def _refuse_dml(state: ORMExecuteState) -> None:
    if (state.is_insert or state.is_update or state.is_delete) and _reading(
        state.session
    ):
        raise WriteWhileReading("this request reads without a transaction")


def _end_reads(_error) -> None:
    """End reading without a transaction with the request (no round trip), so that
    the session, where it outlives the request, begins real transactions again."""
    if not db.session.registry.has():
        return
    session = db.session()
    if _reading(session):
        session.rollback()
    session.info.pop(_READING, None)


def lock_timeout() -> float:
    """Return how long, in seconds, a request waits for a lock before giving up."""
    from flask import current_app

    return float(current_app.config.get("LMS_DB_LOCK_TIMEOUT", 5))
