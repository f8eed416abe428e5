"""Validation of Statements, SubStatements and their parts (xAPI Data 2.2-2.4)."""

from __future__ import annotations

from typing import Any

from xapi.formats import (
    is_duration,
    is_iri,
    is_language_tag,
    is_media_type,
    is_sha2_hex,
)
from xapi.validation._core import (
    check_bool,
    check_extensions,
    check_formatted,
    check_int,
    check_iri,
    check_irl,
    check_language_map,
    check_str,
    check_uuid,
    fail,
    fail_type,
    fail_unknown_key,
    optional_number,
    require_array,
    require_keys,
    shown,
)
from xapi.validation.activities import check_activity, validate_activity
from xapi.validation.agents import (
    check_agent,
    check_group,
    validate_actor,
    validate_group,
)
from xapi.validation.rules import SUBSTATEMENT_FORBIDDEN_KEYS, VersionRules, rules_for

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
SIGNATURE_USAGE_TYPE = "http://adlnet.gov/expapi/attachments/signature"
OBJECT_TYPES = ("Activity", "Agent", "Group", "StatementRef", "SubStatement")
VERB_KEYS = frozenset({"id", "display"})
STATEMENT_REF_KEYS = frozenset({"objectType", "id"})
RESULT_KEYS = frozenset(
    {"score", "success", "completion", "response", "duration", "extensions"}
)
SCORE_KEYS = frozenset({"scaled", "raw", "min", "max"})
CONTEXT_ACTIVITY_KEYS = frozenset({"parent", "grouping", "category", "other"})
ATTACHMENT_KEYS = frozenset(
    {"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"}
)
_STATEMENT_REQUIRED = ("actor", "verb", "object")
_ATTACHMENT_REQUIRED = ("usageType", "display", "contentType", "length", "sha2")


def validate_statement(
    statement: object, *, version: str = "1.0.3", path: str = "statement"
) -> None:
    """Check one statement; raise StatementValidationError at the first problem."""
    check_statement(statement, path, rules_for(version))


def validate_statements(payload: object, *, version: str = "1.0.3") -> list[dict]:
    """Check a POSTed body (a statement or an array of them); return the list."""
    rules = rules_for(version)
    if isinstance(payload, dict):
        check_statement(payload, "statement", rules)
        return [payload]
    if not isinstance(payload, list):
        fail_type(payload, "statements", "a statement object or an array of statements")
    for index, statement in enumerate(payload):
        check_statement(statement, f"statements[{index}]", rules)
    return payload


def check_statement(obj: object, path: str, rules: VersionRules) -> None:
    """Check a top-level statement against ``rules``."""
    if not isinstance(obj, dict):
        fail_type(obj, path, "a statement object")
    if not obj.keys() <= rules.statement_keys:
        fail_unknown_key(obj, rules.statement_keys, path)
    require_keys(obj, _STATEMENT_REQUIRED, path)
    if "id" in obj:
        check_uuid(obj["id"], path, "id")
    _check_body(obj, path, rules, nested=False)
    if "stored" in obj:
        _check_timestamp(obj["stored"], path, "stored", rules)
    if "authority" in obj:
        _check_authority(obj["authority"], f"{path}.authority")
    if "version" in obj:
        _check_version(obj["version"], path, rules)


def _check_body(
    statement: dict[str, Any], path: str, rules: VersionRules, *, nested: bool
) -> None:
    """Check the parts statements and SubStatements share."""
    validate_actor(statement["actor"], path=f"{path}.actor")
    verb_id = validate_verb(statement["verb"], path=f"{path}.verb")
    object_path = f"{path}.object"
    object_type = _check_object(statement["object"], object_path, rules, nested=nested)
    if verb_id == VOIDED_VERB and object_type != "StatementRef":
        fail(object_path, "the object of a voiding statement must be a StatementRef")
    if "result" in statement:
        validate_result(statement["result"], path=f"{path}.result")
    if "context" in statement:
        _check_context(statement["context"], f"{path}.context", rules, object_type)
    if "timestamp" in statement:
        _check_timestamp(statement["timestamp"], path, "timestamp", rules)
    if "attachments" in statement:
        _check_attachments(statement["attachments"], f"{path}.attachments")


def validate_verb(obj: object, *, path: str = "verb") -> str:
    """Check a Verb (IRI id, optional display language map); return its id."""
    if not isinstance(obj, dict):
        fail_type(obj, path, "a Verb object")
    if not obj.keys() <= VERB_KEYS:
        fail_unknown_key(obj, VERB_KEYS, path)
    if "id" not in obj:
        fail(f"{path}.id", "is required")
    verb_id = check_iri(obj["id"], path, "id")
    if "display" in obj:
        check_language_map(obj["display"], path, "display")
    return verb_id


def _check_object(
    value: object, path: str, rules: VersionRules, *, nested: bool
) -> str:
    """Check a statement's object according to its objectType; return that type."""
    if not isinstance(value, dict):
        fail_type(value, path, "an object")
    object_type = value.get("objectType", "Activity")
    if object_type == "Activity":
        check_activity(value, path)
    elif object_type == "Agent":
        check_agent(value, path)
    elif object_type == "Group":
        check_group(value, path)
    elif object_type == "StatementRef":
        _check_statement_ref_fields(value, path)
    elif object_type == "SubStatement":
        if nested:
            fail(f"{path}.objectType", "a SubStatement must not contain a SubStatement")
        _check_substatement(value, path, rules)
    else:
        allowed = ", ".join(OBJECT_TYPES)
        fail(
            f"{path}.objectType", f"must be one of {allowed}; got {shown(object_type)}"
        )
    return object_type


def validate_statement_ref(obj: object, *, path: str = "statementRef") -> None:
    """Check a Statement Reference: objectType 'StatementRef' and a UUID id."""
    if not isinstance(obj, dict):
        fail_type(obj, path, "a StatementRef object")
    if "objectType" not in obj:
        fail(f"{path}.objectType", "is required and must be 'StatementRef'")
    if obj["objectType"] != "StatementRef":
        got = shown(obj["objectType"])
        fail(f"{path}.objectType", f"must be 'StatementRef', got {got}")
    _check_statement_ref_fields(obj, path)


def _check_statement_ref_fields(ref: dict[str, Any], path: str) -> None:
    """Check the properties of a StatementRef whose objectType was accepted."""
    if not ref.keys() <= STATEMENT_REF_KEYS:
        fail_unknown_key(ref, STATEMENT_REF_KEYS, path)
    if "id" not in ref:
        fail(f"{path}.id", "is required")
    check_uuid(ref["id"], path, "id")


def _check_substatement(sub: dict[str, Any], path: str, rules: VersionRules) -> None:
    """Check a SubStatement: a statement without id, stored, version, authority."""
    if not sub.keys() <= rules.substatement_keys:
        for key in sub:
            if key in SUBSTATEMENT_FORBIDDEN_KEYS:
                fail(f"{path}.{key}", "is not allowed in a SubStatement")
        fail_unknown_key(sub, rules.substatement_keys, path)
    require_keys(sub, _STATEMENT_REQUIRED, path)
    _check_body(sub, path, rules, nested=True)


def validate_result(obj: object, *, path: str = "result") -> None:
    """Check a Result object and its Score."""
    if not isinstance(obj, dict):
        fail_type(obj, path, "a Result object")
    if not obj.keys() <= RESULT_KEYS:
        fail_unknown_key(obj, RESULT_KEYS, path)
    if "score" in obj:
        validate_score(obj["score"], path=f"{path}.score")
    if "success" in obj:
        check_bool(obj["success"], path, "success")
    if "completion" in obj:
        check_bool(obj["completion"], path, "completion")
    if "response" in obj:
        check_str(obj["response"], path, "response")
    if "duration" in obj:
        what = "an ISO 8601 duration"
        check_formatted(obj["duration"], is_duration, what, path, "duration")
    if "extensions" in obj:
        check_extensions(obj["extensions"], path, "extensions")


def validate_score(obj: object, *, path: str = "score") -> None:
    """Check a Score: scaled in [-1, 1], min < max, min <= raw <= max."""
    if not isinstance(obj, dict):
        fail_type(obj, path, "a Score object")
    if not obj.keys() <= SCORE_KEYS:
        fail_unknown_key(obj, SCORE_KEYS, path)
    scaled = optional_number(obj, "scaled", path)
    raw = optional_number(obj, "raw", path)
    low = optional_number(obj, "min", path)
    high = optional_number(obj, "max", path)
    if scaled is not None and not -1 <= scaled <= 1:
        fail(f"{path}.scaled", "must be between -1 and 1 inclusive")
    if low is not None and high is not None and low >= high:
        fail(f"{path}.max", "must be greater than min")
    if raw is not None and low is not None and raw < low:
        fail(f"{path}.raw", "must not be less than min")
    if raw is not None and high is not None and raw > high:
        fail(f"{path}.raw", "must not be greater than max")


def _check_context(
    value: object, path: str, rules: VersionRules, object_type: str
) -> None:
    """Check a Context object; revision/platform need an Activity object."""
    if not isinstance(value, dict):
        fail_type(value, path, "a Context object")
    if not value.keys() <= rules.context_keys:
        fail_unknown_key(value, rules.context_keys, path)
    if "registration" in value:
        check_uuid(value["registration"], path, "registration")
    if "instructor" in value:
        validate_actor(value["instructor"], path=f"{path}.instructor")
    if "team" in value:
        validate_group(value["team"], path=f"{path}.team")
    if "contextActivities" in value:
        _check_context_activities(value["contextActivities"], path)
    if "revision" in value:
        _check_activity_only(value["revision"], path, "revision", object_type)
    if "platform" in value:
        _check_activity_only(value["platform"], path, "platform", object_type)
    if "language" in value:
        language = value["language"]
        what = "an RFC 5646 language tag"
        check_formatted(language, is_language_tag, what, path, "language")
    if "statement" in value:
        validate_statement_ref(value["statement"], path=f"{path}.statement")
    if "extensions" in value:
        check_extensions(value["extensions"], path, "extensions")
    for key, check in rules.context_checks.items():
        if key in value:
            check(value[key], f"{path}.{key}")


def _check_activity_only(value: object, path: str, key: str, object_type: str) -> None:
    """Check a string context property that is only allowed for Activity objects."""
    check_str(value, path, key)
    if object_type != "Activity":
        fail(
            f"{path}.{key}",
            "may only be used when the statement's object is an Activity",
        )


def _check_context_activities(value: object, context_path: str) -> None:
    """Check contextActivities: each value an Activity or an array of Activities."""
    path = f"{context_path}.contextActivities"
    if not isinstance(value, dict):
        fail_type(value, path, "a contextActivities object")
    if not value.keys() <= CONTEXT_ACTIVITY_KEYS:
        fail_unknown_key(value, CONTEXT_ACTIVITY_KEYS, path)
    for key, item in value.items():
        if isinstance(item, list):
            for index, activity in enumerate(item):
                if _bare_activity(activity):
                    continue
                validate_activity(activity, path=f"{path}.{key}[{index}]")
        elif isinstance(item, dict):
            validate_activity(item, path=f"{path}.{key}")
        else:
            expected = "an Activity or an array of Activities"
            fail_type(item, f"{path}.{key}", expected)


def _bare_activity(activity: object) -> bool:
    """Return whether ``activity`` is {"id": IRI} and nothing else, valid as it is.

    Most context activities are; checked here they skip building a path and four
    calls each. Anything else goes through validate_activity, which says what
    is wrong.
    """
    if type(activity) is not dict or len(activity) != 1:
        return False
    value = activity.get("id")
    return isinstance(value, str) and is_iri(value)


def _check_timestamp(value: object, path: str, key: str, rules: VersionRules) -> None:
    """Check an ISO 8601 timestamp (timestamp or stored)."""
    check_formatted(value, rules.is_timestamp, "an ISO 8601 timestamp", path, key)


def _check_authority(value: object, path: str) -> None:
    """Check an authority: an Agent, or a Group of exactly two Agents (OAuth)."""
    if validate_actor(value, path=path) == "Group":
        members = value.get("member")  # type: ignore[union-attr]
        if not isinstance(members, list) or len(members) != 2:
            fail(f"{path}.member", "an authority Group must have exactly two Agents")


def _check_version(value: object, path: str, rules: VersionRules) -> None:
    """Check the statement's version property against the version rules."""
    if isinstance(value, str) and rules.statement_version.fullmatch(value):
        return
    check_str(value, path, "version")
    fail(f"{path}.version", f"{rules.statement_version_hint}, got {shown(value)}")


def _check_attachments(value: object, path: str) -> None:
    """Check the statement's attachments array."""
    for index, item in enumerate(require_array(value, path)):
        validate_attachment(item, path=f"{path}[{index}]")


def validate_attachment(obj: object, *, path: str = "attachment") -> None:
    """Check an Attachment object (Data 2.4.11, signature rules of 2.6)."""
    if not isinstance(obj, dict):
        fail_type(obj, path, "an Attachment object")
    if not obj.keys() <= ATTACHMENT_KEYS:
        fail_unknown_key(obj, ATTACHMENT_KEYS, path)
    require_keys(obj, _ATTACHMENT_REQUIRED, path)
    usage_type = check_iri(obj["usageType"], path, "usageType")
    check_language_map(obj["display"], path, "display")
    if "description" in obj:
        check_language_map(obj["description"], path, "description")
    what = "an Internet Media Type"
    content_type = check_formatted(
        obj["contentType"], is_media_type, what, path, "contentType"
    )
    if check_int(obj["length"], path, "length") < 0:
        fail(f"{path}.length", "must not be negative")
    what = "a hex-encoded SHA-2 digest"
    check_formatted(obj["sha2"], is_sha2_hex, what, path, "sha2")
    if "fileUrl" in obj:
        check_irl(obj["fileUrl"], path, "fileUrl")
    if (
        usage_type == SIGNATURE_USAGE_TYPE
        and content_type != "application/octet-stream"
    ):
        fail(f"{path}.contentType", "a signature must be application/octet-stream")
