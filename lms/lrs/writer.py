"""The statement writer: a process of its own that stores the statement POSTs of
the web processes, which send them over a Unix socket.

In a web process the thread that writes a round of statements shares the GIL with
every request thread: it waits for it at each SQLite step and after each round, so
on two cores a round took about twice its own CPU time, and a round is what every
POST waits for. A writer has nothing else to run. It reads the requests that came
while it wrote the last round, stores them as one round per client (one
transaction), answers each, and reads again.

The web processes parse, authenticate and validate; the writer stores what they
send without checking it again, so its socket is open to the app's own user only
(mode 0600). Run it with ``flask --app lms lrs writer``. A web process uses the
writers that LRS_WRITER_SOCKETS names (on PostgreSQL several may write at once:
single statements go to the first, larger requests to each in turn, and a
request goes to the next writer where its own cannot be reached). Where none is
named, or none can be reached, a web process stores the statements itself
(lms.lrs.grouping).

The protocol: each message is a 4-byte big-endian length and that many bytes of
JSON. A request is ``{"source": [authority, version, define], "statements": [...]}``,
an answer ``{"ids": [...]}`` or ``{"error": name}``; an error leaves nothing stored.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import selectors
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import orjson
from flask import Flask

from lms.lrs.grouping import ROUND_LIMIT
from xapi.store import given_ids

log = logging.getLogger(__name__)

_LENGTH = struct.Struct("!I")
#: Bytes read from a socket at a time.
_READ_SIZE = 1 << 20

Source = tuple[dict, str, bool]
Write = Callable[[list, Source], list[str]]


class WriterUnavailable(Exception):
    """No writer could be reached: nothing was sent."""


class WriterFailed(Exception):
    """The writer could not store the statements: nothing was stored."""


class WriterLost(Exception):
    """The request was sent but no answer came: it may have been stored."""


# --- The writer process ------------------------------------------------------------


@dataclass(eq=False)
class _Request:
    connection: socket.socket
    source: Source
    key: bytes
    statements: list
    ids: frozenset[str]


class Writer:
    """Serve one socket: store the requests that arrive, a round at a time."""

    def __init__(
        self,
        app: Flask,
        path: str,
        *,
        write: Write | None = None,
    ) -> None:
        self.app = app
        self.path = path
        self.write = write or self._write
        body = int(app.config.get("LRS_MAX_BODY_BYTES", 16 * 2**20))
        #: A request's JSON may grow by escaping when re-encoded; more is refused.
        self.max_message = 2 * body + _READ_SIZE
        self._stop = threading.Event()
        self._buffers: dict[socket.socket, bytearray] = {}
        #: Rounds written and requests answered (for tests and diagnostics).
        self.rounds = 0
        self.requests = 0

    def stop(self) -> None:
        """Ask serve() to return after the round it writes."""
        self._stop.set()

    def serve(self, ready: threading.Event | None = None) -> None:
        """Accept connections and store their requests until stop()."""
        listener = _listen(self.path)
        selector = selectors.DefaultSelector()
        selector.register(listener, selectors.EVENT_READ)
        log.info("LRS writer listening on %s", self.path)
        if ready is not None:
            ready.set()
        try:
            pending: list[_Request] = []
            while not self._stop.is_set():
                # Block only while there is nothing to write.
                pending += self._read(selector, listener, 0 if pending else 0.5)
                if pending:
                    members, pending = _take(pending)
                    self._run(members)
            while pending:  # what was read before stop() is still answered
                members, pending = _take(pending)
                self._run(members)
        finally:
            for connection in list(self._buffers):
                self._drop(selector, connection)
            selector.close()
            listener.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)

    def _read(
        self,
        selector: selectors.BaseSelector,
        listener: socket.socket,
        timeout: float,
    ) -> list[_Request]:
        """Accept new connections and read what came; return complete requests."""
        found: list[_Request] = []
        for key, _events in selector.select(timeout):
            connection = key.fileobj
            assert isinstance(connection, socket.socket)
            if connection is listener:
                # Every waiting connection, and what it has sent already.
                for accepted in self._accept(selector, listener):
                    found += self._receive(selector, accepted)
            else:
                found += self._receive(selector, connection)
        return found

    def _accept(
        self, selector: selectors.BaseSelector, listener: socket.socket
    ) -> list[socket.socket]:
        accepted = []
        while True:
            try:
                connection, _address = listener.accept()
            except (BlockingIOError, InterruptedError):
                return accepted
            connection.setblocking(False)
            self._buffers[connection] = bytearray()
            selector.register(connection, selectors.EVENT_READ)
            accepted.append(connection)

    def _receive(
        self, selector: selectors.BaseSelector, connection: socket.socket
    ) -> list[_Request]:
        """Read what a connection sent; return its complete requests."""
        try:
            data = connection.recv(_READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return []
        except OSError:
            data = b""
        if not data:
            self._drop(selector, connection)
            return []
        buffer = self._buffers[connection]
        buffer += data
        try:
            return [
                _request(connection, message)
                for message in _messages(buffer, self.max_message)
            ]
        except (ValueError, TypeError, KeyError) as error:
            # Not our web processes' protocol: close, keep serving the rest.
            log.warning("LRS writer dropped a connection: %s", error)
            self._drop(selector, connection)
            return []

    def _drop(
        self, selector: selectors.BaseSelector, connection: socket.socket
    ) -> None:
        with contextlib.suppress(KeyError, ValueError):
            selector.unregister(connection)
        self._buffers.pop(connection, None)
        connection.close()

    def _run(self, members: list[_Request]) -> None:
        """Store one round and answer each request; a failed round is stored again
        request by request, so each gets its own result."""
        self.rounds += 1
        self.requests += len(members)
        source = members[0].source
        answers: list[dict]
        try:
            ids = self.write([s for m in members for s in m.statements], source)
        except Exception as error:  # noqa: BLE001 - each request is answered
            if len(members) == 1:
                answers = [_failure(error)]
            else:
                answers = [self._alone(member) for member in members]
        else:
            answers, position = [], 0
            for member in members:
                count = len(member.statements)
                answers.append({"ids": ids[position : position + count]})
                position += count
        for member, answer in zip(members, answers, strict=True):
            _send(member.connection, answer)

    def _alone(self, member: _Request) -> dict:
        try:
            return {"ids": self.write(member.statements, member.source)}
        except Exception as error:  # noqa: BLE001 - the web process finds out why
            return _failure(error)

    def _write(self, batch: list, source: Source) -> list[str]:
        from lms.lrs.write import _write, app_context

        # The CLI command's app context serves every round: pushing and tearing
        # down one per round cost a small round a twentieth of its CPU. Each
        # round commits or rolls back, which expires what it loaded: the next
        # round reads nothing stale.
        with app_context(self.app):
            return _write(batch, source)


def _listen(path: str) -> socket.socket:
    """Bind a Unix socket at ``path`` that only this user may connect to."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    mask = os.umask(0o177)
    try:
        listener.bind(path)
    finally:
        os.umask(mask)
    listener.listen(1024)
    listener.setblocking(False)
    return listener


def _messages(buffer: bytearray, limit: int) -> list[bytes]:
    """Take the complete messages off the front of ``buffer``."""
    found = []
    while len(buffer) >= _LENGTH.size:
        (size,) = _LENGTH.unpack_from(buffer)
        if size > limit:
            raise ValueError(f"a message of {size} bytes")
        end = _LENGTH.size + size
        if len(buffer) < end:
            break
        found.append(bytes(buffer[_LENGTH.size : end]))
        del buffer[:end]
    return found


def _request(connection: socket.socket, message: bytes) -> _Request:
    content = orjson.loads(message)
    authority, version, define = content["source"]
    statements = content["statements"]
    if not isinstance(authority, dict) or not isinstance(statements, list):
        raise TypeError("a request without source or statements")
    if not all(isinstance(item, dict) for item in statements):
        raise TypeError("a statement that is not an object")
    ids = frozenset(given_ids(statements))
    source = (authority, str(version), bool(define))
    return _Request(connection, source, orjson.dumps(source), statements, ids)


def _take(pending: list[_Request]) -> tuple[list[_Request], list[_Request]]:
    """Split off the next round: the first request and the later ones of the same
    client that fit in ROUND_LIMIT statements and give none of the round's ids
    (one id twice would fail the whole round)."""
    first = pending[0]
    members, rest = [first], []
    size, ids = len(first.statements), set(first.ids)
    for request in pending[1:]:
        if (
            request.key != first.key
            or size + len(request.statements) > ROUND_LIMIT
            or not ids.isdisjoint(request.ids)
        ):
            rest.append(request)
            continue
        members.append(request)
        size += len(request.statements)
        ids |= request.ids
    return members, rest


def _failure(error: Exception) -> dict:
    log.info("LRS writer: a request failed with %s", type(error).__name__)
    return {"error": type(error).__name__}


#: Seconds an answer may take to send; a web thread reads its answer at once.
_SEND_TIMEOUT = 5.0


def _send(connection: socket.socket, answer: dict) -> None:
    data = orjson.dumps(answer)
    try:
        connection.settimeout(_SEND_TIMEOUT)
        connection.sendall(_LENGTH.pack(len(data)) + data)
    except OSError:
        pass  # the web process went away; its request is stored all the same
    finally:
        with contextlib.suppress(OSError):
            connection.setblocking(False)


# --- The web processes' side ---------------------------------------------------------


class WriterClient:
    """Send requests to writers, one connection per thread and writer.

    A request of one statement goes to the first writer, so that concurrent
    single POSTs share its rounds: a round of one statement costs the writer and
    the database about as much as a round of several. Larger requests are spread
    over the writers, each thread sending to one of them in turn, so that large
    rounds are written at once.
    """

    def __init__(self, paths: Sequence[str], timeout: float) -> None:
        self.paths = list(paths)
        self.timeout = timeout
        self._local = threading.local()
        self._turns = itertools.count()
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        #: When a writer was last found unreachable (time.monotonic()), to log once.
        self._missing_since: float | None = None

    def store(self, source: Source, statements: list) -> list[str]:
        """Return the ids the writer stored the statements under.

        Raises WriterUnavailable when no request was sent, WriterFailed when the
        writer stored nothing, WriterLost when the outcome is unknown.
        """
        message = orjson.dumps(
            {"source": [source[0], source[1], source[2]], "statements": statements}
        )
        frame = _LENGTH.pack(len(message)) + message
        preferred = 0 if len(statements) == 1 else self._turn()
        count = len(self.paths)
        unavailable = WriterUnavailable("no writer configured")
        # The preferred writer, then the others: one that is down (restarting,
        # say) costs a failed connect, not storing in the web process.
        for index in [(preferred + step) % count for step in range(count)]:
            try:
                connection = self._connection(index)
                connection.sendall(frame)
            except WriterUnavailable as error:
                unavailable = error
            except OSError as error:
                # A broken connection: the writer drops an incomplete message.
                self._close(index)
                unavailable = WriterUnavailable(str(error))
            else:
                return self._answer(connection, index)
        raise unavailable

    def _answer(self, connection: socket.socket, index: int) -> list[str]:
        """Read the answer to the request just sent on ``connection``."""
        try:
            (size,) = _LENGTH.unpack(_receive(connection, _LENGTH.size))
            answer = orjson.loads(_receive(connection, size))
        except (OSError, orjson.JSONDecodeError) as error:
            self._close(index)
            raise WriterLost(str(error)) from error
        if "ids" not in answer:
            raise WriterFailed(str(answer.get("error")))
        return answer["ids"]

    def _turn(self) -> int:
        """Return the writer this thread sends its larger requests to."""
        turn = getattr(self._local, "turn", None)
        if turn is None:
            turn = self._local.turn = next(self._turns) % len(self.paths)
        return turn

    def _connections(self) -> dict[int, socket.socket]:
        """Return this thread's connections by writer."""
        found = getattr(self._local, "connections", None)
        if found is None:
            found = self._local.connections = {}
        return found

    def _connection(self, index: int) -> socket.socket:
        connections = self._connections()
        connection = connections.get(index)
        if connection is not None:
            return connection
        path = self.paths[index]
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.settimeout(self.timeout)
        try:
            connection.connect(path)
        except OSError as error:
            connection.close()
            self._note_missing(path, error)
            raise WriterUnavailable(str(error)) from error
        if self._missing_since is not None:
            self._missing_since = None
            log.info("LRS writer at %s reached again", path)
        connections[index] = connection
        with self._lock:
            self._open.add(connection)
        return connection

    def _close(self, index: int) -> None:
        connection = self._connections().pop(index, None)
        if connection is not None:
            with self._lock:
                self._open.discard(connection)
            connection.close()

    def close(self) -> None:
        """Close the connections of every thread."""
        with self._lock:
            connections, self._open = self._open, set()
        for connection in connections:
            connection.close()

    def _note_missing(self, path: str, error: OSError) -> None:
        now = time.monotonic()
        if self._missing_since is None or now - self._missing_since > 60:
            log.warning("LRS writer %s not reachable (%s): storing here", path, error)
            self._missing_since = now


def reachable(path: str, timeout: float = 1.0) -> bool:
    """Return whether a writer accepts connections at ``path`` (it drops a
    connection that closes without a request)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(timeout)
        try:
            probe.connect(path)
        except OSError:
            return False
    return True


def _receive(connection: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = connection.recv(min(left, _READ_SIZE))
        if not chunk:
            raise OSError("the writer closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


_CLIENT_LOCK = threading.Lock()


def client_for(app: Flask) -> WriterClient | None:
    """Return the app's writer client, or None where no writer is configured."""
    if "lrs_writer" not in app.extensions:
        with _CLIENT_LOCK:
            if "lrs_writer" not in app.extensions:
                paths = app.config.get("LRS_WRITER_SOCKETS") or []
                timeout = float(app.config.get("LRS_WRITER_TIMEOUT", 60))
                app.extensions["lrs_writer"] = (
                    WriterClient(paths, timeout) if paths else None
                )
    return app.extensions["lrs_writer"]


def with_ids(statements: list) -> list:
    """Return the statements, each with an id: one the LRS gives where a statement
    has none, so that storing them again after a lost answer changes nothing."""
    return [
        {**item, "id": str(uuid.uuid4())}
        if isinstance(item, dict) and not item.get("id")
        else item
        for item in statements
    ]
