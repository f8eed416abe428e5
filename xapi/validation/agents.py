"""Validation of Agents, Groups and Account objects (xAPI Data 2.4.2)."""

from __future__ import annotations

from typing import Any

from xapi.formats import is_mailto_iri, is_sha1_hex, is_uri
from xapi.validation._core import (
    check_formatted,
    check_irl,
    check_str,
    fail,
    fail_type,
    fail_unknown_key,
    require_array,
    require_keys,
    shown,
)

IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")
AGENT_KEYS = frozenset({"objectType", "name", *IFI_KEYS})
GROUP_KEYS = AGENT_KEYS | {"member"}
ACCOUNT_KEYS = frozenset({"homePage", "name"})
_ACCOUNT_REQUIRED = ("homePage", "name")


def validate_actor(obj: object, *, path: str = "actor") -> str:
    """Check an Agent or a Group (anonymous or identified); return its objectType."""
    if not isinstance(obj, dict):
        fail_type(obj, path, "an Agent or Group object")
    object_type = obj.get("objectType", "Agent")
    if object_type == "Agent":
        check_agent(obj, path)
    elif object_type == "Group":
        check_group(obj, path)
    else:
        got = shown(object_type)
        fail(f"{path}.objectType", f"must be 'Agent' or 'Group', got {got}")
    return object_type


def validate_agent(
    obj: object, *, path: str = "agent", allow_group: bool = False
) -> None:
    """Check an Agent; with ``allow_group`` an identified Group is accepted too."""
    if allow_group:
        if validate_actor(obj, path=path) == "Group" and count_ifis(obj) == 0:  # type: ignore[arg-type]
            fail(
                path, "must be an Agent or an identified Group, not an anonymous Group"
            )
        return
    if not isinstance(obj, dict):
        fail_type(obj, path, "an Agent object")
    if obj.get("objectType", "Agent") != "Agent":
        fail(f"{path}.objectType", f"must be 'Agent', got {shown(obj['objectType'])}")
    check_agent(obj, path)


def validate_group(obj: object, *, path: str = "group") -> None:
    """Check a Group, which must say ``"objectType": "Group"``."""
    if not isinstance(obj, dict):
        fail_type(obj, path, "a Group object")
    if "objectType" not in obj:
        fail(f"{path}.objectType", "is required and must be 'Group'")
    if obj["objectType"] != "Group":
        fail(f"{path}.objectType", f"must be 'Group', got {shown(obj['objectType'])}")
    check_group(obj, path)


def check_agent(agent: dict[str, Any], path: str) -> None:
    """Check an Agent object whose objectType is absent or 'Agent'."""
    if not agent.keys() <= AGENT_KEYS:
        fail_unknown_key(agent, AGENT_KEYS, path)
    if "name" in agent:
        check_str(agent["name"], path, "name")
    found = check_ifis(agent, path)
    if found != 1:
        fail(path, _ifi_count_message("An Agent", found))


def check_group(group: dict[str, Any], path: str) -> int:
    """Check a Group object whose objectType is 'Group'; return its IFI count."""
    if not group.keys() <= GROUP_KEYS:
        fail_unknown_key(group, GROUP_KEYS, path)
    if "name" in group:
        check_str(group["name"], path, "name")
    found = check_ifis(group, path)
    if found > 1:
        fail(path, _ifi_count_message("An identified Group", found))
    if "member" in group:
        _check_members(group["member"], f"{path}.member", anonymous=found == 0)
    elif found == 0:
        fail(
            f"{path}.member", "is required for an anonymous Group (one without an IFI)"
        )
    return found


def _check_members(value: object, path: str, *, anonymous: bool) -> None:
    """Check a Group's member list: Agents only, non-empty for anonymous Groups."""
    members = require_array(value, path)
    if anonymous and not members:
        fail(path, "an anonymous Group must list at least one member Agent")
    for index, member in enumerate(members):
        item_path = f"{path}[{index}]"
        if not isinstance(member, dict):
            fail_type(member, item_path, "an Agent object")
        if member.get("objectType", "Agent") != "Agent":
            fail(f"{item_path}.objectType", "Group members must be Agents")
        check_agent(member, item_path)


def check_ifis(actor: dict[str, Any], path: str) -> int:
    """Check every inverse functional identifier present; return how many there are."""
    found = 0
    if "mbox" in actor:
        check_formatted(actor["mbox"], is_mailto_iri, "a mailto IRI", path, "mbox")
        found += 1
    if "mbox_sha1sum" in actor:
        value = actor["mbox_sha1sum"]
        check_formatted(value, is_sha1_hex, "40 hex digits", path, "mbox_sha1sum")
        found += 1
    if "openid" in actor:
        check_formatted(actor["openid"], is_uri, "an absolute URI", path, "openid")
        found += 1
    if "account" in actor:
        validate_account(actor["account"], path=f"{path}.account")
        found += 1
    return found


def count_ifis(actor: dict[str, Any]) -> int:
    """Return how many inverse functional identifier properties ``actor`` has."""
    return sum(1 for key in IFI_KEYS if key in actor)


def validate_account(obj: object, *, path: str = "account") -> None:
    """Check an Account object: homePage IRL and name string (no NUL), both required."""
    if not isinstance(obj, dict):
        fail_type(obj, path, "an Account object")
    if not obj.keys() <= ACCOUNT_KEYS:
        fail_unknown_key(obj, ACCOUNT_KEYS, path)
    require_keys(obj, _ACCOUNT_REQUIRED, path)
    check_irl(obj["homePage"], path, "homePage")
    if "\x00" in check_str(obj["name"], path, "name"):
        # Agents are found by a key made of the name; SQL text cannot hold NUL.
        fail(f"{path}.name", "must not hold U+0000 (NUL)")


def _ifi_count_message(what: str, found: int) -> str:
    """Explain a wrong number of inverse functional identifiers."""
    return (
        f"{what} must have exactly one inverse functional identifier "
        f"(mbox, mbox_sha1sum, openid or account), found {found}"
    )
