"""Canonical keys of Agents and Identified Groups, built from their IFI."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from xapi.formats import is_mapping

__all__ = ["agent_key", "agents_in", "mbox_key"]


def mbox_key(mbox: str) -> str:
    """Return a mailto IRI with its case-insensitive domain in lowercase."""
    local, at, domain = mbox.rpartition("@")
    return f"{local}{at}{domain.lower()}" if at else mbox


def agent_key(agent: Mapping) -> str | None:
    """Return the canonical IFI string of an Agent or Identified Group, else None.

    Data 2.4.2.3: an Inverse Functional Identifier "is guaranteed to only ever refer
    to that Agent or Identified Group"; an Anonymous Group has none.
    """
    if "mbox" in agent:
        return "mbox|" + mbox_key(agent["mbox"])
    if "mbox_sha1sum" in agent:
        return "mbox_sha1sum|" + agent["mbox_sha1sum"].lower()
    if "openid" in agent:
        return "openid|" + agent["openid"]
    account = agent.get("account")
    if is_mapping(account):
        return f"account|{account['homePage']}|{account['name']}"
    return None


def agents_in(agent: Mapping) -> Iterator[str]:
    """Yield the keys of an Agent or Group and of every identified member."""
    key = agent_key(agent)
    if key is not None:
        yield key
    for member in agent.get("member") or ():
        member_key = agent_key(member)
        if member_key is not None:
            yield member_key
