"""Background jobs: claimed once, retried with backoff, mail sent once per key."""

import threading
from datetime import UTC, datetime, timedelta

import pytest

from lms.extensions import db
from lms.jobs import HANDLERS, backoff, claim, enqueue, handler, run_job, run_once
from lms.mail import queue_mail
from lms.models import Job, Mail

CALLS: list[dict] = []


@handler("test.record")
def _record(payload: dict) -> None:
    CALLS.append(payload)


@handler("test.fail")
def _fail(payload: dict) -> None:
    raise RuntimeError("receiver down")


@pytest.fixture(autouse=True)
def _clear_calls():
    CALLS.clear()


def test_a_job_runs_once_after_commit(app):
    enqueue("test.record", {"n": 1})
    db.session.commit()
    assert run_once("w1") == 1
    assert run_once("w1") == 0
    assert CALLS == [{"n": 1}]


def test_a_rolled_back_job_never_runs(app):
    enqueue("test.record", {"n": 1})
    db.session.rollback()
    assert run_once("w1") == 0


def test_unknown_kind_is_refused(app):
    with pytest.raises(KeyError):
        enqueue("no.such.kind", {})


def test_failure_backs_off_exponentially_and_keeps_the_error(app):
    job = enqueue("test.fail", {})
    db.session.commit()
    start = datetime.now(UTC)
    assert run_once("w1") == 1
    db.session.refresh(job)
    assert job.attempts == 1 and job.finished_at is None
    assert "receiver down" in job.last_error
    assert job.run_at >= start + backoff(1) - timedelta(seconds=1)
    assert backoff(3) == 4 * backoff(1)
    assert backoff(30) == timedelta(seconds=3600)
    assert run_once("w1") == 0  # not due yet


def test_a_job_gives_up_after_max_attempts(app):
    job = enqueue("test.fail", {})
    job.max_attempts = 2
    db.session.commit()
    for _ in range(2):
        claimed = claim("w1", now=datetime.now(UTC) + timedelta(days=1))
        run_job(claimed[0])
    db.session.refresh(job)
    assert job.failed is True and job.finished_at is not None


def test_an_expired_lease_is_claimed_again(app):
    job = enqueue("test.record", {"n": 2})
    db.session.commit()
    assert [j.id for j in claim("w1")] == [job.id]
    assert claim("w2") == []
    later = datetime.now(UTC) + timedelta(minutes=10)
    assert [j.id for j in claim("w2", now=later)] == [job.id]


def test_two_workers_never_claim_the_same_job(app):
    for n in range(40):
        enqueue("test.record", {"n": n})
    db.session.commit()
    won: dict[str, list[int]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        with app.app_context():
            empty = 0
            try:
                while empty < 3:  # the other worker may win a round
                    got = [job.id for job in claim(name, limit=3)]
                    won[name].extend(got)
                    empty = 0 if got else empty + 1
            except BaseException as error:  # surface thread failures in the test
                errors.append(error)
            db.session.remove()

    threads = [threading.Thread(target=work, args=(n,)) for n in won]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claimed = won["a"] + won["b"]
    assert errors == []
    assert len(claimed) == len(set(claimed)) == 40


def test_mail_goes_to_the_log_once_per_dedupe_key(app):
    assert (
        queue_mail("x@example.org", "Påmindelse", "Hej", dedupe_key="r:1") is not None
    )
    assert queue_mail("x@example.org", "Påmindelse", "Hej", dedupe_key="r:1") is None
    db.session.commit()
    run_once("w1")
    mails = db.session.execute(db.select(Mail)).scalars().all()
    assert len(mails) == 1 and mails[0].sent_at is not None
    from pathlib import Path

    log = (Path(app.instance_path) / "mail.log").read_text(encoding="utf-8")
    assert "Påmindelse" in log or "=?utf-8?" in log


def test_worker_command_runs_due_jobs(app, runner):
    enqueue("test.record", {"n": 3})
    db.session.commit()
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0 and "1 job(s) ran" in result.output
    assert CALLS == [{"n": 3}]
    assert "test.record" in HANDLERS
    assert db.session.execute(db.select(Job)).scalar_one().finished_at is not None
