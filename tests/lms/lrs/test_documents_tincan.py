"""A third-party client, TinCanPython's RemoteLRS, on documents, Persons, Activities."""

from __future__ import annotations

import json
import socket
import threading
import uuid

import pytest
from tincan import (
    Activity,
    ActivityDefinition,
    Agent,
    LanguageMap,
    RemoteLRS,
    Statement,
    Verb,
)
from tincan.documents import (
    ActivityProfileDocument,
    AgentProfileDocument,
    StateDocument,
)
from tincan.http_request import HTTPRequest
from werkzeug.serving import make_server

ACTIVITY_ID = "http://example.org/activities/tincan-course"
#: RemoteLRS opens http.client connections without a timeout; the socket default
#: bounds them, so a stuck server fails the test instead of hanging the suite.
CLIENT_TIMEOUT = 20


@pytest.fixture
def live_lrs(app, runner):
    """Serve the app on 127.0.0.1 and return a RemoteLRS with CLI-made credentials."""
    key, secret = f"tincan-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    created = runner.invoke(
        args=["lrs", "create-client", "TinCan", "--key", key, "--secret", secret]
        + ["--scope", "all"]
    )
    assert created.exit_code == 0, created.output
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(CLIENT_TIMEOUT)
    try:
        yield RemoteLRS(
            endpoint=f"http://127.0.0.1:{server.server_port}/xapi/",
            version="1.0.3",
            username=key,
            password=secret,
        )
    finally:
        socket.setdefaulttimeout(previous)
        server.shutdown()
        thread.join(timeout=5)


def etag_of(response) -> str:
    """Return the ETag header of a RemoteLRS response (it does not read it itself)."""
    return response.response.getheader("ETag")


def test_state_save_load_list_delete(live_lrs):
    """RemoteLRS saves, loads, lists and deletes State documents (2.3)."""
    agent = Agent(mbox="mailto:tincan@example.org")
    activity = Activity(id=ACTIVITY_ID)
    bookmark = StateDocument(
        id="bookmark",
        activity=activity,
        agent=agent,
        content='{"page": 3}',
        content_type="application/json",
    )
    assert live_lrs.save_state(bookmark).success
    loaded = live_lrs.retrieve_state(activity, agent, "bookmark")
    assert loaded.success and loaded.response.status == 200
    assert bytes(loaded.content.content) == b'{"page": 3}'
    assert loaded.response.getheader("Content-Type") == "application/json"
    listed = live_lrs.retrieve_state_ids(activity, agent)
    assert listed.success and listed.content == ["bookmark"]

    assert live_lrs.delete_state(bookmark).success
    gone = live_lrs.retrieve_state(activity, agent, "bookmark")
    assert gone.response.status == 404
    assert live_lrs.save_state(bookmark).success
    assert live_lrs.clear_state(activity, agent).success
    assert live_lrs.retrieve_state_ids(activity, agent).content == []


def test_activity_profile_with_concurrency(live_lrs):
    """RemoteLRS saves an Activity Profile; overwriting needs the ETag (3.1)."""
    activity = Activity(id=ACTIVITY_ID)
    profile = ActivityProfileDocument(
        id="settings",
        activity=activity,
        content="volume=3",
        content_type="text/plain",
    )
    assert live_lrs.save_activity_profile(profile).success
    profile.content = "volume=4"
    refused = live_lrs.save_activity_profile(profile)
    assert not refused.success and refused.response.status == 409

    loaded = live_lrs.retrieve_activity_profile(activity, "settings")
    assert bytes(loaded.content.content) == b"volume=3"
    profile.etag = etag_of(loaded)
    assert live_lrs.save_activity_profile(profile).success
    again = live_lrs.retrieve_activity_profile(activity, "settings")
    assert bytes(again.content.content) == b"volume=4"
    assert live_lrs.retrieve_activity_profile_ids(activity).content == ["settings"]

    profile.etag = etag_of(loaded)  # now stale
    stale = live_lrs.delete_activity_profile(profile)
    assert stale.response.status == 412
    profile.etag = etag_of(again)
    assert live_lrs.delete_activity_profile(profile).success
    assert live_lrs.retrieve_activity_profile_ids(activity).content == []


def test_agent_profile_save_and_load(live_lrs):
    """RemoteLRS saves, loads, lists and deletes an Agent Profile (2.6)."""
    agent = Agent(account={"home_page": "https://idp.example.org", "name": "u-7"})
    profile = AgentProfileDocument(
        id="preferences",
        agent=agent,
        content=json.dumps({"language": "da"}),
        content_type="application/json",
    )
    assert live_lrs.save_agent_profile(profile).success
    loaded = live_lrs.retrieve_agent_profile(agent, "preferences")
    assert json.loads(bytes(loaded.content.content)) == {"language": "da"}
    assert live_lrs.retrieve_agent_profile_ids(agent).content == ["preferences"]
    profile.etag = etag_of(loaded)
    assert live_lrs.delete_agent_profile(profile).success
    assert live_lrs.retrieve_agent_profile_ids(agent).content == []


def test_person_and_activity(live_lrs):
    """The Agents resource returns a Person and the Activities resource the
    canonical definition that a client with the "all" scope defined (2.4, 2.5)."""
    agent = Agent(mbox="mailto:tincan@example.org", name="Tin Can")
    definition = ActivityDefinition(name=LanguageMap({"en-US": "TinCan course"}))
    sent = Statement(
        actor=agent,
        verb=Verb(
            id="http://adlnet.gov/expapi/verbs/experienced",
            display=LanguageMap({"en-US": "experienced"}),
        ),
        object=Activity(id=ACTIVITY_ID, definition=definition),
    )
    assert live_lrs.save_statement(sent).success

    person = _get(live_lrs, "agents", agent=Agent(mbox=agent.mbox).to_json("1.0.3"))
    assert person == {
        "objectType": "Person",
        "name": ["Tin Can"],
        "mbox": ["mailto:tincan@example.org"],
    }
    activity = _get(live_lrs, "activities", activityId=ACTIVITY_ID)
    assert activity == {
        "objectType": "Activity",
        "id": ACTIVITY_ID,
        "definition": {"name": {"en-US": "TinCan course"}},
    }


def _get(lrs: RemoteLRS, resource: str, **params) -> dict:
    """GET a resource RemoteLRS has no method for, through its own request path."""
    request = HTTPRequest(method="GET", resource=resource)
    request.query_params = params
    response = lrs._send_request(request)
    assert response.success, response.data
    return json.loads(response.data)
