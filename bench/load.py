"""Load test: simulated learners on realistic journeys against gunicorn + PostgreSQL.

    .venv/bin/python bench/load.py                          # 200 learners, 2 minutes
    .venv/bin/python bench/load.py --users 50 --duration 30

It creates a private PostgreSQL database (dropped afterwards), migrates it, loads
the shipped modules, the demo and a scaled-down large demo (units, staff with
enrolments and statements, certificates; `--staff`, `--statements`), and gives the
first `--users` staff who have enrolments a password. It then starts gunicorn on
127.0.0.1 and runs one thread per learner, each on its own keep-alive connection,
until `--duration` has passed. A journey: sign in through the real form (CSRF
token), dashboard, a module (enrol when needed), two lessons read, the quiz
(start, answer right or wrong, result), the practice task, certificates,
the dashboard again, sign out. Redirects are followed as a browser would. Between
pages a learner waits a think time drawn from [--think-min, --think-max] seconds;
a learner whose next page would come after `--duration` stops there, so the run
does not end in a burst of every learner's remaining pages.

Reports requests per second, p50/p95/p99 per kind of request and overall, and
errors: any status outside 2xx/3xx or a failed connection (target: 0).
Every request goes to 127.0.0.1 only; the run stops by itself.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-learner-2026"
#: Generous sign-in limits: every simulated learner signs in from 127.0.0.1.
RATE_LIMITS = {
    "LMS_LOGIN_LIMIT_PER_IP": "100000 per minute",
    "LMS_LOGIN_LIMIT_PER_ACCOUNT": "1000 per minute",
}
CSRF = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')


# --- The database --------------------------------------------------------------


def create_database(server_url: str) -> tuple[str, str]:
    """Create a private database; return its name and SQLAlchemy URL."""
    from sqlalchemy import create_engine, make_url, text

    name = f"lms_load_{uuid.uuid4().hex[:8]}"
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    url = make_url(server_url).set(database=name)
    return name, url.render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    """Drop the private database, closing whatever still uses it."""
    from sqlalchemy import create_engine, text

    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def load_data(url: str, base_url: str, users: int, staff: int, statements: int):
    """Migrate, load content and demo data; return learners and the module plan."""
    from flask_migrate import upgrade
    from werkzeug.security import generate_password_hash

    from lms import create_app
    from lms.competence.demo import load_competence_demo
    from lms.competence.large_demo import load_large_demo
    from lms.content import current_version, module_of, publish_shipped
    from lms.demo import load_demo
    from lms.extensions import db
    from lms.models import Enrolment, User

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LMS_BASE_URL": base_url})
    with app.app_context():
        upgrade()
        publish_shipped(Path(app.config["LMS_MODULES_PATH"]))
        load_demo()
        load_competence_demo()
        load_large_demo(staff=staff, statements=statements, echo=_quiet)
        with_enrolments = (
            db.select(User.id, User.email)
            .where(User.email.like("staff%@large.example.org"))
            .where(db.select(Enrolment.id).where(Enrolment.user_id == User.id).exists())
            .order_by(User.id)
            .limit(users)
        )
        learners = db.session.execute(with_enrolments).all()
        if len(learners) < users:
            raise SystemExit(
                f"only {len(learners)} staff have enrolments; raise --staff"
            )
        # One hash for all: the same cost per sign-in as production (scrypt).
        digest = generate_password_hash(
            PASSWORD, method=app.config["PASSWORD_HASH_METHOD"]
        )
        db.session.execute(
            db.update(User)
            .where(User.id.in_([row.id for row in learners]))
            .values(password_hash=digest)
        )
        db.session.commit()
        plan = {}
        from lms.content import current_versions

        for version in current_versions():
            module = module_of(current_version(version.slug))
            plan[version.slug] = _module_plan(module)
        counts = {
            "users": db.session.execute(db.select(db.func.count(User.id))).scalar(),
            "enrolments": db.session.execute(
                db.select(db.func.count(Enrolment.id))
            ).scalar(),
        }
        db.session.remove()
        db.engine.dispose()
    return [row.email for row in learners], plan, counts


def _quiet(_message: str) -> None:
    pass


@dataclass
class ModulePlan:
    """What a learner can do in one module: lessons, the quiz, the practice task."""

    lessons: list[str]
    quiz: str | None
    quiz_right: dict
    quiz_wrong: dict
    task: str | None


def _module_plan(module) -> ModulePlan:
    lessons = [a.id for a in module.activities if a.kind == "lesson"]
    quiz = next((a for a in module.activities if a.kind == "quiz"), None)
    task = next((a for a in module.activities if a.kind == "practice_task"), None)
    return ModulePlan(
        lessons=lessons,
        quiz=quiz.id if quiz else None,
        quiz_right=_answers(quiz.content, right=True) if quiz else {},
        quiz_wrong=_answers(quiz.content, right=False) if quiz else {},
        task=task.id if task else None,
    )


def _answers(quiz, right: bool) -> dict:
    """Form fields answering every question, all right or choices wrong."""
    data: dict = {}
    for question in quiz.questions:
        name, kind = f"q-{question.id}", question.type_name
        if kind in ("single_choice", "multiple_choice"):
            options = [o.id for o in question.options if o.correct == right]
            options = options or [question.options[0].id]
            data[name] = options if kind == "multiple_choice" else options[0]
        elif kind == "true_false":
            data[name] = "true" if question.answer == right else "false"
        elif kind == "numeric":
            value = question.answer if right else question.answer + 1000
            data[name] = str(value).replace(".", ",")
        elif kind == "matching":
            for pair in question.pairs:
                data[f"{name}-{pair.id}"] = pair.id
        elif kind == "ordering":
            for position, item in enumerate(question.items, start=1):
                data[f"{name}-{item.id}"] = str(position)
    return data


# --- The server ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(url: str, base_url: str, port: int, workers: int, threads: int):
    """Start gunicorn (gthread) on 127.0.0.1; return it once /healthz answers."""
    env = (
        os.environ
        | RATE_LIMITS
        | {
            "DATABASE_URL": url,
            "LMS_BASE_URL": base_url,
            "SECRET_KEY": "load-test-secret-not-for-production",
            "LMS_ENV": "development",
        }
    )
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            "gthread",
            # Longer than any think time, so keep-alive connections stay open.
            "--keep-alive",
            "30",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "lms:create_app()",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            pass
        if server.poll() is not None:
            raise SystemExit("gunicorn exited")
        time.sleep(0.2)
    stop(server)
    raise SystemExit("gunicorn did not answer /healthz")


def stop(server: subprocess.Popen) -> None:
    """Stop gunicorn gracefully, then for sure."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- The learners --------------------------------------------------------------


@dataclass
class Results:
    """Latencies per kind of request, errors and reconnections, shared by threads."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: list[str] = field(default_factory=list)
    journeys: int = 0
    reconnects: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, ok: bool, note: str = "") -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            if not ok:
                self.errors[kind] += 1
                if len(self.examples) < 20:
                    self.examples.append(f"{kind}: {note}")


class DeadlineReached(Exception):
    """The run is over: the learner sends nothing more."""


class RequestFailed(Exception):
    """A request answered outside 2xx/3xx, or not at all; the journey stops."""


class Learner:
    """One simulated learner: a cookie jar and a keep-alive connection."""

    def __init__(self, port, email, plan, results, args, rng, deadline) -> None:
        self.port, self.email, self.plan = port, email, plan
        self.results, self.args, self.rng, self.deadline = results, args, rng, deadline
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None

    # HTTP ---------------------------------------------------------------------

    def _send(self, method: str, path: str, body: bytes | None, headers: dict):
        reused = self.connection is not None
        if self.connection is None:
            self.connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=60
            )
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            return response, response.read()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            self.connection.close()
            self.connection = None
            if not reused:
                raise
            # The server closed an idle keep-alive connection: a browser retries.
            with self.results.lock:
                self.results.reconnects += 1
            return self._send(method, path, body, headers)

    def request(self, kind: str, method: str, path: str, form: dict | None = None):
        """Send one request; follow redirects (each timed as its own request)."""
        body = urllib.parse.urlencode(form, doseq=True).encode() if form else None
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            response, page = self._send(method, path, body, headers)
        except OSError as error:
            self.results.add(kind, time.perf_counter() - started, False, repr(error))
            if self.connection is not None:
                self.connection.close()
                self.connection = None
            raise RequestFailed(kind) from error
        elapsed = time.perf_counter() - started
        ok = 200 <= response.status < 400
        self.results.add(kind, elapsed, ok, f"{response.status} {method} {path}")
        if not ok:
            raise RequestFailed(kind)
        self._keep_cookies(response)
        location = response.getheader("Location")
        if response.status in (301, 302, 303) and location:
            target = urllib.parse.urlsplit(location)
            path = target.path + (f"?{target.query}" if target.query else "")
            return self.request(kind + " → redirect", "GET", path)
        return path, page

    def _keep_cookies(self, response) -> None:
        for name, value in response.getheaders():
            if name.lower() != "set-cookie":
                continue
            pair, _, attributes = value.partition(";")
            key, _, content = pair.strip().partition("=")
            expired = "max-age=0" in attributes.lower() or "1970" in attributes
            if expired or not content:
                self.cookies.pop(key, None)
            else:
                self.cookies[key] = content

    # Behaviour ----------------------------------------------------------------

    def think(self) -> None:
        """Pause before the next page; at the end of the run, stop instead.

        A learner whose next page would fall after the end stops where it is.
        Sending the rest of every journey at the end would be a burst of 200
        learners at once that no real ward produces, and it would be measured.
        """
        pause = self.rng.uniform(self.args.think_min, self.args.think_max)
        if time.monotonic() + pause >= self.deadline:
            time.sleep(max(0.0, self.deadline - time.monotonic()))
            raise DeadlineReached
        time.sleep(pause)

    def run(self, delay: float) -> None:
        """Do journeys until the deadline; a failed request ends one journey."""
        time.sleep(delay)
        try:
            while True:
                try:
                    self.journey()
                    with self.results.lock:
                        self.results.journeys += 1
                except RequestFailed:
                    self.cookies.clear()
                self.think()
        except DeadlineReached:
            pass
        if self.connection is not None:
            self.connection.close()

    def step(self) -> None:
        """Think before the next page (DeadlineReached at the end of the run)."""
        self.think()

    def journey(self) -> None:
        _path, page = self.request("login page", "GET", "/login")
        token = _token(page)
        self.step()
        self.request(
            "sign in",
            "POST",
            "/login",
            {"csrf_token": token, "email": self.email, "password": PASSWORD},
        )
        self.step()
        slug = self.rng.choice(sorted(self.plan))
        plan = self.plan[slug]
        _path, page = self.request("module", "GET", f"/learn/modules/{slug}")
        if f"/learn/modules/{slug}/enrol".encode() in page:
            self.step()
            self.request(
                "enrol",
                "POST",
                f"/learn/modules/{slug}/enrol",
                {"csrf_token": _token(page)},
            )
        for lesson in plan.lessons[:2]:
            self.step()
            url = f"/learn/modules/{slug}/{lesson}"
            _path, page = self.request("lesson", "GET", url)
            self.step()
            self.request(
                "lesson read", "POST", f"{url}/read", {"csrf_token": _token(page)}
            )
        if plan.quiz:
            self.step()
            self.quiz(slug, plan)
        if plan.task:
            self.step()
            self.request("practice task", "GET", f"/learn/modules/{slug}/{plan.task}")
        self.step()
        self.request("certificates", "GET", "/certificates/")
        self.step()
        self.sign_out()

    def quiz(self, slug: str, plan: ModulePlan) -> None:
        url = f"/learn/modules/{slug}/{plan.quiz}"
        _path, page = self.request("quiz", "GET", url)
        self.step()
        path, page = self.request(
            "quiz start", "POST", f"{url}/attempts", {"csrf_token": _token(page)}
        )
        if "/attempts/" not in path:
            return  # no attempts left: the quiz page says so
        self.step()
        answers = plan.quiz_right if self.rng.random() < 0.7 else plan.quiz_wrong
        self.request(
            "quiz answer", "POST", path, {"csrf_token": _token(page), **answers}
        )

    def sign_out(self) -> None:
        _path, page = self.request("dashboard", "GET", "/learn/")
        self.step()
        self.request("sign out", "POST", "/logout", {"csrf_token": _token(page)})
        self.cookies.clear()


def _token(page: bytes) -> str:
    found = CSRF.search(page)
    if found is None:
        raise RequestFailed("no CSRF token on the page")
    return found.group(1).decode()


# --- Running and reporting -----------------------------------------------------


def drive(port, emails, plan, args) -> tuple[Results, float]:
    """Run every learner until the deadline; return the results and the duration."""
    results = Results()
    started = time.monotonic()
    deadline = started + args.duration
    threads = []
    for n, email in enumerate(emails):
        learner = Learner(
            port, email, plan, results, args, random.Random(args.seed + n), deadline
        )
        # Spread the first sign-ins over the ramp instead of one burst.
        delay = args.ramp * n / max(1, len(emails))
        thread = threading.Thread(target=learner.run, args=(delay,), daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        # Past the deadline a learner finishes the page it is on and signs out.
        thread.join(timeout=max(1.0, deadline - time.monotonic()) + 120)
    return results, time.monotonic() - started


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def report(results: Results, seconds: float, args, counts, load, cpu) -> str:
    """Return a Markdown report of the run."""
    rows = []
    every: list[float] = []
    for kind in sorted(results.latencies, key=lambda k: -len(results.latencies[k])):
        samples = sorted(results.latencies[kind])
        every += samples
        rows.append(_row(kind, samples, results.errors.get(kind, 0), seconds))
    every.sort()
    errors = sum(results.errors.values())
    rows.append(_row("**all requests**", every, errors, seconds))
    lines = [
        f"{len(every):,} requests in {seconds:.0f} s: **{len(every) / seconds:.1f} "
        f"requests/s**, {errors} errors, {results.journeys} journeys finished, "
        f"{results.reconnects} keep-alive reconnections. Load average before/after: "
        f"{load[0]} / {load[1]}.",
        f"CPU used during the run: gunicorn {cpu['gunicorn']:.0f} s, PostgreSQL "
        f"backends {cpu['postgres']:.0f} s, this client {cpu['client']:.0f} s, of "
        f"{2 * seconds:.0f} core-seconds on 2 cores; per request: gunicorn "
        f"{1000 * cpu['gunicorn'] / max(1, len(every)):.1f} ms, PostgreSQL "
        f"{1000 * cpu['postgres'] / max(1, len(every)):.1f} ms.",
        f"Data: {counts['users']:,} users, {counts['enrolments']:,} enrolments; "
        f"{args.users} learners, think time {args.think_min}–{args.think_max} s, "
        f"ramp {args.ramp} s, gunicorn {args.workers} workers × {args.threads} "
        "threads (gthread).",
        "",
        "| request | count | per s | p50 ms | p95 ms | p99 ms | max ms | errors |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
    ]
    if results.examples:
        lines += ["", "Errors (first 20):", *[f"- {e}" for e in results.examples]]
    return "\n".join(lines)


def _row(kind: str, samples: list[float], errors: int, seconds: float) -> str:
    return (
        f"| {kind} | {len(samples):,} | {len(samples) / seconds:.1f} | "
        f"{percentile(samples, 0.50):.1f} | {percentile(samples, 0.95):.1f} | "
        f"{percentile(samples, 0.99):.1f} | {samples[-1] * 1000:.0f} | {errors} |"
    )


def _cpu_of(pid: int) -> float:
    """Return the CPU seconds a process has used (user + system), 0 if gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return found


def server_cpu(server: subprocess.Popen, url: str, name: str) -> dict[str, float]:
    """CPU seconds used so far by gunicorn (master and workers) and by the
    PostgreSQL backends connected to the private database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        backends = connection.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = :name"
                " AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        ).scalars()
        postgres = sum(_cpu_of(pid) for pid in backends)
    engine.dispose()
    gunicorn = sum(_cpu_of(pid) for pid in [server.pid, *_children(server.pid)])
    return {"gunicorn": gunicorn, "postgres": postgres, "client": time.process_time()}


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "LMS_BENCH_POSTGRES_URL",
            "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        ),
        help="a PostgreSQL server where a private database may be created",
    )
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--duration", type=float, default=120, help="seconds")
    parser.add_argument("--think-min", type=float, default=2.0)
    parser.add_argument("--think-max", type=float, default=10.0)
    parser.add_argument("--ramp", type=float, default=30, help="seconds to start all")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--staff", type=int, default=1000)
    parser.add_argument("--statements", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    server_url = args.postgres_url.replace("postgresql://", "postgresql+psycopg://", 1)

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    name, url = create_database(server_url)
    server = None
    try:
        started = time.monotonic()
        emails, plan, counts = load_data(
            url, base_url, args.users, args.staff, args.statements
        )
        print(f"loaded the data in {time.monotonic() - started:.0f} s", flush=True)
        server = start_gunicorn(url, base_url, port, args.workers, args.threads)
        before = load_average()
        cpu_before = server_cpu(server, url, name)
        print(
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {args.users} learners for "
            f"{args.duration:.0f} s (load average {before})",
            flush=True,
        )
        results, seconds = drive(port, emails, plan, args)
        cpu_after = server_cpu(server, url, name)
        cpu = {key: cpu_after[key] - cpu_before[key] for key in cpu_after}
        print(report(results, seconds, args, counts, (before, load_average()), cpu))
        return 1 if sum(results.errors.values()) else 0
    finally:
        if server is not None:
            stop(server)
        drop_database(server_url, name)


if __name__ == "__main__":
    sys.exit(main())
