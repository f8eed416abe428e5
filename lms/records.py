"""The xAPI record of learning events, written in the same transaction as the event."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import (
    Connection,
    String,
    bindparam,
    cast,
    literal,
    null,
    select,
    union_all,
)

from lms import forwarding
from lms.content import module_of
from lms.extensions import db
from lms.models import ActivityProgress, Enrolment
from lms.progress import ActivityState, EnrolmentState, apply
from lms.statements import base_url, module_completed
from xapi.documents import (
    defined_ids,
    definitions_query,
    read_definitions,
    upsert_definitions,
)
from xapi.sqltypes import one_of
from xapi.store import (
    LOOK_UP_COLUMNS,
    LookUp,
    Saved,
    get_statement,
    given_ids,
    iter_statements,
    look_up_query,
    read_look_up,
    store_batch,
    validate_batch,
)
from xapi.store.driver import run_query
from xapi.vocabulary import VOIDED


def authority() -> dict:
    """Return the authority stamped on the LMS's own statements."""
    return {"objectType": "Agent", "account": {"homePage": base_url(), "name": "lms"}}


def load_state(enrolment: Enrolment) -> EnrolmentState:
    """Read an enrolment's projection from its rows."""
    return EnrolmentState(
        activities={
            row.activity_id: ActivityState(row.status, dict(row.detail), row.updated_at)
            for row in enrolment.progress
        },
        last_activity_id=enrolment.last_activity_id,
        completed_at=enrolment.completed_at,
        progress_percent=enrolment.progress_percent,
    )


def store_state(enrolment: Enrolment, state: EnrolmentState) -> None:
    """Write an enrolment's projection back to its rows."""
    rows = {row.activity_id: row for row in enrolment.progress}
    for activity_id, activity in state.activities.items():
        row = rows.get(activity_id)
        if row is None:
            row = ActivityProgress(activity_id=activity_id)
            enrolment.progress.append(row)
        row.status, row.detail, row.updated_at = (
            activity.status,
            activity.detail,
            activity.updated_at,
        )
    for activity_id, row in rows.items():
        if activity_id not in state.activities:
            enrolment.progress.remove(row)
    enrolment.last_activity_id = state.last_activity_id
    enrolment.completed_at = state.completed_at
    enrolment.progress_percent = state.progress_percent


def owned_by(statement: dict, enrolment: Enrolment, base: str) -> bool:
    """Return whether the statement is about this enrolment's learner."""
    account = statement.get("actor", {}).get("account") or {}
    registration = statement.get("context", {}).get("registration")
    return (
        registration == enrolment.uuid
        and account.get("homePage") == base
        and account.get("name") == enrolment.user.uuid
    )


def project(enrolment: Enrolment, statements: list[dict]) -> bool:
    """Apply statements to the enrolment's projection; return if it just completed."""
    module, base = module_of(enrolment.module_version), base_url()
    state = load_state(enrolment)
    was_complete = state.completed_at is not None
    changed = False
    for statement in statements:
        if owned_by(statement, enrolment, base):
            changed |= apply(module, state, statement, base)
    if changed:
        store_state(enrolment, state)
    return not was_complete and state.completed_at is not None


def refold(enrolment: Enrolment) -> None:
    """Rebuild one enrolment's projection from its stored statements."""
    module, base = module_of(enrolment.module_version), base_url()
    state = EnrolmentState()
    connection = db.session.connection()
    for statement in iter_statements(connection, registration=enrolment.uuid):
        if owned_by(statement, enrolment, base):
            apply(module, state, statement, base)
    store_state(enrolment, state)


def store(
    statements: list[dict],
    statement_authority: dict,
    version: str = "1.0.3",
    trusted: bool = True,
    validate: bool = True,
) -> Saved:
    """Store statements, queue them for external LRSs and keep their definitions.

    Every path that stores statements goes through here; the caller commits.
    """
    return _store(statements, statement_authority, version, trusted, validate)[0]


def _store(
    statements: list[dict],
    statement_authority: dict,
    version: str,
    trusted: bool,
    validate: bool,
) -> tuple[Saved, Around | None]:
    """Store like store(); also return what was read around the batch."""
    if validate:
        validate_batch(statements, statement_authority, version=version)
    connection = db.session.connection()
    around = look_around(connection, statements, trusted)
    saved = store_batch(
        connection,
        statements,
        statement_authority,
        version=version,
        validate=False,
        looked_up=around.looked_up if around else None,
    )
    # To external LRSs, in this transaction.
    forwarding.enqueue(saved.stored, around.endpoints if around else None)
    upsert_definitions(
        connection,
        saved.stored,
        trusted=trusted,
        stored=around.definitions if around else None,
    )
    return saved, around


class Around(NamedTuple):
    """What storing a batch reads beside the statements, read in one query."""

    #: The active forwarding endpoints (held on PostgreSQL, see forwarding).
    endpoints: list[int]
    #: Stored definitions of the Activities the batch defines (if trusted).
    definitions: dict[str, dict]
    #: The registrations asked about, and those that are enrolments.
    registrations: frozenset[str]
    enrolments: frozenset[str]
    #: What the store reads first for the ids the batch gives.
    looked_up: LookUp


#: Values one look-around may ask about; a larger batch reads them one query each.
AROUND_LIMIT = 1000


def look_around(
    connection: Connection, statements: list[dict], trusted: bool
) -> Around | None:
    """Read the endpoints, definitions and enrolments a batch needs, and what the
    store looks up before it writes, in one query.

    The statements are valid. Read one by one, they would cost a round of a few
    statements four round trips. None (each read on its own later) for an empty
    batch, or one that names more values than AROUND_LIMIT.
    """
    if not statements:
        return None
    registrations = frozenset(
        registration
        for item in statements
        if (registration := _registration(item)) is not None
    )
    activity_ids = defined_ids(statements) if trusted else set()
    ids = given_ids(statements)
    if len(registrations) + len(activity_ids) + 2 * len(ids) > AROUND_LIMIT:
        return None
    query = _around_query(connection.dialect.name)
    params = {
        "activity_ids": sorted(activity_ids),
        "registrations": sorted(registrations),
        "client_ids": ids,
        "ids": ids,
    }
    found: dict[str, list] = {"s": [], "f": [], "d": [], "e": []}
    for row in run_query(connection, query, params):
        found[row[0]].append(row[1:])
    return Around(
        endpoints=sorted(int(row[0]) for row in found["f"]),
        definitions=read_definitions((row[0], row[1]) for row in found["d"]),
        registrations=registrations,
        enrolments=frozenset(row[0] for row in found["e"]),
        looked_up=read_look_up(found["s"], ids, ids),
    )


_AROUND: dict[str, object] = {}


def _around_query(dialect: str):
    """Return the look-around query for a dialect; built once, as building costs
    more than running it.

    Its rows are (kind, *columns): "s" and the store's look-up columns (two
    texts, then others), first, so that they give the result its types; "f" and
    an endpoint id; "d" and an activity id and its stored definition; "e" and an
    enrolment's uuid.
    """
    if dialect not in _AROUND:
        # Each list is one parameter (one_of): the text is the same every time.
        look_up = look_up_query(dialect).subquery()
        padding = [null()] * (len(LOOK_UP_COLUMNS) - 2)
        endpoints = forwarding.active_endpoints(dialect).cte("active_endpoints")
        definitions = definitions_query("activity_ids", dialect=dialect).subquery()
        enrolments = Enrolment.__table__.c.uuid
        _AROUND[dialect] = union_all(
            select(literal("s"), *(look_up.c[name] for name in LOOK_UP_COLUMNS)),
            select(literal("f"), cast(endpoints.c.id, String), null(), *padding),
            select(literal("d"), *definitions.c, *padding),
            select(literal("e"), enrolments, null(), *padding).where(
                one_of(enrolments, "registrations", dialect=dialect)
            ),
        )
    return _AROUND[dialect]


def record(enrolment: Enrolment, statements: list[dict]) -> None:
    """Store the LMS's own statements about one enrolment; the caller commits."""
    saved = store(statements, authority())
    _project(saved.stored, known=enrolment)
    _follow_programmes(saved.stored)


def ingest(
    statements: list[dict],
    client_authority: dict,
    version: str = "1.0.3",
    define: bool = False,
    validate: bool = True,
) -> list[str]:
    """Store statements from an LRS client; those about enrolments count as progress.

    Only a client with the ``define`` scope changes canonical Activity definitions.
    ``validate=False`` is for statements that passed xapi.store.validate_batch.
    """
    saved, around = _store(statements, client_authority, version, define, validate)
    _project(saved.stored, around=around)
    _follow_programmes(saved.stored)
    return saved.ids


def _follow_programmes(stored: list[dict]) -> None:
    """Let programme progress follow the module completions and sessions it rests on."""
    from lms.programme_records import follow_stored  # it builds on this module

    follow_stored(stored)


def _certify(enrolment: Enrolment, stored: list[dict]) -> None:
    """Issue or renew the certificate these statements earn, in this transaction."""
    from lms.operations.recertification import certify  # it builds on this module

    certify(enrolment, stored)


def _withdraw_unearned(enrolment: Enrolment) -> None:
    """Revoke certificates whose completion was just voided."""
    from lms.operations.certificates import withdraw_unearned  # it builds on this

    withdraw_unearned(enrolment)


def _registration(statement: dict) -> str | None:
    return (statement.get("context") or {}).get("registration")


def _voided_registrations(stored: list[dict]) -> set[str]:
    """Return the registrations of statements that this batch voided."""
    found = set()
    for statement in stored:
        if statement["verb"]["id"] == VOIDED:
            target = get_statement(
                db.session.connection(), statement["object"]["id"], voided=True
            )
            if target is not None and _registration(target):
                found.add(_registration(target))
    return found


#: Built once: building a query costs more than running it for a few ids.
_ENROLMENTS = select(Enrolment.__table__.c.uuid).where(
    Enrolment.__table__.c.uuid.in_(bindparam("ids", expanding=True))
)


def _project(
    stored: list[dict], known: Enrolment | None = None, around: Around | None = None
) -> None:
    """Update the projections touched by newly stored statements.

    ``around`` tells which registrations of the batch are enrolments.
    """
    groups: dict[str, list[dict]] = {}
    for statement in stored:
        if _registration(statement):
            groups.setdefault(_registration(statement), []).append(statement)
    voided = _voided_registrations(stored)
    wanted = set(groups) | voided
    if not wanted:
        return
    enrolments = {known.uuid: known} if known is not None else {}
    missing = wanted - set(enrolments)
    if missing and around is not None and missing <= around.registrations:
        missing &= around.enrolments
    elif missing:
        # Most outside statements name no enrolment of ours: ask the cheap question
        # first, and load objects only for registrations that are enrolments.
        known_ids = db.session.connection().execute(_ENROLMENTS, {"ids": missing})
        missing = set(known_ids.scalars())
    if missing:
        query = db.select(Enrolment).where(Enrolment.uuid.in_(missing))
        enrolments |= {e.uuid: e for e in db.session.execute(query).scalars()}
    for registration, enrolment in enrolments.items():
        if registration in voided:
            refold(enrolment)
            _withdraw_unearned(enrolment)
        elif registration in groups and project(enrolment, groups[registration]):
            record(enrolment, [module_completed(enrolment)])
        if registration in groups:
            _certify(enrolment, groups[registration])
