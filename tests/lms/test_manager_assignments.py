"""Required training: auto-enrolment now and later, rollups, lists, withdrawal."""

from datetime import timedelta

import pytest

from lms.competence import clock
from lms.competence import queries as q
from lms.competence.projection import rebuild
from lms.extensions import db
from lms.jobs import run_once
from lms.models import Assignment, AssignmentMember, Enrolment, UnitAssignmentRollup
from lms.operations.assignments import create_assignment, withdraw_assignment
from lms.operations.learning import open_activity
from tests.lms.competence_fixture import NOW, build, unit
from tests.lms.test_manager_dashboard import _manager

VIDEO, SECURE = "video-consultations", "secure-communication"


@pytest.fixture
def org(app, make_user, monkeypatch):
    """The hand-checked people and two assignments, with the clock fixed at NOW."""
    monkeypatch.setattr(clock, "now", lambda: NOW)
    people = build(make_user)
    manager = _manager()
    people["video"] = create_assignment(
        manager,
        unit("AES").id,
        "module",
        VIDEO,
        NOW.date() + timedelta(days=10),
        job_roles=["nurse", "care_assistant"],
    )
    people["secure"] = create_assignment(
        manager,
        unit("HJN").id,
        "module",
        SECURE,
        NOW.date() - timedelta(days=5),
        include_subunits=False,
    )
    return people


def _members(assignment: Assignment) -> dict[int, str]:
    rows = db.session.execute(
        db.select(AssignmentMember).filter_by(assignment_id=assignment.id)
    ).scalars()
    return {m.user_id: m.status for m in rows if m.left_at is None}


def _enrolled(user, slug: str) -> bool:
    from lms.operations.learning import find_enrolment

    return find_enrolment(user, slug) is not None


def test_matching_staff_are_enrolled_and_nobody_else(org):
    expected = {org[k].id for k in ("learner", "n1", "n2", "a1", "n3")}
    assert set(_members(org["video"])) == expected
    assert all(_enrolled(org[k], VIDEO) for k in ("learner", "n1", "a1", "n3"))
    assert not _enrolled(org["s1"], VIDEO)  # another municipality
    assert not _enrolled(_manager(), VIDEO)  # job role not assigned
    assert set(_members(org["secure"])) == {org["n3"].id}


def test_lists_match_the_fixture(org):
    from lms.competence.scope import scope_of

    units = scope_of(_manager()).below(unit("AES").id)
    today = NOW.date()
    overdue = q.list_rows("overdue", units, today)
    assert [(r.user_id, r.assignment.slug) for r in overdue] == [(org["n3"].id, SECURE)]
    due = q.list_rows("due_soon", units, today)
    assert sorted(r.user_id for r in due) == sorted(
        org[k].id for k in ("learner", "n1", "n2", "a1", "n3")
    )
    never = q.list_rows("never_started", units, today)
    assert len(never) == 6
    nurses = q.list_rows("due_soon", units, today, job_role="care_assistant")
    assert [r.user_id for r in nurses] == [org["a1"].id]


def test_progress_updates_member_status_and_rollup_in_one_commit(org):
    enrolment = db.session.execute(
        db.select(Enrolment).filter_by(user_id=org["n1"].id)
    ).scalar_one()
    from lms.content import module_of

    module = module_of(enrolment.module_version)
    open_activity(enrolment, module.activities[0])
    assert _members(org["video"])[org["n1"].id] == "in_progress"
    rollup = db.session.get(UnitAssignmentRollup, (unit("HJS").id, org["video"].id))
    assert (rollup.not_started, rollup.in_progress, rollup.completed) == (3, 1, 0)
    assert rebuild(check=True) == []


def test_a_person_who_joins_later_is_enrolled(org, make_user):
    newcomer = make_user(unit_code="HJN", job_role="nurse", email="new@example.org")
    assert not _enrolled(newcomer, VIDEO)
    run_once("test-worker")
    assert _enrolled(newcomer, VIDEO) and _enrolled(newcomer, SECURE)
    assert _members(org["video"])[newcomer.id] == "not_started"
    rollup = db.session.get(UnitAssignmentRollup, (unit("HJN").id, org["video"].id))
    assert rollup.not_started == 2


def test_a_person_who_moves_in_later_is_enrolled(org, make_user):
    mover = make_user(unit_code="SHC", job_role="care_assistant")
    run_once("test-worker")
    assert not _enrolled(mover, VIDEO)
    mover.primary_unit = unit("GTC")
    db.session.commit()
    run_once("test-worker")
    assert _enrolled(mover, VIDEO)
    assert not _enrolled(mover, SECURE)  # HJN only


def test_a_person_who_leaves_is_marked_left_and_keeps_records(org):
    org["n3"].primary_unit = unit("HJV")
    db.session.commit()
    run_once("test-worker")
    member = db.session.get(AssignmentMember, (org["secure"].id, org["n3"].id))
    assert member.left_at is not None
    assert _enrolled(org["n3"], SECURE)
    assert (
        db.session.get(UnitAssignmentRollup, (unit("HJN").id, org["secure"].id)) is None
    )


def test_withdrawal_keeps_members_and_enrolments(org):
    withdraw_assignment(_manager(), org["secure"])
    assert org["secure"].withdrawn_at is not None
    assert _members(org["secure"]) == {org["n3"].id: "not_started"}
    assert _enrolled(org["n3"], SECURE)
    from lms.competence.scope import scope_of

    units = scope_of(_manager()).below(unit("AES").id)
    assert q.list_rows("overdue", units, NOW.date()) == []
    assert [s.assignment.id for s in q.assignment_summaries(units)] == [org["video"].id]


def test_assignment_form_checks_input_and_keeps_it(org, client, auth):
    auth.login("manager@example.org", "manager-demo-2026")
    url = f"/manage/units/{unit('HJS').id}/assignments?lang=en"
    response = client.post(url, data={"target": "module:nope", "due_on": "2030-13-01"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter a due date as YYYY-MM-DD." in html or "Not a valid" in html
    response = client.post(
        url,
        data={
            "target": f"module:{VIDEO}",
            "due_on": "2030-04-01",
            "job_roles": "nurse",
        },
    )
    assert response.status_code == 302
    made = db.session.execute(
        db.select(Assignment).filter_by(unit_id=unit("HJS").id)
    ).scalar_one()
    assert made.job_roles == ["nurse"] and made.include_subunits is False


def test_dashboard_counts_from_rollups_match_the_full_lists(org):
    from lms.competence.scope import scope_of

    units = scope_of(_manager()).below(unit("AES").id)
    counts, previews = q.dashboard_lists(units, NOW.date(), 2)
    for name in q.LISTS:
        full = q.list_rows(name, units, NOW.date())
        assert counts[name] == len(full), name
        assert previews[name] == full[:2], name
    assert counts == {"overdue": 1, "due_soon": 5, "expiring": 1, "never_started": 6}


def test_person_page_never_shows_reflections_or_quiz_answers(org, client, auth):
    from lms.models import QuizAttempt, Submission

    enrolment = db.session.execute(
        db.select(Enrolment).filter_by(user_id=org["n1"].id)
    ).scalar_one()
    db.session.add(
        Submission(
            enrolment_id=enrolment.id,
            activity_id="practice",
            number=1,
            text="MY PRIVATE REFLECTION",
        )
    )
    db.session.add(
        QuizAttempt(
            enrolment_id=enrolment.id,
            activity_id="final-quiz",
            number=1,
            seed=1,
            responses={"q1": "MY-SECRET-ANSWER"},
        )
    )
    db.session.commit()
    auth.login("manager@example.org", "manager-demo-2026")
    html = client.get(f"/manage/people/{org['n1'].id}").get_data(as_text=True)
    assert "Videokonsultationer med borgere" in html  # the enrolment is listed
    assert "MY PRIVATE REFLECTION" not in html
    assert "MY-SECRET-ANSWER" not in html


def test_a_programme_assignment_enrols_through_the_programme(org):
    from lms.programmes import find_programme_enrolment

    assignment = create_assignment(
        _manager(),
        unit("HJN").id,
        "programme",
        "bliv-digital-kompetent",
        NOW.date() + timedelta(days=60),
        include_subunits=False,
    )
    assert find_programme_enrolment(org["n3"], "bliv-digital-kompetent") is not None
    assert _enrolled(org["n3"], "digital-relationships")
    assert _members(assignment) == {org["n3"].id: "not_started"}
