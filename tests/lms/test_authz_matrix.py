"""The authorization matrix: every route x every actor -> the status a secure app gives.

Every object a URL names belongs to someone else (see ``tests/lms/authz_world.py``):
another learner's records, another educator's cohort and drafts, a unit outside the
manager's units. The actors are anonymous, the demo learner, educator, manager and
admin; a row may add more actors, such as the owner, to prove that the route is not
simply closed to everyone (the "ok" column), or LRS clients ("lrs:<scope>").

A refused request must also change nothing: after it, every table is compared with
the snapshot of the world. An allowed request that changed something is undone.

Adding a route? ``test_every_route_has_a_row`` fails and names it. Add a row to
``ROWS``::

    R(endpoint, method, url, pattern, ok=owner, data=form)

- ``url`` is filled from the world's ids: ``{cohort}``, ``{submission}``,
  ``{unit_SUN}``, ... (``World.ids`` lists them; add an object in ``authz_world``);
- ``pattern`` is the status for (anonymous, learner, educator, manager, admin); use
  one of the named patterns below, or ``posted(pattern)`` for a form that redirects;
  ``LOGIN`` means a redirect to the sign-in page;
- ``ok`` names who may do it and gets 200 (GET) or 302 (other methods), or is a
  dict {actor: status} for another status or several actors;
- ``data`` is the form, with placeholders, or a function of the world.

For example, rows for pages other work adds could read::

    R("audit.index", "GET", "/admin/audit", ADMIN_ONLY),
    R("privacy.export", "GET", "/account/export", SIGNED_IN),
    R("privacy.erase", "POST", "/admin/users/{owner_learner}/erase",
      posted(ADMIN_ONLY)),
    R("auth.reset_request", "POST", "/reset", PUBLIC, data={"email": "x@y.dk"}),

xAPI routes use ``X(endpoint, method, url, needs, lacks, status)``: anyone without
Basic credentials gets 401, a client holding only ``lacks`` 403, one holding
``needs`` the status; ``more`` adds actors such as "lrs:statements/read/mine".
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from tests.lms import authz_world
from tests.lms.authz_world import World

LOGIN = "login"
ACTORS = ("anonymous", "learner", "educator", "manager", "admin")
OL, OE, OM = "owner_learner", "owner_educator", "owner_manager"

# Patterns: (anonymous, learner, educator, manager, admin).
#: Public pages and documents.
PUBLIC = (200, 200, 200, 200, 200)
#: Pages for anyone signed in, about themselves or about published content.
SIGNED_IN = (LOGIN, 200, 200, 200, 200)
#: A signed-in user's own action on themselves: it always goes through.
SELF = (LOGIN, 302, 302, 302, 302)
ADMIN_ONLY = (LOGIN, 403, 403, 403, 200)
EDUCATORS = (LOGIN, 403, 200, 403, 200)
MANAGERS = (LOGIN, 403, 403, 200, 200)
#: Another learner's records reached through the actor's own (absent) enrolment,
#: or a session of a cohort the actor is not in: there is nothing to find.
OTHERS_RECORD = (LOGIN, 404, 404, 404, 404)
#: A submission: its author and the educators of the author's cohort only.
SUBMISSION = (LOGIN, 404, 404, 404, 200)
#: Another educator's cohort or draft: it does not exist for other educators;
#: learners and managers have no educator pages at all.
OTHERS_COHORT = (LOGIN, 403, 404, 403, 200)
#: A unit outside the manager's units, a person or an assignment in it.
OTHERS_UNIT = (LOGIN, 403, 403, 403, 200)
#: A certificate: its holder, their managers and admins.
CERTIFICATE = (LOGIN, 403, 403, 403, 200)
#: A learner page that sends someone who is not enrolled to the module page.
NOT_ENROLLED = (LOGIN, 302, 302, 302, 302)


def posted(pattern: tuple) -> tuple:
    """Return the pattern of a form whose success redirects (200 becomes 302)."""
    return tuple(302 if status == 200 else status for status in pattern)


@dataclass(frozen=True)
class Row:
    """One route, one method, one URL: the status each actor must get."""

    endpoint: str
    method: str
    url: str
    expected: dict[str, int | str]
    data: dict | Callable[[World], dict] | None = None
    #: JSON content (xAPI) instead of a form.
    json: object = None


def R(endpoint, method, url, pattern, ok=None, data=None) -> Row:  # noqa: N802
    """Build a row of an HTML route."""
    expected: dict[str, int | str] = dict(zip(ACTORS, pattern, strict=True))
    if isinstance(ok, str):
        expected[ok] = 200 if method == "GET" else 302
    elif ok:
        expected |= ok
    return Row(endpoint, method, url, expected, data)


def X(endpoint, method, url, needs, lacks, status, *, more=None, **kw) -> Row:  # noqa: N802
    """Build a row of an xAPI route: 401 without credentials, 403 without the scope."""
    expected: dict[str, int | str] = dict.fromkeys(ACTORS, 401)
    expected |= {f"lrs:{lacks}": 403, f"lrs:{needs}": status, **(more or {})}
    return Row(endpoint, method, url, expected, **kw)


def _task_text(_world: World) -> dict:
    return {"text": " ".join(["refleksion"] * 300)}


def _member_file(_world: World) -> dict:
    return {"file": (io.BytesIO(b"spare.learner@example.org\n"), "members.csv")}


IN_TWO_WEEKS = (date.today() + timedelta(days=14)).isoformat()
COHORT_FORM = {
    "name": "Hold B, omdøbt",
    "module": "video-consultations",
    "programme": "",
    "starts_on": date.today().isoformat(),
    "ends_on": IN_TWO_WEEKS,
}
SESSION_FORM = {
    "title": "Opfølgning",
    "kind": "webinar",
    "activity": "",
    "day": IN_TWO_WEEKS,
    "at": "10:00",
    "duration": "60",
    "meeting_url": "https://meet.example.org/b",
}
NEW_PASSWORD = {
    "current": authz_world.PASSWORD,
    "new": "a-new-password-1",
    "confirm": "a-new-password-1",
}
COHORT = "/teach/cohorts/{cohort}"
SESSION = "/teach/cohorts/{cohort}/sessions/{session}"
QUIZ = "/learn/modules/{module}/final-quiz/attempts"
DRAFT = "/teach/modules/drafts/{draft}"
UNIT = "/manage/units/{unit_SUN}"
STATE = "/xapi/activities/state?activityId={activity_iri}&agent={agent}"
ACTIVITY_PROFILE = "/xapi/activities/profile?activityId={activity_iri}"
AGENT_PROFILE = "/xapi/agents/profile?agent={agent}"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DOCUMENT = {"json": {"changed": True}}

# fmt: off
FORWARD = "/admin/forwarding/{forwarding_endpoint}"

ROWS = [
    # Public.
    R("auth.index", "GET", "/", (LOGIN, 302, 302, 302, 302)),
    R("auth.login", "GET", "/login", PUBLIC),
    R("auth.login", "POST", "/login", (401,) * 5,
      data={"email": "nobody@example.org", "password": "wrong-password"}),
    R("auth.language", "POST", "/language", (302,) * 5, data={"locale": "da"}),
    R("health.healthz", "GET", "/healthz", PUBLIC),
    R("verify.lookup", "GET", "/verify/", PUBLIC),
    R("verify.certificate", "GET", "/verify/{code}", PUBLIC),
    R("verify.competences", "GET", "/competences", PUBLIC),
    R("verify.status_list", "GET", "/credentials/status/1", PUBLIC),
    R("verify.did_document", "GET", "/.well-known/did.json", PUBLIC),
    R("verify.did_document", "GET", "/did.json", PUBLIC),
    # The signed-in user's own account.
    R("auth.logout", "POST", "/logout", SELF),
    R("auth.account", "GET", "/account", SIGNED_IN),
    R("auth.account", "POST", "/account", (LOGIN, 400, 400, 400, 400),
      ok=OL, data=NEW_PASSWORD),
    # Learning: published content is open to everyone signed in ...
    R("learn.dashboard", "GET", "/learn/", SIGNED_IN),
    R("learn.catalogue", "GET", "/learn/catalogue", SIGNED_IN),
    R("learn.module", "GET", "/learn/modules/{module}", SIGNED_IN),
    R("learn.media", "GET", "/learn/modules/{module}/v{version}/media/{media}",
      SIGNED_IN),
    R("learn.enrol", "POST", "/learn/modules/{module}/enrol", SELF),
    R("programmes.index", "GET", "/learn/programmes/", SIGNED_IN),
    R("programmes.programme", "GET", "/learn/programmes/{programme}", SIGNED_IN),
    R("programmes.enrol", "POST", "/learn/programmes/{programme}/enrol", SELF),
    R("sessions.index", "GET", "/learn/sessions/", SIGNED_IN),
    R("certificates.mine", "GET", "/certificates/", SIGNED_IN),
    # ... a learner's records are theirs (the owner learner's here).
    R("learn.activity", "GET", "/learn/modules/{module}/when-video", NOT_ENROLLED,
      ok=OL),
    R("learn.resume", "GET", "/learn/modules/{module}/resume", OTHERS_RECORD,
      ok={OL: 302}),
    R("learn.read", "POST", "/learn/modules/{module}/when-video/read", OTHERS_RECORD,
      ok=OL),
    R("learn.case_answer", "POST", "/learn/modules/{module}/first-video-follow-up/case",
      OTHERS_RECORD, ok=OL, data={"step": "{case_step}", "option": "{case_option}"}),
    R("learn.quiz_start", "POST", QUIZ, OTHERS_RECORD, ok=OL),
    R("learn.quiz_attempt", "GET", QUIZ + "/1", OTHERS_RECORD, ok={OL: 302}),
    R("learn.quiz_attempt", "POST", QUIZ + "/1", OTHERS_RECORD, ok=OL),
    R("learn.quiz_result", "GET", QUIZ + "/1/result", OTHERS_RECORD, ok=OL),
    R("learn.task_submit", "POST",
      "/learn/modules/{second}/sharing-week-review/submissions",
      OTHERS_RECORD, ok=OL, data=_task_text),
    R("learn.submission", "GET", "/learn/submissions/{submission}", SUBMISSION,
      ok={OL: 200, OE: 200}),
    R("learn.submission_file", "GET", "/learn/submissions/{submission}/file",
      SUBMISSION, ok={OL: 200, OE: 200}),
    R("sessions.calendar_file", "GET", "/learn/sessions/{session}.ics",
      OTHERS_RECORD, ok=OL),
    R("certificates.pdf", "GET", "/certificates/{certificate}/certificate.pdf",
      CERTIFICATE, ok={OL: 200, OM: 200}),
    R("certificates.credential", "GET", "/certificates/{certificate}/credential.json",
      CERTIFICATE, ok={OL: 200, OM: 200}),
    # Teaching: another educator's cohort, its sessions, overview, drafts, reviews.
    R("teach.queue", "GET", "/teach/", EDUCATORS),
    R("teach.review", "GET", "/teach/submissions/{submission}", OTHERS_COHORT,
      ok=OE),
    R("teach.review", "POST", "/teach/submissions/{submission}",
      posted(OTHERS_COHORT), ok=OE, data=lambda world: world.ids["review_form"]),
    R("analysis.index", "GET", "/teach/analysis/", EDUCATORS),
    R("analysis.quiz", "GET", "/teach/analysis/{second}/{second_version}/final-quiz",
      ADMIN_ONLY, ok=OE),
    R("cohorts.index", "GET", "/teach/cohorts/", EDUCATORS),
    R("cohorts.create", "GET", "/teach/cohorts/new", EDUCATORS),
    R("cohorts.create", "POST", "/teach/cohorts/new", posted(EDUCATORS),
      data=COHORT_FORM),
    R("cohorts.show", "GET", COHORT, OTHERS_COHORT, ok=OE),
    R("cohorts.edit", "GET", COHORT + "/edit", OTHERS_COHORT, ok=OE),
    R("cohorts.edit", "POST", COHORT + "/edit", posted(OTHERS_COHORT), ok=OE,
      data=COHORT_FORM),
    R("cohorts.add_members", "POST", COHORT + "/members", posted(OTHERS_COHORT),
      ok=OE, data={"user_id": "{spare_learner}"}),
    R("cohorts.add_from_file", "POST", COHORT + "/members/file",
      posted(OTHERS_COHORT), ok=OE, data=_member_file),
    R("cohorts.remove_member", "POST", COHORT + "/members/{owner_learner}/remove",
      posted(OTHERS_COHORT), ok=OE),
    R("overview.show", "GET", COHORT + "/overview", OTHERS_COHORT, ok=OE),
    R("overview.export", "GET", COHORT + "/overview.csv", OTHERS_COHORT, ok=OE),
    R("cohorts.schedule", "GET", COHORT + "/sessions/new", OTHERS_COHORT, ok=OE),
    R("cohorts.schedule", "POST", COHORT + "/sessions/new", posted(OTHERS_COHORT),
      ok=OE, data=SESSION_FORM),
    R("cohorts.edit_session", "GET", SESSION + "/edit", OTHERS_COHORT, ok=OE),
    R("cohorts.edit_session", "POST", SESSION + "/edit", posted(OTHERS_COHORT),
      ok=OE, data=SESSION_FORM),
    R("cohorts.cancel_session", "POST", SESSION + "/cancel", posted(OTHERS_COHORT),
      ok=OE),
    R("cohorts.attendance", "GET", SESSION + "/attendance", OTHERS_COHORT, ok=OE),
    R("cohorts.attendance", "POST", SESSION + "/attendance", posted(OTHERS_COHORT),
      ok=OE, data={"status-{owner_learner}": "attended"}),
    R("authoring.index", "GET", "/teach/modules/", EDUCATORS),
    R("authoring.index", "POST", "/teach/modules/", (LOGIN, 403, 400, 403, 400)),
    R("authoring.draft", "GET", DRAFT, OTHERS_COHORT, ok=OE),
    R("authoring.preview", "GET", DRAFT + "/preview", OTHERS_COHORT, ok=OE),
    R("authoring.preview_activity", "GET", DRAFT + "/preview/when-video",
      OTHERS_COHORT, ok=OE),
    R("authoring.media", "GET", DRAFT + "/media/media/diagram.png", OTHERS_COHORT,
      ok=OE),
    R("authoring.discard", "POST", DRAFT + "/discard", posted(OTHERS_COHORT), ok=OE),
    R("authoring.publish", "POST", "/teach/modules/drafts/{draft_same}/publish",
      posted(OTHERS_COHORT), ok=OE),
    # Managing: a unit outside the manager's units (Svendborg), its staff.
    R("manage.index", "GET", "/manage/", MANAGERS),
    R("manage.unit", "GET", UNIT, OTHERS_UNIT, ok=OM),
    R("manage.full_list", "GET", UNIT + "/lists/overdue", OTHERS_UNIT, ok=OM),
    R("manage.export", "GET", UNIT + "/export/overdue.csv", OTHERS_UNIT, ok=OM),
    R("manage.assignments", "GET", UNIT + "/assignments", OTHERS_UNIT, ok=OM),
    R("manage.assignments", "POST", UNIT + "/assignments", posted(OTHERS_UNIT),
      ok=OM, data={"target": "module:{second}", "due_on": IN_TWO_WEEKS}),
    R("manage.withdraw", "POST", "/manage/assignments/{assignment}/withdraw",
      posted(OTHERS_UNIT), ok=OM),
    R("manage.person_page", "GET", "/manage/people/{owner_learner}", OTHERS_UNIT,
      ok=OM),
    # Administration.
    R("admin.users", "GET", "/admin/users", ADMIN_ONLY),
    R("admin.import_users", "GET", "/admin/users/import", ADMIN_ONLY),
    R("admin.import_users", "POST", "/admin/users/import", (LOGIN, 403, 403, 403, 400)),
    R("role_profiles.index", "GET", "/admin/role-profiles/", ADMIN_ONLY),
    R("role_profiles.edit", "GET", "/admin/role-profiles/nurse", ADMIN_ONLY),
    R("role_profiles.edit", "POST", "/admin/role-profiles/nurse",
      posted(ADMIN_ONLY)),
    R("certificates.admin", "GET", "/certificates/admin/", ADMIN_ONLY),
    R("certificates.revoke", "GET", "/certificates/admin/{certificate}/revoke",
      ADMIN_ONLY),
    R("certificates.revoke", "POST", "/certificates/admin/{certificate}/revoke",
      posted(ADMIN_ONLY), data={"reason": "Udstedt ved en fejl"}),
    R("certificates.signing_keys", "GET", "/certificates/admin/keys", ADMIN_ONLY),
    R("certificates.signing_keys", "POST", "/certificates/admin/keys",
      posted(ADMIN_ONLY)),
    R("lrs_admin.clients", "GET", "/admin/lrs/clients", ADMIN_ONLY),
    R("lrs_admin.clients", "POST", "/admin/lrs/clients", ADMIN_ONLY,
      data={"name": "Matrix", "scopes": "state"}),
    R("lrs_admin.client", "GET", "/admin/lrs/clients/{lrs_client}", ADMIN_ONLY),
    R("lrs_admin.client", "POST", "/admin/lrs/clients/{lrs_client}",
      posted(ADMIN_ONLY), data={"scopes": "state"}),
    R("lrs_admin.toggle", "POST", "/admin/lrs/clients/{lrs_client}/active",
      posted(ADMIN_ONLY)),
    # Sign-in security, single sign-on (not configured here), privacy, audit log,
    # forwarding.
    R("auth.timezone", "POST", "/account/timezone", SELF,
      data={"timezone": "Europe/London"}),
    R("auth.two_factor", "GET", "/account/two-factor", ADMIN_ONLY),
    R("auth.two_factor_start", "POST", "/account/two-factor/start",
      posted(ADMIN_ONLY)),
    # A wrong code: the admin's form comes back with its error.
    R("auth.two_factor_confirm", "POST", "/account/two-factor/confirm",
      (LOGIN, 403, 403, 403, 400), data={"code": "000000"}),
    R("auth.two_factor_disable", "POST", "/account/two-factor/disable",
      (LOGIN, 403, 403, 403, 400), data={"password": "wrong", "code": "000000"}),
    # Without a password step first there is no code step: back to sign-in.
    R("auth.login_code", "GET", "/login/code", (302,) * 5),
    R("auth.login_code", "POST", "/login/code", (302,) * 5, data={"code": "0"}),
    R("auth.forgot_password", "GET", "/login/forgot", PUBLIC),
    # A new address each time, so the per-account reset limit is not what answers.
    R("auth.forgot_password", "POST", "/login/forgot", posted(PUBLIC),
      data=lambda _world: {"email": f"nobody-{uuid.uuid4().hex}@example.org"}),
    # An unknown or used token is no page at all.
    R("auth.reset_password", "GET", "/login/reset/not-a-token", (404,) * 5),
    R("auth.reset_password", "POST", "/login/reset/not-a-token", (404,) * 5,
      data={"new": "a-long-new-password-42", "confirm": "a-long-new-password-42"}),
    R("sso.start", "GET", "/login/sso", (404, 404, 404, 404, 404)),
    R("sso.callback", "GET", "/login/sso/callback", (404, 404, 404, 404, 404)),
    R("admin.unlock_user", "POST", "/admin/users/{owner_learner}/unlock",
      posted(ADMIN_ONLY)),
    R("privacy.export_data", "POST", "/account/data.json", SIGNED_IN),
    R("privacy.erase", "GET", "/admin/users/{owner_learner}/erase", ADMIN_ONLY),
    # A wrong confirmation: the admin's form comes back; nobody else gets near it.
    R("privacy.erase", "POST", "/admin/users/{owner_learner}/erase",
      (LOGIN, 403, 403, 403, 400), data={"email": "wrong@example.org",
                                         "reason": "test"}),
    R("audit_log.index", "GET", "/admin/audit/", ADMIN_ONLY),
    R("audit_log.export", "GET", "/admin/audit/export.csv", ADMIN_ONLY),
    R("forwarding.index", "GET", "/admin/forwarding/", ADMIN_ONLY),
    R("forwarding.new", "GET", "/admin/forwarding/new", ADMIN_ONLY),
    R("forwarding.new", "POST", "/admin/forwarding/new", posted(ADMIN_ONLY),
      data={"name": "Other", "url": "http://127.0.0.1:9/other/",
            "username": "lms", "secret": "s3cret-value"}),
    R("forwarding.endpoint", "GET", FORWARD, ADMIN_ONLY),
    R("forwarding.endpoint", "POST", FORWARD, posted(ADMIN_ONLY),
      data={"name": "Region B", "url": "http://127.0.0.1:9/xapi/",
            "username": "lms", "secret": ""}),
    R("forwarding.toggle", "POST", FORWARD + "/active", posted(ADMIN_ONLY)),
    R("forwarding.delete", "GET", FORWARD + "/delete", ADMIN_ONLY),
    R("forwarding.delete", "POST", FORWARD + "/delete", posted(ADMIN_ONLY)),
    R("forwarding.requeue", "POST", FORWARD + "/requeue", posted(ADMIN_ONLY)),
    R("forwarding.retry", "POST", FORWARD + "/retry", posted(ADMIN_ONLY)),
    R("forwarding.test", "POST", FORWARD + "/test", posted(ADMIN_ONLY)),
    R("forwarding.backfill", "POST", FORWARD + "/backfill", posted(ADMIN_ONLY),
      data={"since": "2024-01-01"}),
    # xAPI: HTTP Basic credentials of LRS clients with scopes; cookies count for
    # nothing. "POST ?method=GET" is the alternate request syntax.
    R("lrs.about", "GET", "/xapi/about", PUBLIC),
    R("lrs.about", "POST", "/xapi/about?method=GET", PUBLIC, data={}),
    X("lrs.statements", "GET", "/xapi/statements?statementId={statement}",
      "statements/read", "state", 200, more={"lrs:statements/read/mine": 404}),
    X("lrs.statements", "GET", "/xapi/statements", "statements/read/mine", "define",
      200),
    X("lrs.statements", "PUT", "/xapi/statements?statementId={new_statement}",
      "statements/write", "statements/read", 204,
      json=authz_world.xapi_statement()),
    X("lrs.statements", "POST", "/xapi/statements", "statements/write",
      "statements/read", 200, json=authz_world.xapi_statement()),
    X("lrs.activities", "GET", "/xapi/activities?activityId={activity_iri}",
      "define", "state", 200),
    X("lrs.activities", "POST", "/xapi/activities?method=GET", "define", "state",
      200, data={"activityId": authz_world.ACTIVITY_IRI}),
    X("lrs.agents", "GET", "/xapi/agents?agent={agent}", "define", "state", 200),
    X("lrs.agents", "POST", "/xapi/agents?method=GET", "define", "state", 200,
      data={"agent": authz_world.AGENT}),
    X("lrs.state_documents", "GET", STATE + "&stateId=owned", "state", "profile",
      200),
    X("lrs.state_documents", "PUT", STATE + "&stateId=new", "state", "profile", 204,
      **DOCUMENT),
    X("lrs.state_documents", "POST", STATE + "&stateId=owned", "state", "profile",
      204, **DOCUMENT),
    X("lrs.state_documents", "DELETE", STATE + "&stateId=owned", "state",
      "profile", 204),
    X("lrs.activity_profiles", "GET", ACTIVITY_PROFILE + "&profileId=owned",
      "profile", "state", 200),
    X("lrs.activity_profiles", "PUT", ACTIVITY_PROFILE + "&profileId=new",
      "profile", "state", 204, **DOCUMENT),
    X("lrs.activity_profiles", "POST", ACTIVITY_PROFILE + "&profileId=owned",
      "profile", "state", 204, **DOCUMENT),
    X("lrs.activity_profiles", "DELETE", ACTIVITY_PROFILE + "&profileId=owned",
      "profile", "state", 204),
    X("lrs.agent_profiles", "GET", AGENT_PROFILE + "&profileId=owned", "profile",
      "state", 200),
    X("lrs.agent_profiles", "PUT", AGENT_PROFILE + "&profileId=new", "profile",
      "state", 204, **DOCUMENT),
    X("lrs.agent_profiles", "POST", AGENT_PROFILE + "&profileId=owned", "profile",
      "state", 204, **DOCUMENT),
    X("lrs.agent_profiles", "DELETE", AGENT_PROFILE + "&profileId=owned",
      "profile", "state", 204),
]
# fmt: on

CASES = [
    pytest.param(row, actor, id=f"{row.method} {row.url} {actor}")
    for row in ROWS
    for actor in row.expected
]


@pytest.fixture(scope="module")
def world(session_app, tmp_path_factory):
    """The world of objects owned by others, built once for this module."""
    with authz_world.shared(session_app, tmp_path_factory.mktemp("uploads")) as built:
        yield built


def send(world: World, row: Row, actor: str):
    """Send the row's request as the actor; return the response."""
    client = world.client(actor)
    url = world.fill(row.url)
    headers = world.headers(actor, url)
    data = row.data(world) if callable(row.data) else row.data
    if data is not None and not callable(row.data):
        data = {world.fill(key): world.fill(value) for key, value in data.items()}
    if url.startswith("/xapi") and data is not None:
        headers |= {"Content-Type": "application/x-www-form-urlencoded"}
    return client.open(
        url,
        method=row.method,
        data=data,
        json=row.json,
        headers=headers,
        buffered=True,
    )


def refused(status: int | str) -> bool:
    """Return whether an expected status means the request must change nothing."""
    return status == LOGIN or (isinstance(status, int) and status >= 400)


@pytest.mark.parametrize(("row", "actor"), CASES)
def test_authorization_matrix(world, row, actor):
    expected = row.expected[actor]
    response = send(world, row, actor)
    changed = world.changed()
    if changed:
        world.restore()
    if expected == LOGIN:
        assert response.status_code == 302, response.status_code
        assert urlsplit(response.headers["Location"]).path == "/login"
    else:
        assert response.status_code == expected
    if refused(expected):
        assert changed == [], f"a refused request changed {changed}"


def _covered(world: World) -> tuple[set[tuple[str, str]], list[str]]:
    """Return the (rule, method) pairs the rows reach, and the rows that reach none."""
    adapter = world.app.url_map.bind("lms.test")
    covered, wrong = set(), []
    for row in ROWS:
        path = urlsplit(world.fill(row.url)).path
        try:
            rule, _args = adapter.match(path, row.method, return_rule=True)
        except (NotFound, MethodNotAllowed):
            wrong.append(f"{row.endpoint} {row.method} {row.url}: no such route")
            continue
        if rule.endpoint != row.endpoint:
            wrong.append(f"{row.endpoint} {row.method} {row.url}: is {rule.endpoint}")
        covered.add((rule.rule, row.method))
    return covered, wrong


def routes(app) -> set[tuple[str, str]]:
    """Return every (rule, method) of the app, without static files, HEAD, OPTIONS."""
    return {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_has_a_row(world):
    covered, _wrong = _covered(world)
    missing = sorted(routes(world.app) - covered)
    assert missing == [], "routes without a row in ROWS: " + ", ".join(
        f"{method} {rule} ({endpoint})"
        for rule, method in missing
        for endpoint in [_endpoint_of(world.app, rule)]
    )


def test_every_row_names_a_route(world):
    _covered_, wrong = _covered(world)
    endpoints = {rule.endpoint for rule in world.app.url_map.iter_rules()}
    wrong += [
        f"{r.endpoint}: no such endpoint" for r in ROWS if r.endpoint not in endpoints
    ]
    assert wrong == []


def _endpoint_of(app, rule_text: str) -> str:
    return next(r.endpoint for r in app.url_map.iter_rules() if r.rule == rule_text)


def test_a_deactivated_account_is_signed_out_everywhere(world):
    """Deactivating an account ends its sessions at once: every route that needs a
    sign-in sends the (signed-in) owner learner to the sign-in page."""
    from lms.extensions import db
    from lms.models import User

    db.session.get(User, world.ids[OL]).active = False
    db.session.commit()
    try:
        for row in ROWS:
            if row.expected.get("anonymous") != LOGIN:
                continue
            response = send(world, row, OL)
            location = urlsplit(response.headers.get("Location", "")).path
            assert (response.status_code, location) == (302, "/login"), row
    finally:
        world.restore()
