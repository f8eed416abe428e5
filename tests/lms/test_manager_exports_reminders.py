"""Exports (header and content) and reminders once per threshold on a fixed clock."""

import csv
import io
from datetime import timedelta

import pytest

from lms.competence import clock
from lms.competence.reminders import send_reminders
from lms.extensions import db
from lms.models import Mail
from lms.operations.assignments import create_assignment
from tests.lms.competence_fixture import NOW, build, unit
from tests.lms.test_manager_dashboard import MANAGER, _manager


@pytest.fixture
def org(app, make_user, monkeypatch):
    """The hand-checked people, a video assignment due in 5 days, a fixed clock."""
    monkeypatch.setattr(clock, "now", lambda: NOW)
    people = build(make_user)
    people["video"] = create_assignment(
        _manager(),
        unit("HJS").id,
        "module",
        "video-consultations",
        NOW.date() + timedelta(days=5),
        job_roles=["nurse"],
    )
    return people


def _csv(response) -> list[list[str]]:
    return list(
        csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))
    )


def test_csv_export_has_time_filters_and_rows(org, client, auth):
    auth.login(*MANAGER)
    response = client.get(
        f"/manage/units/{unit('AES').id}/export/due_soon.csv?job_role=nurse&lang=en"
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = _csv(response)
    header = {row[0]: row[1] for row in lines[1:6]}
    assert header["Exported at"].startswith("2030-03-01 10:00")
    assert header["Unit"].startswith("Ældre og Sundhed")
    assert header["List"] == "Due within 30 days"
    assert header["Job role"] == "Nurse"
    table = lines[lines.index([]) + 1 :]
    assert table[0][:2] == ["Person id", "Name"]
    assert sorted(int(row[0]) for row in table[1:]) == sorted(
        [org["learner"].id, org["n1"].id, org["n2"].id]
    )
    assert {row[5] for row in table[1:]} == {
        (NOW.date() + timedelta(days=5)).isoformat()
    }


def test_heat_map_export_matches_the_fixture(org, client, auth):
    auth.login(*MANAGER)
    response = client.get(f"/manage/units/{unit('AES').id}/export/heatmap.csv?lang=en")
    lines = _csv(response)
    table = lines[lines.index([]) + 1 :]
    assert table[0][1:4] == [
        "Video consultations: met",
        "Video consultations: required",
        "Video consultations: %",
    ]
    last = table[-1]
    assert last[0] == "Ældre og Sundhed, all" and last[1:4] == ["2", "5", "40"]


def test_xlsx_export_has_header_and_rows(org, client, auth):
    from openpyxl import load_workbook

    auth.login(*MANAGER)
    response = client.get(
        f"/manage/units/{unit('AES').id}/export/expiring.xlsx?lang=en"
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [
        [value for value in row if value is not None]
        for row in sheet.iter_rows(values_only=True)
    ]
    assert rows[0] == ["Expiring within 90 days"]
    assert rows[1][0] == "Exported at" and rows[1][1].startswith("2030-03-01")
    assert rows[4] == ["List", "Expiring within 90 days"]
    table = rows[rows.index([]) + 1 :]
    assert table[0][0] == "Person id"
    assert [row[0] for row in table[1:]] == [org["n1"].id]


def test_spreadsheet_formulas_in_names_are_defused(org, client, auth):
    org["n1"].name = "=HYPERLINK(1)"
    db.session.commit()
    auth.login(*MANAGER)
    response = client.get(f"/manage/units/{unit('AES').id}/export/expiring.csv")
    assert "'=HYPERLINK(1)" in response.get_data(as_text=True)


def _keys() -> set[str]:
    return set(db.session.execute(db.select(Mail.dedupe_key)).scalars())


def test_reminders_are_sent_once_per_threshold(org, monkeypatch):
    video, n1 = org["video"].id, org["n1"].id
    send_reminders(NOW)
    first = _keys()
    assert f"assignment:{video}:user:{n1}:due-7" in first
    expiry = (NOW + timedelta(days=40)).date().isoformat()
    assert f"competence:use.secure:user:{n1}:until:{expiry}:expiring-90" in first
    manager = _manager()
    assert f"digest:manager:{manager.id}:2030-03-01" in first
    assert send_reminders(NOW) == 0  # the same day again: nothing new
    assert send_reminders(NOW + timedelta(hours=5)) == 0
    later = NOW + timedelta(days=12)  # overdue; the use.secure expiry is 28 days away
    send_reminders(later)
    new = _keys() - first
    assert f"assignment:{video}:user:{n1}:overdue" in new
    assert f"competence:use.secure:user:{n1}:until:{expiry}:expiring-30" in new
    assert f"digest:manager:{manager.id}:2030-03-13" in new
    assert send_reminders(later + timedelta(hours=1)) == 0
    mails = db.session.execute(db.select(Mail)).scalars().all()
    assert len(mails) == len({m.dedupe_key for m in mails})


def test_completed_training_gets_no_reminder(org):
    from lms.models import AssignmentMember

    member = db.session.get(AssignmentMember, (org["video"].id, org["n2"].id))
    member.status = "completed"
    db.session.commit()
    send_reminders(NOW)
    assert not any(f"user:{org['n2'].id}:due" in key for key in _keys())


def test_the_daily_job_reschedules_itself(org):
    from lms.jobs import enqueue, run_once
    from lms.models import Job

    enqueue("competence.daily", {})
    db.session.commit()
    assert run_once("test-worker") >= 1
    waiting = db.session.execute(
        db.select(Job).filter_by(kind="competence.daily", finished_at=None)
    ).scalar_one()
    assert waiting.run_at > NOW
