"""The combined Person object of the Agents resource (Communication 2.4)."""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from sqlalchemy import Connection, select

from xapi.agents import agent_key
from xapi.store.schema import direct_only, statement_agents, statements

#: Newest statements about an Agent that are read for the names it went by.
NAME_SOURCES = 25
#: Names listed at most.
MAX_NAMES = 10
_IFIS = ("mbox", "mbox_sha1sum", "openid", "account")


def person(conn: Connection, agent: Mapping, *, own_home_page: str) -> dict:
    """Return the Person object: the Agent's identifier and the names it went by.

    Communication 2.4.s3.b3: the LRS "MUST still return a Person Object when
    queried, but that Person Object will only include the information associated
    with the requested Agent". Our own learners' accounts (on ``own_home_page``) are
    pseudonymous by design, so no name is ever returned for them.
    """
    found: dict = {"objectType": "Person"}
    own = _is_own(agent, own_home_page)
    names = [] if own else _names(conn, agent)
    if names:
        found["name"] = names
    for ifi in _IFIS:
        if ifi in agent:
            value = agent[ifi]
            found[ifi] = [dict(value) if isinstance(value, Mapping) else value]
    return found


def _is_own(agent: Mapping, own_home_page: str) -> bool:
    """Return whether the Agent is an account of this LMS."""
    account = agent.get("account")
    if not isinstance(account, Mapping):
        return False
    home = str(account.get("homePage", ""))
    return home.rstrip("/") == own_home_page.rstrip("/")


def _names(conn: Connection, agent: Mapping) -> list[str]:
    """Return the names given with this Agent: the request's, then stored ones."""
    key = agent_key(agent)
    names = [agent["name"]] if isinstance(agent.get("name"), str) else []
    rows = conn.execute(
        select(statements.c.payload)
        .join(statement_agents, statement_agents.c.seq == statements.c.seq)
        .where(statement_agents.c.agent_key == key, direct_only(statement_agents))
        .order_by(statement_agents.c.stored_us.desc(), statement_agents.c.seq.desc())
        .limit(NAME_SOURCES)
    )
    for (payload,) in rows:
        statement = orjson.loads(payload)
        for mentioned in (statement.get("actor"), statement.get("object")):
            if (
                isinstance(mentioned, Mapping)
                and isinstance(mentioned.get("name"), str)
                and agent_key(mentioned) == key
            ):
                names.append(mentioned["name"])
    return list(dict.fromkeys(names))[:MAX_NAMES]
