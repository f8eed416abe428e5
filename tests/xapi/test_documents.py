"""Documents, canonical Activities and Persons on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from xapi.documents import (
    Precondition,
    activity_profile,
    agent_profile,
    delete_document,
    delete_documents,
    document_ids,
    get_activity,
    get_document,
    merge_definition,
    parse_etags,
    person,
    post_document,
    put_document,
    state,
    upsert_definitions,
)
from xapi.documents import store as document_store
from xapi.documents.schema import activities, states
from xapi.errors import ConflictNeedsPrecondition, MergeNotPossible, PreconditionFailed
from xapi.store import agent_key, save_statements

BASE = "https://lms.example.dk"
ACTIVITY = "https://example.org/xapi/activities/course-1"
OTHER_ACTIVITY = "https://example.org/xapi/activities/course-2"
ALICE = {"objectType": "Agent", "mbox": "mailto:alice@example.org"}
BOB = {"mbox": "mailto:bob@example.org"}
REG = "6f1c9b8e-2a7d-4c3e-9f10-1a2b3c4d5e6f"
REG2 = "0b0f2c1e-8a4b-4c3e-9f10-1a2b3c4d5e70"
T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
JSON = "application/json"
AUTHORITY = {"objectType": "Agent", "account": {"homePage": BASE, "name": "lms"}}


def alice_state(registration: str | None = None):
    """Return the scope of Alice's state in ACTIVITY."""
    return state(ACTIVITY, agent_key(ALICE), registration)


def sha1(content: bytes) -> str:
    """Return the lowercase hex SHA-1 of ``content``."""
    return hashlib.sha1(content).hexdigest()


# --- Storing and reading -------------------------------------------------------------


def test_put_then_get_returns_bytes_type_etag_and_time(conn):
    """Documents are arbitrary binary data stored with their Content-Type, an ETag
    that is the SHA-1 hex digest of the contents (Communication 3.1.s4.b2) and the
    time they were "most recently modified" (2.2.s2)."""
    content = b"\x00\xffbinary"
    put_document(conn, alice_state(), "s1", content, "image/x-odd; q=1", now=T0)
    found = get_document(conn, alice_state(), "s1")
    assert found.content == content
    assert found.content_type == "image/x-odd; q=1"
    assert found.etag == sha1(content)
    assert found.updated == T0


def test_missing_document_is_none(conn):
    """A document that was never stored is not found."""
    assert get_document(conn, alice_state(), "nope") is None
    assert get_document(conn, activity_profile(ACTIVITY), "nope") is None


def test_state_is_kept_per_activity_agent_and_registration(conn):
    """A state document "exists in the context of the specified Activity, Agent,
    and registration (if specified)" (Communication 2.3.s3)."""
    put_document(conn, alice_state(), "s", b"none", "text/plain")
    put_document(conn, alice_state(REG), "s", b"reg", "text/plain")
    put_document(conn, state(ACTIVITY, agent_key(BOB)), "s", b"bob", "text/plain")
    put_document(
        conn, state(OTHER_ACTIVITY, agent_key(ALICE)), "s", b"other", "text/plain"
    )
    assert get_document(conn, alice_state(), "s").content == b"none"
    assert get_document(conn, alice_state(REG), "s").content == b"reg"
    assert get_document(conn, alice_state(REG.upper()), "s").content == b"reg"
    assert get_document(conn, alice_state(REG2), "s") is None


def test_profiles_are_kept_per_activity_and_per_agent(conn):
    """Activity Profiles belong to an Activity, Agent Profiles to an Agent (2.6,
    2.7): the same profileId in two contexts names two documents."""
    pre = Precondition.from_headers(if_none_match="*")
    put_document(conn, activity_profile(ACTIVITY), "p", b"a1", "text/plain", pre)
    put_document(conn, activity_profile(OTHER_ACTIVITY), "p", b"a2", "text/plain", pre)
    put_document(conn, agent_profile(agent_key(ALICE)), "p", b"alice", "x/y", pre)
    put_document(conn, agent_profile(agent_key(BOB)), "p", b"bob", "x/y", pre)
    assert get_document(conn, activity_profile(ACTIVITY), "p").content == b"a1"
    assert get_document(conn, activity_profile(OTHER_ACTIVITY), "p").content == b"a2"
    assert get_document(conn, agent_profile(agent_key(BOB)), "p").content == b"bob"
    mixed_case = {"mbox": "mailto:alice@EXAMPLE.org"}
    assert get_document(conn, agent_profile(agent_key(mixed_case)), "p").content == (
        b"alice"
    )


def test_state_put_overwrites_without_precondition(conn):
    """ "The State Resource will permit PUT, POST and DELETE requests without
    concurrency headers, since state conflicts are unlikely" (3.1.s3)."""
    put_document(conn, alice_state(), "s", b"one", "text/plain")
    put_document(conn, alice_state(), "s", b"two", "text/plain", now=T0)
    found = get_document(conn, alice_state(), "s")
    assert (found.content, found.etag, found.updated) == (b"two", sha1(b"two"), T0)


# --- Listing and deleting many --------------------------------------------------------


def test_ids_since_is_exclusive_and_reports_newest_time(conn):
    """ "If "since" parameter is specified, this is limited to entries that have been
    stored or updated since the specified timestamp (exclusive)" (2.3.s4)."""
    for offset, name in enumerate(["c", "a", "b"]):
        put_document(
            conn, alice_state(), name, b"x", "text/plain", now=T0 + timedelta(offset)
        )
    listing = document_ids(conn, alice_state())
    assert listing.ids == ["a", "b", "c"]
    assert listing.last_modified == T0 + timedelta(2)
    assert document_ids(conn, alice_state(), since=T0).ids == ["a", "b"]
    assert document_ids(conn, alice_state(), since=T0 + timedelta(2)).ids == []
    assert document_ids(conn, alice_state(), since=T0 - timedelta(1)).ids == [
        "a",
        "b",
        "c",
    ]


def test_ids_of_an_empty_context(conn):
    """An unknown context lists no ids and has no last modification."""
    listing = document_ids(conn, activity_profile(ACTIVITY))
    assert listing.ids == [] and listing.last_modified is None


def test_state_ids_without_registration_cover_every_registration(conn):
    """GET ids "Fetches State ids of all state data for this context (Activity +
    Agent [ + registration if specified])" (2.3.s4)."""
    put_document(conn, alice_state(), "plain", b"x", "text/plain")
    put_document(conn, alice_state(REG), "shared", b"x", "text/plain")
    put_document(conn, alice_state(REG2), "shared", b"x", "text/plain")
    put_document(conn, alice_state(REG2), "second", b"x", "text/plain")
    assert document_ids(conn, alice_state()).ids == ["plain", "second", "shared"]
    assert document_ids(conn, alice_state(REG)).ids == ["shared"]
    assert document_ids(conn, alice_state(REG2)).ids == ["second", "shared"]


def test_delete_all_state_with_and_without_registration(conn):
    """Multiple DELETE "Deletes all state data for this context (Activity + Agent
    [+ registration if specified])" (2.3.s5)."""
    put_document(conn, alice_state(), "a", b"x", "text/plain")
    put_document(conn, alice_state(REG), "b", b"x", "text/plain")
    put_document(conn, alice_state(REG2), "c", b"x", "text/plain")
    put_document(conn, state(ACTIVITY, agent_key(BOB)), "d", b"x", "text/plain")
    assert delete_documents(conn, alice_state(REG)) == 1
    assert document_ids(conn, alice_state()).ids == ["a", "c"]
    assert delete_documents(conn, alice_state()) == 2
    assert document_ids(conn, alice_state()).ids == []
    assert document_ids(conn, state(ACTIVITY, agent_key(BOB))).ids == ["d"]


def test_delete_one_document(conn):
    """DELETE with an id removes that document only; a missing one is no error."""
    put_document(conn, alice_state(), "a", b"x", "text/plain")
    put_document(conn, alice_state(), "b", b"x", "text/plain")
    assert delete_document(conn, alice_state(), "a") is True
    assert delete_document(conn, alice_state(), "a") is False
    assert document_ids(conn, alice_state()).ids == ["b"]


# --- Concurrency ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "tags"),
    [
        (None, None),
        ("  ", None),
        ("*", {"*"}),
        ('"ABC"', {"abc"}),
        ('"a", W/"b" ,c', {"a", "b", "c"}),
    ],
)
def test_parse_etags(value, tags):
    """If-Match / If-None-Match carry quoted entity tags or "*" (RFC 2616 14.24)."""
    parsed = parse_etags(value)
    assert parsed == (None if tags is None else frozenset(tags))


def test_profile_put_on_existing_document_needs_a_precondition(conn):
    """ "If a PUT request is received without either header for a resource that
    already exists, the LRS: MUST return HTTP status 409 Conflict ... MUST NOT make a
    modification to the resource" (3.1.s4.b13-b15)."""
    scope = agent_profile(agent_key(ALICE))
    put_document(conn, scope, "p", b"first", "text/plain")
    with pytest.raises(ConflictNeedsPrecondition, match="If-Match"):
        put_document(conn, scope, "p", b"second", "text/plain")
    assert get_document(conn, scope, "p").content == b"first"


def test_if_match_with_the_current_etag_replaces(conn):
    """An LRS responding to a PUT "MUST handle the If-Match header as described in
    RFC2616, HTTP 1.1 if it contains an ETag" (3.1.s4.b5)."""
    scope = activity_profile(ACTIVITY)
    put_document(conn, scope, "p", b"first", "text/plain")
    match = Precondition.from_headers(if_match=f'"{sha1(b"first")}"')
    put_document(conn, scope, "p", b"second", "text/plain", match)
    assert get_document(conn, scope, "p").content == b"second"


@pytest.mark.parametrize("resource", ["state", "activity", "agent"])
def test_if_match_with_a_stale_etag_fails_and_changes_nothing(conn, resource):
    """ "If the header precondition ... fails, the LRS: MUST return HTTP status 412
    Precondition Failed. MUST NOT make a modification to the resource" (b9-b10)."""
    scope = {
        "state": alice_state(),
        "activity": activity_profile(ACTIVITY),
        "agent": agent_profile(agent_key(ALICE)),
    }[resource]
    put_document(conn, scope, "p", b"first", JSON)
    stale = Precondition.from_headers(if_match=f'"{sha1(b"older")}"')
    with pytest.raises(PreconditionFailed):
        put_document(conn, scope, "p", b"second", "text/plain", stale)
    with pytest.raises(PreconditionFailed):
        post_document(conn, scope, "p", b'{"a": 1}', JSON, stale)
    with pytest.raises(PreconditionFailed):
        delete_document(conn, scope, "p", stale)
    assert get_document(conn, scope, "p").content == b"first"


def test_if_match_on_a_missing_document_fails(conn):
    """If-Match fails when there is no current entity (RFC 2616 14.24)."""
    any_document = Precondition.from_headers(if_match="*")
    with pytest.raises(PreconditionFailed, match="does not exist"):
        put_document(conn, activity_profile(ACTIVITY), "p", b"x", "x/y", any_document)
    with pytest.raises(PreconditionFailed):
        delete_document(conn, activity_profile(ACTIVITY), "p", any_document)
    assert get_document(conn, activity_profile(ACTIVITY), "p") is None


def test_if_none_match_star_creates_but_never_overwrites(conn):
    """An LRS "MUST handle the If-None-Match header ... if it contains "*", in order
    to detect when there is a resource present that the Client is not aware of"
    (3.1.s4.b6)."""
    scope = agent_profile(agent_key(BOB))
    none = Precondition.from_headers(if_none_match="*")
    put_document(conn, scope, "p", b"first", "text/plain", none)
    with pytest.raises(PreconditionFailed, match="already exists"):
        put_document(conn, scope, "p", b"second", "text/plain", none)
    with pytest.raises(PreconditionFailed):
        post_document(conn, scope, "p", b"{}", JSON, none)
    assert get_document(conn, scope, "p").content == b"first"


def test_if_none_match_with_another_etag_lets_the_write_through(conn):
    """If-None-Match with tags fails only when the current ETag is among them."""
    scope = activity_profile(ACTIVITY)
    put_document(conn, scope, "p", b"first", "text/plain")
    other = Precondition.from_headers(if_none_match=f'"{sha1(b"zzz")}"')
    put_document(conn, scope, "p", b"second", "text/plain", other)
    same = Precondition.from_headers(if_none_match=f'"{sha1(b"second")}"')
    with pytest.raises(PreconditionFailed):
        put_document(conn, scope, "p", b"third", "text/plain", same)
    assert get_document(conn, scope, "p").content == b"second"


def test_a_write_that_loses_a_race_is_refused(conn):
    """A document created or changed after the precondition was checked is not
    overwritten: the write fails like a precondition (3.1.s4.b10)."""
    scope = activity_profile(ACTIVITY)
    put_document(conn, scope, "p", b"winner", "text/plain")
    with pytest.raises(PreconditionFailed):
        document_store._write(conn, scope, "p", None, b"loser", "text/plain", None)
    stale = get_document(conn, scope, "p")._replace(etag=sha1(b"before"))
    with pytest.raises(PreconditionFailed):
        document_store._write(conn, scope, "p", stale, b"loser", "text/plain", None)
    assert get_document(conn, scope, "p").content == b"winner"


# --- JSON merge -----------------------------------------------------------------------


def test_post_merges_top_level_properties(conn):
    """POST merges: "for each property directly defined on the Object being posted,
    set the corresponding property on the existing Object equal to the value from
    the posted Object" -- the spec's example gives {"x":"bash","y":"bar","z":"faz"}
    (2.2.s7)."""
    scope = alice_state()
    put_document(conn, scope, "s", b'{"x": "foo", "y": "bar", "n": {"a": 1}}', JSON)
    post_document(conn, scope, "s", b'{"x": "bash", "z": "faz", "n": {"b": 2}}', JSON)
    found = get_document(conn, scope, "s")
    assert json.loads(found.content) == {
        "x": "bash",
        "y": "bar",
        "z": "faz",
        "n": {"b": 2},
    }
    assert found.etag == sha1(found.content)


def test_post_creates_a_missing_document(conn):
    """A POST to a document that does not exist stores the posted document."""
    post_document(conn, activity_profile(ACTIVITY), "p", b'{"a": 1}', JSON)
    post_document(conn, activity_profile(ACTIVITY), "raw", b"text", "text/plain")
    assert get_document(conn, activity_profile(ACTIVITY), "p").content == b'{"a": 1}'
    assert get_document(conn, activity_profile(ACTIVITY), "raw").content == b"text"


@pytest.mark.parametrize(
    ("stored", "stored_type", "posted", "posted_type"),
    [
        (b'{"a": 1}', JSON, b'{"b": 2}', "text/plain"),
        (b'{"a": 1}', "text/plain", b'{"b": 2}', JSON),
        (b"[1, 2]", JSON, b'{"b": 2}', JSON),
        (b'{"a": 1}', JSON, b"[1]", JSON),
        (b'{"a": 1}', JSON, b"{not json", JSON),
        (b'{"a": 1}', JSON, b'{"a": NaN}', JSON),
    ],
)
def test_post_that_cannot_merge_is_rejected_unchanged(
    conn, stored, stored_type, posted, posted_type
):
    """ "If the document being posted or any existing document does not have a
    Content-Type of application/json, or if either document cannot be parsed as a
    JSON Object, the LRS MUST respond with HTTP status code 400 Bad Request, and
    MUST NOT update the target document" (2.2.s8.b1)."""
    scope = alice_state()
    put_document(conn, scope, "s", stored, stored_type)
    with pytest.raises(MergeNotPossible):
        post_document(conn, scope, "s", posted, posted_type)
    assert get_document(conn, scope, "s").content == stored


def test_post_of_json_that_is_no_object_is_rejected_even_when_new(conn):
    """A JSON POST is a merge of variables, so its content must be a JSON Object."""
    with pytest.raises(MergeNotPossible, match="not a JSON object"):
        post_document(conn, alice_state(), "s", b'"text"', JSON)
    assert get_document(conn, alice_state(), "s") is None


def test_json_with_parameters_is_json(conn):
    """A Content-Type of application/json with a charset still merges."""
    scope = alice_state()
    put_document(conn, scope, "s", b'{"a": 1}', "application/json; charset=utf-8")
    post_document(conn, scope, "s", b'{"b": "\xc3\xa6"}', "Application/JSON")
    assert json.loads(get_document(conn, scope, "s").content) == {"a": 1, "b": "æ"}


# --- Canonical Activities -------------------------------------------------------------


def defined(activity_id: str, **definition) -> dict:
    """Return an Activity object with a definition."""
    return {"objectType": "Activity", "id": activity_id, "definition": definition}


def statement(obj: dict, **parts) -> dict:
    """Return a statement by Alice about ``obj``."""
    return {
        "actor": ALICE,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": obj,
        **parts,
    }


def test_unknown_activity_is_still_an_activity_object(conn):
    """ "If an LRS does not have a canonical definition of the Activity to return,
    the LRS SHOULD* still return an Activity Object when queried" (2.5.s2.b1)."""
    assert get_activity(conn, ACTIVITY) == {"objectType": "Activity", "id": ACTIVITY}


def test_trusted_definitions_become_canonical_and_merge(conn):
    """ "Upon receiving a Statement with an Activity Definition that differs from the
    one stored, an LRS SHOULD decide whether it considers the Learning Record
    Provider to have the authority to change the definition and SHOULD update the
    stored Activity Definition accordingly" (Data 2.4.4.1.s4.b3)."""
    first = defined(ACTIVITY, name={"da": "Kursus"}, type="http://t/course")
    assert upsert_definitions(conn, [statement(first)], now=T0) == 1
    second = defined(ACTIVITY, name={"en": "Course"}, description={"en": "About"})
    assert upsert_definitions(conn, [statement(second)]) == 1
    assert get_activity(conn, ACTIVITY)["definition"] == {
        "name": {"da": "Kursus", "en": "Course"},
        "type": "http://t/course",
        "description": {"en": "About"},
    }
    assert upsert_definitions(conn, [statement(second)]) == 0


def test_untrusted_definitions_change_nothing(conn):
    """Without the authority to define, "ids will be saved ... but SHOULD NOT update
    its canonical representation of any Actors or Activities" (4.2.s2 define)."""
    upsert_definitions(conn, [statement(defined(ACTIVITY, name={"en": "Mine"}))])
    spoof = statement(defined(ACTIVITY, name={"en": "Spoofed"}))
    assert upsert_definitions(conn, [spoof], trusted=False) == 0
    assert get_activity(conn, ACTIVITY)["definition"] == {"name": {"en": "Mine"}}


@pytest.mark.parametrize("stored_before", [True, False], ids=["update", "insert"])
def test_a_merge_after_a_stale_read_keeps_what_another_batch_merged(
    engine, stored_before
):
    """Two trusted batches read the stored definition, then merge into it: the
    second to write merges into the row as the first left it, so "names or
    definitions not included" are preserved (Data 3.2.s4.b3), not lost to a
    write based on what it read before."""
    from xapi.documents import read_definitions
    from xapi.documents.activities import definitions_query

    if stored_before:
        with engine.begin() as setup:
            upsert_definitions(
                setup, [statement(defined(ACTIVITY, name={"da": "Kursus"}))], now=T0
            )

    def read(conn) -> dict:
        rows = conn.execute(definitions_query(), {"ids": [ACTIVITY]})
        return read_definitions(rows.all())

    english = statement(defined(ACTIVITY, name={"en": "Course"}))
    described = statement(defined(ACTIVITY, description={"en": "About"}))
    with engine.connect() as first, engine.connect() as second:
        first.begin()
        first_read = read(first)
        second.begin()
        second_read = read(second)
        assert first_read == second_read
        assert upsert_definitions(second, [english], stored=second_read) == 1
        second.commit()
        assert upsert_definitions(first, [described], stored=first_read) == 1
        first.commit()
    with engine.connect() as check:
        definition = get_activity(check, ACTIVITY)["definition"]
    names = {"da": "Kursus", "en": "Course"} if stored_before else {"en": "Course"}
    assert definition == {"name": names, "description": {"en": "About"}}


def test_a_merge_that_another_batch_already_made_writes_nothing(engine):
    """A definition another batch merged since it was read is left as it is."""
    name = statement(defined(ACTIVITY, name={"en": "Course"}))
    with engine.connect() as first, engine.connect() as second:
        first.begin()
        second.begin()
        assert upsert_definitions(second, [name], stored={}) == 1
        second.commit()
        assert upsert_definitions(first, [name], stored={}) == 0
        first.commit()
    with engine.connect() as check:
        assert get_activity(check, ACTIVITY)["definition"] == {"name": {"en": "Course"}}


def test_definitions_are_written_in_id_order(conn, monkeypatch):
    """Concurrent batches lock canonical Activities in one order, never a cycle."""
    from xapi.documents import activities as module

    written = []
    original = module._save
    monkeypatch.setattr(
        module,
        "_save",
        lambda c, activity_id, *a, **k: (
            written.append(activity_id) or original(c, activity_id, *a, **k)
        ),
    )
    ids = [f"https://example.org/a/{n}" for n in (5, 1, 9, 3)]
    batch = [statement(defined(i, name={"en": i})) for i in ids]
    assert upsert_definitions(conn, batch) == 4
    assert written == sorted(ids)


def test_definitions_in_context_and_substatements_count(conn):
    """Every Activity of a statement is defined: object, context activities (array
    or single) and a SubStatement's object and context."""
    parent = defined("https://example.org/parent", name={"en": "Parent"})
    sub = {
        "objectType": "SubStatement",
        "actor": BOB,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
        "object": defined("https://example.org/inner", name={"en": "Inner"}),
        "context": {"contextActivities": {"grouping": parent}},
    }
    plain = {"objectType": "Activity", "id": "https://example.org/bare"}
    batch = [
        statement(sub),
        statement(
            plain,
            context={
                "contextActivities": {
                    "category": [defined("https://example.org/cat", type="http://t/c")]
                }
            },
        ),
    ]
    assert upsert_definitions(conn, batch) == 3
    ids = set(conn.execute(select(activities.c.activity_id)).scalars())
    assert ids == {
        "https://example.org/parent",
        "https://example.org/inner",
        "https://example.org/cat",
    }


def test_merge_definition_replaces_other_properties():
    """Interaction lists and types are replaced whole; language maps merge."""
    old = {"name": {"da": "a"}, "choices": [{"id": "x"}], "extensions": {"e:1": 1}}
    new = {"name": {"en": "b"}, "choices": [{"id": "y"}], "extensions": {"e:2": 2}}
    assert merge_definition(old, new) == {
        "name": {"da": "a", "en": "b"},
        "choices": [{"id": "y"}],
        "extensions": {"e:1": 1, "e:2": 2},
    }


# --- Persons --------------------------------------------------------------------------


def test_person_of_an_unknown_agent_is_that_agent(conn):
    """ "If an LRS does not have any additional information about an Agent to
    return, the LRS MUST still return a Person Object ... that Person Object will
    only include the information associated with the requested Agent" (2.4.s3.b3)."""
    agent = {"objectType": "Agent", "openid": "https://openid.example.org/x"}
    assert person(conn, agent, own_home_page=BASE) == {
        "objectType": "Person",
        "openid": ["https://openid.example.org/x"],
    }


def test_person_combines_names_from_stored_statements(conn):
    """The Person object is "a person-centric view of the LRS Agent data": the names
    an Agent was given in statements are listed as arrays (2.4.s2, 2.4.s6.b1)."""
    save_statements(
        conn, [statement({"objectType": "Activity", "id": ACTIVITY})], {**AUTHORITY}
    )
    named = {**ALICE, "name": "Alice A."}
    save_statements(
        conn,
        [statement({"objectType": "Activity", "id": ACTIVITY}, actor=named)],
        AUTHORITY,
    )
    found = person(conn, {"mbox": "mailto:alice@example.org"}, own_home_page=BASE)
    assert found == {
        "objectType": "Person",
        "name": ["Alice A."],
        "mbox": ["mailto:alice@example.org"],
    }
    asked = person(conn, {**ALICE, "name": "Ali"}, own_home_page=BASE)
    assert asked["name"] == ["Ali", "Alice A."]


def test_person_of_our_own_learner_never_has_a_name(conn):
    """Our learners are pseudonymous accounts (DESIGN.md): even if a statement gave
    such an account a name, the Person object carries the account only."""
    learner = {"account": {"homePage": BASE, "name": "2f1c9b8e-aaaa"}}
    named = {**learner, "name": "Real Name"}
    save_statements(
        conn,
        [statement({"objectType": "Activity", "id": ACTIVITY}, actor=named)],
        AUTHORITY,
    )
    found = person(conn, named, own_home_page=BASE + "/")
    assert found == {"objectType": "Person", "account": [learner["account"]]}


def test_tables_live_on_the_statement_store_metadata(engine):
    """The document tables are created with the store's MetaData (one migration
    history for the app)."""
    with engine.connect() as connection:
        assert (
            connection.execute(select(func.count()).select_from(states)).scalar() == 0
        )


def test_documents_package_imports_no_flask():
    """CONVENTIONS 1: "xapi imports neither Flask nor lms"."""
    code = (
        "import sys, xapi.documents;"
        "assert not {'flask', 'lms', 'flask_sqlalchemy'} & set(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
