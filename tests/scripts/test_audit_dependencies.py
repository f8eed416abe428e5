"""The dependency audit's decisions, from fake pip-audit results (no network)."""

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location(
    "audit_dependencies", ROOT / "scripts" / "audit_dependencies.py"
)
audit = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = audit  # dataclasses look their module up there
spec.loader.exec_module(audit)


def _report(*dependencies) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


CLEAN = {"name": "flask", "version": "3.1.3", "vulns": []}
VULNERABLE = {
    "name": "jinja2",
    "version": "3.1.2",
    "vulns": [
        {
            "id": "GHSA-h5c8-rqwp-cp95",
            "fix_versions": ["3.1.3"],
            "aliases": ["CVE-2024-22195"],
            "description": "xmlattr allows keys with spaces",
        }
    ],
}
NOT_FOUND = {
    "name": "alembic",
    "skip_reason": "Dependency not found on PyPI and could not be audited",
}


def test_a_known_vulnerability_fails_the_build():
    verdict = audit.decide(1, _report(CLEAN, VULNERABLE), "Found 1 known vulnerability")
    assert verdict.status == 1
    assert "jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (fixed in 3.1.3)" in verdict.message


def test_no_vulnerability_passes_and_names_packages_not_looked_up():
    verdict = audit.decide(0, _report(CLEAN, NOT_FOUND), "")
    assert verdict.status == 0
    assert "no known vulnerabilities in 1 packages" in verdict.message
    assert "not found on the index: alembic" in verdict.message


def test_a_vulnerability_still_fails_when_other_packages_were_not_found():
    verdict = audit.decide(1, _report(VULNERABLE, NOT_FOUND), "")
    assert verdict.status == 1


@pytest.mark.parametrize(
    "stderr",
    [
        "requests.exceptions.ConnectionError: HTTPSConnectionPool: Max retries "
        "exceeded (Caused by NameResolutionError: Temporary failure in name "
        "resolution)",
        "ERROR: Network is unreachable",
        "ReadTimeout: Read timed out. (read timeout=10)",
    ],
)
def test_no_network_skips_with_a_clear_message(stderr):
    verdict = audit.decide(1, "", stderr)
    assert verdict.status == 0
    assert verdict.message.startswith(
        "dependency audit skipped: no network to the advisory database"
    )


def test_an_index_without_advisory_data_skips():
    """Every package "not found": the index answers, but has no advisory data."""
    verdict = audit.decide(0, _report(NOT_FOUND, {**NOT_FOUND, "name": "babel"}), "")
    assert verdict.status == 0
    assert "skipped: no network to the advisory database" in verdict.message


def test_any_other_failure_fails():
    verdict = audit.decide(1, "", "ERROR: invalid requirement: 'flask=3'")
    assert verdict.status == 2
    assert "invalid requirement" in verdict.message


def test_the_probe_skips_the_full_run_when_offline(tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text("alembic==1.20.1\nFlask==3.1.3\n")
    calls = []

    def offline(command, **_kwargs):
        calls.append(Path(command[command.index("--requirement") + 1]).read_text())
        return subprocess.CompletedProcess(command, 1, "", "ConnectionError: refused")

    verdict = audit.audit(lock, [], runner=offline)
    assert verdict.status == 0
    assert calls == ["Flask==3.1.3\n"]  # one package probed, not the whole lock


def test_the_full_lock_is_audited_with_ignored_advisories(tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text("Flask==3.1.3\nJinja2==3.1.2\n")
    commands = []

    def online(command, **_kwargs):
        commands.append(command)
        return subprocess.CompletedProcess(command, 1, _report(CLEAN, VULNERABLE), "")

    verdict = audit.audit(lock, ["PYSEC-0000-1"], runner=online)
    assert verdict.status == 1
    assert len(commands) == 2
    assert commands[-1][commands[-1].index("--requirement") + 1] == str(lock)
    assert commands[-1][-2:] == ["--ignore-vuln", "PYSEC-0000-1"]
    assert "--no-deps" in commands[-1] and "--disable-pip" in commands[-1]


def test_the_lock_pins_every_dependency_exactly():
    """requirements.lock is `pip freeze`: one exact pin per line, ours included."""
    lines = (ROOT / "requirements.lock").read_text().splitlines()
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-\[\],]+==[^=\s]+", line) for line in lines)
    names = {line.split("==")[0].lower().replace("_", "-") for line in lines}
    assert {"flask", "sqlalchemy", "psycopg", "gunicorn", "pip-audit"} <= names
    assert not any(name.startswith("bdk-lms") for name in names)
