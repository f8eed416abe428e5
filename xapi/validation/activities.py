"""Validation of Activities, Activity Definitions and interactions (Data 2.4.4.1)."""

from __future__ import annotations

from typing import Any

from xapi.validation._core import (
    check_extensions,
    check_iri,
    check_irl,
    check_language_map,
    check_str,
    fail,
    fail_type,
    fail_unknown_key,
    require_array,
    shown,
)

ACTIVITY_KEYS = frozenset({"objectType", "id", "definition"})
COMPONENT_LIST_KEYS = ("choices", "scale", "source", "target", "steps")
BASIC_DEFINITION_KEYS = frozenset(
    {"name", "description", "type", "moreInfo", "extensions"}
)
DEFINITION_KEYS = BASIC_DEFINITION_KEYS | {
    "interactionType",
    "correctResponsesPattern",
    *COMPONENT_LIST_KEYS,
}
COMPONENT_KEYS = frozenset({"id", "description"})
# Which interaction component lists each interactionType supports (Data 2.4.4.1.s15).
INTERACTION_COMPONENT_LISTS: dict[str, frozenset[str]] = {
    "true-false": frozenset(),
    "choice": frozenset({"choices"}),
    "fill-in": frozenset(),
    "long-fill-in": frozenset(),
    "matching": frozenset({"source", "target"}),
    "performance": frozenset({"steps"}),
    "sequencing": frozenset({"choices"}),
    "likert": frozenset({"scale"}),
    "numeric": frozenset(),
    "other": frozenset(),
}


def validate_activity(obj: object, *, path: str = "activity") -> None:
    """Check an Activity: objectType absent or 'Activity', IRI id, definition."""
    if not isinstance(obj, dict):
        fail_type(obj, path, "an Activity object")
    if "objectType" in obj and obj["objectType"] != "Activity":
        fail(
            f"{path}.objectType", f"must be 'Activity', got {shown(obj['objectType'])}"
        )
    check_activity(obj, path)


def check_activity(activity: dict[str, Any], path: str) -> None:
    """Check an Activity object whose objectType has already been accepted."""
    if not activity.keys() <= ACTIVITY_KEYS:
        fail_unknown_key(activity, ACTIVITY_KEYS, path)
    if "id" not in activity:
        fail(f"{path}.id", "is required")
    check_iri(activity["id"], path, "id")
    if "definition" in activity:
        validate_activity_definition(activity["definition"], path=f"{path}.definition")


def validate_activity_definition(obj: object, *, path: str = "definition") -> None:
    """Check an Activity Definition, including interaction properties."""
    if not isinstance(obj, dict):
        fail_type(obj, path, "an Activity Definition object")
    interactive = not obj.keys() <= BASIC_DEFINITION_KEYS
    if interactive and not obj.keys() <= DEFINITION_KEYS:
        fail_unknown_key(obj, DEFINITION_KEYS, path)
    if "name" in obj:
        check_language_map(obj["name"], path, "name")
    if "description" in obj:
        check_language_map(obj["description"], path, "description")
    if "type" in obj:
        check_iri(obj["type"], path, "type")
    if "moreInfo" in obj:
        check_irl(obj["moreInfo"], path, "moreInfo")
    if interactive:
        _check_interaction(obj, path)
    if "extensions" in obj:
        check_extensions(obj["extensions"], path, "extensions")


def _check_interaction(definition: dict[str, Any], path: str) -> None:
    """Check interactionType, correctResponsesPattern and the component lists."""
    supported = _supported_lists(definition, path)
    if "correctResponsesPattern" in definition:
        _check_pattern(definition["correctResponsesPattern"], path)
    for key in COMPONENT_LIST_KEYS:
        if key not in definition:
            continue
        if key not in supported:
            kind = definition["interactionType"]
            fail(f"{path}.{key}", f"is not supported for interactionType {kind!r}")
        _check_components(definition[key], f"{path}.{key}")


def _supported_lists(definition: dict[str, Any], path: str) -> frozenset[str]:
    """Return the component lists allowed by the definition's interactionType."""
    if "interactionType" not in definition:
        fail(
            f"{path}.interactionType",
            "is required when interaction properties are present",
        )
    kind = check_str(definition["interactionType"], path, "interactionType")
    supported = INTERACTION_COMPONENT_LISTS.get(kind)
    if supported is None:
        allowed = ", ".join(INTERACTION_COMPONENT_LISTS)
        fail(f"{path}.interactionType", f"must be one of {allowed}; got {shown(kind)}")
    return supported


def _check_pattern(value: object, path: str) -> None:
    """Check that correctResponsesPattern is an array of strings."""
    pattern_path = f"{path}.correctResponsesPattern"
    for index, item in enumerate(require_array(value, pattern_path)):
        check_str(item, f"{pattern_path}[{index}]")


def _check_components(value: object, path: str) -> None:
    """Check an interaction component list: objects with distinct non-empty ids."""
    seen: set[str] = set()
    for index, component in enumerate(require_array(value, path)):
        item_path = f"{path}[{index}]"
        component_id = _check_component(component, item_path)
        if component_id in seen:
            got = shown(component_id)
            fail(f"{item_path}.id", f"duplicates an earlier id in the list: {got}")
        seen.add(component_id)


def _check_component(component: object, path: str) -> str:
    """Check one interaction component (id and description); return its id."""
    if not isinstance(component, dict):
        fail_type(component, path, "an interaction component object")
    if not component.keys() <= COMPONENT_KEYS:
        fail_unknown_key(component, COMPONENT_KEYS, path)
    if "id" not in component:
        fail(f"{path}.id", "is required")
    if not check_str(component["id"], path, "id"):
        fail(f"{path}.id", "must not be empty")
    if "description" in component:
        check_language_map(component["description"], path, "description")
    return component["id"]
