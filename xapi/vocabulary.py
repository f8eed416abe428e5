"""Every xAPI verb and activity type the platform uses, named in Danish and English."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

ADL_VERBS = "http://adlnet.gov/expapi/verbs/"
ADL_ACTIVITIES = "http://adlnet.gov/expapi/activities/"
ACTIVITY_STREAMS = "http://activitystrea.ms/schema/1.0/"
TIN_CAN_VERBS = "http://id.tincanapi.com/verb/"

#: The verb reserved by xAPI for voiding (Data 2.3.2).
VOIDED = ADL_VERBS + "voided"


@dataclass(frozen=True)
class Verb:
    """A verb: its key in this vocabulary, its IRI and its display per language."""

    key: str
    id: str
    display: Mapping[str, str] = field(hash=False)

    def as_dict(self) -> dict:
        """Return the verb as it appears in a statement."""
        return {"id": self.id, "display": dict(self.display)}


def _verb(key: str, iri: str, da: str, en: str) -> Verb:
    """Build a verb with a read-only display map."""
    return Verb(key, iri, MappingProxyType({"da": da, "en": en}))


_VERBS = (
    _verb("registered", ADL_VERBS + "registered", "tilmeldte sig", "registered"),
    _verb("experienced", ADL_VERBS + "experienced", "oplevede", "experienced"),
    _verb("attempted", ADL_VERBS + "attempted", "forsøgte", "attempted"),
    _verb("answered", ADL_VERBS + "answered", "besvarede", "answered"),
    _verb("passed", ADL_VERBS + "passed", "bestod", "passed"),
    _verb("failed", ADL_VERBS + "failed", "bestod ikke", "failed"),
    _verb("completed", ADL_VERBS + "completed", "gennemførte", "completed"),
    _verb("attended", ADL_VERBS + "attended", "deltog i", "attended"),
    _verb("voided", VOIDED, "annullerede", "voided"),
    # No ADL verb fits handing in work; Activity Streams 1.0 "submit" is the one the
    # xAPI community registry lists for it.
    _verb("submitted", ACTIVITY_STREAMS + "submit", "afleverede", "submitted"),
    _verb("earned", TIN_CAN_VERBS + "earned", "opnåede", "earned"),
    # A practice task sent back to the learner for revision. Activity Streams 1.0
    # "return" means "the actor has returned the object (to the target)", which is
    # what the educator does with the hand-in. "reject" would say the work is
    # refused for good, and ADL has no verb for either.
    _verb("returned", ACTIVITY_STREAMS + "return", "sendte retur", "returned"),
    # The positive outcome of the same review, from the same vocabulary.
    _verb("approved", ACTIVITY_STREAMS + "approve", "godkendte", "approved"),
)

#: Every verb the platform emits, by key.
VERBS: dict[str, Verb] = {v.key: v for v in _VERBS}

#: ADL activity type IRIs, by key.
ACTIVITY_TYPES: dict[str, str] = {
    "course": ADL_ACTIVITIES + "course",
    "module": ADL_ACTIVITIES + "module",
    "lesson": ADL_ACTIVITIES + "lesson",
    "assessment": ADL_ACTIVITIES + "assessment",
    "interaction": ADL_ACTIVITIES + "cmi.interaction",
    "meeting": ADL_ACTIVITIES + "meeting",
    "performance": ADL_ACTIVITIES + "performance",
    "simulation": ADL_ACTIVITIES + "simulation",
    "profile": ADL_ACTIVITIES + "profile",
}

#: The Danish and English name of each activity type, by the same keys.
ACTIVITY_TYPE_NAMES: dict[str, Mapping[str, str]] = {
    key: MappingProxyType({"da": da, "en": en})
    for key, da, en in (
        ("course", "uddannelsesforløb", "course"),
        ("module", "modul", "module"),
        ("lesson", "lektion", "lesson"),
        ("assessment", "test", "assessment"),
        ("interaction", "spørgsmål", "interaction"),
        ("meeting", "møde", "meeting"),
        ("performance", "praksisopgave", "performance"),
        ("simulation", "case", "simulation"),
        ("profile", "profil", "profile"),
    )
}

#: The activity type key of each kind of module activity and of a programme.
KIND_TYPES: dict[str, str] = {
    "programme": "course",
    "module": "module",
    "lesson": "lesson",
    "case": "simulation",
    "quiz": "assessment",
    "question": "interaction",
    "practice_task": "performance",
    "webinar": "meeting",
    "meeting": "meeting",
}


def verb(key: str) -> Verb:
    """Return the verb with this key; KeyError names an unknown key."""
    try:
        return VERBS[key]
    except KeyError:
        known = ", ".join(VERBS)
        raise KeyError(f"unknown xAPI verb key {key!r} (known: {known})") from None


def activity_type(key: str) -> str:
    """Return the activity type IRI with this key; KeyError names an unknown key."""
    try:
        return ACTIVITY_TYPES[key]
    except KeyError:
        known = ", ".join(ACTIVITY_TYPES)
        raise KeyError(f"unknown activity type key {key!r} (known: {known})") from None
