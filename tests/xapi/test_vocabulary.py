"""The vocabulary: every verb and activity type, with Danish and English names."""

from __future__ import annotations

import pytest

from xapi.formats import is_iri
from xapi.vocabulary import (
    ACTIVITY_TYPE_NAMES,
    ACTIVITY_TYPES,
    KIND_TYPES,
    VERBS,
    VOIDED,
    activity_type,
    verb,
)

ADL_VERB_KEYS = [
    "registered",
    "experienced",
    "attempted",
    "answered",
    "passed",
    "failed",
    "completed",
    "attended",
    "voided",
]


@pytest.mark.parametrize("key", ADL_VERB_KEYS)
def test_adl_verbs_use_the_adl_iri(key):
    """DESIGN: "Use ADL verbs where one fits"."""
    assert verb(key).id == f"http://adlnet.gov/expapi/verbs/{key}"


@pytest.mark.parametrize(
    ("key", "iri"),
    [
        ("submitted", "http://activitystrea.ms/schema/1.0/submit"),
        ("earned", "http://id.tincanapi.com/verb/earned"),
        ("returned", "http://activitystrea.ms/schema/1.0/return"),
        ("approved", "http://activitystrea.ms/schema/1.0/approve"),
    ],
)
def test_registry_verbs(key, iri):
    """Verbs without an ADL equivalent come from a public registry."""
    assert verb(key).id == iri


def test_voided_is_the_reserved_verb():
    """Data 2.3.2: "the reserved Verb http://adlnet.gov/expapi/verbs/voided"."""
    assert VERBS["voided"].id == VOIDED == "http://adlnet.gov/expapi/verbs/voided"


@pytest.mark.parametrize("key", list(VERBS))
def test_every_verb_has_danish_and_english_display(key):
    """Language maps use the keys "da" and "en" throughout the project."""
    entry = VERBS[key]
    assert entry.key == key
    assert set(entry.display) == {"da", "en"}
    assert all(text.strip() for text in entry.display.values())
    assert is_iri(entry.id)


def test_verb_ids_are_distinct():
    """Data 2.4.3: "A single Verb IRI MUST NOT be used to refer to multiple
    meanings"."""
    ids = [entry.id for entry in VERBS.values()]
    assert len(ids) == len(set(ids))


def test_as_dict_is_the_statement_shape_and_a_copy():
    """A verb appears in a statement as {"id", "display"}."""
    shape = verb("completed").as_dict()
    assert shape == {
        "id": "http://adlnet.gov/expapi/verbs/completed",
        "display": {"da": "gennemførte", "en": "completed"},
    }
    shape["display"]["da"] = "changed"
    assert verb("completed").display["da"] == "gennemførte"


def test_unknown_verb_names_the_key():
    """An unknown verb key raises KeyError naming the key."""
    with pytest.raises(KeyError, match="scheduled"):
        verb("scheduled")


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("course", "course"),
        ("module", "module"),
        ("lesson", "lesson"),
        ("assessment", "assessment"),
        ("interaction", "cmi.interaction"),
        ("meeting", "meeting"),
        ("performance", "performance"),
        ("simulation", "simulation"),
        ("profile", "profile"),
    ],
)
def test_activity_types_are_adl_iris(key, name):
    """DESIGN: "Activity types come from the ADL vocabulary"."""
    assert activity_type(key) == f"http://adlnet.gov/expapi/activities/{name}"
    assert set(ACTIVITY_TYPE_NAMES[key]) == {"da", "en"}


def test_every_activity_type_has_names():
    """Every type, like every verb, has a Danish and an English name."""
    assert ACTIVITY_TYPE_NAMES.keys() == ACTIVITY_TYPES.keys()


def test_every_activity_kind_maps_to_a_type():
    """Each kind of module activity has an activity type."""
    assert set(KIND_TYPES.values()) <= ACTIVITY_TYPES.keys()
    for kind in ("lesson", "case", "quiz", "practice_task", "webinar", "meeting"):
        assert kind in KIND_TYPES


def test_unknown_activity_type_names_the_key():
    """An unknown activity type key raises KeyError naming the key."""
    with pytest.raises(KeyError, match="podcast"):
        activity_type("podcast")
