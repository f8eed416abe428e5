"""Online backup and restore of a SQLite installation: database, files and keys."""

import hashlib
import io
import sqlite3
import tarfile
import threading
from pathlib import Path

import pytest

from lms import create_app
from lms.extensions import db
from xapi.store import store_batch

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "http://x", "name": "t"}}


def make_app(folder: Path, **extra):
    """Return an app whose database, uploads and keys all live in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "backup-test",
            "LMS_BASE_URL": "http://lms.test",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'lms.db'}",
            "LMS_STORAGE_DIR": str(folder / "uploads"),
            "LMS_SIGNING_KEYS_DIR": str(folder / "keys"),
            **extra,
        }
    )


@pytest.fixture
def source(tmp_path):
    """A migrated installation with demo data, a certificate and an uploaded file."""
    app = make_app(tmp_path / "source")
    with app.app_context():
        from flask_migrate import upgrade

        from lms.content import current_version, publish_shipped
        from lms.demo import load_demo
        from lms.models import Enrolment, Submission, SubmissionFile, User
        from lms.models.common import utcnow
        from lms.operations.certificates import issue_for_enrolment
        from lms.storage import storage

        upgrade()
        publish_shipped(Path(app.config["LMS_MODULES_PATH"]))
        load_demo()
        learner = db.session.execute(
            db.select(User).filter_by(email="learner@example.org")
        ).scalar_one()
        enrolment = Enrolment(
            user=learner,
            module_version=current_version("video-consultations"),
            completed_at=utcnow(),
        )
        db.session.add(enrolment)
        db.session.flush()
        issue_for_enrolment(enrolment)
        submission = Submission(
            enrolment=enrolment, activity_id="first-consultation", number=1, text="t"
        )
        submission.file = SubmissionFile(
            storage_key=storage().save(io.BytesIO(b"%PDF-1.4 x"), content_type="x"),
            filename="a.pdf",
            content_type="application/pdf",
            size=10,
            sha256="0" * 64,
        )
        db.session.add(submission)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return app


def table_fingerprints(path: Path) -> dict[str, tuple[int, str]]:
    """Return each table's row count and a checksum of all its rows."""
    connection = sqlite3.connect(path)
    try:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type='table' "
                "AND name NOT LIKE 'sqlite_%'"
            )
        ]
        found = {}
        for name in names:
            rows = sorted(
                repr(row) for row in connection.execute(f'SELECT * FROM "{name}"')
            )
            digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
            found[name] = (len(rows), digest)
        return found
    finally:
        connection.close()


def tree(folder: Path) -> dict[str, bytes]:
    """Return every regular file under a folder (not dotfiles) with its content."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }


def test_restore_into_a_fresh_instance_finds_every_record_file_and_key(
    source, tmp_path
):
    archive = tmp_path / "backup.tar.gz"
    result = source.test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert "files, migration" in result.output
    fresh = make_app(tmp_path / "fresh")
    assert list((tmp_path / "fresh" / "keys").glob("*.pem"))  # its own new key
    result = fresh.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output

    original = table_fingerprints(tmp_path / "source" / "lms.db")
    restored = table_fingerprints(tmp_path / "fresh" / "lms.db")
    assert restored == original
    counted = {name: count for name, (count, _digest) in original.items()}
    for busy in ("users", "certificates", "xapi_statements", "submission_files"):
        assert counted[busy] > 0
    assert tree(tmp_path / "fresh" / "uploads") == tree(tmp_path / "source" / "uploads")
    assert tree(tmp_path / "fresh" / "keys") == tree(tmp_path / "source" / "keys")
    assert len(tree(tmp_path / "fresh" / "uploads")) == 1

    # The restored installation works: its certificate still verifies.
    with fresh.app_context():
        from lms.models import Certificate

        code = db.session.execute(db.select(Certificate.code)).scalar_one()
    assert fresh.test_client().get(f"/verify/{code}").status_code == 200
    with fresh.app_context():
        db.engine.dispose()


def test_a_backup_taken_while_statements_are_written_is_consistent(source, tmp_path):
    stop, written = threading.Event(), []

    def write() -> None:
        with source.app_context():
            while not stop.is_set() and len(written) < 2000:
                statement = {
                    "actor": {"mbox": "mailto:a@example.org"},
                    "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
                    "object": {"id": f"http://example.org/a/{len(written)}"},
                }
                store_batch(db.session.connection(), [statement], AUTHORITY)
                db.session.commit()
                written.append(1)
            db.session.remove()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(written) < 20:
            stop.wait(0.01)
        archive = tmp_path / "live.tar.gz"
        result = source.test_cli_runner().invoke(args=["backup", str(archive)])
        during = len(written)
    finally:
        stop.set()
        writer.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert during < len(written) or len(written) == 2000  # writes went on
    with tarfile.open(archive) as opened:
        opened.extract("database/lms.db", tmp_path, filter="data")
    copy = sqlite3.connect(tmp_path / "database" / "lms.db")
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        statements = copy.execute("SELECT count(*) FROM xapi_statements").fetchone()[0]
        verbs = copy.execute("SELECT count(*) FROM xapi_statement_verbs").fetchone()[0]
    finally:
        copy.close()
    # Each statement comes with its postings: no half-written transaction.
    assert statements == verbs
    assert statements >= 20


def corrupt(archive: Path, how: str) -> None:
    data = archive.read_bytes()
    if how == "truncated":
        archive.write_bytes(data[: len(data) // 2])
    elif how == "flipped":
        middle = len(data) // 2
        archive.write_bytes(
            data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]
        )
    elif how == "not-an-archive":
        archive.write_bytes(b"hello")
    else:  # a file whose content no longer matches the manifest
        out = io.BytesIO()
        with (
            tarfile.open(archive) as old,
            tarfile.open(fileobj=out, mode="w:gz") as new,
        ):
            for member in old.getmembers():
                body = old.extractfile(member).read() if member.isfile() else None
                if member.name.startswith("files/uploads/"):
                    body = b"tampered"
                    member.size = len(body)
                new.addfile(member, io.BytesIO(body) if body is not None else None)
        archive.write_bytes(out.getvalue())


@pytest.mark.parametrize("how", ["truncated", "flipped", "not-an-archive", "tampered"])
def test_a_damaged_archive_is_refused_and_nothing_changes(source, tmp_path, how):
    archive = tmp_path / "backup.tar.gz"
    assert source.test_cli_runner().invoke(args=["backup", str(archive)]).exit_code == 0
    corrupt(archive, how)
    fresh = make_app(tmp_path / "fresh")
    keys_before = tree(tmp_path / "fresh" / "keys")
    result = fresh.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 1
    assert "restore refused:" in result.output
    assert "damaged" in result.output or "checksum mismatch" in result.output, (
        result.output
    )
    assert "Traceback" not in result.output
    assert not (tmp_path / "fresh" / "lms.db").exists()
    assert tree(tmp_path / "fresh" / "keys") == keys_before


def test_an_existing_database_is_replaced_only_with_force(source, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    runner = source.test_cli_runner()
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0
    before = table_fingerprints(tmp_path / "source" / "lms.db")
    with source.app_context():
        from lms.models import User

        db.session.execute(db.delete(User).where(User.email == "nobody@x"))
        db.session.execute(db.text("DELETE FROM xapi_statement_verbs"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    result = runner.invoke(args=["restore", str(archive)])
    assert result.exit_code == 1
    assert "add --force" in result.output
    result = runner.invoke(args=["restore", str(archive), "--force"])
    assert result.exit_code == 0, result.output
    assert table_fingerprints(tmp_path / "source" / "lms.db") == before


def test_a_database_in_use_by_another_process_is_not_replaced(source, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    runner = source.test_cli_runner()
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0
    other = sqlite3.connect(tmp_path / "source" / "lms.db")  # a running app
    try:
        other.execute("PRAGMA journal_mode=WAL")
        other.execute("SELECT count(*) FROM users").fetchone()
        result = runner.invoke(args=["restore", str(archive), "--force"])
    finally:
        other.close()
    assert result.exit_code == 1
    assert "is in use" in result.output and "stop the app" in result.output


def test_postgresql_is_pointed_to_pg_dump(tmp_path):
    app = make_app(
        tmp_path / "pg",
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://u@127.0.0.1:1/none",
    )
    runner = app.test_cli_runner()
    for args in (
        ["backup", str(tmp_path / "b.tgz")],
        ["restore", str(tmp_path / "b.tgz")],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 1
        assert "pg_dump" in result.output and "pg_restore" in result.output
