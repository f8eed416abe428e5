"""Group commit: concurrent statement requests share a transaction, keep their answers.

Communication 3.2.s3.b9: "The LRS MUST reject a batch of statements if any
Statement within that batch is rejected". A request is the batch a client sent: a
round that holds several requests must never let one request's fault reject
another's statements, nor let a request be half stored.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.lrs import grouping, write
from tests.lms.lrs.conftest import statement
from xapi.store.schema import statements as statement_rows

# --- The queue, without a database -------------------------------------------------


class Recorder:
    """A write function that records its batches; the first one waits to be let go.

    While the first round waits, the other requests queue up behind it, as they do
    behind a round that is writing.
    """

    def __init__(self, fail_on: set[str] = frozenset()) -> None:
        self.batches: list[list[str]] = []
        self.release = threading.Event()
        self.started = threading.Event()
        self.fail_on = fail_on
        self.lock = threading.Lock()

    def __call__(self, batch: list[dict]) -> list[str]:
        with self.lock:
            first = not self.batches
            self.batches.append([item["id"] for item in batch])
        if first:
            self.started.set()
            assert self.release.wait(10)
        bad = [item["id"] for item in batch if item["id"] in self.fail_on]
        if bad:
            raise ValueError(f"refused {bad[0]}")
        return [item["id"] for item in batch]


def _requests(count: int, per_request: int = 1) -> list[list[dict]]:
    return [
        [{"id": str(uuid.uuid4())} for _ in range(per_request)] for _ in range(count)
    ]


def _run(groups, requests, keys, write_function):
    """Send the first request, then the rest while its round writes."""
    answers: dict[int, object] = {}

    def send(index: int) -> None:
        try:
            answers[index] = groups.store(requests[index], keys[index], write_function)
        except Exception as error:  # noqa: BLE001 - the answer under test
            answers[index] = error

    first = threading.Thread(target=send, args=(0,))
    first.start()
    assert write_function.started.wait(10)
    others = [threading.Thread(target=send, args=(i,)) for i in range(1, len(requests))]
    for thread in others:
        thread.start()
    deadline = time.monotonic() + 10
    while len(groups._queue) < len(others) and time.monotonic() < deadline:
        time.sleep(0.005)
    write_function.release.set()
    for thread in [first, *others]:
        thread.join(10)
    return answers


def test_requests_queued_behind_a_round_share_the_next_one():
    groups, recorder = grouping.GroupCommit(), Recorder()
    requests = _requests(8, per_request=2)
    answers = _run(groups, requests, ["client"] * 8, recorder)
    for index, request in enumerate(requests):
        assert answers[index] == [item["id"] for item in request]
    # The first request alone, then the seven that waited, together.
    assert [len(batch) for batch in recorder.batches] == [2, 14]
    assert (groups.rounds, groups.requests) == (2, 8)


def test_a_fault_in_a_shared_round_is_answered_to_its_own_request_only():
    """The round is given up whole, and each request is stored again alone."""
    requests = _requests(6)
    bad = requests[3][0]["id"]
    groups, recorder = grouping.GroupCommit(), Recorder(fail_on={bad})
    answers = _run(groups, requests, ["client"] * 6, recorder)
    assert isinstance(answers[3], ValueError)
    for index in (0, 1, 2, 4, 5):
        assert answers[index] == [requests[index][0]["id"]]
    assert [bad] in recorder.batches  # tried alone, for its own answer
    shared = [batch for batch in recorder.batches if len(batch) > 1]
    assert shared and bad in shared[0]


def test_only_requests_of_the_same_client_share_a_round():
    groups, recorder = grouping.GroupCommit(), Recorder()
    requests = _requests(7)
    keys = ["a", "a", "b", "a", "b", "a", "b"]
    answers = _run(groups, requests, keys, recorder)
    for index, request in enumerate(requests):
        assert answers[index] == [request[0]["id"]]
    by_id = {r[0]["id"]: key for r, key in zip(requests, keys, strict=True)}
    for batch in recorder.batches:
        assert len({by_id[statement_id] for statement_id in batch}) == 1
    assert len(recorder.batches) == 3  # the first, the other a's, the b's


def test_requests_that_give_the_same_id_never_share_a_round():
    """Two requests with one id are two batches: together they would be one batch
    with a repeated id, which the LRS rejects (Communication 2.1.2 s2 b6)."""
    groups, recorder = grouping.GroupCommit(), Recorder()
    same = str(uuid.uuid4())
    requests = [[{"id": str(uuid.uuid4())}], [{"id": same}], [{"id": same}]]
    answers = _run(groups, requests, ["client"] * 3, recorder)
    assert answers[1] == answers[2] == [same]
    assert all(len(set(batch)) == len(batch) for batch in recorder.batches)
    assert len(recorder.batches) == 3


def _echo(batch: list[dict]) -> list[str]:
    return [item["id"] for item in batch]


def test_a_leader_waits_for_an_announced_request_to_join_its_round():
    """A request still being read is announced; the leader gives it a moment."""
    groups, batches = grouping.GroupCommit(gather=5.0), []

    def write_function(batch):
        batches.append(_echo(batch))
        return _echo(batch)

    first, second = _requests(2)
    announced, answers = threading.Event(), {}

    def late() -> None:
        with groups.expecting() as announcement:
            announced.set()
            time.sleep(0.2)  # still reading the request
            answers["late"] = groups.store(second, "c", write_function, announcement)

    thread = threading.Thread(target=late)
    thread.start()
    assert announced.wait(10)
    answers["leader"] = groups.store(first, "c", write_function)
    thread.join(10)
    assert answers == {"leader": _echo(first), "late": _echo(second)}
    assert batches == [_echo(first) + _echo(second)]


def test_a_request_alone_or_given_up_is_not_kept_waiting():
    """With nothing announced, or an announcement withdrawn (the request went
    elsewhere), the leader writes at once instead of waiting out the gather time."""
    groups = grouping.GroupCommit(gather=5.0)
    (alone,) = _requests(1)
    started = time.monotonic()
    assert groups.store(alone, "c", _echo) == _echo(alone)
    with groups.expecting():
        pass  # read, then left to another path
    (after,) = _requests(1)
    assert groups.store(after, "c", _echo) == _echo(after)
    assert time.monotonic() - started < 1
    assert groups._arriving == 0


def test_a_round_holds_at_most_the_round_limit(monkeypatch):
    monkeypatch.setattr(grouping, "ROUND_LIMIT", 5)
    groups, recorder = grouping.GroupCommit(), Recorder()
    requests = _requests(7, per_request=2)
    _run(groups, requests, ["client"] * 7, recorder)
    assert all(len(batch) <= 5 for batch in recorder.batches)
    assert sum(len(batch) for batch in recorder.batches) == 14


def test_a_request_that_waits_too_long_is_stored_alone():
    groups, recorder = grouping.GroupCommit(wait=0.05), Recorder()
    first, second = _requests(2)
    answers = {}
    leader = threading.Thread(
        target=lambda: answers.setdefault(0, groups.store(first, "k", recorder))
    )
    leader.start()
    assert recorder.started.wait(10)
    # The round never finishes in time, so the waiting request goes alone.
    answers[1] = groups.store(second, "k", recorder)
    recorder.release.set()
    leader.join(10)
    assert answers == {0: [first[0]["id"]], 1: [second[0]["id"]]}
    assert groups._queue == []


def test_a_request_that_repeats_an_id_is_stored_alone_for_its_own_error():
    groups = grouping.GroupCommit()
    same = str(uuid.uuid4())
    seen = []
    groups.store([{"id": same}, {"id": same.upper()}], "k", seen.append)
    assert seen == [[{"id": same}, {"id": same.upper()}]]
    assert groups.rounds == 0


def _store_in_thread(groups, request, write_function, parallel, key="k"):
    """Store a request from a thread; return the thread and where its answer goes."""
    answers: dict[str, object] = {}
    thread = threading.Thread(
        target=lambda: answers.setdefault(
            "answer", groups.store(request, key, write_function, parallel=parallel)
        )
    )
    thread.start()
    return thread, answers


def _hold_first_round(groups, recorder, request, parallel):
    """Start a round for ``request`` in a thread and hold it while it writes."""
    held = _store_in_thread(groups, request, recorder, parallel)
    assert recorder.started.wait(10)
    return held


def test_a_large_request_starts_a_second_round_while_one_writes():
    """With two parallel rounds, a request of PARALLEL_MIN statements or more is
    written at once beside a round that is still writing."""
    groups, recorder = grouping.GroupCommit(), Recorder()
    first, second = _requests(2, per_request=grouping.PARALLEL_MIN)
    held, answers = _hold_first_round(groups, recorder, first, parallel=2)
    assert groups.store(second, "k", _echo, parallel=2) == _echo(second)
    assert "first" not in answers  # still writing
    recorder.release.set()
    held.join(10)
    assert answers["answer"] == _echo(first)


def test_with_one_round_at_a_time_a_large_request_waits():
    groups, recorder = grouping.GroupCommit(), Recorder()
    first, second = _requests(2, per_request=grouping.PARALLEL_MIN)
    held, _answers = _hold_first_round(groups, recorder, first, parallel=1)
    waiting, answers = _store_in_thread(groups, second, recorder, parallel=1)
    waiting.join(0.3)
    assert waiting.is_alive() and answers == {}
    recorder.release.set()
    for thread in (held, waiting):
        thread.join(10)
    assert answers["answer"] == _echo(second)
    assert recorder.batches == [_echo(first), _echo(second)]


def test_small_requests_share_one_round_even_where_rounds_may_run_in_parallel():
    """A second transaction costs more than a few statements: small requests
    queue behind the writing round and share the next one."""
    groups, recorder = grouping.GroupCommit(), Recorder()
    requests = _requests(8, per_request=2)
    held, _answers = _hold_first_round(groups, recorder, requests[0], parallel=2)
    waiting = [
        _store_in_thread(groups, request, recorder, parallel=2)
        for request in requests[1:]
    ]
    deadline = time.monotonic() + 10
    while len(groups._queue) < 7 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert len(recorder.batches) == 1
    recorder.release.set()
    for thread, _ in [(held, None), *waiting]:
        thread.join(10)
    assert [len(batch) for batch in recorder.batches] == [2, 14]
    for request, (_thread, answers) in zip(requests[1:], waiting, strict=True):
        assert answers["answer"] == _echo(request)


def test_rounds_written_at_once_never_hold_the_same_id():
    """A request whose id a writing round holds waits for that round, even where
    another round may start: the two would race to store one id."""
    groups, recorder = grouping.GroupCommit(), Recorder()
    first, other = _requests(2, per_request=grouping.PARALLEL_MIN)
    again = [dict(item) for item in first]
    held, _answers = _hold_first_round(groups, recorder, first, parallel=2)
    waiting, answers = _store_in_thread(groups, again, recorder, parallel=2)
    waiting.join(0.3)
    assert waiting.is_alive() and answers == {}
    # A later request starts no round ahead of it, and waits too.
    behind, later = _store_in_thread(groups, other, recorder, parallel=2)
    behind.join(0.3)
    assert behind.is_alive() and later == {}
    recorder.release.set()
    for thread in (held, waiting, behind):
        thread.join(10)
    assert answers["answer"] == _echo(first)
    assert later["answer"] == _echo(other)
    # The repeated ids only after the held round; the later request beside them.
    assert recorder.batches[0] == _echo(first)
    assert sorted(recorder.batches[1:]) == sorted([_echo(first), _echo(other)])
    assert groups._writing == set() and groups._leaders == 0


def test_a_waiting_request_is_not_passed_by_later_large_ones():
    """Rounds start in the order requests came: a small request of another
    client, waiting for the writing round, leads the next one, and a large
    request that came after it starts a round beside it, not before it."""
    groups, recorder = grouping.GroupCommit(), Recorder()
    (first,) = _requests(1, per_request=grouping.PARALLEL_MIN)
    (small,) = _requests(1)
    large = _requests(2, per_request=grouping.PARALLEL_MIN)
    held, _answers = _hold_first_round(groups, recorder, first, parallel=2)
    waiting = []
    for queued, (request, key) in enumerate(
        [(small, "other client"), (large[0], "k"), (large[1], "k")], start=1
    ):
        # One after another, so they queue in this order.
        waiting.append(_store_in_thread(groups, request, recorder, 2, key=key))
        deadline = time.monotonic() + 10
        while len(groups._queue) < queued and time.monotonic() < deadline:
            time.sleep(0.005)
    assert len(recorder.batches) == 1  # none passed the small request
    recorder.release.set()
    held.join(10)
    for thread, _answer in waiting:
        thread.join(10)
    assert [answer["answer"] for _thread, answer in waiting] == [
        _echo(small),
        _echo(large[0]),
        _echo(large[1]),
    ]
    # Then the small request leads, alone (another client), and the large ones
    # lead beside it or join a round.
    assert _echo(small) in recorder.batches[1:]
    stored = [item for batch in recorder.batches[1:] for item in batch]
    assert sorted(stored) == sorted(_echo(small) + _echo(large[0]) + _echo(large[1]))
    assert groups._leaders == 0 and groups._queue == []


def test_parallel_rounds_are_one_on_sqlite_and_two_on_postgresql(app, monkeypatch):
    monkeypatch.setitem(app.config, "LRS_PARALLEL_ROUNDS", 0)
    sqlite = db.engine.dialect.name == "sqlite"
    assert write.parallel_rounds(app) == (1 if sqlite else 2)
    monkeypatch.setitem(app.config, "LRS_PARALLEL_ROUNDS", 3)
    assert write.parallel_rounds(app) == 3


# --- Through the endpoint, on SQLite and PostgreSQL --------------------------------


def _count() -> int:
    return db.session.execute(select(func.count()).select_from(statement_rows)).scalar()


@pytest.fixture
def slow_first_round(monkeypatch):
    """Once armed, hold the first round until the other requests queue behind it."""
    original = write._store
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []
    armed = threading.Event()

    def held(*args, **kwargs):
        if armed.is_set():
            calls.append(len(args[0]))
            if len(calls) == 1:
                started.set()
                assert release.wait(20)
        return original(*args, **kwargs)

    monkeypatch.setattr(write, "_store", held)
    monkeypatch.setattr(write, "GROUPS", grouping.GroupCommit())
    return started, release, calls, armed


def _sender(app, headers, bodies, answers):
    """Return a function that POSTs ``bodies[index]`` and keeps (status, JSON) in
    ``answers[index]``."""

    def send(index: int) -> None:
        response = app.test_client().post(
            "/xapi/statements", json=bodies[index], headers=headers
        )
        answers[index] = (response.status_code, response.get_json())

    return send


def _post_together(app, headers, bodies, slow_first_round, queued=None, early=None):
    """POST the bodies at once, the first one's round held until the others (or
    ``queued`` of them) wait in the queue; ``early`` gets the answers given while
    the round was held."""
    started, release, _calls, armed = slow_first_round
    queued = len(bodies) - 1 if queued is None else queued
    armed.set()
    answers: dict[int, object] = {}
    send = _sender(app, headers, bodies, answers)
    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    threads[0].start()
    assert started.wait(20)
    for thread in threads[1:]:
        thread.start()
    deadline = time.monotonic() + 20
    while len(write.GROUPS._queue) < queued and time.monotonic() < deadline:
        time.sleep(0.005)
    if early is not None:
        while len(answers) < len(bodies) - 1 - queued and time.monotonic() < deadline:
            time.sleep(0.005)
        early.update(answers)
    release.set()
    for thread in threads:
        thread.join(30)
    return answers


def test_concurrent_posts_are_stored_once_each_with_their_own_ids(
    app, lrs, slow_first_round
):
    bodies = [statement(id=str(uuid.uuid4())) for _ in range(6)]
    bodies.append([statement(), statement()])  # ids given by the LRS
    answers = _post_together(app, lrs, bodies, slow_first_round)
    for index, body in enumerate(bodies[:6]):
        assert answers[index] == (200, [body["id"]])
    status, ids = answers[6]
    assert status == 200 and len(ids) == 2 and len(set(ids)) == 2
    assert _count() == 8
    assert slow_first_round[2][:2] == [1, 7]  # one alone, then the rest together
    assert write.GROUPS.rounds == 2


def test_a_conflict_in_a_round_is_the_conflicting_requests_alone(
    app, lrs, slow_first_round
):
    """Communication 2.1.2 s2 b4: a different statement under a stored id is 409;
    the requests that shared its round are stored as if it had not been there."""
    taken = statement(id=str(uuid.uuid4()))
    response = app.test_client().post("/xapi/statements", json=taken, headers=lrs)
    assert response.status_code == 200
    conflicting = statement(id=taken["id"], verb={"id": "http://example.org/other"})
    bodies = [statement(id=str(uuid.uuid4())) for _ in range(3)]
    bodies.insert(2, conflicting)
    answers = _post_together(app, lrs, bodies, slow_first_round)
    assert answers[2][0] == 409
    assert "already stored" in answers[2][1]["error"]
    for index in (0, 1, 3):
        assert answers[index] == (200, [bodies[index]["id"]])
    assert _count() == 4


def test_an_invalid_statement_is_refused_before_it_joins_a_round(
    app, lrs, slow_first_round
):
    """A request validates its statements in its own thread: an invalid one is
    answered, naming its property, while the round ahead is still held, and never
    joins a round; the others are stored."""
    bodies = [statement(id=str(uuid.uuid4())) for _ in range(3)]
    bodies.append(statement(verb={"id": "not an iri"}))
    early: dict[int, object] = {}
    answers = _post_together(app, lrs, bodies, slow_first_round, queued=2, early=early)
    assert list(early) == [3]
    assert answers[3][0] == 400
    assert answers[3][1]["error"].startswith("statement.verb.id")
    for index in range(3):
        assert answers[index] == (200, [bodies[index]["id"]])
    assert slow_first_round[2] == [1, 2]  # the held round, then the two queued
    assert _count() == 3


def test_a_request_that_joins_a_round_enters_no_app_context(app, lrs, slow_first_round):
    """Only the requests that write push an app context (and open a session);
    those that join another's round only wait (lms.lrs.write.store_in)."""
    from flask import appcontext_pushed

    bodies = [statement(id=str(uuid.uuid4())) for _ in range(6)]
    pushed: list[object] = []

    def count(sender, **_extra) -> None:
        pushed.append(sender)

    with appcontext_pushed.connected_to(count, app):
        answers = _post_together(app, lrs, bodies, slow_first_round)
    assert all(status == 200 for status, _ids in answers.values())
    assert write.GROUPS.rounds == 2
    # The two rounds' leaders, and at most one refresh of Consistent-Through.
    assert 2 <= len(pushed) <= 3


def test_large_posts_write_side_by_side_on_postgresql_and_in_turn_on_sqlite(
    app, lrs, slow_first_round
):
    """While one large POST's round is held, another large POST is stored at once
    on PostgreSQL (a second round); on SQLite, with one writer, it waits."""
    started, release, calls, armed = slow_first_round
    size = grouping.PARALLEL_MIN
    bodies = [[statement(id=str(uuid.uuid4())) for _ in range(size)] for _ in range(2)]
    armed.set()
    answers: dict[int, object] = {}
    send = _sender(app, lrs, bodies, answers)
    first = threading.Thread(target=send, args=(0,))
    first.start()
    assert started.wait(20)
    second = threading.Thread(target=send, args=(1,))
    second.start()
    parallel = write.parallel_rounds(app) > 1
    assert parallel == (db.engine.dialect.name == "postgresql")
    second.join(20 if parallel else 0.5)  # on SQLite it waits for the held round
    assert (1 in answers) == parallel
    release.set()
    for thread in (first, second):
        thread.join(30)
    for index, body in enumerate(bodies):
        assert answers[index] == (200, [item["id"] for item in body])
    assert calls == [size, size]
    assert _count() == 2 * size
