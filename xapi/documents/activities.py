"""Canonical Activity definitions, kept from trusted sources only (Core)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, select, update

from xapi.documents.schema import activities
from xapi.formats import is_mapping
from xapi.sqltypes import dialect_insert, one_of

#: Definition properties that are language maps or extensions: merged per key.
_MERGED_BY_KEY = frozenset({"name", "description", "extensions"})
#: Ids per "IN (...)" list, well under SQLite's bound-parameter limit.
_CHUNK = 500


def upsert_definitions(
    conn: Connection,
    statements: Iterable[Mapping],
    *,
    trusted: bool = True,
    now: datetime | None = None,
    stored: Mapping[str, dict] | None = None,
) -> int:
    """Fold the Activity definitions of stored statements into the canonical ones.

    Data 2.4.4.1.s4.b3: "Upon receiving a Statement with an Activity Definition that
    differs from the one stored, an LRS SHOULD decide whether it considers the
    Learning Record Provider to have the authority to change the definition":
    only ``trusted`` sources (the LMS itself, clients with the ``define`` scope)
    change it. Returns how many definitions changed. ``stored`` holds the
    definitions stored for (at least) these statements' defined Activities, where
    the caller has read them in this transaction (``definitions_query``).
    """
    if not trusted:
        return 0
    found: dict[str, dict] = {}
    last: dict[str, Mapping] = {}
    for statement in statements:
        for activity_id, definition in activities_in(statement):
            # A batch repeats definitions; merging one again changes nothing.
            if last.get(activity_id) == definition:
                continue
            last[activity_id] = definition
            found[activity_id] = merge_definition(found.get(activity_id), definition)
    if not found:
        return 0
    if stored is None:
        stored = _stored(conn, list(found))
    moment = now or datetime.now(UTC)
    changed = 0
    # In id order, so that concurrent batches lock the same rows in the same
    # order and cannot deadlock on PostgreSQL.
    for activity_id in sorted(found):
        definition = found[activity_id]
        old = stored.get(activity_id)
        if merge_definition(old, definition) != old:
            changed += _save(conn, activity_id, definition, moment, read=old)
    return changed


def defined_ids(statements: Iterable[Mapping]) -> set[str]:
    """Return the ids of the Activities that these statements define."""
    return {
        activity_id
        for statement in statements
        for activity_id, _definition in activities_in(statement)
    }


def read_definitions(rows: Iterable[tuple[str, str]]) -> dict[str, dict]:
    """Return stored definitions by id from (activity_id, definition) rows of
    ``definitions_query``."""
    return {activity_id: orjson.loads(text) for activity_id, text in rows}


def definitions_query(ids: str = "ids", *, dialect: str | None = None):
    """Return the query of (activity_id, definition) for the ids in parameter
    ``ids``, for callers that read them with other rows.

    With a ``dialect`` the ids are one parameter (xapi.sqltypes.one_of), so the
    text is the same for every batch; without, an IN list of a parameter each.
    """
    column = activities.c.activity_id
    condition = one_of(column, ids, dialect=dialect)
    return select(column, activities.c.definition).where(condition)


def get_activity(conn: Connection, activity_id: str) -> dict:
    """Return the Activity object with its canonical definition, if one is known.

    Communication 2.5.s2.b1: "If an LRS does not have a canonical definition of the
    Activity to return, the LRS SHOULD* still return an Activity Object".
    """
    row = conn.execute(
        select(activities.c.definition).where(activities.c.activity_id == activity_id)
    ).first()
    activity: dict = {"objectType": "Activity", "id": activity_id}
    if row is not None:
        activity["definition"] = orjson.loads(row[0])
    return activity


def merge_definition(old: Mapping | None, new: Mapping) -> dict:
    """Return ``old`` updated by ``new``; language maps and extensions per key.

    Names and descriptions in languages the new definition leaves out are kept,
    as Data 3.2.s4.b3 asks when incorporating a definition ("preserving names or
    definitions not included").
    """
    merged = dict(old or {})
    for key, value in new.items():
        current = merged.get(key)
        if (
            key in _MERGED_BY_KEY
            and isinstance(current, dict)
            and isinstance(value, dict)
        ):
            merged[key] = {**current, **value}
        else:
            merged[key] = value
    return merged


def activities_in(statement: Mapping) -> list[tuple[str, dict]]:
    """Return (id, definition) of every defined Activity in a statement."""
    found: list[tuple[str, dict]] = []
    target = statement.get("object")
    _add_defined(found, target)
    _add_context(found, statement.get("context"))
    if is_mapping(target) and target.get("objectType") == "SubStatement":
        _add_defined(found, target.get("object"))
        _add_context(found, target.get("context"))
    return found


def _add_context(found: list[tuple[str, dict]], context: Any) -> None:
    """Add the defined Activities of contextActivities (arrays or single)."""
    if not is_mapping(context):
        return
    groups = context.get("contextActivities")
    if not is_mapping(groups):
        return
    for group in groups.values():
        if isinstance(group, list):
            for activity in group:
                _add_defined(found, activity)
        else:
            _add_defined(found, group)


def _add_defined(found: list[tuple[str, dict]], activity: Any) -> None:
    """Add the Activity's id and definition when it is an Activity with one."""
    if not is_mapping(activity) or activity.get("objectType", "Activity") != "Activity":
        return
    definition = activity.get("definition")
    if definition and is_mapping(definition) and "id" in activity:
        found.append((activity["id"], definition))


def _stored(conn: Connection, ids: list[str]) -> dict[str, dict]:
    """Return the stored definitions of ``ids``."""
    stored: dict[str, dict] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        stored.update(read_definitions(conn.execute(_DEFINITIONS, {"ids": chunk})))
    return stored


#: Built once: building a query costs more than running it for a few ids.
_DEFINITIONS = definitions_query()


def _save(
    conn: Connection,
    activity_id: str,
    new: dict,
    moment: datetime,
    *,
    read: dict | None,
) -> bool:
    """Merge ``new`` into the stored definition; return whether that changed it.

    ``read`` is the definition read earlier in this transaction (None if there
    was none). Another batch may have merged into the row since, so the merge is
    done again on the row as it is now, locked: FOR UPDATE on PostgreSQL; on
    SQLite, storing the statements has taken the one write lock by then. So no
    concurrent merge is lost.
    Costs a round trip more than a blind write, only when a definition changes.
    """
    if read is None:
        inserted = conn.execute(
            dialect_insert(conn)(activities)
            .values(
                activity_id=activity_id,
                definition=orjson.dumps(merge_definition(None, new)).decode(),
                updated=moment,
            )
            .on_conflict_do_nothing(index_elements=[activities.c.activity_id])
            .returning(activities.c.activity_id)
        )
        if inserted.first() is not None:
            return True
    current = orjson.loads(
        conn.execute(
            select(activities.c.definition)
            .where(activities.c.activity_id == activity_id)
            .with_for_update()
        ).scalar_one()
    )
    merged = merge_definition(current, new)
    if merged == current:
        return False
    conn.execute(
        update(activities)
        .where(activities.c.activity_id == activity_id)
        .values(definition=orjson.dumps(merged).decode(), updated=moment)
    )
    return True
