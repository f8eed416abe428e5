"""Time certificate PDFs, credential signing and verification, and /verify under load.

Run: .venv/bin/python bench/certificates.py [--requests 20000] [--seconds 20]

It builds a throw-away SQLite instance in a temporary folder, issues certificates,
renders and signs them in this process, then serves the app with gunicorn on
127.0.0.1 and drives GET /verify/<code> from a separate process with keep-alive
connections. The load is bounded by a request count and a time limit, and only
ever goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CERTIFICATES = 40


def _ms(seconds: list[float], cpu: list[float]) -> str:
    """Summarise wall-clock times, and the CPU time this process spent on each.

    The CPU time is what a certificate costs; the wall time also holds whatever
    else the machine was doing.
    """
    ordered = sorted(seconds)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return (
        f"median {statistics.median(ordered) * 1000:.1f} ms, "
        f"p95 {p95 * 1000:.1f} ms (CPU median {statistics.median(cpu) * 1000:.1f} ms)"
        f", n={len(ordered)}"
    )


def _timed(function, *args) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def _prepare(instance: Path) -> tuple[object, list[str]]:
    """Migrate a fresh database, load content and demo data, issue certificates."""
    os.environ["DATABASE_URL"] = f"sqlite:///{instance / 'bench.db'}"
    os.environ["LMS_SIGNING_KEYS_DIR"] = str(instance / "signing-keys")
    from flask_migrate import upgrade

    from lms import create_app
    from lms.content import current_version, publish_shipped
    from lms.demo import load_demo
    from lms.extensions import db
    from lms.models import Enrolment, User
    from lms.models.common import utcnow
    from lms.operations.certificates import issue_for_enrolment

    app = create_app({"LMS_BASE_URL": "http://127.0.0.1:5000"})
    codes = []
    with app.app_context():
        upgrade()
        publish_shipped(Path(app.config["LMS_MODULES_PATH"]))
        load_demo()
        version = current_version("video-consultations")
        for number in range(CERTIFICATES):
            user = User(
                email=f"bench{number}@example.org",
                name=f"Åse Kjærgaard Sørensen {number}",
                locale="da" if number % 2 else "en",
            )
            user.set_password("bench-password-1")
            enrolment = Enrolment(
                user=user, module_version=version, completed_at=utcnow()
            )
            db.session.add_all([user, enrolment])
            db.session.flush()
            codes.append(issue_for_enrolment(enrolment).code)
        db.session.commit()
    return app, codes


def bench_pdf(app) -> str:
    """Render every certificate's PDF; the first render also loads the fonts."""
    from lms.certificates.credential import verify_url
    from lms.certificates.pdf import render_pdf
    from lms.extensions import db
    from lms.models import Certificate

    with app.app_context(), app.test_request_context():
        certificates = list(db.session.execute(db.select(Certificate)).scalars())
        render_pdf(certificates[0], verify_url(certificates[0].code))  # warm-up
        times, cpu = [], []
        for certificate in certificates:
            wall, used, _pdf = _timed(
                render_pdf, certificate, verify_url(certificate.code)
            )
            times.append(wall)
            cpu.append(used)
    return _ms(times, cpu)


def bench_sign_verify(app) -> tuple[str, str]:
    """Build and sign each credential again, then verify each."""
    from lms.certificates import credential, keys, proof
    from lms.certificates.multikey import public_key_from_multibase
    from lms.extensions import db
    from lms.models import Certificate

    signing, verifying, signing_cpu, verifying_cpu = [], [], [], []
    with app.app_context(), app.test_request_context():
        row, private = keys.active_key()
        public = public_key_from_multibase(row.public_key_multibase)
        for certificate in db.session.execute(db.select(Certificate)).scalars():
            wall, used, signed = _timed(
                lambda c=certificate: proof.sign(
                    credential.build(c, "summary"),
                    private,
                    keys.verification_method(row),
                )
            )
            signing.append(wall)
            signing_cpu.append(used)
            stored = json.loads(certificate.credential)
            wall, used, _none = _timed(proof.verify, stored, public)
            verifying.append(wall)
            verifying_cpu.append(used)
            assert signed["proof"]["proofValue"]
    return _ms(signing, signing_cpu), _ms(verifying, verifying_cpu)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _client(port: int, codes: list[str], count: int, deadline: float, out) -> None:
    """One load process: keep-alive threads, bounded in requests and in time."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    per_thread = count // 8

    def work(offset: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine = []
        for number in range(per_thread):
            if time.monotonic() > deadline:
                break
            code = codes[(offset + number) % len(codes)]
            start = time.perf_counter()
            try:
                connection.request("GET", f"/verify/{code}")
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            mine.append(time.perf_counter() - start)
            if not ok:
                with lock:
                    errors[0] += 1
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=work, args=(n * 7,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put((latencies, errors[0]))


def bench_http(instance: Path, codes: list[str], requests: int, seconds: float) -> str:
    """Serve with gunicorn and measure GET /verify/<code> from separate processes."""
    port = _free_port()
    env = dict(
        os.environ,
        # The default limit: real codes are not charged, so one client may measure.
        LMS_BASE_URL="http://127.0.0.1:5000",
        SECRET_KEY="bench-secret",
    )
    workers = str(max(2, (os.cpu_count() or 2)))
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            workers,
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--log-level",
            "warning",
            "lms:create_app()",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        _wait_for(port)
        for code in codes:  # warm every worker's caches
            _get(port, f"/verify/{code}")
        queue: multiprocessing.Queue = multiprocessing.Queue()
        clients = 2
        deadline = time.monotonic() + seconds
        processes = [
            multiprocessing.Process(
                target=_client, args=(port, codes, requests // clients, deadline, queue)
            )
            for _ in range(clients)
        ]
        start = time.perf_counter()
        for process in processes:
            process.start()
        results = [queue.get(timeout=seconds + 60) for _ in processes]
        elapsed = time.perf_counter() - start
        for process in processes:
            process.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies = [value for part, _ in results for value in part]
    errors = sum(count for _, count in results)
    ordered = sorted(latencies)
    return (
        f"{len(latencies) / elapsed:.0f} requests/s over {elapsed:.1f} s "
        f"({len(latencies)} requests, {errors} errors; gunicorn {workers} workers x 4 "
        f"threads; p50 {statistics.median(ordered) * 1000:.1f} ms, "
        f"p99 {ordered[int(len(ordered) * 0.99) - 1] * 1000:.1f} ms)"
    )


def _get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)
    status = connection.getresponse().status
    connection.close()
    return status


def _wait_for(port: int) -> None:
    for _ in range(100):
        try:
            if _get(port, "/healthz") == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def main() -> None:
    """Run every measurement and print a Markdown summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder)
        app, codes = _prepare(instance)
        pdf = bench_pdf(app)
        signing, verifying = bench_sign_verify(app)
        http_result = bench_http(instance, codes, options.requests, options.seconds)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
        f"{platform.machine()}, Python {platform.python_version()}, load {load}"
    )
    print(f"| PDF render per certificate | {pdf} |")
    print(f"| build + sign a credential | {signing} |")
    print(f"| verify a credential's proof | {verifying} |")
    print(f"| GET /verify/<code> under load | {http_result} |")


if __name__ == "__main__":
    main()
