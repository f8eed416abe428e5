"""Property tests: generated valid statements pass; single mutations are rejected."""

# The strategies build statements from the rules of xAPI Data 2.4; each mutation
# breaks exactly one place and the error must name exactly that place.

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xapi.errors import StatementValidationError
from xapi.validation import validate_statement, validate_statements

SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
LANGUAGE_TAGS = ["en", "en-US", "de-DE", "de", "fr-CA", "es-419", "zh-Hant-TW", "tlh"]
INTERACTIONS: dict[str, tuple[str, ...]] = {
    "true-false": (),
    "choice": ("choices",),
    "sequencing": ("choices",),
    "likert": ("scale",),
    "matching": ("source", "target"),
    "performance": ("steps",),
    "fill-in": (),
    "long-fill-in": (),
    "numeric": (),
    "other": (),
}

# --- Strategies for the building blocks ------------------------------------------

segments = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyz0123456789-._~", min_size=1, max_size=12
)
iris = st.one_of(
    st.builds(
        lambda scheme, host, path: f"{scheme}://{host}.example.org/{'/'.join(path)}",
        st.sampled_from(["http", "https"]),
        segments,
        st.lists(segments, max_size=3),
    ),
    st.uuids().map(lambda value: f"urn:uuid:{value}"),
    st.sampled_from(["http://example.com/فعل/خواندن", "tag:example.com,2024:x%20y"]),
)
uuids = st.builds(
    lambda value, upper: str(value).upper() if upper else str(value),
    st.uuids(),
    st.booleans(),
)
# Lone surrogates cannot be written as JSON text, so no client can send them.
texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=10)
language_maps = st.dictionaries(st.sampled_from(LANGUAGE_TAGS), texts, max_size=2)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | texts,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
extensions = st.dictionaries(iris, json_values, max_size=2)
offsets = st.integers(-23 * 60, 23 * 60).map(lambda m: timezone(timedelta(minutes=m)))
timestamps = st.builds(
    lambda moment, zone, spec: moment.replace(tzinfo=zone).isoformat(timespec=spec),
    st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1)),
    st.one_of(st.none(), st.just(UTC), offsets),
    st.sampled_from(["seconds", "milliseconds", "microseconds"]),
) | st.just("2013-05-18T05:32:34.804Z")
durations = st.builds(
    lambda hours, minutes, seconds: f"PT{hours}H{minutes}M{seconds}S",
    st.integers(0, 99),
    st.integers(0, 59),
    st.integers(0, 59),
) | st.sampled_from(["P3Y", "P4W", "PT16559.14S", "P1DT2H", "PT0.5S"])


def optional(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A dict strategy where each field is independently present or absent."""
    return st.fixed_dictionaries({}, optional=fields)


#: Account names hold no NUL: agents are stored under keys made of them.
account_names = st.text(
    st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=10
)
accounts = st.fixed_dictionaries({"homePage": iris, "name": account_names})
ifis = st.one_of(
    st.builds(lambda user: {"mbox": f"mailto:{user}@example.com"}, segments),
    st.builds(
        lambda h: {"mbox_sha1sum": h},
        st.text("0123456789abcdef", min_size=40, max_size=40),
    ),
    st.builds(lambda path: {"openid": f"https://openid.example.org/{path}"}, segments),
    st.builds(lambda account: {"account": account}, accounts),
)


@st.composite
def agents(draw: st.DrawFn, *, typed: bool | None = None) -> dict[str, Any]:
    """An Agent with exactly one IFI; objectType present when ``typed``."""
    agent = draw(ifis) | draw(optional(name=texts))
    if typed or (typed is None and draw(st.booleans())):
        agent["objectType"] = "Agent"
    return agent


@st.composite
def groups(draw: st.DrawFn, *, identified: bool | None = None) -> dict[str, Any]:
    """An anonymous Group (with members) or an identified Group (one IFI)."""
    if identified is None:
        identified = draw(st.booleans())
    group: dict[str, Any] = {"objectType": "Group"} | draw(optional(name=texts))
    members = st.lists(agents(), min_size=0 if identified else 1, max_size=3)
    if identified:
        group |= draw(ifis) | draw(optional(member=members))
    else:
        group["member"] = draw(members)
    return group


actors = st.one_of(agents(), groups())


@st.composite
def components(draw: st.DrawFn) -> list[dict[str, Any]]:
    """An interaction component list with distinct, non-empty ids."""
    ids = draw(st.lists(segments, max_size=4, unique=True))
    return [{"id": i} | draw(optional(description=language_maps)) for i in ids]


@st.composite
def definitions(draw: st.DrawFn) -> dict[str, Any]:
    """An Activity Definition, sometimes an interaction with its component lists."""
    definition = draw(
        optional(
            name=language_maps,
            description=language_maps,
            type=iris,
            moreInfo=iris,
            extensions=extensions,
        )
    )
    if draw(st.booleans()):
        kind = draw(st.sampled_from(sorted(INTERACTIONS)))
        definition["interactionType"] = kind
        definition |= draw(
            optional(correctResponsesPattern=st.lists(texts, max_size=3))
        )
        for key in INTERACTIONS[kind]:
            if draw(st.booleans()):
                definition[key] = draw(components())
    return definition


@st.composite
def activities(draw: st.DrawFn) -> dict[str, Any]:
    """An Activity: IRI id, optional objectType and definition."""
    activity = {"id": draw(iris)} | draw(optional(definition=definitions()))
    if draw(st.booleans()):
        activity["objectType"] = "Activity"
    return activity


statement_refs = st.builds(lambda i: {"objectType": "StatementRef", "id": i}, uuids)


@st.composite
def scores(draw: st.DrawFn) -> dict[str, Any]:
    """A Score with scaled in [-1, 1] and min < raw < max where present."""
    low = draw(st.integers(-1000, 1000))
    high = low + draw(st.integers(1, 1000))
    raw = draw(st.integers(low, high))
    scaled = draw(st.floats(-1, 1))
    return draw(
        optional(
            scaled=st.just(scaled),
            raw=st.just(raw),
            min=st.just(low),
            max=st.just(high),
        )
    )


results = optional(
    score=scores(),
    success=st.booleans(),
    completion=st.booleans(),
    response=texts,
    duration=durations,
    extensions=extensions,
)
context_activity_values = st.one_of(activities(), st.lists(activities(), max_size=2))


@st.composite
def contexts(draw: st.DrawFn, *, activity_object: bool) -> dict[str, Any]:
    """A Context; revision and platform only when the object is an Activity."""
    activity_only = {"revision": texts, "platform": texts} if activity_object else {}
    return draw(
        optional(
            registration=uuids,
            instructor=actors,
            team=groups(),
            contextActivities=optional(
                parent=context_activity_values,
                grouping=context_activity_values,
                category=context_activity_values,
                other=context_activity_values,
            ),
            language=st.sampled_from(LANGUAGE_TAGS),
            statement=statement_refs,
            extensions=extensions,
            **activity_only,
        )
    )


attachments = st.lists(
    st.fixed_dictionaries(
        {
            "usageType": iris,
            "display": language_maps,
            "contentType": st.sampled_from(
                ["application/pdf", "text/plain; charset=utf-8"]
            ),
            "length": st.integers(0, 10**9),
            "sha2": st.text("0123456789abcdef", min_size=64, max_size=64),
        },
        optional={"description": language_maps, "fileUrl": iris},
    ),
    min_size=1,
    max_size=2,
)
verbs = st.fixed_dictionaries({"id": iris}, optional={"display": language_maps})


@st.composite
def statement_bodies(draw: st.DrawFn, *, nested: bool) -> dict[str, Any]:
    """The parts statements and SubStatements share, consistent with each other."""
    object_kinds = ["activity", "agent", "group", "ref"] + ([] if nested else ["sub"])
    kind = draw(st.sampled_from(object_kinds))
    target = {
        "activity": activities(),
        "agent": agents(typed=True),
        "group": groups(),
        "ref": statement_refs,
        "sub": substatements(),
    }[kind]
    verb = draw(verbs)
    if kind == "ref" and draw(st.booleans()):
        verb["id"] = VOIDED
    body = {"actor": draw(actors), "verb": verb, "object": draw(target)}
    return body | draw(
        optional(
            result=results,
            context=contexts(activity_object=kind == "activity"),
            timestamp=timestamps,
            attachments=attachments,
        )
    )


@st.composite
def substatements(draw: st.DrawFn) -> dict[str, Any]:
    """A SubStatement: a statement body with objectType and no nested SubStatement."""
    return {"objectType": "SubStatement"} | draw(statement_bodies(nested=True))


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    """A complete valid statement, including LRS-set properties sometimes."""
    authority = st.one_of(
        agents(),
        st.builds(
            lambda members: {"objectType": "Group", "member": members},
            st.lists(agents(), min_size=2, max_size=2),
        ),
    )
    return draw(statement_bodies(nested=False)) | draw(
        optional(
            id=uuids,
            stored=timestamps,
            authority=authority,
            version=st.sampled_from(["1.0.0", "1.0.3"]),
        )
    )


# --- Valid statements pass -----------------------------------------------------------


@given(statements())
@SETTINGS
def test_generated_statements_are_valid(statement: dict[str, Any]) -> None:
    """Statements built from the rules of Data 2.4 pass and survive JSON transport."""
    validate_statement(statement)
    validate_statement(orjson.loads(orjson.dumps(statement)))


@given(st.lists(statements(), max_size=3))
@settings(SETTINGS, max_examples=50)
def test_generated_batches_are_valid(batch: list[dict[str, Any]]) -> None:
    """A batch of valid statements is accepted and returned as it is."""
    assert validate_statements(batch) is batch


# --- Mutations are rejected at the right place ---------------------------------------

Location = tuple[str, Any, Any]  # (path, container, key or index)


def locations(node: Any, path: str = "statement") -> Iterator[Location]:
    """Yield every (path, container, key) of a statement, but not extension entries."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        child = f"{path}.{key}" if isinstance(node, dict) else f"{path}[{key}]"
        yield child, node, key
        if key == "extensions" and isinstance(node, dict):
            continue  # extension values are free-form JSON (Data 4.1.s3.b2)
        if isinstance(value, dict | list):
            yield from locations(value, child)


def objects(statement: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (path, dict) for the statement and every object below it."""
    yield "statement", statement
    for path, container, key in locations(statement):
        if isinstance(container[key], dict):
            yield path, container[key]


def rejected_at(statement: dict[str, Any]) -> str:
    """Validate the mutated ``statement`` and return the error path."""
    with pytest.raises(StatementValidationError) as caught:
        validate_statement(statement)
    return caught.value.path


def uuid_locations(statement: dict[str, Any]) -> list[Location]:
    """The statement id, registrations and StatementRef ids in a statement."""
    found: list[Location] = []
    if "id" in statement:
        found.append(("statement.id", statement, "id"))
    for path, container, key in locations(statement):
        value = container[key]
        if key == "registration":
            found.append((path, container, key))
        elif isinstance(value, dict) and value.get("objectType") == "StatementRef":
            found.append((f"{path}.id", value, "id"))
    return found


IRI_KEYS = {"type", "moreInfo", "homePage", "usageType", "fileUrl"}
CONTEXT_ACTIVITY_KINDS = ("parent", "grouping", "category", "other")


def iri_locations(statement: dict[str, Any]) -> list[Location]:
    """Verb ids, Activity ids and the other IRI-valued properties of a statement."""
    found: list[Location] = []
    for path, container, key in locations(statement):
        value = container[key]
        if key in IRI_KEYS and isinstance(value, str):
            found.append((path, container, key))
        elif key == "verb" or (
            key == "object" and value.get("objectType", "Activity") == "Activity"
        ):
            found.append((f"{path}.id", value, "id"))
        elif path.endswith(".contextActivities") and isinstance(value, dict):
            found.extend(_context_activity_ids(path, value))
    return found


def _context_activity_ids(path: str, value: dict[str, Any]) -> Iterator[Location]:
    """The id locations of the Activities in a contextActivities object."""
    for kind, item in value.items():
        if isinstance(item, list):
            for index, activity in enumerate(item):
                yield f"{path}.{kind}[{index}].id", activity, "id"
        else:
            yield f"{path}.{kind}.id", item, "id"


def add_unknown_property(statement: dict[str, Any], data: st.DataObject) -> str:
    """Data 2.2.s4.b1.b7: a key "not allowed by this specification" (in language maps
    and extensions it is no language tag or IRI either).
    """
    path, target = data.draw(st.sampled_from(list(objects(statement))))
    target["unknownProperty"] = True
    return f"{path}.unknownProperty"


def set_null(statement: dict[str, Any], data: st.DataObject) -> str:
    """Data 2.2.s4.b1.b1: "any null values (except inside extensions)"."""
    path, container, key = data.draw(st.sampled_from(list(locations(statement))))
    container[key] = None
    return path


def number_for_string(statement: dict[str, Any], data: st.DataObject) -> str:
    """Data 2.2.s4.b1.b2: "where the wrong data type is used"."""
    candidates = [
        loc for loc in locations(statement) if isinstance(loc[1][loc[2]], str)
    ]
    path, container, key = data.draw(st.sampled_from(candidates))
    container[key] = 42
    return path


def break_uuid(statement: dict[str, Any], data: st.DataObject) -> str | None:
    """Data 2.2.s4.b1.b4: a non-format-following value where a UUID is required."""
    candidates = uuid_locations(statement)
    if not candidates:
        return None
    path, container, key = data.draw(st.sampled_from(candidates))
    good = container[key]
    container[key] = data.draw(
        st.sampled_from(["", "not-a-uuid", good[:-1], good + "0"])
    )
    return path


def break_iri(statement: dict[str, Any], data: st.DataObject) -> str:
    """Data 2.2.s4.b1.b8: "IRL or IRI values without a scheme"."""
    path, container, key = data.draw(st.sampled_from(iri_locations(statement)))
    container[key] = data.draw(
        st.sampled_from(["", "relative/path", "#x", "www.x.org"])
    )
    return path


MUTATIONS = [add_unknown_property, set_null, number_for_string, break_uuid, break_iri]


@given(statements(), st.sampled_from(MUTATIONS), st.data())
@SETTINGS
def test_a_mutated_statement_is_rejected_at_the_mutation(
    statement: dict[str, Any], mutation: Any, data: st.DataObject
) -> None:
    """One unknown key, null, wrong type, broken UUID or scheme-less IRI anywhere in a
    valid statement makes it invalid (Data 2.2.s4.b1), and the error names that place.
    """
    statement = copy.deepcopy(statement)
    expected = mutation(statement, data)
    if expected is not None:
        assert rejected_at(statement) == expected
