"""Recertification: the shorter path renews a certificate and continues the chain."""

from datetime import UTC, datetime, timedelta

import pytest

from lms import statements
from lms.certificates.queries import competence_levels, rows_of, window_opens
from lms.content import module_of
from lms.extensions import db
from lms.models import Certificate, User
from lms.operations.certificates import add_months, revoke
from lms.records import record
from xapi import builders as b


@pytest.fixture
def due(certified, enrolment) -> Certificate:
    """The certificate, issued long ago and expiring in two weeks."""
    now = datetime.now(UTC).replace(microsecond=0)
    certified.issued_at = now - timedelta(days=716)
    certified.expires_at = now + timedelta(days=14)
    db.session.commit()
    return certified


def _redo(enrolment, activity_id: str, verb: str = "passed", when=None) -> None:
    activity = module_of(enrolment.module_version).activity(activity_id)
    statement = statements.on_activity(
        enrolment, activity, verb, result=b.result(success=True, completion=True)
    )
    if when is not None:
        statement["timestamp"] = b.utc_timestamp(when)
    record(enrolment, [statement])
    db.session.commit()


def _chain(user_id: int) -> list[Certificate]:
    query = (
        db.select(Certificate).filter_by(holder_id=user_id).order_by(Certificate.cycle)
    )
    return list(db.session.execute(query).scalars())


def test_the_module_declares_its_recertification_path(certified, enrolment):
    module = module_of(enrolment.module_version)
    assert [a.id for a in module.recertification_activities] == [
        "final-quiz",
        "first-consultation",
    ]


def test_redoing_the_path_renews_the_certificate(due, enrolment, learner):
    _redo(enrolment, "final-quiz")
    assert len(_chain(learner.id)) == 1  # the practice task is still missing
    _redo(enrolment, "first-consultation")  # approved again
    first, renewed = _chain(learner.id)
    assert renewed.cycle == 1 and renewed.previous_id == first.id
    assert renewed.code != first.code and renewed.status_index != first.status_index
    # Renewed before expiry: the new period runs on from the old expiry.
    assert renewed.expires_at == add_months(first.expires_at, 24)
    assert '"validUntil"' in renewed.credential


def test_work_before_the_window_opened_does_not_count(due, enrolment, learner):
    opens = window_opens(due)
    _redo(enrolment, "final-quiz", when=opens - timedelta(days=1))
    _redo(enrolment, "first-consultation")
    assert len(_chain(learner.id)) == 1


def test_nothing_renews_outside_the_window(certified, enrolment, learner):
    _redo(enrolment, "final-quiz")
    _redo(enrolment, "first-consultation")
    assert len(_chain(learner.id)) == 1  # expires in two years; window not open


def test_an_expired_certificate_renews_from_today(due, enrolment, learner):
    due.issued_at -= timedelta(days=60)
    due.expires_at = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)
    db.session.commit()
    _redo(enrolment, "final-quiz")
    _redo(enrolment, "first-consultation")
    renewed = _chain(learner.id)[-1]
    assert renewed.cycle == 1
    assert renewed.expires_at - renewed.issued_at > timedelta(days=729)


def test_a_revoked_certificate_is_not_renewed(due, enrolment, learner):
    admin = db.session.execute(
        db.select(User).filter_by(email="admin@example.org")
    ).scalar_one()
    revoke(due, admin, "Snyd")
    _redo(enrolment, "final-quiz")
    _redo(enrolment, "first-consultation")
    assert len(_chain(learner.id)) == 1


def test_the_certificate_page_offers_renewal(client, auth, due):
    auth.login()
    page = client.get("/certificates/")
    assert "Du kan forny kompetencebeviset nu" in page.text
    assert "/learn/modules/video-consultations/final-quiz" in page.text
    rows = rows_of(due.holder_id, datetime.now(UTC))
    assert [a.id for a in rows[0].renewal] == ["final-quiz", "first-consultation"]


def test_expired_and_revoked_certificates_no_longer_count(certified, learner):
    now = datetime.now(UTC)
    assert competence_levels(learner.id, now) == {
        "use.video": 2,
        "communicate.relationship": 1,
    }
    assert competence_levels(learner.id, certified.expires_at + timedelta(days=1)) == {}
    admin = db.session.execute(
        db.select(User).filter_by(email="admin@example.org")
    ).scalar_one()
    revoke(certified, admin, "Fejl")
    assert competence_levels(learner.id, now) == {}


def test_a_learner_renews_through_the_pages(client, auth, due, learner):
    """In the window, the learner takes the quiz and hands in the task again."""
    from tests.lms.journey import approve_all, correct_form

    base = "/learn/modules/video-consultations"
    auth.login()
    started = client.post(f"{base}/final-quiz/attempts")
    assert started.status_code == 302
    module = module_of(earned_enrolment(due).module_version)
    quiz = module.activity("final-quiz").content
    graded = client.post(started.headers["Location"], data=correct_form(quiz))
    assert graded.status_code == 302
    reflection = " ".join(["fornyelse"] * 200)
    handed_in = client.post(
        f"{base}/first-consultation/submissions", data={"text": reflection}
    )
    assert handed_in.status_code == 302
    assert len(_chain(learner.id)) == 1  # the task awaits review
    auth.logout()
    auth.login("educator@example.org", "educator-demo-2026")
    approve_all(client)
    db.session.expire_all()
    first, renewed = _chain(learner.id)
    assert renewed.previous_id == first.id and renewed.cycle == 1


def test_renewal_reopens_the_quiz_and_the_task(due, enrolment):
    """Attempts and approvals from before the window do not block doing it again."""
    from lms.models import QuizAttempt, Submission
    from lms.operations.recertification import counted_attempts, may_hand_in_again

    opens = window_opens(due)
    old = QuizAttempt(
        enrolment_id=enrolment.id,
        activity_id="final-quiz",
        number=1,
        seed=1,
        started_at=opens - timedelta(days=300),
    )
    approved = Submission(
        enrolment_id=enrolment.id,
        activity_id="first-consultation",
        number=1,
        text="x",
        status="approved",
        submitted_at=opens - timedelta(days=301),
        reviewed_at=opens - timedelta(days=300),
    )
    db.session.add_all([old, approved])
    db.session.commit()
    assert counted_attempts(enrolment, [old]) == []
    assert may_hand_in_again(enrolment, [approved]) is True
    approved.reviewed_at = opens + timedelta(days=1)  # already renewed
    assert may_hand_in_again(enrolment, [approved]) is False
    due.expires_at += timedelta(days=365)  # the window is closed again
    db.session.commit()
    assert counted_attempts(enrolment, [old]) == [old]
    assert may_hand_in_again(enrolment, [approved]) is False


def earned_enrolment(certificate):
    from lms.models import Enrolment

    return db.session.execute(
        db.select(Enrolment).filter_by(uuid=certificate.registration)
    ).scalar_one()
