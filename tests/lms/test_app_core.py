"""The app factory, configuration, health check and error pages."""

import gc
import subprocess
import sys

import pytest

from lms import WAL_AUTOCHECKPOINT_PAGES, create_app
from lms.config import ConfigError, database_url


def test_production_refuses_the_default_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_production_starts_with_a_real_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-random-secret-for-production")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("", "sqlite:////srv/instance/lms.db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_database_url_uses_psycopg3(monkeypatch, given, expected):
    monkeypatch.setenv("DATABASE_URL", given)
    assert database_url("/srv/instance") == expected


def test_healthz_reports_the_database(client, backend):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["database"] == "ok"
    assert (
        response.json["dialect"]
        == {"sqlite": "sqlite", "postgres": "postgresql"}[backend]
    )


def test_sqlite_runs_in_wal_mode(tmp_path):
    from sqlalchemy import text

    from lms.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'wal.db'}"})
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        checkpoint = db.session.execute(text("PRAGMA wal_autocheckpoint")).scalar()
        assert checkpoint == WAL_AUTOCHECKPOINT_PAGES


def test_time_columns_come_back_timezone_aware(client, auth, demo):
    from lms.extensions import db
    from lms.models import User

    user = db.session.execute(db.select(User)).scalars().first()
    db.session.expire(user)
    assert user.created_at.tzinfo is not None


def test_unknown_url_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Traceback" not in response.text
    assert "<html" in response.text


def test_oversized_upload_is_413(app, client, auth, demo):
    auth.login("admin@example.org", "admin-demo-2026")
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        response = client.post(
            "/admin/users/import",
            data={"file": (__import__("io").BytesIO(b"x" * 5000), "big.csv")},
            content_type="multipart/form-data",
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 12 * 2**20
    assert response.status_code == 413
    assert "10 MB" in response.text


def test_an_unexpected_error_shows_no_stack_trace(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e.db'}"})

    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom-for-test")
    assert response.status_code == 500
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    "package",
    [
        "assessments",
        "xapi",
        "xapi.validation",
        "xapi.store",
        "xapi.builders",
        "modules",
    ],
)
def test_domain_packages_import_without_flask(package):
    code = (
        f"import sys, {package}; assert 'flask' not in sys.modules, sys.modules.keys()"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("settings", "frozen"),
    [
        ({"LMS_GC_FREEZE": True}, True),
        ({"LMS_GC_FREEZE": False}, False),
        ({"LMS_GC_FREEZE": True, "TESTING": True}, False),
    ],
)
def test_a_served_app_is_left_out_of_garbage_collection(tmp_path, settings, frozen):
    """A started app's objects live as long as the process; full collections
    walked them on every pass (a tenth of a batch POST's time)."""
    gc.unfreeze()
    try:
        create_app(
            {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'gc.db'}", **settings}
        )
        assert (gc.get_freeze_count() > 0) is frozen
    finally:
        gc.unfreeze()
