"""Time the manager dashboard on the large demo: database, HTTP and exports.

Run against the large demo (`flask --app lms demo --scale large`), which this script
loads first when the database lacks it:

    DATABASE_URL=sqlite:////tmp/large.db .venv/bin/python bench/dashboard.py
    LMS_BENCH_POSTGRES_URL=postgresql+psycopg://... .venv/bin/python bench/dashboard.py

Targets (issue 5): one unit's dashboard p99 <= 5 ms in the database and <= 30 ms over
HTTP; the overview across all 200 units <= 150 ms; an export of 10,000 rows < 2 s.
HTTP goes to gunicorn on 127.0.0.1 (2 workers x 2 threads), one request at a time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lms import create_app  # noqa: E402
from lms.extensions import db  # noqa: E402

PASSWORD = "large-demo-2026"
UNIT_MANAGER = "large-manager-rh@example.org"
OVERVIEW_MANAGER = "large-overview@example.org"


def percentiles(samples: list[float]) -> dict[str, float]:
    """Return p50, p95, p99 and max in milliseconds."""
    ordered = sorted(samples)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    return {
        "p50": at(0.50),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": ordered[-1] * 1000,
    }


def timed(function: Callable[[], object], rounds: int, warmup: int = 5) -> list[float]:
    """Run function warmup + rounds times; return the durations of the rounds."""
    for _ in range(warmup):
        function()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return samples


def ensure_large_demo(app) -> float | None:
    """Load the large demo when missing; return how long it took, or None."""
    from flask_migrate import upgrade

    from lms.competence.demo import load_competence_demo
    from lms.competence.large_demo import load_large_demo
    from lms.content import publish_shipped
    from lms.demo import load_demo
    from lms.models import User

    upgrade()
    if db.session.execute(db.select(User.id).filter_by(email=UNIT_MANAGER)).first():
        return None
    started = time.monotonic()
    publish_shipped(Path(app.config["LMS_MODULES_PATH"]))
    load_demo()
    load_competence_demo()
    load_large_demo()
    return time.monotonic() - started


def database_timings(rounds: int) -> tuple[dict, dict]:
    """Time the reads behind the pages, in the app process; return results and ids."""
    from lms.competence import queries as q
    from lms.competence.exports import ExportTable, to_csv, to_xlsx
    from lms.competence.scope import scope_of
    from lms.models import Unit, User

    def user(email: str) -> User:
        return db.session.execute(db.select(User).filter_by(email=email)).scalar_one()

    manager, overview_manager = user(UNIT_MANAGER), user(OVERVIEW_MANAGER)
    top = db.session.execute(db.select(Unit).filter_by(code="RH")).scalar_one()
    team = db.session.execute(db.select(Unit).filter_by(code="RH-1-1")).scalar_one()
    today, now = date.today(), datetime.now(UTC)

    def unit_page() -> None:
        scope = scope_of(manager)
        units = scope.below(team.id)
        q.heat_map(scope, team.id, now)
        summaries = q.assignment_summaries(units)
        q.dashboard_lists(units, today, 10, summaries)  # counts and first rows
        q.completions_by_month(units, today)
        db.session.rollback()

    def overview() -> None:
        q.overview(scope_of(overview_manager), now)
        db.session.rollback()

    export_rows = q.list_rows("due_soon", scope_of(manager).below(top.id), today)
    table = ExportTable(
        "due_soon",
        [("Exported at", now.isoformat())],
        ["id", "name", "unit", "due"],
        [[r.user_id, r.name, r.unit_id, r.when] for r in export_rows],
    )
    results = {
        "unit dashboard (DB)": percentiles(timed(unit_page, rounds)),
        "overview of all units (DB)": percentiles(
            timed(overview, max(20, rounds // 10))
        ),
        f"export query, {len(export_rows)} rows (DB)": percentiles(
            timed(
                lambda: q.list_rows("due_soon", scope_of(manager).below(top.id), today),
                5,
                1,
            )
        ),
        f"CSV writer, {len(export_rows)} rows": percentiles(
            timed(lambda: to_csv(table), 5, 1)
        ),
        f"XLSX writer, {len(export_rows)} rows": percentiles(
            timed(lambda: to_xlsx(table), 5, 1)
        ),
    }
    ids = {"team": team.id, "top": top.id, "export_rows": len(export_rows)}
    return results, ids


class Client:
    """A signed-in HTTP client; a new loopback connection per request."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie = ""

    def request(self, method: str, path: str, body: str | None = None):
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                self.cookie = value.split(";", 1)[0]
        return response.status, data

    def login(self, email: str) -> None:
        _status, page = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode(
            {"csrf_token": token.decode(), "email": email, "password": PASSWORD}
        )
        status, _ = self.request("POST", "/login", form)
        if status != 302:
            raise RuntimeError(f"login as {email} failed: {status}")


def http_timings(url: str, ids: dict, rounds: int, port: int) -> dict:
    """Time the pages over HTTP against gunicorn on 127.0.0.1."""
    env = os.environ | {
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-secret-not-for-production",
        "LMS_BASE_URL": "http://127.0.0.1:5000",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-w",
            "2",
            "--threads",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "lms:create_app()",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request(
                    "GET", "/health"
                )
                break
            except OSError:
                time.sleep(0.2)
        unit_client, overview_client = Client(port), Client(port)
        unit_client.login(UNIT_MANAGER)
        overview_client.login(OVERVIEW_MANAGER)

        def get(client: Client, path: str) -> Callable[[], None]:
            def fetch() -> None:
                status, _ = client.request("GET", path)
                if status != 200:
                    raise RuntimeError(f"{path}: {status}")

            return fetch

        export = f"/manage/units/{ids['top']}/export/due_soon"
        return {
            "unit dashboard (HTTP)": percentiles(
                timed(get(unit_client, f"/manage/units/{ids['team']}"), rounds)
            ),
            "overview of all units (HTTP)": percentiles(
                timed(get(overview_client, "/manage/"), max(20, rounds // 10))
            ),
            f"CSV export, {ids['export_rows']} rows (HTTP)": percentiles(
                timed(get(unit_client, export + ".csv"), 5, 1)
            ),
            f"XLSX export, {ids['export_rows']} rows (HTTP)": percentiles(
                timed(get(unit_client, export + ".xlsx"), 5, 1)
            ),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LMS_BENCH_POSTGRES_URL")
        or os.environ.get("DATABASE_URL")
        or f"sqlite:///{ROOT / 'instance' / 'large.db'}",
    )
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--port", type=int, default=5077)
    args = parser.parse_args()
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url})
    with app.app_context():
        loaded = ensure_large_demo(app)
        if loaded is not None:
            print(f"loaded the large demo in {loaded:.0f} s")
        results, ids = database_timings(args.rounds)
        db.session.remove()
    results |= http_timings(args.database_url, ids, args.rounds, args.port)
    backend = args.database_url.split(":", 1)[0]
    print(f"\n{backend}: p50 / p95 / p99 / max in ms\n")
    print("| measurement | p50 | p95 | p99 | max |\n|---|---|---|---|---|")
    for name, p in results.items():
        print(
            f"| {name} | {p['p50']:.1f} | {p['p95']:.1f} | {p['p99']:.1f} "
            f"| {p['max']:.1f} |"
        )
    print(json.dumps(results), file=sys.stderr)


if __name__ == "__main__":
    main()
