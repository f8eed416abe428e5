"""The HTTP rules every xAPI resource shares: versions, syntax, auth, CORS, errors."""

import threading
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import urlencode

import orjson
import pytest

from lms.lrs import http
from tests.lms.lrs.conftest import VERSION, basic, statement


def test_about_lists_the_version_without_authentication(client):
    """Communication 2.8.s5.b1: "An LRS MUST return the JSON document described
    above, with a "version" property"; b3: it "SHOULD allow unauthenticated access";
    b4: it "MUST NOT reject requests based on their version header"."""
    response = client.get("/xapi/about")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    assert orjson.loads(response.data) == {"version": ["1.0.3"], "extensions": {}}
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert (
        client.get(
            "/xapi/about", headers={"X-Experience-API-Version": "0.9"}
        ).status_code
        == 200
    )


def test_about_rejects_unknown_parameters(client):
    """Communication 3.2.s3.b7: "The LRS MUST reject with 400 Bad Request status any
    requests that use any parameters which the LRS does not recognize"."""
    response = client.get("/xapi/about?x=1")
    assert response.status_code == 400
    assert "'x'" in orjson.loads(response.data)["error"]


@pytest.mark.parametrize(
    ("version", "status"),
    [
        (None, 400),
        ("", 400),
        ("1.0", 200),
        ("1.0.0", 200),
        ("1.0.3", 200),
        ("1.0.9", 200),
        ("1.1.0", 400),
        ("2.0.0", 400),
        ("0.95", 400),
        ("0.9", 400),
        ("banana", 400),
    ],
)
def test_version_header_rules(client, lrs, version, status):
    """Communication 3.3.s3: the LRS "MUST accept requests with a version header of
    1.0 as if the version header was 1.0.0", "MUST reject requests without a version
    header", "MUST accept requests with a version header starting with 1.0.", "MUST
    reject requests with a version header of 1.1.0 or greater", all with 400."""
    headers = {k: v for k, v in lrs.items() if k != "X-Experience-API-Version"}
    if version is not None:
        headers["X-Experience-API-Version"] = version
    response = client.get("/xapi/statements", headers=headers)
    assert response.status_code == status
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    if status == 400:
        assert "X-Experience-API-Version" in orjson.loads(response.data)["error"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/xapi/about"),
        ("GET", "/xapi/statements"),
        ("GET", "/xapi/no-such-resource"),
        ("DELETE", "/xapi/statements"),
        ("OPTIONS", "/xapi/statements"),
        ("POST", "/xapi/statements"),
    ],
)
def test_every_response_has_the_version_header(client, method, path):
    """Communication 3.3.s3.b1: "The LRS MUST include the X-Experience-API-Version
    header in every response"; b2: "set this header to the latest patch version"."""
    response = client.open(path, method=method)
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_missing_credentials_are_401_with_a_basic_challenge(client):
    """Communication 3.2.s2.b2: "401 Unauthorized - Indicates that authentication is
    required"; RFC 7235 asks for a WWW-Authenticate challenge."""
    response = client.get("/xapi/statements", headers=VERSION)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.headers["X-Experience-API-Consistent-Through"]


@pytest.mark.parametrize(
    "authorization",
    ["Basic " + "!!!", "Bearer abc", basic("nobody", "secret-secret-secret"), "Basic"],
)
def test_refused_credentials_are_401(client, lrs, authorization):
    """Communication 3.2.s2.b2: 401 "in the case authentication has been posted in
    the request, that the given credentials have been refused"."""
    response = client.get(
        "/xapi/statements", headers={**VERSION, "Authorization": authorization}
    )
    assert response.status_code == 401


def test_a_wrong_secret_is_refused_even_after_the_right_one_was_cached(client, lrs):
    """Credential checks are cached by (key, hash of secret): a wrong secret for a
    cached key is still checked, and refused."""
    assert client.get("/xapi/statements", headers=lrs).status_code == 200
    key = _key(lrs)
    wrong = {**VERSION, "Authorization": basic(key, "not-the-secret-at-all")}
    assert client.get("/xapi/statements", headers=wrong).status_code == 401


def _key(headers: dict) -> str:
    import base64

    return base64.b64decode(headers["Authorization"][6:]).decode().split(":")[0]


# Scope matrix: scope -> (GET statements, POST statements, GET about).
SCOPES = [
    ("statements/write", 403, 200),
    ("statements/read", 200, 403),
    ("statements/read/mine", 200, 403),
    ("all/read", 200, 403),
    ("all", 200, 200),
    ("state", 403, 403),
    ("define", 403, 403),
    ("profile", 403, 403),
]


@pytest.mark.parametrize(("scope", "read", "write"), SCOPES)
def test_scopes_allow_only_their_requests(client, make_client, scope, read, write):
    """Communication 4.2.s2: "statements/write: write any Statement",
    "statements/read: read any Statement", "all/read: unrestricted read access",
    "all: unrestricted access"; 3.2.s3.b10: the LRS "MUST reject with 403 Forbidden
    status any request ... where the credentials ... do not have permission"."""
    headers = make_client(scope)
    assert client.get("/xapi/statements", headers=headers).status_code == read
    posted = client.post("/xapi/statements", json=statement(), headers=headers)
    assert posted.status_code == write


def test_deactivated_clients_are_refused_at_once(client, app, make_client):
    """A client deactivated by an admin is refused (its cached check is dropped)."""
    from lms.extensions import db
    from lms.models import LRSClient
    from lms.operations.lrs_clients import set_active, set_scopes

    headers = make_client("all")
    assert client.get("/xapi/statements", headers=headers).status_code == 200
    row = db.session.execute(db.select(LRSClient)).scalar_one()
    set_scopes(row, ["statements/write"])
    assert client.get("/xapi/statements", headers=headers).status_code == 403
    set_active(row, False)
    assert client.get("/xapi/statements", headers=headers).status_code == 401


def test_cors_preflight_allows_the_xapi_headers(client):
    """Browser clients on other origins need CORS: a preflight is answered without
    credentials and allows Authorization, Content-Type, X-Experience-API-Version,
    If-Match and If-None-Match; ETag, Last-Modified and the xAPI headers are
    exposed."""
    response = client.options(
        "/xapi/statements",
        headers={
            "Origin": "https://content.example",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "https://content.example"
    allowed = response.headers["Access-Control-Allow-Headers"]
    for name in (
        "Authorization",
        "Content-Type",
        "X-Experience-API-Version",
        "If-Match",
        "If-None-Match",
    ):
        assert name in allowed
    assert "PUT" in response.headers["Access-Control-Allow-Methods"]
    exposed = response.headers["Access-Control-Expose-Headers"]
    for name in (
        "ETag",
        "Last-Modified",
        "X-Experience-API-Consistent-Through",
        "X-Experience-API-Version",
    ):
        assert name in exposed


def test_cors_headers_on_ordinary_responses(client, lrs):
    """A cross-origin GET gets Access-Control-Allow-Origin, errors included."""
    headers = {**lrs, "Origin": "https://content.example"}
    for path in ("/xapi/statements", "/xapi/statements?bad=1"):
        response = client.get(path, headers=headers)
        assert response.headers["Access-Control-Allow-Origin"] == (
            "https://content.example"
        )


# --- Alternate request syntax --------------------------------------------------------


def _form(headers: dict, **fields) -> dict:
    """Return the form of an alternate-syntax request carrying ``headers``."""
    return {**headers, **fields}


def test_alternate_syntax_put_stores_a_statement(client, lrs):
    """Communication 1.3.s3.b15: "The LRS MUST support the syntax above": a POST with
    method=PUT, the headers and parameters as form fields and the body as
    "content"."""
    statement_id = str(uuid.uuid4())
    form = _form(
        lrs,
        statementId=statement_id,
        **{"Content-Type": "application/json"},
        content=orjson.dumps(statement()).decode(),
    )
    response = client.post(
        "/xapi/statements?method=PUT",
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 204, response.data
    fetched = client.get(f"/xapi/statements?statementId={statement_id}", headers=lrs)
    assert fetched.status_code == 200


def test_alternate_syntax_content_without_a_content_type_field_is_json(client, lrs):
    """Communication 1.3.s3.b5: "The LRS MUST interpret this content as a UTF-8
    string"; without a Content-Type form field it is read as JSON."""
    form = _form(lrs, content=orjson.dumps(statement()).decode())
    response = client.post(
        "/xapi/statements?method=POST",
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200, response.data
    assert len(orjson.loads(response.data)) == 1


def test_alternate_syntax_get_reads_parameters_from_the_form(client, lrs):
    """Communication 1.3.s3.b14: "The LRS MUST treat any form parameters other than
    "content" or the header parameters listed above as query string parameters"."""
    client.post("/xapi/statements", json=statement(), headers=lrs)
    form = _form(lrs, limit="1", verb="http://adlnet.gov/expapi/verbs/experienced")
    response = client.post(
        "/xapi/statements?method=GET",
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert len(orjson.loads(response.data)["statements"]) == 1


def test_alternate_syntax_head_has_no_body(client, lrs):
    """Communication 1.1.s3.b1: a HEAD is answered like the GET, but "The
    message-body MUST be omitted" -- also when HEAD comes as method=HEAD."""
    response = client.post(
        "/xapi/statements?method=HEAD",
        data=urlencode(lrs),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert response.data == b""


@pytest.mark.parametrize(
    ("url", "content_type", "message"),
    [
        (
            "/xapi/statements?method=GET&limit=1",
            "application/x-www-form-urlencoded",
            "limit",
        ),
        ("/xapi/statements?method=FETCH", "application/x-www-form-urlencoded", "FETCH"),
        ("/xapi/statements?method=GET", "application/json", "Content-Type"),
        ("/xapi/statements", "application/x-www-form-urlencoded", "method"),
    ],
)
def test_alternate_syntax_misuse_is_400(client, lrs, url, content_type, message):
    """Communication 1.3.s3.b3: the client "MUST NOT include any other query string
    parameters on the request"; 3.2.s3.b6: "If the content type is
    application/x-www-form-urlencoded it is expected that the request will include a
    method parameter"."""
    response = client.post(url, data=urlencode(lrs), content_type=content_type)
    assert response.status_code == 400
    assert message in orjson.loads(response.data)["error"]


def test_alternate_syntax_with_a_non_utf8_form_is_400(client):
    """Communication 1.3.s3.b5: "The LRS MUST interpret this content as a UTF-8
    string"; a form that is not UTF-8 is a 400."""
    response = client.post(
        "/xapi/statements?method=GET",
        data=b"content=\xff\xfe",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400


# --- Bodies and errors ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "content_type", "message"),
    [
        (b"{not json", "application/json", "not valid JSON"),
        (b'{"a": "\xff"}', "application/json", "not UTF-8"),
        (b"", "application/json", "empty"),
        (b"{}", "text/plain", "Content-Type"),
        (b"{}", None, "Content-Type"),
        (b"[1, 2]", "application/json", "statements[0]"),
        (b"42", "application/json", "statement object or an array"),
    ],
)
def test_bad_bodies_are_400_naming_the_problem(
    client, lrs, data, content_type, message
):
    """Communication 3.2.s2.b1: "400 Bad Request - Indicates an error condition
    caused by an invalid or missing argument. The term "invalid arguments" includes
    malformed JSON or invalid Object structures"; 3.2.s3.b6: 400 "where the content
    type header does not match the content"."""
    headers = dict(lrs)
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post("/xapi/statements", data=data, headers=headers)
    assert response.status_code == 400
    assert response.content_type == "application/json"
    assert message in orjson.loads(response.data)["error"]


def test_a_body_over_the_limit_is_413(client, app, lrs, monkeypatch):
    """Communication 3.2.s3.b11: "The LRS MUST reject with 413 Request Entity Too
    Large status any request rejected by the LRS where the size of the Attachment,
    Statement or document is larger than the maximum allowed by the LRS"."""
    monkeypatch.setitem(app.config, "LRS_MAX_BODY_BYTES", 1000)
    big = statement(result={"response": "x" * 2000})
    response = client.post("/xapi/statements", json=big, headers=lrs)
    assert response.status_code == 413
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_an_unsupported_method_is_405(client, lrs):
    """DELETE is not a method of the Statement resource."""
    response = client.delete("/xapi/statements", headers=lrs)
    assert response.status_code == 405


def test_one_request_at_a_time_refreshes_consistent_through(app, monkeypatch):
    """While one request asks the database for a new Consistent-Through value, the
    others take the older one (always safe) instead of a connection each."""
    asked, release = [], threading.Event()

    def slow_refresh():
        asked.append(1)
        assert release.wait(10)
        return datetime(2026, 1, 1, tzinfo=UTC)

    monkeypatch.setattr(http, "_consistent_through", slow_refresh)
    monkeypatch.setattr(
        http, "_consistent", {"value": "2025-01-01T00:00:00Z", "at": 0.0}
    )
    answers = []

    def ask():
        with app.app_context():
            answers.append(http.consistent_through_header())

    refresher = threading.Thread(target=ask)
    refresher.start()
    while not asked:
        time.sleep(0.001)
    others = [threading.Thread(target=ask) for _ in range(4)]
    for thread in others:
        thread.start()
    for thread in others:
        thread.join(10)
    release.set()
    refresher.join(10)
    assert len(asked) == 1
    assert answers[:4] == ["2025-01-01T00:00:00Z"] * 4
    assert answers[4].startswith("2026-01-01T00:00:00")
