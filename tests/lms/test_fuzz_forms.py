"""Hostile input on every form: never a 500, never a stack trace.

Every route that takes a form POST is sent, by the account allowed to use it and
on an object it may change, fields that are missing, empty, very long, full of odd
Unicode (NUL, lone surrogates, right-to-left marks) or bytes that are not UTF-8,
numbers and dates out of range, times that the clocks skip, repeated fields, extra
fields, files that are huge, empty or of the wrong kind, and bodies of the wrong
content type. The answer must be a re-rendered form (200), a redirect, or a 4xx.
The search forms that are GET requests get the same treatment.

``FORMS`` lists the routes; ``test_every_form_route_is_fuzzed`` fails when a POST
route has no entry. An entry names the route's fields and their kind (see
``KINDS``) and may give a valid value per field, so that some examples get past
validation and reach the operation.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import quote_from_bytes, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from lms.content import framework
from tests.lms import authz_world, files
from tests.lms.authz_world import World
from tests.lms.journey import shipped_module
from tests.lms.test_authz_matrix import routes

#: Examples per route; LMS_FUZZ_EXAMPLES=500 searches harder.
EXAMPLES = int(os.environ.get("LMS_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: What a response to hostile input may be.
ACCEPTED = {200, 302, 303} | set(range(400, 500))
#: Signs of a stack trace or a debugger in a response.
TRACES = (b"Traceback (most recent call last)", b'File "/', b"werkzeug.debug")
TODAY = date.today()

# --- Hostile values ------------------------------------------------------------------

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "\t",
    "null",
    "None",
    "undefined",
    "true",
    "0",
    "-1",
    "1e309",
    "NaN",
    "-0",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "{{ 7 * 7 }}",
    "%s%s%n",
    "../../../../etc/passwd",
    "\u202etxt.exe",
    "\ufeff",
    "\u200b",
    "ﬀ",
    "𝕏",
    "Ø" * 300,
    "🙂" * 1000,
    "\ud800",
    "a\udfffb",
]
#: Strings of every Unicode category, lone surrogates included.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=40)
LONG_TEXT = st.builds(
    lambda char, size: char * size,
    st.sampled_from(["x", "ø", "\x00", "🙂", " "]),
    st.integers(min_value=201, max_value=100_000),
)
HOSTILE_TEXT = st.one_of(st.sampled_from(NASTY), ANY_TEXT, LONG_TEXT)
#: Bytes that are not UTF-8 (sent only in url-encoded bodies).
NOT_UTF8 = st.sampled_from(
    [b"\xff\xfe", b"\xed\xa0\x80", b"\xc3", b"a\x80b", b"\xc0\xaf"]
)

DATES = [
    TODAY.isoformat(),
    (TODAY + timedelta(days=30)).isoformat(),
    (TODAY - timedelta(days=30)).isoformat(),
    "2026-02-30",
    "2026-13-01",
    "2026-00-10",
    "0000-01-01",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "-2026-01-01",
    "2026-1-1",
    "01-02-2026",
    "2026-03-29",
    "2026-10-25",
    "2026-03-29T10:00",
    "２０２６-０１-０１",
    "today",
]
TIMES = [
    "10:00",
    "00:00",
    "23:59",
    "02:30",
    "24:00",
    "23:60",
    "10:00:00",
    "10:00:61",
    "10:00+02:00",
    "10:00Z",
    "10",
    "10:0",
    "-01:00",
    "９:００",
    "25:00",
]
NUMBERS = [
    "0",
    "1",
    "-1",
    "60",
    "1441",
    "2147483648",
    "9223372036854775808",
    "1" * 5000,
    "1e3",
    "1.5",
    "NaN",
    "inf",
    "0x10",
    "١٢",
    "+5",
    " 5 ",
]
URLS = [
    "https://meet.example.org/room",
    "http://meet.example.org/room",
    "javascript:alert(1)",
    "https://",
    "https:///x",
    "https://" + "a" * 3000 + ".example",
    "https://ø.dk/ø?x=<y>",
    "https://[::1]/",
    "https://[::1",
    "https://user:pw@host/",
    "ftp://example.org",
    "https://exa mple.org",
    "https://example.org:99999/",
    "//example.org",
]
EMAILS = [
    "owner.learner@example.org",
    "learner@example.org",
    "spare.learner@example.org",
    "a@b",
    "@",
    "x" * 300 + "@example.org",
    "ø@æ.dk",
    "learner@example.org\x00",
    "LEARNER@EXAMPLE.ORG",
]
IDS = ["1", "2", "5", "6", "0", "-1", "999999", "99999999999999999999", "1.0", "x"]


@dataclass(frozen=True)
class Upload:
    """A file to send; the stream is made at sending time, for every replay."""

    content: bytes
    name: str
    content_type: str

    def stream(self) -> FileStorage:
        """Return the file as werkzeug's multipart encoder takes it."""
        return FileStorage(io.BytesIO(self.content), self.name, None, self.content_type)


def _csv(header: str, cells: list[str]) -> bytes:
    """Return a CSV with a good header and a row of (hostile) cells."""
    row = ",".join('"' + cell.replace('"', '""') + '"' for cell in cells)
    return f"{header}\r\n{row}\r\n".encode("utf-8", "surrogatepass")


USER_CSV_HEADER = "email,name,roles,organisation,unit,job_role,password"
USER_CSV = st.builds(
    lambda cells: _csv(USER_CSV_HEADER, cells),
    st.tuples(
        st.one_of(st.sampled_from(EMAILS), HOSTILE_TEXT),
        st.one_of(st.just("Ny Bruger"), HOSTILE_TEXT),
        st.sampled_from(["learner", "admin;learner", "root", ""]),
        st.sampled_from(["Svendborg Kommune", "Odense Kommune", "X"]),
        st.sampled_from(["HJV", "hjv", "AES", "ZZZ"]),
        st.sampled_from(["nurse", "", "king"]),
        st.one_of(st.just("a-good-password-1"), HOSTILE_TEXT),
    ).map(list),
)
CONTENTS = st.one_of(
    st.sampled_from(
        [
            b"",
            files.pdf(),
            files.png(),
            b"PK\x03\x04" + b"\x00" * 40,
            b"\x00" * 1000,
            b"email\r\nspare.learner@example.org\r\n",
            "spare.learner@example.org\n".encode("utf-16"),
            b"=cmd|' /C calc'!A0\r\n",
            b"\xff\xfe\x00\x00garbage",
        ]
    ),
    st.binary(max_size=2000),
)
FILE_NAMES = [
    "members.csv",
    "users.CSV",
    "package.zip",
    "rapport.pdf",
    "noext",
    "",
    "..\\..\\evil.csv",
    "../../evil.zip",
    "a\x00.csv",
    "ø🙂.txt",
    "a" * 300 + ".csv",
    "x.csv.exe",
]
CONTENT_TYPES = [
    "text/csv",
    "application/zip",
    "application/pdf",
    "application/octet-stream",
    "text/html",
    "multipart/form-data",
    "",
]
FILES = st.builds(
    Upload,
    st.one_of(CONTENTS, USER_CSV, st.builds(authz_world.make_zip, st.just({}))),
    st.sampled_from(FILE_NAMES),
    st.sampled_from(CONTENT_TYPES),
)


def _choices(choices: list[str]) -> st.SearchStrategy:
    return st.one_of(st.sampled_from(choices), HOSTILE_TEXT)


#: Strategies by field kind; every kind also gets generic hostile text.
KINDS: dict[str, st.SearchStrategy] = {
    "text": HOSTILE_TEXT,
    "date": st.sampled_from(DATES),
    "time": st.sampled_from(TIMES),
    "int": st.one_of(st.sampled_from(NUMBERS), st.integers().map(str)),
    "url": st.sampled_from(URLS),
    "email": st.sampled_from(EMAILS),
    "id": st.sampled_from(IDS),
    "file": FILES,
    "bool": st.sampled_from(["y", "on", "true", "false", "0", ""]),
    "locale": _choices(["da", "en", "de", "DA", "en-US"]),
    "scope": _choices(["all", "state", "statements/read", "root", "all/write"]),
    "decision": _choices(["approve", "return", "reject"]),
    "attendance": _choices(["attended", "absent", "excused", "present"]),
    "session_kind": _choices(["webinar", "meeting", "party"]),
    "target": _choices(
        ["module:secure-communication", "programme:bliv-digital-kompetent", "x:y"]
    ),
    "job_role": _choices(["nurse", "care_helper", "king"]),
    "module": _choices(["video-consultations", "secure-communication", "nope"]),
    "programme": _choices(["", "bliv-digital-kompetent", "nope"]),
    "activity": _choices(["", "module:kick-off", "programme:x", ":"]),
    "level": _choices(["0", "1", "2", "3", "9", "-1"]),
    "next": st.sampled_from(["/learn/", "//evil.example", "/\\evil.example", ""]),
}


@st.composite
def field_value(draw, kind: str, valid):
    """Draw one field's value: valid, of its kind, hostile, repeated or missing."""
    options = [KINDS[kind], HOSTILE_TEXT, st.just(None)]
    if valid is not None:
        options.insert(0, st.just(valid))
    if kind != "file":
        options += [
            NOT_UTF8,
            st.lists(st.one_of(KINDS[kind], HOSTILE_TEXT), min_size=2, max_size=3),
            FILES,
        ]
    return draw(st.one_of(options))


# --- The forms -----------------------------------------------------------------------


@dataclass(frozen=True)
class Form:
    """A route that takes a form, who may use it, and its fields by kind."""

    endpoint: str
    actor: str
    url: str
    fields: dict[str, str] | Callable[[World], dict[str, str]] = field(
        default_factory=dict
    )
    valid: dict | Callable[[World], dict] = field(default_factory=dict)
    method: str = "POST"


def _quiz_fields(_world: World) -> dict[str, str]:
    quiz = shipped_module(authz_world.MODULE).activity("final-quiz").content
    found = {}
    for question in quiz.questions:
        name = f"q-{question.id}"
        if question.type_name == "matching":
            found |= {f"{name}-{pair.id}": "text" for pair in question.pairs}
        elif question.type_name == "ordering":
            found |= {f"{name}-{item.id}": "int" for item in question.items}
        else:
            found[name] = "text"
    return found


def _quiz_valid(_world: World) -> dict:
    from tests.lms.journey import correct_form

    quiz = shipped_module(authz_world.MODULE).activity("final-quiz").content
    return correct_form(quiz)


def _review_fields(world: World) -> dict[str, str]:
    scores = [name for name in world.ids["review_form"] if name.startswith("score-")]
    return {"decision": "decision", "feedback": "text"} | dict.fromkeys(scores, "int")


def _profile_fields(_world: World) -> dict[str, str]:
    from lms.admin.role_profiles import field_name

    return {
        field_name(competence.id): "level"
        for area in framework().areas
        for competence in area.competences
    }


COHORT = "/teach/cohorts/{cohort}"
SESSION = "/teach/cohorts/{cohort}/sessions/{session}"
DRAFT = "/teach/modules/drafts/{draft}"
OL, OE, OM = "owner_learner", "owner_educator", "owner_manager"
COHORT_FIELDS = {
    "name": "text",
    "module": "module",
    "programme": "programme",
    "starts_on": "date",
    "ends_on": "date",
}
COHORT_VALID = {
    "name": "Hold B",
    "module": "video-consultations",
    "programme": "",
    "starts_on": TODAY.isoformat(),
    "ends_on": (TODAY + timedelta(days=60)).isoformat(),
}
SESSION_FIELDS = {
    "title": "text",
    "kind": "session_kind",
    "activity": "activity",
    "day": "date",
    "at": "time",
    "duration": "int",
    "meeting_url": "url",
}
SESSION_VALID = {
    "title": "Opfølgning",
    "kind": "webinar",
    "activity": "",
    "day": (TODAY + timedelta(days=14)).isoformat(),
    "at": "10:00",
    "duration": "60",
    "meeting_url": "https://meet.example.org/b",
}
TASK = "/learn/modules/{second}/sharing-week-review/submissions"
QUIZ = "/learn/modules/{module}/final-quiz/attempts"

# fmt: off
FORWARD = "/admin/forwarding/{forwarding_endpoint}"

FORMS = [
    # Anyone.
    Form("auth.login", "anonymous", "/login", {"email": "email", "password": "text"},
         {"email": "owner.learner@example.org", "password": authz_world.PASSWORD}),
    Form("auth.language", "anonymous", "/language",
         {"locale": "locale", "next": "next"}, {"locale": "en"}),
    Form("auth.logout", OL, "/logout"),
    Form("auth.account", OL, "/account",
         {"current": "text", "new": "text", "confirm": "text"},
         {"current": authz_world.PASSWORD, "new": "ny-adgangskode-1",
          "confirm": "ny-adgangskode-1"}),
    # Learning.
    Form("learn.enrol", OL, "/learn/modules/{module}/enrol"),
    Form("programmes.enrol", OL, "/learn/programmes/{programme}/enrol"),
    Form("learn.read", OL, "/learn/modules/{module}/when-video/read"),
    Form("learn.case_answer", OL, "/learn/modules/{module}/first-video-follow-up/case",
         {"step": "text", "option": "text"},
         {"step": "{case_step}", "option": "{case_option}"}),
    Form("learn.quiz_start", OL, QUIZ),
    Form("learn.quiz_attempt", OL, QUIZ + "/2", _quiz_fields, _quiz_valid),
    Form("learn.task_submit", OL, TASK, {"text": "text", "file": "file"},
         {"text": " ".join(["refleksion"] * 300)}),
    # Teaching.
    Form("teach.review", OE, "/teach/submissions/{submission}", _review_fields,
         lambda world: world.ids["review_form"]),
    Form("cohorts.create", OE, "/teach/cohorts/new", COHORT_FIELDS, COHORT_VALID),
    Form("cohorts.edit", OE, COHORT + "/edit", COHORT_FIELDS, COHORT_VALID),
    Form("cohorts.add_members", OE, COHORT + "/members", {"user_id": "id"},
         {"user_id": "{spare_learner}"}),
    Form("cohorts.add_from_file", OE, COHORT + "/members/file", {"file": "file"}),
    Form("cohorts.remove_member", OE, COHORT + "/members/{owner_learner}/remove"),
    Form("cohorts.schedule", OE, COHORT + "/sessions/new", SESSION_FIELDS,
         SESSION_VALID),
    Form("cohorts.edit_session", OE, SESSION + "/edit", SESSION_FIELDS,
         SESSION_VALID),
    Form("cohorts.cancel_session", OE, SESSION + "/cancel"),
    Form("cohorts.attendance", OE, SESSION + "/attendance",
         {"status-{owner_learner}": "attendance", "status-{learner}": "attendance",
          "status-x": "attendance"},
         {"status-{owner_learner}": "attended"}),
    Form("authoring.index", OE, "/teach/modules/", {"package": "file"}),
    Form("authoring.discard", OE, DRAFT + "/discard"),
    Form("authoring.publish", OE, "/teach/modules/drafts/{draft_same}/publish"),
    # Managing.
    Form("manage.assignments", OM, "/manage/units/{unit_SUN}/assignments",
         {"target": "target", "due_on": "date", "include_subunits": "bool",
          "job_roles": "job_role"},
         {"target": "module:secure-communication",
          "due_on": (TODAY + timedelta(days=30)).isoformat()}),
    Form("manage.withdraw", OM, "/manage/assignments/{assignment}/withdraw"),
    # Administration.
    Form("admin.import_users", "admin", "/admin/users/import", {"file": "file"}),
    Form("role_profiles.edit", "admin", "/admin/role-profiles/nurse",
         _profile_fields),
    Form("certificates.revoke", "admin", "/certificates/admin/{certificate}/revoke",
         {"reason": "text"}, {"reason": "Udstedt ved en fejl"}),
    Form("certificates.signing_keys", "admin", "/certificates/admin/keys"),
    Form("lrs_admin.clients", "admin", "/admin/lrs/clients",
         {"name": "text", "key": "text", "scopes": "scope"},
         {"name": "Analyse", "scopes": "state"}),
    Form("lrs_admin.client", "admin", "/admin/lrs/clients/{lrs_client}",
         {"scopes": "scope"}, {"scopes": "state"}),
    Form("lrs_admin.toggle", "admin", "/admin/lrs/clients/{lrs_client}/active"),
    # Sign-in security, privacy and forwarding.
    Form("auth.timezone", OL, "/account/timezone", {"timezone": "text"},
         {"timezone": "Europe/London"}),
    Form("auth.forgot_password", "anonymous", "/login/forgot", {"email": "email"}),
    Form("auth.login_code", "anonymous", "/login/code", {"code": "text"}),
    Form("auth.reset_password", "anonymous", "/login/reset/not-a-token",
         {"new": "text", "confirm": "text"}),
    Form("auth.two_factor_start", "admin", "/account/two-factor/start"),
    Form("auth.two_factor_confirm", "admin", "/account/two-factor/confirm",
         {"code": "text"}),
    Form("auth.two_factor_disable", "admin", "/account/two-factor/disable",
         {"password": "text", "code": "text"}),
    Form("admin.unlock_user", "admin", "/admin/users/{owner_learner}/unlock"),
    Form("privacy.export_data", OL, "/account/data.json"),
    Form("privacy.erase", "admin", "/admin/users/{owner_learner}/erase",
         {"email": "email", "reason": "text"}),
    Form("forwarding.new", "admin", "/admin/forwarding/new",
         {"name": "text", "url": "url", "username": "text", "secret": "text"},
         {"name": "Anden", "url": "http://127.0.0.1:9/other/", "username": "lms",
          "secret": "s3cret-value"}),
    Form("forwarding.endpoint", "admin", FORWARD,
         {"name": "text", "url": "url", "username": "text", "secret": "text"},
         {"name": "Region B", "url": "http://127.0.0.1:9/xapi/", "username": "lms"}),
    Form("forwarding.toggle", "admin", FORWARD + "/active"),
    Form("forwarding.delete", "admin", FORWARD + "/delete"),
    Form("forwarding.requeue", "admin", FORWARD + "/requeue"),
    Form("forwarding.retry", "admin", FORWARD + "/retry"),
    Form("forwarding.test", "admin", FORWARD + "/test"),
    Form("forwarding.backfill", "admin", FORWARD + "/backfill", {"since": "date"},
         {"since": "2024-01-01"}),
    # Search forms and filters sent as GET.
    Form("cohorts.show", OE, COHORT, {"q": "text"}, method="GET"),
    Form("teach.queue", OE, "/teach/", {"cohort": "id"}, method="GET"),
    Form("certificates.admin", "admin", "/certificates/admin/", {"q": "text"},
         method="GET"),
    Form("manage.full_list", OM, "/manage/units/{unit_SUN}/lists/overdue",
         {"job_role": "job_role"}, method="GET"),
    Form("manage.export", OM, "/manage/units/{unit_SUN}/export/overdue.csv",
         {"job_role": "job_role"}, method="GET"),
    Form("verify.lookup", "anonymous", "/verify/", {"code": "text"}, method="GET"),
    Form("learn.catalogue", OL, "/learn/catalogue", {"lang": "locale"},
         method="GET"),
]
# fmt: on


@pytest.fixture(scope="module")
def world(session_app, tmp_path_factory):
    """The shared world, with an open quiz attempt of the owner learner."""
    with authz_world.shared(session_app, tmp_path_factory.mktemp("uploads")) as built:
        started = built.client(OL).post(built.fill(QUIZ))
        assert urlsplit(started.headers["Location"]).path.endswith("/attempts/2")
        built.seal()
        yield built


def _fields(form: Form, world: World) -> tuple[dict[str, str], dict]:
    kinds = form.fields(world) if callable(form.fields) else form.fields
    valid = form.valid(world) if callable(form.valid) else form.valid
    return (
        {world.fill(name): kind for name, kind in kinds.items()},
        {world.fill(name): value for name, value in valid.items()},
    )


@st.composite
def submissions(draw, kinds: dict[str, str], valid: dict):
    """Draw the fields of one submission, extra fields included."""
    values = {}
    for name, kind in kinds.items():
        value = draw(field_value(kind, valid.get(name)))
        if value is not None:
            values[name] = value
    extra = draw(st.dictionaries(HOSTILE_TEXT, HOSTILE_TEXT, max_size=2))
    return extra | values


def _encode(value) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, Upload):  # a file sent as a plain field: its content
        return value.content
    return str(value).encode("utf-8", "surrogatepass")


def urlencoded(values: dict) -> bytes:
    """Encode fields as a form body, keeping lone surrogates and bad bytes as sent."""
    pairs = []
    for name, value in values.items():
        for one in value if isinstance(value, list) else [value]:
            pairs.append(
                quote_from_bytes(_encode(name)) + "=" + quote_from_bytes(_encode(one))
            )
    return "&".join(pairs).encode("ascii")


def post_multipart(client, url: str, fields: MultiDict):
    """Post a multipart body built in memory (the client's temporary file leaks)."""
    boundary, body = encode_multipart(fields)
    return client.post(
        url,
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        buffered=True,
    )


def _multipart_safe(value):
    """Return a value werkzeug's encoder can put in multipart (UTF-8 text, files)."""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, Upload):
        return value.stream()
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    return value


def send_form(world: World, form: Form, values: dict, encoding: str):
    """Send the fields as the route's user, in the drawn encoding."""
    client = world.client(form.actor)
    url = world.fill(form.url)
    if form.method == "GET":
        query = urlencoded(values).decode("ascii")
        return client.get(url + "?" + query, buffered=True)
    uploads = any(isinstance(v, Upload) for v in values.values())
    if encoding == "multipart" or uploads:
        fields = MultiDict()
        for name, value in values.items():
            for one in value if isinstance(value, list) else [value]:
                fields.add(_multipart_safe(name), _multipart_safe(one))
        return post_multipart(client, url, fields)
    content_type = {
        "urlencoded": "application/x-www-form-urlencoded",
        "json": "application/json",
        "text": "text/plain",
        "none": None,
    }[encoding]
    headers = {"Content-Type": content_type} if content_type else {}
    return client.post(url, data=urlencoded(values), headers=headers, buffered=True)


ENCODINGS = st.sampled_from(["urlencoded"] * 6 + ["multipart"] * 2 + ["json", "text"])


def check(world: World, response) -> None:
    """Assert a sane answer, then undo whatever the request changed."""
    if world.changed():
        world.restore()
    assert response.status_code in ACCEPTED, response.status_code
    body = response.get_data()
    assert not any(trace in body for trace in TRACES)


@pytest.mark.parametrize("form", FORMS, ids=lambda form: f"{form.method} {form.url}")
@given(data=st.data())
@FUZZ
def test_hostile_form_input_is_never_a_server_error(world, form, data):
    kinds, valid = _fields(form, world)
    values = data.draw(submissions(kinds, valid), label="fields")
    encoding = data.draw(ENCODINGS, label="encoding")
    check(world, send_form(world, form, values, encoding))


@pytest.mark.parametrize(
    "form", [f for f in FORMS if f.method == "POST"], ids=lambda form: form.url
)
def test_an_oversized_body_is_refused(world, form):
    """A body above MAX_CONTENT_LENGTH is a 413 or another refusal, not a crash."""
    limit = world.app.config["MAX_CONTENT_LENGTH"]
    fields = MultiDict(
        {"file": Upload(b"x" * (limit + 1), "big.csv", "text/csv").stream()}
    )
    response = post_multipart(world.client(form.actor), world.fill(form.url), fields)
    check(world, response)


def test_every_form_route_is_fuzzed(session_app):
    fuzzed = {form.endpoint for form in FORMS}
    posted = {
        (rule, method)
        for rule, method in routes(session_app)
        if method == "POST" and not rule.startswith("/xapi")
    }
    by_rule = {rule.rule: rule.endpoint for rule in session_app.url_map.iter_rules()}
    missing = sorted({by_rule[rule] for rule, _method in posted} - fuzzed)
    assert missing == [], f"POST routes without a FORMS entry: {missing}"


# --- Regressions: server errors the fuzzer found, each answered properly now --------


def _text_field_file(name: str) -> MultiDict:
    return MultiDict({name: Upload(b"x", "x.txt", "text/plain").stream()})


@pytest.mark.parametrize(
    ("actor", "url", "field"),
    [
        ("anonymous", "/login", "email"),
        (OL, "/account", "new"),
        (OE, "/teach/cohorts/new", "name"),
        (OE, SESSION + "/edit", "title"),
        ("admin", "/certificates/admin/{certificate}/revoke", "reason"),
        ("admin", "/admin/lrs/clients", "name"),
        (OL, TASK, "text"),
    ],
)
def test_a_file_sent_as_a_text_field_is_a_field_error(world, actor, url, field):
    """A file under a text field's name was handed to the field (500); now the
    field is empty and the form says so."""
    response = post_multipart(
        world.client(actor), world.fill(url), _text_field_file(field)
    )
    check(world, response)
    assert response.status_code in (400, 401)


def test_text_sent_as_the_task_file_is_no_file(world):
    """Text under the file field's name is not a file: the task is handed in
    without one, or refused, never a server error."""
    response = world.client(OL).post(
        world.fill(TASK),
        data={"text": " ".join(["refleksion"] * 300), "file": "not a file"},
    )
    check(world, response)
    assert response.status_code == 302


@pytest.mark.parametrize(
    "url", ["/teach/cohorts/new", "/login", "/admin/lrs/clients", "/account"]
)
def test_a_json_body_is_not_a_form(world, url):
    """Flask-WTF read a JSON body as the form: a number reached string code."""
    actor = {"/teach/cohorts/new": OE, "/login": "anonymous", "/account": OL}
    response = world.client(actor.get(url, "admin")).post(
        url, json={"name": 5, "email": ["a"], "new": {"x": 1}, "scopes": [1]}
    )
    check(world, response)
    assert response.status_code in (400, 401)


@pytest.mark.parametrize(
    ("actor", "url"),
    [
        (OE, "/teach/cohorts/99999999999999999999"),
        (OE, "/teach/cohorts/2147483648/overview"),
        (OL, "/learn/sessions/99999999999999999999.ics"),
        (OM, "/manage/units/99999999999999999999"),
        (OM, "/manage/people/99999999999999999999"),
        ("admin", "/admin/lrs/clients/99999999999999999999"),
        (OL, "/learn/modules/{module}/final-quiz/attempts/99999999999999999999"),
        ("anonymous", "/credentials/status/99999999999999999999"),
    ],
)
def test_an_id_too_large_for_the_database_is_not_found(world, actor, url):
    """An id that no integer column can hold reached the database (500)."""
    response = world.client(actor).get(world.fill(url))
    check(world, response)
    assert response.status_code == 404


def test_a_cohort_filter_too_large_for_the_database_is_not_found(world):
    response = world.client(OE).get("/teach/?cohort=99999999999999999999")
    check(world, response)
    assert response.status_code == 404


def test_a_learner_id_too_large_for_the_database_is_a_bad_request(world):
    response = world.client(OE).post(
        world.fill(COHORT + "/members"), data={"user_id": "99999999999999999999"}
    )
    check(world, response)
    assert response.status_code == 400


def test_a_score_of_5000_digits_is_out_of_range(world):
    """int() refuses numbers of more than 4300 digits (500); now the score is
    out of range, said on the criterion."""
    form = dict(world.ids["review_form"])
    first = next(name for name in form if name.startswith("score-"))
    form[first] = "1" * 5000
    url = world.fill("/teach/submissions/{submission}") + "?lang=en"
    response = world.client(OE).post(url, data=form)
    check(world, response)
    assert response.status_code == 400
    assert "must be between 0 and" in response.text


@pytest.mark.parametrize(
    ("actor", "url"), [("admin", "/certificates/admin/"), (OE, COHORT)]
)
def test_a_search_longer_than_any_name_finds_nothing(world, actor, url):
    """SQLite refuses a LIKE pattern of 50 000 bytes (503); now nothing is found."""
    search = {"q": "x" * 60_000}
    response = world.client(actor).get(world.fill(url), query_string=search)
    check(world, response)
    assert response.status_code == 200


def test_every_form_of_the_app_reads_only_form_fields(session_app):
    """Every form subclasses lms.forms.Form, which keeps files out of text fields."""
    from flask_wtf import FlaskForm

    from lms.forms import Form as AppForm

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [c for c in subclasses(FlaskForm) if c.__module__.startswith("lms.")]
    assert len(ours) > 10
    assert [c.__qualname__ for c in ours if not issubclass(c, AppForm)] == []


@pytest.mark.parametrize(
    ("actor", "url", "data"),
    [
        (OE, COHORT + "/edit", COHORT_VALID | {"name": "Hold\x00B"}),
        ("admin", "/admin/lrs/clients", {"name": "A\x00", "scopes": "state"}),
        (OL, TASK, {"text": "refleksion\x00 " * 300}),
        (OE, SESSION + "/edit", SESSION_VALID | {"meeting_url": "https://a\x00.dk"}),
    ],
)
def test_text_with_nul_is_a_field_error(world, actor, url, data):
    """PostgreSQL text columns cannot hold NUL (500 there, stored on SQLite); now
    the field says so."""
    response = world.client(actor).post(world.fill(url) + "?lang=en", data=data)
    check(world, response)
    assert response.status_code == 400
    assert "Remove the invisible NUL character from this field." in response.text


@pytest.mark.parametrize(
    ("actor", "url"), [("admin", "/certificates/admin/"), (OE, COHORT)]
)
def test_a_search_with_nul_finds_nothing(world, actor, url):
    response = world.client(actor).get(world.fill(url), query_string={"q": "Ow\x00"})
    check(world, response)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("actor", "url", "content"),
    [
        (OE, COHORT + "/members/file", b"spare.learner\x00@example.org\n"),
        (
            "admin",
            "/admin/users/import",
            USER_CSV_HEADER.encode()
            + b"\r\nny@example.org,Ny\x00,learner,Svendborg Kommune,HJV,nurse,\r\n",
        ),
    ],
)
def test_a_file_with_nul_is_refused_line_by_line(world, actor, url, content):
    """A NUL in an uploaded list reached PostgreSQL (500); now its line is bad."""
    fields = MultiDict({"file": Upload(content, "list.csv", "text/csv").stream()})
    response = post_multipart(world.client(actor), world.fill(url), fields)
    check(world, response)
    assert response.status_code == 400
