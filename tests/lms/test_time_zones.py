"""Each person sees dates and times in their own time zone; Danish time by default."""

from datetime import UTC, datetime, timedelta

import pytest

from lms.extensions import db
from lms.models import CohortSession
from tests.lms.cohort_support import (
    EDUCATOR,
    LEARNER,
    make_cohort,
    make_session,
    published_module,
    session_form,
    user,
)


@pytest.fixture
def session_module(app):
    """A published module with a webinar and a meeting, for one test."""
    yield from published_module()


@pytest.fixture
def cohort(session_module, demo):
    return make_cohort(user(EDUCATOR[0]), [user(LEARNER[0])])


def _next_year_at(month: int, day: int, hour: int) -> datetime:
    return datetime(datetime.now(UTC).year + 1, month, day, hour, 0, tzinfo=UTC)


def test_times_are_shown_in_danish_time_by_default(client, auth, cohort):
    # 09:00 UTC in January is 10:00 in Copenhagen (UTC+1).
    make_session(cohort, user(EDUCATOR[0]), starts_at=_next_year_at(1, 12, 9))
    auth.login(*LEARNER)
    page = client.get("/learn/sessions/?lang=en")
    assert "10:00" in page.text and "(Europe/Copenhagen)" in page.text


def test_a_learner_sees_sessions_in_their_own_zone(client, auth, cohort):
    learner = user(LEARNER[0])
    learner.timezone = "America/Nuuk"  # UTC-2 in January
    db.session.commit()
    make_session(cohort, user(EDUCATOR[0]), starts_at=_next_year_at(1, 12, 9))
    auth.login(*LEARNER)
    page = client.get("/learn/sessions/?lang=en")
    assert "7:00" in page.text and "(America/Nuuk)" in page.text
    assert "10:00" not in page.text


def test_the_account_page_keeps_the_chosen_zone(client, auth, demo):
    auth.login(*LEARNER)
    page = client.get("/account")
    assert 'name="timezone"' in page.text
    assert '<option selected value="Europe/Copenhagen">' in page.text
    response = client.post("/account/timezone", data={"timezone": "Atlantic/Faroe"})
    assert response.status_code == 302
    assert user(LEARNER[0]).timezone == "Atlantic/Faroe"
    assert '<option selected value="Atlantic/Faroe">' in client.get("/account").text


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "", "../../etc/passwd"])
def test_an_unknown_zone_is_refused_naming_the_field(client, auth, demo, bad):
    auth.login(*LEARNER)
    response = client.post("/account/timezone?lang=en", data={"timezone": bad})
    assert response.status_code == 400
    assert 'id="timezone-error">Choose a time zone from the list.' in response.text
    assert user(LEARNER[0]).timezone is None


def test_choosing_a_zone_needs_a_login(client, demo):
    response = client.post("/account/timezone", data={"timezone": "Europe/London"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_educator_schedules_in_their_own_zone(client, auth, cohort):
    """An educator in London enters 10:00 in January: that is 10:00 UTC."""
    educator = user(EDUCATOR[0])
    educator.timezone = "Europe/London"
    db.session.commit()
    auth.login(*EDUCATOR)
    day = _next_year_at(1, 12, 0).date()
    form = client.get(f"/teach/cohorts/{cohort.id}/sessions/new?lang=en")
    assert "Europe/London" in form.text
    response = client.post(
        f"/teach/cohorts/{cohort.id}/sessions/new",
        data=session_form(day=day.isoformat(), at="10:00"),
    )
    assert response.status_code == 302
    (session,) = db.session.execute(db.select(CohortSession)).scalars()
    assert session.starts_at == datetime(day.year, 1, 12, 10, 0, tzinfo=UTC)
    assert session.starts_at - _next_year_at(1, 12, 9) == timedelta(hours=1)
