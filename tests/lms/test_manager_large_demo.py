"""The large demo at a small scale: shape, idempotence, and consistency with rebuild."""

from lms.competence.large_demo import load_large_demo
from lms.competence.scope import scope_of
from lms.extensions import db
from lms.models import Assignment, Enrolment, Organisation, User
from lms.operations.progress import rebuild
from xapi.store import statements


def test_large_demo_is_consistent_with_a_rebuild(demo):
    lines: list[str] = []
    load_large_demo(staff=60, statements=4000, echo=lines.append)
    overview = db.session.execute(
        db.select(User).filter_by(email="large-overview@example.org")
    ).scalar_one()
    assert len(scope_of(overview).visible) == 200
    stored = db.session.execute(db.select(db.func.count()).select_from(statements))
    assert 3000 <= stored.scalar() <= 5000
    assert db.session.execute(db.select(db.func.count(Enrolment.id))).scalar() > 60
    assert db.session.execute(db.select(db.func.count(Assignment.id))).scalar() == 9
    assert rebuild(check=True) == []
    load_large_demo(staff=60, statements=4000, echo=lines.append)
    assert lines[-1] == "large demo already loaded"
    organisations = db.session.execute(db.select(db.func.count(Organisation.id)))
    assert organisations.scalar() == 4 + 4  # the small demo's and the large one's
