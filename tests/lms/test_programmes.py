"""The Bliv Digital Kompetent programme: publishing, enrolment, progress, completion."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import g

from lms.content import VersionClash, publish_shipped
from lms.extensions import db
from lms.models import Enrolment, ProgrammeEnrolment, ProgrammeVersion, User
from lms.operations.programmes import (
    ProgrammeError,
    enrol_programme,
    record_programme_attendance,
)
from lms.operations.progress import rebuild
from lms.programme_progress import (
    ProgrammeState,
    apply_module_completed,
    apply_programme_statement,
)
from lms.programmes import current_programme, programme_of, publish_programme
from modules import load_catalog, load_programmes
from tests.conftest import BASE_URL
from tests.lms.journey import approve_all, do_learner_part
from xapi.store import StatementQuery, query_statements

SLUG = "bliv-digital-kompetent"
PAGE = f"/learn/programmes/{SLUG}"
SHIPPED = Path(__file__).resolve().parents[2] / "modules"
PROGRAMME_IRI = f"{BASE_URL}/xapi/activities/programme/{SLUG}"
FINAL_IRI = f"{PROGRAMME_IRI}/meeting/final-meeting"
ADMIN = ("admin@example.org", "admin-demo-2026")
COURSE = "http://adlnet.gov/expapi/activities/course"


def _user(email: str = "learner@example.org") -> User:
    return db.session.execute(db.select(User).filter_by(email=email)).scalar_one()


def _programme_enrolment(user: User | None = None) -> ProgrammeEnrolment:
    db.session.expire_all()
    return db.session.execute(
        db.select(ProgrammeEnrolment).filter_by(user_id=(user or _user()).id)
    ).scalar_one()


def _statements(**filters) -> list[dict]:
    """Return matching statements; a verb filter keeps only that verb's own.

    Communication 2.1.3: a filter also matches statements that refer to a matching
    one by StatementRef, such as the voiding statement of an `attended`.
    """
    found, _cursor = query_statements(
        db.session.connection(), StatementQuery(ascending=True, limit=500, **filters)
    )
    verb = filters.get("verb_id")
    return [s for s in found if verb is None or s["verb"]["id"] == verb]


def _verb(statement: dict) -> str:
    return statement["verb"]["id"].rsplit("/", 1)[-1]


def _complete_modules(client, auth, slugs) -> None:
    """As the learner, do every module; then, as admin, approve the practice tasks."""
    auth.login()
    for slug in slugs:
        do_learner_part(client, slug)
    auth.logout()
    auth.login(*ADMIN)
    approve_all(client)
    auth.logout()


@pytest.fixture
def direct(app):
    """Call an operation as a view would: in a request, forgetting it afterwards."""

    def call(operation, *args, **kwargs):
        try:
            with app.test_request_context():
                return operation(*args, **kwargs)
        finally:
            for name in list(vars(g)):  # as conftest does after each request
                delattr(g, name)

    return call


# --- Publishing ----------------------------------------------------------------------


def test_publishing_is_idempotent(app, runner):
    """`modules load` publishes the programme once; loading again changes nothing."""
    version = current_programme(SLUG)
    assert version.version == "1.0.0" and version.title("en") == (
        "Becoming Digitally Competent"
    )
    shipped = load_catalog(SHIPPED).programmes[SLUG]
    assert programme_of(version) == shipped
    assert version.content_hash == shipped.content_hash
    again = publish_shipped(SHIPPED)
    assert (version.id, False) in [
        (published.id, new)
        for published, new in again
        if isinstance(published, ProgrammeVersion)
    ]
    result = runner.invoke(args=["modules", "load"])
    assert result.exit_code == 0, result.output
    assert f"{SLUG} 1.0.0: unchanged" in result.output
    count = db.session.execute(
        db.select(db.func.count()).select_from(ProgrammeVersion)
    ).scalar_one()
    assert count == 1


def test_modules_check_names_the_line_in_programmes_toml(runner, tmp_path):
    """`flask --app lms modules check` covers programmes.toml, with file and line."""
    import shutil

    root = tmp_path / "modules"
    shutil.copytree(SHIPPED, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    toml = root / "programmes.toml"
    text = toml.read_text(encoding="utf-8").replace('kind = "webinar"', 'kind = "film"')
    toml.write_text(text, encoding="utf-8")
    line = 1 + text.splitlines().index('kind = "film"')
    result = runner.invoke(args=["modules", "check", str(root)])
    assert result.exit_code == 1
    assert f"programmes.toml:{line}: unknown programme activity kind 'film'" in (
        result.output
    )


def test_a_changed_programme_needs_a_new_version(app):
    """Other content under a published version is refused; a new one is current."""
    source = current_programme(SLUG).source.decode()
    changed = source.replace('title = { da = "Opstartsmøde"', 'title = { da = "Start"')
    (edited,) = load_programmes(changed.encode(), None)
    with pytest.raises(VersionClash, match="programmes.toml"):
        publish_programme(edited)
    db.session.rollback()
    (newer,) = load_programmes(
        changed.replace('version = "1.0.0"', 'version = "1.1.0"').encode(), None
    )
    old = current_programme(SLUG)
    try:
        version, created = publish_programme(newer)
        db.session.commit()
        assert created and current_programme(SLUG).id == version.id
        assert not db.session.get(ProgrammeVersion, old.id).is_current
    finally:
        db.session.delete(db.session.get(ProgrammeVersion, version.id))
        db.session.get(ProgrammeVersion, old.id).is_current = True
        db.session.commit()


# --- Enrolment -----------------------------------------------------------------------


def test_enrolment_makes_six_module_enrolments_and_a_registered_statement(
    client, auth, demo
):
    auth.login()
    response = client.post(f"{PAGE}/enrol")
    assert response.status_code == 302 and response.headers["Location"].endswith(PAGE)
    learner = _user()
    enrolment = _programme_enrolment(learner)
    slugs = programme_of(enrolment.programme_version).modules
    modules = db.session.execute(
        db.select(Enrolment).filter_by(user_id=learner.id)
    ).scalars()
    assert sorted(e.module_version.slug for e in modules) == sorted(slugs)
    assert len(slugs) == 6

    (registered,) = _statements(registration=enrolment.uuid)
    assert _verb(registered) == "registered"
    assert registered["actor"]["account"] == {
        "homePage": BASE_URL,
        "name": learner.uuid,
    }
    assert registered["object"]["id"] == PROGRAMME_IRI
    assert registered["object"]["definition"]["type"] == COURSE
    assert registered["object"]["definition"]["name"]["da"] == "Bliv Digital Kompetent"

    # Enrolling again changes nothing.
    assert client.post(f"{PAGE}/enrol").status_code == 302
    assert len(_statements(registration=enrolment.uuid)) == 1
    count = db.session.execute(
        db.select(db.func.count()).select_from(Enrolment)
    ).scalar_one()
    assert count == 6


def test_enrolment_keeps_an_earlier_module_enrolment(client, auth, demo):
    """A module the learner already takes is not enrolled on twice."""
    auth.login()
    client.post("/learn/modules/video-consultations/enrol")
    earlier = db.session.execute(db.select(Enrolment)).scalar_one()
    client.post(f"{PAGE}/enrol")
    enrolments = db.session.execute(db.select(Enrolment)).scalars().all()
    assert len(enrolments) == 6 and earlier.id in {e.id for e in enrolments}


def test_unknown_programme_is_not_found(client, auth, demo, direct):
    auth.login()
    assert client.get("/learn/programmes/no-such-programme").status_code == 404
    assert client.post("/learn/programmes/no-such-programme/enrol").status_code == 404
    with pytest.raises(ProgrammeError, match="unknown_programme"):
        direct(enrol_programme, _user(), "no-such-programme")


# --- Grouping ------------------------------------------------------------------------


def test_module_statements_carry_the_programme_as_grouping(client, auth, demo):
    """DESIGN: "contextActivities.parent is the module, and grouping is the
    programme"."""
    auth.login()
    client.post(f"{PAGE}/enrol")
    slug = "video-consultations"
    client.post(f"/learn/modules/{slug}/when-video/read")
    module = f"{BASE_URL}/xapi/activities/module/{slug}"
    enrolment = db.session.execute(
        db.select(Enrolment).join(Enrolment.module_version).filter_by(slug=slug)
    ).scalar_one()
    found = _statements(registration=enrolment.uuid)
    assert [_verb(s) for s in found] == ["registered", "completed"]
    for statement in found:
        activities = statement["context"]["contextActivities"]
        assert activities["grouping"] == [
            {"id": PROGRAMME_IRI, "definition": {"type": COURSE}}
        ]
        parent = activities["parent"][0]["id"]
        assert parent == module or statement["object"]["id"] == module


def test_a_case_step_is_grouped_under_module_and_programme(client, auth, demo):
    """A statement on a part of an activity groups the module and the programme."""
    auth.login()
    client.post(f"{PAGE}/enrol")
    from tests.lms.journey import shipped_module

    case = next(a for a in shipped_module().activities if a.kind == "case")
    step = case.content.steps[0]
    client.post(
        f"/learn/modules/video-consultations/{case.id}/case",
        data={"step": step.id, "option": step.options[0].id},
    )
    answered = next(s for s in _statements() if _verb(s) == "answered")
    grouping = [a["id"] for a in answered["context"]["contextActivities"]["grouping"]]
    assert grouping == [
        f"{BASE_URL}/xapi/activities/module/video-consultations",
        PROGRAMME_IRI,
    ]


def test_module_statements_outside_a_programme_have_no_grouping(client, auth, demo):
    auth.login()
    client.post("/learn/modules/video-consultations/enrol")
    (registered,) = _statements()
    assert "grouping" not in registered["context"]["contextActivities"]


# --- Attendance ----------------------------------------------------------------------


def test_record_programme_attendance_writes_one_attended_statement(app, demo, direct):
    learner, educator = _user(), _user("educator@example.org")
    with pytest.raises(ProgrammeError, match="not_enrolled"):
        direct(
            record_programme_attendance, learner, SLUG, "final-meeting", educator, True
        )
    enrolment = direct(enrol_programme, learner, SLUG)
    with pytest.raises(ProgrammeError, match="unknown_activity"):
        direct(record_programme_attendance, learner, SLUG, "party", educator, True)

    assert direct(
        record_programme_attendance, learner, SLUG, "final-meeting", educator, True
    )
    db.session.commit()
    assert not direct(
        record_programme_attendance, learner, SLUG, "final-meeting", educator, True
    )
    db.session.commit()
    (attended,) = _statements(registration=enrolment.uuid, verb_id=_iri("attended"))
    assert attended["object"]["id"] == FINAL_IRI
    assert attended["object"]["definition"]["type"] == (
        "http://adlnet.gov/expapi/activities/meeting"
    )
    assert attended["actor"]["account"]["name"] == learner.uuid
    assert attended["context"]["instructor"]["account"]["name"] == educator.uuid
    assert attended["context"]["contextActivities"]["parent"] == [{"id": PROGRAMME_IRI}]
    enrolment = _programme_enrolment()
    assert set(enrolment.detail["attended"]) == {"final-meeting"}
    assert enrolment.progress_percent == 14  # 1 of 6 modules + 1 meeting
    assert enrolment.completed_at is None


def test_absent_voids_an_earlier_attended(app, demo, direct):
    """Data 2.3.2: a voided statement no longer counts; absent undoes attended."""
    learner, educator = _user(), _user("educator@example.org")
    enrolment = direct(enrol_programme, learner, SLUG)
    assert not direct(
        record_programme_attendance, learner, SLUG, "webinar-1", educator, False
    )
    direct(record_programme_attendance, learner, SLUG, "webinar-1", educator, True)
    db.session.commit()
    assert _programme_enrolment().detail["attended"].keys() == {"webinar-1"}
    assert direct(
        record_programme_attendance, learner, SLUG, "webinar-1", educator, False
    )
    db.session.commit()
    assert _statements(registration=enrolment.uuid, verb_id=_iri("attended")) == []
    (voiding,) = _statements(registration=enrolment.uuid, verb_id=_iri("voided"))
    assert voiding["actor"]["account"]["name"] == educator.uuid
    assert _programme_enrolment().detail["attended"] == {}
    assert rebuild(check=True) == []


def _iri(verb: str) -> str:
    from xapi.vocabulary import VERBS

    return VERBS[verb].id


# --- Completion ----------------------------------------------------------------------


def test_completion_needs_every_module_and_the_final_meeting(
    client, auth, demo, direct
):
    learner, educator = _user(), _user("educator@example.org")
    auth.login()
    client.post(f"{PAGE}/enrol")
    auth.logout()
    enrolment = _programme_enrolment()
    slugs = programme_of(enrolment.programme_version).modules

    _complete_modules(client, auth, slugs[:5])
    enrolment = _programme_enrolment()
    assert enrolment.progress_percent == 71  # 5 of 7
    assert set(enrolment.detail["modules"]) == set(slugs[:5])
    assert enrolment.completed_at is None

    # Optional sessions do not count; the required final meeting does.
    direct(
        record_programme_attendance, learner, SLUG, "initial-meeting", educator, True
    )
    direct(record_programme_attendance, learner, SLUG, "final-meeting", educator, True)
    db.session.commit()
    enrolment = _programme_enrolment()
    assert enrolment.progress_percent == 85  # 6 of 7
    assert enrolment.completed_at is None
    assert _statements(registration=enrolment.uuid, verb_id=_iri("completed")) == []

    _complete_modules(client, auth, slugs[5:])
    enrolment = _programme_enrolment()
    assert enrolment.progress_percent == 100
    assert enrolment.completed_at is not None
    (completed,) = _statements(registration=enrolment.uuid, verb_id=_iri("completed"))
    assert completed["object"]["id"] == PROGRAMME_IRI
    assert completed["result"] == {"completion": True, "success": True}
    last_module = db.session.execute(
        db.select(Enrolment).join(Enrolment.module_version).filter_by(slug=slugs[5])
    ).scalar_one()
    module_done = _statements(registration=last_module.uuid, verb_id=_iri("completed"))
    assert enrolment.completed_at == datetime.fromisoformat(
        module_done[-1]["timestamp"]
    )
    assert rebuild(check=True) == []

    # Voiding the final meeting takes completion away, and voids the statement.
    direct(record_programme_attendance, learner, SLUG, "final-meeting", educator, False)
    db.session.commit()
    enrolment = _programme_enrolment()
    assert enrolment.completed_at is None and enrolment.progress_percent == 85
    assert _statements(registration=enrolment.uuid, verb_id=_iri("completed")) == []
    assert rebuild(check=True) == []

    auth.login()
    page = client.get(f"{PAGE}?lang=en")
    assert page.status_code == 200
    assert page.text.count("Completed</span>") == 6
    assert "Progress: 85%" in page.text


def test_modules_completed_before_enrolling_count(client, auth, demo, direct):
    """A module finished outside the programme counts once the learner enrols."""
    _complete_modules(client, auth, ["video-consultations"])
    direct(enrol_programme, _user(), SLUG)
    enrolment = _programme_enrolment()
    assert list(enrolment.detail["modules"]) == ["video-consultations"]
    assert enrolment.progress_percent == 14
    assert rebuild(check=True) == []


def test_a_voided_module_completion_stops_counting(client, auth, demo, direct):
    """Data 2.3.2: a voided statement no longer counts, so neither does the module."""
    from lms import statements
    from lms.records import record

    _complete_modules(client, auth, ["video-consultations"])
    direct(enrol_programme, _user(), SLUG)
    module = db.session.execute(
        db.select(Enrolment)
        .join(Enrolment.module_version)
        .filter_by(slug="video-consultations")
    ).scalar_one()
    module_iri = f"{BASE_URL}/xapi/activities/module/video-consultations"
    (done,) = [
        s
        for s in _statements(registration=module.uuid, verb_id=_iri("completed"))
        if s["object"]["id"] == module_iri
    ]
    voiding = statements.voided(module, done["id"], _user("educator@example.org"))
    direct(record, module, [voiding])
    db.session.commit()
    enrolment = _programme_enrolment()
    assert enrolment.detail["modules"] == {} and enrolment.progress_percent == 0
    assert rebuild(check=True) == []


def test_an_attended_statement_from_outside_counts(app, demo, direct):
    """DESIGN: "Statements from outside, sent to the LRS endpoint ... count like our
    own"."""
    from lms.records import ingest

    learner = _user()
    enrolment = direct(enrol_programme, learner, SLUG)
    statement = {
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": BASE_URL, "name": learner.uuid},
        },
        "verb": {"id": _iri("attended")},
        "object": {"id": FINAL_IRI},
        "context": {"registration": enrolment.uuid},
    }
    client_authority = {
        "objectType": "Agent",
        "account": {"homePage": "https://client.example", "name": "client-1"},
    }
    direct(ingest, [statement], client_authority)
    db.session.commit()
    assert list(_programme_enrolment().detail["attended"]) == ["final-meeting"]
    assert rebuild(check=True) == []


# --- Rebuild -------------------------------------------------------------------------


def test_rebuild_check_is_exact_and_detects_drift(client, auth, demo, runner, direct):
    learner, educator = _user(), _user("educator@example.org")
    _complete_modules(client, auth, ["understanding-technology"])
    direct(enrol_programme, learner, SLUG)
    direct(record_programme_attendance, learner, SLUG, "final-meeting", educator, True)
    db.session.commit()
    result = runner.invoke(args=["progress", "rebuild", "--check"])
    assert result.exit_code == 0, result.output

    enrolment = _programme_enrolment()
    for column, drift in (
        ("progress_percent", 99),
        ("completed_at", datetime.now(UTC)),
        ("detail", {"modules": {}, "attended": {}}),
    ):
        good = getattr(enrolment, column)
        setattr(enrolment, column, drift)
        db.session.commit()
        result = runner.invoke(args=["progress", "rebuild", "--check"])
        assert result.exit_code == 1
        assert f"programme enrolment {enrolment.id}:" in result.output
        setattr(enrolment, column, good)
        db.session.commit()

    enrolment.progress_percent = 0
    enrolment.detail = {}
    db.session.commit()
    assert runner.invoke(args=["progress", "rebuild"]).exit_code == 0
    enrolment = _programme_enrolment()
    assert enrolment.progress_percent == 28
    assert set(enrolment.detail["attended"]) == {"final-meeting"}
    assert runner.invoke(args=["progress", "rebuild", "--check"]).exit_code == 0


# --- Pages and authorization ---------------------------------------------------------


def test_programme_page_shows_modules_sessions_and_progress(client, auth, demo, direct):
    auth.login()
    page = client.get(f"{PAGE}?lang=en")
    assert "Enrol on the programme" in page.text and "Progress:" not in page.text
    client.post(f"{PAGE}/enrol")
    direct(
        record_programme_attendance,
        _user(),
        SLUG,
        "initial-meeting",
        _user("educator@example.org"),
        True,
    )
    db.session.commit()
    page = client.get(f"{PAGE}?lang=en")
    assert page.status_code == 200
    assert "Progress: 0%" in page.text
    for title in (
        "Understanding technology in health and care",
        "Digital practice and relationship building",
        "Initial meeting",
        "Webinar 2",
        "Final meeting",
    ):
        assert title in page.text
    assert page.text.count("Attended") == 1 and page.text.count("Not attended") == 3
    assert page.text.count("Not started") == 6
    dashboard = client.get("/learn/?lang=en")
    assert "Becoming Digitally Competent" in dashboard.text
    assert PAGE in dashboard.text


def test_anonymous_is_sent_to_log_in(client, demo):
    for response in (client.get(PAGE), client.post(f"{PAGE}/enrol")):
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    assert client.get("/learn/programmes/").status_code == 302


def test_another_learner_does_not_see_my_progress(
    client, auth, demo, make_user, direct
):
    learner, educator = _user(), _user("educator@example.org")
    direct(enrol_programme, learner, SLUG)
    direct(record_programme_attendance, learner, SLUG, "final-meeting", educator, True)
    db.session.commit()
    make_user(email="other@example.org")
    auth.login("other@example.org", "password-1234")
    page = client.get(f"{PAGE}?lang=en")
    assert page.status_code == 200
    assert "Enrol on the programme" in page.text
    assert "Attended" not in page.text and "14%" not in page.text
    dashboard = client.get("/learn/?lang=en")
    assert PAGE not in dashboard.text and "See the programmes" in dashboard.text


# --- The projection on its own -------------------------------------------------------


@pytest.fixture
def programme(app):
    """The shipped programme."""
    return programme_of(current_programme(SLUG))


def _attended(object_id: str, when: datetime) -> dict:
    return {
        "verb": {"id": _iri("attended")},
        "object": {"id": object_id},
        "timestamp": when.isoformat(),
    }


def test_the_earliest_statement_counts_in_any_order(programme):
    """The fold does not depend on order, so live and rebuilt agree."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    events = [
        ("module", slug, start + timedelta(days=n))
        for n, slug in enumerate(programme.modules)
    ]
    events += [
        ("session", FINAL_IRI, start + timedelta(days=3)),
        ("session", FINAL_IRI, start + timedelta(days=1)),
        ("module", programme.modules[0], start + timedelta(days=9)),
    ]
    states = []
    for ordered in (events, list(reversed(events))):
        state = ProgrammeState()
        for kind, target, when in ordered:
            if kind == "module":
                apply_module_completed(programme, state, target, when)
            else:
                apply_programme_statement(
                    programme, state, _attended(target, when), BASE_URL
                )
        states.append(state)
    assert states[0] == states[1]
    assert states[0].modules[programme.modules[0]] == start
    assert states[0].attended == {"final-meeting": start + timedelta(days=1)}
    assert states[0].completed_at == start + timedelta(days=5)
    assert states[0].progress_percent == 100


def test_only_this_programmes_sessions_of_the_right_kind_count(programme):
    state, when = ProgrammeState(), datetime(2026, 1, 1, tzinfo=UTC)
    for object_id in (
        f"{PROGRAMME_IRI}/webinar/final-meeting",  # wrong kind
        f"{PROGRAMME_IRI}/meeting/lunch",  # no such session
        f"{BASE_URL}/xapi/activities/programme/other/meeting/final-meeting",
        f"{PROGRAMME_IRI}/meeting/final-meeting/extra",
    ):
        assert not apply_programme_statement(
            programme, state, _attended(object_id, when), BASE_URL
        )
    assert not apply_module_completed(programme, state, "not-in-programme", when)
    assert state == ProgrammeState()
    assert apply_programme_statement(
        programme,
        state,
        _attended(f"{PROGRAMME_IRI}/webinar/webinar-1", when),
        BASE_URL,
    )
    assert state.progress_percent == 0  # an optional webinar is not progress
