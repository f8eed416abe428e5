"""The public validation API: batches, helpers, errors, version rules, imports."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from xapi.errors import (
    ConflictError,
    DuplicateIdError,
    StatementValidationError,
    XAPIError,
)
from xapi.validation import (
    RULES,
    rules_for,
    validate_account,
    validate_activity,
    validate_actor,
    validate_agent,
    validate_attachment,
    validate_extensions,
    validate_group,
    validate_language_map,
    validate_result,
    validate_score,
    validate_statement,
    validate_statement_ref,
    validate_statements,
    validate_verb,
)
from xapi.validation.rules import XAPI_1_0_3
from xapi.validation.statements import check_statement

REPO = Path(__file__).resolve().parents[2]
AGENT = {"mbox": "mailto:learner@example.com"}
GROUP = {"objectType": "Group", "account": {"homePage": "https://x.org", "name": "g"}}
ANONYMOUS_GROUP = {"objectType": "Group", "member": [AGENT]}


def statement(**extra: Any) -> dict[str, Any]:
    """A small valid statement, with ``extra`` properties."""
    return {
        "actor": AGENT,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": "https://lms.example.org/modules/1"},
        **extra,
    }


def error_of(call: Any, *args: Any, **kwargs: Any) -> StatementValidationError:
    """Run ``call`` and return the StatementValidationError it raises."""
    with pytest.raises(StatementValidationError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_exceptions_share_a_base_class() -> None:
    """The store's exceptions and the validation error are all XAPIErrors."""
    for kind in (StatementValidationError, ConflictError, DuplicateIdError):
        assert issubclass(kind, XAPIError)
    error = StatementValidationError("statement.id", "bad")
    assert (error.path, error.message, str(error)) == (
        "statement.id",
        "bad",
        "statement.id: bad",
    )


def test_a_single_statement_body_becomes_a_list() -> None:
    """Comm 2.1.2: POST content is "An array of Statements or a single Statement"."""
    body = statement()
    assert validate_statements(body) == [body]


def test_a_batch_is_returned_unchanged() -> None:
    """A valid batch comes back as the same list, in order."""
    batch = [statement(), statement(id="12345678-1234-5678-1234-567812345678")]
    assert validate_statements(batch) is batch


def test_an_empty_batch_is_accepted() -> None:
    """The specification does not forbid an empty array of statements."""
    assert validate_statements([]) == []


def test_batch_errors_name_the_statement_index() -> None:
    """Comm 3.2.s3.b9: "The LRS MUST reject a batch of statements if any Statement
    within that batch is rejected"; the error says which one.
    """
    batch = [statement(), statement(), statement(verb={"id": "experienced"})]
    assert error_of(validate_statements, batch).path == "statements[2].verb.id"
    assert error_of(validate_statements, [statement(), 7]).path == "statements[1]"


def test_single_statement_errors_use_statement_path() -> None:
    """A single statement body is reported under ``statement``."""
    body = statement(result={"success": "yes"})
    assert error_of(validate_statements, body).path == "statement.result.success"


@pytest.mark.parametrize("payload", [None, "[]", 3, True])
def test_payload_must_be_an_object_or_array(payload: object) -> None:
    """Comm 3.2.s2.b1: 400 for "invalid Object structures"."""
    assert error_of(validate_statements, payload).path == "statements"


def test_statement_path_can_be_chosen() -> None:
    """validate_statement(path=...) prefixes every error path."""
    body = statement(id="nope")
    assert error_of(validate_statement, body, path="body").path == "body.id"
    assert error_of(validate_statement, [body]).path == "statement"


def test_validate_agent_accepts_agents_only_by_default() -> None:
    """Comm 2.3/2.4: the Agent Profile and Agents Resources take an Agent object."""
    validate_agent(AGENT)
    validate_agent({"objectType": "Agent", **AGENT})
    assert error_of(validate_agent, GROUP).path == "agent.objectType"
    assert error_of(validate_agent, {"name": "x"}).path == "agent"
    assert error_of(validate_agent, "mailto:a@x.org").path == "agent"


def test_validate_agent_with_groups_for_the_statements_query() -> None:
    """Comm 2.1.3: the statements ``agent`` filter is an "Agent or Identified Group"."""
    validate_agent(GROUP, allow_group=True)
    validate_agent(AGENT, allow_group=True)
    error = error_of(validate_agent, ANONYMOUS_GROUP, allow_group=True, path="agent")
    assert error.path == "agent"


def test_actor_group_and_account_helpers() -> None:
    """validate_actor takes Agents and Groups; validate_group wants a Group."""
    assert validate_actor(AGENT) == "Agent"
    assert validate_actor(ANONYMOUS_GROUP) == "Group"
    validate_group(GROUP)
    assert error_of(validate_group, AGENT).path == "group.objectType"
    validate_account({"homePage": "https://x.org", "name": ""})
    assert error_of(validate_account, {"homePage": "x.org", "name": "a"}).path == (
        "account.homePage"
    )


def test_other_public_helpers() -> None:
    """Activities, verbs, results, scores, refs, attachments, maps and extensions."""
    validate_activity({"id": "https://x.org/a", "objectType": "Activity"})
    assert error_of(validate_activity, {"id": "a"}).path == "activity.id"
    assert validate_verb({"id": "https://x.org/v"}) == "https://x.org/v"
    validate_result({"duration": "PT1S"})
    assert error_of(validate_score, {"scaled": 2}).path == "score.scaled"
    validate_statement_ref(
        {"objectType": "StatementRef", "id": "0" * 8 + "-0000" * 3 + "-" + "0" * 12}
    )
    assert (
        error_of(validate_statement_ref, {"id": "x"}).path == "statementRef.objectType"
    )
    assert error_of(validate_attachment, {}).path == "attachment.usageType"
    validate_language_map({"en": "x", "de-AT": "y"})
    assert error_of(validate_language_map, {"en": None}).path == "languageMap.en"
    assert error_of(validate_language_map, [], path="display").path == "display"
    validate_extensions({"urn:x:y": None})
    assert error_of(validate_extensions, {"y": 1}, path="ext").path == "ext.y"


@pytest.mark.parametrize("version", ["1.0.3", "1.0", "1.0.0", "1.0.1", "1.0.2"])
def test_1_0_x_versions_use_the_1_0_3_rules(version: str) -> None:
    """Comm 3.3.s3.b3/b5: accept version headers "1.0" and any starting with "1.0."."""
    assert rules_for(version) is XAPI_1_0_3
    validate_statement(statement(), version=version)


@pytest.mark.parametrize("version", ["0.95", "1.1.0", "2.0.0", ""])
def test_unsupported_versions_are_a_programming_error(version: str) -> None:
    """Comm 3.3.s3.b4/b6: other versions are refused before validation (ValueError)."""
    with pytest.raises(ValueError, match="unsupported xAPI version"):
        validate_statement(statement(), version=version)


def test_rules_table_lists_1_0_3() -> None:
    """The per-version rules live in one table."""
    assert dict(RULES) == {"1.0.3": XAPI_1_0_3}


def test_a_new_version_is_an_addition_of_rules() -> None:
    """A 2.0-style version adds context properties and a version pattern as data."""
    seen: list[str] = []

    def check_context_agents(value: object, path: str) -> None:
        """Record the call; a real 2.0 check would validate the array."""
        seen.append(path)

    rules = dataclasses.replace(
        XAPI_1_0_3,
        name="test-2",
        context_keys=XAPI_1_0_3.context_keys | {"contextAgents"},
        context_checks=MappingProxyType({"contextAgents": check_context_agents}),
    )
    body = statement(context={"contextAgents": []}, version="1.0.0")
    check_statement(body, "statement", rules)
    assert seen == ["statement.context.contextAgents"]
    assert error_of(validate_statement, body).path == "statement.context.contextAgents"


def test_importing_validation_loads_neither_flask_nor_lms() -> None:
    """``xapi`` is framework-free: a fresh interpreter imports it without Flask."""
    code = (
        "import sys, xapi.validation, xapi.formats, xapi.errors\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'flask', 'lms', 'werkzeug', 'sqlalchemy', 'jsonschema'})\n"
        "print(','.join(bad))\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
