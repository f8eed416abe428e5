"""A programme certificate is renewed once every module certificate has been renewed,
and withdrawn when the programme's completion is voided."""

from datetime import UTC, datetime, timedelta

from flask import g

from lms.extensions import db
from lms.models import Certificate, Enrolment, ProgrammeEnrolment, User
from lms.operations.certificates import (
    issue_for_enrolment,
    issue_for_programme,
    issue_module,
)
from lms.operations.programmes import enrol_programme
from lms.programme_records import refold_programme
from lms.programmes import programme_of
from xapi.store import StatementQuery, query_statements
from xapi.vocabulary import VERBS

SLUG = "bliv-digital-kompetent"


def _in_request(app, operation, *args):
    try:
        with app.test_request_context():
            return operation(*args)
    finally:
        for name in list(vars(g)):
            delattr(g, name)


def _chain(user_id: int, kind: str, slug: str) -> list[Certificate]:
    query = (
        db.select(Certificate)
        .filter_by(holder_id=user_id, achievement_kind=kind, achievement_slug=slug)
        .order_by(Certificate.cycle)
    )
    return list(db.session.execute(query).scalars())


def _certified_programme(app) -> tuple[User, ProgrammeEnrolment, list[Enrolment]]:
    """The learner holds the programme's and every module's first certificate,
    issued 22 months ago and expiring in two months."""
    learner = db.session.execute(
        db.select(User).filter_by(email="learner@example.org")
    ).scalar_one()
    _in_request(app, enrol_programme, learner, SLUG)
    programme = db.session.execute(db.select(ProgrammeEnrolment)).scalar_one()
    now = datetime.now(UTC).replace(microsecond=0)
    modules = []
    for slug in programme_of(programme.programme_version).modules:
        enrolment = db.session.execute(
            db.select(Enrolment)
            .filter_by(user_id=learner.id)
            .join(Enrolment.module_version)
            .filter_by(slug=slug)
        ).scalar_one()
        enrolment.completed_at = now - timedelta(days=670)
        issue_for_enrolment(enrolment)
        modules.append(enrolment)
    programme.completed_at = now - timedelta(days=670)
    issue_for_programme(programme)
    db.session.flush()
    for certificate in db.session.execute(db.select(Certificate)).scalars():
        certificate.issued_at = now - timedelta(days=670)
        certificate.expires_at = now + timedelta(days=60)
    db.session.commit()
    return learner, programme, modules


def test_the_last_renewed_module_renews_the_programme(app, demo):
    learner, programme, modules = _certified_programme(app)
    (first,) = _chain(learner.id, "programme", SLUG)
    for enrolment in modules[:-1]:
        previous = _chain(learner.id, "module", enrolment.module_version.slug)[-1]
        issue_module(enrolment, previous=previous)
        db.session.commit()
        assert len(_chain(learner.id, "programme", SLUG)) == 1  # one still missing
    last = modules[-1]
    issue_module(
        last, previous=_chain(learner.id, "module", last.module_version.slug)[-1]
    )
    db.session.commit()
    chain = _chain(learner.id, "programme", SLUG)
    assert [c.cycle for c in chain] == [0, 1]
    renewed = chain[1]
    assert renewed.previous_id == first.id and renewed.registration == programme.uuid
    assert renewed.expires_at > first.expires_at
    found, _cursor = query_statements(
        db.session.connection(),
        StatementQuery(registration=programme.uuid, verb_id=VERBS["earned"].id),
    )
    earned = [s for s in found if s["verb"]["id"] == VERBS["earned"].id]
    assert len(earned) == 2  # the first certificate's and the renewal's


def test_modules_renewed_before_the_window_opened_do_not_count(app, demo):
    learner, _programme, modules = _certified_programme(app)
    (programme_certificate,) = _chain(learner.id, "programme", SLUG)
    # The programme's window has not opened: it expires in a year.
    programme_certificate.expires_at = datetime.now(UTC) + timedelta(days=365)
    db.session.commit()
    for enrolment in modules:
        previous = _chain(learner.id, "module", enrolment.module_version.slug)[-1]
        issue_module(enrolment, previous=previous)
        db.session.commit()
    assert len(_chain(learner.id, "programme", SLUG)) == 1


def test_voiding_the_programme_completion_withdraws_its_certificate(app, demo):
    learner, programme, _modules = _certified_programme(app)
    (certificate,) = _chain(learner.id, "programme", SLUG)
    # No statement records these completions, so folding again takes them away.
    refold_programme(programme)
    db.session.commit()
    db.session.expire_all()
    assert programme.completed_at is None
    assert certificate.revoked_at is not None
    assert certificate.revocation_reason == "completion voided"
