"""Hostile requests to every xAPI resource: never a 500, always the version header.

``test_hypothesis.py`` sends generated statements and arbitrary JSON and bytes to
POST /statements; this module covers the rest of the endpoint: every query
parameter of GET /statements, the headers (version, credentials, content types,
multipart bodies), the document resources with their parameters and
preconditions, the Agents and Activities resources, the alternate request syntax,
and arbitrary JSON bodies for PUT /statements.

Communication 3.3.s3.b1: "The LRS MUST include the X-Experience-API-Version header
in every response"; every answer here is one of the statuses the specification
names for the case (Communication 3.2: 400, 401, 403, 404, 409, 412, 413; 405 for a
method a resource does not have), with a JSON error naming the problem.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from urllib.parse import quote_from_bytes

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.lms.lrs.conftest import basic, statement
from tests.xapi.test_validation_hypothesis import agents, json_values, statements

#: Examples per test; LMS_FUZZ_EXAMPLES=500 searches harder.
EXAMPLES = int(os.environ.get("LMS_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
#: What the LRS may answer a hostile request with.
XAPI_STATUSES = {200, 204, 400, 401, 403, 404, 405, 409, 412, 413}
ACTIVITY = "http://example.org/activities/one"
AGENT = {"objectType": "Agent", "mbox": "mailto:learner@example.org"}

# --- Hostile values ------------------------------------------------------------------

NASTY = [
    "",
    " ",
    "\x00",
    "null",
    "true",
    "[]",
    "{}",
    "{",
    '{"objectType": "Agent"}',
    '{"mbox": "mailto:a@b", "account": {"homePage": "http://x", "name": "a"}}',
    '{"objectType": "Group", "member": []}',
    '{"mbox": "not-a-mailto"}',
    '{"mbox": "mailto:a@b", "name": ' + "[1]" * 3 + "}",
    "[" * 5000 + "]" * 5000,
    '{"a":' * 2000 + "1" + "}" * 2000,
    "1" * 5000,
    "9" * 30,
    "-1",
    "0",
    "1e309",
    "NaN",
    "2026-02-30T10:00:00Z",
    "2026-01-01T25:00:00Z",
    "2026-01-01T10:00:00+99:00",
    "2026-01-01T10:00:00",
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999999Z",
    "2026-W01",
    "http://",
    "http://exa mple.org",
    "javascript:alert(1)",
    "urn:",
    str(uuid.uuid4()),
    str(uuid.uuid4()).upper(),
    "6f1c9b8e-2a7d-4c3e-9f10-1a2b3c4d5e6",
    "\ud800",
    "🙂" * 500,
    "x" * 20_000,
]
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=30)
JSON_TEXT = st.one_of(
    json_values.map(lambda value: json.dumps(value)),
    agents().map(json.dumps),
)
VALUES = st.one_of(st.sampled_from(NASTY), ANY_TEXT, JSON_TEXT)
NOT_UTF8 = st.sampled_from([b"\xff\xfe", b"\xed\xa0\x80", b"\xc3", b"a\x80b"])

STATEMENT_PARAMS = [
    "statementId",
    "voidedStatementId",
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "ascending",
    "attachments",
    "format",
    "cursor",
    "method",
    "content",
    "Agent",
    "LIMIT",
    "unknown",
]
DOCUMENT_PARAMS = [
    "stateId",
    "profileId",
    "activityId",
    "agent",
    "registration",
    "since",
    "ActivityId",
    "unknown",
]
GOOD = {
    "statementId": str(uuid.uuid4()),
    "voidedStatementId": str(uuid.uuid4()),
    "agent": json.dumps(AGENT),
    "activity": ACTIVITY,
    "activityId": ACTIVITY,
    "verb": "http://adlnet.gov/expapi/verbs/experienced",
    "registration": str(uuid.uuid4()),
    "since": "2026-01-01T00:00:00Z",
    "limit": "2",
    "format": "canonical",
    "attachments": "true",
    "stateId": "s1",
    "profileId": "p1",
}


@st.composite
def parameters(draw, names: list[str]) -> list[tuple[str, bytes]]:
    """Draw query parameters: known and unknown, good, hostile, repeated."""
    pairs = []
    for name in draw(st.lists(st.sampled_from(names), max_size=5)):
        good = st.just(GOOD[name]) if name in GOOD else VALUES
        value = draw(st.one_of(good, VALUES, NOT_UTF8))
        pairs.append((name, value if isinstance(value, bytes) else _utf8(value)))
    return pairs


@st.composite
def mutated(draw, base: list[str], names: list[str]) -> list[tuple[str, bytes]]:
    """Draw the good parameters of a request with one or more of them broken:
    replaced by a hostile value, left out or repeated, plus extra parameters."""
    pairs = []
    for name in base:
        action = draw(st.sampled_from(["keep", "keep", "break", "drop", "repeat"]))
        if action == "drop":
            continue
        good = _utf8(GOOD[name])
        value = draw(st.one_of(VALUES.map(_utf8), NOT_UTF8))
        pairs.append((name, value if action == "break" else good))
        if action == "repeat":
            pairs.append((name, value))
    return pairs + draw(parameters(names).map(lambda extra: extra[:2]))


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def query(pairs: list[tuple[str, bytes]]) -> str:
    """Encode pairs as a query string, bytes as they are."""
    return "&".join(
        quote_from_bytes(_utf8(name)) + "=" + quote_from_bytes(value)
        for name, value in pairs
    )


def check(response, *, body: bool = True) -> None:
    """Assert an xAPI-conformant answer: a named status, the version header, and
    (unless the answer to a HEAD has no body) a JSON error naming the problem."""
    assert response.status_code in XAPI_STATUSES, (response.status_code, response.data)
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    if body and response.status_code >= 400:
        error = orjson.loads(response.data)["error"]
        assert isinstance(error, str) and "Traceback" not in error


# --- Statements ----------------------------------------------------------------------


@given(
    pairs=st.one_of(
        parameters(STATEMENT_PARAMS),
        mutated(["agent", "verb", "since", "limit", "format"], STATEMENT_PARAMS),
        mutated(["statementId", "attachments", "format"], STATEMENT_PARAMS),
    )
)
@FUZZ
def test_hostile_statement_queries(client, lrs, pairs):
    """Communication 2.1.3: every parameter of GET statements, in any combination;
    3.2.s3.b7: an unknown parameter is a 400."""
    check(client.get("/xapi/statements?" + query(pairs), headers=lrs))


@given(body=json_values, statement_id=st.one_of(st.just(str(uuid.uuid4())), VALUES))
@FUZZ
def test_any_json_put_to_statements(client, lrs, body, statement_id):
    """Communication 2.1.1: PUT takes one statement under statementId; anything
    else is a 400 (or 409 for an id stored with other content)."""
    response = client.put(
        "/xapi/statements?" + query([("statementId", _utf8(statement_id))]),
        data=orjson.dumps(body),
        headers={**lrs, "Content-Type": "application/json"},
    )
    check(response)
    assert response.status_code in (204, 400, 409)


@given(found=statements(), statement_id=st.just(None) | st.builds(str, st.uuids()))
@FUZZ
def test_generated_statements_put_under_an_id(client, lrs, found, statement_id):
    """A valid generated statement PUT under its own id or a fresh one: 204, or
    400 when the ids differ or an attachment has no fileUrl or part."""
    if statement_id is None:
        statement_id = found.setdefault("id", str(uuid.uuid4()))
    else:
        found.pop("id", None)
    response = client.put(
        "/xapi/statements",
        query_string={"statementId": statement_id},
        json=found,
        headers=lrs,
    )
    check(response)
    assert response.status_code in (204, 400, 409)


VERSIONS = st.one_of(
    st.sampled_from(
        [
            "1.0.3",
            "1.0",
            "1.0.0",
            "1.0.99",
            "1.0.99999999999999999999",
            " 1.0.3 ",
            "1.0.3-rc.1",
            "1.0.3+build",
            "1.1.0",
            "2.0.0",
            "0.95",
            "1",
            "",
            "١.٠.٣",
            "1.0.3\x00",
            "1.0.3, 1.0.2",
        ]
    ),
    ANY_TEXT,
)
AUTHORIZATIONS = st.one_of(
    st.just(None),
    st.sampled_from(
        [
            "Basic",
            "Basic ",
            "Basic !!!",
            "Basic " + "A" * 10_000,
            "Basic " + basic("x", "y")[6:] + "=",
            "Basic " + "w4Y=",  # not "key:secret"
            "Basic /w==",  # not UTF-8
            "Bearer abc",
            "basic " + basic("nobody", "secret")[6:],
            "Digest username=x",
        ]
    ),
    ANY_TEXT.map(lambda text: "Basic " + text),
)
CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=latin-1",
            "APPLICATION/JSON",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/mixed",
            "multipart/mixed; boundary=",
            'multipart/mixed; boundary="b"',
            "multipart/mixed; boundary=" + "b" * 500,
            "multipart/form-data; boundary=b",
            "application/octet-stream",
            "text/pl\x00ain",
            ";;;",
            "",
        ]
    ),
    ANY_TEXT,
)
OPTIONAL_CONTENT_TYPE = st.one_of(st.none(), CONTENT_TYPES)


def _multipart(draw) -> tuple[bytes, str]:
    """Draw a multipart body that is broken in some way, and its boundary."""
    boundary = draw(st.sampled_from(["b", "xapi-boundary", "--", "ø"]))
    first = orjson.dumps(statement())
    attachment = draw(st.binary(max_size=100))
    parts = [
        b"--"
        + boundary.encode("utf-8")
        + b"\r\nContent-Type: application/json\r\n\r\n"
        + first,
        b"--"
        + boundary.encode("utf-8")
        + b"\r\nContent-Type: application/octet-stream\r\n"
        + draw(
            st.sampled_from(
                [
                    b"Content-Transfer-Encoding: binary\r\n",
                    b"X-Experience-API-Hash: " + b"0" * 64 + b"\r\n",
                    b"X-Experience-API-Hash: zz\r\n"
                    b"Content-Transfer-Encoding: binary\r\n",
                    b"no colon here\r\n",
                    b"Content-Type: text/pl\x00ain\r\n",
                    b"",
                ]
            )
        )
        + b"\r\n"
        + attachment,
    ]
    body = b"\r\n".join(parts) + b"\r\n--" + boundary.encode("utf-8") + b"--\r\n"
    cut = draw(st.integers(min_value=0, max_value=len(body)))
    return draw(st.sampled_from([body, body[:cut], body.replace(b"\r\n", b"\n")])), (
        boundary
    )


@st.composite
def bodies(draw) -> tuple[bytes, str | None]:
    """Draw a request body and its Content-Type."""
    kind = draw(st.sampled_from(["json", "bytes", "multipart", "statement"]))
    if kind == "multipart":
        body, boundary = _multipart(draw)
        return body, draw(
            st.sampled_from(
                [f"multipart/mixed; boundary={boundary}", "multipart/mixed", None]
            )
        )
    if kind == "statement":
        return orjson.dumps(statement()), draw(OPTIONAL_CONTENT_TYPE)
    if kind == "json":
        return orjson.dumps(draw(json_values)), draw(OPTIONAL_CONTENT_TYPE)
    return draw(st.binary(max_size=300)), draw(OPTIONAL_CONTENT_TYPE)


@given(
    version=st.one_of(st.none(), VERSIONS),
    authorization=AUTHORIZATIONS,
    method=st.sampled_from(["GET", "POST", "PUT", "HEAD", "DELETE", "PATCH"]),
    body=bodies(),
    real_credentials=st.booleans(),
)
@FUZZ
def test_hostile_headers_and_bodies_on_statements(
    client, lrs, version, authorization, method, body, real_credentials
):
    """Communication 3.3: version header variants; 4.1: Basic credentials that are
    missing, malformed or refused are a 401; 1.5.2: multipart bodies that are
    broken or truncated are a 400."""
    content, content_type = body
    headers = {}
    if version is not None:
        headers["X-Experience-API-Version"] = version
    if real_credentials:
        headers["Authorization"] = lrs["Authorization"]
    elif authorization is not None:
        headers["Authorization"] = authorization
    if content_type is not None:
        headers["Content-Type"] = content_type
    statement_id = str(uuid.uuid4()) if method == "PUT" else None
    response = client.open(
        "/xapi/statements",
        method=method,
        query_string={"statementId": statement_id} if statement_id else None,
        data=content,
        headers=_latin1(headers),
    )
    check(response, body=method != "HEAD")


def _latin1(headers: dict[str, str]) -> dict[str, str]:
    """Keep header values sendable: Latin-1, on one line."""
    return {
        name: value.encode("utf-8", "surrogatepass")
        .decode("latin-1")
        .replace("\r", "")
        .replace("\n", "")
        for name, value in headers.items()
    }


# --- Documents, Agents and Activities ----------------------------------------------

#: Each document resource and the parameters of a good request to it.
DOCUMENT_URLS = {
    "/xapi/activities/state": ["activityId", "agent", "stateId", "registration"],
    "/xapi/activities/profile": ["activityId", "profileId"],
    "/xapi/agents/profile": ["agent", "profileId"],
}


@st.composite
def document_requests(draw) -> tuple[str, list[tuple[str, bytes]]]:
    """Draw a document resource and mutated parameters for it."""
    url = draw(st.sampled_from(sorted(DOCUMENT_URLS)))
    return url, draw(mutated(DOCUMENT_URLS[url], DOCUMENT_PARAMS))


@given(
    target=document_requests(),
    method=st.sampled_from(["GET", "PUT", "POST", "DELETE"]),
    body=bodies(),
    preconditions=st.dictionaries(
        st.sampled_from(["If-Match", "If-None-Match"]),
        st.one_of(
            st.sampled_from(['"abc"', "*", '"', 'W/"x"', '"a", "b"', ""]), ANY_TEXT
        ),
        max_size=2,
    ),
)
@FUZZ
def test_hostile_document_requests(client, lrs, target, method, body, preconditions):
    """Communication 2.2-2.7: bad stateId, profileId, agent, activityId,
    registration or since are a 400; a body that is not JSON under an
    application/json Content-Type is a 400 (3.2.s3.b6); preconditions are 412 or
    409 (3.1)."""
    (url, pairs), (content, content_type) = target, body
    headers = {**lrs, **preconditions}
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = client.open(
        url + "?" + query(pairs),
        method=method,
        data=content if method in ("PUT", "POST") else None,
        headers=_latin1(headers),
    )
    check(response)


@given(
    content=st.one_of(
        json_values.map(orjson.dumps), st.binary(max_size=200), st.just(b"{" * 3000)
    ),
    content_type=st.sampled_from(["application/json", "application/json; x=1", None]),
)
@FUZZ
def test_documents_of_any_content(client, lrs, content, content_type):
    """A document is stored as sent (204) unless it claims to be JSON and is not,
    or a POST cannot merge it into a JSON document (400)."""
    params = {"activityId": ACTIVITY, "agent": json.dumps(AGENT), "stateId": "s"}
    headers = {**lrs} | ({"Content-Type": content_type} if content_type else {})
    for method in ("PUT", "POST"):
        response = client.open(
            "/xapi/activities/state",
            method=method,
            query_string=params,
            data=content,
            headers=headers,
        )
        check(response)
        assert response.status_code in (204, 400)
    check(client.get("/xapi/activities/state", query_string=params, headers=lrs))


@given(
    url=st.sampled_from(["/xapi/agents", "/xapi/activities"]),
    pairs=st.one_of(
        mutated(["agent"], ["activityId", "unknown", "since"]),
        mutated(["activityId"], ["agent", "unknown", "since"]),
    ),
)
@FUZZ
def test_hostile_agents_and_activities_requests(client, lrs, url, pairs):
    """Communication 2.4 and 2.5: the agent must be one Agent Object and the
    activityId an IRI; anything else is a 400."""
    check(client.get(url + "?" + query(pairs), headers=lrs))


def test_a_document_over_the_size_limit_is_413(client, app, lrs, monkeypatch):
    """Communication 3.2: a request "larger than the LRS is configured to allow" is
    a 413 (the limit is LRS_MAX_BODY_BYTES)."""
    monkeypatch.setitem(app.config, "LRS_MAX_BODY_BYTES", 1000)
    params = {"activityId": ACTIVITY, "agent": json.dumps(AGENT), "stateId": "big"}
    response = client.put(
        "/xapi/activities/state",
        query_string=params,
        data=b"x" * 1001,
        headers={**lrs, "Content-Type": "text/plain"},
    )
    check(response)
    assert response.status_code == 413


# --- The alternate request syntax ----------------------------------------------------


@given(
    method=st.one_of(
        st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD", "get", "PATCH", ""]),
        ANY_TEXT,
    ),
    url=st.sampled_from(
        ["/xapi/statements", "/xapi/activities/state", "/xapi/agents", "/xapi/about"]
    ),
    form=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "content",
                    "Authorization",
                    "X-Experience-API-Version",
                    "Content-Type",
                    "If-Match",
                    "statementId",
                    "agent",
                    "activityId",
                    "stateId",
                    "limit",
                    "unknown",
                ]
            ),
            st.one_of(VALUES, NOT_UTF8),
        ),
        max_size=6,
    ),
    credentials=st.sampled_from(["header", "form", "none"]),
    extra_query=st.booleans(),
    content_type=st.sampled_from(
        ["application/x-www-form-urlencoded", "text/plain", "application/json"]
    ),
)
@FUZZ
def test_hostile_alternate_syntax(
    client, lrs, method, url, form, credentials, extra_query, content_type
):
    """Communication 1.3: a POST with ?method= carries the method, the headers and
    the content as form fields; junk in any of them is a 400 (or the 401, 403, 404,
    405 the emulated request would get), never a server error."""
    pairs = [(name, v if isinstance(v, bytes) else _utf8(v)) for name, v in form]
    headers = {"Content-Type": content_type}
    if credentials == "header":
        headers |= lrs
    elif credentials == "form":
        pairs += [
            ("Authorization", _utf8(lrs["Authorization"])),
            ("X-Experience-API-Version", b"1.0.3"),
        ]
    target = url + "?method=" + quote_from_bytes(_utf8(method))
    if extra_query:
        target += "&limit=1"
    response = client.post(target, data=query(pairs), headers=headers)
    check(response, body=method != "HEAD")


# --- Regressions: server errors the fuzzer found -------------------------------------


def test_basic_credentials_that_are_not_ascii_are_401(client):
    """Communication 4.1: credentials the LRS cannot read are refused with 401;
    base64 of a non-ASCII string raised ValueError (500)."""
    response = client.get(
        "/xapi/statements",
        headers={"X-Experience-API-Version": "1.0.3", "Authorization": "Basic \x80é"},
    )
    check(response)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="xAPI"'


def _nul_account() -> dict:
    account = {"homePage": "http://x.dk", "name": "\x00"}
    return {"objectType": "Agent", "account": account}


def test_a_statement_holding_nul_is_400(client, lrs):
    """PostgreSQL text cannot hold NUL, and agent keys are text: an Agent whose
    account name is NUL failed to store (500 on PostgreSQL)."""
    for body in (
        statement(object=_nul_account()),
        statement(actor=_nul_account()),
        [statement(), statement(context={"instructor": _nul_account()})],
    ):
        response = client.post("/xapi/statements", json=body, headers=lrs)
        check(response)
        assert response.status_code == 400
        assert "must not hold U+0000 (NUL)" in orjson.loads(response.data)["error"]
    assert client.get("/xapi/statements", headers=lrs).json["statements"] == []


def test_document_parameters_holding_nul_are_400(client, lrs):
    """A stateId or an agent holding NUL reached a text column (500 on
    PostgreSQL); now the parameter is named in a 400."""
    good = {"activityId": ACTIVITY, "agent": json.dumps(AGENT), "stateId": "s"}
    for change in ({"stateId": "a\x00"}, {"agent": json.dumps(_nul_account())}):
        for method in ("GET", "PUT", "DELETE"):
            response = client.open(
                "/xapi/activities/state",
                method=method,
                query_string=good | change,
                data=b"x",
                headers={**lrs, "Content-Type": "text/plain"},
            )
            check(response)
            assert response.status_code == 400
            assert next(iter(change)) in orjson.loads(response.data)["error"]
    response = client.get(
        "/xapi/statements",
        query_string={"agent": json.dumps(_nul_account())},
        headers=lrs,
    )
    check(response)
    assert response.status_code == 400


def test_a_document_content_type_holding_nul_is_400(client, lrs):
    """The Content-Type of a document is stored as text (500 on PostgreSQL), also
    when the alternate syntax gives it as a form field."""
    params = {"activityId": ACTIVITY, "agent": json.dumps(AGENT), "stateId": "s"}
    response = client.put(
        "/xapi/activities/state",
        query_string=params,
        data=b"x",
        headers={**lrs, "Content-Type": "text/pl\x00ain"},
    )
    check(response)
    assert response.status_code == 400
    form = query(
        [(name, _utf8(value)) for name, value in params.items()]
        + [("Content-Type", b"text/pl\x00ain"), ("content", b"x")]
    )
    response = client.post(
        "/xapi/activities/state?method=PUT",
        data=form,
        headers={**lrs, "Content-Type": "application/x-www-form-urlencoded"},
    )
    check(response)
    assert response.status_code == 400


def test_a_multipart_header_holding_nul_is_400(client, lrs):
    """An attachment part's Content-Type is stored as text (500 on PostgreSQL)."""
    content = b"hello"
    sha2 = hashlib.sha256(content).hexdigest()
    attachment = {
        "usageType": "http://example.org/usage",
        "display": {"en": "a"},
        "contentType": "text/plain",
        "length": len(content),
        "sha2": sha2,
    }
    body = (
        b"--b\r\nContent-Type: application/json\r\n\r\n"
        + orjson.dumps(statement(attachments=[attachment]))
        + b"\r\n--b\r\nContent-Type: text/pl\x00ain\r\n"
        + b"Content-Transfer-Encoding: binary\r\n"
        + b"X-Experience-API-Hash: "
        + sha2.encode()
        + b"\r\n\r\n"
        + content
        + b"\r\n--b--\r\n"
    )
    response = client.post(
        "/xapi/statements",
        data=body,
        headers={**lrs, "Content-Type": "multipart/mixed; boundary=b"},
    )
    check(response)
    assert response.status_code == 400
