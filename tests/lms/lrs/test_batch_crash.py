"""A server killed (SIGKILL) in the middle of writing a batch stores none of it.

The app runs under gunicorn in a process of its own on the test database. The test
watches the database, not the app: once the batch's transaction has started writing
(SQLite: its write lock is taken; PostgreSQL: the backend has a transaction id),
the server's process group is killed. After a restart, none of the batch is there,
and the same batch posted again is stored in full.
"""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from sqlalchemy import make_url, text

from lms.config import ROOT
from lms.extensions import db
from tests.conftest import BASE_URL, POSTGRES_URL
from tests.lms.faults import changed, postgres_engine, row_counts

SIZE = 3000
APPLICATION_NAME = "lms-crash-test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url(app, backend: str) -> str:
    if backend == "sqlite":
        return app.config["SQLALCHEMY_DATABASE_URI"]
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["options"]
    schema = options.split("search_path=", 1)[1]
    url = make_url(POSTGRES_URL).update_query_dict(
        {"options": f"-c search_path={schema}", "application_name": APPLICATION_NAME}
    )
    return url.render_as_string(hide_password=False)


class Server:
    """gunicorn serving the app on 127.0.0.1, in a process group of its own."""

    def __init__(self, database_url: str, log: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "LMS_BASE_URL": BASE_URL,
            "LMS_ENV": "development",
        }
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            "1",
            "--timeout",
            "120",
            "lms:create_app()",
        ]
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2):
                    return
            except OSError:
                assert self.process.poll() is None, "gunicorn exited"
                time.sleep(0.1)
        raise AssertionError("gunicorn did not become ready")

    def kill(self) -> None:
        """SIGKILL gunicorn and its worker: no clean-up code runs."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self._log.close()


def _post(base: str, headers: dict, batch: list) -> tuple[int | None, object]:
    request = urllib.request.Request(
        f"{base}/xapi/statements",
        data=json.dumps(batch).encode(),
        headers={**headers, "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError as error:  # the server was killed under the request
        return None, error


def _batch() -> list[dict]:
    return [
        {
            "id": str(uuid.uuid4()),
            "actor": {
                "objectType": "Agent",
                "account": {"homePage": BASE_URL, "name": f"learner-{n % 50}"},
            },
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "object": {
                "objectType": "Activity",
                "id": f"{BASE_URL}/activities/crash/{n % 40}",
            },
            "result": {"completion": True, "duration": "PT1M"},
            "context": {"registration": str(uuid.uuid4())},
        }
        for n in range(SIZE)
    ]


def _writing_sqlite(path: str) -> bool:
    """Return whether another connection holds SQLite's write lock right now."""
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


def _writing_postgres(engine) -> bool:
    """Return whether the server's backend is inside a transaction that wrote."""
    with engine.connect() as connection:
        return bool(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name ="
                    " :name AND backend_xid IS NOT NULL"
                ),
                {"name": APPLICATION_NAME},
            ).scalar_one()
        )


def _wait_until(condition, seconds: float, step: float = 0.002) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def test_a_server_killed_mid_batch_stores_nothing_of_it(app, lrs, backend, tmp_path):
    """SIGKILL while a batch of 3,000 statements is being written: after a
    restart nothing of it is stored (and SQLite's file is intact); posting the same
    batch again stores all 3,000."""
    batch = _batch()
    url = _database_url(app, backend)
    engine = postgres_engine(app) if backend == "postgres" else None
    path = make_url(url).database if backend == "sqlite" else None
    writing = (
        (lambda: _writing_sqlite(path))
        if backend == "sqlite"
        else (lambda: _writing_postgres(engine))
    )
    db.session.remove()
    before = row_counts(app)
    server = Server(url, tmp_path / "gunicorn.log")
    try:
        answers: list = []
        poster = threading.Thread(
            target=lambda: answers.append(_post(server.base, lrs, batch))
        )
        poster.start()
        assert _wait_until(writing, 60), "the batch never started writing"
        server.kill()
        poster.join(timeout=30)
        assert answers and answers[0][0] is None, answers  # no answer: killed
        if engine is not None:  # PostgreSQL ends the orphaned transaction
            assert _wait_until(lambda: not _writing_postgres(engine), 60, 0.05)
    finally:
        server.kill()
    assert changed(before, row_counts(app)) == {}, "part of the batch was kept"
    if path is not None:
        with sqlite3.connect(path) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    server = Server(url, tmp_path / "gunicorn.log")
    try:
        status, ids = _post(server.base, lrs, batch)
    finally:
        server.kill()
        if engine is not None:
            engine.dispose()
    assert status == 200
    assert ids == [statement["id"] for statement in batch]
    grown = changed(before, row_counts(app))
    assert grown["xapi_statements"] == (
        before["xapi_statements"],
        before["xapi_statements"] + SIZE,
    )
