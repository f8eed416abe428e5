"""The statement writer process (lms.lrs.writer): web processes send it their
statement POSTs over a Unix socket and answer with what it stored."""

import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import orjson
import pytest

from lms.extensions import db
from lms.lrs import writer as writer_module
from lms.lrs.writer import Writer, WriterClient, WriterUnavailable
from tests.lms.lrs.conftest import statement

ROOT = Path(__file__).resolve().parents[3]
AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://x", "name": "c"}}


@pytest.fixture
def short_dir():
    """A directory with a short path: a Unix socket path has at most 107 bytes."""
    path = tempfile.mkdtemp(prefix="w", dir="/tmp")
    yield Path(path)
    shutil.rmtree(path, ignore_errors=True)


def _use(app, paths: list[str]) -> None:
    """Point the app's web side at these writer sockets."""
    app.config["LRS_WRITER_SOCKETS"] = paths
    old = app.extensions.pop("lrs_writer", None)
    if old is not None:
        old.close()


@pytest.fixture
def running(app, short_dir):
    """Start a writer of the app in a thread; return a function that does it with
    an optional write function, and stop every writer started at teardown."""
    started: list[tuple[Writer, threading.Thread]] = []

    def start(write=None) -> Writer:
        server = Writer(app, str(short_dir / f"w{len(started)}.sock"), write=write)
        ready = threading.Event()
        thread = threading.Thread(target=server.serve, args=(ready,), daemon=True)
        thread.start()
        assert ready.wait(10)
        started.append((server, thread))
        _use(app, [server.path])
        return server

    yield start
    for server, thread in started:
        server.stop()
        thread.join(10)
    _use(app, [])


def _post(client, headers, content):
    return client.post(
        "/xapi/statements",
        data=orjson.dumps(content),
        headers={"Content-Type": "application/json", **headers},
    )


def _stored() -> list[str]:
    db.session.remove()
    rows = db.session.execute(db.text("SELECT statement_id FROM xapi_statements"))
    return sorted(rows.scalars())


def test_posts_are_stored_by_the_writer(client, lrs, running):
    """One statement and a batch, with and without ids, come back with their ids
    and are stored once each; the writer, not the web side, wrote them."""
    server = running()
    given = str(uuid.uuid4())
    one = _post(client, lrs, statement(id=given))
    batch = _post(client, lrs, [statement(), statement(id=str(uuid.uuid4()))])
    assert one.status_code == 200, one.get_data(as_text=True)
    assert batch.status_code == 200, batch.get_data(as_text=True)
    assert one.json == [given]
    assert len(batch.json) == 2 and all(uuid.UUID(i) for i in batch.json)
    assert _stored() == sorted([given, *batch.json])
    assert server.requests == 2
    fetched = client.get(f"/xapi/statements?statementId={batch.json[0]}", headers=lrs)
    assert fetched.status_code == 200
    assert fetched.json["id"] == batch.json[0]


def test_requests_that_arrive_during_a_round_share_the_next(app, running, request):
    """While a round writes, the requests that come wait in the socket and are
    stored together in the next round, one transaction."""
    gate = threading.Event()
    server = None

    def write(batch, source):
        if server.rounds == 1:
            gate.wait(10)
        return server._write(batch, source)

    server = running(write)
    sender = WriterClient([server.path], timeout=20)
    request.addfinalizer(sender.close)
    results: dict[int, list[str]] = {}

    def send(number: int) -> None:
        item = statement(id=str(uuid.UUID(int=number + 1)))
        results[number] = sender.store((AUTHORITY, "1.0.3", False), [item])

    threads = [threading.Thread(target=send, args=(n,)) for n in range(6)]
    threads[0].start()
    time.sleep(0.3)  # the first request's round is writing, held at the gate
    for thread in threads[1:]:
        thread.start()
    time.sleep(0.5)
    gate.set()
    for thread in threads:
        thread.join(20)
    assert results == {n: [str(uuid.UUID(int=n + 1))] for n in range(6)}
    assert server.requests == 6
    # One round for the first; the other five in one round (two at most, should
    # the reads split them).
    assert server.rounds <= 3
    assert len(_stored()) == 6


def test_single_statements_share_the_first_writer_and_batches_are_spread(
    running, request
):
    """Requests of one statement all go to the first writer, whose rounds they
    share; each thread sends its larger requests to one writer in turn."""
    sizes: dict[int, list[int]] = {0: [], 1: []}

    def recording(number):
        def write(batch, _source):
            sizes[number].append(len(batch))
            return [item["id"] for item in batch]

        return write

    first, second = running(recording(0)), running(recording(1))
    sender = WriterClient([first.path, second.path], timeout=20)
    request.addfinalizer(sender.close)

    def send(count: int) -> None:
        items = [statement(id=str(uuid.uuid4())) for _ in range(count)]
        ids = sender.store((AUTHORITY, "1.0.3", False), items)
        assert ids == [item["id"] for item in items]

    def in_a_thread(count: int) -> None:
        thread = threading.Thread(target=send, args=(count,))
        thread.start()
        thread.join(20)

    for _ in range(3):
        in_a_thread(1)
    assert (sizes[0], sizes[1]) == ([1, 1, 1], [])
    for count in (2, 3, 4):
        in_a_thread(count)
    # The first thread with a batch sends to writer 0, the next to 1, then 0.
    assert (sizes[0], sizes[1]) == ([1, 1, 1, 2, 4], [3])


def test_a_request_goes_to_the_next_writer_where_its_own_is_down(
    running, short_dir, request
):
    """A writer that is not running (being restarted, say) costs a failed
    connect: its requests go to the next writer, single statements and batches."""
    seen: list[int] = []

    def write(batch, _source):
        seen.append(len(batch))
        return [item["id"] for item in batch]

    up = running(write)
    down = str(short_dir / "down.sock")
    for paths in ([down, up.path], [up.path, down]):
        seen.clear()
        sender = WriterClient(paths, timeout=20)
        request.addfinalizer(sender.close)
        for count in (1, 3):
            for _ in range(2):  # each thread's turn is a writer of its own
                items = [statement(id=str(uuid.uuid4())) for _ in range(count)]
                thread = threading.Thread(
                    target=sender.store, args=((AUTHORITY, "1.0.3", False), items)
                )
                thread.start()
                thread.join(20)
        assert seen == [1, 1, 3, 3]


def test_with_the_first_writer_down_the_web_process_uses_the_second(
    app, client, lrs, running, short_dir
):
    server = running()
    _use(app, [str(short_dir / "down.sock"), server.path])
    answer = _post(client, lrs, statement())
    assert answer.status_code == 200
    assert server.requests == 1
    assert _stored() == answer.json


def test_the_health_check_reports_the_writers(app, client, lrs, running, short_dir):
    """A writer that is down leaves the check at 200 (statements are still stored,
    by the web process) with status "degraded" and the count of those reached."""
    server = running()
    _use(app, [server.path])
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json["status"] == "ok"
    assert answer.json["statement_writers"] == {"configured": 1, "reachable": 1}
    _use(app, [server.path, str(short_dir / "down.sock")])
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json["status"] == "degraded"
    assert answer.json["statement_writers"] == {"configured": 2, "reachable": 1}
    # The probes left the writer serving.
    _use(app, [server.path])
    assert _post(client, lrs, statement()).status_code == 200
    assert server.requests == 1
    _use(app, [])
    assert "statement_writers" not in client.get("/healthz").json


def test_a_socket_left_by_a_stopped_writer_is_not_reachable(short_dir):
    path = str(short_dir / "stale.sock")
    left = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    left.bind(path)  # the file exists, nobody listens
    try:
        assert os.path.exists(path)
        assert not writer_module.reachable(path)
    finally:
        left.close()


def test_a_conflict_gets_flasks_exact_answer_and_stores_nothing(client, lrs, running):
    """The writer answers an error; the web side stores the same request itself,
    which gives the 409 naming the id, as without a writer."""
    server = running()
    given = str(uuid.uuid4())
    assert _post(client, lrs, statement(id=given)).status_code == 200
    other = statement(id=given, verb={"id": "http://adlnet.gov/expapi/verbs/failed"})
    answer = _post(client, lrs, [statement(), other])
    assert answer.status_code == 409
    assert given in answer.json["error"]
    assert _stored() == [given]
    # The first POST, then the conflict once: the fast path stores it again
    # itself for the exact error, and Flask answers that without a third try.
    assert server.requests == 2


def test_an_invalid_request_never_reaches_the_writer(client, lrs, running):
    """Validation happens in the web process: a 400 naming the property, and the
    writer sees nothing."""
    server = running()
    answer = _post(client, lrs, statement(verb={"id": "not an iri"}))
    assert answer.status_code == 400
    assert "verb.id" in answer.json["error"]
    assert server.requests == 0
    assert _stored() == []


def test_without_a_writer_the_web_process_stores(app, client, lrs, short_dir):
    """A configured writer that is not running costs nothing but the attempt."""
    _use(app, [str(short_dir / "nobody.sock")])
    try:
        answer = _post(client, lrs, statement())
    finally:
        _use(app, [])
    assert answer.status_code == 200
    assert _stored() == answer.json


def test_a_restarted_writer_is_used_again(app, client, lrs, running):
    """A web thread whose writer went away stores its next request itself, then
    reconnects: the writer started in its place gets the requests after that."""
    first = running()
    assert _post(client, lrs, statement()).status_code == 200
    first.stop()
    time.sleep(0.8)  # serve() returns within its 0.5 s select
    assert not os.path.exists(first.path)
    second = Writer(app, first.path)  # same socket, same web-side client
    ready = threading.Event()
    thread = threading.Thread(target=second.serve, args=(ready,), daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        answers = [_post(client, lrs, statement()) for _ in range(3)]
    finally:
        second.stop()
        thread.join(10)
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert first.requests == 1
    assert second.requests >= 2
    assert len(_stored()) == 4


@pytest.mark.parametrize("stored_before_lost", [False, True])
def test_a_lost_answer_leaves_each_statement_stored_once(
    app, client, lrs, short_dir, stored_before_lost
):
    """A writer that takes a request and dies before it answers: the web side
    stores the request itself, under the ids it gave before sending, so whether
    or not the writer stored it, each statement is stored once."""
    path = str(short_dir / "dies.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    real = Writer(app, path)

    def take_one_and_die() -> None:
        connection, _address = listener.accept()
        size = int.from_bytes(writer_module._receive(connection, 4), "big")
        content = orjson.loads(writer_module._receive(connection, size))
        if stored_before_lost:
            authority, version, define = content["source"]
            real._write(content["statements"], (authority, version, define))
        connection.close()

    thread = threading.Thread(target=take_one_and_die, daemon=True)
    thread.start()
    _use(app, [path])
    try:
        answer = _post(client, lrs, [statement(), statement()])
    finally:
        _use(app, [])
        thread.join(10)
        listener.close()
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert _stored() == sorted(answer.json)


def test_a_bad_connection_is_closed_and_the_others_served(running):
    """A message over the size limit, or one that is not a request, closes that
    connection; the writer goes on serving the others."""
    server = running()
    server.max_message = 10_000
    for message in (
        (10**9).to_bytes(4, "big"),
        (5).to_bytes(4, "big") + b"[1,2]",
        (7).to_bytes(4, "big") + b"garbage",
        (48).to_bytes(4, "big") + b'{"source":[{},"1.0.3",false],"statements":[1,2]}',
    ):
        raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        raw.settimeout(5)
        raw.connect(server.path)
        raw.sendall(message)
        assert raw.recv(10) == b""  # closed, no answer
        raw.close()
    sender = WriterClient([server.path], timeout=10)
    given = str(uuid.uuid4())
    try:
        stored = sender.store((AUTHORITY, "1.0.3", False), [statement(id=given)])
    finally:
        sender.close()
    assert stored == [given]


def test_the_socket_is_for_this_user_only(running):
    """The writer trusts what it reads, so only the app's own user may connect."""
    server = running()
    assert stat.S_IMODE(os.stat(server.path).st_mode) == 0o600


def test_a_client_with_no_writer_to_reach_sends_nothing(short_dir):
    sender = WriterClient([str(short_dir / "missing.sock")], timeout=1)
    with pytest.raises(WriterUnavailable):
        sender.store((AUTHORITY, "1.0.3", False), [statement()])


def test_a_round_never_holds_one_id_twice():
    """Two requests giving one id wait for separate rounds: together they would
    fail the whole round."""
    same = str(uuid.uuid4())
    requests = [
        writer_module._request(None, orjson.dumps(content))  # type: ignore[arg-type]
        for content in (
            {"source": [AUTHORITY, "1.0.3", False], "statements": [{"id": same}]},
            {"source": [AUTHORITY, "1.0.3", False], "statements": [{"id": same}]},
            {"source": [AUTHORITY, "1.0.3", False], "statements": [{}]},
            {"source": [AUTHORITY, "1.0.3", True], "statements": [{}]},
        )
    ]
    members, rest = writer_module._take(requests)
    assert members == [requests[0], requests[2]]
    assert rest == [requests[1], requests[3]]


def test_the_writer_command_serves_until_terminated(short_dir):
    """`flask lrs writer` stores what it is sent and, on SIGTERM, stops and
    removes its socket."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{short_dir / 'lms.db'}",
        "SECRET_KEY": "test-secret",
        "LMS_BASE_URL": "https://lms.example.dk",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("FLASK_APP", None)
    flask = [sys.executable, "-m", "flask", "--app", "lms"]
    subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True)
    path = str(short_dir / "cli.sock")
    process = subprocess.Popen([*flask, "lrs", "writer", "--socket", path], env=env)
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(path):
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        given = str(uuid.uuid4())
        sender = WriterClient([path], timeout=20)
        try:
            stored = sender.store((AUTHORITY, "1.0.3", False), [statement(id=given)])
        finally:
            sender.close()
        assert stored == [given]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    assert not os.path.exists(path)
