"""Pure functions that build xAPI 1.0.3 statements as plain dicts."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from xapi.vocabulary import activity_type, verb

__all__ = [
    "ActivityIds",
    "Context",
    "Interaction",
    "activity_object",
    "actor",
    "instructor",
    "iso_duration",
    "parse_iso_duration",
    "result",
    "statement",
    "utc_timestamp",
]

# An interaction component: its id and its description per language.
Component = tuple[str, Mapping[str, str]]


def _base(base_url: str) -> str:
    """Return ``base_url`` without one trailing slash."""
    return base_url[:-1] if base_url.endswith("/") else base_url


def _uuid(value: object, what: str) -> str:
    """Return ``value`` as a UUID in lowercase standard form; ValueError if not one."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise ValueError(f"{what} must be a UUID, got {value!r}") from None


def actor(base_url: str, user_uuid: str) -> dict:
    """Return the Agent for a user: an account holding only their opaque UUID."""
    return {
        "objectType": "Agent",
        "account": {"homePage": _base(base_url), "name": _uuid(user_uuid, "user_uuid")},
    }


def instructor(base_url: str, user_uuid: str) -> dict:
    """Return the Agent for an educator, shaped like any actor."""
    return actor(base_url, user_uuid)


def _segment(value: object) -> str:
    """Return one IRI path segment, percent-encoding anything that is not plain."""
    text = str(value)
    if not text:
        raise ValueError("an activity id segment must not be empty")
    return quote(text, safe="")


class ActivityIds:
    """Build the stable activity IRIs under the LMS base URL."""

    def __init__(self, base_url: str) -> None:
        """Remember the base URL, without a trailing slash."""
        self.base = _base(base_url)

    def _path(self, *segments: object) -> str:
        """Join segments under ``{base}/xapi/activities``."""
        return "/".join([self.base, "xapi", "activities", *map(_segment, segments)])

    def module(self, slug: str) -> str:
        """Return the IRI of a module."""
        return self._path("module", slug)

    def activity(self, slug: str, kind: str, activity_id: str) -> str:
        """Return the IRI of one activity (lesson, case, quiz...) of a module."""
        return self._path("module", slug, kind, activity_id)

    def question(self, slug: str, quiz_id: str, qid: str) -> str:
        """Return the IRI of a question of a quiz."""
        return self._path("module", slug, "quiz", quiz_id, "question", qid)

    def case_step(self, slug: str, case_id: str, step_id: str) -> str:
        """Return the IRI of one step of a case."""
        return self._path("module", slug, "case", case_id, "step", step_id)

    def programme(self, slug: str) -> str:
        """Return the IRI of a programme."""
        return self._path("programme", slug)

    def programme_activity(self, slug: str, kind: str, activity_id: str) -> str:
        """Return the IRI of a session (meeting, webinar) of a programme."""
        return self._path("programme", slug, kind, activity_id)

    def profile(self) -> str:
        """Return the IRI of the project's xAPI profile."""
        return f"{self.base}/xapi/profile"


def _components(items: Sequence[Component]) -> list[dict]:
    """Return interaction components as dicts; an empty description is omitted."""
    out = []
    for component_id, description in items:
        component: dict = {"id": str(component_id)}
        if description:
            component["description"] = dict(description)
        out.append(component)
    return out


@dataclass(frozen=True)
class Interaction:
    """The interaction part of an activity definition (Data 2.4.4.1 s8)."""

    interaction_type: str
    correct_responses_pattern: Sequence[str] | None = None
    choices: Sequence[Component] | None = None
    scale: Sequence[Component] | None = None
    source: Sequence[Component] | None = None
    target: Sequence[Component] | None = None
    steps: Sequence[Component] | None = None

    def as_definition(self) -> dict:
        """Return the definition fields; None means "leave the property out"."""
        fields: dict = {"interactionType": self.interaction_type}
        if self.correct_responses_pattern is not None:
            fields["correctResponsesPattern"] = list(self.correct_responses_pattern)
        for name in ("choices", "scale", "source", "target", "steps"):
            items = getattr(self, name)
            if items is not None:
                fields[name] = _components(items)
        return fields


def activity_object(
    activity_id: str,
    type_key: str,
    name: Mapping[str, str] | None = None,
    description: Mapping[str, str] | None = None,
    interaction: Interaction | None = None,
) -> dict:
    """Return an Activity object with a typed definition."""
    definition: dict = {"type": activity_type(type_key)}
    if name:
        definition["name"] = dict(name)
    if description:
        definition["description"] = dict(description)
    if interaction is not None:
        definition.update(interaction.as_definition())
    return {"objectType": "Activity", "id": activity_id, "definition": definition}


def _typed(activity_id: str, type_key: str) -> dict:
    """Return a context activity with only its id and type."""
    return {"id": activity_id, "definition": {"type": activity_type(type_key)}}


@dataclass(frozen=True)
class Context:
    """The context of a statement: registration, module, programme, profile."""

    base_url: str
    registration: str
    module_slug: str | None = None
    programme_slug: str | None = None
    language: str | None = None
    instructor_uuid: str | None = None
    parent_id: str | None = None

    def context_activities(self) -> dict:
        """Return parent, grouping and category, nearest activity first."""
        ids = ActivityIds(self.base_url)
        module = (
            _typed(ids.module(self.module_slug), "module") if self.module_slug else None
        )
        parent = [{"id": self.parent_id}] if self.parent_id else [module]
        grouping = [module] if self.parent_id else []
        if self.programme_slug:
            grouping.append(_typed(ids.programme(self.programme_slug), "course"))
        activities = {
            "parent": [a for a in parent if a],
            "grouping": [a for a in grouping if a],
            "category": [_typed(ids.profile(), "profile")],
        }
        return {key: value for key, value in activities.items() if value}

    def as_dict(self) -> dict:
        """Return the Context object."""
        context: dict = {
            "registration": _uuid(self.registration, "registration"),
            "contextActivities": self.context_activities(),
        }
        if self.instructor_uuid is not None:
            context["instructor"] = instructor(self.base_url, self.instructor_uuid)
        if self.language:
            context["language"] = self.language
        return context


def result(
    *,
    score_raw: float | None = None,
    score_min: float | None = None,
    score_max: float | None = None,
    score_scaled: float | None = None,
    success: bool | None = None,
    completion: bool | None = None,
    response: str | None = None,
    duration_seconds: float | None = None,
    extensions: Mapping[str, object] | None = None,
) -> dict:
    """Return a Result object holding only the parts that are given."""
    score = {
        key: value
        for key, value in (
            ("scaled", score_scaled),
            ("raw", score_raw),
            ("min", score_min),
            ("max", score_max),
        )
        if value is not None
    }
    parts = {
        "score": score or None,
        "success": success,
        "completion": completion,
        "response": response,
        "duration": None
        if duration_seconds is None
        else iso_duration(duration_seconds),
        "extensions": dict(extensions) if extensions else None,
    }
    return {key: value for key, value in parts.items() if value is not None}


def utc_timestamp(moment: datetime) -> str:
    """Format an aware datetime as an RFC 3339 UTC timestamp ending in "Z"."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("timestamps must be timezone-aware datetimes")
    moment = moment.astimezone(UTC)
    spec = "milliseconds" if moment.microsecond % 1000 == 0 else "microseconds"
    return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def statement(
    actor: dict,
    verb_key: str,
    obj: dict,
    context: dict | None = None,
    result: dict | None = None,
    timestamp: datetime | None = None,
    statement_id: str | None = None,
) -> dict:
    """Return a statement; a new UUID and the current time fill in id and timestamp."""
    built: dict = {
        "id": _uuid(statement_id, "statement_id")
        if statement_id
        else str(uuid.uuid4()),
        "actor": actor,
        "verb": verb(verb_key).as_dict(),
        "object": obj,
    }
    if context:
        built["context"] = context
    if result:
        built["result"] = result
    built["timestamp"] = utc_timestamp(timestamp or datetime.now(UTC))
    return built


def iso_duration(seconds: float) -> str:
    """Format seconds as an ISO 8601 duration in hours, minutes and seconds."""
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative, got {seconds!r}")
    # Data 4.6: providers SHOULD send at most 0.01 second precision.
    centis = round(seconds * 100)
    hours, centis = divmod(centis, 360_000)
    minutes, centis = divmod(centis, 6_000)
    text = "PT"
    if hours:
        text += f"{hours}H"
    if minutes:
        text += f"{minutes}M"
    if centis or text == "PT":
        whole, fraction = divmod(centis, 100)
        text += f"{whole}.{fraction:02d}".rstrip("0").rstrip(".") + "S"
    return text


_NUMBER = r"([0-9]+(?:[.,][0-9]+)?)"
_DURATION_RE = re.compile(
    rf"P(?:{_NUMBER}W|(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}D)?"
    rf"(?:T?(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?)"
)
# Seconds per unit of the groups W, D, H, M (time), S; Y and M (date) have none.
_UNIT_SECONDS = {1: 604_800, 4: 86_400, 5: 3_600, 6: 60, 7: 1}


def parse_iso_duration(text: str) -> float:
    """Return the seconds in an ISO 8601 duration; ValueError for years or months.

    Data 2.3.1: "Due to variable lengths of months, years and even minutes ... it is
    not possible for an LRS to accurately deserialize the Result Duration".
    """
    match = _DURATION_RE.fullmatch(text)
    if match is None or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"not an ISO 8601 duration: {text!r}")
    if match.group(2) or match.group(3):
        raise ValueError(f"a duration in years or months has no exact length: {text!r}")
    if "T" not in text and (match.group(5) or match.group(6)):
        raise ValueError(f"hours and minutes need the 'T' designator: {text!r}")
    total = 0.0
    for group, unit in _UNIT_SECONDS.items():
        value = match.group(group)
        if value:
            total += float(value.replace(",", ".")) * unit
    return total
