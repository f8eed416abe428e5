"""The State, Activity Profile and Agent Profile resources over HTTP."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from werkzeug.http import parse_date

STATE = "/xapi/activities/state"
ACTIVITY_PROFILE = "/xapi/activities/profile"
AGENT_PROFILE = "/xapi/agents/profile"
ACTIVITY = "http://example.org/activities/one"
AGENT = {"objectType": "Agent", "mbox": "mailto:learner@example.org"}
REG = "6f1c9b8e-2a7d-4c3e-9f10-1a2b3c4d5e6f"
JSON_TYPE = "application/json"

#: For each document resource: its URL, id parameter and context parameters.
RESOURCES = {
    "state": (STATE, "stateId", {"activityId": ACTIVITY, "agent": AGENT}),
    "activity_profile": (ACTIVITY_PROFILE, "profileId", {"activityId": ACTIVITY}),
    "agent_profile": (AGENT_PROFILE, "profileId", {"agent": AGENT}),
}
PROFILES = ["activity_profile", "agent_profile"]


def query(**params) -> dict[str, str]:
    """Return query parameters with Agent objects as JSON."""
    return {
        key: json.dumps(value) if isinstance(value, dict) else value
        for key, value in params.items()
    }


def quoted_sha1(content: bytes) -> str:
    """Return the ETag the spec asks for: the quoted SHA-1 hex of the content."""
    return '"' + hashlib.sha1(content).hexdigest() + '"'


class Documents:
    """Requests to one document resource with one client's headers."""

    def __init__(self, client, headers, resource: str) -> None:
        self.client, self.headers = client, headers
        self.url, self.id_param, self.context = RESOURCES[resource]

    def params(self, document_id=None, **extra) -> dict[str, str]:
        """Return the context parameters, the document id and ``extra``."""
        given = dict(self.context)
        if document_id is not None:
            given[self.id_param] = document_id
        return query(**given, **extra)

    def send(self, method, document_id=None, *, data=None, headers=None, **extra):
        """Send a request; ``extra`` are further query parameters."""
        return self.client.open(
            self.url,
            method=method,
            query_string=self.params(document_id, **extra),
            data=data,
            headers={**self.headers, **(headers or {})},
        )

    def put(self, document_id, data, content_type="text/plain", **headers):
        """PUT a document."""
        headers = {"Content-Type": content_type, **headers}
        return self.send("PUT", document_id, data=data, headers=headers)

    def post(self, document_id, data, content_type=JSON_TYPE, **headers):
        """POST a document."""
        headers = {"Content-Type": content_type, **headers}
        return self.send("POST", document_id, data=data, headers=headers)

    def create(self, document_id, data, content_type="text/plain"):
        """Create a document that must not exist yet."""
        response = self.put(document_id, data, content_type, **{"If-None-Match": "*"})
        assert response.status_code == 204, response.get_data(as_text=True)
        return response

    def get(self, document_id=None, **extra):
        """GET one document or the ids."""
        return self.send("GET", document_id, **extra)


@pytest.fixture(params=list(RESOURCES))
def docs(request, client, lrs):
    """Each document resource, for a client with the scope "all"."""
    return Documents(client, lrs, request.param)


@pytest.fixture(params=PROFILES)
def profiles(request, client, lrs):
    """Each profile resource, for a client with the scope "all"."""
    return Documents(client, lrs, request.param)


@pytest.fixture
def states(client, lrs):
    """The State resource, for a client with the scope "all"."""
    return Documents(client, lrs, "state")


# --- Single documents -------------------------------------------------------------


def test_put_then_get_returns_the_document_as_given(docs):
    """PUT returns 204 No Content and GET 200 with the document (2.3.s3, 2.6.s3,
    2.7.s3); the Content-Type comes back as it was given."""
    content = b"\x00\x01 any bytes \xff"
    response = docs.create("doc-1", content, "application/x-odd")
    assert response.get_data() == b""
    got = docs.get("doc-1")
    assert got.status_code == 200
    assert got.get_data() == content
    assert got.headers["Content-Type"] == "application/x-odd"


def test_get_has_a_quoted_sha1_etag_and_last_modified(docs):
    """An LRS responding to a GET "MUST add an ETag HTTP header", the "hexadecimal
    string of the SHA-1 digest of the contents" in lowercase, "enclose[d] ... in
    quotes" (3.1.s4.b1-b4); it "SHOULD* include a Last-Modified header" (2.2.s6.b1)."""
    before = datetime.now(UTC).replace(microsecond=0)
    response = docs.create("doc", b"Hello, ETag")
    assert response.headers["ETag"] == quoted_sha1(b"Hello, ETag")
    got = docs.get("doc")
    assert got.headers["ETag"] == quoted_sha1(b"Hello, ETag")
    modified = parse_date(got.headers["Last-Modified"])
    assert before <= modified <= datetime.now(UTC)


def test_head_answers_headers_without_body(docs):
    """ "The LRS MUST respond to any HTTP HEAD request as it would have responded to
    an otherwise identical HTTP GET request except: The message-body MUST be
    omitted" (1.1.s3.b1)."""
    docs.create("doc", b"content")
    head = docs.send("HEAD", "doc")
    assert head.status_code == 200
    assert head.get_data() == b""
    assert head.headers["ETag"] == quoted_sha1(b"content")
    assert head.headers["Content-Type"] == "text/plain"
    assert "Last-Modified" in head.headers
    assert docs.send("HEAD", "missing").status_code == 404


def test_missing_document_is_404(docs):
    """404 "May be returned by any method that returns a uniquely identified
    resource, for instance, any State, Agent Profile, or Activity Profile Resource
    request targeting a specific document" (3.2.s2.b4)."""
    response = docs.get("never-stored")
    assert response.status_code == 404
    assert "error" in response.get_json()


def test_delete_one_document(docs):
    """DELETE with the id deletes that document and answers 204 (2.3.s3)."""
    docs.create("a", b"1")
    docs.create("b", b"2")
    assert docs.send("DELETE", "a").status_code == 204
    assert docs.get("a").status_code == 404
    assert docs.get("b").status_code == 200
    assert docs.get().get_json() == ["b"]


def test_documents_of_unknown_activities_and_agents_are_accepted(docs):
    """ "The LRS MUST NOT reject documents on the basis of not having prior
    knowledge of the Activity and/or Agent" (2.2.s4.b2)."""
    assert docs.put("fresh", b"x", **{"If-None-Match": "*"}).status_code == 204


def test_json_content_type_needs_json_content(docs):
    """The LRS "SHOULD* reject any request with 400 Bad Request status where the
    content type header does not match the content" (3.2.s3.b6)."""
    response = docs.put("doc", b"{not json", JSON_TYPE, **{"If-None-Match": "*"})
    assert response.status_code == 400
    assert docs.get("doc").status_code == 404


# --- Id listings ---------------------------------------------------------------------


def test_get_without_id_lists_the_ids(docs):
    """Without the id, GET "will return the available ids": "200 OK, Array of ...
    id(s)"; with "the most recently modified" time as Last-Modified (2.2.s6.b2)."""
    assert docs.get().get_json() == []
    docs.create("b", b"2")
    docs.create("a", b"1")
    listing = docs.get()
    assert listing.status_code == 200
    assert listing.headers["Content-Type"] == JSON_TYPE
    assert sorted(listing.get_json()) == ["a", "b"]
    assert listing.headers["ETag"] == quoted_sha1(listing.get_data())
    assert parse_date(listing.headers["Last-Modified"]) == parse_date(
        docs.get("a").headers["Last-Modified"]
    )


def test_since_lists_only_later_documents(docs):
    """ "If "since" parameter is specified, this is limited to entries that have been
    stored or updated since the specified timestamp (exclusive)" (2.3.s4, 2.6.s4,
    2.7.s4)."""
    docs.create("old", b"1")
    time.sleep(0.01)
    middle = datetime.now(UTC)
    time.sleep(0.01)
    docs.create("new", b"2")
    assert docs.get(since=middle.isoformat()).get_json() == ["new"]
    assert docs.get(since="2000-01-01T00:00:00Z").get_json() == ["new", "old"]
    assert docs.get(since=datetime.now(UTC).isoformat()).get_json() == []


@pytest.mark.parametrize("since", ["yesterday", "2026-13-01T00:00:00Z", ""])
def test_since_must_be_a_timestamp(docs, since):
    """since is a Timestamp (2.3.s4); "400 Bad Request - Indicates an error
    condition caused by an invalid or missing argument" (3.2.s2.b1)."""
    response = docs.get(since=since)
    assert response.status_code == 400
    assert "since" in response.get_json()["error"]


def test_since_does_not_go_with_a_document_id(docs):
    """since belongs to the multiple-document GET only; the LRS "MUST reject with
    400 ... any parameters which the LRS does not recognize in their intended
    context" (3.2.s3.b7)."""
    docs.create("doc", b"1")
    assert docs.get("doc", since="2000-01-01T00:00:00Z").status_code == 400


# --- State: registration and deleting many ------------------------------------------


def test_registration_keeps_state_apart(states):
    """State "exists in the context of the specified Activity, Agent, and
    registration (if specified)" (2.3.s3)."""
    states.put("s", b"without")
    states.send("PUT", "s", data=b"with", registration=REG)
    assert states.get("s").get_data() == b"without"
    assert states.get("s", registration=REG).get_data() == b"with"
    assert states.get("s", registration=REG.upper()).get_data() == b"with"
    other = "0b0f2c1e-8a4b-4c3e-9f10-1a2b3c4d5e70"
    assert states.get("s", registration=other).status_code == 404
    assert states.get(registration=REG).get_json() == ["s"]


@pytest.mark.parametrize("registration", ["not-a-uuid", "12345", ""])
def test_registration_must_be_a_uuid(states, registration):
    """The registration parameter is a UUID (2.3.s3 table); anything else is an
    invalid argument: 400 (3.2.s2.b1)."""
    assert states.put("s", b"x").status_code == 204
    response = states.get("s", registration=registration)
    assert response.status_code == 400
    assert "registration" in response.get_json()["error"]


def test_delete_without_state_id_deletes_the_whole_context(states, client, lrs):
    """Multiple Document DELETE "Deletes all state data for this context (Activity
    + Agent [+ registration if specified])" and returns 204 (2.3.s5)."""
    other = "0b0f2c1e-8a4b-4c3e-9f10-1a2b3c4d5e70"
    states.put("plain", b"1")
    states.send("PUT", "a", data=b"2", registration=REG)
    states.send("PUT", "b", data=b"3", registration=other)
    someone = Documents(client, lrs, "state")
    someone.context = {"activityId": ACTIVITY, "agent": {"mbox": "mailto:x@y.org"}}
    someone.put("kept", b"4")

    assert states.send("DELETE", registration=REG).status_code == 204
    assert sorted(states.get().get_json()) == ["b", "plain"]
    assert states.send("DELETE").status_code == 204
    assert states.get().get_json() == []
    assert someone.get().get_json() == ["kept"]


def test_state_put_overwrites_without_headers(states):
    """ "The State Resource will permit PUT, POST and DELETE requests without
    concurrency headers, since state conflicts are unlikely" (3.1.s3)."""
    assert states.put("s", b"one").status_code == 204
    assert states.put("s", b"two").status_code == 204
    assert states.get("s").get_data() == b"two"
    assert states.send("DELETE", "s").status_code == 204


# --- Concurrency -------------------------------------------------------------------


def test_profile_put_without_precondition_on_existing_is_409(profiles):
    """ "If a PUT request is received without either header for a resource that
    already exists, the LRS: MUST return HTTP status 409 Conflict. MUST return a
    response explaining that the Learning Record Provider SHOULD check the current
    state of the resource [and] set the If-Match header with the current ETag ...
    MUST NOT make a modification to the resource" (3.1.s4.b13-b15)."""
    profiles.create("p", b"first")
    response = profiles.put("p", b"second")
    assert response.status_code == 409
    message = response.get_json()["error"]
    assert "If-Match" in message and "current" in message
    assert profiles.get("p").get_data() == b"first"


def test_profile_put_without_precondition_creates_a_new_document(profiles):
    """The 409 is only "for a resource that already exists" (3.1.s4.b13)."""
    assert profiles.put("p", b"first").status_code == 204
    assert profiles.get("p").get_data() == b"first"


def test_if_match_with_the_current_etag_replaces(profiles):
    """An LRS responding to a PUT "MUST handle the If-Match header as described in
    RFC2616, HTTP 1.1 if it contains an ETag" (3.1.s4.b5)."""
    profiles.create("p", b"first")
    current = profiles.get("p").headers["ETag"]
    assert profiles.put("p", b"second", **{"If-Match": current}).status_code == 204
    assert profiles.get("p").get_data() == b"second"


def test_if_match_with_a_stale_etag_is_412(docs):
    """ "If the header precondition in either of the PUT request cases above fails,
    the LRS: MUST return HTTP status 412 Precondition Failed. MUST NOT make a
    modification to the resource" (3.1.s4.b9-b10); for POST and DELETE it SHOULD*
    do the same (b11-b12)."""
    docs.create("p", b"{}", JSON_TYPE)
    stale = {"If-Match": quoted_sha1(b"an older version")}
    assert docs.put("p", b"new", **stale).status_code == 412
    assert docs.post("p", b'{"a": 1}', **stale).status_code == 412
    assert docs.send("DELETE", "p", headers=stale).status_code == 412
    assert docs.get("p").get_data() == b"{}"


def test_if_none_match_star_on_existing_document_is_412(docs):
    """An LRS responding to a PUT "MUST handle the If-None-Match header ... if it
    contains "*", in order to detect when there is a resource present that the
    Client is not aware of" (3.1.s4.b6, b9)."""
    docs.create("p", b"first")
    response = docs.put("p", b"second", **{"If-None-Match": "*"})
    assert response.status_code == 412
    assert docs.get("p").get_data() == b"first"


def test_if_match_on_a_missing_document_is_412(docs):
    """If-Match names a current entity; with none, the precondition fails."""
    response = docs.put("p", b"x", **{"If-Match": quoted_sha1(b"x")})
    assert response.status_code == 412
    assert docs.get("p").status_code == 404


# --- JSON merge --------------------------------------------------------------------


def test_post_merges_json_objects(docs):
    """POST to an existing application/json document "MUST merge the posted document
    with the existing document"; the spec's example stores {"x": "bash", "y":
    "bar", "z": "faz"}; "If the merge is successful, the LRS MUST respond with HTTP
    status code 204 No Content" (2.2.s7, 2.2.s8.b2)."""
    docs.create("vars", b'{"x": "foo", "y": "bar"}', JSON_TYPE)
    current = docs.get("vars").headers["ETag"]
    response = docs.post("vars", b'{"x": "bash", "z": "faz"}', **{"If-Match": current})
    assert response.status_code == 204
    got = docs.get("vars")
    assert got.get_json() == {"x": "bash", "y": "bar", "z": "faz"}
    assert got.headers["ETag"] == quoted_sha1(got.get_data())
    assert got.headers["Content-Type"] == JSON_TYPE


def test_post_merges_only_top_level_properties(docs):
    """ "Note that only top-level properties are merged, even if a top-level property
    is an Object" (2.2.s7)."""
    docs.create("vars", b'{"o": {"a": 1, "b": 2}}', JSON_TYPE)
    assert docs.post("vars", b'{"o": {"c": 3}}').status_code == 204
    assert docs.get("vars").get_json() == {"o": {"c": 3}}


def test_post_to_a_new_document_stores_it(docs):
    """A POST to a document that does not exist yet stores the posted one."""
    assert docs.post("new", b'{"a": 1}').status_code == 204
    assert docs.get("new").get_json() == {"a": 1}


@pytest.mark.parametrize(
    ("stored", "stored_type", "posted", "posted_type"),
    [
        (b'{"a": 1}', JSON_TYPE, b'{"b": 2}', "text/plain"),
        (b"plain text", "text/plain", b'{"b": 2}', JSON_TYPE),
        (b"[1, 2]", JSON_TYPE, b'{"b": 2}', JSON_TYPE),
        (b'{"a": 1}', JSON_TYPE, b"[3]", JSON_TYPE),
        (b'{"a": 1}', JSON_TYPE, b'"text"', JSON_TYPE),
    ],
)
def test_post_that_cannot_merge_is_400_and_changes_nothing(
    docs, stored, stored_type, posted, posted_type
):
    """ "If the document being posted or any existing document does not have a
    Content-Type of application/json, or if either document cannot be parsed as a
    JSON Object, the LRS MUST respond with HTTP status code 400 Bad Request, and
    MUST NOT update the target document as a result of the request" (2.2.s8.b1)."""
    docs.create("doc", stored, stored_type)
    response = docs.post("doc", posted, posted_type)
    assert response.status_code == 400
    assert response.get_json()["error"]
    assert docs.get("doc").get_data() == stored


# --- Parameters ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "agent",
    [
        "{not json",
        json.dumps({"objectType": "Group", "mbox": "mailto:g@example.org"}),
        json.dumps({"mbox": "mailto:a@example.org", "openid": "http://o.org/a"}),
        json.dumps({"mbox": "a@example.org"}),
        json.dumps({"name": "No identifier"}),
        json.dumps(["mailto:a@example.org"]),
    ],
)
@pytest.mark.parametrize("resource", ["state", "agent_profile"])
def test_agent_parameter_must_be_an_agent(client, lrs, resource, agent):
    """The "agent" parameter is an "Agent Object (JSON)" and "not a Group"
    (2.3.s3, 2.6.s3); anything else is an invalid argument: 400 (3.2.s2.b1)."""
    docs = Documents(client, lrs, resource)
    params = {**docs.params("doc"), "agent": agent}
    response = client.get(docs.url, query_string=params, headers=lrs)
    assert response.status_code == 400
    assert "agent" in response.get_json()["error"]


@pytest.mark.parametrize("resource", ["state", "activity_profile"])
def test_activity_id_must_be_an_iri(client, lrs, resource):
    """activityId is an "Activity id (IRI)" (2.3.s3, 2.7.s3)."""
    docs = Documents(client, lrs, resource)
    params = {**docs.params("doc"), "activityId": "not an iri"}
    response = client.get(docs.url, query_string=params, headers=lrs)
    assert response.status_code == 400
    assert "activityId" in response.get_json()["error"]


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
def test_missing_required_parameter_is_400(docs, method):
    """Every context parameter marked Required must be sent (2.3-2.7 tables)."""
    for name in docs.context:
        params = {k: v for k, v in docs.params("doc").items() if k != name}
        response = docs.client.open(
            docs.url, method=method, query_string=params, headers=docs.headers
        )
        assert response.status_code == 400
        assert name in response.get_json()["error"]


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_writing_needs_the_document_id(docs, method):
    """PUT and POST act on one document, so stateId/profileId are Required."""
    response = docs.send(method, data=b"{}", headers={"Content-Type": JSON_TYPE})
    assert response.status_code == 400
    assert docs.id_param in response.get_json()["error"]


def test_profile_delete_needs_the_profile_id(profiles):
    """Only the State resource has a multiple-document DELETE (2.3.s5 vs 2.6.s3 and
    2.7.s3, where profileId is Required)."""
    profiles.create("p", b"x")
    assert profiles.send("DELETE").status_code == 400
    assert profiles.get("p").status_code == 200


@pytest.mark.parametrize("name", ["extra", "StateId", "ACTIVITYID"])
def test_unknown_or_miscased_parameter_is_400(states, name):
    """ "The LRS MUST reject with 400 Bad Request status any requests that use any
    parameters which the LRS does not recognize ..." and "any parameters matching
    parameters described in this specification in all but case" (3.2.s3.b7-b8)."""
    response = states.get("s", **{name: "x"})
    assert response.status_code == 400
    assert name in response.get_json()["error"]


# --- Scopes and the alternate syntax ----------------------------------------------


@pytest.mark.parametrize("resource", list(RESOURCES))
def test_no_credentials_is_401(client, resource):
    """ "401 Unauthorized - Indicates that authentication is required" (3.2.s2.b2)."""
    docs = Documents(client, {"X-Experience-API-Version": "1.0.3"}, resource)
    assert docs.get("doc").status_code == 401


@pytest.mark.parametrize(
    ("resource", "scopes", "method", "expected"),
    [
        ("state", ("statements/write", "statements/read"), "GET", 403),
        ("state", ("profile",), "PUT", 403),
        ("state", ("state",), "PUT", 204),
        ("state", ("all/read",), "GET", 404),
        ("state", ("all/read",), "PUT", 403),
        ("activity_profile", ("state",), "GET", 403),
        ("activity_profile", ("profile",), "PUT", 204),
        ("agent_profile", ("state", "define"), "PUT", 403),
        ("agent_profile", ("profile",), "GET", 404),
        ("agent_profile", ("all",), "DELETE", 204),
    ],
)
def test_scopes(client, make_client, resource, scopes, method, expected):
    """Scope "state": "read/write state data"; "profile": "read/write Profile
    document data"; "all/read": "unrestricted read access" (4.2.s2). The LRS "MUST
    reject with 403 Forbidden status any request ... where the credentials
    associated with the request do not have permission" (3.2.s3.b10)."""
    docs = Documents(client, make_client(*scopes), resource)
    data = b"x" if method == "PUT" else None
    response = docs.send(method, "doc", data=data, headers={"Content-Type": "a/b"})
    assert response.status_code == expected


def test_alternate_request_syntax(client, make_client):
    """ "All xAPI requests issued MUST be POST. The intended xAPI method MUST be
    included as the value of the "method" query string parameter"; content goes in
    the "content" form field, headers such as Content-Type and If-None-Match as form
    fields; "The LRS MUST support the syntax above" (1.3.s3)."""
    headers = make_client("profile")
    form = {
        "profileId": "alt",
        "activityId": ACTIVITY,
        "Authorization": headers["Authorization"],
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": JSON_TYPE,
        "If-None-Match": "*",
        "content": '{"a": "æ"}',
    }
    form_type = {"Content-Type": "application/x-www-form-urlencoded"}
    put = client.post(
        f"{ACTIVITY_PROFILE}?method=PUT", data=urlencode(form), headers=form_type
    )
    assert put.status_code == 204, put.get_data(as_text=True)
    read = {k: v for k, v in form.items() if k not in ("content", "If-None-Match")}
    got = client.post(
        f"{ACTIVITY_PROFILE}?method=GET", data=urlencode(read), headers=form_type
    )
    assert got.status_code == 200
    assert got.get_json() == {"a": "æ"}
    assert got.headers["Content-Type"] == JSON_TYPE
    assert got.headers["ETag"] == quoted_sha1('{"a": "æ"}'.encode())


def test_every_response_has_the_version_header(docs):
    """ "The LRS MUST include the X-Experience-API-Version header in every response"
    (3.3.s3.b1), errors included."""
    assert docs.get("missing").headers["X-Experience-API-Version"] == "1.0.3"
    assert docs.create("d", b"x").headers["X-Experience-API-Version"] == "1.0.3"


def test_alternate_syntax_without_content_type_field(client, lrs):
    """In the alternate syntax the HTTP Content-Type is the form's; "The
    Content-Type form parameter SHOULD* specify the content type of the content"
    (1.3.s3.b10), so without it the document is stored as generic bytes."""
    form = {
        "stateId": "alt",
        "activityId": ACTIVITY,
        "agent": json.dumps(AGENT),
        "Authorization": lrs["Authorization"],
        "X-Experience-API-Version": "1.0.3",
        "content": "plain words",
    }
    put = client.post(
        f"{STATE}?method=PUT",
        data=urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert put.status_code == 204
    got = Documents(client, lrs, "state").get("alt")
    assert got.get_data() == b"plain words"
    assert got.headers["Content-Type"] == "application/octet-stream"
