"""Programme progress as a projection of xAPI statements.

Two kinds of statement count for a programme enrolment:
- a module's `completed` statement, made in the learner's enrolment on a module the
  programme lists (whenever it was made, even before the programme enrolment);
- an `attended` statement on one of the programme's own sessions, made with the
  programme enrolment's registration, whose object is
  `{base}/xapi/activities/programme/{slug}/{kind}/{activity id}`.

The state keeps the earliest statement that counts for each module and session, so it
does not depend on the order statements are folded in; `progress rebuild` and the live
path share `apply_module_completed` and `apply_programme_statement`.
"""

from dataclasses import dataclass, field
from datetime import datetime

from lms.progress import parse_target, timestamp_of
from modules import Programme
from xapi.vocabulary import VERBS


@dataclass
class ProgrammeState:
    """Everything the projection holds for one programme enrolment."""

    #: Module slug -> when the learner first completed it.
    modules: dict[str, datetime] = field(default_factory=dict)
    #: Programme activity id -> when the learner first attended it.
    attended: dict[str, datetime] = field(default_factory=dict)
    completed_at: datetime | None = None
    progress_percent: int = 0

    def as_detail(self) -> dict:
        """Return the state's detail as JSON for the enrolment row."""
        return {
            "modules": {slug: when.isoformat() for slug, when in self.modules.items()},
            "attended": {key: when.isoformat() for key, when in self.attended.items()},
        }

    @classmethod
    def from_row(
        cls, detail: dict | None, completed_at: datetime | None, percent: int
    ) -> "ProgrammeState":
        """Rebuild a state from the columns of an enrolment row."""
        detail = detail or {}
        return cls(
            modules=_times(detail.get("modules")),
            attended=_times(detail.get("attended")),
            completed_at=completed_at,
            progress_percent=percent,
        )


def _times(values: dict | None) -> dict[str, datetime]:
    return {key: datetime.fromisoformat(when) for key, when in (values or {}).items()}


def programme_activity_prefix(base_url: str, slug: str) -> str:
    """Return the start of the IRIs of a programme's own sessions."""
    return f"{base_url}/xapi/activities/programme/{slug}/"


def completed_module(statement: dict, base_url: str) -> str | None:
    """Return the slug when the statement says a module was completed."""
    if statement.get("verb", {}).get("id") != VERBS["completed"].id:
        return None
    target = parse_target(base_url, statement.get("object", {}).get("id", ""))
    if target is None or target.kind is not None:
        return None
    return target.slug


def apply_module_completed(
    programme: Programme, state: ProgrammeState, slug: str, when: datetime
) -> bool:
    """Count a module completion for the programme; return whether it changed."""
    if slug not in programme.modules:
        return False
    earlier = state.modules.get(slug)
    if earlier is not None and earlier <= when:
        return False
    state.modules[slug] = when
    recount(programme, state)
    return True


def apply_programme_statement(
    programme: Programme, state: ProgrammeState, statement: dict, base_url: str
) -> bool:
    """Apply a statement of the programme enrolment; return whether it changed."""
    if statement.get("verb", {}).get("id") != VERBS["attended"].id:
        return False
    activity = session_of(
        programme, statement.get("object", {}).get("id", ""), base_url
    )
    if activity is None:
        return False
    when = timestamp_of(statement)
    earlier = state.attended.get(activity)
    if earlier is not None and earlier <= when:
        return False
    state.attended[activity] = when
    recount(programme, state)
    return True


def session_of(programme: Programme, object_id: str, base_url: str) -> str | None:
    """Return the id of the programme session an activity IRI names, or None."""
    prefix = programme_activity_prefix(base_url, programme.slug)
    if not object_id.startswith(prefix):
        return None
    parts = object_id[len(prefix) :].split("/")
    if len(parts) != 2:
        return None
    kind, activity_id = parts
    activity = programme.activity(activity_id)
    return activity_id if activity is not None and activity.kind == kind else None


def recount(programme: Programme, state: ProgrammeState) -> None:
    """Derive the percentage and completion time from what counts so far."""
    needed = [state.modules.get(slug) for slug in programme.modules] + [
        state.attended.get(activity.id) for activity in programme.required_activities
    ]
    done = [when for when in needed if when is not None]
    state.progress_percent = (100 * len(done)) // len(needed) if needed else 0
    state.completed_at = max(done) if needed and len(done) == len(needed) else None


def forget_attendance(
    programme: Programme, state: ProgrammeState, activity_id: str
) -> bool:
    """Drop a session whose attended statements were voided; return if it changed."""
    if state.attended.pop(activity_id, None) is None:
        return False
    recount(programme, state)
    return True
