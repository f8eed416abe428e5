"""The Statement resource through HTTP: PUT, POST, GET, formats, paging, voiding."""

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import orjson
import pytest

from tests.lms.lrs.conftest import statement

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def _post(client, headers, *items) -> list[str]:
    response = client.post("/xapi/statements", json=list(items), headers=headers)
    assert response.status_code == 200, response.data
    return orjson.loads(response.data)


def _get(client, headers, query="", status=200):
    response = client.get(f"/xapi/statements{query}", headers=headers)
    assert response.status_code == status, response.data
    return response


def _listed(client, headers, query="") -> list[dict]:
    return orjson.loads(_get(client, headers, query).data)["statements"]


# --- PUT -----------------------------------------------------------------------------


def test_put_stores_under_the_statement_id(client, lrs):
    """Communication 2.1.1: PUT "Stores a single Statement with the given id" and
    "Returns: 204 No Content"."""
    statement_id = str(uuid.uuid4())
    response = client.put(
        f"/xapi/statements?statementId={statement_id}", json=statement(), headers=lrs
    )
    assert response.status_code == 204
    assert response.headers["X-Experience-API-Consistent-Through"]
    stored = orjson.loads(_get(client, lrs, f"?statementId={statement_id}").data)
    assert stored["id"] == statement_id


@pytest.mark.parametrize(
    ("query", "body_id", "message"),
    [
        ("", None, "statementId"),
        ("?statementId=not-a-uuid", None, "UUID"),
        (
            "?statementId=3c4b6f8e-2a51-4d3e-9f0a-6b7c8d9e0f1a",
            "7d2e9a10-4b3c-4e5f-8a6b-1c2d3e4f5a6b",
            "does not match",
        ),
        ("?statementId=5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9&verb=x", None, "'verb'"),
    ],
)
def test_put_parameter_rules(client, lrs, query, body_id, message):
    """Communication 2.1.1: statementId is "Required"; 2.1.1.s3.b3: "Where provided,
    the "id" property of the Statement MUST match the "statementId" parameter"."""
    body = statement(**({"id": body_id} if body_id else {}))
    response = client.put(f"/xapi/statements{query}", json=body, headers=lrs)
    assert response.status_code == 400
    assert message in orjson.loads(response.data)["error"]


def test_put_an_array_is_400(client, lrs):
    """PUT stores one statement; an array is not one."""
    response = client.put(
        f"/xapi/statements?statementId={uuid.uuid4()}", json=[statement()], headers=lrs
    )
    assert response.status_code == 400


def test_same_id_same_content_is_a_no_op_and_other_content_is_409(client, lrs):
    """Communication 2.1.1.s2.b2: "An LRS MUST NOT make any modifications to its
    state based on receiving a Statement with a statementId that it already has";
    b3: it "SHOULD return 409 Conflict if they do not match"."""
    statement_id = str(uuid.uuid4())
    url = f"/xapi/statements?statementId={statement_id}"
    assert client.put(url, json=statement(), headers=lrs).status_code == 204
    first = _get(client, lrs, f"?statementId={statement_id}").data
    assert client.put(url, json=statement(), headers=lrs).status_code == 204
    changed = statement(verb={"id": "http://adlnet.gov/expapi/verbs/attempted"})
    conflict = client.put(url, json=changed, headers=lrs)
    assert conflict.status_code == 409
    assert statement_id in orjson.loads(conflict.data)["error"]
    assert _get(client, lrs, f"?statementId={statement_id}").data == first
    posted = client.post(
        "/xapi/statements", json={**changed, "id": statement_id}, headers=lrs
    )
    assert posted.status_code == 409


# --- POST ----------------------------------------------------------------------------


def test_post_one_statement_or_an_array_returns_ids_in_order(client, lrs):
    """Communication 2.1.2: POST "Returns: 200 OK, Array of Statement id(s) (UUID) in
    the same order as the corresponding stored Statements"."""
    given = str(uuid.uuid4())
    ids = _post(client, lrs, statement(), statement(id=given), statement())
    assert len(ids) == 3 and ids[1] == given
    single = client.post("/xapi/statements", json=statement(), headers=lrs)
    assert single.status_code == 200
    assert len(orjson.loads(single.data)) == 1
    assert len(_listed(client, lrs)) == 4


def test_a_batch_is_all_or_nothing(client, lrs):
    """Communication 3.2.s3.b9: "The LRS MUST reject a batch of statements if any
    Statement within that batch is rejected"."""
    bad = statement(verb={"id": "not an iri"})
    response = client.post("/xapi/statements", json=[statement(), bad], headers=lrs)
    assert response.status_code == 400
    assert "statements[1].verb.id" in orjson.loads(response.data)["error"]
    assert _listed(client, lrs) == []


def test_a_batch_with_one_id_twice_is_400(client, lrs):
    """Communication 2.1.2.s2.b6: "If the LRS receives a batch of Statements
    containing two or more Statements with the same id, it SHOULD* reject the batch
    and return 400 Bad Request"."""
    same = str(uuid.uuid4())
    response = client.post(
        "/xapi/statements", json=[statement(id=same), statement(id=same)], headers=lrs
    )
    assert response.status_code == 400
    assert _listed(client, lrs) == []


def test_post_rejects_query_parameters(client, lrs):
    """Communication 2.1.2.s2.b3: "The LRS MUST differentiate a POST to add a
    Statement or to list Statements based on the parameters passed"; a storing POST
    takes none."""
    response = client.post("/xapi/statements?limit=1", json=statement(), headers=lrs)
    assert response.status_code == 400


def test_stored_statements_get_stored_authority_and_version(client, lrs):
    """Data 2.4.8: the LRS "MUST overwrite any value currently in the stored
    property"; 2.4.9: the authority is the client's; 2.4.10: "If they lack a version,
    the version MUST be set to 1.0.0"."""
    forged = {"objectType": "Agent", "mbox": "mailto:boss@example.org"}
    [statement_id] = _post(
        client, lrs, statement(stored="2000-01-01T00:00:00Z", authority=forged)
    )
    stored = orjson.loads(_get(client, lrs, f"?statementId={statement_id}").data)
    assert stored["stored"] != "2000-01-01T00:00:00Z"
    assert stored["authority"]["account"]["name"].startswith("client/")
    assert stored["version"] == "1.0.0"
    assert stored["timestamp"] == stored["stored"]


# --- GET one -------------------------------------------------------------------------


def test_get_by_id_has_last_modified_etag_and_consistent_through(client, lrs):
    """Communication 2.1.3.s2.b8: "The LRS SHOULD* include a Last-Modified header
    which matches the stored Timestamp of the Statement"; b5: "The LRS MUST include
    the header X-Experience-API-Consistent-Through ... on all responses"."""
    [statement_id] = _post(client, lrs, statement())
    response = _get(client, lrs, f"?statementId={statement_id}")
    stored = datetime.fromisoformat(orjson.loads(response.data)["stored"])
    assert response.last_modified == stored.replace(microsecond=0)
    assert response.headers["ETag"].startswith('"')
    through = response.headers["X-Experience-API-Consistent-Through"]
    assert datetime.fromisoformat(through) <= datetime.now(UTC)


def test_get_an_unknown_id_is_404(client, lrs):
    """Communication 3.2.s2.b4: 404 for "the method to retrieve a single Statement"."""
    _get(client, lrs, f"?statementId={uuid.uuid4()}", status=404)
    _get(client, lrs, f"?voidedStatementId={uuid.uuid4()}", status=404)


@pytest.mark.parametrize(
    "query",
    [
        "?statementId={id}&voidedStatementId={id}",
        "?statementId={id}&limit=1",
        "?statementId={id}&verb=http://example.org/v",
        "?voidedStatementId={id}&ascending=true",
        "?statementId=nope",
        "?statementId={id}&format=full",
        "?statementId={id}&attachments=yes",
    ],
)
def test_single_statement_parameter_rules(client, lrs, query):
    """Communication 2.1.3.s2.b1: 400 for "both statementId and voidedStatementId";
    b2: 400 for "statementId or voidedStatementId parameters, and also ... any other
    parameter besides attachments or format"."""
    [statement_id] = _post(client, lrs, statement())
    _get(client, lrs, query.format(id=statement_id), status=400)


def test_with_an_id_attachments_and_format_are_allowed(client, lrs):
    """Communication 2.1.3.s2.b2: "attachments" and "format" may come with an id."""
    [statement_id] = _post(client, lrs, statement())
    response = _get(
        client, lrs, f"?statementId={statement_id}&format=ids&attachments=false"
    )
    assert orjson.loads(response.data)["actor"] == {
        "objectType": "Agent",
        "mbox": "mailto:learner@example.org",
    }


# --- Voiding -------------------------------------------------------------------------


def _void(target: str) -> dict:
    return statement(
        verb={"id": VOIDED, "display": {"en-US": "voided"}},
        object={"objectType": "StatementRef", "id": target},
    )


def test_voided_statements_are_only_returned_by_voided_statement_id(client, lrs):
    """Communication 2.1.4.s1.b1: "The LRS MUST not return any Statement which has
    been voided, unless that Statement has been requested by voidedStatementId";
    b2: it "MUST still return any Statements targeting the voided Statement"."""
    [target] = _post(client, lrs, statement())
    [voiding] = _post(client, lrs, _void(target))
    _get(client, lrs, f"?statementId={target}", status=404)
    voided = orjson.loads(_get(client, lrs, f"?voidedStatementId={target}").data)
    assert voided["id"] == target
    listed = [s["id"] for s in _listed(client, lrs)]
    assert listed == [voiding]
    by_activity = _listed(client, lrs, "?activity=http://example.org/activities/one")
    assert [s["id"] for s in by_activity] == [voiding]
    _get(client, lrs, f"?voidedStatementId={voiding}", status=404)


# --- GET many ------------------------------------------------------------------------


def test_no_match_is_an_empty_statement_result(client, lrs):
    """Communication 2.1.3.s2.b4: "In the event that no Statements are found ... the
    LRS MUST still return 200 OK and a StatementResult Object ... the statements
    property will contain an empty array"."""
    response = _get(client, lrs, "?verb=http://example.org/never")
    assert orjson.loads(response.data) == {"statements": [], "more": ""}


def _seed(client, lrs) -> dict[str, str]:
    """Store statements that each filter tells apart; return their ids by name."""
    registration = str(uuid.uuid4())
    other_agent = {"objectType": "Agent", "mbox": "mailto:other@example.org"}
    group = {
        "objectType": "Group",
        "member": [{"mbox": "mailto:learner@example.org"}],
    }
    items = {
        "plain": statement(),
        "registered": statement(
            actor=other_agent, context={"registration": registration}
        ),
        "in_group": statement(actor=group, verb={"id": "http://example.org/verbs/met"}),
        "as_parent": statement(
            actor=other_agent,
            object={"id": "http://example.org/activities/two"},
            context={
                "contextActivities": {
                    "parent": {"id": "http://example.org/activities/one"}
                },
                "instructor": {"mbox": "mailto:learner@example.org"},
            },
        ),
    }
    ids = {}
    for name, item in items.items():
        [ids[name]] = _post(client, lrs, item)
    ids["registration"] = registration
    return ids


AGENT = quote('{"mbox": "mailto:learner@example.org"}')


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (f"?agent={AGENT}", {"plain", "in_group"}),
        (f"?agent={AGENT}&related_agents=true", {"plain", "in_group", "as_parent"}),
        (
            "?activity=http://example.org/activities/one",
            {"plain", "registered", "in_group"},
        ),
        (
            "?activity=http://example.org/activities/one&related_activities=true",
            {"plain", "registered", "in_group", "as_parent"},
        ),
        ("?verb=http://example.org/verbs/met", {"in_group"}),
        ("?registration={registration}", {"registered"}),
        (f"?agent={AGENT}&verb=http://example.org/verbs/met", {"in_group"}),
    ],
)
def test_filters(client, lrs, query, expected):
    """Communication 2.1.3: agent matches "the Actor or Object", including "Groups
    that have members which match"; related_agents adds "Authority, Instructor,
    Team"; activity matches the Object; related_activities adds "any of the context
    Activities"; verb and registration match exactly; filters combine."""
    ids = _seed(client, lrs)
    found = {s["id"] for s in _listed(client, lrs, query.format(**ids))}
    assert found == {ids[name] for name in expected}


def test_related_agents_matches_the_authority(client, lrs):
    """Communication 2.1.3 related_agents: "Include Statements for which the Actor,
    Object, Authority ... match the Agent parameter"."""
    [statement_id] = _post(client, lrs, statement())
    authority = orjson.loads(_get(client, lrs, f"?statementId={statement_id}").data)[
        "authority"
    ]
    agent = quote(orjson.dumps(authority).decode())
    assert _listed(client, lrs, f"?agent={agent}") == []
    related = _listed(client, lrs, f"?agent={agent}&related_agents=true")
    assert [s["id"] for s in related] == [statement_id]


def test_order_since_until_and_ascending(client, lrs):
    """Communication 2.1.3: statements come "in reverse chronological order based on
    stored time"; "since" is exclusive, "until" inclusive; ascending=true reverses."""
    ids = [_post(client, lrs, statement())[0] for _ in range(3)]
    listed = _listed(client, lrs)
    assert [s["id"] for s in listed] == ids[::-1]
    ascending = _listed(client, lrs, "?ascending=true")
    assert [s["id"] for s in ascending] == ids
    middle = listed[1]["stored"]
    since = _listed(client, lrs, f"?since={quote(middle)}")
    assert [s["id"] for s in since] == [ids[2]]
    until = _listed(client, lrs, f"?until={quote(middle)}")
    assert [s["id"] for s in until] == [ids[1], ids[0]]


@pytest.mark.parametrize(
    "query",
    [
        "?agent={bad",
        '?agent={"name": "no ifi"}',
        '?agent={"objectType": "Group", "member": [{"mbox": "mailto:a@b.c"}]}',
        "?verb=not-an-iri",
        "?activity=not an iri",
        "?registration=123",
        "?since=yesterday",
        "?until=2024-13-01T00:00:00Z",
        "?limit=-1",
        "?limit=ten",
        "?ascending=yes",
        "?related_agents=1",
        "?format=full",
        "?Verb=http://example.org/v",
        "?unknown=1",
        "?limit=1&limit=2",
        "?cursor=abc",
    ],
)
def test_bad_query_parameters_are_400(client, lrs, query):
    """Communication 3.2.s3.b7/b8: 400 for parameters "which the LRS does not
    recognize" and those "matching parameters described in this specification in all
    but case"; malformed values are "invalid arguments" (3.2.s2.b1)."""
    response = _get(client, lrs, query, status=400)
    assert orjson.loads(response.data)["error"]


def test_a_malformed_agent_is_400_naming_agent(client, lrs):
    """A malformed agent parameter is a 400 whose message names "agent"."""
    response = _get(client, lrs, "?agent={bad", status=400)
    assert "agent" in orjson.loads(response.data)["error"]


def test_more_pages_stay_stable_while_statements_arrive(client, lrs):
    """Data 2.5.s2: "more" is a "Relative IRL that can be used to fetch more
    results, including the full path ... excluding scheme, host, and port"; 2.5.s3:
    it "MUST be usable for at least 24 hours". New statements do not shift pages."""
    ids = [_post(client, lrs, statement())[0] for _ in range(5)]
    first = orjson.loads(_get(client, lrs, "?limit=2").data)
    assert [s["id"] for s in first["statements"]] == ids[4:2:-1]
    assert first["more"].startswith("/xapi/statements?")
    _post(client, lrs, statement(), statement())
    second = orjson.loads(
        _get(client, lrs, first["more"][len("/xapi/statements") :]).data
    )
    assert [s["id"] for s in second["statements"]] == ids[2:0:-1]
    third = orjson.loads(
        _get(client, lrs, second["more"][len("/xapi/statements") :]).data
    )
    assert [s["id"] for s in third["statements"]] == [ids[0]]
    assert third["more"] == ""


def test_limit_is_capped_by_configuration(client, app, lrs, monkeypatch):
    """limit=0 "indicates return the maximum the server will allow"; the maximum is
    LRS_MAX_LIMIT."""
    for _ in range(3):
        _post(client, lrs, statement())
    monkeypatch.setitem(app.config, "LRS_MAX_LIMIT", 2)
    for query in ("", "?limit=0", "?limit=50"):
        result = orjson.loads(_get(client, lrs, query).data)
        assert len(result["statements"]) == 2 and result["more"]


def test_list_has_last_modified_of_the_newest_statement(client, lrs):
    """Last-Modified on a list is the stored time of its newest statement."""
    _post(client, lrs, statement())
    response = _get(client, lrs)
    newest = orjson.loads(response.data)["statements"][0]["stored"]
    assert response.last_modified == datetime.fromisoformat(newest).replace(
        microsecond=0
    )


def test_head_answers_like_get_without_a_body(client, lrs):
    """Communication 1.1.s3.b1: "The LRS MUST respond to any HTTP HEAD request as it
    would have responded to an otherwise identical HTTP GET request except: The
    message-body MUST be omitted"."""
    _post(client, lrs, statement())
    get = _get(client, lrs)
    head = client.head("/xapi/statements", headers=lrs)
    assert head.status_code == 200 and head.data == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["Last-Modified"] == get.headers["Last-Modified"]


# --- Formats -------------------------------------------------------------------------


def test_format_ids_reduces_objects_to_identifiers(client, lrs):
    """Communication 2.1.3 format "ids": "only include minimum information necessary
    in Agent, Activity, Verb and Group Objects to identify them. For Anonymous Groups
    this means including the minimum information needed to identify each member"."""
    group = {
        "objectType": "Group",
        "name": "Team",
        "member": [{"name": "A", "mbox": "mailto:a@example.org"}],
    }
    _post(client, lrs, statement(actor=group))
    [found] = _listed(client, lrs, "?format=ids")
    assert found["actor"] == {
        "objectType": "Group",
        "member": [{"mbox": "mailto:a@example.org"}],
    }
    assert found["verb"] == {"id": "http://adlnet.gov/expapi/verbs/experienced"}
    assert found["object"] == {
        "objectType": "Activity",
        "id": "http://example.org/activities/one",
    }


@pytest.mark.parametrize(
    ("accept", "verb", "name"),
    [
        ("da", "da", "da"),
        ("en-US,da;q=0.5", "en-US", "en-US"),
        ("en", "en-US", "en-US"),
        ("fr, da;q=0.1", "da", "da"),
        ("fr", "en-US", "en-US"),
        (None, "en-US", "en-US"),
    ],
)
def test_format_canonical_keeps_one_language(client, lrs, accept, verb, name):
    """Communication 2.1.3.s4.b1: "The LRS MUST return only one language in each of
    these maps"; b5: "the LRS MUST apply the Accept-Language header ... to each
    language map individually"; with no acceptable language, English."""
    _post(client, lrs, statement())
    headers = {**lrs, **({"Accept-Language": accept} if accept else {})}
    response = client.get("/xapi/statements?format=canonical", headers=headers)
    [found] = orjson.loads(response.data)["statements"]
    assert list(found["verb"]["display"]) == [verb]
    assert list(found["object"]["definition"]["name"]) == [name]


def test_format_exact_returns_what_was_stored(client, lrs):
    """Communication 2.1.3 format "exact": "return Agent, Activity, Verb and Group
    Objects populated exactly as they were when the Statement was received"."""
    sent = statement()
    _post(client, lrs, sent)
    [found] = _listed(client, lrs, "?format=exact")
    assert found["verb"] == sent["verb"] and found["object"] == sent["object"]


# --- Read scopes ---------------------------------------------------------------------


def test_read_mine_returns_only_the_clients_own_statements(client, make_client):
    """Communication 4.2.s2: "statements/read/mine: read Statements written by "me",
    that is with an authority matching what the LRS would assign if writing a
    Statement with the current token"."""
    mine = make_client("statements/write", "statements/read/mine")
    other = make_client("statements/write")
    reader = make_client("statements/read")
    [own] = _post(client, mine, statement())
    [theirs] = _post(client, other, statement())
    assert [s["id"] for s in _listed(client, mine)] == [own]
    _get(client, mine, f"?statementId={theirs}", status=404)
    _get(client, mine, f"?statementId={own}")
    assert {s["id"] for s in _listed(client, reader)} == {own, theirs}


def test_timestamps_compare_in_utc(client, lrs):
    """since/until accept any ISO 8601 offset and compare instants."""
    _post(client, lrs, statement())
    later = (datetime.now(UTC) + timedelta(hours=1)).astimezone(
        __import__("datetime").timezone(timedelta(hours=2))
    )
    assert _listed(client, lrs, f"?since={quote(later.isoformat())}") == []
    assert len(_listed(client, lrs, f"?until={quote(later.isoformat())}")) == 1


def test_a_batch_aborted_by_a_deadlock_is_retried(client, lrs, monkeypatch):
    """A batch that the database aborts because of a concurrent one (deadlock or
    serialization failure) is retried, not answered with an error."""
    from sqlalchemy.exc import OperationalError

    from lms.lrs import write

    class Deadlock(Exception):
        sqlstate = "40P01"

    real, calls = write.ingest, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("INSERT", {}, Deadlock())
        return real(*args, **kwargs)

    monkeypatch.setattr(write, "ingest", flaky)
    ids = _post(client, lrs, statement())
    assert len(calls) == 2
    assert [s["id"] for s in _listed(client, lrs)] == ids
