"""Fixtures: a learner who completed the shipped module and holds its certificate."""

import pytest

from lms.extensions import db, limiter
from lms.models import Certificate, Enrolment, User
from lms.models.common import utcnow
from tests.lms.journey import approve_all, do_learner_part


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    """Start each test with no rate-limit counter used."""
    limiter.reset()


def complete_module(client, auth, email="learner@example.org", password=None):
    """Walk a learner through the module and have the educator approve the task."""
    auth.login(email, password or "learner-demo-2026")
    do_learner_part(client)
    auth.logout()
    auth.login("educator@example.org", "educator-demo-2026")
    approve_all(client)
    auth.logout()
    db.session.expire_all()


@pytest.fixture
def learner(demo) -> User:
    """The demo learner."""
    return db.session.execute(
        db.select(User).filter_by(email="learner@example.org")
    ).scalar_one()


@pytest.fixture
def earned(client, auth, learner) -> Certificate:
    """The certificate the demo learner earns by completing the module for real."""
    complete_module(client, auth)
    return db.session.execute(
        db.select(Certificate).filter_by(holder_id=learner.id)
    ).scalar_one()


def certify(user: User, slug: str = "video-consultations") -> Certificate:
    """Issue a module certificate to a user whose enrolment is marked complete."""
    from lms.content import current_version
    from lms.operations.certificates import issue_for_enrolment

    enrolment = Enrolment(
        user=user, module_version=current_version(slug), completed_at=utcnow()
    )
    db.session.add(enrolment)
    db.session.flush()
    certificate = issue_for_enrolment(enrolment)
    db.session.commit()
    return certificate


@pytest.fixture
def certified(learner) -> Certificate:
    """The demo learner's certificate, issued without walking through the module."""
    return certify(learner)


@pytest.fixture
def enrolment(learner) -> Enrolment:
    """The demo learner's one enrolment (request it after the certificate)."""
    return db.session.execute(
        db.select(Enrolment).filter_by(user_id=learner.id)
    ).scalar_one()
