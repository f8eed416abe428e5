"""Benchmark the LRS Statement resource over HTTP on 127.0.0.1, with the raw floor.

Starts the app under granian (or gunicorn, --server) against a fresh SQLite file
(and PostgreSQL when LMS_BENCH_POSTGRES_URL is set), fills it with realistic
statements of our profile (account actors, module/lesson/quiz activities, results,
registrations), and measures from separate client processes:

- POST of batches of 100 (statements/s), also the fill itself;
- single-statement POST at 16 connections from one asyncio client process
  (rate, p50, p99);
- GET newest 100 by activity, by agent and by related_activities (p50, p99);
- the raw floor: the same rows inserted with plain sqlite3 / psycopg, batches of 100.

Statement writer processes (lms.lrs.writer) run beside the server as README
advises (--writers changes how many; 0 stores in the server processes).

Usage: .venv/bin/python bench/lrs_statements.py [--statements 1000000]
Every loop is bounded; nothing listens beyond 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import http.client
import multiprocessing
import multiprocessing.synchronize
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASE = "https://lms.example.dk"
PROFILE = f"{BASE}/xapi/profile"
KEY, SECRET = "bench", "bench-secret-0123456789"
AUTH = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
HEADERS = {
    "Authorization": AUTH,
    "X-Experience-API-Version": "1.0.3",
    "Content-Type": "application/json",
}
VERBS = {
    "experienced": "http://adlnet.gov/expapi/verbs/experienced",
    "attempted": "http://adlnet.gov/expapi/verbs/attempted",
    "answered": "http://adlnet.gov/expapi/verbs/answered",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
    "failed": "http://adlnet.gov/expapi/verbs/failed",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
}
MODULES = [f"module-{n}" for n in range(1, 7)]
BATCH = 100


# --- Realistic statements ------------------------------------------------------------


class Profile:
    """Learners, their enrolments and the activities of our modules."""

    def __init__(self, learners: int, seed: int = 7) -> None:
        self.random = random.Random(seed)
        self.learners = [
            str(uuid.UUID(int=self.random.getrandbits(128))) for _ in range(learners)
        ]
        self.registrations = {
            (learner, module): str(uuid.UUID(int=self.random.getrandbits(128)))
            for learner in self.learners
            for module in MODULES
        }
        self.moment = datetime(2026, 1, 1, tzinfo=UTC)

    def module_id(self, module: str) -> str:
        return f"{BASE}/xapi/activities/module/{module}"

    def activity(self, module: str) -> tuple[str, str, str]:
        """Return (activity id, ADL type, verb) of a random activity of a module."""
        kind = self.random.choice(["lesson", "lesson", "lesson", "quiz", "question"])
        number = self.random.randint(1, 4)
        base = f"{self.module_id(module)}/{'quiz/1' if kind != 'lesson' else 'lesson'}"
        if kind == "lesson":
            return (
                f"{base}/{number}",
                "lesson",
                self.random.choice(["experienced", "completed"]),
            )
        if kind == "quiz":
            return (
                base,
                "assessment",
                self.random.choice(["attempted", "passed", "failed"]),
            )
        return f"{base}/question/q{number}", "cmi.interaction", "answered"

    def statement(self) -> dict:
        """Return one statement of a random learner in a random module."""
        learner = self.random.choice(self.learners)
        module = self.random.choice(MODULES)
        activity_id, kind, verb = self.activity(module)
        self.moment += timedelta(seconds=1)
        statement = {
            "id": str(uuid.UUID(int=self.random.getrandbits(128))),
            "actor": {
                "objectType": "Agent",
                "account": {"homePage": BASE, "name": learner},
            },
            "verb": {"id": VERBS[verb], "display": {"en-US": verb, "da": verb}},
            "object": {
                "objectType": "Activity",
                "id": activity_id,
                "definition": {
                    "type": f"http://adlnet.gov/expapi/activities/{kind}",
                    "name": {"da": f"Aktivitet {activity_id[-12:]}", "en": "Activity"},
                },
            },
            "context": {
                "registration": self.registrations[(learner, module)],
                "contextActivities": {
                    "parent": [{"id": self.module_id(module)}],
                    "grouping": [{"id": f"{BASE}/xapi/activities/programme/bdk"}],
                    "category": [{"id": PROFILE}],
                },
                "language": "da",
                "platform": "Bliv Digital Kompetent",
            },
            "timestamp": self.moment.isoformat().replace("+00:00", "Z"),
        }
        if verb in ("passed", "failed", "answered", "completed"):
            score = self.random.randint(0, 10)
            statement["result"] = {
                "score": {"scaled": score / 10, "raw": score, "min": 0, "max": 10},
                "success": verb != "failed" and score >= 5,
                "completion": True,
                "duration": f"PT{self.random.randint(5, 900)}S",
            }
        return statement


# --- The server ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(database_url: str, instance: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        LMS_BASE_URL=BASE,
        SECRET_KEY="bench-secret-key",
        LMS_ENV="development",
        LMS_MAX_UPLOAD_BYTES=str(64 * 2**20),
        PYTHONPATH=str(ROOT),
    )
    env.pop("FLASK_APP", None)
    return env


FLASK = [sys.executable, "-m", "flask", "--app", "lms"]


def flask(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [*FLASK, *args],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def start_server(
    env: dict[str, str], server: str, workers: int, threads: int
) -> tuple[subprocess.Popen, int]:
    """Start granian or gunicorn on 127.0.0.1; return the process and its port."""
    port = free_port()
    if server == "granian":
        command = [
            sys.executable, "-m", "granian", "--interface", "wsgi",
            "--workers", str(workers), "--blocking-threads", str(threads),
            "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
            "--factory", "lms:create_app",
        ]  # fmt: skip
    else:
        command = [
            sys.executable, "-m", "gunicorn", "--workers", str(workers),
            "--threads", str(threads), "--worker-class", "gthread",
            "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
            "--backlog", "256", "lms:create_app()",
        ]  # fmt: skip
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/xapi/about")
            if connection.getresponse().status == 200:
                return process, port
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("the server did not start")


# --- Clients (separate processes) ----------------------------------------------------


def _post_batches(args: tuple[int, list[bytes]]) -> tuple[int, float, float]:
    """POST pre-encoded batches over one keep-alive connection once every client
    is ready; return (batches, start, end) on the system's monotonic clock."""
    port, bodies = args
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.connect()
    _START.wait()
    started = time.monotonic()
    for body in bodies:
        connection.request("POST", "/xapi/statements", body=body, headers=HEADERS)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"POST answered {response.status}")
    return len(bodies), started, time.monotonic()


#: Set in each client process: the barrier every client waits at before posting.
_START: multiprocessing.synchronize.Barrier


def _ready(barrier) -> None:
    global _START
    _START = barrier


def post_batches(port: int, batches: list[bytes], connections: int) -> float:
    """POST batches from ``connections`` processes; return statements per second.

    The clock runs from the first client's start to the last one's end; starting
    the processes and handing them their batches is left out.
    """
    chunks = [batches[i::connections] for i in range(connections)]
    barrier = multiprocessing.Barrier(connections)
    with multiprocessing.Pool(connections, _ready, (barrier,)) as pool:
        results = pool.map(_post_batches, [(port, chunk) for chunk in chunks], 1)
    elapsed = max(end for _, _, end in results) - min(s for _, s, _ in results)
    return len(batches) * BATCH / elapsed


def timed_batches(
    port: int, batches: list[bytes], connections: int, parts: int = 5
) -> tuple[float, list[float]]:
    """POST the timed batches in ``parts`` windows one after another; return the
    overall rate and each window's rate, sorted.

    A checkpoint of PostgreSQL (or SQLite) can slow a few seconds of writes; the
    windows show whether the overall rate is even or one stretch pulled it down.
    """
    size = max(1, len(batches) // parts)
    windows, elapsed = [], 0.0
    for start in range(0, len(batches), size):
        window = batches[start : start + size]
        rate = post_batches(port, window, connections)
        windows.append(rate)
        elapsed += len(window) * BATCH / rate
    return len(batches) * BATCH / elapsed, sorted(windows)


def _timed_gets(args: tuple[int, list[str], int]) -> list[float]:
    """GET the paths over one keep-alive connection; return each latency in
    seconds but those of the first ``warm``.

    The warm-up runs over the measured connection: with several server processes
    a connection stays with one of them, and a process's first GETs (its
    database connections, its compiled queries) are not what is measured.
    """
    port, paths, warm = args
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies = []
    for path in paths:
        started = time.perf_counter()
        connection.request("GET", path, headers=HEADERS)
        response = connection.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        if response.status != 200:
            raise RuntimeError(f"GET {path[:80]} answered {response.status}")
    return latencies[warm:]


def get_latencies(port: int, paths: list[str], warm: int) -> list[float]:
    """Run the GETs from a separate client process; return their latencies."""
    with multiprocessing.Pool(1) as pool:
        return pool.apply(_timed_gets, ((port, paths, warm),))


def _single_posts(args: tuple[int, list[bytes], int]) -> tuple[float, list[float]]:
    """POST one statement per request over ``connections`` keep-alive connections
    from this one process (asyncio, requests encoded ahead); return (rate,
    latencies). A thin client leaves the two cores to the server."""
    port, bodies, connections = args
    head = "".join(
        ["POST /xapi/statements HTTP/1.1\r\nHost: 127.0.0.1\r\n"]
        + [f"{name}: {value}\r\n" for name, value in HEADERS.items()]
    ).encode()
    requests = [head + b"Content-Length: %d\r\n\r\n" % len(b) + b for b in bodies]
    latencies: list[float] = []

    async def connection(chunk: list[bytes]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for request in chunk:
                started = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = _content_length(head)
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                if not head.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError(f"POST answered {head[:40]!r}")
        finally:
            writer.close()

    async def everything() -> float:
        started = time.perf_counter()
        await asyncio.gather(
            *(connection(requests[i::connections]) for i in range(connections))
        )
        return time.perf_counter() - started

    elapsed = asyncio.run(everything())
    return len(bodies) / elapsed, latencies


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    raise RuntimeError("an answer without Content-Length")


def single_posts(
    port: int, bodies: list[bytes], connections: int
) -> tuple[float, list[float]]:
    """Run the single POSTs from a separate client process."""
    with multiprocessing.Pool(1) as pool:
        return pool.apply(_single_posts, ((port, bodies, connections),))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


# --- The raw floor -------------------------------------------------------------------


def floor_rows(statements: list[dict]) -> list[tuple[dict, dict[str, list[tuple]]]]:
    """Return the xapi_statements row and posting rows each statement becomes."""
    from xapi.store.enrich import enrich
    from xapi.store.keys import epoch_us, own_postings
    from xapi.store.save import _statement_row

    authority = {
        "objectType": "Agent",
        "account": {"homePage": BASE, "name": "client/bench"},
    }
    rows = []
    stored_at = datetime.now(UTC)
    stored = stored_at.isoformat().replace("+00:00", "Z")
    for seq, statement in enumerate(statements, start=1):
        item = enrich(statement, stored=stored, authority=authority, version="1.0.0")
        row = _statement_row(item, False, stored_at)
        row["seq"] = seq
        rows.append((row, own_postings(item).rows(seq, epoch_us(stored_at))))
    return rows


POSTING_TABLES = {
    "activities": "xapi_statement_activities",
    "agents": "xapi_statement_agents",
    "verbs": "xapi_statement_verbs",
    "registrations": "xapi_statement_registrations",
}


def floor_sqlite(path: Path, rows) -> float:
    """Insert the rows with plain sqlite3 in batches of 100; return rows per second."""
    from sqlalchemy import create_engine

    from xapi.store import metadata

    engine = create_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    engine.dispose()
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    columns = list(rows[0][0])
    insert = (
        f"INSERT INTO xapi_statements ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' * len(columns))})"
    )
    postings = {
        name: f"INSERT INTO {table} VALUES ({', '.join('?' * width)})"
        for name, (table, width) in {
            "activities": (POSTING_TABLES["activities"], 4),
            "agents": (POSTING_TABLES["agents"], 4),
            "verbs": (POSTING_TABLES["verbs"], 3),
            "registrations": (POSTING_TABLES["registrations"], 3),
        }.items()
    }
    prepared = [
        (
            [_sqlite_values(row, columns) for row, _ in rows[i : i + BATCH]],
            {n: [p for _, ps in rows[i : i + BATCH] for p in ps[n]] for n in postings},
        )
        for i in range(0, len(rows), BATCH)
    ]
    started = time.perf_counter()
    for statement_rows, posting_rows in prepared:
        connection.execute("BEGIN")
        connection.executemany(insert, statement_rows)
        for name, sql in postings.items():
            connection.executemany(sql, posting_rows[name])
        connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return len(rows) / elapsed


def _sqlite_values(row: dict, columns: list[str]) -> tuple:
    return tuple(
        row[c].strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(row[c], datetime)
        else row[c]
        for c in columns
    )


def floor_postgres(url: str, rows) -> float:
    """Insert the rows with plain psycopg COPY in batches of 100; rows per second."""
    import psycopg
    from sqlalchemy import create_engine

    from xapi.store import metadata

    schema = f"bench_floor_{uuid.uuid4().hex[:8]}"
    plain = _libpq_url(url)
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        engine = create_engine(
            _sqlalchemy_url(url), connect_args={"options": f"-c search_path={schema}"}
        )
        metadata.create_all(engine)
        engine.dispose()
        columns = list(rows[0][0])
        with psycopg.connect(plain, options=f"-c search_path={schema}") as connection:
            started = time.perf_counter()
            for i in range(0, len(rows), BATCH):
                chunk = rows[i : i + BATCH]
                with connection.cursor() as cursor:
                    with cursor.copy(
                        f"COPY xapi_statements ({', '.join(columns)}) FROM STDIN"
                    ) as copy:
                        for row, _ in chunk:
                            copy.write_row([row[c] for c in columns])
                    for name, table in POSTING_TABLES.items():
                        with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                            for _, postings in chunk:
                                for posting in postings[name]:
                                    copy.write_row(posting)
                connection.commit()
            elapsed = time.perf_counter() - started
    finally:
        with psycopg.connect(plain, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return len(rows) / elapsed


def _sqlalchemy_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# --- One run -------------------------------------------------------------------------


def run(backend: str, database_url: str, workdir: Path, args) -> dict[str, str]:
    """Fill one database over HTTP and measure; return the numbers by name."""
    env = app_env(database_url, workdir)
    flask(env, "db", "upgrade")
    flask(env, "lrs", "create-client", "bench", "--key", KEY, "--secret", SECRET,
          "--scope", "all")  # fmt: skip
    profile = Profile(learners=max(20, args.statements // 100))
    fill = [profile.statement() for _ in range(args.statements)]
    timed = [profile.statement() for _ in range(args.timed_batches * BATCH)]
    singles = [profile.statement() for _ in range(args.singles)]
    workers, threads = serving(args, backend)
    count = WRITERS[backend] if args.writers is None else args.writers
    print(
        f"{args.server}, {workers} process(es) x {threads} threads, "
        f"{count} statement writer(s)"
    )
    writers = start_writers(env, workdir, count)
    try:
        server, port = start_server(env, args.server, workers, threads)
    except BaseException:
        stop(writers)
        raise
    results: dict[str, str] = {}
    try:
        fill_rate = _fill(port, encode(fill), args.connections, database_url, backend)
        results["fill: POST batches of 100"] = f"{fill_rate:,.0f} statements/s"
        before = wal_counters(args.postgres_url) if backend == "postgresql" else None
        rate, windows = timed_batches(port, encode(timed), args.connections)
        results["POST batches of 100"] = f"{rate:,.0f} statements/s"
        results["POST batches of 100, by fifth: min, median, max"] = ", ".join(
            f"{windows[i]:,.0f}" for i in (0, len(windows) // 2, -1)
        )
        if before is not None:
            results["WAL of the timed batches"] = wal_written(
                args.postgres_url, before, len(timed)
            )
        bodies = [orjson.dumps(s) for s in singles]
        single_posts(port, bodies[: len(bodies) // 10], 16)  # warm up
        single_rate, latencies = single_posts(port, bodies[len(bodies) // 10 :], 16)
        results["single POST, 16 connections"] = (
            f"{single_rate:,.0f}/s, p50 {ms(percentile(latencies, 0.5))}, "
            f"p99 {ms(percentile(latencies, 0.99))}"
        )
        rng = random.Random(3)
        queries = {
            "GET by activity, newest 100": lambda: (
                "activity=" + quote(profile.activity(rng.choice(MODULES))[0], safe="")
            ),
            "GET by agent, newest 100": lambda: (
                "agent="
                + quote(
                    orjson.dumps(
                        {
                            "account": {
                                "homePage": BASE,
                                "name": rng.choice(profile.learners),
                            }
                        }
                    ).decode(),
                    safe="",
                )
            ),
            "GET by related_activities (module), newest 100": lambda: urlencode(
                {
                    "activity": profile.module_id(rng.choice(MODULES)),
                    "related_activities": "true",
                }
            ),
        }
        for name, make in queries.items():
            paths = [
                f"/xapi/statements?{make()}&limit=100" for _ in range(args.gets + 20)
            ]
            latencies = get_latencies(port, paths, 20)
            p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
            results[name] = f"p50 {ms(p50)}, p99 {ms(p99)}"
    finally:
        stop([server, *writers])
    rows = floor_rows(timed)
    floor = (
        floor_sqlite(workdir / "floor.db", rows)
        if backend == "sqlite"
        else floor_postgres(args.postgres_url, rows)
    )
    results["raw floor: same rows, batches of 100"] = f"{floor:,.0f} statements/s"
    results["POST batches of 100 / raw floor"] = f"{rate / floor:.2f}"
    return results


#: (processes, threads) as README advises on 2 cores: SQLite has one writer, so
#: one process whose requests share transactions; on PostgreSQL a second process
#: writes while the first one's transaction waits for the database.
SERVING = {"sqlite": (1, 32), "postgresql": (2, 16)}


#: Statement writer processes (lms.lrs.writer), as README advises: SQLite has one
#: writer; on PostgreSQL two write at once.
WRITERS = {"sqlite": 1, "postgresql": 2}


def start_writers(
    env: dict[str, str], workdir: Path, count: int
) -> list[subprocess.Popen]:
    """Start ``count`` writer processes; name their sockets in the server's env."""
    paths = [str(workdir / f"writer-{os.getpid()}-{n}.sock") for n in range(count)]
    env["LRS_WRITER_SOCKETS"] = ",".join(paths)
    writers = [
        subprocess.Popen(
            [*FLASK, "lrs", "writer", "--socket", path],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        for path in paths
    ]
    deadline = time.monotonic() + 60
    while not all(Path(path).exists() for path in paths):
        if time.monotonic() > deadline or any(w.poll() is not None for w in writers):
            stop(writers)
            raise RuntimeError("a statement writer did not start")
        time.sleep(0.1)
    return writers


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)


def serving(args, backend: str) -> tuple[int, int]:
    """Return the server's (processes, threads per process) for a database."""
    workers, threads = SERVING[backend]
    return args.workers or workers, args.threads or threads


def _fill(
    port: int, batches: list[bytes], connections: int, url: str, backend: str
) -> float:
    """POST the fill; return statements per second.

    Where autovacuum is off (as on some test servers), PostgreSQL never gathers
    statistics nor sets its visibility map, which no production server with
    the default autovacuum lacks. The fill then runs in tenths and does what
    autovacuum's default thresholds would have done by then: ANALYZE after each
    tenth (10% of a table changed), VACUUM once the rows inserted since the last
    one exceed a fifth of the table (PostgreSQL 13+ vacuums insert-only tables
    so; the visibility map it sets lets the posting lists answer from the index
    alone). Their time is left out of the rate.
    """
    if backend != "postgresql" or _autovacuum(url):
        return post_batches(port, batches, connections)
    print(
        "autovacuum is off: after each tenth of the fill ANALYZE, and VACUUM where"
        " autovacuum's insert threshold would have"
    )
    tenth = max(1, len(batches) // 10)
    elapsed, stored, vacuumed = 0.0, 0, 0
    for start in range(0, len(batches), tenth):
        chunk = batches[start : start + tenth]
        elapsed += len(chunk) * BATCH / post_batches(port, chunk, connections)
        stored += len(chunk) * BATCH
        inserted = stored - vacuumed
        vacuum = inserted > VACUUM_INSERT_THRESHOLD + VACUUM_INSERT_SCALE * stored
        _maintain(url, vacuum=vacuum)
        if vacuum:
            vacuumed = stored
    return len(batches) * BATCH / elapsed


#: autovacuum_vacuum_insert_threshold and _scale_factor, PostgreSQL's defaults.
VACUUM_INSERT_THRESHOLD, VACUUM_INSERT_SCALE = 1000, 0.2


#: PostgreSQL settings that move the write rate; the run prints them.
SETTINGS = (
    "shared_buffers",
    "max_wal_size",
    "checkpoint_timeout",
    "wal_compression",
    "synchronous_commit",
    "autovacuum",
)


def postgres_settings(url: str) -> str:
    """Return the server's version and SETTINGS as one line."""
    import psycopg

    with psycopg.connect(_libpq_url(url)) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        shown = [
            f"{name} {conn.execute(f'SHOW {name}').fetchone()[0]}" for name in SETTINGS
        ]
    return f"PostgreSQL {version}: " + ", ".join(shown)


def wal_counters(url: str) -> tuple[int, int, int] | None:
    """Return the server's (WAL bytes, full-page images, buffers written by
    checkpoints) so far; None where it does not count them (before PostgreSQL 14).

    Backends report their WAL counts at most once a second while busy, so this
    waits for the writers to go idle first.
    """
    import psycopg

    time.sleep(2)
    with psycopg.connect(_libpq_url(url), autocommit=True) as conn:
        try:
            wal_bytes, images = conn.execute(
                "SELECT wal_bytes, wal_fpi FROM pg_stat_wal"
            ).fetchone()
        except psycopg.errors.UndefinedTable:
            return None
        try:  # PostgreSQL 17 moved the checkpointer's counters
            (written,) = conn.execute(
                "SELECT buffers_written FROM pg_stat_checkpointer"
            ).fetchone()
        except psycopg.errors.UndefinedTable:
            (written,) = conn.execute(
                "SELECT buffers_checkpoint FROM pg_stat_bgwriter"
            ).fetchone()
    return int(wal_bytes), int(images), int(written)


def wal_written(url: str, before: tuple[int, int, int], statements: int) -> str:
    """Return the WAL, full-page images and checkpoint writes since ``before``.

    A checkpoint that runs during the timed batches makes the first change to
    each page log a full-page image: these numbers tell whether one did.
    """
    after = wal_counters(url)
    if after is None:
        return "not counted"
    wal_bytes, images, written = (a - b for a, b in zip(after, before, strict=True))
    return (
        f"{wal_bytes / statements / 1024:.1f} kB and "
        f"{images / statements:.2f} full-page images per statement; "
        f"{written:,} buffers written by checkpoints meanwhile"
    )


def _autovacuum(url: str) -> bool:
    import psycopg

    with psycopg.connect(_libpq_url(url)) as conn:
        return conn.execute("SHOW autovacuum").fetchone()[0] == "on"


def _maintain(url: str, *, vacuum: bool) -> None:
    """ANALYZE, or VACUUM (ANALYZE), every table of the schema."""
    import psycopg

    command = "VACUUM (ANALYZE)" if vacuum else "ANALYZE"
    with psycopg.connect(_libpq_url(url), autocommit=True) as conn:
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchall()
        for (table,) in tables:
            conn.execute(f'{command} "{table}"')


def _libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def encode(items: list[dict]) -> list[bytes]:
    """Return the JSON bodies of batches of 100."""
    return [orjson.dumps(items[i : i + BATCH]) for i in range(0, len(items), BATCH)]


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in open("/proc/cpuinfo")
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    memory = subprocess.run(
        ["free", "-h"], capture_output=True, text=True
    ).stdout.split()
    total = memory[memory.index("Mem:") + 1] if "Mem:" in memory else "?"
    return (
        f"{os.cpu_count()} cores ({cpu}), {total} RAM, Python {sys.version.split()[0]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--statements",
        type=int,
        default=20_000,
        help="statements stored before measuring",
    )
    parser.add_argument(
        "--timed-batches",
        type=int,
        default=500,
        help="batches of 100 in the timed POST",
    )
    parser.add_argument(
        "--singles", type=int, default=6_000, help="single-statement POSTs"
    )
    parser.add_argument("--gets", type=int, default=400, help="GETs per query kind")
    parser.add_argument(
        "--connections", type=int, default=4, help="connections posting batches"
    )
    parser.add_argument("--server", choices=("granian", "gunicorn"), default="granian")
    parser.add_argument(
        "--databases",
        default="sqlite,postgresql",
        help="which to measure (PostgreSQL needs LMS_BENCH_POSTGRES_URL)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        help="server processes (default: as README advises for the database)",
    )
    parser.add_argument("--threads", type=int, help="threads per server process")
    parser.add_argument(
        "--writers",
        type=int,
        help="statement writer processes, 0 for none (default: as README advises)",
    )
    args = parser.parse_args()
    args.postgres_url = os.environ.get("LMS_BENCH_POSTGRES_URL", "").strip()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    print(f"{args.statements:,} statements stored before the timed runs")
    workdir = Path(tempfile.mkdtemp(prefix="lrs-bench-"))
    try:
        backends = []
        if "sqlite" in args.databases:
            backends.append(("sqlite", f"sqlite:///{workdir / 'lrs.db'}"))
        if args.postgres_url and "postgresql" in args.databases:
            backends.append(("postgresql", _fresh_schema(args.postgres_url)))
        for backend, url in backends:
            print(f"\n## {backend}")
            if backend == "postgresql":
                print(postgres_settings(args.postgres_url))
            try:
                for name, value in run(backend, url, workdir, args).items():
                    print(f"| {name} | {value} |")
            finally:
                if backend == "postgresql":
                    _drop_schema(args.postgres_url, url)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _fresh_schema(url: str) -> str:
    """Create a schema for the run; return a DATABASE_URL whose search_path is it."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_libpq_url(url), autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in url else "?"
    return f"{_sqlalchemy_url(url)}{separator}options=-csearch_path%3D{schema}"


def _drop_schema(url: str, schema_url: str) -> None:
    import psycopg

    schema = schema_url.rsplit("%3D", 1)[1]
    with psycopg.connect(_libpq_url(url), autocommit=True) as admin:
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
