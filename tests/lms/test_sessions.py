"""Webinars and meetings: scheduling in Danish time, the list, calendar files."""

import re
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from lms.extensions import db
from lms.models import CohortSession
from lms.operations.sessions import (
    SessionDetails,
    SessionError,
    local_start,
    schedule_session,
)
from tests.conftest import BASE_URL
from tests.lms.cohort_support import (
    EDUCATOR,
    LEARNER,
    SLUG,
    make_cohort,
    make_session,
    published_module,
    session_form,
    user,
)

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
MODULE_IRI = f"{BASE_URL}/xapi/activities/module/{SLUG}"
WEBINAR_IRI = f"{MODULE_IRI}/webinar/kick-off"
ATTENDED = "http://adlnet.gov/expapi/verbs/attended"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


@pytest.fixture
def session_module(app):
    """A published module with a webinar and a meeting, for one test."""
    yield from published_module()


@pytest.fixture
def people(demo, make_user):
    """The demo educator and learner, and a second learner in Svendborg."""
    return {
        "educator": user(EDUCATOR[0]),
        "learner": user(LEARNER[0]),
        "svendborg": make_user(unit_code="HJV", email="bo@example.org"),
    }


@pytest.fixture
def cohort(session_module, people):
    """A cohort on the test module with both learners."""
    return make_cohort(people["educator"], [people["learner"], people["svendborg"]])


def _last_sunday_of_march(year: int) -> date:
    day = date(year, 3, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def _sessions() -> list[CohortSession]:
    return list(db.session.execute(db.select(CohortSession)).scalars())


# Scheduling


def test_summer_time_starts_are_stored_in_utc():
    """On 2026-03-29 Denmark moves to summer time (UTC+2) at 02:00."""
    assert local_start(date(2026, 3, 29), time(10, 0), COPENHAGEN) == datetime(
        2026, 3, 29, 8, 0, tzinfo=UTC
    )
    assert local_start(date(2026, 3, 28), time(10, 0), COPENHAGEN) == datetime(
        2026, 3, 28, 9, 0, tzinfo=UTC
    )
    assert local_start(date(2026, 3, 29), time(2, 30), COPENHAGEN) is None
    # The hour that happens twice in October: the first of the two is taken.
    assert local_start(date(2026, 10, 25), time(2, 30), COPENHAGEN) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )


def test_an_educator_schedules_a_session_on_the_dst_date(client, auth, cohort):
    auth.login(*EDUCATOR)
    day = _last_sunday_of_march(date.today().year + 1)
    response = client.post(
        f"/teach/cohorts/{cohort.id}/sessions/new",
        data=session_form(day=day.isoformat(), at="10:00"),
    )
    assert response.status_code == 302
    (session,) = _sessions()
    assert session.starts_at == datetime.combine(day, time(8, 0), tzinfo=UTC)
    assert (session.activity_scope, session.activity_id) == ("module", "kick-off")
    assert session.duration_minutes == 90
    page = client.get(f"/teach/cohorts/{cohort.id}")
    assert "kl. 10.00" in page.text  # shown in Danish time, not UTC
    english = client.get(f"/teach/cohorts/{cohort.id}?lang=en")
    assert "at 10:00" in english.text


def test_a_winter_session_is_one_hour_from_utc(client, auth, cohort):
    auth.login(*EDUCATOR)
    day = date(date.today().year + 1, 1, 12)
    client.post(
        f"/teach/cohorts/{cohort.id}/sessions/new",
        data=session_form(day=day.isoformat(), at="09:30"),
    )
    (session,) = _sessions()
    assert session.starts_at == datetime.combine(day, time(8, 30), tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": ""}, "Give the session a title."),
        ({"kind": "lecture"}, "Not a valid choice"),
        ({"day": ""}, "Give a date."),
        ({"day": "2020-01-01"}, "Choose today or a later date."),
        ({"at": "25:00"}, "Not a valid time value."),
        ({"duration": "0"}, "between 1 and 480 minutes"),
        ({"duration": "481"}, "between 1 and 480 minutes"),
        ({"duration": "lang"}, "Not a valid integer value."),
        ({"meeting_url": "http://meet.example.org/x"}, "starts with https://"),
        ({"meeting_url": "javascript:alert(1)"}, "starts with https://"),
        ({"meeting_url": "https://"}, "starts with https://"),
        ({"meeting_url": ""}, "Give the link to the online meeting."),
        ({"activity": "module:talk"}, "of the same kind as the session"),
        ({"activity": "module:intro"}, "Not a valid choice"),
        ({"activity": "programme:final-meeting"}, "Not a valid choice"),
    ],
)
def test_bad_session_input_is_refused(client, auth, cohort, change, message):
    auth.login(*EDUCATOR)
    response = client.post(
        f"/teach/cohorts/{cohort.id}/sessions/new?lang=en", data=session_form(**change)
    )
    assert response.status_code == 400
    assert message in response.text
    assert _sessions() == []
    if "title" not in change:
        assert 'value="Opstartswebinar"' in response.text


def test_a_time_the_clocks_skip_is_refused(client, auth, cohort):
    auth.login(*EDUCATOR)
    day = _last_sunday_of_march(date.today().year + 1)
    response = client.post(
        f"/teach/cohorts/{cohort.id}/sessions/new?lang=en",
        data=session_form(day=day.isoformat(), at="02:30"),
    )
    assert response.status_code == 400
    assert "the clocks go forward" in response.text
    assert _sessions() == []


def test_editing_raises_the_sequence_and_keeps_a_past_start(client, auth, cohort):
    auth.login(*EDUCATOR)
    session = make_session(cohort, user(EDUCATOR[0]))
    local = session.starts_at.astimezone(COPENHAGEN)
    url = f"/teach/cohorts/{cohort.id}/sessions/{session.id}/edit"
    assert client.get(url).status_code == 200
    data = session_form(
        activity="",
        day=local.date().isoformat(),
        at=local.strftime("%H:%M"),
        meeting_url="https://meet.example.org/new-room",
    )
    response = client.post(url, data=data)
    assert response.status_code == 302
    db.session.refresh(session)
    assert session.meeting_url == "https://meet.example.org/new-room"
    assert session.sequence == 1


def test_the_operation_checks_the_details_too(cohort, people):
    details = SessionDetails(
        kind="meeting",
        counts_for=("module", "kick-off"),
        title="x",
        starts_at=datetime.now(UTC),
        duration_minutes=30,
        meeting_url="https://meet.example.org/x",
    )
    with pytest.raises(SessionError, match="activity"):
        schedule_session(cohort, details, people["educator"])
    with pytest.raises(SessionError, match="url"):
        bad_url = replace(details, counts_for=None, meeting_url="https://x y")
        schedule_session(cohort, bad_url, people["educator"])


# The learner's side


def test_learners_see_upcoming_sessions_of_their_cohorts(client, auth, cohort, people):
    soon = datetime.now(UTC) + timedelta(days=2)
    mine = make_session(cohort, people["educator"], title="Mit webinar", starts_at=soon)
    make_session(
        cohort,
        people["educator"],
        title="Aflyst webinar",
        starts_at=soon,
        cancelled_at=datetime.now(UTC),
    )
    make_session(
        cohort,
        people["educator"],
        title="Gammelt webinar",
        starts_at=datetime.now(UTC) - timedelta(days=3),
    )
    other = make_cohort(people["educator"], [people["svendborg"]], name="Hold B")
    make_session(other, people["educator"], title="Andet hold", starts_at=soon)
    auth.login(*LEARNER)
    page = client.get("/learn/sessions/")
    assert page.status_code == 200
    assert "Mit webinar" in page.text
    assert f"/learn/sessions/{mine.id}.ics" in page.text
    assert "https://meet.example.org/room-1" in page.text
    for hidden in ("Aflyst webinar", "Gammelt webinar", "Andet hold"):
        assert hidden not in page.text
    dashboard = client.get("/learn/")
    assert "Kommende sessioner" in dashboard.text or "Upcoming" in dashboard.text
    assert "Mit webinar" in dashboard.text


def test_a_running_session_is_still_upcoming(client, auth, cohort, people):
    began = datetime.now(UTC) - timedelta(minutes=30)
    make_session(cohort, people["educator"], title="I gang nu", starts_at=began)
    auth.login(*LEARNER)
    assert "I gang nu" in client.get("/learn/sessions/").text


def test_the_dashboard_has_no_session_section_without_sessions(client, auth, demo):
    auth.login(*LEARNER)
    page = client.get("/learn/")
    assert page.status_code == 200
    assert 'id="upcoming-heading"' not in page.text


def _unfold(body: bytes) -> list[str]:
    return body.decode("utf-8").replace("\r\n ", "").split("\r\n")


def test_the_calendar_file_is_valid_icalendar(client, auth, cohort, people):
    """RFC 5545 3.1: lines end in CRLF and are folded at 75 octets."""
    title = "Webinar: æblet, pæren; og \\ den lange titel " + "ø" * 60
    starts = datetime(2030, 3, 31, 8, 0, tzinfo=UTC)
    session = make_session(
        cohort, people["educator"], title=title, starts_at=starts, duration_minutes=90
    )
    auth.login(*LEARNER)
    response = client.get(f"/learn/sessions/{session.id}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.data
    assert body.endswith(b"\r\n")
    assert b"\n" not in body.replace(b"\r\n", b"")
    physical = body.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in physical)
    assert any(line.startswith(b" ") for line in physical)  # the title was folded
    for line in physical:
        line.decode("utf-8")  # no character was cut in two
    lines = _unfold(body)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines
    assert any(line.startswith("PRODID:") for line in lines)
    assert lines.count("BEGIN:VEVENT") == 1 and "END:VEVENT" in lines
    props = dict(line.split(":", 1) for line in lines if ":" in line)
    assert props["UID"] == f"{session.uuid}@lms.test"
    assert re.fullmatch(r"\d{8}T\d{6}Z", props["DTSTAMP"])
    assert props["DTSTART"] == "20300331T080000Z"
    assert props["DTEND"] == "20300331T093000Z"
    assert props["SUMMARY"] == (
        "Webinar: æblet\\, pæren\\; og \\\\ den lange titel " + "ø" * 60
    )
    assert props["URL"] == "https://meet.example.org/room-1"
    assert props["LOCATION"] == "https://meet.example.org/room-1"
    assert props["STATUS"] == "CONFIRMED"


def test_a_cancelled_session_says_so_in_its_calendar_file(client, auth, cohort, people):
    session = make_session(cohort, people["educator"])
    auth.login(*EDUCATOR)
    assert (
        client.post(
            f"/teach/cohorts/{cohort.id}/sessions/{session.id}/cancel"
        ).status_code
        == 302
    )
    auth.logout()
    auth.login(*LEARNER)
    props = dict(
        line.split(":", 1)
        for line in _unfold(client.get(f"/learn/sessions/{session.id}.ics").data)
        if ":" in line
    )
    assert props["STATUS"] == "CANCELLED"
    assert props["SEQUENCE"] == "1"
