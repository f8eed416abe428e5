"""Shared set-up for the cohort and session tests: a module with sessions, cohorts."""

from datetime import UTC, date, datetime, timedelta

from lms.content import publish
from lms.extensions import db
from lms.models import (
    ActivityProgress,
    Attendance,
    Cohort,
    CohortSession,
    Enrolment,
    ModuleFile,
    ModuleVersion,
    User,
)

#: A small module whose completion needs a lesson and a webinar.
SLUG = "cohort-sessions-test"
EDUCATOR = ("educator@example.org", "educator-demo-2026")
LEARNER = ("learner@example.org", "learner-demo-2026")
MANAGER = ("manager@example.org", "manager-demo-2026")
ADMIN = ("admin@example.org", "admin-demo-2026")
PASSWORD = "password-1234"

MODULE_TOML = f"""
slug = "{SLUG}"
version = "1.0.0"
estimated_minutes = 60
title = {{ da = "Hold og sessioner", en = "Cohorts and sessions" }}
summary = {{ da = "Et lille modul til testene.", en = "A small module for the tests." }}

[objectives]
da = ["Deltage i et webinar."]
en = ["Attend a webinar."]

[[competences]]
id = "use.video"
level = 1

[[activities]]
id = "intro"
kind = "lesson"
title = {{ da = "Introduktion", en = "Introduction" }}
file = "lessons/01-intro"

[[activities]]
id = "kick-off"
kind = "webinar"
title = {{ da = "Opstartswebinar", en = "Kick-off webinar" }}

[[activities]]
id = "talk"
kind = "meeting"
title = {{ da = "Samtale", en = "Conversation" }}
required = false
"""

FILES = {
    "module.toml": MODULE_TOML.encode(),
    "lessons/01-intro.da.md": "## Velkommen\n\nLæs dette.\n".encode(),
    "lessons/01-intro.en.md": b"## Welcome\n\nRead this.\n",
}


def published_module():
    """Publish the test module, yield its version, then take it away again.

    Test files wrap this in a `session_module` fixture.
    """
    version, _new = publish(dict(FILES), name=SLUG)
    yield version
    db.session.rollback()
    # Only this module's rows point at the version; the other tables are emptied
    # before the next test anyway.
    enrolments = db.select(Enrolment.id).filter_by(module_version_id=version.id)
    db.session.execute(
        db.delete(ActivityProgress).where(ActivityProgress.enrolment_id.in_(enrolments))
    )
    db.session.execute(db.delete(Enrolment).filter_by(module_version_id=version.id))
    db.session.execute(db.delete(ModuleFile).filter_by(version_id=version.id))
    db.session.execute(db.delete(ModuleVersion).filter_by(id=version.id))
    db.session.commit()


def user(email: str) -> User:
    """Return the user with this email."""
    return db.session.execute(db.select(User).filter_by(email=email)).scalar_one()


def make_cohort(educator: User, members=(), slug: str = SLUG, **fields) -> Cohort:
    """Create a cohort directly in the database."""
    today = datetime.now(UTC).date()
    cohort = Cohort(
        name=fields.pop("name", "Hold A"),
        module_slug=slug,
        starts_on=fields.pop("starts_on", today),
        ends_on=fields.pop("ends_on", today + timedelta(days=60)),
        **fields,
    )
    cohort.educators = [educator]
    cohort.members = list(members)
    db.session.add(cohort)
    db.session.commit()
    return cohort


def make_session(cohort: Cohort, creator: User, **fields) -> CohortSession:
    """Create a session directly in the database; by default it began an hour ago."""
    session = CohortSession(
        cohort=cohort,
        created_by=creator,
        kind=fields.pop("kind", "webinar"),
        title=fields.pop("title", "Opstart"),
        starts_at=fields.pop("starts_at", _an_hour_ago()),
        duration_minutes=fields.pop("duration_minutes", 60),
        meeting_url=fields.pop("meeting_url", "https://meet.example.org/room-1"),
        **fields,
    )
    db.session.add(session)
    db.session.commit()
    return session


def _an_hour_ago() -> datetime:
    """Return the whole minute an hour ago, as a form can enter it again."""
    return (datetime.now(UTC) - timedelta(hours=1)).replace(second=0, microsecond=0)


def attendance(session: CohortSession, learner: User) -> Attendance | None:
    """Return the recorded attendance of a learner at a session."""
    return db.session.get(Attendance, (session.id, learner.id))


def session_form(**change) -> dict:
    """Return good form data for scheduling a webinar, with some fields changed."""
    data = {
        "title": "Opstartswebinar",
        "kind": "webinar",
        "activity": "module:kick-off",
        "day": (date.today() + timedelta(days=14)).isoformat(),
        "at": "10:00",
        "duration": "90",
        "meeting_url": "https://meet.example.org/hold-a",
    }
    data.update(change)
    return data
