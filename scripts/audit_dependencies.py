"""Check the locked dependencies for known vulnerabilities with pip-audit.

    python scripts/audit_dependencies.py requirements.lock

Exit status: 0 when no known vulnerability is found, and also when the advisory
database cannot be reached (offline, or the index serves no advisory data): then it
says "skipped" and why, so `make test` still works without network. 1 when a locked
package has a known vulnerability; 2 when pip-audit fails for another reason (a
broken lock file, say). LMS_AUDIT_IGNORE takes advisory ids to accept, separated
by commas (for a vulnerability with no fix yet that does not affect us; say why in
the commit that adds it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".venv" / "pip-audit-cache"
#: Words of errors that mean the advisory database could not be reached.
NETWORK_ERRORS = (
    "connectionerror",
    "connection refused",
    "max retries exceeded",
    "failed to establish a new connection",
    "name or service not known",
    "temporary failure in name resolution",
    "network is unreachable",
    "timed out",
    "sslerror",
    "proxyerror",
)
#: A package that is surely on the index; probed first to learn if it answers.
PROBE = "flask"


@dataclass(frozen=True)
class Verdict:
    """What the audit found: the exit status and what to print."""

    status: int
    message: str


def skipped(reason: str) -> Verdict:
    """Return the verdict of an audit that could not run."""
    return Verdict(
        0, f"dependency audit skipped: no network to the advisory database ({reason})"
    )


def decide(returncode: int, stdout: str, stderr: str) -> Verdict:
    """Turn pip-audit's exit code and JSON report into a verdict."""
    try:
        report = json.loads(stdout) if stdout.strip() else None
    except json.JSONDecodeError:
        report = None
    if report is None:
        if any(word in stderr.lower() for word in NETWORK_ERRORS):
            return skipped(_last_line(stderr))
        return Verdict(
            2, f"dependency audit failed: {_last_line(stderr) or returncode}"
        )
    dependencies = report.get("dependencies", [])
    looked_up = [d for d in dependencies if "skip_reason" not in d]
    unknown = [d["name"] for d in dependencies if "skip_reason" in d]
    if dependencies and not looked_up:
        what = unknown[0] if len(unknown) == 1 else f"any of {len(unknown)} packages"
        return skipped(f"the index returned no advisory data for {what}")
    findings = [
        f"{d['name']} {d['version']}: {v['id']}"
        + (
            f" (fixed in {', '.join(v['fix_versions'])})"
            if v.get("fix_versions")
            else ""
        )
        for d in looked_up
        for v in d.get("vulns", [])
    ]
    note = f"; not found on the index: {', '.join(unknown)}" if unknown else ""
    if findings:
        lines = "\n  ".join(findings)
        return Verdict(
            1,
            f"dependency audit: {len(findings)} known vulnerabilities in the locked "
            f"packages{note}\n  {lines}\nUpgrade them (then `make lock`), or accept "
            "an advisory in LMS_AUDIT_IGNORE with a reason in the commit.",
        )
    if returncode != 0:
        return Verdict(
            2, f"dependency audit failed: {_last_line(stderr) or returncode}"
        )
    count = len(looked_up)
    return Verdict(
        0, f"dependency audit: no known vulnerabilities in {count} packages{note}"
    )


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def pip_audit(requirements: Path, ignore: list[str], runner=subprocess.run):
    """Run pip-audit on pinned requirements, without resolving or installing."""
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--requirement",
        str(requirements),
        "--no-deps",  # the lock pins every package already
        "--disable-pip",
        "--format",
        "json",
        "--progress-spinner",
        "off",
        "--timeout",
        "10",
        "--cache-dir",
        str(CACHE),
    ]
    for advisory in ignore:
        command += ["--ignore-vuln", advisory]
    done = runner(command, capture_output=True, text=True, check=False)
    return decide(done.returncode, done.stdout, done.stderr)


def audit(lock: Path, ignore: list[str], runner=subprocess.run) -> Verdict:
    """Probe the index with one package, then audit the whole lock."""
    pins = [
        line.strip()
        for line in lock.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not pins:
        return Verdict(2, f"dependency audit failed: {lock.name} pins no packages")
    probe = next((p for p in pins if p.lower().startswith(f"{PROBE}==")), pins[0])
    with tempfile.TemporaryDirectory() as folder:
        single = Path(folder) / "probe.txt"
        single.write_text(probe + "\n", encoding="utf-8")
        first = pip_audit(single, ignore, runner)
    if first.status == 0 and first.message.startswith("dependency audit skipped"):
        return first
    return pip_audit(lock, ignore, runner)


def main(argv: list[str] | None = None) -> int:
    """Audit the lock file named on the command line; print the verdict."""
    args = argv if argv is not None else sys.argv[1:]
    lock = Path(args[0] if args else ROOT / "requirements.lock")
    if not lock.is_file():
        print(f"dependency audit failed: {lock} is missing; run `make lock`")
        return 2
    ignore = [a.strip() for a in os.environ.get("LMS_AUDIT_IGNORE", "").split(",")]
    verdict = audit(lock, [a for a in ignore if a])
    print(verdict.message)
    return verdict.status


if __name__ == "__main__":
    sys.exit(main())
