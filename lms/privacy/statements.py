"""Erasure in the stored xAPI statements: names and free-text answers of the person.

Statements are otherwise immutable. Erasure is the one exception: it removes what
the person gave beside their pseudonymous account (a name, text they wrote), so
that what stays is an anonymous record of the same actor. The forwarding outbox
holds statement ids only and reads the payload when it sends, so a statement not
yet forwarded goes out scrubbed too. Statements that named the person by e-mail
are first re-identified by the account (lms.privacy.mailbox), so they are scrubbed
here like the rest.

Extension values (``result.extensions``, ``context.extensions``) stay: they are
defined by the profile whose IRI keys them, and our own profile puts only ids
there (e.g. a certificate's uuid), never text a person wrote. An outside client's
profile that carries free text in an extension is outside what we can interpret.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import select, update

from lms.extensions import db
from xapi.agents import agent_key, agents_in
from xapi.store.keys import index_key
from xapi.store.schema import statement_agents, statements

#: xAPI's delimiters in response patterns (Data 2.4.4.1.s9, s10, s13).
LIST, PAIR, RANGE = "[,]", "[.]", "[:]"
_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


@dataclass
class Scrubbed:
    """What scrubbing changed; ids only."""

    #: Statements changed, each counted once whatever was removed from it.
    seqs: set[int] = field(default_factory=set)
    #: context.registration of the statements that lost a response.
    registrations: set[str] = field(default_factory=set)

    @property
    def statements(self) -> int:
        """Return how many statements changed."""
        return len(self.seqs)


def scrub_statements(key: str) -> Scrubbed:
    """Remove names and free-text responses of the actor ``key``; caller commits."""
    connection = db.session.connection()
    seqs = select(statement_agents.c.seq).where(
        statement_agents.c.agent_key == index_key(key)
    )
    rows = connection.execute(
        select(statements.c.seq, statements.c.payload).where(statements.c.seq.in_(seqs))
    ).all()
    scrubbed = Scrubbed()
    for seq, payload in rows:
        statement = orjson.loads(payload)
        named = drop_names(statement, key)
        answered = drop_free_text(statement, key)
        if answered and isinstance(statement.get("context"), dict):
            registration = statement["context"].get("registration")
            if registration:
                scrubbed.registrations.add(registration)
        if named or answered:
            connection.execute(
                update(statements)
                .where(statements.c.seq == seq)
                .values(payload=orjson.dumps(statement).decode())
            )
            scrubbed.seqs.add(seq)
    return scrubbed


# --- Names ----------------------------------------------------------------------------


def drop_names(node: Any, key: str) -> bool:
    """Remove "name" from every Agent in the tree identified by ``key``.

    The LMS's own statements never carry a name (only the pseudonymous account),
    but an outside LRS client may send one beside the account.
    """
    found = False
    if isinstance(node, dict):
        if "name" in node and _is_account(node, key):
            del node["name"]
            found = True
        for value in node.values():
            found |= drop_names(value, key)
    elif isinstance(node, list):
        for value in node:
            found |= drop_names(value, key)
    return found


def _is_account(node: dict, key: str) -> bool:
    account = node.get("account")
    if not isinstance(account, dict):
        return False
    try:
        return agent_key(node) == key
    except (KeyError, TypeError):  # an extension's look-alike, not an Agent
        return False


# --- Free-text responses --------------------------------------------------------------


def drop_free_text(statement: dict, key: str) -> bool:
    """Remove ``result.response`` the person may have written in their own words.

    It applies to the statement when its actor is the person, and to a SubStatement
    object when the SubStatement's actor is the person; an actor is the person when
    it is their Agent or a Group with them among its members (text written as a
    group may hold theirs). The response stays only when it cannot hold free text:
    the object is an Activity whose definition has a structured interactionType
    (true-false, choice, sequencing, likert, matching, numeric) and the response
    has that type's form, made only of the component ids the definition declares
    (or "true"/"false", or numbers). fill-in, long-fill-in, other and performance
    (whose steps take text), an unknown type, a missing definition, a non-Activity
    object or a response of the wrong form: the response goes. An empty response
    holds nothing and stays.
    """
    found = False
    sub = statement.get("object")
    for holder in (statement, sub):
        if isinstance(holder, dict) and _acted_by(holder.get("actor"), key):
            found |= _drop_response(holder)
    return found


def _acted_by(actor: Any, key: str) -> bool:
    if not isinstance(actor, dict):
        return False
    return key in agents_in(actor)


def _drop_response(holder: dict) -> bool:
    result = holder.get("result")
    if not isinstance(result, dict) or "response" not in result:
        return False
    if keeps_response(holder.get("object"), result["response"]):
        return False
    del result["response"]
    return True


def keeps_response(activity: Any, response: Any) -> bool:
    """Return whether a response to this object is structured, not free text."""
    if response == "":
        return True
    if not isinstance(response, str) or not isinstance(activity, dict):
        return False
    if activity.get("objectType", "Activity") != "Activity":
        return False
    definition = activity.get("definition")
    if not isinstance(definition, dict):
        return False
    check = STRUCTURED.get(definition.get("interactionType"))
    return check is not None and check(response, definition)


def _ids(definition: dict, components: str) -> set[str]:
    return {
        component["id"]
        for component in definition.get(components) or ()
        if isinstance(component, dict) and isinstance(component.get("id"), str)
    }


def _true_false(response: str, definition: dict) -> bool:
    return response in ("true", "false")


def _listed(components: str) -> Callable[[str, dict], bool]:
    def check(response: str, definition: dict) -> bool:
        return set(response.split(LIST)) <= _ids(definition, components)

    return check


def _likert(response: str, definition: dict) -> bool:
    return response in _ids(definition, "scale")


def _matching(response: str, definition: dict) -> bool:
    sources, targets = _ids(definition, "source"), _ids(definition, "target")
    for pair in response.split(LIST):
        parts = pair.split(PAIR)
        if len(parts) != 2 or parts[0] not in sources or parts[1] not in targets:
            return False
    return True


def _numeric(response: str, definition: dict) -> bool:
    bounds = response.split(RANGE)
    if len(bounds) > 2 or not any(bounds):
        return False
    return all(not bound or _NUMBER.fullmatch(bound) for bound in bounds)


#: The structured interaction types, each with the check of a response's form.
STRUCTURED: dict[str, Callable[[str, dict], bool]] = {
    "true-false": _true_false,
    "choice": _listed("choices"),
    "sequencing": _listed("choices"),
    "likert": _likert,
    "matching": _matching,
    "numeric": _numeric,
}
