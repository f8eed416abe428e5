"""The Agents resource (Person objects) and the Activities resource over HTTP."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.conftest import BASE_URL
from tests.lms.lrs.conftest import statement

AGENTS = "/xapi/agents"
ACTIVITIES = "/xapi/activities"
ACTIVITY = "http://example.org/activities/one"
MODULE_TYPE = "http://adlnet.gov/expapi/activities/module"


def person_of(client, headers, agent):
    """GET the Person object of an Agent."""
    return client.get(
        AGENTS, query_string={"agent": json.dumps(agent)}, headers=headers
    )


def activity_of(client, headers, activity_id=ACTIVITY):
    """GET the Activity object of an id."""
    return client.get(
        ACTIVITIES, query_string={"activityId": activity_id}, headers=headers
    )


def post_statements(client, headers, *batch):
    """POST statements and check they were stored."""
    response = client.post("/xapi/statements", json=list(batch), headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)


# --- Agents ---------------------------------------------------------------------------


def test_unknown_agent_gets_a_person_of_itself(client, lrs):
    """ "If an LRS does not have any additional information about an Agent to
    return, the LRS MUST still return a Person Object when queried, but that Person
    Object will only include the information associated with the requested Agent"
    (2.4.s3.b3); "each attribute has an array value" (2.4.s2)."""
    agent = {"objectType": "Agent", "mbox": "mailto:nobody@example.org"}
    response = person_of(client, lrs, agent)
    assert response.status_code == 200
    assert response.get_json() == {
        "objectType": "Person",
        "mbox": ["mailto:nobody@example.org"],
    }
    assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("agent", "ifi", "value"),
    [
        ({"mbox_sha1sum": "a" * 40}, "mbox_sha1sum", "a" * 40),
        ({"openid": "https://openid.example.org/u"}, "openid", None),
        ({"account": {"homePage": "https://x.org", "name": "u1"}}, "account", None),
    ],
)
def test_person_arrays_hold_agent_values(client, lrs, agent, ifi, value):
    """ "All array properties MUST be populated with members with the same
    definition as the similarly named property from Agent Objects" (2.4.s6.b1)."""
    found = person_of(client, lrs, agent).get_json()
    assert found[ifi] == [value or agent[ifi]]
    assert set(found) == {"objectType", ifi}


def test_person_combines_names_from_statements(client, lrs):
    """The Person object is "a person-centric view of the LRS Agent data": names the
    Agent was given in stored statements are listed (2.4.s2)."""
    named = {"objectType": "Agent", "mbox": "mailto:kim@example.org", "name": "Kim"}
    post_statements(client, lrs, statement(actor=named))
    found = person_of(client, lrs, {"mbox": "mailto:kim@example.org"}).get_json()
    assert found == {
        "objectType": "Person",
        "name": ["Kim"],
        "mbox": ["mailto:kim@example.org"],
    }


def test_our_learners_stay_pseudonymous(client, lrs, make_user):
    """Our learners are accounts on LMS_BASE_URL, "Never a name or an email"
    (DESIGN.md): the Person object carries the account and nothing else, even
    when a client sent a name with that account."""
    user = make_user(email="real.person@example.org")
    account = {"homePage": BASE_URL, "name": user.uuid}
    post_statements(client, lrs, statement(actor={"account": account, "name": "Leak"}))
    response = person_of(client, lrs, {"objectType": "Agent", "account": account})
    assert response.get_json() == {"objectType": "Person", "account": [account]}
    text = response.get_data(as_text=True)
    assert user.name not in text and user.email not in text and "Leak" not in text


@pytest.mark.parametrize(
    "agent",
    [
        "{broken",
        json.dumps({"objectType": "Group", "mbox": "mailto:g@example.org"}),
        json.dumps({"objectType": "Person", "mbox": ["mailto:a@example.org"]}),
        json.dumps({"mbox": "mailto:a@example.org", "openid": "https://o.org/a"}),
    ],
)
def test_agent_parameter_is_one_agent(client, lrs, agent):
    """ "The "agent" parameter is a normal Agent Object with a single identifier and
    no arrays. It is not a Person Object, nor is it a Group" (2.4.s2)."""
    response = client.get(AGENTS, query_string={"agent": agent}, headers=lrs)
    assert response.status_code == 400
    assert "agent" in response.get_json()["error"]


def test_agent_parameter_is_required(client, lrs):
    """agent is Required (2.4.s2 table)."""
    assert client.get(AGENTS, headers=lrs).status_code == 400


# --- Activities -----------------------------------------------------------------------


def test_unknown_activity_is_an_activity_object(client, lrs):
    """ "If an LRS does not have a canonical definition of the Activity to return,
    the LRS SHOULD* still return an Activity Object when queried" (2.5.s2.b1)."""
    response = activity_of(client, lrs, "http://example.org/never-seen")
    assert response.status_code == 200
    assert response.get_json() == {
        "objectType": "Activity",
        "id": "http://example.org/never-seen",
    }


def test_definition_from_a_client_with_define_is_canonical(client, make_client):
    """Scope "define": "(re)Define Activities and Actors" (4.2.s2); the LRS "SHOULD
    update the stored Activity Definition" when it considers the provider to have
    the authority to change it (Data 2.4.4.1.s4.b3)."""
    definer = make_client("statements/write", "define")
    post_statements(client, definer, statement())
    found = activity_of(client, definer).get_json()
    assert found == {
        "objectType": "Activity",
        "id": ACTIVITY,
        "definition": {"name": {"en-US": "One", "da": "En"}},
    }


def test_definition_without_define_changes_nothing(client, make_client):
    """ "If storing a Statement when this is not granted, ids will be saved ... but
    SHOULD NOT update its canonical representation of any Actors or Activities"
    (4.2.s2, define)."""
    definer = make_client("statements/write", "define")
    writer = make_client("statements/write", "statements/read")
    post_statements(client, definer, statement())
    other = {
        "objectType": "Activity",
        "id": ACTIVITY,
        "definition": {"name": {"en-US": "Spoofed"}},
    }
    post_statements(client, writer, statement(object=other))
    found = activity_of(client, writer).get_json()
    assert found["definition"]["name"] == {"en-US": "One", "da": "En"}
    fresh = {**other, "id": "http://example.org/activities/fresh"}
    post_statements(client, writer, statement(object=fresh))
    assert "definition" not in activity_of(client, writer, fresh["id"]).get_json()


def test_lms_modules_define_their_activities(app, client, lrs, make_user):
    """The LMS is a trusted source of its own activities: enrolling writes a
    statement whose module definition becomes canonical."""
    from lms.content import current_version
    from lms.operations.learning import enrol

    version = current_version("understanding-technology")
    learner = make_user()
    with app.test_request_context():  # statements carry the UI language
        enrol(learner, version.slug)
    module_id = f"{BASE_URL}/xapi/activities/module/{version.slug}"
    found = activity_of(client, lrs, module_id).get_json()
    assert found["id"] == module_id
    assert found["definition"]["type"] == MODULE_TYPE
    assert found["definition"]["name"]["da"] == version.title_da


def test_activity_id_must_be_an_iri(client, lrs):
    """activityId is an "Activity id (IRI)", Required (2.5.s1 table)."""
    assert activity_of(client, lrs, "no iri").status_code == 400
    assert client.get(ACTIVITIES, headers=lrs).status_code == 400


# --- Shared rules ---------------------------------------------------------------------


@pytest.mark.parametrize("url", [AGENTS, ACTIVITIES])
def test_get_and_head_have_an_etag(client, lrs, url):
    """ "An LRS responding to a GET request MUST add an ETag HTTP header", the SHA-1
    of the contents in quotes (3.1.s4.b1-b4); HEAD answers the same without a body
    (1.1.s3.b1)."""
    params = (
        {"agent": json.dumps({"mbox": "mailto:a@example.org"})}
        if url == AGENTS
        else {"activityId": ACTIVITY}
    )
    got = client.get(url, query_string=params, headers=lrs)
    digest = hashlib.sha1(got.get_data()).hexdigest()
    assert got.headers["ETag"] == f'"{digest}"'
    head = client.head(url, query_string=params, headers=lrs)
    assert head.status_code == 200 and head.get_data() == b""
    assert head.headers["ETag"] == got.headers["ETag"]


@pytest.mark.parametrize("url", [AGENTS, ACTIVITIES])
@pytest.mark.parametrize(
    ("scopes", "expected"),
    [
        (("state", "profile", "statements/write"), 403),
        (("statements/read",), 200),
        (("define",), 200),
        (("all/read",), 200),
    ],
)
def test_scopes(client, make_client, url, scopes, expected):
    """The LRS "MUST reject with 403 Forbidden status any request ... where the
    credentials ... do not have permission to make that request" (3.2.s3.b10)."""
    params = (
        {"agent": json.dumps({"mbox": "mailto:a@example.org"})}
        if url == AGENTS
        else {"activityId": ACTIVITY}
    )
    response = client.get(url, query_string=params, headers=make_client(*scopes))
    assert response.status_code == expected


@pytest.mark.parametrize("url", [AGENTS, ACTIVITIES])
def test_only_get_is_allowed(client, lrs, url):
    """Agents and Activities answer GET (and HEAD) only (2.4, 2.5)."""
    assert client.put(url, headers=lrs).status_code == 405
    assert client.delete(url, headers=lrs).status_code == 405


def test_no_credentials_is_401(client):
    """ "401 Unauthorized - Indicates that authentication is required" (3.2.s2.b2)."""
    response = client.get(
        ACTIVITIES,
        query_string={"activityId": ACTIVITY},
        headers={"X-Experience-API-Version": "1.0.3"},
    )
    assert response.status_code == 401
