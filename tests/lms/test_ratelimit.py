"""The database rate-limit storage: counts, windows, expiry, cleanup, processes."""

import json
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from limits import RateLimitItemPerMinute, RateLimitItemPerSecond, parse
from limits.storage import storage_from_string
from limits.strategies import (
    FixedWindowRateLimiter,
    MovingWindowRateLimiter,
    SlidingWindowCounterRateLimiter,
)
from sqlalchemy import func, select

from lms import ratelimit
from lms.extensions import db, limiter
from lms.models import rate_limit_counters, rate_limit_entries
from lms.ratelimit import DatabaseStorage

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("LMS_TEST_REDIS_URL", "redis://127.0.0.1:6379")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(ratelimit, "_now", clock)
    return clock


@pytest.fixture
def storage(app):
    return DatabaseStorage("database://")


def _rows(table) -> int:
    return db.session.execute(select(func.count()).select_from(table)).scalar_one()


def test_the_scheme_is_registered_and_the_app_default(app):
    assert isinstance(storage_from_string("database://"), DatabaseStorage)
    assert app.config["RATELIMIT_STORAGE_URI"] == "database://"
    assert isinstance(limiter.storage, DatabaseStorage)


def test_incr_counts_and_a_new_window_starts_afresh(storage, clock):
    assert storage.get("k") == 0
    assert storage.incr("k", 60) == 1
    assert storage.incr("k", 60, amount=2) == 3
    assert storage.get("k") == 3
    assert storage.get_expiry("k") == pytest.approx(clock.now + 60)
    clock.now += 30
    assert storage.incr("k", 60) == 4  # same window: its end does not move
    assert storage.get_expiry("k") == pytest.approx(clock.now + 30)
    clock.now += 31
    assert storage.get("k") == 0
    assert storage.get_expiry("k") == pytest.approx(clock.now)
    assert storage.incr("k", 60) == 1


def test_decr_clear_reset_and_check(storage, clock):
    storage.incr("a", 60, amount=3)
    assert storage.decr("a") == 2
    assert storage.decr("a", 5) == 0
    storage.incr("b", 60)
    storage.clear("b")
    assert storage.get("b") == 0
    storage.incr("c", 60)
    assert storage.reset() >= 2
    assert storage.get("a") == storage.get("c") == 0
    assert storage.check() is True


def test_long_keys_are_stored_as_a_digest(storage, clock):
    key = "x" * 1000
    assert storage.incr(key, 60) == 1
    assert storage.incr(key, 60) == 2
    assert storage.incr("x" * 999 + "y", 60) == 1
    stored = db.session.execute(select(rate_limit_counters.c.key)).scalars().all()
    assert all(len(k) <= 255 for k in stored)


def test_fixed_window_strategy(storage, clock):
    limiter_ = FixedWindowRateLimiter(storage)
    item = parse("3/minute")
    assert [limiter_.hit(item, "ip") for _ in range(4)] == [True, True, True, False]
    assert limiter_.test(item, "other")
    assert limiter_.get_window_stats(item, "ip").remaining == 0
    clock.now += 61
    assert limiter_.hit(item, "ip")


def test_moving_window_strategy(storage, clock):
    limiter_ = MovingWindowRateLimiter(storage)
    item = RateLimitItemPerSecond(2, 10)
    start = clock.now
    assert limiter_.hit(item, "ip")
    clock.now = start + 5
    assert limiter_.hit(item, "ip")
    clock.now = start + 6
    assert not limiter_.hit(item, "ip")
    assert not limiter_.test(item, "ip")
    stats = limiter_.get_window_stats(item, "ip")
    assert stats.remaining == 0
    assert stats.reset_time == pytest.approx(start + 10)
    clock.now = start + 10.5  # the first hit has left the window
    assert limiter_.hit(item, "ip")
    assert not limiter_.hit(item, "ip")
    assert not storage.acquire_entry("big", limit=2, expiry=10, amount=3)


def test_sliding_window_counter_strategy(storage, clock):
    limiter_ = SlidingWindowCounterRateLimiter(storage)
    item = RateLimitItemPerMinute(4)
    clock.now = 1_800_000_000.0 - (1_800_000_000.0 % 60)  # start of a window
    assert all(limiter_.hit(item, "ip") for _ in range(4))
    assert not limiter_.hit(item, "ip")
    clock.now += 90  # half of the previous window still weighs: 4 * 0.5 = 2
    assert limiter_.hit(item, "ip")
    assert limiter_.hit(item, "ip")
    assert not limiter_.hit(item, "ip")
    limiter_.clear(item, "ip")
    assert limiter_.test(item, "ip")


def test_ended_rows_are_cleaned_up(storage, clock):
    storage.cleanup_interval = 30
    storage.incr("short", 10)
    storage.acquire_entry("moving", limit=5, expiry=10)
    storage.incr("long", 600)
    assert _rows(rate_limit_counters) == 2
    assert _rows(rate_limit_entries) == 1
    clock.now += 20  # before the next cleanup is due: nothing is deleted yet
    storage.incr("other", 600)
    assert _rows(rate_limit_counters) == 3
    clock.now += 20  # due now: a write cleans up
    storage.incr("other", 600)
    keys = set(db.session.execute(select(rate_limit_counters.c.key)).scalars())
    assert keys == {"long", "other"}
    assert _rows(rate_limit_entries) == 0
    clock.now += 700
    assert storage.cleanup() == 2
    assert _rows(rate_limit_counters) == 0


def test_concurrent_increments_are_never_lost(app, storage):
    errors = []

    def work():
        try:
            with app.app_context():
                for _ in range(20):
                    storage.incr("shared", 60)
        except Exception as error:  # noqa: BLE001  (report it in the main thread)
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert storage.get("shared") == 80


def test_concurrent_moving_window_never_exceeds_the_limit(app, storage):
    granted = []

    def work():
        with app.app_context():
            for _ in range(10):
                granted.append(storage.acquire_entry("race", limit=15, expiry=60))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert granted.count(True) == 15


_OTHER_PROCESS = """
import json, os, sys
from lms import create_app
config = json.loads(os.environ["LMS_TEST_CONFIG"])
app = create_app(config)
client = app.test_client()
for _ in range(int(sys.argv[1])):
    response = client.post(
        "/login", data={"email": sys.argv[2], "password": "wrong-password-1"}
    )
    print(response.status_code)
"""


def _config_of(app, **overrides) -> dict:
    keys = (
        "TESTING",
        "WTF_CSRF_ENABLED",
        "SECRET_KEY",
        "PASSWORD_HASH_METHOD",
        "SQLALCHEMY_DATABASE_URI",
        "SQLALCHEMY_ENGINE_OPTIONS",
        "LMS_BASE_URL",
    )
    return {key: app.config[key] for key in keys if key in app.config} | overrides


def test_two_processes_share_the_login_count(app, client, demo, monkeypatch):
    """Another process on the same database uses up the limit; this one sees it."""
    limit = "3 per 15 minutes"
    monkeypatch.setitem(app.config, "LMS_LOGIN_LIMIT_PER_ACCOUNT", limit)
    config = _config_of(app, LMS_LOGIN_LIMIT_PER_ACCOUNT=limit)
    env = os.environ | {"LMS_TEST_CONFIG": json.dumps(config)}
    other = subprocess.run(
        [sys.executable, "-c", _OTHER_PROCESS, "2", "learner@example.org"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert other.returncode == 0, other.stderr
    assert other.stdout.split() == ["401", "401"]
    here = {"email": "learner@example.org", "password": "wrong-password-1"}
    assert client.post("/login", data=here).status_code == 401
    right = {"email": "learner@example.org", "password": "learner-demo-2026"}
    assert client.post("/login", data=right).status_code == 429


def test_redis_storage_when_configured(app, demo):
    """With a redis:// URI the counts live in Redis, not in the database."""
    import redis

    from lms import create_app

    prefix = f"lms-test-{uuid.uuid4().hex[:12]}"
    config = _config_of(
        app,
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_STORAGE_OPTIONS={"key_prefix": prefix},
        LMS_LOGIN_LIMIT_PER_ACCOUNT="2 per 15 minutes",
    )
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        redis_app = create_app(config)
        assert type(limiter.storage).__name__ == "RedisStorage"
        with redis_app.app_context():
            client = redis_app.test_client()
            wrong = {"email": "learner@example.org", "password": "wrong-password-1"}
            assert client.post("/login", data=wrong).status_code == 401
            assert client.post("/login", data=wrong).status_code == 401
            assert client.post("/login", data=wrong).status_code == 429
            db.session.remove()
            db.engine.dispose()
        assert list(connection.scan_iter(f"{prefix}:*"))
        assert _rows(rate_limit_counters) == 0
    finally:
        for key in connection.scan_iter(f"{prefix}:*"):
            connection.delete(key)
        connection.close()
        limiter.init_app(app)  # back to the database storage of the test app
    assert isinstance(limiter.storage, DatabaseStorage)
