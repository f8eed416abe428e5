"""The cohort overview: learners × activities, overdue items, review links, CSV."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lms.cohort_overview import DONE, IN_PROGRESS, NOT_STARTED, cohort_overview
from lms.extensions import db
from lms.models import (
    Attendance,
    Cohort,
    CohortSession,
    Enrolment,
    Submission,
    User,
)
from tests.lms.journey import SLUG, do_learner_part, shipped_module

EDUCATOR = ("educator@example.org", "educator-demo-2026")
PASSWORD = "password-1234"
PAST = datetime(2025, 1, 20, 9, 0, tzinfo=UTC)
REFLECTION = " ".join(["refleksion"] * 160)


def _user(email: str) -> User:
    return db.session.execute(db.select(User).filter_by(email=email)).scalar_one()


def _session(cohort, educator, title, starts_at, **extra) -> CohortSession:
    session = CohortSession(
        cohort_id=cohort.id,
        kind=extra.pop("kind", "meeting"),
        title=title,
        starts_at=starts_at,
        duration_minutes=60,
        meeting_url="https://meet.example.org/hold3",
        created_by_id=educator.id,
        **extra,
    )
    db.session.add(session)
    db.session.flush()
    return session


@pytest.fixture
def hold(client, auth, demo, make_user):
    """An ended cohort of three learners: never started, halfway, and done.

    One past session counts for the programme's final meeting: the finished
    learner attended it, the halfway learner was absent, and nothing is recorded
    for the third. An extra session, a cancelled one and a future one do not count.
    """
    educator = _user(EDUCATOR[0])
    idle = make_user(email="idle@example.org")
    idle.name = '=HYPERLINK("http://evil.example","klik")'
    halfway = make_user(email="halfway@example.org")
    halfway.name = "Hanne Halvvejs"
    done = make_user(email="done@example.org")
    done.name = "Dorte Færdig"
    cohort = Cohort(
        name="Hold 3: Odense/Svendborg",
        module_slug=SLUG,
        programme_slug="bliv-digital-kompetent",
        starts_on=date(2025, 1, 1),
        ends_on=date(2025, 1, 31),
        educators=[educator],
        members=[idle, halfway, done],
    )
    db.session.add(cohort)
    db.session.flush()
    final = _session(
        cohort,
        educator,
        "Afsluttende møde",
        PAST,
        activity_scope="programme",
        activity_id="final-meeting",
    )
    _session(cohort, educator, "Ekstra webinar", PAST, kind="webinar")
    _session(
        cohort,
        educator,
        "Aflyst webinar",
        PAST,
        kind="webinar",
        activity_scope="programme",
        activity_id="webinar-1",
        cancelled_at=PAST - timedelta(days=2),
    )
    _session(
        cohort,
        educator,
        "Webinar i fremtiden",
        datetime.now(UTC) + timedelta(days=30),
        kind="webinar",
        activity_scope="programme",
        activity_id="webinar-2",
    )
    for learner, status in ((done, "attended"), (halfway, "absent")):
        db.session.add(
            Attendance(
                session_id=final.id,
                user_id=learner.id,
                status=status,
                recorded_by_id=educator.id,
            )
        )
    db.session.commit()

    auth.login("halfway@example.org", PASSWORD)
    client.post(f"/learn/modules/{SLUG}/enrol")
    client.post(f"/learn/modules/{SLUG}/when-video/read")
    client.get(f"/learn/modules/{SLUG}/first-video-follow-up")
    client.post(
        f"/learn/modules/{SLUG}/first-consultation/submissions",
        data={"text": REFLECTION},
    )
    auth.logout()
    auth.login("done@example.org", PASSWORD)
    do_learner_part(client)
    auth.logout()
    auth.login(*EDUCATOR)
    _approve(client, _submission_of(done))
    auth.logout()
    return cohort


def _submission_of(learner: User) -> Submission:
    query = (
        db.select(Submission)
        .join(Enrolment)
        .where(Enrolment.user_id == learner.id)
        .order_by(Submission.number.desc())
    )
    return db.session.execute(query).scalars().first()


def _approve(client, submission: Submission) -> None:
    rubric = shipped_module().activity(submission.activity_id).content.rubric
    data = {"decision": "approve", "feedback": "Fint."}
    data |= {f"score-{c.id}": str(c.max_score) for c in rubric}
    response = client.post(f"/teach/submissions/{submission.uuid}", data=data)
    assert response.status_code == 302


def _statuses(row) -> dict[str, str]:
    return {cell.activity.id: cell.status for cell in row.cells}


def _rows(cohort) -> dict:
    return {row.learner.email: row for row in cohort_overview(cohort).rows}


def test_statuses_come_from_the_progress_projection(hold):
    rows = _rows(hold)
    module = shipped_module()
    assert set(_statuses(rows["idle@example.org"]).values()) == {NOT_STARTED}
    assert rows["idle@example.org"].enrolment is None
    assert rows["idle@example.org"].last_activity is None
    assert set(_statuses(rows["done@example.org"]).values()) == {DONE}
    assert _statuses(rows["halfway@example.org"]) == {
        activity.id: NOT_STARTED for activity in module.activities
    } | {
        "when-video": DONE,
        "first-video-follow-up": IN_PROGRESS,
        "first-consultation": IN_PROGRESS,
    }


def test_last_activity_is_the_latest_change_of_the_projection(hold):
    row = _rows(hold)["halfway@example.org"]
    latest = max(progress.updated_at for progress in row.enrolment.progress)
    assert row.last_activity == latest
    assert row.last_activity >= row.enrolment.enrolled_at


def test_required_activities_not_done_after_the_end_are_overdue(hold):
    rows = _rows(hold)
    module = shipped_module()
    assert cohort_overview(hold).ended
    assert rows["idle@example.org"].overdue_activities == tuple(module.activities)
    overdue = [a.id for a in rows["halfway@example.org"].overdue_activities]
    assert "when-video" not in overdue and "first-consultation" in overdue
    assert rows["done@example.org"].overdue_count == 0


def test_pending_reviews_are_listed_per_learner_and_cell(hold):
    rows = _rows(hold)
    pending = _submission_of(_user("halfway@example.org"))
    assert pending.status == "submitted"
    assert rows["halfway@example.org"].pending == (pending,)
    cell = next(
        c
        for c in rows["halfway@example.org"].cells
        if c.activity.id == pending.activity_id
    )
    assert cell.pending == pending
    assert rows["done@example.org"].pending == ()


def test_nothing_is_overdue_before_the_end_date(client, auth, demo, make_user):
    learner = make_user(email="early@example.org")
    cohort = Cohort(
        name="Hold 5",
        module_slug=SLUG,
        starts_on=date.today(),
        ends_on=date.today() + timedelta(days=60),
        educators=[_user(EDUCATOR[0])],
        members=[learner],
    )
    db.session.add(cohort)
    db.session.commit()
    (row,) = cohort_overview(cohort).rows
    assert row.overdue_count == 0
    assert not cohort_overview(cohort).ended


def test_sessions_past_without_attendance_are_overdue(hold):
    overview = cohort_overview(hold)
    rows = {row.learner.email: row for row in overview.rows}
    done = rows["done@example.org"]
    assert set(_statuses(done).values()) == {DONE}
    assert done.overdue_count == 0
    assert done.pending == ()
    missed = {
        email: [(m.session.title, m.attendance) for m in rows[email].missed_sessions]
        for email in ("idle@example.org", "halfway@example.org")
    }
    assert missed == {
        "idle@example.org": [("Afsluttende møde", None)],
        "halfway@example.org": [("Afsluttende møde", "absent")],
    }


def test_the_page_is_an_accessible_table_with_status_as_text(client, auth, hold):
    auth.login(*EDUCATOR)
    client.post("/language", data={"locale": "en"})
    page = client.get(f"/teach/cohorts/{hold.id}/overview")
    assert page.status_code == 200
    html = page.text
    assert '<caption id="overview-caption">' in html
    assert '<th scope="row">Dorte Færdig</th>' in html
    assert html.count('<th scope="col">') >= len(shipped_module().activities) + 4
    assert "Not started" in html and "Done" in html and "(overdue)" in html
    assert "Afsluttende møde" in html and "absent" in html
    assert "attendance not recorded" in html
    # An escaped name, not markup.
    assert "=HYPERLINK(&#34;http://evil.example&#34;" in html
    assert f"/teach/cohorts/{hold.id}/overview.csv" in html


def test_review_links_lead_to_pending_submissions_only(client, auth, hold):
    auth.login(*EDUCATOR)
    html = client.get(f"/teach/cohorts/{hold.id}/overview").text
    pending = _submission_of(_user("halfway@example.org"))
    approved = _submission_of(_user("done@example.org"))
    assert html.count(f"/teach/submissions/{pending.uuid}") == 2  # cell and column
    assert f"/teach/submissions/{approved.uuid}" not in html


def _csv(response) -> list[list[str]]:
    assert response.data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_csv_export_holds_the_same_table(client, auth, hold):
    auth.login(*EDUCATOR)
    client.post("/language", data={"locale": "en"})
    response = client.get(f"/teach/cohorts/{hold.id}/overview.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    today = datetime.now(ZoneInfo("Europe/Copenhagen")).strftime("%Y-%m-%d")
    assert "Hold-3-Odense-Svendborg-overview-" in disposition
    assert today in disposition
    rows = _csv(response)
    header, *lines = rows
    module = shipped_module()
    assert header == [
        "Learner",
        "Email",
        *[a.title["en"] for a in module.activities],
        "Last activity",
        "Overdue",
        "Awaiting review",
    ]
    by_email = {line[1]: line for line in lines}
    assert set(by_email) == {
        "idle@example.org",
        "halfway@example.org",
        "done@example.org",
    }
    # A name that a spreadsheet would run as a formula is kept as text.
    assert by_email["idle@example.org"][0].startswith("'=HYPERLINK(")
    assert by_email["done@example.org"][2:-3] == ["Done"] * len(module.activities)
    assert by_email["done@example.org"][-2] == ""
    assert by_email["idle@example.org"][2] == "Not started (overdue)"
    assert by_email["idle@example.org"][-3] == ""  # never active
    assert "Afsluttende møde on 2025-01-20 10:00" in by_email["idle@example.org"][-2]
    assert by_email["halfway@example.org"][2] == "Done"
    assert by_email["halfway@example.org"][-3][:4] == str(date.today().year)
    pending = _submission_of(_user("halfway@example.org"))
    assert by_email["halfway@example.org"][-1] == (
        f"http://localhost/teach/submissions/{pending.uuid}"
    )
