"""Progress as a projection of xAPI statements.

The live path and `progress rebuild` share `apply`, so a rebuild from the stored
statements gives exactly what the live projection holds.
"""

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from modules import Activity, Module
from xapi.vocabulary import VERBS

_VERB_KEYS = {verb.id: key for key, verb in VERBS.items()}


@dataclass
class ActivityState:
    """The state of one activity: "in_progress" or "done", with detail."""

    status: str
    detail: dict[str, Any]
    updated_at: datetime


@dataclass
class EnrolmentState:
    """Everything the projection holds for one enrolment."""

    activities: dict[str, ActivityState] = field(default_factory=dict)
    last_activity_id: str | None = None
    completed_at: datetime | None = None
    progress_percent: int = 0

    def done(self, activity_id: str) -> bool:
        """Return whether the activity counts as done."""
        state = self.activities.get(activity_id)
        return state is not None and state.status == "done"


@dataclass(frozen=True)
class Target:
    """What a statement's object points at inside a module."""

    slug: str
    kind: str | None = None
    activity_id: str | None = None
    part: str | None = None  # a question or case step id


def parse_target(base_url: str, object_id: str) -> Target | None:
    """Map an activity IRI under our base URL to a module, activity and part."""
    prefix = f"{base_url}/xapi/activities/module/"
    if not object_id.startswith(prefix):
        return None
    parts = object_id[len(prefix) :].split("/")
    if len(parts) == 1:
        return Target(parts[0])
    if len(parts) == 3:
        return Target(parts[0], parts[1], parts[2])
    if len(parts) == 5:
        return Target(parts[0], parts[1], parts[2], parts[4])
    return None


def timestamp_of(statement: dict) -> datetime:
    """Return the statement's timestamp as an aware datetime."""
    return datetime.fromisoformat(statement["timestamp"])


def apply(
    module: Module, state: EnrolmentState, statement: dict, base_url: str
) -> bool:
    """Apply one statement of this enrolment to its state; return whether it changed."""
    target = parse_target(base_url, statement.get("object", {}).get("id", ""))
    verb = _VERB_KEYS.get(statement["verb"]["id"])
    if target is None or target.slug != module.slug or target.activity_id is None:
        return False
    activity = _find(module, target)
    if activity is None or verb is None:
        return False
    when = timestamp_of(statement)
    if verb == "experienced" and target.part is None:
        state.last_activity_id = activity.id
    before = copy.deepcopy(state.activities.get(activity.id))
    after = _reduce(activity, before, verb, target.part, statement, when)
    if after is None or after == before:
        return verb == "experienced"
    state.activities[activity.id] = after
    _recount(module, state, when)
    return True


def _find(module: Module, target: Target) -> Activity | None:
    for activity in module.activities:
        if activity.id == target.activity_id and activity.kind == target.kind:
            return activity
    return None


def _recount(module: Module, state: EnrolmentState, when: datetime) -> None:
    required = module.required_activities
    done = sum(1 for activity in required if state.done(activity.id))
    state.progress_percent = (100 * done) // len(required) if required else 0
    if done == len(required) and state.completed_at is None:
        state.completed_at = when


def _reduce(
    activity: Activity,
    state: ActivityState | None,
    verb: str,
    part: str | None,
    statement: dict,
    when: datetime,
) -> ActivityState | None:
    detail = dict(state.detail) if state else {}
    status = state.status if state else "in_progress"
    reducer = _REDUCERS.get(activity.kind)
    if reducer is None:
        return None
    outcome = reducer(activity, detail, verb, part, statement.get("result", {}))
    if outcome is None:
        return None
    if outcome == "done":
        status = "done"
    elif outcome == "open":
        status = "in_progress"
    return ActivityState(status, detail, when)


# Each reducer updates detail in place and returns "done", "open" (not done
# any more), "progress" (changed, status unchanged) or None (no effect).


def _lesson(activity, detail, verb, part, result):
    if verb == "experienced":
        return "progress" if not detail else None
    if verb == "completed":
        detail["read"] = True
        return "done"
    return None


def _case(activity, detail, verb, part, result):
    if verb == "answered" and part is not None:
        answers = dict(detail.get("answers", {}))
        answers[part] = result.get("response")
        detail["answers"] = answers
        return "progress"
    if verb == "completed" and part is None:
        detail["completed"] = True
        return "done"
    if verb == "experienced" and part is None:
        return "progress" if not detail else None
    return None


def _quiz(activity, detail, verb, part, result):
    if part is not None:
        return None
    if verb == "attempted":
        detail["attempts"] = detail.get("attempts", 0) + 1
        return "progress"
    if verb in ("passed", "failed"):
        scaled = result.get("score", {}).get("scaled")
        if scaled is not None:
            detail["best"] = max(scaled, detail.get("best", scaled))
        detail["finished"] = detail.get("finished", 0) + 1
        detail["passed"] = detail.get("passed", False) or verb == "passed"
        if verb == "passed" or activity.done_when == "completed":
            return "done"
        return "progress"
    if verb == "experienced":
        return "progress" if not detail else None
    return None


def _practice_task(activity, detail, verb, part, result):
    if verb == "submitted":
        detail["status"] = "submitted"
        detail["submissions"] = detail.get("submissions", 0) + 1
        return "done" if activity.done_when == "submitted" else "progress"
    if verb == "passed":
        detail["status"] = "approved"
        return "done"
    if verb == "returned":
        detail["status"] = "returned"
        return "open" if activity.done_when == "approved" else "progress"
    if verb == "experienced":
        return "progress" if not detail else None
    return None


def _attendance(activity, detail, verb, part, result):
    if verb == "attended":
        detail["attended"] = True
        return "done"
    return None


_REDUCERS = {
    "lesson": _lesson,
    "case": _case,
    "quiz": _quiz,
    "practice_task": _practice_task,
    "webinar": _attendance,
    "meeting": _attendance,
}
