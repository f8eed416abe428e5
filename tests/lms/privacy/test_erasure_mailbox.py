"""Erasure of a person whom an outside LRS client named by e-mail (mbox, sha1sum).

Issue: "An admin can erase a person. Personal data is deleted, and their statements
stay only as anonymous records through the pseudonymous actor."
"""

import hashlib
import json
import uuid
from urllib.parse import quote

import orjson
import pytest

from lms.extensions import db
from lms.lrs.credentials import invalidate
from lms.models import AuditRecord
from tests.lms.lrs.conftest import VERSION, basic
from tests.lms.privacy.conftest import ADMIN, LEARNER, OUTSIDE_NAME, account
from xapi.agents import agent_key
from xapi.store.schema import statement_agents, statements

EMAIL = LEARNER[0]  # "learner@example.org", as the LMS holds it
#: The same mailbox as an HR system might spell it: the LMS knows it as the person.
MBOX = {"objectType": "Agent", "mbox": "mailto:Learner@Example.ORG"}
SHA1 = hashlib.sha1(f"mailto:{EMAIL}".encode()).hexdigest()
HASHED = {"objectType": "Agent", "mbox_sha1sum": SHA1}
OTHER = {"objectType": "Agent", "name": "Bo Berg", "mbox": "mailto:bo@example.org"}
SIMULATOR = {
    "objectType": "Agent",
    "account": {"homePage": "http://example.org", "name": "simulator"},
}
EXPERIENCED = {"id": "http://adlnet.gov/expapi/verbs/experienced"}
ANSWERED = {"id": "http://adlnet.gov/expapi/verbs/answered"}
WARD = {"id": "http://example.org/simulator/ward-round"}
FREE_TEXT = "Jeg hedder Lærke og bor på Strandvejen 4"


@pytest.fixture
def lrs(app):
    """Headers of an outside LRS client with every scope."""
    from lms.operations.lrs_clients import create_client

    invalidate()
    key, secret = f"k{uuid.uuid4().hex[:12]}", "s" * 8 + uuid.uuid4().hex
    create_client("Simulator", key=key, secret=secret, scopes=("all",))
    yield {**VERSION, "Authorization": basic(key, secret)}
    invalidate()


def post(app, headers, *items) -> list[str]:
    response = app.test_client().post(
        "/xapi/statements", json=list(items), headers=headers
    )
    assert response.status_code == 200, response.data
    return orjson.loads(response.data)


def found(app, headers, agent: dict, related: bool = False) -> set[str]:
    """Return the ids GET /xapi/statements lists for ``agent``."""
    query = f"?agent={quote(json.dumps(agent))}&limit=100"
    if related:
        query += "&related_agents=true"
    response = app.test_client().get(f"/xapi/statements{query}", headers=headers)
    assert response.status_code == 200, response.data
    return {s["id"] for s in orjson.loads(response.data)["statements"]}


def statement(actor: dict, obj: dict = WARD, verb: dict = EXPERIENCED, **more):
    return {"actor": actor, "verb": verb, "object": obj, **more}


def payloads() -> dict[str, str]:
    rows = db.session.connection().execute(statements.select())
    return {row.statement_id: row.payload for row in rows}


def erase(client, auth, person):
    auth.login(*ADMIN)
    response = client.post(
        f"/admin/users/{person.id}/erase",
        data={"email": person.email, "reason": "GDPR art. 17"},
    )
    assert response.status_code == 302
    db.session.expire_all()


def test_statements_naming_the_person_by_email_keep_only_the_account(
    app, client, auth, record, lrs
):
    """Issue: "their statements stay only as anonymous records through the
    pseudonymous actor". An outside client that named the person by mbox or
    mbox_sha1sum: each such Agent becomes the account Agent, found by GET with the
    account and no longer with the e-mail; others' statements stay as they were."""
    me = account(record)
    group = {"objectType": "Group", "member": [{**MBOX, "name": OUTSIDE_NAME}, OTHER]}
    ids = dict(
        zip(
            [
                "actor",
                "hashed",
                "instructor",
                "sub",
                "group",
                "object",
                "both",
                "others",
            ],
            post(
                app,
                lrs,
                statement({**MBOX, "name": OUTSIDE_NAME}),
                statement(
                    HASHED,
                    {**WARD, "definition": {"interactionType": "fill-in"}},
                    ANSWERED,
                    result={"response": FREE_TEXT},
                ),
                statement(OTHER, context={"instructor": MBOX}),
                statement(
                    SIMULATOR,
                    {
                        "objectType": "SubStatement",
                        "actor": HASHED,
                        "verb": EXPERIENCED,
                        "object": WARD,
                    },
                ),
                statement(group),
                statement(OTHER, MBOX, {"id": "http://example.org/verbs/mentored"}),
                # Already the account's (related, as instructor) and the mailbox's.
                statement(MBOX, context={"instructor": me}),
                statement(OTHER),
            ),
            strict=True,
        )
    )
    # Someone else comments on the person's statement: it inherits its agents.
    [ids["ref"]] = post(
        app,
        lrs,
        statement(
            OTHER,
            {"objectType": "StatementRef", "id": ids["actor"]},
            {"id": "http://example.org/verbs/commented"},
        ),
    )
    direct = {"actor", "hashed", "group", "object", "both", "ref"}
    related = direct | {"instructor", "sub"}
    assert found(app, lrs, MBOX) == {ids[n] for n in direct - {"hashed"}}
    assert found(app, lrs, HASHED, related=True) == {ids["hashed"], ids["sub"]}
    own, own_related = found(app, lrs, me), found(app, lrs, me, related=True)
    before = payloads()

    erase(client, auth, record)

    after = payloads()
    text = json.dumps(after, ensure_ascii=False).lower()
    assert EMAIL not in text and SHA1 not in text
    assert OUTSIDE_NAME.lower() not in text and FREE_TEXT.lower() not in text
    assert found(app, lrs, me) == own | {ids[n] for n in direct}
    assert found(app, lrs, me, related=True) == own_related | {ids[n] for n in related}
    for agent in (MBOX, {"mbox": f"mailto:{EMAIL}"}, HASHED):
        assert found(app, lrs, agent, related=True) == set()
    # Each Agent became the bare account; the rest of the statement stayed.
    stored = {name: json.loads(after[ids[name]]) for name in ids}
    assert stored["actor"]["actor"] == me
    assert stored["hashed"]["actor"] == me
    assert "response" not in stored["hashed"]["result"]  # now the person's words
    assert stored["instructor"]["context"]["instructor"] == me
    assert stored["instructor"]["actor"] == OTHER
    assert stored["sub"]["object"]["actor"] == me
    assert stored["sub"]["actor"] == SIMULATOR
    assert stored["group"]["actor"] == {"objectType": "Group", "member": [me, OTHER]}
    assert stored["object"]["object"] == me
    assert stored["both"]["actor"] == me
    # The authority is the client's own account, never the person's.
    assert stored["actor"]["authority"] == json.loads(before[ids["actor"]])["authority"]
    for name in ("others", "ref"):
        assert after[ids[name]] == before[ids[name]]
    unchanged = set(before) - {ids[n] for n in related} - {_named(before)}
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}
    # The indexed columns follow the payload.
    key = agent_key(me)
    rows = {
        row.statement_id: row
        for row in db.session.connection().execute(statements.select())
    }
    assert rows[ids["actor"]].actor_key == key
    assert rows[ids["object"]].object_key == key
    assert rows[ids["instructor"]].actor_key == agent_key(OTHER)
    # Changed: the 7 that named the e-mail and the fixture's named one, once each.
    audited = db.session.execute(
        db.select(AuditRecord).filter_by(action="privacy.erase")
    ).scalar_one()
    assert audited.detail["statements"] == 8


def _named(payloads: dict[str, str]) -> str:
    """Return the id of the fixture's outside statement (the account with a name)."""
    (statement_id,) = [
        k
        for k, v in payloads.items()
        if OUTSIDE_NAME in v and "mbox" not in v and "member" not in v
    ]
    return statement_id


def test_one_posting_per_statement_and_agent_a_direct_one_wins(
    app, client, auth, record, lrs
):
    """The posting lists hold a statement once per agent, "related" only when the
    agent is nowhere its actor or object (Communication 2.1.3 related_agents)."""
    me = account(record)
    [mixed, related_only] = post(
        app,
        lrs,
        statement(MBOX, context={"instructor": me, "team": _team(HASHED)}),
        statement(OTHER, context={"instructor": HASHED, "team": _team(MBOX)}),
    )
    erase(client, auth, record)
    key = agent_key(me)
    rows = db.session.connection().execute(
        db.select(statements.c.statement_id, statement_agents.c.related)
        .join(statements, statements.c.seq == statement_agents.c.seq)
        .where(statement_agents.c.agent_key == key)
    )
    postings = [tuple(row) for row in rows]
    assert sorted(p for p in postings if p[0] in (mixed, related_only)) == sorted(
        [(mixed, False), (related_only, True)]
    )


def _team(member: dict) -> dict:
    return {"objectType": "Group", "member": [member, OTHER]}


def test_a_statement_that_now_counts_for_an_enrolment_is_folded(
    app, client, auth, record, lrs
):
    """DESIGN: statements from outside "count like our own", and the projections
    must equal `progress rebuild`. One the client sent by e-mail, with the
    person's enrolment as registration, counts once it is the account's."""
    from lms.models import Enrolment
    from lms.operations.progress import rebuild
    from tests.lms.journey import shipped_module
    from xapi.builders import ActivityIds

    module = shipped_module()
    lesson = next(a for a in module.activities if a.kind == "lesson")
    enrolment = db.session.execute(
        db.select(Enrolment).filter_by(user_id=record.id)
    ).scalar_one()
    last = enrolment.last_activity_id
    assert last != lesson.id
    post(
        app,
        lrs,
        statement(
            MBOX,
            {
                "id": ActivityIds("http://lms.test").activity(
                    module.slug, "lesson", lesson.id
                )
            },
            context={"registration": enrolment.uuid},
        ),
    )
    assert db.session.get(Enrolment, enrolment.id).last_activity_id == last
    erase(client, auth, record)
    assert db.session.get(Enrolment, enrolment.id).last_activity_id == lesson.id
    assert rebuild(check=True) == []


def test_documents_under_the_mailbox_are_deleted(app, client, auth, record, lrs):
    """Issue: "Personal data is deleted." State and Agent Profile documents an
    outside client stored under the person's mbox or mbox_sha1sum go; another
    person's stay."""
    lrs_client = app.test_client()

    def put(url: str, agent: dict, **params) -> None:
        query = {"agent": json.dumps(agent), **params}
        response = lrs_client.put(
            url,
            query_string=query,
            data=b"{}",
            headers={**lrs, "Content-Type": "application/json"},
        )
        assert response.status_code == 204, response.data

    def get(url: str, agent: dict, **params) -> int:
        query = {"agent": json.dumps(agent), **params}
        return lrs_client.get(url, query_string=query, headers=lrs).status_code

    state = ("/xapi/activities/state", {"activityId": WARD["id"], "stateId": "s"})
    profile = ("/xapi/agents/profile", {"profileId": "p"})
    for url, params in (state, profile):
        for agent in (MBOX, HASHED, OTHER):
            put(url, agent, **params)

    erase(client, auth, record)

    for url, params in (state, profile):
        assert get(url, MBOX, **params) == 404
        assert get(url, {"mbox": f"mailto:{EMAIL}"}, **params) == 404
        assert get(url, HASHED, **params) == 404
        assert get(url, OTHER, **params) == 200
    audited = db.session.execute(
        db.select(AuditRecord).filter_by(action="privacy.erase")
    ).scalar_one()
    assert audited.detail["documents"] == 2 + 4  # the account's two, the mailbox's


def test_an_attendance_that_now_counts_for_a_programme_is_folded(
    app, client, auth, demo, lrs
):
    """As above for programme progress: an `attended` statement on a programme
    session, sent by e-mail, counts once it is the account's; erasure writes the
    folded projection and no statement of its own."""
    from flask import g

    from lms.models import ProgrammeEnrolment, User
    from lms.operations.programmes import enrol_programme
    from lms.operations.progress import rebuild
    from xapi.vocabulary import VERBS

    learner = db.session.execute(db.select(User).filter_by(email=EMAIL)).scalar_one()
    with app.test_request_context():
        enrolment = enrol_programme(learner, "bliv-digital-kompetent")
    for name in list(vars(g)):
        delattr(g, name)
    db.session.commit()
    session = "http://lms.test/xapi/activities/programme/bliv-digital-kompetent"
    post(
        app,
        lrs,
        statement(
            MBOX,
            {"id": f"{session}/meeting/final-meeting"},
            {"id": VERBS["attended"].id},
            context={"registration": enrolment.uuid},
        ),
    )
    assert "final-meeting" not in db.session.get(
        ProgrammeEnrolment, enrolment.id
    ).detail.get("attended", {})
    count = db.session.execute(db.select(db.func.count()).select_from(statements))
    stored = count.scalar()

    erase(client, auth, learner)

    detail = db.session.get(ProgrammeEnrolment, enrolment.id).detail
    assert list(detail["attended"]) == ["final-meeting"]
    assert rebuild(check=True) == []
    count = db.session.execute(db.select(db.func.count()).select_from(statements))
    assert count.scalar() == stored
