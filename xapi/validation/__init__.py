"""Strict xAPI statement validation; raises StatementValidationError with a path."""

from xapi.errors import StatementValidationError
from xapi.validation._core import validate_extensions, validate_language_map
from xapi.validation.activities import validate_activity, validate_activity_definition
from xapi.validation.agents import (
    validate_account,
    validate_actor,
    validate_agent,
    validate_group,
)
from xapi.validation.rules import RULES, VersionRules, rules_for
from xapi.validation.statements import (
    validate_attachment,
    validate_result,
    validate_score,
    validate_statement,
    validate_statement_ref,
    validate_statements,
    validate_verb,
)

__all__ = [
    "RULES",
    "StatementValidationError",
    "VersionRules",
    "rules_for",
    "validate_account",
    "validate_activity",
    "validate_activity_definition",
    "validate_actor",
    "validate_agent",
    "validate_attachment",
    "validate_extensions",
    "validate_group",
    "validate_language_map",
    "validate_result",
    "validate_score",
    "validate_statement",
    "validate_statement_ref",
    "validate_statements",
    "validate_verb",
]
