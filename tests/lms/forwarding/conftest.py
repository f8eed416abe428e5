"""A second, real instance of the app as the receiving LRS, and faulty networks."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from tincan import RemoteLRS
from werkzeug.serving import make_server

from lms import create_app
from lms.extensions import db
from lms.forwarding.operations import create_endpoint
from lms.models import ForwardingEndpoint
from xapi.store import attachments, statements

RECEIVER_BASE = "http://receiver.test"
#: Every socket operation of the test's own clients gives up after this long.
CLIENT_TIMEOUT = 20


class Receiver:
    """Our own app on another port with its own SQLite database: a real LRS."""

    def __init__(self, tmp_path) -> None:
        """Migrate a fresh instance, create an LRS client and serve it."""
        self.app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "receiver-secret",
                "LMS_BASE_URL": RECEIVER_BASE,
                "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'receiver.db'}",
            }
        )
        with self.app.app_context():
            from flask_migrate import upgrade

            from lms.operations.lrs_clients import create_client

            upgrade()
            self.key, self.secret = f"fw-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
            create_client(
                "Forwarding sender",
                key=self.key,
                secret=self.secret,
                scopes=("statements/write", "statements/read"),
            )
            db.session.remove()
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}/xapi/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._thread.join(timeout=5)
        with self.app.app_context():
            db.engine.dispose()

    def clear(self) -> None:
        """Forget every stored statement and attachment."""
        from xapi.store.schema import POSTINGS

        with self.app.app_context(), db.engine.begin() as connection:
            for table, _key in POSTINGS.values():
                connection.execute(table.delete())
            connection.execute(statements.delete())
            connection.execute(attachments.delete())

    def stored_ids(self) -> list[str]:
        """Return the ids of every stored statement, one per row, in store order."""
        with self.app.app_context():
            query = db.select(statements.c.statement_id).order_by(statements.c.seq)
            ids = list(db.session.execute(query).scalars())
            db.session.remove()
        return ids

    def attachment(self, sha2: str) -> bytes | None:
        """Return the content the receiver holds under a SHA-2, if any."""
        with self.app.app_context():
            query = db.select(attachments.c.content).where(attachments.c.sha2 == sha2)
            content = db.session.execute(query).scalar()
            db.session.remove()
        return bytes(content) if content is not None else None

    def remote(self) -> RemoteLRS:
        """Return a TinCanPython client of the receiver."""
        return RemoteLRS(
            endpoint=self.url, version="1.0.3", username=self.key, password=self.secret
        )

    def statements_in_order(self) -> list[dict]:
        """Read every statement back with TinCanPython, oldest first, exact JSON."""
        remote = self.remote()
        previous = socket.getdefaulttimeout()
        socket.setdefaulttimeout(CLIENT_TIMEOUT)
        try:
            page = remote.query_statements(
                {"ascending": "true", "format": "exact", "limit": 100}
            )
            assert page.success, page.data
            found = json.loads(page.data)["statements"]
            while page.content.more:
                page = remote.more_statements(page.content)
                assert page.success, page.data
                found += json.loads(page.data)["statements"]
        finally:
            socket.setdefaulttimeout(previous)
        return found


@pytest.fixture(scope="session")
def receiver_instance(tmp_path_factory):
    """One receiving instance for the session."""
    receiver = Receiver(tmp_path_factory.mktemp("receiver"))
    yield receiver
    receiver.stop()


@pytest.fixture
def receiver(receiver_instance, app):
    """The receiving instance, empty."""
    receiver_instance.clear()
    return receiver_instance


@pytest.fixture
def make_endpoint(app):
    """Return a factory: an active endpoint (created by the real operation)."""

    def make(url: str, name: str | None = None, key="fw", secret="s3cret-value"):
        endpoint = create_endpoint(
            name or f"Receiver {uuid.uuid4().hex[:6]}", url, key, secret, None
        )
        return db.session.get(ForwardingEndpoint, endpoint.id)

    return make


@pytest.fixture
def receiving_endpoint(make_endpoint, receiver):
    """An endpoint that forwards straight to the receiver."""
    return make_endpoint(receiver.url, key=receiver.key, secret=receiver.secret)


@dataclass
class Seen:
    """One request the proxy passed on: for which endpoint, which statements."""

    prefix: str
    method: str
    statement_ids: list[str]
    started: float
    finished: float = 0.0


@dataclass
class Proxy:
    """An HTTP proxy in front of the receiver that can fail, stall or go down.

    Paths start with /<prefix>/ so that several endpoints can share it; the
    receiver sees the rest of the path. ``stall_first`` makes the first statement
    POST pass to the receiver and then never be answered.
    """

    target_port: int
    port: int = 0
    delay: float = 0.0
    status: int | None = None
    stall_first: bool = False
    seen: list[Seen] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    most_in_flight: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def url(self, prefix: str = "p") -> str:
        """Return the xAPI endpoint of one prefix."""
        return f"http://127.0.0.1:{self.port}/{prefix}/xapi/"

    def start(self) -> None:
        """Listen (again, on the same port once chosen)."""
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                proxy._relay(self)

            def do_POST(self):  # noqa: N802
                proxy._relay(self)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_port
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop listening: connections are refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _relay(self, handler: BaseHTTPRequestHandler) -> None:
        _, prefix, rest = handler.path.split("/", 2)
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        ids = _statement_ids(body, handler.headers.get("Content-Type", ""))
        seen = Seen(prefix, handler.command, ids, time.monotonic())
        with self.lock:
            first_post = handler.command == "POST" and not any(
                s.method == "POST" for s in self.seen
            )
            self.seen.append(seen)
            self.in_flight[prefix] += 1
            self.most_in_flight[prefix] = max(
                self.most_in_flight[prefix], self.in_flight[prefix]
            )
        answered = False

        def answering() -> None:
            # A request is in flight until its answer starts to go out: the
            # sender may send its next request as soon as it has read the answer,
            # before this thread gets back to its bookkeeping.
            nonlocal answered
            with self.lock:
                if not answered:
                    answered = True
                    self.in_flight[prefix] -= 1
                    seen.finished = time.monotonic()

        try:
            time.sleep(self.delay)
            if self.status is not None:
                answering()
                handler.send_response(self.status)
                handler.send_header("Content-Type", "application/json")
                message = json.dumps({"error": "statement.actor: 'mailto:x@y.dk' bad"})
                handler.send_header("Content-Length", str(len(message)))
                handler.end_headers()
                handler.wfile.write(message.encode())
                return
            status, headers, answer = self._forward(handler, "/" + rest, body)
            if self.stall_first and first_post:
                self.stalled.set()
                self.release.wait(60)  # the sender is killed meanwhile
                handler.close_connection = True
                return
            answering()
            handler.send_response(status)
            for name, value in headers:
                if name.lower() in ("content-type", "x-experience-api-version"):
                    handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(answer)))
            handler.end_headers()
            handler.wfile.write(answer)
        finally:
            answering()

    def _forward(self, handler, path: str, body: bytes):
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.target_port, timeout=CLIENT_TIMEOUT
        )
        headers = {
            name: value
            for name, value in handler.headers.items()
            if name.lower()
            in ("authorization", "content-type", "x-experience-api-version")
        }
        try:
            connection.request(
                handler.command, path, body=body or None, headers=headers
            )
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def posts(self, prefix: str | None = None) -> list[Seen]:
        """Return the statement POSTs seen, for one prefix or all."""
        return [
            s
            for s in self.seen
            if s.method == "POST" and (prefix is None or s.prefix == prefix)
        ]


def _statement_ids(body: bytes, content_type: str) -> list[str]:
    """Return the ids of the statements in a JSON or multipart body."""
    if not body:
        return []
    if content_type.startswith("multipart/mixed"):
        body = body.split(b"\r\n\r\n", 1)[1].split(b"\r\n--", 1)[0]
    return [statement["id"] for statement in json.loads(body)]


@pytest.fixture
def proxy(receiver):
    """A proxy in front of the receiver."""
    proxy = Proxy(target_port=receiver.port)
    proxy.start()
    yield proxy
    proxy.release.set()
    proxy.stop()


class SilentServer:
    """A socket that accepts connections and never answers: a hung LRS."""

    def __init__(self) -> None:
        """Listen on a free port."""
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/xapi/"
        self._held: list[socket.socket] = []
        self._open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self._open:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            self._held.append(connection)

    def close(self) -> None:
        """Drop every connection and stop listening."""
        self._open = False
        self._socket.close()
        for connection in self._held:
            connection.close()


@pytest.fixture
def silent_server():
    """A hung LRS."""
    server = SilentServer()
    yield server
    server.close()


def free_port() -> int:
    """Return a port nothing listens on (for a receiver that is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def statement(object_id: str, **extra) -> dict:
    """Return a small statement of an outside client's learner, with a new id."""
    return {
        "id": str(uuid.uuid4()),
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": "https://x.dk", "name": "a1"},
        },
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": object_id},
        **extra,
    }
