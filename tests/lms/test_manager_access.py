"""Authorization of the manager pages: role x URL -> status, including changed ids."""

import pytest

from lms.competence import clock
from lms.extensions import db
from lms.models import ManagedUnit
from lms.operations.assignments import create_assignment
from tests.lms.competence_fixture import NOW, build, unit
from tests.lms.test_manager_dashboard import _manager

PASSWORD = "password-1234"
ACCOUNTS = {
    "learner": ("learner@example.org", "learner-demo-2026"),
    "educator": ("educator@example.org", "educator-demo-2026"),
    "manager": ("manager@example.org", "manager-demo-2026"),
    "other_manager": ("svendborg-manager@example.org", PASSWORD),
    "admin": ("admin@example.org", "admin-demo-2026"),
}
OWN, OTHER, DENIED = "own", "other", "denied"

# (url template, expectation for the Odense manager): the Svendborg manager gets
# 403 on Odense's pages and 200 on their own; learners and educators always 403.
URLS = [
    ("/manage/", OWN),
    ("/manage/units/{AES}", OWN),
    ("/manage/units/{HJS}", OWN),
    ("/manage/units/{SUN}", OTHER),
    ("/manage/units/{HJV}", OTHER),
    ("/manage/units/{HJS}/lists/overdue", OWN),
    ("/manage/units/{HJV}/lists/expiring", OTHER),
    ("/manage/units/{HJS}/assignments", OWN),
    ("/manage/units/{SUN}/assignments", OTHER),
    ("/manage/people/{n1}", OWN),
    ("/manage/people/{s1}", OTHER),
    ("/manage/units/{AES}/export/overdue.csv", OWN),
    ("/manage/units/{AES}/export/heatmap.xlsx", OWN),
    ("/manage/units/{SUN}/export/expiring.csv", OTHER),
    ("/manage/units/{HJV}/export/heatmap.xlsx", OTHER),
    ("/manage/units/{SUN}/export/never_started.xlsx?job_role=nurse", OTHER),
]


@pytest.fixture
def ids(app, make_user, monkeypatch):
    """Ids of units and people in both municipalities, and a Svendborg manager."""
    monkeypatch.setattr(clock, "now", lambda: NOW)
    people = build(make_user)
    other = make_user(
        role="manager", unit_code="SUN", email=ACCOUNTS["other_manager"][0]
    )
    db.session.add(ManagedUnit(user_id=other.id, unit_id=unit("SUN").id))
    db.session.commit()
    found = {code: unit(code).id for code in ("AES", "HJS", "SUN", "HJV")}
    found |= {key: people[key].id for key in ("n1", "s1")}
    return found


def _expected(role: str, kind: str) -> int:
    if role in ("learner", "educator"):
        return 403
    if role == "admin":
        return 200
    if role == "manager":
        return 200 if kind == OWN else 403
    return 200 if kind in (OTHER,) or kind == "svendborg-own" else 403


@pytest.mark.parametrize("role", list(ACCOUNTS))
@pytest.mark.parametrize(("template", "kind"), URLS)
def test_manager_pages_matrix(ids, client, auth, role, template, kind):
    auth.login(*ACCOUNTS[role])
    url = template.format(**ids)
    expected = _expected(role, kind)
    if role == "other_manager" and template == "/manage/":
        expected = 200  # their own overview
    response = client.get(url)
    assert response.status_code == expected, (role, url)


def test_anonymous_is_sent_to_the_login_page(ids, client):
    response = client.get(f"/manage/units/{ids['AES']}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_withdrawing_another_municipalitys_assignment_is_forbidden(ids, client, auth):
    from lms.models import User

    other = db.session.execute(
        db.select(User).filter_by(email=ACCOUNTS["other_manager"][0])
    ).scalar_one()
    theirs = create_assignment(
        other, ids["SUN"], "module", "video-consultations", NOW.date()
    )
    auth.login(*ACCOUNTS["manager"])
    response = client.post(f"/manage/assignments/{theirs.id}/withdraw")
    assert response.status_code == 403
    assert theirs.withdrawn_at is None


def test_a_manager_cannot_assign_to_another_municipality(ids, client, auth):
    auth.login(*ACCOUNTS["manager"])
    response = client.post(
        f"/manage/units/{ids['SUN']}/assignments",
        data={"target": "module:video-consultations", "due_on": "2030-04-01"},
    )
    assert response.status_code == 403


def test_an_unknown_job_role_filter_is_a_bad_request(ids, client, auth):
    auth.login(*ACCOUNTS["manager"])
    response = client.get(f"/manage/units/{ids['AES']}/export/overdue.csv?job_role=x")
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("role", "status"),
    [("learner", 403), ("educator", 403), ("manager", 403), ("admin", 200)],
)
def test_role_profile_pages_are_for_admins(ids, client, auth, role, status):
    auth.login(*ACCOUNTS[role])
    assert client.get("/admin/role-profiles/").status_code == status
    assert client.get("/admin/role-profiles/nurse").status_code == status


def test_manager_sees_only_staff_of_their_units(ids, client, auth):
    auth.login(*ACCOUNTS["manager"])
    _manager()
    html = client.get(f"/manage/units/{ids['AES']}/lists/expiring").get_data(
        as_text=True
    )
    assert f"/manage/people/{ids['n1']}" in html
    assert f"/manage/people/{ids['s1']}" not in html
