"""Statement comparison, as xAPI Data 2.3.1 defines it for duplicate ids."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

from xapi.agents import mbox_key
from xapi.store.enrich import parse_timestamp

# Data 4.6: "any precision beyond 0.01 second precision SHOULD* NOT be included".
_EXTRA_DIGITS_RE = re.compile(r"(\.[0-9]{2})[0-9]+")


def same_statement(incoming: Mapping, stored: Mapping) -> bool:
    """Return whether two statements with one id match.

    Data 2.3.1 s9: "Differences which could have been caused by exceptions to
    Statement immutability MUST be ignored", i.e. id, authority, stored, timestamp
    and version assignment, activity definitions, verb display, the timezone of
    timestamps, the order of Group members and case-insensitive values.
    """
    left, right = comparable(incoming), comparable(stored)
    if _timestamp_assigned(incoming, stored):
        left.pop("timestamp", None)
        right.pop("timestamp", None)
    return left == right


def _timestamp_assigned(incoming: Mapping, stored: Mapping) -> bool:
    """Return whether either timestamp may have been filled in by the LRS."""
    return (
        "timestamp" not in incoming
        or "timestamp" not in stored
        or stored["timestamp"] == stored.get("stored")
    )


def comparable(statement: Mapping) -> dict[str, Any]:
    """Return the parts of a statement that immutability covers, normalised."""
    out: dict[str, Any] = {
        key: value
        for key, value in statement.items()
        if key not in ("id", "authority", "stored", "version")
    }
    out["actor"] = _agent(statement["actor"])
    out["verb"] = statement["verb"]["id"]
    out["object"] = _object(statement["object"])
    if "timestamp" in statement:
        moment = parse_timestamp(statement["timestamp"])
        out["timestamp"] = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    if "context" in statement:
        out["context"] = _context(statement["context"])
    duration = (statement.get("result") or {}).get("duration")
    if duration:
        out["result"] = {
            **statement["result"],
            "duration": _EXTRA_DIGITS_RE.sub(r"\1", duration),
        }
    return out


def _agent(agent: Mapping) -> dict[str, Any]:
    """Normalise an Agent or Group: default objectType, mbox domain, member order."""
    out = dict(agent)
    out.setdefault("objectType", "Agent")
    if "mbox" in out:
        out["mbox"] = mbox_key(out["mbox"])
    if "mbox_sha1sum" in out:
        out["mbox_sha1sum"] = out["mbox_sha1sum"].lower()
    if "member" in out:
        members = [_agent(member) for member in out["member"]]
        out["member"] = sorted(members, key=lambda m: orjson.dumps(m, option=_SORTED))
    return out


_SORTED = orjson.OPT_SORT_KEYS


def _object(obj: Mapping) -> Any:
    """Normalise a statement's object according to its objectType."""
    object_type = obj.get("objectType", "Activity")
    if object_type == "Activity":
        return ("Activity", obj["id"])
    if object_type in ("Agent", "Group"):
        return _agent(obj)
    if object_type == "StatementRef":
        return ("StatementRef", obj["id"].lower())
    return comparable(obj)


def _context(context: Mapping) -> dict[str, Any]:
    """Normalise a context: activity ids only, agents, lowercase ids and language."""
    out = dict(context)
    if "registration" in out:
        out["registration"] = out["registration"].lower()
    if "language" in out:
        out["language"] = out["language"].lower()
    for role in ("instructor", "team"):
        if role in out:
            out[role] = _agent(out[role])
    if "statement" in out:
        out["statement"] = out["statement"]["id"].lower()
    if "contextActivities" in out:
        out["contextActivities"] = {
            key: [a["id"] for a in (value if isinstance(value, list) else [value])]
            for key, value in out["contextActivities"].items()
        }
    return out
