"""The manager dashboard against a hand-checked organisation (competence_fixture)."""

from datetime import timedelta

import pytest

from lms.competence import clock
from lms.competence import queries as q
from lms.competence.projection import FOREVER, rebuild
from lms.competence.scope import scope_of
from lms.extensions import db
from lms.models import StaffCompetence, User
from tests.lms.competence_fixture import NOW, build, unit

MANAGER = ("manager@example.org", "manager-demo-2026")


@pytest.fixture
def org(app, make_user, monkeypatch):
    """The hand-checked people, with the clock fixed at NOW."""
    monkeypatch.setattr(clock, "now", lambda: NOW)
    return build(make_user)


def _manager() -> User:
    return db.session.execute(db.select(User).filter_by(email=MANAGER[0])).scalar_one()


def _cells(rows, competence_id):
    return {
        (row.unit.name, row.own): (
            row.cells[competence_id].met,
            row.cells[competence_id].required,
        )
        for row in rows
        if competence_id in row.cells
    }


def test_heat_map_matches_the_hand_checked_fixture(org):
    scope = scope_of(_manager())
    competences, rows = q.heat_map(scope, unit("AES").id, NOW)
    assert competences == ["use.video", "use.secure"]
    assert [(row.unit.name, row.own) for row in rows] == [
        ("Genoptræningscenter Odense", False),
        ("Hjemmeplejen Nord", False),
        ("Hjemmeplejen Syd", False),
        ("Ældre og Sundhed", True),
        ("Ældre og Sundhed", False),
    ]
    assert _cells(rows, "use.video") == {
        ("Hjemmeplejen Nord", False): (0, 1),
        ("Hjemmeplejen Syd", False): (2, 4),
        ("Ældre og Sundhed", False): (2, 5),
    }
    assert _cells(rows, "use.secure") == {
        ("Hjemmeplejen Nord", False): (0, 1),
        ("Hjemmeplejen Syd", False): (1, 3),
        ("Ældre og Sundhed", False): (1, 4),
    }
    hjs = rows[2].cells
    assert (hjs["use.video"].percent, hjs["use.video"].band) == (50, "fair")
    assert (hjs["use.secure"].percent, hjs["use.secure"].band) == (33, "poor")


def test_a_certificate_that_expires_stops_counting_without_any_write(org):
    scope = scope_of(_manager())
    later = NOW + timedelta(days=41)  # n1's use.secure has run out
    _competences, rows = q.heat_map(scope, unit("HJS").id, later)
    assert rows[-1].cells["use.secure"].met == 0


def test_expiring_list_matches_the_fixture(org):
    units = scope_of(_manager()).below(unit("AES").id)
    rows = q.list_rows("expiring", units, NOW.date())
    assert [(r.name, r.competence_id) for r in rows] == [(org["n1"].name, "use.secure")]
    assert rows[0].user_id == org["n1"].id
    assert rows[0].when == (NOW + timedelta(days=40)).date()


def test_staff_rows_follow_certificates_in_the_same_transaction(org):
    row = db.session.get(StaffCompetence, (org["a1"].id, "use.video"))
    assert row.met_until == FOREVER
    row = db.session.get(StaffCompetence, (org["n3"].id, "use.secure"))
    assert row.met_until is None  # the only certificate is revoked


def test_moving_a_person_moves_their_rows(org):
    person = org["n2"]
    person.primary_unit = unit("GTC")
    db.session.commit()
    rows = db.session.execute(
        db.select(StaffCompetence.unit_id).filter_by(user_id=person.id)
    ).scalars()
    assert set(rows) == {unit("GTC").id}


def test_rebuild_check_finds_no_difference_then_finds_a_tampered_row(org):
    assert rebuild(check=True) == []
    row = db.session.get(StaffCompetence, (org["n2"].id, "use.video"))
    row.met_until = FOREVER
    db.session.commit()
    found = rebuild(check=True)
    assert len(found) == 1 and "staff competence" in found[0]
    assert rebuild(check=False) == found
    assert rebuild(check=True) == []


def test_progress_rebuild_command_checks_the_rollups(org, runner):
    result = runner.invoke(args=["progress", "rebuild", "--check"])
    assert result.exit_code == 0, result.output
    db.session.execute(db.delete(StaffCompetence).filter_by(user_id=org["n1"].id))
    db.session.commit()
    result = runner.invoke(args=["progress", "rebuild", "--check"])
    assert result.exit_code == 1
    assert "staff competence" in result.output


def test_overview_counts_each_unit_with_its_subtree(org):
    competences, rows = q.overview(scope_of(_manager()), NOW)
    by_name = {row.unit.name: row.cells for row in rows}
    assert set(by_name) == {
        "Ældre og Sundhed",
        "Hjemmeplejen Syd",
        "Hjemmeplejen Nord",
        "Genoptræningscenter Odense",
    }
    assert by_name["Ældre og Sundhed"]["use.video"] == q.Cell(5, 2)


def test_unit_page_shows_numbers_and_counts(org, client, auth):
    auth.login(*MANAGER)
    page = client.get(f"/manage/units/{unit('AES').id}?lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "50 %" in html and "2 of 4 meet it" in html
    assert "<svg" in html and "Completed that month" in html
    assert f"/manage/people/{org['n1'].id}" in html
    assert f"/manage/people/{org['s1'].id}" not in html


def test_person_page_shows_profile_but_no_answers(org, client, auth):
    auth.login(*MANAGER)
    page = client.get(f"/manage/people/{org['n1'].id}?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Expires within 90 days" in html and "Meets the profile" in html
    assert "Quiz answers and reflections are not shown" in html
