"""Statement builders: the exact shapes of DESIGN.md, and always valid xAPI."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xapi import builders as b
from xapi.validation import validate_statement
from xapi.vocabulary import VERBS

BASE = "https://lms.example.dk"
USER = "0b6c1f0e-3c1d-4c58-9f43-0b8f6f1c2d3e"
EDUCATOR = "5f0e9a47-0d7c-4a4e-8e57-6c3b1f1f2a10"
ENROLMENT = "9d1c3a52-7b7e-4f2a-a6d3-1b2c3d4e5f60"
IDS = b.ActivityIds(BASE)
PROFILE = {
    "id": f"{BASE}/xapi/profile",
    "definition": {"type": "http://adlnet.gov/expapi/activities/profile"},
}


def module_activity(slug: str) -> dict:
    """Return the module as a context activity."""
    return {
        "id": f"{BASE}/xapi/activities/module/{slug}",
        "definition": {"type": "http://adlnet.gov/expapi/activities/module"},
    }


def test_actor_is_an_opaque_account():
    """DESIGN: the actor is an account holding the user's UUID, never a name."""
    assert b.actor(BASE + "/", USER.upper()) == {
        "objectType": "Agent",
        "account": {"homePage": BASE, "name": USER},
    }
    assert b.instructor(BASE, EDUCATOR) == b.actor(BASE, EDUCATOR)


@pytest.mark.parametrize("name", ["anna@example.org", "Anna Hansen", ""])
def test_actor_refuses_anything_but_a_uuid(name):
    """Names and emails never reach a statement."""
    with pytest.raises(ValueError, match="UUID"):
        b.actor(BASE, name)


def test_activity_ids():
    """DESIGN: activity ids are built under LMS_BASE_URL and stable for ever."""
    ids = b.ActivityIds(BASE + "/")
    module = f"{BASE}/xapi/activities/module/digital-sundhed"
    assert ids.module("digital-sundhed") == module
    assert ids.activity("digital-sundhed", "lesson", "01-intro") == (
        f"{module}/lesson/01-intro"
    )
    assert ids.question("digital-sundhed", "quiz1", "q2") == (
        f"{module}/quiz/quiz1/question/q2"
    )
    assert ids.case_step("digital-sundhed", "c1", "s3") == f"{module}/case/c1/step/s3"
    assert ids.programme("bdk") == f"{BASE}/xapi/activities/programme/bdk"
    assert ids.profile() == f"{BASE}/xapi/profile"


def test_activity_id_segments_are_encoded():
    """Data 2.2 s3 b3: "A library SHOULD be used to construct IRIs"."""
    assert IDS.module("a b/c") == f"{BASE}/xapi/activities/module/a%20b%2Fc"
    with pytest.raises(ValueError, match="empty"):
        IDS.module("")


def test_activity_object_with_interaction():
    """An interaction activity carries its type, components and correct pattern."""
    interaction = b.Interaction(
        "choice",
        ["a[,]c"],
        choices=[("a", {"da": "Ja", "en": "Yes"}), ("b", {}), ("c", {"da": "Måske"})],
    )
    activity = b.activity_object(
        IDS.question("m", "q", "1"),
        "interaction",
        {"da": "Spørgsmål"},
        None,
        interaction,
    )
    assert activity == {
        "objectType": "Activity",
        "id": f"{BASE}/xapi/activities/module/m/quiz/q/question/1",
        "definition": {
            "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
            "name": {"da": "Spørgsmål"},
            "interactionType": "choice",
            "correctResponsesPattern": ["a[,]c"],
            "choices": [
                {"id": "a", "description": {"da": "Ja", "en": "Yes"}},
                {"id": "b"},
                {"id": "c", "description": {"da": "Måske"}},
            ],
        },
    }


def test_unknown_activity_type_is_refused():
    """Activity types come from the vocabulary only."""
    with pytest.raises(KeyError, match="podcast"):
        b.activity_object(IDS.module("m"), "podcast")


def test_context_of_a_module_activity():
    """DESIGN: registration, parent module, grouping programme, category profile."""
    context = b.Context(
        BASE, ENROLMENT, module_slug="m", programme_slug="bdk", language="da"
    ).as_dict()
    assert context == {
        "registration": ENROLMENT,
        "contextActivities": {
            "parent": [module_activity("m")],
            "grouping": [
                {
                    "id": f"{BASE}/xapi/activities/programme/bdk",
                    "definition": {
                        "type": "http://adlnet.gov/expapi/activities/course"
                    },
                }
            ],
            "category": [PROFILE],
        },
        "language": "da",
    }


def test_context_of_a_question_has_the_quiz_as_parent():
    """Data 2.4.6.2: "a Statement about a quiz question would have the quiz as its
    parent Activity"; the module then joins the grouping."""
    quiz = IDS.activity("m", "quiz", "q1")
    context = b.Context(
        BASE, ENROLMENT, module_slug="m", instructor_uuid=EDUCATOR, parent_id=quiz
    ).as_dict()
    assert context == {
        "registration": ENROLMENT,
        "contextActivities": {
            "parent": [{"id": quiz}],
            "grouping": [module_activity("m")],
            "category": [PROFILE],
        },
        "instructor": b.actor(BASE, EDUCATOR),
    }


def test_context_without_module_has_only_the_profile():
    """A context always names the project's profile in its category."""
    context = b.Context(BASE, uuid.UUID(ENROLMENT)).as_dict()  # type: ignore[arg-type]
    assert context == {
        "registration": ENROLMENT,
        "contextActivities": {"category": [PROFILE]},
    }


def test_result_omits_what_is_not_given():
    """The result carries only the parts that apply."""
    assert b.result() == {}
    assert b.result(
        score_raw=7,
        score_min=0,
        score_max=10,
        score_scaled=0.7,
        success=False,
        completion=True,
        response="a[,]b",
        duration_seconds=65.5,
        extensions={"https://lms.example.dk/xapi/ext/attempt": 2},
    ) == {
        "score": {"scaled": 0.7, "raw": 7, "min": 0, "max": 10},
        "success": False,
        "completion": True,
        "response": "a[,]b",
        "duration": "PT1M5.5S",
        "extensions": {"https://lms.example.dk/xapi/ext/attempt": 2},
    }


def test_statement_shape():
    """A statement has an id, the actor, the verb, the object and a UTC timestamp."""
    moment = datetime(
        2026, 3, 1, 9, 30, 15, 250000, tzinfo=timezone(timedelta(hours=1))
    )
    built = b.statement(
        b.actor(BASE, USER),
        "experienced",
        b.activity_object(IDS.activity("m", "lesson", "l1"), "lesson"),
        context=b.Context(BASE, ENROLMENT, module_slug="m").as_dict(),
        result=b.result(completion=True),
        timestamp=moment,
        statement_id=str(uuid.UUID(int=7)),
    )
    assert built["id"] == "00000000-0000-0000-0000-000000000007"
    assert built["timestamp"] == "2026-03-01T08:30:15.250Z"
    assert built["verb"]["id"] == "http://adlnet.gov/expapi/verbs/experienced"
    assert built["result"] == {"completion": True}
    validate_statement(built)


def test_statement_defaults():
    """Without id and timestamp, a new UUID 4 and the current UTC time are used."""
    before = datetime.now(UTC)
    built = b.statement(b.actor(BASE, USER), "registered", {"id": IDS.module("m")})
    assert uuid.UUID(built["id"]).version == 4
    assert "context" not in built and "result" not in built
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3,6}Z", built["timestamp"])
    stamp = datetime.fromisoformat(built["timestamp"])
    assert before - timedelta(seconds=1) <= stamp <= datetime.now(UTC)


def test_statement_refuses_naive_timestamps():
    """Timestamps are aware datetimes only."""
    with pytest.raises(ValueError, match="timezone"):
        b.statement(
            b.actor(BASE, USER),
            "registered",
            {"id": IDS.module("m")},
            timestamp=datetime(2026, 1, 1),
        )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "PT0S"),
        (0.004, "PT0S"),
        (0.5, "PT0.5S"),
        (5, "PT5S"),
        (65.5, "PT1M5.5S"),
        (60, "PT1M"),
        (3600, "PT1H"),
        (16559.14, "PT4H35M59.14S"),
        (59.999, "PT1M"),
        (90000, "PT25H"),
    ],
)
def test_iso_duration(seconds, text):
    """Data 4.6: "Learning Record Providers SHOULD provide a maximum precision of 0.01
    seconds"."""
    assert b.iso_duration(seconds) == text


def test_iso_duration_refuses_negative():
    """A duration is never negative."""
    with pytest.raises(ValueError, match="negative"):
        b.iso_duration(-1)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT4H35M59.14S", 16559.14),
        ("P16559.14S", 16559.14),
        ("P1DT1S", 86401),
        ("P4W", 4 * 7 * 86400),
        ("PT0,5S", 0.5),
        ("PT1M", 60),
        ("P0D", 0),
    ],
)
def test_parse_iso_duration(text, seconds):
    """Data 4.6 examples: "PT4H35M59.14S" and "P16559.14S" are the same period."""
    assert b.parse_iso_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["P3Y", "P1M", "P3Y1M29DT4H35M59.14S"])
def test_parse_iso_duration_refuses_years_and_months(text):
    """Data 2.3.1: "it is not possible for an LRS to accurately deserialize the Result
    Duration" when it holds years or months."""
    with pytest.raises(ValueError, match="years or months"):
        b.parse_iso_duration(text)


@pytest.mark.parametrize("text", ["", "P", "PT", "P1DT", "1S", "PT1H2", "P1H", "PTS"])
def test_parse_iso_duration_refuses_nonsense(text):
    """Anything but an ISO 8601 duration is refused."""
    with pytest.raises(ValueError):
        b.parse_iso_duration(text)


@given(st.floats(min_value=0, max_value=10_000_000, allow_nan=False))
def test_duration_round_trip(seconds):
    """parse_iso_duration(iso_duration(s)) is s to the nearest 0.01 second."""
    assert b.parse_iso_duration(b.iso_duration(seconds)) == pytest.approx(
        seconds, abs=0.005 + 1e-6
    )


# --- Every statement a builder produces is valid xAPI -----------------------------

TEXT = st.text(min_size=1, max_size=30).filter(str.strip)
SLUG = st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True)
SEGMENT = st.text(min_size=1, max_size=20)
LANGUAGE_MAP = st.dictionaries(st.sampled_from(["da", "en"]), TEXT, max_size=2)
COMPONENT_ID = st.from_regex(r"[a-z0-9_]{1,8}", fullmatch=True)
COMPONENTS = st.lists(
    st.tuples(COMPONENT_ID, LANGUAGE_MAP), max_size=5, unique_by=lambda c: c[0]
)
INTERACTION_LISTS = {
    "choice": ("choices",),
    "sequencing": ("choices",),
    "likert": ("scale",),
    "matching": ("source", "target"),
    "performance": ("steps",),
    "true-false": (),
    "fill-in": (),
    "long-fill-in": (),
    "numeric": (),
    "other": (),
}


@st.composite
def interactions(draw) -> b.Interaction:
    """Draw an interaction with the component lists its type allows."""
    kind = draw(st.sampled_from(sorted(INTERACTION_LISTS)))
    lists = {name: draw(COMPONENTS) for name in INTERACTION_LISTS[kind]}
    pattern = draw(st.none() | st.lists(TEXT, max_size=3))
    return b.Interaction(kind, pattern, **lists)


@st.composite
def activities(draw) -> dict:
    """Draw an activity object as the builders make them."""
    interaction = draw(st.none() | interactions())
    type_key = (
        "interaction"
        if interaction
        else draw(
            st.sampled_from(
                [
                    "course",
                    "module",
                    "lesson",
                    "assessment",
                    "meeting",
                    "performance",
                    "simulation",
                ]
            )
        )
    )
    activity_id = draw(
        st.sampled_from(
            [
                IDS.module(draw(SEGMENT)),
                IDS.activity(draw(SLUG), draw(SLUG), draw(SEGMENT)),
                IDS.question(draw(SLUG), draw(SEGMENT), draw(SEGMENT)),
                IDS.case_step(draw(SLUG), draw(SEGMENT), draw(SEGMENT)),
                IDS.programme(draw(SLUG)),
            ]
        )
    )
    return b.activity_object(
        activity_id,
        type_key,
        draw(st.none() | LANGUAGE_MAP),
        draw(st.none() | LANGUAGE_MAP),
        interaction,
    )


@st.composite
def results(draw) -> dict:
    """Draw a consistent result: min < max and min <= raw <= max."""
    low = draw(st.integers(-100, 100))
    high = low + draw(st.integers(1, 100))
    raw = draw(st.integers(low, high))
    maybe = st.booleans()
    return b.result(
        score_raw=raw if draw(maybe) else None,
        score_min=low if draw(maybe) else None,
        score_max=high if draw(maybe) else None,
        score_scaled=draw(st.none() | st.floats(-1, 1)),
        success=draw(st.none() | st.booleans()),
        completion=draw(st.none() | st.booleans()),
        response=draw(st.none() | st.text(max_size=20)),
        duration_seconds=draw(st.none() | st.floats(0, 1e6)),
    )


@st.composite
def contexts(draw) -> dict:
    """Draw a context from every combination of the builder's options."""
    return b.Context(
        BASE,
        str(draw(st.uuids())),
        module_slug=draw(st.none() | SLUG),
        programme_slug=draw(st.none() | SLUG),
        language=draw(st.none() | st.sampled_from(["da", "en"])),
        instructor_uuid=draw(st.none() | st.uuids().map(str)),
        parent_id=draw(st.none() | st.builds(IDS.activity, SLUG, SLUG, SLUG)),
    ).as_dict()


@settings(max_examples=300, deadline=None)
@given(
    user=st.uuids(),
    verb_key=st.sampled_from([key for key in VERBS if key != "voided"]),
    obj=activities(),
    context=st.none() | contexts(),
    result=st.none() | results(),
    timestamp=st.none()
    | st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5, minutes=-30))]),
    ),
)
def test_every_built_statement_is_valid(
    user, verb_key, obj, context, result, timestamp
):
    """Every statement the builders produce passes strict validation."""
    built = b.statement(
        b.actor(BASE, str(user)), verb_key, obj, context, result, timestamp
    )
    validate_statement(built)


@given(target=st.uuids())
def test_voiding_statement_is_valid(target):
    """Data 2.3.2: a voiding statement's object is a StatementRef."""
    built = b.statement(
        b.actor(BASE, USER), "voided", {"objectType": "StatementRef", "id": str(target)}
    )
    validate_statement(built)
