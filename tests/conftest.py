"""Shared fixtures: the app on SQLite and, when configured, on PostgreSQL."""

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from lms import create_app
from lms.config import from_environment
from lms.extensions import db

# Apps made here without TESTING (production-like) would freeze the test
# process's objects out of garbage collection; tests/lms/test_app_core.py checks
# freezing itself.
os.environ["LMS_GC_FREEZE"] = "0"
POSTGRES_URL = os.environ.get("LMS_TEST_POSTGRES_URL", "").strip()
BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])
#: The names tests give the PostgreSQL backend.
POSTGRES = ("postgres", "postgresql")
#: Tables that hold published content; kept between tests for speed.
KEPT = {"module_versions", "module_files", "programme_versions", "alembic_version"}
BASE_URL = "http://lms.test"
#: Tables whose rows the database refuses to delete (PostgreSQL triggers).
APPEND_ONLY = {"audit_records"}


def pytest_collection_modifyitems(config, items):
    """Run tests marked postgres_only only against PostgreSQL."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        # "backend" in the app's tests, "engine" in the statement store's.
        params = callspec.params if callspec else {}
        backend = params.get("backend", params.get("engine"))
        if item.get_closest_marker("postgres_only") and backend not in POSTGRES:
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_report_header(config):
    """Say which databases the suite runs against."""
    return f"database backends: {', '.join(BACKENDS)}"


def _postgres_schema() -> tuple[str, str]:
    schema = f"lms_test_{uuid.uuid4().hex[:10]}"
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return schema, POSTGRES_URL


def _drop_schema(schema: str) -> None:
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    """The database backend of this run of the suite."""
    return request.param


@pytest.fixture(scope="session")
def session_app(backend, tmp_path_factory):
    """One migrated app per backend, with the shipped modules published."""
    instance = tmp_path_factory.mktemp(f"instance-{backend}")
    config = {
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "LMS_BASE_URL": BASE_URL,
        "SECRET_KEY": "test-secret",
        # A cheap hash keeps the suite fast; production uses scrypt.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'test.db'}",
    }
    schema = None
    if backend == "postgres":
        schema, url = _postgres_schema()
        config["SQLALCHEMY_DATABASE_URI"] = url
        # The app's own engine options, plus the schema of this run.
        options = from_environment(str(instance))["SQLALCHEMY_ENGINE_OPTIONS"]
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **options,
            "connect_args": {"options": f"-c search_path={schema}"},
        }
    app = create_app(config)

    @app.teardown_request
    def _fresh_g(_error):
        # Tests hold one app context across requests; production has one per
        # request, so forget per-request state (locale, signed-in user) here.
        from flask import g

        for name in list(vars(g)):
            delattr(g, name)

    with app.app_context():
        from flask_migrate import upgrade

        from lms.content import publish_shipped

        upgrade()
        publish_shipped(Path(app.config["LMS_MODULES_PATH"]))
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()
    if schema:
        _drop_schema(schema)


def _clean(app) -> None:
    with app.app_context():
        db.session.remove()
        tables = [t for t in reversed(_all_tables(app)) if t.name not in KEPT]
        with db.engine.begin() as connection:
            for table in tables:
                if table.name in APPEND_ONLY and connection.dialect.name != "sqlite":
                    # A trigger refuses DELETE there; TRUNCATE is the owner's way.
                    connection.execute(text(f'TRUNCATE TABLE "{table.name}"'))
                else:
                    connection.execute(table.delete())


def _all_tables(app):
    from sqlalchemy import MetaData

    merged = MetaData()
    for metadata in (db.metadata, app.extensions["xapi_metadata"]):
        for table in metadata.sorted_tables:
            table.to_metadata(merged)
    return merged.sorted_tables


@pytest.fixture
def app(session_app):
    """The app with empty tables, except published content."""
    _clean(session_app)
    with session_app.app_context():
        yield session_app
        db.session.remove()


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def demo(app):
    """The demo organisations, users and cohort."""
    from lms.demo import load_demo

    return dict(load_demo())


class AuthActions:
    """Sign in and out through the real forms."""

    def __init__(self, client):
        self._client = client

    def login(self, email="learner@example.org", password="learner-demo-2026"):
        """Sign in."""
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        """Sign out."""
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    """Sign-in helper for the test client."""
    return AuthActions(client)


@pytest.fixture
def make_user(demo):
    """Return a factory that creates users with roles in a unit."""
    from lms.models import Unit, User

    counter = iter(range(1, 10_000))

    def make(
        role="learner",
        unit_code="HJS",
        email=None,
        password="password-1234",
        job_role="nurse",
        roles=None,
    ):
        unit = db.session.execute(
            db.select(Unit).filter_by(code=unit_code)
        ).scalar_one()
        user = User(
            email=email or f"user{next(counter)}@example.org",
            name=f"Test {role.title()}",
            primary_unit=unit,
            job_role=job_role,
        )
        user.set_roles(set(roles or {role}))
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        return user

    return make


def pytest_terminal_summary(terminalreporter):
    """Say how many tests ran against each database."""
    passed = terminalreporter.stats.get("passed", [])
    failed = terminalreporter.stats.get("failed", [])
    for backend in BACKENDS:
        marker = f"[{backend}"
        ran = [r for r in passed + failed if marker in r.nodeid]
        terminalreporter.write_line(
            f"{backend}: {len(ran)} database tests ran "
            f"({len([r for r in failed if marker in r.nodeid])} failed)"
        )
