"""Round trips to PostgreSQL: a fast read must not wait on the server more than it
needs to (no pre-ping, and no BEGIN or ROLLBACK around the LRS's reads)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from psycopg.pq import Trace
from sqlalchemy import event

from lms.database import WriteWhileReading, read_without_transaction
from lms.extensions import db
from lms.lrs import http
from lms.models import LRSClient
from tests.lms.faults import dispose, lrs_headers, twin_app

pytestmark = pytest.mark.postgres_only

ACTIVITY = "http://example.org/activities/counted"
#: Frontend messages after which the client waits for the server's answer.
WAITS = ("Query", "Sync", "CopyDone", "CopyFail")


class Wire:
    """What a twin app's connections send to PostgreSQL, from libpq's own trace."""

    def __init__(self, engine, path: Path) -> None:
        self.path = path
        path.touch()
        self._seen = 0
        event.listen(engine, "connect", self._trace)

    def _trace(self, dbapi_connection, _record) -> None:
        # libpq writes each message it sends when sending it; its own descriptor
        # appends, so reading the file never moves where libpq writes.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        dbapi_connection.pgconn.trace(fd)
        dbapi_connection.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS)

    def sent(self) -> list[tuple[str, str]]:
        """Return (type, content) of the messages sent since the last call."""
        lines = self.path.read_text().splitlines()
        new, self._seen = lines[self._seen :], len(lines)
        fields = [line.split("\t") for line in new]
        return [(f[2], f[3] if len(f) > 3 else "") for f in fields if f[0] == "F"]

    def round_trips(self) -> list[str]:
        """Return what each wait for the server since the last call was for."""
        trips, text = [], ""
        for kind, content in self.sent():
            if kind in ("Query", "Parse"):
                # Query "text"; Parse "statement name" "text" ... (its first line)
                quoted = content.split('"')[1::2]
                text = next(filter(None, quoted), "")[:60]
            if kind in WAITS:
                trips.append(text)
        return trips


@pytest.fixture
def counted(session_app, app, tmp_path):
    """A twin app whose traffic to PostgreSQL is traced, and its wire."""
    twin = twin_app(session_app)
    with twin.app_context():
        wire = Wire(db.engine, tmp_path / "wire.log")
    yield twin, wire
    dispose(twin)


def _post_statements(client, headers, count: int = 3) -> None:
    statements = [
        {
            "actor": {"mbox": f"mailto:learner{n}@example.org"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "object": {"id": ACTIVITY},
        }
        for n in range(count)
    ]
    response = client.post("/xapi/statements", json=statements, headers=headers)
    assert response.status_code == 200


def test_an_lrs_page_is_one_round_trip(counted, monkeypatch):
    """GET /xapi/statements?activity=... sends its one SELECT and nothing else: no
    ping, no BEGIN, no ROLLBACK. Consistent-Through, when not reused, adds its one
    query; a "more" page adds the lookup of its cursor."""
    twin, wire = counted
    headers = lrs_headers()
    client = twin.test_client()
    _post_statements(client, headers)
    path = f"/xapi/statements?activity={ACTIVITY}&limit=2"
    assert client.get(path, headers=headers).status_code == 200
    wire.round_trips()

    monkeypatch.setattr(http, "CONSISTENT_THROUGH_REUSE", 3600.0)
    page = client.get(path, headers=headers)
    assert page.status_code == 200
    assert len(page.json["statements"]) == 2
    trips = wire.round_trips()
    assert len(trips) == 1, trips
    assert trips[0].startswith("SELECT xapi_statements.seq, xapi_statements.payload")

    monkeypatch.setattr(http, "_consistent", {"value": None, "at": 0.0})
    assert client.get(path, headers=headers).status_code == 200
    trips = wire.round_trips()
    assert len(trips) == 2, trips
    assert "pg_stat_activity" in trips[1]

    more = client.get(page.json["more"], headers=headers)
    assert more.status_code == 200
    assert len(more.json["statements"]) == 1
    assert len(wire.round_trips()) == 2


def test_a_health_check_is_one_round_trip(counted):
    twin, wire = counted
    client = twin.test_client()
    assert client.get("/healthz").status_code == 200
    wire.round_trips()
    assert client.get("/healthz").status_code == 200
    assert wire.round_trips() == ["SELECT 1"]


def test_no_request_pings_a_pooled_connection(counted, monkeypatch):
    """Writes keep their transaction, but no request pings the connection first:
    BEGIN is the first thing a write sends. Consistent-Through, when not reused,
    is one query after the COMMIT, without a transaction of its own."""
    twin, wire = counted
    headers = lrs_headers()
    client = twin.test_client()
    _post_statements(client, headers)
    wire.round_trips()

    monkeypatch.setattr(http, "CONSISTENT_THROUGH_REUSE", 3600.0)
    _post_statements(client, headers)
    trips = wire.round_trips()
    assert trips[0].startswith("BEGIN"), trips
    assert trips[-1] == "COMMIT"
    assert ";" not in trips

    monkeypatch.setattr(http, "_consistent", {"value": None, "at": 0.0})
    _post_statements(client, headers)
    trips = wire.round_trips()
    assert trips[0].startswith("BEGIN"), trips
    assert trips[-2] == "COMMIT"
    assert "pg_stat_activity" in trips[-1]


def _client() -> LRSClient:
    client = LRSClient(name="Counted", key="kcounted", scopes=["all"], authority={})
    client.set_secret("s" * 20)
    return client


def test_a_read_without_transaction_refuses_to_write(counted):
    """Writing after read_without_transaction would commit statement by statement,
    so the session refuses it; after the request, transactions are as before."""
    twin, wire = counted
    with twin.test_request_context("/xapi/statements"):
        read_without_transaction()
        db.session.add(_client())
        with pytest.raises(WriteWhileReading):
            db.session.flush()
        db.session.rollback()
        read_without_transaction()
        with pytest.raises(WriteWhileReading):
            db.session.execute(db.delete(LRSClient))
    wire.round_trips()
    with twin.test_request_context("/xapi/statements"):
        db.session.add(_client())
        db.session.flush()
        db.session.rollback()
    assert wire.round_trips()[0].startswith("BEGIN")


def test_a_statement_post_waits_on_the_server_five_times(counted, monkeypatch):
    """A POST of statements with a registration and an Activity definition (as
    a client of ours sends them) waits for BEGIN, one query for the forwarding
    endpoints, the stored definitions and the enrolments, the look-up of its ids,
    the insert of every row, and COMMIT: five round trips, not seven."""
    twin, wire = counted
    headers = lrs_headers()
    client = twin.test_client()
    monkeypatch.setattr(http, "CONSISTENT_THROUGH_REUSE", 3600.0)

    def post() -> None:
        statements = [
            {
                "actor": {"mbox": f"mailto:learner{n}@example.org"},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
                "object": {
                    "id": ACTIVITY,
                    "definition": {"name": {"en": "Counted"}},
                },
                "context": {"registration": str(uuid.uuid4())},
            }
            for n in range(3)
        ]
        response = client.post("/xapi/statements", json=statements, headers=headers)
        assert response.status_code == 200

    post()  # stores the definition and fills the credential cache
    wire.round_trips()

    post()
    trips = wire.round_trips()
    assert len(trips) == 5, trips
    assert trips[0].startswith("BEGIN"), trips
    assert trips[1].startswith("WITH active_endpoints AS"), trips
    assert trips[2].startswith("SELECT xapi_statements.seq"), trips
    assert trips[3].startswith("WITH seqs AS"), trips
    assert trips[4].startswith("COMMIT"), trips
