"""Generated valid and invalid statements over HTTP: 200 or 400, never a 500."""

import copy
from typing import Any

import orjson
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.xapi.test_validation_hypothesis import MUTATIONS, json_values, statements

HTTP_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _sendable(statement: dict[str, Any]) -> dict[str, Any]:
    """Make a generated statement storable as JSON: fileUrls, no fixed id.

    Without an id, examples never collide (Hypothesis reuses values); without a
    part, every attachment needs a fileUrl (Communication 1.5.1.s1.b2).
    """
    statement = copy.deepcopy(statement)
    statement.pop("id", None)
    for holder in (statement, statement["object"]):
        for attachment in holder.get("attachments") or ():
            attachment.setdefault("fileUrl", "http://example.org/file")
    return statement


@given(statement=statements())
@HTTP_SETTINGS
def test_valid_statements_are_stored(client, lrs, statement):
    """Data 2.2 / Communication 2.1.2: a statement that follows every rule of the
    specification is stored: 200 with its id."""
    response = client.post("/xapi/statements", json=_sendable(statement), headers=lrs)
    assert response.status_code == 200, response.data
    [statement_id] = orjson.loads(response.data)
    got = client.get(f"/xapi/statements?statementId={statement_id}", headers=lrs)
    voided = client.get(
        f"/xapi/statements?voidedStatementId={statement_id}", headers=lrs
    )
    assert 200 in (got.status_code, voided.status_code)


@given(statement=statements(), mutation=st.sampled_from(MUTATIONS), data=st.data())
@HTTP_SETTINGS
def test_invalid_statements_are_400_naming_the_property(
    client, lrs, statement, mutation, data
):
    """Data 2.2.s4.b1: the LRS rejects a statement with an unknown property, a null,
    a wrong type, a broken UUID or IRI "with 400 Bad Request", and the error names
    the offending property."""
    statement = _sendable(statement)
    expected = mutation(statement, data)
    response = client.post("/xapi/statements", json=[statement], headers=lrs)
    if expected is None:
        assert response.status_code in (200, 409)
        return
    assert response.status_code == 400, response.data
    assert expected in orjson.loads(response.data)["error"]


@given(body=json_values)
@HTTP_SETTINGS
def test_arbitrary_json_is_never_a_server_error(client, lrs, body):
    """Any JSON body is answered with 200 or 400, never with a 500."""
    response = client.post(
        "/xapi/statements",
        data=orjson.dumps(body),
        headers={**lrs, "Content-Type": "application/json"},
    )
    assert response.status_code in (200, 400)


@given(raw=st.binary(max_size=200))
@HTTP_SETTINGS
def test_arbitrary_bytes_are_400(client, lrs, raw):
    """Bytes that are not a JSON statement are a 400 (Communication 3.2.s2.b1)."""
    try:
        assume(orjson.loads(raw) != [])  # an empty batch stores nothing: 200
    except orjson.JSONDecodeError:
        pass
    response = client.post(
        "/xapi/statements",
        data=raw,
        headers={**lrs, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
