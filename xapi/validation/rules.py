"""Per-version statement rules: everything that differs between xAPI versions."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from xapi.formats import is_timestamp

# A check of one extra context property: (value, path) -> None, raising on error.
ContextCheck = Callable[[object, str], None]

# Properties a SubStatement must not have, whatever the version (Data 2.4.4.3.s8.b3).
SUBSTATEMENT_FORBIDDEN_KEYS = frozenset({"id", "stored", "version", "authority"})


@dataclass(frozen=True, slots=True)
class VersionRules:
    """The version-specific parts of statement validation for one xAPI version."""

    name: str
    statement_keys: frozenset[str]
    substatement_keys: frozenset[str]
    context_keys: frozenset[str]
    # Accepted values of the statement's "version" property, and how to explain it.
    statement_version: re.Pattern[str]
    statement_version_hint: str
    is_timestamp: Callable[[str], bool]
    # Extra context properties of this version and their checks (2.0: contextAgents).
    context_checks: Mapping[str, ContextCheck] = field(
        default_factory=lambda: MappingProxyType({})
    )


_STATEMENT_KEYS_1_0 = frozenset(
    {
        "id",
        "actor",
        "verb",
        "object",
        "result",
        "context",
        "timestamp",
        "stored",
        "authority",
        "version",
        "attachments",
    }
)
_CONTEXT_KEYS_1_0 = frozenset(
    {
        "registration",
        "instructor",
        "team",
        "contextActivities",
        "revision",
        "platform",
        "language",
        "statement",
        "extensions",
    }
)

XAPI_1_0_3 = VersionRules(
    name="1.0.3",
    statement_keys=_STATEMENT_KEYS_1_0,
    substatement_keys=(_STATEMENT_KEYS_1_0 - SUBSTATEMENT_FORBIDDEN_KEYS)
    | {"objectType"},
    context_keys=_CONTEXT_KEYS_1_0,
    # Data 2.4.10: must start with "1.0." and follow Semantic Versioning 1.0.0.
    statement_version=re.compile(r"1\.0\.[0-9]+(?:-[0-9A-Za-z-]+)?"),
    statement_version_hint="must be a 1.0.x version such as '1.0.0'",
    is_timestamp=is_timestamp,
)

RULES: Mapping[str, VersionRules] = MappingProxyType({"1.0.3": XAPI_1_0_3})


def rules_for(version: str) -> VersionRules:
    """Return the rules for an xAPI version or version header (``1.0``, ``1.0.x``)."""
    rules = RULES.get(version)
    if rules is not None:
        return rules
    if version == "1.0" or version.startswith("1.0."):
        return XAPI_1_0_3
    raise ValueError(f"unsupported xAPI version: {version!r}")
