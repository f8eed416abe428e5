"""Reminders 90, 30 and 7 days before expiry, once each, with a fixed clock."""

from datetime import UTC, datetime, timedelta

import pytest

from lms.extensions import db
from lms.jobs import run_once
from lms.models import Job, Mail, User
from lms.operations.certificate_reminders import send_expiry_reminders
from lms.operations.certificates import REMIND_JOB, revoke

EXPIRY = datetime(2030, 6, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def expiring(certified):
    certified.expires_at = EXPIRY
    db.session.commit()
    return certified


def _mails() -> list[tuple[str, str]]:
    rows = db.session.execute(db.select(Mail).order_by(Mail.id)).scalars()
    return [(mail.recipient, mail.dedupe_key.split(":")[2]) for mail in rows]


def test_each_threshold_reminds_holder_and_manager_once(expiring):
    assert send_expiry_reminders(EXPIRY - timedelta(days=100)) == 0
    assert send_expiry_reminders(EXPIRY - timedelta(days=89)) == 2
    assert send_expiry_reminders(EXPIRY - timedelta(days=88)) == 0  # the next day
    assert send_expiry_reminders(EXPIRY - timedelta(days=30)) == 2
    assert send_expiry_reminders(EXPIRY - timedelta(days=20)) == 0
    assert send_expiry_reminders(EXPIRY - timedelta(days=3)) == 2
    assert send_expiry_reminders(EXPIRY + timedelta(days=1)) == 0  # expired
    assert _mails() == [
        ("learner@example.org", "90"),
        ("manager@example.org", "90"),
        ("learner@example.org", "30"),
        ("manager@example.org", "30"),
        ("learner@example.org", "7"),
        ("manager@example.org", "7"),
    ]


def test_a_late_first_run_sends_only_the_nearest_threshold(expiring):
    assert send_expiry_reminders(EXPIRY - timedelta(days=5)) == 2
    assert {threshold for _, threshold in _mails()} == {"7"}


def test_the_reminder_says_when_in_the_recipients_language(expiring, learner):
    learner.locale = "en"
    send_expiry_reminders(EXPIRY - timedelta(days=29))
    mails = {m.recipient: m for m in db.session.execute(db.select(Mail)).scalars()}
    assert mails["learner@example.org"].subject == (
        "Certificate expires June 1, 2030: Video consultations with citizens"
    )
    assert mails["manager@example.org"].subject == (
        "Kompetencebevis udløber 1. juni 2030: Videokonsultationer med borgere"
    )
    assert "Lene Sørensen" in mails["manager@example.org"].body


def test_revoked_certificates_get_no_reminder(expiring):
    admin = db.session.execute(
        db.select(User).filter_by(email="admin@example.org")
    ).scalar_one()
    revoke(expiring, admin, "Fejl")
    before = len(_mails())
    assert send_expiry_reminders(EXPIRY - timedelta(days=29)) == 0
    assert len(_mails()) == before


def test_the_worker_runs_the_daily_job_and_queues_the_next(expiring):
    (job,) = db.session.execute(db.select(Job).filter_by(kind=REMIND_JOB)).scalars()
    job.run_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    run_once("w1")
    pending = db.session.execute(
        db.select(Job).filter_by(kind=REMIND_JOB, finished_at=None)
    ).scalar_one()
    assert pending.run_at > datetime.now(UTC) + timedelta(hours=23)


def test_the_remind_command(runner, expiring):
    when = (EXPIRY - timedelta(days=29)).isoformat()
    result = runner.invoke(args=["certificates", "remind", "--now", when])
    assert result.exit_code == 0 and "2 reminder(s) queued" in result.output
