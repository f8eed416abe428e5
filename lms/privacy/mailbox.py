"""Erasure of the person's e-mail where outside LRS clients identified them by it.

The LMS's own statements name a person only by their pseudonymous account
(homePage = the LMS base URL, name = their uuid). An outside LRS client may name the
same person by e-mail instead: an Agent with "mbox" ``mailto:<e-mail>``, or with
"mbox_sha1sum", the SHA-1 of that IRI (which a guess of the address reverses).
Erasure keeps the statements only as anonymous records of the pseudonymous actor,
so before the account's e-mail is blanked it re-identifies them:

- Statements. Every Agent identified by the person's mailbox wherever a statement
  identifies someone (the actor, an Agent or Group object, context instructor and
  team, the same inside a SubStatement, and the members of any of these Groups) is
  replaced by the pseudonymous account Agent, without a name. An Identified Group
  whose own identifier is the mailbox keeps its members and is identified by the
  account instead. The authority is left alone: the LRS stamps it from the
  client's credentials (xapi.store.enrich overwrites whatever a client sends), so it
  is an LRS client's or the LMS's own account, never a person's mailbox.
- The store's indexes follow: the row's actor_key and object_key, and every posting
  of a mailbox key becomes a posting of the account key, including the postings a
  statement inherits from its target through a StatementRef (Communication 2.1.3
  s3), so GET /statements?agent=<account> finds these statements and
  ?agent=<mailbox> no longer does. A statement that already had a posting for the
  account keeps one row, direct if either was direct, as the store merges them.
  A referring statement whose own payload holds no mailbox keeps its payload; only
  its inherited postings move. Only statements whose payload changed are counted.
- Documents. State and Agent Profile documents stored under the mailbox go, as
  those under the account do.

The person's mailbox: the LMS holds e-mails in lower case and knows a person by
their e-mail in any case (lms.operations.accounts.normalise_email), so an mbox
matches in any letter case (on SQLite, whose lower() folds ASCII only, in any ASCII
case); agent_key already lowercases the domain. An mbox_sha1sum matches the SHA-1 of
``mailto:`` and the address as held: a hash of a differently cased address cannot
be recognised.

A statement whose actor was the mailbox is now the account's, and counts for the
enrolment it names like any of the account's (lms.privacy.operations folds those
again). Statements already forwarded to an external LRS went out with the e-mail:
only that store can erase them.

Extensions, attachments and other free values are not searched for the address (see
lms.privacy.statements). Finding case variants reads the whole agent posting list:
erasure is rare, and an index on lower(agent_key) would serve only it.
"""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import and_, bindparam, delete, func, or_, select, update

from lms.extensions import db
from xapi.agents import agent_key, mbox_key
from xapi.documents.schema import agent_profiles, states
from xapi.store.keys import index_key, object_key
from xapi.store.save import upsert_postings
from xapi.store.schema import statement_agents, statements

# Seqs per "IN (...)" list: well under SQLite's bound-parameter limit.
_CHUNK = 5000


@dataclass(frozen=True)
class Mailbox:
    """The agent keys under which an outside client may have named the person."""

    #: "mbox|mailto:<e-mail>" in lower case; matched in any case.
    mbox: str
    #: "mbox_sha1sum|<SHA-1 hex of mailto:<e-mail>>"; matched exactly.
    sha1: str

    @classmethod
    def of(cls, email: str) -> "Mailbox":
        """Return the mailbox keys of an e-mail address as the LMS holds it."""
        iri = f"mailto:{email}"
        digest = hashlib.sha1(iri.encode()).hexdigest()
        return cls(mbox=f"mbox|{mbox_key(iri)}".lower(), sha1=f"mbox_sha1sum|{digest}")

    def where(self, column):
        """Return the SQL condition that a key column holds this mailbox."""
        exact = {self.sha1, index_key(self.sha1), index_key(self.mbox)}
        return or_(column.in_(sorted(exact)), func.lower(column) == self.mbox)


@dataclass
class Adopted:
    """What re-identifying changed; ids only."""

    #: Statements whose payload changed.
    seqs: set[int] = field(default_factory=set)
    #: context.registration of statements whose actor is now the account.
    registrations: set[str] = field(default_factory=set)


def adopt_statements(email: str, account: dict) -> Adopted:
    """Re-identify statements naming ``email`` by the ``account`` Agent; caller commits.

    See the module's docstring for the rule.
    """
    connection = db.session.connection()
    mailbox = Mailbox.of(email)
    postings = connection.execute(
        select(statement_agents).where(mailbox.where(statement_agents.c.agent_key))
    ).all()
    adopted = Adopted()
    if not postings:
        return adopted
    # The keys the query matched decide which Agents are the person's, so that the
    # payloads and the postings follow one rule.
    keys = {row.agent_key for row in postings}
    seqs = sorted({row.seq for row in postings})
    for start in range(0, len(seqs), _CHUNK):
        rows = connection.execute(
            select(statements.c.seq, statements.c.payload).where(
                statements.c.seq.in_(seqs[start : start + _CHUNK])
            )
        ).all()
        for seq, payload in rows:
            statement = orjson.loads(payload)
            actor_before = _key(statement.get("actor"))
            if not reidentify(statement, keys, account):
                continue
            connection.execute(
                update(statements)
                .where(statements.c.seq == seq)
                .values(
                    payload=orjson.dumps(statement).decode(),
                    actor_key=agent_key(statement["actor"]),
                    object_key=object_key(statement["object"]),
                )
            )
            adopted.seqs.add(seq)
            registration = (statement.get("context") or {}).get("registration")
            if registration and _key(statement["actor"]) != actor_before:
                adopted.registrations.add(registration.lower())
    _move_postings(postings, index_key(str(agent_key(account))))
    return adopted


def _move_postings(postings: list, key: str) -> None:
    """Replace the mailbox postings by postings of ``key``; a direct value wins."""
    connection = db.session.connection()
    merged: dict[tuple[int, int], bool] = {}
    for row in postings:
        place = (row.stored_us, row.seq)
        merged[place] = merged.get(place, True) and row.related
    upsert_postings(
        connection,
        {"agents": [(key, us, seq, related) for (us, seq), related in merged.items()]},
    )
    # The rows read, not every row of the key: one a client stores meanwhile is
    # not rewritten here, so it keeps its posting.
    connection.execute(
        delete(statement_agents).where(
            and_(
                statement_agents.c.agent_key == bindparam("old_key"),
                statement_agents.c.related == bindparam("old_related"),
                statement_agents.c.stored_us == bindparam("old_us"),
                statement_agents.c.seq == bindparam("old_seq"),
            )
        ),
        [
            {
                "old_key": row.agent_key,
                "old_related": row.related,
                "old_us": row.stored_us,
                "old_seq": row.seq,
            }
            for row in postings
        ],
    )


def reidentify(statement: dict, keys: set[str], account: dict) -> bool:
    """Replace every Agent of the statement whose key is in ``keys`` by ``account``.

    ``keys`` are agent keys as the posting lists hold them (xapi.store.keys.index_key).
    Returns whether anything changed; the authority is not looked at.
    """
    changed = False
    for holder, name in _agent_places(statement):
        node = holder.get(name)
        if not isinstance(node, dict):
            continue
        members = node.get("member")
        if isinstance(members, list):
            for index, member in enumerate(members):
                if _key(member) in keys:
                    members[index] = _account_agent(account)
                    changed = True
        if _key(node) in keys:
            holder[name] = _replacement(node, account)
            changed = True
    return changed


def _agent_places(statement: dict) -> Iterator[tuple[dict, str]]:
    """Yield (holder, property) of every place an Agent or Group identifies someone."""
    yield from _places_in(statement)
    sub = statement.get("object")
    if isinstance(sub, dict) and sub.get("objectType") == "SubStatement":
        yield from _places_in(sub)


def _places_in(holder: dict) -> Iterator[tuple[dict, str]]:
    """Yield the actor, an Agent or Group object, the context's instructor and team."""
    yield holder, "actor"
    obj = holder.get("object")
    if isinstance(obj, dict) and obj.get("objectType") in ("Agent", "Group"):
        yield holder, "object"
    context = holder.get("context")
    if isinstance(context, dict):
        yield context, "instructor"
        yield context, "team"


def _key(node: Any) -> str | None:
    """Return the posting key of an Agent or Group, None without one or if malformed."""
    if not isinstance(node, dict):
        return None
    try:
        key = agent_key(node)
    except (KeyError, TypeError, AttributeError):
        return None
    return None if key is None else index_key(key)


def _account_agent(account: dict) -> dict:
    return {"objectType": "Agent", "account": dict(account["account"])}


def _replacement(node: dict, account: dict) -> dict:
    """Return the account Agent, or for a Group the same members under the account."""
    if node.get("objectType") == "Group":
        group = {"objectType": "Group", "account": dict(account["account"])}
        if "member" in node:
            group["member"] = node["member"]
        return group
    return _account_agent(account)


# --- Documents ------------------------------------------------------------------------


def erase_documents(email: str) -> int:
    """Delete State and Agent Profile documents stored under the person's mailbox."""
    mailbox = Mailbox.of(email)
    connection = db.session.connection()
    return sum(
        connection.execute(
            delete(table).where(mailbox.where(table.c.agent_key))
        ).rowcount
        for table in (states, agent_profiles)
    )
