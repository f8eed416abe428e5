"""Database faults: a locked, busy or absent database answers 503 and keeps nothing."""

import sqlite3
import time

import psycopg
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import (
    DataError,
    IntegrityError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from lms.database import DatabaseBusy, unavailability
from lms.extensions import db
from lms.models import QuizAttempt
from tests.lms.faults import (
    TcpLink,
    changed,
    dispose,
    lrs_headers,
    postgres_engine,
    row_counts,
    twin_app,
    write_lock,
)
from tests.lms.journey import SLUG, correct_form, shipped_module

OTHER = "secure-communication"
LEARNER = {"email": "learner@example.org", "password": "learner-demo-2026"}
DANISH_TITLE = "Tjenesten er midlertidigt utilgængelig"
ENGLISH_TITLE = "The service is temporarily unavailable"


def _statement(n: int = 1) -> dict:
    return {
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": "https://x.test", "name": f"a{n}"},
        },
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": f"http://example.org/activities/{n}"},
    }


def _quiz():
    return next(a for a in shipped_module().activities if a.kind == "quiz")


def _started_learner(twin):
    """Sign in, enrol on the module and start its quiz; return client and URL."""
    client = twin.test_client()
    assert client.post("/login", data=LEARNER).status_code == 302
    assert client.post(f"/learn/modules/{SLUG}/enrol").status_code == 302
    started = client.post(f"/learn/modules/{SLUG}/{_quiz().id}/attempts")
    assert started.status_code == 302
    return client, started.headers["Location"]


def _assert_friendly(response, title=DANISH_TITLE) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.mimetype == "text/html"
    assert title in response.text
    assert "Traceback" not in response.text


def _assert_lrs_503(response) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert "unavailable" in response.json["error"]


@pytest.fixture
def impatient(session_app, app):
    """A twin app that waits at most 0.2 s for a database lock."""
    twin = twin_app(session_app, LMS_DB_LOCK_TIMEOUT=0.2)
    yield twin
    dispose(twin)


def test_a_locked_database_answers_503_and_keeps_nothing(app, demo, impatient, backend):
    """While another connection holds the write lock, enrolling, answering a quiz
    and posting a statement answer 503 quickly, leave every table as it was, and
    succeed when they are sent again after the lock is released."""
    client, attempt_url = _started_learner(impatient)
    headers = lrs_headers()
    answers = correct_form(_quiz().content)
    before = row_counts(app)
    with write_lock(app, backend):
        started = time.monotonic()
        enrolled = client.post(f"/learn/modules/{OTHER}/enrol")
        answered = client.post(attempt_url, data=answers)
        posted = client.post("/xapi/statements", json=_statement(), headers=headers)
        elapsed = time.monotonic() - started
        # Reading goes on while writes wait: the learner still sees the dashboard.
        assert client.get("/learn/").status_code == 200
    assert changed(before, row_counts(app)) == {}
    _assert_friendly(enrolled)
    _assert_friendly(answered)
    _assert_lrs_503(posted)
    assert elapsed < 5, "three requests should each give up after about 0.2 s"

    assert client.post(f"/learn/modules/{OTHER}/enrol").status_code == 302
    assert client.post(attempt_url, data=answers).status_code == 302
    again = client.post("/xapi/statements", json=_statement(), headers=headers)
    assert again.status_code == 200
    grown = changed(before, row_counts(app))
    assert grown["enrolments"] == (before["enrolments"], before["enrolments"] + 1)
    assert grown["xapi_statements"][1] > before["xapi_statements"]


def test_the_unavailable_page_speaks_english_when_asked(app, demo, impatient, backend):
    """The 503 page follows the language, like every other page."""
    client = impatient.test_client()
    assert client.post("/login", data=LEARNER).status_code == 302
    with write_lock(app, backend):
        response = client.post(f"/learn/modules/{OTHER}/enrol?lang=en")
    _assert_friendly(response, ENGLISH_TITLE)
    assert 'lang="en"' in response.text


def test_sqlite_writers_queue_no_longer_than_the_lock_timeout(
    app, impatient, backend, monkeypatch
):
    """An LRS writer waiting for this process's SQLite writer queue gives up with
    503 after the lock timeout instead of queueing without end. PostgreSQL has
    concurrent writers and no such queue, so there the statement is stored."""
    from lms.lrs import write

    headers = lrs_headers()
    client = impatient.test_client()
    assert write._SQLITE_WRITER.acquire(timeout=1)
    try:
        response = client.post("/xapi/statements", json=_statement(), headers=headers)
    finally:
        write._SQLITE_WRITER.release()
    if backend == "sqlite":
        _assert_lrs_503(response)
    else:
        assert response.status_code == 200


@pytest.mark.postgres_only
def test_postgres_going_away_answers_503_and_recovers(app, demo, session_app):
    """When the PostgreSQL server is unreachable, pages and the LRS answer 503,
    /healthz says so, nothing is stored, and all works again once it is back."""
    server = make_url(session_app.config["SQLALCHEMY_DATABASE_URI"])
    link = TcpLink(server.port or 5432, server.host or "127.0.0.1")
    link.up()
    url = server.set(port=link.port).render_as_string(hide_password=False)
    twin = twin_app(session_app, SQLALCHEMY_DATABASE_URI=url, LMS_DB_CONNECT_TIMEOUT=2)
    try:
        client = twin.test_client()
        assert client.post("/login", data=LEARNER).status_code == 302
        assert client.get("/learn/").status_code == 200
        headers = lrs_headers()
        before = row_counts(app)
        link.down()
        _assert_friendly(client.get("/learn/"))
        _assert_friendly(client.post(f"/learn/modules/{SLUG}/enrol"))
        # Even a page that does not exist cannot load the signed-in user now.
        _assert_friendly(client.get("/no-such-page"))
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json == {"status": "error", "database": "unavailable"}
        _assert_lrs_503(
            client.post("/xapi/statements", json=_statement(), headers=headers)
        )
        _assert_lrs_503(client.get("/xapi/statements", headers=headers))
        assert changed(before, row_counts(app)) == {}

        link.up()
        assert client.get("/healthz").status_code == 200
        assert client.get("/learn/").status_code == 200
        assert client.post(f"/learn/modules/{SLUG}/enrol").status_code == 302
        posted = client.post("/xapi/statements", json=_statement(), headers=headers)
        assert posted.status_code == 200
    finally:
        link.down()
        dispose(twin)


@pytest.mark.postgres_only
def test_terminated_postgres_connections_are_replaced(app, demo, session_app):
    """Connections that PostgreSQL terminates (pg_terminate_backend, a restart)
    are noticed before use and replaced: the next request simply works. The app
    does so without pool_pre_ping: the server's goodbye makes the idle socket
    readable, and only then is the connection pinged."""
    name = "lms-fault-terminate"
    options = dict(session_app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    options["connect_args"] = {**options["connect_args"], "application_name": name}
    twin = twin_app(session_app, SQLALCHEMY_ENGINE_OPTIONS=options)
    try:
        with twin.app_context():
            assert not db.engine.pool._pre_ping
        client = twin.test_client()
        assert client.post("/login", data=LEARNER).status_code == 302
        assert client.get("/learn/").status_code == 200
        assert _backends(session_app, name) >= 1
        engine = postgres_engine(session_app)
        with engine.begin() as connection:
            killed = connection.execute(
                # Wait (up to 5 s) until each backend has said goodbye and gone.
                text(
                    "SELECT count(pg_terminate_backend(pid, 5000))"
                    " FROM pg_stat_activity WHERE application_name = :name"
                ),
                {"name": name},
            ).scalar_one()
        engine.dispose()
        assert killed >= 1
        assert client.get("/learn/").status_code == 200
        assert client.post(f"/learn/modules/{SLUG}/enrol").status_code == 302
        assert client.get("/xapi/statements", headers=lrs_headers()).status_code == 200
    finally:
        dispose(twin)


def _backends(session_app, name: str) -> int:
    engine = postgres_engine(session_app)
    try:
        with engine.connect() as connection:
            return connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE application_name = :name"
                ),
                {"name": name},
            ).scalar_one()
    finally:
        engine.dispose()


@pytest.fixture
def dropping_link(session_app):
    """A relay to the PostgreSQL server that can drop connections silently."""
    server = make_url(session_app.config["SQLALCHEMY_DATABASE_URI"])
    link = TcpLink(server.port or 5432, server.host or "127.0.0.1")
    link.up()
    yield link, server.set(port=link.port).render_as_string(hide_password=False)
    link.down()


@pytest.mark.postgres_only
def test_silently_dropped_connections_are_pinged_after_idling(
    app, demo, session_app, dropping_link
):
    """A pooled connection idle longer than LMS_DB_IDLE_PING_SECONDS is pinged
    before use, so one that a NAT or firewall dropped without a word (the socket
    stays quiet) is replaced and the request simply works."""
    link, url = dropping_link
    twin = twin_app(
        session_app, SQLALCHEMY_DATABASE_URI=url, LMS_DB_IDLE_PING_SECONDS=0.3
    )
    try:
        client = twin.test_client()
        assert client.post("/login", data=LEARNER).status_code == 302
        assert client.get("/learn/").status_code == 200
        link.drop()
        time.sleep(0.5)
        assert client.get("/learn/").status_code == 200
        assert client.post(f"/learn/modules/{SLUG}/enrol").status_code == 302
    finally:
        dispose(twin)


@pytest.mark.postgres_only
def test_recently_used_connections_are_not_pinged(
    app, demo, session_app, dropping_link
):
    """Within LMS_DB_IDLE_PING_SECONDS no ping is spent: a connection dropped
    without a word then fails one request with 503, nothing stored, and the pool
    is renewed, so the next request works."""
    link, url = dropping_link
    twin = twin_app(session_app, SQLALCHEMY_DATABASE_URI=url)
    try:
        client = twin.test_client()
        assert client.post("/login", data=LEARNER).status_code == 302
        assert client.get("/learn/").status_code == 200
        before = row_counts(app)
        link.drop()
        _assert_friendly(client.post(f"/learn/modules/{SLUG}/enrol"))
        assert changed(before, row_counts(app)) == {}
        assert client.post(f"/learn/modules/{SLUG}/enrol").status_code == 302
    finally:
        dispose(twin)


@pytest.mark.postgres_only
def test_a_postgres_lock_timeout_answers_503_and_keeps_nothing(app, demo, session_app):
    """A quiz answer that waits on a row another transaction holds gives up at
    lock_timeout with 503; the attempt stays open and no statement is kept."""
    twin = twin_app(session_app, LMS_DB_LOCK_TIMEOUT=0.3)
    try:
        client, attempt_url = _started_learner(twin)
        attempt_id = db.session.execute(db.select(QuizAttempt.id)).scalar_one()
        before = row_counts(app)
        engine = postgres_engine(session_app)
        with engine.connect() as holder:
            holder.execute(
                text("SELECT id FROM quiz_attempts WHERE id = :id FOR UPDATE"),
                {"id": attempt_id},
            )
            started = time.monotonic()
            response = client.post(attempt_url, data=correct_form(_quiz().content))
            elapsed = time.monotonic() - started
            holder.rollback()
        engine.dispose()
        _assert_friendly(response)
        assert elapsed < 3
        assert changed(before, row_counts(app)) == {}
        db.session.expire_all()
        assert db.session.get(QuizAttempt, attempt_id).finished_at is None

        assert (
            client.post(attempt_url, data=correct_form(_quiz().content)).status_code
            == 302
        )
        db.session.expire_all()
        assert db.session.get(QuizAttempt, attempt_id).finished_at is not None
    finally:
        dispose(twin)


@pytest.mark.postgres_only
def test_postgres_connections_run_without_jit(app, session_app):
    """JIT compiles a plan at 10 ms and more per execution; with statistics not yet
    gathered, a generic plan of the LRS's write-path lookup paid it for every
    batch. The app's connections turn it off and keep their lock timeout."""
    twin = twin_app(session_app, LMS_DB_LOCK_TIMEOUT=0.3)
    try:
        with twin.app_context():
            settings = db.session.execute(
                text("SELECT current_setting('jit'), current_setting('lock_timeout')")
            ).one()
        assert tuple(settings) == ("off", "300ms")
    finally:
        dispose(twin)


def test_a_bug_in_sql_stays_a_500(client, auth, demo, monkeypatch):
    """An error that is not about availability (here a missing table, which SQLite
    reports as an OperationalError) is a 500 with the traceback in the log, not a
    503 that would hide it."""
    from lms import queries

    def broken(_user):
        return db.session.execute(text("SELECT * FROM no_such_table")).all()

    monkeypatch.setattr(queries, "enrolments_of", broken)
    auth.login()
    response = client.get("/learn/")
    assert response.status_code == 500
    assert "Retry-After" not in response.headers
    assert "no_such_table" not in response.text


# --- Which errors mean "unavailable" ----------------------------------------------


def _sqlite_error(tmp_path, sql: str, *, locked: bool = False) -> sqlite3.Error:
    path = tmp_path / "classify.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE IF NOT EXISTS t (x)")
    if locked:
        holder.execute("BEGIN IMMEDIATE")
    other = sqlite3.connect(path, timeout=0)
    try:
        other.execute(sql)
    except sqlite3.Error as error:
        return error
    finally:
        other.close()
        holder.close()
    raise AssertionError("no error")


def _wrapped(orig: BaseException, kind=OperationalError):
    return kind("SELECT 1", {}, orig)


def test_sqlite_busy_is_unavailable_and_a_missing_table_is_not(tmp_path):
    busy = _sqlite_error(tmp_path, "INSERT INTO t VALUES (1)", locked=True)
    missing = _sqlite_error(tmp_path, "SELECT * FROM missing")
    assert unavailability(_wrapped(busy)) == "SQLITE_BUSY"
    assert unavailability(_wrapped(missing)) is None


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (psycopg.errors.LockNotAvailable("lock timeout"), "55P03"),
        (psycopg.errors.QueryCanceled("statement timeout"), "57014"),
        (psycopg.errors.AdminShutdown("terminating connection"), "57P01"),
        (psycopg.errors.CannotConnectNow("starting up"), "57P03"),
        (psycopg.errors.TooManyConnections("too many clients"), "53300"),
        (psycopg.errors.ConnectionFailure("connection failure"), "08006"),
        (psycopg.errors.SerializationFailure("concurrent update"), "40001"),
        (psycopg.errors.DeadlockDetected("deadlock"), "40P01"),
        (psycopg.OperationalError("connection refused"), "no connection"),
    ],
)
def test_postgres_availability_faults_are_recognised(error, expected):
    assert unavailability(_wrapped(error)) == expected


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (psycopg.errors.UndefinedTable("no such table"), ProgrammingError),
        (psycopg.errors.SyntaxError("syntax"), ProgrammingError),
        (psycopg.errors.UniqueViolation("duplicate"), IntegrityError),
        (psycopg.errors.DivisionByZero("division by zero"), DataError),
    ],
)
def test_postgres_bugs_and_bad_data_are_not_unavailability(error, kind):
    assert unavailability(_wrapped(error, kind)) is None


def test_pool_timeouts_and_the_writer_queue_are_unavailability():
    assert unavailability(PoolTimeoutError("QueuePool limit reached")) == "pool timeout"
    assert unavailability(DatabaseBusy("no turn")) == "writer queue"
    assert unavailability(ValueError("not a database error")) is None


def test_unwrapped_driver_errors_are_classified_too():
    """Code that uses psycopg directly gets its errors without SQLAlchemy's
    wrapper; a lock timeout there is still unavailability, a bug still is not."""
    assert unavailability(psycopg.errors.LockNotAvailable("lock timeout")) == "55P03"
    assert unavailability(psycopg.errors.UndefinedTable("no such table")) is None
