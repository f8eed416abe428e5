"""Group commit: concurrent statement requests of one process share a transaction.

A request joins a queue. The first in the queue leads: it takes every waiting
request of the same client (up to ROUND_LIMIT statements), stores them as one
batch in its own transaction, hands each request its ids and passes the lead to
the next in the queue. While one round writes, the next one gathers, so under load
the fixed cost of a transaction (about ten SQL statements, the commit, SQLite's
single writer) is shared, and with no load a request is a round of its own.

On PostgreSQL several rounds may write at once (``parallel``): one round's
Python work then runs while another's waits for the database, in one process,
whatever way the clients' connections fall across processes. Two rounds writing
at once never hold the same statement id.

A request still being read (announced with ``expecting()``) is worth a moment's
wait: a leader waits up to GATHER seconds for announced requests to join before it
takes its round. A request alone in the process is never kept waiting.

Each request keeps its own answer: when a round of several fails (an id stored
with other content, a database error), nothing of it is kept and every request
in it is stored again alone, to get its own result or error. A round is one
transaction, so a crash keeps all of it or none. (The LRS validates a request's
statements before it queues, so an invalid one never joins a round.)
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field

#: Statements one round may hold; a larger request is stored alone.
ROUND_LIMIT = 500
#: Statements a request needs to start a round while another one writes: smaller
#: requests are cheaper to store together, in one round after another.
PARALLEL_MIN = 50
#: Seconds a leader waits at most for announced requests to join its round.
GATHER = 0.002


@dataclass(eq=False)
class Announcement:
    """A request that is being read and will probably be stored soon."""

    joined: bool = False


@dataclass(eq=False)
class _Request:
    statements: list
    key: Hashable
    ids: frozenset[str]
    done: threading.Event = field(default_factory=threading.Event)
    taken: bool = False
    lead: bool = False
    alone: bool = False
    result: list[str] | None = None


class GroupCommit:
    """One queue of statement requests per process."""

    def __init__(self, wait: float = 30.0, gather: float = GATHER) -> None:
        #: How long a queued request waits for a round before it is stored alone.
        self.wait = wait
        self.gather = gather
        self._lock = threading.Lock()
        self._queue: list[_Request] = []
        #: Rounds leading now (gathering or writing), and the ids they hold.
        self._leaders = 0
        self._writing: set[str] = set()
        #: Requests announced and not yet queued (or given up).
        self._arriving = 0
        #: Rounds run and requests stored in them (for tests and diagnostics).
        self.rounds = 0
        self.requests = 0

    @contextlib.contextmanager
    def expecting(self) -> Iterator[Announcement]:
        """Announce a request while it is read; pass the announcement to store()."""
        announcement = Announcement()
        with self._lock:
            self._arriving += 1
        try:
            yield announcement
        finally:
            with self._lock:
                self._arrived(announcement)

    def _arrived(self, announcement: Announcement | None) -> None:
        """Count an announced request as arrived, once; hold the lock."""
        if announcement is not None and not announcement.joined:
            announcement.joined = True
            self._arriving -= 1

    def store(
        self,
        statements: list,
        key: Hashable,
        write: Callable[[list], list[str]],
        announcement: Announcement | None = None,
        parallel: int = 1,
    ) -> list[str]:
        """Store a request's statements; return its ids in order.

        Only requests with equal ``key`` (the app, the client's authority, the
        version and the scope) share a round. ``write`` stores one batch in one
        transaction, returns the ids in order, and leaves nothing behind when it
        raises. ``parallel`` is how many rounds may write at once.
        """
        ids = _client_ids(statements)
        if ids is None:
            return write(statements)  # ids repeated inside the request: its own error
        request = _Request(statements, key, ids)
        with self._lock:
            self._arrived(announcement)
            self._queue.append(request)
            if self._may_lead(request, self._leaders, parallel):
                self._make_leader(request)
        if not request.lead:
            self._await(request)
            if request.alone:
                return write(statements)
            if not request.lead:
                assert request.result is not None
                return request.result
        return self._lead(request, write, parallel)

    def _await(self, request: _Request) -> None:
        """Wait until the request leads, is answered, or is sent off alone."""
        if request.done.wait(self.wait):
            return
        with self._lock:
            if not request.taken and not request.lead:
                self._queue.remove(request)
                request.alone = True
                return
        request.done.wait()  # its round is writing: its answer is on the way

    def _lead(
        self, request: _Request, write: Callable[[list], list[str]], parallel: int
    ) -> list[str]:
        self._gather()
        with self._lock:
            members = self._take(request)
        try:
            return self._run(request, members, write)
        finally:
            with self._lock:
                for member in members:
                    self._writing -= member.ids
                self._pass_lead(parallel)

    def _may_lead(self, request: _Request, others: int, parallel: int) -> bool:
        """Return whether a request may start a round beside ``others`` leading.

        Beside another round only a large request may, and only the one that
        has waited longest, so that requests start rounds in the order they
        came and none waits behind a stream of others.
        """
        if others >= parallel or request.ids & self._writing:
            return False
        if others == 0:
            return True
        return len(request.statements) >= PARALLEL_MIN and self._first() is request

    def _first(self) -> _Request | None:
        """Return the request that has waited longest for a round."""
        return next((queued for queued in self._queue if not queued.lead), None)

    def _pass_lead(self, parallel: int) -> None:
        """Let waiting requests lead in the finished round's place, first come
        first; hold the lock."""
        self._leaders -= 1
        while (first := self._first()) is not None and self._may_lead(
            first, self._leaders, parallel
        ):
            self._make_leader(first)
            first.done.set()

    def _make_leader(self, request: _Request) -> None:
        """Count the request as a round's leader, holding its ids; hold the lock."""
        self._leaders += 1
        request.lead = True
        self._writing |= request.ids

    def _gather(self) -> None:
        """Wait a moment while announced requests are still on their way."""
        deadline = time.monotonic() + self.gather
        while self._arriving and len(self._queue) < ROUND_LIMIT:
            if time.monotonic() >= deadline:
                return
            time.sleep(0.0001)

    def _take(self, leader: _Request) -> list[_Request]:
        """Take the leader and the queued requests that fit in its round.

        A request that another round leads, or whose ids a round holds, waits.
        """
        members, size = [leader], len(leader.statements)
        for queued in self._queue:
            if queued.lead or queued.key != leader.key or queued.ids & self._writing:
                continue
            if size + len(queued.statements) > ROUND_LIMIT:
                break
            members.append(queued)
            self._writing |= queued.ids
            size += len(queued.statements)
        for member in members:
            self._queue.remove(member)
            member.taken = True
        self.rounds += 1
        self.requests += len(members)
        return members

    def _run(
        self,
        leader: _Request,
        members: list[_Request],
        write: Callable[[list], list[str]],
    ) -> list[str]:
        """Write one round; answer the followers; return the leader's ids."""
        if len(members) == 1:
            return write(leader.statements)
        batch = [statement for member in members for statement in member.statements]
        try:
            ids = write(batch)
        except BaseException:
            for member in members:
                if member is not leader:
                    member.alone = True
                    member.done.set()
            return write(leader.statements)
        position = 0
        for member in members:
            count = len(member.statements)
            member.result = ids[position : position + count]
            position += count
            if member is not leader:
                member.done.set()
        assert leader.result is not None
        return leader.result


def _client_ids(statements: list) -> frozenset[str] | None:
    """Return the ids the request gives, lowercased; None if one repeats."""
    given = [
        str(item["id"]).lower()
        for item in statements
        if isinstance(item, dict) and item.get("id") is not None
    ]
    found = frozenset(given)
    return found if len(found) == len(given) else None
