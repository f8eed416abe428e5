"""GET statements: parameters, one statement or a StatementResult, formats, paging."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

import orjson
from flask import Response, current_app, g, request, url_for

from lms.extensions import db
from lms.lrs import multipart
from lms.lrs.http import (
    LRSError,
    can_read,
    check_params,
    client_authority,
    etag,
    json_response,
    last_modified,
    parse_json_param,
)
from xapi.agents import agent_key
from xapi.documents import get_activity
from xapi.errors import StatementValidationError
from xapi.formats import is_iri, is_timestamp, is_uuid
from xapi.retrieval import FORMATS, canonical_format, ids_format
from xapi.store import (
    StatementQuery,
    attachment_hashes,
    get_statement_payload,
    load_attachments,
    query_payloads,
)
from xapi.store.enrich import parse_timestamp
from xapi.validation import validate_agent

SINGLE = ("statementId", "voidedStatementId")
#: Communication 2.1.3.s2.b2: beside an id, only "attachments" or "format".
WITH_SINGLE = ("attachments", "format")
FILTERS = (
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "ascending",
)
#: Our paging cursor in "more" URLs: the seq of the last statement returned.
CURSOR = "cursor"
DEFAULT_MAX_LIMIT = 500


def get_statements() -> Response:
    """Answer one statement by id, or a page of statements matching the filters."""
    given = check_params((*SINGLE, *WITH_SINGLE, *FILTERS, CURSOR))
    style = given.get("format", "exact")
    if style not in FORMATS:
        raise LRSError(400, "parameter 'format' must be ids, exact or canonical")
    attachments = _boolean(given, "attachments")
    if any(name in given for name in SINGLE):
        return _single(given, style, attachments)
    return _page(given, style, attachments)


def _mine() -> str | None:
    """Return the authority key to restrict reads to, for "statements/read/mine".

    Communication 4.2.s2: "statements/read/mine" reads "Statements written by "me",
    that is with an authority matching what the LRS would assign".
    """
    if can_read("statements/read"):
        return None
    return agent_key(client_authority())


# --- One statement -----------------------------------------------------------------


def _single(given: Mapping[str, str], style: str, attachments: bool) -> Response:
    """Answer the statement named by statementId or voidedStatementId.

    Communication 2.1.3.s2.b1/b2: 400 when both ids are given, or when an id comes
    with any parameter besides "attachments" or "format"; 2.1.4.s1.b1: a voided
    statement is only returned by voidedStatementId.
    """
    if all(name in given for name in SINGLE):
        raise LRSError(400, "give statementId or voidedStatementId, not both")
    extra = sorted(set(given) - {*SINGLE, *WITH_SINGLE})
    if extra:
        raise LRSError(
            400, f"parameter {extra[0]!r} is not allowed with a statement id"
        )
    name = "statementId" if "statementId" in given else "voidedStatementId"
    statement_id = given[name]
    if not is_uuid(statement_id):
        raise LRSError(400, f"parameter {name!r} must be a UUID")
    payload = get_statement_payload(
        db.session.connection(), statement_id, voided=name == "voidedStatementId"
    )
    statement = None if payload is None else orjson.loads(payload)
    mine = _mine()
    if statement is None or (mine and agent_key(statement["authority"]) != mine):
        raise LRSError(404, f"no statement with {name} {statement_id}")
    data = (
        payload.encode()
        if style == "exact"
        else orjson.dumps(_formatted(statement, style))
    )
    headers = {"Last-Modified": last_modified(parse_timestamp(statement["stored"]))}
    return _respond(data, [statement], attachments, headers)


# --- A page of statements ----------------------------------------------------------


def _page(given: Mapping[str, str], style: str, attachments: bool) -> Response:
    """Answer a StatementResult with a "more" URL when more statements match."""
    query = _query(given)
    payloads, cursor = query_payloads(
        db.session.connection(), query, max_limit=max_limit()
    )
    more = _more_url(given, cursor) if cursor is not None else ""
    statements = None
    if style == "exact" and not attachments:
        data = exact_result(payloads, more)
    else:
        statements = [orjson.loads(payload) for payload in payloads]
        data = _result(
            b",".join(
                orjson.dumps(_formatted(statement, style)) for statement in statements
            ),
            more,
        )
    headers = page_modified(payloads, query.ascending)
    if attachments and statements is None:
        statements = [orjson.loads(payload) for payload in payloads]
    return _respond(data, statements or [], attachments, headers)


def max_limit() -> int:
    """Return the largest page the LRS answers."""
    return int(current_app.config.get("LRS_MAX_LIMIT", DEFAULT_MAX_LIMIT))


def exact_result(payloads: list[str], more: str) -> bytes:
    """Return a StatementResult of stored statements as they are (format "exact")."""
    # One join and one encoding: a page of 100 is about 100 KB.
    return _result(",".join(payloads).encode(), more)


def _result(listed: bytes, more: str) -> bytes:
    return b"".join(
        (b'{"statements":[', listed, b'],"more":', orjson.dumps(more), b"}")
    )


def page_modified(payloads: list[str], ascending: bool) -> dict[str, str]:
    """Return Last-Modified of a page: the stored time of its newest statement."""
    if not payloads:
        return {}
    newest = payloads[-1] if ascending else payloads[0]
    stored = orjson.loads(newest)["stored"]
    return {"Last-Modified": last_modified(parse_timestamp(stored))}


def _query(given: Mapping[str, str]) -> StatementQuery:
    """Build the store query from the filter parameters; 400 naming a bad one."""
    return page_query(given, _mine())


def page_query(given: Mapping[str, str], authority_key: str | None) -> StatementQuery:
    """Build the store query from the filter parameters, for a client that reads
    only the statements of ``authority_key`` (None: all); 400 naming a bad one."""
    return StatementQuery(
        agent_key=_agent(given["agent"]) if "agent" in given else None,
        verb_id=_iri(given, "verb"),
        activity_id=_iri(given, "activity"),
        registration=_registration(given),
        related_activities=_boolean(given, "related_activities"),
        related_agents=_boolean(given, "related_agents"),
        since=_timestamp(given, "since"),
        until=_timestamp(given, "until"),
        limit=_limit(given),
        ascending=_boolean(given, "ascending"),
        after_seq=_cursor(given),
        authority_key=authority_key,
    )


def _agent(text: str) -> str:
    """Return the key of the agent parameter: an Agent or an identified Group."""
    agent = parse_json_param("agent", text)
    try:
        validate_agent(agent, path="agent", allow_group=True)
    except StatementValidationError as error:
        raise LRSError(400, f"parameter 'agent' is invalid: {error}") from None
    return agent_key(agent)  # type: ignore[return-value]


def _iri(given: Mapping[str, str], name: str) -> str | None:
    value = given.get(name)
    if value is not None and not is_iri(value):
        raise LRSError(400, f"parameter {name!r} must be an IRI")
    return value


def _registration(given: Mapping[str, str]) -> str | None:
    value = given.get("registration")
    if value is not None and not is_uuid(value):
        raise LRSError(400, "parameter 'registration' must be a UUID")
    return value


def _boolean(given: Mapping[str, str], name: str) -> bool:
    """Read a Boolean parameter: "represented as true or false as in JSON"."""
    value = given.get(name, "false")
    if value not in ("true", "false"):
        raise LRSError(400, f"parameter {name!r} must be true or false")
    return value == "true"


def _timestamp(given: Mapping[str, str], name: str):
    value = given.get(name)
    if value is None:
        return None
    if not is_timestamp(value):
        raise LRSError(400, f"parameter {name!r} must be an ISO 8601 timestamp")
    return parse_timestamp(value, path=name)


def _limit(given: Mapping[str, str]) -> int:
    """Read "limit": a nonnegative integer; 0 means the server's maximum."""
    value = given.get("limit", "0")
    if not value.isascii() or not value.isdigit():
        raise LRSError(400, "parameter 'limit' must be a nonnegative integer")
    return int(value)


def _cursor(given: Mapping[str, str]) -> int | None:
    value = given.get(CURSOR)
    if value is None:
        return None
    if not value.isascii() or not value.isdigit():
        raise LRSError(400, "parameter 'cursor' is not one this LRS gave out")
    return int(value)


def _more_url(given: Mapping[str, str], cursor: int) -> str:
    return more_url(url_for("lrs.statements"), given, cursor)


def more_url(path: str, given: Mapping[str, str], cursor: int) -> str:
    """Return the relative IRL of the next page: same filters, after ``cursor``.

    Data 2.5.s2: "Relative IRL that can be used to fetch more results, including the
    full path and optionally a query string but excluding scheme, host, and port".
    Continuing after a (stored, seq) position keeps the pages stable while new
    statements arrive.
    """
    kept = [(name, value) for name, value in given.items() if name != CURSOR]
    return path + "?" + urlencode([*kept, (CURSOR, str(cursor))])


# --- Formats and the response ------------------------------------------------------


def _formatted(statement: dict, style: str) -> dict:
    """Return a statement in the "ids", "exact" or "canonical" format."""
    if style == "ids":
        return ids_format(statement)
    if style == "canonical":
        return canonical_format(
            statement, list(request.accept_languages), _definitions(statement)
        )
    return statement


def _definitions(statement: dict) -> dict[str, dict]:
    """Return the LRS's canonical definitions of the statement's Activities.

    Communication 2.1.3 format "canonical": "return Activity Objects and Verbs
    populated with the canonical definition of the Activity Objects ... as
    determined by the LRS"; without one, the statement's own definition is used.
    """
    cache = g.setdefault("lrs_definitions", {})
    found = {}
    for activity_id in _activity_ids(statement):
        if activity_id not in cache:
            known = get_activity(db.session.connection(), activity_id)
            cache[activity_id] = known.get("definition")
        if cache[activity_id]:
            found[activity_id] = cache[activity_id]
    return found


def _activity_ids(statement: dict) -> list[str]:
    """Return the ids of the Activities in a statement, its context and SubStatement."""
    ids = []
    holders = [statement]
    if statement["object"].get("objectType") == "SubStatement":
        holders.append(statement["object"])
    for holder in holders:
        obj = holder["object"]
        if obj.get("objectType", "Activity") == "Activity":
            ids.append(obj["id"])
        context = holder.get("context") or {}
        for value in (context.get("contextActivities") or {}).values():
            ids.extend(a["id"] for a in (value if isinstance(value, list) else [value]))
    return ids


def _respond(
    data: bytes, statements: list[dict], attachments: bool, headers: dict[str, str]
) -> Response:
    """Answer JSON, or multipart/mixed with the attachments' raw data.

    Communication 2.1.3.s2.b6: with attachments=true "the LRS MUST use the multipart
    response format and include all Attachments"; b7: with false it "MUST NOT
    include Attachment raw data and MUST report application/json".
    """
    if not attachments:
        headers["ETag"] = etag(data)
        return json_response(data, headers=headers)
    found = load_attachments(db.session.connection(), attachment_hashes(statements))
    content, content_type = multipart.build(data, found)
    response = Response(content, content_type=content_type)
    response.headers.update(headers)
    return response
