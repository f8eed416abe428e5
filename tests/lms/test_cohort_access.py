"""Who may see and change cohorts and sessions: role x URL -> status, from outside.

An educator sees only the cohorts they run (others' are not found); learners and
managers have no educator pages (403); a learner sees only sessions of their own
cohorts, calendar files included (404 otherwise). Ids changed in URLs and in form
fields are tried too.
"""

from datetime import UTC, datetime, timedelta

import pytest

from lms.extensions import db
from lms.models import Attendance, Cohort, CohortSession
from tests.lms.cohort_support import (
    ADMIN,
    EDUCATOR,
    LEARNER,
    MANAGER,
    PASSWORD,
    make_cohort,
    make_session,
    user,
)

ACCOUNTS = {
    "anonymous": None,
    "member": LEARNER,
    "outsider": ("outsider@example.org", PASSWORD),
    "educator": EDUCATOR,
    "other_educator": ("other.educator@example.org", PASSWORD),
    "manager": MANAGER,
    "admin": ADMIN,
}
ROLES = list(ACCOUNTS)


def _expect(**statuses: int) -> dict[str, int]:
    """Fill in the usual answers: 302 to log in, 403 without the educator role."""
    base = {"anonymous": 302, "member": 403, "outsider": 403, "manager": 403}
    return base | statuses


OWN = _expect(educator=200, other_educator=404, admin=200)
OWN_POST = _expect(educator=302, other_educator=404, admin=302)
EVERY_EDUCATOR = _expect(educator=200, other_educator=200, admin=200)
SIGNED_IN = {role: 200 for role in ROLES} | {"anonymous": 302}
MEMBER_ONLY = {role: 404 for role in ROLES} | {"anonymous": 302, "member": 200}
NOBODY = {role: 404 for role in ROLES} | {"anonymous": 302}

# (method, url template, form data template, {role: status}). {a} and {b} are
# cohorts of the educator and of another educator; {sa} and {sb} their sessions;
# {member} is in cohort a, {outsider} in none.
MATRIX = [
    ("GET", "/teach/cohorts/", None, EVERY_EDUCATOR),
    ("GET", "/teach/cohorts/new", None, EVERY_EDUCATOR),
    ("GET", "/teach/cohorts/{a}", None, OWN),
    ("GET", "/teach/cohorts/{a}?q=example", None, OWN),
    ("GET", "/teach/cohorts/{a}/edit", None, OWN),
    ("POST", "/teach/cohorts/{a}/members", {"user_id": "{outsider}"}, OWN_POST),
    ("POST", "/teach/cohorts/{a}/members/{member}/remove", {}, OWN_POST),
    ("GET", "/teach/cohorts/{a}/sessions/new", None, OWN),
    ("GET", "/teach/cohorts/{a}/sessions/{sa}/edit", None, OWN),
    ("POST", "/teach/cohorts/{a}/sessions/{sa}/cancel", {}, OWN_POST),
    ("GET", "/teach/cohorts/{a}/sessions/{sa}/attendance", None, OWN),
    (
        "POST",
        "/teach/cohorts/{a}/sessions/{sa}/attendance",
        {"status-{member}": "attended"},
        OWN_POST,
    ),
    # Someone else's cohort, and sessions reached through the wrong cohort.
    (
        "GET",
        "/teach/cohorts/{b}",
        None,
        _expect(educator=404, other_educator=200, admin=200),
    ),
    (
        "GET",
        "/teach/cohorts/{a}/sessions/{sb}/attendance",
        None,
        _expect(educator=404, other_educator=404, admin=404),
    ),
    (
        "GET",
        "/teach/cohorts/{b}/sessions/{sa}/edit",
        None,
        _expect(educator=404, other_educator=404, admin=404),
    ),
    (
        "GET",
        "/teach/cohorts/999999",
        None,
        _expect(educator=404, other_educator=404, admin=404),
    ),
    # The learner's side.
    ("GET", "/learn/sessions/", None, SIGNED_IN),
    ("GET", "/learn/sessions/{sa}.ics", None, MEMBER_ONLY),
    ("GET", "/learn/sessions/{sb}.ics", None, NOBODY),
    ("GET", "/learn/sessions/999999.ics", None, NOBODY),
]

CASES = [
    pytest.param(method, url, data, role, expected[role], id=f"{method}-{url}-{role}")
    for method, url, data, expected in MATRIX
    for role in ROLES
]


@pytest.fixture
def world(demo, make_user):
    """Two educators' cohorts, each with a learner and a session that has begun."""
    educator = user(EDUCATOR[0])
    other_educator = make_user(
        role="educator", unit_code="SUU", email="other.educator@example.org"
    )
    member = user(LEARNER[0])
    outsider = make_user(unit_code="HJV", email="outsider@example.org")
    b_learner = make_user(unit_code="SHC", email="b.learner@example.org")
    a = make_cohort(educator, [member], slug="video-consultations", name="Hold A")
    b = make_cohort(
        other_educator, [b_learner], slug="video-consultations", name="Hold B"
    )
    sa = make_session(a, educator, title="Session A")
    sb = make_session(b, other_educator, title="Session B")
    return {
        "a": a.id,
        "b": b.id,
        "sa": sa.id,
        "sb": sb.id,
        "member": member.id,
        "outsider": outsider.id,
        "b_learner": b_learner.id,
    }


def _fill(template: str, world: dict) -> str:
    return template.format(**world)


@pytest.mark.parametrize(("method", "url", "data", "role", "status"), CASES)
def test_role_url_matrix(client, auth, world, method, url, data, role, status):
    if ACCOUNTS[role]:
        auth.login(*ACCOUNTS[role])
    form = None
    if data is not None:
        form = {_fill(key, world): _fill(value, world) for key, value in data.items()}
    response = client.open(_fill(url, world), method=method, data=form)
    assert response.status_code == status
    if role == "anonymous":
        assert "/login" in response.headers["Location"]


def test_the_cohort_list_shows_only_my_cohorts(client, auth, world):
    auth.login(*EDUCATOR)
    page = client.get("/teach/cohorts/")
    assert "Hold A" in page.text and "Hold B" not in page.text
    auth.logout()
    auth.login(*ADMIN)
    page = client.get("/teach/cohorts/")
    assert "Hold A" in page.text and "Hold B" in page.text


def test_a_learner_lists_only_sessions_of_their_cohorts(client, auth, world):
    future = datetime.now(UTC) + timedelta(days=1)
    for session in db.session.execute(db.select(CohortSession)).scalars():
        session.starts_at = future
    db.session.commit()
    auth.login(*LEARNER)
    page = client.get("/learn/sessions/")
    assert "Session A" in page.text and "Session B" not in page.text
    auth.logout()
    auth.login("outsider@example.org", PASSWORD)
    page = client.get("/learn/sessions/")
    assert "Session A" not in page.text and "Session B" not in page.text


def test_ids_of_other_cohorts_in_form_fields_change_nothing(client, auth, world):
    auth.login(*EDUCATOR)
    attendance_url = f"/teach/cohorts/{world['a']}/sessions/{world['sa']}/attendance"
    # A learner of the other cohort, in the attendance of my session.
    response = client.post(
        attendance_url, data={f"status-{world['b_learner']}": "attended"}
    )
    assert response.status_code == 400
    assert db.session.execute(db.select(Attendance)).first() is None
    # Removing a learner of the other cohort through mine.
    response = client.post(
        f"/teach/cohorts/{world['a']}/members/{world['b_learner']}/remove"
    )
    assert response.status_code == 404
    cohort_b = db.session.get(Cohort, world["b"])
    assert [m.id for m in cohort_b.members] == [world["b_learner"]]


def test_another_educator_changes_nothing(client, auth, world):
    auth.login("other.educator@example.org", PASSWORD)
    a, sa = world["a"], world["sa"]
    for url, data in [
        (f"/teach/cohorts/{a}/edit", {"name": "Overtaget"}),
        (f"/teach/cohorts/{a}/members", {"user_id": world["outsider"]}),
        (f"/teach/cohorts/{a}/members/{world['member']}/remove", {}),
        (f"/teach/cohorts/{a}/sessions/{sa}/cancel", {}),
        (
            f"/teach/cohorts/{a}/sessions/{sa}/attendance",
            {f"status-{world['member']}": "absent"},
        ),
    ]:
        assert client.post(url, data=data).status_code == 404
    cohort = db.session.get(Cohort, a)
    assert cohort.name == "Hold A"
    assert [m.id for m in cohort.members] == [world["member"]]
    assert db.session.get(CohortSession, sa).cancelled_at is None
    assert db.session.execute(db.select(Attendance)).first() is None
