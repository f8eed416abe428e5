"""Completing the whole programme issues one programme certificate."""

import json

from flask import g

from lms.certificates.keys import did_document
from lms.certificates.verify import key_from_document, verify_credential
from lms.extensions import db
from lms.models import Certificate, ProgrammeEnrolment, User
from lms.operations.programmes import enrol_programme, record_programme_attendance
from lms.programmes import programme_of
from tests.lms.journey import approve_all, do_learner_part

SLUG = "bliv-digital-kompetent"


def _user(email: str) -> User:
    return db.session.execute(db.select(User).filter_by(email=email)).scalar_one()


def _in_request(app, operation, *args):
    try:
        with app.test_request_context():
            return operation(*args)
    finally:
        for name in list(vars(g)):
            delattr(g, name)


def test_programme_completion_issues_a_programme_certificate(app, client, auth, demo):
    learner, educator = _user("learner@example.org"), _user("educator@example.org")
    _in_request(app, enrol_programme, learner, SLUG)
    enrolment = db.session.execute(db.select(ProgrammeEnrolment)).scalar_one()
    slugs = programme_of(enrolment.programme_version).modules
    auth.login()
    for slug in slugs:
        do_learner_part(client, slug)
    auth.logout()
    auth.login("admin@example.org", "admin-demo-2026")
    approve_all(client)
    auth.logout()
    assert (
        db.session.execute(
            db.select(Certificate).filter_by(achievement_kind="programme")
        ).first()
        is None
    )  # the final meeting is still missing

    for attended in (True, False, True):  # a voided meeting, then attended again
        _in_request(
            app,
            record_programme_attendance,
            learner,
            SLUG,
            "final-meeting",
            educator,
            attended,
        )
        db.session.commit()
    db.session.expire_all()
    (programme,) = db.session.execute(
        db.select(Certificate).filter_by(achievement_kind="programme")
    ).scalars()
    assert programme.achievement_slug == SLUG
    assert programme.title_en == "Becoming Digitally Competent"
    # The best level of each competence its six modules attest.
    assert len(programme.competences) >= 6
    assert programme.expires_at is not None  # certificate_valid_months = 24
    modules = db.session.execute(
        db.select(Certificate).filter_by(achievement_kind="module")
    ).scalars()
    assert sorted(c.achievement_slug for c in modules) == sorted(slugs)

    verdict = verify_credential(
        json.loads(programme.credential),
        lambda method: key_from_document(did_document(), method),
    )
    assert verdict.valid, verdict.reasons
