"""Helpers for fault tests: a twin app, row counts, held locks and a cuttable link."""

from __future__ import annotations

import base64
import contextlib
import socket
import sqlite3
import struct
import threading
import uuid

from sqlalchemy import create_engine, func, make_url, select, text

from lms import create_app
from lms.extensions import db

#: The session app's settings that a twin app shares (same database, same keys).
SHARED = (
    "TESTING",
    "WTF_CSRF_ENABLED",
    "LMS_BASE_URL",
    "SECRET_KEY",
    "PASSWORD_HASH_METHOD",
    "SQLALCHEMY_DATABASE_URI",
)


def twin_app(session_app, **overrides):
    """Return a second app on the session's database, with other settings.

    It checks its pooled connections as the app does (no pool_pre_ping).
    """
    config = {name: session_app.config[name] for name in SHARED}
    options = dict(session_app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    config.update(overrides)
    return create_app(config)


def dispose(app) -> None:
    """Close the pooled connections of an app."""
    with app.app_context():
        db.engine.dispose()


def all_tables(app):
    """Return every table of the app and of the statement store."""
    tables = list(db.metadata.sorted_tables)
    tables += list(app.extensions["xapi_metadata"].sorted_tables)
    return tables


def row_counts(app) -> dict[str, int]:
    """Count the rows of every table, on a connection of its own."""
    with app.app_context(), db.engine.connect() as connection:
        return {
            table.name: connection.execute(
                select(func.count()).select_from(table)
            ).scalar_one()
            for table in all_tables(app)
        }


def changed(before: dict[str, int], after: dict[str, int]) -> dict[str, tuple]:
    """Return the tables whose row count differs."""
    return {
        name: (before[name], after[name])
        for name in before
        if before[name] != after[name]
    }


def sqlite_path(app) -> str:
    """Return the file of an app's SQLite database."""
    return make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database


def postgres_engine(app):
    """Return an engine of its own on the app's PostgreSQL schema."""
    options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
    return create_engine(
        app.config["SQLALCHEMY_DATABASE_URI"],
        connect_args=dict(options.get("connect_args") or {}),
    )


@contextlib.contextmanager
def write_lock(app, backend: str):
    """Hold the database's write lock on statements from another connection.

    SQLite: BEGIN IMMEDIATE takes the one write lock (readers go on, in WAL).
    PostgreSQL: EXCLUSIVE mode on xapi_statements lets reads through and blocks
    every insert, which is what each learning event writes.
    """
    if backend == "sqlite":
        connection = sqlite3.connect(sqlite_path(app), isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    engine = postgres_engine(app)
    try:
        with engine.connect() as connection:
            connection.execute(text("LOCK TABLE xapi_statements IN EXCLUSIVE MODE"))
            try:
                yield
            finally:
                connection.rollback()
    finally:
        engine.dispose()


def lrs_headers(scopes=("all",)) -> dict[str, str]:
    """Create an LRS client; return the headers of a request it sends."""
    from lms.lrs.credentials import invalidate
    from lms.operations.lrs_clients import create_client

    key, secret = f"k{uuid.uuid4().hex[:12]}", "s" * 8 + uuid.uuid4().hex
    create_client("Fault test", key=key, secret=secret, scopes=scopes)
    invalidate()
    token = base64.b64encode(f"{key}:{secret}".encode()).decode()
    return {"X-Experience-API-Version": "1.0.3", "Authorization": f"Basic {token}"}


class TcpLink:
    """A TCP relay on 127.0.0.1 to a server, that a test can cut and restore.

    Cutting closes the listening socket and every relayed connection, as when the
    database server goes away; restoring listens on the same port again. Dropping
    forgets the relayed connections without a word to the client, as a NAT or a
    firewall does: the client hears nothing until it sends, and then a reset.
    """

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._listener: socket.socket | None = None
        #: Relayed connections as (client side, server side).
        self._pairs: set[tuple[socket.socket, socket.socket]] = set()
        #: Client sides of dropped connections, silent until the client sends.
        self._dropped: set[socket.socket] = set()
        #: Every relaying socket, closed when the link goes down.
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def up(self) -> None:
        """Listen and relay."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(32)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        """Stop listening and cut every relayed connection."""
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, set()
            self._pairs, self._dropped = set(), set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def drop(self) -> None:
        """Close the server side of every relayed connection and say nothing to the
        client; new connections are relayed as before."""
        with self._lock:
            pairs, self._pairs = self._pairs, set()
            self._dropped |= {client for client, _server in pairs}
        for _client, server in pairs:
            with contextlib.suppress(OSError):
                server.shutdown(socket.SHUT_RDWR)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.add((client, server))
                self._sockets |= {client, server}
            for source, sink in ((client, server), (server, client)):
                threading.Thread(
                    target=self._pump, args=(source, sink), daemon=True
                ).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        if sink in self._dropped:
            return  # the server went; the client must not hear of it
        if source in self._dropped:
            # The client spoke on a forgotten connection: answer with a reset.
            with contextlib.suppress(OSError):
                source.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
            source.close()
            return
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
