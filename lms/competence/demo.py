"""Demo data for the manager dashboard: staff, an assignment, role profiles.

Run by `flask --app lms demo` after the base demo; safe to run twice.
"""

import logging
import secrets
from datetime import timedelta

from lms.competence import clock
from lms.competence.membership import sync_assignment
from lms.competence.profiles import seed_role_profiles
from lms.content import current_version
from lms.extensions import db
from lms.models import Assignment, ManagedUnit, Organisation, Unit, User

log = logging.getLogger(__name__)

#: email, name, unit code, job role. They cannot sign in (random password).
STAFF = [
    ("staff1@example.org", "Sara Nielsen", "HJS", "care_assistant"),
    ("staff2@example.org", "Peter Hansen", "HJS", "care_helper"),
    ("staff3@example.org", "Maria Jensen", "HJN", "nurse"),
    ("staff4@example.org", "Ali Rasmussen", "HJN", "care_assistant"),
    ("staff5@example.org", "Karen Poulsen", "GTC", "physiotherapist"),
]
ASSIGNED = "video-consultations"


def _unit(code: str) -> Unit:
    return db.session.execute(
        db.select(Unit)
        .join(Organisation)
        .where(Unit.code == code, Organisation.name == "Odense Kommune")
    ).scalar_one()


def load_competence_demo() -> None:
    """Seed role profiles, add staff to the manager's units and assign training."""
    seed_role_profiles()
    for email, name, code, job_role in STAFF:
        exists = db.session.execute(db.select(User.id).filter_by(email=email)).first()
        if exists is None:
            user = User(
                email=email, name=name, primary_unit=_unit(code), job_role=job_role
            )
            user.set_roles({"learner"})
            user.set_password(secrets.token_urlsafe(24))
            db.session.add(user)
    db.session.commit()
    top = _unit("AES")
    manager = db.session.execute(
        db.select(User)
        .join(ManagedUnit, ManagedUnit.user_id == User.id)
        .where(ManagedUnit.unit_id == top.id)
    ).scalar()
    existing = db.session.execute(
        db.select(Assignment).filter_by(unit_id=top.id, slug=ASSIGNED)
    ).scalar_one_or_none()
    if existing is None and manager is not None and current_version(ASSIGNED):
        assignment = Assignment(
            unit_id=top.id,
            kind="module",
            slug=ASSIGNED,
            due_on=clock.today() + timedelta(days=21),
            job_roles=["nurse", "care_assistant", "care_helper"],
            created_by_id=manager.id,
        )
        db.session.add(assignment)
        db.session.commit()
        sync_assignment(assignment)
    log.info("competence demo data ready")
