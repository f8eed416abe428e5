"""TinCanPython's RemoteLRS, a third-party client, on statements over live HTTP."""

from __future__ import annotations

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
    StatementRef,
    Verb,
)
from werkzeug.serving import make_server

#: RemoteLRS has no timeout; the socket default bounds it so a stuck server fails.
CLIENT_TIMEOUT = 20
ACTIVITY = "http://example.org/activities/tincan-statements"
EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


@pytest.fixture
def remote(app, runner):
    """Serve the app on 127.0.0.1; return a RemoteLRS with credentials from the CLI."""
    key, secret = f"tc-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    created = runner.invoke(
        args=["lrs", "create-client", "TinCan", "--key", key, "--secret", secret]
        + ["--scope", "statements/write", "--scope", "statements/read"]
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


def _statement(name: str = "learner", verb: str = EXPERIENCED) -> Statement:
    return Statement(
        id=str(uuid.uuid4()),
        actor=Agent(name=name, mbox=f"mailto:{name}@example.org"),
        verb=Verb(id=verb, display=LanguageMap({"en-US": "experienced"})),
        object=Activity(
            id=ACTIVITY,
            definition=ActivityDefinition(name=LanguageMap({"en-US": "Course"})),
        ),
    )


def test_about(remote):
    """RemoteLRS reads /about and finds 1.0.3."""
    response = remote.about()
    assert response.success
    assert "1.0.3" in response.content.version


def test_save_retrieve_and_query(remote):
    """RemoteLRS saves one statement and a batch, retrieves one by id, and queries by
    agent, verb and activity (Communication 2.1)."""
    one = _statement()
    saved = remote.save_statement(one)
    assert saved.success, saved.data
    batch = [_statement("other"), _statement("other")]
    assert remote.save_statements(batch).success
    fetched = remote.retrieve_statement(str(one.id))
    assert fetched.success
    assert str(fetched.content.id) == str(one.id)
    assert fetched.content.stored is not None
    assert fetched.content.authority.account.name.startswith("client/tc-")
    by_agent = remote.query_statements(
        {"agent": Agent(mbox="mailto:other@example.org")}
    )
    assert by_agent.success
    assert {str(s.id) for s in by_agent.content.statements} == {
        str(s.id) for s in batch
    }
    by_activity = remote.query_statements(
        {"activity": Activity(id=ACTIVITY), "verb": Verb(id=EXPERIENCED)}
    )
    assert len(by_activity.content.statements) == 3


def test_paging_with_more(remote):
    """RemoteLRS follows "more" URLs (Data 2.5) until the listing ends."""
    sent = [_statement() for _ in range(5)]
    assert remote.save_statements(sent).success
    page = remote.query_statements({"limit": 2})
    seen = [str(s.id) for s in page.content.statements]
    while page.content.more:
        page = remote.more_statements(page.content)
        assert page.success
        seen += [str(s.id) for s in page.content.statements]
    assert seen == [str(s.id) for s in reversed(sent)]


def test_void(remote):
    """RemoteLRS voids a statement; it is then only found by voidedStatementId
    (Communication 2.1.4)."""
    target = _statement()
    assert remote.save_statement(target).success
    voiding = Statement(
        actor=Agent(mbox="mailto:admin@example.org"),
        verb=Verb(id=VOIDED, display=LanguageMap({"en-US": "voided"})),
        object=StatementRef(id=target.id),
    )
    assert remote.save_statement(voiding).success
    assert remote.retrieve_statement(str(target.id)).response.status == 404
    voided = remote.retrieve_voided_statement(str(target.id))
    assert voided.success
    assert str(voided.content.id) == str(target.id)


def test_a_conflicting_statement_is_refused(remote):
    """Communication 2.1.1.s2.b3: the same id with other content is a 409."""
    one = _statement()
    assert remote.save_statement(one).success
    changed = _statement("someone-else")
    changed.id = one.id
    response = remote.save_statement(changed)
    assert not response.success
    assert response.response.status == 409
