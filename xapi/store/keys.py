"""The filter values of a statement: what GET /statements can find it by."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from xapi.agents import agent_key, agents_in

# A PostgreSQL btree entry holds at most ~2.7 kB; longer values are indexed by hash.
_MAX_INDEXED = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def epoch_us(moment: datetime) -> int:
    """Return an aware datetime as whole microseconds since the Unix epoch."""
    return (moment - _EPOCH) // _MICROSECOND


def index_key(value: str) -> str:
    """Return ``value`` as stored in a posting list; very long values are hashed.

    The "#" prefix cannot start an IRI, an agent key or a UUID, so no collision.
    """
    if len(value) <= _MAX_INDEXED // 4 or len(value.encode()) <= _MAX_INDEXED:
        return value
    return "#sha256:" + hashlib.sha256(value.encode()).hexdigest()


@dataclass
class Postings:
    """Filter values of one statement; activities and agents map to "related"."""

    activities: dict[str, bool] = field(default_factory=dict)
    agents: dict[str, bool] = field(default_factory=dict)
    verbs: set[str] = field(default_factory=set)
    registrations: set[str] = field(default_factory=set)

    def add_activity(self, activity_id: str, *, related: bool) -> None:
        """Record an activity; a direct occurrence wins over a related one."""
        key = index_key(activity_id)
        self.activities[key] = self.activities.get(key, True) and related

    def add_agents(self, agents: Iterable[str], *, related: bool) -> None:
        """Record agent keys; a direct occurrence wins over a related one."""
        for key in map(index_key, agents):
            self.agents[key] = self.agents.get(key, True) and related

    def merge(self, other: Postings) -> None:
        """Add every value of ``other``, keeping its direct/related flags."""
        for key, related in other.activities.items():
            self.activities[key] = self.activities.get(key, True) and related
        for key, related in other.agents.items():
            self.agents[key] = self.agents.get(key, True) and related
        self.verbs |= other.verbs
        self.registrations |= other.registrations

    def rows(self, seq: int, stored_us: int) -> dict[str, list[tuple]]:
        """Return posting rows (value, stored_us, seq[, related]) by posting table."""
        return {
            "activities": [(k, stored_us, seq, r) for k, r in self.activities.items()],
            "agents": [(k, stored_us, seq, r) for k, r in self.agents.items()],
            "verbs": [(k, stored_us, seq) for k in self.verbs],
            "registrations": [(k, stored_us, seq) for k in self.registrations],
        }


def own_postings(statement: Mapping) -> Postings:
    """Return the filter values a statement has by itself (Communication 2.1.3).

    "agent": the Actor or Object, including members of those Groups; the Authority,
    Instructor, Team and SubStatement agents only count for "related_agents".
    "activity": the Object; context activities and the SubStatement's activities
    only count for "related_activities".
    """
    postings = Postings()
    postings.verbs.add(index_key(statement["verb"]["id"]))
    registration = (statement.get("context") or {}).get("registration")
    if registration:
        postings.registrations.add(registration.lower())
    postings.add_agents(agents_in(statement["actor"]), related=False)
    _add_object(postings, statement["object"], related=False)
    _add_context(postings, statement.get("context"))
    if "authority" in statement:
        postings.add_agents(agents_in(statement["authority"]), related=True)
    return postings


def _add_object(postings: Postings, obj: Mapping, *, related: bool) -> None:
    """Record a statement's object; a SubStatement's parts all count as related."""
    object_type = obj.get("objectType", "Activity")
    if object_type == "Activity":
        postings.add_activity(obj["id"], related=related)
    elif object_type in ("Agent", "Group"):
        postings.add_agents(agents_in(obj), related=related)
    elif object_type == "SubStatement":
        postings.add_agents(agents_in(obj["actor"]), related=True)
        _add_object(postings, obj["object"], related=True)
        _add_context(postings, obj.get("context"))


def _add_context(postings: Postings, context: Mapping | None) -> None:
    """Record the context's activities, instructor and team as related."""
    if not context:
        return
    for activities in (context.get("contextActivities") or {}).values():
        for activity in activities if isinstance(activities, list) else [activities]:
            postings.add_activity(activity["id"], related=True)
    for role in ("instructor", "team"):
        if role in context:
            postings.add_agents(agents_in(context[role]), related=True)


def object_key(obj: Mapping) -> str | None:
    """Return the activity id or agent key of a statement's object, if it has one."""
    object_type = obj.get("objectType", "Activity")
    if object_type == "Activity":
        return obj["id"]
    if object_type in ("Agent", "Group"):
        return agent_key(obj)
    return None


def target_id(statement: Mapping) -> str | None:
    """Return the lowercase id a StatementRef object points to, else None."""
    obj = statement["object"]
    if obj.get("objectType") == "StatementRef":
        return obj["id"].lower()
    return None
