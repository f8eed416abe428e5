"""Formats of retrieved statements: ids, exact, canonical (Communication 2.1.3)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from xapi.validation.agents import IFI_KEYS

FORMATS = ("ids", "exact", "canonical")
_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")


def ids_format(statement: Mapping) -> dict:
    """Reduce Agents, Groups, Activities and Verbs to what identifies them.

    Communication 2.1.3 format "ids": "only include minimum information necessary in
    Agent, Activity, Verb and Group Objects to identify them. For Anonymous Groups
    this means including the minimum information needed to identify each member."
    """
    out = dict(statement)
    out["actor"] = _agent_ids(statement["actor"])
    out["verb"] = {"id": statement["verb"]["id"]}
    out["object"] = _object_ids(statement["object"])
    if "authority" in statement:
        out["authority"] = _agent_ids(statement["authority"])
    if "context" in statement:
        out["context"] = _context(statement["context"], _activity_ids, _agent_ids)
    return out


def _agent_ids(agent: Mapping) -> dict:
    """Keep an Agent's or Group's objectType and IFI; members of anonymous Groups."""
    out = {key: agent[key] for key in ("objectType", *IFI_KEYS) if key in agent}
    if not any(key in agent for key in IFI_KEYS) and "member" in agent:
        out["member"] = [_agent_ids(member) for member in agent["member"]]
    return out


def _activity_ids(activity: Mapping) -> dict:
    """Keep an Activity's objectType and id."""
    return {key: activity[key] for key in ("objectType", "id") if key in activity}


def _object_ids(obj: Mapping) -> dict:
    """Reduce a statement's object by its kind."""
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        return _activity_ids(obj)
    if kind in ("Agent", "Group"):
        return _agent_ids(obj)
    if kind == "SubStatement":
        return ids_format(obj)
    return dict(obj)


def _context(
    context: Mapping,
    activity: Callable[[Mapping], dict],
    agent: Callable[[Mapping], dict],
) -> dict:
    """Apply the activity and agent transformations to a context."""
    out = dict(context)
    for role in ("instructor", "team"):
        if role in context:
            out[role] = agent(context[role])
    if "contextActivities" in context:
        out["contextActivities"] = {
            kind: [activity(a) for a in _as_list(value)]
            for kind, value in context["contextActivities"].items()
        }
    return out


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def canonical_format(
    statement: Mapping,
    languages: Sequence[tuple[str, float]],
    definitions: Mapping[str, Mapping] | None = None,
) -> dict:
    """Return the statement with one language per language map of Activities and Verbs.

    Communication 2.1.3.s4.b1: the LRS "MUST return only one language in each of
    these maps"; b5: it "MUST apply the Accept-Language header ... to each language
    map individually". ``definitions`` maps activity ids to the LRS's canonical
    definition, used instead of the statement's own where present.
    """
    definitions = definitions or {}

    def activity(value: Mapping) -> dict:
        return _canonical_activity(value, languages, definitions)

    out = dict(statement)
    out["verb"] = _canonical_verb(statement["verb"], languages)
    obj = statement["object"]
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        out["object"] = activity(obj)
    elif kind == "SubStatement":
        out["object"] = canonical_format(obj, languages, definitions)
    if "context" in statement:
        out["context"] = _context(statement["context"], activity, dict)
    return out


def _canonical_verb(verb: Mapping, languages: Sequence[tuple[str, float]]) -> dict:
    out = dict(verb)
    if "display" in verb:
        out["display"] = pick_language(verb["display"], languages)
    return out


def _canonical_activity(
    activity: Mapping,
    languages: Sequence[tuple[str, float]],
    definitions: Mapping[str, Mapping],
) -> dict:
    out = dict(activity)
    definition = definitions.get(activity["id"], activity.get("definition"))
    if not definition:
        return out
    definition = dict(definition)
    for key in ("name", "description"):
        if key in definition:
            definition[key] = pick_language(definition[key], languages)
    for key in _COMPONENT_LISTS:
        if key in definition:
            definition[key] = [
                _canonical_component(component, languages)
                for component in definition[key]
            ]
    out["definition"] = definition
    return out


def _canonical_component(
    component: Mapping, languages: Sequence[tuple[str, float]]
) -> dict:
    out = dict(component)
    if "description" in component:
        out["description"] = pick_language(component["description"], languages)
    return out


def pick_language(
    language_map: Mapping[str, str], languages: Sequence[tuple[str, float]]
) -> dict[str, str]:
    """Return the one entry of a language map that best fits Accept-Language.

    RFC 2616 14.4: a range matches a tag equal to it or beginning with it and "-";
    "*" matches any tag; the highest quality wins, q=0 means "not acceptable". With
    no acceptable entry, English (else the first entry) is returned, never nothing.
    """
    if len(language_map) <= 1:
        return dict(language_map)
    best: tuple[float, int] | None = None
    tags = list(language_map)
    chosen = _fallback(tags)
    for order, (language_range, quality) in enumerate(languages):
        tag = _match(tags, language_range.lower())
        if (
            tag is not None
            and quality > 0
            and (best is None or (quality, -order) > best)
        ):
            best, chosen = (quality, -order), tag
    return {chosen: language_map[chosen]}


def _fallback(tags: list[str]) -> str:
    """Return the entry shown when no language is acceptable: English, else the first.

    English is the most likely language for a third party to read, and the map's
    order is not meaningful in JSON, so "the first" alone would be arbitrary.
    """
    for wanted in ("en-us", "en"):
        found = _match(tags, wanted)
        if found is not None:
            return found
    return tags[0]


def _match(tags: list[str], wanted: str) -> str | None:
    """Return the tag a language range matches: exact first, then by prefix."""
    if wanted == "*":
        return tags[0]
    for tag in tags:
        if tag.lower() == wanted:
            return tag
    for tag in tags:
        if tag.lower().startswith(wanted + "-"):
            return tag
    return None
