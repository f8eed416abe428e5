"""Each LRS validation rule of xAPI 1.0.3, as tables of invalid statements."""

# Every case starts from BASE, a valid statement using nearly every property, changes
# one or two values, and asserts the path of the StatementValidationError.

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from xapi.errors import StatementValidationError, XAPIError
from xapi.validation import validate_statement

UUID_1 = "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"
UUID_2 = "ec531277-b57b-4c15-8d91-d292c5b2b8f7"
SHA256 = "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a"
SHA1 = "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"
EXT = "https://lms.example.org/xapi/ext/attempt"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
DELETE = object()

BASE: dict[str, Any] = {
    "id": UUID_1,
    "actor": {
        "objectType": "Agent",
        "name": "Alex Example",
        "account": {"homePage": "https://lms.example.org", "name": "u-1625378"},
    },
    "verb": {
        "id": "http://adlnet.gov/expapi/verbs/answered",
        "display": {"en-US": "answered", "de": "beantwortet"},
    },
    "object": {
        "objectType": "Activity",
        "id": "https://lms.example.org/modules/hygiene/q1",
        "definition": {
            "name": {"en-US": "Question 1"},
            "description": {"en-US": "Which steps come first?"},
            "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
            "moreInfo": "https://lms.example.org/modules/hygiene",
            "interactionType": "choice",
            "correctResponsesPattern": ["wash[,]dry"],
            "choices": [
                {"id": "wash", "description": {"en-US": "Wash"}},
                {"id": "dry", "description": {"en-US": "Dry"}},
            ],
            "extensions": {EXT: {"any": ["json", 1, None]}},
        },
    },
    "result": {
        "score": {"scaled": 0.5, "raw": 5, "min": 0, "max": 10},
        "success": True,
        "completion": True,
        "response": "wash[,]dry",
        "duration": "PT1M30.5S",
        "extensions": {EXT: None},
    },
    "context": {
        "registration": UUID_2,
        "instructor": {"mbox": "mailto:teacher@example.com"},
        "team": {
            "objectType": "Group",
            "name": "Ward 3",
            "member": [{"mbox_sha1sum": SHA1}, {"openid": "http://id.example.org/x"}],
        },
        "contextActivities": {
            "parent": [{"id": "https://lms.example.org/modules/hygiene"}],
            "grouping": {"objectType": "Activity", "id": "https://lms.example.org"},
            "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}],
            "other": [],
        },
        "revision": "2",
        "platform": "bdk-lms",
        "language": "de-DE",
        "statement": {"objectType": "StatementRef", "id": UUID_2},
        "extensions": {EXT: 2},
    },
    "timestamp": "2024-05-18T05:32:34.804+02:00",
    "stored": "2024-05-18T03:32:35.100Z",
    "authority": {
        "objectType": "Agent",
        "account": {"homePage": "https://lms.example.org/oauth", "name": "client"},
    },
    "version": "1.0.0",
    "attachments": [
        {
            "usageType": "http://id.tincanapi.com/attachment/certificate-of-completion",
            "display": {"en-US": "Certificate"},
            "description": {"en-US": "The certificate for this module"},
            "contentType": "application/pdf",
            "length": 12345,
            "sha2": SHA256,
            "fileUrl": "https://lms.example.org/certificates/1.pdf",
        }
    ],
}

SUBSTATEMENT = {
    "objectType": "SubStatement",
    "actor": {"mbox": "mailto:learner@example.com"},
    "verb": {"id": "http://example.com/visited"},
    "object": {"id": "http://example.com/website"},
    "timestamp": "2030-01-01T00:00:00Z",
}

_TOKEN = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def mutated(changes: dict[str, Any], base: dict[str, Any] = BASE) -> dict[str, Any]:
    """Return a deep copy of ``base`` with ``{"a.b[0].c": value}`` changes applied."""
    statement = copy.deepcopy(base)
    for path, value in changes.items():
        *parents, last = [
            int(index) if index else key for index, key in _TOKEN.findall(path)
        ]
        node: Any = statement
        for step in parents:
            node = node[step]
        if value is DELETE:
            del node[last]
        else:
            node[last] = copy.deepcopy(value)
    return statement


def case(path: str, value: Any, expected: str | None = None, **more: Any) -> Any:
    """A table row: set ``more`` paths (``a__b`` means ``a.b``), then ``path``."""
    changes = {key.replace("__", "."): v for key, v in more.items()}
    changes[path] = value
    label = f"{path}={'<deleted>' if value is DELETE else repr(value)}"
    return pytest.param(changes, expected or f"statement.{path}", id=label[:70])


def rejected(statement: object) -> StatementValidationError:
    """Validate ``statement`` and return the error it must raise."""
    with pytest.raises(StatementValidationError) as caught:
        validate_statement(statement)
    return caught.value


def assert_path(changes: dict[str, Any], expected: str) -> None:
    """The mutated BASE is rejected and the error names ``expected``."""
    error = rejected(mutated(changes))
    assert error.path == expected, str(error)
    assert str(error).startswith(f"{expected}: ")


def test_base_statement_is_valid() -> None:
    """The full statement every table starts from is itself valid."""
    validate_statement(BASE)
    without_revision = {"context.revision": DELETE, "context.platform": DELETE}
    validate_statement(mutated({"object": SUBSTATEMENT, **without_revision}))


def test_error_type_and_message() -> None:
    """Errors are XAPIErrors carrying .path and .message, shown as "path: message"."""
    error = rejected(mutated({"verb.id": "answered"}))
    assert isinstance(error, XAPIError)
    assert error.path == "statement.verb.id"
    assert "IRI" in error.message
    assert str(error) == f"{error.path}: {error.message}"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        case("id", None),
        case("actor", None),
        case("actor.name", None),
        case("actor.objectType", None),
        case("actor.account", None),
        case("actor.account.name", None),
        case("verb", None),
        case("verb.id", None),
        case("verb.display", None),
        case("verb.display.en-US", None),
        case("object", None),
        case("object.objectType", None),
        case("object.definition", None),
        case("object.definition.name.en-US", None),
        case("object.definition.type", None),
        case("object.definition.interactionType", None),
        case("object.definition.correctResponsesPattern", None),
        case("object.definition.correctResponsesPattern[0]", None),
        case("object.definition.choices", None),
        case("object.definition.choices[1]", None),
        case("object.definition.choices[1].description", None),
        case("object.definition.extensions", None),
        case("result", None),
        case("result.score", None),
        case("result.score.raw", None),
        case("result.success", None),
        case("result.duration", None),
        case("result.extensions", None),
        case("context", None),
        case("context.registration", None),
        case("context.instructor", None),
        case("context.team.member", None),
        case("context.team.member[0]", None),
        case("context.contextActivities", None),
        case("context.contextActivities.parent", None),
        case("context.contextActivities.parent[0]", None),
        case("context.contextActivities.grouping.objectType", None),
        case("context.revision", None),
        case("context.language", None),
        case("context.statement", None),
        case("context.statement.id", None),
        case("timestamp", None),
        case("stored", None),
        case("authority", None),
        case("version", None),
        case("attachments", None),
        case("attachments[0]", None),
        case("attachments[0].fileUrl", None),
        case("attachments[0].length", None),
    ],
)
def test_null_values_are_rejected(changes: dict[str, Any], expected: str) -> None:
    """Data 2.2.s4.b1.b1: "The LRS MUST reject Statements with any null values
    (except inside extensions)."
    """
    assert_path(changes, expected)


def test_null_inside_extensions_is_accepted() -> None:
    """Data 2.2.s4.b1.b1 excepts extensions; 4.1.s3.b2: "An LRS MUST NOT reject a
    Statement based on the values of the extensions map."
    """
    nested = {EXT: None, "urn:x:deep": {"a": [None, {"b": None}]}}
    validate_statement(
        mutated(
            {
                "result.extensions": nested,
                "context.extensions": nested,
                "object.definition.extensions": nested,
            }
        )
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        case("result.score.raw", "5"),
        case("result.score.scaled", "0.5"),
        case("result.score.max", [10]),
        case("result.success", "true"),
        case("result.completion", 1),
        case("result.response", 42),
        case("attachments[0].length", "12345"),
        case("attachments[0].length", 12.5),
        case("attachments[0].length", True),
        case("result.score.raw", True),
        case("actor", "mailto:learner@example.com"),
        case("actor.name", ["Alex"]),
        case("actor.account", "u-1625378"),
        case("verb", "http://adlnet.gov/expapi/verbs/answered"),
        case("verb.display", ["answered"]),
        case("verb.display.en-US", {"text": "answered"}),
        case("object", [BASE["object"]]),
        case("object.definition", "Question 1"),
        case("object.definition.name", "Question 1"),
        case("object.definition.correctResponsesPattern", "wash[,]dry"),
        case("object.definition.correctResponsesPattern[0]", 1),
        case("object.definition.choices", {"id": "wash"}),
        case("object.definition.choices[0].id", 1),
        case("result", []),
        case("result.score", 0.5),
        case("result.extensions", [EXT]),
        case("context", "bdk-lms"),
        case("context.revision", 2),
        case("context.platform", False),
        case("context.team.member", {"mbox": "mailto:a@example.com"}),
        case("context.contextActivities", []),
        case("context.contextActivities.other", "https://lms.example.org"),
        case("context.contextActivities.parent[0]", "https://lms.example.org"),
        case("timestamp", 1716003154),
        case("version", 1.0),
        case("attachments", BASE["attachments"][0]),
        case("attachments[0]", "certificate"),
    ],
)
def test_wrong_data_types_are_rejected(changes: dict[str, Any], expected: str) -> None:
    """Data 2.2.s4.b1.b2: "The LRS MUST reject Statements where the wrong data type
    is used, for example: with strings where numbers are required, even if those
    strings contain numbers, or with strings where booleans are required."
    """
    assert_path(changes, expected)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        case("id", ""),
        case("id", "6690e6c9-3ef0-4ed3-8b37-7f3964730be"),
        case("id", "6690e6c93ef04ed38b377f3964730bee"),
        case("id", "{6690e6c9-3ef0-4ed3-8b37-7f3964730bee}"),
        case("id", "urn:uuid:6690e6c9-3ef0-4ed3-8b37-7f3964730bee"),
        case("id", "6690e6c9-3ef0-4ed3-8b37-7f3964730beg"),
        case("context.registration", "registration-1"),
        case("context.statement.id", "not-a-uuid"),
        case("actor.mbox", "learner@example.com", actor__account=DELETE),
        case("actor.mbox", "", actor__account=DELETE),
        case("actor.mbox", "mailto:", actor__account=DELETE),
        case("actor.mbox", "mailto:learner", actor__account=DELETE),
        case("actor.mbox", "MAILTO:learner@example.com", actor__account=DELETE),
        case("actor.mbox", "mailto:a b@example.com", actor__account=DELETE),
        case("actor.mbox_sha1sum", SHA1[:-1], actor__account=DELETE),
        case("actor.mbox_sha1sum", SHA1[:-1] + "g", actor__account=DELETE),
        case("actor.mbox_sha1sum", "", actor__account=DELETE),
        case("actor.openid", "toby.openid.example.org", actor__account=DELETE),
        case("actor.openid", "http://tøby.example.org/", actor__account=DELETE),
        case("verb.id", ""),
        case("verb.id", "http://"),
        case("verb.id", "http://example.com/has space"),
        case("verb.id", "http://example.com/bad%zzescape"),
        case("verb.id", "http://example.com/<tag>"),
        case("attachments[0].contentType", "pdf"),
        case("attachments[0].contentType", ""),
        case("attachments[0].contentType", "application/pdf; charset"),
        case("attachments[0].sha2", "not-hex"),
        case("attachments[0].sha2", SHA1),
        case("attachments[0].sha2", ""),
    ],
)
def test_badly_formatted_values_are_rejected(
    changes: dict[str, Any], expected: str
) -> None:
    """Data 2.2.s4.b1.b4: "The LRS MUST reject Statements with any non-format-following
    key or value, including the empty string, where a string with a particular format
    (such as mailto IRI, UUID, or IRI) is required."
    """
    assert_path(changes, expected)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        case("verb.id", "adlnet.gov/expapi/verbs/answered"),
        case("verb.id", "/expapi/verbs/answered"),
        case("verb.id", "#answered"),
        case("object.id", "modules/hygiene/q1"),
        case("object.definition.type", "cmi.interaction"),
        case("object.definition.moreInfo", "lms.example.org/modules/hygiene"),
        case("actor.account.homePage", "www.example.com"),
        case("authority.account.homePage", "//lms.example.org/oauth"),
        case("context.contextActivities.parent[0].id", "hygiene"),
        case("context.contextActivities.grouping.id", "lms.example.org"),
        case("attachments[0].usageType", "certificate"),
        case("attachments[0].fileUrl", "certificates/1.pdf"),
        case(
            "result.extensions",
            {"attempt": 1},
            "statement.result.extensions.attempt",
        ),
    ],
)
def test_iris_without_scheme_are_rejected(
    changes: dict[str, Any], expected: str
) -> None:
    """Data 2.2.s4.b1.b8: "The LRS MUST reject Statements containing IRL or IRI values
    without a scheme." (Note in 2.4.4.1: relative IRLs are not valid IRIs.)
    """
    assert_path(changes, expected)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        case("Actor", BASE["actor"], actor=DELETE),
        case("actor.Name", "Alex", "statement.actor.Name"),
        case("actor.mBox", "mailto:a@example.com", "statement.actor.mBox"),
        case("verb.ID", "http://example.com/v", "statement.verb.ID", verb__id=DELETE),
        case("object.objecttype", "Activity", object__objectType=DELETE),
        case("object.definition.interactiontype", "choice"),
        case("result.Success", True),
        case("context.contextactivities", {}),
        case("context.contextActivities.Parent", []),
        case("attachments[0].fileURL", "https://lms.example.org/1.pdf"),
    ],
)
def test_keys_in_the_wrong_case_are_rejected(
    changes: dict[str, Any], expected: str
) -> None:
    """Data 2.2.s4.b1.b5: "The LRS MUST reject Statements where the case of a key does
    not match the case specified in this specification."
    """
    assert_path(changes, expected)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        case("actor.objectType", "agent"),
        case("actor.objectType", "AGENT"),
        case("object.objectType", "activity"),
        case("object.definition.interactionType", "Choice"),
        case("context.team.objectType", "group"),
        case("context.statement.objectType", "statementRef"),
        case("context.contextActivities.grouping.objectType", "ACTIVITY"),
        case(
            "object",
            {**SUBSTATEMENT, "objectType": "substatement"},
            "statement.object.objectType",
        ),
    ],
)
def test_enumerated_values_in_the_wrong_case_are_rejected(
    changes: dict[str, Any], expected: str
) -> None:
    """Data 2.2.s4.b1.b6: "The LRS MUST reject Statements where the case of a value
    restricted to enumerated values does not match an enumerated value given in this
    specification exactly."
    """
    assert_path(changes, expected)


_UNKNOWN_KEY_LOCATIONS = [
    "",
    "actor.",
    "actor.account.",
    "verb.",
    "object.",
    "object.definition.",
    "object.definition.choices[0].",
    "result.",
    "result.score.",
    "context.",
    "context.instructor.",
    "context.team.",
    "context.team.member[0].",
    "context.contextActivities.",
    "context.contextActivities.parent[0].",
    "context.contextActivities.grouping.",
    "context.statement.",
    "authority.",
    "attachments[0].",
]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [case(f"{where}dummy", "value") for where in _UNKNOWN_KEY_LOCATIONS]
    + [
        case("object", {**SUBSTATEMENT, "dummy": 1}, "statement.object.dummy"),
        case("object.actor.dummy", 1, object=SUBSTATEMENT),
        case("objectType", "Statement"),
        case(
            "context.contextActivities.parent[0].definition",
            {"dummy": 1},
            "statement.context.contextActivities.parent[0].definition.dummy",
        ),
        case("context.contextAgents", []),
        case("object.definition.choices[0].extensions", {}),
    ],
)
def test_properties_not_in_the_spec_are_rejected(
    changes: dict[str, Any], expected: str
) -> None:
    """Data 2.2.s4.b1.b7: "The LRS MUST reject Statements where a key or value is not
    allowed by this specification." 2.2.s4.b8: the LRS SHOULD* reject Statements
    containing additional properties. (1.0.3 also rejects 2.0's contextAgents.)
    """
    assert_path(changes, expected)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        case("verb.display", {"en_US": "answered"}, "statement.verb.display.en_US"),
        case("verb.display", {"": "answered"}, "statement.verb.display."),
        case("verb.display", {"en--US": "x"}, "statement.verb.display.en--US"),
        case("verb.display", {"en-": "x"}, "statement.verb.display.en-"),
        case("verb.display", {"e": "x"}, "statement.verb.display.e"),
        case("verb.display", {"en-US-": "x"}, "statement.verb.display.en-US-"),
        case("verb.display", {"en US": "x"}, "statement.verb.display.en US"),
        case("verb.display", {"abcdefghi": "x"}, "statement.verb.display.abcdefghi"),
        case("verb.display", {"en-x": "x"}, "statement.verb.display.en-x"),
        case("verb.display", {"en-a": "x"}, "statement.verb.display.en-a"),
        case(
            "object.definition.name",
            {"de-DE": "Frage", "x-toolongprivate": "x"},
            "statement.object.definition.name.x-toolongprivate",
        ),
        case(
            "attachments[0].display",
            {"1234": "x"},
            "statement.attachments[0].display.1234",
        ),
        case("context.language", "englishes"),
        case("context.language", ""),
        case("context.language", "de_DE"),
    ],
)
def test_language_tags_must_follow_rfc5646(
    changes: dict[str, Any], expected: str
) -> None:
    """Data 2.2.s4.b2: "The LRS MUST at least validate that the sequence of token
    lengths for language map keys matches the RFC 5646 standard."
    """
    assert_path(changes, expected)


@pytest.mark.parametrize(
    "tag",
    [
        "en",
        "en-US",
        "tlh",
        "es-419",
        "zh-Hant-TW",
        "sl-rozaj-biske",
        "de-CH-1996",
        "en-a-bbb-x-a-ccc",
        "x-whatever",
        "english",
        "i-klingon",
        "zh-min-nan",
        "EN-us",
        "und",
    ],
)
def test_valid_language_tags_are_accepted(tag: str) -> None:
    """Data 4.2: a language map's keys are RFC 5646 language tags (any letter case)."""
    validate_statement(
        mutated({"verb.display": {tag: "answered"}, "context.language": tag})
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        case("actor", DELETE),
        case("verb", DELETE),
        case("object", DELETE),
        case("verb.id", DELETE),
        case("object.id", DELETE),
        case("actor.account.homePage", DELETE),
        case("actor.account.name", DELETE),
        case("context.statement.id", DELETE),
        case("object.definition.choices[0].id", DELETE),
        case("attachments[0].usageType", DELETE),
        case("attachments[0].display", DELETE),
        case("attachments[0].contentType", DELETE),
        case("attachments[0].length", DELETE),
        case("attachments[0].sha2", DELETE),
        case("object.actor", DELETE, object=SUBSTATEMENT),
        case("object.verb", DELETE, object=SUBSTATEMENT),
        case("object.object", DELETE, object=SUBSTATEMENT),
    ],
)
def test_required_properties_are_enforced(
    changes: dict[str, Any], expected: str
) -> None:
    """Data 2.2.s2.b3: "A Statement MUST use "actor", "verb", and "object"", and the
    property tables mark verb id, Activity id, Account homePage/name, StatementRef
    id, interaction component id and five Attachment properties "Required".
    """
    assert_path(changes, expected)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        case("actor.account", DELETE, "statement.actor"),
        case("actor.mbox", "mailto:alex@example.com", "statement.actor"),
        case("actor.mbox_sha1sum", SHA1, "statement.actor"),
        case(
            "context.instructor.openid",
            "http://id.example.org/t",
            "statement.context.instructor",
        ),
        case(
            "context.team.member[0].mbox",
            "mailto:x@example.com",
            "statement.context.team.member[0]",
        ),
        case(
            "context.team.member[1].openid", DELETE, "statement.context.team.member[1]"
        ),
        case("object", {"objectType": "Agent", "name": "Nobody"}, "statement.object"),
    ],
)
def test_agents_have_exactly_one_ifi(changes: dict[str, Any], expected: str) -> None:
    """Data 2.4.2.1.s2.b1-b2: "An Agent MUST be identified by one (1) of the four types
    of Inverse Functional Identifiers" and "MUST NOT include more than one (1)".
    """
    assert_path(changes, expected)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        case("context.team.member", DELETE),
        case("context.team.member", [], "statement.context.team.member"),
        case(
            "context.team.member[0]",
            {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]},
            "statement.context.team.member[0].objectType",
        ),
        case(
            "context.team",
            {
                "objectType": "Group",
                "mbox": "mailto:t@example.com",
                "openid": "http://x.org/t",
            },
            "statement.context.team",
        ),
        case(
            "context.team.member[0].objectType",
            "Group",
        ),
        case(
            "actor",
            {"member": [{"mbox": "mailto:a@example.com"}]},
            "statement.actor.member",
        ),
        case(
            "actor",
            {
                "objectType": "Group",
                "account": BASE["actor"]["account"],
                "member": [{"objectType": "Group", "mbox": "mailto:g@example.com"}],
            },
            "statement.actor.member[0].objectType",
        ),
    ],
)
def test_group_rules(changes: dict[str, Any], expected: str) -> None:
    """Data 2.4.2.2: "An Anonymous Group MUST include a "member" property listing
    constituent Agents", "MUST NOT contain Group Objects in the "member" identifiers";
    "An Identified Group MUST include exactly one (1) Inverse Functional Identifier".
    """
    assert_path(changes, expected)


def test_identified_groups_may_omit_or_empty_member() -> None:
    """Data 2.4.2.2.s5.b4: "An Identified Group MAY include a "member" property"."""
    group = {"objectType": "Group", "mbox": "mailto:team@example.com"}
    validate_statement(mutated({"actor": group}))
    validate_statement(mutated({"actor": {**group, "member": []}}))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        case("object", {"mbox": "mailto:a@example.com"}, "statement.object.mbox"),
        case(
            "object",
            {"name": "Group", "member": [{"mbox": "mailto:a@example.com"}]},
            "statement.object.name",
        ),
        case("object.objectType", "Statement"),
        case("object.objectType", "Person"),
        case(
            "object",
            {"objectType": "Agent", "id": "http://x.org/a"},
            "statement.object.id",
        ),
    ],
)
def test_object_types(changes: dict[str, Any], expected: str) -> None:
    """Data 2.4.4.2.s1.b1: "Statements that specify an Agent or Group as an Object MUST
    specify an "objectType" property"; 2.4.4.s2: without objectType the Object is an
    Activity; other valid values are Agent, Group, SubStatement or StatementRef.
    """
    assert_path(changes, expected)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        case("object", {"objectType": "StatementRef"}, "statement.object.id"),
        case(
            "object", {"objectType": "StatementRef", "id": "x"}, "statement.object.id"
        ),
        case(
            "object",
            {"objectType": "StatementRef", "id": UUID_2, "definition": {}},
            "statement.object.definition",
        ),
        case("context.statement.objectType", DELETE),
        case(
            "context.statement",
            {**SUBSTATEMENT},
            "statement.context.statement.objectType",
        ),
    ],
)
def test_statement_references(changes: dict[str, Any], expected: str) -> None:
    """Data 2.4.4.3.s4: "A Statement Reference MUST specify an "objectType" property
    with the value StatementRef" and "MUST set the "id" property to the UUID of a
    Statement."
    """
    assert_path(changes, expected)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        case("object.id", UUID_2),
        case("object.stored", "2024-05-18T03:32:35Z"),
        case("object.version", "1.0.0"),
        case("object.authority", BASE["authority"]),
        case("object.object", {**SUBSTATEMENT}, "statement.object.object.objectType"),
        case("object.verb.id", "visited"),
        case(
            "object.context",
            {"revision": "1"},
            "statement.object.context.revision",
            object__object={"objectType": "Agent", "mbox": "mailto:a@example.com"},
        ),
    ],
)
def test_substatement_rules(changes: dict[str, Any], expected: str) -> None:
    """Data 2.4.4.3.s8: "A SubStatement MUST be validated as a Statement", "MUST NOT
    have the "id", "stored", "version" or "authority" properties" and "MUST NOT contain
    a SubStatement of its own".
    """
    without_revision = {"context.revision": DELETE, "context.platform": DELETE}
    assert_path({"object": SUBSTATEMENT, **without_revision, **changes}, expected)


def test_substatement_may_have_a_future_timestamp_and_attachments() -> None:
    """Data 2.4.7.s3.b5: "A SubStatement MAY have a "timestamp" property that is in the
    future"; its Object, result and context follow the statement rules.
    """
    sub = {**SUBSTATEMENT, "result": BASE["result"], "attachments": BASE["attachments"]}
    validate_statement(
        mutated({"object": sub, "context.revision": DELETE, "context.platform": DELETE})
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        case("verb.id", VOIDED, "statement.object"),
        case(
            "verb.id",
            VOIDED,
            "statement.object",
            object={"objectType": "Agent", "mbox": "mailto:a@example.com"},
            context__revision=DELETE,
            context__platform=DELETE,
        ),
        case(
            "object.verb.id",
            VOIDED,
            "statement.object.object",
            object=SUBSTATEMENT,
            context__revision=DELETE,
            context__platform=DELETE,
        ),
    ],
)
def test_voiding_statements_must_target_a_statement_ref(
    changes: dict[str, Any], expected: str
) -> None:
    """Data 2.3.2.s2.b1: "When issuing a Statement that voids another, the Object of
    that voiding Statement MUST have the "objectType" property set to StatementRef."
    """
    assert_path(changes, expected)


def test_voiding_an_unknown_statement_is_accepted() -> None:
    """Data 2.3.2.s2.b5: the LRS SHOULD NOT* reject a voiding Statement because its
    target is not present; validation never looks the target up.
    """
    validate_statement(
        mutated(
            {
                "verb.id": VOIDED,
                "object": {"objectType": "StatementRef", "id": UUID_2},
                "context.revision": DELETE,
                "context.platform": DELETE,
            }
        )
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        case("result.score.scaled", 1.01),
        case("result.score.scaled", -1.5),
        case("result.score.max", 0, "statement.result.score.max", result__score__raw=0),
        case(
            "result.score.max",
            -1,
            "statement.result.score.max",
            result__score__raw=DELETE,
        ),
        case("result.score.raw", 11, "statement.result.score.raw"),
        case("result.score.raw", -0.5, "statement.result.score.raw"),
        case("result.score", {"raw": 3, "min": 4}, "statement.result.score.raw"),
        case("result.score", {"raw": 5, "max": 4.5}, "statement.result.score.raw"),
    ],
)
def test_score_rules(changes: dict[str, Any], expected: str) -> None:
    """Data 2.4.5.1.s2: scaled is a "Decimal number between -1 and 1, inclusive", raw a
    "Decimal number between min and max (if present ...), inclusive", min a "Decimal
    number less than max (if present)".
    """
    assert_path(changes, expected)


@pytest.mark.parametrize(
    "score",
    [
        {"scaled": -1},
        {"scaled": 1},
        {"scaled": 0},
        {"raw": 0, "min": 0, "max": 1},
        {"raw": 1, "min": 0, "max": 1},
        {"raw": -1e9},
        {"min": -5.5, "max": 1e300},
        {},
    ],
)
def test_valid_scores(score: dict[str, Any]) -> None:
    """Data 2.4.5.1.s2: bounds are inclusive and every Score property is optional."""
    validate_statement(mutated({"result.score": score}))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        case(
            "object",
            {"objectType": "Agent", "mbox": "mailto:a@example.com"},
            "statement.context.revision",
        ),
        case(
            "object",
            {"objectType": "StatementRef", "id": UUID_2},
            "statement.context.platform",
            context__revision=DELETE,
        ),
        case(
            "object",
            SUBSTATEMENT,
            "statement.context.revision",
        ),
        case(
            "context.team",
            {"mbox": "mailto:t@example.com"},
            "statement.context.team.objectType",
        ),
        case("context.team.objectType", "Agent"),
        case("context.instructor", {"name": "Dr. No"}, "statement.context.instructor"),
        case("context.instructor.objectType", "Activity"),
    ],
)
def test_context_rules(changes: dict[str, Any], expected: str) -> None:
    """Data 2.4.6.s4.b1-b2: "The "revision" property MUST only be used if the
    Statement's Object is an Activity" (same for "platform"); team is a Group and
    instructor an Agent (MAY be a Group).
    """
    assert_path(changes, expected)


def test_context_instructor_may_be_a_group() -> None:
    """Data 2.4.6.s3: instructor is an "Agent (MAY be a Group)"."""
    validate_statement(mutated({"context.instructor": BASE["context"]["team"]}))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        case("context.contextActivities.parents", []),
        case("context.contextActivities.Category", []),
        case("context.contextActivities.parent[0].objectType", "Agent"),
        case(
            "context.contextActivities.other",
            [{"mbox": "mailto:a@example.com"}],
            "statement.context.contextActivities.other[0].mbox",
        ),
        case(
            "context.contextActivities.grouping",
            {"definition": {}},
            "statement.context.contextActivities.grouping.id",
        ),
        case(
            "context.contextActivities.parent",
            [[{"id": "http://x.org/a"}]],
            "statement.context.contextActivities.parent[0]",
        ),
    ],
)
def test_context_activities_rules(changes: dict[str, Any], expected: str) -> None:
    """Data 2.4.6.2.s4.b1-b2: "Every key in the contextActivities Object MUST be one of
    parent, grouping, category, or other" and "Every value ... MUST be either a single
    Activity Object or an array of Activity Objects."
    """
    assert_path(changes, expected)


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-18",
        "05:32:34",
        "2024-05-18 05:32:34Z",
        "2024-05-18t05:32:34z",
        "2024-13-18T05:32:34Z",
        "2024-02-30T05:32:34Z",
        "2023-02-29T05:32:34Z",
        "2024-05-18T24:00:00Z",
        "2024-05-18T05:60:00Z",
        "2024-05-18T05:32:34.Z",
        "2024-05-18T05:32:34+2:00",
        "2024-05-18T05:32:34-00:00",
        "2024-05-18T05:32:34-0000",
        "2024-05-18T05:32:34-00",
        "2024-05-1805:32:34Z",
        "0000-01-01T00:00:00Z",
        "yesterday",
        "",
        "1716003154",
    ],
)
def test_timestamps_must_be_iso8601(value: str) -> None:
    """Data 4.5.s1.b1: "A Timestamp MUST be formatted according to ISO 8601" (applies
    to "timestamp" and "stored", 2.4.7.s3.b1 and 2.4.8.s3.b1).
    """
    assert rejected(mutated({"timestamp": value})).path == "statement.timestamp"
    assert rejected(mutated({"stored": value})).path == "statement.stored"


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-18T05:32:34.804Z",
        "2024-05-18T05:32:34Z",
        "2024-05-18T05:32:34+00:00",
        "2024-05-18T05:32:34.123456789-05:30",
        "2024-05-18T05:32:34,5+0100",
        "2024-05-18T05:32+01",
        "2024-02-29T00:00:00Z",
        "2000-02-29T00:00:00Z",
        "20240518T053234Z",
        "2024-05-18T05:32:34",
        "2999-12-31T23:59:59.999Z",
    ],
)
def test_iso8601_timestamps_are_accepted(value: str) -> None:
    """Data 4.5.s1: ISO 8601 timestamps; a time zone SHOULD* (not MUST) be included;
    2.4.7.s3.b6: the LRS SHOULD* NOT reject future timestamps.
    """
    validate_statement(mutated({"timestamp": value, "stored": value}))


@pytest.mark.parametrize(
    "value",
    [
        "P",
        "PT",
        "P1DT",
        "1H",
        "PT1H30",
        "P4W1D",
        "P1Y2W",
        "PT-1H",
        "-PT1H",
        "P1.5Y2M",
        "PT1.5H30M",
        "P0003-01-29T04:35:59",
        "PT1h",
        "P 1D",
        "P16559.14S",
        "PT1.S",
        "",
    ],
)
def test_durations_must_be_iso8601(value: str) -> None:
    """Data 4.6.s1.b1: "A Duration MUST be expressed using the format for Duration in
    ISO 8601:2004(E) section 4.4.3.2. The alternative format ... MUST NOT be used."
    """
    assert (
        rejected(mutated({"result.duration": value})).path
        == "statement.result.duration"
    )


@pytest.mark.parametrize(
    "value",
    [
        "PT4H35M59.14S",
        "P3Y1M29DT4H35M59.14S",
        "P3Y",
        "P4W",
        "PT16559.14S",
        "PT0S",
        "P0D",
        "PT1.123456S",
        "PT0,5S",
        "P1DT12H",
        "P0.5W",
        "PT36H",
    ],
)
def test_iso8601_durations_are_accepted(value: str) -> None:
    """Data 4.6.s2 examples; 4.6.s1.b4: a Duration with more than 0.01 second
    precision SHOULD* NOT be rejected.
    """
    validate_statement(mutated({"result.duration": value}))


@pytest.mark.parametrize("value", ["1.0.0", "1.0.1", "1.0.3", "1.0.99", "1.0.0-beta1"])
def test_versions_starting_with_1_0_are_accepted(value: str) -> None:
    """Data 2.4.10.s3.b1: "An LRS MUST accept all Statements where their version starts
    with 1.0. if they otherwise validate."
    """
    validate_statement(mutated({"version": value}))


@pytest.mark.parametrize(
    "value", ["1.0", "1", "2.0.0", "1.1.0", "0.95", "1.0.", "1.0.x", " 1.0.0", ""]
)
def test_other_versions_are_rejected(value: str) -> None:
    """Data 2.4.10.s3.b2: "An LRS MUST reject all Statements with a version specified
    that does not start with 1.0." and 2.4.10.s2.b1: formatted as Semantic Versioning.
    """
    assert rejected(mutated({"version": value})).path == "statement.version"


OAUTH_APP = {
    "account": {"homePage": "http://example.com/xAPI/OAuth/Token", "name": "app"}
}
USER = {"mbox": "mailto:bob@example.com"}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        case(
            "authority",
            {"objectType": "Group", "member": [OAUTH_APP]},
            "statement.authority.member",
        ),
        case(
            "authority",
            {"objectType": "Group", "member": [OAUTH_APP, USER, USER]},
            "statement.authority.member",
        ),
        case(
            "authority",
            {"objectType": "Group", "mbox": "mailto:g@example.com"},
            "statement.authority.member",
        ),
        case(
            "authority",
            {"objectType": "Group", "member": [OAUTH_APP, {"name": "x"}]},
            "statement.authority.member[1]",
        ),
        case(
            "authority",
            {"account": {"homePage": "x", "name": "y"}},
            "statement.authority.account.homePage",
        ),
    ],
)
def test_authority_rules(changes: dict[str, Any], expected: str) -> None:
    """Data 2.4.9.s3.b1: "Authority MUST be an Agent, except in 3-legged OAuth, where it
    MUST be a Group with two Agents."
    """
    assert_path(changes, expected)


def test_three_legged_oauth_authority_is_accepted() -> None:
    """Data 2.4.9.s8: an OAuth consumer and a user paired in a Group of two Agents."""
    authority = {"objectType": "Group", "member": [OAUTH_APP, USER]}
    validate_statement(mutated({"authority": authority}))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        case("attachments[0].length", -1),
        case("attachments[0].display", "Certificate"),
        case(
            "attachments[0].description",
            {"en-US": 1},
            "statement.attachments[0].description.en-US",
        ),
        case(
            "attachments[0].usageType",
            "http://adlnet.gov/expapi/attachments/signature",
            "statement.attachments[0].contentType",
        ),
        case("attachments", {}, "statement.attachments"),
    ],
)
def test_attachment_rules(changes: dict[str, Any], expected: str) -> None:
    """Data 2.4.11.s2: usageType IRI, display Language Map, contentType Internet Media
    Type, length Integer (octets), sha2 String all Required, fileUrl IRL; 2.6.s4.b1: a
    signature has usageType .../signature "and a contentType of
    application/octet-stream".
    """
    assert_path(changes, expected)


def test_signature_attachment_is_accepted() -> None:
    """Data 2.6.s4.b1: a JWS signature Attachment uses application/octet-stream."""
    validate_statement(
        mutated(
            {
                "attachments[0].usageType": "http://adlnet.gov/expapi/attachments/signature",
                "attachments[0].contentType": "application/octet-stream",
                "attachments[0].fileUrl": DELETE,
            }
        )
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        case("object.definition.interactionType", "multiple-choice"),
        case("object.definition.interactionType", DELETE),
        case(
            "object.definition",
            {"correctResponsesPattern": ["true"]},
            "statement.object.definition.interactionType",
        ),
        case(
            "object.definition.interactionType",
            "true-false",
            "statement.object.definition.choices",
        ),
        case(
            "object.definition.interactionType",
            "likert",
            "statement.object.definition.choices",
        ),
        case("object.definition.scale", [], "statement.object.definition.scale"),
        case("object.definition.steps", [], "statement.object.definition.steps"),
        case("object.definition.choices[1].id", "wash"),
        case("object.definition.choices[1].id", ""),
        case("object.definition.choices[1].description", "Dry"),
        case(
            "object.definition.correctResponsesPattern",
            [["wash"]],
            "statement.object.definition.correctResponsesPattern[0]",
        ),
    ],
)
def test_interaction_rules(changes: dict[str, Any], expected: str) -> None:
    """Data 2.4.4.1.s13.b1: "Interaction Activities MUST have a valid interactionType";
    s13.b3 lets the LRS return 400 for invalid remaining properties; s15 lists the
    component lists each type supports; s16.b1: "all id values MUST be distinct".
    """
    assert_path(changes, expected)


@pytest.mark.parametrize(
    ("kind", "lists"),
    [
        ("true-false", {}),
        ("choice", {"choices": 2}),
        ("sequencing", {"choices": 3}),
        ("likert", {"scale": 5}),
        ("matching", {"source": 2, "target": 2}),
        ("performance", {"steps": 2}),
        ("fill-in", {}),
        ("long-fill-in", {}),
        ("numeric", {}),
        ("other", {}),
    ],
)
def test_each_interaction_type_accepts_its_component_lists(
    kind: str, lists: dict[str, int]
) -> None:
    """Data 2.4.4.1.s15: the supported interaction component lists per interactionType;
    2.4.4.1.s11: an empty correctResponsesPattern means no answer is correct.
    """
    definition: dict[str, Any] = {
        "interactionType": kind,
        "correctResponsesPattern": [],
    }
    for key, count in lists.items():
        definition[key] = [{"id": f"{key}{n}"} for n in range(count)]
    validate_statement(mutated({"object.definition": definition}))


@pytest.mark.parametrize(
    "where", ["result.extensions", "context.extensions", "object.definition.extensions"]
)
@pytest.mark.parametrize("key", ["attempt", "", "www.example.com/ext", "http://"])
def test_extension_keys_must_be_iris(where: str, key: str) -> None:
    """Data 4.1.s3.b1: "The keys of an extensions map MUST be IRIs."."""
    error = rejected(mutated({where: {EXT: 1, key: 1}}))
    assert error.path == f"statement.{where}.{key}"


def test_unicode_iris_are_accepted() -> None:
    """Data 4.3: IRIs "can contain some characters outside of the ASCII character set"
    (2.4.3.1.s1 uses http://example.com/فعل/خواندن as a Verb id).
    """
    validate_statement(
        mutated(
            {
                "verb.id": "http://example.com/فعل/خواندن",
                "object.id": "urn:x-lms:kurs/übung?q=ä#teil",
                "result.extensions": {"tag:example.com,2024:ext/%C3%BC": [1]},
            }
        )
    )


@pytest.mark.parametrize(
    "value",
    [
        UUID_1.upper(),
        "12345678-1234-5678-1234-567812345678",
        "00000000-0000-0000-0000-000000000000",
        "c0ffee00-0000-1000-8000-00805f9b34fb",
    ],
)
def test_uuids_in_standard_form_are_accepted(value: str) -> None:
    """Data 4.4: "UUIDs MUST be in the standard string form"; the variant is only
    recommended, and the spec's own example id 12345678-1234-5678-1234-567812345678
    is not RFC 4122 variant 2.
    """
    validate_statement(mutated({"id": value, "context.registration": value}))
