"""The LRS write path: validate, enrich, deduplicate, store (CONVENTIONS 3)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import NamedTuple

import orjson
from sqlalchemy import (
    Connection,
    Select,
    Table,
    bindparam,
    delete,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError

from xapi.agents import agent_key
from xapi.builders import utc_timestamp
from xapi.errors import ConflictError, DuplicateIdError
from xapi.sqltypes import dialect_insert, one_of
from xapi.store.bulk import insert_statements
from xapi.store.compare import same_statement
from xapi.store.enrich import default_version, enrich
from xapi.store.keys import (
    Postings,
    epoch_us,
    object_key,
    own_postings,
    target_id,
)
from xapi.store.schema import POSTINGS, direct_only, statements
from xapi.validation import validate_actor, validate_statement
from xapi.vocabulary import VOIDED

# Ids per "IN (...)" list: well under SQLite's 32,766 bound parameters.
_CHUNK = 5000


class Saved(NamedTuple):
    """What a batch did: every id in batch order, and the statements newly stored."""

    ids: list[str]
    stored: list[dict]


def save_statements(
    conn: Connection,
    batch: Sequence[dict],
    authority: dict,
    *,
    now: datetime | None = None,
    validate: bool = True,
    version: str = "1.0.3",
) -> list[str]:
    """Store a batch in the caller's transaction; return the ids in batch order.

    Raises StatementValidationError (400), DuplicateIdError (400) or ConflictError
    (409) before writing anything; the caller commits or rolls back.
    """
    return store_batch(
        conn, batch, authority, now=now, validate=validate, version=version
    ).ids


def store_batch(
    conn: Connection,
    batch: Sequence[dict],
    authority: dict,
    *,
    now: datetime | None = None,
    validate: bool = True,
    version: str = "1.0.3",
    looked_up: LookUp | None = None,
) -> Saved:
    """Store a batch like save_statements; also return the enriched new statements.

    ``looked_up`` is what a caller read with ``look_up_query`` for this batch's
    ``given_ids``, in this transaction, as part of a query of its own.
    """
    if validate:
        validate_batch(batch, authority, version=version)
    stored_at = now or datetime.now(UTC)
    stored = utc_timestamp(stored_at)
    enriched = [
        enrich(
            item, stored=stored, authority=authority, version=default_version(version)
        )
        for item in batch
    ]
    ids = [item["id"] for item in enriched]
    _reject_duplicate_ids(ids)
    client_ids = [
        item["id"] for item, sent in zip(enriched, batch, strict=True) if sent.get("id")
    ]
    existing, referrers = _look_up(conn, client_ids, ids, looked_up)
    fresh = _drop_stored(enriched, existing)
    if fresh:
        fresh_ids = {item["id"] for item in fresh}
        referrers = [r for r in referrers if r.target_id in fresh_ids]
        _store(conn, fresh, stored_at, referrers)
    return Saved(ids, fresh)


def validate_batch(batch: Sequence[dict], authority: dict, *, version: str) -> None:
    """Raise StatementValidationError for the first invalid statement of a batch."""
    validate_actor(authority, path="authority")
    for index, item in enumerate(batch):
        path = f"statements[{index}]" if len(batch) > 1 else "statement"
        validate_statement(item, version=version, path=path)


def _reject_duplicate_ids(ids: list[str]) -> None:
    """Raise DuplicateIdError when one id appears twice in the batch.

    Communication 2.1.2 s2 b6: "If the LRS receives a batch of Statements containing
    two or more Statements with the same id, it SHOULD* reject the batch".
    """
    twice = [statement_id for statement_id, n in Counter(ids).items() if n > 1]
    if twice:
        raise DuplicateIdError(f"statement id {twice[0]} appears more than once")


def given_ids(batch: Sequence[dict]) -> list[str]:
    """Return the ids the statements of a batch give, as the store keeps them."""
    return [str(item["id"]).lower() for item in batch if item.get("id")]


class LookUp(NamedTuple):
    """What storing a batch reads first, for the ids it gives."""

    #: The ids looked up.
    ids: frozenset[str]
    #: The stored payloads of those ids.
    existing: dict[str, str]
    #: The stored statements that target any of them.
    referrers: list[Referrer]


def read_look_up(
    rows: Iterable[Sequence], client_ids: Iterable[str], ids: Iterable[str]
) -> LookUp:
    """Return the LookUp from rows of ``look_up_query`` (columns LOOK_UP_COLUMNS)
    run with these parameters: the payloads of ``client_ids``, the referrers of
    ``ids``."""
    wanted, targeted = frozenset(client_ids), frozenset(ids)
    existing: dict[str, str] = {}
    referrers: list[Referrer] = []
    for statement_id, payload, seq, target, verb_id, stored in rows:
        if statement_id in wanted:
            existing[statement_id] = payload
        if target in targeted:
            referrers.append(Referrer(seq, statement_id, target, verb_id, stored))
    return LookUp(wanted, existing, referrers)


def _look_up(
    conn: Connection,
    client_ids: list[str],
    ids: list[str],
    looked_up: LookUp | None = None,
) -> tuple[dict[str, str], list[Referrer]]:
    """Return the stored payloads of ``client_ids`` and the referrers of ``ids``.

    One query answers both, as a batch is one round trip fewer that way; none
    where the caller looked up the given ids already, but for the referrers of
    ids the LRS generated (a statement without an id).
    """
    if looked_up is not None and looked_up.ids.issuperset(client_ids):
        generated = [i for i in ids if i not in looked_up.ids]
        referrers = looked_up.referrers
        if generated:
            referrers = referrers + _existing_referrers(conn, generated)
        return looked_up.existing, referrers
    if len(client_ids) + len(ids) > _CHUNK:
        existing = dict(_fetch(conn, client_ids))
        return existing, _existing_referrers(conn, ids)
    query = look_up_query(conn.dialect.name)
    rows = conn.execute(query, {"ids": ids, "client_ids": client_ids})
    found = read_look_up(rows, client_ids, ids)
    return found.existing, found.referrers


def _drop_stored(enriched: list[dict], existing: dict[str, str]) -> list[dict]:
    """Return the statements not stored yet; ConflictError if an id holds another.

    Communication 2.1.2 s2 b4: the LRS "MUST NOT make any modifications to its state
    based on receiving a Statement with an id that it already has".
    """
    fresh = []
    for item in enriched:
        payload = existing.get(item["id"])
        if payload is None:
            fresh.append(item)
        elif not same_statement(item, orjson.loads(payload)):
            raise ConflictError(
                f"statement {item['id']} is already stored with different content"
            )
    return fresh


def _fetch(conn: Connection, values: Iterable[str]) -> list[tuple[str, str]]:
    """Return (statement_id, payload) of the statements with these ids."""
    values = list(values)
    rows: list[tuple[str, str]] = []
    for start in range(0, len(values), _CHUNK):
        chunk = values[start : start + _CHUNK]
        rows.extend(conn.execute(_PAYLOADS, {"ids": chunk}))
    return rows


#: Built once: building a query costs more than running it on a small batch.
_PAYLOADS = select(statements.c.statement_id, statements.c.payload).where(
    statements.c.statement_id.in_(bindparam("ids", expanding=True))
)


def _store(
    conn: Connection, fresh: list[dict], stored_at: datetime, referrers: list[Referrer]
) -> None:
    """Insert new statements, their posting lists and their voiding effects."""
    known = {item["id"]: item for item in fresh}
    _load_targets(conn, known)
    postings = {item["id"]: _full_postings(item["id"], known, set()) for item in fresh}
    voided = _voided_on_arrival(fresh, referrers)
    _insert(conn, fresh, voided, stored_at, [postings[i["id"]] for i in fresh])
    _propagate(conn, referrers, postings)
    _void_existing(conn, fresh)


# --- Statement references ----------------------------------------------------------
# Communication 2.1.3 s3: "Statements which target another Statement (by using a
# StatementRef as the Object of the Statement) will meet the filter condition if the
# targeted Statement meets the filter condition ... This rule applies recursively".
# A referring statement therefore gets the posting values of its target chain too.


def _load_targets(conn: Connection, known: dict[str, dict]) -> None:
    """Add to ``known`` every stored statement the new ones reach by StatementRef."""
    wanted = {t for item in known.values() if (t := target_id(item))} - known.keys()
    while wanted:
        found = {i: orjson.loads(p) for i, p in _fetch(conn, wanted)}
        known.update(found)
        wanted = {t for item in found.values() if (t := target_id(item))} - known.keys()


def _full_postings(
    statement_id: str, known: dict[str, dict], seen: set[str]
) -> Postings:
    """Return a statement's own postings plus those of its target chain."""
    item = known[statement_id]
    postings = own_postings(item)
    seen.add(statement_id)
    target = target_id(item)
    if target in known and target not in seen:
        postings.merge(_full_postings(target, known, seen))
    return postings


class Referrer(NamedTuple):
    """A stored statement whose object is a StatementRef."""

    seq: int
    statement_id: str
    target_id: str
    verb_id: str
    stored: datetime


#: The columns of look_up_query: the texts first, so that a caller may put the
#: query in a UNION with rows of texts.
LOOK_UP_COLUMNS = ("statement_id", "payload", "seq", "target_id", "verb_id", "stored")


def look_up_query(dialect: str) -> Select:
    """Return the query of what storing a batch reads first: the statements with
    an id in the list parameter ``client_ids`` or a target in ``ids`` (one_of).

    Built once per dialect, as building costs more than running it.
    """
    query = _LOOK_UP.get(dialect)
    if query is None:
        query = _LOOK_UP[dialect] = select(
            *(statements.c[name] for name in LOOK_UP_COLUMNS)
        ).where(
            or_(
                one_of(statements.c.statement_id, "client_ids", dialect=dialect),
                one_of(statements.c.target_id, "ids", dialect=dialect),
            )
        )
    return query


_LOOK_UP: dict[str, Select] = {}
_REFERRERS = select(*(statements.c[name] for name in Referrer._fields)).where(
    statements.c.target_id.in_(bindparam("ids", expanding=True))
)


def _existing_referrers(conn: Connection, ids: list[str]) -> list[Referrer]:
    """Return the stored statements that target any of ``ids``."""
    rows: list[Referrer] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows.extend(Referrer(*row) for row in conn.execute(_REFERRERS, {"ids": chunk}))
    return rows


def _propagate(
    conn: Connection, referrers: list[Referrer], postings: dict[str, Postings]
) -> None:
    """Give stored statements that target a new one the new postings, recursively."""
    for target, reached in _referrer_closure(conn, referrers).items():
        rows: dict[str, list[tuple]] = {name: [] for name in POSTINGS}
        for seq, stored in reached:
            for name, table_rows in (
                postings[target].rows(seq, epoch_us(stored)).items()
            ):
                rows[name].extend(table_rows)
        upsert_postings(conn, rows)


def _referrer_closure(
    conn: Connection, referrers: list[Referrer]
) -> dict[str, set[tuple[int, datetime]]]:
    """Map each new statement id to (seq, stored) of the stored ones reaching it."""
    closure: dict[str, set[tuple[int, datetime]]] = {}
    for referrer in referrers:
        reached = closure.setdefault(referrer.target_id, set())
        frontier = [referrer]
        while frontier := [r for r in frontier if (r.seq, r.stored) not in reached]:
            reached.update((r.seq, r.stored) for r in frontier)
            frontier = _existing_referrers(conn, [r.statement_id for r in frontier])
    return closure


def upsert_postings(conn: Connection, rows: dict[str, list[tuple]]) -> None:
    """Insert posting rows that may exist already; a direct value wins.

    A value's direct and related postings of a statement sit in two ranges of the
    key, so no constraint keeps them apart: the related row is deleted where a
    direct one exists. Two transactions meeting here can still leave both, which
    readers allow for.
    """
    insert = dialect_insert(conn)
    for name, table_rows in rows.items():
        if not table_rows:
            continue
        table, key = POSTINGS[name]
        names = table.c.keys()
        conn.execute(
            insert(table).on_conflict_do_nothing(),
            [dict(zip(names, row, strict=True)) for row in table_rows],
        )
        if "related" in table.c:
            _drop_shadowed(conn, table, key, {row[:3] for row in table_rows})


def _drop_shadowed(
    conn: Connection, table: Table, key: str, places: set[tuple]
) -> None:
    """Delete related postings at ``places`` (value, stored_us, seq) that have a
    direct one."""
    direct = table.alias("direct")
    shadowing = (
        select(direct.c.seq)
        .where(
            direct.c[key] == table.c[key],
            direct_only(direct),
            direct.c.stored_us == table.c.stored_us,
            direct.c.seq == table.c.seq,
        )
        .exists()
    )
    conn.execute(
        delete(table).where(
            table.c[key] == bindparam("value"),
            table.c.related == true(),
            table.c.stored_us == bindparam("us"),
            table.c.seq == bindparam("seq_"),
            shadowing,
        ),
        [{"value": value, "us": us, "seq_": seq} for value, us, seq in places],
    )


# --- Voiding -----------------------------------------------------------------------
# Data 2.3.2 s2 b3: "An LRS MUST consider a Statement it contains voided if and only if
# the Statement is not itself a voiding Statement and the LRS also contains a voiding
# Statement referring to the first Statement." The target may arrive after the voiding
# statement (b5: the LRS "SHOULD NOT* reject the request on the grounds of the Object
# of that voiding Statement not being present").


def _is_voiding(item: dict) -> bool:
    """Return whether a statement voids another."""
    return item["verb"]["id"] == VOIDED and target_id(item) is not None


def _voided_on_arrival(fresh: list[dict], referrers: list[Referrer]) -> set[str]:
    """Return ids of new statements that a stored or new voiding statement targets."""
    targets = {r.target_id for r in referrers if r.verb_id == VOIDED}
    targets |= {target_id(item) for item in fresh if _is_voiding(item)}
    return {
        item["id"] for item in fresh if item["id"] in targets and not _is_voiding(item)
    }


def _void_existing(conn: Connection, fresh: list[dict]) -> None:
    """Mark stored, non-voiding statements targeted by new voiding statements."""
    new_ids = {item["id"] for item in fresh}
    targets = sorted(
        {
            t
            for item in fresh
            if _is_voiding(item) and (t := target_id(item)) not in new_ids
        }
    )
    for start in range(0, len(targets), _CHUNK):
        conn.execute(
            update(statements)
            .where(statements.c.statement_id.in_(targets[start : start + _CHUNK]))
            .where(
                ~(
                    (statements.c.verb_id == VOIDED)
                    & statements.c.target_id.is_not(None)
                )
            )
            .values(voided=true())
        )


# --- Rows --------------------------------------------------------------------------


def _insert(
    conn: Connection,
    fresh: list[dict],
    voided: set[str],
    stored_at: datetime,
    postings: list[Postings],
) -> None:
    """Insert the statement rows and their posting rows in bulk."""
    rows = [_statement_row(item, item["id"] in voided, stored_at) for item in fresh]
    stored_us = epoch_us(stored_at)
    posting_rows: dict[str, list[tuple]] = {name: [] for name in POSTINGS}
    for position, own in enumerate(postings):
        for name, table_rows in own.rows(position, stored_us).items():
            posting_rows[name].extend(table_rows)
    try:
        insert_statements(conn, rows, posting_rows)
    except IntegrityError as error:
        # Another transaction stored one of these ids since we looked.
        raise ConflictError(
            "a statement id in the batch was stored concurrently"
        ) from error


def _statement_row(item: dict, voided: bool, stored_at: datetime) -> dict:
    """Return the xapi_statements row of an enriched statement."""
    obj = item["object"]
    registration = (item.get("context") or {}).get("registration")
    return {
        "statement_id": item["id"],
        "stored": stored_at,
        "timestamp": datetime.fromisoformat(item["timestamp"]),
        "actor_key": agent_key(item["actor"]),
        "verb_id": item["verb"]["id"],
        "object_type": obj.get("objectType", "Activity"),
        "object_key": object_key(obj),
        "target_id": target_id(item),
        "registration": registration.lower() if registration else None,
        "voided": voided,
        "authority_key": agent_key(item["authority"]),
        "payload": orjson.dumps(item).decode(),
    }
