"""SQLite's WAL is copied back by a background thread, not by a request."""

import pytest

from lms import checkpoints
from lms.extensions import db
from tests.lms.faults import lrs_headers


def _statement(n: int) -> dict:
    return {
        "actor": {"account": {"homePage": "https://x.test", "name": f"a{n}"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": f"http://example.org/activities/{n}"},
    }


def _settle() -> None:
    """Wait until the checkpoint thread has done what it was asked."""
    checkpoints._executor.submit(lambda: None).result(timeout=30)


@pytest.fixture
def eager(monkeypatch):
    """Ask for a checkpoint after every write; record what each one did."""
    monkeypatch.setattr(checkpoints, "WAL_BYTES", 1)
    monkeypatch.setattr(checkpoints, "INTERVAL", 0)
    monkeypatch.setattr(checkpoints, "_asked", {})
    done = []
    real = checkpoints.checkpoint

    def recorded(path):
        done.append(real(path))
        return done[-1]

    monkeypatch.setattr(checkpoints, "checkpoint", recorded)
    return done


def test_a_statement_post_has_the_wal_copied_back_in_the_background(
    app, client, backend, eager
):
    """After a write leaves a WAL past the size, the thread runs a PASSIVE
    checkpoint that copies every frame of it back into the database file."""
    headers = lrs_headers()
    for n in range(3):
        posted = client.post("/xapi/statements", json=_statement(n), headers=headers)
        assert posted.status_code == 200
    _settle()
    if backend != "sqlite":
        assert eager == []
        return
    assert eager, "no checkpoint was asked for"
    busy, frames, copied = eager[-1]
    assert busy == 0
    assert frames > 0
    assert copied == frames


def test_checkpoints_are_asked_for_past_the_size_and_at_most_once_an_interval(
    app, backend, monkeypatch
):
    """Only SQLite has a WAL to copy back; PostgreSQL manages its own."""
    monkeypatch.setattr(checkpoints, "_asked", {})
    monkeypatch.setattr(checkpoints, "WAL_BYTES", 2**40)
    assert checkpoints.after_write(db.engine) is False
    monkeypatch.setattr(checkpoints, "WAL_BYTES", 1)
    monkeypatch.setattr(checkpoints, "INTERVAL", 3600)
    db.session.execute(db.text("CREATE TABLE IF NOT EXISTS wal_probe (x integer)"))
    db.session.execute(db.text("INSERT INTO wal_probe VALUES (1)"))
    db.session.commit()
    assert checkpoints.after_write(db.engine) is (backend == "sqlite")
    assert checkpoints.after_write(db.engine) is False
    _settle()
    db.session.execute(db.text("DROP TABLE wal_probe"))
    db.session.commit()


def test_a_database_that_is_gone_is_skipped(tmp_path):
    assert checkpoints.checkpoint(str(tmp_path / "missing" / "lms.db")) is None
