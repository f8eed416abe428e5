"""The fast path for plain statement POSTs (lms.lrs.fast) answers exactly as Flask.

Every test compares an answer of the fast path with the answer of the same kind of
request that Flask serves (LRS_FAST_PATH off), and checks which one served it by
Flask's request_started signal.
"""

import uuid

import orjson
import pytest
from flask import request_started

from lms.extensions import db
from tests.lms.faults import dispose, twin_app, write_lock
from tests.lms.lrs.conftest import basic, statement

#: Headers whose values differ from one answer to the next.
VARYING = {"X-Experience-API-Consistent-Through"}


@pytest.fixture
def served_by_flask(app):
    """Return a list that holds one entry per request Flask dispatched."""
    seen: list[str] = []

    def receive(sender, **_extra):
        from flask import request

        seen.append(request.path)

    request_started.connect(receive)
    yield seen
    request_started.disconnect(receive)


def _post(client, headers, content, **extra):
    body = content if isinstance(content, bytes) else orjson.dumps(content)
    return client.post(
        "/xapi/statements",
        data=body,
        headers={"Content-Type": "application/json", **headers, **extra},
    )


def _fresh() -> dict:
    return statement(id=str(uuid.uuid4()))


def _stored_count() -> int:
    return db.session.execute(db.text("SELECT count(*) FROM xapi_statements")).scalar()


def _comparable(response) -> tuple[int, dict[str, str]]:
    headers = {
        name: value for name, value in response.headers.items() if name not in VARYING
    }
    return response.status_code, headers


def test_a_plain_post_skips_flask_and_answers_like_it(
    app, client, lrs, served_by_flask
):
    """The first POST checks the credentials through Flask; later ones with the
    remembered credentials are stored by the fast path, with the same status,
    headers and body shape Flask gives."""
    first = _fresh()
    assert _post(client, lrs, first).status_code == 200
    assert served_by_flask == ["/xapi/statements"]

    fast_item = _fresh()
    fast = _post(client, lrs, fast_item)
    assert served_by_flask == ["/xapi/statements"]
    app.config["LRS_FAST_PATH"] = False
    try:
        slow_item = _fresh()
        slow = _post(client, lrs, slow_item)
    finally:
        app.config["LRS_FAST_PATH"] = True
    assert len(served_by_flask) == 2

    assert fast.json == [fast_item["id"]]
    assert slow.json == [slow_item["id"]]
    assert _comparable(fast) == _comparable(slow)
    assert fast.headers["X-Experience-API-Consistent-Through"].endswith("Z")
    stored = client.get(
        f"/xapi/statements?statementId={fast_item['id']}", headers=lrs
    ).json
    assert stored["id"] == fast_item["id"]
    assert stored["authority"]["account"]["name"].startswith("client/")


def test_a_batch_gets_its_ids_in_order(client, lrs, served_by_flask):
    _post(client, lrs, _fresh())
    given = _fresh()
    batch = [statement(), given, statement()]
    response = _post(client, lrs, batch)
    assert response.status_code == 200
    assert len(served_by_flask) == 1
    assert len(response.json) == 3
    assert response.json[1] == given["id"]
    assert len(set(response.json)) == 3


@pytest.mark.parametrize("production", [False, True])
def test_cors_and_security_headers_match_flask(app, client, lrs, production):
    """A browser client's Origin is echoed with Vary: Origin, and HSTS is sent in
    production, by both paths alike."""
    _post(client, lrs, _fresh())
    origin = {"Origin": "https://content.example.org"}
    app.config["LMS_ENV"] = "production" if production else "development"
    try:
        fast = _post(client, lrs, _fresh(), **origin)
        app.config["LRS_FAST_PATH"] = False
        slow = _post(client, lrs, _fresh(), **origin)
    finally:
        app.config["LRS_FAST_PATH"] = True
        app.config["LMS_ENV"] = "development"
    assert _comparable(fast) == _comparable(slow)
    assert fast.headers["Access-Control-Allow-Origin"] == origin["Origin"]
    assert "Origin" in fast.headers["Vary"]
    assert ("Strict-Transport-Security" in fast.headers) is production


CONFLICTING = str(uuid.uuid4())

#: Requests the fast path leaves to Flask: (name, body, extra headers); an empty
#: array stores nothing and is answered [] by Flask.
LEFT_TO_FLASK = [
    ("invalid JSON", b'{"actor": ', {}),
    ("not an object or array", b'"text"', {}),
    ("empty array", b"[]", {}),
    ("unknown property", orjson.dumps(statement(colour="red")), {}),
    ("repeated id", orjson.dumps([statement(id=CONFLICTING)] * 2), {}),
    (
        "conflicting id",
        orjson.dumps(statement(id=CONFLICTING, verb={"id": "http://example.org/v"})),
        {},
    ),
    ("no version", orjson.dumps(statement()), {"X-Experience-API-Version": ""}),
    ("version 1.1", orjson.dumps(statement()), {"X-Experience-API-Version": "1.1.0"}),
    ("other content type", orjson.dumps(statement()), {"Content-Type": "text/plain"}),
    ("wrong secret", orjson.dumps(statement()), {"Authorization": basic("k", "s")}),
    ("no credentials", orjson.dumps(statement()), {"Authorization": ""}),
]


@pytest.mark.parametrize(
    "body, extra",
    [case[1:] for case in LEFT_TO_FLASK],
    ids=[c[0] for c in LEFT_TO_FLASK],
)
def test_what_the_fast_path_would_refuse_flask_answers(
    app, client, lrs, served_by_flask, body, extra
):
    """Refusals, malformed content and conflicts reach Flask with the body intact:
    the answer is the same as with the fast path off, and nothing is stored."""
    _post(client, lrs, statement(id=CONFLICTING))
    before = _stored_count()
    answer = _post(client, lrs, body, **extra)
    assert served_by_flask[-1] == "/xapi/statements"
    assert len(served_by_flask) == 2
    app.config["LRS_FAST_PATH"] = False
    try:
        expected = _post(client, lrs, body, **extra)
    finally:
        app.config["LRS_FAST_PATH"] = True
    assert answer.status_code in (200, 400, 401, 409)
    assert (answer.status_code == 200) is (body == b"[]")
    assert (answer.status_code, answer.json) == (expected.status_code, expected.json)
    assert _comparable(answer) == _comparable(expected)
    assert _stored_count() == before


def test_a_client_without_the_write_scope_gets_403_from_flask(
    client, make_client, served_by_flask
):
    reader = make_client("statements/read")
    _post(client, reader, _fresh())  # remembers the credentials
    answer = _post(client, reader, _fresh())
    assert answer.status_code == 403
    assert len(served_by_flask) == 2


def test_a_query_string_goes_to_flask(client, lrs, served_by_flask):
    _post(client, lrs, _fresh())
    answer = client.post(
        "/xapi/statements?method=PUT",
        data="content=x",
        headers={**lrs, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 400
    assert len(served_by_flask) == 2


def test_a_locked_database_answers_503_from_the_fast_path(
    app, session_app, backend, lrs
):
    """With the write lock held elsewhere, the fast path gives up at the lock
    timeout with Flask's 503 (Retry-After, JSON error) and keeps nothing."""
    twin = twin_app(session_app, LMS_DB_LOCK_TIMEOUT=0.2)
    seen: list[str] = []

    def receive(sender, **_extra):
        seen.append("flask")

    request_started.connect(receive, twin)
    try:
        client = twin.test_client()
        assert _post(client, lrs, _fresh()).status_code == 200
        before = _stored_count()
        with write_lock(app, backend):
            answer = _post(client, lrs, _fresh())
        assert seen == ["flask"]
        assert answer.status_code == 503
        assert answer.headers["Retry-After"] == "5"
        assert answer.headers["X-Experience-API-Version"] == "1.0.3"
        assert answer.json == {
            "error": "the database is unavailable; nothing was stored, try again later"
        }
        db.session.rollback()
        assert _stored_count() == before
        assert _post(client, lrs, _fresh()).status_code == 200
    finally:
        request_started.disconnect(receive, twin)
        dispose(twin)


@pytest.mark.parametrize("kind", ["conflict", "invalid"])
def test_a_refusal_is_tried_once(client, lrs, served_by_flask, monkeypatch, kind):
    """A POST the fast path refuses (409, 400) reaches Flask, which answers with
    that refusal instead of validating and storing the same body again."""
    from lms.lrs import write

    given = str(uuid.uuid4())
    assert _post(client, lrs, statement(id=given)).status_code == 200
    tries: list[int] = []
    real = write.validate_batch

    def validate(*args, **kwargs) -> None:
        tries.append(1)
        real(*args, **kwargs)

    monkeypatch.setattr(write, "validate_batch", validate)
    if kind == "conflict":
        body = statement(id=given, verb={"id": "http://adlnet.gov/expapi/verbs/failed"})
        expected = (409, given)
    else:
        body = statement(verb={"id": "not an iri"})
        expected = (400, "verb.id")
    answer = _post(client, lrs, body)
    assert served_by_flask[-1] == "/xapi/statements"
    assert answer.status_code == expected[0]
    assert expected[1] in answer.json["error"]
    assert len(tries) == 1


# --- GET of a page ---------------------------------------------------------------

ACTIVITY = "http://example.org/activities/paged"


def _get(client, headers, query, base_url=None, **extra):
    return client.get(
        f"/xapi/statements?{query}", headers={**headers, **extra}, base_url=base_url
    )


def _both(app, client, headers, query, base_url=None, **extra):
    """Return the answers of the fast path and of Flask to the same GET."""
    fast = _get(client, headers, query, base_url, **extra)
    app.config["LRS_FAST_PATH"] = False
    try:
        slow = _get(client, headers, query, base_url, **extra)
    finally:
        app.config["LRS_FAST_PATH"] = True
    return fast, slow


@pytest.fixture
def paged(client, lrs):
    """Store five statements about ACTIVITY; return their ids, newest first."""
    ids = []
    for _ in range(5):
        item = statement(
            id=str(uuid.uuid4()), object={"objectType": "Activity", "id": ACTIVITY}
        )
        assert _post(client, lrs, item).status_code == 200
        ids.append(item["id"])
    return ids[::-1]


PAGES = [
    f"activity={ACTIVITY}&limit=2",
    f"activity={ACTIVITY}&limit=2&ascending=true",
    f"activity={ACTIVITY}&related_activities=true&since=2020-01-01T00:00:00Z",
    "agent=" + orjson.dumps({"mbox": "mailto:learner@example.org"}).decode(),
    "verb=http://adlnet.gov/expapi/verbs/experienced&limit=1",
    "activity=http://example.org/activities/none",
    f"activity={ACTIVITY}&cursor=999999",  # not one we gave out: an empty page
    "",
]


@pytest.mark.parametrize("query", PAGES)
def test_a_page_skips_flask_and_answers_like_it(
    app, client, lrs, paged, served_by_flask, query
):
    """A page for a client that reads everything is served by the fast path with
    Flask's status, headers (ETag, Last-Modified, more) and body, byte for byte."""
    before = len(served_by_flask)
    fast, slow = _both(app, client, lrs, query)
    assert len(served_by_flask) == before + 1  # only the one with the path off
    assert fast.status_code == 200
    assert fast.data == slow.data
    assert _comparable(fast) == _comparable(slow)
    assert fast.headers["ETag"] == slow.headers["ETag"]


def test_the_more_url_of_the_fast_path_leads_through_every_page(
    client, lrs, paged, served_by_flask
):
    before = len(served_by_flask)
    seen, path = [], f"/xapi/statements?activity={ACTIVITY}&limit=2"
    while path:
        page = client.get(path, headers=lrs).json
        seen += [item["id"] for item in page["statements"]]
        path = page["more"]
    assert seen == paged
    assert len(served_by_flask) == before


@pytest.mark.parametrize("production", [False, True])
def test_page_headers_match_flask_under_a_prefix_and_for_a_browser(
    app, client, lrs, paged, production
):
    """Behind a path prefix (SCRIPT_NAME) the "more" URL keeps it; a browser's
    Origin is echoed; HSTS goes with production, as from Flask."""
    app.config["LMS_ENV"] = "production" if production else "development"
    try:
        fast, slow = _both(
            app,
            client,
            lrs,
            f"activity={ACTIVITY}&limit=2",
            Origin="https://content.example.org",
        )
        prefixed = _both(
            app,
            client,
            lrs,
            f"activity={ACTIVITY}&limit=2",
            base_url="http://localhost/lms",
        )
    finally:
        app.config["LMS_ENV"] = "development"
    assert fast.data == slow.data
    assert _comparable(fast) == _comparable(slow)
    assert ("Strict-Transport-Security" in fast.headers) is production
    assert prefixed[0].data == prefixed[1].data
    assert prefixed[0].json["more"].startswith("/lms/xapi/statements?")


#: GETs the fast path leaves to Flask: (name, query, extra headers).
GETS_LEFT_TO_FLASK = [
    ("one statement", "statementId={first}", {}),
    ("format ids", f"activity={ACTIVITY}&format=ids", {}),
    ("format exact, named", f"activity={ACTIVITY}&format=exact", {}),
    ("attachments", f"activity={ACTIVITY}&attachments=true", {}),
    ("unknown parameter", f"activity={ACTIVITY}&colour=red", {}),
    ("repeated parameter", f"activity={ACTIVITY}&activity={ACTIVITY}", {}),
    ("parameter in other case", f"Activity={ACTIVITY}", {}),
    ("not an IRI", "activity=not%20an%20iri", {}),
    ("bad limit", f"activity={ACTIVITY}&limit=-1", {}),
    ("bad agent", "agent=%7B%22name%22%3A1%7D", {}),
    ("NUL", "verb=http://example.org/%00", {}),
    ("no version", f"activity={ACTIVITY}", {"X-Experience-API-Version": ""}),
    ("wrong secret", f"activity={ACTIVITY}", {"Authorization": basic("k", "s")}),
    ("no credentials", f"activity={ACTIVITY}", {"Authorization": ""}),
]


@pytest.mark.parametrize(
    "query, extra",
    [case[1:] for case in GETS_LEFT_TO_FLASK],
    ids=[c[0] for c in GETS_LEFT_TO_FLASK],
)
def test_gets_the_fast_path_does_not_answer_reach_flask(
    app, client, lrs, paged, served_by_flask, query, extra
):
    """Other formats, single statements and every refusal are Flask's, with the
    same answer as with the fast path off."""
    query = query.format(first=paged[0])
    before = len(served_by_flask)
    answer, expected = _both(app, client, lrs, query, **extra)
    assert len(served_by_flask) == before + 2
    assert _unbounded(answer) == _unbounded(expected)


def _unbounded(response) -> tuple[int, dict[str, str], bytes]:
    """Return status, headers and body, a multipart boundary (random) replaced."""
    status, headers = _comparable(response)
    data = response.data
    boundary = response.mimetype_params.get("boundary")
    if boundary:
        data = data.replace(boundary.encode(), b"BOUNDARY")
        headers["Content-Type"] = headers["Content-Type"].replace(boundary, "BOUNDARY")
    return status, headers, data


def test_a_reader_of_its_own_statements_is_served_by_flask(
    client, lrs, make_client, paged, served_by_flask
):
    """ "statements/read/mine" reads a part of the store: Flask applies it."""
    mine = make_client("statements/read/mine", "statements/write")
    item = statement(
        id=str(uuid.uuid4()), object={"objectType": "Activity", "id": ACTIVITY}
    )
    assert _post(client, mine, item).status_code == 200
    before = len(served_by_flask)
    page = _get(client, mine, f"activity={ACTIVITY}").json
    assert [s["id"] for s in page["statements"]] == [item["id"]]
    assert len(served_by_flask) == before + 1


def _unexpected():
    return ValueError("unexpected")


def _database_down():
    from sqlalchemy.exc import OperationalError

    return OperationalError("SELECT", {}, Exception("connection refused"))


@pytest.mark.parametrize(
    "step, error",
    [("page_query", _unexpected), ("query_payloads", _database_down)],
    ids=["reading the parameters", "the database"],
)
def test_a_page_the_fast_path_cannot_answer_is_answered_by_flask(
    client, lrs, paged, served_by_flask, monkeypatch, step, error
):
    """Whatever goes wrong on the fast path, before or in the query, leaves the
    request to Flask, which answers it with its handlers (here the database is
    back)."""
    from lms.lrs import fast

    def broken(*_args, **_kwargs):
        raise error()

    monkeypatch.setattr(fast, step, broken)
    before = len(served_by_flask)
    answer = _get(client, lrs, f"activity={ACTIVITY}")
    assert answer.status_code == 200
    assert [s["id"] for s in answer.json["statements"]] == paged
    assert len(served_by_flask) == before + 1
