"""Backfill: an endpoint added later gets the statements stored before it."""

from datetime import UTC, datetime

import pytest

from lms.extensions import db
from lms.forwarding.operations import backfill, set_active
from lms.forwarding.worker import forward_due
from lms.models import AuditRecord, OutboxStatement
from lms.records import ingest
from tests.lms.forwarding.conftest import statement
from xapi.store import statements

ADMIN = ("admin@example.org", "admin-demo-2026")
CLIENT = {
    "objectType": "Agent",
    "account": {"homePage": "https://client.example", "name": "client-1"},
}
OBJECT = "http://example.org/activities/backfill"


def _voiding(target: str) -> dict:
    return {
        **statement(OBJECT),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": target},
    }


def _store(batch: list[dict], stored: datetime | None = None) -> list[str]:
    ingest(batch, CLIENT)
    ids = [s["id"] for s in batch]
    if stored is not None:
        db.session.execute(
            statements.update()
            .where(statements.c.statement_id.in_(ids))
            .values(stored=stored)
        )
    db.session.commit()
    return ids


def _queued(endpoint_id: int) -> list[str]:
    query = (
        db.select(OutboxStatement.statement_id)
        .where(OutboxStatement.endpoint_id == endpoint_id)
        .order_by(OutboxStatement.id)
    )
    return list(db.session.execute(query).scalars())


def test_statements_stored_before_the_endpoint_reach_the_receiver(
    receiver, make_endpoint
):
    """Voided statements go with their voiding statement; the receiver voids."""
    earlier = _store([statement(OBJECT) for _ in range(3)])
    voiding = _store([_voiding(earlier[1])])
    endpoint = make_endpoint(receiver.url, key=receiver.key, secret=receiver.secret)
    later = _store([statement(OBJECT)])
    assert _queued(endpoint.id) == later

    assert backfill(endpoint, None, None) == 4
    assert _queued(endpoint.id) == later + earlier + voiding
    assert forward_due("w1", drain=True) == 5
    assert receiver.stored_ids() == later + earlier + voiding
    readable = {s["id"] for s in receiver.statements_in_order()}
    assert earlier[1] not in readable  # voided at the receiver too
    assert set(earlier) - {earlier[1]} <= readable


def test_running_it_again_queues_nothing_new(receiver, make_endpoint):
    _store([statement(OBJECT) for _ in range(3)])
    endpoint = make_endpoint(receiver.url, key=receiver.key, secret=receiver.secret)
    assert backfill(endpoint, None, None) == 3
    assert backfill(endpoint, None, None) == 0  # still queued
    forward_due("w1", drain=True)
    assert _queued(endpoint.id) == []
    assert backfill(endpoint, None, None) == 0  # delivered meanwhile
    assert len(receiver.stored_ids()) == 3


def test_statements_already_queued_are_not_queued_twice(make_endpoint):
    endpoint = make_endpoint("https://lrs.example/xapi/")
    queued = _store([statement(OBJECT) for _ in range(2)])
    earlier_inactive = []
    set_active(endpoint, False, None)
    earlier_inactive = _store([statement(OBJECT)])
    set_active(endpoint, True, None)
    assert backfill(endpoint, None, None) == 1
    assert _queued(endpoint.id) == queued + earlier_inactive


def test_since_takes_only_statements_stored_from_that_day(make_endpoint):
    old = _store([statement(OBJECT)], stored=datetime(2024, 1, 10, tzinfo=UTC))
    recent = _store([statement(OBJECT) for _ in range(2)])
    endpoint = make_endpoint("https://lrs.example/xapi/")
    since = datetime(2025, 1, 1, tzinfo=UTC)
    assert backfill(endpoint, since, None) == 2
    assert _queued(endpoint.id) == recent
    # An earlier day afterwards adds only what is still missing.
    assert backfill(endpoint, datetime(2024, 1, 1, tzinfo=UTC), None) == 1
    assert _queued(endpoint.id) == recent + old
    assert backfill(endpoint, None, None) == 0


def test_nothing_stored_queues_nothing(make_endpoint):
    endpoint = make_endpoint("https://lrs.example/xapi/")
    assert backfill(endpoint, None, None) == 0


def test_it_is_audited_with_the_count_and_since(make_endpoint):
    _store([statement(OBJECT) for _ in range(2)])
    endpoint = make_endpoint("https://lrs.example/xapi/")
    backfill(endpoint, datetime(2020, 5, 1, tzinfo=UTC), None)
    record = db.session.execute(
        db.select(AuditRecord).where(
            AuditRecord.action == "forwarding_endpoint.backfill"
        )
    ).scalar_one()
    assert record.target_id == str(endpoint.id)
    assert record.detail == {"statements": 2, "since": "2020-05-01T00:00:00+00:00"}


def test_the_command_prints_the_count(runner, make_endpoint):
    _store(
        [statement(OBJECT) for _ in range(2)], stored=datetime(2024, 3, 1, tzinfo=UTC)
    )
    endpoint = make_endpoint("https://lrs.example/xapi/")
    result = runner.invoke(
        args=["forwarding", "backfill", str(endpoint.id), "--since", "2024-03-02"]
    )
    assert result.exit_code == 0, result.output
    assert "0 statements queued" in result.output
    result = runner.invoke(args=["forwarding", "backfill", str(endpoint.id)])
    assert result.exit_code == 0, result.output
    assert "2 statements queued" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["999999"], "no forwarding endpoint has id 999999"),
        (["abc"], "is not a valid integer"),
        (["{id}", "--since", "2024-13-01"], "does not match the format"),
        (["{id}", "--since", "yesterday"], "does not match the format"),
    ],
)
def test_the_command_refuses_bad_input_with_exit_code_2(
    runner, make_endpoint, args, message
):
    endpoint = make_endpoint("https://lrs.example/xapi/")
    args = [a.replace("{id}", str(endpoint.id)) for a in args]
    result = runner.invoke(args=["forwarding", "backfill", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert _queued(endpoint.id) == []


def test_an_admin_sends_earlier_statements_from_the_page(
    client, auth, demo, make_endpoint
):
    _store([statement(OBJECT) for _ in range(3)])
    endpoint = make_endpoint("https://lrs.example/xapi/")
    auth.login(*ADMIN)
    page = client.get(f"/admin/forwarding/{endpoint.id}?lang=en")
    assert "Send earlier statements" in page.get_data(as_text=True)
    url = f"/admin/forwarding/{endpoint.id}/backfill?lang=en"
    response = client.post(url, data={"since": ""}, follow_redirects=True)
    assert "3 earlier statements were queued" in response.get_data(as_text=True)
    response = client.post(url, data={"since": "2000-01-01"}, follow_redirects=True)
    assert "0 earlier statements were queued" in response.get_data(as_text=True)
    assert len(_queued(endpoint.id)) == 3
    response = client.post(url, data={"since": "1. januar"}, follow_redirects=True)
    assert "Not a valid date" in response.get_data(as_text=True)


def test_the_page_speaks_danish(client, auth, demo, make_endpoint):
    _store([statement(OBJECT)])
    endpoint = make_endpoint("https://lrs.example/xapi/")
    auth.login(*ADMIN)
    url = f"/admin/forwarding/{endpoint.id}/backfill?lang=da"
    response = client.post(url, data={"since": ""}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "1 tidligere statement blev sat i kø til dette endpoint" in page


@pytest.mark.parametrize(
    "who",
    [
        ("manager@example.org", "manager-demo-2026"),
        ("learner@example.org", "learner-demo-2026"),
    ],
)
def test_others_are_refused(client, auth, demo, make_endpoint, who):
    _store([statement(OBJECT)])
    endpoint = make_endpoint("https://lrs.example/xapi/")
    auth.login(*who)
    response = client.post(f"/admin/forwarding/{endpoint.id}/backfill", data={})
    assert response.status_code == 403
    assert _queued(endpoint.id) == []
