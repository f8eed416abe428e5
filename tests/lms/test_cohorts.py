"""Cohorts from the outside: create and edit them, add learners by search or file."""

import io
from datetime import date, timedelta

import pytest

from lms.extensions import db
from lms.models import Cohort
from tests.lms.cohort_support import (
    EDUCATOR,
    MANAGER,
    PASSWORD,
    SLUG,
    make_cohort,
    make_session,
    published_module,
    user,
)

START = date.today() + timedelta(days=7)
GOOD = {
    "name": "Hold Fyn 2027",
    "module": "video-consultations",
    "programme": "",
    "starts_on": START.isoformat(),
    "ends_on": (START + timedelta(days=90)).isoformat(),
}


@pytest.fixture
def session_module(app):
    """A published module with a webinar and a meeting, for one test."""
    yield from published_module()


@pytest.fixture
def educator(client, auth, demo):
    """The demo educator, signed in."""
    auth.login(*EDUCATOR)
    return user(EDUCATOR[0])


def _cohorts() -> list[Cohort]:
    return list(db.session.execute(db.select(Cohort).order_by(Cohort.id)).scalars())


def test_an_educator_creates_a_cohort_and_runs_it(client, educator):
    before = len(_cohorts())
    response = client.post("/teach/cohorts/new", data=GOOD)
    assert response.status_code == 302
    cohort = _cohorts()[-1]
    assert len(_cohorts()) == before + 1
    assert response.headers["Location"].endswith(f"/teach/cohorts/{cohort.id}")
    assert (cohort.name, cohort.module_slug, cohort.programme_slug) == (
        "Hold Fyn 2027",
        "video-consultations",
        None,
    )
    assert cohort.starts_on == START
    assert [e.id for e in cohort.educators] == [educator.id]
    listing = client.get("/teach/cohorts/")
    assert "Hold Fyn 2027" in listing.text


def test_a_cohort_for_a_programme_names_a_module_of_it(client, educator):
    data = dict(GOOD, programme="bliv-digital-kompetent")
    assert client.post("/teach/cohorts/new", data=data).status_code == 302
    assert _cohorts()[-1].programme_slug == "bliv-digital-kompetent"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "  "}, "Give the cohort a name."),
        ({"module": ""}, "Choose the module the cohort takes."),
        ({"module": "no-such-module"}, "Not a valid choice"),
        ({"programme": "no-such-programme"}, "Not a valid choice"),
        ({"starts_on": ""}, "Give a start date."),
        ({"starts_on": "31-12-2027"}, "Not a valid date value."),
        (
            {"ends_on": (START - timedelta(days=1)).isoformat()},
            "The end date must be on or after the start date.",
        ),
    ],
)
def test_bad_cohort_input_is_refused_with_a_clear_message(
    client, educator, change, message
):
    before = len(_cohorts())
    response = client.post("/teach/cohorts/new?lang=en", data=dict(GOOD, **change))
    assert response.status_code == 400
    assert message in response.text
    assert len(_cohorts()) == before
    if change.get("name") is None:
        assert 'value="Hold Fyn 2027"' in response.text  # what was typed stays


def test_the_module_must_belong_to_the_programme(client, educator, session_module):
    data = dict(GOOD, module=SLUG, programme="bliv-digital-kompetent")
    response = client.post("/teach/cohorts/new?lang=en", data=data)
    assert response.status_code == 400
    assert "The module is not part of the chosen programme." in response.text


def test_an_educator_edits_a_cohort(client, educator):
    cohort = make_cohort(educator, slug="video-consultations")
    data = dict(GOOD, name="Nyt navn")
    response = client.post(f"/teach/cohorts/{cohort.id}/edit", data=data)
    assert response.status_code == 302
    db.session.refresh(cohort)
    assert cohort.name == "Nyt navn"
    page = client.get(f"/teach/cohorts/{cohort.id}/edit")
    assert 'value="Nyt navn"' in page.text


def test_a_cohort_with_sessions_keeps_its_module(client, educator, session_module):
    cohort = make_cohort(educator, slug="video-consultations")
    make_session(cohort, educator)
    data = dict(GOOD, module=SLUG)
    response = client.post(f"/teach/cohorts/{cohort.id}/edit?lang=en", data=data)
    assert response.status_code == 409
    assert "its module and programme are fixed" in response.text
    db.session.refresh(cohort)
    assert cohort.module_slug == "video-consultations"


@pytest.fixture
def staff(make_user):
    """Learners in Odense and Svendborg, and staff who are not learners."""
    return {
        "odense": make_user(unit_code="HJS", email="anna.odense@example.org"),
        "svendborg": make_user(unit_code="HJV", email="bo.svendborg@example.org"),
        "hospital": make_user(unit_code="MEDS", email="carl.ouh@example.org"),
        "educator": make_user(role="educator", unit_code="SUU", email="e2@example.org"),
        "manager": make_user(role="manager", unit_code="SUN", email="m2@example.org"),
    }


def test_search_finds_learners_of_any_organisation_only(client, educator, staff):
    cohort = make_cohort(educator, slug="video-consultations")
    page = client.get(f"/teach/cohorts/{cohort.id}?q=example.org")
    assert page.status_code == 200
    for key in ("odense", "svendborg", "hospital"):
        assert f'value="{staff[key].id}"' in page.text
    for key in ("educator", "manager"):
        assert f'value="{staff[key].id}"' not in page.text
    assert "Svendborg Kommune" in page.text and "Odense Kommune" in page.text
    assert (
        f'value="{staff["odense"].id}"'
        not in client.get(f"/teach/cohorts/{cohort.id}?q=bo.svend").text
    )


def test_search_treats_wildcards_as_text(client, educator, staff):
    cohort = make_cohort(educator, slug="video-consultations")
    page = client.get(f"/teach/cohorts/{cohort.id}?q=%25%25")
    assert f'value="{staff["odense"].id}"' not in page.text


def test_learners_chosen_in_a_search_join_the_cohort(client, educator, staff):
    cohort = make_cohort(educator, slug="video-consultations")
    ids = [staff["odense"].id, staff["svendborg"].id]
    response = client.post(f"/teach/cohorts/{cohort.id}/members", data={"user_id": ids})
    assert response.status_code == 302
    db.session.refresh(cohort)
    assert sorted(m.id for m in cohort.members) == sorted(ids)
    # Once in, they are no longer offered.
    page = client.get(f"/teach/cohorts/{cohort.id}?q=example.org")
    assert f'value="{staff["odense"].id}"' not in page.text


@pytest.mark.parametrize("key", ["educator", "manager", "missing", "text", "none"])
def test_only_learners_can_be_posted_as_members(client, educator, staff, key):
    cohort = make_cohort(educator, slug="video-consultations")
    value = {
        "educator": staff["educator"].id,
        "manager": staff["manager"].id,
        "missing": 10_000_000,
        "text": "abc",
    }.get(key)
    data = {"user_id": [staff["odense"].id, value]} if value else {}
    response = client.post(f"/teach/cohorts/{cohort.id}/members", data=data)
    assert response.status_code == 400
    db.session.refresh(cohort)
    assert cohort.members == []


def _upload(client, cohort, text: str | bytes, name: str = "holdet.csv"):
    payload = text.encode() if isinstance(text, str) else text
    return client.post(
        f"/teach/cohorts/{cohort.id}/members/file?lang=en",
        data={"file": (io.BytesIO(payload), name)},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    "text",
    [
        "anna.odense@example.org\nBO.SVENDBORG@example.org\n\n",
        "\ufeffname,email\nAnna,anna.odense@example.org\nBo,bo.svendborg@example.org\n",
        "email\nanna.odense@example.org\nbo.svendborg@example.org\n"
        "anna.odense@example.org\n",
    ],
    ids=["plain-list", "csv-with-email-column", "repeated-line"],
)
def test_a_good_file_adds_every_learner(client, educator, staff, text):
    cohort = make_cohort(educator, slug="video-consultations")
    response = _upload(client, cohort, text)
    assert response.status_code == 302
    db.session.refresh(cohort)
    assert sorted(m.id for m in cohort.members) == sorted(
        [staff["odense"].id, staff["svendborg"].id]
    )


def test_every_bad_line_is_reported_and_nobody_is_added(client, educator, staff):
    cohort = make_cohort(educator, slug="video-consultations")
    text = "\n".join(
        [
            "anna.odense@example.org",  # 1: good
            "not-an-email",  # 2
            "nobody@example.org",  # 3
            "e2@example.org",  # 4: an educator
            "",  # 5: blank, skipped
            "bo.svendborg@example.org",  # 6: good
            "m2@example.org",  # 7: a manager
        ]
    )
    response = _upload(client, cohort, text)
    assert response.status_code == 400
    for line in ("Line 2:", "Line 3:", "Line 4:", "Line 7:"):
        assert line in response.text
    for line in ("Line 1:", "Line 5:", "Line 6:"):
        assert line not in response.text
    assert "is not a valid email address" in response.text
    assert "No user has the email address nobody@example.org" in response.text
    assert "e2@example.org is not a learner" in response.text
    db.session.refresh(cohort)
    assert cohort.members == []


def test_line_numbers_count_the_header_of_a_csv(client, educator, staff):
    cohort = make_cohort(educator, slug="video-consultations")
    response = _upload(client, cohort, "name,email\nAnna,anna.odense@example.org\nX,\n")
    assert response.status_code == 400
    assert "Line 3:" in response.text


@pytest.mark.parametrize(
    ("payload", "name", "message"),
    [
        ("", "tom.csv", "The file has no email addresses."),
        (b"\xff\xfe\x00a", "holdet.csv", "The file must be UTF-8 encoded text."),
        ("anna.odense@example.org", "holdet.xlsx", "Upload a .csv or .txt file."),
    ],
)
def test_an_unusable_file_is_refused(client, educator, staff, payload, name, message):
    cohort = make_cohort(educator, slug="video-consultations")
    response = _upload(client, cohort, payload, name)
    assert response.status_code == 400
    assert message in response.text
    db.session.refresh(cohort)
    assert cohort.members == []


def test_a_learner_can_be_removed(client, educator, staff):
    cohort = make_cohort(educator, [staff["odense"]], slug="video-consultations")
    url = f"/teach/cohorts/{cohort.id}/members/{staff['odense'].id}/remove"
    assert client.post(url).status_code == 302
    db.session.refresh(cohort)
    assert cohort.members == []
    assert client.post(url).status_code == 404  # not a member any more


def test_a_cohort_spans_municipalities_and_managers_see_only_their_staff(
    client, auth, educator, staff
):
    """Members from Odense and Svendborg share a cohort; the employer view stays."""
    cohort = make_cohort(
        educator, [staff["odense"], staff["svendborg"]], slug="video-consultations"
    )
    page = client.get(f"/teach/cohorts/{cohort.id}")
    assert "Odense Kommune" in page.text and "Svendborg Kommune" in page.text
    assert "Hjemmeplejen Syd" in page.text and "Hjemmeplejen Vest" in page.text
    auth.logout()
    auth.login(*MANAGER)  # leads Ældre og Sundhed, Odense
    assert client.get(f"/teach/cohorts/{cohort.id}").status_code == 403
    own = client.get(f"/manage/people/{staff['odense'].id}")
    other = client.get(f"/manage/people/{staff['svendborg'].id}")
    assert own.status_code == 200
    assert other.status_code in (403, 404)
    auth.logout()
    auth.login("m2@example.org", PASSWORD)  # no unit to lead: sees nobody
    assert client.get(f"/manage/people/{staff['svendborg'].id}").status_code in (
        403,
        404,
    )
